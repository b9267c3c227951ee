"""Confidence bounds and tests used by the compressor checks.

**Empirical Bernstein** (Maurer & Pontil 2009, Thm 4): for iid ``Z_i ∈ [0, R]``, with
probability at least ``1 − a``,

    E Z ≥ Z̄ − sqrt(2 V ln(2/a) / n) − 7 R ln(2/a) / (3(n − 1)),

``V`` the unbiased sample variance (one side; the ``2`` inside the logarithm pays for
estimating the variance). A **two-sided** interval at level ``a`` puts ``a/2`` on each side:
half-width :func:`eb_width` ``(…, a/2)``, i.e. ``ln(4/a)``. It is valid for every bounded
distribution (no normal approximation), and its width follows the sample standard deviation.

**Testing by betting** (Shafer 2021; Waudby-Smith & Ramdas 2023, "Estimating means of
bounded random variables by betting", JRSS-B): to refute ``E Y ≤ B`` for ``Y ≥ 0`` (a
per-draw variance ratio, heavy tails allowed, no upper bound needed), bet a fixed fraction
``λ ∈ [0, 1]`` chosen on *independent* earlier draws:

    K_n = Π_i (1 + λ (Y_i/B − 1)).

Each factor is ``≥ 1 − λ ≥ 0`` because ``Y ≥ 0``, and ``E[factor] = 1 + λ(E Y/B − 1) ≤ 1``
under the claim, so ``E K_n ≤ 1`` and (Markov) ``P(K_n ≥ 1/a) ≤ a``: refuting when
``ln K_n ≥ ln(1/a)`` has false-alarm rate at most ``a``, for every distribution of ``Y ≥ 0``.
The lower confidence limit is the smallest ``B`` the test does not refute.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["eb_width", "eb_half_width_two_sided", "eb_two_sided", "bet_lambda", "bet_log_capital", "bet_lower", "LAMBDAS"]

#: the grid of betting fractions λ searched on the selection draws (0 = no bet; 1 = all in)
LAMBDAS = np.concatenate([np.geomspace(1e-3, 0.5, 20), np.linspace(0.55, 1.0, 10)])


def eb_width(std: np.ndarray, rng_width: np.ndarray, n: int, a: float) -> np.ndarray:
    """One-sided half-width ``sqrt(2 V ln(2/a)/n) + 7 R ln(2/a)/(3(n−1))`` at level ``a``."""
    if n < 2:
        return np.full(np.shape(std), np.inf)
    L = math.log(2.0 / a)
    return np.sqrt(2.0 * L / n) * std + 7.0 * L * rng_width / (3.0 * (n - 1))


def eb_half_width_two_sided(std: np.ndarray, spread: np.ndarray, n: int, a: float) -> np.ndarray:
    """Half-width of the two-sided ``1 − a`` empirical Bernstein interval: ``a/2`` per side."""
    return eb_width(std, spread, n, a / 2.0)


def eb_two_sided(z: np.ndarray, a: float, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and two-sided ``1 − a`` half-width (``a/2`` per side) along ``axis``, with the
    observed range as ``R`` (a plug-in: exact when every outcome is observed)."""
    z = np.asarray(z, dtype=float)
    n = z.shape[axis]
    mean = z.mean(axis=axis)
    std = z.std(axis=axis, ddof=1) if n > 1 else np.zeros_like(mean)
    spread = z.max(axis=axis) - z.min(axis=axis)
    return mean, eb_half_width_two_sided(std, spread, n, a)


def _log_growth(y: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """``mean_i ln(1 + λ (y_i/B − 1))`` for every λ of :data:`LAMBDAS`: shape ``(..., len(LAMBDAS))``."""
    u = y / bound[..., None] - 1.0  # (..., n), >= -1
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.log1p(LAMBDAS[:, None] * u[..., None, :])  # (..., L, n)
    return np.where(np.isnan(g), -np.inf, g).mean(axis=-1)


def bet_lambda(y_sel: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """The betting fraction with the largest mean log-growth on the selection draws ``y_sel``
    (independent of the test draws); 0 when no bet grows."""
    bound = np.asarray(bound, dtype=float)
    g = _log_growth(np.asarray(y_sel, dtype=float), bound)
    best = np.argmax(g, axis=-1)
    lam = LAMBDAS[best]
    return np.where(np.take_along_axis(g, best[..., None], -1)[..., 0] > 0, lam, 0.0)


def bet_log_capital(y: np.ndarray, bound: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``ln K_n = Σ_i ln(1 + λ (y_i/B − 1))`` along the last axis (``−inf`` if a factor is 0)."""
    bound = np.asarray(bound, dtype=float)
    lam = np.asarray(lam, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.log1p(lam[..., None] * (np.asarray(y, dtype=float) / bound[..., None] - 1.0))
    return np.where(np.isnan(f), -np.inf, f).sum(axis=-1)


def bet_lower(y_sel: np.ndarray, y: np.ndarray, a: float, hi: np.ndarray, iters: int = 40) -> np.ndarray:
    """``1 − a`` lower confidence limit of ``E Y`` (``Y ≥ 0``) from the betting test:
    the smallest ``B`` in ``(0, hi]`` that is not refuted (bisection on ``log B``), 0 if none is.

    ``y_sel`` chooses λ for each trial ``B``; ``y`` are the test draws.
    """
    y_sel = np.asarray(y_sel, dtype=float)
    y = np.asarray(y, dtype=float)
    L = math.log(1.0 / a)
    hi = np.maximum(np.asarray(hi, dtype=float), 1e-300)
    lo = np.full_like(hi, 1e-300)

    def refuted(B: np.ndarray) -> np.ndarray:
        return bet_log_capital(y, B, bet_lambda(y_sel, B)) >= L

    ok_lo = refuted(lo)
    out = np.where(ok_lo, lo, 0.0)
    a_, b_ = np.log(lo), np.log(hi)
    for _ in range(iters):
        mid = 0.5 * (a_ + b_)
        r = refuted(np.exp(mid))
        a_ = np.where(r, mid, a_)
        b_ = np.where(r, b_, mid)
    return np.where(ok_lo, np.exp(a_), 0.0)
