r"""DSGD, DCSGD and DSignSGD, batched over replicas and agents (docs/theory.md#sdes).

With ``x`` the server iterate of each replica (shape ``(R, d)``) and per-agent arrays of shape
``(R, N, d)`` (replicas, agents, coordinates), one step is

- DSGD:     ``x ← x − (η/N) Σ_i (∇f_i(x) + Z_i)``;
- DCSGD:    ``x ← x − (η/N) Σ_i C_i(∇f_i(x) + Z_i)``, compressors independent across agents
  and replicas (one compressor for every agent, or one per agent);
- DSignSGD: ``x ← x − (η/N) Σ_i sign(∇f_i(x) + Z_i)``.

There is no Python loop over replicas or agents, only over steps (and over the *distinct*
compressors when agents use different ones). Randomness comes from one explicit generator.

Rand-k fast path: ``C(v) = (d/k) Σ_{j∈S} v_j e_j`` only reads ``v`` on its support ``S``, so
the noise (and the gradient) is drawn/computed only on the ``k`` kept coordinates
(``sample_support``) and scattered back with one ``bincount``. The law of the iterates is the
same as the dense path (``C`` applied to ``∇f_i + Z_i`` on all ``d`` coordinates).

Compiled step (numba, ``theorylab[fast]``, used automatically when importable): when every agent
uses one Rand-k law, the numpy backend and a ``numpy.random.Generator``, a step draws every
support with the compiled Floyd sampler, then the noise, and applies the update with one compiled
pass per block of rows (:func:`theorylab._numba.randk_apply`: the gather of ``∇f`` (and the agent's
tilt) on the support, the noise and the scatter into ``x``, without the ``R·N·k`` temporaries).
The draws come in the numpy fast path's order and the update rounds like it, so a fixed seed gives
the same trajectory bit for bit on both paths (the numpy Floyd replays the compiled sampler's
stream). ``THEORYLAB_NUMBA=0`` or ``fast="numpy"`` forces the numpy path.

Memory does not grow with the number of steps: a :class:`~theorylab.simulate.record.Recorder`
keeps subsampled curves and block sums, and detects divergence (the first step at which a
replica's gap is non-finite or explodes, and the fraction of replicas that did).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

import numpy as np

from .. import _numba
from ..backend import backend_name, default_rng, get_xp, to_numpy
from ..errors import InvalidParameterError, positive_int
from .noise import Noise
from .problems import Problem
from .progress import progress_bar
from .record import Recorder, Trajectory, explode_threshold

__all__ = ["METHODS", "OptimizerRun", "run_optimizer", "dsgd", "dcsgd", "dsignsgd", "resolve_compressors"]

METHODS: tuple[str, ...] = ("dsgd", "dcsgd", "dsignsgd")


@dataclass
class OptimizerRun:
    """A simulated optimizer: its :class:`Trajectory` and what produced it."""

    method: str
    trajectory: Trajectory
    params: dict[str, Any]
    seed: Any
    backend: str
    path: str  # "dense", "rand-k fast path", "sign"
    wall_time: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_compressors(compressor: Any, n_agents: int) -> list[Any] | None:
    """Normalise ``compressor`` to a list of N compressor objects (or None for no compression).

    Accepts a compressor object (the same law for every agent, applied independently), a spec
    string (``"randk:k=5"``, parsed by :func:`theorylab.compressors.from_spec`), or a sequence of
    N objects/specs (one per agent).
    """
    if compressor is None:
        return None
    if isinstance(compressor, (str, bytes)) or not isinstance(compressor, Sequence):
        one = _one_compressor(compressor)
        return [one] * n_agents
    comps = [_one_compressor(c) for c in compressor]
    if len(comps) != n_agents:
        raise InvalidParameterError(f"got {len(comps)} compressors for {n_agents} agents; give one or one per agent")
    return comps


def _one_compressor(c: Any) -> Any:
    if isinstance(c, str):
        from ..compressors import from_spec

        return from_spec(c)
    if not callable(c):
        raise InvalidParameterError(f"a compressor must be callable as C(x, rng) or a spec string, got {c!r}")
    from ..compressors._base import Compressor

    if isinstance(c, (Compressor, UserCompressor)):
        return c
    return UserCompressor(c)


class UserCompressor:
    """A user's compressor run under the kit's output contract
    (:func:`theorylab.testing.adapt.output_to_numpy`, the one check ``compressors check`` uses):
    each call's output must be a real floating array of the input's shape, with no NaN where
    the input is finite. A broken output is a :class:`~theorylab.testing.CompressorContractError`,
    and an exception raised by the compressor is reported as the user's
    (:class:`~theorylab.errors.InvalidParameterError`, CLI exit 2), never as an internal error.
    Attributes (``unbiased``, ``omega``, ``spec``...) are the compressor's own."""

    def __init__(self, c: Any) -> None:
        self._c = c
        self._name = getattr(c, "spec", None) or getattr(c, "__name__", None) or type(c).__name__

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_c", "_name"):
            raise AttributeError(name)
        return getattr(self._c, name)

    def __repr__(self) -> str:
        return f"user compressor {self._name}"

    def __call__(self, x: Any, rng: Any) -> Any:
        from ..errors import TheorylabError
        from ..testing.adapt import CompressorContractError, output_to_numpy

        try:
            y = self._c(x, rng)
        except TheorylabError:
            raise
        except Exception as exc:  # noqa: BLE001 - the user's code: their error, in one line
            raise InvalidParameterError(f"your compressor {self._name} raised {type(exc).__name__}: "
                                        f"{' '.join(str(exc).split())[:200]} (on an input of shape {tuple(x.shape)})"
                                        ) from None
        if not (type(y) is type(x) and getattr(y, "shape", None) == x.shape and getattr(y.dtype, "kind", "") == "f"):
            try:
                output_to_numpy(y, tuple(x.shape))  # raises the kit's contract error
            except CompressorContractError as exc:
                raise CompressorContractError(f"compressor {self._name}: {exc}") from None
            from ..backend import array_namespace

            y = array_namespace(x).asarray(y, dtype=float)
        if bool(y.dtype.kind == "f") and bool((y != y).any()) and not bool((x != x).any()):
            raise CompressorContractError(f"compressor {self._name} returned NaN for a finite input of shape "
                                          f"{tuple(x.shape)}; expected finite values (this is the compressor's "
                                          "output, not the optimizer diverging)")
        return y


