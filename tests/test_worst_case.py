"""Worst cases over function classes (theorylab.claims.worst_case): exact certificates, exact
counterexamples, and the planted bugs each checker must catch."""

from __future__ import annotations

import json
from fractions import Fraction as F

import pytest
import sympy as sp

pytest.importorskip("PEPit")
pytest.importorskip("cvxpy")

from theorylab.claims import Status  # noqa: E402
from theorylab.claims.worst_case import engine, get_method, solve_worst_case, worst_case  # noqa: E402
from theorylab.claims.worst_case.certificate import verify  # noqa: E402
from theorylab.claims.worst_case.classes import smooth_convex, smooth_strongly_convex  # noqa: E402
from theorylab.claims.worst_case.counterexample import extract  # noqa: E402
from theorylab.claims.worst_case.exact import ldl_psd, rational_near, simplest_in, solve_affine  # noqa: E402
from theorylab.claims.worst_case.model import Constraint  # noqa: E402
from theorylab.errors import InvalidParameterError  # noqa: E402

L, N = sp.symbols("L N", positive=True)


# --- exact linear algebra -------------------------------------------------------------------

def _rotated(d1: F, d2: F) -> list[list[F]]:
    """R diag(d1, d2) Rᵀ with the rational rotation (3/5, 4/5): exact eigenvalues d1, d2."""
    c, s = F(3, 5), F(4, 5)
    return [[c * c * d1 + s * s * d2, c * s * (d1 - d2)], [c * s * (d1 - d2), s * s * d1 + c * c * d2]]


def test_ldl_accepts_psd_and_singular_psd():
    assert ldl_psd(_rotated(F(2), F(1))).psd
    assert ldl_psd(_rotated(F(1), F(0))).psd  # singular, exactly PSD
    assert ldl_psd([[F(0), F(0)], [F(0), F(0)]]).psd


def test_planted_residual_with_eigenvalue_minus_1e9_is_rejected():
    """A float check with tolerance 1e-8 would accept this matrix; the exact LDLᵀ must not."""
    import numpy as np

    M = _rotated(F(1), F(-1, 10**9))
    assert np.linalg.eigvalsh(np.array(M, dtype=float)).min() > -1e-8  # what a float checker sees
    res = ldl_psd(M)
    assert not res.psd and "negative pivot" in res.reason
    # zero pivot with a nonzero off-diagonal entry is not PSD either
    assert not ldl_psd([[F(0), F(1)], [F(1), F(1)]]).psd


def test_simplest_rational_and_affine_projection():
    assert simplest_in(F(3, 10), F(4, 10)) == F(1, 3)
    assert rational_near(0.3333333334, 1e-8) == F(1, 3)
    x = solve_affine([[F(1), F(1)]], [F(1)], [F(1, 3), F(1, 3)])
    assert x == [F(1, 2), F(1, 2)]
    assert solve_affine([[F(1), F(1)], [F(2), F(2)]], [F(1), F(3)], [F(0), F(0)]) is None


# --- GD on L-smooth convex functions (Drori & Teboulle 2014) ----------------------------------

@pytest.fixture(scope="module")
def gd_tight():
    return solve_worst_case("gd", "smooth-convex", steps=2, bound=L / (4 * N + 2), L=1)


def test_gd_convex_tight_bound_proved_exactly(gd_tight):
    v = gd_tight.verdict
    assert v.status is Status.PROVED, v.found
    assert v.numbers["certified bound (exact)"] == "1/10"
    cert = gd_tight.certificate
    assert cert.ok and cert.bound == F(1, 10) and all(x >= 0 for x in cert.multipliers)
    # the certificate re-verifies from scratch
    built = gd_tight.solution.built
    again = verify(built.metrics, gd_tight.solution.constraints, cert.weights, cert.multipliers,
                   len(built.model.vec_leaves))
    assert again.ok and again.bound == F(1, 10)


def test_planted_negative_multiplier_is_rejected(gd_tight):
    """Duplicate a constraint with multipliers (λ + 1, −1): the combination is unchanged, so only
    the sign check can reject it."""
    cert = gd_tight.certificate
    cons = list(gd_tight.solution.constraints)
    k = next(i for i, v in enumerate(cert.multipliers) if v > 0)
    dup = Constraint(cons[k].name + " (copy)", cons[k].expr, None)
    lam = list(cert.multipliers) + [F(-1)]
    lam[k] += 1
    built = gd_tight.solution.built
    res = verify(built.metrics, cons + [dup], cert.weights, lam, len(built.model.vec_leaves))
    assert not res.ok and "negative multiplier" in res.reason


