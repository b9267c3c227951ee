"""The one verdict vocabulary of theorylab, shared by every layer.

- ``proved``: established exactly (sympy established every step under the stated
  assumptions, or exact rational arithmetic);
- ``holds``: supported by a statistical or numerical test that did not reject it; the
  verdict states the test (one-sided or equivalence), its tolerance and its false-alarm rate;
- ``refuted``: a counterexample was found (an exact one, or an interval that lies entirely
  on the wrong side of the claim);
- ``inconclusive``: the computation could not decide; the verdict says what more it needs;
- ``error``: the check itself raised.

``Status`` is a ``str`` enum: ``Status.HOLDS == "holds"``, and ``str``/``format``/JSON give the
plain word, so code that compares statuses with strings keeps working.
"""

from __future__ import annotations

import enum

from ..errors import ClaimError

__all__ = ["Status", "STATUSES", "SEVERITY"]


class Status(str, enum.Enum):
    """Verdict status (see the module docstring)."""

    PROVED = "proved"
    HOLDS = "holds"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def ok(self) -> bool:
        """True for ``proved`` and ``holds`` (the claim survived)."""
        return self in (Status.PROVED, Status.HOLDS)

    @classmethod
    def parse(cls, value: object) -> Status:
        """``value`` (a ``Status`` or its word) as a ``Status``; :class:`ClaimError` otherwise."""
        if isinstance(value, Status):
            return value
        try:
            return cls(value)
        except ValueError:
            raise ClaimError(f"verdict status must be one of {STATUSES}, got {value!r}") from None


STATUSES: tuple[str, ...] = tuple(s.value for s in Status)

#: how bad a status is when parts are combined: the worst part wins
SEVERITY: dict[Status, int] = {Status.ERROR: 0, Status.REFUTED: 1, Status.INCONCLUSIVE: 2, Status.HOLDS: 3,
                               Status.PROVED: 4}
