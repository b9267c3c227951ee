"""Fault injection on ``theorylab sweep``: each case breaks something and reports what the sweep did.

    python tools/sweep_faults.py [--tree DIR] [--cases a,b,...] [--json FILE]

``--tree`` is the theorylab source tree to test (default: this checkout); the sweep, the
``dask scheduler`` and the ``dask worker`` processes run with ``PYTHONPATH=DIR``, so the same
script measures an older tree ("before") and this one ("after"). Only the command line and the
store's files are used, so the cases work on any version (a case that needs a feature a tree
does not have reports what that tree did instead).

Each case returns ``{"case", "outcome", "ok"}``: ``ok`` means no cell lost, duplicated or
silently wrong, an exit code that says whether the sweep is complete, and every tampered row
reported. The cluster cases start a real ``dask scheduler`` and two ``dask worker`` processes
(``python -m distributed.cli.dask_scheduler`` / ``dask_worker``) and kill them with SIGKILL.
``tests/test_sweep_faults.py`` runs these cases (the cluster ones behind ``--runslow``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

SPEC = """
method = "dcsgd"
seed = 3
{extra}
[fixed]
compressor = "randk:k=2"
dim = 4
steps = {steps}
replicas = 20
bound = true
[grid]
eta = [0.01, 0.02]
agents = {agents}
"""


class Env:
    """Where a case runs: the tree under test, a scratch directory and the processes it started."""

    def __init__(self, tree: Path, tmp: Path) -> None:
        self.tree, self.tmp = Path(tree), Path(tmp)
        self.procs: list[subprocess.Popen] = []

    def env(self, **extra: str) -> dict[str, str]:
        e = {**os.environ, "PYTHONPATH": str(self.tree), **extra}
        e.pop("THEORYLAB_NUMBA", None) if "THEORYLAB_NUMBA" not in extra else None
        return e

    def spec(self, name: str = "spec.toml", steps: int = 400, agents: str = "[2, 3, 4, 5]", extra: str = "") -> Path:
        p = self.tmp / name
        p.write_text(SPEC.format(steps=steps, agents=agents, extra=extra))
        return p

    def popen(self, args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
              **kw: Any) -> subprocess.Popen:
        p = subprocess.Popen(args, cwd=cwd or self.tmp, env=env or self.env(), start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def theorylab(self, *args: str, timeout: float = 300, env: dict[str, str] | None = None,
                  cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([PY, "-m", "theorylab", *args], cwd=cwd or self.tmp, env=env or self.env(),
                              capture_output=True, text=True, timeout=timeout)

    def sweep_bg(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return self.popen([PY, "-m", "theorylab", "sweep", "run", *args], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)

    # -- a real dask cluster ---------------------------------------------------------------
    def cluster(self, workers: int = 2, nanny: bool = True, cwd: Path | None = None) -> str:
        sf = self.tmp / f"scheduler-{len(self.procs)}.json"
        self.scheduler = self.popen([PY, "-m", "distributed.cli.dask_scheduler", "--scheduler-file", str(sf),
                                     "--port", "0", "--no-dashboard"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        end = time.monotonic() + 60
        while not sf.exists() and time.monotonic() < end:
            time.sleep(0.1)
        addr = json.loads(sf.read_text())["address"]
        self.workers = [self.popen([PY, "-m", "distributed.cli.dask_worker", addr, "--nthreads", "1",
                                    "--no-dashboard", *([] if nanny else ["--no-nanny"])], cwd=cwd,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        self.wait_workers(addr, workers)
        return addr

    def wait_workers(self, addr: str, n: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(addr, timeout="30s") as c:
            c.wait_for_workers(n, timeout=timeout)

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            p.wait()


# -- reading a store without theorylab (works for every version) ------------------------------
def store_rows(store: Path) -> list[dict[str, Any]]:
    """Every ``*.parquet`` file of ``store/cells`` that reads: {file, key, status, level, error}."""
    import pyarrow.parquet as pq

    out = []
    for f in sorted((store / "cells").glob("*.parquet")):
        try:
            t = pq.read_table(f).to_pylist()[0]
        except Exception:  # noqa: BLE001
            continue
        out.append({"file": f.name, "key": t.get("key"), "status": t.get("status"), "level": t.get("level"),
                    "error": t.get("error")})
    return out


def manifest_keys(store: Path) -> list[str]:
    return [c["key"] for c in json.loads((store / "sweep.json").read_text())["cells"]]


def once(store: Path) -> tuple[int, int, int]:
    """(cells stored exactly once, cells missing, cells stored more than once) among the manifest's."""
    keys = manifest_keys(store)
    counts = Counter(r["key"] for r in store_rows(store))
    return (sum(counts[k] == 1 for k in keys), sum(counts[k] == 0 for k in keys), sum(counts[k] > 1 for k in keys))


