"""Derivations of Theorems 2-4 and the scaling rules, checked by sympy."""

from __future__ import annotations

import pytest
import sympy as sp

from theorylab.symbolic.bounds import get_bound
from theorylab.symbolic.derivations import (
    randk_derivation,
    theorem2_derivation,
    theorem3_derivation,
    theorem4_derivation,
    xi_concavity,
    xi_ratio_decreasing,
)
from theorylab.symbolic.rules import (
    SEED_DCSGD_ROWS,
    level_ratio,
    rule_table,
    scaling_condition,
    verify_rule,
)
from theorylab.symbolic.symbols import L, N, alpha, beta, delta, eta, kappa, mu, omega


def test_theorem3_derived_equals_stated() -> None:
    dv = theorem3_derivation()
    assert dv.matches_target and dv.verdict == "proved"
    assert sp.simplify(dv.result - get_bound("dcsgd").expr) == 0
    # every step was either proved by sympy or is a named assumption
    assert all(s.check.startswith(("proved", "assumed")) for s in dv.steps)
    named = {s.assumption.name for s in dv.steps if s.assumption is not None}
    assert {"L-smooth", "trace bound", "mu-PL"} <= named


def test_theorem3_derivation_detects_a_wrong_statement() -> None:
    """The final comparison can fail: a bound with (1 + omega) replaced by omega differs."""
    dv = theorem3_derivation()
    wrong = get_bound("dcsgd").expr.subs(1 + omega, omega)
    assert sp.simplify(dv.result - wrong) != 0


@pytest.mark.parametrize("candidate", ["A", "B"])
def test_theorem4_plateau_derived(candidate: str) -> None:
    dv = theorem4_derivation(candidate)
    assert dv.matches_target
    assert sp.simplify(dv.extra["plateau"] - get_bound("dsignsgd", candidate).asymptotic) == 0
    # candidate A's drift bound is refuted (Xi concave), candidate B's is proved
    refuted = [s for s in dv.steps if s.check.startswith("refuted")]
    if candidate == "A":
        assert dv.verdict == "approximation" and len(refuted) == 1
    else:
        assert dv.verdict == "proved" and not refuted


def test_xi_concavity_and_ratio_monotone() -> None:
    _, concave = xi_concavity()
    assert concave
    assert xi_ratio_decreasing()


def test_theorem2_and_randk_derivations() -> None:
    assert theorem2_derivation().verdict == "proved"
    assert randk_derivation().verdict == "proved"


# ----------------------------------------------------------------------------- scaling rules


def test_dcsgd_condition() -> None:
    assert sp.simplify(level_ratio("dcsgd") - kappa * (1 + beta * omega) / (alpha * delta)) == 0
    cond = scaling_condition("dcsgd")
    assert sp.simplify(cond.lhs - cond.rhs - (kappa * (1 + beta * omega) - alpha * delta)) == 0


def test_seed_six_rows_reproduced() -> None:
    tb = rule_table("dcsgd")
    assert len(tb.rows) == 6 and tb.all_reproduced
    got = [(r.variable, sp.simplify(r.expr)) for r in tb.rows]
    want = [(v, e) for v, e, _, _ in SEED_DCSGD_ROWS]
    for (gv, ge), (wv, we) in zip(got, want, strict=True):
        assert gv == wv and sp.simplify(ge - we) == 0
    implications = [r.implication for r in tb.rows]
    assert implications == ["CR ↑ ⇒ Agents ↑", "LR ↑ ⇒ Agents ↑", "BS ↑ ⇒ Agents ↓", "CR ↑ ⇒ LR ↓",
                            "CR ↑ ⇒ BS ↑", "BS ↑ ⇒ LR ↑"]


def test_exact_rule_tends_to_approximate() -> None:
    tb = rule_table("dcsgd", exact=True)
    exact_alpha = tb.exact.rhs
    assert sp.simplify(exact_alpha.subs(eta, 0) - kappa * (1 + beta * omega) / delta) == 0
    assert sp.simplify(exact_alpha - kappa * (1 + beta * omega) / delta
                       - kappa * eta * L**2 * beta * omega / (2 * mu * N)) == 0
    assert all(r.implication_agrees for r in tb.rows)


