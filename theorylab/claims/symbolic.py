"""Symbolic claims: identities and inequalities under named assumptions, decided by sympy.

- :func:`identity` (``lhs = rhs``) is ``proved`` only when sympy simplifies ``lhs − rhs`` to 0;
  ``refuted`` at an exact point that satisfies every assumption and where the two sides differ;
  ``inconclusive`` otherwise (the verdict says sympy could not simplify the difference).
- :func:`inequality` (``lhs ≥ rhs``, ``>``, ``≤``, ``<``) is ``proved`` only when sympy's
  assumption system establishes the sign of every term it relies on (an undetermined sign is
  never accepted); ``refuted`` at an exact point that satisfies every assumption and violates
  the claim; otherwise ``inconclusive``, naming the sub-expressions whose sign sympy could not
  establish.

Named assumptions are relations ``symbol op expression`` (``"L >= mu"``, ``"gamma <= 1/L"``,
``"0 < delta"``). They are built into the expression by substitution with fresh slack
symbols (``L = mu + s``, ``s ≥ 0``; a symbol bounded on both sides ``a ≤ x ≤ b`` becomes
``x = (a + b·u)/(1 + u)``, ``u ≥ 0``, plus the end point ``x = b``), so that sympy's sign
rules see them. An assumption of another form is used only to filter refuting points (never
to prove), and the verdict says so in one line, with the relation solved for one of its symbols
when it is linear in it (``eta*h < 2`` → ``eta < 2/h`` for a positive ``h``) as the form to write.

``equal`` and ``nonnegative`` are the older one-step forms used by the source papers' checks.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Mapping
from typing import Any

import sympy as sp

from ..errors import ClaimError
from .verdict import Verdict, inconclusive, proved, refuted

__all__ = [
    "namespace",
    "parse",
    "declare",
    "sample_point",
    "differing_point",
    "equal",
    "nonnegative",
    "identity",
    "inequality",
]

_NAMESPACE: dict[str, sp.Symbol] | None = None


def namespace() -> dict[str, sp.Symbol]:
    """Canonical symbols by name (the symbolic layer's, then the lecture's), for parsing claims."""
    global _NAMESPACE
    if _NAMESPACE is None:
        from ..symbolic import lecture
        from ..symbolic.symbols import SYMBOLS

        ns = {name: info.symbol for name, info in SYMBOLS.items()}
        for name in ("n", "s", "T", "K", "b", "epsilon", "tau"):
            ns[name] = getattr(lecture, name)
        ns["R"] = lecture.R
        _NAMESPACE = ns
    return dict(_NAMESPACE)


def __getattr__(name: str) -> Any:  # NAMESPACE, computed on first use
    if name == "NAMESPACE":
        return namespace()
    raise AttributeError(name)


_WORDS = ("positive", "nonnegative", "negative", "nonpositive", "integer", "real")


def assumption_words(sym: sp.Symbol) -> str:
    """A symbol's sign and type assumptions in words (``"positive integer"``; ``"none"``)."""
    a = sym.assumptions0
    words = [w for w in _WORDS if a.get(w) is True]
    if "positive" in words and "nonnegative" in words:
        words.remove("nonnegative")
    if "negative" in words and "nonpositive" in words:
        words.remove("nonpositive")
    if "real" in words and len(words) > 1:
        words.remove("real")
    return " ".join(words) or "none"


def canonical_symbols() -> list[tuple[str, str, str]]:
    """``(name, assumptions, meaning)`` of every canonical symbol a claim's text may use, from
    the one place each is declared (:mod:`theorylab.symbolic.symbols`, then the lecture's)."""
    from ..symbolic.symbols import SYMBOLS

    out = []
    for name, sym in namespace().items():
        info = SYMBOLS.get(name)
        meaning = info.meaning if info is not None and info.symbol is sym else "lecture symbol (Yuan's rates)"
        out.append((name, assumption_words(sym), meaning))
    return out


def canonical_symbols_text(indent: str = "    ", markdown: bool = False) -> str:
    """The canonical symbols as a bullet list (reST for the helpers' docstrings; ``markdown``:
    for the docs)."""
    q = "`" if markdown else "``"
    return "\n".join(f"{indent}- {q}{n}{q} ({a}): {m}" for n, a, m in canonical_symbols())


