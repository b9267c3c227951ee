"""CLI: ``theorylab compressors check|list``.

- ``theorylab compressors check TARGET [--dim D] [--omega W | --delta D] [--seed S] [--format text|json]``
  checks one compressor; TARGET is a spec (``randk:k=10``, ``induced(topk:k=2,randk:k=4)``)
  or ``MODULE:NAME`` naming a compressor instance, a class or factory called with no
  arguments, or a plain function ``C(x, rng)`` (the current directory is importable).
  ``--all`` checks every catalogue compressor. Exit status 1 when a claim is refuted.
- ``theorylab compressors list [--dim D]``: each compressor's class, constants at d, and bits.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import re
import sys
import time
from typing import Any

from ..compressors import CATALOGUE, COMBINATORS, ClassNotApplicableError, catalogue_specs, from_spec
from ..errors import InvalidParameterError
from ..testing import check_compressor

_IMPORT = re.compile(r"^[^\W\d][\w.]*:[^\W\d][\w.]*$")  # MODULE:NAME, Unicode identifiers included


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``compressors check`` and ``compressors list`` to the theorylab parser."""
    p = sub.add_parser("compressors", help="check compressors' claimed constants; list the catalogue")
    csub = p.add_subparsers(dest="compressors_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    c = csub.add_parser(
        "check",
        help="check a compressor's claims (unbiasedness, omega, delta)",
        description="Check a compressor's claimed constants with sound statistics; exit 1 if a claim is refuted.",
    )
    c.add_argument("target", nargs="?", help="a spec such as randk:k=10, or MODULE:NAME")
    c.add_argument("--all", action="store_true", help="check every compressor of the catalogue")
    c.add_argument("--dim", "-d", type=int, default=64, help="dimension d (default 64)")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--omega", type=float, help="claimed omega of U(omega) (overrides the declared one)")
    g.add_argument("--delta", type=float, help="claimed delta of C(delta) (overrides the declared one)")
    c.add_argument("--seed", type=int, default=0, help="seed of every draw (default 0)")
    c.add_argument("--false-alarm", type=float, default=1e-6, help="family-wise false-alarm rate (default 1e-6)")
    c.add_argument("--draws", type=int, default=2000, help="test draws per input (default 2000)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=_check)

    ls = csub.add_parser("list", help="the catalogue: class, constant at d, bits")
    ls.add_argument("--dim", "-d", type=int, default=64, help="dimension d (default 64)")
    ls.add_argument("--format", choices=("text", "json"), default="text")
    ls.set_defaults(func=_list)


def load_target(target: str) -> Any:
    """A compressor from a spec or from ``MODULE:NAME`` (instance, no-argument factory, or function)."""
    head = target.split(":", 1)[0].strip().lower()
    if not _IMPORT.match(target.strip()) or head in CATALOGUE or head in COMBINATORS:
        return from_spec(target)
    mod_name, _, attr = target.strip().partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(mod_name)
    except ImportError as exc:
        raise InvalidParameterError(
            f"cannot import module {mod_name!r} for {target!r}: {exc}. MODULE:NAME imports MODULE from sys.path, "
            f"which holds the current directory ({os.getcwd()}) and PYTHONPATH: run from the directory of "
            f"{mod_name.split('.')[0]}.py, add that directory to PYTHONPATH, or give the file as PATH/TO/FILE.py:NAME"
        ) from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise InvalidParameterError(f"module {mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if inspect.isclass(obj) or (inspect.isfunction(obj) and _no_required_args(obj)):
        try:
            obj = obj()
        except TypeError as exc:
            raise InvalidParameterError(f"{target}: calling it with no arguments failed ({exc})") from exc
    if not callable(obj):
        raise InvalidParameterError(f"{target} is not callable as C(x, rng)")
    return obj


def _no_required_args(f: Any) -> bool:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in sig.parameters.values()
    )


def _check(args: argparse.Namespace) -> int:
    if args.all == bool(args.target):
        raise InvalidParameterError("give either a TARGET (spec or MODULE:NAME) or --all")
    if args.all and (args.omega is not None or args.delta is not None):
        raise InvalidParameterError("--omega/--delta apply to one TARGET, not to --all")
    targets = catalogue_specs(args.dim) if args.all else [args.target]
    t0 = time.perf_counter()
    reports = []
    for t in targets:
        c = load_target(t)
        rep = check_compressor(
            c, args.dim, omega=args.omega, delta=args.delta, seed=args.seed,
            false_alarm=args.false_alarm, n_draws=args.draws,
        )
        reports.append(rep)
        if args.format == "text":
            print(rep.text(max_inputs=5 if args.all else 8, hint="cli"))
            print()
    failed = [r for r in reports if not r.passed]
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in reports] if args.all else reports[0].to_dict(), indent=2))
    else:
        print(
            f"{len(reports) - len(failed)}/{len(reports)} compressors hold all their claims at d={args.dim} "
            f"({time.perf_counter() - t0:.1f}s)"
            + ("" if not failed else "; refuted: " + ", ".join(r.name for r in failed))
        )
    return 1 if failed else 0


def _const(c: Any, what: str, d: int) -> str:
    try:
        return f"{getattr(c, what)(d):.6g}"
    except ClassNotApplicableError:
        return "-"


def _list(args: argparse.Namespace) -> int:
    d = args.dim
    rows = []
    for spec in catalogue_specs(d):
        c = from_spec(spec)
        om, de = _const(c, "omega", d), _const(c, "delta", d)
        cls = ", ".join(x for x in (f"U({om})" if om != "-" else "", f"C({de})" if de != "-" else "") if x) or "none"
        rows.append(
            {"spec": spec, "unbiased": c.unbiased, "class": cls, "omega": om, "delta": de, "bits": f"{c.bits(d):.6g}"}
        )
    if args.format == "json":
        print(json.dumps({"d": d, "compressors": rows}, indent=2))
        return 0
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"theorylab compressors at d = {d} (fp32 values, 32 d = {32 * d} bits uncompressed)")
        for col in ("spec", "unbiased", "class", "omega", "delta", "bits"):
            table.add_column(col, justify="right" if col in ("omega", "delta", "bits") else "left")
        for r in rows:
            table.add_row(*(str(r[k]) for k in ("spec", "unbiased", "class", "omega", "delta", "bits")))
        Console(width=120).print(table)
    except ImportError:  # pragma: no cover - rich is a core dependency
        for r in rows:
            print("  ".join(str(v) for v in r.values()))
    return 0
