"""Function classes of a worst-case analysis and their interpolation conditions.

A finite set of triples ``(x_i, g_i, f_i)`` is *interpolable* by a class when some function of
the class has ``f(x_i) = f_i`` and ``∇f(x_i) = g_i``. Taylor, Hendrickx & Glineur (2017,
Theorems 4 and 3.10 of Taylor's thesis) give necessary and sufficient conditions, one
inequality per ordered pair ``(i, j)``, written here as ``e_ij ≤ 0``:

- ``F_{μ,L}`` (L-smooth, μ-strongly convex, 0 ≤ μ < L; μ = 0 is L-smooth convex)::

    f_j − f_i + <g_j, x_i − x_j> + ‖g_i − g_j‖²/(2L) + μ/(2(1 − μ/L)) ‖x_i − x_j − (g_i − g_j)/L‖² ≤ 0

- L-smooth (not necessarily convex)::

    f_j − f_i − L/4 ‖x_i − x_j‖² + <g_i + g_j, x_i − x_j>/2 + ‖g_i − g_j‖²/(4L) ≤ 0

- L-smooth μ-PL: the smooth conditions plus ``f_i − f* ≤ ‖g_i‖²/(2μ)`` and ``f* ≤ f_i`` at every
  evaluated point. These are *necessary* conditions only (no interpolation theorem is known for
  PL functions), so a PL analysis gives valid **upper bounds** only: it can prove a bound, never
  refute one.

The interpolant of a counterexample (:func:`interpolant`): for ``F_{0,L}``,
``f(x) = max_{α∈Δ} Σ_i α_i (f_i + <g_i, x − x_i>) + (Σ_i α_i ‖g_i‖² − ‖Σ_i α_i g_i‖²)/(2L)``
(the conjugate of ``conv_i(<g_i, x_i> − f_i − ‖g_i‖²/(2L)) + ‖·‖²/(2L)``, Taylor et al. 2017,
proof of Theorem 4), L-smooth and convex, equal to ``f_i`` with gradient ``g_i`` at ``x_i`` when
the conditions hold. ``F_{μ,L}`` is ``μ‖x‖²/2`` plus an interpolant of ``F_{0,L−μ}`` for the data
``(x_i, g_i − μ x_i, f_i − μ‖x_i‖²/2)``; an L-smooth function is ``h − L‖x‖²/2`` with ``h`` the
``F_{0,2L}`` interpolant of ``(x_i, g_i + L x_i, f_i + L‖x_i‖²/2)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ...errors import InvalidParameterError
from .exact import Scalar, Vec

__all__ = ["FunctionClass", "smooth_strongly_convex", "smooth_convex", "smooth", "smooth_pl", "get_class",
           "CLASSES", "interpolant"]


def _sq(v: Vec) -> Scalar:
    return v.dot(v)


@dataclass(frozen=True)
class FunctionClass:
    """A class of functions: ``kind`` in ``sc`` (F_{μ,L}), ``smooth``, ``pl``; ``L``, ``mu``."""

    kind: str
    L: Fraction
    mu: Fraction = Fraction(0)
    components: int = 1  # a finite sum (1/n) Σ f_i of n functions of the class

    def __post_init__(self) -> None:
        if not isinstance(self.L, Fraction) or not isinstance(self.mu, Fraction):
            return  # a symbolic class (parametric certificates): the region states the assumptions
        if self.L <= 0:
            raise InvalidParameterError(f"the smoothness constant L must be > 0, got {self.L}")
        if self.mu < 0 or (self.kind == "sc" and self.mu >= self.L) or (self.kind == "pl" and not 0 < self.mu <= self.L):
            raise InvalidParameterError(f"need 0 <= mu < L (0 < mu <= L for PL), got mu={self.mu}, L={self.L}")
        if self.components < 1:
            raise InvalidParameterError("a finite sum needs at least one component")

    @property
    def short(self) -> str:
        return {"sc": "F_{mu,L}" if self.mu else "F_{0,L}", "smooth": "smooth", "pl": "smooth"}[self.kind]

    @property
    def upper_bounds_only(self) -> bool:
        """True for PL: the conditions are necessary, not sufficient (no refutation possible)."""
        return self.kind == "pl"

    def describe(self) -> str:
        base = {"sc": (f"L-smooth {self.mu}-strongly convex (L = {self.L})" if self.mu else f"L-smooth convex (L = {self.L})"),
                "smooth": f"L-smooth, possibly nonconvex (L = {self.L})",
                "pl": f"L-smooth μ-PL (L = {self.L}, μ = {self.mu}; necessary conditions only: upper bounds)"}[self.kind]
        return base if self.components == 1 else f"(1/{self.components}) Σ f_i, each f_i {base}"

    @property
    def pepit_class(self) -> Any:
        from PEPit.functions import SmoothFunction, SmoothStronglyConvexFunction

        return SmoothStronglyConvexFunction if self.kind == "sc" else SmoothFunction

    def pepit_kwargs(self) -> dict[str, float]:
        if self.kind == "sc":
            return {"L": float(self.L), "mu": float(self.mu)}
        return {"L": float(self.L)}

    def interpolation(self, ti: Any, tj: Any) -> Scalar:
        """``e_ij`` (≤ 0 on interpolable data) for two triples (exact twins)."""
        xi, gi, fi = ti.x.ex, ti.g.ex, ti.f.ex
        xj, gj, fj = tj.x.ex, tj.g.ex, tj.f.ex
        return self.interpolation_exact(xi, gi, fi, xj, gj, fj)

    def interpolation_exact(self, xi: Vec, gi: Vec, fi: Scalar, xj: Vec, gj: Vec, fj: Scalar) -> Scalar:
        L, mu = self.L, self.mu
        if self.kind == "sc":
            e = fj - fi + gj.dot(xi - xj) + _sq(gi - gj).scale(1 / (2 * L))
            if mu != 0:
                e = e + _sq(xi - xj - (gi - gj).scale(1 / L)).scale(mu / (2 * (1 - mu / L)))
            return e
        return (fj - fi - _sq(xi - xj).scale(L / 4) + (gi + gj).dot(xi - xj).scale(Fraction(1, 2))
                + _sq(gi - gj).scale(1 / (4 * L)))

    def with_margin(self, eps: Any) -> "FunctionClass":
        """A slightly smaller class (L(1 − ε), μ + εL): its worst cases satisfy this class's
        conditions with a strict margin, so rounding them to rationals keeps them in the class."""
        e = Fraction(eps).limit_denominator(10**9)
        if self.kind == "sc":
            return FunctionClass("sc", self.L * (1 - e), self.mu + e * self.L, self.components)
        return FunctionClass(self.kind, self.L * (1 - e), self.mu, self.components)


def smooth_strongly_convex(L: Any, mu: Any, components: int = 1) -> FunctionClass:
    from .exact import as_fraction

    return FunctionClass("sc", as_fraction(L), as_fraction(mu), components)


def smooth_convex(L: Any, components: int = 1) -> FunctionClass:
    from .exact import as_fraction

    return FunctionClass("sc", as_fraction(L), Fraction(0), components)


def smooth(L: Any, components: int = 1) -> FunctionClass:
    from .exact import as_fraction

    return FunctionClass("smooth", as_fraction(L), Fraction(0), components)


def smooth_pl(L: Any, mu: Any, components: int = 1) -> FunctionClass:
    from .exact import as_fraction

    return FunctionClass("pl", as_fraction(L), as_fraction(mu), components)


CLASSES = {
    "smooth-convex": "L-smooth convex (parameters L)",
    "smooth-strongly-convex": "L-smooth mu-strongly convex (parameters L, mu)",
    "smooth": "L-smooth, possibly nonconvex (parameter L)",
    "smooth-pl": "L-smooth mu-PL, upper bounds only (parameters L, mu)",
}


def get_class(name: str, params: dict[str, Any], components: int = 1) -> FunctionClass:
    """A class by name (:data:`CLASSES`) with its parameters ``L`` (and ``mu``)."""
    try:
        if name == "smooth-convex":
            return smooth_convex(params["L"], components)
        if name == "smooth-strongly-convex":
            return smooth_strongly_convex(params["L"], params["mu"], components)
        if name == "smooth":
            return smooth(params["L"], components)
        if name == "smooth-pl":
            return smooth_pl(params["L"], params["mu"], components)
    except KeyError as exc:
        raise InvalidParameterError(f"class {name!r} needs the parameter {exc.args[0]}") from None
    raise InvalidParameterError(f"unknown function class {name!r}; expected one of {', '.join(CLASSES)}")


def _convex_interpolant(xs: np.ndarray, gs: np.ndarray, fs: np.ndarray, L: float, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Value and gradient at ``x`` of the F_{0,L} interpolant (the concave QP over the simplex
    solved by projected gradient with an exact line search on the quadratic)."""
    lin = fs + gs @ x - np.einsum("ij,ij->i", gs, xs)
    sq = np.einsum("ij,ij->i", gs, gs)
    c = lin + sq / (2 * L)
    H = gs @ gs.T / L  # objective: c·α − αᵀHα/2

    def proj(v: np.ndarray) -> np.ndarray:  # Euclidean projection onto the simplex
        u = np.sort(v)[::-1]
        css = np.cumsum(u) - 1
        k = np.nonzero(u - css / np.arange(1, len(v) + 1) > 0)[0][-1]
        out: np.ndarray = np.maximum(v - css[k] / (k + 1), 0)
        return out

    a = np.zeros(len(fs))
    a[int(np.argmax(lin))] = 1.0
    step = 1.0 / max(np.linalg.eigvalsh(H).max(), 1e-12)
    for _ in range(500):
        grad = c - H @ a
        an = proj(a + step * grad)
        if np.abs(an - a).max() < 1e-14:
            a = an
            break
        a = an
    val = float(c @ a - a @ H @ a / 2)
    return val, gs.T @ a


def interpolant(cls: FunctionClass, xs: np.ndarray, gs: np.ndarray, fs: np.ndarray):  # type: ignore[no-untyped-def]
    """``f(x) -> (value, gradient)``: an explicit function of ``cls`` through the data (float
    evaluation, for plots and a float replay; membership itself is checked exactly on the data)."""
    xs, gs, fs = (np.asarray(a, dtype=float) for a in (xs, gs, fs))
    L, mu = float(cls.L), float(cls.mu)
    if cls.kind == "sc":
        hg = gs - mu * xs
        hf = fs - mu / 2 * np.einsum("ij,ij->i", xs, xs)

        def f(x: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = _convex_interpolant(xs, hg, hf, L - mu, x) if L > mu else (0.0, np.zeros_like(x))
            return v + mu / 2 * float(x @ x), g + mu * x
        return f
    hg = gs + L * xs
    hf = fs + L / 2 * np.einsum("ij,ij->i", xs, xs)

    def f2(x: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = _convex_interpolant(xs, hg, hf, 2 * L, x)
        return v - L / 2 * float(x @ x), g - L * x
    return f2
