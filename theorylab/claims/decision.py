"""A decision procedure for algebraic claims: z3's nonlinear real arithmetic, checked exactly.

A statement ``lhs op rhs`` (``op`` one of ``= ≠ ≥ > ≤ <``) whose sides are rational functions
of its symbols with rational coefficients, possibly with roots (``sqrt``, ``b**(p/q)``),
``Abs``, ``Max`` and ``Min``, under assumptions of the same kind, is a sentence of the
first-order theory of the reals, which is decidable (Tarski; z3's ``nlsat`` is a complete
procedure for it, Jovanović & de Moura, 2012). :func:`decide` encodes it exactly:

- every symbol is a real variable (an integer one for an integer symbol), with its declared
  sign as a constraint;
- ``b**-n`` is a fresh ``r`` with ``r·bⁿ = 1``; ``b**(p/q)`` a fresh ``s ≥ 0`` with
  ``s^q = b^p`` (the principal root, real when ``b ≥ 0``); ``Abs``, ``Max``, ``Min`` are
  ``if-then-else`` terms. Nothing is rounded: numbers are exact rationals;
- the domain conditions (:mod:`.domain`: denominators ≠ 0, root arguments ≥ 0) are proof
  obligations: each must follow from the assumptions, else the answer is ``undefined`` with a
  point of the region where it fails;
- ``proved``: the negation of the statement is unsatisfiable together with the assumptions,
  the symbols' types and the domain conditions. ``unknown`` from z3 (a timeout, an
  incomplete theory with integer symbols) is never read as unsatisfiable;
- ``refuted``: a model of the negation, turned into exact numbers (rationals where a nearby
  rational point still violates the statement; else the algebraic numbers of the model, as
  sympy ``CRootOf``) and checked again in exact arithmetic against every assumption, every
  symbol's type, every domain condition and the statement itself;
- ``vacuous``: the assumptions (with the types) are contradictory, so nothing is claimed;
- ``unknown``: anything else (a transcendental function, a timeout), with the reason.

Symbols that are not declared real (sympy's plain symbols are complex) are accepted only in an
identity of rational functions without denominators in them: a polynomial identity holds for all
complex values exactly when it holds for all real ones.

:func:`prove_nonnegative` (``expr ≥ 0``) and :func:`prove_psd` (a symmetric matrix positive
semidefinite, by its principal minors) are the entries a certificate checker needs.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.functions.elementary.trigonometric import TrigonometricFunction

from .domain import Condition, conditions, merge

__all__ = ["Decision", "decide", "prove_nonnegative", "prove_psd", "exact_sign", "holds_at", "exact_numbers",
           "ENGINE", "STATUSES", "DEFAULT_TIMEOUT", "z3_available"]

ENGINE = "z3 (nonlinear real arithmetic; exact rationals)"
DEFAULT_TIMEOUT = 10.0
STATUSES = ("proved", "refuted", "undefined", "vacuous", "unknown")


def z3_available() -> bool:
    """True when the ``z3-solver`` package can be imported."""
    try:
        import z3  # noqa: F401
    except ImportError:  # pragma: no cover - z3-solver is a core dependency
        return False
    return True


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`decide`.

    ``status``: one of :data:`STATUSES`. ``engine``: what decided it. ``model``: the exact point
    (symbol → rational or algebraic number) for ``refuted`` and ``undefined``. ``used_assumptions``:
    the assumptions (stated ones, the symbols' types, and the conditions under which a stated
    assumption is defined) that the proof relied on — z3's unsat core when it gives one, else all
    of them. ``domain_conditions``: the conditions discharged (``proved``) or the one that fails
    (``undefined``). ``reason``: one line."""

    status: str
    engine: str
    model: Mapping[sp.Symbol, sp.Expr] | None = None
    used_assumptions: tuple[str, ...] = ()
    domain_conditions: tuple[str, ...] = ()
    reason: str = ""
    seconds: float = 0.0
    failed_condition: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        return self.status in ("proved", "refuted", "undefined", "vacuous")

    def point(self) -> dict[str, str]:
        """The model as ``{name: exact value}`` (sorted by name)."""
        return {str(k): str(v) for k, v in sorted((self.model or {}).items(), key=lambda kv: str(kv[0]))}


class NotAlgebraic(Exception):
    """The expression is outside what :func:`decide` encodes exactly."""


