"""Phenomena of the lecture (Yuan, lecture 'Distributed Machine Learning (Part II)'; docs/theory.md#lecture-phenomena) with closed forms on quadratics, checked exactly.

- *Heterogeneity drift of local SGD.* With ``f_i(x) = (a_i/2)(x − c_i)²`` and K local GD steps
  of size η, one round maps ``x ↦ mean_i(c_i + q_i(x − c_i))``, ``q_i = (1 − ηa_i)^K``, whose fixed
  point ``x̄_K = Σc_i(1 − q_i)/Σ(1 − q_i)`` differs from ``x* = Σa_ic_i/Σa_i`` as soon as K >= 2
  (equal for K = 1: it is GD) and the drift grows with K. SCAFFOLD (option II control variates,
  lecture slide 'Scaffold algorithm') has ``x*`` as its fixed point.
  Exact rational arithmetic (sympy) and an exact SCAFFOLD iteration.
- *Independent compressors vs one shared mask* (the lecture's compression slides): the average of N independent
  Rand-k copies of the same vector has error ``E‖(1/N)ΣC_i(g) − g‖² = ω‖g‖²/N``; with one shared
  random mask it is ``ω‖g‖²`` — only independence averages the compression noise away.
  Exact enumeration of every joint outcome.
"""

from __future__ import annotations

import itertools
from fractions import Fraction as Q
from math import comb

import numpy as np
import sympy as sp

from ..check import check
from ..claims import parse
from ..verdict import Verdict, combine, holds, proved, refuted

SRC = "Yuan, lecture 'Distributed Machine Learning (Part II)', slides 'Local SGD v.s. Scaffold', 'Scaffold algorithm'; docs/theory.md#lecture-phenomena"


def local_sgd_fixed_point(a, c, eta, K) -> sp.Rational:
    q = [(1 - eta * ai) ** K for ai in a]
    return sum(ci * (1 - qi) for ci, qi in zip(c, q, strict=True)) / sum(1 - qi for qi in q)


def scaffold_run(a, c, eta, K, rounds: int) -> sp.Rational:
    """Exact SCAFFOLD (full participation, global step 1, option II: c_i+ = c_i − c + (x − y_i)/(Kη))."""
    n = len(a)
    x = sp.Integer(0)
    ci = [sp.Integer(0)] * n
    cg = sp.Integer(0)
    for _ in range(rounds):
        ys = []
        for i in range(n):
            y = x
            for _k in range(K):
                y = y - eta * (a[i] * (y - c[i]) - ci[i] + cg)
            ys.append(y)
        new_ci = [ci[i] - cg + (x - ys[i]) / (K * eta) for i in range(n)]
        x = sum(ys) / n
        ci = new_ci
        cg = sum(ci) / n
    return x


