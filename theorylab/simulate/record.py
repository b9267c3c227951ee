"""What a run keeps of its trajectory, in memory that does not grow with the number of steps.

A :class:`Recorder` watches the optimality gap ``f(x_k) − f*`` of every replica and keeps

- the per-replica gaps at ``points`` record steps (a subsampled curve, for confidence bands);
- per-replica *block sums* of the gaps over ``blocks`` contiguous blocks of steps (for the
  stationary level: time averages that use every observed step, with batch means);
- divergence: the first step at which some replica's gap was non-finite or above
  ``explode`` (its "exploding" threshold, :func:`explode_threshold`), and which replicas
  diverged. Diverged replicas are excluded from every statistic and reported, never averaged
  in silently.
- growth (:func:`growth_divergence`, checked when the run ends): a run whose median gap over
  the replicas grew by at least ``GROWTH_PER_WINDOW`` in each of two consecutive windows of
  ``WINDOW_FRACTION`` of the record points, and ends that stretch above ``GROWTH_FACTOR`` times
  its reference gap (the larger of the starting gap and the first window's mean), diverges as a
  whole: every replica is marked diverged from the end of that stretch. Geometric growth
  (``ρ^k`` with ``ρ > 1``) meets it; a run relaxing towards a stationary level does not (a
  concave rise ``L − (L − g₀)e^{−ct}`` at most doubles over a second window), nor do a few
  heavy-tailed jumps (the median ignores them).

Memory: ``O((points + blocks) · replicas)``, independent of the number of steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..errors import InvalidParameterError

__all__ = ["Recorder", "Trajectory", "Divergence", "record_steps", "growth_divergence", "GROWTH_FACTOR",
           "GROWTH_PER_WINDOW", "WINDOW_FRACTION"]

GROWTH_FACTOR = 1e3  # a diverging run ends above this multiple of its reference gap ...
GROWTH_PER_WINDOW = 4.0  # ... after growing by this factor in each of two consecutive windows ...
WINDOW_FRACTION = 0.1  # ... of this fraction of the record points (at least 2 points)


def record_steps(steps: int, points: int) -> np.ndarray:
    """At most ``points`` distinct record steps from 0 to ``steps`` (both included), evenly spaced."""
    if points < 2:
        raise InvalidParameterError(f"need at least 2 record points, got {points}")
    return np.unique(np.round(np.linspace(0, steps, min(points, steps + 1))).astype(np.int64))


@dataclass(frozen=True)
class Divergence:
    """First step with a non-finite or exploding gap (None when no replica diverged) and the
    fraction of replicas that diverged by the end of the run."""

    first_step: int | None
    fraction: float
    count: int
    threshold: float
    growth: bool = False  # found by the growth rule (median gap growing geometrically)

    @property
    def diverged(self) -> bool:
        return self.count > 0

    def describe(self) -> dict[str, Any]:
        return {"diverged": self.diverged, "first_step": self.first_step, "fraction": self.fraction,
                "count": self.count, "threshold": self.threshold, "growth": self.growth}

    def message(self) -> str:
        if not self.diverged:
            return "no replica diverged"
        if self.growth:
            return (f"the run diverged: its median gap grew geometrically (x{GROWTH_PER_WINDOW:g} or more in each of "
                    f"two consecutive windows, to over {GROWTH_FACTOR:g} times its starting level) by step "
                    f"{self.first_step}; every replica counts as diverged")
        return (f"{self.count} replica(s) ({100 * self.fraction:.3g}%) diverged (gap non-finite or > "
                f"{self.threshold:.3g}); first at step {self.first_step}; they are excluded from the statistics")


@dataclass
class Trajectory:
    """The record of one run (numpy arrays, host memory).

    ``steps``: record steps ``(P,)``; ``times``: ``steps · dt_per_step`` (continuous time);
    ``values``: per-replica gaps at the record steps ``(P, R)``, NaN for diverged replicas;
    ``block_sums``/``block_counts``: ``(K, R)`` sums of the gaps and number of observed steps
    per block (steps ``1..n_steps``); ``block_edges``: ``(K+1,)`` step boundaries.
    """

    steps: np.ndarray
    times: np.ndarray
    values: np.ndarray
    block_sums: np.ndarray
    block_counts: np.ndarray
    block_edges: np.ndarray
    divergence: Divergence
    n_steps: int
    alive: np.ndarray = field(repr=False)

    @property
    def replicas(self) -> int:
        return self.values.shape[1]

    @property
    def block_means(self) -> np.ndarray:
        """Per-replica mean gap per block ``(K, R)``; NaN for diverged replicas."""
        with np.errstate(invalid="ignore", divide="ignore"):
            m = self.block_sums / self.block_counts
        m[:, ~self.alive] = np.nan
        return m


class Recorder:
    """Accumulate a run's gaps; see the module docstring.

    ``observe(k, gap)`` must be called for ``k = 0`` and then for increasing steps (every step,
    or every ``stride`` steps); it returns the boolean mask of replicas that diverged at this
    call (an array of the input's module) or None, so the caller can freeze them.
    """

    def __init__(self, n_steps: int, replicas: int, xp: ModuleType, *, points: int = 200, blocks: int = 100,
                 explode: float = 1e12, dt: float = 1.0) -> None:
        if n_steps < 1:
            raise InvalidParameterError(f"number of steps must be >= 1, got {n_steps}")
        if replicas < 1:
            raise InvalidParameterError(f"number of replicas must be >= 1, got {replicas}")
        if not explode > 0:
            raise InvalidParameterError(f"explode threshold must be > 0, got {explode}")
        self.xp = xp
        self.n_steps = int(n_steps)
        self.replicas = int(replicas)
        self.dt = float(dt)
        self.steps = record_steps(n_steps, points)
        self._next = 0
        self._values: list[Any] = []
        n_blocks = max(1, min(blocks, n_steps))
        self.edges = np.unique(np.round(np.linspace(0, n_steps, n_blocks + 1)).astype(np.int64))
        self._block_len = np.diff(self.edges)
        self._sums = xp.zeros((len(self.edges) - 1, replicas))
        self._counts = np.zeros(len(self.edges) - 1, dtype=np.int64)
        self._block = 0
        self.explode = float(explode)
        self._dead = xp.zeros(replicas, dtype=bool)
        self._any_dead = False
        self.first_divergence: int | None = None

    def observe(self, k: int, gap: Any) -> Any:
        xp = self.xp
        bad = ~(gap <= self.explode)  # catches NaN, +inf and exploding values
        if self._any_dead:
            bad &= ~self._dead
        new = None
        if bool(bad.any()):
            if self.first_divergence is None:
                self.first_divergence = int(k)
            self._dead |= bad
            self._any_dead = True
            new = bad
        if self._any_dead:
            gap = xp.where(self._dead, 0.0, gap)
        if k >= 1:
            while k > self.edges[self._block + 1]:
                self._block += 1
            self._sums[self._block] += gap
            self._counts[self._block] += 1
        if self._next < len(self.steps) and k == self.steps[self._next]:
            v = gap.copy()
            if self._any_dead:
                v = xp.where(self._dead, xp.nan, v)
            self._values.append(v)
            self._next += 1
        return new

    def observe_many(self, k0: int, gaps: Any) -> Any:
        """``observe(k0 + i, gaps[i])`` for ``i = 0, …, m−1`` in order (``gaps``: ``(m, replicas)``,
        ``k0 >= 1``), with the same result; returns the union of the masks those calls return, or
        None. While no replica has diverged and none of ``gaps`` does, the per-step checks are one
        check of the whole chunk (the block sums still add the steps one by one, in order)."""
        m = int(gaps.shape[0])
        if m == 0:
            return None
        if self._any_dead or k0 < 1 or bool((~(gaps <= self.explode)).any()):
            new = None
            for i in range(m):
                dead = self.observe(k0 + i, gaps[i])
                if dead is not None:
                    new = dead if new is None else new | dead
            return new
        n_rec = len(self.steps)
        for i in range(m):
            k = k0 + i
            while k > self.edges[self._block + 1]:
                self._block += 1
            self._sums[self._block] += gaps[i]
            self._counts[self._block] += 1
            if self._next < n_rec and k == self.steps[self._next]:
                self._values.append(gaps[i].copy())
                self._next += 1
        return None

    def wants(self, k: int) -> bool:
        """True when step ``k`` is a record step (the caller must then observe it)."""
        return self._next < len(self.steps) and k == self.steps[self._next]

    def result(self) -> Trajectory:
        if self._next != len(self.steps):
            raise RuntimeError(f"recorder saw {self._next} of {len(self.steps)} record steps: the run was cut short")
        alive = ~to_numpy(self._dead)
        values = to_numpy(self.xp.stack(self._values))
        first, grown = self.first_divergence, growth_divergence(values[:, alive])
        if grown is not None:
            values[grown:, :] = np.nan
            alive[:] = False
            first = int(self.steps[grown]) if first is None else min(first, int(self.steps[grown]))
        n_dead = int((~alive).sum())
        div = Divergence(first, n_dead / self.replicas, n_dead, self.explode, growth=grown is not None)
        return Trajectory(steps=self.steps.copy(), times=self.steps * self.dt, values=values,
                          block_sums=to_numpy(self._sums), block_counts=np.broadcast_to(
                              self._counts[:, None], self._sums.shape).astype(float).copy(),
                          block_edges=self.edges.copy(), divergence=div, n_steps=self.n_steps, alive=alive)


def growth_divergence(values: np.ndarray) -> int | None:
    """The first record index at which the median gap of ``values`` (``(P, R)``, record points by
    replicas) meets the growth rule of the module docstring, or None."""
    p_count = values.shape[0]
    if values.size == 0 or p_count < 5:
        return None
    w = max(2, int(round(WINDOW_FRACTION * p_count)))
    if p_count <= 2 * w:
        return None
    with np.errstate(invalid="ignore"):
        med = np.nanmedian(values, axis=1) if np.isfinite(values).any() else np.full(p_count, np.nan)
    if not np.isfinite(med[0]):
        return None
    ref = max(float(med[0]), float(np.nanmean(values[: w + 1])), 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        later, mid, early = med[2 * w:], med[w:-w], med[: -2 * w]
        hit = (later >= GROWTH_PER_WINDOW * mid) & (mid >= GROWTH_PER_WINDOW * early) & (later > GROWTH_FACTOR * ref)
    idx = np.flatnonzero(hit)
    return int(idx[0] + 2 * w) if idx.size else None


def explode_threshold(initial_gap: float, factor: float = 1e12) -> float:
    """Default exploding threshold: ``factor · max(f(x0) − f*, 1)``."""
    g = float(initial_gap)
    if not math.isfinite(g):
        raise InvalidParameterError(f"initial gap f(x0) - f* is not finite ({g})")
    return factor * max(abs(g), 1.0)
