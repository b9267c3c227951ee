"""Every option at a value where it changes the result, against a closed form or an exact recursion.

A documented option that no test exercises where it matters is a bug waiting to survive (the
mutation audit found six: SCAFFOLD's server control at S < N, FedAvg's ignored server step,
exact ATC gossip without W in the noise covariance, the spectral radius taken as the largest
eigenvalue, per-agent σ collapsed to the first agent's, and the betting test's λ chosen on the
draws it tests). Each test below names the behaviour and the planted bug it catches; the table
"Options and the tests that show their effect" in docs/architecture.md maps options to tests.

Statistics: the Monte Carlo-vs-exact comparisons use 4000 replicas and a two-sided t-interval at
level 1e-4 per comparison (Bonferroni over the record steps), fixed seeds; their half-width (the
smallest disagreement they can see) is about 1–3 % of the level and is printed on failure.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from theorylab.claims.simulation import run_settings
from theorylab.simulate import custom_quadratic, gaussian, mixing_matrix, problems, run_optimizer
from theorylab.simulate.exact import exact_run
from theorylab.testing._stats import bet_lambda, bet_lower
from theorylab.testing.check import ratio_test

N, D = 4, 3
NOISELESS = gaussian(0.0)


def _hetero(seed: int = 0):
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.5, 2.0, (N, D))
    c = rng.standard_normal((N, D))
    return custom_quadratic(h, c, x0=1.0)


def _state(run):
    return run.extra["state"]


def _one_round_fedavg(p, eta: float, k: int, server_lr: float, x0: np.ndarray) -> np.ndarray:
    """One FedAvg round without noise and with every client, by hand:
    ``x' = x + η_g (1/N) Σ_i [(1 − ηh_i)^K (x − c_i) + c_i − x]`` (diagonal Hessians)."""
    moves = [(1 - eta * p.hessians[i]) ** k * (x0 - p.optima[i]) + p.optima[i] - x0 for i in range(p.n_agents)]
    return x0 + server_lr * np.mean(moves, axis=0)


# ---------------------------------------------------------------- federated options

@pytest.mark.parametrize("method", ["fedavg", "scaffold", "fedavg-m"])
@pytest.mark.parametrize("server_lr", [0.5, 1.7])
def test_server_lr_scales_the_first_round_exactly(method: str, server_lr: float) -> None:
    """Round 1 from zero controls/momentum is FedAvg's round for all three methods; η_g ≠ 1 must
    scale the server move (planted bug: ``server_lr`` ignored gives the η_g = 1 point)."""
    p = _hetero()
    eta, k = 0.1, 3
    run = run_optimizer(method, p, NOISELESS, eta=eta, steps=1, replicas=2, seed=0, local_steps=k,
                        server_lr=server_lr, points=2)
    x1 = np.asarray(run.extra["state"].x)
    want = _one_round_fedavg(p, eta, k, server_lr, np.asarray(p.initial(1, np)[0]))
    np.testing.assert_allclose(x1, np.broadcast_to(want, x1.shape), rtol=1e-12, atol=1e-14)
    unit = _one_round_fedavg(p, eta, k, 1.0, np.asarray(p.initial(1, np)[0]))
    assert np.max(np.abs(want - unit)) > 1e-3  # the option matters at this value


@pytest.mark.parametrize("method", ["fedavg", "scaffold", "fedavg-m"])
def test_participation_uses_exactly_s_clients_per_round(method: str) -> None:
    """One noiseless round with S = 1 of N: every replica's move is one client's full move
    ``(1 − ηh_i)^K (x − c_i) + c_i − x`` (η_g = 1), never an average over more clients."""
    p = _hetero(1)
    eta, k = 0.1, 2
    x0 = np.asarray(p.initial(1, np)[0])
    moves = np.stack([(1 - eta * p.hessians[i]) ** k * (x0 - p.optima[i]) + p.optima[i] - x0 for i in range(N)])
    run = run_optimizer(method, p, NOISELESS, eta=eta, steps=1, replicas=64, seed=3, local_steps=k,
                        participation=1, points=2)
    dx = np.asarray(run.extra["state"].x) - x0
    dist = np.abs(dx[:, None, :] - moves[None]).max(axis=-1)  # (R, N)
    assert np.all(dist.min(axis=1) < 1e-12)
    picked = dist.argmin(axis=1)
    assert len(set(picked.tolist())) == N  # 64 replicas sample every client at least once


