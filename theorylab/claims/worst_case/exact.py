"""Exact arithmetic for performance estimation: the Gram basis, rational rounding and an exact LDLᵀ.

A PEP (performance estimation problem; Drori & Teboulle 2014, Taylor, Hendrickx & Glineur 2017)
speaks of finitely many *leaf* vectors ``v_1, ..., v_n`` (the starting point, the optimum, each
new gradient, each adversarial error) and *leaf* scalars ``f_1, ..., f_m`` (function values).
Every point of a fixed-step method is a linear combination of the leaf vectors
(:class:`Vec`), and every quantity of the analysis (an interpolation inequality, an initial
condition, a performance measure) is affine in the leaf scalars and in the Gram matrix
``G_ij = <v_i, v_j>`` (:class:`Scalar`). All coefficients are :class:`fractions.Fraction`, so a
certificate is checked without rounding.

:func:`ldl_psd` decides ``M ⪰ 0`` for a rational symmetric matrix by an LDLᵀ factorisation with
diagonal pivoting in exact arithmetic: ``M ⪰ 0`` iff every pivot is ≥ 0 and a zero pivot has a
zero row in the Schur complement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Union

__all__ = ["Vec", "Scalar", "Number", "as_fraction", "rationalize", "ldl_psd", "PsdResult"]

Number = Union[int, Fraction]


def as_fraction(value: Any) -> Fraction:
    """An exact rational: int, Fraction, a sympy Rational or a decimal string; a float only when
    it is an exact binary fraction (it is taken at its exact value)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Fraction(value)
    try:
        import sympy as sp

        if isinstance(value, sp.Basic):
            r = sp.nsimplify(value) if not value.is_Rational else value
            if not r.is_Rational:
                raise ValueError(f"{value} is not rational")
            return Fraction(int(r.p), int(r.q))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, str):
        return Fraction(value)
    raise TypeError(f"cannot read {value!r} as an exact rational")


def rationalize(x: float, max_denominator: int) -> Fraction:
    """The closest fraction to ``x`` with denominator ≤ ``max_denominator`` (continued fractions)."""
    return Fraction(x).limit_denominator(max_denominator)


def _symbolic(a: Any) -> bool:
    """A sympy expression (a parametric coefficient)."""
    mod = type(a).__module__
    return mod.startswith("sympy")


def simplest_in(lo: Fraction, hi: Fraction) -> Fraction:
    """The rational with the smallest denominator in ``[lo, hi]`` (Stern–Brocot descent by
    continued fractions)."""
    if lo > hi:
        lo, hi = hi, lo
    if lo <= 0 <= hi:
        return Fraction(0)
    if hi < 0:
        return -simplest_in(-hi, -lo)
    fl = lo.numerator // lo.denominator
    if Fraction(fl) == lo:
        return Fraction(fl)
    if fl + 1 <= hi:
        return Fraction(fl + 1)
    # lo and hi share the integer part fl: recurse on the reciprocals of the fractional parts
    return fl + 1 / simplest_in(1 / (hi - fl), 1 / (lo - fl))


def rational_near(x: float, tol: float) -> Fraction:
    """The simplest rational within ``tol`` (relative to max(1, |x|)) of ``x``."""
    t = Fraction(tol) * max(Fraction(1), Fraction(abs(x)))
    q = Fraction(x)
    return simplest_in(q - t, q + t)


class Vec:
    """A point: ``Σ_k c_k v_k`` over the leaf vectors (``coeffs``: leaf index → Fraction)."""

    __slots__ = ("coeffs",)

    def __init__(self, coeffs: Mapping[int, Fraction] | None = None) -> None:
        self.coeffs = {k: v for k, v in (coeffs or {}).items() if v != 0}

    @staticmethod
    def leaf(k: int) -> "Vec":
        return Vec({k: Fraction(1)})

    def __add__(self, other: "Vec") -> "Vec":
        if not isinstance(other, Vec):
            return NotImplemented
        out = dict(self.coeffs)
        for k, v in other.coeffs.items():
            out[k] = out.get(k, Fraction(0)) + v
        return Vec(out)

    def __neg__(self) -> "Vec":
        return Vec({k: -v for k, v in self.coeffs.items()})

    def __sub__(self, other: "Vec") -> "Vec":
        if not isinstance(other, Vec):
            return NotImplemented
        return self + (-other)

    def scale(self, a: Fraction) -> "Vec":
        return Vec({k: a * v for k, v in self.coeffs.items()})

    def dot(self, other: "Vec") -> "Scalar":
        quad: dict[tuple[int, int], Fraction] = {}
        for i, a in self.coeffs.items():
            for j, b in other.coeffs.items():
                key = (i, j) if i <= j else (j, i)
                quad[key] = quad.get(key, Fraction(0)) + a * b
        return Scalar(Fraction(0), {}, quad)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vec) and self.coeffs == other.coeffs

    def __hash__(self) -> int:
        return hash(frozenset(self.coeffs.items()))

    def __repr__(self) -> str:
        return "Vec(" + " + ".join(f"{v}*v{k}" for k, v in sorted(self.coeffs.items())) + ")"


