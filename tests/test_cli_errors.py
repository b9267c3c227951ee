"""What a new user hits (issue 14): every bad input is one line on stderr, no traceback, and
the documented exit status (0 holds, 1 refuted, 2 usage or contract error, 3 internal error,
130 interrupted, 141 broken pipe); short runs are inconclusive, never "violated".

Most cases run in-process through :func:`theorylab.cli.main.main` (fast); broken pipes and
Ctrl-C need a real process and run through ``python -m theorylab``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from theorylab.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _one_line_error(err: str, *fragments: str) -> None:
    """``err`` is exactly one line ``theorylab: error: ...`` containing every fragment."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("theorylab"), err
    assert ": error: " in lines[0], err
    for f in fragments:
        assert f in lines[0], (f, err)


def _subprocess(*argv: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("THEORYLAB_TRACEBACK", None)
    return subprocess.Popen([sys.executable, "-m", "theorylab", *argv], env=env, cwd=kw.pop("cwd", ROOT),
                            stdout=kw.pop("stdout", subprocess.PIPE), stderr=subprocess.PIPE, text=True, **kw)


# ----------------------------------------------------------------------------- short runs


@pytest.mark.parametrize("argv", [
    ["dcsgd", "--compressor", "randk:k=5", "--steps", "1"],
    ["dcsgd", "--compressor", "randk:k=5", "--steps", "2"],
    ["dcsgd", "--compressor", "randk:k=5", "--steps", "4"],
    ["dcsgd", "--compressor", "randk:k=5", "--steps", "6"],
    ["dsignsgd", "--steps", "1"],
])
def test_short_run_is_inconclusive_never_violated(capsys, argv) -> None:
    # Before the fix: a kept stretch of < 4 blocks skipped the drift test and counted as
    # stationary, so a transient at the initial gap (~10) was compared with the level (~0.05).
    rc, out, _ = _run(capsys, "simulate", *argv, "--replicas", "10", "--bound", "--format", "json")
    data = json.loads(out)
    assert rc == 0
    assert data["stationary"]["stationary"] is False
    assert data["verdict"]["status"] == "inconclusive"
    assert any("too short to reach stationarity" in w for w in data["stationary"]["warnings"])


@pytest.mark.parametrize("steps, stationary", [(1, False), (3, False), (6, False), (400, True)])
def test_stationary_flag_needs_enough_blocks(steps, stationary) -> None:
    """The library's estimate, not the CLI: a handful of steps is never declared stationary,
    while a long run started near its stationary level is (the flag can be True)."""
    from theorylab.simulate import gaussian, quadratic, simulate

    sim = simulate("dsgd", quadratic(d=4, n_agents=2, x0=0.0), gaussian(1.0), eta=0.1, steps=steps, replicas=20,
                   seed=1, bound=True)
    assert sim.level.stationary is stationary, sim.level.warnings
    if not stationary:
        assert sim.verdict.status == "inconclusive"


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("argv, fragments", [
    (["simulate", "dsgd", "--seed", "-1"], ["--seed", ">= 0"]),
    (["simulate", "dsgd", "--ell", "B"], ["--ell", "dsignsgd"]),
    (["simulate", "dsignsgd", "--ell", "B"], ["--ell", "without --bound"]),
    (["simulate", "dsignsgd", "--bound", "--radius", "2"], ["--radius", "--ell B"]),
    (["simulate", "dsgd", "--scheme", "richardson"], ["--scheme", "--sde"]),
    (["simulate", "dsgd", "--substeps", "4"], ["--substeps", "--sde"]),
    (["simulate", "dsgd", "--steps", "nope"], ["--steps", "positive integer"]),
    (["simulate", "nosuchmethod"], ["unknown method", "expected one of"]),
    (["simulate", "dsgd", "--plot", "no/such/dir/p.png"], ["--plot", "does not exist"]),
    (["simulate", "dsgd", "--plot", "."], ["--plot", "is a directory"]),
    (["simulate", "dsgd", "--plot", ""], ["--plot", "empty"]),
    (["simulate", "dsgd", "--plot", "fig.xyz"], ["--plot", ".xyz"]),
])
def test_simulate_bad_input_one_line(capsys, argv, fragments) -> None:
    rc, out, err = _run(capsys, *argv, "--steps", "5", "--replicas", "2") if "--steps" not in argv else \
        _run(capsys, *argv)
    assert rc == 2, (out, err)
    _one_line_error(err, *fragments)
    assert out == ""  # nothing was simulated: the path and options are checked first


def test_check_compressor_negative_seed_is_a_library_error() -> None:
    from theorylab.compressors import from_spec
    from theorylab.errors import InvalidParameterError
    from theorylab.testing import check_compressor

    with pytest.raises(InvalidParameterError, match="seed must be an integer >= 0"):
        check_compressor(from_spec("randk:k=2"), 8, seed=-1)


def test_simulate_library_negative_seed_is_a_library_error() -> None:
    from theorylab.errors import InvalidParameterError
    from theorylab.simulate import gaussian, quadratic, simulate

    with pytest.raises(InvalidParameterError, match="seed must be an integer >= 0"):
        simulate("dsgd", quadratic(mu=1, L=1, d=2, n_agents=1), gaussian(1.0), eta=0.1, steps=3, replicas=2, seed=-1)


def test_compressors_check_negative_seed(capsys) -> None:
    rc, out, err = _run(capsys, "compressors", "check", "randk:k=2", "--dim", "8", "--seed", "-1")
    assert rc == 2
    _one_line_error(err, "seed", ">= 0")


def test_plot_failure_keeps_the_printed_results(capsys, tmp_path, monkeypatch) -> None:
    # the path is fine up front, but saving fails (e.g. the disk filled up in between)
    import theorylab.simulate.plot as plot

    def boom(sim, path):  # noqa: ARG001
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plot, "plot_simulation", boom)
    rc, out, err = _run(capsys, "simulate", "dsgd", "--steps", "20", "--replicas", "5", "--plot",
                        str(tmp_path / "p.png"))
    assert rc == 2
    assert "stationary level" in out and "final mean gap" in out
    _one_line_error(err, "--plot", "No space left", "results above are complete")


