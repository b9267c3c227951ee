"""Test problems: ``f(x) = (1/N) Σ_i f_i(x)`` with known ``f*``, ``μ`` (PL) and ``L`` (smoothness).

Every function is batched over leading axes: ``x`` has shape ``(..., d)``.

Heterogeneity is a zero-mean tilt ``b_i`` per agent, ``f_i(x) = f(x) + ⟨b_i, x⟩ + c_i`` with
``Σ_i b_i = 0`` and ``Σ_i c_i = 0``, so that ``f`` (hence ``f*``, ``μ``, ``L``) does not
depend on the heterogeneity while the agents' gradients ``∇f_i = ∇f + b_i`` differ.

- :class:`Quadratic`: ``f(x) = ½ (x − x*)ᵀ A (x − x*)`` with spectrum of ``A`` in ``[μ, L]``
  (``A = diag(λ)``, or ``Qᵀ diag(λ) Q`` with ``rotate=1``). Agent ``i``'s optimum is
  ``x_i* = x* + u_i`` (``Σ u_i = 0``), i.e. ``f_i(x) = ½ (x − x_i*)ᵀ A (x − x_i*) − c``; its tilt
  is ``b_i = −A u_i``. ``f* = 0``.
- :class:`SinPL`: ``f(x) = Σ_j x_j² + 3 sin² x_j`` (Karimi, Nutini, Schmidt 2016), not convex
  but PL. Per coordinate ``h(t) = t² + 3 sin² t``: ``h'' = 2 + 6 cos 2t ∈ [−4, 8]``, so
  ``L = 8``; ``μ = inf_t h'(t)²/(2 h(t)) ≈ 0.17553`` (attained at ``t ≈ 2.2017``), computed
  numerically by :func:`sin_pl_mu`. ``f* = 0`` at ``x = 0``.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import array_namespace, get_xp
from ..errors import InvalidParameterError, SpecError, positive_int
from ._spec import parse_spec, reject_unknown, spec_bool, spec_float, spec_int

__all__ = ["Problem", "Quadratic", "SinPL", "problem_from_spec", "quadratic", "sin_pl", "sin_pl_mu", "PROBLEMS",
           "CustomQuadratic", "custom_quadratic", "Logistic", "logistic_regression", "read_libsvm"]


def _check_dims(d: int, n_agents: int) -> None:
    positive_int("dimension d", d)
    positive_int("number of agents", n_agents)


def _tilts(u: np.ndarray) -> np.ndarray:
    """Centre per-agent offsets so that they sum to zero over agents (axis 0)."""
    return u - u.mean(axis=0, keepdims=True)


def _inherits(obj: Any, cls: type, *names: str) -> bool:
    """True when ``type(obj)`` uses ``cls``'s own definitions of ``names`` (none overridden by a
    subclass): a shortcut that ``cls`` declares about its ``f``/``grad`` holds only then."""
    return all(getattr(type(obj), n) is getattr(cls, n) for n in names)


def _dense_agent_grads_at(p: Problem, x: Any, idx: Any, agents: Any = None) -> Any:
    """:meth:`Problem.agent_grads_at` for agents whose gradients are not ``∇f + b_i``: the dense
    ``agent_grads(x)`` (the agents in ``agents``), then the coordinates ``idx`` of each row."""
    xp = array_namespace(x)
    full = p.agent_grads(x)
    if agents is not None:
        full = full[..., xp.asarray(agents), :]
    return xp.take_along_axis(full, idx, axis=-1)


def _scattered_grads(p: Problem, y: Any, agents: Any, out: Any) -> Any:
    """:meth:`Problem.sampled_grads_into` for any problem: scatter the rows ``y (R, S, d)`` of the
    agents ``agents (R, S)`` into an ``(R, N, d)`` batch (the other rows hold a copy of the replica's
    first row, a finite point), evaluate ``local_grads_into`` there and gather the rows back."""
    xp = array_namespace(y)
    r, n = y.shape[0], p.n_agents
    full = xp.empty((r, n, y.shape[-1]))
    full[...] = y[:, :1, :]
    reps = xp.arange(r)[:, None]
    full[reps, agents] = y
    g = p.local_grads_into(full, xp.empty_like(full))
    out[...] = g[reps, agents]
    return out


@dataclass(frozen=True, eq=False)
class Problem:
    """Common interface of the test problems (see the module docstring).

    Attributes: ``d``, ``n_agents``, ``mu`` (PL constant: ``‖∇f‖² ≥ 2μ(f − f*)``), ``L``
    (``∇f`` is L-Lipschitz), ``f_star``, ``x0`` (default starting point, numpy), ``tilts``
    (``(N, d)`` numpy array ``b_i``, zero mean over agents), ``spec``.
    """

    d: int
    n_agents: int
    mu: float
    L: float
    f_star: float
    x0: np.ndarray
    tilts: np.ndarray
    spec: str
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    name = "problem"

    # --- to be provided by subclasses: value and gradient of the mean f
    def f(self, x: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad(self, x: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- shared
    @property
    def heterogeneous(self) -> bool:
        """True when the agents' gradients differ (some tilt is non-zero); computed once."""
        v = self._cache.get("heterogeneous")
        if v is None:
            v = self._cache["heterogeneous"] = bool(np.any(self.tilts != 0))
        return v

    def _on(self, name: str, xp: ModuleType) -> Any:
        key = (name, xp.__name__)
        if key not in self._cache:
            self._cache[key] = xp.asarray(getattr(self, name))
        return self._cache[key]

    def gap(self, x: Any) -> Any:
        """``f(x) − f*``, shape ``(...)``."""
        return self.f(x) - self.f_star

    def agent_grads(self, x: Any) -> Any:
        """``∇f_i(x)`` for every agent: ``x`` of shape ``(..., d)`` gives ``(..., N, d)``."""
        xp = array_namespace(x)
        g = self.grad(x)[..., None, :]
        if not self.heterogeneous:
            return xp.broadcast_to(g, g.shape[:-2] + (self.n_agents, self.d))
        return g + self._on("tilts", xp)

    #: True when every agent's gradient is ``∇f + b_i`` with a constant tilt ``b_i`` (what the
    #: Rand-k fast path of :mod:`.optimizers` assumes); False for agents with different curvature.
    affine_tilts = True

    def local_grads(self, y: Any) -> Any:
        """``∇f_i(y_i)`` at per-agent points: ``y`` of shape ``(..., N, d)`` gives ``(..., N, d)``
        (what local and decentralised methods need; agent ``i`` at its own iterate ``y_i``)."""
        xp = array_namespace(y)
        g = self.grad(y)
        return g + self._on("tilts", xp) if self.heterogeneous else g

    def agent_grads_into(self, x: Any, out: Any) -> Any:
        """:meth:`agent_grads` written into ``out`` (``(..., N, d)``, not overlapping ``x``) and
        returned. The base class copies; a problem may override it to fill ``out`` without
        temporaries (the batched algorithms call it every step with a reused buffer)."""
        out[...] = self.agent_grads(x)
        return out

    def local_grads_into(self, y: Any, out: Any) -> Any:
        """:meth:`local_grads` written into ``out`` (the shape of ``y``, not overlapping ``y``) and
        returned; see :meth:`agent_grads_into`."""
        out[...] = self.local_grads(y)
        return out

    def sampled_grads_into(self, y: Any, agents: Any, out: Any) -> Any:
        """``∇f_{a}(y_{r,s})`` with ``a = agents[r, s]``: the gradients of the agents ``agents`` (int
        ``(R, S)``) at their own points ``y (R, S, d)``, written into ``out`` (the shape of ``y``, not
        overlapping it) and returned. What the federated methods need when only S of the N clients
        of a round work: O(R·S·d) instead of :meth:`local_grads_into`'s O(R·N·d).

        When ``local_grads`` is the base class's ``∇f + b_i``: ``∇f(y) + b[agents]`` (the same
        arithmetic as :meth:`local_grads_into`, row by row). Otherwise (a problem that defines its
        own per-agent gradients) the rows are scattered into an ``(R, N, d)`` batch, its
        :meth:`local_grads_into` is evaluated and the rows gathered back: correct for every problem,
        and no faster than the dense call."""
        xp = array_namespace(y)
        if _inherits(self, Problem, "local_grads", "local_grads_into"):
            out[...] = self.grad(y)
            if self.heterogeneous:
                out += xp.take(self._on("tilts", xp), agents, axis=0)
            return out
        return _scattered_grads(self, y, agents, out)

    def agent_grads_at(self, x: Any, idx: Any, agents: Any = None) -> Any:
        """``∇f_i(x)`` on the coordinates ``idx``: ``x (..., d)``, ``idx (..., m, k)`` -> ``(..., m, k)``,
        for the agents ``i`` in ``agents`` (``m`` of them; default all ``N``).

        Used by the Rand-k fast path, which needs the gradient only where the compressor keeps
        coordinates: O(m·k) per replica, never the dense ``(..., N, d)``.
        """
        xp = array_namespace(x)
        g = self.grad(x)[..., None, :]
        out = xp.take_along_axis(g, idx, axis=-1)
        if self.heterogeneous:
            rows = xp.arange(self.n_agents) if agents is None else xp.asarray(agents)
            out = out + self._on("tilts", xp)[rows[:, None], idx]
        return out

    def diagonal_quadratic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(h, b, c)``, float64 ``(d,)`` each, when ``f`` is a quadratic with diagonal Hessian:
        ``∇f(x) = h ⊙ x − b`` and ``f(x) − f* = ½ Σ_j h_j (x_j − c_j)²`` (``c`` a minimiser, so
        ``h ⊙ c = b``); None otherwise (the default). The fused Rand-k kernel then evaluates the
        gradient and the gap itself, one replica at a time."""
        return None

    def initial(self, replicas: int, xp: ModuleType | str = "numpy") -> Any:
        """``replicas`` copies of ``x0``: shape ``(replicas, d)``, float64."""
        xp = get_xp(xp) if not isinstance(xp, ModuleType) else xp
        return xp.broadcast_to(xp.asarray(self.x0, dtype=xp.float64), (replicas, self.d)).copy()

    def describe(self) -> dict[str, Any]:
        """Parameters as a JSON-ready dict."""
        return {
            "spec": self.spec,
            "name": self.name,
            "d": int(self.d),
            "agents": int(self.n_agents),
            "mu": float(self.mu),
            "L": float(self.L),
            "f_star": float(self.f_star),
            "f0_gap": float(self.gap(np.asarray(self.x0, dtype=float))),
            "heterogeneous": self.heterogeneous,
        }


@dataclass(frozen=True, eq=False)
class Quadratic(Problem):
    """``f(x) = ½ (x − x*)ᵀ A (x − x*)``, ``x* = 0``; see the module docstring."""

    eigenvalues: np.ndarray = field(default_factory=lambda: np.ones(1))
    rotation: np.ndarray | None = None  # orthogonal Q with A = Qᵀ diag(λ) Q, or None

    name = "quadratic"

    @property
    def matrix(self) -> np.ndarray:
        """The Hessian ``A`` (numpy, ``(d, d)``)."""
        if self.rotation is None:
            return np.diag(self.eigenvalues)
        q = self.rotation
        return q.T @ (self.eigenvalues[:, None] * q)

    def f(self, x: Any) -> Any:
        xp = array_namespace(x)
        if self.rotation is None:
            return 0.5 * xp.sum(self._on("eigenvalues", xp) * x * x, axis=-1)
        y = x @ self._on("rotation", xp).T
        return 0.5 * xp.sum(self._on("eigenvalues", xp) * y * y, axis=-1)

    def grad(self, x: Any) -> Any:
        xp = array_namespace(x)
        if self.rotation is None:
            return self._on("eigenvalues", xp) * x
        q = self._on("rotation", xp)
        return ((x @ q.T) * self._on("eigenvalues", xp)) @ q

    def diagonal_quadratic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Without rotation ``A = diag(λ)``, ``x* = 0``, ``f* = 0``: ``∇f(x) = λ ⊙ x`` and
        ``f(x) − f* = ½ Σ_j λ_j x_j²``, i.e. ``(h, b, c) = (λ, 0, 0)``; None with a rotation, or in a
        subclass that redefines ``f``, ``grad`` or ``gap``."""
        if self.rotation is not None or not _inherits(self, Quadratic, "f", "grad", "gap"):
            return None
        lam = np.ascontiguousarray(self.eigenvalues, dtype=np.float64)
        return lam, np.zeros(self.d), np.zeros(self.d)

    def agent_grads_into(self, x: Any, out: Any) -> Any:
        if self.rotation is not None or not _inherits(self, Quadratic, "grad", "agent_grads"):
            return super().agent_grads_into(x, out)
        xp = array_namespace(x)
        xp.multiply(self._on("eigenvalues", xp), x[..., None, :], out=out)  # A x on every agent row
        if self.heterogeneous:
            out += self._on("tilts", xp)
        return out

    def local_grads_into(self, y: Any, out: Any) -> Any:
        if self.rotation is not None or not _inherits(self, Quadratic, "grad", "local_grads"):
            return super().local_grads_into(y, out)
        xp = array_namespace(y)
        xp.multiply(self._on("eigenvalues", xp), y, out=out)
        if self.heterogeneous:
            out += self._on("tilts", xp)
        return out

    def sampled_grads_into(self, y: Any, agents: Any, out: Any) -> Any:
        if self.rotation is not None or not _inherits(self, Quadratic, "grad", "local_grads", "local_grads_into"):
            return super().sampled_grads_into(y, agents, out)
        xp = array_namespace(y)
        xp.multiply(self._on("eigenvalues", xp), y, out=out)
        if self.heterogeneous:
            out += xp.take(self._on("tilts", xp), agents, axis=0)
        return out

    @property
    def agent_optima(self) -> np.ndarray:
        """``x_i* = A⁻¹(−b_i)``: the minimiser of each ``f_i``, ``(N, d)``."""
        return -np.linalg.solve(self.matrix, self.tilts.T).T


