r"""The SDEs of DSGD, DCSGD (Theorem 1) and DSignSGD (Theorem 2), and their numeric form.

Every SDE here depends on the state only through ``g = grad f(X_t)`` and has the structure

.. math::

    dX = b(g)\,dt + G(g)\,dW, \qquad b(g)_j = b(g_j), \qquad
    G G^\top = \operatorname{diag}\big(D(g_j)\big)_j + c\, g g^\top,

so it is stored by three sympy expressions valid for a *symbolic* dimension ``d``:
``drift`` = ``b(g_j)``, ``cov_diag`` = ``D(g_j)`` and ``cov_outer`` = ``c`` (0 for a
diagonal SDE, which then has ``diffusion`` = ``sqrt(D(g_j))`` per coordinate). The factor
``eta/N`` of the SDEs is inside ``G G^T``. Explicit ``d x 1`` / ``d x d`` sympy matrices for a
concrete ``d`` come from :meth:`SDE.drift_matrix`, :meth:`SDE.covariance_matrix` and
:meth:`SDE.diffusion_matrix`; array functions from :meth:`SDE.lambdify`.

Models (docs/theory.md#sdes): homogeneous agents ``f_i = f`` (the SDE state is ``grad f``); agent ``i``
has isotropic noise ``Sigma_i = sigma_i^2 I`` per sample and batch ``B`` (so ``sigma_i^2 I/B``);
``C_i in U(omega_i)`` independent across agents. With ``agents=None`` the agents are identical
(``sigma``, ``omega``, symbolic ``N``); with ``agents=n`` each agent has its own
``sigma_i``/``omega_i`` and ``N = n``.

The Rand-k covariance ``E[Phi Phi^T]`` is *derived* from the compressor's definition by
:func:`randk_phi_moment` (indicator moments of a uniform k-subset), not typed in.

Every named SDE (:data:`SDE_NAMES`) is derived, not transcribed: its constructor writes the
method's one-step update with :mod:`theorylab.symbolic.update` and calls
:func:`theorylab.symbolic.derive.derive_sde` (drift ``-E[D | g]``, covariance ``eta Cov[D | g]``);
the tests keep the hand-written forms only as references.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError, TheorylabError
from .assumptions import Assumption, parse_value, validate_params
from .symbols import B, N, d, eta, gi, gj, gnorm, k, nu, omega, sigma
from .xi import Xi, numeric_functions

__all__ = [
    "SDE",
    "NumericSDE",
    "RandKMoment",
    "randk_indicator_moments",
    "randk_phi_moment",
    "randk_phi_moment_bruteforce",
    "randk_sigma_tilde",
    "dsgd_sde",
    "dcsgd_sde",
    "dsignsgd_sde",
    "dsignsgd_general_sde",
    "sgd_sde",
    "signsgd_sde",
    "get_sde",
    "SDE_NAMES",
]

NOISE_ISOTROPIC = Assumption(
    "noise model",
    "agent i's stochastic gradient is grad f(x) + Z_i with E Z_i = 0, Cov Z_i = sigma_i^2 I/B, independent "
    "of the compressors and across agents",
    kind="hypothesis",
)
HOMOGENEOUS = Assumption(
    "homogeneous agents", "f_i = f for every agent, so the SDE state is g = grad f(X_t)", kind="hypothesis"
)


# ----------------------------------------------------------------------------- Rand-k


@dataclass(frozen=True)
class RandKMoment:
    """``E[Phi Phi^T]`` of Rand-k at input ``x``: ``diag * x_j^2`` on the diagonal, ``offdiag * x_i x_j`` off it.

    Also ``omega`` = ``Tr E[Phi Phi^T] / ||x||^2`` (the U(omega) constant, an equality for Rand-k)
    and the indicator moments it was derived from.
    """

    diag: sp.Expr
    offdiag: sp.Expr
    omega: sp.Expr
    p1: sp.Expr
    p2: sp.Expr


@functools.cache
def randk_indicator_moments() -> tuple[sp.Expr, sp.Expr]:
    """``E[1_j] = k/d`` and ``E[1_i 1_j] = k(k-1)/(d(d-1))`` for a uniform k-subset S of {1..d}, i != j.

    Derived by counting: ``binom(d-1, k-1)/binom(d, k)`` subsets contain j and
    ``binom(d-2, k-2)/binom(d, k)`` contain both i and j.
    """
    p1 = sp.combsimp(sp.binomial(d - 1, k - 1) / sp.binomial(d, k))
    p2 = sp.combsimp(sp.binomial(d - 2, k - 2) / sp.binomial(d, k))
    return sp.factor(p1), sp.factor(p2)


@functools.cache
def randk_phi_moment() -> RandKMoment:
    """Derive ``E[Phi Phi^T]``, ``Phi = C(x) - x``, for Rand-k ``C(x) = (d/k) sum_{j in S} x_j e_j``.

    ``E[C_i C_j] = (d/k)^2 x_i x_j E[1_i 1_j]`` (``E[1_j^2] = E[1_j]``), and
    ``E[Phi Phi^T] = E[C C^T] - x x^T`` because ``E C = x``.
    """
    p1, p2 = randk_indicator_moments()
    s = d / k
    x_i, x_j = gi, gj
    mean_j = sp.simplify(s * p1)  # E[C_j]/x_j, must be 1 (unbiased)
    if sp.simplify(mean_j - 1) != 0:
        raise TheorylabError(f"internal: Rand-k derived biased: E[C_j]/x_j = {mean_j}")
    diag = sp.factor(sp.simplify((s**2 * p1 * x_j**2 - x_j**2) / x_j**2))
    off = sp.factor(sp.simplify((s**2 * p2 * x_i * x_j - x_i * x_j) / (x_i * x_j)))
    # trace over d coordinates / ||x||^2: the diagonal coefficient (off-diagonal terms are not on the trace)
    om = sp.simplify(diag)
    return RandKMoment(diag=diag, offdiag=off, omega=om, p1=p1, p2=p2)


def randk_phi_moment_bruteforce(dim: int, kk: int) -> sp.Matrix:
    """``E[Phi Phi^T]`` of Rand-k by exact enumeration of all k-subsets (symbolic x), for checks."""
    xs = sp.symbols(f"x1:{dim + 1}", real=True)
    subsets = list(itertools.combinations(range(dim), kk))
    acc = sp.zeros(dim, dim)
    scale = sp.Rational(dim, kk)
    xv = sp.Matrix(xs)
    for S in subsets:
        c = sp.Matrix([scale * xs[j] if j in S else 0 for j in range(dim)])
        phi = c - xv
        acc += phi * phi.T
    return (acc / len(subsets)).applyfunc(sp.expand), xs


@functools.cache
def randk_sigma_tilde(exact: bool = True) -> tuple[sp.Expr, sp.Expr]:
    """``Sigma~ = E[Phi Phi^T] + sigma^2 I/B`` of one agent with Rand-k and noise ``sigma^2 I/B``.

    The compressor acts on ``x = g + Z``; averaging over ``Z`` (``E x x^T = g g^T + sigma^2 I/B``)
    gives ``Sigma~ = diag(D(g_j)) + c g g^T`` with, in terms of ``omega = d/k - 1``,
    ``D = omega d/(d-1) g_j^2 + (1+omega) sigma^2/B`` and ``c = -omega/(d-1)``: the diagonal of
    ``Sigma~`` is exactly ``omega g_j^2 + (1+omega) sigma^2/B``. Leading order (``exact=False``):
    ``Sigma~ = omega diag(g^2) + (1+omega) sigma^2 I/B``. Returns ``(D, c)``.
    """
    mom = randk_phi_moment()
    v = sigma**2 / B
    # E over Z of the moment: diagonal coefficient multiplies E x_j^2 = g_j^2 + v,
    # off-diagonal coefficient multiplies E x_i x_j = g_i g_j + v [i == j].
    # Written as diag(D) + c g g^T:  c = offdiag; D = (diag - offdiag) g_j^2 + diag v + v(noise itself).
    c = mom.offdiag
    D = (mom.diag - mom.offdiag) * gj**2 + mom.diag * v + v
    kk = d / (1 + omega)
    D = sp.simplify(D.subs(k, kk))
    c = sp.simplify(c.subs(k, kk))
    if not exact:
        return sp.expand(omega * gj**2 + (1 + omega) * v), sp.S.Zero
    return D, c


# ----------------------------------------------------------------------------- SDE


@dataclass(frozen=True)
class NumericSDE:
    """Array form of an :class:`SDE` with its parameters fixed (see docs/architecture.md).

    ``drift(g) -> (..., d)``; ``diffuse(g, dw) -> (..., d)`` (``G(g) dw``, O(d) per path); if
    ``diagonal``: ``diffusion(g) -> (..., d)`` (per-coordinate standard deviation), else
    ``covariance(g) -> (..., d, d)`` (``G G^T``).
    """

    name: str
    diagonal: bool
    backend: str
    params: Mapping[str, float]
    dim: int | None
    _drift: Callable[[Any], Any]
    _cov_diag: Callable[[Any], Any]
    _cov_outer: Callable[[Any], Any]
    #: the sympy expressions the three functions were lambdified from (parameters substituted), in
    #: the per-coordinate gradient symbol :attr:`variable`: (drift, diagonal variance, rank-one factor)
    expressions: tuple[Any, ...] = ()
    variable: Any = None

    def _check(self, g: Any) -> Any:
        if self.dim is not None and g.shape[-1] != self.dim:
            raise InvalidParameterError(
                f"{self.name}: g has {g.shape[-1]} coordinates but the SDE was lambdified with d = {self.dim}"
            )
        return g

    def drift(self, g: Any) -> Any:
        """``b(g)``, shape ``(..., d)``."""
        self._check(g)
        return _broadcast(self._drift(g), g)

    def diffusion(self, g: Any) -> Any:
        """Per-coordinate standard deviation ``sqrt(D(g_j))`` (diagonal SDEs only)."""
        if not self.diagonal:
            raise InvalidParameterError(f"{self.name} has a full covariance; call covariance(g)")
        self._check(g)
        xp = _xp(g)
        return xp.sqrt(xp.maximum(_broadcast(self._cov_diag(g), g), 0.0))

    def variance(self, g: Any) -> Any:
        """Diagonal of ``G G^T``, shape ``(..., d)``."""
        self._check(g)
        base = _broadcast(self._cov_diag(g), g)
        if self.diagonal:
            return base
        return base + _broadcast(self._cov_outer(g[..., :1]), g[..., :1]) * g * g

    def diffuse(self, g: Any, dw: Any) -> Any:
        r"""``G(g) dw`` for one factor ``G`` of ``G G^T = diag(D(g)) + c g g^T``, shape ``(..., d)``.

        Diagonal SDEs: ``sqrt(D) * dw``. Otherwise ``O(d)`` per path, with no ``d x d`` matrix:
        ``G = D^{1/2}(I + beta u u^T)``, ``u = D^{-1/2} g`` and
        ``beta = c / (1 + sqrt(1 + c |u|^2))``, the root of ``2 beta + beta^2 |u|^2 = c``, so
        ``(I + beta u u^T)^2 = I + c u u^T`` and ``G G^T = D + c g g^T``. The covariance is
        positive semi-definite iff ``1 + c |u|^2 >= 0``; a value below ``-1e-9`` is an error
        (rounding above it is clamped). Paths with ``D_j = 0`` where ``g_j != 0`` (possible only
        for ``c > 0``) use a dense factor (Cholesky, or ``eigh`` when only semi-definite).
        """
        self._check(g)
        xp = _xp(g)
        s = xp.sqrt(xp.maximum(_broadcast(self._cov_diag(g), g), 0.0))
        if self.diagonal:
            return s * dw
        c = _broadcast(self._cov_outer(g[..., :1]), g[..., :1])
        pos = s > 0
        if not bool(xp.all(pos | (g == 0))):
            return xp.matmul(_psd_factor(self.covariance(g), xp), dw[..., None])[..., 0]
        u = xp.where(pos, g / xp.where(pos, s, 1.0), 0.0)
        disc = 1.0 + c * xp.sum(u * u, axis=-1, keepdims=True)
        worst = float(xp.min(disc))
        if worst < -1e-9:
            raise InvalidParameterError(
                f"{self.name}: the covariance diag(D) + c g g^T is not positive semi-definite "
                f"(1 + c |D^(-1/2) g|^2 = {worst:.3g} < 0); check the SDE's parameters")
        beta = c / (1.0 + xp.sqrt(xp.maximum(disc, 0.0)))
        return s * (dw + beta * u * xp.sum(u * dw, axis=-1, keepdims=True))

    def covariance(self, g: Any) -> Any:
        """``G G^T = diag(D(g)) + c g g^T``, shape ``(..., d, d)``."""
        self._check(g)
        xp = _xp(g)
        dim = g.shape[-1]
        diag = _broadcast(self._cov_diag(g), g)
        cov = diag[..., :, None] * xp.eye(dim, dtype=g.dtype)
        if not self.diagonal:
            c = _broadcast(self._cov_outer(g[..., :1]), g[..., :1])[..., :, None]
            cov = cov + c * g[..., :, None] * g[..., None, :]
        return cov


def _with_norm(fn: Callable[..., Any], xp: Any) -> Callable[[Any], Any]:
    """``g -> fn(g, ||g||)`` (row norm), for SDEs whose coefficients involve ``gnorm`` (QSGD)."""
    def call(g: Any) -> Any:
        return fn(g, xp.sqrt(xp.sum(g * g, axis=-1, keepdims=True)))
    return call


def _psd_factor(cov: Any, xp: Any) -> Any:
    """A matrix ``G`` with ``G G^T = cov`` for a batch ``(..., d, d)`` of PSD matrices
    (Cholesky; a symmetric square root via ``eigh`` when only semi-definite)."""
    try:
        fac = xp.linalg.cholesky(cov)
        if bool(xp.all(xp.isfinite(fac))):  # cupy returns NaN instead of raising
            return fac
    except Exception:  # numpy.linalg.LinAlgError: not positive definite
        pass
    w, v = xp.linalg.eigh(cov)
    return v * xp.sqrt(xp.maximum(w, 0.0))[..., None, :]


def _xp(a: Any) -> Any:
    from ..backend import array_namespace

    return array_namespace(a)


def _broadcast(value: Any, like: Any) -> Any:
    """Work around sympy issue 5642: a constant expression lambdifies to a scalar."""
    xp = _xp(like)
    return xp.broadcast_to(xp.asarray(value, dtype=like.dtype), like.shape)


@dataclass(frozen=True)
class SDE:
    r"""An SDE ``dX = b(g) dt + G(g) dW`` in coordinate form (see the module docstring)."""

    name: str
    title: str
    source: str
    drift: sp.Expr
    cov_diag: sp.Expr
    cov_outer: sp.Expr
    assumptions: tuple[Assumption, ...]
    notes: tuple[str, ...] = ()
    extra: Mapping[str, sp.Expr] = field(default_factory=dict)

    @property
    def diagonal(self) -> bool:
        """True when ``G G^T`` is diagonal (``cov_outer == 0``)."""
        return sp.simplify(self.cov_outer) == 0

    @property
    def diffusion(self) -> sp.Expr:
        """Per-coordinate standard deviation ``sqrt(D(g_j))`` (diagonal SDEs only)."""
        if not self.diagonal:
            raise InvalidParameterError(f"{self.name} is not diagonal; use covariance_matrix(d)")
        return sp.sqrt(self.cov_diag)

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """The symbols other than ``g_j`` that a numeric evaluation needs, sorted by name."""
        free = (self.drift.free_symbols | self.cov_diag.free_symbols | self.cov_outer.free_symbols) - {gj, gnorm}
        return tuple(sorted(free, key=str))

    def drift_matrix(self, dim: int) -> sp.Matrix:
        """``b(g)`` as a ``dim x 1`` matrix in ``g_1..g_dim``."""
        gs = sp.symbols(f"g_1:{dim + 1}", real=True)
        nrm = sp.sqrt(sum(s_**2 for s_ in gs))
        return sp.Matrix([self.drift.subs({gj: s, d: dim, gnorm: nrm}) for s in gs])

    def covariance_matrix(self, dim: int) -> sp.Matrix:
        """``G G^T`` as a ``dim x dim`` matrix in ``g_1..g_dim``."""
        gs = sp.symbols(f"g_1:{dim + 1}", real=True)
        nrm = sp.sqrt(sum(s_**2 for s_ in gs))
        c = self.cov_outer.subs({d: dim, gnorm: nrm})
        return sp.Matrix(dim, dim, lambda i, j: (self.cov_diag.subs({gj: gs[i], d: dim, gnorm: nrm}) if i == j else 0)
                         + c * gs[i] * gs[j])

    def diffusion_matrix(self, dim: int) -> sp.Matrix:
        """``G`` for a diagonal SDE (``diag(sqrt(D(g_j)))``)."""
        gs = sp.symbols(f"g_1:{dim + 1}", real=True)
        nrm = sp.sqrt(sum(s_**2 for s_ in gs))
        return sp.diag(*[self.diffusion.subs({gj: s, d: dim, gnorm: nrm}) for s in gs])

    def subs(self, values: Mapping[sp.Symbol, Any], name: str | None = None) -> SDE:
        """The same SDE with some parameters substituted (``{N: 1}`` gives the single-agent SDE)."""
        return SDE(
            name=name or self.name,
            title=self.title,
            source=self.source,
            drift=sp.simplify(self.drift.subs(values)),
            cov_diag=sp.simplify(self.cov_diag.subs(values)),
            cov_outer=sp.simplify(self.cov_outer.subs(values)),
            assumptions=self.assumptions,
            notes=self.notes,
            extra={kk: v.subs(values) for kk, v in self.extra.items()},
        )

    def lambdify(self, backend: str = "numpy", functions: Mapping[str, Callable[..., Any]] | None = None,
                 **params: Any) -> NumericSDE:
        """Numeric SDE with ``params`` fixed (by name: ``eta=0.01, N=4, ...``; ``nu=inf``: Gaussian).

        A per-agent family ``omega_1..omega_n`` may be given as one sequence ``omega=[...]``.
        Every parameter must be given; values are checked against their domains.
        ``functions`` supplies array implementations of undefined functions (``{"F": cdf}`` for
        ``dsignsgd-general``).
        """
        from ..backend import get_xp

        xp = get_xp(backend)
        names = {str(s): s for s in self.parameters}
        values: dict[sp.Symbol, sp.Expr] = {}
        for key, val in params.items():
            if key in names:
                values[names[key]] = parse_value(val)
                continue
            family = [s for n_, s in names.items() if n_.startswith(key + "_") and n_[len(key) + 1:].isdigit()]
            if family and not isinstance(val, (str, int, float)):
                seq = list(val)
                if len(seq) != len(family):
                    raise InvalidParameterError(f"{key} needs {len(family)} values (one per agent), got {len(seq)}")
                fam = sorted(family, key=lambda s: int(str(s).rsplit("_", 1)[1]))
                for s, v in zip(fam, seq, strict=True):
                    values[s] = parse_value(v)
                continue
            if family:
                for s in family:
                    values[s] = parse_value(val)
                continue
            if key == "d":
                values[d] = parse_value(val)
                continue
            raise InvalidParameterError(
                f"{self.name}: unknown parameter {key!r}; it takes {', '.join(names) or 'no parameters'}"
            )
        missing = [n_ for n_, s in names.items() if s not in values]
        if missing:
            raise InvalidParameterError(f"{self.name}: missing parameter(s) {', '.join(missing)}")
        validate_params(values)
        dim = int(values[d]) if d in values else None
        exprs = [sp.sympify(e).subs(values) for e in (self.drift, self.cov_diag, self.cov_outer)]
        undefined = sorted({str(f.func) for e in exprs for f in e.atoms(sp.core.function.AppliedUndef)}
                           - set(numeric_functions(xp.__name__)) - set(functions or {}))
        if undefined:
            raise InvalidParameterError(
                f"{self.name}: give array implementations of {', '.join(undefined)} via functions={{...}}")
        modules = [{**numeric_functions(xp.__name__), **(functions or {})}, xp.__name__]
        funcs = [sp.lambdify([gj], e, modules=modules) if not e.has(gnorm) else _with_norm(
            sp.lambdify([gj, gnorm], e, modules=modules), xp) for e in exprs]
        if exprs[2].has(gnorm):
            raise InvalidParameterError(f"{self.name}: a rank-one coefficient c that depends on ||g|| is not supported")
        return NumericSDE(
            name=self.name,
            diagonal=self.diagonal,
            backend=xp.__name__,
            params={str(s_): float(v) if v.is_finite else float("inf") for s_, v in values.items()},
            dim=dim,
            _drift=funcs[0],
            _cov_diag=funcs[1],
            _cov_outer=funcs[2],
            expressions=tuple(exprs),
            variable=gj,
        )


# ----------------------------------------------------------------------------- constructors


def _check_agents(n_agents: int | None) -> int | None:
    if n_agents is None:
        return None
    if isinstance(n_agents, bool) or int(n_agents) < 1:
        raise InvalidParameterError(f"agents must be a positive integer, got {n_agents}")
    return int(n_agents)


def _general_sigma_tilde() -> sp.Expr:
    """Theorem 1's ``Sigma~ = (1/N) sum_i (E[Phi_i Phi_i^T] + Sigma_i/B)`` for any compressors (rendering)."""
    i = sp.Symbol("i", integer=True, positive=True)
    phi2 = sp.IndexedBase("EPhiPhiT")
    sig = sp.IndexedBase("Sigma")
    return sp.Sum(phi2[i] + sig[i] / B, (i, 1, N)) / N


