r"""Exact moments of the linear algorithms on quadratics with diagonal Hessians.

Each builder turns an update rule into a :class:`~.linear.CoordinateSystem` (per-coordinate
affine recursion with additive and compressed-message noise) and runs it. The order of
operations is stated in each docstring; ``y = x − x*`` (centred), agent ``i``'s stochastic
gradient is ``g_i(y) = H_i y + b_i + Z_i`` (``H_i`` diagonal; ``b_i = H_i(x* − c_i)``, so ``Σ_i b_i = 0`` by
the definition of ``x*``), ``Var Z_i = v_i`` per coordinate, independent across agents, coordinates
and steps.

- :func:`exact_dcsgd_system` — DCSGD, ``y' = y − (η/N) Σ_i C_i(g_i(y))`` (cross-check of :mod:`.discrete`).
- :func:`exact_psgd` — parallel minibatch SGD, ``y' = y − (η/N) Σ_i g_i(y)`` (each ``g_i`` a
  batch-B gradient): DCSGD with the identity.
- :func:`exact_diana` — DIANA (Mishchenko, Gorbunov, Takáč, Richtárik 2019): with shifts ``h_i``
  (``h_i⁰ = 0``), ``m_i = C_i(g_i(y) − h_i)``, ``ĝ = (1/N) Σ_i (h_i + m_i)``, then ``y' = y − η ĝ`` and
  ``h_i' = h_i + α m_i`` (both from the same ``m_i``).
- :func:`exact_ef21` — EF21 (Richtárik, Sokolov, Fatkhullin 2021): ``y' = y − γ (1/N) Σ_k g_k`` first,
  then every agent ``g_i' = g_i + C_i(g_i(y') − g_i)`` at the *new* point (fresh noise), starting from
  ``g_i⁰ = C_i(∇f_i(x⁰) + Z_i)`` (as the Monte Carlo engine does: one message from ``g_i = 0``).
- :func:`exact_ef14` — error feedback (Seide et al. 2014; Stich and Karimireddy 2019):
  ``u_i = e_i + γ g_i(y)``, ``p_i = C_i(u_i)``, ``e_i' = u_i − p_i``, ``y' = y − (1/N) Σ_i p_i``; ``e_i⁰ = 0``.
- :func:`exact_gossip` — decentralised gossip SGD (Lian et al. 2017; the lecture's "DSGD") with a
  doubly-stochastic ``W`` (or a period of ``W_k``): combine-then-adapt ``x_i' = Σ_j W_ij x_j − γ g_i(x_i)``
  (the gradient at the agent's own iterate before mixing), or adapt-then-combine
  ``x_i' = Σ_j W_ij (x_j − γ g_j(x_j))``. Reports ``f(x̄)`` and the consensus error.
- :func:`exact_fedavg` — Local SGD / FedAvg (McMahan et al. 2017): per round, each client in the
  sampled set ``S`` (all ``N``, or ``S`` of ``N`` uniformly without replacement) sets ``y_i = x`` and takes
  ``K`` steps ``y_i ← y_i − γ g_i(y_i)`` (fresh noise each), then ``x' = x + η_s (1/|S|) Σ_{i∈S} (y_i − x)``.
- :func:`exact_scaffold` — SCAFFOLD, option II (Karimireddy et al. 2020), full participation:
  ``y_i = x``; ``K`` steps ``y_i ← y_i − γ(g_i(y_i) − c_i + c)``; ``c_i⁺ = c_i − c + (x − y_i)/(Kγ)``;
  ``x' = x + η_s (1/N) Σ (y_i − x)``; ``c' = c + (1/N) Σ (c_i⁺ − c_i)``; controls start at 0.

Steps of FedAvg and SCAFFOLD are communication rounds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InvalidParameterError, positive_int
from .linear import CoordinateSystem, Message, Phase, run_system
from .model import LinearQuadratic
from .moments import linear_moments
from .result import ExactRun

__all__ = ["exact_dcsgd_system", "exact_psgd", "exact_diana", "exact_ef21", "exact_ef14", "exact_gossip",
           "exact_fedavg", "exact_scaffold", "check_mixing_matrix"]


def _need_diagonal(q: LinearQuadratic, who: str) -> None:
    if not q.diagonal or q.rational:
        raise InvalidParameterError(f"the exact {who} recursion is implemented for diagonal Hessians and "
                                    "covariances in floating point (per-coordinate systems)")


def _moments(comps: Sequence[Any] | None, n: int, d: int) -> list[tuple[float, float]]:
    comps = [None] * n if comps is None else list(comps)
    if len(comps) != n:
        raise InvalidParameterError(f"got {len(comps)} compressors for {n} agents")
    return [(float(m.mean), float(m.diag)) for m in (linear_moments(c, d) for c in comps)]


def _finish(q: LinearQuadratic, phases: list[Phase], z0: np.ndarray, o: np.ndarray, steps: int, points: int,
            dt: float, name: str, agents: np.ndarray | None = None, extra: dict | None = None,
            init: Phase | None = None) -> ExactRun:
    hbar = q.hessians.mean(axis=0)
    sys_ = CoordinateSystem(phases, z0, o, hbar, agents, name, extra or {}, init)
    return run_system(sys_, steps, points=points, dt=dt, method=name)


def exact_dcsgd_system(q: LinearQuadratic, eta: float, steps: int, comps: Sequence[Any] | None = None, *,
                       points: int = 200) -> ExactRun:
    """DCSGD as a per-coordinate system (independent masks): a cross-check of :func:`.discrete.exact_dcsgd`."""
    _need_diagonal(q, "DCSGD")
    n, d = q.n_agents, q.d
    mom = _moments(comps, n, d)
    h, b, v = q.hessians, q.tilts, q.noise
    a_hat = sum(a * h[i] for i, (a, _) in enumerate(mom)) / n
    b_hat = sum(a * b[i] for i, (a, _) in enumerate(mom)) / n
    msgs = tuple(Message(r=np.full((d, 1), -eta / n), l=h[i][:, None], c=b[i], v=v[i], a=a, diag=dg)
                 for i, (a, dg) in enumerate(mom))
    ph = Phase(A=(1 - eta * a_hat)[:, None, None], b=(-eta * b_hat)[:, None], Q=np.zeros((d, 1, 1)), messages=msgs)
    return _finish(q, [ph], q.y0[:, None].astype(float), np.ones(1), steps, points, eta, "dcsgd")


def exact_psgd(q: LinearQuadratic, eta: float, steps: int, *, points: int = 200) -> ExactRun:
    """Parallel minibatch SGD: DCSGD with the identity compressor on every agent."""
    run = exact_dcsgd_system(q, eta, steps, None, points=points)
    run.method = "psgd"
    return run


def exact_diana(q: LinearQuadratic, eta: float, alpha: float, steps: int, comps: Sequence[Any], *,
                points: int = 200) -> ExactRun:
    """DIANA (see the module docstring); state per coordinate ``(y, h_1, …, h_N)``."""
    _need_diagonal(q, "DIANA")
    n, d = q.n_agents, q.d
    if not (alpha > 0 and math.isfinite(alpha)):
        raise InvalidParameterError(f"DIANA's alpha must be a finite number > 0, got {alpha!r}")
    mom = _moments(comps, n, d)
    h, b, v = q.hessians, q.tilts, q.noise
    dim = n + 1
    A = np.zeros((d, dim, dim))
    A[:, 0, 0] = 1.0
    for i in range(n):
        A[:, i + 1, i + 1] = 1.0
        A[:, 0, i + 1] -= eta / n  # the shift h_i enters ĝ directly
    msgs = []
    for i, (a, dg) in enumerate(mom):
        r = np.zeros((d, dim))
        r[:, 0], r[:, i + 1] = -eta / n, alpha
        ell = np.zeros((d, dim))
        ell[:, 0], ell[:, i + 1] = h[i], -1.0
        msgs.append(Message(r=r, l=ell, c=b[i], v=v[i], a=a, diag=dg))  # E[m_i | z] = a (ℓᵀz + c), folded below
    z0, o = _server_start(q, dim)
    return _finish(q, [_fold(A, np.zeros((d, dim)), msgs)], z0, o, steps, points, eta, "diana",
                   extra={"alpha": alpha})


def _unit_column(d: int, dim: int, k: int) -> np.ndarray:
    """``(d, dim)`` zeros with column ``k`` set to 1: a message landing on (or read from) slot ``k``
    of every coordinate's state."""
    out = np.zeros((d, dim))
    out[:, k] = 1.0
    return out


