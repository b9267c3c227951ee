r"""Entry points of the exact engine: :func:`exact_run` (a peer of ``run_optimizer``) and
:func:`exact_simulate` (a peer of :func:`theorylab.simulate.simulate`, same text and JSON).

Exact values are reported as estimates with a zero-width interval (``method = "exact"``,
confidence 1): a verdict against a bound is then decided by the value itself.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import AssumptionError, InvalidParameterError
from ..estimate import Curve, Estimate
from ..noise import Noise
from ..record import Divergence, Trajectory
from .discrete import exact_dcsgd
from .model import from_problem
from .result import ExactRun

__all__ = ["EXACT_METHODS", "exact_run", "exact_sde_run", "exact_simulate", "exact_estimate", "weak_errors"]

EXACT_METHODS = ("dsgd", "dcsgd")

_WHY_NOT = {
    "dsignsgd": "dsignsgd applies sign(), which is not linear in the gradient: its moments do not close",
}


def _check_method(method: str) -> str:
    method = method.lower()
    if method in EXACT_METHODS:
        return method
    why = _WHY_NOT.get(method, f"{method!r} has no exact moment recursion here")
    raise InvalidParameterError(f"the exact engine covers {', '.join(EXACT_METHODS)} on quadratics; {why}; "
                                "use --engine mc")


def exact_run(method: str, problem: Any, noise: Noise, *, eta: Any, steps: int, compressor: Any = None,
              masks: str = "independent", points: int = 200, rational: bool = False) -> ExactRun:
    """Exact ``E f(x_k) − f*`` of ``method`` (``dsgd``/``dcsgd``) on a quadratic ``problem``.

    ``compressor``: as for ``run_optimizer`` (an object, a spec, or one per agent), in the linear
    class; ``masks``: ``"independent"`` (as the Monte Carlo engine) or ``"shared"``; ``rational``:
    exact fractions (small d; inputs with short decimal forms).
    """
    from ..optimizers import resolve_compressors

    method = _check_method(method)
    comps = resolve_compressors(compressor, problem.n_agents) if method == "dcsgd" else None
    if method == "dcsgd" and comps is None:
        raise InvalidParameterError("dcsgd needs a compressor (e.g. 'randk:k=5'); use dsgd for no compression")
    if method == "dsgd" and compressor is not None:
        raise InvalidParameterError(f"dsgd takes no compressor (got {compressor!r}); use dcsgd")
    q = from_problem(problem, noise, rational=rational)
    params = {"method": method, "engine": "exact", "eta": float(eta), "steps": int(steps), "replicas": 0,
              "masks": masks,
              "compressor": None if comps is None else (getattr(comps[0], "spec", repr(comps[0]))
                                                         if len({getattr(c, "spec", id(c)) for c in comps}) == 1
                                                         else [getattr(c, "spec", repr(c)) for c in comps]),
              **problem.describe(), **noise.describe()}
    return exact_dcsgd(q, eta, steps, comps=comps, masks=masks, points=points, method=method, params=params)


def exact_sde_run(method: str, problem: Any, noise: Noise, *, eta: float, steps: int, compressor: Any = None,
                  points: int = 200, rational: bool = False) -> ExactRun:
    """Exact ``E f(X_t) − f*`` of the SDE of ``method`` (Theorem 1) at the times ``kη`` of the record grid."""
    from ..models import sde_setting
    from ..optimizers import resolve_compressors
    from .sde import exact_sde, sde_coefficients

    from fractions import Fraction

    method = _check_method(method)
    comps = resolve_compressors(compressor, problem.n_agents) if method == "dcsgd" else None
    eta = float(Fraction(eta)) if isinstance(eta, str) else float(eta)
    sde, kw = sde_setting(method, problem, noise, eta, comps)
    co = sde_coefficients(sde, kw, problem.d, exact=rational)
    q = from_problem(problem, noise, rational=rational)
    return exact_sde(q, co, float(eta), steps, points=points,
                     params={"sde": sde.name, "scheme": "exact moment ODE", "h": 0.0, "paths": 0})


def exact_estimate(value: Any) -> Estimate:
    """An exact value as an :class:`Estimate` with a zero-width interval (confidence 1)."""
    v = float(value)
    return Estimate(value=v, lower=v, upper=v, confidence=1.0, n=0, method="exact", burn_in=0,
                    burn_in_detected=False, median=v, top_share=math.nan, lag1=None, warnings=(),
                    stationary=math.isfinite(v))


@dataclass(frozen=True)
class ExactDivergence(Divergence):
    """Divergence of exact moments: the spectral radius of the moment map (growth rate for an SDE)."""

    rho: float = 0.0
    continuous: bool = False

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "spectral_radius": self.rho,
                "criterion": "max Re eig >= 0" if self.continuous else "spectral radius >= 1"}

    def message(self) -> str:
        what = "largest real part of the moment ODE's eigenvalues" if self.continuous else \
            "spectral radius of the moment map"
        if not self.diverged:
            return f"the exact moments converge ({what} {self.rho:.6g})"
        return f"the exact moments diverge ({what} {self.rho:.6g} >= {0 if self.continuous else 1})"


def _trajectory(run: ExactRun) -> Trajectory:
    vals = run.values[:, None]
    rho = float(run.rho)
    div = ExactDivergence(None if not run.diverged else 0, 1.0 if run.diverged else 0.0,
                          1 if run.diverged else 0, math.inf, rho=rho, continuous=run.continuous)
    edges = np.array([0, int(run.steps[-1])])
    return Trajectory(steps=run.steps, times=run.times, values=vals, block_sums=np.zeros((1, 1)),
                      block_counts=np.ones((1, 1)), block_edges=edges, divergence=div,
                      n_steps=int(run.steps[-1]), alive=np.array([True]) if rho == rho else np.array([False]))


def _curve(run: ExactRun) -> Curve:
    v = run.values
    return Curve(steps=run.steps, times=run.times, mean=v, lower=v.copy(), upper=v.copy(),
                 n=np.zeros(len(v), dtype=int), confidence=1.0)


def _exact_comparison(run: ExactRun, bset: Any) -> str:
    """Rational mode: the exact level against the bound's level at the same rational values (a proof
    for this instance, not a statistical statement)."""
    import sympy as sp

    vals = {s: sp.nsimplify(bset.values[str(s)], rational=True) for s in bset.bound.level.free_symbols
            if str(s) in bset.values}
    blevel = sp.nsimplify(sp.simplify(bset.bound.level.subs(vals)))
    lvl = run.exact_level
    rel = "<=" if lvl <= blevel else ">"
    what = "holds" if lvl <= blevel else "is violated"
    return (f"exact comparison (proved for these rational inputs): level {lvl} {rel} {bset.bound.title} level "
            f"{blevel}; the bound {what} at stationarity (excess factor {sp.nsimplify(lvl / blevel)})")


def exact_simulate(method: str, problem: Any, noise: Noise, *, eta: float, steps: int, compressor: Any = None,
                   sde: bool = False, bound: bool = False, masks: str = "independent", points: int = 200,
                   rational: bool = False) -> Any:
    """:func:`theorylab.simulate.simulate` with the exact engine: a :class:`Simulation` whose
    estimates have zero-width intervals, and verdicts decided by the exact values."""
    from ..experiment import Simulation
    from ..models import bound_for
    from ..optimizers import OptimizerRun, resolve_compressors
    from ..sde import SDERun
    from ..verdict import HOLDS, VIOLATED, TrajectoryVerdict, _status, verdict

    t0 = time.perf_counter()
    run = exact_run(method, problem, noise, eta=eta, steps=steps, compressor=compressor, masks=masks,
                    points=points, rational=rational)
    params = dict(run.params)
    orun = OptimizerRun(run.method, _trajectory(run), params, None, "numpy", f"exact moments, {run.path}",
                        time.perf_counter() - t0, extra={"exact": run.describe()})
    level = exact_estimate(run.level)
    warnings: list[str] = []
    if rational:
        warnings.append(f"rational mode: exact stationary level {run.exact_level}")
    sim = Simulation(orun, _curve(run), level, seed=None, warnings=warnings)
    comps = resolve_compressors(compressor, problem.n_agents) if method == "dcsgd" else None
    if bound:
        try:
            sim.bound = bound_for(method, problem, noise, float(eta), comps)
        except (AssumptionError, InvalidParameterError) as exc:
            sim.bound_error = str(exc)
    if sde:
        try:
            srun = exact_sde_run(method, problem, noise, eta=eta, steps=steps, compressor=compressor,
                                 points=points, rational=rational)
        except (AssumptionError, InvalidParameterError) as exc:
            sim.sde_error = str(exc)
        else:
            sim.sde_run = SDERun(srun.method, _trajectory(srun), srun.params, None, "numpy", srun.wall_time,
                                 extra={"exact": srun.describe()})
            sim.sde_curve = _curve(srun)
            sim.sde_level = exact_estimate(srun.level)
    if sim.bound is not None and rational and not run.diverged:
        sim.warnings.append(_exact_comparison(run, sim.bound))
    if sim.bound is not None:
        b = sim.bound
        sim.verdict = verdict(level, b.level, name=b.bound.title)
        bvals = b.curve(run.times)
        statuses = tuple(_status(float(v), float(v), float(bb), 1e-9) for v, bb in zip(run.values, bvals))
        viol = [i for i, s in enumerate(statuses) if s == VIOLATED]
        status = VIOLATED if viol else (HOLDS if all(s == HOLDS for s in statuses) else statuses[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = float(np.nanmax(run.values / bvals))
        sim.trajectory_verdict = TrajectoryVerdict(status, run.times.copy(), run.values, run.values, run.values,
                                                   bvals, statuses, 1.0,
                                                   float(run.times[viol[0]]) if viol else None, ratio,
                                                   name=b.bound.title)
    return sim


def weak_errors(method: str, problem: Any, noise: Noise, etas: list[float], *, horizon: float,
                compressor: Any = None) -> list[float]:
    """``sup_{kη ≤ T} |E f(x_k) − E f(X_{kη})|`` for each ``η``: the weak error of Theorem 1's SDE against
    the optimizer, both exact (every step recorded), so its order in η is measured without sampling noise."""
    out = []
    for eta in etas:
        steps = max(1, int(round(horizon / eta)))
        kw = dict(eta=eta, steps=steps, points=steps + 1, compressor=compressor)
        opt = exact_run(method, problem, noise, **kw)
        sde = exact_sde_run(method, problem, noise, **kw)
        out.append(float(np.max(np.abs(opt.values - sde.values))))
    return out
