"""Verdicts of a check: what the source claims beside what the computer found.

Following PEPit's contract (a computed value printed beside the theoretical one), every
verdict carries ``claimed`` (the statement as the source gives it, with its numbers) and
``found`` (what the computation established), plus the key numbers behind it.

Statuses:

- ``proved``: established exactly (symbolic algebra or exact rational arithmetic);
- ``holds``: supported numerically at a stated ``confidence`` (Monte Carlo or floating
  point search that found no violation), with the estimate against the claim;
- ``refuted``: a counterexample was found (it is in ``counterexample``);
- ``inconclusive``: the computation could not decide; ``needs`` says what more is needed;
- ``error``: the check itself raised (a defect of the check or of a layer it calls).

A verdict is never a constant of the check: the helpers below take the outcome of the
computation (``decide``) and pick the status from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Status",
    "STATUSES",
    "Verdict",
    "proved",
    "holds",
    "refuted",
    "inconclusive",
    "errored",
    "decide",
    "combine",
]

Status = Literal["proved", "holds", "refuted", "inconclusive", "error"]
STATUSES: tuple[str, ...] = ("proved", "holds", "refuted", "inconclusive", "error")


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a number, sympy object, array or mapping."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return _plain(value.item())
        if isinstance(value, np.ndarray):
            return _plain(value.tolist())
    except ImportError:  # pragma: no cover
        pass
    try:
        import sympy as sp

        if isinstance(value, sp.Basic):
            if value.is_Integer:
                return int(value)
            if value.is_Number and value.is_real:
                return str(value) if value.is_Rational else float(value)
            return str(value)
    except ImportError:  # pragma: no cover
        pass
    return str(value)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check.

    ``claimed``: the claim as the source states it (words and numbers).
    ``found``: what the computation established, in the same terms.
    ``numbers``: key numbers (estimates, bounds, exact values) for the table.
    ``counterexample``: for ``refuted``, the input that refutes the claim (replayable).
    ``confidence``: for ``holds`` from statistics, the confidence level (``1 − false-alarm``);
    None for deterministic evidence (a float computation or an exhaustive exact search, which
    supports the claim on the instances tried but is no proof: ``found`` says which).
    ``needs``: for ``inconclusive``, what more is needed to decide.
    ``notes``: free text (misprints noticed, tie rules, conventions).
    """

    status: Status
    claimed: str
    found: str
    numbers: Mapping[str, Any] = field(default_factory=dict)
    counterexample: Mapping[str, Any] | str | None = None
    confidence: float | None = None
    needs: str | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"verdict status must be one of {STATUSES}, got {self.status!r}")
        if self.status == "refuted" and self.counterexample is None:
            raise ValueError("a refuted verdict must carry its counterexample")
        if self.status == "inconclusive" and not self.needs:
            raise ValueError("an inconclusive verdict must say what more is needed (needs=...)")
        if self.confidence is not None and not (0.0 < self.confidence <= 1.0):
            raise ValueError(f"confidence must lie in (0, 1], got {self.confidence!r}")

    @property
    def ok(self) -> bool:
        """True for ``proved`` and ``holds``."""
        return self.status in ("proved", "holds")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "claimed": self.claimed,
            "found": self.found,
            "numbers": _plain(dict(self.numbers)),
            "counterexample": _plain(self.counterexample),
            "confidence": self.confidence,
            "needs": self.needs,
            "notes": self.notes,
        }


def proved(claimed: str, found: str, *, numbers: Mapping[str, Any] | None = None, notes: str = "") -> Verdict:
    return Verdict("proved", claimed, found, numbers or {}, notes=notes)


def holds(
    claimed: str,
    found: str,
    *,
    confidence: float | None,
    numbers: Mapping[str, Any] | None = None,
    notes: str = "",
) -> Verdict:
    return Verdict("holds", claimed, found, numbers or {}, confidence=confidence, notes=notes)


def refuted(
    claimed: str,
    found: str,
    *,
    counterexample: Mapping[str, Any] | str,
    numbers: Mapping[str, Any] | None = None,
    notes: str = "",
) -> Verdict:
    return Verdict("refuted", claimed, found, numbers or {}, counterexample=counterexample, notes=notes)


def inconclusive(
    claimed: str,
    found: str,
    *,
    needs: str,
    numbers: Mapping[str, Any] | None = None,
    notes: str = "",
) -> Verdict:
    return Verdict("inconclusive", claimed, found, numbers or {}, needs=needs, notes=notes)


def errored(claimed: str, message: str) -> Verdict:
    return Verdict("error", claimed, message)


def decide(
    *,
    claimed: str,
    ok: bool | None,
    exact: bool,
    found: str,
    numbers: Mapping[str, Any] | None = None,
    counterexample: Mapping[str, Any] | str | None = None,
    confidence: float | None = None,
    needs: str | None = None,
    notes: str = "",
) -> Verdict:
    """Pick the status from the outcome of a computation.

    ``ok`` is True (the claim survived), False (a counterexample was found; pass it) or
    None (undecided; say what is ``needs``-ed). ``exact`` selects ``proved`` over ``holds``
    for a surviving claim; a numeric ``holds`` requires ``confidence``.
    """
    if ok is None:
        return inconclusive(claimed, found, needs=needs or "more samples", numbers=numbers, notes=notes)
    if not ok:
        if counterexample is None:
            raise ValueError("decide(ok=False) needs the counterexample")
        return refuted(claimed, found, counterexample=counterexample, numbers=numbers, notes=notes)
    if exact:
        return proved(claimed, found, numbers=numbers, notes=notes)
    return holds(claimed, found, confidence=confidence, numbers=numbers, notes=notes)


def combine(claimed: str, parts: Mapping[str, Verdict], *, notes: str = "") -> Verdict:
    """One verdict for a claim made of several parts (steps of a chain, rows of a table).

    The worst part wins: error > refuted > inconclusive > holds > proved. The counterexample,
    numbers and ``found`` text name the parts.
    """
    order = {"error": 0, "refuted": 1, "inconclusive": 2, "holds": 3, "proved": 4}
    if not parts:
        raise ValueError("combine needs at least one part")
    worst = min(parts.values(), key=lambda v: order[v.status]).status
    counts = {s: sum(v.status == s for v in parts.values()) for s in STATUSES}
    found = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]) + " of " + str(len(parts)) + " parts"
    bad = {k: v for k, v in parts.items() if v.status == worst}
    if worst == "refuted":
        found += "; refuted: " + "; ".join(f"{k}: {v.found}" for k, v in bad.items())
        cex = {k: _plain(v.counterexample) for k, v in bad.items()}
        return refuted(claimed, found, counterexample=cex, numbers={k: v.status for k, v in parts.items()}, notes=notes)
    if worst == "inconclusive":
        needs = "; ".join(f"{k}: {v.needs}" for k, v in bad.items())
        return inconclusive(claimed, found, needs=needs, numbers={k: v.status for k, v in parts.items()}, notes=notes)
    if worst == "error":
        return Verdict("error", claimed, found + "; " + "; ".join(f"{k}: {v.found}" for k, v in bad.items()))
    if worst == "holds":
        confs = [v.confidence for v in parts.values() if v.status == "holds" and v.confidence is not None]
        conf = min(confs) if confs else None  # None: deterministic evidence only
        return holds(claimed, found, confidence=conf, numbers={k: v.status for k, v in parts.items()}, notes=notes)
    return proved(claimed, found, numbers={k: v.status for k, v in parts.items()}, notes=notes)
