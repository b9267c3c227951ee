"""The algorithms' closed-form claims (proofs_checks/checks/algorithms_closed_forms.py) each fail on a
planted bug: a wrong formula fed as the claim, or a wrong algorithm fed to the check."""

from __future__ import annotations

import numpy as np
import pytest

from proofs_checks import discover, registry
from helpers_algorithms import ScaffoldAddsCi

discover()


@pytest.mark.parametrize("cid,wrong,what", [
    ("algorithms.fedavg-fixed-point", {"power": "1"}, "fixed point"),           # (I − γH)^1 instead of ^K
    ("algorithms.fedavg-fixed-point", {"drift_free_K": (1, 2)}, "x̂ = x*"),    # claims no drift at K = 2
    ("algorithms.scaffold-linear-rate", {"target": "fedavg"}, "K=2"),          # claims FedAvg's biased limit
    ("algorithms.fedavg-m-limit", {"limit": "fedavg"}, "FedAvg-M"),
    ("algorithms.gossip-steady-state", {"claimed": "gamma*(I - W + 2*gamma*I)**-1*C"}, "fixed point"),
    ("algorithms.gossip-steady-state", {"claimed_slope": -1.0}, "slope"),
    ("algorithms.independent-masks-save-bits", {"shared_saves": True}, "shared masks save"),
])
def test_planted_wrong_claim_is_refuted(cid: str, wrong: dict, what: str) -> None:
    v = registry()[cid].run("quick", **wrong)
    assert v.status == "refuted" and v.counterexample, v
    assert what in v.found or what in str(v.counterexample) or what in v.claimed, v.found


def test_dcsgd_floor_planted_formula_and_planted_diana() -> None:
    c = registry()["algorithms.dcsgd-floor-diana-ef21"]
    v = c.run("quick", floor_factor=2.0)  # floor claimed twice too high
    assert v.status == "refuted" and any("DCSGD floor" in k for k in v.counterexample)
    w = c.run("quick", diana_alpha=1e-6)  # shifts that barely learn: DIANA ≈ DCSGD, keeps a floor
    assert w.status == "refuted" and "DIANA converges to x* (Rand-1)" in w.counterexample


def test_scaffold_check_refutes_a_planted_scaffold() -> None:
    v = registry()["algorithms.scaffold-linear-rate"].run("quick", algorithm=ScaffoldAddsCi())
    assert v.status == "refuted", v


def test_round_map_rejects_random_steps() -> None:
    from theorylab.errors import InvalidParameterError
    from theorylab.simulate import custom_quadratic
    from theorylab.simulate.algorithms.affine import round_map

    p = custom_quadratic(np.ones((3, 2)), np.eye(3, 2))
    with pytest.raises(InvalidParameterError, match="not affine"):
        round_map("fedavg", p, eta=0.1, participation=2)
    with pytest.raises(InvalidParameterError, match="not affine"):
        round_map("dcsgd", p, eta=0.1, compressor="randk:k=1")


def test_client_sampling_floor_is_an_equivalence_test() -> None:
    """lecture.client-sampling-floor holds only when the interval lies inside the stated margin: with a
    margin (0.1%) narrower than the interval it is inconclusive, never 'holds'; a floor 10% off is refuted."""
    c = registry()["lecture.client-sampling-floor"]
    assert c.run("quick", tol=0.001).status == "inconclusive"
    assert c.run("quick", floor_factor=1.1).status == "refuted"