def _groups(comps: list[Any]) -> list[tuple[Any, list[int]]]:
    """Agents grouped by equal compressor (same object or same spec)."""
    out: list[tuple[Any, list[int]]] = []
    keys: list[Any] = []
    for i, c in enumerate(comps):
        key = getattr(c, "spec", None) or id(c)
        if key in keys:
            out[keys.index(key)][1].append(i)
        else:
            keys.append(key)
            out.append((c, [i]))
    return out


def _is_randk(c: Any) -> bool:
    return hasattr(c, "sample_support") and hasattr(c, "scale") and hasattr(c, "k")


def _floyd_randk(c: Any) -> bool:
    """True for the catalogue's Rand-k classes, whose ``sample_support`` is Floyd's uniform k-subset
    (a subclass or a user's object that defines its own keeps its own law: no compiled kernel)."""
    from ..compressors.randk import _RandKBase

    return isinstance(c, _RandKBase) and type(c).sample_support is _RandKBase.sample_support


def _direction_fn(method: str, problem: Problem, noise: Noise, comps: list[Any] | None, replicas: int,
                  xp: ModuleType, fast: bool) -> tuple[Callable[[Any, Any], Any], str]:
    """The function ``(x, rng) -> (1/N) Σ_i update_i`` of one step, and the name of the path taken."""
    fast = fast and _shortcut_valid(problem)
    n, d = problem.n_agents, problem.d
    shape = (replicas, n, d)
    noise.scales(n)  # validates per-agent sigma length

    if method == "dsgd":
        def direction(x: Any, rng: Any) -> Any:
            return xp.mean(problem.agent_grads(x) + noise.sample(shape, rng, xp), axis=1)
        return direction, "dense"

    if method == "dsignsgd":
        def direction(x: Any, rng: Any) -> Any:
            return xp.mean(xp.sign(problem.agent_grads(x) + noise.sample(shape, rng, xp)), axis=1)
        return direction, "sign"

    if method != "dcsgd":
        raise InvalidParameterError(f"unknown method {method!r}; expected one of {METHODS}")
    if comps is None:
        raise InvalidParameterError("dcsgd needs a compressor (e.g. 'randk:k=5'); use dsgd for no compression")
    groups = _groups(comps)
    if fast and all(_is_randk(c) for c, _ in groups):
        if len(groups) == 1:
            c = groups[0][0]
            k = int(c.k)
            scale = float(c.scale(d))

            offsets = xp.arange(replicas)[:, None, None] * d
            hetero = problem.heterogeneous
            agent_rows = xp.arange(n)[:, None]

            gbuf = np.empty((replicas, d)) if xp is np else None

            def direction(x: Any, rng: Any) -> Any:
                # agent_grads_at + _scatter_rows, fused: one flat index serves the gather and the
                # scatter (13% faster at d=20 than the two calls). The gradient by blocks of rows on
                # numpy, as the compiled step computes it (a row's value does not depend on the block)
                idx = c.sample_support((replicas, n), d, rng)
                flat = offsets + idx
                grad = problem.grad(x) if gbuf is None else by_rows(problem.grad, x, gbuf)
                vals = grad.reshape(-1)[flat] + noise.sample((replicas, n, k), rng, xp)
                if hetero:
                    vals += problem._on("tilts", xp)[agent_rows, idx]
                out = xp.bincount(flat.reshape(-1), weights=vals.reshape(-1), minlength=replicas * d)
                return out.reshape(replicas, d) * (scale / n)
            return direction, "rand-k fast path"

        sigmas = noise.scales(n)
        plan = [(c, agents, float(c.scale(d)), xp.asarray(sigmas[agents])[:, None]) for c, agents in groups]

        def direction(x: Any, rng: Any) -> Any:
            out = xp.zeros((replicas, d))
            for c, agents, scale, sigma in plan:
                idx = c.sample_support((replicas, len(agents)), d, rng)
                z = noise.standard(idx.shape, rng, xp) * sigma
                vals = (problem.agent_grads_at(x, idx, agents) + z) * scale
                out += _scatter_rows(xp, idx, vals, d)
            return out / n
        return direction, "rand-k fast path (per-agent groups)"

    def dense_direction(x: Any, rng: Any) -> Any:
        v = problem.agent_grads(x) + noise.sample(shape, rng, xp)
        if len(groups) == 1:
            return xp.mean(groups[0][0](v, rng), axis=1)
        out = xp.zeros((replicas, d))
        for c, agents in groups:
            out += xp.sum(c(v[:, agents, :], rng), axis=1)
        return out / n
    return dense_direction, "dense"


