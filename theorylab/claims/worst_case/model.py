"""One PEP, built twice at once: in PEPit (floats, to be solved) and exactly (to check the answer).

A method is written once over oracles (:mod:`.methods`). It runs here on *twin* objects: each
:class:`TPoint` / :class:`TScalar` carries a PEPit ``Point`` / ``Expression`` and the exact
:class:`~.exact.Vec` / :class:`~.exact.Scalar` of the same quantity, and every operation is done
on both. New leaves (the start, the optimum, a gradient, a function value, an adversarial
error) are created on both sides in the same order, and the interpolation constraints are
listed in PEPit's order (function by function, pairs (i, j), i ≠ j, of its evaluated points),
so PEPit's dual value of its k-th constraint is the multiplier of our k-th exact constraint.

Soundness never rests on PEPit: a certificate is verified against the exact constraints built
here (:mod:`.certificate`), and a counterexample against the exact class conditions
(:mod:`.counterexample`). PEPit's numbers are only hints; a mismatch between the two models
makes the check fail (it is tested), never pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ...errors import InvalidParameterError
from .exact import Scalar, Vec, as_fraction

__all__ = ["PEPModel", "TPoint", "TScalar", "TFunction", "FiniteSum", "Constraint"]


class _Null:
    """Stands in for PEPit's objects in a symbolic build (:class:`PEPModel` with
    ``symbolic=True``): every operation returns it, and nothing is solved."""

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: NULL

    def _op(self, *a: Any) -> "_Null":
        return NULL

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __neg__ = __pow__ = _op
    __le__ = __ge__ = _op


NULL = _Null()


def _is_symbolic(a: Any) -> bool:
    try:
        import sympy as sp

        return isinstance(a, sp.Basic)
    except ImportError:  # pragma: no cover
        return False


def _scale_pep(q: Any, pep: Any) -> Any:
    return NULL if pep is NULL else float(q) * pep


def _num(a: Any) -> Any:
    if isinstance(a, (int, Fraction)) and not isinstance(a, bool):
        return Fraction(a)
    if _is_symbolic(a):
        return a
    raise TypeError(f"a method's coefficients must be exact (int or Fraction), got {a!r}; "
                    "use the parameters as given (Fractions) and exact_sqrt for square roots")


class TPoint:
    """A point of the method: a PEPit ``Point`` and its exact :class:`Vec` twin."""

    __slots__ = ("pep", "ex")

    def __init__(self, pep: Any, ex: Vec) -> None:
        self.pep, self.ex = pep, ex

    def __add__(self, other: "TPoint") -> "TPoint":
        if not isinstance(other, TPoint):
            return NotImplemented
        return TPoint(self.pep + other.pep, self.ex + other.ex)

    def __sub__(self, other: "TPoint") -> "TPoint":
        if not isinstance(other, TPoint):
            return NotImplemented
        return TPoint(self.pep - other.pep, self.ex - other.ex)

    def __neg__(self) -> "TPoint":
        return TPoint(-self.pep, -self.ex)

    def __rmul__(self, a: Any) -> "TPoint":
        q = _num(a)
        return TPoint(_scale_pep(q, self.pep), self.ex.scale(q))

    def __mul__(self, other: Any) -> Any:
        if isinstance(other, TPoint):
            return TScalar(self.pep * other.pep, self.ex.dot(other.ex))
        return self.__rmul__(other)

    def __truediv__(self, a: Any) -> "TPoint":
        return self.__rmul__(1 / _num(a))

    def __pow__(self, p: int) -> "TScalar":
        if p != 2:
            raise InvalidParameterError("only the squared norm x**2 of a point is defined")
        out: TScalar = self * self
        return out


class TScalar:
    """A scalar of the analysis: a PEPit ``Expression`` and its exact :class:`Scalar` twin."""

    __slots__ = ("pep", "ex")

    def __init__(self, pep: Any, ex: Scalar) -> None:
        self.pep, self.ex = pep, ex

    def __add__(self, other: Any) -> "TScalar":
        if isinstance(other, TScalar):
            return TScalar(self.pep + other.pep, self.ex + other.ex)
        q = _num(other)
        return TScalar(self.pep + (0.0 if self.pep is NULL else float(q)), self.ex + q)

    __radd__ = __add__

    def __sub__(self, other: Any) -> "TScalar":
        if isinstance(other, TScalar):
            return TScalar(self.pep - other.pep, self.ex - other.ex)
        q = _num(other)
        return TScalar(self.pep - (0.0 if self.pep is NULL else float(q)), self.ex - q)

    def __rsub__(self, other: Any) -> "TScalar":
        out: TScalar = (-self) + other
        return out

    def __neg__(self) -> "TScalar":
        return TScalar(-self.pep, -self.ex)

    def __rmul__(self, a: Any) -> "TScalar":
        q = _num(a)
        return TScalar(_scale_pep(q, self.pep), self.ex.scale(q))

    __mul__ = __rmul__

    def __truediv__(self, a: Any) -> "TScalar":
        return self.__rmul__(1 / _num(a))


@dataclass
class Constraint:
    """``expr ≤ 0`` (``kind="ineq"``); ``pep`` is PEPit's ``Constraint`` object."""

    name: str
    expr: Scalar
    pep: Any
    kind: str = "ineq"