def _derived(name: str, direction: Any) -> SDE:
    """The SDE of ``x+ = x - eta direction``, derived by :func:`theorylab.symbolic.derive.derive_sde`."""
    from .derive import derive_sde
    from .update import Update

    return derive_sde(Update(name, direction))


def _n_of(agents: int | None) -> sp.Expr:
    return N if agents is None else sp.Integer(agents)


@functools.cache
def dcsgd_sde(agents: int | None = None, exact: bool = True) -> SDE:
    r"""Theorem 1 for Rand-k compressors and isotropic noise, *derived* from the update.

    ``x+ = x - eta (1/N) sum_i C_i(g + Z_i)``, ``C_i`` = Rand-k with ``k_i = d/(1+omega_i)``
    (``exact=False``: the coordinate model ``omega diag(x^2)`` of :func:`~theorylab.symbolic.update.unbiased`),
    ``Z_i ~ N(0, sigma_i^2 I/B)``; :func:`~theorylab.symbolic.derive.derive_sde` gives
    ``dX = -grad f dt + sqrt(eta/N) sqrt(Sigma~) dW`` with
    ``Sigma~ = (1/N) sum_i (E[Phi_i Phi_i^T] + sigma_i^2 I/B)``.
    """
    from .update import gaussian_noise, grad, mean_over_agents, randk, unbiased

    agents = _check_agents(agents)
    comp = (lambda om: randk(omega=om)) if exact else unbiased
    der = _derived("dcsgd" if exact else "dcsgd-diag",
                   mean_over_agents(lambda a: comp(a.omega)(grad() + gaussian_noise(a.sigma)), n=agents))
    n = _n_of(agents)
    label = "exact" if exact else "leading order"
    return SDE(
        name="dcsgd" if exact else "dcsgd-diag",
        title=f"SDE of DCSGD with Rand-k compressors ({label} covariance)",
        source="Compagnoni et al. 2025, Theorem 1 (paper Thm 3.6); docs/theory.md#sdes",
        drift=der.drift,
        cov_diag=der.cov_diag,
        cov_outer=der.cov_outer,
        assumptions=(HOMOGENEOUS, NOISE_ISOTROPIC,
                     Assumption("Rand-k", "C_i is Rand-k with k_i = d/(1+omega_i) coordinates, independent across "
                                "agents; omega_i = d/k_i - 1 derived from its definition", kind="hypothesis")),
        notes=(
            "Derived from the update x+ = x - eta (1/N) sum_i C_i(grad f + Z_i) by theorylab.symbolic.derive: "
            "E[Phi Phi^T] of Rand-k from uniform k-subset indicator moments "
            "E[1_j] = k/d, E[1_i 1_j] = k(k-1)/(d(d-1)).",
            "The diagonal of Sigma~ is exactly omega g_j^2 + (1+omega) sigma^2/B; the exact covariance has "
            "the off-diagonal term -omega/(d-1) g_i g_j, so Tr Sigma~ = omega ||g||^2 + (1+omega) d sigma^2/B.",
        ),
        extra={"Sigma_tilde_diag": sp.simplify(der.cov_diag * n / eta),
               "Sigma_tilde_outer": sp.simplify(der.cov_outer * n / eta),
               "Sigma_tilde_general": _general_sigma_tilde()},
    )


