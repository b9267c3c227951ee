"""Reading a sweep store back: tables (Markdown, CSV, JSON) and figures (heatmap or lines).

Figures are drawn with matplotlib's Agg canvas (``matplotlib.figure.Figure``, no pyplot
state). Each point or cell is annotated with its verdict: ``holds``, ``REFUTED`` or ``?``
(inconclusive), as computed by :func:`theorylab.simulate.bound_verdict` (a :class:`theorylab.claims.Status`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError
from .store import Store, param_column

__all__ = ["rows", "resolve_column", "default_columns", "format_table", "plot_store", "VERDICT_MARK", "familywise_note"]

FORMATS = ("markdown", "csv", "json")
RESULT_COLUMNS = ("level", "lower", "upper", "bound", "ratio", "verdict", "status")
VERDICT_MARK = {"holds": "holds", "refuted": "REFUTED", "inconclusive": "?"}
VERDICT_COLOR = {"holds": "tab:green", "refuted": "tab:red", "inconclusive": "tab:gray"}


def rows(store: Store, where: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Stored rows (cell order) as dicts, filtered by ``where`` (column -> value as text)."""
    table = store.read()
    if table is None:
        return []
    out = table.to_pylist()
    for col, want in (where or {}).items():
        name = resolve_column(table.column_names, col)
        out = [r for r in out if _matches(r[name], want)]
    return out


def _matches(value: Any, want: str) -> bool:
    if isinstance(value, bool):
        return str(value).lower() == want.lower()
    if isinstance(value, (int, float)):
        try:
            return math.isclose(float(value), float(want), rel_tol=1e-12)
        except ValueError:
            return False
    return str(value) == want


def resolve_column(names: Sequence[str], wanted: str) -> str:
    """The column called ``wanted`` (case-insensitive; ``burn-in`` = ``burn_in``; a parameter
    that clashes with a result column is ``<name>_option``)."""
    w = wanted.strip().lower().lstrip("-").replace("-", "_")
    by_lower = {n.lower(): n for n in names}
    for cand in (w, param_column(w)):
        if cand in by_lower:
            return by_lower[cand]
    raise InvalidParameterError(f"no column {wanted!r} in the store; columns: {', '.join(n for n in names if n != 'result')}")


def default_columns(store: Store, table_rows: list[dict[str, Any]]) -> list[str]:
    """Label (when any), the parameters that vary, then the results."""
    man = store.manifest()
    cols = ["index"]
    if any(r.get("label") for r in table_rows):
        cols.append("label")
    cols += [param_column(v) for v in man.get("varying", []) if param_column(v) not in cols]
    cols += list(RESULT_COLUMNS)
    if any(r.get("error") for r in table_rows):
        cols.append("error")
    return cols


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v).replace("|", "\\|")


def format_table(table_rows: list[dict[str, Any]], columns: Sequence[str], fmt: str = "markdown") -> str:
    """``table_rows`` restricted to ``columns`` as Markdown (4 significant digits), CSV or JSON (full precision)."""
    if fmt not in FORMATS:
        raise InvalidParameterError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    sel = [{c: r.get(c) for c in columns} for r in table_rows]
    if fmt == "json":
        return json.dumps(sel, indent=1, allow_nan=True) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
        w.writeheader()
        for r in sel:
            w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in r.items()})
        return buf.getvalue()
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(_cell_text(r[c]) for c in columns) + " |" for r in sel]
    return "\n".join(lines) + "\n"


def _axis_values(values: list[Any]) -> tuple[list[Any], bool]:
    """Distinct values in order (numeric ones sorted) and whether the axis is numeric."""
    distinct = list(dict.fromkeys(values))
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in distinct)
    return (sorted(distinct) if numeric else distinct), numeric


def _label(r: Mapping[str, Any], cols: Sequence[str]) -> str:
    return ", ".join(f"{c}={_cell_text(r[c])}" for c in cols)


