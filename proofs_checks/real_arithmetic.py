"""A real-arithmetic decision for the built-in checks: ``assumptions ⇒ claim`` over the reals.

One small entry point, :func:`decide_real`, so the built-in checks that need a general proof
(rather than instances) can later be routed to the claims engine's own decision procedure. The
statement is polynomial or rational in its symbols; z3's nonlinear real arithmetic (nlsat,
complete for the first-order theory of the reals) decides it:

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
from fractions import Fraction
from typing import Any

import sympy as sp

from theorylab.errors import InvalidParameterError

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


def _to_z3(e: sp.Basic, env: dict[sp.Symbol, Any], dens: list[sp.Expr]) -> Any:
    import z3

    if e is sp.true or e is sp.false:  # a relation sympy already decided (e.g. 0 >= 0)
        return z3.BoolVal(bool(e))
    if isinstance(e, sp.Symbol):
        if e not in env:
            env[e] = z3.Real(e.name)
        return env[e]
    if e.is_Rational:
        return z3.RealVal(f"{e.p}/{e.q}")
    if isinstance(e, sp.Add):
        out = _to_z3(e.args[0], env, dens)
        for a in e.args[1:]:
            out = out + _to_z3(a, env, dens)
        return out
    if isinstance(e, sp.Mul):
        out = _to_z3(e.args[0], env, dens)
        for a in e.args[1:]:
            out = out * _to_z3(a, env, dens)
        return out
    if isinstance(e, sp.Pow) and e.exp.is_Integer:
        base = _to_z3(e.base, env, dens)
        k = int(e.exp)
        if k == 0:
            return z3.RealVal(1)
        pos = base
        for _ in range(abs(k) - 1):
            pos = pos * base
        if k > 0:
            return pos
        dens.append(e.base)
        return 1 / pos
    rel = {sp.StrictGreaterThan: "__gt__", sp.GreaterThan: "__ge__", sp.StrictLessThan: "__lt__",
           sp.LessThan: "__le__", sp.Equality: "__eq__", sp.Unequality: "__ne__"}
    for cls, op in rel.items():
        if isinstance(e, cls):
            return getattr(_to_z3(e.lhs, env, dens), op)(_to_z3(e.rhs, env, dens))
    if isinstance(e, sp.And):
        return z3.And(*[_to_z3(a, env, dens) for a in e.args])
    if isinstance(e, sp.Or):
        return z3.Or(*[_to_z3(a, env, dens) for a in e.args])
    if isinstance(e, sp.Not):
        return z3.Not(_to_z3(e.args[0], env, dens))
    raise InvalidParameterError(f"decide_real handles polynomial and rational statements; got {e.func.__name__}: {e}")


def _exact(value: Any) -> sp.Rational | None:
    import z3

    if z3.is_rational_value(value):
        return sp.Rational(Fraction(value.as_fraction()).numerator, Fraction(value.as_fraction()).denominator)
    return None  # an algebraic number: not rounded


def decide_real(claim: sp.Basic, assumptions: Iterable[sp.Basic] = (), *, timeout_ms: int = 10_000,
                rlimit: int | None = None) -> Decision:
    """Decide ``assumptions ⇒ claim`` for every real value of the free symbols (see the module docstring).

    ``timeout_ms`` bounds z3's time and ``rlimit`` (optional) its deterministic resource count;
    when either runs out the answer is ``unknown``, never ``proved``.

    Symbols are plain reals here: a sign or integrality that the proof needs must be among
    ``assumptions`` (sympy's symbol assumptions are not read, so none is hidden).
    """
    import z3

    assumptions = list(assumptions)  # read twice: for z3 and for the exact re-check
    env: dict[sp.Symbol, Any] = {}
    dens: list[sp.Expr] = []
    hyps = [_to_z3(sp.sympify(a), env, dens) for a in assumptions]  # safe: sympy objects built by the checks
    goal = _to_z3(sp.sympify(claim), env, dens)  # safe: a sympy object built by the check
    den_conds = [_to_z3(sp.Ne(dn, 0), env, []) for dn in dens]
    solver = z3.SolverFor("QF_NRA")
    solver.set("timeout", int(timeout_ms))
    if rlimit is not None:
        solver.set("rlimit", int(rlimit))
    solver.add(*hyps, *den_conds, z3.Not(goal))
    res = solver.check()
    domain = tuple(dict.fromkeys(f"{sp.sstr(dn)} ≠ 0" for dn in dens))
    if res == z3.unsat:
        # the denominators must be nonzero wherever the assumptions hold, or the claim is undefined there
        if dens:
            s2 = z3.SolverFor("QF_NRA")
            s2.set("timeout", int(timeout_ms))
            s2.add(*hyps, z3.Or(*[_to_z3(sp.Eq(dn, 0), env, []) for dn in dens]))
            if s2.check() != z3.unsat:
                return Decision("unknown", domain_conditions=domain,
                                reason="a denominator may vanish where the assumptions hold")
        return Decision("proved", domain_conditions=domain)
    if res == z3.sat:
        m = solver.model()
        point: dict[sp.Symbol, sp.Rational] = {}
        for sym, var in env.items():
            val = m.eval(var, model_completion=True)
            ex = _exact(val)
            if ex is None:
                return Decision("unknown", domain_conditions=domain, reason=f"an algebraic model value for {sym}")
            point[sym] = ex
        # re-check in exact sympy arithmetic: every assumption true, the claim false
        try:
            ok_h = all(bool(sp.sympify(a).subs(point)) for a in assumptions)  # safe: sympy objects
            ok_c = not bool(sp.sympify(claim).subs(point))  # safe: sympy object
        except TypeError:  # undefined at the model (a zero denominator)
            ok_h = ok_c = False
        if ok_h and ok_c:
            return Decision("refuted", {str(k): v for k, v in point.items()}, domain)
        return Decision("unknown", domain_conditions=domain, reason="z3's model failed the exact re-check")
    return Decision("unknown", domain_conditions=domain, reason=f"z3: {solver.reason_unknown()}")
