"""Monte Carlo verdicts: a simulated mean (with its interval) against a claimed bound.

The convention of :mod:`theorylab.simulate`: an upper bound *holds* when it lies above the
upper confidence limit, is *violated* when it lies below the lower limit, and otherwise the
comparison is *inconclusive* (more samples needed). Along a curve, the pointwise intervals
use a Bonferroni correction, so the family-wise false-alarm rate over all time points is the
stated one. Replicas are independent, so intervals across replicas are valid at each time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["curve_vs_bound", "level_vs_bound", "lambdify_bound_curve"]


def _t_half(vals: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, int]:
    n = vals.shape[1]
    mean = vals.mean(axis=1)
    if n < 2:
        return mean, np.full_like(mean, np.inf), n
    q = stats.t.ppf(0.5 + confidence / 2, n - 1)
    return mean, q * vals.std(axis=1, ddof=1) / math.sqrt(n), n


def curve_vs_bound(times: np.ndarray, values: np.ndarray, bound: Callable[[np.ndarray], np.ndarray], *,
                   false_alarm: float = 1e-3, skip_first: bool = True) -> dict[str, Any]:
    """Compare per-replica gaps ``values`` (times × replicas) with ``bound(times)``.

    Returns ``status`` (``holds``/``violated``/``inconclusive``), the worst time (largest
    ``(lower − bound)/bound`` if violated, else smallest slack), and the numbers behind it.
    """
    vals = np.asarray(values, dtype=float)
    alive = np.all(np.isfinite(vals), axis=0)
    vals = vals[:, alive]
    sl = slice(1, None) if skip_first else slice(None)
    t_ = np.asarray(times, dtype=float)[sl]
    vals = vals[sl]
    b = np.asarray(bound(t_), dtype=float) * np.ones_like(t_)
    conf = 1 - false_alarm / max(1, len(t_))
    mean, half, n = _t_half(vals, conf)
    lower, upper = mean - half, mean + half
    viol = (lower - b) / b
    i = int(np.argmax(viol))
    out = {"n_replicas": int(n), "points": int(len(t_)), "family_false_alarm": false_alarm,
           "worst_t": float(t_[i]), "mean_at_worst": float(mean[i]), "lower_at_worst": float(lower[i]),
           "upper_at_worst": float(upper[i]), "bound_at_worst": float(b[i])}
    if viol[i] > 0:
        out["status"] = "violated"
        return out
    slack = (b - upper) / b
    j = int(np.argmin(slack))
    out.update(status="holds" if slack[j] >= 0 else "inconclusive", tightest_t=float(t_[j]),
               tightest_mean=float(mean[j]), tightest_upper=float(upper[j]), tightest_bound=float(b[j]),
               min_relative_slack=float(slack[j]))
    return out


def level_vs_bound(est: Any, bound: float, *, two_sided_tol: float | None = None) -> str:
    """``holds``/``violated``/``inconclusive`` for a stationary estimate against an upper bound, or,
    with ``two_sided_tol``, for the claim ``|level/bound − 1| <= tol``."""
    lo, hi = float(est.lower), float(est.upper)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "inconclusive"
    if two_sided_tol is None:
        if hi <= bound:
            return "holds"
        return "violated" if lo > bound else "inconclusive"
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
