"""A rate as the slope of a log-log fit, with its interval.

The claim "``y`` scales as ``x^p``" is the equality claim "the slope of ``log y`` against
``log x`` is ``p``", checked by an equivalence test with a stated absolute tolerance ``tol``:

- ``y`` of shape ``(n,)``: ordinary least squares on ``(log x, log y)``; the slope's interval is
  Student-t with ``n − 2`` degrees of freedom from the residuals (valid when the deviations from
  the power law are independent noise; for deterministic data it measures the curvature of the
  log-log curve over the range, so a curved relation gets a wide, inconclusive interval);
- ``y`` of shape ``(R, n)`` (independent replicas, e.g. Monte Carlo runs at each ``x``): the
  slope of each replica, then a Student-t interval across the ``R`` slopes.

holds when the whole interval lies in ``[p − tol, p + tol]``, refuted when it lies outside,
otherwise inconclusive (:func:`theorylab.claims.interval_status`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from ..errors import InvalidParameterError
from .band import within
from .status import Status
from .verdict import Verdict, holds, inconclusive, refuted

__all__ = ["loglog_slope", "rate"]


def loglog_slope(x: Any, y: Any, confidence: float = 0.999) -> tuple[float, float, float, int]:
    """``(slope, lower, upper, n)``: the slope of ``log y`` on ``log x`` with its interval at
    ``confidence`` (see the module docstring); ``n`` is the number of points (1-D ``y``) or of
    replicas (2-D ``y``)."""
    if not 0 < confidence < 1:
        raise InvalidParameterError(f"confidence must be in (0, 1), got {confidence!r}")
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.ndim != 1 or ya.shape[-1:] != xa.shape or ya.ndim not in (1, 2):
        raise InvalidParameterError(f"x must be 1-D (n,) and y (n,) or (replicas, n); got {xa.shape} and {ya.shape}")
    if xa.size < 3:
        raise InvalidParameterError(f"a log-log fit needs at least 3 points, got {xa.size}")
    if np.any(~(xa > 0)) or np.any(~(ya > 0)):
        raise InvalidParameterError("a log-log fit needs x > 0 and y > 0 (finite)")
    lx, ly = np.log(xa), np.log(ya)
    cx = lx - lx.mean()
    sxx = float(cx @ cx)
    if sxx == 0:
        raise InvalidParameterError("the x values must not all be equal")
    q = 0.5 + confidence / 2
    if ly.ndim == 1:
        n = lx.size
        slope = float(cx @ (ly - ly.mean()) / sxx)
        resid = ly - ly.mean() - slope * cx
        se = math.sqrt(float(resid @ resid) / (n - 2) / sxx)
        half = float(stats.t.ppf(q, n - 2)) * se
        return slope, slope - half, slope + half, n
    slopes = (ly - ly.mean(axis=1, keepdims=True)) @ cx / sxx
    r = slopes.size
    if r < 2:
        raise InvalidParameterError("an interval across replicas needs at least 2 replicas")
    m = float(slopes.mean())
    half = float(stats.t.ppf(q, r - 1)) * float(slopes.std(ddof=1)) / math.sqrt(r)
    return m, m - half, m + half, r


def rate(x: Any, y: Any, claimed: float | str, *, tol: float, confidence: float = 0.999,
         what: str = "y", against: str = "x") -> Verdict:
    """Verdict on "``what`` ∝ ``against``^claimed" from the log-log slope (see the module docstring).

    ``claimed`` is a number or an exact string (``"-1/2"``); ``tol`` the absolute tolerance on
    the slope; ``confidence = 1 − false-alarm rate``.
    """
    import sympy as sp

    p = float(sp.Rational(claimed) if isinstance(claimed, str) else claimed)
    slope, lo, hi, n = loglog_slope(x, y, confidence)
    band = within(p, atol=tol)
    claim = f"{what} ∝ {against}^{claimed} (slope of the log-log fit within ±{tol:g})"
    kind = "replicas" if np.asarray(y).ndim == 2 else "points"
    found = f"slope {slope:.4g} [{lo:.4g}, {hi:.4g}] ({100 * confidence:g}% interval, {n} {kind})"
    nums = {"slope": slope, "lower": lo, "upper": hi, "claimed": p, kind: n}
    status = band.status(lo, hi)
    # across replicas the interval is a calibrated Student-t one; on one series it rests on the
    # residuals around the fitted line (say so: for deterministic data it measures curvature)
    test = "equivalence" if kind == "replicas" else "equivalence, OLS residual interval"
    if status is Status.HOLDS:
        return holds(claim, found, confidence=confidence, numbers=nums, test=test, tolerance=tol)
    if status is Status.REFUTED:
        return refuted(claim, found, counterexample={"slope": slope, "interval": [lo, hi], "band": [band.low, band.high]},
                       numbers=nums, confidence=confidence, test=test, tolerance=tol)
    return inconclusive(claim, found, needs="more points or replicas, or a wider range of x (the interval straddles "
                        "the tolerance band)", numbers=nums, test=test, tolerance=tol)
