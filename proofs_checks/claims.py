"""Small helpers that turn a symbolic comparison into a verdict.

``equal(found, claimed)``: ``proved`` when ``simplify(found − claimed) == 0``; otherwise a
numeric point where the two differ is searched (values drawn from a fixed generator that
respect each symbol's assumptions) and the claim is ``refuted`` at that point; when no such
point shows up (sympy could not simplify an identity that numerically holds) the verdict is
``inconclusive``. ``sign(expr, ">= 0")`` does the same for an inequality, proving it with
sympy's assumption system or a positive rewriting, and refuting it at a point.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import sympy as sp

from .verdict import Verdict, inconclusive, proved, refuted

__all__ = ["sample_point", "equal", "nonnegative", "differing_point", "parse", "NAMESPACE"]


def _namespace() -> dict[str, sp.Symbol]:
    """Canonical symbols by name (the symbolic layer's, then the lecture's), for parsing claims."""
    from theorylab.symbolic import lecture
    from theorylab.symbolic.symbols import SYMBOLS

    ns = {name: info.symbol for name, info in SYMBOLS.items()}
    for name in ("n", "s", "T", "K", "b", "epsilon", "tau"):
        ns[name] = getattr(lecture, name)
    ns["R"] = lecture.R
    return ns


NAMESPACE: dict[str, sp.Symbol] = _namespace()


def parse(claim: Any, **names: Any) -> sp.Expr:
    """A claim given as a sympy expression or a string, with the canonical symbols
    (``"d*sigma**2/(mu*n*epsilon)"`` uses the same ``d``, ``sigma``... as the library).

    ``names`` bind further names, or rebind canonical ones, for a check's own symbols
    (``parse("omega*(1 - delta)", omega=w, delta=dl)``)."""
    if isinstance(claim, str):
        return sp.sympify(claim, locals={**NAMESPACE, **names})
    return sp.sympify(claim)


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


def differing_point(a: sp.Expr, b: sp.Expr, *, tries: int = 40, seed: int = 0,
                    fixed: Mapping[sp.Symbol, Any] | None = None) -> dict[str, str] | None:
    """A point (exact rationals) where ``a != b`` numerically, or None."""
    rng = random.Random(seed)
    syms = (sp.sympify(a).free_symbols | sp.sympify(b).free_symbols) - set(fixed or {})
    for _ in range(tries):
        pt = {**sample_point(syms, rng), **(fixed or {})}
        va, vb = sp.N(sp.sympify(a).subs(pt), 30), sp.N(sp.sympify(b).subs(pt), 30)
        if not (va.is_finite and vb.is_finite):
            continue
        if abs(va - vb) > 1e-12 * (1 + abs(va) + abs(vb)):
            return {**{str(k): str(v) for k, v in pt.items()}, "found": str(sp.N(va, 12)), "claimed": str(sp.N(vb, 12))}
    return None


def equal(found: sp.Expr, claimed: sp.Expr, *, what: str, claimed_text: str | None = None,
          numbers: Mapping[str, Any] | None = None, notes: str = "") -> Verdict:
    """Verdict on ``found == claimed`` (symbolic identity)."""
    claimed_text = claimed_text or f"{what} = {claimed}"
    diff = sp.simplify(sp.sympify(found) - sp.sympify(claimed))
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
    """Sign by sympy's assumptions, term by term for sums and factor by factor for products."""
    if e.is_nonnegative is True:
        return True
    if isinstance(e, (sp.Add, sp.Mul)):
        return all(_nonneg(a) for a in e.args)
    if isinstance(e, sp.Pow) and e.exp.is_real:
        return _nonneg(e.base) or (e.exp.is_integer and e.exp.is_even) is True
    return False


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
    return inconclusive(claimed_text, f"{what} = {e}: sympy could not decide its sign; no negative value "
                        "in 200 sampled points", needs="a symbolic proof of the sign", numbers=nums, notes=notes)
