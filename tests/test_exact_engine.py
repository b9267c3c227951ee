"""The exact-moment engine (theorylab.simulate.exact) against independent closed forms,
exhaustive enumeration of the masks, and Monte Carlo; planted mistakes in the moment map."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from theorylab.compressors import (QSGD, Bernoulli, Compose, Identity, Induced, NaturalCompression, RandK,
                                   RandKUnscaled, RandomSwitch, Scaled, Sign, TernGrad, TopK)
from theorylab.errors import AssumptionError, InvalidParameterError
from theorylab.simulate import gaussian, mean_curve, problem_from_spec, quadratic, run_optimizer, student_t
from theorylab.simulate.exact import (MOMENT_MAPS, DiscreteMoments, LinearMoments, NotLinearCompressorError,
                                      exact_dcsgd, exact_run, from_problem, linear_moments, linear_quadratic)
from theorylab.simulate.exact.closed_forms import exact_discrete_level


# ----------------------------------------------------------------------------- moment maps

def _enumerate_randk(d: int, k: int, scale: float) -> np.ndarray:
    """E[D_i D_j] by listing all k-subsets."""
    acc = np.zeros((d, d))
    subsets = list(itertools.combinations(range(d), k))
    for s in subsets:
        v = np.zeros(d)
        v[list(s)] = scale
        acc += np.outer(v, v)
    return acc / len(subsets)


def _enumerate_bernoulli(d: int, p: float) -> np.ndarray:
    acc = np.zeros((d, d))
    for bits in itertools.product((0, 1), repeat=d):
        b = np.array(bits, float)
        acc += np.prod(np.where(b == 1, p, 1 - p)) * np.outer(b / p, b / p)
    return acc


def _p_matrix(m: LinearMoments, d: int) -> np.ndarray:
    mean, dg, off = m.numeric()
    return np.full((d, d), off) + (dg - off) * np.eye(d)


@pytest.mark.parametrize("d, k", [(5, 1), (5, 2), (6, 3), (7, 7)])
def test_randk_moment_map_equals_enumeration(d, k) -> None:
    for c, scale in ((RandK(k), d / k), (RandKUnscaled(k), 1.0)):
        m = linear_moments(c, d)
        np.testing.assert_allclose(_p_matrix(m, d), _enumerate_randk(d, k, scale), rtol=1e-13, atol=1e-15)
        assert float(m.mean) == pytest.approx(scale * k / d, rel=1e-14)


def test_bernoulli_and_identity_moment_maps_equal_enumeration() -> None:
    np.testing.assert_allclose(_p_matrix(linear_moments(Bernoulli(0.3), 4), 4), _enumerate_bernoulli(4, 0.3),
                               rtol=1e-13)
    assert linear_moments(Identity(), 9).numeric() == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("c", [Compose(RandK(2), Bernoulli(0.5)), Scaled(RandK(2)),
                               Induced(RandKUnscaled(1), RandK(2)), RandomSwitch([(0.3, RandK(1)), (0.7, Identity())])])
def test_combinator_moment_maps_against_sampling(c) -> None:
    """E[C(x)C(x)ᵀ] = P ∘ x xᵀ and E C(x) = mean·x, checked entrywise on 100,000 draws (seed 5) by a z-test
    at |z| < 5 (false-alarm rate < 1e-5 over the 20 entries); detectable effect: 5 standard errors,
    about 2% of the entries here (forgetting the off-diagonal term moves them by a third for Rand-2 in d = 4)."""
    d, n = 4, 100_000
    x = np.array([1.0, -2.0, 0.5, 3.0])
    out = c(np.broadcast_to(x, (n, d)).copy(), np.random.default_rng(5))
    m = linear_moments(c, d)
    prods = out[:, :, None] * out[:, None, :]
    want = _p_matrix(m, d) * np.outer(x, x)
    se = prods.std(axis=0, ddof=1) / math.sqrt(n)
    z = (prods.mean(axis=0) - want) / np.where(se > 0, se, 1)
    assert np.max(np.abs(z)) < 5, (c.spec, np.round(z, 1))
    zm = (out.mean(0) - float(m.mean) * x) / (out.std(0, ddof=1) / math.sqrt(n))
    assert np.max(np.abs(zm)) < 5
    if c.unbiased:
        assert float(m.omega) == pytest.approx(c.omega(d), rel=1e-12)  # the declared ω is the derived one


@pytest.mark.parametrize("c, word", [(TopK(2), "Top-k"), (QSGD(4), "QSGD"), (Sign(), "sign"),
                                     (TernGrad(), "TernGrad"), (NaturalCompression(), "natural"),
                                     (Compose(TopK(2), RandK(3)), "Top-k")])
def test_non_linear_compressors_are_refused_with_the_reason(c, word) -> None:
    with pytest.raises(NotLinearCompressorError, match=word):
        linear_moments(c, 6)


def test_unregistered_user_compressor_is_refused() -> None:
    class Mine:
        spec = "mine"

        def __call__(self, x, rng):
            return x

    with pytest.raises(NotLinearCompressorError, match="register_moment_map"):
        linear_moments(Mine(), 3)


# ----------------------------------------------------------------------------- closed forms

@pytest.mark.parametrize("d, n, eta, k, batch, sigma", [(20, 4, 0.01, 5, 1, 1.0), (10, 3, 0.2, 2, 4, 2.0),
                                                        (7, 1, 0.5, 7, 2, 0.3), (12, 8, 0.05, 1, 1, 1.0)])
def test_isotropic_level_matches_closed_form(d, n, eta, k, batch, sigma) -> None:
    p = quadratic(d, n)
    s2 = sigma**2 / batch
    for comps, omega in ((None, 0.0), (RandK(k), d / k - 1)):
        r = exact_run("dsgd" if comps is None else "dcsgd", p, gaussian(sigma, batch), eta=eta, steps=10,
                      compressor=comps)
        assert r.level == pytest.approx(exact_discrete_level(d, n, eta, omega, s2), rel=1e-12)
        assert r.rho < 1 and not r.diverged


def test_rational_mode_gives_the_exact_fraction() -> None:
    p = quadratic(6, 3)
    r = exact_run("dcsgd", p, gaussian(1.0, 2), eta=Fraction(1, 10), steps=5, compressor=RandK(2), rational=True)
    want = exact_discrete_level(6, 3, Fraction(1, 10), Fraction(2), Fraction(1, 2))
    assert isinstance(r.level, Fraction) and r.level == want
    assert all(isinstance(g, Fraction) for g in r.gaps)
    # dense rational path on the same (diagonal) problem gives the same fraction
    q = from_problem(p, gaussian(1.0, 2), rational=True).full()
    assert DiscreteMoments(q, Fraction(1, 10), [RandK(2)] * 3).level() == want


def test_diagonal_spectrum_closed_form() -> None:
    """Per coordinate q' = (1 − 2ηλ + η²λ²(1 + ω/N)) q + η²(1+ω)s2/N, so
    E f = Σ_j η(1+ω)s2 / (2N(2 − ηλ_j(1 + ω/N)))."""
    d, n, eta, k = 10, 4, 0.05, 2
    p = quadratic(d, n, 0.2, 3.0, spectrum="geometric")
    lam, om = p.eigenvalues, d / k - 1
    want = float(np.sum(eta * (1 + om) / (2 * n * (2 - eta * lam * (1 + om / n)))))
    r = exact_run("dcsgd", p, gaussian(1.0), eta=eta, steps=3, compressor=RandK(k))
    assert r.level == pytest.approx(want, rel=1e-12)


def test_heterogeneous_optima_closed_form() -> None:
    """Tilts b_i (Σ b_i = 0) add (ω/N²) Σ_i b_ij² to the per-coordinate forcing: a floor linear in η and ω
    with no noise at all. E f = Σ_j η[(1+ω)s2/N + (ω/N²)Σ_i b_ij²] / (2(2 − ηλ_j(1 + ω/N)))."""
    d, n, eta, k = 8, 3, 0.02, 2
    p = quadratic(d, n, 0.5, 2.0, hetero=1.5, seed=4)
    lam, om, b = p.eigenvalues, d / k - 1, p.tilts
    for sigma in (0.0, 0.7):
        forcing = (1 + om) * sigma**2 / n + om * (b**2).sum(axis=0) / n**2
        want = float(np.sum(eta * forcing / (2 * (2 - eta * lam * (1 + om / n)))))
        r = exact_run("dcsgd", p, gaussian(sigma), eta=eta, steps=3, compressor=RandK(k))
        assert r.level == pytest.approx(want, rel=1e-12)
    # uncompressed DSGD without noise has no floor
    assert exact_run("dsgd", p, gaussian(0.0), eta=eta, steps=3).level == pytest.approx(0.0, abs=1e-15)


def test_dense_path_equals_diagonal_path_on_every_option() -> None:
    p = problem_from_spec("quadratic:mu=0.5,L=2,hetero=1", 6, 3)
    q = from_problem(p, gaussian([1.0, 0.5, 2.0], 2))
    for comps, masks in (([RandK(2), RandK(3), Bernoulli(0.5)], "independent"), ([RandK(2)] * 3, "shared"),
                         ([Scaled(RandK(3))] * 3, "independent"), (None, "independent")):
        a = exact_dcsgd(q, 0.05, 60, comps=comps, masks=masks, points=61)
        b = exact_dcsgd(q.full(), 0.05, 60, comps=comps, masks=masks, points=61)
        np.testing.assert_allclose(a.values, b.values, rtol=1e-12)
        assert a.level == pytest.approx(b.level, rel=1e-10)
        assert a.rho == pytest.approx(b.rho, rel=1e-10)


def test_rotation_invariance_of_dsgd_checks_the_dense_path() -> None:
    """DSGD with isotropic noise is rotation invariant: a rotated Hessian (dense path, Lyapunov solve)
    must give the diagonal path's level and curve (from x0 = 0, a rotation-invariant start)."""
    kw = dict(eta=0.1, steps=40, points=41)
    a = exact_run("dsgd", quadratic(7, 2, 0.3, 2.0, x0=0.0), gaussian(1.0), **kw)
    b = exact_run("dsgd", quadratic(7, 2, 0.3, 2.0, rotate=True, seed=3, x0=0.0), gaussian(1.0), **kw)
    assert b.path == "dense"
    np.testing.assert_allclose(a.values, b.values, rtol=1e-10)
    assert a.level == pytest.approx(b.level, rel=1e-10)


