"""Exact moments of Theorem 1's SDEs (moment ODEs) against independent closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import solve_continuous_lyapunov

from theorylab.compressors import RandK
from theorylab.errors import AssumptionError, InvalidParameterError
from theorylab.simulate import gaussian, problem_from_spec, quadratic
from theorylab.simulate.exact import exact_sde_run, sde_coefficients
from theorylab.simulate.exact.closed_forms import isotropic_sde_level
from theorylab.simulate.models import bound_for, sde_setting
from theorylab.symbolic import get_sde


def test_coefficients_are_read_from_the_symbolic_sde() -> None:
    p = quadratic(20, 4)
    sde, kw = sde_setting("dcsgd", p, gaussian(1.0, 2), 0.01, [RandK(5)] * 4)
    co = sde_coefficients(sde, kw, 20)
    # Theorem 1 with Rand-5 (ω = 3): b = −g; D = (η/N)(ω d/(d−1) g² + (1+ω)σ²/B); c = −(η/N) ω/(d−1)
    assert co.b0 == 0 and co.b1 == -1 and co.d1 == 0
    assert co.d0 == pytest.approx(0.01 / 4 * 4 * 0.5, rel=1e-14)
    assert co.d2 == pytest.approx(0.01 / 4 * 3 * 20 / 19, rel=1e-14)
    assert co.c == pytest.approx(-0.01 / 4 * 3 / 19, rel=1e-14)


def test_non_polynomial_sde_is_refused() -> None:
    sde = get_sde("dsignsgd-gauss")
    with pytest.raises(InvalidParameterError, match="not a polynomial"):
        sde_coefficients(sde, {"eta": 0.01, "N": 2, "B": 1, "sigma": 1.0}, 3)


@pytest.mark.parametrize("d, n, eta, k", [(20, 4, 0.01, 5), (10, 2, 0.2, 3), (5, 1, 0.05, 5)])
def test_isotropic_sde_level_closed_form(d, n, eta, k) -> None:
    p = quadratic(d, n)
    for method, comp, om in (("dsgd", None, 0.0), ("dcsgd", RandK(k), d / k - 1)):
        r = exact_sde_run(method, p, gaussian(1.0), eta=eta, steps=10, compressor=comp)
        assert r.level == pytest.approx(isotropic_sde_level(d, n, eta, om, 1.0), rel=1e-12)


def test_sde_level_attains_theorem3_when_L_equals_mu() -> None:
    """On f = ‖x‖²/2 the PL and smoothness inequalities are equalities: the SDE's level is Theorem 3's."""
    p = quadratic(20, 4)
    for method, comp in (("dsgd", None), ("dcsgd", [RandK(5)] * 4)):
        r = exact_sde_run(method, p, gaussian(1.0), eta=0.01, steps=10, compressor=comp)
        assert r.level == pytest.approx(bound_for(method, p, gaussian(1.0), 0.01, comp).level, rel=1e-12)


def test_rotated_dsgd_level_is_the_continuous_lyapunov_solution() -> None:
    """DSGD's SDE on a full Hessian A: 0 = −(AS + SA) + (η/N)(σ²/B) I, solved by scipy independently."""
    d, n, eta = 6, 3, 0.05
    p = quadratic(d, n, 0.3, 2.0, rotate=True, seed=2)
    a = p.matrix
    s = solve_continuous_lyapunov(-a, -(eta / n) * 0.5 * np.eye(d))
    r = exact_sde_run("dsgd", p, gaussian(1.0, 2), eta=eta, steps=10)
    assert r.path == "dense expm"
    assert r.level == pytest.approx(0.5 * np.trace(a @ s), rel=1e-10)


