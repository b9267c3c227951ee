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

The bound's free symbols that are settings of the run are taken from the run when ``values``
leaves them out (:func:`run_settings`): ``eta`` (step size), ``N`` (agents), ``d`` (dimension),
``L`` and ``mu`` (the problem's smoothness and PL constants), ``sigma`` (noise scale, when the
same for every agent), ``B`` (batch), ``nu`` (Student-t degrees of freedom, when finite),
``omega`` (the compressor's declared ``U(ω)`` constant at ``d``, when one unbiased law is used by
every agent), ``k`` (its kept coordinates, for Rand-k/Top-k) and ``gap0`` (``f(x_0) − f*``, when
every replica starts at the same point). A ``values`` entry that gives a different number for
a setting the run also has is a contract error (:class:`~theorylab.errors.ClaimError`): the
bound would be evaluated at another point than the one simulated.

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

from ..errors import ClaimError, InvalidParameterError
from .band import lower_bound, upper_bound, within
from .status import Status
from .verdict import Verdict, holds, inconclusive, refuted

__all__ = ["bound_vs_simulation", "bound_function", "run_settings"]


def _one_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


_INTEGER_SETTINGS = ("N", "d", "k", "B")


def run_settings(run: Any = None, *, problem: Any = None, noise: Any = None,
                 run_kwargs: Mapping[str, Any] | None = None) -> dict[str, float | int]:
    """The settings of a simulation that a bound may name, as ``{symbol name: number}``.

    Read from the run's ``params`` (an :class:`~theorylab.simulate.OptimizerRun`), from
    ``problem``, ``noise`` and the run's keywords (``eta``, ``compressor``) when given, and from
    the trajectory's first record (``gap0``, only when every replica starts at the same gap).
    Names: ``eta``, ``N``, ``d``, ``L``, ``mu``, ``sigma``, ``B``, ``nu``, ``omega``, ``k``,
    ``gap0`` (see the module docstring); a setting that is not one number (per-agent noise
    scales, per-agent compressors of different laws) is left out.
    """
    out: dict[str, float | int] = {}
    params = dict(getattr(run, "params", None) or {})
    kw = dict(run_kwargs or {})

    def put(name: str, value: Any) -> None:
        f = _one_number(value)
        if f is not None and name not in out:
            out[name] = int(f) if name in _INTEGER_SETTINGS and f.is_integer() else f

    put("eta", kw.get("eta", params.get("eta")))
    if problem is not None:
        put("N", getattr(problem, "n_agents", None))
        put("d", getattr(problem, "d", None))
        put("L", getattr(problem, "L", None))
        put("mu", getattr(problem, "mu", None))
    put("N", params.get("agents"))
    put("d", params.get("d"))
    put("L", params.get("L"))
    put("mu", params.get("mu"))
    if noise is not None:
        sig = getattr(noise, "sigma", None)
        if isinstance(sig, tuple) and len(set(sig)) == 1:
            put("sigma", sig[0])
        put("B", getattr(noise, "batch", None))
        put("nu", getattr(noise, "nu", None))
    if not isinstance(params.get("sigma"), (list, tuple)):
        put("sigma", params.get("sigma"))
    put("B", params.get("batch"))
    put("nu", params.get("nu"))
    comp = kw.get("compressor", params.get("compressor"))
    if comp is not None and "d" in out:
        try:
            from ..simulate.optimizers import resolve_compressors

            comps = resolve_compressors(comp, int(out["N"]) if "N" in out else 1) or []
        except Exception:  # not a compressor this layer can read: no compressor settings
            comps = []
        specs = {getattr(c, "spec", repr(c)) for c in comps}
        if len(specs) == 1:
            c = comps[0]
            if getattr(c, "unbiased", False):
                try:
                    put("omega", c.omega(int(out["d"])))
                except Exception:  # the law declares no U(omega) constant at this d
                    pass
            if "k" in tuple(getattr(c, "params", ())):
                put("k", getattr(c, "k", None))
    traj = getattr(run, "trajectory", run)
    vals = getattr(traj, "values", None)
    if vals is not None and np.ndim(vals) == 2 and np.shape(vals)[1] > 0:
        first = np.asarray(vals[0], dtype=float)
        if np.all(np.isfinite(first)) and float(np.ptp(first)) <= 1e-12 * max(1.0, float(np.max(np.abs(first)))):
            put("gap0", first[0])
    return out


def _bound_names(bound: Any, symbols: Mapping[str, Any] | None) -> set[str]:
    """The names of the bound's free symbols (``t`` and ``gap0`` for a library bound)."""
    from .symbolic import declare, parse

    if hasattr(bound, "expr") and hasattr(bound, "_values"):
        return {str(s) for s in bound.expr.free_symbols} | {"t", "gap0"}
    return {str(s) for s in parse(bound, **declare(symbols)).free_symbols}


def _with_settings(values: Mapping[str, Any] | None, settings: Mapping[str, float | int],
                   names: set[str] | None = None) -> dict[str, Any]:
    """``values`` completed with the run's ``settings`` that the bound names (all of them when
    ``names`` is None); a ``values`` entry that differs from the run's setting is a
    :class:`ClaimError`."""
    out = dict(values or {})
    for name, have in settings.items():
        if name not in out:
            if names is None or name in names:
                out[name] = have
            continue
        raw = out[name]
        if isinstance(raw, str):
            from .symbolic import parse

            raw = parse(raw)  # the safe reader: a value string is never evaluated as Python
        given = _one_number(sp.N(raw) if isinstance(raw, sp.Basic) else raw)
        if given is None or not math.isclose(given, have, rel_tol=1e-9, abs_tol=1e-300):
            raise ClaimError(f"values gives {name}={out[name]!r} but the run has {name}={have:g}; "
                             f"expected the run's own {name} (or leave {name} out of values to take it from the run)")
    return out


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
                subs[by_name[k]] = parse(v) if isinstance(v, str) else sp.sympify(v)  # safe: strings via the reader
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

    ``values`` maps the bound's symbols to numbers; the symbols that are settings of the run
    (``eta``, ``N``, ``d``, ``L``, ``mu``, ``sigma``, ``B``, ``nu``, ``omega``, ``k``, ``gap0``:
    :func:`run_settings`) are filled from the run when absent, and a ``values`` entry that
    disagrees with the run's setting raises :class:`~theorylab.errors.ClaimError`.
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
    names = _bound_names(bound, symbols)
    if run is None:
        if method is None or problem is None or noise is None:
            raise InvalidParameterError("give run=..., or method=, problem= and noise= with the run's keywords")
        # a values entry that contradicts the run's settings fails before the simulation
        _with_settings(values, run_settings(problem=problem, noise=noise, run_kwargs=run_kwargs), names)
        run = _run(method, problem, noise, run_kwargs)
    traj = getattr(run, "trajectory", run)
    settings = run_settings(run, problem=problem, noise=noise, run_kwargs=run_kwargs)
    values = _with_settings(values, settings, names)
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
