"""Time limits: :func:`deadline` (a ``SIGALRM`` raising :class:`DeadlineExceeded` in the main
thread) and :func:`watchdog` (a thread that ends the process with one line and exit 2).

``DeadlineExceeded`` is a ``BaseException`` so that ``except Exception`` handlers in user code
or in the kit (which record a compressor's own failures) cannot swallow it. Where ``SIGALRM``
is missing (Windows) or outside the main thread, :func:`deadline` does nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["DeadlineExceeded", "deadline", "watchdog"]


class DeadlineExceeded(BaseException):
    """The time given to :func:`deadline` ran out."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`DeadlineExceeded` in this block after ``seconds`` (None: no limit)."""
    if (seconds is None or not hasattr(signal, "SIGALRM")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def fire(signum: int, frame: Any) -> None:
        raise DeadlineExceeded

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextmanager
def watchdog(seconds: float | None, message: str) -> Iterator[None]:
    """End the process with ``theorylab: error: MESSAGE`` and exit 2 when the block runs past
    ``seconds``: a last resort for work that cannot be interrupted safely (compiled code)."""
    if seconds is None:
        yield
        return
    done = threading.Event()

    def guard() -> None:
        if not done.wait(seconds):
            try:
                sys.stdout.flush()
                print(f"theorylab: error: {message}", file=sys.stderr, flush=True)
            finally:
                os._exit(2)

    t = threading.Thread(target=guard, name="theorylab-watchdog", daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
