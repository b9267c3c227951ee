r"""Which symbolic SDE and bound describe a simulation, with which parameter values.

This module translates a simulation setting (method, problem, noise, η, compressor) into the
symbols of :mod:`theorylab.symbolic` (``eta, L, mu, d, N, sigma, B, omega, nu, ell, R, gap0``)
and asks the symbolic layer for the SDE (:func:`theorylab.symbolic.get_sde`, then
``lambdify``) and the bound (:func:`theorylab.symbolic.get_bound`). No drift, diffusion or
bound formula is written here; only the *translation of the noise model*:

- Theorem 1/3 use the noise *variance*: ``σ²`` per sample for Gaussian noise and
  ``σ² ν/(ν − 2)`` (the Student-t variance, :meth:`Noise.variance_factor`) for t noise; with
  ``ν ≤ 2`` the variance is infinite and the DCSGD SDE and Theorem 3 do not apply.
- Per-agent ``σ_i``: Theorem 3's hypothesis ``Tr Σ_i ≤ dσ²`` for every ``i`` holds with
  ``σ = max σ_i``; Theorem 4 likewise with ``σ = max σ_i``. The SDEs take the per-agent
  values themselves.
- Per-agent ``ω_i``: Theorem 3 with ``ω`` read as the mean ``ϖ`` (docs/theory.md#sdes).
- Candidate B of ``ℓ_ν`` needs a radius ``R ≥ |Σ^{-1/2}∇f(X_t)|_∞`` along the trajectory;
  by default ``R = √B ‖∇f(x₀)‖_∞ / min σ_i`` (the starting point), stated in the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..errors import AssumptionError, InvalidParameterError
from .noise import Noise
from .problems import Problem

__all__ = ["BoundSetting", "sde_for", "sde_setting", "bound_for", "sde_name_for", "compressor_omegas"]


def compressor_omegas(comps: list[Any] | None, d: int) -> list[float]:
    """Declared ``ω`` of each agent's compressor (``0`` without compression)."""
    if comps is None:
        return []
    out = []
    for c in comps:
        if not hasattr(c, "unbiased"):
            raise InvalidParameterError(
                f"compressor {getattr(c, 'spec', c)!r}: unbiasedness not declared (no `unbiased` attribute): Theorems 1 "
                "and 3 need unbiased compressors in U(omega); measure it with `theorylab compressors check` and "
                "declare unbiased = True (and omega) if it passes")
        if not getattr(c, "unbiased", False):
            raise InvalidParameterError(
                f"compressor {getattr(c, 'spec', c)!r} is biased: Theorems 1 and 3 need unbiased compressors in U(omega)")
        out.append(float(c.omega(d)))
    return out


def _is_randk(c: Any) -> bool:
    return hasattr(c, "sample_support") and hasattr(c, "k")


def sde_name_for(method: str, noise: Noise, comps: list[Any] | None, exact: bool = True) -> str:
    """The name of the symbolic SDE of ``method`` (see :data:`theorylab.symbolic.SDE_NAMES`)."""
    if method == "dsgd":
        return "dsgd"
    if method == "dcsgd":
        if comps is None:
            raise InvalidParameterError("dcsgd needs a compressor")
        if not all(_is_randk(c) for c in comps):
            bad = sorted({getattr(c, "spec", repr(c)) for c in comps if not _is_randk(c)})
            raise InvalidParameterError(
                f"the symbolic DCSGD SDE (Theorem 1) is derived for Rand-k only; no SDE for {bad}")
        return "dcsgd" if exact else "dcsgd-diag"
    if method == "dsignsgd":
        return "dsignsgd-gauss" if noise.gaussian else "dsignsgd"
    raise InvalidParameterError(f"unknown method {method!r}")


def _sigma_eff(noise: Noise, n: int) -> np.ndarray:
    """Per-agent per-sample standard deviation ``σ_i √(Var T)`` (the SDEs' and Theorem 3's σ)."""
    vf = noise.variance_factor()
    if math.isinf(vf):
        raise AssumptionError("finite noise variance",
                              f"Student-t noise with nu = {noise.nu:g} <= 2 has infinite variance; Theorem 1 "
                              "(DCSGD SDE) and Theorem 3 need Tr Sigma_i < d sigma^2", noise.nu)
    return np.broadcast_to(np.asarray(noise.sigma, dtype=float), (n,)) * math.sqrt(vf)


