"""Every "proved" is earned: planted wrong claims or broken proof steps are never reported as proved.

Each test feeds a check a wrong formula, a broken proof ingredient or a claim that only a finite
search supports, and asserts the verdict is refuted or inconclusive (naming what is wrong), where
the old code said "proved" by a constant string, a self-comparison, one sample point or a grid.
"""

from __future__ import annotations

from fractions import Fraction as Q

import pytest
import sympy as sp

from proofs_checks import discover, registry

discover()


def _run(cid: str, **claim):  # type: ignore[no-untyped-def]
    return registry()[cid].run("quick", **claim)


# ----------------------------------------------------------------------------- descent chain


def test_descent_chain_steps_are_proved_from_the_templates() -> None:
    from proofs_checks.checks.descent_chain import _symbolic_proofs

    proofs = _symbolic_proofs(1, Q(2), "2*n")
    assert set(proofs) == {"T0<=T1", "T1=T2", "T2<=T3", "T3=T4", "T4<=T5", "T5<=T6", "T6=T7", "T7<=T8"}
    printed = _symbolic_proofs(2, Q(2), "2")  # the slide's constants: the two false steps get no proof
    assert "T2<=T3" not in printed and "T7<=T8" not in printed
    assert "T4<=T5" not in _symbolic_proofs(1, Q(3, 2), "2*n")  # Young needs c >= 2


def test_descent_chain_u_omega_step_is_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted bug: T6 with (1 + ω/2) instead of (1 + ω). T5 <= T6 was 'proved' by a constant string."""
    from proofs_checks.checks import descent_chain as dc

    orig = dc.chain_templates

    def mutant(n_power=2, young=Q(2), hetero="2"):  # type: ignore[no-untyped-def]
        T = orig(n_power, young, hetero)
        T["T6"] = T["T6"].subs(dc.omega_, dc.omega_ / 2)
        return T

    monkeypatch.setattr(dc, "chain_templates", mutant)
    assert "T5<=T6" not in dc._symbolic_proofs(1, Q(2), "2*n")
    v = _run("lecture.descent-chain-corrected")
    assert v.status == "refuted" and v.numbers["T5<=T6"] == "refuted"


def test_descent_chain_equalities_compare_different_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    """T3 = T4 and T6 = T7 compare two different computations: a wrong expansion is not proved."""
    from proofs_checks.checks import descent_chain as dc

    orig = dc.chain_templates

    def mutant(n_power=2, young=Q(2), hetero="2"):  # type: ignore[no-untyped-def]
        T = orig(n_power, young, hetero)
        T["T7"] = T["T7"].subs(dc.HCross_, 0).subs(dc.Hdev_, 2 * dc.Hdev_)  # ‖a + b‖² read as 2‖a‖² + ‖b‖²
        return T

    monkeypatch.setattr(dc, "chain_templates", mutant)
    assert "T6=T7" not in dc._symbolic_proofs(1, Q(2), "2*n")
    assert _run("lecture.descent-chain-corrected").numbers["T6=T7"] == "refuted"


# ----------------------------------------------------------------------------- scaling rules


def test_scaling_rule_implication_needs_a_sign_on_the_whole_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    """If sympy cannot sign the derivative over the domain the row is inconclusive (the old code
    evaluated the sign at one point and said proved)."""
    from proofs_checks.checks import scaling_rules as sr
    from theorylab.errors import InvalidParameterError

    def undecided(expr, driver):  # type: ignore[no-untyped-def]
        raise InvalidParameterError("undetermined")

    monkeypatch.setattr(sr, "derivative_sign", undecided)
    v = _run("poster.scaling-rules-dcsgd")
    assert v.status == "inconclusive" and v.numbers["proved"] == 0


def test_scaling_rule_wrong_implication_is_refuted() -> None:
    from theorylab.symbolic.symbols import alpha, beta, omega  # noqa: F401

    v = _run("poster.scaling-rules-dcsgd", rows=[(alpha, 1 + beta * omega, beta, (1, -1))])
    assert v.status == "refuted" and "whole domain" in v.found


def test_derivative_sign_is_symbolic() -> None:
    from theorylab.errors import InvalidParameterError
    from theorylab.symbolic.rules import derivative_sign

    a, b = sp.symbols("a b", positive=True)
    assert derivative_sign(a * b, b) == 1 and derivative_sign(1 / b, b) == -1
    with pytest.raises(InvalidParameterError):
        derivative_sign((b - 1) ** 2, b)  # sign changes at b = 1: one point would have said "positive"


# ----------------------------------------------------------------------------- optimal complexity


def test_optimal_complexity_power_is_derived_symbolically() -> None:
    from proofs_checks.checks.optimal_complexity import agd_iteration_count

    r, k_of_ell, ok = agd_iteration_count()
    assert ok and sp.simplify(r - (1 - 1 / sp.sqrt(sp.Symbol("kappa", positive=True)))) == 0
    assert registry()["lecture.optimal-complexity-log-placement"].method == "symbolic"
    v = _run("lecture.optimal-complexity-log-placement", log_power=0.5)
    assert v.status == "refuted" and "derived power of ln(1/ε) is 1" in v.found
    w = _run("lecture.optimal-complexity-log-placement")
    assert w.status == "holds" and w.confidence is None  # the float fit is a cross-check, never "exact"


# ----------------------------------------------------------------------------- induced compressor


def test_induced_general_bound_is_a_certificate() -> None:
    from proofs_checks.checks.induced_compressor import d_s, induced_certificate, w_s

    assert induced_certificate(w_s * (1 - d_s))[0]
    ok, why = induced_certificate(w_s * (1 - d_s) / 2)
    assert not ok and "no certificate" in why


def test_induced_grid_alone_is_never_proved() -> None:
    """A looser constant that the grid does not attain is not proved by the grid (it holds there, as a
    search) and the general certificate does not cover it: the old code said proved for each case."""
    v = _run("horvath.induced-omega", claimed_omega="2*omega*(1 - delta)")
    # parts: general (inconclusive), 2 catalogue constants (proved), 2 samples (refuted), 2 grid cases (holds)
    assert v.status == "refuted"
    assert "2 proved, 2 holds, 2 refuted, 1 inconclusive of 7 parts" in v.found


# ----------------------------------------------------------------------------- Xi


def test_xi_limit_is_derived() -> None:
    from theorylab.symbolic.xi import Xi, xi_limit_at_infinity

    nu = sp.Symbol("nu", positive=True)
    assert xi_limit_at_infinity.__wrapped__(nu) == sp.S.Half
    assert xi_limit_at_infinity.__wrapped__(sp.oo) == sp.S.Half
    assert Xi(nu, sp.oo) == sp.S.Half and Xi(nu, -sp.oo) == -sp.S.Half


def test_xi_bounded_uses_the_derived_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a wrong limit (1 instead of 1/2) the symbolic part refutes |Ξ| < 1/2: nothing is hard-coded."""
    from proofs_checks.checks import xi_identities as xi

    monkeypatch.setattr(xi, "xi_limit_at_infinity", lambda nu_: sp.S.One)
    v = _run("poster.xi-bounded")
    assert v.status == "refuted" and "sup |Ξ_ν| = 1" in v.found
