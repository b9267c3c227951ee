"""Command line of the checks, shared by ``theorylab check`` and ``python -m proofs_checks``.

Exit status for the source papers' checks: 0 when every check ran (a refuted claim of a paper
is a finding, not a failure), 1 when a check raised (an ``error`` row), 2 for bad arguments (no
check matches ``--only``, an ``--out`` that cannot be written: checked before any check runs).
With ``--from FILE.py`` (a user's claims) a refuted claim is a failure: 0 when no claim is
refuted and none errors, 1 otherwise, 2 for a claim file that cannot be loaded or bad
arguments. 130 when interrupted (Ctrl-C): the verdicts finished so far are printed (and
written to ``--out``) first.

When stdout is redirected and stderr is a terminal (``theorylab check > report.txt``) the
summary line is also printed on stderr, so a redirected run does not end silently; ``--progress`` forces progress
on stderr (a bar on a terminal, one line per finished check otherwise).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from theorylab.claims import load_file, select
from theorylab.cli._io import nonnegative_int_type
from theorylab.errors import ClaimError

from theorylab.claims.report import explain

from .report import FORMATS, render, summary_line
from .check import ImportFailure
from .runner import Result, collect, run_checks

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
    parser.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                        help="worker processes (default 1; 0 = number of CPUs)")
    parser.add_argument("--list", action="store_true", help="list the selected checks and exit")
    parser.add_argument("--from", dest="from_files", action="append", metavar="FILE.py", default=None,
                        help="run the checks declared in FILE.py (your claims, written with theorylab.claims) "
                        "instead of the source papers'; repeatable")
    parser.add_argument("--progress", dest="progress", action="store_true", default=None,
                        help="progress on stderr even when it is not a terminal (one line per check)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    parser.add_argument("--explain", metavar="ID", default=None,
                        help="run the one check ID and print its proof obligations: each step, the engine that "
                        "decided it, the assumptions used and the domain conditions discharged")
    parser.add_argument("--wide", action="store_true",
                        help="text and markdown tables: never cut the source and key-number cells (no '…')")


_jobs = nonnegative_int_type("--jobs", " (0 = number of CPUs)")


def _user_checks(files: Sequence[str], only: Sequence[str] | None) -> list:
    checks = []
    for f in files:
        checks += load_file(f)
    return select(checks, only)


def run_from_args(args: argparse.Namespace) -> int:
    from theorylab.errors import InvalidParameterError

    if args.list and args.out is not None:
        raise InvalidParameterError("--out writes a report: it does not apply to --list (redirect the list instead)")
    if getattr(args, "wide", False) and args.format == "json":
        raise InvalidParameterError("--wide applies to the text and markdown tables; JSON is never cut")
    if args.out is not None and not args.list:
        from theorylab.cli._io import output_file

        output_file(args.out, "--out")  # before the checks run, not after minutes of work
    if args.only and any(not p.strip() for p in args.only):
        raise InvalidParameterError("--only needs a non-empty PATTERN (an empty one would select every check)")
    explain_id = getattr(args, "explain", None)
    if explain_id is not None:
        if args.list or args.only:
            raise InvalidParameterError("--explain ID runs that one check: drop --list and --only")
        args.only = [explain_id]
    files = getattr(args, "from_files", None)
    failures: list[ImportFailure] = []
    if files:
        try:
            checks = _user_checks(files, args.only)
        except ClaimError as exc:
            print(f"theorylab: error: {exc}", file=sys.stderr)
            return 2
    else:
        checks, failures = collect(args.only)
    if explain_id is not None:
        checks = [c for c in checks if c.id == explain_id]
        if not checks:
            raise InvalidParameterError(f"--explain: no check has the id {explain_id!r}; use --list to see the ids")
    if args.only and not checks:
        raise InvalidParameterError(f"no check id matches {', '.join(args.only)}; use --list to see the ids")
    if args.only:
        failures = []  # a broken module outside the selection is not this run's business
    if args.list:
        for c in checks:
            print(f"{c.id:45s} {c.method:12s} {c.source}")
        return 0
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    t0 = time.perf_counter()
    progress = getattr(args, "progress", None)
    lines = progress is True and not sys.stderr.isatty()  # forced progress into a log: one line per check
    finished: list[Result] = []

    def on_result(r: Result) -> None:
        finished.append(r)
        if lines:
            print(f"[{len(finished)}/{len(checks)}] {r.id}: {r.verdict.status} ({r.seconds:.1f} s)",
                  file=sys.stderr, flush=True)

    interrupted = False
    try:
        results = run_checks(checks, args.mode, jobs=jobs, failures=failures,
                             progress=False if lines else progress, on_result=on_result)
    except KeyboardInterrupt:  # keep what finished: the verdicts so far, then exit 130
        interrupted = True
        order = {c.id: i for i, c in enumerate(checks)}
        results = run_checks([], failures=failures, progress=False)  # the import failures, if any
        results += sorted(finished, key=lambda r: order.get(r.id, len(order)))
    if explain_id is not None and not interrupted and args.format != "json":
        text = "".join(explain(r, args.format) for r in results)
    else:
        text = render(results, args.format, mode=args.mode, seconds=time.perf_counter() - t0,
                      wide=getattr(args, "wide", False))
    sys.stdout.write(text)
    sys.stdout.flush()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    if interrupted:
        print(f"theorylab: interrupted after {len(finished)} of {len(checks)} checks; the table above holds "
              "the verdicts finished so far", file=sys.stderr)
        return 130
    if not sys.stdout.isatty() and sys.stderr.isatty():  # output to a file, a user at the terminal
        print(summary_line(results, args.mode, time.perf_counter() - t0), file=sys.stderr)
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
