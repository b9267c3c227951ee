"""The per-round lower bound ``Ω(d/(1+ω))`` is met by Rand-k (Yuan's lecture, Proposition 1; docs/theory.md#communication-cost).

He et al. (NeurIPS 2023), quoted by the lecture: any ``C ∈ U(ω)`` costs ``Ω(d/(1+ω))`` per
round, and the bound is tight, achieved by Rand-k. With Rand-k's declared ``ω = d/k − 1``
(:meth:`RandK.omega`, also symbolically) ``d/(1+ω) = k``: exactly the number of values it
sends (counted on its outputs), and its declared ``bits(d) = 32k + k⌈log₂ d⌉`` is
``d/(1+ω)`` times a factor ``32 + ⌈log₂ d⌉`` that does not depend on ω.
The lower-bound expression comes from :func:`theorylab.symbolic.communication.per_round_lower_bound`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theorylab.symbolic.communication import per_round_lower_bound
from theorylab.symbolic.symbols import d as d_sym
from theorylab.symbolic.symbols import omega as w_sym

from ..check import check
from ..claims import parse
from ..verdict import Verdict, combine, exact_on_instances, proved, refuted

SRC = "Yuan, lecture 'Distributed Machine Learning (Part II)', slide 'Optimal total communication cost' (Proposition 1); docs/theory.md#communication-cost"


@check(
    id="lecture.per-round-bound-randk",
    source=SRC,
    statement="Rand-k meets the per-round lower bound Ω(d/(1+ω)): it sends exactly d/(1+ω) = k values, and its bits "
    "per round are d/(1+ω) times a factor independent of ω",
    expression="nnz(RandK(x)) == d/(1+omega(d)) == k; bits(d)/(d/(1+omega)) independent of k",
    method="exact",
    cost=(1.0, 2.0),
)
def per_round_bound(mode: str = "quick", *, bound: sp.Expr | str | None = None) -> Verdict:
    from theorylab.compressors import from_spec

    lb = per_round_lower_bound() if bound is None else parse(bound)
    parts: dict[str, Verdict] = {}
    # symbolic: d/(1+omega(d)) with the compressor's own symbolic omega
    C5 = from_spec("randk:k=5")
    w5 = C5.omega(d_sym)
    val = sp.simplify(lb.subs(w_sym, w5))
    parts["d/(1+ω) = k (symbolic)"] = (proved("d/(1+ω) = k for every d, at k = 5", f"with ω(d) = {w5}: {val}",
                                              engine="sympy simplify (the compressor's symbolic ω(d))")
                                       if sp.simplify(val - 5) == 0 else
                                       refuted("d/(1+ω) = k", f"with ω(d) = {w5}: bound = {val} ≠ 5 values sent",
                                               counterexample={"k": 5, "bound": str(val)}))
    rng = np.random.default_rng(0)
    dims = (64, 256, 1024) if mode == "quick" else (16, 64, 256, 1024, 4096)
    ratios: dict[int, set[sp.Rational]] = {}
    for dd in dims:
        ks = sorted({1, 4, 16, dd // 4, dd} & set(range(1, dd + 1)))
        for kk in ks:
            C = from_spec(f"randk:k={kk}")
            w = sp.nsimplify(C.omega(sp.Integer(dd)))  # exact: the compressor's declared omega at this d
            need = sp.nsimplify(lb.subs({w_sym: w, d_sym: dd}))
            key = f"d={dd}, k={kk}"
            # a guard on the implementation (Rand-k keeps k coordinates by definition): an output with another
            # support size is an exact counterexample; agreeing samples add nothing to the exact parts
            x = rng.standard_normal((64, dd)) + 0.1
            nnz = np.count_nonzero(C(x, rng), axis=1)
            if not np.all(nnz == kk):
                parts[key] = refuted(key, f"sends {sorted(set(nnz.tolist()))} values, not k", counterexample={"d": dd, "k": kk})
                continue
            ratios.setdefault(dd, set()).add(sp.nsimplify(C.bits(sp.Integer(dd))) / need)
            parts[key] = (exact_on_instances(key, f"k = {kk} values = bound {need} (exact rationals)", f"d = {dd}, k = {kk}")
                          if need == kk else
                          refuted(key, f"sends k = {kk} values but the bound is {need} (ratio {sp.nsimplify(kk / need)})",
                                  counterexample={"d": dd, "k": kk, "omega": str(w), "bound": str(need)}))
    flat = {dd: (min(r), max(r)) for dd, r in ratios.items()}
    for dd, rset in ratios.items():
        key = f"bits/bound constant in ω, d={dd}"
        lo, hi = min(rset), max(rset)
        ks_txt = ", ".join(str(k) for k in sorted({1, 4, 16, dd // 4, dd} & set(range(1, dd + 1))))
        parts[key] = (exact_on_instances(key, f"bits(d)/(d/(1+ω)) = {lo} at every k tried (exact)",
                                         f"d = {dd}, k = {ks_txt}") if len(rset) == 1 else
                      refuted(key, f"bits ratio ranges over [{lo}, {hi}] as k varies: not Θ(bound)",
                              counterexample={"d": dd, "ratio_min": str(lo), "ratio_max": str(hi)}))
    import dataclasses

    v = combine(f"Rand-k meets Ω({lb})", parts, notes="The constant factor is 32 + ⌈log₂ d⌉ bits per kept value "
                "(fp32 value + index); with a shared seed it is 32.")
    return dataclasses.replace(v, numbers={f"bits_ratio_d={dd}": lo for dd, (lo, _) in flat.items()})