def sde_for(method: str, problem: Problem, noise: Noise, eta: float, comps: list[Any] | None = None,
            backend: str = "numpy", exact: bool = True) -> Any:
    """The :class:`theorylab.symbolic.NumericSDE` of ``method`` in this setting (lambdified)."""
    sde, kw = sde_setting(method, problem, noise, eta, comps, exact)
    return sde.lambdify(backend, d=problem.d, **kw)


def sde_setting(method: str, problem: Problem, noise: Noise, eta: float, comps: list[Any] | None = None,
                exact: bool = True) -> tuple[Any, dict[str, Any]]:
    """The symbolic :class:`theorylab.symbolic.SDE` of ``method`` and the parameter values of this
    setting (by name, as :meth:`SDE.lambdify` takes them; ``d`` excluded)."""
    from ..symbolic import get_sde

    n, d = problem.n_agents, problem.d
    name = sde_name_for(method, noise, comps, exact)
    hetero = not noise.homogeneous or (comps is not None and len({float(c.omega(d)) for c in comps}) > 1)
    sde = get_sde(name, agents=n if hetero else None)
    kw: dict[str, Any] = {"eta": eta, "B": noise.batch}
    if not hetero:
        kw["N"] = n
    if method in ("dsgd", "dcsgd"):
        sig = _sigma_eff(noise, n)
        kw["sigma"] = list(sig) if hetero else float(sig[0])
        if method == "dcsgd":
            om = compressor_omegas(comps, d)
            kw["omega"] = om if hetero else om[0]
    else:
        kw["sigma"] = list(np.broadcast_to(np.asarray(noise.sigma, float), (n,))) if hetero else noise.sigma[0]
        if not noise.gaussian:
            kw["nu"] = noise.nu
    names = {str(s) for s in sde.parameters}
    kw = {k_: v for k_, v in kw.items() if k_ in names or any(s.startswith(k_ + "_") for s in names)}
    return sde, kw


@dataclass(frozen=True)
class BoundSetting:
    """A symbolic bound with the values of this simulation: ``level`` (t → ∞), ``curve(times)``.

    ``values`` are the symbol values used (by name); ``notes`` say how they were obtained.
    """

    bound: Any
    values: dict[str, float]
    level: float
    notes: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.bound.name

    def curve(self, times: np.ndarray) -> np.ndarray:
        """The bound at the SDE times ``times`` (the bound's expression, lambdified in ``t`` once)."""
        from ..symbolic import numeric_functions
        from ..symbolic.symbols import t as t_sym

        subs = {s: sp.Float(self.values[str(s)]) if math.isfinite(self.values[str(s)]) else sp.oo
                for s in self.bound.expr.free_symbols if str(s) in self.values}
        expr = self.bound.expr.subs(subs)
        fn = sp.lambdify([t_sym], expr, modules=[numeric_functions("numpy"), "numpy"])
        times = np.asarray(times, dtype=float)
        return np.broadcast_to(np.asarray(fn(times), dtype=float), times.shape).copy()

    def describe(self) -> dict[str, Any]:
        return {"name": self.bound.name, "title": self.bound.title, "source": self.bound.source,
                "ell": self.bound.ell_choice, "level": self.level, "values": self.values, "notes": list(self.notes)}