@dataclass(frozen=True, eq=False)
class SinPL(Problem):
    """``f(x) = Σ_j x_j² + 3 sin² x_j``: non-convex, PL with ``μ ≈ 0.1755``, ``L = 8``."""

    name = "sinpl"

    def f(self, x: Any) -> Any:
        xp = array_namespace(x)
        s = xp.sin(x)
        return xp.sum(x * x + 3.0 * s * s, axis=-1)

    def grad(self, x: Any) -> Any:
        xp = array_namespace(x)
        return 2.0 * x + 3.0 * xp.sin(2.0 * x)


@functools.cache
def sin_pl_mu() -> float:
    """``inf_{t≠0} h'(t)²/(2h(t))`` for ``h(t) = t² + 3 sin² t``, computed numerically.

    For ``|t| > 50``: ``h'² ≥ (2|t| − 3)²`` and ``h ≤ t² + 3`` give a ratio above 1.7, and near
    ``0`` the ratio tends to 8, so the infimum is over ``(0, 50]`` (``h`` is even): a grid of
    step 1e-4, then a bounded scalar minimisation around the best grid point.
    """
    from scipy.optimize import minimize_scalar

    def ratio(t: np.ndarray) -> np.ndarray:
        return (2 * t + 3 * np.sin(2 * t)) ** 2 / (2 * (t * t + 3 * np.sin(t) ** 2))

    t = np.linspace(1e-3, 50.0, 500_000)
    r = ratio(t)
    i = int(np.argmin(r))
    lo, hi = t[max(i - 1, 0)], t[min(i + 1, t.size - 1)]
    res = minimize_scalar(lambda s: float(ratio(np.asarray(s))), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-12})
    return float(min(res.fun, r[i]))


