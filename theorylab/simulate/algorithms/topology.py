r"""Mixing matrices of decentralised SGD: the lecture's topologies, validation, and ``ρ``.

A mixing matrix ``W`` (``N × N``) is *doubly stochastic*: ``w_ij ≥ 0``, every row and every
column sums to 1. Its mixing rate is ``ρ = ‖W − 11ᵀ/N‖₂``, the second-largest singular value
of W (for a symmetric W the second-largest ``|eigenvalue|``); the spectral gap is ``1 − ρ``.
A consensus step ``X ← WX`` contracts the disagreement ``X − 1x̄ᵀ`` by at least ``ρ``.

Topologies (``mixing_matrix(name, N)``):

- ``ring``: ``w_ii = w_{i,i±1} = 1/3`` (built as ``(I + P + Pᵀ)/3`` with ``P`` the cyclic shift, so
  N = 1, 2 stay doubly stochastic);
- ``torus``: an ``a × b`` grid with wrap-around (``a`` the largest divisor of N with ``a ≤ √N``),
  ``(I + P_right + P_left + P_down + P_up)/5``;
- ``star``: node 0 linked to every other, Metropolis–Hastings weights ``w_0i = 1/N``,
  ``w_ii = 1 − 1/N`` for leaves, ``w_00 = 1/N``;
- ``complete``: ``11ᵀ/N`` (ρ = 0: exact averaging);
- ``exponential``: static exponential graph (Ying et al. 2021), node i averages itself and
  ``i + 2^j mod N`` for ``j = 0..⌈log₂N⌉−1``, equal weights ``1/(⌈log₂N⌉+1)``;
- ``one-peer-exponential``: time-varying, ``W_t = (I + P^{2^{t mod τ}})/2``, ``τ = ⌈log₂N⌉``
  (each node averages with one peer per step; for N a power of 2 the product of τ consecutive
  matrices is exactly ``11ᵀ/N``).

Every matrix is an average of permutation matrices, hence doubly stochastic by construction;
:func:`validate_mixing` checks any matrix (a user's) and raises a one-line error otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import InvalidParameterError, positive_int

__all__ = ["TOPOLOGIES", "Topology", "mixing_matrix", "topology", "validate_mixing", "mixing_rate"]

TOPOLOGIES: tuple[str, ...] = ("ring", "torus", "star", "complete", "exponential", "one-peer-exponential")


def _shift(n: int, s: int) -> np.ndarray:
    """The permutation matrix ``P^s``: ``(P^s x)_i = x_{(i + s) mod n}``."""
    return np.roll(np.eye(n), s, axis=1)


def _tau(n: int) -> int:
    return max(1, math.ceil(math.log2(n))) if n > 1 else 1


def mixing_matrix(name: str, n: int, t: int = 0) -> np.ndarray:
    """The mixing matrix of topology ``name`` for ``n`` nodes (at step ``t`` for a time-varying one)."""
    n = positive_int("number of agents", n)
    key = name.lower()
    if key == "ring":
        return (np.eye(n) + _shift(n, 1) + _shift(n, -1)) / 3.0
    if key == "torus":
        a = max(f for f in range(1, int(math.isqrt(n)) + 1) if n % f == 0)
        b = n // a
        idx = np.arange(n).reshape(a, b)
        w = np.eye(n)
        for ax, s in ((0, 1), (0, -1), (1, 1), (1, -1)):
            perm = np.roll(idx, s, axis=ax).reshape(-1)
            w += np.eye(n)[perm]
        return w / 5.0
    if key == "star":
        w = np.zeros((n, n))
        if n == 1:
            return np.ones((1, 1))
        w[0, 1:] = w[1:, 0] = 1.0 / n
        w[0, 0] = 1.0 / n
        w[np.arange(1, n), np.arange(1, n)] = 1.0 - 1.0 / n
        return w
    if key == "complete":
        return np.full((n, n), 1.0 / n)
    if key == "exponential":
        tau = _tau(n)
        shifts = sorted({0} | {(2**j) % n for j in range(tau)})
        return np.sum([_shift(n, s) for s in shifts], axis=0) / len(shifts)
    if key in ("one-peer-exponential", "one-peer"):
        tau = _tau(n)
        s = (2 ** (t % tau)) % n
        return (np.eye(n) + _shift(n, s)) / 2.0 if s else np.eye(n)
    raise InvalidParameterError(f"unknown topology {name!r}; expected one of {', '.join(TOPOLOGIES)}")


def validate_mixing(w: np.ndarray, n: int | None = None, tol: float = 1e-12) -> np.ndarray:
    """``w`` as a float array if it is a doubly stochastic ``N × N`` matrix; otherwise
    :class:`InvalidParameterError` naming the first row or column that fails."""
    a = np.asarray(w, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or (n is not None and a.shape[0] != n):
        want = f"{n} x {n}" if n is not None else "square"
        raise InvalidParameterError(f"mixing matrix must be {want}, got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < -tol):
        raise InvalidParameterError("mixing matrix must have finite entries >= 0; expected a doubly stochastic W")
    rows, cols = a.sum(axis=1), a.sum(axis=0)
    for what, sums in (("row", rows), ("column", cols)):
        bad = np.flatnonzero(np.abs(sums - 1.0) > tol * a.shape[0])
        if bad.size:
            i = int(bad[0])
            raise InvalidParameterError(f"mixing matrix is not doubly stochastic: {what} {i} sums to {sums[i]:.12g}; "
                                        "expected every row and column to sum to 1")
    return a


def mixing_rate(w: np.ndarray) -> float:
    """``ρ = ‖W − 11ᵀ/N‖₂`` (second-largest singular value of a doubly stochastic W). A doubly stochastic
    W is a convex combination of permutations (Birkhoff), so ``ρ ≤ 1``: the float rounding above 1
    (``1 + 2e-16`` for the one-peer matrices) is clipped."""
    a = np.asarray(w, dtype=float)
    n = a.shape[0]
    return min(float(np.linalg.norm(a - np.full((n, n), 1.0 / n), 2)), 1.0)


@dataclass(frozen=True)
class Topology:
    """A validated topology: ``matrices`` (one, or one per step of the period), ``rho`` (the worst
    per-step mixing rate), ``rho_period`` (mixing rate of the product over one period)."""

    name: str
    matrices: tuple[np.ndarray, ...]
    rho: float
    rho_period: float

    @property
    def spectral_gap(self) -> float:
        return 1.0 - self.rho

    def at(self, t: int) -> np.ndarray:
        return self.matrices[t % len(self.matrices)]

    def describe(self) -> dict[str, object]:
        return {"topology": self.name, "rho": self.rho, "spectral_gap": 1.0 - self.rho,
                "rho_period": self.rho_period, "period": len(self.matrices)}


def topology(spec: str | np.ndarray, n: int) -> Topology:
    """A :class:`Topology` from a name of :data:`TOPOLOGIES` or a user's matrix (validated)."""
    if isinstance(spec, str):
        key = spec.lower()
        period = _tau(n) if key in ("one-peer-exponential", "one-peer") else 1
        mats = tuple(validate_mixing(mixing_matrix(key, n, t), n) for t in range(period))
        name = key
    else:
        mats = (validate_mixing(spec, n),)
        name = "custom"
    prod = np.eye(n)
    for m in mats:
        prod = m @ prod
    return Topology(name, mats, max(mixing_rate(m) for m in mats), mixing_rate(prod))
