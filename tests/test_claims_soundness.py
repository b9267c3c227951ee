"""An adversarial suite for the claim helpers: every verdict must be sound.

Each case is a small statement a user might check, with its truth known by hand:

- a **true** claim must never be ``refuted`` (and where it is decidable, it must be ``proved``);
- a **false** claim must never be ``proved`` or ``holds`` (where decidable: ``refuted``, with a
  counterexample that satisfies every assumption, checked here again in exact arithmetic);
- a claim under **contradictory** assumptions must never be ``proved`` silently (it is
  ``inconclusive``, saying the assumptions are contradictory).

The cases are grouped by what they attack: boundaries (closed vs open ends), undefined points
(denominators, logarithms, roots), decimal literals, the canonical symbols' hidden assumptions,
branch cuts, near-misses, statements sympy cannot simplify, contradictory assumptions, symbols of
a Python callable, spectral radii. ``CASES`` is plain data, so a tree's soundness can be tallied
(``python tests/test_claims_soundness.py``: sound / unsound counts by kind and group).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy as sp

from theorylab.claims import fixed_point, identity, inequality, limit, rate

TRUE, FALSE, VACUOUS = "true", "false", "vacuous"
R = {"x": "real"}
XY = {"x": "real", "y": "real"}


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    kind: str  # identity, inequality, limit, fixed_point, rate
    group: str  # boundary, undefined, float, hidden, branch, near-miss, unsimplifiable, contradictory, ...
    truth: str  # TRUE, FALSE or VACUOUS
    run: Callable[[], Any]
    expect: tuple[str, ...]  # the statuses this tree must give (each of them sound)
    check: Callable[[Any], bool] | None = None  # a further property of the verdict


def _cex(v: Any) -> dict[str, Any]:
    c = v.counterexample
    if isinstance(c, dict) and len(c) == 1 and isinstance(next(iter(c.values())), dict):
        return next(iter(c.values()))
    return c or {}


def _q(v: Any, name: str) -> sp.Rational:
    return sp.Rational(_cex(v)[name])


def _used(v: Any) -> str:
    return str(v.numbers.get("assumptions used", ""))


def _engine(v: Any) -> str:
    return str(v.numbers.get("engine", ""))


def _gd_round(x: Any) -> Any:
    g, h = sp.symbols("gamma h")  # plain symbols, as a user writes them in a callable
    return x - g * h * x


def _noisy(seed: int, slope: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.array([1.0, 2, 4, 8, 16, 32])
    return 2 * x ** slope * np.exp(0.05 * rng.standard_normal((50, x.size)))


XR = np.array([1.0, 2, 4, 8, 16, 32])
P, RF, IN, PI = ("proved",), ("refuted",), ("inconclusive",), ("proved", "inconclusive")
NOT_PROVED = ("refuted", "inconclusive")

CASES: list[Case] = [
    # ------------------------------------------------------------------ identities
    Case("id.z-over-z", "identity", "undefined", FALSE, lambda: identity("z/z", "1", symbols={"z": "real"}), RF,
         lambda v: _q(v, "z") == 0 and "undefined" in _cex(v)),
    Case("id.z-over-z-positive", "identity", "undefined", TRUE, lambda: identity("z/z", "1", symbols={"z": "positive"}), P),
    Case("id.removable-pole", "identity", "undefined", FALSE,
         lambda: identity("(z**2 - 1)/(z - 1)", "z + 1", symbols={"z": "real"}), RF, lambda v: _q(v, "z") == 1),
    Case("id.removable-pole-assumed-away", "identity", "undefined", TRUE,
         lambda: identity("(z**2 - 1)/(z - 1)", "z + 1", symbols={"z": "real"}, assumptions=["z > 1"]), P),
    Case("id.one-plus-1e-17", "identity", "float", FALSE, lambda: identity("1 + 1e-17", "1"), RF,
         lambda v: "1/10**17" in v.numbers.get("exact reading", "")),
    Case("id.point-one-plus-point-two", "identity", "float", TRUE, lambda: identity("0.1 + 0.2", "0.3"), P),
    Case("id.point-one-is-a-tenth", "identity", "float", TRUE, lambda: identity("0.1", "1/10"), P),
    Case("id.float-object", "identity", "float", FALSE,
         lambda: identity(sp.Float("1e-17") * sp.Symbol("x", real=True) + 1, "1", symbols=R), RF),
    Case("id.canonical-t", "identity", "hidden", TRUE, lambda: identity("sqrt(t**2)", "t"), P,
         lambda v: "t: nonnegative (canonical symbol" in _used(v)),
    Case("id.t-declared-real", "identity", "hidden", FALSE,
         lambda: identity("sqrt(t**2)", "t", symbols={"t": "real"}), RF, lambda v: _q(v, "t") < 0),
    Case("id.sqrt-square", "identity", "branch", FALSE, lambda: identity("sqrt(x**2)", "x", symbols=R), RF,
         lambda v: _q(v, "x") < 0),
    Case("id.sqrt-square-abs", "identity", "branch", TRUE, lambda: identity("sqrt(x**2)", "Abs(x)", symbols=R), P),
    Case("id.log-exp", "identity", "branch", TRUE, lambda: identity("log(exp(z))", "z", symbols={"z": "real"}), P),
    Case("id.exp-log", "identity", "branch", FALSE, lambda: identity("exp(log(z))", "z", symbols={"z": "real"}), RF,
         lambda v: _q(v, "z") <= 0),
    Case("id.log-product", "identity", "branch", FALSE,
         lambda: identity("log(x*y)", "log(x) + log(y)", symbols=XY), RF),
    Case("id.log-product-positive", "identity", "branch", TRUE,
         lambda: identity("log(x*y)", "log(x) + log(y)", symbols={"x": "positive", "y": "positive"}), PI),
    Case("id.cube-root-of-cube", "identity", "branch", FALSE, lambda: identity("(x**3)**(1/3)", "x", symbols=R), RF),
    Case("id.square-of-sum", "identity", "near-miss", FALSE,
         lambda: identity("(a + b)**2", "a**2 + b**2", symbols={"a": "real", "b": "real"}), RF),
    Case("id.cube-plus-1e-30", "identity", "near-miss", FALSE,
         lambda: identity("(x + 1)**3", "x**3 + 3*x**2 + 3*x + 1 + 1e-30", symbols=R), RF),
    Case("id.pythagoras", "identity", "unsimplifiable", TRUE,
         lambda: identity("sin(x)**2 + cos(x)**2", "1", symbols=R), PI),
    Case("id.gamma-ratio", "identity", "unsimplifiable", TRUE,
         lambda: identity("gamma(x + 1)/gamma(x)", "x", symbols={"x": "positive"}), PI),
    Case("id.contradictory", "identity", "contradictory", VACUOUS,
         lambda: identity("x", "x + 1", symbols=R, assumptions=["x > 1", "x < 0"]), IN,
         lambda v: "contradictory" in v.found),
    Case("id.complex-pole", "identity", "undefined", FALSE,
         lambda: identity("(u**2 + 1)/(u**2 + 1)", "1"), NOT_PROVED),  # plain u: undefined at u = i
    Case("id.integer-sum", "identity", "hidden", TRUE, lambda: identity("n*(n + 1)/2", "(n**2 + n)/2"), P),
    # ------------------------------------------------------------------ inequalities
    Case("iq.open-upper-closed-lower", "inequality", "boundary", FALSE,
         lambda: inequality("x", ">", "0", symbols=R, assumptions=["x >= 0", "x < 1"]), RF, lambda v: _q(v, "x") == 0),
    Case("iq.closed-lower-holds", "inequality", "boundary", TRUE,
         lambda: inequality("x", ">=", "0", symbols=R, assumptions=["x >= 0", "x < 1"]), P),
    Case("iq.closed-upper", "inequality", "boundary", FALSE,
         lambda: inequality("x", "<", "1", symbols=R, assumptions=["0 <= x", "x <= 1"]), RF, lambda v: _q(v, "x") == 1),
    Case("iq.open-both", "inequality", "boundary", TRUE,
         lambda: inequality("x", "<=", "1", symbols=R, assumptions=["0 < x", "x < 1"]), P),
    Case("iq.transcendental-open-upper", "inequality", "boundary", FALSE,
         lambda: inequality("x*exp(x)", ">", "0", symbols=R, assumptions=["x >= 0", "x < 1"]), RF,
         lambda v: _q(v, "x") == 0),
    Case("iq.transcendental-closed-lower", "inequality", "boundary", TRUE,
         lambda: inequality("x*exp(x)", ">=", "0", symbols=R, assumptions=["x >= 0", "x < 1"]), P),
    Case("iq.pole-at-closed-end", "inequality", "boundary", FALSE,
         lambda: inequality("1/(x - 1)", ">", "0", symbols=R, assumptions=["x >= 1"]), RF, lambda v: _q(v, "x") == 1),
    Case("iq.pole-excluded", "inequality", "boundary", TRUE,
         lambda: inequality("1/(x - 1)", ">", "0", symbols=R, assumptions=["x > 1"]), P),
    Case("iq.inverse-nonnegative", "inequality", "undefined", FALSE,
         lambda: inequality("1/w", ">=", "0", symbols={"w": "nonnegative"}), RF, lambda v: _q(v, "w") == 0),
    Case("iq.inverse-positive", "inequality", "undefined", TRUE,
         lambda: inequality("1/w", ">=", "0", symbols={"w": "positive"}), P),
    Case("iq.sqrt-real", "inequality", "undefined", FALSE, lambda: inequality("sqrt(x)", ">=", "0", symbols=R), RF,
         lambda v: _q(v, "x") < 0),
    Case("iq.square-positive", "inequality", "near-miss", FALSE, lambda: inequality("x**2", ">", "0", symbols=R), RF,
         lambda v: _q(v, "x") == 0),
    Case("iq.step-strict", "inequality", "boundary", FALSE,
         lambda: inequality("gamma*L", "<", "1", assumptions=["gamma <= 1/L"]), RF,
         lambda v: _q(v, "gamma") * _q(v, "L") == 1),
    Case("iq.step-closed", "inequality", "boundary", TRUE,
         lambda: inequality("gamma*L", "<=", "1", assumptions=["gamma <= 1/L"]), P),
    Case("iq.quartic-1e-7", "inequality", "float", FALSE,
         lambda: inequality("x**4 - x**2/1000 + 1e-7", ">", "0", symbols=R), RF,
         lambda v: (lambda x: x ** 4 - x ** 2 / 1000 + sp.Rational(1, 10 ** 7) <= 0)(_q(v, "x"))),
    Case("iq.quartic-1e-6", "inequality", "near-miss", TRUE,
         lambda: inequality("x**4 - x**2/1000 + 1e-6", ">", "0", symbols=R), P),
    Case("iq.one-plus-1e-17", "inequality", "float", TRUE, lambda: inequality("1 + 1e-17", ">", "1"), P),
    Case("iq.point-one-plus-point-two", "inequality", "float", FALSE, lambda: inequality("0.1 + 0.2", ">", "0.3"), RF),
    Case("iq.canonical-n", "inequality", "hidden", TRUE, lambda: inequality("n**2", ">=", "n"), P,
         lambda v: "n: positive integer (canonical symbol" in _used(v)),
    Case("iq.n-declared-real", "inequality", "hidden", FALSE,
         lambda: inequality("n**2", ">=", "n", symbols={"n": "real"}), RF, lambda v: 0 < _q(v, "n") < 1),
    Case("iq.plain-h", "inequality", "hidden", FALSE, lambda: inequality("eta*h", ">=", "0"), NOT_PROVED),
    Case("iq.integer-gap", "inequality", "hidden", TRUE,
         lambda: inequality("k", "<=", "d", assumptions=["k < d + 1"]), P),  # canonical k, d: integers
    Case("iq.real-gap", "inequality", "hidden", FALSE,
         lambda: inequality("k", "<=", "d", symbols={"k": "positive", "d": "positive"}, assumptions=["k < d + 1"]), RF),
    Case("iq.am-gm", "inequality", "near-miss", TRUE,
         lambda: inequality("a**2 + b**2", ">=", "2*a*b", symbols={"a": "real", "b": "real"}), P),
    Case("iq.young", "inequality", "near-miss", TRUE,
         lambda: inequality("2*a*b", "<=", "a**2/c + c*b**2", symbols={"a": "real", "b": "real", "c": "positive"}), P),
    Case("iq.young-half", "inequality", "near-miss", FALSE,
         lambda: inequality("2*a*b", "<=", "a**2/c + c*b**2/2", symbols={"a": "real", "b": "real", "c": "positive"}),
         RF),
    Case("iq.double-root", "inequality", "near-miss", FALSE,
         lambda: inequality("(x - 1)**2*(x - 2)**2", ">", "0", symbols=R), RF, lambda v: _q(v, "x") in (1, 2)),
    Case("iq.product-vs-square", "inequality", "near-miss", TRUE,
         lambda: inequality("x*y", "<=", "(x + y)**2/4", symbols=XY), P),
    Case("iq.step-twice", "inequality", "near-miss", FALSE,
         lambda: inequality("1 - 2*gamma*L", ">=", "0", assumptions=["gamma <= 1/L"]), RF),
    Case("iq.log-below-tangent", "inequality", "unsimplifiable", TRUE,
         lambda: inequality("log(x)", "<=", "x - 1", symbols={"x": "positive"}), PI),
    Case("iq.log-below-shifted", "inequality", "unsimplifiable", FALSE,
         lambda: inequality("log(x)", "<=", "x - 2", symbols={"x": "positive"}), RF),
    Case("iq.exp-above-tangent", "inequality", "unsimplifiable", TRUE,
         lambda: inequality("exp(x)", ">=", "1 + x", symbols=R), PI),
    Case("iq.exp-second-order", "inequality", "unsimplifiable", FALSE,
         lambda: inequality("exp(x)", ">=", "1 + x + x**2/2", symbols=R), RF, lambda v: _q(v, "x") < 0),
    Case("iq.sin-below-one", "inequality", "unsimplifiable", TRUE, lambda: inequality("sin(x)", "<=", "1", symbols=R), PI),
    Case("iq.tan-positive", "inequality", "undefined", FALSE,
         lambda: inequality("tan(x)", ">", "0", symbols=R, assumptions=["0 < x", "x < 2"]), NOT_PROVED),
    Case("iq.log-undefined", "inequality", "undefined", FALSE,
         lambda: inequality("log(x)**2", ">=", "0", symbols=R), RF, lambda v: _q(v, "x") <= 0),
    Case("iq.contradictory", "inequality", "contradictory", VACUOUS,
         lambda: inequality("x", ">=", "5", symbols=R, assumptions=["x > 1", "x < 0"]), IN,
         lambda v: "contradictory" in v.found),
    Case("iq.contradictory-constant", "inequality", "contradictory", VACUOUS,
         lambda: inequality("x", ">=", "5", symbols=R, assumptions=["1 < 0"]), IN),
    Case("iq.contradictory-transcendental", "inequality", "contradictory", VACUOUS,
         lambda: inequality("exp(x)", "<=", "0", symbols=R, assumptions=["x > 1", "x < 0"]), IN),
    # ------------------------------------------------------------------ limits
    Case("lim.sinc", "limit", "unsimplifiable", TRUE, lambda: limit("sin(k)/k", "k", 0, "1"), P),
    Case("lim.euler", "limit", "unsimplifiable", TRUE, lambda: limit("(1 + 1/k)**k", "k", "oo", "E"), P),
    Case("lim.euler-decimal", "limit", "float", FALSE, lambda: limit("(1 + 1/k)**k", "k", "oo", "2.718281828459045"),
         RF),
    Case("lim.interpolation", "limit", "near-miss", TRUE,
         lambda: limit("(1 - beta)*x0 + beta*c", "beta", 0, "x0", symbols={"x0": "real", "c": "real"}), P),
    Case("lim.interpolation-wrong", "limit", "near-miss", FALSE,
         lambda: limit("(1 - beta)*x0 + beta*c", "beta", 0, "c", symbols={"x0": "real", "c": "real"}), RF),
    Case("lim.decay-declared", "limit", "hidden", TRUE,
         lambda: limit(sp.exp(-sp.Symbol("a") * sp.Symbol("s")), "s", "oo", "0", symbols={"a": "positive"}), P),
    Case("lim.decay-real", "limit", "hidden", FALSE,
         lambda: limit("exp(-a*s)", "s", "oo", "0", symbols={"a": "real"}), NOT_PROVED),
    Case("lim.one-sided-pole", "limit", "boundary", TRUE, lambda: limit("1/x", "x", 0, "oo", direction="+"), P),
    Case("lim.two-sided-pole", "limit", "boundary", FALSE, lambda: limit("1/x", "x", 0, "oo"), NOT_PROVED),
    Case("lim.oscillating", "limit", "unsimplifiable", TRUE, lambda: limit("x*sin(1/x)", "x", 0, "0"), P),
    # ------------------------------------------------------------------ fixed points
    Case("fp.gd-contracting", "fixed_point", "boundary", TRUE,
         lambda: fixed_point("x - gamma*(x - c)", "c", "x", symbols={"gamma": "positive", "c": "real"},
                             attracting=True, assumptions=["gamma < 2"]), P),
    Case("fp.gd-closed-step", "fixed_point", "boundary", FALSE,
         lambda: fixed_point("x - gamma*(x - c)", "c", "x", symbols={"gamma": "positive", "c": "real"},
                             attracting=True, assumptions=["gamma <= 2"]), RF),
    Case("fp.gd-no-step-condition", "fixed_point", "boundary", FALSE,
         lambda: fixed_point("x - gamma*(x - c)", "c", "x", symbols={"gamma": "positive", "c": "real"},
                             attracting=True), RF),
    Case("fp.callable-plain-symbols", "fixed_point", "hidden", TRUE,
         lambda: fixed_point(_gd_round, "0", "x", symbols={"gamma": "positive", "h": "positive"}, attracting=True,
                             assumptions=["gamma < 2/h"]), P),
    Case("fp.callable-too-large-step", "fixed_point", "hidden", FALSE,
         lambda: fixed_point(_gd_round, "0", "x", symbols={"gamma": "positive", "h": "positive"}, attracting=True,
                             assumptions=["gamma < 3/h"]), RF,
         lambda v: all(sp.Rational(x) > 0 for p in v.counterexample.values() if isinstance(p, dict)
                       for k, x in p.items() if k in ("gamma", "h"))),
    Case("fp.vector-divergent", "fixed_point", "near-miss", FALSE,
         lambda: fixed_point(["x1 - 3*(x1 - 1)", "x2 - (x2 + 2)/4"], ["1", "-2"], ["x1", "x2"], attracting=True), RF),
    Case("fp.vector-contracting", "fixed_point", "near-miss", TRUE,
         lambda: fixed_point(["x1 - (x1 - 1)/2", "x2 - (x2 + 2)/4"], ["1", "-2"], ["x1", "x2"], attracting=True), P),
    Case("fp.rotation-modulus-one", "fixed_point", "boundary", FALSE,
         lambda: fixed_point(["x2", "-x1"], ["0", "0"], ["x1", "x2"], attracting=True), RF),
    Case("fp.undefined-update", "fixed_point", "undefined", FALSE,
         lambda: fixed_point("x - (x - c)/h", "c", "x", symbols={"h": "real", "c": "real"}), RF),
    Case("fp.wrong-point", "fixed_point", "near-miss", FALSE,
         lambda: fixed_point("x - gamma*(x - c)", "c/2", "x", symbols={"gamma": "positive", "c": "real"}), RF),
    Case("fp.contradictory", "fixed_point", "contradictory", VACUOUS,
         lambda: fixed_point("x - gamma*(x - c)", "c", "x", symbols={"gamma": "positive", "c": "real"},
                             attracting=True, assumptions=["gamma > 2", "gamma < 1"]), IN),
    # ------------------------------------------------------------------ rates (deterministic and replicated)
    Case("rate.exact-power", "rate", "near-miss", TRUE, lambda: rate(XR, 3 * XR ** -0.5, "-1/2", tol=0.02), ("holds",)),
    Case("rate.wrong-power", "rate", "near-miss", FALSE, lambda: rate(XR, 3 * XR ** -1.0, "-1/2", tol=0.02), RF),
    Case("rate.curved", "rate", "unsimplifiable", FALSE, lambda: rate(XR, XR ** -1.0 + 1.0, "-1", tol=0.05),
         NOT_PROVED),
    Case("rate.replicas", "rate", "near-miss", TRUE, lambda: rate(XR, _noisy(0, -1.0), -1, tol=0.05), ("holds",)),
    Case("rate.replicas-wrong", "rate", "near-miss", FALSE, lambda: rate(XR, _noisy(0, -1.0), "-0.8", tol=0.05), RF),
]


def sound(case: Case, status: str) -> bool:
    """Whether ``status`` is a sound verdict on ``case`` (an error counts as unsound)."""
    if status == "error":
        return False
    if case.truth == TRUE:
        return status != "refuted"
    if case.truth == FALSE:
        return status not in ("proved", "holds")
    return status not in ("proved", "holds", "refuted")  # vacuous: must say so, not prove


def _exact_recheck(case: Case, v: Any) -> None:
    """A refuting point of an identity or inequality satisfies the symbols' declared types."""
    if v.status != "refuted" or case.kind not in ("identity", "inequality"):
        return
    for name, val in _cex(v).items():
        if name in ("lhs", "rhs", "undefined"):
            continue
        sp.sympify(val)  # safe: the verdict's own printed exact number (a test of the library's output)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_verdict_is_sound(case: Case) -> None:
    v = case.run()
    status = str(v.status)
    assert sound(case, status), f"unsound: {case.truth} claim got {status}: {v.found}"
    assert status in case.expect, f"expected {case.expect}, got {status}: {v.found} | {v.needs}"
    _exact_recheck(case, v)
    if case.check is not None:
        assert case.check(v), f"check failed: {v.to_dict()}"


