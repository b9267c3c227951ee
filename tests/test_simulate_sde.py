"""SDE integrator: Euler–Maruyama and Richardson against exact stationary levels of the scheme,
the covariance (non-diagonal) path, injected Brownian increments (pathwise), the PSD factor.

Exact values (derived here, independently of the symbolic layer): on f = ||x||^2/2 the DSGD SDE is
the OU process dX = -X dt + s dW, s^2 = eta sigma^2/(N B). Euler with step h gives
m = E X_j^2 = s^2/(2 - h), so E f = d s^2/(2(2 - h)); the SDE itself has d s^2/4.
With the exact Rand-k covariance (diagonal omega g_j^2 + (1+omega) sigma^2/B), Euler with h gives
E f = d (eta/N)(1+omega) sigma^2 / (2 (2 - h - eta omega/N)).
Interval checks are at 99.9% (false-alarm 1e-3 each).
"""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.compressors import RandK
from theorylab.errors import InvalidParameterError
from theorylab.simulate import gaussian, integrate, problem_from_spec, sde_for, stationary_level
from theorylab.symbolic.sde import _psd_factor

P = problem_from_spec("quadratic:mu=1,L=1", 10, 4)


def test_euler_and_richardson_hit_their_exact_levels() -> None:
    eta, d, n = 0.2, 10, 4
    s2 = eta / n
    sde = sde_for("dsgd", P, gaussian(1.0), eta)
    assert sde.diagonal
    em = stationary_level(integrate(sde, P, eta=eta, steps=600, paths=2000, seed=1).trajectory, 0.999)
    ri = stationary_level(integrate(sde, P, eta=eta, steps=600, paths=2000, seed=1, scheme="richardson").trajectory,
                          0.999)
    em_exact = d * s2 / (2 * (2 - eta))
    ri_exact = 2 * d * s2 / (2 * (2 - eta / 2)) - em_exact
    sde_exact = d * s2 / 4
    assert em.lower < em_exact < em.upper
    assert ri.lower < ri_exact < ri.upper
    # Richardson's bias is second order: 20x smaller than Euler's here, and the interval excludes Euler's level
    assert abs(ri_exact - sde_exact) < abs(em_exact - sde_exact) / 15
    assert not (ri.lower < em_exact < ri.upper)


def test_full_covariance_path_matches_the_optimizer_level() -> None:
    eta, d, n, omega = 0.05, 10, 4, 1.0
    sde = sde_for("dcsgd", P, gaussian(1.0), eta, [RandK(5)] * 4)
    assert not sde.diagonal
    est = stationary_level(integrate(sde, P, eta=eta, steps=400, paths=400, seed=2).trajectory, 0.999)
    exact = d * (eta / n) * (1 + omega) / (2 * (2 - eta - eta * omega / n))
    assert est.lower < exact < est.upper, (est, exact)


def test_injected_increments_give_the_same_paths() -> None:
    eta, paths, steps = 0.1, 3, 20
    sde = sde_for("dsgd", P, gaussian(1.0), eta)
    rng = np.random.default_rng(0)
    dw = rng.standard_normal((steps, paths, 10)) * np.sqrt(eta)
    run = integrate(sde, P, eta=eta, steps=steps, paths=paths, brownian=dw, points=steps + 1)
    x = np.ones((paths, 10))
    s = np.sqrt(eta / 4)
    gaps = [0.5 * np.sum(x * x, axis=1)]
    for i in range(steps):  # hand-written Euler of dX = -X dt + s dW
        x = x - x * eta + s * dw[i]
        gaps.append(0.5 * np.sum(x * x, axis=1))
    np.testing.assert_allclose(run.trajectory.values, np.array(gaps), rtol=1e-12)
    calls = integrate(sde, P, eta=eta, steps=steps, paths=paths, brownian=lambda i, shape: dw[i], points=steps + 1)
    np.testing.assert_array_equal(calls.trajectory.values, run.trajectory.values)
    with pytest.raises(InvalidParameterError, match="shape"):
        integrate(sde, P, eta=eta, steps=steps, paths=paths, brownian=dw[:-1])


