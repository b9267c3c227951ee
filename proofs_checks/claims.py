"""Symbolic comparisons as verdicts: re-exported from :mod:`theorylab.claims.symbolic`."""

from typing import Any

from theorylab.claims.symbolic import (_nonneg, differing_point, equal, identity, inequality, namespace,
                                       nonnegative, parse, sample_point)

__all__ = ["sample_point", "equal", "nonnegative", "differing_point", "parse", "NAMESPACE", "identity",
           "inequality", "namespace", "_nonneg"]


def __getattr__(name: str) -> Any:
    if name == "NAMESPACE":
        return namespace()
    raise AttributeError(name)
