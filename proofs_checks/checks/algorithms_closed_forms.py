"""Closed forms of the field's algorithms on quadratics, checked against theorylab.simulate.algorithms.

Every check runs the library's own algorithm (the batched ``step`` a user runs) and compares it
with a closed form derived here in exact arithmetic where the run is deterministic (σ = 0):

- ``algorithms.fedavg-fixed-point``: FedAvg/Local SGD with K local GD steps on
  ``f_i = ½(x − c_i)ᵀH_i(x − c_i)`` has the fixed point ``x̂_K`` solving
  ``Σ_i (I − (I − γH_i)^K)(x̂ − c_i) = 0``; ``x̂_K = x*`` only for K = 1 or identical Hessians and the
  bias grows with K (McMahan et al. 2017; Karimireddy et al. 2020, §3 "client drift"; lecture slide
  "Local SGD v.s. Scaffold"). Exact: sympy rationals for x̂_K, one exact round of the update rule;
  the library's FedAvg round map (measured from its ``step``) has the same fixed point.
- ``algorithms.scaffold-linear-rate``: SCAFFOLD (option II) converges to x* at a linear rate for
  every K (Karimireddy et al. 2020, Theorem III): the round map's fixed point is x* and its spectral
  radius is < 1.
- ``algorithms.fedavg-m-limit``: FedAvg-M's limit tends to x* as β → 0 (Cheng et al., ICLR 2024).
- ``algorithms.gossip-steady-state``: gossip SGD (CTA) on ``f_i = ½‖x − c_i‖²`` has the steady state
  ``X∞ = γ((1+γ)I − W)⁻¹C`` (exact); its consensus error grows like ``(1 − ρ)^{-2}`` as the spectral
  gap shrinks, for ``γ ≪ 1 − ρ`` (slope −2 of log consensus against log(1 − ρ); Koloskova et al.
  2020; lecture "Decentralized SGD").
- ``algorithms.dcsgd-floor-diana-ef21``: with heterogeneous agents and no noise, DCSGD (Rand-k) has
  the floor ``E[f − f*] = γωB/(2N(2 − γ − γω/N))`` (linear in γω to leading order,
  ``B = (1/N)Σ‖c_i − c̄‖²``), while DIANA and EF21 converge to x* (Mishchenko et al. 2019;
  Richtárik et al. 2021).
- ``algorithms.independent-masks-save-bits``: with N agents compressing by Rand-k, independent
  masks reach ε with fewer bits than no compression, a mask shared by all agents does not
  (lecture: "independent compressors across agents save communication").
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction as Q
from typing import Any

import numpy as np
import sympy as sp

from theorylab.symbolic.parse import parse_expression

from ..check import check
from ..claims import parse
from ..verdict import Verdict, combine, exact_on_instances, holds, inconclusive, proved, refuted

THEORY = "docs/theory.md#algorithms"

# ----------------------------------------------------------------------------- shared instance
# Three agents in d = 2 with different (non-diagonal) Hessians: exact rationals.
H_EXACT = (sp.Matrix([[1, 0], [0, 2]]), sp.Matrix([[3, 1], [1, 2]]), sp.Matrix([[2, 0], [0, sp.Rational(1, 2)]]))
C_EXACT = (sp.Matrix([1, 0]), sp.Matrix([0, 1]), sp.Matrix([-1, 2]))
ETA = sp.Rational(1, 10)


def _problem(hessians=H_EXACT, optima=C_EXACT):
    from theorylab.simulate import custom_quadratic

    h = np.array([np.array(m.tolist(), dtype=float) for m in hessians])
    c = np.array([np.array(v.T.tolist()[0], dtype=float) for v in optima])
    return custom_quadratic(h, c, x0=0.0)


def _x_star(hessians, optima) -> sp.Matrix:
    return sum(hessians, sp.zeros(2, 2)).LUsolve(sum((h * c for h, c in zip(hessians, optima, strict=True)),
                                                     sp.zeros(2, 1)))


def fedavg_fixed_point(hessians, optima, eta, power) -> sp.Matrix:
    """x̂ solving Σ_i (I − (I − ηH_i)^power)(x̂ − c_i) = 0, exactly."""
    eye = sp.eye(2)
    ms = [eye - (eye - eta * h) ** int(power) for h in hessians]
    return sum(ms, sp.zeros(2, 2)).LUsolve(sum((m * c for m, c in zip(ms, optima, strict=True)), sp.zeros(2, 1)))


def fedavg_round_exact(x, hessians, optima, eta, K) -> sp.Matrix:
    """One FedAvg round (full participation, server step 1, no noise) in exact arithmetic."""
    ys = []
    for h, c in zip(hessians, optima, strict=True):
        y = x
        for _ in range(K):
            y = y - eta * h * (y - c)
        ys.append(y)
    return sum(ys, sp.zeros(2, 1)) / len(ys)


def _vec(m: sp.Matrix) -> list[str]:
    return [str(v) for v in m]


@check(
    id="algorithms.fedavg-fixed-point",
    source="McMahan et al. 2017 (FedAvg); Karimireddy et al. 2020, §3 (client drift); K. Yuan lecture, slide 'Local SGD v.s. "
    "Scaffold'; " + THEORY,
    statement="FedAvg with K local GD steps on f_i = ½(x − c_i)ᵀH_i(x − c_i) has the fixed point x̂ solving "
    "Σ_i (I − (I − γH_i)^K)(x̂ − c_i) = 0; x̂ = x* only for K = 1 or identical Hessians; the bias grows with K",
    expression="sum_i (I - (I - gamma*H_i)**K)*(xhat - c_i) == 0; xhat == xstar iff K == 1; |xhat_K - xstar| increasing",
    method="exact",
    cost=(1.0, 2.0),
)
def fedavg_fixed_point_check(mode: str = "quick", *, power: str = "K", drift_free_K: tuple[int, ...] = (1,)) -> Verdict:
    from theorylab.simulate.algorithms.affine import round_map

    Ks = (1, 2, 4, 8) if mode == "quick" else (1, 2, 3, 4, 6, 8, 12, 16)
    xs = _x_star(H_EXACT, C_EXACT)
    Ksym = sp.Symbol("K")
    parts: dict[str, Verdict] = {}
    bias2 = {}
    prob = _problem()
    for K in Ks:
        pw = parse(power, K=Ksym).subs(Ksym, K)
        xh = fedavg_fixed_point(H_EXACT, C_EXACT, ETA, pw)
        after = fedavg_round_exact(xh, H_EXACT, C_EXACT, ETA, K)
        key = f"K={K}: x̂ is the round's fixed point"
        inst = f"the three quadratics above, γ = 1/10, K = {K}"
        parts[key] = (exact_on_instances(key, f"one exact round maps x̂ = {_vec(xh)} to itself", inst) if after == xh else
                      refuted(key, f"one exact round maps x̂ = {[float(v) for v in xh]} to {[float(v) for v in after]}",
                              counterexample={"K": K, "power": str(pw), "xhat": _vec(xh), "after_one_round": _vec(after)}))
        d = xh - xs
        bias2[K] = (d.T * d)[0]
        key = f"K={K}: x̂ = x* iff K in {drift_free_K}"
        ok = (bias2[K] == 0) == (K in drift_free_K)
        txt = f"|x̂ − x*|² = {bias2[K]} ≈ {float(bias2[K]):.4g}"
        parts[key] = (exact_on_instances(key, txt, inst) if ok else
                      refuted(key, txt, counterexample={"K": K, "bias2": str(bias2[K])}))
        rm = round_map("fedavg", prob, eta=float(ETA), local_steps=K)
        err = float(np.max(np.abs(rm.fixed_point()["x"] - np.array([float(v) for v in xh]))))
        key = f"K={K}: the library's FedAvg has this fixed point"
        parts[key] = (holds(key, f"fixed point of the measured round map differs by {err:.2e} (rate {rm.rate:.4f})",
                            confidence=None, test="float64 comparison", tolerance=1e-10, engine="float64")
                      if err < 1e-10 and rm.rate < 1 else
                      refuted(key, f"library fixed point differs by {err:.3e}", counterexample={"K": K, "difference": err}))
    grows = all(bias2[b] > bias2[a] for a, b in zip(Ks[1:], Ks[2:], strict=False))
    ks_txt = ", ".join(map(str, Ks))
    parts["bias grows with K"] = (exact_on_instances("bias grows with K", f"|x̂_K − x*|² = {[f'{float(bias2[k]):.4g}' for k in Ks]}",
                                                     f"the three quadratics above, γ = 1/10, K = {ks_txt}")
                                  if grows else refuted("bias grows with K", f"{[float(bias2[k]) for k in Ks]}",
                                                        counterexample={"bias2": {k: str(v) for k, v in bias2.items()}}))
    same = (H_EXACT[1],) * 3
    xs_same = _x_star(same, C_EXACT)
    no_drift = all(fedavg_fixed_point(same, C_EXACT, ETA, parse(power, K=Ksym).subs(Ksym, K)) == xs_same for K in Ks)
    key = "identical Hessians: x̂_K = x* for every K"
    parts[key] = (exact_on_instances(key, "exact solve equals x* at every K tried", f"H_i = [[3,1],[1,2]], K = {ks_txt}")
                  if no_drift else
                  refuted(key, "x̂_K ≠ x* with identical Hessians", counterexample={"Ks": list(Ks), "power": power}))
    v = combine("FedAvg's fixed point, its bias, and the library's FedAvg", parts,
                notes="H = ([[1,0],[0,2]], [[3,1],[1,2]], [[2,0],[0,1/2]]), c = ((1,0), (0,1), (−1,2)), γ = 1/10; "
                "exact rationals; the library's round map is measured from its batched step (float64).")
    return dataclasses.replace(v, numbers={f"bias2_K={k}": float(b) for k, b in bias2.items()})


def scaffold_round_exact(z: sp.Matrix, hessians, optima, eta, K) -> sp.Matrix:
    """One SCAFFOLD round (option II, full participation, server step 1, no noise) in exact arithmetic on
    the state ``z = (x, c_1, …, c_N)`` (d = 2), with ``c = mean c_i`` (the invariant)."""
    n = len(hessians)
    x = z[0:2, 0]
    ci = [z[2 + 2 * i:4 + 2 * i, 0] for i in range(n)]
    c = sum(ci, sp.zeros(2, 1)) / n
    ys, new = [], []
    for h, opt, cc in zip(hessians, optima, ci, strict=True):
        y = x
        for _ in range(K):
            y = y - eta * (h * (y - opt) - cc + c)
        ys.append(y)
        new.append(cc - c + (x - y) / (K * eta))
    return sp.Matrix.vstack(sum(ys, sp.zeros(2, 1)) / n, *new)


def affine_exact(round_fn, dim: int) -> tuple[sp.Matrix, sp.Matrix]:
    """``(A, b)`` of an exact affine map ``z ↦ Az + b`` from its values at 0 and the unit vectors."""
    b = round_fn(sp.zeros(dim, 1))
    cols = [round_fn(sp.eye(dim)[:, j]) - b for j in range(dim)]
    return sp.Matrix.hstack(*cols), b


def rate_certificate(A: sp.Matrix, max_power: int = 128) -> tuple[int, sp.Rational] | None:
    """The smallest m = 2^j <= max_power with ‖A^m‖_∞ < 1 (exact), which proves ρ(A) <= ‖A^m‖_∞^{1/m} < 1:
    linear convergence. None when no such power is found."""
    P, m = A, 1
    while m <= max_power:
        norm = max(sum(abs(v) for v in P.row(i)) for i in range(P.rows))
        if norm < 1:
            return m, norm
        P, m = P * P, 2 * m
    return None


@check(
    id="algorithms.scaffold-linear-rate",
    source="Karimireddy et al. 2020 (SCAFFOLD), Algorithm 1 option II and Theorem III; K. Yuan lecture, slide 'Scaffold'; " + THEORY,
    statement="SCAFFOLD with option II control variates converges to x* at a linear rate for every K, on the "
    "heterogeneous quadratics where FedAvg drifts",
    expression="fixed point of the SCAFFOLD round == xstar; spectral radius of the round map < 1",
    method="exact",
    cost=(1.0, 2.0),
)
def scaffold_linear_rate(mode: str = "quick", *, algorithm: Any = "scaffold", target: str = "x*") -> Verdict:
    from theorylab.simulate.algorithms.affine import round_map
    from theorylab.simulate.algorithms.run import run_algorithm
    from theorylab.simulate import gaussian

    prob = _problem()
    xs = np.array([float(v) for v in _x_star(H_EXACT, C_EXACT)])
    want = xs if target == "x*" else np.array([float(v) for v in fedavg_fixed_point(H_EXACT, C_EXACT, ETA, 4)])
    parts: dict[str, Verdict] = {}
    nums: dict[str, float] = {}
    Ks = (2, 5) if mode == "quick" else (2, 5, 10, 20)
    xs_exact = _x_star(H_EXACT, C_EXACT)
    target_exact = xs_exact if target == "x*" else fedavg_fixed_point(H_EXACT, C_EXACT, ETA, 4)
    for K in Ks:
        # the update rule in exact rationals: its fixed point and a certificate of its linear rate
        A, b = affine_exact(lambda z: scaffold_round_exact(z, H_EXACT, C_EXACT, ETA, K), 8)
        zfix = (sp.eye(8) - A).LUsolve(b)
        cert = rate_certificate(A)
        key = f"K={K}: exact fixed point is {target}"
        parts[key] = (proved(key, f"exact round map's fixed point x = {_vec(zfix[0:2, 0])}") if zfix[0:2, 0] == target_exact
                      else refuted(key, f"exact fixed point x = {_vec(zfix[0:2, 0])} ≠ {_vec(target_exact)}",
                                   counterexample={"K": K, "fixed_point": _vec(zfix[0:2, 0]), "claimed": _vec(target_exact)}))
        key = f"K={K}: exact linear rate"
        parts[key] = (proved(key, f"‖A^{cert[0]}‖_∞ = {float(cert[1]):.4g} < 1, so ρ(A) <= {float(cert[1]) ** (1 / cert[0]):.4f}")
                      if cert else inconclusive(key, "no power A^m (m <= 128) with ‖A^m‖_∞ < 1",
                                                needs="a larger power or another norm"))
    for K in Ks:
        rm = round_map(algorithm, prob, eta=float(ETA), local_steps=K)
        try:
            err = float(np.max(np.abs(rm.fixed_point()["x"] - want)))
        except np.linalg.LinAlgError:  # I − A singular: no unique fixed point
            err = math.inf
        run = run_algorithm(algorithm, prob, gaussian(0.0), eta=float(ETA), steps=400, replicas=1, local_steps=K,
                            points=400)
        gaps = run.trajectory.values[:, 0]
        nums[f"rate_K={K}"] = rm.rate
        nums[f"final_gap_K={K}"] = float(gaps[-1])
        key = f"K={K}: the library's SCAFFOLD"
        txt = (f"fixed point − {target}: {err:.2e}; linear rate ρ(A) = {rm.rate:.4f} per round; simulated gap "
               f"{gaps[0]:.3g} → {gaps[-1]:.2e} after 400 rounds")
        ok = err < 1e-10 and rm.rate < 1 and gaps[-1] <= 1e-12 * max(gaps[0], 1.0)
        parts[key] = (holds(key, txt, confidence=None, test="float64 comparison", tolerance=1e-10, engine="float64")
                      if ok else
                      refuted(key, txt, counterexample={"K": K, "fixed_point_error": err, "rate": rm.rate,
                                                        "final_gap": float(gaps[-1])}))
    v = combine(f"SCAFFOLD reaches {target} linearly", parts,
                notes="Same instance as algorithms.fedavg-fixed-point. Exact: the update rule's round map on (x, c_i) "
                "in rationals, its fixed point, and a norm certificate ‖A^m‖_∞ < 1 of its rate. Library: the round map "
                "measured from the batched step on the invariant subspace c = mean c_i (float64, deterministic), "
                "and a 400-round run.")
    return dataclasses.replace(v, numbers=nums)


def fedavg_m_round_exact(z: sp.Matrix, hessians, optima, eta, K, beta) -> sp.Matrix:
    """One FedAvg-M round (full participation, server step ηK, no noise) in exact arithmetic on
    ``z = (x, g)`` (d = 2): local ``y ← y − η(βH_i(y − c_i) + (1 − β)g)``, ``g⁺ = mean(x − y_i)/(ηK)``,
    ``x⁺ = x − ηK g⁺``."""
    x, g = z[0:2, 0], z[2:4, 0]
    ys = []
    for h, opt in zip(hessians, optima, strict=True):
        y = x
        for _ in range(K):
            y = y - eta * (beta * h * (y - opt) + (1 - beta) * g)
        ys.append(y)
    g_new = sum((x - y for y in ys), sp.zeros(2, 1)) / (eta * K * len(ys))
    return sp.Matrix.vstack(x - eta * K * g_new, g_new)


@check(
    id="algorithms.fedavg-m-limit",
    source="Cheng et al., ICLR 2024 (FedAvg-M, 'Momentum benefits non-IID federated learning'); K. Yuan lecture, slide "
    "'FedAvg-M'; " + THEORY,
    statement="FedAvg-M's limit tends to x* as the momentum weight β → 0 (β = 1 is FedAvg, which drifts)",
    expression="|xhat(beta) - xstar| decreasing as beta -> 0, -> 0 linearly in beta",
    method="exact",
    cost=(1.0, 2.0),
)
def fedavg_m_limit(mode: str = "quick", *, limit: str = "x*", K: int = 4) -> Verdict:
    from theorylab.simulate.algorithms.affine import round_map

    prob = _problem()
    xs = np.array([float(v) for v in _x_star(H_EXACT, C_EXACT)])
    xk = np.array([float(v) for v in fedavg_fixed_point(H_EXACT, C_EXACT, ETA, K)])
    target = xs if limit == "x*" else xk
    betas = (1.0, 0.25, 1 / 16, 1 / 64) if mode == "quick" else (1.0, 0.5, 0.25, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 256)
    # exact: the update rule's fixed point at each rational β, and its squared distance to the limit
    xs_e = _x_star(H_EXACT, C_EXACT)
    target_e = xs_e if limit == "x*" else fedavg_fixed_point(H_EXACT, C_EXACT, ETA, K)
    d2_exact = []
    for b in betas:
        be = sp.Rational(b).limit_denominator(10**6)
        A, bb = affine_exact(lambda z, be=be: fedavg_m_round_exact(z, H_EXACT, C_EXACT, ETA, K, be), 4)
        xh = (sp.eye(4) - A).LUsolve(bb)[0:2, 0]
        d2_exact.append(((xh - target_e).T * (xh - target_e))[0])
    exact_dec = all(b2 < b1 for b1, b2 in zip(d2_exact, d2_exact[1:], strict=False))
    dist, rates = [], []
    for b in betas:
        rm = round_map("fedavg-m", prob, eta=float(ETA), local_steps=K, momentum=b)
        dist.append(float(np.linalg.norm(rm.fixed_point()["x"] - target)))
        rates.append(rm.rate)
    slope = float(np.polyfit(np.log(betas[1:]), np.log(dist[1:]), 1)[0]) if min(dist[1:]) > 0 else math.inf
    lib_vs_exact = max(abs(d - math.sqrt(float(e))) for d, e in zip(dist, d2_exact, strict=True))
    ok = (exact_dec and all(b < a for a, b in zip(dist, dist[1:], strict=False)) and dist[-1] < 0.05 * dist[0]
          and max(rates) < 1 and lib_vs_exact < 1e-10)
    txt = ("|x̂(β) − " + limit + "| = " + ", ".join(f"{d:.3g} (β={b:.3g})" for b, d in zip(betas, dist, strict=True))
           + f"; log-log slope in β {slope:.3f}; worst rate {max(rates):.4f}; exact squared distances "
           + ("strictly decreasing" if exact_dec else "NOT decreasing") + f"; library vs exact {lib_vs_exact:.1e}")
    nums = {f"dist_beta={b:g}": d for b, d in zip(betas, dist, strict=True)} | {"slope": slope}
    if ok:
        return holds(f"FedAvg-M's limit → {limit} as β → 0", txt, confidence=None, numbers=nums,
                     notes=f"Fixed points of the update rule in exact rationals at each β (distances strictly decreasing, "
                     f"proved on this grid) and of the library's FedAvg-M round map (K = {K}, γ = 1/10, float64); the "
                     "limit β → 0 itself is read from the trend (slope ≈ 1: bias ∝ β), hence holds, not proved.")
    return refuted(f"FedAvg-M's limit → {limit} as β → 0", txt, numbers=nums,
                   counterexample={"betas": list(betas), "distances": dist, "limit": limit})


def _ring_exact(n: int) -> sp.Matrix:
    from theorylab.simulate.algorithms.topology import mixing_matrix

    return sp.Matrix(n, n, lambda i, j: sp.Rational(round(3 * float(mixing_matrix("ring", n)[i, j])), 3))


@check(
    id="algorithms.gossip-steady-state",
    source="Lian et al. 2017; Koloskova et al. 2020 (decentralised SGD); K. Yuan lecture, 'Decentralized SGD'; " + THEORY,
    statement="Gossip SGD (combine-then-adapt) on f_i = ½‖x − c_i‖² has the steady state X∞ = γ((1+γ)I − W)⁻¹C; "
    "its consensus error grows as (1 − ρ)^-2 when the spectral gap 1 − ρ shrinks (γ ≪ 1 − ρ)",
    expression="X_inf == gamma*((1+gamma)*I - W)**-1 * C; d log(consensus)/d log(1 - rho) == -2",
    method="exact",
    cost=(1.5, 3.0),
)
def gossip_steady_state(mode: str = "quick", *, claimed: str = "gamma*((1+gamma)*I - W)**-1*C",
                        claimed_slope: float = -2.0, slope_tol: float = 0.1) -> Verdict:
    from theorylab.simulate import custom_quadratic, mixing_matrix, mixing_rate
    from theorylab.simulate.algorithms.affine import round_map

    parts: dict[str, Verdict] = {}
    n, gamma = 6, sp.Rational(1, 5)
    W = _ring_exact(n)
    C = sp.Matrix([[1, 0], [0, 1], [-1, 2], [2, 2], [0, -1], [3, 1]])
    I = sp.eye(n)
    X = parse_expression(claimed, {"gamma": gamma, "I": I, "W": W, "C": C}, what="the claimed fixed point")
    step = W * X - gamma * (X - C)  # one CTA step: x_i ← Σ_j w_ij x_j − γ(x_i − c_i)
    key = "X∞ is the CTA step's fixed point"
    parts[key] = (proved(key, "one exact CTA step maps X∞ to itself (ring, n = 6, γ = 1/5)") if step == X else
                  refuted(key, "one exact CTA step moves X∞", counterexample={"claimed": claimed, "n": n, "gamma": "1/5"}))
    prob = custom_quadratic(np.ones((n, 2)), np.array(C.tolist(), dtype=float), x0=0.0)
    rm = round_map("gossip-sgd", prob, eta=float(gamma), topology="ring")
    err = float(np.max(np.abs(rm.fixed_point()["X"] - np.array(X.tolist(), dtype=float))))
    key = "the library's gossip SGD has this steady state"
    parts[key] = (holds(key, f"measured round map's fixed point differs by {err:.2e}; rate {rm.rate:.4f}", confidence=None,
                        test="float64 comparison", tolerance=1e-10, engine="float64")
                  if err < 1e-10 and rm.rate < 1 else
                  refuted(key, f"differs by {err:.3e}", counterexample={"difference": err}))
    g = 1 / 2000
    rows = []
    for m in ((8, 16, 32) if mode == "quick" else (8, 16, 32, 64)):
        Wm = mixing_matrix("ring", m)
        c = np.array([1.0 if i < m // 2 else -1.0 for i in range(m)])
        Xm = np.linalg.solve((1 + g) * np.eye(m) - Wm, g * c)
        rows.append((m, 1 - mixing_rate(Wm), float(np.mean((Xm - Xm.mean()) ** 2))))
    slope = float(np.polyfit(np.log([r[1] for r in rows]), np.log([r[2] for r in rows]), 1)[0])
    key = f"consensus slope in log(1 − ρ) = {claimed_slope:g} ± {slope_tol:g}"
    txt = "; ".join(f"n={m}: 1−ρ={gp:.4g}, γ/(1−ρ)={g / gp:.3g}, consensus={cs:.4g}" for m, gp, cs in rows) + \
        f"; fitted slope {slope:.4f}"
    parts[key] = (holds(key, txt, confidence=None, test="float64 least-squares slope", tolerance=slope_tol,
                        engine="float64") if abs(slope - claimed_slope) <= slope_tol else
                  refuted(key, txt, counterexample={"slope": slope, "claimed": claimed_slope, "rows": rows}))
    v = combine("gossip steady state and consensus error vs spectral gap", parts,
                notes="Ring W (1/3 on self and both neighbours); c = (1,…,1,−1,…,−1) for the slope, γ = 1/2000 ≪ 1 − ρ; "
                "float64 solves for the slope (deterministic).")
    return dataclasses.replace(v, numbers={"slope": slope} | {f"consensus_n={m}": cs for m, _, cs in rows})


# ----------------------------------------------------------------------------- DCSGD floor vs DIANA, EF21
def _hetero_isotropic(n: int, d: int):
    from theorylab.simulate import custom_quadratic

    c = np.array([[(-1) ** (i + j) * (1 + (i + 2 * j) % 3) for j in range(d)] for i in range(n)], dtype=float)
    return custom_quadratic(np.ones((n, d)), c, x0=0.0), c


def dcsgd_floor_exact(gamma, omega, n, b2):
    """E[f − f*] at stationarity of DCSGD (unbiased compressor with E‖C(v) − v‖² = ω‖v‖² exactly, e.g.
    Rand-k) on f_i = ½‖x − c_i‖², σ = 0: γωB/(2N(2 − γ − γω/N)), B = (1/N)Σ‖c_i − c̄‖²."""
    return gamma * omega * b2 / (2 * n * (2 - gamma - gamma * omega / n))


@check(
    id="algorithms.dcsgd-floor-diana-ef21",
    source="Mishchenko et al. 2019 (DIANA); Richtárik, Sokolov, Fatkhullin 2021 (EF21); K. Yuan lecture, 'compression with "
    "heterogeneous data'; " + THEORY,
    statement="With heterogeneous agents and no noise, DCSGD (Rand-k) stalls at the floor E[f − f*] = "
    "γωB/(2N(2 − γ − γω/N)) (linear in γ and ω to leading order) while DIANA and EF21 converge to x*",
    expression="E gap_DCSGD -> gamma*omega*B/(2*N*(2 - gamma - gamma*omega/N)); gap_DIANA, gap_EF21 -> 0",
    method="monte-carlo",
    cost=(3.0, 15.0),
)
def dcsgd_floor(mode: str = "quick", *, floor_factor: float = 1.0, diana_alpha: float | None = None,
                tol: float = 0.1, false_alarm: float = 1e-3, seed: int = 0) -> Verdict:
    from proofs_checks.montecarlo import level_vs_bound
    from theorylab.simulate import gaussian, run_optimizer, stationary_level

    n, d = 4, 4
    prob, c = _hetero_isotropic(n, d)
    b2 = float(np.mean(np.sum((c - c.mean(0)) ** 2, axis=1)))
    g_, w_, n_ = sp.symbols("gamma omega N", positive=True)
    expr = dcsgd_floor_exact(g_, w_, n_, sp.Symbol("B", positive=True))
    lead = sp.series(expr, g_, 0, 2).removeO()
    parts: dict[str, Verdict] = {}
    key = "floor is linear in γω to leading order"
    want_lead = g_ * w_ * sp.Symbol("B", positive=True) / (4 * n_)
    parts[key] = (proved(key, f"series in γ: {lead}") if sp.simplify(lead - want_lead) == 0 else
                  refuted(key, f"series in γ: {lead}", counterexample={"leading": str(lead)}))
    reps, steps = (200, 800) if mode == "quick" else (2000, 4000)
    nums: dict[str, float] = {}
    conf = 1 - false_alarm
    for k, gamma in ((1, 0.1), (2, 0.1), (1, 0.05)):
        omega = d / k - 1
        pred = floor_factor * float(dcsgd_floor_exact(sp.Rational(gamma).limit_denominator(1000), omega, n, b2))
        run = run_optimizer("dcsgd", prob, gaussian(0.0), eta=gamma, steps=steps, replicas=reps,
                            compressor=f"randk:k={k}", seed=seed + k)
        est = stationary_level(run.trajectory, conf)
        st = level_vs_bound(est, pred, two_sided_tol=tol)
        key = f"DCSGD floor (k={k}, ω={omega:g}, γ={gamma:g})"
        txt = (f"stationary E gap {est.value:.5g} [{est.lower:.5g}, {est.upper:.5g}] ({100 * conf:g}% CI) vs predicted "
               f"{pred:.5g} (equivalence within ±{100 * tol:g}%)")
        nums[f"floor_k={k}_gamma={gamma:g}"] = est.value
        nums[f"predicted_k={k}_gamma={gamma:g}"] = pred
        parts[key] = (holds(key, txt, confidence=conf) if st == "holds" else
                      refuted(key, txt, counterexample={"k": k, "gamma": gamma, "estimate": est.value,
                                                        "interval": [est.lower, est.upper], "predicted": pred, "seed": seed + k})
                      if st == "refuted" else inconclusive(key, txt, needs="more replicas or steps (interval straddles "
                                                                              "the equivalence margin)"))
    gap0 = float(prob.gap(prob.x0))
    thr = 1e-10 * gap0
    opts = {} if diana_alpha is None else {"alpha": diana_alpha}
    dr = run_optimizer("diana", prob, gaussian(0.0), eta=0.1, steps=800, replicas=reps, compressor="randk:k=1",
                       seed=seed + 10, options=opts)
    worst = float(np.max(dr.trajectory.values[-1]))
    # zero failures among R independent runs: P(fail) < p0 with confidence 1 − (1 − p0)^R
    p0 = 0.05
    c_runs = 1 - (1 - p0) ** reps
    key = "DIANA converges to x* (Rand-1)"
    txt = f"worst final gap over {reps} replicas after 800 steps: {worst:.2e} (threshold {thr:.1e})"
    parts[key] = (holds(key, txt + f"; P(a run stays above) < {p0:g} at confidence {c_runs:.6f}", confidence=c_runs)
                  if worst <= thr else
                  refuted(key, txt, counterexample={"worst_final_gap": worst, "alpha": diana_alpha, "seed": seed + 10}))
    er = run_optimizer("ef21", prob, gaussian(0.0), eta=0.1, steps=800, replicas=1, compressor="topk:k=1")
    fin = float(er.trajectory.values[-1, 0])
    key = "EF21 converges to x* (Top-1, deterministic)"
    parts[key] = (holds(key, f"final gap {fin:.2e} after 800 steps (deterministic run)", confidence=None,
                        test="float64 run", tolerance=thr, engine="float64")
                  if fin <= thr else refuted(key, f"final gap {fin:.3e}", counterexample={"final_gap": fin}))
    nums |= {"diana_worst_final_gap": worst, "ef21_final_gap": fin, "B": b2}
    v = combine("DCSGD floor vs DIANA and EF21 without noise", parts,
                notes=f"f_i = ½‖x − c_i‖², N = {n}, d = {d}, B = {b2:g}, σ = 0; Rand-k's E‖C(v) − v‖² = ω‖v‖² holds "
                "with equality, so the floor is exact; DIANA's α = 1/(1+ω).")
    return dataclasses.replace(v, numbers=nums)


# ----------------------------------------------------------------------------- independent vs shared masks
def _expected_gap(h: list[Q], x0: list[Q], gamma: Q, omega_eff: Q, t: int) -> Q:
    """Exact E[f(x_t)] of DCSGD (Rand-k, σ = 0, homogeneous f = ½Σ h_j x_j²): coordinate j is multiplied
    by (1 − γh_j M_j), E M_j = 1, Var M_j = ω_eff, independently across steps."""
    return sum((hj * xj * xj * ((1 - gamma * hj) ** 2 + gamma * gamma * hj * hj * omega_eff) ** t
                for hj, xj in zip(h, x0, strict=True)), Q(0)) / 2


def _steps_to(h, x0, gamma, omega_eff, eps) -> int | None:
    """Smallest t with E gap_t ≤ ε gap_0 (float search, then verified exactly with Fractions)."""
    f0 = _expected_gap(h, x0, gamma, omega_eff, 0)
    r = [float((1 - gamma * hj) ** 2 + gamma * gamma * hj * hj * omega_eff) for hj in h]
    if max(r) >= 1:
        return None
    w = [float(hj * xj * xj) for hj, xj in zip(h, x0, strict=True)]
    t = 0
    while sum(wj * rj**t for wj, rj in zip(w, r, strict=True)) / sum(w) > float(eps):
        t += 1
        if t > 100000:
            return None
    while t > 0 and _expected_gap(h, x0, gamma, omega_eff, t - 1) <= eps * f0:
        t -= 1
    while _expected_gap(h, x0, gamma, omega_eff, t) > eps * f0:
        t += 1
    return t


class SharedMask:
    """Rand-k with ONE random support per replica shared by all agents (a user compressor ``C(x, rng)``)."""

    def __init__(self, k: int) -> None:
        from theorylab.compressors import RandK

        self.base = RandK(k)
        self.k = k
        self.spec = f"shared-randk:k={k}"
        self.unbiased = True

    def __call__(self, x: Any, rng: Any) -> Any:
        r, _, d = x.shape
        idx = self.base.sample_support((r, 1), d, rng)
        mask = np.zeros((r, 1, d))
        np.put_along_axis(mask, idx, d / self.k, axis=-1)
        return x * mask

    def omega(self, d: int) -> float:
        return d / self.k - 1

    def bits(self, d: int) -> float:
        return self.base.bits(d)


@check(
    id="algorithms.independent-masks-save-bits",
    source="K. Yuan, 'Distributed Machine Learning (Part II)' lecture ('independent compressors across agents save "
    "communication where a shared random mask does not'); " + THEORY,
    statement="N agents running DCSGD with Rand-k reach E[f − f*] ≤ ε(f(x⁰) − f*) with fewer bits than without "
    "compression when their masks are independent, and with no fewer bits when they share one mask",
    expression="bits_eps(independent) < bits_eps(none) <= bits_eps(shared), best step size of each on a grid",
    method="exact",
    cost=(2.0, 6.0),
)
def independent_masks_save_bits(mode: str = "quick", *, shared_saves: bool = False, independent_saves: bool = True,
                                tol: float = 0.1, false_alarm: float = 1e-3) -> Verdict:
    from proofs_checks.montecarlo import level_vs_bound
    from theorylab.compressors import Identity, RandK
    from theorylab.simulate import custom_quadratic, gaussian, mean_curve, run_optimizer

    n, d, k = 4, 8, 2
    h = [Q(j + 1, d) for j in range(d)]  # spectrum 1/8 .. 1: κ = 8
    x0 = [Q(1)] * d
    eps = Q(1, 10**6)
    omega = Q(d, k) - 1
    bits = {"none": n * float(Identity().bits(d)), "independent": n * float(RandK(k).bits(d)),
            "shared": n * float(RandK(k).bits(d))}
    om_eff = {"none": Q(0), "independent": omega / n, "shared": omega}
    grid = [Q(m, 32) for m in range(1, 65)]  # γ·L on (0, 2]
    best: dict[str, tuple[int, Q]] = {}
    for name, om in om_eff.items():
        cands = [(t, g) for g in grid if (t := _steps_to(h, x0, g, om, eps)) is not None]
        best[name] = min(cands)
    total = {name: best[name][0] * bits[name] for name in best}
    parts: dict[str, Verdict] = {}
    for name, claim in (("independent", independent_saves), ("shared", shared_saves)):
        saves = total[name] < total["none"]
        key = f"{name} masks {'save' if claim else 'do not save'} bits"
        txt = (f"{best[name][0]} steps × {bits[name]:g} bits (best γL = {best[name][1]}) = {total[name]:g} bits vs "
               f"{best['none'][0]} × {bits['none']:g} = {total['none']:g} uncompressed")
        parts[key] = (holds(key, txt, confidence=None) if saves == claim else
                      refuted(key, txt, counterexample={"variant": name, "bits": total[name], "uncompressed": total["none"],
                                                        "steps": best[name][0], "gamma_L": str(best[name][1])}))
    # the exact E gap is the library's: Monte Carlo of its DCSGD (independent masks, and a shared-mask compressor)
    prob = custom_quadratic(np.array([[float(v) for v in h]] * n), np.zeros((n, d)), x0=1.0)
    # a few steps only: the per-replica gap is a product of random factors whose law grows heavy tails
    # with t (the mean is carried by rare replicas), so the interval is informative only early on
    reps = 20000 if mode == "quick" else 200000
    conf = 1 - false_alarm
    for name, comp in (("independent", "randk:k=2"), ("shared", SharedMask(k))):
        t, g = best[name]
        tt = 3
        run = run_optimizer("dcsgd", prob, gaussian(0.0), eta=float(g), steps=tt, replicas=reps, compressor=comp,
                            seed=3, points=tt)
        curve = mean_curve(run.trajectory, conf)
        pred = float(_expected_gap(h, x0, g, om_eff[name], tt))
        est = type("E", (), {"lower": curve.lower[-1], "upper": curve.upper[-1], "stationary": True})()
        st = level_vs_bound(est, pred, two_sided_tol=tol)
        key = f"library DCSGD ({name}) matches the exact E gap at t = {tt}"
        txt = f"mean {curve.mean[-1]:.5g} [{curve.lower[-1]:.5g}, {curve.upper[-1]:.5g}] vs exact {pred:.5g} (±{100 * tol:g}%)"
        parts[key] = (holds(key, txt, confidence=conf) if st == "holds" else
                      refuted(key, txt, counterexample={"variant": name, "t": tt, "mean": float(curve.mean[-1]),
                                                        "exact": pred}) if st == "refuted" else
                      inconclusive(key, txt, needs="more replicas"))
    v = combine("independent masks save bits, a shared mask does not", parts,
                notes=f"f = ½Σ h_j x_j², h_j = j/8 (κ = 8), d = {d}, N = {n}, Rand-{k} (ω = {omega}), ε = 1e-6, x⁰ = 1; "
                "E[f(x_t)] = ½Σ h_j x_j² ((1 − γh_j)² + γ²h_j²ω_eff)^t exactly, ω_eff = ω/N (independent) or ω (shared); "
                "bits from the catalogue's C.bits(d); best step size over γL ∈ {1/32, …, 2}.")
    return dataclasses.replace(v, numbers={f"bits_{k_}": v_ for k_, v_ in total.items()}
                               | {f"steps_{k_}": b[0] for k_, b in best.items()})
