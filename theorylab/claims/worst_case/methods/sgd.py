"""One step of SGD on a finite sum ``f = (1/n) Σ f_i`` with bounded variance at the optimum:
``x_1 = x_0 − γ ∇f_i(x_0)``, ``i`` uniform, ``(1/n) Σ ‖∇f_i(x*)‖² ≤ v²``.

The measure ``distance`` is the exact expectation ``E‖x_1 − x*‖² = (1/n) Σ_i ‖x_0 − γ∇f_i(x_0) − x*‖²``.
PEPit's example (Goujaud et al. 2024, ``wc_sgd``) states the bound
``(γR(L − μ)/2 + √(R²(L + μ)²/4 (γ − 2/(L + μ))² + v²γ²))²`` for ``‖x_0 − x*‖ ≤ R`` and each
``f_i`` L-smooth μ-strongly convex.
"""

from __future__ import annotations

from fractions import Fraction

from ._base import Method, Run


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    x0, xs = starts[-1], ctx.xs
    n = len(f.components)
    var = Fraction(1, n) * sum((c.gradient(xs) ** 2 for c in f.components[1:]), f.components[0].gradient(xs) ** 2)
    ctx.require(var - p["v"] ** 2, "variance at the optimum")
    nxt = [x0 - p["gamma"] * c.gradient(x0) for c in f.components]
    dist = Fraction(1, n) * sum(((x - xs) ** 2 for x in nxt[1:]), (nxt[0] - xs) ** 2)
    return Run([x0], measures={"distance": dist})


METHOD = Method(
    name="sgd",
    title="one step of SGD on a finite sum, variance v^2 at the optimum",
    paper="Goujaud et al. (2024), PEPit, Math. Program. Comput. (example wc_sgd); Gower et al. (2019)",
    params={"gamma": "step size (default 1/L)", "v": "gradient spread at the optimum (default 1)"},
    defaults=lambda p: {"gamma": 1 / p["L"], "v": Fraction(1)},
    run=run,
    one_step=True,
    components=True,
    classes=("smooth-convex", "smooth-strongly-convex"),
)
