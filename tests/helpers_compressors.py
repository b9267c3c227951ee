"""Planted defects: compressors whose claims are wrong, for the property-testing kit."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theorylab.compressors import QSGD, RandKUnscaled, TernGrad, TopK
from theorylab.compressors.topk import topk_mask


class UnscaledRandKClaimingUnbiased(RandKUnscaled):
    """Keeps k coordinates without the d/k factor, yet claims U(d/k − 1)."""

    name = "defect_unscaled_randk"
    unbiased = True

    def _omega(self, d: sp.Expr) -> sp.Expr:
        return d / sp.Integer(self.k) - 1

    def _delta(self, d: sp.Expr) -> sp.Expr:  # it claims only U(omega)
        return super(RandKUnscaled, self)._delta(d)


class QSGDOmegaQuarter(QSGD):
    """QSGD that declares a quarter of its ω."""

    name = "defect_qsgd_quarter"

    def _omega(self, d: sp.Expr) -> sp.Expr:
        return super()._omega(d) / 4


class TernGradOmegaZero(TernGrad):
    """TernGrad that declares ω = 0."""

    name = "defect_terngrad_zero"

    def _omega(self, d: sp.Expr) -> sp.Expr:
        return sp.Integer(0)


class TopKByValue(TopK):
    """Top-k that ranks entries by value instead of |value|."""

    name = "defect_topk_by_value"

    def _apply(self, x, rng, xp):
        return xp.where(topk_mask(x, self.k, xp), x, xp.zeros((), dtype=x.dtype))


class FixedMaskRandK:
    """A "random" Rand-k that draws one mask at construction and reuses it on every call.

    A plain object with the U(d/k − 1) claim, as a user might write it.
    """

    unbiased = True

    def __init__(self, k: int, d: int, seed: int = 0) -> None:
        self.k, self.d = k, d
        self.mask = np.zeros(d, dtype=bool)
        self.mask[np.random.default_rng(seed).choice(d, k, replace=False)] = True

    def __call__(self, x, rng):
        return np.where(self.mask, x * (self.d / self.k), 0.0)

    def omega(self, d):
        return d / self.k - 1


class SharedMaskPerCallRandK(FixedMaskRandK):
    """Draws a fresh mask per call but applies it to every row of the batch."""

    def __call__(self, x, rng):
        mask = np.zeros(self.d, dtype=bool)
        mask[rng.choice(self.d, self.k, replace=False)] = True
        return np.where(mask, x * (self.d / self.k), 0.0)


class QSGDDroppingSmallEntries(QSGD):
    """QSGD that silently zeroes every entry below 1/4 of the largest: biased, but its
    dropped coordinates never vary, so only the flat-coordinate test sees the bias."""

    name = "defect_qsgd_drop"

    def _apply(self, x, rng, xp):
        y = super()._apply(x, rng, xp)
        keep = xp.abs(x) >= 0.25 * xp.abs(x).max(axis=-1, keepdims=True)
        return xp.where(keep, y, 0.0)
