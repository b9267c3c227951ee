"""The measured effect of the scaling rules (poster 'Scaling Laws'), by Monte Carlo.

Source: Compagnoni et al. (2025), poster 'Scaling Laws'; docs/theory.md#scaling-rules. The simulations come from :mod:`theorylab.simulate`
(batched DSGD, DCSGD with the catalogue's Rand-k, DSignSGD); levels are stationary estimates
with intervals; a rule "keeps the level" when the ratio to the reference level lies within a
stated tolerance at the stated confidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from theorylab.simulate import dcsgd, dsgd, dsignsgd, gaussian, quadratic, stationary_level
from theorylab.symbolic.symbols import beta, omega

from ..check import check
from theorylab.claims import within

from ..claims import parse
from ..verdict import Verdict, combine, holds, inconclusive, refuted

SRC = "Compagnoni et al. (2025), poster 'Scaling Laws: Preserving Performance'"


def _level(run, conf):
    return stationary_level(run.trajectory, burn_in=0.3, confidence=conf)


def _ratio_verdict(name: str, est, ref, tol: float) -> tuple[str, float, float, float]:
    """Ratio est/ref with a conservative interval from the two intervals (independent runs)."""
    r = est.value / ref.value
    lo = est.lower / ref.upper
    hi = est.upper / ref.lower
    return within(1.0, rtol=tol).status(lo, hi).value, r, lo, hi


@check(
    id="poster.scaling-rules-measured",
    source=SRC + " (measured effect); docs/theory.md#scaling-rules",
    statement="Scaled by a rule, DCSGD reaches DSGD(η, B, N)'s stationary level (within ±10 %), while the unscaled "
    "compressed method does not; DSignSGD scaled by κ = α√δ keeps its level, a change breaking the rule does not",
    expression="level(scaled)/level(reference) in [0.9, 1.1]; level(unscaled)/level(reference) outside",
    method="monte-carlo",
    cost=(12.0, 120.0),
)
def scaling_rules_measured(mode: str = "quick", *, alpha_rule: sp.Expr | str = 1 + beta * omega, tol: float = 0.1,
                           seed: int = 0, false_alarm: float = 1e-3,
                           methods: tuple[str, ...] = ("dcsgd", "dsignsgd")) -> Verdict:
    """Rows measured: α = 1 + βω (agents, β = 1) and δ = 1 + βω (batch) for DCSGD with Rand-5 (ω = 3);
    (2η, 4B, N) for DSignSGD. ``alpha_rule`` can be replaced to feed a wrong rule (e.g. ``beta*omega``);
    ``methods`` restricts the run to one method's rules."""
    quick = mode == "quick"
    d, n, eta, k = 20, 4, 0.01, 5
    w = d / k - 1
    steps, reps = (1500, 200) if quick else (8000, 1000)
    conf = 1 - false_alarm / 8
    # start near the reference level (f(x0) = ηdσ²/(4N)) to shorten the burn-in
    p = lambda agents, x0=(2 * eta * d / (4 * n) / d) ** 0.5: quadratic(d, agents, 1.0, 1.0, x0=x0)  # noqa: E731
    noise = lambda b: gaussian(1.0, b)  # noqa: E731
    parts: dict[str, Verdict] = {}
    nums: dict[str, float] = {}
    if "dcsgd" in methods:
        _dcsgd_rows(parts, nums, p, noise, alpha_rule, tol, conf, d, n, eta, k, w, steps, reps, seed, false_alarm)
    if "dsignsgd" in methods:
        _dsignsgd_rows(parts, nums, p, noise, tol, conf, d, n, quick, seed, false_alarm)
    if not parts:
        raise ValueError(f"methods must name 'dcsgd' and/or 'dsignsgd', got {methods!r}")
    import dataclasses

    v = combine("scaling rules keep the level; breaking them does not", parts,
                notes=f"isotropic quadratic d={d}, N={n}, σ=1, Gaussian, DCSGD Rand-{k} (ω={w:g}) η={eta}, {steps} steps, "
                f"{reps} replicas; DSignSGD η=1e-3; ratio intervals combine the two {conf:.5f} intervals.")
    return dataclasses.replace(v, numbers=nums)


