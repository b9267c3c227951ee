"""``theorylab compressors check|list``."""

from __future__ import annotations

import json
import textwrap

import pytest

from theorylab.cli.main import main


def test_list_table_and_json(capsys):
    assert main(["compressors", "list", "--dim", "16"]) == 0
    out = capsys.readouterr().out
    assert "randk:k=2" in out and "U(7)" in out and "C(0.125)" in out
    assert main(["compressors", "list", "--dim", "16", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    row = next(r for r in data["compressors"] if r["spec"] == "terngrad")
    assert data["d"] == 16 and row["omega"] == "1.5" and row["bits"] == "64"


def test_check_spec_and_refutation_exit_codes(capsys):
    assert main(["compressors", "check", "randk:k=4", "--dim", "16"]) == 0
    assert "HOLDS" in capsys.readouterr().out
    assert main(["compressors", "check", "qsgd:s=4,norm=l2", "--dim", "64", "--omega", "0.5"]) == 1
    assert "REFUTED" in capsys.readouterr().out
    assert main(["compressors", "check", "topk:k=2", "--dim", "16", "--delta", "0.5", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False and data["claims"][0]["claim"] == "delta"


def test_check_all(capsys):
    assert main(["compressors", "check", "--all", "--dim", "8", "--draws", "256"]) == 0
    assert "17/17 compressors hold" in capsys.readouterr().out


def test_errors_exit_2(capsys):
    assert main(["compressors", "check", "randq:k=1"]) == 2
    assert "known names" in capsys.readouterr().err
    assert main(["compressors", "check"]) == 2
    assert main(["compressors", "check", "--all", "--omega", "1"]) == 2
    assert main(["compressors", "check", "nosuchmodule_xyz:C"]) == 2
    assert "cannot import" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, code",
    [("INSTANCE", 0), ("Factory", 0), ("make", 0), ("compress", 0), ("biased", 1)],
)
def test_check_module_name(tmp_path, monkeypatch, capsys, name, code):
    (tmp_path / "usercomp.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            from theorylab.compressors import RandK

            INSTANCE = RandK(2)

            class Factory:
                unbiased = True
                def __call__(self, x, rng):
                    keep = rng.random(x.shape) < 0.5
                    return np.where(keep, 2 * x, 0.0)
                def omega(self, d):
                    return 1.0

            def make():
                return RandK(4)

            def compress(x, rng):
                return x.copy()

            def biased(x, rng):
                return 0.5 * x
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    args = ["compressors", "check", f"usercomp:{name}", "--dim", "8"]
    if name in ("compress", "biased"):
        args += ["--omega", "0"]
    assert main(args) == code, capsys.readouterr().out


USER_FILE = '''
import numpy as np

def qsgd_single(x, s=4):
    """single-vector, global numpy RNG"""
    norm = np.linalg.norm(x)
    level = np.abs(x) / norm * s
    low = np.floor(level)
    return np.sign(x) * norm * (low + (np.random.random(x.shape) < level - low)) / s

def scaled_randk(x, rng):
    keys = rng.random(x.shape)
    kth = np.partition(keys, 1, axis=-1)[..., 1:2]
    return np.where(keys <= kth, x * x.shape[-1] / 3, 0.0)   # d/(k+1) with k = 2

def returns_none(x, rng):
    return None

def picky(x, rng):
    if np.abs(x).max() > 50:
        raise RuntimeError("too large")
    return x.copy()
'''


def _write(tmp_path):
    f = tmp_path / "my_comp.py"
    f.write_text(USER_FILE)
    return f


def test_check_file_py_name_flags_and_exit_codes(tmp_path, capsys):
    f = _write(tmp_path)
    base = ["compressors", "check", "--dim", "16", "--draws", "256"]
    assert main(base + [f"{f}:qsgd_single", "--omega", "1"]) == 0
    out = capsys.readouterr().out
    assert "HOLDS" in out and "one vector per call" in out
    assert main(base + [f"{f}:scaled_randk", "--unbiased"]) == 1
    assert "REFUTED  E[C(x)] = x" in capsys.readouterr().out
    assert main(base + [f"{f}:returns_none", "--omega", "1"]) == 2
    err = capsys.readouterr().err
    assert "returned None" in err and "C(x, rng)" in err and "Traceback" not in err
    assert main(base + [f"{f}:picky", "--omega", "0"]) == 2  # raises on ordinary inputs: contract broken
    assert "CONTRACT" in capsys.readouterr().out
    assert main(base + [f"{f}:nosuch"]) == 2
    assert "has no attribute" in capsys.readouterr().err
    assert main(base + [str(tmp_path / "missing.py") + ":C"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_no_claims_message_names_the_cli_flags(tmp_path, capsys):
    f = _write(tmp_path)
    assert main(["compressors", "check", f"{f}:scaled_randk", "--dim", "8", "--draws", "64"]) == 0
    out = capsys.readouterr().out
    assert "--omega" in out and "--unbiased" in out and "omega=" not in out


def test_dtype_and_timeout(capsys):
    assert main(["compressors", "check", "randk:k=2", "--dim", "8", "--dtype", "float32", "--draws", "64"]) == 0
    assert "float32" in capsys.readouterr().out
    assert main(["compressors", "check", "randk:k=2", "--dim", "64", "--timeout", "0.01"]) == 2
    assert "--timeout" in capsys.readouterr().err


def test_output_to_a_closed_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    cmd = f"{sys.executable} -m theorylab compressors check topk:k=2 --dim 8 | head -1"
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("compressor topk:k=2") and "Traceback" not in r.stderr and "Broken" not in r.stderr


def test_simulate_runs_a_user_compressor_from_a_file(tmp_path, capsys):
    f = tmp_path / "batched.py"
    f.write_text("from theorylab.compressors import RandK\nC = RandK(2)\n")
    args = ["simulate", "dcsgd", "--problem", "quadratic:mu=1,L=1", "--dim", "4", "--agents", "2",
            "--compressor", f"{f}:C", "--eta", "0.05", "--steps", "50", "--replicas", "8", "--format", "json"]
    assert main(args) == 0, capsys.readouterr()


def test_progress_bar_goes_to_stderr(capsys):
    assert main(["compressors", "check", "topk:k=2", "--dim", "8", "--progress"]) == 0
    assert "HOLDS" in capsys.readouterr().out


def test_a_deadline_keeps_compiled_kernels_out_of_reach_of_the_alarm(monkeypatch):
    """Under --timeout the numba kernels are off (an asynchronous alarm inside numba's dispatcher can
    crash the process), and their previous state comes back afterwards."""
    from theorylab import _numba
    from theorylab.cli import compressors as cc

    seen = []
    monkeypatch.setattr(_numba, "_FORCED", None)
    with cc._deadline(30.0):
        seen.append(_numba.enabled())
    assert seen == [False]
    assert _numba._FORCED is None
