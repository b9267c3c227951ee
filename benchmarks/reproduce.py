r"""Long reproductions of the reference numbers of docs/theory.md#pl-bounds (a developer script, not part
of the library and not run by the test suite; the `--full` checks of `theorylab check` cover the same
claims, and `--engine exact` gives the levels of part a without sampling).

    python benchmarks/reproduce.py [a b c d e ...] [--quick] [--json FILE]

- ``a``: the reference levels (isotropic quadratic, d=20, N=4, B=1, σ=1, η=0.01): Rand-5 DCSGD and
  DSGD stationary levels with intervals, Theorem 3 beside them, the SDE's level, and the exact
  level of the *discrete* recursion (:func:`theorylab.simulate.exact.closed_forms.exact_discrete_level`).
- ``b``: DSignSGD at η=1e−3 under Gaussian and Cauchy noise against Theorem 4 with ℓ_ν candidates
  A and B, at the plateau and along the whole trajectory (Bonferroni-joint verdict), on several
  problems.
- ``c``: SDE against optimizer: curves compared within joint bands; the gap's order in η (fit).
- ``d``: ν sweep (DCSGD plateau grows as ν → 2 and has no finite mean below; DSignSGD bounded) and
  σ sweep (log-log slopes).
- ``e``: the scaling rules (DCSGD table rows; κ = α√δ for DSignSGD).

Every number comes with its interval; every verdict states its confidence.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import numpy as np

from theorylab.compressors import RandK
from theorylab.simulate.estimate import stationary_level
from theorylab.simulate.exact import exact_run, exact_sde_run
from theorylab.simulate.exact.closed_forms import exact_discrete_level
from theorylab.simulate.models import bound_for, sde_for
from theorylab.simulate.noise import gaussian, student_t
from theorylab.simulate.optimizers import run_optimizer
from theorylab.simulate.problems import problem_from_spec
from theorylab.simulate.sde import integrate
from theorylab.simulate.verdict import trajectory_verdict, verdict

__all__ = ["exact_discrete_level", "part_a", "part_b", "part_c", "part_d", "part_e", "main"]


def _fmt(e: Any) -> str:
    return f"{e.value:.5g} [{e.lower:.5g}, {e.upper:.5g}]"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def _comps(k: int, n: int) -> list[Any]:
    return [RandK(k)] * n


# ----------------------------------------------------------------------------- a


def part_a(quick: bool = False, seed: int = 1) -> dict[str, Any]:
    d, n, eta = 20, 4, 0.01
    reps, steps = (300, 2000) if quick else (2000, 8000)
    p = problem_from_spec("quadratic:mu=1,L=1", d, n)
    rows, out = [], {}
    for name, method, comps, omega in (("Rand-5 DCSGD", "dcsgd", _comps(5, n), 3.0), ("DSGD", "dsgd", None, 0.0)):
        run = run_optimizer(method, p, gaussian(1.0), eta=eta, steps=steps, replicas=reps, compressor=comps,
                            seed=seed)
        est = stationary_level(run.trajectory)
        b = bound_for(method, p, gaussian(1.0), eta, comps)
        sde = sde_for(method, p, gaussian(1.0), eta, comps)
        srun = integrate(sde, p, eta=eta, steps=steps // 2, paths=reps, substeps=4, scheme="richardson",
                         seed=seed + 1)
        sest = stationary_level(srun.trajectory)
        exact = exact_discrete_level(d, n, eta, omega, 1.0)
        ex = exact_run(method, p, gaussian(1.0), eta=eta, steps=2, compressor=comps)  # the engine, general path
        exact_sde = exact_sde_run(method, p, gaussian(1.0), eta=eta, steps=2, compressor=comps).level
        v = verdict(est, b.level, "Theorem 3")
        vs = verdict(sest, b.level, "Theorem 3 (SDE)")
        rows.append([name, _fmt(est), f"{b.level:.5g}", f"{ex.level:.5g}", _fmt(sest), f"{exact_sde:.5g}",
                     v.status, vs.status])
        out[name] = {"optimizer": est.describe(), "theorem3": b.level, "exact_discrete": exact,
                     "exact_engine_discrete": ex.level, "exact_engine_sde": exact_sde,
                     "optimizer_interval_contains_exact": est.lower <= ex.level <= est.upper,
                     "sde_richardson_h=eta/4": sest.describe(), "verdict_optimizer": v.describe(),
                     "verdict_sde": vs.describe(), "replicas": reps, "steps": steps}
    text = _table(["method", "optimizer level (95% CI)", "Theorem 3", "exact discrete level", "SDE level (95% CI)",
                   "exact SDE level", "Thm 3 vs optimizer", "Thm 3 vs SDE"], rows)
    return {"text": text, "data": out}


# ----------------------------------------------------------------------------- b


def part_b(quick: bool = False, seed: int = 2) -> dict[str, Any]:
    """Plateau: runs started at the optimum (x0 = 0), so the level is reached in ~1/(2μℓ) time.
    Trajectory: runs from x0 = 1 and x0 = 5, checked against the bound (which starts at f(x0) − f*)
    at every record time with a joint (Bonferroni) 95% confidence. Candidate B's radius R is
    ``√B ‖∇f(x0)‖∞/σ`` (the region the trajectory starts in)."""
    n, d, eta = 4, 20, 1e-3
    reps = 200 if quick else 1000
    plateau_steps = 3000 if quick else 6000
    traj_steps = {1.0: 12000, 5.0: 20000}
    problems = ["quadratic:mu=1,L=1", "quadratic:mu=0.25,L=1", "sinpl"]
    if quick:
        problems = problems[:1]
        traj_steps = {1.0: 6000}
    rows, trows = [], []
    data: list[dict[str, Any]] = []
    for spec in problems:
        for noise in (gaussian(1.0), student_t(1.0)):
            p0 = problem_from_spec(f"{spec}{',' if ':' in spec else ':'}x0=0", d, n)
            run = run_optimizer("dsignsgd", p0, noise, eta=eta, steps=plateau_steps, replicas=reps, seed=seed)
            est = stationary_level(run.trajectory)
            cells = [spec, noise.name, _fmt(est)]
            for ell in ("A", "B"):
                # candidate B on the plateau: R = 1 covers the stationary region (there |g|/sigma ~ 0.01)
                b = bound_for("dsignsgd", p0, noise, eta, ell=ell, R=1.0 if ell == "B" else None)
                v = verdict(est, b.level, f"Thm 4 ({ell})")
                cells += [f"{b.level:.5g}", v.status]
                data.append({"problem": spec, "noise": noise.name, "ell": ell, "plateau": est.describe(),
                             "bound": b.describe(), "verdict": v.describe()})
            rows.append(cells)
            for x0, steps in traj_steps.items():
                p = problem_from_spec(f"{spec}{',' if ':' in spec else ':'}x0={x0:g}", d, n)
                tr = run_optimizer("dsignsgd", p, noise, eta=eta, steps=steps // (2 if quick else 1),
                                   replicas=reps // 2, seed=seed + 1)
                for ell in ("A", "B"):
                    b = bound_for("dsignsgd", p, noise, eta, ell=ell)
                    tv = trajectory_verdict(tr.trajectory, b.curve(tr.trajectory.times), 0.95)
                    trows.append([spec, noise.name, f"{x0:g}", ell, f"{b.values.get('R', float('nan')):.3g}",
                                  tv.status, f"{tv.worst_ratio:.3g}",
                                  "-" if tv.first_violation is None else f"{tv.first_violation:.3g}",
                                  f"{tr.trajectory.times[-1]:g}"])
                    data.append({"problem": spec, "noise": noise.name, "x0": x0, "ell": ell,
                                 "bound": b.describe(), "trajectory": tv.describe()})
    text = ("Plateau (x0 = 0; candidate B with R = 1)\n\n" +
            _table(["problem", "noise", "level (95% CI)", "Thm 4 (A)", "verdict A", "Thm 4 (B, R=1)", "verdict B"],
                   rows) +
            "\n\nWhole trajectory (joint 95% over 200 record times; B with R = √B‖∇f(x0)‖∞/σ)\n\n" +
            _table(["problem", "noise", "x0", "ℓ", "R", "verdict", "max mean/bound", "first violation t",
                    "horizon t"], trows))
    return {"text": text, "data": data}


# ----------------------------------------------------------------------------- c


def _curve_agreement(a: Any, b: Any, confidence: float = 0.95) -> dict[str, Any]:
    """Joint (Bonferroni) two-sample comparison of two mean curves on the same grid."""
    from scipy import stats

    va, vb = a.values[:, a.alive], b.values[:, b.alive]
    ma, mb = va.mean(1), vb.mean(1)
    se = np.sqrt(va.var(1, ddof=1) / va.shape[1] + vb.var(1, ddof=1) / vb.shape[1])
    z = stats.norm.ppf(1 - (1 - confidence) / (2 * len(ma)))
    with np.errstate(invalid="ignore", divide="ignore"):
        outside = np.abs(ma - mb) > z * se
        outside[se == 0] = ~np.isclose(ma[se == 0], mb[se == 0])
    return {"points": len(ma), "outside_joint_band": int(outside.sum()), "max_abs_gap": float(np.max(np.abs(ma - mb))),
            "max_rel_gap": float(np.nanmax(np.abs(ma - mb) / np.maximum(mb, 1e-300)))}


def _slope(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """Least-squares slope of log y on log x, with its standard error."""
    lx, ly = np.log(x), np.log(y)
    a = np.vstack([lx, np.ones_like(lx)]).T
    coef, res, *_ = np.linalg.lstsq(a, ly, rcond=None)
    dof = max(len(x) - 2, 1)
    s2 = float(np.sum((ly - a @ coef) ** 2) / dof)
    cov = s2 * np.linalg.inv(a.T @ a)
    return float(coef[0]), float(math.sqrt(cov[0, 0]))


def part_c(quick: bool = False, seed: int = 3) -> dict[str, Any]:
    d, n = 20, 4
    reps = 1000 if quick else 4000
    p = problem_from_spec("quadratic:mu=1,L=1", d, n)
    rows, data = [], {}
    # (1) curves within bands at the reference step sizes
    for name, method, comps, eta, steps in (("Rand-5 DCSGD", "dcsgd", _comps(5, n), 0.01, 800),
                                           ("DSignSGD (Gaussian)", "dsignsgd", None, 1e-3, 3000)):
        run = run_optimizer(method, p, gaussian(1.0), eta=eta, steps=steps, replicas=reps // 2, compressor=comps,
                            seed=seed, points=100)
        srun = integrate(sde_for(method, p, gaussian(1.0), eta, comps), p, eta=eta, steps=steps, paths=reps // 2,
                         seed=seed + 1, points=100)
        agr = _curve_agreement(run.trajectory, srun.trajectory)
        rows.append([name, eta, f"{agr['outside_joint_band']}/{agr['points']}", f"{agr['max_rel_gap']:.3g}"])
        data[f"bands {name}"] = agr
    text1 = _table(["method", "η", "points outside joint 95% band", "max relative gap"], rows)
    # (2) order in η of the gap over a fixed horizon T. Statistic: the signed time-average over
    # t ∈ [0, T] of E f(x_k) − E f(X_{kη}); per replica the time-average is one independent sample,
    # so its standard error is exact (optimizer and SDE independent). A sup over t would be biased
    # upward by noise at small η.
    etas = np.array([0.1, 0.05, 0.025, 0.0125]) if not quick else np.array([0.1, 0.05, 0.025])
    rows2 = []
    for name, method, comps, horizon in (("Rand-5 DCSGD", "dcsgd", _comps(5, n), 2.0),
                                        ("DSignSGD (Gaussian)", "dsignsgd", None, 2.0)):
        gaps, ses, sups = [], [], []
        for eta in etas:
            steps = int(round(horizon / eta))
            run = run_optimizer(method, p, gaussian(1.0), eta=eta, steps=steps, replicas=reps, compressor=comps,
                                seed=seed, points=steps + 1)
            sde = sde_for(method, p, gaussian(1.0), eta, comps)
            srun = integrate(sde, p, eta=eta, steps=steps, paths=reps, substeps=8, scheme="richardson",
                             seed=seed + 7, points=steps + 1)
            a = run.trajectory.values.mean(axis=0)
            b = srun.trajectory.values.mean(axis=0)
            gaps.append(float(a.mean() - b.mean()))
            ses.append(float(math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)))
            sups.append(float(np.max(np.abs(run.trajectory.values.mean(1) - srun.trajectory.values.mean(1)))))
        g = np.array(gaps)
        slope, se = _slope(etas, np.abs(g))
        local = np.log(np.abs(g[:-1]) / np.abs(g[1:])) / np.log(etas[:-1] / etas[1:])
        rows2.append([name, ", ".join(f"{e:g}" for e in etas),
                      ", ".join(f"{x:.3g}±{s:.1g}" for x, s in zip(gaps, ses)), f"{slope:.2f} ± {se:.2f}",
                      ", ".join(f"{v:.2f}" for v in local), ", ".join(f"{x:.3g}" for x in sups)])
        data[f"order {name}"] = {"etas": etas.tolist(), "mean_gap": gaps, "mean_gap_se": ses, "sup_gap": sups,
                                 "slope": slope, "slope_se": se, "horizon": horizon}
    text2 = _table(["method", "η", "(1/T)∫₀ᵀ (E f(x) − E f(X)) dt, T = 2 (± 1 se)", "fitted order (slope ± se)",
                    "local orders (successive η)", "sup_t |gap| (noisy)"], rows2)
    return {"text": text1 + "\n\n" + text2, "data": data}


# ----------------------------------------------------------------------------- d


def part_d(quick: bool = False, seed: int = 4) -> dict[str, Any]:
    d, n = 20, 4
    reps = 300 if quick else 1000
    p = problem_from_spec("quadratic:mu=1,L=1,x0=0", d, n)  # start at the optimum: levels, not transients
    nus = [1.0, 2.0, 2.2, 2.5, 3.0, 8.0, 64.0, math.inf]
    rows, data = [], []
    for nu in nus:
        noise = gaussian(1.0) if math.isinf(nu) else student_t(nu)
        run = run_optimizer("dcsgd", p, noise, eta=0.01, steps=1500 if quick else 3000, replicas=reps,
                            compressor=_comps(5, n), seed=seed)
        est = stationary_level(run.trajectory)
        try:
            b3 = f"{bound_for('dcsgd', p, noise, 0.01, _comps(5, n)).level:.4g}"
        except Exception as exc:  # infinite variance
            b3 = f"n/a ({type(exc).__name__})"
        srun = run_optimizer("dsignsgd", p, noise, eta=1e-3, steps=3000 if quick else 6000, replicas=reps // 2,
                             seed=seed)
        sest = stationary_level(srun.trajectory)
        b4 = bound_for("dsignsgd", p, noise, 1e-3, ell="A").level
        rows.append([f"{nu:g}", _fmt(est), f"{est.median:.4g}", f"{est.top_share:.2g}", b3,
                     run.trajectory.divergence.count, _fmt(sest), f"{b4:.4g}"])
        data.append({"nu": nu, "dcsgd": est.describe(), "theorem3": b3, "dsignsgd": sest.describe(), "theorem4_A": b4})
    text1 = _table(["ν", "DCSGD level (95% CI)", "median", "top replica share", "Thm 3", "diverged",
                    "DSignSGD level (95% CI)", "Thm 4 (A)"], rows)
    # heavy tails: the sample mean of DCSGD at nu = 1 keeps growing with the number of replicas
    heavy: list[dict[str, Any]] = []
    for nu in (1.0, 2.0):
        run = run_optimizer("dcsgd", p, student_t(nu), eta=0.01, steps=1000, replicas=4 * reps, compressor=_comps(5, n),
                            seed=seed + 1)
        per = run.trajectory.block_means[-(len(run.trajectory.block_means) // 2):].mean(0)
        heavy.append({"nu": nu, "mean_of_first": {str(m): float(per[:m].mean()) for m in (reps // 4, reps, 4 * reps)},
                      "max": float(per.max())})
    text_h = "\n".join(f"ν={h['nu']:g}: running mean over replicas " + ", ".join(f"R={k}: {v:.4g}" for k, v in
                                                                               h["mean_of_first"].items())
                       + f"; largest replica {h['max']:.4g}" for h in heavy)
    # sigma sweep
    sigmas = np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    lv_c, lv_s = [], []
    for s in sigmas:
        run = run_optimizer("dcsgd", p, gaussian(float(s)), eta=0.01, steps=1500 if quick else 3000, replicas=reps,
                            compressor=_comps(5, n), seed=seed + 2)
        lv_c.append(stationary_level(run.trajectory).value)
        # DSignSGD relaxes at rate 2μℓ√B/σ: scale the horizon with σ (8 time units at σ ≤ 1)
        run = run_optimizer("dsignsgd", p, gaussian(float(s)), eta=1e-3,
                            steps=int((4000 if quick else 8000) * max(1.0, float(s))), replicas=reps // 2,
                            seed=seed + 2)
        lv_s.append(stationary_level(run.trajectory).value)
    sc, sce = _slope(sigmas, np.array(lv_c))
    ss, sse = _slope(sigmas, np.array(lv_s))
    text2 = _table(["σ", *[f"{s:g}" for s in sigmas], "log-log slope"],
                   [["DCSGD Rand-5 (η=0.01)", *[f"{v:.4g}" for v in lv_c], f"{sc:.3f} ± {sce:.3f}"],
                    ["DSignSGD (η=1e−3)", *[f"{v:.4g}" for v in lv_s], f"{ss:.3f} ± {sse:.3f}"]])
    return {"text": text1 + "\n\n" + text_h + "\n\n" + text2,
            "data": {"nu_sweep": data, "heavy": heavy, "sigma": sigmas.tolist(), "dcsgd_sigma_levels": lv_c,
                     "dsignsgd_sigma_levels": lv_s, "slope_dcsgd": [sc, sce], "slope_dsignsgd": [ss, sse]}}


# ----------------------------------------------------------------------------- e


def _two_sample(a: Any, b: Any) -> tuple[float, float, float]:
    """Ratio a/b with a 95% interval (delta method on independent estimates)."""
    sa = (a.upper - a.lower) / 3.92
    sb = (b.upper - b.lower) / 3.92
    r = a.value / b.value
    se = r * math.sqrt((sa / a.value) ** 2 + (sb / b.value) ** 2)
    return r, r - 1.96 * se, r + 1.96 * se


def part_e(quick: bool = False, seed: int = 5) -> dict[str, Any]:
    d = 20
    reps = 300 if quick else 1000
    steps = 2000 if quick else 4000
    base_eta, base_b, base_n, omega, k = 0.01, 2, 4, 3.0, 5

    def level(method: str, eta: float, batch: int, n: int, comp_k: int | None) -> Any:
        p = problem_from_spec("quadratic:mu=1,L=1,x0=0", d, n)  # start at the optimum: levels, not transients
        comps = None if comp_k is None else _comps(comp_k, n)
        st = int(steps * base_eta / eta) if method == "dcsgd" or method == "dsgd" else int(1.5 * steps * 1e-3 / eta)
        run = run_optimizer(method, p, gaussian(1.0, batch), eta=eta, steps=max(st, 500), replicas=reps,
                            compressor=comps, seed=seed)
        return stationary_level(run.trajectory)

    base = level("dsgd", base_eta, base_b, base_n, None)
    one = 1 + omega
    # rows: (label, kappa, delta, alpha) for DCSGD with Rand-5 (omega = 3), beta = 1
    rule_rows = [("α = 1+ω", 1, 1, one), ("κ = 1/(1+ω)", 1 / one, 1, 1), ("δ = 1+ω", 1, one, 1),
                 ("α = κ(1+ω), κ=1/2", 0.5, 1, 0.5 * one), ("α = (1+ω)/δ, δ=2", 1, 2, one / 2),
                 ("κ = δ/(1+ω), δ=2", 2 / one, 2, 1), ("unscaled (κ=δ=α=1)", 1, 1, 1),
                 ("wrong: α = 2 only", 1, 1, 2), ("wrong: δ = 2 only", 1, 2, 1)]
    rows, data = [], []
    for label, kap, dlt, alp in rule_rows:
        eta, batch, n = base_eta * kap, int(round(base_b * dlt)), int(round(base_n * alp))
        est = level("dcsgd", eta, batch, n, k)
        r, lo, hi = _two_sample(est, base)
        ok = lo <= 1 <= hi
        rows.append([label, f"η={eta:g}, B={batch}, N={n}", _fmt(est), f"{r:.4f} [{lo:.4f}, {hi:.4f}]",
                     "same level" if ok else "different"])
        data.append({"rule": label, "eta": eta, "B": batch, "N": n, "level": est.describe(), "ratio": [r, lo, hi]})
    text1 = (f"DSGD base (η={base_eta}, B={base_b}, N={base_n}): {_fmt(base)}\n\n" +
             _table(["DCSGD Rand-5 (ω=3) rule", "setting", "level (95% CI)", "ratio to DSGD (95% CI)", "verdict"],
                    rows))
    # DSignSGD: kappa = alpha sqrt(delta); base (eta, B, N) = (1e-3, 4, 8)
    sb_eta, sb_b, sb_n = 1e-3, 4, 8
    sbase = level("dsignsgd", sb_eta, sb_b, sb_n, None)
    srows = []
    for label, kap, dlt, alp in (("(η, 4B, N/2)", 1, 4, 0.5), ("(2η, 4B, N)", 2, 4, 1), ("(2η, B, 2N)", 2, 1, 2),
                                 ("(10η, 4B, N/2)", 10, 4, 0.5), ("(η, B/4, N)", 1, 0.25, 1),
                                 ("(η, B, N/4)", 1, 1, 0.25)):
        eta, batch, n = sb_eta * kap, int(round(sb_b * dlt)), int(round(sb_n * alp))
        est = level("dsignsgd", eta, batch, n, None)
        r, lo, hi = _two_sample(est, sbase)
        sat = math.isclose(kap, alp * math.sqrt(dlt))
        srows.append([label, "yes" if sat else "no", _fmt(est), f"{r:.4f} [{lo:.4f}, {hi:.4f}]",
                      "same level" if lo <= 1 <= hi else "different"])
        data.append({"dsignsgd": label, "satisfies": sat, "level": est.describe(), "ratio": [r, lo, hi]})
    text2 = (f"DSignSGD base (η={sb_eta}, B={sb_b}, N={sb_n}): {_fmt(sbase)}\n\n" +
             _table(["DSignSGD config", "κ = α√δ?", "level (95% CI)", "ratio to base (95% CI)", "verdict"], srows))
    return {"text": text1 + "\n\n" + text2, "data": data}


PARTS = {"a": part_a, "b": part_b, "c": part_c, "d": part_d, "e": part_e}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python benchmarks/reproduce.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*", default=list(PARTS), help="which parts (a b c d e; default all)")
    ap.add_argument("--quick", action="store_true", help="smaller runs (minutes instead of tens of minutes)")
    ap.add_argument("--json", default=None, help="write the numbers to this file")
    args = ap.parse_args(argv)
    results = {}
    for part in args.parts:
        if part not in PARTS:
            print(f"unknown part {part!r}; choose from {list(PARTS)}", file=sys.stderr)
            return 2
        t0 = time.perf_counter()
        res = PARTS[part](quick=args.quick)
        print(f"## part {part} ({time.perf_counter() - t0:.0f} s)\n\n{res['text']}\n", flush=True)
        results[part] = res
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({k: v["data"] for k, v in results.items()}, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
