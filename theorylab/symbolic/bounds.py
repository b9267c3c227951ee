r"""Theorems 3 and 4 (and the single-agent plateaus of the predecessor paper) as :class:`Bound` objects.

All four bounds have the form

.. math::

    \mathbb E[f(X_t) - f^*] \le (f(X_0) - f^*)\,e^{-2\mu\Delta t} + \left(1 - e^{-2\mu\Delta t}\right)\,\mathrm{level},

- ``dcsgd`` (Theorem 3): ``Delta = 1 - eta L^2 omega/(2 mu N)``,
  ``level = (eta L d/(4 mu N)) (sigma^2/B) (1 + omega)/Delta``; needs ``Delta > 0``, i.e.
  ``eta < 2 mu N/(L^2 omega)``. With per-agent ``omega_i`` read ``omega`` as their mean ``varpi``.
- ``dsignsgd`` (Theorem 4): ``Delta = ell_nu sqrt(B)/sigma``,
  ``level = (eta L d/(4 mu N)) (sigma/sqrt(B)) / ell_nu``; ``ell_nu`` is undefined in the
  available text; candidate ``"A"``: ``ell_nu = 2 M_nu``, candidate ``"B"``:
  ``ell_nu = 2 Xi_nu(R)/R`` on ``|Sigma^{-1/2} grad f| <= R``, or ``None`` to keep ``ell`` free.
- ``sgd``: Theorem 3 with ``N = 1``, ``omega = 0``: level ``eta L d sigma^2/(4 mu B)``.
- ``signsgd``: Theorem 4 with ``N = 1``, Gaussian noise (``nu = oo``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from .assumptions import Assumption, check_assumptions, parse_value, plain, validate_params
from .symbols import B, Delta, L, N, R, d, ell, eta, gap0, mu, nu, omega, sigma, symbol_info, t
from .xi import M, Xi

__all__ = ["Bound", "BOUND_NAMES", "ELL_CANDIDATES", "get_bound", "ell_candidate", "bound_form"]

BOUND_NAMES: tuple[str, ...] = ("dcsgd", "dsignsgd", "sgd", "signsgd")
ELL_CANDIDATES: tuple[str, ...] = ("A", "B")


def bound_form(rate: sp.Expr, level: sp.Expr) -> sp.Expr:
    """``gap0 exp(-2 mu rate t) + (1 - exp(-2 mu rate t)) level``."""
    e = sp.exp(-2 * mu * rate * t)
    return gap0 * e + (1 - e) * level


def ell_candidate(which: str | None, nu_: sp.Expr = nu) -> sp.Expr:
    """``ell_nu``: ``"A"`` -> ``2 M_nu``; ``"B"`` -> ``2 Xi_nu(R)/R``; ``None`` -> the free symbol ``ell``."""
    if which is None:
        return ell
    which = str(which).upper()
    if which == "A":
        return 2 * M(nu_)
    if which == "B":
        return 2 * Xi(nu_, R) / R
    raise InvalidParameterError(f"ell candidate must be 'A', 'B' or None, got {which!r}")


def _param(name: str, rel: sp.Basic, statement: str) -> Assumption:
    return Assumption(name, statement, rel)


def _rel(cls: type, lhs: sp.Expr, rhs: sp.Expr) -> sp.Basic:
    """A relation between assumption-free copies of the symbols (stays unevaluated)."""
    return cls(plain(lhs), plain(sp.sympify(rhs)), evaluate=False)  # safe: assumption tables of this package


PL = Assumption("mu-PL", "f is mu-PL: ||grad f(x)||^2 >= 2 mu (f(x) - f*)", kind="hypothesis",
                latex=r"$f$ is $\mu$-PL: $\|\nabla f(x)\|^2 \ge 2\mu\,(f(x) - f^*)$")
SMOOTH = Assumption("L-smooth", "f is L-smooth: grad^2 f <= L I (so ||grad f||^2 <= 2L (f - f*))", kind="hypothesis",
                    latex=r"$f$ is $L$-smooth: $\nabla^2 f \preceq L I$ (so $\|\nabla f\|^2 \le 2L\,(f - f^*)$)")
COMMON = (
    _param("eta > 0", _rel(sp.Gt, eta, 0), "step size eta > 0"),
    _param("L > 0", _rel(sp.Gt, L, 0), "smoothness constant L > 0"),
    _param("mu > 0", _rel(sp.Gt, mu, 0), "PL constant mu > 0"),
    _param("mu <= L", _rel(sp.Le, mu, L), "mu <= L (a mu-PL, L-smooth function has mu <= L)"),
    _param("d >= 1", _rel(sp.Ge, d, 1), "dimension d >= 1"),
    _param("N >= 1", _rel(sp.Ge, N, 1), "number of agents N >= 1"),
    _param("B > 0", _rel(sp.Gt, B, 0), "batch size B > 0"),
    _param("t >= 0", _rel(sp.Ge, t, 0), "time t >= 0"),
    _param("gap0 >= 0", _rel(sp.Ge, gap0, 0), "initial gap f(X_0) - f* >= 0"),
)


@dataclass(frozen=True)
class Bound:
    """A PL bound ``gap0 e^{-2 mu Delta t} + (1 - e^{-2 mu Delta t}) level`` with named assumptions."""

    name: str
    title: str
    source: str
    rate: sp.Expr  # Delta as an expression of the paper's symbols
    level_display: sp.Expr  # level written with the symbol Delta (paper's form)
    assumptions: tuple[Assumption, ...]
    ell_choice: str | None = None
    notes: tuple[str, ...] = ()
    ell_expr: sp.Expr | None = None  # definition of ell_nu (candidate A or B); None: ell stays free
    notes_latex: tuple[str, ...] = ()  # the notes as LaTeX text (math in $...$), one per note, or ()

    @property
    def definitions(self) -> dict[sp.Symbol, sp.Expr]:
        """``{Delta: rate}`` and, with a chosen candidate, ``{ell: ell_nu}``."""
        out = {Delta: self.rate}
        if self.ell_expr is not None:
            out[ell] = self.ell_expr
        return out

    def _resolve(self, e: sp.Expr) -> sp.Expr:
        e = e.subs(Delta, self.rate)
        return e.subs(ell, self.ell_expr) if self.ell_expr is not None else e

    @property
    def rate_expr(self) -> sp.Expr:
        """``Delta`` with ``ell_nu`` substituted."""
        return self._resolve(self.rate)

    @property
    def level(self) -> sp.Expr:
        """The level (coefficient of ``1 - e^{-2 mu Delta t}``) with every definition substituted."""
        return self._resolve(self.level_display)

    @property
    def display(self) -> sp.Expr:
        """The bound in the paper's form, with the symbol ``Delta``."""
        return bound_form(Delta, self.level_display)

    @property
    def expr(self) -> sp.Expr:
        """The bound as an expression of ``t`` and the paper's symbols (``Delta`` substituted)."""
        return self._resolve(self.display)

    @property
    def asymptotic(self) -> sp.Expr:
        """``lim_{t -> oo}`` of the bound (computed by sympy, for ``Delta > 0``)."""
        lim = _asymptotic(self.level_display, self.rate_expr, self.ell_expr)
        if sp.simplify(lim - self.level) != 0:  # pragma: no cover - would be a bug in the level
            raise AssertionError(f"{self.name}: limit {lim} differs from the level {self.level}")
        return self.level

    @property
    def step_size_condition(self) -> sp.Basic | None:
        """The condition on ``eta`` equivalent to ``Delta > 0`` (None when ``Delta`` is free of ``eta``)."""
        if eta not in self.rate.free_symbols:
            return None
        roots = sp.solve(sp.Eq(self.rate, 0), eta)
        if len(roots) != 1:
            return None
        # Delta is affine in eta with slope -L^2 omega/(2 mu N) <= 0: Delta > 0 <=> eta < root
        slope = sp.diff(self.rate, eta)
        if not sp.simplify(slope).is_nonpositive:
            return None
        return sp.Lt(eta, roots[0])

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        """Free symbols of :attr:`expr`, sorted by name."""
        return tuple(sorted(self.expr.free_symbols, key=str))

    def subs(self, values: Mapping[str | sp.Symbol, Any] | None = None, /, *, part: str = "expr",
             **named: Any) -> sp.Expr:
        """``part`` of the bound (``expr``, ``level``, ``rate_expr``, ``asymptotic`` or ``display``) with
        symbols replaced **by name**.

        Keys are names (``omega=3``) or sympy symbols; a symbol is matched by its name, so
        ``sp.Symbol("omega")`` (no assumptions) replaces the library's non-negative ``omega``,
        which plain ``expr.subs`` would silently leave in place (sympy symbols with different
        assumptions are different symbols). Values may be numbers, strings (``"1/3"``,
        ``"inf"``) or sympy expressions. Unknown names, and numbers outside a
        symbol's domain (``omega=-3``, ``d=2.5``), raise :class:`~theorylab.errors.InvalidParameterError`;
        the theorem's assumptions (``Delta > 0``) are not checked (use :meth:`evaluate` for a checked number).
        """
        parts = ("expr", "level", "rate_expr", "asymptotic", "display")
        if part not in parts:
            raise InvalidParameterError(f"part must be one of {', '.join(parts)}, got {part!r}")
        target = getattr(self, part)
        subs = self._values(_by_name(values, named), allow_delta=part == "display")
        validate_params({s: v for s, v in subs.items() if v.is_number})  # domains (omega >= 0, d integer)
        return target.subs(subs)

    def evaluate(self, values: Mapping[str | sp.Symbol, Any] | None = None, /, **named: Any) -> float:
        """Substitute values (by symbol name; ``t=inf`` gives the asymptotic level) and return a float.

        ``values`` may also be a mapping whose keys are names or sympy symbols (matched by name,
        whatever their assumptions: ``{sp.Symbol("omega"): 3}`` sets the library's ``omega``).
        Raises :class:`~theorylab.errors.AssumptionError` naming the violated assumption
        (``"Delta > 0"``, ``"nu > 0"``, ``"sigma >= 0"``, ...) and
        :class:`~theorylab.errors.InvalidParameterError` for unknown or missing symbols and for a
        non-integer value of an integer symbol (``d``, ``N``).
        """
        values = _by_name(values, named)
        subs = self._values(values)
        check_assumptions(self.assumptions, subs)
        asymptotic = subs.get(t) is sp.oo
        target = self.asymptotic if asymptotic else self.expr
        missing = sorted(str(s) for s in target.free_symbols if s not in subs)
        if missing:
            raise InvalidParameterError(
                f"bound {self.name!r}: missing value(s) for {', '.join(missing)}"
                + ("" if asymptotic else " (or give t=inf for the asymptotic level)")
            )
        out = sp.N(target.subs(subs), 17)
        if not out.is_real or not out.is_finite:
            raise InvalidParameterError(f"bound {self.name!r} evaluates to {out} at {values}; expected a finite number")
        return float(out)

    def _values(self, values: Mapping[str, Any], allow_delta: bool = False) -> dict[sp.Symbol, sp.Expr]:
        known = {str(s): s for s in self.expr.free_symbols | {t, gap0}}
        for a in self.assumptions:
            if a.relation is not None:
                for s in a.relation.free_symbols:
                    known.setdefault(str(s), s)
        if allow_delta:
            known["Delta"] = Delta
        else:
            known.pop("Delta", None)
        out: dict[sp.Symbol, sp.Expr] = {}
        for key, val in values.items():
            if key not in known:
                raise InvalidParameterError(
                    f"bound {self.name!r} has no symbol {key!r}; its symbols are {', '.join(sorted(known))}"
                )
            sym = known[key]
            v = parse_value(val)
            if sym.is_integer and v.is_number and v.is_finite and v.is_integer is False:
                raise InvalidParameterError(f"{key} must be an integer ({symbol_info(key).domain}), got {key}={val}")
            out[sym] = v
        return out

    def evaluate_level(self, **values: Any) -> float:
        """The asymptotic level at ``values`` (``t`` is set to infinity)."""
        return self.evaluate(**{**values, "t": math.inf})


