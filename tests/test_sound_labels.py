"""Honest labels (issue 19, items 7–9): rate's shapes and deterministic fits, one-sided limits,
the claim helpers' keywords at values where they change the result, built-in checks that were
"proved" on instances (each test fails if the unsound label comes back), joint deterministic
verdicts that state their tolerance, and ``--explain``."""

from __future__ import annotations

import types

import numpy as np
import pytest
import sympy as sp

from theorylab.claims import combine, exact_on_instances, explain, holds, limit, proved, rate
from theorylab.claims.montecarlo import level_vs_bound
from theorylab.errors import InvalidParameterError

X = np.array([1.0, 2, 4, 8, 16, 32])


# --------------------------------------------------------------------------- item 7: rate, limit, keywords
def test_rate_refuses_an_ambiguous_square_array_and_reads_a_trajectory():
    rng = np.random.default_rng(0)
    y = (2 * X ** -1.0)[:, None] * np.exp(0.05 * rng.standard_normal((X.size, X.size)))  # (points, replicas), n == R
    with pytest.raises(InvalidParameterError, match="ambiguous"):
        rate(X, y, -1, tol=0.05)
    # read as (points, replicas) the true slope holds; read the wrong way round it would be nonsense
    assert rate(X, y, -1, tol=0.1, replica_axis=1).status == "holds"
    traj = types.SimpleNamespace(values=y, times=X)  # a Trajectory's shape contract: values (P, R)
    v = rate(X, traj, -1, tol=0.1)
    assert v.status == "holds" and v.numbers["slope"] == pytest.approx(rate(X, y.T, -1, tol=0.1, replica_axis=0).numbers["slope"])
    with pytest.raises(InvalidParameterError, match="replica_axis=1"):
        rate(X, y[:, :4], -1, tol=0.1)  # (points, replicas) passed as if (replicas, points)


def test_deterministic_fits_claim_no_false_alarm_rate():
    one = rate(X, 3 * X ** -0.5, "-1/2", tol=0.02)
    assert one.status == "holds" and one.confidence is None and "false alarm" not in one.label()
    flat = np.tile(3 * X ** -0.5, (5, 1))  # replicas without spread
    rep = rate(X, flat, "-1/2", tol=0.02)
    assert rep.confidence is None and "false alarm" not in rep.label()
    noisy = 3 * X ** -0.5 * np.exp(0.01 * np.random.default_rng(1).standard_normal((40, X.size)))
    assert "false alarm ≤ 0.001" in rate(X, noisy, "-1/2", tol=0.05).label()  # a statistical fit keeps it


def test_limit_direction_is_printed_and_changes_the_result():
    up = limit("Abs(x)/x", "x", 0, "1", direction="+")
    down = limit("Abs(x)/x", "x", 0, "1", direction="-")
    assert up.status == "proved" and "0⁺" in up.claimed and "one-sided" in up.claimed
    assert down.status == "refuted" and "0⁻" in down.claimed
    both = limit("x**2", "x", 0, "0")
    assert "one-sided" not in both.claimed and "⁺" not in both.claimed
    with pytest.raises(InvalidParameterError, match="direction"):
        limit("x", "x", 0, "0", direction="up")


def test_rate_estimate_keyword_changes_the_result():
    xs = np.array([0.01, 0.02, 0.04, 0.08])
    cv = np.array([0.34, 0.25, 0.18, 0.13])
    shape = 1 / cv**2
    y = 0.7 * xs * np.random.default_rng(0).gamma(shape, 1 / shape, size=(4000, xs.size))
    assert rate(xs, y, 1, tol=0.02, estimate="mean").status == "holds"
    assert rate(xs, y, 1, tol=0.02, estimate="per-replica").status == "refuted"


def test_two_sided_tolerance_changes_the_result():
    est = types.SimpleNamespace(value=0.55, lower=0.5, upper=0.6, stationary=True, confidence=0.999)  # below 1
    assert level_vs_bound(est, 1.0) == "holds"  # one-sided: under the upper bound
    assert level_vs_bound(est, 1.0, two_sided_tol=0.1) == "refuted"  # equality claim: outside [0.9, 1.1]


