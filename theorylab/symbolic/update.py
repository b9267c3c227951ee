r"""A one-step update ``x⁺ = x − η D(x, ξ)`` written with random primitives (Python builders, no strings).

The direction ``D`` is a random vector built from

- :func:`grad`: ``g = ∇f(x)`` (homogeneous agents, ``f_i = f``: every agent sees the same ``g``);
- noise: :func:`gaussian_noise` (``σ/√B`` times a standard normal vector),
  :func:`student_t_noise` (``σ/√B`` times i.i.d. Student-t(ν) coordinates; ν = ∞ is Gaussian),
  :func:`cdf_noise` (i.i.d. coordinates with a CDF ``F``, an undefined sympy function);
- compressors (:class:`CompressorModel`, applied by calling them or with :func:`compress`):
  :func:`unbiased` (the coordinate model ``E[ΦΦᵀ|x] = ω diag(x²)``), :func:`randk` (Rand-k, exact
  second-moment matrix), :func:`bernoulli`, :func:`identity` (the *linear class* ``C(x) = Dx``,
  random diagonal ``D``), :func:`natural` and :func:`qsgd` (second moment in closed form on a
  deterministic input), independent across agents or ``shared=True``;
- :func:`sign` (its mean through the noise's CDF, Compagnoni et al. 2025, Theorem 2);
- :func:`mean_over_agents`: ``(1/N) Σ_i body(agent_i)`` for symbolic ``N`` identical agents
  (``n=None``) or ``n`` agents with their own constants (``agent.sigma`` = ``σ_i`` ...).

Every call of a noise builder, and every application of a compressor that is not shared, is a new
independent source of randomness. Linear combinations use ``+``, ``-`` and ``*``/``/`` by a
scalar (a number or a sympy expression). :class:`Update` names the direction and its step size;
:func:`theorylab.symbolic.derive.derive_sde` turns it into an SDE and
:func:`sample_direction` draws it numerically (for the weak-order check). Example (DCSGD, Rand-k)::

    from theorylab.symbolic.update import Update, grad, gaussian_noise, mean_over_agents, randk

    def dcsgd(n=None):
        return Update("my-dcsgd", mean_over_agents(
            lambda a: randk(omega=a.omega)(grad() + gaussian_noise(a.sigma)), n=n))
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from .symbols import B, N, agent_symbols, d, eta, k, nu, omega, sigma

__all__ = [
    "Expr",
    "Grad",
    "Noise",
    "Compress",
    "Sign",
    "Lin",
    "AgentMean",
    "Agent",
    "CompressorModel",
    "Update",
    "grad",
    "gaussian_noise",
    "student_t_noise",
    "cdf_noise",
    "compress",
    "sign",
    "mean_over_agents",
    "unbiased",
    "randk",
    "bernoulli",
    "identity",
    "natural",
    "qsgd",
    "sample_direction",
]

_ids = itertools.count(1)
_OMEGA = omega


def _scalar(c: Any, what: str) -> sp.Expr:
    if isinstance(c, str):
        raise InvalidParameterError(f"{what} must be a number or a sympy expression, not a string ({c!r})")
    try:
        out = sp.sympify(c, strict=True)  # safe: strict=True converts numbers and sympy objects, never strings
    except (sp.SympifyError, TypeError):
        raise InvalidParameterError(f"{what} must be a number or a sympy expression, got {type(c).__name__}") from None
    if not isinstance(out, sp.Expr):
        raise InvalidParameterError(f"{what} must be a scalar expression, got {out!r}")
    return out


class Expr:
    """A random vector in ``R^d``: one node of a direction ``D``."""

    def _lin(self) -> Lin:
        return Lin(((sp.S.One, self),))

    def __add__(self, other: Expr) -> Lin:
        if not isinstance(other, Expr):
            raise InvalidParameterError(f"can only add random vectors, got {type(other).__name__}")
        return Lin(self._lin().terms + other._lin().terms)

    def __sub__(self, other: Expr) -> Lin:
        return self + (-1) * other

    def __neg__(self) -> Lin:
        return (-1) * self

    def __mul__(self, c: Any) -> Lin:
        if isinstance(c, Expr):
            raise InvalidParameterError("products of two random vectors are not part of the update language")
        cc = _scalar(c, "a coefficient")
        return Lin(tuple((cc * a, e) for a, e in self._lin().terms))

    __rmul__ = __mul__

    def __truediv__(self, c: Any) -> Lin:
        return self * (1 / _scalar(c, "a divisor"))


@dataclass(frozen=True, eq=False)
class Grad(Expr):
    """``g = ∇f(x)``, deterministic given ``x``."""

    def __repr__(self) -> str:
        return "grad()"


@dataclass(frozen=True, eq=False)
class Noise(Expr):
    """``scale · T`` with ``T`` i.i.d. coordinates: Student-t(``nu``) (``nu = oo``: standard normal), or with CDF ``cdf``.

    Mean 0; variance ``scale² ν/(ν − 2)`` per coordinate (``scale²`` for Gaussian noise; ``ν > 2``);
    a CDF noise has an undefined variance symbol ``var``.
    """

    scale: sp.Expr
    nu: sp.Expr
    cdf: Any = None  # an undefined sympy function F (the CDF of one coordinate of the noise itself)
    var: sp.Expr | None = None
    uid: int = field(default_factory=lambda: next(_ids))

    def __repr__(self) -> str:
        if self.cdf is not None:
            return f"noise(cdf={self.cdf})"
        return f"noise(scale={self.scale}, nu={self.nu})"


@dataclass(frozen=True)
class CompressorModel:
    """The first two moments of a compressor, and how to build the catalogue object that samples it.

    ``kind == "linear"``: ``C(x) = D x`` with ``D`` random diagonal, independent of ``x`` and
    exchangeable: ``E D_j = mean``, ``E D_j² = diag``, ``E D_i D_j = off`` (``i ≠ j``), so
    ``E[C(v)] = mean E v`` and ``E[C(v)C(v)ᵀ] = off E[vvᵀ] + (diag − off) Diag(E[vvᵀ])``.
    ``kind == "coordinate"``: ``E[C(x)|x] = x`` and ``Cov(C(x)|x) = diag(variance(x_j, ‖x‖))``
    (coordinates rounded independently), for a deterministic ``x`` only.
    """

    name: str
    kind: str
    mean: sp.Expr = sp.S.One
    diag: sp.Expr = sp.S.One
    off: sp.Expr = sp.S.One
    variance: Callable[[sp.Expr, sp.Expr], sp.Expr] | None = None
    build: Callable[[Mapping[str, Any], int], Any] | None = None
    note: str = ""

    def __call__(self, arg: Expr, shared: bool = False) -> Compress:
        return compress(self, arg, shared=shared)

    @property
    def omega(self) -> sp.Expr:
        """``E‖C(x) − x‖²/‖x‖²`` of a linear-class compressor (``diag − 2 mean + 1``)."""
        if self.kind != "linear":
            raise InvalidParameterError(f"{self.name}: omega is read off linear-class moments only")
        return sp.simplify(self.diag - 2 * self.mean + 1)


@dataclass(frozen=True, eq=False)
class Compress(Expr):
    """``C(arg)``; ``shared``: one draw of ``C``'s randomness for every agent."""

    model: CompressorModel
    arg: Expr
    shared: bool = False
    uid: int = field(default_factory=lambda: next(_ids))

    def __repr__(self) -> str:
        return f"{self.model.name}({self.arg!r}{', shared' if self.shared else ''})"


