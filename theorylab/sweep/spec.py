"""Sweep specifications: a TOML file expanded into cells, each a validated
:class:`~theorylab.simulate.Experiment`.

Format (the keys are the fields of :class:`~theorylab.simulate.Experiment`, the same names as
``theorylab simulate``'s options with ``_`` for ``-``; ``burn-in`` is accepted for ``burn_in``;
the table of fields is in docs/sweeps.md)::

    method = "dcsgd"          # or a [grid]/[zip] key, to mix methods
    engine = "montecarlo"     # or "exact"
    seed = 0                  # base seed; each cell's seed is derived (theorylab.sweep.seeds)
    [fixed]                   # one value per field
    compressor = "randk:k=5"
    bound = true
    [grid]                    # lists, combined as a product
    eta = [0.005, 0.01]
    [zip]                     # lists of equal length, paired element-wise
    agents = [4, 8]
    batch  = [2, 1]

A flag (``sde``, ``bound``) takes ``true``/``false``; ``false`` for a field with a value
means "not given" (so ``compressor = [false, "randk:k=5"]`` pairs DSGD with DCSGD). A list
inside a table value (``sigma = [[1, 2]]`` in a grid) is one value per agent. ``label`` is a
free text column that is not part of the experiment.

Each cell is an ``Experiment`` built from these values (so a cell equals ``theorylab simulate``
with the same options because both build the same ``Experiment``), and
:meth:`~theorylab.simulate.Experiment.validate` checks it, every rule the CLI has, before
anything runs. No command-line parser is involved.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ..errors import SpecError
from .seeds import canonical_json, cell_key, cell_seed

__all__ = ["Cell", "Spec", "load_spec", "parse_spec", "spec_keys"]

TOP_KEYS = ("command", "method", "engine", "seed", "title", "description", "fixed", "grid", "zip")
TABLES = ("fixed", "grid", "zip")
COMMANDS = ("simulate", "bounds")
ENGINES = ("montecarlo", "exact")
RESERVED = ("method", "label")
# options a sweep sets itself (seed, machine-readable output, no per-cell bar) or that write files per cell
DENIED = {"seed": "is derived per cell: put `seed = N` (the base seed) at the top",
          "format": "is set by the sweep", "progress": "is set by the sweep (the sweep shows its own bar)",
          "plot": "would write one file per cell; use `theorylab sweep plot`"}


@dataclass(frozen=True)
class Cell:
    """One task of a sweep.

    ``params`` holds the canonical parameters (method, engine, and the read value of every
    field the spec gives); ``key`` and ``seed`` derive from them and the base seed; ``task`` is
    what a worker runs (:meth:`Experiment.to_dict <theorylab.simulate.Experiment.to_dict>` with the
    cell's seed, or a bounds cell's name, ``ell`` and values); ``argv`` is the equivalent command
    line (``theorylab simulate ...`` or ``theorylab bounds ...``, with ``--seed``), for reading and
    reproducing a cell by hand."""

    index: int  # 1-based position in the spec's expansion order
    key: str
    seed: int
    command: str
    label: str | None
    params: dict[str, Any]
    argv: tuple[str, ...]
    task: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def experiment(self) -> Any:
        """The cell's :class:`~theorylab.simulate.Experiment` (simulate cells)."""
        from ..simulate.experiment import Experiment

        return Experiment.from_dict(self.task)

    def columns(self) -> dict[str, Any]:
        """Parameter columns of the store: lists (per-agent sigmas) as comma-joined text."""
        out: dict[str, Any] = {}
        for k, v in self.params.items():
            out[k] = ",".join(repr(x) for x in v) if isinstance(v, (list, tuple)) else v
        return out

    def describe(self) -> str:
        shown = {k: v for k, v in self.columns().items() if k != "engine"}
        return ", ".join(f"{k}={v}" for k, v in shown.items())


@dataclass(frozen=True)
class Spec:
    """A parsed, validated sweep: its text, base seed, tables and expanded cells."""

    source: str
    text: str
    command: str
    engine: str
    base_seed: int
    fixed: dict[str, Any]
    grid: dict[str, list[Any]]
    zip: dict[str, list[Any]]
    cells: tuple[Cell, ...] = field(repr=False)
    title: str | None = None

    @property
    def varying(self) -> list[str]:
        """Parameter names that vary across cells (grid and zip keys), in spec order."""
        return [_dest(k) for k in (*self.grid, *self.zip)]

    def canonical(self) -> str:
        """Canonical JSON of what defines the sweep's set of cells (compared on ``--resume``; the
        order of the cells does not matter)."""
        return canonical_json({"base_seed": self.base_seed, "cells": sorted(c.key for c in self.cells)})


