"""Parse the small textual specifications of problems and noises (``"quadratic:mu=1,L=1"``)."""

from __future__ import annotations

import math

from ..errors import SpecError

__all__ = ["parse_spec", "spec_float", "spec_int", "spec_bool"]


def parse_spec(spec: str, what: str) -> tuple[str, dict[str, str]]:
    """Split ``"name:key=value,key=value"`` into ``(name, {key: value})``.

    ``what`` names the kind of object in the error messages ("problem", "noise").
    """
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError(f"{what} spec must be a non-empty string like 'name:key=value,...', got {spec!r}")
    name, _, rest = spec.strip().partition(":")
    name = name.strip().lower()
    if not name:
        raise SpecError(f"{what} spec {spec!r} has no name before ':'")
    params: dict[str, str] = {}
    if rest.strip():
        for item in rest.split(","):
            key, eq, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if not eq or not key or not value:
                raise SpecError(f"{what} spec {spec!r}: cannot parse {item!r}; expected key=value")
            if key in params:
                raise SpecError(f"{what} spec {spec!r}: parameter {key!r} given twice")
            params[key] = value
    return name, params


def spec_float(params: dict[str, str], key: str, default: float | None, spec: str) -> float:
    """The float parameter ``key`` (``inf`` accepted); ``default`` when absent (None = required)."""
    if key not in params:
        if default is None:
            raise SpecError(f"spec {spec!r} needs parameter {key!r}")
        return default
    try:
        value = float(params.pop(key))
    except ValueError:
        raise SpecError(f"spec {spec!r}: {key} must be a number") from None
    if math.isnan(value):
        raise SpecError(f"spec {spec!r}: {key} is NaN")
    return value


def spec_int(params: dict[str, str], key: str, default: int | None, spec: str) -> int:
    """The integer parameter ``key``; ``default`` when absent (None = required)."""
    if key not in params:
        if default is None:
            raise SpecError(f"spec {spec!r} needs parameter {key!r}")
        return default
    raw = params.pop(key)
    try:
        value = float(raw)
    except ValueError:
        raise SpecError(f"spec {spec!r}: {key} must be an integer, got {raw!r}") from None
    if not value.is_integer():
        raise SpecError(f"spec {spec!r}: {key} must be an integer, got {raw!r}")
    if key == "seed" and value < 0:
        raise SpecError(f"spec {spec!r}: seed must be an integer >= 0, got {raw!r}")
    return int(value)


def spec_bool(params: dict[str, str], key: str, default: bool, spec: str) -> bool:
    """The boolean parameter ``key`` (1/0/true/false/yes/no)."""
    if key not in params:
        return default
    raw = params.pop(key).lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SpecError(f"spec {spec!r}: {key} must be a boolean (1/0/true/false), got {raw!r}")


def reject_unknown(params: dict[str, str], spec: str, allowed: tuple[str, ...]) -> None:
    """Raise when parameters are left over after parsing."""
    if params:
        raise SpecError(f"spec {spec!r}: unknown parameter(s) {sorted(params)}; allowed: {list(allowed)}")
