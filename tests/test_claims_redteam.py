"""A red-team suite for the claim helpers: statements a hostile but legitimate researcher writes.

Every case states its mathematical truth, decided by hand, and the verdicts that are sound for it:

- a **true** statement must never be ``refuted``; a **false** or **undefined** one (a denominator
  that vanishes, a logarithm or an even root of a negative number somewhere on the assumed region)
  must never be ``proved``;
- a ``refuted`` verdict's counterexample is checked here again, in exact arithmetic, against every
  assumption and declared type, and must violate the claim (or make it undefined);
- bad input gives a verdict or a one-line :class:`~theorylab.errors.ClaimError`, never another
  exception; nothing runs past its timeout by more than a margin.

The groups: boundary (mixed open/closed ends, chained bounds), integer (parity, integrality),
removable (removable singularities), branch (principal branches, fractional powers, log/exp/trig
inverses), piecewise (Abs/Max/Min/floor/ceiling/sign), float (exact decimals, near-misses at
1e-30, huge numbers), many (AM-GM, Cauchy-Schwarz, Young, step-size conditions), names (symbols
named like sympy's functions and constants), assumptions (vacuous, contradictory, non-polynomial),
infinite/complex values, timeout, fixed_point, limit.
``python tests/test_claims_redteam.py`` tallies the verdicts (sound / unsound by group).
"""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sympy as sp

from theorylab.claims import fixed_point, identity, inequality, limit
from theorylab.errors import ClaimError

P, RF, IN = "proved", "refuted", "inconclusive"
ERR = "error"  # a one-line ClaimError
TRUE, FALSE, UNDEF, VACUOUS = "true", "false", "undefined", "vacuous"
R = {"x": "real"}
XY = {"x": "real", "y": "real"}
XYZ = {"x": "real", "y": "real", "z": "real"}
POS4 = {"p": "nonnegative", "q": "nonnegative", "r": "nonnegative", "u": "nonnegative"}
REAL4 = {"p": "real", "q": "real", "r": "real", "u": "real"}
CS3 = {f"{c}{i}": "real" for c in "ab" for i in (1, 2, 3)}
SIX = {f"x{i}": "real" for i in range(1, 7)}
# the canonical symbols these cases leave undeclared, with the types the library gives them
CANONICAL = {"L": "positive", "mu": "positive", "omega": "nonnegative", "N": "positive integer",
             "d": "positive integer", "n": "positive integer", "k": "positive integer", "beta": "positive",
             "eta": "positive"}


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    group: str
    truth: str
    kind: str  # identity, inequality, fixed_point, limit
    args: tuple[Any, ...]
    kw: dict[str, Any]
    ok: tuple[str, ...]  # the sound verdicts this tree may give
    note: str | None = None  # text a "proved" verdict must show (an assumption it used)
    budget: float = 20.0  # wall seconds


def I(cid: str, g: str, truth: str, lhs: Any, rhs: Any, sym: dict | None = None, asm: tuple = (),
      ok: tuple[str, ...] | None = None, note: str | None = None, **kw: Any) -> Case:
    return Case(cid, g, truth, "identity", (lhs, rhs), dict(symbols=sym, assumptions=list(asm), **kw),
                ok or _default(truth), note)


def Q(cid: str, g: str, truth: str, lhs: Any, op: str, rhs: Any, sym: dict | None = None, asm: tuple = (),
      ok: tuple[str, ...] | None = None, note: str | None = None, budget: float = 20.0, **kw: Any) -> Case:
    return Case(cid, g, truth, "inequality", (lhs, op, rhs), dict(symbols=sym, assumptions=list(asm), **kw),
                ok or _default(truth), note, budget)


def F(cid: str, g: str, truth: str, update: Any, claimed: Any, state: Any, ok: tuple[str, ...] | None = None,
      **kw: Any) -> Case:
    return Case(cid, g, truth, "fixed_point", (update, claimed, state), kw, ok or _default(truth))


def LIM(cid: str, g: str, truth: str, expr: Any, var: str, to: Any, claimed: Any, ok: tuple[str, ...] | None = None,
        **kw: Any) -> Case:
    return Case(cid, g, truth, "limit", (expr, var, to, claimed), kw, ok or _default(truth))


def _default(truth: str) -> tuple[str, ...]:
    return {TRUE: (P, IN), FALSE: (RF, IN), UNDEF: (RF, IN), VACUOUS: (IN,)}[truth]


def _s(name: str) -> sp.Symbol:
    return sp.Symbol(name)


