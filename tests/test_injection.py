"""No code from data: every string that reaches theorylab from a flag, a TOML file, a claim, a
problem or compressor spec, or the Python API is read by the safe reader (or by ``float``/
``int``), never run. Each payload below would create a file, open one or import a module if
it were evaluated; each is sent through every entry point, in an empty working directory,
and the test asserts that nothing was created, opened for writing, or imported.

``FILE.py:NAME`` (and ``MODULE:NAME`` for a compressor) is the one explicit way to run a
user's code; the payloads are not of that form.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import sys
from pathlib import Path

import pytest

MARK = "pwned"
EVIL = "theorylab_evil_probe"  # a module whose import creates a file (planted on sys.path below)

PAYLOADS = [
    f"__import__('pathlib').Path('{MARK}').touch() or 0.01",
    f"__import__('{EVIL}') or 1",
    f"open('{MARK}', 'w').close() or 1",
    f"eval(\"open('{MARK}', 'w')\")",
    f"exec('open(\"{MARK}\", \"w\")')",
    f"(lambda: __import__('os').system('touch {MARK}'))()",
    f"getattr(__import__('os'), 'system')('touch {MARK}')",
    "().__class__.__base__.__subclasses__()",
    f"Symbol('x').__class__.__init__.__globals__['os'].system('touch {MARK}')",
    f"[open('{MARK}', 'w') for _ in (1,)]",
    f"compile('open(\"{MARK}\", \"w\")', 'x', 'exec')",
    f"1; import os; os.system('touch {MARK}')",
    f"__builtins__['open']('{MARK}', 'w')",
    f"sympify(\"__import__('os').system('touch {MARK}')\")",
]


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """An empty cwd, a planted module that would leave a trace if imported, and a spy on
    ``open`` for writing: yields a function asserting that nothing happened."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / f"{EVIL}.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(lib))
    writes: list[str] = []
    real_open = builtins.open

    def spy(file, mode="r", *a, **k):
        if any(c in str(mode) for c in "wax+") and MARK in str(file):
            writes.append(str(file))
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", spy)
    sys.modules.pop(EVIL, None)

    def clean() -> None:
        assert EVIL not in sys.modules, "the payload imported a module"
        assert not (tmp_path / "imported").exists(), "the payload imported a module"
        assert not writes, f"the payload opened {writes} for writing"
        assert sorted(p.name for p in work.iterdir()) == [], f"the payload created {list(work.iterdir())}"

    yield clean
    sys.modules.pop(EVIL, None)


def _main(argv: list[str]) -> int:
    from theorylab.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert "Traceback" not in err.getvalue()
    return code


def _refused(f) -> None:
    """``f()`` must fail with a theorylab error (or, for a number-valued field, be refused)."""
    from theorylab.errors import TheorylabError

    with pytest.raises(TheorylabError):
        f()


