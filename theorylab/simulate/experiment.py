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
from .optimizers import OptimizerRun, resolve_compressors, run_optimizer
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
        if self.sde_run is not None:
            out["sde"] = {"parameters": self.sde_run.params, "wall_time_s": self.sde_run.wall_time,
                          "curve": self.sde_curve.describe(max_points), "stationary": self.sde_level.describe(),
                          "divergence": self.sde_run.trajectory.divergence.describe()}
        if self.bound is not None:
            b = self.bound.describe()
            bc = self.bound_curve()
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
        lines = [f"{p['method']} on {p['spec']} (d={p['d']}, N={p['agents']}, mu={p['mu']:.6g}, L={p['L']:.6g}), "
                 f"noise {p['noise']} sigma={p['sigma']} B={p['batch']}, eta={p['eta']:g}, {p['steps']} steps, "
                 f"{p['replicas']} replicas, seed {self.seed}, backend {self.run.backend} ({self.run.path})",
                 f"  final mean gap: {self.curve.mean[-1]:.6g} [{self.curve.lower[-1]:.6g}, {self.curve.upper[-1]:.6g}]",
                 f"  stationary level: {self.level}"]
        if self.sde_level is not None:
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
        lines += [f"  warning (optimizer estimate): {w}" for w in self.level.warnings]
        if self.sde_level is not None:
            lines += [f"  warning (SDE estimate): {w}" for w in self.sde_level.warnings]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def simulate(method: str, problem: Problem, noise: Noise, *, eta: float, steps: int, replicas: int,
             compressor: Any = None, sde: bool = False, bound: bool = False, ell: str | None = "A",
             R: float | None = None, seed: int | None = 0, backend: str = "numpy", confidence: float = 0.95,
             burn_in: int | float | None = None, points: int = 200, substeps: int = 1, scheme: str = "euler",
             sde_paths: int | None = None, exact_sde: bool = True, progress: bool | None = False,
             fast: bool = True) -> Simulation:
    """Run ``method`` (and its SDE when ``sde``), estimate, and compare with its bound when ``bound``.

    The seed feeds a ``numpy.random.SeedSequence`` spawning independent streams for the
    optimizer and the SDE. A bound whose assumptions fail (``Δ ≤ 0``, ``ν ≤ 2`` for Theorem 3)
    is reported in ``bound_error`` and the simulation still runs; likewise ``sde_error`` when the
    symbolic layer has no SDE for the setting (a compressor other than Rand-k, ``ν ≤ 2`` for DCSGD).
    """
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    check_seed(seed)
    ss = np.random.SeedSequence(seed)
    s_opt, s_sde = ss.spawn(2)
    comps = resolve_compressors(compressor, problem.n_agents) if method == "dcsgd" else None
    warnings: list[str] = []
    bset, berr = None, None
    if bound:
        try:
            bset = bound_for(method, problem, noise, eta, comps, ell=ell, R=R)
        except (AssumptionError, InvalidParameterError) as exc:
            berr = str(exc)
    run = run_optimizer(method, problem, noise, eta=eta, steps=steps, replicas=replicas, compressor=comps,
                        seed=s_opt, backend=backend, points=points, progress=progress, fast=fast)
    curve = mean_curve(run.trajectory, confidence)
    level = stationary_level(run.trajectory, confidence, burn_in)
    sim = Simulation(run, curve, level, bound=bset, bound_error=berr, seed=seed, warnings=warnings)
    if sde:
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
        sim.verdict = verdict(level, bset.level, name=bset.bound.title)
        sim.trajectory_verdict = trajectory_verdict(run.trajectory, bset.curve(run.trajectory.times),
                                                    confidence, name=bset.bound.title)
    if not math.isfinite(level.value):
        warnings.append("no finite stationary estimate")
    return sim
