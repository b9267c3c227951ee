r"""Weak-order check of a derived SDE against the method it was derived from.

For a one-step update (:mod:`theorylab.symbolic.update`) and its SDE
(:func:`theorylab.symbolic.derive.derive_sde`) on a diagonal quadratic ``f = ½ Σ λ_j x_j²``, at
several step sizes ``η`` (time ``t = kη``):

- **mean** ``|E f(x_K) − E f(X_T)|``, ``K = T/η``, from ``x₀``: the weak error of Theorem 1
  (Li, Tai & E 2017), ``O(η)``; it tests the drift (a covariance of size ``O(η)``, right or
  wrong, also passes it);
- **fluctuation** ``|V_method/V_SDE − 1|`` with ``V = E f − f(E x) = ½ Σ λ_j Var x_j`` at ``T``:
  ``V = O(η)`` for both, and they agree to relative order ``η`` only when the SDE's covariance is
  ``η Cov[D]`` (a wrong second moment, a dropped rank-one term or a missing ``1/N`` leaves a
  relative error of order 1: the statistic stops shrinking);
- **level** ``|L_method/L_SDE − 1|`` for the stationary levels ``L = lim E f − f*`` (left out
  when the level is 0): tests the noise at the optimum and the drift near it.

Each error is fitted as ``C η^p`` (least squares on logs). A statistic is *resolved* when every
error exceeds two standard errors. The verdict is **holds** when every resolved slope is
``p ≥ 0.75`` (weak order 1), the unresolved statistics are within noise (below three standard
errors) and the fluctuation or the level statistic is resolved; **refuted** when a resolved
fluctuation or level slope is ``< 0.5`` (the error does not shrink: a wrong covariance, or at
stationarity a wrong drift); **inconclusive** otherwise (for instance a mean error whose leading
coefficient changes sign in the range of ``η``: not yet asymptotic). With the exact engine there is
no sampling error (every error is resolved). With Monte Carlo the verdict is a rule on fitted slopes,
not a calibrated test: "resolved" (each error above 2 standard errors, about 2.5% one-sided per
error under a normal approximation) keeps noise from deciding it, but no family-wise false-alarm
rate is claimed; the errors, their standard errors and the slopes are reported so a reader can judge.

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

import dataclasses
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


STATISTICS = ("mean", "fluctuation", "level")


@dataclass
class WeakOrderResult:
    """Errors, fitted slopes and the verdict (see the module docstring).

    ``errors[name]``/``se[name]``/``slopes[name]`` for ``name`` in :data:`STATISTICS`:
    ``mean`` = ``|E f(x_K) − E f(X_T)|``; ``fluctuation`` = ``|V_method/V_SDE − 1|`` with
    ``V = E f − f(E x)`` at ``T`` (the covariance part of ``E f``); ``level`` = ``|L_method/L_SDE − 1|``
    for the stationary levels (left out when the level is 0).
    """

    name: str
    engine: str
    etas: list[float]
    errors: dict[str, list[float]]
    se: dict[str, list[float]]
    slopes: dict[str, float]
    levels_method: list[float]
    levels_sde: list[float]
    verdict: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        lines = [f"weak order of the SDE of {self.name} ({self.engine}): {self.verdict}",
                 "  guarantee: first-order weak approximation (Li, Tai & E 2017; Compagnoni et al. 2025, Theorem 1): "
                 f"errors O(eta), slope >= {HOLDS_SLOPE}",
                 "  measured slopes: " + ", ".join(f"{k} {v:.2f}" for k, v in self.slopes.items())]
        for i, e in enumerate(self.etas):
            cols = "  ".join(f"{k} {self.errors[k][i]:.3e} (se {self.se[k][i]:.1e})" for k in self.errors)
            lines.append(f"  eta={e:<8.4g} {cols}  levels: method {self.levels_method[i]:.5g}, "
                         f"SDE {self.levels_sde[i]:.5g}")
        return "\n".join(lines)


def fit_slope(etas: Sequence[float], errs: Sequence[float]) -> float:
    """Least-squares slope of ``log err`` against ``log η`` (``nan`` when an error is 0)."""
    e = np.asarray(errs, dtype=float)
    if np.any(e <= 0) or not np.all(np.isfinite(e)):
        return math.nan
    return float(np.polyfit(np.log(np.asarray(etas, dtype=float)), np.log(e), 1)[0])


def _resolved(errs: Sequence[float], ses: Sequence[float]) -> bool:
    return all(e > 2 * s_ for e, s_ in zip(errs, ses))


def _verdict(errors: Mapping[str, Sequence[float]], se: Mapping[str, Sequence[float]],
             slopes: Mapping[str, float]) -> str:
    """A statistic is *resolved* when every error exceeds 2 se, *within noise* when every error is below 3 se.

    refuted: a resolved fluctuation or level statistic with slope < 0.5 (the SDE's covariance, or at
    stationarity its drift, is not the method's to first order); holds: every resolved statistic has
    slope >= 0.75, the others are within noise, and the fluctuation or the level is resolved (so the
    covariance was tested); inconclusive otherwise (e.g. a mean error not yet in its asymptotic regime)."""
    res = {k: _resolved(errors[k], se[k]) and not math.isnan(slopes[k]) for k in errors}
    noise = {k: all(e < 3 * s_ for e, s_ in zip(errors[k], se[k])) for k in errors}
    if any(res[k] and slopes[k] < REFUTE_SLOPE for k in errors if k != "mean"):
        return "refuted"
    if (all((res[k] and slopes[k] >= HOLDS_SLOPE) or (not res[k] and noise[k]) for k in errors)
            and any(res.get(k, False) for k in ("fluctuation", "level"))):
        return "holds"
    return "inconclusive"


# ----------------------------------------------------------------------------- helpers


def _sde_values(sde: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    names = {str(s) for s in sde.parameters}
    return {k: v for k, v in params.items() if k in names}


_LEVELS: dict[tuple[int, tuple[float, ...]], Any] = {}


def _sde_level(sde: Any, params: Mapping[str, Any], lams: Any) -> float:
    """The SDE's stationary level: the derived closed form (Lyapunov), else Fokker-Planck quadrature."""
    from ..symbolic.consequences import stationary_level, stationary_level_numeric
    from ..symbolic.derive import NotDerivable

    key = (id(sde), tuple(float(v) for v in lams))
    if key not in _LEVELS or _LEVELS[key][0] is not sde:
        fixed = {s_: sp.nsimplify(params[str(s_)]) for s_ in sde.parameters if str(s_) in params and str(s_) != "eta"}
        try:  # the numbers first: the per-coordinate solve is then quick
            fixed_sde = dataclasses.replace(sde, drift=sde.drift.xreplace(fixed), cov_diag=sde.cov_diag.xreplace(fixed),
                                            cov_outer=sde.cov_outer.xreplace(fixed))
            _LEVELS[key] = (sde, stationary_level(fixed_sde, [sp.nsimplify(v) for v in lams])[0])
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
        comp = model.build(params, dim) if (model is not None and model.build is not None) else None
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
           etas: Sequence[float], horizon: float, form: Any) -> dict[str, Any]:
    from .exact import exact_dcsgd, linear_quadratic
    from .exact.moments import linear_moments
    from .exact.sde import SDECoefficients, SDEMoments, sde_coefficients

    comps, masks, variances = form
    n, dim = len(variances), len(lams)
    hess, opt = np.tile(lams, (n, 1)), np.zeros((n, dim))
    q = linear_quadratic(hess, opt, np.asarray(variances), x0=x0)
    q_det = linear_quadratic(hess, opt, 0.0, x0=x0)
    q_star = linear_quadratic(hess, opt, np.asarray(variances), x0=0.0)
    if comps is not None:
        comps = [c if c is not None else _identity() for c in comps]
        means = {float(linear_moments(c, dim).mean) for c in comps}
        if len(means) != 1:
            raise InvalidParameterError("the exact weak-order check needs compressors with one common mean E D_j")
        a = means.pop()
    else:
        a = 1.0
    out: dict[str, Any] = {k: [] for k in ("mean", "fluctuation", "level", "lm", "ls")}
    for eta in etas:
        pars = {**params, "eta": eta}
        steps = max(1, int(round(horizon / eta)))
        t_end = np.array([steps * eta])
        ef_m = float(exact_dcsgd(q, eta, steps, comps=comps, masks=masks, points=2).values[-1])
        fm_m = float(exact_dcsgd(q_det, a * eta, steps, points=2).values[-1])  # f(E x_K): GD with step a eta
        co = sde_coefficients(sde, _sde_values(sde, pars), dim)
        ef_s = float(SDEMoments(q, co).gaps_at(t_end)[0])
        fm_s = float(SDEMoments(q, SDECoefficients(co.b0, co.b1, 0.0, 0.0, 0.0, 0.0, "mean")).gaps_at(t_end)[0])
        out["mean"].append(abs(ef_m - ef_s))
        out["fluctuation"].append(abs((ef_m - fm_m) / (ef_s - fm_s) - 1))
        lvl_m = float(exact_dcsgd(q_star, eta, 1, comps=comps, masks=masks, points=2).level)
        lvl_s = _sde_level(sde, pars, lams)
        out["lm"].append(lvl_m)
        out["ls"].append(lvl_s)
        out["level"].append(abs(lvl_m / lvl_s - 1) if lvl_s > 0 else math.nan)
    out["se"] = {k: [0.0] * len(etas) for k in STATISTICS}
    return out


