"""Symbolic cells: ``command = "bounds"`` sweeps ``theorylab bounds NAME --at SYMBOL=VALUE ...``.

The spec's ``method`` is the bound's name (``dcsgd``, ``dsignsgd``, ``sgd``, ``signsgd``),
``ell`` is ``bounds``' ``--ell`` option and every other key is a symbol given to ``--at``
(``t = "inf"`` for the asymptotic level). A cell is computed by
:func:`theorylab.symbolic.evaluation.bound_json`, the function behind ``theorylab bounds
--format json``, so a cell equals ``theorylab bounds`` with the same arguments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError

__all__ = ["bounds_task", "bounds_argv", "bounds_params", "bounds_result", "bounds_outcome"]

DENIED = ("format", "help", "at")


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(f"{where}: a symbol's value must be a number or a string like \"inf\", got {value!r}")
    return repr(value) if isinstance(value, float) else str(value)


def bounds_task(method: str, values: Mapping[str, Any], reserved: tuple[str, ...], where: str) -> dict[str, Any]:
    """The task of one cell: ``{"name", "ell", "at"}`` (``ell`` -> ``--ell``, other keys -> ``--at``,
    values as the text ``theorylab bounds`` would get)."""
    ell = None
    at: dict[str, str] = {}
    for key, value in values.items():
        if key in reserved:
            continue
        if key in DENIED:
            raise SpecError(f"{where}: `{key}` is set by the sweep; give symbols as keys (eta = 0.01, t = \"inf\")")
        if key == "ell":
            ell = _text(value, f"{where}: ell")
        else:
            at[key] = _text(value, f"{where}: {key}")
    return {"name": method, "ell": ell, "at": at}


def bounds_argv(task: Mapping[str, Any]) -> list[str]:
    """The equivalent ``theorylab bounds`` arguments of a task."""
    argv = [task["name"]] + (["--ell", task["ell"]] if task["ell"] is not None else [])
    if task["at"]:
        argv += ["--at", *(f"{k}={v}" for k, v in task["at"].items())]
    return argv + ["--format", "json"]


def _num(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def bounds_params(task: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical parameters: the bound, ``ell`` and every symbol's value (numbers as floats)."""
    return {"method": task["name"], "ell": task["ell"], **{k: _num(v) for k, v in task["at"].items()}}


def bounds_result(task: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON that ``theorylab bounds NAME --at ... --format json`` prints (same function)."""
    from ..symbolic.evaluation import bound_json

    return json.loads(json.dumps(bound_json(task["name"], task["at"], task["ell"]), sort_keys=True))


def bounds_outcome(result: Mapping[str, Any]) -> dict[str, Any]:
    """Store columns of a bounds cell: ``bound`` = the value, ``level`` = it when ``t = inf``."""
    ev = result.get("evaluation", result)  # bounds --at: the document plus its "evaluation"
    value = float(ev["value"])
    return {"bound": value, "level": value if ev.get("asymptotic") else None,
            "result": json.dumps(ev, sort_keys=True)}
