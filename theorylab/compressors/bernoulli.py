"""Bernoulli(p) sparsification: ``C(x)_j = x_j ξ_j / p``, ``ξ_j ~ Bern(p)`` iid (docs/theory.md, compressor table).

``E[C(x)] = x`` and ``E‖C(x) − x‖² = (1/p − 1)‖x‖²`` for every x: U(1/p − 1), tight.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import sympy as sp

from ._base import Compressor, ceil_log2, probability, rng_uniform

__all__ = ["Bernoulli"]


class Bernoulli(Compressor):
    """Keep each coordinate independently with probability ``p`` and scale it by ``1/p``.

    U(1/p − 1), tight for every x. ``bits(d)`` is the *expected* count: ``32 p d`` value bits
    plus the cheaper of a d-bit mask and ``p d ⌈log₂ d⌉`` index bits.
    """

    name = "bernoulli"
    params = ("p",)
    unbiased = True

    def __init__(self, p: float) -> None:
        self.p = probability("p", p)

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        keep = rng_uniform(rng, x.shape, xp) < self.p
        return xp.where(keep, x / x.dtype.type(self.p), xp.zeros((), dtype=x.dtype))

    def _omega(self, d: sp.Expr) -> sp.Expr:
        return 1 / sp.nsimplify(self.p) - 1

    def _bits(self, d: sp.Expr) -> sp.Expr:
        p = sp.nsimplify(self.p)
        return 32 * p * d + sp.Min(d, p * d * ceil_log2(d))
