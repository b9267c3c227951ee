"""Theorems 2–4 re-derived by sympy (Compagnoni et al. 2025), via :mod:`theorylab.symbolic.derivations`.

Each derivation lists its steps (proved by sympy, a named assumption, or refuted with a
counterexample) and whether its result equals the theorem's statement. The verdict here:
``proved`` when every step is proved or a named assumption and the result equals the
statement; ``refuted`` when a step is refuted (the statement is then not a consequence of
the derivation, even if the final formula matches) or the result differs.
"""

from __future__ import annotations

import sympy as sp

from theorylab.symbolic import derivations as der

from ..check import check
from ..verdict import Verdict, holds, inconclusive, proved, refuted

SRC = "Compagnoni et al. (2025),"


def _step_parts(dv: der.Derivation) -> dict[str, Verdict]:
    """Each step of the derivation as a part (for ``--explain``): a sympy-proved step is ``proved``
    (engine sympy), a named assumption ``holds (assumed ...)`` (engine ``assumed``), a refuted one
    ``refuted``, anything else ``inconclusive``."""
    parts: dict[str, Verdict] = {}
    for i, s in enumerate(dv.steps, 1):
        key = f"step {i}: {s.justification}"
        claim = str(s.statement)
        used = (s.assumption.name,) if s.assumption is not None else ()
        if s.status == "proved":
            parts[key] = proved(claim, s.check, engine="sympy", assumptions_used=used)
        elif s.status == "assumed":
            parts[key] = holds(claim, s.check, confidence=None, test="assumed (named hypothesis)", engine="assumed",
                               assumptions_used=used)
        elif s.status == "refuted":
            parts[key] = refuted(claim, s.check, counterexample=s.check)
        else:
            parts[key] = inconclusive(claim, s.check, needs=f"a proof of step {i}")
    return parts


def _judge(dv: der.Derivation, target_factor: float | str, claimed: str) -> Verdict:
    import dataclasses

    v = _judge_steps(dv, target_factor, claimed)
    used = tuple(dict.fromkeys([a.name for a in dv.assumptions]
                               + [s.assumption.name for s in dv.steps if s.status == "assumed" and s.assumption]))
    return dataclasses.replace(v, parts=_step_parts(dv), engine="sympy (steps) and named assumptions",
                               assumptions_used=used)


def _judge_steps(dv: der.Derivation, target_factor: float | str, claimed: str) -> Verdict:
    """``refuted`` when the derived result differs from the (scaled) statement or a step is refuted,
    ``inconclusive`` when a step is neither proved nor a named assumption, else ``proved``.
    Each non-proved verdict names the first step that is not established."""
    fac = sp.nsimplify(target_factor)
    matches = dv.matches_target if fac == 1 else (
        dv.target is not None and sp.simplify(dv.result - fac * dv.target) == 0)
    assumed = [s.justification for s in dv.steps if s.status == "assumed"]
    refuted_steps = [(i + 1, s) for i, s in enumerate(dv.steps) if s.status == "refuted"]
    unproved = [(i + 1, s) for i, s in enumerate(dv.steps) if s.status == "unproved"]
    nums = {"steps": len(dv.steps), "assumed": len(assumed), "refuted_steps": len(refuted_steps),
            "unproved_steps": len(unproved), "result_equals_statement": bool(matches)}
    notes = "; ".join(dv.notes) + (f" Named assumptions used: {assumed}." if assumed else "")
    if not matches:
        tgt = None if dv.target is None else fac * dv.target
        named = refuted_steps[0] if refuted_steps else None
        where = f"step {named[0]} ({named[1].justification}): {named[1].check}; " if named else ""
        return refuted(claimed, f"{where}derived {dv.result} ≠ stated {tgt}",
                       counterexample={"step": named[0] if named else None, "derived": str(dv.result),
                                       "stated": str(tgt)}, numbers=nums, notes=notes)
    if refuted_steps:
        i, s = refuted_steps[0]
        return refuted(claimed, f"the result matches the statement but step {i} fails: {s.check}",
                       counterexample={"step": i, "statement": str(s.statement), "check": s.check},
                       numbers=nums, notes=notes)
    if unproved:
        i, s = unproved[0]
        return inconclusive(claimed, f"step {i} ({s.justification}) is not established: {s.check}",
                            needs=f"a proof of step {i}: {s.statement}", numbers=nums, notes=notes)
    return proved(claimed, f"{len(dv.steps)} steps proved or named assumptions; derived result = statement",
                  numbers=nums, notes=notes)


