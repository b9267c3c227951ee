"""The one-line claim helpers of theorylab.claims, each fed a right and a planted wrong or
unsound claim: identities and inequalities under named assumptions, fixed points and limits,
rates from log-log fits, and a bound against a simulation."""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.claims import bound_vs_simulation, fixed_point, identity, inequality, limit, loglog_slope, rate
from theorylab.errors import ClaimError, InvalidParameterError

REAL = {"a": "real", "b": "real"}


# --------------------------------------------------------------------------- identities
def test_identity_proved_and_refuted_with_a_counterexample():
    assert identity("(a + b)**2", "a**2 + 2*a*b + b**2", symbols=REAL).status == "proved"
    v = identity("(a + b)**2", "a**2 + b**2", symbols=REAL)  # planted: the cross term dropped
    assert v.status == "refuted"
    cex = v.counterexample
    a, b = (float(eval(cex[k])) for k in ("a", "b"))  # noqa: S307 - exact rationals printed by sympy
    assert (a + b) ** 2 != pytest.approx(a ** 2 + b ** 2)


def test_identity_under_an_assumption_only():
    # sqrt(x**2) = x only for x >= 0: proved under the named assumption, refuted without it
    assert identity("sqrt(x**2)", "x", symbols={"x": "real"}, assumptions=["x >= 0"]).status == "proved"
    v = identity("sqrt(x**2)", "x", symbols={"x": "real"})
    assert v.status == "refuted" and float(eval(v.counterexample["x"])) < 0  # noqa: S307


def test_identity_that_sympy_cannot_simplify_is_inconclusive_not_proved():
    # true for every real x (a hidden zero) but sympy's simplify does not see it
    v = identity("Abs(sin(x))**2", "sin(x)**2 + 0*x", symbols={"x": "real"})
    assert v.status in ("proved", "inconclusive")  # sympy may or may not see it; never refuted
    hard = identity("gamma(x + 1)/gamma(x) - x + exp(log(x)) - x", "0", symbols={"x": "positive"})
    assert hard.status != "refuted"


# --------------------------------------------------------------------------- inequalities
def test_inequality_proved_under_named_assumptions():
    v = inequality("1 - gamma*L", ">=", 0, symbols={"L": "positive", "gamma": "positive"},
                   assumptions=["gamma <= 1/L"])
    assert v.status == "proved" and "gamma" in v.numbers["substitutions"]
    assert inequality("L/mu", ">=", 1, symbols={"L": "positive", "mu": "positive"},
                      assumptions=["L >= mu"]).status == "proved"
    assert inequality("a**2 + b**2", ">=", "2*a*b", symbols=REAL).status == "proved"


def test_inequality_planted_wrong_claims_are_refuted_at_points_that_satisfy_the_assumptions():
    v = inequality("1 - 2*gamma*L", ">=", 0, symbols={"L": "positive", "gamma": "positive"},
                   assumptions=["gamma <= 1/L"])  # planted: a factor 2 the assumption does not cover
    assert v.status == "refuted"
    L, g = float(eval(v.counterexample["L"])), float(eval(v.counterexample["gamma"]))  # noqa: S307
    assert 0 < g <= 1 / L and 1 - 2 * g * L < 0
    assert inequality("L/mu", ">=", 1, symbols={"L": "positive", "mu": "positive"}).status == "refuted"


def test_an_undetermined_sign_is_never_accepted():
    """The planted unsound certificate: a coefficient c of unknown sign times a square. Accepting
    an undetermined sign as >= 0 would prove it; it must be refuted (c < 0 exists) or, when no
    counterexample is found, inconclusive naming the term."""
    v = inequality("c*x**2", ">=", 0, symbols={"c": "real", "x": "real"})
    assert v.status == "refuted" and float(eval(v.counterexample["c"])) < 0  # noqa: S307
    # x**2 >= 0 needs x real: for a complex symbol sympy cannot (and must not) establish it
    w = inequality("x**2", ">=", 0, symbols={"x": ""})
    assert w.status != "proved"
    # a true inequality whose sign sympy cannot establish: inconclusive, naming what it could not establish
    u = inequality("sin(x) + 2", ">", 0, symbols={"x": "real"})
    assert u.status == "inconclusive" and "sin(x)" in u.needs


