"""Monte Carlo verdicts: a simulated mean (with its interval) against a claimed bound.

The decisions are :mod:`theorylab.simulate.verdict`'s: an upper bound *holds* when it lies
above the upper confidence limit, is *violated* when it lies below the lower limit, and
otherwise the comparison is *inconclusive* (more samples needed); along a curve the
pointwise intervals are Bonferroni-corrected, so the family-wise false-alarm rate over all
times is the stated one. This module adapts them to check verdicts and adds the two-sided
"matches within a tolerance" claim.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["curve_vs_bound", "level_vs_bound", "lambdify_bound_curve"]


def curve_vs_bound(traj: Any, bound: Callable[[np.ndarray], np.ndarray], *, false_alarm: float = 1e-3) -> dict[str, Any]:
    """Compare a simulated trajectory with ``bound(times)`` by
    :func:`theorylab.simulate.verdict.trajectory_verdict` (joint confidence ``1 − false_alarm``,
    Bonferroni over the record times) and summarise it for a check's verdict.

    Returns ``status`` (``holds``/``violated``/``inconclusive``), the worst time (first
    violation, or the tightest time) and the numbers behind it.
    """
    from theorylab.simulate.verdict import HOLDS, VIOLATED, trajectory_verdict

    times = np.asarray(traj.times, dtype=float)
    b = np.asarray(bound(times), dtype=float) * np.ones_like(times)
    tv = trajectory_verdict(traj, b, confidence=1 - false_alarm)
    status = "violated" if tv.status == VIOLATED else ("holds" if tv.status == HOLDS else "inconclusive")
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = (tv.lower - b) / b
        slack = (b - tv.upper) / b
    i = int(np.nanargmax(excess)) if status == "violated" else int(np.nanargmin(np.where(times > 0, slack, np.inf)))
    out = {"status": status, "n_replicas": int(np.sum(traj.alive)), "points": int(len(times)),
           "family_false_alarm": false_alarm, "worst_t": float(times[i]), "mean_at_worst": float(tv.mean[i]),
           "lower_at_worst": float(tv.lower[i]), "upper_at_worst": float(tv.upper[i]), "bound_at_worst": float(b[i]),
           "worst_mean_over_bound": tv.worst_ratio, "first_violation": tv.first_violation}
    if status != "violated":
        out.update(tightest_t=float(times[i]), tightest_mean=float(tv.mean[i]), tightest_upper=float(tv.upper[i]),
                   tightest_bound=float(b[i]), min_relative_slack=float(slack[i]))
    return out


def level_vs_bound(est: Any, bound: float, *, two_sided_tol: float | None = None) -> str:
    """``holds``/``violated``/``inconclusive`` for a stationary estimate against an upper bound
    (:func:`theorylab.simulate.verdict.verdict`), or, with ``two_sided_tol``, for the claim
    ``|level/bound − 1| <= tol`` (the interval inside ``[1 − tol, 1 + tol]·bound``)."""
    from theorylab.simulate.verdict import HOLDS, VIOLATED, verdict

    lo, hi = float(est.lower), float(est.upper)
    if not (math.isfinite(lo) and math.isfinite(hi)) or not getattr(est, "stationary", True):
        return "inconclusive"  # no interval, or the run had not settled (burn-in detection failed)
    if two_sided_tol is None:
        st = verdict(est, float(bound)).status
        return "holds" if st == HOLDS else ("violated" if st == VIOLATED else "inconclusive")
    a, b = bound * (1 - two_sided_tol), bound * (1 + two_sided_tol)
    if a <= lo and hi <= b:
        return "holds"
    if hi < a or lo > b:
        return "violated"
    return "inconclusive"


def lambdify_bound_curve(bound: Any, **values: float) -> Callable[[np.ndarray], np.ndarray]:
    """``t ↦ bound(t)`` as an array function, lambdified from the bound's sympy expression
    (every symbol but ``t`` substituted; special functions mapped to scipy)."""
    import sympy as sp

    from theorylab.symbolic.symbols import t as t_sym
    from theorylab.symbolic.xi import numeric_functions

    subs = bound._values(values)
    expr = bound.expr.subs(subs)
    expr = sp.N(expr, 17) if not expr.free_symbols - {t_sym} else expr
    free = expr.free_symbols - {t_sym}
    if free:
        raise ValueError(f"bound {bound.name}: give values for {sorted(map(str, free))}")
    f = sp.lambdify(t_sym, expr, modules=[numeric_functions("numpy"), "numpy"])
    return lambda tt: np.broadcast_to(np.asarray(f(np.asarray(tt, dtype=float)), dtype=float), np.shape(tt))
