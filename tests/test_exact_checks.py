"""The exact-engine checks (proofs_checks/checks/exact_levels.py): the claims hold, and planted wrong
claims are refuted with a counterexample."""

from __future__ import annotations

import pytest

from proofs_checks.check import discover, registry


@pytest.fixture(scope="module")
def checks():
    discover()
    return registry()


def test_theorem3_vs_optimizer_is_proved_for_every_eta_and_a_wrong_excess_is_refuted(checks) -> None:
    c = checks["exact.theorem3-vs-optimizer"]
    v = c.run("quick")
    # "proved" rests on the SDE's level for every η (symbolic), not on the one η = 1/100 of the exact engine
    # (a cross-check); the optimizer's ratio is a rational function of a symbolic η
    assert v.status == "proved", v.found
    gen = v.parts["DCSGD Rand-5: SDE level = Theorem 3 for every η with Δ > 0"]
    assert gen.status == "proved" and "difference 0" in gen.found and "Δ > 0 (2N − ηω > 0)" in gen.assumptions_used
    assert v.parts["DSGD: cross-check at η = 1/100 (exact moment engine)"].claimed.endswith("at η = 1/100 (d = 20, N = 4)")
    assert v.parts["DSGD: optimizer level / Theorem 3 = 1 + 1/2·η + O(η²)"].status == "proved"
    low = c.run("quick", level_factor=0.99)  # a bound 1% lower: the general SDE part refutes it too
    assert low.parts["DSGD: SDE level = Theorem 3 for every η with Δ > 0"].status == "refuted"
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
