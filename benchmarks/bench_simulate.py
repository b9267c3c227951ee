"""Benchmark of theorylab.simulate, every ratio measured in the same run.

    python benchmarks/bench_simulate.py [--quick] [--backend numpy|cupy] [--json FILE] [--skip PARTS]

The machine this runs on may be shared: absolute times are noisy, the *ratios* measured within
one run (medians of >= 3 interleaved rounds: every contender timed once per round) are what
count. Every contender runs single-threaded (torch threads = 1, XLA single-threaded).

1. Reference setting (d=20, N=4, R=1000, Rand-5): batched DCSGD throughput in
   replica·agent·coordinate steps per second, fused numba kernel and numpy path, and the ratio
   to a plain per-replica Python loop doing the same work. Target >= 20x.
2. Large setting (d=1000, N=10, R=1000, Rand-100): throughput as a fraction of the random-number
   floor, the time to draw the random numbers one step needs with numpy, measured in the same
   run: (a) R·N·k Gaussian noise values + R·N·k integers for the k-subsets (Floyd's algorithm: k
   integers per row, the least a uniform k-subset needs); (b) the noise alone. With and without
   numba. Target >= 50% of (a) with numba. Also: the same with glibc's malloc thresholds raised
   (``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` = 4 GiB, in a subprocess each way), to
   show whether per-step allocations still matter.
3. Cost per element (ns per replica·agent·coordinate step) of the numba path for d = 20, 1000,
   10000 (N = 10, R = 1000, Rand-(d/10)) and R = 100, 1000, 10000 (d = 1000, N = 10, Rand-100),
   on the quadratic (diagonal Hessian: the kernel evaluates the gradient and the gap, one replica
   at a time). Target: growth <= 1.5x from d = 20 to d = 10000. Also the non-convex ``sinpl`` at
   d = 20 and 10000 (the general kernel: gradient and gap by numpy, by blocks of rows).
4. SDE integrator against ``torchsde.sdeint`` and ``diffrax.diffeqsolve`` (Euler, float64, CPU,
   the same SDE lambdified from the same sympy expressions, same paths and steps; diffrax with
   ``UnsafeBrownianPath``, jit, compiled before timing, saving the gap of every path at every
   step as our integrator records it): the leading-order (diagonal) DCSGD SDE at
   d = 20 and d = 1000 (torchsde only at d = 20: it is 4-10x slower), and the exact (diag + rank
   one) one against diffrax at d = 1000. The problem is ``f(x) = |x|²/2``: our integrator
   recognises the diagonal quadratic and computes ``∇f = x`` and the gap inside its kernels
   (reported as ``ours (numba) kernel``); diffrax's and torchsde's drift and diffusion take
   ``g = y`` directly, the same structure. Plus a path-by-path agreement check with torchsde's
   Brownian increments injected into ours. Target >= 1.5x diffrax.
5. Memory: peak resident memory (ru_maxrss), and the tracemalloc peak of the large setting for S
   and 4S steps (must not grow with the number of steps).

No timing is asserted anywhere; this script only reports. It times the ``theorylab`` that Python
imports (an editable install, ``pip install -e .``, times the working tree).
"""

from __future__ import annotations

import os

# single-threaded XLA (set before jax is imported anywhere), like torch.set_num_threads(1) below
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from theorylab import _numba  # noqa: E402
from theorylab.backend import default_rng, get_xp  # noqa: E402
from theorylab.compressors import RandK  # noqa: E402
from theorylab.simulate import gaussian, problem_from_spec, run_optimizer  # noqa: E402
from theorylab.simulate.models import sde_for  # noqa: E402
from theorylab.simulate.sde import integrate  # noqa: E402

NOTE = ("shared machine: absolute times are noisy; compare the ratios, measured in this run "
        "(medians of interleaved rounds)")


