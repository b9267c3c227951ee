"""Sweep specifications: a TOML file expanded into cells, each a validated ``simulate`` call.

Format (keys mirror ``theorylab simulate``'s options, ``--burn-in`` as ``burn_in`` or
``burn-in``)::

    method = "dcsgd"          # or a [grid]/[zip] key, to mix methods
    engine = "montecarlo"     # passed as --engine when simulate has that option
    seed = 0                  # base seed; each cell's seed is derived (theorylab.sweep.seeds)
    [fixed]                   # one value per option
    compressor = "randk:k=5"
    bound = true
    [grid]                    # lists, combined as a product
    eta = [0.005, 0.01]
    [zip]                     # lists of equal length, paired element-wise
    agents = [4, 8]
    batch  = [2, 1]

A flag (``sde``, ``bound``) takes ``true``/``false``; ``false`` for an option with a value
means "not given" (so ``compressor = [false, "randk:k=5"]`` pairs DSGD with DCSGD). A list
inside a table value (``sigma = [[1, 2]]`` in a grid) is joined with commas. ``label`` is a
free text column that is not passed to ``simulate``.

The option list is not retyped here: every cell is turned into ``simulate``'s argv and
parsed with the ``simulate`` subcommand's own argparse parser, then checked with the same
validation the CLI uses (:func:`theorylab.cli.simulate.inputs`), all before anything runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ..errors import SpecError
from .files import FILES_PARAM, resolve_file_values
from .seeds import canonical_json, cell_key, cell_seed

__all__ = ["Cell", "Spec", "load_spec", "parse_spec", "command_parser", "cell_namespace"]

TOP_KEYS = ("command", "method", "engine", "seed", "title", "description", "timeout", "max_cells", "fixed", "grid",
            "zip")
MAX_CELLS = 10_000  # cells a spec may expand to unless it sets `max_cells`
TABLES = ("fixed", "grid", "zip")
COMMANDS = ("simulate", "bounds")
ENGINES = ("montecarlo", "exact")
RESERVED = ("method", "label")
# options a sweep sets itself (seed, machine-readable output, no per-cell bar) or that write files per cell
DENIED = {"help": "is not an option of a cell", "seed": "is derived per cell: put `seed = N` (the base seed) at the top",
          "format": "is set by the sweep", "progress": "is set by the sweep (the sweep shows its own bar)",
          "plot": "would write one file per cell; use `theorylab sweep plot`"}


@dataclass(frozen=True)
class Cell:
    """One task of a sweep.

    ``params`` holds the canonical parameters (method, engine, and the parsed value of every
    option the spec gives); ``key`` and ``seed`` derive from them and the base seed;
    ``argv`` is the full ``simulate`` argument list (with ``--seed``)."""

    index: int  # 1-based position in the spec's expansion order
    key: str
    seed: int
    command: str
    label: str | None
    params: dict[str, Any]
    argv: tuple[str, ...]

    def columns(self) -> dict[str, Any]:
        """Parameter columns of the store: lists (per-agent sigmas) as comma-joined text."""
        out: dict[str, Any] = {}
        for k, v in self.params.items():
            out[k] = (",".join(repr(x) for x in v) if isinstance(v, (list, tuple))
                      else canonical_json(v) if isinstance(v, dict) else v)
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
    timeout: float | None = None  # seconds per cell (None: the runner's default)

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


def command_parser(command: str = "simulate") -> argparse.ArgumentParser:
    """The ``theorylab COMMAND`` subparser, built by the command's own ``register``, whose
    errors raise :class:`SpecError` instead of exiting."""
    from ..cli import simulate as cli_simulate
    from ..cli import symbolic as cli_symbolic

    modules = {"simulate": cli_simulate, "bounds": cli_symbolic}
    root = argparse.ArgumentParser(prog="theorylab")
    sub = root.add_subparsers(dest="command")
    modules[command].register(sub)
    parser = sub.choices[command]

    def error(message: str) -> NoReturn:
        raise SpecError(message)

    parser.error = error  # type: ignore[method-assign]
    return parser


def cell_namespace(argv: Sequence[str], command: str = "simulate") -> argparse.Namespace:
    """Parse a cell's argv with the command's own parser (on the client and on the worker)."""
    return command_parser(command).parse_args(list(argv))


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    out = {}
    for action in parser._actions:  # noqa: SLF001 - argparse has no public list of actions
        for opt in action.option_strings:
            if opt.startswith("--"):
                out[opt[2:]] = action
    return out


def _value_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        raise SpecError(f"{where}: a flag value (true/false) where a value is expected")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return ",".join(repr(v) for v in value)
    raise SpecError(f"{where}: expected a number, a string or a list of numbers, got {value!r}")


def _option_argv(options: Mapping[str, argparse.Action], key: str, value: Any, where: str) -> list[str]:
    name = key.replace("_", "-")
    if name in DENIED:
        raise SpecError(f"{where}: `{key}` {DENIED[name]}")
    action = options.get(name)
    if action is None:
        known = ", ".join(sorted(k for k in options if k not in DENIED and not k.startswith("no-")))
        raise SpecError(f"{where}: unknown key `{key}`; the keys are simulate's options: {known}, and method, label")
    opt = f"--{name}"
    if isinstance(action, argparse.BooleanOptionalAction):
        if not isinstance(value, bool):
            raise SpecError(f"{where}: `{key}` is a flag: use true or false, got {value!r}")
        return [opt] if value else [f"--no-{name}"]
    if action.nargs == 0:  # store_true / store_const
        if not isinstance(value, bool):
            raise SpecError(f"{where}: `{key}` is a flag: use true or false, got {value!r}")
        return [opt] if value else []
    if value is False:
        return []
    if value is True:
        raise SpecError(f"{where}: `{key}` takes a value, got true (false means 'not given')")
    return [opt, _value_text(value, where)]


def _table(doc: Mapping[str, Any], name: str, source: str) -> dict[str, Any]:
    t = doc.get(name, {})
    if not isinstance(t, dict):
        raise SpecError(f"{source}: [{name}] must be a table, got {type(t).__name__}")
    return dict(t)


def load_spec(path: str | Path, progress: Any = None) -> Spec:
    """Read and validate a sweep spec (TOML); :class:`SpecError` on the first problem."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise SpecError(f"cannot read sweep spec {str(p)!r}: {exc.strerror or exc}") from None
    return parse_spec(text, source=str(p), progress=progress)


