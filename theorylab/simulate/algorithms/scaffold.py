r"""SCAFFOLD with option II control variates (Karimireddy et al. 2020, Algorithm 1).

State: server ``x (R, d)``, server control ``c (R, d)``, client controls ``c_i (R, N, d)``
(all zero at the start, so ``c = mean_i c_i`` throughout). One round: draw ``S`` of ``N`` clients
uniformly without replacement, then for each sampled client::

    y_i ← x
    repeat K times:  y_i ← y_i − η (∇f_i(y_i) + Z_i − c_i + c)
    c_i⁺ = c_i − c + (x − y_i)/(K η)                   (option II)
    Δy_i = C_i(y_i − x) ;  Δc_i = c_i⁺ − c_i ;  c_i ← c_i⁺
    x ← x + η_g (1/S) Σ_{i∈S} Δy_i
    c ← c + (1/N) Σ_{i∈S} Δc_i

(the non-sampled clients keep their c_i). Only the sampled clients' rows are computed: their
``c_i`` are gathered into ``(R, S, d)`` work arrays and their ``Δc_i`` scattered back (noise drawn
in the same order as in :mod:`.fedavg`). A compressor, when given, applies to the model update
``Δy_i``; the control variates travel exactly. Options: ``local_steps`` K, ``server_lr`` η_g,
``participation`` S. Without noise the fixed point is ``x*`` for every K: the correction
``c − c_i`` cancels the client drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._base import Context, register_algorithm
from ._federated import federated_options, gather_rows, sampled_weights, scatter_add_rows

__all__ = ["ScaffoldState", "Scaffold"]


@dataclass
class ScaffoldState:
    x: Any   # (R, d)
    c: Any   # (R, d)
    ci: Any  # (R, N, d)


@register_algorithm
class Scaffold:
    name = "scaffold"
    summary = "SCAFFOLD (option II): local steps corrected by c - c_i, S of N clients"
    citation = "Karimireddy et al. 2020, Algorithm 1 (option II)"
    options: dict[str, Any] = {"local_steps": 1, "server_lr": 1.0, "participation": None}
    compressor = "optional"
    decentralised = False

    def init(self, ctx: Context) -> ScaffoldState:
        ctx.cache["fed"] = federated_options(ctx)
        z = ctx.xp.zeros
        return ScaffoldState(ctx.x0.copy(), z((ctx.replicas, ctx.d)), z((ctx.replicas, ctx.n, ctx.d)))

    def step(self, s: ScaffoldState, ctx: Context) -> None:
        xp = ctx.xp
        k, lr, n_s = ctx.cache["fed"]
        w = ctx.sample_clients(n_s)
        agents = ctx.sampled_agents(w, n_s)  # (R, S) ascending, None at S = N
        shape = (ctx.replicas, n_s, ctx.d)    # only the sampled clients' rows work
        x, c = s.x[:, None, :], s.c[:, None, :]
        y, g, corr = ctx.buffer("y", shape), ctx.buffer("g", shape), ctx.buffer("corr", shape)
        ci = s.ci if agents is None else gather_rows(ctx, s.ci, agents, corr)  # the sampled c_i
        xp.subtract(c, ci, out=corr)  # c − c_i
        y[...] = x
        for _ in range(k):
            ctx.local_grads(y, out=g, agents=agents)
            g += corr
            g *= ctx.eta
            y -= g
        y -= x  # y_i − x
        # Δc_i = c_i⁺ − c_i = (x − y_i)/(Kη) − c on the sampled clients (the others keep c_i)
        dc = g  # reuse: the gradients are not needed any more
        xp.multiply(y, -1.0 / (k * ctx.eta), out=dc)
        dc -= c
        if agents is None:
            s.ci += dc
        else:
            scatter_add_rows(ctx, s.ci, agents, dc)
        dy = ctx.compress(y, out=ctx.buffer("c", shape), agents=agents)
        s.x += lr * xp.einsum("rn,rnd->rd", sampled_weights(ctx, w, agents), dy)
        s.c += dc.sum(axis=1) / ctx.n

    def iterate(self, s: ScaffoldState) -> Any:
        return s.x