@functools.cache
def dsgd_sde(agents: int | None = None) -> SDE:
    """DSGD (no compression), derived: ``dX = -grad f dt + sqrt(eta/N) sigma/sqrt(B) dW``."""
    from .update import gaussian_noise, grad, mean_over_agents

    agents = _check_agents(agents)
    der = _derived("dsgd", mean_over_agents(lambda a: grad() + gaussian_noise(a.sigma), n=agents))
    return SDE(
        name="dsgd", title="SDE of DSGD (no compression)",
        source="Compagnoni et al. 2025, Theorem 1 with omega = 0; docs/theory.md#sdes",
        drift=der.drift, cov_diag=der.cov_diag, cov_outer=der.cov_outer,
        assumptions=(HOMOGENEOUS, NOISE_ISOTROPIC), notes=(), extra={},
    )


@functools.cache
def dsignsgd_sde(nu_: Any = nu, agents: int | None = None) -> SDE:
    r"""Theorem 2, Student-t form, with ``Sigma_i = sigma_i^2 I/B``, derived from ``x+ = x - eta (1/N) sum_i sign(g + Z_i)``:

    ``dX = -(2/N) sum_i Xi_nu(sqrt(B) g/sigma_i) dt + sqrt(eta/N) sqrt(Sigma~) dW``,
    ``Sigma~ = I - (4/N) sum_i diag(Xi_nu(sqrt(B) g/sigma_i))^2``. ``nu_ = oo``: Gaussian noise
    (``2 Xi_oo(x) = erf(x/sqrt 2)``).
    """
    from .update import grad, mean_over_agents, sign, student_t_noise

    nu_ = sp.sympify(nu_)  # safe: a number, oo or a sympy symbol from the caller, never user text
    agents = _check_agents(agents)
    der = _derived("dsignsgd", mean_over_agents(lambda a: sign(grad() + student_t_noise(nu_, a.sigma)), n=agents))
    n = _n_of(agents)
    gauss = nu_ is sp.S.Infinity
    return SDE(
        name="dsignsgd-gauss" if gauss else "dsignsgd",
        title="SDE of DSignSGD" + (" (Gaussian noise)" if gauss else " (Student-t noise)"),
        source="Compagnoni et al. 2025, Theorem 2 (paper Cor C.10); docs/theory.md#sdes",
        drift=der.drift,
        cov_diag=der.cov_diag,
        cov_outer=der.cov_outer,
        assumptions=(
            HOMOGENEOUS,
            Assumption("noise model", "Z_i = sigma_i T_i / sqrt(B), T_i with i.i.d. Student-t(nu) coordinates "
                       "(nu = oo: Gaussian); convention Sigma_i = sigma_i^2 I/B", kind="hypothesis"),
            Assumption("nu > 0", "degrees of freedom nu > 0", sp.Gt(sp.Symbol("nu"), 0) if not gauss else None),
        ),
        notes=(
            "Derived from the update x+ = x - eta (1/N) sum_i sign(grad f + Z_i) by theorylab.symbolic.derive.",
            "Sigma~ uses diag(Xi^2): the poster omits diag.",
            "Off-diagonal terms of Sigma-bar vanish when the noise coordinates are independent. For a "
            "multivariate t_nu(0, I) (one shared chi-square scale) the signs of different coordinates are "
            "correlated and Sigma-bar has non-zero off-diagonal entries; the diagonal form is then a model.",
        ),
        extra={"Sigma_tilde": sp.simplify(der.cov_diag * n / eta)},
    )