CASES: list[Case] = [
    # ---------------------------------------------------------------- boundaries
    Q("b.open-lower-closed-upper", "boundary", TRUE, "x", ">=", "0", R, ("x > 0", "x <= 1"), ok=(P,)),
    Q("b.closed-upper-strict-claim", "boundary", FALSE, "x", "<", "1", R, ("x > 0", "x <= 1"), ok=(RF,)),
    Q("b.pole-outside-open-end", "boundary", TRUE, "1/(1 - x)", ">", "0", R, ("x >= 0", "x < 1"), ok=(P,)),
    Q("b.pole-at-closed-end", "boundary", UNDEF, "1/(1 - x)", ">", "0", R, ("x >= 0", "x <= 1")),
    Q("b.chain-strict-then-closed", "boundary", TRUE, "x", "<", "z", XYZ, ("x < y", "y <= z"), ok=(P,)),
    Q("b.chain-closed-closed", "boundary", FALSE, "x", "<", "z", XYZ, ("x <= y", "y <= z"), ok=(RF,)),
    Q("b.box-half-open", "boundary", TRUE, "x*y", "<", "1", XY, ("0 <= x", "x < 1", "0 <= y", "y <= 1"), ok=(P,)),
    Q("b.box-closed", "boundary", FALSE, "x*y", "<", "1", XY, ("0 <= x", "x <= 1", "0 <= y", "y <= 1"), ok=(RF,)),
    Q("b.reversed-bound-text", "boundary", FALSE, "x", ">", "2", R, ("2 <= x",), ok=(RF,)),
    Q("b.tiny-open-interval", "boundary", TRUE, "x", "<=", "1e-30", R, ("x < 1e-30",), ok=(P,)),
    Q("b.tiny-closed-interval", "boundary", FALSE, "x", "<", "1e-30", R, ("x <= 1e-30",), ok=(RF,)),
    Q("b.square-open-ball", "boundary", TRUE, "x**2 + y**2", "<", "1", XY, ("Abs(x) < 1/2", "Abs(y) < 1/2")),
    Q("b.square-at-corner", "boundary", FALSE, "x**2 + y**2", "<", "1/2", XY, ("Abs(x) <= 1/2", "Abs(y) <= 1/2")),
    # ---------------------------------------------------------------- integers
    Q("z.n-squared-integer", "integer", TRUE, "n**2", ">=", "n", {"n": "integer"}),
    Q("z.n-squared-real", "integer", FALSE, "n**2", ">=", "n", {"n": "real"}, ok=(RF,)),
    Q("z.consecutive-product-integer", "integer", TRUE, "k*(k + 1)", ">=", "0", {"k": "integer"}),
    Q("z.consecutive-product-real", "integer", FALSE, "k*(k + 1)", ">=", "0", {"k": "real"}, ok=(RF,)),
    I("z.even-power-of-minus-one", "integer", TRUE, "(-1)**(2*k)", "1", {"k": "integer"}),
    I("z.odd-power-of-minus-one", "integer", FALSE, "(-1)**k", "1", {"k": "integer"}),
    Q("z.d-canonical", "integer", TRUE, "d", ">=", "1", None, note="d: positive integer"),
    Q("z.d-positive-real", "integer", FALSE, "d", ">=", "1", {"d": "positive"}, ok=(RF,)),
    Q("z.integer-gap", "integer", TRUE, "m", ">=", "2", {"m": "integer"}, ("m > 1",)),
    Q("z.real-no-gap", "integer", FALSE, "m", ">=", "2", {"m": "real"}, ("m > 1",), ok=(RF,)),
    Q("z.integer-between", "integer", VACUOUS, "j", ">", "5", {"j": "integer"}, ("j > 0", "j < 1")),
    Q("z.positive-integer-product", "integer", TRUE, "j*m", ">=", "m", {"j": "positive integer", "m": "positive"}),
    I("z.floor-of-integer", "integer", TRUE, "floor(j)", "j", {"j": "integer"}),
    Q("z.N-canonical-halving", "integer", TRUE, "1/N", "<=", "1", None, note="N: positive integer"),
    Q("z.N-declared-real", "integer", UNDEF, "1/N", "<=", "1", {"N": "real"}),
    # ---------------------------------------------------------------- removable singularities
    I("r.removable", "removable", UNDEF, "(x**2 - 1)/(x - 1)", "x + 1", R),
    I("r.removable-assumed-away", "removable", TRUE, "(x**2 - 1)/(x - 1)", "x + 1", R, ("x > 1",), ok=(P,)),
    Q("r.removable-inside-region", "removable", UNDEF, "(x**2 - 1)/(x - 1)", ">", "0", R, ("x > -1",)),
    I("r.nonzero-by-square", "removable", TRUE, "x/x", "1", R, ("x**2 > 0",), ok=(P,)),
    Q("r.reciprocal-order-positive", "removable", TRUE, "1/x", "<", "1/y", XY, ("0 < y", "y < x"), ok=(P,)),
    Q("r.reciprocal-order-any", "removable", FALSE, "1/x", "<", "1/y", XY, ("y < x", "x*y != 0"), ok=(RF, IN, ERR)),
    Q("r.hidden-pole", "removable", UNDEF, "(x + 1)/(x**2 - 2)", ">=", "-10", R, ("x >= 0", "x <= 2")),
    I("r.cancel-both-sides", "removable", UNDEF, "x*y/(x*y)", "y/y", XY, ("y != 0",), ok=(RF, IN, ERR)),
    # ---------------------------------------------------------------- branches
    I("br.sqrt-square-abs", "branch", TRUE, "sqrt(x**2)", "Abs(x)", R, ok=(P,)),
    I("br.half-power-of-square", "branch", FALSE, "(x**2)**(1/2)", "x", R),
    I("br.half-power-of-square-nonneg", "branch", TRUE, "(x**2)**(1/2)", "x", R, ("x >= 0",)),
    I("br.cube-root-of-minus-eight", "branch", FALSE, "(-8)**(1/3)", "-2", ok=(RF, IN, ERR)),
    I("br.sqrt-times-sqrt", "branch", UNDEF, "sqrt(x)*sqrt(x)", "x", R),
    I("br.sqrt-product-any", "branch", UNDEF, "sqrt(x*y)", "sqrt(x)*sqrt(y)", XY),
    I("br.sqrt-product-nonneg", "branch", TRUE, "sqrt(x*y)", "sqrt(x)*sqrt(y)", XY, ("x >= 0", "y >= 0")),
    I("br.sqrt-product-same-sign", "branch", UNDEF, "sqrt(x*y)", "sqrt(x)*sqrt(y)", XY, ("x*y >= 0",)),
    I("br.log-product-positive", "branch", TRUE, "log(x*y)", "log(x) + log(y)", XY, ("x > 0", "y > 0")),
    I("br.log-product-same-sign", "branch", UNDEF, "log(x*y)", "log(x) + log(y)", XY, ("x*y > 0",)),
    I("br.exp-log-positive", "branch", TRUE, "exp(log(x))", "x", R, ("x > 0",)),
    I("br.exp-log-nonneg", "branch", UNDEF, "exp(log(x))", "x", R, ("x >= 0",)),
    I("br.atan-tan-principal", "branch", TRUE, "atan(tan(x))", "x", R, ("-pi/2 < x", "x < pi/2")),
    I("br.atan-tan-everywhere", "branch", UNDEF, "atan(tan(x))", "x", R),
    I("br.asin-sin-past-half-pi", "branch", FALSE, "asin(sin(x))", "x", R, ("0 <= x", "x <= 3")),
    I("br.power-of-power-positive", "branch", TRUE, "(x**a)**b", "x**(a*b)",
      {"x": "positive", "a": "real", "b": "real"}),
    I("br.power-of-power-real", "branch", FALSE, "(x**a)**b", "x**(a*b)", {"x": "real", "a": "real", "b": "real"},
      ok=(RF, IN)),
    I("br.log-of-power", "branch", UNDEF, "log(x**2)", "2*log(x)", R),
    I("br.log-of-power-positive", "branch", TRUE, "log(x**2)", "2*log(x)", R, ("x > 0",)),
    Q("br.root-of-negative", "branch", UNDEF, "x**(1/3)", "<", "0", R, ("x < 0",)),
    I("br.nested-root", "branch", TRUE, "sqrt(3 + 2*sqrt(2))", "1 + sqrt(2)", ok=(P,)),
    I("br.nested-root-wrong", "branch", FALSE, "sqrt(3 + 2*sqrt(2))", "sqrt(2) + 1 + 1e-30", ok=(RF,)),
    # ---------------------------------------------------------------- piecewise functions
    I("pw.max-plus-min", "piecewise", TRUE, "Max(x, y) + Min(x, y)", "x + y", XY),
    I("pw.max-minus-min", "piecewise", TRUE, "Max(x, y) - Min(x, y)", "Abs(x - y)", XY),
    Q("pw.triangle", "piecewise", TRUE, "Abs(x + y)", "<=", "Abs(x) + Abs(y)", XY),
    Q("pw.reverse-triangle-wrong", "piecewise", FALSE, "Abs(x - y)", "<=", "Abs(x) - Abs(y)", XY),
    I("pw.sign-times-abs", "piecewise", TRUE, "sign(x)*Abs(x)", "x", R),
    I("pw.sign-squared", "piecewise", FALSE, "sign(x)**2", "1", R),
    Q("pw.abs-positive", "piecewise", FALSE, "Abs(x)", ">", "0", R, ok=(RF,)),
    I("pw.floor-ceiling", "piecewise", TRUE, "floor(x) + ceiling(-x)", "0", R),
    I("pw.floor-is-ceiling", "piecewise", FALSE, "floor(x)", "ceiling(x)", R),
    Q("pw.fractional-part-below-one", "piecewise", TRUE, "x - floor(x)", "<", "1", R),
    Q("pw.fractional-part-positive", "piecewise", FALSE, "x - floor(x)", ">", "0", R),
    I("pw.piecewise-abs", "piecewise", TRUE, "Piecewise((x, x >= 0), (-x, True))", "Abs(x)", R, ok=(P, IN, ERR)),
    # ---------------------------------------------------------------- numbers
    Q("f.one-plus-1e-30", "float", TRUE, "1 + 1e-30", ">", "1", ok=(P,)),
    I("f.one-plus-1e-30-is-one", "float", FALSE, "1 + 1e-30", "1", ok=(RF,)),
    Q("f.double-root-at-1e-30", "float", FALSE, "x**2 - 2*x*1e-30 + 1e-60", ">", "0", R, ok=(RF,)),
    Q("f.double-root-at-1e-30-closed", "float", TRUE, "x**2 - 2*x*1e-30 + 1e-60", ">=", "0", R, ok=(P,)),
    Q("f.quartic-touching-zero", "float", FALSE, "x**4 - x**2/1000 + 2.5e-7", ">", "0", R, ok=(RF,)),
    Q("f.quartic-touching-zero-closed", "float", TRUE, "x**4 - x**2/1000 + 2.5e-7", ">=", "0", R, ok=(P,)),
    I("f.third-vs-decimal", "float", FALSE, "1/3", "0.333333333333333333", ok=(RF,)),
    I("f.big-cancellation", "float", TRUE, "10**400 + 1 - 10**400", "1", ok=(P,)),
    Q("f.big-rational", "float", TRUE, "123456789012345678901234567890/123456789012345678901234567891", "<", "1",
      ok=(P,)),
    Q("f.huge-power", "float", TRUE, "2**(10**6)", ">", "10**300000", ok=(P, IN, ERR)),
    Q("f.huge-exponent-decimal", "float", TRUE, "(1 + 1e-20)**(10**20)", ">", "2", ok=(P, IN, ERR)),
    Q("f.exponent-notation-upper", "float", FALSE, "x", "<", "2E-3", R, ("x <= 0.002",), ok=(RF,)),
    # ---------------------------------------------------------------- many variables
    Q("m.am-gm-4", "many", TRUE, "((p + q + r + u)/4)**4", ">=", "p*q*r*u", POS4),
    Q("m.am-gm-4-real", "many", FALSE, "((p + q + r + u)/4)**4", ">=", "p*q*r*u", REAL4),
    Q("m.cauchy-schwarz-3", "many", TRUE, "(a1*b1 + a2*b2 + a3*b3)**2", "<=",
      "(a1**2 + a2**2 + a3**2)*(b1**2 + b2**2 + b3**2)", CS3),
    Q("m.cauchy-schwarz-3-strict", "many", FALSE, "(a1*b1 + a2*b2 + a3*b3)**2", "<",
      "(a1**2 + a2**2 + a3**2)*(b1**2 + b2**2 + b3**2)", CS3, ok=(RF,)),
    Q("m.young", "many", TRUE, "2*x*y", "<=", "x**2/c + c*y**2", {"x": "real", "y": "real", "c": "positive"}),
    Q("m.young-any-c", "many", UNDEF, "2*x*y", "<=", "x**2/c + c*y**2", {"x": "real", "y": "real", "c": "real"}),
    Q("m.step-size-compressed", "many", TRUE, "gamma*L*(1 + omega/N)", "<=", "1", {"gamma": "positive"},
      ("gamma <= 1/(L*(1 + omega/N))",), ok=(P,), note="L: positive"),
    Q("m.step-size-closed", "many", FALSE, "gamma*L", "<", "1", {"gamma": "positive"}, ("gamma <= 1/L",), ok=(RF,)),
    Q("m.step-size-open", "many", TRUE, "gamma*L", "<", "1", {"gamma": "positive"},
      ("gamma < 1/(L*(1 + omega/N))",), ok=(P,)),
    Q("m.contraction-factor", "many", TRUE, "(1 - gamma*mu)**2", "<", "1", {"gamma": "positive"},
      ("gamma <= 1/L", "mu <= L")),
    Q("m.contraction-factor-2-over-L", "many", FALSE, "(1 - gamma*mu)**2", "<", "1", {"gamma": "positive"},
      ("gamma <= 2/L", "mu <= L"), ok=(RF,)),
    Q("m.negative-step", "many", FALSE, "1 - gamma*mu", "<", "1", {"gamma": "real"}, ("gamma <= 1/L",), ok=(RF,)),
    # ---------------------------------------------------------------- names
    Q("nm.E-declared", "names", FALSE, "E", ">", "2", {"E": "real"}, ok=(RF, ERR)),
    Q("nm.I-declared", "names", TRUE, "I**2", ">=", "0", {"I": "real"}, ok=(P, IN, ERR)),
    Q("nm.pi-declared", "names", FALSE, "pi", ">", "3", {"pi": "real"}, ok=(RF, ERR)),
    Q("nm.pi-constant", "names", TRUE, "pi", ">", "3", ok=(P,)),
    Q("nm.S-plus-N", "names", TRUE, "S + N", ">", "S", {"S": "real"}, note="N: positive integer"),
    Q("nm.O-declared", "names", TRUE, "O", ">=", "0", {"O": "nonnegative"}, ok=(P, ERR)),
    Q("nm.Q-square", "names", TRUE, "Q*Q", ">=", "0", {"Q": "real"}, ok=(P, ERR)),
    Q("nm.gamma-symbol", "names", FALSE, "gamma*beta", ">", "0", {"gamma": "real"}),
    I("nm.gamma-function", "names", TRUE, "gamma(5)", "24", ok=(P,)),
    Q("nm.beta-declared-real", "names", FALSE, "beta", ">", "0", {"beta": "real"}, ok=(RF,)),
    # ---------------------------------------------------------------- assumptions
    Q("a.contradictory", "assumptions", VACUOUS, "x", ">", "5", R, ("x > 1", "x < 0")),
    Q("a.contradictory-square", "assumptions", VACUOUS, "x", ">", "0", R, ("x**2 < 0",)),
    Q("a.vacuous-square", "assumptions", FALSE, "x", ">=", "0", R, ("x**2 >= 0",), ok=(RF,)),
    Q("a.exp-above-one", "assumptions", TRUE, "x", ">", "0", R, ("exp(x) > 1",)),
    Q("a.exp-below-one", "assumptions", FALSE, "x", "<", "-1", R, ("exp(x) < 1",)),
    Q("a.equality-assumption", "assumptions", TRUE, "x**2", ">=", "1", R, ("x == 1",), ok=(P, IN, ERR)),
    Q("a.not-equal-assumption", "assumptions", TRUE, "x**2", ">", "0", R, ("x != 0",), ok=(P, IN, ERR)),
    Q("a.implied-by-other", "assumptions", TRUE, "y", ">", "0", XY, ("x > 0", "y > x**2")),
    Q("a.undefined-assumption", "assumptions", FALSE, "x", ">", "1", R, ("log(x) >= 0",)),
    # ---------------------------------------------------------------- ops, infinities, complex values
    Q("o.op-equal", "ops", TRUE, "x + x", "==", "2*x", R, ok=(P, ERR)),
    Q("o.op-not-equal", "ops", TRUE, "x**2 + 1", "!=", "0", R, ok=(P, ERR)),
    Q("o.op-not-equal-false", "ops", FALSE, "x**2 - 1", "!=", "0", R, ok=(RF, ERR)),
    Q("o.op-unknown", "ops", FALSE, "x", "=>", "0", R, ok=(ERR,)),
    Q("o.infinity-above", "ops", TRUE, "oo", ">", "x", R, ok=(P, IN, ERR)),
    I("o.infinity-minus-infinity", "ops", UNDEF, "oo - oo", "0", ok=(RF, IN, ERR)),
    I("o.zero-times-infinity", "ops", UNDEF, "0*oo", "0", ok=(RF, IN, ERR)),
    Q("o.sqrt-minus-one", "ops", UNDEF, "sqrt(-1)", ">", "0", ok=(RF, IN, ERR)),
    Q("o.imaginary-unit", "ops", UNDEF, "I", ">", "0", ok=(RF, IN, ERR)),
    I("o.complex-identity", "ops", TRUE, "I**2", "-1", ok=(P, IN, ERR)),
    # ---------------------------------------------------------------- timeouts
    Q("t.degree-20-six-vars", "timeout", TRUE, "(x1**2 + x2**2 + x3**2 + x4**2 + x5**2 + x6**2)**10"
      " + x1*x2*x3*x4*x5*x6", ">=", "-1", SIX, budget=12.0, timeout=2.0),
    Q("t.degree-20-six-vars-false", "timeout", FALSE, "(x1**2 + x2**2 + x3**2 + x4**2 + x5**2 + x6**2)**10"
      " + x1*x2*x3*x4*x5*x6", ">=", "0", SIX, budget=12.0, timeout=2.0),
    # ---------------------------------------------------------------- fixed points
    F("fp.gd-point", "fixed_point", TRUE, "x - gamma*(x - c)", "c", "x", ok=(P,),
      symbols={"gamma": "positive", "c": "real"}),
    F("fp.consensus", "fixed_point", TRUE, ["x1 - gamma*(x1 - x2)", "x2 - gamma*(x2 - x1)"], ["c", "c"],
      ["x1", "x2"], ok=(P,), symbols={"gamma": "positive", "c": "real"}),
    F("fp.consensus-wrong", "fixed_point", FALSE, ["x1 - gamma*(x1 - x2)", "x2 - gamma*(x2 - x1)"], ["c", "0"],
      ["x1", "x2"], ok=(RF,), symbols={"gamma": "positive", "c": "real"}),
    F("fp.pole-in-update", "fixed_point", UNDEF, "x/(1 - gamma)", "0", "x", symbols={"gamma": "real"}),
    F("fp.pole-assumed-away", "fixed_point", TRUE, "x/(1 - gamma)", "0", "x", symbols={"gamma": "real"},
      assumptions=["gamma < 1"]),
    F("fp.attracting-open", "fixed_point", TRUE, "(1 - gamma*L)*x", "0", "x", symbols={"gamma": "positive"},
      assumptions=["gamma < 2/L"], attracting=True),
    F("fp.attracting-closed", "fixed_point", FALSE, "(1 - gamma*L)*x", "0", "x", symbols={"gamma": "positive"},
      assumptions=["gamma <= 2/L"], attracting=True),
    F("fp.callable-plain", "fixed_point", TRUE, lambda x: x - _s("gamma") * (x - _s("c")), "c", "x",
      symbols={"gamma": "positive", "c": "real"}),
    F("fp.marginal-not-attracting", "fixed_point", FALSE, "x + gamma*x**2", "0", "x", symbols={"gamma": "positive"},
      attracting=True),
    F("fp.sqrt-fixed", "fixed_point", TRUE, "sqrt(x)", "1", "x"),
    F("fp.sqrt-negative", "fixed_point", UNDEF, "sqrt(x)", "-1", "x"),
    F("fp.vector-parametric", "fixed_point", TRUE, ["x1 + eta*(a - x1)", "x2 + eta*(x1 - x2)"], ["a", "a"],
      ["x1", "x2"], symbols={"a": "real"}, attracting=True, assumptions=["eta < 1"]),
    # ---------------------------------------------------------------- limits
    LIM("l.pole-right", "limit", TRUE, "1/x", "x", 0, "oo", symbols=R, direction="+"),
    LIM("l.pole-left", "limit", TRUE, "1/x", "x", 0, "-oo", symbols=R, direction="-"),
    LIM("l.sign-right", "limit", TRUE, "sign(x)", "x", 0, "1", symbols=R, direction="+"),
    LIM("l.sign-two-sided", "limit", FALSE, "sign(x)", "x", 0, "0", symbols=R),
    LIM("l.floor-left", "limit", TRUE, "floor(x)", "x", 0, "-1", symbols=R, direction="-"),
    LIM("l.floor-two-sided", "limit", FALSE, "floor(x)", "x", 0, "0", symbols=R),
    LIM("l.abs-over-x", "limit", FALSE, "Abs(x)/x", "x", 0, "1", symbols=R),
    LIM("l.sin-inverse", "limit", FALSE, "sin(1/x)", "x", 0, "0", symbols=R),
    LIM("l.exp-poly", "limit", TRUE, "exp(-x)*x**100", "x", "oo", "0", symbols=R),
    LIM("l.removable", "limit", TRUE, "(x**2 - 1)/(x - 1)", "x", 1, "2", symbols=R),
    LIM("l.power-any-exponent", "limit", FALSE, "x**a", "x", "oo", "oo", symbols={"x": "real", "a": "real"}),
    LIM("l.power-positive-exponent", "limit", TRUE, "x**a", "x", "oo", "oo", symbols={"x": "real", "a": "positive"}),
    LIM("l.exp-any-rate", "limit", FALSE, "exp(gamma*x)", "x", "oo", "0", symbols={"x": "real", "gamma": "real"}),
    # ---------------------------------------------------------------- second round
    Q("x.algebraic-boundary", "boundary", FALSE, "x**2", "<", "2", R, ("x**2 <= 2",), ok=(RF,)),
    Q("x.two-positive-open", "boundary", TRUE, "x + y", ">", "0", XY, ("x > 0", "y >= 0"), ok=(P,)),
    Q("x.cube-monotone", "many", TRUE, "x**3", ">", "y**3", XY, ("x > y",), ok=(P,)),
    Q("x.square-not-monotone", "many", FALSE, "x**2", ">", "y**2", XY, ("x > y",), ok=(RF,)),
    Q("x.eta-declared-real", "names", FALSE, "eta", ">", "0", {"eta": "real"}, ok=(RF,)),
    Q("x.k-over-d", "integer", TRUE, "k/d", "<=", "1", None, ("k <= d",), note="d: positive integer"),
    Q("x.triangular-number", "integer", TRUE, "n*(n + 1)/2", ">=", "n", {"n": "positive integer"}),
    Q("x.triangular-number-real", "integer", FALSE, "n*(n + 1)/2", ">=", "n", {"n": "positive"}, ok=(RF,)),
    Q("x.two-power-integer", "integer", TRUE, "2**j", ">=", "j + 1", {"j": "nonnegative integer"}),
    Q("x.two-power-real", "integer", FALSE, "2**j", ">=", "j + 1", {"j": "nonnegative"}),
    Q("x.sqrt-sum-vs-sqrt10", "float", FALSE, "sqrt(2) + sqrt(3)", ">", "sqrt(10)", ok=(RF,)),
    I("x.denested", "branch", TRUE, "sqrt(2) + sqrt(3)", "sqrt(5 + 2*sqrt(6))", ok=(P,)),
    Q("x.pi-vs-355-113", "float", FALSE, "pi", ">", "355/113", ok=(RF,)),
    Q("x.ramanujan-below", "float", TRUE, "exp(pi*sqrt(163))", "<", "640320**3 + 744", ok=(P, IN)),
    I("x.ramanujan-not-integer", "float", FALSE, "exp(pi*sqrt(163))", "640320**3 + 744", ok=(RF, IN)),
    Q("x.e-pi-vs-pi-e", "float", TRUE, "exp(pi)", ">", "pi**E", ok=(P, IN)),
    Q("x.max-reciprocal", "piecewise", TRUE, "Max(x, 1/x)", ">=", "1", {"x": "positive"}),
    Q("x.min-below-mean", "piecewise", TRUE, "Min(x, y)", "<=", "(x + y)/2", XY),
    I("x.abs-product", "piecewise", TRUE, "Abs(x*y)", "Abs(x)*Abs(y)", XY),
    Q("x.exp-tangent", "branch", TRUE, "exp(x)", ">=", "1 + x", R),
    Q("x.exp-tangent-strict", "branch", FALSE, "exp(x)", ">", "1 + x", R),
    Q("x.log-tangent", "branch", TRUE, "log(x)", "<=", "x - 1", {"x": "positive"}),
    Q("x.log-tangent-strict", "branch", FALSE, "log(x)", "<", "x - 1", {"x": "positive"}),
    Q("x.log-tangent-real", "branch", UNDEF, "log(x)", "<=", "x - 1", R),
    Q("x.sin-below-x", "branch", TRUE, "sin(x)", "<=", "x", {"x": "nonnegative"}),
    Q("x.sin-strictly-below-x", "branch", FALSE, "sin(x)", "<", "x", {"x": "nonnegative"}),
    Q("x.x-log-x", "branch", TRUE, "x*log(x)", ">=", "-exp(-1)", {"x": "positive"}),
    Q("x.harmonic-am", "many", TRUE, "1/x + 1/y", ">=", "4/(x + y)", {"x": "positive", "y": "positive"}, ok=(P,)),
    Q("x.harmonic-am-nonneg", "many", UNDEF, "1/x + 1/y", ">=", "4/(x + y)", {"x": "nonnegative", "y": "positive"}),
    Q("x.square-of-sum", "many", TRUE, "(x + y)**2", ">=", "4*x*y", XY, ok=(P,)),
    Q("x.square-of-sum-strict", "many", FALSE, "(x + y)**2", ">", "4*x*y", XY, ok=(RF,)),
    Q("x.three-squares", "many", TRUE, "x**2 + y**2 + z**2", ">=", "x*y + y*z + z*x", XYZ, ok=(P,)),
    Q("x.quartic-schur-like", "many", TRUE, "x**4 + y**4 + z**4", ">=", "x*y*z*(x + y + z)", XYZ),
    Q("x.sixth-powers", "many", TRUE, "x**6 + y**6", ">=", "x**5*y + x*y**5 - 1e-30", XY),
    Q("x.sixth-powers-strict", "many", FALSE, "x**6 + y**6", ">", "x**5*y + x*y**5", XY, ok=(RF,)),
    Q("x.motzkin", "many", TRUE, "x**4*y**2 + x**2*y**4 - 3*x**2*y**2 + 1", ">=", "0", XY),
    Q("x.motzkin-strict", "many", FALSE, "x**4*y**2 + x**2*y**4 - 3*x**2*y**2 + 1", ">", "0", XY),
    Q("x.motzkin-near-miss", "many", FALSE, "x**4*y**2 + x**2*y**4 - 3*x**2*y**2 + 1", ">=", "1e-30", XY),
    F("x.fp-consensus-sum", "fixed_point", TRUE, ["x1 - eta*(x1 + x2 - c)", "x2 - eta*(x1 + x2 - c)"],
      ["c/2", "c/2"], ["x1", "x2"], symbols={"c": "real"}),
    F("x.fp-consensus-sum-not-attracting", "fixed_point", FALSE, ["x1 - eta*(x1 + x2 - c)", "x2 - eta*(x1 + x2 - c)"],
      ["c/2", "c/2"], ["x1", "x2"], symbols={"c": "real"}, attracting=True),
    F("x.fp-callable-pole", "fixed_point", UNDEF, lambda x: x / (1 - _s("g")), "0", "x", symbols={"g": "real"}),
    F("x.fp-square-repelling", "fixed_point", FALSE, "x**2", "1", "x", attracting=True),
    F("x.fp-square-superattracting", "fixed_point", TRUE, "x**2", "0", "x", attracting=True),
    F("x.fp-cubic-damping", "fixed_point", TRUE, "x - eta*x**3", "0", "x", attracting=True, ok=(P, IN)),
    F("x.fp-cubic-damping-vector", "fixed_point", TRUE, ["x1 - eta*x1**3", "x2/2"], ["0", "0"], ["x1", "x2"],
      attracting=True, ok=(P, IN)),
    F("x.fp-cubic-pushing", "fixed_point", FALSE, "x + eta*x**3", "0", "x", attracting=True),
    F("x.fp-wrong-vector", "fixed_point", FALSE, ["x1/2 + x2/2", "x2"], ["1", "0"], ["x1", "x2"], ok=(RF,)),
    LIM("x.lim-x-to-x", "limit", TRUE, "x**x", "x", 0, "1", symbols=R, direction="+"),
    LIM("x.lim-compound", "limit", TRUE, "(1 + a/x)**x", "x", "oo", "exp(a)", symbols={"x": "real", "a": "real"}),
    LIM("x.lim-sqrt-diff", "limit", TRUE, "sqrt(x**2 + x) - x", "x", "oo", "1/2", symbols=R),
    LIM("x.lim-sqrt-diff-minus", "limit", FALSE, "sqrt(x**2 + x) - x", "x", "-oo", "-1/2", symbols=R),
    LIM("x.lim-atan", "limit", TRUE, "atan(x)", "x", "-oo", "-pi/2", symbols=R),
    LIM("x.lim-decimal-zero", "limit", TRUE, "1/x", "x", "oo", "0.0", symbols=R),
    LIM("x.lim-exp-inverse-right", "limit", TRUE, "exp(-1/x)", "x", 0, "0", symbols=R, direction="+"),
    LIM("x.lim-exp-inverse-two-sided", "limit", FALSE, "exp(-1/x)", "x", 0, "0", symbols=R),
    LIM("x.lim-sign-left", "limit", TRUE, "x/Abs(x)", "x", 0, "-1", symbols=R, direction="-"),
    LIM("x.lim-rate-sign", "limit", TRUE, "x*exp(a*x)", "x", "oo", "0", symbols={"x": "real", "a": "negative"}),
    # ---------------------------------------------------------------- third round: integers and types
    Q("y.integer-square-at-one", "integer", FALSE, "j**2", ">=", "2", {"j": "integer"}, ("j >= 1",), ok=(RF,)),
    I("y.cos-pi-n", "integer", TRUE, "cos(pi*j)", "(-1)**j", {"j": "integer"}),
    I("y.sin-pi-n", "integer", TRUE, "sin(pi*j)", "0", {"j": "integer"}),
    I("y.sin-pi-x", "integer", FALSE, "sin(pi*j)", "0", {"j": "real"}),
    Q("y.integer-successor", "integer", TRUE, "i1", ">=", "i2", {"i1": "integer", "i2": "integer"}, ("i1 > i2 - 1",)),
    Q("y.integer-successor-strict", "integer", FALSE, "i1", ">", "i2", {"i1": "integer", "i2": "integer"},
      ("i1 > i2 - 1",)),
    Q("y.real-successor", "integer", FALSE, "i1", ">=", "i2", {"i1": "real", "i2": "real"}, ("i1 > i2 - 1",),
      ok=(RF,)),
    Q("y.declared-vs-assumed", "assumptions", VACUOUS, "gamma", ">", "1", {"gamma": "positive"}, ("gamma < 0",)),
    Q("y.nonneg-integer-zero", "integer", FALSE, "j", ">", "0", {"j": "nonnegative integer"}, ok=(RF,)),
    Q("y.parity-square", "integer", TRUE, "(2*j + 1)**2", ">=", "1", {"j": "integer"}),
    LIM("y.lim-power-at-zero", "limit", TRUE, "x**a", "x", 0, "0", symbols={"x": "real", "a": "real"},
        assumptions=["a > 0"], direction="+"),
    LIM("y.lim-power-at-zero-closed", "limit", FALSE, "x**a", "x", 0, "0", symbols={"x": "real", "a": "real"},
        assumptions=["a >= 0"], direction="+"),
    LIM("y.lim-sin-ax", "limit", TRUE, "sin(a*x)/x", "x", 0, "a", symbols={"x": "real", "a": "real"}),
    LIM("y.lim-box-cox", "limit", TRUE, "(x**a - 1)/a", "a", 0, "log(x)", symbols={"x": "positive", "a": "real"}),
    LIM("y.lim-floor-inverse", "limit", TRUE, "x*floor(1/x)", "x", 0, "1", symbols=R, direction="+"),
    Q("y.caret-power", "ops", TRUE, "x^2", ">=", "0", R, ok=(P, ERR)),
    Q("y.implicit-product", "ops", TRUE, "2x", ">=", "x", {"x": "nonnegative"}, ok=(P, ERR)),
    Q("y.huge-even-exponent", "float", TRUE, "x**(10**9)", ">=", "0", R, ok=(P, IN, ERR)),
    Q("y.huge-odd-exponent", "float", FALSE, "x**(10**9 + 1)", ">=", "0", R, ok=(RF, IN, ERR)),
    I("y.huge-exponent-identity", "float", TRUE, "x**(10**9)*x", "x**(10**9 + 1)", R, ok=(P, IN, ERR)),
    Q("y.below-1e-400", "float", TRUE, "x", ">", "0", {"x": "positive"}, ("x < 1e-400",), ok=(P,)),
    Q("y.inverse-square-at-zero", "removable", UNDEF, "1/x**2", ">", "0", R),
    Q("y.bounded-ratio", "removable", TRUE, "x/(x**2 + 1)", "<=", "1/2", R, ok=(P,)),
    I("y.abs-squared", "piecewise", TRUE, "Abs(x)**2", "x**2", R),
    Q("y.sqrt-subadditive", "branch", TRUE, "sqrt(x) + sqrt(y)", ">=", "sqrt(x + y)",
      {"x": "nonnegative", "y": "nonnegative"}),
    Q("y.sqrt-am-gm", "branch", TRUE, "sqrt(x)", "<=", "(x + 1)/2", {"x": "nonnegative"}),
    Q("y.sqrt-am-gm-strict", "branch", FALSE, "sqrt(x)", "<", "(x + 1)/2", {"x": "nonnegative"}),
    Q("y.sqrt-am-gm-real", "branch", UNDEF, "sqrt(x)", "<=", "(x + 1)/2", R),
    I("y.half-power-vs-sqrt", "branch", UNDEF, "x**(1/2)", "sqrt(x)", R),
    LIM("l.decimal-claim", "limit", FALSE, "(1 + 1/x)**x", "x", "oo", "2.718281828459045", symbols=R, ok=(RF,)),
]


