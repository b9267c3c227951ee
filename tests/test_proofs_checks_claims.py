"""Each symbolic/exact check fed a planted wrong claim (the 'can it fail' test).

The first entry of each case is the verdict on the source's own claim; it is asserted (with
every other check's) by the single quick run of ``test_proofs_checks_suite.py``.
"""

from __future__ import annotations

import pytest

from proofs_checks import discover, registry

discover()

# id -> (expected verdict on the source's claim, wrong claim, expected verdict on it)
CASES = {
    "beznosikov.top1-divergence": ("proved", {"factor": "1 + 11*eta/3"}, "refuted"),
    "beznosikov.top1-example-constants": ("proved", {"L": "103/3"}, "refuted"),
    "lecture.tcc-algebra": ("proved", {"stated": "d*sigma**2/(mu*n*epsilon) + d*sqrt(L/mu)*log(1/epsilon)"}, "refuted"),
    "lecture.compression-saves-when-noise-dominates": ("proved", {"limit_sigma_to_0": "1 + omega"}, "refuted"),
    "lecture.local-sgd-vs-psgd": ("proved", {"limit_ratio": "1/K"}, "refuted"),
    "lecture.minibatch-vs-local-sgd": ("proved", {"gap": "b/R"}, "refuted"),
    "lecture.scaffold-rates": ("proved", {"scaffold": "sigma/sqrt(n*K*R) + 1/R + b/R"}, "refuted"),
    # inconclusive: the monotonicity step's derivative is undefined at sigma = 0 (see the suite's table)
    "lecture.compressed-sgd-rate": ("proved", {"at_omega0": "sigma/sqrt(K) + 1/K"}, "refuted"),
    "lecture.compression-needs-more-rounds": ("proved", {"extra": "omega*(L/mu)*log(1/epsilon)"}, "refuted"),
    "lecture.local-steps-iid-quadratics": ("proved", {"gain": "(L/mu)*log(1/epsilon)"}, "refuted"),
    # the printed chain is wrong (finding); with Jensen's 1/n and H = 2n it is proved
    "lecture.descent-chain": ("refuted", {"n_power": 1, "hetero": "2*n"}, "proved"),
    "lecture.descent-chain-corrected": ("holds", {"young": "1/2"}, "refuted"),
    "poster.xi-is-t-cdf": ("holds", {"offset": "0.4"}, "refuted"),
    "poster.xi-sign-expectation": ("holds", {"factor": 1.0}, "refuted"),
    "poster.xi-gaussian-limit": ("holds", {"claim": "erf(x)"}, "refuted"),
    "poster.xi-bounded": ("holds", {"bound": "0.4"}, "refuted"),
    "poster.xi-derivative-bound": ("proved", {"bound": "M(nu)/2"}, "refuted"),
    "poster.scaling-rules-dcsgd": ("proved", {"rows": [("alpha", "beta*omega", "beta", (1, 1))]}, "refuted"),
    "poster.scaling-rule-dsignsgd": ("proved", {"rule": "alpha*delta"}, "refuted"),
    "poster.randk-covariance": ("proved", {"diag_claim": "omega*g_j**2 + omega*sigma**2/B"}, "refuted"),
    "lecture.optimal-complexity-log-placement": ("holds", {"log_power": 0.5}, "refuted"),
    "poster.theorem3-derivation": ("proved", {"target_factor": "1/2"}, "refuted"),
    # finding: candidate A's drift lower bound fails (concavity); candidate B's derivation goes through
    "poster.theorem4-derivation-ellA": ("refuted", {"candidate": "B"}, "proved"),
    "poster.theorem4-derivation-ellB": ("proved", {"target_factor": 2}, "refuted"),
    "poster.theorem2-student-t-form": ("proved", {"target_factor": "1/2"}, "refuted"),
    # findings: two printed conversions are wrong; the others are proved
    "beznosikov.class-conversions": ("refuted", {"labels": ["U -> B1", "B3 -> B2", "B2 -> B3"]}, "proved"),
    "beznosikov.class-facts": ("holds", {"randk_zeta_factor": "99/100"}, "refuted"),
    "beznosikov.definition1-misprint": ("refuted", {"reading": "expectation"}, "proved"),
    "beznosikov.cgd-complexity": ("proved", {"claimed": {"B1": "beta*L/(alpha*mu)"}}, "refuted"),
    "horvath.induced-omega": ("holds", {"claimed_omega": "omega*(1 - delta)/2"}, "refuted"),
    # finding: with the poster's multivariate t noise the signs are correlated; with independent coordinates not
    "poster.theorem2-diagonal-diffusion": ("refuted", {"noise": "independent"}, "holds"),
    "lecture.local-sgd-drift": ("holds", {"claimed_drift_free_K": (1, 2, 5, 10, 20)}, "refuted"),
    "lecture.independent-vs-shared-mask": ("proved", {"shared_factor": "1/N"}, "refuted"),
    "lecture.dsgd-consensus-vs-spectral-gap": ("holds", {"claimed_direction": "shrinks"}, "refuted"),
    # "no floor" (factor 0) is refuted; the closed-form floor holds (Monte Carlo, cheap)
    "lecture.client-sampling-floor": ("holds", {"floor_factor": 0.0}, "refuted"),
    # exact-moment engine: "the optimizer attains Theorem 3" (no O(η) excess), order 2, a wrong scaling rule
    "exact.theorem3-vs-optimizer": ("proved", {"excess_coefficient": 0}, "refuted"),
    "exact.sde-weak-order": ("holds", {"order": 2.0}, "refuted"),
    "exact.scaling-rules-discrete": ("proved", {"rule_rows": (("wrong: α = 2 only", 1, 1, 2),)}, "refuted"),
    # finding: Δ > 0 bounds the SDE's moments but admits step sizes at which the optimizer diverges
    "exact.theorem3-step-size-condition": ("proved", {"optimizer_stable_too": True}, "refuted"),
}