# --------------------------------------------------------------------------- exact numbers
def exact_numbers(e: Any) -> Any:
    """``e`` with every sympy ``Float`` replaced by the exact decimal it prints as
    (``Float(0.1)`` → ``1/10``; ``sp.Rational(str(f))``, not ``nsimplify``, which may guess a
    different number). Python floats become their shortest ``repr`` decimal."""
    if isinstance(e, float):
        return sp.Rational(repr(e))
    if isinstance(e, sp.Float):
        return sp.Rational(str(e))
    if isinstance(e, sp.Basic):
        fl = e.atoms(sp.Float)
        if fl:
            return e.xreplace({f: sp.Rational(str(f)) for f in fl})
    return e


def exact_sign(v: sp.Expr) -> int | None:
    """The sign (−1, 0, 1) of the real number ``v``, decided exactly: rationals directly; any
    other number when its 60-digit evaluation is at least 10⁻⁴⁰ away from 0 and agrees with 30
    digits; a number nearer 0 is 0 exactly when it is algebraic with minimal polynomial ``x``
    (asked only there, and only when cheap: see :func:`_small_degree`). None: undecided, or not a
    finite real number."""
    v = sp.sympify(v)  # safe: v is a sympy number built by this module, never text
    if v.free_symbols or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    if v.is_Rational:
        return int(sp.sign(v))
    if v.is_real is False:
        return None
    try:
        hi = sp.N(v, 60)
        lo = sp.N(v, 30)
    except (TypeError, ValueError):
        return None
    # A number clearly away from 0 has its sign read at 60 digits; the minimal polynomial (whose
    # cost grows with the degree: cos(pi/10**6) has degree ~10**6) is asked only near 0.
    near_zero = not (hi.is_real and hi.is_finite and abs(hi) >= sp.Float(10) ** -40)
    if near_zero and (v.is_algebraic or v.has(sp.CRootOf)) and _small_degree(v):
        try:
            mp = sp.minimal_polynomial(v, sp.Dummy("t"))
            if mp.is_Symbol:
                return 0
        except (NotImplementedError, ValueError, TypeError, sp.PolificationFailed):
            pass
    if not (hi.is_real and lo.is_real and hi.is_finite):
        if hi.is_real is False:
            im = sp.im(hi)
            if abs(im) > sp.Float(10) ** -40:
                return None
        return None
    if abs(hi) < sp.Float(10) ** -40:
        return None
    s_hi, s_lo = (1 if hi > 0 else -1), (1 if lo > 0 else -1)
    return s_hi if s_hi == s_lo else None


def _small_degree(v: sp.Expr, bound: int = 64) -> bool:
    """Whether the minimal polynomial of ``v`` is cheap to ask for: every trigonometric argument is
    a rational multiple of pi with denominator at most ``bound`` and every root index at most
    ``bound`` (a larger one makes sympy build a polynomial of that degree)."""
    for f in v.atoms(TrigonometricFunction):
        q = sp.sympify(f.args[0] / sp.pi)  # safe: a sympy expression, never text
        if not q.is_Rational or q.q > bound:
            return False
    return all(not (p.exp.is_Rational and p.exp.q > bound) for p in v.atoms(sp.Pow))


# an exact power with more bits than this is not computed: x**(10**9 + 1) at x = 37/11 has ~5e9 bits
MAX_POWER_BITS = 10 ** 6


def _huge_at(rel: sp.Basic, point: Mapping[sp.Symbol, sp.Expr]) -> bool:
    """Whether substituting ``point`` into ``rel`` would build an exact power of more than
    :data:`MAX_POWER_BITS` bits (a large integer exponent of a base that is not 0 or ±1 there)."""
    for p in rel.atoms(sp.Pow):
        if not (p.exp.is_Integer and abs(int(p.exp)) > 64 and p.base.free_symbols):
            continue
        base = p.base.xreplace(dict(point))
        if not base.is_Rational:
            return True  # an irrational base: its power is not cheap to compare either
        if base in (0, 1, -1):
            continue
        bits = max(abs(base.p).bit_length(), base.q.bit_length())
        if bits * abs(int(p.exp)) > MAX_POWER_BITS:
            return True
    return False