@functools.cache
def sgd_sde() -> SDE:
    """Single-agent SGD (predecessor, ICLR 2025), derived from ``x+ = x - eta (g + Z)``."""
    from .update import gaussian_noise, grad

    s = _derived("sgd", grad() + gaussian_noise())
    return SDE("sgd", "SDE of SGD (single agent)", "Compagnoni et al. 2025 (ICLR), SGD SDE; DSGD with N = 1",
               s.drift, s.cov_diag, s.cov_outer, (NOISE_ISOTROPIC,))


@functools.cache
def signsgd_sde(nu_: Any = sp.oo) -> SDE:
    """Single-agent SignSGD (predecessor, Gaussian noise by default), derived from ``x+ = x - eta sign(g + Z)``."""
    from .update import grad, sign, student_t_noise

    nu_ = sp.sympify(nu_)  # safe: a number, oo or a sympy symbol from the caller, never user text
    base = dsignsgd_sde(nu_)
    s = _derived("signsgd", sign(grad() + student_t_noise(nu_)))
    return SDE("signsgd", "SDE of SignSGD (single agent)",
               "Compagnoni et al. 2025 (ICLR), SignSGD SDE; DSignSGD with N = 1",
               s.drift, s.cov_diag, s.cov_outer, base.assumptions[1:], base.notes[1:],
               {"Sigma_tilde": sp.simplify(s.cov_diag / eta)})