def test_unexpected_exception_is_one_line_internal_error(capsys, monkeypatch) -> None:
    import theorylab.cli.symbolic as cs

    def bug(args):  # noqa: ARG001
        raise ZeroDivisionError("planted bug")

    monkeypatch.setattr(cs, "_cmd_sde", bug)
    monkeypatch.delenv("THEORYLAB_TRACEBACK", raising=False)
    rc = main(["sde", "dsgd"])
    err = capsys.readouterr().err
    assert rc == 3
    _one_line_error(err, "internal error", "ZeroDivisionError", "planted bug", "THEORYLAB_TRACEBACK")


def test_usage_errors_are_one_line(capsys) -> None:
    for argv in (["nosuchcommand"], ["bounds"], ["simulate", "dsgd", "--dim"], ["check", "--jobs", "x"]):
        rc, _, err = _run(capsys, *argv)
        assert rc == 2, argv
        _one_line_error(err, "--help")


# ----------------------------------------------------------------------------- processes


@pytest.mark.parametrize("argv", [
    ["compressors", "list", "--dim", "8"],
    ["bounds", "dcsgd", "--format", "latex"],
])
def test_broken_pipe_is_silent_exit_141(argv) -> None:
    # `theorylab ... | head -0`: the reader is gone before the first write
    r, w = os.pipe()
    os.close(r)
    p = _subprocess(*argv, stdout=w)
    os.close(w)
    _, err = p.communicate(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
    assert err == "" and p.returncode == 141, (p.returncode, err)


# ----------------------------------------------------------------------------- symbolic commands

AT = ["eta=0.01", "L=1", "mu=1", "sigma=1", "B=1", "omega=3", "t=inf"]


@pytest.mark.parametrize("argv, fragments", [
    (["regenerate", "--out", ""], ["--out", "empty"]),
    (["regenerate", "--out", "no/such/parent/dir"], ["--out", "does not exist"]),
    (["bounds", "dcsgd", "--at", "d=2.5", "N=4", *AT], ["d must be an integer", "2.5"]),
    (["bounds", "dcsgd", "--at", "d=2", "N=4.5", *AT], ["N must be an integer", "4.5"]),
    (["bounds", "dcsgd", "--at", "d=2", "N=9/2", *AT], ["N must be an integer"]),
    (["bounds", "dcsgd", "--ell", "B"], ["--ell", "dsignsgd", "dcsgd"]),
    (["bounds", "sgd", "--ell", "free"], ["--ell"]),
    (["bounds", "dcsgd", "--standalone"], ["--standalone", "latex"]),
    (["sde", "dsgd", "--agents", "0"], ["--agents", "positive integer"]),
    (["check", "--jobs", "-1"], ["--jobs", ">= 0"]),
    (["check", "--list", "--out", "r.txt"], ["--out", "--list"]),
    (["check", "--only", ""], ["--only", "non-empty"]),
    (["check", "--only", "no-such-check-xyz"], ["no check id matches no-such-check-xyz", "--list"]),
    (["check", "--wide", "--format", "json"], ["--wide", "JSON"]),
])
def test_symbolic_and_check_bad_input_one_line(capsys, argv, fragments, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rc, out, err = _run(capsys, *argv)
    assert rc == 2, (out, err)
    _one_line_error(err, *fragments)
    assert out == "" and list(tmp_path.iterdir()) == []  # nothing written, not even into the cwd


def test_regenerate_out_is_an_existing_file(capsys, tmp_path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("keep me")
    rc, _, err = _run(capsys, "regenerate", "--out", str(f))
    assert rc == 2 and f.read_text() == "keep me"
    _one_line_error(err, "--out", "not a directory")


@pytest.mark.parametrize("command", ["regenerate", "check", "plot"])
def test_read_only_output_is_refused_before_the_work(capsys, command, tmp_path, monkeypatch) -> None:
    """A read-only file system (EROFS on the first write), simulated: the probe write fails."""
    import errno
    import tempfile

    def erofs(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", erofs)
    monkeypatch.setattr(Path, "mkdir", lambda self, *a, **k: erofs())
    argv = {"regenerate": ["regenerate", "--out", str(tmp_path / "sub")],
            "check": ["check", "--only", "no-such-check-id-xyz", "--out", str(tmp_path / "r.txt")],
            "plot": ["simulate", "dsgd", "--steps", "5", "--replicas", "2", "--plot", str(tmp_path / "p.png")]}[command]
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == ""
    _one_line_error(err, "--out" if command != "plot" else "--plot", "Read-only file system")
    assert list(tmp_path.iterdir()) == []


def test_regenerate_writes_into_a_new_directory(capsys, tmp_path, monkeypatch) -> None:
    import importlib

    render = importlib.import_module("theorylab.symbolic.render")  # the module (the package re-exports a function)
    seen = []
    monkeypatch.setattr(render, "regenerate", lambda out: seen.append(out) or [])  # the CLI part only
    rc, out, _ = _run(capsys, "regenerate", "--out", str(tmp_path / "new"))
    assert rc == 0 and "wrote 0 files" in out
    assert seen == [tmp_path / "new"] and (tmp_path / "new").is_dir()


def test_bounds_json_has_one_shape(capsys) -> None:
    rc, out, _ = _run(capsys, "bounds", "dcsgd", "--format", "json")
    plain = json.loads(out)
    rc2, out2, _ = _run(capsys, "bounds", "dcsgd", "--format", "json", "--at", "d=20", "N=4", *AT)
    evaluated = json.loads(out2)
    assert rc == rc2 == 0
    ev = evaluated.pop("evaluation")
    assert evaluated == plain  # the same document, plus "evaluation"
    assert ev["asymptotic"] is True and ev["at"]["d"] == "20"
    # Theorem 3's level at these values: (eta L d/(4 mu N)) (sigma^2/B)(1 + omega)/Delta, Delta = 1 - 3 eta/8
    assert ev["value"] == pytest.approx(0.01 * 20 / 16 * 4 / (1 - 0.03 / 8), rel=1e-12)


def test_bounds_ell_still_works_where_it_applies(capsys) -> None:
    rc, out, _ = _run(capsys, "bounds", "dsignsgd", "--ell", "B")
    assert rc == 0 and "candidate B" in out


# ----------------------------------------------------------------------------- LaTeX

# macros of LaTeX, amsmath and amssymb that the writers may use; anything else would not compile
_KNOWN_MACROS = set(r"""
\documentclass \usepackage \title \date \begin \end \maketitle \paragraph \noindent \item \textbf \text
\quad \left \right \frac \sqrt \sum \infty \geq \leq \ge \le \sim \preceq \nabla \operatorname \mathcal
\mathbb \hline \textbackslash \Delta \Sigma \Xi \alpha \beta \gamma \delta \zeta \eta \kappa \lambda \mu
\nu \omega \sigma \ell \varpi \cdot \infty \in \log \exp \min \max \pi \neq \lt \gt \operatorname
\mathrm \qquad \cdots \ldots \dots \times \sign \operatorname \erf \uparrow \downarrow \Rightarrow \to
\le \ge \ne \approx \varepsilon \xi \rho \tau \varphi \surd \lesssim
""".split())


def _latex_sane(tex: str) -> None:
    import re

    assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}"), "unbalanced braces"
    begins = re.findall(r"\\begin\{(\w+\*?)\}", tex)
    ends = re.findall(r"\\end\{(\w+\*?)\}", tex)
    assert sorted(begins) == sorted(ends), (begins, ends)
    macros = set(re.findall(r"\\[A-Za-z]+", tex))
    assert macros <= _KNOWN_MACROS, macros - _KNOWN_MACROS
    # pdflatex with inputenc reads Latin letters; Unicode mathematics (λ, ↑, ∈, ²) stops it
    odd = {ch for ch in tex if ord(ch) > 127 and not (ch.isalpha() and ord(ch) < 0x250) and ch != "§"}
    assert not odd, f"characters pdflatex cannot read: {sorted(odd)}"
    assert "$$" not in tex, "adjacent inline maths read as display maths"


def test_latex_renders_assumptions_and_delta_as_mathematics(capsys) -> None:
    rc, out, _ = _run(capsys, "bounds", "dcsgd", "--format", "latex")
    assert rc == 0
    # Delta as a paper writes it, not "- \frac{...}{...} + 1"
    assert r"\Delta = 1 - \frac{L^{2} \eta \omega}{2 N \mu}" in out
    assert r"+ 1 \\" not in out and r"- \frac{L^{2} \eta \omega}{2 N \mu} + 1" not in out
    # assumptions as mathematics, not escaped ASCII
    assert r"\^{}" not in out and "||grad" not in out and "grad f" not in out and "omega\\_i" not in out
    assert r"\varpi = \frac{1}{N}\sum_i \omega_i" in out  # the notes too
    assert r"\|\nabla f(x)\|^2 \ge 2\mu\,(f(x) - f^*)" in out
    assert r"\item $\eta > 0$" in out and r"\item $\Delta > 0$, where $\Delta = 1 - \frac" in out
    _latex_sane(out)


@pytest.mark.parametrize("argv", [
    ["bounds", "dcsgd"], ["bounds", "dsignsgd", "--ell", "B"], ["bounds", "signsgd"], ["sde", "dcsgd"],
    ["sde", "dsignsgd"], ["rules", "dcsgd"],
])
def test_standalone_latex_is_a_complete_document(capsys, argv) -> None:
    rc, out, _ = _run(capsys, *argv, "--format", "latex", "--standalone")
    assert rc == 0
    assert out.startswith(r"\documentclass") and out.rstrip().endswith(r"\end{document}")
    assert r"\usepackage{amsmath,amssymb}" in out and out.count(r"\begin{document}") == 1
    _latex_sane(out)


def test_planted_latex_defects_are_caught() -> None:
    """The sanity check refutes what would not compile."""
    with pytest.raises(AssertionError, match="unbalanced"):
        _latex_sane(r"\frac{a}{b")
    with pytest.raises(AssertionError):
        _latex_sane(r"\begin{align*} x")
    with pytest.raises(AssertionError):
        _latex_sane(r"$\notamacro x$")
    with pytest.raises(AssertionError, match="cannot read"):
        _latex_sane("CR ↑ ⇒ Agents ↑")
    with pytest.raises(AssertionError, match="display"):
        _latex_sane(r"$\lambda$$^2$")


def test_latex_text_escapes_unicode_mathematics() -> None:
    from theorylab.symbolic.render import _tex

    assert _tex("λC ∈ B1(λ²α, λβ)") == r"$\lambda$C $\in$ B1($\lambda ^2 \alpha$, $\lambda \beta$)"
    assert _tex("x_1 ↑ ⇒ 50%") == r"x\_1 $\uparrow$ $\Rightarrow$ 50\%"
    _latex_sane(_tex("Horváth, MATH §2: λ²α ↑ ⇒ ω ∈ U(ω)"))


# ----------------------------------------------------------------------------- substitution by name


def test_bound_substitutes_by_name_and_foreign_symbols() -> None:
    import sympy as sp

    from theorylab.symbolic import get_bound, symbol

    b = get_bound("dcsgd")
    foreign = sp.symbols("omega")  # no assumptions: not the library's (non-negative) omega
    assert foreign != symbol("omega")
    assert b.level.subs(foreign, 3) == b.level  # why this matters: plain sympy changes nothing
    by_symbol = b.subs({foreign: 3}, part="level")
    by_name = b.subs(omega=3, part="level")
    assert by_symbol == by_name == b.level.subs(symbol("omega"), 3)
    assert "omega" not in {s.name for s in by_name.free_symbols}
    vals = dict(eta=0.01, L=1, mu=1, d=20, N=4, sigma=1, B=1, t="inf")
    assert b.evaluate({foreign: 3}, **vals) == b.evaluate(omega=3, **vals)


def test_bound_subs_rejects_unknown_names_and_duplicates() -> None:
    import sympy as sp

    from theorylab.errors import InvalidParameterError
    from theorylab.symbolic import get_bound

    b = get_bound("dcsgd")
    with pytest.raises(InvalidParameterError, match="no symbol 'omga'"):
        b.subs(omga=3)
    with pytest.raises(InvalidParameterError, match="twice"):
        b.subs({sp.Symbol("omega"): 1}, omega=2)
    with pytest.raises(InvalidParameterError, match="part"):
        b.subs(omega=1, part="nonsense")


def test_bound_evaluate_rejects_non_integer_dimension() -> None:
    from theorylab.errors import InvalidParameterError
    from theorylab.symbolic import get_bound

    vals = dict(eta=0.01, L=1, mu=1, sigma=1, B=1, omega=3, t="inf")
    with pytest.raises(InvalidParameterError, match="d must be an integer"):
        get_bound("dcsgd").evaluate(d=2.5, N=4, **vals)
    assert get_bound("dcsgd").evaluate(d=2.0, N=4, **vals) > 0  # an integral float is an integer


# ----------------------------------------------------------------------------- theorylab check


def _fake_checks():
    from proofs_checks import Check
    from proofs_checks.verdict import holds, proved

    def ok(mode="quick"):
        return proved("c", "f", numbers={"difference": 0})

    def long_numbers(mode="quick"):
        nums = {f"quantity_{i}": 1234.5678 + i for i in range(12)}
        return holds("c", "f", numbers=nums, confidence=0.99)

    def ctrl_c(mode="quick"):
        raise KeyboardInterrupt

    src = "Compagnoni, Islamov, Proske, Lucchi (AISTATS 2025), a long source name that the table would cut"
    return [Check("t.ok", src, "stmt", "expr", "symbolic", ok),
            Check("t.numbers", src, "stmt", "expr", "exact", long_numbers),
            Check("t.ctrl-c", src, "stmt", "expr", "exact", ctrl_c),
            Check("t.never", src, "stmt", "expr", "exact", ok)]


@pytest.fixture
def fake_checks(monkeypatch):
    from theorylab.claims import select
    from theorylab.cli import check as cli_check

    checks = _fake_checks()
    monkeypatch.setattr(cli_check, "collect", lambda only: (select(checks, only), []))
    return checks


def test_check_ctrl_c_prints_the_verdicts_finished_so_far(capsys, fake_checks, tmp_path) -> None:
    out_file = tmp_path / "report.txt"
    rc, out, err = _run(capsys, "check", "--no-progress", "--out", str(out_file))
    assert rc == 130
    assert "t.ok" in out and "t.numbers" in out and "t.never" not in out  # finished rows kept, later ones not run
    assert "2 checks (quick)" in out
    assert out_file.read_text() == out  # --out keeps them too
    assert len(err.strip().splitlines()) == 1 and "interrupted after 2 of 4 checks" in err


def test_check_wide_never_cuts_cells(capsys, fake_checks) -> None:
    rc, out, _ = _run(capsys, "check", "--only", "t.numbers", "--no-progress")
    assert rc == 0 and "…" in out and "quantity_11" not in out  # the default table cuts, and says so
    assert "--wide prints them whole" in out and out.rstrip().splitlines()[-1].startswith("1 checks")
    rc, out, _ = _run(capsys, "check", "--only", "t.numbers", "--no-progress", "--wide")
    assert rc == 0 and "…" not in out and "quantity_11=1246" in out and "a long source name that the table" in out


def test_check_progress_lines_on_stderr_and_summary(capsys, fake_checks, monkeypatch) -> None:
    rc, out, err = _run(capsys, "check", "--only", "t.ok", "--only", "t.numbers", "--progress")
    assert rc == 0
    assert err.splitlines() == [l for l in err.splitlines() if l.startswith("[")]  # progress only, on stderr
    assert err.splitlines()[0].startswith("[1/2] t.ok: proved") and err.splitlines()[1].startswith("[2/2] t.numbers")
    assert "[1/2]" not in out and out.rstrip().splitlines()[-1].startswith("2 checks (quick)")  # summary last, alone
    # stdout redirected while a user watches stderr: the summary line is printed there too
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    rc, out, err = _run(capsys, "check", "--only", "t.ok", "--no-progress")
    assert rc == 0 and err.strip().startswith("1 checks (quick): 1 proved")


def test_check_out_is_checked_before_the_checks_run(capsys, fake_checks, tmp_path, monkeypatch) -> None:
    from theorylab.cli import check as cli_check

    ran = []
    monkeypatch.setattr(cli_check, "run_checks", lambda *a, **k: ran.append(a) or [])
    rc, out, err = _run(capsys, "check", "--only", "t.ok", "--out", str(tmp_path / "missing" / "r.txt"))
    assert rc == 2 and out == "" and not ran
    _one_line_error(err, "--out", "does not exist")
    rc, out, err = _run(capsys, "check", "--only", "t.ok", "--out", str(tmp_path))
    assert rc == 2 and out == ""
    _one_line_error(err, "--out", "is a directory")


def test_simulate_ctrl_c_stops_cleanly() -> None:
    p = _subprocess("simulate", "dsgd", "--steps", "100000000", "--replicas", "2", "--dim", "2", "--no-progress")
    time.sleep(6)  # imports and the start of the run (an earlier Ctrl-C exits the same way); then Ctrl-C
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, (p.returncode, err)
    assert "Traceback" not in err and err.strip() == "theorylab: error: interrupted", err


# ----------------------------------------------------------------------------- compressors and modules


def test_unicode_compressor_name_is_read_whole(capsys) -> None:
    for argv in (["compressors", "check", "ränd:k=5", "--dim", "8"],
                 ["simulate", "dcsgd", "--compressor", "ränd:k=5", "--steps", "5", "--replicas", "2"]):
        rc, out, err = _run(capsys, *argv)
        assert rc == 2 and out == ""
        _one_line_error(err, "unknown compressor 'ränd'")


def test_unicode_module_attribute_is_imported(capsys, tmp_path, monkeypatch) -> None:
    (tmp_path / "mymod_uni.py").write_text('from theorylab.compressors import from_spec\nünï = from_spec("randk:k=2")\n',
                                           encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    rc, out, err = _run(capsys, "compressors", "check", "mymod_uni:ünï", "--dim", "8")
    assert rc == 0, err
    assert "randk" in out and "1/1 compressors hold" in out


def test_cannot_import_says_how_modules_are_found(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rc, out, err = _run(capsys, "compressors", "check", "nosuchmod_xyz:ünï", "--dim", "8")
    assert rc == 2
    _one_line_error(err, "cannot import module 'nosuchmod_xyz'", "sys.path", str(tmp_path), "PYTHONPATH", "FILE.py:NAME")


def test_no_claims_names_the_command_line_flags(capsys, tmp_path, monkeypatch) -> None:
    (tmp_path / "fnmod_uni.py").write_text("def ident(x, rng):\n    return x\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    rc, out, _ = _run(capsys, "compressors", "check", "fnmod_uni:ident", "--dim", "8")
    assert rc == 0 and "no claims to check" in out and "--omega" in out and "omega=" not in out


# ----------------------------------------------------------------------------- documentation


def _doc_commands() -> list[tuple[str, str]]:
    """``(file, command line)`` for every ``theorylab ...`` line of the README's bash blocks."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            cmd = cmd.split("#")[0].split(">")[0].strip()
            if cmd.startswith("theorylab "):
                out.append(("README.md", cmd))
    return out


@pytest.mark.parametrize("where, cmd", _doc_commands())
def test_readme_commands_parse(where, cmd) -> None:
    import shlex

    from theorylab.cli.main import UsageError, build_parser

    try:
        build_parser().parse_args(shlex.split(cmd)[1:])
    except UsageError as exc:  # pragma: no cover - the failure message
        pytest.fail(f"{where}: {cmd!r} does not parse: {exc}")


def test_readme_figure_command_does_not_overwrite_the_tracked_figure() -> None:
    for _, cmd in _doc_commands():
        assert "--plot docs/" not in cmd, cmd


def test_docs_name_only_existing_commands() -> None:
    """Notebooks and READMEs mention `theorylab COMMAND` only for commands that exist."""
    import re

    from theorylab.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")  # noqa: SLF001
    commands = set(sub.choices)
    files = [ROOT / "README.md", ROOT / "notebooks" / "README.md", *sorted((ROOT / "notebooks").glob("*.ipynb"))]
    for f in files:
        for word in re.findall(r"`theorylab ([a-z][a-z-]*)", f.read_text(encoding="utf-8")):
            assert word in commands, f"{f.name} mentions `theorylab {word}`, which does not exist"


def test_sde_lambdify_rejects_non_integer_dimension_and_agents() -> None:
    from theorylab.errors import InvalidParameterError
    from theorylab.symbolic import get_sde

    s = get_sde("dcsgd")
    common = dict(eta=0.01, sigma=1, B=1, omega=3)
    with pytest.raises(InvalidParameterError, match="d must be an integer"):
        s.lambdify(d=2.5, N=4, **common)
    with pytest.raises(InvalidParameterError, match="N must be an integer"):
        s.lambdify(d=2, N=4.5, **common)
    s.lambdify(d=2.0, N=4, **common)  # integral values pass


@pytest.mark.slow
def test_check_ctrl_c_with_worker_processes_stops_them() -> None:
    """Ctrl-C with --jobs 2: workers ignore SIGINT, the parent stops them, exit 130 within seconds."""
    p = _subprocess("check", "--jobs", "2", "--only", "poster.*", "--no-progress")
    time.sleep(25)
    p.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert time.monotonic() - t0 < 30  # the running checks are not waited for
    assert "Traceback" not in err and "interrupted after" in err and "checks (quick)" in out


def test_readme_symbolic_python_block_runs(capsys) -> None:
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    blocks = [b for b in blocks if "get_bound" in b]  # the symbolic API (check_compressor's block is slow)
    assert blocks and any("symbol(" in b for b in blocks)
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    capsys.readouterr()