def holds_at(rel: sp.Basic, point: Mapping[sp.Symbol, sp.Expr]) -> bool | None:
    """Whether the relation (or ``And``/``Or``/``Not`` of relations) holds at ``point``, decided
    exactly with :func:`exact_sign`; None when undecided or a side is undefined there."""
    if rel is sp.true or rel is True:
        return True
    if rel is sp.false or rel is False:
        return False
    if isinstance(rel, sp.And):
        vals = [holds_at(a, point) for a in rel.args]
        return False if False in vals else (None if None in vals else True)
    if isinstance(rel, sp.Or):
        vals = [holds_at(a, point) for a in rel.args]
        return True if True in vals else (None if None in vals else False)
    if isinstance(rel, sp.Not):
        v = holds_at(rel.args[0], point)
        return None if v is None else not v
    if not isinstance(rel, sp.Rel):
        return None
    if _huge_at(rel, point):
        return None
    lhs, rhs = (side.xreplace(dict(point)) for side in (rel.lhs, rel.rhs))
    if any(x.has(sp.nan, sp.zoo) or x.free_symbols for x in (lhs, rhs)):
        return None
    if isinstance(rel, (sp.Eq, sp.Ne)):
        d = lhs - rhs
        if d == 0:
            same: bool | None = True
        else:
            parts = [exact_sign(d)] if d.is_real else [exact_sign(sp.re(d)), exact_sign(sp.im(d))]
            same = False if any(p in (-1, 1) for p in parts) else (True if all(p == 0 for p in parts) else None)
        if same is None:
            return None
        return same if isinstance(rel, sp.Eq) else not same
    s = exact_sign(lhs - rhs)
    if s is None:
        return None
    return {">=": s >= 0, ">": s > 0, "<=": s <= 0, "<": s < 0}[rel.rel_op]


def respects(sym: sp.Symbol, v: sp.Expr) -> bool:
    """``v`` is a value ``sym``'s own assumptions allow (integer, sign, real), decided exactly."""
    sign = exact_sign(v)
    if sym.is_real and sign is None and not v.is_zero:
        return False
    if sym.is_integer and not (v.is_Integer or (v.is_Rational and v.q == 1)):
        return False
    checks = ((sym.is_positive, sign == 1), (sym.is_nonnegative, sign in (0, 1)), (sym.is_negative, sign == -1),
              (sym.is_nonpositive, sign in (0, -1)), (sym.is_nonzero, sign in (-1, 1)))
    return all(ok for need, ok in checks if need)


def type_text(sym: sp.Symbol) -> str:
    """A symbol's declared type in words (``"positive integer"``; ``"complex (no assumption)"``)."""
    a = sym.assumptions0
    words = [w for w in ("positive", "nonnegative", "negative", "nonpositive", "nonzero", "integer", "real")
             if a.get(w) is True]
    for strong, weak in (("positive", "nonnegative"), ("negative", "nonpositive"), ("positive", "nonzero"),
                         ("negative", "nonzero")):
        if strong in words and weak in words:
            words.remove(weak)
    if "real" in words and len(words) > 1:
        words.remove("real")
    return " ".join(words) or "complex (no assumption)"


