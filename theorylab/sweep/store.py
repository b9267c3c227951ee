"""The sweep store: a directory holding the spec and a Parquet dataset, one file per cell.

Layout::

    DIR/sweep.toml            the spec as given
    DIR/sweep.json            manifest: sweep id, base seed and every cell (index, key, seed, label, parameters, argv)
    DIR/cells/<key>.parquet   one row per finished cell (status done, diverged or failed)
    DIR/lock                  while a run holds the store: {"host", "pid", "started"}

A row is written to ``cells/.<key>.<pid>.tmp`` in the same directory, flushed, then renamed
over ``cells/<key>.parquet`` with ``os.replace`` (atomic on POSIX): a killed run leaves
either the whole row or none, and a cell that runs twice (a retried task, a resumed failed
cell) replaces its own file, so no cell is ever recorded twice. Hidden temp files are never
read.

Every row carries its sweep's id (``sweep_id``: 16 hex digits of the SHA-256 of the spec's
canonical set of cells and base seed), its cell key and ``checksum``: the SHA-256 of every other
column (name, Arrow type and value, floats written exactly). :meth:`Store.read` verifies each
file (a readable single row with the row schema, the checksum, the sweep id, a key of this sweep
stored under its own name) and excludes what fails, listing it in :attr:`Store.problems`
(``theorylab sweep verify`` prints them); an excluded cell counts as pending, so ``--resume``
reruns it. A run refuses to start while ``cells/`` holds files that are not rows, so
``pyarrow.dataset.dataset("DIR/cells")`` keeps reading a store that ``sweep verify`` passes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError
from .spec import Cell, Spec

__all__ = ["Store", "ROW_COLUMNS", "STATUSES", "sweep_id", "row_checksum", "StoreLocked"]

STATUSES = ("done", "diverged", "failed")
MANIFEST_VERSION = 2
ROW_NAME = re.compile(r"^[0-9a-f]{16}\.parquet$")


def _row_types() -> dict[str, Any]:
    import pyarrow as pa

    return {
        "key": pa.string(), "sweep_id": pa.string(), "index": pa.int64(), "label": pa.string(), "status": pa.string(),
        "error": pa.string(), "seed": pa.int64(), "level": pa.float64(), "lower": pa.float64(), "upper": pa.float64(),
        "stationary": pa.bool_(), "bound": pa.float64(), "ratio": pa.float64(), "verdict": pa.string(),
        "trajectory_verdict": pa.string(), "diverged": pa.bool_(), "warnings": pa.string(), "seconds": pa.float64(),
        "cpu_seconds": pa.float64(), "worker": pa.string(), "path": pa.string(), "versions": pa.string(),
        "theorylab_version": pa.string(), "finished": pa.string(), "result": pa.string(), "checksum": pa.string(),
    }


ROW_COLUMNS = ("key", "sweep_id", "index", "label", "status", "error", "seed", "level", "lower", "upper", "stationary",
               "bound", "ratio", "verdict", "trajectory_verdict", "diverged", "warnings", "seconds", "cpu_seconds",
               "worker", "path", "versions", "theorylab_version", "finished", "result", "checksum")


def param_column(name: str) -> str:
    """Store column of a parameter: its name, or ``<name>_option`` where it would clash with a
    result column (``bound``: the flag; the Theorem's level is the ``bound`` column)."""
    return f"{name}_option" if name in ROW_COLUMNS else name


def sweep_id(spec: Spec) -> str:
    """16 hex digits of the SHA-256 of the spec's canonical form (base seed and cell keys)."""
    return hashlib.sha256(spec.canonical().encode()).hexdigest()[:16]


def row_checksum(table: Any) -> str:
    """SHA-256 (hex) of a one-row table's columns other than ``checksum``: name, Arrow type, value."""
    items = []
    for name, col in zip(table.column_names, table.columns):
        if name != "checksum":
            items.append([name, str(col.type), col[0].as_py()])
    return hashlib.sha256(json.dumps(items, separators=(",", ":"), allow_nan=True, default=str).encode()).hexdigest()


def _atomic_write_bytes(path: Path, data: bytes, fsync: bool = True) -> None:
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        if fsync:
            os.fsync(fh.fileno())
    os.replace(tmp, path)


class StoreLocked(InvalidParameterError):
    """Another live run holds the store's lock."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """A sweep store directory (see the module docstring)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.cells_dir = self.path / "cells"
        self.manifest_path = self.path / "sweep.json"
        self.spec_path = self.path / "sweep.toml"
        self.lock_path = self.path / "lock"
        self.unreadable: list[Path] = []  # row files that failed to parse at the last read
        self.problems: list[dict[str, str]] = []  # files excluded at the last read: {"file", "problem"}
        self._manifest: dict[str, Any] | None = None
        self._locked = False

    # -- manifest -------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        if not self.exists():
            raise InvalidParameterError(f"{str(self.path)!r} is not a sweep store (no sweep.json); "
                                        "create one with `theorylab sweep run SPEC.toml --store DIR`")
        try:
            man = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidParameterError(f"cannot read {str(self.manifest_path)!r}: {exc}") from None
        if not isinstance(man, dict) or not isinstance(man.get("cells"), list):
            raise InvalidParameterError(f"{str(self.manifest_path)!r} is not a sweep manifest")
        self._manifest = man
        return man

    def sweep_id(self) -> str:
        man = self._manifest if self._manifest is not None else self.manifest()
        sid = man.get("sweep_id")
        if sid is None:  # a store written before sweep ids: derive it the same way
            sid = man["sweep_id"] = hashlib.sha256(str(man.get("canonical")).encode()).hexdigest()[:16]
        return str(sid)

    def check(self, spec: Spec, resume: bool) -> None:
        """Refuse a store that holds a sweep (without ``resume``) or another sweep, or whose
        ``cells/`` holds files that are not rows; writes nothing."""
        if self.path.exists() and not self.path.is_dir():
            raise InvalidParameterError(f"--store {str(self.path)!r} is a file, expected a directory")
        if self.exists():
            if not resume:
                raise InvalidParameterError(f"--store {str(self.path)!r} already holds a sweep; add --resume to "
                                            "continue it, or choose a new directory")
            old = self.manifest()
            if old.get("canonical") != spec.canonical():
                raise InvalidParameterError(f"--store {str(self.path)!r} holds a different sweep (other cells or base "
                                            "seed) than this spec; use a new directory")
        junk = self.foreign_files()
        if junk:
            raise InvalidParameterError(
                f"{str(self.cells_dir)!r} holds {len(junk)} files that are not rows of a sweep "
                f"({', '.join(p.name for p in junk[:3])}{', ...' if len(junk) > 3 else ''}); move them out of cells/ "
                "(`theorylab sweep verify DIR` lists every problem)")

    def foreign_files(self) -> list[Path]:
        """Entries of ``cells/`` that are neither ``<key>.parquet`` files nor hidden temp files."""
        if not self.cells_dir.is_dir():
            return []
        return sorted(p for p in self.cells_dir.iterdir()
                      if not p.name.startswith(".") and not (ROW_NAME.match(p.name) and p.is_file()))

    def prepare(self, spec: Spec, resume: bool) -> None:
        """Create the store for ``spec``, or check that it holds the same sweep (``resume``).
        Removes the half-written temp rows of a killed run: call it while holding :meth:`lock`."""
        self.check(spec, resume)
        self.cells_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.cells_dir.glob(".*.tmp"):  # half-written rows of a killed run (no live run: we hold the lock)
            stale.unlink(missing_ok=True)
        manifest = {
            "version": MANIFEST_VERSION, "sweep_id": sweep_id(spec), "source": spec.source, "title": spec.title,
            "command": spec.command, "engine": spec.engine, "base_seed": spec.base_seed, "canonical": spec.canonical(),
            "varying": spec.varying,
            "cells": [{"index": c.index, "key": c.key, "seed": c.seed, "label": c.label, "params": c.columns(),
                       "argv": list(c.argv)} for c in spec.cells],
        }
        _atomic_write_bytes(self.spec_path, spec.text.encode())
        _atomic_write_bytes(self.manifest_path, json.dumps(manifest, indent=1).encode())
        self._manifest = manifest

    # -- lock -----------------------------------------------------------------------------
    def holder(self) -> dict[str, Any] | None:
        """The lock file's content (host, pid, started), or None when unlocked."""
        try:
            data = json.loads(self.lock_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"host": "?", "pid": -1, "started": "?"}
        return data if isinstance(data, dict) else {"host": "?", "pid": -1, "started": "?"}

    def lock(self) -> None:
        """Take the store's advisory lock (``DIR/lock``, created exclusively, holding this host and
        pid). A lock left by a dead process on this host is stale and taken over; a live holder (or
        one on another host, which cannot be checked) raises :class:`StoreLocked` naming it."""
        self.path.mkdir(parents=True, exist_ok=True)
        me = {"host": socket.gethostname(), "pid": os.getpid(),
              "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        for _ in range(3):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                held = self.holder()
                if held is None:
                    continue
                host, pid = held.get("host"), held.get("pid")
                if host == me["host"] and isinstance(pid, int) and pid > 0 and not _pid_alive(pid):
                    self.lock_path.unlink(missing_ok=True)  # stale: its process is gone
                    continue
                where = "this host" if host == me["host"] else f"host {host}"
                raise StoreLocked(f"--store {str(self.path)!r} is in use by pid {pid} on {where} (since "
                                  f"{held.get('started')}); wait for it, or delete {str(self.lock_path)!r} if that "
                                  "run is gone") from None
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            self._locked = True
            return
        raise StoreLocked(f"cannot take the lock {str(self.lock_path)!r} (it keeps changing)")

    def unlock(self) -> None:
        """Release the lock taken by :meth:`lock` (only if this process still holds it)."""
        if not self._locked:
            return
        held = self.holder()
        if held is not None and held.get("pid") == os.getpid() and held.get("host") == socket.gethostname():
            self.lock_path.unlink(missing_ok=True)
        self._locked = False

    # -- rows -----------------------------------------------------------------------------
    def row_path(self, key: str) -> Path:
        return self.cells_dir / f"{key}.parquet"

    def write(self, cell: Cell, outcome: Mapping[str, Any]) -> Path:
        """Write ``cell``'s row (its parameters, the ``outcome`` columns, the sweep id and the
        checksum) atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = _row_types()
        row: dict[str, Any] = {"key": cell.key, "sweep_id": self.sweep_id(), "index": cell.index, "label": cell.label,
                               "seed": cell.seed}
        row.update({k: outcome.get(k) for k in ROW_COLUMNS if k not in row})
        if row["status"] not in STATUSES:
            raise InvalidParameterError(f"status must be one of {STATUSES}, got {row['status']!r}")
        arrays, names = [], []
        for name in ROW_COLUMNS:
            if name != "checksum":
                arrays.append(pa.array([row[name]], type=types[name]))
                names.append(name)
        for name, value in cell.columns().items():
            arrays.append(pa.array([value]))
            names.append(param_column(name))
        table = pa.Table.from_arrays(arrays, names=names)
        table = table.append_column("checksum", pa.array([row_checksum(table)], type=pa.string()))
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

    def _verify_file(self, f: Path, types: Mapping[str, Any], sid: str, keys: set[str]) -> tuple[Any, str | None]:
        """``(table, None)`` for a good row file, ``(None, why)`` otherwise."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not ROW_NAME.match(f.name):
            return None, "not a row file name (<16 hex digits>.parquet): a copy or a foreign file"
        try:
            table = pq.read_table(f)
        except (OSError, pa.ArrowException) as exc:
            self.unreadable.append(f)
            return None, f"unreadable ({' '.join(str(exc).split())[:120]})"
        if table.num_rows != 1:
            return None, f"holds {table.num_rows} rows, a row file holds one"
        for name in ("key", "sweep_id", "status", "checksum"):
            if name not in table.column_names:
                return None, f"no `{name}` column (not a row of this theorylab's sweeps)"
        for name, typ in types.items():
            if name in table.column_names and not table.schema.field(name).type.equals(typ) \
                    and not pa.types.is_null(table.schema.field(name).type):
                return None, f"column `{name}` is {table.schema.field(name).type}, expected {typ}"
        if table.column("checksum")[0].as_py() != row_checksum(table):
            return None, "checksum mismatch: the row was altered after it was written"
        row_sid, key = table.column("sweep_id")[0].as_py(), table.column("key")[0].as_py()
        if row_sid != sid:
            return None, f"a row of another sweep (sweep id {row_sid}, this store's is {sid})"
        if key not in keys:
            return None, f"cell key {key} is not a cell of this sweep"
        if f.name != f"{key}.parquet":
            return None, f"the row of cell {key} stored under another name (a copy)"
        if table.column("status")[0].as_py() not in STATUSES:
            return None, f"status {table.column('status')[0].as_py()!r} is not one of {', '.join(STATUSES)}"
        return table, None

    def read(self, columns: list[str] | None = None):
        """The verified rows as one ``pyarrow.Table`` sorted by cell index (None when none).

        Every file of ``cells/`` is checked (see the module docstring); what fails is excluded and
        listed in :attr:`problems` (``{"file", "problem"}``), never silently dropped."""
        import pyarrow as pa

        if not self.path.exists():
            raise InvalidParameterError(f"no sweep store at {str(self.path)!r} (the directory does not exist); "
                                        "create one with `theorylab sweep run SPEC.toml --store DIR`")
        man = self.manifest()
        sid, keys = self.sweep_id(), {c["key"] for c in man["cells"]}
        types = _row_types()
        tables = []
        self.unreadable, self.problems = [], []
        for f in self.foreign_files():
            self.problems.append({"file": f.name, "problem": "not a row file (a foreign file in cells/)"})
        schema = None
        for f in self.files():
            if not f.is_file() or not ROW_NAME.match(f.name):
                continue  # reported above with the foreign files
            table, why = self._verify_file(f, types, sid, keys)
            if why is None:
                try:  # parameter columns: one type per column across rows (int and float promote to float)
                    schema = table.schema if schema is None else pa.unify_schemas([schema, table.schema],
                                                                                  promote_options="permissive")
                except (pa.ArrowException, TypeError) as exc:
                    why = f"a column type clashes with the other rows ({' '.join(str(exc).split())[:120]})"
            if why is not None:
                self.problems.append({"file": f.name, "problem": why})
                continue
            tables.append(table if columns is None else table.select([c for c in columns if c in table.column_names]))
        if not tables:
            return None
        table = pa.concat_tables(tables, promote_options="permissive")
        if "index" in table.column_names:
            table = table.sort_by("index")
        return table

    def statuses(self) -> dict[str, str]:
        """``{key: status}`` of every verified row."""
        if not self.path.exists():  # a store about to be created holds nothing yet
            return {}
        table = self.read(columns=["key", "status"])
        if table is None:
            return {}
        return dict(zip(table.column("key").to_pylist(), table.column("status").to_pylist()))

    def status(self) -> dict[str, Any]:
        """Counts of done, diverged, failed and pending cells, the failed cells' errors, and the
        files excluded by verification (``problems``)."""
        man = self.manifest()
        table = self.read(columns=["key", "status", "error"])
        rows = {} if table is None else {r["key"]: r for r in table.to_pylist()}
        cells = man["cells"]
        count = {s: [c for c in cells if (rows.get(c["key"]) or {}).get("status") == s] for s in STATUSES}
        return {"total": len(cells), "done": len(count["done"]), "diverged": len(count["diverged"]),
                "failed": len(count["failed"]), "pending": len(cells) - sum(len(v) for v in count.values()),
                "foreign": sorted({p["file"] for p in self.problems if "another sweep" in p["problem"]
                                   or "not a cell" in p["problem"]}),
                "unreadable": [p.name for p in self.unreadable], "problems": list(self.problems),
                "failures": [{"index": c["index"], "key": c["key"], "params": c["params"],
                              "error": rows[c["key"]]["error"]} for c in count["failed"]]}
