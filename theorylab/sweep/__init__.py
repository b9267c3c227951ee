"""Parameter sweeps of :class:`~theorylab.simulate.Experiment` on dask.distributed (floor 5:
imports simulate and symbolic, never the CLI).

- :mod:`.spec`: the TOML spec (keys = the Experiment's fields), expanded into cells, each an
  Experiment checked by its own ``validate`` before anything runs.
- :mod:`.symbolic`: ``command = "bounds"`` cells (a bound evaluated at given values).
- :mod:`.seeds`: cell keys and seeds from a hash of the cell's canonical parameters.
- :mod:`.store`: the Parquet store, one atomically written file per cell, each row with its
  sweep id, cell key and checksum, verified on every read; the store's lock.
- :mod:`.run`: the task (:func:`run_cell`, with its timeout) and the driver (:func:`run_sweep`:
  pending vs failed, cancellation on exit, the watchdog).
- :mod:`.files`: ``FILE.py:NAME`` values resolved and hashed at load, checked on the worker.
- :mod:`.preload`: the worker preload (``dask worker --preload theorylab.sweep.preload``).
- :mod:`.report`: tables (Markdown, CSV, JSON) and figures of a store.

Needs the ``sweep`` extra (``dask[distributed]``, ``pyarrow``).
"""

from .run import SweepSummary, run_cell, run_sweep
from .spec import Cell, Spec, load_spec, parse_spec
from .store import Store

__all__ = ["Cell", "Spec", "Store", "SweepSummary", "load_spec", "parse_spec", "run_cell", "run_sweep"]
