"""Tests of theorylab.symbolic: Xi_nu identities, SDEs and their numeric form, bounds, CLI."""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
import scipy.special
import scipy.stats
import sympy as sp

from theorylab.cli.main import main as cli_main
from theorylab.errors import AssumptionError, InvalidParameterError
from theorylab.symbolic import (
    M,
    Xi,
    get_bound,
    get_sde,
    m_numeric,
    randk_phi_moment,
    randk_phi_moment_bruteforce,
    randk_sigma_tilde,
    t_density,
    xi_hyper,
    xi_numeric,
)
from theorylab.symbolic.symbols import B, N, d, eta, gj, nu, omega, sigma

x = sp.Symbol("x", real=True)
NUS = (1, 2, 3, 8, 64)
GRID = np.concatenate([-np.logspace(-6, 3, 40), [0.0], np.logspace(-6, 3, 40)])


# ----------------------------------------------------------------------------- Xi_nu


@pytest.mark.parametrize("nu_", [1, 2, 3, 4])
def test_xi_closed_form_equals_t_cdf_minus_half_symbolically(nu_: int) -> None:
    """For integer nu the hypergeometric form expands; it equals sympy.stats' t CDF minus 1/2."""
    from sympy.stats import StudentT, cdf

    closed = sp.hyperexpand(xi_hyper(sp.Integer(nu_), x))
    # derivative of the closed form is the t density, and both vanish at 0
    assert sp.simplify(sp.diff(closed, x) - t_density(sp.Integer(nu_), x).rewrite(sp.gamma)) == 0
    assert sp.limit(closed, x, 0) == 0
    tcdf = cdf(StudentT("T", nu_))(x) - sp.S.Half
    for v in (sp.Rational(1, 3), sp.Integer(2), sp.Integer(-5)):
        assert abs(sp.N(closed.subs(x, v) - tcdf.subs(x, v), 30)) < 1e-25


def test_xi_general_nu_is_sympy_stats_t_cdf() -> None:
    """For symbolic nu, sympy.stats' Student-t CDF is exactly 1/2 + the closed form."""
    from sympy.stats import StudentT, cdf

    nu_s = sp.Symbol("nu", positive=True)
    assert sp.simplify(cdf(StudentT("T", nu_s))(x) - sp.S.Half - Xi(nu_s, x).rewrite(sp.hyper)) == 0


def _xi_mpmath(nu_: int, xv: float) -> float:
    mpmath.mp.dps = 40
    xm, n = mpmath.mpf(float(xv)), mpmath.mpf(nu_)
    m = mpmath.gamma((n + 1) / 2) / (mpmath.sqrt(mpmath.pi * n) * mpmath.gamma(n / 2))
    return float(xm * m * mpmath.hyp2f1(0.5, (n + 1) / 2, 1.5, -xm**2 / n))


@pytest.mark.parametrize("nu_", NUS)
def test_xi_numeric_matches_mpmath_and_scipy(nu_: int) -> None:
    ours = xi_numeric(nu_, GRID)
    ref = np.array([_xi_mpmath(nu_, v) for v in GRID])
    # relative accuracy against the 40-digit hypergeometric closed form
    assert np.all(np.abs(ours - ref) <= 1e-13 * np.abs(ref))
    # scipy's t CDF minus 1/2 loses absolute accuracy near 0 for nu = 1 (measured 1.4e-11 at
    # x ~ 1e-6, scipy 1.17); 2e-15 for the other nu
    tol = 2e-11 if nu_ == 1 else 2e-15
    assert np.allclose(ours, scipy.stats.t.cdf(GRID, nu_) - 0.5, rtol=0, atol=tol)
    assert np.allclose(ours, scipy.special.stdtr(nu_, GRID) - 0.5, rtol=0, atol=tol)
    # the sympy function's evalf agrees too
    for xv in GRID[::9]:
        assert math.isclose(float(Xi(sp.Integer(nu_), sp.Float(xv, 30)).evalf(30)), _xi_mpmath(nu_, xv),
                            rel_tol=1e-14, abs_tol=1e-300)
    # |Xi_nu| < 1/2: strict in 40-digit arithmetic (at x = 5); doubles round to 1/2 far out
    assert np.all(np.abs(ours) <= 0.5)
    assert mpmath.mpf(0.5) - abs(Xi(sp.Integer(nu_), sp.Integer(5)).evalf(40)) > 0


