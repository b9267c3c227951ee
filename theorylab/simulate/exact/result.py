"""The result of an exact-moment computation: a light peer of the Monte Carlo run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["ExactRun", "as_sympy"]


def as_sympy(v: Any) -> sp.Expr:
    """A Fraction/int as a sympy Rational, a float as a Float, ``inf`` as ``oo``."""
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    if isinstance(v, (float, np.floating)) and math.isinf(v):
        return sp.oo
    return sp.sympify(v, strict=True)  # safe: numbers only (strict refuses strings)


@dataclass
class ExactRun:
    """Exact ``E f(x_k) − f*`` along a run, and the stationary level.

    ``steps``/``times`` (record grid, ``times = steps·η``, or SDE times); ``gaps`` (one value per
    record step: floats, or Fractions in rational mode); ``level`` (stationary ``E f − f*``;
    ``inf`` when the moments diverge); ``rho`` (spectral radius of the moment map for a discrete
    method, or the largest real part of the moment ODE's generator for an SDE: ``diverged`` when
    ``rho ≥ 1``, resp. ``≥ 0``); ``rational``: exact fractions.
    """

    method: str
    steps: np.ndarray
    times: np.ndarray
    gaps: list[Any]
    level: Any
    rho: Any
    rho_method: str
    path: str
    rational: bool
    params: dict[str, Any] = field(default_factory=dict)
    wall_time: float = 0.0
    f_star: Any = 0.0
    continuous: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        return float(self.rho) >= (0.0 if self.continuous else 1.0)

    @property
    def values(self) -> np.ndarray:
        """The gaps as floats ``(P,)``."""
        return np.array([float(v) for v in self.gaps])

    @property
    def exact_level(self) -> sp.Expr:
        """The level as a sympy number (a Rational in rational mode)."""
        return as_sympy(self.level)

    def describe(self) -> dict[str, Any]:
        lvl = float(self.level)
        return {"engine": "exact", "method": self.method, "path": self.path, "rational": self.rational,
                "level": lvl if math.isfinite(lvl) else None,
                "level_exact": str(self.exact_level) if self.rational else None,
                "spectral_radius": float(self.rho), "spectral_radius_method": self.rho_method,
                "diverged": self.diverged, "wall_time_s": self.wall_time, **self.extra}

    def __str__(self) -> str:
        lvl = str(self.exact_level) if self.rational else f"{float(self.level):.10g}"
        kind = "max Re eig of the moment ODE" if self.continuous else "spectral radius"
        return (f"exact {self.method}: stationary level {lvl}, {kind} {float(self.rho):.6g}"
                f"{' (diverges)' if self.diverged else ''}, path {self.path}")
