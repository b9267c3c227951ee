r"""Scaling rules derived from the asymptotic levels of Theorems 3 and 4.

Scale ``eta -> kappa eta``, ``B -> delta B``, ``omega -> beta omega``, ``N -> alpha N``.

- DCSGD recovers uncompressed DSGD(eta, B, N)'s asymptotic level
  ``eta L d sigma^2/(4 mu N B)`` when (``Delta ~ 1``) ``kappa (1 + beta omega) = alpha delta``;
  keeping ``Delta``: ``alpha = kappa (1 + beta omega)/delta + kappa eta L^2 beta omega/(2 mu N)``.
- DSignSGD keeps its own level when ``kappa = alpha sqrt(delta)`` (the seed prints
  ``kappa/(alpha sqrt(delta))`` and drops the ``= 1``).

Each row of the seed's table is re-derived by solving the condition for the row's variable
with the remaining factors at 1 (the seed's convention), and its implication ("CR up =>
Agents up") is computed from the sign of the derivative of the solution with respect to the
row's driving factor. :func:`verify_rule` checks any proposed rule and returns a
counterexample when it does not keep the level (e.g. ``alpha = beta omega`` instead of
``1 + beta omega``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from ..errors import InvalidParameterError
from .bounds import get_bound
from .symbols import B, Delta, N, alpha, beta, delta, ell, eta, kappa, omega

__all__ = [
    "RuleRow",
    "RuleTable",
    "RuleCheck",
    "FACTOR_NAMES",
    "level_ratio",
    "scaling_condition",
    "exact_rule",
    "rule_table",
    "verify_rule",
    "derivative_sign",
    "SEED_DCSGD_ROWS",
    "SEED_DSIGNSGD_RULE",
]

FACTOR_NAMES: dict[sp.Symbol, str] = {kappa: "LR", delta: "BS", beta: "CR", alpha: "Agents"}
FACTORS = (kappa, delta, beta, alpha)
UP, DOWN = "↑", "↓"

# The seed's rows: (variable solved for, seed's expression, driver, seed's implication (driver dir, var dir)).
SEED_DCSGD_ROWS: tuple[tuple[sp.Symbol, sp.Expr, sp.Symbol, tuple[int, int]], ...] = (
    (alpha, 1 + beta * omega, beta, (1, 1)),  # CR up => Agents up
    (alpha, kappa * (1 + omega), kappa, (1, 1)),  # LR up => Agents up
    (alpha, (1 + omega) / delta, delta, (-1, 1)),  # BS down => Agents up
    (kappa, 1 / (1 + beta * omega), beta, (1, -1)),  # CR up => LR down
    (delta, 1 + beta * omega, beta, (1, 1)),  # CR up => BS up
    (kappa, delta / (1 + omega), delta, (1, 1)),  # BS up => LR up
)
SEED_DSIGNSGD_RULE = sp.Eq(kappa, alpha * sp.sqrt(delta))


def _scale(expr: sp.Expr, with_beta: bool) -> sp.Expr:
    subs = {eta: kappa * eta, B: delta * B, N: alpha * N}
    if with_beta:
        subs[omega] = beta * omega
    return expr.subs(subs, simultaneous=True)


@functools.cache
def level_ratio(method: str = "dcsgd", exact: bool = False) -> sp.Expr:
    """Scaled method's asymptotic level divided by the reference level.

    ``dcsgd``: reference is DSGD(eta, B, N) (Theorem 3 with ``omega = 0``); ``exact=False``
    sets ``Delta = 1``. ``dsignsgd``: reference is DSignSGD(eta, B, N) itself.
    """
    if method == "dcsgd":
        b = get_bound("dcsgd")
        level = b.level_display if not exact else b.level_display.subs(Delta, b.rate)
        if not exact:
            level = level.subs(Delta, 1)
        ref = b.level_display.subs(Delta, 1).subs(omega, 0)
        return sp.simplify(_scale(level, True) / ref)
    if method == "dsignsgd":
        b = get_bound("dsignsgd", None)
        level = b.level_display
        return sp.simplify(_scale(level, False) / level)
    raise InvalidParameterError(f"method must be 'dcsgd' or 'dsignsgd', got {method!r}")


@functools.cache
def scaling_condition(method: str = "dcsgd", exact: bool = False) -> sp.Eq:
    """The condition ``ratio = 1`` in polynomial form (``kappa (1 + beta omega) = alpha delta`` for DCSGD)."""
    r = sp.together(level_ratio(method, exact))
    num, den = sp.fraction(r)
    if method == "dsignsgd":
        # kappa/(alpha sqrt(delta)) = 1
        return sp.Eq(kappa, sp.solve(sp.Eq(r, 1), kappa)[0])
    return sp.Eq(sp.factor(num), sp.factor(den))


@functools.cache
def exact_rule(method: str = "dcsgd", variable: sp.Symbol = alpha) -> sp.Expr:
    """Solve the exact (``Delta`` kept) condition for ``variable``."""
    sols = sp.solve(sp.Eq(level_ratio(method, True), 1), variable)
    if len(sols) != 1:
        raise InvalidParameterError(f"no unique solution for {variable}: {sols}")
    return sp.simplify(sols[0])


@dataclass(frozen=True)
class RuleRow:
    """One scaling rule: ``variable = expr`` (others fixed), its derived implication and the seed's."""

    variable: sp.Symbol
    expr: sp.Expr
    fixed: Mapping[sp.Symbol, int]
    driver: sp.Symbol
    derivative_sign: int
    seed_expr: sp.Expr | None
    seed_implication: tuple[int, int] | None
    reproduced: bool | None
    implication_agrees: bool | None

    @property
    def implication(self) -> str:
        """``"<driver> ↑ ⇒ <variable> ↑/↓"`` from the sign of ``d expr / d driver``."""
        arrow = UP if self.derivative_sign > 0 else DOWN
        return f"{FACTOR_NAMES[self.driver]} {UP} ⇒ {FACTOR_NAMES[self.variable]} {arrow}"

    @property
    def seed_implication_text(self) -> str:
        if self.seed_implication is None:
            return ""
        a, b = self.seed_implication
        return (f"{FACTOR_NAMES[self.driver]} {UP if a > 0 else DOWN} ⇒ "
                f"{FACTOR_NAMES[self.variable]} {UP if b > 0 else DOWN}")


