"""`theorylab simulate`: JSON contents, text, plots and clear errors."""

from __future__ import annotations

import json

import pytest

from theorylab import __version__
from theorylab.cli.main import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["simulate", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_json_carries_curves_estimate_bound_verdict_parameters(capsys, tmp_path) -> None:
    fig = tmp_path / "f.png"
    rc, out, _ = _run(capsys, "dsignsgd", "--dim", "5", "--agents", "2", "--eta", "0.01", "--steps", "300",
                      "--replicas", "20", "--sde", "--bound", "--seed", "3", "--format", "json", "--points", "30",
                      "--plot", str(fig), "--noise", "student-t:nu=3")
    assert rc == 0
    data = json.loads(out)
    assert data["theorylab_version"] == __version__ and data["seed"] == 3
    assert data["parameters"]["d"] == 5 and data["parameters"]["nu"] == 3.0
    assert len(data["curve"]["mean"]) == 30 and data["curve"]["steps"][-1] == 300
    assert set(data["stationary"]) >= {"value", "lower", "upper", "confidence", "burn_in_steps"}
    assert data["bound"]["ell"] == "A" and data["bound"]["level"] > 0
    assert data["verdict"]["status"] in ("holds", "violated", "inconclusive, need more samples")
    assert "curve" in data["sde"] and data["divergence"]["diverged"] is False
    assert fig.stat().st_size > 1000
    rc2, out2, _ = _run(capsys, "dsignsgd", "--dim", "5", "--agents", "2", "--eta", "0.01", "--steps", "300",
                        "--replicas", "20", "--sde", "--bound", "--seed", "3", "--format", "json", "--points", "30",
                        "--noise", "student-t:nu=3")
    assert json.loads(out2)["curve"] == data["curve"]  # same seed, same numbers


def test_text_output(capsys) -> None:
    rc, out, _ = _run(capsys, "dsgd", "--dim", "4", "--steps", "200", "--replicas", "10", "--bound")
    assert rc == 0 and "stationary level" in out and "verdict" in out and "Theorem 3" in out


@pytest.mark.parametrize("argv, msg", [
    (["dsgd", "--agents", "2.5"], "positive integer"),
    (["dsgd", "--noise", "student-t:nu=0"], "nu > 0"),
    (["dsgd", "--noise", "student-t:nu=-1"], "nu > 0"),
    (["dsgd", "--noise", "pareto"], "unknown noise"),
    (["dsgd", "--problem", "quadratic:mu=1,L=0.5"], "mu <= L"),
    (["dcsgd"], "needs --compressor"),
    (["dsgd", "--sigma", "1,2,3", "--agents", "2"], "per-agent"),
])
def test_clear_errors(capsys, argv, msg) -> None:
    try:
        rc = main(["simulate", *argv, "--steps", "5", "--replicas", "2"])
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2 and msg in err, err
