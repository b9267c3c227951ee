"""Exact first and second moments of the linear cases: no sampling, no statistical error.

- :mod:`.moments`: compressors ``C(x) = D x`` (random diagonal ``D``) and their moment maps.
- :mod:`.model`: the quadratic setting (per-agent Hessians, optima, noise covariances).
- :mod:`.discrete`: DSGD and DCSGD: the affine moment recursion, its level and spectral radius.
- :mod:`.sde`: the SDEs of Theorem 1 through their moment ODEs.
- :mod:`.linear`, :mod:`.algorithms`: per-coordinate linear systems; PSGD, DIANA, EF21, EF14, gossip,
  FedAvg, SCAFFOLD (diagonal Hessians).
- :mod:`.closed_forms`: independent closed forms of the isotropic case (for tests; unused by the engine).
- :mod:`.run`: :func:`exact_run` (a peer of ``run_optimizer``), :func:`exact_sde_run`,
  :func:`exact_simulate` (a peer of ``simulate``: same text and JSON), :func:`weak_errors`.

Every result is an :class:`ExactRun`: ``E f(x_k) − f*`` at the record steps, the stationary level
and the spectral radius of the moment map (divergence is ``ρ ≥ 1``).
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
