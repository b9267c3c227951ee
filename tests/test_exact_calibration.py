"""Calibration of the Monte Carlo verdicts against exact values (issue 12's calibration suite, core part).

One DCSGD run of 1000 × 20 replicas (fixed seed) is cut into 1000 independent 20-replica runs; the
exact engine gives the truth they estimate. Over those runs we measure

- the coverage of the 95% stationary-level interval (``stationary_level``);
- the joint coverage of the 95% trajectory band (``trajectory_verdict``: Bonferroni over the record
  times) of the exact curve at every random record time (runs of 100 replicas; with 20 replicas the
  band under-covers, a finding kept as a strict xfail);
- the false-alarm rate of "violated" when the bound *equals* the true level (nominal ≤ 2.5%);
- the false "holds" rate of the two-sided tolerance check when the true ratio lies just outside the
  band (nominal ≤ 2.5%: "holds" needs the whole interval inside).

Each rate is judged by a one-sided binomial test at the 1e-3 level (z = 3.09 standard errors of the
nominal rate over the 1000 runs: SE = 0.69% for 95%, 0.49% for 2.5%); so the smallest detectable
shortfall is about 2 points of coverage. Planted variants that the suite must catch: an interval
built with the one-sided quantile (coverage ≈ 90%), a band that loses its correction over the
record times (pointwise 95%), and a tolerance check that says "holds" when the interval straddles
the band's edge.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from theorylab.compressors import RandK
from theorylab.simulate import gaussian, mean_curve, quadratic, run_optimizer, stationary_level, trajectory_verdict
from theorylab.simulate.exact import exact_run
from theorylab.simulate.record import Trajectory
from theorylab.simulate.verdict import VIOLATED, verdict

GROUPS, PER = 1000, 20
D, N, ETA, STEPS, POINTS = 4, 2, 0.1, 300, 31
Z = stats.norm.ppf(1 - 1e-3)  # one-sided binomial test at 1e-3


def _slice(traj: Trajectory, idx: np.ndarray) -> Trajectory:
    return dataclasses.replace(traj, values=traj.values[:, idx], block_sums=traj.block_sums[:, idx],
                               block_counts=traj.block_counts[:, idx], alive=traj.alive[idx])


@pytest.fixture(scope="module")
def run_and_truth():
    p = quadratic(D, N, 0.5, 1.0, x0=1.0)
    run = run_optimizer("dcsgd", p, gaussian(1.0), eta=ETA, steps=STEPS, replicas=GROUPS * PER,
                        compressor=RandK(2), seed=2024, points=POINTS, blocks=30)
    ex = exact_run("dcsgd", p, gaussian(1.0), eta=ETA, steps=STEPS, compressor=RandK(2), points=STEPS + 1)
    return run.trajectory, ex


def _groups(traj: Trajectory, per: int) -> list[Trajectory]:
    return [_slice(traj, np.arange(g * per, (g + 1) * per)) for g in range(traj.replicas // per)]


@pytest.fixture(scope="module")
def setting(run_and_truth):
    """1000 runs of 20 replicas."""
    traj, ex = run_and_truth
    return _groups(traj, PER), ex


@pytest.fixture(scope="module")
def setting_100(run_and_truth):
    """200 runs of 100 replicas (binomial SE 1.5% at 95%)."""
    traj, ex = run_and_truth
    return _groups(traj, 100), ex


def _exact_window_mean(ex, burn: int) -> float:
    """The estimator's target: the mean of the exact E f(x_k) over the steps it averages (k > burn)."""
    return float(np.mean(ex.values[burn + 1:]))


def _coverage_ok(hits: np.ndarray, nominal: float) -> tuple[bool, float]:
    rate = float(np.mean(hits))
    se = math.sqrt(nominal * (1 - nominal) / hits.size)
    return rate >= nominal - Z * se, rate


def _rate_ok(events: np.ndarray, nominal: float) -> tuple[bool, float]:
    rate = float(np.mean(events))
    se = math.sqrt(nominal * (1 - nominal) / events.size)
    return rate <= nominal + Z * se, rate


def stationary_coverage(groups, ex, shrink: float = 1.0) -> tuple[bool, float]:
    hits = []
    for tr in groups:
        e = stationary_level(tr, 0.95, burn_in=0.5)
        half = (e.upper - e.lower) / 2 * shrink
        target = _exact_window_mean(ex, e.burn_in)
        hits.append(e.value - half <= target <= e.value + half)
    return _coverage_ok(np.array(hits), 0.95)


