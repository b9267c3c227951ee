"""Benchmark of the exact-moment engine (theorylab.simulate.exact) against Monte Carlo.

    python benchmarks/bench_exact.py [--quick] [--json FILE]

Setting: d = 1000, N = 4, linear spectrum μ = 0.5 … L = 2 (diagonal Hessian), Gaussian noise
σ = 1, B = 1, η = 0.01, Rand-100 with independent masks (DCSGD).

1. Time for the exact stationary level (spectral radius + closed-form stationary point of the
   diagonal recursion, O(N d)). Target < 1 s.
2. Time for 10,000 exact steps (E f(x_k) − f* at 200 record steps).
3. Monte Carlo time to pin the same level to ±0.1% (95% interval): a short run's interval
   half-width h and wall time t give the estimate t · (h / (0.001 · level))² (the half-width
   shrinks as 1/√samples); the short run is not scaled up for real.
4. The dense path at d = 100 (rotated Hessian, O(N d³) per step, Krylov Lyapunov solve), for scale.

No timing is asserted anywhere; this script only reports.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from theorylab.compressors import RandK
from theorylab.simulate import gaussian, quadratic, run_optimizer, stationary_level
from theorylab.simulate.exact import DiscreteMoments, exact_dcsgd, exact_run, from_problem


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller Monte Carlo run, skip the dense d = 100 case")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    d, n, eta, k = 1000, 4, 0.01, 100
    p = quadratic(d, n, 0.5, 2.0, x0=0.0)
    noise = gaussian(1.0)
    comps = [RandK(k)] * n
    res: dict[str, object] = {"machine": platform.processor() or platform.machine(), "d": d, "N": n, "eta": eta,
                              "compressor": f"randk:k={k}"}

    q = from_problem(p, noise)

    def level() -> float:
        eng = DiscreteMoments(q, eta, comps)
        return eng.level()

    t_cold, _ = best_of(level, repeat=1)  # first call: derives the compressor's moments with sympy
    t_level, lvl = best_of(level)
    res["exact_level"] = lvl
    res["exact_level_s"] = t_level
    res["exact_level_first_call_s"] = t_cold
    print(f"1. exact stationary level at d={d}: {lvl:.12g} in {t_level * 1e3:.2f} ms "
          f"(first call, moments derived: {t_cold * 1e3:.1f} ms; target < 1 s)")

    t_steps, run = best_of(lambda: exact_dcsgd(q, eta, 10_000, comps=comps), repeat=2)
    res["exact_10000_steps_s"] = t_steps
    print(f"2. 10,000 exact steps at d={d}: {t_steps:.3f} s (final E f - f* = {run.values[-1]:.8g})")

    reps, steps = (100, 1500) if args.quick else (200, 3000)
    t0 = time.perf_counter()
    mc = run_optimizer("dcsgd", p, noise, eta=eta, steps=steps, replicas=reps, compressor=comps, seed=1)
    t_mc = time.perf_counter() - t0
    est = stationary_level(mc.trajectory, burn_in=0.3)
    half = (est.upper - est.lower) / 2
    target = 1e-3 * lvl
    need = t_mc * (half / target) ** 2
    inside = est.lower <= lvl <= est.upper
    res.update({"mc_replicas": reps, "mc_steps": steps, "mc_s": t_mc, "mc_estimate": est.value,
                "mc_half_width": half, "mc_contains_exact": inside, "mc_time_for_0.1pct_s": need,
                "speedup_level_vs_mc": need / t_level})
    print(f"3. Monte Carlo {reps} replicas x {steps} steps: {t_mc:.1f} s, level {est.value:.6g} ± {half:.3g} "
          f"({100 * half / lvl:.2f}%; contains the exact value: {inside}); to reach ±0.1%: about {need:.3g} s "
          f"({need / 3600:.2g} h), {need / t_level:.3g}x the exact level's time")

    if not args.quick:
        pr = quadratic(100, n, 0.5, 2.0, rotate=True, seed=1, x0=0.0)
        t_dense, r = best_of(lambda: exact_run("dcsgd", pr, noise, eta=eta, steps=20, compressor=RandK(10)),
                             repeat=1)
        res.update({"dense_d": 100, "dense_20_steps_and_level_s": t_dense, "dense_level": r.level,
                    "dense_rho_method": r.rho_method})
        print(f"4. dense path, d=100 rotated, Rand-10: 20 steps + Krylov level + ρ in {t_dense:.2f} s "
              f"(level {r.level:.8g}, ρ = {r.rho:.6g} by {r.rho_method})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1, default=float)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
