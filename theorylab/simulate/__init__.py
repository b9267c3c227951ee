"""Monte Carlo of DSGD, DCSGD, DSignSGD and their SDEs, with estimates, intervals and verdicts.

- :mod:`.problems`: quadratics with a prescribed spectrum and per-agent optima; a non-convex PL problem.
- :mod:`.noise`: Gaussian and Student-t gradient noise (scale σ, batch B, per-agent σ_i).
- :mod:`.optimizers`: the batched optimizers (state ``(replicas, agents, d)``), Rand-k fast path.
- :mod:`.record`: bounded-memory trajectories (subsampled curves, block sums, divergence).
- :mod:`.estimate`: mean curves and stationary levels with confidence intervals.
"""

from .estimate import Curve, Estimate, mean_curve, mser_truncation, stationary_level, t_interval
from .noise import NOISES, Noise, gaussian, noise_from_spec, student_t
from .optimizers import METHODS, OptimizerRun, dcsgd, dsgd, dsignsgd, resolve_compressors, run_optimizer
from .problems import PROBLEMS, Problem, Quadratic, SinPL, problem_from_spec, quadratic, sin_pl, sin_pl_mu
from .record import Divergence, Recorder, Trajectory, record_steps

__all__ = [
    "Curve", "Estimate", "mean_curve", "mser_truncation", "stationary_level", "t_interval",
    "NOISES", "Noise", "gaussian", "noise_from_spec", "student_t",
    "METHODS", "OptimizerRun", "dcsgd", "dsgd", "dsignsgd", "resolve_compressors", "run_optimizer",
    "PROBLEMS", "Problem", "Quadratic", "SinPL", "problem_from_spec", "quadratic", "sin_pl", "sin_pl_mu",
    "Divergence", "Recorder", "Trajectory", "record_steps",
]
