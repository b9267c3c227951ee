"""Verdicts of a check: what the claim says beside what the computer found.

Following PEPit's contract (a computed value printed beside the theoretical one), every
verdict carries ``claimed`` (the statement, with its numbers) and ``found`` (what the
computation established), the key ``numbers`` behind it, and its evidence:

- ``proved``: established exactly (sympy, or exact rational arithmetic);
- ``holds``: supported by a test that did not reject the claim; ``test`` names it
  (``"one-sided"``, ``"equivalence"``, ``"float search"``, ...), ``tolerance`` gives an
  equivalence claim's band, and ``confidence`` is ``1 − false-alarm rate`` for a statistical
  test (None for deterministic evidence: a float computation or an exhaustive search, which
  supports the claim on the instances tried but is no proof; ``found`` says which);
- ``refuted``: a counterexample was found (``counterexample``, required);
- ``inconclusive``: the computation could not decide; ``needs`` (required) says what more;
- ``error``: the check itself raised.

A verdict is never a constant of the check: :func:`decide` takes the outcome of the
computation and picks the status from it; :func:`combine` joins parts (the worst part wins,
and a joint ``holds`` has the union bound of its parts' false-alarm rates).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ClaimError
from ..verdicts import SEVERITY, STATUSES, Status, format_rate

__all__ = [
    "Verdict",
    "proved",
    "holds",
    "exact_on_instances",
    "refuted",
    "inconclusive",
    "errored",
    "decide",
    "combine",
    "plain",
    "format_rate",
]


def plain(value: Any) -> Any:
    """A JSON-friendly version of a number, sympy object, array, enum or mapping."""
    if isinstance(value, Status):
        return value.value
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return plain(value.item())
        if isinstance(value, np.ndarray):
            return plain(value.tolist())
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


# format_rate is defined on the ground floor (theorylab.verdicts) and re-exported here


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check (see the module docstring for each field's meaning)."""

    status: Status
    claimed: str
    found: str
    numbers: Mapping[str, Any] = field(default_factory=dict)
    counterexample: Mapping[str, Any] | str | None = None
    confidence: float | None = None
    needs: str | None = None
    notes: str = ""
    test: str | None = None
    tolerance: float | str | None = None
    #: the parts' own verdicts, for a verdict made by :func:`combine` (empty otherwise)
    parts: Mapping[str, "Verdict"] = field(default_factory=dict, compare=False)
    #: what decided it (``"sympy simplify"``, ``"z3 nonlinear real arithmetic"``, ``"exact rationals"``,
    #: ``"float64"``, ``"Monte Carlo"``, ``"assumed"``); empty when not stated
    engine: str = ""
    #: every assumption the decision relied on (named hypotheses, symbol signs, instance choices)
    assumptions_used: tuple[str, ...] = ()
    #: the domain conditions discharged on the way (denominators ≠ 0, log arguments > 0, ...)
    domain_conditions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status.parse(self.status))
        if self.status is Status.REFUTED and self.counterexample is None:
            raise ClaimError("a refuted verdict must carry its counterexample (counterexample=...)")
        if self.status is Status.INCONCLUSIVE and not self.needs:
            raise ClaimError("an inconclusive verdict must say what more is needed (needs=...)")
        if self.confidence is not None and not (0.0 < self.confidence <= 1.0):
            raise ClaimError(f"confidence must lie in (0, 1], got {self.confidence!r}")

    @property
    def ok(self) -> bool:
        """True for ``proved`` and ``holds``."""
        return self.status.ok

    @property
    def false_alarm(self) -> float | None:
        """The probability that this ``holds`` (or ``refuted``) is wrong, ``1 − confidence``;
        None for deterministic evidence."""
        return None if self.confidence is None else 1.0 - self.confidence

    def label(self) -> str:
        """The status with its evidence: ``holds (one-sided, false alarm ≤ 1e-06)``."""
        if self.status is not Status.HOLDS:
            return str(self.status.value)
        parts = []
        if self.test:
            parts.append(self.test)
        if self.tolerance is not None and not (self.test or "").startswith("exact on the instances"):
            tol = self.tolerance
            parts.append(f"tol {tol:g}" if isinstance(tol, (int, float))
                         else f"tol {tol}")
        if self.confidence is not None:
            parts.append(f"false alarm ≤ {format_rate(1.0 - self.confidence)}")
        elif not self.test:
            parts.append("deterministic")
        return f"holds ({', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "claimed": self.claimed,
            "found": self.found,
            "numbers": plain(dict(self.numbers)),
            "counterexample": plain(self.counterexample),
            "confidence": self.confidence,
            "false_alarm": self.false_alarm,
            "test": self.test,
            "tolerance": plain(self.tolerance),
            "needs": self.needs,
            "notes": self.notes,
            "engine": self.engine,
            "assumptions_used": list(self.assumptions_used),
            "domain_conditions": list(self.domain_conditions),
            **({"parts": {k: v.to_dict() for k, v in self.parts.items()}} if self.parts else {}),
        }


