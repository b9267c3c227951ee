"""The fused Rand-k kernels (``theorylab._numba``) against the exact law, on both paths.

- Uniform k-subsets: chi-square over all C(d, k) subsets (``sample_support``, ``RandK(x)`` and
  the DCSGD step kernel), 40000 draws, false-alarm rate 1e-6 per case.
- Independence across agents, replicas and steps: chi-square of the joint law of two subsets on
  all C(d, k)^2 cells; the same test rejects two agents sharing one subset (planted bug).
- Pair inclusion at d = 1000, k = 100: every one of the 499500 pair counts over 4000 rows is
  Binomial(4000, k(k-1)/(d(d-1))) exactly under the uniform law; exact two-sided binomial
  p-values with a Bonferroni bound give a total false-alarm rate <= 1e-6 (any dependence).
  Expected count 39.6 per pair: a pair probability off by a factor ~2 (or ~1/4) is detected. A
  permutation table with random offsets (right marginals, wrong pairs) is rejected (planted bug).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy import stats

from helpers_kernels import kernels  # noqa: F401  (fixture)
from test_compressors import _subset_pvalue
from theorylab import _numba
from theorylab.backend import default_rng
from theorylab.compressors import RandK, RandKUnscaled
from theorylab.errors import InvalidParameterError
from theorylab.simulate import gaussian, problem_from_spec, run_optimizer

needs_numba = pytest.mark.skipif(not _numba.available(), reason="numba not installed (theorylab[fast])")


def _pair_pvalue(rows: np.ndarray, d: int) -> tuple[float, np.ndarray]:
    """Bonferroni-corrected smallest exact two-sided binomial p-value over all pairs i < j of the
    pair-inclusion counts of ``rows`` (each a k-subset of range(d)), and the marginal counts."""
    m, k = rows.shape
    a, b = np.triu_indices(k, 1)
    counts = np.zeros(d * d, dtype=np.int64)
    for lo in range(0, m, 500):
        s = np.sort(rows[lo:lo + 500], axis=1)
        counts += np.bincount((s[:, a] * d + s[:, b]).ravel(), minlength=d * d)
    i, j = np.triu_indices(d, 1)
    c = counts.reshape(d, d)[i, j]
    p2 = k * (k - 1) / (d * (d - 1))
    p = 2 * np.minimum(stats.binom.cdf(c, m, p2), stats.binom.sf(c - 1, m, p2))
    return float(min(1.0, p.min() * c.size)), np.bincount(rows.ravel(), minlength=d)


def _permutation_table(m: int, d: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Planted bug: a fixed random permutation read from a random offset (cyclic window)."""
    perm = rng.permutation(d)
    off = rng.integers(0, d, size=(m, 1))
    return perm[(off + np.arange(k)) % d]


@pytest.mark.parametrize("d,k", [(6, 2), (6, 3), (6, 4), (5, 1), (7, 6)])
def test_sample_support_uniform_over_subsets(kernels, d, k) -> None:
    rows = RandK(k).sample_support((200, 200), d, default_rng(11)).reshape(-1, k)
    assert all(len(set(r)) == k for r in rows[:2000].tolist())
    assert _subset_pvalue(rows, d, k) > 1e-6


@pytest.mark.parametrize("d,k", [(6, 3), (5, 2)])
def test_dense_randk_uniform_over_subsets(kernels, d, k) -> None:
    x = np.arange(1.0, d + 1.0) * np.ones((40000, 1))
    y = RandK(k)(x, default_rng(12))
    kept = y != 0
    assert (kept.sum(axis=1) == k).all()
    np.testing.assert_array_equal(y[kept], (x * d / k)[kept])
    rows = np.nonzero(kept)[1].reshape(-1, k)
    assert _subset_pvalue(rows, d, k) > 1e-6
    yu = RandKUnscaled(k)(x[:10], default_rng(12))
    np.testing.assert_array_equal(yu[yu != 0], x[:10][yu != 0])


