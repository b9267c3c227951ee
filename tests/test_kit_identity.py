"""The kit flags a compressor that returns its input up to rounding (relative 1e-6) as one that
does not compress, and refuses a check it cannot hold in memory."""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.testing import check_compressor


def _kinds(f, **kw):
    return {x.kind for x in check_compressor(f, 8, search=False, n_draws=64, n_focus=0, **kw).findings}


def test_rounding_identity_does_not_compress() -> None:
    assert "identity" in _kinds(lambda x, rng=None: x * (1 + 1e-9), omega=0.5)
    assert "identity" in _kinds(lambda x, rng=None: x.copy(), omega=0.5)


def test_a_real_change_is_not_identity() -> None:
    """Planted contrast: a relative change of 1e-3 is more than rounding."""
    assert "identity" not in _kinds(lambda x, rng=None: x * (1 + 1e-3), omega=0.5)


def test_kit_budget() -> None:
    from theorylab.budget import BudgetError

    with pytest.raises(BudgetError, match="compressors check at d = 1000000000"):
        check_compressor(lambda x, rng=None: x, 10**9)
    assert np.isfinite(1.0)
