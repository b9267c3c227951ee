r"""The generic loop: any registered algorithm, batched over replicas, recorded like the optimizers.

:func:`run_algorithm` builds a :class:`~._base.Context`, calls ``init`` once and ``step`` once per
step (one communication round for the local methods), and records ``f(iterate) − f*`` with the
same :class:`~theorylab.simulate.record.Recorder` as :func:`theorylab.simulate.optimizers.run_optimizer`
(bounded memory, divergence detection: a diverged replica is frozen at ``x⁰``'s gap 0 in the
record and counted). Decentralised algorithms also record the consensus error
``(1/N) Σ_i ‖x_i − x̄‖²`` (``run.extra["consensus"]``, a Trajectory on the same record steps).

:func:`run_optimizer` is the public entry: ``dsgd``, ``dcsgd`` and ``dsignsgd`` without options go
to :func:`theorylab.simulate.optimizers.run_optimizer` unchanged (same trajectories for a fixed
seed, Rand-k fast path); every other method (or an algorithm object) runs here.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from ...backend import backend_name, default_rng, get_xp, to_numpy
from ...errors import InvalidParameterError, TheorylabError, positive_int
from ..noise import Noise
from ..problems import Problem
from ..progress import progress_bar
from ..record import Recorder, explode_threshold
from ._base import Context, check_options, get_algorithm
from .loader import is_file_spec, load_object

__all__ = ["run_algorithm", "run_optimizer", "resolve_method", "deterministic_run"]


def resolve_method(method: Any) -> Any:
    """A registered name, an algorithm object, or ``FILE.py:NAME`` (loaded and registered)."""
    if isinstance(method, str) and is_file_spec(method):
        from ._base import register_algorithm

        obj = load_object(method, "--method")
        obj = obj() if isinstance(obj, type) else obj
        register_algorithm(obj, replace=True)
        return obj
    return get_algorithm(method)


def _eta(eta: Any) -> float:
    if isinstance(eta, bool) or not (isinstance(eta, (int, float, np.floating)) and math.isfinite(eta) and eta > 0):
        raise InvalidParameterError(f"learning rate eta must be a finite number > 0, got {eta!r}")
    return float(eta)


def run_algorithm(method: Any, problem: Problem, noise: Noise, *, eta: float, steps: int, replicas: int,
                  compressor: Any = None, seed: Any = 0, backend: str | ModuleType = "numpy", x0: Any = None,
                  points: int = 200, blocks: int = 100, observe_every: int = 1, explode: float | None = None,
                  progress: bool | None = False, fast: bool | str = True, options: Mapping[str, Any] | None = None,
                  **more_options: Any) -> Any:
    """Simulate ``replicas`` runs of the algorithm ``method`` for ``steps`` steps (rounds).

    ``options`` (or keyword arguments): the method's own options (``local_steps``, ``server_lr``,
    ``participation``, ``momentum``, ``topology``, ``gossip``, ``alpha``, ``p``); an option the
    method does not take is an error. ``compressor``: a compressor, a spec string, a user's
    callable ``C(x, rng)``, or one per agent. Returns an
    :class:`~theorylab.simulate.optimizers.OptimizerRun` whose ``trajectory.times`` are
    ``steps · eta · K`` (K local steps per round, 1 otherwise).
    """
    from ..optimizers import OptimizerRun, _groups, resolve_compressors

    alg = resolve_method(method)
    opts = check_options(alg, {**dict(options or {}), **more_options})
    eta = _eta(eta)
    steps = positive_int("steps", steps)
    replicas = positive_int("replicas", replicas)
    observe_every = positive_int("observe_every", observe_every)
    xp = get_xp(backend) if not isinstance(backend, ModuleType) else backend
    if alg.compressor == "none" and compressor is not None:
        raise InvalidParameterError(f"{alg.name} takes no compressor (got {compressor!r})")
    comps = resolve_compressors(compressor, problem.n_agents)
    if alg.compressor == "required" and comps is None:
        raise InvalidParameterError(f"{alg.name} needs a compressor (e.g. 'randk:k=5' or 'topk:k=1')")
    noise.scales(problem.n_agents)
    rng = default_rng(seed, xp)
    x_init = problem.initial(replicas, xp) if x0 is None else xp.broadcast_to(
        xp.asarray(x0, dtype=xp.float64), (replicas, problem.d)).copy()
    ctx = Context(problem, noise, eta, replicas, rng, xp, comps, opts, x_init, fast)
    user = not type(alg).__module__.startswith("theorylab.")
    with _users_code(alg, user, "init"):
        state = alg.init(ctx)
        first = alg.iterate(state)
    if tuple(getattr(first, "shape", ())) != (replicas, problem.d):
        raise InvalidParameterError(f"{alg.name}.iterate(state) returned shape {tuple(getattr(first, 'shape', ()))}; "
                                    f"expected (replicas, d) = ({replicas}, {problem.d}), one row per replica")
    x_reset = problem.initial(1, xp)[0]
    gap = problem.gap(first)
    thr = explode if explode is not None else explode_threshold(float(np.max(to_numpy(gap))))
    k_local = int(opts.get("local_steps", 1) or 1)
    dt = eta * k_local
    rec = Recorder(steps, replicas, xp, points=points, blocks=blocks, explode=thr, dt=dt)
    cons = Recorder(steps, replicas, xp, points=points, blocks=blocks, explode=math.inf, dt=dt) \
        if alg.decentralised else None

    def consensus() -> Any:
        X = alg.agents(state)
        return xp.mean(xp.sum((X - X.mean(axis=1, keepdims=True)) ** 2, axis=-1), axis=1)

    rec.observe(0, gap)
    if cons is not None:
        cons.observe(0, consensus())
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"), progress_bar(steps, alg.name, progress) as bar:
        for k in range(1, steps + 1):
            if user:
                with _users_code(alg, user, "step", k):
                    alg.step(state, ctx)
            else:
                alg.step(state, ctx)
            if k % observe_every == 0 or rec.wants(k):
                dead = rec.observe(k, problem.gap(alg.iterate(state)))
                if cons is not None:
                    cons.observe(k, consensus())
                if dead is not None:
                    _reset(state, dead, x_reset)
            bar.advance()
    wall = time.perf_counter() - t0
    comp_desc = None if comps is None else (
        [getattr(c, "spec", repr(c)) for c in comps] if len(_groups(comps)) > 1 else getattr(comps[0], "spec", repr(comps[0])))
    params = {"method": alg.name, "eta": eta, "steps": steps, "replicas": replicas, "compressor": comp_desc,
              "observe_every": observe_every, **{k_: _plain(v) for k_, v in opts.items()},
              **problem.describe(), **noise.describe()}
    extra: dict[str, Any] = {"state": state}  # the final state (its arrays, batched over replicas)
    if cons is not None:
        extra["consensus"] = cons.result()
    if "topology" in ctx.cache:
        extra["topology"] = ctx.cache["topology"].describe()
    for key in ("alpha", "p", "beta"):
        if key in ctx.cache:
            params[key if key != "beta" else "momentum"] = ctx.cache[key]
    path = ctx.cache.get("path", "batched")
    run = OptimizerRun(alg.name, rec.result(), params, seed if not hasattr(seed, "bit_generator") else None,
                       backend_name(xp), path, wall, extra)
    run.extra["deterministic"] = deterministic_run(run, noise)
    return run


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return "custom matrix"
    return v


def _reset(state: Any, dead: Any, x_reset: Any) -> None:
    """Freeze diverged replicas: every array field of the state is reset on those rows (to x⁰ for
    iterates, 0 for the rest), so that NaNs do not propagate into the batch statistics."""
    for name, val in vars(state).items():
        if hasattr(val, "shape") and val.ndim >= 1 and val.shape[0] == dead.shape[0]:
            if val.ndim == 2 and val.shape[1] == x_reset.shape[0] and name in ("x",):
                val[dead] = x_reset
            elif name == "X":
                val[dead] = x_reset
            else:
                val[dead] = 0.0


def deterministic_run(run: Any, noise: Noise) -> bool:
    """True when the run had no randomness that mattered: σ = 0 and every replica recorded exactly
    the same gaps (a deterministic compressor, full participation). Such a run reports exact
    values, without intervals."""
    if any(s != 0 for s in noise.sigma):
        return False
    v = run.trajectory.values
    if v.shape[1] < 1 or not np.all(np.isfinite(v)):
        return False
    return bool(np.all(v == v[:, :1]))


def run_optimizer(method: Any, problem: Problem, noise: Noise, *, eta: float, steps: int, replicas: int,
                  compressor: Any = None, seed: Any = 0, backend: str | ModuleType = "numpy", x0: Any = None,
                  points: int = 200, blocks: int = 100, observe_every: int = 1, explode: float | None = None,
                  progress: bool | None = False, fast: bool | str = True, options: Mapping[str, Any] | None = None,
                  **more_options: Any) -> Any:
    """Simulate any method: the three of :mod:`theorylab.simulate.optimizers` (unchanged, Rand-k
    fast path; disabled for problems whose agents' gradients are not ``∇f + b_i``, e.g.
    :func:`~theorylab.simulate.custom_quadratic` with different Hessians) or any registered
    algorithm (:func:`run_algorithm`). Same arguments as :func:`run_algorithm`."""
    from .. import optimizers

    if isinstance(method, str) and method.lower() in optimizers.METHODS and not options and not more_options:
        run = optimizers.run_optimizer(method, problem, noise, eta=eta, steps=steps, replicas=replicas,
                                       compressor=compressor, seed=seed, backend=backend, x0=x0, points=points,
                                       blocks=blocks, observe_every=observe_every, explode=explode,
                                       progress=progress, fast=fast)
        run.extra["deterministic"] = deterministic_run(run, noise)
        return run
    return run_algorithm(method, problem, noise, eta=eta, steps=steps, replicas=replicas, compressor=compressor,
                         seed=seed, backend=backend, x0=x0, points=points, blocks=blocks,
                         observe_every=observe_every, explode=explode, progress=progress, fast=fast,
                         options=options, **more_options)


@contextlib.contextmanager
def _users_code(alg: Any, user: bool, what: str, step: int | None = None) -> Any:
    """A user's algorithm raising: reported as theirs, in one line (CLI exit 2), not as a bug of theorylab."""
    if not user:
        yield
        return
    try:
        yield
    except TheorylabError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's code
        where = f" at step {step}" if step is not None else ""
        raise InvalidParameterError(f"your algorithm {getattr(alg, 'name', alg)!r} raised in {what}(){where}: "
                                    f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from None
