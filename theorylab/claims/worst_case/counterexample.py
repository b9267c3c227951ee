"""Counterexamples from the primal worst case: rational data in the class, replayed exactly.

From the solver's Gram matrix ``G = V Vᵀ`` (leaf vectors) and leaf values:

1. coordinates ``X = U_r √Λ_r`` in the ``r`` significant eigen-directions, rounded to rationals;
   linear equalities of the PEP (a periodic orbit ``x_K = x_0``) are restored exactly by the
   least-norm correction of each coordinate column;
2. every constraint is evaluated exactly: the interpolation conditions of the *claimed* class
   (the PEP was solved on a slightly smaller class, :meth:`FunctionClass.with_margin`, so the
   rounding cannot leave the class), the oracle conditions, and the initial condition, which is
   restored by an exact homogeneous scaling (points × s, values × s², s rational);
3. the method is **replayed** on the data with exact rational vectors: every oracle call must
   land exactly on a data point (its gradient and value are the data's), every adversarial
   condition is re-checked, and the measure is recomputed from the replayed iterates.

By the interpolation theorem of the class (Taylor, Hendrickx & Glineur 2017) the data is then
the trace of a function of the class, on which the method does what the replay shows; an
explicit such function is :func:`.classes.interpolant`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .classes import FunctionClass
from .exact import Scalar, Vec, rationalize, solve_affine

__all__ = ["Counterexample", "extract", "CPoint"]


class CPoint:
    """A concrete rational vector (for the exact replay)."""

    __slots__ = ("v",)

    def __init__(self, v: tuple[Fraction, ...]) -> None:
        self.v = tuple(v)

    def __add__(self, o: "CPoint") -> "CPoint":
        return CPoint(tuple(a + b for a, b in zip(self.v, o.v)))

    def __sub__(self, o: "CPoint") -> "CPoint":
        return CPoint(tuple(a - b for a, b in zip(self.v, o.v)))

    def __neg__(self) -> "CPoint":
        return CPoint(tuple(-a for a in self.v))

    def __rmul__(self, a: Any) -> "CPoint":
        if not isinstance(a, (int, Fraction)):
            raise TypeError(f"exact replay needs exact coefficients, got {a!r}")
        return CPoint(tuple(a * b for b in self.v))

    def __mul__(self, o: Any) -> Any:
        if isinstance(o, CPoint):
            return sum((a * b for a, b in zip(self.v, o.v)), Fraction(0))
        return self.__rmul__(o)

    def __truediv__(self, a: Any) -> "CPoint":
        return self.__rmul__(1 / Fraction(a))

    def __pow__(self, p: int) -> Fraction:
        out: Fraction = self * self
        return out

    def __eq__(self, o: object) -> bool:
        return isinstance(o, CPoint) and self.v == o.v

    def __hash__(self) -> int:
        return hash(self.v)


class ReplayError(Exception):
    """The replay left the data (an oracle call off the data points, a violated condition)."""


@dataclass
class CFunction:
    table: list[tuple[CPoint, CPoint, Fraction]]
    calls: int = 0

    def oracle(self, x: CPoint) -> tuple[CPoint, Fraction]:
        self.calls += 1
        for xi, gi, fi in self.table:
            if xi == x:
                return gi, fi
        raise ReplayError("the method queried a point that is not in the worst-case data")

    def gradient(self, x: CPoint) -> CPoint:
        return self.oracle(x)[0]

    def value(self, x: CPoint) -> Fraction:
        return self.oracle(x)[1]


@dataclass
class CSum:
    components: list[CFunction]
    xs_point: CPoint | None = None

    def oracle(self, x: CPoint) -> tuple[CPoint, Fraction]:
        n = len(self.components)
        gs, fs = zip(*(c.oracle(x) for c in self.components))
        g = gs[0]
        for gi in gs[1:]:
            g = g + gi
        return Fraction(1, n) * g, sum(fs, Fraction(0)) / n

    def gradient(self, x: CPoint) -> CPoint:
        return self.oracle(x)[0]

    def value(self, x: CPoint) -> Fraction:
        return self.oracle(x)[1]

    def stationary_point(self) -> CPoint:
        assert self.xs_point is not None
        return self.xs_point


class ReplayContext:
    def __init__(self, f: Any, xs: CPoint | None, adversarial: list[CPoint]) -> None:
        self.f, self._xs, self._adv = f, xs, list(adversarial)
        self.violations: list[str] = []

    @property
    def xs(self) -> CPoint:
        if self._xs is None:
            raise ReplayError("the replay needs x* but the worst case has none")
        return self._xs

    @property
    def fs(self) -> Fraction:
        return Fraction(self.f.value(self.xs))

    def new_point(self, name: str = "v") -> CPoint:
        if not self._adv:
            raise ReplayError("the replay asked for more adversarial vectors than the worst case has")
        return self._adv.pop(0)

    def require(self, expr: Fraction, name: str) -> None:
        if expr > 0:
            self.violations.append(f"{name}: {expr} > 0")


@dataclass
class Counterexample:
    """Exact worst-case data and what the replay found."""

    ok: bool
    reason: str
    performance: Any = None  # the exact measure (a Fraction)
    bound_margin: Any = None
    scale: Fraction | None = None
    dimension: int = 0
    points: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    iterates: list[list[float]] = field(default_factory=list)
    data: Any = None  # (xs, gs, fs) float arrays of the (first) function, for plots
    min_class_slack: Fraction | None = None
    coords: list[list[Fraction]] = field(default_factory=list)  # exact coordinates of every leaf vector
    leaf_values: list[Fraction] = field(default_factory=list)  # exact leaf values

    def summary(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "performance": str(self.performance),
                "scale": str(self.scale), "points": self.points, "values": self.values,
                "smallest class slack": str(self.min_class_slack)}


def _coords(V: np.ndarray, max_den: int) -> list[list[Fraction]]:
    G = V @ V.T
    w, U = np.linalg.eigh(G)
    keep = w > 1e-9 * max(w.max(), 1e-300)
    X = U[:, keep] * np.sqrt(w[keep])
    X = X[:, ::-1]  # leading direction first
    return [[rationalize(float(x), max_den) for x in row] for row in X]


def centered(sol: Any) -> np.ndarray:
    """The solved leaf vectors with the positions (starts, x*) translated so that x* (else x0)
    is the origin: the class and every method here are translation invariant, and this removes
    the solver's arbitrary placement of the optimum (it lowers the rank of the worst case)."""
    built = sol.built
    V = np.array(sol.vectors, dtype=float)
    xs = built.ctx._xs  # noqa: SLF001
    positions = sorted({_leaf_index(p) for p in built.starts} | ({_leaf_index(xs)} if xs is not None else set()))
    origin = _leaf_index(xs) if xs is not None else positions[0]
    V[positions] = V[positions] - V[origin]
    return V


