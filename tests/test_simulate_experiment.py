"""simulate(): the end-to-end experiment, including a bound whose assumption fails (Delta <= 0)."""

from __future__ import annotations

import numpy as np

from theorylab.compressors import RandK
from theorylab.simulate import HOLDS, gaussian, problem_from_spec, simulate, student_t


def test_bound_with_delta_nonpositive_is_reported_and_the_run_still_happens() -> None:
    p = problem_from_spec("quadratic:mu=0.1,L=1", 20, 1)
    # Delta = 1 - eta L^2 omega/(2 mu N) = 1 - 0.1 * 3/0.2 < 0
    sim = simulate("dcsgd", p, gaussian(1.0), eta=0.1, steps=200, replicas=20, compressor=RandK(5), bound=True)
    assert sim.bound is None and "Delta > 0" in sim.bound_error
    assert np.isfinite(sim.level.value) and "bound_error" in sim.to_json()
    assert "does not apply" not in sim.text() and "not applicable" in sim.text()


def test_dsignsgd_experiment_with_sde_bound_and_plot(tmp_path) -> None:
    from theorylab.simulate.plot import plot_simulation

    p = problem_from_spec("quadratic:mu=1,L=1,x0=2", 10, 2)
    sim = simulate("dsignsgd", p, student_t(3.0), eta=0.01, steps=3000, replicas=100, sde=True, bound=True, ell="B",
                   seed=4)
    assert sim.sde_level is not None and sim.bound.bound.ell_choice == "B"
    # candidate B with R = |grad f(x0)|/sigma = 2 gives ell = 2 Xi_3(2)/2 ~ 0.43 < 2 M_3 ~ 0.74: a bound 1.7x above the level
    assert sim.verdict.status == HOLDS
    js = sim.to_json()
    assert js["bound"]["values"]["R"] > 0 and js["sde"]["parameters"]["scheme"] == "euler"
    out = tmp_path / "fig.png"
    plot_simulation(sim, out)
    assert out.stat().st_size > 1000


def test_unsettled_run_is_flagged_and_never_gives_a_verdict() -> None:
    """600 steps of eta = 0.01 from x0 = 2 do not reach the plateau: the estimate says so and the
    verdict is inconclusive even though the (transient) mean is far above the bound."""
    p = problem_from_spec("quadratic:mu=1,L=1,x0=2", 10, 2)
    sim = simulate("dsignsgd", p, student_t(3.0), eta=0.01, steps=600, replicas=100, bound=True, ell="B", seed=4)
    assert not sim.level.stationary and "run longer" in " ".join(sim.level.warnings)
    assert sim.verdict.status == "inconclusive"
