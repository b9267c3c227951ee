"""Shared by the tests that must pass on both Rand-k paths: the fused numba kernels and numpy."""

from __future__ import annotations

import pytest

from theorylab import _numba


@pytest.fixture(params=["numba", "numpy"])
def kernels(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once with the numba kernels (skipped where numba is absent) and once with
    ``THEORYLAB_NUMBA=0`` (the pure-numpy path)."""
    if request.param == "numba" and not _numba.available():
        pytest.skip("numba not installed (theorylab[fast])")
    monkeypatch.setenv(_numba.ENV_VAR, "1" if request.param == "numba" else "0")
    return request.param
