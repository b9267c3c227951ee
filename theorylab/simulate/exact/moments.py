r"""First two moments of the compressors that act as a random diagonal matrix.

A compressor is in the *linear class* when ``C(x) = D x`` with ``D = diag(D_1, …, D_d)`` a random
diagonal matrix independent of ``x``. Then for a random input ``v`` independent of ``D``

.. math::

    E[C(v)] = E[D]\,E[v], \qquad E[C(v) C(v)^\top] = P \circ E[v v^\top],
    \qquad P_{ij} = E[D_i D_j],

so both moments are *linear* in ``E v`` and ``E v vᵀ`` and the iterates of DCSGD on a quadratic
have an exact affine moment recursion. Every catalogue member of the class is *exchangeable*
(the law of ``D`` is invariant under permutations of the coordinates), so three numbers describe
it (:class:`LinearMoments`): ``mean = E D_j``, ``diag = E D_j²`` and ``off = E D_i D_j``
(``i ≠ j``), and ``P ∘ X = off·X + (diag − off)·Diag(X)``.

Derived from each compressor's definition (never typed as an ω):

- Identity: ``D = I``: ``(1, 1, 1)``.
- Rand-k, scale ``s`` (``d/k`` scaled, ``1`` unscaled), ``D_j = s·1[j ∈ S]`` with ``S`` a uniform
  k-subset: ``E 1_j = k/d`` and ``E 1_i 1_j = k(k−1)/(d(d−1))`` (counted by
  :func:`theorylab.symbolic.sde.randk_indicator_moments`), so ``(s k/d, s² k/d, s² k(k−1)/(d(d−1)))``.
- Bernoulli(p): ``D_j = ξ_j/p``, ``ξ_j`` i.i.d. Bern(p): ``(1, 1/p, 1)``.
- Scaled(C) = ``C/(1+ω)``: ``(a·s, diag·s², off·s²)`` with ``s = 1/(1+ω)``.
- Compose(C₁, C₂) with independent randomness: ``D = D¹D²``, so the three moments multiply.
- Induced(C₁, C₂) = ``C₁(x) + C₂(x − C₁x)``: ``D = 1 − (1 − D¹)(1 − D²)`` per coordinate, with
  ``E(1−D_i)(1−D_j) = 1 − a_i − a_j + P_ij`` for each factor.
- RandomSwitch: one choice per vector, so ``D`` is a mixture and the moments are the
  probability-weighted sums.

Top-k, sign, scaled sign, QSGD, natural compression/dithering and TernGrad are *outside* the
class: their ``D`` depends on ``x`` (the support of Top-k, the random rounding levels of QSGD,
the sign of ``x``), so ``E[C(x)C(x)ᵀ]`` is not linear in ``x xᵀ`` and no finite moment recursion
exists; :func:`linear_moments` raises :class:`NotLinearCompressorError` naming why.

The moments are sympy numbers (exact rationals for rational parameters); ``float(...)`` or
:meth:`LinearMoments.numeric` gives floats. User compressors join with
:func:`register_moment_map`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ...errors import InvalidParameterError

__all__ = ["LinearMoments", "NotLinearCompressorError", "linear_moments", "register_moment_map",
           "MOMENT_MAPS", "NOT_LINEAR_REASONS"]


class NotLinearCompressorError(InvalidParameterError):
    """The compressor's second moment ``E[C(x)C(x)ᵀ]`` is not linear in ``x xᵀ``: no exact engine."""


@dataclass(frozen=True)
class LinearMoments:
    """Moments of an exchangeable random diagonal ``D`` (``C(x) = D x``): ``E D_j = mean``,
    ``E D_j² = diag``, ``E D_i D_j = off`` for ``i ≠ j`` (sympy numbers)."""

    mean: sp.Expr
    diag: sp.Expr
    off: sp.Expr

    def numeric(self) -> tuple[float, float, float]:
        """``(mean, diag, off)`` as floats."""
        return float(self.mean), float(self.diag), float(self.off)

    def scaled(self, s: Any) -> LinearMoments:
        s = sp.nsimplify(s)
        return LinearMoments(self.mean * s, self.diag * s**2, self.off * s**2)

    def second_moment(self, x: Any) -> Any:
        """``E[C(v)C(v)ᵀ] = P ∘ X`` for ``X = E[v vᵀ]`` (``(d, d)`` numpy array, float or object)."""
        x = np.asarray(x)
        dg = np.diagonal(x).copy()
        out = x * self.off
        out[np.diag_indices_from(out)] = dg * self.diag
        return out

    @property
    def omega(self) -> sp.Expr:
        """``E‖C(x) − x‖²/‖x‖² = diag − 2 mean + 1`` (the tight U(ω) constant when ``mean = 1``)."""
        return sp.simplify(self.diag - 2 * self.mean + 1)


MomentMap = Callable[[Any, int], LinearMoments]
MOMENT_MAPS: dict[type, MomentMap] = {}
_CACHE: dict[tuple[Any, ...], LinearMoments] = {}

NOT_LINEAR_REASONS: dict[str, str] = {
    "topk": "Top-k keeps the k largest |x_j|, so which coordinates survive depends on x: E[C(x)C(x)^T] is not "
            "linear in x x^T",
    "sign": "sign(x) is not linear in x: E[C(x)C(x)^T] = sign(x) sign(x)^T is not a linear map of x x^T",
    "scaledsign": "scaled sign (||x||_1/d) sign(x) is not linear in x",
    "qsgd": "QSGD rounds |x_j|/||x|| to random levels whose probabilities depend on x: its second moment "
            "involves ||x|| |x_j|, not linear in x x^T",
    "natural": "natural compression rounds to powers of two with x-dependent probabilities: its second moment "
               "is not linear in x x^T",
    "natural_dithering": "natural dithering rounds |x_j|/||x|| with x-dependent probabilities: not linear in x x^T",
    "terngrad": "TernGrad keeps x_j with probability |x_j|/max|x|: its second moment involves max|x| |x_j|, not "
                "linear in x x^T",
}


