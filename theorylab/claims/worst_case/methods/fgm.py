"""Nesterov's fast gradient method (the rational momentum (k − 1)/(k + 2)):
``x_{k+1} = y_k − ∇f(y_k)/L``, ``y_{k+1} = x_{k+1} + k/(k + 3) (x_{k+1} − x_k)``, ``y_0 = x_0``.

Nesterov (1983); this momentum schedule (Su, Boyd & Candès 2016) gives
``f(x_N) − f* ≤ 2LR²/(N + 1)²`` on L-smooth convex functions; the worst case is computed here.
The measures are taken at the ``x`` sequence.
"""

from __future__ import annotations

from fractions import Fraction

from ._base import Method, Run


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    x = y = starts[-1]
    xs = [x]
    for k in range(steps):
        xn = y - p["gamma"] * f.gradient(y)
        y = xn + Fraction(k, k + 3) * (xn - x)
        x = xn
        xs.append(x)
    return Run(xs)


METHOD = Method(
    name="fgm",
    title="Nesterov's fast gradient method, momentum k/(k+3)",
    paper="Nesterov (1983), Soviet Math. Dokl. 27; Su, Boyd & Candès (2016), JMLR 17",
    params={"gamma": "step size (default 1/L)"},
    defaults=lambda p: {"gamma": 1 / p["L"]},
    run=run,
    classes=("smooth-convex", "smooth-strongly-convex"),
)
