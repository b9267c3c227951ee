"""Bound verdicts: does a simulation respect a bound? (the PEPit contract: show the estimate,
its interval and the bound, then decide).

For an upper bound ``b`` on ``E[f − f*]`` and an interval ``[lo, hi]`` at confidence ``c``, the
decision is :func:`theorylab.verdicts.interval_status` against the band ``(−∞, b]``:

- ``Status.HOLDS`` (``"holds"``) when ``hi ≤ b``;
- ``Status.REFUTED`` (``"refuted"``: the bound is exceeded) when ``b < lo``;
- ``Status.INCONCLUSIVE`` otherwise (more samples would decide), and always when the stationary
  estimate is flagged as not stationary (run longer).

Two runs say nothing about a level, and :func:`run_state` with :func:`decide` (the one place
that decides) says so before any interval is read:

- **diverged** (every replica diverged, :mod:`theorylab.simulate.record`; or, for exact moments,
  a spectral radius ≥ 1): the level is infinite, so an upper bound is exceeded: ``refuted``,
  with the step of divergence;
- **never moved** (every recorded gap equals the starting gap to a relative ``1e-12``, and the
  starting gap is not 0, e.g. ``η = 1e-300``): the run has not left its start, so it is not
  settled: ``inconclusive``, whatever the interval says;
- **some replicas diverged**: they are excluded from the statistics, which then cannot show that
  the bound *holds* (``holds`` becomes ``inconclusive``; ``refuted`` stays).

A wrong verdict has probability at most ``1 − c`` (one-sided: ``(1 − c)/2``) when the interval
is valid. Along a trajectory (:func:`trajectory_verdict`) the per-point intervals are widened
by Bonferroni so that the *whole* curve's verdict has false-alarm rate ``≤ 1 − c``. Points
where every replica has the same value (``t = 0``) have an interval of zero width (up to
rounding); there a bound equal to the value within the relative tolerance ``rtol`` "holds"
(the bound is attained, as Theorems 3 and 4 are at ``t = 0``).
"""

from __future__ import annotations

import math
import sys
import types
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ..errors import InvalidParameterError
from ..verdicts import Status, format_rate, interval_status
from .estimate import Estimate
from .record import Trajectory

__all__ = ["BoundVerdict", "TrajectoryVerdict", "bound_verdict", "trajectory_verdict", "HOLDS", "VIOLATED",
           "INCONCLUSIVE", "RunState", "run_state", "decide"]

# the statuses of theorylab.claims (kept under these names for existing callers)
HOLDS = Status.HOLDS
VIOLATED = Status.REFUTED  # a bound that is exceeded is refuted
INCONCLUSIVE = Status.INCONCLUSIVE


def _label(status: Status, confidence: float, test: str) -> str:
    """``holds (one-sided, false alarm ≤ 0.05)``; the bare word when undecided."""
    if status in (Status.HOLDS, Status.REFUTED) and confidence >= 1:
        return f"{status.value} (exact values: no sampling, no false alarm)"
    if status in (Status.HOLDS, Status.REFUTED):
        return f"{status.value} ({test}, false alarm ≤ {format_rate(1 - confidence)})"
    return status.value


@dataclass(frozen=True)
class RunState:
    """What a run says before any comparison: ``kind`` is ``"diverged"`` (the level is infinite),
    ``"never moved"``, ``"partly diverged"`` or ``"ok"``; ``step``: the first step of divergence."""

    kind: str
    step: int | None = None
    detail: str = ""


def run_state(traj: Trajectory | None, rtol: float = 1e-12) -> RunState:
    """Classify ``traj`` (see the module docstring); ``RunState("ok")`` for None."""
    if traj is None:
        return RunState("ok")
    div = getattr(traj, "divergence", None)  # a duck-typed record (times, values, alive) has no divergence report
    vals = traj.values[:, traj.alive]
    if vals.size and getattr(traj, "n_steps", len(vals) - 1) >= 1 and np.all(np.isfinite(vals)):  # before divergence: exact ρ = 1 at η ≈ 0
        start = vals[0]
        if np.any(start != 0) and np.all(np.abs(vals - start) <= rtol * np.abs(start)):
            return RunState("never moved", None, f"every recorded gap equals the starting gap {float(np.max(start)):.6g} "
                            f"over {traj.n_steps} steps: the run never left its start (raise eta or steps)")
    if div is None:
        return RunState("ok")
    if div.diverged and div.count >= traj.replicas:
        return RunState("diverged", div.first_step, div.message())
    if div.diverged:
        return RunState("partly diverged", div.first_step, div.message())
    return RunState("ok")