def register_moment_map(cls: type) -> Callable[[MomentMap], MomentMap]:
    """Decorator: ``@register_moment_map(MyCompressor)`` on ``f(c, d) -> LinearMoments``."""
    def deco(fn: MomentMap) -> MomentMap:
        MOMENT_MAPS[cls] = fn
        return fn
    return deco


def linear_moments(c: Any, d: int) -> LinearMoments:
    """The :class:`LinearMoments` of compressor ``c`` at dimension ``d`` (``None`` is the identity).

    Raises :class:`NotLinearCompressorError` for a compressor outside the linear class (with the
    reason) or without a registered moment map.
    """
    _ensure_catalogue()
    if c is None:
        return LinearMoments(sp.Integer(1), sp.Integer(1), sp.Integer(1))
    for klass in type(c).__mro__:
        if klass in MOMENT_MAPS:
            fn = MOMENT_MAPS[klass]
            spec = getattr(c, "spec", None)
            if spec is None:
                return fn(c, int(d))
            key = (fn, klass, spec, int(d))  # the map itself is in the key: re-registering invalidates
            if key not in _CACHE:
                _CACHE[key] = fn(c, int(d))
            return _CACHE[key]
    name = getattr(c, "name", type(c).__name__)
    why = NOT_LINEAR_REASONS.get(name)
    spec = getattr(c, "spec", repr(c))
    if why is not None:
        raise NotLinearCompressorError(f"{spec} is outside the exact engine's linear class: {why}; "
                                       "use the Monte Carlo engine")
    raise NotLinearCompressorError(
        f"{spec}: no second-moment map is registered, so the exact engine cannot propagate its moments; "
        "register one with theorylab.simulate.exact.register_moment_map if C(x) = D x with D random diagonal, "
        "otherwise use the Monte Carlo engine")


_LOADED = False


def _ensure_catalogue() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from ...compressors import Bernoulli, Compose, Identity, Induced, RandK, RandKUnscaled, RandomSwitch, Scaled
    from ...symbolic.sde import randk_indicator_moments
    from ...symbolic.symbols import d as d_sym
    from ...symbolic.symbols import k as k_sym

    @register_moment_map(Identity)
    def _identity(c: Any, d: int) -> LinearMoments:
        return LinearMoments(sp.Integer(1), sp.Integer(1), sp.Integer(1))

    def _randk(c: Any, d: int, scale: sp.Expr) -> LinearMoments:
        c._check_dim(d)
        p1, p2 = randk_indicator_moments()
        vals = {d_sym: sp.Integer(d), k_sym: sp.Integer(c.k)}
        e1 = sp.Rational(p1.subs(vals))
        # E[1_i 1_j] for i != j; the formula is 0/0-free for d >= 2 (d = 1 has no off-diagonal)
        e2 = sp.Rational(p2.subs(vals)) if d >= 2 else sp.Integer(0)
        return LinearMoments(scale * e1, scale**2 * e1, scale**2 * e2)

    @register_moment_map(RandK)
    def _randk_scaled(c: Any, d: int) -> LinearMoments:
        return _randk(c, d, sp.Rational(d, c.k))

    @register_moment_map(RandKUnscaled)
    def _randk_unscaled(c: Any, d: int) -> LinearMoments:
        return _randk(c, d, sp.Integer(1))

    @register_moment_map(Bernoulli)
    def _bernoulli(c: Any, d: int) -> LinearMoments:
        p = sp.nsimplify(c.p)
        return LinearMoments(sp.Integer(1), 1 / p, sp.Integer(1))

    @register_moment_map(Scaled)
    def _scaled(c: Any, d: int) -> LinearMoments:
        inner = linear_moments(c.inner, d)
        return inner.scaled(1 / (1 + sp.sympify(c.inner._omega(sp.Integer(d)))))  # safe: a compressor's omega formula (code)

    @register_moment_map(Compose)
    def _compose(c: Any, d: int) -> LinearMoments:
        a, b = linear_moments(c.outer, d), linear_moments(c.inner, d)
        return LinearMoments(a.mean * b.mean, a.diag * b.diag, a.off * b.off)

    @register_moment_map(Induced)
    def _induced(c: Any, d: int) -> LinearMoments:
        m1, m2 = linear_moments(c.c1, d), linear_moments(c.c2, d)
        # E = 1 - D has mean 1 - a, E E_j^2 = 1 - 2a + diag, E E_i E_j = 1 - 2a + off; D = 1 - E1 E2
        def comp(m: LinearMoments) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
            return 1 - m.mean, 1 - 2 * m.mean + m.diag, 1 - 2 * m.mean + m.off
        e1, e2 = comp(m1), comp(m2)
        mean = 1 - e1[0] * e2[0]
        diag = 1 - 2 * e1[0] * e2[0] + e1[1] * e2[1]
        off = 1 - 2 * e1[0] * e2[0] + e1[2] * e2[2]
        return LinearMoments(sp.nsimplify(mean), sp.nsimplify(diag), sp.nsimplify(off))

    @register_moment_map(RandomSwitch)
    def _switch(c: Any, d: int) -> LinearMoments:
        parts = [(sp.nsimplify(p), linear_moments(ci, d)) for p, ci in zip(c.probs, c.choices)]
        return LinearMoments(sum((p * m.mean for p, m in parts), sp.Integer(0)),
                             sum((p * m.diag for p, m in parts), sp.Integer(0)),
                             sum((p * m.off for p, m in parts), sp.Integer(0)))


_ensure_catalogue()