def test_large_dense_level_uses_the_krylov_solve_and_agrees() -> None:
    """d = 45 > 40 takes the preconditioned Krylov solve; rotation invariance of DSGD again."""
    kw = dict(eta=0.1, steps=5)
    a = exact_run("dsgd", quadratic(45, 2, 0.3, 2.0), gaussian(1.0), **kw)
    b = exact_run("dsgd", quadratic(45, 2, 0.3, 2.0, rotate=True, seed=3), gaussian(1.0), **kw)
    assert b.level == pytest.approx(a.level, rel=1e-9)
    assert b.rho == pytest.approx(a.rho, rel=1e-6)


def test_large_dense_divergence_and_certificate() -> None:
    """d = 45 dense: a stable setting is certified by a positive definite Krylov solution; Rand-1 at η = 0.5
    (ω = 44) has no stationary level and a spectral radius above 1."""
    p = quadratic(45, 2, 0.5, 1.0, rotate=True, seed=1)
    ok = DiscreteMoments(from_problem(p, gaussian(1.0)), 0.05, [RandK(20)] * 2)
    assert math.isfinite(ok.level()) and getattr(ok, "_certified", False)
    bad = exact_run("dcsgd", p, gaussian(1.0), eta=0.5, steps=3, compressor=RandK(1))
    assert bad.diverged and bad.rho > 1 and math.isinf(bad.level)


