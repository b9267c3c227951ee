"""A rate as the slope of a log-log fit, with its interval.

The claim "``y`` scales as ``x^p``" is the equality claim "the slope of ``log y`` against
``log x`` is ``p``", checked by an equivalence test with a stated absolute tolerance ``tol``:

- ``y`` of shape ``(n,)``: ordinary least squares on ``(log x, log y)``; the slope's interval is
  Student-t with ``n − 2`` degrees of freedom from the residuals (valid when the deviations from
  the power law are independent noise; for deterministic data it measures the curvature of the
  log-log curve over the range, so a curved relation gets a wide, inconclusive interval);
- ``y`` of shape ``(R, n)`` (independent replicas, e.g. Monte Carlo runs at each ``x``), the
  default ``estimate="mean"``: the claim is about the mean, ``E[y] ∝ x^p``, so the estimate is
  the slope of ``log ȳ_j`` (``ȳ_j`` the mean over replicas at ``x_j``) on ``log x_j``,

      ŝ = Σ_j c_j (log ȳ_j + s_j²/(2R ȳ_j²)) / Σ_j c_j²,   c_j = log x_j − mean(log x),

  with the second-order bias of ``log ȳ_j`` (``−s_j²/(2R ȳ_j²)``, ``s_j`` the sample standard
  deviation) corrected. Its interval is the delta method: ``ŝ`` is, to first order, the mean
  over replicas of ``z_r = Σ_j c_j (y_rj − ȳ_j)/ȳ_j / Σ_j c_j²`` plus a constant, so
  ``ŝ ± t_{R−1} · sd(z)/√R`` (the replicas' pairing across ``x``, common random numbers, is
  kept, so correlated columns are handled). The interval is asymptotic in ``R`` (it needs
  enough replicas for ``ȳ_j`` to be near normal; its coverage is tested at 80 % and 99.9 %).
- ``estimate="per-replica"``: the slope of each replica's ``log y``, then a Student-t interval
  across the ``R`` slopes. This estimates ``E[slope of log y] = Σ_j c_j E[log y_j] / Σ c_j²``,
  which equals the slope of ``log E[y]`` only when the law of ``y/E[y]`` is the same at every
  ``x``: by Jensen, ``E[log y_j] ≈ log E[y_j] − CV_j²/2``, so a coefficient of variation
  ``CV_j`` that changes with ``x`` tilts it (a spread falling from 0.34 to 0.13 over the range
  biases the slope by several hundredths). Use it for a claim about the typical run (the
  geometric mean), not about the mean.

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

__all__ = ["loglog_slope", "rate", "ESTIMATES"]


ESTIMATES: tuple[str, ...] = ("mean", "per-replica")


def loglog_slope(x: Any, y: Any, confidence: float = 0.999, *,
                 estimate: str = "mean") -> tuple[float, float, float, int]:
    """``(slope, lower, upper, n)``: the slope of ``log y`` on ``log x`` with its interval at
    ``confidence`` (see the module docstring); ``n`` is the number of points (1-D ``y``) or of
    replicas (2-D ``y``). For 2-D ``y``, ``estimate="mean"`` (default) is the slope of
    ``log E[y]`` and ``"per-replica"`` the mean of the replicas' slopes, ``E[slope of log y]``."""
    if not 0 < confidence < 1:
        raise InvalidParameterError(f"confidence must be in (0, 1), got {confidence!r}")
    if estimate not in ESTIMATES:
        raise InvalidParameterError(f"estimate must be one of {ESTIMATES}, got {estimate!r}")
    from .._validate import float_array

    xa = float_array("x", x, finite=False)
    ya = float_array("y", y, finite=False)
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
    r = ya.shape[0]
    if r < 2:
        raise InvalidParameterError("an interval across replicas needs at least 2 replicas")
    if estimate == "mean":
        ybar = ya.mean(axis=0)
        s2 = ya.var(axis=0, ddof=1)
        lbar = np.log(ybar) + s2 / (2 * r * ybar ** 2)  # second-order bias of log(mean) removed
        slope = float(cx @ lbar / sxx)
        z = ((ya - ybar) / ybar) @ cx / sxx  # first-order influence of each replica on the slope
        half = float(stats.t.ppf(q, r - 1)) * float(z.std(ddof=1)) / math.sqrt(r)
        return slope, slope - half, slope + half, r
    slopes = (ly - ly.mean(axis=1, keepdims=True)) @ cx / sxx
    m = float(slopes.mean())
    half = float(stats.t.ppf(q, r - 1)) * float(slopes.std(ddof=1)) / math.sqrt(r)
    return m, m - half, m + half, r


