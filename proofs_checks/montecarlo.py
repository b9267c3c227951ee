"""Monte Carlo decisions: re-exported from :mod:`theorylab.claims.montecarlo`."""

from theorylab.claims.montecarlo import curve_vs_bound, lambdify_bound_curve, level_vs_bound

__all__ = ["curve_vs_bound", "level_vs_bound", "lambdify_bound_curve"]
