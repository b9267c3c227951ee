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
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import array_namespace, get_xp
from ..errors import InvalidParameterError, SpecError, positive_int
from ._spec import parse_spec, reject_unknown, spec_bool, spec_float, spec_int

__all__ = ["Problem", "Quadratic", "SinPL", "problem_from_spec", "quadratic", "sin_pl", "sin_pl_mu", "PROBLEMS"]


def _check_dims(d: int, n_agents: int) -> None:
    positive_int("dimension d", d)
    positive_int("number of agents", n_agents)


def _tilts(u: np.ndarray) -> np.ndarray:
    """Centre per-agent offsets so that they sum to zero over agents (axis 0)."""
    return u - u.mean(axis=0, keepdims=True)


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
        """True when the agents' gradients differ (some tilt is non-zero)."""
        return bool(np.any(self.tilts != 0))

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


PROBLEMS = ("quadratic", "sinpl")


def problem_from_spec(spec: str, d: int, n_agents: int = 1) -> Problem:
    """Build a problem from ``"quadratic:mu=1,L=1[,hetero=0,rotate=0,spectrum=linear,x0=1,seed=0]"``
    or ``"sinpl[:hetero=0,x0=1,seed=0]"``; ``d`` and ``n_agents`` come from the caller."""
    name, params = parse_spec(spec, "problem")
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
    raise SpecError(f"unknown problem {name!r} in {spec!r}; known problems: {list(PROBLEMS)}")
