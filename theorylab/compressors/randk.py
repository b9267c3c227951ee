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
  minimum a k-subset needs, instead of ``d`` keys. The Python loop is over the ``k`` steps.

With numba installed (``theorylab[fast]``) both ``sample_support`` and ``C(x)`` on numpy arrays run
Floyd's algorithm in one compiled pass per row (``theorylab._numba``: a reused ``d``-marker,
Lemire's exact bounded integers), for every ``k``; ``THEORYLAB_NUMBA=0`` restores the numpy
samplers above. On a ``numpy.random.Generator`` the numpy Floyd consumes the generator's 64-bit
outputs in the compiled sampler's order, with the same bounded-integer rule
(:func:`_bounded_stream`), so both paths draw the same subsets for the same seed, bit for bit, and
``C(x)`` and ``sample_support`` use it for every ``k`` (a cupy generator keeps the key partition
for ``k > d/2``).
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


_LOW32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)


def _bounded_stream(bitgen: Any, s: np.ndarray) -> np.ndarray:
    """``t_p ~ U{0, …, s_p − 1}`` for every position ``p`` of ``s`` (uint64, ``1 ≤ s_p ≤ 2³²``), by
    Lemire's multiply-and-reject, consuming the bit generator's 64-bit outputs exactly as the
    compiled sampler does (``theorylab._numba``): position after position, one output per try
    (its top 32 bits ``m``, ``p = m·s``, rejected while ``p mod 2³² < (2³² − s) mod s``), so the
    same seed gives the same integers on both paths. Vectorised: a block of as many outputs as
    positions remain is drawn; everything before the first rejection is kept, the outputs after
    it are reused for the positions that follow (never more outputs are drawn than are used)."""
    n = s.shape[0]
    out = np.empty(n, dtype=np.int64)
    pos = 0
    buf = np.empty(0, dtype=np.uint64)
    while pos < n:
        need = n - pos
        if buf.shape[0] < need:
            buf = np.concatenate([buf, bitgen.random_raw(need - buf.shape[0])])
        sp_ = s[pos:pos + buf.shape[0]]
        p = (buf >> np.uint64(32)) * sp_
        low = p & _LOW32
        bad = low < ((_TWO32 - sp_) % sp_)  # a rejection needs low < s first; the threshold is < s
        if not bad.any():
            out[pos:] = (p >> np.uint64(32)).astype(np.int64)
            break
        f = int(np.argmax(bad))
        out[pos:pos + f] = (p[:f] >> np.uint64(32)).astype(np.int64)
        pos += f
        buf = buf[f + 1:]  # the rejected output is spent; the rest belong to this position onwards
    return out


def _floyd(batch_shape: tuple[int, ...], d: int, k: int, rng: Any, xp: ModuleType) -> Any:
    """Floyd's uniform k-subset of ``{0, …, d−1}`` for every row of ``batch_shape``: ``(*batch_shape, k)``.

    On a ``numpy.random.Generator`` the integers are drawn row after row (row ``r``'s k steps, then
    row ``r + 1``'s) by :func:`_bounded_stream`, the order of the compiled sampler, so the subsets
    are the same as with numba, bit for bit. Membership is one flat boolean table of ``rows·d``
    entries; each of the k steps gathers and scatters (all rows at once).
    """
    rows = int(np.prod(batch_shape, dtype=np.int64))
    require_rng(rng)
    base = xp.arange(rows, dtype=xp.int64) * d
    taken = xp.zeros(rows * d, dtype=bool)
    out = xp.empty((k, rows), dtype=xp.int64)
    raw = None
    if xp is np and isinstance(rng, np.random.Generator):
        bounds = np.tile(np.arange(d - k + 1, d + 1, dtype=np.uint64), rows)
        raw = _bounded_stream(rng.bit_generator, bounds).reshape(rows, k).T
    for i in range(k):
        j = d - k + i
        draw = raw[i] if raw is not None else rng.integers(0, j + 1, size=rows)
        t = xp.asarray(draw, dtype=xp.int64) + base
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
        if xp is np and isinstance(rng, np.random.Generator):  # Floyd's subsets, as the compiled path draws them
            batch = x.shape[:-1]
            idx = _floyd(batch, d, self.k, rng, np).reshape(-1, self.k)
            x2 = np.ascontiguousarray(x).reshape(-1, d)
            out = np.zeros(x2.shape, dtype=x.dtype)
            rr = np.arange(x2.shape[0])[:, None]
            out[rr, idx] = x2[rr, idx] * self._scale(d)
            return out.reshape(x.shape)
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
        if 2 * k > d and not (xp is np and isinstance(rng, np.random.Generator)):
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
