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


def run_cell(task: Mapping[str, Any], command: str = "simulate") -> dict[str, Any]:
    """Run one cell (the task): outcome columns with ``status`` done, or ``failed`` and the error.

    ``task`` is :attr:`Cell.task <theorylab.sweep.spec.Cell.task>`: an experiment's
    :meth:`~theorylab.simulate.Experiment.to_dict` (``command = "simulate"``), or a bounds cell's
    name, ``ell`` and values."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        if command == "bounds":
            from .symbolic import bounds_outcome, bounds_result

            out = bounds_outcome(bounds_result(task))
        else:
            from ..simulate.experiment import Experiment

            out = outcome_columns(Experiment.from_dict(task).result())
        out.update(status="done", error=None)
    except Exception as exc:  # noqa: BLE001 - a failing cell is a result, the sweep goes on
        out = {"status": "failed", "error": _one_line(exc)}
    out.update(seconds=time.perf_counter() - t0, cpu_seconds=time.process_time() - c0, worker=_worker_address(), theorylab_version=__version__,
               finished=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    return out


@dataclass
class SweepSummary:
    """What one ``run_sweep`` call did."""

    total: int
    skipped: int
    done: int
    failed: int
    wall_s: float
    dashboard: str | None = None

    def text(self) -> str:
        return (f"{self.total} cells: {self.done} done, {self.failed} failed now, {self.skipped} stored before "
                f"(skipped); {self.wall_s:.1f} s")


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
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                           dashboard_address=":0" if _bokeh() else None, silence_logs=logging.ERROR)
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


def run_sweep(spec: Spec, store: Store | str | Path, *, scheduler: str | None = None, workers: int | None = None,
              resume: bool = False, retry_failed: bool = False, retries: int = 2, progress: bool | None = None,
              echo: Callable[[str], None] | None = None) -> SweepSummary:
    """Run every cell of ``spec`` not yet in ``store`` (done cells always skipped; failed ones
    too unless ``retry_failed``) and store each row as its task completes."""
    import dask
    from distributed import as_completed

    store = store if isinstance(store, Store) else Store(store)
    if workers is not None and workers < 1:
        raise InvalidParameterError(f"--workers must be a positive integer, got {workers}")
    if retries < 0:
        raise InvalidParameterError(f"--retries must be >= 0, got {retries}")
    store.check(spec, resume)  # before connecting: a refused store costs no cluster start
    stored = store.statuses()
    skip = {k for k, s in stored.items() if s == "done" or (s == "failed" and not retry_failed)}
    todo: list[Cell] = [c for c in spec.cells if c.key not in skip]
    t0 = time.perf_counter()
    say = echo or (lambda s: print(s, file=sys.stderr))
    if not todo:
        store.prepare(spec, resume)
        return SweepSummary(len(spec.cells), len(spec.cells) - len(todo), 0, 0, time.perf_counter() - t0)
    show = sys.stderr.isatty() if progress is None else progress
    with dask.config.set({"distributed.scheduler.allowed-failures": retries + 1}):
        client, cluster = _client(scheduler, workers)
    try:
        store.prepare(spec, resume)  # after connecting: an unreachable scheduler leaves no store behind
        dashboard = client.dashboard_link if _bokeh() or scheduler else None
        nworkers = len(client.scheduler_info().get("workers", {}))
        say(f"sweep: {len(todo)} of {len(spec.cells)} cells to run on {nworkers} workers "
            f"({'scheduler ' + scheduler if scheduler else 'LocalCluster'}); dashboard: "
            f"{dashboard or 'not available (pip install bokeh)'}")
        by_key = {f"theorylab-cell-{c.key}": c for c in todo}
        futures = [client.submit(run_cell, c.task, c.command, key=k, retries=retries, pure=False)
                   for k, c in by_key.items()]
        done = failed = 0
        bar = _Bar(show, len(spec.cells), len(spec.cells) - len(todo))
        try:
            for fut in as_completed(futures):
                cell = by_key[fut.key]
                try:
                    outcome = fut.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost connection: a failed cell
                    outcome = {"status": "failed", "error": _one_line(exc), "theorylab_version": __version__}
                store.write(cell, outcome)
                if outcome["status"] == "done":
                    done += 1
                else:
                    failed += 1
                bar.advance(failed)
                fut.release()
        finally:
            bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return SweepSummary(len(spec.cells), len(spec.cells) - len(todo), done, failed, time.perf_counter() - t0,
                        dashboard)
