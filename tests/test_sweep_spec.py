"""Sweep specs, seeds and the store, without a cluster (fast)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from theorylab.cli.main import main
from theorylab.errors import SpecError
from theorylab.sweep import Store, load_spec, parse_spec
from theorylab.sweep.run import outcome_columns, run_cell
from theorylab.sweep.seeds import cell_key, cell_seed

from helpers_sweep import stored_once_problems, tiny_spec

GOOD = """
method = "dcsgd"
[fixed]
compressor = "randk:k=2"
dim = 4
steps = 50
replicas = 4
bound = true
[grid]
eta = [0.01, 0.02]
[zip]
agents = [2, 4]
batch = [1, 2]
"""


def test_grid_times_zip_and_argv_parsed_by_simulate() -> None:
    spec = parse_spec(GOOD)
    assert len(spec.cells) == 4 and spec.varying == ["eta", "agents", "batch"]
    assert [(c.params["eta"], c.params["agents"], c.params["batch"]) for c in spec.cells] == [
        (0.01, 2, 1), (0.01, 4, 2), (0.02, 2, 1), (0.02, 4, 2)]
    c = spec.cells[1]
    assert c.index == 2 and c.argv[0] == "dcsgd" and "--bound" in c.argv
    assert c.argv[c.argv.index("--seed") + 1] == str(c.seed)


def test_seed_depends_on_parameters_not_on_order() -> None:
    a = parse_spec(GOOD)
    b = parse_spec(GOOD.replace("eta = [0.01, 0.02]", "eta = [0.02, 0.01]"))  # other order
    c = parse_spec(GOOD.replace("method", "seed = 1\nmethod", 1))  # other base seed
    ka = {(x.params["eta"], x.params["agents"]): (x.key, x.seed) for x in a.cells}
    kb = {(x.params["eta"], x.params["agents"]): (x.key, x.seed) for x in b.cells}
    assert ka == kb
    assert len({x.seed for x in a.cells}) == 4
    assert not {x.seed for x in a.cells} & {x.seed for x in c.cells}
    # parsed values, not spellings: 0.010 and 1e-2 are the same cell; dim = 4.0 is dim = 4
    d = parse_spec(GOOD.replace("0.01,", "1e-2,").replace("dim = 4", "dim = 4.0"))
    assert [x.key for x in d.cells] == [x.key for x in a.cells]


def test_seed_is_a_seedsequence_of_the_hash() -> None:
    params = {"method": "dsgd", "eta": 0.01}
    s = cell_seed(params, 3)
    assert 0 <= s < 2**63 and s == cell_seed(dict(reversed(params.items())), 3)
    assert cell_key(params, 3) != cell_key(params, 4) and cell_seed(params, 3) != cell_seed(params, 4)
    # planted bug: a seed from np.random.default_rng(base) alone would be the same for every cell
    assert cell_seed({"method": "dsgd", "eta": 0.02}, 3) != s


@pytest.mark.parametrize("text, msg", [
    (GOOD.replace("dim = 4", "dimm = 4"), "unknown key `dimm`"),
    (GOOD.replace("dim = 4", "dim = \"four\""), "--dim must be a positive integer"),
    (GOOD.replace("dim = 4", "dim = 0"), "--dim must be a positive integer"),
    (GOOD.replace("eta = [0.01, 0.02]", "eta = []"), "[grid] eta is empty"),
    (GOOD.replace("batch = [1, 2]", "batch = [1]"), "equal lengths"),
    (GOOD.replace("bound = true", "bound = 3"), "`bound` is a flag"),
    (GOOD.replace("dim = 4", "seed = 4"), "derived per cell"),
    (GOOD.replace("dim = 4", "plot = \"x.png\""), "sweep plot"),
    (GOOD.replace("[grid]", "engine = \"exact\"\n[grid]"), "engine"),
    ("speed = 3\n" + GOOD, "unknown top-level key `speed`"),
    (GOOD.replace("eta = [0.01, 0.02]", "eta = [0.01, 0.01]"), "same options as cell 1"),
    (GOOD.replace("randk:k=2", "randkk:k=2"), "unknown compressor 'randkk'"),  # the CLI's own check, up front
    (GOOD.replace("agents = [2, 4]", "agents = [2, 0]"), "cell 2"),
    (GOOD.replace("eta = [0.01, 0.02]", "eta = 0.01"), "expected a list"),
    ("method = \"dcsgd\"\n[fixed\n", "invalid TOML"),
    (GOOD.replace("method = \"dcsgd\"", ""), "no method"),
])
def test_bad_specs_are_rejected_with_one_line(text: str, msg: str) -> None:
    with pytest.raises(SpecError) as exc:
        parse_spec(text, source="s.toml")
    assert msg in str(exc.value) and "\n" not in str(exc.value), str(exc.value)


def test_engine_exact_goes_into_every_cell() -> None:
    """`engine = "exact"` at the top is every cell's Experiment engine (and `--engine exact` in its argv)."""
    spec = parse_spec("engine = \"exact\"\n" + GOOD.replace("replicas = 4\n", ""))
    argv = spec.cells[0].argv
    assert argv[argv.index("--engine") + 1] == "exact" and spec.cells[0].params["engine"] == "exact"
    assert spec.cells[0].experiment.engine == "exact"