@dataclass(frozen=True, eq=False)
class Sign(Expr):
    """``sign(arg)`` coordinatewise."""

    arg: Expr

    def __repr__(self) -> str:
        return f"sign({self.arg!r})"


@dataclass(frozen=True, eq=False)
class Lin(Expr):
    """``Σ a_k e_k``, scalar coefficients ``a_k``."""

    terms: tuple[tuple[sp.Expr, Expr], ...]

    def _lin(self) -> Lin:
        flat: list[tuple[sp.Expr, Expr]] = []
        for a, e in self.terms:
            if isinstance(e, Lin):
                flat += [(a * b, f) for b, f in e._lin().terms]
            else:
                flat.append((a, e))
        return Lin(tuple(flat))

    def __repr__(self) -> str:
        return " + ".join(f"{a}*{e!r}" for a, e in self.terms)


@dataclass(frozen=True)
class Agent:
    """The constants of one agent: ``sigma``, ``omega``, ``nu`` (``sigma_i`` ... with ``n`` agents)."""

    index: int | None
    sigma: sp.Expr
    omega: sp.Expr
    nu: sp.Expr

    def symbol(self, base: str) -> sp.Expr:
        """The agent's copy of a canonical symbol (``base_i``; the symbol itself for identical agents)."""
        from .symbols import symbol

        if self.index is None:
            return symbol(base)
        return agent_symbols(base, self.index)[self.index - 1]