def test_xi_gaussian_limit_and_bounds() -> None:
    assert Xi(sp.oo, x) == sp.erf(x / sp.sqrt(2)) / 2
    assert np.allclose(xi_numeric(np.inf, GRID), scipy.special.erf(GRID / np.sqrt(2)) / 2, atol=1e-16)
    # large nu approaches the Gaussian form
    assert np.max(np.abs(xi_numeric(1e7, GRID) - xi_numeric(np.inf, GRID))) < 1e-6
    # |Xi| < 1/2 symbolically at the extremes
    assert Xi(nu, sp.oo) == sp.S.Half and Xi(nu, -sp.oo) == -sp.S.Half


@pytest.mark.parametrize("nu_", [1, 2, 3, 8, sp.oo])
def test_xi_derivative_at_zero_is_m_nu(nu_: sp.Expr) -> None:
    nu_ = sp.sympify(nu_)
    der0 = sp.diff(Xi(nu_, x), x).subs(x, 0)
    assert sp.simplify(der0 - M(nu_)) == 0
    assert math.isclose(float(M(nu_)), m_numeric(float(nu_)), rel_tol=1e-14)
    # generic nu: the derivative of Xi at 0 is M(nu)
    assert sp.diff(Xi(nu, x), x).subs(x, 0) == M(nu)


def test_m_nu_special_values() -> None:
    assert sp.simplify(2 * M(1) - 2 / sp.pi) == 0
    assert sp.simplify(2 * M(2) - 1 / sp.sqrt(2)) == 0
    assert sp.simplify(2 * M(sp.oo) - sp.sqrt(2 / sp.pi)) == 0


@pytest.mark.parametrize("nu_", [1, 3, np.inf])
def test_expected_sign_is_two_xi(nu_: float) -> None:
    """E[sign(g + sigma T)] = 2 Xi_nu(g/sigma), by quadrature of the t density (no sampling)."""
    from scipy import integrate

    dist = scipy.stats.norm() if np.isinf(nu_) else scipy.stats.t(nu_)
    for g, s in [(0.3, 1.0), (-1.7, 0.5), (2.0, 3.0)]:
        # E sign(g + s T) = P(T > -g/s) - P(T < -g/s)
        p_neg, _ = integrate.quad(dist.pdf, -np.inf, -g / s)
        expected = (1 - p_neg) - p_neg
        assert math.isclose(expected, 2 * float(xi_numeric(nu_, np.float64(g / s))), abs_tol=1e-9)


# ----------------------------------------------------------------------------- Rand-k and SDEs


def test_randk_moment_derived_matches_enumeration() -> None:
    mom = randk_phi_moment()
    k = sp.Symbol("k", positive=True, integer=True)
    assert sp.simplify(mom.p1 - k / d) == 0
    assert sp.simplify(mom.p2 - k * (k - 1) / (d * (d - 1))) == 0
    assert sp.simplify(mom.omega - (d / k - 1)) == 0
    for dim, kk in [(3, 1), (4, 2), (5, 3)]:
        brute, xs = randk_phi_moment_bruteforce(dim, kk)
        for i in range(dim):
            for j in range(dim):
                coef = mom.diag if i == j else mom.offdiag
                expect = coef.subs({d: dim, k: kk}) * xs[i] * xs[j]
                assert sp.expand(brute[i, j] - expect) == 0


