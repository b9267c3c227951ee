"""Shared pytest configuration: GPU and slow markers."""

from __future__ import annotations

import pytest

from theorylab.backend import cupy_available


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run slow statistical tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_gpu = pytest.mark.skip(reason="needs cupy and a CUDA device")
    skip_slow = pytest.mark.skip(reason="slow; run with --runslow")
    has_gpu = cupy_available()
    runslow = config.getoption("--runslow")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip_gpu)
        if "slow" in item.keywords and not runslow:
            item.add_marker(skip_slow)


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def xp(request: pytest.FixtureRequest):
    """The array module, for tests that must pass on every backend."""
    from theorylab.backend import get_xp

    return get_xp(request.param)
