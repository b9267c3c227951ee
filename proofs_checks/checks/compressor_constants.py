"""Every catalogue compressor's declared constant, checked with the property-testing kit.

Source: the table of compressors and their proven constants in docs/theory.md#compressor-catalogue (each entry cites its paper
for Rand-k, Top-k, QSGD, C_nat, induced). Each compressor of
:func:`theorylab.compressors.catalogue_specs` declares ``unbiased``, ``omega(d)``, ``delta(d)``
once; :func:`theorylab.testing.check_compressor` estimates bias and variance ratios on
adversarial and searched inputs (fixed x, the compressor's own randomness) and gives a
verdict per claim at a stated family-wise false-alarm rate (split here over the catalogue).
A claim scaled down (``omega_factor < 1``, e.g. an ω four times too small) must be refuted.
"""

from __future__ import annotations

from theorylab.compressors import ClassNotApplicableError, catalogue_specs, from_spec
from theorylab.testing import check_compressor

from ..check import check
from ..verdict import Verdict, combine, holds, inconclusive, refuted

SRC = "the papers of each compressor (Alistarh et al. 2017, Horváth et al. 2019, Beznosikov et al. (2020), Horváth & Richtárik (2021)); docs/theory.md#compressor-catalogue"


def _declared(C, d: int, what: str) -> float | None:
    try:
        return float(getattr(C, what)(d))
    except ClassNotApplicableError:
        return None


@check(
    id="catalogue.declared-constants",
    source=SRC,
    statement="Every catalogue compressor satisfies its declared claims (unbiased, U(ω), C(δ)) on adversarial and "
    "searched inputs",
    expression="for each C: E C(x) = x (if unbiased), E||C(x)-x||^2 <= omega ||x||^2, <= (1-delta) ||x||^2",
    method="monte-carlo",
    cost=(20.0, 120.0),
)
def declared_constants(mode: str = "quick", *, omega_factor: float = 1.0, only: tuple[str, ...] | None = None,
                       seed: int = 0, false_alarm: float = 1e-6) -> Verdict:
    dims = (16,) if mode == "quick" else (16, 64)
    parts: dict[str, Verdict] = {}
    nums: dict[str, str] = {}
    todo = [(d, s) for d in dims for s in catalogue_specs(d) if only is None or any(o in s for o in only)]
    alpha = false_alarm / max(1, len(todo))
    unclassed: list[str] = []
    for d, spec in todo:
        C = from_spec(spec)
        w = _declared(C, d, "omega")
        dl = _declared(C, d, "delta")
        kw = {}
        if w is not None and omega_factor != 1.0:
            kw["omega"] = w * omega_factor
        key = f"{spec} (d={d})"
        if not C.unbiased and w is None and dl is None:
            unclassed.append(key)  # declares no class (sign): nothing to check
            continue
        rep = check_compressor(C, d, seed=seed, false_alarm=alpha, search=(mode == "full"), **kw)
        claimed = ", ".join(f"{c.claim}" + (f"={c.value:.4g}" if c.value is not None else "") for c in rep.claims)
        worst = rep.worst.ratio if rep.worst is not None else float("nan")
        nums[key] = (f"ω={'-' if w is None else f'{w:.4g}'}, δ={'-' if dl is None else f'{dl:.4g}'}, "
                     f"worst ratio {worst:.4g}")
        bad = rep.refuted
        if bad:
            c = bad[0]
            parts[key] = refuted(key, f"{c.claim} refuted: {c.detail}",
                                 counterexample={"spec": spec, "d": d, "claim": c.claim, "value": c.value, "x": c.x[:8],
                                                 "estimate": c.estimate, "lower": c.lower, "seed": seed})
        elif all(c.verdict == "holds" for c in rep.claims):
            parts[key] = holds(key, f"{claimed}: all hold (worst ratio {worst:.4g})", confidence=1 - alpha)
        else:
            parts[key] = inconclusive(key, f"{claimed}: {[c.verdict for c in rep.claims]}", needs="more draws")
    import dataclasses

    v = combine("every catalogue compressor meets its declared constants", parts,
                notes=f"theorylab.testing.check_compressor per compressor at family-wise false alarm {false_alarm:g} "
                f"split over {len(todo)} compressors; worst-input search {'on' if mode == 'full' else 'off (quick)'}. "
                f"No declared class (not checked): {unclassed or 'none'}.")
    return dataclasses.replace(v, numbers=nums)
