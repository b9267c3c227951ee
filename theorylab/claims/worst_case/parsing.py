"""Reading a bound given as text (the CLI's ``--bound``).

Text from a user is never handed to ``sympify``. When the library's whitelisted parser
(``theorylab.symbolic.parse.parse_expression``) is available it reads expressions in the
parameters (``L*R**2/(4*N+2)``); otherwise only exact numbers are accepted (``1/14``, ``0.25``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ...errors import InvalidParameterError

__all__ = ["parse_bound"]


def parse_bound(text: str) -> Any:
    import sympy as sp

    try:
        q = Fraction(text.strip())
        return sp.Rational(q.numerator, q.denominator)
    except (ValueError, ZeroDivisionError):
        pass
    try:
        import importlib

        # the whitelisted parser, when present (it is being added to theorylab.symbolic)
        parse_expression = getattr(importlib.import_module("theorylab.symbolic.parse"), "parse_expression")
    except (ImportError, AttributeError):
        raise InvalidParameterError(f"cannot read the bound {text!r}: give an exact number (e.g. 1/14); "
                                    "expressions need theorylab.symbolic.parse, not available in this build") from None
    try:
        return parse_expression(text)
    except Exception as exc:  # the parser's own one-line error
        raise InvalidParameterError(f"cannot read the bound {text!r}: {exc}") from None
