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
    # 300 steps do not settle (the stationarity test flags the drift): no verdict on an unsettled run
    assert data["stationary"]["stationary"] is False and data["verdict"]["status"] == "inconclusive"
    assert data["verdict"]["test"] == "one-sided" and data["verdict"]["false_alarm"] == pytest.approx(0.05)
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


def test_unparsable_compressor_spec(capsys) -> None:
    rc, _, err = _run(capsys, "dcsgd", "--compressor", "randk:k=", "--steps", "5", "--replicas", "2")
    assert rc == 2 and "cannot parse compressor spec" in err


def test_delta_nonpositive_with_bound_warns_and_still_simulates(capsys) -> None:
    # Delta = 1 - eta L^2 omega/(2 mu N) = 1 - 0.1 * 1 * 3/(2 * 0.1 * 1) < 0
    rc, out, err = _run(capsys, "dcsgd", "--problem", "quadratic:mu=0.1,L=1", "--agents", "1", "--compressor",
                        "randk:k=5", "--eta", "0.1", "--steps", "100", "--replicas", "10", "--bound", "--format",
                        "json")
    assert rc == 0 and "Delta > 0" in err and "simulated anyway" in err
    data = json.loads(out)
    assert "Delta > 0" in data["bound_error"] and "bound" not in data and data["stationary"]["value"] is not None


def test_per_agent_compressors_and_biased_compressor(capsys) -> None:
    rc, out, err = _run(capsys, "dcsgd", "--compressor", "randk:k=5;randk:k=10", "--agents", "2", "--steps", "50",
                        "--replicas", "5", "--sde", "--bound", "--format", "json")
    data = json.loads(out)
    assert rc == 0 and data["parameters"]["compressor"] == ["randk:k=5", "randk:k=10"]
    assert data["bound"]["values"]["omega"] == 2.0  # mean of omega_i = 3 and 1
    assert "sde" in data
    rc, out, err = _run(capsys, "dcsgd", "--compressor", "topk:k=5", "--steps", "50", "--replicas", "5", "--sde",
                        "--bound")
    assert rc == 0 and "biased" in err and "Rand-k only" in err and "stationary level" in out