def bound_for(method: str, problem: Problem, noise: Noise, eta: float, comps: list[Any] | None = None,
              ell: str | None = "A", R: float | None = None) -> BoundSetting:
    """Theorem 3 (``dsgd`` with ω = 0, ``dcsgd``) or Theorem 4 (``dsignsgd``, candidate ``ell``).

    Raises :class:`~theorylab.errors.AssumptionError` naming the violated assumption
    (``"Delta > 0"`` when ``η ≥ 2μN/(L²ω)``; ``"finite noise variance"`` for ``ν ≤ 2`` under Theorem 3).
    """
    from ..symbolic import get_bound

    n, d = problem.n_agents, problem.d
    if getattr(problem, "heterogeneous", False) and method in ("dsgd", "dcsgd", "dsignsgd"):
        raise AssumptionError("homogeneous agents", f"{getattr(problem, 'spec', 'the problem')} has heterogeneous agents "
                              "(f_i != f), while Theorems 3 and 4 assume every agent samples the gradient of the same f "
                              "(the SDE's state is g = grad f)")
    gap0 = float(problem.gap(np.asarray(problem.x0, dtype=float)))
    values: dict[str, float] = {"eta": float(eta), "L": float(problem.L), "mu": float(problem.mu), "d": float(d),
                                "N": float(n), "B": float(noise.batch), "gap0": gap0}
    notes: list[str] = []
    if method in ("dsgd", "dcsgd"):
        bound = get_bound("dcsgd")
        sig = _sigma_eff(noise, n)
        values["sigma"] = float(np.max(sig))
        if not noise.gaussian:
            notes.append(f"sigma is the Student-t standard deviation sigma*sqrt(nu/(nu-2)) = {values['sigma']:.6g}")
        if not noise.homogeneous:
            notes.append("per-agent sigma_i: sigma = max_i sigma_i (Tr Sigma_i <= d sigma^2 for every agent)")
        om = compressor_omegas(comps, d) if method == "dcsgd" else [0.0]
        values["omega"] = float(np.mean(om))
        if len(set(om)) > 1:
            notes.append("per-agent omega_i: omega read as their mean varpi (docs/theory.md#sdes)")
    elif method == "dsignsgd":
        bound = get_bound("dsignsgd", ell=ell)
        sig = np.broadcast_to(np.asarray(noise.sigma, dtype=float), (n,))
        values["sigma"] = float(np.max(sig))
        values["nu"] = math.inf if noise.gaussian else float(noise.nu)
        if not noise.homogeneous:
            notes.append("per-agent sigma_i: sigma = max_i sigma_i")
        if ell is not None and str(ell).upper() == "B":
            if R is None:
                g0 = np.max(np.abs(problem.grad(np.asarray(problem.x0, dtype=float))))
                R = float(math.sqrt(noise.batch) * g0 / np.min(sig))
                notes.append(f"candidate B radius R = sqrt(B) |grad f(x0)|_inf / min sigma_i = {R:.6g} "
                             "(assumes the trajectory stays in that region)")
            values["R"] = float(R)
    else:
        raise InvalidParameterError(f"unknown method {method!r}")
    level = bound.evaluate_level(**values)  # checks every assumption (Delta > 0, ...)
    bound.evaluate(**{**values, "t": 0.0})
    return BoundSetting(bound, values, level, tuple(notes))


# Methods whose theory takes a contractive compressor C(delta): E||C(x) - x||^2 <= (1 - delta)||x||^2,
# delta in (0, 1] (error feedback: Seide et al. 2014; Richtarik, Sokolov, Fatkhullin 2021).
CONTRACTIVE_METHODS = ("ef14", "ef21")


def contraction_warnings(method: Any, comps: list[Any] | None, d: int) -> list[str]:
    """Warnings (before a run) for a method of :data:`CONTRACTIVE_METHODS` given a compressor that is
    not contractive: an unbiased ``C`` in ``U(omega)`` has ``E||C(x) - x||^2 = omega ||x||^2``, so it is
    contractive with ``delta = 1 - omega`` only when ``omega < 1`` (the scaled Rand-k: ``d/k < 2``)."""
    name = str(getattr(method, "name", method)).lower()
    if name not in CONTRACTIVE_METHODS or not comps:
        return []
    out: list[str] = []
    for c in {id(c): c for c in comps}.values():
        if not getattr(c, "unbiased", False) or not callable(getattr(c, "omega", None)):
            continue
        try:
            om = float(c.omega(d))
        except Exception:  # noqa: BLE001 - a compressor without a closed-form omega: nothing to say
            continue
        if om >= 1:
            spec = getattr(c, "spec", None) or type(c).__name__
            k = getattr(c, "k", None)
            alt = f"topk:k={k} or randk_unscaled:k={k}" if k else "a Top-k or an unscaled Rand-k"
            out.append(f"{name} needs a contractive compressor (E||C(x) - x||^2 <= (1 - delta)||x||^2, delta > 0); "
                       f"{spec} on d = {d} is unbiased with omega = {om:.4g}, so delta = 1 - omega = {1 - om:.4g} <= 0: "
                       f"expect divergence at every step size; use {alt}")
    return out