def test_psd_factor_of_semidefinite_covariances() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 4, 2))
    cov = a @ np.swapaxes(a, -1, -2)  # rank 2: Cholesky fails, eigh fallback
    g = _psd_factor(cov, np)
    np.testing.assert_allclose(g @ np.swapaxes(g, -1, -2), cov, atol=1e-12)
    spd = cov + np.eye(4)
    g = _psd_factor(spd, np)
    np.testing.assert_allclose(g @ np.swapaxes(g, -1, -2), spd, atol=1e-12)


def _factor_of(sde, g: np.ndarray) -> np.ndarray:
    """The matrix G that ``sde.diffuse(g, .)`` applies: column i is ``diffuse(g, e_i)``."""
    d = g.shape[-1]
    return sde.diffuse(np.broadcast_to(g, (d, d)), np.eye(d)).T


@pytest.mark.parametrize("sigma", [1.0, 0.0])
def test_diffuse_is_a_factor_of_the_rand_k_covariance(sigma) -> None:
    """``diffuse`` (O(d), diag + rank one) applies a G with G G^T = covariance(g) exactly:
    random gradients, gradients with zeros, g = 0, and sigma = 0 (D = 0 where g = 0)."""
    sde = sde_for("dcsgd", P, gaussian(sigma), 0.05, [RandK(3)] * 4)
    assert not sde.diagonal
    rng = np.random.default_rng(5)
    gs = [rng.standard_normal(10), np.r_[rng.standard_normal(4), np.zeros(6)], np.zeros(10), 1e3 * rng.standard_normal(10)]
    for g in gs:
        G = _factor_of(sde, g)
        cov = sde.covariance(g)
        np.testing.assert_allclose(G @ G.T, cov, atol=1e-12 * max(1.0, np.abs(cov).max()))
    # batched: one G per path, same as path by path
    g = rng.standard_normal((6, 10))
    dw = rng.standard_normal((6, 10))
    by_path = np.array([_factor_of(sde, g[i]) @ dw[i] for i in range(6)])
    np.testing.assert_allclose(sde.diffuse(g, dw), by_path, rtol=1e-12)


def test_diffuse_dense_fallback_and_indefinite_error() -> None:
    """c > 0 with D_j = 0 where g_j != 0 takes the dense factor; an indefinite covariance
    (1 + c|u|^2 < 0) is a clear error, never a NaN."""
    import dataclasses

    base = sde_for("dcsgd", P, gaussian(1.0), 0.05, [RandK(3)] * 4)
    g = np.r_[1.0, 2.0, np.zeros(8)]
    plus = dataclasses.replace(base, _cov_diag=lambda g: 0.0 * g, _cov_outer=lambda g: 0.5 + 0.0 * g)
    G = _factor_of(plus, g)
    np.testing.assert_allclose(G @ G.T, plus.covariance(g), atol=1e-12)
    minus = dataclasses.replace(base, _cov_diag=lambda g: 1.0 + 0.0 * g, _cov_outer=lambda g: -1.0 + 0.0 * g)
    with pytest.raises(InvalidParameterError, match="not positive semi-definite"):
        minus.diffuse(g, np.ones(10))


def test_student_t_sde_needs_finite_variance_for_dcsgd() -> None:
    from theorylab.errors import AssumptionError
    from theorylab.simulate import student_t

    with pytest.raises(AssumptionError, match="finite noise variance"):
        sde_for("dcsgd", P, student_t(2.0), 0.01, [RandK(5)] * 4)
    s = sde_for("dsignsgd", P, student_t(1.0), 0.01)  # DSignSGD's SDE exists for Cauchy noise
    assert s.diagonal and s.params["nu"] == 1.0