def _by_name(values: Mapping[str | sp.Symbol, Any] | None, named: Mapping[str, Any]) -> dict[str, Any]:
    """One ``{name: value}`` dict from a mapping keyed by names or symbols and keyword arguments."""
    out: dict[str, Any] = {}
    for key, val in list((values or {}).items()) + list(named.items()):
        if isinstance(key, sp.Symbol):
            name = key.name
        elif isinstance(key, str):
            name = key
        else:
            raise InvalidParameterError(f"keys must be symbol names or sympy symbols, got {key!r}")
        if name in out:
            raise InvalidParameterError(f"a value for {name!r} is given twice")
        out[name] = val
    return out


@functools.cache
def _asymptotic(level: sp.Expr, rate: sp.Expr, ell_expr: sp.Expr | None) -> sp.Expr:
    dpos = sp.Symbol("Delta_pos", positive=True)
    lim = sp.limit(bound_form(dpos, level.subs(Delta, dpos)), t, sp.oo)
    lim = lim.subs(dpos, rate)
    return sp.simplify(lim.subs(ell, ell_expr) if ell_expr is not None else lim)


@functools.cache
def get_bound(name: str, ell: str | None = "A") -> Bound:
    """The bound ``name`` in ``dcsgd``, ``dsignsgd``, ``sgd``, ``signsgd``; ``ell`` picks ``ell_nu`` (A/B/None)
    of the sign methods (Theorem 4); the other bounds have no ``ell_nu`` and refuse any other than the default."""
    if ell is not None and not isinstance(ell, str):
        raise InvalidParameterError(f"ell must be 'A', 'B' or None, got {type(ell).__name__} {ell!r}")
    if name in ("dcsgd", "sgd") and ell not in (None, "A", "a"):
        raise InvalidParameterError(f"ell={ell!r} applies to dsignsgd and signsgd (Theorem 4's ell_nu); "
                                    f"{name} has no ell_nu: leave ell out")
    if name == "dcsgd":
        return _dcsgd()
    if name == "sgd":
        return _sgd()
    if name == "dsignsgd":
        return _dsignsgd(ell, nu, N, "dsignsgd")
    if name == "signsgd":
        return _dsignsgd(ell, sp.oo, sp.Integer(1), "signsgd")
    raise InvalidParameterError(f"unknown bound {name!r}; expected one of {', '.join(BOUND_NAMES)}")