def test_divergence_is_a_spectral_radius_at_least_one() -> None:
    p = quadratic(10, 2)
    # η above the DSGD stability edge of the mean (η > 2/L) and of the second moment of Rand-1
    for method, comp, eta in (("dsgd", None, 2.5), ("dcsgd", RandK(1), 0.5)):
        r = exact_run(method, p, gaussian(1.0), eta=eta, steps=20, compressor=comp)
        assert r.diverged and r.rho >= 1 and math.isinf(r.level)
    # Rand-1 (ω = 9, N = 2): q-coefficient 1 − 2η + η²(1 + 9/2) < 1 iff η < 2/5.5
    ok = exact_run("dcsgd", p, gaussian(1.0), eta=2 / 5.5 * 0.99, steps=2, compressor=RandK(1))
    bad = exact_run("dcsgd", p, gaussian(1.0), eta=2 / 5.5 * 1.01, steps=2, compressor=RandK(1))
    assert not ok.diverged and bad.diverged


def test_student_t_enters_through_its_variance_and_infinite_variance_is_refused() -> None:
    p = quadratic(5, 2)
    r = exact_run("dsgd", p, student_t(4.0), eta=0.1, steps=2)
    assert r.level == pytest.approx(exact_discrete_level(5, 2, 0.1, 0.0, 2.0), rel=1e-12)  # Var t_4 = 2
    with pytest.raises(AssumptionError, match="finite noise variance"):
        exact_run("dsgd", p, student_t(2.0), eta=0.1, steps=2)


