"""CLI command ``theorylab check``: every claim of the sources as a check with a verdict.

A thin shell over :mod:`proofs_checks.cli` (the same arguments as ``python -m proofs_checks``).
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``theorylab check`` to the theorylab parser."""
    p = sub.add_parser(
        "check",
        help="run every claim of the source papers as a check and print the verdicts",
        description="Run the proofs_checks claims (symbolic proofs, exact checks, Monte Carlo) "
        "and print a table of verdicts: proved, holds, refuted, inconclusive, error. "
        "Exit status 1 when a check errors; refuted claims are results (exit 0). "
        "With --from FILE.py, run your own claims (declared with theorylab.claims.check) in the same table; "
        "then a refuted claim also gives exit status 1, and a file that cannot be loaded 2.",
    )
    from proofs_checks.cli import add_arguments

    add_arguments(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from proofs_checks.cli import run_from_args

    return run_from_args(args)
