"""The declaration of a check and the registry that collects them.

A claim becomes a check by the :func:`check` decorator on its run function::

    from theorylab.claims import check, identity

    @check(id="mine.square", source="my paper (2026), Lemma 1",
           statement="(a + b)^2 = a^2 + 2ab + b^2", expression="(a+b)**2 == a**2 + 2*a*b + b**2",
           method="symbolic")
    def square(mode: str = "quick", *, rhs: str = "a**2 + 2*a*b + b**2"):
        return identity("(a + b)**2", rhs, symbols={"a": "real", "b": "real"})

The run function takes ``mode`` (``"quick"`` or ``"full"``) and keyword arguments that
default to the claim as stated; a test feeds a wrong claim through those keywords and expects
``refuted``: that is how every check shows it can fail.

Checks are found by importing their modules: :func:`discover` imports every module of a
package, :func:`load_file` imports one claim file by its path (``theorylab check --from``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import importlib
import importlib.util
import keyword
import os
import pkgutil
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ClaimError, InvalidParameterError
from .verdict import Verdict

__all__ = [
    "Method",
    "Mode",
    "CHECK_METHODS",
    "MODES",
    "Check",
    "check",
    "registry",
    "discover",
    "load_file",
    "select",
    "ImportFailure",
]

Method = Literal["symbolic", "exact", "monte-carlo", "numeric"]
Mode = Literal["quick", "full"]
#: how a check reaches its verdict (``numeric``: deterministic floating point)
CHECK_METHODS: tuple[str, ...] = ("symbolic", "exact", "monte-carlo", "numeric")
MODES: tuple[str, ...] = ("quick", "full")


@dataclass(frozen=True)
class Check:
    """One claim, made runnable.

    ``id``: unique, dotted (``family.claim``); ``source``: the paper and its theorem/table/slide;
    ``statement``: the claim in words; ``expression``: the claim as a formula (sympy syntax
    where possible); ``method``: ``symbolic`` (sympy proof), ``exact`` (exact arithmetic or
    exhaustive enumeration), ``monte-carlo`` or ``numeric``; ``cost``: rough seconds for
    (quick, full); ``module``: the module that declared it; ``origin``: the file it was loaded
    from by :func:`load_file` (empty for a package module).
    """

    id: str
    source: str
    statement: str
    expression: str
    method: Method
    func: Callable[..., Verdict] = field(repr=False, compare=False)
    cost: tuple[float, float] = (1.0, 1.0)
    module: str = ""
    origin: str = ""

    def run(self, mode: Mode = "quick", **claim: Any) -> Verdict:
        """Run the check; keyword arguments replace parts of the claim (to feed a wrong one)."""
        if mode not in MODES:
            raise InvalidParameterError(f"mode must be one of {MODES}, got {mode!r}")
        verdict = self.func(mode=mode, **claim)
        if not isinstance(verdict, Verdict):
            raise ClaimError(f"check {self.id!r} returned {type(verdict).__name__}, expected a Verdict")
        return verdict

    def __call__(self, mode: Mode = "quick", **claim: Any) -> Verdict:
        return self.run(mode, **claim)

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "statement": self.statement,
            "expression": self.expression,
            "method": self.method,
            "cost": {"quick": self.cost[0], "full": self.cost[1]},
            "module": self.module,
        }


_REGISTRY: dict[str, Check] = {}


def check(
    *,
    id: str,  # noqa: A002 - the natural name
    source: str,
    statement: str,
    expression: str = "",
    method: Method,
    cost: tuple[float, float] = (1.0, 1.0),
) -> Callable[[Callable[..., Verdict]], Check]:
    """Declare a check (decorator on its run function); it is added to the registry."""
    if method not in CHECK_METHODS:
        raise ClaimError(f"method must be one of {CHECK_METHODS}, got {method!r}")
    if not id or any(c.isspace() for c in id):
        raise ClaimError(f"check id must be a non-empty word, got {id!r}")

    def wrap(func: Callable[..., Verdict]) -> Check:
        _takes_mode(id, func)
        mod = sys.modules.get(func.__module__)
        origin = getattr(mod, "__theorylab_origin__", "") if mod is not None else ""
        c = Check(id, source, statement, expression or statement, method, func,
                  (float(cost[0]), float(cost[1])), func.__module__, origin)
        old = _REGISTRY.get(id)
        if old is not None and _declared_at(old) != _declared_at(c):  # same module included: one is not dropped
            raise ClaimError(f"duplicate check id {id!r}: declared by {_where(old)} and by {_where(c)}; "
                             "expected one declaration per id (rename one of them)")
        if old is not None and old.origin and not c.origin:
            c = dataclasses.replace(c, origin=old.origin)  # the same declaration, imported again
        _REGISTRY[id] = c
        return c

    return wrap


def _takes_mode(check_id: str, func: Callable[..., Any]) -> None:
    """The run function must accept ``mode=`` (by keyword): checked when it is declared."""
    import inspect

    if not callable(func):
        raise ClaimError(f"@check(id={check_id!r}) decorates {type(func).__name__}, expected a run function")
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):  # no introspectable signature: accept, the runner will tell
        return
    p = params.get("mode")
    ok = (p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)) or \
        any(q.kind is q.VAR_KEYWORD for q in params.values())
    if not ok:
        name = getattr(func, "__name__", "run")
        raise ClaimError(f"@check(id={check_id!r}): the run function {name}{inspect.signature(func)} takes no "
                         f"'mode' parameter; expected def {name}(mode=\"quick\", *, ...) (mode is \"quick\" or \"full\")")


def _source_file(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    return os.path.realpath(code.co_filename) if code is not None else ""


def _declared_at(c: Check) -> tuple[str, str, int]:
    """Where a check's run function is written (its source file, qualified name and first line):
    a claim file executed twice (loaded by ``--from`` and imported by a neighbour) declares the
    same check."""
    code = getattr(c.func, "__code__", None)
    return _source_file(c.func), getattr(c.func, "__qualname__", ""), getattr(code, "co_firstlineno", 0)


def _where(c: Check) -> str:
    """A check's declaring module for messages: the file of a claim file, else the module name."""
    if c.origin or c.module.startswith(_PRIVATE) or not c.module:
        return repr(c.origin or _source_file(c.func))
    return c.module