def test_bad_input_errors() -> None:
    p = quadratic(5, 2)
    with pytest.raises(InvalidParameterError, match="sign"):
        exact_run("dsignsgd", p, gaussian(1.0), eta=0.1, steps=2)
    with pytest.raises(InvalidParameterError, match="quadratic"):
        exact_run("dsgd", problem_from_spec("sinpl", 5, 2), gaussian(1.0), eta=0.1, steps=2)
    with pytest.raises(InvalidParameterError, match="same compressor"):
        exact_run("dcsgd", p, gaussian(1.0), eta=0.1, steps=2, compressor=[RandK(1), RandK(2)], masks="shared")
    with pytest.raises(InvalidParameterError, match="symmetric"):
        linear_quadratic([[[1.0, 1.0], [0.0, 1.0]]], [[0.0, 0.0]], 1.0)
    with pytest.raises(AssumptionError, match="positive definite"):
        linear_quadratic([[1.0, 0.0]], [[0.0, 0.0]], 1.0)


# ----------------------------------------------------------------------------- against Monte Carlo

SETTING = dict(spec="quadratic:mu=0.5,L=2,hetero=1,rotate=1", d=6, n=3, eta=0.08, steps=150, k=2)


@pytest.fixture(scope="module")
def mc_run():
    s = SETTING
    p = problem_from_spec(s["spec"], s["d"], s["n"])
    run = run_optimizer("dcsgd", p, gaussian(1.0), eta=s["eta"], steps=s["steps"], replicas=6000,
                        compressor=RandK(s["k"]), seed=11, points=16)
    return p, mean_curve(run.trajectory, 1 - 1e-3 / 15)


def _outside(curve, exact_values) -> np.ndarray:
    c = curve
    return (exact_values[1:] < c.lower[1:]) | (exact_values[1:] > c.upper[1:])


