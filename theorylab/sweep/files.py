"""User files in a sweep spec (``problem = "my_problem.py:make"``): resolved on the client.

A relative ``FILE.py:NAME`` is resolved against the directory the spec is loaded from (the
client's working directory, as for ``theorylab simulate``) when the spec is loaded, so a worker
with another working directory finds the same file; the file's SHA-256 becomes part of the
cell's parameters (so its key and seed change when the file changes) and is checked on the
worker before the cell runs (:func:`check_files`): a worker that sees another file, or none,
fails the cell with a one-line error instead of computing something else.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidParameterError, SpecError

__all__ = ["resolve_file_values", "check_files", "FILES_PARAM"]

FILES_PARAM = "files"  # the cell parameter holding {absolute path: sha256}


def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def resolve_file_values(values: Mapping[str, Any], where: str, base: str | None = None
                        ) -> tuple[dict[str, Any], dict[str, str]]:
    """``values`` with every ``FILE.py:NAME`` string made absolute (against ``base``, default the
    working directory), and ``{absolute path: sha256}`` of those files."""
    from ..simulate.algorithms.loader import is_file_spec

    out: dict[str, Any] = {}
    files: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, str) and is_file_spec(value):
            path, _, name = value.rpartition(":")
            full = os.path.abspath(os.path.join(base or os.getcwd(), os.path.expanduser(path)))
            try:
                files[full] = _digest(full)
            except OSError as exc:
                raise SpecError(f"{where}: {key}: cannot read {path!r} ({exc.strerror or exc})") from None
            value = f"{full}:{name}"
        out[key] = value
    return out, files


def check_files(files: Mapping[str, str]) -> None:
    """On the worker: every file exists with the content the spec was loaded with."""
    for path, want in files.items():
        try:
            got = _digest(path)
        except OSError:
            raise InvalidParameterError(f"{path!r} does not exist on this worker (a cluster needs the file at the "
                                        "same path on every worker, e.g. a shared file system)") from None
        if got != want:
            raise InvalidParameterError(f"{path!r} changed since the spec was loaded (sha256 {got[:12]}..., "
                                        f"expected {want[:12]}...); rerun with a new store")