def test_a_counterexample_must_satisfy_every_assumption():
    """An assumption that substitution cannot encode (not of the form symbol op expr) still
    filters refuting points: x - y >= 0 assumed is never refuted by a point with x < y. An
    algebraic one is used by the decision procedure (z3), which proves these; a transcendental
    claim under it is left to sympy, which uses it only to filter points."""
    v = inequality("x - y", ">=", 0, symbols={"x": "real", "y": "real"}, assumptions=["x - y >= 0"])
    assert v.status == "proved" and v.numbers["engine"].startswith("z3")
    w = inequality("x**3 - y**3", ">=", 0, symbols={"x": "real", "y": "real"}, assumptions=["x - y >= 0"])
    assert w.status == "proved"
    u = inequality("exp(x) - exp(y)", ">=", 0, symbols={"x": "real", "y": "real"}, assumptions=["x - y >= 0"])
    assert u.status == "inconclusive" and "not of the form 'symbol op expression'" in u.needs


def test_counterexamples_are_small_exact_rationals_and_integer_symbols_are_integers():
    """A refuting point is an instance of the claim: d and k (positive integers) get integers,
    other symbols small rationals, and the point is re-verified after rounding. (It was
    d = 45033/5000 under 'k <= d', and gamma = 250*2**(124/251)*3**(55/251)*...)"""
    import sympy as sp

    v = inequality("lam**2*d/k - 2*lam + 1", ">=", "1 - k/(2*d)", assumptions=["k <= d"])  # planted: wrong bound
    assert v.status == "refuted"
    cx = v.counterexample
    d, k, lam = (sp.Rational(cx[n]) for n in ("d", "k", "lam"))
    assert d.is_integer and k.is_integer and 1 <= k <= d
    assert lam ** 2 * d / k - 2 * lam + 1 < 1 - k / (2 * d)  # exactly violated at the printed point
    w = inequality("1 - gamma*L/2*(1 + omega/N)", ">=", "1/2", symbols={"gamma": "positive"},
                   assumptions=["gamma <= 2/(L*(1 + omega/N))"])  # planted: a step bound twice too large
    assert w.status == "refuted"
    pt = {n: sp.Rational(w.counterexample[n]) for n in ("gamma", "L", "omega", "N")}
    assert all(q.q <= 1000 for q in pt.values()) and pt["N"].is_integer
    assert 0 < pt["gamma"] <= 2 / (pt["L"] * (1 + pt["omega"] / pt["N"]))
    assert 1 - pt["gamma"] * pt["L"] / 2 * (1 + pt["omega"] / pt["N"]) < sp.Rational(1, 2)
    e = identity("d*(d + 1)/2", "d**2/2 + d/3")  # planted wrong identity: an integer d where they differ
    assert e.status == "refuted" and sp.Rational(e.counterexample["d"]).is_integer


def test_strict_inequality_needs_strict_signs():
    assert inequality("x", ">", 0, symbols={"x": "nonnegative"}).status == "refuted"  # x = 0 is allowed
    assert inequality("x", ">", 0, symbols={"x": "positive"}).status == "proved"


def test_bad_claims_are_clear_errors():
    with pytest.raises(ClaimError, match="operator"):
        inequality("x", "=>", 0)
    with pytest.raises(ClaimError, match="not an inequality"):
        inequality("x", ">=", 0, assumptions=["x"])
    with pytest.raises(ClaimError, match="unknown assumption"):
        identity("x", "x", symbols={"x": "postive"})
    with pytest.raises(ClaimError, match="cannot parse"):
        identity("x +* 2", "x")


# --------------------------------------------------------------------------- fixed points and limits
GD = {"gamma": "positive", "c": "real"}


