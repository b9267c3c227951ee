"""``python -m proofs_checks``: ``theorylab check`` restricted to the source papers' checks.

The options, the runner and the exit status are the library's (:mod:`theorylab.cli.check`);
this package only says where its checks are (:func:`proofs_checks.runner.collect`). Installed,
``proofs_checks`` registers its checks with ``theorylab check`` through the entry-point group
``theorylab.checks`` (``pyproject.toml``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from theorylab.cli import check as _check
from theorylab.cli.check import add_arguments

from .runner import collect

__all__ = ["add_arguments", "run_from_args", "main"]


def run_from_args(args: argparse.Namespace) -> int:
    """:func:`theorylab.cli.check.run_from_args` on this package's checks."""
    return _check.run_from_args(args, checks_from=collect)


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