def _positive_number(doc: Mapping[str, Any], key: str, source: str, integer: bool = False) -> Any:
    v = doc.get(key)
    if v is None:
        return None
    ok = isinstance(v, int) if integer else isinstance(v, (int, float))
    if isinstance(v, bool) or not ok or not v > 0 or v != v or v == float("inf"):
        raise SpecError(f"{source}: `{key}` must be a {'whole' if integer else 'finite'} number > 0, got {v!r}")
    return v


def parse_spec(text: str, source: str = "<spec>", progress: Any = None) -> Spec:
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
    parser = command_parser(command)
    options = _options(parser)
    if command == "bounds" and "engine" in doc:
        raise SpecError(f"{source}: a bounds sweep is symbolic; it takes no engine")
    if engine != "montecarlo" and "engine" not in options:
        raise SpecError(f"{source}: engine {engine!r} needs `theorylab simulate --engine`, which this theorylab "
                        "does not have; use engine = \"montecarlo\"")
    timeout = _positive_number(doc, "timeout", source)
    cap = _positive_number(doc, "max_cells", source, integer=True) or MAX_CELLS
    n = 1
    for v in grid.values():
        n *= len(v)
    n *= len(next(iter(zipped.values()))) if zipped else 1
    if n > cap:
        raise SpecError(f"{source}: the grid expands to {n:,} cells, more than the cap of {cap:,}; set "
                        f"`max_cells = {n}` at the top of the spec to run it")
    cells = _expand(source, command, engine, base_seed, fixed, grid, zipped, parser, options, progress, n)
    title = doc.get("title")
    return Spec(source, text, command, engine, base_seed, fixed, grid, zipped, tuple(cells),
                title if isinstance(title, str) else None, float(timeout) if timeout is not None else None)


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


