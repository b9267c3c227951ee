"""The lecture's rate comparisons (Yuan, lecture 'Distributed Machine Learning (Part II)'; docs/theory.md#lecture-rates), from the sympy rates of
:mod:`theorylab.symbolic.lecture`.

Each check states one comparison the slides draw from the rates and proves it (limits,
differences with a sign) or refutes it at a point.
"""

from __future__ import annotations

import sympy as sp

from theorylab.symbolic.lecture import K, R, b, epsilon, get_rate, n, s, tau
from theorylab.symbolic.symbols import L, mu, omega

from ..check import check
from ..claims import equal, nonnegative, parse
from ..verdict import Verdict, combine

SRC = "Yuan, lecture 'Distributed Machine Learning (Part II)'"
ANCHOR = "; docs/theory.md#lecture-rates"
u = sp.Symbol("u", positive=True)  # epsilon = 1/(1+u) in (0, 1)
v = sp.Symbol("v", nonnegative=True)  # K = (1+v)^2 >= 1


def _rate(name: str) -> sp.Expr:
    return get_rate(name).expr


@check(
    id="lecture.local-sgd-vs-psgd",
    source=SRC + ", slide 'Local SGD convergence'" + ANCHOR,
    statement="With the same R rounds, local SGD's rate beats PSGD's: the ratio of the rates tends to "
    "1/√K as R → ∞, and without heterogeneity (b = 0) local SGD's rate is below PSGD's for every R",
    expression="limit(local_sgd/psgd_rounds, R, oo) == 1/sqrt(K); psgd_rounds - local_sgd|_{b=0} >= 0",
    method="symbolic",
    cost=(0.5, 0.5),
)
def local_vs_psgd(mode: str = "quick", *, limit_ratio: sp.Expr | str = 1 / sp.sqrt(K)) -> Verdict:
    ratio = sp.limit(_rate("local_sgd") / _rate("psgd_rounds"), R, sp.oo)
    parts = {
        "limit R->oo": equal(ratio, parse(limit_ratio), what="lim local/psgd"),
        "b=0, every R": nonnegative((_rate("psgd_rounds") - _rate("local_sgd").subs(b, 0)).subs(K, (1 + v) ** 2),
                                    claimed_text="local SGD's rate <= PSGD's when b = 0 (K = (1+v)^2 >= 1)", what="psgd - local"),
    }
    return combine("local SGD converges faster than PSGD with the same communication budget", parts,
                   notes="With b > 0 and few rounds the b^{2/3}/R^{2/3} term can make local SGD's rate the larger "
                   "one; the slide's claim holds asymptotically in R, uniformly only for b = 0.")


@check(
    id="lecture.minibatch-vs-local-sgd",
    source=SRC + ", slide 'Local SGD v.s. mini-batch parallel SGD'" + ANCHOR,
    statement="Local SGD's rate is worse than mini-batch PSGD's by the heterogeneity term b^{2/3}/R^{2/3}",
    expression="local_sgd - minibatch_psgd == b**(2/3)/R**(2/3) >= 0",
    method="symbolic",
    cost=(0.2, 0.2),
)
def minibatch_vs_local(mode: str = "quick", *, gap: sp.Expr | str = b ** sp.Rational(2, 3) / R ** sp.Rational(2, 3)) -> Verdict:
    d = sp.simplify(_rate("local_sgd") - _rate("minibatch_psgd"))
    return combine("mini-batch PSGD's rate <= local SGD's", {
        "gap": equal(d, parse(gap), what="local - minibatch"),
        "sign": nonnegative(d, claimed_text="local - minibatch >= 0", what="local - minibatch"),
    })


@check(
    id="lecture.scaffold-rates",
    source=SRC + ", slides 'Scaffold convergence', 'Convergence comparison', 'Client sampling'" + ANCHOR,
    statement="SCAFFOLD's rate equals mini-batch PSGD's (no superiority provable) and removes b; "
    "with client sampling s = n it reduces to full participation",
    expression="scaffold == minibatch_psgd; scaffold_sampling.subs(s, n) == scaffold",
    method="symbolic",
    cost=(0.2, 0.2),
)
def scaffold_rates(mode: str = "quick", *, scaffold: sp.Expr | str | None = None) -> Verdict:
    sc = _rate("scaffold") if scaffold is None else parse(scaffold)
    return combine("SCAFFOLD's rates", {
        "= minibatch": equal(sc, _rate("minibatch_psgd"), what="scaffold", claimed_text="SCAFFOLD rate = mini-batch rate"),
        "no b": equal(sp.diff(sc, b), 0, what="d scaffold/db", claimed_text="SCAFFOLD's rate does not depend on b"),
        "s = n": equal(_rate("scaffold_sampling").subs(s, n), sc, what="scaffold_sampling(s=n)",
                       claimed_text="client sampling with s = n reduces to SCAFFOLD"),
        "fewer clients slower": nonnegative(sp.diff(_rate("scaffold_sampling"), s).subs(s, n / (1 + u)) * -1,
                                            claimed_text="the rate decreases in s (fewer sampled clients, slower)",
                                            what="-d rate/ds"),
    })


