r"""Local SGD / FedAvg (McMahan et al. 2017; Stich 2019), with client sampling and a server step size.

State: server ``x (R, d)``. One *round* (a ``step`` of the run): draw ``S`` of the ``N`` clients
uniformly without replacement (independently per replica; all clients when ``S = N``), then::

    y_i ← x                                        for every client i
    repeat K times:  y_i ← y_i − η (∇f_i(y_i) + Z_i)      (η = eta, the local step size)
    Δ_i = C_i(y_i − x)                             (identity without a compressor)
    x  ← x + η_g (1/S) Σ_{i∈S} Δ_i                 (η_g = server_lr)

Options: ``local_steps`` K (default 1), ``server_lr`` η_g (default 1), ``participation`` S
(default N). With K = 1, η_g = 1, S = N and no compressor a round is one DSGD step.
Only the S sampled clients compute: their rows are gathered into ``(R, S, d)`` work arrays, and
the noise of row ``(r, s)`` is drawn in the order of the agents (ascending), so without a
compressor a run draws the same numbers, and gives the same iterates, as computing all N clients
and weighting the sampled ones. A compressor is applied to the S sampled updates only (the law of
the round is unchanged: compressors are independent across agents and replicas). On quadratics ``f_i = ½(x − c_i)ᵀH_i(x − c_i)`` without noise
and with full participation the round is the affine map ``x ↦ x − η_g (1/N) Σ (I − (I−ηH_i)^K)(x − c_i)``,
whose fixed point solves ``Σ_i (I − (I − ηH_i)^K)(x̂ − c_i) = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._base import Context, register_algorithm
from ._federated import federated_options, sampled_weights

__all__ = ["FedAvgState", "FedAvg"]


@dataclass
class FedAvgState:
    x: Any  # (R, d)


@register_algorithm
class FedAvg:
    name = "fedavg"
    summary = "Local SGD / FedAvg: K local steps per round, S of N clients, server step size"
    citation = "McMahan et al. 2017; Stich 2019"
    options: dict[str, Any] = {"local_steps": 1, "server_lr": 1.0, "participation": None}
    compressor = "optional"
    decentralised = False

    def init(self, ctx: Context) -> FedAvgState:
        ctx.cache["fed"] = federated_options(ctx)
        return FedAvgState(ctx.x0.copy())

    def step(self, s: FedAvgState, ctx: Context) -> None:
        xp = ctx.xp
        k, lr, n_s = ctx.cache["fed"]
        w = ctx.sample_clients(n_s)
        agents = ctx.sampled_agents(w, n_s)  # (R, S) ascending, None at S = N
        shape = (ctx.replicas, n_s, ctx.d)    # only the sampled clients' rows work
        x = s.x[:, None, :]
        y, g = ctx.buffer("y", shape), ctx.buffer("g", shape)
        y[...] = x
        for _ in range(k):
            ctx.local_grads(y, out=g, agents=agents)
            g *= ctx.eta
            y -= g
        y -= x  # the sampled clients' updates y_i − x
        delta = ctx.compress(y, out=ctx.buffer("c", shape), agents=agents)
        s.x += lr * xp.einsum("rn,rnd->rd", sampled_weights(ctx, w, agents), delta)

    def iterate(self, s: FedAvgState) -> Any:
        return s.x
