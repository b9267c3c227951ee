"""CLI command ``theorylab worst-case``: a bound claim over a whole function class (PEP).

A thin shell over :func:`theorylab.claims.worst_case.solve_worst_case`::

    theorylab worst-case gd --class smooth-convex --L 1 --steps 3 --bound 1/14
    theorylab worst-case heavy-ball --class smooth-strongly-convex --L 25 --mu 1 --steps 3 \\
        --initial cycle --bound 0 --plot hb.png

Exit status: 0 proved (or inconclusive), 1 refuted, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import InvalidParameterError


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``theorylab worst-case`` to the theorylab parser."""
    from ..claims.worst_case.classes import CLASSES
    from ..claims.worst_case.engine import INITIALS
    from ..claims.worst_case.methods import METHODS

    p = sub.add_parser(
        "worst-case",
        help="prove or refute a bound over a whole function class (performance estimation, exact certificates)",
        description="Decide 'measure <= bound' for every function of a class after STEPS steps of METHOD: "
        "'proved' with an exact rational certificate, 'refuted' with a function of the class on which the "
        "method (replayed exactly) exceeds the bound, or 'inconclusive' with both numbers. "
        "Methods: " + "; ".join(f"{k}: {m.title}" for k, m in METHODS.items()) + ". "
        "Classes: " + "; ".join(f"{k}: {v}" for k, v in CLASSES.items()) + ". "
        "Exit status: 0 proved/inconclusive, 1 refuted, 2 usage error.",
    )
    p.add_argument("method", choices=sorted(METHODS), metavar="METHOD", help=f"one of {', '.join(sorted(METHODS))}")
    p.add_argument("--class", dest="cls", required=True, choices=sorted(CLASSES), help="the function class")
    p.add_argument("--steps", type=int, required=True, help="number of steps N (the bound's N)")
    p.add_argument("--bound", required=True,
                   help="the claimed bound on the measure when the initial quantity is 1: an exact number (1/14)")
    p.add_argument("--L", default="1", help="smoothness constant (exact, default 1)")
    p.add_argument("--mu", default=None, help="strong convexity / PL constant (exact)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a method parameter, exact (gamma=1/2, omega=3); repeat for several")
    p.add_argument("--initial", default="distance", choices=INITIALS, help="initial condition (default distance)")
    p.add_argument("--performance", default="value",
                   help="measure: value, distance, gradient, min-gradient, or the method's own (potential)")
    p.add_argument("--components", type=int, default=1, help="finite sum of this many functions (default 1)")
    p.add_argument("--format", default="text", choices=("text", "markdown", "json"), help="output format")
    p.add_argument("--output", default=None, help="write the report to this file instead of stdout")
    p.add_argument("--plot", default=None, help="save a figure of the worst-case function and the iterates")
    p.set_defaults(func=_run)


def _params(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"L": args.L}
    if args.mu is not None:
        out["mu"] = args.mu
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InvalidParameterError(f"--param expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _render(v: Any, fmt: str, extra: dict[str, Any]) -> str:
    if fmt == "json":
        return json.dumps({**v.to_dict(), **extra}, indent=2, ensure_ascii=False)
    nums = {k: x for k, x in v.numbers.items() if k != "multipliers"}
    if fmt == "markdown":
        lines = [f"| claim | verdict | found |", "|---|---|---|", f"| {v.claimed} | **{v.label()}** | {v.found} |", ""]
        lines += [f"- {k}: {x}" for k, x in nums.items()]
        if "multipliers" in v.numbers:
            lines.append("- multipliers: " + ", ".join(f"{k} = {x}" for k, x in v.numbers["multipliers"].items()))
        if v.counterexample is not None:
            lines.append(f"- counterexample: {json.dumps(v.counterexample, ensure_ascii=False)[:2000]}")
        lines += [f"- notes: {v.notes}"] + [f"- {k}: {x}" for k, x in extra.items()]
        return "\n".join(lines)
    lines = [f"claim:    {v.claimed}", f"verdict:  {v.label()}", f"found:    {v.found}"]
    lines += [f"  {k}: {x}" for k, x in nums.items()]
    if "multipliers" in v.numbers:
        m = v.numbers["multipliers"]
        shown = ", ".join(f"{k} = {x}" for k, x in list(m.items())[:12])
        lines.append(f"  multipliers ({len(m)}): {shown}{' ...' if len(m) > 12 else ''}")
    if v.needs:
        lines.append(f"needs:    {v.needs}")
    lines.append(f"notes:    {v.notes}")
    lines += [f"{k}: {x}" for k, x in extra.items()]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from ..claims.worst_case import get_method, solve_worst_case
    from ..claims.worst_case.parsing import parse_bound
    from ._io import figure_file, output_file

    if args.steps < 1:
        raise InvalidParameterError(f"--steps must be a positive integer, got {args.steps}")
    out = output_file(args.output, "--output") if args.output else None
    fig = figure_file(args.plot, "--plot") if args.plot else None
    bound = parse_bound(args.bound)
    wc = solve_worst_case(args.method, args.cls, steps=args.steps, bound=bound, initial=args.initial,
                          performance=args.performance, components=args.components, **_params(args))
    extra: dict[str, Any] = {}
    if fig is not None:
        from ..claims.worst_case.plot import plot_worst_case

        cls = wc.solution.built.model.functions[0].cls
        try:
            rep = plot_worst_case(wc, _target_class(args, cls), get_method(args.method), fig)
            extra["plot"] = str(fig)
            extra["float replay on the explicit function: largest deviation"] = f"{rep['replay']['deviation']:.3g}"
        except ValueError as exc:
            extra["plot"] = f"not drawn: {exc}"
    text = _render(wc.verdict, args.format, extra)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 1 if wc.verdict.status.value == "refuted" else 0


def _target_class(args: argparse.Namespace, cls: Any) -> Any:
    from ..claims.worst_case.classes import get_class
    from ..claims.worst_case.model import exact_params

    p = exact_params({k: v for k, v in (("L", args.L), ("mu", args.mu)) if v is not None})
    return get_class(args.cls, p)