def test_planted_residual_perturbed_by_minus_1e9_is_rejected(gd_tight):
    """Add 1e-9‖u‖² to the measure along an exact null vector u of the residual: the residual gets
    the eigenvalue −1e-9·‖u‖²; the certificate must be rejected."""
    cert = gd_tight.certificate
    built = gd_tight.solution.built
    n = len(built.model.vec_leaves)
    M = sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in row] for row in cert.residual])
    nulls = [v for v in M.nullspace() if any(v)]
    assert nulls
    from theorylab.claims.worst_case.exact import Vec

    u = Vec({i: F(int(sp.fraction(x)[0]), int(sp.fraction(x)[1])) for i, x in enumerate(nulls[-1]) if x != 0})
    bumped = [built.metrics[0] + u.dot(u).scale(F(1, 10**9))]
    res = verify(bumped, gd_tight.solution.constraints, cert.weights, cert.multipliers, n)
    assert not res.ok and "not PSD" in res.reason


def test_gd_convex_half_constant_refuted_with_replayed_function():
    wc = solve_worst_case("gd", "smooth-convex", steps=2, bound=L / (8 * N + 4), L=1)
    v = wc.verdict
    assert v.status is Status.REFUTED
    cx = wc.counterexample
    assert cx.ok and cx.performance > F(1, 20) and cx.min_class_slack <= 0
    assert v.numbers["margin over the bound"] > 0.04
    # the method visibly fails on the explicit interpolant (float replay = the worst case)
    from theorylab.claims.worst_case.plot import float_replay

    rep = float_replay(wc, smooth_convex(1), get_method("gd"))
    assert rep["deviation"] < 1e-6
    assert rep["values"][-1] - rep["fstar"] > 1 / 20


def test_planted_counterexample_outside_the_class_is_rejected():
    """The worst case of a larger class (L = 3/2) is not a function of the L = 1 class: the
    exact class check must refuse it."""
    m = get_method("gd")
    big = smooth_convex(F(3, 2))
    built = engine.build(m, big, {"L": F(1), "mu": F(0), "gamma": F(1)}, 2, "distance", "value")
    sol = engine.solve(built)
    cx = extract(sol, smooth_convex(1), m, 2, "value", "distance", sp.Rational(1, 100))
    assert not cx.ok and "violates" in cx.reason


def test_twin_models_must_agree(monkeypatch):
    """A wrong exact interpolation formula is caught against PEPit's model (soundness never rests
    on the solver, and a mismatch is an error, not a proof)."""
    from theorylab.claims.worst_case import classes

    real = classes.FunctionClass.interpolation_exact

    def wrong(self, xi, gi, fi, xj, gj, fj):  # type: ignore[no-untyped-def]
        return real(self, xi, gi, fi, xj, gj, fj) - (gi - gj).dot(gi - gj).scale(F(1, 4))

    monkeypatch.setattr(classes.FunctionClass, "interpolation_exact", wrong)
    with pytest.raises(RuntimeError, match="disagree"):
        solve_worst_case("gd", "smooth-convex", steps=1, bound=F(1, 6), L=1)


# --- the other done-when claims ---------------------------------------------------------------

def test_gd_strongly_convex_distance_step_2_over_L_plus_mu():
    mu = F(1, 10)
    rate = ((L - sp.Symbol("mu", positive=True)) / (L + sp.Symbol("mu", positive=True))) ** (2 * N)
    v = worst_case("gd", "smooth-strongly-convex", steps=2, bound=rate, L=1, mu=mu, gamma=2 / (1 + mu),
                   performance="distance")
    assert v.status is Status.PROVED and v.numbers["certified bound (exact)"] == "6561/14641"


def test_pepit_sgd_bound_proved():
    g = sp.Rational(20, 11)
    mu = sp.Symbol("mu", positive=True)
    bound = (g * (L - mu) / 2 + sp.sqrt((L + mu) ** 2 / 4 * (g - 2 / (L + mu)) ** 2 + g ** 2)) ** 2
    v = worst_case("sgd", "smooth-strongly-convex", components=2, steps=1, bound=bound, L=1, mu=F(1, 10),
                   gamma=F(20, 11), v=1, performance="distance")
    assert v.status is Status.PROVED and v.numbers["certified bound (exact)"] == "841/121"


