"""Shared option parsing of the federated methods (FedAvg, SCAFFOLD, FedAvg-M)."""

from __future__ import annotations

from typing import Any

from ...errors import InvalidParameterError, positive_int
from ._base import Context, positive_number


def federated_options(ctx: Context) -> tuple[int, float, int]:
    """``(K, η_g, S)`` from ``ctx.options``: K local steps (default 1), server step size (default 1),
    S participating clients (default N, all)."""
    k = positive_int("local_steps K", ctx.options.get("local_steps", 1))
    lr = positive_number("server_lr", ctx.options.get("server_lr", 1.0))
    s_raw: Any = ctx.options.get("participation")
    s = ctx.n if s_raw is None else positive_int("participation S", s_raw)
    if s > ctx.n:
        raise InvalidParameterError(f"participation S = {s} exceeds the number of agents N = {ctx.n}; expected 1 <= S <= N")
    return k, lr, s


def sampled_weights(ctx: Context, w: Any, agents: Any) -> Any:
    """The averaging weights of the working rows: ``w (R, N)`` itself at S = N (``agents`` None),
    else ``1/S`` on each of the ``(R, S)`` gathered rows (the non-zero entries of ``w``, in order)."""
    if agents is None:
        return w
    ws = ctx.cache.get("sampled-weights")
    if ws is None or ws.shape != agents.shape:
        ws = ctx.cache["sampled-weights"] = ctx.xp.full(agents.shape, 1.0 / agents.shape[1])
    return ws


def gather_rows(ctx: Context, a: Any, agents: Any, out: Any) -> Any:
    """``a[r, agents[r, s]]`` for an ``(R, N, d)`` array: the ``(R, S, d)`` rows of the sampled
    clients, written into ``out``."""
    xp = ctx.xp
    reps = ctx.cache.get("replica-index")
    if reps is None or reps.shape[0] != agents.shape[0]:
        reps = ctx.cache["replica-index"] = xp.arange(agents.shape[0])[:, None]
    out[...] = a[reps, agents]
    return out


def scatter_add_rows(ctx: Context, a: Any, agents: Any, v: Any) -> None:
    """``a[r, agents[r, s]] += v[r, s]`` (no agent twice in a replica, so a plain fancy-index add)."""
    reps = ctx.cache["replica-index"] if "replica-index" in ctx.cache else ctx.xp.arange(agents.shape[0])[:, None]
    a[reps, agents] += v
