"""The sweep store: a directory holding the spec and a Parquet dataset, one file per cell.

Layout::

    DIR/sweep.toml            the spec as given
    DIR/sweep.json            manifest: base seed and every cell (index, key, seed, label, parameters, argv)
    DIR/cells/<key>.parquet   one row per finished cell (status done or failed)

A row is written to ``cells/.<key>.<pid>.tmp`` in the same directory, flushed, then renamed
over ``cells/<key>.parquet`` with ``os.replace`` (atomic on POSIX): a killed run leaves
either the whole row or none, and a cell that runs twice (a retried task, a resumed failed
cell) replaces its own file, so no cell is ever recorded twice. Hidden temp files are never
read. ``pyarrow.dataset`` reads ``DIR/cells`` as one table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError
from .spec import Cell, Spec

__all__ = ["Store", "ROW_COLUMNS", "STATUSES"]

STATUSES = ("done", "failed")
MANIFEST_VERSION = 1


def _row_types() -> dict[str, Any]:
    import pyarrow as pa

    return {
        "key": pa.string(), "index": pa.int64(), "label": pa.string(), "status": pa.string(), "error": pa.string(),
        "seed": pa.int64(), "level": pa.float64(), "lower": pa.float64(), "upper": pa.float64(),
        "stationary": pa.bool_(), "bound": pa.float64(), "ratio": pa.float64(), "verdict": pa.string(),
        "trajectory_verdict": pa.string(), "diverged": pa.bool_(), "warnings": pa.string(), "seconds": pa.float64(), "cpu_seconds": pa.float64(),
        "worker": pa.string(), "theorylab_version": pa.string(), "finished": pa.string(), "result": pa.string(),
    }


ROW_COLUMNS = ("key", "index", "label", "status", "error", "seed", "level", "lower", "upper", "stationary", "bound",
             "ratio", "verdict", "trajectory_verdict", "diverged", "warnings", "seconds", "cpu_seconds", "worker",
             "theorylab_version", "finished", "result")


def param_column(name: str) -> str:
    """Store column of a parameter: its name, or ``<name>_option`` where it would clash with a
    result column (``bound``: the flag; the Theorem's level is the ``bound`` column)."""
    return f"{name}_option" if name in ROW_COLUMNS else name


def _atomic_write_bytes(path: Path, data: bytes, fsync: bool = True) -> None:
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        if fsync:
            os.fsync(fh.fileno())
    os.replace(tmp, path)


class Store:
    """A sweep store directory (see the module docstring)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.cells_dir = self.path / "cells"
        self.manifest_path = self.path / "sweep.json"
        self.spec_path = self.path / "sweep.toml"
        self.unreadable: list[Path] = []  # row files that failed to parse at the last read

    # -- manifest -------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        if not self.exists():
            raise InvalidParameterError(f"{str(self.path)!r} is not a sweep store (no sweep.json); "
                                        "create one with `theorylab sweep run SPEC.toml --store DIR`")
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidParameterError(f"cannot read {str(self.manifest_path)!r}: {exc}") from None

    def check(self, spec: Spec, resume: bool) -> None:
        """Refuse a store that holds a sweep (without ``resume``) or another sweep; writes nothing."""
        if self.exists():
            if not resume:
                raise InvalidParameterError(f"--store {str(self.path)!r} already holds a sweep; add --resume to "
                                            "continue it, or choose a new directory")
            old = self.manifest()
            if old.get("canonical") != spec.canonical():
                raise InvalidParameterError(f"--store {str(self.path)!r} holds a different sweep (other cells or base "
                                            "seed) than this spec; use a new directory")
        if self.path.exists() and not self.path.is_dir():
            raise InvalidParameterError(f"--store {str(self.path)!r} is a file, expected a directory")

    def prepare(self, spec: Spec, resume: bool) -> None:
        """Create the store for ``spec``, or check that it holds the same sweep (``resume``)."""
        self.check(spec, resume)
        self.cells_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.cells_dir.glob(".*.tmp"):  # half-written rows of a killed run
            stale.unlink(missing_ok=True)
        manifest = {
            "version": MANIFEST_VERSION, "source": spec.source, "title": spec.title, "command": spec.command,
            "engine": spec.engine, "base_seed": spec.base_seed, "canonical": spec.canonical(),
            "varying": spec.varying,
            "cells": [{"index": c.index, "key": c.key, "seed": c.seed, "label": c.label, "params": c.columns(),
                       "argv": list(c.argv)} for c in spec.cells],
        }
        _atomic_write_bytes(self.spec_path, spec.text.encode())
        _atomic_write_bytes(self.manifest_path, json.dumps(manifest, indent=1).encode())

    # -- rows -----------------------------------------------------------------------------
    def row_path(self, key: str) -> Path:
        return self.cells_dir / f"{key}.parquet"

    def write(self, cell: Cell, outcome: Mapping[str, Any]) -> Path:
        """Write ``cell``'s row (its parameters and the ``outcome`` columns) atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = _row_types()
        row: dict[str, Any] = {"key": cell.key, "index": cell.index, "label": cell.label, "seed": cell.seed}
        row.update({k: outcome.get(k) for k in ROW_COLUMNS if k not in row})
        if row["status"] not in STATUSES:
            raise InvalidParameterError(f"status must be one of {STATUSES}, got {row['status']!r}")
        arrays, names = [], []
        for name in ROW_COLUMNS:
            arrays.append(pa.array([row[name]], type=types[name]))
            names.append(name)
        for name, value in cell.columns().items():
            arrays.append(pa.array([value]))
            names.append(param_column(name))
        table = pa.Table.from_arrays(arrays, names=names)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, write_statistics=False)
        path = self.row_path(cell.key)
        # no fsync per row (it cost ~17 ms a row here): the rename is atomic against a killed process, and a
        # row lost to a power cut reads as unreadable, hence pending, and is rerun by --resume
        _atomic_write_bytes(path, sink.getvalue().to_pybytes(), fsync=False)
        return path

    def files(self) -> list[Path]:
        if not self.cells_dir.is_dir():
            return []
        return sorted(self.cells_dir.glob("*.parquet"))

    def statuses(self) -> dict[str, str]:
        """``{key: status}`` of every stored row."""
        if not self.path.exists():  # a store about to be created holds nothing yet
            return {}
        table = self.read(columns=["key", "status"])
        if table is None:
            return {}
        return dict(zip(table.column("key").to_pylist(), table.column("status").to_pylist()))

    def read(self, columns: list[str] | None = None):
        """All stored rows as one ``pyarrow.Table`` sorted by cell index (None when empty)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.path.exists():
            raise InvalidParameterError(f"no sweep store at {str(self.path)!r} (the directory does not exist); "
                                        "create one with `theorylab sweep run SPEC.toml --store DIR`")

        tables = []
        self.unreadable = []
        for f in self.files():
            try:
                tables.append(pq.read_table(f, columns=columns))
            except (OSError, pa.ArrowException):  # truncated by a crash: treated as not stored
                self.unreadable.append(f)
        if not tables:
            return None
        table = pa.concat_tables(tables, promote_options="permissive")
        if "index" in table.column_names:
            table = table.sort_by("index")
        return table

    def status(self) -> dict[str, Any]:
        """Counts of done, failed and pending cells, and the failed cells' errors."""
        man = self.manifest()
        stored = self.statuses()
        cells = man["cells"]
        keys = {c["key"] for c in cells}
        done = [c for c in cells if stored.get(c["key"]) == "done"]
        failed = [c for c in cells if stored.get(c["key"]) == "failed"]
        errors: dict[str, str] = {}
        if failed:
            table = self.read(columns=["key", "error"])
            errors = dict(zip(table.column("key").to_pylist(), table.column("error").to_pylist()))
        return {"total": len(cells), "done": len(done), "failed": len(failed),
                "pending": len(cells) - len(done) - len(failed), "foreign": sorted(set(stored) - keys),
                "unreadable": [p.name for p in self.unreadable],
                "failures": [{"index": c["index"], "key": c["key"], "params": c["params"],
                              "error": errors.get(c["key"])} for c in failed]}