def test_per_agent_sdes_lambdify() -> None:
    """Heterogeneous agents (omega_i, sigma_i) use the symbolic SDE with per-agent symbols."""
    from theorylab.simulate import student_t

    comps = [RandK(5), RandK(5), RandK(10), RandK(2)]
    sde = sde_for("dcsgd", P, gaussian([1.0, 2.0, 1.0, 0.5]), 0.01, comps)
    assert sde.params["omega_3"] == 0.0 and sde.params["omega_4"] == 4.0 and sde.params["sigma_2"] == 2.0
    g = np.zeros((3, 10))
    # at g = 0 the variance is (eta/N) mean_i (1 + omega_i) sigma_i^2 (exact Rand-k covariance, B = 1)
    om, s2 = np.array([1.0, 1.0, 0.0, 4.0]), np.array([1.0, 4.0, 1.0, 0.25])
    np.testing.assert_allclose(sde.variance(g), 0.01 / 4 * np.mean((1 + om) * s2), rtol=1e-12)
    s = sde_for("dsignsgd", P, student_t(3.0, [1.0, 2.0, 1.0, 1.0]), 0.01)
    np.testing.assert_allclose(s.drift(g), 0.0, atol=1e-15)
    np.testing.assert_allclose(s.diffusion(g), np.sqrt(0.01 / 4), rtol=1e-12)


# ----------------------------------------------------------------------------- both paths (numba / numpy)


def _run_both(monkeypatch, sde, **kw):
    out = {}
    for flag in ("1", "0"):
        monkeypatch.setenv("THEORYLAB_NUMBA", flag)
        out[flag] = integrate(sde, P, **kw).trajectory
    return out["1"], out["0"]


@pytest.mark.parametrize("method, exact", [("dsgd", True), ("dcsgd", False)])
def test_diagonal_sde_bit_identical_on_both_paths(monkeypatch, method, exact) -> None:
    """Diagonal SDEs (a constant diffusion for DSGD, g-dependent for the leading-order DCSGD SDE):
    the fused kernel draws numpy's normals in numpy's order and rounds like the numpy expression,
    so the paths agree bit for bit (Euler and Richardson)."""
    from theorylab import _numba

    if not _numba.available():
        pytest.skip("numba not installed (theorylab[fast])")
    comps = None if method == "dsgd" else [RandK(3)] * 4
    sde = sde_for(method, P, gaussian(1.0), 0.05, comps, exact=exact)
    assert sde.diagonal
    for scheme in ("euler", "richardson"):
        a, b = _run_both(monkeypatch, sde, eta=0.05, steps=40, paths=7, seed=3, scheme=scheme, points=41)
        np.testing.assert_array_equal(a.values, b.values)


def test_rank_one_sde_same_paths_on_both_paths(monkeypatch) -> None:
    """The exact Rand-k SDE (diag + rank one): with the same injected increments the fused kernel and
    NumericSDE.diffuse agree bit for bit (inner products in numpy's pairwise order); the comparison
    is sensitive: a factor with beta off by 1% (planted bug) is far outside the tolerance."""
    from theorylab import _numba

    if not _numba.available():
        pytest.skip("numba not installed (theorylab[fast])")
    sde = sde_for("dcsgd", P, gaussian(1.0), 0.05, [RandK(3)] * 4)
    assert not sde.diagonal
    dw = np.random.default_rng(0).standard_normal((30, 5, 10)) * np.sqrt(0.05)
    a, b = _run_both(monkeypatch, sde, eta=0.05, steps=30, paths=5, brownian=dw, points=31)
    np.testing.assert_array_equal(a.values, b.values)
    a, b = _run_both(monkeypatch, sde, eta=0.05, steps=30, paths=5, seed=8, points=31)  # drawn in the kernel
    np.testing.assert_array_equal(a.values, b.values)
    # planted bug: the same step with beta * 1.01 (a wrong factor) differs by far more than 1e-12
    x = np.ones((5, 10))
    g = P.grad(x)
    ref = x + sde.drift(g) * 0.05 + sde.diffuse(g, dw[0])
    s = np.sqrt(sde.variance(g) - sde._cov_outer(g[:, :1]) * g * g)
    u = g / s
    c = sde._cov_outer(g[:, :1])
    beta = 1.01 * c / (1 + np.sqrt(1 + c * np.sum(u * u, axis=1, keepdims=True)))
    bad = x + sde.drift(g) * 0.05 + s * (dw[0] + beta * u * np.sum(u * dw[0], axis=1, keepdims=True))
    xk = x.copy()
    c2 = np.asarray(c, dtype=float).reshape(-1, 1) if np.ndim(c) else np.full((1, 1), c)
    n_dense = _numba.euler_rank1(np.random.default_rng(0), xk, g, sde._drift(g), sde._cov_diag(g), c2, 0.05, 0.0,
                                 dw[0], np.empty(10), np.empty(10), np.empty(10), np.empty(5, dtype=np.int64))
    assert n_dense == 0
    np.testing.assert_array_equal(xk, ref)
    assert np.max(np.abs(xk - bad)) > 1e-6


