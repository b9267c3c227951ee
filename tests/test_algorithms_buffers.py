"""The allocation-free step of the batched algorithms: the same numbers, the same law.

- ``Context.local_grads(y, out=...)`` / ``grads(x, out=...)`` and the problems'
  ``*_grads_into`` give exactly what the allocating calls give, for every built-in problem and
  for a user's problem that only defines ``f`` and ``grad``.
- The compiled noise pass (numba, ``theorylab._numba.add_normal``) draws the very numbers the
  numpy path draws: results are bit-identical with numba on and off, with and without ``rows``.
- Noise restricted to the rows a step uses (the sampled clients of FedAvg/SCAFFOLD/FedAvg-M, the
  replicas whose MARINA coin came up) still reaches those rows with variance ``σ²``: checked on
  the state after one step, and a planted bug that puts the noise on the other rows is refuted.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from theorylab import _numba
from theorylab.simulate import gaussian, quadratic, run_algorithm
from theorylab.simulate.algorithms import Context, get_algorithm
from theorylab.simulate.algorithms.marina import MARINA
from theorylab.simulate.algorithms.scaffold import Scaffold
from theorylab.simulate.problems import Problem
from helpers_algorithms import problem_zoo

R, N, D = 5, 4, 6


@dataclasses.dataclass(frozen=True, eq=False)
class _UserProblem(Problem):
    """A user's problem: only ``f`` and ``grad`` (the base class supplies the rest)."""

    def f(self, x):  # type: ignore[no-untyped-def]
        return 0.25 * (x**4).sum(axis=-1)

    def grad(self, x):  # type: ignore[no-untyped-def]
        return x**3


def _problems() -> dict[str, Problem]:
    return problem_zoo(N, D, _UserProblem)


@pytest.mark.parametrize("name", list(_problems()))
def test_grads_into_equal_the_allocating_calls(name: str) -> None:
    p = _problems()[name]
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((R, D)), rng.standard_normal((R, N, D))
    out = np.full((R, N, D), np.nan)
    assert p.local_grads_into(y, out) is out
    np.testing.assert_array_equal(out, p.local_grads(y))
    out[...] = np.nan
    assert p.agent_grads_into(x, out) is out
    np.testing.assert_array_equal(out, np.broadcast_to(p.agent_grads(x), (R, N, D)))


def _ctx(p: Problem, sigma, seed: int = 3) -> Context:
    return Context(p, gaussian(sigma), 0.1, R, np.random.default_rng(seed), np, None, {}, None)


@pytest.mark.skipif(not _numba.available(), reason="numba is not installed (the fast extra)")
@pytest.mark.parametrize("sigma", [1.5, [0.5, 1.0, 2.0, 0.0]], ids=["homogeneous", "per-agent"])
@pytest.mark.parametrize("with_rows", [False, True])
def test_compiled_noise_is_bit_identical_to_numpy(sigma, with_rows: bool) -> None:
    p = _problems()["quadratic"]
    y = np.random.default_rng(0).standard_normal((R, N, D))
    rows = np.random.default_rng(1).random((R, N)) < 0.5 if with_rows else None
    got = {}
    for flag in (True, False):
        _numba.use_numba(flag)
        try:
            ctx = _ctx(p, sigma)
            a = ctx.local_grads(y, rows=rows)                            # fresh
            b = ctx.local_grads(y, out=np.empty((R, N, D)), rows=rows)   # into a buffer
            c = ctx.grads(y[:, 0, :], out=np.empty((R, N, D)))
            got[flag] = (a, b, c, ctx.rng.random())                      # and the generator's state
        finally:
            _numba.use_numba(None)
    for u, v in zip(got[True], got[False], strict=True):
        np.testing.assert_array_equal(u, v)
    if with_rows:  # rows without noise are the exact gradient
        np.testing.assert_array_equal(got[True][0][~rows], p.local_grads(y)[~rows])
        assert not np.array_equal(got[True][0][rows], p.local_grads(y)[rows])


