r"""Symbolic claims: identities and inequalities under named assumptions, decided exactly.

Each claim ``lhs op rhs`` is read, then decided in this order:

1. **Reading.** Strings are read by the safe reader
   (:func:`theorylab.symbolic.parse.parse_expression`; nothing is evaluated as Python), with
   decimals read as the exact decimals they are (``0.1`` → ``1/10``, ``1e-17`` → ``1/10**17``);
   a sympy object's ``Float``\ s and Python floats are turned into the decimal they print as. The
   verdict states the reading (``numbers["exact reading"]``).
2. **Domain conditions** (:mod:`.domain`): every denominator ≠ 0, every logarithm's argument
   > 0, every root's argument ≥ 0, read from the text before sympy simplifies ``z/z`` to 1. Each
   is a proof obligation on the whole region the assumptions allow; a point of the region where
   one fails refutes the claim ("undefined at z = 0").
3. **The decision procedure** (:mod:`.decision`, z3's nonlinear real arithmetic): when the claim
   and the assumptions are algebraic (rational functions, roots, ``Abs``, ``Max``, ``Min``), the
   claim is ``proved`` when its negation is unsatisfiable under the assumptions, the symbols'
   types and the domain conditions, and ``refuted`` at a model turned into exact numbers and
   checked again exactly. Contradictory assumptions give ``inconclusive`` ("vacuous"), never
   ``proved``. z3's "unknown" (a timeout) is never a proof: the claim goes on to step 4.
4. **sympy's sign rules** for the rest (``exp``, ``log``, trigonometric and special functions):
   an identity is ``proved`` only when sympy simplifies ``lhs − rhs`` to 0, an inequality only
   when sympy's assumptions establish the sign of every term it relies on (an undetermined sign
   is never accepted; a negative power of a base that may be 0 has no sign), in every case of
   the assumptions' substitutions below, and only after every domain condition is discharged.
5. **Refuting points** are searched through the substitutions and accepted only when an exact
   check (:func:`.decision.holds_at`) shows that they satisfy every assumption, every symbol's
   type and every domain condition, and violate the claim; otherwise ``inconclusive``, naming what
   could not be established.

The verdict's ``numbers`` say which engine decided (``"engine"``), every assumption the proof
relied on (``"assumptions used"``: the stated relations, and the type of every symbol of the
claim, canonical ones marked so), the domain conditions discharged and the exact reading.

**Canonical symbols.** A name the claim's text writes that is one of the library's canonical
symbols (``n``, ``t``, ``eta``, ``d`` ...) is that symbol, with its declared type (``n`` a
positive integer, ``t`` nonnegative): writing the name is what "the statement names it" means.
Those types are used, and every one the claim's symbols carry is listed in the verdict as
``"n: positive integer (canonical symbol; ...)"``. To drop one, declare the name in ``symbols=``
(``symbols={"n": "real"}``). Any other undeclared name is a plain (complex) symbol: only a
polynomial identity can be proved in it, and an inequality needs it declared real (or bounded by
an assumption, which makes it real).

Named assumptions are relations ``symbol op expression`` (``"L >= mu"``, ``"gamma <= 1/L"``,
``"0 < delta"``; a chain ``"0 <= x < 1"`` is split). For sympy's rules they are built into the
expression by substitution with fresh slack symbols (``L = mu + s``, ``s ≥ 0``; ``a ≤ x < b``
becomes ``x = (a + b·u)/(1 + u)``, ``u ≥ 0``, which starts at the closed end ``a``; a closed upper
end ``x = b`` is a separate case; a strict lower end makes ``u > 0``). z3 uses every assumption
as written. An assumption of another form is used by z3, and by sympy's rules only to filter
refuting points (never to prove), which the verdict says in one line, with the relation solved
for one of its symbols when it is linear in it (``eta*h < 2`` → ``eta < 2/h`` for a positive
``h``) as the form to write.

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
from .decision import Decision, decide, exact_numbers, exact_sign, holds_at, respects, type_text
from .domain import Condition, conditions, conditions_of_text, merge
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


def _check_keywords(text: str) -> None:
    """A Python keyword used as a name (``lambda``) is a one-line :class:`ClaimError` suggesting
    a name to use instead."""
    import io
    import keyword
    import tokenize

    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return
    for tok in toks:
        if tok.type == tokenize.NAME and keyword.iskeyword(tok.string) and \
                tok.string not in ("True", "False", "None", "and", "or", "not"):
            hint = _KEYWORD_HINT.get(tok.string, f"{tok.string}_")
            raise ClaimError(f"cannot parse {text!r}: {tok.string!r} is a Python keyword, not a symbol name; write "
                             f"{hint} instead, or another name declared with symbols={{...}}")


def _split_names(local: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(names, functions)``: sympy symbols and numbers, and callables (a sympy ``Function``
    class, a Python function), for :func:`~theorylab.symbolic.parse.parse_expression`."""
    names: dict[str, Any] = {}
    funcs: dict[str, Any] = {"S": lambda v: v}  # sympy's S(1): the number itself (numbers are exact already)
    for k, v in local.items():
        if isinstance(v, sp.Basic) and not isinstance(v, type):
            names[k] = v
        elif isinstance(v, (int, float)):
            names[k] = exact_numbers(v)
        elif callable(v):
            funcs[k] = v
        else:
            names[k] = v
    return names, funcs


