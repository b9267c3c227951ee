"""Every claim of the source papers as a runnable check with a verdict.

``python -m proofs_checks`` or ``theorylab check`` runs them. Check modules live in
:mod:`proofs_checks.checks` (one per claim or small family), each declared with
:func:`check`; the registry finds them by :func:`discover`.
"""

from .check import METHODS, MODES, Check, ImportFailure, check, discover, registry, select
from .report import FORMATS, render, summary
from .runner import Result, collect, run_check, run_checks
from .verdict import STATUSES, Verdict, combine, decide, errored, holds, inconclusive, proved, refuted

__all__ = [
    "Check",
    "check",
    "discover",
    "registry",
    "select",
    "ImportFailure",
    "METHODS",
    "MODES",
    "Verdict",
    "STATUSES",
    "proved",
    "holds",
    "refuted",
    "inconclusive",
    "errored",
    "decide",
    "combine",
    "Result",
    "run_check",
    "run_checks",
    "collect",
    "render",
    "summary",
    "FORMATS",
]