def test_noise_free_context_copies() -> None:
    p = _problems()["quadratic"]
    ctx = _ctx(p, 0.0)
    y = np.random.default_rng(0).standard_normal((R, N, D))
    np.testing.assert_array_equal(ctx.local_grads(y), p.local_grads(y))
    assert ctx.local_grads(y) is not ctx.local_grads(y)


# ----------------------------------------------------------------------------- noise on the used rows
SIGMA, REPS = 0.7, 4000


def _one_step_state(alg, p: Problem, **opts):
    """The state after one step (one round) of ``alg``, 4000 replicas."""
    held = {}

    class Keep:
        name, summary, citation = alg.name, alg.summary, alg.citation
        options, compressor, decentralised = alg.options, alg.compressor, alg.decentralised

        def init(self, ctx):  # type: ignore[no-untyped-def]
            held["s"] = alg.init(ctx)
            return held["s"]

        def step(self, s, ctx):  # type: ignore[no-untyped-def]
            alg.step(s, ctx)

        def iterate(self, s):  # type: ignore[no-untyped-def]
            return alg.iterate(s)

    run_algorithm(Keep(), p, gaussian(SIGMA), eta=0.1, steps=1, replicas=REPS, seed=11, points=2, **opts)
    return held["s"]


def _variance_ratio(v: np.ndarray) -> tuple[float, float]:
    """Sample variance / σ², and 5 standard deviations of that ratio for Gaussian data (false alarm
    < 1e-6 per test; detects a 5-sd error, about 5·√(2/n): 1.5–3% here)."""
    return float(np.var(v) / SIGMA**2), 5.0 * float(np.sqrt(2.0 / v.size))


class ScaffoldNoiseOnIdleClients(Scaffold):
    """Planted bug: the sampled clients' local steps get no noise (it went to the clients that were
    *not* sampled, whose rows are not computed any more)."""

    name = "scaffold-noise-idle-planted"

    def step(self, s, ctx):  # type: ignore[no-untyped-def]
        orig = ctx.local_grads

        def grads(y, out=None, rows=None, agents=None):  # type: ignore[no-untyped-def]
            if agents is None:
                return orig(y, out=out, rows=None if rows is None else ~rows)
            return ctx.problem.sampled_grads_into(y, agents, out)

        ctx.local_grads = grads
        try:
            super().step(s, ctx)
        finally:
            ctx.local_grads = orig


@pytest.mark.parametrize("planted", [False, True])
def test_scaffold_sampled_clients_get_the_noise(planted: bool) -> None:
    """One SCAFFOLD round from c = c_i = 0 with K = 1: a sampled client's new control is
    c_i⁺ = (x − y_i)/η = ∇f_i(x⁰) + Z_i, so c_i⁺ − ∇f_i(x⁰) has variance σ²; an idle client keeps 0."""
    p = quadratic(D, N, 0.5, 2.0, hetero=1.0, seed=2)
    alg = ScaffoldNoiseOnIdleClients() if planted else Scaffold()
    s = _one_step_state(alg, p, local_steps=1, participation=2)
    used = np.any(s.ci != 0, axis=-1)
    assert np.all(used.sum(axis=1) == 2)
    resid = (s.ci - p.agent_grads(p.x0)[None])[used]
    ratio, tol = _variance_ratio(resid)
    if planted:
        assert abs(ratio - 1) > tol, f"planted bug not seen: variance ratio {ratio:.4f}"
    else:
        assert abs(ratio - 1) <= tol, f"variance ratio {ratio:.4f}, expected 1 ± {tol:.3f}"


class MarinaNoiseOnLazyReplicas(MARINA):
    """Planted bug: the noisy full gradients are drawn for the replicas whose coin did *not* come up."""

    name = "marina-noise-lazy-planted"

    def step(self, s, ctx):  # type: ignore[no-untyped-def]
        x_new = s.x - ctx.eta * s.g
        coin = ctx.rng.random(ctx.replicas) < ctx.cache["p"]
        s.gi += ctx.compress(ctx.problem.agent_grads(x_new) - ctx.problem.agent_grads(s.x))
        exact = ctx.problem.agent_grads(x_new)
        s.gi[coin] = exact[coin]
        lazy = (~coin).nonzero()[0]
        s.gi[lazy] = ctx.grads(x_new[lazy])
        s.g = s.gi.mean(axis=1)
        s.x = x_new


