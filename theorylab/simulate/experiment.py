"""One experiment: its description (:class:`Experiment`) and its run (:func:`simulate`, :class:`Simulation`).

:class:`Experiment` describes one run completely (method and options, problem, noise,
compressor(s), engine, sizes, seed, backend, what to estimate); the library, ``theorylab
simulate`` and ``theorylab sweep`` build the same one and run it the same way. Its fields carry
their command-line flag, help and applicability as metadata, from which the CLI's flags and
the documented table of fields (:func:`field_table`) are generated.

:func:`simulate` runs the optimizer (and the SDE on the same time grid), estimates the mean
curves and the stationary level with intervals, evaluates the symbolic bound and compares.
The result renders as text or as JSON (subsampled curves, estimates, bound, verdicts,
parameters, seed, package version).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
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

__all__ = ["Simulation", "simulate", "Experiment", "ExperimentInputs", "field_table"]


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


# --------------------------------------------------------------------------------------------------
# Experiment: the one description of a run that the library, the CLI and the sweeps share
# --------------------------------------------------------------------------------------------------

DEFAULT_REPLICAS = 200
DEFAULT_DIM, DEFAULT_AGENTS = 20, 4

#: the algorithms' own options (fields of :class:`Experiment` that a method takes or refuses)
METHOD_OPTIONS: tuple[str, ...] = ("local_steps", "server_lr", "participation", "momentum", "topology", "gossip",
                                   "alpha", "p")
#: the exact engine's names of the method options (``gossip`` is its ``order``)
_EXACT_NAMES = {"alpha": "alpha", "local_steps": "local_steps", "server_lr": "server_lr",
                "participation": "participation", "topology": "topology", "gossip": "order"}


def _f(default: Any, flag: str, kind: str, help: str, *, applies: str = "every method", type: str,
       choices: tuple[str, ...] = (), metavar: str | None = None) -> Any:
    """A field of :class:`Experiment` with its metadata: command-line ``flag``, value ``kind`` (how a
    value is read from text, TOML or Python), ``help``, ``applies`` (which runs take it), the ``type``
    shown in the field table, and ``choices``."""
    return field(default=default, metadata={"flag": flag, "kind": kind, "help": help, "applies": applies,
                                            "type": type, "choices": choices, "metavar": metavar})


def _shown(value: Any) -> str:
    """A value in an error message, spelled the same whether it came from text, TOML or Python."""
    if isinstance(value, str):
        return repr(value) if not value or value != value.strip() else value
    if isinstance(value, (list, tuple)):
        return ",".join(_shown(v) for v in value)
    return str(value)


def _number(flag: str, value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise InvalidParameterError(f"{flag} must be {what}, got {_shown(value)}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise InvalidParameterError(f"{flag} must be {what}, got {_shown(value)}")


def _coerce(f: Any, value: Any) -> Any:
    """``value`` (text from a flag, a TOML value or a Python value) as field ``f`` holds it; a value
    that does not fit is a one-line :class:`InvalidParameterError` naming the flag."""
    flag, kind = f.metadata["flag"], f.metadata["kind"]
    if kind == "flag":
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidParameterError(f"{flag} is a flag: true or false, got {_shown(value)}")
        return bool(value)
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise InvalidParameterError(f"{flag} must be a non-empty string, got {_shown(value)}")
        if f.name == "method" and value != value.strip():  # 'DSGD ' is a typo, not a method
            raise InvalidParameterError(f"{flag} {value!r} has spaces around it; expected a method name such as "
                                        f"{value.strip()!r}")
        return value.strip()
    if kind == "choice":
        choices = f.metadata["choices"]
        text = {"mc": "montecarlo"}.get(value, value) if flag == "--engine" else value
        if text not in choices:
            alias = " (or mc)" if flag == "--engine" else ""
            raise InvalidParameterError(f"{flag} must be one of {', '.join(choices)}{alias}, got {_shown(value)}")
        return text
    if kind == "posint":
        x = _number(flag, value, "a positive integer")
        if not (math.isfinite(x) and x.is_integer() and x >= 1):
            raise InvalidParameterError(f"{flag} must be a positive integer, got {_shown(value)}")
        return int(x)
    if kind == "seed":
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise InvalidParameterError(f"{flag} must be an integer >= 0, got {_shown(value)}")
        return int(value)
    if kind == "posfloat":
        x = _number(flag, value, "a number")
        if not (math.isfinite(x) and x > 0):
            raise InvalidParameterError(f"{flag} must be a finite number > 0, got {_shown(value)}")
        return x
    if kind == "confidence":
        x = _number(flag, value, "a number in (0, 1)")
        if not 0 < x < 1:
            raise InvalidParameterError(f"{flag} must be in (0, 1), got {_shown(value)}")
        return x
    if kind == "sigmas":
        items = value.split(",") if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) \
            else [float(v) for v in value.ravel()] if isinstance(value, np.ndarray) else [value]
        what = "a number or a comma-separated list (one per agent)"
        try:
            vals = tuple(_number(flag, v, what) for v in items)
        except InvalidParameterError:
            raise InvalidParameterError(f"{flag} must be {what}, got {_shown(value)}") from None
        if not vals or any(not (math.isfinite(v) and v >= 0) for v in vals):
            raise InvalidParameterError(f"{flag} values must be finite and >= 0, got {_shown(value)}")
        return vals
    if kind == "burn_in":
        what = "a number of steps (an integer >= 1) or a fraction in [0, 1)"
        x = _number(flag, value, what)
        if not (math.isfinite(x) and x >= 0) or (x >= 1 and not x.is_integer()):
            raise InvalidParameterError(f"{flag} must be {what}, got {_shown(value)}")
        return x if x < 1 else int(x)
    raise AssertionError(f"unknown field kind {kind!r}")  # pragma: no cover - a field declared wrong


_MC = "engine = montecarlo"
_COMPRESSED = "methods with a compressor"
_EX = "engine = exact"


@dataclass(frozen=True)
class Experiment:
    r"""One run, described completely: method and options, problem, noise, compressor(s), engine,
    sizes, seed, backend and what to estimate. The library, ``theorylab simulate`` and
    ``theorylab sweep`` build the same ``Experiment`` and run it the same way.

    Values are read on construction (text such as ``"0.01"`` from a flag, TOML values, Python
    values) and normalised (``dim = 4.0`` is ``4``; ``sigma`` is a tuple, one per agent or one
    for all); a value that does not fit is a one-line :class:`~theorylab.errors.InvalidParameterError`
    naming the field by its command-line flag, so that the library, the CLI and a sweep spec say
    the same thing. ``None`` means "not given": the method's or the problem's default applies.

    - :meth:`validate` checks every rule between fields (which options apply to which method and
      engine, the problem, noise and compressor specs, ``k ≤ d``, ``burn_in < steps``, a GPU for
      ``backend = "cupy"``) and builds the objects, without simulating;
    - :meth:`run` runs it: a :class:`Simulation` (Monte Carlo, or the exact engine's moments with
      zero-width intervals); :func:`simulate`, :func:`~theorylab.simulate.run_optimizer` and
      :func:`~theorylab.simulate.exact.exact_simulate` stay the lower-level calls;
    - :meth:`to_dict` / :meth:`from_dict` and :meth:`to_argv` (the equivalent command line)
      round-trip; :meth:`key` is a stable hash of :meth:`to_dict`.

    The table of fields (generated from this class's metadata) is in README.md and docs/sweeps.md.
    """

    method: str = field(metadata={"flag": "METHOD", "kind": "text", "type": "str", "choices": (), "metavar": None,
                                  "applies": "required",
                                  "help": "dsgd (= psgd), dcsgd, dsignsgd, ef14, ef21, diana, marina, fedavg, scaffold, "
                                  "fedavg-m, gossip-sgd, or FILE.py:NAME (your algorithm)"})
    problem: str = _f("quadratic:mu=1,L=1", "--problem", "text",
                      "quadratic:mu=..,L=..[,hetero=..,rotate=1,x0=..,seed=..], sinpl[:hetero=..], or FILE.py:NAME "
                      "(a function of no argument returning a theorylab.simulate problem)", type="str")
    dim: int | None = _f(None, "--dim", "posint", "dimension d (default 20; a problem FILE.py:NAME fixes its own)",
                         type="int")
    agents: int | None = _f(None, "--agents", "posint",
                            "number of agents N (default 4; a problem FILE.py:NAME fixes its own)", type="int")
    batch: int = _f(1, "--batch", "posint", "batch size B (default 1)", type="int")
    noise: str = _f("gaussian", "--noise", "text", "gaussian | cauchy | student-t:nu=NU (default gaussian)", type="str")
    sigma: tuple[float, ...] = _f((1.0,), "--sigma", "sigmas", "noise scale sigma, or one per agent (a,b,...)",
                                  type="float or list of floats")
    compressor: str | None = _f(None, "--compressor", "text",
                                "a spec (e.g. randk:k=5), MODULE:NAME or FILE.py:NAME (a batched C(x, rng)); one per "
                                "agent separated by ';'", applies=_COMPRESSED, type="str")
    eta: float = _f(0.01, "--eta", "posfloat", "learning rate (default 0.01)", type="float")
    steps: int = _f(2000, "--steps", "posint", "number of steps (default 2000)", type="int")
    replicas: int | None = _f(None, "--replicas", "posint", f"independent replicas (default {DEFAULT_REPLICAS})",
                              applies=_MC, type="int")
    local_steps: int | None = _f(None, "--local-steps", "posint", "local steps per round (default 1)",
                                 applies="@local_steps", type="int", metavar="K")
    server_lr: float | None = _f(None, "--server-lr", "posfloat", "server step size (default 1)",
                                 applies="@server_lr", type="float")
    participation: int | None = _f(None, "--participation", "posint",
                                   "clients sampled per round without replacement (default N)",
                                   applies="@participation", type="int", metavar="S")
    momentum: float | None = _f(None, "--momentum", "posfloat",
                                "weight beta in (0, 1] of the fresh gradient (default 1 = FedAvg)",
                                applies="@momentum", type="float", metavar="BETA")
    topology: str | None = _f(None, "--topology", "text",
                              "ring, torus, star, complete, exponential, one-peer-exponential (default ring)",
                              applies="@topology", type="str")
    gossip: str | None = _f(None, "--gossip", "choice", "combine-then-adapt (default) or adapt-then-combine",
                            applies="@gossip", type="str", choices=("cta", "atc"))
    alpha: float | None = _f(None, "--alpha", "posfloat", "shift step (default 1/(1+omega))", applies="@alpha",
                             type="float")
    p: float | None = _f(None, "--p", "posfloat", "probability of a full synchronisation (default 1/(1+omega))",
                         applies="@p", type="float")
    sde: bool = _f(False, "--sde", "flag", "also integrate the method's SDE (same time grid)",
                   applies="dsgd, dcsgd, dsignsgd (others report that no SDE is declared)", type="bool")
    scheme: str | None = _f(None, "--scheme", "choice", "SDE scheme (default euler)", applies="with sde, " + _MC,
                            type="str", choices=("euler", "richardson"))
    substeps: int | None = _f(None, "--substeps", "posint", "SDE steps per eta (default 1)",
                              applies="with sde, " + _MC, type="int")
    bound: bool = _f(False, "--bound", "flag", "compare with Theorem 3 (dsgd/dcsgd) or 4 (dsignsgd)",
                     applies="dsgd, dcsgd, dsignsgd (others report that no bound is declared)", type="bool")
    ell: str | None = _f(None, "--ell", "choice", "l_nu candidate of Theorem 4 (default A)",
                         applies="dsignsgd with bound", type="str", choices=("A", "B"))
    radius: float | None = _f(None, "--radius", "posfloat",
                              "R of candidate B (|Sigma^-1/2 grad f| <= R along the run); default from x0",
                              applies="ell = B", type="float")
    confidence: float = _f(0.95, "--confidence", "confidence", "confidence level (default 0.95)", applies=_MC,
                           type="float")
    burn_in: int | float | None = _f(None, "--burn-in", "burn_in",
                                     "steps (int, < steps) or fraction (< 1) to discard; default: detected (MSER)",
                                     applies=_MC, type="int or float")
    points: int = _f(200, "--points", "posint", "record points (default 200)", type="int")
    backend: str = _f("numpy", "--backend", "choice", "array backend (cupy needs a CUDA device)", applies=_MC,
                      type="str", choices=("numpy", "cupy", "auto"))
    seed: int = _f(0, "--seed", "seed", "random seed, an integer >= 0 (default 0)", type="int")
    engine: str = _f("montecarlo", "--engine", "choice",
                     "montecarlo (or mc): Monte Carlo (default); exact: exact first and second moments (dsgd, psgd, "
                     "dcsgd, diana, ef14, ef21, gossip-sgd, fedavg, scaffold on quadratics with diagonal Hessians, "
                     "compressors C(x) = D x such as Rand-k and Bernoulli)",
                     type="str", choices=("montecarlo", "exact"))
    masks: str = _f("independent", "--masks", "choice",
                    "compressor masks independent across agents (default) or one shared mask", applies=_EX,
                    type="str", choices=("independent", "shared"))
    rational: bool = _f(False, "--rational", "flag", "exact fractions (small d, inputs with short decimal forms)",
                        applies=_EX, type="bool")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "sigma" and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = (value,)
            if value is None and f.default is None:
                continue
            if value is None:
                raise InvalidParameterError(f"{f.metadata['flag']} cannot be None (it has a default: "
                                            f"{_shown(f.default)})")
            object.__setattr__(self, f.name, _coerce(f, value))

    # ------------------------------------------------------------------ dictionaries and keys
    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (``sigma`` as a list); :meth:`from_dict` gives back an equal ``Experiment``."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Experiment:
        """An ``Experiment`` from field names (``burn-in`` spelled either way); ``None`` = not given.
        An unknown name is a one-line error listing the fields."""
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            name = str(key).replace("-", "_")
            if name not in names:
                raise InvalidParameterError(f"unknown experiment field `{key}`; the fields are {', '.join(FIELD_NAMES)}")
            if value is not None:
                values[name] = value
        if "method" not in values:
            raise InvalidParameterError("an experiment needs a method (e.g. method = \"dcsgd\")")
        return cls(**values)

    def given(self) -> dict[str, Any]:
        """The fields that differ from their defaults (``method`` always), JSON-ready."""
        full = self.to_dict()
        out = {"method": self.method}
        for f in fields(self):
            default = list(f.default) if isinstance(f.default, tuple) else f.default
            if f.name != "method" and full[f.name] != default:
                out[f.name] = full[f.name]
        return out

    def key(self) -> str:
        """A stable 16-hex-digit key: SHA-256 of the canonical JSON of :meth:`to_dict` (sorted keys;
        equal experiments, however spelled, have equal keys)."""
        import hashlib
        import json

        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_argv(self) -> list[str]:
        """The equivalent ``theorylab simulate`` arguments (every non-default field, and ``--seed``)."""
        argv = [self.method]
        full = self.to_dict()
        for f in fields(self):
            if f.name == "method":
                continue
            value = full[f.name]
            default = list(f.default) if isinstance(f.default, tuple) else f.default
            if value == default and f.name != "seed":
                continue
            flag = f.metadata["flag"]
            if f.metadata["kind"] == "flag":
                argv.append(flag)
            else:
                argv += [flag, ",".join(repr(v) for v in value) if isinstance(value, list)
                         else repr(value) if isinstance(value, float) else str(value)]
        return argv

    def replace(self, **changes: Any) -> Experiment:
        """A copy with ``changes`` (read and normalised like the constructor's values)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ rules
    def validate(self) -> ExperimentInputs:
        """Check every rule between fields and build the method, its options, the problem, the noise
        and the compressors (cheap: nothing is simulated). The first broken rule is a one-line
        :class:`~theorylab.errors.InvalidParameterError` (``BackendUnavailableError`` for cupy
        without a GPU), worded as ``theorylab simulate`` words it."""
        from .noise import noise_from_spec
        from .algorithms import resolve_method

        alg = resolve_method(self.method)
        options = {k: getattr(self, k) for k in METHOD_OPTIONS if getattr(self, k) is not None}
        bad = [_flag(k) for k in options if k not in alg.options]
        if bad:
            takes = ", ".join(_flag(k) if k in METHOD_OPTIONS else k for k in alg.options) or "no method options"
            raise InvalidParameterError(f"{', '.join(bad)} does not apply to {alg.name} (it takes {takes})")
        self._reject_inapplicable()
        if self.engine == "exact":
            self._check_exact(options)
        problem = self._problem()
        sigma: Any = self.sigma[0] if len(self.sigma) == 1 else list(self.sigma)
        noise = noise_from_spec(self.noise, sigma, self.batch)
        noise.scales(problem.n_agents)  # checks the number of per-agent sigmas
        if alg.compressor == "required" and self.compressor is None:
            raise InvalidParameterError(f"{alg.name} needs --compressor (e.g. randk:k=5 or topk:k=1)"
                                        + ("; use dsgd for no compression" if alg.name == "dcsgd" else ""))
        if alg.compressor == "none" and self.compressor is not None:
            raise InvalidParameterError(f"{alg.name} takes no --compressor (got {self.compressor!r})"
                                        + ("; use dcsgd" if alg.name in _SDE_METHODS else ""))
        comps = None
        if self.compressor is not None:
            from ..compressors import load_user_compressor  # specs, MODULE:NAME or FILE.py:NAME

            loaded = [load_user_compressor(s.strip()) for s in self.compressor.split(";")]
            comps = resolve_compressors(loaded if len(loaded) > 1 else loaded[0], problem.n_agents)
            for c in {id(c): c for c in comps or []}.values():
                check_dim = getattr(c, "_check_dim", None)  # the catalogue's k <= d and friends
                if callable(check_dim):
                    try:
                        check_dim(problem.d)
                    except InvalidParameterError as exc:
                        raise InvalidParameterError(f"--compressor {exc} (the problem has d = {problem.d})") from None
        if self.engine != "exact" and (self.masks != "independent" or self.rational):
            raise InvalidParameterError("--masks and --rational apply to --engine exact only")
        if isinstance(self.burn_in, int) and self.burn_in >= self.steps:
            raise InvalidParameterError(f"--burn-in {self.burn_in} must be < --steps {self.steps} (it discards that "
                                        "many steps); give fewer steps or a fraction such as 0.5")
        if self.backend == "cupy" and self.engine == "montecarlo":
            from ..backend import get_xp

            get_xp("cupy")  # BackendUnavailableError, one line, when cupy or its GPU is missing
        method = self.method if self.method in _SDE_METHODS else alg
        return ExperimentInputs(method, options, problem, noise, comps)

    def _reject_inapplicable(self) -> None:
        """Options given where they do not apply are errors, not silently ignored."""
        if self.ell is not None and not (self.method == "dsignsgd" and self.bound):
            raise InvalidParameterError(f"--ell applies to dsignsgd with --bound (Theorem 4's l_nu); got --ell "
                                        f"{self.ell} with {self.method}{'' if self.bound else ' without --bound'}")
        if self.radius is not None and self.ell != "B":
            raise InvalidParameterError("--radius applies to --ell B (candidate B's region) only")
        for option, value in (("--scheme", self.scheme), ("--substeps", self.substeps)):
            if value is not None and not self.sde:
                raise InvalidParameterError(f"{option} applies to the SDE: add --sde, or drop {option}")
        if self.engine == "exact":  # sampling options mean nothing for exact moments
            given = [o for o, v in (("--replicas", self.replicas), ("--burn-in", self.burn_in),
                                    ("--scheme", self.scheme), ("--substeps", self.substeps)) if v is not None]
            given += ["--confidence"] * (self.confidence != 0.95) + ["--backend"] * (self.backend != "numpy")
            if given:
                raise InvalidParameterError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to the Monte "
                                            "Carlo engine; --engine exact computes the moments without sampling "
                                            "(numpy only): drop them")

    def _check_exact(self, options: Mapping[str, Any]) -> None:
        """The exact engine covers the linear methods (its own table) and their options."""
        from .exact.run import _OPTIONS, _check_method

        name = _check_method(self.method)
        takes = _OPTIONS[name]
        bad = [_flag(k) for k in options if _EXACT_NAMES.get(k) not in takes]
        if bad:
            shown = ", ".join(_flag(k) for k, v in _EXACT_NAMES.items() if v in takes) or "none of them"
            raise InvalidParameterError(f"{', '.join(bad)}: the exact engine's {name} does not take "
                                        f"{'it' if len(bad) == 1 else 'them'} (its method options: {shown}); "
                                        "use --engine montecarlo")

    def _problem(self) -> Problem:
        """``problem``: a spec, or ``FILE.py:NAME`` (a function returning a problem)."""
        from ..errors import TheorylabError
        from .algorithms import is_file_spec, load_object
        from .problems import problem_from_spec

        if not is_file_spec(self.problem):
            return problem_from_spec(self.problem, DEFAULT_DIM if self.dim is None else self.dim,
                                     DEFAULT_AGENTS if self.agents is None else self.agents)
        factory = load_object(self.problem, "--problem")
        try:
            problem = factory() if callable(factory) and not isinstance(factory, Problem) else factory
        except TheorylabError:
            raise
        except Exception as exc:  # the user's function raised: one line
            raise InvalidParameterError(f"--problem {self.problem}: calling it failed: {type(exc).__name__}: "
                                        f"{exc}") from None
        if not isinstance(problem, Problem):
            raise InvalidParameterError(f"--problem {self.problem} must return a theorylab.simulate problem, "
                                        f"got {type(problem).__name__}")
        for flag, given, own in (("--dim", self.dim, problem.d), ("--agents", self.agents, problem.n_agents)):
            if given is not None and given != own:
                raise InvalidParameterError(f"{flag} {given} contradicts --problem {self.problem}, which has "
                                            f"{'d' if flag == '--dim' else 'N'} = {own}; a problem from a file fixes "
                                            f"its own d and N: drop {flag}")
        return problem

    # ------------------------------------------------------------------ running
    def run(self, *, progress: bool | None = False, on_warning: Any = None) -> Simulation:
        """Validate, then run: a Monte Carlo :class:`Simulation`, or with ``engine = "exact"`` its
        exact peer (zero-width intervals). The same ``Experiment`` gives bit-identical results.

        What is known to go wrong before the run (a method of the contractive class given a
        compressor that is not contractive) is said *before* it: each warning goes to
        ``on_warning(text)`` (default :func:`warnings.warn`) and is kept in the result's ``warnings``."""
        from .models import contraction_warnings

        inp = self.validate()
        before = contraction_warnings(self.method, inp.compressor, inp.problem.d)
        for w in before:
            if on_warning is None:
                import warnings

                warnings.warn(w, UserWarning, stacklevel=2)
            else:
                on_warning(w)
        sim = self._run(inp, progress)
        sim.warnings.extend(w for w in before if w not in sim.warnings)
        return sim

    def _run(self, inp: ExperimentInputs, progress: bool | None) -> Simulation:
        if self.engine == "exact":
            from .exact import exact_simulate

            options = {_EXACT_NAMES[k]: v for k, v in inp.options.items()}
            return exact_simulate(self.method, inp.problem, inp.noise, eta=self.eta, steps=self.steps,
                                  compressor=inp.compressor, sde=self.sde, bound=self.bound, masks=self.masks,
                                  points=self.points, rational=self.rational, **options)
        return simulate(inp.method, inp.problem, inp.noise, eta=self.eta, steps=self.steps,
                        replicas=self.replicas or DEFAULT_REPLICAS, compressor=inp.compressor, sde=self.sde,
                        bound=self.bound, ell=self.ell or "A", R=self.radius, seed=self.seed, backend=self.backend,
                        confidence=self.confidence, burn_in=self.burn_in, points=self.points,
                        substeps=self.substeps or 1, scheme=self.scheme or "euler", progress=progress,
                        options=dict(inp.options) or None)

    def result(self) -> dict[str, Any]:
        """The JSON document of :meth:`run` (what ``theorylab simulate --format json`` prints)."""
        import json

        return json.loads(json.dumps(self.run().to_json(), default=jsonable))


@dataclass(frozen=True)
class ExperimentInputs:
    """What :meth:`Experiment.validate` built: the method (a name for dsgd/dcsgd/dsignsgd, else the
    algorithm), the method options given, the problem, the noise and the compressors (one per agent)."""

    method: Any
    options: Mapping[str, Any]
    problem: Problem
    noise: Noise
    compressor: list[Any] | None


def jsonable(o: object) -> object:
    """``json.dumps``' ``default`` for results: numpy scalars and arrays as Python values."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _flag(name: str) -> str:
    return EXPERIMENT_FIELDS[name].metadata["flag"]


EXPERIMENT_FIELDS: dict[str, Any] = {f.name: f for f in fields(Experiment)}
FIELD_NAMES: tuple[str, ...] = tuple(EXPERIMENT_FIELDS)


def applies(name: str) -> str:
    """Which runs take field ``name``: the library's methods that take an algorithm option (from the
    registry; algorithms a user registered at run time are not listed), the methods with a
    compressor, an engine, or another field's value."""
    from .algorithms import ALGORITHMS

    text = EXPERIMENT_FIELDS[name].metadata["applies"]
    algs = [a for a in {id(a): a for a in ALGORITHMS.values()}.values()
            if type(a).__module__.startswith("theorylab.simulate.algorithms")]
    if text.startswith("@"):
        return ", ".join(a.name for a in algs if text[1:] in a.options)
    if text == _COMPRESSED:
        return ", ".join(f"{a.name} ({a.compressor})" for a in algs if a.compressor != "none")
    return text


def field_table() -> str:
    """The Markdown table of :class:`Experiment`'s fields: name, type, default, command-line flag and
    which methods (or engine) take it, the method options from the algorithms' registry."""
    rows = ["| field | type | default | flag | applies to |", "|---|---|---|---|---|"]
    for f in fields(Experiment):
        md = f.metadata
        text = applies(f.name) + ("; one of " + ", ".join(md["choices"]) if md["choices"] else "")
        default = "required" if f.default is dataclasses.MISSING else \
            "—" if f.default is None else f"`{_shown(f.default)}`"
        rows.append(f"| `{f.name}` | {md['type']} | {default} | `{md['flag']}` | {text} |")
    return "\n".join(rows) + "\n"
