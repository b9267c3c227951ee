"""Benchmark of ``theorylab compressors check`` (the property-testing kit), default settings.

    python benchmarks/bench_testing.py [--rounds 3] [--dims 64,1024] [--json FILE]

Times :func:`theorylab.testing.check_compressor` (what the CLI runs) with default settings for

- a **batched numpy** compressor: the catalogue's Rand-k (k = d/8);
- a **single-vector torch** compressor written as libraries write it (one flat tensor in, global
  torch RNG, ``torch.randperm``), called one vector at a time by the adapter;
- a **single-vector numpy** compressor (``np.linalg.norm`` QSGD, global numpy RNG),

at d = 64 and d = 1024. Rounds are interleaved (every compressor once per round) and the
median of the rounds is reported with the spread, so a busy machine shows as a wide spread,
not as a biased figure. No timing is asserted anywhere; this script only reports.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from theorylab.compressors import RandK
from theorylab.testing import check_compressor

# the compressors "as libraries write them" that the test suite judges (one copy, in tests/)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers_compressors import TorchRandK, qsgd_l2_naive  # noqa: E402


def qsgd_single(x):
    """Textbook single-vector QSGD, s = 4 (the test suite's; called bare, so the kit sees no
    declared constants on it)."""
    return qsgd_l2_naive(x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dims", default="64,1024")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    dims = [int(v) for v in args.dims.split(",")]
    cases = []
    for d in dims:
        k = max(1, d // 8)
        cases += [
            (f"batched numpy randk:k={k}", d, RandK(k), {}),
            (f"single-vector torch randk k={k}", d, TorchRandK(k), {}),
            (f"single-vector numpy qsgd s=4", d, qsgd_single, {"omega": min(d / 16, d**0.5 / 4)}),
        ]
    import torch  # noqa: F401 - import once, outside the timings

    times: dict[str, list[float]] = {c[0] + f" d={c[1]}": [] for c in cases}
    info: dict[str, str] = {}
    for _ in range(args.rounds):
        for name, d, C, kw in cases:
            t0 = time.perf_counter()
            rep = check_compressor(C, d, **kw)
            times[name + f" d={d}"].append(time.perf_counter() - t0)
            info[name + f" d={d}"] = (f"{'passed' if rep.passed else 'REFUTED'}; {rep.settings['adapter']}; "
                                      f"{rep.settings['n_inputs']} inputs x {rep.settings['n_draws']} draws "
                                      f"+ {rep.settings['n_focus_drawn']} focused")
    print(f"theorylab compressors check, default settings ({platform.processor() or platform.machine()}, "
          f"median of {args.rounds} interleaved rounds)")
    out = {}
    for key, ts in times.items():
        med = statistics.median(ts)
        out[key] = {"median_s": med, "min_s": min(ts), "max_s": max(ts), "info": info[key]}
        print(f"  {key:45s} {med:7.2f} s  [{min(ts):.2f}, {max(ts):.2f}]  {info[key]}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