def quadratic(d: int, n_agents: int = 1, mu: float = 1.0, L: float = 1.0, *, hetero: float = 0.0,
              rotate: bool = False, spectrum: str = "linear", x0: float | np.ndarray = 1.0,
              seed: int = 0, spec: str | None = None) -> Quadratic:
    """A quadratic with eigenvalues from ``μ`` to ``L`` (linearly or geometrically spaced).

    ``hetero`` is the root-mean-square distance of the agents' optima from ``x* = 0``
    (offsets ``u_i`` drawn with ``seed``, centred so that ``Σ u_i = 0``); ``rotate`` draws a
    random orthogonal basis (also from ``seed``).
    """
    _check_dims(d, n_agents)
    if not (math.isfinite(mu) and math.isfinite(L)) or mu <= 0 or L < mu:
        raise InvalidParameterError(f"quadratic needs 0 < mu <= L (finite), got mu={mu}, L={L}")
    if hetero < 0 or not math.isfinite(hetero):
        raise InvalidParameterError(f"hetero must be a finite number >= 0, got {hetero}")
    if spectrum == "linear":
        lam = np.linspace(mu, L, d) if d > 1 else np.array([mu])
    elif spectrum == "geometric":
        lam = np.geomspace(mu, L, d) if d > 1 else np.array([mu])
    else:
        raise InvalidParameterError(f"spectrum must be 'linear' or 'geometric', got {spectrum!r}")
    if d == 1 and mu != L:
        raise InvalidParameterError(f"d = 1 cannot have mu != L (got mu={mu}, L={L})")
    rng = np.random.default_rng(seed)
    rotation = None
    if rotate:
        qm, rm = np.linalg.qr(rng.standard_normal((d, d)))
        rotation = qm * np.sign(np.diag(rm))
    tilts = np.zeros((n_agents, d))
    if hetero > 0 and n_agents > 1:
        u = _tilts(rng.standard_normal((n_agents, d)))
        u *= hetero / np.sqrt(np.mean(np.sum(u * u, axis=1)))
        a = np.diag(lam) if rotation is None else rotation.T @ (lam[:, None] * rotation)
        tilts = -u @ a.T
    x0_arr = np.broadcast_to(np.asarray(x0, dtype=float), (d,)).copy()
    if spec is None:
        spec = f"quadratic:mu={mu:g},L={L:g}" + (f",hetero={hetero:g},seed={seed}" if hetero else "")
        spec += ",rotate=1" if rotate else ""
    return Quadratic(d=d, n_agents=n_agents, mu=float(lam.min()), L=float(lam.max()), f_star=0.0,
                     x0=x0_arr, tilts=tilts, spec=spec, eigenvalues=lam, rotation=rotation)


