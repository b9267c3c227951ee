"""Verdicts: does a simulation respect a bound? (the PEPit contract: show the estimate, its
interval and the bound, then decide).

For an upper bound ``b`` on ``E[f − f*]`` and an interval ``[lo, hi]`` at confidence ``c``:

- ``"holds"`` when ``b > hi``;
- ``"violated"`` when ``b < lo``;
- ``"inconclusive, need more samples"`` otherwise, and always when the stationary estimate
  is flagged as not stationary (run longer).

A wrong verdict has probability at most ``1 − c`` (one-sided: ``(1 − c)/2``) when the interval
is valid. Along a trajectory (:func:`trajectory_verdict`) the per-point intervals are widened
by Bonferroni so that the *whole* curve's verdict has false-alarm rate ``≤ 1 − c``. Points
where every replica has the same value (``t = 0``) have an interval of zero width (up to
rounding); there a bound equal to the value within the relative tolerance ``rtol`` "holds"
(the bound is attained, as Theorems 3 and 4 are at ``t = 0``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ..errors import InvalidParameterError
from .estimate import Estimate
from .record import Trajectory

__all__ = ["Verdict", "TrajectoryVerdict", "verdict", "trajectory_verdict", "HOLDS", "VIOLATED", "INCONCLUSIVE"]

HOLDS = "holds"
VIOLATED = "violated"
INCONCLUSIVE = "inconclusive, need more samples"


@dataclass(frozen=True)
class Verdict:
    """Outcome of comparing an estimate ``[lower, upper]`` with a ``bound``."""

    status: str
    estimate: float
    lower: float
    upper: float
    bound: float
    confidence: float
    name: str = "bound"

    @property
    def ratio(self) -> float:
        """``estimate / bound``."""
        return self.estimate / self.bound if self.bound else math.nan

    def describe(self) -> dict[str, Any]:
        return {"status": self.status, "estimate": self.estimate, "lower": self.lower, "upper": self.upper,
                "bound": self.bound, "confidence": self.confidence, "name": self.name, "ratio": self.ratio}

    def __str__(self) -> str:
        return (f"{self.name}: {self.status} — estimate {self.estimate:.6g}, {100 * self.confidence:g}% interval "
                f"[{self.lower:.6g}, {self.upper:.6g}], bound {self.bound:.6g} (estimate/bound {self.ratio:.4g})")


def _status(lo: float, hi: float, bound: float, rtol: float) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return INCONCLUSIVE
    mid = 0.5 * (lo + hi)
    if hi - lo <= 2 * rtol * abs(mid) and math.isclose(bound, mid, rel_tol=rtol, abs_tol=0.0):
        return HOLDS  # a deterministic point (t = 0) equal to the bound up to rounding
    if bound > hi:
        return HOLDS
    if bound < lo:
        return VIOLATED
    return INCONCLUSIVE


def verdict(estimate: Estimate, bound: float, name: str = "bound", rtol: float = 1e-9) -> Verdict:
    """Compare a stationary :class:`Estimate` with the bound's value (see the module docstring)."""
    if not isinstance(bound, (int, float, np.floating)) or math.isnan(bound):
        raise InvalidParameterError(f"bound must be a number, got {bound!r}")
    if math.isnan(estimate.value) or not estimate.stationary:  # no estimate, or the run had not settled
        return Verdict(INCONCLUSIVE, estimate.value, estimate.lower, estimate.upper, float(bound),
                       estimate.confidence, name)
    return Verdict(_status(estimate.lower, estimate.upper, float(bound), rtol), estimate.value, estimate.lower,
                   estimate.upper, float(bound), estimate.confidence, name)


@dataclass(frozen=True)
class TrajectoryVerdict:
    """A bound checked at every record time, with a joint (Bonferroni) confidence.

    ``status``: ``"violated"`` if the bound is below the interval at some time, ``"holds"`` if it
    is above at every time, else inconclusive. ``statuses``: per time. ``first_violation``:
    the first time where it is violated (None if never); ``worst_ratio``: max of mean/bound.
    """

    status: str
    times: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    bound: np.ndarray
    statuses: tuple[str, ...]
    confidence: float
    first_violation: float | None
    worst_ratio: float
    name: str = "bound"

    def counts(self) -> dict[str, int]:
        return {s: self.statuses.count(s) for s in (HOLDS, VIOLATED, INCONCLUSIVE)}

    def describe(self) -> dict[str, Any]:
        return {"status": self.status, "confidence": self.confidence, "first_violation_time": self.first_violation,
                "worst_mean_over_bound": self.worst_ratio, "counts": self.counts(), "name": self.name,
                "points": len(self.times)}

    def __str__(self) -> str:
        c = self.counts()
        s = (f"{self.name} along the trajectory: {self.status} (joint {100 * self.confidence:g}% over "
             f"{len(self.times)} times: {c[HOLDS]} hold, {c[VIOLATED]} violated, {c[INCONCLUSIVE]} inconclusive; "
             f"max mean/bound {self.worst_ratio:.4g}")
        if self.first_violation is not None:
            s += f"; first violation at t = {self.first_violation:.4g}"
        return s + ")"


def trajectory_verdict(traj: Trajectory, bound_values: np.ndarray, confidence: float = 0.95,
                       name: str = "bound", rtol: float = 1e-9) -> TrajectoryVerdict:
    """Check ``bound_values`` (the bound at ``traj.times``) against the mean gap at every record time."""
    if not 0 < confidence < 1:
        raise InvalidParameterError(f"confidence must be in (0, 1), got {confidence}")
    b = np.asarray(bound_values, dtype=float)
    if b.shape != traj.times.shape:
        raise InvalidParameterError(f"bound_values must have shape {traj.times.shape}, got {b.shape}")
    vals = traj.values[:, traj.alive]
    n = vals.shape[1]
    p = len(traj.times)
    per_point = 1 - (1 - confidence) / p
    mean = vals.mean(axis=1) if n else np.full(p, np.nan)
    if n >= 2:
        half = stats.t.ppf(0.5 + per_point / 2, n - 1) * vals.std(axis=1, ddof=1) / math.sqrt(n)
    else:
        half = np.full(p, np.inf)
    lo, hi = mean - half, mean + half
    statuses = tuple(_status(float(lo[i]), float(hi[i]), float(b[i]), rtol) for i in range(p))
    viol = [i for i, s in enumerate(statuses) if s == VIOLATED]
    if viol:
        status = VIOLATED
    elif all(s == HOLDS for s in statuses):
        status = HOLDS
    else:
        status = INCONCLUSIVE
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.nanmax(mean / b)) if p else math.nan
    return TrajectoryVerdict(status, traj.times.copy(), mean, lo, hi, b, statuses, confidence,
                             float(traj.times[viol[0]]) if viol else None, ratio, name)
