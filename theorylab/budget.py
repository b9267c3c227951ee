"""Resources before work: estimate the memory and time a run needs, and refuse it in one line
when the estimate is over the limit (what it would need, the limit, how to override).

Estimates (deliberately *optimistic*, so that a refusal is never a close call):

- Monte Carlo (:func:`simulate_budget`): the state is ``A`` arrays of ``replicas × agents × d``
  float64 (``A = 8`` covers the iterate, the gradients, the noise, the compressor's output and a
  method's memory: error, shifts, control variates); the work is ``steps × replicas × agents × d``
  element-updates at ``MC_RATE`` per second (one fast core);
- the exact engine: ``d × d`` second moments; rational mode about ``RATIONAL_COST · d^2.5``
  seconds (measured on one core: d = 80 in 20 s, d = 160 in 90 s; the estimate is half that);
- the compressor kit: ``draws × d`` float64 per batch, several batches;
- the symbolic per-agent SDE: sympy's cost grows about quadratically in the agents (measured:
  80 agents in about 55 s).

Limits: memory ``THEORYLAB_MAX_MEMORY`` (bytes, or with a suffix ``K``/``M``/``G``/``T``;
default: half of the machine's memory), time ``THEORYLAB_MAX_SECONDS`` (default 600 s).
Set either to ``inf`` to turn the check off. Exceeding one raises :class:`BudgetError`, an
:class:`~theorylab.errors.InvalidParameterError` (CLI exit 2).
"""

from __future__ import annotations

import math
import os

from .errors import InvalidParameterError

__all__ = ["BudgetError", "check_budget", "memory_limit", "seconds_limit", "simulate_budget", "exact_budget",
           "kit_budget", "symbolic_agents_budget", "MC_RATE", "RATIONAL_COST"]

MC_RATE = 5e8  # element-updates per second, an optimistic rate (numba, one core)
RATIONAL_COST = 1.4e-4  # seconds x d^-2.5 of the exact engine in rational mode
FLOAT_RATE = 1e9
_ARRAYS = 8
_SUFFIX = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class BudgetError(InvalidParameterError):
    """A run would need more memory or time than the limit allows."""


def _parse_size(text: str, name: str) -> float:
    t = text.strip().upper().removesuffix("IB").removesuffix("B") if text.strip().upper() not in ("B",) else ""
    if t in ("INF", "INFINITY", "NONE", "OFF"):
        return math.inf
    unit = t[-1:] if t[-1:] in _SUFFIX else ""
    try:
        v = float(t[: len(t) - len(unit)]) * _SUFFIX[unit]
    except ValueError:
        raise InvalidParameterError(f"{name}={text!r} is not a size (expected e.g. 8G, 512M or inf)") from None
    if not v > 0:
        raise InvalidParameterError(f"{name}={text!r} must be > 0")
    return v


def memory_limit() -> float:
    """Bytes a run may allocate: ``THEORYLAB_MAX_MEMORY``, else half the machine's memory."""
    env = os.environ.get("THEORYLAB_MAX_MEMORY")
    if env:
        return _parse_size(env, "THEORYLAB_MAX_MEMORY")
    try:
        return 0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * 2**30


def seconds_limit() -> float:
    """Estimated seconds a run may take: ``THEORYLAB_MAX_SECONDS``, else 600."""
    env = os.environ.get("THEORYLAB_MAX_SECONDS")
    if not env:
        return 600.0
    if env.strip().lower() in ("inf", "infinity", "none", "off"):
        return math.inf
    try:
        v = float(env)
    except ValueError:
        raise InvalidParameterError(f"THEORYLAB_MAX_SECONDS={env!r} is not a number of seconds") from None
    if not v > 0:
        raise InvalidParameterError(f"THEORYLAB_MAX_SECONDS={env!r} must be > 0")
    return v


def _bytes(n: float) -> str:
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def _seconds(s: float) -> str:
    if s >= 86400 * 365:
        return f"{s / (86400 * 365):.3g} years"
    if s >= 86400:
        return f"{s / 86400:.3g} days"
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    return f"{s:.3g} s"


def check_budget(what: str, *, memory: float = 0.0, seconds: float = 0.0, reduce: str = "") -> None:
    """Raise :class:`BudgetError` when ``memory`` (bytes) or ``seconds`` is over its limit.
    ``what`` names the work (``"simulate dsgd"``), ``reduce`` says which inputs drive it."""
    hint = f"reduce {reduce}, or " if reduce else ""
    mlim = memory_limit()
    if memory > mlim:
        raise BudgetError(f"{what} would need about {_bytes(memory)} of memory; the limit is {_bytes(mlim)}: "
                          f"{hint}set THEORYLAB_MAX_MEMORY (e.g. THEORYLAB_MAX_MEMORY=64G) to raise it")
    slim = seconds_limit()
    if seconds > slim:
        raise BudgetError(f"{what} would take at least {_seconds(seconds)} (estimated); the limit is "
                          f"{_seconds(slim)}: {hint}set THEORYLAB_MAX_SECONDS (e.g. THEORYLAB_MAX_SECONDS=86400) "
                          "to raise it")


def simulate_budget(method: str, *, d: int, agents: int, replicas: int, steps: int, sde: bool = False) -> None:
    """The Monte Carlo estimate of the module docstring, checked."""
    cells = float(replicas) * float(agents) * float(d)
    paths = 2 if sde else 1
    check_budget(f"simulate {method} (d = {d}, N = {agents}, {replicas} replicas, {steps} steps)",
                 memory=_ARRAYS * 8 * cells * paths, seconds=paths * cells * float(steps) / MC_RATE,
                 reduce="--dim, --agents, --replicas or --steps")


def exact_budget(method: str, *, d: int, agents: int, steps: int, rational: bool) -> None:
    """The exact engine's estimate: second moments ``d × d`` (times ``N²`` for the decentralised
    methods, whose state is per agent); rational mode ``RATIONAL_COST · d^2.5`` seconds."""
    per = float(d) * float(d) * (float(agents) ** 2 if method in ("gossip", "gossip-sgd", "fedavg", "scaffold") else 1.0)
    secs = RATIONAL_COST * per ** 1.25 if rational else per ** 1.5 / FLOAT_RATE * (1 + math.log2(max(2, steps)))
    check_budget(f"the exact engine on {method} (d = {d}, N = {agents}{', rational' if rational else ''})",
                 memory=6 * 8 * per * (8 if rational else 1), seconds=secs,
                 reduce="--dim" + (" or drop --rational" if rational else ""))


def kit_budget(d: int, draws: int) -> None:
    """The compressor kit: batches of ``draws × d`` float64 (about 6 live at once)."""
    check_budget(f"compressors check at d = {d} ({draws} draws per batch)", memory=6 * 8 * float(d) * float(draws),
                 seconds=40.0 * float(d) * float(draws) * 20 / FLOAT_RATE, reduce="--dim or --draws")


def symbolic_agents_budget(agents: int) -> None:
    """The symbolic per-agent SDE: about ``0.01 s × agents²`` in sympy."""
    check_budget(f"the symbolic SDE with {agents} agents", seconds=0.008 * float(agents) ** 2,
                 reduce="--agents (or leave it out: the N-agent SDE is symbolic in N)")