def test_dsignsgd_rule() -> None:
    tb = rule_table("dsignsgd")
    assert sp.simplify(tb.condition.rhs - alpha * sp.sqrt(delta)) == 0
    assert tb.extra["seed_rule_reproduced"] is True


def test_wrong_rules_are_refuted() -> None:
    bad = verify_rule("dcsgd", alpha, beta * omega, {kappa: 1, delta: 1})  # 1 + beta omega -> beta omega
    assert bad.verdict == "refuted" and bad.ratio_at_counterexample != pytest.approx(1.0)
    assert verify_rule("dcsgd", alpha, 1 + beta * omega, {kappa: 1, delta: 1}).verdict == "holds"
    assert verify_rule("dsignsgd", kappa, alpha * delta).verdict == "refuted"
    assert verify_rule("dsignsgd", kappa, alpha * sp.sqrt(delta)).verdict == "holds"


def test_heterogeneous_agents_trace_uses_mean_omega() -> None:
    from theorylab.symbolic.derivations import heterogeneous_trace

    _, ok = heterogeneous_trace(3)
    assert ok


def test_multivariate_t_signs_are_correlated() -> None:
    """Finding: with one shared chi-square scale the off-diagonal of Sigma-bar is not 0 (nu = 3, y = (1, 1))."""
    import numpy as np

    from theorylab.symbolic.derivations import sign_covariance_multivariate_t
    from theorylab.symbolic.xi import xi_numeric

    m1, m2, cov = sign_covariance_multivariate_t(3.0, 1.0, 1.0)
    assert m1 == pytest.approx(2 * float(xi_numeric(3.0, np.float64(1.0))), abs=1e-10)
    assert cov > 0.03  # measured 0.0365, against a diagonal entry 1 - 4 Xi^2 = 0.629
    # opposite signs of the gradient coordinates give negative correlation; y = 0 gives none
    assert sign_covariance_multivariate_t(3.0, 1.0, -1.0)[2] < -0.03
    assert abs(sign_covariance_multivariate_t(3.0, 0.0, 1.0)[2]) < 1e-12


# ----------------------------------------------------------------------------- soundness of the derivations


def test_a_failed_step_is_not_ok() -> None:
    """"FAILED ..." (or any text that is not proved/assumed/refuted) is an unproved step, never ok."""
    from theorylab.symbolic.derivations import Step

    assert not Step(sp.Integer(0), "x", "FAILED (difference does not simplify to 0)").ok
    assert Step(sp.Integer(0), "x", "FAILED: anything").status == "unproved"
    assert not Step(sp.Integer(0), "x", "numeric: on a grid").ok
    assert not Step(sp.Integer(0), "x", "refuted: y = 1").ok
    assert Step(sp.Integer(0), "x", "proved (simplify)").ok and Step(sp.Integer(0), "x", "assumed (named)").ok


def test_theorem3_rate_and_level_come_from_the_chain() -> None:
    """Delta and c are read off the chain of steps, not from the stated bound."""
    dv = theorem3_derivation()
    assert sp.simplify(dv.extra["Delta"] - (1 - eta * L**2 * omega / (2 * mu * N))) == 0
    from theorylab.symbolic.symbols import B, d, sigma

    assert sp.simplify(dv.extra["c"] - eta * L * d * (1 + omega) * sigma**2 / (2 * N * B)) == 0