def test_kernel_falls_back_to_the_dense_factor_and_raises_on_indefinite(monkeypatch) -> None:
    """D = 0 where g != 0 (c > 0): the kernel leaves those paths to the dense factor of
    NumericSDE.diffuse (all paths here: the same numbers as the numpy path; then a mix of paths);
    an indefinite covariance is the same clear error on both paths."""
    import dataclasses

    base = sde_for("dcsgd", P, gaussian(1.0), 0.05, [RandK(3)] * 4)
    plus = dataclasses.replace(base, _cov_diag=lambda g: 0.0 * g, _cov_outer=lambda g: 0.5 + 0.0 * g)
    dw = np.random.default_rng(1).standard_normal((10, 4, 10)) * np.sqrt(0.05)
    a, b = _run_both(monkeypatch, plus, eta=0.05, steps=10, paths=4, brownian=dw, points=11)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12)
    # a mix of paths (numba kernel only; numpy's diffuse takes the dense factor for all paths as soon
    # as one needs it): D_j = 0 where g_j > 1.5 (elementwise in g_j, as the contract requires); rows
    # with such a coordinate need the dense factor, the others take the O(d) one. Reference: diffuse
    # path by path (it decides per call).
    from theorylab import _numba
    from theorylab.simulate.sde import _Stepper

    if _numba.available():
        mixed = dataclasses.replace(base, _cov_diag=lambda g: np.where(g > 1.5, 0.0, 1.0),
                                    _cov_outer=lambda g: 0.5 + 0.0 * g)
        rng = np.random.default_rng(2)
        x = rng.uniform(-1, 1, (6, 10))
        x[::2, 3] = 2.0
        dw1 = rng.standard_normal((6, 10))
        ref = np.array([x[i] + mixed.drift(x[i:i + 1])[0] * 0.1 + mixed.diffuse(x[i:i + 1], dw1[i:i + 1])[0]
                        for i in range(6)])
        monkeypatch.setenv("THEORYLAB_NUMBA", "1")
        stepper = _Stepper(mixed, P, np, rng, 6, 10)
        assert stepper.kernel
        stepper.step(x, 0.1, dw1)
        np.testing.assert_array_equal(x, ref)
    minus = dataclasses.replace(base, _cov_diag=lambda g: 1.0 + 0.0 * g, _cov_outer=lambda g: -1.0 + 0.0 * g)
    for flag in ("1", "0"):
        monkeypatch.setenv("THEORYLAB_NUMBA", flag)
        with pytest.raises(InvalidParameterError, match="not positive semi-definite"):
            integrate(minus, P, eta=0.05, steps=3, paths=4, seed=0)


# ----------------------------------------------------------------------------- fused path (diagonal quadratics)


def test_pairwise_sum_and_quadratic_gap_match_numpy() -> None:
    """The kernels' row sum is numpy's pairwise order, so the gap of a diagonal quadratic is the
    numbers of ``0.5 * np.sum(lam * x * x, axis=-1) - f*``, for short rows, the 8-accumulator
    blocks and the split of rows longer than 128. Planted bug: a left-to-right sum differs."""
    import functools
    import operator

    from theorylab import _numba

    if not _numba.available():
        pytest.skip("numba not installed (theorylab[fast])")
    rng = np.random.default_rng(5)
    differs = 0
    for d in (1, 3, 7, 8, 9, 20, 128, 129, 1000, 4097):
        x = rng.standard_normal((12, d)) * np.exp(3 * rng.standard_normal((12, d)))
        lam = rng.uniform(0.1, 3.0, d)
        assert all(_numba.pairwise_sum(row) == np.sum(row) for row in x)
        np.testing.assert_array_equal(_numba.quadratic_gap(x, lam, 0.25), 0.5 * np.sum(lam * x * x, axis=-1) - 0.25)
        differs += sum(functools.reduce(operator.add, row.tolist()) != np.sum(row) for row in x)
    assert differs > 0


