r"""Compressor classes of Beznosikov, Horváth, Richtárik, Safaryan (JMLR 2023) and their algebra.

For a compressor ``C`` and an input ``x`` write ``G = ||x||^2``, ``S = E||C(x)||^2`` and
``P = E<C(x), x>`` (so ``E||C(x) - x||^2 = S - 2P + G``). Every class is a set of
inequalities in ``(S, P, G)`` ("slacks" that must be ``>= 0`` for every ``x``):

- ``U(zeta)``: ``E C(x) = x`` (so ``P = G``) and ``S <= zeta G``; ``zeta = 1 + omega``.
- ``B1(alpha, beta)``: ``alpha G <= S <= beta P``.
- ``B2(gamma, beta)``: ``max(gamma G, S/beta) <= P``.
- ``B3(delta)``: ``S - 2P + G <= (1 - 1/delta) G``, ``delta >= 1``.
- ``C(delta)`` (contractive, the convention of docs/theory.md#compressor-classes): ``S - 2P + G <= (1 - delta) G``; ``C(delta) = B3(1/delta)``.

Every compressor also satisfies ``J = S G - P^2 >= 0`` (Cauchy-Schwarz and Jensen) and ``S >= 0``.
Scaling by ``lambda`` maps ``(S, P) -> (lambda^2 S, lambda P)``.

A conversion "``C in K1 => lambda C in K2``" is **proved** by a certificate: each slack of
``K2`` (at the scaled quantities) is written as a combination, with non-negative
coefficients, of the slacks of ``K1``, ``J`` and ``S``, and sympy checks the identity
(``simplify(slack - combination) == 0``). It is **refuted** by a counterexample compressor
with finite support, checked exactly: membership in ``K1`` for *every* ``x`` (a quadratic form
in symbolic ``x`` that is positive semidefinite) and violation of ``K2`` at one ``x``.

The random scalings ``C(x) = c x`` (``c`` a random scalar) realize every ``(S, P)`` with
``S G >= P^2``, so the ``(S, P, G)`` reduction loses nothing: a conversion holds for all
compressors iff it holds on this region.

The CGD complexity table (``zeta L/mu``, ``beta^2 L/(alpha mu)``, ``beta L/(gamma mu)``,
``delta L/mu``, times ``log 1/epsilon``) is re-derived from the descent lemma and PL.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy as sp

from ..errors import InvalidParameterError
from .parse import as_expr

__all__ = [
    "CompressorClass",
    "U",
    "B1",
    "B2",
    "B3",
    "Contractive",
    "FiniteCompressor",
    "random_scaling",
    "rand_k",
    "top_k",
    "Conversion",
    "ConversionResult",
    "SEED_CONVERSIONS",
    "conversion_results",
    "ComplexityResult",
    "cgd_complexity",
    "ClassTable",
    "class_tables",
    "class_facts",
    "verify_conversion",
    "topk_certificate",
    "S",
    "P",
    "G",
]

S = sp.Symbol("S", nonnegative=True)  # E||C(x)||^2
P = sp.Symbol("P", real=True)  # E<C(x), x>
G = sp.Symbol("G", positive=True)  # ||x||^2, x != 0
J = S * G - P**2  # >= 0 (Cauchy-Schwarz + Jensen)

# class parameters (positive) and the scaling factor
zeta_, alpha_, beta_, gamma_, delta_, lam_ = sp.symbols("zeta alpha beta gamma delta lambda", positive=True)
L_, mu_, eps_ = sp.symbols("L mu epsilon", positive=True)


# ----------------------------------------------------------------------------- classes


@dataclass(frozen=True)
class CompressorClass:
    """A class ``kind(params)``; ``slacks(S, P, G)`` must all be ``>= 0`` (and ``equalities`` ``= 0``)."""

    kind: str  # "U", "B1", "B2", "B3", "C"
    params: tuple[sp.Expr, ...]

    def slacks(self, s: sp.Expr = S, p: sp.Expr = P, g: sp.Expr = G) -> dict[str, sp.Expr]:
        k, a = self.kind, self.params
        if k == "U":
            return {"variance": a[0] * g - s}
        if k == "B1":
            return {"lower": s - a[0] * g, "upper": a[1] * p - s}
        if k == "B2":
            return {"lower": p - a[0] * g, "upper": p - s / a[1]}
        if k == "B3":
            return {"error": (1 - 1 / a[0]) * g - (s - 2 * p + g)}
        if k == "C":
            return {"error": (1 - a[0]) * g - (s - 2 * p + g)}
        raise InvalidParameterError(f"unknown class kind {k!r}")

    @property
    def unbiased(self) -> bool:
        return self.kind == "U"

    def domain(self) -> list[sp.Basic]:
        """Parameter constraints of the class (as in the seed's table)."""
        k, a = self.kind, self.params
        if k in ("U", "B3"):
            return [sp.Ge(a[0], 1)]
        if k == "B1":
            return [sp.Ge(a[1] ** 2, a[0])]
        if k == "B2":
            return [sp.Ge(a[1], a[0])]
        return [sp.Gt(a[0], 0), sp.Le(a[0], 1)]

    def __str__(self) -> str:
        name = {"U": "U", "B1": "B1", "B2": "B2", "B3": "B3", "C": "C"}[self.kind]
        return f"{name}({', '.join(sp.sstr(p) for p in self.params)})"

    def latex(self) -> str:
        name = {"U": r"\mathbb{U}", "B1": r"\mathbb{B}^1", "B2": r"\mathbb{B}^2", "B3": r"\mathbb{B}^3",
                "C": r"\mathbb{C}"}[self.kind]
        return name + r"\left(" + ", ".join(sp.latex(p) for p in self.params) + r"\right)"

    def subs(self, values: dict) -> CompressorClass:
        return CompressorClass(self.kind, tuple(as_expr(p).subs(values) for p in self.params))


def U(z: sp.Expr) -> CompressorClass:  # noqa: N802 - the paper's name
    """``U(zeta)``: unbiased, ``E||C(x)||^2 <= zeta ||x||^2`` (``zeta = 1 + omega``)."""
    return CompressorClass("U", (as_expr(z),))


def B1(a: sp.Expr, b: sp.Expr) -> CompressorClass:  # noqa: N802
    """``B1(alpha, beta)``: ``alpha ||x||^2 <= E||C||^2 <= beta E<C, x>``."""
    return CompressorClass("B1", (as_expr(a), as_expr(b)))


def B2(g: sp.Expr, b: sp.Expr) -> CompressorClass:  # noqa: N802
    """``B2(gamma, beta)``: ``max(gamma ||x||^2, E||C||^2/beta) <= E<C, x>``."""
    return CompressorClass("B2", (as_expr(g), as_expr(b)))


def B3(d: sp.Expr) -> CompressorClass:  # noqa: N802
    """``B3(delta)``: ``E||C - x||^2 <= (1 - 1/delta) ||x||^2``."""
    return CompressorClass("B3", (as_expr(d),))


def Contractive(d: sp.Expr) -> CompressorClass:  # noqa: N802
    """``C(delta)`` (docs/theory.md#compressor-classes): ``E||C - x||^2 <= (1 - delta) ||x||^2`` (equal to ``B3(1/delta)``)."""
    return CompressorClass("C", (as_expr(d),))


# ----------------------------------------------------------------------------- finite compressors


@dataclass(frozen=True)
class FiniteCompressor:
    """A compressor with finitely many outcomes ``(probability, x -> C(x))``, evaluated exactly."""

    name: str
    dim: int
    outcomes: tuple[tuple[sp.Rational, Callable[[sp.Matrix], sp.Matrix]], ...]

    def moments(self, x: sp.Matrix) -> tuple[sp.Expr, sp.Expr, sp.Matrix]:
        """``(S, P, E C(x))`` at ``x`` (exact)."""
        s = sp.S.Zero
        p = sp.S.Zero
        mean = sp.zeros(self.dim, 1)
        for prob, f in self.outcomes:
            c = f(x)
            s += prob * (c.T * c)[0]
            p += prob * (c.T * x)[0]
            mean += prob * c
        return sp.expand(s), sp.expand(p), mean.applyfunc(sp.expand)

    def scaled(self, lam: sp.Expr) -> FiniteCompressor:
        return FiniteCompressor(f"{sp.sstr(lam)}*{self.name}", self.dim,
                                tuple((pr, (lambda f: (lambda x: lam * f(x)))(f)) for pr, f in self.outcomes))

    def member(self, cls: CompressorClass) -> tuple[bool | None, str]:
        """Exact membership for every ``x`` (slacks are quadratic forms in symbolic ``x``: PSD test).

        ``(True, why)`` when sympy establishes every eigenvalue ``>= 0``, ``(False, why)`` when it
        establishes one ``< 0`` (or the class's equalities fail), ``(None, why)`` when it cannot sign
        an eigenvalue: undecided, never read as a member.
        """
        xs = sp.Matrix(sp.symbols(f"x1:{self.dim + 1}", real=True))
        s, p, mean = self.moments(xs)
        g = (xs.T * xs)[0]
        if cls.unbiased and any(sp.simplify(e) != 0 for e in (mean - xs)):
            return False, f"biased: E C(x) - x = {list(mean - xs)}"
        for name, slack in cls.slacks(s, p, g).items():
            slack = sp.expand(slack)
            if slack.subs({v: 0 for v in xs}) != 0:
                return False, f"{name}: slack is not a quadratic form in x"
            q = sp.hessian(slack, list(xs)) / 2
            for ev in q.eigenvals():
                ev = sp.simplify(ev)
                if ev.is_negative is True:
                    return False, f"{name}: quadratic form {sp.sstr(slack)} is not >= 0 for all x"
                if ev.is_nonnegative is not True:
                    return None, f"{name}: sympy cannot sign the eigenvalue {sp.sstr(ev)} of {sp.sstr(slack)}"
        return True, "all slacks are positive semidefinite quadratic forms in x"

    def violation(self, cls: CompressorClass, x: Sequence[int]) -> tuple[str, sp.Expr] | None:
        """The first slack of ``cls`` that is negative at ``x`` (exact), or None."""
        xv = sp.Matrix(x)
        s, p, mean = self.moments(xv)
        g = (xv.T * xv)[0]
        if cls.unbiased and any(e != 0 for e in (mean - xv)):
            return "unbiased", (mean - xv).norm()
        for name, slack in cls.slacks(s, p, g).items():
            val = sp.simplify(slack)  # exact: x is an integer vector and the outcomes are exact
            if val.is_negative is True:
                return name, val
        return None


def random_scaling(values: Sequence[sp.Expr], probs: Sequence[sp.Expr] | None = None, dim: int = 2) -> FiniteCompressor:
    """``C(x) = c x`` with ``c`` drawn from ``values`` (uniform unless ``probs``)."""
    n = len(values)
    probs = probs or [sp.Rational(1, n)] * n
    return FiniteCompressor(f"scale{list(values)}", dim,
                            tuple((as_expr(pr), (lambda c: (lambda x: c * x))(as_expr(v)))
                                  for v, pr in zip(values, probs, strict=True)))


def rand_k(dim: int, k: int) -> FiniteCompressor:
    """Rand-k ``(d/k) sum_{j in S} x_j e_j`` over all ``binom(d, k)`` subsets."""
    subsets = list(itertools.combinations(range(dim), k))
    pr = sp.Rational(1, len(subsets))

    def make(sub: tuple[int, ...]) -> Callable[[sp.Matrix], sp.Matrix]:
        return lambda x: sp.Matrix([sp.Rational(dim, k) * x[j] if j in sub else 0 for j in range(dim)])

    return FiniteCompressor(f"rand{k}(d={dim})", dim, tuple((pr, make(sub)) for sub in subsets))


def top_k(dim: int, k: int) -> FiniteCompressor:
    """Top-k (deterministic; ties to the lower index), for concrete inputs only."""

    def f(x: sp.Matrix) -> sp.Matrix:
        order = sorted(range(dim), key=lambda j: (-abs(x[j]), j))[:k]
        return sp.Matrix([x[j] if j in order else 0 for j in range(dim)])

    return FiniteCompressor(f"top{k}(d={dim})", dim, ((sp.S.One, f),))


# ----------------------------------------------------------------------------- conversions

# target slack -> [(coefficient, term)], a term being a sum/product/power of the names of the
# source slacks and of "J", "S", "G" (each >= 0), e.g. "(error+S)**2"
Certificate = dict[str, list[tuple[sp.Expr, str]]]


def _term(spec: str, pool: dict[str, sp.Expr]) -> sp.Expr:
    """Evaluate a certificate term; refuse one that is not manifestly >= 0 in the pool's slacks."""
    holders = {name: sp.Symbol(f"_{name}", nonnegative=True) for name in pool}
    from .parse import parse_expression  # the safe reader: a term is data, never run

    e = parse_expression(spec, holders, undeclared="error", what="certificate term")
    if e.is_nonnegative is not True:
        raise InvalidParameterError(f"certificate term {spec!r} is not a non-negative combination of slacks")
    return e.xreplace({holders[n]: v for n, v in pool.items()})


@dataclass(frozen=True)
class Conversion:
    """``C in source => scale * C in target`` as printed in the seed (``certificate`` or ``counterexample``)."""

    label: str
    source: CompressorClass
    scale: sp.Expr
    target: CompressorClass
    seed_text: str
    certificate: Certificate | None = None
    counterexample: tuple[dict, FiniteCompressor, tuple[int, ...]] | None = None  # (params, compressor, x)
    corrected: Conversion | None = None


@dataclass(frozen=True)
class ConversionResult:
    conversion: Conversion
    verdict: str  # "proved" | "refuted" | "inconclusive" (detail names the step that is not established)
    detail: str
    corrected: ConversionResult | None = None


def _coef_nonneg(c: sp.Expr, assumptions: Sequence[sp.Basic]) -> bool:
    """True only when sympy establishes ``c >= 0`` (``is_nonnegative is True``) from the symbols'
    assumptions, possibly after using a domain constraint ``lhs >= symbol`` as ``symbol = lhs u``,
    ``0 < u <= 1``. An undetermined sign is False: never accepted."""
    c = sp.factor(sp.simplify(c))
    if c.is_nonnegative is True:
        return True
    # use domain constraints like beta**2 >= alpha: substitute alpha = beta**2 * u, 0 < u <= 1
    u = sp.Symbol("u", positive=True)
    for a in assumptions:
        if isinstance(a, sp.Ge) and a.rhs.is_Symbol:
            c2 = sp.factor(sp.simplify(c.subs(a.rhs, a.lhs * u)))
            if c2.is_nonnegative is True:
                return True
            c3 = sp.factor(sp.simplify(c2.subs(u, 1 / (1 + sp.Symbol("w", nonnegative=True)))))
            if c3.is_nonnegative is True:
                return True
    return False


def _check_certificate(conv: Conversion) -> tuple[bool, str]:
    src = conv.source
    lam = conv.scale
    subs_unbiased = {P: G} if src.unbiased else {}
    src_slacks = {k: v.subs(subs_unbiased) for k, v in src.slacks().items()}
    pool = {**src_slacks, "J": J.subs(subs_unbiased), "S": S, "G": G}
    tgt_slacks = conv.target.slacks(lam**2 * S, lam * P, G)
    lines = []
    for name, slack in tgt_slacks.items():
        terms = (conv.certificate or {}).get(name)
        if terms is None:
            return False, f"no certificate for target slack {name!r}"
        combo = sum((c * _term(spec, pool) for c, spec in terms), sp.S.Zero)
        diff = sp.simplify(slack.subs(subs_unbiased) - combo)
        if diff != 0:
            return False, f"certificate for {name!r} does not match (difference {sp.sstr(diff)})"
        for c, spec in terms:
            if not _coef_nonneg(c, src.domain()):
                return False, (f"step {name!r}: coefficient {sp.sstr(c)} of term {spec!r} is not provably >= 0 "
                               f"under {[sp.sstr(a) for a in src.domain()]} and the parameters' positivity")
        lines.append(f"{name}: {sp.sstr(slack.subs(subs_unbiased))} = "
                     + (" + ".join(f"({sp.sstr(c)})*({n})" for c, n in terms) or "0"))
    return True, "; ".join(lines)


def _check_counterexample(conv: Conversion) -> tuple[bool, str]:
    params, comp, x = conv.counterexample  # type: ignore[misc]
    src = conv.source.subs(params)
    tgt = conv.target.subs(params)
    lam = sp.sympify(conv.scale).subs(params)  # safe: a Conversion table entry of this module
    ok, why = comp.member(src)
    if ok is not True:
        return False, f"counterexample {comp.name} is not shown to be in {src}: {why}"
    viol = comp.scaled(lam).violation(tgt, x)
    if viol is None:
        return False, f"{sp.sstr(lam)}*{comp.name} satisfies {tgt} at x = {x}"
    name, val = viol
    return True, (f"{comp.name} is in {src} for every x, but {sp.sstr(lam)}*{comp.name} violates {tgt} at x = {list(x)}: "
                  f"{name} slack = {sp.sstr(val)} < 0")


def verify_conversion(conv: Conversion) -> ConversionResult:
    """Prove (certificate) or refute (counterexample) a conversion; verify the corrected one too."""
    corrected = verify_conversion(conv.corrected) if conv.corrected is not None else None
    if conv.certificate is not None:
        ok, detail = _check_certificate(conv)
        return ConversionResult(conv, "proved" if ok else "inconclusive", detail, corrected)
    if conv.counterexample is not None:
        ok, detail = _check_counterexample(conv)
        return ConversionResult(conv, "refuted" if ok else "inconclusive", detail, corrected)
    return ConversionResult(conv, "inconclusive", "neither certificate nor counterexample", corrected)


def _seed_conversions() -> tuple[Conversion, ...]:
    a, b, g, d, z, lam = alpha_, beta_, gamma_, delta_, zeta_, lam_
    b1, b2 = B1(a, b), B2(g, b)
    out = [
        Conversion("B1 -> B1 (scaling)", b1, lam, B1(lam**2 * a, lam * b), "λC ∈ B1(λ²α, λβ)",
                   certificate={"lower": [(lam**2, "lower")], "upper": [(lam**2, "upper")]}),
        Conversion(
            "B1 -> B2", b1, sp.S.One, B2(a, b**2), "C ∈ B2(α, β²)",
            counterexample=({a: 4, b: 2}, random_scaling([2]), (1, 0)),
            corrected=Conversion("B1 -> B2 (corrected)", b1, sp.S.One, B2(a / b, b), "C ∈ B2(α/β, β)",
                                 certificate={"lower": [(1 / b, "lower"), (1 / b, "upper")],
                                              "upper": [(1 / b, "upper")]}),
        ),
        Conversion("B1 -> B3", b1, 1 / b, B3(b**2 / a), "(1/β)C ∈ B3(β²/α)",
                   certificate={"error": [(2 / b**2, "upper"), (1 / b**2, "lower")]}),
        Conversion("B2 -> B1", b2, sp.S.One, B1(g**2, b), "C ∈ B1(γ², β)",
                   certificate={"lower": [(1 / G, "J"), (1 / G, "lower**2"), (2 * g, "lower")], "upper": [(b, "upper")]}),
        Conversion("B2 -> B2 (scaling)", b2, lam, B2(lam * g, lam * b), "λC ∈ B2(λγ, λβ)",
                   certificate={"lower": [(lam, "lower")], "upper": [(lam, "upper")]}),
        Conversion("B2 -> B3", b2, 1 / b, B3(b / g), "(1/β)C ∈ B3(β/γ)",
                   certificate={"error": [(1 / b, "upper"), (1 / b, "lower")]}),
        Conversion("B3 -> B1", B3(d), sp.S.One, B1(1 / (4 * d**2), 2), "C ∈ B1(1/(4δ²), 2)",
                   certificate={"lower": [(1 / G, "J"), (1 / (4 * G), "(error+S)**2"), (1 / (2 * d), "error+S")],
                                "upper": [(1, "error"), (1 / d, "G")]}),
        Conversion("B3 -> B2", B3(d), sp.S.One, B2(1 / (2 * d), 2), "C ∈ B2(1/(2δ), 2)",
                   certificate={"lower": [(sp.S.Half, "error+S")],
                                "upper": [(sp.S.Half, "error"), (1 / (2 * d), "G")]}),
        Conversion("U -> B1", U(z), lam, B1(lam**2, lam * z), "λC ∈ B1(λ², λζ)",
                   certificate={"lower": [(lam**2 / G, "J")], "upper": [(lam**2, "variance")]}),
        Conversion("U -> B2", U(z), lam, B2(lam, lam * z), "λC ∈ B2(λ, λζ)",
                   certificate={"lower": [], "upper": [(lam / z, "variance")]}),
        Conversion(
            "U -> B3", U(z), 1 / z, B3(1 / z), "(1/ζ)C ∈ B3(1/ζ)",
            counterexample=({z: 2}, rand_k(2, 1), (1, 0)),
            corrected=Conversion("U -> B3 (corrected)", U(z), 1 / z, B3(z), "(1/ζ)C ∈ B3(ζ)",
                                 certificate={"error": [(1 / z**2, "variance")]}),
        ),
        Conversion("U -> C", U(z), 1 / z, Contractive(1 / z), "C/(1+ω) ∈ C(1/(1+ω))",
                   certificate={"error": [(1 / z**2, "variance")]}),
    ]
    return tuple(out)


SEED_CONVERSIONS: tuple[Conversion, ...] = _seed_conversions()  # the printed table (cheap to build; verified lazily)


@functools.cache
def conversion_results() -> tuple[ConversionResult, ...]:
    """Verdicts on every entry of the printed conversion table (and the U -> C rule)."""
    return tuple(verify_conversion(c) for c in SEED_CONVERSIONS)


# ----------------------------------------------------------------------------- facts


@functools.cache
def class_facts() -> tuple[tuple[str, str, bool], ...]:
    """``alpha <= beta^2`` in B1, ``gamma <= beta`` in B2, and the seed's Rand-k/Top-k memberships."""
    facts: list[tuple[str, str, bool]] = []
    b = beta_
    # S (beta^2 G - S) = beta^2 J + (beta P - S)(beta P + S), all terms >= 0 -> S <= beta^2 G -> alpha <= beta^2
    lhs = S * (b**2 * G - S)
    rhs = b**2 * J + (b * P - S) * (b * P + S)
    facts.append(("B1(α, β) is non-empty only if α ≤ β²",
                  "S(β²G − S) = β²(SG − P²) + (βP − S)(βP + S) ≥ 0, so αG ≤ S ≤ β²G", sp.simplify(lhs - rhs) == 0))
    lhs = P * (b * G - P)
    rhs = J + G * (b * P - S)
    facts.append(("B2(γ, β) is non-empty only if γ ≤ β", "P(βG − P) = (SG − P²) + G(βP − S) ≥ 0, so γG ≤ P ≤ βG",
                  sp.simplify(lhs - rhs) == 0))
    for dim, k in ((3, 1), (4, 2)):
        rk = rand_k(dim, k)
        ok, _ = rk.member(U(sp.Rational(dim, k)))
        tight, _ = rk.member(U(sp.Rational(dim, k) - sp.Rational(1, 100)))
        facts.append((f"Rand-{k} (d={dim}) ∈ U(d/k) = U({sp.Rational(dim, k)}), tight",
                      "exact enumeration of subsets, symbolic x", ok is True and tight is False))
    # Top-k for every x: on the cone where T is the kept set, each slack is a multiple (>= 0) of
    # sum_{i in T, j not in T} (x_i^2 - x_j^2) >= 0; the cones cover R^d (ties: any fixed rule)
    for dim, k in ((3, 1), (4, 2)):
        ok, why = topk_certificate(dim, k)
        facts.append((f"Top-{k} (d={dim}) ∈ B1(k/d, 1), B2(k/d, 1), B3(d/k)", why, ok))
    return tuple(facts)


def topk_certificate(dim: int, k: int, classes: Sequence[CompressorClass] | None = None) -> tuple[bool, str]:
    """Top-k in ``classes`` (default ``B1(k/d, 1), B2(k/d, 1), B3(d/k)``) for every ``x``, by certificate.

    On the cone ``K_T = {x: x_i^2 >= x_j^2 for i in T, j not in T}`` Top-k keeps ``T``, so
    ``S = P = sum_T x_i^2``. Each slack must equal ``r * sum_{i in T, j not in T} (x_i^2 - x_j^2)``
    with a constant ``r >= 0`` established by sympy (or be 0). The cones cover ``R^d``.
    """
    xs = sp.symbols(f"x1:{dim + 1}", real=True)
    classes = classes or (B1(sp.Rational(k, dim), 1), B2(sp.Rational(k, dim), 1), B3(sp.Rational(dim, k)))
    g = sum(v**2 for v in xs)
    for top in itertools.combinations(range(dim), k):
        rest = [j for j in range(dim) if j not in top]
        s_ = sum(xs[i] ** 2 for i in top)
        base = sp.expand(sum(xs[i] ** 2 - xs[j] ** 2 for i in top for j in rest))
        for cls in classes:
            for name, slack in cls.slacks(s_, s_, g).items():
                slack = sp.expand(slack)
                if slack == 0:
                    continue
                r = sp.simplify(slack / base) if base != 0 else sp.nan
                if r.free_symbols or r.is_nonnegative is not True:
                    return False, (f"{cls} slack {name!r} on the cone T = {top} is not a non-negative multiple of "
                                   f"sum (x_i^2 - x_j^2): {sp.sstr(slack)}")
    return True, (f"for each of the {len(list(itertools.combinations(range(dim), k)))} cones of kept sets T, every "
                  "slack = r·Σ_(i∈T, j∉T)(x_i² − x_j²) with constant r >= 0 (sympy), for every x")


# ----------------------------------------------------------------------------- CGD complexity


@dataclass(frozen=True)
class ComplexityResult:
    cls: CompressorClass
    step: sp.Expr
    decrease: sp.Expr  # c with E f(x+) <= f(x) - c ||grad f||^2
    complexity: sp.Expr  # iterations / log(1/eps)
    seed: sp.Expr
    certificate_ok: bool

    @property
    def matches_seed(self) -> bool:
        return sp.simplify(self.complexity - self.seed) == 0


@functools.cache
def cgd_complexity() -> tuple[ComplexityResult, ...]:
    """CGD ``x+ = x - eta C(grad f)`` on L-smooth mu-PL f, per class, from the descent lemma.

    ``E f(x+) <= f(x) - eta P + (L eta^2/2) S`` with ``x = grad f``; the class inequalities bound
    the right side by ``-phi(eta) G`` (certificate checked by sympy), ``eta*`` maximizes ``phi``
    on the admissible range, and PL gives the contraction ``1 - 2 mu phi(eta*)``:
    ``log(1/eps)/(2 mu phi(eta*))`` iterations.
    """
    eta = sp.Symbol("eta", positive=True)
    true_d = -eta * P + L_ * eta**2 * S / 2
    a, b, g, d, z = alpha_, beta_, gamma_, delta_, zeta_
    cases = [
        # (class, bound phi(eta) G with D_true <= -phi G, certificate of -phi G - D_true >= 0, admissible eta max, seed)
        (U(z), eta - L_ * eta**2 * z / 2, [(L_ * eta**2 / 2, "variance")], None, z * L_ / mu_),
        (B1(a, b), eta * (1 - L_ * eta * b / 2) * a / b,
         [(L_ * eta**2 / 2, "upper"), (eta * (1 - L_ * eta * b / 2) / b, "lower+upper")], 2 / (L_ * b), b**2 * L_ / (a * mu_)),
        (B2(g, b), eta * (1 - L_ * eta * b / 2) * g,
         [(L_ * eta**2 / 2 * b, "upper"), (eta * (1 - L_ * eta * b / 2), "lower")], 2 / (L_ * b), b * L_ / (g * mu_)),
        (B3(d), eta / (2 * d),
         [(L_ * eta**2 / 2, "error"), ((1 - L_ * eta) * eta / 2, "error+S")],
         1 / L_, d * L_ / mu_),
    ]
    out = []
    for cls, phi, cert, eta_max, seed in cases:
        subs_u = {P: G} if cls.unbiased else {}
        pool = {**{k: v.subs(subs_u) for k, v in cls.slacks().items()}, "S": S, "G": G}
        combo = sum((c * _term(n, pool) for c, n in cert), sp.S.Zero)
        # D_true <= -phi G  <=>  -phi G - D_true = combo >= 0 (coefficients >= 0 for eta <= eta_max)
        cert_ok = sp.simplify((-phi * G - true_d).subs(subs_u) - combo) == 0
        crit = [r for r in sp.solve(sp.diff(phi, eta), eta) if r.is_positive]
        cands = crit if crit else []
        if eta_max is not None:
            cands = [c for c in cands if sp.simplify(eta_max - c).is_nonnegative] or [eta_max]
        step = cands[0]
        # the certificate is a proof at eta = step only if every coefficient is >= 0 there (sympy)
        signs_ok = all(_coef_nonneg(sp.sympify(c).subs(eta, step), cls.domain()) for c, _ in cert)  # safe: certificate coefficients of this module
        dec = sp.simplify(phi.subs(eta, step))
        comp = sp.simplify(1 / (2 * mu_ * dec))
        out.append(ComplexityResult(cls, step, dec, comp, seed, bool(cert_ok and signs_ok)))
    return tuple(out)


# ----------------------------------------------------------------------------- tables and rendering


@dataclass(frozen=True)
class ClassTable:
    """A rendered table: ``conversions``, ``complexity`` or ``facts``."""

    name: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]
    notes: tuple[str, ...] = ()
    data: dict = field(default_factory=dict)


