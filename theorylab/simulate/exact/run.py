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

__all__ = ["EXACT_METHODS", "SDE_METHODS", "mixing_matrix", "exact_run", "exact_sde_run", "exact_simulate", "exact_estimate", "weak_errors"]

EXACT_METHODS = ("dsgd", "dcsgd", "psgd", "diana", "ef21", "ef14", "gossip", "fedavg", "scaffold")
SDE_METHODS = ("dsgd", "dcsgd")
_COMPRESSED = ("dcsgd", "diana", "ef21", "ef14")
# the options each method takes (keyword arguments of exact_run); anything else is rejected
_OPTIONS = {"dsgd": (), "dcsgd": ("masks",), "psgd": (), "diana": ("alpha",), "ef21": (), "ef14": (),
            "gossip": ("mixing", "topology", "order"), "fedavg": ("local_steps", "server_lr", "participation"),
            "scaffold": ("local_steps", "server_lr")}

_WHY_NOT = {
    "dsignsgd": "dsignsgd applies sign(), which is not linear in the gradient: its moments do not close",
    "marina": "MARINA's random switch between a full gradient and compressed differences is linear, but its "
              "exact recursion is not implemented",
    "fedavg-m": "FedAvg with server momentum has no exact recursion here",
}


_ALIASES = {"gossip-sgd": "gossip"}  # the Monte Carlo registry's name of the lecture's decentralised SGD


def _check_method(method: str, allowed: tuple[str, ...] = EXACT_METHODS) -> str:
    method = method.lower()
    method = _ALIASES.get(method, method)
    if method in allowed:
        return method
    why = _WHY_NOT.get(method, f"{method!r} has no exact moment recursion here")
    raise InvalidParameterError(f"the exact engine covers {', '.join(allowed)} on quadratics; {why}; "
                                "use --engine montecarlo")


def mixing_matrix(topology: str, n: int) -> np.ndarray:
    """The two fixed topologies the exact gossip takes by name: ``ring`` (each node averages itself and its
    two neighbours, 1/3 each; ``n ≤ 2`` is the complete graph) and ``complete`` (``11ᵀ/n``). Other
    topologies: pass the matrix (or a list, used in turn) as ``mixing``."""
    if topology == "complete" or (topology == "ring" and n <= 2):
        return np.full((n, n), 1.0 / n)
    if topology == "ring":
        w = np.zeros((n, n))
        for i in range(n):
            for j in (i - 1, i, i + 1):
                w[i, j % n] += 1.0 / 3.0
        return w
    raise InvalidParameterError(f"exact gossip knows the topologies 'ring' and 'complete' by name, got "
                                f"{topology!r}; on the command line use --topology ring or complete (or --engine montecarlo for the "
                                "others); from Python, pass mixing=W (an N x N doubly stochastic matrix) to exact_run")


def exact_run(method: str, problem: Any, noise: Noise, *, eta: Any, steps: int, compressor: Any = None,
              masks: str = "independent", points: int = 200, rational: bool = False, **options: Any) -> ExactRun:
    """Exact ``E f(x_k) − f*`` of ``method`` on a quadratic ``problem`` (see :data:`EXACT_METHODS`).

    ``compressor``: as for ``run_optimizer`` (an object, a spec, or one per agent), in the linear
    class; ``masks`` (dcsgd): ``"independent"`` (as the Monte Carlo engine) or ``"shared"``;
    ``rational`` (dsgd/dcsgd): exact fractions (small d; inputs with short decimal forms).
    ``options`` by method: diana ``alpha``; gossip ``mixing`` (matrix or list of matrices) or ``topology``
    (``ring``/``complete``) and ``order`` (``cta``/``atc``); fedavg ``local_steps``, ``server_lr``,
    ``participation``; scaffold ``local_steps``, ``server_lr``. ``eta`` is the (local) step size γ of
    the methods that call it so; steps of fedavg/scaffold are rounds. The update rules and their order
    are in :mod:`.algorithms`.
    """
    from ..optimizers import resolve_compressors
    from . import algorithms as alg

    method = _check_method(method)
    bad = sorted(set(options) - set(_OPTIONS[method]))
    if masks != "independent" and method != "dcsgd":
        bad.append("masks")
    if bad:
        raise InvalidParameterError(f"{method} takes no option {', '.join(bad)} in the exact engine"
                                    + (f" (it takes {', '.join(_OPTIONS[method])})" if _OPTIONS[method] else ""))
    comps = resolve_compressors(compressor, problem.n_agents) if method in _COMPRESSED else None
    if method in _COMPRESSED and comps is None:
        raise InvalidParameterError(f"{method} needs a compressor (e.g. 'randk:k=5')"
                                    + ("; use dsgd for no compression" if method == "dcsgd" else ""))
    if method not in _COMPRESSED and compressor is not None:
        raise InvalidParameterError(f"{method} takes no compressor (got {compressor!r})")
    if rational and method not in ("dsgd", "dcsgd"):
        raise InvalidParameterError(f"rational mode covers dsgd and dcsgd; {method} runs in floating point")
    q = from_problem(problem, noise, rational=rational)
    params = {"method": method, "engine": "exact", "eta": float(eta), "steps": int(steps), "replicas": 0,
              "masks": masks, **{k: (v if not isinstance(v, np.ndarray) else v.tolist()) for k, v in options.items()},
              "compressor": None if comps is None else (getattr(comps[0], "spec", repr(comps[0]))
                                                         if len({getattr(c, "spec", id(c)) for c in comps}) == 1
                                                         else [getattr(c, "spec", repr(c)) for c in comps]),
              **problem.describe(), **noise.describe()}
    if method in ("dsgd", "dcsgd"):
        return exact_dcsgd(q, eta, steps, comps=comps, masks=masks, points=points, method=method, params=params)
    eta = float(eta)
    comps = comps or []
    if method == "psgd":
        run = alg.exact_psgd(q, eta, steps, points=points)
    elif method == "diana":
        run = alg.exact_diana(q, eta, float(options.get("alpha", 1.0 / (1.0 + _max_omega(comps, problem.d)))),
                              steps, comps, points=points)
    elif method == "ef21":
        run = alg.exact_ef21(q, eta, steps, comps, points=points)
    elif method == "ef14":
        run = alg.exact_ef14(q, eta, steps, comps, points=points)
    elif method == "gossip":
        mixing = options.get("mixing")
        if mixing is None:
            mixing = mixing_matrix(options.get("topology", "ring"), problem.n_agents)
        run = alg.exact_gossip(q, eta, steps, mixing, order=options.get("order", "cta"), points=points)
    elif method == "fedavg":
        run = alg.exact_fedavg(q, eta, int(options.get("local_steps", 1)), steps,
                               server_lr=float(options.get("server_lr", 1.0)),
                               participation=options.get("participation"), points=points)
    else:
        run = alg.exact_scaffold(q, eta, int(options.get("local_steps", 1)), steps,
                                 server_lr=float(options.get("server_lr", 1.0)), points=points)
    run.params = params
    return run