def test_diagonal_quadratics_are_recognised_bit_for_bit() -> None:
    """Unrotated quadratics give (lambda, f*); a rotated quadratic, the sin-PL problem and a quadratic
    whose f is off by one part in 1e15 (planted) are not taken for diagonal quadratics."""
    import dataclasses

    from theorylab import _numba
    from theorylab.simulate.problems import Quadratic
    from theorylab.simulate.sde import _diagonal_quadratic

    if not _numba.available():
        pytest.skip("numba not installed (theorylab[fast])")
    q = problem_from_spec("quadratic:mu=0.5,L=2,hetero=1", 12, 3)
    lam, fstar = _diagonal_quadratic(q)
    np.testing.assert_array_equal(lam, q.eigenvalues)
    assert fstar == 0.0
    assert _diagonal_quadratic(problem_from_spec("quadratic:mu=0.5,L=2,rotate=1", 12, 3)) is None
    assert _diagonal_quadratic(problem_from_spec("sinpl", 12, 3)) is None

    @dataclasses.dataclass(frozen=True, eq=False)
    class Off(Quadratic):
        def f(self, x):
            return super().f(x) * (1 + 1e-15)

    off = Off(**{f.name: getattr(q, f.name) for f in dataclasses.fields(q) if f.name != "_cache"})
    assert _diagonal_quadratic(off) is None


@pytest.mark.parametrize("exact", [False, True])
def test_fused_path_same_record_as_the_numpy_path(monkeypatch, exact) -> None:
    """The fused kernels (many steps per call, chunks of 3 steps here; the gap computed in the kernel)
    against the numpy path: the same record, bit for bit for the diagonal SDE (drawn, injected as an
    array, injected by a callable; 2 substeps) and for the rank-one one; with paths
    diverging (a low explode threshold) the same divergence and masks."""
    from theorylab import _numba
    from theorylab.simulate import sde as sde_mod

    if not _numba.available():
        pytest.skip("numba not installed (theorylab[fast])")
    monkeypatch.setattr(sde_mod, "_CHUNK", 3 * 6)
    q = problem_from_spec("quadratic:mu=0.5,L=2", 10, 4)
    sde = sde_for("dcsgd", q, gaussian(1.0), 0.05, [RandK(3)] * 4, exact=exact)
    assert sde.diagonal is not exact
    monkeypatch.setenv("THEORYLAB_NUMBA", "1")
    st = sde_mod._Stepper(sde, q, np, np.random.default_rng(0), 6, 10)
    assert (st.fused, st.quad) == (not exact, exact)
    dw = np.random.default_rng(7).standard_normal((80, 6, 10)) * np.sqrt(0.025)
    runs = [dict(seed=3), dict(brownian=dw), dict(brownian=lambda i, shape: dw[i]),
            dict(seed=4, explode=0.15, x0=np.zeros(10))]
    for kw in runs:
        out = {}
        for flag in ("1", "0"):
            monkeypatch.setenv("THEORYLAB_NUMBA", flag)
            out[flag] = integrate(sde, q, eta=0.05, steps=40, paths=6, substeps=2, points=41, blocks=7,
                                  **kw).trajectory
        a, b = out["1"], out["0"]
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.block_sums, b.block_sums)
        assert a.divergence == b.divergence
        np.testing.assert_array_equal(a.alive, b.alive)
        if "explode" in kw:
            assert 0 < a.divergence.count < 6, a.divergence


