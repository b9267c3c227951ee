"""Benchmark of ``theorylab sweep``: speed-up over serial, and per-task overhead.

    python benchmarks/bench_sweep.py [--quick] [--workers 2] [--rounds 3] [--json FILE]

1. Speed-up. ``C`` cells of about ``--cell-s`` seconds each (DCSGD, d = 20, N = 4, Rand-5,
   steps calibrated on this machine so that one cell takes that long serially) are run
   (a) serially in this process, one ``run_cell`` after another (what a shell loop over
   ``theorylab simulate`` does, minus its process start-up), and (b) as a sweep on a warm
   ``LocalCluster`` of ``--workers`` single-threaded worker processes (tasks submitted,
   results written to a fresh Parquet store). Rounds alternate (a) and (b) and the medians
   are reported, with the end-to-end time of ``run_sweep`` including starting and stopping
   its own ``LocalCluster`` measured once. Target: >= 1.6x on 2 cores for cells >= 1 s.
2. Per-task overhead. ``M`` near-empty cells (1 step, 1 replica, no bound) through the sweep
   on a warm 1-worker cluster, minus their serial compute time, per cell: scheduling,
   (de)serialisation, the round trip and the atomic Parquet write.

Every cell's first call in a process pays the imports and sympy's lambdify; each process is
warmed before timing. No timing is asserted anywhere; this script only reports. On a shared
machine the numbers move with the load: the script prints the load average beside them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import statistics
import tempfile
import time

from theorylab.sweep import Store, parse_spec, run_sweep
from theorylab.sweep.run import run_cell

BASE = """
method = "dcsgd"
seed = 11
[fixed]
compressor = "{compressor}"
dim = 20
agents = 4
replicas = {replicas}
steps = {steps}
{bound}
[grid]
eta = {etas}
"""


def spec_text(cells: int, steps: int, replicas: int = 200, bound: bool = True, compressor: str = "randk:k=5") -> str:
    etas = [round(0.005 + 0.0005 * i, 6) for i in range(cells)]
    return BASE.format(compressor=compressor, replicas=replicas, steps=steps, bound="bound = true" if bound else "",
                       etas=etas)


def calibrate(target_s: float) -> int:
    """Steps for which one reference cell takes about ``target_s`` seconds here (warm)."""
    probe = parse_spec(spec_text(1, 500)).cells[0]
    run_cell(list(probe.argv))  # warm: imports, lambdify
    t0 = time.perf_counter()
    run_cell(list(probe.argv))
    per_step = (time.perf_counter() - t0) / 500
    return max(100, int(target_s / per_step))


def serial(spec) -> float:
    t0 = time.perf_counter()
    for c in spec.cells:
        out = run_cell(list(c.argv))
        assert out["status"] == "done", out["error"]
    return time.perf_counter() - t0


def swept(spec, addr: str) -> float:
    d = tempfile.mkdtemp(prefix="bench_sweep_")
    try:
        t0 = time.perf_counter()
        s = run_sweep(spec, Store(d), scheduler=addr, progress=False, echo=lambda _: None)
        dt = time.perf_counter() - t0
        assert s.done == len(spec.cells), s
        return dt
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _warm() -> int:
    run_cell(list(parse_spec(spec_text(1, 50)).cells[0].argv))
    run_cell(list(parse_spec(spec_text(1, 1, 1, bound=False)).cells[0].argv))
    return os.getpid()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer cells and rounds")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--cells", type=int, default=8)
    ap.add_argument("--cell-s", type=float, default=1.0, help="target seconds per cell (serial, warm)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tiny", type=int, default=100, help="near-empty cells for the overhead")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.cells, args.rounds, args.tiny = 4, 1, 40
    from distributed import Client, LocalCluster

    out: dict = {"machine": platform.platform(), "cores": os.cpu_count(), "workers": args.workers,
                 "load_before": os.getloadavg()}
    _warm()
    steps = calibrate(args.cell_s)
    spec = parse_spec(spec_text(args.cells, steps))
    out.update(cells=args.cells, steps=steps)
    kw = dict(threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
    with LocalCluster(n_workers=args.workers, **kw) as lc, Client(lc) as client:
        client.run(_warm)
        ser, par = [], []
        for _ in range(args.rounds):  # interleaved rounds
            ser.append(serial(spec))
            par.append(swept(spec, lc.scheduler_address))
    ms, mp = statistics.median(ser), statistics.median(par)
    out.update(serial_s=ser, sweep_s=par, serial_median_s=ms, sweep_median_s=mp, speedup=ms / mp,
               cell_s=ms / args.cells)
    print(f"speed-up: {args.cells} cells of {ms / args.cells:.2f} s (serial, warm), {args.workers} workers: "
          f"serial {ms:.2f} s, sweep {mp:.2f} s (medians of {args.rounds} interleaved rounds) -> {ms / mp:.2f}x")
    d = tempfile.mkdtemp(prefix="bench_sweep_")
    try:
        t0 = time.perf_counter()
        run_sweep(spec, Store(d), workers=args.workers, progress=False, echo=lambda _: None)
        e2e = time.perf_counter() - t0
    finally:
        shutil.rmtree(d, ignore_errors=True)
    out.update(end_to_end_s=e2e, end_to_end_speedup=ms / e2e)
    print(f"end to end (own LocalCluster started, workers cold, stopped): {e2e:.2f} s -> {ms / e2e:.2f}x")

    tiny = parse_spec(spec_text(args.tiny, 1, replicas=1, bound=False))
    with LocalCluster(n_workers=1, **kw) as lc, Client(lc) as client:
        client.run(_warm)
        ser_t, par_t = [], []
        for _ in range(args.rounds):
            ser_t.append(serial(tiny))
            par_t.append(swept(tiny, lc.scheduler_address))
    st, pt = statistics.median(ser_t), statistics.median(par_t)
    overhead = (pt - st) / args.tiny
    out.update(tiny_cells=args.tiny, tiny_serial_s=st, tiny_sweep_s=pt, overhead_per_task_ms=1e3 * overhead)
    print(f"per-task overhead: {args.tiny} near-empty cells on 1 warm worker: sweep {pt:.2f} s, serial compute "
          f"{st:.2f} s -> {1e3 * overhead:.1f} ms per task (submit, run, return, atomic Parquet write)")
    out["load_after"] = os.getloadavg()
    print(f"load average before/after: {out['load_before'][0]:.1f} / {out['load_after'][0]:.1f} on {os.cpu_count()} cores")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
