"""theorylab: check the theory of communication-compressed distributed learning by computer.

Layers (each importable on its own):

- :mod:`theorylab.compressors`: the compressor catalogue with one uniform interface.
- :mod:`theorylab.testing`: property tests for any compressor (unbiasedness, omega, delta).
- :mod:`theorylab.symbolic`: sympy SDEs, bounds, scaling rules, compressor-class algebra.
- :mod:`theorylab.simulate`: Monte Carlo of the optimizers and their SDEs, with verdicts.
- :mod:`theorylab.backend`: the numpy/cupy array-module handle.

``proofs_checks`` (a sibling package) turns every claim of the source papers into a check.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("theorylab")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