@check(
    id="poster.theorem3-derivation",
    source=SRC + " Theorem 3 (DCSGD PL bound); docs/theory.md#pl-bounds",
    statement="Theorem 3 follows from Theorem 1's SDE: Itô's generator, PL, smoothness and the trace bound give "
    "m' <= −2μΔm + c, whose solution is the stated bound",
    expression="bound == gap0*exp(-2*mu*Delta*t) + (1 - exp(-2*mu*Delta*t))*eta*L*d/(4*mu*N)*sigma**2/B*(1+omega)/Delta",
    method="symbolic",
    cost=(2.0, 2.0),
)
def theorem3_derivation(mode: str = "quick", *, target_factor: float | str = 1) -> Verdict:
    return _judge(der.theorem3_derivation(), target_factor, "Theorem 3 is derived from Theorem 1")


@check(
    id="poster.theorem4-derivation-ellA",
    source=SRC + " Theorem 4 (DSignSGD PL bound), ℓ_ν candidate A; docs/theory.md#pl-bounds",
    statement="Theorem 4 with ℓ_ν = 2M_ν follows from Theorem 2's SDE (drift lower bound 2Ξ_ν(y)y >= ℓ_ν y² needed)",
    expression="2*Xi(nu, y)*y >= 2*M(nu)*y**2 for all y  =>  stated bound",
    method="symbolic",
    cost=(1.0, 1.0),
)
def theorem4_derivation_A(mode: str = "quick", *, target_factor: float | str = 1, candidate: str = "A") -> Verdict:
    return _judge(der.theorem4_derivation(candidate), target_factor,
                  f"Theorem 4 (ℓ candidate {candidate}) is derived from Theorem 2")


@check(
    id="poster.theorem4-derivation-ellB",
    source=SRC + " Theorem 4 (DSignSGD PL bound), ℓ_ν candidate B; docs/theory.md#pl-bounds",
    statement="Theorem 4 with ℓ_ν = 2Ξ_ν(R)/R follows from Theorem 2's SDE on the region |Σ^{-1/2}∇f| <= R "
    "(Ξ_ν(y)/y decreasing, so 2Ξ_ν(y)y >= ℓ_ν y² there)",
    expression="2*Xi(nu, y)*y >= (2*Xi(nu, R)/R)*y**2 for |y| <= R  =>  stated bound",
    method="symbolic",
    cost=(1.0, 1.0),
)
def theorem4_derivation_B(mode: str = "quick", *, target_factor: float | str = 1) -> Verdict:
    return _judge(der.theorem4_derivation("B"), target_factor, "Theorem 4 (ℓ = 2Ξ_ν(R)/R) is derived from Theorem 2")


@check(
    id="poster.theorem2-student-t-form",
    source=SRC + " Theorem 2 (DSignSGD SDE); docs/theory.md#sdes",
    statement="The Student-t form of Theorem 2 (drift −(2/N)ΣΞ_ν(Σ^{-1/2}∇f), diffusion I − (4/N)Σdiag(Ξ_ν²)) "
    "follows from its general form, per coordinate; Gaussian: erf",
    expression="1 - 2*P(g + sigma*Z < 0) == 2*Xi(nu, g/sigma); Var(sign) = 1 - 4*Xi**2",
    method="symbolic",
    cost=(1.0, 1.0),
)
def theorem2_form(mode: str = "quick", *, target_factor: float | str = 1) -> Verdict:
    return _judge(der.theorem2_derivation(), target_factor, "Theorem 2's Student-t form follows from its general form")
