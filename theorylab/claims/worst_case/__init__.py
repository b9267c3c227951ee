"""Worst case over a whole function class: performance estimation with exact certificates.

``worst_case(method, "smooth-convex", steps=N, bound=..., L=1, ...)`` decides a claim
``measure ≤ bound × initial`` for *every* function of the class, not for the instances one
simulates. The worst case of a fixed-step first-order method is a semidefinite program (a PEP:
Drori & Teboulle 2014; Taylor, Hendrickx & Glineur 2017), formulated with PEPit (Goujaud et
al. 2024) and solved with Clarabel. Its dual is a proof and its primal a worst-case function:

- **proved (exact certificate)**: the solver's multipliers are rounded to rationals, corrected
  exactly onto the certificate's linear conditions, and verified in exact arithmetic
  (multipliers ≥ 0, no term in the function values, residual matrix PSD by an exact LDLᵀ,
  :mod:`.certificate`); the verified bound is ≤ the claimed one;
- **refuted**: the primal worst case becomes rational data in the class (checked exactly), the
  method is replayed on it exactly, and the measure exceeds the bound by the stated margin
  (:mod:`.counterexample`); an explicit function through the data is
  :func:`.classes.interpolant`;
- **inconclusive**: neither could be assembled (the bound is within the solver's accuracy of
  the worst case, or the class is PL, whose conditions are only necessary); both numbers are
  given.

A float SDP value alone is never *proved*.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ...errors import InvalidParameterError, positive_int
from ..verdict import Verdict, inconclusive, proved, refuted
from .classes import CLASSES, FunctionClass, get_class, interpolant
from .methods import METHODS, Method, get_method

__all__ = ["worst_case", "WorstCase", "solve_worst_case", "CLASSES", "METHODS", "get_method", "get_class",
           "interpolant", "Method"]

#: the numbers of the last solve, for plots and reports (method, data, iterates)
@dataclass
class WorstCase:
    verdict: Verdict
    value: float
    certificate: Any = None
    counterexample: Any = None
    solution: Any = None
    seconds: float = 0.0


def _bound_value(bound: Any, params: Mapping[str, Fraction], steps: int) -> Any:
    """The claimed bound as an exact sympy number: a number, or a sympy expression whose symbols
    are parameters (``L``, ``mu``, ``gamma``, ``N`` = steps, ``R``/``Delta`` = 1, ...)."""
    import sympy as sp

    if isinstance(bound, (int, Fraction)):
        return sp.Rational(Fraction(bound).numerator, Fraction(bound).denominator)
    if isinstance(bound, str):
        from .parsing import parse_bound

        bound = parse_bound(bound)
    if isinstance(bound, float):
        raise InvalidParameterError("give the bound exactly (a Fraction, an int or a sympy expression), not a float")
    if not isinstance(bound, sp.Basic):
        raise InvalidParameterError(f"cannot read the bound {bound!r}")
    sub = {"N": steps, "n": steps, "R": 1, "Delta": 1, "D": 1}
    sub.update({k: sp.Rational(v.numerator, v.denominator) for k, v in params.items()})
    vals = {s: sub[s.name] for s in bound.free_symbols if s.name in sub}
    missing = [s.name for s in bound.free_symbols if s.name not in sub]
    if missing:
        raise InvalidParameterError(f"the bound uses {', '.join(sorted(missing))}, which are not parameters of this "
                                    f"analysis (known: {', '.join(sorted(sub))})")
    if bound.atoms(sp.Float):
        raise InvalidParameterError(f"write the bound with exact numbers (1/2, not 0.5): {bound}")
    value = sp.simplify(bound.subs(vals))
    if not value.is_number or not value.is_real:
        raise InvalidParameterError(f"the bound does not evaluate to a real number: {value}")
    return value


def _le(a: Any, b: Any) -> bool:
    import sympy as sp

    d = sp.simplify(b - sp.Rational(a.numerator, a.denominator))
    if d.is_nonnegative is not None:
        return bool(d.is_nonnegative)
    approx = sp.N(d, 60)
    if abs(approx) < sp.Float(10) ** -50:  # undecided: treat as not proved
        return False
    return bool(approx > 0)


def _params(method: Method, cls: FunctionClass, given: Mapping[str, Any]) -> dict[str, Fraction]:
    from .model import exact_params

    p = {"L": cls.L, "mu": cls.mu}
    p.update(exact_params({k: v for k, v in given.items() if k not in ("L", "mu")}))
    unknown = [k for k in p if k not in ("L", "mu") and k not in method.params]
    if unknown:
        raise InvalidParameterError(f"method {method.name!r} has no parameter {unknown[0]!r}; its parameters: "
                                    f"{', '.join(method.params) or 'none'}")
    if "agents" in method.params:  # n agents: one per component of a finite sum, unless given
        p.setdefault("agents", Fraction(cls.components))
    for k, v in method.defaults(p).items():
        p.setdefault(k, v)
    missing = [k for k in method.params if k not in p]
    if missing:
        raise InvalidParameterError(f"method {method.name!r} needs the parameter {missing[0]!r} "
                                    f"({method.params[missing[0]]})")
    return p


def solve_worst_case(method: str | Method, function_class: str | FunctionClass, *, steps: int,
                     bound: Any = None, initial: str = "distance", performance: str = "value",
                     components: int = 1, margin: float = 1e-4, claim: str | None = None,
                     **params: Any) -> WorstCase:
    """Decide ``performance ≤ bound`` over the class after ``steps`` steps (see the module
    docstring); returns the verdict with the certificate or counterexample behind it.

    ``function_class``: a :class:`FunctionClass` or a name of :data:`CLASSES` with ``L``
    (and ``mu``) in ``params``; ``components`` makes it a finite sum. ``params``: the class's
    ``L``/``mu`` and the method's parameters (exact: ints, Fractions, sympy Rationals, decimal
    strings). ``bound``: a number or a sympy expression in the parameters, ``N`` (= steps) and
    ``R`` / ``Delta`` (the initial scale, 1). ``margin``: the relative shrink of the class for the
    counterexample (so that rounding keeps it inside the class).
    """
    import sympy as sp

    from . import engine
    from .certificate import assemble
    from .counterexample import extract

    t0 = time.perf_counter()
    method = get_method(method)
    steps = positive_int("steps", steps)
    if isinstance(function_class, FunctionClass):
        cls = function_class
        if components != 1:
            cls = FunctionClass(cls.kind, cls.L, cls.mu, components)
    else:
        from .model import exact_params

        cp = exact_params({k: params.pop(k) for k in ("L", "mu") if k in params})
        cls = get_class(function_class, cp, components)
    if method.components and cls.components < 2:
        raise InvalidParameterError(f"method {method.name!r} runs on a finite sum: give components >= 2")
    p = _params(method, cls, params)
    B = _bound_value(bound, p, steps) if bound is not None else None
    built = engine.build(method, cls, p, steps, initial, performance)
    sol = engine.solve(built)
    value = sol.value
    what = claim or _claim_text(method, cls, steps, initial, performance, bound, B)
    nums: dict[str, Any] = {"worst case (solver)": value, "claimed bound": str(B) if B is not None else None,
                            "steps": steps, "parameters": {k: str(v) for k, v in p.items()},
                            "SDP seconds": round(sol.seconds, 3)}
    if sol.inaccurate:
        nums["solver"] = "Clarabel reported an inaccurate solution (its value is a hint; verdicts rest on exact checks)"
    upper_only = cls.upper_bounds_only or performance in method.upper_bound_measures
    notes = f"class: {cls.describe()}; method: {method.title} ({method.paper})"
    if upper_only:
        notes += ("; this analysis uses necessary conditions only (an upper-bound model): it can prove a bound but "
                  "a larger worst case does not refute one")
    if B is None:
        v = inconclusive(what, f"worst case {value:.10g} (no bound claimed)", needs="a claimed bound", numbers=nums,
                         notes=notes)
        return WorstCase(v, value, solution=sol, seconds=time.perf_counter() - t0)
    Bf = float(B)
    tol = 1e-6 * max(1.0, abs(Bf))
    cert = None
    if value <= Bf + tol:
        n_vec, n_val = len(built.model.vec_leaves), len(built.model.val_leaves)
        dirs = _directions(sol)
        bq = B
        cert = assemble(built.metrics, sol.constraints, sol.weights, sol.duals, n_vec, n_val,
                        bound=None, directions=dirs, target=lambda c: _le(c, bq))
        if not (cert.ok and _le(cert.bound, B)) and value < Bf - 1e-4 * max(1.0, abs(Bf)):
            # slack: a regularised solve leaves the residual a margin, and its multipliers round safely
            for reps in (Fraction(1, 10**4), Fraction(1, 10**3), Fraction(1, 10**2)):
                try:
                    rb = engine.build(method, cls, p, steps, initial, performance, regularize=reps * Fraction(
                        max(value, 1e-3)).limit_denominator(1000))
                    rs = engine.solve(rb)
                except (InvalidParameterError, RuntimeError):
                    continue
                rc = assemble(built.metrics, sol.constraints, rs.weights, rs.duals, n_vec, n_val,
                              target=lambda c: _le(c, bq))
                if rc.ok and _le(rc.bound, B):
                    rc.attempt += f"; regularised solve (ε = {reps})"
                    cert = rc
                    break
        if cert.ok and _le(cert.bound, B):
            nums.update({"certified bound (exact)": str(cert.bound), "certificate size": cert.size,
                         "multipliers": cert.nonzero(), "rounding": cert.attempt,
                         "seconds": round(time.perf_counter() - t0, 3)})
            found = (f"worst case ≤ {cert.bound} (exact certificate: {cert.size} multipliers, residual PSD by exact "
                     f"LDLᵀ); solver {value:.10g}; claimed {B}")
            v = proved(what, found, numbers=nums, notes=notes + "; proved (exact certificate)")
            return WorstCase(v, value, certificate=cert, solution=sol, seconds=time.perf_counter() - t0)
        nums["certificate"] = cert.reason or (f"verified bound {cert.bound} > claimed" if cert.ok else "none")
        if cert.ok:
            nums["certified bound (exact)"] = str(cert.bound)
    if value > Bf + tol and not upper_only:
        cx_sol = sol
        msolver = None
        for eps in (margin, margin * 10, margin * 100):
            mb = engine.build(method, cls.with_margin(eps), p, steps, initial, performance)
            try:
                msolver = engine.solve(mb)
            except InvalidParameterError:
                continue
            if msolver.primal <= Bf:
                continue
            for den in (10**4, 10**6, 10**10):
                cx = extract(msolver, cls, method, steps, performance, initial, B, max_den=den)
                if cx.ok:
                    break
            if cx.ok and not _le(cx.performance, B):
                nums.update({"counterexample measure": float(cx.performance),
                             "margin over the bound": float(cx.bound_margin), "dimension": cx.dimension,
                             "class margin": eps, "seconds": round(time.perf_counter() - t0, 3)})
                found = (f"a function of the class on which the method reaches {float(cx.performance):.10g} > {B} "
                         f"(exact rational data, replayed exactly; solver worst case {value:.10g})")
                v = refuted(what, found, counterexample=cx.summary(), numbers=nums, notes=notes)
                return WorstCase(v, value, counterexample=cx, solution=msolver, seconds=time.perf_counter() - t0)
            nums.setdefault("counterexample", cx.reason if not cx.ok else "below the bound after rounding")
        if msolver is not None:
            cx_sol = msolver
        del cx_sol
    nums["seconds"] = round(time.perf_counter() - t0, 3)
    relation = "≤" if value <= Bf + tol else ">"
    needs = ("an exact certificate (the solver's multipliers did not round to one)" if relation == "≤"
             else "a counterexample in the class" if not upper_only
             else "an analysis with interpolation conditions (the PL conditions are necessary only)")
    v = inconclusive(what, f"solver worst case {value:.10g} {relation} claimed {B} ({Bf:.10g}); "
                     f"{nums.get('certificate', nums.get('counterexample', ''))}", needs=needs, numbers=nums, notes=notes)
    return WorstCase(v, value, certificate=cert, solution=sol, seconds=time.perf_counter() - t0)


def worst_case(method: str | Method, function_class: str | FunctionClass, *, steps: int, bound: Any,
               initial: str = "distance", performance: str = "value", components: int = 1,
               claim: str | None = None, **params: Any) -> Verdict:
    """The verdict of :func:`solve_worst_case` (the claim helper of :mod:`theorylab.claims`)."""
    return solve_worst_case(method, function_class, steps=steps, bound=bound, initial=initial,
                            performance=performance, components=components, claim=claim, **params).verdict


def _claim_text(method: Method, cls: FunctionClass, steps: int, initial: str, performance: str, bound: Any,
                B: Any) -> str:
    init = {"distance": "‖x0 − x*‖² ≤ 1", "value": "f(x0) − f* ≤ 1", "value-gap": "f(x0) − f(xN) ≤ 1",
            "potential": "potential ≤ 1", "cycle": "a periodic orbit with ‖x0 − x*‖² ≤ 1"}[initial]
    perf = {"value": "f(xN) − f*", "distance": "‖xN − x*‖²", "gradient": "‖∇f(xN)‖²",
            "min-gradient": "min_k ‖∇f(xk)‖²", "potential": "potential after one step"}.get(performance, performance)
    if initial == "cycle":
        perf = "min_k ‖xk − x*‖² on the orbit"
    return (f"{method.name}, {steps} step{'s' if steps > 1 else ''}, on {cls.describe()}: {perf} ≤ {bound} "
            f"(= {B}) whenever {init}")


def _rref(B: Any) -> list[list[float]]:
    import numpy as np

    A = np.array(B, dtype=float)
    if A.size == 0:
        return []
    r, n = A.shape
    row = 0
    for col in range(n):
        if row >= r:
            break
        piv = row + int(np.argmax(np.abs(A[row:, col])))
        if abs(A[piv, col]) < 1e-8:
            continue
        A[[row, piv]] = A[[piv, row]]
        A[row] /= A[row, col]
        for i in range(r):
            if i != row:
                A[i] -= A[i, col] * A[row]
        row += 1
    return [list(a) for a in A[:row]]


def _directions(sol: Any) -> list[list[list[float]]]:
    """Candidate null directions of the certificate's residual, as sets of vectors in a
    rational-friendly form (reduced row echelon): the null space of the solver's own residual
    (PEPit's dual matrix, usually the more accurate), then the range of the centred worst case
    (complementary slackness: the residual vanishes on it)."""
    import numpy as np

    from .counterexample import centered

    out = []
    R = getattr(sol.built.model.pep, "residual", None)
    if R is not None and np.shape(R) == (len(sol.built.model.vec_leaves),) * 2:
        w, U = np.linalg.eigh(np.asarray(R, dtype=float))
        null = w < 1e-6 * max(abs(w).max(), 1e-300)
        if null.any():
            out.append(_rref(U[:, null].T))
    V = centered(sol)
    w, U = np.linalg.eigh(V @ V.T)
    keep = w > 1e-6 * max(w.max(), 1e-300)
    if keep.any():
        out.append(_rref(U[:, keep].T))
    return [d for d in out if d]