# checks whose wrong-claim test lives in another test module (named there)
def _elsewhere() -> set[str]:
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).with_name("test_proofs_checks_montecarlo.py")
    spec = importlib.util.spec_from_file_location("_pc_mc_cases", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return set(mod.CASES)


COVERED_ELSEWHERE: set[str] = {
    # planted wrong claims and planted algorithms in tests/test_algorithms_claims.py
    "algorithms.fedavg-fixed-point", "algorithms.scaffold-linear-rate", "algorithms.fedavg-m-limit",
    "algorithms.gossip-steady-state", "algorithms.dcsgd-floor-diana-ef21", "algorithms.independent-masks-save-bits",
    # planted constants in tests/test_worst_case.py (test_checks_refute_planted_constants and
    # test_pl_checks_never_prove_a_planted_constant)
    "pep.gd-convex-tight", "pep.gd-nonconvex-gradient", "pep.gd-strongly-convex-distance", "pep.heavy-ball-cycle",
    "pep.sgd-one-step", "poster.theorem3-discrete-pep", "lecture.ef21-one-step-pep",
    "lecture.compressed-gd-contractive-pep", "lecture.diana-one-step-pep",
}


def _symbols(kw: dict) -> dict:
    """Rule rows name factors by string in CASES; turn them into the canonical symbols."""
    from proofs_checks.claims import NAMESPACE

    if "rows" in kw:
        kw = {**kw, "rows": [(NAMESPACE[v], e, NAMESPACE[d], imp) for v, e, d, imp in kw["rows"]]}
    return kw


@pytest.mark.parametrize("cid", sorted(CASES))
def test_planted_wrong_claim(cid):
    """The verdict on the source's claim (``expected``) is asserted by the one quick run in
    test_proofs_checks_suite.py; here each check is fed the planted wrong claim."""
    expected, wrong, expected_wrong = CASES[cid]
    wrong = _symbols(wrong)
    c = registry()[cid]
    w = c.run("quick", **wrong)
    assert w.status == expected_wrong, w
    if w.status == "refuted":
        assert w.counterexample


def test_every_check_has_a_wrong_claim_test():
    covered = set(CASES) | set(COVERED_ELSEWHERE) | _elsewhere()
    missing = {c.id for c in discover()[0]} - covered  # the source papers' checks (not users' in the registry)
    assert not missing, f"checks without a wrong-claim test: {sorted(missing)}"


def test_top1_tie_rule_matters_when_the_top_entry_ties():
    """With a_i whose gradients tie at the top, the step depends on the tie rule: refuted."""
    c = registry()["beznosikov.top1-divergence"]
    v = c.run("quick", a_vectors=((1, 1, 0), (0, 1, 1), (1, 0, 1)))
    assert v.status == "refuted"
    assert "tie" in v.found or "ray" in v.found


def test_descent_chain_findings_are_the_two_known_steps():
    v = registry()["lecture.descent-chain"].run("quick")
    assert set(v.counterexample) == {"T2<=T3", "T7<=T8"}
    assert v.numbers["end_to_end_T0<=T8"] == "violated"
    w = registry()["lecture.descent-chain-corrected"].run("quick", tight_n_power=2)
    assert w.status == "refuted" and "tight bound" in w.counterexample