def interleaved(fns: dict[str, Callable[[], object]], rounds: int = 3) -> dict[str, float]:
    """Median wall time of each function over ``rounds`` rounds; each round times every function once."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def sync(xp) -> None:
    if xp.__name__ == "cupy":
        xp.cuda.Stream.null.synchronize()


def with_numba(flag: bool, fn: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        _numba.use_numba(flag)
        try:
            return fn()
        finally:
            _numba.use_numba(None)
    return run


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

    def batched(fast=True) -> Callable[[], None]:
        def run() -> None:
            out = run_optimizer("dcsgd", problem, noise, eta=0.01, steps=steps, replicas=r, compressor=comp, seed=1,
                                backend=xp_name, fast=fast)
            assert not out.trajectory.divergence.diverged
        return run

    fns = {"numba": with_numba(True, batched()), "numpy": with_numba(False, batched()),
           "dense": with_numba(False, batched(False)),
           "loop": with_numba(False, lambda: python_loop(problem, noise, comp, 0.01, steps, loop_reps, 1))}
    if not _numba.available() or xp_name != "numpy":
        fns.pop("numba")
    t = interleaved(fns, 3)
    work = r * n * d * steps
    thr_loop = loop_reps * n * d * steps / t["loop"]
    out = {"setting": f"d={d}, N={n}, R={r}, Rand-{k}, {steps} steps", "note": NOTE}
    for key in ("numba", "numpy", "dense"):
        if key in t:
            out[f"throughput_{key}"] = work / t[key]
            out[f"speedup_{key}_vs_loop"] = work / t[key] / thr_loop
    out["throughput_python_loop"] = thr_loop
    out["python_loop_replicas_timed"] = loop_reps
    if "numba" in t:
        out["numba_vs_numpy_path"] = t["numpy"] / t["numba"]
    out["target"] = ">= 20x the loop"
    return out


# ---------------------------------------------------------------------------- 2. large setting


def bench_large(xp_name: str, quick: bool, lite: bool = False) -> dict:
    """``lite``: only the method on both paths and the floors (the malloc subprocesses)."""
    d, n, r, k = 1000, 10, 1000, 100
    steps = 5 if quick else 10
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

    def support(flag: bool) -> Callable[[], None]:
        def run() -> None:
            rng = default_rng(3, xp)
            for _ in range(steps):
                comp.sample_support((r, n), d, rng)
            sync(xp)
        return with_numba(flag, run)

    def support_by_keys() -> None:  # the sampler before Floyd's: d uniform keys per row + argpartition
        rng = default_rng(3, xp)
        for _ in range(2):  # 2 steps (slow), scaled below
            xp.argpartition(rng.random((r, n, d)), k - 1, axis=-1)[..., :k]
        sync(xp)

    use = _numba.available() and xp_name == "numpy"
    fns = {"numpy": with_numba(False, method), "floor": floor_full, "floor_noise": floor_noise,
           "support_numpy": support(False), "keys": support_by_keys}
    if use:
        fns = {"numba": with_numba(True, method), **fns, "support_numba": support(True)}
    if lite:
        fns = {key: fn for key, fn in fns.items() if key in ("numba", "numpy", "floor", "floor_noise")}
        with_numba(True, method)()  # compile (cached on disk after the first run)
    t = interleaved(fns, 3)
    work = r * n * d * steps
    out = {"setting": f"d={d}, N={n}, R={r}, Rand-{k}, {steps} steps", "note": NOTE,
           "floor_s_noise_plus_support_ints": t["floor"], "floor_s_noise_only": t["floor_noise"],
           "malloc_env": " ".join(f"{v}={os.environ[v]}" for v in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
                                 if v in os.environ) or "glibc defaults"}
    for key in ("numba", "numpy"):
        if key in t:
            out[f"{key}_s"] = t[key]
            out[f"{key}_throughput"] = work / t[key]
            out[f"{key}_fraction_of_floor"] = t["floor"] / t[key]
            out[f"{key}_fraction_of_noise_only_floor"] = t["floor_noise"] / t[key]
    if lite:
        return out
    out["numpy_share_of_time_in_sample_support"] = t["support_numpy"] / t["numpy"]
    out["sample_support_numpy_s"] = t["support_numpy"]
    if use:
        out["sample_support_numba_s"] = t["support_numba"]
        out["sample_support_numba_vs_numpy"] = t["support_numpy"] / t["support_numba"]
        out["numba_vs_numpy_path"] = t["numpy"] / t["numba"]
    out["support_by_keys_s (sampler before Floyd, scaled from 2 steps)"] = t["keys"] * steps / 2
    out["target"] = ">= 0.5 of floor (a) with numba"
    return out


def bench_malloc(xp_name: str, quick: bool) -> dict:
    """The large setting in subprocesses, alternating glibc's default malloc thresholds and raised
    ones (3 rounds; 1 with --quick); medians of the fractions of the floor, each measured within
    its own process (absolute times of different processes are not comparable here)."""
    env0 = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env1 = {**env0, "MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "4294967296"}
    cmd = [sys.executable, os.path.abspath(__file__), "--only-large-json", "--backend", xp_name] + (
        ["--quick"] if quick else [])
    res: dict[str, list[dict]] = {"default": [], "raised": []}
    for _ in range(1 if quick else 3):
        for name, env in (("default", env0), ("raised", env1)):
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                return {"skipped": f"subprocess failed: {proc.stderr.strip().splitlines()[-1:]}"}
            res[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    out: dict = {"note": "fractions of the floor, medians over alternating subprocesses; effect > 1 = raised "
                         "thresholds faster"}
    for path in ("numba", "numpy"):
        key = f"{path}_fraction_of_floor"
        if key in res["default"][0]:
            fd = statistics.median(r[key] for r in res["default"])
            fr = statistics.median(r[key] for r in res["raised"])
            out[f"{path}_fraction_of_floor_default_malloc"] = fd
            out[f"{path}_fraction_of_floor_raised_thresholds"] = fr
            out[f"{path}_malloc_effect"] = fr / fd
    return out


# ---------------------------------------------------------------------------- 3. cost per element


def bench_elements(xp_name: str, quick: bool) -> dict:
    if not _numba.available() or xp_name != "numpy":
        return {"skipped": "needs numba and the numpy backend"}
    n = 10
    # the quadratic (diagonal Hessian: the kernel computes the gradient and the gap itself), and the
    # non-convex sinpl at the two ends of d (the general kernel: gradient and gap by blocks of rows)
    settings = [("quadratic:mu=1,L=1", d, r) for d, r in
                [(20, 1000), (1000, 1000), (10_000, 1000), (1000, 100), (1000, 10_000)]]
    settings += [("sinpl", 20, 1000), ("sinpl", 10_000, 1000)]
    fns, work = {}, {}
    for spec, d, r in settings:
        k = max(1, d // 10)
        steps = max(4, int((2e7 if quick else 1e8) // (r * n * d)))  # >= 4 steps: setup amortised
        problem = problem_from_spec(spec, d, n)

        def run(problem=problem, d=d, r=r, k=k, steps=steps) -> None:
            run_optimizer("dcsgd", problem, gaussian(1.0), eta=0.01, steps=steps, replicas=r, compressor=RandK(k),
                          seed=6, points=2, blocks=1)
        key = f"d={d}, R={r}, Rand-{k}" + ("" if spec.startswith("quadratic") else f", {spec}")
        fns[key] = with_numba(True, run)
        work[key] = r * n * d * steps
    t = interleaved(fns, 3)
    out = {"setting": "numba path, N=10, Rand-(d/10); ns per replica·agent·coordinate step; quadratic:mu=1,L=1 "
                      "unless named", "note": NOTE}
    for key in fns:
        out[f"ns_per_element {key}"] = t[key] / work[key] * 1e9
    out["growth_d20_to_d10000"] = out["ns_per_element d=10000, R=1000, Rand-1000"] / out[
        "ns_per_element d=20, R=1000, Rand-2"]
    out["growth_R100_to_R10000"] = out["ns_per_element d=1000, R=10000, Rand-100"] / out[
        "ns_per_element d=1000, R=100, Rand-100"]
    out["growth_d20_to_d10000_sinpl"] = out["ns_per_element d=10000, R=1000, Rand-1000, sinpl"] / out[
        "ns_per_element d=20, R=1000, Rand-2, sinpl"]
    out["target"] = "growth d=20 -> 10000 <= 1.5 (quadratic)"
    return out


# ---------------------------------------------------------------------------- 4. SDE: torchsde, diffrax


def torch_sde(f_t: Callable, g_t: Callable):  # noqa: ANN201 - a torch.nn.Module (torch is optional)
    """A torchsde SDE (Itô, diagonal noise) with drift ``f_t(y)`` and diffusion ``g_t(y)``, broadcast to ``y``."""
    import torch

    class TorchSDE(torch.nn.Module):
        noise_type = "diagonal"
        sde_type = "ito"

        def f(self, t, y):
            return f_t(y) + torch.zeros_like(y)

        def g(self, t, y):
            return g_t(y) + torch.zeros_like(y)

    return TorchSDE()


def _sde_contenders(d: int, paths: int, steps: int, exact: bool, want_torch: bool) -> tuple[dict, dict]:
    import sympy as sp

    from theorylab.symbolic import get_sde
    from theorylab.symbolic.symbols import gj

    n, eta = 4, 0.01
    k = 5 if d == 20 else d // 10
    problem = problem_from_spec("quadratic:mu=1,L=1", d, n)  # grad f(x) = x
    ours = sde_for("dcsgd", problem, gaussian(1.0), eta, [RandK(k)] * n, exact=exact)
    sym = get_sde("dcsgd" if exact else "dcsgd-diag")
    vals = {s: ours.params[str(s)] for s in sym.parameters}
    exprs = [e.subs(vals) for e in (sym.drift, sym.cov_diag, sym.cov_outer)]
    T = steps * eta
    fns: dict[str, Callable[[], object]] = {}
    info: dict[str, object] = {"setting": f"DCSGD SDE ({'exact, diag + rank one' if exact else 'leading order, diagonal'}"
                                          f", Rand-{k}), d={d}, paths={paths}, {steps} Euler steps, float64, CPU"}
    fns["ours (numba)"] = with_numba(True, lambda: integrate(ours, problem, eta=eta, steps=steps, paths=paths,
                                                             seed=4, points=2, blocks=1))
    fns["ours (numpy)"] = with_numba(False, lambda: integrate(ours, problem, eta=eta, steps=steps, paths=paths,
                                                              seed=4, points=2, blocks=1))
    if not _numba.available():
        fns.pop("ours (numba)")
    else:
        from theorylab.simulate.sde import _Stepper

        st = with_numba(True, lambda: _Stepper(ours, problem, np, np.random.default_rng(0), paths, d))()
        info["ours (numba) kernel"] = ("diagonal quadratic: g = x and the gap in the kernel, many steps per call"
                                       if st.fused else "diagonal quadratic: g = x and the gap in the kernel, "
                                       "one step per call" if st.quad else "per step, g and the gap in numpy")
    if want_torch and not exact:
        try:
            import torch
            import torchsde

            torch.set_num_threads(1)
            f_t, g_t = (sp.lambdify([gj], e, "torch") for e in (exprs[0], sp.sqrt(exprs[1])))

            y0 = torch.ones(paths, d, dtype=torch.float64)

            def run_torch() -> None:
                bm = torchsde.BrownianInterval(t0=0.0, t1=T, size=(paths, d), dtype=torch.float64, dt=eta)
                with torch.no_grad():
                    torchsde.sdeint(torch_sde(f_t, g_t), y0, torch.tensor([0.0, T], dtype=torch.float64), method="euler",
                                    dt=eta, bm=bm)
            fns["torchsde"] = run_torch
            info["torch"] = f"{torch.__version__}, torchsde {torchsde.__version__}"
        except ImportError as exc:
            info["torchsde"] = f"skipped: {exc}; pip install theorylab[bench]"
    try:
        import diffrax
        import jax
        import jax.numpy as jnp
        import lineax

        jax.config.update("jax_enable_x64", True)
        f_j, D_j, c_j = (sp.lambdify([gj], e, "jax") for e in exprs)
        shape2 = (paths, d)

        def drift(t, y, args):
            return f_j(y) + jnp.zeros_like(y)

        def gdw(y, dw):  # G dw for G G^T = diag(D) + c g g^T (g = y here), the factor of NumericSDE.diffuse
            g, w = y.reshape(shape2), dw.reshape(shape2)
            s = jnp.sqrt(D_j(g) + jnp.zeros_like(g))
            if not exact:
                return (s * w).reshape(-1)
            c = c_j(g[:, :1]) + jnp.zeros_like(g[:, :1])
            u = g / s
            beta = c / (1 + jnp.sqrt(1 + c * jnp.sum(u * u, axis=-1, keepdims=True)))
            return (s * (w + beta * u * jnp.sum(u * w, axis=-1, keepdims=True))).reshape(-1)

        struct = jax.ShapeDtypeStruct((paths * d,), jnp.float64)

        def diffusion(t, y, args):
            if not exact:
                return lineax.DiagonalLinearOperator(jnp.sqrt(D_j(y) + jnp.zeros_like(y)))
            return lineax.FunctionLinearOperator(lambda dw: gdw(y, dw), struct)

        @jax.jit
        def solve(key):
            bm = diffrax.UnsafeBrownianPath(shape=(paths * d,), key=key)
            terms = diffrax.MultiTerm(diffrax.ODETerm(drift), diffrax.ControlTerm(diffusion, bm))
            # the gap f(x) - f* = |x|^2/2 of every path at every step, as our integrator records it
            save = diffrax.SaveAt(steps=True, fn=lambda t, y, args: 0.5 * jnp.sum(y.reshape(shape2) ** 2, axis=-1))
            return diffrax.diffeqsolve(terms, diffrax.Euler(), 0.0, T, dt0=eta, y0=jnp.ones(paths * d),
                                       saveat=save, max_steps=steps + 1, adjoint=diffrax.ForwardMode()).ys

        t0 = time.perf_counter()
        solve(jax.random.PRNGKey(0)).block_until_ready()
        info["diffrax_compile_s"] = time.perf_counter() - t0
        fns["diffrax"] = lambda: solve(jax.random.PRNGKey(1)).block_until_ready()
        info["diffrax"] = f"{diffrax.__version__}, jax {jax.__version__}, XLA_FLAGS={os.environ.get('XLA_FLAGS')}"
    except ImportError as exc:
        info["diffrax"] = f"skipped: {exc}; pip install theorylab[bench]"
    for fn in fns.values():  # warm-up (numba cache load, allocator)
        fn()
    return fns, info


def bench_sde(quick: bool) -> dict:
    out: dict = {"note": NOTE}
    cases = [(20, 1000, 100 if quick else 500, False), (1000, 1000, 10 if quick else 50, False),
             (1000, 1000, 10 if quick else 50, True)]
    for d, paths, steps, exact in cases:  # torchsde (4-10x slower) only at d = 20, to keep the run short
        fns, info = _sde_contenders(d, paths, steps, exact, want_torch=d == 20)
        t = interleaved(fns, 5)  # 5 rounds: each contender's median is robust to 2 disturbed rounds
        tag = f"d={d}{' exact' if exact else ''}"
        out[f"[{tag}] setting"] = info.pop("setting")
        for key, val in info.items():
            out[f"[{tag}] {key}"] = val
        for key, val in t.items():
            out[f"[{tag}] {key}_s"] = val
        best = t.get("ours (numba)", t["ours (numpy)"])
        for other in ("diffrax", "torchsde"):
            if other in t:
                out[f"[{tag}] speedup_vs_{other}"] = t[other] / best
        if "ours (numba)" in t:
            out[f"[{tag}] numba_vs_numpy"] = t["ours (numpy)"] / t["ours (numba)"]
    out["target"] = ">= 1.5x diffrax at d=20 and d=1000"
    out.update(pathwise_vs_torchsde())
    return out


def pathwise_vs_torchsde() -> dict:
    """torchsde's Brownian increments injected into our integrator: the same Euler paths."""
    try:
        import sympy as sp
        import torch
        import torchsde
    except ImportError as exc:
        return {"pathwise": f"skipped: {exc}"}
    from theorylab.symbolic import get_sde
    from theorylab.symbolic.symbols import gj

    d, n, paths, eta, small = 20, 4, 1000, 0.01, 50
    problem = problem_from_spec("quadratic:mu=1,L=1", d, n)
    ours = sde_for("dcsgd", problem, gaussian(1.0), eta, [RandK(5)] * n, exact=False)
    sym = get_sde("dcsgd-diag")
    vals = {s: ours.params[str(s)] for s in sym.parameters}
    f_t = sp.lambdify([gj], sym.drift.subs(vals), "torch")
    g_t = sp.lambdify([gj], sp.sqrt(sym.cov_diag.subs(vals)), "torch")

    y0 = torch.ones(paths, d, dtype=torch.float64)
    bm = torchsde.BrownianInterval(t0=0.0, t1=small * eta, size=(paths, d), dtype=torch.float64, dt=eta)
    ts = torch.linspace(0, small * eta, small + 1, dtype=torch.float64)
    with torch.no_grad():
        ys = torchsde.sdeint(torch_sde(f_t, g_t), y0, ts, method="euler", dt=eta, bm=bm).numpy()
    dw = np.stack([bm(ts[i], ts[i + 1]).numpy() for i in range(small)])
    mine = integrate(ours, problem, eta=eta, steps=small, paths=paths, brownian=dw, points=small + 1)
    gap_torch = 0.5 * np.sum(ys * ys, axis=-1)
    return {"pathwise_max_relative_gap_difference_vs_torchsde": float(
        np.max(np.abs(mine.trajectory.values - gap_torch) / gap_torch))}