def test_fixed_point_of_gradient_descent_on_a_quadratic():
    # x <- x - gamma*(x - c): fixed point c, attracting for 0 < gamma < 2
    v = fixed_point("x - gamma*(x - c)", "c", "x", symbols=GD, attracting=True, assumptions=["gamma < 2"])
    assert v.status == "proved"
    assert fixed_point("x - gamma*(x - c)", "c/2", "x", symbols=GD).status == "refuted"  # planted wrong point
    # planted unsound stability claim: without gamma < 2 the iteration can diverge
    w = fixed_point("x - gamma*(x - c)", "c", "x", symbols=GD, attracting=True)
    assert w.status == "refuted" and "T'(x̂) > -1" in w.found


def test_fixed_point_of_a_two_agent_local_sgd_round():
    """K = 2 local steps on f_i = h_i/2 (x - c_i)^2, then averaging: the fixed point of the round
    solves sum_i (1 - (1 - gamma h_i)^2)(x - c_i) = 0 (a FedAvg-type bias)."""
    g, K = "gamma", 2

    def round_(x):
        import sympy as sp

        h1, h2, c1, c2, gm = sp.symbols("h1 h2 c1 c2 gamma", positive=True)
        ends = []
        for h, c in ((h1, c1), (h2, c2)):
            y = x
            for _ in range(K):
                y = y - gm * h * (y - c)
            ends.append(y)
        return (ends[0] + ends[1]) / 2

    w1, w2 = f"(1 - (1 - {g}*h1)**2)", f"(1 - (1 - {g}*h2)**2)"
    right = f"({w1}*c1 + {w2}*c2)/({w1} + {w2})"
    pos = {s: "positive" for s in ("h1", "h2", "c1", "c2", "gamma")}
    steps = ["gamma < 2/h1", "gamma < 2/h2"]  # each local map contracts, so w1 + w2 > 0
    assert fixed_point(round_, right, "x", symbols=pos, assumptions=steps).status == "proved"
    # without the step-size condition the claimed point is undefined where w1 + w2 = 0 (gamma h = 2)
    und = fixed_point(round_, right, "x", symbols=pos)
    assert und.status == "refuted" and "undefined" in str(und.counterexample)
    # planted: the fixed point is the average of the optima (true only for identical Hessians)
    assert fixed_point(round_, "(c1 + c2)/2", "x", symbols=pos, assumptions=steps).status == "refuted"


def test_vector_fixed_point_and_spectral_radius():
    upd = ["x1 - (x1 - 1)/2", "x2 - (x2 + 2)/4"]
    assert fixed_point(upd, ["1", "-2"], ["x1", "x2"], attracting=True).status == "proved"
    assert fixed_point(["x1 - 3*(x1 - 1)", "x2"], ["1", "0"], ["x1", "x2"], attracting=True).status == "refuted"


def test_limit():
    assert limit("(1 - beta)*x0 + beta*c", "beta", 0, "x0", symbols={"x0": "real", "c": "real"}).status == "proved"
    assert limit("(1 - beta)*x0 + beta*c", "beta", 0, "c", symbols={"x0": "real", "c": "real"}).status == "refuted"
    assert limit("sin(k)/k", "k", "oo", "0").status == "proved"


# --------------------------------------------------------------------------- names in a claim's text
def test_a_name_that_is_not_called_is_a_symbol_even_where_sympy_has_a_function():
    """'gamma' undeclared was sympy's Gamma function ('FunctionClass' * 'Symbol' TypeError)."""
    v = inequality("1 - gamma*L/2*(1 + omega/N)", ">=", "1/2", assumptions=["0 < gamma",
                                                                         "gamma <= 1/(L*(1 + omega/N))"])
    assert v.status == "proved"
    bad = inequality("1 - gamma*L/2*(1 + omega/N)", ">=", "1/2",  # planted: a step bound twice too large
                     assumptions=["0 < gamma", "gamma <= 2/(L*(1 + omega/N))"])
    assert bad.status == "refuted"
    # called: still the Gamma function (for x > 0, where both sides are defined)
    assert identity("gamma(x + 1)", "x*gamma(x)", symbols={"x": "positive"}).status == "proved"
    assert identity("S(1)/2*Q + O", "O + Q/2").status == "proved"


