r"""FedAvg with momentum, FedAvg-M (Cheng, Charles, Garrett, Rush et al.; Cheng et al., ICLR 2024,
"Momentum benefits non-IID federated learning simply and provably").

State: server ``x (R, d)`` and server momentum ``g (R, d)`` (``g⁰ = 0``). One round with S of N
clients sampled uniformly without replacement::

    y_i ← x
    repeat K times:  y_i ← y_i − η (β (∇f_i(y_i) + Z_i) + (1 − β) g)
    Δ_i = C_i(y_i − x)
    g ← −(1/(η K S)) Σ_{i∈S} Δ_i          (the new momentum: the clients' average direction)
    x ← x − η_g η K g

Only the S sampled clients' rows are computed (gathered ``(R, S, d)``), as in :mod:`.fedavg`.

Options: ``momentum`` β ∈ (0, 1] (default 1: FedAvg exactly), ``local_steps`` K,
``server_lr`` η_g, ``participation`` S. The server step ``γ = η_g η K`` makes β = 1 coincide with
:mod:`.fedavg` round for round. As β → 0 the local trajectories of all clients coincide up to
O(β), so the fixed point tends to ``x*`` (the drift of FedAvg vanishes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._base import Context, positive_number, register_algorithm
from ._federated import federated_options, sampled_weights

__all__ = ["FedAvgMState", "FedAvgM"]


@dataclass
class FedAvgMState:
    x: Any  # (R, d)
    g: Any  # (R, d)


@register_algorithm
class FedAvgM:
    name = "fedavg-m"
    summary = "FedAvg-M: local steps on beta*grad + (1-beta)*g, g = clients' average direction"
    citation = "Cheng et al., ICLR 2024"
    options: dict[str, Any] = {"local_steps": 1, "server_lr": 1.0, "participation": None, "momentum": 1.0}
    compressor = "optional"
    decentralised = False

    def init(self, ctx: Context) -> FedAvgMState:
        ctx.cache["fed"] = federated_options(ctx)
        ctx.cache["beta"] = positive_number("momentum beta", ctx.options.get("momentum", 1.0), upper=1.0)
        return FedAvgMState(ctx.x0.copy(), ctx.xp.zeros((ctx.replicas, ctx.d)))

    def step(self, s: FedAvgMState, ctx: Context) -> None:
        xp = ctx.xp
        k, lr, n_s = ctx.cache["fed"]
        beta = ctx.cache["beta"]
        w = ctx.sample_clients(n_s)
        agents = ctx.sampled_agents(w, n_s)  # (R, S) ascending, None at S = N
        shape = (ctx.replicas, n_s, ctx.d)    # only the sampled clients' rows work
        x = s.x[:, None, :]
        y, g = ctx.buffer("y", shape), ctx.buffer("g", shape)
        mom = (ctx.eta * (1.0 - beta)) * s.g[:, None, :]  # η(1 − β) g, (R, 1, d)
        y[...] = x
        for _ in range(k):
            ctx.local_grads(y, out=g, agents=agents)
            g *= ctx.eta * beta
            g += mom
            y -= g
        y -= x
        delta = ctx.compress(y, out=ctx.buffer("c", shape), agents=agents)
        s.g = xp.einsum("rn,rnd->rd", sampled_weights(ctx, w, agents), delta) * (-1.0 / (ctx.eta * k))
        s.x -= (lr * ctx.eta * k) * s.g

    def iterate(self, s: FedAvgMState) -> Any:
        return s.x