def test_randk_sigma_tilde_leading_order_and_trace() -> None:
    D, c = randk_sigma_tilde(True)
    # diagonal of Sigma~ is exactly omega g^2 + (1 + omega) sigma^2/B
    assert sp.simplify(D + c * gj**2 - (omega * gj**2 + (1 + omega) * sigma**2 / B)) == 0
    # off-diagonal coefficient -omega/(d - 1) vanishes as d -> oo (leading order)
    assert sp.simplify(c + omega / (d - 1)) == 0
    assert sp.limit(c, d, sp.oo) == 0
    D0, c0 = randk_sigma_tilde(False)
    assert c0 == 0 and sp.simplify(D0 - (omega * gj**2 + (1 + omega) * sigma**2 / B)) == 0


def test_sdes_structure() -> None:
    assert get_sde("dsgd").cov_diag == eta * sigma**2 / (B * N)
    assert get_sde("dcsgd").diagonal is False and get_sde("dcsgd-diag").diagonal is True
    s = get_sde("dsignsgd")
    assert s.drift == -2 * Xi(nu, sp.sqrt(B) * gj / sigma)
    gauss = get_sde("dsignsgd-gauss")
    assert sp.simplify(gauss.drift + sp.erf(sp.sqrt(B) * gj / (sp.sqrt(2) * sigma))) == 0
    # matrices for a concrete d
    cov = get_sde("dcsgd").covariance_matrix(3)
    assert cov.shape == (3, 3) and sp.simplify(cov[0, 1] - cov[1, 0]) == 0


def test_lambdify_broadcasts_constants() -> None:
    """A constant drift/diffusion must come back with g's shape (sympy issue 5642)."""
    num = get_sde("dsgd").lambdify(eta=0.01, N=4, sigma=1, B=1)
    g = np.zeros((7, 5))
    sd = num.diffusion(g)
    assert sd.shape == (7, 5) and np.allclose(sd, math.sqrt(0.01 / 4))
    assert num.drift(g).shape == (7, 5)
    assert num.covariance(g).shape == (7, 5, 5)


def test_lambdify_dcsgd_covariance_matches_sympy_matrix() -> None:
    sde = get_sde("dcsgd")
    params = dict(eta=0.01, N=4, sigma=1.5, B=2, omega=3)
    num = sde.lambdify(d=4, **params)
    g = np.array([[0.3, -1.0, 2.0, 0.5]])
    mat = sde.covariance_matrix(4).subs({sp.Symbol(k_, **sp.Symbol(k_).assumptions0): v for k_, v in params.items()})
    mat = mat.subs({eta: 0.01, N: 4, sigma: 1.5, B: 2, omega: 3})
    mat = mat.subs({sp.Symbol(f"g_{j + 1}", real=True): g[0, j] for j in range(4)})
    assert np.allclose(num.covariance(g)[0], np.array(mat, dtype=float))
    # trace equals omega ||g||^2 + (1 + omega) d sigma^2/B, times eta/N
    tr = np.trace(num.covariance(g)[0])
    assert math.isclose(tr, 0.01 / 4 * (3 * np.sum(g**2) + 4 * 4 * 1.5**2 / 2), rel_tol=1e-12)
    with pytest.raises(InvalidParameterError, match="coordinates"):
        num.covariance(np.zeros((1, 5)))


def test_lambdify_dsignsgd_student_and_gauss() -> None:
    g = np.linspace(-3, 3, 11)[None, :]
    num = get_sde("dsignsgd").lambdify(eta=0.01, N=4, sigma=2, B=4, nu=3)
    assert np.allclose(num.drift(g), -2 * (scipy.stats.t.cdf(g, 3) - 0.5))  # sqrt(B)/sigma = 1
    assert np.allclose(num.diffusion(g) ** 2, 0.01 / 4 * (1 - 4 * (scipy.stats.t.cdf(g, 3) - 0.5) ** 2))
    gauss = get_sde("dsignsgd").lambdify(eta=0.01, N=4, sigma=2, B=4, nu="inf")
    assert np.allclose(gauss.drift(g), -scipy.special.erf(g / np.sqrt(2)))
    het = get_sde("dsignsgd", agents=2).lambdify(eta=0.01, sigma=[1, 2], B=1, nu=3)
    expect = -(scipy.stats.t.cdf(g, 3) - 0.5) - (scipy.stats.t.cdf(g / 2, 3) - 0.5)
    assert np.allclose(het.drift(g), expect)