def _toml(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def via_bounds_cli(p: str) -> None:
    assert _main(["bounds", "dcsgd", "--at", f"eta={p}"]) == 2


def via_bounds_cli_json(p: str) -> None:
    assert _main(["bounds", "dsgd", "--format", "json", "--at", f"t={p}"]) == 2


def via_simulate_flags(p: str) -> None:
    assert _main(["simulate", "dsgd", "--eta", p, "--steps", "5", "--replicas", "2"]) == 2
    assert _main(["simulate", "dsgd", "--sigma", p, "--steps", "5", "--replicas", "2"]) == 2


def via_problem_spec_cli(p: str) -> None:
    assert _main(["simulate", "dsgd", "--problem", f"quadratic:mu={p}", "--steps", "5", "--replicas", "2"]) == 2


def via_compressor_spec_cli(p: str) -> None:
    assert _main(["simulate", "dcsgd", "--compressor", f"randk:k={p}", "--steps", "5", "--replicas", "2"]) == 2
    assert _main(["compressors", "check", f"randk:k={p}"]) == 2


def via_noise_spec_cli(p: str) -> None:
    assert _main(["simulate", "dsgd", "--noise", f"student-t:nu={p}", "--steps", "5", "--replicas", "2"]) == 2


def via_sweep_bounds_toml(p: str) -> None:
    from theorylab.sweep import parse_spec

    _refused(lambda: parse_spec(f'command = "bounds"\nmethod = "dcsgd"\n[fixed]\neta = "{_toml(p)}"\n'))


def via_sweep_bounds_cell(p: str) -> None:
    from theorylab.sweep.run import run_cell

    out = run_cell(["dcsgd", "--at", f"eta={p}", "--format", "json"], "bounds")
    assert "error" in str(out).lower()


def via_sweep_simulate_toml(p: str) -> None:
    from theorylab.sweep import parse_spec

    for key, val in (("eta", p), ("problem", f"quadratic:mu={p}"), ("compressor", f"randk:k={p}")):
        _refused(lambda: parse_spec(f'method = "dcsgd"\n[fixed]\n{key} = "{_toml(val)}"\n'))


def via_problem_spec_api(p: str) -> None:
    from theorylab.simulate import problem_from_spec

    _refused(lambda: problem_from_spec(f"quadratic:mu=1,L={p}", 4, 2))


def via_compressor_spec_api(p: str) -> None:
    from theorylab.compressors import from_spec, load_user_compressor

    _refused(lambda: from_spec(f"randk:k={p}"))
    _refused(lambda: load_user_compressor(f"topk:k={p}"))


def via_bound_api(p: str) -> None:
    from theorylab.symbolic import get_bound, parse_value

    _refused(lambda: get_bound("dcsgd").evaluate(eta=p, t="inf"))
    _refused(lambda: parse_value(p))


def via_sde_api(p: str) -> None:
    from theorylab.symbolic import get_sde

    _refused(lambda: get_sde("dsgd").lambdify(eta=p))


def via_classes_api(p: str) -> None:
    from theorylab.symbolic.classes import U, Contractive, _term

    _refused(lambda: U(p))
    _refused(lambda: Contractive(p))
    _refused(lambda: _term(p, {"lower": 1}))


def via_claims_values(p: str) -> None:
    from theorylab.claims import bound_function

    _refused(lambda: bound_function("eta*t", values={"eta": p}))


def via_claim_string(p: str) -> None:
    from theorylab.claims import identity, inequality

    _refused(lambda: inequality(p, "<=", "1"))
    _refused(lambda: identity(p, "0"))


ENTRY_POINTS = [via_bounds_cli, via_bounds_cli_json, via_simulate_flags, via_problem_spec_cli,
                via_compressor_spec_cli, via_noise_spec_cli, via_sweep_bounds_toml, via_sweep_bounds_cell,
                via_sweep_simulate_toml, via_problem_spec_api, via_compressor_spec_api, via_bound_api,
                via_sde_api, via_classes_api, via_claims_values, via_claim_string]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_never_run(entry, payload, sandbox) -> None:
    try:
        entry(payload)
    finally:
        sandbox()


def test_the_sandbox_sees_a_payload_that_runs(sandbox) -> None:
    """Planted bug: evaluating a payload (what ``sympify`` does) is caught by the sandbox."""
    import sympy as sp

    sp.sympify(PAYLOADS[0])  # safe: the planted bug itself
    with pytest.raises(AssertionError, match="opened|created"):
        sandbox()
    os.remove(MARK)
    sp.sympify(PAYLOADS[1])  # safe: the planted bug itself
    with pytest.raises(AssertionError, match="imported"):
        sandbox()


def test_file_spec_is_the_explicit_way_to_run_code(tmp_path, monkeypatch) -> None:
    """``FILE.py:NAME`` runs the file (documented): the contrast to the payloads above."""
    monkeypatch.chdir(tmp_path)
    Path("mine.py").write_text("open('ran', 'w').close()\n"
                               "def C(x, rng=None):\n    return x\n")
    from theorylab.compressors import load_user_compressor

    load_user_compressor("mine.py:C")
    assert Path("ran").exists()
