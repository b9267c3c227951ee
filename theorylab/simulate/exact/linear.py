r"""Exact moments of linear stochastic recursions, coordinate by coordinate.

The linear algorithms (DIANA, gossip SGD, FedAvg, SCAFFOLD, PSGD; DCSGD as a cross-check) on a
quadratic with *diagonal* Hessians act on each coordinate ``j`` separately: a state
``z_j ∈ Rⁿ`` (the server iterate, per-agent iterates, shifts or control variates at coordinate
``j``) follows

.. math::

    z' = A z + b + \xi + \sum_i \big(r_i\,(m_i - E[m_i \mid z]) + s_i Z_i\big), \qquad
    m_i = D_i(\ell_i^\top z + c_i + Z_i),

with ``ξ`` additive noise (``E ξ = 0``, ``Cov ξ = Q``) and compressed messages ``m_i``: the
diagonal entry ``D_i`` of agent ``i``'s compressor (:class:`~.moments.LinearMoments`:
``E D = a``, ``E D² = diag``; the masks' correlations across coordinates never reach a single
coordinate), ``Z_i`` its gradient noise (variance ``v_i``), ``r_i`` where the message lands
(``E[m_i | z] = a(ℓ_iᵀ z + c_i)`` is already inside ``A`` and ``b``). Since the messages are
independent given ``z``, with ``Var(m_i | z) = (diag_i − a_i²)(ℓ_iᵀ z + c_i)² + diag_i v_i``,

.. math::

    M' = A M A^\top + A\mu b^\top + b\mu^\top A^\top + b b^\top + Q
         + \sum_i r_i r_i^\top\big[(diag_i - a_i^2)(\ell_i^\top M \ell_i + 2 c_i \ell_i^\top \mu + c_i^2)
                                   + diag_i\, v_i\big]
         + \sum_i v_i\big(a_i (r_i s_i^\top + s_i r_i^\top) + s_i s_i^\top\big),

where ``s_i`` is where the *uncompressed* input ``u_i`` also lands (error feedback keeps ``u_i − m_i``,
so its noise is correlated with the message's), and ``μ' = Aμ + b`` — an affine map on ``w = (vec M, μ, 1)``, assembled once per coordinate as a
``(n²+n+1)``-square matrix. A time-varying scheme repeats a period of ``P`` such maps
(time-varying gossip topologies); the stationary state is then periodic and the reported level
is its average over a period. Divergence: spectral radius of the period map's linear part
``≥ 1``. Observables are quadratic in ``z``: ``E f(x̄) − f* = ½ Σ_j h̄_j oᵀ M_j o`` for an
averaging vector ``o`` (the server iterate, or the agents' mean), and the consensus error
``(1/N) Σ_j tr(Π M_j)`` over the agents' block, ``Π = I − 11ᵀ/N``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import InvalidParameterError, positive_int
from ..progress import check_deadline
from ..record import record_steps
from .result import ExactRun

__all__ = ["Message", "Phase", "CoordinateSystem", "run_system"]


@dataclass(frozen=True)
class Message:
    """Agent ``i``'s compressed message at every coordinate: ``m = D u`` with input
    ``u = lᵀz + c + Z`` (linear form ``l`` ``(d, n)``, constant ``c`` ``(d,)``, noise of variance ``v``
    ``(d,)``); ``m`` lands on ``r`` ``(d, n)`` and the uncompressed input ``u`` on ``s`` ``(d, n)``
    (``None``: nowhere; error feedback keeps ``u − m``). Compressor moments ``a = E D``, ``diag = E D²``.

    The fluctuation ``r(D − a)(lᵀz + c) + (rD + s)Z`` has covariance
    ``(diag − a²)(lᵀz + c)² r rᵀ + v (diag r rᵀ + a(r sᵀ + s rᵀ) + s sᵀ)``."""

    r: np.ndarray
    l: np.ndarray
    c: np.ndarray
    v: np.ndarray
    a: float
    diag: float
    s: np.ndarray | None = None


@dataclass(frozen=True)
class Phase:
    """One step's ``A`` ``(d, n, n)``, ``b`` ``(d, n)``, ``Q`` ``(d, n, n)`` and messages."""

    A: np.ndarray
    b: np.ndarray
    Q: np.ndarray
    messages: tuple[Message, ...] = ()
    mixture: tuple[Phase, ...] = ()  # a step that is one of these, uniformly at random (client sampling)

    def matrix(self) -> np.ndarray:
        """The affine map on ``w = (vec M, μ, 1)``, per coordinate: ``(d, n²+n+1, n²+n+1)``.

        A uniform mixture of phases has the average of their maps (the map is linear in the law)."""
        if self.mixture:
            return np.mean([p.matrix() for p in self.mixture], axis=0)
        a, b, q = self.A, self.b, self.Q
        d, n, _ = a.shape
        nn = n * n
        t = np.zeros((d, nn + n + 1, nn + n + 1))
        # vec(A M Aᵀ)[p n + q] = Σ_rs A_pr A_qs M_rs
        t[:, :nn, :nn] = np.einsum("jpr,jqs->jpqrs", a, a).reshape(d, nn, nn)
        # (Aμ) bᵀ + b (Aμ)ᵀ: coefficient of μ_r at (p, q) is A_pr b_q + b_p A_qr
        k1 = np.einsum("jpr,jq->jpqr", a, b) + np.einsum("jp,jqr->jpqr", b, a)
        const = np.einsum("jp,jq->jpq", b, b) + q
        for m in self.messages:
            kap = m.diag - m.a * m.a
            rr = np.einsum("jp,jq->jpq", m.r, m.r)
            ll = np.einsum("jr,js->jrs", m.l, m.l)
            t[:, :nn, :nn] += kap * np.einsum("jpq,jrs->jpqrs", rr, ll).reshape(d, nn, nn)
            k1 = k1 + 2 * kap * np.einsum("jpq,j,jr->jpqr", rr, m.c, m.l)
            const = const + rr * (kap * m.c**2 + m.diag * m.v)[:, None, None]
            if m.s is not None:
                rs = np.einsum("jp,jq->jpq", m.r, m.s)
                ss = np.einsum("jp,jq->jpq", m.s, m.s)
                const = const + (m.a * (rs + np.swapaxes(rs, 1, 2)) + ss) * m.v[:, None, None]
        t[:, :nn, nn:nn + n] = k1.reshape(d, nn, n)
        t[:, :nn, -1] = const.reshape(d, nn)
        t[:, nn:nn + n, nn:nn + n] = a
        t[:, nn:nn + n, -1] = b
        t[:, -1, -1] = 1.0
        return t


