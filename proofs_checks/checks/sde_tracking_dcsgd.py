"""Theorem 1: the DCSGD SDE tracks DCSGD with Rand-k (see :mod:`.sde_tracking` for the method)."""

from __future__ import annotations

from theorylab.simulate import dcsgd, gaussian, quadratic
from theorylab.symbolic.sde import dcsgd_sde

from ..check import check
from ..verdict import Verdict
from ..checks.sde_tracking import D, N_AGENTS, SRC, _compare, _verdict


@check(
    id="poster.theorem1-sde-tracks-dcsgd",
    source=SRC,
    statement="The DCSGD SDE (Theorem 1, Rand-k Σ̃ derived) tracks DCSGD with Rand-5: E f(x_k) and E f(X_kη) agree "
    "(window averages over 20 time windows)",
    expression="|mean_W E f(x_k) - mean_W E f(X_{k eta})| <= tol * max(mean_W E f(x_k), level) for each window W",
    method="monte-carlo",
    cost=(8.0, 60.0),
)
def sde_tracks_dcsgd(mode: str = "quick", *, tol: float = 0.1, omega_scale: float = 1.0, seed: int = 0,
                     false_alarm: float = 1e-3) -> Verdict:
    """``omega_scale`` multiplies ω in the SDE (a wrong diffusion, e.g. ω → 3ω, must be refuted)."""
    from theorylab.simulate.sde import integrate

    quick = mode == "quick"
    eta = 0.01 if quick else 0.005
    steps = int(4.0 / eta)
    # Power: at the plateau one replica's f has relative sd ≈ √(2/d) ≈ 0.32, so a window's
    # two-sample standard error is ≈ 0.32·√2·level/√reps and the Bonferroni half-width (z ≈ 4.05)
    # must sit well inside the ±10% band. 500 replicas gave a half-width ≈ 73% of the band and an
    # inconclusive verdict on about half the seeds; 2000 give ≈ 37%, so a true gap ≲ 6% decides.
    reps = 2000
    k = 5
    w = D / k - 1
    prob = quadratic(D, N_AGENTS, 1.0, 1.0, x0=1.0)
    opt = dcsgd(prob, gaussian(1.0, 1), f"randk:k={k}", eta=eta, steps=steps, replicas=reps, seed=seed,
                points=60, blocks=20)
    num = dcsgd_sde().lambdify(eta=eta, N=N_AGENTS, sigma=1.0, B=1, omega=w * omega_scale, d=D)
    sde = integrate(num, prob, eta=eta, steps=steps, paths=reps, substeps=2, seed=seed + 1, points=60, blocks=20)
    level = eta * D * (1 + w) / (4 * N_AGENTS)
    res = _compare(opt, sde, tol, level, false_alarm)
    setting = (f"isotropic quadratic d={D}, N={N_AGENTS}, σ=1, Rand-{k} (ω={w:g}), x0=1, η={eta}, {steps} steps, "
               f"{reps} replicas and paths, Euler with 2 substeps, seed {seed}")
    return _verdict(f"E f(x_k) = E f(X_kη) within ±{tol:.0%} (SDE ω × {omega_scale:g})", res, setting, false_alarm, {})
