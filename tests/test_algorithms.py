"""The field's algorithms (theorylab.simulate.algorithms) against exact recursions and closed forms.

Exact recursions: each batched algorithm is replayed by an independent per-replica reference loop
written here from the paper's update rule, with the compressor's randomness fixed in advance (a
"replay" compressor multiplying by pre-drawn Rand-k masks), so iterates must agree to rounding.
Closed forms: FedAvg's fixed point, SCAFFOLD's x*, gossip's steady state. Every property has a
planted bug (a wrong update rule or a wrong formula) that the same assertion catches.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from theorylab.errors import InvalidParameterError
from theorylab.simulate import (custom_quadratic, gaussian, mixing_matrix, mixing_rate, quadratic, run_algorithm,
                                run_optimizer, topology, validate_mixing)
from theorylab.simulate.algorithms import ALGORITHMS, get_algorithm, register_algorithm
from helpers_algorithms import ScaffoldAddsCi

R, N, D = 3, 4, 5
NOISELESS = gaussian(0.0)


class Replay:
    """A compressor whose randomness is drawn in advance: call t returns ``x * masks[t]`` (scaled
    Rand-k masks of shape (R, N, d)), so a reference loop can apply the very same compressions."""

    def __init__(self, steps: int, k: int = 2, seed: int = 7, shape: tuple[int, int, int] = (R, N, D)) -> None:
        rng = np.random.default_rng(seed)
        r, n, d = shape
        keys = rng.random((steps, r, n, d))
        ranks = np.argsort(np.argsort(keys, axis=-1), axis=-1)
        self.masks = (ranks < k) * (d / k)
        self.t = 0
        self.spec = f"replay-randk:k={k}"

    def __call__(self, x, rng):
        out = x * self.masks[self.t]
        self.t += 1
        return out

    def omega(self, d):
        return d / 2 - 1


def hetero_problem(diag: bool = True, seed: int = 0):
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.5, 2.0, (N, D))
    if not diag:
        q = np.linalg.qr(rng.standard_normal((N, D, D)))[0]
        h = np.einsum("nij,nj,nkj->nik", q, h, q)
    c = rng.standard_normal((N, D))
    return custom_quadratic(h, c, x0=1.0)


def agent_grads(p, x):
    """∇f_i(x) for one replica, from the problem's matrices (reference, (N, d))."""
    h = p.hessians
    return np.stack([(h[i] * (x - p.optima[i]) if h.ndim == 2 else h[i] @ (x - p.optima[i])) for i in range(p.n_agents)])


def run(method, p, steps, **kw):
    return run_algorithm(method, p, NOISELESS, eta=kw.pop("eta", 0.1), steps=steps, replicas=R, points=steps,
                         **kw)


def final_gap(r):
    return r.trajectory.values[-1]


# ----------------------------------------------------------------------------- registry / protocol
def test_registry_has_every_method() -> None:
    want = {"dsgd", "psgd", "dcsgd", "dsignsgd", "ef14", "ef21", "diana", "marina", "fedavg", "scaffold",
            "fedavg-m", "gossip-sgd"}
    assert want <= set(ALGORITHMS)
    for name in want:
        alg = get_algorithm(name)
        mod = __import__(type(alg).__module__, fromlist=["_"])
        assert alg.citation and "←" in (mod.__doc__ or ""), name  # the update rule is written out


def test_options_not_taken_are_rejected() -> None:
    p = hetero_problem()
    with pytest.raises(InvalidParameterError, match="ef21 does not take local_steps"):
        run("ef21", p, 2, compressor="topk:k=1", local_steps=3)
    with pytest.raises(InvalidParameterError, match="needs a compressor"):
        run("diana", p, 2)
    with pytest.raises(InvalidParameterError, match="takes no compressor"):
        run("dsignsgd", p, 2, compressor="topk:k=1")
    with pytest.raises(InvalidParameterError, match="participation S = 9 exceeds"):
        run("fedavg", p, 2, participation=9)