def test_a_python_keyword_is_a_one_line_error_suggesting_a_name():
    with pytest.raises(ClaimError, match=r"'lambda' is a Python keyword.*write lam") as info:
        identity("lambda**2 - 1", "(lambda - 1)*(lambda + 1)")
    assert "\n" not in str(info.value)


def test_undeclared_names_are_plain_symbols_and_the_verdict_says_so():
    """An undeclared 'h' has no sign, so 'eta*h >= 0' cannot be proved; the verdict names it
    and says how to declare it. Declared positive, the same claim is proved with no such note."""
    v = inequality("eta*h", ">=", 0)
    assert v.status != "proved"
    text = v.notes + " " + (v.needs or "")
    assert "plain symbols without assumptions" in v.notes and "h" in v.notes and "symbols={'h'" in v.notes
    if v.status == "inconclusive":
        assert "symbols={'h'" in v.needs
    ok = inequality("eta*h", ">=", 0, symbols={"h": "positive"})
    assert ok.status == "proved" and "plain symbols" not in ok.notes
    assert "plain symbols" not in identity("eta*d", "d*eta").notes  # canonical only: nothing to say
    fp = fixed_point("(1 - eta*h)*x", "0", "x")
    assert "h" in fp.notes and "plain symbols" in fp.notes
    assert text


def test_an_assumption_not_of_the_form_symbol_op_expression_is_explained_in_one_line():
    """It was reported as 'sympy could not establish the sign of: -1; -2'."""
    claim = ("(1 - eta*h)**2 + eta**2*omega*h**2/N", "<", "1")
    # algebraic: the decision procedure (z3) uses the assumption as written and proves the claim
    alg = inequality(*claim, symbols={"h": "positive"}, assumptions=["eta*h*(1 + omega/N) < 2"])
    assert alg.status == "proved" and alg.numbers["engine"].startswith("z3")
    # with a transcendental factor it is left to sympy, which cannot use the assumption to prove
    v = inequality("(1 - eta*h)**2*exp(-omega) + eta**2*omega*h**2/N*exp(-omega)", "<", "exp(-omega)",
                   symbols={"h": "positive"}, assumptions=["eta*h*(1 + omega/N) < 2"])
    assert v.status == "inconclusive"
    for text in (v.found, v.needs):
        assert "\n" not in text and "not of the form 'symbol op expression'" in text
        assert "e.g. 'eta < 2*N/(h*(N + omega))'" in text
    assert "-1; -2" not in v.found
    # written in the accepted form, the same claim is proved (and a too-large step is refuted)
    assert inequality(*claim, symbols={"h": "positive"}, assumptions=["eta < 2/(h*(1 + omega/N))"]).status == "proved"
    assert inequality(*claim, symbols={"h": "positive"},
                      assumptions=["eta < 4/(h*(1 + omega/N))"]).status == "refuted"


def test_the_helpers_docstrings_and_the_docs_list_the_canonical_symbols_from_their_declarations():
    import pathlib

    from theorylab.claims.symbolic import canonical_symbols, canonical_symbols_text, namespace

    names = [n for n, _, _ in canonical_symbols()]
    assert names == list(namespace())
    assert ("eta", "positive", "learning rate (step size)") in canonical_symbols()
    assert ("d", "positive integer", "dimension of the parameter x") in canonical_symbols()
    for f in (identity, inequality, fixed_point, limit, bound_vs_simulation):
        assert canonical_symbols_text("    ") in f.__doc__, f.__name__
    doc = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text()
    block = doc.split("<!-- canonical-symbols:start -->\n")[1].split("\n<!-- canonical-symbols:end -->")[0]
    assert block == canonical_symbols_text("", markdown=True)


# --------------------------------------------------------------------------- rates
X = np.array([1.0, 2, 4, 8, 16, 32])


def test_rate_of_an_exact_power_law_and_a_wrong_exponent():
    assert rate(X, 3 * X ** -0.5, "-1/2", tol=0.02).status == "holds"
    v = rate(X, 3 * X ** -1.0, "-1/2", tol=0.02)  # planted wrong exponent
    assert v.status == "refuted" and v.counterexample["slope"] == pytest.approx(-1.0)


