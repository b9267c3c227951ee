r"""Weak-order check of a derived SDE against the method it was derived from.

For a one-step update (:mod:`theorylab.symbolic.update`) and its SDE
(:func:`theorylab.symbolic.derive.derive_sde`) on a diagonal quadratic ``f = ½ Σ λ_j x_j²``, at
several step sizes ``η`` (time ``t = kη``):

- **mean error** ``e₁(η) = |E f(x_K) − E f(X_T)|``, ``K = T/η``, from ``x₀``: the weak error of
  Theorem 1 (Li, Tai & E 2017), ``O(η)``; it tests the drift (any covariance of size ``O(η)``
  also passes it);
- **fluctuation error** ``e₂(η) = |L_method(η)/L_SDE(η) − 1|`` of the stationary levels
  ``L = lim E f − f*``: both are ``O(η)`` and agree to relative order ``η`` only when the SDE's
  covariance is ``η Cov[D]`` (a wrong second moment or a missing ``1/N`` leaves a relative error of
  order 1, so ``e₂`` stops shrinking).

Each error is fitted as ``C η^p`` (least squares on logs); the verdict is **holds** when both
slopes ``p ≥ 0.75`` (weak order 1) with every error resolved (above two standard errors),
**refuted** when the fluctuation slope is ``< 0.5`` with its errors resolved (the stationary
level of the SDE is not the method's to first order: a wrong drift or a wrong covariance), and
**inconclusive** otherwise (for instance a mean error whose leading coefficient changes sign in
the range of ``η``: not yet asymptotic).

Engines: ``"exact"`` where the method is linear (DSGD/DCSGD form: ``(1/N) Σ_i C_i(g + Z_i)`` with
linear-class compressors, independent or shared): the exact moment recursion
(:mod:`theorylab.simulate.exact`) for the method, the SDE's moment ODE for ``e₁`` and its
derived closed-form level for ``e₂`` (no sampling error). ``"mc"`` otherwise: the method is
sampled with the catalogue's compressors (:func:`theorylab.symbolic.update.sample_direction`),
the SDE by Euler–Maruyama (``h = η/substeps``) for ``e₁``; ``L_SDE`` is the derived closed form,
or the Fokker–Planck quadrature of a diagonal SDE; ``L_method`` is a time-and-path average after
a burn-in. Monte Carlo standard errors come from 20 independent batches of paths.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InvalidParameterError

__all__ = ["WeakOrderResult", "weak_order_check", "fit_slope"]

HOLDS_SLOPE = 0.75
REFUTE_SLOPE = 0.5


@dataclass
class WeakOrderResult:
    """Errors, fitted slopes and the verdict (see the module docstring)."""

    name: str
    engine: str
    etas: list[float]
    mean_errors: list[float]
    fluct_errors: list[float]
    mean_se: list[float]
    fluct_se: list[float]
    levels_method: list[float]
    levels_sde: list[float]
    mean_slope: float
    fluct_slope: float
    verdict: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        rows = "\n".join(
            f"  eta={e:<8.4g} |Ef_K - Ef(X_T)| = {m:.3e} (se {ms:.1e})   level method {lm:.5g}, SDE {ls:.5g}: "
            f"rel. diff {f:.3e} (se {fs:.1e})"
            for e, m, ms, lm, ls, f, fs in zip(self.etas, self.mean_errors, self.mean_se, self.levels_method,
                                              self.levels_sde, self.fluct_errors, self.fluct_se))
        return (f"weak order of the SDE of {self.name} ({self.engine}): {self.verdict}\n"
                f"  guarantee: first-order weak approximation (Li, Tai & E 2017; Compagnoni et al. 2025, Theorem 1): "
                f"errors O(eta), slope >= {HOLDS_SLOPE}\n"
                f"  measured slopes: mean {self.mean_slope:.2f}, stationary fluctuation {self.fluct_slope:.2f}\n" + rows)


def fit_slope(etas: Sequence[float], errs: Sequence[float]) -> float:
    """Least-squares slope of ``log err`` against ``log η`` (``nan`` when an error is 0)."""
    e = np.asarray(errs, dtype=float)
    if np.any(e <= 0) or not np.all(np.isfinite(e)):
        return math.nan
    return float(np.polyfit(np.log(np.asarray(etas, dtype=float)), np.log(e), 1)[0])


def _resolved(errs: Sequence[float], ses: Sequence[float]) -> bool:
    return all(e > 2 * s for e, s in zip(errs, ses))


def _verdict(mean_slope: float, fluct_slope: float, mean_ok: bool, fluct_ok: bool) -> str:
    """holds: both slopes >= 0.75, errors resolved; refuted: the stationary fluctuation error does not shrink
    (slope < 0.5, resolved): the level of the SDE is not the method's to first order, which a wrong drift or a
    wrong covariance both cause; inconclusive otherwise (e.g. a mean error not yet in its asymptotic regime)."""
    if fluct_ok and not math.isnan(fluct_slope) and fluct_slope < REFUTE_SLOPE:
        return "refuted"
    if mean_ok and fluct_ok and mean_slope >= HOLDS_SLOPE and fluct_slope >= HOLDS_SLOPE:
        return "holds"
    return "inconclusive"


# ----------------------------------------------------------------------------- helpers


def _sde_values(sde: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    names = {str(s) for s in sde.parameters}
    return {k: v for k, v in params.items() if k in names}


_LEVELS: dict[tuple[int, tuple[float, ...]], Any] = {}


def _sde_level(sde: Any, params: Mapping[str, Any], lams: Sequence[float]) -> float:
    """The SDE's stationary level: the derived closed form (Lyapunov), else Fokker-Planck quadrature."""
    from ..symbolic.consequences import stationary_level, stationary_level_numeric
    from ..symbolic.derive import NotDerivable

    key = (id(sde), tuple(float(v) for v in lams))
    if key not in _LEVELS or _LEVELS[key][0] is not sde:
        try:
            _LEVELS[key] = (sde, stationary_level(sde, [sp.nsimplify(v) for v in lams])[0])
        except NotDerivable:
            _LEVELS[key] = (sde, None)
    lvl = _LEVELS[key][1]
    if lvl is None:
        return stationary_level_numeric(sde, _sde_values(sde, params), lams)
    vals = {s: params[str(s)] for s in lvl.free_symbols if str(s) in params}
    out = lvl.subs(vals)
    if out.free_symbols:
        raise InvalidParameterError(f"give a value for {', '.join(sorted(map(str, out.free_symbols)))}")
    return float(out)