# --------------------------------------------------------------------------- item 8: joint tolerance
def test_joint_deterministic_holds_states_its_tolerance():
    v = combine("c", {"a": proved("a", "x"), "b": holds("b", "y", confidence=None, tolerance=1e-12),
                      "c": exact_on_instances("c", "z", "K = 1, 2")})
    assert v.label() == "holds (deterministic parts, tol 1e-12)" and v.tolerance == 1e-12
    bare = combine("c", {"b": holds("b", "y", confidence=None)})  # a part that states nothing is named
    assert bare.tolerance == "unstated (b)"
    assert exact_on_instances("c", "z", "K = 1, 2, 4, 8").label() == "holds (exact on the instances K = 1, 2, 4, 8)"


# --------------------------------------------------------------------------- item 8: the built-in checks
def _run(check_id: str, **claim):
    from proofs_checks.runner import collect

    checks, _ = collect([check_id])
    (c,) = [c for c in checks if c.id == check_id]
    return c("quick", **claim)


def _no_proved_instance_parts(v):
    """No part may be ``proved`` while its evidence is a list of instances."""
    for k, p in v.parts.items():
        assert not (p.status == "proved" and ("instances" in p.found and "every" not in k)), k


def test_local_sgd_drift_is_exact_on_instances_with_k1_proved_in_general():
    v = _run("lecture.local-sgd-drift")
    assert v.status == "holds" and v.tolerance == 1e-12
    assert v.parts["K=2"].label().startswith("holds (exact on the instances")
    assert v.parts["drift grows with K"].label().startswith("holds (exact on the instances")
    gen = v.parts["K=1 (every N, a_i, c_i, η)"]
    assert gen.status == "proved" and gen.engine
    assert _run("lecture.local-sgd-drift", claimed_drift_free_K=(1, 2)).status == "refuted"


def test_fedavg_fixed_point_is_exact_on_instances():
    v = _run("algorithms.fedavg-fixed-point")
    assert v.status == "holds" and v.label() == "holds (deterministic parts, tol 1e-10)"
    assert v.parts["bias grows with K"].label() == "holds (exact on the instances the three quadratics above, " \
        "γ = 1/10, K = 1, 2, 4, 8)"
    assert all(p.status != "proved" for p in v.parts.values())
    assert _run("algorithms.fedavg-fixed-point", power="K+1").status == "refuted"


def test_independent_vs_shared_mask_is_proved_for_every_d_k_n():
    v = _run("lecture.independent-vs-shared-mask")
    assert v.status == "proved"
    gen = [p for k, p in v.parts.items() if k.startswith("independent: every d")]
    assert gen and gen[0].status == "proved" and "d - k" in gen[0].found  # the symbolic formula
    bad = _run("lecture.independent-vs-shared-mask", independent_factor="1")
    assert bad.status == "refuted"
    assert bad.parts["independent: every d, k <= d, N and g (per coordinate, symbolic)"].status == "refuted"


def test_dsgd_consensus_is_exact_on_instances_with_exact_gaps():
    v = _run("lecture.dsgd-consensus-vs-spectral-gap")
    assert v.label() == "holds (exact on the instances n = 4, 8, 16, 32 (ring, γ = 1/20))"
    assert "sqrt(2)" in v.found  # the gaps are exact algebraic numbers, not floats
    assert _run("lecture.dsgd-consensus-vs-spectral-gap", claimed_direction="shrinks").status == "refuted"


