"""The compressor contract, shared input checks and overflow-safe norms.

A compressor ``C`` maps ``x ∈ R^d`` to a random ``C(x) ∈ R^d``. Classes (docs/theory.md#compressor-classes):

- **U(ω)** (unbiased): ``E[C(x)] = x`` and ``E‖C(x) − x‖² ≤ ω‖x‖²``.
- **C(δ)** (contractive): ``E‖C(x) − x‖² ≤ (1 − δ)‖x‖²``, ``δ ∈ (0, 1]``.

Every compressor of theorylab is a :class:`Compressor`: ``C(x, rng)`` acts independently on
each row of an array of shape ``(..., d)`` (numpy or cupy, vectorised), and the constants
are declared once on it: ``omega(d)``, ``delta(d)`` (sympy expressions when ``d`` is a sympy
symbol, floats otherwise), ``bits(d)``, ``unbiased``, ``name``, ``spec``.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, ClassVar, TypeAlias

import numpy as np
import sympy as sp

from ..backend import array_namespace
from ..errors import InvalidParameterError
from ..errors import positive_int as _positive_int

__all__ = [
    "Compressor",
    "ClassNotApplicableError",
    "check_input",
    "require_rng",
    "rng_uniform",
    "row_norm",
]


class ClassNotApplicableError(InvalidParameterError):
    """A compressor is asked for a constant of a class it does not belong to.

    Raised by ``C.omega(d)`` for a biased compressor (not in U(ω)) and by ``C.delta(d)`` for
    one that is not contractive (not in C(δ)); the message says why and what to use instead.
    """


#: a dimension: a positive integer, or a sympy expression (a symbol) for symbolic constants
Dim: TypeAlias = int | sp.Basic


def _is_symbolic(d: Any) -> bool:
    return isinstance(d, sp.Basic) and not d.is_number


def _dim(d: Any) -> sp.Expr:
    """``d`` as a sympy object: a validated positive Integer, or a symbol passed through."""
    if isinstance(d, sp.Basic):
        if d.is_number:
            if not (d.is_integer and d >= 1):
                raise InvalidParameterError(f"dimension d must be a positive integer, got {d}")
            return sp.Integer(int(d))
        return d
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise InvalidParameterError(f"dimension d must be a positive integer (or a sympy symbol), got {d!r}")
    if d < 1:
        raise InvalidParameterError(f"dimension d must be a positive integer, got {d}")
    return sp.Integer(int(d))


def _out(expr: Any, d: Any) -> Any:
    """Return ``expr`` as a sympy expression for symbolic ``d``, else as a float."""
    if isinstance(d, sp.Basic):
        return sp.nsimplify(expr) if not isinstance(expr, sp.Basic) else expr
    return float(expr)


def ceil_log2(d: sp.Expr) -> sp.Expr:
    """``⌈log₂ d⌉`` (exact for integer ``d``, a sympy expression for a symbol)."""
    if d.is_number:
        return sp.Integer(max(0, (int(d) - 1).bit_length()))
    return sp.ceiling(sp.log(d, 2))


class Compressor:
    """Base of the catalogue: the uniform interface of docs/theory.md#compressor-catalogue.

    Subclasses set ``name`` and ``unbiased``, list their constructor parameters in
    ``params`` (used by :attr:`spec` and by :func:`~theorylab.compressors.from_spec`), and
    implement ``_apply(x, rng, xp)`` on a validated float array of shape ``(..., d)``, and
    the sympy-valued ``_omega(d)`` / ``_delta(d)`` / ``_bits(d)``.

    By default an unbiased compressor with ``ω < 1`` is declared in ``C(1 − ω)``, because
    ``E‖C(x) − x‖² ≤ ω‖x‖² = (1 − (1 − ω))‖x‖²``; with ``ω ≥ 1`` (or ``ω < 1`` not decidable
    for a symbolic ``d``) ``delta`` raises :class:`ClassNotApplicableError`.
    """

    name: ClassVar[str] = "compressor"
    params: ClassVar[tuple[str, ...]] = ()
    unbiased: bool = False

    # ----------------------------------------------------------------- application
    def __call__(self, x: Any, rng: Any) -> Any:
        """Apply the compressor independently to each row of ``x`` (shape ``(..., d)``)."""
        x, xp = check_input(x, self.spec)
        self._check_dim(x.shape[-1])
        return self._apply(x, rng, xp)

    def _apply(self, x: Any, rng: Any, xp: ModuleType) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # ----------------------------------------------------------------- constants
    def omega(self, d: Dim) -> Any:
        """Declared constant ω of U(ω) at dimension ``d`` (float; sympy expr for a symbol)."""
        dd = _dim(d)
        if not _is_symbolic(dd):
            self._check_dim(int(dd))
        return _out(self._omega(dd), d)

    def delta(self, d: Dim) -> Any:
        """Declared constant δ of C(δ) at dimension ``d`` (float; sympy expr for a symbol)."""
        dd = _dim(d)
        if not _is_symbolic(dd):
            self._check_dim(int(dd))
        return _out(self._delta(dd), d)

    def bits(self, d: Dim) -> Any:
        """Bits sent per d-vector (fp32 values; docs/theory.md#compressor-catalogue). Float for numeric ``d``."""
        dd = _dim(d)
        if not _is_symbolic(dd):
            self._check_dim(int(dd))
        return _out(self._bits(dd), d)

    def _omega(self, d: sp.Expr) -> sp.Expr:
        if not self.unbiased:
            raise ClassNotApplicableError(
                f"{self.spec} is biased (E[C(x)] != x), so it is in no class U(omega); "
                "ask for delta(d) if it is contractive"
            )
        raise NotImplementedError  # pragma: no cover

    def _delta(self, d: sp.Expr) -> sp.Expr:
        if self.unbiased:
            w = sp.sympify(self._omega(d))  # safe: the class's own omega formula (code, not text)
            less = w < 1
            if less is sp.true or less is True:
                return 1 - w
            why = "omega >= 1" if (less is sp.false or less is False) else f"omega = {w} is not known to be < 1"
            raise ClassNotApplicableError(
                f"{self.spec} is in U(omega) with {why} at d = {d}, so it is not contractive; "
                f"Scaled({self.spec}) = C/(1+omega) is in C(1/(1+omega))"
            )
        raise ClassNotApplicableError(f"{self.spec} declares no contraction constant delta")

    def _bits(self, d: sp.Expr) -> sp.Expr:  # pragma: no cover - every catalogue entry sets it
        raise NotImplementedError

    def _check_dim(self, d: int) -> None:
        """Raise when the parameters do not fit dimension ``d`` (``k > d`` ...)."""

    # ----------------------------------------------------------------- identity
    @property
    def spec(self) -> str:
        """A string that :func:`~theorylab.compressors.from_spec` turns back into an equal compressor."""
        if not self.params:
            return self.name
        return self.name + ":" + ",".join(f"{p}={_fmt(getattr(self, p))}" for p in self.params)

    def __repr__(self) -> str:
        return f"from_spec({self.spec!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.spec == self.spec  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.spec))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if math.isinf(v):
            return "inf"
        return repr(v)
    return str(v)


# --------------------------------------------------------------------------- helpers
positive_int = _positive_int  # the one validator (theorylab.errors.positive_int): 4.0 is not an integer


def probability(name: str, value: Any) -> float:
    """Validate a probability in ``(0, 1]``."""
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number in (0, 1], got {value!r}") from None
    if not (0.0 < p <= 1.0):  # also rejects NaN
        raise InvalidParameterError(f"{name} must be in (0, 1], got {value!r}")
    return p


def check_input(x: Any, who: str = "compressor") -> tuple[Any, ModuleType]:
    """Validate ``x`` for a compressor: float dtype, shape ``(..., d)`` with ``d ≥ 1``, finite.

    Array-likes (lists) are converted with numpy. Returns ``(x, xp)``.
    """
    xp = array_namespace(x)
    if xp is np and not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if x.ndim == 0:
        raise InvalidParameterError(
            f"{who}: x must be an array of shape (..., d) with d >= 1; got a 0-d array (a scalar). "
            "Wrap a scalar as x[None]."
        )
    if x.shape[-1] == 0:
        raise InvalidParameterError(f"{who}: x must have d >= 1 entries in its last axis; got shape {x.shape}")
    if x.dtype.kind != "f":
        raise InvalidParameterError(
            f"{who}: x must have a real floating dtype (float16/32/64); got {x.dtype}. "
            "Convert with x.astype(float)."
        )
    if not bool(xp.isfinite(x).all()):
        bad = "NaN" if bool(xp.isnan(x).any()) else "inf"
        raise InvalidParameterError(f"{who}: x contains {bad}; compressors need finite input")
    return x, xp


def require_rng(rng: Any) -> None:
    """Raise a clear error unless ``rng`` is a generator (not ``None`` or a bare seed)."""
    if rng is None or isinstance(rng, (int, np.integer)):
        raise InvalidParameterError(
            "compressors need an explicit generator: pass rng = theorylab.backend.default_rng(seed, xp)"
        )


def rng_uniform(rng: Any, shape: tuple[int, ...], xp: ModuleType) -> Any:
    """Uniform ``[0, 1)`` draws of ``shape`` from the explicit generator ``rng``, on ``xp``."""
    require_rng(rng)
    u = rng.random(shape)
    if array_namespace(u) is not xp:
        u = xp.asarray(u)
    return u


def row_norm(x: Any, xp: ModuleType, ord: float = 2.0) -> Any:
    """``‖x‖_ord`` of each row, shape ``(..., 1)``, without overflow or underflow.

    The rows are divided by ``m = max|x_j|`` before powers are taken (``‖x‖ = m ‖x/m‖``), so
    entries of ``1e300`` and subnormal entries give finite, correct norms; a zero row has
    norm 0.
    """
    a = xp.abs(x)
    m = a.max(axis=-1, keepdims=True)
    if ord == math.inf:
        return m
    safe = xp.where(m > 0, m, xp.ones((), dtype=x.dtype))
    r = a / safe
    if ord == 2.0:
        s = xp.sqrt((r * r).sum(axis=-1, keepdims=True))
    elif ord == 1.0:
        s = r.sum(axis=-1, keepdims=True)
    else:
        s = (r**ord).sum(axis=-1, keepdims=True) ** (1.0 / ord)
    return m * s