@functools.cache
def dsignsgd_general_sde() -> SDE:
    r"""Theorem 2, general form, identical agents, noise coordinates i.i.d. with CDF ``F`` (per sample / batch), derived.

    ``b(g_j) = -(1 - 2 P(g_j + Z_j < 0)) = -(1 - 2 F(-g_j))``,
    ``(G G^T)_jj = (eta/N) E[xi_j^2] = (eta/N)(1 - (1 - 2 F(-g_j))^2)`` (``sign^2 = 1``).
    ``F`` is an undefined function: pass its array implementation to ``lambdify(functions={"F": ...})``.
    """
    from .update import cdf_noise, grad, mean_over_agents, sign

    Fz = sp.Function("F")
    der = _derived("dsignsgd-general", mean_over_agents(lambda a: sign(grad() + cdf_noise(Fz))))
    return SDE(
        name="dsignsgd-general",
        title="SDE of DSignSGD, general form (noise CDF F)",
        source="Compagnoni et al. 2025, Theorem 2, general form; docs/theory.md#sdes",
        drift=der.drift,
        cov_diag=der.cov_diag,
        cov_outer=der.cov_outer,
        assumptions=(HOMOGENEOUS, Assumption("noise model", "Z_j i.i.d. across coordinates and agents with CDF F "
                                             "(after batching)", kind="hypothesis")),
        notes=("With F = t_nu CDF of scale sigma/sqrt(B) this is the Student-t form: 1 - 2F(-g) = 2 Xi_nu(sqrt(B) g/sigma) "
               "(derivation theorem2).",),
    )


