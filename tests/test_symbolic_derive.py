"""derive_sde: the named SDEs are derived and equal the hand-written forms (kept here only, as references);
the consequences (stationary level, PL bound, scaling rules) reproduce the papers' results; planted errors fail."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from theorylab.errors import InvalidParameterError
from theorylab.symbolic import derive as dv
from theorylab.symbolic import rules
from theorylab.symbolic import sde as sde_mod
from theorylab.symbolic.bounds import get_bound
from theorylab.symbolic.consequences import (LAM, leading_level, pl_bound, scaling_rules, sde_invariance,
                                             stationary_level, stationary_level_numeric)
from theorylab.symbolic.derive import NotDerivable, derive_sde
from theorylab.symbolic.sde import get_sde
from theorylab.symbolic.symbols import (B, N, agent_symbols, alpha, beta, d, delta, eta, gj, gnorm, kappa, nu,
                                        omega, sigma)
from theorylab.symbolic.update import (Update, bernoulli, gaussian_noise, grad, mean_over_agents, natural, qsgd,
                                       randk, sign, student_t_noise, unbiased)
from theorylab.symbolic.xi import Xi


def _zero(e: sp.Expr) -> bool:
    e = sp.expand(e)
    return e == 0 or sp.cancel(e) == 0 or sp.simplify(e) == 0


def _differs(e: sp.Expr) -> bool:
    """Non-zero at one rational point of its symbols (a cheap, exact witness that ``e`` is not identically 0)."""
    pt = {s_: sp.Rational(3 + i, 7 + 2 * i) for i, s_ in enumerate(sorted(e.free_symbols, key=str))}
    return sp.nsimplify(e.subs(pt)).evalf(30) != 0


# ----------------------------------------------------------------------------- hand-written references
# The forms theorylab used to type in (Compagnoni et al. 2025, Theorems 1-2), kept as test references only.


def _ref_dcsgd(n: int | None, exact: bool) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    oms = (omega,) if n is None else agent_symbols("omega", n)
    sgs = (sigma,) if n is None else agent_symbols("sigma", n)
    nn = N if n is None else sp.Integer(n)
    v = [s_**2 / B for s_ in sgs]
    if exact:  # Rand-k: D = omega d/(d-1) g^2 + (1+omega) sigma^2/B, c = -omega/(d-1)
        Ds = [o * d / (d - 1) * gj**2 + (1 + o) * vv for o, vv in zip(oms, v)]
        cs = [-o / (d - 1) for o in oms]
    else:  # leading order: omega g^2 + (1+omega) sigma^2/B
        Ds = [o * gj**2 + (1 + o) * vv for o, vv in zip(oms, v)]
        cs = [sp.S.Zero for _ in oms]
    return -gj, eta / nn * sp.Add(*Ds) / len(Ds), eta / nn * sp.Add(*cs) / len(cs)


def _ref_dsignsgd(nu_: sp.Expr, n: int | None) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    sgs = (sigma,) if n is None else agent_symbols("sigma", n)
    nn = N if n is None else sp.Integer(n)
    xis = [Xi(nu_, sp.sqrt(B) * gj / s_) for s_ in sgs]
    return -2 * sp.Add(*xis) / len(xis), eta / nn * (1 - 4 * sp.Add(*[x**2 for x in xis]) / len(xis)), sp.S.Zero


def _references() -> dict[tuple[str, int | None], tuple[sp.Expr, sp.Expr, sp.Expr]]:
    F = sp.Function("F")
    e_sign = 1 - 2 * F(-gj)
    out = {
        ("dsgd", None): (-gj, eta * sigma**2 / (B * N), sp.S.Zero),
        ("dcsgd", None): _ref_dcsgd(None, True),
        ("dcsgd-diag", None): _ref_dcsgd(None, False),
        ("dsignsgd", None): _ref_dsignsgd(nu, None),
        ("dsignsgd-gauss", None): _ref_dsignsgd(sp.oo, None),
        ("dsignsgd-general", None): (-e_sign, eta / N * (1 - e_sign**2), sp.S.Zero),
        ("sgd", None): (-gj, eta * sigma**2 / B, sp.S.Zero),
        ("signsgd", None): tuple(e.subs(N, 1) for e in _ref_dsignsgd(sp.oo, None)),
    }
    for n in (1, 3):
        out[("dcsgd", n)] = _ref_dcsgd(n, True)
        out[("dcsgd-diag", n)] = _ref_dcsgd(n, False)
        out[("dsignsgd", n)] = _ref_dsignsgd(nu, n)
        sg = agent_symbols("sigma", n)
        out[("dsgd", n)] = (-gj, eta / n * sp.Add(*[s_**2 / B for s_ in sg]) / n, sp.S.Zero)
    return out


@pytest.mark.parametrize("key", list(_references()), ids=lambda k: f"{k[0]}-{k[1]}")
def test_named_sdes_are_derived_and_equal_the_hand_written_forms(key: tuple[str, int | None]) -> None:
    name, agents = key
    ref = _references()[key]
    s = get_sde(name, agents=agents)
    assert all(_zero(a - b) for a, b in zip((s.drift, s.cov_diag, s.cov_outer), ref)), name


def _clear_caches() -> None:
    for f in (sde_mod.dcsgd_sde, sde_mod.dsgd_sde, sde_mod.dsignsgd_sde, sde_mod.sgd_sde, sde_mod.signsgd_sde,
              sde_mod.dsignsgd_general_sde):
        f.cache_clear()


def test_every_named_sde_goes_through_derive_sde(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("derive_sde called")

    monkeypatch.setattr(dv, "derive_sde", boom)
    _clear_caches()
    try:
        for name in sde_mod.SDE_NAMES:
            with pytest.raises(RuntimeError, match="derive_sde called"):
                get_sde(name)
    finally:
        monkeypatch.undo()
        _clear_caches()


def test_planted_wrong_second_moment_rule_breaks_the_equality(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rand-k's pair moment E[1_i 1_j] planted as k^2/d^2 (as if coordinates were independent): the derived
    DCSGD SDE no longer equals the reference (its rank-one coefficient vanishes)."""
    k = sp.Symbol("k", positive=True, integer=True)
    monkeypatch.setattr(sde_mod, "randk_indicator_moments", lambda: (k / d, k**2 / d**2))
    _clear_caches()
    try:
        s = get_sde("dcsgd")
        ref = _ref_dcsgd(None, True)
        assert _differs(s.cov_outer - ref[2])
    finally:
        monkeypatch.undo()
        _clear_caches()
    assert _zero(get_sde("dcsgd").cov_outer - _ref_dcsgd(None, True)[2])


