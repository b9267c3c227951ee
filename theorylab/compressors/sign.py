"""Sign compressors (docs/theory.md#compressor-catalogue).

- :class:`Sign`: ``sign(x)`` (``sign(0) = 0``). Not positively homogeneous, so in no class:
  ``‖sign(x) − x‖²/‖x‖² → ∞`` as ``x → 0``.
- :class:`ScaledSign` (Karimireddy et al. 2019): ``(‖x‖₁/d) sign(x)``, deterministic. With
  ``s`` non-zero entries its error ratio is exactly ``1 − (2 − s/d)‖x‖₁²/(d‖x‖²)`` (for x
  without zeros, ``1 − ‖x‖₁²/(d‖x‖²)``), at most ``1 − 1/d``: C(1/d). The supremum is
  approached at ``(1, ε, …, ε)``, ``ε → 0``; a one-hot x gives ``(1 − 1/d)²`` (``sign(0) = 0``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import sympy as sp

from ._base import ClassNotApplicableError, Compressor, row_norm

__all__ = ["Sign", "ScaledSign"]


class Sign(Compressor):
    """``sign(x)``: biased and in no class (omega and delta raise); ``d`` bits."""

    name = "sign"
    unbiased = False

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        return xp.sign(x)

    def _why(self) -> str:
        return (
            "sign(x) is not positively homogeneous: ||sign(x) - x||^2 / ||x||^2 grows without "
            "bound as x -> 0, so sign is in no class U(omega) or C(delta); use 'scaledsign' "
            "((||x||_1/d) sign(x), in C(1/d))"
        )

    def _omega(self, d: sp.Expr) -> sp.Expr:
        raise ClassNotApplicableError(self._why())

    def _delta(self, d: sp.Expr) -> sp.Expr:
        raise ClassNotApplicableError(self._why())

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return d


class ScaledSign(Compressor):
    """``(‖x‖₁/d) sign(x)``: C(1/d), deterministic; ``d + 32`` bits."""

    name = "scaledsign"
    unbiased = False

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        d = x.shape[-1]
        return xp.sign(x) * (row_norm(x, xp, 1.0) / x.dtype.type(d))

    def _delta(self, d: sp.Expr) -> sp.Expr:
        return 1 / d

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return d + 32