def statuses(store: Path) -> Counter:
    return Counter(r["status"] for r in store_rows(store))


def wait_rows(store: Path, n: int, proc: subprocess.Popen | None = None, timeout: float = 180) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        k = len(list((store / "cells").glob("*.parquet"))) if (store / "cells").is_dir() else 0
        if k >= n or (proc is not None and proc.poll() is not None):
            return k
        time.sleep(0.05)
    return -1


def table_json(e: Env, store: Path) -> tuple[int, list[dict], str]:
    r = e.theorylab("sweep", "table", str(store), "--format", "json", "--all")
    try:
        rows = json.loads(r.stdout) if r.returncode == 0 else []
    except ValueError:
        rows = []
    return r.returncode, rows, r.stderr.strip()


def verify(e: Env, store: Path) -> tuple[int, str]:
    r = e.theorylab("sweep", "verify", str(store))
    return r.returncode, (r.stdout + r.stderr).strip()


# -- the cases ----------------------------------------------------------------------------------
_TEMPLATES: dict[tuple, Path] = {}


def _complete_store(e: Env, name: str = "s", **kw: Any) -> tuple[Path, Path]:
    """A finished store of ``e.spec(**kw)`` (run once per tree and spec, then copied)."""
    import shutil

    spec = e.spec(**kw)
    store = e.tmp / name
    key = (str(e.tree), json.dumps(kw, sort_keys=True))
    if key not in _TEMPLATES or not _TEMPLATES[key].is_dir():
        r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--workers", "1")
        assert r.returncode == 0, r.stderr
        tpl = Path(tempfile.mkdtemp(prefix="fault-template-")) / "s"
        shutil.copytree(store, tpl)
        _TEMPLATES[key] = tpl
    else:
        shutil.copytree(_TEMPLATES[key], store)
    return spec, store


def case_scheduler_kill(e: Env) -> dict:
    """SIGKILL the scheduler mid-run, then --resume on a new scheduler."""
    addr = e.cluster()
    spec, store = e.spec(steps=3000, agents="[2, 3, 4, 5, 6, 7]"), e.tmp / "s"
    p = e.sweep_bg(str(spec), "--store", str(store), "--scheduler", addr)
    n = wait_rows(store, 2, p)
    os.kill(e.scheduler.pid, signal.SIGKILL)
    for w in e.workers:
        os.killpg(w.pid, signal.SIGKILL)
    try:
        out, err = p.communicate(timeout=120)
        rc1 = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        rc1 = "hung (killed after 120 s)"
    st1 = statuses(store)
    addr2 = e.cluster()
    r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--scheduler", addr2, "--resume")
    st2, (ok1, miss, dup) = statuses(store), once(store)
    total = len(manifest_keys(store))
    ok = (st1.get("failed", 0) == 0 and rc1 not in (0,) and r.returncode == 0 and st2.get("done") == total
          and (ok1, miss, dup) == (total, 0, 0))
    return {"case": "scheduler kill -9 mid-run, then --resume",
            "outcome": f"killed at {n} rows; run exit {rc1}, stored {dict(st1)}; resume exit {r.returncode}, "
                       f"stored {dict(st2)} of {total} ({miss} missing, {dup} duplicated)", "ok": ok}


def _worker_kill(e: Env, nanny: bool) -> dict:
    addr = e.cluster(nanny=nanny)
    spec, store = e.spec(steps=2000), e.tmp / "s"
    p = e.sweep_bg(str(spec), "--store", str(store), "--scheduler", addr)
    wait_rows(store, 1, p)
    victim = e.workers[0]
    os.killpg(victim.pid, signal.SIGKILL)  # the worker (and its nanny)
    out, err = p.communicate(timeout=300)
    total = len(manifest_keys(store))
    st, (ok1, miss, dup) = statuses(store), once(store)
    ok = p.returncode == 0 and st.get("done") == total and (miss, dup) == (0, 0)
    return {"case": f"worker kill -9 mid-run ({'with' if nanny else 'without'} nanny)",
            "outcome": f"exit {p.returncode}; stored {dict(st)} of {total} ({miss} missing, {dup} duplicated)",
            "ok": ok}


