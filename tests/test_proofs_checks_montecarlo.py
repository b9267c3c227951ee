"""Monte Carlo checks: the sources' claim and a planted wrong one (small settings, fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from proofs_checks import discover, registry
from proofs_checks.montecarlo import curve_vs_bound, level_vs_bound

discover()

CASES = {
    # a bound halved must be refuted; the candidate-A plateau matches the level within 10 %
    "poster.theorem4-plateau-ellA": ("holds", {"level_factor": 0.5}, "refuted"),
    # finding: candidate A is no bound in the transient; a 5x larger bound survives (the verdict is computed)
    "poster.theorem4-trajectory-ellA": ("refuted", {"level_factor": 5.0}, "holds"),
    "poster.theorem4-trajectory-ellB": ("holds", {"level_factor": 0.5}, "refuted"),
}


@pytest.mark.parametrize("cid", sorted(CASES))
def test_claim_and_planted_wrong_claim(cid):
    expected, wrong, expected_wrong = CASES[cid]
    c = registry()[cid]
    assert c.run("quick").status == expected
    w = c.run("quick", **wrong)
    assert w.status == expected_wrong, w
    if w.status == "refuted":
        assert w.counterexample


def test_curve_vs_bound_statuses():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 20)
    vals = 1.0 + 0.01 * rng.standard_normal((20, 200))
    assert curve_vs_bound(t, vals, lambda tt: 2.0 + 0 * tt)["status"] == "holds"
    assert curve_vs_bound(t, vals, lambda tt: 0.5 + 0 * tt)["status"] == "violated"
    assert curve_vs_bound(t, vals, lambda tt: 1.0 + 0 * tt)["status"] == "inconclusive"


def test_level_vs_bound():
    class E:
        lower, upper = 0.9, 1.1

    assert level_vs_bound(E, 1.2) == "holds" and level_vs_bound(E, 0.8) == "violated"
    assert level_vs_bound(E, 1.0) == "inconclusive"
    assert level_vs_bound(E, 1.0, two_sided_tol=0.2) == "holds"
    assert level_vs_bound(E, 2.0, two_sided_tol=0.1) == "violated"
