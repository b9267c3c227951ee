"""Exact dual certificates of a PEP: rounding the solver's multipliers and checking them exactly.

The PEP maximises ``min_j m_j`` (the performance measures) subject to constraints ``e_k ≤ 0``
(initial condition, interpolation conditions, oracle conditions) over Gram matrices ``G ⪰ 0``
and function values ``F``. A certificate is a set of weights ``α_j ≥ 0`` with ``Σ α_j = 1`` and
multipliers ``λ_k ≥ 0`` such that

    Φ = Σ_j α_j m_j − Σ_k λ_k e_k  =  c − <M, G>     with no term in F and  M ⪰ 0.

Then on every feasible point ``min_j m_j ≤ Σ α_j m_j ≤ Φ = c − <M, G> ≤ c`` (since
``λ_k e_k ≤ 0`` and ``<M, G> ≥ 0``): ``c`` is a proved bound. :func:`verify` checks all of
this in exact rational arithmetic (``M ⪰ 0`` by :func:`~.exact.ldl_psd`); :func:`assemble`
turns the solver's float multipliers into candidates (rational rounding at several
denominators, then the exact least-norm correction onto ``Σα = 1`` and "no term in F") and
returns the first that :func:`verify` accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .exact import PsdResult, Scalar, ldl_psd, rational_near, rationalize, solve_affine

__all__ = ["Certificate", "verify", "assemble"]


@dataclass
class Certificate:
    """A checked (or rejected) certificate: ``ok`` with the proved ``bound``, or ``reason``."""

    ok: bool
    bound: Any  # the verified constant (a Fraction), None when none was computed
    weights: list[Fraction]
    multipliers: list[Fraction]
    names: list[str]
    psd: PsdResult | None = None
    reason: str = ""
    attempt: str = ""
    residual: list[list[Fraction]] = field(default_factory=list)

    @property
    def size(self) -> int:
        """The number of nonzero multipliers (the certificate's size)."""
        return sum(1 for v in self.multipliers if v != 0) + sum(1 for v in self.weights if v != 0)

    def nonzero(self) -> dict[str, str]:
        out = {f"performance metric {j + 1}": str(a) for j, a in enumerate(self.weights) if a != 0 and len(self.weights) > 1}
        out.update({n: str(v) for n, v in zip(self.names, self.multipliers) if v != 0})
        return out


def _combination(metrics: Sequence[Scalar], constraints: Sequence[Any], alpha: Sequence[Fraction],
                 lam: Sequence[Fraction]) -> Scalar:
    phi = Scalar()
    for a, m in zip(alpha, metrics):
        if a:
            phi = phi + m.scale(a)
    for v, c in zip(lam, constraints):
        if v:
            phi = phi - c.expr.scale(v)
    return phi


def _scatter(x: Sequence[Fraction], a_sup: Sequence[int], l_sup: Sequence[int], n_metrics: int,
             n_constraints: int) -> tuple[list[Fraction], list[Fraction]]:
    """The full weight and multiplier vectors from a solution ``x`` on their supports (the weights
    on ``a_sup`` first, then the multipliers on ``l_sup``); zero elsewhere."""
    alpha = [Fraction(0)] * n_metrics
    lam = [Fraction(0)] * n_constraints
    for j, v in zip(a_sup, x[: len(a_sup)]):
        alpha[j] = v
    for k, v in zip(l_sup, x[len(a_sup):]):
        lam[k] = v
    return alpha, lam


def verify(metrics: Sequence[Scalar], constraints: Sequence[Any], alpha: Sequence[Fraction],
           lam: Sequence[Fraction], n_vec: int, accept: Callable[[Fraction], bool] | None = None) -> Certificate:
    """Check a certificate exactly (see the module docstring); never rounds. With ``accept``, a
    certificate whose constant it rejects is rejected before the (costly) PSD test."""
    alpha = [Fraction(a) for a in alpha]
    lam = [Fraction(v) for v in lam]
    names = [c.name for c in constraints]

    def no(reason: str, psd: PsdResult | None = None, bound: Fraction | None = None) -> Certificate:
        return Certificate(False, bound, alpha, lam, names, psd, reason)

    if len(alpha) != len(metrics) or len(lam) != len(constraints):
        return no("wrong number of multipliers")
    if any(a < 0 for a in alpha):
        return no("a negative weight on a performance measure")
    if sum(alpha) != 1:
        return no(f"the weights of the performance measures sum to {sum(alpha)}, not 1")
    for v, c in zip(lam, constraints):
        if v < 0 and c.kind == "ineq":
            return no(f"negative multiplier {v} on the inequality {c.name!r}")
    phi = _combination(metrics, constraints, alpha, lam)
    if phi.lin:
        return no(f"the combination keeps terms in the function values: {dict(list(phi.lin.items())[:3])}")
    if accept is not None and not accept(phi.const):
        return no(f"its constant {phi.const} does not meet the claim", bound=phi.const)
    M = phi.scale(Fraction(-1)).gram_matrix(n_vec)
    psd = ldl_psd(M)
    if not psd.psd:
        return no(f"the residual matrix is not PSD ({psd.reason})", psd, phi.const)
    return Certificate(True, phi.const, alpha, lam, names, psd, "", residual=M)


def assemble(metrics: Sequence[Scalar], constraints: Sequence[Any], alpha_f: Sequence[float],
             lam_f: Sequence[float], n_vec: int, n_val: int, *, bound: Fraction | None = None,
             directions: Sequence[Sequence[Sequence[float]]] = (),
             target: Callable[[Fraction], bool] | None = None) -> Certificate:
    """The first exactly verified certificate near the solver's multipliers, else the last
    rejection (or the lowest verified bound); a verified bound is good enough when it is ≤ ``bound``
    or ``target(bound)`` holds. ``directions``: sets of numerical null vectors of the residual, each
    set tried as exact constraints ``M u = 0`` after rational rounding."""
    last: Certificate | None = None
    seen: set[tuple[Any, ...]] = set()
    scale = max([abs(float(x)) for x in lam_f] + [1.0])
    attempts = []
    for d, dirs in enumerate(directions):  # tight certificates: the residual vanishes on these directions
        for tol in (1e-6, 1e-4, 1e-8, 1e-3):
            for den in (-7, -5, -9, 100, 10**4, 10**6):  # negative: the simplest rational within 10^den
                attempts.append((tol, den, d))
    for tol in (1e-6, 1e-8, 1e-4):
        for den in (10, 1000, 10**5, 10**8):
            attempts.append((tol, den, -1))
    for tol, den, use_dirs in attempts:
        a_sup = [j for j, a in enumerate(alpha_f) if a > tol]
        l_sup = [k for k, v in enumerate(lam_f) if abs(v) > tol * scale and (v > 0 or constraints[k].kind != "ineq")]
        key = (tuple(a_sup), tuple(l_sup), den, use_dirs)
        if key in seen:
            continue
        seen.add(key)
        def rnd(x: float) -> Fraction:
            return rational_near(x, 10.0 ** den) if den < 0 else rationalize(x, den)

        x0 = [rnd(alpha_f[j]) for j in a_sup] + [rnd(lam_f[k]) for k in l_sup]
        rows, rhs = _equations(metrics, constraints, a_sup, l_sup, n_vec, n_val,
                               directions[use_dirs] if use_dirs >= 0 else (), den)
        x = solve_affine(rows, rhs, x0)
        if x is None:
            continue
        alpha, lam = _scatter(x, a_sup, l_sup, len(metrics), len(constraints))
        accept = target if target is not None else ((lambda c: c <= bound) if bound is not None else None)
        cert = verify(metrics, constraints, alpha, lam, n_vec, accept=accept)
        how = f"simplest rationals within 1e{den}" if den < 0 else f"denominators ≤ {den:g}"
        cert.attempt = f"support tol {tol:g}, {how}" + (f", null directions imposed (set {use_dirs + 1})" if use_dirs >= 0 else "")
        good = cert.ok and (target(cert.bound) if target is not None else (bound is None or cert.bound <= bound))
        if good:
            return cert
        if cert.ok:
            cert.reason = f"verified bound {cert.bound} exceeds the claim"
        if last is None or (cert.ok and (not last.ok or cert.bound < last.bound)):
            last = cert
    if last is None:
        return Certificate(False, None, [], [], [], None, "no rounding of the multipliers satisfied the linear conditions")
    return last


def _equations(metrics: Sequence[Scalar], constraints: Sequence[Any], a_sup: list[int], l_sup: list[int], n_vec: int,
               n_val: int, directions: Sequence[Sequence[float]], den: int) -> tuple[list[list[Fraction]], list[Fraction]]:
    """Rows of the exact linear conditions on the supported unknowns: Σ α = 1, no F term, and
    ``M u = 0`` for each rounded direction ``u``."""
    cols: list[Scalar] = [metrics[j] for j in a_sup] + [constraints[k].expr.scale(Fraction(-1)) for k in l_sup]
    rows: list[list[Fraction]] = []
    rhs: list[Fraction] = []
    rows.append([Fraction(1)] * len(a_sup) + [Fraction(0)] * len(l_sup))
    rhs.append(Fraction(1))
    for m in range(n_val):
        rows.append([c.lin.get(m, Fraction(0)) for c in cols])
        rhs.append(Fraction(0))
    for u in directions:
        peak = max(abs(float(t)) for t in u) or 1.0
        uq = [rational_near(float(t) / peak, 10.0 ** den) if den < 0 else rationalize(float(t) / peak, den) for t in u]
        mats = [c.scale(Fraction(-1)).gram_matrix(n_vec) for c in cols]
        for i in range(n_vec):
            rows.append([sum((M[i][j] * uq[j] for j in range(n_vec)), Fraction(0)) for M in mats])
            rhs.append(Fraction(0))
    # drop all-zero rows with zero right-hand side
    keep = [(r, b) for r, b in zip(rows, rhs) if any(r) or b]
    return [r for r, _ in keep], [b for _, b in keep]


def _nullspace(M: Sequence[Sequence[Fraction]]) -> list[list[Fraction]]:
    """A basis of ``{u : M u = 0}`` (exact, reduced row echelon form)."""
    n = len(M)
    A = [list(r) for r in M]
    pivots: list[int] = []
    row = 0
    for col in range(n):
        piv = next((i for i in range(row, n) if A[i][col] != 0), None)
        if piv is None:
            continue
        A[row], A[piv] = A[piv], A[row]
        p = A[row][col]
        A[row] = [v / p for v in A[row]]
        for i in range(n):
            if i != row and A[i][col] != 0:
                c = A[i][col]
                A[i] = [a - c * b for a, b in zip(A[i], A[row])]
        pivots.append(col)
        row += 1
    out = []
    for f in (c for c in range(n) if c not in pivots):
        u = [Fraction(0)] * n
        u[f] = Fraction(1)
        for r, pc in enumerate(pivots):
            u[pc] = -A[r][f]
        out.append(u)
    return out


def canonical(cert: Certificate, metrics: Sequence[Scalar], constraints: Sequence[Any], n_vec: int, n_val: int,
              pin: Fraction | None = None) -> Certificate:
    """A canonical certificate near ``cert`` (a verified one), so that certificates found at
    different parameter values follow one rational function of the parameters.

    A claim with slack, or a degenerate optimal face, has many certificates, and the solver's
    choice jumps between them. The canonical one is fixed by linear conditions only: the residual
    keeps ``cert``'s null space (``M u = 0``, exact), the constant equals ``pin`` (the claimed
    bound, when given), the support is made minimal by dropping multipliers greedily in the
    constraints' order while a certificate remains, and the remaining freedom is removed by the
    least-norm solution of these linear conditions. Each candidate is verified exactly; the first
    stage that fails keeps the previous one (``attempt`` says which stages held)."""
    if not cert.ok:
        return cert
    nulls = _nullspace(cert.residual) if cert.residual else []

    def rows_for(a_sup: list[int], l_sup: list[int], with_pin: bool) -> tuple[list[list[Fraction]], list[Fraction]]:
        rows, rhs = _equations(metrics, constraints, a_sup, l_sup, n_vec, n_val, (), 0)
        cols: list[Scalar] = [metrics[j] for j in a_sup] + [constraints[k].expr.scale(Fraction(-1)) for k in l_sup]
        if nulls:
            mats = [c.scale(Fraction(-1)).gram_matrix(n_vec) for c in cols]
            for u in nulls:
                for i in range(n_vec):
                    r = [sum((Mc[i][j] * u[j] for j in range(n_vec)), Fraction(0)) for Mc in mats]
                    if any(r):
                        rows.append(r)
                        rhs.append(Fraction(0))
        if with_pin and pin is not None:
            rows.append([c.const for c in cols])
            rhs.append(Fraction(pin))
        return rows, rhs

    def attempt(a_sup: list[int], l_sup: list[int], x0: list[Fraction], with_pin: bool) -> Certificate | None:
        rows, rhs = rows_for(a_sup, l_sup, with_pin)
        x = solve_affine(rows, rhs, x0)
        if x is None:
            return None
        alpha, lam = _scatter(x, a_sup, l_sup, len(metrics), len(constraints))
        c = verify(metrics, constraints, alpha, lam, n_vec)
        return c if c.ok else None

    a0 = [j for j, a in enumerate(cert.weights) if a != 0]
    l0 = [k for k, v in enumerate(cert.multipliers) if v != 0]
    x_start = [cert.weights[j] for j in a0] + [cert.multipliers[k] for k in l0]
    modes = [(True, False), (True, True), (False, True)] if pin is not None and pin >= cert.bound else [(False, True)]
    best, stages = cert, ["none"]
    for with_pin, use_nulls in modes:
        saved = list(nulls)
        if not use_nulls:
            nulls.clear()
        c = attempt(a0, l0, x_start, with_pin)
        if c is None:
            nulls[:] = saved
            continue
        best, a_sup, l_sup = c, a0, list(l0)
        stages = [("constant pinned to the claim" if with_pin else "constant as found")
                  + (", residual null space kept" if use_nulls else "")]
        for k in list(l_sup):
            trial = [i for i in l_sup if i != k]
            c = attempt(a_sup, trial, [best.weights[j] for j in a_sup] + [best.multipliers[i] for i in trial], with_pin)
            if c is not None:
                l_sup, best = trial, c
        stages.append(f"minimal support ({len(l_sup)} multipliers)")
        c = attempt(a_sup, l_sup, [Fraction(0)] * (len(a_sup) + len(l_sup)), with_pin)
        if c is not None:
            best = c
            stages.append("least-norm solution")
        nulls[:] = saved
        break
    best.attempt = (cert.attempt + "; canonical: " + ", ".join(stages)).lstrip("; ")
    return best


def vertex(cert: Certificate, metrics: Sequence[Scalar], constraints: Sequence[Any], n_vec: int, n_val: int,
           pin: Fraction | None = None, max_rounds: int = 8) -> Certificate:
    """A *vertex* certificate: starting from a verified ``cert``, move along the remaining
    freedom of its linear conditions (constant pinned to ``pin``, the residual's null space kept,
    the support fixed) to the lower end of the feasible interval (lexicographic in the
    constraints' order), where a multiplier vanishes or the residual loses rank; repeat until the
    linear conditions leave no freedom. The interval's ends are roots of linear functions (the
    multipliers) or of ``det`` of the reduced residual (a polynomial, whose rational roots are
    tried); every candidate is verified exactly. The result is unique whenever the ends reached
    are rational, so certificates at different parameters follow one rational function."""
    import sympy as sp

    cur = canonical(cert, metrics, constraints, n_vec, n_val, pin)
    if not cur.ok:
        return cur
    with_pin = pin is not None and cur.bound == pin
    steps_done = 0
    how = "end of the feasible interval"
    det: Any = None
    for _ in range(max_rounds):
        a_sup = [j for j, a in enumerate(cur.weights) if a != 0]
        l_sup = [k for k, v in enumerate(cur.multipliers) if v != 0]
        nulls = _nullspace(cur.residual)
        cols: list[Scalar] = [metrics[j] for j in a_sup] + [constraints[k].expr.scale(Fraction(-1)) for k in l_sup]
        rows, _ = _equations(metrics, constraints, a_sup, l_sup, n_vec, n_val, (), 0)
        mats = [c.scale(Fraction(-1)).gram_matrix(n_vec) for c in cols]
        for u in nulls:
            for i in range(n_vec):
                r = [sum((Mc[i][j] * u[j] for j in range(n_vec)), Fraction(0)) for Mc in mats]
                if any(r):
                    rows.append(r)
        if with_pin:
            rows.append([c.const for c in cols])
        A = sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in r] for r in rows])
        fam = A.nullspace()
        if not fam:
            break
        v = fam[0]
        first = next(i for i in range(len(v)) if v[i] != 0)
        v = v / v[first]  # the first free coordinate decreases along -v
        x = [sp.Rational(q.numerator, q.denominator) for q in
             [cur.weights[j] for j in a_sup] + [cur.multipliers[k] for k in l_sup]]
        t = sp.Symbol("t")
        n = n_vec
        Mt = sp.zeros(n, n)
        for c_idx, Mc in enumerate(mats):
            coef = x[c_idx] + t * v[c_idx]
            if coef != 0:
                Mt += coef * sp.Matrix([[sp.Rational(q.numerator, q.denominator) for q in row] for row in Mc])
        keep = [u for u in nulls]
        if keep:  # restrict to the complement of the kept null space
            Nm = sp.Matrix([[sp.Rational(q.numerator, q.denominator) for q in u] for u in keep])
            Q = sp.Matrix.hstack(*Nm.nullspace()) if Nm.nullspace() else None
            Mr = Q.T * Mt * Q if Q is not None else sp.zeros(0, 0)
        else:
            Mr = Mt
        cands: set[Any] = set()
        for c_idx in range(len(x)):
            if v[c_idx] != 0:
                cands.add(-x[c_idx] / v[c_idx])
        det = None
        if Mr.shape[0]:
            det = sp.Poly(sp.expand(Mr.det(method="berkowitz")), t)
            if not det.is_zero:
                for fac, _m in sp.factor_list(det.as_expr(), t)[1]:
                    fp = sp.Poly(fac, t)
                    if fp.degree() == 1:
                        cands.add(-fp.all_coeffs()[1] / fp.all_coeffs()[0])
        centre: list[Any] = []
        if len(fam) == 1 and det is not None and not det.is_zero:
            # no rational end reached: the critical points of det along the family (rational
            # when det is quadratic: the midpoint of its roots), tried after the ends
            for fac, _m in sp.factor_list(det.diff(t).as_expr(), t)[1]:
                fp = sp.Poly(fac, t)
                if fp.degree() == 1:
                    centre.append(-fp.all_coeffs()[1] / fp.all_coeffs()[0])
        moved = None
        final = False
        for r in [c for c in sorted(cands) if c < 0] + sorted(centre, key=lambda c: -det.eval(c)):  # safe: polynomial evaluation
            if r == 0:
                continue
            final = r in centre
            vals = [x[i] + r * v[i] for i in range(len(x))]
            alpha = [Fraction(0)] * len(metrics)
            lam = [Fraction(0)] * len(constraints)
            for j, q in zip(a_sup, vals[: len(a_sup)]):
                alpha[j] = Fraction(int(q.p), int(q.q))
            for k, q in zip(l_sup, vals[len(a_sup):]):
                lam[k] = Fraction(int(q.p), int(q.q))
            c = verify(metrics, constraints, alpha, lam, n_vec)
            if c.ok:
                moved = c
                break
        if moved is None:
            break
        cur = moved
        steps_done += 1
        if final:
            how = "critical point of det along the last free direction"
            break
    cur.attempt = cert.attempt + f"; vertex: {steps_done} move(s), last to the {how}"
    return cur
