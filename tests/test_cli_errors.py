"""What a new user hits (issue 14): every bad input is one line on stderr, no traceback, and
the documented exit status (0 holds, 1 refuted, 2 usage or contract error, 3 internal error,
130 interrupted, 141 broken pipe); short runs are inconclusive, never "violated".

Most cases run in-process through :func:`theorylab.cli.main.main` (fast); broken pipes and
Ctrl-C need a real process and run through ``python -m theorylab``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from theorylab.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _one_line_error(err: str, *fragments: str) -> None:
    """``err`` is exactly one line ``theorylab: error: ...`` containing every fragment."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("theorylab"), err
    assert ": error: " in lines[0], err
    for f in fragments:
        assert f in lines[0], (f, err)


def _subprocess(*argv: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("THEORYLAB_TRACEBACK", None)
    return subprocess.Popen([sys.executable, "-m", "theorylab", *argv], env=env, cwd=kw.pop("cwd", ROOT),
                            stdout=kw.pop("stdout", subprocess.PIPE), stderr=subprocess.PIPE, text=True, **kw)


# ----------------------------------------------------------------------------- short runs


@pytest.mark.parametrize("argv", [
    ["dcsgd", "--compressor", "randk:k=5", "--steps", "1"],
    ["dcsgd", "--compressor", "randk:k=5", "--steps", "2"],
    ["dcsgd", "--compressor", "randk:k=5", "--steps", "4"],
    ["dcsgd", "--compressor", "randk:k=5", "--steps", "6"],
    ["dsignsgd", "--steps", "1"],
])
def test_short_run_is_inconclusive_never_violated(capsys, argv) -> None:
    # Before the fix: a kept stretch of < 4 blocks skipped the drift test and counted as
    # stationary, so a transient at the initial gap (~10) was compared with the level (~0.05).
    rc, out, _ = _run(capsys, "simulate", *argv, "--replicas", "10", "--bound", "--format", "json")
    data = json.loads(out)
    assert rc == 0
    assert data["stationary"]["stationary"] is False
    assert data["verdict"]["status"] == "inconclusive, need more samples"
    assert any("too short to reach stationarity" in w for w in data["stationary"]["warnings"])


@pytest.mark.parametrize("steps, stationary", [(1, False), (3, False), (6, False), (400, True)])
def test_stationary_flag_needs_enough_blocks(steps, stationary) -> None:
    """The library's estimate, not the CLI: a handful of steps is never declared stationary,
    while a long run started near its stationary level is (the flag can be True)."""
    from theorylab.simulate import gaussian, quadratic, simulate

    sim = simulate("dsgd", quadratic(d=4, n_agents=2, x0=0.0), gaussian(1.0), eta=0.1, steps=steps, replicas=20,
                   seed=1, bound=True)
    assert sim.level.stationary is stationary, sim.level.warnings
    if not stationary:
        assert sim.verdict.status == "inconclusive, need more samples"


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("argv, fragments", [
    (["simulate", "dsgd", "--seed", "-1"], ["--seed", ">= 0"]),
    (["simulate", "dsgd", "--ell", "B"], ["--ell", "dsignsgd"]),
    (["simulate", "dsignsgd", "--ell", "B"], ["--ell", "without --bound"]),
    (["simulate", "dsignsgd", "--bound", "--radius", "2"], ["--radius", "--ell B"]),
    (["simulate", "dsgd", "--steps", "nope"], ["--steps", "positive integer"]),
    (["simulate", "nosuchmethod"], ["invalid choice"]),
    (["simulate", "dsgd", "--plot", "no/such/dir/p.png"], ["--plot", "does not exist"]),
    (["simulate", "dsgd", "--plot", "."], ["--plot", "is a directory"]),
    (["simulate", "dsgd", "--plot", ""], ["--plot", "empty"]),
    (["simulate", "dsgd", "--plot", "fig.xyz"], ["--plot", ".xyz"]),
])
def test_simulate_bad_input_one_line(capsys, argv, fragments) -> None:
    rc, out, err = _run(capsys, *argv, "--steps", "5", "--replicas", "2") if "--steps" not in argv else \
        _run(capsys, *argv)
    assert rc == 2, (out, err)
    _one_line_error(err, *fragments)
    assert out == ""  # nothing was simulated: the path and options are checked first


def test_check_compressor_negative_seed_is_a_library_error() -> None:
    from theorylab.compressors import from_spec
    from theorylab.errors import InvalidParameterError
    from theorylab.testing import check_compressor

    with pytest.raises(InvalidParameterError, match="seed must be an integer >= 0"):
        check_compressor(from_spec("randk:k=2"), 8, seed=-1)


def test_simulate_library_negative_seed_is_a_library_error() -> None:
    from theorylab.errors import InvalidParameterError
    from theorylab.simulate import gaussian, quadratic, simulate

    with pytest.raises(InvalidParameterError, match="seed must be an integer >= 0"):
        simulate("dsgd", quadratic(mu=1, L=1, d=2, n_agents=1), gaussian(1.0), eta=0.1, steps=3, replicas=2, seed=-1)


def test_compressors_check_negative_seed(capsys) -> None:
    rc, out, err = _run(capsys, "compressors", "check", "randk:k=2", "--dim", "8", "--seed", "-1")
    assert rc == 2
    _one_line_error(err, "seed", ">= 0")


def test_plot_failure_keeps_the_printed_results(capsys, tmp_path, monkeypatch) -> None:
    # the path is fine up front, but saving fails (e.g. the disk filled up in between)
    import theorylab.simulate.plot as plot

    def boom(sim, path):  # noqa: ARG001
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plot, "plot_simulation", boom)
    rc, out, err = _run(capsys, "simulate", "dsgd", "--steps", "20", "--replicas", "5", "--plot",
                        str(tmp_path / "p.png"))
    assert rc == 2
    assert "stationary level" in out and "final mean gap" in out
    _one_line_error(err, "--plot", "No space left", "results above are complete")


def test_unexpected_exception_is_one_line_internal_error(capsys, monkeypatch) -> None:
    import theorylab.cli.symbolic as cs

    def bug(args):  # noqa: ARG001
        raise ZeroDivisionError("planted bug")

    monkeypatch.setattr(cs, "_cmd_sde", bug)
    monkeypatch.delenv("THEORYLAB_TRACEBACK", raising=False)
    rc = main(["sde", "dsgd"])
    err = capsys.readouterr().err
    assert rc == 3
    _one_line_error(err, "internal error", "ZeroDivisionError", "planted bug", "THEORYLAB_TRACEBACK")


def test_usage_errors_are_one_line(capsys) -> None:
    for argv in (["nosuchcommand"], ["bounds"], ["simulate", "dsgd", "--dim"], ["check", "--jobs", "x"]):
        rc, _, err = _run(capsys, *argv)
        assert rc == 2, argv
        _one_line_error(err, "--help")


# ----------------------------------------------------------------------------- processes


@pytest.mark.parametrize("argv", [
    ["compressors", "list", "--dim", "8"],
    ["bounds", "dcsgd", "--format", "latex"],
])
def test_broken_pipe_is_silent_exit_141(argv) -> None:
    # `theorylab ... | head -0`: the reader is gone before the first write
    r, w = os.pipe()
    os.close(r)
    p = _subprocess(*argv, stdout=w)
    os.close(w)
    _, err = p.communicate(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
    assert err == "" and p.returncode == 141, (p.returncode, err)
