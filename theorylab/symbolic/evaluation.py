"""A bound by name, evaluated at given values: what ``theorylab bounds NAME --at ...`` prints as
JSON and what a ``command = "bounds"`` sweep cell computes (one function for both).

The values are text (``"0.01"``, ``"inf"``) handed to :meth:`Bound.evaluate
<theorylab.symbolic.bounds.Bound.evaluate>`, which parses them with its own safe parser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["ELL_CHOICES", "parse_at", "named_bound", "bound_json", "is_asymptotic"]

#: the ``ell`` names a bound takes (dsignsgd, signsgd): A = 2 M_nu (default), B = 2 Xi_nu(R)/R, free = a symbol
ELL_CHOICES: tuple[str, ...] = ("A", "B", "a", "b", "free")


def parse_at(items: Sequence[str]) -> dict[str, str]:
    """``["eta=0.01", "t=inf"]`` as ``{"eta": "0.01", "t": "inf"}``; a malformed or repeated item is a
    one-line error."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise InvalidParameterError(f"--at expects SYMBOL=VALUE (e.g. eta=0.01, t=inf), got {item!r}")
        key, val = item.split("=", 1)
        key = key.strip()
        if not key:
            raise InvalidParameterError(f"--at expects SYMBOL=VALUE, got {item!r}")
        if key in out:
            raise InvalidParameterError(f"--at gives {key!r} twice")
        out[key] = val.strip()
    return out


def is_asymptotic(values: Mapping[str, str]) -> bool:
    """True when ``t`` is infinite: the evaluation is the asymptotic level."""
    return str(values.get("t", "")).lower() in ("inf", "oo", "+inf", "infinity")


def named_bound(name: str, ell: str | None = None) -> Any:
    """The bound ``name`` (one of :data:`~theorylab.symbolic.bounds.BOUND_NAMES`) with its ``ell``
    candidate (dsignsgd and signsgd only; default A)."""
    from .bounds import BOUND_NAMES, get_bound

    if name not in BOUND_NAMES:
        raise InvalidParameterError(f"invalid choice: {name!r} (choose from {', '.join(BOUND_NAMES)})")
    if ell is not None and ell not in ELL_CHOICES:
        raise InvalidParameterError(f"--ell must be one of {', '.join(ELL_CHOICES)}, got {ell!r}")
    if ell is not None and name not in ("dsignsgd", "signsgd"):
        raise InvalidParameterError(f"--ell applies to dsignsgd and signsgd (the l_nu of Theorem 4); "
                                    f"{name} has no l_nu")
    ell_arg = ell or "A"
    return get_bound(name, ell=None if ell_arg.lower() == "free" else ell_arg.upper())


def bound_json(name: str, values: Mapping[str, str] | None = None, ell: str | None = None) -> dict[str, Any]:
    """The bound's document (:func:`~theorylab.symbolic.render.document_dict`), plus ``evaluation``
    (``at``, ``value``, ``asymptotic`` and, when ``t = inf``, ``level``) when ``values`` are given."""
    from .render import document_dict, to_document

    bound = named_bound(name, ell)
    out = document_dict(to_document(bound))
    if values:
        value = bound.evaluate(**values)
        asymptotic = is_asymptotic(values)
        out["evaluation"] = {"at": dict(values), "value": value, "asymptotic": asymptotic}
        if asymptotic:
            out["evaluation"]["level"] = value
    return out