def _read_text(text: str, local: Mapping[str, Any], *, relations: bool, what: str) -> Any:
    from ..symbolic.parse import ExpressionError, parse_expression

    _check_keywords(text)
    names, funcs = _split_names(local)
    try:
        return parse_expression(text, names, functions=funcs, relations=relations, what=what)
    except ExpressionError as exc:
        raise ClaimError(f"cannot parse {what} {text!r}: {str(exc).split(': ', 1)[-1]}") from None


def decimal_readings(claim: Any) -> list[str]:
    r"""How the decimals of ``claim`` were read, exactly (``["0.1 = 1/10", "1e-17 = 1/10**17"]``):
    the literals of a string, or the ``Float``\ s of a sympy object (read as the decimal they print)."""
    import ast

    from ..symbolic.parse import _exact_decimal

    out: list[str] = []
    if isinstance(claim, str):
        try:
            tree = ast.parse(claim.strip().replace("^", "**"), mode="eval")
        except SyntaxError:
            return []
        src = claim.strip().replace("^", "**")
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                seg = ast.get_source_segment(src, node)
                if seg:
                    out.append(f"{seg} = {_exact_text(_exact_decimal(seg))}")
    elif isinstance(claim, float):
        out.append(f"{claim!r} = {_exact_text(sp.Rational(repr(claim)))}")
    elif isinstance(claim, sp.Basic):
        for f in sorted(claim.atoms(sp.Float), key=str):
            out.append(f"Float {f} = {_exact_text(sp.Rational(str(f)))}")
    return list(dict.fromkeys(out))


def _exact_text(q: sp.Rational) -> str:
    """``1/100000000000000000`` as ``1/10**17`` (powers of ten shown as such)."""
    for part in ("q", "p"):
        v = int(getattr(q, part))
        k = len(str(abs(v))) - 1
        if k >= 4 and abs(v) == 10 ** k:
            other = int(q.p if part == "q" else q.q)
            return f"{other}/10**{k}" if part == "q" else (f"{'-' if v < 0 else ''}10**{k}" + (f"/{other}" if other != 1 else ""))
    return str(q)


def parse(claim: Any, **names: Any) -> sp.Expr:
    r"""A claim given as a sympy expression or a string, with the canonical symbols
    (``"d*sigma**2/(mu*n*epsilon)"`` uses the same ``d``, ``sigma``... as the library).

    A string is read by the safe reader :func:`theorylab.symbolic.parse.parse_expression`
    (nothing is evaluated as Python) with decimals read **exactly** (``0.1`` is ``1/10``,
    ``1e-17`` is ``1/10**17``); a sympy object's ``Float``\ s and a Python float are turned into
    the exact decimal they print as (``Float(0.1)`` → ``1/10``).

    ``names`` bind further names, or rebind canonical ones, for a check's own symbols
    (``parse("omega*(1 - delta)", omega=w, delta=dl)``); a callable (a sympy ``Function``) is a
    function name. A name that is not called is a symbol even where sympy has a function of that
    name (``gamma*L`` is a product, while ``gamma(x)`` is the Gamma function); other undeclared
    names become plain symbols without assumptions (:func:`plain_symbols`). A Python keyword
    (``lambda``) is not a name: use ``lam`` (canonical, λ > 0) or another name."""
    if isinstance(claim, str):
        out = _read_text(claim, {**namespace(), **names}, relations=False, what="the claim")
        if not isinstance(out, sp.Expr):
            raise ClaimError(f"cannot parse the claim {claim!r}: it is not an expression")
        return out
    if isinstance(claim, (sp.MatrixBase,)):
        return claim.applyfunc(exact_numbers)
    out = exact_numbers(claim)
    if not isinstance(out, sp.Basic):
        out = sp.sympify(out)  # safe: a number or sympy object passed by code (strings never reach here)
    declared = {k: v for k, v in names.items() if isinstance(v, sp.Symbol)}
    if declared and isinstance(out, sp.Basic):
        out = unify(out, declared)
    return out


