"""Calibration of the Monte Carlo verdicts against exact values.

DSGD on ``f = ‖x‖²/2`` with Gaussian noise is linear: per coordinate the second moment
follows ``m_{k+1} = (1 − η)² m_k + η² s²/N`` exactly (``s² = σ²/B``, averaged over the agents'
``σ_i²``), so the mean gap ``E f(x_k) − f* = d m_k/2`` is known at every step and at
stationarity. One large run is split into ``M`` independent groups of ``R`` replicas; each
group gives one interval (or one verdict), and we count how often the exact value is covered
(or how often a verdict against the exact value is wrong).

The nominal levels are deliberately low (``c = 0.8``) so that a miscalibration moves the
rates by many standard errors with a few hundred groups: a one-sided quantile turns 80%
coverage into about 60%, a lost correction over record times multiplies the joint false
alarm several times, a decision at the interval's midpoint says "holds" half the time.

Each assertion is a binomial test at ±4.5 standard errors of the nominal rate (false-alarm
rate about 7e-6 per assertion for a correctly calibrated procedure; the seeds are fixed, so
the outcome is reproducible). The smallest miscalibration each one detects is stated in its
docstring.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from dataclasses import replace

from theorylab.simulate import problems
from theorylab.simulate.estimate import mean_curve, stationary_level
from theorylab.simulate.noise import gaussian
from theorylab.simulate.optimizers import run_optimizer
from theorylab.simulate.record import Trajectory
from theorylab.simulate.verdict import HOLDS, VIOLATED, trajectory_verdict
from theorylab.simulate.verdict import bound_verdict as verdict

D, N, ETA, SIGMA = 2, 2, 0.2, 1.0
GROUPS, PER_GROUP = 400, 10
Z = 4.5  # binomial tolerance in standard errors: two-sided false alarm ~ 7e-6


def exact_moment(k: np.ndarray, x0: float, s2: float = SIGMA**2, n: int = N, eta: float = ETA) -> np.ndarray:
    """``E x_j²`` after ``k`` DSGD steps from ``x_j = x0`` (closed form of the linear recursion)."""
    a = (1 - eta) ** 2
    stat = eta**2 * s2 / n / (1 - a)
    return stat + (x0**2 - stat) * a ** np.asarray(k, dtype=float)


def exact_level(s2: float = SIGMA**2, n: int = N, eta: float = ETA, d: int = D) -> float:
    """Stationary ``E f`` of DSGD: ``d η s²/(2N(2 − η))``."""
    return d * eta * s2 / (2 * n * (2 - eta))


def _split(traj: Trajectory, groups: int) -> list[Trajectory]:
    r = traj.replicas // groups
    out = []
    for g in range(groups):
        sl = slice(g * r, (g + 1) * r)
        out.append(replace(traj, values=traj.values[:, sl], block_sums=traj.block_sums[:, sl],
                           block_counts=traj.block_counts[:, sl], alive=traj.alive[sl]))
    return out


def _run(x0: float, steps: int, seed: int, points: int = 200) -> Trajectory:
    prob = problems.quadratic(D, N, mu=1.0, L=1.0, x0=x0)
    run = run_optimizer("dsgd", prob, gaussian(SIGMA), eta=ETA, steps=steps, replicas=GROUPS * PER_GROUP,
                        seed=seed, points=points, blocks=100)
    return run.trajectory


def _within(rate: float, nominal: float, m: int) -> bool:
    return abs(rate - nominal) <= Z * math.sqrt(nominal * (1 - nominal) / m)


@pytest.fixture(scope="module")
def stationary_groups() -> list[Trajectory]:
    return _split(_run(0.0, 300, seed=20261201), GROUPS)


@pytest.fixture(scope="module")
def transient_groups() -> list[Trajectory]:
    return _split(_run(1.0, 20, seed=20261202, points=21), GROUPS)


def test_exact_reference_is_the_recursion() -> None:
    """The closed forms used below agree with the recursion they solve (and with each other)."""
    m = 1.0
    for _ in range(200):
        m = (1 - ETA) ** 2 * m + ETA**2 * SIGMA**2 / N
    assert math.isclose(D * m / 2, exact_level(), rel_tol=1e-12)
    assert math.isclose(D * exact_moment(np.array([200]), 1.0)[0] / 2, exact_level(), rel_tol=1e-12)


def test_stationary_interval_coverage(stationary_groups: list[Trajectory]) -> None:
    """80% stationary intervals cover the exact level 80% of the time (±4.5 SE = ±0.09 at 400 groups).

    Detects a coverage error of 0.09 or more: a one-sided quantile (≈ 0.60), a standard error
    over ``n`` instead of ``√n`` (≈ 0.2).
    """
    exact = exact_level()
    ests = [stationary_level(g, confidence=0.8, burn_in=0.2) for g in stationary_groups]
    covered = np.mean([e.lower <= exact <= e.upper for e in ests])
    assert _within(covered, 0.8, GROUPS), f"coverage {covered:.3f} of nominal 0.8 (exact level {exact:.5g})"


def test_pointwise_curve_coverage(transient_groups: list[Trajectory]) -> None:
    """Pointwise 80% curve intervals cover the exact mean gap at a transient time (k = 3) 80% of the time."""
    k = 3
    exact = D * exact_moment(np.array([k]), 1.0)[0] / 2
    hits = []
    for g in transient_groups:
        c = mean_curve(g, confidence=0.8)
        i = int(np.flatnonzero(c.steps == k)[0])
        hits.append(c.lower[i] <= exact <= c.upper[i])
    rate = float(np.mean(hits))
    assert _within(rate, 0.8, GROUPS), f"pointwise coverage {rate:.3f} of nominal 0.8 at k = {k}"


def test_stationary_verdict_false_alarms(stationary_groups: list[Trajectory]) -> None:
    """Against a bound equal to the exact level, "violated" and "holds" are each wrong at most (1 − c)/2 = 10%.

    Each rate must stay below 0.1 + 4.5 SE (0.168 at 400 groups). Deciding "holds" when the bound
    exceeds the interval's midpoint says "holds" about half the time.
    """
    exact = exact_level()
    statuses = [verdict(stationary_level(g, confidence=0.8, burn_in=0.2), exact).status for g in stationary_groups]
    bound = 0.1 + Z * math.sqrt(0.1 * 0.9 / GROUPS)
    viol = statuses.count(VIOLATED) / GROUPS
    hold = statuses.count(HOLDS) / GROUPS
    assert viol <= bound, f"'violated' against the exact level in {viol:.3f} of runs (nominal <= 0.1)"
    assert hold <= bound, f"'holds' with the bound at the exact level in {hold:.3f} of runs (nominal <= 0.1)"
    assert viol + hold >= 0.05, "the verdict never decides: the intervals are far too wide"


def test_trajectory_band_joint_false_alarm(transient_groups: list[Trajectory]) -> None:
    """A joint 80% band over 21 record times says "violated" against the exact curve at most 10% of the time.

    Without the correction over record times the per-time rate 10% compounds over the times
    (about 40% here): the test detects a joint false-alarm rate above 0.168.
    """
    g0 = transient_groups[0]
    curve = D * exact_moment(g0.steps, 1.0) / 2
    statuses = [trajectory_verdict(g, curve, confidence=0.8).status for g in transient_groups]
    viol = statuses.count(VIOLATED) / GROUPS
    bound = 0.1 + Z * math.sqrt(0.1 * 0.9 / GROUPS)
    assert viol <= bound, f"joint band: 'violated' against the exact curve in {viol:.3f} of runs (nominal <= 0.1)"
    assert statuses.count(HOLDS) / GROUPS <= bound


def test_dsignsgd_is_the_mean_of_signs() -> None:
    """DSignSGD averages the agents' signs (x ← x − (η/N) Σ sign(g_i)), not the sign of the average.

    Two agents whose gradients at x have opposite signs and unequal sizes: the mean of signs is 0
    (x stays), the sign of the mean is not (x moves). Noise-free, so exact.
    """
    prob = problems.quadratic(1, 2, mu=1.0, L=1.0, hetero=1.0, x0=0.3)
    g = prob.agent_grads(np.array([[0.3]]))[0, :, 0]
    assert g[0] * g[1] < 0 and not math.isclose(abs(g[0]), abs(g[1]))
    run = run_optimizer("dsignsgd", prob, gaussian(0.0), eta=0.1, steps=5, replicas=2, seed=0, points=6)
    gaps = run.trajectory.values
    assert np.allclose(gaps, gaps[0]), f"x moved although the agents' signs cancel: gaps {gaps[:, 0]}"


def test_student_t_variance_factor() -> None:
    """Var t_ν = ν/(ν − 2) (ν > 2), infinite for ν ≤ 2; checked against scipy and by sampling."""
    from scipy import stats

    from theorylab.simulate.noise import student_t

    for nu in (2.5, 3.0, 5.0, 30.0):
        assert math.isclose(student_t(nu).variance_factor(), stats.t(nu).var(), rel_tol=1e-12)
    assert math.isinf(student_t(2.0).variance_factor())
    z = student_t(5.0).standard((400_000,), np.random.default_rng(7), np)
    se = math.sqrt((stats.t(5).moment(4) - (5 / 3) ** 2) / z.size) if math.isfinite(stats.t(5).moment(4)) else 0.01
    assert abs(z.var() - 5 / 3) < 6 * max(se, 0.005), f"sample variance {z.var():.4f} vs 5/3"


def test_per_agent_sigma_bound_covers_exact_level() -> None:
    """With per-agent σ_i, Theorem 3 is evaluated at σ = max σ_i and must bound the exact level.

    σ = (1, 1, 2, 2): the exact DSGD level uses the mean of σ_i² (2.5); the bound at max σ_i
    (4) is above it, the bound at the mean σ_i (1.5² = 2.25) would be below it.
    """
    from theorylab.simulate.models import bound_for

    sig = (1.0, 1.0, 2.0, 2.0)
    prob = problems.quadratic(4, 4, mu=1.0, L=1.0)
    eta = 0.01
    b = bound_for("dsgd", prob, gaussian(sig), eta)
    exact = exact_level(s2=float(np.mean(np.square(sig))), n=4, eta=eta, d=4)
    assert b.values["sigma"] == max(sig)
    assert b.level >= exact, f"bound level {b.level:.6g} below the exact level {exact:.6g}"


def test_drift_test_false_alarm_rate() -> None:
    """On stationary runs the drift test rejects at its stated rate ``DRIFT_FALSE_ALARM`` (1e-3).

    800 groups of 5 replicas started from the stationary law (x drawn from the exact stationary
    Gaussian, so there is no transient at all): the expected number of rejections is 0.8; more
    than 6 has probability < 1e-4 under the stated rate. A normal quantile in place of the t
    quantile (4 degrees of freedom) rejects about 3% (≈ 24 groups); a test at 1e-1 about 80.
    """
    from theorylab.simulate.estimate import DRIFT_FALSE_ALARM

    groups, per = 800, 5
    var = exact_level() * 2 / D  # stationary E x_j^2
    prob = problems.quadratic(D, N, mu=1.0, L=1.0)
    x0 = np.random.default_rng(11).standard_normal((groups * per, D)) * math.sqrt(var)
    run = run_optimizer("dsgd", prob, gaussian(SIGMA), eta=ETA, steps=200, replicas=groups * per, seed=5,
                        x0=x0, points=20, blocks=40)
    trajs = _split(run.trajectory, groups)
    ps = [stationary_level(g, confidence=0.8, burn_in=0).drift_p for g in trajs]
    rejections = sum(p is not None and p < DRIFT_FALSE_ALARM for p in ps)
    assert all(p is not None for p in ps)
    assert rejections <= 6, f"drift test rejected {rejections} of {groups} stationary runs (expected ~{groups * DRIFT_FALSE_ALARM:g})"


def test_student_t_gamma_route_has_the_t_law() -> None:
    """The GPU route of Student-t draws, T = Z/√(χ²_ν/ν) with χ²_ν = 2·Gamma(ν/2), has the t_ν law.

    Run on the CPU through a stand-in module named like cupy (only ``sqrt`` is used), with a numpy
    Generator: a Kolmogorov–Smirnov test against scipy's t_3 at level 1e-4 (200,000 draws detect a
    scale error of about 1%).
    """
    import types

    from scipy import stats

    from theorylab.simulate.noise import student_t

    xp = types.ModuleType("cupy_stand_in")
    xp.sqrt = np.sqrt  # type: ignore[attr-defined]
    z = student_t(3.0).standard((200_000,), np.random.default_rng(3), xp)
    p = stats.kstest(z, stats.t(3).cdf).pvalue
    assert p > 1e-4, f"gamma-route Student-t draws are not t_3 (KS p = {p:.2g})"