@dataclass
class Triple:
    x: TPoint
    g: TPoint
    f: TScalar


@dataclass
class TFunction:
    """A leaf function of the class: its PEPit function and the points where it was evaluated."""

    model: "PEPModel"
    pep: Any
    cls: Any  # FunctionClass
    name: str
    triples: list[Triple] = field(default_factory=list)

    def _find(self, x: TPoint) -> Triple | None:
        for t in self.triples:
            if t.x.ex == x.ex:
                return t
        return None

    def _add(self, x: TPoint, g: TPoint, f: TScalar) -> Triple:
        t = Triple(x, g, f)
        self.triples.append(t)
        self.pep.add_point((x.pep, g.pep, f.pep))
        return t

    def oracle(self, x: TPoint) -> tuple[TPoint, TScalar]:
        """(∇f(x), f(x)); the same point (exactly) gets the same answer."""
        t = self._find(x)
        if t is None:
            t = self._add(x, self.model.new_point(f"g{self.name}"), self.model.new_value(f"f{self.name}"))
        return t.g, t.f

    def gradient(self, x: TPoint) -> TPoint:
        return self.oracle(x)[0]

    def value(self, x: TPoint) -> TScalar:
        return self.oracle(x)[1]

    def stationary_point(self) -> TPoint:
        """A point x* with ∇f(x*) = 0 and its value f* (a new leaf)."""
        x = self.model.new_point("xs")
        g = TPoint(self.model.zero_pep_point(), Vec())
        self._add(x, g, self.model.new_value("fs"))
        return x

    def constraints(self) -> list[Scalar]:
        """The class's interpolation constraints (≤ 0) over the evaluated points, PEPit's order."""
        return [e for _, e in self.named_constraints()]

    def point_names(self) -> list[str]:
        """``x*`` for a stationary point, else ``p0, p1, ...`` in the order of evaluation."""
        out, k = [], 0
        for t in self.triples:
            if not t.g.ex.coeffs:
                out.append("x*")
            else:
                out.append(f"p{k}")
                k += 1
        return out

    def named_constraints(self) -> list[tuple[str, Scalar]]:
        names = self.point_names()
        out = []
        for i, ti in enumerate(self.triples):
            for j, tj in enumerate(self.triples):
                if i != j:
                    out.append((f"{self.cls.short} {self.name}({names[i]},{names[j]})", self.cls.interpolation(ti, tj)))
        return out


@dataclass
class FiniteSum:
    """``f = (1/n) Σ f_i``, each ``f_i`` a leaf function of the class (PEPit's convention: at a
    stationary point of the sum, the last component's gradient is minus the sum of the others)."""

    model: "PEPModel"
    components: list[TFunction]

    def oracle(self, x: TPoint) -> tuple[TPoint, TScalar]:
        n = len(self.components)
        gs, fs = zip(*(c.oracle(x) for c in self.components))
        g = gs[0]
        f = fs[0]
        for gi, fi in zip(gs[1:], fs[1:]):
            g, f = g + gi, f + fi
        return Fraction(1, n) * g, Fraction(1, n) * f

    def gradient(self, x: TPoint) -> TPoint:
        return self.oracle(x)[0]

    def value(self, x: TPoint) -> TScalar:
        return self.oracle(x)[1]

    def stationary_point(self) -> TPoint:
        x = self.model.new_point("xs")
        n = len(self.components)
        gs = [self.model.new_point(f"gs{i}") for i in range(n - 1)]
        last = None
        for gi in gs:
            last = -gi if last is None else last - gi
        if last is None:  # one component
            last = TPoint(self.model.zero_pep_point(), Vec())
        for c, gi in zip(self.components, gs + [last]):
            c._add(x, gi, self.model.new_value(f"fs{c.name}"))
        return x

    @property
    def triples(self) -> list[Triple]:  # the first component's points (where the sum was evaluated)
        return self.components[0].triples