@check(
    id="lecture.local-sgd-drift",
    source=SRC,
    statement="Under heterogeneity local SGD's fixed point drifts from x* for K >= 2 local steps, growing with K "
    "(K = 1 is GD: no drift); SCAFFOLD's fixed point is x*",
    expression="xbar_K == x* iff K == 1; |xbar_K - x*| increasing in K; SCAFFOLD iterates -> x*",
    method="exact",
    cost=(1.0, 2.0),
)
def local_sgd_drift(mode: str = "quick", *, claimed_drift_free_K: tuple[int, ...] = (1,)) -> Verdict:
    a = [sp.Integer(1), sp.Integer(3)]
    c = [sp.Integer(0), sp.Integer(1)]
    eta = sp.Rational(1, 10)
    xstar = sum(ai * ci for ai, ci in zip(a, c, strict=True)) / sum(a)
    Ks = (1, 2, 5, 10, 20)
    drift = {K: local_sgd_fixed_point(a, c, eta, K) - xstar for K in Ks}
    parts: dict[str, Verdict] = {}
    for K in Ks:
        key = f"K={K}"
        zero = drift[K] == 0
        want_zero = K in claimed_drift_free_K
        txt = f"fixed point {local_sgd_fixed_point(a, c, eta, K)} vs x* = {xstar}: drift {drift[K]} ≈ {float(drift[K]):.4g}"
        parts[key] = (proved(key, txt) if zero == want_zero else
                      refuted(key, txt + (" (claimed none)" if want_zero else " (claimed a drift)"),
                              counterexample={"a": [1, 3], "c": [0, 1], "eta": "1/10", "K": K, "drift": str(drift[K])}))
    inc = all(abs(drift[k2]) > abs(drift[k1]) for k1, k2 in zip(Ks[1:], Ks[2:], strict=False))
    parts["drift grows with K"] = (proved("drift grows with K", f"|drift| = {[f'{float(abs(drift[k])):.4g}' for k in Ks]}")
                                   if inc else refuted("drift grows with K", f"|drift| = {[float(abs(drift[k])) for k in Ks]}",
                                                       counterexample={"drifts": [str(drift[k]) for k in Ks]}))
    K = 5
    xs = scaffold_run(a, c, eta, K, rounds=60 if mode == "quick" else 200)
    err = abs(float(xs - xstar))
    parts["SCAFFOLD -> x*"] = (proved("SCAFFOLD removes the drift", f"after the rounds |x − x*| = {err:.3e} "
                                      f"(local SGD's drift at K={K}: {float(abs(drift[K])):.4g})")
                               if err < 1e-10 else
                               refuted("SCAFFOLD removes the drift", f"|x − x*| = {err:.3e}", counterexample={"K": K, "err": err}))
    import dataclasses

    v = combine("local SGD drifts, SCAFFOLD does not", parts,
                notes="f_i = (a_i/2)(x − c_i)², a = (1, 3), c = (0, 1), η = 1/10; exact rationals.")
    return dataclasses.replace(v, numbers={f"drift_K={k}": float(drift[k]) for k in Ks} | {"scaffold_err": err})


@check(
    id="lecture.independent-vs-shared-mask",
    source="Yuan, lecture 'Distributed Machine Learning (Part II)', compressed-communication slides (independent compressors across agents save communication where a shared random mask does not); docs/theory.md#lecture-phenomena",
    statement="Averaging N independent Rand-k compressions of the same vector divides the error by N "
    "(ω‖g‖²/N); one shared random mask does not (ω‖g‖²)",
    expression="E||mean_i C_i(g) - g||^2 == omega*||g||^2/N (independent), == omega*||g||^2 (shared mask)",
    method="exact",
    cost=(0.5, 1.0),
)
def independent_vs_shared(mode: str = "quick", *, independent_factor: str = "1/N", shared_factor: str = "1") -> Verdict:
    parts: dict[str, Verdict] = {}
    g = [Q(3), Q(-1), Q(2), Q(1)]
    d = len(g)
    g2 = sum(v * v for v in g)
    for k, N in ((1, 2), (2, 2), (1, 3)):
        omega = Q(d, k) - 1
        masks = list(itertools.combinations(range(d), k))
        comp = lambda S: [Q(d, k) * g[j] if j in S else Q(0) for j in range(d)]  # noqa: E731
        err = lambda m: sum((m[j] - g[j]) ** 2 for j in range(d))  # noqa: E731
        ind = Q(0)
        for choice in itertools.product(masks, repeat=N):
            cs = [comp(S) for S in choice]
            ind += err([sum(c[j] for c in cs) / N for j in range(d)])
        ind /= comb(d, k) ** N
        shared = sum(err(comp(S)) for S in masks) / comb(d, k)
        Ns = sp.Symbol("N")
        fi = Q(str(sp.Rational(parse(independent_factor, N=Ns).subs(Ns, N))))
        fs = Q(str(sp.Rational(parse(shared_factor, N=Ns).subs(Ns, N))))
        for name, got, fac in (("independent", ind, fi), ("shared", shared, fs)):
            key = f"{name}, k={k}, N={N}"
            want = omega * g2 * fac
            parts[key] = (proved(key, f"E error = {got} = ω‖g‖²·{fac}") if got == want else
                          refuted(key, f"E error = {got}, claimed {want}", counterexample={"g": [3, -1, 2, 1], "k": k, "N": N,
                                                                                          "exact": str(got), "claimed": str(want)}))
    return combine("independence averages compression noise; a shared mask does not", parts,
                   notes="g = (3, −1, 2, 1), Rand-k scaled, every joint mask outcome enumerated.")