def test_planted_missing_one_over_n_breaks_the_equality(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dv, "N", sp.Integer(1))  # the mean over N agents forgets to divide the covariance by N
    _clear_caches()
    try:
        s = get_sde("dsgd")
        assert _differs(s.cov_diag - eta * sigma**2 / (B * N))
    finally:
        monkeypatch.undo()
        _clear_caches()


# ----------------------------------------------------------------------------- the moment rules


def test_new_methods_derive_in_coordinate_form() -> None:
    # signSGD on one machine, Student-t noise
    s = derive_sde(Update("signsgd-t", sign(grad() + student_t_noise())))
    assert _zero(s.drift + 2 * Xi(nu, sp.sqrt(B) * gj / sigma))
    assert _zero(s.cov_diag - eta * (1 - 4 * Xi(nu, sp.sqrt(B) * gj / sigma) ** 2))
    # QSGD (s = 1) on the exact gradient plus independent noise: Var = |g_j| ||g|| - g_j^2 (for |g_j| < ||g||)
    q = derive_sde(Update("qsgd", qsgd(1)(grad()) + gaussian_noise()))
    val = q.cov_diag.subs({gj: sp.Rational(1, 2), gnorm: 2, eta: 1, B: 1, sigma: 0})
    assert val == sp.Rational(1, 2) * 2 - sp.Rational(1, 4)
    assert q.cov_diag.subs({gnorm: 0, eta: 1, B: 1, sigma: 1}) == 1  # no quantisation noise at g = 0
    # shared mask: the compression noise is not averaged over the agents
    C = randk(omega=omega)
    sh = derive_sde(Update("shared", mean_over_agents(lambda a: C(grad() + gaussian_noise(a.sigma), shared=True))))
    assert _zero(sh.cov_outer + eta * omega / (d - 1))
    assert _zero(sh.cov_diag - eta * (omega * d / (d - 1) * gj**2 + (1 + omega) * sigma**2 / (N * B)))
    # Bernoulli(p) = the unbiased coordinate model with omega = 1/p - 1
    p = sp.Symbol("p", positive=True)
    bb = derive_sde(Update("bern", bernoulli(p)(grad())))
    uu = derive_sde(Update("unb", unbiased(1 / p - 1)(grad())))
    assert _zero(bb.cov_diag - uu.cov_diag) and _zero(bb.cov_diag - eta * (1 / p - 1) * gj**2)
    # a mix of compressors across agents
    mix = derive_sde(Update("mix", mean_over_agents(
        lambda a: (randk(omega=a.omega) if a.index == 1 else unbiased(a.omega))(grad() + gaussian_noise(a.sigma)),
        n=2)))
    o1, o2 = agent_symbols("omega", 2)
    assert _zero(mix.cov_outer + eta * o1 / (4 * (d - 1)))
    # natural compression's variance at t = 3: (4 - 3)(3 - 2) = 1
    nat = derive_sde(Update("nat", natural()(grad())))
    assert nat.cov_diag.subs({gj: 3, eta: 1}) == 1 and nat.cov_diag.subs({gj: 0, eta: 1}) == 0