def test_nonconvex_gradient_norm_bound_proved_and_planted_refuted():
    kw = dict(L=1, initial="value-gap", performance="min-gradient")
    assert worst_case("gd", "smooth", steps=3, bound=sp.Rational(4, 9), **kw).status is Status.PROVED
    assert worst_case("gd", "smooth", steps=3, bound=sp.Rational(2, 9), **kw).status is Status.REFUTED


def test_heavy_ball_polyak_kappa_25_cycles():
    wc = solve_worst_case("heavy-ball", "smooth-strongly-convex", steps=3, bound=0, L=25, mu=1, initial="cycle")
    assert wc.verdict.status is Status.REFUTED
    assert wc.verdict.numbers["parameters"]["alpha"] == "1/9" and wc.verdict.numbers["parameters"]["beta"] == "4/9"
    from theorylab.claims.worst_case.plot import float_replay

    rep = float_replay(wc, smooth_strongly_convex(25, 1), get_method("heavy-ball"), steps=12)
    its = rep["iterates"]
    assert abs(its[3 + 1] - its[1]).max() < 1e-9 and abs(its[12 + 1] - its[1]).max() < 1e-6  # it cycles


def test_pl_is_upper_bound_only():
    """Under PL a bound below the relaxation's worst case is inconclusive, never refuted."""
    v = worst_case("dcsgd", "smooth-pl", steps=1, bound=F(1, 2), L=1, mu=F(1, 4), omega=1, gamma=F(1, 2),
                   initial="value", performance="value")
    assert v.status is Status.INCONCLUSIVE and "upper-bound" in v.notes


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(InvalidParameterError, match="no parameter"):
        worst_case("gd", "smooth-convex", steps=1, bound=1, L=1, gama=1)
    with pytest.raises(InvalidParameterError, match="exact"):
        worst_case("gd", "smooth-convex", steps=1, bound=0.5, L=1)
    with pytest.raises(InvalidParameterError, match="unknown method"):
        worst_case("gdd", "smooth-convex", steps=1, bound=1, L=1)
    with pytest.raises(InvalidParameterError, match="irrational"):
        worst_case("heavy-ball", "smooth-strongly-convex", steps=1, bound=1, L=2, mu=1)


# --- parametric certificates ------------------------------------------------------------------

def test_sign_over_region_decisions():
    from theorylab.claims.worst_case.parametric import prove_nonnegative_over_region

    x, y = sp.symbols("x y", positive=True)
    assert prove_nonnegative_over_region(x ** 2 - 2 * x + 1, [x], []) is True
    assert prove_nonnegative_over_region(1 - x * y, [x, y], [x <= 1, y <= 1]) is True
    assert prove_nonnegative_over_region(1 - x * y, [x, y], [x <= 2, y <= 1]) is False


def test_gd_one_step_rate_proved_for_all_steps():
    from theorylab.claims.worst_case.parametric import prove_for_all

    v = prove_for_all("gd", "sc", free={"gamma": [F(k, 10) for k in range(1, 17)]}, fixed={"L": 1, "mu": F(1, 4)},
                      region=["gamma <= 8/5"], bound="(1-gamma/4)**2", performance="distance")
    assert v.status is Status.PROVED and "proved for all parameters" in v.found
    # a planted rate (1 − γμ)³ is below the worst case: no proof for all γ
    w = prove_for_all("gd", "sc", free={"gamma": [F(k, 10) for k in range(1, 17)]}, fixed={"L": 1, "mu": F(1, 4)},
                      region=["gamma <= 8/5"], bound="(1-gamma/4)**3", performance="distance")
    assert "proved for all parameters" not in w.found


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_exit_codes_and_json(tmp_path, capsys):
    from theorylab.cli.main import main

    assert main(["worst-case", "gd", "--class", "smooth-convex", "--steps", "1", "--bound", "1/6"]) == 0
    out = tmp_path / "r.json"
    png = tmp_path / "w.png"
    rc = main(["worst-case", "gd", "--class", "smooth-convex", "--steps", "1", "--bound", "1/12", "--format", "json",
               "--output", str(out), "--plot", str(png)])
    assert rc == 1
    js = json.loads(out.read_text())
    assert js["status"] == "refuted" and js["counterexample"]["dimension"] >= 1 and png.exists()
    assert main(["worst-case", "gd", "--class", "smooth-convex", "--steps", "1", "--bound", "1/6", "--param", "x"]) == 2
    err = capsys.readouterr().err
    assert "NAME=VALUE" in err and "Traceback" not in err


# --- the checks in proofs_checks: a planted constant is refuted ---------------------------------

