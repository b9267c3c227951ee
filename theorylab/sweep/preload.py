"""Worker preload for sweeps: ``dask worker ... --preload theorylab.sweep.preload``.

Imports what a cell needs (the ``Experiment`` and the simulation, sympy, numpy, the compiled kernels from
numba's cache) when the worker starts, so that a cell's time, and its timeout, count the
simulation and not a cold worker's imports. ``theorylab sweep run`` starts its LocalCluster's
workers with it.
"""

from __future__ import annotations

from typing import Any


def dask_setup(worker: Any = None) -> None:
    """Called by dask when the worker starts."""
    from .. import _numba
    from ..simulate import experiment  # noqa: F401 - the import is the point

    if _numba.enabled():
        _numba.warm_up()
