"""``theorylab check`` is the library's: installed packages register checks through the
entry-point group ``theorylab.checks`` (theorylab's own source papers among them), and a
third-party package, a claim file (``--from``) and the papers' checks run in one table."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import pytest

from theorylab.claims.plugins import ENTRY_POINT_GROUP, entry_points, installed_checks
from theorylab.cli.main import main

PAPER_CHECK = "lecture.tcc-algebra"  # a fast symbolic check of proofs_checks (about 0.5 s)


def _install_toy(root, name: str, entry_points_txt: str, modules: dict[str, str]) -> None:
    """A real installed distribution: ``NAME/`` plus ``NAME-0.1.dist-info`` (METADATA, entry_points.txt)
    in ``root``, which the caller puts on ``sys.path`` (importlib.metadata finds it there)."""
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for mod, text in modules.items():
        (pkg / f"{mod}.py").write_text(textwrap.dedent(text))
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points_txt)


TOY_CLAIMS = '''
    from theorylab.claims import check, identity

    @check(id="toy.square", source="a toy paper (2026), eq. (1)", statement="(a+b)^2 = a^2+2ab+b^2",
           method="symbolic")
    def square(mode="quick"):
        return identity("(a + b)**2", "a**2 + 2*a*b + b**2", symbols={"a": "real", "b": "real"})
'''

BROKEN = '''
    def made():
        return ["not a check"]
'''


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    _install_toy(root, "theorylab_toy_claims", f"[{ENTRY_POINT_GROUP}]\ntoy = theorylab_toy_claims\n",
                 {"claims": TOY_CLAIMS})
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    yield root
    sys.path.remove(str(root))
    importlib.invalidate_caches()


@pytest.fixture
def claim_file(tmp_path):
    f = tmp_path / "mine_claims_for_plugins.py"
    f.write_text(textwrap.dedent('''
        from theorylab.claims import check, identity

        @check(id="mine.cube", source="my note", statement="(a+b)^3 expands", method="symbolic")
        def cube(mode="quick"):
            return identity("(a + b)**3", "a**3 + 3*a**2*b + 3*a*b**2 + b**3", symbols={"a": "real", "b": "real"})
    '''))
    return f


def test_the_papers_and_the_toy_register_through_the_entry_point(toy) -> None:
    names = {ep.name: ep.value for ep in entry_points()}
    assert names.get("proofs_checks") == "proofs_checks.checks", "reinstall: pip install --no-deps -e ."
    assert names["toy"] == "theorylab_toy_claims"
    checks, failures = installed_checks(["toy.", PAPER_CHECK])
    assert [c.id for c in checks] == [PAPER_CHECK, "toy.square"] and not failures


def test_check_from_file_the_toy_and_the_papers_in_one_table(toy, claim_file, capsys) -> None:
    rc = main(["check", "--from", str(claim_file), "--installed", "--only", "toy.", "--only", "mine.",
               "--only", PAPER_CHECK, "--format", "json", "--no-progress"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["summary"]["total"] == 3
    assert {r["id"]: r["status"] for r in doc["results"]} == {"mine.cube": "proved", "toy.square": "proved",
                                                              PAPER_CHECK: "proved"}
    # the plain `theorylab check` table holds the toy beside the papers; --from alone holds only the file's
    assert main(["check", "--only", "toy.", "--only", PAPER_CHECK, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "toy.square" in out and PAPER_CHECK in out and "2 checks (quick)" in out
    assert main(["check", "--from", str(claim_file), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "mine.cube" in out and "toy.square" not in out and "1 checks (quick)" in out


def test_a_broken_plugin_is_an_error_row_not_a_crash(tmp_path, capsys, monkeypatch) -> None:
    """Planted bugs: an entry point naming a missing module, and one whose function returns no checks."""
    _install_toy(tmp_path, "theorylab_toy_broken",
                 f"[{ENTRY_POINT_GROUP}]\nbroken-a = theorylab_toy_missing_module\nbroken-b = theorylab_toy_broken.made:made\n",
                 {"made": BROKEN})
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    checks, failures = installed_checks([PAPER_CHECK])
    assert [c.id for c in checks] == [PAPER_CHECK]
    assert {f.module for f in failures} == {"theorylab_toy_missing_module",
                                            f"entry point broken-b = 'theorylab_toy_broken.made:made' ({ENTRY_POINT_GROUP})"}
    assert any("expected theorylab.claims.Check" in f.message for f in failures)
    rc = main(["check", "--list"])
    assert rc == 0 and PAPER_CHECK in capsys.readouterr().out


def test_installed_applies_with_from_only(capsys) -> None:
    assert main(["check", "--installed"]) == 2
    assert "--installed applies with --from" in capsys.readouterr().err


def test_no_installed_check_is_a_one_line_error(capsys, monkeypatch) -> None:
    import theorylab.cli.check as cc

    monkeypatch.setattr(cc, "collect", lambda only: ([], []))
    assert main(["check", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no check is installed" in err and ENTRY_POINT_GROUP in err