def unify(expr: Any, declared: Mapping[str, sp.Symbol]) -> Any:
    """``expr`` with every symbol whose name is declared replaced by the declared symbol, so a
    Python callable's ``sp.symbols("gamma")`` is the same ``gamma`` as ``symbols={"gamma": "positive"}``."""
    if not isinstance(expr, sp.Basic):
        return expr
    subs = {s: declared[s.name] for s in expr.free_symbols
            if isinstance(s, sp.Symbol) and s.name in declared and s != declared[s.name]}
    return expr.xreplace(subs) if subs else expr


def parse_relation(text: Any, names: Mapping[str, Any]) -> list[Any]:
    """An assumption: a string (``"gamma <= 1/L"``, ``"0 < x < 1"``: a chain is split into its
    relations) or a sympy relation; decimals read exactly."""
    if isinstance(text, str):
        out = _read_text(text, {**namespace(), **names}, relations=True, what="the assumption")
    else:
        out = exact_numbers(sp.sympify(text))  # safe: a sympy relation (or bool) from code, never text
        declared = {k: v for k, v in names.items() if isinstance(v, sp.Symbol)}
        out = unify(out, declared)
    if isinstance(out, sp.And):
        return list(out.args)
    return [out]


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
    """A string through :func:`parse` (never run); anything else through ``sympify`` with ``strict=True``."""
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
        if abs(va - vb) > 1e-12 * (1 + abs(va) + abs(vb)) and \
                holds_at(sp.Eq(sp.sympify(a), sp.sympify(b), evaluate=False), pt) is False:  # safe: re-checked exactly
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
    factor by factor for products, or as a power: a nonnegative power of a nonnegative base, any
    real power of a positive base, or an even power of a nonzero (for a negative exponent: of
    any) real base. A negative power of a base that may be 0 is not accepted (``1/w`` for
    ``w ≥ 0`` is undefined at 0). An undetermined sign is never accepted."""
    if e.is_nonnegative is True:
        return True
    if isinstance(e, (sp.Add, sp.Mul)):
        return all(_nonneg(a) for a in e.args)
    if isinstance(e, sp.Pow) and e.exp.is_real:
        if _pos(e.base):
            return True
        if e.exp.is_nonnegative is True and _nonneg(e.base):
            return True
        even = e.base.is_real is True and e.exp.is_integer is True and e.exp.is_even is True
        return bool(even and (e.exp.is_nonnegative is True or e.base.is_nonzero is True))
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
        if v.is_finite and v < 0 and exact_sign(e.xreplace(pt)) == -1:  # re-checked exactly
            return refuted(claimed_text, f"{what} = {e} is negative at a point",
                           counterexample={**{str(k): str(x) for k, x in pt.items()}, "value": str(sp.N(v, 12))},
                           numbers=nums, notes=notes)
    return inconclusive(claimed_text, f"{what} = {e}: sympy could not decide its sign (undetermined: "
                        f"{'; '.join(_undetermined(e, False))}); no negative value in 200 sampled points",
                        needs="a symbolic proof of the sign", numbers=nums, notes=notes)


# --------------------------------------------------------------------------- named assumptions
_OPS = {">=": sp.GreaterThan, ">": sp.StrictGreaterThan, "<=": sp.LessThan, "<": sp.StrictLessThan}


class _Assumptions:
    """Named relations, encoded by substitution where they have the form ``symbol op expr``."""

    def __init__(self, relations: Iterable[Any], names: Mapping[str, sp.Symbol]) -> None:
        self.relations: list[sp.Rel] = []
        self.vacuous = False
        for r in relations:
            for rel in parse_relation(r, names):
                if rel is sp.true:
                    continue
                if rel is sp.false:  # e.g. '1 < 0': contradictory, so nothing is claimed
                    self.vacuous = True
                    continue
                if not isinstance(rel, sp.Rel) or isinstance(rel, (sp.Eq, sp.Ne)):
                    raise ClaimError(f"assumption {r!r} is not an inequality (expected e.g. 'L >= mu' or '0 < gamma')")
                self.relations.append(rel)
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
            # the slack is 0 at the end point it starts from: positive when that end is excluded. For
            # a two-sided a <= x < b, x = (a + b*u)/(1 + u) starts from a (u = 0) and tends to b, so
            # only the lower end's strictness matters (the closed upper end is a separate case).
            strict = lower[s][1] if s in lower else upper[s][1]
            u = sp.Symbol(f"slack_{s}", positive=True) if strict else sp.Symbol(f"slack_{s}", nonnegative=True)
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
        """All relations hold at ``point``, decided exactly (:func:`~.decision.holds_at`; a
        relation that cannot be decided exactly there counts as not satisfied)."""
        return all(holds_at(rel, point) is True for rel in self.relations)


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
    """``v`` is a value ``sym``'s own assumptions allow (integer, sign, real), decided exactly."""
    return respects(sym, v)


