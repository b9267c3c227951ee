r"""Exact moments of the SDEs of Theorem 1 (DSGD, DCSGD) on a quadratic: their moment ODEs.

The symbolic SDE (:mod:`theorylab.symbolic.sde`) is ``dX = b(g) dt + G(g) dW`` with
``g = ∇f(X)``, ``b(g)_j = b(g_j)`` and ``G Gᵀ = diag(D(g_j)) + c g gᵀ``. For DSGD and DCSGD
``b`` is affine and ``D`` a quadratic polynomial in ``g_j``; their coefficients

    ``b(g_j) = b₀ + b₁ g_j``,   ``D(g_j) = d₀ + d₁ g_j + d₂ g_j²``,   ``c``

are read off the sympy expressions with the setting's parameter values substituted (never
retyped; a non-polynomial SDE, such as DSignSGD's, raises). On ``f = ½ yᵀ A y`` (``y = X − x*``,
``g = A y``, homogeneous agents as Theorem 1 assumes), Itô's formula gives the closed linear ODE

.. math::

    \dot m = b_1 A m + b_0 \mathbf 1, \qquad
    \dot S = b_1 (A S + S A) + b_0 (m \mathbf 1^\top + \mathbf 1 m^\top)
             + \operatorname{diag}\big(d_0 + d_1 (A m)_j + d_2 (A S A)_{jj}\big) + c\, A S A,

and ``E f(X_t) − f* = ½ tr(A S_t)``. Diagonal ``A = diag(λ)``: each coordinate is a 2×2 affine
system, solved in closed form (exponentials), O(d) per record time. Full ``A``: the generator on
``(m, S)`` is assembled on the symmetric entries (``d ≤ 40``) and propagated with ``expm``. The
stationary level solves the continuous Lyapunov equation ``0 = b₁(AS + SA) + … `` (the right-hand
side at ``ṁ = Ṡ = 0``); the moments diverge when the generator has an eigenvalue with real
part ``≥ 0`` (reported as ``rho``, the largest real part).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import sympy as sp

from ...errors import AssumptionError, InvalidParameterError, positive_int
from ..record import record_steps
from .model import LinearQuadratic
from .result import ExactRun

__all__ = ["SDECoefficients", "sde_coefficients", "SDEMoments", "exact_sde", "DENSE_SDE_MAX_D"]

DENSE_SDE_MAX_D = 40


class SDECoefficients:
    """``b₀, b₁, d₀, d₁, d₂, c`` of a polynomial SDE (floats, or sympy numbers when ``exact``)."""

    def __init__(self, b0: Any, b1: Any, d0: Any, d1: Any, d2: Any, c: Any, name: str) -> None:
        self.b0, self.b1, self.d0, self.d1, self.d2, self.c, self.name = b0, b1, d0, d1, d2, c, name

    def as_tuple(self) -> tuple[Any, ...]:
        return self.b0, self.b1, self.d0, self.d1, self.d2, self.c


def sde_coefficients(sde: Any, values: dict[str, Any], dim: int, exact: bool = False) -> SDECoefficients:
    """Substitute ``values`` (by symbol name, per-agent families as sequences) and ``d = dim`` into
    the symbolic SDE and read the polynomial coefficients in ``g_j``."""
    from ...symbolic.symbols import d as d_sym
    from ...symbolic.symbols import gj

    numeric = sde.lambdify("numpy", d=dim, **values)  # validates names and domains
    subs: dict[sp.Symbol, Any] = {d_sym: sp.Integer(dim)}
    for sym in sde.parameters:
        v = numeric.params[str(sym)]
        subs[sym] = sp.nsimplify(v, rational=True) if exact else sp.Float(v, 30)

    def poly(expr: sp.Expr, deg: int, what: str) -> list[sp.Expr]:
        e = sp.expand(sp.sympify(expr).subs(subs))  # safe: the symbolic SDE's own expressions
        try:
            p = sp.Poly(e, gj)
        except sp.PolynomialError:
            p = None
        if p is None or p.degree() > deg or any(s != gj for s in e.free_symbols - {gj}):
            raise InvalidParameterError(
                f"{sde.name}: its {what} is not a polynomial of degree <= {deg} in g_j ({e}), so its moments do "
                "not close: no exact moment ODE (use the Monte Carlo integrator)")
        co = [p.coeff_monomial(gj**i) for i in range(deg + 1)]
        return co

    b0, b1 = poly(sde.drift, 1, "drift")
    d0, d1, d2 = poly(sde.cov_diag, 2, "diffusion's diagonal")
    (c,) = poly(sde.cov_outer, 0, "outer-product coefficient")
    conv = (lambda v: sp.nsimplify(v)) if exact else float
    vals = [conv(v) for v in (b0, b1, d0, d1, d2, c)]
    return SDECoefficients(vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], sde.name)


class SDEMoments:
    """The moment ODE of a polynomial SDE on the quadratic ``q`` (homogeneous agents)."""

    def __init__(self, q: LinearQuadratic, co: SDECoefficients) -> None:
        if q.heterogeneous:
            raise AssumptionError("homogeneous agents",
                                  "the SDEs of Theorem 1 are stated for f_i = f (state g = grad f); this problem "
                                  "has per-agent Hessians or optima")
        self.q, self.co = q, co
        self.diagonal = q.hessians.ndim == 2
        if not self.diagonal and q.d > DENSE_SDE_MAX_D:
            raise InvalidParameterError(f"the exact SDE moments with a full Hessian are implemented for d <= "
                                        f"{DENSE_SDE_MAX_D} (got d = {q.d}); use a diagonal Hessian")
        self.a = q.hessians[0].astype(float) if not q.rational else q.hessians[0]
        b0, b1, d0, d1, d2, c = co.as_tuple()
        if self.diagonal:
            lam = np.asarray(self.a, dtype=float)
            self.alpha = float(b1) * lam
            self.beta = 2 * float(b1) * lam + (float(d2) + float(c)) * lam**2
            self.gamma = 2 * float(b0) + float(d1) * lam
            self.d0 = float(d0)
            self.b0 = float(b0)

    # ----------------------------------------------------------------- diagonal closed form
    def _diag_at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y0 = self.q.y0.astype(float)
        al, be, ga = self.alpha, self.beta, self.gamma
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            m_inf = np.where(al != 0, -self.b0 / al, 0.0)
            s_inf = -(ga * m_inf + self.d0) / be
        tt = t[:, None]
        ea, eb = np.exp(al * tt), np.exp(be * tt)
        diff = al - be
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cross = np.where(np.abs(diff * tt) > 1e-12, eb * np.expm1(diff * tt) / np.where(diff == 0, 1, diff),
                             tt * eb)
        m = m_inf + (y0 - m_inf) * ea
        s = s_inf + (y0 * y0 - s_inf) * eb + ga * (y0 - m_inf) * cross
        return m, s

    # ----------------------------------------------------------------- dense: explicit generator
    def _rhs(self, m: np.ndarray, s: np.ndarray, const: bool) -> tuple[np.ndarray, np.ndarray]:
        b0, b1, d0, d1, d2, c = (float(v) for v in self.co.as_tuple())
        a = np.asarray(self.a, dtype=float)
        d = a.shape[0]
        one = np.ones(d)
        asa = a @ s @ a
        dm = b1 * (a @ m) + (b0 * one if const else 0.0)
        ds = b1 * (a @ s + s @ a) + b0 * (np.multiply.outer(m, one) + np.multiply.outer(one, m))
        ds = ds + np.diag(d1 * (a @ m) + d2 * np.diagonal(asa) + (d0 if const else 0.0)) + c * asa
        return dm, ds

    def _generator(self) -> tuple[np.ndarray, list[tuple[int, int]]]:
        d = self.q.d
        basis = [(i, j) for i in range(d) for j in range(i, d)]
        n = d + len(basis) + 1
        g = np.zeros((n, n))

        def pack(dm: np.ndarray, ds: np.ndarray) -> np.ndarray:
            return np.concatenate([dm, [ds[i, j] for (i, j) in basis], [0.0]])

        for col in range(d):
            e = np.zeros(d)
            e[col] = 1
            g[:, col] = pack(*self._rhs(e, np.zeros((d, d)), False))
        for k, (i, j) in enumerate(basis):
            e = np.zeros((d, d))
            e[i, j] = e[j, i] = 1
            g[:, d + k] = pack(*self._rhs(np.zeros(d), e, False))
        g[:, -1] = pack(*self._rhs(np.zeros(d), np.zeros((d, d)), True))
        return g, basis

    def _unpack(self, z: np.ndarray, basis: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        d = self.q.d
        s = np.zeros((d, d))
        for k, (i, j) in enumerate(basis):
            s[i, j] = s[j, i] = z[d + k]
        return z[:d], s

    # ----------------------------------------------------------------- public
    def gaps_at(self, times: np.ndarray) -> np.ndarray:
        """``E f(X_t) − f*`` at ``times``."""
        times = np.asarray(times, dtype=float)
        if self.diagonal:
            m, s = self._diag_at(times)
            return 0.5 * (s * np.asarray(self.a, dtype=float)).sum(axis=1)
        from scipy.linalg import expm

        g, basis = self._generator()
        y0 = self.q.y0.astype(float)
        z = np.concatenate([y0, [y0[i] * y0[j] for (i, j) in basis], [1.0]])
        out, last_t = [], 0.0
        cache: dict[float, np.ndarray] = {}
        for t in times:
            dt = float(t - last_t)
            key = round(dt, 15)
            if key not in cache:
                cache[key] = expm(g * dt)
            z = cache[key] @ z
            last_t = float(t)
            m, s = self._unpack(z, basis)
            out.append(0.5 * float((np.asarray(self.a, float) * s).sum()))
        return np.array(out)

    def growth(self) -> float:
        """Largest real part of the generator's eigenvalues (``≥ 0``: the moments do not converge)."""
        if self.diagonal:
            return float(max(np.max(self.alpha), np.max(self.beta)))
        g, _ = self._generator()
        return float(np.max(np.linalg.eigvals(g[:-1, :-1]).real))

    def level(self) -> Any:
        """Stationary ``E f − f*`` from the continuous Lyapunov equation (``inf`` when divergent)."""
        if self.growth() >= 0:
            return math.inf
        if self.q.rational:
            return self.level_exact()
        if self.diagonal:
            m_inf = np.where(self.alpha != 0, -self.b0 / self.alpha, 0.0)
            s_inf = -(self.gamma * m_inf + self.d0) / self.beta
            return 0.5 * float((s_inf * np.asarray(self.a, dtype=float)).sum())
        g, basis = self._generator()
        z = np.linalg.solve(g[:-1, :-1], -g[:-1, -1])
        _, s = self._unpack(np.concatenate([z, [1.0]]), basis)
        return 0.5 * float((np.asarray(self.a, float) * s).sum())

    def level_exact(self) -> sp.Expr:
        """The level as an exact sympy number (diagonal Hessian, coefficients exact)."""
        if not self.diagonal:
            raise InvalidParameterError("the exact-fraction SDE level is implemented for diagonal Hessians")
        b0, b1, d0, d1, d2, c = (sp.nsimplify(v) for v in self.co.as_tuple())
        total = sp.Integer(0)
        for lam in self.a:
            lam = sp.nsimplify(lam)
            al = b1 * lam
            m_inf = -b0 / al if al != 0 else sp.Integer(0)
            s_inf = -((2 * b0 + d1 * lam) * m_inf + d0) / (2 * b1 * lam + (d2 + c) * lam**2)
            total += lam * s_inf / 2
        return sp.nsimplify(total)


def exact_sde(q: LinearQuadratic, co: SDECoefficients, eta: float, steps: int, points: int = 200,
              params: dict[str, Any] | None = None) -> ExactRun:
    """The SDE's exact ``E f(X_t) − f*`` at the optimizer's record times ``t = kη`` and its level."""
    steps = positive_int("steps", steps)
    t0 = time.perf_counter()
    eng = SDEMoments(q, co)
    rec = record_steps(steps, points)
    times = rec * float(eta)
    gaps = list(eng.gaps_at(times))
    lvl = eng.level()
    return ExactRun(method=f"sde:{co.name}", steps=rec, times=times, gaps=gaps, level=lvl, rho=eng.growth(),
                    rho_method="largest real part of the moment ODE's generator",
                    path="diagonal closed form" if eng.diagonal else "dense expm", rational=q.rational,
                    params=dict(params or {}), wall_time=time.perf_counter() - t0, continuous=True)