def test_checks_refute_planted_constants():
    from proofs_checks.checks import worst_case_pep as W

    half = sp.Rational(1, 2)
    assert W.gd_convex(factor=half).status is Status.REFUTED
    assert W.gd_nonconvex(factor=half).status is Status.REFUTED
    assert W.sgd_one_step(factor=half).status is Status.REFUTED
    assert W.diana_one_step(factor=half).status is Status.REFUTED
    assert W.gd_strongly_convex(factor=half).status is Status.REFUTED
    assert W.compressed_gd(factor=half).status is Status.REFUTED
    # plain GD (no momentum) with Polyak's step has no 3-cycle: the cycle claim fails
    assert W.heavy_ball_cycle(beta=F(0)).status is Status.REFUTED


def test_pl_checks_never_prove_a_planted_constant():
    """Under PL the interpolation conditions are necessary only, so a planted rate cannot be refuted by
    a function of the class; it must not be proved either (inconclusive, with both numbers)."""
    from proofs_checks.checks import worst_case_pep as W

    half = sp.Rational(1, 2)
    for check in (W.theorem3_discrete, W.ef21_one_step):
        assert check(factor=half).status is Status.INCONCLUSIVE


# --- DIANA (one-step potential, unbiased compressor) and canonical vertex certificates --------

def _diana(bound, **kw):
    return solve_worst_case("diana", "smooth-strongly-convex", steps=1, bound=bound, L=1, mu=F(1, 10), omega=1,
                            initial="potential", performance="potential", **kw)


def test_diana_theorem_rate_proved_and_planted_rates_refuted():
    # gamma = 1/((1 + 6 omega/n) L) = 1/7, alpha = 1/2: max(1 - gamma mu, 1 - alpha/2) = 69/70
    wc = _diana(F(69, 70))
    assert wc.verdict.status is Status.PROVED, wc.verdict.found
    assert wc.verdict.numbers["parameters"]["gamma"] == "1/7" and wc.verdict.numbers["parameters"]["M"] == "8"
    assert F(wc.verdict.numbers["certified bound (exact)"]) <= F(69, 70)
    # 1 - 2 gamma mu = 34/35 < worst case 0.97273: a planted rate just below is refuted, in the class
    wc2 = _diana(F(34, 35))
    assert wc2.verdict.status is Status.REFUTED
    cx = wc2.counterexample
    assert cx.ok and cx.performance > F(34, 35) and cx.min_class_slack <= 0


def test_diana_on_two_agents_and_agents_must_match_components():
    wc = _diana(F(39, 40), components=2)
    assert wc.verdict.status is Status.PROVED and wc.verdict.numbers["parameters"]["agents"] == "2"
    with pytest.raises(InvalidParameterError, match="one agent per component"):
        _diana(F(39, 40), components=2, agents=3)


def test_vertex_certificate_is_the_textbook_one_and_a_perturbation_is_rejected():
    """GD, one step, f(x1) − f* ≤ (1 − γμ)²(f(x0) − f*): the solver's multipliers are not unique;
    the vertex certificate is (1 − γμ)², 1 − γμ, γμ(1 − γμ), γμ on init, (p0,p1), (x*,p0), (x*,p1)."""
    from theorylab.claims.worst_case import _directions
    from theorylab.claims.worst_case.certificate import assemble, vertex
    from theorylab.claims.worst_case.classes import FunctionClass

    g, mu = F(1, 2), F(1, 4)
    b = engine.build(get_method("gd"), FunctionClass("sc", F(1), mu), {"L": F(1), "mu": mu, "gamma": g}, 1, "value",
                     "value")
    sol = engine.solve(b)
    n_vec, n_val = len(b.model.vec_leaves), len(b.model.val_leaves)
    B = (1 - g * mu) ** 2
    c = assemble(b.metrics, sol.constraints, sol.weights, sol.duals, n_vec, n_val, directions=_directions(sol),
                 target=lambda x: x <= B)
    v = vertex(c, b.metrics, sol.constraints, n_vec, n_val, pin=B)
    got = {n: m for n, m in zip(v.names, v.multipliers) if m}
    r = g * mu
    assert got == {"initial condition": (1 - r) ** 2, "F_{mu,L} f(p0,p1)": 1 - r, "F_{mu,L} f(x*,p0)": r * (1 - r),
                   "F_{mu,L} f(x*,p1)": r}
    assert verify(b.metrics, sol.constraints, v.weights, v.multipliers, n_vec).ok
    # planted: one multiplier off by 1e-9 leaves a term in the function values
    lam = list(v.multipliers)
    k = v.names.index("F_{mu,L} f(x*,p1)")
    lam[k] += F(1, 10**9)
    bad = verify(b.metrics, sol.constraints, v.weights, lam, n_vec)
    assert not bad.ok and "function values" in bad.reason


