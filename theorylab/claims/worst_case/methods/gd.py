"""Gradient descent with a fixed step: ``x_{k+1} = x_k − γ ∇f(x_k)``.

Tight worst cases: Drori & Teboulle (2014), Theorem 3.1 (``f(x_N) − f* ≤ LR²/(4N + 2)`` for
γ = 1/L on L-smooth convex functions, reached by a Huber function); Taylor, Hendrickx &
Glineur (2017) for the strongly convex and nonconvex cases.
"""

from __future__ import annotations

from ._base import Method, Run


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    x = starts[-1]
    xs = [x]
    for _ in range(steps):
        x = x - p["gamma"] * f.gradient(x)
        xs.append(x)
    return Run(xs)


METHOD = Method(
    name="gd",
    title="gradient descent, fixed step gamma",
    paper="Drori & Teboulle (2014), Math. Program. 145, Theorem 3.1; Taylor, Hendrickx & Glineur (2017)",
    params={"gamma": "step size (default 1/L)"},
    defaults=lambda p: {"gamma": 1 / p["L"]},
    run=run,
)
