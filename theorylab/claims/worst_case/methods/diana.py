"""One step of DIANA and its potential (Mishchenko, Gorbunov, Takáč & Richtárik 2019):
on ``f = (1/n) Σ f_i`` each node ``i`` keeps a shift ``h_i`` and sends ``m_i = C_i(∇f_i(x_0) − h_i)``,
``ĝ = (1/n) Σ (h_i + m_i)``, ``x_1 = x_0 − γ ĝ``, ``h_i ← h_i + α m_i``, with independent unbiased
compressors of variance ω: ``E C(v) = v``, ``E‖C(v)‖² ≤ (1 + ω)‖v‖²``.

Potential ``Ψ = ‖x − x*‖² + M γ² σ²``, ``σ² = (1/n) Σ ‖h_i − ∇f_i(x*)‖²``. The compressor enters
one step only through its first two moments (Taylor & Bach 2019), so with ``d_i = ∇f_i(x_0) − h_i``

- ``E‖x_1 − x*‖² = ‖x_0 − x* − γ∇f(x_0)‖² + γ² (ω/n²) Σ ‖d_i‖²``,
- ``E‖h_i⁺ − ∇f_i(x*)‖² = ‖h_i − ∇f_i(x*) + α d_i‖² + α² ω ‖d_i‖²``,

exactly, for a compressor that saturates the variance (``C(v) = (1 ± √ω) v``, each sign with
probability 1/2); a smaller variance only lowers both. The worst case of ``E Ψ_1`` over the class
is therefore the method's. Gorbunov, Hanzely & Richtárik (2020, Theorem 4.1 with DIANA's
constants A = (1 + 2ω/n)L, B = 2ω/n, ρ = α, C = Lα), each ``f_i`` L-smooth convex and μ-strongly
convex, ``α ≤ 1/(1 + ω)``, ``M = 4ω/(nα)``, ``γ ≤ 1/((1 + 6ω/n)L)``:
``E Ψ_1 ≤ max(1 − γμ, 1 − α/2) Ψ_0``.
"""

from __future__ import annotations

from fractions import Fraction

from ._base import Method, Run


def _defaults(p):  # type: ignore[no-untyped-def]
    omega = p.get("omega", Fraction(1))
    n = p.get("agents", Fraction(1))
    alpha = p.get("alpha", 1 / (1 + omega))
    return {"omega": omega, "alpha": alpha, "gamma": 1 / ((1 + 6 * omega / n) * p["L"]),
            "M": 4 * omega / (n * alpha)}


def run(ctx, f, starts, steps, p):  # type: ignore[no-untyped-def]
    x0, xs = starts[-1], ctx.xs
    comps = getattr(f, "components", [f])
    n = len(comps)
    if p.get("agents", n) != n:
        from ....errors import InvalidParameterError

        raise InvalidParameterError(f"DIANA runs one agent per component: agents = {p['agents']} but {n} components")
    om = p["omega"]
    gam = p["gamma"] if "gamma" in p else 1 / ((1 + 6 * om / n) * p["L"])  # the theorem's step, also symbolic
    a = p["alpha"] if "alpha" in p else 1 / (1 + om)  # defaults also for a symbolic omega
    weight = p["M"] if "M" in p else 4 * om / (n * a)
    gstar = [c.gradient(xs) for c in comps]
    g0 = [c.gradient(x0) for c in comps]
    h = [ctx.new_point(f"h{i + 1}") for i in range(n)]
    d = [gi - hi for gi, hi in zip(g0, h)]
    gbar = g0[0]
    for gi in g0[1:]:
        gbar = gbar + gi
    gbar = Fraction(1, n) * gbar
    sq_d = d[0] ** 2
    for di in d[1:]:
        sq_d = sq_d + di ** 2
    dist1 = (x0 - xs - gam * gbar) ** 2 + gam ** 2 * om / n ** 2 * sq_d
    shift0 = (h[0] - gstar[0]) ** 2
    shift1 = (h[0] - gstar[0] + a * d[0]) ** 2
    for hi, gs, di in zip(h[1:], gstar[1:], d[1:]):
        shift0 = shift0 + (hi - gs) ** 2
        shift1 = shift1 + (hi - gs + a * di) ** 2
    shift1 = shift1 + a ** 2 * om * sq_d
    w = weight * gam ** 2 / n
    psi0 = (x0 - xs) ** 2 + w * shift0
    psi1 = dist1 + w * shift1
    return Run([x0], measures={"potential": psi1}, initial={"potential": psi0})


METHOD = Method(
    name="diana",
    title="one step of DIANA with unbiased compressors of variance omega, potential |x - x*|^2 + M gamma^2 sigma^2",
    paper="Mishchenko, Gorbunov, Takáč & Richtárik (2019), arXiv:1901.09269; Gorbunov, Hanzely & Richtárik (2020), "
          "AISTATS, Theorem 4.1",
    params={"gamma": "step (default 1/((1+6 omega/n) L))", "omega": "compressor variance (default 1)",
            "alpha": "shift step (default 1/(1+omega))", "M": "potential weight (default 4 omega/(n alpha))",
            "agents": "n (set from the number of components)"},
    defaults=_defaults,
    run=run,
    one_step=True,
    classes=("smooth-convex", "smooth-strongly-convex"),
)