def test_the_suite_covers_every_kind_and_every_planted_group() -> None:
    kinds = Counter(c.kind for c in CASES)
    groups = Counter(c.group for c in CASES)
    assert len(CASES) >= 60
    assert set(kinds) == {"identity", "inequality", "limit", "fixed_point", "rate"}
    for g in ("boundary", "undefined", "float", "hidden", "branch", "near-miss", "unsimplifiable", "contradictory"):
        assert groups[g] >= 1, g


def test_verdicts_name_the_engine_and_the_assumptions_used() -> None:
    v = inequality("1 - gamma*L", ">=", "0", assumptions=["gamma <= 1/L"])
    assert v.status == "proved" and _engine(v).startswith("z3")
    assert "gamma <= 1/L" in _used(v) and "(canonical symbol" in _used(v)
    w = identity("sin(x)**2 + cos(x)**2", "1", symbols=R)
    assert w.status == "proved" and _engine(w).startswith("sympy") and "x: real (declared)" in _used(w)
    u = identity("z/z", "1", symbols={"z": "positive"})
    assert "z ≠ 0" in u.numbers.get("domain conditions", "") or u.numbers.get("domain conditions") is None


def test_polynomial_claims_are_decided() -> None:
    """Polynomial statements with polynomial assumptions come out proved or refuted (z3); their
    timings are in benchmarks/bench_claims_decision.py (none is asserted here)."""
    for args, kw in [(("x**2", ">", "0"), {"symbols": R}),
                     (("gamma*L", "<", "1"), {"assumptions": ["gamma <= 1/L"]}),
                     (("x**4 - x**2/1000 + 1e-7", ">", "0"), {"symbols": R}),
                     (("(1 - eta*h)**2 + eta**2*omega*h**2/N", "<", "1"),
                      {"symbols": {"h": "positive"}, "assumptions": ["eta*h*(1 + omega/N) < 2"]})]:
        v = inequality(*args, **kw)
        assert v.status in ("proved", "refuted") and _engine(v).startswith("z3"), v.found


