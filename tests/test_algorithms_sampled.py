"""Federated rounds computed on the sampled clients only (FedAvg, SCAFFOLD, FedAvg-M).

A round with S of N clients gathers the sampled clients' rows into ``(R, S, d)`` work arrays.
What is checked:

- ``Problem.sampled_grads_into`` equals the dense ``local_grads`` gathered, for every built-in
  problem and a user's problem (the scatter fallback);
- the compiled noise pass on gathered rows draws the numbers the numpy path draws, and the numbers
  the ``rows`` mask on the full batch draws (same order);
- without a compressor the gathered round gives *bit for bit* the iterates of the dense round
  (all N clients computed, the sampled ones weighted in), written here as a reference algorithm;
  a planted bug (the gathered rows' agents out of order) is seen;
- with a stochastic compressor the gathered round compresses only the S sampled updates, so the
  random stream changes: the law of one round is checked equal to the dense round's by two-sample
  tests on the mean and variance of every coordinate (Bonferroni, false alarm < 1e-6), and a
  planted bug (each gathered row compressed with the compressor of the wrong agent) is refuted.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from theorylab import _numba
from theorylab.simulate import gaussian, quadratic, run_algorithm
from theorylab.simulate.algorithms import Context, get_algorithm
from theorylab.simulate.algorithms.fedavg import FedAvg
from theorylab.simulate.algorithms.fedavg_m import FedAvgM
from theorylab.simulate.algorithms.scaffold import Scaffold
from theorylab.simulate.problems import Problem
from helpers_algorithms import problem_zoo

R, N, D, S = 7, 5, 6, 2


@dataclasses.dataclass(frozen=True, eq=False)
class _UserProblem(Problem):
    """A user's problem with its own per-agent gradients (so the scatter fallback is used)."""

    def f(self, x):  # type: ignore[no-untyped-def]
        return 0.25 * (x**4).sum(axis=-1)

    def grad(self, x):  # type: ignore[no-untyped-def]
        return x**3

    def local_grads(self, y):  # type: ignore[no-untyped-def]
        return y**3 + np.arange(1.0, self.n_agents + 1)[:, None] * y


def _problems() -> dict[str, Problem]:
    return problem_zoo(N, D, _UserProblem)


