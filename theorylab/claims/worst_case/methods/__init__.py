"""The methods library: one file per method, each with its paper (see :mod:`._base` for the
contract and :mod:`.gd` for the shortest example to copy).

To add a method, write ``mymethod.py`` next to these with ``run(ctx, f, starts, steps, p)`` and
a module-level ``METHOD = Method(...)``, and add its module name to ``MODULES``; or pass the
``Method`` object itself to :func:`theorylab.claims.worst_case.worst_case`.
"""

from __future__ import annotations

import importlib

from ....errors import InvalidParameterError
from ._base import Method, Run, exact_sqrt

__all__ = ["Method", "Run", "exact_sqrt", "get_method", "METHODS", "MODULES"]

MODULES = ("gd", "heavy_ball", "fgm", "ogm", "sgd", "inexact_gd", "dcsgd", "ef21", "diana")


def _load() -> dict[str, Method]:
    out = {}
    for m in MODULES:
        mod = importlib.import_module(f"{__name__}.{m}")
        out[mod.METHOD.name] = mod.METHOD
    return out


METHODS: dict[str, Method] = _load()


def get_method(name: str | Method) -> Method:
    """A method of the library by name (``gd``, ``heavy-ball``, ...) or a :class:`Method` itself."""
    if isinstance(name, Method):
        return name
    try:
        return METHODS[name]
    except KeyError:
        raise InvalidParameterError(f"unknown method {name!r}; expected one of {', '.join(METHODS)}") from None