def _dcsgd_rows(parts: dict[str, Verdict], nums: dict[str, float], p: Callable, noise: Callable, alpha_rule: Any,
                tol: float, conf: float, d: int, n: int, eta: float, k: int, w: float, steps: int, reps: int, seed: int,
                false_alarm: float) -> None:
    """DCSGD rows (α = rule, δ = 1 + βω) and the unscaled contrast, against DSGD(η, B, N)."""
    ref = _level(dsgd(p(n), noise(1), eta=eta, steps=steps, replicas=reps, seed=seed), conf)
    a = float(parse(alpha_rule).subs({beta: 1, omega: w}))
    if a * n != round(a * n) or a <= 0:
        parts[f"α = {alpha_rule}"] = refuted(f"α = {alpha_rule}", f"α·N = {a * n} is not a positive whole number of agents",
                                             counterexample={"alpha": a, "N": n})
        return
    runs = {
        f"DCSGD N→{int(round(a * n))} (α = {alpha_rule})": dcsgd(p(int(round(a * n))), noise(1), f"randk:k={k}", eta=eta,
                                                               steps=steps, replicas=reps, seed=seed + 1),
        f"DCSGD B→{int(1 + w)} (δ = 1+βω)": dcsgd(p(n), noise(int(1 + w)), f"randk:k={k}", eta=eta, steps=steps,
                                                  replicas=reps, seed=seed + 2),
    }
    unscaled = _level(dcsgd(p(n), noise(1), f"randk:k={k}", eta=eta, steps=steps, replicas=reps, seed=seed + 3), conf)
    nums["ref_DSGD"] = ref.value
    for name, run in runs.items():
        est = _level(run, conf)
        st, r, lo, hi = _ratio_verdict(name, est, ref, tol)
        nums[name.split(" (")[0]] = r
        txt = f"level {est.value:.5g} vs DSGD {ref.value:.5g}: ratio {r:.3f} [{lo:.3f}, {hi:.3f}]"
        parts[name] = (holds(name, txt, confidence=1 - false_alarm, test="equivalence", tolerance=tol) if st == "holds" else
                       refuted(name, txt, counterexample={"ratio": r, "interval": [lo, hi], "tol": tol}) if st == "refuted"
                       else inconclusive(name, txt, needs="more replicas"))
    st, r, lo, hi = _ratio_verdict("unscaled", unscaled, ref, tol)
    nums["DCSGD unscaled"] = r
    parts["unscaled differs"] = (holds("unscaled differs", f"unscaled ratio {r:.3f} [{lo:.3f}, {hi:.3f}] outside ±{tol:.0%}",
                                       confidence=1 - false_alarm, test="outside band", tolerance=tol) if st == "refuted" else
                                 refuted("unscaled differs", f"unscaled ratio {r:.3f} within tolerance",
                                         counterexample={"ratio": r}) if st == "holds" else
                                 inconclusive("unscaled differs", f"ratio {r:.3f}", needs="more replicas"))


def _dsignsgd_rows(parts: dict[str, Verdict], nums: dict[str, float], p: Callable, noise: Callable, tol: float,
                   conf: float, d: int, n: int, quick: bool, seed: int, false_alarm: float) -> None:
    """DSignSGD: κ = α√δ kept by (2η, 4B, N), broken by (η, 4B, N)."""
    # reference (η, B, N) vs (2η, 4B, N) (κ = 2 = α√δ, keeps the level) and (η, 4B, N) (κ = 1 ≠ α√δ = 2)
    eta_s = 1e-3
    s_steps, s_reps = (3000, 500) if quick else (20000, 2000)
    xs0 = (2 * eta_s * d / (4 * n) / 0.8 / d) ** 0.5  # f(x0) ≈ Theorem 4's level (ℓ ≈ 0.8)
    sref = _level(dsignsgd(p(n, xs0), noise(1), eta=eta_s, steps=s_steps, replicas=s_reps, seed=seed + 4), conf)
    sok = _level(dsignsgd(p(n, xs0), noise(4), eta=2 * eta_s, steps=s_steps // 2, replicas=s_reps, seed=seed + 5), conf)
    sbad = _level(dsignsgd(p(n, xs0), noise(4), eta=eta_s, steps=s_steps, replicas=s_reps, seed=seed + 6), conf)
    for name, est, expect_same in (("DSignSGD (2η, 4B, N)", sok, True), ("DSignSGD (η, 4B, N) breaks rule", sbad, False)):
        st, r, lo, hi = _ratio_verdict(name, est, sref, tol)
        nums[name] = r
        good = (st == "holds") if expect_same else (st == "refuted")
        bad = (st == "refuted") if expect_same else (st == "holds")
        txt = f"ratio {r:.3f} [{lo:.3f}, {hi:.3f}] to DSignSGD(η, B, N)"
        parts[name] = (holds(name, txt, confidence=1 - false_alarm, test="equivalence" if expect_same else "outside band",
                             tolerance=tol) if good else
                       refuted(name, txt, counterexample={"ratio": r, "interval": [lo, hi]}) if bad else
                       inconclusive(name, txt, needs="more replicas"))