def ring_mixing(n: int) -> sp.Matrix:
    """Symmetric doubly stochastic ring: w_ii = 1/3, w_{i,i±1} = 1/3 (exact rationals)."""
    W = sp.zeros(n, n)
    for i in range(n):
        W[i, i] = sp.Rational(1, 3)
        W[i, (i + 1) % n] += sp.Rational(1, 3)
        W[i, (i - 1) % n] += sp.Rational(1, 3)
    return W


@check(
    id="lecture.dsgd-consensus-vs-spectral-gap",
    source="Yuan, lecture 'Distributed Machine Learning (Part II)', slide 'Decentralized SGD' (DSGD's consensus error grows as the spectral gap "
    "1 − ρ shrinks); docs/theory.md#lecture-phenomena",
    statement="For DSGD x ← Wx − γ∇F(x) on heterogeneous quadratics f_i = ½(x − c_i)², the fixed point's consensus "
    "error grows as the spectral gap 1 − ρ of the ring shrinks (n = 4, 8, 16, 32)",
    expression="consensus(x_fix(W_n)) increasing in n while 1 - rho(W_n) decreasing; x_fix = gamma (I - W + gamma I)^{-1} c",
    method="exact",
    cost=(1.0, 2.0),
)
def dsgd_consensus(mode: str = "quick", *, claimed_direction: str = "grows") -> Verdict:
    gamma = sp.Rational(1, 20)
    rows = []
    for n in (4, 8, 16, 32):
        W = ring_mixing(n)
        c = sp.Matrix([1 if i < n // 2 else -1 for i in range(n)])  # two halves: b² = 1 for every n
        xfix = (sp.eye(n) - W + gamma * sp.eye(n)).LUsolve(gamma * c)
        # fixed point of the iteration, checked by one exact step
        assert (W * xfix - gamma * (xfix - c) - xfix).applyfunc(sp.simplify) == sp.zeros(n, 1)
        mean = sum(xfix) / n
        cons = sum((v - mean) ** 2 for v in xfix) / n
        J = sp.ones(n, n) / n
        rho = float(np.max(np.abs(np.linalg.eigvalsh(np.array((W - J).tolist(), dtype=float)))))
        rows.append((n, float(1 - rho), float(cons)))
    gaps = [r[1] for r in rows]
    cons = [r[2] for r in rows]
    grows = all(b > a for a, b in zip(cons, cons[1:], strict=False)) and all(b < a for a, b in zip(gaps, gaps[1:], strict=False))
    claim = f"consensus error {claimed_direction} as the spectral gap shrinks"
    ok = grows if claimed_direction == "grows" else not grows
    txt = "; ".join(f"n={n}: 1−ρ={g:.4g}, consensus={cval:.4g}" for n, g, cval in rows)
    nums = {f"gap_n={n}": g for n, g, _ in rows} | {f"consensus_n={n}": cval for n, _, cval in rows}
    if ok:
        return proved(claim, txt + " (exact fixed points)", numbers=nums,
                      notes="Ring W (1/3 on self and neighbours), c = (1,…,1,−1,…,−1), γ = 1/20; exact rational solves.")
    return refuted(claim, txt, counterexample={"rows": rows}, numbers=nums)


def _sampling_runs(n: int, s: int, K: int, eta: float, rounds: int, reps: int, seed: int,
                   algorithm: str) -> np.ndarray:
    """Final errors x − x* of FedAvg or SCAFFOLD (option II, global step 1) with s of n clients sampled
    uniformly per round, on f_i = ½(x − c_i)² (same curvature: no client drift, only sampling), batched
    over replicas."""
    rng = np.random.default_rng(seed)
    c = np.linspace(-1.0, 1.0, n)
    xstar = c.mean()
    x = np.zeros(reps)
    ci = np.zeros((reps, n))
    cg = np.zeros(reps)
    rows = np.arange(reps)[:, None]
    for _ in range(rounds):
        S = np.argsort(rng.random((reps, n)), axis=1)[:, :s]  # uniform s-subsets, one per replica
        cs = c[S]
        y = np.repeat(x[:, None], s, axis=1)
        for _k in range(K):
            g = y - cs
            if algorithm == "scaffold":
                g = g - ci[rows, S] + cg[:, None]
            y = y - eta * g
        if algorithm == "scaffold":
            new = ci[rows, S] - cg[:, None] + (x[:, None] - y) / (K * eta)
            delta_c = (new - ci[rows, S]).sum(axis=1) / n
            ci[rows, S] = new
            cg = cg + delta_c
        x = y.mean(axis=1)
    return x - xstar


@check(
    id="lecture.client-sampling-floor",
    source="Yuan, lecture 'Distributed Machine Learning (Part II)', slides 'Client sampling', 'Scaffold' (client sampling adds a floor "
    "that SCAFFOLD removes); docs/theory.md#lecture-phenomena",
    statement="With s < n clients sampled per round, FedAvg stalls at an error floor E(x − x*)² = (1−q)V/(1+q) "
    "(q = (1−η)^K, V = Var(c̄_S)) even without client drift; SCAFFOLD converges to x*",
    expression="E e_FedAvg^2 -> (1-q)*V/(1+q) > 0; max |e_SCAFFOLD| -> 0",
    method="monte-carlo",
    cost=(1.5, 10.0),
)
def client_sampling_floor(mode: str = "quick", *, floor_factor: float = 1.0, seed: int = 0,
                          false_alarm: float = 1e-3) -> Verdict:
    from scipy import stats

    n, s, K, eta = 6, 2, 2, 0.2
    rounds, reps = (200, 4000) if mode == "quick" else (400, 40000)
    c = np.linspace(-1.0, 1.0, n)
    pop_var = float(np.var(c))
    V = pop_var / s * (n - s) / (n - 1)  # variance of the mean of a uniform s-subset (finite population)
    q = (1 - eta) ** K
    floor = floor_factor * (1 - q) * V / (1 + q)
    e_f = _sampling_runs(n, s, K, eta, rounds, reps, seed, "fedavg")
    e_s = _sampling_runs(n, s, K, eta, rounds, reps, seed + 1, "scaffold")
    m = float(np.mean(e_f**2))
    half = float(stats.norm.ppf(1 - false_alarm / 4) * np.std(e_f**2, ddof=1) / np.sqrt(reps))
    parts: dict[str, Verdict] = {}
    key = f"FedAvg floor = {floor_factor:g}·(1−q)V/(1+q)"
    txt = f"E e² = {m:.5g} ± {half:.2g} vs {floor:.5g}"
    parts[key] = (holds(key, txt, confidence=1 - false_alarm / 2) if abs(m - floor) <= half else
                  refuted(key, txt, counterexample={"n": n, "s": s, "K": K, "eta": eta, "estimate": m, "half_width": half,
                                                    "claimed": floor, "seed": seed}))
    worst = float(np.max(np.abs(e_s)))
    key = "SCAFFOLD reaches x* (every replica)"
    parts[key] = (proved(key, f"max |x − x*| over {reps} replicas after {rounds} rounds = {worst:.2e}")
                  if worst < 1e-9 else
                  refuted(key, f"max |x − x*| = {worst:.3e}", counterexample={"max_abs_error": worst, "seed": seed + 1}))
    import dataclasses

    v = combine("client sampling: FedAvg floor, SCAFFOLD none", parts,
                notes=f"f_i = ½(x − c_i)², c = linspace(−1, 1, {n}), s = {s}, K = {K}, η = {eta}, global step 1; "
                "SCAFFOLD option II control variates; replicas batched.")
    return dataclasses.replace(v, numbers={"fedavg_Ee2": m, "predicted_floor": floor, "scaffold_max_err": worst})
