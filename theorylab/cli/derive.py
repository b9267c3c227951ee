"""``theorylab sde derive FILE.py:NAME``: derive the SDE of a user's one-step update and what follows from it.

``FILE.py:NAME`` is the explicit way to run user code: the file is executed as a Python module and
``NAME`` must be an :class:`~theorylab.symbolic.update.Update` or a function with no required
arguments returning one. ``MODULE:NAME`` imports an installed or importable module instead.
Nothing from the file is parsed as text (no ``sympify`` of strings).
"""

from __future__ import annotations

import argparse
import inspect
import re
from typing import Any

from ..errors import InvalidParameterError

_TARGET = re.compile(r"^(?P<file>.+\.py):(?P<name>[^\W\d][\w.]*)$|^(?P<mod>[^\W\d][\w.]*):(?P<attr>[^\W\d][\w.]*)$")


def load_update(text: str) -> Any:
    """The :class:`~theorylab.symbolic.update.Update` named by ``FILE.py:NAME`` or ``MODULE:NAME``."""
    import importlib

    from ..compressors.user import _attr, _from_file
    from ..symbolic.update import Update

    m = _TARGET.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise InvalidParameterError(f"sde derive needs FILE.py:NAME (or MODULE:NAME), got {text!r}")
    if m["file"]:
        obj = _from_file(m["file"], m["name"], text)
    else:
        try:
            mod = importlib.import_module(m["mod"])
        except ImportError as exc:
            raise InvalidParameterError(f"cannot import module {m['mod']!r}: {exc}") from None
        obj = _attr(mod, m["attr"], m["mod"])
    if callable(obj) and not isinstance(obj, Update):
        params = inspect.signature(obj).parameters.values()
        if any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
            raise InvalidParameterError(f"{text}: a function must take no required arguments (it builds the Update)")
        try:
            obj = obj()
        except InvalidParameterError:
            raise
        except Exception as exc:  # noqa: BLE001 - user code
            raise InvalidParameterError(f"{text}: calling it failed ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, Update):
        raise InvalidParameterError(f"{text} is a {type(obj).__name__}, expected a theorylab.symbolic.update.Update "
                                    "(or a function returning one)")
    return obj


def cmd_derive(args: argparse.Namespace) -> int:
    """Print the derived SDE, stationary level, PL bound and scaling rules of the update named by ``args.target``."""
    from ..symbolic.consequences import report
    from ..symbolic.derive import NotDerivable
    from ..symbolic.render import render
    from .symbolic import _check_standalone, _write

    _check_standalone(args)
    if not args.target:
        raise InvalidParameterError("sde derive needs FILE.py:NAME, e.g. theorylab sde derive my_method.py:update")
    if args.agents is not None:
        raise InvalidParameterError("--agents applies to the named SDEs; a derived update sets its agents itself")
    update = load_update(args.target)
    try:
        doc = report(update)
    except NotDerivable as exc:
        raise InvalidParameterError(f"{args.target}: not derivable: {exc}") from None
    _write(args, render(doc, args.format), doc.title)
    return 0
