"""Fault injection on sweeps: a store that detects tampering, a lock, pending vs failed, timeouts.

The default suite runs the reduced form (a store written directly, an in-process cluster whose
scheduler is closed mid-run, a deadline of a fraction of a second); ``--runslow`` adds the full
cases of ``tools/sweep_faults.py`` on a real ``dask scheduler`` and two ``dask worker``
processes started here (scheduler, worker and client killed with SIGKILL, Ctrl-C, two runs on
one store, runaway cells, a relative FILE.py). Each tampering case is also a planted bug for
the verification: without the checksum / sweep id / name check the tampered row would be read
back as a normal result (asserted on the raw files).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from theorylab import _numba  # noqa: E402
from theorylab.cli.main import main  # noqa: E402
from theorylab.sweep import Store, load_spec, run_sweep  # noqa: E402
from theorylab.sweep.run import run_cell  # noqa: E402


def _task(argv: list[str]) -> dict:
    """The experiment of ``theorylab simulate ARGV`` as a sweep task (what a cell hands run_cell)."""
    from theorylab.cli.main import build_parser
    from theorylab.cli.simulate import experiment

    return experiment(build_parser().parse_args(["simulate", *argv])).to_dict()
from theorylab.sweep.store import StoreLocked  # noqa: E402

from helpers_sweep import tiny_spec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FAKE = {"status": "done", "level": 0.01675, "lower": 0.015, "upper": 0.018, "bound": 0.02, "ratio": 0.8375,
        "verdict": "holds", "seconds": 0.1, "worker": "w", "theorylab_version": "x"}


def _store(tmp_path: Path, name: str = "st", agents: str = "[2, 4]") -> tuple[Store, object]:
    spec = load_spec(tiny_spec(tmp_path, agents=agents, name=f"{name}.toml"))
    store = Store(tmp_path / name)
    store.prepare(spec, resume=False)
    for i, c in enumerate(spec.cells):
        store.write(c, {**FAKE, "level": FAKE["level"] * (i + 1)})
    return store, spec


def _raw_levels(store: Store) -> list[float]:
    """What a reader without verification sees (the planted bug: trust every file)."""
    out = []
    for f in store.files():
        try:
            out.append(pq.read_table(f).column("level")[0].as_py())
        except (OSError, pa.ArrowException):
            pass
    return out


def _problems(store: Store) -> list[str]:
    store.read()
    return [f"{p['file']}: {p['problem']}" for p in store.problems]


def test_a_clean_store_verifies(tmp_path, capsys) -> None:
    store, spec = _store(tmp_path)
    assert _problems(store) == [] and store.read().num_rows == len(spec.cells)
    assert main(["sweep", "verify", str(store.path)]) == 0
    assert ": ok; 4 cells: 4 done" in capsys.readouterr().out
    rows = store.read().to_pylist()
    assert {r["sweep_id"] for r in rows} == {store.sweep_id()} and all(len(r["checksum"]) == 64 for r in rows)


def test_a_flipped_bit_in_level_is_reported_and_excluded(tmp_path, capsys) -> None:
    store, spec = _store(tmp_path)
    f = store.row_path(spec.cells[0].key)
    raw = bytearray(f.read_bytes())
    i = raw.find(struct.pack("<d", FAKE["level"]))
    assert i >= 0
    raw[i + 6] ^= 0x40
    f.write_bytes(bytes(raw))
    assert FAKE["level"] not in _raw_levels(store)  # the raw file reads back as a normal, wrong number
    assert _problems(store) == [f"{f.name}: checksum mismatch: the row was altered after it was written"]
    st = store.status()
    assert (st["done"], st["pending"]) == (3, 1)  # --resume reruns it
    assert main(["sweep", "verify", str(store.path)]) == 1
    assert "checksum mismatch" in capsys.readouterr().out
    assert main(["sweep", "table", str(store.path), "--format", "json"]) == 0
    cap = capsys.readouterr()
    assert len(json.loads(cap.out)) == 3 and "1 row files" in cap.err and "excluded" in cap.err


def test_a_copied_row_and_rows_of_another_sweep_are_reported(tmp_path) -> None:
    store, spec = _store(tmp_path)
    other, _ = _store(tmp_path, "other", agents="[3, 5]")
    for g in other.files():
        (store.cells_dir / g.name).write_bytes(g.read_bytes())
    (store.cells_dir / "copy.parquet").write_bytes(store.files()[0].read_bytes())
    missing = spec.cells[3].key  # a copy under the name of a cell whose row was lost
    store.row_path(missing).write_bytes(store.row_path(spec.cells[1].key).read_bytes())
    assert len(_raw_levels(store)) == 9  # planted bug: nine "rows" for four cells
    probs = _problems(store)
    assert sum("a row of another sweep" in p for p in probs) == 4
    assert any(p.startswith("copy.parquet: not a row file") for p in probs)
    assert f"{missing}.parquet: the row of cell {spec.cells[1].key} stored under another name (a copy)" in probs
    assert len(probs) == 6
    st = store.status()
    assert (st["done"], st["pending"]) == (3, 1) and store.read().num_rows == 3
    with pytest.raises(Exception, match="not rows of a sweep"):  # a run refuses a cells/ with foreign files
        run_sweep(spec, store, resume=True, workers=1)


def test_junk_files_and_clashing_types_and_unreadable_rows(tmp_path) -> None:
    store, spec = _store(tmp_path)
    (store.cells_dir / "notes.txt").write_text("x")
    t = pq.read_table(store.row_path(spec.cells[0].key))
    t = t.set_column(t.column_names.index("level"), "level", pa.array(["0.01675"]))
    pq.write_table(t, store.row_path(spec.cells[0].key))
    b = store.row_path(spec.cells[1].key).read_bytes()
    store.row_path(spec.cells[1].key).write_bytes(b[: len(b) // 2])
    probs = _problems(store)
    assert "notes.txt: not a row file (a foreign file in cells/)" in probs
    assert f"{spec.cells[0].key}.parquet: column `level` is string, expected double" in probs
    assert any(p.startswith(f"{spec.cells[1].key}.parquet: unreadable") for p in probs) and len(probs) == 3
    assert store.read().num_rows == 2 and store.status()["pending"] == 2


def test_a_parameter_column_clash_is_excluded_not_an_internal_error(tmp_path) -> None:
    store, spec = _store(tmp_path)
    f = store.row_path(spec.cells[0].key)
    t = pq.read_table(f).drop_columns(["checksum"])
    t = t.set_column(t.column_names.index("eta"), "eta", pa.array([[1.0]]))  # a list where others hold a double
    from theorylab.sweep.store import row_checksum

    pq.write_table(t, f)
    t = pq.read_table(f)  # the checksum of what reads back (a list type's field name changes on the round trip)
    t = t.append_column("checksum", pa.array([row_checksum(t)]))
    pq.write_table(t, f)
    probs = _problems(store)
    assert len(probs) == 1 and "clashes with the other rows" in probs[0], probs
    assert store.read().num_rows == 3


def test_the_lock_names_its_holder_and_a_stale_lock_is_taken_over(tmp_path) -> None:
    store, spec = _store(tmp_path)
    store.lock()
    other = Store(store.path)
    with pytest.raises(StoreLocked, match=f"in use by pid {os.getpid()} on this host"):
        other.lock()
    with pytest.raises(StoreLocked):  # refused before any cluster starts
        run_sweep(spec, other, resume=True, scheduler="tcp://127.0.0.1:1")
    store.unlock()
    assert not store.lock_path.exists()
    # a lock left by a dead process of this host is stale
    store.lock_path.write_text(json.dumps({"host": socket.gethostname(), "pid": 2**22 + 12345, "started": "x"}))
    other.lock()
    assert json.loads(store.lock_path.read_text())["pid"] == os.getpid()
    other.unlock()
    # another host's lock cannot be checked: refused, naming it
    store.lock_path.write_text(json.dumps({"host": "elsewhere", "pid": 1, "started": "x"}))
    with pytest.raises(StoreLocked, match="pid 1 on host elsewhere"):
        other.lock()


def test_a_runaway_cell_is_stopped_by_its_timeout() -> None:
    argv = ["dcsgd", "--compressor", "randk:k=2", "--dim", "4", "--steps", str(10**9), "--replicas", "4",
            "--no-progress", "--format", "json"]
    t0 = time.monotonic()
    out = run_cell(_task(argv), timeout=0.5)
    assert time.monotonic() - t0 < 30
    assert out["status"] == "failed" and out["error"].startswith("timeout: the cell ran longer than 0.5 s")


def test_a_diverged_cell_has_its_own_status_and_rows_record_path_and_versions() -> None:
    argv = ["dcsgd", "--compressor", "randk:k=2", "--dim", "4", "--steps", "200", "--replicas", "4", "--eta", "5",
            "--no-progress", "--format", "json"]
    out = run_cell(_task(argv))
    assert out["status"] == "diverged" and out["diverged"] is True
    assert out["path"] == ("numba" if _numba.enabled() else "numpy")
    v = json.loads(out["versions"])
    assert v["numpy"] and "numba" in v and v["theorylab"]


@pytest.mark.skipif(not _numba.available(), reason="needs numba for the compiled path")
def test_one_cell_on_a_numba_and_a_numpy_worker_gives_the_same_row() -> None:
    argv = ["dcsgd", "--compressor", "randk:k=2", "--dim", "8", "--agents", "4", "--steps", "300", "--replicas",
            "30", "--eta", "0.02", "--seed", "12345", "--no-progress", "--format", "json", "--bound"]
    rows = []
    try:
        for flag in (True, False):
            _numba.use_numba(flag)
            rows.append(run_cell(_task(argv)))
    finally:
        _numba.use_numba(None)
    a, b = rows
    assert (a["path"], b["path"]) == ("numba", "numpy")
    assert (a["level"], a["lower"], a["upper"], a["verdict"]) == (b["level"], b["lower"], b["upper"], b["verdict"])


def test_scheduler_loss_leaves_cells_pending_and_the_run_says_incomplete(tmp_path) -> None:
    """Reduced form of the scheduler kill: an in-process cluster (threads) whose scheduler is closed
    while cells run. The lost cells are pending (not stored as failed); --resume completes them."""
    from distributed import LocalCluster

    spec = load_spec(tiny_spec(tmp_path, steps=100000, agents="[2]"))  # two long cells
    store = Store(tmp_path / "s")
    lc = LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None)
    try:
        out: list = []
        th = threading.Thread(target=lambda: out.append(run_sweep(spec, store, scheduler=lc.scheduler_address,
                                                                   progress=False, timeout=4)))
        th.start()
        end = time.monotonic() + 30
        while time.monotonic() < end and not (lc.scheduler.tasks and store.exists()):
            time.sleep(0.05)
        time.sleep(0.3)
        lc.loop.add_callback(lc.scheduler.close)  # the scheduler goes away mid-run
        th.join(timeout=90)
    finally:
        try:
            lc.close(timeout=2)  # its scheduler is gone: do not wait for a clean shutdown
        except Exception:  # noqa: BLE001
            pass
    assert out, "run_sweep did not return"
    summary = out[0]
    assert summary.failed == 0 and summary.pending_now + summary.done + summary.failed == 2
    assert summary.pending_now >= 1 and not summary.complete  # (planted bug: main stored them as failed)
    st = store.status()
    assert st["failed"] == 0 and st["pending"] == 2 - st["done"]
    assert not store.lock_path.exists()  # released on the way out


def test_run_exit_code_is_nonzero_while_cells_are_failed_or_pending(tmp_path, capsys) -> None:
    spec_path = tiny_spec(tmp_path, agents="[2]")
    spec = load_spec(spec_path)
    store = Store(tmp_path / "s")
    store.prepare(spec, resume=False)
    store.write(spec.cells[0], FAKE)
    store.write(spec.cells[1], {"status": "failed", "error": "boom"})
    # nothing to run (the failed cell is kept without --retry-failed): still incomplete
    assert main(["sweep", "run", str(spec_path), "--store", str(store.path), "--resume", "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "incomplete: 1 failed and 0 pending of 2 cells" in err


@pytest.mark.slow
@pytest.mark.parametrize("case", ["scheduler_kill", "worker_kill", "client_kill", "ctrl_c", "lock", "timeout",
                                  "stuck_cell", "relative_file", "junk_file", "big_grid", "diverged"])
def test_fault_injection_on_a_real_cluster(case) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import sweep_faults
    finally:
        sys.path.pop(0)
    r = sweep_faults.run_case(case, ROOT)
    assert r["ok"], r


def test_a_grid_over_the_cap_is_refused_before_expansion_and_progress_is_reported(tmp_path) -> None:
    from theorylab.errors import SpecError
    from theorylab.sweep import parse_spec

    text = tiny_spec(tmp_path, agents="[2, 4]").read_text()  # 4 cells
    with pytest.raises(SpecError, match=r"expands to 4 cells, more than the cap of 3; set `max_cells = 4`"):
        parse_spec("max_cells = 3\n" + text)
    seen: list = []
    spec = parse_spec("max_cells = 4\ntimeout = 2.5\n" + text, progress=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)] and spec.timeout == 2.5
    big = text.replace("eta = [0.01, 0.02]", f"eta = {[0.001 * (i + 1) for i in range(1000)]}").replace(
        "agents = [2, 4]", f"agents = {list(range(1, 101))}")
    t0 = time.monotonic()
    with pytest.raises(SpecError, match="100,000 cells"):
        parse_spec(big)
    assert time.monotonic() - t0 < 5  # refused before expanding (it took minutes and 400 MB before)
    with pytest.raises(SpecError, match="`timeout` must be a finite number > 0"):
        parse_spec("timeout = 0\n" + text)


def test_a_relative_user_file_is_resolved_at_load_and_checked_on_the_worker(tmp_path, monkeypatch) -> None:
    (tmp_path / "myprob.py").write_text("from theorylab.simulate.problems import quadratic\n\n"
                                        "def make():\n    return quadratic(4, 2)\n")
    (tmp_path / "f.toml").write_text('method = "dcsgd"\n[fixed]\nproblem = "myprob.py:make"\ncompressor = '
                                     '"randk:k=2"\nsteps = 50\nreplicas = 4\n[grid]\neta = [0.01, 0.02]\n')
    monkeypatch.chdir(tmp_path)
    spec = load_spec("f.toml")
    full = str(tmp_path / "myprob.py")
    cell = spec.cells[0]
    assert f"{full}:make" in cell.argv and set(cell.params["files"]) == {full}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a worker with another working directory
    assert run_cell(cell.task, files=cell.params["files"])["status"] == "done"
    (tmp_path / "myprob.py").write_text((tmp_path / "myprob.py").read_text() + "\n# edited\n")
    out = run_cell(cell.task, files=cell.params["files"])
    assert out["status"] == "failed" and "changed since the spec was loaded" in out["error"]
    (tmp_path / "myprob.py").unlink()
    out = run_cell(cell.task, files=cell.params["files"])
    assert out["status"] == "failed" and "does not exist on this worker" in out["error"]
