"""Polyak's heavy ball: ``x_{k+1} = x_k − α ∇f(x_k) + β (x_k − x_{k−1})``.

Polyak (1964) chose ``α = 4/(√L + √μ)²``, ``β = ((√κ − 1)/(√κ + 1))²`` (κ = L/μ), optimal on
quadratics. Lessard, Recht & Packard (2016, Section 4.6) showed that with these parameters
heavy ball cycles on an L-smooth μ-strongly convex piecewise quadratic (κ = 25): it does not
converge on the whole class although it converges on every quadratic. ``memory = 1``: the
method starts from ``(x_{−1}, x_0)``.
"""

from __future__ import annotations

from ._base import Method, Run, exact_sqrt


def _polyak(p):  # type: ignore[no-untyped-def]
    if not p.get("mu"):
        return {}
    sL, smu = exact_sqrt(p["L"], "Polyak's step"), exact_sqrt(p["mu"], "Polyak's step")
    return {"alpha": 4 / (sL + smu) ** 2, "beta": ((sL - smu) / (sL + smu)) ** 2}


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    xp, x = starts[0], starts[1]
    xs = [xp, x]
    for _ in range(steps):
        x, xp = x - p["alpha"] * f.gradient(x) + p["beta"] * (x - xp), x
        xs.append(x)
    return Run(xs)


METHOD = Method(
    name="heavy-ball",
    title="Polyak's heavy ball (default: Polyak's quadratic-optimal alpha, beta)",
    paper="Polyak (1964); Lessard, Recht & Packard (2016), SIAM J. Optim. 26, Section 4.6",
    params={"alpha": "step (default 4/(sqrt L + sqrt mu)^2)", "beta": "momentum (default ((sqrt k - 1)/(sqrt k + 1))^2)"},
    defaults=_polyak,
    memory=1,
    run=run,
)
