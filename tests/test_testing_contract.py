"""The kit on compressors written the way the field writes them: contract, robustness, power, findings.

Every example of issue 10 with its right verdict.
"""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest

from helpers_compressors import (
    RandKPair,
    ScaleBiased,
    TorchBernoulliVmap,
    TorchRandK,
    bernoulli_wrong_scale,
    natural_log2_naive,
    qsgd_l2_naive,
    randk_with_replacement,
    randk_wrong_scale,
)
from theorylab.compressors import Bernoulli, Identity, RandK, TernGrad
from theorylab.testing import CompressorContractError, check_compressor

FAST = {"search": False}  # the fixed adversarial set is enough where the search is not the point


def _kinds(rep):
    return [f.kind for f in rep.findings]


# ----------------------------------------------------------------------------- naive real implementations
def test_textbook_l2_qsgd_gets_a_verdict_with_its_overflow_as_a_finding():
    # np.linalg.norm of the whole batch couples the rows; ||x|| overflows at 1e300
    rep = check_compressor(qsgd_l2_naive, 64, **FAST)
    assert rep.passed and rep.exit_code == 0, rep.text()
    assert {c.claim: c.verdict for c in rep.claims} == {"unbiased": "holds", "omega": "holds"}
    assert "coupled-rows" in _kinds(rep) and "overflow" in _kinds(rep)
    assert "one vector per call" in rep.settings["adapter"] and "global RNGs" in rep.settings["adapter"]
    lo, hi = rep.finite_range
    assert 1e3 < hi <= 1e300  # the range where it stays finite is stated
    assert any(r.label == "huge" and r.status == "non-finite" for r in rep.inputs)
    assert "claims judged on inputs with" in rep.text()


def test_log2_natural_compression_overflows_only_near_the_largest_float():
    rep = check_compressor(natural_log2_naive, 64, omega=1 / 8, **FAST)
    assert rep.passed, rep.text()
    assert "overflow" in _kinds(rep) and rep.finite_range[1] == pytest.approx(1.5e308)
    assert check_compressor(natural_log2_naive, 64, omega=0.11, **FAST).verdict("omega") == "refuted"


def test_a_compress_decompress_pair_is_checked_single_vector():
    rep = check_compressor(RandKPair(8), 64, **FAST)
    assert rep.passed and "compress/decompress pair" in rep.settings["adapter"]
    assert check_compressor(RandKPair(8), 64, omega=6.5, **FAST).verdict("omega") == "refuted"


# ----------------------------------------------------------------------------- torch (optional extra)
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch (theorylab[torch])")


@needs_torch
def test_torch_single_vector_with_the_global_rng_replays_and_is_judged():
    a = check_compressor(TorchRandK(4), 16, n_focus=2000, **FAST)
    b = check_compressor(TorchRandK(4), 16, n_focus=2000, **FAST)
    assert a.passed and "torch" in a.settings["adapter"]
    strip = lambda r: {**r.to_dict(), "seconds": 0}  # noqa: E731
    assert strip(a) == strip(b)  # the global torch RNG was seeded from the check's seed


@needs_torch
def test_torch_bfloat16_and_vmap():
    rep = check_compressor(TorchBernoulliVmap(0.25), 32, dtype="bfloat16", n_focus=4000, **FAST)
    assert rep.passed and rep.settings["dtype"] == "bfloat16" and "torch" in rep.settings["adapter"]
    one = check_compressor(TorchBernoulliVmap(0.25), 16, layout="single", n_focus=0, **FAST)
    assert one.passed and "vmap" in one.settings["adapter"]
    bad = check_compressor(TorchBernoulliVmap(0.25, scale=1 / 0.3), 32, dtype="bfloat16", n_focus=4000, **FAST)
    assert bad.verdict("unbiased") == "refuted"


# ----------------------------------------------------------------------------- power (issue examples)
@pytest.mark.parametrize("C, claims", [
    (randk_wrong_scale, {"unbiased": True, "omega": 7.0}),
    (bernoulli_wrong_scale, {"unbiased": True, "omega": 3.0}),
])
def test_a_wrong_scale_is_refuted(C, claims):
    rep = check_compressor(C, 64, **claims, **FAST)
    assert rep.verdict("unbiased") == "refuted", rep.text()
    assert "along x" in rep.claim("unbiased").detail  # the projection on x sees a bias spread evenly


@pytest.mark.parametrize("base", [RandK(8), Bernoulli(0.25)])
@pytest.mark.parametrize("factor", [1.05, 0.95])
def test_a_five_percent_multiplicative_bias_is_refuted_by_default(base, factor):
    rep = check_compressor(ScaleBiased(base, factor), 64)  # default settings, search included
    assert rep.verdict("unbiased") == "refuted", rep.text()