def _dcsgd_form(update: Any, params: Mapping[str, Any], dim: int) -> tuple[list[Any] | None, str, list[float]] | None:
    """``(compressors per agent or None, masks, noise variance per agent)`` when the update is
    ``(1/N) Σ_i C_i(g + Z_i)`` (or one machine), else None."""
    from ..symbolic import update as up

    def value(e: sp.Expr) -> float:
        return up._value(e, params, dim)

    def agent_term(b: Any) -> tuple[Any, bool, float] | None:
        model, shared = None, False
        if isinstance(b, up.Compress):
            if b.model.kind != "linear":
                return None
            model, shared, b = b.model, b.shared, b.arg
        if not isinstance(b, up.Lin):
            return None
        terms = b._lin().terms
        grads = [a for a, t in terms if isinstance(t, up.Grad)]
        noises = [(a, t) for a, t in terms if isinstance(t, up.Noise)]
        if len(grads) != 1 or sp.simplify(grads[0] - 1) != 0 or len(noises) != 1 or len(terms) != 2:
            return None
        a, z = noises[0]
        if z.cdf is not None:
            return None
        nu_v = math.inf if z.nu is sp.S.Infinity else value(z.nu)
        var = value(a**2 * z.scale**2) * (1.0 if math.isinf(nu_v) else nu_v / (nu_v - 2))
        comp = model.build(params, dim) if model is not None else None
        return comp, shared, var

    e = update.direction
    if isinstance(e, up.AgentMean):
        n = e.n if e.n is not None else int(value(sp.Symbol("N", positive=True, integer=True)))
        bodies = list(e.bodies) if e.n is not None else [e.bodies[0]] * n
        terms = [agent_term(b) for b in bodies]
    else:
        terms = [agent_term(e)]
    if any(t is None for t in terms):
        return None
    shared = {t[1] for t in terms}  # type: ignore[index]
    if len(shared) != 1:
        return None
    comps = [t[0] for t in terms]  # type: ignore[index]
    masks = "shared" if shared.pop() else "independent"
    return (None if all(c is None for c in comps) else comps), masks, [t[2] for t in terms]  # type: ignore[index]