def _replicas_first(x: Any, y: Any, replica_axis: int | None) -> np.ndarray:
    """``y`` as ``(n,)`` or ``(replicas, n)``: a :class:`~theorylab.simulate.record.Trajectory` (its
    ``values`` are ``(points, replicas)``) is transposed; a 2-D array is read with ``replica_axis``
    (0: ``(replicas, n)``, 1: ``(n, replicas)``); a square array without it is refused (ambiguous)."""
    if not isinstance(y, np.ndarray) and hasattr(y, "values") and hasattr(y, "times"):  # a Trajectory
        if replica_axis not in (None, 1):
            raise InvalidParameterError("a Trajectory's values are (points, replicas): replica_axis must be 1 or left out")
        return np.asarray(y.values, dtype=float).T
    ya = np.asarray(y, dtype=float)
    if replica_axis is not None:
        if ya.ndim != 2 or replica_axis not in (0, 1):
            raise InvalidParameterError(f"replica_axis (0 or 1) applies to a 2-D y; got replica_axis={replica_axis!r} "
                                        f"for y of shape {ya.shape}")
        return ya if replica_axis == 0 else ya.T
    if ya.ndim == 2:
        n = np.asarray(x).size
        if ya.shape[0] == ya.shape[1]:
            raise InvalidParameterError(f"y has shape {ya.shape}: ambiguous, say which axis holds the replicas "
                                        "(replica_axis=0 for (replicas, points), 1 for (points, replicas)), or pass "
                                        "the Trajectory itself")
        if ya.shape[1] != n and ya.shape[0] == n:
            raise InvalidParameterError(f"y has shape {ya.shape} with {n} points on axis 0: pass replica_axis=1 for "
                                        "(points, replicas), or y.T")
    return ya


def rate(x: Any, y: Any, claimed: float | str, *, tol: float, confidence: float = 0.999,
         what: str = "y", against: str = "x", estimate: str = "mean", replica_axis: int | None = None) -> Verdict:
    """Verdict on "``what`` ∝ ``against``^claimed" from the log-log slope (see the module docstring).

    ``claimed`` is a number or an exact string (``"-1/2"``); ``tol`` the absolute tolerance on
    the slope; ``confidence = 1 − false-alarm rate``. With replicas (``y`` of shape ``(R, n)``)
    the claim is about the mean, ``E[y] ∝ x^p`` (``estimate="mean"``, the slope of the log of
    the means, delta-method interval); ``estimate="per-replica"`` checks the mean of the
    replicas' log-log slopes instead (the geometric mean's rate; biased for ``E[y]`` when the
    relative spread of ``y`` changes with ``x``).

    ``y`` may be a :class:`~theorylab.simulate.record.Trajectory` (its ``(points, replicas)``
    values are used, ``x`` then gives the record points), or a 2-D array read with
    ``replica_axis`` (0: ``(replicas, n)``, the default for a non-square array; 1: ``(n,
    replicas)``); a square ``(n, n)`` array without ``replica_axis`` is refused as ambiguous.

    A deterministic fit (one series, no replicas, or replicas without any spread) states no
    false-alarm rate: its interval rests on the residuals around the line (curvature, for exact
    data), not on a noise model, so the verdict's ``confidence`` is None.
    """
    from .._validate import real_number

    if isinstance(claimed, str):
        from ..symbolic.parse import ExpressionError, parse_number

        try:
            p = float(parse_number(claimed, what="the claimed exponent"))
        except ExpressionError as exc:
            raise InvalidParameterError(f"{exc} (expected a number such as -1/2)") from None
    else:
        p = real_number("the claimed exponent", claimed)
    tol = real_number("tol", tol, low=0, open_low=True)
    y = _replicas_first(x, y, replica_axis)
    slope, lo, hi, n = loglog_slope(x, y, confidence, estimate=estimate)
    band = within(p, atol=tol)
    claim = f"{what} ∝ {against}^{claimed} (slope of the log-log fit within ±{tol:g})"
    kind = "replicas" if np.asarray(y).ndim == 2 else "points"
    found = f"slope {slope:.4g} [{lo:.4g}, {hi:.4g}] ({100 * confidence:g}% interval, {n} {kind})"
    nums = {"slope": slope, "lower": lo, "upper": hi, "claimed": p, kind: n}
    status = band.status(lo, hi)
    # across replicas the interval is a calibrated Student-t one; on one series it rests on the
    # residuals around the fitted line (say so: for deterministic data it measures curvature)
    if kind == "replicas":
        found += ("; slope of the log of the means, delta-method interval" if estimate == "mean"
                  else "; mean of the replicas' slopes (the rate of the geometric mean, not of E[y])")
    test = "equivalence" if kind == "replicas" else "equivalence, OLS residual interval"
    deterministic = kind == "points" or bool(np.all(np.ptp(y, axis=0) == 0))
    conf: float | None = None if deterministic else confidence
    if deterministic:
        test += ", deterministic fit"
        found += "; deterministic fit (no replicas or no spread): no false-alarm rate is claimed"
    if status is Status.HOLDS:
        return holds(claim, found, confidence=conf, numbers=nums, test=test, tolerance=tol)
    if status is Status.REFUTED:
        return refuted(claim, found, counterexample={"slope": slope, "interval": [lo, hi], "band": [band.low, band.high]},
                       numbers=nums, confidence=conf, test=test, tolerance=tol)
    return inconclusive(claim, found, needs="more points or replicas, or a wider range of x (the interval straddles "
                        "the tolerance band)", numbers=nums, test=test, tolerance=tol)