def registry() -> dict[str, Check]:
    """The checks imported so far, by id (call :func:`discover` or :func:`load_file` first)."""
    return dict(_REGISTRY)


@dataclass(frozen=True)
class ImportFailure:
    """A check module that could not be imported (reported as an ``error`` row)."""

    module: str
    message: str


def discover(package: str) -> tuple[list[Check], list[ImportFailure]]:
    """Import every module of ``package`` and return the registered checks (sorted by id)
    and the modules that failed to import (with the error, so the runner can report them)."""
    pkg = importlib.import_module(package)
    failures: list[ImportFailure] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        name = f"{package}.{info.name}"
        try:
            importlib.import_module(name)
        except Exception as exc:  # a broken module is an error row, not a crash
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            failures.append(ImportFailure(name, tb))
    prefix = package + "."
    checks = sorted((c for c in _REGISTRY.values() if c.module.startswith(prefix)), key=lambda c: c.id)
    return checks, failures


_PRIVATE = "theorylab_claims_file_"


def _module_name(path: str) -> str:
    """The module name to load the claim file ``path`` under: its plain name (``my_paper`` for
    ``my_paper.py``) when that is free or already this file (so a neighbour's
    ``from my_paper import ...`` gets the same module and its checks are declared once), else a
    private name (a file called like a module already importable from elsewhere, ``json.py``)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem.isidentifier() and not keyword.iskeyword(stem):
        mod = sys.modules.get(stem)
        if mod is not None:
            if os.path.realpath(getattr(mod, "__file__", None) or "") == path:
                return stem
        else:
            try:
                spec = importlib.util.find_spec(stem)
            except (ImportError, ValueError):
                spec = None
            if spec is None or (spec.origin and os.path.realpath(spec.origin) == path):
                return stem
    safe = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in stem)
    digest = hashlib.sha1(path.encode("utf-8")).hexdigest()[:8]
    return f"{_PRIVATE}{safe}_{digest}"


def load_file(path: str | os.PathLike[str]) -> list[Check]:
    """Import the claim file at ``path`` (a ``.py`` file that declares checks with
    :func:`check`) and return its checks, sorted by id.

    The file is imported once per process, under its plain module name when that name is free
    (a private one otherwise); its directory is put on ``sys.path`` while it is imported, so it
    can import its neighbours, and a claim file imported by a neighbour is the same module as
    when it is loaded here: each check is declared once. Raises
    :class:`ClaimError` when the file is missing, is not Python, fails to import (the
    exception's last line is in the message) or declares no check.
    """
    p = os.path.realpath(os.path.abspath(os.fspath(path)))
    if not os.path.isfile(p):
        raise ClaimError(f"claim file {os.fspath(path)!r} not found; expected a .py file that declares checks")
    if not p.endswith(".py"):
        raise ClaimError(f"claim file {os.fspath(path)!r} is not a .py file")
    name = _module_name(p)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, p)
        if spec is None or spec.loader is None:
            raise ClaimError(f"cannot import claim file {os.fspath(path)!r}")
        mod = importlib.util.module_from_spec(spec)
        mod.__theorylab_origin__ = p  # type: ignore[attr-defined]
        sys.modules[name] = mod
        folder = os.path.dirname(p)
        added = folder not in sys.path
        if added:
            sys.path.insert(0, folder)
        try:
            spec.loader.exec_module(mod)
        except ClaimError as exc:
            del sys.modules[name]
            raise ClaimError(f"claim file {os.fspath(path)!r}: {exc}") from None
        except BaseException as exc:
            del sys.modules[name]
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            raise ClaimError(f"claim file {os.fspath(path)!r} failed to import: {last}") from None
        finally:
            if added and folder in sys.path:
                sys.path.remove(folder)
    mine = [c for c in _REGISTRY.values() if _source_file(c.func) == p or c.module == name]
    for c in mine:  # declared on a neighbour's import: the workers reload it from this file
        if not c.origin:
            _REGISTRY[c.id] = dataclasses.replace(c, origin=p)
    checks = sorted((_REGISTRY[c.id] for c in mine), key=lambda c: c.id)
    if not checks:
        raise ClaimError(f"claim file {os.fspath(path)!r} declares no check; decorate a run function with "
                         "@theorylab.claims.check(...)")
    return checks


def select(checks: Iterable[Check], patterns: Iterable[str] | None) -> list[Check]:
    """Checks whose id matches any of the glob ``patterns`` (a plain word matches as a substring)."""
    pats = [p for p in (patterns or []) if p]
    if not pats:
        return list(checks)
    out = []
    for c in checks:
        for p in pats:
            if any(ch in p for ch in "*?[") and fnmatch.fnmatchcase(c.id, p):
                out.append(c)
                break
            if not any(ch in p for ch in "*?[") and p in c.id:
                out.append(c)
                break
    return out
