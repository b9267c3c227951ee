"""Entry point of the ``theorylab`` console script.

Exit status (every command):

- ``0``: done; every checked claim holds (or nothing was checked);
- ``1``: a claim is refuted (``compressors check``) or a check errored (``check``);
- ``2``: usage or contract error: bad arguments, bad input, an output path that cannot be
  written. One line on stderr, ``theorylab: error: ...``, never a traceback;
- ``3``: internal error (a bug in theorylab): one line on stderr; set ``THEORYLAB_TRACEBACK=1``
  to see the traceback;
- ``130``: interrupted (Ctrl-C); ``theorylab check`` first prints the verdicts finished so far;
- ``141``: the reader of stdout went away (``theorylab ... | head``); nothing more is written.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from ..errors import TheorylabError

# Modules of theorylab.cli, each with ``register(subparsers)``; the order is the help order.
COMMAND_MODULES: tuple[str, ...] = ("check", "compressors", "symbolic", "simulate", "sweep", "worst_case")

EXIT_OK, EXIT_REFUTED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


class UsageError(Exception):
    """An argparse error, raised instead of printing the usage and exiting (one line, exit 2)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (``PROG: error: ... (see PROG --help)``)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="theorylab",
        description="Check the theory of communication-compressed distributed learning by computer.",
        epilog="Exit status: 0 holds/done, 1 refuted (or a check errored), 2 usage or input error, "
        "3 internal error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"theorylab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return parser


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so that the final flush does not raise."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (tests)
        pass


def _from_rich_broken_pipe(exc: SystemExit) -> bool:
    """True when ``exc`` comes from ``rich.console.Console.on_broken_pipe`` (which already
    pointed stdout at /dev/null)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == "on_broken_pipe"


def _error(message: str) -> None:
    text = " ".join(str(message).split())  # one line, whatever the exception's text
    try:
        print(f"theorylab: error: {text}", file=sys.stderr)
    except (BrokenPipeError, OSError):  # pragma: no cover - stderr closed too
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` and return the exit status (see the module docstring)."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except UsageError as exc:
            _error(f"{exc} (see {exc.prog} --help)")
            return EXIT_USAGE
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help()
            return EXIT_USAGE
        status = int(func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers, not at interpreter exit
        return status
    except TheorylabError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except SystemExit as exc:
        if _from_rich_broken_pipe(exc):  # rich handles the broken pipe itself, with SystemExit(1)
            return EXIT_BROKEN_PIPE
        raise
    except OSError as exc:  # a file that cannot be written or read after the up-front checks
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        _error(f"cannot access{where}: {exc.strerror or exc}")
        return EXIT_USAGE
    except Exception as exc:  # a bug: one line, the traceback on request
        if os.environ.get("THEORYLAB_TRACEBACK"):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (this is a bug in theorylab; "
               "set THEORYLAB_TRACEBACK=1 to see the traceback and please report it)")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