def test_flags_false_and_lists(tmp_path) -> None:
    text = """
[zip]
method = ["dsgd", "dcsgd"]
compressor = [false, "randk:k=2"]
label = ["reference", "compressed"]
[fixed]
dim = 4
agents = 2
sigma = [1.0, 2.0]
sde = false
"""
    spec = parse_spec(text)
    a, b = spec.cells
    assert "--compressor" not in a.argv and b.argv[b.argv.index("--compressor") + 1] == "randk:k=2"
    assert a.argv[a.argv.index("--sigma") + 1] == "1.0,2.0" and "--sde" not in a.argv
    assert a.label == "reference" and a.columns()["sigma"] == "1.0,2.0"


def test_a_cell_is_the_cli_with_the_same_options_and_seed(capsys) -> None:
    """run_cell (what a worker runs) gives the JSON of `theorylab simulate` with the cell's argv."""
    spec = parse_spec(GOOD)
    cell = spec.cells[3]
    out = run_cell(cell.task)
    assert out["status"] == "done" and out["error"] is None
    assert main(["simulate", *cell.argv]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert out["level"] == cli["stationary"]["value"] and out["bound"] == cli["bound"]["level"]
    assert out["ratio"] == cli["verdict"]["ratio"] and out["verdict"] == cli["verdict"]["status"]
    # planted bug: the neighbouring seed gives another level, so the comparison can fail
    assert run_cell({**cell.task, "seed": cell.seed + 1})["level"] != out["level"]


def test_a_failing_cell_is_a_failed_row() -> None:
    out = run_cell({"method": "dsgd", "dim": 4, "problem": "quadratic:mu=2,L=1", "steps": 5})
    assert out["status"] == "failed" and "mu <= L" in out["error"] and "\n" not in out["error"]
    assert out["level"] is None if "level" in out else True


def test_outcome_without_bound() -> None:
    out = outcome_columns({"stationary": {"value": 1.5, "lower": 1.0, "upper": 2.0, "warnings": ["w"]},
                           "warnings": [], "bound_error": "Delta <= 0", "divergence": {"diverged": False}})
    assert out["level"] == 1.5 and out["bound"] is None and out["ratio"] is None and out["verdict"] is None
    assert "bound not applicable: Delta <= 0" in out["warnings"]


def test_store_writes_atomically_once_and_reads_back(tmp_path) -> None:
    spec = load_spec(tiny_spec(tmp_path))
    store = Store(tmp_path / "st")
    store.prepare(spec, resume=False)
    fake = {"status": "done", "level": 1.0, "lower": 0.9, "upper": 1.1, "bound": 2.0, "ratio": 0.5,
            "verdict": "holds", "seconds": 0.1, "worker": "w", "theorylab_version": "x"}
    for c in spec.cells[:4]:
        store.write(c, fake)
    store.write(spec.cells[0], {**fake, "level": 3.0})  # a rerun replaces its own row
    store.write(spec.cells[4], {"status": "failed", "error": "boom"})
    st = store.status()
    assert (st["done"], st["failed"], st["pending"]) == (4, 1, 1)
    assert st["failures"][0]["error"] == "boom"
    table = store.read()
    assert table.num_rows == 5 and table.column("level").to_pylist()[0] == 3.0
    assert stored_once_problems(store, spec) == ["cell %s missing" % spec.cells[5].key]
    # a row truncated by a crash (power cut: rows are not fsynced) reads as pending, so --resume reruns it
    good = store.row_path(spec.cells[2].key).read_bytes()
    store.row_path(spec.cells[2].key).write_bytes(good[: len(good) // 2])
    st = store.status()
    assert (st["done"], st["pending"]) == (3, 2) and st["unreadable"] == [store.row_path(spec.cells[2].key).name]
    store.row_path(spec.cells[2].key).write_bytes(good)
    # planted bug: a duplicate row under another file name is caught by the exactly-once check
    (store.cells_dir / "dup.parquet").write_bytes(store.row_path(spec.cells[1].key).read_bytes())
    assert any("stored 2 times" in p for p in stored_once_problems(store, spec))


def test_store_refuses_a_second_sweep_without_resume_and_a_different_spec(tmp_path) -> None:
    spec = load_spec(tiny_spec(tmp_path))
    store = Store(tmp_path / "st")
    store.prepare(spec, resume=False)
    (store.cells_dir / ".abc.parquet.1.tmp").write_bytes(b"half")
    with pytest.raises(Exception, match="already holds a sweep"):
        store.prepare(spec, resume=False)
    store.prepare(spec, resume=True)
    assert not list(store.cells_dir.glob(".*.tmp"))  # a killed run's half-written temp file is removed
    other = load_spec(tiny_spec(tmp_path, agents="[2, 4]", name="other.toml"))
    with pytest.raises(Exception, match="different sweep"):
        store.prepare(other, resume=True)


def test_cli_errors_are_one_line_exit_2(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("dim = 4", "dimm = 4"))
    assert main(["sweep", "run", str(bad), "--store", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown key `dimm`" in err and not (tmp_path / "s").exists()
    assert main(["sweep", "status", str(tmp_path / "nowhere")]) == 2
    assert "not a sweep store" in capsys.readouterr().err
    assert main(["sweep", "run", str(tmp_path / "missing.toml"), "--store", str(tmp_path / "s")]) == 2
    assert "cannot read sweep spec" in capsys.readouterr().err


def test_table_and_plot_from_a_store(tmp_path, capsys) -> None:
    spec = load_spec(tiny_spec(tmp_path))
    store = Store(tmp_path / "st")
    store.prepare(spec, resume=False)
    rng = np.random.default_rng(0)
    for c in spec.cells:
        lvl = float(rng.uniform(0.5, 2))
        store.write(c, {"status": "done", "level": lvl, "lower": lvl - 0.1, "upper": lvl + 0.1, "bound": 1.0,
                        "ratio": lvl, "verdict": "holds" if lvl + 0.1 < 1 else "refuted" if lvl - 0.1 > 1 else
                        "inconclusive"})
    assert main(["sweep", "table", str(store.path)]) == 0
    md = capsys.readouterr().out
    assert md.splitlines()[0] == "| index | eta | agents | level | lower | upper | bound | ratio | verdict | status |"
    assert len(md.splitlines()) == 2 + 6
    out = tmp_path / "t.csv"
    assert main(["sweep", "table", str(store.path), "--format", "csv", "--out", str(out)]) == 0
    assert out.read_text().count("\n") == 7
    assert main(["sweep", "table", str(store.path), "--format", "json", "--where", "agents=4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["agents"] for r in data] == [4, 4]
    fig = tmp_path / "h.png"
    assert main(["sweep", "plot", str(store.path), "--x", "ETA", "--y", "AGENTS", "--value", "ratio",
                 "--out", str(fig)]) == 0
    assert fig.stat().st_size > 5000
    assert main(["sweep", "plot", str(store.path), "--x", "agents", "--value", "level", "--out",
                 str(tmp_path / "l.png")]) == 0
    assert main(["sweep", "plot", str(store.path), "--x", "agents", "--y", "dim"]) == 2
    assert "several cells" in capsys.readouterr().err
    assert main(["sweep", "plot", str(store.path), "--x", "nope"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err


BOUNDS = """
command = "bounds"
method = "dcsgd"
[fixed]
L = 1
mu = 1
d = 20
sigma = 1
B = 1
t = "inf"
[grid]
eta = [0.01, 1.0]
omega = [3, 9]
N = [2]
"""


def test_bounds_cells_equal_the_bounds_cli(capsys) -> None:
    spec = parse_spec(BOUNDS)
    assert [c.argv[0] for c in spec.cells] == ["dcsgd"] * 4 and spec.cells[0].params["t"] == float("inf")
    outs = [run_cell(c.task, "bounds") for c in spec.cells]
    for c, out in zip(spec.cells[:3], outs):
        assert main(["bounds", *c.argv]) == 0
        cli = json.loads(capsys.readouterr().out)["evaluation"]
        assert out["status"] == "done" and out["level"] == out["bound"] == cli["value"] == cli["level"]
    # eta = 1, omega = 9, N = 2: Delta = 1 - 9/4 < 0, Theorem 3's assumption fails: a failed cell, not a bad spec
    assert outs[3]["status"] == "failed" and "Delta" in outs[3]["error"]
    # the level grows with eta and omega (a wrong monotonicity would show here)
    assert outs[0]["level"] < outs[1]["level"] < outs[2]["level"]


@pytest.mark.parametrize("change, msg", [
    (("B = 1", "Q = 1"), "no symbol 'Q'"),
    (("method = \"dcsgd\"", "method = \"dcsgdd\""), "invalid choice"),
    (("B = 1", "format = \"text\""), "set by the sweep"),
])
def test_bad_bounds_specs(change, msg) -> None:
    with pytest.raises(SpecError, match=msg):
        parse_spec(BOUNDS.replace(*change))


def test_progress_bar_shows_done_total_failed_and_eta(capsys) -> None:
    from theorylab.sweep.run import _Bar

    bar = _Bar(True, total=5, completed=2)
    bar.advance(failed=1)
    bar.close()
    err = capsys.readouterr().err
    assert "3/5" in err and "1 failed" in err and "ETA" in err, err
    silent = _Bar(False, total=5, completed=0)
    silent.advance(0)
    silent.close()
    assert capsys.readouterr().err == ""


def test_cell_keys_and_seeds_are_those_of_earlier_stores() -> None:
    """Building cells as Experiments (not argv) keeps every key and seed: a store written before
    resumes. The values were computed by the argv-based spec; `false` ("not given") stays a parameter."""
    assert [(c.key, c.seed) for c in parse_spec(GOOD).cells] == [
        ("a0b7b8c56828b7b9", 4506557405556599939), ("ac9f800d10b52158", 7013099991800004953),
        ("736ef2fbca44a39b", 1544496418495155621), ("3950b20e0f2b40a2", 2336172034124228931)]
    text = ("[zip]\nmethod = [\"dsgd\", \"dcsgd\"]\ncompressor = [false, \"randk:k=2\"]\n"
            "label = [\"reference\", \"compressed\"]\n[fixed]\ndim = 4\nagents = 2\nsigma = [1.0, 2.0]\n"
            "sde = false\nburn-in = 0.25\n")
    assert [(c.key, c.seed) for c in parse_spec(text).cells] == [
        ("ca24e510add871f2", 4117372781564907642), ("f47030e806651c08", 7277296801949690696)]