def _simple(v: sp.Expr, den: int) -> list[sp.Expr]:
    """Nearby simple numbers for a real ``v``: the best rational with denominator ≤ ``den``
    (and, for ``den = 1``, the floor and the ceiling)."""
    from fractions import Fraction

    f = Fraction(str(sp.N(v, 30))) if not v.is_Rational else Fraction(int(v.p), int(v.q))
    out = [sp.Rational(*(lambda g: (g.numerator, g.denominator))(f.limit_denominator(den)))]
    if den == 1:
        out += [sp.Integer(math.floor(f)), sp.Integer(math.ceil(f))]
    return out


def _polish(pt: Mapping[sp.Symbol, sp.Expr], ok: Any) -> dict[sp.Symbol, sp.Expr] | None:
    """A readable point near ``pt`` (integers for integer symbols, then rationals with the
    smallest denominator among 1, 2, 4, 10, 100, ... 10⁶) for which ``ok`` (an exact check of the
    assumptions, the types and the violation) still holds; None when none does."""
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
            if ok(cand):
                return cand
    return None


def _find_point(free: set[sp.Symbol], ok: Any, a: _Assumptions, tries: int, seed: int) -> dict[sp.Symbol, sp.Expr] | None:
    """An exact point of the symbols ``free`` where ``ok`` holds; ``ok`` checks, exactly, every
    symbol's own assumptions, every named assumption and what the point must show (the claim
    violated, or a domain condition failing). Drawn through the assumptions' substitutions, made
    readable by :func:`_polish` and checked again."""
    rng = random.Random(seed)
    free = set(free) | {s for r in a.relations for s in r.free_symbols}
    slack = {s for s in free if s not in a.subs} | {x for e in a.subs.values() for x in a.apply(e).free_symbols}
    for i in range(tries):
        draw = (sample_point if i % 2 == 0 else _wide_point)(slack, rng)
        pt = {s: sp.simplify(a.apply(s).xreplace(draw)) if s in a.subs else draw.get(s, s) for s in free}
        pt = {s: v for s, v in pt.items() if not v.free_symbols}
        if set(pt) != free or not all(_respects(s, v) for s, v in pt.items()) or not ok(pt):
            continue
        nice = _polish(pt, ok)
        return nice if nice is not None else pt
    return None


# --------------------------------------------------------------------------- one claim, decided
_ENGINE_SYMPY = "sympy (sign rules and simplification under the assumptions' substitutions)"


