r"""DSGD (= PSGD), DCSGD and DSignSGD as algorithms of the registry, wrapping
:mod:`theorylab.simulate.optimizers` (its batched directions and its Rand-k fast path).

One step, server iterate ``x (R, d)``, per-agent work ``(R, N, d)``:

- ``dsgd`` / ``psgd`` (Mishchenko et al. 2019 write it DSGD; the lecture calls it parallel SGD,
  PSGD): ``x ← x − (η/N) Σ_i (∇f_i(x) + Z_i)``, ``Z_i`` the minibatch noise of batch ``B``;
- ``dcsgd`` (Compagnoni et al. 2025, "Unbiased compression ... SDE", Theorem 1's discrete method):
  ``x ← x − (η/N) Σ_i C_i(∇f_i(x) + Z_i)``;
- ``dsignsgd``: ``x ← x − (η/N) Σ_i sign(∇f_i(x) + Z_i)``.

:func:`theorylab.simulate.run_optimizer` runs these names through
:func:`theorylab.simulate.optimizers.run_optimizer` itself, so their trajectories for a fixed
seed are those of that module; the ``step`` below draws in the same order (one
``direction(x, rng)`` per step) and gives the same iterates when run by the generic loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._base import Context, register_algorithm

__all__ = ["ServerState", "Classic"]


@dataclass
class ServerState:
    """``x``: the server iterate of every replica, ``(R, d)``."""

    x: Any


class Classic:
    """One of the three methods of :mod:`theorylab.simulate.optimizers` (module docstring)."""

    options: dict[str, Any] = {}
    decentralised = False

    def __init__(self, name: str, base: str, compressor: str, summary: str, citation: str) -> None:
        self.name = name
        self.base = base
        self.compressor = compressor
        self.summary = summary
        self.citation = citation

    def init(self, ctx: Context) -> ServerState:
        from ..optimizers import _direction_fn, _kernel_step_fn

        fast = ctx.fast  # the optimizers' own checks refuse the shortcuts where they are not valid
        kernel = _kernel_step_fn(self.base, ctx.problem, ctx.noise, ctx.comps, ctx.replicas, ctx.xp, ctx.rng,
                                 float(ctx.eta), fast)
        if kernel is not None:  # the fused numba Rand-k step, as in optimizers.run_optimizer
            ctx.cache["kernel"], ctx.cache["path"] = kernel
        else:
            ctx.cache["kernel"] = None
            ctx.cache["direction"], ctx.cache["path"] = _direction_fn(self.base, ctx.problem, ctx.noise, ctx.comps,
                                                                      ctx.replicas, ctx.xp, bool(fast))
        return ServerState(ctx.x0.copy())

    def step(self, state: ServerState, ctx: Context) -> None:
        kernel = ctx.cache["kernel"]
        if kernel is not None:
            kernel(state.x)
        else:
            state.x -= ctx.eta * ctx.cache["direction"](state.x, ctx.rng)

    def iterate(self, state: ServerState) -> Any:
        return state.x


DSGD = register_algorithm(Classic("dsgd", "dsgd", "none", "server-based distributed SGD: x -= (eta/N) sum_i g_i",
                                  "Mishchenko et al. 2019; Compagnoni et al. 2025"))
PSGD = register_algorithm(Classic("psgd", "dsgd", "none", "parallel minibatch SGD (the same update as dsgd; batch "
                                  "B = --batch)", "lecture 'Parallel SGD'; Dekel et al. 2012"))
DCSGD = register_algorithm(Classic("dcsgd", "dcsgd", "required", "compressed DSGD: x -= (eta/N) sum_i C_i(g_i)",
                                   "Compagnoni et al. 2025, Theorem 1"))
DSIGNSGD = register_algorithm(Classic("dsignsgd", "dsignsgd", "none", "x -= (eta/N) sum_i sign(g_i)",
                                      "Bernstein et al. 2018; Compagnoni et al. 2025, Theorem 2"))
