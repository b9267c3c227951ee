"""Every claim of the source papers as a runnable check with a verdict, written with the
public library :mod:`theorylab.claims`.

``python -m proofs_checks`` or ``theorylab check`` runs them. Check modules live in
:mod:`proofs_checks.checks` (one per claim or small family), each declared with
:func:`check`; :func:`discover` and :func:`collect` find them. The names below are the
library's (re-exported so that code written against ``proofs_checks`` keeps working).
"""

from .check import METHODS, MODES, Check, ImportFailure, check, discover, registry, select
from .report import FORMATS, render, summary
from .runner import Result, collect, run_check, run_checks
from .verdict import STATUSES, Status, Verdict, combine, decide, errored, holds, inconclusive, proved, refuted

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
    "Status",
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
