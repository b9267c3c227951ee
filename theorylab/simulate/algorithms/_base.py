r"""The algorithm protocol, the context an algorithm's step sees, and the registry.

An algorithm is one object with

- ``name`` (the CLI method name), ``summary`` (one line), ``citation`` (paper);
- ``options``: a mapping ``option name -> default`` of the method's own constants (the
  CLI offers exactly these: ``local_steps``, ``server_lr``, ``participation``, ``momentum``,
  ``topology``, ``gossip``, ``alpha``, ``p`` for the built-in methods; a user's algorithm may
  declare its own and receive them through ``ctx.options``);
- ``compressor``: ``"required"``, ``"optional"`` or ``"none"``;
- ``decentralised``: True when every agent holds its own iterate (the recorder then also
  reports the consensus error ``(1/N) Σ_i ‖x_i − x̄‖²``);
- ``init(ctx) -> state``: a state object (a dataclass of batched arrays, leading axis the
  replicas ``R``; per-agent arrays ``(R, N, d)``);
- ``step(state, ctx) -> None``: one step (one communication round for the local methods),
  updating ``state`` in place;
- ``iterate(state) -> (R, d)``: the point whose gap ``f − f*`` is recorded (the server
  iterate, or the agents' average ``x̄`` for a decentralised method);
- ``agents(state) -> (R, N, d)`` (decentralised methods only): the agents' iterates.

:func:`register_algorithm` adds one to the registry (a user's file calls it once, or the CLI's
``--method FILE.py:NAME`` loads the object ``NAME`` from the file). :class:`Context` gives the
shared pieces every step needs: stochastic gradients at the server point or at per-agent
points, per-agent compression, client sampling, and the generator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ... import _numba
from ...errors import InvalidParameterError
from ..noise import Noise
from ..optimizers import _floyd_randk
from ..problems import Problem

__all__ = ["Algorithm", "Context", "register_algorithm", "get_algorithm", "algorithm_names", "ALGORITHMS",
           "OPTION_HELP", "check_options"]


@runtime_checkable
class Algorithm(Protocol):
    """What :func:`theorylab.simulate.run_optimizer` needs from an algorithm (module docstring)."""

    name: str
    summary: str
    citation: str
    options: Mapping[str, Any]
    compressor: str
    decentralised: bool

    def init(self, ctx: Context) -> Any: ...

    def step(self, state: Any, ctx: Context) -> None: ...

    def iterate(self, state: Any) -> Any: ...


# Every option the built-in methods know, with its meaning (the CLI's help and errors use it).
OPTION_HELP: dict[str, str] = {
    "local_steps": "K, local steps per communication round",
    "server_lr": "server step size eta_g applied to the averaged update",
    "participation": "S, clients sampled per round uniformly without replacement (S <= N)",
    "momentum": "beta, FedAvg-M's weight of the fresh local gradient (beta = 1 is FedAvg)",
    "topology": "mixing graph: ring, torus, star, complete, exponential, one-peer-exponential",
    "gossip": "cta (combine-then-adapt) or atc (adapt-then-combine)",
    "alpha": "DIANA's shift step alpha (default 1/(1+omega))",
    "p": "MARINA's probability of a full-gradient synchronisation (default 1/(1+omega))",
}

ALGORITHMS: dict[str, Algorithm] = {}


def register_algorithm(alg: Any, *, replace: bool = False) -> Any:
    """Add ``alg`` to the registry under ``alg.name`` and return it (usable as a class decorator:
    a class is instantiated first). Raises :class:`InvalidParameterError` for an object that does
    not follow :class:`Algorithm`, or a name already taken (unless ``replace``)."""
    obj = alg() if isinstance(alg, type) else alg
    missing = [a for a in ("name", "options", "compressor", "decentralised", "init", "step", "iterate")
               if not hasattr(obj, a)]
    if missing:
        raise InvalidParameterError(f"{obj!r} is not an algorithm: it lacks {', '.join(missing)} "
                                    "(see theorylab.simulate.algorithms.Algorithm)")
    if obj.compressor not in ("required", "optional", "none"):
        raise InvalidParameterError(f"algorithm {obj.name!r}: compressor must be 'required', 'optional' or 'none', "
                                    f"got {obj.compressor!r}")
    name = str(obj.name).lower()
    old = ALGORITHMS.get(name)
    reload = old is not None and (type(old).__module__, type(old).__qualname__) == (type(obj).__module__,
                                                                                   type(obj).__qualname__)
    if old is not None and not replace and old is not obj and not reload:  # a re-imported file replaces itself
        raise InvalidParameterError(f"an algorithm named {name!r} is already registered; pick another name")
    ALGORITHMS[name] = obj
    return alg


def get_algorithm(method: Any) -> Algorithm:
    """The registered algorithm called ``method`` (or ``method`` itself if it is an algorithm)."""
    if not isinstance(method, str):
        if all(hasattr(method, a) for a in ("init", "step", "iterate", "options")):
            return method
        raise InvalidParameterError(f"method must be a name or an algorithm object, got {method!r}")
    key = method.lower()
    if key not in ALGORITHMS:
        raise InvalidParameterError(f"unknown method {method!r}; expected one of {', '.join(algorithm_names())}")
    return ALGORITHMS[key]


def algorithm_names() -> tuple[str, ...]:
    return tuple(ALGORITHMS)


def check_options(alg: Algorithm, options: Mapping[str, Any]) -> dict[str, Any]:
    """The algorithm's options: its defaults updated by ``options``; an option it does not take
    is an :class:`InvalidParameterError` naming the options it does take."""
    unknown = [k for k in options if k not in alg.options]
    if unknown:
        takes = ", ".join(alg.options) or "no options"
        raise InvalidParameterError(f"{alg.name} does not take {', '.join(unknown)} (it takes {takes})")
    return {**dict(alg.options), **dict(options)}


@dataclass
class Context:
    """What a step sees: the problem, noise, compressors, generator, sizes and options.

    ``eta``: the (local) step size; ``options``: the algorithm's options (defaults filled in);
    ``comps``: one compressor per agent, or None; ``xp``: the array module.
    """

    problem: Problem
    noise: Noise
    eta: float
    replicas: int
    rng: Any
    xp: ModuleType
    comps: list[Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    x0: Any = None
    fast: bool | str = True
    cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.problem.n_agents

    @property
    def d(self) -> int:
        return self.problem.d

    # --- gradients
    def noise_like(self, shape: tuple[int, ...]) -> Any:
        """Gradient noise ``Z`` of shape ``(R, N, m)``: a fresh array (the caller may modify it), or
        None when σ = 0 (nothing drawn)."""
        if all(s == 0 for s in self.noise.sigma):
            return None
        n = shape[-2]
        z = self.noise.standard(shape, self.rng, self.xp)
        if self.noise.homogeneous:
            z *= float(self.noise.scales(n)[0])
        else:
            z *= self.xp.asarray(self.noise.scales(n))[:, None]
        return z

    def buffer(self, name: str, shape: tuple[int, ...]) -> Any:
        """A float64 work array of ``shape`` kept across steps under ``name`` (uninitialised the
        first time; afterwards whatever the caller left in it). Steps use these for temporaries,
        so that the hot loop does not allocate ``(R, N, d)`` arrays."""
        key = ("buffer", name)
        buf = self.cache.get(key)
        if buf is None or buf.shape != tuple(shape):
            buf = self.cache[key] = self.xp.empty(shape)
        return buf

    def grads(self, x: Any, out: Any = None) -> Any:
        """Stochastic gradients ``∇f_i(x) + Z_i`` of every agent at the server points ``x (R, d)``:
        ``(R, N, d)``, noise independent across replicas and agents. A fresh array, or ``out``
        (``(R, N, d)``, not overlapping ``x``) filled and returned."""
        if out is None:
            return self._noisy(self.problem.agent_grads(x), None)
        return self._noisy(self.problem.agent_grads_into(x, out), out)

    def local_grads(self, y: Any, out: Any = None, rows: Any = None, agents: Any = None) -> Any:
        """Stochastic gradients ``∇f_i(y_i) + Z_i`` at per-agent points ``y (R, N, d)``: a fresh
        array, or ``out`` (the shape of ``y``, not overlapping it) filled and returned.

        ``rows`` (bool ``(R, N)``, optional): draw noise only for those (replica, agent) rows; the
        others get the exact gradient. For a caller that uses only those rows (e.g. the sampled
        clients of a round) the law of what it uses is unchanged, and it draws less.

        ``agents`` (int ``(R, S)``, optional, from :meth:`sampled_agents`): ``y`` holds only those
        agents' rows, ``(R, S, d)``; row ``(r, s)`` is agent ``agents[r, s]`` (its gradient, its noise
        scale). The noise is drawn in the same order as with ``rows`` = those agents on the full
        ``(R, N, d)`` batch (agents ascending within a replica), so the sampled rows get the very
        same numbers, with S/N of the work."""
        if agents is not None:
            if out is None:
                out = self.xp.empty(y.shape)
            return self._noisy(self.problem.sampled_grads_into(y, agents, out), out, agents=agents)
        g = self.problem.local_grads(y) if out is None else self.problem.local_grads_into(y, out)
        return self._noisy(g, out, rows)

    def sampled_agents(self, w: Any, s: int) -> Any:
        """The ``s`` clients per replica that sampling weights ``w (R, N)`` (:meth:`sample_clients`
        with the same ``s``) select, as agent indices ``(R, s)``, ascending within each replica; None
        when ``s = N`` (every client works: the full batch is its own gather)."""
        if s >= self.n:
            return None
        return self.xp.nonzero(w > 0)[1].reshape(w.shape[0], s)

    def _noisy(self, g: Any, out: Any, rows: Any = None, agents: Any = None) -> Any:
        """``g + Z`` written into ``out`` (which may be ``g``), or into a fresh array when ``out`` is
        None; with ``rows``, noise on those rows only; with ``agents``, ``g`` holds those agents'
        rows (noise scale of agent ``agents[r, s]`` on row ``(r, s)``). Gaussian noise on numpy with
        numba: one compiled pass drawing the same numbers in the same order as the numpy path (a
        bit-identical result)."""
        mode = self.cache.get("noise-mode")
        if mode is None:  # decided once per run: no noise, the compiled pass, or numpy
            compiled = (self.noise.gaussian and self.xp is np and isinstance(self.rng, np.random.Generator)
                        and _numba.enabled())
            mode = self.cache["noise-mode"] = ("none" if all(s == 0 for s in self.noise.sigma)
                                               else "compiled" if compiled else "numpy")
        if mode == "none":
            if out is None:
                return self.xp.array(g, copy=True)
            if out is not g:
                out[...] = g
            return out
        if out is None:
            out = self.xp.empty(g.shape)
        if mode == "compiled" and getattr(g, "dtype", None) == np.float64 and g.ndim == 3:
            n = self.n if agents is not None else g.shape[1]  # with agents, g has S rows of N agents
            scales = self.cache.get(("noise-scales", n))
            if scales is None:
                scales = self.cache[("noise-scales", n)] = np.ascontiguousarray(self.noise.scales(n),
                                                                                dtype=np.float64)
            if agents is not None:
                return _numba.add_normal_agents(self.rng, g, scales, np.ascontiguousarray(agents, dtype=np.int64),
                                                out)
            if rows is None:
                return _numba.add_normal(self.rng, g, scales, out)
            return _numba.add_normal_rows(self.rng, g, scales, np.ascontiguousarray(rows, dtype=np.bool_), out)
        if agents is not None:  # the draws of the `rows` branch below, in the same order
            r, m, d = g.shape
            z = self.noise.standard((r * m, d), self.rng, self.xp).reshape(r, m, d)
            z *= self.xp.take(self.xp.asarray(self.noise.scales(self.n)), agents)[..., None]
            if out is g:
                out += z
            else:
                self.xp.add(g, z, out=out)
            return out
        if rows is None:
            z = self.noise_like(g.shape)
            z += g
            out[...] = z
            return out
        if out is not g:
            out[...] = g
        sel = rows.nonzero()
        z = self.noise.standard((int(sel[0].shape[0]), g.shape[-1]), self.rng, self.xp)
        z *= self.xp.asarray(self.noise.scales(g.shape[1]))[sel[1]][:, None]
        out[sel] += z
        return out

    # --- compression
    def compress(self, v: Any, out: Any = None, agents: Any = None) -> Any:
        """``C_i(v_i)`` for every agent (independent across agents and replicas); ``v`` itself
        without a compressor. ``v`` has shape ``(R, N, d)``, or ``(R, S, d)`` with ``agents`` (int
        ``(R, S)``, :meth:`sampled_agents`): row ``(r, s)`` is agent ``agents[r, s]``'s, compressed by
        that agent's compressor. ``out`` (optional, the shape of ``v``,
        not overlapping it): a buffer the result may be written into (the Rand-k fast path does;
        a general compressor returns its own array).

        Rand-k (anything with ``sample_support``, ``scale`` and ``k``) takes a fast path: the support
        is drawn by ``sample_support`` (k integers per row) and only those k values are gathered and
        scaled — the same law as ``C(v, rng)``, which draws d keys per row and partitions them."""
        if self.comps is None:
            return v
        groups = self.cache.get("groups")
        if groups is None:
            from ..optimizers import _groups

            groups = self.cache["groups"] = _groups(self.comps)
        if len(groups) == 1:
            return self._apply(groups[0][0], v, out)
        res = self.xp.empty_like(v) if out is None else out
        for c, members in groups:
            if agents is None:
                res[:, members, :] = self._apply(c, v[:, members, :], None)
            else:  # the rows (r, s) whose agent uses c, (M, d)
                mine = self.xp.isin(agents, self.xp.asarray(members))
                res[mine] = self._apply(c, v[mine], None)
        return res

    def _apply(self, c: Any, v: Any, out: Any) -> Any:
        if self.fast and _floyd_randk(c) and self.xp is np and isinstance(self.rng, np.random.Generator) \
                and _numba.enabled():
            # one compiled pass per row: Floyd's k-subset, gather, scale, scatter (the same subsets, in
            # the same order, as sample_support below draws; so the same result)
            c._check_dim(v.shape[-1])
            if out is None or out.shape != v.shape or not out.flags.c_contiguous:
                out = np.empty(v.shape)
            return _numba.randk_dense(self.rng, v, int(c.k), float(c.scale(v.shape[-1])), out)
        if self.fast and hasattr(c, "sample_support") and hasattr(c, "scale") and hasattr(c, "k"):
            xp, d = self.xp, v.shape[-1]
            rows = v.shape[:-1]
            idx = c.sample_support(rows, d, self.rng)
            nrows = int(np.prod(rows))
            base = self.cache.get(("row-offsets", d))
            if base is None or base.shape[0] < nrows:  # one cached arange, sliced (row counts vary)
                base = self.cache[("row-offsets", d)] = xp.arange(max(nrows, 1)) * d
            flat = (idx + base[:nrows].reshape(*rows, 1)).reshape(-1)
            if out is None or out.shape != v.shape or not out.flags.c_contiguous:
                out = xp.zeros(v.shape)
            else:
                out.fill(0.0)
            res = out.reshape(-1)
            res[flat] = xp.ascontiguousarray(v).reshape(-1)[flat] * float(c.scale(d))
            return out
        return c(v, self.rng)

    # --- client sampling
    def sample_clients(self, s: int) -> Any:
        """Weights ``(R, N)``: ``1/S`` on S clients drawn uniformly without replacement (independently
        per replica), 0 elsewhere; ``1/N`` for every client when ``S = N`` (no randomness drawn)."""
        n, r, xp = self.n, self.replicas, self.xp
        if s >= n:
            return xp.full((r, n), 1.0 / n)
        keys = self.rng.random((r, n))
        # the S smallest of N i.i.d. uniform keys form a uniform S-subset; a partition finds them
        mask = keys <= xp.partition(keys, s - 1, axis=1)[:, s - 1:s]
        if bool((mask.sum(axis=1) != s).any()):  # a tie at the S-th key (probability ~N²·2⁻⁵³)
            chosen = xp.argsort(keys, axis=1)[:, :s]
            flat = xp.zeros(r * n, dtype=bool)
            flat[(xp.arange(r)[:, None] * n + chosen).reshape(-1)] = True  # flat scatter (numpy and cupy)
            mask = flat.reshape(r, n)
        return mask * (1.0 / s)


def compressor_omega(ctx: Context) -> float | None:
    """The largest declared ``ω`` of the agents' compressors (None without a compressor or when one
    is not in any class ``U(ω)``)."""
    if ctx.comps is None:
        return None
    try:
        return max(float(c.omega(ctx.d)) for c in ctx.comps)
    except (AttributeError, TypeError, InvalidParameterError):
        return None


def positive_number(name: str, value: Any, *, upper: float | None = None, closed: bool = True) -> float:
    """``value`` as a finite float > 0 (and ``<= upper``), else a one-line error."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0) or (upper is not None and (v > upper if closed else v >= upper)):
        rng = f"in (0, {upper:g}]" if upper is not None else "> 0"
        raise InvalidParameterError(f"{name} must be a finite number {rng}, got {value!r}")
    return v


def as_array(xp: ModuleType, a: Any) -> Any:
    return xp.asarray(np.asarray(a, dtype=float)) if xp.__name__ != "numpy" else np.asarray(a, dtype=float)