def _identity() -> Any:
    from ..compressors import Identity

    return Identity()


def _batched(values: np.ndarray, batches: int) -> tuple[float, float]:
    per = values.reshape(batches, -1).mean(axis=1)
    return float(per.mean()), float(per.std(ddof=1) / math.sqrt(batches))


def _fluct(x: np.ndarray, lams: np.ndarray, batches: int) -> np.ndarray:
    """Per batch: ``½ Σ λ_j Var(x_j)`` (the covariance part of ``E f``)."""
    xb = x.reshape(batches, -1, x.shape[-1])
    return 0.5 * (lams * xb.var(axis=1, ddof=1)).sum(axis=-1)


def _mc(update: Any, sde: Any, params: Mapping[str, Any], lams: np.ndarray, x0: np.ndarray,
        etas: Sequence[float], horizon: float, paths: int, substeps: int, level_horizon: float,
        level_window: float, seed: int, functions: Mapping[str, Any] | None) -> dict[str, Any]:
    from ..symbolic.update import sample_direction

    rng = np.random.default_rng(seed)
    dim = len(lams)
    batches = 20
    out: dict[str, Any] = {k: [] for k in ("mean", "fluctuation", "level", "lm", "ls")}
    se: dict[str, list[float]] = {k: [] for k in STATISTICS}

    def method_step(x: np.ndarray, eta: float, pars: Mapping[str, Any]) -> None:
        x -= eta * sample_direction(update, lams * x, pars, rng)

    for eta in etas:
        pars = {**params, "eta": eta}
        steps = max(1, int(round(horizon / eta)))
        num = sde.lambdify("numpy", functions=functions, d=dim, **_sde_values(sde, pars))
        h = eta / substeps

        def sde_step(y: np.ndarray) -> None:
            g = lams * y
            y += num.drift(g) * h + num.diffuse(g, rng.standard_normal(y.shape) * math.sqrt(h))

        x = np.tile(x0, (paths, 1))
        for _ in range(steps):
            method_step(x, eta, pars)
        y = np.tile(x0, (paths, 1))
        for _ in range(steps * substeps):
            sde_step(y)
        f_m, f_s = 0.5 * (lams * x * x).sum(axis=1), 0.5 * (lams * y * y).sum(axis=1)
        out["mean"].append(abs(f_m.mean() - f_s.mean()))
        se["mean"].append(math.sqrt(f_m.var() / paths + f_s.var() / paths))
        v_m, v_s = _fluct(x, lams, batches), _fluct(y, lams, batches)
        ratio = v_m / v_s.mean()
        out["fluctuation"].append(abs(v_m.mean() / v_s.mean() - 1))
        se["fluctuation"].append(float(math.hypot(ratio.std(ddof=1), (v_s / v_s.mean()).std(ddof=1)
                                                  * ratio.mean()) / math.sqrt(batches)))
        # stationary level of the method: from the optimum, burn-in, then a time average, per batch of paths
        burn, window = int(round(level_horizon / eta)), max(1, int(round(level_window / eta)))
        x = np.zeros((paths, dim))
        acc = np.zeros(paths)
        for kstep in range(burn + window):
            method_step(x, eta, pars)
            if kstep >= burn:
                acc += 0.5 * (lams * x * x).sum(axis=1)
        lvl_m, se_m = _batched(acc / window, batches)
        try:
            lvl_s, se_s = _sde_level(sde, pars, lams), 0.0
        except Exception:  # noqa: BLE001 - no closed form and no quadrature: the SDE's own long run
            y = np.zeros((paths, dim))
            acc = np.zeros(paths)
            for kstep in range((burn + window) * substeps):
                sde_step(y)
                if kstep >= burn * substeps and (kstep + 1) % substeps == 0:
                    acc += 0.5 * (lams * y * y).sum(axis=1)
            lvl_s, se_s = _batched(acc / window, batches)
        out["lm"].append(lvl_m)
        out["ls"].append(lvl_s)
        out["level"].append(abs(lvl_m / lvl_s - 1) if lvl_s > 0 else math.nan)
        se["level"].append(math.hypot(se_m, se_s * lvl_m / lvl_s) / lvl_s if lvl_s > 0 else math.nan)
    out["se"] = se
    return out