def _shortcut_valid(problem: Problem) -> bool:
    """The Rand-k shortcuts (gather the gradient on the support only, fused kernel) assume
    ``∇f_i = ∇f + b_i``; per-agent Hessians (``custom_quadratic``) must take the dense path."""
    return bool(getattr(problem, "affine_tilts", True))


StepFn = Callable[..., Any]  # step(x, want_gap=False) -> the gap after the step or None


def _kernel_step_fn(method: str, problem: Problem, noise: Noise, comps: list[Any] | None, replicas: int,
                    xp: ModuleType, rng: Any, eta: float, fast: bool | str) -> tuple[StepFn, str] | None:
    """The compiled numba step ``x ← x − η·direction(x)`` (in place) for DCSGD with one Rand-k law
    on every agent, or None when it does not apply (numba off or absent, another backend or
    generator, another method or compressor, per-agent compressors, ``fast`` False or ``"numpy"``).

    ``step(x, want_gap=False)`` returns None (the caller evaluates the gap by blocks of rows, as on
    the numpy path). The step draws every support (the compiled Floyd sampler), then the noise, then
    runs by blocks of rows of about :data:`BLOCK_VALUES` values (``problem.grad`` of the block,
    :func:`~theorylab._numba.randk_apply`): the draws and the rounding of the numpy fast path, so the
    same iterates bit for bit."""
    if fast is not True or method != "dcsgd" or comps is None or xp is not np or not _shortcut_valid(problem):
        return None
    # the kernel draws Floyd's uniform k-subsets itself: only for compressors whose support law that is
    if not isinstance(rng, np.random.Generator) or not _numba.enabled() or not all(_floyd_randk(c) for c in comps):
        return None
    n, d = problem.n_agents, problem.d
    if len(_groups(comps)) > 1:
        return None  # per-agent compressors: the numpy fast path (its supports are drawn by the compiled sampler)
    c0 = comps[0]
    k = int(c0.k)
    if k < 1 or k > d:
        return None  # let the compressor raise its own error
    sn = float(c0.scale(d)) / n
    zscale = np.ascontiguousarray(noise.scales(n), dtype=np.float64)
    tilts = (np.ascontiguousarray(problem.tilts, dtype=np.float64) if problem.heterogeneous
             else np.zeros((0, d), dtype=np.float64))
    mark = _numba.marker(d)
    idx = np.empty((replicas, n, k), dtype=np.int64)
    gaussian = noise.gaussian
    zbuf = np.empty((replicas, n, k)) if gaussian else None
    acc = np.empty(d)
    rows = max(1, BLOCK_VALUES // d)
    g = np.empty((min(rows, replicas), d))
    quad = problem.diagonal_quadratic()  # ∇f = h ⊙ x − b, written as the problem's grad writes it
    hb = None if quad is None else (quad[0], quad[1])

    def step(x: Any, want_gap: bool = False) -> None:
        # the numpy fast path's draws in its order (every support, then every noise value), then its
        # arithmetic (by blocks of rows: the gradient of a block, the update): the same iterates
        _numba.floyd_rows(rng, replicas * n, d, k, idx.reshape(-1, k), mark)
        z = _numba.standard_normal_fill(rng, zbuf) if zbuf is not None else noise.standard((replicas, n, k), rng, np)
        if hb is not None:  # the gradient on the support only, in the kernel
            _numba.randk_apply(x, None, idx, z, zscale, tilts, eta, sn, acc, mark, quad=hb)
            return None
        for i in range(0, replicas, rows):
            xb = x[i:i + rows]
            gb = g[:xb.shape[0]]
            gb[...] = problem.grad(xb)
            _numba.randk_apply(xb, gb, idx[i:i + rows], z[i:i + rows], zscale, tilts, eta, sn, acc, mark)
        return None

    return step, "rand-k fused kernel (numba)"


#: values per block of rows (:func:`by_rows`, the general fused step): 2^16 values (512 KiB), so the
#: temporaries of one block stay in cache and come from malloc's free lists, not from fresh
#: (page-faulted) mappings
BLOCK_VALUES = 1 << 16


def by_rows(fn: Callable[[Any], Any], x: Any, out: Any) -> Any:
    """``out[...] = fn(x)`` for a row-wise ``fn`` (row ``r`` of the result depends on ``x[r]``
    only, like ``problem.grad`` and ``problem.gap``), evaluated on blocks of rows of about
    :data:`BLOCK_VALUES` values; returns ``out``. On numpy, for large ``R·d``, this avoids
    allocating (and page-faulting) temporaries of the size of ``x`` at every step."""
    rows = max(1, BLOCK_VALUES // max(1, x.shape[-1]))
    for i in range(0, x.shape[0], rows):
        out[i:i + rows] = fn(x[i:i + rows])
    return out


def _scatter_rows(xp: ModuleType, idx: Any, vals: Any, d: int) -> Any:
    """``Σ_agents`` of the sparse rows ``(idx, vals)`` of shape ``(R, m, k)`` into ``(R, d)``."""
    r = idx.shape[0]
    flat = (xp.arange(r)[:, None, None] * d + idx).ravel()
    return xp.bincount(flat, weights=vals.ravel(), minlength=r * d).reshape(r, d)


def run_optimizer(method: str, problem: Problem, noise: Noise, *, eta: float, steps: int, replicas: int,
                  compressor: Any = None, seed: Any = 0, backend: str | ModuleType = "numpy",
                  x0: Any = None, points: int = 200, blocks: int = 100, observe_every: int = 1,
                  explode: float | None = None, progress: bool | None = False, fast: bool | str = True) -> OptimizerRun:
    """Simulate ``replicas`` independent runs of ``method`` for ``steps`` steps of size ``eta``.

    ``compressor``: for ``dcsgd``, a compressor, a spec string, or one per agent.
    ``observe_every``: the gap is evaluated every this many steps (and at every record step);
    block means use those steps. ``explode``: gap above which a replica counts as diverged
    (default ``1e12 · max(f(x0) − f*, 1)``). ``fast``: use the Rand-k fast path when possible
    (the fused numba kernel when numba is importable and not switched off, else numpy);
    ``fast="numpy"`` takes the numpy fast path even when numba is there; ``False`` the dense path.
    Returns an :class:`OptimizerRun`; ``trajectory.times = steps · eta``.
    """
    import time

    method = method.lower()
    if method not in METHODS:
        raise InvalidParameterError(f"unknown method {method!r}; expected one of {METHODS}")
    if not (isinstance(eta, (int, float, np.floating)) and math.isfinite(eta) and eta > 0):
        raise InvalidParameterError(f"learning rate eta must be a finite number > 0, got {eta!r}")
    steps = positive_int("steps", steps)
    replicas = positive_int("replicas", replicas)
    observe_every = positive_int("observe_every", observe_every)
    xp = get_xp(backend) if not isinstance(backend, ModuleType) else backend
    comps = resolve_compressors(compressor, problem.n_agents) if method == "dcsgd" else None
    if method != "dcsgd" and compressor is not None:
        raise InvalidParameterError(f"{method} takes no compressor (got {compressor!r}); use dcsgd")
    if fast not in (True, False, "numpy"):
        raise InvalidParameterError(f"fast must be True, False or 'numpy', got {fast!r}")
    rng = default_rng(seed, xp)
    kernel = _kernel_step_fn(method, problem, noise, comps, replicas, xp, rng, float(eta), fast)
    if kernel is not None:
        step, path = kernel
    else:
        direction, path = _direction_fn(method, problem, noise, comps, replicas, xp, bool(fast))

        def step(x: Any, want_gap: bool = False) -> None:
            x -= eta * direction(x, rng)

    x = problem.initial(replicas, xp) if x0 is None else xp.broadcast_to(
        xp.asarray(x0, dtype=xp.float64), (replicas, problem.d)).copy()
    x_reset = problem.initial(1, xp)[0]
    gap_buf = xp.empty(replicas)

    def gap_of(x: Any) -> Any:  # by blocks of rows on numpy (the same values, no R·d temporaries)
        return by_rows(problem.gap, x, gap_buf) if xp is np else problem.gap(x)

    if x0 is None or getattr(x0, "ndim", np.ndim(x0)) < 2:  # every replica starts at the same point: one row's gap
        gap = xp.broadcast_to(problem.gap(x[:1]), (replicas,)).copy()
    else:
        gap = gap_of(x)
    thr = explode if explode is not None else explode_threshold(float(np.max(to_numpy(gap))))
    rec = Recorder(steps, replicas, xp, points=points, blocks=blocks, explode=thr, dt=float(eta))
    rec.observe(0, gap)
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"), progress_bar(steps, f"{method}", progress) as bar:
        for k in range(1, steps + 1):
            observe = k % observe_every == 0 or rec.wants(k)
            gap = step(x, observe)
            if observe:
                dead = rec.observe(k, gap_of(x) if gap is None else gap)
                if dead is not None:
                    x[dead] = x_reset
            bar.advance()
    wall = time.perf_counter() - t0
    params = {"method": method, "eta": float(eta), "steps": steps, "replicas": replicas,
              "compressor": None if comps is None else ([getattr(c, "spec", repr(c)) for c in comps]
                                                        if len(_groups(comps)) > 1 else
                                                        getattr(comps[0], "spec", repr(comps[0]))),
              "observe_every": observe_every, **problem.describe(), **noise.describe()}
    return OptimizerRun(method, rec.result(), params, seed if not hasattr(seed, "bit_generator") else None,
                        backend_name(xp), path, wall)


def dsgd(problem: Problem, noise: Noise, **kwargs: Any) -> OptimizerRun:
    """DSGD: :func:`run_optimizer` with ``method="dsgd"``."""
    return run_optimizer("dsgd", problem, noise, **kwargs)


def dcsgd(problem: Problem, noise: Noise, compressor: Any, **kwargs: Any) -> OptimizerRun:
    """DCSGD with ``compressor`` (one law for all agents, or one per agent)."""
    return run_optimizer("dcsgd", problem, noise, compressor=compressor, **kwargs)


def dsignsgd(problem: Problem, noise: Noise, **kwargs: Any) -> OptimizerRun:
    """DSignSGD: :func:`run_optimizer` with ``method="dsignsgd"``."""
    return run_optimizer("dsignsgd", problem, noise, **kwargs)