def document_canonical_symbols(*funcs: Any) -> None:
    """Append the list of canonical symbols, generated from their declarations, to the
    docstrings of the helpers ``funcs`` (once; skipped when docstrings are stripped or the
    symbolic layer cannot be imported yet)."""
    try:
        text = canonical_symbols_text("    ")
    except (ImportError, AttributeError):  # pragma: no cover - a partial import (a cycle): plain docstrings
        return
    head = ("\n\n    Names in the claim's text are the library's canonical symbols, with these assumptions\n"
            "    (rebind one with ``symbols={...}``; any other undeclared name is a plain symbol without\n"
            "    assumptions, which the verdict's notes name):\n\n")
    for f in funcs:
        if f.__doc__ and "canonical symbols, with these assumptions" not in f.__doc__:
            f.__doc__ = f.__doc__.rstrip() + head + text + "\n"


_KEYWORD_HINT = {"lambda": "lam (the library's λ > 0)"}


def _symbol_names(text: str, bound: Mapping[str, Any]) -> dict[str, sp.Symbol]:
    """Names in ``text`` that sympy would read as one of its functions or classes (``gamma``,
    ``beta``, ``S``, ``O``, ``Q``) but that are not called there: they are symbols. A keyword
    used as a name is a one-line :class:`ClaimError`."""
    import io
    import keyword
    import tokenize

    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                  tokenize.ENDMARKER, tokenize.COMMENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return {}
    out: dict[str, sp.Symbol] = {}
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME:
            continue
        name = tok.string
        if keyword.iskeyword(name) and name not in ("True", "False", "None", "and", "or", "not"):
            hint = _KEYWORD_HINT.get(name, f"{name}_")
            raise ClaimError(f"cannot parse {text!r}: {name!r} is a Python keyword, not a symbol name; write "
                             f"{hint} instead, or another name declared with symbols={{...}}")
        if name in bound or name in out:
            continue
        called = i + 1 < len(toks) and toks[i + 1].string in ("(", ".")
        attribute = i > 0 and toks[i - 1].string == "."
        if called or attribute:
            continue
        obj = getattr(sp, name, None)
        if obj is not None and not isinstance(obj, sp.Basic):
            out[name] = sp.Symbol(name)
    return out


def parse(claim: Any, **names: Any) -> sp.Expr:
    """A claim given as a sympy expression or a string, with the canonical symbols
    (``"d*sigma**2/(mu*n*epsilon)"`` uses the same ``d``, ``sigma``... as the library).

    ``names`` bind further names, or rebind canonical ones, for a check's own symbols
    (``parse("omega*(1 - delta)", omega=w, delta=dl)``). A name that is not called is a
    symbol even where sympy has a function of that name (``gamma*L`` is a product, while
    ``gamma(x)`` is the Gamma function); other undeclared names become plain symbols without
    assumptions (:func:`plain_symbols`). A Python keyword (``lambda``) is not a name: use
    ``lam`` (canonical, λ > 0) or another name."""
    if isinstance(claim, str):
        local = {**namespace(), **names}
        local.update(_symbol_names(claim, local))
        try:
            return sp.sympify(claim, locals=local)
        except (sp.SympifyError, SyntaxError, TypeError) as exc:
            first = " ".join(str(exc).split())
            raise ClaimError(f"cannot parse the claim {claim!r}: {first}") from None
    return sp.sympify(claim)


def plain_symbols(*exprs: Any) -> list[str]:
    """Names of the free symbols of ``exprs`` taken as plain symbols: not canonical and without
    any assumption (sympy then treats them as complex numbers of unknown sign)."""
    canon = set(namespace().values())
    out = set()
    for e in exprs:
        for sym in getattr(e, "free_symbols", ()):
            if sym not in canon and isinstance(sym, sp.Symbol) and set(sym.assumptions0) <= {"commutative"}:
                out.add(str(sym))
    return sorted(out)


def plain_note(*exprs: Any) -> str:
    """A note naming the plain symbols of ``exprs`` and how to declare them ("" when none)."""
    names = plain_symbols(*exprs)
    if not names:
        return ""
    example = ", ".join(f"{n!r}: 'positive'" for n in names[:2])
    return (f"taken as plain symbols without assumptions (any complex value, so no sign is known): "
            f"{', '.join(names)}; declare them with symbols={{{example}}} (or 'real', 'nonnegative', "
            f"'positive integer', ...) or bound them with an assumption such as '{names[0]} > 0'")