@dataclass
class CoordinateSystem:
    """A period of :class:`Phase` maps, the initial state ``z0`` ``(d, n)`` (deterministic, then mapped
    once by ``init`` when given), and the
    observables: ``gap_vec`` ``o`` ``(n,)`` with weights ``h̄`` ``(d,)`` (``½ Σ_j h̄_j oᵀ M_j o``) and the
    agents' block ``agents`` (indices into ``z``) for the consensus error (``None``: not decentralised)."""

    phases: list[Phase]
    z0: np.ndarray
    gap_vec: np.ndarray
    weights: np.ndarray
    agents: np.ndarray | None = None
    name: str = "linear system"
    extra: dict[str, Any] = field(default_factory=dict)
    init: Phase | None = None  # applied once to ``z0`` before step 1 (a random initialisation, e.g. EF21's g_i⁰)

    def __post_init__(self) -> None:
        self._mats = [p.matrix() for p in self.phases]
        d, n = self.z0.shape
        self.n, self.d = n, d
        o = np.outer(self.gap_vec, self.gap_vec).ravel()
        self._gap_w = 0.5 * self.weights[:, None] * o[None, :]  # (d, n²)
        self._cons_w: np.ndarray | None = None
        if self.agents is not None:
            k = len(self.agents)
            pi = np.zeros((n, n))
            idx = np.asarray(self.agents)
            pi[np.ix_(idx, idx)] = np.eye(k) - 1.0 / k
            self._cons_w = pi.ravel() / k

    def initial(self) -> np.ndarray:
        z = self.z0
        d, n = z.shape
        w = np.concatenate([np.einsum("jp,jq->jpq", z, z).reshape(d, n * n), z, np.ones((d, 1))], axis=1)
        return w if self.init is None else np.einsum("jab,jb->ja", self.init.matrix(), w)

    def gap(self, w: np.ndarray) -> float:
        return float(np.sum(self._gap_w * w[:, : self.n * self.n]))

    def consensus(self, w: np.ndarray) -> float | None:
        if self._cons_w is None:
            return None
        return float(np.sum(w[:, : self.n * self.n] @ self._cons_w))

    def step(self, w: np.ndarray, k: int) -> np.ndarray:
        t = self._mats[k % len(self._mats)]
        return np.einsum("jab,jb->ja", t, w)

    def period_map(self) -> np.ndarray:
        out = self._mats[0]
        for t in self._mats[1:]:
            out = np.einsum("jab,jbc->jac", t, out)
        return out

    def spectral_radius(self) -> float:
        t = self.period_map()[:, :-1, :-1]
        rho = float(np.max(np.abs(np.linalg.eigvals(t))))
        return rho ** (1.0 / len(self._mats))  # per step

    def stationary(self) -> list[np.ndarray] | None:
        """The periodic stationary states ``w`` at each phase (``None`` when divergent)."""
        if self.spectral_radius() >= 1:
            return None
        t = self.period_map()
        lin, const = t[:, :-1, :-1], t[:, :-1, -1]
        eye = np.eye(lin.shape[-1])[None]
        w = np.linalg.solve(eye - lin, const[..., None])[..., 0]
        w = np.concatenate([w, np.ones((self.d, 1))], axis=1)
        out = [w]
        for k in range(len(self._mats) - 1):
            out.append(self.step(out[-1], k))
        return out

    def level(self) -> tuple[float, float | None]:
        """Stationary ``E f − f*`` and consensus error, averaged over a period (``inf`` when divergent)."""
        st = self.stationary()
        if st is None:
            return float("inf"), (float("inf") if self._cons_w is not None else None)
        g = float(np.mean([self.gap(w) for w in st]))
        c = None if self._cons_w is None else float(np.mean([self.consensus(w) for w in st]))
        return g, c