def test_class_facts_general_parts_and_top_k_instances():
    v = _run("beznosikov.class-facts")
    assert v.status == "holds"
    for key in ("B1(α, β) is non-empty only if α ≤ β²", "B2(γ, β) is non-empty only if γ ≤ β",
                "Rand-k ∈ U(d/k) for every d, k <= d (unbiased)", "Rand-k ∉ U(ζ) for any ζ < d/k (tight, every d, k)"):
        assert v.parts[key].status == "proved" and v.parts[key].engine.startswith("z3"), key
    assert v.parts["Top-1 (d=3) ∈ B1(k/d, 1), B2(k/d, 1), B3(d/k)"].label().startswith("holds (exact on the instances")
    low = _run("beznosikov.class-facts", randk_zeta_factor="1/2")  # planted: Rand-k ∈ U(d/(2k))
    assert low.parts["Rand-k ∈ U(d/(2*k)) for every d, k <= d (unbiased)"].status == "refuted"
    high = _run("beznosikov.class-facts", randk_zeta_factor=2)  # planted: tight at 2d/k
    assert high.parts["Rand-k ∉ U(ζ) for any ζ < 2*d/k (tight, every d, k)"].status == "refuted"


def test_class_facts_b1_needs_its_hypotheses():
    """Planted: without B1's upper inequality α ≤ β² is refuted by an exact, re-checked point."""
    from proofs_checks.real_arithmetic import decide_real

    s, p, g, a, b = sp.symbols("S P G alpha beta")
    hyps = [g > 0, s >= 0, s * g - p**2 >= 0, a > 0, b > 0, s - a * g >= 0]
    assert decide_real(sp.Le(a, b**2), hyps + [b * p - s >= 0]).status == "proved"
    dec = decide_real(sp.Le(a, b**2), hyps)
    assert dec.status == "refuted" and dec.model["alpha"] > dec.model["beta"] ** 2


def test_decide_real_never_proves_on_unknown(monkeypatch):
    """An engine that gives up answers unknown, not proved (the Motzkin polynomial is >= 0, but not a
    sum of squares: it takes z3 real work)."""
    import theorylab.claims.decision as decision
    from proofs_checks.real_arithmetic import decide_real

    x, y = sp.symbols("x y")
    motzkin = x**4 * y**2 + x**2 * y**4 - 3 * x**2 * y**2 + 1
    with monkeypatch.context() as m:
        m.setattr(decision, "decide", lambda *a, **k: decision.Decision("unknown", "z3", reason="resource limit"))
        assert decide_real(motzkin >= 0).status == "unknown"
    assert decide_real(motzkin >= 0).status == "proved"
    assert decide_real(motzkin >= sp.Rational(1, 100)).status == "refuted"  # its minimum is 0 at |x| = |y| = 1


def test_theorem3_step_size_condition_is_strict_and_exact():
    v = _run("exact.theorem3-step-size-condition")
    assert v.status == "proved"
    assert v.parts["SDE"].engine.startswith("z3") and "Δ = 1 − ηL²ω/(2μN) > 0" in v.parts["SDE"].assumptions_used
    assert "97/80" in v.parts["optimizer"].found  # the divergence witness in exact rationals
    assert _run("exact.theorem3-step-size-condition", optimizer_stable_too=True).status == "refuted"


def test_theorem3_rate_without_the_step_size_condition_is_refuted():
    """Planted: drop Δ > 0 and the SDE's rate < 0 is refuted (the hypothesis is doing the work)."""
    from proofs_checks.real_arithmetic import decide_real

    e, n, w, m, lam, L = sp.symbols("eta N omega mu lambda L")
    rate_ = lam * (-2 * n + e * lam * w) / n
    base = [e > 0, n > 0, w >= 0, m > 0, m <= lam, lam <= L]
    assert decide_real(rate_ < 0, base + [1 - e * L**2 * w / (2 * m * n) > 0]).status == "proved"
    assert decide_real(rate_ < 0, base).status == "refuted"


def test_per_round_bound_parts_are_exact_on_instances():
    v = _run("lecture.per-round-bound-randk")
    assert v.status == "holds"
    assert v.parts["d=64, k=4"].label() == "holds (exact on the instances d = 64, k = 4)"
    assert v.parts["d/(1+ω) = k (symbolic)"].status == "proved"


def test_optimal_complexity_power_is_derived():
    v = _run("lecture.optimal-complexity-log-placement")
    assert v.label() == "holds (deterministic parts, tol 0.2)"
    assert "local power" in v.parts["symbolic"].found
    assert _run("lecture.optimal-complexity-log-placement", log_power=0.5).parts["symbolic"].status == "refuted"