@pytest.mark.parametrize("build, why", [
    (lambda: sign(randk(omega=omega)(grad())), "law"),
    (lambda: qsgd(1)(grad() + gaussian_noise()), "deterministic input"),
    (lambda: (lambda z: mean_over_agents(lambda a: grad() + z))(gaussian_noise()), "outside"),
    (lambda: (lambda z: z + 2 * grad() + unbiased()(z))(gaussian_noise()), "not independent"),
    (lambda: mean_over_agents(lambda a: 2 * randk(omega=omega)(grad(), shared=True), n=2), "outermost"),
])
def test_not_derivable_says_why(build, why: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotDerivable, match=why):
        derive_sde(Update("x", build()))


def test_update_language_rejects_strings_and_products() -> None:
    with pytest.raises(InvalidParameterError):
        grad() * "eta"
    with pytest.raises(InvalidParameterError):
        grad() * grad()
    with pytest.raises(InvalidParameterError):
        Update("x", "grad()")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        mean_over_agents(lambda a: grad(), n=0)


# ----------------------------------------------------------------------------- consequences


def test_stationary_level_closed_form_matches_the_exact_engine_and_quadrature() -> None:
    from theorylab.simulate.exact import linear_quadratic
    from theorylab.simulate.exact.sde import SDEMoments, sde_coefficients

    s = get_sde("dcsgd")
    lvl, rate = stationary_level(s)
    assert _zero(lvl - d * eta * (1 + omega) * sigma**2 / (2 * B * (2 * N - eta * LAM * omega)))
    lams = [1.0, 0.5, 2.0]
    vals = dict(eta=0.1, N=2, omega=1.5, sigma=1.0, B=2)
    at = {eta: sp.Rational(1, 10), N: 2, omega: sp.Rational(3, 2), sigma: 1, B: 2}
    closed = float(stationary_level(s, lams)[0].subs(at))
    q = linear_quadratic(np.tile(lams, (2, 1)), np.zeros((2, 3)), 0.5, x0=0.0)
    engine = SDEMoments(q, sde_coefficients(s, vals, 3)).level()
    assert closed == pytest.approx(engine, rel=1e-10)
    diag = get_sde("dcsgd-diag")
    fp = stationary_level_numeric(diag, vals, lams)
    exact = float(stationary_level(diag, lams)[0].subs(at))
    assert fp == pytest.approx(exact, rel=1e-4)
    with pytest.raises(NotDerivable, match="polynomial"):
        stationary_level(get_sde("dsignsgd"))


