"""Natural compression and natural dithering (Horváth et al. 2019; docs/theory.md).

**C_nat**: ``t ↦ sign(t) 2^⌊log₂|t|⌋`` with probability ``(2^⌈log₂|t|⌉ − |t|)/2^⌊log₂|t|⌋``,
else ``sign(t) 2^⌈log₂|t|⌉``; ``0 ↦ 0``. Unbiased. With ``|t| = a 2^j``, ``a ∈ [1, 2)``, the
variance is ``(a − 1)(2 − a)4^j`` and ``Var/t² = (a−1)(2−a)/a²`` is largest at ``a = 4/3``,
where it equals 1/8: U(1/8), tight at ``|t| = (4/3)2^j``. Computed with ``frexp`` (exact for
subnormal entries). Entries ``|t| > max/2`` of the dtype (``2^1023`` in float64) would round
up to infinity, and are rejected.

**Natural dithering** (s levels, ℓp norm): ``u_j = |x_j|/‖x‖_p`` is rounded at random,
unbiasedly, to the neighbouring levels of ``0, 2^{1−s}, …, 1/2, 1``; ``C(x)_j = ‖x‖_p sign(x_j)
level``. Declared constant (docs/theory.md): U(1/8 + d^{1/r} 2^{1−s} min{1, d^{1/r} 2^{1−s}}),
``r = min(p, 2)``.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from ._base import Compressor, positive_int, rng_uniform, row_norm

__all__ = ["NaturalCompression", "NaturalDithering"]


def _round_pow2(a: Any, rng: Any, xp: ModuleType) -> Any:
    """Unbiased random rounding of ``a ≥ 0`` to the neighbouring powers of two (0 stays 0)."""
    _, e = xp.frexp(a)  # a = m 2^e, m in [1/2, 1)
    low = xp.ldexp(xp.ones((), dtype=a.dtype), e - 1)  # 2^floor(log2 a)
    p_up = a / low - 1  # in [0, 1); -1 for a = 0
    up = rng_uniform(rng, a.shape, xp) < p_up
    return xp.where(a > 0, xp.where(up, low * 2, low), xp.zeros((), dtype=a.dtype))


class NaturalCompression(Compressor):
    """Unbiased random rounding of every entry to a power of two: U(1/8), 9 bits per entry."""

    name = "natural"
    unbiased = True

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        a = xp.abs(x)
        big = float(xp.finfo(x.dtype).max) / 2
        if bool((a > big).any()):
            raise InvalidParameterError(
                f"natural: entries with |x_j| > {big:.3g} (half the largest {x.dtype}) would round up "
                "to infinity; rescale x"
            )
        return xp.sign(x) * _round_pow2(a, rng, xp)

    def _omega(self, d: sp.Expr) -> sp.Expr:
        return sp.Rational(1, 8)

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return 9 * d


class NaturalDithering(Compressor):
    """Random dithering on the levels ``0, 2^{1−s}, …, 1/2, 1`` of ``|x_j|/‖x‖_p``.

    U(1/8 + d^{1/r} 2^{1−s} min{1, d^{1/r} 2^{1−s}}), ``r = min(p, 2)`` (docs/theory.md, compressor table).
    ``bits(d) = 32 + d(1 + ⌈log₂(s + 1)⌉)`` (the norm, a sign and one of s + 1 levels per entry).
    """

    name = "natural_dithering"
    params = ("s", "p")
    unbiased = True

    def __init__(self, s: int, p: float = 2) -> None:
        self.s = positive_int("s", s)
        try:
            pf = float(p)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"natural_dithering p must be a number >= 1 or inf, got {p!r}") from None
        if not pf >= 1:
            raise InvalidParameterError(f"natural_dithering p must be >= 1 (or inf), got {p!r}")
        self.p = int(pf) if pf.is_integer() else pf

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        nrm = row_norm(x, xp, float(self.p))
        u = xp.abs(x) / xp.where(nrm > 0, nrm, xp.ones((), dtype=x.dtype))
        u = xp.minimum(u, xp.ones((), dtype=x.dtype))  # rounding of the norm
        lowest = x.dtype.type(2.0 ** (1 - self.s))
        _, e = xp.frexp(u)
        low = xp.ldexp(xp.ones((), dtype=x.dtype), e - 1)
        small = u < lowest
        low = xp.where(small, xp.zeros((), dtype=x.dtype), low)
        high = xp.where(small, lowest, low * 2)
        p_up = (u - low) / (high - low)
        up = rng_uniform(rng, x.shape, xp) < p_up
        level = xp.where(up, high, low)
        return (nrm * xp.sign(x) * level).astype(x.dtype, copy=False)

    def _omega(self, d: sp.Expr) -> sp.Expr:
        r = sp.Integer(2) if self.p == math.inf else sp.Min(sp.nsimplify(self.p), 2)
        c = d ** (1 / r) * sp.Integer(2) ** (1 - self.s)
        return sp.Rational(1, 8) + c * sp.Min(1, c)

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return 32 + d * (1 + sp.Integer((self.s).bit_length()))
