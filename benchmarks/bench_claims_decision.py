"""Benchmark of the claims' decision procedure: seconds per claim for polynomial and rational
statements under polynomial assumptions (each must come out proved or refuted, by z3, within the
10 s budget of one decision), and the whole adversarial soundness suite.

    python benchmarks/bench_claims_decision.py [--json FILE]

Each claim is decided 3 times; the median is reported with its verdict and engine. No timing is
asserted anywhere (tests assert only that these claims are decided).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

CLAIMS = [
    ("x**2 > 0 (x real)", ("x**2", ">", "0"), {"symbols": {"x": "real"}}),
    ("gamma*L < 1 under gamma <= 1/L", ("gamma*L", "<", "1"), {"assumptions": ["gamma <= 1/L"]}),
    ("x**4 - x**2/1000 + 1e-7 > 0", ("x**4 - x**2/1000 + 1e-7", ">", "0"), {"symbols": {"x": "real"}}),
    ("(1 - eta h)^2 + eta^2 omega h^2/N < 1", ("(1 - eta*h)**2 + eta**2*omega*h**2/N", "<", "1"),
     {"symbols": {"h": "positive"}, "assumptions": ["eta*h*(1 + omega/N) < 2"]}),
    ("Young: 2ab <= a^2/c + c b^2", ("2*a*b", "<=", "a**2/c + c*b**2"),
     {"symbols": {"a": "real", "b": "real", "c": "positive"}}),
    ("k <= d under k < d + 1 (integers)", ("k", "<=", "d"), {"assumptions": ["k < d + 1"]}),
    ("Theorem 3's Delta > 0 from the step size", ("1 - eta*L**2*omega/(2*mu*N)", ">", "0"),
     {"assumptions": ["eta < mu*N/(L**2*(omega + 1))"]}),
]


def main(argv: list[str] | None = None) -> int:
    from theorylab.claims import inequality

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    rows = []
    for label, args, kw in CLAIMS:
        times, v = [], None
        for _ in range(3):
            t0 = time.perf_counter()
            v = inequality(*args, **kw)
            times.append(time.perf_counter() - t0)
        assert v is not None
        rows.append({"claim": label, "status": str(v.status), "engine": v.numbers.get("engine", ""),
                     "median_s": round(statistics.median(times), 4)})
        print(f"{label:45s} {v.status!s:12s} {statistics.median(times):8.4f} s  {v.numbers.get('engine', '')}")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
