"""docs/architecture.md's table "Options and the tests that show their effect" covers every
option of every registered algorithm and of the exact engine, and every test it names exists."""

from __future__ import annotations

import ast
import pathlib
import re

from theorylab.simulate.algorithms import ALGORITHMS
from theorylab.simulate.exact import run as exact_run_module

ROOT = pathlib.Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| (?P<where>[^|]+?) \| (?P<option>[^|]+?) \| (?P<test>tests/[\w/.]+::\w+) \|$")


def _rows() -> list[tuple[set[str], str, str]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Options and the tests that show their effect", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        m = ROW.match(line.strip())
        if m:
            where = {w.strip() for w in m["where"].split(",")}
            option = m["option"].strip()
            opt = re.search(r"`([^`]+)`", option)
            rows.append((where, opt.group(1) if opt else option, m["test"]))
    return rows


def _tests_in(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test")}


def test_every_algorithm_and_exact_option_has_a_row() -> None:
    rows = _rows()
    assert rows, "the options table is missing from docs/architecture.md"
    covered = {(w, o) for where, o, _ in rows for w in where}
    builtin = {n: a for n, a in ALGORITHMS.items()  # not the algorithms other tests register at run time
               if type(a).__module__.startswith("theorylab.simulate.algorithms")}
    missing = [(name, opt) for name, alg in builtin.items() for opt in alg.options
               if (name, opt) not in covered]
    missing += [(f"exact {name}", opt) for name, opts in exact_run_module._OPTIONS.items() for opt in opts
                if (f"exact {name}", opt) not in covered]
    assert not missing, f"options without a test row in docs/architecture.md: {missing}"


def test_every_named_test_exists() -> None:
    bad = []
    for _, _, ref in _rows():
        path, name = ref.split("::")
        file = ROOT / path
        if not file.exists() or name not in _tests_in(file):
            bad.append(ref)
    assert not bad, f"the options table names tests that do not exist: {bad}"