_FLAGS = {"real", "positive", "negative", "nonnegative", "nonpositive", "integer", "rational", "nonzero",
          "even", "odd", "prime", "finite"}


def declare(symbols: Mapping[str, str | sp.Symbol] | None) -> dict[str, sp.Symbol]:
    """Symbols from ``{"a": "positive", "n": "positive integer", "x": "real"}`` (words are sympy
    assumption flags; a sympy ``Symbol`` is taken as it is)."""
    out: dict[str, sp.Symbol] = {}
    for name, spec in (symbols or {}).items():
        if isinstance(spec, sp.Symbol):
            out[name] = spec
            continue
        words = str(spec).replace(",", " ").split()
        bad = [w for w in words if w not in _FLAGS]
        if bad:
            raise ClaimError(f"symbol {name!r}: unknown assumption {bad[0]!r}; expected words among {sorted(_FLAGS)}")
        out[name] = sp.Symbol(name, **{w: True for w in words})
    return out


def sample_point(symbols: set[sp.Symbol] | list[sp.Symbol], rng: random.Random) -> dict[sp.Symbol, sp.Expr]:
    """Exact rational values for ``symbols`` that respect their assumptions.

    Integers are drawn in 1..9 (positive) or −4..9; ``epsilon``-like symbols (name starting
    with ``eps``) in (0, 1); other positive ones in (0, 6); reals in (−5, 5).
    """
    out = {}
    for s in sorted(symbols, key=str):
        if s.is_integer:
            v = sp.Integer(rng.randint(1, 9) if (s.is_positive or s.is_nonnegative) else rng.randint(-4, 9))
        elif str(s).startswith("eps"):
            v = sp.Rational(rng.randint(1, 99), 100)
        elif s.is_positive or s.is_nonnegative:
            v = sp.Rational(rng.randint(1, 60), 10)
        else:
            v = sp.Rational(rng.randint(-50, 50), 10)
        out[s] = v
    return out


def _wide_point(symbols: Iterable[sp.Symbol], rng: random.Random) -> dict[sp.Symbol, sp.Expr]:
    """Like :func:`sample_point` over wider scales (1/1000 .. 1000) and the closed end 0 of a
    nonnegative (nonpositive) symbol, for refuting points."""
    out: dict[sp.Symbol, sp.Expr] = {}
    for s in sorted(symbols, key=str):
        scale = sp.Integer(10) ** rng.randint(-3, 3)
        if (s.is_nonnegative or s.is_nonpositive) and not (s.is_positive or s.is_negative) and rng.random() < 0.25:
            v: sp.Expr = sp.Integer(0)  # the closed end of the domain
        elif s.is_integer:
            lo = 1 if s.is_positive else (0 if s.is_nonnegative else -9)
            v = sp.Integer(rng.randint(lo, 12))
        elif s.is_positive or s.is_nonnegative:
            v = sp.Rational(rng.randint(1, 99), 10) * scale
        elif s.is_negative or s.is_nonpositive:
            v = -sp.Rational(rng.randint(1, 99), 10) * scale
        else:
            v = sp.Rational(rng.randint(-99, 99), 10) * scale
        out[s] = v
    return out


def _as_claim(x: Any) -> Any:
    """A string through :func:`parse` (never run); anything else through ``sympify(strict=True)``."""
    return parse(x) if isinstance(x, str) else sp.sympify(x, strict=True)  # safe: strict refuses strings


def differing_point(a: sp.Expr, b: sp.Expr, *, tries: int = 40, seed: int = 0,
                    fixed: Mapping[sp.Symbol, Any] | None = None) -> dict[str, str] | None:
    """A point (exact rationals) where ``a != b`` numerically, or None."""
    rng = random.Random(seed)
    a, b = _as_claim(a), _as_claim(b)
    syms = (a.free_symbols | b.free_symbols) - set(fixed or {})
    for _ in range(tries):
        pt = {**sample_point(syms, rng), **(fixed or {})}
        va, vb = sp.N(a.subs(pt), 30), sp.N(b.subs(pt), 30)
        if not (va.is_finite and vb.is_finite):
            continue
        if abs(va - vb) > 1e-12 * (1 + abs(va) + abs(vb)):
            return {**{str(k): str(v) for k, v in pt.items()}, "found": str(sp.N(va, 12)), "claimed": str(sp.N(vb, 12))}
    return None


