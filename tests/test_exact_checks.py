"""The exact-engine checks (proofs_checks/checks/exact_levels.py): the claims hold, and planted wrong
claims are refuted with a counterexample."""

from __future__ import annotations

import pytest

from proofs_checks.check import discover, registry


@pytest.fixture(scope="module")
def checks():
    discover()
    return registry()


def test_theorem3_vs_optimizer_holds_on_its_eta_instances_and_a_wrong_excess_is_refuted(checks) -> None:
    c = checks["exact.theorem3-vs-optimizer"]
    v = c.run("quick")
    # the SDE's level is computed at η = 1/100 only in quick mode: exact on that instance, not proved for every η;
    # the optimizer's ratio is a rational function of a symbolic η: proved
    assert v.label() == "holds (deterministic parts, tol 0)", v.found
    assert v.parts["DSGD: SDE level = Theorem 3"].label() == "holds (exact on the instances η = 1/100)"
    assert v.parts["DSGD: optimizer level / Theorem 3 = 1 + 1/2·η + O(η²)"].status == "proved"
    assert v.numbers["DCSGD Rand-5: exact excess at eta=1/100"] == pytest.approx(0.005044136191677, rel=1e-10)
    # "the optimizer attains Theorem 3" (no O(η) excess) is false
    bad = c.run("quick", excess_coefficient=0)
    assert bad.status == "refuted" and bad.counterexample
    # a bound 1% lower is no longer attained by the SDE
    assert c.run("quick", level_factor=0.99).status == "refuted"


def test_weak_order_holds_and_order_two_is_refuted(checks) -> None:
    c = checks["exact.sde-weak-order"]
    v = c.run("quick")
    assert v.status == "holds" and v.confidence is None
    assert c.run("quick", order=2.0).status == "refuted"
    assert c.run("quick", order=0.5).status == "refuted"


def test_scaling_rules_on_the_discrete_algorithm(checks) -> None:
    c = checks["exact.scaling-rules-discrete"]
    assert c.run("quick").status == "proved"
    bad = c.run("quick", rule_rows=(("wrong: α = 2 only", 1, 1, 2),))
    assert bad.status == "refuted" and "limit" in str(bad.counterexample)


def test_step_size_condition_bounds_the_sde_not_the_optimizer(checks) -> None:
    c = checks["exact.theorem3-step-size-condition"]
    v = c.run("quick")
    assert v.status == "proved" and v.numbers["spectral_radius"] == pytest.approx(1.2125)
    bad = c.run("quick", optimizer_stable_too=True)
    assert bad.status == "refuted" and bad.counterexample