def test_classic_methods_match_optimizers_for_a_fixed_seed() -> None:
    """The generic loop over the registry's dcsgd/dsignsgd/dsgd reproduces optimizers.run_optimizer."""
    from theorylab.simulate import optimizers

    p = quadratic(D, N, 0.5, 2.0, hetero=1.0)
    noise = gaussian(0.7)
    for method, comp in (("dsgd", None), ("dcsgd", "randk:k=2"), ("dsignsgd", None)):
        a = optimizers.run_optimizer(method, p, noise, eta=0.05, steps=40, replicas=R, compressor=comp, seed=3)
        b = run_algorithm(method, p, noise, eta=0.05, steps=40, replicas=R, compressor=comp, seed=3)
        c = run_optimizer(method, p, noise, eta=0.05, steps=40, replicas=R, compressor=comp, seed=3)
        np.testing.assert_array_equal(a.trajectory.values, b.trajectory.values)
        np.testing.assert_array_equal(a.trajectory.values, c.trajectory.values)
        assert a.path == b.path


def test_rand_k_fast_path_disabled_for_different_hessians() -> None:
    """optimizers' Rand-k fast path assumes ∇f_i = ∇f + b_i; with per-agent Hessians run_optimizer
    must take the dense path (same law) — the fast path would simulate a different problem."""
    p = hetero_problem()
    r = run_optimizer("dcsgd", p, NOISELESS, eta=0.05, steps=5, replicas=2, compressor="randk:k=2")
    assert r.path == "dense"


# ----------------------------------------------------------------------------- exact recursions
def ref_ef14(p, comp, x0, eta, steps):
    out = []
    for r in range(R):
        x, e = x0.copy(), np.zeros((N, D))
        for t in range(steps):
            pp = e + eta * agent_grads(p, x)
            delta = pp * comp.masks[t, r]
            e = pp - delta
            x = x - delta.mean(axis=0)
        out.append(x)
    return np.array(out)


def ref_ef21(p, comp, x0, eta, steps):
    out = []
    for r in range(R):
        x = x0.copy()
        gi = agent_grads(p, x) * comp.masks[0, r]
        for t in range(1, steps + 1):
            x = x - eta * gi.mean(axis=0)
            gi = gi + (agent_grads(p, x) - gi) * comp.masks[t, r]
        out.append(x)
    return np.array(out)


def ref_diana(p, comp, x0, eta, steps, alpha):
    out = []
    for r in range(R):
        x, h = x0.copy(), np.zeros((N, D))
        for t in range(steps):
            m = (agent_grads(p, x) - h) * comp.masks[t, r]
            x = x - eta * (h.mean(axis=0) + m.mean(axis=0))
            h = h + alpha * m
        out.append(x)
    return np.array(out)


def ref_marina(p, comp, x0, eta, steps, prob, seed):
    rng = np.random.default_rng(seed)
    coins = [rng.random(R) < prob for _ in range(steps)]
    out = []
    for r in range(R):
        x = x0.copy()
        gi = agent_grads(p, x)
        for t in range(steps):
            xn = x - eta * gi.mean(axis=0)
            if coins[t][r]:
                gi = agent_grads(p, xn)
            else:
                gi = gi + (agent_grads(p, xn) - agent_grads(p, x)) * comp.masks[t, r]
            x = xn
        out.append(x)
    return np.array(out)


class _Capture:
    """Wrap an algorithm to keep its final state (for comparing iterates, not only gaps)."""

    def __init__(self, alg):
        self.alg = alg
        for a in ("name", "summary", "citation", "options", "compressor", "decentralised"):
            setattr(self, a, getattr(alg, a))
        self.state = None

    def init(self, ctx):
        self.state = self.alg.init(ctx)
        return self.state

    def step(self, s, ctx):
        self.alg.step(s, ctx)

    def iterate(self, s):
        self.state = s
        return self.alg.iterate(s)

    def agents(self, s):
        return self.alg.agents(s)