def test_randk_with_replacement_claiming_k_over_d_is_refuted_by_default():
    # error (1 - 1/d)^k = 0.8816 against 1 - k/d = 0.875 at d = 64, k = 8
    rep = check_compressor(randk_with_replacement, 64, delta=8 / 64)  # default settings
    assert rep.verdict("delta") == "refuted", rep.text()
    assert "stage 2" in rep.claim("delta").detail  # found by the focused draws


def test_true_claims_state_the_smallest_detectable_excess():
    rep = check_compressor(RandK(8), 64, **FAST)
    om = rep.claim("omega")
    assert om.verdict == "holds" and 0 < om.detectable < 0.05  # Rand-k's constant input: a 5% excess is visible
    assert 0 < rep.claim("unbiased").detectable < 0.05
    assert "smallest detectable" in rep.text()


def test_terngrad_claiming_omega_zero_refutes_omega_only():
    rep = check_compressor(TernGrad(), 64, omega=0.0, **FAST)
    assert rep.verdict("omega") == "refuted" and rep.verdict("unbiased") == "holds", rep.text()


# ----------------------------------------------------------------------------- findings
def test_a_compressor_that_returns_its_input_is_a_finding():
    rep = check_compressor(lambda x, rng: x.copy(), 16, omega=1.0, **FAST)
    assert rep.passed and _kinds(rep) == ["identity"]
    assert "does not compress" in rep.findings[0].message
    assert check_compressor(Identity(), 16, **FAST).findings == []  # U(0) claims no compression


def test_deterministic_with_ratio_zero_claiming_omega():
    rep = check_compressor(lambda x, rng: x + 0.0 * x, 16, omega=2.0, **FAST)
    assert "identity" in _kinds(rep)


# ----------------------------------------------------------------------------- robustness and contract
def test_partial_non_finite_output_at_an_ordinary_magnitude_refutes_and_does_not_crash():
    def half_nan(x, rng):
        y = RandK(2)(x, rng)
        y[..., 0] = np.where(np.abs(x[..., 1]) > 2.5, np.nan, y[..., 0])  # only some inputs, one coordinate
        return y

    rep = check_compressor(half_nan, 8, omega=3.0, **FAST)
    assert rep.exit_code == 1 and rep.verdict("omega") == "refuted"
    assert "ordinary magnitude" in rep.claim("omega").detail


def test_exceptions_on_ordinary_inputs_break_the_contract_but_do_not_abort():
    def picky(x, rng):
        if np.any(np.abs(x) > 50):
            raise RuntimeError("too large")
        return RandK(2)(x, rng)

    rep = check_compressor(picky, 8, omega=3.0, **FAST)
    assert rep.exit_code == 2 and rep.contract_errors and "RuntimeError: too large" in rep.contract_errors[0]
    assert rep.verdict("omega") == "holds"  # judged on the inputs where it worked


@pytest.mark.parametrize("out, what", [
    (lambda x, rng: None, "returned None"),
    (lambda x, rng: x.astype(complex), "complex"),
    (lambda x, rng: np.sign(x).astype(int), "int64"),
    (lambda x, rng: x[..., :1] if x.shape[-1] > 1 else x[..., :0], "shape"),
])
def test_contract_errors_name_the_contract(out, what):
    with pytest.raises(CompressorContractError, match=what) as e:
        check_compressor(out, 8, omega=1.0)
    msg = str(e.value)
    assert "C(x, rng)" in msg and "\n" not in msg and len(msg) < 700


def test_a_list_output_of_a_single_vector_function_is_accepted():
    rep = check_compressor(lambda x: [float(v) for v in x], 4, omega=0.0, **FAST)
    assert rep.passed and "one vector per call" in rep.settings["adapter"]


def test_dimension_one_works():
    for C in (RandK(1), Bernoulli(0.5), TernGrad()):
        rep = check_compressor(C, 1, **FAST)
        assert rep.passed, rep.text()
    assert check_compressor(Bernoulli(0.5), 1, omega=0.5, **FAST).verdict("omega") == "refuted"


def test_messages_print_at_most_a_few_numbers():
    rep = check_compressor(qsgd_l2_naive, 64, omega=0.5, **FAST)
    for line in rep.text().splitlines():
        assert len(re.findall(r"-?\d+\.?\d*(?:e[-+]?\d+)?", line)) <= 12, line


def test_inputs_beyond_the_first_failing_magnitude_are_excluded_and_the_range_stated():
    def overflow_band(x, rng):  # non-finite for 1e299 < max|x| < 1e305, finite (and wrong) beyond
        m = np.abs(x).max(axis=-1, keepdims=True)
        y = RandK(2)(x, rng)
        return np.where((m > 1e299) & (m < 1e305), np.inf, np.where(m >= 1e305, 0.0, y))

    rep = check_compressor(overflow_band, 8, omega=3.0, **FAST)
    assert rep.passed and rep.finite_range[1] == pytest.approx(1e300)
    status = {r.label: r.status for r in rep.inputs}
    assert status["huge"] == "non-finite" and status["near_max"] == "excluded"