def sin_pl(d: int, n_agents: int = 1, *, hetero: float = 0.0, x0: float | np.ndarray = 1.0,
           seed: int = 0, spec: str | None = None) -> SinPL:
    """The non-convex PL problem ``Σ_j x_j² + 3 sin² x_j``; ``hetero`` = RMS norm of the tilts."""
    _check_dims(d, n_agents)
    if hetero < 0 or not math.isfinite(hetero):
        raise InvalidParameterError(f"hetero must be a finite number >= 0, got {hetero}")
    tilts = np.zeros((n_agents, d))
    if hetero > 0 and n_agents > 1:
        u = _tilts(np.random.default_rng(seed).standard_normal((n_agents, d)))
        tilts = u * (hetero / np.sqrt(np.mean(np.sum(u * u, axis=1))))
    x0_arr = np.broadcast_to(np.asarray(x0, dtype=float), (d,)).copy()
    return SinPL(d=d, n_agents=n_agents, mu=sin_pl_mu(), L=8.0, f_star=0.0, x0=x0_arr, tilts=tilts,
                 spec=spec or "sinpl")


PROBLEMS = ("quadratic", "sinpl", "logistic")


def problem_from_spec(spec: str, d: int, n_agents: int = 1) -> Problem:
    """Build a problem from ``"quadratic:mu=1,L=1[,hetero=0,rotate=0,spectrum=linear,x0=1,seed=0]"``,
    ``"sinpl[:hetero=0,x0=1,seed=0]"`` or ``"logistic[:lam=0.01,nonconvex=0,samples=200,seed=0,libsvm=PATH]"``
    (with ``libsvm`` the file's dimension replaces ``d``); ``d`` and ``n_agents`` come from the caller."""
    name, params = parse_spec(spec, "problem")
    from ..budget import check_budget

    d, n_agents = positive_int("dimension d", d), positive_int("number of agents", n_agents)
    dense = name == "quadratic" and params.get("rotate", "0").strip().lower() not in ("0", "false", "no", "")
    check_budget(f"the problem {spec} at d = {d}, N = {n_agents}",  # before allocating its arrays
                 memory=8.0 * (4 * d * n_agents + (3 * d * d if dense else 0)), reduce="--dim or --agents")
    if name == "quadratic":
        mu = spec_float(params, "mu", 1.0, spec)
        L = spec_float(params, "L", mu, spec)
        hetero = spec_float(params, "hetero", 0.0, spec)
        rotate = spec_bool(params, "rotate", False, spec)
        spectrum = params.pop("spectrum", "linear")
        x0 = spec_float(params, "x0", 1.0, spec)
        seed = spec_int(params, "seed", 0, spec)
        reject_unknown(params, spec, ("mu", "L", "hetero", "rotate", "spectrum", "x0", "seed"))
        return quadratic(d, n_agents, mu, L, hetero=hetero, rotate=rotate, spectrum=spectrum, x0=x0,
                         seed=seed, spec=spec)
    if name in ("sinpl", "sin-pl", "pl"):
        hetero = spec_float(params, "hetero", 0.0, spec)
        x0 = spec_float(params, "x0", 1.0, spec)
        seed = spec_int(params, "seed", 0, spec)
        reject_unknown(params, spec, ("hetero", "x0", "seed"))
        return sin_pl(d, n_agents, hetero=hetero, x0=x0, seed=seed, spec=spec)
    if name == "logistic":
        lam = spec_float(params, "lam", 1e-2, spec)
        nonconvex = spec_float(params, "nonconvex", 0.0, spec)
        samples = spec_int(params, "samples", 200, spec)
        seed = spec_int(params, "seed", 0, spec)
        libsvm = params.pop("libsvm", None)
        reject_unknown(params, spec, ("lam", "nonconvex", "samples", "seed", "libsvm"))
        return logistic_regression(n_agents, libsvm=libsvm, samples=samples, d=d, lam=lam, nonconvex=nonconvex,
                                   seed=seed, spec=spec)
    raise SpecError(f"unknown problem {name!r} in {spec!r}; known problems: {list(PROBLEMS)}")