def test_pl_bounds_rederive_theorems_3_and_4() -> None:
    r = pl_bound(get_sde("dcsgd"))
    assert r.verdict == "proved" and _zero(r.bound - get_bound("dcsgd").expr)
    r_sgd = pl_bound(get_sde("sgd"))
    assert _zero(r_sgd.bound - get_bound("sgd").expr)
    r_sign = pl_bound(get_sde("dsignsgd"))
    assert not r_sign.derivable and "not a multiple of the gradient" in r_sign.reason
    lin = pl_bound(get_sde("dsignsgd"), linearize=True)
    assert lin.verdict == "approximation" and _zero(lin.bound - get_bound("dsignsgd", "A").expr)
    q = pl_bound(derive_sde(Update("qsgd", qsgd(1)(grad()) + gaussian_noise())))
    assert not q.derivable and "||g||" in q.reason


def test_pl_bound_planted_wrong_trace_differs() -> None:
    s = get_sde("dcsgd")
    wrong = dataclasses.replace(s, cov_outer=sp.S.Zero)  # drops the Rand-k rank-one term
    assert _differs(pl_bound(wrong).bound - get_bound("dcsgd").expr)


def _dcsgd_rules():  # type: ignore[no-untyped-def]
    level = leading_level(pl_bound(get_sde("dcsgd")))
    ref = leading_level(pl_bound(get_sde("dsgd")))
    return level, ref, scaling_rules(level, ref, rows=[(v, dr) for v, _, dr, _ in rules.SEED_DCSGD_ROWS])


def test_dcsgd_scaling_table_comes_out_row_for_row() -> None:
    level, ref, out = _dcsgd_rules()
    assert sp.simplify(out.condition.lhs - kappa * (beta * omega + 1)) == 0 and out.condition.rhs == alpha * delta
    table = rules.rule_table("dcsgd")
    for row, (var, seed_e, driver, (a_, b_)), tab in zip(out.rows, rules.SEED_DCSGD_ROWS, table.rows):
        assert row.variable == var and _zero(row.expr - seed_e) and _zero(row.expr - tab.expr)
        assert row.sign == a_ * b_ == tab.derivative_sign
    # planted: omega instead of 1 + omega in the level (a compressor rule that forgets the noise it compresses)
    wrong = scaling_rules(level * omega / (1 + omega), ref, rows=[(alpha, beta)])
    assert _zero(wrong.rows[0].expr - beta * omega) and _differs(wrong.rows[0].expr - (1 + beta * omega))


def test_dsignsgd_scaling_table_comes_out_row_for_row() -> None:
    level = leading_level(pl_bound(get_sde("dsignsgd"), linearize=True))
    table = rules.rule_table("dsignsgd")
    out = scaling_rules(level, rows=[(r.variable, r.driver) for r in table.rows])
    for row, tab in zip(out.rows, table.rows):
        assert _zero(row.expr - tab.expr) and row.sign == tab.derivative_sign
    assert _zero(out.row(kappa, delta).expr - sp.sqrt(delta))
    full = scaling_rules(level, rows=[(kappa, alpha)], factors={eta: kappa, B: delta, N: alpha})
    assert sp.solve(sp.Eq(full.ratio, 1), kappa) == [alpha * sp.sqrt(delta)]
    assert _zero(sp.solve(sp.Eq(full.ratio, 1), kappa)[0] - rules.SEED_DSIGNSGD_RULE.rhs)


def test_sde_invariance_gives_the_linear_scaling_rule() -> None:
    assert sde_invariance(get_sde("dsgd")) == [{alpha: kappa / delta}]


