"""Exponential divergence of Top-1 compressed GD on Beznosikov et al.'s 3-node example.

Beznosikov et al. (2020) (poster 'On Biased Compression for Distributed Learning', slide "Exponential
Divergence with Biased Compressor"); docs/theory.md#top1-divergence. With ``n = d = 3``,
``f_i(x) = ⟨a_i, x⟩² + ¼‖x‖²``, ``a₁ = (−3,2,2)``, ``a₂ = (2,−3,2)``, ``a₃ = (2,2,−3)`` and
``x⁰ = (t,t,t)``, distributed compressed GD ``x⁺ = x − (η/n) Σ_i Top1(∇f_i(x))`` gives
``x^k = (1 + 11η/6)^k x⁰`` for every ``η > 0``, although ``f`` is strongly convex with
``μ = 7/6``, ``L = 103/6``.

Proof method (exact, sympy): at ``x = (t,t,t)`` each gradient is ``t·c_i`` with a rational
vector ``c_i``; Top-1 keeps the entry of largest ``|c_ij|`` (the same for every ``t ≠ 0``,
and ``Top1(0) = 0`` under any tie rule). One step maps ``(t,t,t)`` to ``φ·(t,t,t)``; ``φ``
does not depend on ``t``, so by induction ``x^k = φ^k x⁰``. ``μ, L`` are the extreme
eigenvalues of the (constant) Hessian of ``f``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import sympy as sp

from theorylab.errors import TheorylabError

from ..check import check
from ..claims import parse
from ..verdict import Verdict, combine, proved, refuted

SOURCE = "Beznosikov et al. (2020), slide 'Exponential Divergence with Biased Compressor'; docs/theory.md#top1-divergence"
A_VECTORS: tuple[tuple[int, int, int], ...] = ((-3, 2, 2), (2, -3, 2), (2, 2, -3))

eta = sp.Symbol("eta", positive=True)
t = sp.Symbol("t", real=True)


def _grads(a_vectors: Sequence[Sequence[int]], x: sp.Matrix) -> list[sp.Matrix]:
    """∇f_i(x) = 2 a_i ⟨a_i, x⟩ + x/2, from the symbolic f_i (differentiated, not typed)."""
    xs = sp.symbols("x1:%d" % (len(x) + 1), real=True)
    X = sp.Matrix(xs)
    out = []
    for a in a_vectors:
        A = sp.Matrix(a)
        fi = (A.dot(X)) ** 2 + sp.Rational(1, 4) * X.dot(X)
        g = sp.Matrix([sp.diff(fi, v) for v in xs])
        out.append(g.subs(dict(zip(xs, x, strict=True))))
    return out


def _top1_all_rules(v: sp.Matrix) -> tuple[list[sp.Matrix], list[int]]:
    """Top-1 of ``v = t·c`` (c rational) under every tie rule among the maximisers of |c_j|.

    Returns the candidate outputs (one per index a tie rule may pick) and the maximising indices.
    """
    c = [sp.simplify(e / t) for e in v]
    if any(e.has(t) for e in c):
        raise TheorylabError("internal: gradient is not linear in t along (t,t,t); the example changed")
    mags = [abs(e) for e in c]
    top = max(mags)
    idx = [j for j, m in enumerate(mags) if m == top]
    outs = []
    for j in idx:
        w = sp.zeros(len(v), 1)
        w[j] = v[j]
        outs.append(w)
    return outs, idx


def one_step(a_vectors: Sequence[Sequence[int]] = A_VECTORS) -> dict:
    """The exact image of ``(t,t,t)`` under one Top-1 compressed GD step, for every tie rule."""
    n = len(a_vectors)
    x = sp.Matrix([t] * len(a_vectors[0]))
    grads = _grads(a_vectors, x)
    per_agent = [_top1_all_rules(g) for g in grads]
    images = []
    for choice in itertools.product(*[outs for outs, _ in per_agent]):
        s = sum(choice, sp.zeros(len(x), 1))
        images.append(sp.simplify(x - eta / n * s))
    return {"x": x, "grads": grads, "ties": [idx for _, idx in per_agent], "images": images}


@check(
    id="beznosikov.top1-divergence",
    source=SOURCE,
    statement="Distributed GD with Top-1 compression on the 3-node example started at (t,t,t) "
    "satisfies x^k = (1 + 11η/6)^k x⁰ for every η > 0, hence diverges",
    expression="x^k == (1 + 11*eta/6)**k * x0,  x0 = (t,t,t), for all eta > 0, k >= 0",
    method="symbolic",
    cost=(0.5, 0.5),
)
def top1_divergence(mode: str = "quick", *, factor: sp.Expr | str = 1 + sp.Rational(11, 6) * eta,
                    a_vectors: Sequence[Sequence[int]] = A_VECTORS) -> Verdict:
    claimed_phi = parse(factor, eta=eta)
    claimed = f"x^k = ({claimed_phi})^k x0 for all eta > 0 (a_i = {list(a_vectors)})"
    step = one_step(a_vectors)
    x = step["x"]
    tie_sizes = [len(i) for i in step["ties"]]
    # the image must be a multiple of (t,t,t) with one factor for every tie rule
    phis = set()
    for img in step["images"]:
        ratios = {sp.simplify(img[j] / x[j]) for j in range(len(x))}
        if len(ratios) != 1:
            return refuted(claimed, f"one step leaves the ray (t,t,t): image {list(img)}",
                           counterexample={"t": 1, "eta": 1, "x1": [str(e.subs({t: 1, eta: 1})) for e in img]},
                           numbers={"tie_sizes": tie_sizes})
        phis.add(ratios.pop())
    if len(phis) != 1:
        return refuted(claimed, f"the step factor depends on the tie rule: {sorted(map(str, phis))}",
                       counterexample={"tie_sets": step["ties"], "factors": sorted(map(str, phis))},
                       numbers={"tie_sizes": tie_sizes})
    phi = phis.pop()
    diff = sp.simplify(phi - claimed_phi)
    numbers = {"phi": str(phi), "tie_sizes_top": tie_sizes, "phi-1 at eta=1": str(phi.subs(eta, 1) - 1)}
    notes = (f"Top-1 maximisers per agent: {step['ties']} (a unique maximiser each, so no tie rule is "
             "needed; the tied smaller entries matter only for Top-2). At t = 0 all gradients vanish and "
             "Top1(0) = 0 under any tie rule, so the step formula holds for every real t; φ is free of t, "
             "hence induction gives x^k = φ^k x0.")
    if diff != 0:
        eta_val = next((v for v in (1, 2, sp.Rational(1, 2), 3) if diff.subs(eta, v) != 0), 1)
        return refuted(claimed, f"one step multiplies x by {phi}, not by {claimed_phi}",
                       counterexample={"eta": str(eta_val), "t": 1, "x0": [1, 1, 1],
                                       "x1_computed": str(phi.subs(eta, eta_val)),
                                       "x1_claimed": str(claimed_phi.subs(eta, eta_val))},
                       numbers=numbers, notes=notes)
    # divergence for every eta > 0: phi > 1 follows from positivity of phi - 1 under eta > 0
    grows = sp.ask(sp.Q.positive(sp.simplify(phi - 1)), sp.Q.positive(eta))
    if grows is not True:
        return refuted(claimed, f"φ = {phi} is not > 1 for every η > 0",
                       counterexample={"phi": str(phi)}, numbers=numbers, notes=notes)
    return proved(claimed, f"one exact step maps (t,t,t) to ({phi})(t,t,t) for every tie rule; "
                  f"φ − 1 = {sp.simplify(phi - 1)} > 0 for η > 0, so ‖x^k‖ = φ^k‖x0‖ → ∞",
                  numbers=numbers, notes=notes)


@check(
    id="beznosikov.top1-example-constants",
    source=SOURCE,
    statement="The 3-node example's f = (1/3) Σ f_i is μ-strongly convex and L-smooth with μ = 7/6, L = 103/6",
    expression="eigenvalues(hessian(f)) == {7/6, 103/6}",
    method="symbolic",
    cost=(0.3, 0.3),
)
def top1_example_constants(mode: str = "quick", *, mu: sp.Expr | str = sp.Rational(7, 6),
                           L: sp.Expr | str = sp.Rational(103, 6),
                           a_vectors: Sequence[Sequence[int]] = A_VECTORS) -> Verdict:
    mu_c, L_c = sp.nsimplify(parse(mu)), sp.nsimplify(parse(L))
    xs = sp.symbols("x1:4", real=True)
    X = sp.Matrix(xs)
    f = sum(((sp.Matrix(a).dot(X)) ** 2 + sp.Rational(1, 4) * X.dot(X) for a in a_vectors), sp.S.Zero) / len(a_vectors)
    H = sp.hessian(f, xs)
    eig = H.eigenvals()
    lo, hi = min(eig), max(eig)
    claimed = f"mu = {mu_c}, L = {L_c}"
    numbers = {"mu": str(lo), "L": str(hi), "eigenvalues": {str(k): v for k, v in eig.items()}}
    parts = {}
    for name, got, want in (("mu", lo, mu_c), ("L", hi, L_c)):
        if sp.simplify(got - want) == 0:
            parts[name] = proved(f"{name} = {want}", f"{name} = {got}")
        else:
            parts[name] = refuted(f"{name} = {want}", f"{name} = {got} (exact eigenvalue)",
                                  counterexample={"hessian": str(H.tolist()), name: str(got)})
    v = combine(claimed, parts, notes="Hessian = (2/3) Σ a_i a_iᵀ + I/2 = (2/3)(25 I − 8 J) + I/2; "
                "(1,1,1) is the μ-eigenvector, so exact GD contracts x0 = (t,t,t) by 1 − 7η/6 while Top-1 expands it.")
    return dataclasses.replace(v, numbers=numbers)
