"""QSGD / random dithering with s levels (Alistarh et al. 2017; docs/theory.md).

``C(x)_j = ‖x‖ sign(x_j) ξ_j`` with ``u_j = |x_j|/‖x‖``, ``l = ⌊s u_j⌋`` and
``ξ_j = (l+1)/s`` with probability ``s u_j − l``, else ``l/s``. Unbiased, and
``E‖C(x) − x‖² = ‖x‖² Σ_j v(u_j)``, ``v(u) = (u − l/s)((l+1)/s − u) ≤ min(1/(4s²), u/s)``.

- ``norm="l2"`` (Σ u_j² = 1): ``Σ v ≤ min(d/(4s²), ‖u‖₁/s) ≤ min(d/s², √d/s)``:
  U(min(d/s², √d/s)) as declared by Alistarh et al. (the first term is loose by 4).
- ``norm="linf"`` (u_j ≤ 1, one u_j = 1 with v = 0). Derivation of the declared constant:
  ``E‖C(x) − x‖²/‖x‖² = Σ_{j≥2} v(u_j) / (1 + Σ_{j≥2} u_j²)``. With ``v ≤ 1/(4s²)`` this is at
  most ``(d − 1)/(4s²)``; with ``v ≤ u/s`` and ``t = Σ_{j≥2} u_j``,
  ``Σ u_j² ≥ t²/(d−1)``, it is at most ``max_t (t/s)/(1 + t²/(d−1)) = √(d−1)/(2s)``.
  Declared: **U(min((d − 1)/(4s²), √(d − 1)/(2s)))** (valid, not tight; for s = 1 this is
  TernGrad, whose tight constant is ``(√d − 1)/2``).

``bits(d) = 32 + d(1 + ⌈log₂(s + 1)⌉)`` (naive: the norm, a sign and a level index per entry).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from ._base import Compressor, positive_int, rng_uniform, row_norm

__all__ = ["QSGD"]

_NORMS = {"l2": 2.0, "linf": math.inf}


class QSGD(Compressor):
    """Random dithering on ``s`` uniform levels of ``|x_j|/‖x‖`` (``norm`` = ``"l2"`` or ``"linf"``).

    U(min(d/s², √d/s)) for ℓ2; U(min((d−1)/(4s²), √(d−1)/(2s))) for ℓ∞ (derived in the
    module docstring).
    """

    name = "qsgd"
    params = ("s", "norm")
    unbiased = True

    def __init__(self, s: int, norm: str = "l2") -> None:
        self.s = positive_int("s", s)
        if norm not in _NORMS:
            raise InvalidParameterError(f"qsgd norm must be one of {sorted(_NORMS)}, got {norm!r}")
        self.norm = norm

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        nrm = row_norm(x, xp, _NORMS[self.norm])
        u = xp.abs(x) / xp.where(nrm > 0, nrm, xp.ones((), dtype=x.dtype))
        su = u * self.s
        lev = xp.floor(su)
        up = rng_uniform(rng, x.shape, xp) < (su - lev)
        xi = (lev + up) / x.dtype.type(self.s)
        return (nrm * xp.sign(x) * xi).astype(x.dtype, copy=False)

    def _omega(self, d: sp.Expr) -> sp.Expr:
        s = sp.Integer(self.s)
        if self.norm == "l2":
            return sp.Min(d / s**2, sp.sqrt(d) / s)
        return sp.Min((d - 1) / (4 * s**2), sp.sqrt(d - 1) / (2 * s))

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return 32 + d * (1 + sp.Integer((self.s).bit_length()))  # ceil(log2(s+1)) = bit_length(s)