def equal(found: sp.Expr, claimed: sp.Expr, *, what: str, claimed_text: str | None = None,
          numbers: Mapping[str, Any] | None = None, notes: str = "") -> Verdict:
    """Verdict on ``found == claimed`` (symbolic identity)."""
    claimed_text = claimed_text or f"{what} = {claimed}"
    diff = sp.simplify(_as_claim(found) - _as_claim(claimed))
    dtext = str(diff)
    nums = {"difference": dtext if len(dtext) < 40 else dtext[:39] + "…", **(numbers or {})}
    if diff == 0:
        return proved(claimed_text, f"{what} = {found}; difference simplifies to 0", numbers=nums, notes=notes)
    pt = differing_point(found, claimed)
    if pt is not None:
        return refuted(claimed_text, f"{what} = {found}, which differs from the claim", counterexample=pt,
                       numbers=nums, notes=notes)
    return inconclusive(claimed_text, f"{what} = {found}; sympy left the difference {diff} unsimplified and "
                        "no numeric point separates them", needs="a symbolic simplification of the difference",
                        numbers=nums, notes=notes)


def _nonneg(e: sp.Expr) -> bool:
    """True only when sympy's assumptions establish ``e ≥ 0``: directly, term by term for sums,
    factor by factor for products, or as a power of a nonnegative base or an even power of a
    real base. An undetermined sign is never accepted."""
    if e.is_nonnegative is True:
        return True
    if isinstance(e, (sp.Add, sp.Mul)):
        return all(_nonneg(a) for a in e.args)
    if isinstance(e, sp.Pow) and e.exp.is_real:
        if _nonneg(e.base):
            return True
        return bool(e.base.is_real is True and e.exp.is_integer is True and e.exp.is_even is True)
    return False


def _pos(e: sp.Expr) -> bool:
    """True only when sympy's assumptions establish ``e > 0`` (same rules as :func:`_nonneg`)."""
    if e.is_positive is True:
        return True
    if isinstance(e, sp.Add):
        return all(_nonneg(a) for a in e.args) and any(_pos(a) for a in e.args)
    if isinstance(e, sp.Mul):
        return all(_pos(a) for a in e.args)
    if isinstance(e, sp.Pow) and e.exp.is_real:
        return _pos(e.base)
    return False


def _undetermined(e: sp.Expr, strict: bool, limit: int = 3) -> list[str]:
    """The smallest sub-expressions of ``e`` whose sign sympy could not establish."""
    ok = _pos if strict else _nonneg
    if ok(e):
        return []
    if isinstance(e, (sp.Add, sp.Mul)):
        out: list[str] = []
        for a in e.args:
            if a.is_number:  # a number's sign is known: the question is about the rest
                continue
            out += _undetermined(a, strict and isinstance(e, sp.Mul), limit)
        return (out or [str(e)])[:limit]
    return [str(e)]


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _solved_form(rel: sp.Rel) -> str | None:
    """``rel`` rewritten as ``symbol op expression`` when it is linear in one of its symbols
    with a coefficient of known sign (``eta*h*(1 + omega/N) < 2`` → ``eta < 2*N/(h*(N + omega))``
    for a positive ``h``), else None. Only a suggestion for the message: never used to prove."""
    diff = sp.expand(rel.lhs - rel.rhs)
    for sym in sorted(diff.free_symbols, key=lambda x: (not x.is_positive, str(x))):
        if not isinstance(sym, sp.Symbol):
            continue
        coeff = sp.simplify(sp.diff(diff, sym))
        if sym in coeff.free_symbols:
            continue
        rest = sp.simplify(diff - coeff * sym)
        if coeff.is_positive:
            return f"{sym} {rel.rel_op} {sp.simplify(-rest / coeff)}"
        if coeff.is_negative:
            return f"{sym} {_FLIP[rel.rel_op]} {sp.simplify(-rest / coeff)}"
    return None