# ----------------------------------------------------------------------------- engines


def _exact(update: Any, sde: Any, params: Mapping[str, Any], lams: np.ndarray, x0: np.ndarray,
           etas: Sequence[float], horizon: float, form: Any) -> tuple[list[float], ...]:
    from .exact import exact_dcsgd, linear_quadratic
    from .exact.sde import SDEMoments, sde_coefficients

    comps, masks, variances = form
    n = len(variances)
    q = linear_quadratic(np.tile(lams, (n, 1)), np.zeros((n, len(lams))), np.asarray(variances), x0=x0)
    q_star = linear_quadratic(np.tile(lams, (n, 1)), np.zeros((n, len(lams))), np.asarray(variances), x0=0.0)
    if comps is not None:
        comps = [c if c is not None else _identity() for c in comps]
    m_err, f_err, lm, ls = [], [], [], []
    for eta in etas:
        pars = {**params, "eta": eta}
        steps = max(1, int(round(horizon / eta)))
        run = exact_dcsgd(q, eta, steps, comps=comps, masks=masks, points=2)
        co = sde_coefficients(sde, _sde_values(sde, pars), len(lams))
        sde_gap = float(SDEMoments(q, co).gaps_at(np.array([steps * eta]))[0])
        m_err.append(abs(float(run.values[-1]) - sde_gap))
        lvl_m = float(exact_dcsgd(q_star, eta, 1, comps=comps, masks=masks, points=2).level)
        lvl_s = _sde_level(sde, pars, lams)
        lm.append(lvl_m)
        ls.append(lvl_s)
        f_err.append(abs(lvl_m / lvl_s - 1))
    return m_err, f_err, [0.0] * len(etas), [0.0] * len(etas), lm, ls


def _identity() -> Any:
    from ..compressors import Identity

    return Identity()


def _mc(update: Any, sde: Any, params: Mapping[str, Any], lams: np.ndarray, x0: np.ndarray,
        etas: Sequence[float], horizon: float, paths: int, substeps: int, level_horizon: float,
        level_window: float, seed: int, functions: Mapping[str, Any] | None) -> tuple[list[float], ...]:
    from ..symbolic.update import sample_direction

    rng = np.random.default_rng(seed)
    dim = len(lams)
    batches = 20
    m_err, f_err, m_se, f_se, lm, ls = [], [], [], [], [], []
    for eta in etas:
        pars = {**params, "eta": eta}
        steps = max(1, int(round(horizon / eta)))
        # method from x0
        x = np.tile(x0, (paths, 1))
        for _ in range(steps):
            x -= eta * sample_direction(update, lams * x, pars, rng)
        f_m = 0.5 * (lams * x * x).sum(axis=1)
        # SDE from x0, Euler-Maruyama
        num = sde.lambdify("numpy", functions=functions, d=dim, **_sde_values(sde, pars))
        h = eta / substeps
        y = np.tile(x0, (paths, 1))
        for _ in range(steps * substeps):
            g = lams * y
            y += num.drift(g) * h + num.diffuse(g, rng.standard_normal(y.shape) * math.sqrt(h))
        f_s = 0.5 * (lams * y * y).sum(axis=1)
        m_err.append(abs(f_m.mean() - f_s.mean()))
        m_se.append(math.sqrt(f_m.var() / paths + f_s.var() / paths))
        # stationary level of the method: from the optimum, burn-in, then time average, per batch of paths
        x = np.zeros((paths, dim))
        burn = int(round(level_horizon / eta))
        window = max(1, int(round(level_window / eta)))
        acc = np.zeros(paths)
        for kstep in range(burn + window):
            x -= eta * sample_direction(update, lams * x, pars, rng)
            if kstep >= burn:
                acc += 0.5 * (lams * x * x).sum(axis=1)
        per_batch = (acc / window).reshape(batches, -1).mean(axis=1)
        lvl_m = float(per_batch.mean())
        se_m = float(per_batch.std(ddof=1) / math.sqrt(batches))
        lvl_s = _sde_level(sde, pars, lams)
        lm.append(lvl_m)
        ls.append(lvl_s)
        f_err.append(abs(lvl_m / lvl_s - 1))
        f_se.append(se_m / lvl_s)
    return m_err, f_err, m_se, f_se, lm, ls


