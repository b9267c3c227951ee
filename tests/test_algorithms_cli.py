"""`theorylab simulate` with the field's algorithms: options, their rejection, user files, JSON keys."""

from __future__ import annotations

import json

import numpy as np
import pytest

from theorylab.cli.main import main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["simulate", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


SMALL = ("--dim", "3", "--agents", "4", "--steps", "40", "--replicas", "4", "--eta", "0.1")


@pytest.mark.parametrize("argv,message", [
    (("ef21", "--compressor", "topk:k=1", "--local-steps", "3"), "--local-steps does not apply to ef21"),
    (("fedavg", "--topology", "ring"), "--topology does not apply to fedavg"),
    (("gossip-sgd", "--momentum", "0.5"), "--momentum does not apply to gossip-sgd"),
    (("scaffold", "--alpha", "0.5"), "--alpha does not apply to scaffold"),
    (("diana", "--p", "0.5", "--compressor", "randk:k=1"), "--p does not apply to diana"),
    (("dcsgd", "--compressor", "randk:k=1", "--server-lr", "2"), "--server-lr does not apply to dcsgd"),
    (("diana",), "diana needs --compressor"),
    (("dsignsgd", "--compressor", "randk:k=1"), "dsignsgd takes no --compressor"),
    (("fedavg", "--participation", "9"), "participation S = 9 exceeds"),
    (("fedavg-m", "--momentum", "1.5"), "momentum beta must be a finite number in (0, 1]"),
    (("gossip-sgd", "--topology", "hypercube"), "unknown topology 'hypercube'"),
    (("nosuch",), "unknown method 'nosuch'"),
])
def test_options_rejected_with_one_line_and_exit_2(capsys, argv, message) -> None:
    rc, out, err = run_cli(capsys, *argv, *SMALL)
    assert rc == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_deterministic_run_reports_exact_values_without_intervals(capsys) -> None:
    rc, out, _ = run_cli(capsys, "scaffold", "--problem", "quadratic:mu=0.5,L=2,hetero=1", "--sigma", "0",
                         "--local-steps", "5", "--format", "json", *SMALL)
    res = json.loads(out)
    assert rc == 0 and res["deterministic"] is True and "stationary" not in res and "curve" not in res
    assert res["exact"]["final_gap"] == pytest.approx(0.0, abs=1e-6)
    rc, out, _ = run_cli(capsys, "scaffold", "--problem", "quadratic:mu=0.5,L=2,hetero=1", "--sigma", "0",
                         "--local-steps", "5", *SMALL)
    assert "deterministic run" in out and "CI" not in out and "[" not in out.split("\n")[1]
    # with noise the same method reports intervals
    rc, out, _ = run_cli(capsys, "scaffold", "--sigma", "1", *SMALL)
    assert "CI" in out and "deterministic" not in out


def test_gossip_reports_consensus_and_rho(capsys) -> None:
    rc, out, _ = run_cli(capsys, "gossip-sgd", "--topology", "ring", "--gossip", "atc", "--format", "json",
                         "--problem", "quadratic:mu=1,L=1,hetero=1", *SMALL)
    res = json.loads(out)
    assert rc == 0 and any("consensus" in k for k in res)
    assert res["topology"]["rho"] == pytest.approx((1 + 2 * np.cos(2 * np.pi / 4)) / 3)
    assert res["parameters"]["gossip"] == "atc"


def test_user_method_and_problem_files(capsys, tmp_path) -> None:
    alg = tmp_path / "alg.py"
    alg.write_text('''
from dataclasses import dataclass

@dataclass
class S:
    x: object

class Plain:
    name = "plain-gd-cli-test"
    summary = "gradient descent"
    citation = "Cauchy 1847"
    options = {}
    compressor = "optional"
    decentralised = False
    def init(self, ctx):
        return S(ctx.x0.copy())
    def step(self, s, ctx):
        s.x -= ctx.eta * ctx.grads(s.x).mean(axis=1)
    def iterate(self, s):
        return s.x
''')
    prob = tmp_path / "prob.py"
    prob.write_text('''
import numpy as np
from theorylab.simulate import custom_quadratic

def two_agents():
    return custom_quadratic(np.array([[1.0, 2.0], [3.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), x0=0.0)

def broken():
    raise RuntimeError("no data")
''')
    rc, out, err = run_cli(capsys, f"{alg}:Plain", "--problem", f"{prob}:two_agents", "--sigma", "0", "--steps", "200",
                           "--replicas", "2", "--eta", "0.2", "--format", "json")
    res = json.loads(out)
    assert rc == 0, err
    assert res["parameters"]["method"] == "plain-gd-cli-test" and res["parameters"]["agents"] == 2
    assert res["exact"]["final_gap"] == pytest.approx(0.0, abs=1e-12)
    rc, out, err = run_cli(capsys, "dsgd", "--problem", f"{prob}:broken", "--steps", "2")
    assert rc == 2 and "calling it failed: RuntimeError: no data" in err
    rc, out, err = run_cli(capsys, f"{alg}:Missing", "--steps", "2")
    assert rc == 2 and "defines no 'Missing'" in err
    rc, out, err = run_cli(capsys, f"{alg}:Plain", "--local-steps", "2", "--steps", "2")
    assert rc == 2 and "--local-steps does not apply to plain-gd-cli-test" in err


def test_bound_and_sde_not_declared_for_new_methods(capsys) -> None:
    rc, out, err = run_cli(capsys, "fedavg", "--bound", "--sde", *SMALL)
    assert rc == 0 and "no bound is declared for fedavg" in err and "no SDE is declared for fedavg" in err


def test_logistic_problem_spec_and_libsvm_file(capsys, tmp_path) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((40, 3))
    y = np.where(a @ np.array([1.0, -1.0, 0.5]) > 0, 1, 0)
    f = tmp_path / "data.svm"
    f.write_text("".join(f"{lab} " + " ".join(f"{j + 1}:{v:.6f}" for j, v in enumerate(row)) + "\n"
                         for lab, row in zip(y, a, strict=True)))
    rc, out, err = run_cli(capsys, "scaffold", "--problem", f"logistic:lam=0.1,libsvm={f}", "--agents", "4",
                           "--sigma", "0", "--local-steps", "3", "--steps", "150", "--replicas", "2", "--eta", "0.5",
                           "--format", "json")
    res = json.loads(out)
    assert rc == 0, err
    assert res["parameters"]["d"] == 3 and res["exact"]["final_gap"] == pytest.approx(0.0, abs=1e-9)
    rc, out, err = run_cli(capsys, "fedavg", "--problem", "logistic:lam=0.1,nonconvex=0.5,samples=80", "--dim", "5",
                           *SMALL[2:])
    assert rc == 0, err
    rc, out, err = run_cli(capsys, "fedavg", "--problem", "logistic:libsvm=/nonexistent.svm", *SMALL)
    assert rc == 2 and "cannot read LIBSVM file" in err


def test_dim_or_agents_contradicting_a_problem_file_is_an_error(capsys, tmp_path) -> None:
    """A problem from a file fixes d and N: a contradicting --dim/--agents is exit 2 (it was silently
    ignored), a matching one is accepted."""
    prob = tmp_path / "prob4.py"
    prob.write_text('''
import numpy as np
from theorylab.simulate import custom_quadratic

def four():
    return custom_quadratic(np.ones((4, 3)), np.eye(4, 3), x0=0.0)
''')
    base = ("dsgd", "--problem", f"{prob}:four", "--steps", "20", "--replicas", "2", "--eta", "0.1", "--sigma", "0")
    rc, out, err = run_cli(capsys, *base, "--dim", "20")
    assert rc == 2 and "--dim 20 contradicts" in err and "d = 3" in err and "Traceback" not in err
    rc, out, err = run_cli(capsys, *base, "--agents", "8")
    assert rc == 2 and "--agents 8 contradicts" in err and "N = 4" in err
    rc, out, err = run_cli(capsys, *base, "--dim", "3", "--agents", "4", "--format", "json")
    assert rc == 0, err
    params = json.loads(out)["parameters"]
    assert (params["d"], params["agents"]) == (3, 4), params
