"""Phenomena of the lecture (Yuan, lecture 'Distributed Machine Learning (Part II)'; docs/theory.md#lecture-phenomena) with closed forms on quadratics, checked exactly.

- *Heterogeneity drift of local SGD.* With ``f_i(x) = (a_i/2)(x − c_i)²`` and K local GD steps
  of size η, one round maps ``x ↦ mean_i(c_i + q_i(x − c_i))``, ``q_i = (1 − ηa_i)^K``, whose fixed
  point ``x̄_K = Σc_i(1 − q_i)/Σ(1 − q_i)`` differs from ``x* = Σa_ic_i/Σa_i`` as soon as K >= 2
  (equal for K = 1: it is GD) and the drift grows with K. SCAFFOLD (option II control variates,
  lecture slide 'Scaffold algorithm') has ``x*`` as its fixed point.
  Closed forms in exact rationals (proved); the library's FedAvg and SCAFFOLD
  (:mod:`theorylab.simulate.algorithms`) checked against them through their round maps, float64
  (holds, deterministic).
- *Consensus vs spectral gap* and *client sampling*: the library's gossip SGD, FedAvg and SCAFFOLD
  (client sampling S of N); the FedAvg floor is an equivalence test (holds only when the interval
  lies within a stated tolerance of the predicted floor).
- *Independent compressors vs one shared mask* (the lecture's compression slides): the average of N independent
  Rand-k copies of the same vector has error ``E‖(1/N)ΣC_i(g) − g‖² = ω‖g‖²/N``; with one shared
  random mask it is ``ω‖g‖²`` — only independence averages the compression noise away.
  Exact enumeration of every joint outcome.
"""

from __future__ import annotations

import itertools
from fractions import Fraction as Q
from math import comb
from typing import Any

import numpy as np
import sympy as sp

from ..check import check
from ..claims import parse
from ..verdict import Verdict, combine, exact_on_instances, holds, inconclusive, proved, refuted

SRC = "Yuan, lecture 'Distributed Machine Learning (Part II)', slides 'Local SGD v.s. Scaffold', 'Scaffold algorithm'; docs/theory.md#lecture-phenomena"


def local_sgd_fixed_point(a, c, eta, K) -> sp.Rational:
    """``x̄_K = Σc_i(1 − q_i)/Σ(1 − q_i)``, ``q_i = (1 − ηa_i)^K``: the fixed point of one local-SGD round on
    ``f_i = (a_i/2)(x − c_i)²`` (exact)."""
    q = [(1 - eta * ai) ** K for ai in a]
    return sum(ci * (1 - qi) for ci, qi in zip(c, q, strict=True)) / sum(1 - qi for qi in q)


