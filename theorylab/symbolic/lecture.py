"""The convergence rates quoted in the lecture *Distributed Machine Learning (Part II)*.

Source: Kun Yuan (Peking University), lecture 'Distributed Machine Learning (Part II)'; docs/theory.md#lecture-rates. Each rate is a sympy
expression: the expression inside ``O(·)``, ``Θ(·)`` or ``Õ(·)`` exactly as the lecture prints
it, with the quantity it bounds. Symbols:

``sigma`` gradient-noise standard deviation (``E‖∇F − ∇f_i‖² ≤ σ²``); ``n`` nodes; ``s``
sampled clients per round; ``T`` iterations of PSGD; ``K`` local steps per round (or
iterations of compressed SGD); ``R`` communication rounds; ``b`` gradient dissimilarity
(``(1/n) Σ‖∇f_i − ∇f‖² ≤ b²``); ``omega`` compression rate of an unbiased compressor
(``U(ω)``); ``mu``, ``L`` strong-convexity (PL) and smoothness constants; ``epsilon``
target accuracy; ``tau`` local steps or batch size in the quadratic table.

Rates (non-convex ones bound ``(1/T) Σ_k E‖∇f(x^k)‖²``, complexities count iterations or
rounds to reach accuracy ε):

==========================  ==================================================================
``psgd``                     ``O(σ/√(nT) + 1/T)``
``psgd_rounds``              ``O(σ/√(nR) + 1/R)``  (PSGD with ``R`` rounds, one step each)
``local_sgd``                ``O(σ/√(nKR) + b^{2/3}/R^{2/3} + 1/R)``
``minibatch_psgd``           ``O(σ/√(nKR) + 1/R)``
``scaffold``                 ``O(σ/√(nKR) + 1/R)``
``scaffold_sampling``        ``O(σ/√(sKR) + (n/s)^{2/3}/R)``
``compressed_sgd``           ``O(√(((1+ω)σ² + ωb²)/(nK)) + (1 + ω/n)/K)``
``optimal_compressed``       ``Θ(σ²/(μnε) + (1+ω)√(L/μ) ln(1/ε))``
``optimal_uncompressed``     ``Θ(σ²/(μnε) + √(L/μ) ln(1/ε))``
``quadratic_minibatch_sgd``  ``O(σ²/(nτμε) + (L/μ) log(1/ε))``  (IID quadratics, batch τ)
``quadratic_local_sgd``      ``O(σ²/(nτμε) + (L/(τμ)) log(1/ε))``  (IID quadratics, τ local steps)
``quadratic_scaffold``       ``Õ(σ²/(nτμε) + (L/(τμ)) log(1/ε))``  (non-IID quadratics)
==========================  ==================================================================

Misprint: the lecture typesets the optimal complexity as ``(1+ω)√((L/μ) ln(1/ε))``, with the
logarithm under the root. Accelerated methods need ``√(L/μ) ln(1/ε)`` iterations (the log
outside), as the accelerated-methods literature writes it; :data:`OPTIMAL_COMPRESSED_AS_TYPESET` keeps the typeset form
so that a check can tell the two apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from .symbols import L, d, mu, omega, sigma

__all__ = [
    "Rate",
    "RATES",
    "get_rate",
    "n",
    "s",
    "T",
    "K",
    "R",
    "b",
    "epsilon",
    "tau",
    "sigma",
    "omega",
    "mu",
    "L",
    "d",
    "OPTIMAL_COMPRESSED_AS_TYPESET",
]

n = sp.Symbol("n", positive=True, integer=True)
s = sp.Symbol("s", positive=True, integer=True)
T = sp.Symbol("T", positive=True, integer=True)
K = sp.Symbol("K", positive=True, integer=True)
R = sp.Symbol("R_rounds", positive=True, integer=True)
b = sp.Symbol("b", nonnegative=True)
epsilon = sp.Symbol("epsilon", positive=True)
tau = sp.Symbol("tau", positive=True, integer=True)

SOURCE = "Yuan, lecture 'Distributed Machine Learning (Part II)'; docs/theory.md#lecture-rates"
GRAD_NORM = "(1/T) sum_k E||grad f(x^k)||^2"


@dataclass(frozen=True)
class Rate:
    """A rate as printed: ``order(expr)`` bounds ``quantity``; ``source`` names the slide."""

    name: str
    expr: sp.Expr
    order: str  # "O", "Theta" or "O~"
    quantity: str
    source: str
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def latex(self) -> str:
        head = {"O": r"\mathcal{O}", "Theta": r"\Theta", "O~": r"\tilde{\mathcal{O}}"}[self.order]
        names = {R: "R", epsilon: r"\epsilon"}
        return rf"{head}\left({sp.latex(self.expr, symbol_names=names)}\right)"

    def text(self) -> str:
        return f"{self.order}({self.expr})"

    def evaluate(self, **values: float) -> float:
        """The expression at numeric values (``R=`` for rounds); every free symbol must be given."""
        subs = {}
        free = {str(x): x for x in self.expr.free_symbols}
        free.setdefault("R", R)
        for k_, v in values.items():
            key = "R_rounds" if k_ == "R" else k_
            if key not in free and k_ not in free:
                raise KeyError(f"{self.name} has no symbol {k_!r}; it has {sorted(map(str, self.expr.free_symbols))}")
            subs[free.get(key, free.get(k_))] = v
        missing = self.expr.free_symbols - set(subs)
        if missing:
            raise KeyError(f"{self.name}: give values for {sorted(map(str, missing))}")
        return float(self.expr.subs(subs))

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "expr": str(self.expr), "latex": self.latex(), "order": self.order,
                "quantity": self.quantity, "source": self.source, "assumptions": list(self.assumptions)}


_SMOOTH_VAR = ("each f_i L-smooth", "E[grad F] = grad f_i, E||grad F - grad f_i||^2 <= sigma^2")
_HET = _SMOOTH_VAR + ("(1/n) sum ||grad f_i - grad f||^2 <= b^2",)
_STRONG = ("f mu-strongly convex, L-smooth", "gradient noise variance sigma^2")


def _rates() -> dict[str, Rate]:
    rates = [
        Rate("psgd", sigma / sp.sqrt(n * T) + 1 / T, "O", GRAD_NORM, SOURCE + ", 'PSGD convergence'", _SMOOTH_VAR),
        Rate("psgd_rounds", sigma / sp.sqrt(n * R) + 1 / R, "O", GRAD_NORM.replace("T", "R"),
             SOURCE + ", 'Local SGD convergence' (PSGD with R rounds)", _SMOOTH_VAR),
        Rate("local_sgd", sigma / sp.sqrt(n * K * R) + b ** sp.Rational(2, 3) / R ** sp.Rational(2, 3) + 1 / R, "O",
             GRAD_NORM.replace("T", "R"), SOURCE + ", 'Local SGD convergence'", _HET),
        Rate("minibatch_psgd", sigma / sp.sqrt(n * K * R) + 1 / R, "O", GRAD_NORM.replace("T", "R"),
             SOURCE + ", 'Local SGD v.s. mini-batch parallel SGD'", _SMOOTH_VAR),
        Rate("scaffold", sigma / sp.sqrt(n * K * R) + 1 / R, "O", GRAD_NORM.replace("T", "R"),
             SOURCE + ", 'Scaffold convergence'", _SMOOTH_VAR),
        Rate("scaffold_sampling", sigma / sp.sqrt(s * K * R) + (n / s) ** sp.Rational(2, 3) / R, "O",
             GRAD_NORM.replace("T", "R"), SOURCE + ", 'Client sampling'", _SMOOTH_VAR + ("s of n clients sampled uniformly",)),
        Rate("compressed_sgd", sp.sqrt(((1 + omega) * sigma**2 + omega * b**2) / (n * K)) + (1 + omega / n) / K, "O",
             GRAD_NORM.replace("T", "K"), SOURCE + ", 'Distributed compressed SGD: convergence property'",
             _HET + ("independent unbiased compressors C in U(omega)",)),
        Rate("optimal_compressed", sigma**2 / (mu * n * epsilon) + (1 + omega) * sp.sqrt(L / mu) * sp.log(1 / epsilon),
             "Theta", "communication rounds to reach accuracy epsilon",
             SOURCE + ", 'Compressed algorithms converge slower' (log outside the root, see misprint)",
             _STRONG + ("unbiased compressors C in U(omega)",)),
        Rate("optimal_uncompressed", sigma**2 / (mu * n * epsilon) + sp.sqrt(L / mu) * sp.log(1 / epsilon), "Theta",
             "communication rounds to reach accuracy epsilon", SOURCE + ", 'Compressed algorithms converge slower'", _STRONG),
        Rate("quadratic_minibatch_sgd", sigma**2 / (n * tau * mu * epsilon) + L / mu * sp.log(1 / epsilon), "O",
             "rounds to accuracy epsilon", SOURCE + ", 'Provable benefits under additional assumptions' (IID quadratics)",
             ("quadratic f_i, same Hessian and minimiser",)),
        Rate("quadratic_local_sgd", sigma**2 / (n * tau * mu * epsilon) + L / (tau * mu) * sp.log(1 / epsilon), "O",
             "rounds to accuracy epsilon", SOURCE + ", 'Provable benefits under additional assumptions' (IID quadratics)",
             ("quadratic f_i, same Hessian and minimiser",)),
        Rate("quadratic_scaffold", sigma**2 / (n * tau * mu * epsilon) + L / (tau * mu) * sp.log(1 / epsilon), "O~",
             "rounds to accuracy epsilon", SOURCE + ", 'Provable benefits under additional assumptions' (non-IID quadratics)",
             ("quadratic f_i, same Hessian, different minimisers",)),
    ]
    return {r.name: r for r in rates}


RATES: Mapping[str, Rate] = _rates()

#: The optimal complexity with unbiased compression as the lecture typesets it (log under the root).
OPTIMAL_COMPRESSED_AS_TYPESET: sp.Expr = sigma**2 / (mu * n * epsilon) + (1 + omega) * sp.sqrt(L / mu * sp.log(1 / epsilon))


def get_rate(name: str) -> Rate:
    """The lecture rate called ``name`` (see the module table)."""
    try:
        return RATES[name]
    except KeyError:
        from ..errors import InvalidParameterError

        raise InvalidParameterError(f"unknown lecture rate {name!r}; known: {', '.join(RATES)}") from None