def run_system(sys_: CoordinateSystem, steps: int, *, points: int = 200, dt: float = 1.0,
               method: str | None = None, params: dict[str, Any] | None = None) -> ExactRun:
    """Propagate ``steps`` steps; record the gap (and the consensus error) at ``≤ points`` steps."""
    steps = positive_int("steps", steps)
    t0 = time.perf_counter()
    rec = record_steps(steps, points)
    w = sys_.initial()
    gaps, cons = [sys_.gap(w)], [sys_.consensus(w)]
    nxt = 1
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            check_deadline()  # a sweep cell's timeout (no-op otherwise)
            w = sys_.step(w, k)
            if nxt < len(rec) and k + 1 == rec[nxt]:
                gaps.append(sys_.gap(w))
                cons.append(sys_.consensus(w))
                nxt += 1
    if not np.all(np.isfinite(sys_.z0)):
        raise InvalidParameterError("initial state must be finite")
    lvl, cons_lvl = sys_.level()
    extra = dict(sys_.extra)
    if cons[0] is not None:
        extra["consensus_error_curve"] = [float(c) for c in cons if c is not None]
        extra["consensus_error_level"] = cons_lvl
    return ExactRun(method=method or sys_.name, steps=rec, times=rec * float(dt), gaps=gaps, level=lvl,
                    rho=sys_.spectral_radius(), rho_method="eigenvalues of the moment map (per coordinate)",
                    path="per-coordinate linear system", rational=False, params=dict(params or {}),
                    wall_time=time.perf_counter() - t0, extra=extra)