class Scalar:
    """``const + Σ_k a_k f_k + Σ_{i≤j} q_ij <v_i, v_j>``: affine in the leaf values and the Gram
    matrix (``lin``: value-leaf index → Fraction; ``quad``: (i, j) with i ≤ j → Fraction)."""

    __slots__ = ("const", "lin", "quad")

    def __init__(self, const: Fraction = Fraction(0), lin: Mapping[int, Fraction] | None = None,
                 quad: Mapping[tuple[int, int], Fraction] | None = None) -> None:
        self.const = const
        self.lin = {k: v for k, v in (lin or {}).items() if v != 0}
        self.quad = {k: v for k, v in (quad or {}).items() if v != 0}

    @staticmethod
    def leaf(k: int) -> "Scalar":
        return Scalar(Fraction(0), {k: Fraction(1)})

    def _merge(self, other: "Scalar", sign: int) -> "Scalar":
        lin = dict(self.lin)
        for k, v in other.lin.items():
            lin[k] = lin.get(k, Fraction(0)) + sign * v
        quad = dict(self.quad)
        for kq, v in other.quad.items():
            quad[kq] = quad.get(kq, Fraction(0)) + sign * v
        return Scalar(self.const + sign * other.const, lin, quad)

    def __add__(self, other: Any) -> "Scalar":
        if isinstance(other, (int, Fraction)) or _symbolic(other):
            return Scalar(self.const + other, self.lin, self.quad)
        if not isinstance(other, Scalar):
            return NotImplemented
        return self._merge(other, 1)

    __radd__ = __add__

    def __sub__(self, other: Any) -> "Scalar":
        if isinstance(other, (int, Fraction)) or _symbolic(other):
            return Scalar(self.const - other, self.lin, self.quad)
        if not isinstance(other, Scalar):
            return NotImplemented
        return self._merge(other, -1)

    def __rsub__(self, other: Any) -> "Scalar":
        out: Scalar = (-self) + other
        return out

    def __neg__(self) -> "Scalar":
        return self.scale(Fraction(-1))

    def scale(self, a: Fraction) -> "Scalar":
        return Scalar(a * self.const, {k: a * v for k, v in self.lin.items()},
                      {k: a * v for k, v in self.quad.items()})

    def gram_matrix(self, n: int) -> list[list[Fraction]]:
        """The symmetric matrix ``Q`` with ``Σ q_ij <v_i, v_j> = Σ_ij Q_ij <v_i, v_j>``."""
        Q = [[Fraction(0)] * n for _ in range(n)]
        for (i, j), v in self.quad.items():
            if i == j:
                Q[i][i] += v
            else:
                Q[i][j] += v / 2
                Q[j][i] += v / 2
        return Q

    def evaluate(self, gram: Sequence[Sequence[float]], values: Sequence[float]) -> float:
        """The float value at a Gram matrix and leaf values."""
        total = float(self.const)
        total += sum(float(v) * values[k] for k, v in self.lin.items())
        total += sum(float(v) * gram[i][j] for (i, j), v in self.quad.items())
        return total

    def evaluate_exact(self, gram: Sequence[Sequence[Fraction]], values: Sequence[Fraction]) -> Fraction:
        """The exact value at a rational Gram matrix and rational leaf values."""
        total = self.const
        total += sum((v * values[k] for k, v in self.lin.items()), Fraction(0))
        total += sum((v * gram[i][j] for (i, j), v in self.quad.items()), Fraction(0))
        return total

    def __repr__(self) -> str:
        return f"Scalar({self.const}, lin={self.lin}, quad={self.quad})"


class PsdResult:
    """The outcome of :func:`ldl_psd`: ``psd`` and, when False, the failing ``pivot`` value and
    its index (a negative pivot, or a zero pivot with a nonzero off-diagonal entry)."""

    def __init__(self, psd: bool, pivots: list[Fraction], reason: str = "", index: int | None = None) -> None:
        self.psd = psd
        self.pivots = pivots
        self.reason = reason
        self.index = index

    def __bool__(self) -> bool:
        return self.psd

    def __repr__(self) -> str:
        return f"PsdResult(psd={self.psd}, reason={self.reason!r})"


