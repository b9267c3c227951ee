"""The bad-input suite: every case ends with a clean error (one line, exit 2 or the stated
status, no traceback, no "internal error"), a visible warning where it is only suspicious, and
within ``bad_inputs.LIMIT_S`` seconds. The cases are in ``tests/bad_inputs.py``; run that file
as a script to count the clean ones (``python tests/bad_inputs.py``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import bad_inputs as cases  # noqa: E402


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad-inputs")
    cases.write_user_files(str(d))
    return d


@pytest.fixture
def inside(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    return workdir


def test_the_suite_is_large_enough() -> None:
    assert len(cases.CLI) + len(cases.API) >= 300
    assert len(cases.API) >= 100


@pytest.mark.parametrize("argv,codes", [pytest.param(a, c, id=n) for n, a, c in cases.CLI])
def test_cli_bad_input(argv, codes, inside) -> None:
    problem = cases.run_cli(argv, codes)
    assert problem is None, problem


@pytest.mark.parametrize("call,expected", [pytest.param(f, e, id=n) for n, f, e in cases.API])
def test_api_bad_input(call, expected, inside) -> None:
    problem = cases.run_api(call, expected)
    assert problem is None, problem


def test_the_harness_catches_an_internal_error(inside, monkeypatch) -> None:
    """Planted bug: a command that raises a plain ValueError (an internal error, exit 3) is
    reported by the harness, as is a silently accepted API call."""
    import theorylab.cli.simulate as cli_sim

    def broken(args):
        raise ValueError("planted")

    monkeypatch.setattr(cli_sim, "run", broken)
    monkeypatch.setattr(cli_sim, "simulation", broken)
    import argparse

    real = argparse.ArgumentParser.set_defaults

    def patched(self, **kw):
        if kw.get("func") is cli_sim.run or getattr(kw.get("func"), "__name__", "") == "run":
            kw["func"] = broken
        return real(self, **kw)

    monkeypatch.setattr(argparse.ArgumentParser, "set_defaults", patched)
    assert "internal error" in (cases.run_cli(["simulate", "dsgd"], (2,)) or "")
    assert cases.run_api(lambda: None, "error") == "accepted silently"


@pytest.mark.parametrize("argv", [["simulate", "dsgd", "--eta", "abc"], ["bounds", "dcsgd", "--at", "eta=a.b"],
                                  ["simulate", "dcsgd", "--compressor", "comps.py:raises", "--steps", "3"],
                                  ["simulate", "dsgd", "--dim", "1000000000"]][1:])
def test_subprocess_one_line_and_exit_2(argv, workdir) -> None:
    """The traceback/exit-code contract seen from a shell: exit 2, one line on stderr."""
    p = subprocess.run([sys.executable, "-m", "theorylab", *argv], cwd=workdir, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("theorylab: error:"), p.stderr
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr
