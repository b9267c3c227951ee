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


def _number(text: str, what: str) -> float:
    """A finite number from ``text`` (``0.1``, ``3``, ``1/3``): read by ``fractions.Fraction``, never evaluated."""
    from fractions import Fraction

    try:
        out = float(Fraction(text.strip()))
    except (ValueError, ZeroDivisionError):
        raise InvalidParameterError(f"{what}: cannot read {text!r} as a number (expected e.g. 0.1, 3, 1/3)") from None
    return out


def _check_values(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise InvalidParameterError(f"--check expects SYMBOL=VALUE (e.g. sigma=1 B=1 N=4), got {item!r}")
        out[key.strip()] = _number(val, f"--check {key.strip()}")
    return out


def _weak_order(update: Any, args: argparse.Namespace) -> Any:
    """Run :func:`theorylab.simulate.weak_order.weak_order_check` with the values given by ``--check``."""
    from ..simulate.weak_order import weak_order_check

    values = _check_values(args.check)
    if "eta" in values:
        raise InvalidParameterError("--check takes the symbols' values without eta (the step sizes are --etas)")
    etas = [_number(e, "--etas") for e in args.etas.split(",")]
    lams = [_number(e, "--eigenvalues") for e in args.eigenvalues.split(",")]
    return weak_order_check(update, values, lams, etas=etas, x0=_number(args.x0, "--x0"), paths=args.paths,
                            seed=args.seed)


def add_check_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``sde derive --check`` (weak-order check against the method)."""
    p.add_argument("--check", nargs="+", action="extend", default=None, metavar="SYMBOL=VALUE",
                   help="with derive: also check the SDE against the method at these values (e.g. --check N=4 "
                   "omega=1 sigma=1 B=1); exit 1 when the weak-order check refutes it")
    p.add_argument("--etas", default="0.1,0.05,0.025", help="with --check: step sizes (default 0.1,0.05,0.025)")
    p.add_argument("--eigenvalues", default="1,0.5,2,1.5",
                   help="with --check: the diagonal Hessian of the test quadratic (default 1,0.5,2,1.5)")
    p.add_argument("--x0", default="2", help="with --check: start of the transient runs (default 2)")
    p.add_argument("--paths", type=int, default=20000, help="with --check, Monte Carlo: paths (multiple of 20)")
    p.add_argument("--seed", type=int, default=0, help="with --check, Monte Carlo: seed (default 0)")


def cmd_derive(args: argparse.Namespace) -> int:
    """Print the derived SDE, stationary level, PL bound and scaling rules of the update named by ``args.target``
    (and, with ``--check``, the weak-order verdict: exit 1 when refuted)."""
    import dataclasses
    import json

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
    check = _weak_order(update, args) if getattr(args, "check", None) else None
    if check is not None:
        if args.format == "json":
            doc = dataclasses.replace(doc, data={**doc.data, "weak_order": json.loads(json.dumps(
                {"verdict": check.verdict, "engine": check.engine, "etas": check.etas, "errors": check.errors,
                 "se": check.se, "slopes": check.slopes, "levels_method": check.levels_method,
                 "levels_sde": check.levels_sde, "params": check.params}, default=str))})
        else:
            doc = dataclasses.replace(doc, notes=[*doc.notes, *check.message().splitlines()])
    _write(args, render(doc, args.format), doc.title)
    return 1 if check is not None and check.verdict == "refuted" else 0
