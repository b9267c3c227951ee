"""The optimized gradient method (OGM) of Kim & Fessler (2016):
``y_{k+1} = x_k − ∇f(x_k)/L``,
``x_{k+1} = y_{k+1} + (θ_k − 1)/θ_{k+1} (y_{k+1} − y_k) + θ_k/θ_{k+1} (y_{k+1} − x_k)``,
``θ_0 = 1``, ``θ_{k+1} = (1 + √(1 + 4θ_k²))/2`` (last step ``(1 + √(1 + 8θ_k²))/2``).

The θ_k are irrational; the exact analysis needs rational coefficients, so each θ_k is
rounded to the nearest fraction with denominator ≤ 10⁶ (the certificate is then for that
method, whose worst case differs from OGM's ``LR²/(2θ_N²)`` by ~1e−6 relative).
"""

from __future__ import annotations

import math
from fractions import Fraction

from ._base import Method, Run


def thetas(n: int) -> list[Fraction]:
    th = [1.0]
    for k in range(n):
        c = 8 if k == n - 1 else 4
        th.append((1 + math.sqrt(1 + c * th[-1] ** 2)) / 2)
    return [Fraction(t).limit_denominator(10**6) for t in th]


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    th = thetas(steps)
    x = y = starts[-1]
    xs = [x]
    for k in range(steps):
        yn = x - p["gamma"] * f.gradient(x)
        x = yn + (th[k] - 1) / th[k + 1] * (yn - y) + th[k] / th[k + 1] * (yn - x)
        y = yn
        xs.append(x)
    return Run(xs)


METHOD = Method(
    name="ogm",
    title="optimized gradient method (theta rounded to 1e-6)",
    paper="Kim & Fessler (2016), Math. Program. 159; Drori & Teboulle (2014)",
    params={"gamma": "step size (default 1/L)"},
    defaults=lambda p: {"gamma": 1 / p["L"]},
    run=run,
    classes=("smooth-convex",),
)
