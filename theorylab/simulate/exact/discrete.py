r"""Exact first and second moments of DSGD and DCSGD on a quadratic (no sampling).

One step (Compagnoni et al. 2025, DCSGD; DSGD is ``C = I``), in the centred coordinate
``y = x − x*`` of :mod:`.model`:

.. math::

    y_{k+1} = y_k - \eta\, g_k, \qquad g_k = \frac1N \sum_i D_i (H_i y_k + b_i + Z_i),

with ``C_i(v) = D_i v`` (:mod:`.moments`), ``D_i`` independent across agents (``masks="independent"``)
or one ``D`` for every agent (``masks="shared"``, equal compressors), independent of ``y_k`` and
of the noise. Write ``a_i = E D_i``, ``P_i = E[D_i 1 1ᵀ D_i]`` (so ``P_i ∘ X = off_i X +
(diag_i − off_i) Diag X``), ``u_i = H_i y + b_i``, ``Ĥ = (1/N) Σ a_i H_i`` and ``b̂ = (1/N) Σ a_i b_i``.

- Mean: ``m' = m − η (Ĥ m + b̂)``.
- Independent masks: ``E[g gᵀ | y] = (1/N²) Σ_i (P_i ∘ (u_i u_iᵀ + Σ_i) − a_i² u_i u_iᵀ) +
  (Ĥ y + b̂)(Ĥ y + b̂)ᵀ`` (the cross terms ``i ≠ l`` factor because the masks and noises are
  independent).
- Shared mask: ``g = D w``, ``w = (1/N) Σ_i (u_i + Z_i)``, so ``E[g gᵀ | y] = P ∘ E[w wᵀ | y]`` with
  ``Cov(w | y) = (1/N²) Σ_i Σ_i``.
- Second moment: ``S' = S − η (S Ĥ + Ĥ S + m b̂ᵀ + b̂ mᵀ) + η² E[g gᵀ]``, where every
  ``E[u_i u_iᵀ] = H_i S H_i + H_i m b_iᵀ + b_i mᵀ H_i + b_i b_iᵀ``.

This is an affine map of ``(m, S)``; ``E f(x_k) − f* = ½ tr(H̄ S_k)``. Its linear part is
block-triangular (``m`` does not see ``S``), so the moments converge iff its spectral radius
``ρ = max(ρ(I − ηĤ), ρ(S ↦ lin(S)))`` is ``< 1``; the engine reports ``ρ`` and calls the run
divergent when ``ρ ≥ 1`` (no stationary level). The stationary level solves the discrete
(generalised) Lyapunov equation ``S = lin(S) + K`` at ``m* = −Ĥ⁻¹ b̂``.

Structure: with diagonal Hessians and covariances the diagonal of ``S`` evolves on its own (the
masks' off-diagonal moments only reach off-diagonal entries), coordinate by coordinate, so a
step costs ``O(N d)`` and the level has a closed form per coordinate. Full matrices cost
``O(N d³)`` per step (matrix products); the level comes from one linear solve on the
``d(d+1)/2`` symmetric entries for ``d ≤ 40`` (and the exact ρ from the eigenvalues of that
map), from a preconditioned Krylov solve beyond (Stein's equation solved in the eigenbasis of
``I − ηĤ`` as the preconditioner; ρ by power iteration).

Rational mode runs the same formulas on ``fractions.Fraction`` object arrays: every number is
exact, and the level is an exact rational (the verdict of a comparison is then "proved").
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from ...errors import InvalidParameterError, positive_int
from ..progress import check_deadline
from ..record import record_steps
from .model import LinearQuadratic
from .moments import linear_moments
from .result import ExactRun

__all__ = ["DiscreteMoments", "exact_dcsgd", "symbolic_level", "DENSE_EXPLICIT_MAX_D", "MASKS"]

MASKS = ("independent", "shared")
DENSE_EXPLICIT_MAX_D = 40


def _num(v: sp.Expr, rational: bool) -> Any:
    if rational:
        p, q = sp.fraction(sp.nsimplify(v))
        return Fraction(int(p), int(q))
    return float(v)


def _eta(eta: Any, rational: bool) -> Any:
    if isinstance(eta, sp.Basic) and not eta.is_number:
        if not rational:
            raise InvalidParameterError("a symbolic step size needs rational mode (exact inputs)")
        return eta
    if rational:
        return Fraction(str(eta)) if not isinstance(eta, Fraction) else eta
    if not (isinstance(eta, (int, float, np.floating, Fraction)) and math.isfinite(float(eta)) and float(eta) > 0):
        raise InvalidParameterError(f"learning rate eta must be a finite number > 0, got {eta!r}")
    return float(eta)


class DiscreteMoments:
    """The affine moment map of DCSGD (DSGD with ``comps=None``) on a :class:`LinearQuadratic`.

    ``comps``: ``None`` or one compressor per agent (linear class, :func:`linear_moments`);
    ``masks``: ``"independent"`` or ``"shared"``.
    """

    def __init__(self, q: LinearQuadratic, eta: Any, comps: list[Any] | None = None,
                 masks: str = "independent") -> None:
        if masks not in MASKS:
            raise InvalidParameterError(f"masks must be one of {MASKS}, got {masks!r}")
        if not q.diagonal:
            q = q.full()
        self.q, self.rational = q, q.rational
        self.eta = _eta(eta, self.rational)
        n, d = q.n_agents, q.d
        comps = [None] * n if comps is None else list(comps)
        if len(comps) != n:
            raise InvalidParameterError(f"got {len(comps)} compressors for {n} agents")
        if masks == "shared" and len({getattr(c, "spec", id(c)) for c in comps}) > 1:
            raise InvalidParameterError("a shared mask needs the same compressor on every agent")
        mom = [linear_moments(c, d) for c in comps]
        r = self.rational
        self.a = np.array([_num(m.mean, r) for m in mom], dtype=object if r else float)
        self.pd = np.array([_num(m.diag, r) for m in mom], dtype=object if r else float)
        self.po = np.array([_num(m.off, r) for m in mom], dtype=object if r else float)
        self.masks = masks
        self.moments = mom
        self.diagonal = q.diagonal
        h, b = q.hessians, q.tilts
        self.same_h = bool(np.all(h == h[:1]))
        w = self.a / n
        if self.diagonal:
            self.hhat = (w[:, None] * h).sum(axis=0)
        else:
            self.hhat = (w[:, None, None] * h).sum(axis=0)
        self.bhat = (w[:, None] * b).sum(axis=0)
        if self.diagonal:
            self._diag_coefficients()

    # ------------------------------------------------------------------ diagonal (O(N d))
    def _diag_coefficients(self) -> None:
        """Per coordinate: ``m' = αm m + βm``, ``q' = αq q + γ m + βq`` (``q = E y_j²``)."""
        q, eta, n = self.q, self.eta, self.q.n_agents
        h, b, v = q.hessians, q.tilts, q.noise
        a, pd = self.a[:, None], self.pd[:, None]
        hh, bh = self.hhat, self.bhat
        if self.masks == "independent":
            c = pd - a * a
            a2 = (c * h * h).sum(axis=0) / n**2 + hh * hh
            a1 = 2 * (c * h * b).sum(axis=0) / n**2 + 2 * hh * bh
            a0 = (c * b * b + pd * v).sum(axis=0) / n**2 + bh * bh
        else:
            hb, bb = h.sum(axis=0) / n, b.sum(axis=0) / n
            p = self.pd[0]
            a2, a1, a0 = p * hb * hb, 2 * p * hb * bb, p * (bb * bb + v.sum(axis=0) / n**2)
        self.am = 1 - eta * hh
        self.bm = -eta * bh
        self.aq = 1 - 2 * eta * hh + eta * eta * a2
        self.gq = -2 * eta * bh + eta * eta * a1
        self.bq = eta * eta * a0

    # ------------------------------------------------------------------ dense (O(N d³))
    def _agent_sum(self, coef: np.ndarray, s: np.ndarray, m: np.ndarray, with_s: bool = True) -> np.ndarray:
        """``Σ_i coef_i E[u_i u_iᵀ]`` (the ``H_i S H_i`` part only when ``with_s``)."""
        h, b = self.q.hessians, self.q.tilts
        if self.same_h:
            hm = h[0] @ m
            cb = (coef[:, None] * b).sum(axis=0)
            out = np.multiply.outer(hm, cb)
            out = out + out.T + (coef[:, None, None] * b[:, :, None] * b[:, None, :]).sum(axis=0)
            if with_s:
                out = out + coef.sum() * (h[0] @ s @ h[0])
            return out
        out = None
        for i in range(h.shape[0]):
            hm = h[i] @ m
            t = np.multiply.outer(hm, b[i])
            u = t + t.T + np.multiply.outer(b[i], b[i])
            if with_s:
                u = u + h[i] @ s @ h[i]
            out = coef[i] * u if out is None else out + coef[i] * u
        return out

    def step_dense(self, m: np.ndarray, s: np.ndarray, with_s: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """One step of the affine map on ``(m, S)`` (``with_s=False`` drops the terms linear in ``S``)."""
        q, eta, n = self.q, self.eta, self.q.n_agents
        hh, bh = self.hhat, self.bhat
        t = np.multiply.outer(hh @ m, bh)
        if self.masks == "independent":
            c_off = self.po - self.a * self.a
            c_dg = self.pd - self.po
            x_off = self._agent_sum(c_off, s, m, with_s)
            x_dg = self._agent_sum(c_dg, s, m, with_s)
            noise_off = (self.po[:, None, None] * q.noise).sum(axis=0)
            noise_dg = (c_dg[:, None, None] * q.noise).sum(axis=0)
            e = (x_off + noise_off) / n**2
            e = e + _diagonal_part(x_dg + noise_dg) / n**2
            e = e + t + t.T + np.multiply.outer(bh, bh)
            if with_s:
                e = e + hh @ s @ hh
        else:
            hb = q.hessians.sum(axis=0) / n
            bb = q.tilts.sum(axis=0) / n
            tw = np.multiply.outer(hb @ m, bb)
            w = tw + tw.T + np.multiply.outer(bb, bb) + q.noise.sum(axis=0) / n**2
            if with_s:
                w = w + hb @ s @ hb
            p = self.po[0] * w
            e = p + (self.pd[0] - self.po[0]) * _diagonal_part(w)
        mb = np.multiply.outer(m, bh)
        s_new = -eta * (mb + mb.T) + eta * eta * e
        if with_s:
            s_new = s_new + s - eta * (s @ hh + hh @ s)
        return m - eta * (hh @ m + bh), s_new

    # ------------------------------------------------------------------ state and evolution
    def initial(self) -> tuple[np.ndarray, np.ndarray]:
        y0 = self.q.y0
        if self.diagonal:
            return y0.copy(), y0 * y0
        return y0.copy(), np.multiply.outer(y0, y0)

    def step(self, m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.diagonal:
            return self.am * m + self.bm, self.aq * s + self.gq * m + self.bq
        return self.step_dense(m, s)

    def gap(self, m: np.ndarray, s: np.ndarray) -> Any:
        return self.q.gap_of(m, s)

    def stationary_mean(self) -> np.ndarray:
        """``m* = −Ĥ⁻¹ b̂`` (zero for homogeneous agents)."""
        if self.diagonal:
            return self.bm / (1 - self.am)
        if self.rational:
            hm = sp.Matrix(self.hhat.tolist())
            sol = hm.LUsolve(sp.Matrix(list(-self.bhat)))
            return np.array([_num(v, True) for v in sol], dtype=object)
        return np.linalg.solve(self.hhat, -self.bhat)

    # ------------------------------------------------------------------ spectral radius and level
    def spectral_radius(self) -> tuple[Any, str]:
        """``ρ`` of the linear part of the moment map and how it was computed (cached)."""
        if not hasattr(self, "_rho"):
            self._rho = self._spectral_radius()
        return self._rho

    def _spectral_radius(self) -> tuple[Any, str]:
        if self.diagonal:
            vals = np.concatenate([np.abs(self.am), np.abs(self.aq)])
            return max(vals), "closed form per coordinate"
        if self.q.d <= DENSE_EXPLICIT_MAX_D:
            lin = self._explicit_linear_map(rational=False).astype(float)
            fm = np.eye(self.q.d) - float(self.eta) * self.hhat.astype(float)
            rho = max(float(np.max(np.abs(np.linalg.eigvals(lin)))), float(np.max(np.abs(np.linalg.eigvalsh(fm)))))
            return rho, "eigenvalues of the moment map"
        return self._power_rho(), "power iteration on the positive moment map (estimate)"

    def _basis(self) -> list[tuple[int, int]]:
        d = self.q.d
        return [(i, j) for i in range(d) for j in range(i, d)]

    def _explicit_linear_map(self, rational: bool) -> Any:
        """The matrix of ``S ↦ lin(S)`` on the symmetric entries ``(i ≤ j)``."""
        d = self.q.d
        basis = self._basis()
        zero_m = _zeros((d,), self.rational)
        cols = []
        _, const = self.step_dense(zero_m, _zeros((d, d), self.rational), with_s=False)
        for (i, j) in basis:
            e = _zeros((d, d), self.rational)
            e[i, j] = e[j, i] = 1
            _, out = self.step_dense(zero_m, e)
            out = out - const
            cols.append([out[a, b] for (a, b) in basis])
        mat = np.array(cols, dtype=object if self.rational else float).T
        if not self.rational:
            # sym-basis matrix has the same spectrum as the map on symmetric matrices
            return mat.astype(float)
        return mat

    def _power_rho(self, iters: int = 1000, rtol: float = 1e-9) -> float:
        """Power iteration from ``I`` (the map is positive: it sends PSD matrices to PSD matrices, so by
        Krein–Rutman ``ρ`` is attained on the PSD cone and the trace ratio converges to it from below
        for the Perron direction); stops when successive ratios agree to ``rtol``."""
        d = self.q.d
        s = np.eye(d)
        zero = np.zeros(d)
        _, k0 = self.step_dense(zero, s * 0, with_s=False)
        rho = 0.0
        for _ in range(iters):
            _, t = self.step_dense(zero, s)
            t = t - k0
            nrm = float(np.trace(t))
            new = nrm / float(np.trace(s))
            s = t / nrm
            if abs(new - rho) <= rtol * abs(new):
                rho = new
                break
            rho = new
        fm = np.eye(d) - self.eta * self.hhat
        return max(rho, float(np.max(np.abs(np.linalg.eigvalsh(fm)))))

    def stationary_second(self) -> Any:
        """``S*`` (diagonal ``(d,)`` or ``(d, d)``); raises nothing: call only when ``ρ < 1``."""
        mstar = self.stationary_mean()
        if self.diagonal:
            return (self.gq * mstar + self.bq) / (1 - self.aq)
        d = self.q.d
        _, k = self.step_dense(mstar, _zeros((d, d), self.rational), with_s=False)
        if self.rational or d <= DENSE_EXPLICIT_MAX_D:
            basis = self._basis()
            lin = self._explicit_linear_map(self.rational)
            rhs = [k[i, j] for (i, j) in basis]
            if self.rational:
                a = sp.eye(len(basis)) - sp.Matrix(lin.tolist())
                sol: Any = [_num(v, True) for v in a.LUsolve(sp.Matrix(rhs))]
            else:
                sol = np.linalg.solve(np.eye(len(basis)) - lin, np.array(rhs, dtype=float))
            out = _zeros((d, d), self.rational)
            for (i, j), v in zip(basis, sol):
                out[i, j] = out[j, i] = v
            return out
        return self._krylov_level(mstar, k)

    def _krylov_level(self, mstar: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Solve ``S = F S F + R(S) + K`` by GMRES preconditioned with Stein's equation
        ``S = F S F + Y`` (solved in the eigenbasis of the symmetric ``F = I − ηĤ``)."""
        from scipy.sparse.linalg import LinearOperator, gmres

        d = self.q.d
        f = np.eye(d) - self.eta * self.hhat
        fv, vec = np.linalg.eigh((f + f.T) / 2)
        denom = 1 - np.multiply.outer(fv, fv)

        def stein(y: np.ndarray) -> np.ndarray:
            yt = vec.T @ y @ vec
            return vec @ (yt / denom) @ vec.T

        zero = np.zeros(d)
        _, k0 = self.step_dense(zero, np.zeros((d, d)), with_s=False)

        def rest(s: np.ndarray) -> np.ndarray:  # lin(S) − F S F
            _, t = self.step_dense(zero, s)
            return t - k0 - f @ s @ f

        def op(v: np.ndarray) -> np.ndarray:
            s = v.reshape(d, d)
            return (s - stein(rest(s))).ravel()

        rhs = stein(k).ravel()
        sol, info = gmres(LinearOperator((d * d, d * d), matvec=op), rhs, rtol=1e-13, atol=0.0, restart=60,
                          maxiter=50)
        if info != 0:
            raise InvalidParameterError(f"the Krylov solve for the stationary second moment did not converge "
                                        f"(info {info}); the moment map may be close to divergence")
        s = sol.reshape(d, d)
        return (s + s.T) / 2

    def level(self) -> Any:
        """Stationary ``E f − f*`` (``inf`` when ``ρ ≥ 1``).

        Large dense case (``d > 40``): the Krylov solution ``S*`` of ``S = lin(S) + K`` is itself the
        certificate when ``K ≻ 0`` and ``S* ≻ 0``: for a positive map, ``X ≻ 0`` with ``X − lin(X) ≻ 0``
        exists iff ``ρ(lin) < 1`` (with ``ρ(I − ηĤ) < 1`` for the mean); otherwise ``ρ`` decides."""
        if not self.diagonal and self.q.d > DENSE_EXPLICIT_MAX_D and not self.rational:
            f = np.eye(self.q.d) - self.eta * self.hhat
            if float(np.max(np.abs(np.linalg.eigvalsh((f + f.T) / 2)))) < 1:
                mstar = self.stationary_mean()
                _, k = self.step_dense(mstar, np.zeros((self.q.d, self.q.d)), with_s=False)
                try:
                    sstar = self._krylov_level(mstar, k)
                except InvalidParameterError:
                    sstar = None
                if sstar is not None and np.linalg.eigvalsh(k).min() > 0 and np.linalg.eigvalsh(sstar).min() > 0:
                    self._certified = True
                    return self.gap(mstar, sstar)
        rho, _ = self.spectral_radius()
        if rho >= 1:
            return math.inf
        return self.gap(self.stationary_mean(), self.stationary_second())