def case_worker_kill(e: Env) -> dict:
    return _worker_kill(e, nanny=False)


def case_client_kill(e: Env) -> dict:
    """SIGKILL the client mid-run (real scheduler): resume completes, every cell once."""
    addr = e.cluster()
    spec, store = e.spec(steps=2000), e.tmp / "s"
    p = e.sweep_bg(str(spec), "--store", str(store), "--scheduler", addr)
    n = wait_rows(store, 2, p)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    lock = (store / "lock").exists()
    r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--scheduler", addr, "--resume")
    total = len(manifest_keys(store))
    st, (ok1, miss, dup) = statuses(store), once(store)
    ok = r.returncode == 0 and st.get("done") == total and (miss, dup) == (0, 0)
    return {"case": "client kill -9 mid-run, then --resume",
            "outcome": f"killed at {n} rows{' (stale lock left)' if lock else ''}; resume exit {r.returncode}: "
                       f"{dict(st)} of {total} ({miss} missing, {dup} duplicated)", "ok": ok}


def case_ctrl_c(e: Env) -> dict:
    """SIGINT to the client's process group (a terminal's Ctrl-C) on a LocalCluster."""
    spec, store = e.spec(steps=3000), e.tmp / "s"
    p = e.sweep_bg(str(spec), "--store", str(store), "--workers", "2")
    n = wait_rows(store, 1, p)
    os.killpg(p.pid, signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("sweep: ")]
    kept = len(store_rows(store))
    ok = len(lines) <= 1 and kept >= n and p.returncode != 0
    return {"case": "Ctrl-C (SIGINT to the process group)",
            "outcome": f"exit {p.returncode}; {len(lines)} lines on stderr; {kept} finished rows kept "
                       f"(first: {lines[0][:90] if lines else ''!r})", "ok": ok}


def _tamper(e: Env, name: str, fn: Callable[[Path, list[Path]], str]) -> dict:
    spec, store = _complete_store(e, agents="[2, 3]")
    files = sorted((store / "cells").glob("*.parquet"))
    before = {r["key"]: r for r in store_rows(store)}
    what = fn(store, files)
    rc, rows, err = table_json(e, store)
    vrc, vout = verify(e, store)
    st = e.theorylab("sweep", "status", str(store))
    shown = {(r.get("key"), r.get("level")) for r in rows}
    wrong = [r for r in rows if r.get("key") in before and r.get("level") != before[r["key"]]["level"]]
    extra = len(rows) - len({r.get("key") for r in rows})
    foreign = [r for r in rows if r.get("key") not in before]
    reported = ("excluded" in err or "warning" in err) or (vrc == 1 and "problem" in vout)
    silently_wrong = bool(wrong or extra or foreign) or (rc != 0 and not reported)
    ok = not silently_wrong and reported
    return {"case": name, "outcome": f"{what}; table exit {rc}, {len(rows)} rows ({len(wrong)} wrong, {extra} "
                                     f"duplicated, {len(foreign)} foreign) {'warned' if 'warning' in err else 'no warning'}"
                                     f"{' [' + err.splitlines()[-1][:80] + ']' if err and rc else ''}; verify exit "
                                     f"{vrc}{' (no such command)' if vrc == 2 and 'invalid choice' in vout else ''}; "
                                     f"status: {st.stdout.strip().splitlines()[0] if st.stdout.strip() else st.stderr.strip()[:80]}",
            "ok": ok, "shown": len(shown)}


def _flip_level(store: Path, files: list[Path]) -> str:
    import pyarrow.parquet as pq

    f = files[0]
    level = pq.read_table(f).column("level")[0].as_py()
    raw = bytearray(f.read_bytes())
    pat = struct.pack("<d", level)
    i = raw.find(pat)
    if i < 0:
        return "level's bytes not found (compressed)"
    raw[i + 6] ^= 0x40  # one bit of the exponent
    f.write_bytes(bytes(raw))
    return f"flipped a bit of level {level:.6g} -> {pq.read_table(f).column('level')[0].as_py():.3g}"


def case_flipped_bit(e: Env) -> dict:
    return _tamper(e, "a flipped bit in `level`", _flip_level)


