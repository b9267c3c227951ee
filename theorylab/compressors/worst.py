"""The exact worst case ``sup_x E‖C(x) − x‖²/‖x‖²`` of compressors whose worst case is known.

:func:`worst_case` returns ``(ratio, x, how)`` (``x`` attains it) or ``None``:

- Rand-k: ``d/k − 1`` at every x; unscaled Rand-k ``1 − k/d`` at every x; Bernoulli(p):
  ``1/p − 1`` at every x (all three: the ratio does not depend on x).
- Top-k: ``1 − k/d`` at the constant vector (the d − k smallest squares are at most a
  fraction ``1 − k/d`` of the sum). Identity: 0.
- Scaled sign: with s non-zero entries the ratio is ``1 − (2 − s/d)‖x‖₁²/(d‖x‖²) ≤ 1 − 1/d``
  (``‖x‖₁ ≥ ‖x‖``); the supremum ``1 − 1/d`` is approached at ``(1, ε, …, ε)``, ``ε → 0``, and
  not attained (a one-hot x gives ``(1 − 1/d)²``, because ``sign(0) = 0``).
- TernGrad: ``(√d − 1)/2`` at ``(1, ε, …, ε)``, ``ε = 1/(√d + 1)`` (Wen et al. 2017).
- Natural compression: ``1/8`` at ``(4/3)·1`` (Horváth et al. 2019).
- QSGD with the ℓ∞ norm, s levels: the ratio is ``Σ_{j≥2} v(u_j)/(1 + Σ_{j≥2} u_j²)`` with
  ``v(u) = (u − l/s)((l+1)/s − u)``, ``l = ⌊su⌋``. *Numerical*: the maximum over the family
  "one entry 1, m entries equal to t, the rest 0" (m = 1 … d − 1; t on a grid of 2·10⁵ points,
  refined by golden section on the best cell). A local search from the maximiser found
  nothing larger at d ∈ {16, 64}, s ∈ {1, 2, 8}; for s = 1 it equals TernGrad's (√d − 1)/2.

These are what the catalogue check compares the declared constants with: a declared ω (or
``1 − δ``) below the worst case is wrong; one far above it is loose.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .bernoulli import Bernoulli
from .identity import Identity
from .natural import NaturalCompression
from .qsgd import QSGD
from .randk import RandK, RandKUnscaled
from .sign import ScaledSign
from .terngrad import TernGrad
from .topk import TopK

__all__ = ["worst_case"]


def _qsgd_linf(d: int, s: int) -> tuple[float, np.ndarray]:
    if d == 1:
        return 0.0, np.ones(1)
    t = np.linspace(0.0, 1.0, 200_001)[1:]
    lev = np.floor(s * t)
    v = (t - lev / s) * ((lev + 1) / s - t)
    best, arg = -1.0, (1, 1.0)
    for m in range(1, d):
        f = m * v / (1 + m * t * t)
        i = int(np.argmax(f))
        if f[i] > best:
            best, arg = float(f[i]), (m, float(t[i]))
    m, t0 = arg
    a, b = max(0.0, t0 - 1e-5), min(1.0, t0 + 1e-5)

    def f1(u: float) -> float:
        lv = math.floor(s * u)
        return m * (u - lv / s) * ((lv + 1) / s - u) / (1 + m * u * u)

    g = (math.sqrt(5) - 1) / 2
    for _ in range(80):
        c, e = b - g * (b - a), a + g * (b - a)
        if f1(c) >= f1(e):
            b = e
        else:
            a = c
    tt = (a + b) / 2
    best = max(best, f1(tt))
    x = np.zeros(d)
    x[0] = 1.0
    x[1 : m + 1] = tt
    return best, x


def worst_case(C: Any, d: int) -> tuple[float, np.ndarray, str] | None:
    """``(sup_x ratio, an x attaining it, how it is known)`` for ``C`` at dimension ``d``, or None."""
    one = np.ones(d)
    e0 = np.zeros(d)
    e0[0] = 1.0
    t = type(C)
    if t is Identity:
        return 0.0, one, "exact"
    if t is RandK:
        return d / C.k - 1, one, "exact (every x)"
    if t is RandKUnscaled:
        return 1 - C.k / d, one, "exact (every x)"
    if t is Bernoulli:
        return 1 / C.p - 1, one, "exact (every x)"
    if t is TopK:
        return 1 - C.k / d, one, "exact (constant x)"
    if t is ScaledSign:
        x = np.full(d, 1e-9)
        x[0] = 1.0
        return 1 - 1 / d, x, "supremum, approached at (1, eps, ..., eps) as eps -> 0"
    if t is TernGrad:
        eps = 1 / (math.sqrt(d) + 1)
        x = np.full(d, eps)
        x[0] = 1.0
        return (math.sqrt(d) - 1) / 2, x, "exact (x = (1, eps, ..., eps))"
    if t is NaturalCompression:
        return 1 / 8, one * 4 / 3, "exact (|x_j| = (4/3) 2^j)"
    if t is QSGD and C.norm == "linf":
        w, x = _qsgd_linf(d, C.s)
        return w, x, "numerical (equal-entry family, golden-section refined)"
    return None