def _unencoded_text(a: _Assumptions) -> str:
    """The one-line explanation for assumptions that are not ``symbol op expression``."""
    rels = a.unencoded
    hints = [h for h in (_solved_form(r) for r in rels) if h]
    example = f"'{hints[0]}'" if hints else "'gamma <= 1/L' or 'L >= mu'"
    return (f"the assumption{'s' if len(rels) > 1 else ''} {', '.join(repr(str(r)) for r in rels)} "
            f"{'are' if len(rels) > 1 else 'is'} not of the form 'symbol op expression' (one symbol alone on one "
            f"side), so {'they were' if len(rels) > 1 else 'it was'} used only to filter refuting points, never to "
            f"prove; write it in that form, e.g. {example}")


def nonnegative(expr: sp.Expr, *, claimed_text: str, what: str, numbers: Mapping[str, Any] | None = None,
                notes: str = "") -> Verdict:
    """Verdict on ``expr >= 0`` for all values allowed by the symbols' assumptions."""
    e = sp.factor(sp.simplify(expr))
    nums = {"expr": str(e), **(numbers or {})}
    if _nonneg(e) or _nonneg(sp.expand(e)):
        return proved(claimed_text, f"{what} = {e} >= 0 by the symbols' assumptions", numbers=nums, notes=notes)
    rng = random.Random(0)
    for _ in range(200):
        pt = sample_point(e.free_symbols, rng)
        v = sp.N(e.subs(pt), 30)
        if v.is_finite and v < 0:
            return refuted(claimed_text, f"{what} = {e} is negative at a point",
                           counterexample={**{str(k): str(x) for k, x in pt.items()}, "value": str(sp.N(v, 12))},
                           numbers=nums, notes=notes)
    return inconclusive(claimed_text, f"{what} = {e}: sympy could not decide its sign (undetermined: "
                        f"{'; '.join(_undetermined(e, False))}); no negative value in 200 sampled points",
                        needs="a symbolic proof of the sign", numbers=nums, notes=notes)


# --------------------------------------------------------------------------- named assumptions
_OPS = {">=": sp.GreaterThan, ">": sp.StrictGreaterThan, "<=": sp.LessThan, "<": sp.StrictLessThan}


def _refuse_contradictions(relations: list[sp.Rel]) -> None:
    """:class:`ClaimError` when the assumptions on one symbol (with its declared domain) have no
    common solution: a claim proved under them would be proved vacuously."""
    by_symbol: dict[sp.Symbol, list[sp.Rel]] = {}
    for rel in relations:
        if len(rel.free_symbols) == 1:
            by_symbol.setdefault(next(iter(rel.free_symbols)), []).append(rel)
    for s, rels in by_symbol.items():
        plain_s = sp.Symbol(str(s), real=True)
        own = [plain_s > 0] if s.is_positive else [plain_s >= 0] if s.is_nonnegative else []
        system = [r.xreplace({s: plain_s}) for r in rels] + own
        try:
            sol = sp.reduce_inequalities(system, plain_s)
        except (NotImplementedError, TypeError, ValueError, sp.PolynomialError):
            continue  # beyond sympy's univariate solver: not decided here
        if sol is sp.false:
            shown = " and ".join(sp.sstr(r) for r in rels) + (f" (with {s} {'> 0' if s.is_positive else '>= 0'})"
                                                              if own else "")
            raise ClaimError(f"the assumptions contradict each other: {shown} has no solution; a claim under "
                             "them would be proved vacuously")


