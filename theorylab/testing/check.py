"""Property tests for any compressor: unbiasedness, U(ω) and C(δ) claims.

:func:`check_compressor` estimates, for each input x it tries and **at that fixed x**
(over the compressor's own randomness only),

- the variance ratio ``R(x) = E‖C(x) − x‖² / ‖x‖²`` (claims ``omega``: ``R ≤ ω``, and
  ``delta``: ``R ≤ 1 − δ``), and
- the bias ``E[C(x)] − x``: per coordinate, and projected on ``x`` (``E⟨C(x), x⟩ = ‖x‖²``,
  which sees a wrong scale spread over every coordinate) and on 4 random unit directions
  (claim ``unbiased``).

Compressors are called through :mod:`theorylab.testing.adapt` (batched, single-vector,
compress/decompress pairs; numpy or torch; global RNGs seeded from the check's seed).

Statistics (a refutation is a statement whose false-alarm rate is at most ``false_alarm``):

- **Family-wise error, two stages.** ``false_alarm`` (default ``1e-6``) is the probability
  that *any* claim is refuted although every claim is true. It is split equally among the
  claims. Half of a claim's share goes to **stage 1**, which tests every input on
  ``n_draws`` draws (Bonferroni over inputs: ``a₁ = false_alarm/(2 · n_claims · n_inputs)``).
  The other half goes to **stage 2**: the ``focus`` inputs closest to refuting the claim in
  stage 1 get ``n_focus`` fresh draws in all (split evenly), and each is tested on those
  draws alone at ``a₂ = false_alarm/(2 · n_claims · focus)``. The stage-2 inputs are chosen
  before their draws are made, so the choice cannot bias the stage-2 tests (a two-stage
  design: draws are spent where the evidence is).
- **Variance claims (one-sided, testing by betting).** ``R(x) ≤ B`` is refuted when the
  capital ``Π (1 + λ(r_i/B − 1))`` of the per-draw ratios ``r_i ≥ 0`` reaches ``1/a``; λ is
  chosen on independent earlier draws (the pilot for stage 1, stage 1 for stage 2). Valid
  for every distribution of ``r ≥ 0`` (heavy tails included; see :mod:`._stats`); a
  compressor whose ratio *equals* its bound (Rand-k at every x) is refuted with probability
  at most ``a``. The lower confidence limit shown is the smallest ``B`` the test does not
  refute.
- **Unbiasedness (two-sided).** Each statistic (the ``d`` coordinate errors, in units of
  ``max|x|``, and the ``1 + 4`` projections ``⟨C(x) − x, v⟩/‖x‖``) is tested with the
  two-sided empirical Bernstein bound (``a/2`` per side) with the sample variance and the
  *observed* range: a plug-in that holds as long as every outcome of probability
  ``≳ ln(1/a)/n`` is observed. The per-input level is split in three: ``1/(3d)`` per
  coordinate, ``1/(3·5)`` per projection, ``1/3`` for the *flat* test. A statistic that never
  varied over the draws is *flat*: its mean may rest on an outcome too rare to be seen
  (probability ``q ≤ q* = ln(k/a_flat)/n`` for all ``k`` statistics at once). A mean shift
  ``b`` hidden there needs ``b² ≤ q*/(1−q*) Var``, and ``Σ_flat Var ≤ V``, the larger of the
  claimed ω (if any) and the plug-in upper limit of the ratio at that input, so the
  claim is refuted when ``Σ_flat b² > q*/(1−q*) V``. (Using the measured ratio keeps a false
  ω claim, e.g. ω = 0 for TernGrad, from turning into a false bias refutation.)
- **Exact where possible.** If the pilot calls return identical outputs on every input (a
  deterministic compressor), one draw is exact; verdicts compare exact values up to
  floating-point rounding.
- **Rounding.** With ``ε`` the machine epsilon of the working dtype and
  ``u = 8 ulp(max|C(x)|)/max|x|`` the output grid in units of ``max|x|``, a mean error is
  compared with its half-width plus ``64 ε (1 + |x_j|/max|x|) + u``, and a ratio with
  ``B + 16 ε(1 + B) + 16 (d + 1) ε₆₄ (1 + B) + 2 u √(dB)/‖x̂‖ + d u²/‖x̂‖²``.
- **Robustness.** Every input is drawn separately; an exception or a non-finite output is
  recorded for that input (its label and magnitude ``max|x|``). Inputs of *ordinary*
  magnitude (``√tiny · d ≤ max|x| ≤ √max / d`` of the dtype, where a naive ``‖x‖²`` neither
  overflows nor underflows) must give finite output: a non-finite output there refutes every
  claim. Outside that range a failure is a finding: the claims are judged on the magnitude
  range where the compressor stays finite, and the report states that range.
- **Findings** (warnings, not verdicts): a compressor that returns its input; a deterministic
  one with ratio ≈ 0 while claiming ω > 0; rows that are coupled (``C(X)[i]`` not distributed
  as ``C(X[i])``: the check then calls it one vector at a time).
- **Power.** When a claim holds, the report gives the smallest excess the test could have
  detected (the relative distance from the estimate to its confidence limit): for ω or δ at
  the worst input found (the largest lower limit), so a true worst ratio above
  ``B (1 + excess)`` would have been refuted about half the time or more; for unbiasedness at
  the most sensitive input, a relative bias ``|E⟨C(x), x⟩/‖x‖² − 1|`` above it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from ..backend import check_seed
from ..compressors._base import ClassNotApplicableError
from ..errors import InvalidParameterError, positive_int
from ._stats import bet_lambda, bet_log_capital, bet_lower, eb_half_width_two_sided, eb_two_sided, eb_width
from .adapt import Adapted, CompressorContractError, _short, adapt, resolve_dtype
from .search import search_worst_inputs, search_worst_inputs_hypothesis
from .strategies import adversarial_inputs

__all__ = [
    "CompressorReport",
    "ClaimVerdict",
    "InputResult",
    "Finding",
    "check_compressor",
    "split_levels",
    "bias_test",
    "ratio_test",
    "assert_unbiased",
    "assert_variance_bound",
    "assert_contractive",
    "CLAIMS",
    "N_DIRECTIONS",
]

CLAIMS = ("unbiased", "omega", "delta")
N_DIRECTIONS = 4  # random projection directions per input (besides x itself)
_CLIP = 1e300


@dataclass
class InputResult:
    """Estimates at one fixed input ``x`` (expectations over the compressor's randomness)."""

    label: str
    x: list[float]
    scale: float  # max |x_j|
    n_draws: int
    exact: bool
    ratio: float  # estimate of E||C(x)-x||^2/||x||^2
    ratio_lower: float  # lower confidence limit (betting test, stage-1 level)
    ratio_upper: float  # plug-in upper limit (observed range); for display
    bias: float  # ||mean(C(x)) - x|| / ||x||
    bias_z: float  # max over statistics of |mean error| / (its half-width); > 1 means significant
    status: str = "ok"  # "ok", "non-finite", "raised", "excluded"
    note: str = ""


@dataclass
class ClaimVerdict:
    """Verdict on one claim: ``holds`` (not refuted at the stated false-alarm rate) or ``refuted``."""

    claim: str
    value: float | None  # omega, delta, or None for unbiasedness
    bound: float | None  # the bound it puts on the variance ratio
    verdict: str
    confidence: float  # 1 - false_alarm (kept for compatibility; see false_alarm)
    method: str
    estimate: float
    lower: float | None
    label: str
    x: list[float]
    detail: str
    false_alarm: float = 0.0
    detectable: float | None = None  # smallest relative excess (or relative bias) the test could detect
    detectable_at: str = ""


@dataclass
class Finding:
    """A warning beside the verdicts (``kind``: overflow, raised, identity, no-compression, coupled-rows)."""

    kind: str
    message: str


@dataclass
class CompressorReport:
    """What :func:`check_compressor` found; ``text()`` and ``to_json()`` render it."""

    name: str
    d: int
    claims: list[ClaimVerdict]
    inputs: list[InputResult]
    worst: InputResult | None
    deterministic: bool
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    finite_range: tuple[float, float] | None = None
    contract_errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no claim is refuted."""
        return all(c.verdict != "refuted" for c in self.claims)

    @property
    def refuted(self) -> list[ClaimVerdict]:
        return [c for c in self.claims if c.verdict == "refuted"]

    @property
    def exit_code(self) -> int:
        """0 all claims hold, 1 a claim is refuted, 2 the compressor broke the contract."""
        if self.contract_errors:
            return 2
        return 0 if self.passed else 1

    def verdict(self, claim: str) -> str | None:
        for c in self.claims:
            if c.claim == claim:
                return c.verdict
        return None

    def claim(self, claim: str) -> ClaimVerdict | None:
        return next((c for c in self.claims if c.claim == claim), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"passed": self.passed, "exit_code": self.exit_code}

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **({"indent": 2} | kw))

    def text(self, max_inputs: int = 8, hint: str = "python") -> str:
        s = self.settings
        lines = [
            f"compressor {self.name}  d={self.d}  "
            f"{'deterministic (exact)' if self.deterministic else 'random (Monte Carlo)'}  "
            f"{s.get('n_inputs')} inputs x {s.get('n_draws')} draws (+{s.get('n_focus_drawn', 0)} focused)  "
            f"false alarm <= {s.get('false_alarm'):.0e}  seed {s.get('seed')}  {self.seconds:.2f}s",
            f"  called as: {s.get('adapter', '?')}",
        ]
        if self.finite_range is not None:
            lo, hi = self.finite_range
            lines.append(f"  claims judged on inputs with {lo:.3g} < max|x| < {hi:.3g} (finite output there)")
        if not self.claims:
            how = "--omega W, --delta D or --unbiased" if hint == "cli" else "omega=, delta= or unbiased="
            lines.append(f"  no claims to check: the compressor declares none; give {how}")
        for c in self.claims:
            what = "E[C(x)] = x" if c.claim == "unbiased" else f"{c.claim} = {c.value:.6g} (ratio <= {c.bound:.6g})"
            lines.append(f"  {c.verdict.upper():8s} {what}  [{c.method}; false alarm <= {c.false_alarm:.2g}]")
            lines.append(f"           {c.detail}")
            if c.verdict == "holds" and c.detectable is not None:
                what = ("relative excess of the worst ratio over the bound" if c.claim != "unbiased"
                        else "relative bias |E<C(x),x>/||x||^2 - 1|")
                lines.append(f"           smallest detectable {what}: {c.detectable:.3g} (at {c.detectable_at!r})")
        for f in self.findings:
            lines.append(f"  WARNING  {f.kind}: {f.message}")
        for e in self.contract_errors[:3]:
            lines.append(f"  CONTRACT {e}")
        w = self.worst
        if w is not None:
            lines.append(
                f"  worst input found: {w.label}: ratio {w.ratio:.6g} (lower {w.ratio_lower:.6g}, upper {w.ratio_upper:.6g})"
            )
        lines.append("  inputs (largest ratio first):  label  max|x|  ratio  [lower, upper]  bias/|x|  bias z")
        ok = sorted((r for r in self.inputs if r.status == "ok"), key=lambda r: -r.ratio)
        for r in ok[:max_inputs]:
            lines.append(
                f"    {r.label:30s} {r.scale:8.2g} {r.ratio:10.5g}  [{r.ratio_lower:.5g}, {r.ratio_upper:.5g}]  "
                f"{r.bias:.3g}  {r.bias_z:.3g}"
            )
        for r in (r for r in self.inputs if r.status != "ok"):
            lines.append(f"    {r.label:30s} {r.scale:8.2g} {r.status}: {r.note}")
        return "\n".join(lines)

    __str__ = text


# ----------------------------------------------------------------------------- claims
def _declared(C: Any, what: str, d: int) -> float | None:
    f = getattr(C, what, None)
    if isinstance(f, (int, float, np.integer, np.floating)) and not isinstance(f, bool):
        return float(f)
    if not callable(f):
        return None
    try:
        return float(f(d))
    except (ClassNotApplicableError, NotImplementedError):
        return None


def _name(C: Any) -> str:
    if isinstance(C, tuple) and C:
        return "(" + ", ".join(_name(f) for f in C) + ")"
    for attr in ("spec", "name", "__qualname__", "__name__"):
        v = getattr(C, attr, None)
        if isinstance(v, str):
            return v
    return type(C).__name__


def _resolve_claims(
    C: Any, d: int, omega: float | None, delta: float | None, unbiased: bool | None, claims: Sequence[str] | None
) -> tuple[bool, float | None, float | None]:
    if omega is None:
        omega = _declared(C, "omega", d)
    if delta is None:
        delta = _declared(C, "delta", d)
    if unbiased is None:
        u = getattr(C, "unbiased", None)
        unbiased = bool(u) if isinstance(u, (bool, np.bool_)) else omega is not None
    if claims is not None:
        bad = set(claims) - set(CLAIMS)
        if bad:
            raise InvalidParameterError(f"claims must be among {CLAIMS}, got {sorted(bad)}")
        unbiased = unbiased and "unbiased" in claims
        omega = omega if "omega" in claims else None
        delta = delta if "delta" in claims else None
    if omega is not None and not (omega >= 0 and math.isfinite(omega)):
        raise InvalidParameterError(f"omega must be a finite number >= 0, got {omega}")
    if delta is not None and not (0 < delta <= 1):
        raise InvalidParameterError(f"delta must be in (0, 1], got {delta}")
    return bool(unbiased), omega, delta


# ----------------------------------------------------------------------------- statistics
def split_levels(false_alarm: float, n_claims: int, n_inputs: int, focus: int) -> dict[str, float]:
    """Per-test levels of the two-stage design (module docstring): ``claim`` (a claim's share),
    ``stage1`` (per input, stage 1) and ``stage2`` (per focused input, stage 2)."""
    a_claim = false_alarm / max(1, n_claims)
    if focus <= 0:
        return {"claim": a_claim, "stage1": a_claim / max(1, n_inputs), "stage2": 0.0}
    return {"claim": a_claim, "stage1": a_claim / 2 / max(1, n_inputs), "stage2": a_claim / 2 / focus}


@dataclass
class _Sample:
    """Sufficient statistics of ``n`` draws at one input (all in units of ``max|x|``)."""

    n: int
    r: np.ndarray  # (n,) per-draw ratios
    proj: np.ndarray  # (n, 1 + J) projections <C(x) - x, v>/||x||
    cmean: np.ndarray  # (d,) mean coordinate error
    cstd: np.ndarray
    cspread: np.ndarray
    first: np.ndarray  # (d,) first output (for messages)
    ymax: float  # max |C(x)| over the draws (original units)
    cabs: np.ndarray  # (d,) mean |C(x)_j| / max|x|


def _sample(Y: np.ndarray, x: np.ndarray, dirs: np.ndarray) -> _Sample:
    m = float(np.abs(x).max())
    E = Y - x
    E /= m
    xs = x / m
    xn = math.sqrt(float(xs @ xs))
    r = _ratio_rows(E, xn)
    proj = E @ (dirs.T / xn)  # dirs: unit rows, first = x/||x||
    n = Y.shape[0]
    mean = E.mean(axis=0)
    if n > 1:
        var = np.maximum((np.einsum("nd,nd->d", E, E) - n * mean * mean) / (n - 1), 0.0)
        std = np.sqrt(var)
    else:
        std = np.zeros(x.size)
    A = np.abs(Y)
    return _Sample(n, r, proj, mean, std, E.max(axis=0) - E.min(axis=0), Y[0].copy(), float(A.max()),
                   A.mean(axis=0) / m)


def _ratio_rows(E: np.ndarray, xn: float) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.einsum("nd,nd->n", E, E) / (xn * xn)
    return np.where(np.isfinite(r), np.minimum(r, _CLIP), _CLIP)


def bias_test(
    s: _Sample, x: np.ndarray, a: float, V: float, tol_mean: np.ndarray, dirs: np.ndarray
) -> tuple[float, bool, str, float]:
    """Two-sided test of ``E[C(x)] = x`` on one input at level ``a`` (split: coordinates,
    projections, flat statistics; module docstring). Returns ``(z, refuted, detail, detectable)``:
    ``z`` the largest |mean|/half-width, ``detectable`` the half-width of the projection on x
    (the smallest relative bias it could see)."""
    d = x.size
    J = s.proj.shape[1]
    m = float(np.abs(x).max())
    # coordinates: a/3 over d, with the observed spread (pooled over the stages by the caller)
    half_c = eb_half_width_two_sided(s.cstd, s.cspread, s.n, a / 3 / d) + tol_mean
    pm, half_p = eb_two_sided(s.proj, a / 3 / J, axis=0)
    pspread = s.proj.max(axis=0) - s.proj.min(axis=0)
    xs = x / m
    tol_p = (np.abs(dirs) @ tol_mean) / math.sqrt(float(xs @ xs))  # |sum_j err_j v_j| <= sum_j tol_j |v_j|
    half_p = half_p + tol_p
    flat_c = s.cspread <= tol_mean  # never varied beyond rounding
    flat_p = pspread <= tol_p
    zc = np.where(flat_c, 0.0, np.abs(s.cmean) / half_c)
    zp = np.where(flat_p, 0.0, np.abs(pm) / half_p)
    z = float(max(zc.max(initial=0.0), zp.max(initial=0.0)))
    ref = z > 1.0
    xsq = float(xs @ xs)
    k = int(flat_c.sum() + flat_p.sum())
    qs = min(1.0, math.log(max(1, k) / (a / 3)) / s.n) if k else 0.0
    allow = qs / (1 - qs) * V if qs < 1 else math.inf
    flat_stat_c = float(np.sum(np.where(flat_c, np.maximum(np.abs(s.cmean) - tol_mean, 0.0) ** 2, 0.0))) / xsq
    flat_stat_p = float(np.max(np.where(flat_p, np.maximum(np.abs(pm) - tol_p, 0.0) ** 2, 0.0), initial=0.0))
    flat_ref = k > 0 and max(flat_stat_c, flat_stat_p) > allow * (1 + 1e-9)
    det = float(half_p[0]) if not flat_p[0] else math.sqrt(allow) + float(tol_p[0])
    if ref:
        if zp.max(initial=0.0) >= zc.max(initial=0.0):
            j = int(np.argmax(zp))
            what = "along x: E<C(x), x>/||x||^2 - 1" if j == 0 else f"along random direction {j}: E<C(x) - x, v>/||x||"
            detail = f"{what} = {pm[j]:.6g}, {zp[j]:.3g} x its half-width {half_p[j]:.3g}"
        else:
            j = int(np.argmax(zc))
            detail = (f"coordinate {j}: mean error {s.cmean[j] * m:.6g} (x_j = {x[j]:.6g}), "
                      f"{zc[j]:.3g} x its half-width")
    elif flat_ref:
        if flat_stat_p >= flat_stat_c and flat_p.any():
            j = int(np.argmax(np.where(flat_p, np.abs(pm), -1.0)))
            detail = (f"projection {'on x' if j == 0 else f'on direction {j}'} never varied over {s.n} draws: "
                      f"{pm[j]:.6g} always; its square exceeds {allow:.3g}, the most an outcome rarer than "
                      f"{qs:.3g} could hide with variance <= {V:.6g}")
        else:
            j = int(np.argmax(np.where(flat_c, np.abs(s.cmean), -1.0)))
            detail = (f"coordinates that never varied over {s.n} draws carry a bias (e.g. coordinate {j}: "
                      f"C(x)_j = {s.first[j]:.6g} always, x_j = {x[j]:.6g}); sum of squared bias / ||x||^2 = "
                      f"{flat_stat_c:.3g} exceeds {allow:.3g}, the most an outcome rarer than {qs:.3g} could hide "
                      f"with variance <= {V:.6g}")
    else:
        detail = f"largest |mean error| / half-width {z:.3g}; projection on x: {pm[0]:.3g} +- {half_p[0]:.3g}"
    return z, bool(ref or flat_ref), detail, det


def ratio_test(
    r_sel: np.ndarray, r: np.ndarray, bound: float, a: float, tol: float, lower: float | None = None
) -> tuple[bool, float, float]:
    """Betting test of ``E r ≤ bound + tol`` at level ``a``; λ chosen on ``r_sel``.
    Returns ``(refuted, lower confidence limit, log capital)`` (the limit is computed unless given)."""
    B = np.asarray(bound + tol, dtype=float)
    lam = bet_lambda(r_sel, B)
    logk = float(bet_log_capital(r, B, lam))
    if lower is None:
        lower = _lower(r_sel, r, a)
    return bool(logk >= math.log(1 / a)), lower, logk


def _lower(r_sel: np.ndarray, r: np.ndarray, a: float) -> float:
    hi = max(float(np.max(r)), float(np.max(r_sel)), 1e-300) * 2
    return float(bet_lower(r_sel, r, a, np.asarray(hi), iters=30))


def _detectable(mean: float, lower: float) -> float:
    """Smallest relative excess over a bound that a test with this relative width would see."""
    if not (mean > 0) or not math.isfinite(lower):
        return math.inf
    w = max(0.0, (mean - lower) / mean)
    return w / (1 - w) if w < 1 else math.inf


# ----------------------------------------------------------------------------- main
def check_compressor(
    C: Any,
    d: int,
    *,
    omega: float | None = None,
    delta: float | None = None,
    unbiased: bool | None = None,
    claims: Sequence[str] | None = None,
    seed: int = 0,
    false_alarm: float = 1e-6,
    n_draws: int | None = None,
    n_pilot: int = 256,
    n_focus: int | None = None,
    focus: int = 2,
    inputs: Sequence[np.ndarray] | None = None,
    search: bool | str = True,
    search_generations: int = 12,
    backend: str = "numpy",
    dtype: Any = "float64",
    layout: str = "auto",
    framework: str = "auto",
    coupling: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> CompressorReport:
    """Check a compressor's claims at dimension ``d``; returns a :class:`CompressorReport`.

    ``C`` is a batched ``C(x, rng)``, a single-vector function, or a compress/decompress
    pair (:mod:`theorylab.testing.adapt`; ``layout``/``framework`` force a way of calling
    it, ``dtype`` may be ``"float64"``, ``"float32"``, ``"float16"`` or ``"bfloat16"``).
    Claims default to what ``C`` declares (``C.unbiased``, ``C.omega(d)``, ``C.delta(d)``);
    pass ``omega``, ``delta`` or ``unbiased`` to state or override them, and ``claims`` to
    check only some. A claimed ω implies unbiasedness unless ``unbiased=False`` or
    ``C.unbiased`` is False.

    Inputs: the labelled adversarial set (:func:`~theorylab.testing.strategies.adversarial_inputs`),
    the given ``inputs``, and the worst inputs of the seeded search (``search``). Each input
    gets ``n_pilot`` pilot draws and ``n_draws`` stage-1 draws (default 2000 for a batched
    compressor; 500, and a shorter search, for one called a vector at a time, where every draw
    is a Python call); ``n_focus`` (default 16000) stage-2 draws go to the ``focus`` inputs per
    claim closest to refuting it.
    Everything is seeded from ``seed``: a report replays. ``progress(stage, done, total)``
    is called as draws are made. The statistics are in the module docstring.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return _check(
            C, d, omega, delta, unbiased, claims, seed, false_alarm, n_draws, n_pilot, n_focus, focus, inputs,
            search, search_generations, backend, dtype, layout, framework, coupling, progress,
        )


def _check(
    C: Any, d: Any, omega: Any, delta: Any, unbiased: Any, claims: Any, seed: int, false_alarm: float,
    n_draws: int | None, n_pilot: int, n_focus: int | None, focus: int, inputs: Any, search: Any, search_generations: int,
    backend: str, dtype: Any, layout: str, framework: str, coupling: bool, progress: Any,
) -> CompressorReport:
    from .._validate import optional_bool, real_number

    t0 = time.perf_counter()
    d = positive_int("d", d)
    for name, v in (("omega", omega), ("delta", delta)):  # types here; the ranges in _resolve_claims
        if v is not None and (isinstance(v, (bool, str)) or not isinstance(v, (int, float, np.integer, np.floating))):
            raise InvalidParameterError(f"{name} must be a number, got {type(v).__name__} {v!r:.40}")
    unbiased = optional_bool("unbiased", unbiased)
    false_alarm = real_number("false_alarm", false_alarm)
    for name, v in (("n_draws", n_draws), ("n_focus", n_focus), ("n_pilot", n_pilot), ("focus", focus)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise InvalidParameterError(f"{name} must be an integer, got {type(v).__name__} {v!r:.40}")
    if claims is not None and (isinstance(claims, str) or not all(isinstance(c, str) for c in claims)):
        raise InvalidParameterError(f"claims must be a list of claim names among {CLAIMS}, got {claims!r:.60}")
    if not (0 < false_alarm < 1):
        raise InvalidParameterError(f"false_alarm must be in (0, 1), got {false_alarm}")
    if (n_draws is not None and n_draws < 16) or n_pilot < 4:
        raise InvalidParameterError(f"need n_draws >= 16 and n_pilot >= 4, got {n_draws}, {n_pilot}")
    if search not in (True, False, "evolution", "hypothesis"):
        raise InvalidParameterError(f"search must be True/'evolution', 'hypothesis' or False, got {search!r}")
    from ..budget import kit_budget

    kit_budget(d, max(n_draws or 2000, n_focus or 16000))  # before any allocation
    unb, omega, delta = _resolve_claims(C, d, omega, delta, unbiased, claims)
    check_seed(seed)
    info = resolve_dtype(dtype)
    ad = adapt(C, d, dtype=info, layout=layout, framework=framework, backend=backend, seed=seed)
    ss = np.random.SeedSequence(seed)
    s_search, s_pilot, s_main, s_focus, s_dirs, s_couple = ss.spawn(6)
    findings: list[Finding] = []
    tick = progress or (lambda stage, done, total: None)

    if coupling and ad.layout == "batched":
        msg = _coupled(ad, d, s_couple)
        if msg:
            single = replace(ad, layout="single")
            try:
                single.draw(np.ones((1, d)), 0)
                ad = single
                msg += "; the check calls it one vector at a time"
            except Exception:  # noqa: BLE001
                msg += "; it cannot be called on one vector, so the batched draws were used"
            findings.append(Finding("coupled-rows", msg))

    per_call = ad.layout != "batched"
    if n_draws is None:
        n_draws = 500 if per_call else 2000
    search_draws = 32 if per_call else 64
    if per_call:
        search_generations = min(search_generations, 6)
    n_focus = 16000 if n_focus is None else int(n_focus)
    focus = int(focus) if n_focus > 0 else 0

    # ---- inputs
    cand = adversarial_inputs(d, seed=seed)
    for i, x in enumerate(inputs or []):
        x = np.asarray(x, dtype=float)
        if x.shape != (d,) or not np.all(np.isfinite(x)) or not np.any(x != 0):
            raise InvalidParameterError(f"inputs[{i}] must be a finite, non-zero vector of shape ({d},)")
        cand.append((f"input_{i}", x))
    cand = [(lab, x) for lab, x in cand if _representable(x, info)]
    cand = [(lab, _round_to(x, info)) for lab, x in cand]
    if search:
        Cb = _batched_for_search(ad, d)
        if search == "hypothesis":
            found = search_worst_inputs_hypothesis(Cb, d, seed=s_search, dtype=np.float64)
        else:
            ordinary = [x for _, x in cand if _ordinary(float(np.abs(x).max()), d, info)]
            found = search_worst_inputs(Cb, d, ordinary, seed=s_search, generations=search_generations,
                                        n_draws=search_draws, dtype=np.float64)
        cand += [(f"search_{i}", _round_to(x, info)) for i, (x, f) in enumerate(found)
                 if np.isfinite(f) and _representable(x, info)]
    labels = [lab for lab, _ in cand]
    X = np.stack([x for _, x in cand])
    n_in = len(cand)
    scales = np.abs(X).max(axis=1)
    dirs = _directions(X, s_dirs)

    # ---- pilot: two calls per input, different seeds; failures recorded per input
    status = ["ok"] * n_in
    notes = [""] * n_in
    pilot: list[np.ndarray | None] = [None] * n_in
    h = n_pilot // 2
    pseeds = s_pilot.spawn(n_in)
    for i in range(n_in):
        a_, b_ = pseeds[i].spawn(2)
        try:
            Y = np.concatenate([_draw(ad, X[i], h, a_), _draw(ad, X[i], n_pilot - h, b_)])
        except CompressorContractError as exc:
            raise CompressorContractError(f"at input {labels[i]!r} (max|x| = {scales[i]:.3g}): {exc}") from None
        except Exception as exc:  # noqa: BLE001 - user code
            status[i], notes[i] = "raised", _short(exc)
            continue
        bad = ~np.isfinite(Y)
        if bad.any():
            status[i] = "non-finite"
            notes[i] = f"non-finite in {int(bad.any(axis=1).sum())} of {Y.shape[0]} draws"
            continue
        pilot[i] = Y
        tick("pilot", i + 1, n_in)

    # ---- magnitude range: ordinary inputs must be finite; extremes are findings
    contract_errors: list[str] = []
    ord_fail = [i for i in range(n_in) if status[i] != "ok" and _ordinary(scales[i], d, info)]
    fails = [i for i in range(n_in) if status[i] != "ok" and not _ordinary(scales[i], d, info)]
    lo_ord, hi_ord = _ordinary_range(d, info)
    hi_fail = min((scales[i] for i in fails if scales[i] > hi_ord), default=math.inf)
    lo_fail = max((scales[i] for i in fails if scales[i] < lo_ord), default=0.0)
    finite_range = None if not fails else (float(lo_fail), float(hi_fail))
    for i in range(n_in):
        if status[i] == "ok" and (scales[i] >= hi_fail or scales[i] <= lo_fail):
            status[i], notes[i] = "excluded", "outside the magnitude range where the compressor stays finite"
            pilot[i] = None
    if fails:
        which = ", ".join(f"{labels[i]!r} (max|x| = {scales[i]:.3g}: {notes[i]})" for i in fails[:2])
        findings.append(Finding(
            "overflow" if any(status[i] == "non-finite" for i in fails) else "raised",
            f"non-finite output or an exception at extreme magnitudes: {which}"
            + (f" and {len(fails) - 2} more" if len(fails) > 2 else "")
            + f"; claims judged for {lo_fail:.3g} < max|x| < {hi_fail:.3g}",
        ))
    raised_ord = [i for i in ord_fail if status[i] == "raised"]
    nonfinite_ord = [i for i in ord_fail if status[i] == "non-finite"]
    for i in raised_ord[:3]:
        contract_errors.append(f"raised at input {labels[i]!r} (max|x| = {scales[i]:.3g}): {notes[i]}")
    if raised_ord and len(raised_ord) > 3:
        contract_errors.append(f"... and at {len(raised_ord) - 3} more inputs of ordinary magnitude")
    good = [i for i in range(n_in) if pilot[i] is not None]
    if not good:
        raise CompressorContractError(
            "the compressor gave no finite output on any input: "
            + "; ".join(f"{labels[i]!r}: {notes[i]}" for i in range(min(3, n_in)))
        )

    deterministic = all(bool(np.all(pilot[i] == pilot[i][:1])) for i in good)  # type: ignore[index]
    n_claims = int(unb) + int(omega is not None) + int(delta is not None)
    lv = split_levels(false_alarm, n_claims, len(good), 0 if deterministic else focus)
    out_eps = info.eps
    eps64 = float(np.finfo(np.float64).eps)

    # ---- stage 1
    samples: dict[int, _Sample] = {}
    sel_r: dict[int, np.ndarray] = {}
    mseeds = s_main.spawn(n_in)
    for c, i in enumerate(good):
        P = pilot[i]
        if deterministic:
            samples[i] = _sample(P[:1], X[i], dirs[i])  # type: ignore[index]
            continue
        try:
            q = n_draws // 4
            parts = [_draw(ad, X[i], q + (n_draws - 4 * q if k == 3 else 0), sd) for k, sd in enumerate(mseeds[i].spawn(4))]
            Y = np.concatenate(parts)
        except Exception as exc:  # noqa: BLE001
            status[i], notes[i] = "raised", _short(exc)
            contract_errors.append(f"raised at input {labels[i]!r}: {notes[i]}")
            continue
        if not np.all(np.isfinite(Y)):
            status[i], notes[i] = "non-finite", "non-finite output in the test draws"
            if _ordinary(scales[i], d, info):
                nonfinite_ord.append(i)
            continue
        samples[i] = _sample(Y, X[i], dirs[i])
        sel_r[i] = _ratio_rows((P - X[i]) / scales[i], float(np.linalg.norm(X[i] / scales[i])))  # type: ignore[operator]
        tick("draws", c + 1, len(good))
    good = [i for i in good if i in samples]
    if not good:
        raise CompressorContractError(
            "the compressor gave no finite test draws on any input: "
            + "; ".join(f"{labels[i]!r}: {notes[i]}" for i in range(min(3, n_in)) if notes[i])
        )

    # ---- per-input numbers (stage 1)
    def tolerances(i: int, B: float, s: _Sample) -> tuple[np.ndarray, float]:
        m = scales[i]
        ugrid = 8.0 * _spacing(0.0, info) / m  # the subnormal grid, in units of max|x|
        xs = X[i] / m
        xhat = math.sqrt(float(xs @ xs))
        # rounding: float64 arithmetic on the kit's side, one rounding of every output in the dtype
        tol_mean = 64.0 * eps64 * (1.0 + np.abs(xs)) + 2.0 * out_eps * s.cabs + ugrid
        cmax = float(s.cabs.max())
        tol_r = (16.0 * out_eps * (1.0 + B) + 16.0 * (d + 1) * eps64 * (1.0 + B)
                 + 4.0 * out_eps * cmax * math.sqrt(d * (1.0 + B)) / xhat
                 + 2 * ugrid * math.sqrt(d * B) / xhat + d * (ugrid / xhat) ** 2)
        return tol_mean, tol_r

    res: dict[int, dict[str, Any]] = {}
    lowers: dict[int, float] = {}
    if not deterministic and good:  # one vectorised bisection for every input
        Rs = np.stack([sel_r[i] for i in good])
        Rt = np.stack([samples[i].r for i in good])
        hi = 2 * np.maximum(np.maximum(Rs.max(axis=1), Rt.max(axis=1)), 1e-300)
        lowers = dict(zip(good, bet_lower(Rs, Rt, lv["stage1"], hi, iters=30).tolist()))
    for i in good:
        s = samples[i]
        ratio = float(s.r.mean())
        if deterministic:
            lower = upper = ratio
        else:
            lower = lowers[i]
            upper = ratio + float(eb_width(s.r.std(ddof=1), s.r.max() - s.r.min(), s.n, lv["stage1"]))
        m = scales[i]
        xn = math.sqrt(float((X[i] / m) @ (X[i] / m)))
        res[i] = {"ratio": ratio, "lower": lower, "upper": upper, "bias": float(np.linalg.norm(s.cmean)) / xn}

    verdicts: list[ClaimVerdict] = []
    method = ("exact (deterministic)" if deterministic else
              "monte-carlo, two stages (betting test for ratios, empirical Bernstein for the bias; Bonferroni)")
    nonfinite_ord = sorted(set(nonfinite_ord))

    # ---- focus: stage 2 draws on the inputs closest to refuting each claim
    focus_sel: dict[str, list[int]] = {}
    claim_list: list[tuple[str, float | None, float | None]] = []
    if unb:
        claim_list.append(("unbiased", None, None))
    if omega is not None:
        claim_list.append(("omega", omega, omega))
    if delta is not None:
        claim_list.append(("delta", delta, 1.0 - delta))

    stage1: dict[str, dict[int, tuple[bool, float, str, float]]] = {}
    for claim, value, B in claim_list:
        out: dict[int, tuple[bool, float, str, float]] = {}
        for i in good:
            s = samples[i]
            tol_mean, tol_r = tolerances(i, B or 0.0, s)
            if claim == "unbiased":
                if deterministic:
                    err = np.abs(s.cmean)
                    z = float(np.max(err / tol_mean))
                    j = int(np.argmax(err / tol_mean))
                    out[i] = (z > 1, z, f"coordinate {j}: C(x)_j - x_j = {s.cmean[j] * scales[i]:.6g} exactly "
                              f"(x_j = {X[i, j]:.6g})", math.inf)
                    continue
                V = max(omega or 0.0, res[i]["upper"])
                z, ref, det, detect = bias_test(s, X[i], lv["stage1"], V, tol_mean, dirs[i])
                out[i] = (ref, z, det, detect)
            else:
                assert B is not None
                if B == 0.0 or deterministic:
                    rmax = float(s.r.max())
                    ref = rmax > B + tol_r
                    kind = "largest per-draw ratio" if not deterministic else "ratio (exact)"
                    out[i] = (ref, rmax - B, f"{kind} {rmax:.6g} vs bound {B:.6g} (rounding tolerance {tol_r:.2g})",
                              math.inf if not deterministic else 0.0)
                    continue
                ref, lower, logk = ratio_test(sel_r[i], s.r, B, lv["stage1"], tol_r, lower=res[i]["lower"])
                score = (s.r.mean() - B) / (s.r.std(ddof=1) / math.sqrt(s.n) + 1e-300 + tol_r)
                out[i] = (ref, float(score), f"ratio {s.r.mean():.6g}, lower confidence limit {lower:.6g} "
                          f"{'>' if ref else '<='} bound {B:.6g}", _detectable(float(s.r.mean()), lower))
        stage1[claim] = out
        if focus and not deterministic and not any(v[0] for v in out.values()) and not (claim != "unbiased" and B == 0):
            order = sorted(out, key=lambda i: -out[i][1])
            focus_sel[claim] = order[:focus]

    sel_inputs = sorted({i for v in focus_sel.values() for i in v})
    stage2: dict[int, _Sample] = {}
    stage2_sel: dict[int, np.ndarray] = {}
    n_focus_drawn = 0
    if sel_inputs:
        per = max(16, n_focus // len(sel_inputs))
        fseeds = s_focus.spawn(n_in)
        for c, i in enumerate(sel_inputs):
            try:
                Y = np.concatenate([_draw(ad, X[i], per // 4 + (per - 4 * (per // 4) if k == 3 else 0), sd)
                                    for k, sd in enumerate(fseeds[i].spawn(4))])
            except Exception as exc:  # noqa: BLE001
                contract_errors.append(f"raised at input {labels[i]!r}: {_short(exc)}")
                continue
            if not np.all(np.isfinite(Y)):
                if _ordinary(scales[i], d, info):
                    nonfinite_ord.append(i)
                continue
            stage2[i] = _sample(Y, X[i], dirs[i])
            stage2_sel[i] = samples[i].r
            n_focus_drawn += per
            tick("focus", c + 1, len(sel_inputs))

    for claim, value, B in claim_list:
        out = stage1[claim]
        how = method if not (claim != "unbiased" and B == 0.0 and not deterministic) else (
            "exact (any draw with C(x) != x refutes a bound of 0)")
        refuted_at = [i for i in good if out[i][0] and _ordinary(scales[i], d, info)]
        extreme = [i for i in good if out[i][0] and not _ordinary(scales[i], d, info)]
        if extreme:
            # naive float code breaks at 1e±300 (a norm that over- or underflows): a finding;
            # the claims are about real arithmetic and are judged on ordinary magnitudes
            i = extreme[0]
            findings.append(Finding(
                "extreme-magnitude",
                f"{claim} fails at {labels[i]!r} (max|x| = {scales[i]:.3g}, outside the ordinary range "
                f"[{lo_ord:.3g}, {hi_ord:.3g}]): {out[i][2]}",
            ))
        label_i: int
        detail: str
        a_used = lv["stage1"]
        if refuted_at:
            label_i = max(refuted_at, key=lambda i: out[i][1])
            detail = f"at {labels[label_i]!r} (stage 1): {out[label_i][2]}"
            verdict = "refuted"
        else:
            verdict = "holds"
            label_i = max(good, key=lambda i: out[i][1])
            detail = f"at {labels[label_i]!r}: {out[label_i][2]}"
            for i in focus_sel.get(claim, []):
                if i not in stage2:
                    continue
                s2 = stage2[i]
                tol_mean, tol_r = tolerances(i, B or 0.0, s2)
                if claim == "unbiased":
                    V = max(omega or 0.0, float(s2.r.mean() + eb_width(s2.r.std(ddof=1), s2.r.max() - s2.r.min(), s2.n,
                                                                       lv["stage2"])))
                    z, ref, det, detect = bias_test(s2, X[i], lv["stage2"], V, tol_mean, dirs[i])
                    if ref:
                        out = {**out, i: (True, z, det, detect)}
                else:
                    assert B is not None
                    ref, lower, logk = ratio_test(stage2_sel[i], s2.r, B, lv["stage2"], tol_r)
                    det = (f"ratio {s2.r.mean():.6g}, lower confidence limit {lower:.6g} "
                           f"{'>' if ref else '<='} bound {B:.6g}")
                    detect = _detectable(float(s2.r.mean()), lower)
                    if not ref:
                        # keep the more sensitive of the two stages for the power statement
                        if detect < out[i][3]:
                            out = {**out, i: (False, out[i][1], out[i][2], detect)}
                if ref:
                    verdict, label_i, a_used = "refuted", i, lv["stage2"]
                    detail = f"at {labels[i]!r} (stage 2, {s2.n} focused draws): {det}"
                    break
                if claim == "unbiased" and detect < out[i][3]:
                    out = {**out, i: (False, out[i][1], out[i][2], detect)}
        if nonfinite_ord:
            i = nonfinite_ord[0]
            verdict, label_i = "refuted", i
            how = "exact (non-finite output at an ordinary magnitude)"
            detail = (f"at {labels[i]!r} (max|x| = {scales[i]:.3g}, an ordinary magnitude): C(x) is not finite "
                      f"({notes[i] or 'in the test draws'}); no claim about E C(x) can hold there")
            a_used = 0.0
        if claim == "unbiased" or deterministic:  # a wrong scale shows at every input: the most sensitive one
            det_i = min(good, key=lambda i: out[i][3]) if good else None
        else:  # an understated worst case shows at the worst input: the one with the largest lower limit
            det_i = max(good, key=lambda i: res[i]["lower"]) if good else None
        detectable = None if det_i is None or not math.isfinite(out[det_i][3]) else float(out[det_i][3])
        r_i = res.get(label_i, {"ratio": math.nan, "lower": math.nan})
        est = r_i["ratio"] if claim != "unbiased" else out.get(label_i, (0, math.nan))[1]
        verdicts.append(ClaimVerdict(
            claim, None if value is None else float(value), None if B is None else float(B), verdict,
            1.0 - false_alarm, how, float(est), None if claim == "unbiased" else r_i["lower"],
            labels[label_i], X[label_i].tolist(), detail, false_alarm=float(a_used) if verdict == "refuted" else false_alarm,
            detectable=detectable, detectable_at="" if det_i is None else labels[det_i],
        ))

    # ---- findings
    claims_compression = (omega or 0) > 0 or (delta is not None and delta < 1) or (omega is None and delta is None)
    if claims_compression and good and all(
        _returns_input(pilot[i], X[i]) for i in good
    ):
        findings.append(Finding("identity", f"C(x) = x (within a relative {IDENTITY_RTOL:g}) on every input: the compressor returns its input "
                                 "up to rounding (it does not compress)"))
    elif deterministic and (omega or 0) > 0 and max(res[i]["ratio"] for i in good) <= 1e-12:
        findings.append(Finding("no-compression", f"deterministic with ratio ~ 0 on every input while claiming omega = {omega:g}"))

    results = []
    for i in range(n_in):
        if i in res:
            r = res[i]
            results.append(InputResult(labels[i], X[i].tolist(), float(scales[i]), samples[i].n, deterministic,
                                       r["ratio"], r["lower"], r["upper"], r["bias"],
                                       float(max((stage1[c][i][1] for c in stage1 if c == "unbiased"), default=0.0))))
        else:
            results.append(InputResult(labels[i], X[i].tolist(), float(scales[i]), 0, deterministic, math.nan, math.nan,
                                       math.nan, math.nan, math.nan, status[i] if status[i] != "ok" else "excluded",
                                       notes[i]))
    ok_res = [r for r in results if r.status == "ok"]
    worst = max(ok_res, key=lambda r: r.ratio) if ok_res else None
    settings = {
        "false_alarm": false_alarm,
        "per_input_level": lv["stage1"],
        "stage2_level": lv["stage2"],
        "n_draws": 1 if deterministic else n_draws,
        "n_pilot": n_pilot,
        "n_focus_drawn": n_focus_drawn,
        "focus": {k: [labels[i] for i in v] for k, v in focus_sel.items()},
        "n_inputs": len(good),
        "seed": seed,
        "search": search,
        "backend": backend,
        "dtype": info.name,
        "adapter": ad.description,
    }
    return CompressorReport(_name(C), d, verdicts, results, worst, deterministic, settings, time.perf_counter() - t0,
                            findings, finite_range, contract_errors)


# ----------------------------------------------------------------------------- helpers
IDENTITY_RTOL = 1e-6  # C(x) within this relative distance of x on every draw and input: "does not compress"


def _returns_input(P: np.ndarray | None, x: np.ndarray) -> bool:
    """Every pilot draw equals ``x`` up to a relative :data:`IDENTITY_RTOL` (of ``max|x|``): float
    rounding of ``x`` (natural dithering that returns its input) counts as returning it."""
    if P is None:
        return False
    scale = float(np.max(np.abs(x))) if x.size else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(P - x) <= IDENTITY_RTOL * scale))


def _draw(ad: Adapted, x: np.ndarray, n: int, seed: Any) -> np.ndarray:
    return ad.draw(np.broadcast_to(x, (n, x.size)).copy(), seed)


def _ordinary_range(d: int, info: Any) -> tuple[float, float]:
    """Magnitudes where a naive ``‖x‖²`` neither overflows nor underflows: ``[√tiny·d, √max/d]``."""
    return math.sqrt(info.tiny) * d, math.sqrt(info.max) / d


def _ordinary(scale: float, d: int, info: Any) -> bool:
    lo, hi = _ordinary_range(d, info)
    return lo <= scale <= hi


def _representable(x: np.ndarray, info: Any) -> bool:
    if not np.all(np.abs(x) <= info.max):
        return False
    return bool(np.any(_round_to(x, info) != 0))


def _round_to(x: np.ndarray, info: Any) -> np.ndarray:
    """``x`` rounded to the working dtype (as float64 values)."""
    with np.errstate(over="ignore"):
        if info.np_dtype is not None:
            return np.asarray(x).astype(info.np_dtype).astype(np.float64)
    import torch

    return torch.from_numpy(np.asarray(x, dtype=np.float64)).to(torch.bfloat16).double().numpy()


def _spacing(v: float, info: Any) -> float:
    if info.np_dtype is not None:
        return float(np.spacing(info.np_dtype(min(v, info.max))))
    return float(2.0 ** (math.floor(math.log2(max(v, info.tiny))) - 7))  # bfloat16: 8 significant bits


def _directions(X: np.ndarray, seed: Any) -> np.ndarray:
    """Unit directions per input, ``(m, 1 + J, d)``: ``x/‖x‖`` then J random Gaussian ones."""
    m, d = X.shape
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((m, N_DIRECTIONS, d))
    xs = X / np.abs(X).max(axis=1, keepdims=True)
    D = np.concatenate([xs[:, None, :], G], axis=1)
    return D / np.linalg.norm(D, axis=2, keepdims=True)


def _batched_for_search(ad: Adapted, d: int) -> Callable[[np.ndarray, Any], np.ndarray]:
    """A batched ``C(B, rng)`` for the search: failures give NaN (the search skips them)."""

    def Cb(B: np.ndarray, rng: Any) -> np.ndarray:
        B = np.asarray(B)
        flat = B.reshape(-1, d)
        try:
            seed = int(rng.integers(2**63))
            return ad.draw(flat, seed).reshape(B.shape)
        except Exception:  # noqa: BLE001 - user code; the check itself records failures
            return np.full(B.shape, np.nan)

    return Cb


def _coupled(ad: Adapted, d: int, seed: Any, n: int = 64) -> str:
    """A message when rows of a batched call are coupled (``C(X)[i]`` not distributed as ``C(X[i])``)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(d)
    other = 1e3 * rng.standard_normal(d)
    s1, s2, s3 = seed.spawn(3)
    try:
        A = np.concatenate([ad.draw(x[None, :], sd) for sd in s1.spawn(n)])
        Bm = ad.draw(np.broadcast_to(x, (n, d)).copy(), s2)
        mix = np.where((np.arange(n) % 2 == 0)[:, None], x, other)
        M = ad.draw(mix, s3)[0::2]
    except Exception:  # noqa: BLE001 - the main check reports failures
        return ""
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(Bm)) and np.all(np.isfinite(M))):
        return ""
    rA, rB, rM = (((Y - x) ** 2).sum(axis=1) / (x @ x) for Y in (A, Bm, M))
    if np.all(A == A[:1]):  # deterministic: the rows must equal the single-vector output exactly
        if not (np.allclose(Bm, A[:1], rtol=1e-6, atol=0) and np.allclose(M, A[:1], rtol=1e-6, atol=0)):
            return "a row's output depends on the other rows of the batch (deterministic outputs differ)"
        return ""
    if np.all(Bm == Bm[:1]):
        return "all rows of one call are identical: the rows share their randomness"
    for other_r, what in ((rB, "a batch of equal rows"), (rM, "a batch mixed with rows 1000x larger")):
        se = math.sqrt(rA.var(ddof=1) / rA.size + other_r.var(ddof=1) / other_r.size)
        diff = abs(rA.mean() - other_r.mean())
        if diff > 6 * se + 1e-9 * (1 + rA.mean()):
            return (f"the error ratio differs between single-vector calls ({rA.mean():.4g}) and {what} "
                    f"({other_r.mean():.4g}); C(X)[i] is not distributed as C(X[i])")
    return ""


# ----------------------------------------------------------------------------- asserts
def _assert(report: CompressorReport, claim: str) -> CompressorReport:
    if report.verdict(claim) is None:
        raise InvalidParameterError(f"no {claim} claim to check for {report.name} (pass it explicitly)")
    if report.verdict(claim) == "refuted":
        raise AssertionError(f"{claim} claim refuted\n" + report.text())
    return report


def assert_unbiased(C: Any, d: int, **kw: Any) -> CompressorReport:
    """Raise ``AssertionError`` (with the report) when ``E[C(x)] = x`` is refuted (for pytest)."""
    kw.setdefault("unbiased", True)
    return _assert(check_compressor(C, d, claims=("unbiased",), **kw), "unbiased")


def assert_variance_bound(C: Any, d: int, omega: float | None = None, **kw: Any) -> CompressorReport:
    """Raise ``AssertionError`` when ``E‖C(x) − x‖² ≤ ω‖x‖²`` is refuted (ω declared or given)."""
    return _assert(check_compressor(C, d, omega=omega, claims=("omega",), **kw), "omega")


def assert_contractive(C: Any, d: int, delta: float | None = None, **kw: Any) -> CompressorReport:
    """Raise ``AssertionError`` when ``E‖C(x) − x‖² ≤ (1 − δ)‖x‖²`` is refuted (δ declared or given)."""
    return _assert(check_compressor(C, d, delta=delta, claims=("delta",), **kw), "delta")