def _scalar_problem(a, c):
    from theorylab.simulate import custom_quadratic

    return custom_quadratic(np.array([[float(v)] for v in a]), np.array([[float(v)] for v in c]), x0=0.0)


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
    from theorylab.simulate.algorithms.affine import round_map

    a = [sp.Integer(1), sp.Integer(3)]
    c = [sp.Integer(0), sp.Integer(1)]
    eta = sp.Rational(1, 10)
    xstar = sum(ai * ci for ai, ci in zip(a, c, strict=True)) / sum(a)
    Ks = (1, 2, 5, 10, 20)
    drift = {K: local_sgd_fixed_point(a, c, eta, K) - xstar for K in Ks}
    prob = _scalar_problem(a, c)
    parts: dict[str, Verdict] = {}
    inst = "a = (1, 3), c = (0, 1), η = 1/10"
    if 1 in claimed_drift_free_K:  # K = 1 is GD: no drift for every N, a_i, c_i, η (sympy, symbolic sums)
        i, n_ = sp.symbols("i N", integer=True, positive=True)
        eta_s = sp.Symbol("eta", positive=True)
        ai, ci = sp.IndexedBase("a"), sp.IndexedBase("c")
        xb1 = sp.Sum(ci[i] * (1 - (1 - eta_s * ai[i])), (i, 1, n_)) / sp.Sum(1 - (1 - eta_s * ai[i]), (i, 1, n_))
        xs = sp.Sum(ai[i] * ci[i], (i, 1, n_)) / sp.Sum(ai[i], (i, 1, n_))
        gen = sp.simplify(xb1 - xs) == 0
        key = "K=1 (every N, a_i, c_i, η)"
        txt = "x̄_1 = Σc_i·ηa_i/Σηa_i = Σa_ic_i/Σa_i = x* (sympy, symbolic N, a_i, c_i, η > 0; Σa_i ≠ 0)"
        parts[key] = (proved(key, txt, engine="sympy simplify", assumptions_used=("η > 0", "Σ a_i ≠ 0")) if gen else
                      refuted(key, "x̄_1 − x* does not simplify to 0", counterexample={"K": 1}))
    for K in Ks:
        key = f"K={K}"
        zero = drift[K] == 0
        want_zero = K in claimed_drift_free_K
        txt = f"fixed point {local_sgd_fixed_point(a, c, eta, K)} vs x* = {xstar}: drift {drift[K]} ≈ {float(drift[K]):.4g}"
        parts[key] = (exact_on_instances(key, txt, f"{inst}, K = {K}") if zero == want_zero else
                      refuted(key, txt + (" (claimed none)" if want_zero else " (claimed a drift)"),
                              counterexample={"a": [1, 3], "c": [0, 1], "eta": "1/10", "K": K, "drift": str(drift[K])}))
        # the library's FedAvg (theorylab.simulate.algorithms.fedavg) has this fixed point
        lib = float(round_map("fedavg", prob, eta=float(eta), local_steps=K).fixed_point()["x"][0])
        key = f"K={K}: library FedAvg's fixed point"
        err = abs(lib - float(local_sgd_fixed_point(a, c, eta, K)))
        parts[key] = (holds(key, f"{lib:.12g} (closed form differs by {err:.1e}; float64)", confidence=None,
                            test="float64 comparison", tolerance=1e-12, engine="float64")
                      if err < 1e-12 else
                      refuted(key, f"library {lib!r} vs closed form", counterexample={"K": K, "library": lib, "error": err}))
    inc = all(abs(drift[k2]) > abs(drift[k1]) for k1, k2 in zip(Ks[1:], Ks[2:], strict=False))
    ks_txt = ", ".join(map(str, Ks[1:]))
    parts["drift grows with K"] = (exact_on_instances("drift grows with K", f"|drift| = {[f'{float(abs(drift[k])):.4g}' for k in Ks]}",
                                                      f"{inst}, K = {ks_txt}")
                                   if inc else refuted("drift grows with K", f"|drift| = {[float(abs(drift[k])) for k in Ks]}",
                                                       counterexample={"drifts": [str(drift[k]) for k in Ks]}))
    K = 5
    rm = round_map("scaffold", prob, eta=float(eta), local_steps=K)
    err = abs(float(rm.fixed_point()["x"][0]) - float(xstar))
    key = "SCAFFOLD -> x*"
    txt = (f"library SCAFFOLD's round map: fixed point − x* = {err:.1e}, linear rate {rm.rate:.4f} per round "
           f"(local SGD's drift at K={K}: {float(abs(drift[K])):.4g}); float64, deterministic")
    parts[key] = (holds(key, txt, confidence=None, test="float64 comparison", tolerance=1e-12, engine="float64")
                  if err < 1e-12 and rm.rate < 1 else
                  refuted(key, txt, counterexample={"K": K, "fixed_point_error": err, "rate": rm.rate}))
    import dataclasses

    v = combine("local SGD drifts, SCAFFOLD does not", parts,
                notes="f_i = (a_i/2)(x − c_i)², a = (1, 3), c = (0, 1), η = 1/10; closed forms in exact rationals; the "
                "library's FedAvg and SCAFFOLD round maps are measured from their batched steps (float64).")
    return dataclasses.replace(v, numbers={f"drift_K={k}": float(drift[k]) for k in Ks} | {"scaffold_err": err,
                                                                                           "scaffold_rate": rm.rate})


