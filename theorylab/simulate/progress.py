"""A progress bar for long runs (rich), updated in coarse chunks so that it costs nothing."""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from collections.abc import Iterator

__all__ = ["progress_bar", "deadline", "check_deadline", "DeadlineExceeded"]

_local = threading.local()


class DeadlineExceeded(TimeoutError):
    """A run took longer than the :func:`deadline` set around it."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Within the block (this thread only), a loop that reports its steps to a progress bar
    raises :class:`DeadlineExceeded` once ``seconds`` have passed (checked at each step; the
    bar need not be shown). ``None``: no deadline. Used by ``theorylab sweep`` for a cell's timeout."""
    old = getattr(_local, "until", None)
    _local.until = None if seconds is None else time.monotonic() + float(seconds)
    _local.seconds = seconds
    try:
        yield
    finally:
        _local.until = old


def check_deadline() -> None:
    """Raise :class:`DeadlineExceeded` when this thread's :func:`deadline` has passed (for loops
    that report no progress bar, such as the exact engine's)."""
    until = getattr(_local, "until", None)
    if until is not None and time.monotonic() > until:
        raise DeadlineExceeded(f"timeout: the cell ran longer than {getattr(_local, 'seconds', '?')} s")


class _Bar:
    def __init__(self, progress: object | None, task: object | None, total: int) -> None:
        self._progress, self._task, self._total = progress, task, total
        self._chunk = max(1, total // 200)
        self._pending = 0
        self._until = getattr(_local, "until", None)

    def advance(self, n: int = 1) -> None:
        if self._until is not None and time.monotonic() > self._until:
            raise DeadlineExceeded(f"timeout: the cell ran longer than {getattr(_local, 'seconds', '?')} s")
        if self._progress is None:
            return
        self._pending += n
        if self._pending >= self._chunk:
            self._progress.update(self._task, advance=self._pending)  # type: ignore[attr-defined]
            self._pending = 0


@contextmanager
def progress_bar(total: int, description: str, enabled: bool | None = None) -> Iterator[_Bar]:
    """Yield an object with ``advance(n)``. ``enabled=None``: on when stderr is a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield _Bar(None, None, total)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield _Bar(progress, task, total)
