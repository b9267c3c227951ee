"""CLI commands of the symbolic layer: ``bounds``, ``sde``, ``rules``, ``classes``, ``regenerate``.

Thin shells over :mod:`theorylab.symbolic`; every output comes from its renderers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..errors import InvalidParameterError, positive_int
from ._io import output_dir

FORMATS = ("latex", "markdown", "text", "json")


def _add_format(p: argparse.ArgumentParser, default: str = "text") -> None:
    p.add_argument("--format", choices=FORMATS, default=default, help=f"output format (default {default})")
    p.add_argument("--standalone", action="store_true",
                   help="with --format latex: a complete document that pdflatex compiles (amsmath, amssymb)")


def _write(args: argparse.Namespace, text: str, title: str) -> None:
    """Print ``text`` (a renderer's output), wrapped in a LaTeX document with ``--standalone``."""
    if getattr(args, "standalone", False):
        from ..symbolic.render import latex_standalone

        text = latex_standalone(text, title)
    sys.stdout.write(text)


def _check_standalone(args: argparse.Namespace) -> None:
    if getattr(args, "standalone", False) and args.format != "latex":
        raise InvalidParameterError(f"--standalone applies to --format latex, got --format {args.format}")


def _cmd_bounds(args: argparse.Namespace) -> int:
    from ..symbolic.evaluation import bound_json, is_asymptotic, named_bound, parse_at
    from ..symbolic.render import render

    _check_standalone(args)
    values = parse_at(args.at) if args.at else {}
    if args.format == "json":
        # one shape with or without --at: the bound's document, plus "evaluation" with --at
        out = bound_json(args.name, values, args.ell)
        sys.stdout.write(json.dumps(out, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
        return 0
    bound = named_bound(args.name, args.ell)
    if not args.at:
        _write(args, render(bound, args.format), bound.title)
        return 0
    value = bound.evaluate(**values)
    asymptotic = is_asymptotic(values)
    at = ", ".join(f"{k}={v}" for k, v in values.items())
    what = "asymptotic level" if asymptotic else "bound"
    if args.format == "latex":
        _write(args, f"% {bound.title} at {at}\n{what}: ${value!r}$\n", bound.title)
    elif args.format == "markdown":
        sys.stdout.write(f"**{bound.title}** at `{at}`: {what} = `{value!r}`\n")
    else:
        sys.stdout.write(f"{bound.title} at {at}\n{what} = {value!r}\n")
    if not math.isfinite(value):  # pragma: no cover - evaluate() already refuses
        return 1
    return 0


def _cmd_sde(args: argparse.Namespace) -> int:
    from ..symbolic.render import render
    from ..symbolic.sde import get_sde

    if args.name == "derive":
        from .derive import cmd_derive

        return cmd_derive(args)
    if args.target is not None or args.check:
        raise InvalidParameterError(f"sde {args.name} takes no FILE.py:NAME or --check (they are for 'sde derive')")
    _check_standalone(args)
    agents = None if args.agents is None else positive_int("--agents", args.agents)
    sde = get_sde(args.name, agents=agents)
    _write(args, render(sde, args.format), sde.title)
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from ..symbolic.render import render
    from ..symbolic.rules import rule_table

    _check_standalone(args)
    _write(args, render(rule_table(args.method, exact=args.exact), args.format), f"Scaling rules of {args.method}")
    return 0


def _cmd_classes(args: argparse.Namespace) -> int:
    from ..symbolic.classes import class_tables
    from ..symbolic.render import render

    _check_standalone(args)
    tables = class_tables()
    if args.format == "json":
        from ..symbolic.render import document_dict, to_document

        sys.stdout.write(json.dumps([document_dict(to_document(tb)) for tb in tables], sort_keys=True, indent=2) + "\n")
        return 0
    _write(args, "\n".join(render(tb, args.format) for tb in tables), "Compressor classes")
    return 0


def _cmd_regenerate(args: argparse.Namespace) -> int:
    from ..symbolic.render import regenerate

    out = output_dir(args.out, "--out")  # before the work: never the current directory by accident
    paths = regenerate(out)
    print(f"wrote {len(paths)} files to {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add this module's commands to the theorylab parser."""
    from ..symbolic.bounds import BOUND_NAMES
    from ..symbolic.evaluation import ELL_CHOICES
    from ..symbolic.sde import SDE_NAMES

    p = sub.add_parser("bounds", help="print or evaluate a PL bound (Theorems 3, 4; SGD, SignSGD)",
                       description="Print a bound, or evaluate it with --at SYMBOL=VALUE ... (t=inf: asymptotic level).")
    p.add_argument("name", choices=BOUND_NAMES)
    _add_format(p)
    p.add_argument("--at", nargs="+", action="extend", default=[], metavar="SYMBOL=VALUE",
                   help="substitute and evaluate, e.g. --at eta=0.01 L=1 mu=1 d=20 N=4 sigma=1 B=1 omega=3 t=inf")
    p.add_argument("--ell", default=None, choices=ELL_CHOICES,
                   help="definition of ell_nu, dsignsgd/signsgd only: A = 2 M_nu (default), B = 2 Xi_nu(R)/R, "
                   "free = symbol")
    p.set_defaults(func=_cmd_bounds)

    p = sub.add_parser("sde", help="print the SDE of an optimizer (drift and diffusion), or derive one: sde derive FILE.py:NAME")
    p.add_argument("name", choices=(*SDE_NAMES, "derive"))
    p.add_argument("target", nargs="?", default=None,
                   help="with derive: FILE.py:NAME (runs that file) naming an Update of theorylab.symbolic.update")
    from .derive import add_check_arguments

    add_check_arguments(p)
    p.add_argument("--agents", type=int, default=None, help="per-agent constants for this many agents (>= 1)")
    _add_format(p)
    p.set_defaults(func=_cmd_sde)

    p = sub.add_parser("rules", help="scaling rules derived from the asymptotic levels")
    p.add_argument("method", choices=["dcsgd", "dsignsgd"])
    p.add_argument("--exact", action="store_true", help="keep Delta (no Delta ~ 1 approximation)")
    _add_format(p)
    p.set_defaults(func=_cmd_rules)

    p = sub.add_parser("classes", help="compressor-class conversions (Beznosikov et al.), verified")
    _add_format(p)
    p.set_defaults(func=_cmd_classes)

    p = sub.add_parser("regenerate", help="write every theorem, SDE and table as .tex, .md and .json")
    p.add_argument("--out", required=True, help="output directory (created when its parent exists)")
    p.set_defaults(func=_cmd_regenerate)
