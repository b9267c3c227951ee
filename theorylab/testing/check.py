"""Property tests for any compressor ``C(x, rng)``: unbiasedness, U(ω) and C(δ) claims.

:func:`check_compressor` estimates, for each input x it tries and **at that fixed x**
(over the compressor's own randomness only: ``x`` is broadcast to ``(n_draws, d)`` and the
rows are compressed independently),

- the bias ``E[C(x)] − x`` (one estimate per coordinate), and
- the variance ratio ``R(x) = E‖C(x) − x‖² / ‖x‖²``,

and gives a verdict on each claim: ``unbiased`` (``E[C(x)] = x``), ``omega``
(``R(x) ≤ ω``) and ``delta`` (``R(x) ≤ 1 − δ``).

Statistics (a refutation is a statement at confidence ``1 − false_alarm``):

- **Family-wise error.** ``false_alarm`` (default ``1e-6``) is the probability that *any*
  claim is refuted although every claim is true. It is split equally among the claims
  checked, then (Bonferroni) among the inputs tried and, for unbiasedness, the ``d``
  coordinates: per-test level ``a = false_alarm / (n_claims · n_inputs [· d])``.
- **Inputs are fixed before the test draws.** The worst-input search (:mod:`.search`) uses
  its own draws; the inputs it returns are then tested on fresh, independent draws, so the
  search cannot bias the test.
- **Variance claims (one-sided).** A claim ``R(x) ≤ B`` is refuted only when a ``1 − a``
  *lower* confidence limit of ``R(x)`` exceeds ``B``: a compressor whose ratio *equals* its
  bound (Rand-k at every x, C_nat at ``(4/3)2^j``, TernGrad at ``(1, ε, …, ε)``) is refuted
  with probability at most ``a``. The per-draw ratios ``r_i = ‖C(x) − x‖²/‖x‖²`` are
  non-negative and may be heavy-tailed, so the bound is the empirical Bernstein bound
  (Maurer & Pontil 2009) on ``E min(r, c) ≤ E r``, with the truncation level ``c`` taken from
  an independent pilot sample: valid for any distribution of ``r`` (see :mod:`._stats`).
- **Unbiasedness (two-sided, per coordinate).** The coordinate errors ``e_j = C(x)_j − x_j``
  are tested with the two-sided empirical Bernstein bound at level ``a/2`` per side, with
  the sample variance and the *observed* range ``R_j`` of ``e_j`` in the range term. The
  bound is exact when the range is known; with the observed range it is a plug-in that
  holds as long as every outcome of probability ``≳ ln(1/a)/n`` is observed (compressors
  whose mean rests on events rarer than that, e.g. Bernoulli with ``p < 1e-3`` at the
  default ``n_draws``, need more draws). Its range term ``7 R ln(4/a)/(3(n−1))`` makes it
  strictly more conservative than a CLT z-test, which under-covers skewed variables at
  these small levels.
  A coordinate whose errors never varied over the draws of a random compressor cannot be
  tested this way (its mean may rest on an outcome too rare to be observed). When ω is
  claimed too, these *flat* coordinates are tested jointly with it: an outcome that none of
  ``n`` draws shows has, for all coordinates at once with probability ``≥ 1 − a/2``,
  probability ``q ≤ q* = ln(2d/a)/n``, and a mean shift ``b_j`` hidden in such an outcome
  needs ``b_j² ≤ q*/(1−q*) Var_j``; since ``Σ Var_j ≤ ω‖x‖²`` under U(ω), the claim
  is refuted when ``Σ_flat b_j² > q*/(1−q*) ω ‖x‖²``. (The level for unbiasedness is
  split: ``a/(2d)`` per coordinate, ``a/2`` for the flat test.) Without an ω claim flat
  coordinates are counted in the report and not tested. The test draws are made in 4 separate calls, so a
  "random" mask shared by all rows of a call still varies between calls.
- **Exact where possible.** If two pilot calls with different seeds return identical
  outputs on every input (a deterministic compressor: Top-k, scaled sign, identity, or a
  "random" compressor that reuses one fixed mask), one draw is exact: the verdicts compare
  the exact values, up to floating-point rounding (``tol``).
- **A claim of ω = 0** (or δ = 1) means ``C(x) = x`` almost surely: any single draw with
  ``‖C(x) − x‖² > tol`` refutes it exactly.
- **Rounding.** Outputs are floats: a bias or excess below rounding is not evidence. With
  ``ε`` the machine epsilon of the dtype and ``u = 8 ulp(max|C(x)|)/max|x|`` the output grid
  in units of ``max|x|`` (it matters for subnormal inputs, where the grid is coarse and no
  compressor can be exactly unbiased), a coordinate's mean error is compared with its
  half-width plus ``64 ε (1 + |x_j|/max|x|) + u``, and the ratio with ``B`` plus
  ``16 (d + 1) ε (1 + B) + 2 u √(dB)/‖x̂‖ + d u²/‖x̂‖²`` (``x̂ = x/max|x|``).

A random compressor that reuses one fixed mask on every call is caught either way: it is
deterministic (exact check: ``E[C(x)] = C(x) ≠ x``), or, if the mask is redrawn per call but
shared by the rows of a call, its rows agree and the mean over them is not ``x``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..backend import check_seed, default_rng, get_xp, to_numpy
from ..compressors._base import ClassNotApplicableError
from ..errors import InvalidParameterError, positive_int
from ._stats import eb_lower, eb_width
from .search import search_worst_inputs, search_worst_inputs_hypothesis
from .strategies import adversarial_inputs

__all__ = [
    "CompressorReport",
    "ClaimVerdict",
    "InputResult",
    "check_compressor",
    "assert_unbiased",
    "assert_variance_bound",
    "assert_contractive",
    "CLAIMS",
]

CLAIMS = ("unbiased", "omega", "delta")
_CLIP = 1e300  # per-draw ratios are clipped here (conservative: it only lowers the estimate)


@dataclass
class InputResult:
    """Estimates at one fixed input ``x`` (expectations over the compressor's randomness)."""

    label: str
    x: list[float]
    n_draws: int
    exact: bool
    ratio: float  # estimate of E||C(x)-x||^2/||x||^2
    ratio_lower: float  # 1-a lower confidence limit (rigorous, truncation + empirical Bernstein)
    ratio_upper: float  # plug-in upper limit (observed range); for display
    bias: float  # ||mean(C(x)) - x|| / ||x||
    bias_z: float  # max_j |mean error_j| / (its 1-a half-width); > 1 means significant


@dataclass
class ClaimVerdict:
    """Verdict on one claim: ``holds`` at confidence ``confidence`` or ``refuted`` (with x)."""

    claim: str
    value: float | None  # omega, delta, or None for unbiasedness
    bound: float | None  # the bound it puts on the variance ratio
    verdict: str
    confidence: float
    method: str
    estimate: float  # worst estimate over the inputs (ratio, or bias z for unbiasedness)
    lower: float | None  # the lower confidence limit at the deciding input
    label: str  # the deciding input (refuting, or worst)
    x: list[float]
    detail: str


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

    @property
    def passed(self) -> bool:
        """True when no claim is refuted."""
        return all(c.verdict != "refuted" for c in self.claims)

    @property
    def refuted(self) -> list[ClaimVerdict]:
        return [c for c in self.claims if c.verdict == "refuted"]

    def verdict(self, claim: str) -> str | None:
        for c in self.claims:
            if c.claim == claim:
                return c.verdict
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"passed": self.passed}

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), **({"indent": 2} | kw))

    def text(self, max_inputs: int = 8) -> str:
        s = self.settings
        lines = [
            f"compressor {self.name}  d={self.d}  "
            f"{'deterministic (exact)' if self.deterministic else 'random (Monte Carlo)'}  "
            f"{len(self.inputs)} inputs x {s.get('n_draws')} draws  false alarm {s.get('false_alarm'):.0e}  "
            f"seed {s.get('seed')}  {self.seconds:.2f}s",
        ]
        if not self.claims:
            lines.append("  no claims to check (command line: --omega W or --delta D; "
                         "Python: check_compressor(..., omega=, delta= or unbiased=))")
        for c in self.claims:
            what = "E[C(x)] = x" if c.claim == "unbiased" else f"{c.claim} = {c.value:.6g} (ratio <= {c.bound:.6g})"
            lines.append(f"  {c.verdict.upper():8s} {what}  [{c.method}; confidence {c.confidence:.6g}]")
            lines.append(f"           {c.detail}")
        w = self.worst
        if w is not None:
            lines.append(
                f"  worst input found: {w.label}: ratio {w.ratio:.6g} "
                f"(lower {w.ratio_lower:.6g}, upper {w.ratio_upper:.6g})"
            )
        lines.append("  inputs (largest ratio first):  label  ratio  [lower, upper]  bias/|x|  bias z")
        for r in sorted(self.inputs, key=lambda r: -r.ratio)[:max_inputs]:
            lines.append(
                f"    {r.label:32s} {r.ratio:10.5g}  [{r.ratio_lower:.5g}, {r.ratio_upper:.5g}]  "
                f"{r.bias:.3g}  {r.bias_z:.3g}"
            )
        return "\n".join(lines)

    __str__ = text