# --------------------------------------------------------------------------- user quadratics
@dataclass(frozen=True, eq=False)
class CustomQuadratic(Problem):
    r"""``f_i(x) = ½ (x − c_i)ᵀ H_i (x − c_i)``, ``f = (1/N) Σ_i f_i`` (see :func:`custom_quadratic`).

    ``hessians``: ``(N, d)`` diagonals or ``(N, d, d)`` matrices; ``optima``: the ``c_i``, ``(N, d)``.
    With ``H̄ = mean H_i`` (positive definite) and ``b̄ = mean H_i c_i``: ``x* = H̄⁻¹ b̄``,
    ``f* = f(x*)``, ``μ = λ_min(H̄)``, ``L = λ_max(H̄)``. ``tilts`` holds ``∇f_i(x*)`` (zero mean);
    ``affine_tilts`` is True only when all Hessians are equal.
    """

    hessians: np.ndarray = field(default_factory=lambda: np.ones((1, 1)))
    optima: np.ndarray = field(default_factory=lambda: np.zeros((1, 1)))
    x_star: np.ndarray = field(default_factory=lambda: np.zeros(1))
    same_hessian: bool = True

    name = "custom-quadratic"

    @property
    def diagonal(self) -> bool:
        return self.hessians.ndim == 2

    @property
    def affine_tilts(self) -> bool:  # type: ignore[override]
        return self.same_hessian

    @property
    def heterogeneous(self) -> bool:
        return bool(np.any(self.tilts != 0)) or not self.same_hessian

    @property
    def mean_hessian(self) -> np.ndarray:
        return np.diag(self.hessians.mean(axis=0)) if self.diagonal else self.hessians.mean(axis=0)

    @property
    def hc(self) -> np.ndarray:
        """``H_i c_i``, ``(N, d)``."""
        if self.diagonal:
            return self.hessians * self.optima
        return np.einsum("nij,nj->ni", self.hessians, self.optima)

    @property
    def const(self) -> float:
        return float(np.mean(0.5 * np.sum(self.optima * self.hc, axis=1)))

    def f(self, x: Any) -> Any:
        xp = array_namespace(x)
        hbar = self._on("hbar", xp)
        quad = xp.sum(x * hbar * x, axis=-1) if self.diagonal else xp.sum((x @ hbar) * x, axis=-1)
        return 0.5 * quad - x @ self._on("bbar", xp) + self.const

    def grad(self, x: Any) -> Any:
        xp = array_namespace(x)
        hbar = self._on("hbar", xp)
        return (hbar * x if self.diagonal else x @ hbar) - self._on("bbar", xp)

    def diagonal_quadratic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Diagonal Hessians: ``∇f(x) = H̄ ⊙ x − b̄`` and, ``f`` being quadratic with minimiser
        ``x*`` (``H̄ ⊙ x* = b̄``), ``f(x) − f* = ½ Σ_j H̄_j (x_j − x*_j)²``: ``(H̄, b̄, x*)``.
        None for full Hessians, or in a subclass that redefines ``f``, ``grad`` or ``gap``."""
        if not self.diagonal or not _inherits(self, CustomQuadratic, "f", "grad", "gap"):
            return None
        return (np.ascontiguousarray(self.hbar, dtype=np.float64), np.ascontiguousarray(self.bbar, dtype=np.float64),
                np.ascontiguousarray(self.x_star, dtype=np.float64))

    @property
    def hbar(self) -> np.ndarray:
        return self.hessians.mean(axis=0)

    @property
    def bbar(self) -> np.ndarray:
        return self.hc.mean(axis=0)

    def agent_grads(self, x: Any) -> Any:
        xp = array_namespace(x)
        h = self._on("hessians", xp)
        if self.diagonal:
            hx = x[..., None, :] * h
        else:
            hx = xp.einsum("nij,...j->...ni", h, x)
        return hx - self._on("hc", xp)

    def local_grads(self, y: Any) -> Any:
        xp = array_namespace(y)
        h = self._on("hessians", xp)
        hy = y * h if self.diagonal else xp.einsum("nij,...nj->...ni", h, y)
        return hy - self._on("hc", xp)

    def agent_grads_into(self, x: Any, out: Any) -> Any:
        if not self.diagonal or not _inherits(self, CustomQuadratic, "agent_grads"):
            return super().agent_grads_into(x, out)
        xp = array_namespace(x)
        xp.multiply(x[..., None, :], self._on("hessians", xp), out=out)
        out -= self._on("hc", xp)
        return out

    def local_grads_into(self, y: Any, out: Any) -> Any:
        if not self.diagonal or not _inherits(self, CustomQuadratic, "local_grads"):
            return super().local_grads_into(y, out)
        xp = array_namespace(y)
        xp.multiply(y, self._on("hessians", xp), out=out)
        out -= self._on("hc", xp)
        return out

    def sampled_grads_into(self, y: Any, agents: Any, out: Any) -> Any:
        if not self.diagonal or not _inherits(self, CustomQuadratic, "local_grads", "local_grads_into"):
            return _scattered_grads(self, y, agents, out)
        xp = array_namespace(y)
        xp.multiply(y, xp.take(self._on("hessians", xp), agents, axis=0), out=out)
        out -= xp.take(self._on("hc", xp), agents, axis=0)
        return out

    def agent_grads_at(self, x: Any, idx: Any, agents: Any = None) -> Any:
        return _dense_agent_grads_at(self, x, idx, agents)


def _finite(name: str, a: np.ndarray) -> None:
    if not np.all(np.isfinite(a)):
        raise InvalidParameterError(f"{name} must be finite")


def custom_quadratic(hessians: Any, optima: Any, x0: Any = 1.0, *, spec: str | None = None,
                     tol: float = 1e-10) -> CustomQuadratic:
    r"""Your quadratic: ``f_i(x) = ½ (x − c_i)ᵀ H_i (x − c_i)``, ``f = (1/N) Σ f_i``.

    ``hessians``: per-agent Hessians, ``(N, d)`` diagonals (entries ``>= 0``) or ``(N, d, d)``
    symmetric positive semi-definite matrices; ``optima``: ``c_i``, ``(N, d)``; ``x0``: starting
    point (scalar or ``(d,)``). ``μ``, ``L``, ``x*``, ``f*`` are computed; the mean Hessian must be
    positive definite (unique minimiser). Errors are one-line :class:`InvalidParameterError`.
    """
    from .._validate import float_array

    h = float_array("hessians", hessians, finite=False)
    c = float_array("optima", optima, finite=False)
    if c.ndim != 2:
        raise InvalidParameterError(f"optima must have shape (N, d), got {c.shape}")
    n, d = c.shape
    _check_dims(d, n)
    _finite("hessians", h)
    _finite("optima", c)
    if h.shape == (n, d):
        if np.any(h < 0):
            i, j = map(int, np.argwhere(h < 0)[0])
            raise InvalidParameterError(f"hessians: agent {i}'s diagonal entry {j} is {h[i, j]:g} < 0; expected a "
                                        "positive semi-definite Hessian")
        hbar = np.diag(h.mean(axis=0))
    elif h.shape == (n, d, d):
        scale = max(1.0, float(np.max(np.abs(h))))
        for i in range(n):
            if not np.allclose(h[i], h[i].T, atol=tol * scale, rtol=0):
                raise InvalidParameterError(f"hessians: agent {i}'s Hessian is not symmetric; expected symmetric PSD")
            lo = float(np.linalg.eigvalsh(h[i]).min())
            if lo < -tol * scale:
                raise InvalidParameterError(f"hessians: agent {i}'s Hessian has eigenvalue {lo:.6g} < 0; "
                                            "expected positive semi-definite")
        h = 0.5 * (h + np.swapaxes(h, 1, 2))
        hbar = h.mean(axis=0)
    else:
        raise InvalidParameterError(f"hessians must have shape (N, d) = ({n}, {d}) (diagonals) or (N, d, d) = "
                                    f"({n}, {d}, {d}), got {h.shape}")
    ev = np.linalg.eigvalsh(hbar)
    if ev.min() <= tol * max(1.0, ev.max()):
        raise InvalidParameterError(f"the mean Hessian is singular (smallest eigenvalue {ev.min():.3g}); expected "
                                    "(1/N) sum_i H_i positive definite so that f has a unique minimiser")
    hc = h * c if h.ndim == 2 else np.einsum("nij,nj->ni", h, c)
    x_star = np.linalg.solve(hbar, hc.mean(axis=0))
    gi_star = (h * x_star if h.ndim == 2 else np.einsum("nij,j->ni", h, x_star)) - hc
    same = bool(np.all(h == h[:1]))
    x0_in = float_array("x0", x0)
    if x0_in.ndim > 1 or (x0_in.ndim == 1 and x0_in.shape != (d,)):
        raise InvalidParameterError(f"x0 must be a number or a vector of shape ({d},), got shape {x0_in.shape}")
    x0_arr = np.broadcast_to(x0_in, (d,)).copy()
    prob = CustomQuadratic(d=d, n_agents=n, mu=float(ev.min()), L=float(ev.max()), f_star=0.0, x0=x0_arr,
                           tilts=gi_star - gi_star.mean(axis=0), spec=spec or f"custom-quadratic:N={n},d={d}",
                           hessians=h, optima=c, x_star=x_star, same_hessian=same)
    f_star = float(prob.f(x_star))
    object.__setattr__(prob, "f_star", f_star)
    return prob


# --------------------------------------------------------------------------- logistic regression
@dataclass(frozen=True, eq=False)
class Logistic(Problem):
    r"""Logistic regression split over N agents, with an optional non-convex regulariser.

    Agent ``i`` holds ``m`` samples ``(a_ij, b_ij)``, ``b ∈ {−1, +1}``::

        f_i(x) = (1/m) Σ_j log(1 + exp(−b_ij a_ijᵀ x)) + (λ/2)‖x‖² + λ_nc Σ_k x_k²/(1 + x_k²)

    ``L = λ_max(AᵀA)/(4M) + λ + 2λ_nc`` (the regulariser's second derivative lies in ``[−½, 2]``);
    ``μ = λ − λ_nc/2`` when positive (then f is strongly convex), else 0 (no PL constant declared).
    ``f*`` is computed numerically (L-BFGS from 0; for λ_nc > 0 a local minimum, stated by
    ``f_star_note``).
    """

    features: np.ndarray = field(default_factory=lambda: np.zeros((1, 1, 1)))  # (N, m, d)
    labels: np.ndarray = field(default_factory=lambda: np.ones((1, 1)))        # (N, m)
    lam: float = 0.0
    lam_nc: float = 0.0
    f_star_note: str = ""

    name = "logistic"
    affine_tilts = False

    @property
    def heterogeneous(self) -> bool:
        return self.n_agents > 1

    def _reg(self, x: Any, xp: ModuleType) -> Any:
        r = 0.5 * self.lam * xp.sum(x * x, axis=-1)
        if self.lam_nc:
            r = r + self.lam_nc * xp.sum(x * x / (1 + x * x), axis=-1)
        return r

    def _reg_grad(self, x: Any) -> Any:
        g = self.lam * x
        if self.lam_nc:
            g = g + self.lam_nc * 2 * x / (1 + x * x) ** 2
        return g

    def _loss_terms(self, z: Any, xp: ModuleType) -> Any:
        return xp.logaddexp(0.0, -z)

    def f(self, x: Any) -> Any:
        xp = array_namespace(x)
        a, b = self._on("features", xp), self._on("labels", xp)
        z = xp.einsum("nmd,...d->...nm", a, x) * b
        return xp.mean(self._loss_terms(z, xp), axis=(-2, -1)) + self._reg(x, xp)

    def _grads_from_margins(self, z: Any, xp: ModuleType) -> Any:
        b = self._on("labels", xp)
        s = -b / (1 + xp.exp(z))  # d/dz log(1 + e^{-z}) = −1/(1 + e^{z}), times b
        return xp.einsum("...nm,nmd->...nd", s, self._on("features", xp)) / self.labels.shape[1]

    def agent_grads(self, x: Any) -> Any:
        xp = array_namespace(x)
        z = xp.einsum("nmd,...d->...nm", self._on("features", xp), x) * self._on("labels", xp)
        return self._grads_from_margins(z, xp) + self._reg_grad(x)[..., None, :]

    def local_grads(self, y: Any) -> Any:
        xp = array_namespace(y)
        z = xp.einsum("nmd,...nd->...nm", self._on("features", xp), y) * self._on("labels", xp)
        return self._grads_from_margins(z, xp) + self._reg_grad(y)

    def grad(self, x: Any) -> Any:
        return self.agent_grads(x).mean(axis=-2)

    def agent_grads_at(self, x: Any, idx: Any, agents: Any = None) -> Any:
        return _dense_agent_grads_at(self, x, idx, agents)


def read_libsvm(path: str, d: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse a LIBSVM/SVMlight text file (``label idx:value ...``, 1-based indices, ``#`` comments)
    into dense ``(features (M, d), labels (M,))`` with labels mapped to ``±1`` (the smaller of two
    label values becomes −1). One-line :class:`InvalidParameterError` on a malformed line."""
    rows: list[tuple[float, list[tuple[int, float]]]] = []
    try:
        if os.path.exists(path) and not os.path.isfile(path):
            raise InvalidParameterError(f"LIBSVM file {path!r} is not a regular file")
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise InvalidParameterError(f"cannot read LIBSVM file {path!r}: {exc.strerror}") from None
    with fh:
        try:
            lines = list(fh)
        except UnicodeDecodeError:
            raise InvalidParameterError(f"LIBSVM file {path!r} is not UTF-8 text (a binary file?); expected lines "
                                        "'label index:value ...'") from None
        for lineno, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            try:
                label = float(parts[0])
                feats = []
                for tok in parts[1:]:
                    si, sv = tok.split(":", 1)
                    feats.append((int(si), float(sv)))
            except ValueError:
                raise InvalidParameterError(f"{path}:{lineno}: expected 'label index:value ...', got {line[:60]!r}") from None
            if any(i < 1 for i, _ in feats):
                raise InvalidParameterError(f"{path}:{lineno}: feature indices are 1-based, got an index < 1")
            rows.append((label, feats))
    if not rows:
        raise InvalidParameterError(f"LIBSVM file {path!r} has no samples")
    dim = max((i for _, f in rows for i, _ in f), default=1) if d is None else d
    a = np.zeros((len(rows), dim))
    y = np.empty(len(rows))
    for r, (label, feats) in enumerate(rows):
        y[r] = label
        for i, v in feats:
            if i > dim:
                raise InvalidParameterError(f"{path}: feature index {i} exceeds d = {dim}")
            a[r, i - 1] = v
    values = np.unique(y)
    if values.size > 2:
        raise InvalidParameterError(f"{path}: binary labels expected, found {values.size} distinct values")
    y = np.where(y == values.min(), -1.0, 1.0) if values.size == 2 else np.sign(y) + (y == 0)
    return a, y


def logistic_regression(n_agents: int = 1, *, features: Any = None, labels: Any = None, libsvm: str | None = None,
                        samples: int = 200, d: int = 10, lam: float = 1e-2, nonconvex: float = 0.0,
                        x0: float | np.ndarray = 0.0, seed: int = 0, spec: str | None = None) -> Logistic:
    """Logistic regression over ``n_agents`` agents, on your data (``features (M, d)``, ``labels (M,)``
    in ±1), on a LIBSVM file (``libsvm=path``), or on synthetic data (``samples`` × ``d`` Gaussian
    features, labels from a random linear model with 10% flipped, drawn with ``seed``). Samples are
    split into N contiguous equal chunks (the last ``M mod N`` are dropped). ``lam``: the ℓ2 weight λ;
    ``nonconvex``: λ_nc of the regulariser ``Σ x_k²/(1 + x_k²)``."""
    from scipy.optimize import minimize

    positive_int("number of agents", n_agents)
    if lam < 0 or nonconvex < 0 or not (math.isfinite(lam) and math.isfinite(nonconvex)):
        raise InvalidParameterError(f"lam and nonconvex must be finite and >= 0, got {lam}, {nonconvex}")
    if libsvm is not None:
        a, y = read_libsvm(libsvm)
    elif features is not None:
        a, y = np.asarray(features, dtype=float), np.asarray(labels, dtype=float)
        if a.ndim != 2 or y.shape != (a.shape[0],):
            raise InvalidParameterError(f"features must be (M, d) and labels (M,), got {a.shape} and {y.shape}")
        if not np.all(np.isin(y, (-1.0, 1.0))):
            raise InvalidParameterError("labels must be -1 or +1")
    else:
        rng = np.random.default_rng(seed)
        a = rng.standard_normal((positive_int("samples", samples), positive_int("dimension d", d)))
        y = np.sign(a @ rng.standard_normal(a.shape[1]) + 1e-12)
        y[rng.random(y.size) < 0.1] *= -1
    _finite("features", a)
    m = a.shape[0] // n_agents
    if m < 1:
        raise InvalidParameterError(f"{a.shape[0]} samples cannot be split over {n_agents} agents")
    dim = a.shape[1]
    feats = a[: m * n_agents].reshape(n_agents, m, dim)
    labs = y[: m * n_agents].reshape(n_agents, m)
    L = float(np.linalg.eigvalsh(feats.reshape(-1, dim).T @ feats.reshape(-1, dim)).max() / (4 * m * n_agents)
              + lam + 2 * nonconvex)
    mu = max(lam - nonconvex / 2, 0.0)
    x0_arr = np.broadcast_to(np.asarray(x0, dtype=float), (dim,)).copy()
    prob = Logistic(d=dim, n_agents=n_agents, mu=mu, L=L, f_star=0.0, x0=x0_arr, tilts=np.zeros((n_agents, dim)),
                    spec=spec or f"logistic:N={n_agents},d={dim},m={m}", features=feats, labels=labs, lam=float(lam),
                    lam_nc=float(nonconvex))
    res = minimize(lambda x: float(prob.f(x)), np.zeros(dim), jac=lambda x: prob.grad(x), method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000})
    note = "f* by L-BFGS (global: f is convex)" if nonconvex == 0 else "f* by L-BFGS from 0: a local minimum (f non-convex)"
    object.__setattr__(prob, "f_star", float(res.fun))
    object.__setattr__(prob, "f_star_note", note)
    return prob