def weak_order_check(update: Any, params: Mapping[str, Any], eigenvalues: Sequence[float], *,
                     etas: Sequence[float], horizon: float = 1.0, x0: Any = 1.0, sde: Any = None,
                     engine: str = "auto", paths: int = 20000, substeps: int = 8, level_horizon: float | None = None,
                     level_window: float = 2.0, seed: int = 0,
                     functions: Mapping[str, Any] | None = None) -> WeakOrderResult:
    """Check that ``sde`` (default: ``derive_sde(update)``) is a weak approximation of order 1 of ``update``.

    ``params``: the symbols' values by name (without ``eta``); ``eigenvalues``: the diagonal Hessian;
    ``etas``: at least two step sizes; ``engine``: ``"exact"``, ``"mc"`` or ``"auto"`` (exact when the
    method is linear and the SDE polynomial). ``paths`` must be a multiple of 20 (batches).
    """
    from ..symbolic.derive import derive_sde

    if len(etas) < 2:
        raise InvalidParameterError("give at least two step sizes (etas) to fit a slope")
    if any(not (math.isfinite(e) and e > 0) for e in etas):
        raise InvalidParameterError(f"etas must be positive numbers, got {list(etas)}")
    lams = np.asarray(eigenvalues, dtype=float)
    if lams.ndim != 1 or np.any(lams <= 0):
        raise InvalidParameterError("eigenvalues must be a 1-d sequence of positive numbers (a diagonal Hessian)")
    x0a = np.broadcast_to(np.asarray(x0, dtype=float), lams.shape).copy()
    sde = sde if sde is not None else derive_sde(update)
    form = _dcsgd_form(update, params, len(lams)) if engine in ("auto", "exact") else None
    poly = True
    if form is not None:
        from ..symbolic.consequences import polynomial_coefficients
        from ..symbolic.derive import NotDerivable

        try:
            polynomial_coefficients(sde)
        except NotDerivable:
            poly = False
    if engine == "exact" and (form is None or not poly):
        raise InvalidParameterError("the exact engine needs a linear method ((1/N) sum_i C_i(g + Z_i), linear-class "
                                    "compressors) and a polynomial SDE; use engine='mc'")
    if engine not in ("auto", "exact", "mc"):
        raise InvalidParameterError(f"engine must be 'auto', 'exact' or 'mc', got {engine!r}")
    if form is not None and poly and engine != "mc":
        name = "exact"
        m_err, f_err, m_se, f_se, lm, ls = _exact(update, sde, params, lams, x0a, etas, horizon, form)
    else:
        if paths % 20:
            raise InvalidParameterError(f"paths must be a multiple of 20 (batches), got {paths}")
        name = "monte carlo"
        lh = level_horizon if level_horizon is not None else 8.0 / float(lams.min())
        m_err, f_err, m_se, f_se, lm, ls = _mc(update, sde, params, lams, x0a, etas, horizon, paths, substeps, lh,
                                               level_window, seed, functions)
    ms, fs = fit_slope(etas, m_err), fit_slope(etas, f_err)
    return WeakOrderResult(name=getattr(update, "name", "update"), engine=name, etas=[float(e) for e in etas],
                           mean_errors=m_err, fluct_errors=f_err, mean_se=m_se, fluct_se=f_se,
                           levels_method=lm, levels_sde=ls, mean_slope=ms, fluct_slope=fs,
                           verdict=_verdict(ms, fs, _resolved(m_err, m_se), _resolved(f_err, f_se)),
                           params={**{k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in params.items()},
                                   "eigenvalues": lams.tolist(), "horizon": horizon, "paths": paths, "seed": seed})