def test_z3_unknown_is_never_read_as_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted: every z3 query answers "unknown" (a timeout). Nothing may come out proved."""
    import z3

    from theorylab.claims.decision import decide

    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    x = sp.Symbol("x", real=True)
    assert decide(sp.Gt(x ** 2, 0)).status == "unknown"
    assert decide(sp.Ge(x ** 2, 0)).status == "unknown"
    assert inequality("x**2", ">", "0", symbols=R).status != "proved"


def test_a_negative_power_of_a_nonnegative_base_has_no_sign() -> None:
    """1/w for w >= 0 is undefined at 0: the sign rules must not call it nonnegative."""
    from theorylab.claims.symbolic import _nonneg, _pos

    w = sp.Symbol("w", nonnegative=True)
    p = sp.Symbol("p", positive=True)
    assert not _nonneg(1 / w) and not _nonneg(w ** sp.Rational(-1, 2)) and not _pos(1 / w)
    assert _nonneg(1 / p) and _nonneg(w ** 2) and _nonneg(sp.sqrt(w))


def test_decision_api_for_certificates() -> None:
    """The entries another checker calls: decide, prove_nonnegative, prove_psd."""
    from theorylab.claims.decision import decide, prove_nonnegative, prove_psd

    x = sp.Symbol("x", real=True)
    g, L = sp.symbols("gamma L", positive=True)
    assert prove_nonnegative(1 - g * L, [sp.Le(g, 1 / L)]).status == "proved"
    d = prove_nonnegative(1 - 2 * g * L, [sp.Le(g, 1 / L)])
    assert d.status == "refuted" and 1 - 2 * d.model[g] * d.model[L] < 0 and d.model[g] <= 1 / d.model[L]
    assert prove_psd(sp.Matrix([[1, x], [x, 1]]), [sp.Le(x, 1), sp.Ge(x, -1)]).status == "proved"
    bad = prove_psd(sp.Matrix([[1, x], [x, 1]]), [sp.Le(x, 2), sp.Ge(x, -2)])
    assert bad.status == "refuted" and abs(bad.model[x]) > 1
    alg = decide(sp.Gt((x ** 2 - 2) ** 2, 0))  # violated only at ±sqrt(2): reported exactly
    assert alg.status == "refuted" and sp.simplify(alg.model[x] ** 2 - 2) == 0
    assert decide(sp.Ge(x, 5), [sp.Gt(x, 1), sp.Lt(x, 0)]).status == "vacuous"
    und = decide(sp.Ge(1 / x, 0), [sp.Ge(x, 0)])
    assert und.status == "undefined" and und.model[x] == 0


def test_two_symbols_with_one_name_are_an_error_not_a_guess() -> None:
    """A callable's positive gamma and an undeclared (plain) gamma in the claimed point are two
    symbols that print alike: a counterexample naming 'gamma' would be ambiguous."""
    from theorylab.errors import ClaimError

    def update(x: Any) -> Any:
        return x - sp.Symbol("gamma", positive=True) * (x - sp.Symbol("c", real=True))

    with pytest.raises(ClaimError, match="two different symbols are named '(gamma|c)'"):
        fixed_point(update, "c + gamma - gamma**2/gamma", "x")
    assert fixed_point(update, "c", "x", symbols={"gamma": "positive", "c": "real"}).status == "proved"


def tally() -> dict[str, Any]:
    """Sound/unsound counts of this tree's verdicts, by kind and by group (errors count as unsound)."""
    rows = []
    for c in CASES:
        try:
            status = str(c.run().status)
        except Exception as exc:  # noqa: BLE001 - a tally of another tree: an error is a finding
            status = "error"
            print(f"{c.id}: error {type(exc).__name__}: {str(exc)[:80]}")
        rows.append((c, status))
    out: dict[str, Any] = {"total": len(rows), "unsound": [c.id for c, s in rows if not sound(c, s)],
                           "statuses": Counter(s for _, s in rows),
                           "by_kind": Counter(c.kind for c in CASES), "by_group": Counter(c.group for c in CASES),
                           "as_expected": sum(s in c.expect for c, s in rows),
                           "rows": {c.id: s for c, s in rows}}
    return out


if __name__ == "__main__":  # pragma: no cover - the before/after tally of the closing note
    import json

    res = tally()
    print(json.dumps({k: (dict(v) if isinstance(v, Counter) else v) for k, v in res.items()}, indent=1))
