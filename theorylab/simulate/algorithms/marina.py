r"""MARINA (Gorbunov, Burlachenko, Li, Richtárik 2021).

State: server ``x (R, d)``, per-agent estimates ``g_i (R, N, d)``, ``g = mean g_i``;
``g_i⁰ = ∇f_i(x⁰) + Z_i``. One step with step size ``γ = eta`` and probability ``p``
(option ``p``, default ``1/(1 + ω)``)::

    x⁺ = x − γ g
    c  ~ Bernoulli(p), one coin per replica shared by all agents
    g_i ← ∇f_i(x⁺) + Z_i                          if c = 1  (full synchronisation)
    g_i ← g_i + C_i(∇f_i(x⁺) − ∇f_i(x))           if c = 0
    g   = mean g_i ;  x ← x⁺

The difference is taken on one sample (VR-MARINA's convention): with additive gradient noise
the two noises cancel, so the compressed differences are noise-free. The compressed difference is
computed for every replica (the compressor is applied to the whole ``(R, N, d)`` batch each step)
and the noisy full gradients only for the replicas whose coin came up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import InvalidParameterError
from ._base import Context, compressor_omega, positive_number, register_algorithm

__all__ = ["MARINAState", "MARINA"]


@dataclass
class MARINAState:
    x: Any   # (R, d)
    gi: Any  # (R, N, d)
    g: Any   # (R, d)


@register_algorithm
class MARINA:
    name = "marina"
    summary = "MARINA: x -= eta g; with prob. p g_i = grad_i(x), else g_i += C(grad_i(x+) - grad_i(x))"
    citation = "Gorbunov, Burlachenko, Li, Richtárik 2021"
    options: dict[str, Any] = {"p": None}
    compressor = "required"
    decentralised = False

    def init(self, ctx: Context) -> MARINAState:
        p = ctx.options.get("p")
        if p is None:
            om = compressor_omega(ctx)
            if om is None:
                raise InvalidParameterError("marina needs --p: its compressor declares no omega (default 1/(1+omega))")
            p = 1.0 / (1.0 + om)
        ctx.cache["p"] = positive_number("MARINA's p", p, upper=1.0)
        x = ctx.x0.copy()
        gi = ctx.grads(x)
        return MARINAState(x, gi, gi.mean(axis=1))

    def step(self, s: MARINAState, ctx: Context) -> None:
        x_new = s.x - ctx.eta * s.g
        coin = ctx.rng.random(ctx.replicas) < ctx.cache["p"]
        # the compressor sees the whole batch every step (its contract); the noisy full gradients
        # are drawn only for the replicas whose coin asks for them
        s.gi += ctx.compress(ctx.problem.agent_grads(x_new) - ctx.problem.agent_grads(s.x))
        full = coin.nonzero()[0]
        if full.shape[0]:
            s.gi[full] = ctx.grads(x_new[full])
        s.g = s.gi.mean(axis=1)
        s.x = x_new

    def iterate(self, s: MARINAState) -> Any:
        return s.x
