"""Batched optimizers against exact stationary levels, fast path vs dense path, reproducibility,
divergence detection and bounded memory.

Exact levels (derived for the discrete recursions, independently of the symbolic layer): on
f = ||x||^2/2 (mu = L = 1) with Gaussian noise sigma^2/B and N agents, the second moment
m = E x_j^2 of one coordinate obeys m' = (1-eta)^2 m + (eta^2/N)(omega (m + s^2) + s^2) for
DCSGD with Rand-k (Var[C_j(v)|v] = omega v_j^2), s^2 = sigma^2/B. Hence
E f = d eta (1+omega) s^2 / (2N(2 - eta - eta omega/N)); DSGD is omega = 0.
Each check: the 99.9% interval of the estimate must cover the exact value (false-alarm 1e-3).
The Rand-k checks run on both paths (``kernels``: the fused numba kernel and THEORYLAB_NUMBA=0).
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers_kernels import kernels  # noqa: F401  (fixture)
from theorylab.compressors import RandK
from theorylab.errors import InvalidParameterError
from theorylab.simulate import (gaussian, problem_from_spec, run_optimizer, stationary_level, student_t)
from theorylab.simulate.record import Recorder


def exact_level(d: int, n: int, eta: float, omega: float, s2: float) -> float:
    return d * eta * (1 + omega) * s2 / (2 * n * (2 - eta - eta * omega / n))


P = problem_from_spec("quadratic:mu=1,L=1", 20, 4)


@pytest.mark.parametrize("method, comp, fast", [("dsgd", None, True), ("dcsgd", RandK(5), True),
                                                 ("dcsgd", RandK(5), False)])
def test_stationary_level_matches_exact_discrete_level(kernels, method, comp, fast) -> None:
    if comp is None and kernels == "numba":
        pytest.skip("dsgd has no Rand-k: the numba parameter would repeat the numpy run")
    run = run_optimizer(method, P, gaussian(1.0), eta=0.02, steps=1500, replicas=300, compressor=comp, seed=11,
                        fast=fast)
    est = stationary_level(run.trajectory, confidence=0.999)
    omega = 0.0 if comp is None else 3.0
    exact = exact_level(20, 4, 0.02, omega, 1.0)
    assert est.lower < exact < est.upper, (est, exact)
    fast_path = "rand-k fused kernel (numba)" if kernels == "numba" else "rand-k fast path"
    assert run.path == (fast_path if (comp is not None and fast) else "dense")
    # resolution: the interval is narrow enough that a 3% error would be seen
    assert (est.upper - est.lower) / exact < 0.03


def test_per_agent_compressors_and_heterogeneous_sigma(kernels) -> None:
    """Rand-5 on two agents and Rand-10 on two, sigma_i = (1, 1, 2, 2): per-coordinate recursion gives
    E f = d eta sum_i (1+omega_i) s_i^2 / N^2 / (2(2 - eta - eta mean(omega)/N))."""
    comps = [RandK(5), RandK(5), RandK(10), RandK(10)]
    noise = gaussian([1.0, 1.0, 2.0, 2.0])
    eta, d, n = 0.02, 20, 4
    om = np.array([3.0, 3.0, 1.0, 1.0])
    s2 = np.array([1.0, 1.0, 4.0, 4.0])
    exact = d * eta * np.sum((1 + om) * s2) / n**2 / (2 * (2 - eta - eta * om.mean() / n))
    for fast in (True, False):
        run = run_optimizer("dcsgd", P, noise, eta=eta, steps=1500, replicas=300, compressor=comps, seed=3, fast=fast)
        est = stationary_level(run.trajectory, confidence=0.999)
        assert est.lower < exact < est.upper, (fast, est, exact)


def test_reproducible_with_seed_and_different_otherwise(kernels) -> None:
    kw = dict(eta=0.05, steps=50, replicas=8, compressor=RandK(3))
    a = run_optimizer("dcsgd", P, student_t(3), seed=5, **kw).trajectory.values
    b = run_optimizer("dcsgd", P, student_t(3), seed=5, **kw).trajectory.values
    c = run_optimizer("dcsgd", P, student_t(3), seed=6, **kw).trajectory.values
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[1:], c[1:])


def test_divergence_is_detected_and_reported() -> None:
    # |1 - eta L| > 1: every replica explodes; the first exploding step is where the gap passes 1e12 * 10
    run = run_optimizer("dsgd", P, gaussian(0.0), eta=2.5, steps=200, replicas=6, seed=0)
    div = run.trajectory.divergence
    assert div.diverged and div.fraction == 1.0
    # noiseless: x_k = (1 - 2.5)^k x0, gap = 10 * 2.25^k > 1e12 * 10 first at k = ceil(12 / log10 2.25) = 35
    assert div.first_step == int(np.ceil(12 / np.log10(2.25)))
    est = stationary_level(run.trajectory)
    assert np.isnan(est.value) and any("diverged" in w for w in est.warnings)
    assert np.all(np.isnan(run.trajectory.values[-1]))  # never averaged in silently


def test_partial_divergence_fraction() -> None:
    """Cauchy noise with a low exploding threshold: some replicas 'diverge', the rest are kept."""
    run = run_optimizer("dsgd", P, student_t(1.0), eta=0.05, steps=300, replicas=200, seed=1, explode=1e4)
    div = run.trajectory.divergence
    assert 0 < div.fraction < 1 and div.count == round(div.fraction * 200)
    assert np.isfinite(stationary_level(run.trajectory).value)
    assert np.sum(np.isnan(run.trajectory.values[-1])) == div.count


def test_memory_does_not_grow_with_steps() -> None:
    for steps in (10, 10_000):
        rec = Recorder(steps, 7, np, points=50, blocks=20)
        assert rec._sums.shape == (20 if steps >= 20 else steps, 7)
        assert len(rec.steps) <= 50


def test_bad_arguments() -> None:
    with pytest.raises(InvalidParameterError, match="eta"):
        run_optimizer("dsgd", P, gaussian(), eta=-1.0, steps=3, replicas=2)
    with pytest.raises(InvalidParameterError, match="compressor"):
        run_optimizer("dcsgd", P, gaussian(), eta=0.1, steps=3, replicas=2)
    with pytest.raises(InvalidParameterError, match="method"):
        run_optimizer("adam", P, gaussian(), eta=0.1, steps=3, replicas=2)
    with pytest.raises(InvalidParameterError, match="compressors for 4 agents"):
        run_optimizer("dcsgd", P, gaussian(), eta=0.1, steps=3, replicas=2, compressor=[RandK(2)] * 3)


def test_backends_run_the_same_code(xp) -> None:
    run = run_optimizer("dcsgd", P, student_t(4), eta=0.05, steps=30, replicas=16, compressor=RandK(4), seed=2,
                        backend=xp.__name__)
    assert run.backend == xp.__name__ and np.all(np.isfinite(run.trajectory.values))


def test_heterogeneous_agents_exact_level(kernels) -> None:
    """Per-agent optima (tilts b_i, mean_i ||b_i||^2 = hetero^2): on f = ||x||^2/2 the second moment
    M = E||x||^2 obeys M' = (1-eta)^2 M + (eta^2/N)(omega M + omega mean||b_i||^2 + (1+omega) d s^2),
    since E x = 0 at stationarity. Compression turns heterogeneity into variance."""
    p = problem_from_spec("quadratic:mu=1,L=1,hetero=2,seed=3", 20, 4)
    assert np.mean(np.sum(p.tilts**2, axis=1)) == pytest.approx(4.0)
    eta, n, d, omega = 0.02, 4, 20, 3.0
    exact = (eta / n) * (omega * 4.0 + (1 + omega) * d) / (2 * (2 - eta - eta * omega / n))
    for fast in (True, False):
        run = run_optimizer("dcsgd", p, gaussian(1.0), eta=eta, steps=1500, replicas=300, compressor=RandK(5),
                            seed=8, fast=fast)
        est = stationary_level(run.trajectory, confidence=0.999)
        assert est.lower < exact < est.upper, (fast, est, exact)


def test_initial_gap_per_replica_or_shared_start() -> None:
    """Step 0 records f(x0) − f*: one value for a shared start (default or a ``(d,)`` x0), one per
    replica for an ``(R, d)`` x0; both equal ``problem.gap`` of the start."""
    p = problem_from_spec("quadratic:mu=0.5,L=2", 7, 2)
    kw = dict(eta=0.1, steps=3, replicas=5, compressor=RandK(2), points=2)
    v = run_optimizer("dcsgd", P, gaussian(1.0), **kw).trajectory.values[0]
    np.testing.assert_array_equal(v, np.full(5, P.gap(P.x0)))
    x0 = np.random.default_rng(0).standard_normal((5, 7))
    v = run_optimizer("dcsgd", p, gaussian(1.0), x0=x0, **kw).trajectory.values[0]
    np.testing.assert_allclose(v, p.gap(x0), rtol=1e-14)
    assert len(set(v.tolist())) == 5
    v = run_optimizer("dcsgd", p, gaussian(1.0), x0=x0[2], **kw).trajectory.values[0]
    np.testing.assert_allclose(v, np.full(5, p.gap(x0[2])), rtol=1e-14)
