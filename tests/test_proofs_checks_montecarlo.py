"""Monte Carlo checks fed a wrong claim (fixed seeds, quick settings).

The verdicts on the sources' own claims are asserted once, in ``test_proofs_checks_suite.py``
(one quick run of every check), so each Monte Carlo check runs here only with the planted
wrong claim (the 'can it fail' test), keeping the test share small.
"""

from __future__ import annotations

import numpy as np
import pytest

from proofs_checks import discover, registry
from proofs_checks.montecarlo import curve_vs_bound, level_vs_bound

discover()

# id -> (wrong claim, expected verdict on it)
CASES = {
    "poster.theorem4-plateau-ellA": ({"level_factor": 0.5}, "refuted"),  # a bound halved
    # candidate A fails in the transient (finding); a 5x larger bound survives, so the verdict is computed
    "poster.theorem4-trajectory-ellA": ({"level_factor": 5.0}, "holds"),
    "poster.theorem4-trajectory-ellB": ({"level_factor": 0.5}, "refuted"),
    "poster.theorem2-sde-tracks-dsignsgd": ({"drift_scale": 0.5}, "refuted"),
    # "Cauchy does not raise DSignSGD's level at all"
    "poster.heavy-tails": ({"max_ratio": 1.0, "sections": ("dsignsgd",)}, "refuted"),
    "poster.theorem3-plateau": ({"level_factor": 0.5}, "refuted"),
    "poster.theorem3-trajectory": ({"level_factor": 0.5}, "refuted"),
    "poster.theorem1-sde-tracks-dcsgd": ({"omega_scale": 3.0}, "refuted"),
    "poster.scaling-rules-measured": ({"alpha_rule": "beta*omega", "methods": ("dcsgd",)}, "refuted"),  # 1+ω → ω
    "beznosikov.error-feedback-fixes-top1": ({"algorithms": ("cgd",)}, "refuted"),  # plain Top-1 GD "converges"
    "lecture.per-round-bound-randk": ({"bound": "d/(1+omega)**2"}, "refuted"),
    "catalogue.declared-constants": ({"omega_factor": 0.25, "only": ("qsgd",)}, "refuted"),  # QSGD's ω four times too small
}


@pytest.mark.parametrize("cid", sorted(CASES))
def test_planted_wrong_claim(cid):
    wrong, expected = CASES[cid]
    w = registry()[cid].run("quick", **wrong)
    assert w.status == expected, w
    if w.status == "refuted":
        assert w.counterexample


def test_curve_vs_bound_statuses():
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    traj = SimpleNamespace(times=np.linspace(0.1, 1, 20), values=1.0 + 0.01 * rng.standard_normal((20, 200)),
                           alive=np.ones(200, dtype=bool))
    assert curve_vs_bound(traj, lambda tt: 2.0 + 0 * tt)["status"] == "holds"
    assert curve_vs_bound(traj, lambda tt: 0.5 + 0 * tt)["status"] == "refuted"
    assert curve_vs_bound(traj, lambda tt: 1.0 + 0 * tt)["status"] == "inconclusive"


def test_level_vs_bound():
    from types import SimpleNamespace

    E = SimpleNamespace(value=1.0, lower=0.9, upper=1.1, confidence=0.99, stationary=True)

    assert level_vs_bound(E, 1.2) == "holds" and level_vs_bound(E, 0.8) == "refuted"
    assert level_vs_bound(E, 1.0) == "inconclusive"
    assert level_vs_bound(E, 1.0, two_sided_tol=0.2) == "holds"
    assert level_vs_bound(E, 2.0, two_sided_tol=0.1) == "refuted"
    unsettled = SimpleNamespace(value=1.0, lower=0.9, upper=1.1, confidence=0.99, stationary=False)
    assert level_vs_bound(unsettled, 2.0) == "inconclusive"
    assert level_vs_bound(unsettled, 1.0, two_sided_tol=0.2) == "inconclusive"


def test_equivalence_needs_the_whole_interval_inside_the_band():
    """Mutant killed: a two-sided tolerance that "holds" when only the point estimate is inside."""
    from types import SimpleNamespace

    wide = SimpleNamespace(value=1.0, lower=0.8, upper=1.2, confidence=0.99, stationary=True)
    assert level_vs_bound(wide, 1.0, two_sided_tol=0.1) == "inconclusive"  # estimate inside, interval not
    edge = SimpleNamespace(value=1.08, lower=1.06, upper=1.12, confidence=0.99, stationary=True)
    assert level_vs_bound(edge, 1.0, two_sided_tol=0.1) == "inconclusive"
