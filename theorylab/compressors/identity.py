"""The identity compressor ``C(x) = x``: U(0) and C(1), 32 bits per entry."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import sympy as sp

from ._base import Compressor

__all__ = ["Identity"]


class Identity(Compressor):
    """``C(x) = x`` (no compression): U(0), C(1), ``32 d`` bits."""

    name = "identity"
    unbiased = True

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        return x.copy()

    def _omega(self, d: sp.Expr) -> sp.Expr:
        return sp.Integer(0)

    def _delta(self, d: sp.Expr) -> sp.Expr:
        return sp.Integer(1)

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return 32 * d
