"""Inputs that expose wrong compressor constants: plain numpy builders and hypothesis strategies.

A wrong ω shows only on the right x, so the inputs are chosen where the catalogue's bounds
are tight or where implementations go wrong:

- one-hot vectors (Rand-k, scaled sign, Top-k of a negative spike) and constant vectors
  (Top-k's and QSGD's worst case);
- ``(1, ε, …, ε)`` with ``ε = 1/(√d + 1)``: TernGrad's worst case, ratio ``(√d − 1)/2``;
- entries ``±(4/3)2^j``: C_nat's worst case, ratio exactly 1/8;
- mixed signs with large negatives, ties, zeros, and huge (``1e300``) and tiny
  (``1e-300``, subnormal) magnitudes.

The numpy builders (``one_hot_vector`` …, and :func:`adversarial_inputs`, the fixed set the
checker always tries) and the hypothesis strategies (``one_hot`` …, and
:func:`adversarial_vectors`, which combines them) are built from the same functions. Every
strategy gives float64 numpy vectors of length ``d`` that are not all zero, and composes
with ``hypothesis.strategies`` as usual.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "one_hot_vector",
    "constant_vector",
    "terngrad_worst_vector",
    "natural_worst_vector",
    "adversarial_inputs",
    "one_hot",
    "constant",
    "terngrad_worst",
    "natural_worst",
    "mixed_magnitudes",
    "adversarial_vectors",
]


# ----------------------------------------------------------------------------- builders
def one_hot_vector(d: int, j: int = 0, value: float = 1.0) -> np.ndarray:
    """``value · e_j`` in ``R^d``."""
    x = np.zeros(d)
    x[j] = value
    return x


def constant_vector(d: int, value: float = 1.0) -> np.ndarray:
    """``value · (1, …, 1)``."""
    return np.full(d, float(value))


def terngrad_worst_vector(d: int, scale: float = 1.0, signs: np.ndarray | None = None) -> np.ndarray:
    """``scale · (1, ε, …, ε)``, ``ε = 1/(√d + 1)`` (signs optional): TernGrad's ratio is ``(√d−1)/2``."""
    eps = 1.0 / (math.sqrt(d) + 1.0)
    x = np.full(d, eps)
    x[0] = 1.0
    if signs is not None:
        x = x * signs
    return scale * x


def natural_worst_vector(exponents: np.ndarray, signs: np.ndarray | None = None) -> np.ndarray:
    """Entries ``±(4/3) 2^{j}`` for the given integer exponents: C_nat's ratio is exactly 1/8."""
    x = (4.0 / 3.0) * np.ldexp(1.0, np.asarray(exponents, dtype=int))
    return x if signs is None else x * signs