def case_copied_row(e: Env) -> dict:
    def fn(store: Path, files: list[Path]) -> str:
        (store / "cells" / "copy.parquet").write_bytes(files[0].read_bytes())
        return "row copied to cells/copy.parquet"
    return _tamper(e, "a row copied under another name", fn)


def case_foreign_rows(e: Env) -> dict:
    def fn(store: Path, files: list[Path]) -> str:
        spec2 = e.spec("other.toml", steps=100, agents="[6, 7]")
        other = e.tmp / "other"
        e.theorylab("sweep", "run", str(spec2), "--store", str(other), "--workers", "1")
        for g in (other / "cells").glob("*.parquet"):
            (store / "cells" / g.name).write_bytes(g.read_bytes())
        return "4 rows of another sweep copied in"
    return _tamper(e, "rows of another sweep in cells/", fn)


def case_junk_file(e: Env) -> dict:
    spec, store = _complete_store(e, agents="[2, 3]")
    (store / "cells" / "notes.txt").write_text("my notes\n")
    (store / "cells" / "junk.parquet").write_bytes(b"not parquet")
    import pyarrow.dataset as ds

    try:
        n = ds.dataset(str(store / "cells")).to_table().num_rows
        read = f"pyarrow.dataset reads {n} rows"
    except Exception as exc:  # noqa: BLE001
        read = f"pyarrow.dataset fails ({type(exc).__name__})"
    r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--workers", "1", "--resume")
    vrc, vout = verify(e, store)
    refused = r.returncode == 2 and "not rows" in r.stderr
    ok = refused and vrc == 1
    return {"case": "junk files in cells/",
            "outcome": f"{read}; a --resume run exit {r.returncode}"
                       f"{' (refused: ' + r.stderr.strip()[-70:] + ')' if refused else ''}; verify exit {vrc}",
            "ok": ok}


def case_clashing_types(e: Env) -> dict:
    def fn(store: Path, files: list[Path]) -> str:
        import pyarrow as pa
        import pyarrow.parquet as pq

        t = pq.read_table(files[0])
        i = t.column_names.index("level")
        t = t.set_column(i, "level", pa.array([str(t.column("level")[0].as_py())]))
        pq.write_table(t, files[0])
        return "`level` rewritten as a string in one row"
    return _tamper(e, "a row with a clashing column type", fn)