def _agents(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(np.stack([rng.permutation(N)[:S] for _ in range(R)]), axis=1)


@pytest.mark.parametrize("name", list(_problems()))
def test_sampled_grads_equal_the_dense_rows(name: str) -> None:
    p = _problems()[name]
    agents = _agents()
    y = np.random.default_rng(3).standard_normal((R, N, D))
    reps = np.arange(R)[:, None]
    ys = y[reps, agents]
    out = np.full((R, S, D), np.nan)
    assert p.sampled_grads_into(ys, agents, out) is out
    np.testing.assert_allclose(out, p.local_grads(y)[reps, agents], rtol=1e-13, atol=1e-13)
    if name in ("quadratic", "custom-diagonal", "sinpl"):  # the same arithmetic: bit for bit
        np.testing.assert_array_equal(out, p.local_grads(y)[reps, agents])


@pytest.mark.skipif(not _numba.available(), reason="numba is not installed (the fast extra)")
@pytest.mark.parametrize("sigma", [1.5, [0.5, 1.0, 2.0, 0.0, 3.0]], ids=["homogeneous", "per-agent"])
def test_gathered_noise_is_the_masked_noise_on_both_paths(sigma) -> None:
    """``local_grads(ys, agents=a)`` = the sampled rows of ``local_grads(y, rows=mask(a))``, bit for
    bit, numba on and off, and the generator ends in the same state."""
    p = _problems()["quadratic"]
    agents = _agents(1)
    y = np.random.default_rng(0).standard_normal((R, N, D))
    reps = np.arange(R)[:, None]
    mask = np.zeros((R, N), dtype=bool)
    mask[reps, agents] = True
    got = {}
    for flag in (True, False):
        _numba.use_numba(flag)
        try:
            ctx = Context(p, gaussian(sigma), 0.1, R, np.random.default_rng(5), np, None, {}, None)
            a = ctx.local_grads(y[reps, agents], out=np.empty((R, S, D)), agents=agents)
            ctx2 = Context(p, gaussian(sigma), 0.1, R, np.random.default_rng(5), np, None, {}, None)
            b = ctx2.local_grads(y, out=np.empty((R, N, D)), rows=mask)[reps, agents]
            got[flag] = (a, b, ctx.rng.random(), ctx2.rng.random())
        finally:
            _numba.use_numba(None)
    for flag in (True, False):
        a, b, ra, rb = got[flag]
        np.testing.assert_array_equal(a, b)
        assert ra == rb
    np.testing.assert_array_equal(got[True][0], got[False][0])


# ----------------------------------------------------------------------------- the dense reference round
def _dense_fedavg_step(s, ctx, beta=None):  # type: ignore[no-untyped-def]
    """The dense round: every client's K local steps on (R, N, d), noise only on the sampled rows,
    every client's update compressed, the sampled ones weighted in (FedAvg; FedAvg-M with beta)."""
    k, lr, n_s = ctx.cache["fed"]
    shape = (ctx.replicas, ctx.n, ctx.d)
    w = ctx.sample_clients(n_s)
    rows = (w > 0) if n_s < ctx.n else None
    x = s.x[:, None, :]
    y = np.broadcast_to(x, shape).copy()
    g = np.empty(shape)
    mom = None if beta is None else (ctx.eta * (1.0 - beta)) * s.g[:, None, :]
    for _ in range(k):
        ctx.local_grads(y, out=g, rows=rows)
        if beta is None:
            g *= ctx.eta
        else:
            g *= ctx.eta * beta
            g += mom
        y -= g
    y -= x
    delta = ctx.compress(y, out=np.empty(shape))
    avg = np.einsum("rn,rnd->rd", w, delta)
    if beta is None:
        s.x += lr * avg
    else:
        s.g = avg * (-1.0 / (ctx.eta * k))
        s.x -= (lr * ctx.eta * k) * s.g


class DenseFedAvg(FedAvg):
    name = "fedavg-dense-reference"

    def step(self, s, ctx):  # type: ignore[no-untyped-def]
        _dense_fedavg_step(s, ctx)


class DenseFedAvgM(FedAvgM):
    name = "fedavg-m-dense-reference"

    def step(self, s, ctx):  # type: ignore[no-untyped-def]
        _dense_fedavg_step(s, ctx, ctx.cache["beta"])


class DenseScaffold(Scaffold):
    name = "scaffold-dense-reference"

    def step(self, s, ctx):  # type: ignore[no-untyped-def]
        k, lr, n_s = ctx.cache["fed"]
        shape = (ctx.replicas, ctx.n, ctx.d)
        w = ctx.sample_clients(n_s)
        rows = (w > 0) if n_s < ctx.n else None
        x, c = s.x[:, None, :], s.c[:, None, :]
        corr = c - s.ci
        y = np.broadcast_to(x, shape).copy()
        g = np.empty(shape)
        for _ in range(k):
            ctx.local_grads(y, out=g, rows=rows)
            g += corr
            g *= ctx.eta
            y -= g
        y -= x
        dc = y * (-1.0 / (k * ctx.eta))
        dc -= c
        np.copyto(dc, 0.0, where=(w == 0)[:, :, None])
        s.ci += dc
        dy = ctx.compress(y, out=np.empty(shape))
        s.x += lr * np.einsum("rn,rnd->rd", w, dy)
        s.c += dc.sum(axis=1) / ctx.n


class FedAvgAgentsReversed(FedAvg):
    """Planted bug: the gathered rows are labelled with the sampled agents in reverse order."""

    name = "fedavg-agents-reversed-planted"

    def step(self, s, ctx):  # type: ignore[no-untyped-def]
        orig = ctx.sampled_agents

        def reversed_agents(w, n_s):  # type: ignore[no-untyped-def]
            a = orig(w, n_s)
            return None if a is None else np.ascontiguousarray(a[:, ::-1])

        ctx.sampled_agents = reversed_agents
        try:
            super().step(s, ctx)
        finally:
            ctx.sampled_agents = orig


def _final_state(alg, p, noise, **kw):  # type: ignore[no-untyped-def]
    r = run_algorithm(alg, p, noise, eta=0.05, steps=kw.pop("steps", 12), replicas=kw.pop("replicas", 40), seed=7,
                      points=2, **kw)
    return r.extra["state"]


CASES = [(FedAvg, DenseFedAvg, {"local_steps": 3, "participation": S, "server_lr": 0.8}),
         (FedAvg, DenseFedAvg, {"local_steps": 2}),
         (Scaffold, DenseScaffold, {"local_steps": 3, "participation": 3, "server_lr": 0.7}),
         (Scaffold, DenseScaffold, {"local_steps": 2, "participation": 1}),
         (FedAvgM, DenseFedAvgM, {"local_steps": 2, "participation": S, "momentum": 0.5})]


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("new,dense,opts", CASES, ids=[f"{c[0].name}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("pname", ["quadratic", "custom-diagonal", "logistic"])
def test_gathered_round_is_the_dense_round_bit_for_bit(new, dense, opts, pname: str, numba: bool) -> None:
    if numba and not _numba.available():
        pytest.skip("numba is not installed (the fast extra)")
    p = _problems()[pname]
    noise = gaussian([0.5, 1.0, 1.5, 2.0, 0.7])
    _numba.use_numba(numba)
    try:
        a = _final_state(new(), p, noise, **opts)
        b = _final_state(dense(), p, noise, **opts)
    finally:
        _numba.use_numba(None)
    for field in vars(a):
        if isinstance(getattr(a, field), np.ndarray):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_planted_agent_order_breaks_the_bit_identity() -> None:
    p = _problems()["quadratic"]
    noise = gaussian([0.5, 1.0, 1.5, 2.0, 0.7])
    opts = {"local_steps": 2, "participation": S}
    ref = _final_state(DenseFedAvg(), p, noise, **opts).x
    assert np.array_equal(_final_state(FedAvg(), p, noise, **opts).x, ref)
    assert not np.allclose(_final_state(FedAvgAgentsReversed(), p, noise, **opts).x, ref, rtol=1e-3, atol=1e-3)


# ----------------------------------------------------------------------------- the law with a compressor
class FedAvgWrongCompressor(FedAvg):
    """Planted bug: gathered row (r, s) is compressed with agent s's compressor (its position among
    the sampled), not with the compressor of the agent it belongs to."""

    name = "fedavg-wrong-compressor-planted"

    def step(self, s, ctx):  # type: ignore[no-untyped-def]
        orig = ctx.compress

        def by_position(v, out=None, agents=None):  # type: ignore[no-untyped-def]
            if agents is None:
                return orig(v, out=out)
            return orig(v, out=out, agents=np.broadcast_to(np.arange(agents.shape[1]), agents.shape))

        ctx.compress = by_position
        try:
            super().step(s, ctx)
        finally:
            ctx.compress = orig


def _one_round(alg, seed: int, reps: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    p = quadratic(D, N, 0.5, 2.0, hetero=1.0, seed=2)
    comps = ["randk:k=1"] * 2 + ["randk:k=5"] * 3  # agents 0, 1 compress hard, the others barely
    r = run_algorithm(alg, p, gaussian(0.5), eta=0.2, steps=1, replicas=reps, seed=seed, points=2, local_steps=2,
                      participation=S, compressor=comps)
    return r.extra["state"].x


def _same_law(a: np.ndarray, b: np.ndarray, z: float) -> tuple[bool, float]:
    """Two-sample z-tests of equal mean and equal variance on every coordinate (the variance test
    uses the fourth central moment); all |z| <= z_max. Returns (all pass, largest |z|)."""
    n = a.shape[0]
    mu, mv = a.mean(axis=0), b.mean(axis=0)
    vu, vv = a.var(axis=0), b.var(axis=0)
    m4u, m4v = ((a - mu) ** 4).mean(axis=0), ((b - mv) ** 4).mean(axis=0)
    zs = [(mu - mv) / np.sqrt((vu + vv) / n), (vu - vv) / np.sqrt((m4u - vu**2 + m4v - vv**2) / n)]
    zmax = float(np.max(np.abs(np.concatenate(zs))))
    return zmax <= z, zmax


@pytest.mark.parametrize("planted", [False, True])
def test_compressed_gathered_round_has_the_dense_round_law(planted: bool) -> None:
    """One FedAvg round, S = 2 of 5 clients, per-agent Rand-k (k = 1 for two agents, 5 for three),
    σ = 0.5, 20000 replicas each side (independent seeds). 2·d = 12 z-statistics; with the bound
    z ≤ 5.5 each has a two-sided false-alarm probability 3.8e-8, so the test's is below 5e-7
    (Bonferroni). Measured: largest |z| about 2 for the gathered round; the planted bug multiplies
    the coordinates' variances by 1.6 to 5.6, a largest |z| near 48."""
    reps = 20000
    new = _one_round(FedAvgWrongCompressor() if planted else FedAvg(), 1, reps)
    ref = _one_round(DenseFedAvg(), 2, reps)
    ok, zmax = _same_law(new, ref, 5.5)
    assert ok != planted, f"{'planted bug not seen: ' if planted else ''}largest |z| = {zmax:.2f} (bound 5.5)"


def test_gathered_round_with_student_t_noise_is_the_dense_round() -> None:
    """Non-Gaussian noise takes the numpy draw on gathered rows: still the dense round's numbers."""
    from theorylab.simulate import student_t

    p = _problems()["sinpl"]
    noise = student_t(3.0, [0.5, 1.0, 1.5, 2.0, 0.7])
    for new, dense, opts in CASES[:3]:
        a = _final_state(new(), p, noise, **opts)
        b = _final_state(dense(), p, noise, **opts)
        np.testing.assert_array_equal(a.x, b.x)