def _expand(source: str, command: str, engine: str, base_seed: int, fixed: dict, grid: dict, zipped: dict,
            parser: argparse.ArgumentParser, options: Mapping[str, argparse.Action], progress: Any = None,
            total: int = 0) -> list[Cell]:
    from ..cli.simulate import inputs

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
            values, files = resolve_file_values(values, where)  # FILE.py:NAME made absolute, hashed
            cell = _cell(where, index, command, engine, base_seed, values, parser, options)
            if files:
                cell = dataclasses.replace(cell, params={**cell.params, FILES_PARAM: files},
                                           key=cell_key({**cell.params, FILES_PARAM: files}, base_seed))
            if progress is not None:
                progress(index, total)
            if cell.key in by_key:
                raise SpecError(f"{where}: same options as cell {by_key[cell.key].index}; every cell must differ")
            argv_wo_seed = canonical_json(cell.params)
            if argv_wo_seed not in validated:  # the CLI's own checks (problem, noise, compressor), once per cell
                try:
                    _validate(cell, inputs)
                except SpecError as exc:
                    raise SpecError(f"{where}: {exc}") from None
                except Exception as exc:  # noqa: BLE001 - any library error is a bad cell
                    raise SpecError(f"{where}: {exc}") from None
                validated.add(argv_wo_seed)
            by_key[cell.key] = cell
            cells.append(cell)
    return cells


def _validate(cell: Cell, inputs: Any) -> None:
    ns = cell_namespace(cell.argv, cell.command)
    if cell.command == "simulate":
        inputs(ns)
        return
    from ..errors import AssumptionError
    from .symbolic import bounds_result

    try:  # unknown or missing symbols are spec errors; a violated assumption is the cell's result
        bounds_result(ns)
    except AssumptionError:
        pass


def _cell(where: str, index: int, command: str, engine: str, base_seed: int, values: Mapping[str, Any],
          parser: argparse.ArgumentParser, options: Mapping[str, argparse.Action]) -> Cell:
    method = values.get("method")
    if not isinstance(method, str):
        raise SpecError(f"{where}: method must be a string, got {method!r}")
    label = values.get("label")
    if label is not None and not isinstance(label, str):
        raise SpecError(f"{where}: label must be a string, got {label!r}")
    if command == "bounds":
        from .symbolic import bounds_argv, bounds_params

        bargv = bounds_argv(method, values, RESERVED, where)
        try:
            bns = parser.parse_args(bargv)
        except SpecError as exc:
            raise SpecError(f"{where}: {exc}") from None
        bparams = {"command": "bounds", **bounds_params(bns, method)}
        return Cell(index, cell_key(bparams, base_seed), cell_seed(bparams, base_seed), command, label, bparams,
                    tuple(bargv))
    argv: list[str] = [method]
    given: list[str] = []
    for key, value in values.items():
        if key in RESERVED:
            continue
        argv += _option_argv(options, key, value, f"{where}: {key}")
        given.append(key)
    if "engine" in options and "engine" not in values:
        argv += ["--engine", engine]
    try:
        ns = parser.parse_args(argv)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    params: dict[str, Any] = {"method": method, "engine": engine}
    for key in given:
        dest = options[key.replace("_", "-")].dest
        params[dest] = getattr(ns, dest)
    key = cell_key(params, base_seed)
    seed = cell_seed(params, base_seed)
    argv += ["--seed", str(seed), "--format", "json", "--no-progress"]
    return Cell(index, key, seed, command, label, params, tuple(argv))
