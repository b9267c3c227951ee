"""Monte Carlo of DSGD, DCSGD, DSignSGD and their SDEs, with estimates, intervals and verdicts.

- :mod:`.problems`: quadratics with a prescribed spectrum and per-agent optima; a non-convex PL problem.
- :mod:`.noise`: Gaussian and Student-t gradient noise (scale σ, batch B, per-agent σ_i).
- :mod:`.optimizers`: the batched optimizers (state ``(replicas, agents, d)``), Rand-k fast path.
- :mod:`.algorithms`: the field's algorithms, one file each (EF14, EF21, DIANA, MARINA, FedAvg,
  SCAFFOLD, FedAvg-M, gossip SGD, ...), their protocol and registry; :func:`run_optimizer` runs any.
- :mod:`.record`: bounded-memory trajectories (subsampled curves, block sums, divergence).
- :mod:`.estimate`: mean curves and stationary levels with confidence intervals.
- :mod:`.sde`: Euler–Maruyama and Richardson integration of the symbolic SDEs.
- :mod:`.models`: which symbolic SDE and bound describe a simulation, with which values.
- :mod:`.verdict`: holds / refuted / inconclusive against a bound, pointwise or along a trajectory.
- :mod:`.experiment`: :func:`simulate`, one experiment end to end (text and JSON output).
- :mod:`.plot`: matplotlib figures (imported on demand).
"""

from .estimate import Curve, Estimate, mean_curve, mser_truncation, stationary_level, t_interval
from .noise import NOISES, Noise, gaussian, noise_from_spec, student_t
from .optimizers import METHODS, OptimizerRun, dcsgd, dsgd, dsignsgd, resolve_compressors
from .problems import (PROBLEMS, CustomQuadratic, Logistic, Problem, Quadratic, SinPL, custom_quadratic,
                       logistic_regression, problem_from_spec, quadratic, read_libsvm, sin_pl, sin_pl_mu)
from .algorithms import (ALGORITHMS, TOPOLOGIES, Algorithm, Context, algorithm_names, mixing_matrix, mixing_rate,
                         register_algorithm, run_algorithm, run_optimizer, topology, validate_mixing)
from .record import Divergence, Recorder, Trajectory, record_steps
from .sde import SCHEMES, SDERun, euler_step, integrate, richardson_combine
from .models import BoundSetting, bound_for, compressor_omegas, sde_for, sde_name_for
from .verdict import HOLDS, INCONCLUSIVE, VIOLATED, BoundVerdict, TrajectoryVerdict, bound_verdict, trajectory_verdict
from .experiment import Experiment, ExperimentInputs, Simulation, field_table, simulate

__all__ = [
    "Curve", "Estimate", "mean_curve", "mser_truncation", "stationary_level", "t_interval",
    "NOISES", "Noise", "gaussian", "noise_from_spec", "student_t",
    "METHODS", "OptimizerRun", "dcsgd", "dsgd", "dsignsgd", "resolve_compressors", "run_optimizer",
    "PROBLEMS", "Problem", "Quadratic", "SinPL", "problem_from_spec", "quadratic", "sin_pl", "sin_pl_mu",
    "CustomQuadratic", "Logistic", "custom_quadratic", "logistic_regression", "read_libsvm",
    "ALGORITHMS", "TOPOLOGIES", "Algorithm", "Context", "algorithm_names", "mixing_matrix", "mixing_rate",
    "register_algorithm", "run_algorithm", "topology", "validate_mixing",
    "Divergence", "Recorder", "Trajectory", "record_steps",
    "SCHEMES", "SDERun", "euler_step", "integrate", "richardson_combine",
    "BoundSetting", "bound_for", "compressor_omegas", "sde_for", "sde_name_for",
    "HOLDS", "INCONCLUSIVE", "VIOLATED", "BoundVerdict", "TrajectoryVerdict", "bound_verdict", "trajectory_verdict",
    "Simulation", "simulate", "Experiment", "ExperimentInputs", "field_table",
]