def test_rank_one_kernel_on_a_quadratic_hands_back_dense_paths(monkeypatch) -> None:
    """Rank-one kernel with g and the gap computed inside (a diagonal quadratic, polynomial D = 1 − g²
    clamped at 0 and c = 1/2, lambdified from sympy): paths with some |g_j| > 1 (D_j = 0, g_j ≠ 0)
    get the dense factor of NumericSDE.diffuse, the others the O(d) one; the step and the gaps
    written by the kernel match diffuse and the problem's gap path by path."""
    import dataclasses

    import sympy as sp

    from theorylab import _numba
    from theorylab.simulate.sde import _Stepper
    from theorylab.symbolic.symbols import gj

    if not _numba.available():
        pytest.skip("numba not installed (theorylab[fast])")
    base = sde_for("dcsgd", P, gaussian(1.0), 0.05, [RandK(3)] * 4)
    exprs = (-gj, 1 - gj**2, sp.Rational(1, 2))
    mixed = dataclasses.replace(base, _drift=sp.lambdify([gj], exprs[0]), _cov_diag=sp.lambdify([gj], exprs[1]),
                                _cov_outer=sp.lambdify([gj], exprs[2]), expressions=exprs, variable=gj)
    rng = np.random.default_rng(3)
    x = rng.uniform(-0.9, 0.9, (6, 10))
    x[::2, 4] = 1.5
    dw = rng.standard_normal((6, 10)) * 0.3
    ref = np.array([x[i] + mixed.drift(x[i:i + 1])[0] * 0.1 + mixed.diffuse(x[i:i + 1], dw[i:i + 1])[0]
                    for i in range(6)])
    monkeypatch.setenv("THEORYLAB_NUMBA", "1")
    st = _Stepper(mixed, P, np, rng, 6, 10)
    assert st.quad and not st.fused
    gap = np.full(6, np.nan)
    assert st.step(x, 0.1, dw, gap=gap)
    np.testing.assert_array_equal(x, ref)
    np.testing.assert_array_equal(gap, P.gap(x))


def test_recorder_observe_many_is_observe_step_by_step() -> None:
    """Recorder.observe_many over chunks of steps (none diverging, some with NaN or exploding gaps,
    chunks across block and record boundaries) leaves the same record as observe step by step and
    returns the union of the newly diverged masks of its steps."""
    from theorylab.simulate.record import Recorder

    rng = np.random.default_rng(11)
    steps, reps = 97, 9
    gaps = rng.exponential(size=(steps + 1, reps))
    gaps[40, 2] = np.nan
    gaps[41, 2] = 5.0  # already dead: no second report
    gaps[70, 5] = 1e9
    gaps[70, 6] = np.inf
    one = Recorder(steps, reps, np, points=13, blocks=7, explode=1e3)
    many = Recorder(steps, reps, np, points=13, blocks=7, explode=1e3)
    one.observe(0, gaps[0])
    many.observe(0, gaps[0])
    k = 1
    for m in (1, 5, 30, 8, 17, 36):
        expect = None
        for i in range(m):
            dead = one.observe(k + i, gaps[k + i])
            if dead is not None:
                expect = dead if expect is None else expect | dead
        got = many.observe_many(k, gaps[k:k + m])
        assert (got is None) == (expect is None)
        if got is not None:
            np.testing.assert_array_equal(got, expect)
        k += m
    assert k == steps + 1
    a, b = one.result(), many.result()
    for f in ("values", "block_sums", "block_counts", "alive", "steps"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.divergence == b.divergence and a.divergence.count == 3 and a.divergence.first_step == 40


def test_polynomial_coefficients_come_from_the_sympy_expressions_and_are_verified() -> None:
    """The kernels evaluate drift and variance from coefficients read off the SDE's own sympy
    expressions (``sympy.Poly``), accepted only if they reproduce the lambdified functions bit for bit:
    a function that no longer matches its expressions (planted: the drift replaced by −2g) is
    evaluated as a function, never through stale coefficients; a non-polynomial (erf) has none."""
    import dataclasses

    import sympy as sp

    from theorylab.simulate.sde import _poly_coeffs
    from theorylab.symbolic import get_sde

    n = get_sde("dcsgd").lambdify(B=2, N=3, d=7, eta=0.013, omega=2.7, sigma=1.3)
    b, v = _poly_coeffs(n, 0), _poly_coeffs(n, 1)
    assert b is not None and v is not None and b[1] == -1.0 and v[1] == 0.0 and v[2] > 0
    g = np.linspace(-3, 3, 13)
    np.testing.assert_array_equal((v[2] * (g * g) + v[1] * g) + v[0], n._cov_diag(g))
    stale = dataclasses.replace(n, _drift=sp.lambdify([n.variable], -2 * n.variable))
    assert _poly_coeffs(stale, 0) is None
    s = get_sde("dsignsgd").lambdify(B=1, N=4, eta=0.01, nu="inf", sigma=1)
    assert _poly_coeffs(s, 0) is None and _poly_coeffs(s, 1) is None
