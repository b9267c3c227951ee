"""Gradient noise ``Z_i`` added to each agent's gradient: ``∇f_{γ_i}(x) = ∇f_i(x) + Z_i``.

Convention of docs/theory.md#conventions (a *model* for batches, not the law of a mean of t variables):

- Gaussian: ``Z_i = (σ_i/√B) · N(0, I_d)``, per-coordinate variance ``σ_i²/B``;
- Student-t(ν): ``Z_i = (σ_i/√B) · t_ν(0, I_d)`` with independent coordinates; per-coordinate
  variance ``σ_i² ν/((ν − 2) B)`` for ``ν > 2``, infinite for ``ν ≤ 2``; ``ν = 1`` is Cauchy,
  ``ν = ∞`` is the Gaussian.

``σ`` may differ per agent (heterogeneous noise): ``sigma`` is a float or a length-N sequence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import backend_name
from ..errors import InvalidParameterError, SpecError, positive_int
from ._spec import parse_spec, reject_unknown, spec_float

__all__ = ["Noise", "gaussian", "student_t", "noise_from_spec", "NOISES"]

NOISES = ("gaussian", "student-t", "cauchy")


@dataclass(frozen=True)
class Noise:
    """Noise law ``Z = (σ/√B) · T`` with ``T`` standard Gaussian (``nu = inf``) or Student-t(ν).

    ``sigma`` is a tuple of per-agent scales (length 1 = same for every agent).
    """

    nu: float
    sigma: tuple[float, ...]
    batch: int

    def __post_init__(self) -> None:
        if not (self.nu > 0):
            raise InvalidParameterError(
                f"Student-t degrees of freedom nu must be > 0 (nu = inf for Gaussian), got nu={self.nu}")
        positive_int("batch size B", self.batch)
        if len(self.sigma) == 0 or any(not (math.isfinite(s) and s >= 0) for s in self.sigma):
            raise InvalidParameterError(f"noise scale sigma must be finite and >= 0, got {self.sigma}")

    @property
    def gaussian(self) -> bool:
        return math.isinf(self.nu)

    @property
    def name(self) -> str:
        if self.gaussian:
            return "gaussian"
        return "cauchy" if self.nu == 1 else f"student-t:nu={self.nu:g}"

    def scales(self, n_agents: int) -> np.ndarray:
        """Per-agent ``σ_i/√B`` as a numpy array of shape ``(N,)``."""
        if len(self.sigma) not in (1, n_agents):
            raise InvalidParameterError(
                f"sigma has {len(self.sigma)} per-agent values but there are {n_agents} agents")
        s = np.asarray(self.sigma, dtype=float)
        return np.broadcast_to(s, (n_agents,)) / math.sqrt(self.batch)

    @property
    def homogeneous(self) -> bool:
        return len(set(self.sigma)) == 1

    def variance_factor(self) -> float:
        """Variance of one standard coordinate ``T_j``: 1, ``ν/(ν−2)``, or ``inf`` for ``ν ≤ 2``."""
        if self.gaussian:
            return 1.0
        return self.nu / (self.nu - 2.0) if self.nu > 2 else math.inf

    def standard(self, shape: tuple[int, ...], rng: Any, xp: ModuleType) -> Any:
        """Draw the standard law ``T`` (Gaussian or t_ν) with the given shape, float64."""
        if self.gaussian:
            return rng.standard_normal(shape)
        if backend_name(xp) == "numpy":
            return rng.standard_t(self.nu, size=shape)
        # cupy's Generator: T = N / sqrt(χ²_ν/ν), χ²_ν = 2 Gamma(ν/2)
        z = rng.standard_normal(shape)
        chi2 = 2.0 * rng.standard_gamma(self.nu / 2.0, size=shape)
        return z / xp.sqrt(chi2 / self.nu)

    def sample(self, shape: tuple[int, ...], rng: Any, xp: ModuleType) -> Any:
        """Draw ``Z`` of ``shape = (..., N, m)`` (agents on the second-last axis)."""
        n = shape[-2]
        t = self.standard(shape, rng, xp)
        if self.homogeneous:
            return t * float(self.scales(n)[0])
        return t * xp.asarray(self.scales(n))[:, None]

    def describe(self) -> dict[str, Any]:
        return {"noise": self.name, "nu": None if self.gaussian else self.nu,
                "sigma": list(self.sigma) if not self.homogeneous else self.sigma[0], "batch": self.batch}


def _sigma_tuple(sigma: float | Sequence[float]) -> tuple[float, ...]:
    from .._validate import float_array, real_number

    if isinstance(sigma, (int, float, np.floating, np.integer)) and not isinstance(sigma, bool):
        return (real_number("sigma", sigma, low=0),)
    a = float_array("sigma", sigma)
    if a.ndim != 1:
        raise InvalidParameterError(f"sigma must be a number or a sequence of per-agent numbers, got shape {a.shape}")
    return tuple(float(s) for s in a)


def gaussian(sigma: float | Sequence[float] = 1.0, batch: int = 1) -> Noise:
    """Gaussian noise ``(σ_i/√B) N(0, I)``."""
    return Noise(math.inf, _sigma_tuple(sigma), batch)


def student_t(nu: float, sigma: float | Sequence[float] = 1.0, batch: int = 1) -> Noise:
    """Student-t noise ``(σ_i/√B) t_ν(0, I)`` (``ν = inf`` is Gaussian, ``ν = 1`` Cauchy)."""
    return Noise(float(nu), _sigma_tuple(sigma), batch)


def noise_from_spec(spec: str, sigma: float | Sequence[float] = 1.0, batch: int = 1) -> Noise:
    """``"gaussian"``, ``"cauchy"`` or ``"student-t:nu=3"`` (``nu=inf`` allowed)."""
    name, params = parse_spec(spec, "noise")
    if name in ("gaussian", "normal"):
        reject_unknown(params, spec, ())
        return gaussian(sigma, batch)
    if name == "cauchy":
        reject_unknown(params, spec, ())
        return student_t(1.0, sigma, batch)
    if name in ("student-t", "student_t", "studentt", "t"):
        nu = spec_float(params, "nu", None, spec)
        reject_unknown(params, spec, ("nu",))
        if not nu > 0:
            raise InvalidParameterError(f"noise {spec!r}: Student-t needs nu > 0, got nu={nu:g}")
        return student_t(nu, sigma, batch)
    raise SpecError(f"unknown noise {name!r} in {spec!r}; expected one of {list(NOISES)} (e.g. 'student-t:nu=3')")
