"""Parameter sweeps of :class:`~theorylab.simulate.Experiment` on dask.distributed (floor 5:
imports simulate and symbolic, never the CLI).

- :mod:`.spec`: the TOML spec (keys = the Experiment's fields), expanded into cells, each an
  Experiment checked by its own ``validate`` before anything runs.
- :mod:`.symbolic`: ``command = "bounds"`` cells (a bound evaluated at given values).
- :mod:`.seeds`: cell keys and seeds from a hash of the cell's canonical parameters.
- :mod:`.store`: the Parquet store, one atomically written file per cell.
- :mod:`.run`: the task (:func:`run_cell`) and the driver (:func:`run_sweep`).
- :mod:`.report`: tables (Markdown, CSV, JSON) and figures of a store.

Needs the ``sweep`` extra (``dask[distributed]``, ``pyarrow``).
"""

from .run import SweepSummary, run_cell, run_sweep
from .spec import Cell, Spec, load_spec, parse_spec
from .store import Store

__all__ = ["Cell", "Spec", "Store", "SweepSummary", "load_spec", "parse_spec", "run_cell", "run_sweep"]
