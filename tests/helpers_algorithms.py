"""Planted bugs shared by the algorithm tests (a wrong algorithm each test must refute)."""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.simulate import custom_quadratic, logistic_regression, quadratic, sin_pl
from theorylab.simulate.algorithms.scaffold import Scaffold
from theorylab.simulate.problems import Problem


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


def problem_zoo(n: int, d: int, user: Any) -> dict[str, Problem]:
    """Every built-in problem kind at ``n`` agents, dimension ``d`` (quadratics plain, homogeneous and
    rotated, diagonal and dense custom quadratics, sin-PL, logistic), and ``user``: a user's problem
    class (a frozen ``Problem`` dataclass) built with tilts that sum to zero."""
    rng = np.random.default_rng(1)
    h = rng.uniform(0.5, 2.0, (n, d))
    dense = np.stack([np.diag(v) + 0.1 for v in h])
    tilts = rng.standard_normal((n, d))
    tilts -= tilts.mean(axis=0)
    return {
        "quadratic": quadratic(d, n, 0.5, 2.0, hetero=1.0, seed=2),
        "quadratic-homogeneous": quadratic(d, n, 0.5, 2.0),
        "quadratic-rotated": quadratic(d, n, 0.5, 2.0, hetero=1.0, rotate=True, seed=2),
        "custom-diagonal": custom_quadratic(h, rng.standard_normal((n, d))),
        "custom-dense": custom_quadratic(dense, rng.standard_normal((n, d))),
        "sinpl": sin_pl(d, n, hetero=0.5, seed=3),
        "logistic": logistic_regression(n, d=d, samples=8, seed=4),
        "user": user(d, n, 0.0, 1.0, 0.0, np.ones(d), tilts, "user"),
    }
