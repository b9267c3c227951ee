"""DCSGD's sensitivity and DSignSGD's robustness to heavy-tailed noise (poster contribution 2).

Source: Compagnoni et al. (2025), poster ('DCSGD is highly sensitive to heavy-tailed noise, while DSignSGD is
robust'); docs/theory.md#heavy-tails. Noise ``Z = σ t_ν`` per coordinate (variance ``σ²ν/(ν−2)``, infinite
for ``ν <= 2``). Predictions from the bounds (:func:`theorylab.symbolic.get_bound`):

- DCSGD (Theorem 3) with the variance ``σ²ν/(ν−2)``: level ∝ ``ν/(ν−2)``, → ∞ as ν → 2⁺,
  and ∝ σ²;
- DSignSGD (Theorem 4, ℓ = 2M_ν): level ∝ ``1/M_ν`` — finite for every ν > 0, Cauchy
  included — and ∝ σ.

Measured with :mod:`theorylab.simulate` on the isotropic quadratic (d = 20, N = 4).
"""

from __future__ import annotations

import math

import sympy as sp

from theorylab.simulate import dcsgd, dsgd, dsignsgd, gaussian, quadratic, stationary_level, student_t
from theorylab.symbolic import get_bound
from theorylab.symbolic.symbols import Delta
from theorylab.symbolic.symbols import nu as nu_s
from theorylab.symbolic.symbols import sigma as sigma_s
from theorylab.symbolic.xi import m_numeric

from ..check import check
from theorylab.claims import upper_bound, within

from ..verdict import Verdict, combine, holds, inconclusive, proved, refuted

SRC = "Compagnoni et al. (2025), poster 'Contributions' 2 and 'Noise Resilience'; docs/theory.md#heavy-tails"

D, N_AGENTS = 20, 4


def _noise(nu: float, sigma: float):
    return gaussian(sigma, 1) if math.isinf(nu) else student_t(nu, sigma, 1)


def _predicted_level(method: str, nu: float, sigma: float, eta: float) -> float:
    """The bound's level (Theorem 3 with the t variance; Theorem 4 with ℓ = 2M_ν), used only to start
    the runs near stationarity (x0 with f(x0) = predicted level) and so shorten the burn-in."""
    vals = {"eta": eta, "L": 1, "mu": 1, "d": D, "N": N_AGENTS, "B": 1}
    if method == "dsignsgd":
        return get_bound("dsignsgd", ell="A").evaluate_level(**vals, sigma=sigma, nu=nu)
    var = sigma**2 * (nu / (nu - 2) if math.isfinite(nu) else 1.0)
    w = 3.0 if method == "dcsgd" else 0.0
    return get_bound("dcsgd").evaluate_level(**vals, sigma=math.sqrt(var), omega=w)


def _run(method: str, nu: float, sigma: float, eta: float, steps: int, reps: int, seed: int, conf: float):
    x0 = math.sqrt(2.0 * _predicted_level(method, nu, sigma, eta) / D)
    prob = quadratic(D, N_AGENTS, 1.0, 1.0, x0=x0)
    kw = dict(eta=eta, steps=steps, replicas=reps, seed=seed)
    if method == "dcsgd":
        run = dcsgd(prob, _noise(nu, sigma), "randk:k=5", **kw)
    elif method == "dsgd":
        run = dsgd(prob, _noise(nu, sigma), **kw)
    else:
        run = dsignsgd(prob, _noise(nu, sigma), **kw)
    return stationary_level(run.trajectory, burn_in=0.3, confidence=conf)


def _ratio_ci(a, b) -> tuple[float, float, float]:
    return a.value / b.value, a.lower / b.upper, a.upper / b.lower