def test_lambdify_rejects_bad_params() -> None:
    with pytest.raises(InvalidParameterError, match="missing"):
        get_sde("dsgd").lambdify(eta=0.01)
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        get_sde("dsgd").lambdify(eta=0.01, N=4, sigma=1, B=1, foo=2)
    with pytest.raises(InvalidParameterError, match="sigma"):
        get_sde("dsgd").lambdify(eta=0.01, N=4, sigma=-1, B=1)
    with pytest.raises(InvalidParameterError, match="NaN"):
        get_sde("dsgd").lambdify(eta=float("nan"), N=4, sigma=1, B=1)


# ----------------------------------------------------------------------------- bounds

REF = dict(eta=0.01, L=1, mu=1, d=20, N=4, sigma=1, B=1, omega=3)


def test_dcsgd_level_reference_value() -> None:
    b = get_bound("dcsgd")
    level = b.evaluate(**REF, t="inf")
    assert math.isclose(level, 0.05 / (1 - 0.03 / 8), rel_tol=1e-14)
    assert f"{level:.5f}" == "0.05019"
    # finite t approaches the level; t = 0 gives gap0
    assert math.isclose(b.evaluate(**REF, t=0, gap0=2.5), 2.5)
    assert b.evaluate(**REF, t=1e4, gap0=2.5) == pytest.approx(level, rel=1e-12)
    assert get_bound("dcsgd").evaluate(**{**REF, "omega": 0}, t="inf") == pytest.approx(0.0125)
    assert sp.simplify(b.step_size_condition.rhs - 2 * sp.Symbol("mu", positive=True) * N
                       / (sp.Symbol("L", positive=True) ** 2 * omega)) == 0


def test_dsignsgd_gaussian_level_candidate_a() -> None:
    b = get_bound("dsignsgd", ell="A")
    level = b.evaluate(eta=1e-3, L=1, mu=1, d=20, N=4, sigma=1, B=1, nu="inf", t="inf")
    assert level == pytest.approx(0.0015666, abs=5e-8)
    cauchy = b.evaluate(eta=1e-3, L=1, mu=1, d=20, N=4, sigma=1, B=1, nu=1, t="inf")
    assert cauchy == pytest.approx(0.00125 * math.pi / 2, rel=1e-14)  # ell_1 = 2/pi
    # candidate B <= candidate A (concavity of Xi on x > 0) => level B >= level A
    lb = get_bound("dsignsgd", ell="B").evaluate(eta=1e-3, L=1, mu=1, d=20, N=4, sigma=1, B=1, nu=3, t="inf", R=2)
    la = b.evaluate(eta=1e-3, L=1, mu=1, d=20, N=4, sigma=1, B=1, nu=3, t="inf")
    assert lb > la


def test_single_agent_plateaus() -> None:
    assert get_bound("sgd").evaluate(eta=0.01, L=1, mu=1, d=20, sigma=1, B=1, t="inf") == pytest.approx(0.05)
    s = get_bound("signsgd").evaluate(eta=1e-3, L=1, mu=1, d=20, sigma=1, B=1, t="inf")
    assert s == pytest.approx(1e-3 * 20 / 4 * math.sqrt(math.pi / 2), rel=1e-14)


@pytest.mark.parametrize(
    ("name", "values", "assumption"),
    [
        ("dcsgd", {**REF, "eta": 3}, "Delta > 0"),
        ("dcsgd", {**REF, "sigma": -1}, "sigma >= 0"),
        ("dcsgd", {**REF, "omega": -0.5}, "omega >= 0"),
        ("dcsgd", {**REF, "mu": 2}, "mu <= L"),
        ("dsignsgd", {**REF, "nu": 0}, "nu > 0"),
        ("dsignsgd", {**REF, "nu": -2}, "nu > 0"),
        ("dsignsgd", {**REF, "nu": 3, "sigma": -1}, "sigma > 0"),
    ],
)
def test_evaluate_names_violated_assumption(name: str, values: dict, assumption: str) -> None:
    values = {k: v for k, v in values.items() if not (name == "dsignsgd" and k == "omega")}
    with pytest.raises(AssumptionError) as info:
        get_bound(name).evaluate(**values, t="inf")
    assert info.value.assumption == assumption
    assert assumption in str(info.value)


