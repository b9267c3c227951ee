"""Verdicts of a check: re-exported from :mod:`theorylab.claims.verdict` (the public library)."""

from theorylab.claims.status import STATUSES, Status
from theorylab.claims.verdict import (Verdict, combine, decide, errored, exact_on_instances, format_rate, holds,
                                      inconclusive, plain, proved, refuted)

_plain = plain  # former private name

__all__ = ["Status", "STATUSES", "Verdict", "proved", "holds", "exact_on_instances", "refuted", "inconclusive", "errored", "decide",
           "combine", "plain", "format_rate"]
