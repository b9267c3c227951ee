"""CLI commands of the symbolic layer: ``bounds``, ``sde``, ``rules``, ``classes``, ``regenerate``.

Thin shells over :mod:`theorylab.symbolic`; every output comes from its renderers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..errors import InvalidParameterError

FORMATS = ("latex", "markdown", "text", "json")


def _add_format(p: argparse.ArgumentParser, default: str = "text") -> None:
    p.add_argument("--format", choices=FORMATS, default=default, help=f"output format (default {default})")


def _parse_at(items: list[str]) -> dict[str, str]:
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


def _cmd_bounds(args: argparse.Namespace) -> int:
    from ..symbolic.bounds import get_bound
    from ..symbolic.render import document_dict, render, to_document

    ell = None if args.ell.lower() == "free" else args.ell.upper()
    bound = get_bound(args.name, ell=ell)
    if not args.at:
        sys.stdout.write(render(bound, args.format))
        return 0
    values = _parse_at(args.at)
    value = bound.evaluate(**values)
    asymptotic = values.get("t", "").lower() in ("inf", "oo", "+inf", "infinity")
    if args.format == "json":
        out = {"bound": bound.name, "ell_candidate": bound.ell_choice, "at": values, "value": value,
               "asymptotic": asymptotic}
        if asymptotic:
            out["level"] = value
        out["document"] = document_dict(to_document(bound))
        sys.stdout.write(json.dumps(out, sort_keys=True, indent=2) + "\n")
        return 0
    at = ", ".join(f"{k}={v}" for k, v in values.items())
    what = "asymptotic level" if asymptotic else "bound"
    if args.format == "latex":
        sys.stdout.write(f"% {bound.title} at {at}\n{what}: ${value!r}$\n")
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

    sys.stdout.write(render(get_sde(args.name, agents=args.agents), args.format))
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from ..symbolic.render import render
    from ..symbolic.rules import rule_table

    sys.stdout.write(render(rule_table(args.method, exact=args.exact), args.format))
    return 0


def _cmd_classes(args: argparse.Namespace) -> int:
    from ..symbolic.classes import class_tables
    from ..symbolic.render import render

    tables = class_tables()
    if args.format == "json":
        from ..symbolic.render import document_dict, to_document

        sys.stdout.write(json.dumps([document_dict(to_document(tb)) for tb in tables], sort_keys=True, indent=2) + "\n")
        return 0
    sys.stdout.write("\n".join(render(tb, args.format) for tb in tables))
    return 0


def _cmd_regenerate(args: argparse.Namespace) -> int:
    from ..symbolic.render import regenerate

    paths = regenerate(args.out)
    print(f"wrote {len(paths)} files to {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add this module's commands to the theorylab parser."""
    from ..symbolic.bounds import BOUND_NAMES
    from ..symbolic.sde import SDE_NAMES

    p = sub.add_parser("bounds", help="print or evaluate a PL bound (Theorems 3, 4; SGD, SignSGD)",
                       description="Print a bound, or evaluate it with --at SYMBOL=VALUE ... (t=inf: asymptotic level).")
    p.add_argument("name", choices=BOUND_NAMES)
    _add_format(p)
    p.add_argument("--at", nargs="+", action="extend", default=[], metavar="SYMBOL=VALUE",
                   help="substitute and evaluate, e.g. --at eta=0.01 L=1 mu=1 d=20 N=4 sigma=1 B=1 omega=3 t=inf")
    p.add_argument("--ell", default="A", choices=["A", "B", "a", "b", "free"],
                   help="definition of ell_nu for dsignsgd/signsgd: A = 2 M_nu, B = 2 Xi_nu(R)/R, free = symbol")
    p.set_defaults(func=_cmd_bounds)

    p = sub.add_parser("sde", help="print the SDE of an optimizer (drift and diffusion)")
    p.add_argument("name", choices=SDE_NAMES)
    p.add_argument("--agents", type=int, default=None, help="per-agent constants for this many agents")
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
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=_cmd_regenerate)
