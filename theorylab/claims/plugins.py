"""Checks that installed packages register: the entry-point group ``theorylab.checks``.

A package of claims plugs into ``theorylab check`` by declaring, in its ``pyproject.toml``::

    [project.entry-points."theorylab.checks"]
    my-paper = "my_paper_checks"            # a package (or module) whose modules declare checks

The value names a package whose modules declare checks with :func:`~theorylab.claims.check`
(every module is imported, as :func:`~theorylab.claims.discover` does), a single module, or
``MODULE:FUNCTION`` where the function returns the checks. theorylab's own source papers
(``proofs_checks``) register the same way; the library never imports them by name.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import traceback
from collections.abc import Sequence
from typing import Any

from ..errors import ClaimError
from .checks import Check, ImportFailure, discover, registry, select

__all__ = ["ENTRY_POINT_GROUP", "entry_points", "installed_checks"]

ENTRY_POINT_GROUP = "theorylab.checks"


def entry_points() -> list[Any]:
    """The installed entry points of :data:`ENTRY_POINT_GROUP`, sorted by name (then value)."""
    return sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))


def _last_line(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def _from_entry_point(ep: Any) -> tuple[list[Check], list[ImportFailure]]:
    where = f"entry point {ep.name} = {ep.value!r} ({ENTRY_POINT_GROUP})"
    if ep.attr:  # MODULE:FUNCTION returning the checks
        try:
            made = list(ep.load()())
        except Exception as exc:  # noqa: BLE001 - a broken plug-in is an error row, not a crash
            return [], [ImportFailure(where, _last_line(exc))]
        bad = [c for c in made if not isinstance(c, Check)]
        if bad:
            return [], [ImportFailure(where, f"returned {type(bad[0]).__name__}, expected theorylab.claims.Check")]
        return made, []
    try:
        mod = importlib.import_module(ep.module)
    except Exception as exc:  # noqa: BLE001
        return [], [ImportFailure(ep.module, _last_line(exc))]
    if hasattr(mod, "__path__"):  # a package: every module of it
        return discover(ep.module)
    return sorted((c for c in registry().values() if c.module == ep.module), key=lambda c: c.id), []


def installed_checks(only: Sequence[str] | None = None) -> tuple[list[Check], list[ImportFailure]]:
    """Every check that an installed package registers under :data:`ENTRY_POINT_GROUP`, selected by
    ``only`` (glob patterns or substrings of ids), and the modules that failed to import.
    :class:`~theorylab.errors.ClaimError` when two packages declare the same check id."""
    checks: dict[str, Check] = {}
    failures: list[ImportFailure] = []
    for ep in entry_points():
        found, failed = _from_entry_point(ep)
        failures += failed
        for c in found:
            if c.id in checks and checks[c.id] is not c:
                raise ClaimError(f"check id {c.id!r} is declared twice (entry point {ep.name} and another "
                                 "package); ids must be unique")
            checks[c.id] = c
    return select(sorted(checks.values(), key=lambda c: c.id), only), failures
