import numpy as np
import pytest

from theorylab.backend import array_namespace, cupy_available, default_rng, get_xp, to_numpy
from theorylab.errors import BackendUnavailableError, InvalidParameterError


def test_numpy_default():
    assert get_xp() is np
    assert get_xp("numpy") is np
    assert get_xp(np) is np


def test_auto_falls_back_to_numpy_without_gpu():
    if cupy_available():
        pytest.skip("a GPU is present")
    assert get_xp("auto") is np


def test_cupy_without_gpu_is_a_clear_error():
    if cupy_available():
        pytest.skip("a GPU is present")
    with pytest.raises(BackendUnavailableError, match="cupy"):
        get_xp("cupy")


def test_unknown_backend():
    with pytest.raises(InvalidParameterError, match="one of"):
        get_xp("torch")


def test_rng_is_reproducible(xp):
    a = to_numpy(default_rng(7, xp).standard_normal(5))
    b = to_numpy(default_rng(7, xp).standard_normal(5))
    np.testing.assert_array_equal(a, b)
    g = default_rng(1, xp)
    assert default_rng(g, xp) is g


def test_array_namespace(xp):
    assert array_namespace(xp.zeros(2)) is xp