class _Claim:
    """A parsed claim ``left op right`` with its assumptions, domain conditions and readings."""

    def __init__(self, lhs: Any, op: str, rhs: Any, symbols: Mapping[str, str | sp.Symbol] | None,
                 assumptions: Iterable[Any], domain: Iterable[Any] = ()) -> None:
        self.names = declare(symbols)
        self.z3_reason = ""  # why the decision procedure left the claim undecided, when it did
        local = {**namespace(), **self.names}
        self.left, self.right = parse(lhs, **self.names), parse(rhs, **self.names)
        self.op = op
        self.a = _Assumptions(assumptions, self.names)
        text_conds: list[Condition] = []
        for side in (lhs, rhs):
            if isinstance(side, str):
                text_conds += conditions_of_text(side, lambda t: _read_text(t, local, relations=False, what="the claim"))
        given = [d if isinstance(d, Condition) else Condition(unify(exact_numbers(d), self.names), "the claim")
                 for d in domain]
        given = [Condition(unify(d.relation, self.names), d.term, d.exact) for d in given]
        self.conds = merge(given, text_conds, conditions(self.left, self.right))
        self.readings = decimal_readings(lhs) + decimal_readings(rhs) + \
            [r for x in assumptions for r in decimal_readings(x)]
        self.statement = {"=": sp.Eq, ">=": sp.Ge, ">": sp.Gt, "<=": sp.Le, "<": sp.Lt}[op](self.left, self.right,
                                                                                          evaluate=False)
        self.free = (self.left.free_symbols | self.right.free_symbols | {s for c in self.conds
                                                                          for s in c.relation.free_symbols})
        names_seen: dict[str, sp.Symbol] = {}
        for sym in self.free | {s for r in self.a.relations for s in r.free_symbols}:
            other = names_seen.setdefault(sym.name, sym)
            if other != sym:
                raise ClaimError(f"two different symbols are named {sym.name!r} (with assumptions "
                                 f"{type_text(other)!r} and {type_text(sym)!r}); declare it once with "
                                 f"symbols={{{sym.name!r}: ...}}")
        canon = set(namespace().values())
        self.labels: dict[str, str] = {}
        # the symbols as written (sympy may have used a type while building the expression, then
        # dropped the symbol: sqrt(t**2) - t is 0 for a nonnegative t), then the ones left
        written: set[sp.Symbol] = set()
        for side in (lhs, rhs):
            if isinstance(side, str):
                try:
                    with sp.evaluate(False):
                        written |= _read_text(side, local, relations=False, what="the claim").free_symbols
                except (ClaimError, TypeError, ValueError):  # the evaluated reading has already succeeded
                    pass
        self.written = written | self.free
        for sym in sorted(self.written | {s for r in self.a.relations for s in r.free_symbols}, key=str):
            base = f"{sym}: {type_text(sym)}"
            if sym in canon and sym.name not in self.names:
                self.labels[base] = base + f" (canonical symbol; symbols={{{sym.name!r}: 'real'}} drops it)"
            elif sym.name in self.names:
                self.labels[base] = base + " (declared)"
            else:
                self.labels[base] = base
        self.relations_text = [str(r) for r in self.a.relations]

    def all_assumptions(self) -> list[str]:
        """Every assumption a sympy proof may rest on: the types of the claim's symbols (canonical
        ones named as such) and the stated relations."""
        types = [lbl for base, lbl in self.labels.items() if not base.endswith("complex (no assumption)")]
        return types + self.relations_text

    def label(self, used: Iterable[str]) -> list[str]:
        """The assumptions behind a z3 decision: every type of a symbol of the claim (sympy may
        have used one while building the expression), then the relations in z3's unsat core."""
        types = [lbl for base, lbl in self.labels.items() if not base.endswith("complex (no assumption)")]
        rest = [u for u in used if u not in self.labels]
        return list(dict.fromkeys(types + rest))

    def numbers(self, engine: str, used: Iterable[str], domain: Iterable[str], extra: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {**extra, "engine": engine, "assumptions used": "; ".join(used) or "none"}
        dom = list(domain)
        if dom:
            out["domain conditions"] = "; ".join(dom)
        if self.readings:
            out["exact reading"] = "; ".join(self.readings)
        if self.a.text:
            out.setdefault("substitutions", "; ".join(self.a.text))
        return out

    def notes(self) -> str:
        parts = [plain_note(self.left, self.right, *self.a.relations)]
        if self.readings:
            parts.append("decimals read exactly: " + ", ".join(self.readings))
        canon = [lbl for lbl in self.labels.values() if "(canonical symbol" in lbl]
        if canon:
            parts.append("canonical symbols with their declared assumptions: "
                         + ", ".join(lbl.split(" (canonical")[0] for lbl in canon))
        return "; ".join(p for p in parts if p)

    def values_text(self, pt: Mapping[sp.Symbol, sp.Expr]) -> tuple[str, str]:
        def show(v: sp.Expr) -> str:
            return str(v) if (v.is_Rational and len(str(v)) < 40) else f"{sp.N(v, 15)}"

        return show(self.left.xreplace(dict(pt))), show(self.right.xreplace(dict(pt)))

    def violated_at(self, pt: Mapping[sp.Symbol, sp.Expr]) -> bool:
        """Exactly: every type, assumption and domain condition holds at ``pt`` and the claim fails."""
        return (all(respects(s, v) for s, v in pt.items()) and self.a.satisfied(pt)
                and all(holds_at(c.relation, pt) is True for c in self.conds)
                and holds_at(self.statement, pt) is False)

    def undefined_at(self, c: Condition, pt: Mapping[sp.Symbol, sp.Expr]) -> bool:
        return (c.exact and all(respects(s, v) for s, v in pt.items()) and self.a.satisfied(pt)
                and holds_at(c.relation, pt) is False)


def _decided(c: _Claim, claimed: str, extra: Mapping[str, Any], timeout: float) -> Verdict | None:
    """The verdict of the decision procedure (z3) when it decides the claim, else None."""
    if c.a.unencoded is None:  # pragma: no cover
        return None
    d: Decision = decide(c.statement, c.a.relations, c.free, domain=c.conds, timeout=timeout)
    if d.status == "unknown":
        c.z3_reason = d.reason
        return None
    engine = d.engine
    if d.status == "proved":
        used = c.label(d.used_assumptions)
        return proved(claimed, f"{'the identity' if c.op == '=' else 'the inequality'} holds for every value the "
                      f"assumptions allow: its negation is unsatisfiable (decided by {engine})"
                      + (f"; assumptions used: {'; '.join(used)}" if used else "; no assumption used")
                      + (f"; domain conditions discharged: {'; '.join(d.domain_conditions)}"
                         if d.domain_conditions else ""),
                      numbers=c.numbers(engine, used, d.domain_conditions, extra), notes=c.notes())
    if d.status == "vacuous":
        return _vacuous(c, claimed, engine, c.label(d.used_assumptions), extra)
    pt = dict(d.model or {})
    if d.status == "undefined":
        cond = d.failed_condition or "a domain condition"
        return refuted(claimed, f"undefined at {_fmt_point(pt)}: {cond} fails there, at a point that satisfies "
                       f"every assumption (found by {engine}, checked exactly)",
                       counterexample={**_point_text(pt), "undefined": cond},
                       numbers=c.numbers(engine, c.label(d.used_assumptions), d.domain_conditions, extra),
                       notes=c.notes())
    vl, vr = c.values_text(pt)
    return refuted(claimed, f"violated at {_fmt_point(pt)}: {vl} vs {vr} (found by {engine}; the point checked "
                   "exactly against every assumption, type and domain condition)",
                   counterexample={**_point_text(pt), "lhs": vl, "rhs": vr},
                   numbers=c.numbers(engine, c.label(d.used_assumptions), d.domain_conditions, extra), notes=c.notes())


def _fmt_point(pt: Mapping[sp.Symbol, sp.Expr]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(pt.items(), key=lambda kv: str(kv[0])))


def _vacuous(c: _Claim, claimed: str, engine: str, used: list[str], extra: Mapping[str, Any]) -> Verdict:
    return inconclusive(claimed, f"the assumptions are contradictory (no value satisfies them; {engine}), so the "
                        "claim is vacuous: it says nothing", needs="assumptions that some value satisfies (as "
                        "stated they contradict each other: " + ("; ".join(used) or "see the assumptions") + ")",
                        numbers=c.numbers(engine, used, (), extra), notes=c.notes())


# sympy's simplify/factor/expand of a large polynomial runs for minutes (the expansion of
# (x1**2 + ... + x6**2)**10 has 3003 terms; factoring it does not finish), past the caller's
# timeout; above this many terms (estimated before expanding) the sign rules see the expression
# as written.
_MAX_TERMS = 300


def _terms(e: sp.Expr) -> int:
    """An upper bound on the number of terms of ``expand(e)``, read from the tree without expanding."""
    if isinstance(e, sp.Add):
        return sum(_terms(a) for a in e.args)
    if isinstance(e, sp.Mul):
        n = 1
        for a in e.args:
            n *= _terms(a)
            if n > 10 ** 9:
                break
        return n
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp > 0:
        m, k = _terms(e.base), int(e.exp)
        return int(sp.binomial(m + k - 1, k)) if m < 10 ** 6 and k < 10 ** 4 else 10 ** 9
    if isinstance(e, sp.Pow) and e.exp.is_Integer:
        return _terms(e.base)
    return 1


def _rewritten(f: Any, e: sp.Expr) -> sp.Expr:
    """``f(e)`` (simplify, factor, expand, together), or ``e`` itself when ``e`` is too large."""
    return e if _terms(e) > _MAX_TERMS else f(e)


def _sign_holds(rel: sp.Basic, a: _Assumptions, subs: Mapping[sp.Symbol, sp.Expr]) -> bool:
    """sympy's sign rules establish ``rel`` (a domain condition) under the substitution ``subs``."""
    if rel is sp.true:
        return True
    if isinstance(rel, sp.And):
        return all(_sign_holds(x, a, subs) for x in rel.args)
    if not isinstance(rel, sp.Rel):
        return False
    d = a.apply(rel.lhs - rel.rhs, subs)
    forms = [d, _rewritten(sp.simplify, d), _rewritten(sp.factor, d)]
    if isinstance(rel, sp.Ne):
        return any(_pos(f) or _pos(-f) for f in forms)
    if rel.rel_op in (">", ">="):
        ok = _pos if rel.rel_op == ">" else _nonneg
        return any(ok(f) for f in forms)
    if rel.rel_op in ("<", "<="):
        ok = _pos if rel.rel_op == "<" else _nonneg
        return any(ok(-f) for f in forms)
    return False


def _domain_by_sympy(c: _Claim, claimed: str, tries: int, seed: int,
                     extra: Mapping[str, Any]) -> tuple[list[str], Verdict | None]:
    """Discharge the domain conditions with z3 (when the condition and the assumptions are
    algebraic) or sympy's sign rules; a point where one fails is a refutation ("undefined at")."""
    discharged: list[str] = []
    for i, cond in enumerate(c.conds):
        d = decide(cond.relation, c.a.relations, c.free, domain=c.conds[:i], timeout=5.0)
        if d.status in ("proved", "vacuous"):
            discharged.append(cond.text())
            continue
        if all(_sign_holds(cond.relation, c.a, subs) for _, subs in _cases(c.a)):
            discharged.append(cond.text())
            continue
        pt = dict(d.model) if d.status == "refuted" and d.model and c.undefined_at(cond, d.model) else \
            (_find_point(c.free, lambda p: c.undefined_at(cond, p), c.a, tries, seed) if cond.exact else None)
        if pt is not None:
            return discharged, refuted(claimed, f"undefined at {_fmt_point(pt)}: {cond.text()} fails there, at a "
                                       "point that satisfies every assumption (checked exactly)",
                                       counterexample={**_point_text(pt), "undefined": cond.text()},
                                       numbers=c.numbers(_ENGINE_SYMPY, c.all_assumptions(), [cond.text()], extra),
                                       notes=c.notes())
        return discharged, inconclusive(
            claimed, f"the domain condition {cond.text()} could not be established on the whole region of the "
            "assumptions, so the claim may be undefined somewhere", needs=f"a proof that {cond.text()} holds "
            "wherever the assumptions do (or an assumption that implies it)",
            numbers=c.numbers(_ENGINE_SYMPY, c.all_assumptions(), discharged, extra), notes=c.notes())
    return discharged, None


def _assumptions_inhabited(c: _Claim, tries: int, seed: int) -> bool | None:
    """Whether some point satisfies the assumptions: decided by z3 when they are algebraic (None
    when it cannot say), else True when a sampled point does."""
    if not c.a.relations:
        return True
    d = decide(sp.false, c.a.relations, c.free, timeout=5.0)
    if d.status == "vacuous":
        return False
    if d.status == "refuted":
        return True
    return True if _find_point(c.free, lambda p: True, c.a, tries, seed) is not None else None


def _judge(c: _Claim, claimed: str, extra: dict[str, Any], tries: int, seed: int, timeout: float) -> Verdict:
    if c.a.vacuous:
        return _vacuous(c, claimed, "the assumptions read as false", [], extra)
    c.z3_reason = ""
    if not c.written and not c.conds and not c.a.relations:  # two numbers (oo included): compared exactly
        same = c.left == c.right if c.op == "=" else None
        truth = True if same else holds_at(c.statement, {})
        if truth is True:
            return proved(claimed, f"{c.left} {c.op} {c.right}: exact comparison of two numbers",
                          numbers=c.numbers("exact arithmetic", [], [], extra), notes=c.notes())
        if truth is False:
            return refuted(claimed, f"{c.left} {c.op} {c.right} is false (exact comparison of two numbers)",
                           counterexample={"lhs": str(c.left), "rhs": str(c.right)},
                           numbers=c.numbers("exact arithmetic", [], [], extra), notes=c.notes())
    v = _decided(c, claimed, extra, timeout)
    if v is not None:
        return v
    discharged, bad = _domain_by_sympy(c, claimed, tries, seed, extra)
    if bad is not None:
        return bad
    strict = c.op in (">", "<")
    missing: list[str] = []
    if c.op == "=":
        for label, subs in _cases(c.a):
            diff = _rewritten(sp.simplify, c.a.apply(c.left - c.right, subs))
            if diff != 0:
                missing.append(f"{diff}{label}")
    else:
        gap = c.left - c.right if c.op in (">=", ">") else c.right - c.left  # claim: gap >= 0 (or > 0)
        ok = _pos if strict else _nonneg
        for label, subs in _cases(c.a):
            e = c.a.apply(gap, subs)
            forms = [e] + [_rewritten(f, e) for f in (sp.simplify, sp.factor, sp.expand)]
            num, den = sp.fraction(_rewritten(sp.together, forms[1]))
            if any(ok(f) for f in forms) or (ok(_rewritten(sp.factor, num)) or ok(_rewritten(sp.expand, num))) \
                    and _pos(_rewritten(sp.factor, den)):
                continue
            missing.append(f"{'; '.join(_undetermined(forms[2], strict))}{label}")
    used = c.all_assumptions()
    if not missing:
        inhabited = _assumptions_inhabited(c, tries, seed)
        if inhabited is False:
            return _vacuous(c, claimed, ENGINE_Z3, used, extra)
        if inhabited is None:
            return inconclusive(claimed, "sympy proved the claim under the substitutions, but no point satisfying the "
                                "assumptions was found, so they may be contradictory (the claim would be vacuous)",
                                needs="a point that satisfies every assumption (or algebraic assumptions, which z3 "
                                "checks for consistency)", numbers=c.numbers(_ENGINE_SYMPY, used, discharged, extra),
                                notes=c.notes())
        what = (f"{c.left} - ({c.right}) simplifies to 0" if c.op == "=" else
                f"{c.left - c.right if c.op in ('>=', '>') else c.right - c.left} {'>' if strict else '>='} 0: sympy "
                "established the sign of every term")
        return proved(claimed, what + (" under the substitutions" if c.a.text else "") + f" (decided by {_ENGINE_SYMPY}"
                      + (f"; z3 could not: {c.z3_reason}" if c.z3_reason else "") + ")"
                      + (f"; assumptions used: {'; '.join(used)}" if used else "")
                      + (f"; domain conditions discharged: {'; '.join(discharged)}" if discharged else ""),
                      numbers=c.numbers(_ENGINE_SYMPY, used, discharged, extra), notes=c.notes())
    pt = _find_point(c.free, c.violated_at, c.a, tries, seed)
    if pt is not None:
        vl, vr = c.values_text(pt)
        return refuted(claimed, (f"the two sides differ: {vl} vs {vr}" if c.op == "=" else
                                 f"violated at a point satisfying the assumptions: {vl} vs {vr}")
                       + f" at {_fmt_point(pt)} (checked exactly against every assumption, type and domain condition)",
                       counterexample={**_point_text(pt), "lhs": vl, "rhs": vr},
                       numbers=c.numbers("exact evaluation at a sampled point", used, discharged, extra),
                       notes=c.notes())
    note = c.notes()
    z3_why = f"z3 could not decide it ({c.z3_reason}); " if c.z3_reason else ""
    if c.op == "=":
        diff = missing[0]
        return inconclusive(claimed, f"{z3_why}sympy left the difference {diff} unsimplified and no point satisfying "
                            "the assumptions separates the sides" + (f"; {_unencoded_text(c.a)}" if c.a.unencoded else ""),
                            needs=f"a symbolic simplification of {diff} to 0"
                            + (f" ({_unencoded_text(c.a)})" if c.a.unencoded else "") + (f"; {note}" if note else ""),
                            numbers=c.numbers(_ENGINE_SYMPY, used, discharged, extra), notes=note)
    if c.a.unencoded:
        why = _unencoded_text(c.a)
        return inconclusive(claimed, f"{z3_why}{why}; without it sympy could not establish the sign of: "
                            f"{' | '.join(missing)}; no violation at {tries} sampled points satisfying the assumptions",
                            needs=why + (f"; {note}" if note else ""),
                            numbers=c.numbers(_ENGINE_SYMPY, used, discharged, extra), notes=note)
    return inconclusive(claimed, f"{z3_why}sympy could not establish the sign of: {' | '.join(missing)}; no violation "
                        f"at {tries} sampled points satisfying the assumptions",
                        needs="a proof of the sign of " + " | ".join(missing) + (f"; {note}" if note else ""),
                        numbers=c.numbers(_ENGINE_SYMPY, used, discharged, extra), notes=note)


ENGINE_Z3 = "z3 (nonlinear real arithmetic; exact rationals)"


def identity(lhs: Any, rhs: Any, *, symbols: Mapping[str, str | sp.Symbol] | None = None,
             assumptions: Iterable[Any] = (), what: str | None = None, claimed: str | None = None,
             numbers: Mapping[str, Any] | None = None, tries: int = 60, seed: int = 0,
             timeout: float = 10.0, domain: Iterable[Any] = ()) -> Verdict:
    """Verdict on the identity ``lhs = rhs`` under ``assumptions`` (see the module docstring).

    ``symbols`` declares the claim's own symbols (``{"a": "positive"}``); other names are the
    library's canonical symbols. ``lhs`` and ``rhs`` are strings or sympy expressions.
    ``timeout``: seconds for the decision procedure (z3) before the sympy rules are tried.
    ``domain``: further domain conditions (:class:`~.domain.Condition` or relations) that must hold
    on the whole region, beside those read from ``lhs`` and ``rhs`` (a caller that substituted a
    point into an update passes the update's own, which the substitution may have simplified away).
    """
    assumptions = list(assumptions)
    c = _Claim(lhs, "=", rhs, symbols, assumptions, domain)
    claimed = claimed or f"{what or c.left} = {c.right}" + (f" under {', '.join(c.relations_text)}"
                                                            if c.relations_text else "")
    return _judge(c, claimed, dict(numbers or {}), tries, seed, timeout)


def inequality(lhs: Any, op: str, rhs: Any, *, symbols: Mapping[str, str | sp.Symbol] | None = None,
               assumptions: Iterable[Any] = (), what: str | None = None, claimed: str | None = None,
               numbers: Mapping[str, Any] | None = None, tries: int = 200, seed: int = 0,
               timeout: float = 10.0, domain: Iterable[Any] = ()) -> Verdict:
    """Verdict on ``lhs op rhs`` (``op`` in ``>=``, ``>``, ``<=``, ``<``) for every value the
    symbols and ``assumptions`` allow (see the module docstring); ``timeout`` and ``domain`` as
    for :func:`identity`."""
    if op not in _OPS:
        raise ClaimError(f"inequality operator must be one of {sorted(_OPS)}, got {op!r}")
    assumptions = list(assumptions)
    c = _Claim(lhs, op, rhs, symbols, assumptions, domain)
    claimed = claimed or f"{what or c.left} {op} {c.right}" + (f" under {', '.join(c.relations_text)}"
                                                               if c.relations_text else "")
    return _judge(c, claimed, dict(numbers or {}), tries, seed, timeout)