# --------------------------------------------------------------------------- sympy -> z3
class _Encoder:
    """Exact encoding of algebraic sympy expressions as z3 real terms (see the module docstring)."""

    def __init__(self, z3: Any, relax: bool = False) -> None:
        self.z3 = z3
        self.relax = relax  # integer symbols as real variables (a relaxation: sound for "proved" only)
        self.vars: dict[sp.Symbol, Any] = {}
        self.raw: dict[sp.Symbol, Any] = {}  # the z3 constant itself (Int or Real)
        self.defs: list[Any] = []
        self.fresh = 0
        self.cache: dict[sp.Basic, Any] = {}
        self.algebraic_only = True  # False once a root, Abs, Max or Min is encoded

    def var(self, s: sp.Symbol) -> Any:
        z3 = self.z3
        if s not in self.vars:
            name = f"{s.name}!{len(self.vars)}"
            if s.is_integer and not self.relax:
                v = z3.Int(name)  # kept in the integer sort: k < d + 1 stays linear integer arithmetic
                self.raw[s] = v
                self.vars[s] = v
            else:
                v = z3.Real(name)
                self.raw[s] = v
                self.vars[s] = v
        return self.vars[s]

    def new(self, what: str) -> Any:
        self.fresh += 1
        return self.z3.Real(f"{what}!aux{self.fresh}")

    def power(self, t: Any, n: int) -> Any:
        if n == 0:
            return self.z3.IntVal(1)
        if n > 64:
            raise NotAlgebraic(f"the power {n} is beyond what is encoded (at most 64)")
        out = None
        base = t
        while n:
            if n & 1:
                out = base if out is None else out * base
            n >>= 1
            if n:
                base = base * base
        return out

    def term(self, e: sp.Basic) -> Any:
        if e in self.cache:
            return self.cache[e]
        t = self._term(e)
        self.cache[e] = t
        return t

    def _term(self, e: sp.Basic) -> Any:
        z3 = self.z3
        if isinstance(e, sp.Symbol):
            return self.var(e)
        if isinstance(e, sp.Float):
            e = sp.Rational(str(e))
        if e.is_Rational:
            return z3.RealVal(f"{e.p}/{e.q}") if e.q != 1 else z3.IntVal(str(e.p))
        if isinstance(e, sp.Add):
            return z3.Sum([self.term(a) for a in e.args])
        if isinstance(e, sp.Mul):
            return z3.Product([self.term(a) for a in e.args])
        if isinstance(e, sp.Pow):
            b, x = e.args
            if not x.is_Rational:
                raise NotAlgebraic(f"{e} has a non-rational exponent")
            tb = self.term(b)
            if x.is_Integer:
                n = int(x)
                if n >= 0:
                    return self.power(tb, n)
                r = self.new("inv")
                self.defs.append(r * self.power(tb, -n) == 1)
                return r
            p, q = int(x.p), int(x.q)
            if q > 16:
                raise NotAlgebraic(f"the root of order {q} in {e} is beyond what is encoded (at most 16)")
            self.algebraic_only = False
            s = self.new("root")
            if p > 0:
                self.defs += [s >= 0, self.power(s, q) == self.power(tb, p)]
            else:
                self.defs += [s > 0, self.power(s, q) * self.power(tb, -p) == 1]
            return s
        if isinstance(e, sp.Abs):
            self.algebraic_only = False
            t = self.term(e.args[0])
            return z3.If(t >= 0, t, -t)
        if isinstance(e, (sp.Max, sp.Min)):
            self.algebraic_only = False
            ts = [self.term(a) for a in e.args]
            out = ts[0]
            for t in ts[1:]:
                out = z3.If(t > out, t, out) if isinstance(e, sp.Max) else z3.If(t < out, t, out)
            return out
        raise NotAlgebraic(f"{type(e).__name__} ({e}) is not algebraic")

    def formula(self, rel: sp.Basic) -> Any:
        z3 = self.z3
        if rel is sp.true or rel is True:
            return z3.BoolVal(True)
        if rel is sp.false or rel is False:
            return z3.BoolVal(False)
        if isinstance(rel, sp.And):
            return z3.And([self.formula(a) for a in rel.args])
        if isinstance(rel, sp.Or):
            return z3.Or([self.formula(a) for a in rel.args])
        if isinstance(rel, sp.Not):
            return z3.Not(self.formula(rel.args[0]))
        if isinstance(rel, sp.Rel):
            a, b = self.term(rel.lhs), self.term(rel.rhs)
            op = rel.rel_op
            return {"==": lambda: a == b, "!=": lambda: a != b, ">=": lambda: a >= b, ">": lambda: a > b,
                    "<=": lambda: a <= b, "<": lambda: a < b}[op]()
        raise NotAlgebraic(f"{rel} is not a relation")

    def types(self, sym: sp.Symbol) -> list[Any]:
        v = self.var(sym)
        out = []
        if sym.is_positive:
            out.append(v > 0)
        elif sym.is_nonnegative:
            out.append(v >= 0)
        if sym.is_negative:
            out.append(v < 0)
        elif sym.is_nonpositive:
            out.append(v <= 0)
        if sym.is_nonzero and not (sym.is_positive or sym.is_negative):
            out.append(v != 0)
        return out


# --------------------------------------------------------------------------- models
def _z3_number(val: Any, z3: Any) -> sp.Expr:
    if z3.is_int_value(val):
        return sp.Integer(val.as_long())
    if z3.is_rational_value(val):
        return sp.Rational(val.numerator_as_long(), val.denominator_as_long())
    if z3.is_algebraic_value(val):
        t = sp.Dummy("t")
        coeffs = [int(str(c)) for c in val.poly()]
        poly = sp.Poly(list(reversed(coeffs)), t)
        approx = val.approx(40)
        target = sp.Rational(approx.numerator_as_long(), approx.denominator_as_long())
        roots = [sp.CRootOf(poly, i) for i in range(sp.degree(poly, t)) if sp.CRootOf(poly, i).is_real]
        best = min(roots, key=lambda r: abs(sp.N(r, 50) - target))
        if sp.degree(poly, t) <= 2:  # the same number in radicals (sqrt(2) rather than CRootOf(t**2 - 2, 1))
            for r in sp.roots(poly, t):
                if r.is_real and abs(sp.N(r - best, 50)) < sp.Float(10) ** -45:
                    return sp.nsimplify(r) if r.is_Rational else r
        return best
    raise NotAlgebraic(f"unreadable model value {val}")


