"""theorylab.claims: the verdict vocabulary, the interval-vs-band rule, combining parts, the
registry, claim files, the runner and the report."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from theorylab.claims import (Status, Verdict, check, combine, holds, inconclusive, interval_status, load_file,
                              proved, refuted, registry, render, run_checks, select, upper_bound, within)
from theorylab.errors import ClaimError, InvalidParameterError


# --------------------------------------------------------------------------- vocabulary
def test_status_is_one_str_enum():
    assert Status.HOLDS == "holds" and Status("refuted") is Status.REFUTED
    assert f"{Status.PROVED}" == "proved" and str(Status.ERROR) == "error"
    assert json.dumps({"s": Status.INCONCLUSIVE}) == '{"s": "inconclusive"}'
    assert [s.value for s in Status] == ["proved", "holds", "refuted", "inconclusive", "error"]
    with pytest.raises(ClaimError, match="status must be one of"):
        Status.parse("violated")


def test_verdict_contract_raises_claim_errors():
    with pytest.raises(ClaimError, match="counterexample"):
        Verdict("refuted", "c", "f")
    with pytest.raises(ClaimError, match="needs"):
        Verdict("inconclusive", "c", "f")
    with pytest.raises(ClaimError, match="status"):
        Verdict("inconclusive, need more samples", "c", "f", needs="x")  # type: ignore[arg-type]
    with pytest.raises(ClaimError, match="confidence"):
        Verdict("holds", "c", "f", confidence=0.0)
    assert Verdict("holds", "c", "f").status is Status.HOLDS  # a word is turned into the enum


def test_holds_label_states_test_tolerance_and_false_alarm():
    v = holds("c", "f", confidence=1 - 1e-6, test="one-sided")
    assert v.label() == "holds (one-sided, false alarm ≤ 1e-06)"
    e = holds("c", "f", confidence=0.999, test="equivalence", tolerance=0.05)
    assert e.label() == "holds (equivalence, tol 0.05, false alarm ≤ 0.001)"
    assert holds("c", "f", confidence=None).label() == "holds (deterministic)"
    assert e.to_dict()["false_alarm"] == pytest.approx(1e-3) and e.to_dict()["test"] == "equivalence"


# --------------------------------------------------------------------------- interval vs band
@pytest.mark.parametrize("lo, hi, band, expected", [
    (0.9, 1.1, upper_bound(1.2), "holds"),
    (0.9, 1.1, upper_bound(0.8), "refuted"),
    # the bound above the interval's midpoint but inside the interval: undecided, never "holds"
    (0.9, 1.1, upper_bound(1.05), "inconclusive"),
    (0.9, 1.1, upper_bound(0.95), "inconclusive"),
    (0.95, 1.05, within(1.0, rtol=0.1), "holds"),
    # the point estimate (1.0) is inside the band but the interval is not: an equivalence test says inconclusive
    (0.8, 1.2, within(1.0, rtol=0.1), "inconclusive"),
    (1.05, 1.15, within(1.0, rtol=0.1), "inconclusive"),
    (1.2, 1.3, within(1.0, rtol=0.1), "refuted"),
    (0.5, 0.7, within(1.0, atol=0.2), "refuted"),
    (float("nan"), 1.0, upper_bound(2.0), "inconclusive"),
])
def test_interval_status(lo, hi, band, expected):
    assert band.status(lo, hi) == expected
    assert interval_status(lo, hi, low=band.low, high=band.high) == expected


def test_less_data_never_makes_an_equality_claim_hold():
    """A wider interval around the same estimate can only move holds → inconclusive."""
    band = within(1.0, rtol=0.05)
    statuses = [band.status(1.0 - w, 1.0 + w) for w in (0.01, 0.04, 0.06, 0.5, 5.0)]
    assert statuses == ["holds", "holds", "inconclusive", "inconclusive", "inconclusive"]


def test_band_rejects_bad_input():
    with pytest.raises(InvalidParameterError, match="exactly one tolerance"):
        within(1.0)
    with pytest.raises(InvalidParameterError, match="positive"):
        within(1.0, rtol=-0.1)
    with pytest.raises(InvalidParameterError, match="lower <= upper"):
        interval_status(2.0, 1.0, high=3.0)


# --------------------------------------------------------------------------- combining parts
def test_combined_false_alarm_is_the_union_bound():
    """Mutant killed: a combined "holds" reporting the largest (or any single) part confidence."""
    v = combine("all", {"a": holds("a", "x", confidence=0.99), "b": holds("b", "y", confidence=0.98),
                        "c": proved("c", "z")})
    assert v.status == "holds"
    assert v.false_alarm == pytest.approx(0.03)  # 0.01 + 0.02, not 0.01 or 0.02
    assert v.confidence == pytest.approx(0.97)
    assert "union bound over 2" in v.label()
    too_many = combine("all", {f"p{i}": holds("p", "x", confidence=0.6) for i in range(3)})
    assert too_many.status == "inconclusive" and "union bound" in too_many.needs


def test_combine_worst_part_wins():
    parts = {"a": proved("a", "ok"), "b": inconclusive("b", "?", needs="more"), "c": holds("c", "ok", confidence=0.9)}
    assert combine("x", parts).status == "inconclusive"
    parts["d"] = refuted("d", "bad", counterexample={"x": 1})
    v = combine("x", parts)
    assert v.status == "refuted" and v.counterexample == {"d": {"x": 1}}
    assert combine("x", {"a": proved("a", "ok")}).status == "proved"
    with pytest.raises(ClaimError):
        combine("x", {})


def test_a_combined_verdict_keeps_its_parts_numbers_and_evidence():
    """A joint "holds" must be auditable: the simulated level, its interval and the closed form
    of each part appear in the numbers (prefixed by the part's name), in the notes and, whole,
    in the JSON report's "parts"."""
    import json

    from theorylab.claims import Result, render

    level = holds("level = 0.05", "level 0.0497 [0.0490, 0.0504] vs 0.05", confidence=0.999,
                  numbers={"estimate": 0.0497, "lower": 0.049, "upper": 0.0504, "bound": 0.05},
                  notes="200 replicas", test="equivalence", tolerance=0.03)
    form = proved("closed form", "difference simplifies to 0", numbers={"difference": "0"})
    v = combine("Proposition 2", {"floor": level, "fixed point": form})
    assert v.status == "holds"
    assert v.numbers["floor"] == "holds" and v.numbers["fixed point"] == "proved"
    assert v.numbers["floor: estimate"] == 0.0497 and v.numbers["floor: lower"] == 0.049
    assert v.numbers["floor: upper"] == 0.0504 and v.numbers["floor: bound"] == 0.05
    assert v.numbers["fixed point: difference"] == "0"
    assert "floor: 200 replicas" in v.notes
    d = v.to_dict()
    assert d["parts"]["floor"]["found"] == level.found and d["parts"]["floor"]["tolerance"] == 0.03
    assert d["parts"]["floor"]["false_alarm"] == pytest.approx(1e-3)
    nested = combine("all", {"Prop 2": v, "other": proved("o", "ok")})
    assert nested.numbers["Prop 2: floor: estimate"] == 0.0497
    assert nested.to_dict()["parts"]["Prop 2"]["parts"]["floor"]["numbers"]["bound"] == 0.05
    out = json.loads(render([Result("x", "s", "monte-carlo", "st", "", v, 0.1)], "json"))
    assert out["results"][0]["numbers"]["floor: bound"] == 0.05
    assert out["results"][0]["parts"]["floor"]["numbers"]["estimate"] == 0.0497
    # a refuted part keeps its numbers too, beside the counterexample
    bad = combine("x", {"floor": refuted("f", "level above", counterexample={"interval": [2, 3]},
                                         numbers={"estimate": 2.5})})
    assert bad.numbers["floor: estimate"] == 2.5 and bad.parts["floor"].counterexample == {"interval": [2, 3]}


# --------------------------------------------------------------------------- declaring and running
CLAIM_FILE = '''
from theorylab.claims import check, identity, refuted

@check(id="user.square", source="a user's note, eq. (1)", statement="(a + b)^2 = a^2 + 2ab + b^2",
       method="symbolic")
def square(mode="quick", *, rhs="a**2 + 2*a*b + b**2"):
    return identity("(a + b)**2", rhs, symbols={"a": "real", "b": "real"})

@check(id="user.wrong", source="a user's note, eq. (2)", statement="(a + b)^2 = a^2 + b^2", method="symbolic")
def wrong(mode="quick"):
    return square.run(mode, rhs="a**2 + b**2")
'''


@pytest.fixture(scope="module")
def claim_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "my_claims.py"
    path.write_text(textwrap.dedent(CLAIM_FILE))
    return path


def test_load_file_registers_the_users_checks(claim_file):
    checks = load_file(claim_file)
    assert [c.id for c in checks] == ["user.square", "user.wrong"]
    assert checks[0].origin == str(claim_file)
    assert load_file(claim_file) == checks  # imported once
    assert checks[0]().status == "proved" and checks[1]().status == "refuted"
    assert "user.square" in registry()
    res = run_checks(checks, progress=False)
    assert [r.verdict.status for r in res] == ["proved", "refuted"]
    text = render(res, "text")
    assert "REFUTED CLAIMS (1)" in text and "user.wrong" in text


def test_parallel_runner_loads_claim_files_in_workers(claim_file):
    checks = load_file(claim_file)
    res = run_checks(checks, jobs=2, progress=False)
    assert [r.verdict.status for r in res] == ["proved", "refuted"]


@pytest.mark.parametrize("content, message", [
    ("x = 1\n", "declares no check"),
    ("def broken(:\n", "failed to import: SyntaxError"),
    ("raise RuntimeError('boom')\n", "failed to import: RuntimeError: boom"),
])
def test_load_file_errors_are_one_line(tmp_path, content, message):
    path = tmp_path / f"bad_{abs(hash(content))}.py"
    path.write_text(content)
    with pytest.raises(ClaimError, match=message) as info:
        load_file(path)
    assert "\n" not in str(info.value)
    with pytest.raises(ClaimError, match="not found"):
        load_file(tmp_path / "missing.py")


def test_declaration_errors():
    with pytest.raises(ClaimError, match="method"):
        check(id="x.y", source="s", statement="s", method="guess")  # type: ignore[arg-type]
    with pytest.raises(ClaimError, match="id"):
        check(id="a b", source="s", statement="s", method="exact")


def test_a_run_function_without_mode_fails_when_it_is_declared(tmp_path):
    """It was a TypeError when the check ran; now a one-line ClaimError at load time."""
    from theorylab.claims import proved

    def no_mode(*, rhs="x"):
        return proved("c", "f")

    with pytest.raises(ClaimError, match=r"takes no 'mode' parameter; expected def no_mode\(mode=\"quick\""):
        check(id="t.no-mode", source="s", statement="s", method="exact")(no_mode)
    assert "t.no-mode" not in registry()
    path = tmp_path / "claims_without_mode.py"
    path.write_text("from theorylab.claims import check, proved\n\n"
                    "@check(id='t.file-no-mode', source='s', statement='s', method='exact')\n"
                    "def claim():\n    return proved('c', 'f')\n")
    with pytest.raises(ClaimError, match="takes no 'mode' parameter") as info:
        load_file(path)
    assert "\n" not in str(info.value)
    check(id="t.kwargs-mode", source="s", statement="s", method="exact")(lambda **kw: proved("c", "f"))
    assert registry()["t.kwargs-mode"]().status == "proved"


def test_a_duplicate_id_from_another_module_is_an_error():
    from theorylab.claims import proved

    def first(mode="quick"):
        return proved("c", "f")

    def second(mode="quick"):
        return proved("c", "f")

    first.__module__, second.__module__ = "tests_claims_mod_a", "tests_claims_mod_b"
    check(id="t.duplicate-id", source="s", statement="s", method="exact")(first)
    check(id="t.duplicate-id", source="s", statement="s", method="exact")(first)  # same module: a re-run
    with pytest.raises(ClaimError, match="duplicate check id 't.duplicate-id'"):
        check(id="t.duplicate-id", source="s", statement="s", method="exact")(second)


PAPER = '''
from theorylab.claims import check, proved

FLOOR = "omega*eta/2"


@check(id="{tag}.paper-floor", source="s", statement="s", method="exact")
def floor(mode="quick"):
    return proved("floor", "ok")
'''

NEIGHBOUR = '''
from theorylab.claims import check, refuted

from {paper} import FLOOR


@check(id="{tag}.wrong-floor", source="s", statement="s", method="exact")
def wrong(mode="quick"):
    return refuted(FLOOR, "bad", counterexample={{"x": 1}})
'''


@pytest.mark.parametrize("order", ["paper first", "neighbour first"])
def test_a_claim_file_that_imports_a_neighbouring_claim_file(tmp_path, order, capsys):
    """``--from paper.py --from wrong.py`` where wrong.py does ``from paper import ...``: each
    check is declared once, in either order, in this process and in the parallel workers, and
    no message names an internal module."""
    from theorylab.cli.main import main

    tag = f"nb{abs(hash((str(tmp_path), order))) % 10**8}"
    paper, wrong = tmp_path / f"{tag}_paper.py", tmp_path / f"{tag}_wrong.py"
    paper.write_text(PAPER.format(tag=tag))
    wrong.write_text(NEIGHBOUR.format(tag=tag, paper=paper.stem))
    files = [paper, wrong] if order == "paper first" else [wrong, paper]
    loaded = {f.stem: [c.id for c in load_file(f)] for f in files}
    assert loaded == {paper.stem: [f"{tag}.paper-floor"], wrong.stem: [f"{tag}.wrong-floor"]}
    checks = [registry()[f"{tag}.paper-floor"], registry()[f"{tag}.wrong-floor"]]
    assert checks[0].origin == str(paper.resolve()) and checks[1].origin == str(wrong.resolve())
    res = run_checks(checks, jobs=2, progress=False)
    assert [r.verdict.status for r in res] == ["proved", "refuted"]
    capsys.readouterr()
    rc = main(["check", "--from", str(files[0]), "--from", str(files[1]), "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 1 and "1 proved" in out and "1 refuted" in out and "duplicate" not in err
    assert "theorylab_claims_file" not in out + err


def test_a_duplicate_id_in_two_claim_files_names_the_files_not_internal_modules(tmp_path):
    tag = f"dup{abs(hash(str(tmp_path))) % 10**8}"
    a, b = tmp_path / f"{tag}_a.py", tmp_path / f"{tag}_b.py"
    a.write_text(PAPER.format(tag=tag))
    b.write_text(PAPER.format(tag=tag))
    load_file(a)
    with pytest.raises(ClaimError, match="duplicate check id") as info:
        load_file(b)
    msg = str(info.value)
    assert "theorylab_claims_file" not in msg and str(a.resolve()) in msg and str(b.resolve()) in msg


def test_select_globs_and_substrings(claim_file):
    checks = load_file(claim_file)
    assert [c.id for c in select(checks, ["user.sq*"])] == ["user.square"]
    assert [c.id for c in select(checks, ["wrong"])] == ["user.wrong"]


def test_report_json_carries_the_evidence(claim_file):
    res = run_checks(load_file(claim_file), progress=False)
    js = json.loads(render(res, "json"))
    assert js["summary"]["proved"] == 1 and js["summary"]["refuted"] == 1
    assert js["results"][1]["counterexample"]["lhs"] != js["results"][1]["counterexample"]["rhs"]
    assert set(js["results"][0]) >= {"status", "test", "false_alarm", "tolerance", "claimed", "found"}


# --------------------------------------------------------------------------- layering
def _imports(path, top_level_only: bool) -> set[str]:
    import ast

    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add(("." * node.level) + (node.module or ""))
    return out


def test_the_library_never_imports_proofs_checks():
    """Only the CLI shell (``theorylab check``) reaches the source papers' checks."""
    import pathlib

    import theorylab

    root = pathlib.Path(theorylab.__file__).parent
    offenders = {str(p.relative_to(root)) for p in root.rglob("*.py") if "cli" not in p.parts
                 and any(m.startswith("proofs_checks") for m in _imports(p, top_level_only=False))}
    assert not offenders, offenders


def test_claims_import_other_layers_only_when_a_helper_runs():
    """So that symbolic and simulate can use Status and the band without an import cycle."""
    import pathlib

    import theorylab.claims

    root = pathlib.Path(theorylab.claims.__file__).parent
    for p in root.glob("*.py"):
        bad = {m for m in _imports(p, top_level_only=True) if m.startswith(("..simulate", "..symbolic",
                                                                            "..compressors", "theorylab.s"))}
        assert not bad, (p.name, bad)


# --------------------------------------------------------------------------- theorylab check --from
def test_cli_runs_a_users_claim_file(claim_file, tmp_path, capsys):
    from theorylab.cli.main import main

    out = tmp_path / "r.json"
    rc = main(["check", "--from", str(claim_file), "--format", "json", "--out", str(out), "--no-progress"])
    assert rc == 1  # a user's refuted claim fails the run
    js = json.loads(out.read_text())
    assert {r["id"]: r["status"] for r in js["results"]} == {"user.square": "proved", "user.wrong": "refuted"}
    capsys.readouterr()
    assert main(["check", "--from", str(claim_file), "--only", "user.sq*", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "user.square" in text and "user.wrong" not in text and "1 proved" in text
    assert main(["check", "--from", str(tmp_path / "nope.py")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["check", "--from", str(claim_file), "--only", "nothing-matches"]) == 2


def test_the_example_claim_file():
    """examples/claims/my_claims.py (the README's user claim file): its verdicts, and each claim
    refuted when a wrong version is fed through its keywords."""
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / "claims" / "my_claims.py"
    checks = {c.id: c for c in load_file(path)}
    got = {k: c().status for k, c in checks.items()}
    assert got == {"note.contraction": "proved", "note.gd-rate": "holds", "note.dsgd-level": "holds"}
    assert checks["note.contraction"](step_bound="2/L").status == "refuted"
    assert checks["note.gd-rate"](claimed="-1/2").status == "refuted"
    assert checks["note.gd-rate"](first=10).status == "inconclusive"  # curvature at small k
    assert checks["note.dsgd-level"](rtol=0.005).status == "refuted"  # the O(η) excess of the discrete method