def _mask_errors_general() -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Symbol]:
    """Per coordinate, for every ``d``, ``k <= d``, ``N`` and ``g_j`` (sympy, symbolic): Rand-k keeps
    coordinate j with probability ``binom(d−1, k−1)/binom(d, k)``; ``X = C(g)_j − g_j`` has
    ``E X`` and ``E X²``; the mean of N independent copies has error ``E X²/N + (1 − 1/N)(E X)²``
    (independence: ``E[X_i X_l] = E X_i E X_l``, i ≠ l), one shared mask ``E X²``. Returns
    ``(independent error, shared error, ω g_j², N)``."""
    d, k, n = sp.symbols("d k N", positive=True, integer=True)
    gj = sp.Symbol("g_j", real=True)
    p = sp.combsimp(sp.binomial(d - 1, k - 1) / sp.binomial(d, k))  # = k/d
    ex = sp.simplify(p * (d / k * gj - gj) + (1 - p) * (0 - gj))
    ex2 = sp.simplify(p * (d / k * gj - gj) ** 2 + (1 - p) * gj**2)
    independent = sp.simplify(ex2 / n + (1 - 1 / n) * ex**2)
    return independent, ex2, (d / k - 1) * gj**2, n


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
    ind_g, shared_g, omega_g2, n_sym = _mask_errors_general()
    for name, got_g, fac_txt in (("independent", ind_g, independent_factor), ("shared", shared_g, shared_factor)):
        want_g = omega_g2 * parse(fac_txt, N=n_sym)
        key = f"{name}: every d, k <= d, N and g (per coordinate, symbolic)"
        gap = sp.simplify(got_g - want_g)
        txt = f"E error per coordinate = {got_g}; claimed ω g_j²·{parse(fac_txt, N=n_sym)}; difference {gap}"
        parts[key] = (proved(key, txt, engine="sympy (combsimp, simplify)",
                             assumptions_used=("Rand-k: a uniform k-subset, scaled by d/k",
                                               "independent masks across agents" if name == "independent"
                                               else "one mask shared by every agent"),
                             domain_conditions=("1 <= k <= d", "N >= 1"))
                      if gap == 0 else
                      refuted(key, txt, counterexample={"error": str(got_g), "claimed": str(want_g),
                                                        "difference": str(gap)}))
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
            key = f"{name}, k={k}, N={N} (enumeration cross-check)"
            want = omega * g2 * fac
            # an exact statement about this one instance (every joint outcome enumerated): it cross-checks the
            # general formula above against the compressor's definition
            parts[key] = (proved(f"at g = (3, −1, 2, 1), k = {k}, N = {N}: E error = ω‖g‖²·{fac}",
                                 f"E error = {got} = ω‖g‖²·{fac} (every joint mask outcome enumerated)",
                                 engine="exact rationals (enumeration)") if got == want else
                          refuted(key, f"E error = {got}, claimed {want}", counterexample={"g": [3, -1, 2, 1], "k": k, "N": N,
                                                                                          "exact": str(got), "claimed": str(want)}))
    return combine("independence averages compression noise; a shared mask does not", parts,
                   notes="General: per coordinate with symbolic d, k, N, g_j (sympy). Cross-check: g = (3, −1, 2, 1), "
                   "Rand-k scaled, every joint mask outcome enumerated.")