def class_tables() -> list[ClassTable]:
    """The three tables of the classes module (conversions, CGD complexity, facts)."""
    conv_rows = []
    summary = {}
    for r in conversion_results():
        c = r.conversion
        row = (str(c.source), c.seed_text, r.verdict, r.detail,
               (f"{r.corrected.conversion.seed_text}: {r.corrected.verdict}" if r.corrected else ""))
        conv_rows.append(row)
        summary[c.label] = r.verdict
    conv = ClassTable(
        "classes_conversions", "Class conversions of Beznosikov et al. (2020), verified",
        ("Source class", "Seed's claim", "Verdict", "Certificate / counterexample", "Corrected claim"),
        tuple(conv_rows),
        notes=("Certificates: each target slack is a non-negative combination of the source slacks, "
               "J = S G - P^2 >= 0 (Cauchy-Schwarz + Jensen), S >= 0, G >= 0; identities checked by sympy.",
               "S = E||C(x)||^2, P = E<C(x), x>, G = ||x||^2.",
               "Counterexamples are finite-support compressors checked exactly (membership for every x as a PSD "
               "quadratic form; violation at one x)."),
        data={"verdicts": summary},
    )
    comp_rows = tuple((str(r.cls), r.step, r.complexity, r.seed, "yes" if r.matches_seed and r.certificate_ok else "NO")
                      for r in cgd_complexity())
    comp = ClassTable(
        "classes_cgd_complexity", "CGD iteration complexity per class (times log 1/epsilon), derived",
        ("Class", "Step size", "Derived complexity", "Seed", "Matches"), comp_rows,
        notes=("Descent lemma + class inequalities (certificate checked by sympy) + PL; iterations "
               "log(1/eps)/(2 mu phi(eta*)) with the decrease phi(eta*) ||grad f||^2 per step.",),
    )
    facts = ClassTable("classes_facts", "Class facts and catalogue memberships (Beznosikov et al. 2020)",
                       ("Claim", "Argument", "Verified"),
                       tuple((a_, b_, "yes" if c_ else "NO") for a_, b_, c_ in class_facts()))
    return [conv, comp, facts]


def _table_doc(tb: ClassTable):  # type: ignore[no-untyped-def]
    from .render import Document

    return Document(kind="classes", name=tb.name, title=tb.title,
                    source="Beznosikov, Horváth, Richtárik, Safaryan, JMLR 2023 (arXiv 2020); docs/theory.md#compressor-classes",
                    table=(list(tb.headers), [list(r) for r in tb.rows]), notes=list(tb.notes), data=tb.data)


def _register() -> None:
    import importlib

    render = importlib.import_module(f"{__package__}.render")
    render.register_renderer(ClassTable, _table_doc)
    render.register_objects(lambda: [(tb.name, tb) for tb in class_tables()])


_register()