def _dest(key: str) -> str:
    return key.replace("-", "_")


def spec_keys() -> tuple[str, ...]:
    """The keys a simulate cell takes: the fields of :class:`~theorylab.simulate.Experiment` but the
    seed and the engine (set at the top), and ``label``."""
    from ..simulate.experiment import FIELD_NAMES

    return tuple(k for k in FIELD_NAMES if k not in ("seed", "engine")) + ("label",)


def _experiment_values(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A cell's TOML values as :class:`~theorylab.simulate.Experiment` field values: flags must be
    true/false, ``false`` elsewhere means "not given", lists only for per-agent ``sigma``."""
    from ..simulate.experiment import EXPERIMENT_FIELDS

    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in RESERVED:
            continue
        name = key.replace("-", "_")
        if key in DENIED or name in DENIED:
            raise SpecError(f"{where}: {key}: `{key}` {DENIED.get(key, DENIED.get(name))}")
        f = EXPERIMENT_FIELDS.get(name)
        if f is None or name == "engine":
            known = ", ".join(k for k in spec_keys() if k != "label")
            raise SpecError(f"{where}: {key}: unknown key `{key}`; the keys are the experiment's fields: {known}, "
                            "and method, label")
        if f.metadata["kind"] == "flag":
            if not isinstance(value, bool):
                raise SpecError(f"{where}: {key}: `{key}` is a flag: use true or false, got {value!r}")
            out[name] = value
            continue
        if value is False:  # not given, but part of the cell's parameters (stored keys stay as they were)
            out[name] = None
            continue
        if value is True:
            raise SpecError(f"{where}: {key}: `{key}` takes a value, got true (false means 'not given')")
        if isinstance(value, (list, dict)) and not (name == "sigma" and isinstance(value, list) and value and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            raise SpecError(f"{where}: {key}: expected a number, a string or (sigma) a list of numbers, got {value!r}")
        out[name] = value
    return out


def _table(doc: Mapping[str, Any], name: str, source: str) -> dict[str, Any]:
    t = doc.get(name, {})
    if not isinstance(t, dict):
        raise SpecError(f"{source}: [{name}] must be a table, got {type(t).__name__}")
    return dict(t)


def load_spec(path: str | Path) -> Spec:
    """Read and validate a sweep spec (TOML); :class:`SpecError` on the first problem."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise SpecError(f"cannot read sweep spec {str(p)!r}: {exc.strerror or exc}") from None
    return parse_spec(text, source=str(p))


def parse_spec(text: str, source: str = "<spec>") -> Spec:
    """Parse the TOML ``text`` of a sweep into a :class:`Spec` with every cell validated."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: invalid TOML: {exc}") from None
    unknown = [k for k in doc if k not in TOP_KEYS]
    if unknown:
        raise SpecError(f"{source}: unknown top-level key `{unknown[0]}`; expected {', '.join(TOP_KEYS)} "
                        "(simulate's options go in [fixed], [grid] or [zip])")
    command = doc.get("command", "simulate")
    if command not in COMMANDS:
        raise SpecError(f"{source}: command must be one of {', '.join(COMMANDS)}, got {command!r}")
    engine = doc.get("engine", "montecarlo")
    if engine not in ENGINES:
        raise SpecError(f"{source}: engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    base_seed = doc.get("seed", 0)
    if isinstance(base_seed, bool) or not isinstance(base_seed, int) or base_seed < 0:
        raise SpecError(f"{source}: seed (the base seed) must be an integer >= 0, got {base_seed!r}")
    fixed, grid, zipped = (_table(doc, t, source) for t in TABLES)
    if any("engine" in t for t in (fixed, grid, zipped)):
        raise SpecError(f"{source}: `engine` goes at the top of the spec (engine = \"montecarlo\" or \"exact\"), "
                        "not in [fixed], [grid] or [zip]")
    if "method" in doc:
        if any("method" in t for t in (fixed, grid, zipped)):
            raise SpecError(f"{source}: `method` is given at the top and in a table; give it once")
        fixed = {"method": doc["method"], **fixed}
    _check_tables(source, fixed, grid, zipped)
    if not any("method" in t for t in (fixed, grid, zipped)):
        raise SpecError(f"{source}: no method; put e.g. `method = \"dcsgd\"` at the top")
    if command == "bounds" and "engine" in doc:
        raise SpecError(f"{source}: a bounds sweep is symbolic; it takes no engine")
    cells = _expand(source, command, engine, base_seed, fixed, grid, zipped)
    title = doc.get("title")
    return Spec(source, text, command, engine, base_seed, fixed, grid, zipped, tuple(cells),
                title if isinstance(title, str) else None)


def _check_tables(source: str, fixed: dict, grid: dict, zipped: dict) -> None:
    seen: dict[str, str] = {}
    for tname, table in (("fixed", fixed), ("grid", grid), ("zip", zipped)):
        for key, value in table.items():
            d = _dest(key)
            if d in seen:
                raise SpecError(f"{source}: `{key}` is given twice ([{seen[d]}] and [{tname}])")
            seen[d] = tname
            if tname == "fixed":
                if isinstance(value, dict):
                    raise SpecError(f"{source}: [fixed] {key}: expected one value, got a table")
                continue
            if not isinstance(value, list):
                raise SpecError(f"{source}: [{tname}] {key}: expected a list of values, got {value!r}")
            if not value:
                raise SpecError(f"{source}: [{tname}] {key} is empty: a sweep needs at least one value per axis")
    lengths = {k: len(v) for k, v in zipped.items()}
    if len(set(lengths.values())) > 1:
        raise SpecError(f"{source}: [zip] lists must have equal lengths, got "
                        + ", ".join(f"{k}: {n}" for k, n in lengths.items()))


def _expand(source: str, command: str, engine: str, base_seed: int, fixed: dict, grid: dict,
            zipped: dict) -> list[Cell]:
    grid_rows = list(itertools.product(*grid.values())) if grid else [()]
    zip_rows = list(zip(*zipped.values())) if zipped else [()]
    cells: list[Cell] = []
    by_key: dict[str, Cell] = {}
    validated: set[str] = set()
    for g_row in grid_rows:
        for z_row in zip_rows:
            values = {**fixed, **dict(zip(grid, g_row)), **dict(zip(zipped, z_row))}
            index = len(cells) + 1
            where = f"{source}: cell {index} ({', '.join(f'{k}={v!r}' for k, v in values.items() if k in grid or k in zipped)})"
            cell = _cell(where, index, command, engine, base_seed, values)
            if cell.key in by_key:
                raise SpecError(f"{where}: same options as cell {by_key[cell.key].index}; every cell must differ")
            params = canonical_json(cell.params)
            if params not in validated:  # every rule of the experiment (problem, noise, compressor), once per cell
                try:
                    _validate(cell)
                except Exception as exc:  # noqa: BLE001 - any library error is a bad cell
                    raise SpecError(f"{where}: {exc}") from None
                validated.add(params)
            by_key[cell.key] = cell
            cells.append(cell)
    return cells


def _validate(cell: Cell) -> None:
    if cell.command == "simulate":
        cell.experiment.validate()
        return
    from ..errors import AssumptionError
    from .symbolic import bounds_result

    try:  # unknown or missing symbols are spec errors; a violated assumption is the cell's result
        bounds_result(cell.task)
    except AssumptionError:
        pass


def _cell(where: str, index: int, command: str, engine: str, base_seed: int, values: Mapping[str, Any]) -> Cell:
    from ..simulate.experiment import Experiment

    method = values.get("method")
    if not isinstance(method, str):
        raise SpecError(f"{where}: method must be a string, got {method!r}")
    label = values.get("label")
    if label is not None and not isinstance(label, str):
        raise SpecError(f"{where}: label must be a string, got {label!r}")
    if command == "bounds":
        from .symbolic import bounds_argv, bounds_params, bounds_task

        task = bounds_task(method, values, RESERVED, where)
        bparams = {"command": "bounds", **bounds_params(task)}
        return Cell(index, cell_key(bparams, base_seed), cell_seed(bparams, base_seed), command, label, bparams,
                    tuple(bounds_argv(task)), task)
    given = _experiment_values(values, where)
    try:
        exp = Experiment.from_dict({"method": method, "engine": engine, **given})
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - a value that does not fit its field
        raise SpecError(f"{where}: {exc}") from None
    read = exp.to_dict()
    params: dict[str, Any] = {"method": method, "engine": engine, **{k: read[k] for k in given}}
    key = cell_key(params, base_seed)
    seed = cell_seed(params, base_seed)
    exp = exp.replace(seed=seed)
    argv = [*exp.to_argv(), "--format", "json", "--no-progress"]
    return Cell(index, key, seed, command, label, params, tuple(argv), exp.to_dict())
