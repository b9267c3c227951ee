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


# ----------------------------------------------------------------------------- custom quadratic, logistic
def test_custom_quadratic_constants_and_gradients() -> None:
    from theorylab.simulate import custom_quadratic

    rng = np.random.default_rng(0)
    n, d = 3, 4
    q = np.linalg.qr(rng.standard_normal((n, d, d)))[0]
    h = np.einsum("nij,nj,nkj->nik", q, rng.uniform(0.2, 3.0, (n, d)), q)
    c = rng.standard_normal((n, d))
    p = custom_quadratic(h, c, x0=0.5)
    hbar = h.mean(axis=0)
    xs = np.linalg.solve(hbar, np.einsum("nij,nj->ni", h, c).mean(axis=0))
    f_direct = lambda x: np.mean([0.5 * (x - c[i]) @ h[i] @ (x - c[i]) for i in range(n)])  # noqa: E731
    assert p.mu == pytest.approx(np.linalg.eigvalsh(hbar).min()) and p.L == pytest.approx(np.linalg.eigvalsh(hbar).max())
    np.testing.assert_allclose(p.x_star, xs, atol=1e-12)
    assert p.f_star == pytest.approx(f_direct(xs), abs=1e-12)
    x = rng.standard_normal((5, d))
    np.testing.assert_allclose(p.f(x), [f_direct(v) for v in x], atol=1e-12)
    np.testing.assert_allclose(p.grad(x), _fd_grad(p.f, x), atol=1e-6)
    np.testing.assert_allclose(p.agent_grads(x).mean(axis=-2), p.grad(x), atol=1e-12)
    y = rng.standard_normal((5, n, d))
    np.testing.assert_allclose(p.local_grads(y)[:, 1], p.agent_grads(y[:, 1])[:, 1], atol=1e-12)
    assert p.heterogeneous and not p.affine_tilts
    # diagonal form = the same matrices
    hd = rng.uniform(0.2, 3.0, (n, d))
    pd, pm = custom_quadratic(hd, c), custom_quadratic(np.stack([np.diag(v) for v in hd]), c)
    np.testing.assert_allclose(pd.agent_grads(x), pm.agent_grads(x), atol=1e-12)
    assert pd.f_star == pytest.approx(pm.f_star)


@pytest.mark.parametrize("h,c,match", [
    (np.array([[[1.0, 1.0], [0.0, 1.0]]]), np.zeros((1, 2)), "agent 0's Hessian is not symmetric"),
    (np.array([[[1.0, 0.0], [0.0, -1.0]]]), np.zeros((1, 2)), "eigenvalue -1 < 0"),
    (np.array([[1.0, -2.0]]), np.zeros((1, 2)), "diagonal entry 1 is -2 < 0"),
    (np.ones((2, 3)), np.zeros((2, 2)), r"hessians must have shape \(N, d\) = \(2, 2\)"),
    (np.array([[1.0, 0.0], [1.0, 0.0]]), np.zeros((2, 2)), "mean Hessian is singular"),
    (np.ones((2, 2)), np.zeros(2), r"optima must have shape \(N, d\)"),
])
def test_custom_quadratic_rejects_bad_input(h, c, match) -> None:
    from theorylab.simulate import custom_quadratic

    with pytest.raises(InvalidParameterError, match=match):
        custom_quadratic(h, c)


def test_logistic_gradients_fstar_and_libsvm(tmp_path) -> None:
    from theorylab.simulate import logistic_regression, read_libsvm

    p = logistic_regression(3, samples=60, d=4, lam=0.1, seed=1)
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_allclose(p.grad(x), _fd_grad(p.f, x), atol=1e-6)
    y = np.random.default_rng(1).standard_normal((5, 3, 4))
    np.testing.assert_allclose(p.local_grads(y)[:, 2], p.agent_grads(y[:, 2])[:, 2], atol=1e-12)
    assert np.linalg.norm(p.grad(np.zeros(4) + 0)) > 0
    # f* is a minimum: the gradient vanishes there and random points are higher
    from scipy.optimize import minimize

    xs = minimize(lambda v: float(p.f(v)), np.zeros(4), jac=p.grad, method="BFGS", options={"gtol": 1e-10}).x
    assert p.f_star == pytest.approx(float(p.f(xs)), abs=1e-9)
    assert p.mu == pytest.approx(0.1) and p.L > p.mu
    pn = logistic_regression(2, samples=40, d=3, lam=0.0, nonconvex=0.5, seed=2)
    xn = np.random.default_rng(3).standard_normal((4, 3)) * 2
    np.testing.assert_allclose(pn.grad(xn), _fd_grad(pn.f, xn), atol=1e-6)
    assert pn.mu == 0.0 and "local minimum" in pn.f_star_note
    # LIBSVM: write a small file, read it back, build the same problem
    a = np.array([[0.5, 0.0, -1.0], [0.0, 2.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 3.0]])
    labels = np.array([1, 0, 0, 1])
    lines = ["# comment"] + [f"{lab} " + " ".join(f"{j + 1}:{v:g}" for j, v in enumerate(row) if v)
                             for lab, row in zip(labels, a, strict=True)]
    f = tmp_path / "tiny.svm"
    f.write_text("\n".join(lines) + "\n")
    ra, ry = read_libsvm(str(f))
    np.testing.assert_array_equal(ra, a)
    np.testing.assert_array_equal(ry, [1, -1, -1, 1])
    q = logistic_regression(2, libsvm=str(f), lam=0.1)
    r = logistic_regression(2, features=a, labels=np.array([1.0, -1, -1, 1]), lam=0.1)
    assert float(q.f(np.ones(3))) == pytest.approx(float(r.f(np.ones(3))))
    bad = tmp_path / "bad.svm"
    bad.write_text("1 1:0.5 2-3\n")
    with pytest.raises(InvalidParameterError, match="bad.svm:1: expected 'label index:value"):
        read_libsvm(str(bad))


def test_diagonal_quadratic_coefficients_match_grad_and_gap() -> None:
    """``(h, b, c)`` of :meth:`diagonal_quadratic` reproduce ``grad`` exactly (the same operations)
    and ``gap`` up to rounding; problems that are not diagonal quadratics answer None."""
    from theorylab.simulate import custom_quadratic

    rng = np.random.default_rng(5)
    hd = rng.uniform(0.2, 3.0, 9)
    yes = [problem_from_spec("quadratic:mu=0.1,L=4,hetero=2", 9, 3), problem_from_spec("quadratic:mu=1,L=1", 9, 1),
           custom_quadratic(np.tile(hd, (3, 1)), rng.standard_normal((3, 9))),
           custom_quadratic(rng.uniform(0.2, 3.0, (3, 9)), rng.standard_normal((3, 9)))]
    no = [problem_from_spec("quadratic:mu=0.1,L=4,rotate=1", 9, 3), problem_from_spec("sinpl", 9, 3),
          custom_quadratic(np.stack([np.eye(9)] * 3), rng.standard_normal((3, 9))),
          problem_from_spec("logistic:samples=20", 9, 3)]
    x = rng.standard_normal((11, 9)) * 2
    for p in yes:
        h, b, c = p.diagonal_quadratic()
        assert h.shape == b.shape == c.shape == (p.d,)
        np.testing.assert_array_equal(h * x - b, p.grad(x))
        np.testing.assert_allclose(0.5 * np.sum(h * (x - c) ** 2, axis=-1), p.gap(x), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h * c, b, rtol=1e-12, atol=1e-12)
    for p in no:
        assert p.diagonal_quadratic() is None
