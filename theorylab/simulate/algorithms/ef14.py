r"""EF14: error feedback (Seide et al. 2014; Stich, Cordonnier, Jaggi 2018; Beznosikov et al. 2023,
'A fix: error feedback').

State: server ``x (R, d)``, per-agent error ``e (R, N, d)``, ``e⁰ = 0``. One step, with
``g_i = ∇f_i(x) + Z_i`` and step size ``γ = eta``::

    p_i = e_i + γ g_i          # the step is applied *before* compression
    Δ_i = C_i(p_i)
    e_i ← p_i − Δ_i
    x   ← x − (1/N) Σ_i Δ_i    # no second γ here

Takes any compressor (designed for contractive ones, class C(δ)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._base import Context, register_algorithm

__all__ = ["EF14State", "EF14"]


@dataclass
class EF14State:
    x: Any  # (R, d)
    e: Any  # (R, N, d)


@register_algorithm
class EF14:
    name = "ef14"
    summary = "error feedback: p_i = e_i + eta g_i, D_i = C(p_i), e_i = p_i - D_i, x -= mean D_i"
    citation = "Seide et al. 2014; Stich et al. 2018; Beznosikov et al. 2023"
    options: dict[str, Any] = {}
    compressor = "required"
    decentralised = False

    def init(self, ctx: Context) -> EF14State:
        return EF14State(ctx.x0.copy(), ctx.xp.zeros((ctx.replicas, ctx.n, ctx.d)))

    def step(self, s: EF14State, ctx: Context) -> None:
        shape = (ctx.replicas, ctx.n, ctx.d)
        p = ctx.grads(s.x, out=ctx.buffer("p", shape))  # updated in place to p = e + γ g
        p *= ctx.eta
        p += s.e
        delta = ctx.compress(p, out=ctx.buffer("delta", shape))
        ctx.xp.subtract(p, delta, out=s.e)
        s.x -= delta.mean(axis=1)

    def iterate(self, s: EF14State) -> Any:
        return s.x
