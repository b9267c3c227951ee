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
    assert main(["compressors", "check", "--all", "--dim", "8"]) == 0
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