def test_evaluate_rejects_unknown_and_missing() -> None:
    with pytest.raises(InvalidParameterError, match="no symbol"):
        get_bound("dcsgd").evaluate(**REF, t="inf", kappa=2)
    with pytest.raises(InvalidParameterError, match="missing"):
        get_bound("dcsgd").evaluate(eta=0.01, t="inf")
    with pytest.raises(InvalidParameterError, match="gap0"):
        get_bound("dcsgd").evaluate(**REF, t=3)


# ----------------------------------------------------------------------------- CLI


def test_cli_bounds_json_level(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli_main(["bounds", "dcsgd", "--at", "eta=0.01", "L=1", "mu=1", "d=20", "N=4", "sigma=1", "B=1",
                   "omega=3", "t=inf", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["evaluation"]["level"] == pytest.approx(0.0501882057716, rel=1e-10)


def test_cli_bounds_assumption_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli_main(["bounds", "dcsgd", "--at", "eta=3", "L=1", "mu=1", "d=20", "N=4", "sigma=1", "B=1",
                   "omega=3", "t=inf"])
    assert rc == 2 and "Delta > 0" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["latex", "markdown", "text", "json"])
def test_cli_sde_and_bounds_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["sde", "dsignsgd", "--format", fmt]) == 0
    assert cli_main(["bounds", "dsignsgd", "--ell", "B", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "Xi" in out or r"\Xi" in out


def test_symbolic_never_imports_simulate() -> None:
    import subprocess
    import sys

    code = ("import sys, theorylab.symbolic, theorylab.cli.symbolic; "
            "bad = [m for m in sys.modules if m.startswith('theorylab.simulate')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.gpu
def test_lambdify_cupy_matches_numpy() -> None:
    import cupy

    g = np.linspace(-3, 3, 24).reshape(2, 12)
    for name, params in [("dsignsgd", dict(eta=0.01, N=4, sigma=1, B=1, nu=3)),
                         ("dsignsgd", dict(eta=0.01, N=4, sigma=1, B=1, nu="inf")),
                         ("dcsgd", dict(eta=0.01, N=4, sigma=1, B=1, omega=3, d=12))]:
        cpu = get_sde(name).lambdify("numpy", **params)
        gpu = get_sde(name).lambdify("cupy", **params)
        gg = cupy.asarray(g)
        assert np.allclose(cupy.asnumpy(gpu.drift(gg)), cpu.drift(g), rtol=1e-12, atol=1e-14)
        if cpu.diagonal:
            assert np.allclose(cupy.asnumpy(gpu.diffusion(gg)), cpu.diffusion(g), rtol=1e-12, atol=1e-14)
        else:
            assert np.allclose(cupy.asnumpy(gpu.covariance(gg)), cpu.covariance(g), rtol=1e-12, atol=1e-14)


def test_dsignsgd_general_form_reduces_to_student_t_form() -> None:
    """Theorem 2's general form with the t CDF (scale sigma/sqrt(B)) equals the Student-t form numerically."""
    g = np.linspace(-4, 4, 17)[None, :]
    sigma_, b_, nu_ = 2.0, 4.0, 3.0
    scale = sigma_ / math.sqrt(b_)
    general = get_sde("dsignsgd-general").lambdify(
        functions={"F": lambda z: scipy.stats.t.cdf(z / scale, nu_)}, eta=0.01, N=4)
    student = get_sde("dsignsgd").lambdify(eta=0.01, N=4, sigma=sigma_, B=b_, nu=nu_)
    assert np.allclose(general.drift(g), student.drift(g), atol=1e-14)
    assert np.allclose(general.diffusion(g), student.diffusion(g), atol=1e-14)
    with pytest.raises(InvalidParameterError, match="functions"):
        get_sde("dsignsgd-general").lambdify(eta=0.01, N=4)