def test_rate_from_noisy_replicas_states_its_interval():
    rng = np.random.default_rng(0)
    y = 2 * X ** -1.0 * np.exp(0.05 * rng.standard_normal((50, X.size)))
    v = rate(y=y, x=X, claimed=-1, tol=0.05, confidence=0.999)
    assert v.status == "holds" and v.label() == "holds (equivalence, tol 0.05, false alarm ≤ 0.001)"
    s, lo, hi, n = loglog_slope(X, y, 0.999)
    assert n == 50 and lo < -1 < hi and hi - lo < 0.05
    few = rate(X, y[:2], claimed=-1, tol=0.01, confidence=0.999)  # two replicas: a wide interval
    assert few.status == "inconclusive"
    assert rate(X, y, claimed=-0.8, tol=0.05).status == "refuted"  # planted: wrong exponent


def test_slope_interval_coverage_is_calibrated():
    """Coverage of the slope's two-sided interval at a nominal 80 %, over 400 seeds, both paths
    (replicas and one series). Binomial sd is 2 points: |coverage − 0.80| < 0.07 (3.5 sd; false
    alarm about 5e-4). A one-sided quantile (t at 0.8 instead of 0.9) gives about 0.60 and fails."""
    true = -0.5
    hits_r = hits_1 = 0
    for seed in range(400):
        rng = np.random.default_rng(seed)
        y = X ** true * np.exp(0.1 * rng.standard_normal((8, X.size)))
        _, lo, hi, _ = loglog_slope(X, y, 0.8)
        hits_r += lo <= true <= hi
        _, lo, hi, _ = loglog_slope(X, y[0], 0.8)
        hits_1 += lo <= true <= hi
    assert abs(hits_r / 400 - 0.8) < 0.07, hits_r / 400
    assert abs(hits_1 / 400 - 0.8) < 0.07, hits_1 / 400


# E[y] = 0.7 x^1 with a relative spread (coefficient of variation) that falls with x, as a
# Monte Carlo floor's does: gamma noise of mean 1 and CV 0.34 .. 0.13
XS = np.array([0.01, 0.02, 0.04, 0.08])
CVS = np.array([0.34, 0.25, 0.18, 0.13])


def _gamma_replicas(seed, replicas, p=1.0):
    rng = np.random.default_rng(seed)
    shape = 1 / CVS ** 2
    return 0.7 * XS ** p * rng.gamma(shape, 1 / shape, size=(replicas, XS.size))


def test_rate_of_the_mean_is_unbiased_where_the_mean_of_per_replica_slopes_is_not():
    """E[log y_j] = log E[y_j] − CV_j²/2 + ...: with CV falling from 0.34 to 0.13 the mean of the
    replicas' slopes is about 1.03, not 1; the slope of the log of the means is 1. 4000 replicas
    (fixed seed), 99.9 % intervals (false alarm 1e-3 each)."""
    y = _gamma_replicas(0, 4000)
    s, lo, hi, n = loglog_slope(XS, y, 0.999)
    assert n == 4000 and lo < 1 < hi
    _, plo, phi, _ = loglog_slope(XS, y, 0.999, estimate="per-replica")
    assert plo > 1.01  # the old default: biased, its interval excludes the true slope
    v = rate(XS, y, 1, tol=0.02, confidence=0.999)
    assert v.status == "holds" and "log of the means" in v.found
    assert rate(XS, y, 1, tol=0.02, estimate="per-replica").status == "refuted"  # a true claim refuted
    wrong = rate(XS, y, "11/10", tol=0.02)  # planted: a wrong exponent
    assert wrong.status == "refuted" and wrong.counterexample["slope"] == pytest.approx(1.0, abs=0.02)
    with pytest.raises(InvalidParameterError, match="estimate must be one of"):
        rate(XS, y, 1, tol=0.02, estimate="median")


