"""Command line of the checks, shared by ``theorylab check`` and ``python -m proofs_checks``.

Exit status for the source papers' checks: 0 when every check ran (a refuted claim of a paper
is a finding, not a failure), 1 when a check raised (an ``error`` row), 2 for bad arguments (no
check matches ``--only``). With ``--from FILE.py`` (a user's claims) a refuted claim is a
failure: 0 when no claim is refuted and none errors, 1 otherwise, 2 for a claim file that
cannot be loaded or bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from theorylab.claims import Check, ImportFailure, load_file, select
from theorylab.errors import ClaimError

from .report import FORMATS, render
from .runner import collect, run_checks

__all__ = ["add_arguments", "run_from_args", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
    parser.add_argument("--from", dest="from_files", action="append", metavar="FILE.py", default=None,
                        help="run the checks declared in FILE.py (your claims, written with theorylab.claims) "
                        "instead of the source papers'; repeatable")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _user_checks(files: Sequence[str], only: Sequence[str] | None) -> list[Check]:
    checks = []
    for f in files:
        checks += load_file(f)
    return select(checks, only)


def run_from_args(args: argparse.Namespace) -> int:
    files = getattr(args, "from_files", None)
    failures: list[ImportFailure] = []
    if files:
        try:
            checks = _user_checks(files, args.only)
        except ClaimError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    else:
        checks, failures = collect(args.only)
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
    return run_from_args(parser.parse_args(argv))