def case_unreadable(e: Env) -> dict:
    def fn(store: Path, files: list[Path]) -> str:
        b = files[0].read_bytes()
        files[0].write_bytes(b[: len(b) // 2])
        return "one row truncated"
    return _tamper(e, "an unreadable (truncated) row", fn)


def case_lock(e: Env) -> dict:
    """Two --resume runs on one store at once (LocalClusters of one worker each)."""
    spec = e.spec(steps=1500)
    store = e.tmp / "s"
    e.theorylab("sweep", "run", str(spec), "--store", str(store), "--workers", "1")
    for f in (store / "cells").glob("*.parquet"):
        f.unlink()
    a = e.sweep_bg(str(spec), "--store", str(store), "--workers", "1", "--resume")
    time.sleep(0.5)
    t0 = time.monotonic()
    b = e.sweep_bg(str(spec), "--store", str(store), "--workers", "1", "--resume")
    _, eb = b.communicate(timeout=300)
    tb = time.monotonic() - t0
    _, ea = a.communicate(timeout=300)
    import re

    def ran(err: str) -> int:
        m = re.search(r"(\d+) done(?:, \d+ diverged)?, (\d+) failed now", err)
        return int(m.group(1)) + int(m.group(2)) if m else 0
    total = len(manifest_keys(store))
    both = ran(ea) + ran(eb)
    ok1, miss, dup = once(store)
    ok = b.returncode == 2 and "in use by pid" in eb and both == total and (miss, dup) == (0, 0)
    msg = eb.strip().splitlines()[-1][:100] if eb.strip() else ""
    return {"case": "two --resume runs on one store",
            "outcome": f"cells computed {both} times for {total} cells; second run exit {b.returncode} after "
                       f"{tb:.1f} s ({msg!r}); store: {miss} missing, {dup} duplicated", "ok": ok}


def case_timeout(e: Env) -> dict:
    """A runaway cell (steps = 10^9) with `timeout = 3` in the spec (or --timeout 3)."""
    spec = e.spec(steps=10**9, agents="[2]", extra="timeout = 3")
    store = e.tmp / "s"
    t0 = time.monotonic()
    try:
        r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--workers", "1", timeout=180)
        rc, err = r.returncode, r.stderr.strip()
    except subprocess.TimeoutExpired:
        rc, err = "still running after 180 s (killed)", ""
    if rc == 2 and "timeout" in err:  # a tree without the `timeout` key: the same spec without it
        spec = e.spec(steps=10**9, agents="[2]")
        t0 = time.monotonic()
        try:
            r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--workers", "1", timeout=60)
            rc, err = r.returncode, r.stderr.strip()
        except subprocess.TimeoutExpired:
            rc, err = "no timeout key; without it still running after 60 s (killed)", ""
    dt = time.monotonic() - t0
    st = statuses(store) if (store / "cells").is_dir() else Counter()
    errors = {r["error"] for r in store_rows(store)} if (store / "cells").is_dir() else set()
    ok = rc == 1 and st.get("failed") == 2 and all(str(x).startswith("timeout") for x in errors)
    return {"case": "runaway cells (steps = 10^9, timeout = 3 s)",
            "outcome": f"exit {rc} after {dt:.0f} s; stored {dict(st)}; errors {sorted(map(str, errors))[:1]}"
                       f"{'; ' + err.splitlines()[-1][:80] if rc == 2 else ''}", "ok": ok}


def case_stuck_cell(e: Env) -> dict:
    """A cell stuck outside the simulation's steps (its problem factory sleeps on the worker)."""
    (e.tmp / "stuck.py").write_text(
        "import threading, time\nfrom theorylab.simulate.problems import quadratic\n\n"
        "def make():\n    if threading.current_thread() is not threading.main_thread():\n"
        "        time.sleep(3600)  # only on a worker thread: the client's validation passes\n"
        "    return quadratic(4, 2)\n")
    spec = e.tmp / "stuck.toml"
    spec.write_text('method = "dcsgd"\ntimeout = 2\n[fixed]\nproblem = "stuck.py:make"\ncompressor = "randk:k=2"\n'
                    'steps = 50\nreplicas = 4\n[grid]\neta = [0.01]\n')
    store = e.tmp / "s"
    t0 = time.monotonic()
    try:
        r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--workers", "1", timeout=240)
        rc, err = r.returncode, r.stderr.strip()
    except subprocess.TimeoutExpired:
        rc, err = "still running after 240 s (killed)", ""
    if rc == 2 and "timeout" in err:  # a tree without the `timeout` key: the same spec without it
        spec.write_text(spec.read_text().replace("timeout = 2\n", ""))
        try:
            r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--workers", "1", timeout=60)
            rc, err = r.returncode, r.stderr.strip()
        except subprocess.TimeoutExpired:
            rc, err = "no timeout key; without it still running after 60 s (killed)", ""
    dt = time.monotonic() - t0
    rows = store_rows(store) if (store / "cells").is_dir() else []
    ok = rc == 1 and len(rows) == 1 and str(rows[0]["error"]).startswith("timeout")
    return {"case": "a cell stuck outside the simulation steps (timeout = 2 s)",
            "outcome": f"exit {rc} after {dt:.0f} s; stored {[(x['status'], str(x['error'])[:60]) for x in rows]}"
                       f"{'; ' + err.splitlines()[-1][:80] if rc == 2 else ''}", "ok": ok}


def case_numba_vs_numpy(e: Env) -> dict:
    """The same cell on a process with numba and one without (THEORYLAB_NUMBA=0)."""
    args = ["simulate", "dcsgd", "--compressor", "randk:k=2", "--dim", "8", "--agents", "4", "--steps", "400",
            "--replicas", "50", "--eta", "0.02", "--seed", "12345", "--format", "json", "--no-progress"]
    a = json.loads(e.theorylab(*args, env=e.env(THEORYLAB_NUMBA="1")).stdout)["stationary"]["value"]
    b = json.loads(e.theorylab(*args, env=e.env(THEORYLAB_NUMBA="0")).stdout)["stationary"]["value"]
    return {"case": "one cell on a numba and on a numpy worker",
            "outcome": f"level {a!r} (numba) vs {b!r} (numpy): {'bit-identical' if a == b else 'different'}",
            "ok": a == b}


def case_relative_file(e: Env) -> dict:
    """`problem = "myprob.py:make"` relative to the spec's directory; the workers run elsewhere."""
    (e.tmp / "myprob.py").write_text("from theorylab.simulate.problems import quadratic\n\n"
                                     "def make():\n    return quadratic(4, 2)\n")
    other = e.tmp / "elsewhere"
    other.mkdir()
    addr = e.cluster(cwd=other)
    spec = e.tmp / "f.toml"
    spec.write_text('method = "dcsgd"\n[fixed]\nproblem = "myprob.py:make"\ncompressor = "randk:k=2"\n'
                    'steps = 100\nreplicas = 10\n[grid]\neta = [0.01, 0.02]\n')
    store = e.tmp / "s"
    r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--scheduler", addr)
    st = statuses(store) if (store / "cells").is_dir() else Counter()
    errs = {str(x["error"])[:70] for x in store_rows(store) if x["error"]} if (store / "cells").is_dir() else set()
    ok = r.returncode == 0 and st.get("done") == 2
    return {"case": "relative FILE.py:NAME, workers in another directory",
            "outcome": f"exit {r.returncode}; stored {dict(st)}{'; ' + next(iter(errs)) if errs else ''}"
                       f"{'; ' + r.stderr.strip().splitlines()[-1][:80] if r.returncode == 2 else ''}", "ok": ok}


def case_big_grid(e: Env) -> dict:
    """A 100,000-cell grid: refused (or expanded) how fast?"""
    spec = e.tmp / "big.toml"
    spec.write_text('method = "dcsgd"\n[fixed]\ncompressor = "randk:k=2"\ndim = 4\nsteps = 10\n[grid]\n'
                    f'eta = {[round(0.001 * (i + 1), 6) for i in range(1000)]}\nagents = {list(range(1, 101))}\n')
    t0 = time.monotonic()
    try:
        r = e.theorylab("sweep", "run", str(spec), "--store", str(e.tmp / "s"), "--workers", "1", timeout=30)
        full = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        rc, msg = r.returncode, full[full.find("the grid"):][:110] if "the grid" in full else full[-110:]
    except subprocess.TimeoutExpired:
        rc, msg, full = "still expanding after 30 s (killed)", "", ""
    dt = time.monotonic() - t0
    ok = rc == 2 and "max_cells" in full
    return {"case": "a 100,000-cell grid", "outcome": f"exit {rc} after {dt:.1f} s {msg!r}", "ok": ok}


def case_diverged(e: Env) -> dict:
    spec = e.tmp / "d.toml"
    spec.write_text('method = "dcsgd"\n[fixed]\ncompressor = "randk:k=2"\ndim = 4\nsteps = 200\nreplicas = 10\n'
                    '[grid]\neta = [0.01, 5.0]\n')
    store = e.tmp / "s"
    r = e.theorylab("sweep", "run", str(spec), "--store", str(store), "--workers", "1")
    st = statuses(store)
    return {"case": "a diverging cell (eta = 5)", "outcome": f"exit {r.returncode}; stored {dict(st)}",
            "ok": st.get("diverged") == 1}


CASES: dict[str, Callable[[Env], dict]] = {
    "scheduler_kill": case_scheduler_kill, "worker_kill": case_worker_kill, "client_kill": case_client_kill,
    "ctrl_c": case_ctrl_c, "flipped_bit": case_flipped_bit, "copied_row": case_copied_row,
    "foreign_rows": case_foreign_rows, "junk_file": case_junk_file, "clashing_types": case_clashing_types,
    "unreadable": case_unreadable, "lock": case_lock, "timeout": case_timeout, "stuck_cell": case_stuck_cell, "numba_vs_numpy": case_numba_vs_numpy,
    "relative_file": case_relative_file, "big_grid": case_big_grid, "diverged": case_diverged,
}


def run_case(name: str, tree: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"fault-{name}-") as tmp:
        e = Env(tree, Path(tmp))
        t0 = time.monotonic()
        try:
            out = CASES[name](e)
        except Exception as exc:  # noqa: BLE001 - a case that crashes is reported as such
            out = {"case": name, "outcome": f"case crashed: {type(exc).__name__}: {exc}"[:300], "ok": False}
        finally:
            e.close()
        out["seconds"] = round(time.monotonic() - t0, 1)
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", default=str(ROOT))
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    results = []
    for name in args.cases.split(","):
        r = run_case(name.strip(), Path(args.tree))
        results.append(r)
        print(f"{'ok ' if r['ok'] else 'BAD'} {r['case']}: {r['outcome']} ({r['seconds']} s)", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