def test_monte_carlo_intervals_contain_the_exact_values(mc_run) -> None:
    """Rotated, heterogeneous problem (dense path), Rand-2 with independent masks. The MC curve's
    pointwise intervals at confidence 1 − 1e-3/15 (Bonferroni over the 15 random record points:
    joint false-alarm rate ≤ 1e-3) must all contain the exact values."""
    p, curve = mc_run
    s = SETTING
    e = exact_run("dcsgd", p, gaussian(1.0), eta=s["eta"], steps=s["steps"], compressor=RandK(s["k"]), points=16)
    assert e.path == "dense"
    np.testing.assert_array_equal(e.steps, curve.steps)
    assert not _outside(curve, e.values).any(), (curve.mean, e.values)
    half = (curve.upper - curve.lower)[-1] / 2
    # resolution: at the plateau the interval's half-width is ~3% of the level, the smallest relative
    # error of the exact value this test could detect there
    assert half / e.values[-1] < 0.04


def _one_step_by_enumeration(q, eta, k):
    """E[x' x'ᵀ] after one DCSGD step from the deterministic centred point y = q.y0, by listing every
    combination of the agents' Rand-k supports; the noise enters through E_Z[(D Z)(D Z)ᵀ] = D Σ D."""
    n, d = q.n_agents, q.d
    y = q.y0
    h = q.hessians if q.hessians.ndim == 3 else np.stack([np.diag(v) for v in q.hessians])
    sig = q.noise if q.noise.ndim == 3 else np.stack([np.diag(v) for v in q.noise])
    u = [h[i] @ y + q.tilts[i] for i in range(n)]
    masks = []
    for sub in itertools.combinations(range(d), k):
        v = np.zeros(d)
        v[list(sub)] = d / k
        masks.append(v)
    acc = np.zeros((d, d))
    combos = list(itertools.product(masks, repeat=n))
    for combo in combos:
        g = sum(combo[i] * u[i] for i in range(n)) / n
        noise = sum(np.outer(combo[i], combo[i]) * sig[i] for i in range(n)) / n**2
        x1 = y - eta * g
        acc += np.outer(x1, x1) + eta**2 * noise
    return acc / len(combos)


def _engine_one_step(q, eta, comps, masks="independent"):
    eng = DiscreteMoments(q.full(), eta, comps, masks)
    m, s = eng.initial()
    return eng.step(m, s)[1]


def test_one_step_equals_enumeration_of_all_masks() -> None:
    """Deterministic and exact: on a rotated heterogeneous problem with per-agent noise, one step of the
    dense recursion equals the average over all C(d,k)^N support combinations, at several start points
    (rank-one second moments span the symmetric matrices, so this pins the whole affine map)."""
    for seed in range(3):
        p = problem_from_spec(f"quadratic:mu=0.3,L=2,rotate=1,hetero=1,seed={seed},x0={0.5 + seed}", 4, 2)
        q = from_problem(p, gaussian([0.5, 1.5]))
        got = _engine_one_step(q, 0.3, [RandK(2)] * 2)
        np.testing.assert_allclose(got, _one_step_by_enumeration(q, 0.3, 2), rtol=1e-12, atol=1e-14)


def test_one_step_with_distinct_full_hessians_equals_enumeration() -> None:
    """Per-agent full Hessians (the path that sums H_i S H_i agent by agent), per-agent noise covariances."""
    rng = np.random.default_rng(7)
    n, d = 3, 4
    hs = []
    for _ in range(n):
        a = rng.normal(size=(d, d))
        hs.append(a @ a.T / d + 0.3 * np.eye(d))
    covs = []
    for _ in range(n):
        b = rng.normal(size=(d, d))
        covs.append(b @ b.T / d)
    q = linear_quadratic(np.stack(hs), rng.normal(size=(n, d)), np.stack(covs), x0=rng.normal(size=d))
    got = _engine_one_step(q, 0.2, [RandK(2)] * n)
    np.testing.assert_allclose(got, _one_step_by_enumeration(q, 0.2, 2), rtol=1e-12, atol=1e-14)
    # and the diagonal path agrees with the dense one when the per-agent Hessians are distinct diagonals
    qd = linear_quadratic(rng.uniform(0.5, 2.0, (n, d)), rng.normal(size=(n, d)), rng.uniform(0.1, 1.0, (n, d)))
    a = exact_dcsgd(qd, 0.1, 30, comps=[RandK(2), RandK(3), RandK(1)], points=31)
    b = exact_dcsgd(qd.full(), 0.1, 30, comps=[RandK(2), RandK(3), RandK(1)], points=31)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12)
    assert a.level == pytest.approx(b.level, rel=1e-10)


