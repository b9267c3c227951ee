"""Planted bugs shared by the algorithm tests (a wrong algorithm each test must refute)."""

from __future__ import annotations

import numpy as np

from theorylab.simulate.algorithms.scaffold import Scaffold


class ScaffoldAddsCi(Scaffold):
    """Planted bug: the server adds the clients' new c_i (not Δc_i) to c."""

    name = "scaffold-planted"

    def step(self, s, ctx):  # type: ignore[no-untyped-def]
        k, lr, n_s = ctx.cache["fed"]
        x = s.x[:, None, :]
        y = np.broadcast_to(x, (ctx.replicas, ctx.n, ctx.d)).copy()
        corr = s.c[:, None, :] - s.ci
        for _ in range(k):
            y -= ctx.eta * (ctx.local_grads(y) + corr)
        ci_new = s.ci - s.c[:, None, :] + (x - y) / (k * ctx.eta)
        s.x += lr * (y - x).mean(axis=1)
        s.c += ci_new.sum(axis=1) / ctx.n
        s.ci = ci_new
