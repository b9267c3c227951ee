"""Benchmark of ``theorylab sweep``: speed-up over serial, and per-task overhead.

    python benchmarks/bench_sweep.py [--quick] [--workers 2] [--rounds 3] [--json FILE]

1. Speed-up. ``C`` cells of about ``--cell-s`` CPU seconds each (DCSGD, d = 20, N = 4, Rand-5,
   steps calibrated on this machine so that one cell costs that much CPU) are run
   (a) serially in this process, one ``run_cell`` after another (what a shell loop over
   ``theorylab simulate`` does, minus its process start-up), and (b) as a sweep on a warm
   ``LocalCluster`` of ``--workers`` single-threaded worker processes (tasks submitted,
   results written to a fresh Parquet store). Rounds alternate (a) and (b) and the medians
   are reported, with the end-to-end time of ``run_sweep`` including starting and stopping
   its own ``LocalCluster`` measured once. Target: >= 1.6x on 2 cores for cells >= 1 s.
   Also reported: the workers' utilisation (sum of the in-worker seconds of the cells over
   workers x wall time: 1.0 means the sweep machinery never left a worker idle) and the
   in-worker seconds per cell against the serial seconds per cell (larger when the workers
   get less CPU than the serial run did, i.e. on a loaded machine).
2. Per-task overhead. ``M`` and ``3M`` near-empty cells (1 step, 1 replica, no bound) through
   the sweep on a warm 1-worker cluster: the slope of wall time against cells, minus the
   serial compute time per cell, is the per-task overhead (scheduling, (de)serialisation,
   the round trip, the atomic Parquet write); the intercept is the fixed cost per sweep
   (connecting to the scheduler, the manifest, closing).

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
    """Steps for which one reference cell takes about ``target_s`` CPU seconds here (warm; CPU
    rather than wall time, so that a loaded machine does not shrink the cells)."""
    probe = parse_spec(spec_text(1, 1000)).cells[0]
    run_cell(probe.task)  # warm: imports, lambdify
    per_step = run_cell(probe.task)["cpu_seconds"] / 1000
    return max(100, int(target_s / per_step))


def serial(spec, cpu: list[float] | None = None) -> float:
    """Wall time of the cells one after another; appends their summed CPU seconds to ``cpu``."""
    t0, total = time.perf_counter(), 0.0
    for c in spec.cells:
        out = run_cell(c.task)
        assert out["status"] == "done", out["error"]
        total += out["cpu_seconds"]
    if cpu is not None:
        cpu.append(total)
    return time.perf_counter() - t0


def swept(spec, addr: str, busy: list[float] | None = None) -> float:
    """Wall time of the sweep; appends the sum of the cells' in-worker seconds to ``busy``."""
    d = tempfile.mkdtemp(prefix="bench_sweep_")
    try:
        t0 = time.perf_counter()
        s = run_sweep(spec, Store(d), scheduler=addr, progress=False, echo=lambda _: None)
        dt = time.perf_counter() - t0
        assert s.done == len(spec.cells), s
        if busy is not None:
            t = Store(d).read(columns=["seconds", "cpu_seconds"])
            busy.append((sum(t.column("seconds").to_pylist()), sum(t.column("cpu_seconds").to_pylist())))
        return dt
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _worker_cpu(client) -> float:
    """CPU seconds (user + system) used so far by the cluster's worker processes."""
    def cpu() -> float:
        import resource

        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    return sum(client.run(cpu).values())


