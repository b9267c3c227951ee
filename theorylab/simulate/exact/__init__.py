"""Exact first and second moments of the linear cases: no sampling, no statistical error.

- :mod:`.moments`: compressors ``C(x) = D x`` (random diagonal ``D``) and their moment maps.
- :mod:`.model`: the quadratic setting (per-agent Hessians, optima, noise covariances).
- :mod:`.discrete`: DSGD and DCSGD: the affine moment recursion, its level and spectral radius.
- :mod:`.sde`: the SDEs of Theorem 1 through their moment ODEs.
- :mod:`.run`: :func:`exact_run`, the engine's entry point (a peer of ``run_optimizer``).
"""

from .discrete import MASKS, DiscreteMoments, exact_dcsgd, symbolic_level
from .model import LinearQuadratic, from_problem, linear_quadratic
from .moments import (MOMENT_MAPS, LinearMoments, NotLinearCompressorError, linear_moments,
                      register_moment_map)
from .result import ExactRun, as_sympy
from .run import EXACT_METHODS, SDE_METHODS, exact_estimate, exact_run, exact_sde_run, exact_simulate, mixing_matrix, weak_errors
from .sde import SDECoefficients, SDEMoments, exact_sde, sde_coefficients

__all__ = ["MASKS", "DiscreteMoments", "exact_dcsgd", "symbolic_level", "LinearQuadratic", "from_problem", "linear_quadratic",
           "MOMENT_MAPS", "LinearMoments", "NotLinearCompressorError", "linear_moments", "register_moment_map",
           "ExactRun", "as_sympy", "EXACT_METHODS", "exact_estimate", "exact_run", "exact_sde_run",
           "exact_simulate", "weak_errors", "SDE_METHODS", "mixing_matrix", "SDECoefficients", "SDEMoments", "exact_sde", "sde_coefficients"]