SDE_NAMES: tuple[str, ...] = ("dsgd", "dcsgd", "dcsgd-diag", "dsignsgd", "dsignsgd-gauss", "dsignsgd-general",
                              "sgd", "signsgd")


def get_sde(name: str, agents: int | None = None) -> SDE:
    """The SDE called ``name`` (one of :data:`SDE_NAMES`), homogeneous or with ``agents`` per-agent constants."""
    if name == "dsgd":
        return dsgd_sde(agents)
    if name == "dcsgd":
        return dcsgd_sde(agents, True)
    if name == "dcsgd-diag":
        return dcsgd_sde(agents, False)
    if name == "dsignsgd":
        return dsignsgd_sde(nu, agents)
    if name == "dsignsgd-gauss":
        return dsignsgd_sde(sp.oo, agents)
    if name == "dsignsgd-general":
        if agents is not None:
            raise InvalidParameterError("dsignsgd-general has identical agents; agents must be None")
        return dsignsgd_general_sde()
    if agents is not None:
        raise InvalidParameterError(f"{name} is a single-agent SDE; agents must be None")
    if name == "sgd":
        return sgd_sde()
    if name == "signsgd":
        return signsgd_sde()
    raise InvalidParameterError(f"unknown SDE {name!r}; expected one of {', '.join(SDE_NAMES)}")
