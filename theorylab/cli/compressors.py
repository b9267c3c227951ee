"""CLI: ``theorylab compressors check|list``.

- ``theorylab compressors check TARGET [--dim D] [--omega W | --delta D] [--unbiased]
  [--dtype T] [--draws N] [--timeout S] [--seed S] [--format text|json]`` checks one
  compressor; TARGET is a spec (``randk:k=10``), ``MODULE:NAME`` or ``FILE.py:NAME`` naming a
  compressor instance, a class or factory called with no arguments, a function (batched or
  single-vector), or a compress/decompress pair (:func:`theorylab.compressors.load_user_compressor`).
  ``--all`` checks every catalogue compressor. Exit status 0 when every claim holds, 1 when
  a claim is refuted, 2 on a usage error or when the compressor breaks the contract.
- ``theorylab compressors list [--dim D]``: each compressor's class, constants at d, and bits.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..compressors import ClassNotApplicableError, catalogue_specs, from_spec, load_user_compressor
from ..errors import InvalidParameterError, TheorylabError
from ..testing import check_compressor

DTYPES = ("float64", "float32", "float16", "bfloat16")
DEFAULT_TIMEOUT = 900.0  # seconds; without --timeout a watchdog ends a check that runs longer


class CheckTimeoutError(TheorylabError, RuntimeError):
    """``--timeout`` seconds passed before the check finished."""


class _Alarm(BaseException):
    """Raised by the SIGALRM handler; a BaseException so that the kit's per-input
    ``except Exception`` (which records a compressor's own failures) cannot swallow it."""


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``compressors check`` and ``compressors list`` to the theorylab parser."""
    p = sub.add_parser("compressors", help="check compressors' claimed constants; list the catalogue")
    csub = p.add_subparsers(dest="compressors_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    c = csub.add_parser(
        "check",
        help="check a compressor's claims (unbiasedness, omega, delta)",
        description="Check a compressor's claimed constants with sound statistics. Exit status: 0 every claim "
        "holds, 1 a claim is refuted, 2 usage error or the compressor broke the contract.",
    )
    c.add_argument("target", nargs="?", help="a spec such as randk:k=10, MODULE:NAME or FILE.py:NAME")
    c.add_argument("--all", action="store_true", help="check every compressor of the catalogue")
    c.add_argument("--dim", "-d", type=int, default=64, help="dimension d (default 64)")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--omega", type=float, help="claimed omega of U(omega) (overrides the declared one)")
    g.add_argument("--delta", type=float, help="claimed delta of C(delta) (overrides the declared one)")
    c.add_argument("--unbiased", action=argparse.BooleanOptionalAction, default=None,
                   help="claim (or, with --no-unbiased, do not claim) E[C(x)] = x")
    c.add_argument("--dtype", choices=DTYPES, default="float64",
                   help="working dtype of the inputs (bfloat16 needs torch; default float64)")
    c.add_argument("--seed", type=int, default=0, help="seed of every draw (default 0)")
    c.add_argument("--false-alarm", type=float, default=1e-6, help="family-wise false-alarm rate (default 1e-6)")
    c.add_argument("--draws", type=int, default=None,
                   help="stage-1 draws per input (default 2000 for a batched compressor, 500 for one called "
                   "a vector at a time)")
    c.add_argument("--timeout", type=float, default=None,
                   help=f"give up after this many seconds (exit 2; default {DEFAULT_TIMEOUT:g}: a compressor that "
                   "never returns ends the check with one line)")
    c.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=_check)

    ls = csub.add_parser("list", help="the catalogue: class, constant at d, bits")
    ls.add_argument("--dim", "-d", type=int, default=64, help="dimension d (default 64)")
    ls.add_argument("--format", choices=("text", "json"), default="text")
    ls.set_defaults(func=_list)


def load_target(target: str) -> Any:
    """A compressor from a spec, ``MODULE:NAME`` or ``FILE.py:NAME`` (kept for compatibility)."""
    return load_user_compressor(target)


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    if seconds is None or not hasattr(signal, "SIGALRM"):
        yield
        return
    if not seconds > 0:
        raise InvalidParameterError(f"--timeout must be > 0 seconds, got {seconds}")

    def fire(signum: int, frame: Any) -> None:
        raise _Alarm

    # The alarm raises asynchronously, between any two bytecodes. numba's dispatcher runs Python
    # code (argument typing, first-call compilation) inside C code that does not expect an exception
    # there: an alarm landing in it crashed the process (a segmentation fault seen once under
    # pytest-xdist). Under a deadline the compiled kernels are therefore switched off (the numpy
    # paths have the same law), and restored afterwards.
    from .. import _numba

    forced = _numba._FORCED
    _numba.use_numba(False)
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Alarm:
        raise CheckTimeoutError(f"the check did not finish within --timeout {seconds:g} s; "
                                "raise it, or lower --draws") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        _numba.use_numba(forced)


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield tick


def _check(args: argparse.Namespace) -> int:
    if args.all == bool(args.target):
        raise InvalidParameterError("give either a TARGET (spec, MODULE:NAME or FILE.py:NAME) or --all")
    if args.all and (args.omega is not None or args.delta is not None):
        raise InvalidParameterError("--omega/--delta apply to one TARGET, not to --all")
    if args.draws is not None and args.draws < 16:
        raise InvalidParameterError(f"--draws must be >= 16, got {args.draws}")
    targets = catalogue_specs(args.dim) if args.all else [args.target]
    show = sys.stderr.isatty() if args.progress is None else args.progress
    t0 = time.perf_counter()
    reports = []
    from .._deadline import watchdog

    guard = watchdog(DEFAULT_TIMEOUT if args.timeout is None else None,
                     f"the check did not finish within the default --timeout {DEFAULT_TIMEOUT:g} s (a compressor "
                     "that never returns?); give --timeout SECONDS to change it")
    with guard, _deadline(args.timeout):
        for t in targets:
            c = load_user_compressor(t)
            with _progress_bar(show) as tick:
                rep = check_compressor(
                    c, args.dim, omega=args.omega, delta=args.delta, unbiased=args.unbiased, seed=args.seed,
                    false_alarm=args.false_alarm, n_draws=args.draws, dtype=args.dtype, progress=tick,
                )
            if rep.name.startswith("<") or rep.name == "function":
                rep.name = t
            reports.append(rep)
            if args.format == "text":
                _out(rep.text(max_inputs=5 if args.all else 8, hint="cli") + "\n")
    failed = [r for r in reports if not r.passed]
    broken = [r for r in reports if r.contract_errors]
    if args.format == "json":
        _out(json.dumps([r.to_dict() for r in reports] if args.all else reports[0].to_dict(), indent=2))
    else:
        _out(
            f"{len(reports) - len(failed)}/{len(reports)} compressors hold all their claims at d={args.dim} "
            f"({time.perf_counter() - t0:.1f}s)"
            + ("" if not failed else "; refuted: " + ", ".join(r.name for r in failed))
            + ("" if not broken else "; broke the contract: " + ", ".join(r.name for r in broken))
        )
    return max(r.exit_code for r in reports)


def _out(text: str) -> None:
    """Print; a closed pipe (``| head``) ends the output quietly."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


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
        _out(json.dumps({"d": d, "compressors": rows}, indent=2))
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
            _out("  ".join(str(v) for v in r.values()))
    return 0