@dataclass(frozen=True, eq=False)
class AgentMean(Expr):
    """``(1/n) Σ_i body_i``; ``n is None``: ``N`` identical, independent agents (``bodies`` has one template)."""

    n: int | None
    bodies: tuple[Expr, ...]
    first_uid: int = 0
    last_uid: int = 0

    def __repr__(self) -> str:
        return f"mean_over_agents({self.bodies[0]!r}, n={self.n})"


@dataclass(frozen=True)
class Update:
    """``x⁺ = x − step · direction``; ``name``/``title`` label the derived SDE."""

    name: str
    direction: Expr
    title: str = ""
    step: sp.Expr = eta

    def __post_init__(self) -> None:
        if not isinstance(self.direction, Expr):
            raise InvalidParameterError(f"an Update's direction must be built from the update language, got "
                                        f"{type(self.direction).__name__}")


# ----------------------------------------------------------------------------- builders


def grad() -> Grad:
    """``g = ∇f(x)``."""
    return Grad()


def gaussian_noise(sigma_: Any = sigma, batch: Any = B) -> Noise:
    """``(σ/√B) Z``, ``Z ~ N(0, I)``: covariance ``σ² I/B``."""
    return Noise(scale=_scalar(sigma_, "sigma") / sp.sqrt(_scalar(batch, "batch")), nu=sp.oo)


def student_t_noise(nu_: Any = nu, sigma_: Any = sigma, batch: Any = B) -> Noise:
    """``(σ/√B) T`` with i.i.d. Student-t(ν) coordinates (Compagnoni et al. 2025, Theorem 2's noise)."""
    return Noise(scale=_scalar(sigma_, "sigma") / sp.sqrt(_scalar(batch, "batch")), nu=_scalar(nu_, "nu"))


def cdf_noise(cdf: Any = None, variance: Any = None) -> Noise:
    """Noise with i.i.d. coordinates of CDF ``cdf`` (an undefined sympy function, default ``F``) and variance ``variance``."""
    F = cdf if cdf is not None else sp.Function("F")
    if not (isinstance(F, sp.core.function.UndefinedFunction)):
        raise InvalidParameterError("cdf_noise needs an undefined sympy function, e.g. sympy.Function('F')")
    var = _scalar(variance, "variance") if variance is not None else sp.Symbol(f"v_{F.__name__}", positive=True)
    return Noise(scale=sp.S.One, nu=sp.nan, cdf=F, var=var)


def compress(model: CompressorModel, arg: Expr, shared: bool = False) -> Compress:
    """``C(arg)`` with the moments of ``model``; ``shared``: the same draw for every agent (linear class only)."""
    if not isinstance(model, CompressorModel):
        raise InvalidParameterError(f"compress needs a CompressorModel (randk, bernoulli, ...), got {type(model).__name__}")
    if not isinstance(arg, Expr):
        raise InvalidParameterError(f"{model.name} must be applied to a random vector of the update language")
    if shared and model.kind != "linear":
        raise InvalidParameterError(f"{model.name}: a shared draw needs a linear-class compressor (C(x) = D x)")
    return Compress(model, arg, shared)


def sign(arg: Expr) -> Sign:
    """``sign(arg)`` coordinatewise."""
    if not isinstance(arg, Expr):
        raise InvalidParameterError("sign must be applied to a random vector of the update language")
    return Sign(arg)


