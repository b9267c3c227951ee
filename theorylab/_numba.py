r"""Fused numba kernels for Rand-k: Floyd's sampler, gather, noise and scatter in one pass.

numba is the optional extra ``theorylab[fast]``. When it is importable these kernels are used
automatically (by :meth:`theorylab.compressors.RandK.sample_support`, ``RandK.__call__`` on
numpy arrays, and the DCSGD Rand-k step of :func:`theorylab.simulate.run_optimizer`); the
pure-numpy code is the fallback. ``THEORYLAB_NUMBA=0`` in the environment (read at each call)
or ``use_numba(False)`` forces the numpy path.

The mathematics is the same on both paths. Floyd's subsets are drawn from the same generator
outputs in the same order on both (the numpy sampler replays the compiled one:
:func:`theorylab.compressors.randk._bounded_stream`), and the DCSGD step of
:func:`theorylab.simulate.run_optimizer` draws the supports, then the noise, then applies
:func:`randk_apply` with the numpy path's rounding, so a seed gives the same result bit for bit
with and without numba. (:func:`randk_sgd_step` and :func:`randk_quad_step`, the single-pass
kernels that draw noise between the subsets, keep their own stream and are not used by the
simulation any more.)

- **Floyd's algorithm** (Bentley and Floyd, *Programming Pearls: a sample of brilliance*, CACM
  1987): for ``j = d−k, …, d−1`` draw ``t ~ U{0, …, j}`` and add ``t`` to the subset, or ``j`` if
  ``t`` is already in it. By induction on ``j`` the subset is uniform among the
  ``(j−d+k+1)``-subsets of ``{0, …, j}``, so every k-subset of ``{0, …, d−1}`` has probability
  ``1/C(d, k)``, from exactly ``k`` integers. Membership is a per-row *stamp* in one reused
  ``d``-vector (``mark[t] == stamp``), so no ``R·N·d`` table is built and nothing is cleared.
- **Bounded integers**: ``t ~ U{0, …, s−1}`` by Lemire's multiply-and-reject (Lemire 2019, *Fast
  random integer generation in an interval*, ACM TOMACS 29(1)): ``m`` uniform on ``[0, 2³²)``,
  ``p = m·s``; reject while ``p mod 2³² < (2³² − s) mod s``; return ``⌊p / 2³²⌋``. Exactly
  uniform. ``m`` is the top 32 bits of one 64-bit output of the generator's bit generator
  (``Generator.random()`` is ``(u64 >> 11)·2⁻⁵³``, so ``⌊2³² · random()⌋`` is ``u64 >> 32``).
- **Noise** is drawn inside the kernel with ``Generator.standard_normal()`` (numba's port of
  numpy's ziggurat on the same bit generator: the same numbers numpy would give, and the
  generator's state advances in Python too). Non-Gaussian noise is drawn in bulk by the caller
  and passed in.

All randomness comes from the caller's ``numpy.random.Generator``: a fixed seed gives the same
result on every run. No kernel allocates anything of the size of its data per step: callers
pass the output arrays and one ``int64`` marker of length ``d`` (:func:`marker`).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

__all__ = ["available", "enabled", "use_numba", "marker", "floyd_rows", "randk_dense", "randk_apply", "warm_up",
           "randk_sgd_step", "randk_quad_step", "standard_normal_fill", "add_normal", "add_normal_rows",
           "add_normal_agents", "topk_dense", "euler_diag", "euler_rank1",
           "euler_diag_quadratic", "quadratic_gap", "pairwise_sum", "pairwise_program", "ENV_VAR"]

ENV_VAR = "THEORYLAB_NUMBA"

_numba: Any
try:  # numba is optional (theorylab[fast])
    import numba as _numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    _numba = None

_FORCED: bool | None = None


def available() -> bool:
    """True when numba is importable."""
    return _numba is not None


def use_numba(flag: bool | None) -> None:
    """Force the numba kernels on (``True``, if importable) or off (``False``); ``None`` restores
    the default (on when importable, unless ``THEORYLAB_NUMBA=0``)."""
    global _FORCED
    _FORCED = None if flag is None else bool(flag)


def enabled() -> bool:
    """Whether the kernels are used now: numba importable, not switched off by :func:`use_numba`
    or by ``THEORYLAB_NUMBA=0`` (also ``false``/``no``/``off``)."""
    if _numba is None:
        return False
    if _FORCED is not None:
        return _FORCED
    return os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off")


def marker(d: int) -> np.ndarray:
    """A membership marker for :func:`floyd_rows` and friends: ``int64`` zeros of length ``d + 1``,
    reusable across calls (each row uses a new stamp, the stamp is kept in the last slot)."""
    return np.zeros(int(d) + 1, dtype=np.int64)


if _numba is not None:
    _njit = _numba.njit(cache=True, nogil=True)
    # inlined into the callers at numba's level: no call (and no array reference counting) per row
    _njit_inline = _numba.njit(cache=True, nogil=True, inline="always")

    _TWO32 = 4294967296.0
    _LOW = np.uint64(0xFFFFFFFF)

    @_njit
    def _bounded(rng: Any, s: Any) -> Any:  # pragma: no cover - compiled
        m = np.uint64(rng.random() * _TWO32)
        p = m * s
        low = p & _LOW
        if low < s:
            thr = (np.uint64(4294967296) - s) % s
            while low < thr:
                m = np.uint64(rng.random() * _TWO32)
                p = m * s
                low = p & _LOW
        return np.int64(p >> np.uint64(32))

    @_njit_inline
    def _floyd_next(rng: Any, d: Any, k: Any, i: Any, mark: np.ndarray, stamp: Any) -> Any:  # pragma: no cover
        # the i-th element of Floyd's k-subset: j = d − k + i, t ~ U{0..j}; j if t is already in it
        j = d - k + i
        t = _bounded(rng, np.uint64(j + 1))
        if mark[t] == stamp:
            t = j
        mark[t] = stamp
        return t

    @_njit
    def _floyd(rng: Any, d: np.int64, k: np.int64, mark: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
        stamp = mark[d] + 1
        mark[d] = stamp
        for i in range(k):
            out[i] = _floyd_next(rng, d, k, i, mark, stamp)

    @_njit
    def _floyd_rows(rng: Any, d: np.int64, k: np.int64, mark: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
        for r in range(out.shape[0]):
            _floyd(rng, d, k, mark, out[r])

    @_njit
    def _randk_dense(rng: Any, x: np.ndarray, k: np.int64, scale: float, mark: np.ndarray, idx: np.ndarray,
                     out: np.ndarray) -> None:  # pragma: no cover
        d = x.shape[1]
        for r in range(x.shape[0]):  # out is zero on entry
            _floyd(rng, d, k, mark, idx)
            for i in range(k):
                t = idx[i]
                out[r, t] = x[r, t] * scale

    @_njit_inline
    def _randk_row(rng: Any, xr: np.ndarray, gr: np.ndarray, tilts: np.ndarray, sigma: np.ndarray, z: np.ndarray,
                   r: np.int64, coef: np.ndarray, ks: np.ndarray, mark: np.ndarray) -> None:  # pragma: no cover
        # one replica's step: every agent a draws its subset (Floyd) and subtracts coef_a (g + b_a + Z) there
        d = xr.shape[0]
        n = sigma.shape[0]
        hetero = tilts.shape[0] > 0
        draw = z.shape[0] == 0
        for a in range(n):
            stamp = mark[d] + 1
            mark[d] = stamp
            s = sigma[a]
            c = coef[a]
            k = ks[a]
            for i in range(k):
                t = _floyd_next(rng, d, k, i, mark, stamp)
                if draw:
                    v = gr[t] + s * rng.standard_normal()
                else:
                    v = gr[t] + z[r, a, i]
                if hetero:
                    v += tilts[a, t]
                xr[t] -= c * v

    @_njit
    def _randk_sgd_step(rng: Any, x: np.ndarray, g: np.ndarray, tilts: np.ndarray, sigma: np.ndarray,
                        z: np.ndarray, coef: np.ndarray, ks: np.ndarray, mark: np.ndarray) -> None:  # pragma: no cover
        for r in range(x.shape[0]):
            _randk_row(rng, x[r], g[r], tilts, sigma, z, r, coef, ks, mark)

    @_njit
    def _randk_quad_step(rng: Any, x: np.ndarray, h: np.ndarray, b: np.ndarray, c: np.ndarray, tilts: np.ndarray,
                         sigma: np.ndarray, z: np.ndarray, coef: np.ndarray, ks: np.ndarray, mark: np.ndarray,
                         gbuf: np.ndarray, gap: np.ndarray, want_gap: bool, prog: np.ndarray) -> None:  # pragma: no cover
        d = x.shape[1]
        tbuf = np.empty(d)
        vals = np.empty(prog.shape[0] + 1)
        for r in range(x.shape[0]):
            xr = x[r]
            for j in range(d):  # the gradient at the iterate before the step (one sequential pass)
                gbuf[j] = h[j] * xr[j] - b[j]
            _randk_row(rng, xr, gbuf, tilts, sigma, z, r, coef, ks, mark)
            if want_gap:  # the row is still in cache: h_j (x_j − c_j)², summed in numpy's pairwise order
                for j in range(d):
                    e = xr[j] - c[j]
                    tbuf[j] = (h[j] * e) * e
                gap[r] = 0.5 * _pairwise(tbuf, prog, vals)

    @_njit
    def _randk_apply(x: np.ndarray, g: np.ndarray, h: np.ndarray, b: np.ndarray, idx: np.ndarray, z: np.ndarray,
                     zscale: np.ndarray, tilts: np.ndarray, eta: float, sn: float, acc: np.ndarray,
                     mark: np.ndarray) -> None:  # pragma: no cover
        # x_r ← x_r − η·((Σ_{a,i} e_t (g_t + z·s_a [+ b_{a,t}])) · sn), summed in (agent, slot) order from 0.0:
        # the rounding of the numpy fast path (gather, bincount, scale, subtract). Only the touched
        # coordinates change (elsewhere x − η·(0·sn) = x exactly); g_t = h_t x_t − b_t when h is given.
        d = x.shape[1]
        n = idx.shape[1]
        k = idx.shape[2]
        hetero = tilts.shape[0] > 0
        quad = h.shape[0] > 0
        for r in range(x.shape[0]):
            stamp = mark[d] + 1
            mark[d] = stamp + 1
            for a in range(n):
                s = zscale[a]
                for i in range(k):
                    t = idx[r, a, i]
                    if mark[t] != stamp:
                        mark[t] = stamp
                        acc[t] = 0.0
                    gt = h[t] * x[r, t] - b[t] if quad else g[r, t]
                    v = gt + z[r, a, i] * s
                    if hetero:
                        v += tilts[a, t]
                    acc[t] += v
            for a in range(n):
                for i in range(k):
                    t = idx[r, a, i]
                    if mark[t] == stamp:
                        mark[t] = stamp + 1
                        x[r, t] -= eta * (acc[t] * sn)

    @_njit
    def _normal_fill(rng: Any, out: np.ndarray) -> None:  # pragma: no cover
        flat = out.reshape(-1)
        for i in range(flat.shape[0]):
            flat[i] = rng.standard_normal()

    @_njit
    def _add_normal(rng: Any, g: np.ndarray, scales: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
        reps, n, d = out.shape
        for r in range(reps):
            for a in range(n):
                s = scales[a]
                for j in range(d):
                    out[r, a, j] = g[r, a, j] + s * rng.standard_normal()

    @_njit
    def _add_normal_rows(rng: Any, g: np.ndarray, scales: np.ndarray, rows: np.ndarray,
                         out: np.ndarray) -> None:  # pragma: no cover
        reps, n, d = out.shape
        for r in range(reps):
            for a in range(n):
                if rows[r, a]:
                    s = scales[a]
                    for j in range(d):
                        out[r, a, j] = g[r, a, j] + s * rng.standard_normal()
                else:
                    for j in range(d):
                        out[r, a, j] = g[r, a, j]

    @_njit_inline
    def _select(a: np.ndarray, kk: np.int64) -> float:  # pragma: no cover - compiled
        # Wirth's selection (Hoare partitioning, Wirth 1976, "Algorithms + Data Structures =
        # Programs", §2.3.4): the kk-th smallest of a (0-based), reordering a in place
        lo, hi = 0, a.shape[0] - 1
        while lo < hi:
            pivot = a[kk]
            i, j = lo, hi
            while i <= j:
                while a[i] < pivot:
                    i += 1
                while pivot < a[j]:
                    j -= 1
                if i <= j:
                    a[i], a[j] = a[j], a[i]
                    i += 1
                    j -= 1
            if j < kk:
                lo = i
            if kk < i:
                hi = j
        return a[kk]

    @_njit
    def _topk_rows(x: np.ndarray, k: np.int64, out: np.ndarray) -> None:  # pragma: no cover
        rows, d = x.shape
        mags = np.empty(d)
        for r in range(rows):
            for j in range(d):
                mags[j] = abs(x[r, j])
            t = _select(mags, d - k)  # the k-th largest magnitude
            above = 0
            for j in range(d):
                if abs(x[r, j]) > t:
                    above += 1
            need = k - above  # ties at t: the lowest indices first
            for j in range(d):
                m = abs(x[r, j])
                if m > t:
                    out[r, j] = x[r, j]
                elif m == t and need > 0:
                    out[r, j] = x[r, j]
                    need -= 1
                else:
                    out[r, j] = 0.0

    @_njit
    def _add_normal_agents(rng: Any, g: np.ndarray, scales: np.ndarray, agents: np.ndarray,
                           out: np.ndarray) -> None:  # pragma: no cover
        reps, m, d = out.shape
        for r in range(reps):
            for a in range(m):
                s = scales[agents[r, a]]
                for j in range(d):
                    out[r, a, j] = g[r, a, j] + s * rng.standard_normal()

    @_njit
    def _euler_diag(rng: Any, x: np.ndarray, g: np.ndarray, b: np.ndarray, bc: np.ndarray, dd: np.ndarray,
                    dc: np.ndarray, h: float, sq: float, dw: np.ndarray) -> None:  # pragma: no cover
        reps, d = x.shape
        bpoly = b.shape[0] == 0
        dpoly = dd.shape[0] == 0
        b0, b1, b2 = bc[0], bc[1], bc[2]
        d0, d1, d2 = dc[0], dc[1], dc[2]
        draw = dw.shape[0] == 0
        for r in range(reps):
            for j in range(d):
                v = g[r, j]
                bj = ((b2 * (v * v) + b1 * v) + b0) if bpoly else b[r, j]
                vj = ((d2 * (v * v) + d1 * v) + d0) if dpoly else dd[r, j]
                sj = np.sqrt(0.0 if vj < 0.0 else vj)  # sqrt(max(D, 0)); NaN stays NaN
                if draw:
                    w = rng.standard_normal() * sq
                else:
                    w = dw[r, j]
                x[r, j] = (x[r, j] + bj * h) + sj * w

    @_njit
    def _pairwise_leaf(a: np.ndarray, lo: np.int64, n: np.int64) -> float:  # pragma: no cover - compiled
        if n < 8:
            res = 0.0
            for i in range(lo, lo + n):
                res += a[i]
            return res
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = 8
        while i < n - n % 8:
            r0 += a[lo + i]
            r1 += a[lo + i + 1]
            r2 += a[lo + i + 2]
            r3 += a[lo + i + 3]
            r4 += a[lo + i + 4]
            r5 += a[lo + i + 5]
            r6 += a[lo + i + 6]
            r7 += a[lo + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res

    @_njit
    def _pairwise(a: np.ndarray, prog: np.ndarray, vals: np.ndarray) -> float:  # pragma: no cover - compiled
        # numpy's pairwise summation of a, by the post-order program of pairwise_program(len(a)):
        # pairs (lo, n) sum a leaf a[lo:lo+n], pairs (-1, -1) add the last two partial sums
        nv = 0
        for i in range(prog.shape[0]):
            n = prog[i, 1]
            if n >= 0:
                vals[nv] = _pairwise_leaf(a, prog[i, 0], n)
                nv += 1
            else:
                vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
                nv -= 1
        return vals[0]

    @_njit
    def _quad_gap(x: np.ndarray, lam: np.ndarray, fstar: float, out: np.ndarray, tbuf: np.ndarray,
                  prog: np.ndarray) -> None:  # pragma: no cover - compiled
        reps, d = x.shape
        vals = np.empty(prog.shape[0] + 1)
        for r in range(reps):
            for j in range(d):
                tbuf[j] = (lam[j] * x[r, j]) * x[r, j]
            out[r] = 0.5 * _pairwise(tbuf, prog, vals) - fstar

    @_njit
    def _euler_diag_quad(rng: Any, x: np.ndarray, lam: np.ndarray, bc: np.ndarray, dc: np.ndarray, h: float,
                         sq: float, dw: np.ndarray, nsub: np.int64, gaps: np.ndarray, fstar: float,
                         work: np.ndarray, prog: np.ndarray) -> None:  # pragma: no cover - compiled
        reps, d = x.shape
        vals = np.empty(prog.shape[0] + 1)
        b0, b1, b2 = bc[0], bc[1], bc[2]
        d0, d1, d2 = dc[0], dc[1], dc[2]
        draw = dw.shape[0] == 0
        wdraw = work[0]
        terms = work[1]
        e = 0
        for k in range(gaps.shape[0]):
            for s in range(nsub):
                for r in range(reps):
                    # the increments of this path first (the generator's loop), then one branch-free
                    # pass over the coordinates (vectorised by the compiler; same operations, so the
                    # same numbers)
                    if draw:
                        for j in range(d):
                            wdraw[j] = rng.standard_normal() * sq
                    else:
                        for j in range(d):
                            wdraw[j] = dw[e, r, j]
                    for j in range(d):
                        v = lam[j] * x[r, j]
                        bj = (b2 * (v * v) + b1 * v) + b0
                        vj = (d2 * (v * v) + d1 * v) + d0
                        sj = np.sqrt(0.0 if vj < 0.0 else vj)  # sqrt(max(D, 0)); NaN stays NaN
                        xn = (x[r, j] + bj * h) + sj * wdraw[j]
                        x[r, j] = xn
                        terms[j] = (lam[j] * xn) * xn
                    if s == nsub - 1:
                        gaps[k, r] = 0.5 * _pairwise(terms, prog, vals) - fstar
                e += 1

    @_njit
    def _euler_rank1(rng: Any, x: np.ndarray, g: np.ndarray, b: np.ndarray, bc: np.ndarray, dd: np.ndarray,
                     dc: np.ndarray, c: np.ndarray, h: float, sq: float, dw: np.ndarray, sbuf: np.ndarray,
                     ubuf: np.ndarray, wbuf: np.ndarray, dense: np.ndarray, lam: np.ndarray, gap: np.ndarray,
                     fstar: float, prog: np.ndarray) -> Any:  # pragma: no cover
        reps, d = x.shape
        vals = np.empty(prog.shape[0] + 1)
        quad = lam.shape[0] > 0
        want_gap = gap.shape[0] > 0
        bpoly = b.shape[0] == 0
        dpoly = dd.shape[0] == 0
        b0, b1, b2 = bc[0], bc[1], bc[2]
        d0, d1, d2 = dc[0], dc[1], dc[2]
        cconst = c.shape[0] == 1
        draw = dw.shape[0] == 0
        n_dense = 0
        tbuf = np.empty(d)
        for r in range(reps):
            # factor of this path: s = sqrt(max(D, 0)), u = g / s (0 where s = 0); the inner products
            # |u|² and u·ΔW are summed in numpy's pairwise order, the rest rounded as
            # NumericSDE.diffuse writes it: the same numbers
            need_dense = False
            for j in range(d):
                v = lam[j] * x[r, j] if quad else g[r, j]
                vj = ((d2 * (v * v) + d1 * v) + d0) if dpoly else dd[r, j]
                sj = np.sqrt(0.0 if vj < 0.0 else vj)
                sbuf[j] = sj
                pos = sj > 0.0
                u = v / sj if pos else 0.0
                ubuf[j] = u
                tbuf[j] = u * u
                need_dense |= (not pos) and v != 0.0
            if need_dense:  # D_j = 0 where g_j != 0: the caller uses the dense factor for this path
                dense[n_dense] = r
                n_dense += 1
                continue
            cr = c[0, 0] if cconst else c[r, 0]
            disc = 1.0 + cr * _pairwise(tbuf, prog, vals)
            if disc < -1e-9:
                return -1  # not positive semi-definite
            beta = cr / (1.0 + np.sqrt(0.0 if disc < 0.0 else disc))
            # G dw = s (dw + (beta u) (u . dw))
            if draw:
                for j in range(d):
                    wbuf[j] = rng.standard_normal() * sq
            else:
                for j in range(d):
                    wbuf[j] = dw[r, j]
            for j in range(d):
                tbuf[j] = ubuf[j] * wbuf[j]
            dot = _pairwise(tbuf, prog, vals)
            for j in range(d):
                v = lam[j] * x[r, j] if quad else g[r, j]
                bj = ((b2 * (v * v) + b1 * v) + b0) if bpoly else b[r, j]
                xn = (x[r, j] + bj * h) + sbuf[j] * (wbuf[j] + (beta * ubuf[j]) * dot)
                x[r, j] = xn
                tbuf[j] = (lam[j] * xn) * xn if want_gap else 0.0
            if want_gap:  # the gap of a diagonal quadratic
                gap[r] = 0.5 * _pairwise(tbuf, prog, vals) - fstar
        return n_dense


def warm_up() -> None:
    """Compile (or load from numba's on-disk cache, ``cache=True``) the Rand-k and noise kernels with
    tiny inputs, so that the first real call does not pay for it (``theorylab sweep`` does this once
    on the client, whose cache the LocalCluster's workers then read)."""
    if _numba is None:
        return
    rng = np.random.default_rng(0)
    x, idx = np.zeros((1, 2)), np.zeros((1, 1, 1), dtype=np.int64)
    floyd_rows(rng, 1, 2, 1, idx.reshape(-1, 1))
    z = standard_normal_fill(rng, np.empty((1, 1, 1)))
    randk_apply(x, np.zeros((1, 2)), idx, z, np.ones(1), np.zeros((0, 2)), 0.1, 1.0, np.empty(2), marker(2))
    randk_apply(x, None, idx, z, np.ones(1), np.zeros((0, 2)), 0.1, 1.0, np.empty(2), marker(2),
                quad=(np.ones(2), np.zeros(2)))
    randk_dense(rng, np.ones((1, 2)), 1, 2.0)
    add_normal(rng, np.zeros((1, 1, 2)), np.ones(1), np.empty((1, 1, 2)))
    add_normal_rows(rng, np.zeros((1, 1, 2)), np.ones(1), np.ones((1, 1), dtype=np.bool_), np.empty((1, 1, 2)))


def floyd_rows(rng: np.random.Generator, rows: int, d: int, k: int, out: np.ndarray | None = None,
               mark: np.ndarray | None = None) -> np.ndarray:
    """``rows`` independent uniform k-subsets of ``{0, …, d−1}`` (Floyd's algorithm, in the order
    drawn): ``int64 (rows, k)``. ``out``/``mark`` may be passed to reuse buffers."""
    out = np.empty((int(rows), int(k)), dtype=np.int64) if out is None else out
    mark = marker(d) if mark is None else mark
    _floyd_rows(rng, np.int64(d), np.int64(k), mark, out)
    return out


def randk_apply(x: np.ndarray, g: np.ndarray | None, idx: np.ndarray, z: np.ndarray, zscale: np.ndarray,
                tilts: np.ndarray, eta: float, sn: float, acc: np.ndarray, mark: np.ndarray,
                quad: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    r"""The DCSGD Rand-k update of the rows of ``x (R, d)`` in place, from drawn supports and noise:
    ``x_r ← x_r − η·((Σ_{a,i} e_{t} (g_{r,t} + z_{r,a,i}·s_a + b_{a,t})) · sn)`` with
    ``t = idx[r, a, i]``, summed in (agent, slot) order, i.e. with the rounding of the numpy fast
    path (``bincount`` of the gathered values, times ``scale/N``, times ``η``, subtracted). No random
    numbers are drawn here: the caller draws the supports (:func:`floyd_rows`) and then the noise,
    in the numpy path's order, so both paths give the same iterates bit for bit.

    ``g (R, d)``: the gradient, or None with ``quad = (h, b)`` (``∇f = h ⊙ x − b``, evaluated on the
    support only); ``idx (R, N, k)`` int64; ``z (R, N, k)`` standard noise; ``zscale (N,)``:
    per-agent ``σ_a/√B``; ``tilts (N, d)`` or ``(0, d)``; ``acc (d,)`` scratch; ``mark``:
    :func:`marker` ``(d)``."""
    h, b = quad if quad is not None else (_EMPTY1, _EMPTY1)
    _randk_apply(x, _EMPTY2 if g is None else g, h, b, idx, z, zscale, tilts, float(eta), float(sn), acc, mark)


def randk_dense(rng: np.random.Generator, x: np.ndarray, k: int, scale: float,
                out: np.ndarray | None = None) -> np.ndarray:
    """Rand-k applied to every row of ``x (..., d)`` (float64): ``scale · x_j`` on a uniform
    k-subset of each row, 0 elsewhere; a new array of the shape of ``x``, or ``out`` (C-contiguous
    float64 of that shape, not overlapping ``x``) overwritten and returned."""
    d = x.shape[-1]
    x2 = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, d)
    if out is None:
        out = np.zeros(x.shape)
    else:
        out.fill(0.0)
    _randk_dense(rng, x2, np.int64(k), float(scale), marker(d), np.empty(int(k), dtype=np.int64), out.reshape(-1, d))
    return out


def randk_sgd_step(rng: np.random.Generator, x: np.ndarray, g: np.ndarray, tilts: np.ndarray, sigma: np.ndarray,
                   z: np.ndarray, coef: np.ndarray, ks: np.ndarray, mark: np.ndarray) -> None:
    r"""One DCSGD step with Rand-k compressors, in place:
    ``x_r ← x_r − Σ_a coef_a Σ_{t∈S_{r,a}} (g_{r,t} + b_{a,t} + Z_{r,a,t}) e_t`` with ``S_{r,a}`` a
    uniform ``k_a``-subset (Floyd), independent across replicas ``r``, agents ``a`` and calls;
    ``coef_a = η·scale_a/N`` (``scale_a = d/k_a`` for scaled Rand-k).

    ``x, g``: ``(R, d)`` float64 C-contiguous (``g = ∇f(x)`` before the step); ``tilts``: ``(N, d)``
    (``b_a``), or ``(0, d)`` for homogeneous agents; ``sigma``: ``(N,)`` per-agent noise scales;
    ``z``: ``(R, N, max k)`` pre-drawn scaled noise (non-Gaussian laws; agent ``a`` uses the first
    ``k_a``) or ``(0, 0, 0)`` to draw ``sigma_a · N(0, 1)`` inside the kernel; ``coef``: ``(N,)``
    float64; ``ks``: ``(N,)`` int64, ``1 <= k_a <= d``; ``mark`` from :func:`marker`.
    """
    _randk_sgd_step(rng, x, g, tilts, sigma, z, coef, ks, mark)


_EMPTY1 = np.zeros(0)


def randk_quad_step(rng: np.random.Generator, x: np.ndarray, h: np.ndarray, b: np.ndarray, c: np.ndarray,
                    tilts: np.ndarray, sigma: np.ndarray, z: np.ndarray, coef: np.ndarray, ks: np.ndarray,
                    mark: np.ndarray, gbuf: np.ndarray, gap: np.ndarray | None) -> None:
    r""":func:`randk_sgd_step` on a quadratic with diagonal Hessian, with the gradient and the gap
    computed in the kernel: ``∇f(x) = h ⊙ x − b`` and ``f(x) − f* = ½ Σ_j h_j (x_j − c_j)²``.

    Per replica ``r``: ``g = h ⊙ x_r − b`` into ``gbuf (d,)`` (the iterate before the step, for
    every agent), the Rand-k step of :func:`randk_sgd_step` on ``x_r`` (the same random numbers in
    the same order, so the same iterates as ``randk_sgd_step`` with ``g = h ⊙ x − b``), then, when
    ``gap (R,)`` is given, ``gap_r = ½ Σ_j h_j (x_{r,j} − c_j)²`` at the new iterate, summed in
    the order of numpy's pairwise float64 sum (blocks of at most 128 terms in 8 interleaved partial
    sums; longer ranges split in two halves at a multiple of 8; :func:`pairwise_program`): with ``c = 0`` the value is
    ``0.5 * np.sum(h * x * x, axis=-1)`` bit for bit (the gap of a diagonal
    :class:`~theorylab.simulate.problems.Quadratic`), otherwise ``f − f*`` up to rounding. One
    replica's rows stay in cache from the gradient to the gap; the kernel allocates one ``d``-vector
    of terms per call, nothing of size ``R·d``.
    ``h, b, c``: ``(d,)`` float64; the other arguments as in :func:`randk_sgd_step`.
    """
    want = gap is not None
    _randk_quad_step(rng, x, h, b, c, tilts, sigma, z, coef, ks, mark, gbuf,
                     gap if gap is not None else _EMPTY1, want, pairwise_program(x.shape[1]))


def standard_normal_fill(rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """Fill the C-contiguous float64 ``out`` with standard normals: the same numbers, in the same
    order, as ``rng.standard_normal(out=out)`` (numba's port of numpy's ziggurat), faster."""
    _normal_fill(rng, out)
    return out


def add_normal(rng: np.random.Generator, g: np.ndarray, scales: np.ndarray, out: np.ndarray) -> np.ndarray:
    r"""``out[r, a, j] = g[r, a, j] + scales[a] · N_{r,a,j}`` with standard normals ``N`` drawn in C
    order: bit for bit what ``z = rng.standard_normal(out.shape); z *= scales[:, None]; z += g`` gives
    (the same numbers; ``s·N + g == g + s·N`` in IEEE arithmetic), in one pass and without the
    temporary. ``g``: float64 ``(R, N, d)``, any strides (a broadcast view is fine); ``scales``:
    float64 ``(N,)``; ``out``: C-contiguous float64 ``(R, N, d)``, may be ``g`` itself."""
    _add_normal(rng, g, scales, out)
    return out


def add_normal_rows(rng: np.random.Generator, g: np.ndarray, scales: np.ndarray, rows: np.ndarray,
                    out: np.ndarray) -> np.ndarray:
    r""":func:`add_normal` on the rows ``rows[r, a]`` (bool ``(R, N)``) only; ``out = g`` elsewhere.
    The normals are drawn in C order over the selected rows: bit for bit
    ``out[rows] = g[rows] + scales[a] · rng.standard_normal((rows.sum(), d))``."""
    _add_normal_rows(rng, g, scales, rows, out)
    return out


def add_normal_agents(rng: np.random.Generator, g: np.ndarray, scales: np.ndarray, agents: np.ndarray,
                      out: np.ndarray) -> np.ndarray:
    r""":func:`add_normal` on gathered rows: ``g``, ``out`` are ``(R, S, d)``, row ``(r, s)`` belongs to
    agent ``agents[r, s]`` (int64 ``(R, S)``) and gets ``scales[agents[r, s]] · N`` (``scales``:
    ``(N,)``). Normals drawn in C order: with ``agents`` ascending within each replica, bit for bit
    what :func:`add_normal_rows` gives on the full ``(R, N, d)`` batch with those rows selected."""
    _add_normal_agents(rng, g, scales, agents, out)
    return out


def topk_dense(x: np.ndarray, k: int, out: np.ndarray | None = None) -> np.ndarray:
    """Top-k on every row of ``x (..., d)`` (finite float64, as the compressors check): the k
    entries of largest magnitude kept, ties to the lowest index (the rule of
    :func:`theorylab.compressors.topk.topk_mask`, bit for bit), one compiled pass per row: Wirth's
    selection of the k-th largest magnitude in a reused ``d``-vector (no sort, no ``cumsum``)."""
    d = x.shape[-1]
    x2 = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, d)
    if out is None:
        out = np.empty(x.shape)
    _topk_rows(x2, np.int64(k), out.reshape(-1, d))
    return out


_NO_POLY = np.zeros(3)
_EMPTY1 = np.zeros(0)
_EMPTY2 = np.zeros((0, 0))
_EMPTY3 = np.zeros((0, 0, 0))
_EMPTY2 = np.zeros((0, 0))
_EMPTY1 = np.zeros(0)


def _values_or_poly(v: np.ndarray | None, cf: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if cf is not None:
        return _EMPTY2, np.ascontiguousarray(cf, dtype=np.float64)
    if v is None:
        raise ValueError("give the values or the polynomial coefficients")  # pragma: no cover - internal
    return v, _NO_POLY


def euler_diag(rng: np.random.Generator, x: np.ndarray, g: np.ndarray, b: np.ndarray | None, dd: np.ndarray | None,
               h: float, sq: float, dw: np.ndarray, bc: np.ndarray | None = None,
               dc: np.ndarray | None = None) -> None:
    r"""One Euler–Maruyama step of a diagonal SDE, in place: ``x ← (x + b h) + sqrt(max(D, 0)) ⊙ ΔW``.

    ``b``, ``D``: ``(R, d)`` values at ``g``, or None with ``bc``/``dc`` = ``(c0, c1, c2)``: the
    polynomial ``(c2 g² + c1 g) + c0``, evaluated in the kernel. ``ΔW`` is ``dw`` (``(R, d)``), or,
    when ``dw`` has shape ``(0, 0)``, ``sq · N(0, I)`` drawn in row-major order from ``rng``: the
    numbers ``rng.standard_normal((R, d)) * sq`` would give, with the same rounding.
    """
    b2, bc2 = _values_or_poly(b, bc)
    d2, dc2 = _values_or_poly(dd, dc)
    _euler_diag(rng, x, g, b2, bc2, d2, dc2, float(h), float(sq), dw)


def euler_rank1(rng: np.random.Generator, x: np.ndarray, g: np.ndarray, b: np.ndarray | None, dd: np.ndarray | None,
                c: np.ndarray, h: float, sq: float, dw: np.ndarray, sbuf: np.ndarray, ubuf: np.ndarray,
                wbuf: np.ndarray, dense: np.ndarray, bc: np.ndarray | None = None, dc: np.ndarray | None = None,
                lam: np.ndarray | None = None, gap: np.ndarray | None = None, fstar: float = 0.0) -> int:
    r"""One Euler–Maruyama step of ``dX = b dt + G dW`` with ``G Gᵀ = diag(D) + c g gᵀ``, in place,
    with the factor ``G = D^{1/2}(I + β u uᵀ)``, ``u = D^{-1/2} g``, ``β = c/(1 + √(1 + c‖u‖²))``
    (see :meth:`theorylab.symbolic.sde.NumericSDE.diffuse`):
    ``x ← (x + b h) + s ⊙ (ΔW + (β u)(u·ΔW))``, ``s = √max(D, 0)``, path by path with ``d``-vector
    buffers. The inner products ``‖u‖²`` and ``u·ΔW`` are summed in numpy's pairwise order
    (:func:`pairwise_program`) and every other operation is rounded in the order of
    :meth:`~theorylab.symbolic.sde.NumericSDE.diffuse`, so the step gives its numbers bit for bit
    (paths needing the dense factor aside).

    ``b``, ``D``, ``bc``, ``dc``, ``ΔW`` as in :func:`euler_diag`; ``c``: ``(R, 1)`` or ``(1, 1)``;
    ``sbuf, ubuf, wbuf (d,)`` work buffers; ``dense (R,)`` int64 receives the paths that need a
    dense factor (some ``D_j = 0`` where ``g_j ≠ 0``): those are left unchanged and draw nothing.
    Returns their number, or −1 if some ``1 + c‖u‖² < −1e-9`` (not positive semi-definite; ``x``
    is then partly updated).

    Diagonal quadratics ``f(x) = ½ Σ_j λ_j x_j² + f* `` (``lam`` = ``λ``, ``(d,)``): ``g = λ ⊙ x`` is
    computed in the kernel (pass any ``g``, e.g. ``(0, 0)``), and with ``gap`` (``(R,)``) the kernel
    also writes ``f(x) − f*`` of every updated path after the step, as :func:`quadratic_gap`.
    """
    b2, bc2 = _values_or_poly(b, bc)
    d2, dc2 = _values_or_poly(dd, dc)
    c2 = c if c.ndim == 2 else c.reshape(1, 1)
    lam2 = _EMPTY1 if lam is None else lam
    if lam is None and gap is not None:
        raise ValueError("the gap is computed in the kernel only for a diagonal quadratic (lam)")  # pragma: no cover
    gap2 = _EMPTY1 if gap is None else gap
    prog = pairwise_program(x.shape[1])
    return int(_euler_rank1(rng, x, g, b2, bc2, d2, dc2, c2, float(h), float(sq), dw, sbuf, ubuf, wbuf, dense,
                            lam2, gap2, float(fstar), prog))


@functools.lru_cache(maxsize=64)
def _program(n: int) -> np.ndarray:
    ops: list[tuple[int, int]] = []

    def walk(lo: int, m: int) -> None:
        if m <= 128:
            ops.append((lo, m))
            return
        m2 = m // 2
        m2 -= m2 % 8
        walk(lo, m2)
        walk(lo + m2, m - m2)
        ops.append((-1, -1))

    walk(0, n)
    out = np.array(ops, dtype=np.int64).reshape(-1, 2)
    out.flags.writeable = False
    return out


def pairwise_program(n: int) -> np.ndarray:
    """numpy's pairwise summation order for a contiguous run of ``n`` values, as a post-order program
    ``(ops, 2)`` int64: ``(lo, m)`` sums the block ``a[lo:lo+m]`` (``m <= 128``: one accumulator for
    ``m < 8``, else 8 accumulators over the multiple of 8, combined as ``((r0+r1)+(r2+r3)) +
    ((r4+r5)+(r6+r7))``, then the rest one by one); ``(-1, -1)`` adds the last two partial sums. A
    run longer than 128 is split at ``m/2`` rounded down to a multiple of 8 and the halves added."""
    return _program(int(n))


def pairwise_sum(a: np.ndarray) -> float:
    """Sum of the contiguous float64 vector ``a`` in numpy's pairwise order (blocks of at most 128
    summed with 8 accumulators, halves split at multiples of 8), so equal to ``np.sum(a)`` bit for
    bit for the numpy versions that use that order (the SDE integrator checks it before relying
    on it)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    prog = pairwise_program(a.shape[0])
    return float(_pairwise(a, prog, np.empty(prog.shape[0] + 1)))


def quadratic_gap(x: np.ndarray, lam: np.ndarray, fstar: float, out: np.ndarray | None = None) -> np.ndarray:
    r"""``f(x) − f*`` for ``f(x) = ½ Σ_j λ_j x_j² + f*``, per row of ``x (R, d)``: the numbers of
    ``0.5 * np.sum(lam * x * x, axis=-1) − f*`` (products rounded in that order, the row summed in
    numpy's pairwise order, :func:`pairwise_sum`)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty(x.shape[0]) if out is None else out
    _quad_gap(x, np.ascontiguousarray(lam, dtype=np.float64), float(fstar), out, np.empty(x.shape[1]),
              pairwise_program(x.shape[1]))
    return out


def euler_diag_quadratic(rng: np.random.Generator, x: np.ndarray, lam: np.ndarray, bc: np.ndarray, dc: np.ndarray,
                         h: float, sq: float, dw: np.ndarray, substeps: int, gaps: np.ndarray, fstar: float,
                         work: np.ndarray | None = None) -> None:
    r"""``K = len(gaps)`` steps of ``substeps`` Euler–Maruyama steps each of a diagonal SDE on a
    diagonal quadratic ``f(x) = ½ Σ_j λ_j x_j² + f*``, in place, with no Python between steps:
    per Euler step ``g = λ ⊙ x``, ``x ← (x + b(g) h) + √max(D(g), 0) ⊙ ΔW`` with the polynomials
    ``b, D`` of coefficients ``bc, dc`` (as in :func:`euler_diag`); after the last substep of step
    ``k``, ``gaps[k] = f(x) − f*`` per path (as :func:`quadratic_gap`).

    ``ΔW``: ``dw`` of shape ``(K·substeps, R, d)``, or ``sq · N(0, I)`` drawn in row-major order
    from ``rng`` when ``dw`` has shape ``(0, 0, 0)``: step by step the numbers (and the rounding) of
    :func:`euler_diag`, and of ``K·substeps`` calls of it. ``gaps``: ``(K, R)`` C-contiguous;
    ``work``: ``(2, d)`` work buffer (allocated when None).
    """
    work = np.empty((2, x.shape[1])) if work is None else work
    _euler_diag_quad(rng, x, lam, np.ascontiguousarray(bc, dtype=np.float64),
                     np.ascontiguousarray(dc, dtype=np.float64), float(h), float(sq), dw, np.int64(substeps), gaps,
                     float(fstar), work, pairwise_program(x.shape[1]))
