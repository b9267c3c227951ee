"""Shared pieces of the sweep tests: tiny specs and the exactly-once check."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TINY = """
method = "dcsgd"
engine = "montecarlo"
seed = 7
[fixed]
compressor = "randk:k=2"
dim = 4
steps = {steps}
replicas = 20
bound = true
[grid]
eta = [0.01, 0.02]
agents = {agents}
"""


def tiny_spec(tmp_path: Path, steps: int = 200, agents: str = "[2, 4, 8]", name: str = "spec.toml") -> Path:
    p = tmp_path / name
    p.write_text(TINY.format(steps=steps, agents=agents))
    return p


def stored_once_problems(store, spec) -> list[str]:
    """Why the store does not hold every cell of ``spec`` exactly once (empty list: it does).

    Reads every row file (not just one per key), so a duplicate written under another name
    or a row of a foreign cell is seen."""
    import pyarrow.parquet as pq

    keys = [pq.read_table(f, columns=["key"]).column("key")[0].as_py() for f in store.files()]
    counts = Counter(keys)
    want = {c.key for c in spec.cells}
    problems = [f"cell {k} stored {n} times" for k, n in counts.items() if n > 1]
    problems += [f"cell {k} missing" for k in sorted(want - set(counts))]
    problems += [f"row {k} belongs to no cell" for k in sorted(set(counts) - want)]
    problems += [f"leftover temp file {p.name}" for p in store.cells_dir.glob(".*.tmp")]
    return problems
