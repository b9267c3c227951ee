r"""EF21 (Richtárik, Sokolov, Fatkhullin 2021).

State: server ``x (R, d)``, per-agent estimates ``g_i (R, N, d)`` and their mean ``g (R, d)``;
``g_i⁰ = C_i(∇f_i(x⁰) + Z_i)``. One step with step size ``γ = eta``::

    x   ← x − γ g
    g_i ← g_i + C_i(∇f_i(x) + Z_i − g_i)     # at the *new* x
    g   = (1/N) Σ_i g_i

Convergence theory: contractive ``C ∈ C(δ)``, ``γ ≤ 1/(L + L̃√(β/θ))`` with
``θ = 1 − √(1−δ)``, ``β = (1−δ)/θ``, ``L̃² = (1/N)Σ L_i²``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._base import Context, register_algorithm

__all__ = ["EF21State", "EF21"]


@dataclass
class EF21State:
    x: Any   # (R, d)
    gi: Any  # (R, N, d)
    g: Any   # (R, d)


@register_algorithm
class EF21:
    name = "ef21"
    summary = "EF21: x -= eta g; g_i += C(grad_i(x) - g_i); g = mean g_i"
    citation = "Richtárik, Sokolov, Fatkhullin 2021"
    options: dict[str, Any] = {}
    compressor = "required"
    decentralised = False

    def init(self, ctx: Context) -> EF21State:
        x = ctx.x0.copy()
        gi = ctx.compress(ctx.grads(x))
        return EF21State(x, gi, gi.mean(axis=1))

    def step(self, s: EF21State, ctx: Context) -> None:
        s.x -= ctx.eta * s.g
        shape = (ctx.replicas, ctx.n, ctx.d)
        v = ctx.grads(s.x, out=ctx.buffer("v", shape))
        v -= s.gi
        s.gi += ctx.compress(v, out=ctx.buffer("c", shape))
        s.g = s.gi.mean(axis=1)

    def iterate(self, s: EF21State) -> Any:
        return s.x
