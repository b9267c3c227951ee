"""Helpers shared by the CLI commands: output paths checked before the work, seeds, options.

Every failure is an :class:`~theorylab.errors.InvalidParameterError` with a one-line message
(what was wrong, what is expected); :func:`theorylab.cli.main.main` prints it and exits 2.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from ..errors import InvalidParameterError

__all__ = ["output_file", "figure_file", "output_dir", "seed_type", "nonnegative_int_type", "reject_inapplicable"]


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _probe_writable(directory: Path, option: str, shown: str) -> None:
    """Create and remove a temporary file in ``directory``: proves it is writable (read-only
    file systems and permissions included, which ``os.access`` misses for root)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".theorylab-probe-", dir=directory)
    except OSError as exc:
        raise InvalidParameterError(f"{option} {shown}: cannot write in directory {str(directory)!r} ({_why(exc)})") from None
    os.close(fd)
    os.unlink(name)


def output_file(path: str | os.PathLike[str], option: str) -> Path:
    """``path`` as a file the command can write, checked before any work is done.

    Errors: an empty path, an existing directory, a missing or non-directory parent, or a
    parent that cannot be written (read-only file system, permissions).
    """
    text = os.fspath(path)
    if not text.strip():
        raise InvalidParameterError(f"{option} needs a file name, got an empty string")
    p = Path(text).expanduser()
    shown = repr(text)
    if p.is_dir():
        raise InvalidParameterError(f"{option} {shown} is a directory; expected a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise InvalidParameterError(f"{option} {shown}: directory {str(parent)!r} does not exist (create it first)")
    if not parent.is_dir():
        raise InvalidParameterError(f"{option} {shown}: {str(parent)!r} is not a directory")
    if p.exists() and not os.access(p, os.W_OK):
        raise InvalidParameterError(f"{option} {shown}: the existing file is not writable")
    _probe_writable(parent, option, shown)
    return p


def figure_file(path: str | os.PathLike[str], option: str = "--plot") -> Path:
    """:func:`output_file` whose suffix is a format matplotlib can save (``.png``, ``.pdf``, ``.svg``...)."""
    p = output_file(path, option)
    suffix = p.suffix.lower().lstrip(".")
    if suffix:
        from matplotlib.backend_bases import FigureCanvasBase

        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix not in formats:
            raise InvalidParameterError(f"{option} {os.fspath(path)!r}: cannot save a figure as .{suffix}; "
                                        f"expected one of {', '.join('.' + f for f in sorted(formats))}")
    return p


def output_dir(path: str | os.PathLike[str], option: str) -> Path:
    """``path`` as a directory the command can write into (created when its parent exists)."""
    text = os.fspath(path)
    if not text.strip():
        raise InvalidParameterError(f"{option} needs a directory name, got an empty string")
    p = Path(text).expanduser()
    shown = repr(text)
    if p.exists() and not p.is_dir():
        raise InvalidParameterError(f"{option} {shown} exists and is not a directory; expected a directory")
    if not p.exists():
        parent = p.parent
        if not parent.is_dir():
            raise InvalidParameterError(
                f"{option} {shown}: parent directory {str(parent)!r} does not exist (create it first)")
        try:
            p.mkdir()
        except OSError as exc:
            raise InvalidParameterError(f"{option} {shown}: cannot create the directory ({_why(exc)})") from None
    _probe_writable(p, option, shown)
    return p


def nonnegative_int_type(option: str, hint: str = ""):
    """argparse type: an integer >= 0 named ``option`` in the error (``hint`` appended to it)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise argparse.ArgumentTypeError(f"{option} must be an integer >= 0{hint}, got {text!r}")
        return value

    return parse


seed_type = nonnegative_int_type("--seed")  # numpy's seeds are non-negative


def reject_inapplicable(args: argparse.Namespace, option: str, dest: str, why: str) -> None:
    """Raise when ``option`` was given (its value is not None) where it does not apply."""
    if getattr(args, dest, None) is not None:
        raise InvalidParameterError(f"{option} does not apply here: {why}")