# ----------------------------------------------------------------------------- CLI


def test_cli_sde_derive_prints_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from theorylab.cli.main import main

    target = "examples/methods/my_method.py:sgd"
    assert main(["sde", "derive", target, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["data"]["pl_verdict"] == "proved" and doc["table"] is not None
    for fmt in ("latex", "markdown", "text"):
        assert main(["sde", "derive", target, "--format", fmt]) == 0
        assert "Lyapunov" in capsys.readouterr().out
    assert main(["sde", "derive", "examples/methods/my_method.py:signsgd"]) == 0
    assert "not a multiple of the gradient" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_sde_derive_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    from theorylab.cli.main import main

    for name in ("dcsgd", "dcsgd_per_agent", "dcsgd_shared_mask", "qsgd_sgd"):
        assert main(["sde", "derive", f"examples/methods/my_method.py:{name}"]) == 0, name
    assert "Lyapunov" in capsys.readouterr().out


@pytest.mark.parametrize("argv, msg", [
    (["sde", "derive"], "needs FILE.py:NAME"),
    (["sde", "derive", "missing_file.py:x"], "no such file"),
    (["sde", "derive", "examples/methods/my_method.py:omega"], "expected a theorylab.symbolic.update.Update"),
    (["sde", "derive", "not a target"], "FILE.py:NAME"),
    (["sde", "dsgd", "examples/methods/my_method.py:dcsgd"], "takes no FILE.py:NAME"),
])
def test_cli_sde_derive_usage_errors(argv: list[str], msg: str, capsys: pytest.CaptureFixture[str]) -> None:
    from theorylab.cli.main import main

    assert main(argv) == 2
    assert msg in capsys.readouterr().err


def test_cli_sde_derive_check_exit_codes(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    """--check runs the weak-order check: 0 when it holds, 1 when a planted second moment is refuted."""
    import json

    from theorylab.cli.main import main

    assert main(["sde", "derive", "examples/methods/my_method.py:sgd", "--check", "sigma=1", "B=1",
                 "--etas", "0.1,0.05", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["weak_order"]["verdict"] == "holds"
    f = tmp_path / "planted.py"
    f.write_text("import dataclasses\n"
                 "from theorylab.symbolic.symbols import omega\n"
                 "from theorylab.symbolic.update import Update, gaussian_noise, grad, randk\n"
                 "C = dataclasses.replace(randk(omega=omega), diag=1 + omega / 2)  # planted: E D_j^2 wrong\n"
                 "update = Update('planted', C(grad() + gaussian_noise()))\n", encoding="utf-8")
    assert main(["sde", "derive", f"{f}:update", "--check", "omega=1", "sigma=1", "B=1",
                 "--etas", "0.1,0.05"]) == 1
    assert "refuted" in capsys.readouterr().out
    assert main(["sde", "derive", f"{f}:update", "--check", "omega=x"]) == 2
    assert main(["sde", "dsgd", "--check", "sigma=1"]) == 2


def test_dcsgd_table_also_comes_out_of_the_stationary_level() -> None:
    """The Lyapunov level on lambda*I, at leading order in eta, gives the same condition and rows as the PL level."""
    def leading(s):  # type: ignore[no-untyped-def]
        lvl = stationary_level(s)[0]
        return sp.limit(lvl / eta, eta, 0) * eta

    lead, ref = leading(get_sde("dcsgd")), leading(get_sde("dsgd"))
    assert _zero(lead - d * eta * (1 + omega) * sigma**2 / (4 * B * N))  # no lambda: the level is isotropic
    out = scaling_rules(lead, ref, rows=[(v, dr) for v, _, dr, _ in rules.SEED_DCSGD_ROWS])
    for row, (_, seed_e, _, (a_, b_)) in zip(out.rows, rules.SEED_DCSGD_ROWS):
        assert _zero(row.expr - seed_e) and row.sign == a_ * b_