def test_diagonal_spectrum_dcsgd_sde_level_closed_form() -> None:
    """Per coordinate ds/dt = −2λs + (η/N)(ωλ² s + (1+ω)σ²): level Σ_j (η/N)(1+ω)σ²/(2(2 − ηωλ_j/N))."""
    d, n, eta, k = 10, 4, 0.05, 2
    p = quadratic(d, n, 0.2, 3.0, spectrum="geometric")
    lam, om = p.eigenvalues, d / k - 1
    want = float(np.sum((eta / n) * (1 + om) / (2 * (2 - eta * om * lam / n))))
    r = exact_sde_run("dcsgd", p, gaussian(1.0), eta=eta, steps=3, compressor=RandK(k))
    assert r.level == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("rotate", [False, True])
def test_sde_moment_curve_against_a_numerical_ode_solve(rotate) -> None:
    """The closed form (diagonal) and expm (dense) curves against scipy's solve_ivp of dS/dt written
    from the covariance matrix of the symbolic SDE."""
    d, n, eta, k = 4, 2, 0.1, 2
    p = quadratic(d, n, 0.5, 2.0, rotate=rotate, seed=1)
    sde, kw = sde_setting("dcsgd", p, gaussian(1.0), eta, [RandK(k)] * n)
    num = sde.lambdify("numpy", d=d, **kw)
    a = p.matrix

    def rhs(t, z):
        s = z.reshape(d, d)
        # E[G Gᵀ] with g = A y: average of covariance(g) is linear in E[g gᵀ] = A S A (diag D quadratic)
        asa = a @ s @ a
        w, v = np.linalg.eigh((asa + asa.T) / 2)
        gs = v * np.sqrt(np.maximum(w, 0))  # columns g with Σ g gᵀ = A S A
        cov = sum(num.covariance(gs[:, i]) - num.covariance(np.zeros(d)) for i in range(d)) + \
            num.covariance(np.zeros(d))
        ds = -(a @ s + s @ a) + cov
        return ds.ravel()

    y0 = np.ones(d)
    sol = solve_ivp(rhs, (0, 2.0), np.outer(y0, y0).ravel(), rtol=1e-10, atol=1e-12, dense_output=True)
    r = exact_sde_run("dcsgd", p, gaussian(1.0), eta=eta, steps=20, compressor=RandK(k), points=21)
    want = [0.5 * np.trace(a @ sol.sol(t).reshape(d, d)) for t in r.times]
    np.testing.assert_allclose(r.values, want, rtol=1e-7)


def test_heterogeneous_problem_is_refused_by_the_sde() -> None:
    p = problem_from_spec("quadratic:mu=1,L=1,hetero=1", 4, 2)
    with pytest.raises(AssumptionError, match="homogeneous"):
        exact_sde_run("dsgd", p, gaussian(1.0), eta=0.1, steps=3)


def test_rational_sde_level() -> None:
    p = quadratic(4, 2)
    r = exact_sde_run("dcsgd", p, gaussian(1.0), eta="0.1", steps=3, compressor=RandK(2), rational=True)
    import sympy as sp

    assert r.exact_level == sp.Rational(4, 1) * sp.Rational(1, 10) * 2 / (2 * 2 * (2 - sp.Rational(1, 10) * 1 / 2))


def test_per_agent_sde_level_closed_form() -> None:
    """Per-agent ω_i and σ_i (Theorem 1 with agents=n): per coordinate
    ds/dt = −2s + (η/N)(1/N) Σ_i (ω_i s + (1+ω_i)σ_i²)."""
    d, n, eta = 10, 3, 0.05
    oms, sig2 = [4, 1, 4], [1.0, 4.0, 0.25]
    r = exact_sde_run("dcsgd", quadratic(d, n), gaussian([1.0, 2.0, 0.5]), eta=eta, steps=3,
                      compressor=[RandK(2), RandK(5), RandK(2)])
    a = sum(oms) / n
    c = sum((1 + o) * s for o, s in zip(oms, sig2)) / n
    assert r.level == pytest.approx(d / 2 * (eta / n) * c / (2 - (eta / n) * a), rel=1e-12)