def test_scaffold_server_control_is_the_mean_of_the_client_controls_at_partial_participation() -> None:
    """SCAFFOLD's ``c ← c + (1/N) Σ_{i∈S} Δc_i`` keeps ``c = (1/N) Σ_i c_i`` for every S
    (Karimireddy et al. 2020, Alg. 1). Planted bug: ``(1/S) Σ_{i∈S} Δc_i`` agrees at S = N only."""
    p = _hetero(2)
    for s in (1, 2, 3, N):
        run = run_optimizer("scaffold", p, NOISELESS, eta=0.1, steps=6, replicas=5, seed=4, local_steps=3,
                            participation=s, points=2)
        st = run.extra["state"]
        c, ci = np.asarray(st.c), np.asarray(st.ci)
        assert np.max(np.abs(ci)) > 1e-3  # the controls moved
        np.testing.assert_allclose(c, ci.mean(axis=1), rtol=1e-12, atol=1e-13, err_msg=f"S = {s}")


def test_scaffold_with_partial_participation_still_reaches_x_star() -> None:
    """Without noise SCAFFOLD's fixed point is x* for every S (the correction cancels the drift);
    with the (1/S) bug the server control overshoots and the fixed point moves."""
    p = _hetero(3)
    run = run_optimizer("scaffold", p, NOISELESS, eta=0.1, steps=400, replicas=3, seed=5, local_steps=3,
                        participation=2, points=2)
    x = np.asarray(run.extra["state"].x)
    assert np.max(np.abs(x - p.x_star)) < 1e-8


def test_fedavg_m_momentum_changes_the_round_as_stated() -> None:
    """FedAvg-M round 2 (noiseless, S = N, K = 1): ``y_i = x − η(β∇f_i(x) + (1 − β) g)`` with ``g``
    the previous average direction; β = 1 is FedAvg (planted: ``momentum`` ignored)."""
    p = _hetero(4)
    eta = 0.1
    a = run_optimizer("fedavg-m", p, NOISELESS, eta=eta, steps=2, replicas=1, seed=0, momentum=0.3, points=3)
    b = run_optimizer("fedavg", p, NOISELESS, eta=eta, steps=2, replicas=1, seed=0, points=3)
    x0 = np.asarray(p.initial(1, np)[0])
    grad = lambda x: np.mean([p.hessians[i] * (x - p.optima[i]) for i in range(N)], axis=0)  # noqa: E731
    beta = 0.3
    g1 = beta * grad(x0)  # first round from g = 0: the direction is β ∇f(x0)
    x1 = x0 - eta * g1
    g2 = beta * grad(x1) + (1 - beta) * g1
    x2 = x1 - eta * g2
    np.testing.assert_allclose(np.asarray(a.extra["state"].x)[0], x2, rtol=1e-12)
    assert np.max(np.abs(np.asarray(b.extra["state"].x)[0] - x2)) > 1e-4


# ---------------------------------------------------------------- gossip: topology x order, with noise

def test_exact_atc_gossip_mixes_the_noise_covariance() -> None:
    """Adapt-then-combine with complete mixing ``W = J/N``: every agent holds the same average after
    every step, so the consensus error is exactly 0 with noise (covariance γ²WVWᵀ). Planted bug:
    γ²V instead (the gap of x̄ is unchanged, but the consensus error is not 0)."""
    p = problems.quadratic(D, N, mu=0.5, L=2.0, hetero=1.0, x0=1.0, seed=3)
    w = np.full((N, N), 1.0 / N)
    atc = exact_run("gossip", p, gaussian(0.5), eta=0.05, steps=30, mixing=w, order="atc", points=31)
    cta = exact_run("gossip", p, gaussian(0.5), eta=0.05, steps=30, mixing=w, order="cta", points=31)
    assert max(abs(c) for c in atc.extra["consensus_error_curve"]) < 1e-12
    assert abs(atc.extra["consensus_error_level"]) < 1e-12
    assert cta.extra["consensus_error_level"] > 1e-4


CONSENSUS_CASES = [("ring", "cta"), ("ring", "atc"), ("complete", "atc"), ("star", "cta"), ("star", "atc")]


