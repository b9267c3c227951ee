"""One experiment: an optimizer, optionally its SDE, optionally a bound and its verdict.

:func:`simulate` runs the optimizer (and the SDE on the same time grid), estimates the mean
curves and the stationary level with intervals, evaluates the symbolic bound and compares.
The result renders as text or as JSON (subsampled curves, estimates, bound, verdicts,
parameters, seed, package version).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__
from ..backend import check_seed
from ..errors import AssumptionError, InvalidParameterError
from .estimate import Curve, Estimate, mean_curve, stationary_level
from .models import BoundSetting, bound_for, sde_for
from .noise import Noise
from .optimizers import METHODS as _SDE_METHODS
from .optimizers import OptimizerRun, resolve_compressors
from .algorithms import run_optimizer
from .problems import Problem
from .sde import SDERun, integrate
from .verdict import TrajectoryVerdict, Verdict, trajectory_verdict, verdict

__all__ = ["Simulation", "simulate"]


@dataclass
class Simulation:
    """Everything one experiment produced (see :func:`simulate`)."""

    run: OptimizerRun
    curve: Curve
    level: Estimate
    sde_run: SDERun | None = None
    sde_curve: Curve | None = None
    sde_level: Estimate | None = None
    bound: BoundSetting | None = None
    bound_error: str | None = None
    sde_error: str | None = None
    verdict: Verdict | None = None
    trajectory_verdict: TrajectoryVerdict | None = None
    seed: Any = None
    warnings: list[str] = field(default_factory=list)
    consensus_curve: Curve | None = None
    consensus_level: Estimate | None = None

    @property
    def deterministic(self) -> bool:
        """No randomness mattered (σ = 0, every replica identical): values are exact, no intervals."""
        return bool(self.run.extra.get("deterministic", False))

    def _exact_json(self, max_points: int) -> dict[str, Any]:
        """A deterministic run's values (one replica's, all equal): final value and the curve."""
        t = self.run.trajectory
        idx = np.unique(np.round(np.linspace(0, len(t.steps) - 1, min(max_points, len(t.steps)))).astype(int))
        out: dict[str, Any] = {"final_gap": float(t.values[-1, 0]),
                               "curve": {"steps": [int(s) for s in t.steps[idx]],
                                         "gap": [float(v) for v in t.values[idx, 0]]}}
        cons = self.run.extra.get("consensus")
        if cons is not None:
            out["final_consensus_error"] = float(cons.values[-1, 0])
            out["curve"]["consensus_error"] = [float(v) for v in cons.values[idx, 0]]
        return out

    def bound_curve(self) -> np.ndarray | None:
        return None if self.bound is None else self.bound.curve(self.curve.times)

    def to_json(self, max_points: int = 100) -> dict[str, Any]:
        out: dict[str, Any] = {
            "theorylab_version": __version__,
            "seed": self.seed,
            "backend": self.run.backend,
            "parameters": self.run.params,
            "path": self.run.path,
            "wall_time_s": self.run.wall_time,
            "divergence": self.run.trajectory.divergence.describe(),
            "curve": self.curve.describe(max_points),
            "stationary": self.level.describe(),
            "warnings": self.warnings,
        }
        if "topology" in self.run.extra:
            out["topology"] = self.run.extra["topology"]
        if self.consensus_curve is not None and self.consensus_level is not None:
            out["consensus"] = {"definition": "(1/N) sum_i ||x_i - xbar||^2",
                                "curve": self.consensus_curve.describe(max_points),
                                "stationary": self.consensus_level.describe()}
        if self.deterministic:
            out["deterministic"] = True
            out["exact"] = self._exact_json(max_points)
            for key in ("curve", "stationary"):
                out.pop(key, None)
            if "consensus" in out:
                out["consensus"] = {"definition": out["consensus"]["definition"],
                                    "final": out["exact"]["final_consensus_error"]}
        if self.sde_run is not None and self.sde_curve is not None and self.sde_level is not None:
            out["sde"] = {"parameters": self.sde_run.params, "wall_time_s": self.sde_run.wall_time,
                          "curve": self.sde_curve.describe(max_points), "stationary": self.sde_level.describe(),
                          "divergence": self.sde_run.trajectory.divergence.describe()}
        bc = self.bound_curve()
        if self.bound is not None and bc is not None:
            b = self.bound.describe()
            idx = np.unique(np.round(np.linspace(0, len(bc) - 1, min(max_points, len(bc)))).astype(int))
            b["curve"] = [float(v) for v in bc[idx]]
            out["bound"] = b
        if self.bound_error is not None:
            out["bound_error"] = self.bound_error
        if self.sde_error is not None:
            out["sde_error"] = self.sde_error
        if self.verdict is not None:
            out["verdict"] = self.verdict.describe()
        if self.trajectory_verdict is not None:
            out["trajectory_verdict"] = self.trajectory_verdict.describe()
        return out

    def text(self) -> str:
        p = self.run.params
        opts = "".join(f", {k}={p[k]}" for k in ("local_steps", "server_lr", "participation", "momentum", "topology",
                                                 "gossip", "alpha", "p") if p.get(k) is not None)
        lines = [f"{p['method']} on {p['spec']} (d={p['d']}, N={p['agents']}, mu={p['mu']:.6g}, L={p['L']:.6g}), "
                 f"noise {p['noise']} sigma={p['sigma']} B={p['batch']}, eta={p['eta']:g}{opts}, {p['steps']} steps, "
                 f"{p['replicas']} replicas, seed {self.seed}, backend {self.run.backend} ({self.run.path})"]
        if "topology" in self.run.extra:
            tp = self.run.extra["topology"]
            lines.append(f"  topology {tp['topology']}: rho = {tp['rho']:.6g}, spectral gap 1 - rho = "
                         f"{tp['spectral_gap']:.6g}" + (f", rho over a period of {tp['period']} = {tp['rho_period']:.6g}"
                                                         if tp["period"] > 1 else ""))
        if self.deterministic:
            ex = self._exact_json(2)
            lines.append(f"  deterministic run (sigma = 0, every replica identical): final gap {ex['final_gap']:.10g}")
            if "final_consensus_error" in ex:
                lines.append(f"  final consensus error (1/N) sum ||x_i - xbar||^2: {ex['final_consensus_error']:.10g}")
        else:
            lines += [f"  final mean gap: {self.curve.mean[-1]:.6g} [{self.curve.lower[-1]:.6g}, "
                      f"{self.curve.upper[-1]:.6g}]", f"  stationary level: {self.level}"]
            if self.consensus_level is not None:
                lines.append(f"  consensus error (1/N) sum ||x_i - xbar||^2, stationary level: {self.consensus_level}")
        if self.sde_level is not None and self.sde_run is not None:
            lines.append(f"  SDE ({self.sde_run.params['sde']}, {self.sde_run.params['scheme']}, "
                         f"h={self.sde_run.params['h']:g}): {self.sde_level}")
        if self.sde_error is not None:
            lines.append(f"  SDE not available: {self.sde_error}")
        if self.bound is not None:
            extra = f" (R = {self.bound.values['R']:.6g})" if "R" in self.bound.values else ""
            lines.append(f"  bound {self.bound.bound.title}{extra}: level {self.bound.level:.6g}")
            lines += [f"    note: {n}" for n in self.bound.notes]
        if self.bound_error is not None:
            lines.append(f"  bound not applicable: {self.bound_error}")
        if self.verdict is not None:
            lines.append(f"  verdict (stationary level): {self.verdict}")
        if self.trajectory_verdict is not None:
            lines.append(f"  verdict (trajectory): {self.trajectory_verdict}")
        div = self.run.trajectory.divergence
        lines.append(f"  divergence: {div.message()}")
        if not self.deterministic:
            lines += [f"  warning (optimizer estimate): {w}" for w in self.level.warnings]
        if self.sde_level is not None:
            lines += [f"  warning (SDE estimate): {w}" for w in self.sde_level.warnings]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def simulate(method: Any, problem: Problem, noise: Noise, *, eta: float, steps: int, replicas: int,
             compressor: Any = None, sde: bool = False, bound: bool = False, ell: str | None = "A",
             R: float | None = None, seed: int | None = 0, backend: str = "numpy", confidence: float = 0.95,
             burn_in: int | float | None = None, points: int = 200, substeps: int = 1, scheme: str = "euler",
             sde_paths: int | None = None, exact_sde: bool = True, progress: bool | None = False,
             fast: bool = True, options: dict[str, Any] | None = None) -> Simulation:
    """Run ``method`` (and its SDE when ``sde``), estimate, and compare with its bound when ``bound``.

    The seed feeds a ``numpy.random.SeedSequence`` spawning independent streams for the
    optimizer and the SDE. A bound whose assumptions fail (``Δ ≤ 0``, ``ν ≤ 2`` for Theorem 3)
    is reported in ``bound_error`` and the simulation still runs; likewise ``sde_error`` when the
    symbolic layer has no SDE for the setting (a compressor other than Rand-k, ``ν ≤ 2`` for DCSGD).
    ``method`` may be any registered algorithm (:mod:`theorylab.simulate.algorithms`, with its
    ``options``) or ``FILE.py:NAME``; only dsgd, dcsgd and dsignsgd have an SDE and a bound.
    """
    from .._validate import real_number
    from ..budget import simulate_budget

    if not isinstance(problem, Problem):
        raise InvalidParameterError(f"problem must be a theorylab.simulate problem (e.g. problem_from_spec("
                                    f"'quadratic:mu=1', d, N)), got {type(problem).__name__}")
    if not isinstance(noise, Noise):
        raise InvalidParameterError(f"noise must be a theorylab.simulate Noise (e.g. noise_from_spec('gaussian', "
                                    f"sigma)), got {type(noise).__name__}")
    if not (isinstance(method, str) or hasattr(method, "step")):
        raise InvalidParameterError(f"method must be a method name (e.g. 'dsgd') or an algorithm object, "
                                    f"got {type(method).__name__} {method!r:.40}")
    real_number("confidence", confidence, low=0, high=1, open_low=True, open_high=True)
    if ell is not None and (not isinstance(ell, str) or ell.upper() not in ("A", "B")):
        raise InvalidParameterError(f"ell must be 'A' or 'B' (Theorem 4's ell_nu candidates), got {ell!r}")
    if ell is not None and ell.upper() == "B" and not (bound and method == "dsignsgd"):
        raise InvalidParameterError("ell='B' applies to dsignsgd with bound=True (Theorem 4's ell_nu)")
    simulate_budget(str(getattr(method, "name", method)), d=problem.d, agents=problem.n_agents, replicas=replicas,
                    steps=steps, sde=sde)  # before any allocation: one line when it is out of reach
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]  # entropy is an int here
    check_seed(seed)
    ss = np.random.SeedSequence(seed)
    s_opt, s_sde = ss.spawn(2)
    classic = isinstance(method, str) and method.lower() in _SDE_METHODS and not options
    comps = resolve_compressors(compressor, problem.n_agents) if (method == "dcsgd" or not classic) else None
    warnings: list[str] = []
    bset, berr = None, None
    if bound and not classic:
        berr = f"no bound is declared for {getattr(method, 'name', method)} (Theorems 3 and 4 cover dsgd, dcsgd, dsignsgd)"
    elif bound:
        try:
            bset = bound_for(method, problem, noise, eta, comps, ell=ell, R=R)
        except (AssumptionError, InvalidParameterError) as exc:
            berr = str(exc)
    run = run_optimizer(method, problem, noise, eta=eta, steps=steps, replicas=replicas, compressor=comps,
                        seed=s_opt, backend=backend, points=points, progress=progress, fast=fast,
                        options=options)
    curve = mean_curve(run.trajectory, confidence)
    level = stationary_level(run.trajectory, confidence, burn_in)
    sim = Simulation(run, curve, level, bound=bset, bound_error=berr, seed=seed, warnings=warnings)
    if "consensus" in run.extra:
        sim.consensus_curve = mean_curve(run.extra["consensus"], confidence)
        sim.consensus_level = stationary_level(run.extra["consensus"], confidence, burn_in)
    if sde and not classic:
        sim.sde_error = f"no SDE is declared for {getattr(method, 'name', method)} (the symbolic SDEs cover dsgd, dcsgd, dsignsgd)"
    elif sde:
        if problem.heterogeneous:
            warnings.append("the symbolic SDEs assume homogeneous agents (state g = grad f); this problem is "
                            "heterogeneous, so the SDE is a model of the mean gradient only")
        try:
            nsde = sde_for(method, problem, noise, eta, comps, backend=backend, exact=exact_sde)
        except (AssumptionError, InvalidParameterError) as exc:
            sim.sde_error = str(exc)
        else:
            srun = integrate(nsde, problem, eta=eta, steps=steps, paths=sde_paths or replicas, substeps=substeps,
                             scheme=scheme, seed=s_sde, backend=backend, points=points, progress=progress)
            sim.sde_run = srun
            sim.sde_curve = mean_curve(srun.trajectory, confidence)
            sim.sde_level = stationary_level(srun.trajectory, confidence, burn_in)
    if bset is not None:
        sim.verdict = verdict(level, bset.level, name=bset.bound.title, run=run.trajectory)
        sim.trajectory_verdict = trajectory_verdict(run.trajectory, bset.curve(run.trajectory.times),
                                                    confidence, name=bset.bound.title)
    if not math.isfinite(level.value) and not sim.deterministic:
        warnings.append("no finite stationary estimate")
    return sim