def plot_store(store: Store, x: str, value: str = "ratio", y: str | None = None, out: str | Path | None = None,
               where: Mapping[str, str] | None = None, logx: bool | None = None, title: str | None = None,
               logy: bool = False) -> Path:
    """Heatmap of ``value`` over (``x``, ``y``), or lines of ``value`` against ``x`` (one per
    combination of the other varying parameters), each cell/point annotated with its verdict."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    all_rows = rows(store, where)
    done = [r for r in all_rows if r["status"] == "done"]
    if not done:
        raise InvalidParameterError(f"no finished cells in {str(store.path)!r}"
                                    + (f" matching {dict(where)}" if where else "") + " to plot")
    names = list(done[0].keys())
    xc, vc = resolve_column(names, x), resolve_column(names, value)
    yc = resolve_column(names, y) if y else None
    man = store.manifest()
    others = [c for c in dict.fromkeys(["label", *(param_column(v) for v in man.get("varying", []))])
              if c in names and c not in (xc, yc) and len({repr(r[c]) for r in done}) > 1
              and not _determined_by(done, c, [xc, yc] if yc else [xc])]
    out = Path(out) if out else store.path / (f"{vc}-{xc}" + (f"-{yc}" if yc else "") + ".png")
    fig = Figure(figsize=(6.4, 4.4) if yc else (6.4, 4.0), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if yc:
        _heatmap(fig, ax, done, xc, yc, vc, others)
    else:
        _lines(ax, done, xc, vc, others, logx, logy)
    ax.set_title(title or man.get("title") or f"{vc} ({len(done)} cells)", fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


def _determined_by(done: list[dict], col: str, by: list[str]) -> bool:
    """Whether ``col`` takes one value per value of the ``by`` columns (then it is not a separate axis)."""
    seen: dict[str, str] = {}
    for r in done:
        k = repr([r[b] for b in by])
        if seen.setdefault(k, repr(r[col])) != repr(r[col]):
            return False
    return True


def _heatmap(fig: Any, ax: Any, done: list[dict], xc: str, yc: str, vc: str, others: list[str]) -> None:
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    xs, _ = _axis_values([r[xc] for r in done])
    ys, _ = _axis_values([r[yc] for r in done])
    grid = np.full((len(ys), len(xs)), np.nan)
    marks = [["" for _ in xs] for _ in ys]
    seen: dict[tuple[int, int], dict] = {}
    for r in done:
        i, j = ys.index(r[yc]), xs.index(r[xc])
        if (i, j) in seen:
            raise InvalidParameterError(
                f"several cells at {xc}={r[xc]}, {yc}={r[yc]} (they differ in {', '.join(others) or 'nothing'}); "
                "pick one with --where NAME=VALUE")
        seen[(i, j)] = r
        v = r[vc]
        grid[i, j] = float(v) if isinstance(v, (int, float)) and v is not None else np.nan
        marks[i][j] = VERDICT_MARK.get(r.get("verdict") or "", "")
    finite = grid[np.isfinite(grid)]
    norm = None
    if vc == "ratio" and finite.size:  # symmetric about level = bound
        half = max(float(np.max(np.abs(finite - 1.0))), 1e-12)
        norm = TwoSlopeNorm(vmin=1.0 - half, vcenter=1.0, vmax=1.0 + half)
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="RdYlGn_r" if vc == "ratio" else "viridis", norm=norm)
    fig.colorbar(im, ax=ax, label=vc + (" (level / bound)" if vc == "ratio" else ""))
    for i in range(len(ys)):
        for j in range(len(xs)):
            if math.isfinite(grid[i, j]):
                r, g, b, _ = im.cmap(im.norm(grid[i, j]))
                ink = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.45 else "black"
                ax.text(j, i, f"{grid[i, j]:.4g}\n{marks[i][j]}", ha="center", va="center", fontsize=7, color=ink)
    ax.set_xticks(range(len(xs)), [_cell_text(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_cell_text(v) for v in ys])
    ax.set_xlabel(xc)
    ax.set_ylabel(yc)


def _lines(ax: Any, done: list[dict], xc: str, vc: str, others: list[str], logx: bool | None,
           logy: bool = False) -> None:
    xs, numeric = _axis_values([r[xc] for r in done])
    groups: dict[str, list[dict]] = {}
    for r in done:
        groups.setdefault(_label(r, others), []).append(r)
    pos = (lambda v: v) if numeric else (lambda v: xs.index(v))  # noqa: E731
    for name, grp in groups.items():
        grp = sorted(grp, key=lambda r: xs.index(r[xc]))
        px = [pos(r[xc]) for r in grp]
        py = [r[vc] if r[vc] is not None else math.nan for r in grp]
        (line,) = ax.plot(px, py, "-" if numeric else "o", ms=4, lw=1, label=name or vc)
        if vc in ("level", "ratio") and all(r.get("lower") is not None and r.get("upper") is not None
                                             and (vc == "level" or r.get("bound")) for r in grp):
            scale = [1.0 if vc == "level" else 1.0 / r["bound"] for r in grp]  # the bound is exact: ratio interval
            lo = [y - r["lower"] * f for y, r, f in zip(py, grp, scale)]
            hi = [r["upper"] * f - y for y, r, f in zip(py, grp, scale)]
            ax.errorbar(px, py, yerr=[lo, hi], fmt="none", ecolor=line.get_color(), capsize=3, lw=0.8)
        for r, a, b in zip(grp, px, py):
            verdict = r.get("verdict") or ""
            ax.scatter([a], [b], color=VERDICT_COLOR.get(verdict, line.get_color()), zorder=3, s=25)
            if verdict and len(groups) <= 3:
                ax.annotate(VERDICT_MARK.get(verdict, verdict), (a, b), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontsize=7)
        if vc == "level" and any(r.get("bound") is not None for r in grp):
            ax.plot(px, [r.get("bound") if r.get("bound") is not None else math.nan for r in grp],
                    "--" if numeric else "_", ms=18, mew=1.5, color="k" if not name else line.get_color(), lw=1,
                    alpha=0.7, label=f"bound{' (' + name + ')' if name else ''}")
    if vc == "ratio":
        ax.axhline(1.0, color="k", lw=0.8, ls="--", label="level = bound")
    present = dict.fromkeys(str(r["verdict"]) for r in done if r.get("verdict"))
    for verdict in present:
        ax.scatter([], [], color=VERDICT_COLOR.get(verdict, "k"), s=25,
                   label=f"{VERDICT_MARK.get(verdict, verdict)} = {verdict}")
    if logy:
        ax.set_yscale("log")
    if not numeric:
        ax.set_xticks(range(len(xs)), [_cell_text(v) for v in xs], rotation=30, ha="right", fontsize=8)
    elif logx or (logx is None and min(xs) > 0 and max(xs) / min(xs) >= 20):
        ax.set_xscale("log")
    ax.set_xlabel(xc)
    ax.set_ylabel(vc)
    ax.legend(fontsize=7)


def familywise_note(cells: Sequence[Mapping[str, Any]]) -> str:
    """What the table's verdicts are worth together. ``cells``: the cells' parameters (a spec's
    ``Cell.params`` or a store manifest's ``params``). Each Monte Carlo cell is judged on its own
    at its confidence ``c``; over ``n`` such cells the chance of at least one false verdict is at
    most ``Σ (1 − c_i)`` (Bonferroni), and about ``Σ (1 − c_i)/2`` false "refuted" are expected
    where every level equals its bound (one-sided tests). Exact cells have no sampling error."""
    mc = [c for c in cells if c.get("engine", "montecarlo") != "exact" and c.get("command", "simulate") == "simulate"]
    exact = sum(1 for c in cells if c.get("engine") == "exact")
    if not mc:
        return (f"{exact} cell(s) on the exact engine: verdicts without sampling, no false alarm"
                if exact else "")
    total = sum(1 - float(c.get("confidence", 0.95) or 0.95) for c in mc)
    confs = sorted({float(c.get("confidence", 0.95) or 0.95) for c in mc})
    each = f"{100 * confs[0]:.6g}%" if len(confs) == 1 else f"{100 * confs[0]:.6g}% to {100 * confs[-1]:.6g}%"
    note = (f"{len(mc)} Monte Carlo cell(s), each judged alone at {each}: family-wise false-alarm rate <= "
            f"{min(1.0, total):.3g} (Bonferroni)")
    if total >= 0.1:
        note += (f"; about {total / 2:.2g} false 'refuted' expected where levels equal their bounds "
                 "(set familywise = 0.05 in the spec to correct)")
    if exact:
        note += f"; {exact} cell(s) on the exact engine (no sampling)"
    return note
