"""The table of worst-case claims: verdict, certificate size and time of each (PEP, exact checks).

    python benchmarks/bench_worst_case.py [--markdown]

Each row is one call of :func:`theorylab.claims.worst_case.solve_worst_case` (PEPit + Clarabel
for the SDP, exact rational certificate or exact counterexample for the verdict), timed end to
end after the imports (one warm-up solve first). No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction as F
from typing import Any

import sympy as sp

L, N, mu = sp.symbols("L N mu", positive=True)
g_sgd = sp.Rational(20, 11)


def _ogm_bound(n: int, slack: F = F(1)) -> sp.Rational:
    """LR²/(2θ_N²) for OGM's rounded θ_N (its rational stand-in), times ``slack``."""
    from theorylab.claims.worst_case.methods.ogm import thetas

    q = slack / (2 * thetas(n)[-1] ** 2)
    return sp.Rational(q.numerator, q.denominator)


ROWS: list[tuple[str, str, str, int, Any, dict[str, Any], dict[str, Any]]] = [
    ("GD, L-smooth convex, f(xN)-f* <= LR^2/(4N+2), N=5", "gd", "smooth-convex", 5, L / (4 * N + 2), {"L": 1}, {}),
    ("GD, L-smooth convex, N=10", "gd", "smooth-convex", 10, L / (4 * N + 2), {"L": 1}, {}),
    ("GD, planted LR^2/(8N+4), N=5", "gd", "smooth-convex", 5, L / (8 * N + 4), {"L": 1}, {}),
    ("GD, planted LR^2/(8N+4), N=10", "gd", "smooth-convex", 10, L / (8 * N + 4), {"L": 1}, {}),
    ("GD, F_(1/10,1), ||xN-x*||^2 <= ((L-mu)/(L+mu))^(2N), gamma=2/(L+mu), N=10", "gd", "smooth-strongly-convex", 10,
     ((L - mu) / (L + mu)) ** (2 * N), {"L": 1, "mu": F(1, 10), "gamma": F(20, 11)}, {"performance": "distance"}),
    ("GD, same, planted half", "gd", "smooth-strongly-convex", 10, ((L - mu) / (L + mu)) ** (2 * N) / 2,
     {"L": 1, "mu": F(1, 10), "gamma": F(20, 11)}, {"performance": "distance"}),
    ("SGD one step, PEPit's bound, n=2, gamma=2/(L+mu), v=1", "sgd", "smooth-strongly-convex", 1,
     (g_sgd * (L - mu) / 2 + sp.sqrt((L + mu) ** 2 / 4 * (g_sgd - 2 / (L + mu)) ** 2 + g_sgd ** 2)) ** 2,
     {"L": 1, "mu": F(1, 10), "gamma": F(20, 11), "v": 1}, {"performance": "distance", "components": 2}),
    ("GD, L-smooth nonconvex, min ||g||^2 <= 4L(f0-fN)/(3N), N=10", "gd", "smooth", 10, sp.Rational(4, 3) * L / N,
     {"L": 1}, {"initial": "value-gap", "performance": "min-gradient"}),
    ("GD nonconvex, planted half, N=10", "gd", "smooth", 10, sp.Rational(2, 3) * L / N,
     {"L": 1}, {"initial": "value-gap", "performance": "min-gradient"}),
    ("Heavy ball, Polyak's parameters, kappa=25: no 3-cycle", "heavy-ball", "smooth-strongly-convex", 3, 0,
     {"L": 25, "mu": 1}, {"initial": "cycle"}),
    ("FGM (k/(k+3)), convex, f(xN)-f* <= 2LR^2/(N+1)^2, N=5", "fgm", "smooth-convex", 5, 2 * L / (N + 1) ** 2,
     {"L": 1}, {}),
    ("DCSGD one step, PL, omega=3, gamma=1/8: Theorem 3's rate 1-2 mu gamma Delta", "dcsgd", "smooth-pl", 1,
     1 - 2 * sp.Rational(1, 4) * sp.Rational(1, 8) * (1 - sp.Rational(1, 8) * 3 / (2 * sp.Rational(1, 4))),
     {"L": 1, "mu": F(1, 4), "omega": 3, "gamma": F(1, 8)}, {"initial": "value"}),
    ("EF21 one step, PL, delta=3/4, gamma=2/5: potential <= (1-gamma mu)", "ef21", "smooth-pl", 1,
     1 - sp.Rational(2, 5) / 4, {"L": 1, "mu": F(1, 4), "gamma": F(2, 5)},
     {"initial": "potential", "performance": "potential"}),
    ("DIANA one step, n=1, omega=1, gamma=1/7: potential <= max(1-gamma mu, 1-alpha/2) = 69/70", "diana",
     "smooth-strongly-convex", 1, sp.Rational(69, 70), {"L": 1, "mu": F(1, 10), "omega": 1},
     {"initial": "potential", "performance": "potential"}),
    ("DIANA, same, planted half", "diana", "smooth-strongly-convex", 1, sp.Rational(69, 140),
     {"L": 1, "mu": F(1, 10), "omega": 1}, {"initial": "potential", "performance": "potential"}),
    ("DIANA one step, n=2, omega=3, gamma=1/10: potential <= 99/100", "diana", "smooth-strongly-convex", 1,
     sp.Rational(99, 100), {"L": 1, "mu": F(1, 10), "omega": 3},
     {"initial": "potential", "performance": "potential", "components": 2}),
    ("DIANA, n=2, omega=3, planted half", "diana", "smooth-strongly-convex", 1, sp.Rational(99, 200),
     {"L": 1, "mu": F(1, 10), "omega": 3}, {"initial": "potential", "performance": "potential", "components": 2}),
    ("compressed GD, eps=1/10, F_(1/10,1), de Klerk et al. rate, N=1", "inexact-gd", "smooth-strongly-convex", 1,
     (sp.Rational(110 - 9, 100) / sp.Rational(110 + 9, 100)) ** 2, {"L": 1, "mu": F(1, 10), "eps": F(1, 10)},
     {"initial": "value"}),
    ("compressed GD, eps=1/10, same rate, N=2", "inexact-gd", "smooth-strongly-convex", 2,
     (sp.Rational(110 - 9, 100) / sp.Rational(110 + 9, 100)) ** 4, {"L": 1, "mu": F(1, 10), "eps": F(1, 10)},
     {"initial": "value"}),
    ("OGM (theta rounded), convex, f(xN)-f* <= LR^2/(2 theta_N^2), N=3", "ogm", "smooth-convex", 3,
     _ogm_bound(3), {"L": 1}, {}),
    ("OGM, same, bound x (1 + 1e-6), N=3", "ogm", "smooth-convex", 3, _ogm_bound(3, F(1000001, 1000000)), {"L": 1}, {}),
    ("OGM, bound x (1 + 1e-6), N=5", "ogm", "smooth-convex", 5, _ogm_bound(5, F(1000001, 1000000)), {"L": 1}, {}),
    ("compressed GD, eps=1/10, rate x (1 + 1e-2), N=2", "inexact-gd", "smooth-strongly-convex", 2,
     (sp.Rational(110 - 9, 100) / sp.Rational(110 + 9, 100)) ** 4 * sp.Rational(101, 100),
     {"L": 1, "mu": F(1, 10), "eps": F(1, 10)}, {"initial": "value"}),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    from theorylab.claims.worst_case import solve_worst_case

    solve_worst_case("gd", "smooth-convex", steps=1, bound=F(1, 6), L=1)  # warm-up (imports, compilation)
    print("| claim | verdict | certified bound / counterexample | certificate size | time (s) |")
    print("|---|---|---|---|---|")
    for label, method, cls, steps, bound, params, kw in ROWS:
        t0 = time.perf_counter()
        wc = solve_worst_case(method, cls, steps=steps, bound=bound, **kw, **params)
        dt = time.perf_counter() - t0
        v = wc.verdict
        if v.status.value == "proved":
            what, size = v.numbers["certified bound (exact)"], v.numbers["certificate size"]
        elif v.status.value == "refuted":
            what, size = f"measure {v.numbers['counterexample measure']:.6g} > {v.numbers['claimed bound']}", "-"
        else:
            what, size = f"solver {wc.value:.8g} vs {v.numbers['claimed bound']}", "-"
        if len(str(what)) > 40:
            what = str(what)[:37] + "..."
        print(f"| {label} | {v.status.value} | {what} | {size} | {dt:.2f} |")
    parametric_table()


PARAMETRIC: list[tuple[str, dict[str, Any]]] = [
    ("GD one step, ||x1-x*||^2 <= (1-gamma mu)^2 ||x0-x*||^2, all 0<mu<L=1, gamma<=2/(L+mu)",
     dict(method="gd", kind="sc", free={"gamma": [F(k, 8) for k in range(1, 9)], "mu": [F(1, k) for k in (2, 3, 4, 5, 6, 8)]},
          fixed={"L": 1}, region=["mu < 1", "gamma <= 2/(1+mu)"], bound="(1-gamma*mu)**2", performance="distance")),
    ("GD one step, f(x1)-f* <= (1-gamma mu)^2 (f(x0)-f*), mu=1/4, gamma<=8/5",
     dict(method="gd", kind="sc", free={"gamma": [F(k, 10) for k in range(2, 17)]}, fixed={"L": 1, "mu": F(1, 4)},
          region=["gamma <= 8/5"], bound="(1-gamma/4)**2", initial="value", performance="value")),
    ("GD one step, f(x1)-f* <= (1-gamma mu)^2 (f(x0)-f*), all 0<mu<L=1, gamma<=2/(L+mu)",
     dict(method="gd", kind="sc", free={"gamma": [F(k, 8) for k in range(1, 9)], "mu": [F(1, k) for k in (2, 3, 4, 5, 6, 8)]},
          fixed={"L": 1}, region=["mu < 1", "gamma <= 2/(1+mu)"], bound="(1-gamma*mu)**2", initial="value",
          performance="value")),
    ("DIANA one step, n=1, omega=1: E Psi1 <= (1-gamma mu) Psi0, all gamma <= 1/((1+6 omega)L) = 1/7, mu=1/10",
     dict(method="diana", kind="sc", free={"gamma": [F(k, 84) for k in range(1, 13)]},
          fixed={"L": 1, "mu": F(1, 10), "omega": 1}, region=["gamma <= 1/7"], bound="1 - gamma/10",
          initial="potential", performance="potential")),
    ("DIANA one step, n=1: E Psi1 <= (1-gamma mu) Psi0 at the theorem's step gamma = 1/((1+6 omega)L), all omega > 0",
     dict(method="diana", kind="sc", free={"omega": [F(1, 8), F(1, 4), F(1, 3), F(1, 2), F(2, 3), 1, F(3, 2), 2, 3, 4, 5, 7,
                                                     10, 15, 20, 30]},
          fixed={"L": 1, "mu": F(1, 10)}, region=[], bound="1 - 1/(10*(1 + 6*omega))", initial="potential",
          performance="potential")),
    ("EF21 one step, PL, delta=3/4, mu=1/4: Psi1 <= (1-gamma mu) Psi0, all gamma <= 1/4",
     dict(method="ef21", kind="pl", free={"gamma": [F(k, 40) for k in range(1, 11)]},
          fixed={"L": 1, "mu": F(1, 4), "delta": F(3, 4)}, region=["gamma <= 1/4"], bound="1 - gamma/4",
          initial="potential", performance="potential")),
    ("DCSGD one step, PL: E f(x1)-f* <= (1-2 mu gamma+mu L gamma^2(1+omega))(f0-f*), gamma(1+omega)<=1",
     dict(method="dcsgd", kind="pl", free={"gamma": [F(k, 16) for k in range(1, 9)], "omega": [F(1, 2), 1, 2, 3, 5, 7]},
          fixed={"L": 1, "mu": F(1, 4), "agents": 1}, region=["gamma*(1+omega) <= 1"],
          bound="1 - gamma/2 + gamma**2*(1+omega)/4", initial="value", performance="value")),
    ("DCSGD one step, F_(mu,L): E||x1-x*||^2 <= (1-2 gamma mu+gamma^2 mu^2(1+omega))||x0-x*||^2, gamma(1+omega)<=1",
     dict(method="dcsgd", kind="sc", free={"gamma": [F(k, 16) for k in range(1, 9)], "omega": [F(1, 2), 1, 2, 3, 5, 7]},
          fixed={"L": 1, "mu": F(1, 4), "agents": 1}, region=["gamma*(1+omega) <= 1"],
          bound="1 - gamma/2 + gamma**2*(1+omega)/16", initial="distance", performance="distance")),
]


def parametric_table() -> None:
    from theorylab.claims.worst_case.parametric import prove_for_all

    print()
    print("| parametric claim | verdict | samples | certificate size (fitted multipliers) | symbolic checks | time (s) |")
    print("|---|---|---|---|---|---|")
    for label, kw in PARAMETRIC:
        t0 = time.perf_counter()
        v = prove_for_all(kw.pop("method"), kw.pop("kind"), **kw)
        dt = time.perf_counter() - t0
        scope = "at the samples only" if "at these parameter values" in v.found else "for all parameters"
        size = len(v.numbers["multipliers (fitted)"]) if "multipliers (fitted)" in v.numbers else "-"
        print(f"| {label} | {v.status.value} ({scope}) | {v.numbers.get('samples')} | {size} | "
              f"{v.numbers.get('symbolic checks', '-')} | {dt:.2f} |")


if __name__ == "__main__":
    main()
