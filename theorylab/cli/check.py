"""CLI command ``theorylab check``: claims as checks, run and shown in one table of verdicts.

The checks come from the installed packages that register the entry-point group
``theorylab.checks`` (:mod:`theorylab.claims.plugins`; theorylab's source papers,
``proofs_checks``, are one such package) and from claim files given with ``--from FILE.py``.
This module holds the options, the runner call and the exit status; ``python -m proofs_checks``
is the same command restricted to that package.

Exit status: 0 when every check ran (a refuted claim of an installed package is a finding, not
a failure), 1 when a check raised (an ``error`` row), 2 for bad arguments (no check matches
``--only``, an ``--out`` that cannot be written: checked before any check runs; no check
installed). A claim from ``--from FILE.py`` that is refuted is a failure: 1 as well; a claim
file that cannot be loaded is 2. 130 when interrupted (Ctrl-C): the verdicts finished so far
are printed (and written to ``--out``) first.

When stdout is redirected and stderr is a terminal (``theorylab check > report.txt``) the
summary line is also printed on stderr, so a redirected run does not end silently;
``--progress`` forces progress on stderr (a bar on a terminal, one line per finished check
otherwise).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..claims import load_file, select
from ..claims.plugins import ENTRY_POINT_GROUP, installed_checks
from ..claims.report import FORMATS, render, summary_line
from ..claims.runner import Result, run_checks
from ..errors import ClaimError, InvalidParameterError
from ._io import nonnegative_int_type

__all__ = ["register", "add_arguments", "run_from_args"]

#: where the checks come from when no ``--from`` is given
collect: Callable[[Sequence[str] | None], tuple[list[Any], list[Any]]] = installed_checks


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``theorylab check`` to the theorylab parser."""
    p = sub.add_parser(
        "check",
        help="run every installed claim (the source papers' and your packages') as a check and print the verdicts",
        description="Run the installed claims (every package that registers the entry-point group "
        f"{ENTRY_POINT_GROUP}, the source papers' proofs_checks among them: symbolic proofs, exact checks, "
        "Monte Carlo) and print a table of verdicts: proved, holds, refuted, inconclusive, error. "
        "Exit status 1 when a check errors; refuted claims are results (exit 0). "
        "With --from FILE.py, run your own claims (declared with theorylab.claims.check) in the same table, "
        "instead of the installed ones (add --installed for both); "
        "then a refuted claim of yours also gives exit status 1, and a file that cannot be loaded 2.",
    )
    add_arguments(p)
    p.set_defaults(func=run_from_args)


_jobs = nonnegative_int_type("--jobs", " (0 = number of CPUs)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``theorylab check`` (shared with ``python -m proofs_checks``)."""
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
                        "instead of the installed ones; repeatable")
    parser.add_argument("--installed", action="store_true",
                        help="with --from: also run the installed checks, in the same table")
    parser.add_argument("--progress", dest="progress", action="store_true", default=None,
                        help="progress on stderr even when it is not a terminal (one line per check)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    parser.add_argument("--timeout", type=_timeout, default=None, metavar="SECONDS",
                        help="give up on a check (an error verdict) after SECONDS (default 1800 per check; "
                        "0 = no limit)")
    parser.add_argument("--explain", metavar="ID", default=None,
                        help="run the one check ID and print its proof obligations: each step, the engine that "
                        "decided it, the assumptions used and the domain conditions discharged")
    parser.add_argument("--wide", action="store_true",
                        help="text and markdown tables: never cut the source and key-number cells (no '…')")


def _timeout(text: str) -> float:
    """``--timeout``: seconds per check, >= 0 (0 turns the limit off)."""
    import math

    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (v >= 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"--timeout must be a number of seconds >= 0 (0 = no limit), got {text!r}")
    return v


def _user_checks(files: Sequence[str], only: Sequence[str] | None) -> list:
    checks = []
    for f in files:
        checks += load_file(f)
    return select(checks, only)


def run_from_args(args: argparse.Namespace,
                  checks_from: Callable[[Sequence[str] | None], tuple[list[Any], list[Any]]] | None = None) -> int:
    """Run ``theorylab check`` with parsed options (see the module docstring for the exit status).
    ``checks_from(only)`` gives the checks to run without ``--from`` (default: :data:`collect`, every
    installed check)."""
    if args.list and args.out is not None:
        raise InvalidParameterError("--out writes a report: it does not apply to --list (redirect the list instead)")
    if getattr(args, "wide", False) and args.format == "json":
        raise InvalidParameterError("--wide applies to the text and markdown tables; JSON is never cut")
    explain_id = getattr(args, "explain", None)
    if explain_id is not None:
        if args.list or args.only:
            raise InvalidParameterError("--explain ID runs that one check: drop --list and --only")
        args.only = [explain_id]
    files = getattr(args, "from_files", None)
    both = getattr(args, "installed", False)
    if both and not files:
        raise InvalidParameterError("--installed applies with --from (without --from the installed checks run anyway)")
    if args.out is not None and not args.list:
        from ._io import output_file

        output_file(args.out, "--out")  # before the checks run, not after minutes of work
    if args.only and any(not p.strip() for p in args.only):
        raise InvalidParameterError("--only needs a non-empty PATTERN (an empty one would select every check)")
    failures: list = []
    checks: list = []
    mine: set[str] = set()
    if files:
        try:
            checks = _user_checks(files, args.only)
        except ClaimError as exc:
            print(f"theorylab: error: {exc}", file=sys.stderr)
            return 2
        mine = {c.id for c in checks}
    if not files or both:
        found, failures = (checks_from or collect)(args.only)
        if not found and not failures and not args.only and not files:
            raise InvalidParameterError(f"no check is installed: no package registers the entry-point group "
                                        f"{ENTRY_POINT_GROUP!r} (reinstall theorylab: pip install -e .), or give "
                                        "your claims with --from FILE.py")
        checks = checks + [c for c in found if c.id not in mine]
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
        from ..claims.runner import DEFAULT_TIMEOUT

        per_check = DEFAULT_TIMEOUT if getattr(args, "timeout", None) is None else (args.timeout or None)
        results = run_checks(checks, args.mode, jobs=jobs, failures=failures, timeout=per_check,
                             progress=False if lines else progress, on_result=on_result)
    except KeyboardInterrupt:  # keep what finished: the verdicts so far, then exit 130
        interrupted = True
        order = {c.id: i for i, c in enumerate(checks)}
        results = run_checks([], failures=failures, progress=False)  # the import failures, if any
        results += sorted(finished, key=lambda r: order.get(r.id, len(order)))
    if explain_id is not None and not interrupted and args.format != "json":
        from ..claims.report import explain

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
    failed = any(r.verdict.status == "error" or (r.id in mine and r.verdict.status == "refuted") for r in results)
    return 1 if failed else 0
