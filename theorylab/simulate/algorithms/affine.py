r"""The round map of a deterministic algorithm on a quadratic, as an affine map, from its own ``step``.

Without noise, with full participation and a linear (or no) compressor, one ``step`` of every
algorithm here is an affine map of its state ``z`` (all array fields, flattened):
``z ↦ A z + b``. :func:`round_map` measures ``A`` and ``b`` by running ``step`` once on a batch of
``m + 1`` replicas whose states are ``0`` and the ``m`` unit vectors (one batched call, no loop);
``b = F(0)``, column ``j`` of ``A`` is ``F(e_j) − F(0)``. Then

- the fixed point ``z* = (I − A)⁻¹ b`` (:func:`fixed_point`) is the algorithm's limit whenever
  ``ρ(A) < 1``, and
- ``ρ(A)``, the spectral radius, is its exact linear rate per step.

This is how the closed-form claims (FedAvg's fixed point, SCAFFOLD's x*, FedAvg-M's β → 0 limit,
gossip's steady state) are checked against the library's implementation itself, without waiting
for convergence. ``step`` must not depend on the replica index or on random draws; this is
verified by applying the measured map to a random state and comparing with ``step``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InvalidParameterError
from ..noise import gaussian
from ..problems import Problem
from ._base import Context
from .run import resolve_method

__all__ = ["RoundMap", "round_map"]


@dataclass(frozen=True)
class RoundMap:
    """``z ↦ A z + b`` over the state fields ``fields`` (name, shape per replica)."""

    A: np.ndarray
    b: np.ndarray
    fields: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def rate(self) -> float:
        """Spectral radius ``ρ(A)``: the linear rate of convergence per step (when ``< 1``)."""
        return float(np.max(np.abs(np.linalg.eigvals(self.A)))) if self.A.size else 0.0

    def fixed_point(self) -> dict[str, np.ndarray]:
        """The fixed point ``z* = (I − A)⁻¹ b``, split into the state's fields."""
        z = np.linalg.solve(np.eye(self.A.shape[0]) - self.A, self.b)
        out, i = {}, 0
        for name, shape in self.fields:
            size = int(np.prod(shape))
            out[name] = z[i:i + size].reshape(shape)
            i += size
        return out


def _fields(state: Any, replicas: int) -> list[tuple[str, tuple[int, ...]]]:
    return [(k, tuple(v.shape[1:])) for k, v in vars(state).items()
            if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == replicas]


# State fields that are functions of the others (an invariant of the algorithm): the map is measured on
# the free fields, the derived ones recomputed from them. SCAFFOLD keeps c = mean_i c_i.
DERIVED: dict[str, dict[str, Any]] = {"scaffold": {"c": lambda f: f["ci"].mean(axis=1)}}


def round_map(method: Any, problem: Problem, *, eta: float, compressor: Any = None, check_seed: int = 0,
              tol: float = 1e-9, derived: dict[str, Any] | None = None, **options: Any) -> RoundMap:
    """Measure the affine round map of ``method`` on ``problem`` (no noise) from its ``step``.

    ``derived``: state fields computed from the others, ``name -> f(fields) -> array`` (default for
    SCAFFOLD: ``c = mean_i c_i``, its invariant; without it ``A`` has the eigenvalue 1 of the
    conserved ``c − mean c_i``). Raises :class:`InvalidParameterError` when the step is not affine in
    the state (random or non-linear: a stochastic compressor, client sampling, a non-quadratic problem)."""
    from ..optimizers import resolve_compressors
    from ._base import check_options

    alg = resolve_method(method)
    opts = check_options(alg, options)
    comps = resolve_compressors(compressor, problem.n_agents)

    def new_ctx(r: int, seed: int) -> tuple[Context, Any]:
        ctx = Context(problem, gaussian(0.0), float(eta), r, np.random.default_rng(seed), np, comps, opts,
                      problem.initial(r, np))
        return ctx, alg.init(ctx)

    derived = DERIVED.get(alg.name, {}) if derived is None else derived
    ctx, st = new_ctx(1, 0)
    fields = [f for f in _fields(st, 1) if f[0] not in derived]
    m = sum(int(np.prod(s)) for _, s in fields)
    ctx, st = new_ctx(m + 2, 0)
    basis = np.zeros((m + 2, m))
    basis[1:m + 1] = np.eye(m)
    basis[m + 1] = np.random.default_rng(check_seed).standard_normal(m)  # a random state, for the check
    _load(st, fields, basis)
    for name, fn in derived.items():
        setattr(st, name, np.asarray(fn(vars(st)), dtype=float).copy())
    alg.step(st, ctx)
    out = _dump(st, fields, m + 2)
    b = out[0]
    A = (out[1:m + 1] - b).T
    pred = A @ basis[m + 1] + b
    scale = max(1.0, float(np.max(np.abs(out))))
    if not np.allclose(pred, out[m + 1], atol=tol * scale, rtol=0):
        raise InvalidParameterError(f"{alg.name}'s step is not affine in its state here (random or non-linear: "
                                    "use sigma = 0, full participation, a linear compressor, a quadratic problem)")
    return RoundMap(A, b, tuple(fields))


def _load(state: Any, fields: list[tuple[str, tuple[int, ...]]], z: np.ndarray) -> None:
    i = 0
    for name, shape in fields:
        size = int(np.prod(shape))
        setattr(state, name, z[:, i:i + size].reshape((z.shape[0],) + shape).copy())
        i += size


def _dump(state: Any, fields: list[tuple[str, tuple[int, ...]]], r: int) -> np.ndarray:
    return np.concatenate([np.asarray(getattr(state, name)).reshape(r, -1) for name, _ in fields], axis=1)
