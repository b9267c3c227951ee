"""One step of DCSGD: ``x_1 = x_0 − γ (1/N) Σ_i C_i(∇f(x_0))`` with independent unbiased
compressors of variance ω: ``E C(g) = g``, ``E‖C(g) − g‖² ≤ ω‖g‖²``.

The compressor enters only through its first two moments, so the one-step expectations are
exact in the Gram formulation (Taylor & Bach 2019, stochastic PEPs):

- ``distance``: ``E‖x_1 − x*‖² ≤ ‖x_0 − x*‖² − 2γ<∇f(x_0), x_0 − x*> + γ²(1 + ω/N)‖∇f(x_0)‖²``,
  with equality for a compressor that saturates the variance (``C(g) = (1 ± √ω) g``, each sign
  with probability 1/2), so the worst case of this measure is the method's;
- ``value``: ``E f(x_1) − f* ≤ f(x_0) − f* − γ‖∇f(x_0)‖² + Lγ²(1 + ω/N)‖∇f(x_0)‖²/2``, the
  descent lemma taken in expectation (valid for every L-smooth f, an upper bound only).

This is the discrete analogue of Theorem 3 of Compagnoni et al. (2025) without gradient noise
(σ = 0): under μ-PL the ``value`` bound gives the contraction ``1 − 2μγ + μLγ²(1 + ω/N)``.
"""

from __future__ import annotations

from fractions import Fraction

from ._base import Method, Run


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    x0, xs = starts[-1], ctx.xs
    g, f0 = f.oracle(x0)
    second = (1 + p["omega"] / p["agents"]) * g ** 2
    dist = (x0 - xs) ** 2 - 2 * p["gamma"] * (g * (x0 - xs)) + p["gamma"] ** 2 * second
    val = f0 - ctx.fs - p["gamma"] * g ** 2 + p["L"] * p["gamma"] ** 2 / 2 * second
    return Run([x0], measures={"distance": dist, "value": val})


METHOD = Method(
    name="dcsgd",
    title="one step of DCSGD with unbiased compressors of variance omega on N agents",
    paper="Compagnoni et al. (2025), Theorem 3 (discrete analogue); Taylor & Bach (2019), COLT",
    params={"gamma": "step (default 1/(L(1+omega/N)))", "omega": "compressor variance (default 1)",
            "agents": "N, independent compressors (default 1)"},
    defaults=lambda p: {"omega": Fraction(1), "agents": Fraction(1),
                        "gamma": 1 / (p["L"] * (1 + p.get("omega", Fraction(1)) / p.get("agents", Fraction(1))))},
    run=run,
    one_step=True,
    upper_bound_measures=("value",),
)