# ------------------------------------------------------------------------------ exact re-check
def _flags(word: str) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for w in word.split():
        out[w] = True
    out.setdefault("real", True)
    return out


def _locals(case: Case) -> dict[str, Any]:
    declared = dict(case.kw.get("symbols") or {})
    names = dict(CANONICAL)
    names.update(declared)
    return {name: sp.Symbol(name, **_flags(word)) for name, word in names.items()}


def _read(text: Any, loc: dict[str, Any]) -> Any:
    if not isinstance(text, str):
        return text
    return sp.sympify(text, locals=loc, rational=True)  # safe: this file's own literals and the library's output


_OPS = (">=", ">", "<=", "<", "==", "!=")


def _read_raw(text: str, loc: dict[str, Any]) -> Any:
    return sp.sympify(text, locals=loc, rational=True, evaluate=False)  # safe: this file's own literals


def _undefined(e: Any, sub: dict[Any, Any]) -> bool:
    """Some subterm of ``e`` (as written, before sympy's rewriting: exp(log(x)) stays) is undefined
    at the point over the reals: a zero denominator, a log of a number <= 0, a fractional power of
    a negative number."""
    for t in sp.preorder_traversal(e):
        if isinstance(t, sp.log):
            v = t.args[0].subs(sub)
            if v.is_positive is False:
                return True
        if isinstance(t, sp.Pow):
            b, x = t.base.subs(sub), t.exp.subs(sub)
            if x.is_negative and b.is_zero:
                return True
            if x.is_Rational and not x.is_Integer and b.is_negative:
                return True
    return False


