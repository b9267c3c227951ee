"""Load a user's object from ``FILE.py:NAME`` (an algorithm for ``--method``, a problem factory for
``--problem``)."""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

from ...errors import InvalidParameterError

__all__ = ["is_file_spec", "load_object"]


def is_file_spec(text: str) -> bool:
    """True for ``something.py:NAME``."""
    path, sep, name = text.rpartition(":")
    return bool(sep) and path.endswith(".py") and name.isidentifier()


def load_object(text: str, what: str) -> Any:
    """The object ``NAME`` defined in the Python file of ``FILE.py:NAME``. Errors (missing file,
    no such name, the file raising on import) are one-line :class:`InvalidParameterError`."""
    path, sep, name = text.rpartition(":")
    if not sep or not path.endswith(".py") or not name.isidentifier():
        raise InvalidParameterError(f"{what} must be FILE.py:NAME, got {text!r}")
    if not os.path.isfile(path):
        raise InvalidParameterError(f"{what}: no file {path!r}")
    mod_name = "theorylab_user_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise InvalidParameterError(f"{what}: cannot import {path!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file raised: report it in one line
        raise InvalidParameterError(f"{what}: importing {path!r} failed: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, name):
        raise InvalidParameterError(f"{what}: {path!r} defines no {name!r}")
    return getattr(module, name)