def mean_over_agents(body: Callable[[Agent], Expr], n: int | None = None) -> AgentMean:
    """``(1/N) Σ_i body(agent_i)``: ``n=None`` for ``N`` identical agents, else ``n`` agents with constants ``σ_i, ω_i``.

    Sources of randomness created inside ``body`` belong to one agent (independent across
    agents); sources created outside it are shared.
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise InvalidParameterError(f"n (number of agents) must be a positive integer or None, got {n!r}")
    first = next(_ids)
    if n is None:
        bodies: tuple[Expr, ...] = (body(Agent(None, sigma, omega, nu)),)
    else:
        sig, om = agent_symbols("sigma", n), agent_symbols("omega", n)
        bodies = tuple(body(Agent(i + 1, sig[i], om[i], nu)) for i in range(n))
    last = next(_ids)
    for b_ in bodies:
        if not isinstance(b_, Expr):
            raise InvalidParameterError(f"mean_over_agents: body must return a random vector, got {type(b_).__name__}")
    return AgentMean(n, bodies, first, last)


# ----------------------------------------------------------------------------- compressor models


def identity() -> CompressorModel:
    """``C(x) = x``: ``D = I``."""
    return CompressorModel("identity", "linear", sp.S.One, sp.S.One, sp.S.One,
                           build=lambda p, dim: None, note="no compression")


def unbiased(omega_: Any = omega) -> CompressorModel:
    """An unbiased compressor with the coordinate model ``E[ΦΦᵀ|x] = ω diag(x²)`` (``Φ = C(x) − x``).

    Exactly the law of Bernoulli(``p = 1/(1+ω)``) sparsification (``D_j = ξ_j/p``, i.i.d.), which
    samples it; for another U(ω) compressor its trace ``ω‖x‖²`` is the class's bound, with equality.
    """
    om = _scalar(omega_, "omega")
    return CompressorModel("unbiased", "linear", sp.S.One, 1 + om, sp.S.One,
                           build=lambda p, dim: _bern(1 / (1 + _value(om, p, dim))),
                           note="coordinate model omega diag(x^2) (exact for Bernoulli(1/(1+omega)))")


def bernoulli(p: Any) -> CompressorModel:
    """Bernoulli(p): ``D_j = ξ_j/p``, ``ξ_j ~ Bern(p)`` i.i.d.: ``E D_j = 1``, ``E D_j² = 1/p``, ``E D_i D_j = 1``
    (from ``E ξ = E ξ² = p``, ``E ξ_i ξ_j = p²``)."""
    pp = _scalar(p, "p")
    return CompressorModel("bernoulli", "linear", pp / pp, pp / pp**2, pp**2 / pp**2,
                           build=lambda par, dim: _bern(_value(pp, par, dim)))


def randk(omega: Any = None, k_: Any = None) -> CompressorModel:
    """Rand-k ``C(x) = (d/k) Σ_{j∈S} x_j e_j``: moments from the uniform k-subset indicator moments
    ``E 1_j = k/d``, ``E 1_i 1_j = k(k−1)/(d(d−1))`` (:func:`~theorylab.symbolic.sde.randk_indicator_moments`).

    Give ``k_`` (coordinates kept) or ``omega`` (then ``k = d/(1+ω)``); default ``omega``.
    """
    from .sde import randk_indicator_moments

    if omega is not None and k_ is not None:
        raise InvalidParameterError("randk takes k_ or omega, not both")
    p1, p2 = randk_indicator_moments()
    kk = _scalar(k_, "k") if k_ is not None else d / (1 + _scalar(omega if omega is not None else _OMEGA, "omega"))
    s = d / k
    mom = [sp.simplify((e).subs(k, kk)) for e in (s * p1, s**2 * p1, s**2 * p2)]
    return CompressorModel("randk", "linear", mom[0], mom[1], mom[2],
                           build=lambda par, dim: _randk(kk, par, dim))


def natural() -> CompressorModel:
    """Natural compression (Horváth et al. 2019): random rounding of ``|t|`` to the neighbouring powers of two.

    ``Var(C(t)) = (2^⌈log₂|t|⌉ − |t|)(|t| − 2^⌊log₂|t|⌋)`` per coordinate, independent coordinates.
    """
    def var(t: sp.Expr, _norm: sp.Expr) -> sp.Expr:
        lo = 2 ** sp.floor(sp.log(sp.Abs(t), 2))
        return sp.Piecewise((sp.S.Zero, sp.Eq(t, 0)), ((2 * lo - sp.Abs(t)) * (sp.Abs(t) - lo), True))

    return CompressorModel("natural", "coordinate", variance=var, build=lambda par, dim: _catalogue("NaturalCompression"),
                           note="Var = (2^ceil(log2|t|) - |t|)(|t| - 2^floor(log2|t|)) per coordinate")


def qsgd(s: int = 1) -> CompressorModel:
    """QSGD (Alistarh et al. 2017) with ``s`` levels, ℓ2 norm: ``Cov(C(x)|x) = diag(‖x‖² v(|x_j|/‖x‖))``,
    ``v(u) = (u − l/s)((l+1)/s − u)``, ``l = ⌊s u⌋`` (independent rounding per coordinate)."""
    if isinstance(s, bool) or not isinstance(s, int) or s < 1:
        raise InvalidParameterError(f"qsgd needs an integer s >= 1, got {s!r}")
    ss = sp.Integer(s)

    def var(t: sp.Expr, norm: sp.Expr) -> sp.Expr:
        u = sp.Abs(t) / norm
        lev = sp.floor(ss * u)
        return sp.Piecewise((sp.S.Zero, sp.Eq(norm, 0)), (norm**2 * (u - lev / ss) * ((lev + 1) / ss - u), True))

    return CompressorModel(f"qsgd(s={s})", "coordinate", variance=var, build=lambda par, dim: _catalogue("QSGD", s),
                           note="||x||^2 v(|x_j|/||x||) per coordinate, v(u) = (u - l/s)((l+1)/s - u)")


def _value(expr: sp.Expr, params: Mapping[str, Any], dim: int) -> float:
    """``expr`` with the symbols' values from ``params`` (by name) and ``d = dim``, as a float."""
    vals = {s: params[str(s)] for s in expr.free_symbols if str(s) in params}
    if d in expr.free_symbols:
        vals[d] = dim
    out = expr.subs(vals)
    if out.free_symbols:
        raise InvalidParameterError(f"give a value for {', '.join(sorted(map(str, out.free_symbols)))}")
    return float(out)


