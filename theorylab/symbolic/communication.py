"""Communication cost of compressed distributed optimisation (lecture, seed ``004``).

Per round (He et al., NeurIPS 2023, quoted by the lecture as Proposition 1): any unbiased
compressor ``C ∈ U(ω)`` on ``R^d`` sends ``Ω(d/(1+ω))`` per round, and Rand-k (``ω = d/k − 1``,
so ``d/(1+ω) = k``) meets it. Rounds to accuracy ε: :mod:`theorylab.symbolic.lecture`'s
``optimal_compressed`` / ``optimal_uncompressed``. Total communication cost (TCC) =
per-round cost × rounds:

- compressed:   ``TCC_c = d/(1+ω) · [σ²/(μnε) + (1+ω)√(L/μ) ln(1/ε)]
                        = dσ²/((1+ω)μnε) + d√(L/μ) ln(1/ε)``
- uncompressed: ``TCC_u = d · [σ²/(μnε) + √(L/μ) ln(1/ε)]``.

With the noise term ``A = σ²/(μnε)`` and the optimisation term ``Bo = √(L/μ) ln(1/ε)`` and
``ρ = A/Bo``, the saving factor is

    ``S = TCC_u / TCC_c = (1 + ρ)(1+ω)/(ρ + 1 + ω)``,   ``S − 1 = ρω/(ρ + 1 + ω)``,

so ``1 ≤ S ≤ 1 + ω``; ``S → 1`` as ``ρ → 0`` (σ → 0: no saving) and ``S → 1 + ω`` as
``ρ → ∞`` (large noise or small ε). A saving by a factor ``F ∈ (1, 1+ω)`` needs
``ρ ≥ (F − 1)(1 + ω)/(1 + ω − F)``: compression saves only when the noise term dominates.
All of these are sympy expressions computed from the rates, not typed in.
"""

from __future__ import annotations

import sympy as sp

from .lecture import epsilon, get_rate, n
from .symbols import L, d, mu, omega, sigma

__all__ = [
    "per_round_lower_bound",
    "rounds",
    "tcc",
    "TCC_COMPRESSED_AS_STATED",
    "noise_term",
    "optimization_term",
    "rho",
    "saving_factor",
    "saving_in_rho",
    "required_rho",
    "F",
]

rho = sp.Symbol("rho", nonnegative=True)
F = sp.Symbol("F", positive=True)


def per_round_lower_bound(dim: sp.Expr = d, w: sp.Expr = omega) -> sp.Expr:
    """``d/(1+ω)``: the order of the fewest values (and bits, up to a constant) any U(ω)
    compressor must send per round (He et al. 2023, Prop. 1 in the lecture)."""
    return dim / (1 + w)


def rounds(compressed: bool = True) -> sp.Expr:
    """Optimal number of rounds to accuracy ε (lecture): with or without unbiased compression."""
    return get_rate("optimal_compressed" if compressed else "optimal_uncompressed").expr


def tcc(compressed: bool = True) -> sp.Expr:
    """Total communication cost = per-round cost × rounds (the lecture's first line, unsimplified)."""
    per_round = per_round_lower_bound() if compressed else d
    return per_round * rounds(compressed)


#: The lecture's simplified second line for the compressed TCC, as printed.
TCC_COMPRESSED_AS_STATED: sp.Expr = d * sigma**2 / ((1 + omega) * mu * n * epsilon) + d * sp.sqrt(L / mu) * sp.log(1 / epsilon)


def noise_term() -> sp.Expr:
    """``A = σ²/(μnε)``, the statistical term of the rounds."""
    return sigma**2 / (mu * n * epsilon)


def optimization_term() -> sp.Expr:
    """``Bo = √(L/μ) ln(1/ε)``, the optimisation (accelerated) term of the rounds."""
    return sp.sqrt(L / mu) * sp.log(1 / epsilon)


def saving_factor() -> sp.Expr:
    """``S = TCC_u/TCC_c`` in the paper's symbols."""
    return sp.simplify(tcc(False) / tcc(True))


def saving_in_rho() -> sp.Expr:
    """``S`` as a function of ``ρ = A/Bo`` and ω alone (computed by substituting σ² = ρ·Bo·μnε)."""
    S = saving_factor()
    sig2 = rho * optimization_term() * mu * n * epsilon
    return sp.simplify(S.subs(sigma, sp.sqrt(sig2)))


def required_rho(factor: sp.Expr = F) -> sp.Expr:
    """The smallest ``ρ`` for which compression saves at least ``factor`` (``1 < F < 1 + ω``):
    the root of ``S(ρ) = F`` (S is increasing in ρ)."""
    sols = sp.solve(sp.Eq(saving_in_rho(), factor), rho)
    if len(sols) != 1:
        raise ArithmeticError(f"expected one root of S(rho) = F, got {sols}")
    return sp.simplify(sols[0])
