"""The declaration of a check and the registry: re-exported from :mod:`theorylab.claims.check`.

:func:`discover` defaults to this package's checks (``proofs_checks.checks``).
"""

from __future__ import annotations

from theorylab.claims import checks as _check
from theorylab.claims.checks import (CHECK_METHODS, MODES, Check, ImportFailure, Method, Mode, check, load_file,
                                    registry, select)

METHODS = CHECK_METHODS  # former name (theorylab.simulate.METHODS names optimizers)
PACKAGE = "proofs_checks.checks"

__all__ = ["Method", "Mode", "METHODS", "CHECK_METHODS", "MODES", "Check", "check", "registry", "discover",
           "load_file", "select", "ImportFailure", "PACKAGE"]


def discover(package: str = PACKAGE) -> tuple[list[Check], list[ImportFailure]]:
    """The checks of the source papers (:func:`theorylab.claims.discover` on ``package``)."""
    return _check.discover(package)
