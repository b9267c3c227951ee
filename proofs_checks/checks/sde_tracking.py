"""Theorems 1–2: the SDEs track DCSGD and DSignSGD (weak approximation, order 1 in η).

(DCSGD's check is in :mod:`proofs_checks.checks.sde_tracking_dcsgd`; the comparison is here.)

Source: Compagnoni et al. (2025), poster Theorems 1–2 ('Visual Intuition - SDEs do Track the Optimizers');
docs/theory.md#sdes: ``max_k |E g(x_k) − E g(X_{kη})| <= Cη``. The optimizers come from
:mod:`theorylab.simulate` (batched replicas × agents × d), the SDEs from
:mod:`theorylab.symbolic.sde` lambdified and integrated by
:func:`theorylab.simulate.sde.integrate` (Euler–Maruyama with substeps). Test function:
``g = f − f*``.

Claim decided here: for each of 20 time windows W, ``|avg_W E f(x_k) − avg_W E f(X_{kη})| <=
tol · max(avg_W E f(x_k), level)`` (window averages are weak test functionals with far less
noise than single times), with two-sample intervals (independent runs, Bonferroni over windows). The full
mode also measures the gap at η and η/2 and reports its order.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats

from theorylab.simulate import dsignsgd, gaussian, quadratic
from theorylab.symbolic.sde import dsignsgd_sde

from ..check import check
from theorylab.claims import Status, interval_status

from ..verdict import Verdict, holds, inconclusive, refuted

SRC = "Compagnoni et al. (2025), Theorems 1–2 (weak order 1); docs/theory.md#sdes"
D, N_AGENTS = 20, 4


def _compare(opt, sde, tol: float, floor: float, false_alarm: float, drift_bias: float = 0.0) -> dict:
    """Compare the window averages (block means over ``blocks`` time windows, per replica) of the
    two runs: ``(1/|W|)∫_W E f`` is a valid weak test functional and is much less noisy than single times."""
    ta, tb = opt.trajectory, sde.trajectory
    a = np.vstack([ta.values[:1], ta.block_means])
    b = np.vstack([tb.values[:1], tb.block_means])
    a = a[:, np.all(np.isfinite(a), axis=0)]
    b = b[:, np.all(np.isfinite(b), axis=0)]
    ma, mb = a.mean(axis=1), b.mean(axis=1)
    se = np.sqrt(a.var(axis=1, ddof=1) / a.shape[1] + b.var(axis=1, ddof=1) / b.shape[1])
    P = len(ma) - 1
    q = stats.norm.ppf(1 - false_alarm / (2 * P))
    diff = (ma - mb)[1:] + drift_bias
    half = q * se[1:]
    allowed = tol * np.maximum(np.maximum(ma[1:], mb[1:]), floor)
    lo, hi = diff - half, diff + half
    out_v = np.maximum(lo - allowed, -allowed - hi)  # > 0: the whole interval is outside [-allowed, allowed]
    i = int(np.argmax(out_v))
    per_window = [interval_status(lo[w], hi[w], low=-allowed[w], high=allowed[w]) for w in range(P)]
    rel = np.abs(diff) / np.maximum(np.maximum(ma[1:], mb[1:]), floor)
    j = int(np.argmax(rel))
    edges = ta.block_edges
    t = 0.5 * (edges[:-1] + edges[1:]) * (ta.times[-1] / ta.steps[-1])
    status = Status.REFUTED if Status.REFUTED in per_window else (
        Status.HOLDS if all(s is Status.HOLDS for s in per_window) else Status.INCONCLUSIVE)
    return {"status": status, "t_worst": float(t[i] if status is Status.REFUTED else t[j]), "max_rel_gap": float(rel[j]),
            "opt": float(ma[1:][j]), "sde": float(mb[1:][j]), "half": float(half[j]), "allowed": float(allowed[j]),
            "points": P, "t_max_rel": float(t[j]), "tol": tol}


def _verdict(claimed: str, res: dict, setting: str, false_alarm: float, extra: dict) -> Verdict:
    nums = {"max_rel_gap": res["max_rel_gap"], "at_t": res["t_max_rel"], "opt": res["opt"], "sde": res["sde"], **extra}
    found = (f"largest relative gap {res['max_rel_gap']:.3f} at t = {res['t_max_rel']:.3g} (optimizer {res['opt']:.4g}, "
             f"SDE {res['sde']:.4g}, ±{res['half']:.2g})")
    if res["status"] == "refuted":
        return refuted(claimed, found, counterexample={"t": res["t_worst"], "setting": setting, **nums}, numbers=nums)
    if res["status"] == "holds":
        return holds(claimed, found, confidence=1 - false_alarm, numbers=nums, notes=setting,
                     test="equivalence per time window, Bonferroni over windows", tolerance=res["tol"])
    return inconclusive(claimed, found, needs="more replicas/paths (difference interval wider than the tolerance)",
                        numbers=nums, notes=setting)


@check(
    id="poster.theorem2-sde-tracks-dsignsgd",
    source=SRC,
    statement="The DSignSGD SDE (Theorem 2, Student-t form) tracks DSignSGD: E f(x_k) and E f(X_kη) agree "
    "(window averages over 20 time windows)",
    expression="|mean_W E f(x_k) - mean_W E f(X_{k eta})| <= tol * mean_W E f(x_k) for each window W (Gaussian, Cauchy)",
    method="monte-carlo",
    cost=(6.0, 60.0),
)
def sde_tracks_dsignsgd(mode: str = "quick", *, tol: float = 0.1, drift_scale: float = 1.0, seed: int = 0,
                        false_alarm: float = 1e-3) -> Verdict:
    """``drift_scale`` multiplies the SDE's drift (a wrong SDE, e.g. 0.5, must be refuted)."""
    quick = mode == "quick"
    eta = 5e-3 if quick else 2e-3
    steps = int(3.0 / eta)
    reps = 150 if quick else 1000
    res_all = {}
    for label, nu in (("gaussian", math.inf), ("cauchy", 1.0)):
        prob = quadratic(D, N_AGENTS, 1.0, 1.0, x0=1.5)
        from theorylab.simulate import student_t
        from theorylab.simulate.sde import integrate

        noise = gaussian(1.0, 1) if math.isinf(nu) else student_t(nu, 1.0, 1)
        opt = dsignsgd(prob, noise, eta=eta, steps=steps, replicas=reps, seed=seed, points=60, blocks=20)
        sde_sym = dsignsgd_sde()
        if drift_scale != 1.0:
            sde_sym = dataclasses.replace(sde_sym, drift=drift_scale * sde_sym.drift)
        num = sde_sym.lambdify(eta=eta, N=N_AGENTS, sigma=1.0, B=1, nu=nu)
        sde = integrate(num, prob, eta=eta, steps=steps, paths=reps, substeps=2, seed=seed + 1, points=60, blocks=20)
        level = eta * D / (4 * N_AGENTS)  # order of the plateau, a floor for the relative tolerance
        res_all[label] = _compare(opt, sde, tol, level, false_alarm / 2)
    worst = max(res_all.items(), key=lambda kv: ({"refuted": 2, "inconclusive": 1, "holds": 0}[kv[1]["status"]],
                                                 kv[1]["max_rel_gap"]))
    setting = (f"isotropic quadratic d={D}, N={N_AGENTS}, σ=1, x0=1.5·1, η={eta}, {steps} steps, {reps} replicas and "
               f"paths, Euler with 2 substeps, seed {seed}; worst noise: {worst[0]}")
    claimed = f"E f(x_k) = E f(X_kη) within ±{tol:.0%} (drift × {drift_scale:g})"
    extra = {f"{k}_max_rel_gap": v["max_rel_gap"] for k, v in res_all.items()}
    return _verdict(claimed, worst[1], setting, false_alarm, extra)
