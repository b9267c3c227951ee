r"""theorylab against what a user would write: the same algorithms in torch and in JAX (anchors).

    python benchmarks/bench_anchors.py [--quick] [--json FILE] [--only METHOD ...] [--settings reference large]
                                       [--rounds 3] [--before TREE]

Needs the ``bench`` extra (torch, jax). Every anchor is the step of the theorylab method written the way
a user writes it, float64, on one thread:

- **torch**: batched tensors ``(R, N, d)`` (``torch.set_num_threads(1)``), one Python loop over steps,
  noise from one ``torch.Generator``; client sampling gathers the S sampled clients' rows
  ``(R, S, d)``; MARINA draws the fresh noisy gradients only for the replicas whose coin came up.
- **JAX**: the step of *one* replica, ``jax.vmap`` over the R replicas, ``jax.lax.scan`` over the
  steps, ``jax.jit`` of the whole run (``XLA_FLAGS`` single-threaded CPU, ``jax_enable_x64``), one
  PRNG key per replica split every step. Its compile time (``jit(...).lower(...).compile()``) is
  reported separately and is not in its ms/step.

Methods and settings (the problem ``quadratic:mu=0.5,L=2,hetero=1``, a heterogeneous diagonal
quadratic ``f_i(x) = ½ Σ_j λ_j x_j² + ⟨b_i, x⟩``, Gaussian noise σ = 1, η = 0.05, x⁰ = 1):

- DCSGD with Rand-k, k = d/4 (``x ← x − η (1/N) Σ_i C_i(∇f_i(x) + Z_i)``);
- EF21 with Top-k, k = d/4; DIANA with Rand-k, α = 1/(1+ω); MARINA with Rand-k, p = 1/(1+ω);
- FedAvg and SCAFFOLD (option II), K = 5 local steps, S = 2 clients per round;
- gossip SGD on the ring, CTA and ATC.

Settings: ``reference`` d = 20, N = 4, R = 1000; ``large`` d = 1000, N = 10, R = 1000.

Agreement comes first, and a failed check is reported (exit code 1):

1. **exact**: σ = 0 and deterministic compressors (Top-k for DCSGD, EF21, DIANA; the identity for
   MARINA, whose coin then does not matter; full participation for FedAvg/SCAFFOLD), a few replicas:
   every replica's final gap (and, for gossip, the consensus error ``(1/N) Σ ‖x_i − x̄‖²``: on this
   problem CTA and ATC have the same average ``x̄``, so the gap alone would not tell them apart) of
   every anchor equals theorylab's to ``1e-10 · max(1, value)``;
2. **in law**: the timed configuration (σ = 1, the random compressors, S of N; the first, warm-up,
   run of each implementation): the mean final gap (and consensus error) of each anchor against theorylab's, ``|z| ≤ 4.5`` with ``z = Δmean / √(se₁² + se₂²)`` over the R
   replicas (false alarm 6.8e-6 per comparison when both are right; the random streams differ).

Timing: ``rounds`` interleaved rounds (the order of the implementations rotates every round); in each,
every implementation runs T steps from the start (its initialisation included, JAX's compile not);
the median over rounds of the time per step is reported, with theorylab's ratio (numba path and
numpy path, ``THEORYLAB_NUMBA`` off) to the best anchor: below 1 means theorylab is faster. Both the
wall-clock time and the process's CPU time are reported: every implementation runs on one thread,
so on a shared, loaded machine the CPU time is the steadier measure of the work each one does.

``--before TREE``: also time FedAvg and SCAFFOLD of another checkout of theorylab (e.g. the main
branch) and of this one, each in fresh subprocesses (``PYTHONPATH=TREE``), interleaved, at S = 2 and
S = N: the speed-up of this tree's federated rounds.
"""

from __future__ import annotations

import os

# one thread for everyone, before numpy, torch or jax is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

SIGMA, ETA, K_LOCAL, S_CLIENTS = 1.0, 0.05, 5, 2
SETTINGS = {"reference": (20, 4, 1000), "large": (1000, 10, 1000)}
METHODS = ("dcsgd", "ef21", "diana", "marina", "fedavg", "scaffold", "gossip-cta", "gossip-atc")
Z_MAX, EXACT_TOL = 4.5, 1e-10
CHECK_ONLY = False
PLANT: set[str] = set()  # planted bugs in the torch anchors (--plant), to see the agreement checks fail


