r"""Independent closed forms of the isotropic case, written from the update rules by hand.

They are *not* used by the engine (which propagates the general recursion); the tests compare
the engine with them, so a mistake in either shows.

On ``f = ‖x‖²/2`` (every agent), DCSGD with Rand-k (``ω = d/k − 1``, masks independent across
agents) and per-coordinate noise variance ``s2 = σ²/B``: per coordinate
``E[C_j(v)² | v] = (1+ω) v_j²``, so ``q = E x_j²`` follows
``q' = (1−η)² q + (η²/N)(ω (q + s2) + s2)``, hence the stationary

.. math::

    E f = \frac{d\,q}{2} = \frac{d\,\eta\,(1+\omega)\,s_2}{2N\,(2 - \eta - \eta\omega/N)} .

The SDE of Theorem 1 (exact Rand-k covariance) has ``ds/dt = −2s + (η/N)(ω s + (1+ω) s2)``,
whose level replaces ``2 − η − ηω/N`` by ``2 − ηω/N``; the optimizer exceeds it by the factor
``(2 − ηω/N)/(2 − η − ηω/N) = 1 + η/2 + O(η²)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["exact_discrete_level", "isotropic_sde_level", "isotropic_excess_factor"]


def exact_discrete_level(d: int, n: int, eta: Any, omega: Any, s2: Any) -> Any:
    """Stationary ``E f`` of DCSGD with Rand-k (``ω``) on ``‖x‖²/2``; DSGD is ``ω = 0`` (see the module docstring).

    Works on floats, Fractions and sympy numbers alike."""
    return d * eta * (1 + omega) * s2 / (2 * n * (2 - eta - eta * omega / n))


def isotropic_sde_level(d: int, n: int, eta: Any, omega: Any, s2: Any) -> Any:
    """Stationary ``E f`` of Theorem 1's SDE on ``‖x‖²/2`` (exact Rand-k covariance)."""
    return d * eta * (1 + omega) * s2 / (2 * n * (2 - eta * omega / n))


def isotropic_excess_factor(n: int, eta: Any, omega: Any) -> Any:
    """Discrete over SDE level: ``(2 − ηω/N)/(2 − η − ηω/N)``."""
    return (2 - eta * omega / n) / (2 - eta - eta * omega / n)