def _zeros(shape: tuple[int, ...], rational: bool) -> np.ndarray:
    if not rational:
        return np.zeros(shape)
    out = np.empty(shape, dtype=object)
    out[...] = Fraction(0)
    return out


def _diagonal_part(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    if x.dtype == object:
        out[...] = Fraction(0)  # int 0 would turn into a float under true division
    idx = np.diag_indices(x.shape[0])
    out[idx] = x[idx]
    return out


def exact_dcsgd(q: LinearQuadratic, eta: Any, steps: int, *, comps: list[Any] | None = None,
                masks: str = "independent", points: int = 200, method: str | None = None,
                params: dict[str, Any] | None = None) -> ExactRun:
    """Propagate the exact moments for ``steps`` steps and solve for the stationary level.

    Returns an :class:`ExactRun`: ``E f(x_k) − f*`` at ``≤ points`` record steps (the grid of
    the Monte Carlo engine), the stationary level, the spectral radius ``ρ`` and ``diverged = ρ ≥ 1``.
    """
    steps = positive_int("steps", steps)
    t0 = time.perf_counter()
    eng = DiscreteMoments(q, eta, comps, masks)
    rec = record_steps(steps, points)
    m, s = eng.initial()
    gaps = [eng.gap(m, s)]
    nxt = 1
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            check_deadline()  # a sweep cell's timeout (no-op otherwise)
            m, s = eng.step(m, s)
            if nxt < len(rec) and k == rec[nxt]:
                gaps.append(eng.gap(m, s))
                nxt += 1
    rho, how = eng.spectral_radius()
    level = eng.level()
    name = method or ("dsgd" if comps is None else "dcsgd")
    return ExactRun(method=name, steps=rec, times=rec * float(eng.eta), gaps=gaps, level=level, rho=rho,
                    rho_method=how, path="diagonal O(Nd)" if eng.diagonal else "dense",
                    rational=q.rational, params=dict(params or {}), wall_time=time.perf_counter() - t0,
                    f_star=q.f_star)


def symbolic_level(q: LinearQuadratic, eta: sp.Symbol, comps: list[Any] | None = None,
                   masks: str = "independent") -> sp.Expr:
    """The stationary ``E f − f*`` as an exact rational function of a symbolic step size ``eta``
    (rational mode, diagonal path): valid for the ``eta`` at which the moments converge
    (``0 < eta`` below the smallest root of ``1 − αq(eta)``; the caller states the range)."""
    if not (q.rational and q.diagonal):
        raise InvalidParameterError("symbolic_level needs a rational setting with diagonal Hessians")
    eng = DiscreteMoments(q, eta, comps, masks)
    return sp.factor(sp.together(sp.sympify(eng.gap(eng.stationary_mean(), eng.stationary_second()))))  # safe: exact numbers computed here
