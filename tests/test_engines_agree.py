"""The two engines agree: Monte Carlo (``theorylab.simulate.run_optimizer``) and exact moments
(``theorylab.simulate.exact.exact_run``) were written independently from the update rules; on a
heterogeneous quadratic with Gaussian noise the exact ``E f(x_k) − f*`` must lie inside the Monte
Carlo interval at every checked step.

Statistics: 4000 replicas, three record steps per method, a two-sided t-interval at
family-wise level 1e-4 per method (Bonferroni over the three steps): a correct pair of engines
fails a method's test with probability ≤ 1e-4 (the seeds are fixed). The interval half-width is
reported on failure; it is about 1–2% of the level here, the smallest disagreement each test can
see.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from theorylab.simulate import problems, run_optimizer
from theorylab.simulate.exact import exact_run
from theorylab.simulate.noise import gaussian

D, N, R, STEPS, ETA = 4, 4, 4000, 40, 0.05
FAMILY = 1e-4

CASES = [
    ("dsgd", None, {}),
    ("psgd", None, {}),
    ("dcsgd", "randk:k=2", {}),
    ("dcsgd", "bernoulli:p=0.5", {}),
    ("diana", "randk:k=2", {"alpha": 0.25}),
    ("ef21", "randk:k=2", {}),
    ("ef14", "randk:k=2", {}),
    ("gossip-sgd", None, {"topology": "ring"}),
    ("fedavg", None, {"local_steps": 3}),
    ("fedavg", None, {"local_steps": 2, "participation": 2}),
    ("scaffold", None, {"local_steps": 3}),
    # options at values where they change the result (S < N, K > 1, server step ≠ 1, ATC with noise)
    ("fedavg", None, {"local_steps": 3, "participation": 2, "server_lr": 0.5}),
    ("scaffold", None, {"local_steps": 3, "server_lr": 1.5}),
    ("gossip-sgd", None, {"topology": "ring", "gossip": "atc"}),
    ("gossip-sgd", None, {"topology": "complete", "gossip": "cta"}),
    ("diana", "randk:k=2", {"alpha": 0.05}),
]

_EXACT_NAMES = {"gossip-sgd": ("gossip", {"gossip": "order"})}


def _problem() -> problems.Quadratic:
    return problems.quadratic(D, N, mu=0.5, L=2.0, hetero=1.0, x0=1.0, seed=3)


@pytest.mark.parametrize("method,comp,opts", CASES, ids=[f"{m}-{c}-{o}" for m, c, o in CASES])
def test_monte_carlo_interval_contains_the_exact_value(method: str, comp: str | None, opts: dict) -> None:
    prob, noise = _problem(), gaussian(0.5)
    mc = run_optimizer(method, prob, noise, eta=ETA, steps=STEPS, replicas=R, compressor=comp, seed=7,
                       points=STEPS + 1, **opts)
    name, renames = _EXACT_NAMES.get(method, (method, {}))
    ex = exact_run(name, prob, noise, eta=ETA, steps=STEPS, compressor=comp, points=STEPS + 1,
                   **{renames.get(k, k): v for k, v in opts.items()})
    traj = mc.trajectory
    exact_at = dict(zip(np.asarray(ex.steps).tolist(), np.asarray(ex.gaps, dtype=float).tolist()))
    checked = [s for s in (2, STEPS // 4, STEPS) if s in exact_at and s in set(traj.steps.tolist())]
    assert len(checked) == 3, f"record grids differ: MC {traj.steps[:5]}..., exact {list(exact_at)[:5]}..."
    q = stats.t.ppf(1 - FAMILY / (2 * len(checked)), R - 1)
    for s in checked:
        i = int(np.flatnonzero(traj.steps == s)[0])
        v = traj.values[i, traj.alive]
        m, half = float(v.mean()), float(q * v.std(ddof=1) / math.sqrt(v.size))
        assert abs(m - exact_at[s]) <= half, (
            f"{method} {comp} {opts} at step {s}: Monte Carlo {m:.6g} ± {half:.3g} vs exact {exact_at[s]:.6g}")


def test_per_agent_hessians_never_take_the_rand_k_shortcut() -> None:
    """With per-agent Hessians (∇f_i is not ∇f + b_i) the Rand-k fast paths would simulate another
    problem; ``optimizers.run_optimizer`` called directly must take the dense path, whose exact
    level the exact engine gives."""
    from theorylab.simulate import custom_quadratic, optimizers

    prob = custom_quadratic(np.array([[1.0, 2.0, 0.5], [2.0, 0.5, 1.5]]), np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.0]]),
                            x0=np.ones(3))
    run = optimizers.run_optimizer("dcsgd", prob, gaussian(0.5), eta=0.05, steps=5, replicas=10,
                                   compressor="randk:k=1", seed=0)
    assert "fast" not in run.path and "fused" not in run.path, run.path
