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
        alpha = [Fraction(0)] * len(metrics)
        lam = [Fraction(0)] * len(constraints)
        for j, v in zip(a_sup, x[: len(a_sup)]):
            alpha[j] = v
        for k, v in zip(l_sup, x[len(a_sup):]):
            lam[k] = v
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
