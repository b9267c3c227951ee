r"""DIANA (Mishchenko, Gorbunov, Takáč, Richtárik 2019): compression of gradient differences.

State: server ``x (R, d)``, per-agent shifts ``h_i (R, N, d)`` (``h_i⁰ = 0``) and their mean
``h (R, d)``. One step with step size ``γ = eta`` and shift step ``α`` (option ``alpha``,
default ``1/(1 + ω)``, the largest the theory allows)::

    g_i = ∇f_i(x) + Z_i
    m_i = C_i(g_i − h_i)
    ĝ   = h + (1/N) Σ_i m_i
    x   ← x − γ ĝ
    h_i ← h_i + α m_i ;  h ← h + α (1/N) Σ_i m_i     (so h = mean h_i)

Without noise the shifts learn ``∇f_i(x*)``, so the compression error vanishes at ``x*``:
DIANA converges to ``x*`` where DCSGD keeps a floor ∝ ``γ ω ‖∇f_i(x*)‖²``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import InvalidParameterError
from ._base import Context, compressor_omega, positive_number, register_algorithm

__all__ = ["DIANAState", "DIANA"]


@dataclass
class DIANAState:
    x: Any   # (R, d)
    hi: Any  # (R, N, d)
    h: Any   # (R, d)


@register_algorithm
class DIANA:
    name = "diana"
    summary = "DIANA: m_i = C(g_i - h_i), x -= eta (h + mean m_i), h_i += alpha m_i"
    citation = "Mishchenko, Gorbunov, Takáč, Richtárik 2019"
    options: dict[str, Any] = {"alpha": None}
    compressor = "required"
    decentralised = False

    def init(self, ctx: Context) -> DIANAState:
        a = ctx.options.get("alpha")
        if a is None:
            om = compressor_omega(ctx)
            if om is None:
                raise InvalidParameterError("diana needs --alpha: its compressor declares no omega (default 1/(1+omega))")
            a = 1.0 / (1.0 + om)
        ctx.cache["alpha"] = positive_number("DIANA's alpha", a, upper=1.0)
        z = ctx.xp.zeros
        return DIANAState(ctx.x0.copy(), z((ctx.replicas, ctx.n, ctx.d)), z((ctx.replicas, ctx.d)))

    def step(self, s: DIANAState, ctx: Context) -> None:
        a = ctx.cache["alpha"]
        shape = (ctx.replicas, ctx.n, ctx.d)
        v = ctx.grads(s.x, out=ctx.buffer("v", shape))
        v -= s.hi
        m = ctx.compress(v, out=ctx.buffer("m", shape))
        mbar = m.mean(axis=1)
        s.x -= ctx.eta * (s.h + mbar)
        s.hi += a * m
        s.h += a * mbar

    def iterate(self, s: DIANAState) -> Any:
        return s.x
