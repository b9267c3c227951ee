"""`theorylab sweep` on a real dask.distributed LocalCluster (2 worker processes).

One cluster for the module; each worker computes one tiny cell first so that the
per-process cost (imports, sympy lambdify of the bound) is paid once. The worker-kill test
runs last because the killed worker comes back cold.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import theorylab  # noqa: E402
from theorylab.cli.main import main  # noqa: E402
from theorylab.sweep import Store, load_spec, run_sweep  # noqa: E402
from theorylab.sweep.run import run_cell  # noqa: E402

from helpers_sweep import stored_once_problems, tiny_spec  # noqa: E402

WARM = {"method": "dcsgd", "compressor": "randk:k=2", "dim": 4, "steps": 20, "replicas": 4, "bound": True}
ROOT = Path(__file__).resolve().parents[1]


def _warm() -> str:
    run_cell(WARM)
    return theorylab.__file__


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as lc, Client(lc) as client:
        files = client.run(_warm)  # also: the workers import this tree's theorylab
        assert set(files.values()) == {theorylab.__file__}
        yield lc.scheduler_address, client


def _transitions(client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter)


def test_a_spec_with_an_error_is_rejected_before_any_task(cluster, tmp_path, capsys) -> None:
    addr, client = cluster
    bad = tiny_spec(tmp_path, agents="[2, 4, 0]")  # cells 3 and 6 have N = 0
    before = _transitions(client)
    assert main(["sweep", "run", str(bad), "--store", str(tmp_path / "s"), "--scheduler", addr]) == 2
    err = capsys.readouterr().err
    assert "cell 3" in err and "--agents" in err and err.count("\n") == 1, err
    assert _transitions(client) == before and not (tmp_path / "s").exists()


def test_six_cells_equal_six_serial_simulate_calls(cluster, tmp_path, capsys) -> None:
    addr, _ = cluster
    spec_path = tiny_spec(tmp_path)
    store = Store(tmp_path / "store")
    assert main(["sweep", "run", str(spec_path), "--store", str(store.path), "--scheduler", addr]) == 0
    capsys.readouterr()
    spec = load_spec(spec_path)
    assert len(spec.cells) == 6 and stored_once_problems(store, spec) == []
    rows = {r["key"]: r for r in store.read().to_pylist()}
    assert {r["status"] for r in rows.values()} == {"done"}
    assert {r["theorylab_version"] for r in rows.values()} == {theorylab.__version__}
    assert all(r["worker"].startswith("tcp://") for r in rows.values())
    for cell in spec.cells:
        assert main(["simulate", *cell.argv]) == 0
        cli = json.loads(capsys.readouterr().out)
        r = rows[cell.key]
        assert (r["level"], r["lower"], r["upper"]) == (cli["stationary"]["value"], cli["stationary"]["lower"],
                                                         cli["stationary"]["upper"]), cell.describe()
        assert r["bound"] == cli["bound"]["level"] and r["verdict"] == cli["verdict"]["status"]
        assert r["seed"] == cli["seed"] == cell.seed
    assert main(["sweep", "status", str(store.path)]) == 0
    assert "6 cells: 6 done, 0 failed, 0 pending" in capsys.readouterr().out


def test_resume_after_a_partial_run_reruns_nothing(cluster, tmp_path) -> None:
    addr, _ = cluster
    spec = load_spec(tiny_spec(tmp_path))
    store = Store(tmp_path / "store")
    store.prepare(spec, resume=False)
    for c in spec.cells[:2]:  # a run that stopped after two cells
        store.write(c, run_cell(c.task))
    before = {c.key: store.row_path(c.key).read_bytes() for c in spec.cells[:2]}
    with pytest.raises(Exception, match="already holds a sweep"):
        run_sweep(spec, store, scheduler=addr)
    summary = run_sweep(spec, store, scheduler=addr, resume=True)
    assert (summary.skipped, summary.done, summary.failed) == (2, 4, 0)
    assert {k: store.row_path(k).read_bytes() for k in before} == before  # not rerun, not rewritten
    assert stored_once_problems(store, spec) == []
    again = run_sweep(spec, store, scheduler=addr, resume=True)
    assert (again.skipped, again.done) == (6, 0)


def test_a_failing_cell_is_recorded_and_the_sweep_goes_on(cluster, tmp_path, capsys) -> None:
    addr, _ = cluster
    spec_path = tmp_path / "f.toml"
    # Top-k on the exact engine fails inside the run (the moments find it outside the linear class);
    # a cell bound to fail that the spec check can see (k = 3 > d = 2) is refused before anything runs
    spec_path.write_text('method = "dcsgd"\nengine = "exact"\n[fixed]\nsteps = 20\ndim = 4\n'
                         '[grid]\ncompressor = ["randk:k=1", "topk:k=1"]\n')
    store = Store(tmp_path / "store")
    assert main(["sweep", "run", str(spec_path), "--store", str(store.path), "--scheduler", addr]) == 1
    st = store.status()
    assert (st["done"], st["failed"], st["pending"]) == (1, 1, 0)
    assert "outside the exact engine's linear class" in st["failures"][0]["error"]
    capsys.readouterr()
    assert main(["sweep", "status", str(store.path)]) == 0
    assert "outside the exact engine's linear class" in capsys.readouterr().out
    early = tmp_path / "k.toml"
    early.write_text('method = "dcsgd"\n[fixed]\nsteps = 20\ncompressor = "randk:k=3"\n[grid]\ndim = [2, 4]\n')
    assert main(["sweep", "run", str(early), "--store", str(tmp_path / "k"), "--scheduler", addr]) == 2
    assert "k = 3 must be <= d = 2" in capsys.readouterr().err and not (tmp_path / "k").exists()


def _group_gone(pgid: int, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_sweep_killed_with_sigkill_resumes_with_every_cell_stored_once(cluster, tmp_path) -> None:
    addr, _ = cluster
    spec_path = tiny_spec(tmp_path, steps=600, agents="[2, 3, 4, 5]")  # 8 cells of a few tenths of a second
    spec = load_spec(spec_path)
    store = Store(tmp_path / "store")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "theorylab", "sweep", "run", str(spec_path), "--store",
                             str(store.path), "--workers", "2"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 180
        while time.monotonic() < end and not store.files() and proc.poll() is None:
            time.sleep(0.05)
        n_at_kill = len(store.files())
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the client, its LocalCluster and the workers: all of the group
        proc.wait()
    assert _group_gone(proc.pid)
    assert 1 <= n_at_kill < len(spec.cells), f"killed with {n_at_kill} of {len(spec.cells)} cells stored"
    stored_before = {p.name for p in store.files()}
    summary = run_sweep(spec, store, scheduler=addr, resume=True)
    assert summary.skipped == len(stored_before) and summary.done == len(spec.cells) - len(stored_before)
    assert stored_once_problems(store, spec) == []
    assert {r["status"] for r in store.read().to_pylist()} == {"done"}


def test_a_worker_killed_mid_sweep_loses_nothing(cluster, tmp_path) -> None:
    addr, client = cluster
    spec = load_spec(tiny_spec(tmp_path, steps=1000))
    store = Store(tmp_path / "store")
    out: list = []
    th = threading.Thread(target=lambda: out.append(run_sweep(spec, store, scheduler=addr)))
    th.start()
    victim = None
    end = time.monotonic() + 60
    while victim is None and time.monotonic() < end:
        busy = [w for w, keys in client.processing().items() if any(str(k).startswith("theorylab-cell") for k in keys)]
        if busy and not store.files():
            victim = busy[0]
        time.sleep(0.02)
    assert victim is not None, "no worker was running a cell"
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)  # the nanny restarts it; its running cell goes to the other worker
    th.join(timeout=180)
    assert not th.is_alive() and out, "the sweep did not finish"
    summary = out[0]
    assert (summary.done, summary.failed) == (len(spec.cells), 0)
    assert stored_once_problems(store, spec) == []
    rows = store.read().to_pylist()
    assert {r["status"] for r in rows} == {"done"}
    assert victim not in {r["worker"] for r in rows}  # the cell it was running finished elsewhere