def final_iterate(method, prob, steps, **kw):
    cap = _Capture(get_algorithm(method))
    run_algorithm(cap, prob, NOISELESS, eta=kw.pop("eta", 0.1), steps=steps, replicas=R, **kw)
    return cap.alg.iterate(cap.state)


@pytest.mark.parametrize("diag", [True, False])
def test_ef14_ef21_diana_marina_exact_recursions(diag: bool) -> None:
    p = hetero_problem(diag)
    x0 = np.full(D, 1.0)
    T = 30
    got = final_iterate("ef14", p, T, compressor=Replay(T))
    np.testing.assert_allclose(got, ref_ef14(p, Replay(T), x0, 0.1, T), rtol=1e-12, atol=1e-12)
    got = final_iterate("ef21", p, T, compressor=Replay(T + 1))
    np.testing.assert_allclose(got, ref_ef21(p, Replay(T + 1), x0, 0.1, T), rtol=1e-12, atol=1e-12)
    got = final_iterate("diana", p, T, compressor=Replay(T), alpha=0.3)
    np.testing.assert_allclose(got, ref_diana(p, Replay(T), x0, 0.1, T, 0.3), rtol=1e-12, atol=1e-12)
    got = final_iterate("marina", p, T, compressor=Replay(T), p=0.3, seed=5)
    np.testing.assert_allclose(got, ref_marina(p, Replay(T), x0, 0.1, T, 0.3, 5), rtol=1e-12, atol=1e-12)


def test_exact_recursion_catches_a_planted_bug() -> None:
    """EF14 with the step applied twice (the poster's x ← x − γ mean Δ) is not the reference."""
    from theorylab.simulate.algorithms.ef14 import EF14

    class PosterEF14(EF14):
        name = "ef14-poster-planted"

        def step(self, s, ctx):
            p_ = s.e + ctx.eta * ctx.grads(s.x)
            delta = ctx.compress(p_)
            s.e = p_ - delta
            s.x -= ctx.eta * delta.mean(axis=1)

    p = hetero_problem()
    T = 10
    cap = _Capture(PosterEF14())
    run_algorithm(cap, p, NOISELESS, eta=0.1, steps=T, replicas=R, compressor=Replay(T))
    got = cap.alg.iterate(cap.state)
    assert not np.allclose(got, ref_ef14(p, Replay(T), np.ones(D), 0.1, T), rtol=1e-6)


# ----------------------------------------------------------------------------- closed forms
def fedavg_fixed_point(p, eta, K):
    """x̂ solving Σ_i (I − (I − ηH_i)^K)(x̂ − c_i) = 0."""
    I = np.eye(D)
    Ms = [I - np.linalg.matrix_power(I - eta * (np.diag(h) if h.ndim == 1 else h), K) for h in p.hessians]
    return np.linalg.solve(sum(Ms), sum(M @ c for M, c in zip(Ms, p.optima, strict=True)))


@pytest.mark.parametrize("diag", [True, False])
def test_fedavg_fixed_point_closed_form(diag: bool) -> None:
    p = hetero_problem(diag)
    for K in (1, 3, 8):
        x = final_iterate("fedavg", p, 400, local_steps=K, eta=0.1)
        want = fedavg_fixed_point(p, 0.1, K)
        np.testing.assert_allclose(x, np.broadcast_to(want, x.shape), atol=1e-10)
        bias = np.linalg.norm(want - p.x_star)
        assert (bias < 1e-12) == (K == 1), (K, bias)
    # planted bug: claiming FedAvg reaches x* at K = 8 fails
    x = final_iterate("fedavg", p, 400, local_steps=8, eta=0.1)
    assert np.linalg.norm(x[0] - p.x_star) > 1e-3


def test_fedavg_identical_hessians_has_no_drift() -> None:
    rng = np.random.default_rng(1)
    h = np.broadcast_to(rng.uniform(0.5, 2, D), (N, D))
    p = custom_quadratic(h, rng.standard_normal((N, D)))
    x = final_iterate("fedavg", p, 300, local_steps=6, eta=0.1)
    np.testing.assert_allclose(x, np.broadcast_to(p.x_star, x.shape), atol=1e-10)


