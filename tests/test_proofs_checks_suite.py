"""One quick run of every check: none errors, and each verdict is the documented one.

This is the only test that runs the whole quick suite (its cost is the suite's quick run).
The expected verdicts are the findings of the closing note: a change in any of them is a
change in what theorylab reports about the sources, and must be deliberate.
"""

from __future__ import annotations

import json

import pytest

from proofs_checks import collect, render, run_checks

EXPECTED = {
    "algorithms.dcsgd-floor-diana-ef21": "holds",
    "algorithms.fedavg-fixed-point": "holds",
    "algorithms.fedavg-m-limit": "holds",
    "algorithms.gossip-steady-state": "holds",
    "algorithms.independent-masks-save-bits": "holds",
    "algorithms.scaffold-linear-rate": "holds",
    "beznosikov.error-feedback-fixes-top1": "holds",
    "lecture.per-round-bound-randk": "holds",  # exact on the (d, k) instances (issue 19)
    "poster.scaling-rules-measured": "holds",
    "poster.theorem1-sde-tracks-dcsgd": "holds",
    "poster.theorem3-plateau": "holds",
    "poster.theorem3-trajectory": "holds",
    "beznosikov.cgd-complexity": "proved",
    "beznosikov.class-conversions": "refuted",  # B1->B2(α, β²) and U->B3(1/ζ) misprinted
    "beznosikov.class-facts": "holds",  # Top-k exact on (d, k) instances (issue 19)
    "beznosikov.definition1-misprint": "refuted",  # C(x) = x printed for E[C(x)] = x
    "beznosikov.top1-divergence": "proved",
    "beznosikov.top1-example-constants": "proved",
    "catalogue.declared-constants": "holds",
    "horvath.induced-omega": "holds",
    "lecture.client-sampling-floor": "holds",
    # d rate/d omega has 1/sqrt(b^2 omega + omega sigma^2 + sigma^2), undefined at sigma = 0 with b = 0 or
    # omega = 0: a negative power of a base that may be 0 is no longer taken as nonnegative
    "lecture.compressed-sgd-rate": "proved",
    "lecture.compression-needs-more-rounds": "proved",
    "lecture.compression-saves-when-noise-dominates": "proved",
    "lecture.descent-chain": "refuted",  # two printed steps fail
    "lecture.descent-chain-corrected": "holds",
    "lecture.dsgd-consensus-vs-spectral-gap": "holds",  # exact on n = 4, 8, 16, 32 (issue 19)
    "lecture.independent-vs-shared-mask": "proved",
    "lecture.local-sgd-drift": "holds",  # closed forms proved; the library's SCAFFOLD/FedAvg checked in float64
    "lecture.local-sgd-vs-psgd": "proved",
    "lecture.local-steps-iid-quadratics": "proved",
    "lecture.minibatch-vs-local-sgd": "proved",
    "lecture.optimal-complexity-log-placement": "holds",
    "lecture.scaffold-rates": "proved",
    "lecture.tcc-algebra": "proved",
    "poster.heavy-tails": "holds",
    "poster.randk-covariance": "proved",
    "poster.scaling-rule-dsignsgd": "proved",
    "poster.scaling-rules-dcsgd": "proved",
    "poster.theorem2-sde-tracks-dsignsgd": "holds",
    "poster.theorem2-diagonal-diffusion": "refuted",  # multivariate t: signs correlated, Σ̃ not diagonal
    "poster.theorem2-student-t-form": "proved",
    "poster.theorem3-derivation": "proved",
    "poster.theorem4-derivation-ellA": "refuted",  # drift lower bound fails away from the optimum
    "poster.theorem4-derivation-ellB": "proved",
    "poster.theorem4-plateau-ellA": "holds",
    "poster.theorem4-trajectory-ellA": "refuted",  # not a bound in the transient
    "poster.theorem4-trajectory-ellB": "holds",
    "poster.xi-bounded": "holds",
    "poster.xi-derivative-bound": "proved",
    "poster.xi-gaussian-limit": "holds",
    "poster.xi-is-t-cdf": "holds",
    "poster.xi-sign-expectation": "holds",
    "exact.theorem3-vs-optimizer": "proved",  # SDE attains Theorem 3 for every η (symbolic); the optimizer exceeds it by 1 + η/2 + O(η²)
    "exact.sde-weak-order": "holds",
    "exact.scaling-rules-discrete": "proved",
    "exact.theorem3-step-size-condition": "proved",  # Δ > 0 bounds the SDE, not the optimizer (η = 1.7, ω = 1)
    # worst cases over function classes (PEP, exact certificates)
    "pep.gd-convex-tight": "proved",
    "pep.gd-strongly-convex-distance": "proved",
    "pep.sgd-one-step": "proved",
    "pep.gd-nonconvex-gradient": "proved",
    "pep.heavy-ball-cycle": "proved",  # the convergence claim is refuted by an exact 3-cycle
    "poster.theorem3-discrete-pep": "proved",
    "lecture.ef21-one-step-pep": "proved",
    "lecture.diana-one-step-pep": "proved",
    "lecture.compressed-gd-contractive-pep": "proved",
}


@pytest.fixture(scope="module")
def quick_results():
    checks, failures = collect(None)
    return run_checks(checks, "quick", failures=failures, progress=False)


def test_no_check_errors(quick_results):
    errors = {r.id: r.verdict.found for r in quick_results if r.verdict.status == "error"}
    assert not errors, errors


def test_every_check_has_its_documented_verdict(quick_results):
    got = {r.id: r.verdict.status for r in quick_results}
    assert set(got) == set(EXPECTED), (set(got) ^ set(EXPECTED))
    diff = {k: (EXPECTED[k], got[k]) for k in EXPECTED if got[k] != EXPECTED[k]}
    assert not diff, diff


def test_refuted_claims_carry_counterexamples_and_render(quick_results):
    for r in quick_results:
        if r.verdict.status == "refuted":
            assert r.verdict.counterexample, r.id
    text = render(quick_results, "text")
    assert "REFUTED CLAIMS" in text
    js = json.loads(render(quick_results, "json"))
    assert js["summary"]["total"] == len(EXPECTED) and js["summary"]["error"] == 0


def test_claims_table_agrees_with_the_verdicts_found(quick_results):
    """The claims-test table records each check's verdict on the source's claim; it must match
    the verdict this run found (not merely the other hard-coded table)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).with_name("test_proofs_checks_claims.py")
    spec = importlib.util.spec_from_file_location("_pc_claims_cases", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    got = {r.id: r.verdict.status for r in quick_results}
    missing = set(mod.CASES) - set(got)
    assert not missing, f"the claims table names checks that did not run: {missing}"
    diff = {k: (v[0], got[k]) for k, v in mod.CASES.items() if got[k] != v[0]}
    assert not diff, diff


def test_every_holds_states_its_evidence(quick_results):
    """A statistical "holds" states its false-alarm rate; the table shows it (no "holds@")."""
    text = render(quick_results, "text")
    assert "holds@" not in text
    for r in quick_results:
        v = r.verdict
        if v.status == "holds" and r.method == "monte-carlo":
            assert v.confidence is not None and "false alarm" in v.label(), r.id