def _violates(case: Case, point: dict[str, Any]) -> bool:
    """Whether ``point`` satisfies every assumption and type and violates (or undefines) the claim."""
    loc = _locals(case)
    sub = {loc[name] if name in loc else sp.Symbol(name): _read(str(val), loc) for name, val in point.items()
           if name not in ("lhs", "rhs", "undefined", "why")}
    for sym, val in sub.items():
        ok_type = all(getattr(val, f"is_{flag}") is True for flag, on in sym.assumptions0.items()
                      if on and flag in ("positive", "nonnegative", "integer", "negative", "real"))
        assert ok_type, f"counterexample {sym} = {val} breaks its type {sym.assumptions0}"
    for a in case.kw.get("assumptions") or ():
        held = _read(a, loc).subs(sub)
        assert bool(held) is True, f"counterexample breaks assumption {a}: {held}"
    if any(_undefined(_read_raw(e, loc), sub) for e in case.args if isinstance(e, str) and e not in _OPS):
        return True
    if case.kind == "identity":
        lhs, rhs = (_read(e, loc).subs(sub) for e in case.args)
        diff = sp.simplify(lhs - rhs)
        return diff.has(sp.nan, sp.zoo) or not diff.is_real or diff != 0
    lhs, op, rhs = case.args
    a, b = _read(lhs, loc).subs(sub), _read(rhs, loc).subs(sub)
    if any(e.has(sp.nan, sp.zoo) or e.is_extended_real is False for e in (a, b)):
        return True
    rel = {">=": sp.Ge, ">": sp.Gt, "<=": sp.Le, "<": sp.Lt}[op](a, b)
    return bool(rel) is False