def test_fedavg_server_lr_and_single_step_is_dsgd() -> None:
    p = hetero_problem()
    a = final_iterate("fedavg", p, 50, local_steps=1, server_lr=1.0, eta=0.1)
    b = final_iterate("dsgd", p, 50, eta=0.1)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_scaffold_reaches_x_star_linearly_and_planted_bug_does_not() -> None:
    p = hetero_problem(diag=False)
    errs = []
    for T in (20, 40, 80):
        x = final_iterate("scaffold", p, T, local_steps=5, eta=0.1)
        errs.append(np.linalg.norm(x[0] - p.x_star))
    assert errs[-1] < 1e-10
    assert errs[1] < errs[0] * 0.5 and errs[2] < errs[1] * 0.5  # geometric decrease

    cap = _Capture(ScaffoldAddsCi())
    run_algorithm(cap, p, NOISELESS, eta=0.1, steps=80, replicas=R, local_steps=5)
    bad = cap.alg.iterate(cap.state)
    assert not np.all(np.isfinite(bad)) or np.linalg.norm(bad[0] - p.x_star) > 1e-3


def test_scaffold_matches_the_exact_sympy_iteration() -> None:
    """Scalar case against proofs_checks' exact rational SCAFFOLD (two agents, a = (1, 3), c = (0, 1))."""
    import sympy as sp

    def scaffold_run(a, c, eta, K, rounds):
        """SCAFFOLD (full participation, server step 1, option II) in exact rationals, scalar."""
        n = len(a)
        x, ci, cg = sp.Integer(0), [sp.Integer(0)] * n, sp.Integer(0)
        for _ in range(rounds):
            ys = []
            for i in range(n):
                y = x
                for _k in range(K):
                    y = y - eta * (a[i] * (y - c[i]) - ci[i] + cg)
                ys.append(y)
            ci = [ci[i] - cg + (x - ys[i]) / (K * eta) for i in range(n)]
            x = sum(ys) / n
            cg = sum(ci) / n
        return x

    p = custom_quadratic([[1.0], [3.0]], [[0.0], [1.0]], x0=0.0)
    cap = _Capture(get_algorithm("scaffold"))
    run_algorithm(cap, p, NOISELESS, eta=0.1, steps=7, replicas=1, local_steps=5)
    exact = scaffold_run([sp.Integer(1), sp.Integer(3)], [sp.Integer(0), sp.Integer(1)], sp.Rational(1, 10), 5, 7)
    assert abs(float(cap.alg.iterate(cap.state)[0, 0]) - float(exact)) < 1e-13


def test_fedavg_m_beta_one_is_fedavg_and_beta_to_zero_removes_drift() -> None:
    p = hetero_problem()
    a = final_iterate("fedavg-m", p, 60, local_steps=4, momentum=1.0)
    b = final_iterate("fedavg", p, 60, local_steps=4)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    bias = []
    for beta in (1.0, 0.3, 0.1, 0.03):
        x = final_iterate("fedavg-m", p, 1200, local_steps=4, momentum=beta, eta=0.1)
        bias.append(np.linalg.norm(x[0] - p.x_star))
    assert all(b2 < b1 for b1, b2 in zip(bias, bias[1:], strict=False)), bias
    assert bias[-1] < 0.1 * bias[0], bias


def gossip_steady(W, C, gamma, atc=False):
    n = W.shape[0]
    if atc:  # X = W(X − γ(X − C))  ⇔  (I − (1−γ)W) X = γ W C
        return np.linalg.solve(np.eye(n) - (1 - gamma) * W, gamma * W @ C)
    return np.linalg.solve((1 + gamma) * np.eye(n) - W, gamma * C)