def weak_order_check(update: Any, params: Mapping[str, Any], eigenvalues: Sequence[float], *,
                     etas: Sequence[float], horizon: float = 1.0, x0: Any = 1.0, sde: Any = None,
                     engine: str = "auto", paths: int = 20000, substeps: int = 8, level_horizon: float | None = None,
                     level_window: float = 2.0, seed: int = 0,
                     functions: Mapping[str, Any] | None = None) -> WeakOrderResult:
    """Check that ``sde`` (default: ``derive_sde(update)``) is a weak approximation of order 1 of ``update``.

    ``params``: the symbols' values by name (without ``eta``); ``eigenvalues``: the diagonal Hessian;
    ``etas``: at least two step sizes; ``x0``: the start of the transient runs (the level runs start at
    the optimum); ``engine``: ``"exact"``, ``"mc"`` or ``"auto"`` (exact when the method is linear and
    the SDE polynomial). ``paths`` must be a multiple of 20 (batches).
    """
    from ..symbolic.consequences import polynomial_coefficients
    from ..symbolic.derive import NotDerivable, derive_sde

    if engine not in ("auto", "exact", "mc"):
        raise InvalidParameterError(f"engine must be 'auto', 'exact' or 'mc', got {engine!r}")
    if len(etas) < 2:
        raise InvalidParameterError("give at least two step sizes (etas) to fit a slope")
    if any(not (math.isfinite(e) and e > 0) for e in etas):
        raise InvalidParameterError(f"etas must be positive numbers, got {list(etas)}")
    lams = np.asarray(eigenvalues, dtype=float)
    if lams.ndim != 1 or np.any(lams <= 0):
        raise InvalidParameterError("eigenvalues must be a 1-d sequence of positive numbers (a diagonal Hessian)")
    x0a = np.broadcast_to(np.asarray(x0, dtype=float), lams.shape).copy()
    sde = sde if sde is not None else derive_sde(update)
    form = _dcsgd_form(update, params, len(lams)) if engine != "mc" else None
    if form is not None:
        try:
            polynomial_coefficients(sde)
        except NotDerivable:
            form = None
    if engine == "exact" and form is None:
        raise InvalidParameterError("the exact engine needs a linear method ((1/N) sum_i C_i(g + Z_i), linear-class "
                                    "compressors) and a polynomial SDE; use engine='mc'")
    if form is not None:
        name = "exact"
        out = _exact(update, sde, params, lams, x0a, etas, horizon, form)
    else:
        if paths % 20:
            raise InvalidParameterError(f"paths must be a multiple of 20 (batches), got {paths}")
        name = "monte carlo"
        lh = level_horizon if level_horizon is not None else 8.0 / float(lams.min())
        with np.errstate(invalid="ignore", divide="ignore"):  # numpy evaluates every Piecewise branch (QSGD at g = 0)
            out = _mc(update, sde, params, lams, x0a, etas, horizon, paths, substeps, lh, level_window, seed,
                      functions)
    keys = [k for k in STATISTICS if not any(math.isnan(v) for v in out[k])]
    errors = {k: [float(v) for v in out[k]] for k in keys}
    ses = {k: [float(v) for v in out["se"][k]] for k in keys}
    slopes = {k: fit_slope(etas, errors[k]) for k in keys}
    return WeakOrderResult(name=getattr(update, "name", "update"), engine=name, etas=[float(e) for e in etas],
                           errors=errors, se=ses, slopes=slopes, levels_method=out["lm"], levels_sde=out["ls"],
                           verdict=_verdict(errors, ses, slopes),
                           params={**{k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in params.items()},
                                   "eigenvalues": lams.tolist(), "horizon": horizon, "paths": paths, "seed": seed})
