"""Problems: gradients, per-agent gradients, f*, and the declared mu (PL) and L checked numerically."""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.errors import InvalidParameterError, SpecError
from theorylab.simulate import problem_from_spec, quadratic, sin_pl, sin_pl_mu

PROBLEM_SPECS = ["quadratic:mu=0.5,L=3", "quadratic:mu=0.5,L=3,hetero=2,rotate=1,seed=3", "sinpl",
                 "sinpl:hetero=1,seed=2"]


def _fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for j in range(x.shape[-1]):
        e = np.zeros(x.shape[-1])
        e[j] = h
        g[..., j] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("spec", PROBLEM_SPECS)
def test_gradient_matches_finite_differences(spec: str) -> None:
    p = problem_from_spec(spec, 6, 3)
    x = np.random.default_rng(0).standard_normal((5, 6)) * 2
    np.testing.assert_allclose(p.grad(x), _fd_grad(p.f, x), rtol=1e-6, atol=1e-6)
    # f = mean f_i: the agents' gradients average to grad f
    np.testing.assert_allclose(p.agent_grads(x).mean(axis=-2), p.grad(x), atol=1e-12)
    idx = np.random.default_rng(1).integers(0, 6, size=(5, 3, 2))
    np.testing.assert_allclose(p.agent_grads_at(x, idx), np.take_along_axis(p.agent_grads(x), idx, -1))
    # a subset of agents (the per-agent-group fast path): agents 2 and 0, in that order
    sub = idx[:, :2]
    np.testing.assert_allclose(p.agent_grads_at(x, sub, [2, 0]),
                               np.take_along_axis(p.agent_grads(x)[:, [2, 0], :], sub, -1))


def test_heterogeneous_quadratic_agents_have_their_own_optima() -> None:
    p = quadratic(5, 4, 1.0, 2.0, hetero=1.5, seed=1)
    opt = p.agent_optima
    assert opt.shape == (4, 5)
    np.testing.assert_allclose(opt.mean(axis=0), 0, atol=1e-12)  # f = mean f_i has x* = 0
    assert np.sqrt(np.mean(np.sum(opt**2, axis=1))) == pytest.approx(1.5)
    g = p.agent_grads(opt)  # agent i's gradient vanishes at its own optimum
    for i in range(4):
        np.testing.assert_allclose(g[i, i], 0, atol=1e-12)


@pytest.mark.parametrize("spec", PROBLEM_SPECS)
def test_pl_and_smoothness_constants_hold_on_random_points(spec: str) -> None:
    """||grad f||^2 >= 2 mu (f - f*) and ||grad f(x) - grad f(y)|| <= L ||x - y|| on 20000 random pairs."""
    p = problem_from_spec(spec, 4, 2)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((20000, 4)) * rng.choice([0.1, 1, 3, 10], size=(20000, 1))
    y = x + rng.standard_normal((20000, 4)) * 0.3
    g2 = np.sum(p.grad(x) ** 2, axis=1)
    assert np.all(g2 >= 2 * p.mu * p.gap(x) * (1 - 1e-10))
    lip = np.linalg.norm(p.grad(x) - p.grad(y), axis=1) / np.linalg.norm(x - y, axis=1)
    assert np.all(lip <= p.L * (1 + 1e-10))
    assert np.all(p.gap(x) >= 0) and p.gap(np.zeros(4)) == pytest.approx(0)


def test_constants_are_tight() -> None:
    """The declared mu and L are attained (so they are not just valid but the true constants)."""
    p = sin_pl(1)
    t = np.array([[2.20170918]])  # argmin of h'^2/(2h)
    ratio = np.sum(p.grad(t) ** 2) / (2 * p.gap(t)[0])
    assert ratio == pytest.approx(p.mu, rel=1e-8)
    assert 0.1755 < sin_pl_mu() < 0.1756
    h = 1e-4  # h'' = 2 + 6 cos 2t is 8 at t = 0: L = 8 attained
    assert (p.grad(np.array([[h]]))[0, 0] - p.grad(np.array([[-h]]))[0, 0]) / (2 * h) == pytest.approx(8, rel=1e-6)
    q = quadratic(5, 1, 0.5, 3.0, rotate=True, seed=2)
    assert np.linalg.eigvalsh(q.matrix).min() == pytest.approx(0.5)
    assert np.linalg.eigvalsh(q.matrix).max() == pytest.approx(3.0)


@pytest.mark.parametrize("spec, err", [("quadratic:mu=2,L=1", InvalidParameterError),
                                       ("quadratic:mu=1,foo=2", SpecError), ("cube", SpecError),
                                       ("quadratic:mu", SpecError), ("quadratic:mu=x", SpecError)])
def test_bad_problem_specs(spec: str, err: type) -> None:
    with pytest.raises(err):
        problem_from_spec(spec, 3, 2)


def test_bad_dimensions() -> None:
    with pytest.raises(InvalidParameterError, match="agents"):
        quadratic(3, 2.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="dimension"):
        quadratic(0, 1)
