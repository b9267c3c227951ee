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
