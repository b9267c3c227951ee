"""Confidence bounds used by the compressor checks.

**Empirical Bernstein** (Maurer & Pontil 2009, Thm 4): for iid ``Z_i ∈ [0, 1]``, with
probability at least ``1 − a``,

    E Z ≥ Z̄ − sqrt(2 V ln(2/a) / n) − 7 ln(2/a) / (3(n − 1)),

``V`` the unbiased sample variance. Scaled to ``[0, c]`` the last term is multiplied by
``c``. It is valid for every bounded distribution (no normal approximation), and its width
follows the sample standard deviation, so it is sharp when the variables are concentrated.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["eb_width", "eb_lower"]


def eb_width(std: np.ndarray, rng_width: np.ndarray, n: int, a: float) -> np.ndarray:
    """Half-width ``sqrt(2 V ln(2/a)/n) + 7 R ln(2/a)/(3(n−1))`` of the empirical Bernstein bound."""
    if n < 2:
        return np.zeros_like(np.asarray(std, dtype=float))
    L = math.log(2.0 / a)
    return np.sqrt(2.0 * L / n) * std + 7.0 * L * rng_width / (3.0 * (n - 1))


def eb_lower(z: np.ndarray, c: np.ndarray, a: float) -> np.ndarray:
    """One-sided ``1 − a`` lower confidence bound on ``E[min(Z, c)] ≤ E[Z]``, along the last axis.

    ``z ≥ 0`` may be unbounded: the truncation ``min(z, c)`` at a level ``c`` fixed *before*
    the sample is drawn (from an independent pilot sample) is bounded in ``[0, c]``, and
    ``E min(Z, c) ≤ E Z``, so the bound is valid for the untruncated mean too, heavy tails
    included (truncation only costs power).
    """
    z = np.asarray(z, dtype=float)
    n = z.shape[-1]
    c = np.asarray(c, dtype=float)
    cs = np.where(c > 0, c, 1.0)
    u = np.minimum(z, c[..., None]) / cs[..., None]  # in [0, 1]
    mean = u.mean(axis=-1)
    std = u.std(axis=-1, ddof=1) if n > 1 else np.zeros_like(mean)
    lo = mean - eb_width(std, np.ones_like(mean), n, a)
    return np.where(c > 0, lo * cs, 0.0)
