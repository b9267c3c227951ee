"""One step of EF21 and its potential (Richtárik, Sokolov & Fatkhullin 2021):
``x_1 = x_0 − γ h_0``, ``h_1 = h_0 + C(∇f(x_1) − h_0)`` with a δ-contractive compressor
``‖C(v) − v‖² ≤ (1 − δ)‖v‖²`` (deterministic worst case: the error is adversarial).

Potential ``Ψ = f(x) − f* + (γ/θ) ‖h − ∇f(x)‖²``, ``θ = 1 − √(1 − δ)``. Their Theorem 2 (single
node, μ-PL, ``β = (1 − δ)/θ``, ``γ ≤ min(1/(L(1 + √(β/θ))), θ/(2μ))``) gives
``Ψ_1 ≤ (1 − γμ) Ψ_0``. ``√(1 − δ)`` must be rational (e.g. δ = 3/4).
"""

from __future__ import annotations

from fractions import Fraction

from ._base import Method, Run, exact_sqrt


def _defaults(p):  # type: ignore[no-untyped-def]
    delta = p.get("delta", Fraction(3, 4))
    theta = 1 - exact_sqrt(1 - delta, "EF21's theta")
    beta = (1 - delta) / theta
    out = {"delta": delta}
    gamma = 1 / (p["L"] * (1 + exact_sqrt(beta / theta, "EF21's step")))
    if p.get("mu"):
        gamma = min(gamma, theta / (2 * p["mu"]))
    out["gamma"] = gamma
    return out


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    x0 = starts[-1]
    theta = 1 - exact_sqrt(1 - p["delta"], "EF21's theta")
    h0 = ctx.new_point("h0")
    g0, f0 = f.oracle(x0)
    x1 = x0 - p["gamma"] * h0
    g1, f1 = f.oracle(x1)
    e = ctx.new_point("e")
    ctx.require(e ** 2 - (1 - p["delta"]) * (g1 - h0) ** 2, "contractive compressor")
    h1 = g1 + e
    w = p["gamma"] / theta
    psi0 = f0 - ctx.fs + w * (h0 - g0) ** 2
    psi1 = f1 - ctx.fs + w * (h1 - g1) ** 2
    return Run([x0, x1], measures={"potential": psi1}, initial={"potential": psi0})


METHOD = Method(
    name="ef21",
    title="one step of EF21 with a delta-contractive compressor, potential f - f* + (gamma/theta)|h - grad f|^2",
    paper="Richtárik, Sokolov & Fatkhullin (2021), NeurIPS, Theorem 2",
    params={"gamma": "step (default min(1/(L(1+sqrt(beta/theta))), theta/(2 mu)))", "delta": "contraction (default 3/4)"},
    defaults=_defaults,
    run=run,
    one_step=True,
)
