"""Interval against tolerance band: re-exported from :mod:`theorylab.verdicts` (the ground floor),
where the one decision rule of every statistical verdict is defined and documented."""

from ..verdicts import Band, interval_status, lower_bound, upper_bound, within

__all__ = ["Band", "interval_status", "upper_bound", "lower_bound", "within"]
