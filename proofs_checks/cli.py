"""Command line of the checks, shared by ``theorylab check`` and ``python -m proofs_checks``.

Exit status: 0 when every check ran (refuted claims are results, not failures), 1 when a
check raised (an ``error`` row), 2 for bad arguments (no check matches ``--only``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from .report import FORMATS, render
from .runner import collect, run_checks

__all__ = ["add_arguments", "run_from_args", "main"]


def _collect_from(files: Sequence[str], only: Sequence[str] | None) -> tuple[list, list]:
    """The checks declared in the user's claim files (``--from``), selected by ``only``.

    With ``--from`` a refuted claim is a failure (exit 1, like an error); a file that cannot be
    loaded is a :class:`~theorylab.errors.ClaimError` (one line, exit 2)."""
    from theorylab.claims import load_file, select

    checks = []
    for f in files:
        checks += load_file(f)
    return select(checks, only), []


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="from_files", action="append", metavar="FILE.py", default=None,
                        help="run the checks declared in FILE.py (your claims, written with theorylab.claims) "
                        "instead of the source papers'; a refuted claim then exits 1; repeatable")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="small settings, a few minutes at most (the default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="the long Monte Carlo reproductions at the reference settings")
    parser.set_defaults(mode="quick")
    parser.add_argument("--only", action="append", metavar="PATTERN", default=None,
                        help="run checks whose id matches PATTERN (glob, or a substring); repeatable")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    parser.add_argument("--out", metavar="FILE", default=None,
                        help="also write the report to FILE (format from --format)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="worker processes (default 1; 0 = number of CPUs)")
    parser.add_argument("--list", action="store_true", help="list the selected checks and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_from_args(args: argparse.Namespace) -> int:
    files = getattr(args, "from_files", None)
    checks, failures = _collect_from(files, args.only) if files else collect(args.only)
    if args.only and not checks:
        print(f"no check id matches {args.only}; use --list to see the ids", file=sys.stderr)
        return 2
    if args.only:
        failures = []  # a broken module outside the selection is not this run's business
    if args.list:
        for c in checks:
            print(f"{c.id:45s} {c.method:12s} {c.source}")
        return 0
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    t0 = time.perf_counter()
    results = run_checks(checks, args.mode, jobs=jobs, failures=failures,
                         progress=False if args.no_progress else None)
    text = render(results, args.format, mode=args.mode, seconds=time.perf_counter() - t0)
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    bad = ("error", "refuted") if files else ("error",)
    return 1 if any(r.verdict.status in bad for r in results) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m proofs_checks",
        description="Run every claim of the source papers as a check and print its verdict.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    from theorylab.errors import TheorylabError

    try:
        return run_from_args(args)
    except TheorylabError as exc:  # the same one-line error as theorylab check
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
