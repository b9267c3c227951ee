"""The compressor catalogue: interface, parameters, edge inputs, exact moments."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theorylab.backend import default_rng, to_numpy
from theorylab.compressors import (
    QSGD,
    Bernoulli,
    ClassNotApplicableError,
    Compose,
    Identity,
    Induced,
    NaturalCompression,
    RandK,
    RandKUnscaled,
    RandomSwitch,
    Scaled,
    Sign,
    TernGrad,
    TopK,
    catalogue_specs,
    from_spec,
    list_compressors,
)
from theorylab.errors import InvalidParameterError, SpecError

SPECS = catalogue_specs(16)


@pytest.mark.parametrize("spec", SPECS)
def test_spec_round_trip_and_shape(spec, xp):
    c = from_spec(spec)
    assert from_spec(c.spec) == c
    rng = default_rng(1, xp)
    x = xp.asarray(default_rng(0).standard_normal((3, 4, 16)))
    y = c(x, rng)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert type(y) is type(x)
    assert bool(xp.isfinite(y).all())
    y32 = c(x.astype(xp.float32), rng)
    assert y32.dtype == xp.float32


def test_rows_are_independent():
    # identical rows must receive different random draws
    rng = default_rng(3)
    x = np.ones((50, 16))
    for c in [RandK(2), Bernoulli(0.3), NaturalCompression(), QSGD(2), TernGrad()]:
        y = c(x * np.linspace(0.1, 1, 16), rng)
        assert len({tuple(r) for r in y}) > 10, c.spec


def test_randk_support_and_exact_error():
    rng = default_rng(0)
    c = RandK(3)
    x = default_rng(1).standard_normal((1000, 12))
    y = c(x, rng)
    assert ((y != 0).sum(axis=-1) == 3).all()
    np.testing.assert_allclose(y[y != 0], (x * 4)[y != 0])
    idx = c.sample_support((7, 5), 12, rng)
    assert idx.shape == (7, 5, 3)
    assert all(len(set(r)) == 3 for r in idx.reshape(-1, 3))
    assert idx.min() >= 0 and idx.max() < 12
    assert c.scale(12) == 4.0
    # every coordinate is kept with probability k/d (exact binomial count, 6-sigma band)
    counts = np.bincount(c.sample_support((60000,), 12, rng).ravel(), minlength=12)
    n, p = 60000, 3 / 12
    assert np.all(np.abs(counts - n * p) < 6 * np.sqrt(n * p * (1 - p)))



def _subset_pvalue(rows: np.ndarray, d: int, k: int) -> float:
    """Chi-square p-value of the rows (each a k-subset of range(d)) against the uniform law on
    all C(d, k) subsets."""
    from itertools import combinations

    from scipy import stats

    codes = {s: i for i, s in enumerate(combinations(range(d), k))}
    counts = np.bincount([codes[tuple(sorted(r))] for r in rows.tolist()], minlength=len(codes))
    return float(stats.chisquare(counts).pvalue)


@pytest.mark.parametrize("d,k", [(6, 2), (6, 3), (6, 4), (5, 1), (4, 4)])
def test_randk_support_is_uniform_over_subsets(d, k):
    """Both samplers (Floyd for k <= d/2, key partition above) give every k-subset probability
    1/C(d, k): chi-square over all subsets, 40000 draws, false-alarm rate 1e-6 per case."""
    rows = RandK(k).sample_support((200, 200), d, default_rng(11))
    assert rows.shape == (200, 200, k)
    rows = rows.reshape(-1, k)
    assert all(len(set(r)) == k for r in rows[:2000].tolist())
    if k < d:
        assert _subset_pvalue(rows, d, k) > 1e-6


def test_subset_uniformity_test_can_fail():
    """The same chi-square rejects a sampler with the right marginals (each j kept with
    probability k/d) but the wrong joint law: a random cyclic window t, t+1, …, t+k−1."""
    d, k = 6, 3
    t = default_rng(11).integers(0, d, size=(40000, 1))
    rows = (t + np.arange(k)) % d
    assert np.allclose(np.bincount(rows.ravel(), minlength=d) / rows.size, 1 / d, atol=0.01)
    assert _subset_pvalue(rows, d, k) < 1e-6

def test_declared_constants_numeric_and_symbolic():
    d = sp.Symbol("d", positive=True, integer=True)
    assert RandK(4).omega(16) == 3.0
    assert sp.simplify(RandK(4).omega(d) - (d / 4 - 1)) == 0
    assert RandKUnscaled(4).delta(16) == 0.25
    assert TopK(2).delta(d) == 2 / d
    assert TernGrad().omega(d) == (sp.sqrt(d) - 1) / 2
    assert NaturalCompression().omega(d) == sp.Rational(1, 8)
    assert QSGD(1).omega(64) == 8.0
    assert Bernoulli(0.25).omega(10) == 3.0
    assert Scaled(RandK(4)).delta(16) == 0.25
    assert Compose(NaturalCompression(), RandK(4)).omega(16) == pytest.approx((1 + 1 / 8) * 4 - 1)
    assert Induced(TopK(2), RandK(4)).omega(16) == pytest.approx(3 * (1 - 2 / 16))
    assert RandomSwitch([(0.25, RandK(4)), (0.75, Identity())]).omega(16) == pytest.approx(0.75)
    assert Identity().omega(5) == 0 and Identity().delta(5) == 1
    assert TopK(3).bits(64) == 32 * 3 + min(3 * 6, 64)
    assert RandK(3).bits(64) == 32 * 3 + 3 * 6
    assert Sign().bits(10) == 10


def test_class_not_applicable():
    with pytest.raises(ClassNotApplicableError, match="homogeneous"):
        Sign().omega(4)
    with pytest.raises(ClassNotApplicableError, match="homogeneous"):
        Sign().delta(4)
    with pytest.raises(ClassNotApplicableError, match="biased"):
        TopK(2).omega(8)
    with pytest.raises(ClassNotApplicableError, match="not contractive"):
        RandK(2).delta(8)
    assert issubclass(ClassNotApplicableError, InvalidParameterError)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: RandK(0), "positive integer"),
        (lambda: RandK(-1), "positive integer"),
        (lambda: RandK(2.5), "positive integer"),
        (lambda: QSGD(0), "positive integer"),
        (lambda: Bernoulli(0), r"\(0, 1\]"),
        (lambda: Bernoulli(1.5), r"\(0, 1\]"),
        (lambda: Bernoulli(float("nan")), r"\(0, 1\]"),
        (lambda: QSGD(2, norm="l3"), "norm"),
        (lambda: Scaled(TopK(2)), "unbiased"),
        (lambda: RandomSwitch([(0.5, RandK(1))]), "sum to 1"),
    ],
)
def test_bad_parameters(make, match):
    with pytest.raises(InvalidParameterError, match=match):
        make()


def test_bad_inputs():
    rng = default_rng(0)
    with pytest.raises(InvalidParameterError, match="k = 5 must be <= d = 4"):
        RandK(5)(np.ones(4), rng)
    with pytest.raises(InvalidParameterError, match="k = 5 must be <= d = 4"):
        TopK(5).delta(4)
    with pytest.raises(InvalidParameterError, match="0-d"):
        RandK(1)(np.float64(1.0), rng)
    with pytest.raises(InvalidParameterError, match="floating dtype"):
        RandK(1)(np.ones(4, dtype=int), rng)
    with pytest.raises(InvalidParameterError, match="NaN"):
        NaturalCompression()(np.array([1.0, np.nan]), rng)
    with pytest.raises(InvalidParameterError, match="inf"):
        NaturalCompression()(np.array([1.0, np.inf]), rng)
    with pytest.raises(InvalidParameterError, match="explicit generator"):
        RandK(1)(np.ones(4), 0)
    with pytest.raises(InvalidParameterError, match="dimension"):
        RandK(1).omega(0)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize(
    "x",
    [
        np.zeros(16),
        np.full(16, 5e-324),
        np.r_[np.full(8, 1e300), np.full(8, -1e300)],
        np.r_[1e300, np.full(15, 1e-300)],
        np.r_[np.ones(4), np.zeros(12)],
    ],
    ids=["zero", "subnormal", "huge", "huge_and_tiny", "ties"],
)
def test_edge_inputs_give_finite_output(spec, x):
    c = from_spec(spec)
    y = c(np.broadcast_to(x, (200, 16)).copy(), default_rng(0))
    assert np.isfinite(y).all()
    if not x.any():
        assert not y.any()  # C(0) = 0


@pytest.mark.parametrize("spec", [s for s in SPECS if s != "sign"])
def test_huge_inputs_are_exactly_homogeneous(spec):
    # C(2^990 v) = 2^990 C(v) bit for bit with the same draws: no overflow in norms
    c = from_spec(spec)
    v = default_rng(5).standard_normal((50, 16))
    big = 2.0**990
    y_big = c(v * big, default_rng(7))
    assert np.isfinite(y_big).all() and np.abs(v * big).max() > 1e298
    np.testing.assert_array_equal(y_big / big, c(v, default_rng(7)))


def test_topk_ties_and_magnitude():
    rng = default_rng(0)
    x = np.array([1.0, -3.0, 3.0, 2.0, -3.0])
    np.testing.assert_array_equal(TopK(2)(x, rng), [0, -3.0, 3.0, 0, 0])
    np.testing.assert_array_equal(TopK(3)(x, rng), [0, -3.0, 3.0, 0, -3.0])
    np.testing.assert_array_equal(TopK(2)(np.ones(4), rng), [1, 1, 0, 0])
    np.testing.assert_array_equal(TopK(1)(np.array([-1.0, 0, 0]), rng), [-1.0, 0, 0])
    np.testing.assert_array_equal(TopK(4)(np.zeros(4), rng), np.zeros(4))


def test_natural_exact_outcomes():
    rng = default_rng(0)
    t = np.array([0.75, -3.0, 4.0, 5e-324, 1e300])
    y = NaturalCompression()(np.broadcast_to(t, (4000, 5)).copy(), rng)
    lo = 2.0 ** np.floor(np.log2(np.abs(t[[0, 1, 2, 4]])))
    for j, jj in enumerate([0, 1, 2, 4]):
        vals = set(np.abs(y[:, jj]))
        assert vals <= {lo[j], 2 * lo[j]}
    assert set(y[:, 3]) == {5e-324}  # a power of two stays
    assert set(y[:, 2]) == {4.0}
    with pytest.raises(InvalidParameterError, match="infinity"):
        NaturalCompression()(np.array([1.7e308]), rng)


def test_spec_grammar():
    assert from_spec("randk:k=10") == RandK(10)
    assert from_spec(" QSGD : s = 4 , norm = linf ").spec == "qsgd:s=4,norm=linf"
    assert from_spec("induced(topk:k=2,randk:k=4)") == Induced(TopK(2), RandK(4))
    assert from_spec("compose(natural,randk:k=5)").spec == "compose(natural,randk:k=5)"
    assert from_spec("scaled(randk:k=5)").delta(10) == 0.5
    sw = from_spec("switch(0.25@randk:k=2,0.75@qsgd:s=2,norm=l2)")
    assert sw.probs == (0.25, 0.75) and from_spec(sw.spec) == sw
    assert from_spec("natural_dithering:s=2,p=inf").spec == "natural_dithering:s=2,p=inf"
    assert from_spec("bernoulli:p=0.5") == Bernoulli(0.5)


@pytest.mark.parametrize(
    "bad, match",
    [
        ("", "non-empty"),
        ("randq:k=3", "unknown compressor 'randq'.*known names: identity, randk"),
        ("randk", "needs parameters"),
        ("randk:q=3", "no parameter 'q'"),
        ("randk:k=x", "not a valid value"),
        ("randk:k=0", "positive integer"),
        ("randk:k=1,k=2", "twice"),
        ("scaled(randk:k=2", "expected ','"),
        ("induced(topk:k=2)", "takes 2"),
        ("switch(randk:k=2)", "p@spec"),
        ("randk:k=2)", "unexpected text"),
        ("scaled(topk:k=2)", "unbiased"),
    ],
)
def test_spec_errors(bad, match):
    with pytest.raises(SpecError, match=match):
        from_spec(bad)


def test_list_compressors():
    cs = list_compressors(8)
    assert len(cs) == len(catalogue_specs(8)) and all(c(np.ones(8), default_rng(0)).shape == (8,) for c in cs)


def test_cupy_matches_contract(xp):
    # runs on numpy always, on cupy when a GPU is present (marker in conftest)
    x = xp.asarray(np.linspace(-1, 1, 32).reshape(2, 16))
    for c in list_compressors(16):
        y = c(x, default_rng(0, xp))
        assert to_numpy(y).shape == (2, 16)
