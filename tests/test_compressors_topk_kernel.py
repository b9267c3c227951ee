"""The compiled Top-k (``theorylab._numba.topk_dense``, used by ``TopK`` on numpy float64 with numba)
gives exactly the numpy rule's result: the k largest magnitudes, ties to the lowest index."""

from __future__ import annotations

import numpy as np
import pytest

from theorylab import _numba
from theorylab.compressors import from_spec

pytestmark = pytest.mark.skipif(not _numba.available(), reason="numba is not installed (the fast extra)")


def _both(c, x):  # type: ignore[no-untyped-def]
    out = []
    for flag in (True, False):
        _numba.use_numba(flag)
        try:
            out.append(c(x, np.random.default_rng(0)))
        finally:
            _numba.use_numba(None)
    return out


@pytest.mark.parametrize("shape,k", [((40, 4, 20), 5), ((30, 1000), 250), ((25, 7), 3), ((9, 1), 1), ((12, 9), 9),
                                     ((6,), 2)])
@pytest.mark.parametrize("data", ["normal", "ties", "zeros"])
def test_compiled_topk_equals_the_numpy_rule(shape, k: int, data: str) -> None:
    rng = np.random.default_rng(1)
    x = {"normal": rng.standard_normal(shape), "ties": rng.integers(-3, 4, shape).astype(float),
         "zeros": np.zeros(shape)}[data]
    a, b = _both(from_spec(f"topk:k={k}"), x)
    np.testing.assert_array_equal(a, b)
    assert a.shape == x.shape


def test_compiled_topk_tie_rule_and_magnitudes() -> None:
    """|x| = (1, 1, 1, 0.5, 2): Top-3 keeps the 2 and the first two of the tied 1s (indices 0, 1),
    signs kept. A kernel that breaks ties towards the highest index, or compares signed values,
    gives another vector."""
    x = np.array([[1.0, -1.0, 1.0, 0.5, -2.0]])
    _numba.use_numba(True)
    try:
        got = from_spec("topk:k=3")(x, np.random.default_rng(0))
    finally:
        _numba.use_numba(None)
    np.testing.assert_array_equal(got, [[1.0, -1.0, 0.0, 0.0, -2.0]])
