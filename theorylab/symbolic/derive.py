r"""Derive the SDE of a one-step update, and what follows from it: stationary level, PL bound, scaling rules.

**The derivation rule** (first-order weak approximation; Li, Tai & E 2017; Compagnoni et al. 2025,
Theorem 1). For ``x⁺ = x − η D(x, ξ)`` with ``E[D | x]`` and ``Cov[D | x]`` depending on ``x``
through ``g = ∇f(x)`` only,

.. math::

    dX_t = -E[D \mid g]\,dt + \sqrt{\eta\,\mathrm{Cov}[D \mid g]}\;dW_t .

:func:`derive_sde` computes both moments symbolically from the primitives of
:mod:`theorylab.symbolic.update`, with the moment rules

- linearity: ``E[Σ a_k v_k] = Σ a_k E v_k``; ``Cov[Σ a_k v_k] = Σ a_k² Cov v_k`` when the ``v_k``
  have disjoint sources of randomness (independence; shared sources are refused, not guessed);
- a mean over ``N`` independent agents divides the covariance by ``N`` (``1/N²`` times the sum
  for per-agent terms);
- noise ``s T``: mean 0, variance ``s² ν/(ν − 2)`` per coordinate (``s²`` for Gaussian noise);
- a linear-class compressor ``C(v) = D v`` (``E D_j = a``, ``E D_j² = p``, ``E D_i D_j = q``):
  ``E C(v) = a E v`` and ``E[C(v)C(v)ᵀ] = q E[vvᵀ] + (p − q) Diag(E[vvᵀ])``;
- a coordinate-rounding compressor on a deterministic input: ``Cov = diag(Var(C(x)_j))``;
- ``sign(μ + s T)`` with ``T`` symmetric i.i.d. coordinates: ``E sign = 1 − 2 F_T(−μ/s)``
  (``= 2 Ξ_ν(μ/s)`` for Student-t, Theorem 2), ``Var = 1 − (E sign)²``, independent coordinates.

Covariances are carried as ``diag(V(g_j)) + Σ_k c_k u_k(g) u_k(g)ᵀ`` and must end in the
coordinate form ``diag(D(g_j)) + c g gᵀ`` of :class:`~theorylab.symbolic.sde.SDE` (every ``u_k``
proportional to ``g``); otherwise :class:`NotDerivable` says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..errors import TheorylabError
from .assumptions import Assumption
from .sde import SDE
from .symbols import N, gj, gnorm
from .update import AgentMean, Compress, Expr, Grad, Lin, Noise, Sign, Update
from .xi import Xi

__all__ = [
    "NotDerivable",
    "Moments",
    "moments",
    "derive_sde",
]


class NotDerivable(TheorylabError):
    """The update (or a consequence of its SDE) is outside what the moment rules decide; the message says why."""


@dataclass(frozen=True)
class Moments:
    """``E[v | g]_j = mean(g_j)`` and ``Cov[v | g] = diag(var(g_j)) + Σ_k c_k u_k u_kᵀ`` (``low = ((c_k, u_k(g_j)), ...)``)."""

    mean: sp.Expr
    var: sp.Expr = sp.S.Zero
    low: tuple[tuple[sp.Expr, sp.Expr], ...] = ()
    sources: frozenset[int] = frozenset()

    @property
    def deterministic(self) -> bool:
        return not self.sources

    def scaled(self, a: sp.Expr) -> Moments:
        return Moments(a * self.mean, a**2 * self.var, tuple((a**2 * c, u) for c, u in self.low), self.sources)


@dataclass
class _Ctx:
    assumptions: dict[str, Assumption] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    in_agents: int = 0

    def assume(self, name: str, text: str) -> None:
        self.assumptions.setdefault(name, Assumption(name, text, kind="hypothesis"))


def _disjoint(ms: Sequence[Moments], where: str) -> frozenset[int]:
    seen: set[int] = set()
    for m in ms:
        if seen & m.sources:
            raise NotDerivable(f"{where}: two terms share a source of randomness, so they are not independent; "
                               "the moment rules cover sums of independent terms only")
        seen |= m.sources
    return frozenset(seen)


def _combine(ms: Sequence[Moments], coefs: Sequence[sp.Expr], where: str) -> Moments:
    src = _disjoint(ms, where)
    return Moments(sp.Add(*[a * m.mean for a, m in zip(coefs, ms)]),
                   sp.Add(*[a**2 * m.var for a, m in zip(coefs, ms)]),
                   tuple((a**2 * c, u) for a, m in zip(coefs, ms) for c, u in m.low), src)


def _noise_variance(e: Noise, ctx: _Ctx) -> sp.Expr:
    if e.cdf is not None:
        return e.var  # type: ignore[return-value]
    if e.nu is sp.S.Infinity:
        ctx.assume("noise model", "Gaussian noise: sigma/sqrt(B) times i.i.d. N(0, 1) coordinates, independent of "
                   "the compressors and across agents (covariance sigma^2 I/B)")
        return e.scale**2
    ctx.assume("noise model (t)", "Student-t noise: sigma/sqrt(B) times i.i.d. t_nu coordinates (variance "
               "sigma^2 nu/((nu - 2) B), finite for nu > 2 only)")
    return e.scale**2 * e.nu / (e.nu - 2)


def _sign_law(e: Expr) -> tuple[sp.Expr, list[tuple[sp.Expr, Noise]]]:
    """``arg = μ(g) + Σ a_k Z_k``: the deterministic part and the noise terms, or NotDerivable."""
    det = sp.S.Zero
    noises: dict[int, tuple[sp.Expr, Noise]] = {}
    for a, t in e._lin().terms:
        if isinstance(t, Grad):
            det += a * gj
        elif isinstance(t, Noise):
            prev = noises.get(t.uid, (sp.S.Zero, t))[0]
            noises[t.uid] = (prev + a, t)
        else:
            raise NotDerivable(f"sign({e!r}): the law of {t!r} is not in the catalogue; sign(.) is derived for "
                               "gradient plus noise")
    return det, [v for v in noises.values() if v[0] != 0]


def _sign_mean(e: Sign, ctx: _Ctx) -> sp.Expr:
    mu, noises = _sign_law(e.arg)
    if not noises:
        ctx.notes.append("sign of a deterministic vector: E sign = sign(mu), no noise")
        return sp.sign(mu)
    if len(noises) > 1:
        if not all(z.nu is sp.S.Infinity for _, z in noises):
            raise NotDerivable("sign of a sum of several non-Gaussian noises: its CDF has no closed form here")
        scale = sp.sqrt(sp.Add(*[a**2 * z.scale**2 for a, z in noises]))
        nu_ = sp.oo
        ctx.notes.append("a sum of independent Gaussian noises is Gaussian (variances add)")
        ctx.assume("independent coordinates", "the noise has independent coordinates, so the signs of different "
                   "coordinates are independent (diagonal covariance)")
        return 2 * Xi(nu_, mu / scale)
    a, z = noises[0]
    ctx.assume("independent coordinates", "the noise has independent coordinates, so the signs of different "
               "coordinates are independent (diagonal covariance)")
    if z.cdf is not None:
        if not (a.is_positive or a == 1):
            raise NotDerivable(f"sign(mu + a Z) with CDF noise needs a coefficient a > 0 known to sympy, got {a}")
        ctx.assume("noise model (CDF)", f"Z_j i.i.d. across coordinates and agents with CDF {z.cdf} (after batching)")
        return 1 - 2 * z.cdf(-mu / a)  # P(mu + a Z < 0) = F(-mu/a)
    if z.nu is sp.S.Infinity:
        _noise_variance(z, ctx)
    else:
        ctx.assume("noise model (t)", "Student-t noise: sigma/sqrt(B) times i.i.d. t_nu coordinates (nu > 0)")
    # symmetric T: E sign(mu + a s T) = 1 - 2 F_T(-mu/(|a| s)) = 2 Xi_nu(mu/(|a| s))  (Theorem 2)
    return 2 * Xi(z.nu, mu / (sp.Abs(a) * z.scale))


def _linear_compress(mod: Any, arg: Moments, shared: bool, ctx: _Ctx, uid: int) -> Moments:
    """``C(v) = D v``: mean ``a μ``; ``Cov = diag(p V + (p − q)(μ² + Σ c u²)) + (q − a²) μμᵀ + q Σ c u uᵀ``."""
    a, p, q = mod.mean, mod.diag, mod.off
    if mod.note:
        ctx.notes.append(f"{mod.name}: {mod.note}")
    ctx.assume(f"compressor {mod.name}", f"{mod.name} acts as C(x) = D x, D random diagonal and exchangeable "
               f"(E D_j = {a}, E D_j^2 = {p}, E D_i D_j = {q}), independent of its input"
               + (", one draw shared by every agent" if shared else ", independent across agents"))
    second = arg.mean**2 + sp.Add(*[c * u**2 for c, u in arg.low])
    var = p * arg.var + (p - q) * second
    low = ((q - a**2, arg.mean),) + tuple((q * c, u) for c, u in arg.low)
    return Moments(a * arg.mean, var, low, arg.sources | {-uid if shared else uid})


def _normalize_shared(e: AgentMean) -> Expr | None:
    """``(1/n) Σ_i C(x_i)`` with one shared linear draw ``C(x) = D x`` is ``C((1/n) Σ_i x_i)`` (linearity of ``D``)."""
    if not all(isinstance(b_, Compress) and b_.shared for b_ in e.bodies):
        return None
    models = {id(b_.model) for b_ in e.bodies}  # type: ignore[attr-defined]
    if len(models) != 1:
        return None
    model = e.bodies[0].model  # type: ignore[attr-defined]
    inner = AgentMean(e.n, tuple(b_.arg for b_ in e.bodies), e.first_uid, e.last_uid)  # type: ignore[attr-defined]
    return Compress(model, inner, shared=True, uid=e.bodies[0].uid)  # type: ignore[attr-defined]


def moments(e: Expr, ctx: _Ctx | None = None) -> Moments:
    """The conditional mean and covariance of the random vector ``e`` given ``g`` (see the module docstring)."""
    ctx = ctx or _Ctx()
    if isinstance(e, Grad):
        return Moments(gj)
    if isinstance(e, Noise):
        return Moments(sp.S.Zero, _noise_variance(e, ctx), (), frozenset({e.uid}))
    if isinstance(e, Lin):
        groups: dict[int, list[Any]] = {}
        for a, t in e._lin().terms:  # the same node twice is one term (a Z + b Z = (a + b) Z)
            groups.setdefault(id(t), [sp.S.Zero, t])[0] += a
        terms = [(a, t) for a, t in groups.values() if a != 0]
        return _combine([moments(t, ctx) for _, t in terms], [a for a, _ in terms], f"{e!r}")
    if isinstance(e, Sign):
        m = _sign_mean(e, ctx)
        return Moments(m, 1 - m**2, (), moments(e.arg, ctx).sources)
    if isinstance(e, Compress):
        if e.shared and ctx.in_agents:
            raise NotDerivable(f"{e.model.name}: a shared draw must be the outermost operation of every agent's term "
                               "(mean_over_agents(lambda a: C(x_a, shared=True))), where it factors out by linearity")
        arg = moments(e.arg, ctx)
        mod = e.model
        src = arg.sources | {e.uid}
        if mod.kind == "linear":
            return _linear_compress(mod, arg, e.shared, ctx, e.uid)
        if not arg.deterministic:
            raise NotDerivable(f"{mod.name}: its second moment ({mod.note}) is in closed form for a deterministic "
                               "input only; E over the noise of it has no closed form (apply it to the full gradient, "
                               "or use unbiased(omega) as a model)")
        ratio = sp.simplify(arg.mean / gj)
        if ratio.has(gj):
            raise NotDerivable(f"{mod.name}: the input's mean {arg.mean} is not a multiple of g")
        ctx.assume(f"compressor {mod.name}", f"{mod.name}: unbiased, coordinates rounded independently ({mod.note})")
        assert mod.variance is not None
        return Moments(arg.mean, mod.variance(arg.mean, sp.Abs(ratio) * gnorm), (), frozenset(src))
    if isinstance(e, AgentMean):
        ctx.assume("homogeneous agents", "f_i = f for every agent, so the SDE state is g = grad f(X_t)")
        shared = _normalize_shared(e)
        if shared is not None:
            ctx.notes.append("a shared linear draw D factors out of the mean: (1/N) sum_i D x_i = D (1/N) sum_i x_i")
            inner = moments(shared.arg, ctx)  # type: ignore[attr-defined]
            return _linear_compress(shared.model, inner, True, ctx, shared.uid)  # type: ignore[attr-defined]
        ctx.in_agents += 1
        try:
            ms = [moments(b_, ctx) for b_ in e.bodies]
        finally:
            ctx.in_agents -= 1
        if e.n is None:
            m = ms[0]
            if any(not (e.first_uid < abs(s) < e.last_uid) for s in m.sources):
                raise NotDerivable("a source of randomness built outside the agents' body is shared by the N agents; "
                                   "only shared linear compressors (shared=True) are supported")
            return Moments(m.mean, m.var / N, tuple((c / N, u) for c, u in m.low), m.sources)
        n = sp.Integer(e.n)
        return _combine(ms, [1 / n] * len(ms), "mean over agents")
    raise NotDerivable(f"no moment rule for {type(e).__name__}")


def _coordinate_form(m: Moments) -> tuple[sp.Expr, sp.Expr]:
    """``(D(g_j), c)`` with ``Cov = diag(D) + c g gᵀ``."""
    c = sp.S.Zero
    for ck, u in m.low:
        u = sp.simplify(u)
        if u == 0 or sp.simplify(ck) == 0:
            continue
        r = sp.simplify(u / gj)
        if r.has(gj) or r.has(gnorm):
            raise NotDerivable(f"the covariance has a rank-one part along u(g) = {u}, not proportional to g: "
                               "it is not of the coordinate form diag(D(g_j)) + c g g^T")
        c += ck * r**2
    return m.var, c


def _tidy(e: sp.Expr) -> sp.Expr:
    out = sp.simplify(sp.factor_terms(sp.expand(e)))
    return out


def derive_sde(update: Update, source: str = "", title: str = "") -> SDE:
    """The SDE of ``update``: drift ``−E[D | g]``, covariance ``η Cov[D | g]`` in coordinate form (module docstring).

    Raises :class:`NotDerivable` (with the reason) when a moment rule does not apply.
    """
    if not isinstance(update, Update):
        raise NotDerivable(f"derive_sde needs an Update (theorylab.symbolic.update), got {type(update).__name__}")
    ctx = _Ctx()
    m = moments(update.direction, ctx)
    var, c = _coordinate_form(m)
    drift = _tidy(-m.mean)
    cov_diag = _tidy(update.step * var)
    cov_outer = _tidy(update.step * c)
    notes = tuple(dict.fromkeys(ctx.notes))
    return SDE(
        name=update.name,
        title=title or update.title or f"SDE of {update.name} (derived)",
        source=source or "derived by theorylab.symbolic.derive (first-order weak approximation: Li, Tai & E 2017; "
        "Compagnoni et al. 2025, Theorem 1); docs/theory.md#deriving-an-sde",
        drift=drift,
        cov_diag=cov_diag,
        cov_outer=cov_outer,
        assumptions=tuple(ctx.assumptions.values()),
        notes=notes,
        extra={"mean_D": m.mean, "Cov_D_diag": var, "Cov_D_outer": c},
    )
