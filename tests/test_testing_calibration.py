"""Calibration of the kit's own statistics: false-alarm and coverage rates over many seeds,
measured against exact values.

The empirical Bernstein interval is conservative, so at the kit's levels a wrong quantile
would never show as "more false alarms than allowed". These tests therefore compare the
*measured* rate with the *exact* rate of the documented procedure, computed in closed form
from the exact null distribution (a Bernoulli(p) coordinate: the number of kept draws is
Binomial(n, p)) with the Maurer–Pontil formula written out here independently. At the
chosen setting (n = 200, p = 1/2, nominal a = 0.2) the exact rates are about 8.5e-4 for
the correct interval, 3.6e-3 with a one-sided quantile (a instead of a/2 per side),
1.3e-2 without the range term and 2.8e-2 with the variance term halved: 40,000 trials put
each mutant more than 15 standard errors away. The betting test for variance ratios is
checked against exact closed-form ratios (Rand-k, Bernoulli, TernGrad, QSGD at fixed inputs):
its false-alarm rate at a bound equal to the true ratio is at most its level, and its lower
confidence limit covers the true ratio.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from theorylab.compressors import QSGD, Bernoulli, RandK, TernGrad
from theorylab.testing import split_levels
from theorylab.testing._stats import bet_lambda, bet_log_capital, bet_lower, eb_two_sided
from theorylab.testing.strategies import terngrad_worst_vector

N_DRAWS, P, LEVEL = 200, 0.5, 0.2


def _mp_half_width(std, spread, n, a_side):
    """Maurer & Pontil (2009) Thm 4, one side at level a_side (the definition, written out)."""
    L = math.log(2 / a_side)
    return math.sqrt(2 * L / n) * std + 7 * L * spread / (3 * (n - 1))


def _exact_two_sided_rate(n, p, a):
    """P(|mean error| > half-width) for the coordinate error x(ξ/p − 1), ξ ~ Bern(p), x = 1.

    Exact: a sum over the Binomial(n, p) number of kept draws (a statistic that never varied,
    h = 0 or n, is not tested by the interval)."""
    total = 0.0
    for h in range(1, n):
        z = np.r_[np.full(h, 1 / p - 1), np.full(n - h, -1.0)]
        if abs(z.mean()) > _mp_half_width(z.std(ddof=1), 1 / p, n, a / 2):
            total += binom.pmf(h, n, p)
    return total


def _bernoulli_errors(trials, n, seed):
    """Coordinate errors of the Bernoulli(P) compressor at x = 1: shape (trials, n)."""
    rng = np.random.default_rng(seed)
    x = np.ones((trials * n, 1))
    return (Bernoulli(P)(x, rng) - x).reshape(trials, n)


def _binomial_band(rate, trials, k=4.5):
    sd = math.sqrt(rate * (1 - rate) / trials)
    return rate - k * sd - 0.5 / trials, rate + k * sd + 0.5 / trials


def test_two_sided_empirical_bernstein_false_alarm_rate_is_exact():
    trials = 40_000
    exact = _exact_two_sided_rate(N_DRAWS, P, LEVEL)
    assert exact <= LEVEL  # the procedure is valid...
    E = _bernoulli_errors(trials, N_DRAWS, seed=1)
    mean, half = eb_two_sided(E, LEVEL, axis=1)
    spread = E.max(axis=1) - E.min(axis=1)
    tested = spread > 0
    measured = float(np.mean(tested & (np.abs(mean) > half)))
    lo, hi = _binomial_band(exact, trials)
    # ... and the kit implements exactly it: a one-sided quantile (3.6e-3), a dropped range
    # term (1.3e-2) or a halved variance term (2.8e-2) lands far outside this band
    assert lo <= measured <= hi, (measured, exact, (lo, hi))


@pytest.mark.parametrize("focus", [0, 2])
def test_bonferroni_split_over_inputs_keeps_the_family_rate(focus):
    # 8 independent inputs; the family errs if any input's test errs at split_levels' level
    # (with focused draws, stage 1 has half of the family's level)
    m, trials = 8, 5_000
    family = LEVEL if focus == 0 else 2 * LEVEL
    lv = split_levels(family, 1, m, focus)
    a_in = lv["stage1"]
    assert a_in == pytest.approx(LEVEL / m) and lv["stage2"] == pytest.approx(0.0 if focus == 0 else LEVEL / focus)
    exact_family = 1 - (1 - _exact_two_sided_rate(N_DRAWS, P, a_in)) ** m
    unsplit = 1 - (1 - _exact_two_sided_rate(N_DRAWS, P, LEVEL)) ** m
    assert exact_family < 1e-4 and unsplit > 5e-3  # the test below can tell them apart
    E = _bernoulli_errors(trials * m, N_DRAWS, seed=2)
    mean, half = eb_two_sided(E, a_in, axis=1)
    err = ((np.abs(mean) > half) & (E.max(axis=1) > E.min(axis=1))).reshape(trials, m).any(axis=1)
    # expected count 0.1 with the split, 34 without: at most 4 allowed
    assert int(err.sum()) <= 4, (int(err.sum()), exact_family * trials, unsplit * trials)


# ----------------------------------------------------------------------------- betting test
def _qsgd_ratio(x, s, norm):
    a = np.abs(x)
    nrm = np.linalg.norm(x) if norm == "l2" else a.max()
    u = a / nrm
    lev = np.floor(s * u)
    return float(nrm**2 * ((u - lev / s) * ((lev + 1) / s - u)).sum() / (x @ x))


D = 16
_X = np.linspace(1.0, 2.0, D)
CASES = {
    # spec: (compressor, fixed input, exact E||C(x)-x||^2/||x||^2)
    "randk:k=3 at e_0": (RandK(3), np.eye(D)[0], D / 3 - 1),
    "bernoulli:p=0.25 at e_0": (Bernoulli(0.25), np.eye(D)[0], 3.0),
    "terngrad at its worst input": (TernGrad(), terngrad_worst_vector(D), (math.sqrt(D) - 1) / 2),
    "qsgd:s=2,l2 at linspace": (QSGD(2), _X, _qsgd_ratio(_X, 2, "l2")),
    "qsgd:s=3,linf at linspace": (QSGD(3, "linf"), _X, _qsgd_ratio(_X, 3, "linf")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_betting_test_is_calibrated_against_exact_ratios(case):
    C, x, exact = CASES[case]
    seeds, n_sel, n = 400, 64, 128
    rng = np.random.default_rng(3)
    X = np.broadcast_to(x, (seeds, n_sel + n, D)).copy()
    r = (((C(X, rng) - x) ** 2).sum(axis=2) / (x @ x))
    r_sel, r_test = r[:, :n_sel], r[:, n_sel:]
    B = np.full(seeds, exact)
    for a in (0.2, 0.05):
        refuted = bet_log_capital(r_test, B, bet_lambda(r_sel, B)) >= math.log(1 / a)
        lo, hi = _binomial_band(a, seeds, k=3.0)
        assert refuted.mean() <= hi, (case, a, refuted.mean())  # false alarm at most a
    lower = bet_lower(r_sel, r_test, 0.2, 2 * np.maximum(r.max(axis=1), 1e-300))
    assert np.mean(lower <= exact * (1 + 1e-12)) >= 0.8 - 3 * math.sqrt(0.16 / seeds)  # coverage >= 1 - a
    # and it has power: a bound 30% below the truth is refuted in most seeds
    below = bet_log_capital(r_test, 0.7 * B, bet_lambda(r_sel, 0.7 * B)) >= math.log(1 / 0.2)
    assert below.mean() > 0.5, (case, below.mean())
