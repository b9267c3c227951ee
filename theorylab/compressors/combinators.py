"""Combinators of compressors and their constants (docs/theory.md#compressor-catalogue, composition rules).

- :class:`Compose` ``(C₁, C₂)``: ``x ↦ C₁(C₂(x))`` with independent randomness. For
  ``C_i ∈ U(ω_i)``: ``E‖C₁(C₂x) − x‖² = E‖C₁(y) − y‖² + E‖y − x‖² ≤ ω₁E‖y‖² + ω₂‖x‖²`` with
  ``E‖y‖² ≤ (1+ω₂)‖x‖²``, so U((1+ω₁)(1+ω₂) − 1).
- :class:`Scaled` ``(C)``: ``C(x)/(1+ω)`` for ``C ∈ U(ω)``:
  ``E‖C/(1+ω) − x‖² = E‖C‖²/(1+ω)² − ‖x‖²(2/(1+ω) − 1) ≤ (1 − 1/(1+ω))‖x‖²``: C(1/(1+ω)).
- :class:`Induced` ``(C₁, C₂)`` (Horváth & Richtárik 2021): ``C₁(x) + C₂(x − C₁(x))`` with
  ``C₁ ∈ C(δ)``, ``C₂ ∈ U(ω)`` independent: unbiased, and the error is ``C₂``'s error on the
  residual, ``≤ ω E‖x − C₁(x)‖² ≤ ω(1−δ)‖x‖²``: U(ω(1 − δ)).
- :class:`RandomSwitch` ``([(p_i, C_i)])``: apply ``C_i`` with probability ``p_i`` (per row):
  unbiased if all are, U(Σ p_i ω_i).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from ._base import ClassNotApplicableError, Compressor, _dim, _fmt, ceil_log2, rng_uniform

__all__ = ["Compose", "Scaled", "Induced", "RandomSwitch"]


def _need(c: Any, who: str) -> Compressor:
    if not isinstance(c, Compressor):
        raise InvalidParameterError(
            f"{who} combines theorylab compressors (from from_spec or the catalogue classes); got {c!r}"
        )
    return c


class Compose(Compressor):
    """``C₁ ∘ C₂``: ``x ↦ C₁(C₂(x))``; U((1+ω₁)(1+ω₂) − 1) for unbiased C₁, C₂.

    ``bits(d)`` is the outer compressor's count (its message describes the output; a tighter
    count could exploit the sparsity of ``C₂(x)``).
    """

    name = "compose"

    def __init__(self, outer: Compressor, inner: Compressor) -> None:
        self.outer = _need(outer, "compose")
        self.inner = _need(inner, "compose")
        self.unbiased = outer.unbiased and inner.unbiased

    @property
    def spec(self) -> str:
        return f"compose({self.outer.spec},{self.inner.spec})"

    def _check_dim(self, d: int) -> None:
        self.outer._check_dim(d)
        self.inner._check_dim(d)

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        return self.outer(self.inner(x, rng), rng)

    def _omega(self, d: sp.Expr) -> sp.Expr:
        if not self.unbiased:
            return super()._omega(d)
        return (1 + self.outer._omega(d)) * (1 + self.inner._omega(d)) - 1

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return self.outer._bits(d)


class Scaled(Compressor):
    """``C/(1+ω)`` for ``C ∈ U(ω)``: C(1/(1+ω)), biased unless ω = 0; same bits as C."""

    name = "scaled"

    def __init__(self, inner: Compressor) -> None:
        self.inner = _need(inner, "scaled")
        if not inner.unbiased:
            raise InvalidParameterError(f"scaled(C) needs an unbiased C in U(omega); {inner.spec} is biased")
        self.unbiased = False
        self._factor: dict[int, float] = {}

    @property
    def spec(self) -> str:
        return f"scaled({self.inner.spec})"

    def _check_dim(self, d: int) -> None:
        self.inner._check_dim(d)

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        d = x.shape[-1]
        if d not in self._factor:
            self._factor[d] = 1.0 / (1.0 + float(self.inner._omega(_dim(d))))
        return self.inner(x, rng) * x.dtype.type(self._factor[d])

    def _omega(self, d: sp.Expr) -> sp.Expr:
        w = sp.sympify(self.inner._omega(d))  # safe: the inner compressor's omega formula (code, not text)
        if w == 0:
            return sp.Integer(0)
        raise ClassNotApplicableError(
            f"{self.spec} is biased (E[C(x)] = x/(1+omega)), so it is in no class U(omega); it is in C(1/(1+omega))"
        )

    def _delta(self, d: sp.Expr) -> sp.Expr:
        return 1 / (1 + self.inner._omega(d))

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return self.inner._bits(d)


class Induced(Compressor):
    """Induced compressor ``C₁(x) + C₂(x − C₁(x))``: unbiased, U(ω₂(1 − δ₁)).

    ``C₁`` must be contractive (C(δ₁)) and ``C₂`` unbiased (U(ω₂)); bits add up.
    """

    name = "induced"

    def __init__(self, biased: Compressor, unbiased: Compressor) -> None:
        self.c1 = _need(biased, "induced")
        self.c2 = _need(unbiased, "induced")
        if not unbiased.unbiased:
            raise InvalidParameterError(f"induced(C1, C2) needs an unbiased C2; {unbiased.spec} is biased")
        self.unbiased = True

    @property
    def spec(self) -> str:
        return f"induced({self.c1.spec},{self.c2.spec})"

    def _check_dim(self, d: int) -> None:
        self.c1._check_dim(d)
        self.c2._check_dim(d)

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        y = self.c1(x, rng)
        return y + self.c2(x - y, rng)

    def _omega(self, d: sp.Expr) -> sp.Expr:
        try:
            delta1 = self.c1._delta(d)
        except ClassNotApplicableError as exc:
            raise ClassNotApplicableError(f"{self.spec}: its omega needs C1 in C(delta), but {exc}") from exc
        return self.c2._omega(d) * (1 - delta1)

    def _bits(self, d: sp.Expr) -> sp.Expr:
        return self.c1._bits(d) + self.c2._bits(d)


class RandomSwitch(Compressor):
    """Apply ``C_i`` with probability ``p_i`` (independently per row): U(Σ p_i ω_i).

    ``bits(d)`` is the expected count ``Σ p_i bits_i(d) + ⌈log₂ m⌉`` (which one was used).
    Vectorised by applying every ``C_i`` to every row and selecting per row.
    """

    name = "switch"

    def __init__(self, choices: Sequence[tuple[float, Compressor]]) -> None:
        choices = list(choices)
        if not choices:
            raise InvalidParameterError("switch needs at least one (probability, compressor) pair")
        probs = []
        for item in choices:
            try:
                p, c = item
            except (TypeError, ValueError):
                raise InvalidParameterError(f"switch takes (probability, compressor) pairs, got {item!r}") from None
            p = float(p)
            if not (0 < p <= 1):
                raise InvalidParameterError(f"switch probabilities must be in (0, 1], got {p}")
            probs.append(p)
            _need(c, "switch")
        if not math.isclose(sum(probs), 1.0, rel_tol=0, abs_tol=1e-12):
            raise InvalidParameterError(f"switch probabilities must sum to 1, got {probs} (sum {sum(probs)})")
        self.probs = tuple(probs)
        self.choices = tuple(c for _, c in choices)
        self.unbiased = all(c.unbiased for c in self.choices)

    @property
    def spec(self) -> str:
        return "switch(" + ",".join(f"{_fmt(p)}@{c.spec}" for p, c in zip(self.probs, self.choices)) + ")"

    def _check_dim(self, d: int) -> None:
        for c in self.choices:
            c._check_dim(d)

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:
        u = rng_uniform(rng, (*x.shape[:-1], 1), xp)
        # row uses choice i when cum_{i-1} <= u < cum_i; the last choice takes the rest
        res = self.choices[-1](x, rng)
        cum = 0.0
        for i, c in enumerate(self.choices[:-1]):
            lo, cum = cum, cum + self.probs[i]
            res = xp.where((u >= lo) & (u < cum), c(x, rng), res)
        return res

    def _omega(self, d: sp.Expr) -> sp.Expr:
        if not self.unbiased:
            return super()._omega(d)
        return sum((sp.nsimplify(p) * c._omega(d) for p, c in zip(self.probs, self.choices)), sp.Integer(0))

    def _bits(self, d: sp.Expr) -> sp.Expr:
        m = len(self.choices)
        return sum((sp.nsimplify(p) * c._bits(d) for p, c in zip(self.probs, self.choices)), sp.Integer(0)) + (
            ceil_log2(sp.Integer(m))
        )
