"""Where a claim is defined: the domain conditions of an expression, as proof obligations.

A claim ``lhs op rhs`` about real numbers says something only where both sides are defined
and real. Its *domain conditions* are the relations that make every sub-expression so:

- a denominator (a negative integer power ``b**-n``): ``b ≠ 0``;
- a root or a non-integer power ``b**(p/q)`` (``sqrt``, ``cbrt``, ``root``): ``b ≥ 0``
  (``b > 0`` when ``p < 0``); sympy's ``b**(p/q)`` is the principal branch, complex for ``b < 0``;
- ``log(u)``: ``u > 0``; ``asin(u)``, ``acos(u)``: ``−1 ≤ u ≤ 1``; ``tan(u)``: ``cos(u) ≠ 0``;
  ``atan2(y, x)``: ``x² + y² ≠ 0``;
- a power with a symbolic exponent ``b**e``: ``b > 0``; ``gamma(u)``: ``u > 0``;
  ``factorial(u)``: ``u > −1``; ``binomial(a, b)``: ``a > −1``; ``beta(a, b)``: ``a, b > 0``.
  These last ones are *sufficient* conditions (``exact=False``): the function may be defined
  outside them (``gamma(−1/2)``), so failing one leaves the claim undecided, never refuted.

When an argument involves a symbol that is not declared real (a plain symbol, a complex
number for sympy), only the pole conditions (``≠ 0``) are kept: the real-valuedness ones do not
apply. Conditions are listed inner first, so each may assume the ones before it.

The conditions must hold on the *whole* region the assumptions allow: a claim is proved only
after each is discharged, and a point of the region where one fails is a counterexample
("undefined at z = 0"). sympy simplifies ``z/z`` to ``1`` as it builds the expression, so the
conditions are read from the unevaluated expression where the text is at hand
(:func:`conditions_of_text`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

__all__ = ["Condition", "conditions", "conditions_of_text", "merge"]


@dataclass(frozen=True)
class Condition:
    """``relation`` must hold for the expression ``term`` to be defined (and real); ``exact``:
    the term is undefined (or not real) wherever the relation fails (False: only sufficient)."""

    relation: sp.Basic
    term: str
    exact: bool = True

    def text(self) -> str:
        return f"{_rel_text(self.relation)} (for {self.term})"


def _rel_text(rel: sp.Basic) -> str:
    if isinstance(rel, sp.Ne):
        return f"{rel.lhs} ≠ {rel.rhs}"
    if isinstance(rel, sp.And):
        return " and ".join(_rel_text(a) for a in rel.args)
    return str(rel).replace(">=", "≥").replace("<=", "≤")


def _real(e: sp.Basic) -> bool:
    return all(s.is_real is True for s in e.free_symbols)


def _node_conditions(e: sp.Basic) -> list[Condition]:
    """The conditions that the node ``e`` itself adds (not its arguments')."""
    out: list[Condition] = []
    if isinstance(e, sp.Pow):
        b, x = e.args
        if x.is_number and x.is_real:
            xr = x if x.is_Rational else None
            if x.is_integer:
                if x.is_negative:
                    out.append(Condition(sp.Ne(b, 0), f"the denominator {b}"))
            elif xr is not None or x.is_real:
                if _real(b):
                    rel = sp.Gt(b, 0) if x.is_negative else sp.Ge(b, 0)
                    out.append(Condition(rel, f"the root or power {e}"))
                elif x.is_negative:
                    out.append(Condition(sp.Ne(b, 0), f"the denominator {b}"))
        elif not (b.is_number and b.is_positive):
            out.append(Condition(sp.Gt(b, 0), f"the power {e} with a symbolic exponent", exact=False))
    elif isinstance(e, sp.log):
        u = e.args[0]
        out.append(Condition(sp.Gt(u, 0) if _real(u) else sp.Ne(u, 0), f"{e}"))
    elif isinstance(e, (sp.asin, sp.acos)):
        u = e.args[0]
        if _real(u):
            out.append(Condition(sp.And(sp.Ge(u, -1), sp.Le(u, 1)), f"{e}"))
    elif isinstance(e, sp.tan):
        out.append(Condition(sp.Ne(sp.cos(e.args[0]), 0), f"{e}"))
    elif isinstance(e, sp.atan2):
        y, x = e.args
        out.append(Condition(sp.Ne(x ** 2 + y ** 2, 0), f"{e}"))
    elif isinstance(e, sp.gamma):
        out.append(Condition(sp.Gt(e.args[0], 0), f"{e}", exact=False))
    elif isinstance(e, sp.factorial):
        out.append(Condition(sp.Gt(e.args[0], -1), f"{e}", exact=False))
    elif isinstance(e, sp.binomial):
        out.append(Condition(sp.Gt(e.args[0], -1), f"{e}", exact=False))
    elif isinstance(e, sp.beta):
        out.append(Condition(sp.And(*(sp.Gt(a, 0) for a in e.args)), f"{e}", exact=False))
    return out


def conditions(*exprs: Any) -> list[Condition]:
    """The domain conditions of ``exprs`` (see the module docstring), inner first, without
    duplicates and without the ones that hold for every value (``2 ≠ 0``). A condition that
    fails for every value (``0 ≠ 0``, from ``1/0``) is kept as ``false``."""
    out: list[Condition] = []
    seen: set[Any] = set()

    def walk(e: Any) -> None:
        if not isinstance(e, sp.Basic) or e.is_Atom:
            return
        for a in e.args:
            walk(a)
        for c in _node_conditions(e):
            rel = c.relation
            if not isinstance(rel, sp.logic.boolalg.BooleanAtom):
                rel = rel.doit()  # an unevaluated reading's argument (z*z) in its evaluated form
                c = Condition(rel, c.term, c.exact)
            if rel is sp.true or rel in seen:
                continue
            seen.add(rel)
            out.append(c)

    for e in exprs:
        walk(e)
    return out


def conditions_of_text(text: str, parse: Callable[[str], Any]) -> list[Condition]:
    """The domain conditions of ``text`` read by ``parse`` with sympy's evaluation turned off,
    so that ``z/z`` keeps its denominator; ``[]`` when the unevaluated reading fails."""
    try:
        with sp.evaluate(False):
            raw = parse(text)
    except Exception:  # noqa: BLE001 - the evaluated reading reports the error; nothing to add here
        return []
    try:
        return conditions(raw)
    except (TypeError, ValueError, AttributeError):  # an unevaluated node sympy cannot inspect
        return []


def merge(*groups: Iterable[Condition]) -> list[Condition]:
    """The conditions of ``groups`` in order, without duplicates (by relation)."""
    out: list[Condition] = []
    seen: set[Any] = set()
    for g in groups:
        for c in g:
            if c.relation in seen:
                continue
            seen.add(c.relation)
            out.append(c)
    return out


def substitute(conds: Iterable[Condition], subs: Mapping[sp.Symbol, sp.Expr]) -> list[Condition]:
    """``conds`` with ``subs`` applied (the trivially true ones dropped)."""
    out = []
    for c in conds:
        rel = c.relation.xreplace(dict(subs))
        if rel is not sp.true:
            out.append(Condition(rel, c.term, c.exact))
    return out
