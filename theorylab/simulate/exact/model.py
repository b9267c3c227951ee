r"""The quadratic setting of the exact engine: per-agent Hessians, optima and noise covariances.

Agent ``i`` holds ``f_i(x) = ½ (x − c_i)ᵀ H_i (x − c_i)`` (``H_i`` symmetric) and returns the
stochastic gradient ``∇f_i(x) + Z_i`` with ``E Z_i = 0`` and ``Cov Z_i = Σ_i`` (any law with
finite variance: only the covariance enters the first two moments). The objective is
``f = (1/N) Σ_i f_i`` with Hessian ``H̄ = (1/N) Σ H_i``, minimiser ``x* = H̄⁻¹ (1/N) Σ H_i c_i``
(``H̄`` must be positive definite) and

.. math::

    f(x) - f^* = \tfrac12 (x - x^*)^\top \bar H (x - x^*), \qquad
    E f(x) - f^* = \tfrac12 \operatorname{tr}\big(\bar H\, E[y y^\top]\big), \quad y = x - x^*.

In the centred coordinate ``y`` the agents' gradients are ``H_i y + b_i`` with
``b_i = H_i (x* − c_i)`` and ``Σ_i b_i = 0``. Hessians and covariances are either *diagonal*
(stored as ``(N, d)`` vectors, the O(d) path) or full ``(N, d, d)`` matrices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import AssumptionError, InvalidParameterError

__all__ = ["LinearQuadratic", "linear_quadratic", "from_problem"]


@dataclass(frozen=True)
class LinearQuadratic:
    """Centred quadratic setting (see the module docstring).

    ``hessians`` ``(N, d)`` (diagonal) or ``(N, d, d)``; ``tilts`` ``b_i`` ``(N, d)``;
    ``noise`` ``Σ_i``: ``(N, d)`` (diagonal) or ``(N, d, d)``; ``y0 = x0 − x*`` ``(d,)``;
    ``x_star``; ``f_star``. Arrays are float64, or ``object`` arrays of ``fractions.Fraction``
    in rational mode.
    """

    hessians: np.ndarray
    tilts: np.ndarray
    noise: np.ndarray
    y0: np.ndarray
    x_star: np.ndarray
    f_star: Any
    spec: str = "quadratic"

    @property
    def n_agents(self) -> int:
        return int(self.hessians.shape[0])

    @property
    def d(self) -> int:
        return int(self.hessians.shape[1])

    @property
    def diagonal(self) -> bool:
        """Hessians and noise covariances are all diagonal (the O(d) path applies)."""
        return self.hessians.ndim == 2 and self.noise.ndim == 2

    @property
    def rational(self) -> bool:
        return self.hessians.dtype == object

    @property
    def heterogeneous(self) -> bool:
        return bool(np.any(self.tilts != 0)) or not _all_equal(self.hessians)

    def mean_hessian(self, full: bool = False) -> np.ndarray:
        h = self.hessians.sum(axis=0) / self.n_agents
        if full and h.ndim == 1:
            return _diag(h)
        return h

    def full(self) -> LinearQuadratic:
        """The same setting with full ``(N, d, d)`` matrices (for the dense path and cross-checks)."""
        h = self.hessians if self.hessians.ndim == 3 else np.stack([_diag(v) for v in self.hessians])
        s = self.noise if self.noise.ndim == 3 else np.stack([_diag(v) for v in self.noise])
        return LinearQuadratic(h, self.tilts, s, self.y0, self.x_star, self.f_star, self.spec)

    def gap_of(self, mean: np.ndarray, second: np.ndarray) -> Any:
        """``E f − f* = ½ tr(H̄ S)`` from the second moment ``S`` (``(d,)`` diagonal or ``(d, d)``)."""
        hbar = self.mean_hessian()
        if second.ndim == 1:
            hd = hbar if hbar.ndim == 1 else np.diagonal(hbar)
            return (hd * second).sum() / 2
        if hbar.ndim == 1:
            return (hbar * np.diagonal(second)).sum() / 2
        return (hbar * second).sum() / 2


def _all_equal(a: np.ndarray) -> bool:
    return bool(np.all(a == a[:1]))


def _diag(v: np.ndarray) -> np.ndarray:
    out = np.zeros((v.shape[0], v.shape[0]), dtype=v.dtype)
    if v.dtype == object:
        from fractions import Fraction

        out[...] = Fraction(0)  # an int 0 would become a float under true division
    out[np.diag_indices(v.shape[0])] = v
    return out


def _as_array(a: Any, rational: bool, name: str) -> np.ndarray:
    if rational:
        from fractions import Fraction

        arr = np.asarray(a, dtype=object)
        try:
            return np.vectorize(lambda v: Fraction(str(v)) if not isinstance(v, Fraction) else v,
                                otypes=[object])(arr)
        except (ValueError, TypeError):
            raise InvalidParameterError(f"rational mode: {name} must hold rational numbers, got {a!r}") from None
    arr = np.asarray(a, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} must be finite")
    return arr


def linear_quadratic(hessians: Any, optima: Any, noise: Any, x0: Any = 1.0, *, rational: bool = False,
                     spec: str = "custom quadratic") -> LinearQuadratic:
    """Build the setting from per-agent ``hessians`` (``(N, d)`` diagonals or ``(N, d, d)``),
    ``optima`` ``c_i`` (``(N, d)``), noise covariances ``Σ_i`` (a number ``v`` for ``v I``, ``(N,)``
    per-agent variances, ``(N, d)`` diagonals or ``(N, d, d)``) and the start ``x0``.

    ``rational``: keep every number as an exact fraction (inputs given as ints, Fractions,
    decimal strings or floats with a short decimal form).
    """
    h = _as_array(hessians, rational, "hessians")
    if h.ndim not in (2, 3) or (h.ndim == 3 and h.shape[1] != h.shape[2]):
        raise InvalidParameterError(f"hessians must have shape (N, d) (diagonals) or (N, d, d), got {h.shape}")
    n, d = h.shape[0], h.shape[1]
    if h.ndim == 3:
        ht = np.swapaxes(h, 1, 2)
        if not (np.all(h == ht) if rational else np.allclose(h, ht, rtol=1e-12, atol=1e-14)):
            raise InvalidParameterError("hessians must be symmetric matrices")
        if not rational:
            h = (h + ht) / 2
    c = _as_array(optima, rational, "optima")
    c = np.broadcast_to(c, (n, d)) if c.ndim <= 1 else c
    if c.shape != (n, d):
        raise InvalidParameterError(f"optima must have shape (N, d) = ({n}, {d}), got {c.shape}")
    s = _as_array(noise, rational, "noise covariance")
    if s.ndim == 0:
        s = np.broadcast_to(s, (n, d))
    elif s.ndim == 1 and s.shape == (n,):
        s = np.broadcast_to(s[:, None], (n, d))
    if s.shape not in ((n, d), (n, d, d)):
        raise InvalidParameterError(f"noise covariance must be a number, (N,), (N, d) or (N, d, d); got {s.shape}")
    s = np.array(s)
    x0a = np.broadcast_to(_as_array(x0, rational, "x0"), (d,)).copy()
    hbar = h.sum(axis=0) / n
    hfull = hbar if hbar.ndim == 2 else _diag(hbar)
    hc = np.stack([(h[i] @ c[i]) if h.ndim == 3 else h[i] * c[i] for i in range(n)]).sum(axis=0) / n
    if rational:
        import sympy as sp

        hm = sp.Matrix(hfull.tolist())
        if not hm.is_positive_definite:
            raise AssumptionError("mean Hessian positive definite", "(1/N) sum_i H_i must be positive definite")
        xs = hm.LUsolve(sp.Matrix(list(hc)))
        from fractions import Fraction

        x_star = np.array([Fraction(int(sp.fraction(v)[0]), int(sp.fraction(v)[1])) for v in xs], dtype=object)
    else:
        ev = np.linalg.eigvalsh(hfull)
        if ev.min() <= 0:
            raise AssumptionError("mean Hessian positive definite",
                                  f"(1/N) sum_i H_i has eigenvalue {ev.min():.3g} <= 0", float(ev.min()))
        x_star = np.linalg.solve(hfull, hc)
    tilts = np.stack([(h[i] @ (x_star - c[i])) if h.ndim == 3 else h[i] * (x_star - c[i]) for i in range(n)])
    # f* = (1/N) sum_i ½ (x* − c_i)ᵀ H_i (x* − c_i)
    fs = sum(((x_star - c[i]) * tilts[i]).sum() for i in range(n)) / (2 * n)
    return LinearQuadratic(h, tilts, s, x0a - x_star, x_star, fs, spec)


def from_problem(problem: Any, noise: Any, *, rational: bool = False) -> LinearQuadratic:
    """The setting of a :class:`~theorylab.simulate.Quadratic` (or any problem with ``hessians`` and
    ``optima`` attributes) with a :class:`~theorylab.simulate.Noise`.

    Noise: ``Σ_i = (σ_i²/B) Var(T) I`` with ``Var T = 1`` (Gaussian) or ``ν/(ν−2)`` (Student-t,
    ``ν > 2``); ``ν ≤ 2`` has infinite variance and raises :class:`AssumptionError`.
    """
    vf = noise.variance_factor()
    if math.isinf(vf):
        raise AssumptionError("finite noise variance",
                              f"Student-t noise with nu = {noise.nu:g} <= 2 has infinite variance: the second "
                              "moments of the iterates are infinite, no exact recursion", noise.nu)
    n, d = problem.n_agents, problem.d
    if rational:
        from fractions import Fraction

        var = [Fraction(str(s)) ** 2 / noise.batch * (Fraction(str(vf)) if vf != 1 else 1) for s in
               np.broadcast_to(np.asarray(noise.sigma, dtype=float), (n,))]
    else:
        var = list(np.asarray(noise.scales(n)) ** 2 * vf)
    if hasattr(problem, "hessians") and hasattr(problem, "optima"):
        return linear_quadratic(problem.hessians, problem.optima, var, problem.x0, rational=rational,
                                spec=getattr(problem, "spec", "custom quadratic"))
    if getattr(problem, "name", None) != "quadratic" or not hasattr(problem, "eigenvalues"):
        raise InvalidParameterError(
            f"the exact engine needs a quadratic problem (its moments are exact only for linear gradients); "
            f"{getattr(problem, 'spec', problem)!r} is not one: use the Monte Carlo engine")
    if problem.rotation is None:
        h = np.broadcast_to(problem.eigenvalues, (n, d))
    else:
        h = np.broadcast_to(problem.matrix, (n, d, d))
    if rational:
        h = np.vectorize(lambda v: str(float(v)), otypes=[object])(h)
    optima = problem.agent_optima if problem.heterogeneous else np.zeros((n, d))
    return linear_quadratic(h, optima, var, problem.x0, rational=rational, spec=problem.spec)