def _point(v: Any) -> dict[str, Any]:
    c = v.counterexample
    if isinstance(c, dict) and len(c) == 1 and isinstance(next(iter(c.values())), dict):
        return next(iter(c.values()))
    return c or {}


def run_case(case: Case) -> tuple[str, Any, float]:
    fn: Callable[..., Any] = {"identity": identity, "inequality": inequality, "fixed_point": fixed_point,
                              "limit": limit}[case.kind]
    t0 = time.perf_counter()
    try:
        v = fn(*case.args, **case.kw)
        status = v.status.value
    except ClaimError as e:
        v, status = e, ERR
    return status, v, time.perf_counter() - t0


def judge(case: Case) -> tuple[bool, str]:
    """(sound, why) for one case."""
    try:
        status, v, wall = run_case(case)
    except Exception as e:  # noqa: BLE001 - a traceback is itself the finding
        return False, f"{type(e).__name__}: {e}"
    if wall > case.budget:
        return False, f"{status} after {wall:.1f} s (budget {case.budget} s)"
    if status not in case.ok:
        return False, f"{status}: {getattr(v, 'found', v)}"
    if status == ERR and "\n" in str(v).strip():
        return False, f"a multi-line error: {v!r}"
    if status == P and case.note and case.note not in f"{v.numbers} {v.notes} {v.found}":
        return False, f"proved without naming {case.note!r}: {v.numbers} {v.notes}"
    if status == RF and case.kind in ("identity", "inequality"):
        point = _point(v)
        free = set().union(*(_read(e, _locals(case)).free_symbols for e in case.args if isinstance(e, str)
                             and e not in _OPS))
        if free:
            try:
                if not _violates(case, point):
                    return False, f"refuted at {point}, which does not violate the claim"
            except AssertionError as e:
                return False, str(e)
    return True, status


def _bounded(case: Case) -> tuple[bool, str]:
    """:func:`judge` stopped at the case's budget (a hang is a finding, not a stuck suite)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return judge(case)

    def _stop(*_: Any) -> None:
        raise TimeoutError(f"still running after {case.budget} s")

    old = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, case.budget)
    try:
        return judge(case)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_redteam(case: Case) -> None:
    sound, why = _bounded(case)
    assert sound, f"{case.id} ({case.truth}): {why}"


def test_enough_cases() -> None:
    assert len(CASES) >= 80 and len({c.id for c in CASES}) == len(CASES)


if __name__ == "__main__":
    tally: Counter[tuple[str, bool]] = Counter()
    for c in CASES:
        ok, why = _bounded(c)
        tally[(c.group, ok)] += 1
        print(f"{'ok   ' if ok else 'UNSOUND'} {c.id:40s} {c.truth:9s} {why[:200]}")
    bad = sum(n for (g, ok), n in tally.items() if not ok)
    print(f"{len(CASES)} cases, {len(CASES) - bad} sound, {bad} unsound")
