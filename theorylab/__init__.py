"""theorylab: check the theory of communication-compressed distributed learning by computer.

The house, floor by floor (a room imports only rooms below it, or before it on its floor;
``tests/test_layers.py`` checks every import, function-level ones included):

- floor 0: ``theorylab`` (``__version__``), :mod:`theorylab.errors` (the exceptions),
  :mod:`theorylab.verdicts` (``Status``, the band decision, ``format_rate``);
- floor 1: :mod:`theorylab.backend` (numpy/cupy handle, generators), ``theorylab._numba`` (kernels);
- floor 2: :mod:`theorylab.compressors` (the catalogue, one uniform interface),
  :mod:`theorylab.symbolic` (sympy SDEs, bounds, scaling rules, compressor-class algebra);
- floor 3: :mod:`theorylab.simulate` (eleven algorithms, Monte Carlo and the exact moment engine,
  estimates and verdicts, and :class:`~theorylab.simulate.Experiment`, one run described
  completely), :mod:`theorylab.testing` (property tests for any compressor);
- floor 4: :mod:`theorylab.claims` (claims as checks with verdicts; installed checks from the
  entry-point group ``theorylab.checks``);
- floor 5: :mod:`theorylab.sweep` (grids of Experiments on dask.distributed);
- floor 6: :mod:`theorylab.cli` (the ``theorylab`` command, a thin shell).

``proofs_checks`` (a sibling package) turns every claim of the source papers into a check and
registers it through the ``theorylab.checks`` entry point; the library never imports it.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("theorylab")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
