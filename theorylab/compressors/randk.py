"""Rand-k: keep a uniformly random k-subset of the coordinates (docs/theory.md#compressor-catalogue).

- :class:`RandK` (scaled): ``C(x) = (d/k) Σ_{j∈S} x_j e_j``, ``S`` a uniform k-subset.
  ``E[C(x)] = x`` and ``E‖C(x) − x‖² = (d/k − 1)‖x‖²`` for *every* x: U(d/k − 1), tight.
- :class:`RandKUnscaled`: ``C(x) = Σ_{j∈S} x_j e_j``; ``E‖C(x) − x‖² = (1 − k/d)‖x‖²``:
  C(k/d), tight.

Each row draws its own subset, with no Python loop over rows:

- ``C(x)`` on a dense input draws ``d`` uniform keys per row and keeps the k
  smallest (``partition`` along the last axis). Ties between float64 keys have probability
  about ``d²·2⁻⁵³`` per row and are ignored.
- ``sample_support`` (indices only, used by the simulation's fast path) runs
  Floyd's algorithm, batched over rows: for ``j = d−k, …, d−1`` draw ``t ~ U{0, …, j}`` and add
  ``t`` to the subset, or ``j`` if ``t`` is already in it. Every k-subset comes out with
  probability ``1/C(d, k)`` (Floyd's induction: after step ``j`` the subset is uniform among the
  ``(j−d+k+1)``-subsets of ``{0, …, j}``), from exactly ``k`` random integers per row, the
  minimum a k-subset needs, instead of ``d`` keys. The Python loop is over the ``k`` steps; for
  ``k > d/2`` the key partition is cheaper and is used instead.

With numba installed (``theorylab[fast]``) both ``sample_support`` and ``C(x)`` on numpy arrays run
Floyd's algorithm in one compiled pass per row (``theorylab._numba``: a reused ``d``-marker,
Lemire's exact bounded integers), for every ``k``; ``THEORYLAB_NUMBA=0`` restores the numpy
samplers above. Same law (uniform k-subsets, independent rows), different random stream.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import sympy as sp

from .. import _numba
from ..backend import get_xp
from ..errors import InvalidParameterError
from ._base import Compressor, ceil_log2, positive_int, require_rng, rng_uniform

__all__ = ["RandK", "RandKUnscaled"]


def _support_mask(keys: Any, k: int, xp: ModuleType) -> Any:
    kth = xp.partition(keys, k - 1, axis=-1)[..., k - 1 : k]
    return keys <= kth


def _floyd(batch_shape: tuple[int, ...], d: int, k: int, rng: Any, xp: ModuleType) -> Any:
    """Floyd's uniform k-subset of ``{0, …, d−1}`` for every row of ``batch_shape``: ``(*batch_shape, k)``.

    Membership is one flat boolean table of ``rows·d`` entries; each of the k steps draws one
    integer per row, gathers, and scatters (all rows at once).
    """
    rows = int(np.prod(batch_shape, dtype=np.int64))
    require_rng(rng)
    base = xp.arange(rows, dtype=xp.int64) * d
    taken = xp.zeros(rows * d, dtype=bool)
    out = xp.empty((k, rows), dtype=xp.int64)
    for i in range(k):
        j = d - k + i
        t = xp.asarray(rng.integers(0, j + 1, size=rows), dtype=xp.int64) + base
        pick = xp.where(taken[t], base + j, t)
        taken[pick] = True
        out[i] = pick
    out -= base
    return xp.ascontiguousarray(out.T).reshape(*batch_shape, k)


class _RandKBase(Compressor):
    params = ("k",)

    def __init__(self, k: int) -> None:
        self.k = positive_int("k", k)

    def _check_dim(self, d: int) -> None:
        if self.k > d:
            raise InvalidParameterError(f"{self.spec}: k = {self.k} must be <= d = {d}")

    def _scale(self, d: int) -> float:
        return 1.0

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        d = x.shape[-1]
        if xp is np and isinstance(rng, np.random.Generator) and x.dtype == np.float64 and _numba.enabled():
            return _numba.randk_dense(rng, x, self.k, self._scale(d))
        mask = _support_mask(rng_uniform(rng, x.shape, xp), self.k, xp)
        return xp.where(mask, x * self._scale(d), xp.zeros((), dtype=x.dtype))

    def sample_support(self, batch_shape: tuple[int, ...], d: int, rng: Any) -> Any:
        """Indices of the kept coordinates: int array ``(*batch_shape, k)``, each row a
        uniform k-subset of ``{0, …, d−1}`` (in no particular order), drawn from ``rng``."""
        d, k = int(d), self.k
        self._check_dim(d)
        batch_shape = tuple(int(b) for b in batch_shape)
        xp = get_xp("cupy") if type(rng).__module__.startswith("cupy") else np
        if xp is np and isinstance(rng, np.random.Generator) and _numba.enabled():
            rows = int(np.prod(batch_shape, dtype=np.int64))
            return _numba.floyd_rows(rng, rows, d, k).reshape(*batch_shape, k)
        if 2 * k > d:
            keys = rng_uniform(rng, (*batch_shape, d), xp)
            return xp.argpartition(keys, k - 1, axis=-1)[..., :k]
        return _floyd(batch_shape, d, k, rng, xp)

    def _bits(self, d: sp.Expr) -> sp.Expr:
        # k fp32 values and k indices of ceil(log2 d) bits (32k alone with a shared seed)
        return 32 * self.k + self.k * ceil_log2(d)


class RandK(_RandKBase):
    """Scaled Rand-k, ``(d/k) Σ_{j∈S} x_j e_j``: unbiased, U(d/k − 1) with equality for every x.

    ``scale(d) = d/k`` and :meth:`sample_support` let a simulation draw noise only on the kept
    coordinates.
    """

    name = "randk"
    unbiased = True

    def scale(self, d: int) -> float:
        """The factor ``d/k`` applied to the kept coordinates."""
        self._check_dim(int(d))
        return int(d) / self.k

    def _scale(self, d: int) -> float:
        return d / self.k

    def _omega(self, d: sp.Expr) -> sp.Expr:
        return d / sp.Integer(self.k) - 1


class RandKUnscaled(_RandKBase):
    """Unscaled Rand-k, ``Σ_{j∈S} x_j e_j``: biased, C(k/d) with equality for every x."""

    name = "randk_unscaled"
    unbiased = False

    def scale(self, d: int) -> float:
        """The factor (1) applied to the kept coordinates."""
        self._check_dim(int(d))
        return 1.0

    def _delta(self, d: sp.Expr) -> sp.Expr:
        return sp.Integer(self.k) / d
