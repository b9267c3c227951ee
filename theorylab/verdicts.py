"""The verdict vocabulary of theorylab, on the ground floor: every layer may import it.

This module imports nothing of theorylab but :mod:`theorylab.errors` (the ground floor beside
it), so that the symbolic, simulate and claims layers share one :class:`Status`, one band
decision (:func:`interval_status`) and one way to print a false-alarm rate
(:func:`format_rate`) without an import running back up. :mod:`theorylab.claims` re-exports
every name.

Statuses
--------
The one verdict vocabulary of theorylab, shared by every layer.

- ``proved``: established exactly (sympy established every step under the stated
  assumptions, or exact rational arithmetic);
- ``holds``: supported by a statistical or numerical test that did not reject it; the
  verdict states the test (one-sided or equivalence), its tolerance and its false-alarm rate;
- ``refuted``: a counterexample was found (an exact one, or an interval that lies entirely
  on the wrong side of the claim);
- ``inconclusive``: the computation could not decide; the verdict says what more it needs;
- ``error``: the check itself raised.

``Status`` is a ``str`` enum: ``Status.HOLDS == "holds"``, and ``str``/``format``/JSON give the
plain word, so code that compares statuses with strings keeps working.

Bands
-----
Interval against tolerance band: the one decision rule of every statistical verdict.

A claim about a quantity ``q`` is stated as a band ``low ≤ q ≤ high``: an upper bound ``b`` is
the band ``(−∞, b]``, a lower bound ``[b, ∞)``, and an equality "``q`` is ``X``" is the band
``[X − tol, X + tol]`` (an *equivalence* claim: a point can never be confirmed exactly, only to
within a stated tolerance). Given a confidence interval ``[lower, upper]`` for ``q`` at
confidence ``c``:

- ``holds`` only when the *whole* interval lies inside the band;
- ``refuted`` when the whole interval lies outside the band (entirely below ``low`` or
  entirely above ``high``);
- ``inconclusive`` otherwise (the interval straddles an edge: more samples would decide), and
  whenever an end of the interval is NaN.

With a valid two-sided interval at confidence ``c``, each wrong decision (``holds`` for a false
claim, ``refuted`` for a true one) has probability at most ``(1 − c)/2`` for a one-sided claim
and at most ``1 − c`` for an equivalence claim (two one-sided tests, Schuirmann 1987); the
verdicts state the conservative ``1 − c`` as their false-alarm rate. For a one-sided claim
this is the usual test; for an equality claim it is the equivalence test, so that less data
never makes "holds" easier (a wide interval is inconclusive, not "holds").
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from .errors import ClaimError, InvalidParameterError

__all__ = ["Status", "STATUSES", "SEVERITY", "Band", "interval_status", "upper_bound", "lower_bound", "within",
           "format_rate"]


class Status(str, enum.Enum):
    """Verdict status (see the module docstring)."""

    PROVED = "proved"
    HOLDS = "holds"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def ok(self) -> bool:
        """True for ``proved`` and ``holds`` (the claim survived)."""
        return self in (Status.PROVED, Status.HOLDS)

    @classmethod
    def parse(cls, value: object) -> Status:
        """``value`` (a ``Status`` or its word) as a ``Status``; :class:`ClaimError` otherwise."""
        if isinstance(value, Status):
            return value
        try:
            return cls(value)
        except ValueError:
            raise ClaimError(f"verdict status must be one of {STATUSES}, got {value!r}") from None


STATUSES: tuple[str, ...] = tuple(s.value for s in Status)

#: how bad a status is when parts are combined: the worst part wins
SEVERITY: dict[Status, int] = {Status.ERROR: 0, Status.REFUTED: 1, Status.INCONCLUSIVE: 2, Status.HOLDS: 3,
                               Status.PROVED: 4}


def format_rate(p: float) -> str:
    """A probability for a label: ``1e-06``, ``0.001``, ``0.05``."""
    return f"{p:.0e}" if p < 1e-3 else f"{p:.3g}"


@dataclass(frozen=True)
class Band:
    """The claimed range ``[low, high]`` of a quantity, with the test it implies.

    ``test`` is ``"one-sided"`` (one end infinite) or ``"equivalence"`` (both ends finite);
    ``tolerance`` is the half-width of an equivalence band (relative when ``relative``).
    """

    low: float
    high: float
    test: str
    tolerance: float | None = None
    relative: bool = False

    def status(self, lower: float, upper: float) -> Status:
        """The verdict of the interval ``[lower, upper]`` against this band."""
        return interval_status(lower, upper, low=self.low, high=self.high)

    def describe(self) -> str:
        if self.test == "equivalence":
            tol = f"±{100 * self.tolerance:g}%" if self.relative and self.tolerance is not None else f"±{self.tolerance:g}"
            return f"equivalence, band [{self.low:.6g}, {self.high:.6g}] ({tol})"
        if math.isinf(self.low):
            return f"one-sided, upper bound {self.high:.6g}"
        return f"one-sided, lower bound {self.low:.6g}"


def interval_status(lower: float, upper: float, *, low: float = -math.inf, high: float = math.inf) -> Status:
    """``holds`` when ``low ≤ lower`` and ``upper ≤ high``; ``refuted`` when ``upper < low`` or
    ``lower > high``; ``inconclusive`` otherwise (and when ``lower`` or ``upper`` is NaN)."""
    lower, upper, low, high = float(lower), float(upper), float(low), float(high)
    if math.isnan(low) or math.isnan(high) or low > high:
        raise InvalidParameterError(f"a tolerance band needs low <= high, got [{low}, {high}]")
    if math.isnan(lower) or math.isnan(upper):
        return Status.INCONCLUSIVE
    if lower > upper:
        raise InvalidParameterError(f"an interval needs lower <= upper, got [{lower}, {upper}]")
    if low <= lower and upper <= high:
        return Status.HOLDS
    if upper < low or lower > high:
        return Status.REFUTED
    return Status.INCONCLUSIVE


def upper_bound(bound: float) -> Band:
    """The one-sided claim ``q ≤ bound``."""
    return Band(-math.inf, float(bound), "one-sided")


def lower_bound(bound: float) -> Band:
    """The one-sided claim ``q ≥ bound``."""
    return Band(float(bound), math.inf, "one-sided")


def within(value: float, *, rtol: float | None = None, atol: float | None = None) -> Band:
    """The equality claim "``q`` is ``value``" to within ``rtol·|value|`` or ``atol`` (equivalence)."""
    if (rtol is None) == (atol is None):
        raise InvalidParameterError("an equality claim needs exactly one tolerance: rtol= or atol=")
    tol = rtol if rtol is not None else atol
    if not isinstance(tol, (int, float)) or not (tol > 0 and math.isfinite(tol)):
        raise InvalidParameterError(f"the tolerance must be a positive number, got {tol!r}")
    half = abs(float(value)) * tol if rtol is not None else float(tol)
    return Band(float(value) - half, float(value) + half, "equivalence", float(tol), rtol is not None)