@pytest.mark.parametrize("topo", ["ring", "torus", "star", "complete", "exponential"])
@pytest.mark.parametrize("mode", ["cta", "atc"])
def test_gossip_steady_state_closed_form(topo: str, mode: str) -> None:
    n, gamma = 6, 0.2
    C = np.random.default_rng(2).standard_normal((n, 3))
    p = custom_quadratic(np.ones((n, 3)), C, x0=0.0)
    cap = _Capture(get_algorithm("gossip-sgd"))
    r = run_algorithm(cap, p, NOISELESS, eta=gamma, steps=400, replicas=2, topology=topo, gossip=mode)
    X = cap.alg.agents(cap.state)[0]
    want = gossip_steady(mixing_matrix(topo, n), C, gamma, atc=mode == "atc")
    np.testing.assert_allclose(X, want, atol=1e-11)
    cons = r.extra["consensus"].values[-1, 0]
    np.testing.assert_allclose(cons, np.mean(np.sum((want - want.mean(0)) ** 2, axis=1)), rtol=1e-9, atol=1e-15)
    # planted bug: the other combination order (ATC for CTA and back) has another steady state
    other = gossip_steady(mixing_matrix(topo, n), C, gamma, atc=mode != "atc")
    assert not np.allclose(X, other, atol=1e-6)


def test_one_peer_exponential_averages_exactly_over_a_period() -> None:
    topo = topology("one-peer-exponential", 8)
    assert len(topo.matrices) == 3 and topo.rho_period < 1e-12 and abs(topo.rho - 1.0) < 1e-12


def test_mixing_rates_and_validation() -> None:
    for n in (5, 8, 12):
        assert abs(mixing_rate(mixing_matrix("ring", n)) - (1 + 2 * np.cos(2 * np.pi / n)) / 3) < 1e-12
        assert mixing_rate(mixing_matrix("complete", n)) < 1e-12
        for name in ("ring", "torus", "star", "complete", "exponential", "one-peer-exponential"):
            validate_mixing(mixing_matrix(name, n, t=1), n)
    bad = mixing_matrix("ring", 4)
    bad[0, 0] += 0.1  # planted: row 0 sums to 1.1
    with pytest.raises(InvalidParameterError, match="not doubly stochastic: row 0 sums to 1.1"):
        validate_mixing(bad, 4)
    col = np.array([[0.5, 0.5], [0.5, 0.5]]) @ np.diag([1.0, 1.0])
    col[0] = [1.0, 0.0]  # rows sum to 1, column 0 sums to 1.5
    with pytest.raises(InvalidParameterError, match="column 0 sums to 1.5"):
        run_algorithm("gossip-sgd", custom_quadratic(np.ones((2, 1)), np.zeros((2, 1))), NOISELESS, eta=0.1,
                      steps=2, replicas=1, topology=col)
    with pytest.raises(InvalidParameterError, match="unknown topology"):
        topology("hypercube", 4)


def test_client_sampling_weights_are_uniform_subsets() -> None:
    """S of N without replacement: S entries of 1/S per replica, each client chosen with probability S/N
    (binomial count over 6000 replicas within 5 standard deviations: false alarm < 1e-5 per client)."""
    from theorylab.simulate.algorithms import Context

    p = hetero_problem()
    ctx = Context(p, NOISELESS, 0.1, 6000, np.random.default_rng(0), np, None, {}, None)
    w = ctx.sample_clients(2)
    assert np.all((w > 0).sum(axis=1) == 2) and np.allclose(w.sum(axis=1), 1.0)
    counts = (w > 0).sum(axis=0)
    mean, sd = 6000 * 2 / N, np.sqrt(6000 * 0.5 * 0.5)
    assert np.all(np.abs(counts - mean) < 5 * sd), counts


def test_noise_enters_every_method_with_the_right_variance() -> None:
    """One PSGD step from x* = 0: x = −η mean_i Z_i, variance η²σ²/N per coordinate; the sample variance
    of R·d = 40000 values has relative sd √(2/40000), checked within 5 sd (false alarm < 1e-6; detects a
    3.5% error in the variance)."""
    p = quadratic(10, N, 1.0, 1.0, x0=0.0)
    cap = _Capture(get_algorithm("psgd"))
    run_algorithm(cap, p, gaussian(2.0), eta=0.1, steps=1, replicas=4000, seed=1)
    x = cap.alg.iterate(cap.state)
    v = np.var(x)
    want = 0.1**2 * 4.0 / N
    assert abs(v / want - 1) < 5 * np.sqrt(2 / x.size), v / want