def _warm() -> int:
    run_cell(parse_spec(spec_text(1, 50)).cells[0].task)
    run_cell(parse_spec(spec_text(1, 1, 1, bound=False)).cells[0].task)
    return os.getpid()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer cells and rounds")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--cells", type=int, default=8)
    ap.add_argument("--cell-s", type=float, default=1.0, help="target CPU seconds per cell (warm)")
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
        ser, ser_cpu, par, busy = [], [], [], []
        for _ in range(args.rounds):  # interleaved rounds
            ser.append(serial(spec, ser_cpu))
            par.append(swept(spec, lc.scheduler_address, busy))
    ms, mp = statistics.median(ser), statistics.median(par)
    util = statistics.median(b[0] / (args.workers * p) for b, p in zip(busy, par))
    wcpu = statistics.median(b[1] for b in busy) / args.cells
    scpu = statistics.median(ser_cpu) / args.cells
    projected = args.workers * util * scpu / wcpu
    out.update(serial_s=ser, sweep_s=par, serial_median_s=ms, sweep_median_s=mp, speedup=ms / mp,
               cell_s=ms / args.cells, worker_busy_s=busy, worker_utilisation=util, serial_cpu_per_cell_s=scpu,
               worker_cpu_per_cell_s=wcpu, projected_idle_speedup=projected)
    print(f"speed-up: {args.cells} cells of {ms / args.cells:.2f} s (serial, warm), {args.workers} workers: "
          f"serial {ms:.2f} s, sweep {mp:.2f} s (medians of {args.rounds} interleaved rounds) -> {ms / mp:.2f}x")
    print(f"  worker utilisation (sum of in-worker cell seconds / (workers x sweep wall)): {util:.2f}; CPU per cell "
          f"{wcpu:.2f} s in a worker vs {scpu:.2f} s serial; wall per cell in a worker "
          f"{statistics.median(b[0] for b in busy) / args.cells:.2f} s (wall > CPU: the machine is loaded)")
    print(f"  projected speed-up on an idle machine (workers x utilisation x serial CPU / worker CPU per cell): "
          f"{projected:.2f}x (a projection from CPU times, not a measurement)")
    d = tempfile.mkdtemp(prefix="bench_sweep_")
    try:
        t0 = time.perf_counter()
        run_sweep(spec, Store(d), workers=args.workers, progress=False, echo=lambda _: None)
        e2e = time.perf_counter() - t0
    finally:
        shutil.rmtree(d, ignore_errors=True)
    out.update(end_to_end_s=e2e, end_to_end_speedup=ms / e2e)
    print(f"end to end (own LocalCluster started, workers cold, stopped): {e2e:.2f} s -> {ms / e2e:.2f}x")

    small = parse_spec(spec_text(args.tiny, 1, replicas=1, bound=False))
    large = parse_spec(spec_text(3 * args.tiny, 1, replicas=1, bound=False))
    with LocalCluster(n_workers=1, **kw) as lc, Client(lc) as client:
        client.run(_warm)
        ser_t, ser_c, t1, t3, c1, c3 = [], [], [], [], [], []
        for _ in range(args.rounds):
            cpu0 = time.process_time()
            ser_t.append(serial(large))
            ser_c.append(time.process_time() - cpu0)
            for spec_, walls, cpus in ((small, t1, c1), (large, t3, c3)):
                cpu0, w0 = time.process_time(), _worker_cpu(client)
                walls.append(swept(spec_, lc.scheduler_address))
                cpus.append(time.process_time() - cpu0 + _worker_cpu(client) - w0)
    n1, n3 = args.tiny, 3 * args.tiny
    st, sc = statistics.median(ser_t) / n3, statistics.median(ser_c) / n3
    slope = (statistics.median(t3) - statistics.median(t1)) / (n3 - n1)
    cslope = (statistics.median(c3) - statistics.median(c1)) / (n3 - n1)
    out.update(tiny_cells=[n1, n3], tiny_serial_per_cell_ms=1e3 * st, tiny_serial_cpu_per_cell_ms=1e3 * sc,
               sweep_small_s=t1, sweep_large_s=t3, sweep_small_cpu_s=c1, sweep_large_cpu_s=c3,
               per_cell_ms=1e3 * slope, overhead_per_task_ms=1e3 * (slope - st),
               cpu_per_cell_ms=1e3 * cslope, cpu_overhead_per_task_ms=1e3 * (cslope - sc),
               fixed_per_sweep_s=statistics.median(t1) - n1 * slope)
    print(f"per-task overhead, wall: near-empty cells ({1e3 * st:.1f} ms each serially) through a warm 1-worker sweep "
          f"cost {1e3 * slope:.1f} ms per cell (slope between {n1} and {n3} cells) -> {1e3 * (slope - st):.1f} ms "
          f"per task; fixed per sweep (connect, manifest, close): {statistics.median(t1) - n1 * slope:.2f} s")
    print(f"per-task overhead, CPU (client + scheduler + worker processes; little affected by load): "
          f"{1e3 * cslope:.1f} ms per cell vs {1e3 * sc:.1f} ms serial -> {1e3 * (cslope - sc):.1f} ms per task")
    out["load_after"] = os.getloadavg()
    print(f"load average before/after: {out['load_before'][0]:.1f} / {out['load_after'][0]:.1f} on {os.cpu_count()} cores")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