def proved(claimed: str, found: str, *, numbers: Mapping[str, Any] | None = None, notes: str = "",
           engine: str = "", assumptions_used: tuple[str, ...] = (), domain_conditions: tuple[str, ...] = ()) -> Verdict:
    """``proved``: the computation established the claim exactly, for every admissible value;
    ``engine`` names what decided it, ``assumptions_used`` every assumption it relied on."""
    return Verdict(Status.PROVED, claimed, found, numbers or {}, notes=notes, engine=engine,
                   assumptions_used=tuple(assumptions_used), domain_conditions=tuple(domain_conditions))


def holds(
    claimed: str,
    found: str,
    *,
    confidence: float | None,
    numbers: Mapping[str, Any] | None = None,
    notes: str = "",
    test: str | None = None,
    tolerance: float | str | None = None,
    engine: str = "",
    assumptions_used: tuple[str, ...] = (),
) -> Verdict:
    """``holds``: a test did not reject the claim; ``confidence = 1 − false-alarm`` (None:
    deterministic evidence), ``test`` names the test and ``tolerance`` an equivalence band (for
    deterministic evidence: the float tolerance of the comparison, ``0`` for exact arithmetic on
    finitely many instances)."""
    return Verdict(Status.HOLDS, claimed, found, numbers or {}, confidence=confidence, notes=notes, test=test,
                   tolerance=tolerance, engine=engine, assumptions_used=tuple(assumptions_used))


def exact_on_instances(claimed: str, found: str, instances: str, *, numbers: Mapping[str, Any] | None = None,
                       notes: str = "", engine: str = "exact rationals",
                       assumptions_used: tuple[str, ...] = ()) -> Verdict:
    """``holds (exact on the instances ...)``: decided exactly, but only on the finitely many
    ``instances`` named (``"K = 1, 2, 4, 8"``), so it is no proof for every admissible value."""
    return holds(claimed, found, confidence=None, numbers=numbers, notes=notes,
                 test=f"exact on the instances {instances}", tolerance=0, engine=engine,
                 assumptions_used=assumptions_used)


def refuted(
    claimed: str,
    found: str,
    *,
    counterexample: Mapping[str, Any] | str,
    numbers: Mapping[str, Any] | None = None,
    notes: str = "",
    confidence: float | None = None,
    test: str | None = None,
    tolerance: float | str | None = None,
) -> Verdict:
    """``refuted``: ``counterexample`` shows the claim false (at ``confidence`` if statistical)."""
    return Verdict(Status.REFUTED, claimed, found, numbers or {}, counterexample=counterexample, notes=notes,
                   confidence=confidence, test=test, tolerance=tolerance)


def inconclusive(
    claimed: str,
    found: str,
    *,
    needs: str,
    numbers: Mapping[str, Any] | None = None,
    notes: str = "",
    test: str | None = None,
    tolerance: float | str | None = None,
) -> Verdict:
    """``inconclusive``: undecided; ``needs`` says what more would decide it."""
    return Verdict(Status.INCONCLUSIVE, claimed, found, numbers or {}, needs=needs, notes=notes, test=test,
                   tolerance=tolerance)


def errored(claimed: str, message: str) -> Verdict:
    """``error``: the check raised ``message``."""
    return Verdict(Status.ERROR, claimed, message)


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
    test: str | None = None,
    tolerance: float | str | None = None,
) -> Verdict:
    """Pick the status from the outcome of a computation.

    ``ok`` is True (the claim survived), False (a counterexample was found; pass it) or
    None (undecided; say what is ``needs``-ed). ``exact`` selects ``proved`` over ``holds``
    for a surviving claim.
    """
    if ok is None:
        return inconclusive(claimed, found, needs=needs or "more samples", numbers=numbers, notes=notes, test=test,
                            tolerance=tolerance)
    if not ok:
        if counterexample is None:
            raise ClaimError("decide(ok=False) needs the counterexample")
        return refuted(claimed, found, counterexample=counterexample, numbers=numbers, notes=notes,
                       confidence=confidence, test=test, tolerance=tolerance)
    if exact:
        return proved(claimed, found, numbers=numbers, notes=notes)
    return holds(claimed, found, confidence=confidence, numbers=numbers, notes=notes, test=test, tolerance=tolerance)


def _prefixed(parts: Mapping[str, Verdict]) -> dict[str, Any]:
    """Each part's status by name, then every part's numbers prefixed by the part's name
    (``"DCSGD floor: estimate"``), so a joint verdict shows the evidence behind each part."""
    out: dict[str, Any] = {k: v.status.value for k, v in parts.items()}
    for k, v in parts.items():
        for key, val in v.numbers.items():
            out[f"{k}: {key}"] = val
    return out