def test_descent_chain_steps_are_general_or_instances():
    v = _run("lecture.descent-chain-corrected")
    assert v.label() == "holds (deterministic parts, tol 0)"
    assert v.parts["T2<=T3"].status == "proved" and "symbolic n" in v.parts["T2<=T3"].found
    assert "sum of squares" in v.parts["T7<=T8"].found
    assert v.parts["T0<=T1"].assumptions_used == ("L-smooth f (descent lemma)",)
    assert v.parts["tight bound"].label().startswith("holds (exact on the instances")


def test_jensen_for_every_n_is_not_vacuous():
    from proofs_checks.checks import descent_chain as dc

    assert dc._jensen_every_n()
    i, n = sp.symbols("i n", integer=True, positive=True)
    w = sp.IndexedBase("w")
    wrong = n * sp.Sum(w[i] ** 2, (i, 1, n)) - sp.Sum(w[i], (i, 1, n)) ** 2 - n * sp.Sum(w[i] ** 2, (i, 1, n))
    assert sp.simplify(wrong) != 0  # dropping the mean term is caught


def test_theorem3_derivation_steps_are_checked_and_assumptions_named():
    from theorylab.symbolic import derivations as der

    dv = der.theorem3_derivation()
    collect = [s for s in dv.steps if s.justification.startswith("collect")][0]
    assert collect.status == "proved" and "simplify(bound" in collect.check
    comparison = [s for s in dv.steps if s.justification.startswith("comparison")][0]
    assert comparison.status == "assumed"
    dv4 = der.theorem4_derivation("B")
    dyn = [s for s in dv4.steps if s.justification.startswith("Dynkin")][0]
    assert dyn.status == "assumed"
    v = _run("poster.theorem3-derivation")
    assert v.status == "proved" and "comparison lemma" in v.assumptions_used
    assert any(p.engine == "assumed" for p in v.parts.values())


def test_horvath_declared_omega_is_read_exactly():
    from proofs_checks.checks.induced_compressor import declared_vs_exact
    from theorylab.compressors import from_spec

    declared = from_spec("induced(topk:k=1,randk:k=1)").omega(sp.Integer(3))
    assert isinstance(declared, sp.Basic) and declared.is_Rational  # not a float turned into 4/3
    exact = declared_vs_exact("k", declared, sp.Rational(4, 3), "spec", 3)
    assert exact.status == "proved" and exact.engine == "exact rationals"
    as_float = declared_vs_exact("k", 4 / 3, sp.Rational(4, 3), "spec", 3)  # a float declaration: never proved
    assert as_float.label() == "holds (float64 comparison, tol 8.88178e-16)"
    near = declared_vs_exact("k", 1.3333333, sp.Rational(4, 3), "spec", 3)  # nsimplify would call this 4/3
    assert near.status == "refuted"


# --------------------------------------------------------------------------- item 9: --explain
def test_explain_prints_steps_engines_assumptions_and_domain_conditions():
    v = _run("exact.theorem3-step-size-condition")
    text = explain(v)
    assert "steps (2):" in text and "engine: z3" in text and "assumptions used: η > 0" in text
    assert "domain conditions discharged: N ≠ 0" in text
    md = explain(v, "markdown")
    assert "### Steps" in md and "- **1. SDE: proved**" in md
    with pytest.raises(InvalidParameterError):
        explain(v, "json")


def test_explain_reads_what_the_claim_helpers_record():
    from theorylab.claims import inequality

    v = inequality("x**2 + 1", ">", "0", symbols={"x": "real"})
    text = explain(v)
    assert v.status == "proved" and "engine: not stated" not in text and "engine: " in text


def test_check_cli_explain(capsys):
    from proofs_checks.cli import main

    assert main(["--explain", "lecture.independent-vs-shared-mask"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("check: lecture.independent-vs-shared-mask") and "engine: sympy" in out
    assert main(["--explain", "no.such-check"]) == 2
    assert "no check has the id" in capsys.readouterr().err