class _Assumptions:
    """Named relations, encoded by substitution where they have the form ``symbol op expr``."""

    def __init__(self, relations: Iterable[Any], names: Mapping[str, sp.Symbol]) -> None:
        self.relations: list[sp.Rel] = []
        for r in relations:
            rel = parse(r, **names) if isinstance(r, str) else sp.sympify(r, strict=True)  # safe: strict refuses strings
            if rel is sp.true:
                continue
            if not isinstance(rel, sp.Rel) or isinstance(rel, (sp.Eq, sp.Ne)):
                raise ClaimError(f"assumption {r!r} is not an inequality (expected e.g. 'L >= mu' or '0 < gamma')")
            self.relations.append(rel)
        _refuse_contradictions(self.relations)
        lower: dict[sp.Symbol, tuple[sp.Expr, bool]] = {}
        upper: dict[sp.Symbol, tuple[sp.Expr, bool]] = {}
        self.unencoded: list[sp.Rel] = []
        for rel in self.relations:
            big, small, strict = (rel.lhs, rel.rhs, rel.rel_op == ">") if rel.rel_op in (">=", ">") else \
                (rel.rhs, rel.lhs, rel.rel_op == "<")
            # big > small (or >=)
            if isinstance(big, sp.Symbol) and big not in small.free_symbols and big not in lower:
                lower[big] = (small, strict)
            elif isinstance(small, sp.Symbol) and small not in big.free_symbols and small not in upper:
                upper[small] = (big, strict)
            else:
                self.unencoded.append(rel)
        for s in set(upper) - set(lower):  # a positive symbol bounded above is bounded on both sides
            if s.is_positive or s.is_nonnegative:
                lower[s] = (sp.Integer(0), bool(s.is_positive))
        self.subs: dict[sp.Symbol, sp.Expr] = {}
        self.ends: dict[sp.Symbol, sp.Expr] = {}  # closed upper ends, checked separately
        self.text: list[str] = []
        for s in sorted(set(lower) | set(upper), key=str):
            u = sp.Symbol(f"slack_{s}", positive=True) if (s in lower and lower[s][1]) or (s in upper and upper[s][1]) \
                else sp.Symbol(f"slack_{s}", nonnegative=True)
            if s in lower and s in upper:
                (a, _), (b, bstrict) = lower[s], upper[s]
                self.subs[s] = (a + b * u) / (1 + u)
                if not bstrict:
                    self.ends[s] = b
                self.text.append(f"{s} = {sp.simplify(self.subs[s])}")
            elif s in lower:
                self.subs[s] = lower[s][0] + u
                self.text.append(f"{s} = {lower[s][0]} + {u}")
            else:
                self.subs[s] = upper[s][0] - u
                self.text.append(f"{s} = {upper[s][0]} - {u}")

    def apply(self, e: sp.Expr, subs: Mapping[sp.Symbol, sp.Expr] | None = None) -> sp.Expr:
        subs = self.subs if subs is None else subs
        for _ in range(len(subs) + 1):
            new = e.xreplace(dict(subs))
            if new == e:
                return new
            e = new
        raise ClaimError("the assumptions are circular (a symbol is bounded by an expression in itself)")

    def satisfied(self, point: Mapping[sp.Symbol, sp.Expr]) -> bool:
        """All relations hold at ``point`` (exactly, or at 30 digits)."""
        for rel in self.relations:
            v = rel.xreplace(dict(point))
            if v is sp.true:
                continue
            if v is sp.false:
                return False
            diff = sp.N(v.lhs - v.rhs, 30)
            if not diff.is_real:
                return False
            if (rel.rel_op == ">=" and diff < 0) or (rel.rel_op == ">" and diff <= 0) or \
                    (rel.rel_op == "<=" and diff > 0) or (rel.rel_op == "<" and diff >= 0):
                return False
        return True


def _cases(a: _Assumptions) -> list[tuple[str, dict[sp.Symbol, sp.Expr]]]:
    """The substitutions to prove under: the interior, then each closed upper end."""
    cases = [("", dict(a.subs))]
    for s, b in a.ends.items():
        subs = dict(a.subs)
        subs[s] = b
        cases.append((f" at {s} = {b}", subs))
    return cases


def _point_text(pt: Mapping[sp.Symbol, sp.Expr]) -> dict[str, str]:
    return {str(k): str(v) for k, v in sorted(pt.items(), key=lambda kv: str(kv[0]))}


def _respects(sym: sp.Symbol, v: sp.Expr) -> bool:
    """``v`` is a value ``sym``'s own assumptions allow (integer, sign, real)."""
    if not v.is_real:
        return bool(sym.is_real is not True and v.is_finite)
    checks = ((sym.is_integer, v.is_integer), (sym.is_positive, v > 0), (sym.is_nonnegative, v >= 0),
              (sym.is_negative, v < 0), (sym.is_nonpositive, v <= 0))
    return all(bool(ok) for need, ok in checks if need)