@check(
    id="poster.heavy-tails",
    source=SRC,
    statement="DCSGD's stationary level grows like ν/(ν−2) (→ ∞ as ν → 2) and like σ²; DSignSGD's stays within a "
    "factor max_ratio of its Gaussian level for every ν (Cauchy included) and grows like σ",
    expression="level_dcsgd(nu)/level_dcsgd(oo) = nu/(nu-2); level_dsign(nu)/level_dsign(oo) = M_oo/M_nu <= max_ratio; "
    "slopes d log level/d log sigma = 2 (DCSGD), 1 (DSignSGD)",
    method="monte-carlo",
    cost=(15.0, 150.0),
)
def heavy_tails(mode: str = "quick", *, method: str = "dcsgd", max_ratio: float = 2.0, tol: float = 0.15,
                sigma_slopes: tuple[float, float] = (2.0, 1.0), slope_tol: float = 0.25, seed: int = 0,
                false_alarm: float = 1e-3, sections: tuple[str, ...] = ("dcsgd", "dsignsgd", "sigma")) -> Verdict:
    """``sections`` restricts the run (ν sweep of DCSGD, ν sweep of DSignSGD, σ slopes)."""
    quick = mode == "quick"
    eta_c, eta_s = 0.01, 2e-3
    steps_c, steps_s, reps = (1200, 1500, 100) if quick else (6000, 8000, 500)
    nus_c = (3.0, 5.0) if quick else (3.0, 4.0, 8.0, 64.0)
    nus_s = (1.0, 2.0, 3.0) if quick else (1.0, 2.0, 3.0, 8.0, 64.0)
    sigmas = (1.0, 3.0)
    n_cmp = len(nus_c) + len(nus_s) + 2 * len(sigmas)
    conf = 1 - false_alarm / (2 * n_cmp)
    parts: dict[str, Verdict] = {}
    nums: dict[str, float] = {}
    # symbolic: Theorem 3's level with the t variance diverges as nu -> 2+
    dpos = sp.Symbol("Delta_pos", positive=True)
    lvl3 = get_bound("dcsgd").level_display.subs(Delta, dpos).subs(sigma_s**2, sigma_s**2 * nu_s / (nu_s - 2))
    lim = sp.limit(lvl3.subs(sigma_s, sp.Symbol("sigma", positive=True)), nu_s, 2, "+")  # σ > 0
    parts["Thm 3 level → ∞ as ν → 2⁺"] = (proved("DCSGD level diverges as ν → 2⁺", f"limit = {lim}") if lim == sp.oo else
                                          refuted("DCSGD level diverges as ν → 2⁺", f"limit = {lim}",
                                                  counterexample={"limit": str(lim)}))
    if "dcsgd" in sections:
        ref_c = _run(method, math.inf, 1.0, eta_c, steps_c, reps, seed, conf)
        for i, nu in enumerate(nus_c):
            est = _run(method, nu, 1.0, eta_c, steps_c, reps, seed + 10 + i, conf)
            r, lo, hi = _ratio_ci(est, ref_c)
            pred = nu / (nu - 2)
            key = f"{method} ν={nu:g}: ratio ≈ ν/(ν−2) = {pred:.3g}"
            nums[f"{method}_ratio_nu{nu:g}"] = r
            txt = f"ratio {r:.3f} [{lo:.3f}, {hi:.3f}]"
            st = within(pred, rtol=tol).status(lo, hi)
            if st == "holds":
                parts[key] = holds(key, txt, confidence=conf, test="equivalence", tolerance=tol)
            elif st == "refuted":
                parts[key] = refuted(key, txt, counterexample={"nu": nu, "ratio": r, "interval": [lo, hi], "predicted": pred})
            else:
                parts[key] = inconclusive(key, txt, needs="more replicas")
    if "dsignsgd" in sections:
        ref_s = _run("dsignsgd", math.inf, 1.0, eta_s, steps_s, reps, seed + 20, conf)
        for i, nu in enumerate(nus_s):
            est = _run("dsignsgd", nu, 1.0, eta_s, steps_s, reps, seed + 30 + i, conf)
            r, lo, hi = _ratio_ci(est, ref_s)
            pred = m_numeric(math.inf) / m_numeric(nu)
            key = f"DSignSGD ν={nu:g}: ratio <= {max_ratio:g}"
            nums[f"dsign_ratio_nu{nu:g}"] = r
            txt = f"ratio {r:.3f} [{lo:.3f}, {hi:.3f}] (candidate-A prediction M_∞/M_ν = {pred:.3f})"
            st = upper_bound(max_ratio).status(lo, hi)
            parts[key] = (holds(key, txt, confidence=conf, test="one-sided") if st == "holds" else
                          refuted(key, txt, counterexample={"nu": nu, "ratio": r, "interval": [lo, hi]}) if st == "refuted"
                          else inconclusive(key, txt, needs="more replicas"))
    if "sigma" in sections:
        # sigma scaling: slope of log level vs log sigma between sigma = 1 and 3 (Gaussian)
        for (m_, eta, steps, want) in ((method, eta_c, steps_c, sigma_slopes[0]),
                                       ("dsignsgd", eta_s / 2, 2 * steps_s, sigma_slopes[1])):
            lo_e = _run(m_, math.inf, sigmas[0], eta, steps, reps, seed + 40, conf)
            hi_e = _run(m_, math.inf, sigmas[1], eta, steps, reps, seed + 41, conf)
            span = math.log(sigmas[1] / sigmas[0])
            s = math.log(hi_e.value / lo_e.value) / span
            s_lo = math.log(hi_e.lower / lo_e.upper) / span
            s_hi = math.log(hi_e.upper / lo_e.lower) / span
            key = f"{m_} level ∝ σ^{want:g}"
            nums[f"{m_}_sigma_slope"] = s
            txt = f"slope {s:.3f} [{s_lo:.3f}, {s_hi:.3f}]"
            st = within(want, atol=slope_tol).status(s_lo, s_hi)
            parts[key] = (holds(key, txt, confidence=conf, test="equivalence", tolerance=slope_tol) if st == "holds"
                          else refuted(key, txt, counterexample={"slope": s, "interval": [s_lo, s_hi], "claimed": want})
                          if st == "refuted" else inconclusive(key, txt, needs="more replicas"))
    import dataclasses

    v = combine("heavy tails: DCSGD sensitive, DSignSGD robust", parts,
                notes=f"{method}{' Rand-5' if method == 'dcsgd' else ' (DCSGD with ω = 0)'} η={eta_c}, DSignSGD η={eta_s}; "
                f"{reps} replicas; Bonferroni over {n_cmp} "
                "comparisons; ratios combine two independent intervals conservatively. For ν <= 2 DCSGD's expected loss is "
                "infinite (noise variance infinite), so it is not simulated as a level.")
    return dataclasses.replace(v, numbers=nums)

