"""One array-module handle for numpy and cupy.

Every numeric routine of theorylab takes ``backend="auto" | "numpy" | "cupy"`` (or an
array already on a device) and works through the module returned by :func:`get_xp`, so
that the same code runs on the CPU and, with the ``theorylab[gpu]`` extra, on a GPU.
Every random draw goes through an explicit generator made by :func:`default_rng`.

- ``"numpy"`` (the default): numpy.
- ``"cupy"``: cupy; a clear :class:`~theorylab.errors.BackendUnavailableError` when cupy
  is not installed or no CUDA device is visible.
- ``"auto"``: cupy when it is installed and a device is visible, numpy otherwise.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any, Literal

import numpy as np

from .errors import BackendUnavailableError, InvalidParameterError

__all__ = [
    "Backend",
    "BACKENDS",
    "get_xp",
    "check_seed",
    "array_namespace",
    "default_rng",
    "to_numpy",
    "cupy_available",
    "backend_name",
]

Backend = Literal["auto", "numpy", "cupy"]
BACKENDS: tuple[str, ...] = ("auto", "numpy", "cupy")


@functools.cache
def _cupy_or_reason() -> tuple[ModuleType | None, str]:
    try:
        import cupy  # type: ignore[import-not-found]
    except Exception as exc:  # ImportError, or a broken CUDA install
        return None, f"cupy is not importable ({type(exc).__name__}: {exc}); install theorylab[gpu]"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return None, f"cupy is installed but CUDA is not usable ({type(exc).__name__}: {exc})"
    if n < 1:
        return None, "cupy is installed but no CUDA device is visible"
    return cupy, ""


def cupy_available() -> bool:
    """True when cupy is importable and at least one CUDA device is visible."""
    return _cupy_or_reason()[0] is not None


def get_xp(backend: str | ModuleType | None = "numpy") -> ModuleType:
    """Return the array module for ``backend`` (``"auto"``, ``"numpy"`` or ``"cupy"``).

    A module (numpy or cupy) is returned as it is. ``None`` means ``"numpy"``.
    """
    if backend is None:
        backend = "numpy"
    if isinstance(backend, ModuleType):
        if backend.__name__ not in ("numpy", "cupy"):
            raise InvalidParameterError(f"array module must be numpy or cupy, got {backend.__name__}")
        return backend
    if backend == "numpy":
        return np
    if backend == "cupy":
        cp, reason = _cupy_or_reason()
        if cp is None:
            raise BackendUnavailableError(f"backend='cupy' was asked for, but {reason}")
        return cp
    if backend == "auto":
        cp, _ = _cupy_or_reason()
        return cp if cp is not None else np
    raise InvalidParameterError(f"backend must be one of {BACKENDS}, got {backend!r}")


def backend_name(xp: ModuleType) -> str:
    """``"numpy"`` or ``"cupy"`` for an array module."""
    return "cupy" if xp.__name__.startswith("cupy") else "numpy"


def array_namespace(*arrays: Any) -> ModuleType:
    """The array module of the given arrays: cupy if any is a cupy array, else numpy."""
    for a in arrays:
        mod = type(a).__module__
        if mod.startswith("cupy"):
            return get_xp("cupy")
    return np


def check_seed(seed: Any, name: str = "seed") -> None:
    """Raise :class:`~theorylab.errors.InvalidParameterError` for a seed numpy would reject with a
    bare error: a negative integer (``SeedSequence`` takes no negative entropy), a bool, a float
    or a string. None, integers ``>= 0``, ``SeedSequence``s and generators pass."""
    import numbers

    from .errors import InvalidParameterError

    bad = isinstance(seed, (bool, float, complex, str, bytes)) or (isinstance(seed, numbers.Integral) and seed < 0)
    if bad:
        raise InvalidParameterError(
            f"{name} must be an integer >= 0 (or None, a SeedSequence or a Generator), got {seed!r}")


def default_rng(seed: Any = None, xp: ModuleType | str = "numpy") -> Any:
    """An explicit random generator for ``xp``.

    ``seed`` may be an int, ``None`` (fresh entropy), a ``numpy.random.SeedSequence`` or an
    existing generator of the right module, returned unchanged. For numpy this is
    ``numpy.random.default_rng``; for cupy ``cupy.random.default_rng``.
    """
    xp = get_xp(xp) if not isinstance(xp, ModuleType) else xp
    check_seed(seed)
    if xp is np:
        if isinstance(seed, np.random.Generator):
            return seed
        return np.random.default_rng(seed)
    # cupy
    if type(seed).__module__.startswith("cupy"):
        return seed
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(0, 2**63 - 1))
    if isinstance(seed, np.random.SeedSequence):
        seed = int(seed.generate_state(1, dtype=np.uint64)[0])
    return xp.random.default_rng(seed)


def to_numpy(x: Any) -> np.ndarray:
    """A numpy copy of ``x`` (moves cupy arrays to the host)."""
    if type(x).__module__.startswith("cupy"):
        return x.get()
    return np.asarray(x)