def _value(expr: sp.Expr, pt: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    v = expr.xreplace(dict(pt))
    return v if v.is_Rational else sp.N(v, 30)


def _simple(v: sp.Expr, den: int) -> list[sp.Expr]:
    """Nearby simple numbers for a real ``v``: the best rational with denominator ≤ ``den``
    (and, for ``den = 1``, the floor and the ceiling)."""
    from fractions import Fraction

    x = float(v)
    f = Fraction(x).limit_denominator(den)
    out = [sp.Rational(f.numerator, f.denominator)]
    if den == 1:
        out += [sp.Integer(math.floor(x)), sp.Integer(math.ceil(x))]
    return out


def _polish(pt: Mapping[sp.Symbol, sp.Expr], expr: sp.Expr, violates: Any,
            a: _Assumptions) -> dict[sp.Symbol, sp.Expr] | None:
    """A readable point near ``pt`` (integers for integer symbols, then rationals with the
    smallest denominator among 1, 2, 4, 10, 100, ... 10⁶) that still satisfies every symbol's
    assumptions and every named assumption, and still ``violates`` the claim (re-verified
    exactly or at 30 digits); None when none does."""
    syms = sorted(pt, key=str)
    for den in (1, 2, 4, 10, 100, 1000, 10 ** 4, 10 ** 6):
        options = []
        for s in syms:
            v = pt[s]
            if not v.is_real:
                options.append([v])
                continue
            if s.is_integer:
                opts = _simple(v, 1)
            elif v.is_Rational and v.q <= den:
                opts = [v]
            else:
                opts = _simple(v, den)[:1]
            options.append(list(dict.fromkeys(o for o in opts if _respects(s, o))))
        if any(not o for o in options):
            continue
        for combo in itertools.islice(itertools.product(*options), 27):
            cand = dict(zip(syms, combo))
            if not a.satisfied(cand):
                continue
            val = _value(expr, cand)
            if val.is_finite and val.is_real and violates(val, cand):
                return cand
    return None


def _find_point(expr: sp.Expr, violates: Any, a: _Assumptions, tries: int, seed: int) -> dict[sp.Symbol, sp.Expr] | None:
    """An exact point of the original symbols, satisfying every assumption (each symbol's own,
    integers included, and the named ones), where ``violates(value)``; made readable by
    :func:`_polish` (small rationals, integers for integer symbols) and re-verified."""
    rng = random.Random(seed)
    free = expr.free_symbols | {s for r in a.relations for s in r.free_symbols}
    enc = a.apply(expr)
    slack = enc.free_symbols | {s for e in a.subs.values() for s in a.apply(e).free_symbols}
    for i in range(tries):
        draw = (sample_point if i % 2 == 0 else _wide_point)(slack, rng)
        pt = {s: sp.nsimplify(a.apply(s).xreplace(draw)) if s in a.subs else draw.get(s, s) for s in free}
        pt = {s: v for s, v in pt.items() if not v.free_symbols}
        if set(pt) != free or not a.satisfied(pt):
            continue
        val = _value(expr, pt)
        if val.is_finite and val.is_real and violates(val, pt):
            nice = _polish(pt, expr, violates, a)
            if nice is not None:
                return nice
            if all(_respects(s, v) for s, v in pt.items()):
                return pt
    return None


def identity(lhs: Any, rhs: Any, *, symbols: Mapping[str, str | sp.Symbol] | None = None,
             assumptions: Iterable[Any] = (), what: str | None = None, claimed: str | None = None,
             numbers: Mapping[str, Any] | None = None, tries: int = 60, seed: int = 0) -> Verdict:
    """Verdict on the identity ``lhs = rhs`` under ``assumptions`` (see the module docstring).

    ``symbols`` declares the claim's own symbols (``{"a": "positive"}``); other names are the
    library's canonical symbols. ``lhs`` and ``rhs`` are strings or sympy expressions.
    """
    names = declare(symbols)
    left, right = parse(lhs, **names), parse(rhs, **names)
    a = _Assumptions(assumptions, names)
    note = plain_note(left, right, *a.relations)
    claimed = claimed or f"{what or left} = {right}" + (f" under {', '.join(map(str, a.relations))}" if a.relations else "")
    nums: dict[str, Any] = {**(numbers or {})}
    if a.text:
        nums["substitutions"] = "; ".join(a.text)
    failed = []
    for label, subs in _cases(a):
        diff = sp.simplify(a.apply(left - right, subs))
        if diff != 0:
            failed.append((label, diff))
    if not failed:
        return proved(claimed, f"{left} - ({right}) simplifies to 0" + (" under the substitutions" if a.text else ""),
                      numbers=nums, notes=note)
    def differs(v: sp.Expr, pt: Mapping[sp.Symbol, sp.Expr]) -> bool:
        if v.is_Rational:
            return bool(v != 0)  # exact
        scale = 1 + abs(sp.N(left.xreplace(pt), 30)) + abs(sp.N(right.xreplace(pt), 30))
        return bool(abs(v) > sp.Float(1e-20) * scale)

    pt = _find_point(left - right, differs, a, tries, seed)
    if pt is not None:
        vl, vr = sp.N(left.xreplace(pt), 15), sp.N(right.xreplace(pt), 15)
        return refuted(claimed, f"the two sides differ: {vl} vs {vr}", counterexample={**_point_text(pt),
                       "lhs": str(vl), "rhs": str(vr)}, numbers=nums, notes=note)
    label, diff = failed[0]
    return inconclusive(claimed, f"sympy left the difference{label} {diff} unsimplified and no point satisfying "
                        "the assumptions separates the sides" + (f"; {_unencoded_text(a)}" if a.unencoded else ""),
                        needs=f"a symbolic simplification of {diff} to 0"
                        + (f" ({_unencoded_text(a)})" if a.unencoded else "") + (f"; {note}" if note else ""),
                        numbers=nums, notes=note)


def inequality(lhs: Any, op: str, rhs: Any, *, symbols: Mapping[str, str | sp.Symbol] | None = None,
               assumptions: Iterable[Any] = (), what: str | None = None, claimed: str | None = None,
               numbers: Mapping[str, Any] | None = None, tries: int = 200, seed: int = 0) -> Verdict:
    """Verdict on ``lhs op rhs`` (``op`` in ``>=``, ``>``, ``<=``, ``<``) for every value the
    symbols and ``assumptions`` allow (see the module docstring)."""
    if op not in _OPS:
        raise ClaimError(f"inequality operator must be one of {sorted(_OPS)}, got {op!r}")
    names = declare(symbols)
    left, right = parse(lhs, **names), parse(rhs, **names)
    a = _Assumptions(assumptions, names)
    note = plain_note(left, right, *a.relations)
    claimed = claimed or f"{what or left} {op} {right}" + (f" under {', '.join(map(str, a.relations))}"
                                                          if a.relations else "")
    strict = op in (">", "<")
    gap = left - right if op in (">=", ">") else right - left  # claim: gap >= 0 (or > 0)
    ok = _pos if strict else _nonneg
    nums: dict[str, Any] = {**(numbers or {})}
    if a.text:
        nums["substitutions"] = "; ".join(a.text)
    missing: list[str] = []
    for label, subs in _cases(a):
        e = a.apply(gap, subs)
        forms = [e, sp.simplify(e), sp.factor(e), sp.expand(e)]
        num, den = sp.fraction(sp.together(sp.simplify(e)))
        if any(ok(f) for f in forms) or (ok(sp.factor(num)) or ok(sp.expand(num))) and _pos(sp.factor(den)):
            continue
        missing.append(f"{'; '.join(_undetermined(sp.factor(e), strict))}{label}")
    if not missing:
        return proved(claimed, f"{gap} {'>' if strict else '>='} 0: sympy established the sign of every term"
                      + (" under the substitutions" if a.text else ""), numbers=nums, notes=note)
    pt = _find_point(gap, (lambda v, _: bool(v <= 0)) if strict else (lambda v, _: bool(v < 0)), a, tries, seed)
    if pt is not None:
        vl, vr = sp.N(left.xreplace(pt), 15), sp.N(right.xreplace(pt), 15)
        return refuted(claimed, f"violated at a point satisfying the assumptions: {vl} vs {vr}",
                       counterexample={**_point_text(pt), "lhs": str(vl), "rhs": str(vr)}, numbers=nums,
                       notes=note)
    if a.unencoded:
        why = _unencoded_text(a)
        return inconclusive(claimed, f"{why}; without it sympy could not establish the sign of: "
                            f"{' | '.join(missing)}; no violation at {tries} sampled points satisfying the assumptions",
                            needs=why + (f"; {note}" if note else ""), numbers=nums, notes=note)
    return inconclusive(claimed, f"sympy could not establish the sign of: {' | '.join(missing)}; no violation at "
                        f"{tries} sampled points satisfying the assumptions",
                        needs="a proof of the sign of " + " | ".join(missing) + (f"; {note}" if note else ""),
                        numbers=nums, notes=note)