def _max_omega(comps: Any, d: int) -> float:
    """DIANA's default α = 1/(1+ω) (Mishchenko et al. 2019), ω the largest over the agents (from the moments)."""
    from .moments import linear_moments

    return max(float(linear_moments(c, d).omega) for c in comps)


def exact_sde_run(method: str, problem: Any, noise: Noise, *, eta: float, steps: int, compressor: Any = None,
                  points: int = 200, rational: bool = False) -> ExactRun:
    """Exact ``E f(X_t) − f*`` of the SDE of ``method`` (Theorem 1) at the times ``kη`` of the record grid."""
    from ..models import sde_setting
    from ..optimizers import resolve_compressors
    from .sde import exact_sde, sde_coefficients

    from fractions import Fraction

    method = _check_method(method, SDE_METHODS)
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
    first = None
    if run.diverged:  # the step where the exact gap has left its start by the growth rule's factor (else 0)
        from ..record import GROWTH_FACTOR

        with np.errstate(invalid="ignore", over="ignore"):
            big = ~(np.asarray(run.values, dtype=float) <= GROWTH_FACTOR * max(abs(float(run.values[0])), 1e-300))
        first = int(run.steps[int(np.argmax(big))]) if big.any() else 0
    div = ExactDivergence(first, 1.0 if run.diverged else 0.0,
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
                   rational: bool = False, **options: Any) -> Any:
    """:func:`theorylab.simulate.simulate` with the exact engine: a :class:`Simulation` whose
    estimates have zero-width intervals, and verdicts decided by the exact values. ``options`` go to
    :func:`exact_run` (the linear algorithms' constants)."""
    from ..experiment import Simulation
    from ..models import bound_for
    from ..optimizers import OptimizerRun, resolve_compressors
    from ..sde import SDERun
    from ..verdict import HOLDS, VIOLATED, TrajectoryVerdict, _status, decide, run_state, verdict

    from ...budget import exact_budget

    exact_budget(str(method), d=problem.d, agents=problem.n_agents, steps=steps, rational=rational)
    t0 = time.perf_counter()
    run = exact_run(method, problem, noise, eta=eta, steps=steps, compressor=compressor, masks=masks,
                    points=points, rational=rational, **options)
    params = dict(run.params)
    orun = OptimizerRun(run.method, _trajectory(run), params, None, "numpy", f"exact moments, {run.path}",
                        time.perf_counter() - t0, extra={"exact": run.describe()})
    level = exact_estimate(run.level)
    warnings: list[str] = []
    if rational:
        warnings.append(f"rational mode: exact stationary level {run.exact_level}")
    if "consensus_error_level" in run.extra:
        warnings.append(f"consensus error (1/N) sum_i |x_i - xbar|^2: stationary {run.extra['consensus_error_level']:.6g}"
                        f", final {run.extra['consensus_error_curve'][-1]:.6g}")
    sim = Simulation(orun, _curve(run), level, seed=None, warnings=warnings)
    comps = resolve_compressors(compressor, problem.n_agents) if method == "dcsgd" else None
    if bound and method not in SDE_METHODS:
        sim.bound_error = f"no bound of the source papers is wired for {method} (Theorem 3 covers dsgd and dcsgd)"
    elif bound:
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
        sim.verdict = verdict(level, b.level, name=b.bound.title, run=orun.trajectory)
        bvals = b.curve(run.times)
        statuses = tuple(_status(float(v), float(v), float(bb), 1e-9) for v, bb in zip(run.values, bvals))
        viol = [i for i, s in enumerate(statuses) if s == VIOLATED]
        status = VIOLATED if viol else (HOLDS if all(s == HOLDS for s in statuses) else statuses[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = float(np.nanmax(run.values / bvals))
        status, note = decide(status, run_state(orun.trajectory))  # the one rule for infinite or unmoved runs
        sim.trajectory_verdict = TrajectoryVerdict(status, run.times.copy(), run.values, run.values, run.values,
                                                   bvals, statuses, 1.0,
                                                   float(run.times[viol[0]]) if viol else None, ratio,
                                                   name=b.bound.title, note=note)
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