def _dcsgd() -> Bound:
    rate = 1 - eta * L**2 * omega / (2 * mu * N)
    level = eta * L * d / (4 * mu * N) * sigma**2 / B * (1 + omega) / Delta
    return Bound(
        name="dcsgd",
        title="Theorem 3 (DCSGD, PL bound)",
        source="Compagnoni, Islamov, Proske, Lucchi (AISTATS 2025), Theorem 3; docs/theory.md#pl-bounds",
        rate=rate,
        level_display=level,
        assumptions=(
            PL, SMOOTH,
            Assumption("noise model", "Tr Sigma_i(x) <= d sigma^2 per sample, batch B: covariance Sigma_i/B; "
                       "C_i in U(omega) independent", kind="hypothesis",
                       latex=r"$\operatorname{Tr}\Sigma_i(x) \le d\sigma^2$ per sample; with batch $B$ the "
                       r"covariance is $\Sigma_i/B$; the $\mathcal{C}_i \in \mathbb{U}(\omega)$ are independent"),
            *COMMON,
            _param("sigma >= 0", _rel(sp.Ge, sigma, 0), "noise scale sigma >= 0"),
            _param("omega >= 0", _rel(sp.Ge, omega, 0), "compression rate omega >= 0"),
            Assumption("Delta > 0", "Delta = 1 - eta L^2 omega/(2 mu N) > 0, i.e. eta < 2 mu N/(L^2 omega)",
                       _rel(sp.Gt, Delta, 0), definitions={Delta: rate}),
        ),
        notes=(
            "Bounding the compression term without PL gives the tighter Delta = 1 - eta L omega/(2N); "
            "the two agree when L = mu.",
            "With per-agent omega_i the same proof gives Delta = 1 - eta L^2 varpi/(2 mu N), varpi = mean omega_i "
            "(read omega as varpi).",
        ),
        notes_latex=(
            r"Bounding the compression term without PL gives the tighter $\Delta = 1 - \frac{\eta L \omega}{2N}$; "
            r"the two agree when $L = \mu$.",
            r"With per-agent $\omega_i$ the same proof gives $\Delta = 1 - \frac{\eta L^2 \varpi}{2 \mu N}$, "
            r"$\varpi = \frac{1}{N}\sum_i \omega_i$ (read $\omega$ as $\varpi$).",
        ),
    )


