"""Run checks, time them, and turn exceptions into ``error`` verdicts.

Checks run in this process by default; ``jobs > 1`` spreads them over worker processes
(:class:`concurrent.futures.ProcessPoolExecutor`); each worker imports the check's module (or
loads its claim file) and runs it by id.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .checks import Check, ImportFailure, Mode, discover, load_file, registry, select
from .verdict import Verdict, errored

__all__ = ["Result", "run_check", "run_checks", "collect"]


@dataclass(frozen=True)
class Result:
    """One row of the report: the check's declaration, its verdict and its run time."""

    id: str
    source: str
    method: str
    statement: str
    expression: str
    verdict: Verdict
    seconds: float
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "method": self.method,
            "statement": self.statement,
            "expression": self.expression,
            "seconds": round(self.seconds, 3),
            **self.verdict.to_dict(),
            "warnings": list(self.warnings),
        }


DEFAULT_TIMEOUT = 1800.0  # seconds per check (the slowest source check takes a few minutes in --full)


def run_check(c: Check, mode: Mode = "quick", timeout: float | None = None) -> Result:
    """Run one check; an exception becomes an ``error`` verdict with the exception's text, and so
    does a check still running after ``timeout`` seconds (None: no limit; enforced with
    ``SIGALRM`` in the main thread of the process running the check).

    Python warnings raised during the check (e.g. numpy overflow on deliberately huge inputs)
    are collected into ``Result.warnings`` (distinct messages) instead of cluttering stderr.
    """
    from .._deadline import DeadlineExceeded, deadline

    if timeout is not None and not timeout > 0:
        from ..errors import InvalidParameterError

        raise InvalidParameterError(f"timeout must be > 0 seconds, got {timeout}")
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with deadline(timeout):
                v = c.run(mode=mode)
        except DeadlineExceeded:
            v = errored(c.statement, f"did not finish within --timeout {timeout:g} s (raise it with --timeout)")
        except Exception as exc:  # reported, never swallowed silently
            tb = traceback.format_exc(limit=-3)
            v = errored(c.statement, f"{type(exc).__name__}: {exc}\n{tb}")
    msgs = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return Result(c.id, c.source, c.method, c.statement, c.expression, v, time.perf_counter() - t0, msgs)


def _import_failure_result(f: ImportFailure) -> Result:
    return Result(
        id=f"import:{f.module.rsplit('.', 1)[-1]}",
        source=f.module,
        method="-",
        statement=f"module {f.module} imports",
        expression="",
        verdict=errored(f"module {f.module} imports", f.message),
        seconds=0.0,
    )


def _run_by_id(check_id: str, module: str, origin: str, mode: Mode, timeout: float | None = None) -> Result:
    """Worker side: import the check's module (or load its claim file), then run it by id."""
    if origin:
        load_file(origin)
    else:
        importlib.import_module(module)
    return run_check(registry()[check_id], mode, timeout)


def collect(package: str, only: Sequence[str] | None = None) -> tuple[list[Check], list[ImportFailure]]:
    """The checks of ``package`` selected by ``only`` (glob patterns or substrings of ids), and
    the modules that failed to import."""
    checks, failures = discover(package)
    return select(checks, only), failures


def run_checks(
    checks: Sequence[Check],
    mode: Mode = "quick",
    *,
    jobs: int = 1,
    failures: Sequence[ImportFailure] = (),
    progress: bool | None = None,
    on_result: Callable[[Result], None] | None = None,
    timeout: float | None = None,
) -> list[Result]:
    """Run ``checks`` and return their results in the order given (import failures first).

    ``progress``: show a progress bar on stderr (default: when stderr is a terminal).
    ``timeout``: seconds per check (see :func:`run_check`).
    """
    results: list[Result] = [_import_failure_result(f) for f in failures]
    if progress is None:
        progress = sys.stderr.isatty()
    bar = _Bar(len(checks), enabled=bool(progress))
    by_id: dict[str, Result] = {}
    try:
        if jobs <= 1 or len(checks) <= 1:
            for c in checks:
                bar.describe(c.id)
                r = run_check(c, mode, timeout)
                by_id[c.id] = r
                if on_result:
                    on_result(r)
                bar.advance()
        else:
            with cf.ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_sigint) as pool:
                # costly checks first, so the pool stays busy
                order = sorted(checks, key=lambda c: -c.cost[0 if mode == "quick" else 1])
                futs = {pool.submit(_run_by_id, c.id, c.module, c.origin, mode, timeout): c for c in order}
                for fut in _as_completed_or_stop(pool, futs):
                    c = futs[fut]
                    try:
                        r = fut.result()
                    except Exception as exc:  # a crashed worker
                        r = Result(c.id, c.source, c.method, c.statement, c.expression,
                                   errored(c.statement, f"worker failed: {type(exc).__name__}: {exc}"), 0.0)
                    by_id[c.id] = r
                    if on_result:
                        on_result(r)
                    bar.describe(c.id)
                    bar.advance()
    finally:
        bar.close()
    results.extend(by_id[c.id] for c in checks)
    return results


def _ignore_sigint() -> None:
    """Workers ignore Ctrl-C: the parent stops them and reports the verdicts finished so far."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _as_completed_or_stop(pool: cf.ProcessPoolExecutor, futs: dict[Any, Check]) -> Any:
    """``as_completed(futs)``; on Ctrl-C cancel what is queued, stop the workers, re-raise."""
    try:
        yield from cf.as_completed(futs)
    except KeyboardInterrupt:
        procs = list((getattr(pool, "_processes", None) or {}).values())  # no public way to stop running work
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        raise


class _Bar:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._p = None
        if not enabled or total == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._p = Progress(
            TextColumn("[bold]checks"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._p.start()
        self._task = self._p.add_task("", total=total)

    def describe(self, text: str) -> None:
        if self._p is not None:
            self._p.update(self._task, description=text)

    def advance(self) -> None:
        if self._p is not None:
            self._p.advance(self._task)

    def close(self) -> None:
        if self._p is not None:
            self._p.stop()
            self._p = None