def band_coverage(groups, ex, band=None) -> tuple[bool, float]:
    idx = np.searchsorted(ex.steps, groups[0].steps)
    truth = ex.values[idx]
    hits = []
    for tr in groups:
        lo, hi = band(tr) if band is not None else _library_band(tr, truth)
        hits.append(bool(np.all((lo[1:] <= truth[1:]) & (truth[1:] <= hi[1:]))))  # t = 0 is deterministic
    return _coverage_ok(np.array(hits), 0.95)


def _library_band(tr, truth):
    tv = trajectory_verdict(tr, truth, 0.95)
    return tv.lower, tv.upper


def test_stationary_interval_coverage(setting) -> None:
    ok, rate = stationary_coverage(*setting)
    assert ok, f"95% stationary interval covers the exact level in only {rate:.3f} of {GROUPS} runs"


def test_planted_one_sided_quantile_is_caught(setting) -> None:
    ok, rate = stationary_coverage(*setting, shrink=stats.norm.ppf(0.95) / stats.norm.ppf(0.975))
    assert not ok, rate


def test_joint_band_coverage(setting_100) -> None:
    ok, rate = band_coverage(*setting_100)
    assert ok, f"joint 95% band covers the exact curve in only {rate:.3f} of 200 runs of 100 replicas"


@pytest.mark.xfail(strict=True, reason="finding: with 20 replicas the Bonferroni t-band under-covers: the gaps "
                   "are right-skewed and the t quantile at level 0.05/(2·30) misses the upper tail of their mean "
                   "(81% joint coverage instead of >= 95%, every miss on the upper side); the skewness widening "
                   "of trajectory_verdict brings it to 90.5%, still short")
def test_joint_band_coverage_with_few_replicas(setting) -> None:
    ok, rate = band_coverage(*setting)
    assert ok, f"joint 95% band covers the exact curve in only {rate:.3f} of {GROUPS} runs of {PER} replicas"


def test_planted_band_without_correction_is_caught(setting_100) -> None:
    def pointwise(tr):
        c = mean_curve(tr, 0.95)
        return c.lower, c.upper

    ok, rate = band_coverage(*setting_100, band=pointwise)
    assert not ok, rate


def test_false_alarm_rate_of_violated(setting) -> None:
    groups, ex = setting
    events = []
    for tr in groups:
        e = stationary_level(tr, 0.95, burn_in=0.5)
        events.append(verdict(e, _exact_window_mean(ex, e.burn_in)).status == VIOLATED)
    ok, rate = _rate_ok(np.array(events), 0.025)
    assert ok, f"'violated' on a true bound in {rate:.3f} of runs (nominal 0.025)"


def _two_sided(est_lo, est_hi, bound, tol, straddle_bug=False):
    a, b = bound * (1 - tol), bound * (1 + tol)
    if straddle_bug:
        return "holds" if est_lo <= b and est_hi >= a else "violated"  # overlap counts as "holds"
    from proofs_checks.montecarlo import level_vs_bound

    return level_vs_bound(type("E", (), {"lower": est_lo, "upper": est_hi, "stationary": True})(), bound,
                          two_sided_tol=tol)


@pytest.mark.parametrize("bug", [False, True])
def test_two_sided_tolerance_false_holds(setting, bug) -> None:
    """True ratio level/bound = 1 + 1.02·tol (just outside the band): "holds" is a false verdict."""
    groups, ex = setting
    tol = 0.05
    events = []
    for tr in groups:
        e = stationary_level(tr, 0.95, burn_in=0.5)
        bound = _exact_window_mean(ex, e.burn_in) / (1 + 1.02 * tol)
        events.append(_two_sided(e.lower, e.upper, bound, tol, straddle_bug=bug) == "holds")
    ok, rate = _rate_ok(np.array(events), 0.025)
    assert ok != bug, f"false 'holds' in {rate:.3f} of runs (bug planted: {bug})"


def test_combined_holds_reports_the_smallest_confidence() -> None:
    """A combined "holds" is false only if a false part says "holds", which that part does with probability
    at most 1 − c_i: the combined confidence is at most min c_i (the library reports the union bound
    1 − Σ(1 − c_i), which is valid and more cautious), never the largest."""
    from proofs_checks.verdict import combine, holds

    v = combine("both", {"a": holds("a", "x", confidence=0.99), "b": holds("b", "y", confidence=0.999)})
    assert v.status == "holds" and v.confidence is not None
    assert v.confidence <= 0.99 + 1e-12, f"combined confidence {v.confidence} above the smallest part's 0.99"
    assert v.confidence >= 1 - (0.01 + 0.001) - 1e-12, "more cautious than the union bound"
