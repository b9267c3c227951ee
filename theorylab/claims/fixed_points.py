"""Closed-form fixed points and limits of algorithms, decided by sympy.

- :func:`fixed_point`: the claim "``x̂`` is a fixed point of the update ``x ↦ T(x)``" is the
  identity ``T(x̂) = x̂``, checked component by component by :func:`theorylab.claims.identity`
  (proved only when sympy simplifies every difference to 0 under the assumptions, refuted at an
  exact point that satisfies them). With ``attracting=True`` the claim also says the iteration
  converges to it locally: for a scalar update ``|T'(x̂)| < 1`` (two inequalities, each proved by
  :func:`theorylab.claims.inequality`); for a vector update with numeric parameters, the
  spectral radius of the Jacobian at ``x̂`` (exact eigenvalues) is below 1. A modulus above 1
  refutes it (x̂ repels); a modulus exactly 1 refutes it only for an affine update, and leaves a
  nonlinear one inconclusive (``x - eta*x**3`` attracts 0, ``x + eta*x**3`` does not, and both
  have ``T'(0) = 1``).
- :func:`limit`: the claim ``lim_{v → a} expr = L``, with sympy's ``limit`` then the identity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sympy as sp

from ..errors import ClaimError, InvalidParameterError
from .domain import Condition, conditions
from .status import Status
from .symbolic import decimal_readings, declare, identity, inequality, parse, plain_note, unify
from .verdict import Verdict, combine, inconclusive, proved, refuted

__all__ = ["fixed_point", "limit"]


def _state(state: str | Sequence[str] | Sequence[sp.Symbol], names: Mapping[str, sp.Symbol]) -> list[sp.Symbol]:
    items = [state] if isinstance(state, (str, sp.Symbol)) else list(state)
    out = []
    for s in items:
        sym = s if isinstance(s, sp.Symbol) else names.get(str(s), sp.Symbol(str(s), real=True))
        out.append(sym)
    return out


def _vector(value: Any, names: Mapping[str, sp.Symbol], n: int, what: str) -> list[sp.Expr]:
    if isinstance(value, sp.MatrixBase):
        items = list(value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    if len(items) != n:
        raise ClaimError(f"{what} has {len(items)} components, the state has {n}")
    return [parse(v, **names) for v in items]


def fixed_point(update: Callable[..., Any] | Any, claimed: Any, state: str | Sequence[Any], *,
                symbols: Mapping[str, str | sp.Symbol] | None = None, assumptions: Iterable[Any] = (),
                attracting: bool = False, what: str = "the update") -> Verdict:
    """Verdict on "``claimed`` is a fixed point of ``update``" (see the module docstring).

    ``state``: the state's symbol name(s), e.g. ``"x"`` or ``["x1", "x2"]``. ``update``: the
    map, as expression(s) in the state symbols (strings or sympy; one per component) or a
    callable taking the state as a sympy column ``Matrix`` (or the scalar) and returning the new
    state. ``claimed``: the fixed point, expression(s) in the parameters.
    """
    names = declare(symbols)
    xs = _state(state, names)
    names = {**names, **{str(x): x for x in xs}}
    n = len(xs)
    if callable(update) and not isinstance(update, (str, sp.Basic)):
        arg = xs[0] if n == 1 else sp.Matrix(xs)
        new = update(arg)
        T = _vector(new, names, n, "the update's value")
    else:
        T = _vector(update, names, n, "the update")
    # a callable's own sp.symbols("gamma") is the declared gamma: unified by name, so that every
    # part is decided (and every counterexample checked) under the declared assumptions
    T = [unify(t, names) for t in T]
    xhat = [unify(v, names) for v in _vector(claimed, names, n, "the claimed fixed point")]
    at = dict(zip(xs, xhat))
    parts: dict[str, Verdict] = {}
    sym_spec: dict[str, str | sp.Symbol] = {}
    for s in sorted({s for e in T + xhat for s in e.free_symbols}, key=sp.default_sort_key):
        other = sym_spec.setdefault(s.name, s)
        if other != s:  # e.g. the callable's positive gamma and a plain gamma in the claimed point
            raise ClaimError(f"two different symbols are named {s.name!r} in the update and the claimed point "
                             f"(with different assumptions); declare it once with symbols={{{s.name!r}: ...}}")
    sym_spec.update(names)
    # the update's own domain conditions at x̂ (T(x̂) may simplify a denominator away: c - 0/h = c)
    dom = [Condition(cd.relation.xreplace(at), cd.term, cd.exact) for cd in conditions(*T)]
    for i, (ti, xi) in enumerate(zip(T, xhat)):
        label = f"T(x̂)[{i}] = x̂[{i}]" if n > 1 else "T(x̂) = x̂"
        parts[label] = identity(ti.xreplace(at), xi, symbols=sym_spec, assumptions=assumptions,
                                claimed=f"{label}: {ti.xreplace(at)} = {xi}", domain=dom)
    if attracting:
        J = sp.Matrix(T).jacobian(sp.Matrix(xs)).xreplace(at)
        # |T'(x̂)| = 1 decides nothing for a nonlinear update (x - eta*x**3 attracts 0, x + x**2 does
        # not): there only a modulus > 1 refutes; for an affine update a modulus 1 refutes too
        affine = all(sp.simplify(sp.diff(t, a, b)) == 0 for t in T for a in xs for b in xs)
        if n == 1:
            j = sp.simplify(J[0, 0])
            for label, op, wide, bound in (("T'(x̂) < 1", "<", "<=", 1), ("T'(x̂) > -1", ">", ">=", -1)):
                part = inequality(j, op, bound, symbols=sym_spec, assumptions=assumptions)
                if part.status is Status.REFUTED and not affine:
                    outside = inequality(j, wide, bound, symbols=sym_spec, assumptions=assumptions)
                    if outside.status is not Status.REFUTED:
                        part = inconclusive(f"{label}", f"{part.found}; but |T'(x̂)| = 1 there, where the "
                                            "linearization does not decide attraction for a nonlinear update",
                                            needs="the update's higher-order terms at x̂ (a center-manifold or "
                                            "Lyapunov argument)")
                    else:
                        part = outside  # a modulus > 1: repelling
                parts[label] = part
        elif J.free_symbols:
            parts["spectral radius < 1"] = inconclusive(
                "spectral radius of the Jacobian at x̂ < 1", f"Jacobian {J} has free parameters",
                needs="numeric parameter values (the spectral radius is decided for a concrete Jacobian)")
        else:
            # the spectral radius is the largest *modulus* |lambda| (a real eigenvalue -2 makes it 2, not -2)
            from .decision import exact_sign

            eig = list(J.eigenvals())
            mods = [sp.Abs(e) for e in eig]
            signs = [exact_sign(m - 1) for m in mods]
            text = f"eigenvalues of the Jacobian at x̂: {', '.join(map(str, eig))}; moduli " \
                f"{', '.join(str(sp.N(m, 8)) for m in mods)}"
            if all(sg == -1 for sg in signs):
                parts["spectral radius < 1"] = proved("spectral radius < 1", text + " (each modulus < 1, exactly)")
            elif any(sg == 1 for sg in signs) or (affine and any(sg == 0 for sg in signs)):
                worst = next(m for m, sg in zip(mods, signs) if sg in ((0, 1) if affine else (1,)))
                parts["spectral radius < 1"] = refuted("spectral radius < 1", text + f": a modulus {worst} >= 1",
                                                       counterexample={"rho": str(sp.N(worst, 30)),
                                                                       "eigenvalues": [str(e) for e in eig]})
            elif all(sg in (-1, 0) for sg in signs):
                parts["spectral radius < 1"] = inconclusive(
                    "spectral radius < 1", text + ": a modulus is exactly 1, where the linearization does not "
                    "decide attraction for a nonlinear update", needs="the update's higher-order terms at x̂")
            else:
                parts["spectral radius < 1"] = inconclusive("spectral radius < 1", text,
                                                            needs="the sign of |lambda| - 1, which could not be "
                                                            "decided exactly")
    claim = f"{[str(x) for x in xhat] if n > 1 else xhat[0]} is a fixed point of {what}" + \
        (" and attracts the iteration" if attracting else "")
    v = combine(claim, parts, notes=plain_note(*T, *xhat))
    if v.status is Status.PROVED:
        return proved(claim, "; ".join(f"{k}: {p.found}" for k, p in parts.items()), numbers=v.numbers, notes=v.notes)
    return v


def limit(expr: Any, variable: str, to: Any, claimed: Any, *, symbols: Mapping[str, str | sp.Symbol] | None = None,
          assumptions: Iterable[Any] = (), direction: str = "+-", what: str | None = None) -> Verdict:
    """Verdict on ``lim_{variable → to} expr = claimed`` (sympy's ``limit``, then the identity).

    ``direction``: ``"+"`` (from above, printed ``→ a⁺``), ``"-"`` (from below, ``→ a⁻``) or
    ``"+-"`` (both sides)."""
    sides = {"+": "⁺", "-": "⁻", "+-": ""}
    if direction not in sides:
        raise InvalidParameterError(f"direction must be '+', '-' or '+-', got {direction!r}")
    names = declare(symbols)
    e = parse(expr, **names)
    var = next((s for s in e.free_symbols if str(s) == variable), None) or names.get(variable) or sp.Symbol(variable)
    target = parse(to, **names)
    claim_expr = parse(claimed, **names)
    text = f"lim_{{{variable} → {target}{sides[direction]}}} {what or e} = {claim_expr}"
    if direction != "+-":
        text += f" (one-sided, from {'above' if direction == '+' else 'below'})"
    try:
        lim = sp.limit(e, var, target, dir=direction)
    except (NotImplementedError, ValueError) as exc:
        return inconclusive(text, f"sympy could not take the limit: {exc}", needs="a closed form of the limit")
    if isinstance(lim, sp.Limit) or lim.has(sp.AccumBounds) or lim is sp.nan:
        return inconclusive(text, f"sympy returned {lim}", needs="a closed form of the limit")
    sym_spec: dict[str, str | sp.Symbol] = {str(s): s for s in lim.free_symbols | claim_expr.free_symbols}
    v = identity(lim, claim_expr, symbols=sym_spec, assumptions=assumptions, claimed=text)
    readings = [r for x in (expr, to, claimed) for r in decimal_readings(x)]
    if readings:  # the decimals were read (exactly) here, before the identity saw them
        v = dataclasses.replace(v, numbers={**v.numbers, "exact reading": "; ".join(readings)},
                                notes="; ".join(x for x in (v.notes, "decimals read exactly: " + ", ".join(readings)) if x))
    note = plain_note(e, target, claim_expr)
    if note and note not in v.notes:
        v = dataclasses.replace(v, notes="; ".join(x for x in (note, v.notes) if x))
    if v.status is Status.PROVED:
        return proved(text, f"sympy: the limit is {lim}; {v.found}", numbers={"limit": str(lim), **v.numbers},
                      notes=v.notes)
    if v.status is Status.REFUTED:
        return refuted(text, f"sympy: the limit is {lim}, not {claim_expr}",
                       counterexample={"limit": str(lim), **(v.counterexample if isinstance(v.counterexample, dict)
                                                              else {})}, numbers={"limit": str(lim), **v.numbers},
                       notes=v.notes)
    return v
