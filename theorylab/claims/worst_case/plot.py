"""The worst-case function and the method's iterates on it: a float replay and a figure.

:func:`float_replay` runs the method (the same code) in floating point on the *explicit*
interpolating function of :func:`.classes.interpolant` (its gradient by Danskin's theorem from
the small concave QP), starting from the worst case's start: the iterates it produces are the
worst case's own (up to the QP's accuracy), which shows the function is one the method really
meets. :func:`plot_worst_case` draws the function along the line through x* and x0 with the
iterates, and the measure along the iterates against the claimed bound.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .classes import interpolant

__all__ = ["worst_case_data", "float_replay", "plot_worst_case"]


class FPoint:
    """A float vector that takes the methods' exact coefficients."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = np.asarray(v, dtype=float)

    def __add__(self, o: "FPoint") -> "FPoint":
        return FPoint(self.v + o.v)

    def __sub__(self, o: "FPoint") -> "FPoint":
        return FPoint(self.v - o.v)

    def __neg__(self) -> "FPoint":
        return FPoint(-self.v)

    def __rmul__(self, a: Any) -> "FPoint":
        return FPoint(float(a) * self.v)

    def __mul__(self, o: Any) -> Any:
        if isinstance(o, FPoint):
            return float(self.v @ o.v)
        return self.__rmul__(o)

    def __truediv__(self, a: Any) -> "FPoint":
        return FPoint(self.v / float(a))

    def __pow__(self, p: int) -> float:
        return float(self.v @ self.v)


class _FFunction:
    def __init__(self, f: Any) -> None:
        self.f = f

    def oracle(self, x: FPoint) -> tuple[FPoint, float]:
        v, g = self.f(x.v)
        return FPoint(g), v

    def gradient(self, x: FPoint) -> FPoint:
        return self.oracle(x)[0]

    def value(self, x: FPoint) -> float:
        return self.oracle(x)[1]


class _FContext:
    def __init__(self, f: Any, xs: FPoint | None, adv: list[FPoint]) -> None:
        self.f, self.xs, self._adv = f, xs, list(adv)

    @property
    def fs(self) -> float:
        return float(self.f.value(self.xs))

    def new_point(self, name: str = "v") -> FPoint:
        return self._adv.pop(0)

    def require(self, expr: float, name: str) -> None:
        pass


def _leaf_coords(wc: Any) -> list[list[Any]]:
    """Coordinates of every leaf vector: the counterexample's exact ones when refuted, else the
    solver's primal (centred, in its significant directions)."""
    from .counterexample import _coords, centered

    cx = wc.counterexample
    if cx is not None and cx.ok and cx.coords:
        coords: list[list[Any]] = cx.coords
        return coords
    return _coords(centered(wc.solution), 10**12)


def worst_case_data(wc: Any) -> dict[str, Any]:
    """Float coordinates of the worst case: the first function's data ``xs, gs, fs``, the
    iterates and x* (None when the analysis has no minimiser)."""
    from .counterexample import _vec_at
    from .exact import Vec

    sol = wc.solution
    built = sol.built
    X = _leaf_coords(wc)
    r = len(X[0])
    cx = wc.counterexample
    vals = cx.leaf_values if cx is not None and cx.ok and cx.coords else [Fraction(v).limit_denominator(10**12) for v in sol.values]

    def at(v: Vec) -> np.ndarray:
        return np.array([float(c) for c in _vec_at(v, X, r).v])

    f0 = built.model.functions[0]
    xs = np.array([at(t.x.ex) for t in f0.triples])
    gs = np.array([at(t.g.ex) for t in f0.triples])
    fs = np.array([float(sum((c * vals[k] for k, c in t.f.ex.lin.items()), Fraction(0))) for t in f0.triples])
    iterates = np.array([at(p.ex) for p in built.run.iterates])
    xstar = at(built.ctx._xs.ex) if built.ctx._xs is not None else None  # noqa: SLF001
    return {"xs": xs, "gs": gs, "fs": fs, "iterates": iterates, "xstar": xstar, "X": X}