def ring_mixing(n: int) -> sp.Matrix:
    """The library's ring (``theorylab.simulate.algorithms.topology``, 1/3 on self and both neighbours) in exact
    rationals."""
    from theorylab.simulate.algorithms.topology import mixing_matrix

    return sp.Matrix(n, n, lambda i, j: sp.Rational(round(3 * float(mixing_matrix("ring", n)[i, j])), 3))


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
    from theorylab.simulate import custom_quadratic, mixing_matrix, mixing_rate
    from theorylab.simulate.algorithms.affine import round_map

    gamma = sp.Rational(1, 20)
    rows = []
    fixed_ok = True
    lib_err = 0.0
    rho_err = 0.0
    ns = (4, 8, 16, 32)
    for n in ns:
        W = ring_mixing(n)
        c = sp.Matrix([1 if i < n // 2 else -1 for i in range(n)])  # two halves: b² = 1 for every n
        xfix = (sp.eye(n) - W + gamma * sp.eye(n)).LUsolve(gamma * c)
        fixed_ok &= (W * xfix - gamma * (xfix - c) - xfix) == sp.zeros(n, 1)  # one exact gossip step
        if n <= 16:  # the library's gossip SGD (CTA, ring) has this steady state
            prob = custom_quadratic(np.ones((n, 1)), np.array(c.tolist(), dtype=float), x0=0.0)
            X = round_map("gossip-sgd", prob, eta=float(gamma), topology="ring").fixed_point()["X"][:, 0]
            lib_err = max(lib_err, float(np.max(np.abs(X - np.array(xfix.tolist(), dtype=float)[:, 0]))))
        mean = sum(xfix) / n
        cons = sum((v - mean) ** 2 for v in xfix) / n
        # the spectral gap exactly: the ring's eigenvalues are (1 + 2cos(2πj/n))/3; ρ is the largest modulus
        # over j ≠ 0 (sympy, exact trigonometric values), checked against the library's float64 mixing rate
        rho = max((sp.Abs((1 + 2 * sp.cos(2 * sp.pi * j / n)) / 3) for j in range(1, n)),
                  key=lambda e: sp.N(e, 50))
        rho_err = max(rho_err, abs(float(rho) - mixing_rate(mixing_matrix("ring", n))))
        rows.append((n, sp.nsimplify(1 - rho) if (1 - rho).is_Rational else 1 - rho, cons))
    gaps = [r[1] for r in rows]
    cons = [r[2] for r in rows]
    # every comparison exact: rationals for the consensus errors, sympy's sign of a difference of exact cosines
    grows = (all(b > a for a, b in zip(cons, cons[1:], strict=False))
             and all(sp.simplify(a - b).is_positive is True for a, b in zip(gaps, gaps[1:], strict=False))
             and rho_err < 1e-12)
    claim = f"consensus error {claimed_direction} as the spectral gap shrinks"
    ok = grows if claimed_direction == "grows" else not grows
    txt = "; ".join(f"n={n}: 1−ρ={float(g):.4g} (= {g}), consensus={float(cv):.4g}" for n, g, cv in rows) + \
        (f" (exact fixed points and gaps, compared exactly; library gossip SGD's steady state within {lib_err:.1e}, "
         f"its mixing rate within {rho_err:.1e})")
    nums = {f"gap_n={n}": float(g) for n, g, _ in rows} | {f"consensus_n={n}": float(cv) for n, _, cv in rows}
    if not fixed_ok or lib_err > 1e-10:
        return refuted(claim, "the solved X is not the fixed point of the gossip step (or the library's differs)",
                       counterexample={"library_error": lib_err, "exact_fixed_point_ok": bool(fixed_ok)}, numbers=nums)
    if ok:
        return exact_on_instances(claim, txt, "n = " + ", ".join(map(str, ns)) + " (ring, γ = 1/20)", numbers=nums,
                                  engine="exact rationals and sympy (exact cosines)",
                                  notes="Ring W (1/3 on self and neighbours), c = (1,…,1,−1,…,−1), γ = 1/20; exact "
                                  "rational solves; 1 − ρ exact from the ring's eigenvalues (1 + 2cos(2πj/n))/3, "
                                  "matching the library's float64 mixing rate.")
    return refuted(claim, txt, counterexample={"rows": [(n, str(g), str(cv)) for n, g, cv in rows]}, numbers=nums)


@check(
    id="lecture.client-sampling-floor",
    source="Yuan, lecture 'Distributed Machine Learning (Part II)', slides 'Client sampling', 'Scaffold' (client sampling adds a floor "
    "that SCAFFOLD removes); docs/theory.md#lecture-phenomena",
    statement="With s < n clients sampled per round, FedAvg stalls at an error floor E(x − x*)² = (1−q)V/(1+q) "
    "(q = (1−η)^K, V = Var(c̄_S)) even without client drift; SCAFFOLD converges to x*",
    expression="E e_FedAvg^2 -> (1-q)*V/(1+q) > 0; max |e_SCAFFOLD| -> 0",
    method="monte-carlo",
    cost=(2.0, 10.0),
)
def client_sampling_floor(mode: str = "quick", *, floor_factor: float = 1.0, seed: int = 0,
                          false_alarm: float = 1e-3, tol: float = 0.03) -> Verdict:
    """FedAvg's floor is an equivalence test: ``holds`` only when the whole interval of the stationary
    E e² lies within ``±tol`` of the predicted floor, ``refuted`` when it lies outside, else
    ``inconclusive``. SCAFFOLD: ``holds`` when every replica ends within 1e-9 of x*."""
    from proofs_checks.montecarlo import level_vs_bound
    from theorylab.simulate import custom_quadratic, gaussian, run_optimizer, stationary_level

    n, s, K, eta = 6, 2, 2, 0.2
    rounds, reps = (200, 4000) if mode == "quick" else (400, 40000)
    c = np.linspace(-1.0, 1.0, n)
    prob = custom_quadratic(np.ones((n, 1)), c[:, None], x0=0.0)  # f_i = ½(x − c_i)²: no client drift
    xstar = float(c.mean())
    pop_var = float(np.var(c))
    V = pop_var / s * (n - s) / (n - 1)  # variance of the mean of a uniform s-subset (finite population)
    q = (1 - eta) ** K
    floor = floor_factor * (1 - q) * V / (1 + q)
    conf = 1 - false_alarm
    opts: dict[str, Any] = {"local_steps": K, "participation": s}
    run_f = run_optimizer("fedavg", prob, gaussian(0.0), eta=eta, steps=rounds, replicas=reps, seed=seed, **opts)
    est = stationary_level(run_f.trajectory, conf)
    # the recorded gap is f − f* = ½(x − x*)²: E e² = 2 E gap
    e2 = type("E2", (), {"value": 2 * est.value, "lower": 2 * est.lower, "upper": 2 * est.upper,
                         "stationary": est.stationary})()
    status = level_vs_bound(e2, floor, two_sided_tol=tol) if floor > 0 else (
        "refuted" if e2.lower > 0 else "inconclusive")
    parts: dict[str, Verdict] = {}
    key = f"FedAvg floor = {floor_factor:g}·(1−q)V/(1+q) within ±{100 * tol:g}%"
    txt = (f"stationary E e² = {e2.value:.5g} [{e2.lower:.5g}, {e2.upper:.5g}] ({100 * conf:g}% CI) vs {floor:.5g} "
           f"(equivalence margin ±{100 * tol:g}%)")
    cex = {"n": n, "s": s, "K": K, "eta": eta, "estimate": e2.value, "interval": [e2.lower, e2.upper],
           "claimed": floor, "seed": seed}
    parts[key] = (holds(key, txt, confidence=conf) if status == "holds" else
                  refuted(key, txt, counterexample=cex) if status == "refuted" else
                  inconclusive(key, txt, needs="a narrower interval (more replicas or rounds): it straddles the "
                               "equivalence margin"))
    run_s = run_optimizer("scaffold", prob, gaussian(0.0), eta=eta, steps=rounds, replicas=reps, seed=seed + 1, **opts)
    worst = float(np.max(np.abs(run_s.extra["state"].x[:, 0] - xstar)))
    p0 = 0.01
    c_runs = 1 - (1 - p0) ** reps
    key = "SCAFFOLD reaches x* (every replica)"
    if worst < 1e-9:
        parts[key] = holds(key, f"max |x − x*| over {reps} replicas after {rounds} rounds = {worst:.2e}; no replica "
                           f"failed, so P(a run ends farther than 1e-9) < {p0:g} at confidence {c_runs:.6f}",
                           confidence=c_runs)
    else:
        parts[key] = refuted(key, f"max |x − x*| = {worst:.3e}", counterexample={"max_abs_error": worst, "seed": seed + 1})
    import dataclasses

    v = combine("client sampling: FedAvg floor, SCAFFOLD none", parts,
                notes=f"f_i = ½(x − c_i)², c = linspace(−1, 1, {n}), s = {s}, K = {K}, η = {eta}, server step 1; the "
                "library's FedAvg and SCAFFOLD (option II) with client sampling, replicas batched.")
    return dataclasses.replace(v, numbers={"fedavg_Ee2": e2.value, "predicted_floor": floor, "scaffold_max_err": worst})
