"""A seeded search for the input that maximises a compressor's variance ratio.

A wrong ω shows only on the right x. Starting from candidate inputs (the adversarial set),
a (μ + λ) evolution strategy mutates the best inputs (rescale a few coordinates, zero one,
copy the largest magnitude onto one, flip signs, snap entries to ``(4/3)2^j``, shrink
towards the constant vector) and keeps the inputs with the largest estimated ratio
``E‖C(x) − x‖²/‖x‖²``. Each estimate uses ``n_draws`` draws of ``C`` at that fixed x; all
candidates of a generation go through ``C`` in one batched call. Everything is seeded: the
same seed gives the same inputs.

The estimates here only *select* inputs; :func:`~theorylab.testing.check_compressor` tests
the selected inputs on fresh, independent draws, so the selection does not bias its
verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backend import default_rng, get_xp, to_numpy

__all__ = ["search_worst_inputs", "search_worst_inputs_hypothesis", "estimate_ratios"]


def estimate_ratios(C: Callable, X: np.ndarray, n_draws: int, rng: Any, xp: Any) -> np.ndarray:
    """Monte Carlo estimate of ``E‖C(x) − x‖²/‖x‖²`` for each row x of ``X`` (m, d)."""
    m, d = X.shape
    B = xp.broadcast_to(xp.asarray(X)[:, None, :], (m, n_draws, d)).copy()
    Y = to_numpy(C(B, rng)).astype(np.float64, copy=False)
    Xf = np.asarray(X, dtype=np.float64)
    s = np.abs(Xf).max(axis=1)
    E = (Y - Xf[:, None, :]) / s[:, None, None]
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.einsum("ind,ind->i", E, E) / n_draws / np.einsum("id,id->i", Xf / s[:, None], Xf / s[:, None])
    return np.where(np.isfinite(r), r, -np.inf)


def _mutate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    d = x.size
    y = x.copy()
    kind = rng.integers(7)
    j = rng.integers(d, size=max(1, d // 8))
    if kind == 0:
        y[j] *= np.exp(rng.normal(0, 1, size=j.size))
    elif kind == 1:
        y[j[0]] = 0.0
    elif kind == 2:
        y[j[0]] = np.abs(y).max() * rng.choice([-1.0, 1.0])
    elif kind == 3:
        y[j] = -y[j]
    elif kind == 4:
        a = np.abs(y)
        nz = a > 0
        e = np.floor(np.log2(np.where(nz, a, 1.0)))
        y = np.where(nz, np.sign(y) * (4.0 / 3.0) * 2.0**e, 0.0)
    elif kind == 5:
        t = rng.uniform(0.1, 0.9)
        y = (1 - t) * y + t * np.sign(y) * np.abs(y).max()
    else:
        y[j] = y[j] * rng.uniform(0.0, 1.0, size=j.size)
    if not np.any(y != 0) or not np.all(np.isfinite(y)):
        return x.copy()
    return y


def search_worst_inputs(
    C: Callable,
    d: int,
    start: Sequence[np.ndarray],
    *,
    seed: Any = 0,
    generations: int = 12,
    parents: int = 4,
    children: int = 4,
    n_draws: int = 64,
    keep: int = 4,
    backend: str = "numpy",
    dtype: Any = np.float64,
) -> list[tuple[np.ndarray, float]]:
    """The ``keep`` inputs with the largest estimated ratio found, with their estimates.

    ``start`` are the initial candidates (non-zero vectors of length ``d``); ``seed`` (an
    int or a ``SeedSequence``) seeds both the mutations and the compressor's draws.
    """
    xp = get_xp(backend)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    s_mut, s_c = ss.spawn(2)
    mrng = np.random.default_rng(s_mut)
    crng = default_rng(s_c, xp)
    pop = np.stack([np.asarray(x, dtype=np.float64) for x in start])
    fit = estimate_ratios(C, pop.astype(dtype), n_draws, crng, xp)
    order = np.argsort(-fit)[:parents]
    pop, fit = pop[order], fit[order]
    for _ in range(generations):
        par = np.arange(parents * children) % len(pop)
        kids = np.stack([_mutate(pop[i], mrng) for i in par])
        with np.errstate(over="ignore"):
            kd = kids.astype(dtype)
        ok = np.all(np.isfinite(kd), axis=1) & np.any(kd != 0, axis=1)
        kids = np.where(ok[:, None], kids, pop[par])
        kfit = estimate_ratios(C, kids.astype(dtype), n_draws, crng, xp)
        allx = np.concatenate([pop, kids])
        allf = np.concatenate([fit, kfit])
        order = np.argsort(-allf, kind="stable")[:parents]
        pop, fit = allx[order], allf[order]
    # distinct survivors only
    out: list[tuple[np.ndarray, float]] = []
    for x, f in zip(pop, fit):
        if not any(np.array_equal(x, y) for y, _ in out):
            out.append((x, float(f)))
    return out[:keep]


def search_worst_inputs_hypothesis(
    C: Callable,
    d: int,
    *,
    seed: Any = 0,
    max_examples: int = 200,
    n_draws: int = 64,
    keep: int = 4,
    backend: str = "numpy",
    dtype: Any = np.float64,
) -> list[tuple[np.ndarray, float]]:
    """The same search driven by hypothesis: ``target(ratio)`` over :func:`adversarial_vectors`.

    Runs derandomized (no example database), so it is deterministic; the compressor's draws
    come from a generator seeded by ``seed``. Do not call it from inside a ``@given`` test
    (hypothesis does not nest); use :func:`search_worst_inputs` there.
    """
    from hypothesis import HealthCheck, Phase, given, settings, target

    from .strategies import adversarial_vectors

    xp = get_xp(backend)
    crng = default_rng(seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed), xp)
    seen: list[tuple[np.ndarray, float]] = []

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.target),
        suppress_health_check=list(HealthCheck),
    )
    @given(adversarial_vectors(d))
    def probe(x: np.ndarray) -> None:
        f = float(estimate_ratios(C, x[None, :].astype(dtype), n_draws, crng, xp)[0])
        if np.isfinite(f):
            target(min(f, 1e300), label="variance ratio")
            seen.append((x.copy(), f))

    probe()
    seen.sort(key=lambda t: -t[1])
    out: list[tuple[np.ndarray, float]] = []
    for x, f in seen:
        if not any(np.array_equal(x, y) for y, _ in out):
            out.append((x, f))
        if len(out) == keep:
            break
    return out
