"""Exact moments of PSGD, DIANA, gossip SGD, FedAvg and SCAFFOLD against closed forms and a small
independent Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from theorylab.compressors import RandK
from theorylab.errors import InvalidParameterError
from theorylab.simulate import gaussian, problem_from_spec, quadratic
from theorylab.simulate.exact import exact_dcsgd, from_problem, linear_quadratic
from theorylab.compressors import Identity, RandKUnscaled
from theorylab.simulate.exact.algorithms import (check_mixing_matrix, exact_dcsgd_system, exact_diana, exact_ef14,
                                                 exact_ef21, exact_fedavg, exact_gossip, exact_psgd, exact_scaffold)
from theorylab.simulate.exact.closed_forms import exact_discrete_level


def _hetero(sigma: float = 0.0, n: int = 3, d: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    return linear_quadratic(rng.uniform(0.5, 2.0, (n, d)), rng.normal(size=(n, d)), sigma**2, x0=1.0)


def test_dcsgd_as_a_system_equals_the_discrete_engine() -> None:
    p = problem_from_spec("quadratic:mu=0.5,L=2,hetero=1", 6, 3)
    q = from_problem(p, gaussian([1.0, 0.5, 2.0]))
    comps = [RandK(2), RandK(3), RandK(2)]
    a = exact_dcsgd(q, 0.05, 60, comps=comps, points=61)
    b = exact_dcsgd_system(q, 0.05, 60, comps, points=61)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12)
    assert a.level == pytest.approx(b.level, rel=1e-12) and a.rho == pytest.approx(b.rho, rel=1e-12)


def test_psgd_isotropic_closed_form() -> None:
    q = from_problem(quadratic(8, 4), gaussian(1.0, 2))
    assert exact_psgd(q, 0.1, 5).level == pytest.approx(exact_discrete_level(8, 4, 0.1, 0.0, 0.5), rel=1e-12)


def test_diana_converges_to_the_optimum_where_dcsgd_has_a_floor() -> None:
    q = _hetero(0.0)
    comps = [RandK(2)] * 3
    di = exact_diana(q, 0.05, 0.25, 10, comps)
    assert di.level < 1e-12 * di.values[0]  # zero up to rounding
    assert exact_dcsgd(q, 0.05, 10, comps=comps).level > 1e-3


def _mc_diana(q, eta, alpha, steps, k, reps, seed):
    """Independent vectorised DIANA (module docstring of algorithms.py), compressors from the catalogue."""
    rng = np.random.default_rng(seed)
    n, d = q.n_agents, q.d
    c = RandK(k)
    y = np.broadcast_to(q.y0, (reps, d)).copy()
    h = np.zeros((reps, n, d))
    out = [0.5 * (q.hessians.mean(0) * y * y).sum(1)]
    for _ in range(steps):
        g = q.hessians[None] * y[:, None, :] + q.tilts[None] + rng.standard_normal((reps, n, d)) * np.sqrt(q.noise)[None]
        m = c(g - h, rng)
        y = y - eta * (h + m).mean(axis=1)
        h = h + alpha * m
        out.append(0.5 * (q.hessians.mean(0) * y * y).sum(1))
    return np.array(out)  # (steps+1, reps)


def test_diana_monte_carlo_intervals_contain_the_exact_curve() -> None:
    """20,000 replicas, 40 steps, every 5th step: Bonferroni-joint 99.9% t-intervals (false alarm ≤ 1e-3)."""
    q = _hetero(0.7, n=2, d=4, seed=3)
    eta, alpha, steps = 0.2, 0.3, 40
    vals = _mc_diana(q, eta, alpha, steps, 2, 20_000, seed=9)[5::5]
    ex = exact_diana(q, eta, alpha, steps, [RandK(2)] * 2, points=steps + 1).values[5::5]
    mean = vals.mean(1)
    half = stats.t.ppf(1 - 1e-3 / (2 * len(mean)), vals.shape[1] - 1) * vals.std(1, ddof=1) / math.sqrt(vals.shape[1])
    assert np.all(np.abs(mean - ex) <= half), (mean, ex, half)
    assert np.max(half / ex) < 0.05  # resolution: 5% of the value at worst


def _ring(n: int) -> np.ndarray:
    w = np.zeros((n, n))
    for i in range(n):
        for j in (i - 1, i, i + 1):
            w[i, j % n] = 1 / 3
    return w


@pytest.mark.parametrize("order", ["cta", "atc"])
def test_gossip_steady_state_closed_form(order) -> None:
    """f_i = ½‖x − c_i‖², no noise: CTA X∞ = γ((1+γ)I − W)⁻¹C; ATC X∞ = γ(I − (1−γ)W)⁻¹WC."""
    n, d, gamma = 6, 3, 0.05
    rng = np.random.default_rng(1)
    c = rng.normal(size=(n, d))
    q = linear_quadratic(np.ones((n, d)), c, 0.0, x0=0.0)
    w = _ring(n)
    x = gamma * np.linalg.solve((1 + gamma) * np.eye(n) - w, c) if order == "cta" else \
        gamma * np.linalg.solve(np.eye(n) - (1 - gamma) * w, w @ c)
    xbar = x.mean(0)
    want_gap = 0.5 * float(np.sum((xbar - c.mean(0)) ** 2))
    want_cons = float(np.mean(np.sum((x - xbar) ** 2, axis=1)))
    r = exact_gossip(q, gamma, 5, w, order=order)
    assert r.level == pytest.approx(want_gap, abs=1e-15)
    assert r.extra["consensus_error_level"] == pytest.approx(want_cons, rel=1e-10)


def test_gossip_time_varying_topology_and_validation() -> None:
    n = 4
    q = _hetero(0.5, n=n, d=3)
    # one-peer exponential graph on 4 nodes: neighbours i+1, then i+2
    ws = [0.5 * (np.eye(n) + np.roll(np.eye(n), s, axis=1)) for s in (1, 2)]
    r = exact_gossip(q, 0.05, 200, ws)
    assert math.isfinite(r.level) and r.extra["consensus_error_level"] > 0
    with pytest.raises(InvalidParameterError, match="doubly stochastic"):
        check_mixing_matrix(np.array([[0.5, 0.5], [0.9, 0.1]]), 2)  # rows sum to 1, columns do not
    with pytest.raises(InvalidParameterError, match="non-negative"):
        check_mixing_matrix(np.array([[1.5, -0.5], [-0.5, 1.5]]), 2)


def test_fedavg_fixed_point_closed_form_and_its_bias_grows_with_K() -> None:
    """Noise-free FedAvg: Σ_i (1 − (1 − γh_i)^K)(x̂ − c_i) = 0 per coordinate; x̂ = x* only for K = 1."""
    rng = np.random.default_rng(0)
    h, c = rng.uniform(0.5, 2.0, (3, 5)), rng.normal(size=(3, 5))
    q = linear_quadratic(h, c, 0.0, x0=1.0)
    gamma, gaps = 0.1, []
    for k in (1, 2, 5, 10):
        e = 1 - (1 - gamma * h) ** k
        xhat = (e * c).sum(0) / e.sum(0)
        want = 0.5 * float(np.sum(h.mean(0) * (xhat - q.x_star) ** 2))
        r = exact_fedavg(q, gamma, k, 5)
        assert r.level == pytest.approx(want, rel=1e-9, abs=1e-25)
        gaps.append(r.level)
    assert gaps[0] < 1e-25 and all(a < b for a, b in zip(gaps[1:], gaps[2:]))


def test_scaffold_reaches_the_optimum_where_fedavg_does_not() -> None:
    q = _hetero(0.0)
    for k in (2, 5):
        sc = exact_scaffold(q, 0.1, k, 5)
        assert sc.level < 1e-12 * sc.values[0]  # zero up to the rounding of the linear solve
        assert exact_fedavg(q, 0.1, k, 5).level > 1e-4
    r = exact_scaffold(q, 0.1, 5, 60, points=61)
    assert r.rho < 1 and r.values[-1] < 1e-6 * r.values[0]  # linear rate


def test_client_sampling_floor_closed_form() -> None:
    """K = 1, H_i = I, no noise: x' = (1 − γη_s)x + γη_s c̄_S, c̄_S the mean of S of N sampled without
    replacement: Var c̄_S = (N − S)/(S(N − 1)) · (1/N)Σ c_i², so the floor is
    ½ Σ_j γ²η_s² Var(c̄_S)_j / (1 − (1 − γη_s)²)."""
    n, s, d, gamma, eta_s = 5, 2, 3, 0.2, 0.8
    c = np.random.default_rng(2).normal(size=(n, d))
    q = linear_quadratic(np.ones((n, d)), c, 0.0, x0=0.0)
    cc = c - c.mean(0)
    var = (n - s) / (s * (n - 1)) * (cc**2).mean(0)
    want = 0.5 * float(np.sum(gamma**2 * eta_s**2 * var / (1 - (1 - gamma * eta_s) ** 2)))
    r = exact_fedavg(q, gamma, 1, 5, server_lr=eta_s, participation=s)
    assert r.level == pytest.approx(want, rel=1e-12)
    assert exact_fedavg(q, gamma, 1, 5, server_lr=eta_s).level < 1e-25  # full participation: no floor


def test_bad_inputs() -> None:
    q = _hetero(0.0)
    with pytest.raises(InvalidParameterError, match="participation"):
        exact_fedavg(q, 0.1, 2, 5, participation=4)
    with pytest.raises(InvalidParameterError, match="alpha"):
        exact_diana(q, 0.1, 0.0, 5, [RandK(2)] * 3)
    with pytest.raises(InvalidParameterError, match="cta"):
        exact_gossip(q, 0.1, 5, np.full((3, 3), 1 / 3), order="both")


def test_error_feedback_with_the_identity_is_dsgd_and_ef21_converges() -> None:
    q, q0 = _hetero(0.7), _hetero(0.0)
    base = exact_dcsgd_system(q, 0.1, 5).level
    assert exact_ef14(q, 0.1, 5, [Identity()] * 3).level == pytest.approx(base, rel=1e-10)
    assert exact_ef21(q, 0.1, 5, [Identity()] * 3).level == pytest.approx(base, rel=1e-10)
    comps = [RandKUnscaled(2)] * 3
    e21 = exact_ef21(q0, 0.1, 5, comps)
    assert e21.level < 1e-12 * e21.values[0]  # EF21 reaches x* without noise
    assert exact_ef14(q0, 0.1, 5, comps).level > 1e-3  # EF14 keeps a floor under heterogeneity


def _mc_error_feedback(q, gamma, steps, k, reps, seed, kind):
    rng = np.random.default_rng(seed)
    n, d = q.n_agents, q.d
    c = RandKUnscaled(k)
    y = np.broadcast_to(q.y0, (reps, d)).copy()
    sd = np.sqrt(q.noise)[None]

    def grads(y):
        return q.hessians[None] * y[:, None, :] + q.tilts[None] + rng.standard_normal((reps, n, d)) * sd

    # EF14: e_i⁰ = 0; EF21: g_i⁰ = C_i(∇f_i(x⁰) + Z_i), the library's start
    aux = np.zeros((reps, n, d)) if kind == "ef14" else c(grads(y), rng)
    out = [0.5 * (q.hessians.mean(0) * y * y).sum(1)]
    for _ in range(steps):
        if kind == "ef14":
            u = aux + gamma * grads(y)
            p = c(u, rng)
            aux = u - p
            y = y - p.mean(axis=1)
        else:
            y = y - gamma * aux.mean(axis=1)
            aux = aux + c(grads(y) - aux, rng)
        out.append(0.5 * (q.hessians.mean(0) * y * y).sum(1))
    return np.array(out)


@pytest.mark.parametrize("kind", ["ef14", "ef21"])
def test_error_feedback_monte_carlo_intervals_contain_the_exact_curve(kind) -> None:
    """20,000 replicas of an independent implementation, every 5th of 40 steps: Bonferroni-joint 99.9%
    t-intervals (false alarm ≤ 1e-3); EF14 exercises the correlation of the kept error with the message."""
    q = _hetero(0.7, n=2, d=4, seed=5)
    gamma, steps = 0.2, 40
    vals = _mc_error_feedback(q, gamma, steps, 2, 20_000, 13, kind)[5::5]
    fn = exact_ef14 if kind == "ef14" else exact_ef21
    ex = fn(q, gamma, steps, [RandKUnscaled(2)] * 2, points=steps + 1).values[5::5]
    mean = vals.mean(1)
    half = stats.t.ppf(1 - 1e-3 / (2 * len(mean)), vals.shape[1] - 1) * vals.std(1, ddof=1) / math.sqrt(vals.shape[1])
    assert np.all(np.abs(mean - ex) <= half), (mean, ex, half)
    assert np.max(half / ex) < 0.05


def test_exact_run_dispatches_the_linear_algorithms_and_rejects_foreign_options() -> None:
    from theorylab.simulate.exact import exact_run, mixing_matrix

    p = problem_from_spec("quadratic:mu=0.5,L=2,hetero=1", 6, 4)
    psgd = exact_run("psgd", p, gaussian(1.0), eta=0.05, steps=5).level
    # identical Hessians: the agents' average in gossip and SCAFFOLD's rounds follow PSGD exactly
    assert exact_run("gossip", p, gaussian(1.0), eta=0.05, steps=5, topology="ring").level == pytest.approx(psgd)
    assert exact_run("scaffold", p, gaussian(1.0), eta=0.05, steps=5, local_steps=3).level == pytest.approx(psgd)
    assert exact_run("diana", p, gaussian(1.0), eta=0.05, steps=5, compressor="randk:k=2").params["method"] == "diana"
    np.testing.assert_allclose(mixing_matrix("ring", 4).sum(0), 1.0)
    with pytest.raises(InvalidParameterError, match="takes no option local_steps"):
        exact_run("diana", p, gaussian(1.0), eta=0.05, steps=5, compressor="randk:k=2", local_steps=3)
    with pytest.raises(InvalidParameterError, match="needs a compressor"):
        exact_run("ef21", p, gaussian(1.0), eta=0.05, steps=5)
    with pytest.raises(InvalidParameterError, match="MARINA"):
        exact_run("marina", p, gaussian(1.0), eta=0.05, steps=5)
