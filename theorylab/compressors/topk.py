"""Top-k: keep the k entries of largest magnitude (docs/theory.md#compressor-catalogue).

``‖C(x) − x‖²`` is the sum of the ``d − k`` smallest ``x_j²``, at most ``(1 − k/d)‖x‖²``
(equality for a constant vector): C(k/d), deterministic, biased.

Ties: among entries whose ``|x_j|`` equals the k-th largest magnitude, the ones with the
lowest index are kept. With numba (numpy float64 input) one compiled pass per row selects the
k-th largest magnitude (Wirth's selection) and applies the same rule: the same result. Otherwise
the rule is vectorised without a sort of whole rows: the k-th
largest magnitude ``t`` comes from ``partition``; entries with ``|x_j| > t`` are kept, and
of those with ``|x_j| = t`` the first ``k − #{|x_j| > t}`` (by a cumulative count).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import sympy as sp

from .. import _numba
from ..errors import InvalidParameterError
from ._base import Compressor, ceil_log2, positive_int

__all__ = ["TopK", "topk_mask"]


def topk_mask(score: Any, k: int, xp: ModuleType) -> Any:
    """Boolean mask of the k largest ``score`` per row, ties to the lowest index."""
    d = score.shape[-1]
    t = xp.partition(score, d - k, axis=-1)[..., d - k : d - k + 1]  # k-th largest
    above = score > t
    tie = score == t
    need = k - above.sum(axis=-1, keepdims=True)
    return above | (tie & (xp.cumsum(tie, axis=-1) <= need))


class TopK(Compressor):
    """Keep the k largest ``|x_j|`` (ties: lowest index first): C(k/d), deterministic.

    ``bits(d) = 32k + min(k⌈log₂ d⌉, d)`` (values, then indices or a bit mask).
    """

    name = "topk"
    params = ("k",)
    unbiased = False

    def __init__(self, k: int) -> None:
        self.k = positive_int("k", k)

    def _check_dim(self, d: int) -> None:
        if self.k > d:
            raise InvalidParameterError(f"{self.spec}: k = {self.k} must be <= d = {d}")

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        if xp is np and x.dtype == np.float64 and x.ndim >= 1 and x.size and _numba.enabled():
            return _numba.topk_dense(x, self.k)  # one compiled selection per row, the same result
        mask = topk_mask(xp.abs(x), self.k, xp)
        return xp.where(mask, x, xp.zeros((), dtype=x.dtype))

    def _delta(self, d: sp.Expr) -> sp.Expr:
        return sp.Integer(self.k) / d

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return 32 * self.k + sp.Min(self.k * ceil_log2(d), d)