def decide(status: Status, state: RunState) -> tuple[Status, str]:
    """The verdict on a bound given the interval's ``status`` and the run's ``state``, with the note
    that explains an override (the rules of the module docstring; the one place they live)."""
    if state.kind == "diverged":
        where = f" at step {state.step}" if state.step is not None else ""
        return Status.REFUTED, f"the level is infinite: the run diverged{where} ({state.detail})"
    if state.kind == "never moved":
        return Status.INCONCLUSIVE, f"not settled: {state.detail}"
    if state.kind == "partly diverged" and status is Status.HOLDS:
        return Status.INCONCLUSIVE, f"cannot hold: {state.detail}"
    return status, ""


@dataclass(frozen=True)
class BoundVerdict:
    """Outcome of comparing an estimate ``[lower, upper]`` with a ``bound``."""

    status: Status
    estimate: float
    lower: float
    upper: float
    bound: float
    confidence: float
    name: str = "bound"
    note: str = ""

    @property
    def ratio(self) -> float:
        """``estimate / bound``."""
        return self.estimate / self.bound if self.bound else math.nan

    def describe(self) -> dict[str, Any]:
        return {"status": self.status.value, "test": "one-sided", "false_alarm": 1 - self.confidence,
                "estimate": self.estimate, "lower": self.lower, "upper": self.upper,
                "bound": self.bound, "confidence": self.confidence, "name": self.name, "ratio": self.ratio,
                "note": self.note}

    def __str__(self) -> str:
        if self.note:
            return f"{self.name}: {self.status.value} — {self.note}; bound {self.bound:.6g}"
        return (f"{self.name}: {_label(self.status, self.confidence, 'one-sided')} — estimate {self.estimate:.6g}, "
                f"{100 * self.confidence:g}% interval "
                f"[{self.lower:.6g}, {self.upper:.6g}], bound {self.bound:.6g} (estimate/bound {self.ratio:.4g})")


def _status(lo: float, hi: float, bound: float, rtol: float) -> Status:
    if math.isnan(lo) or math.isnan(hi):
        return Status.INCONCLUSIVE
    mid = 0.5 * (lo + hi)
    if hi - lo <= 2 * rtol * abs(mid) and math.isclose(bound, mid, rel_tol=rtol, abs_tol=0.0):
        return Status.HOLDS  # a deterministic point (t = 0) equal to the bound up to rounding
    return interval_status(lo, hi, high=bound)


def bound_verdict(estimate: Estimate, bound: float, name: str = "bound", rtol: float = 1e-9,
                  run: Trajectory | None = None) -> BoundVerdict:
    """Compare a stationary :class:`Estimate` with the bound's value (see the module docstring);
    ``run``: the trajectory behind the estimate, for the rules of :func:`decide`."""
    if not isinstance(bound, (int, float, np.floating)) or math.isnan(bound):
        raise InvalidParameterError(f"bound must be a number, got {bound!r}")
    if math.isnan(estimate.value) or not estimate.stationary:  # no estimate, or the run had not settled
        status = Status.INCONCLUSIVE
    else:
        status = _status(estimate.lower, estimate.upper, float(bound), rtol)
    status, note = decide(status, run_state(run))
    return BoundVerdict(status, estimate.value, estimate.lower, estimate.upper, float(bound),
                        estimate.confidence, name, note)


