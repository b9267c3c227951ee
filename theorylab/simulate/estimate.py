"""Estimates with confidence intervals from a :class:`~theorylab.simulate.record.Trajectory`.

- :func:`mean_curve`: ``E[f(x_k)] − f*`` at the record steps, with a Student-t interval over
  the independent replicas (replicas are independent; steps are not, so no pooling over time).
- :func:`stationary_level`: the stationary mean gap. Burn-in is detected by MSER (White 1997:
  the truncation ``j`` minimising ``Σ_{b≥j}(y_b − ȳ_j)²/(n − j)²`` over the replica-averaged
  block means ``y_b``, ``j ≤ n/2``) unless stated. Then each replica's time average after
  burn-in is one independent sample and the interval is Student-t across replicas; with fewer
  than 5 replicas the time averages of the replica-averaged series are grouped into 10 batch
  means instead (autocorrelation handled by batching, lag-1 correlation reported).
- Stationarity: the kept stretch is split in halves; if their means differ at the two-sided
  1e-3 level (paired over the independent replicas) *and* by more than the interval's
  half-width (the drift matters at the estimate's resolution), the estimate is flagged
  ``stationary=False`` and no verdict is drawn from it; a significant but smaller drift is
  only reported. A kept stretch too short for this test (fewer than 4 blocks, i.e. a run of a
  handful of steps) cannot show that the run has settled: it is flagged ``stationary=False``
  too ("too short to reach stationarity"), so that no verdict is drawn from a transient.

Heavy tails: when the noise has no variance (``ν ≤ 2``) the stationary mean may be infinite and a
t-interval means nothing. Each estimate reports ``top_share``, the share of the largest replica
in the sum; a share well above ``1/R`` says the mean is dominated by a few replicas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ..errors import InvalidParameterError
from .record import Trajectory

__all__ = ["Curve", "Estimate", "mean_curve", "stationary_level", "mser_truncation", "t_interval"]


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise InvalidParameterError(f"confidence must be in (0, 1), got {confidence}")


def t_interval(samples: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """``(mean, lower, upper, n)`` of the Student-t interval of independent ``samples`` (NaN dropped)."""
    _check_confidence(confidence)
    x = np.asarray(samples, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(x.mean())
    if n == 1:
        return m, -math.inf, math.inf, 1
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half, n


@dataclass(frozen=True)
class Curve:
    """Mean gap at ``times`` (``steps``) with a pointwise ``confidence`` interval ``[lower, upper]``."""

    steps: np.ndarray
    times: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: np.ndarray
    confidence: float

    def describe(self, max_points: int | None = None) -> dict[str, Any]:
        idx = np.arange(len(self.steps))
        if max_points is not None and len(idx) > max_points:
            idx = np.unique(np.round(np.linspace(0, len(idx) - 1, max_points)).astype(int))

        def lst(a: np.ndarray) -> list:
            return [None if not np.isfinite(v) else float(v) for v in a[idx]]

        return {"steps": [int(s) for s in self.steps[idx]], "times": lst(self.times), "mean": lst(self.mean),
                "lower": lst(self.lower), "upper": lst(self.upper), "confidence": self.confidence}


def mean_curve(traj: Trajectory, confidence: float = 0.95) -> Curve:
    """Pointwise t-intervals of the mean gap over the surviving replicas."""
    _check_confidence(confidence)
    vals = traj.values[:, traj.alive]
    n = vals.shape[1]
    mean = vals.mean(axis=1) if n else np.full(len(traj.steps), np.nan)
    if n >= 2:
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * vals.std(axis=1, ddof=1) / math.sqrt(n)
    else:
        half = np.full(len(traj.steps), np.inf)
    return Curve(traj.steps, traj.times, mean, mean - half, mean + half, np.full(len(traj.steps), n), confidence)


def mser_truncation(y: np.ndarray, max_fraction: float = 0.5) -> int:
    """MSER truncation index of the series ``y``: ``argmin_{j ≤ max_fraction·n} Σ_{b≥j}(y_b − ȳ_j)²/(n−j)²``."""
    y = np.asarray(y, dtype=float)
    n = y.size
    if n < 4:
        return 0
    jmax = max(1, int(max_fraction * n))
    best, arg = math.inf, 0
    # suffix sums for O(n)
    s1 = np.cumsum(y[::-1])[::-1]
    s2 = np.cumsum((y * y)[::-1])[::-1]
    for j in range(jmax + 1):
        m = n - j
        ss = s2[j] - s1[j] ** 2 / m
        val = ss / (m * m)
        if val < best:
            best, arg = val, j
    return arg


@dataclass(frozen=True)
class Estimate:
    """A stationary-level estimate: ``value`` with ``[lower, upper]`` at ``confidence``.

    ``burn_in`` (steps discarded) and ``burn_in_detected`` (MSER, or stated by the caller);
    ``method``: ``"replicas"`` or ``"batch-means"``; ``n``: number of independent samples used;
    ``median``: median of the per-replica time averages; ``top_share``: largest replica's share
    of the total (heavy-tail diagnostic); ``lag1``: lag-1 autocorrelation of the batch means
    (batch-means method only); ``warnings``: what the reader must know; ``stationary``: False
    when the mean still drifts after burn-in: the first and second halves of the kept stretch
    differ at the two-sided 1e-3 level (paired over replicas) and by more than the interval's
    half-width, i.e. the run has not settled at the estimate's resolution; also False when the
    kept stretch is too short for that test (fewer than 4 blocks).
    """

    value: float
    lower: float
    upper: float
    confidence: float
    n: int
    method: str
    burn_in: int
    burn_in_detected: bool
    median: float
    top_share: float
    lag1: float | None
    warnings: tuple[str, ...]
    stationary: bool = True

    def describe(self) -> dict[str, Any]:
        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {"value": num(self.value), "lower": num(self.lower), "upper": num(self.upper),
                "confidence": self.confidence, "n": self.n, "method": self.method, "burn_in_steps": self.burn_in,
                "burn_in_detected": self.burn_in_detected, "median": num(self.median),
                "top_share": num(self.top_share), "lag1": num(self.lag1), "warnings": list(self.warnings),
                "stationary": self.stationary}

    def __str__(self) -> str:
        return (f"{self.value:.6g} [{self.lower:.6g}, {self.upper:.6g}] ({100 * self.confidence:g}% CI, "
                f"{self.method}, n={self.n}, burn-in {self.burn_in} steps"
                f"{' detected' if self.burn_in_detected else ' stated'})")


TREND_Z = float(stats.norm.ppf(1 - 0.5e-3))  # two-sided 1e-3 false-alarm rate of the drift test


def _halves_z(sums: np.ndarray, counts: np.ndarray) -> tuple[float, float] | None:
    """``(z, drift)``: first-half mean − second-half mean of the post-burn-in blocks and its z statistic.

    With at least 5 replicas: paired across independent replicas (exact standard error).
    Otherwise: the replica-averaged block means of each half, Welch's z with the blocks as
    samples (blocks are autocorrelated, so this is only indicative). None when too short.
    """
    nb = sums.shape[0]
    if nb < 4:
        return None
    h = nb // 2
    a = sums[:h].sum(0) / counts[:h].sum(0)
    b = sums[nb - h:].sum(0) / counts[nb - h:].sum(0)
    if a.size >= 5:
        diff = a - b
        sd = diff.std(ddof=1)
        return (float(diff.mean() / (sd / math.sqrt(diff.size))) if sd > 0 else 0.0), float(diff.mean())
    m = (sums / counts).mean(axis=1)
    sa, sb = m[:h], m[nb - h:]
    se = math.sqrt(sa.var(ddof=1) / sa.size + sb.var(ddof=1) / sb.size)
    drift = float(sa.mean() - sb.mean())
    return (drift / se if se > 0 else 0.0), drift


def stationary_level(traj: Trajectory, confidence: float = 0.95, burn_in: int | float | None = None,
                     batches: int = 10) -> Estimate:
    """The stationary mean gap of ``traj`` with its interval (see the module docstring).

    ``burn_in``: None = detect (MSER); an int = steps to discard; a float in ``[0, 1)`` = the
    fraction of the run to discard.
    """
    _check_confidence(confidence)
    edges = traj.block_edges
    means = traj.block_means[:, traj.alive]
    counts = traj.block_counts[:, traj.alive]
    sums = traj.block_sums[:, traj.alive]
    warnings: list[str] = []
    if traj.divergence.diverged:
        warnings.append(traj.divergence.message())
    n_alive = means.shape[1]
    if n_alive == 0:
        return Estimate(math.nan, math.nan, math.nan, confidence, 0, "none", 0, False, math.nan, math.nan, None,
                        tuple(warnings + ["every replica diverged: no estimate"]))
    nb = means.shape[0]
    stationary = True
    if burn_in is None:
        j = mser_truncation(means.mean(axis=1))
        detected = True
        if j >= int(0.5 * nb):
            warnings.append("burn-in detection hit its limit (half the run)")
    else:
        if isinstance(burn_in, float) and not isinstance(burn_in, bool) and 0 <= burn_in < 1:
            steps_out = int(round(burn_in * traj.n_steps))
        elif int(burn_in) == burn_in and 0 <= burn_in < traj.n_steps:
            steps_out = int(burn_in)
        else:
            raise InvalidParameterError(
                f"burn_in must be None, a step count in [0, {traj.n_steps}) or a fraction in [0, 1), got {burn_in}")
        j = min(int(np.searchsorted(edges[:-1], steps_out, side="left")), nb - 1)
        detected = False
    burn = int(edges[j])
    per_rep = sums[j:].sum(axis=0) / counts[j:].sum(axis=0)
    trend = _halves_z(sums[j:], counts[j:])
    if trend is None:  # too few blocks to test for a drift: stationarity is not established
        stationary = False
        warnings.append(f"too short to reach stationarity: {nb - j} block(s) after burn-in, the drift test "
                        "needs 4; run longer")
    total = float(np.sum(np.abs(per_rep)))
    top_share = float(np.max(np.abs(per_rep)) / total) if total > 0 else math.nan
    median = float(np.median(per_rep))
    lag1 = None
    if n_alive >= 5:
        value, lo, hi, n = t_interval(per_rep, confidence)
        method = "replicas"
        if n_alive >= 20 and top_share > 10.0 / n_alive:
            warnings.append(f"the largest replica carries {100 * top_share:.3g}% of the total: heavy tails, "
                            "the mean may not exist and the interval is not reliable")
    else:
        series = means[j:].mean(axis=1)
        w = counts[j:, 0]
        nbat = min(batches, series.size)
        if nbat < 2:
            return Estimate(float(series.mean()), -math.inf, math.inf, confidence, 1, "batch-means", burn,
                            detected, median, top_share, None,
                            tuple(warnings + ["too few blocks after burn-in for an interval"]), stationary)
        groups = np.array_split(np.arange(series.size), nbat)
        bm = np.array([np.average(series[g], weights=w[g]) for g in groups])
        value, lo, hi, n = t_interval(bm, confidence)
        value = float(np.average(series, weights=w))
        method = "batch-means"
        if bm.size >= 3:
            c = bm - bm.mean()
            lag1 = float(np.sum(c[1:] * c[:-1]) / np.sum(c * c)) if np.sum(c * c) > 0 else 0.0
            if lag1 > 0.3:
                warnings.append(f"batch means are correlated (lag-1 {lag1:.2f}): the interval is too narrow; "
                                "run longer or use more replicas")
    if trend is not None and abs(trend[0]) > TREND_Z:
        z, drift = trend
        if abs(drift) > 0.5 * (hi - lo):  # the drift matters at the resolution of the estimate
            stationary = False
            warnings.append(f"the mean still drifts after burn-in (first minus second half {drift:.3g}, z = {z:.1f}, "
                            "larger than the interval's half-width): not stationary, run longer")
        else:
            warnings.append(f"a small drift after burn-in is detectable (first minus second half {drift:.3g}, "
                            f"z = {z:.1f}) but below the interval's half-width")
    return Estimate(value, lo, hi, confidence, n, method, burn, detected, median, top_share, lag1, tuple(warnings),
                    stationary)
