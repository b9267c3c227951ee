"""Total communication cost with and without compression (Yuan, lecture 'Distributed Machine Learning (Part II)'; docs/theory.md#communication-cost).

Formulas come from :mod:`theorylab.symbolic.communication` (per-round cost × rounds); this
module checks the lecture's algebra and its conclusion that compression saves total
communication only when the noise term ``σ²/(μnε)`` dominates.
"""

from __future__ import annotations

import sympy as sp

from theorylab.symbolic import communication as comm
from theorylab.symbolic.lecture import epsilon
from theorylab.symbolic.symbols import omega, sigma

from ..check import check
from ..claims import equal, nonnegative, parse
from ..verdict import Verdict, combine

SOURCE = "Yuan, lecture 'Distributed Machine Learning (Part II)', slides 'Optimal total communication cost' and 'Compression v.s. non-compression'; docs/theory.md#communication-cost"


@check(
    id="lecture.tcc-algebra",
    source=SOURCE,
    statement="The compressed total communication cost d/(1+ω)·[σ²/(μnε) + (1+ω)√(L/μ) ln(1/ε)] "
    "simplifies to dσ²/((1+ω)μnε) + d√(L/μ) ln(1/ε)",
    expression="d/(1+omega)*(sigma**2/(mu*n*epsilon) + (1+omega)*sqrt(L/mu)*log(1/epsilon)) "
    "== d*sigma**2/((1+omega)*mu*n*epsilon) + d*sqrt(L/mu)*log(1/epsilon)",
    method="symbolic",
    cost=(0.2, 0.2),
)
def tcc_algebra(mode: str = "quick", *, stated: sp.Expr | None = None) -> Verdict:
    stated = comm.TCC_COMPRESSED_AS_STATED if stated is None else parse(stated)
    return equal(sp.simplify(comm.tcc(True)), stated, what="per-round cost × rounds",
                 claimed_text=f"TCC_compressed = {stated}")


@check(
    id="lecture.compression-saves-when-noise-dominates",
    source=SOURCE,
    statement="Compression saves total communication when σ is large or ε small (the noise term σ²/(μnε) "
    "dominates) and does not when σ → 0; the saving factor S = TCC_u/TCC_c lies in [1, 1+ω]",
    expression="S = (1+rho)(1+omega)/(rho+1+omega), rho = (sigma^2/(mu n eps))/(sqrt(L/mu) ln(1/eps)); "
    "S(sigma->0) = 1; S(sigma->oo) = S(eps->0) = 1+omega",
    method="symbolic",
    cost=(1.5, 1.5),
)
def compression_saves(mode: str = "quick", *, limit_sigma_to_0: sp.Expr | str = 1,
                      limit_noise_dominates: sp.Expr | str = 1 + omega) -> Verdict:
    S = comm.saving_factor()
    Sr = comm.saving_in_rho()
    lim0 = parse(limit_sigma_to_0)
    limoo = parse(limit_noise_dominates)
    parts: dict[str, Verdict] = {}
    parts["S>=1"] = nonnegative(Sr - 1, claimed_text="S >= 1 (compression never costs more, at the Θ level)",
                                what="S - 1")
    parts["S<=1+omega"] = nonnegative(1 + omega - Sr, claimed_text="S <= 1 + omega", what="1 + omega - S")
    parts["sigma->0"] = equal(sp.limit(S, sigma, 0, "+"), lim0, what="lim_{σ→0} S",
                              claimed_text=f"σ → 0: S → {lim0} (no saving)")
    parts["sigma->oo"] = equal(sp.limit(S, sigma, sp.oo), limoo, what="lim_{σ→∞} S",
                               claimed_text=f"σ → ∞: S → {limoo}")
    parts["eps->0"] = equal(sp.limit(S, epsilon, 0, "+"), limoo, what="lim_{ε→0} S",
                            claimed_text=f"ε → 0: S → {limoo}")
    r = comm.required_rho()
    parts["rho*(F)>0"] = nonnegative(sp.factor(r).subs(comm.F, 1 + comm.F * omega / (1 + comm.F)),
                                     claimed_text="a saving factor F in (1, 1+ω) needs ρ >= ρ*(F) > 0",
                                     what="rho*(F) on F in (1, 1+omega)")
    v = combine("compression saves total communication exactly when the noise term dominates", parts,
                notes=f"S(rho) = {Sr}; S - 1 = {sp.simplify(Sr - 1)}; saving F needs rho >= {r} "
                "(→ ∞ as F → 1+ω). At the Θ level S >= 1 always: without noise the costs are equal, "
                "the saving grows with ρ = noise term / optimisation term.")
    return v
