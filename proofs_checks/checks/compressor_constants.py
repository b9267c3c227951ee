"""Every catalogue compressor's declared constant, checked with the property-testing kit.

Sources: Alistarh et al. 2017 (QSGD), Wen et al. 2017 (TernGrad), Horváth et al. 2019
(natural compression and dithering), Stich et al. 2018 and Beznosikov et al. 2023 (Rand-k,
Top-k), Karimireddy et al. 2019 (scaled sign), Horváth & Richtárik 2021 (induced); the
table in docs/theory.md#compressor-catalogue. Each compressor of :func:`theorylab.compressors.catalogue_specs`
declares ``unbiased``, ``omega(d)``, ``delta(d)`` once; :func:`theorylab.testing.check_compressor`
estimates bias and variance ratios on adversarial inputs (fixed x, the compressor's own
randomness) and gives a verdict per claim at a stated family-wise false-alarm rate (split
here over the catalogue). Beside each declared constant the check reports the measured
worst ratio and, where the worst case is known (:func:`theorylab.compressors.worst.worst_case`),
the exact worst ratio W:

- a declared bound below W is wrong: refuted (exactly, at the input that attains W);
- a declared bound above ``LOOSE_FACTOR · W`` is flagged as loose (a finding in the numbers
  and notes; the claim itself still holds).

A claim scaled down (``omega_factor < 1``, e.g. an ω four times too small) must be refuted.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from theorylab.compressors import ClassNotApplicableError, catalogue_specs, from_spec
from theorylab.compressors.worst import worst_case
from theorylab.testing import check_compressor

from ..check import check
from ..verdict import Verdict, combine, holds, inconclusive, refuted

SRC = ("Alistarh et al. 2017; Wen et al. 2017; Horváth et al. 2019; Stich et al. 2018; Karimireddy et al. 2019; "
       "Beznosikov et al. (2020); Horváth & Richtárik (2021); docs/theory.md#compressor-catalogue")
LOOSE_FACTOR = 1.25  # a declared bound more than 25% above the exact worst case is flagged as loose


def _declared(C, d: int, what: str) -> float | None:
    try:
        return float(getattr(C, what)(d))
    except ClassNotApplicableError:
        return None


@check(
    id="catalogue.declared-constants",
    source=SRC,
    statement="Every catalogue compressor satisfies its declared claims (unbiased, U(ω), C(δ)) on adversarial "
    "inputs, and no declared bound is below the exact worst case",
    expression="for each C: E C(x) = x (if unbiased), E||C(x)-x||^2 <= omega ||x||^2, <= (1-delta) ||x||^2; "
    "declared bound >= sup_x ratio",
    method="monte-carlo",
    cost=(20.0, 120.0),
)
def declared_constants(mode: str = "quick", *, omega_factor: float = 1.0, only: tuple[str, ...] | None = None,
                       seed: int = 0, false_alarm: float = 1e-6, loose_factor: float = LOOSE_FACTOR) -> Verdict:
    dims = (16,) if mode == "quick" else (16, 64)
    draws: dict[str, Any] = {"n_draws": 1000, "n_focus": 4000} if mode == "quick" else {}
    parts: dict[str, Verdict] = {}
    nums: dict[str, str] = {}
    todo = [(d, s) for d in dims for s in catalogue_specs(d) if only is None or any(o in s for o in only)]
    alpha = false_alarm / max(1, len(todo))
    unclassed: list[str] = []
    loose: list[str] = []
    for d, spec in todo:
        C = from_spec(spec)
        w = _declared(C, d, "omega")
        dl = _declared(C, d, "delta")
        kw: dict[str, Any] = {}
        if w is not None and omega_factor != 1.0:
            kw["omega"] = w * omega_factor
        key = f"{spec} (d={d})"
        if not C.unbiased and w is None and dl is None:
            unclassed.append(key)  # declares no class (sign): nothing to check
            continue
        exact = worst_case(C, d)
        extra = [exact[1]] if exact is not None else None  # the input attaining the worst case is tried too
        rep = check_compressor(C, d, seed=seed, false_alarm=alpha, search=(mode == "full"), inputs=extra,
                               **draws, **kw)
        claimed = ", ".join(f"{c.claim}" + (f"={c.value:.4g}" if c.value is not None else "") for c in rep.claims)
        ok = [r for r in rep.inputs if r.status == "ok"]
        worst = max((r.ratio for r in ok), default=float("nan"))
        worst_lo = max((r.ratio_lower for r in ok), default=float("nan"))
        bounds = [c.bound for c in rep.claims if c.bound is not None]
        bound = min(bounds) if bounds else None
        text = (f"ω={'-' if w is None else f'{w:.4g}'}, δ={'-' if dl is None else f'{dl:.4g}'}, "
                f"measured worst ratio {worst:.4g} (largest lower limit {worst_lo:.4g})")
        if exact is not None:
            W, xw, how = exact
            at = next((r for r in ok if r.label == "input_0"), None)
            text += f", exact worst {W:.4g} ({how})"
            if at is not None:
                text += f", measured there {at.ratio:.4g} [{at.ratio_lower:.4g}, {at.ratio_upper:.4g}]"
            if bound is not None and W > 0 and bound > loose_factor * W:
                text += f", LOOSE: declared {bound:.4g} = {bound / W:.3g} x the worst case"
                loose.append(f"{key}: {bound / W:.3g}x")
        nums[key] = text
        bad = rep.refuted
        if exact is not None and bound is not None and bound < exact[0] * (1 - 1e-9) - 1e-12:
            W, xw, how = exact
            parts[key] = refuted(key, f"declared bound {bound:.6g} < exact worst ratio {W:.6g} ({how})",
                                 counterexample={"spec": spec, "d": d, "bound": bound, "worst": W, "x": xw[:8].tolist()})
        elif bad:
            c = bad[0]
            parts[key] = refuted(key, f"{c.claim} refuted: {c.detail}",
                                 counterexample={"spec": spec, "d": d, "claim": c.claim, "value": c.value, "x": c.x[:8],
                                                 "estimate": c.estimate, "lower": c.lower, "seed": seed})
        elif all(c.verdict == "holds" for c in rep.claims):
            parts[key] = holds(key, f"{claimed}: all hold (measured worst ratio {worst:.4g})", confidence=1 - alpha)
        else:
            parts[key] = inconclusive(key, f"{claimed}: {[c.verdict for c in rep.claims]}", needs="more draws")
    v = combine("every catalogue compressor meets its declared constants", parts,
                notes=f"theorylab.testing.check_compressor per compressor at family-wise false alarm {false_alarm:g} "
                f"split over {len(todo)} compressors; worst-input search {'on' if mode == 'full' else 'off (quick)'}. "
                f"Declared bounds more than {loose_factor:g}x the exact worst case (loose): {loose or 'none'}. "
                f"No declared class (not checked): {unclassed or 'none'}.")
    return dataclasses.replace(v, numbers=nums)