@pytest.mark.parametrize("planted", [False, True])
def test_marina_full_synchronisations_get_the_noise(planted: bool) -> None:
    """One MARINA step with p = 1/2 and the identity compressor (Rand-k with k = d): on a replica
    whose coin came up g_i = ∇f_i(x¹) + Z_i, so g_i − ∇f_i(x¹) has variance σ²; on the others it is
    g_i⁰ + ∇f_i(x¹) − ∇f_i(x⁰), whose noise is the initial draw Z_i⁰ (variance σ² too). The coin is
    recovered from the state: a synchronised replica's g_i − ∇f_i(x¹) is independent of the initial
    noise, so the correlation with g_i⁰ − ∇f_i(x⁰) tells them apart."""
    p = quadratic(D, N, 0.5, 2.0, hetero=1.0, seed=2)
    alg = MarinaNoiseOnLazyReplicas() if planted else MARINA()
    held = {}

    class Keep(type(alg)):  # type: ignore[misc]
        def init(self, ctx):  # type: ignore[no-untyped-def]
            s = super().init(ctx)
            held["g0"] = s.gi.copy()
            held["s"] = s
            return s

    run_algorithm(Keep(), p, gaussian(SIGMA), eta=0.1, steps=1, replicas=REPS, seed=11, points=2,
                  compressor=f"randk:k={D}", p=0.5)
    s = held["s"]
    x1 = s.x
    z0 = held["g0"] - p.agent_grads(p.x0)[None]
    resid = s.gi - p.agent_grads(x1)
    lazy = np.all(np.isclose(resid, z0, rtol=0, atol=1e-12), axis=(1, 2))
    ratio, tol = _variance_ratio(resid[~lazy])
    # about half the coins come up (binomial(4000, 1/2): 0.4..0.6 is over 12 sd wide)
    holds = 0.4 < lazy.mean() < 0.6 and abs(ratio - 1) <= tol
    assert holds != planted, (f"{'planted bug not seen: ' if planted else ''}lazy fraction {lazy.mean():.3f}, "
                              f"variance ratio {ratio:.4f} (1 ± {tol:.3f})")


@pytest.mark.skipif(not _numba.available(), reason="numba is not installed (the fast extra)")
@pytest.mark.parametrize("method,opts", [("fedavg", {"local_steps": 2, "participation": 2}),
                                         ("scaffold", {"local_steps": 2, "participation": 3}),
                                         ("fedavg-m", {"local_steps": 2, "participation": 2, "momentum": 0.5}),
                                         ("gossip-sgd", {"gossip": "atc"}), ("gossip-sgd", {}),
                                         ("psgd", {})])
def test_runs_are_identical_with_and_without_numba(method: str, opts: dict) -> None:
    """Without a compressor the only randomness is the noise (and client sampling): the compiled
    pass draws the same numbers, so the whole trajectory is bit-identical on both paths."""
    p = quadratic(D, N, 0.5, 2.0, hetero=1.0, seed=2)
    values = []
    for flag in (True, False):
        _numba.use_numba(flag)
        try:
            r = run_algorithm(get_algorithm(method), p, gaussian([0.5, 1.0, 1.5, 2.0]), eta=0.05, steps=30,
                              replicas=50, seed=4, points=31, **opts)
        finally:
            _numba.use_numba(None)
        values.append(r.trajectory.values)
    np.testing.assert_array_equal(values[0], values[1])


