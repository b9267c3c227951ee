"""mypy on the library and the checks: no type errors.

Runs ``mypy theorylab proofs_checks --ignore-missing-imports`` (third-party packages without
stubs are not checked). A file not listed in ``KNOWN`` must have no error; a listed file exactly
its count: when you fix errors in a listed file, lower its count (or remove it), else the test
fails, so fixed errors stay fixed. Skipped when mypy is not installed. Takes about 20-40 s on 2 cores.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parent.parent

# known type errors per file (being fixed; every other file has none)
KNOWN: dict[str, int] = {}


def test_no_new_mypy_errors(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "theorylab", "proofs_checks", "--ignore-missing-imports", "--no-error-summary",
         "--cache-dir", str(tmp_path / "mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    if p.returncode not in (0, 1):
        pytest.fail(f"mypy did not run: {p.stderr.strip()[-500:]}")
    errors = [line for line in p.stdout.splitlines() if re.match(r"^[^:]+\.py:\d+: error:", line)]
    counts = collections.Counter(line.split(":", 1)[0].replace("\\", "/") for line in errors)
    new = {f: n for f, n in counts.items() if n > KNOWN.get(f, 0)}
    detail = "\n".join(line for line in errors if line.split(":", 1)[0].replace("\\", "/") in new)
    assert not new, f"new mypy errors (file: count, known {KNOWN}):\n{detail}"
    fixed = {f: counts.get(f, 0) for f, n in KNOWN.items() if counts.get(f, 0) < n}
    assert not fixed, f"fewer mypy errors than KNOWN (file: count now): lower KNOWN to {fixed}"


@pytest.mark.slow  # another 15-20 s of mypy; the ratchet above runs by default
def test_claims_package_is_strictly_typed(tmp_path: Path) -> None:
    """The public claim machinery passes ``mypy --strict`` (imported modules are not reported)."""
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "theorylab/claims", "--strict", "--ignore-missing-imports",
         "--follow-imports=silent", "--no-error-summary", "--cache-dir", str(tmp_path / "mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-500:]
