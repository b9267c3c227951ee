"""Exceptions of theorylab.

Every error says what was wrong and what is expected. They subclass ``ValueError``
(or ``RuntimeError``) so that ordinary ``except ValueError`` handlers keep working.
"""

from __future__ import annotations

__all__ = [
    "TheorylabError",
    "InvalidParameterError",
    "AssumptionError",
    "BackendUnavailableError",
    "DivergenceError",
    "SpecError",
    "ClaimError",
    "positive_int",
]


class TheorylabError(Exception):
    """Base class of every theorylab error."""


class InvalidParameterError(TheorylabError, ValueError):
    """A parameter is outside its domain (``k > d``, ``nu <= 0``, a wrong shape, ...)."""


class SpecError(InvalidParameterError):
    """A textual specification (``"randk:k=10"``, ``"quadratic:mu=1"``) cannot be parsed."""


class AssumptionError(TheorylabError, ValueError):
    """An evaluation violates a named assumption of a theorem (``Delta > 0``, ``nu > 0``...).

    ``assumption`` holds the name of the violated assumption, ``value`` the offending value.
    """

    def __init__(self, assumption: str, message: str, value: object = None) -> None:
        super().__init__(f"assumption {assumption!r} violated: {message}")
        self.assumption = assumption
        self.value = value


class ClaimError(TheorylabError, ValueError):
    """A claim, check or verdict breaks the contract of :mod:`theorylab.claims` (a refuted
    verdict without its counterexample, an unknown status or method, a duplicate check id, a
    claim file that cannot be imported, ...)."""


class BackendUnavailableError(TheorylabError, RuntimeError):
    """An array backend was asked for (``cupy``) but cannot be used here."""


class DivergenceError(TheorylabError, RuntimeError):
    """A simulation produced non-finite values.

    ``step`` is the first step at which a non-finite value appeared and ``fraction`` the
    fraction of replicas that had diverged by then.
    """

    def __init__(self, message: str, step: int | None = None, fraction: float | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.fraction = fraction


def positive_int(name: str, value: object) -> int:
    """``value`` as an ``int`` if it is an integer >= 1 (a Python or numpy integer, not a bool);
    otherwise :class:`InvalidParameterError` ``"<name> must be a positive integer, got <value>"``."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidParameterError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