def _leaf_index(p: Any) -> int:
    (k,) = p.ex.coeffs
    return int(k)


def _vec_at(v: Vec, X: list[list[Fraction]], r: int) -> CPoint:
    out = [Fraction(0)] * r
    for k, c in v.coeffs.items():
        row = X[k]
        for i in range(r):
            out[i] += c * row[i]
    return CPoint(tuple(out))


def extract(sol: Any, target: FunctionClass, method: Any, steps: int, performance: str, initial: str,
            bound: Any, max_den: int = 10**10) -> Counterexample:
    """Rational worst-case data from a solved PEP, checked exactly in ``target`` and replayed."""
    import sympy as sp

    from . import engine

    built = sol.built
    model = built.model
    V = centered(sol)
    X = _coords(V, max_den)
    r = len(X[0]) if X else 0
    n_vec = len(X)
    # exact linear equalities (cycles): correct each coordinate column
    if built.cycle_rows and r:
        rows = []
        for v in built.cycle_rows:
            rows.append([v.coeffs.get(k, Fraction(0)) for k in range(n_vec)])
        for i in range(r):
            col = solve_affine(rows, [Fraction(0)] * len(rows), [X[k][i] for k in range(n_vec)])
            if col is None:
                return Counterexample(False, "the periodic-orbit equations have no rational solution")
            for k in range(n_vec):
                X[k][i] = col[k]
    vals = [rationalize(v, max_den) for v in sol.values]
    gram = [[sum((a * b for a, b in zip(X[i], X[j])), Fraction(0)) for j in range(n_vec)] for i in range(n_vec)]
    # constraints: general ones as built, class ones for the target class
    general = [(c.name, c.expr) for c in model.general]
    klass: list[tuple[str, Scalar]] = []
    for f in model.functions:
        for i, ti in enumerate(f.triples):
            for j, tj in enumerate(f.triples):
                if i != j:
                    klass.append((f"{target.short} {f.name}({i},{j})", target.interpolation(ti, tj)))
    # homogeneous scaling: t·h_k + c_k ≤ 0 for every constraint (t = s²)
    t_max: Fraction | None = None
    for name, e in general + klass:
        h = e.evaluate_exact(gram, vals) - e.const
        c = e.const
        if c == 0:
            if h > 0:
                return Counterexample(False, f"the rounded worst case violates {name} ({float(h):.3g} > 0)")
        elif h > 0:
            ratio = -c / h
            if ratio <= 0:
                return Counterexample(False, f"{name} cannot be met by scaling")
            t_max = ratio if t_max is None else min(t_max, ratio)
        elif c > 0:
            return Counterexample(False, f"{name} has a positive constant")
    if t_max is None:
        t_max = Fraction(1)
    s = Fraction(math.sqrt(float(t_max)) * (1 - 1e-9)).limit_denominator(10**6)
    while s * s > t_max:
        s = s * (1 - Fraction(1, 10**6))
    t = s * s
    X = [[s * x for x in row] for row in X]
    vals = [t * v for v in vals]
    gram = [[t * g for g in row] for row in gram]
    slacks = [e.evaluate_exact(gram, vals) for _, e in general + klass]
    bad = [n for (n, _), v in zip(general + klass, slacks) if v > 0]
    if bad:
        return Counterexample(False, f"after scaling, {bad[0]} is violated")
    class_slack = max((v for (n, _), v in zip(general + klass, slacks) if n.startswith(target.short)), default=None)
    perf = min(m.evaluate_exact(gram, vals) for m in built.metrics)
    # exact replay of the method on the data
    try:
        perf_replay, iterates = _replay(built, X, vals, r, method, steps, performance, initial, engine)
    except ReplayError as exc:
        return Counterexample(False, f"replay failed: {exc}")
    if perf_replay != perf:
        return Counterexample(False, f"the replay's measure {perf_replay} differs from the data's {perf}")
    margin = (sp.Rational(perf.numerator, perf.denominator) - bound) if bound is not None else None
    names = model.vec_names
    points = {f"{names[k]}#{k}": [str(x) for x in X[k]] for k in range(n_vec)}
    values = {f"{model.val_names[k]}#{k}": str(v) for k, v in enumerate(vals)}
    f0 = model.functions[0]
    xs_ = np.array([[float(c) for c in _vec_at(t_.x.ex, X, r).v] for t_ in f0.triples])
    gs_ = np.array([[float(c) for c in _vec_at(t_.g.ex, X, r).v] for t_ in f0.triples])
    fs_ = np.array([float(t_.f.ex.evaluate_exact(gram, vals)) for t_ in f0.triples])
    return Counterexample(True, "", perf, margin, s, r, points, values,
                          [[float(c) for c in x.v] for x in iterates], (xs_, gs_, fs_), class_slack, X, vals)


