"""Identities of ``Ξ_ν``, the drift function of DSignSGD under Student-t noise (poster Thm 2).

Source: Compagnoni et al. (2025), Theorem 2; docs/theory.md#xi. ``Ξ_ν`` and ``M_ν`` come from
:mod:`theorylab.symbolic.xi` (the hypergeometric closed form ``xi_hyper`` and the array
version ``xi_numeric``); the t CDF/density for comparison from scipy and sympy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp
from scipy import special, stats

from theorylab.symbolic.bounds import ell_candidate
from theorylab.symbolic.parse import as_expr
from theorylab.symbolic.xi import M, Xi, m_numeric, t_density, xi_hyper, xi_limit_at_infinity, xi_numeric

from ..check import check
from ..claims import differing_point, parse
from ..verdict import Verdict, combine, holds, inconclusive, proved, refuted

SRC = "Compagnoni et al. (2025), Theorem 2 (Ξ_ν); docs/theory.md#xi"
x = sp.Symbol("x", real=True)
nu_s = sp.Symbol("nu", positive=True)
GRID = np.concatenate([-np.logspace(-3, 3, 40)[::-1], [0.0], np.logspace(-3, 3, 40)])


def _parse_x(e: sp.Expr | str) -> sp.Expr:
    return parse(e, x=x, nu=nu_s, M=M, Xi=Xi)


@check(
    id="poster.xi-is-t-cdf",
    source=SRC,
    statement="Ξ_ν(x) = x Γ((ν+1)/2)/(√(πν)Γ(ν/2)) ₂F₁(1/2,(ν+1)/2;3/2;−x²/ν) equals F_ν(x) − 1/2 (F_ν the t CDF)",
    expression="xi_hyper(nu, x) == integrate(t_density(nu, s), (s, 0, x)) == F_nu(x) - 1/2",
    method="symbolic",
    cost=(3.0, 6.0),
)
def xi_is_t_cdf(mode: str = "quick", *, offset: float | str = "1/2") -> Verdict:
    off = sp.nsimplify(offset)
    parts: dict[str, Verdict] = {}
    s_ = sp.Symbol("s", real=True)
    for nu_v in (1, 2, 3) if mode == "quick" else (1, 2, 3, 4, 5):
        closed = sp.hyperexpand(xi_hyper(sp.Integer(nu_v), x))
        integral = sp.integrate(t_density(sp.Integer(nu_v), s_), (s_, 0, x))
        diff = sp.simplify(closed - integral)
        # F_nu(x) - offset = integral + 1/2 - offset
        claim_gap = sp.simplify(sp.S.Half - off)
        if diff == 0 and claim_gap == 0:
            parts[f"nu={nu_v}"] = proved(f"nu={nu_v}", f"hyperexpand(Ξ_{nu_v}) = {closed} = ∫_0^x t density")
        else:
            pt = differing_point(closed, integral + sp.S.Half - off, fixed=None)
            if pt is None and diff != 0:
                parts[f"nu={nu_v}"] = holds(f"nu={nu_v}", f"closed form {closed} vs {integral}: equal at sampled points",
                                            confidence=None)
            else:
                parts[f"nu={nu_v}"] = refuted(f"nu={nu_v}", f"Ξ_{nu_v}(x) = {closed}, F(x) − {off} = {integral + sp.S.Half - off}",
                                              counterexample=pt or {"x": "any"})
    # non-integer and large nu: mpmath hypergeometric against scipy's t CDF, at 30 digits vs double
    worst = 0.0
    worst_at: dict[str, float] | None = None  # set whenever worst > 0
    nus = (0.5, 1.5, 2.5, 8.0, 64.0)
    xs = (-30.0, -3.0, -0.7, 0.2, 1.0, 4.0, 50.0)
    for nu_f in nus:
        for xv in xs:
            h = float(sp.N(xi_hyper(sp.Float(nu_f), sp.Float(xv)), 30))
            c = float(stats.t.cdf(xv, nu_f)) - float(off)
            err = abs(h - c)
            if err > worst:
                worst, worst_at = err, {"nu": nu_f, "x": xv, "Xi_hyper": h, "F-offset": c}
    tol = 1e-12
    parts["numeric"] = (refuted("non-integer nu", f"max |Ξ_hyper − (F − {off})| = {worst:.3g}", counterexample=worst_at)
                        if worst > tol and worst_at is not None else
                        holds("non-integer nu", f"max |Ξ_hyper − (F − {off})| = {worst:.2e} <= {tol} on "
                              f"{len(nus) * len(xs)} points (mpmath 30 digits vs scipy)", confidence=None,
                              test="float comparison on a grid", tolerance=tol, engine="mpmath vs scipy"))
    import dataclasses

    v = combine(f"Ξ_ν(x) = F_ν(x) − {off}", parts)
    return dataclasses.replace(v, numbers={"max_abs_err_numeric": worst, **{k: p.status for k, p in parts.items()}})


@check(
    id="poster.xi-sign-expectation",
    source=SRC,
    statement="For Z ~ t_ν, E[sign(g + σZ)] = 2Ξ_ν(g/σ) (the drift of DSignSGD)",
    expression="E[sign(g + sigma*Z)] == 2*Xi(nu, g/sigma)",
    method="monte-carlo",
    cost=(1.0, 8.0),
)
def xi_sign_expectation(mode: str = "quick", *, factor: float = 2.0, seed: int = 0,
                        false_alarm: float = 1e-6) -> Verdict:
    """Monte Carlo with Hoeffding's bound (sign ∈ [−1, 1], so no CLT is needed): with n draws,
    P(|mean − E| >= ε) <= 2 exp(−nε²/2); ε is set so the family-wise false-alarm rate over all
    (ν, g/σ) pairs is ``false_alarm``."""
    rng = np.random.default_rng(seed)
    nus = (1.0, 2.0, 3.0, 8.0, math.inf)
    ys = np.array([-2.0, -0.5, 0.3, 1.0, 3.0])  # g/σ
    n = 200_000 if mode == "quick" else 2_000_000
    m = len(nus) * len(ys)
    eps = math.sqrt(2.0 * math.log(2.0 * m / false_alarm) / n)
    sigma = 1.7
    worst: tuple[float, dict[str, Any] | None] = (0.0, None)  # the point is set whenever the deviation > 0
    for nu_v in nus:
        z = rng.standard_normal(n) if math.isinf(nu_v) else rng.standard_t(nu_v, n)
        for y in ys:
            g = y * sigma
            est = float(np.mean(np.sign(g + sigma * z)))
            claim = float(factor) * float(xi_numeric(nu_v, np.array(y)))
            dev = abs(est - claim)
            if dev > worst[0]:
                worst = (dev, {"nu": nu_v, "g/sigma": float(y), "estimate": est, "claimed": claim, "eps": eps, "n": n})
    claimed = f"E sign(g + σZ) = {factor}·Ξ_ν(g/σ)"
    nums = {"max_dev": worst[0], "hoeffding_eps": eps, "draws": n, "pairs": m}
    worst_at = worst[1]
    if worst[0] > eps and worst_at is not None:
        return refuted(claimed, f"estimate differs from the claim by {worst[0]:.4f} > ε = {eps:.4f}",
                       counterexample={**worst_at, "seed": seed}, numbers=nums)
    return holds(claimed, f"all {m} (ν, g/σ) pairs within Hoeffding's ε = {eps:.4f} (max deviation {worst[0]:.4f})",
                 confidence=1 - false_alarm, numbers=nums,
                 notes="Exact too: E sign(g+σZ) = P(Z > −g/σ) − P(Z < −g/σ) = 2F_ν(g/σ) − 1 by symmetry of t_ν.")


@check(
    id="poster.xi-gaussian-limit",
    source=SRC,
    statement="Gaussian limit: 2Ξ_∞(x) = erf(x/√2); the t density tends to the normal density as ν → ∞",
    expression="limit(t_density(nu, x), nu, oo) == exp(-x**2/2)/sqrt(2*pi); 2*Xi_nu(x) -> erf(x/sqrt(2))",
    method="symbolic",
    cost=(1.0, 1.0),
)
def xi_gaussian_limit(mode: str = "quick", *, claim: sp.Expr | str = "erf(x/sqrt(2))") -> Verdict:
    target = _parse_x(claim)
    dens = M(nu_s).rewrite(sp.gamma) * (1 + x**2 / nu_s) ** (-(nu_s + 1) / 2)
    lim = sp.limit(dens, nu_s, sp.oo)
    # the claim's derivative must be twice the limiting density, and the claim must vanish at 0
    d_claim = sp.simplify(sp.diff(target, x) - 2 * lim)
    at0 = sp.simplify(target.subs(x, 0))
    parts: dict[str, Verdict] = {}
    if d_claim == 0 and at0 == 0:
        parts["symbolic"] = proved("2Ξ_∞ = claim", f"lim_ν→∞ density = {lim}; d/dx claim = 2·density and claim(0) = 0")
    else:
        pt = differing_point(sp.diff(target, x), 2 * lim)
        parts["symbolic"] = refuted("2Ξ_∞ = claim", f"d/dx {target} ≠ 2·{lim} (or claim(0) = {at0} ≠ 0)",
                                    counterexample=pt or {"x": 0, "claim(0)": str(at0)})
    # numeric: the finite-nu Xi approaches the claim, monotonically in nu on the grid
    f = sp.lambdify(x, target, modules=[{"erf": special.erf}, "numpy"])
    errs = [float(np.max(np.abs(2 * xi_numeric(v, GRID) - f(GRID)))) for v in (1e1, 1e3, 1e5)]
    ok = errs[-1] < 1e-4 and errs[0] > errs[1] > errs[2]
    parts["numeric"] = (holds("finite nu -> claim", f"max |2Ξ_ν − claim| = {errs} for ν = 1e1, 1e3, 1e5 (decreasing)",
                              confidence=None, test="float64 grid", tolerance=1e-4, engine="float64") if ok else
                        refuted("finite nu -> claim", f"max |2Ξ_ν − claim| = {errs} does not vanish",
                                counterexample={"nu": 1e5, "max_err": errs[-1]}))
    import dataclasses

    v = combine(f"2Ξ_∞(x) = {target}", parts)
    return dataclasses.replace(v, numbers={"err_nu=1e1": errs[0], "err_nu=1e3": errs[1], "err_nu=1e5": errs[2]})


@check(
    id="poster.xi-bounded",
    source=SRC,
    statement="|Ξ_ν(x)| < 1/2 for all x and ν > 0, so the DSignSGD diffusion Σ̃ = I − (4/N)Σ diag(Ξ²) "
    "has positive diagonal and Tr Σ̃ <= d",
    expression="Abs(Xi(nu, x)) < 1/2; 0 < 1 - 4*Xi(nu, x)**2 <= 1",
    method="symbolic",
    cost=(0.5, 0.5),
)
def xi_bounded(mode: str = "quick", *, bound: float | str = "1/2") -> Verdict:
    b = float(sp.nsimplify(bound))
    parts: dict[str, Verdict] = {}
    # symbolic: Xi(0) = 0, Xi' = t density > 0 and lim Xi = integral of the density over (0, oo), integrated
    # by sympy (xi_limit_at_infinity), so |Xi| < lim strictly; the claim holds iff lim <= bound
    dpos = sp.simplify(sp.diff(Xi(nu_s, x), x)).is_positive is True
    at0 = Xi(nu_s, sp.Integer(0)) == 0
    sup = xi_limit_at_infinity(nu_s)
    margin = sp.simplify(sp.nsimplify(bound) - sup)
    if dpos and at0 and margin.is_nonnegative is True:
        parts["symbolic"] = proved(f"|Ξ| < {bound}", f"Ξ(0) = 0, Ξ' = t density > 0 (sympy), lim_(x→∞) Ξ = "
                                   f"∫_0^∞ density = {sup} (sympy integral): |Ξ| < {sup} <= {bound}")
    elif dpos and at0 and margin.is_negative is True:
        parts["symbolic"] = refuted(f"|Ξ| < {bound}", f"sup |Ξ_ν| = {sup} > {bound} (Ξ increases to its limit {sup})",
                                    counterexample={"sup": str(sup), "bound": str(bound)})
    else:
        parts["symbolic"] = inconclusive(f"|Ξ| < {bound}", f"sympy could not sign Ξ' ({dpos}) or {bound} − {sup}",
                                         needs="a symbolic proof of monotonicity and the limit")
    nus = np.array([0.5, 1.0, 2.0, 3.0, 8.0, 64.0, np.inf])
    # |x| <= 5: beyond, float64 rounds Ξ to exactly ±1/2 for light tails (rounding, not a counterexample)
    grid = GRID[np.abs(GRID) <= 5.0]
    vals = np.abs(xi_numeric(nus[:, None], grid[None, :]))
    i, j = np.unravel_index(np.argmax(vals), vals.shape)
    mx = float(vals[i, j])
    parts["numeric"] = (holds(f"|Ξ| < {bound} on grid", f"max |Ξ| = {mx:.6f} on {vals.size} points", confidence=None,
                              test="float64 grid, strict comparison", tolerance=0.0, engine="float64")
                        if mx < b else
                        refuted(f"|Ξ| < {bound} on grid", f"|Ξ_{nus[i]}({grid[j]})| = {mx:.6f} >= {b}",
                                counterexample={"nu": float(nus[i]), "x": float(grid[j]), "abs_Xi": mx}))
    diag = 1 - 4 * vals**2
    parts["Sigma-diagonal"] = (holds("0 < 1 − 4Ξ² <= 1", f"min diagonal {float(diag.min()):.3e} > 0", confidence=None,
                                     test="float64 grid, strict comparison", tolerance=0.0, engine="float64")
                               if diag.min() > 0 and diag.max() <= 1 else
                               refuted("0 < 1 − 4Ξ² <= 1", f"min diagonal {float(diag.min())}", counterexample={"min": float(diag.min())}))
    import dataclasses

    v = combine(f"|Ξ_ν| < {bound}", parts, notes="Numerically, float64 rounds Ξ_ν(x) to ±1/2 for large |x| with light "
                "tails (e.g. ν = ∞, |x| > 8.3), so the array diffusion 1 − 4Ξ² can be exactly 0 there, never negative.")
    return dataclasses.replace(v, numbers={"1/2 - max|Xi| (grid)": b - mx, "min_1-4Xi^2": float(diag.min())})


@check(
    id="poster.xi-derivative-bound",
    source=SRC,
    statement="Ξ_ν' is bounded by M_ν = Γ((ν+1)/2)/(√(πν)Γ(ν/2)), attained at 0; ℓ_ν candidate A = 2M_ν takes "
    "the values 2/π (ν=1), 1/√2 (ν=2), √(2/π) (ν=∞)",
    expression="diff(Xi(nu,x),x) <= M(nu) == diff(Xi(nu,x),x).subs(x,0); 2*M(1)=2/pi, 2*M(2)=1/sqrt(2), 2*M(oo)=sqrt(2/pi)",
    method="symbolic",
    cost=(0.5, 0.5),
)
def xi_derivative_bound(mode: str = "quick", *, bound: sp.Expr | str = "M(nu)",
                        ell_values: dict | None = None) -> Verdict:
    bnd = _parse_x(bound)
    dens = sp.diff(Xi(nu_s, x), x)
    parts: dict[str, Verdict] = {}
    # density decreasing in |x|: x * d/dx density <= 0
    slope = sp.simplify(x * sp.diff(dens, x) / dens)  # = -(nu+1) x^2/(nu + x^2)
    at0 = sp.simplify(dens.subs(x, 0) - bnd)
    if (-slope).is_nonnegative is True and at0 == 0:
        parts["max at 0"] = proved("Ξ' <= M_ν", f"x·(log Ξ')' = {slope} <= 0, so Ξ' peaks at 0 where Ξ'(0) = M_ν")
    elif at0 != 0:
        pt = differing_point(dens.subs(x, 0), bnd)
        parts["max at 0"] = refuted("Ξ' <= bound", f"Ξ'(0) = {dens.subs(x, 0)} vs bound {bnd}", counterexample=pt or {"x": 0})
    else:
        parts["max at 0"] = inconclusive("Ξ' <= bound", f"sympy cannot sign x·(log Ξ')' = {slope}",
                                         needs="a symbolic sign of the density's slope")
    want = ell_values or {1: 2 / sp.pi, 2: 1 / sp.sqrt(2), sp.oo: sp.sqrt(2 / sp.pi)}
    for nu_v, val in want.items():
        got = sp.simplify(ell_candidate("A", as_expr(nu_v, what="nu")))
        key = f"ell_A(nu={nu_v})"
        parts[key] = (proved(key, f"2M = {got}") if sp.simplify(got - as_expr(val)) == 0 else
                      refuted(key, f"2M_{nu_v} = {got}, not {val}", counterexample={"nu": str(nu_v), "2M": str(got)}))
    # numeric: finite differences of xi_numeric never exceed m_numeric
    h = 1e-6
    worst = max(float(np.max((xi_numeric(v, GRID + h) - xi_numeric(v, GRID - h)) / (2 * h))) / m_numeric(v)
                for v in (1.0, 2.0, 5.0, 30.0))
    import dataclasses

    v = combine(f"Ξ_ν' <= {bnd}", parts)
    return dataclasses.replace(v, numbers={"max Xi'/M_nu (numeric)": worst, **{k: p.status for k, p in parts.items()}})