def test_user_algorithm_file_runs_through_run_optimizer(tmp_path) -> None:
    f = tmp_path / "myalg.py"
    f.write_text('''
from dataclasses import dataclass
from theorylab.simulate.algorithms import register_algorithm

@dataclass
class State:
    x: object

class HalfStep:
    name = "half-step-sgd-test"
    summary = "SGD with a factor on the step"
    citation = "test"
    options = {"factor": 0.5}
    compressor = "optional"
    decentralised = False
    def init(self, ctx):
        return State(ctx.x0.copy())
    def step(self, s, ctx):
        s.x -= ctx.options["factor"] * ctx.eta * ctx.compress(ctx.grads(s.x)).mean(axis=1)
    def iterate(self, s):
        return s.x
''')
    p = hetero_problem()
    r = run_optimizer(f"{f}:HalfStep", p, NOISELESS, eta=0.2, steps=30, replicas=2)
    ref = run_optimizer("dsgd", p, NOISELESS, eta=0.1, steps=30, replicas=2)
    np.testing.assert_allclose(r.trajectory.values, ref.trajectory.values, rtol=1e-12)
    assert r.method == "half-step-sgd-test"
    with pytest.raises(InvalidParameterError, match="defines no 'Nope'"):
        run_optimizer(f"{f}:Nope", p, NOISELESS, eta=0.1, steps=2, replicas=1)


def test_rand_k_fast_compress_has_the_law_of_rand_k() -> None:
    """Context.compress's Rand-k path: every row keeps exactly k coordinates, scaled by d/k, and each
    coordinate is kept with probability k/d (20000 rows × 4 agents: binomial counts within 5 sd, false
    alarm < 1e-5 per coordinate; detects a 2% bias in any coordinate's inclusion rate). A planted
    compressor that always keeps the first k coordinates fails the same test."""
    from theorylab.compressors import RandK
    from theorylab.simulate.algorithms import Context

    d, k, r = 10, 3, 20000
    p = quadratic(d, N, 1.0, 1.0)
    v = np.random.default_rng(0).uniform(1.0, 2.0, (r, N, d))

    def inclusion(comp) -> np.ndarray:
        ctx = Context(p, NOISELESS, 0.1, r, np.random.default_rng(1), np, [comp] * N, {}, None)
        out = ctx.compress(v)
        kept = out != 0
        assert np.all(kept.sum(axis=-1) == k)
        np.testing.assert_allclose(out[kept], (d / k) * v[kept])
        return kept.reshape(-1, d).sum(axis=0)

    counts = inclusion(RandK(k))
    n_rows = r * N
    mean, sd = n_rows * k / d, np.sqrt(n_rows * (k / d) * (1 - k / d))
    assert np.all(np.abs(counts - mean) < 5 * sd), counts

    class FirstK(RandK):
        def sample_support(self, batch_shape, d, rng):
            return np.broadcast_to(np.arange(self.k), (*batch_shape, self.k))

    bad = inclusion(FirstK(k))
    assert not np.all(np.abs(bad - mean) < 5 * sd)


def test_divergence_is_detected_and_frozen() -> None:
    """EF14 with a step far above 2/L diverges: the run reports it (first step, fraction) and the
    surviving statistics stay finite (diverged replicas are frozen, not propagated)."""
    p = hetero_problem()
    r = run_algorithm("ef14", p, gaussian(0.1), eta=5.0, steps=200, replicas=4, compressor="topk:k=2", seed=0)
    div = r.trajectory.divergence
    assert div.first_step is not None and div.fraction == 1.0
    assert np.all(np.isfinite(r.trajectory.block_sums))