def _server_start(q: LinearQuadratic, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The start ``z⁰`` of a per-coordinate state whose slot 0 is the server iterate (``y⁰``; the
    other slots 0) and the read-out ``o = e₀`` of that iterate."""
    z0 = np.zeros((q.d, dim))
    z0[:, 0] = q.y0
    o = np.zeros(dim)
    o[0] = 1.0
    return z0, o


def _fold(a_base: np.ndarray, b_base: np.ndarray, msgs: list[Message]) -> Phase:
    """``z' = A_base z + b_base + Σ_i (r_i m_i + s_i u_i)``: put the conditional means into ``A`` and ``b``."""
    a, b = a_base.copy(), b_base.copy()
    for m in msgs:
        land = m.a * m.r + (m.s if m.s is not None else 0.0)
        a += np.einsum("jp,jq->jpq", land, m.l)
        b += land * m.c[:, None]
    return Phase(A=a, b=b, Q=np.zeros_like(a), messages=tuple(msgs))


def exact_ef21(q: LinearQuadratic, gamma: float, steps: int, comps: Sequence[Any], *, points: int = 200) -> ExactRun:
    """EF21 (see the module docstring); state per coordinate ``(y, g_1, …, g_N)``."""
    _need_diagonal(q, "EF21")
    n, d = q.n_agents, q.d
    mom = _moments(comps, n, d)
    h, b, v = q.hessians, q.tilts, q.noise
    dim = n + 1
    a_base = np.zeros((d, dim, dim))
    a_base[:, 0, 0] = 1.0
    a_base[:, 0, 1:] = -gamma / n
    for i in range(n):
        a_base[:, i + 1, i + 1] = 1.0
    msgs = []
    for i, (a, dg) in enumerate(mom):
        ell = np.zeros((d, dim))
        ell[:, 0] = h[i]                      # ∇f_i at y' = y − (γ/N) Σ g_k ...
        ell[:, 1:] = -gamma / n * h[i][:, None]
        ell[:, i + 1] -= 1.0                  # ... minus g_i
        msgs.append(Message(r=_unit_column(d, dim, i + 1), l=ell, c=b[i], v=v[i], a=a, diag=dg))
    # g_i⁰ = C_i(∇f_i(x⁰) + Z_i), as the Monte Carlo engine starts: from g_i = 0, one message
    # g_i ← g_i + C_i(∇f_i(x) + Z_i − g_i) at x⁰ without the x-step
    init_msgs = []
    for i, (a, dg) in enumerate(mom):
        ell = np.zeros((d, dim))
        ell[:, 0] = h[i]
        ell[:, i + 1] = -1.0
        init_msgs.append(Message(r=_unit_column(d, dim, i + 1), l=ell, c=b[i], v=v[i], a=a, diag=dg))
    eye = np.broadcast_to(np.eye(dim), (d, dim, dim)).copy()
    init = _fold(eye, np.zeros((d, dim)), init_msgs)
    z0, o = _server_start(q, dim)
    return _finish(q, [_fold(a_base, np.zeros((d, dim)), msgs)], z0, o, steps, points, gamma, "ef21", init=init)


def exact_ef14(q: LinearQuadratic, gamma: float, steps: int, comps: Sequence[Any], *, points: int = 200) -> ExactRun:
    """Error feedback (EF14; see the module docstring); state per coordinate ``(y, e_1, …, e_N)``."""
    _need_diagonal(q, "EF14")
    n, d = q.n_agents, q.d
    mom = _moments(comps, n, d)
    h, b, v = q.hessians, q.tilts, q.noise
    dim = n + 1
    a_base = np.zeros((d, dim, dim))
    a_base[:, 0, 0] = 1.0
    msgs = []
    for i, (a, dg) in enumerate(mom):
        ell = np.zeros((d, dim))
        ell[:, 0] = gamma * h[i]
        ell[:, i + 1] = 1.0
        r = np.zeros((d, dim))
        r[:, 0] = -1.0 / n
        r[:, i + 1] = -1.0
        s = _unit_column(d, dim, i + 1)
        msgs.append(Message(r=r, l=ell, c=gamma * b[i], v=gamma**2 * v[i], a=a, diag=dg, s=s))
    z0, o = _server_start(q, dim)
    return _finish(q, [_fold(a_base, np.zeros((d, dim)), msgs)], z0, o, steps, points, gamma, "ef14")


def check_mixing_matrix(w: Any, n: int) -> np.ndarray:
    """``W`` as an ``(n, n)`` array; raises unless it is non-negative and doubly stochastic."""
    w = np.asarray(w, dtype=float)
    if w.shape != (n, n):
        raise InvalidParameterError(f"the mixing matrix must be {n} x {n} (one row per agent), got shape {w.shape}")
    if np.any(w < -1e-14):
        raise InvalidParameterError("the mixing matrix must have non-negative entries")
    rows, cols = w.sum(axis=1), w.sum(axis=0)
    if not (np.allclose(rows, 1, atol=1e-12) and np.allclose(cols, 1, atol=1e-12)):
        raise InvalidParameterError(f"the mixing matrix must be doubly stochastic: row sums {np.round(rows, 6)}, "
                                    f"column sums {np.round(cols, 6)}")
    return w


def exact_gossip(q: LinearQuadratic, gamma: float, steps: int, mixing: Any, *, order: str = "cta",
                 points: int = 200) -> ExactRun:
    """Gossip SGD with mixing matrix ``mixing`` (``(N, N)``, or a list of them used in turn)."""
    _need_diagonal(q, "gossip")
    n, d = q.n_agents, q.d
    if order not in ("cta", "atc"):
        raise InvalidParameterError(f"order must be 'cta' or 'atc', got {order!r}")
    ws = [mixing] if np.asarray(mixing[0] if isinstance(mixing, (list, tuple)) else mixing).ndim == 1 or \
        not isinstance(mixing, (list, tuple)) else list(mixing)
    ws = [check_mixing_matrix(w, n) for w in ws]
    h, b, v = q.hessians.T, q.tilts.T, q.noise.T  # (d, n)
    eye = np.eye(n)
    phases = []
    for w in ws:
        adapt = eye[None] - gamma * h[:, :, None] * eye[None]  # I − γ diag(h_·j)
        if order == "cta":
            A = w[None] - gamma * h[:, :, None] * eye[None]
            bb = -gamma * b
            Q = gamma**2 * v[:, :, None] * eye[None]
        else:
            A = np.einsum("pq,jqr->jpr", w, adapt)
            bb = -gamma * b @ w.T
            Q = gamma**2 * np.einsum("pq,jq,rq->jpr", w, v, w)
        phases.append(Phase(A=A, b=bb, Q=Q))
    z0 = np.repeat(q.y0[:, None], n, axis=1).astype(float)
    j = np.full((n, n), 1.0 / n)
    mix = [float(np.max(np.abs(np.linalg.eigvals(w - j)))) for w in ws]
    return _finish(q, phases, z0, np.full(n, 1.0 / n), steps, points, gamma, f"gossip-{order}",
                   agents=np.arange(n), extra={"mixing_rho": mix})


@dataclass
class _Aff:
    """Affine expressions per coordinate: ``coef`` ``(d, n)`` on the state, ``const`` ``(d,)``, ``noise``
    ``(d, m)`` loadings on independent unit-variance noise variables."""

    coef: np.ndarray
    const: np.ndarray
    noise: np.ndarray

    def __add__(self, o: _Aff) -> _Aff:
        return _Aff(self.coef + o.coef, self.const + o.const, self.noise + o.noise)

    def __sub__(self, o: _Aff) -> _Aff:
        return _Aff(self.coef - o.coef, self.const - o.const, self.noise - o.noise)

    def scale(self, s: Any) -> _Aff:
        s = np.asarray(s, dtype=float)
        sv = s[:, None] if s.ndim == 1 else s
        return _Aff(self.coef * sv, self.const * s, self.noise * sv)


def _phase_from(exprs: list[_Aff]) -> Phase:
    A = np.stack([e.coef for e in exprs], axis=1)  # (d, n, n)
    b = np.stack([e.const for e in exprs], axis=1)
    G = np.stack([e.noise for e in exprs], axis=1)  # (d, n, m)
    return Phase(A=A, b=b, Q=np.einsum("jpk,jqk->jpq", G, G))


class _Tracer:
    def __init__(self, d: int, n_state: int, n_noise: int) -> None:
        self.d, self.n, self.m = d, n_state, n_noise
        self.next_noise = 0

    def state(self, k: int) -> _Aff:
        c = np.zeros((self.d, self.n))
        c[:, k] = 1.0
        return _Aff(c, np.zeros(self.d), np.zeros((self.d, self.m)))

    def const(self, v: np.ndarray) -> _Aff:
        return _Aff(np.zeros((self.d, self.n)), np.asarray(v, float).copy(), np.zeros((self.d, self.m)))

    def fresh_noise(self, sd: np.ndarray) -> _Aff:
        z = np.zeros((self.d, self.m))
        z[:, self.next_noise] = sd
        self.next_noise += 1
        return _Aff(np.zeros((self.d, self.n)), np.zeros(self.d), z)


def _local_steps(tr: _Tracer, start: _Aff, h: np.ndarray, b: np.ndarray, v: np.ndarray, gamma: float, k: int,
                 correction: _Aff | None = None) -> _Aff:
    y = start
    for _ in range(k):
        g = y.scale(h) + tr.const(b) + tr.fresh_noise(np.sqrt(v))
        if correction is not None:
            g = g + correction
        y = y - g.scale(np.full(tr.d, gamma))
    return y


def exact_fedavg(q: LinearQuadratic, gamma: float, local_steps: int, rounds: int, *, server_lr: float = 1.0,
                 participation: int | None = None, points: int = 200) -> ExactRun:
    """FedAvg / Local SGD (see the module docstring); ``participation`` = ``S`` clients per round."""
    _need_diagonal(q, "FedAvg")
    n, d = q.n_agents, q.d
    kk = positive_int("local steps K", local_steps)
    s = n if participation is None else positive_int("participation S", participation)
    if s > n:
        raise InvalidParameterError(f"participation S = {s} exceeds the number of agents N = {n}")
    subsets = list(itertools.combinations(range(n), s))
    mats = []
    for sub in subsets:
        tr = _Tracer(d, 1, len(sub) * kk)
        x = tr.state(0)
        moves = [_local_steps(tr, x, q.hessians[i], q.tilts[i], q.noise[i], gamma, kk) - x for i in sub]
        acc = moves[0]
        for mv in moves[1:]:
            acc = acc + mv
        new = x + acc.scale(np.full(d, server_lr / s))
        mats.append(_phase_from([new]))
    phase = mats[0] if len(mats) == 1 else Phase(A=mats[0].A, b=mats[0].b, Q=mats[0].Q, mixture=tuple(mats))
    return _finish(q, [phase], q.y0[:, None].astype(float), np.ones(1), rounds, points, 1.0, "fedavg",
                   extra={"local_steps": kk, "server_lr": server_lr, "participation": s})


def exact_scaffold(q: LinearQuadratic, gamma: float, local_steps: int, rounds: int, *, server_lr: float = 1.0,
                   points: int = 200) -> ExactRun:
    """SCAFFOLD option II with full participation (see the module docstring); state ``(x, c_1..c_N)``.

    With every client participating and ``c⁰ = (1/N) Σ c_i⁰`` the server control stays the mean of the
    clients' (``c' = c + (1/N) Σ (c_i⁺ − c_i) = (1/N) Σ c_i⁺``), so it is not a separate state (keeping it
    would add the conserved, eigenvalue-1 direction ``c − mean c_i``)."""
    _need_diagonal(q, "SCAFFOLD")
    n, d = q.n_agents, q.d
    kk = positive_int("local steps K", local_steps)
    dim = n + 1
    tr = _Tracer(d, dim, n * kk)
    x = tr.state(0)
    c = tr.state(1)
    for i in range(2, n + 1):
        c = c + tr.state(i)
    c = c.scale(np.full(d, 1.0 / n))
    ys, cis = [], []
    for i in range(n):
        ci = tr.state(i + 1)
        y = _local_steps(tr, x, q.hessians[i], q.tilts[i], q.noise[i], gamma, kk, correction=c - ci)
        ys.append(y)
        cis.append(ci - c + (x - y).scale(np.full(d, 1.0 / (kk * gamma))))
    dx = ys[0] - x
    for y in ys[1:]:
        dx = dx + (y - x)
    new_x = x + dx.scale(np.full(d, server_lr / n))
    phase = _phase_from([new_x, *cis])
    z0, o = _server_start(q, dim)
    return _finish(q, [phase], z0, o, rounds, points, 1.0, "scaffold",
                   extra={"local_steps": kk, "server_lr": server_lr})