def _approx(v: sp.Expr) -> Fraction:
    if v.is_Rational:
        return Fraction(int(v.p), int(v.q))
    return Fraction(str(sp.N(v, 40)))


_DENS = (1, 2, 4, 10, 100, 1000, 10 ** 4, 10 ** 6, 10 ** 9)


def _roundings(model: Mapping[sp.Symbol, sp.Expr]) -> Iterable[dict[sp.Symbol, sp.Expr]]:
    """Nearby points with small rational coordinates (integers for integer symbols), smallest
    denominators first; exact values kept where they are already that simple."""
    for den in _DENS:
        opts = []
        for s, v in model.items():
            if s.is_integer:
                opts.append([v])
                continue
            if v.is_Rational and v.q <= den:
                opts.append([v])
                continue
            f = _approx(v).limit_denominator(den)
            cands = [sp.Rational(f.numerator, f.denominator)]
            if den == 1:
                x = _approx(v)
                cands += [sp.Integer(x.numerator // x.denominator), sp.Integer(-((-x.numerator) // x.denominator))]
            opts.append(list(dict.fromkeys(cands)))
        for combo in itertools.islice(itertools.product(*opts), 9):
            yield dict(zip(model, combo))


# --------------------------------------------------------------------------- decide
def decide(statement: sp.Basic, assumptions: Sequence[sp.Basic] = (), symbols: Iterable[sp.Symbol] | None = None,
           *, domain: Iterable[Condition] = (), timeout: float = DEFAULT_TIMEOUT,
           labels: Mapping[sp.Basic, str] | None = None) -> Decision:
    """Decide ``statement`` (a sympy relation, or ``And``/``Or`` of relations) for every value of
    its symbols that satisfies ``assumptions`` and the symbols' own types (see the module
    docstring). ``domain``: further domain conditions (read from the unevaluated text) beside
    those of ``statement`` itself. ``timeout``: seconds for the whole decision (each z3 query
    gets what is left). ``labels``: how to name an assumption in ``used_assumptions``.

    A symbol that is not declared real but appears in an assumption (an order relation) is taken
    as real, and the decision lists that reading. With integer symbols, z3 is asked first in
    integer arithmetic; when it cannot decide, the integers are relaxed to reals: a proof (or a
    contradiction) there holds for the integers too, and a refuting point counts only when its
    integer symbols get integers (every point is checked exactly).

    Returns a :class:`Decision`; never raises for an expression it cannot encode (``unknown``)."""
    t0 = time.perf_counter()
    free = set(getattr(sp.sympify(statement), "free_symbols", set()))  # safe: a sympy relation, not text
    for a in assumptions:
        free |= sp.sympify(a).free_symbols  # safe: sympy relations, not text
    ints = any(getattr(s, "is_integer", False) for s in free | set(symbols or ()))
    first = _decide(statement, assumptions, symbols, domain=domain, timeout=timeout * (0.5 if ints else 1.0),
                    labels=labels, relax=False)
    if first.status != "unknown" or not ints:
        return first
    left = max(0.1, timeout - (time.perf_counter() - t0))
    second = _decide(statement, assumptions, symbols, domain=domain, timeout=left, labels=labels, relax=True)
    if second.status == "unknown":
        return first
    return dataclasses.replace(second, reason=second.reason + " (integers relaxed to reals)",
                               seconds=time.perf_counter() - t0)


def _decide(statement: sp.Basic, assumptions: Sequence[sp.Basic], symbols: Iterable[sp.Symbol] | None,
            *, domain: Iterable[Condition], timeout: float, labels: Mapping[sp.Basic, str] | None,
            relax: bool) -> Decision:
    """One attempt of :func:`decide` (``relax``: integer symbols as reals)."""
    t0 = time.perf_counter()

    def done(status: str, reason: str, **kw: Any) -> Decision:
        return Decision(status, ENGINE, reason=reason, seconds=time.perf_counter() - t0, **kw)

    try:
        import z3
    except ImportError:  # pragma: no cover - a core dependency
        return Decision("unknown", "none", reason="z3-solver is not installed (pip install z3-solver)")
    statement = exact_numbers(sp.sympify(statement))  # safe: a sympy relation from the caller, never text
    rels = [exact_numbers(sp.sympify(a)) for a in assumptions]  # safe: sympy relations, never text
    labels = dict(labels or {})
    free: set[sp.Symbol] = set(getattr(statement, "free_symbols", set()))
    for r in rels:
        free |= r.free_symbols
    dom = list(domain)
    for c in dom:
        free |= c.relation.free_symbols
    if symbols is not None:
        free |= set(symbols)
    syms = sorted(free, key=str)
    names: dict[str, sp.Symbol] = {}
    for s in syms:
        if not isinstance(s, sp.Symbol):
            return done("unknown", f"{s} is not a symbol")
        if s.name in names:
            return done("unknown", f"two different symbols are named {s.name!r} (with different assumptions)")
        names[s.name] = s
    sides = [a for a in (getattr(statement, "args", ()) if isinstance(statement, sp.Rel) else [statement])]
    stmt_conds = conditions(*sides) if isinstance(statement, sp.Rel) else conditions(statement)
    conds = merge(dom, stmt_conds)
    assume_conds = conditions(*[x for r in rels for x in (r.args if isinstance(r, sp.Rel) else [r])])
    if any(not c.exact for c in conds + assume_conds):
        bad = next(c for c in conds + assume_conds if not c.exact)
        return done("unknown", f"{bad.term} is not algebraic")
    # an order relation among the assumptions makes its symbols real
    in_order = {s for r in rels if isinstance(r, sp.Rel) and not isinstance(r, (sp.Eq, sp.Ne))
                for s in r.free_symbols}
    implied = [s for s in syms if s.is_real is not True and s in in_order]
    complex_syms = [s for s in syms if s.is_real is not True and s not in in_order]
    enc = _Encoder(z3, relax=relax)
    try:
        stmt_f = enc.formula(statement)
        stmt_defs = list(enc.defs)
        enc.defs.clear()
        if complex_syms:
            in_assumptions = {s for r in rels for s in r.free_symbols}
            cond_syms = {s for c in conds for s in c.relation.free_symbols}
            # only an identity (=) carries over: a polynomial that vanishes on the reals vanishes on
            # the complex numbers; u**2 + 1 != 0 holds on the reals only
            ok = (isinstance(statement, sp.Eq) or statement is sp.true) and enc.algebraic_only \
                and not (set(complex_syms) & (in_assumptions | cond_syms))
            if not ok:
                names_c = ", ".join(map(str, complex_syms))
                return done("unknown", f"{names_c} {'is' if len(complex_syms) == 1 else 'are'} not declared real; "
                            "a real decision procedure decides only polynomial identities in such symbols")
        type_fs: list[tuple[str, Any]] = []
        for s in implied:
            r0 = next(r for r in rels if s in r.free_symbols)
            type_fs.append((f"{s}: real (implied by the assumption {labels.get(r0, str(r0))})", enc.var(s) == enc.var(s)))
        for s in syms:
            for f in enc.types(s):
                type_fs.append((f"{s}: {type_text(s)}", f))
        assume_fs: list[tuple[str, Any]] = []
        for c in assume_conds:
            assume_fs.append((f"{c.text()}, where an assumption is defined", enc.formula(c.relation)))
        for r in rels:
            assume_fs.append((labels.get(r, str(r)), enc.formula(r)))
        premise_defs = list(enc.defs)
        enc.defs.clear()
        cond_fs = []
        for c in conds:
            f = enc.formula(c.relation)
            cond_fs.append((c, f, list(enc.defs)))
            enc.defs.clear()
    except NotAlgebraic as exc:
        return done("unknown", str(exc))
    except (z3.Z3Exception, TypeError, ValueError) as exc:
        return done("unknown", f"z3 could not encode the statement: {' '.join(str(exc).split())}")

    def left() -> float:
        return max(0.05, timeout - (time.perf_counter() - t0))

    def solver() -> Any:
        s = z3.Solver()
        s.set("timeout", int(1000 * left()))
        s.add(*premise_defs)
        for _, f in type_fs + assume_fs:
            s.add(f)
        return s

    all_used = tuple(lbl for lbl, _ in type_fs + assume_fs)
    # 1. are the assumptions consistent?
    if assume_fs or type_fs:
        s = solver()
        r = s.check()
        if r == z3.unsat:
            return done("vacuous", "the assumptions (with the symbols' types) are contradictory: no value satisfies "
                        "them, so the claim says nothing", used_assumptions=all_used)
    # 2. the domain conditions, inner first, each under the ones before
    discharged: list[str] = []
    cores: list[tuple[str, ...] | None] = []
    tracked = type_fs + assume_fs
    for i, (c, f, defs) in enumerate(cond_fs):
        s = solver()
        goal = [x for _, g, d in cond_fs[:i] for x in (*d, g)] + [*defs, z3.Not(f)]
        s.add(*goal)
        r = s.check()
        if r == z3.unknown:
            return done("unknown", f"z3 could not decide the domain condition {c.text()} ({s.reason_unknown()})",
                        domain_conditions=tuple(discharged))
        if r == z3.sat:
            pt = _exact_model(s.model(), enc, z3, syms)
            if pt is not None:
                checks = [a for a in rels] + [g.relation for g, _, _ in cond_fs[:i]]
                pt = _polish(pt, lambda p: all(holds_at(a, p) is True for a in checks)
                             and all(respects(x, v) for x, v in p.items()) and holds_at(c.relation, p) is False)
            if pt is None:
                return done("unknown", f"the domain condition {c.text()} fails somewhere but the point could not "
                            "be checked exactly", domain_conditions=tuple(discharged))
            return done("undefined", f"undefined at {_fmt(pt)}: {c.text()} fails there", model=pt,
                        domain_conditions=(c.text(),), failed_condition=c.text(), used_assumptions=all_used)
        discharged.append(c.text())
        cores.append(_core(z3, premise_defs, tracked, goal, min(1.0, left())))
    # 3. the statement
    s = solver()
    goal = [x for _, g, d in cond_fs for x in (*d, g)] + [*stmt_defs, z3.Not(stmt_f)]
    s.add(*goal)
    r = s.check()
    if r == z3.unknown:
        return done("unknown", f"z3 returned unknown ({s.reason_unknown()})", domain_conditions=tuple(discharged))
    if r == z3.unsat:
        cores.append(_core(z3, premise_defs, tracked, goal, min(2.0, left())))
        # the assumptions behind the statement and behind each discharged domain condition (all of
        # them when z3 gave no core for one of these queries)
        used = all_used if any(c is None for c in cores) else \
            tuple(lbl for lbl in all_used if any(lbl in c for c in cores if c))
        return done("proved", "the negation is unsatisfiable under the assumptions and the domain conditions",
                    used_assumptions=used, domain_conditions=tuple(discharged))
    pt = _exact_model(s.model(), enc, z3, syms)
    cond_rels = [c.relation for c, _, _ in cond_fs]

    def violates(p: Mapping[sp.Symbol, sp.Expr]) -> bool:
        return (all(respects(x, v) for x, v in p.items()) and all(holds_at(a, p) is True for a in rels)
                and all(holds_at(c, p) is True for c in cond_rels) and holds_at(statement, p) is False)

    if pt is not None:
        pt = _polish(pt, violates) or _fix_rational(z3, s, enc, syms, violates, left)
    if pt is None:
        return done("unknown", "z3 found a model of the negation but it could not be checked exactly",
                    domain_conditions=tuple(discharged))
    return done("refuted", f"violated at {_fmt(pt)} (checked exactly against every assumption)", model=pt,
                used_assumptions=all_used, domain_conditions=tuple(discharged))


def _fmt(pt: Mapping[sp.Symbol, sp.Expr]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(pt.items(), key=lambda kv: str(kv[0])))


def _exact_model(m: Any, enc: _Encoder, z3: Any, syms: Sequence[sp.Symbol]) -> dict[sp.Symbol, sp.Expr] | None:
    out: dict[sp.Symbol, sp.Expr] = {}
    try:
        for s in syms:
            out[s] = _z3_number(m.eval(enc.raw[s] if s in enc.raw else enc.var(s), model_completion=True), z3)  # safe: z3 model evaluation, no Python
    except (NotAlgebraic, ValueError, TypeError, z3.Z3Exception):
        return None
    return out


def _polish(pt: dict[sp.Symbol, sp.Expr], ok: Any) -> dict[sp.Symbol, sp.Expr] | None:
    """The simplest rounding of ``pt`` for which ``ok`` holds exactly, else ``pt`` itself when
    ``ok(pt)``, else None."""
    for cand in _roundings(pt):
        if ok(cand):
            return cand
    return pt if ok(pt) else None


def _fix_rational(z3: Any, s: Any, enc: _Encoder, syms: Sequence[sp.Symbol], ok: Any,
                  left: Any) -> dict[sp.Symbol, sp.Expr] | None:
    """A rational point found by fixing the symbols one at a time to rationals near z3's model
    and asking z3 for the rest (each step kept only while still satisfiable)."""
    for sym in syms:
        if left() < 0.2:
            return None
        s.push()
        v = _exact_model(s.model(), enc, z3, syms) if s.check() == z3.sat else None
        s.pop()
        if v is None:
            return None
        fixed = False
        for den in (1, 10, 1000, 10 ** 6):
            f = _approx(v[sym]).limit_denominator(den)
            q = sp.Rational(f.numerator, f.denominator)
            s.push()
            s.add(enc.var(sym) == z3.RealVal(f"{q.p}/{q.q}"))
            s.set("timeout", int(1000 * min(1.0, left())))
            if s.check() == z3.sat:
                fixed = True
                break
            s.pop()
        if not fixed:
            return None
    if s.check() != z3.sat:
        return None
    pt = _exact_model(s.model(), enc, z3, syms)
    return pt if pt is not None and ok(pt) else None


def _core(z3: Any, premise_defs: list[Any], tracked: list[tuple[str, Any]], goal: list[Any],
          budget: float) -> tuple[str, ...] | None:
    """The assumptions in an unsat core of ``premises ∧ goal`` (None when z3 gives none in time)."""
    if not tracked:
        return ()
    s = z3.Solver()
    s.set("timeout", int(1000 * budget))
    s.add(*premise_defs, *goal)
    tags = {}
    for i, (lbl, f) in enumerate(tracked):
        b = z3.Bool(f"assumption!{i}")
        tags[str(b)] = lbl
        s.assert_and_track(f, b)
    try:
        if s.check() != z3.unsat:
            return None
        return tuple(tags[str(b)] for b in s.unsat_core())
    except z3.Z3Exception:  # pragma: no cover
        return None


# --------------------------------------------------------------------------- entries for certificates
def prove_nonnegative(expr: Any, assumptions: Sequence[sp.Basic] = (), symbols: Iterable[sp.Symbol] | None = None,
                      *, strict: bool = False, timeout: float = DEFAULT_TIMEOUT) -> Decision:
    """Decide ``expr ≥ 0`` (``> 0`` with ``strict``) on the region of ``assumptions``: the entry
    for a parametric certificate (a slack, a Young or AM-GM step, a step-size condition)."""
    e = exact_numbers(sp.sympify(expr))  # safe: a sympy expression from the caller, never text
    return decide(sp.Gt(e, 0) if strict else sp.Ge(e, 0), assumptions, symbols, timeout=timeout)


def prove_psd(matrix: Any, assumptions: Sequence[sp.Basic] = (), symbols: Iterable[sp.Symbol] | None = None,
              *, timeout: float = DEFAULT_TIMEOUT) -> Decision:
    """Decide "the symmetric ``matrix`` is positive semidefinite on the region": every principal
    minor (not only the leading ones) is ≥ 0, decided jointly by :func:`decide`. ``refuted``
    gives a point where one minor is negative (``extra["minor"]`` names its rows)."""
    M = sp.Matrix(matrix).applyfunc(exact_numbers)
    if M.rows != M.cols or sp.simplify(M - M.T) != sp.zeros(M.rows, M.cols):
        from ..errors import ClaimError

        raise ClaimError(f"prove_psd needs a symmetric square matrix, got a {M.rows}x{M.cols} one that is not symmetric")
    n = M.rows
    if n > 8:
        from ..errors import ClaimError

        raise ClaimError(f"prove_psd decides matrices up to 8x8 by their principal minors, got {n}x{n}")
    minors = {idx: sp.expand(M.extract(list(idx), list(idx)).det(method="berkowitz"))
              for k in range(1, n + 1) for idx in itertools.combinations(range(n), k)}
    d = decide(sp.And(*(sp.Ge(m, 0) for m in minors.values())), assumptions, symbols, timeout=timeout)
    if d.status == "refuted" and d.model:
        bad = next((idx for idx, m in minors.items() if holds_at(sp.Ge(m, 0), d.model) is False), None)
        return Decision(d.status, d.engine, d.model, d.used_assumptions, d.domain_conditions,
                        f"the principal minor on rows {bad} is negative at {_fmt(d.model)}", d.seconds,
                        extra={"minor": bad})
    return d