class PEPModel:
    """A PEP under construction: leaves, general constraints, functions and metrics, twice."""

    def __init__(self, symbolic: bool = False) -> None:
        self.symbolic = symbolic
        if symbolic:
            self.pep: Any = NULL
        else:
            try:
                from PEPit import PEP
            except ImportError:
                from ...errors import BackendUnavailableError

                raise BackendUnavailableError("the worst-case analysis needs PEPit, cvxpy and clarabel: "
                                              "pip install 'theorylab[pep]'") from None
            self.pep = PEP()
        self.vec_leaves: list[Any] = []  # PEPit Point of each exact leaf vector
        self.vec_names: list[str] = []
        self.val_leaves: list[Any] = []  # PEPit Expression of each exact leaf value
        self.val_names: list[str] = []
        self.points: list[TPoint] = []  # the leaf vectors as twins
        self.general: list[Constraint] = []
        self.functions: list[TFunction] = []
        self.metrics: list[TScalar] = []

    def zero_pep_point(self) -> Any:
        if self.symbolic:
            return NULL
        from PEPit import Point

        return Point(is_leaf=False, decomposition_dict=dict())

    # leaves
    def new_point(self, name: str = "v") -> TPoint:
        if self.symbolic:
            self.vec_leaves.append(NULL)
            self.vec_names.append(name)
            return TPoint(NULL, Vec.leaf(len(self.vec_leaves) - 1))
        from PEPit import Point

        p = Point(is_leaf=True)
        self.vec_leaves.append(p)
        self.vec_names.append(name)
        t = TPoint(p, Vec.leaf(len(self.vec_leaves) - 1))
        self.points.append(t)
        return t

    def new_value(self, name: str = "f") -> TScalar:
        if self.symbolic:
            self.val_leaves.append(NULL)
            self.val_names.append(name)
            return TScalar(NULL, Scalar.leaf(len(self.val_leaves) - 1))
        from PEPit import Expression

        e = Expression(is_leaf=True)
        self.val_leaves.append(e)
        self.val_names.append(name)
        return TScalar(e, Scalar.leaf(len(self.val_leaves) - 1))

    # functions
    def declare(self, cls: Any, name: str = "") -> TFunction:
        pep_f = NULL if self.symbolic else self.pep.declare_function(cls.pepit_class, **cls.pepit_kwargs())
        f = TFunction(self, pep_f, cls, name or str(len(self.functions)))
        self.functions.append(f)
        return f

    # constraints and metrics
    def require(self, expr: TScalar, name: str) -> None:
        """Add ``expr ≤ 0``."""
        c = NULL if self.symbolic else expr.pep <= 0
        self.pep.add_constraint(c, name=name)
        self.general.append(Constraint(name, expr.ex, c))

    def require_equal(self, a: TPoint, b: TPoint, name: str) -> None:
        """Add the vector equality ``a = b`` (as ``‖a − b‖² ≤ 0``)."""
        self.require((a - b) ** 2, name)

    def metric(self, expr: TScalar) -> None:
        self.pep.set_performance_metric(expr.pep)
        self.metrics.append(expr)

    # the constraints in PEPit's order
    def all_constraints(self) -> list[Constraint]:
        out = list(self.general)
        for f in self.functions:
            ex_list = f.named_constraints()
            pep_list = [NULL] * len(ex_list) if self.symbolic else f.pep.list_of_class_constraints
            if len(pep_list) != len(ex_list):
                raise RuntimeError(f"function {f.name}: PEPit lists {len(pep_list)} class constraints, "
                                   f"the exact model {len(ex_list)}")
            for c, (name, e) in zip(pep_list, ex_list):
                out.append(Constraint(name, e, c))
        return out

    def metric_constraints(self) -> list[Any]:
        return [c for c in self.pep._list_of_prepared_constraints  # noqa: SLF001
                if c.get_name() and c.get_name().startswith("Performance metric")]


def exact_params(values: dict[str, Any]) -> dict[str, Fraction]:
    """Parameters as exact rationals (ints, Fractions, sympy Rationals, decimal strings)."""
    out = {}
    for k, v in values.items():
        try:
            out[k] = as_fraction(v)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"parameter {k} must be an exact rational number, got {v!r} ({exc})") from None
    return out


def evaluate_leaves(model: PEPModel) -> tuple[Any, list[float], Any]:
    """The solved leaf vectors' Gram matrix, the leaf values and the vectors themselves."""
    import numpy as np

    V = np.array([np.atleast_1d(p.eval()) for p in model.vec_leaves], dtype=float)  # safe: PEPit's numeric value
    vals = [float(e.eval()) for e in model.val_leaves]  # safe: PEPit's numeric value
    G = (V @ V.T).tolist()
    return G, vals, V