# ---------------------------------------------------------------------------- 5. memory


def bench_memory(xp_name: str, quick: bool) -> dict:
    d, n, r, k = 1000, 10, 1000, 100
    problem = problem_from_spec("quadratic:mu=1,L=1", d, n)
    out = {}
    base = 3 if quick else 5
    for steps in (base, 4 * base):
        for flag in ((True, False) if _numba.available() else (False,)):
            _numba.use_numba(flag)
            tracemalloc.start()
            run_optimizer("dcsgd", problem, gaussian(1.0), eta=0.01, steps=steps, replicas=r, compressor=RandK(k),
                          seed=5, backend=xp_name)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            _numba.use_numba(None)
            out[f"tracemalloc_peak_MiB_{steps}_steps_{'numba' if flag else 'numpy'}"] = peak / 2**20
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
    ap.add_argument("--skip", default="",
                    help="comma-separated parts to skip: reference,large,malloc,elements,sde,memory")
    ap.add_argument("--only-large-json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.only_large_json:  # used by bench_malloc's subprocesses
        print(json.dumps(bench_large(args.backend, args.quick, lite=True)))
        return 0
    skip = set(filter(None, args.skip.split(",")))
    res: dict = {"python": sys.version.split()[0], "numpy": np.__version__, "machine": platform.machine(),
                 "processor": platform.processor(), "backend": args.backend, "cpus": os.cpu_count(),
                 "numba": getattr(_numba._numba, "__version__", None), "note": NOTE}
    print(json.dumps({k: res[k] for k in ("python", "numpy", "numba", "cpus", "backend")}))
    print(NOTE)
    if args.backend == "cupy":
        try:
            get_xp("cupy")
        except Exception as exc:
            print(f"cupy backend unavailable: {exc}")
            return 1
    parts = [("reference", lambda: bench_reference(args.backend, args.quick)),
             ("large", lambda: bench_large(args.backend, args.quick)),
             ("malloc", lambda: bench_malloc(args.backend, args.quick)),
             ("elements", lambda: bench_elements(args.backend, args.quick)),
             ("sde", lambda: bench_sde(args.quick)),
             ("memory", lambda: bench_memory(args.backend, args.quick))]
    for name, fn in parts:
        if name in skip:
            continue
        t0 = time.perf_counter()
        res[name] = fn()
        print(f"[{name}] ({time.perf_counter() - t0:.0f} s)")
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
