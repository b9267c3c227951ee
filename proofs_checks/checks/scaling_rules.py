"""Scaling rules of DCSGD and DSignSGD (poster 'Scaling Laws: Preserving Performance').

Source: Compagnoni et al. (2025), poster 'Scaling Laws'; docs/theory.md#scaling-rules. Symbolic side from :mod:`theorylab.symbolic.rules` (the
condition ``κ(1 + βω) = αδ`` derived from Theorem 3's level; rows solved for their variable;
implications from derivative signs; :func:`verify_rule` for any proposed rule). The measured
effect is in :mod:`proofs_checks.checks.scaling_measured`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from theorylab.errors import InvalidParameterError
from theorylab.symbolic.rules import SEED_DCSGD_ROWS, derivative_sign, rule_table, verify_rule
from theorylab.symbolic.symbols import alpha, beta, delta, kappa

from ..check import check
from ..claims import parse
from ..verdict import Verdict, combine, inconclusive, proved, refuted

SRC = "Compagnoni et al. (2025), poster 'Scaling Laws: Preserving Performance'"
ANCHOR = "; docs/theory.md#scaling-rules"
FACTORS = (kappa, delta, beta, alpha)


@check(
    id="poster.scaling-rules-dcsgd",
    source=SRC + " (table, six rows)" + ANCHOR,
    statement="Each of the seed's six DCSGD rules (α = 1+βω, α = κ(1+ω), α = (1+ω)/δ, κ = 1/(1+βω), δ = 1+βω, "
    "κ = δ/(1+ω)) keeps DSGD(η, B, N)'s asymptotic level (Δ ≈ 1), with the stated implication",
    expression="level_ratio(dcsgd).subs(row, others = 1) == 1 for each row; sign(d var/d driver) as printed",
    method="symbolic",
    cost=(2.0, 2.0),
)
def scaling_rules_dcsgd(mode: str = "quick", *, rows: Sequence[tuple] | None = None) -> Verdict:
    """``rows``: (variable, expression, driver, (driver direction, variable direction)) to check instead of the seed's."""
    rows = SEED_DCSGD_ROWS if rows is None else [(v, parse(e) if isinstance(e, str) else e, dr, imp) for v, e, dr, imp in rows]
    derived = {(r.variable, r.driver): r for r in rule_table("dcsgd").rows}
    parts: dict[str, Verdict] = {}
    for var, expr, driver, imp in rows:
        key = f"{var} = {expr}"
        fixed = {f: 1 for f in FACTORS if f not in (var, driver)}
        rc = verify_rule("dcsgd", var, expr, fixed)
        if rc.verdict == "refuted":
            parts[key] = refuted(key, f"level ratio = {rc.ratio}", counterexample={**(rc.counterexample or {}),
                                 "level_ratio": rc.ratio_at_counterexample})
            continue
        if rc.verdict != "holds":
            parts[key] = inconclusive(key, f"level ratio {rc.ratio} undecided", needs="a symbolic simplification")
            continue
        # the implication is the sign of d var/d driver over the whole domain (factors, omega > 0), by sympy
        der = sp.simplify(sp.diff(expr.subs(fixed), driver))
        try:
            sign = derivative_sign(expr.subs(fixed), driver)
        except InvalidParameterError:
            sample = der.subs({s_: 1 for s_ in der.free_symbols})
            parts[key] = inconclusive(key, f"keeps the level, but sympy cannot sign d{var}/d{driver} = {der} over the "
                                      f"domain (value {sample} at 1)", needs="a sign sympy can establish")
            continue
        want = imp[0] * imp[1]
        row = derived.get((var, driver))
        if sign != want:
            parts[key] = refuted(key, f"keeps the level but d{var}/d{driver} = {der} has sign {sign} on the whole "
                                 f"domain, the printed implication needs {want}", counterexample={"derivative": str(der)})
        else:
            parts[key] = proved(key, f"level ratio simplifies to 1; d{var}/d{driver} = {der} has sign {sign} for all "
                                "positive factors and omega > 0 (sympy); implication "
                                + (row.implication if row is not None else f"sign {sign}"))
    tb = rule_table("dcsgd")
    import dataclasses

    v = combine("the seed's DCSGD scaling rules", parts,
                notes=f"General condition {tb.condition}; exact (Δ kept): {tb.exact}. Rules keep the asymptotic level "
                "only; the rate Δ changes.")
    return dataclasses.replace(v, numbers={"rows": len(parts), "proved": sum(p.status == "proved" for p in parts.values()),
                                           "condition": str(tb.condition)})


@check(
    id="poster.scaling-rule-dsignsgd",
    source=SRC + " (DSignSGD sentence)" + ANCHOR,
    statement="DSignSGD keeps its level when κ/(α√δ) = 1; the poster prints 'it is enough to ensure that "
    "κ/(α√δ)' and drops the '= 1' (a misprint; docs/theory.md#scaling-rules)",
    expression="level_ratio(dsignsgd).subs(kappa, alpha*sqrt(delta)) == 1",
    method="symbolic",
    cost=(0.5, 0.5),
)
def scaling_rule_dsignsgd(mode: str = "quick", *, rule: sp.Expr | str = alpha * sp.sqrt(delta)) -> Verdict:
    expr = parse(rule)
    rc = verify_rule("dsignsgd", kappa, expr, {})
    claimed = f"κ = {expr} keeps DSignSGD's level"
    note = ("Misprint: the printed condition 'κ/(α√δ)' is not a statement; with '= 1' it is the derived rule "
            f"{rule_table('dsignsgd').condition}.")
    if rc.verdict == "holds":
        return proved(claimed, f"level ratio {rc.ratio} = 1", numbers={"level_ratio": str(rc.ratio)}, notes=note)
    if rc.verdict == "refuted":
        return refuted(claimed, f"level ratio = {rc.ratio}", counterexample={**(rc.counterexample or {}),
                       "level_ratio": rc.ratio_at_counterexample}, numbers={"level_ratio": str(rc.ratio)}, notes=note)
    return inconclusive(claimed, f"ratio {rc.ratio}", needs="simplification", notes=note)
