"""Weak-order checks of derived SDEs against their methods (exact engine where linear, Monte Carlo otherwise),
with planted errors (a wrong compressor second moment, a missing 1/N) that the check must refute.

Monte Carlo checks use fixed seeds; each error carries a standard error from 20 batches of paths, an
error counts as resolved above 2 standard errors (a false "resolved" about 2.5% of the time per error
under a normal approximation) and the verdict needs every resolved slope >= 0.75.
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from theorylab.errors import InvalidParameterError
from theorylab.simulate.weak_order import fit_slope, weak_order_check
from theorylab.symbolic.derive import derive_sde
from theorylab.symbolic.symbols import N, omega
from theorylab.symbolic.update import (Update, gaussian_noise, grad, mean_over_agents, qsgd, randk, sign)

LAMS4 = [1.0, 0.5, 2.0, 1.5]


def _dcsgd(n: int | None = None) -> Update:
    return Update("dcsgd", mean_over_agents(lambda a: randk(omega=a.omega)(grad() + gaussian_noise(a.sigma)), n=n))


def test_dcsgd_per_agent_omega_sigma_exact_engine_holds() -> None:
    upd = _dcsgd(3)
    params = dict(omega_1=0, omega_2=1, omega_3=3, sigma_1=0.5, sigma_2=1.0, sigma_3=2.0, B=1)
    r = weak_order_check(upd, params, LAMS4, etas=[0.1, 0.05, 0.025], x0=2.0)
    assert r.engine == "exact" and r.verdict == "holds", r.message()
    assert all(0.8 < s < 1.3 for s in r.slopes.values()), r.slopes
    # the stationary level of the SDE (derived closed form) against the exact level of the method
    assert abs(r.levels_method[-1] / r.levels_sde[-1] - 1) < 0.03


def test_dcsgd_shared_mask_exact_engine_holds() -> None:
    C = randk(omega=omega)
    upd = Update("dcsgd-shared", mean_over_agents(lambda a: C(grad() + gaussian_noise(a.sigma), shared=True)))
    r = weak_order_check(upd, dict(N=3, omega=1, sigma=1.0, B=1), LAMS4, etas=[0.1, 0.05, 0.025], x0=2.0)
    assert r.engine == "exact" and r.verdict == "holds", r.message()


def test_planted_wrong_compressor_second_moment_is_refuted() -> None:
    """Rand-k sampled by the catalogue, derived with E D_j^2 = 1 + omega/2 instead of 1 + omega."""
    good = randk(omega=omega)
    wrong = dataclasses.replace(good, diag=1 + omega / 2)
    upd = Update("dcsgd-planted", mean_over_agents(lambda a: wrong(grad() + gaussian_noise(a.sigma))))
    r = weak_order_check(upd, dict(N=3, omega=1, sigma=1.0, B=1), LAMS4, etas=[0.1, 0.05, 0.025], x0=2.0)
    assert r.verdict == "refuted", r.message()
    assert r.slopes["level"] < 0.2 and r.slopes["mean"] > 0.75  # the mean error alone cannot see it


def test_planted_missing_one_over_n_is_refuted() -> None:
    upd = _dcsgd()
    s = derive_sde(upd)
    bad = dataclasses.replace(s, cov_diag=s.cov_diag * N, cov_outer=s.cov_outer * N)
    r = weak_order_check(upd, dict(N=3, omega=1, sigma=1.0, B=1), LAMS4, etas=[0.1, 0.05], x0=2.0, sde=bad)
    assert r.verdict == "refuted", r.message()


def test_planted_dropped_rank_one_term_is_seen_by_the_fluctuation_only() -> None:
    upd = _dcsgd()
    s = derive_sde(upd)
    r = weak_order_check(upd, dict(N=3, omega=1, sigma=1.0, B=1), LAMS4, etas=[0.1, 0.05, 0.025], x0=2.0,
                         sde=dataclasses.replace(s, cov_outer=sp.S.Zero))
    assert r.verdict == "refuted" and r.slopes["fluctuation"] < 0.5 and r.slopes["level"] > 0.75, r.message()


def test_signsgd_one_machine_monte_carlo_holds() -> None:
    upd = Update("signsgd", sign(grad() + gaussian_noise()))
    r = weak_order_check(upd, dict(sigma=1.0, B=1), [1.0], etas=[0.2, 0.1, 0.05], paths=40000, x0=2.0,
                         level_horizon=6.0, seed=0)
    assert r.engine == "monte carlo" and r.verdict == "holds", r.message()


def test_signsgd_planted_missing_one_over_n_is_refuted() -> None:
    upd = Update("dsignsgd", mean_over_agents(lambda a: sign(grad() + gaussian_noise(a.sigma))))
    s = derive_sde(upd)
    bad = dataclasses.replace(s, cov_diag=s.cov_diag * N)
    r = weak_order_check(upd, dict(N=4, sigma=1.0, B=1), [1.0], etas=[0.2, 0.1], paths=20000, x0=2.0,
                         level_horizon=4.0, sde=bad, seed=1)
    assert r.verdict == "refuted", r.message()


@pytest.mark.slow
def test_qsgd_compressed_sgd_monte_carlo_holds() -> None:
    upd = Update("qsgd-sgd", qsgd(1)(grad()) + gaussian_noise())
    r = weak_order_check(upd, dict(sigma=0.5, B=1), [1.0, 1.0], etas=[0.2, 0.1, 0.05], paths=20000,
                         x0=[2.0, 1.0], level_horizon=5.0, seed=0)
    assert r.verdict == "holds", r.message()


@pytest.mark.slow
def test_qsgd_planted_variance_is_refuted() -> None:
    """QSGD's variance halved in the SDE: the transient fluctuation error stops shrinking."""
    upd = Update("qsgd-sgd", qsgd(1)(grad()) + gaussian_noise())
    s = derive_sde(upd)
    noise = s.cov_diag.subs(sp.Symbol("gnorm", nonnegative=True), 0)
    bad = dataclasses.replace(s, cov_diag=(s.cov_diag + noise) / 2)  # keeps the noise, halves the quantiser's
    r = weak_order_check(upd, dict(sigma=0.5, B=1), [1.0, 1.0], etas=[0.2, 0.1, 0.05], paths=20000,
                         x0=[2.0, 1.0], level_horizon=5.0, seed=0, sde=bad)
    assert r.verdict == "refuted", r.message()


def test_fit_slope_and_bad_input() -> None:
    assert fit_slope([0.1, 0.05], [0.2, 0.1]) == pytest.approx(1.0)
    with pytest.raises(InvalidParameterError, match="two step sizes"):
        weak_order_check(_dcsgd(), {}, [1.0], etas=[0.1])
    with pytest.raises(InvalidParameterError, match="exact engine"):
        weak_order_check(Update("s", sign(grad() + gaussian_noise())), dict(sigma=1, B=1), [1.0], etas=[0.1, 0.05],
                         engine="exact")
