"""Checks at the public boundary: a value of the wrong type or outside its domain becomes a
one-line :class:`~theorylab.errors.InvalidParameterError` naming it, never a ``TypeError`` or
``ValueError`` from deep inside numpy or sympy."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .errors import InvalidParameterError

__all__ = ["float_array", "real_number", "optional_bool"]


def float_array(name: str, value: Any, *, finite: bool = True) -> np.ndarray:
    """``value`` as a float64 array; refuses strings, ``None``, ragged lists and (``finite``) NaN/inf."""
    if value is None or isinstance(value, (str, bytes)):
        raise InvalidParameterError(f"{name} must be an array of numbers, got {type(value).__name__} {value!r:.40}")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{name} must be an array of numbers ({' '.join(str(exc).split())[:80]})") from None
    if finite and not np.all(np.isfinite(a)):
        raise InvalidParameterError(f"{name} has non-finite entries (NaN or inf); expected finite numbers")
    return a


def real_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                open_low: bool = False, open_high: bool = False, finite: bool = True) -> float:
    """``value`` as a float in ``[low, high]`` (bounds open where asked); refuses bools and strings."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise InvalidParameterError(f"{name} must be a number, got {type(value).__name__} {value!r:.40}")
    v = float(value)
    if math.isnan(v) or (finite and math.isinf(v)):
        raise InvalidParameterError(f"{name} must be a finite number, got {v}")
    if low is not None and (v < low or (open_low and v == low)):
        raise InvalidParameterError(f"{name} must be {'>' if open_low else '>='} {low:g}, got {v:g}")
    if high is not None and (v > high or (open_high and v == high)):
        raise InvalidParameterError(f"{name} must be {'<' if open_high else '<='} {high:g}, got {v:g}")
    return v


def optional_bool(name: str, value: Any) -> bool | None:
    """``value`` when it is ``True``, ``False`` or ``None``; anything else (``"yes"``, ``1``) is refused."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    raise InvalidParameterError(f"{name} must be True, False or None, got {type(value).__name__} {value!r:.40}")