@dataclass(frozen=True)
class RuleTable:
    """Scaling rules of one method: the general condition, the exact one, and the rows."""

    method: str
    condition: sp.Basic
    exact: sp.Basic | None
    rows: tuple[RuleRow, ...]
    notes: tuple[str, ...] = ()
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def all_reproduced(self) -> bool:
        return all(r.reproduced is not False and r.implication_agrees is not False for r in self.rows)


def derivative_sign(expr: sp.Expr, driver: sp.Symbol) -> int:
    """The sign of ``d expr/d driver`` for every positive value of its symbols, established by sympy;
    :class:`~theorylab.errors.InvalidParameterError` when sympy cannot establish one sign."""
    der = sp.simplify(sp.diff(expr, driver))
    # factors and omega are positive (omega > 0 for a compressor that compresses)
    pos = {s: sp.Symbol(str(s), positive=True) for s in der.free_symbols}
    der_pos = sp.factor(sp.cancel(der.xreplace(pos)))
    num, den = sp.fraction(der_pos)
    # a denominator that is a square is positive where the rule is defined (Delta > 0 keeps it non-zero)
    den_sign = 1 if (den.is_positive or den.is_nonnegative) else (-1 if den.is_negative else 0)
    num_sign = 1 if num.is_positive else (-1 if num.is_negative else 0)
    if num_sign and den_sign:
        return num_sign * den_sign
    raise InvalidParameterError(f"sign of d{driver} of {expr} is undetermined: {der}")


def _solve_row(method: str, variable: sp.Symbol, driver: sp.Symbol, exact: bool) -> tuple[sp.Expr, dict]:
    ratio = level_ratio(method, exact)
    present = [f for f in FACTORS if f in ratio.free_symbols]
    fixed = {f: 1 for f in present if f not in (variable, driver)}
    sols = sp.solve(sp.Eq(ratio.subs(fixed), 1), variable)
    if len(sols) != 1:
        raise InvalidParameterError(f"no unique solution for {variable} with {fixed}: {sols}")
    return sp.simplify(sols[0]), fixed


@functools.cache
def rule_table(method: str = "dcsgd", exact: bool = False) -> RuleTable:
    """The scaling rules of ``method`` (``dcsgd``: the seed's six rows; ``dsignsgd``: kappa = alpha sqrt(delta))."""
    rows: list[RuleRow] = []
    if method == "dcsgd":
        for var, seed_e, driver, seed_imp in SEED_DCSGD_ROWS:
            e, fixed = _solve_row(method, var, driver, exact)
            sign = derivative_sign(e, driver)
            reproduced = None if exact else bool(sp.simplify(e - seed_e) == 0)
            agrees = sign == seed_imp[0] * seed_imp[1]
            rows.append(RuleRow(var, e, fixed, driver, sign, seed_e, seed_imp, reproduced, agrees))
        notes = (
            "Rows solve the condition for the row's variable with the other factors at 1, as the seed does.",
            "Implications come from the sign of the derivative of the solution (factors and omega positive).",
            "Both rules keep the asymptotic level only; the rate Delta changes.",
        )
        extra = {"exact_alpha": exact_rule("dcsgd", alpha)}
    elif method == "dsignsgd":
        for var, driver in ((kappa, alpha), (kappa, delta), (alpha, delta), (delta, kappa)):
            e, fixed = _solve_row(method, var, driver, exact)
            sign = derivative_sign(e, driver)
            rows.append(RuleRow(var, e, fixed, driver, sign, None, None, None, None))
        notes = ("The seed prints kappa/(alpha sqrt(delta)) and drops the '= 1': the rule is kappa = alpha sqrt(delta).",
                 "The level of Theorem 4 does not involve Delta, so the exact and approximate rules coincide; "
                 "the speed Delta = ell sqrt(B)/sigma scales by sqrt(delta).",
                 "Rows: general condition solved for each factor with the remaining ones at 1.")
        extra = {}
    else:
        raise InvalidParameterError(f"method must be 'dcsgd' or 'dsignsgd', got {method!r}")
    cond = scaling_condition(method, exact)
    if method == "dsignsgd":
        reproduced = bool(sp.simplify(cond.rhs - SEED_DSIGNSGD_RULE.rhs) == 0)
        extra = {"seed_rule_reproduced": reproduced}
    return RuleTable(method=method, condition=cond,
                     exact=sp.Eq(alpha, exact_rule("dcsgd", alpha)) if method == "dcsgd" else None,
                     rows=tuple(rows), notes=notes, extra=extra)