def test_rate_of_the_mean_interval_coverage_with_an_x_dependent_spread():
    """Coverage of the delta-method interval for the slope of log E[y] under the gamma noise
    above (fixed seeds): at nominal 80 % over 400 seeds with 20 replicas (binomial sd 2 points;
    |coverage − 0.80| < 0.07, false alarm about 5e-4), and at nominal 99 % over 2000 seeds with
    100 replicas (expected 20 misses, sd 4.5; fewer than 40 misses, false alarm below 1e-4)."""
    hits = sum(lo <= 1 <= hi for lo, hi in (loglog_slope(XS, _gamma_replicas(seed, 20), 0.8)[1:3]
                                            for seed in range(400)))
    assert abs(hits / 400 - 0.8) < 0.07, hits / 400
    miss = sum(not (lo <= 1 <= hi) for lo, hi in (loglog_slope(XS, _gamma_replicas(seed, 100), 0.99)[1:3]
                                                  for seed in range(2000)))
    assert miss < 40, miss


def test_a_curved_relation_is_not_a_rate():
    v = rate(X, X ** -1.0 + 1.0, "-1", tol=0.05)
    assert v.status != "holds"
    with pytest.raises(InvalidParameterError, match="y > 0"):
        rate(X, -X, "1", tol=0.1)


# --------------------------------------------------------------------------- a bound against a simulation
@pytest.fixture(scope="module")
def dsgd_run():
    """DSGD on the isotropic quadratic (d = 10, N = 2, σ = 1, η = 0.05): its exact discrete
    stationary level is ηdσ²/(4N)·2/(2 − η) = 1.0256 × the continuous level ηdσ²/(4N) = 0.0625."""
    from theorylab.simulate import gaussian, quadratic, run_optimizer

    p = quadratic(10, 2, 1.0, 1.0, x0=0.1)
    return run_optimizer("dsgd", p, gaussian(1.0, 1), eta=0.05, steps=800, replicas=200, seed=1)


LEVEL = "eta*d*sigma**2/(4*N*B)"
VALUES = {"eta": 0.05, "d": 10, "sigma": 1, "N": 2, "B": 1}


def test_plateau_bound_one_sided_and_equivalence(dsgd_run):
    up = bound_vs_simulation("2*" + LEVEL, run=dsgd_run, values=VALUES)
    assert up.status == "holds" and up.label() == "holds (one-sided, false alarm ≤ 0.001)"
    half = bound_vs_simulation(LEVEL + "/2", run=dsgd_run, values=VALUES)  # planted: a bound halved
    assert half.status == "refuted" and half.counterexample["interval"][0] > half.counterexample["bound"]
    eq = bound_vs_simulation(LEVEL, run=dsgd_run, values=VALUES, claim="equal", rtol=0.1)
    assert eq.status == "holds" and eq.tolerance == 0.1 and eq.test == "equivalence"
    # a bound above the estimate but inside its interval: undecided (never decided on the point estimate)
    mid = bound_vs_simulation(str(eq.numbers["estimate"] * 1.01), run=dsgd_run)
    assert eq.numbers["estimate"] * 1.01 < eq.numbers["upper"] and mid.status == "inconclusive"
    # an equality with a tolerance tighter than the O(η) excess of the discrete optimizer is refuted
    assert bound_vs_simulation(LEVEL, run=dsgd_run, values=VALUES, claim="equal", rtol=0.005).status == "refuted"


def test_trajectory_bound(dsgd_run):
    gap0 = float(dsgd_run.trajectory.values[0].mean())
    curve = "gap0*exp(-2*t) + (1 - exp(-2*t))*{}"
    ok = bound_vs_simulation(curve.format("2*" + LEVEL), run=dsgd_run, values={**VALUES, "gap0": gap0},
                             at="trajectory")
    assert ok.status == "holds" and "Bonferroni" in ok.test
    bad = bound_vs_simulation(curve.format(LEVEL + "/2"), run=dsgd_run, values={**VALUES, "gap0": gap0},
                              at="trajectory")  # planted: the plateau halved
    assert bad.status == "refuted" and bad.counterexample["lower"] > bad.counterexample["bound"]


