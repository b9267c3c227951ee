"""One seed, one result: the compiled (numba) and numpy paths draw the same Rand-k subsets and
give the same iterates, bit for bit (so a sweep cell computed on a worker with numba equals the
same cell on a worker without it).

Each check compares ``THEORYLAB_NUMBA`` on and off (``use_numba``) with exact equality. The
planted bugs: the former numpy sampler (one ``rng.integers`` per Floyd step, over all rows)
gives other subsets, and a bounded-integer sampler that ignores Lemire's rejection differs from
the compiled one on a stream that holds a rejected output.
"""

from __future__ import annotations

import numpy as np
import pytest

from theorylab import _numba
from theorylab.compressors import RandK, RandKUnscaled
from theorylab.compressors.randk import _bounded_stream, _floyd
from theorylab.simulate import problems as P
from theorylab.simulate.algorithms import run_algorithm
from theorylab.simulate.noise import Noise
from theorylab.simulate.optimizers import run_optimizer

pytestmark = pytest.mark.skipif(not _numba.available(), reason="needs numba for the compiled path")


def _both(fn):
    out = []
    try:
        for flag in (True, False):
            _numba.use_numba(flag)
            out.append(fn())
    finally:
        _numba.use_numba(None)
    return out


def _same_trajectory(a, b) -> None:
    ta, tb = a.trajectory, b.trajectory
    for name in ("steps", "values", "block_sums", "block_counts", "alive"):
        va, vb = getattr(ta, name), getattr(tb, name)
        assert np.array_equal(va, vb, equal_nan=True), (name, a.path, b.path)


@pytest.mark.parametrize("d,k,rows", [(10, 3, 40), (20, 20, 7), (300, 7, 25), (5, 1, 9), (30, 29, 6)])
def test_floyd_subsets_and_generator_state_equal_the_compiled_sampler(d, k, rows) -> None:
    for seed in range(3):
        a = _numba.floyd_rows(np.random.default_rng(seed), rows, d, k)
        rng = np.random.default_rng(seed)
        b = _floyd((rows,), d, k, rng, np)
        assert np.array_equal(a, b)
        r2 = np.random.default_rng(seed)
        _numba.floyd_rows(r2, rows, d, k)
        assert rng.bit_generator.state == r2.bit_generator.state  # the same outputs consumed
    x = np.random.default_rng(1).standard_normal((3, rows, d))
    for cls in (RandK, RandKUnscaled):
        a, b = _both(lambda: cls(k)(x, np.random.default_rng(4)))
        assert np.array_equal(a, b)
        s1, s2 = _both(lambda: cls(k).sample_support((3, rows), d, np.random.default_rng(4)))
        assert np.array_equal(s1, s2)


def test_the_former_numpy_sampler_gives_other_subsets() -> None:
    """Planted bug: Floyd vectorised step by step with ``rng.integers`` (the stream order before)."""
    d, k, rows = 50, 5, 20
    rng = np.random.default_rng(3)
    base = np.arange(rows) * d
    taken = np.zeros(rows * d, dtype=bool)
    old = np.empty((k, rows), dtype=np.int64)
    for i in range(k):
        j = d - k + i
        t = rng.integers(0, j + 1, size=rows) + base
        pick = np.where(taken[t], base + j, t)
        taken[pick] = True
        old[i] = pick - base
    assert not np.array_equal(old.T, _numba.floyd_rows(np.random.default_rng(3), rows, d, k))


class _Stream:
    """A bit generator stand-in that hands out given 64-bit outputs (``random_raw``)."""

    def __init__(self, values: list[int]) -> None:
        self.values = np.array(values, dtype=np.uint64)
        self.pos = 0

    def random_raw(self, n: int) -> np.ndarray:
        out = self.values[self.pos:self.pos + n]
        assert out.shape[0] == n, "drew more outputs than the sequential sampler would"
        self.pos += n
        return out


def _lemire_sequential(values: list[int], s: list[int]) -> tuple[list[int], int]:
    """The compiled ``_bounded``, one position at a time (reference)."""
    out, i = [], 0
    for b in s:
        while True:
            m = values[i] >> 32
            i += 1
            p = m * b
            low = p & 0xFFFFFFFF
            if not (low < b and low < (2**32 - b) % b):
                out.append(p >> 32)
                break
    return out, i


def test_bounded_stream_replays_lemire_rejections_like_the_compiled_sampler() -> None:
    s = [7, 7, 3, 7, 5]
    # m = 0 gives low = 0 < (2^32 - s) mod s (= 4 for s = 7): the second output is rejected
    values = [0xDEADBEEF_00000000, 0, 0x12345678_9ABCDEF0, 0xFFFFFFFF_FFFFFFFF, 0x80000000_00000000,
              0x40000000_00000000]
    want, used = _lemire_sequential(values, s)
    assert used == 6
    stream = _Stream(values)
    got = _bounded_stream(stream, np.array(s, dtype=np.uint64))
    assert got.tolist() == want and stream.pos == used
    # planted bug: ignoring the rejection shifts every later integer
    naive = [(v >> 32) * b >> 32 for v, b in zip(values, s)]
    assert naive != want


CASES = {
    "quadratic, gaussian": (lambda: P.quadratic(10, 4, mu=0.5, L=2.0), (float("inf"), (1.0,), 1), "randk:k=3"),
    "heterogeneous, per-agent sigma, k = d": (lambda: P.quadratic(10, 4, mu=0.5, L=2.0, hetero=0.5),
                                              (float("inf"), (1.0, 0.5, 2.0, 1.0), 2), "randk:k=10"),
    "sin-PL, student t, unscaled": (lambda: P.sin_pl(8, 3, hetero=0.3), (5.0, (1.0,), 1), "randk_unscaled:k=2"),
    "per-agent compressors": (lambda: P.quadratic(6, 2), (float("inf"), (1.0,), 1), ["randk:k=2", "randk:k=3"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_dcsgd_randk_is_bit_identical_with_and_without_numba(case) -> None:
    make, noise_args, comp = CASES[case]
    problem, noise = make(), Noise(*noise_args)
    a, b = _both(lambda: run_optimizer("dcsgd", problem, noise, eta=0.05, steps=120, replicas=30, compressor=comp,
                                       seed=11))
    if "per-agent" not in a.path:  # the compiled step really ran on one side, numpy on the other
        assert (a.path, b.path) == ("rand-k fused kernel (numba)", "rand-k fast path")
    _same_trajectory(a, b)
    c = run_optimizer("dcsgd", problem, noise, eta=0.05, steps=120, replicas=30, compressor=comp, seed=11,
                      fast="numpy")
    _same_trajectory(a, c)


@pytest.mark.parametrize("method", ["ef14", "ef21", "diana", "marina"])
def test_algorithms_with_randk_are_bit_identical_with_and_without_numba(method) -> None:
    problem, noise = P.quadratic(8, 3, mu=0.5, L=2.0, hetero=0.2), Noise(float("inf"), (1.0,), 1)
    a, b = _both(lambda: run_algorithm(method, problem, noise, eta=0.05, steps=60, replicas=20,
                                       compressor="randk:k=2", seed=5))
    _same_trajectory(a, b)
