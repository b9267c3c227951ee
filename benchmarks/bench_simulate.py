"""Benchmark of theorylab.simulate, every ratio measured in the same run.

    python benchmarks/bench_simulate.py [--quick] [--backend numpy|cupy] [--json FILE]

1. Reference setting (d=20, N=4, R=1000, Rand-5): batched DCSGD throughput in
   replica·agent·coordinate steps per second, and its ratio to a plain per-replica Python loop
   doing the same work (each replica: gradients, noise and compressor on its (N, d) block).
   Target >= 20x.
2. Large setting (d=1000, N=10, R=1000, Rand-100): throughput as a fraction of the random-number
   floor, the time to draw the random numbers one step needs, measured in the same run:
   (a) what this implementation draws: R·N·k Gaussian noise values + R·N·k integers for the
   k-subsets (Rand-k's ``sample_support`` runs Floyd's algorithm: k integers per row, the least
   a uniform k-subset needs); (b) the noise alone (R·N·k normals). Target >= 50% of (a). The
   previous sampler (d uniform keys per row + argpartition) is timed beside it.
3. SDE integrator against ``torchsde.sdeint`` (Euler, float64, CPU, same SDE lambdified from the
   same sympy expressions, same paths and steps, ``BrownianInterval`` with fixed dt), plus a
   path-by-path agreement check with torchsde's Brownian increments injected into ours.
4. Memory: peak resident memory (ru_maxrss) at the largest setting, and the tracemalloc peak of
   the large setting run for S and 4S steps (must not grow with the number of steps).

No timing is asserted anywhere; this script only reports. It times the ``theorylab`` that Python
imports (an editable install, ``pip install -e .``, times the working tree).

The large setting allocates ~8 MB work arrays every step. With glibc's default malloc some of
them go back to the OS and come back as fresh pages each step; on a VM those page faults cost a
noticeable share of a step. ``MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296``
in the environment keeps them in the heap; run once with and once without to see the effect.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
import tracemalloc

import numpy as np

from theorylab.backend import default_rng, get_xp
from theorylab.compressors import RandK
from theorylab.simulate import gaussian, problem_from_spec, run_optimizer
from theorylab.simulate.models import sde_for
from theorylab.simulate.sde import integrate


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def sync(xp) -> None:
    if xp.__name__ == "cupy":
        xp.cuda.Stream.null.synchronize()


# ---------------------------------------------------------------------------- 1. reference setting


def python_loop(problem, noise, comp, eta: float, steps: int, replicas: int, seed: int) -> None:
    """Plain per-replica loop: the same DCSGD work, one replica at a time (agents vectorised)."""
    rng = np.random.default_rng(seed)
    n, d = problem.n_agents, problem.d
    scale = float(noise.scales(n)[0])
    for _ in range(replicas):
        x = problem.x0.copy()
        for _ in range(steps):
            v = problem.agent_grads(x) + rng.standard_normal((n, d)) * scale
            x = x - eta * comp(v, rng).mean(axis=0)
            problem.gap(x)


def bench_reference(xp_name: str, quick: bool) -> dict:
    d, n, r, k = 20, 4, 1000, 5
    steps = 100 if quick else 400
    loop_reps = 10 if quick else 25
    problem = problem_from_spec("quadratic:mu=1,L=1", d, n)
    noise = gaussian(1.0)
    comp = RandK(k)

    def batched() -> None:
        run = run_optimizer("dcsgd", problem, noise, eta=0.01, steps=steps, replicas=r, compressor=comp, seed=1,
                            backend=xp_name)
        assert not run.trajectory.divergence.diverged

    def batched_dense() -> None:
        run_optimizer("dcsgd", problem, noise, eta=0.01, steps=steps, replicas=r, compressor=comp, seed=1,
                      backend=xp_name, fast=False)

    t_b = best_of(batched)
    t_bd = best_of(batched_dense, 2)
    t_l = best_of(lambda: python_loop(problem, noise, comp, 0.01, steps, loop_reps, 1), 2)
    work = r * n * d * steps
    per_unit_loop = t_l / (loop_reps * n * d * steps)
    thr_b = work / t_b
    thr_l = 1 / per_unit_loop
    return {"setting": f"d={d}, N={n}, R={r}, Rand-{k}, {steps} steps", "batched_s": t_b,
            "throughput_batched": thr_b, "throughput_batched_dense_path": work / t_bd,
            "throughput_python_loop": thr_l, "python_loop_replicas_timed": loop_reps,
            "speedup_vs_loop": thr_b / thr_l, "speedup_dense_path_vs_loop": (work / t_bd) / thr_l, "target": ">= 20"}


# ---------------------------------------------------------------------------- 2. large setting


def bench_large(xp_name: str, quick: bool) -> dict:
    d, n, r, k = 1000, 10, 1000, 100
    steps = 5 if quick else 20
    xp = get_xp(xp_name)
    problem = problem_from_spec("quadratic:mu=1,L=1", d, n)
    noise = gaussian(1.0)
    comp = RandK(k)

    def method() -> None:
        run_optimizer("dcsgd", problem, noise, eta=0.01, steps=steps, replicas=r, compressor=comp, seed=2,
                      backend=xp_name)
        sync(xp)

    def floor_full() -> None:
        rng = default_rng(3, xp)
        for _ in range(steps):
            rng.standard_normal((r, n, k))
            for j in range(d - k, d):  # Floyd's k integers per row, the least a k-subset needs
                rng.integers(0, j + 1, size=r * n)
        sync(xp)

    def floor_noise() -> None:
        rng = default_rng(3, xp)
        for _ in range(steps):
            rng.standard_normal((r, n, k))
        sync(xp)

    def support_only() -> None:
        rng = default_rng(3, xp)
        for _ in range(steps):
            comp.sample_support((r, n), d, rng)
        sync(xp)

    def support_by_keys() -> None:  # the previous sampler: d uniform keys per row + argpartition
        rng = default_rng(3, xp)
        for _ in range(steps):
            xp.argpartition(rng.random((r, n, d)), k - 1, axis=-1)[..., :k]
        sync(xp)

    t_m = best_of(method, 2)
    t_f = best_of(floor_full, 2)
    t_n = best_of(floor_noise, 2)
    t_s = best_of(support_only, 2)
    t_k = best_of(support_by_keys, 2)
    work = r * n * d * steps
    return {"setting": f"d={d}, N={n}, R={r}, Rand-{k}, {steps} steps", "method_s": t_m,
            "throughput": work / t_m, "floor_s_noise_plus_support_ints": t_f, "floor_s_noise_only": t_n,
            "sample_support_s": t_s, "fraction_of_floor": t_f / t_m, "fraction_of_noise_only_floor": t_n / t_m,
            "share_of_time_in_sample_support": t_s / t_m, "target": ">= 0.5 of floor (a)",
            "support_by_keys_s (previous sampler)": t_k, "floyd_speedup_vs_keys": t_k / t_s}


# ---------------------------------------------------------------------------- 3. torchsde


def bench_torchsde(quick: bool) -> dict:
    try:
        import sympy as sp
        import torch
        import torchsde
    except ImportError as exc:
        return {"skipped": f"torchsde comparison skipped: {exc}; install theorylab[bench] "
                           "(pip install torch==2.13.0 torchsde, CPU wheel)"}
    from theorylab.symbolic import get_sde
    from theorylab.symbolic.symbols import gj

    torch.set_num_threads(1)
    d, n, paths = 20, 4, 1000
    steps = 200 if quick else 1000
    eta, omega = 0.01, 3.0
    problem = problem_from_spec("quadratic:mu=1,L=1", d, n)
    comps = [RandK(5)] * n
    ours = sde_for("dcsgd", problem, gaussian(1.0), eta, comps, exact=False)  # diagonal leading-order SDE
    # the same sympy expressions, lambdified for torch (nothing retyped)
    sym = get_sde("dcsgd-diag")
    vals = {s: ours.params[str(s)] for s in sym.parameters}
    f_t = sp.lambdify([gj], sym.drift.subs(vals), "torch")
    g_t = sp.lambdify([gj], sp.sqrt(sym.cov_diag.subs(vals)), "torch")

    class TorchSDE(torch.nn.Module):
        noise_type = "diagonal"
        sde_type = "ito"

        def f(self, t, y):  # gradient of ||x||^2/2 is x
            return f_t(y) + torch.zeros_like(y)

        def g(self, t, y):
            return g_t(y) + torch.zeros_like(y)

    T = steps * eta
    y0 = torch.ones(paths, d, dtype=torch.float64)

    def run_torch(bm=None):
        bm = bm or torchsde.BrownianInterval(t0=0.0, t1=T, size=(paths, d), dtype=torch.float64, dt=eta)
        with torch.no_grad():
            return torchsde.sdeint(TorchSDE(), y0, torch.tensor([0.0, T], dtype=torch.float64), method="euler",
                                   dt=eta, bm=bm)

    def run_ours(brownian=None, points=2):
        return integrate(ours, problem, eta=eta, steps=steps, paths=paths, seed=4, brownian=brownian,
                         points=points)

    t_torch = best_of(run_torch, 2)
    t_ours = best_of(run_ours, 3)
    # pathwise: torchsde's Brownian increments injected into our integrator
    small = 50
    bm = torchsde.BrownianInterval(t0=0.0, t1=small * eta, size=(paths, d), dtype=torch.float64, dt=eta)
    ts = torch.linspace(0, small * eta, small + 1, dtype=torch.float64)
    with torch.no_grad():
        ys = torchsde.sdeint(TorchSDE(), y0, ts, method="euler", dt=eta, bm=bm).numpy()
    dw = np.stack([bm(ts[i], ts[i + 1]).numpy() for i in range(small)])
    mine = integrate(ours, problem, eta=eta, steps=small, paths=paths, brownian=dw, points=small + 1)
    gap_torch = 0.5 * np.sum(ys * ys, axis=-1)
    max_rel = float(np.max(np.abs(mine.trajectory.values - gap_torch) / gap_torch))
    return {"setting": f"DCSGD SDE (diagonal, Rand-5 omega={omega}), d={d}, paths={paths}, {steps} Euler steps, "
                       "float64, CPU, torch threads=1",
            "ours_s": t_ours, "torchsde_s": t_torch,
            "ours_paths_steps_per_s": paths * steps / t_ours, "torchsde_paths_steps_per_s": paths * steps / t_torch,
            "speedup_vs_torchsde": t_torch / t_ours, "pathwise_max_relative_gap_difference": max_rel,
            "torch": torch.__version__, "torchsde": torchsde.__version__}


# ---------------------------------------------------------------------------- 4. memory


def bench_memory(xp_name: str, quick: bool) -> dict:
    d, n, r, k = 1000, 10, 1000, 100
    problem = problem_from_spec("quadratic:mu=1,L=1", d, n)
    out = {}
    base = 3 if quick else 5
    for steps in (base, 4 * base):
        tracemalloc.start()
        run_optimizer("dcsgd", problem, gaussian(1.0), eta=0.01, steps=steps, replicas=r, compressor=RandK(k),
                      seed=5, backend=xp_name)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[f"tracemalloc_peak_MiB_{steps}_steps"] = peak / 2**20
    # a long run of the reference setting: recorder memory is bounded by points and blocks
    p = problem_from_spec("quadratic:mu=1,L=1", 20, 4)
    for steps in (1000, 4000):
        tracemalloc.start()
        run_optimizer("dcsgd", p, gaussian(1.0), eta=0.01, steps=steps, replicas=1000, compressor=RandK(5), seed=5)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[f"tracemalloc_peak_MiB_reference_{steps}_steps"] = peak / 2**20
    out["peak_rss_MiB_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer steps (smoke run)")
    ap.add_argument("--backend", default="numpy", choices=("numpy", "cupy"))
    ap.add_argument("--json", default=None, help="also write the results to this file")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: reference,large,torchsde,memory")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    res: dict = {"python": sys.version.split()[0], "numpy": np.__version__, "machine": platform.machine(),
                 "processor": platform.processor(), "backend": args.backend}
    if args.backend == "cupy":
        try:
            get_xp("cupy")
        except Exception as exc:
            print(f"cupy backend unavailable: {exc}")
            return 1
    parts = [("reference", lambda: bench_reference(args.backend, args.quick)),
             ("large", lambda: bench_large(args.backend, args.quick)),
             ("torchsde", lambda: bench_torchsde(args.quick)),
             ("memory", lambda: bench_memory(args.backend, args.quick))]
    for name, fn in parts:
        if name in skip:
            continue
        res[name] = fn()
        print(f"[{name}]")
        for key, val in res[name].items():
            print(f"  {key}: {val:.4g}" if isinstance(val, float) else f"  {key}: {val}")
        sys.stdout.flush()
    res["peak_rss_MiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {res['peak_rss_MiB']:.1f} MiB")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
