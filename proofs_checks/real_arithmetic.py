"""A real-arithmetic decision for the built-in checks: ``assumptions ⇒ claim`` over the reals.

One small entry point, :func:`decide_real`, over the claims engine's own decision procedure
(:func:`theorylab.claims.decision.decide`: z3's nonlinear real arithmetic, complete for the
first-order theory of the reals, with exact re-checks). The statement is polynomial or rational
in its symbols:

- ``proved``: ``assumptions ∧ ¬claim`` is unsatisfiable;
- ``refuted``: a model of ``assumptions ∧ ¬claim``, turned into exact rationals and re-checked
  against every assumption and the negated claim in exact sympy arithmetic (an algebraic model
  that is not rational is reported as ``unknown`` rather than rounded);
- ``unknown``: z3 gave up (timeout, or a model it could not turn into exact numbers).

Division is allowed only by expressions the caller's assumptions keep nonzero; each
denominator is returned as a domain condition and added to what z3 must respect (``den ≠ 0``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sympy as sp


__all__ = ["Decision", "decide_real", "ENGINE"]

ENGINE = "z3 nonlinear real arithmetic (nlsat)"


@dataclass(frozen=True)
class Decision:
    """``status`` is ``proved``, ``refuted`` or ``unknown``; ``model`` an exact counterexample (refuted);
    ``domain_conditions`` the denominators that had to be nonzero."""

    status: str
    model: Mapping[str, sp.Rational] = field(default_factory=dict)
    domain_conditions: tuple[str, ...] = ()
    reason: str = ""


def decide_real(claim: sp.Basic, assumptions: Iterable[sp.Basic] = (), *, timeout_ms: int = 10_000) -> Decision:
    """Decide ``assumptions ⇒ claim`` for every real value of the free symbols (see the module docstring).

    ``timeout_ms`` bounds the decision's time; when it runs out the answer is ``unknown``, never
    ``proved``.

    Symbols are plain reals here: a sign or integrality that the proof needs must be among
    ``assumptions`` (sympy's symbol assumptions are not read, so none is hidden).
    """
    from theorylab.claims.decision import decide

    claim = sp.sympify(claim)  # safe: a sympy object built by the check
    assumptions = [sp.sympify(a) for a in assumptions]  # safe: sympy objects built by the checks
    free = set(claim.free_symbols).union(*(a.free_symbols for a in assumptions))
    plain = {s: sp.Symbol(str(s), real=True) for s in free if isinstance(s, sp.Symbol)}
    dec = decide(claim.xreplace(plain), [a.xreplace(plain) for a in assumptions], list(plain.values()),
                 timeout=timeout_ms / 1000.0)
    domain = tuple(dec.domain_conditions)
    if dec.status in ("proved", "vacuous"):
        return Decision("proved", domain_conditions=domain, reason=dec.reason if dec.status == "vacuous" else "")
    if dec.status == "refuted" and dec.model is not None:
        if not all(isinstance(v, sp.Rational) for v in dec.model.values()):
            return Decision("unknown", domain_conditions=domain, reason="an algebraic (irrational) counterexample")
        return Decision("refuted", {str(k): v for k, v in dec.model.items()}, domain)
    if dec.status == "undefined":
        return Decision("unknown", domain_conditions=domain,
                        reason=f"a denominator may vanish where the assumptions hold ({dec.reason})")
    return Decision("unknown", domain_conditions=domain, reason=dec.reason or "undecided")