def test_the_run_settings_fill_the_bound_and_a_contradicting_value_is_a_contract_error(dsgd_run):
    """The bound is evaluated at the simulated point: the run's own eta, N, d, sigma, B, L, mu and
    gap0 fill the bound's symbols that values leaves out, and values may not contradict them
    (a bound at eta = 0.1 against a run at eta = 0.05 would 'refute' a true claim)."""
    from theorylab.claims import run_settings
    from theorylab.errors import ClaimError

    s = run_settings(dsgd_run)
    assert s["eta"] == 0.05 and s["N"] == 2 and s["d"] == 10 and s["sigma"] == 1.0 and s["B"] == 1
    assert s["gap0"] == pytest.approx(float(dsgd_run.trajectory.values[0, 0]))
    given = bound_vs_simulation(LEVEL, run=dsgd_run, values=VALUES, claim="equal", rtol=0.1)
    filled = bound_vs_simulation(LEVEL, run=dsgd_run, claim="equal", rtol=0.1)  # no values at all
    assert filled.status == given.status == "holds" and filled.numbers["bound"] == given.numbers["bound"]
    part = bound_vs_simulation(LEVEL, run=dsgd_run, values={"sigma": "1"}, claim="equal", rtol=0.1)
    assert part.numbers["bound"] == given.numbers["bound"]
    # planted: a step size that is not the run's, a wrong number of agents
    with pytest.raises(ClaimError, match=r"values gives eta=0.1 but the run has eta=0.05") as err:
        bound_vs_simulation(LEVEL, run=dsgd_run, values={**VALUES, "eta": 0.1}, claim="equal", rtol=0.1)
    assert "\n" not in str(err.value)
    with pytest.raises(ClaimError, match=r"values gives N=4 but the run has N=2"):
        bound_vs_simulation(LEVEL, run=dsgd_run, values={"N": 4})


def test_the_run_keywords_are_checked_before_the_simulation_and_omega_comes_from_the_compressor():
    from theorylab.claims import run_settings
    from theorylab.errors import ClaimError
    from theorylab.simulate import gaussian, quadratic

    p = quadratic(8, 4, 1.0, 1.0, x0=0.1)

    def never(*a, **k):  # the clash must be found before anything is simulated
        raise AssertionError("simulated")

    with pytest.raises(ClaimError, match="values gives eta=0.1 but the run has eta=0.05"):
        bound_vs_simulation("eta*d", method=never, problem=p, noise=gaussian(1.0), eta=0.05, steps=10,
                            replicas=2, values={"eta": 0.1})
    s = run_settings(problem=p, noise=gaussian(0.5, 2), run_kwargs={"eta": 0.05, "compressor": "randk:k=2"})
    assert s == {"eta": 0.05, "N": 4, "d": 8, "L": 1.0, "mu": 1.0, "sigma": 0.5, "B": 2, "omega": 3.0, "k": 2}
    with pytest.raises(ClaimError, match="values gives omega=1 but the run has omega=3"):
        bound_vs_simulation("omega*eta", method=never, problem=p, noise=gaussian(1.0), eta=0.05, steps=10,
                            replicas=2, compressor="randk:k=2", values={"omega": 1})
    # a biased compressor declares no omega: nothing is filled, the bound asks for it
    assert "omega" not in run_settings(problem=p, noise=gaussian(1.0), run_kwargs={"compressor": "topk:k=2"})


def test_bound_vs_simulation_runs_the_method_and_rejects_bad_input(dsgd_run):
    from theorylab.simulate import gaussian, quadratic

    v = bound_vs_simulation("2*" + LEVEL, method="dsgd", problem=quadratic(10, 2, 1.0, 1.0, x0=0.1),
                            noise=gaussian(1.0, 1), eta=0.05, steps=300, replicas=50, seed=1, values=VALUES)
    assert v.status in ("holds", "inconclusive")  # a short run may not have settled; never refuted
    with pytest.raises(InvalidParameterError, match=r"needs values for \['h'\]"):
        bound_vs_simulation(LEVEL + "/h", run=dsgd_run, values={"eta": 0.05})
    with pytest.raises(InvalidParameterError, match="rtol"):
        bound_vs_simulation(LEVEL, run=dsgd_run, values=VALUES, claim="equal")
