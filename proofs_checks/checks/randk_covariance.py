"""The Rand-k compression covariance in Theorem 1's diffusion (Compagnoni et al. 2025, Theorem 1; docs/theory.md#sdes).

For Rand-k (``ω = d/k − 1``) and isotropic noise, docs/theory.md#sdes states
``Σ̃ = ω diag(∇f²) + (1+ω)σ²I/B`` "to leading order: derive and check it". The derivation is
:func:`theorylab.symbolic.sde.randk_phi_moment` / :func:`randk_sigma_tilde` (from the
indicator moments of a uniform k-subset); this check compares it with exact enumeration of
all k-subsets (:func:`randk_phi_moment_bruteforce`), and states what "leading order" drops.
"""

from __future__ import annotations

import sympy as sp

from theorylab.symbolic.sde import randk_phi_moment, randk_phi_moment_bruteforce, randk_sigma_tilde
from theorylab.symbolic.symbols import d, gj, k

from ..check import check
from ..claims import equal, parse
from ..verdict import Verdict, combine, proved, refuted

SRC = "Compagnoni et al. (2025), Theorem 1 (Σ̃ for Rand-k); docs/theory.md#sdes"


@check(
    id="poster.randk-covariance",
    source=SRC,
    statement="For Rand-k with isotropic noise σ²I/B, the per-agent Σ̃ = E[ΦΦᵀ] + σ²I/B has diagonal exactly "
    "ω g_j² + (1+ω)σ²/B and off-diagonal −ω g_i g_j/(d−1), so Σ̃ = ω diag(∇f²) + (1+ω)σ²I/B to leading order in 1/d",
    expression="diag(Sigma~) == omega*g_j**2 + (1+omega)*sigma**2/B; offdiag(Sigma~) == -omega*g_i*g_j/(d-1)",
    method="symbolic",
    cost=(2.0, 6.0),
)
def randk_covariance(mode: str = "quick", *, diag_claim: sp.Expr | str = "omega*g_j**2 + (1 + omega)*sigma**2/B",
                     offdiag_claim: sp.Expr | str = "-omega/(d - 1)") -> Verdict:
    mom = randk_phi_moment()
    parts: dict[str, Verdict] = {}
    cases = ((3, 1), (4, 2), (5, 3)) if mode == "quick" else ((3, 1), (4, 2), (5, 3), (6, 2), (7, 4))
    for dd, kk in cases:
        brute, xs = randk_phi_moment_bruteforce(dd, kk)
        derived = sp.Matrix(dd, dd, lambda i, j: (mom.diag if i == j else mom.offdiag).subs({d: dd, k: kk}) * xs[i] * xs[j])
        diff = (brute - derived).applyfunc(sp.simplify)
        key = f"E[ΦΦᵀ] d={dd},k={kk}"
        parts[key] = (proved(key, "derived moment = enumeration of all k-subsets") if diff == sp.zeros(dd, dd) else
                      refuted(key, f"derived ≠ enumeration: {diff}", counterexample={"d": dd, "k": kk, "diff": str(diff)}))
    D, c = randk_sigma_tilde(True)
    diag_exact = sp.simplify(D + c * gj**2)
    parts["diagonal"] = equal(diag_exact, parse(diag_claim), what="diagonal of Σ̃",
                              claimed_text=f"diag Σ̃ = {parse(diag_claim)}")
    parts["off-diagonal"] = equal(sp.simplify(c), parse(offdiag_claim), what="off-diagonal coefficient of g_i g_j",
                                  claimed_text=f"offdiag Σ̃ = ({parse(offdiag_claim)}) g_i g_j")
    lim = sp.limit(sp.simplify(c) * d, d, sp.oo)
    parts["leading order"] = (proved("off-diagonal is O(1/d)", f"d · coefficient → {lim} (finite): the dropped term is "
                                     "O(ω/d) relative to the diagonal") if lim.is_finite else
                              refuted("off-diagonal is O(1/d)", f"d · coefficient → {lim}", counterexample={"limit": str(lim)}))
    import dataclasses

    v = combine("Rand-k Σ̃ closed form", parts, notes=f"Exact: Σ̃ = diag(D) + c g gᵀ, D = {D}, c = {c}. The leading-order "
                "form drops the off-diagonal −ω g_i g_j/(d−1); E f and Theorem 3 use only the trace, which it keeps exactly.")
    return dataclasses.replace(v, numbers={"diag": str(diag_exact), "offdiag_coef": str(sp.simplify(c)),
                                           "enumerated_cases": len(cases)})