def _joint_tolerance(parts: Mapping[str, Verdict]) -> float | str:
    """The tolerance of a joint deterministic ``holds``: the largest numeric tolerance of its
    ``holds`` parts (``0`` when each is exact on its instances); a part that states none is named
    (``"unstated (part X)"``) rather than hidden, and string tolerances are listed by part."""
    tols = {k: v.tolerance for k, v in parts.items() if v.status is Status.HOLDS}
    unstated = [k for k, t in tols.items() if t is None]
    if unstated:
        return f"unstated ({', '.join(unstated)})"
    if all(isinstance(t, (int, float)) for t in tols.values()):
        return max(float(t) for t in tols.values())  # type: ignore[arg-type]
    return "; ".join(f"{k}: {t}" for k, t in tols.items())


def combine(claimed: str, parts: Mapping[str, Verdict], *, notes: str = "") -> Verdict:
    """One verdict for a claim made of several parts (steps of a chain, rows of a table).

    The worst part wins: error > refuted > inconclusive > holds > proved. The counterexample,
    numbers and ``found`` text name the parts. A joint ``holds`` is wrong when any of its
    statistical parts is, so its false-alarm rate is the union bound ``Σ (1 − confidence_i)``
    (Bonferroni), never the largest part's; when that sum reaches 1 nothing is claimed jointly
    and the verdict is ``inconclusive``.

    The joint verdict keeps its parts' evidence: ``numbers`` holds each part's status by name,
    then each part's numbers prefixed by the part's name (``"DCSGD floor: estimate"``,
    ``"DCSGD floor: bound"``); ``notes`` adds each part's notes (prefixed); ``parts`` holds
    the parts' verdicts themselves (in the JSON report under ``"parts"``), so a ``holds`` can be
    audited part by part.
    """
    if not isinstance(claimed, str):
        raise ClaimError(f"combine: claimed must be a string, got {type(claimed).__name__}")
    if not isinstance(parts, Mapping):
        raise ClaimError(f"combine: parts must be a mapping {{name: Verdict}}, got {type(parts).__name__}")
    if not parts:
        raise ClaimError("combine needs at least one part")
    parts = dict(parts)
    wrong = [k for k, v in parts.items() if not isinstance(v, Verdict)]
    if wrong:
        raise ClaimError(f"combine: part {wrong[0]!r} is {type(parts[wrong[0]]).__name__}, not a Verdict")
    worst = min((v.status for v in parts.values()), key=lambda s: SEVERITY[s])
    counts = {s: sum(v.status == s for v in parts.values()) for s in STATUSES}
    found = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s]) + " of " + str(len(parts)) + " parts"
    bad = {k: v for k, v in parts.items() if v.status is worst}
    table = _prefixed(parts)
    part_notes = [f"{k}: {v.notes}" for k, v in parts.items() if v.notes and v.notes != notes]
    notes = "; ".join(([notes] if notes else []) + part_notes)

    def made(v: Verdict) -> Verdict:
        return Verdict(v.status, v.claimed, v.found, v.numbers, v.counterexample, v.confidence, v.needs, v.notes,
                       v.test, v.tolerance, parts)

    if worst is Status.REFUTED:
        found += "; refuted: " + "; ".join(f"{k}: {v.found}" for k, v in bad.items())
        cex = {k: plain(v.counterexample) for k, v in bad.items()}
        return made(refuted(claimed, found, counterexample=cex, numbers=table, notes=notes))
    if worst is Status.INCONCLUSIVE:
        needs = "; ".join(f"{k}: {v.needs}" for k, v in bad.items())
        return made(inconclusive(claimed, found, needs=needs, numbers=table, notes=notes))
    if worst is Status.ERROR:
        return made(Verdict(Status.ERROR, claimed, found + "; " + "; ".join(f"{k}: {v.found}" for k, v in bad.items()),
                            table, notes=notes))
    if worst is Status.HOLDS:
        rates = [1.0 - v.confidence for v in parts.values() if v.status is Status.HOLDS and v.confidence is not None]
        if not rates:  # deterministic evidence only: the label states the loosest tolerance of the parts
            return made(holds(claimed, found, confidence=None, numbers=table, notes=notes, test="deterministic parts",
                              tolerance=_joint_tolerance(parts)))
        total = math.fsum(rates)
        test = f"union bound over {len(rates)} statistical part{'s' if len(rates) > 1 else ''}"
        if total >= 1.0:
            return made(inconclusive(claimed, found + f"; the parts' false-alarm rates sum to {total:.3g}",
                                     needs="parts with smaller false-alarm rates (their union bound reaches 1)",
                                     numbers=table, notes=notes, test=test))
        return made(holds(claimed, found, confidence=1.0 - total, numbers=table, notes=notes, test=test))
    return made(proved(claimed, found, numbers=table, notes=notes))