def test_per_agent_compressors_group_correctly() -> None:
    """One compressor per agent: agents 0-1 Rand-1, agents 2-3 the identity — with the replay masks on
    the first two and none on the others, DIANA's iterates equal the reference with those masks."""
    from theorylab.compressors import Identity

    p = hetero_problem()
    T = 12
    rep = Replay(T, k=1, shape=(R, 2, D))
    got = final_iterate("diana", p, T, compressor=[rep, rep, Identity(), Identity()], alpha=0.5)

    class Mixed:
        masks = np.concatenate([rep.masks, np.ones((T, R, 2, D))], axis=2)

    np.testing.assert_allclose(got, ref_diana(p, Mixed, np.ones(D), 0.1, T, 0.5), rtol=1e-12, atol=1e-12)


def test_compressed_fedavg_scaffold_gossip_exact_recursions() -> None:
    """With a user compressor (replayed Rand-2 masks) on the model updates (FedAvg, SCAFFOLD) or on the
    gradients (gossip), the batched iterates equal per-replica reference loops of the documented rules."""
    p = hetero_problem(diag=False)
    T, K, eta = 8, 3, 0.1
    W = mixing_matrix("ring", N)

    def ref(kind, comp):
        out = []
        for r in range(R):
            x, c, ci = np.ones(D), np.zeros(D), np.zeros((N, D))
            X = np.ones((N, D))
            for t in range(T):
                if kind == "gossip":
                    X = W @ X - eta * np.stack([agent_grads(p, X[i])[i] for i in range(N)]) * comp.masks[t, r]
                    continue
                y = np.tile(x, (N, 1))
                for _ in range(K):
                    g = np.stack([agent_grads(p, y[i])[i] for i in range(N)])
                    y = y - eta * (g - ci + c if kind == "scaffold" else g)
                if kind == "scaffold":
                    new = ci - c + (x - y) / (K * eta)
                    c = c + (new - ci).mean(axis=0)
                    ci = new
                x = x + ((y - x) * comp.masks[t, r]).mean(axis=0)
            out.append(X if kind == "gossip" else x)
        return np.array(out)

    for kind, method, opts in (("fedavg", "fedavg", {"local_steps": K}), ("scaffold", "scaffold", {"local_steps": K}),
                               ("gossip", "gossip-sgd", {})):
        cap = _Capture(get_algorithm(method))
        run_algorithm(cap, p, NOISELESS, eta=eta, steps=T, replicas=R, compressor=Replay(T), **opts)
        got = cap.alg.agents(cap.state) if kind == "gossip" else cap.alg.iterate(cap.state)
        np.testing.assert_allclose(got, ref(kind, Replay(T)), rtol=1e-12, atol=1e-12, err_msg=kind)


def test_decorated_user_file_can_be_loaded_twice_but_names_do_not_clash(tmp_path) -> None:
    f = tmp_path / "decorated.py"
    f.write_text('''
from dataclasses import dataclass
from theorylab.simulate.algorithms import register_algorithm

@dataclass
class State:
    x: object

@register_algorithm
class Twice:
    name = "twice-loaded-test"
    summary = "gradient descent"
    citation = "test"
    options = {}
    compressor = "none"
    decentralised = False
    def init(self, ctx):
        return State(ctx.x0.copy())
    def step(self, s, ctx):
        s.x -= ctx.eta * ctx.grads(s.x).mean(axis=1)
    def iterate(self, s):
        return s.x
''')
    p = hetero_problem()
    for _ in range(2):  # re-importing the file (a notebook cell run twice) replaces its own registration
        r = run_optimizer(f"{f}:Twice", p, NOISELESS, eta=0.1, steps=3, replicas=1)
    assert r.method == "twice-loaded-test"

    class Other:
        name = "ef21"
        options: dict = {}
        compressor = "none"
        decentralised = False

        def init(self, ctx):
            return None

        def step(self, s, ctx):
            return None

        def iterate(self, s):
            return None

    with pytest.raises(InvalidParameterError, match="an algorithm named 'ef21' is already registered"):
        register_algorithm(Other())