def _catalogue(name: str, *args: Any) -> Any:
    """A catalogue compressor, imported only when a direction is sampled (the symbolic layer does not need it)."""
    from .. import compressors

    return getattr(compressors, name)(*args)


def _bern(p: float) -> Any:
    return _catalogue("Bernoulli", p) if p < 1 else None


def _randk(kk: sp.Expr, params: Mapping[str, Any], dim: int) -> Any:
    kv = _value(kk, params, dim)
    if abs(kv - round(kv)) > 1e-9 or not 1 <= round(kv) <= dim:
        raise InvalidParameterError(f"randk: k = {kv} is not an integer in [1, d = {dim}]")
    return _catalogue("RandK", int(round(kv))) if round(kv) < dim else None


# ----------------------------------------------------------------------------- numeric sampling


def _model_values(model: CompressorModel, params: Mapping[str, Any], dim: int) -> tuple[float, float, float]:
    return tuple(_value(e, params, dim) for e in (model.mean, model.diag, model.off))  # type: ignore[return-value]


def sample_direction(update: Update | Expr, g: Any, params: Mapping[str, Any], rng: Any) -> Any:
    """One draw of ``D`` for every row of ``g`` (``(paths, d)`` numpy array), with the symbols' values in ``params``
    (by name; per-agent families ``sigma_1 ...`` by their names). Compressors are sampled by the catalogue
    objects (:mod:`theorylab.compressors`), noise by numpy: an independent check of the derived moments."""
    import numpy as np

    expr = update.direction if isinstance(update, Update) else update
    dim = int(g.shape[-1])
    shared: dict[int, Any] = {}

    cache: dict[int, Any] = {}  # one draw per source (a node used twice is the same draw)

    def ev(e: Expr) -> Any:
        if isinstance(e, Grad):
            return g
        if isinstance(e, Noise):
            if e.uid not in cache:
                if e.cdf is not None:
                    raise InvalidParameterError("cdf_noise has no sampler; use gaussian_noise or student_t_noise")
                scale = _value(e.scale, params, dim)
                nu_v = float(e.nu) if e.nu.is_number else _value(e.nu, params, dim)
                cache[e.uid] = scale * (rng.standard_normal(g.shape) if not np.isfinite(nu_v)
                                        else rng.standard_t(nu_v, size=g.shape))
            return cache[e.uid]
        if isinstance(e, Sign):
            return np.sign(ev(e.arg))
        if isinstance(e, Lin):
            return sum(_value(a, params, dim) * ev(t) for a, t in e._lin().terms)
        if isinstance(e, Compress):
            comp = e.model.build(params, dim) if e.model.build is not None else None
            if e.shared:
                key = -id(e.model)
                if key not in cache:  # one mask D = C(1) per row, applied to every agent's input
                    ones = np.ones_like(g)
                    cache[key] = ones if comp is None else comp(ones, rng)
                return cache[key] * ev(e.arg)
            if e.uid not in cache:
                x = ev(e.arg)
                cache[e.uid] = x if comp is None else comp(x, rng)
            return cache[e.uid]
        if isinstance(e, AgentMean):
            if e.n is not None:
                return sum(ev(b_) for b_ in e.bodies) / e.n
            n = int(_value(N, params, dim))
            total = 0
            for _ in range(n):  # a fresh draw of the agent's own sources for every agent
                for key in [u for u in cache if e.first_uid < u < e.last_uid]:
                    del cache[key]
                total = total + ev(e.bodies[0])
            return total / n
        raise InvalidParameterError(f"cannot sample {e!r}")  # pragma: no cover

    return ev(expr)