def test_gd_function_value_rate_proved_for_all_steps_and_planted_not():
    from theorylab.claims.worst_case.parametric import prove_for_all

    kw = dict(free={"gamma": [F(k, 4) for k in range(1, 7)]}, fixed={"L": 1, "mu": F(1, 4)}, region=["gamma <= 8/5"],
              initial="value", performance="value")
    v = prove_for_all("gd", "sc", bound="(1-gamma/4)**2", **kw)
    assert v.status is Status.PROVED and "proved for all parameters" in v.found
    assert v.numbers["multipliers (fitted)"]["F_{mu,L} f(x*,p1)"] == "gamma/4"
    w = prove_for_all("gd", "sc", bound="(1-gamma/4)**3", **kw)
    assert "proved for all parameters" not in w.found


@pytest.mark.slow
def test_diana_potential_proved_for_all_steps():
    from theorylab.claims.worst_case.parametric import prove_for_all

    kw = dict(free={"gamma": [F(k, 84) for k in range(1, 13)]}, fixed={"L": 1, "mu": F(1, 10), "omega": 1},
              region=["gamma <= 1/7"], initial="potential", performance="potential")
    v = prove_for_all("diana", "sc", bound="1 - gamma/10", **kw)
    assert v.status is Status.PROVED and "proved for all parameters" in v.found
    # planted: the rate 1 − 2γμ is below the worst case at every γ: no proof for all γ
    w = prove_for_all("diana", "sc", bound="1 - gamma/5", **kw)
    assert "proved for all parameters" not in w.found


@pytest.mark.slow
def test_ef21_potential_proved_for_all_steps_up_to_a_quarter():
    from theorylab.claims.worst_case.parametric import prove_for_all

    kw = dict(free={"gamma": [F(k, 40) for k in range(1, 11)]}, fixed={"L": 1, "mu": F(1, 4), "delta": F(3, 4)},
              region=["gamma <= 1/4"], initial="potential", performance="potential")
    v = prove_for_all("ef21", "pl", bound="1 - gamma/4", **kw)
    assert v.status is Status.PROVED and "proved for all parameters" in v.found
    assert v.numbers["multipliers (fitted)"]["contractive compressor"] == "2*gamma"
    # planted: 1 − γμ·2 is below the PL model's worst case (0.9593 > 0.95 at γ = 1/10)
    w = prove_for_all("ef21", "pl", bound="1 - gamma/2", **kw)
    assert "proved for all parameters" not in w.found


@pytest.mark.slow
def test_diana_potential_proved_for_all_omega_at_the_theorem_step():
    from theorylab.claims.worst_case.parametric import prove_for_all

    ws = [F(1, 8), F(1, 4), F(1, 3), F(1, 2), F(2, 3), F(1), F(3, 2), F(2), F(3), F(4), F(5), F(7), F(10), F(15),
          F(20), F(30)]
    kw = dict(free={"omega": ws}, fixed={"L": 1, "mu": F(1, 10)}, region=[], initial="potential",
              performance="potential")
    v = prove_for_all("diana", "sc", bound="1 - 1/(10*(1 + 6*omega))", **kw)
    assert v.status is Status.PROVED and "every positive value of omega" in v.found
    # planted: twice the contraction, 1 − 2γμ, is below the worst case for every ω sampled
    w = prove_for_all("diana", "sc", bound="1 - 1/(5*(1 + 6*omega))", **kw)
    assert "proved for all parameters" not in w.found


@pytest.mark.slow
def test_ef21_certificate_claimed_beyond_its_region_is_rejected():
    """Planted: the γ ≤ 1/4 certificate claimed for γ ≤ 2/7. z3 finds a γ where a principal
    minor of the residual is negative, so the verdict is not "for all"."""
    from theorylab.claims.worst_case.parametric import prove_for_all

    v = prove_for_all("ef21", "pl", free={"gamma": [F(k, 40) for k in range(1, 11)]},
                      fixed={"L": 1, "mu": F(1, 4), "delta": F(3, 4)}, region=["gamma <= 2/7"], bound="1 - gamma/4",
                      initial="potential", performance="potential")
    assert "proved for all parameters" not in v.found and "principal minor" in v.found and "fails" in v.found
