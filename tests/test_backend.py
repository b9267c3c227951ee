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


def test_positive_int_is_the_one_integer_validator():
    """``theorylab.errors.positive_int`` (used by problems, noise, optimizers, SDE integration and
    the compressor kit): Python and numpy integers >= 1 pass; bools, floats, strings, 0 and
    negatives are clear errors naming the parameter."""
    import numpy as np
    import pytest

    from theorylab.errors import InvalidParameterError, positive_int

    assert positive_int("k", 3) == 3 and positive_int("k", np.int32(7)) == 7
    for bad in (True, 2.0, "3", 0, -1, None):
        with pytest.raises(InvalidParameterError, match=r"^steps must be a positive integer, got"):
            positive_int("steps", bad)
