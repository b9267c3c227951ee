"""Monte Carlo decisions: a simulated mean (with its interval) against a claimed bound or level.

The decisions are :func:`theorylab.claims.interval_status`'s (through
:mod:`theorylab.simulate.verdict` for bounds): an upper bound *holds* when it lies above the
upper confidence limit, is *refuted* when it lies below the lower limit, and otherwise the
comparison is *inconclusive* (more samples needed); along a curve the pointwise intervals are
Bonferroni-corrected, so the family-wise false-alarm rate over all times is the stated one.
The claim "the level is X" is an equivalence test: it holds only when the whole interval lies
inside the stated tolerance band around X.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from .band import within
from .status import Status

__all__ = ["curve_vs_bound", "level_vs_bound", "lambdify_bound_curve"]


def curve_vs_bound(traj: Any, bound: Callable[[np.ndarray], np.ndarray], *, false_alarm: float = 1e-3) -> dict[str, Any]:
    """Compare a simulated trajectory with ``bound(times)`` by
    :func:`theorylab.simulate.verdict.trajectory_verdict` (joint confidence ``1 − false_alarm``,
    Bonferroni over the record times) and summarise it for a check's verdict.

    Returns ``status`` (a :class:`Status`: holds, refuted or inconclusive), the worst time
    (first violation, or the tightest time) and the numbers behind it.
    """
    from ..simulate.verdict import trajectory_verdict

    times = np.asarray(traj.times, dtype=float)
    b = np.asarray(bound(times), dtype=float) * np.ones_like(times)
    tv = trajectory_verdict(traj, b, confidence=1 - false_alarm)
    status = tv.status
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = (tv.lower - b) / b
        slack = (b - tv.upper) / b
    i = int(np.nanargmax(excess)) if status is Status.REFUTED else int(np.nanargmin(np.where(times > 0, slack, np.inf)))
    out = {"status": status, "n_replicas": int(np.sum(traj.alive)), "points": int(len(times)),
           "family_false_alarm": false_alarm, "worst_t": float(times[i]), "mean_at_worst": float(tv.mean[i]),
           "lower_at_worst": float(tv.lower[i]), "upper_at_worst": float(tv.upper[i]), "bound_at_worst": float(b[i]),
           "worst_mean_over_bound": tv.worst_ratio, "first_violation": tv.first_violation}
    if status is not Status.REFUTED:
        out.update(tightest_t=float(times[i]), tightest_mean=float(tv.mean[i]), tightest_upper=float(tv.upper[i]),
                   tightest_bound=float(b[i]), min_relative_slack=float(slack[i]))
    return out


def level_vs_bound(est: Any, bound: float, *, two_sided_tol: float | None = None) -> Status:
    """The status of a stationary estimate against an upper bound (one-sided,
    :func:`theorylab.simulate.verdict.bound_verdict`), or, with ``two_sided_tol``, against the
    equality claim ``|level/bound − 1| ≤ tol`` (equivalence: holds only when the whole interval
    lies inside ``[1 − tol, 1 + tol]·bound``, refuted when it lies outside)."""
    lo, hi = float(est.lower), float(est.upper)
    if not (math.isfinite(lo) and math.isfinite(hi)) or not getattr(est, "stationary", True):
        return Status.INCONCLUSIVE  # no interval, or the run had not settled (burn-in detection failed)
    if two_sided_tol is None:
        from ..simulate.verdict import bound_verdict

        return bound_verdict(est, float(bound)).status
    return within(bound, rtol=two_sided_tol).status(lo, hi)


def lambdify_bound_curve(bound: Any, **values: float) -> Callable[[np.ndarray], np.ndarray]:
    """``t ↦ bound(t)`` as an array function, lambdified from the bound's sympy expression
    (every symbol but ``t`` substituted; special functions mapped to scipy)."""
    import sympy as sp

    from ..symbolic.symbols import t as t_sym
    from ..symbolic.xi import numeric_functions

    subs = bound._values(values)
    expr = bound.expr.subs(subs)
    expr = sp.N(expr, 17) if not expr.free_symbols - {t_sym} else expr
    free = expr.free_symbols - {t_sym}
    if free:
        raise InvalidParameterError(f"bound {bound.name}: give values for {sorted(map(str, free))}")
    f = sp.lambdify(t_sym, expr, modules=[numeric_functions("numpy"), "numpy"])
    return lambda tt: np.broadcast_to(np.asarray(f(np.asarray(tt, dtype=float)), dtype=float), np.shape(tt))