def _sgd() -> Bound:
    level = eta * L * d * sigma**2 / (4 * mu * B)
    return Bound(
        name="sgd",
        title="SGD PL bound (single agent)",
        source="Compagnoni, Islamov, Proske, Lucchi (AISTATS 2025), Theorem 3 with N = 1, omega = 0; docs/theory.md#pl-bounds",
        rate=sp.S.One,
        level_display=level,
        assumptions=(
            PL, SMOOTH,
            Assumption("noise model", "Tr Sigma(x) <= d sigma^2 per sample, batch B", kind="hypothesis",
                       latex=r"$\operatorname{Tr}\Sigma(x) \le d\sigma^2$ per sample, batch $B$"),
            *(a for a in COMMON if a.name != "N >= 1"),
            _param("sigma >= 0", _rel(sp.Ge, sigma, 0), "noise scale sigma >= 0"),
        ),
    )


def _dsignsgd(choice: str | None, nu_: sp.Expr, n_agents: sp.Expr, name: str) -> Bound:
    ell_expr = ell_candidate(choice, nu_)
    rate = ell * sp.sqrt(B) / sigma
    ass: list[Assumption] = [
        PL, SMOOTH,
        Assumption("noise model", "Z ~ sigma t_nu(0, I_d) per sample" + (" (Gaussian, nu = oo)" if nu_ is sp.oo else "")
                   + "; with batch B the convention Sigma_i = sigma^2 I/B", kind="hypothesis",
                   latex=r"$Z \sim \sigma\, t_\nu(0, I_d)$ per sample"
                   + (r" (Gaussian, $\nu = \infty$)" if nu_ is sp.oo else "")
                   + r"; with batch $B$ the convention $\Sigma_i = \sigma^2 I/B$"),
        *(a for a in COMMON if not (a.name == "N >= 1" and n_agents == 1)),
        _param("sigma > 0", _rel(sp.Gt, sigma, 0), "noise scale sigma > 0 (Delta = ell sqrt(B)/sigma)"),
    ]
    if nu_ is not sp.oo:
        ass.insert(3, _param("nu > 0", _rel(sp.Gt, nu, 0), "degrees of freedom nu > 0"))
    if choice is None:
        ass.append(_param("ell > 0", _rel(sp.Gt, ell, 0), "ell_nu > 0"))
    elif str(choice).upper() == "B":
        ass.append(_param("R > 0", _rel(sp.Gt, R, 0), "region radius R > 0"))
        ass.append(Assumption("|Sigma^{-1/2} grad f| <= R",
                              "the trajectory stays in |Sigma^{-1/2} grad f(X_t)| <= R (drift lower bound of "
                              "candidate B holds there)", kind="hypothesis",
                              latex=r"the trajectory stays in $|\Sigma^{-1/2}\nabla f(X_t)| \le R$ (the drift lower "
                              r"bound of candidate B holds there)"))
    defs = {Delta: rate} if choice is None else {Delta: rate, ell: ell_expr}
    ass.append(Assumption("Delta > 0", "Delta = ell_nu sqrt(B)/sigma > 0", _rel(sp.Gt, Delta, 0), definitions=defs))
    label = {None: "ell free", "A": "ell candidate A: 2 M_nu", "B": "ell candidate B: 2 Xi_nu(R)/R"}[
        None if choice is None else str(choice).upper()]
    single = name == "signsgd"
    return Bound(
        name=name,
        title=("SignSGD PL bound (single agent, Gaussian noise)" if single else "Theorem 4 (DSignSGD, PL bound)")
        + f" [{label}]",
        source=("Compagnoni, Islamov, Proske, Lucchi (AISTATS 2025), Theorem 4 with N = 1, nu = oo; docs/theory.md#pl-bounds"
                if single else "Compagnoni, Islamov, Proske, Lucchi (AISTATS 2025), Theorem 4; docs/theory.md#pl-bounds"),
        rate=rate,
        level_display=eta * L * d / (4 * mu * n_agents) * sigma / sp.sqrt(B) / ell,
        assumptions=tuple(ass),
        ell_choice=None if choice is None else str(choice).upper(),
        notes=(
            "ell_nu is defined only in the paper's appendix (Prop C.11), not available; candidate A (2 M_nu) "
            "matches Monte Carlo plateaus near the optimum, candidate B (2 Xi_nu(R)/R) is a drift lower bound "
            "on a bounded region. Since Xi_nu is concave on x > 0, candidate B <= candidate A.",
        ),
        notes_latex=(
            r"$\ell_\nu$ is defined only in the paper's appendix (Prop.~C.11), not available; candidate A "
            r"($2 M_\nu$) matches Monte Carlo plateaus near the optimum, candidate B ($2\,\Xi_\nu(R)/R$) is a drift "
            r"lower bound on a bounded region. Since $\Xi_\nu$ is concave on $x > 0$, candidate B $\le$ candidate A.",
        ),
        ell_expr=None if choice is None else ell_expr,
    )
