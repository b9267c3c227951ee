"""matplotlib figures (Agg backend): optimizer and SDE loss curves with bands, bound overlaid, log scale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_simulation", "plot_curves"]


def _agg() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_curves(curves: list[tuple[str, Any]], bounds: list[tuple[str, np.ndarray, np.ndarray]] | None = None,
                path: str | Path | None = None, title: str = "", logy: bool = True) -> Any:
    """Plot ``(label, Curve)`` pairs with their confidence bands and ``(label, times, values)`` bounds.

    Returns the figure; saves it to ``path`` when given.
    """
    plt = _agg()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, c in curves:
        t = c.times
        (line,) = ax.plot(t, c.mean, label=f"{label} (mean)")
        lo = np.maximum(c.lower, np.nanmin(c.mean[c.mean > 0]) * 1e-3) if logy and np.any(c.mean > 0) else c.lower
        ax.fill_between(t, lo, c.upper, color=line.get_color(), alpha=0.25,
                        label=f"{label} {100 * c.confidence:g}% band")
    for label, t, v in bounds or []:
        ax.plot(t, v, "k--", lw=1.2, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("time t = k·η")
    ax.set_ylabel("E[f(x) − f*]")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def plot_simulation(sim: Any, path: str | Path | None = None, logy: bool = True) -> Any:
    """The figure of a :class:`~theorylab.simulate.experiment.Simulation`."""
    p = sim.run.params
    curves = [(p["method"], sim.curve)]
    if sim.sde_curve is not None:
        curves.append((f"SDE ({sim.sde_run.params['scheme']})", sim.sde_curve))
    bounds = []
    if sim.bound is not None:
        bounds.append((sim.bound.bound.title, sim.curve.times, sim.bound_curve()))
    title = (f"{p['method']}: {p['spec']}, d={p['d']}, N={p['agents']}, {p['noise']} σ={p['sigma']}, "
             f"B={p['batch']}, η={p['eta']:g}")
    fig = plot_curves(curves, bounds, path, title, logy)
    return fig
