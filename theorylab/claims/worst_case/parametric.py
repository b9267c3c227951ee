"""Certificates for all parameters: fit the multipliers as rational functions, verify symbolically.

For a one-step (Lyapunov) statement the certificate's multipliers are functions of the
parameters (L, μ, γ, ω, ...). :func:`prove_for_all`

1. finds an exact certificate (:mod:`.certificate`) at each sample point of a grid inside the
   stated region;
2. fits each multiplier by a rational function ``P/Q`` of the free parameters (monomials up to a
   total degree, exact linear algebra over the rationals, the lowest degree that reproduces
   every sample with samples to spare);
3. builds the PEP *symbolically* (the same method code, coefficients sympy expressions) and
   checks, for every parameter of the region: the combination has no term in the function
   values (an identity, by ``cancel``), multipliers ≥ 0, the claimed bound ≥ the certificate's
   constant, and the residual matrix PSD (it vanishes on the translation direction, and every
   principal minor of the rest is ≥ 0), each sign condition decided by
   :func:`prove_nonnegative_over_region`.

When the fit or a check fails, the verdict is "proved at these parameter values" (each sample's
exact certificate), never "for all".
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from ..verdict import Verdict, inconclusive, proved

__all__ = ["prove_for_all", "prove_nonnegative_over_region", "fit_rational"]


def prove_nonnegative_over_region(expr: Any, symbols: Sequence[sp.Symbol], region: Sequence[Any],
                                  timeout_ms: int = 20000) -> bool | None:
    """True when ``expr ≥ 0`` (and defined) at every point of ``region`` (sympy relations; the free
    parameters are the positive ``symbols``); False when a point is found where it fails or is
    undefined (re-checked exactly); None when the decision procedure cannot decide it ("unknown"
    is never taken as a proof). Decided by the claims' real-arithmetic decision procedure
    (:func:`theorylab.claims.decision.prove_nonnegative`), the one place signs are decided."""
    from ..decision import prove_nonnegative

    e = sp.cancel(sp.together(sp.sympify(expr)))  # safe: a library-built sympy expression
    if e == 0:
        return True
    d = prove_nonnegative(e, list(region), symbols, timeout=timeout_ms / 1000.0)
    if d.status in ("proved", "vacuous"):
        return True
    if d.status in ("refuted", "undefined"):
        return False
    return None


def _monomials(syms: Sequence[sp.Symbol], degree: int) -> list[sp.Expr]:
    out: list[sp.Expr] = []
    for d in range(degree + 1):
        for combo in itertools.combinations_with_replacement(syms, d):
            out.append(sp.Mul(*combo))
    return out


def fit_rational(points: Sequence[Mapping[sp.Symbol, Fraction]], values: Sequence[Fraction],
                 syms: Sequence[sp.Symbol], max_degree: int = 3) -> sp.Expr | None:
    """A rational function ``P/Q`` (monomials up to ``max_degree``) through every sample, exact;
    the lowest degree that leaves at least two samples to spare; None when none fits."""
    def q(v: Fraction) -> sp.Rational:
        return sp.Rational(v.numerator, v.denominator)

    if all(v == values[0] for v in values):
        return q(values[0])
    for deg_d in range(0, max_degree + 1):
        for deg_n in range(max_degree + 1):
            mn, md = _monomials(syms, deg_n), _monomials(syms, deg_d)
            unknowns = len(mn) + len(md)
            if len(points) < unknowns + 1:
                continue
            rows = []
            for pt, y in zip(points, values):
                sub = {s: q(pt[s]) for s in syms}
                rows.append([m.subs(sub) for m in mn] + [-q(y) * m.subs(sub) for m in md])
            ns = sp.Matrix(rows).nullspace()
            for vec in ns:
                P = sum(c * m for c, m in zip(vec[: len(mn)], mn))
                Q = sum(c * m for c, m in zip(vec[len(mn):], md))
                if Q == 0:
                    continue
                f = sp.cancel(P / Q)
                ok = all(sp.simplify(f.subs({s: q(pt[s]) for s in syms}) - q(y)) == 0 for pt, y in zip(points, values))
                if ok:
                    return f
    return None


def prove_for_all(method: Any, kind: str, *, free: Mapping[str, Sequence[Any]], fixed: Mapping[str, Any],
                  region: Sequence[str | Any], bound: Any, initial: str = "distance", performance: str = "value",
                  steps: int = 1, claim: str | None = None, max_degree: int = 4,
                  canonical: bool = True, components: int = 1) -> Verdict:
    """Prove ``performance ≤ bound`` for every parameter in ``region`` (see the module docstring).

    ``kind``: ``sc`` (F_{μ,L}), ``smooth`` or ``pl``; ``free``: each free parameter with its grid
    of sample values; ``fixed``: the other parameters (L, mu, ...) as exact numbers; ``region``:
    sympy relations in the free parameters (library strings are parsed with the free symbols);
    ``bound``: a sympy expression in the free parameters. ``canonical``: replace each sample's
    certificate by :func:`.certificate.canonical` (its constant pinned to the claimed bound, a
    minimal support, the least-norm multipliers), so that a claim with slack or a degenerate
    optimal face still gives multipliers that follow one rational function.
    """
    from . import engine
    from .certificate import assemble
    from .certificate import vertex as canonical_certificate
    from .classes import FunctionClass
    from .methods import get_method

    t0 = time.perf_counter()
    method = get_method(method)
    syms = {k: sp.Symbol(k, positive=True) for k in free}
    loc = dict(syms)
    rel = [sp.sympify(r, locals=loc) if isinstance(r, str) else r for r in region]  # safe: library claim text
    rel = [r for r in rel if r is not sp.true]  # e.g. "omega > 0": the free parameters are positive already
    where = ", ".join(map(str, rel)) or "every positive value of " + ", ".join(free)
    bound = sp.sympify(bound, locals=loc) if isinstance(bound, str) else bound  # safe: library claim text
    fixedq = {k: Fraction(v) if not isinstance(v, Fraction) else v for k, v in fixed.items()}
    what = claim or f"{method.name}: {performance} ≤ {bound} for all {', '.join(free)} with {', '.join(map(str, rel))}"

    # 1. exact certificates on the grid
    pts: list[dict[sp.Symbol, Fraction]] = []
    certs = []
    missed: list[dict[str, str]] = []
    for combo in itertools.product(*(list(v) for v in free.values())):
        pt = {syms[k]: Fraction(v) for k, v in zip(free, combo)}
        sub = {s: sp.Rational(v.numerator, v.denominator) for s, v in pt.items()}
        if not all(bool(r.subs(sub)) for r in rel):
            continue
        p = dict(fixedq)
        p.update({k: pt[syms[k]] for k in free})
        cls = FunctionClass(kind, p.pop("L"), p.pop("mu", Fraction(0)), components)
        params = {"L": cls.L, "mu": cls.mu, **p}
        B = sp.simplify(bound.subs(sub))
        built = engine.build(method, cls, params, steps, initial, performance)
        sol = engine.solve(built)
        from . import _directions, _le

        def meets(c: Any, B: Any = B) -> bool:
            return _le(c, B)

        cert = assemble(built.metrics, sol.constraints, sol.weights, sol.duals, len(built.model.vec_leaves),
                        len(built.model.val_leaves), directions=_directions(sol), target=meets)
        if not (cert.ok and _le(cert.bound, B)):
            # a sample without an exact certificate is left out of the fit; the symbolic proof,
            # when it succeeds, covers it (it covers every point of the region)
            missed.append({k: str(v) for k, v in zip(free, combo)})
            continue
        if canonical:
            pin = Fraction(int(B.p), int(B.q)) if getattr(B, "is_Rational", False) else None
            cert = canonical_certificate(cert, built.metrics, sol.constraints, len(built.model.vec_leaves),
                                         len(built.model.val_leaves), pin=pin)
        pts.append(pt)
        certs.append(cert)
    if not pts:
        return inconclusive(what, "no grid point lies in the region", needs="a grid inside the region")
    at_points = {", ".join(f"{s}={v}" for s, v in pt.items()): f"≤ {c.bound} ({c.size} multipliers)"
                 for pt, c in zip(pts, certs)}
    nums: dict[str, Any] = {"samples": len(pts), "at the samples": at_points}
    if missed:
        nums["samples without an exact certificate (left out of the fit)"] = missed

    def only_points(reason: str) -> Verdict:
        nums["seconds"] = round(time.perf_counter() - t0, 3)
        if missed:
            return inconclusive(what, f"no exact certificate at {len(missed)} sample point(s) and no proof for all "
                                f"parameters ({reason})", needs="exact certificates at every sample, or a fit that "
                                "the symbolic check accepts", numbers=nums)
        return proved(what + " [at the sample points]",
                      f"proved at these parameter values (exact certificate at each of {len(pts)} points); "
                      f"not for all parameters: {reason}", numbers=nums,
                      notes="proved at these parameter values only")

    # 2. fit the multipliers
    ncons = len(certs[0].multipliers)
    if any(len(c.multipliers) != ncons for c in certs):
        return only_points("the constraint lists differ between samples")
    order = [syms[k] for k in free]
    alpha_fit, lam_fit = [], []
    for j in range(len(certs[0].weights)):
        f = fit_rational(pts, [c.weights[j] for c in certs], order, max_degree)
        if f is None:
            return only_points(f"no rational fit of the weight of measure {j + 1}")
        alpha_fit.append(f)
    for k in range(ncons):
        f = fit_rational(pts, [c.multipliers[k] for c in certs], order, max_degree)
        if f is None:
            return only_points(f"no rational fit of the multiplier of {certs[0].names[k]!r}")
        lam_fit.append(f)

    # 3. symbolic verification
    psym: dict[str, Any] = {k: sp.Rational(v.numerator, v.denominator) for k, v in fixedq.items()}
    psym.update(syms)
    cls_s = FunctionClass(kind, psym.pop("L"), psym.pop("mu", sp.Integer(0)), components)
    params_s = {"L": cls_s.L, "mu": cls_s.mu, **psym}
    sb = engine.build(method, cls_s, params_s, steps, initial, performance, symbolic=True)
    cons = sb.model.all_constraints()
    if len(cons) != ncons:
        return only_points("the symbolic PEP has a different constraint list")
    phi_const: Any = sp.Integer(0)
    lin: dict[int, Any] = {}
    quad: dict[tuple[int, int], Any] = {}

    def acc(scalar: Any, w: Any) -> None:
        nonlocal phi_const
        phi_const += w * sp.sympify(scalar.const)  # safe: exact numbers and sympy
        for kk, v in scalar.lin.items():
            lin[kk] = lin.get(kk, 0) + w * v
        for kk, v in scalar.quad.items():
            quad[kk] = quad.get(kk, 0) + w * v

    for a, m in zip(alpha_fit, sb.metrics):
        acc(m, a)
    for lmb, c in zip(lam_fit, cons):
        if lmb != 0:
            acc(c.expr, -lmb)
    checks: dict[str, Any] = {}
    if sp.simplify(sum(alpha_fit) - 1) != 0:
        return only_points("the fitted weights do not sum to 1")
    for kk, v in lin.items():
        if sp.cancel(sp.together(v)) != 0:
            return only_points(f"the fitted combination keeps a term in {sb.model.val_names[kk]}")
    n = len(sb.model.vec_leaves)
    M = sp.zeros(n, n)
    for (i, j), v in quad.items():
        if i == j:
            M[i, i] += -v
        else:
            M[i, j] += -v / 2
            M[j, i] += -v / 2
    M = M.applyfunc(lambda e: sp.cancel(sp.together(e)))
    # translation direction: every position leaf shifted together
    pos = sorted({next(iter(p.ex.coeffs)) for p in sb.starts} | (
        {next(iter(sb.ctx._xs.ex.coeffs))} if sb.ctx._xs is not None else set()))  # noqa: SLF001
    t = sp.Matrix([1 if i in pos else 0 for i in range(n)])
    if any(sp.cancel(e) != 0 for e in M * t):
        return only_points("the residual is not translation invariant")
    drop = pos[0]
    keep = [i for i in range(n) if i != drop]
    Mr = M.extract(keep, keep)
    free_syms = list(syms.values())
    conditions: list[tuple[str, Any]] = []
    for k, (lmb, c) in enumerate(zip(lam_fit, cons)):
        if lmb != 0 and c.kind == "ineq":
            conditions.append((f"multiplier of {c.name} ≥ 0", lmb))
    for j, a in enumerate(alpha_fit):
        conditions.append((f"weight {j + 1} ≥ 0", a))
    conditions.append(("bound − certified constant ≥ 0", bound - phi_const))
    size = Mr.shape[0]
    nz = [i for i in range(size) if any(Mr[i, j] != 0 for j in range(size))]
    for r in range(1, len(nz) + 1):
        for idx in itertools.combinations(nz, r):
            minor = sp.cancel(sp.together(Mr.extract(list(idx), list(idx)).det()))
            if minor != 0:
                conditions.append((f"principal minor {idx} ≥ 0", minor))
    for name, expr in conditions:
        res = prove_nonnegative_over_region(expr, free_syms, rel)
        checks[name] = {True: "proved", False: "fails", None: "unknown"}[res]
        if res is not True:
            nums["symbolic checks"] = checks
            return only_points(f"{name}: z3 answered {checks[name]}")
    nums.update({"multipliers (fitted)": {c.name: str(l) for l, c in zip(lam_fit, cons) if l != 0},
                 "certified bound": str(sp.factor(phi_const)), "symbolic checks": len(checks),
                 "seconds": round(time.perf_counter() - t0, 3)})
    return proved(what, f"proved for all parameters with {where}: multipliers fitted as rational "
                  f"functions from {len(pts)} exact certificates, the identity checked by cancel and "
                  f"{len(checks)} sign conditions decided by z3 over the region", numbers=nums,
                  notes="proved (exact parametric certificate)")