def _step_supports(d: int, k: int, reps: int, agents: int, seed: int, quad: bool = False) -> np.ndarray:
    """Run the step kernel with g = 1, no noise and coef_a = -10^a: x_r = Σ_a 10^a 1_{S_ra}, so
    each agent's subset can be read back: ``(reps, agents, d)`` indicators. ``quad``: the
    diagonal-quadratic kernel with h = 0, b = -1 (so g = h x - b = 1 too)."""
    rng = default_rng(seed)
    x = np.zeros((reps, d))
    coef = -(10.0 ** np.arange(agents))
    rest = (np.zeros((0, d)), np.zeros(agents), np.zeros((0, 0, 0)), coef, np.full(agents, k, dtype=np.int64),
            _numba.marker(d))
    if quad:
        _numba.randk_quad_step(rng, x, np.zeros(d), -np.ones(d), np.zeros(d), *rest, np.empty(d), None)
    else:
        _numba.randk_sgd_step(rng, x, np.ones((reps, d)), *rest)
    digits = np.round(x).astype(np.int64)
    return np.stack([(digits // 10**a) % 10 for a in range(agents)], axis=1)


def _joint_pvalue(s0: np.ndarray, s1: np.ndarray, d: int, k: int) -> float:
    """Chi-square of the joint law of two subsets (indicator rows) against uniform x uniform."""
    codes = {c: i for i, c in enumerate(combinations(range(d), k))}
    w = 2 ** np.arange(d)
    lut = {sum(2**j for j in c): i for c, i in codes.items()}
    c0 = np.array([lut[v] for v in (s0 @ w).tolist()])
    c1 = np.array([lut[v] for v in (s1 @ w).tolist()])
    counts = np.bincount(c0 * len(codes) + c1, minlength=len(codes) ** 2)
    return float(stats.chisquare(counts).pvalue)


@needs_numba
@pytest.mark.parametrize("quad", [False, True])
def test_step_kernel_subsets_uniform_and_independent(quad) -> None:
    d, k = 5, 2
    s = _step_supports(d, k, 20000, 2, seed=3, quad=quad)
    assert (s.sum(axis=-1) == k).all()
    rows = np.nonzero(s[:, 0])[1].reshape(-1, k)
    assert _subset_pvalue(rows, d, k) > 1e-6
    assert _joint_pvalue(s[:, 0], s[:, 1], d, k) > 1e-6  # agents
    assert _joint_pvalue(s[0::2, 0], s[1::2, 0], d, k) > 1e-6  # replicas
    rng = default_rng(4)  # steps: two successive calls on one generator
    x1, x2 = np.zeros((20000, d)), np.zeros((20000, d))
    args = (np.ones((20000, d)), np.zeros((0, d)), np.zeros(1), np.zeros((0, 0, 0)), np.array([-1.0]),
            np.array([k]), _numba.marker(d))
    for x in (x1, x2):
        if quad:
            _numba.randk_quad_step(rng, x, np.zeros(d), -np.ones(d), np.zeros(d), *args[1:], np.empty(d), None)
        else:
            _numba.randk_sgd_step(rng, x, *args)
    assert _joint_pvalue(x1.astype(int), x2.astype(int), d, k) > 1e-6
    # planted bug: both agents share one subset (right marginals, dependent agents) is rejected
    assert _joint_pvalue(s[:, 0], s[:, 0], d, k) < 1e-6


def test_pair_inclusion_at_d_1000(kernels) -> None:
    d, k, m = 1000, 100, 4000
    rows = RandK(k).sample_support((m,), d, default_rng(21))
    p, marg = _pair_pvalue(rows, d)
    assert p > 1e-6, p
    # marginals: each coordinate kept k/d of the time (6-sigma band; 400 +- 19 expected)
    assert np.all(np.abs(marg - m * k / d) < 6 * np.sqrt(m * k / d * (1 - k / d)))


def test_pair_inclusion_rejects_a_permutation_table() -> None:
    """Planted bug: right marginals, wrong pair law."""
    d, k, m = 1000, 100, 4000
    rows = _permutation_table(m, d, k, default_rng(22))
    p, marg = _pair_pvalue(rows, d)
    assert np.all(np.abs(marg - m * k / d) < 6 * np.sqrt(m * k / d * (1 - k / d)))  # marginals look right
    assert p < 1e-6


@needs_numba
def test_kernels_reproducible_share_the_generator_and_switch(monkeypatch) -> None:
    a = _numba.floyd_rows(default_rng(5), 50, 30, 7)
    b = _numba.floyd_rows(default_rng(5), 50, 30, 7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, _numba.floyd_rows(default_rng(6), 50, 30, 7))
    rng = default_rng(5)
    _numba.floyd_rows(rng, 50, 30, 7)
    assert rng.random() != default_rng(5).random()  # the kernel advanced the caller's generator
    # the step kernel with Gaussian noise drawn inside: same numbers as numpy's standard_normal
    x = np.zeros((1, 4))
    _numba.randk_sgd_step(default_rng(9), x, np.zeros((1, 4)), np.zeros((0, 4)), np.ones(1), np.zeros((0, 0, 0)),
                          np.array([-1.0]), np.array([4]), _numba.marker(4))
    ref = default_rng(9)
    z = []
    for _ in range(4):  # per coordinate: one 64-bit draw for the bounded integer, then one normal
        ref.random()
        z.append(ref.standard_normal())
    np.testing.assert_array_equal(np.sort(x[0]), np.sort(z))
    # switches: the environment variable and use_numba
    monkeypatch.setenv(_numba.ENV_VAR, "0")
    assert not _numba.enabled()
    monkeypatch.setenv(_numba.ENV_VAR, "1")
    assert _numba.enabled()
    _numba.use_numba(False)
    try:
        assert not _numba.enabled()
        p = problem_from_spec("quadratic:mu=1,L=1", 8, 2)
        run = run_optimizer("dcsgd", p, gaussian(1.0), eta=0.1, steps=3, replicas=4, compressor=RandK(2))
        assert run.path == "rand-k fast path"
    finally:
        _numba.use_numba(None)
    run = run_optimizer("dcsgd", p, gaussian(1.0), eta=0.1, steps=3, replicas=4, compressor=RandK(2))
    assert run.path == "rand-k fused kernel (numba)"
    run = run_optimizer("dcsgd", p, gaussian(1.0), eta=0.1, steps=3, replicas=4, compressor=RandK(2), fast="numpy")
    assert run.path == "rand-k fast path"
    with pytest.raises(InvalidParameterError, match="fast must be"):
        run_optimizer("dcsgd", p, gaussian(1.0), eta=0.1, steps=3, replicas=4, compressor=RandK(2), fast="yes")


def test_k_larger_than_d_is_a_clear_error(kernels) -> None:
    with pytest.raises(InvalidParameterError, match="must be <= d"):
        RandK(9).sample_support((3,), 8, default_rng(0))
    p = problem_from_spec("quadratic:mu=1,L=1", 8, 2)
    with pytest.raises(InvalidParameterError, match="must be <= d"):
        run_optimizer("dcsgd", p, gaussian(1.0), eta=0.1, steps=3, replicas=4, compressor=RandK(9))


def test_student_t_noise_exact_level_on_both_paths(kernels) -> None:
    """Non-Gaussian noise is drawn in bulk and passed to the kernel: on f = ||x||^2/2 with Rand-5 and
    Student-t(5) noise (per-coordinate variance s^2 = 5/3) the second-moment recursion gives
    E f = d eta (1+omega) s^2 / (2N(2 - eta - eta omega/N)); 99.9% interval (false-alarm 1e-3),
    narrow enough (< 4% of the level) that a noise variance off by 4% would be seen."""
    from theorylab.simulate import stationary_level, student_t

    p = problem_from_spec("quadratic:mu=1,L=1", 20, 4)
    eta, d, n, omega, s2 = 0.02, 20, 4, 3.0, 5.0 / 3.0
    exact = d * eta * (1 + omega) * s2 / (2 * n * (2 - eta - eta * omega / n))
    run = run_optimizer("dcsgd", p, student_t(5.0), eta=eta, steps=1500, replicas=300, compressor=RandK(5), seed=4)
    assert run.path == ("rand-k fused kernel (numba)" if kernels == "numba" else "rand-k fast path")
    est = stationary_level(run.trajectory, confidence=0.999)
    assert est.lower < exact < est.upper, (est, exact)
    assert (est.upper - est.lower) / exact < 0.04


def _mod3_pvalue(t: np.ndarray) -> float:
    return float(stats.chisquare(np.bincount(t % 3, minlength=3)).pvalue)


@needs_numba
def test_bounded_integers_reject_exactly() -> None:
    """Lemire's multiply-and-reject at s = 3·2^30, where rejection matters: without it, t = ⌊m s/2^32⌋
    gives the residues t mod 3 = 0, 1, 2 probabilities 1/2, 1/4, 1/4 (planted bug, rejected); with it,
    1/3 each. Chi-square over the 3 residues of 30000 draws, false-alarm rate 1e-6."""
    s = 3 * 2**30
    rng = default_rng(31)
    t = np.array([_numba._bounded(rng, np.uint64(s)) for _ in range(30000)], dtype=np.int64)
    assert t.min() >= 0 and t.max() < s
    assert _mod3_pvalue(t) > 1e-6
    m = np.floor(default_rng(32).random(30000) * 2.0**32).astype(np.uint64)
    biased = ((m * np.uint64(s)) >> np.uint64(32)).astype(np.int64)  # the same map, no rejection
    assert _mod3_pvalue(biased) < 1e-6


def _diag_problems() -> list:
    from theorylab.simulate import custom_quadratic

    rng = np.random.default_rng(41)
    h = rng.uniform(0.5, 2.0, 13)
    return [problem_from_spec("quadratic:mu=0.5,L=2", 13, 3),
            problem_from_spec("quadratic:mu=0.5,L=2,hetero=1.5", 13, 3),
            custom_quadratic(np.tile(h, (3, 1)), rng.standard_normal((3, 13)), x0=2.0)]


@needs_numba
@pytest.mark.parametrize("which", [0, 1, 2])
@pytest.mark.parametrize("drawn", [False, True])
def test_quad_kernel_same_iterates_as_the_general_kernel(which, drawn) -> None:
    """The diagonal-quadratic kernel draws the same random numbers in the same order and forms
    the gradient ``h x − b`` with the same floating-point operations as ``problem.grad``: the
    iterates are identical to the general kernel's with ``g = problem.grad(x)``; its gap is
    ``problem.gap`` bit for bit on a Quadratic, up to rounding on a custom quadratic (whose ``f``
    is written ``½ xᵀH̄x − b̄ᵀx + const``); noise drawn in the kernel, or pre-drawn."""
    p = _diag_problems()[which]
    h, b, c = p.diagonal_quadratic()
    reps, d, n = 40, p.d, p.n_agents
    x1 = np.random.default_rng(1).standard_normal((reps, d)) * 3
    x2 = x1.copy()
    ks = np.array([4, 1, 13])
    tilts = np.ascontiguousarray(p.tilts) if p.heterogeneous else np.zeros((0, d))
    sigma, coef = np.array([1.0, 0.5, 2.0]), np.array([0.05, 0.1, 0.02])
    r1, r2, zr = default_rng(8), default_rng(8), default_rng(9)
    m1, m2, gap = _numba.marker(d), _numba.marker(d), np.empty(reps)
    for step in range(6):
        z = zr.standard_normal((reps, n, 13)) if drawn else np.zeros((0, 0, 0))
        _numba.randk_sgd_step(r1, x1, p.grad(x1), tilts, sigma, z, coef, ks, m1)
        _numba.randk_quad_step(r2, x2, h, b, c, tilts, sigma, z, coef, ks, m2, np.empty(d),
                               gap if step % 2 else None)
        np.testing.assert_array_equal(x1, x2)
        if step % 2 and which < 2:  # Quadratic: the gap of numpy's pairwise sum, bit for bit
            np.testing.assert_array_equal(gap, p.gap(x1))
        elif step % 2:
            np.testing.assert_allclose(gap, p.gap(x1), rtol=1e-12, atol=1e-12 * max(1.0, abs(p.f_star)))
    assert r1.random() == r2.random()  # the generators advanced alike


def test_fused_quadratic_run_equals_the_general_kernel_run(kernels, monkeypatch) -> None:
    """run_optimizer on a diagonal quadratic: the fused gradient-and-gap kernel gives the general
    kernel's run bit for bit (values, block sums, divergence step and fraction), also
    with ``observe_every`` > 1 and when replicas diverge and are reset; on the numpy path both
    runs are the numpy fast path."""
    from theorylab.simulate.problems import Quadratic

    p = problem_from_spec("quadratic:mu=0.5,L=2,hetero=1", 30, 4)
    kw = dict(steps=120, replicas=50, compressor=RandK(6), seed=3)
    runs = []
    for general in (False, True):
        if general:
            monkeypatch.setattr(Quadratic, "diagonal_quadratic", lambda self: None)
        a = run_optimizer("dcsgd", p, gaussian(1.0), eta=0.05, points=30, blocks=7, **kw)
        b = run_optimizer("dcsgd", p, gaussian(1.0), eta=0.05, points=9, blocks=5, observe_every=4, **kw)
        c = run_optimizer("dcsgd", p, gaussian(1.0), eta=1.6, points=25, blocks=3, **kw)  # diverges
        runs.append((a, b, c))
    for fused, general in zip(*runs):
        tf, tg = fused.trajectory, general.trajectory
        assert fused.path == general.path
        np.testing.assert_array_equal(tf.values, tg.values)
        np.testing.assert_array_equal(tf.block_sums, tg.block_sums)
        np.testing.assert_array_equal(tf.block_counts, tg.block_counts)
        assert tf.divergence == tg.divergence
    assert runs[0][2].trajectory.divergence.diverged
    assert 0 < runs[0][2].trajectory.divergence.fraction <= 1


@needs_numba
def test_kernel_gap_sums_in_numpys_pairwise_order() -> None:
    """The kernel's ``Σ h_j (x_j − c_j)²`` is numpy's float64 ``sum`` of the same terms bit for bit
    (lengths 1..300 and around the 128-term blocks and their halvings); a plain left-to-right sum
    differs for some lengths (planted bug: the comparison sees the summation order)."""
    rng = np.random.default_rng(51)
    sequential_differs = False
    for d in [*range(1, 301), 511, 512, 513, 1000, 1025, 4096, 10007]:
        x = rng.standard_normal((8, d)) * rng.uniform(0.01, 100.0, (8, 1))
        h, c = rng.uniform(0.1, 3.0, d), rng.standard_normal(d) * (d % 2)
        terms = h * (x - c) * (x - c)
        # a step with zero coefficients leaves x as it is and reports the gap ½ Σ h_j (x_j − c_j)²
        gap = np.empty(8)
        _numba.randk_quad_step(np.random.default_rng(0), x, h, np.zeros(d), c, np.zeros((0, d)), np.zeros(1),
                               np.zeros((0, 0, 0)), np.zeros(1), np.ones(1, dtype=np.int64), _numba.marker(d),
                               np.empty(d), gap)
        mine = 2.0 * gap
        np.testing.assert_array_equal(mine, np.sum(terms, axis=-1))
        seq = np.array([float(sum(t.tolist(), 0.0)) for t in terms])
        sequential_differs |= bool(np.any(seq != mine))
    assert sequential_differs


def test_general_kernel_by_blocks_of_rows_equals_one_call(kernels, monkeypatch) -> None:
    """On a problem that is not a diagonal quadratic the fused step runs by blocks of rows; the
    kernel visits the replicas in the same order, so blocks of 3 rows (the last one partial) give
    the run of one block holding every row, bit for bit (Gaussian noise drawn in the kernel,
    Student-t noise drawn in bulk), with every step recorded."""
    from theorylab.simulate import optimizers, student_t

    p = problem_from_spec("sinpl:hetero=0.5", 12, 3)
    runs = []
    for block in (3 * 12, 10**9):
        monkeypatch.setattr(optimizers, "BLOCK_VALUES", block)
        runs.append([run_optimizer("dcsgd", p, noise, eta=0.05, steps=30, replicas=10, compressor=RandK(4), seed=2,
                                   points=31, blocks=6) for noise in (gaussian(1.0), student_t(4.0))])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a.trajectory.values, b.trajectory.values)
        np.testing.assert_array_equal(a.trajectory.block_sums, b.trajectory.block_sums)
        assert a.path == b.path