@pytest.mark.skipif(not _numba.available(), reason="numba is not installed (the fast extra)")
@pytest.mark.parametrize("spec", ["randk:k=2", "randk_unscaled:k=3"])
def test_compiled_rand_k_message_equals_the_support_path(spec: str) -> None:
    """The compiled Rand-k pass draws Floyd's subsets in the order ``sample_support`` draws them, so
    ``Context.compress`` gives exactly ``scale · v`` on the supports that ``sample_support`` returns
    for the same generator state (and a planted wrong scale is seen)."""
    from theorylab.compressors import from_spec as compressor_from_spec

    c = compressor_from_spec(spec)
    p = _problems()["quadratic"]
    v = np.random.default_rng(0).standard_normal((R, N, D))
    ctx = Context(p, gaussian(0.0), 0.1, R, np.random.default_rng(9), np, [c] * N, {}, None)
    got = ctx.compress(v, out=np.full((R, N, D), np.nan))
    idx = c.sample_support((R, N), D, np.random.default_rng(9))
    want = np.zeros((R, N, D))
    np.put_along_axis(want, idx, np.take_along_axis(v, idx, axis=-1) * float(c.scale(D)), axis=-1)
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(got, want * 1.5)
    with pytest.raises(Exception, match="k"):
        Context(p, gaussian(0.0), 0.1, R, np.random.default_rng(9), np, [compressor_from_spec("randk:k=9")] * N,
                {}, None).compress(v)


@pytest.mark.parametrize("method", ["dcsgd", "ef21", "diana"])
def test_a_rand_k_subclass_with_its_own_support_keeps_its_law(method: str) -> None:
    """A compressor that redefines ``sample_support`` (here: always the first k coordinates) must be
    simulated with that support, never with the compiled kernels' Floyd subsets: coordinates k..d−1
    then never move (they would under any uniform-subset path)."""
    from theorylab.compressors import RandK

    class FirstK(RandK):
        def sample_support(self, batch_shape, d, rng):  # type: ignore[no-untyped-def]
            return np.broadcast_to(np.arange(self.k), (*batch_shape, self.k)).copy()

    p = quadratic(D, N, 0.5, 2.0, hetero=1.0, seed=2)
    held = {}
    if method == "dcsgd":
        from theorylab.simulate import run_optimizer

        # the optimizers' run does not keep its iterate: check which path ran (the compiled kernel
        # draws Floyd's subsets itself, so it must not be chosen for this compressor)
        r = run_optimizer("dcsgd", p, gaussian(0.5), eta=0.05, steps=20, replicas=7, compressor=FirstK(2), seed=1)
        assert "kernel" not in r.path and "fast path" in r.path, r.path
        return
    alg = get_algorithm(method)

    class Keep(type(alg)):  # type: ignore[misc]
        def iterate(self, s):  # type: ignore[no-untyped-def]
            held["x"] = s.x
            return s.x

    run_algorithm(Keep(), p, gaussian(0.5), eta=0.05, steps=20, replicas=7, compressor=FirstK(2), seed=1,
                  **({"alpha": 0.3} if method == "diana" else {}))
    x = held["x"]
    assert x is not None
    np.testing.assert_array_equal(x[:, 2:], np.broadcast_to(p.x0[2:], (7, D - 2)))
    assert np.all(x[:, :2] != p.x0[:2])


def test_a_subclass_that_redefines_the_gradient_loses_the_quadratic_shortcuts() -> None:
    """``Quadratic``'s declarations (``diagonal_quadratic``, the allocation-free ``*_grads_into``)
    describe its own ``f``/``grad``: a subclass that redefines them must not inherit the shortcut
    (the compiled kernels would otherwise simulate the parent's gradient)."""
    from theorylab.simulate.problems import Quadratic

    base = quadratic(D, N, 0.5, 2.0, hetero=1.0, seed=2)

    @dataclasses.dataclass(frozen=True, eq=False)
    class Doubled(Quadratic):
        def grad(self, x):  # type: ignore[no-untyped-def]
            return 2.0 * super().grad(x)

        def f(self, x):  # type: ignore[no-untyped-def]
            return 2.0 * super().f(x)

    p = Doubled(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init})
    assert base.diagonal_quadratic() is not None and p.diagonal_quadratic() is None
    y = np.random.default_rng(0).standard_normal((R, N, D))
    out = np.empty((R, N, D))
    np.testing.assert_array_equal(p.local_grads_into(y, out), p.local_grads(y))
    np.testing.assert_array_equal(p.agent_grads_into(y[:, 0], out), p.agent_grads(y[:, 0]))
    assert not np.array_equal(p.local_grads(y), base.local_grads(y))