@pytest.fixture
def delta_without_factor_2(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Planted bug: the stated Theorem 3 with Delta = 1 - eta L^2 omega/(mu N) (factor 2 dropped)."""
    import dataclasses

    from theorylab.symbolic import bounds, derivations

    orig = bounds._dcsgd

    def mutant():  # type: ignore[no-untyped-def]
        return dataclasses.replace(orig(), rate=1 - eta * L**2 * omega / (mu * N))

    def clear() -> None:
        bounds.get_bound.cache_clear()
        derivations.theorem3_derivation.cache_clear()

    clear()
    monkeypatch.setattr(bounds, "_dcsgd", mutant)
    yield
    monkeypatch.undo()
    clear()


def test_theorem3_derivation_refutes_delta_without_factor_2(delta_without_factor_2) -> None:  # type: ignore[no-untyped-def]
    dv = theorem3_derivation()
    assert not dv.matches_target and dv.verdict == "differs"
    bad = [s for s in dv.steps if s.status == "refuted"]
    assert bad and "derived Delta" in bad[0].check and "stated" in bad[0].check


def test_theorem3_check_is_not_proved_under_delta_mutant(delta_without_factor_2, capsys) -> None:  # type: ignore[no-untyped-def]
    """``theorylab check --only poster.theorem3-derivation`` says refuted and names the Delta step."""
    from theorylab.cli.main import main

    import json

    rc = main(["check", "--only", "poster.theorem3-derivation", "--format", "json"])
    out = capsys.readouterr().out
    assert rc == 0  # refuted claims are results, not errors
    data = json.loads(out)
    text = json.dumps(data)
    (row,) = data["results"]
    assert row["status"] == "refuted" and data["summary"]["proved"] == 0  # the check, not its proved steps
    assert any(p["status"] == "refuted" for p in row["parts"].values())  # the Delta step, shown as a part
    assert "derived Delta" in text and "step 10" in text


def test_theorem3_check_proved_without_mutant() -> None:
    from proofs_checks.checks.theorem_derivations import theorem3_derivation as chk

    v = chk.run()
    assert v.status == "proved" and v.numbers["unproved_steps"] == 0


def test_unproved_step_makes_the_check_inconclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    """A derivation with one step that sympy did not establish is inconclusive, naming the step."""
    import dataclasses

    from proofs_checks.checks import theorem_derivations as td
    from theorylab.symbolic.derivations import Step

    dv = theorem3_derivation()
    steps = list(dv.steps)
    steps[4] = Step(steps[4].statement, steps[4].justification, "FAILED: sympy cannot establish eta L/(2N) >= 0")
    broken = dataclasses.replace(dv, steps=tuple(steps))
    v = td._judge(broken, 1, "Theorem 3 is derived from Theorem 1")
    assert v.status == "inconclusive" and "step 5" in v.found


def test_candidate_b_drift_scale_needs_sigma_positive() -> None:
    """The sign checks of Theorem 4's chain are established, not assumed: every step of B is proved/assumed."""
    dv = theorem4_derivation("B")
    assert [s.status for s in dv.steps].count("unproved") == 0


def test_derivations_compare_with_the_sde_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted bugs in the stated SDEs: Theorem 2's drift without its factor 2, Rand-k's off-diagonal
    coefficient with the wrong sign. The derivations compared their result with itself before."""
    import dataclasses

    from theorylab.symbolic import derivations as der

    d2, drk = der.dsignsgd_sde, der.dcsgd_sde
    monkeypatch.setattr(der, "dsignsgd_sde", lambda *a, **k: dataclasses.replace(d2(*a, **k), drift=d2(*a, **k).drift / 2))
    monkeypatch.setattr(der, "dcsgd_sde", lambda *a, **k: dataclasses.replace(drk(*a, **k), cov_outer=-drk(*a, **k).cov_outer))
    der.theorem2_derivation.cache_clear()
    der.randk_derivation.cache_clear()
    try:
        t2, rk = der.theorem2_derivation(), der.randk_derivation()
        assert t2.verdict == "differs" and t2.steps[-1].status == "refuted"
        assert rk.verdict == "differs" and rk.steps[-1].status == "refuted"
    finally:
        monkeypatch.undo()
        der.theorem2_derivation.cache_clear()
        der.randk_derivation.cache_clear()
    assert der.theorem2_derivation().verdict == "proved" and der.randk_derivation().verdict == "proved"
