"""Symbolic cells: ``command = "bounds"`` sweeps ``theorylab bounds NAME --at SYMBOL=VALUE ...``.

The spec's ``method`` is the bound's name (``dcsgd``, ``dsignsgd``, ``sgd``, ``signsgd``),
``ell`` is ``bounds``' ``--ell`` option and every other key is a symbol given to ``--at``
(``t = "inf"`` for the asymptotic level). A cell is parsed by the ``bounds`` subcommand's own
parser and computed by the CLI's own handler with ``--format json`` (its output captured),
so a cell equals ``theorylab bounds`` with the same arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError

__all__ = ["bounds_argv", "bounds_params", "bounds_result", "bounds_outcome"]

DENIED = ("format", "help", "at")


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(f"{where}: a symbol's value must be a number or a string like \"inf\", got {value!r}")
    return repr(value) if isinstance(value, float) else str(value)


def bounds_argv(method: str, values: Mapping[str, Any], reserved: tuple[str, ...], where: str) -> list[str]:
    """``theorylab bounds`` argv of one cell (``ell`` -> ``--ell``, other keys -> ``--at``)."""
    argv = [method]
    at = []
    for key, value in values.items():
        if key in reserved:
            continue
        if key in DENIED:
            raise SpecError(f"{where}: `{key}` is set by the sweep; give symbols as keys (eta = 0.01, t = \"inf\")")
        if key == "ell":
            argv += ["--ell", _text(value, f"{where}: ell")]
        else:
            at.append(f"{key}={_text(value, f'{where}: {key}')}")
    if at:
        argv += ["--at", *at]
    return argv + ["--format", "json"]


def _num(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def bounds_params(ns: argparse.Namespace, method: str) -> dict[str, Any]:
    """Canonical parameters: the bound, ``ell`` and every symbol's value (numbers as floats)."""
    from ..cli.symbolic import _parse_at

    return {"method": method, "ell": ns.ell, **{k: _num(v) for k, v in _parse_at(ns.at).items()}}


def bounds_result(ns: argparse.Namespace) -> dict[str, Any]:
    """The JSON that ``theorylab bounds NAME --at ... --format json`` prints (same handler)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ns.func(ns)
    return json.loads(buf.getvalue())


def bounds_outcome(result: Mapping[str, Any]) -> dict[str, Any]:
    """Store columns of a bounds cell: ``bound`` = the value, ``level`` = it when ``t = inf``."""
    ev = result.get("evaluation", result)  # bounds --at: the document plus its "evaluation"
    value = float(ev["value"])
    return {"bound": value, "level": value if ev.get("asymptotic") else None,
            "result": json.dumps(ev, sort_keys=True)}
