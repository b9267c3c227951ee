"""Gradient descent with a relative-error (compressed) gradient:
``x_{k+1} = x_k − γ d_k``, ``‖d_k − ∇f(x_k)‖ ≤ ε ‖∇f(x_k)‖``.

A δ-contractive compressor (``‖C(g) − g‖² ≤ (1 − δ)‖g‖²``) is the case ``ε² = 1 − δ``; the
error ``d_k − ∇f(x_k)`` is chosen by the adversary. De Klerk, Glineur & Taylor (2020),
Theorem 5.3: with ``L_ε = (1 + ε)L``, ``μ_ε = (1 − ε)μ`` and ``γ = 2/(L_ε + μ_ε)``,
``f(x_N) − f* ≤ ((L_ε − μ_ε)/(L_ε + μ_ε))^{2N} (f(x_0) − f*)``.
"""

from __future__ import annotations

from ._base import Method, Run


def _defaults(p):  # type: ignore[no-untyped-def]
    eps = p.get("eps", 0)
    return {"gamma": 2 / ((1 + eps) * p["L"] + (1 - eps) * p.get("mu", 0))}


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    x = starts[-1]
    xs = [x]
    for k in range(steps):
        g = f.gradient(x)
        e = ctx.new_point(f"e{k}")
        ctx.require(e ** 2 - p["eps"] ** 2 * g ** 2, f"relative error {k}")
        x = x - p["gamma"] * (g + e)
        xs.append(x)
    return Run(xs)


METHOD = Method(
    name="inexact-gd",
    title="gradient descent with relative error eps (delta-contractive: eps^2 = 1 - delta)",
    paper="de Klerk, Glineur & Taylor (2020), SIAM J. Optim. 30, Theorem 5.3",
    params={"gamma": "step (default 2/(L(1+eps) + mu(1-eps)))", "eps": "relative error (required)"},
    defaults=_defaults,
    run=run,
)
