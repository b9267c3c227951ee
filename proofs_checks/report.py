"""Render results: re-exported from :mod:`theorylab.claims.report`."""

from theorylab.claims.report import (FORMATS, HEADER, format_numbers, render, short_source, status_cell, summary,
                                     summary_line)

__all__ = ["summary", "summary_line", "render", "FORMATS", "format_numbers", "status_cell", "short_source", "HEADER"]