def adversarial_inputs(d: int, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """The fixed set of labelled adversarial inputs for dimension ``d`` (all non-zero)."""
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], size=d)
    half = max(1, d // 2)
    k = max(1, d // 8)
    out: list[tuple[str, np.ndarray]] = [
        ("one_hot", one_hot_vector(d, 0)),
        ("one_hot_negative", one_hot_vector(d, 0, -1.0)),
        ("one_hot_last", one_hot_vector(d, d - 1, 3.0)),
        ("constant", constant_vector(d)),
        ("constant_negative", constant_vector(d, -2.0)),
        # a constant vector with a small jitter: a projection <C(x), x> of a scale-biased
        # Rand-k or Bernoulli has a tiny variance here, so a 5% bias is many half-widths
        ("near_constant", 1.0 + 0.05 * rng.uniform(-1.0, 1.0, d)),
        ("alternating_signs", np.where(np.arange(d) % 2 == 0, 1.0, -1.0)),
        ("terngrad_worst", terngrad_worst_vector(d)),
        ("terngrad_worst_signed", terngrad_worst_vector(d, 5.0, signs)),
        ("natural_worst_constant", natural_worst_vector(np.zeros(d, dtype=int))),
        ("natural_worst_mixed", natural_worst_vector(rng.integers(-20, 20, size=d), signs)),
        ("sparse_2", np.r_[1.0, -1.0, np.zeros(max(0, d - 2))][:d]),
        ("sparse_sqrt_d", np.r_[np.ones(max(1, int(math.isqrt(d)))), np.zeros(d - max(1, int(math.isqrt(d))))]),
        ("half_zeros", np.r_[np.ones(half), np.zeros(d - half)] * signs),
        ("large_negatives", np.r_[np.full(k, -100.0), np.ones(d - k)]),
        ("negative_spike_small_positives", np.r_[-10.0, np.full(d - 1, 0.5)]),
        ("ties_at_kth", np.r_[np.full(k + 1, 2.0), np.full(max(0, d - k - 1), 1.0)][:d]),
        ("geometric", 2.0 ** -np.arange(d, dtype=float)),
        ("linear", np.linspace(1.0, 2.0, d)),
        ("two_levels", np.r_[np.ones(half), np.full(d - half, 0.3)]),
        ("gaussian", rng.standard_normal(d)),
        ("cauchy", rng.standard_cauchy(d)),
        ("huge", 1e300 * np.r_[1.0, rng.uniform(-1, 1, d - 1)]),
        ("tiny", 1e-300 * np.r_[1.0, rng.uniform(-1, 1, d - 1)]),
        ("subnormal", np.full(d, 5e-324) * signs),
        ("huge_and_tiny", np.r_[1e300, np.full(d - 1, 1e-300)]),
        # near the largest float64: rounding up to the next power of two overflows here
        ("near_max", 1.5e308 * np.r_[1.0, rng.uniform(-1, 1, d - 1)]),
    ]
    return [(name, x) for name, x in out if x.shape == (d,) and np.any(x != 0)]


# ----------------------------------------------------------------------------- strategies
def _signs(d: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.sampled_from([-1.0, 1.0]), min_size=d, max_size=d).map(np.array)


def _scales() -> st.SearchStrategy[float]:
    return st.sampled_from([1.0, 1e-3, 1e3, 1e300, 1e-300])


def one_hot(d: int) -> st.SearchStrategy[np.ndarray]:
    """``c e_j``: any position ``j``, sign and magnitude (from tiny to huge)."""
    return st.builds(
        lambda j, s, c: one_hot_vector(d, j, s * c),
        st.integers(0, d - 1),
        st.sampled_from([-1.0, 1.0]),
        _scales(),
    )


def constant(d: int) -> st.SearchStrategy[np.ndarray]:
    """``c (1, …, 1)`` with ``c`` non-zero, either sign, tiny to huge."""
    return st.builds(lambda s, c: constant_vector(d, s * c), st.sampled_from([-1.0, 1.0]), _scales())


def terngrad_worst(d: int) -> st.SearchStrategy[np.ndarray]:
    """``c (1, ε, …, ε)`` with ``ε = 1/(√d+1)``, random signs, permuted coordinates."""
    return st.builds(
        lambda s, c, perm: terngrad_worst_vector(d, c, s)[perm],
        _signs(d),
        _scales(),
        st.permutations(list(range(d))).map(np.array),
    )


def natural_worst(d: int) -> st.SearchStrategy[np.ndarray]:
    """Entries ``±(4/3)2^j`` with exponents ``j ∈ [−60, 60]``."""
    return st.builds(
        natural_worst_vector,
        st.lists(st.integers(-60, 60), min_size=d, max_size=d).map(np.array),
        _signs(d),
    )


_ENTRY = st.one_of(
    st.just(0.0),
    st.sampled_from([1.0, -1.0, 2.0, -2.0]),  # ties
    st.floats(-1e3, -1.0),  # large negatives
    st.floats(-1.0, 1.0, allow_subnormal=False),
    st.sampled_from([1e300, -1e300, 1e-300, -1e-300, 5e-324, -5e-324]),  # huge, tiny, subnormal
)


def mixed_magnitudes(d: int) -> st.SearchStrategy[np.ndarray]:
    """Mixed signs, large negatives, ties, zeros, huge and tiny entries (never all zero)."""
    return st.lists(_ENTRY, min_size=d, max_size=d).map(np.array).filter(lambda x: bool(np.any(x != 0)))


def adversarial_vectors(d: int) -> st.SearchStrategy[np.ndarray]:
    """One of: the fixed adversarial set, one-hot, constant, TernGrad's and C_nat's worst
    cases, and mixed magnitudes."""
    fixed = [x for _, x in adversarial_inputs(d)]
    return st.one_of(
        st.sampled_from(fixed),
        one_hot(d),
        constant(d),
        terngrad_worst(d),
        natural_worst(d),
        mixed_magnitudes(d),
    )
