"""Running a sweep on dask.distributed: one task per cell, rows stored as tasks finish.

:func:`run_cell` is the task. It rebuilds the cell's :class:`~theorylab.simulate.Experiment`
from its dictionary and runs it (:meth:`Experiment.result
<theorylab.simulate.Experiment.result>`, the JSON that ``theorylab simulate --format json``
prints), so a cell equals the CLI with the same options and seed: both run the same
``Experiment``. Any exception is
caught and returned as a failed row (the sweep goes on). :func:`run_sweep` submits the cells
not yet stored, to a ``distributed.LocalCluster`` (one single-threaded worker process per
core) or to an existing scheduler, and writes each row on the client as its task completes,
so the store works with any cluster (no shared file system needed). A worker that dies
takes its running task with it; the scheduler reruns that task elsewhere (up to
``distributed.scheduler.allowed-failures`` times), and ``retries`` reruns a task that
raised outside :func:`run_cell`'s own handler. The client writes one file per cell, so a
task that ran twice is still recorded once.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InvalidParameterError
from .files import FILES_PARAM
from .spec import Cell, Spec
from .store import Store

__all__ = ["run_cell", "outcome_columns", "run_sweep", "SweepSummary"]


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"local:{os.getpid()}"


def _strip_curves(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_curves(v) for k, v in obj.items() if k != "curve"}
    if isinstance(obj, list):
        return [_strip_curves(v) for v in obj]
    return obj


def _float(x: Any) -> float | None:
    return None if x is None else float(x)


def outcome_columns(result: dict[str, Any]) -> dict[str, Any]:
    """Store columns of one ``simulate`` JSON result: level and interval, bound, ratio
    (level / bound), verdicts, divergence and warnings; ``result`` keeps the JSON without curves."""
    st = result.get("stationary") or {}
    bound = (result.get("bound") or {}).get("level")
    v = result.get("verdict") or {}
    level = _float(st.get("value"))
    ratio = v.get("ratio")
    if ratio is None and bound and level is not None:
        ratio = level / bound
    warnings = list(result.get("warnings") or []) + list(st.get("warnings") or [])
    for key, what in (("bound_error", "bound not applicable"), ("sde_error", "no SDE")):
        if result.get(key):
            warnings.append(f"{what}: {result[key]}")
    return {
        "level": level, "lower": _float(st.get("lower")), "upper": _float(st.get("upper")),
        "stationary": st.get("stationary"), "bound": _float(bound), "ratio": _float(ratio),
        "verdict": v.get("status"), "trajectory_verdict": (result.get("trajectory_verdict") or {}).get("status"),
        "diverged": (result.get("divergence") or {}).get("diverged"),
        "warnings": "; ".join(warnings) or None,
        "result": json.dumps(_strip_curves(result), sort_keys=True),
    }


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@functools.cache
def versions() -> dict[str, str | None]:
    """Versions of what a cell's numbers depend on (recorded in every row; looked up once per process)."""
    import platform

    import numpy as np

    out: dict[str, str | None] = {"theorylab": __version__, "python": platform.python_version(),
                                  "numpy": np.__version__}
    for mod in ("numba", "scipy", "sympy"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = None
    return out


def compute_path() -> str:
    """``numba`` when the compiled kernels are in use on this process, else ``numpy`` (the same
    numbers either way: see :mod:`theorylab._numba`)."""
    from .. import _numba

    return "numba" if _numba.enabled() else "numpy"


DEFAULT_TIMEOUT = 3600.0  # seconds a cell may run unless the spec says `timeout = ...`


def run_cell(task: Mapping[str, Any], command: str = "simulate", timeout: float | None = None,
             files: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one cell (the task): outcome columns with ``status`` done (or ``diverged`` when a
    replica diverged), or ``failed`` and the error (``timeout: ...`` past ``timeout`` seconds,
    checked at every simulation step).

    ``task`` is :attr:`Cell.task <theorylab.sweep.spec.Cell.task>`: an experiment's
    :meth:`~theorylab.simulate.Experiment.to_dict` (``command = "simulate"``), or a bounds cell's
    name, ``ell`` and values."""
    from ..simulate.progress import DeadlineExceeded, deadline
    from .files import check_files

    t0, c0 = time.perf_counter(), time.process_time()
    try:
        with deadline(timeout):
            check_files(files or {})  # the user's FILE.py as the spec was loaded with, or a one-line failure
            if command == "bounds":
                from .symbolic import bounds_outcome, bounds_result

                out = bounds_outcome(bounds_result(task))
            else:
                from ..simulate.experiment import Experiment

                out = outcome_columns(Experiment.from_dict(task).result())
        out.update(status="diverged" if out.get("diverged") else "done", error=None)
    except DeadlineExceeded as exc:
        out = {"status": "failed", "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a failing cell is a result, the sweep goes on
        out = {"status": "failed", "error": _one_line(exc)}
    out.update(seconds=time.perf_counter() - t0, cpu_seconds=time.process_time() - c0, worker=_worker_address(),
               theorylab_version=__version__, path=compute_path(), versions=json.dumps(versions(), sort_keys=True),
               finished=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    return out


@dataclass
class SweepSummary:
    """What one ``run_sweep`` call did, and where the whole sweep stands after it.

    ``done``/``diverged``/``failed``: cells this call stored; ``pending_now``: cells this call
    submitted but got no result for (the scheduler or the connection was lost, the run was
    interrupted); ``store``: the store's counts at the end (``total``, ``done``, ``diverged``,
    ``failed``, ``pending``, ``problems``). The sweep is complete when no cell is failed or pending."""

    total: int
    skipped: int
    done: int
    failed: int
    wall_s: float
    dashboard: str | None = None
    diverged: int = 0
    pending_now: int = 0
    store: dict[str, Any] | None = None

    @property
    def complete(self) -> bool:
        st = self.store or {}
        return not st.get("failed") and not st.get("pending")

    def text(self) -> str:
        now = (f"{self.total} cells: {self.done} done, {self.diverged} diverged, {self.failed} failed now, "
               f"{self.skipped} stored before (skipped)")
        if self.pending_now:
            now += f", {self.pending_now} lost to the cluster (pending)"
        st = self.store
        if st is not None:
            now += (f"; store: {st['done']} done, {st['diverged']} diverged, {st['failed']} failed, "
                    f"{st['pending']} pending")
            if st.get("problems"):
                now += f", {len(st['problems'])} row files excluded (see `theorylab sweep verify`)"
        return now + f"; {self.wall_s:.1f} s"


#: exceptions of a future that say the infrastructure lost the task (the cell is pending, not failed)
def _infrastructure_error(exc: BaseException) -> bool:
    import asyncio
    import concurrent.futures

    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    if names & {"FutureCancelledError", "CancelledError", "CommClosedError", "StreamClosedError"}:
        return True
    return isinstance(exc, (asyncio.CancelledError, concurrent.futures.CancelledError, ConnectionError, OSError,
                            TimeoutError))


def _bokeh() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def _client(scheduler: str | None, workers: int | None):
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as exc:
            raise InvalidParameterError(f"cannot reach the dask scheduler at {scheduler!r}: {exc}") from None
        except ValueError as exc:
            raise InvalidParameterError(f"--scheduler expects an address like tcp://HOST:8786, got {scheduler!r} "
                                        f"({exc})") from None
    import signal
    import threading

    n = workers or os.cpu_count() or 1
    # the worker processes start with Ctrl-C ignored (inherited), so that a Ctrl-C in the terminal reaches
    # only this process, which cancels the tasks and closes the cluster itself (one line, no tracebacks)
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0" if _bokeh() else None, silence_logs=logging.ERROR,
                               preload=["theorylab.sweep.preload"])  # imports paid at start, not in a cell's time
    finally:
        if main:
            signal.signal(signal.SIGINT, old)
    return Client(cluster), cluster


class _Bar:
    """A rich progress bar on stderr (done/total, failures, ETA), or nothing."""

    def __init__(self, enabled: bool, total: int, completed: int) -> None:
        self.progress = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
            TimeRemainingColumn

        self.progress = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True))
        self.task = self.progress.add_task("sweep", total=total, completed=completed, failed=0)
        self.progress.start()

    def advance(self, failed: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, advance=1, failed=failed)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _warm_numba() -> None:
    """Compile (or load from numba's cache) the kernels a cell uses, once, in this process."""
    from .. import _numba

    if _numba.enabled():
        _numba.warm_up()


def run_sweep(spec: Spec, store: Store | str | Path, *, scheduler: str | None = None, workers: int | None = None,
              resume: bool = False, retry_failed: bool = False, retries: int = 2, progress: bool | None = None,
              echo: Callable[[str], None] | None = None, timeout: float | None = None) -> SweepSummary:
    """Run every cell of ``spec`` not yet in ``store`` (done and diverged cells always skipped;
    failed ones too unless ``retry_failed``) and store each row as its task completes.

    The store is checked and locked (:meth:`Store.lock`) before any cluster starts. A task the
    cluster loses (scheduler gone, connection lost) is left pending, not stored; a cell past its
    timeout (``timeout``, else the spec's, else :data:`DEFAULT_TIMEOUT` s) is stored as failed
    with ``timeout: ...``. On exit (normal, error or Ctrl-C) the client's unfinished futures are
    cancelled, so no cell keeps a worker busy."""
    import dask
    from distributed import as_completed

    store = store if isinstance(store, Store) else Store(store)
    if workers is not None and workers < 1:
        raise InvalidParameterError(f"--workers must be a positive integer, got {workers}")
    if retries < 0:
        raise InvalidParameterError(f"--retries must be >= 0, got {retries}")
    limit = timeout if timeout is not None else (getattr(spec, "timeout", None) or DEFAULT_TIMEOUT)
    if not (isinstance(limit, (int, float)) and limit > 0):
        raise InvalidParameterError(f"timeout must be a number of seconds > 0, got {limit!r}")
    store.check(spec, resume)  # before connecting: a refused store costs no cluster start
    created = not store.path.exists()
    store.lock()  # ditto: a second run on the store is refused here, naming the holder
    t0 = time.perf_counter()
    say = echo or (lambda s: print(s, file=sys.stderr))
    futures: list[Any] = []
    client = cluster = None
    done = failed = diverged = pending_now = 0
    dashboard = None
    try:
        stored = store.statuses() if store.exists() else {}
        skip = {k for k, s in stored.items() if s in ("done", "diverged") or (s == "failed" and not retry_failed)}
        todo: list[Cell] = [c for c in spec.cells if c.key not in skip]
        if not todo:
            store.prepare(spec, resume)
            return SweepSummary(len(spec.cells), len(spec.cells), 0, 0, time.perf_counter() - t0,
                                store=store.status())
        show = sys.stderr.isatty() if progress is None else progress
        if scheduler is None:
            _warm_numba()  # compiled once here (numba's on-disk cache): the LocalCluster workers load it
        with dask.config.set({"distributed.scheduler.allowed-failures": retries + 1}):
            client, cluster = _client(scheduler, workers)
        store.prepare(spec, resume)  # after connecting: an unreachable scheduler leaves no manifest behind
        dashboard = client.dashboard_link if _bokeh() or scheduler else None
        nworkers = len(client.scheduler_info().get("workers", {}))
        say(f"sweep: {len(todo)} of {len(spec.cells)} cells to run on {nworkers} workers "
            f"({'scheduler ' + scheduler if scheduler else 'LocalCluster'}); dashboard: "
            f"{dashboard or 'not available (pip install bokeh)'}")
        by_key = {f"theorylab-cell-{c.key}": c for c in todo}
        futures = [client.submit(run_cell, c.task, c.command, float(limit), c.params.get(FILES_PARAM), key=k,
                                 retries=retries, pure=False) for k, c in by_key.items()]
        bar = _Bar(show, len(spec.cells), len(spec.cells) - len(todo))
        watchdog = _Watchdog(client, futures, float(limit))
        try:
            for fut in as_completed(futures):
                cell = by_key[fut.key]
                try:
                    outcome = fut.result()
                except Exception as exc:  # noqa: BLE001 - classified below
                    if str(fut.key) in watchdog.expired:
                        outcome = {"status": "failed", "theorylab_version": __version__,
                                   "error": f"timeout: the cell ran longer than {limit:g} s and did not stop itself "
                                            f"within {hard_grace(float(limit)):g} s more; cancelled"}
                    elif _infrastructure_error(exc):
                        pending_now += 1  # lost with the scheduler or the connection: not the cell's fault
                        continue
                    else:  # KilledWorker (the scheduler saw retries + 1 workers die while running this cell), or
                        # an error outside run_cell's handler: the cell's own result
                        outcome = {"status": "failed", "error": _one_line(exc), "theorylab_version": __version__}
                store.write(cell, outcome)
                status = outcome["status"]
                done += status == "done"
                diverged += status == "diverged"
                failed += status == "failed"
                bar.advance(failed)
                fut.release()
        finally:
            watchdog.close()
            bar.close()
    finally:
        _shutdown(client, cluster, futures)
        store.unlock()
        if created and store.path.is_dir() and not any(store.path.iterdir()):
            store.path.rmdir()  # nothing was stored (the cluster did not start): leave no empty directory
    return SweepSummary(len(spec.cells), len(spec.cells) - len(todo), done, failed, time.perf_counter() - t0,
                        dashboard, diverged, pending_now, store.status())


def _executing(dask_worker: Any) -> list[str]:
    """On a worker: the keys of the tasks it is executing now."""
    return [str(ts.key) for ts in dask_worker.state.executing]


def hard_grace(limit: float) -> float:
    """Seconds past a cell's timeout after which the client stops waiting for the cell to stop
    itself (it checks its deadline at every simulation step) and cancels it."""
    return 30.0 + 0.1 * limit


class _Watchdog:
    """Cancels the tasks that have executed longer than ``limit + hard_grace(limit)`` seconds (a cell
    stuck outside the simulation's steps, where its own deadline is not checked) and restarts
    their workers (with a nanny) so that the computation stops; the cells are stored as failed
    (``timeout``). Polls the workers every ``every`` seconds from a daemon thread."""

    def __init__(self, client: Any, futures: list[Any], limit: float, every: float = 2.0) -> None:
        import threading

        self.client, self.limit, self.every = client, limit, every
        self.by_key = {str(f.key): f for f in futures}
        self.first_seen: dict[str, float] = {}
        self.expired: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="theorylab-sweep-watchdog")
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.wait(self.every):
            try:
                running = self.client.run(_executing, on_error="ignore")
            except Exception:  # noqa: BLE001 - the cluster may be going away
                continue
            now = time.monotonic()
            for worker, keys in running.items():
                for key in keys if isinstance(keys, list) else []:
                    if key not in self.by_key or key in self.expired:
                        continue
                    t = self.first_seen.setdefault(key, now)
                    if now - t > self.limit + hard_grace(self.limit):
                        self.expired.add(key)
                        try:
                            self.client.cancel([self.by_key[key]], force=True)
                            self.client.restart_workers([worker], timeout=30, raise_for_error=False)
                        except Exception:  # noqa: BLE001 - no nanny: the worker keeps it until it ends
                            pass

    def close(self) -> None:
        self.stop.set()


def _shutdown(client: Any, cluster: Any, futures: list[Any]) -> None:
    """Cancel the unfinished futures (their cells stop occupying workers) and close the client
    and the LocalCluster, quietly (an interrupted run prints one line, not dask's tracebacks)."""
    quiet = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.CRITICAL)
    try:
        if client is not None:
            live = [f for f in futures if not f.done()]
            if live:
                try:
                    client.cancel(live, force=True)
                except Exception:  # noqa: BLE001 - the scheduler may be gone already
                    pass
            try:
                client.close(timeout=5)
            except Exception:  # noqa: BLE001
                pass
        if cluster is not None:
            try:
                cluster.close(timeout=10)
            except Exception:  # noqa: BLE001
                pass
    finally:
        for lg, lv in zip(quiet, levels):
            lg.setLevel(lv)