def ldl_psd(matrix: Sequence[Sequence[Fraction]]) -> PsdResult:
    """Decide ``M ⪰ 0`` exactly for a symmetric rational matrix.

    Symmetric Gaussian elimination with diagonal pivoting (the largest remaining diagonal entry
    first): ``M = P L D Lᵀ Pᵀ``. ``M`` is PSD iff every pivot ``d_k ≥ 0`` and, when the largest
    remaining diagonal entry is 0, the remaining Schur complement is the zero matrix (a PSD matrix
    with a zero diagonal entry has a zero row). Exact over ``Fraction``; raises ``ValueError`` for a
    non-symmetric input.
    """
    n = len(matrix)
    A = [[Fraction(x) for x in row] for row in matrix]
    for i in range(n):
        if len(A[i]) != n:
            raise ValueError("ldl_psd needs a square matrix")
        for j in range(i):
            if A[i][j] != A[j][i]:
                raise ValueError("ldl_psd needs a symmetric matrix")
    remaining = list(range(n))
    pivots: list[Fraction] = []
    while remaining:
        p = max(remaining, key=lambda i: A[i][i])
        d = A[p][p]
        if d < 0:
            return PsdResult(False, pivots + [d], f"negative pivot {d}", p)
        if d == 0:
            for i in remaining:
                for j in remaining:
                    if A[i][j] != 0:
                        return PsdResult(False, pivots + [d], f"zero pivot with nonzero entry ({i}, {j})", i)
            return PsdResult(True, pivots + [Fraction(0)] * len(remaining))
        pivots.append(d)
        remaining.remove(p)
        row = {j: A[p][j] for j in remaining if A[p][j] != 0}
        for i, a in row.items():
            f = a / d
            Ai = A[i]
            for j, b in row.items():
                Ai[j] -= f * b
    return PsdResult(True, pivots)


def _independent_rows(rows: list[list[Fraction]], rhs: list[Fraction]) -> tuple[list[list[Fraction]], list[Fraction], bool]:
    """A maximal independent subset of the rows (Gaussian elimination over Fraction); the bool
    is False when a dependent row contradicts the others (no solution)."""
    basis: list[tuple[int, list[Fraction], Fraction]] = []  # (pivot column, reduced row, reduced rhs)
    keep_rows, keep_rhs = [], []
    for r, b in zip(rows, rhs):
        v, c = list(r), b
        for col, br, bb in basis:
            f = v[col]
            if f:
                v = [x - f * y for x, y in zip(v, br)]
                c = c - f * bb
        piv = next((i for i, x in enumerate(v) if x), None)
        if piv is None:
            if c != 0:
                return [], [], False
            continue
        inv = 1 / v[piv]
        v = [x * inv for x in v]
        c = c * inv
        # keep the basis reduced in the new pivot column
        basis = [(col, [x - br[piv] * y for x, y in zip(br, v)], bb - br[piv] * c) for col, br, bb in basis]
        basis.append((piv, v, c))
        keep_rows.append(list(r))
        keep_rhs.append(b)
    return keep_rows, keep_rhs, True


def _solve_square(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    n = len(A)
    M = [list(row) + [bb] for row, bb in zip(A, b)]
    for c in range(n):
        p = next((r for r in range(c, n) if M[r][c] != 0), None)
        if p is None:
            return None
        M[c], M[p] = M[p], M[c]
        inv = 1 / M[c][c]
        M[c] = [x * inv for x in M[c]]
        for r in range(n):
            if r != c and M[r][c] != 0:
                f = M[r][c]
                M[r] = [x - f * y for x, y in zip(M[r], M[c])]
    return [M[r][n] for r in range(n)]


def solve_affine(rows: list[list[Fraction]], rhs: list[Fraction], x0: list[Fraction]) -> list[Fraction] | None:
    """The point of ``{x : A x = b}`` obtained from ``x0`` by the least-norm correction
    ``x0 + Aᵀ y`` with ``A Aᵀ y = b − A x0`` (exact; redundant rows dropped); None when
    ``A x = b`` has no solution."""
    if not rows:
        return list(x0)
    A, b, ok = _independent_rows(rows, rhs)
    if not ok:
        return None
    if not A:
        return list(x0)
    r = [bb - sum((a * x for a, x in zip(row, x0)), Fraction(0)) for row, bb in zip(A, b)]
    AAt = [[sum((p * q for p, q in zip(ri, rj)), Fraction(0)) for rj in A] for ri in A]
    y = _solve_square(AAt, r)
    if y is None:  # pragma: no cover - A has full row rank
        return None
    return [x + sum((A[i][k] * y[i] for i in range(len(A))), Fraction(0)) for k, x in enumerate(x0)]


def iter_pairs(n: int) -> Iterable[tuple[int, int]]:
    for i in range(n):
        for j in range(n):
            if i != j:
                yield i, j
