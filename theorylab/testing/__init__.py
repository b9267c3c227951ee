"""Property tests for compressors: what users run on their own compressor.

- :func:`check_compressor` ``(C, d, *, omega=None, delta=None, unbiased=None, seed=0,
  false_alarm=1e-6, ...)`` works on batched ``C(x, rng)``, single-vector functions,
  compress/decompress pairs, numpy or torch (:mod:`.adapt`), and returns a
  :class:`CompressorReport` (estimated bias and variance ratio with confidence limits on
  every input tried, the worst input found, a verdict per claim; ``text()``/``to_json()``).
- :func:`assert_unbiased`, :func:`assert_variance_bound`, :func:`assert_contractive`:
  pytest-friendly forms that raise ``AssertionError`` with the report.
- :mod:`theorylab.testing.strategies`: hypothesis strategies for adversarial inputs.
- :func:`search_worst_inputs`: the seeded worst-input search the checker runs.

Expectations are always over the compressor's randomness at a fixed x.
"""

from . import strategies
from .adapt import CONTRACT, CompressorContractError, adapt
from .check import (
    CLAIMS,
    ClaimVerdict,
    CompressorReport,
    Finding,
    InputResult,
    split_levels,
    assert_contractive,
    assert_unbiased,
    assert_variance_bound,
    check_compressor,
)
from .search import estimate_ratios, search_worst_inputs, search_worst_inputs_hypothesis
from .strategies import adversarial_inputs, adversarial_vectors

__all__ = [
    "check_compressor",
    "CompressorContractError",
    "CONTRACT",
    "adapt",
    "Finding",
    "split_levels",
    "CompressorReport",
    "ClaimVerdict",
    "InputResult",
    "CLAIMS",
    "assert_unbiased",
    "assert_variance_bound",
    "assert_contractive",
    "search_worst_inputs",
    "search_worst_inputs_hypothesis",
    "estimate_ratios",
    "adversarial_inputs",
    "adversarial_vectors",
    "strategies",
]