def float_replay(wc: Any, cls: Any, method: Any, steps: int | None = None) -> dict[str, Any]:
    """Run ``method`` in floats on the explicit interpolant of the worst case (single function
    classes); returns the replayed iterates, their values and the largest distance to the worst
    case's own iterates (over the steps both have)."""
    from .counterexample import _vec_at
    from .exact import Vec

    built = wc.solution.built
    if len(built.model.functions) != 1:
        raise ValueError("the float replay handles one function (not a finite sum)")
    data = worst_case_data(wc)
    f = interpolant(cls, data["xs"], data["gs"], data["fs"])
    F = _FFunction(f)
    X = data["X"]
    r = len(X[0])

    def at(v: Vec) -> FPoint:
        return FPoint([float(c) for c in _vec_at(v, X, r).v])

    adv = [at(Vec.leaf(k)) for k in built.ctx.adversarial]
    xs = at(built.ctx._xs.ex) if built.ctx._xs is not None else None  # noqa: SLF001
    ctx = _FContext(F, xs, adv)
    starts = [at(p.ex) for p in built.starts]
    n = steps if steps is not None else (len(built.run.iterates) - len(built.starts))
    run = method.run(ctx, F, starts, n, dict(built.params))
    its = np.array([p.v for p in run.iterates])
    own = data["iterates"]
    k = min(len(its), len(own))
    dev = float(np.abs(its[:k] - own[:k]).max()) if k else 0.0
    vals = np.array([f(x)[0] for x in its])
    fstar = f(xs.v)[0] if xs is not None else None
    return {"iterates": its, "values": vals, "fstar": fstar, "deviation": dev, "function": f}


def plot_worst_case(wc: Any, cls: Any, method: Any, path: Any = None, *, title: str = "", periods: int = 1) -> Any:
    """Figure: left, the worst-case function along the line through x* and x0 (or its first
    coordinate) with the iterates of a float replay; right, the measure along the iterates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    built = wc.solution.built
    steps = (len(built.run.iterates) - len(built.starts)) * periods
    rep = float_replay(wc, cls, method, steps)
    f, its = rep["function"], rep["iterates"]
    data = worst_case_data(wc)
    xstar = data["xstar"] if data["xstar"] is not None else its[0]
    d = its[0] - xstar
    if np.linalg.norm(d) < 1e-12:
        d = np.eye(len(d))[0]
    u = d / np.linalg.norm(d)
    span = max(np.abs((its - xstar) @ u).max(), 1e-3) * 1.3
    ts = np.linspace(-span, span, 161)
    vals = [f(xstar + t * u)[0] for t in ts]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(ts, vals, color="0.3", label="worst-case function (interpolant)")
    proj = (its - xstar) @ u
    a1.plot(proj, rep["values"], "o-", color="C3", ms=4, lw=0.8, label="iterates")
    for k, (p_, v_) in enumerate(zip(proj, rep["values"])):
        if k < 12:
            a1.annotate(str(k), (p_, v_), textcoords="offset points", xytext=(3, 3), fontsize=7)
    a1.set_xlabel("coordinate along x0 − x*")
    a1.set_ylabel("f")
    a1.legend(fontsize=8)
    if rep["fstar"] is not None:
        a2.semilogy(np.maximum(rep["values"] - rep["fstar"], 1e-300), "o-", color="C3", ms=4, label="f(x_k) − f*")
        dist = ((its - xstar) ** 2).sum(axis=1)
        a2.semilogy(np.maximum(dist, 1e-300), "s--", color="C0", ms=3, label="‖x_k − x*‖²")
    a2.set_xlabel("k")
    a2.legend(fontsize=8)
    a2.set_title(wc.verdict.status.value + (f": {title}" if title else ""), fontsize=9)
    fig.suptitle(wc.verdict.claimed[:120], fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return {"figure": fig, "replay": rep}
