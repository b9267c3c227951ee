"""The paper's symbols, declared once with their meaning, domain and LaTeX.

Names follow Compagnoni, Islamov, Proske, Lucchi (AISTATS 2025):
``eta, L, mu, d, N, sigma, B, omega, nu, ell, t, gap0`` (``gap0 = f(X_0) - f^*``) and the
scaling factors ``kappa, delta, beta, alpha`` (``eta -> kappa eta``, ``B -> delta B``,
``omega -> beta omega``, ``N -> alpha N``).

Assumptions are attached where they are part of the definition (a step size is positive, a
compression rate is non-negative). Gradient coordinates are ``real=True`` only: declaring
them positive would silently turn ``sign(g)`` into 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = [
    "SymbolInfo",
    "SYMBOLS",
    "symbol",
    "symbol_info",
    "latex_names",
    "grad_symbols",
    "agent_symbols",
    "eta",
    "L",
    "mu",
    "d",
    "N",
    "sigma",
    "B",
    "omega",
    "nu",
    "ell",
    "t",
    "gap0",
    "kappa",
    "delta",
    "beta",
    "alpha",
    "Delta",
    "k",
    "R",
    "gj",
    "gi",
    "gnorm",
    "x",
    "m",
    "lam",
    "zeta",
    "varpi",
]


@dataclass(frozen=True)
class SymbolInfo:
    """One paper symbol: the sympy symbol, its meaning, its domain and its LaTeX."""

    name: str
    symbol: sp.Symbol
    meaning: str
    domain: str
    latex: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "meaning": self.meaning, "domain": self.domain, "latex": self.latex}


def _decl(name: str, meaning: str, domain: str, latex: str, **assumptions: bool) -> sp.Symbol:
    s = sp.Symbol(name, **assumptions)
    SYMBOLS[name] = SymbolInfo(name, s, meaning, domain, latex)
    return s


SYMBOLS: dict[str, SymbolInfo] = {}

eta = _decl("eta", "learning rate (step size)", "eta > 0", r"\eta", positive=True)
L = _decl("L", "smoothness constant of f (L-smooth)", "L > 0", "L", positive=True)
mu = _decl("mu", "Polyak-Lojasiewicz constant of f (mu-PL)", "0 < mu <= L", r"\mu", positive=True)
d = _decl("d", "dimension of the parameter x", "integer d >= 1", "d", positive=True, integer=True)
N = _decl("N", "number of agents (clients, workers)", "integer N >= 1", "N", positive=True, integer=True)
sigma = _decl("sigma", "gradient-noise scale per sample (Tr Sigma_i <= d sigma^2; t-noise scale)",
              "sigma >= 0", r"\sigma", nonnegative=True)
B = _decl("B", "batch size", "B > 0", "B", positive=True)
omega = _decl("omega", "compression rate of an unbiased compressor, C in U(omega)", "omega >= 0",
              r"\omega", nonnegative=True)
nu = _decl("nu", "degrees of freedom of the Student-t noise (nu = oo: Gaussian)", "nu > 0",
           r"\nu", positive=True)
ell = _decl("ell", "drift constant l_nu of Theorem 4 (candidate A: 2 M_nu; B: 2 Xi_nu(R)/R)",
            "ell > 0", r"\ell_{\nu}", positive=True)
t = _decl("t", "SDE time (t = oo: asymptotic level)", "t >= 0", "t", nonnegative=True)
gap0 = _decl("gap0", "initial optimality gap f(X_0) - f^*", "gap0 >= 0", r"\left(f(X_0) - f^*\right)",
             nonnegative=True)
kappa = _decl("kappa", "learning-rate scaling factor, eta -> kappa eta", "kappa > 0", r"\kappa", positive=True)
delta = _decl("delta", "batch-size scaling factor, B -> delta B", "delta > 0", r"\delta", positive=True)
beta = _decl("beta", "compression-rate scaling factor, omega -> beta omega", "beta > 0", r"\beta", positive=True)
alpha = _decl("alpha", "agent-number scaling factor, N -> alpha N", "alpha > 0", r"\alpha", positive=True)
Delta = _decl("Delta", "rate factor of the bound (Theorem 3: 1 - eta L^2 omega/(2 mu N); "
              "Theorem 4: ell sqrt(B)/sigma)", "Delta > 0", r"\Delta", real=True)
k = _decl("k", "number of coordinates kept by Rand-k", "integer 1 <= k <= d", "k", positive=True, integer=True)
R = _decl("R", "radius of the region |Sigma^{-1/2} grad f| <= R (ell candidate B)", "R > 0", "R", positive=True)
gj = _decl("g_j", "coordinate j of the gradient grad f(X_t)", "real", "g_j", real=True)
gi = _decl("g_i", "coordinate i != j of the gradient grad f(X_t)", "real", "g_i", real=True)
gnorm = _decl("gnorm", "Euclidean norm ||grad f(X_t)|| of the gradient (QSGD's second moment)", "gnorm >= 0",
              r"\|g\|", nonnegative=True)
x = _decl("x", "real argument of Xi_nu", "real", "x", real=True)
m = _decl("m", "m(t) = E[f(X_t) - f^*], the expected optimality gap", "m >= 0", "m", nonnegative=True)
lam = _decl("lam", "scaling of a compressor, C -> lambda C", "lambda > 0", r"\lambda", positive=True)
zeta = _decl("zeta", "Beznosikov's U(zeta) constant, zeta = 1 + omega", "zeta >= 1", r"\zeta", positive=True)
varpi = _decl("varpi", "mean compression rate (1/N) sum_i omega_i of heterogeneous agents", "varpi >= 0",
              r"\varpi", nonnegative=True)


def symbol(name: str) -> sp.Symbol:
    """The canonical symbol called ``name`` (``"eta"``, ``"gap0"``, ...)."""
    return symbol_info(name).symbol


def symbol_info(name: str) -> SymbolInfo:
    """Meaning, domain and LaTeX of the canonical symbol ``name``."""
    from ..errors import InvalidParameterError

    try:
        return SYMBOLS[name]
    except KeyError:
        raise InvalidParameterError(
            f"unknown symbol {name!r}; known symbols: {', '.join(sorted(SYMBOLS))}"
        ) from None


def latex_names() -> dict[sp.Symbol, str]:
    """``symbol_names`` mapping for :func:`sympy.latex` (paper notation)."""
    return {info.symbol: info.latex for info in SYMBOLS.values()}


def grad_symbols(dim: int, name: str = "g") -> tuple[sp.Symbol, ...]:
    """Gradient coordinates ``g_1, ..., g_dim`` (``real=True``, never positive)."""
    return tuple(sp.Symbol(f"{name}_{j + 1}", real=True) for j in range(int(dim)))


def agent_symbols(base: str, n_agents: int) -> tuple[sp.Symbol, ...]:
    """Per-agent copies ``base_1, ..., base_n`` of a canonical symbol, same assumptions.

    ``agent_symbols("omega", 3)`` gives ``omega_1, omega_2, omega_3`` (non-negative).
    """
    info = symbol_info(base)
    assumptions = {k_: v for k_, v in info.symbol.assumptions0.items() if k_ in
                   ("positive", "nonnegative", "real", "integer")}
    return tuple(sp.Symbol(f"{base}_{i + 1}", **assumptions) for i in range(int(n_agents)))
