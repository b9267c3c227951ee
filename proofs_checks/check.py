"""The declaration of a check and the registry that collects them.

A check module in :mod:`proofs_checks.checks` declares each claim with the :func:`check`
decorator on its run function::

    @check(
        id="lecture.top1-divergence",
        source="Beznosikov et al. (2020), slide 'Exponential Divergence with Biased Compressor'; docs/theory.md#top1-divergence",
        statement="Top-1 compressed GD on the 3-node example multiplies x by (1 + 11η/6) per step",
        expression="x^k = (1 + 11*eta/6)**k * x^0 for all eta > 0",
        method="symbolic",
        cost=(1.0, 1.0),
    )
    def top1_divergence(mode: str = "quick", *, factor=...) -> Verdict: ...

The run function takes ``mode`` (``"quick"`` or ``"full"``) and keyword arguments that
default to the source's claim. A test feeds a wrong claim through those keywords and expects
``refuted``: that is how every check shows it can fail.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .verdict import Verdict

__all__ = ["Method", "Mode", "METHODS", "MODES", "Check", "check", "registry", "discover", "select", "ImportFailure"]

Method = Literal["symbolic", "exact", "monte-carlo"]
Mode = Literal["quick", "full"]
METHODS: tuple[str, ...] = ("symbolic", "exact", "monte-carlo")
MODES: tuple[str, ...] = ("quick", "full")


@dataclass(frozen=True)
class Check:
    """One claim of the sources, made runnable.

    ``id``: unique, dotted (``family.claim``); ``source``: seed file and theorem/table/slide;
    ``statement``: the claim in words; ``expression``: the claim as a formula (sympy syntax
    where possible); ``method``: ``symbolic`` (sympy proof), ``exact`` (exact arithmetic or
    exhaustive enumeration) or ``monte-carlo``; ``cost``: rough seconds for (quick, full).
    """

    id: str
    source: str
    statement: str
    expression: str
    method: Method
    func: Callable[..., Verdict] = field(repr=False, compare=False)
    cost: tuple[float, float] = (1.0, 1.0)
    module: str = ""

    def run(self, mode: Mode = "quick", **claim: Any) -> Verdict:
        """Run the check; keyword arguments replace parts of the claim (to feed a wrong one)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        verdict = self.func(mode=mode, **claim)
        if not isinstance(verdict, Verdict):
            raise TypeError(f"check {self.id!r} returned {type(verdict).__name__}, expected a Verdict")
        return verdict

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
    expression: str,
    method: Method,
    cost: tuple[float, float] = (1.0, 1.0),
) -> Callable[[Callable[..., Verdict]], Check]:
    """Declare a check (decorator on its run function); it is added to the registry."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not id or any(c.isspace() for c in id):
        raise ValueError(f"check id must be a non-empty word, got {id!r}")

    def wrap(func: Callable[..., Verdict]) -> Check:
        c = Check(id, source, statement, expression, method, func, tuple(cost), func.__module__)  # type: ignore[arg-type]
        old = _REGISTRY.get(id)
        if old is not None and old.module != c.module:
            raise ValueError(f"duplicate check id {id!r} in {old.module} and {c.module}")
        _REGISTRY[id] = c
        return c

    return wrap


def registry() -> dict[str, Check]:
    """The checks imported so far, by id (call :func:`discover` first)."""
    return dict(_REGISTRY)


@dataclass(frozen=True)
class ImportFailure:
    """A check module that could not be imported (reported as an ``error`` row)."""

    module: str
    message: str


def discover(package: str = "proofs_checks.checks") -> tuple[list[Check], list[ImportFailure]]:
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
