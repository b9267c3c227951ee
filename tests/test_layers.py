"""The house: theorylab's rooms (top-level modules and subpackages) on floors, and no import that
runs from a lower floor to a higher one, function-level imports included.

A room may import a room on a lower floor, or one listed before it on its own floor (the
ground floor's ``verdicts`` imports ``errors``). The library never imports ``proofs_checks``
(the source papers' claims register through the ``theorylab.checks`` entry point). The floors
are the ones docs/architecture.md draws; a new room must be given a floor here and there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: floors from the ground up; on a floor, a room may import the rooms listed before it
FLOORS: tuple[tuple[str, ...], ...] = (
    ("theorylab", "errors", "verdicts"),   # __version__, the exceptions, the verdict vocabulary
    ("backend", "_numba"),                 # array modules and generators; compiled kernels
    ("compressors", "symbolic"),           # the catalogue; sympy SDEs, bounds, rules, classes
    ("simulate", "testing"),               # Monte Carlo, exact engine, Experiment; compressor property tests
    ("claims",),                           # claims as checks with verdicts
    ("sweep",),                            # grids of Experiments on dask
    ("cli", "__main__"),                   # the thin command-line shell
)
FORBIDDEN = ("proofs_checks",)


def _room(module: str) -> str:
    parts = module.split(".")
    return "theorylab" if len(parts) == 1 else parts[1]


def _module_name(path: Path, src: Path) -> tuple[str, str]:
    """(module, package it lives in) of a file under ``src``."""
    rel = path.relative_to(src).with_suffix("")
    mod = ".".join(rel.parts)
    if mod.endswith(".__init__"):
        mod = mod[: -len(".__init__")]
        return mod, mod
    return mod, mod.rsplit(".", 1)[0]


def _targets(node: ast.AST, package: str, src: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level == 0:
        base = node.module or ""
    else:
        parts = package.split(".")
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    out = []
    for alias in node.names:  # `from PKG import name`: the submodule PKG.name when it is one
        sub = f"{base}.{alias.name}"
        path = src / Path(*sub.split("."))
        out.append(sub if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file() else base)
    return out


def violations(src: Path) -> list[str]:
    """Every import in ``src/theorylab`` (any depth, inside functions too) that runs up or out."""
    floor = {room: (i, j) for i, rooms in enumerate(FLOORS) for j, room in enumerate(rooms)}
    found: list[str] = []
    for path in sorted((src / "theorylab").rglob("*.py")):
        module, package = _module_name(path, src)
        here = _room(module)
        if here not in floor:
            found.append(f"{module}: room {here!r} is on no floor (give it one in tests/test_layers.py)")
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _targets(node, package, src):
                top = target.split(".")[0]
                where = f"{path.relative_to(src)}:{getattr(node, 'lineno', '?')}"
                if top in FORBIDDEN:
                    found.append(f"{where}: {module} imports {target} (the library never imports {top})")
                if top != "theorylab":
                    continue
                there = _room(target)
                if there == here:
                    continue
                if there not in floor:
                    found.append(f"{where}: {module} imports {target}, a room on no floor")
                elif floor[there] >= floor[here]:
                    found.append(f"{where}: {module} (floor {floor[here][0]}) imports {target} "
                                 f"(floor {floor[there][0]}): an import that runs up")
    return found


def test_no_import_runs_up() -> None:
    assert violations(ROOT) == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


@pytest.mark.parametrize("rel, text, what", [
    # the arrow this issue removed: sweep reaching into the CLI, inside a function
    ("theorylab/sweep/spec.py", "def f():\n    from ..cli.simulate import inputs\n", "runs up"),
    # simulate taking Status from claims (relative, two levels)
    ("theorylab/simulate/verdict.py", "from ..claims.status import Status\n", "runs up"),
    # symbolic importing simulate, absolute, deep in a method
    ("theorylab/symbolic/bounds.py", "class B:\n    def m(self):\n        import theorylab.simulate.sde\n", "runs up"),
    # the ground floor importing anything above it
    ("theorylab/verdicts.py", "from .backend import get_xp\n", "runs up"),
    # a same-floor import in the wrong order
    ("theorylab/errors.py", "from . import verdicts\n", "runs up"),
    # the library importing the papers' package
    ("theorylab/cli/check.py", "def g():\n    from proofs_checks.cli import add_arguments\n", "never imports"),
    # a new room nobody placed
    ("theorylab/newroom.py", "x = 1\n", "on no floor"),
])
def test_a_planted_upward_import_is_caught(tmp_path: Path, rel: str, text: str, what: str) -> None:
    src = _plant(tmp_path, {"theorylab/__init__.py": "", "theorylab/errors.py": "", "theorylab/verdicts.py":
                            "from .errors import ClaimError\n", "theorylab/backend.py": "",
                            "theorylab/cli/__init__.py": "", "theorylab/sweep/__init__.py": "",
                            "theorylab/simulate/__init__.py": "", "theorylab/symbolic/__init__.py": "",
                            "theorylab/claims/__init__.py": "", "theorylab/claims/status.py": "",
                            "theorylab/cli/simulate.py": "def inputs(a):\n    pass\n"})
    assert violations(src) == []  # the clean little house passes
    _plant(src, {rel: text})
    found = violations(src)
    assert len(found) == 1 and what in found[0], found


def test_architecture_draws_these_floors() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    for i, rooms in enumerate(FLOORS):
        assert f"floor {i}: " + ", ".join(rooms) in doc, f"docs/architecture.md: floor {i} is not drawn as here"
