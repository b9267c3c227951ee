"""A bound (a sympy expression) against a simulation of a method on a problem.

:func:`bound_vs_simulation` runs ``method`` (a name for :func:`theorylab.simulate.run_optimizer`,
or any callable returning a run with a ``trajectory``), or takes a finished run, and compares
the simulated mean gap ``E[f(x_k)] − f*`` with the bound:

- ``at="plateau"``: the stationary level (:func:`theorylab.simulate.stationary_level`, a
  Student-t interval across replicas after burn-in) against the bound's value (an expression
  in ``t`` is taken at ``t → ∞``). ``claim="upper"`` (default) is the one-sided claim
  ``level ≤ bound``; ``claim="lower"`` is ``level ≥ bound``; ``claim="equal"`` with ``rtol`` is
  the equality claim "the level is the bound, to within ±rtol" (equivalence test: holds only
  when the whole interval lies inside the band).
- ``at="trajectory"``: the bound ``b(t)`` at every record time ``t = k·η`` against the pointwise
  intervals, Bonferroni-corrected over the record times
  (:func:`theorylab.simulate.trajectory_verdict`): refuted if the bound is below the interval at
  some time, holds if above at every time.

The decision is :func:`theorylab.claims.interval_status`; the verdict states the test, the
tolerance and the false-alarm rate (``false_alarm``, the interval's ``1 − confidence``). A run
that has not settled (the estimate is flagged non-stationary) or diverged is inconclusive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InvalidParameterError
from .band import lower_bound, upper_bound, within
from .status import Status
from .verdict import Verdict, holds, inconclusive, refuted

__all__ = ["bound_vs_simulation", "bound_function"]


def bound_function(bound: Any, values: Mapping[str, Any] | None = None,
                   symbols: Mapping[str, Any] | None = None) -> tuple[sp.Expr, Callable[[np.ndarray], np.ndarray]]:
    """``(expr, b)``: the bound as a sympy expression in ``t`` with ``values`` substituted, and
    ``b(times)`` lambdified from it (the one source of the numbers).

    ``bound`` is a string, a sympy expression, or a :class:`theorylab.symbolic.bounds.Bound`
    (its ``expr``); ``values`` maps symbol names to numbers."""
    from ..symbolic.symbols import t as t_sym
    from ..symbolic.xi import numeric_functions
    from .symbolic import declare, parse

    names = declare(symbols)
    if hasattr(bound, "expr") and hasattr(bound, "_values"):
        expr = bound.expr.subs(bound._values(dict(values or {})))
    else:
        expr = parse(bound, **names)
        subs = {}
        by_name = {str(s): s for s in expr.free_symbols}
        for k, v in (values or {}).items():
            if k in by_name:
                subs[by_name[k]] = sp.sympify(v)
        expr = expr.subs(subs)
    t_free = {s for s in expr.free_symbols if str(s) == "t"}
    tt = next(iter(t_free)) if t_free else t_sym
    free = expr.free_symbols - {tt}
    if free:
        raise InvalidParameterError(f"the bound needs values for {sorted(map(str, free))} (pass values={{...}})")
    f = sp.lambdify(tt, expr, modules=[numeric_functions("numpy"), "numpy"])
    expr = expr.subs(tt, t_sym) if tt != t_sym else expr

    def b(times: np.ndarray) -> np.ndarray:
        arr = np.asarray(times, dtype=float)
        return np.broadcast_to(np.asarray(f(arr), dtype=float), arr.shape).copy()

    return expr, b


def _run(method: Any, problem: Any, noise: Any, run_kwargs: Mapping[str, Any]) -> Any:
    from ..simulate import run_optimizer

    if callable(method):
        return method(problem, noise, **run_kwargs)
    return run_optimizer(str(method), problem, noise, **run_kwargs)


def bound_vs_simulation(bound: Any, *, method: Any = None, problem: Any = None, noise: Any = None,
                        run: Any = None, at: str = "plateau", claim: str = "upper", rtol: float | None = None,
                        values: Mapping[str, Any] | None = None, symbols: Mapping[str, Any] | None = None,
                        false_alarm: float = 1e-3, burn_in: float | int | None = 0.3, claimed: str | None = None,
                        **run_kwargs: Any) -> Verdict:
    """Verdict on a bound against a simulation (see the module docstring).

    Either ``run`` (a finished run or a :class:`~theorylab.simulate.Trajectory`) or ``method``,
    ``problem``, ``noise`` and the run's keywords (``eta``, ``steps``, ``replicas``, ``seed``,
    ``compressor``, ...) passed to :func:`theorylab.simulate.run_optimizer` (or to ``method``
    when it is a callable).
    """
    from ..simulate import stationary_level, trajectory_verdict

    if at not in ("plateau", "trajectory"):
        raise InvalidParameterError(f"at must be 'plateau' or 'trajectory', got {at!r}")
    if claim not in ("upper", "lower", "equal"):
        raise InvalidParameterError(f"claim must be 'upper', 'lower' or 'equal', got {claim!r}")
    if (claim == "equal") != (rtol is not None):
        raise InvalidParameterError("an equality claim (claim='equal') needs rtol=, and only it takes one")
    if at == "trajectory" and claim != "upper":
        raise InvalidParameterError("along the trajectory only an upper bound (claim='upper') is checked")
    if not 0 < false_alarm < 1:
        raise InvalidParameterError(f"false_alarm must be in (0, 1), got {false_alarm!r}")
    if run is None:
        if method is None or problem is None or noise is None:
            raise InvalidParameterError("give run=..., or method=, problem= and noise= with the run's keywords")
        run = _run(method, problem, noise, run_kwargs)
    traj = getattr(run, "trajectory", run)
    expr, b = bound_function(bound, values, symbols)
    conf = 1.0 - false_alarm
    relation = {"upper": "<=", "lower": ">=", "equal": "="}[claim]
    n_alive = int(np.sum(traj.alive))
    setting = f"{n_alive} replicas alive of {traj.replicas}, {traj.n_steps} steps"
    if at == "plateau":
        from ..symbolic.symbols import t as t_sym

        level_expr = sp.limit(expr, t_sym, sp.oo) if t_sym in expr.free_symbols else expr
        level = float(sp.N(level_expr, 17))
        what = f"stationary E f − f* {relation} {level:.6g}" + (f" (±{rtol:.0%})" if rtol is not None else "")
        claimed = claimed or what
        est = stationary_level(traj, confidence=conf, burn_in=burn_in)
        band = {"upper": lambda: upper_bound(level), "lower": lambda: lower_bound(level),
                "equal": lambda: within(level, rtol=rtol)}[claim]()
        nums = {"estimate": est.value, "lower": est.lower, "upper": est.upper, "bound": level,
                "ratio": est.value / level if level else math.nan}
        found = (f"level {est.value:.6g} [{est.lower:.6g}, {est.upper:.6g}] ({100 * conf:g}% interval) vs "
                 f"{level:.6g} ({band.describe()})")
        if traj.divergence.diverged:
            return inconclusive(claimed, found + "; some replicas diverged", numbers=nums, notes=setting,
                                needs="a stable run (smaller step size): replicas diverged")
        if not est.stationary or not (math.isfinite(est.lower) and math.isfinite(est.upper)):
            return inconclusive(claimed, found + "; the run has not settled", numbers=nums, notes=setting,
                                needs="a longer run (the level still drifts after burn-in) or more replicas")
        status = band.status(est.lower, est.upper)
        tol = rtol if claim == "equal" else None
        if status is Status.HOLDS:
            return holds(claimed, found, confidence=conf, numbers=nums, notes=setting, test=band.test, tolerance=tol)
        if status is Status.REFUTED:
            return refuted(claimed, found, counterexample={"interval": [est.lower, est.upper], "bound": level,
                                                           "setting": setting},
                           numbers=nums, notes=setting, confidence=conf, test=band.test, tolerance=tol)
        return inconclusive(claimed, found, needs="more replicas or steps (the interval straddles the band's edge)",
                            numbers=nums, notes=setting, test=band.test, tolerance=tol)
    values_t = b(traj.times)
    claimed = claimed or f"E f(x_k) − f* <= {expr} at every t = k·η"
    tv = trajectory_verdict(traj, values_t, confidence=conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = (tv.lower - values_t) / np.abs(values_t)
    i = int(np.nanargmax(excess)) if np.any(np.isfinite(excess)) else 0
    nums = {"points": len(traj.times), "worst_t": float(traj.times[i]), "mean_at_worst": float(tv.mean[i]),
            "bound_at_worst": float(values_t[i]), "max_mean_over_bound": tv.worst_ratio}
    found = str(tv)
    test = "one-sided, Bonferroni over the record times"
    if tv.status is Status.HOLDS:
        return holds(claimed, found, confidence=conf, numbers=nums, notes=setting, test=test)
    if tv.status is Status.REFUTED:
        j = next(k for k, st in enumerate(tv.statuses) if st is Status.REFUTED)
        return refuted(claimed, found, counterexample={"t": float(traj.times[j]), "lower": float(tv.lower[j]),
                                                       "bound": float(values_t[j]), "setting": setting},
                       numbers=nums, notes=setting, confidence=conf, test=test)
    return inconclusive(claimed, found, needs="more replicas (some pointwise intervals straddle the bound)",
                        numbers=nums, notes=setting, test=test)