@dataclass(frozen=True)
class TrajectoryVerdict:
    """A bound checked at every record time, with a joint (Bonferroni) confidence.

    ``status``: ``refuted`` if the bound is below the interval at some time, ``holds`` if it
    is above at every time, else ``inconclusive``. ``statuses``: per time. ``first_violation``:
    the first time where it is violated (None if never); ``worst_ratio``: max of mean/bound.
    """

    status: Status
    times: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    bound: np.ndarray
    statuses: tuple[Status, ...]
    confidence: float
    first_violation: float | None
    worst_ratio: float
    name: str = "bound"
    note: str = ""

    def counts(self) -> dict[str, int]:
        return {s.value: self.statuses.count(s) for s in (HOLDS, VIOLATED, INCONCLUSIVE)}

    def describe(self) -> dict[str, Any]:
        return {"status": self.status.value, "test": "one-sided, Bonferroni over the record times",
                "false_alarm": 1 - self.confidence, "confidence": self.confidence, "first_violation_time": self.first_violation,
                "worst_mean_over_bound": self.worst_ratio, "counts": self.counts(), "name": self.name,
                "points": len(self.times), "note": self.note}

    def __str__(self) -> str:
        c = self.counts()
        s = (f"{self.name} along the trajectory: "
             f"{_label(self.status, self.confidence, 'one-sided, Bonferroni over the record times')} "
             f"(joint {100 * self.confidence:g}% over "
             f"{len(self.times)} times: {c['holds']} hold, {c['refuted']} refuted, {c['inconclusive']} inconclusive; "
             f"max mean/bound {self.worst_ratio:.4g}")
        if self.first_violation is not None:
            s += f"; first violation at t = {self.first_violation:.4g}"
        return s + ")" + (f"; {self.status.value}: {self.note}" if self.note else "")


def skew_widening(vals: np.ndarray, q: float) -> np.ndarray:
    """Second-order widening of a t quantile ``q`` for the mean of skewed samples (rows of ``vals``:
    one time, columns: replicas): ``|γ̂| (2q² + 1) / (6√n)``, the size of the Edgeworth (Hall 1992)
    skewness term of the studentised mean, added on both sides (conservative). It vanishes as
    ``n`` grows or for symmetric laws; at the far tails a Bonferroni band over many times uses
    (``q`` ≈ 3.5), the gaps' right skew makes the plain t band miss the mean from above (measured:
    81% joint coverage for a nominal 95% band over 30 times with 20 replicas)."""
    n = vals.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows of equal values (t = 0): skewness undefined
        g = stats.skew(vals, axis=1, bias=False) if n >= 3 else np.zeros(vals.shape[0])
    g = np.where(np.isfinite(g), np.abs(g), 0.0)
    return g * (2 * q * q + 1) / (6 * math.sqrt(n))


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
        q = float(stats.t.ppf(0.5 + per_point / 2, n - 1))
        sd = vals.std(axis=1, ddof=1)
        half = (q + skew_widening(vals, q)) * sd / math.sqrt(n)
    else:
        half = np.full(p, np.inf)
    lo, hi = mean - half, mean + half
    statuses = tuple(_status(float(lo[i]), float(hi[i]), float(b[i]), rtol) for i in range(p))
    viol = [i for i, s in enumerate(statuses) if s == VIOLATED]
    status = Status.REFUTED if viol else (Status.HOLDS if all(s is Status.HOLDS for s in statuses)
                                          else Status.INCONCLUSIVE)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every replica diverged: an all-NaN mean
        ratio = float(np.nanmax(mean / b)) if p else math.nan
    first = float(traj.times[viol[0]]) if viol else None
    state = run_state(traj)
    status, note = decide(status, state)
    if state.kind == "diverged" and first is None and state.step is not None:
        first = float(state.step * (traj.times[-1] / traj.steps[-1] if traj.steps[-1] else 1.0))
    return TrajectoryVerdict(status, traj.times.copy(), mean, lo, hi, b, statuses, confidence, first, ratio, name, note)


# Former names, kept for existing callers inside the package (``from .verdict import verdict``).
# ``theorylab.simulate`` exports only the new names, so that ``theorylab.simulate.verdict`` is
# this module; the module is callable (forwarding to :func:`bound_verdict`) so that old code
# calling ``theorylab.simulate.verdict(estimate, bound)`` keeps working.
Verdict = BoundVerdict
verdict = bound_verdict


class _CallableModule(types.ModuleType):
    def __call__(self, estimate: Estimate, bound: float, name: str = "bound", rtol: float = 1e-9,
                 run: Trajectory | None = None) -> BoundVerdict:
        return bound_verdict(estimate, bound, name, rtol, run)


sys.modules[__name__].__class__ = _CallableModule