def _replay(built: Any, X: list[list[Fraction]], vals: list[Fraction], r: int, method: Any, steps: int,
            performance: str, initial: str, engine: Any) -> tuple[Fraction, list[CPoint]]:
    model = built.model
    gram_vals = vals

    def table(f: Any) -> CFunction:
        rows = []
        for t in f.triples:
            fx = t.f.ex.evaluate_exact([[Fraction(0)]], gram_vals) if not t.f.ex.quad else None
            if fx is None:  # pragma: no cover - values are leaves or combinations of leaves
                raise ReplayError("a function value depends on the Gram matrix")
            rows.append((_vec_at(t.x.ex, X, r), _vec_at(t.g.ex, X, r), fx))
        return CFunction(rows)

    comps = [table(f) for f in model.functions]
    xs = _vec_at(built.ctx._xs.ex, X, r) if built.ctx._xs is not None else None  # noqa: SLF001
    f: Any = CSum(comps, xs) if len(comps) > 1 else comps[0]
    adv = [_vec_at(Vec.leaf(k), X, r) for k in built.ctx.adversarial]
    ctx = ReplayContext(f, xs, adv)
    starts = [_vec_at(p.ex, X, r) for p in built.starts]
    run = method.run(ctx, f, starts, steps, dict(built.params))
    if ctx.violations:
        raise ReplayError("; ".join(ctx.violations))
    its = run.iterates
    m = method.memory
    if initial == "cycle":
        for k in range(m + 1):
            if its[len(its) - (m + 1) + k] != starts[k]:
                raise ReplayError("the replayed orbit does not close")
    ms = engine._metrics(method, f, ctx, run, performance, initial, m)  # noqa: SLF001
    return min(Fraction(v) for v in ms), its
