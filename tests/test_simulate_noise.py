"""Noise laws: scale sigma/sqrt(B), Student-t variance nu/(nu-2), per-agent sigma_i, domain errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from theorylab.errors import InvalidParameterError, SpecError
from theorylab.simulate import gaussian, noise_from_spec, student_t


@pytest.mark.parametrize("noise, var", [(gaussian(2.0, 4), 1.0), (student_t(5, 2.0, 4), 5 / 3)])
def test_variance_matches_the_model(noise, var) -> None:
    """Sample variance of 2e5 draws within a 1e-4-level chi-square-type interval of sigma^2 nu/((nu-2) B)."""
    z = noise.sample((200000, 1, 1), np.random.default_rng(0), np)
    assert noise.variance_factor() == pytest.approx(var)
    s2 = z.var()
    target = (2.0**2 / 4) * var
    # var of the sample variance: (m4 - s^4)/n; Student-t(5) kurtosis 9 -> m4 = 9 sigma^4; Gaussian 3
    kurt = 3.0 if noise.gaussian else 9.0
    se = target * math.sqrt((kurt - 1) / z.size)
    assert abs(s2 - target) < stats.norm.ppf(1 - 5e-5) * se


def test_per_agent_sigmas_and_cauchy() -> None:
    n = gaussian([1.0, 2.0, 4.0], 1)
    z = n.sample((50000, 3, 2), np.random.default_rng(1), np)
    np.testing.assert_allclose(z.std(axis=(0, 2)), [1, 2, 4], rtol=0.02)
    c = noise_from_spec("cauchy", 1.0)
    assert c.nu == 1 and math.isinf(c.variance_factor())
    # Cauchy quartiles are -1, 1
    q = np.quantile(c.sample((100000, 1, 1), np.random.default_rng(2), np), [0.25, 0.75])
    np.testing.assert_allclose(q, [-1, 1], atol=0.03)


def test_noise_errors() -> None:
    with pytest.raises(InvalidParameterError, match="nu"):
        student_t(0)
    with pytest.raises(InvalidParameterError, match="nu"):
        noise_from_spec("student-t:nu=-2")
    with pytest.raises(SpecError):
        noise_from_spec("laplace")
    with pytest.raises(InvalidParameterError, match="batch"):
        gaussian(1.0, 0)
    with pytest.raises(InvalidParameterError, match="per-agent"):
        gaussian([1.0, 2.0]).scales(3)