@pytest.mark.parametrize("topo,order", CONSENSUS_CASES)
def test_monte_carlo_consensus_error_matches_the_exact_engine_with_noise(topo: str, order: str) -> None:
    """Gossip's consensus error ``E (1/N) Σ_i ‖x_i − x̄‖²`` (Monte Carlo, 4000 replicas) against the
    exact engine at three record steps, noise σ = 0.5, for each topology × order."""
    p = problems.quadratic(D, N, mu=0.5, L=2.0, hetero=1.0, x0=1.0, seed=3)
    steps, eta, reps = 40, 0.05, 4000
    ex = exact_run("gossip", p, gaussian(0.5), eta=eta, steps=steps, mixing=mixing_matrix(topo, N), order=order,
                   points=steps + 1)
    mc = run_optimizer("gossip-sgd", p, gaussian(0.5), eta=eta, steps=steps, replicas=reps, seed=11,
                       points=steps + 1, topology=topo, gossip=order)
    cons = mc.extra["consensus"]
    curve = ex.extra["consensus_error_curve"]
    exact_at = dict(zip(np.asarray(ex.steps).tolist(), curve))
    checked = [s for s in (2, 10, steps) if s in exact_at]
    q = stats.t.ppf(1 - 1e-4 / (2 * len(checked)), reps - 1)
    for s in checked:
        i = int(np.flatnonzero(cons.steps == s)[0])
        v = cons.values[i]
        m, half = float(v.mean()), float(q * v.std(ddof=1) / math.sqrt(v.size))
        # 1e-12: the exact engine's rounding where both are 0 (complete ATC mixes to one point)
        assert abs(m - exact_at[s]) <= half + 1e-12, f"{topo}/{order} step {s}: MC {m:.6g} ± {half:.3g}, exact {exact_at[s]:.6g}"


# ---------------------------------------------------------------- per-agent noise in run_settings

def test_run_settings_leaves_per_agent_sigma_to_the_model() -> None:
    """``sigma`` is one number only when every agent has the same σ; per-agent scales are left out
    (planted bug: the first agent's σ stands for all)."""
    p = _hetero()
    assert "sigma" not in run_settings(problem=p, noise=gaussian([0.5, 1.0, 1.5, 2.0]))
    assert run_settings(problem=p, noise=gaussian([0.7] * N))["sigma"] == pytest.approx(0.7)
    run = run_optimizer("dsgd", p, gaussian([0.5, 1.0, 1.5, 2.0]), eta=0.1, steps=2, replicas=2, seed=0, points=2)
    assert "sigma" not in run_settings(run)


# ---------------------------------------------------------------- the kit's betting test

def test_betting_fraction_comes_from_the_selection_draws_only() -> None:
    """The betting test's guarantee (Ville's inequality) needs λ independent of the tested draws.
    With selection draws that never favour a bet (all below the bound), λ = 0 and nothing is
    refuted, however large the test draws are. Planted bug: λ chosen on the test draws."""
    bound = 1.0
    sel = np.full(200, 0.5)
    test = np.full(200, 3.0)
    assert float(bet_lambda(sel, np.asarray(bound))) == 0.0
    refuted, _lower, logk = ratio_test(sel, test, bound, a=1e-3, tol=0.0, lower=0.0)
    assert logk == 0.0 and not refuted
    # the lower confidence limit, likewise: a bound B is refuted only where the selection draws
    # (all 0.5) favour betting against it, so the limit is at most 0.5 although the test draws are 3
    assert float(bet_lower(sel, test, 1e-3, np.asarray(10.0))) <= 0.5 + 1e-9
    # and with favourable selection draws the same test draws do refute
    refuted2, _, logk2 = ratio_test(np.full(200, 3.0), test, bound, a=1e-3, tol=0.0, lower=0.0)
    assert refuted2 and logk2 > math.log(1e3)


# ---------------------------------------------------------------- claim helpers' keywords

def test_fixed_point_attracting_uses_the_largest_modulus() -> None:
    """``attracting=True`` on a vector update: the spectral radius is the largest |eigenvalue|.
    x₁ ↦ x₁ − 3(x₁ − 1) has eigenvalue −2 (diverges), x₂ ↦ x₂ − (x₂ + 2)/4 has 3/4: radius 2,
    refuted. Planted bug: the largest eigenvalue (3/4) would prove a divergent iteration."""
    from theorylab.claims import fixed_point

    v = fixed_point(["x1 - 3*(x1 - 1)", "x2 - (x2 + 2)/4"], ["1", "-2"], ["x1", "x2"], attracting=True)
    assert v.status == "refuted", v.text() if hasattr(v, "text") else v
    ok = fixed_point(["x1 - (x1 - 1)/2", "x2 - (x2 + 2)/4"], ["1", "-2"], ["x1", "x2"], attracting=True)
    assert ok.status == "proved"


def test_limit_direction_decides_a_one_sided_limit() -> None:
    """``direction``: |x|/x → 1 from the right and → −1 from the left (planted: the keyword ignored,
    or both sides taken, would give the same verdict for both)."""
    from theorylab.claims import limit

    assert limit("Abs(x)/x", "x", 0, "1", direction="+").status == "proved"
    assert limit("Abs(x)/x", "x", 0, "1", direction="-").status == "refuted"
    assert limit("Abs(x)/x", "x", 0, "-1", direction="-").status == "proved"
