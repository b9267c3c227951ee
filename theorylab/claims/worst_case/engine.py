"""Build a method's PEP (twin: PEPit and exact), solve it with Clarabel, read primal and dual.

Initial conditions (``initial``), each normalised to 1 (every PEP here is homogeneous of degree
2 in the points and 1 in the values, so a bound for 1 is the ratio):

- ``distance``: ``‖x_0 − x*‖² ≤ 1``;  ``value``: ``f(x_0) − f* ≤ 1``;
- ``value-gap``: ``f(x_0) − f(x_N) ≤ 1`` (no minimiser assumed; smooth nonconvex);
- ``potential``: the method's own initial potential ``≤ 1``;
- ``cycle``: the method's state after ``steps`` steps equals its starting state (a periodic
  orbit) and ``‖x_0 − x*‖² ≤ 1``; the measure is then ``min_k ‖x_k − x*‖²`` over the orbit, so a
  positive worst case is a cycle that never reaches x*.

Measures (``performance``): ``value`` ``f(x_N) − f*``, ``distance`` ``‖x_N − x*‖²``,
``gradient`` ``‖∇f(x_N)‖²``, ``min-gradient`` ``min_{0≤k≤N} ‖∇f(x_k)‖²``, or a measure the method
defines itself (one-step expectations, potentials).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ...errors import InvalidParameterError
from .classes import FunctionClass
from .exact import Scalar
from .methods import Method, Run
from .model import Constraint, FiniteSum, PEPModel, TFunction, TScalar, evaluate_leaves

__all__ = ["INITIALS", "PERFORMANCES", "Context", "Built", "build", "solve", "Solution"]

#: Clarabel's tolerances: tighter than its defaults (1e-8), so that the multipliers round well
SOLVER_OPTIONS = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "tol_ktratio": 1e-10, "max_iter": 400}

INITIALS = ("distance", "value", "value-gap", "potential", "cycle")
PERFORMANCES = ("value", "distance", "gradient", "min-gradient", "potential")


class Context:
    """What a method sees besides its function: new adversarial points, extra constraints, and
    the optimum ``xs`` / ``fs`` (created on first use, so a method that never asks assumes no
    minimiser)."""

    def __init__(self, model: PEPModel, f: Any) -> None:
        self.model, self.f = model, f
        self._xs: Any = None
        self.adversarial: list[int] = []  # leaf indices made by new_point, in order

    @property
    def xs(self) -> Any:
        if self._xs is None:
            self._xs = self.f.stationary_point()
        return self._xs

    @property
    def fs(self) -> TScalar:
        out: TScalar = self.f.value(self.xs)
        return out

    def new_point(self, name: str = "v") -> Any:
        p = self.model.new_point(name)
        self.adversarial.append(len(self.model.vec_leaves) - 1)
        return p

    def require(self, expr: TScalar, name: str) -> None:
        self.model.require(expr, name)


@dataclass
class Built:
    model: PEPModel
    f: Any
    ctx: Context
    run: Run
    starts: list[Any]
    metrics: list[Scalar]
    params: dict[str, Fraction]
    cycle_rows: list[Any] = field(default_factory=list)  # exact Vec that must vanish


def _functions(model: PEPModel, cls: FunctionClass) -> Any:
    if cls.components > 1:
        return FiniteSum(model, [model.declare(cls, f"f{i + 1}") for i in range(cls.components)])
    return model.declare(cls, "f")


def _leaf_functions(f: Any) -> list[TFunction]:
    return f.components if isinstance(f, FiniteSum) else [f]


def build(method: Method, cls: FunctionClass, params: Mapping[str, Any], steps: int, initial: str,
          performance: str, symbolic: bool = False, regularize: Fraction | None = None) -> Built:
    """The PEP of ``method`` on ``cls``. ``regularize = ε`` gives PEPit the measures
    ``m + ε q`` with ``q = Σ ‖v‖²`` over the non-position leaves plus ``‖p − x*‖²`` over the
    positions (a sum of squares, so the exact metrics are unchanged): the solver's multipliers
    then leave a residual with margin ``ε Q`` and round safely to a certificate of the original
    problem (:func:`.certificate.assemble` checks them against the exact metrics)."""
    if initial not in INITIALS:
        raise InvalidParameterError(f"unknown initial condition {initial!r}; expected one of {', '.join(INITIALS)}")
    model = PEPModel(symbolic=symbolic)
    f = _functions(model, cls)
    ctx = Context(model, f)
    m = method.memory
    if initial == "cycle":
        starts = [model.new_point(f"x{k - m}") for k in range(m + 1)]
    else:
        x0 = model.new_point("x0")
        starts = [x0] * (m + 1)
    p = dict(params)
    run = method.run(ctx, f, starts, steps, p)
    its = run.iterates
    # PL: the necessary conditions at every evaluated point (upper bounds only)
    if cls.kind == "pl":
        xs = ctx.xs
        for lf in _leaf_functions(f):
            fs = lf.value(xs)
            for k, t in enumerate(list(lf.triples)):
                if t.x.ex != xs.ex:
                    model.require(t.f - fs - (1 / (2 * cls.mu)) * (t.g ** 2), f"PL at point {k}")
                    model.require(fs - t.f, f"f* below point {k}")
    x0 = starts[-1]
    cycle_rows = []
    if initial == "distance":
        model.require((x0 - ctx.xs) ** 2 - 1, "initial condition")
    elif initial == "value":
        model.require(f.value(x0) - ctx.fs - 1, "initial condition")
    elif initial == "value-gap":
        model.require(f.value(x0) - f.value(its[-1]) - 1, "initial condition")
    elif initial == "potential":
        if "potential" not in run.initial:
            raise InvalidParameterError(f"method {method.name!r} defines no initial potential")
        model.require(run.initial["potential"] - 1, "initial condition")
    else:  # cycle
        if len(its) < 2 * (m + 1) - 1 or steps < 1:
            raise InvalidParameterError("a cycle needs steps >= 1")
        model.require((x0 - ctx.xs) ** 2 - 1, "initial condition")
        for k in range(m + 1):
            a, b = its[len(its) - (m + 1) + k], starts[k]
            model.require_equal(a, b, f"cycle: state {k} returns")
            cycle_rows.append((a - b).ex)
    metrics = _metrics(method, f, ctx, run, performance, initial, m)
    if regularize:
        pos = {id(p) for p in starts} | ({id(ctx._xs)} if ctx._xs is not None else set())
        origin = ctx._xs if ctx._xs is not None else starts[-1]
        q: Any = None
        for pt in list(model.points):
            if id(pt) == id(origin):
                continue
            term = (pt - origin) ** 2 if id(pt) in pos else pt ** 2
            q = term if q is None else q + term
        for mt in metrics:
            model.metric(mt + regularize * q if q is not None else mt)
    else:
        for mt in metrics:
            model.metric(mt)
    return Built(model, f, ctx, run, starts, [mt.ex for mt in metrics], p, cycle_rows)


def _metrics(method: Method, f: Any, ctx: Context, run: Run, performance: str, initial: str, m: int) -> list[TScalar]:
    its = run.iterates
    if initial == "cycle":
        return [(x - ctx.xs) ** 2 for x in its[m: len(its) - 1]]
    if performance in run.measures:
        return [run.measures[performance]]
    if method.one_step and performance not in ("value", "distance", "gradient"):
        raise InvalidParameterError(f"method {method.name!r} measures {', '.join(run.measures)}, not {performance!r}")
    if performance == "value":
        return [f.value(its[-1]) - ctx.fs]
    if performance == "distance":
        return [(its[-1] - ctx.xs) ** 2]
    if performance == "gradient":
        return [f.gradient(its[-1]) ** 2]
    if performance == "min-gradient":
        return [f.gradient(x) ** 2 for x in its[m:]]
    raise InvalidParameterError(f"unknown performance measure {performance!r}; expected one of "
                                f"{', '.join(PERFORMANCES)} or the method's own ({', '.join(run.measures) or 'none'})")


@dataclass
class Solution:
    built: Built
    value: float  # the solver's dual value (an upper bound up to its accuracy)
    primal: float
    constraints: list[Constraint]
    duals: list[float]
    weights: list[float]
    gram: Any
    values: list[float]
    vectors: Any
    seconds: float
    max_mismatch: float
    inaccurate: bool = False  # the solver reported "solution may be inaccurate" (its numbers are hints only)


def solve(built: Built) -> Solution:
    """Solve the PEP with Clarabel through PEPit and read both sides; the twins must agree."""
    import io
    from contextlib import redirect_stdout

    model = built.model
    t0 = time.perf_counter()
    import warnings

    with redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dual_value = model.pep.solve(wrapper="cvxpy", solver="CLARABEL", verbose=0, **SOLVER_OPTIONS)
    inaccurate = any("inaccurate" in str(w.message) for w in caught)
    seconds = time.perf_counter() - t0
    if dual_value is None:
        raise InvalidParameterError("the PEP is unbounded: the worst case is infinite (no finite bound holds)")
    constraints = model.all_constraints()
    duals = [float(c.pep.eval_dual()) for c in constraints]
    weights = [float(c.eval_dual()) for c in model.metric_constraints()]
    G, vals, V = evaluate_leaves(model)
    mismatch = 0.0
    for c in constraints:
        mine, theirs = c.expr.evaluate(G, vals), float(c.pep.eval())  # safe: PEPit's numeric value
        mismatch = max(mismatch, abs(mine - theirs) / (1 + abs(theirs)))
    if mismatch > 1e-6:
        raise RuntimeError(f"the exact model and PEPit's disagree on a constraint by {mismatch:.3g}")
    primal = min(m.evaluate(G, vals) for m in built.metrics)
    return Solution(built, float(dual_value), primal, constraints, duals, weights, G, vals, V, seconds, mismatch,
                    inaccurate)
