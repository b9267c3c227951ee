"""Simulation: eleven algorithms run batched over replicas and agents, their SDEs, an exact
moment engine, estimates with intervals, verdicts against bounds, and the :class:`Experiment`
that describes one run completely (floor 3 of the house: imports compressors, symbolic,
backend and the verdict vocabulary, never claims, sweep or cli).

- :mod:`.experiment`: :class:`Experiment` (method and options, problem, noise, compressor(s),
  engine, sizes, seed, backend, what to estimate; ``validate``, ``run``, ``to_dict``/``from_dict``,
  ``key``), shared by the library, ``theorylab simulate`` and ``theorylab sweep``; and
  :func:`simulate`, the Monte Carlo experiment end to end (text and JSON output).
- :mod:`.problems`: quadratics with a prescribed spectrum and per-agent optima; a non-convex PL
  problem; logistic regression.
- :mod:`.noise`: Gaussian, Cauchy and Student-t gradient noise (scale σ, batch B, per-agent σ_i).
- :mod:`.optimizers`: DSGD, DCSGD, DSignSGD batched (state ``(replicas, agents, d)``), Rand-k fast path.
- :mod:`.algorithms`: the field's algorithms, one file each (EF14, EF21, DIANA, MARINA, FedAvg,
  SCAFFOLD, FedAvg-M, gossip SGD, ...), their protocol and registry; :func:`run_optimizer` runs any.
- :mod:`.exact`: exact first and second moments of the linear methods on quadratics
  (:func:`~theorylab.simulate.exact.exact_simulate`), zero-width values.
- :mod:`.record`: bounded-memory trajectories (subsampled curves, block sums, divergence).
- :mod:`.estimate`: mean curves and stationary levels with confidence intervals.
- :mod:`.sde`: Euler–Maruyama and Richardson integration of the symbolic SDEs.
- :mod:`.models`: which symbolic SDE and bound describe a simulation, with which values.
- :mod:`.verdict`: holds / refuted / inconclusive against a bound, pointwise or along a trajectory
  (the statuses and the band from :mod:`theorylab.verdicts`).
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