@dataclass(frozen=True)
class RuleCheck:
    """Verdict on a proposed rule: ``holds`` (the level ratio simplifies to 1) or ``refuted`` with a counterexample."""

    verdict: str
    ratio: sp.Expr
    counterexample: dict[str, float] | None
    ratio_at_counterexample: float | None


def verify_rule(method: str, variable: sp.Symbol, expr: sp.Expr, fixed: Mapping[sp.Symbol, sp.Expr] | None = None,
                exact: bool = False) -> RuleCheck:
    """Does ``variable = expr`` (with ``fixed`` factors) keep the level? Refuted rules come with a counterexample.

    >>> verify_rule("dcsgd", alpha, beta * omega, {kappa: 1, delta: 1}).verdict
    'refuted'
    """
    ratio = level_ratio(method, exact)
    fixed = dict(fixed or {})
    r = sp.simplify(ratio.subs(fixed).subs(variable, expr))
    if sp.simplify(r - 1) == 0:
        return RuleCheck("holds", r, None, None)
    # counterexample: small positive integers for the remaining symbols
    free = sorted(r.free_symbols, key=str)
    for trial in range(1, 6):
        vals = {s: sp.Integer(trial + 1 + i) for i, s in enumerate(free)}
        if s_ell := [s for s in free if s == ell]:
            vals[s_ell[0]] = sp.Integer(1)
        val = r.subs(vals)
        if val.is_number and sp.simplify(val - 1) != 0:
            return RuleCheck("refuted", r, {str(s): float(v) for s, v in vals.items()}, float(val))
    return RuleCheck("inconclusive", r, None, None)


def _rule_doc(tb: RuleTable):  # type: ignore[no-untyped-def]
    from .render import Document

    eqs: list = [("condition (Delta ~ 1)" if tb.method == "dcsgd" else "condition", tb.condition)]
    if tb.exact is not None:
        eqs.append(("exact rule (Delta kept)", tb.exact))
    headers = ["Scaling rule (derived)", "Others at 1", "Implication (sign of derivative)"]
    if tb.method == "dcsgd":
        headers += ["Seed rule", "Reproduced", "Seed implication", "Agrees"]
    rows = []
    for r in tb.rows:
        fixed = ", ".join(f"{s}=1" for s in sorted(r.fixed, key=str)) or "-"
        row = [sp.Eq(r.variable, r.expr), fixed, r.implication]
        if tb.method == "dcsgd":
            row += [sp.Eq(r.variable, r.seed_expr) if r.seed_expr is not None else "",
                    {True: "yes", False: "NO", None: "-"}[r.reproduced],
                    r.seed_implication_text, {True: "yes", False: "NO", None: "-"}[r.implication_agrees]]
        rows.append(row)
    title = {"dcsgd": "Scaling rules of DCSGD recovering DSGD (Theorem 3 levels)",
             "dsignsgd": "Scaling rule of DSignSGD (Theorem 4 level)"}[tb.method]
    return Document(kind="rules", name=f"rules_{tb.method}", title=title,
                    source="Compagnoni et al. 2025, scaling rules (poster table); docs/theory.md#scaling-rules",
                    equations=eqs, table=(headers, rows), notes=list(tb.notes),
                    data={"all_reproduced": tb.all_reproduced, **{k: v for k, v in tb.extra.items()}})


def _register() -> None:
    import importlib

    render = importlib.import_module(f"{__package__}.render")
    render.register_renderer(RuleTable, _rule_doc)
    render.register_objects(lambda: [("rules_dcsgd", rule_table("dcsgd")), ("rules_dcsgd_exact", rule_table("dcsgd", True)),
                                     ("rules_dsignsgd", rule_table("dsignsgd"))])


_register()
