"""Named assumptions of theorems and derivations.

An :class:`Assumption` has a short ``name`` (what an :class:`~theorylab.errors.AssumptionError`
reports), a human statement, and, when it is a condition on the parameters, a sympy relation
that :meth:`Assumption.check` evaluates. Hypotheses on ``f`` that no parameter value can
violate (PL, L-smooth, the noise model) have ``relation=None``: they are stated, not checked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..errors import AssumptionError, InvalidParameterError

__all__ = ["Assumption", "check_assumptions", "parse_value", "validate_params", "plain"]


def plain(expr: sp.Basic) -> sp.Basic:
    """``expr`` with every symbol replaced by an assumption-free symbol of the same name."""
    return expr.xreplace({s: sp.Symbol(str(s)) for s in expr.free_symbols})


@dataclass(frozen=True)
class Assumption:
    """A named hypothesis: ``relation`` (sympy, in the paper's symbols) or ``None`` if stated only."""

    name: str
    statement: str
    relation: sp.Basic | None = None
    kind: str = "parameter"  # "parameter" (checked on values), "hypothesis" (on f / noise), "inequality" (a proof step)
    definitions: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    latex: str | None = None  # the statement as LaTeX text-mode (math in $...$), for hypotheses on f

    def check(self, values: Mapping[sp.Symbol, Any]) -> bool | None:
        """True/False when ``relation`` can be decided at ``values``; None when it does not apply.

        Symbols are matched by name, so relations may be written with assumption-free copies
        of the paper's symbols (``Gt(nu, 0)`` with a positive ``nu`` would be ``True`` at once).
        """
        if self.relation is None:
            return None
        by_name = {str(s): v for s, v in values.items()}
        rel = self.relation
        defs = {sp.Symbol(str(s_)): e for s_, e in self.definitions.items()}
        for _ in range(3):  # definitions may refer to each other (Delta -> ell -> nu)
            rel = rel.xreplace({s_: defs[sp.Symbol(str(s_))] for s_ in rel.free_symbols
                                if sp.Symbol(str(s_)) in defs})
        if not {str(s_) for s_ in rel.free_symbols} <= set(by_name):
            return None
        try:
            out = rel.xreplace({s_: by_name[str(s_)] for s_ in rel.free_symbols})
            if out in (sp.true, sp.false):
                return bool(out)
            diff = sp.N(out.lhs - out.rhs, 30)
        except (ValueError, TypeError, ZeroDivisionError):
            return None
        if not diff.is_extended_real:
            return None
        return bool(type(out)(diff, 0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "statement": self.statement,
            "relation": None if self.relation is None else sp.sstr(self.relation),
            "kind": self.kind,
        }


def check_assumptions(assumptions: tuple[Assumption, ...], values: Mapping[sp.Symbol, Any]) -> None:
    """Raise :class:`AssumptionError` naming the first assumption that ``values`` violate."""
    for a in assumptions:
        ok = a.check(values)
        if ok is False:
            names = {str(s) for s in a.relation.free_symbols} if a.relation is not None else set()
            for e in a.definitions.values():
                names |= {str(s) for s in e.free_symbols}
            shown = {str(s): values[s] for s in sorted(values, key=str) if str(s) in names}
            raise AssumptionError(a.name, f"{a.statement} does not hold at {shown}", value=shown)


def parse_value(text: str | float | int) -> sp.Expr:
    """A number for substitution: ``"inf"``/``"oo"`` -> ``oo``; ``"0.01"`` -> Float; ``"1/3"`` -> Rational."""
    if isinstance(text, bool) or text is None:
        raise InvalidParameterError(f"a parameter value must be a number, got {text!r}")
    if isinstance(text, (int, float)):
        if isinstance(text, float) and math.isnan(text):
            raise InvalidParameterError("a parameter value is NaN; expected a number")
        if isinstance(text, float) and math.isinf(text):
            return sp.oo if text > 0 else -sp.oo
        return sp.Integer(text) if isinstance(text, int) else sp.Float(text)
    if isinstance(text, sp.Basic):
        return text
    s = str(text).strip().lower()
    if s in ("inf", "+inf", "oo", "infinity"):
        return sp.oo
    if s in ("-inf", "-oo"):
        return -sp.oo
    from .parse import ExpressionError, parse_number  # the safe reader: nothing in ``text`` is run

    try:
        val = parse_number(str(text), what="the value")
    except ExpressionError as exc:
        raise InvalidParameterError(str(exc)) from None
    if val is sp.nan:
        raise InvalidParameterError("a parameter value is NaN; expected a number")
    if val.is_finite and not val.is_Integer and _DECIMAL.search(str(text)):
        val = sp.Float(val, 15)  # a decimal such as 0.01 stays a float, as before (1/3 stays exact)
    return val


_DECIMAL = re.compile(r"\d\.|\.\d|\d[eE]")


def validate_params(values: Mapping[sp.Symbol, sp.Expr]) -> None:
    """Check each value against its symbol's declared domain (positive, non-negative, integer:
    ``d = 2.5`` or ``N = 4.5`` is refused)."""
    for s, v in values.items():
        if v is sp.nan or (v.is_number and v.is_extended_real is False):
            raise InvalidParameterError(f"{s} = {v} is not a real number")
        if s.is_positive and v.is_extended_positive is False:
            raise InvalidParameterError(f"{s} must be > 0, got {s} = {v}")
        if s.is_nonnegative and v.is_extended_nonnegative is False:
            raise InvalidParameterError(f"{s} must be >= 0, got {s} = {v}")
        if s.is_integer and v.is_number and v.is_finite and v.is_integer is False:
            raise InvalidParameterError(f"{s} must be an integer, got {s} = {v}")
