"""TernGrad without clipping (Wen et al. 2017; docs/theory.md).

``C(x)_j = ‖x‖_∞ sign(x_j) b_j``, ``b_j ~ Bern(|x_j|/‖x‖_∞)`` independent. Unbiased, and
``E‖C(x) − x‖² = ‖x‖_∞‖x‖₁ − ‖x‖²``. The ratio ``‖x‖_∞‖x‖₁/‖x‖² − 1`` is largest at
``x = (1, ε, …, ε)``, ``ε = 1/(√d + 1)``, where it equals ``(√d − 1)/2``: U((√d − 1)/2), tight.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import sympy as sp

from ._base import Compressor, rng_uniform

__all__ = ["TernGrad"]


class TernGrad(Compressor):
    """Ternary stochastic quantisation by the max-norm: U((√d − 1)/2), tight.

    ``bits(d) = 32 + 2d`` (the scale, then a ternary digit per entry in 2 bits).
    """

    name = "terngrad"
    unbiased = True

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        a = xp.abs(x)
        m = a.max(axis=-1, keepdims=True)
        u = a / xp.where(m > 0, m, xp.ones((), dtype=x.dtype))
        b = rng_uniform(rng, x.shape, xp) < u
        return xp.where(b, xp.sign(x) * m, xp.zeros((), dtype=x.dtype))

    def _omega(self, d: sp.Expr) -> sp.Expr:
        return (sp.sqrt(d) - 1) / 2

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return 32 + 2 * d
