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


# ----------------------------------------------------------------------------- written the way libraries write them
# Correct in real arithmetic; single-vector, global RNGs, torch, compress/decompress pairs.
def qsgd_l2_naive(x, s=4):
    """Textbook QSGD on one vector: ``np.linalg.norm`` (overflows at 1e300), global numpy RNG."""
    norm = np.linalg.norm(x)
    if norm == 0:
        return np.zeros_like(x)
    level = np.abs(x) / norm * s
    low = np.floor(level)
    up = np.random.random(x.shape) < (level - low)
    return np.sign(x) * norm * (low + up) / s


qsgd_l2_naive.unbiased = True
qsgd_l2_naive.omega = min(64 / 16, 8 / 4)  # at d = 64, s = 4: min(d/s^2, sqrt(d)/s) = 2


def natural_log2_naive(x, rng):
    """Natural compression as libraries write it: ``2 ** floor(log2|x|) * (1 + Bernoulli)``;
    the doubling overflows to inf near the largest float."""
    a = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low = 2.0 ** np.floor(np.log2(a))
        p = (a - low) / low
        up = rng.random(x.shape) < p
        return np.where(a > 0, np.sign(x) * low * (1.0 + up), 0.0)


class TorchRandK:
    """Single-vector torch Rand-k with ``torch.randperm`` from the global torch RNG."""

    unbiased = True

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        import torch

        d = x.numel()
        idx = torch.randperm(d)[: self.k]
        out = torch.zeros_like(x)
        out[idx] = x[idx] * (d / self.k)
        return out

    def omega(self, d):
        return d / self.k - 1


class TorchBernoulliVmap:
    """Single-vector torch Bernoulli(p) with ``torch.rand``: vectorisable with ``torch.func.vmap``."""

    unbiased = True

    def __init__(self, p, scale=None):
        self.p, self.scale = p, (1 / p if scale is None else scale)

    def __call__(self, x):
        import torch

        keep = torch.rand(x.shape, dtype=x.dtype) < self.p
        return torch.where(keep, x * self.scale, torch.zeros_like(x))

    def omega(self, d):
        return 1 / self.p - 1


class RandKPair:
    """A compress/decompress pair (values + indices), GRACE style: ``decompress(values, ctx)``."""

    unbiased = True

    def __init__(self, k):
        self.k = k

    def compress(self, x, rng):
        idx = rng.choice(x.size, self.k, replace=False)
        return x[idx] * (x.size / self.k), (idx, x.size)

    def decompress(self, values, ctx):
        idx, d = ctx
        out = np.zeros(d)
        out[idx] = values
        return out

    def omega(self, d):
        return d / self.k - 1


def randk_with_replacement(x, rng, k=8):
    """Unscaled Rand-k that draws its k indices *with* replacement: error (1 - 1/d)^k, not 1 - k/d."""
    d = x.shape[-1]
    idx = rng.integers(0, d, size=x.shape[:-1] + (k,))
    mask = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=-1)
    return np.where(mask, x, 0.0)


class ScaleBiased:
    """``factor * C(x)``: a multiplicative bias, claiming what C claims."""

    unbiased = True

    def __init__(self, C, factor):
        self.C, self.factor = C, factor

    def __call__(self, x, rng):
        return self.factor * self.C(x, rng)

    def omega(self, d):
        return self.C.omega(d)


def randk_wrong_scale(x, rng, k=8):
    """Rand-k scaled by d/(k+1) instead of d/k (an 11% bias at k = 8)."""
    d = x.shape[-1]
    keys = rng.random(x.shape)
    kth = np.partition(keys, k - 1, axis=-1)[..., k - 1 : k]
    return np.where(keys <= kth, x * d / (k + 1), 0.0)


def bernoulli_wrong_scale(x, rng, p=0.25):
    """Bernoulli(p = 0.25) that divides by 0.3 (a 17% bias)."""
    return np.where(rng.random(x.shape) < p, x / 0.3, 0.0)
