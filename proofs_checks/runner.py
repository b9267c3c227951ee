"""Run checks: re-exported from :mod:`theorylab.claims.runner`; :func:`collect` defaults to the
source papers' checks."""

from __future__ import annotations

from collections.abc import Sequence

from theorylab.claims import runner as _runner
from theorylab.claims.runner import Result, run_check, run_checks

from .check import PACKAGE, Check, ImportFailure

__all__ = ["Result", "run_check", "run_checks", "collect"]


def collect(only: Sequence[str] | None = None, package: str = PACKAGE) -> tuple[list[Check], list[ImportFailure]]:
    """The source papers' checks selected by ``only`` (glob patterns or substrings of ids) and the
    modules that failed to import."""
    return _runner.collect(package, only)
