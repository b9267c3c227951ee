"""Benchmark of theorylab.simulate.algorithms: each algorithm batched over (replicas, agents, d) against a
plain per-replica Python loop doing the same work (each replica: its (N, d) block of gradients, noise and
compressor, one replica after another).

    python benchmarks/bench_algorithms.py [--quick] [--json FILE]

Setting: d = 20, N = 4, R = 1000, Gaussian noise σ = 1, heterogeneous quadratic
(``quadratic:mu=0.5,L=2,hetero=1``); Rand-5 for the compressed methods (EF14, EF21, DIANA, MARINA);
FedAvg/SCAFFOLD/FedAvg-M with K = 2 local steps and S = 2 of 4 clients; gossip SGD on the ring.
Both sides run T steps (rounds) from the same start; the loop side runs every replica (no
extrapolation). Rounds are interleaved (batched, loop, batched, loop, ...) and the median of the
rounds is reported, with the ratio loop / batched. Target >= 20x. No timing is asserted anywhere.

For context each row also gives numpy's random-number floor of one batched step: the time
``Generator.standard_normal`` takes to draw the Gaussian noise that step uses (R·N·d values per
gradient; K local steps on the S sampled clients for the local methods, R·S·d·K; the
full-synchronisation branch, probability p, for MARINA), measured in the same round. The loop draws
the same numbers in (N, d) or (S, d) blocks. With numba (the ``fast`` extra) the batched side draws
them inside a compiled pass with numba's port of numpy's ziggurat on the same generator (the same
numbers, about 2x faster than numpy's own fill on the machine this was written on), so it can go
below this floor. The last column is the ceiling of the speed-up: the loop's time over the compiled
draw of the step's noise alone (what the batched step would cost if everything but its random
numbers were free). Gossip SGD's per-replica loop is cheap (one 4×4 by 4×20 product and one
gradient per replica), so its ceiling is about 24x and the measured 12-16x is what the remaining
passes (gradient, W·X, the update: about 0.25 ms at R = 1000) leave of it.

Fresh (R, N, d) work arrays are 640 kB; glibc may return them to the OS and page-fault them back
every step. ``MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296`` in the environment
keeps them in the heap (measured: FedAvg batched 20.6 -> 11.9 ms/step on the shared 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np

from theorylab import _numba
from theorylab.compressors import RandK
from theorylab.simulate import gaussian, mixing_matrix, problem_from_spec, run_optimizer

D, N, R, K_LOCAL, S, KEEP = 20, 4, 1000, 2, 2, 5


# ----------------------------------------------------------------------------- per-replica references
def _grads(p, x, rng, sigma=1.0):
    """(N, d) stochastic gradients of one replica at the server point x (d,)."""
    return p.agent_grads(x) + sigma * rng.standard_normal((N, D))


def _local(p, y, rng, sigma=1.0):
    return p.local_grads(y) + sigma * rng.standard_normal((N, D))


def loop_ef14(p, C, T, eta, rng):
    for _ in range(R):
        x, e = p.x0.copy(), np.zeros((N, D))
        for _ in range(T):
            q = e + eta * _grads(p, x, rng)
            delta = C(q, rng)
            e = q - delta
            x = x - delta.mean(axis=0)


def loop_ef21(p, C, T, eta, rng):
    for _ in range(R):
        x = p.x0.copy()
        gi = C(_grads(p, x, rng), rng)
        for _ in range(T):
            x = x - eta * gi.mean(axis=0)
            gi = gi + C(_grads(p, x, rng) - gi, rng)


def loop_diana(p, C, T, eta, rng, alpha=0.25):
    for _ in range(R):
        x, h = p.x0.copy(), np.zeros((N, D))
        for _ in range(T):
            m = C(_grads(p, x, rng) - h, rng)
            x = x - eta * (h.mean(axis=0) + m.mean(axis=0))
            h = h + alpha * m


def loop_marina(p, C, T, eta, rng, prob=0.25):
    for _ in range(R):
        x = p.x0.copy()
        gi = _grads(p, x, rng)
        for _ in range(T):
            xn = x - eta * gi.mean(axis=0)
            if rng.random() < prob:
                gi = _grads(p, xn, rng)
            else:
                gi = gi + C(p.agent_grads(xn) - p.agent_grads(x), rng)
            x = xn


def _sample(rng):
    return rng.permutation(N)[:S]


def loop_fedavg(p, C, T, eta, rng):
    for _ in range(R):
        x = p.x0.copy()
        for _ in range(T):
            sel = _sample(rng)
            y = np.broadcast_to(x, (N, D)).copy()
            for _ in range(K_LOCAL):  # only the sampled clients' updates are used: only they draw noise
                y[sel] -= eta * (p.local_grads(y)[sel] + rng.standard_normal((S, D)))
            x = x + (y[sel] - x).mean(axis=0)


def loop_scaffold(p, C, T, eta, rng):
    for _ in range(R):
        x, c, ci = p.x0.copy(), np.zeros(D), np.zeros((N, D))
        for _ in range(T):
            sel = _sample(rng)
            y = np.broadcast_to(x, (N, D)).copy()
            for _ in range(K_LOCAL):
                y[sel] -= eta * (p.local_grads(y)[sel] + rng.standard_normal((S, D)) - ci[sel] + c)
            new = ci - c + (x - y) / (K_LOCAL * eta)
            dc = (new[sel] - ci[sel]).sum(axis=0) / N
            ci[sel] = new[sel]
            x = x + (y[sel] - x).mean(axis=0)
            c = c + dc


def loop_fedavg_m(p, C, T, eta, rng, beta=0.5):
    for _ in range(R):
        x, g = p.x0.copy(), np.zeros(D)
        for _ in range(T):
            sel = _sample(rng)
            y = np.broadcast_to(x, (N, D)).copy()
            for _ in range(K_LOCAL):
                y[sel] -= eta * (beta * (p.local_grads(y)[sel] + rng.standard_normal((S, D))) + (1 - beta) * g)
            g = (x - y[sel]).mean(axis=0) / (eta * K_LOCAL)
            x = x - eta * K_LOCAL * g


def loop_gossip(p, C, T, eta, rng):
    W = mixing_matrix("ring", N)
    for _ in range(R):
        X = np.broadcast_to(p.x0, (N, D)).copy()
        for _ in range(T):
            X = W @ X - eta * _local(p, X, rng)


# Gaussian (R, N, d) arrays' worth of noise one step uses: K local steps on the S of N sampled clients
# for the federated methods, the full-synchronisation branch (probability p) for MARINA
NORMALS_PER_STEP = {"ef14": 1, "ef21": 1, "diana": 1, "marina": 0.25, "fedavg": K_LOCAL * S / N,
                    "scaffold": K_LOCAL * S / N, "fedavg-m": K_LOCAL * S / N, "gossip-sgd": 1}

CASES = {
    # name: (method, batched options, compressor?, loop reference)
    "ef14": ("ef14", {}, True, loop_ef14),
    "ef21": ("ef21", {}, True, loop_ef21),
    "diana": ("diana", {"alpha": 0.25}, True, loop_diana),
    "marina": ("marina", {"p": 0.25}, True, loop_marina),
    "fedavg": ("fedavg", {"local_steps": K_LOCAL, "participation": S}, False, loop_fedavg),
    "scaffold": ("scaffold", {"local_steps": K_LOCAL, "participation": S}, False, loop_scaffold),
    "fedavg-m": ("fedavg-m", {"local_steps": K_LOCAL, "participation": S, "momentum": 0.5}, False, loop_fedavg_m),
    "gossip-sgd": ("gossip-sgd", {"topology": "ring"}, False, loop_gossip),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps and rounds (smoke run)")
    ap.add_argument("--json", default=None, help="also write the results as JSON")
    ap.add_argument("--only", nargs="*", default=None, help="algorithms to time (default all)")
    args = ap.parse_args(argv)
    steps = 5 if args.quick else 50
    rounds = 3
    p = problem_from_spec("quadratic:mu=0.5,L=2,hetero=1", D, N)
    noise = gaussian(1.0)
    C = RandK(KEEP)
    eta = 0.05
    results = {}
    print(f"d={D}, N={N}, R={R}, T={steps} steps per timing, median of {rounds} interleaved rounds "
          f"(python {platform.python_version()}, numpy {np.__version__})")
    for name, (method, opts, comp, loop) in CASES.items():
        if args.only and name not in args.only:
            continue
        tb, tl, tf, tc = [], [], [], []
        for r in range(rounds):
            g = np.random.default_rng(r)
            shape = (round(NORMALS_PER_STEP[name] * R), N, D)
            t0 = time.perf_counter()
            for _ in range(steps):
                g.standard_normal(shape)
            tf.append(time.perf_counter() - t0)
            if _numba.enabled():  # the same numbers drawn by the compiled pass the batched side uses
                buf = np.empty(shape)
                t0 = time.perf_counter()
                for _ in range(steps):
                    _numba.standard_normal_fill(g, buf)
                tc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run_optimizer(method, p, noise, eta=eta, steps=steps, replicas=R, compressor=f"randk:k={KEEP}" if comp else None,
                          seed=r, points=2, observe_every=steps, **opts)
            tb.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            loop(p, C, steps, eta, np.random.default_rng(r))
            tl.append(time.perf_counter() - t0)
        b, lp, fl = statistics.median(tb), statistics.median(tl), statistics.median(tf)
        cf = statistics.median(tc) if tc else None
        results[name] = {"batched_s": b, "loop_s": lp, "speedup": lp / b, "rng_floor_s": fl, "batched_rounds": tb,
                         "loop_rounds": tl, "compiled_rng_floor_s": cf,
                         "ceiling": None if cf is None else lp / cf}
        ceiling = "" if cf is None else f"   (ceiling loop/compiled noise {lp / cf:5.1f}x)"
        print(f"  {name:11s} batched {1e3 * b / steps:8.3f} ms/step (noise floor {1e3 * fl / steps:7.3f})   "
              f"loop {1e3 * lp / steps:9.2f} ms/step   speedup {lp / b:7.1f}x  {'OK' if lp / b >= 20 else 'below 20x'}"
              f"{ceiling}")
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"setting": {"d": D, "N": N, "R": R, "steps": steps, "rounds": rounds}, "results": results}, fh,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