@check(
    id="lecture.compressed-sgd-rate",
    source=SRC + ", slide 'Distributed compressed SGD: convergence property'" + ANCHOR,
    statement="Compressed SGD's rate reduces to PSGD's (T = K) without compression (ω = 0) and grows with ω",
    expression="compressed_sgd.subs(omega, 0) == psgd.subs(T, K); compressed_sgd(omega + dw) >= compressed_sgd(omega), dw >= 0",
    method="symbolic",
    cost=(0.3, 0.3),
)
def compressed_sgd_rate(mode: str = "quick", *, at_omega0: sp.Expr | str | None = None) -> Verdict:
    from theorylab.claims import inequality

    r = _rate("compressed_sgd")
    want = _rate("psgd").subs(sp.Symbol("T", positive=True, integer=True), K) if at_omega0 is None else parse(at_omega0)
    # monotone without a derivative (d/domega has sqrt(...) in its denominator, undefined where
    # sigma = 0 and b*omega = 0): r(omega + dw) >= r(omega) for every dw >= 0, decided exactly
    dw = sp.Symbol("dw", nonnegative=True)
    return combine("compressed SGD's rate", {
        "omega=0": equal(r.subs(omega, 0), want, what="compressed_sgd(omega=0)"),
        "monotone": inequality(r.subs(omega, omega + dw), ">=", r, what="rate(omega + dw) - rate(omega), dw >= 0",
                               claimed="the rate grows with omega"),
    })


@check(
    id="lecture.compression-needs-more-rounds",
    source=SRC + ", slide 'Compressed algorithms converge slower'" + ANCHOR,
    statement="With unbiased compression the optimal number of rounds exceeds the uncompressed one by "
    "ω√(L/μ) ln(1/ε) (ε < 1)",
    expression="optimal_compressed - optimal_uncompressed == omega*sqrt(L/mu)*log(1/epsilon) >= 0",
    method="symbolic",
    cost=(0.2, 0.2),
)
def more_rounds(mode: str = "quick", *, extra: sp.Expr | str = omega * sp.sqrt(L / mu) * sp.log(1 / epsilon)) -> Verdict:
    d = sp.simplify(_rate("optimal_compressed") - _rate("optimal_uncompressed"))
    return combine("compression needs more rounds", {
        "extra rounds": equal(d, parse(extra), what="compressed - uncompressed rounds"),
        "sign (eps<1)": nonnegative(sp.expand_log(d.subs(epsilon, 1 / (1 + u)), force=True),
                                    claimed_text="compressed rounds >= uncompressed rounds for eps in (0,1)",
                                    what="difference at eps = 1/(1+u)"),
    })


@check(
    id="lecture.local-steps-iid-quadratics",
    source=SRC + ", slide 'Provable benefits under additional assumptions'" + ANCHOR,
    statement="On IID quadratics local SGD with τ local steps needs fewer rounds than mini-batch SGD with batch τ "
    "(the optimisation term shrinks by τ); SCAFFOLD matches local SGD on non-IID quadratics",
    expression="quadratic_minibatch_sgd - quadratic_local_sgd == (1 - 1/tau)*(L/mu)*log(1/epsilon) >= 0",
    method="symbolic",
    cost=(0.2, 0.2),
)
def local_steps_quadratics(mode: str = "quick", *, gain: sp.Expr | str = (1 - 1 / tau) * L / mu * sp.log(1 / epsilon)) -> Verdict:
    d = sp.simplify(_rate("quadratic_minibatch_sgd") - _rate("quadratic_local_sgd"))
    return combine("local steps help on IID quadratics", {
        "gain": equal(d, parse(gain), what="minibatch - local rounds"),
        "sign (eps<1, tau>=1)": nonnegative(sp.expand_log(d.subs({epsilon: 1 / (1 + u), tau: 1 + sp.Symbol("v", nonnegative=True, integer=True)}), force=True),
                                            claimed_text="minibatch rounds >= local SGD rounds", what="difference"),
        "scaffold = local": equal(_rate("quadratic_scaffold"), _rate("quadratic_local_sgd"), what="SCAFFOLD rounds",
                                  claimed_text="SCAFFOLD's rounds on non-IID quadratics = local SGD's on IID ones"),
    })

