"""Load a compressor named on a command line: a catalogue spec, ``MODULE:NAME`` or ``FILE.py:NAME``.

- a spec of the catalogue (``randk:k=10``, ``induced(topk:k=2,randk:k=4)``) goes to
  :func:`~theorylab.compressors.from_spec`;
- ``FILE.py:NAME`` loads the Python file (relative to the current directory or absolute)
  as a module and takes ``NAME`` from it;
- ``MODULE:NAME`` imports ``MODULE`` (the current directory is importable) and takes ``NAME``.

``NAME`` may be dotted (``mod:Class.method``). A class, or a function with no required
arguments (a factory), is called with no arguments; the result (or the object itself) must
be callable as ``C(x[, rng])`` or be a ``(compress, decompress)`` pair / an object with
``compress`` and ``decompress``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError
from .spec import CATALOGUE, COMBINATORS, from_spec

__all__ = ["load_user_compressor"]

_IMPORT = re.compile(r"^[^\W\d][\w.]*:[^\W\d][\w.]*$")  # MODULE:NAME, Unicode identifiers included
_FILE = re.compile(r"^(?P<file>.+\.py):(?P<name>[^\W\d][\w.]*)$")


def load_user_compressor(spec: str) -> Any:
    """A compressor from a catalogue spec, ``MODULE:NAME`` or ``FILE.py:NAME`` (see the module docstring)."""
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidParameterError(f"a compressor must be named by a spec, MODULE:NAME or FILE.py:NAME, got {spec!r}")
    text = spec.strip()
    m = _FILE.match(text)
    if m:
        obj = _from_file(m["file"], m["name"], text)
    else:
        head = text.split(":", 1)[0].strip().lower()
        if not _IMPORT.match(text) or head in CATALOGUE or head in COMBINATORS:
            return from_spec(text)
        mod_name, _, attr = text.partition(":")
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            mod: Any = importlib.import_module(mod_name)
        except ImportError as exc:
            raise InvalidParameterError(
                f"cannot import module {mod_name!r} for {text!r}: {exc}. MODULE:NAME imports MODULE from sys.path, "
                f"which holds the current directory ({os.getcwd()}) and PYTHONPATH: run from the directory of "
                f"{mod_name.split('.')[0]}.py, add that directory to PYTHONPATH, or give the file as PATH/TO/FILE.py:NAME"
            ) from None
        except Exception as exc:  # noqa: BLE001 - user code raising at import
            raise InvalidParameterError(f"importing {mod_name!r} failed: {type(exc).__name__}: {exc}") from None
        obj = _attr(mod, attr, mod_name)
    return _instantiate(obj, text)


def _from_file(file: str, name: str, text: str) -> Any:
    path = Path(file).expanduser()
    if not path.is_file():
        raise InvalidParameterError(f"no such file {file!r} (for {text!r}); expected FILE.py:NAME")
    mod_name = "_theorylab_user_" + re.sub(r"\W", "_", str(path.resolve()))
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a loader
        raise InvalidParameterError(f"cannot load {file!r} as a Python module")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = mod
    parent = str(path.resolve().parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)  # so the file can import its neighbours
    try:
        spec.loader.exec_module(mod)
    except Exception as exc:  # noqa: BLE001 - user code raising at import
        del sys.modules[mod_name]
        raise InvalidParameterError(f"loading {file!r} failed: {type(exc).__name__}: {exc}") from None
    return _attr(mod, name, file)


def _attr(mod: Any, attr: str, where: str) -> Any:
    obj = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise InvalidParameterError(f"{where!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _instantiate(obj: Any, text: str) -> Any:
    if inspect.isclass(obj) or (inspect.isfunction(obj) and _no_required_args(obj)):
        try:
            obj = obj()
        except Exception as exc:  # noqa: BLE001 - user code
            raise InvalidParameterError(f"{text}: calling it with no arguments failed ({type(exc).__name__}: {exc})") from None
    pair = isinstance(obj, tuple) and len(obj) == 2 and all(callable(f) for f in obj)
    has_pair = callable(getattr(obj, "compress", None)) and callable(getattr(obj, "decompress", None))
    if not (callable(obj) or pair or has_pair):
        raise InvalidParameterError(f"{text} is not callable as C(x, rng) nor a (compress, decompress) pair")
    return obj


def _no_required_args(f: Any) -> bool:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in sig.parameters.values()
    )