# ----------------------------------------------------------------------------- claims
def _declared(C: Any, what: str, d: int) -> float | None:
    f = getattr(C, what, None)
    if isinstance(f, (int, float, np.integer, np.floating)) and not isinstance(f, bool):
        return float(f)  # a plain number attribute (user objects)
    if not callable(f):
        return None
    try:
        return float(f(d))
    except (ClassNotApplicableError, NotImplementedError):
        return None


def _name(C: Any) -> str:
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


# ----------------------------------------------------------------------------- sampling
def _draw(C: Callable, X: np.ndarray, n: int, rng: Any, xp: Any, chunk: int = 1 << 22) -> np.ndarray:
    """``C`` applied to each of the inputs ``X`` (m, d), ``n`` times: array (m, n, d)."""
    m, d = X.shape
    per = max(1, chunk // max(1, n * d))
    out = []
    for i in range(0, m, per):
        Xi = xp.asarray(X[i : i + per])
        B = xp.broadcast_to(Xi[:, None, :], (Xi.shape[0], n, d)).copy()
        Y = C(B, rng)
        if tuple(Y.shape) != tuple(B.shape):
            raise InvalidParameterError(
                f"compressor returned shape {tuple(Y.shape)} for input of shape {tuple(B.shape)}; "
                "C(x, rng) must keep the shape (..., d) and compress rows independently"
            )
        out.append(to_numpy(Y).astype(np.float64, copy=False))
    return np.concatenate(out, axis=0)


def _ratios(Y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Per-draw ``‖y − x‖²/‖x‖²`` computed on ``x/max|x|`` scale (no overflow), clipped at 1e300."""
    m = np.abs(X).max(axis=-1)
    E = (Y - X[:, None, :]) / m[:, None, None]
    xs = X / m[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        num = np.einsum("ind,ind->in", E, E)
    den = np.einsum("id,id->i", xs, xs)
    r = num / den[:, None]
    return np.where(np.isfinite(r), np.minimum(r, _CLIP), _CLIP)


# ----------------------------------------------------------------------------- main
def check_compressor(
    C: Callable[[Any, Any], Any],
    d: int,
    *,
    omega: float | None = None,
    delta: float | None = None,
    unbiased: bool | None = None,
    claims: Sequence[str] | None = None,
    seed: int = 0,
    false_alarm: float = 1e-6,
    n_draws: int = 2000,
    n_pilot: int = 256,
    inputs: Sequence[np.ndarray] | None = None,
    search: bool | str = True,
    search_generations: int = 12,
    backend: str = "numpy",
    dtype: Any = np.float64,
) -> CompressorReport:
    """Check a compressor's claims at dimension ``d``; returns a :class:`CompressorReport`.

    ``C`` is any callable ``C(x, rng)`` acting on rows of ``x`` (shape ``(..., d)``). Claims
    default to what ``C`` declares (``C.unbiased``, ``C.omega(d)``, ``C.delta(d)``); pass
    ``omega``, ``delta`` or ``unbiased`` to state or override them, and ``claims`` (a subset of
    ``("unbiased", "omega", "delta")``) to check only some. A claimed ω implies unbiasedness
    unless ``unbiased=False`` or ``C.unbiased`` is False.

    Inputs tried: the labelled adversarial set of :func:`~theorylab.testing.strategies.adversarial_inputs`,
    the given ``inputs``, and the worst inputs found on independent draws by
    :func:`~theorylab.testing.search.search_worst_inputs` (``search=True`` or ``"evolution"``,
    the default) or by the hypothesis-``target`` search
    :func:`~theorylab.testing.search.search_worst_inputs_hypothesis` (``search="hypothesis"``). Each input
    gets ``n_pilot`` pilot draws (two calls, different seeds: determinism and truncation
    level) and ``n_draws`` test draws. Everything is seeded from ``seed``: a report replays.
    The statistics, their confidence and the Bonferroni split of ``false_alarm`` are in the
    module docstring.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return _check(
            C, d, omega, delta, unbiased, claims, seed, false_alarm, n_draws, n_pilot, inputs, search,
            search_generations, backend, dtype,
        )


def _check(
    C: Any, d: Any, omega: Any, delta: Any, unbiased: Any, claims: Any, seed: int, false_alarm: float, n_draws: int,
    n_pilot: int, inputs: Any, search: Any, search_generations: int, backend: str, dtype: Any,
) -> CompressorReport:
    t0 = time.perf_counter()
    d = positive_int("d", d)
    if not (0 < false_alarm < 1):
        raise InvalidParameterError(f"false_alarm must be in (0, 1), got {false_alarm}")
    if n_draws < 16 or n_pilot < 4:
        raise InvalidParameterError(f"need n_draws >= 16 and n_pilot >= 4, got {n_draws}, {n_pilot}")
    if not callable(C):
        raise InvalidParameterError(f"C must be callable as C(x, rng), got {C!r}")
    unb, omega, delta = _resolve_claims(C, d, omega, delta, unbiased, claims)
    xp = get_xp(backend)
    check_seed(seed)
    ss = np.random.SeedSequence(seed)
    s_search, s_pilot1, s_pilot2, s_main = ss.spawn(4)

    # ---- inputs: fixed adversarial set, user inputs, then the search (own draws)
    cand = adversarial_inputs(d, seed=seed)
    for i, x in enumerate(inputs or []):
        x = np.asarray(x, dtype=float)
        if x.shape != (d,) or not np.all(np.isfinite(x)) or not np.any(x != 0):
            raise InvalidParameterError(f"inputs[{i}] must be a finite, non-zero vector of shape ({d},)")
        cand.append((f"input_{i}", x))
    # inputs not representable in dtype (1e300 in float32) are left out
    fin = np.finfo(dtype)
    cand = [
        (lab, x) for lab, x in cand
        if np.all(np.abs(x) <= fin.max) and np.any(x.astype(dtype) != 0)
    ]
    if search not in (True, False, "evolution", "hypothesis"):
        raise InvalidParameterError(f"search must be True/'evolution', 'hypothesis' or False, got {search!r}")
    if search == "hypothesis":
        found = search_worst_inputs_hypothesis(C, d, seed=s_search, backend=backend, dtype=dtype)
    elif search:
        found = search_worst_inputs(
            C, d, [x for _, x in cand], seed=s_search, generations=search_generations, backend=backend, dtype=dtype
        )
    if search:
        cand += [(f"search_{i}", x) for i, (x, _) in enumerate(found)]
    labels = [lab for lab, _ in cand]
    X = np.stack([x for _, x in cand]).astype(dtype)
    Xf = X.astype(np.float64)
    n_in = len(cand)

    # ---- pilot: two calls with different seeds
    h = n_pilot // 2
    P1 = _draw(C, X, h, default_rng(s_pilot1, xp), xp)
    P2 = _draw(C, X, n_pilot - h, default_rng(s_pilot2, xp), xp)
    if not (np.all(np.isfinite(P1)) and np.all(np.isfinite(P2))):
        bad = int(np.flatnonzero(~np.isfinite(np.concatenate([P1, P2], 1)).any(axis=(1, 2)))[0])
        raise InvalidParameterError(f"compressor returned non-finite values at input {labels[bad]!r}: {Xf[bad]}")
    deterministic = bool(np.all(P1 == P1[:, :1]) and np.all(P2 == P1[:, :1]))
    out_eps = float(np.finfo(dtype).eps)
    if deterministic:
        Y, n = P1[:, :1], 1
        cut = np.full(n_in, _CLIP)
    else:
        P = np.concatenate([P1, P2], axis=1)
        cut = _ratios(P, Xf).max(axis=1)  # truncation level from the pilot (independent of Y)
        # the test draws come in 4 calls, so a mask shared by the rows of one call shows
        seeds = s_main.spawn(4)
        q = n_draws // 4
        Y = np.concatenate(
            [_draw(C, X, q + (n_draws - 4 * q if i == 3 else 0), default_rng(sd, xp), xp) for i, sd in enumerate(seeds)],
            axis=1,
        )
        n = n_draws
        if not np.all(np.isfinite(Y)):
            bad = int(np.flatnonzero(~np.isfinite(Y).any(axis=(1, 2)))[0])
            raise InvalidParameterError(f"compressor returned non-finite values at input {labels[bad]!r}")

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _verdicts(
            C, d, labels, Xf, Y, n, cut, deterministic, unb, omega, delta, false_alarm, n_in, out_eps, t0, dtype,
            {"seed": seed, "n_pilot": n_pilot, "search": search, "backend": backend, "dtype": np.dtype(dtype).name},
        )


def _verdicts(
    C: Any, d: int, labels: list[str], Xf: np.ndarray, Y: np.ndarray, n: int, cut: np.ndarray, deterministic: bool,
    unb: bool, omega: float | None, delta: float | None, false_alarm: float, n_in: int, out_eps: float, t0: float, dtype_out: Any,
    extra: dict[str, Any],
) -> CompressorReport:
    n_claims = int(unb) + int(omega is not None) + int(delta is not None)
    a_claim = false_alarm / max(1, n_claims)
    a_in = a_claim / n_in
    a_coord = a_in / (2 * d)  # unbiasedness: half per coordinate, half to the flat-coordinate test
    conf = 1.0 - false_alarm

    # ---- variance ratio per input
    r = _ratios(Y, Xf)  # (m, n)
    ratio = r.mean(axis=1)
    if deterministic:
        lower = upper = ratio.copy()
    else:
        lower = eb_lower(r, cut, a_in)
        std = r.std(axis=1, ddof=1)
        upper = ratio + eb_width(std, r.max(axis=1) - r.min(axis=1), n, a_in)

    # ---- bias per coordinate, in units of max|x|
    m = np.abs(Xf).max(axis=1)
    E = (Y - Xf[:, None, :]) / m[:, None, None]
    Ebar = E.mean(axis=1)
    ymax = np.maximum(np.abs(Y).max(axis=(1, 2)), m).astype(dtype_out)
    ugrid = 8.0 * np.spacing(ymax).astype(np.float64) / m  # output grid in units of max|x|
    tol_mean = 64.0 * out_eps * (1.0 + np.abs(Xf / m[:, None])) + ugrid[:, None]
    xhat = np.linalg.norm(Xf / m[:, None], axis=1)
    if deterministic:
        half = tol_mean
    else:
        spread = E.max(axis=1) - E.min(axis=1)
        half = eb_width(E.std(axis=1, ddof=1), spread, n, a_coord / 2) + tol_mean
        # A coordinate that never varied cannot show a bias of a random compressor: the
        # mean may rest on an outcome too rare to be seen in n draws (no range is known).
        half = np.where(spread > 0, half, np.inf)
    bias_z = (np.abs(Ebar) / half).max(axis=1)
    flat = ~np.isfinite(half)
    n_flat = int(flat.sum())
    # Flat coordinates under U(omega): an outcome unseen in n draws has probability
    # q <= q* = ln(d/(a/2))/n (all coordinates at once, prob. >= 1 - a/2), and then
    # b_j^2 <= q*/(1-q*) Var_j, so sum_flat b_j^2 <= q*/(1-q*) omega ||x||^2.
    flat_stat = np.zeros(n_in)
    flat_bound = math.inf
    if n_flat and omega is not None:
        qs = min(1.0, math.log(2 * d / a_in) / n)
        flat_bound = qs / (1 - qs) * omega if qs < 1 else math.inf
        xsq = ((Xf / m[:, None]) ** 2).sum(axis=1)
        flat_stat = np.where(flat, Ebar**2, 0.0).sum(axis=1) / xsq
    xn = np.linalg.norm(Xf / m[:, None], axis=1)
    bias = np.linalg.norm(Ebar, axis=1) / xn

    results = [
        InputResult(
            labels[i], Xf[i].tolist(), n, deterministic, float(ratio[i]), float(lower[i]), float(upper[i]),
            float(bias[i]), float(bias_z[i]),
        )
        for i in range(n_in)
    ]
    worst_i = int(np.argmax(ratio))
    method = "exact (deterministic)" if deterministic else "monte-carlo (empirical Bernstein, Bonferroni)"

    verdicts: list[ClaimVerdict] = []
    if unb:
        i = int(np.argmax(bias_z))
        ref = bool(bias_z[i] > 1.0)
        i_flat = int(np.argmax(flat_stat - flat_bound))
        flat_ref = bool(flat_stat[i_flat] > flat_bound * (1 + 1e-9) + 64 * out_eps)
        if flat_ref and not ref:
            i = i_flat
        j = int(np.argmax(np.abs(Ebar[i]) / half[i]))
        detail = (
            f"at {labels[i]!r}, coordinate {j}: mean error {Ebar[i, j] * m[i]:.6g} "
            f"(x_j = {Xf[i, j]:.6g}), {bias_z[i]:.3g} x its {'tolerance' if deterministic else 'confidence half-width'}; "
            f"relative bias ||E C(x) - x||/||x|| = {bias[i]:.3g}"
            + (
                f"; {n_flat} (input, coordinate) pairs never varied: tested jointly with omega "
                f"(sum of their squared bias / ||x||^2 = {flat_stat[i_flat]:.3g} at {labels[i_flat]!r}, "
                f"allowed {flat_bound:.3g})"
                if n_flat and omega is not None
                else f"; {n_flat} (input, coordinate) pairs never varied and were not tested (no omega claimed)"
                if n_flat
                else ""
            )
        )
        if flat_ref and not ref:
            jf = int(np.argmax(np.where(flat[i], np.abs(Ebar[i]), -1.0)))
            detail = (
                f"at {labels[i]!r}: coordinates that never varied over {n} draws carry a bias "
                f"(e.g. coordinate {jf}: C(x)_j = {Y[i, 0, jf]:.6g} always, x_j = {Xf[i, jf]:.6g}); "
                f"sum of squared bias / ||x||^2 = {flat_stat[i]:.3g} exceeds {flat_bound:.3g}, the most "
                f"an outcome rarer than {math.log(2 * d / a_in) / n:.3g} could hide under omega = {omega:.6g}"
            )
        ref = ref or flat_ref
        verdicts.append(
            ClaimVerdict(
                "unbiased", None, None, "refuted" if ref else "holds", conf, method, float(bias_z[i]), None,
                labels[i], Xf[i].tolist(), detail,
            )
        )
    for claim, value, bound in (
        ("omega", omega, omega),
        ("delta", delta, None if delta is None else 1.0 - delta),
    ):
        if value is None:
            continue
        tol_in = 16.0 * (d + 1) * out_eps * (1.0 + bound) + 2 * ugrid * np.sqrt(d * bound) / xhat + d * (ugrid / xhat) ** 2
        tol = float(tol_in.max()) if bound == 0.0 else tol_in
        if bound == 0.0:
            # C(x) = x almost surely: any draw off x refutes exactly
            rmax = r.max(axis=1)
            i = int(np.argmax(rmax - tol_in))
            ref = bool(rmax[i] > tol_in[i])
            tol = float(tol_in[i])
            how = "exact (any draw with C(x) != x refutes a bound of 0)"
            detail = f"at {labels[i]!r}: largest per-draw ratio {rmax[i]:.6g} (bound 0, tolerance {tol:.2g})"
            est, lo_i = float(ratio[i]), float(rmax[i])
        else:
            margin = lower - bound
            i = int(np.argmax(margin - tol)) if np.any(margin > tol) else worst_i
            ref = bool(lower[i] > bound + tol[i])
            how = method
            detail = (
                f"at {labels[i]!r}: ratio {ratio[i]:.6g}, lower confidence limit {lower[i]:.6g} "
                f"{'>' if ref else '<='} bound {bound:.6g}"
            )
            est, lo_i = float(ratio[i]), float(lower[i])
        verdicts.append(
            ClaimVerdict(
                claim, float(value), float(bound), "refuted" if ref else "holds", conf, how, est, lo_i, labels[i],
                Xf[i].tolist(), detail,
            )
        )

    settings = {
        "false_alarm": false_alarm,
        "per_input_level": a_in,
        "per_coordinate_level": a_coord,
        "n_draws": n,
        "n_inputs": n_in,
    } | extra
    return CompressorReport(
        _name(C), d, verdicts, results, results[worst_i], deterministic, settings, time.perf_counter() - t0
    )


# ----------------------------------------------------------------------------- asserts
def _assert(report: CompressorReport, claim: str) -> CompressorReport:
    if report.verdict(claim) is None:
        raise InvalidParameterError(f"no {claim} claim to check for {report.name} (pass it explicitly)")
    if report.verdict(claim) == "refuted":
        raise AssertionError(f"{claim} claim refuted\n" + report.text())
    return report


def assert_unbiased(C: Callable, d: int, **kw: Any) -> CompressorReport:
    """Raise ``AssertionError`` (with the report) when ``E[C(x)] = x`` is refuted."""
    kw.setdefault("unbiased", True)
    return _assert(check_compressor(C, d, claims=("unbiased",), **kw), "unbiased")


def assert_variance_bound(C: Callable, d: int, omega: float | None = None, **kw: Any) -> CompressorReport:
    """Raise ``AssertionError`` when ``E‖C(x) − x‖² ≤ ω‖x‖²`` is refuted (ω declared or given)."""
    return _assert(check_compressor(C, d, omega=omega, claims=("omega",), **kw), "omega")


def assert_contractive(C: Callable, d: int, delta: float | None = None, **kw: Any) -> CompressorReport:
    """Raise ``AssertionError`` when ``E‖C(x) − x‖² ≤ (1 − δ)‖x‖²`` is refuted (δ declared or given)."""
    return _assert(check_compressor(C, d, delta=delta, claims=("delta",), **kw), "delta")
