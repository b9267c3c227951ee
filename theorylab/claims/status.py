"""The verdict vocabulary: re-exported from :mod:`theorylab.verdicts` (the ground floor), where
:class:`Status` is defined once for every layer."""

from ..verdicts import SEVERITY, STATUSES, Status

__all__ = ["Status", "STATUSES", "SEVERITY"]
