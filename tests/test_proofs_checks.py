"""The proofs_checks framework: verdicts, registry, runner, report formats and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from proofs_checks import (
    Check,
    Verdict,
    check,
    combine,
    decide,
    discover,
    registry,
    render,
    run_check,
    run_checks,
    select,
)
from proofs_checks import cli as pc_cli
from proofs_checks.verdict import holds, proved, refuted


def test_verdict_requires_counterexample_and_needs():
    with pytest.raises(ValueError, match="counterexample"):
        Verdict("refuted", "c", "f")
    with pytest.raises(ValueError, match="needs"):
        Verdict("inconclusive", "c", "f")
    with pytest.raises(ValueError, match="status"):
        Verdict("fine", "c", "f")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence"):
        Verdict("holds", "c", "f", confidence=1.5)


def test_decide_follows_the_computation():
    assert decide(claimed="c", ok=True, exact=True, found="f").status == "proved"
    assert decide(claimed="c", ok=True, exact=False, found="f", confidence=0.99).status == "holds"
    assert decide(claimed="c", ok=False, exact=True, found="f", counterexample={"x": 1}).status == "refuted"
    assert decide(claimed="c", ok=None, exact=False, found="f", needs="more").status == "inconclusive"
    with pytest.raises(ValueError):
        decide(claimed="c", ok=False, exact=True, found="f")


def test_combine_worst_part_wins_and_names_it():
    v = combine("all", {"a": proved("a", "ok"), "b": refuted("b", "bad", counterexample={"x": 2})})
    assert v.status == "refuted"
    assert v.counterexample == {"b": {"x": 2}}
    assert "b: bad" in v.found
    mixed = combine("all", {"a": proved("a", "ok"), "b": holds("b", "ok", confidence=0.9)})
    assert mixed.status == "holds" and mixed.confidence == 0.9
    assert combine("all", {"a": holds("a", "exact search", confidence=None)}).confidence is None


def test_verdict_to_dict_is_json_ready():
    import numpy as np
    import sympy as sp

    v = proved("c", "f", numbers={"x": np.float64(0.5), "r": sp.Rational(7, 6), "arr": np.arange(3), "inf": float("inf")})
    d = json.loads(json.dumps(v.to_dict()))
    assert d["numbers"] == {"x": 0.5, "r": "7/6", "arr": [0, 1, 2], "inf": "inf"}


def test_declaration_validation():
    with pytest.raises(ValueError, match="method"):
        check(id="x.y", source="s", statement="s", expression="e", method="guess")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="id"):
        check(id="has space", source="s", statement="s", expression="e", method="exact")


def test_discovery_finds_every_module_and_unique_ids():
    checks, failures = discover()
    assert not failures, failures
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids))
    assert {"beznosikov.top1-divergence", "lecture.tcc-algebra"} <= set(ids)
    for c in checks:
        assert c.source and c.statement and c.expression and c.method in ("symbolic", "exact", "monte-carlo")
        assert c.id in registry()


def test_select_patterns():
    checks, _ = discover()
    assert [c.id for c in select(checks, ["beznosikov.top1-div*"])] == ["beznosikov.top1-divergence"]
    assert all("tcc" in c.id for c in select(checks, ["tcc"]))
    assert select(checks, None) == checks


def _fake(id_: str, func) -> Check:
    return Check(id_, "test", "a statement", "x", "exact", func)


def test_runner_turns_exceptions_into_error_rows():
    def boom(mode="quick"):
        raise RuntimeError("kaboom")

    def wrong_type(mode="quick"):
        return "proved"

    r = run_check(_fake("t.boom", boom))
    assert r.verdict.status == "error" and "kaboom" in r.verdict.found
    assert run_check(_fake("t.type", wrong_type)).verdict.status == "error"


def test_runner_collects_warnings_instead_of_printing(recwarn):
    import warnings

    def noisy(mode="quick"):
        warnings.warn("overflow on a huge input", RuntimeWarning)
        return proved("c", "f")

    r = run_check(_fake("t.noisy", noisy))
    assert r.verdict.status == "proved"
    assert r.warnings == ("RuntimeWarning: overflow on a huge input",)
    assert r.to_dict()["warnings"] == ["RuntimeWarning: overflow on a huge input"]
    assert len(recwarn) == 0


def _ok(mode="quick"):
    return proved("c", "f", numbers={"k": 1})


def _bad(mode="quick"):
    return refuted("claim X", "found Y", counterexample={"x": 3})


def test_report_formats_hold_the_same_content():
    results = run_checks([_fake("t.ok", _ok), _fake("t.bad", _bad)], progress=False)
    text = render(results, "text")
    assert "REFUTED CLAIMS (1)" in text and "claim X" in text and "found Y" in text
    assert text.index("REFUTED") > text.index("t.ok")
    assert "2 checks (quick): 1 proved, 0 holds, 1 refuted, 0 inconclusive, 0 error" in text
    md = render(results, "markdown")
    assert md.startswith("| id | source |") and "### REFUTED CLAIMS (1)" in md
    js = json.loads(render(results, "json"))
    assert js["summary"]["refuted"] == 1 and js["results"][1]["counterexample"] == {"x": 3}
    with pytest.raises(ValueError):
        render(results, "html")


def test_cli_exit_codes(monkeypatch, capsys, tmp_path):
    def boom(mode="quick"):
        raise RuntimeError("kaboom")

    fakes = {"ok": [_fake("t.ok", _ok), _fake("t.bad", _bad)], "err": [_fake("t.ok", _ok), _fake("t.boom", boom)]}
    which = {"k": "ok"}
    monkeypatch.setattr(pc_cli, "collect", lambda only: (select(fakes[which["k"]], only), []))
    out = tmp_path / "r.json"
    assert pc_cli.main(["--format", "json", "--out", str(out)]) == 0  # refuted is a result, exit 0
    assert json.loads(out.read_text())["summary"]["refuted"] == 1
    which["k"] = "err"
    assert pc_cli.main([]) == 1  # an erroring check makes the run fail
    assert "ERRORS (1)" in capsys.readouterr().out
    assert pc_cli.main(["--only", "nothing-matches"]) == 2


def test_theorylab_check_and_module_entry_point(tmp_path):
    from theorylab.cli.main import main

    out = tmp_path / "r.md"
    assert main(["check", "--only", "lecture.tcc-algebra", "--format", "markdown", "--out", str(out)]) == 0
    assert "| lecture.tcc-algebra |" in out.read_text()
    p = subprocess.run([sys.executable, "-m", "proofs_checks", "--only", "lecture.tcc-algebra", "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["results"][0]["status"] == "proved"
    assert p.stderr == ""  # no progress bar when stderr is not a terminal


def test_parallel_runner_matches_serial():
    checks, _ = discover()
    sel = select(checks, ["lecture.tcc-algebra", "lecture.minibatch-vs-local-sgd"])
    serial = [r.verdict.status for r in run_checks(sel, progress=False)]
    par = [r.verdict.status for r in run_checks(sel, jobs=2, progress=False)]
    assert serial == par == ["proved", "proved"]
