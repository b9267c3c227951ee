"""The method contract: a fixed-step first-order method written once over oracles.

``run(ctx, f, starts, steps, p) -> Run`` uses only ``+``, ``-``, multiplication by exact
numbers (``int``/``Fraction``: the parameters ``p`` arrive as Fractions), ``x * y`` (inner
product), ``x ** 2`` (squared norm), ``f.gradient(x)``, ``f.value(x)``, ``f.oracle(x)`` and the
context's ``ctx.new_point(name)`` (an adversarial vector, e.g. a compression error) and
``ctx.require(expr, name)`` (``expr ≤ 0``). The same code then runs on PEPit's symbolic points
(to be solved), on exact Gram-basis twins (to check a certificate) and on concrete rational
vectors (to replay a counterexample).

``starts`` holds ``memory + 1`` points (x_{−m}, ..., x_0); ``Run.iterates`` lists every point
the method produced, starts included; ``Run.measures`` gives measures the method defines itself
(an expectation over a random oracle, a potential), keyed like the engine's measures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ....errors import InvalidParameterError

__all__ = ["Method", "Run", "exact_sqrt"]


@dataclass
class Run:
    iterates: list[Any]
    measures: dict[str, Any] = field(default_factory=dict)
    initial: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Method:
    """A method: ``name``, ``title``, the ``paper`` it comes from, its parameters with their
    meaning, ``defaults(p)`` (parameters from the class's L, mu), ``memory`` (past iterates
    used), ``one_step`` (its measures are one-step expectations / potentials), ``run``."""

    name: str
    title: str
    paper: str
    params: Mapping[str, str]
    run: Callable[..., Run]
    defaults: Callable[[Mapping[str, Fraction]], dict[str, Fraction]] = lambda p: {}
    memory: int = 0
    one_step: bool = False
    classes: tuple[str, ...] = ("smooth-convex", "smooth-strongly-convex", "smooth", "smooth-pl")
    components: bool = False  # needs a finite sum (its `components` parameter n)
    #: measures that are upper-bound models (a larger worst case does not refute a claim)
    upper_bound_measures: tuple[str, ...] = ()


def exact_sqrt(q: Fraction, what: str = "a parameter") -> Fraction:
    """√q when it is rational (q a ratio of perfect squares), else a one-line error."""
    import math

    q = Fraction(q)
    if q < 0:
        raise InvalidParameterError(f"{what} needs √{q} of a negative number")
    a, b = math.isqrt(q.numerator), math.isqrt(q.denominator)
    if a * a != q.numerator or b * b != q.denominator:
        raise InvalidParameterError(f"{what} needs √{q}, which is irrational; the exact analysis needs rational "
                                    "coefficients: choose parameters with a rational square root (e.g. κ = 25) "
                                    "or give the step sizes explicitly")
    return Fraction(a, b)