def config(method: str, d: int, n: int, exact: bool) -> dict[str, Any]:
    """What theorylab runs (and every anchor implements): compressor, options."""
    k = max(1, d // 4)
    omega = d / k - 1
    if method == "dcsgd":
        return {"comp": ("topk", k) if exact else ("randk", k), "opts": {}}
    if method == "ef21":
        return {"comp": ("topk", k), "opts": {}}
    if method == "diana":
        return {"comp": ("topk", k) if exact else ("randk", k), "opts": {"alpha": 1 / (1 + omega)}}
    if method == "marina":
        return {"comp": ("identity", d) if exact else ("randk", k), "opts": {"p": 1 / (1 + omega)}}
    if method in ("fedavg", "scaffold"):
        return {"comp": None, "opts": {"local_steps": K_LOCAL, "participation": n if exact else S_CLIENTS}}
    return {"comp": None, "opts": {"topology": "ring", "gossip": method.split("-")[1]}}


def spec(comp: tuple[str, int] | None) -> str | None:
    if comp is None:
        return None
    return "identity" if comp[0] == "identity" else f"{comp[0]}:k={comp[1]}"


class Data:
    """The problem as plain arrays: λ (d,), tilts b (N, d), x⁰ (d,), the ring's W (N, N)."""

    def __init__(self, d: int, n: int) -> None:
        from theorylab.simulate import mixing_matrix, problem_from_spec

        self.problem = problem_from_spec("quadratic:mu=0.5,L=2,hetero=1", d, n)
        self.d, self.n = d, n
        self.lam = np.asarray(self.problem.eigenvalues, dtype=float)
        self.b = np.asarray(self.problem.tilts, dtype=float)
        self.x0 = np.asarray(self.problem.x0, dtype=float)
        w = np.eye(n)  # the ring, written out: 1/3 on itself and its two neighbours
        if n > 1:
            for i in range(n):
                w[i, (i + 1) % n] += 1.0
                w[i, (i - 1) % n] += 1.0
            w /= w.sum(axis=1, keepdims=True)
        if not np.allclose(w, mixing_matrix("ring", n), rtol=0, atol=1e-15):
            raise SystemExit("the anchors' ring matrix differs from theorylab's")
        self.w = w


# ----------------------------------------------------------------------------- theorylab
def run_theorylab(method: str, data: Data, reps: int, steps: int, sigma: float, seed: int, exact: bool,
                  numba: bool = True) -> np.ndarray:
    """Final gaps (R,) of theorylab's method (``numba`` False: the numpy path)."""
    from theorylab import _numba
    from theorylab.simulate import gaussian, run_optimizer

    cfg = config(method, data.d, data.n, exact)
    name = "gossip-sgd" if method.startswith("gossip") else method
    _numba.use_numba(numba)
    try:
        r = run_optimizer(name, data.problem, gaussian(sigma), eta=ETA, steps=steps, replicas=reps,
                          compressor=spec(cfg["comp"]), seed=seed, points=2, observe_every=steps, **cfg["opts"])
    finally:
        _numba.use_numba(None)
    gap = np.asarray(r.trajectory.values[-1], dtype=float)
    cons = np.asarray(r.extra["consensus"].values[-1], dtype=float) if "consensus" in r.extra else 0 * gap
    return np.stack([gap, cons], axis=1)


# ----------------------------------------------------------------------------- torch
def torch_run(method: str, data: Data, reps: int, steps: int, sigma: float, seed: int, exact: bool) -> np.ndarray:
    import torch

    torch.set_num_threads(1)
    f64 = torch.float64
    eta = ETA * (1.01 if "eta" in PLANT else 1.0)  # planted: a 1% larger step size
    gen = torch.Generator().manual_seed(seed)
    d, n = data.d, data.n
    cfg = config(method, d, n, exact)
    lam = torch.tensor(data.lam, dtype=f64)
    b = torch.tensor(data.b, dtype=f64)
    x = torch.tensor(data.x0, dtype=f64).expand(reps, d).clone()

    def noise(*shape: int) -> Any:
        z = torch.randn(*shape, generator=gen, dtype=f64)
        return z.mul_(sigma)

    def grads(x: Any) -> Any:  # ∇f_i(x) + Z_i at the server points, (R, N, d)
        g = (lam * x).unsqueeze(1) + b
        return g.add_(noise(x.shape[0], n, d)) if sigma else g

    def compress(v: Any) -> Any:
        kind, k = cfg["comp"]
        if kind == "identity":
            return v
        if kind == "topk":
            idx = v.abs().topk(k, dim=-1).indices
            return torch.zeros_like(v).scatter_(-1, idx, v.gather(-1, idx))
        u = torch.rand(v.shape, generator=gen, dtype=f64)  # Rand-k: the k largest of d uniform keys
        idx = u.topk(k, dim=-1, sorted=False).indices     # (the fastest of topk/kthvalue/argsort here)
        scale = 1.0 if "randk-scale" in PLANT else d / k  # planted: Rand-k without its scale d/k
        return torch.zeros_like(v).scatter_(-1, idx, v.gather(-1, idx).mul_(scale))

    if method == "dcsgd":
        for _ in range(steps):
            x -= eta * compress(grads(x)).mean(dim=1)
    elif method == "ef21":
        gi = compress(grads(x))
        g = gi.mean(dim=1)
        for _ in range(steps):
            x -= eta * g
            gi += compress(grads(x) - gi)
            g = gi.mean(dim=1)
    elif method == "diana":
        alpha = cfg["opts"]["alpha"]
        hi, h = torch.zeros(reps, n, d, dtype=f64), torch.zeros(reps, d, dtype=f64)
        for _ in range(steps):
            m = compress(grads(x) - hi)
            mbar = m.mean(dim=1)
            x -= eta * (h + mbar)
            hi += alpha * m
            h += alpha * mbar
    elif method == "marina":
        p = cfg["opts"]["p"]
        gi = grads(x)
        g = gi.mean(dim=1)
        for _ in range(steps):
            xn = x - eta * g
            coin = torch.rand(reps, generator=gen, dtype=f64) < p
            exact_diff = ((lam * xn).unsqueeze(1) + b) - ((lam * x).unsqueeze(1) + b)
            gi += compress(exact_diff)
            full = coin.nonzero().squeeze(1)
            if full.numel():
                gi[full] = grads(xn[full])
            g = gi.mean(dim=1)
            x = xn
    elif method in ("fedavg", "scaffold"):
        s_n = cfg["opts"]["participation"]
        rows = torch.arange(reps).unsqueeze(1)
        ci = torch.zeros(reps, n, d, dtype=f64) if method == "scaffold" else None
        c = torch.zeros(reps, d, dtype=f64) if method == "scaffold" else None
        for _ in range(steps):
            if s_n < n:
                sel = torch.rand(reps, n, generator=gen, dtype=f64).topk(s_n, dim=1).indices
            else:
                sel = torch.arange(n).expand(reps, n)
            bs = b[sel]                               # (R, S, d): the sampled clients' tilts
            y = x.unsqueeze(1).expand(reps, s_n, d).clone()
            if method == "scaffold":
                cs = ci[rows, sel]
                corr = c.unsqueeze(1) - cs
            for _ in range(K_LOCAL):
                g = lam * y + bs
                if sigma:
                    g += noise(reps, s_n, d)
                if method == "scaffold":
                    g += corr
                y -= eta * g
            if method == "scaffold":
                new = cs - c.unsqueeze(1) + (x.unsqueeze(1) - y) / (K_LOCAL * eta)
                ci[rows, sel] = new
                c = c + (new - cs).sum(dim=1) / n
            x = x + (y - x.unsqueeze(1)).mean(dim=1)
    else:  # gossip
        w = torch.tensor(data.w, dtype=f64)
        X = x.unsqueeze(1).expand(reps, n, d).clone()
        atc = (method == "gossip-atc") != ("gossip-swap" in PLANT)  # planted: CTA and ATC swapped
        for _ in range(steps):
            g = lam * X + b
            if sigma:
                g += noise(reps, n, d)
            X = torch.matmul(w, X - eta * g) if atc else torch.matmul(w, X) - eta * g
        x = X.mean(dim=1)
    cons = ((X - x.unsqueeze(1)) ** 2).sum(dim=-1).mean(dim=1) if method.startswith("gossip") \
        else torch.zeros(reps, dtype=f64)
    return torch.stack([0.5 * (lam * x * x).sum(dim=1), cons], dim=1).numpy()


# ----------------------------------------------------------------------------- JAX
_JAX_CACHE: dict[Any, Any] = {}


def jax_compiled(method: str, data: Data, reps: int, steps: int, sigma: float, exact: bool) -> tuple[Any, float]:
    """The jitted run ``keys (R,) -> final gaps (R,)`` (compiled ahead of time), and its compile time."""
    key_ = (method, data.d, data.n, reps, steps, sigma, exact)
    if key_ in _JAX_CACHE:
        return _JAX_CACHE[key_]
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    d, n = data.d, data.n
    cfg = config(method, d, n, exact)
    lam, b, x0, w = (jnp.asarray(a) for a in (data.lam, data.b, data.x0, data.w))
    rnd = jax.random

    def grads(x: Any, key: Any) -> Any:  # one replica: (N, d)
        g = lam * x + b
        return g + sigma * rnd.normal(key, (n, d)) if sigma else g

    def compress(v: Any, key: Any) -> Any:  # one replica's (N, d)
        kind, k = cfg["comp"]
        if kind == "identity":
            return v
        if kind == "topk":
            _, idx = jax.lax.top_k(jnp.abs(v), k)
            vals = jnp.take_along_axis(v, idx, axis=-1)
            return jax.vmap(lambda i, a: jnp.zeros(d).at[i].set(a))(idx, vals)
        u = rnd.uniform(key, v.shape)
        thr = jax.lax.top_k(u, k)[0][..., -1:]
        return jnp.where(u >= thr, v * (d / k), 0.0)

    def init(key: Any) -> Any:
        if method == "ef21":
            k1, k2 = rnd.split(key)
            gi = compress(grads(x0, k1), k2)
            return (x0, gi)
        if method == "diana":
            return (x0, jnp.zeros((n, d)))
        if method == "marina":
            return (x0, grads(x0, key))
        if method == "scaffold":
            return (x0, jnp.zeros(d), jnp.zeros((n, d)))
        if method.startswith("gossip"):
            return (jnp.broadcast_to(x0, (n, d)),)
        return (x0,)

    def step(s: Any, key: Any) -> Any:
        if method == "dcsgd":
            k1, k2 = rnd.split(key)
            return (s[0] - ETA * compress(grads(s[0], k1), k2).mean(axis=0),)
        if method == "ef21":
            k1, k2 = rnd.split(key)
            x = s[0] - ETA * s[1].mean(axis=0)
            return (x, s[1] + compress(grads(x, k1) - s[1], k2))
        if method == "diana":
            k1, k2 = rnd.split(key)
            alpha = cfg["opts"]["alpha"]
            m = compress(grads(s[0], k1) - s[1], k2)
            x = s[0] - ETA * (s[1].mean(axis=0) + m.mean(axis=0))
            return (x, s[1] + alpha * m)
        if method == "marina":
            k1, k2, k3 = rnd.split(key, 3)
            x, gi = s
            xn = x - ETA * gi.mean(axis=0)
            lazy = gi + compress((lam * xn + b) - (lam * x + b), k2)
            coin = rnd.uniform(k1) < cfg["opts"]["p"]
            return (xn, jnp.where(coin, grads(xn, k3), lazy))
        if method in ("fedavg", "scaffold"):
            s_n = cfg["opts"]["participation"]
            k1, k2 = rnd.split(key)
            sel = rnd.permutation(k1, n)[:s_n] if s_n < n else jnp.arange(n)
            x = s[0]
            bs = b[sel]
            if method == "scaffold":
                c, ci = s[1], s[2]
                cs = ci[sel]
                corr = c - cs
            y = jnp.broadcast_to(x, (s_n, d))
            for kk in rnd.split(k2, K_LOCAL):
                g = lam * y + bs
                if sigma:
                    g = g + sigma * rnd.normal(kk, (s_n, d))
                if method == "scaffold":
                    g = g + corr
                y = y - ETA * g
            xn = x + (y - x).mean(axis=0)
            if method == "fedavg":
                return (xn,)
            new = cs - c + (x - y) / (K_LOCAL * ETA)
            return (xn, c + (new - cs).sum(axis=0) / n, ci.at[sel].set(new))
        X = s[0]
        g = lam * X + b + sigma * rnd.normal(key, (n, d)) if sigma else lam * X + b
        return ((w @ (X - ETA * g)) if method == "gossip-atc" else (w @ X - ETA * g),)

    def run_one(key: Any) -> Any:
        k0, k1 = rnd.split(key)
        s0 = init(k0)
        s, _ = jax.lax.scan(lambda s, k: (step(s, k), None), s0, rnd.split(k1, steps))
        x = s[0].mean(axis=0) if method.startswith("gossip") else s[0]
        cons = jnp.sum((s[0] - x) ** 2, axis=-1).mean() if method.startswith("gossip") else jnp.zeros(())
        return jnp.stack([0.5 * jnp.sum(lam * x * x), cons])

    fn = jax.jit(jax.vmap(run_one))
    keys = rnd.split(rnd.key(0), reps)
    t0 = time.perf_counter()
    compiled = fn.lower(keys).compile()
    compile_s = time.perf_counter() - t0
    _JAX_CACHE[key_] = (compiled, compile_s)
    return compiled, compile_s


def jax_run(method: str, data: Data, reps: int, steps: int, sigma: float, seed: int, exact: bool) -> np.ndarray:
    import jax

    compiled, _ = jax_compiled(method, data, reps, steps, sigma, exact)
    keys = jax.random.split(jax.random.key(seed), reps)
    return np.asarray(compiled(keys).block_until_ready())


# ----------------------------------------------------------------------------- checks and timing
ANCHORS: dict[str, Callable[..., np.ndarray]] = {"torch": torch_run, "jax": jax_run}


def exact_check(method: str, data: Data, steps: int) -> dict[str, Any]:
    """σ = 0, deterministic compressors: every replica's final gap (and, for gossip, consensus error)
    of each anchor equals theorylab's to EXACT_TOL relative (absolute below 1)."""
    ref = run_theorylab(method, data, 3, steps, 0.0, 0, True)
    out: dict[str, Any] = {"theorylab_gap": float(ref[0, 0]), "theorylab_consensus": float(ref[0, 1])}
    for name, fn in ANCHORS.items():
        got = fn(method, data, 3, steps, 0.0, 1, True)
        err = float(np.max(np.abs(got - ref) / np.maximum(1.0, np.abs(ref))))
        out[name] = {"gap": float(got[0, 0]), "consensus": float(got[0, 1]), "rel_err": err, "ok": err <= EXACT_TOL}
    return out


def law_check(gaps: dict[str, np.ndarray]) -> dict[str, Any]:
    """The mean final gap of each anchor against theorylab's (numba path), from independent runs of
    the timed configuration (the warm-up runs: the first run of each implementation)."""
    ref = gaps["theorylab"]
    reps = ref.shape[0]
    cols = (0, 1) if np.any(ref[:, 1] != 0) else (0,)  # the gap; for gossip also the consensus error
    out: dict[str, Any] = {"theorylab_mean": [float(ref[:, c].mean()) for c in cols],
                           "theorylab_se": [float(ref[:, c].std(ddof=1) / math.sqrt(reps)) for c in cols]}
    for name in ANCHORS:
        got = gaps[name]
        zs = []
        for c in cols:
            se = math.hypot(ref[:, c].std(ddof=1), got[:, c].std(ddof=1)) / math.sqrt(reps)
            zs.append(float((got[:, c].mean() - ref[:, c].mean()) / se))
        z = max(zs, key=abs)
        out[name] = {"mean": [float(got[:, c].mean()) for c in cols], "zs": zs, "z": z, "ok": abs(z) <= Z_MAX}
    return out


def time_round(impls: dict[str, Callable[[int], Any]], order: list[str], rnd: int) -> dict[str, tuple[float, float]]:
    """One round: every implementation once, starting at a rotating position; (wall, CPU) seconds."""
    k = rnd % len(order)
    out = {}
    for name in order[k:] + order[:k]:
        t0, c0 = time.perf_counter(), time.process_time()
        impls[name](rnd)
        out[name] = (time.perf_counter() - t0, time.process_time() - c0)
    return out


def bench_setting(setting: str, methods: list[str], steps: int, rounds: int, check_steps: int,
                  results: dict[str, Any]) -> bool:
    """Agreement, then timing, of every method at one setting; True when every check passes."""
    d, n, reps = SETTINGS[setting]
    data = Data(d, n)
    ok_all = True
    print(f"\n== {setting}: d={d}, N={n}, R={reps}, T={steps} steps per timing, median of {rounds} rounds")
    for method in methods:
        ex = exact_check(method, data, check_steps)
        _, compile_s = jax_compiled(method, data, reps, steps, SIGMA, False)
        impls = {
            "theorylab": lambda r: run_theorylab(method, data, reps, steps, SIGMA, r, False, True),
            "theorylab-numpy": lambda r: run_theorylab(method, data, reps, steps, SIGMA, r, False, False),
            "torch": lambda r: torch_run(method, data, reps, steps, SIGMA, r, False),
            "jax": lambda r: jax_run(method, data, reps, steps, SIGMA, r, False),
        }
        # the first (warm-up) run of each: numba's and torch's first calls, page faults; and the law check
        law = law_check({name: np.asarray(impls[name](99)) for name in impls})
        ok = all(ex[a]["ok"] for a in ANCHORS) and all(law[a]["ok"] for a in ANCHORS)
        ok_all &= ok
        if CHECK_ONLY:
            results.setdefault(setting, {})[method] = {"exact_check": ex, "law_check": law, "agree": ok}
            print(f"  {method:10s} exact err {max(ex[a]['rel_err'] for a in ANCHORS):.1e}  law |z| "
                  f"{max(abs(law[a]['z']) for a in ANCHORS):.2f} {'OK' if ok else 'DISAGREE'}")
            continue
        times: dict[str, list[float]] = {name: [] for name in impls}
        cpu: dict[str, list[float]] = {name: [] for name in impls}
        for r in range(rounds):
            for name, (t, c) in time_round(impls, list(impls), r).items():
                times[name].append(1e3 * t / steps)
                cpu[name].append(1e3 * c / steps)
        row: dict[str, Any] = {"rounds_ms_per_step": times, "rounds_cpu_ms_per_step": cpu, "jax_compile_s": compile_s,
                               "exact_check": ex, "law_check": law, "agree": ok}
        for label, tab in (("", times), ("cpu_", cpu)):
            med = {name: statistics.median(v) for name, v in tab.items()}
            best = min(("torch", "jax"), key=lambda a: med[a])
            row.update({f"{label}ms_per_step": med, f"{label}best_anchor": best,
                        f"{label}ratio_numba": med["theorylab"] / med[best],
                        f"{label}ratio_numpy": med["theorylab-numpy"] / med[best]})
            print(f"  {method:10s} {'wall' if not label else 'cpu '} theorylab {med['theorylab']:8.2f}  numpy "
                  f"{med['theorylab-numpy']:8.2f}  torch {med['torch']:8.2f}  jax {med['jax']:8.2f} ms/step   "
                  f"numba/best {row[label + 'ratio_numba']:5.2f}  numpy/best {row[label + 'ratio_numpy']:5.2f}"
                  + ("" if label else f"   jax compile {compile_s:5.1f} s   exact err "
                     f"{max(ex[a]['rel_err'] for a in ANCHORS):.1e}  law |z| {max(abs(law[a]['z']) for a in ANCHORS):.2f} "
                     f"{'OK' if ok else 'DISAGREE'}"))
        results.setdefault(setting, {})[method] = row
        sys.stdout.flush()
    return ok_all


# ----------------------------------------------------------------------------- before / after (subprocesses)
_CHILD = r"""
import sys, time, json
import theorylab
from theorylab.simulate import gaussian, problem_from_spec, run_optimizer
method, d, n, s_n, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
p = problem_from_spec("quadratic:mu=0.5,L=2,hetero=1", d, n)
kw = dict(eta=0.05, replicas=1000, points=2, local_steps=5, participation=s_n)
run_optimizer(method, p, gaussian(1.0), steps=1, seed=0, **kw)
t0, c0 = time.perf_counter(), time.process_time()
run_optimizer(method, p, gaussian(1.0), steps=steps, seed=1, observe_every=steps, **kw)
print(json.dumps([1e3 * (time.perf_counter() - t0) / steps, 1e3 * (time.process_time() - c0) / steps, theorylab.__file__]))
"""


def before_after(tree: str, setting: str, steps: int, rounds: int) -> dict[str, Any]:
    d, n, _ = SETTINGS[setting]
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out: dict[str, Any] = {}
    for method in ("fedavg", "scaffold"):
        for s_n in (S_CLIENTS, n):
            times: dict[str, list[Any]] = {"before": [], "after": []}
            for r in range(rounds):
                order = [("before", tree), ("after", here)]
                for label, path in (order if r % 2 == 0 else order[::-1]):
                    env = {**os.environ, "PYTHONPATH": path}
                    # cwd = the tree: `python -c` puts the working directory first on sys.path
                    res = subprocess.run([sys.executable, "-c", _CHILD, method, str(d), str(n), str(s_n), str(steps)],
                                         env=env, capture_output=True, text=True, check=True, cwd=path)
                    wall, cpu, where = json.loads(res.stdout.strip().splitlines()[-1])
                    if not os.path.abspath(where).startswith(os.path.abspath(path) + os.sep):
                        raise SystemExit(f"the {label} run imported theorylab from {where}, not from {path}")
                    times[label].append([wall, cpu])
            row: dict[str, Any] = {"rounds_wall_cpu_ms": times}
            for i, kind in enumerate(("wall", "cpu")):
                b = statistics.median(t[i] for t in times["before"])
                a = statistics.median(t[i] for t in times["after"])
                row.update({f"{kind}_before_ms": b, f"{kind}_after_ms": a, f"{kind}_speedup": b / a})
                print(f"  {method:9s} S={s_n:<3d} {kind:4s} before {b:9.2f} ms/step   after {a:9.2f} ms/step   "
                      f"speed-up {b / a:5.2f}x")
            out[f"{method} S={s_n}"] = row
            sys.stdout.flush()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps (smoke run)")
    ap.add_argument("--json", default=None, help="also write the results as JSON")
    ap.add_argument("--only", nargs="*", default=None, choices=METHODS, help="methods (default all)")
    ap.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (median; default 3)")
    ap.add_argument("--steps", type=int, nargs=2, default=None, metavar=("T_REF", "T_LARGE"),
                    help="steps per timing at the reference and large settings (default 50 3; --quick 10 2)")
    ap.add_argument("--before", default=None, metavar="TREE",
                    help="also time FedAvg/SCAFFOLD of the theorylab checkout TREE against this one")
    ap.add_argument("--before-only", action="store_true", help="with --before: only the before/after timing")
    ap.add_argument("--check-only", action="store_true", help="the agreement checks only, no timing rounds")
    ap.add_argument("--plant", nargs="*", default=[], choices=["eta", "randk-scale", "gossip-swap"],
                    help="planted bugs in the torch anchors (the agreement checks must fail): a 1%% larger step "
                         "size, Rand-k without its scale, gossip's CTA and ATC swapped")
    args = ap.parse_args(argv)
    PLANT.update(args.plant)
    global CHECK_ONLY
    CHECK_ONLY = args.check_only
    try:
        import jax
        import torch
    except ImportError as e:
        print(f"bench_anchors needs the bench extra (pip install 'theorylab[bench]'): {e}", file=sys.stderr)
        return 2
    steps = dict(zip(SETTINGS, args.steps or ((10, 2) if args.quick else (50, 3)), strict=True))
    load = os.getloadavg()
    print(f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, jax {jax.__version__}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs")
    results: dict[str, Any] = {}
    ok = True
    for setting in ([] if args.before_only else args.settings):
        ok &= bench_setting(setting, list(args.only or METHODS), steps[setting], args.rounds, steps[setting], results)
    before = None
    if args.before:
        before = {}
        for setting in args.settings:
            print(f"\n== federated rounds, {args.before} (before) against this tree (after), {setting}")
            before[setting] = before_after(args.before, setting, steps[setting], args.rounds)
    load_end = os.getloadavg()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"settings": {k: {"d": v[0], "N": v[1], "R": v[2], "steps": steps[k]} for k, v in SETTINGS.items()},
                       "rounds": args.rounds, "sigma": SIGMA, "eta": ETA, "K": K_LOCAL, "S": S_CLIENTS,
                       "load_average": {"start": load, "end": load_end}, "versions": {
                           "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
                           "jax": jax.__version__}, "results": results, "before_after": before, "agree": ok},
                      fh, indent=1)
    print(f"\nload average at the end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}; "
          f"agreement {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
