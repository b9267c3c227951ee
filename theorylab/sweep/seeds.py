"""Cell keys and seeds: a stable hash of a cell's canonical parameters.

A cell's parameters (command, method, engine and the *parsed* value of every option the
spec gives) are written as canonical JSON (sorted keys, no spaces, floats by ``repr``) and
hashed with SHA-256. The first 16 hex digits are the cell's key (its file name in the
store); the first 128 bits key a ``numpy.random.SeedSequence(base_seed, spawn_key=...)``
whose first 63-bit word is the seed handed to ``theorylab simulate --seed``. So a cell's
seed depends only on its parameters and the spec's base seed: not on the worker, the
order of the cells or the size of the cluster.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["canonical_json", "cell_digest", "cell_key", "cell_seed"]

KEY_HEX = 16  # hex digits of the digest used as the cell key (64 bits)


def canonical_json(params: Mapping[str, Any]) -> str:
    """``params`` as canonical JSON: sorted keys, no whitespace, tuples as lists."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)


def cell_digest(params: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of :func:`canonical_json` of ``params``."""
    return hashlib.sha256(canonical_json(params).encode()).hexdigest()


def cell_key(params: Mapping[str, Any], base_seed: int) -> str:
    """The cell's key: 16 hex digits of the digest of (parameters, base seed)."""
    return cell_digest({"params": dict(params), "base_seed": int(base_seed)})[:KEY_HEX]


def cell_seed(params: Mapping[str, Any], base_seed: int) -> int:
    """Seed in ``[0, 2**63)`` from ``SeedSequence(base_seed, spawn_key=<4 words of the digest>)``."""
    digest = cell_digest(params)
    words = tuple(int(digest[i:i + 8], 16) for i in range(0, 32, 8))
    state = np.random.SeedSequence(int(base_seed), spawn_key=words).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))