WRONG_OFF = {"independent coordinates (off = mean^2)": lambda m: m.mean**2,
             "no off-diagonal term (off = 0)": lambda m: 0 * m.off}


@pytest.fixture(scope="module")
def mc_level_d2():
    """Rotated 2-d quadratic, one agent, Rand-1 (the two coordinates are never kept together, so
    E[1_1 1_2] = 0): DCSGD's stationary level by Monte Carlo (4000 replicas × 3000 steps from x0 = 0,
    burn-in 30%), confidence 1 − 1e-3."""
    p = problem_from_spec("quadratic:mu=0.5,L=2,rotate=1,seed=1,x0=0", 2, 1)
    run = run_optimizer("dcsgd", p, gaussian(1.0), eta=0.3, steps=3000, replicas=4000, compressor=RandK(1),
                        seed=21)
    from theorylab.simulate import stationary_level

    return p, stationary_level(run.trajectory, confidence=1 - 1e-3, burn_in=0.3)


def test_monte_carlo_level_interval_contains_the_exact_level(mc_level_d2) -> None:
    p, est = mc_level_d2
    e = exact_run("dcsgd", p, gaussian(1.0), eta=0.3, steps=2, compressor=RandK(1))
    assert est.lower <= e.level <= est.upper, (est, e.level)
    # resolution: the interval's relative half-width, the smallest relative error it can detect (~0.5%)
    assert (est.upper - est.lower) / 2 / e.level < 0.01


@pytest.mark.parametrize("wrong", list(WRONG_OFF))
def test_planted_mistake_in_the_second_moment_map_is_caught(mc_level_d2, monkeypatch, wrong) -> None:
    """A moment map that forgets the masks' off-diagonal correlation E[1_i 1_j] = k(k−1)/(d(d−1)) is
    caught three ways: by the enumeration of all k-subsets, by the one-step enumeration of the
    recursion on a rotated problem, and by the Monte Carlo level (the planted map moves the exact
    level by ~5%, ten times the interval's half-width)."""
    true_map = MOMENT_MAPS[RandK]

    def planted(c, d):
        m = true_map(c, d)
        return LinearMoments(m.mean, m.diag, WRONG_OFF[wrong](m))

    monkeypatch.setitem(MOMENT_MAPS, RandK, planted)
    assert not np.allclose(_p_matrix(linear_moments(RandK(2), 6), 6), _enumerate_randk(6, 2, 3.0), rtol=1e-6)
    p4 = problem_from_spec("quadratic:mu=0.3,L=2,rotate=1,hetero=1,seed=0,x0=0.5", 4, 2)
    q4 = from_problem(p4, gaussian([0.5, 1.5]))
    assert not np.allclose(_engine_one_step(q4, 0.3, [RandK(2)] * 2), _one_step_by_enumeration(q4, 0.3, 2),
                           rtol=1e-6)
    p, est = mc_level_d2
    e = exact_run("dcsgd", p, gaussian(1.0), eta=0.3, steps=2, compressor=RandK(1))
    if wrong.startswith("no off"):
        # Rand-1 truly has E[1_1 1_2] = 0: this planted map is right for k = 1, so only the k = 2 checks apply
        return
    assert not (est.lower <= e.level <= est.upper)
