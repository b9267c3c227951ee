"""CLI: ``theorylab sweep run|status|verify|table|plot`` — grids of ``simulate`` calls on dask.distributed."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import InvalidParameterError, TheorylabError, positive_int


def _need_extra() -> None:
    missing = []
    for mod in ("distributed", "pyarrow"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        raise TheorylabError(f"theorylab sweep needs {', '.join(missing)}: pip install 'theorylab[sweep]'")


def _where(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise InvalidParameterError(f"--where expects NAME=VALUE (e.g. agents=4), got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _workers(text: str) -> int:
    try:
        return positive_int("--workers", int(text))
    except (ValueError, InvalidParameterError):
        raise argparse.ArgumentTypeError(f"--workers must be a positive integer, got {text!r}") from None


def _counts(st: dict) -> str:
    text = f"{st['done']} done, {st.get('diverged', 0)} diverged, {st['failed']} failed, {st['pending']} pending"
    if st.get("problems"):
        text += f", {len(st['problems'])} row files excluded"
    return text


def _expansion_progress(enabled: bool):
    """A callback ``(index, total)`` printing the spec's expansion progress on stderr (large grids)."""
    if not enabled:
        return None
    state = {"next": 0.0}

    def tick(i: int, total: int) -> None:
        if total < 2000:
            return
        import time

        now = time.monotonic()
        if i == total or now >= state["next"]:
            state["next"] = now + 0.5
            print(f"\rexpanding the spec: {i:,} of {total:,} cells checked", end="\n" if i == total else "",
                  file=sys.stderr, flush=True)
    return tick


def _cmd_run(args: argparse.Namespace) -> int:
    _need_extra()
    from ..sweep import Store, load_spec, run_sweep

    from pathlib import Path

    store_parent = Path(args.store).expanduser().parent
    if not Path(args.store).expanduser().exists() and not store_parent.is_dir():
        # one rule for output paths (as simulate --plot and check --out): a missing parent is not created
        raise InvalidParameterError(f"--store {args.store!r}: parent directory {str(store_parent)!r} does not exist "
                                    "(create it first)")
    if args.retry_failed and not args.resume:
        raise InvalidParameterError("--retry-failed applies with --resume (it reruns the failed cells of an existing "
                                    "store); add --resume, or drop --retry-failed")
    show = sys.stderr.isatty() if args.progress is None else args.progress
    spec = load_spec(args.spec, progress=_expansion_progress(show))  # every cell validated before anything starts
    from ..sweep.report import familywise_note

    if spec.engine == "auto":
        exact = [c for c in spec.cells if c.params.get("engine") == "exact"]
        if exact:
            print(f"theorylab: {len(exact)} of {len(spec.cells)} cells run on the exact engine (engine = \"auto\"): "
                  "exact values, no sampling; their Monte Carlo options (replicas, confidence, burn_in...) are not "
                  "used; put engine = \"montecarlo\" at the top of the spec to sample every cell", file=sys.stderr)
    note = familywise_note([c.params for c in spec.cells])
    if note:
        print(f"theorylab: {note}", file=sys.stderr)
    try:
        summary = run_sweep(spec, args.store, scheduler=args.scheduler, workers=args.workers, resume=args.resume,
                            retry_failed=args.retry_failed, retries=args.retries, progress=args.progress,
                            timeout=args.timeout)
    except KeyboardInterrupt:
        try:
            st = Store(args.store).status()
            where = f"{_counts(st)} of {st['total']}"
        except Exception:  # noqa: BLE001 - the store may not exist yet
            where = "nothing stored"
        print(f"theorylab: sweep interrupted ({where}); finished cells are in {args.store}; continue with --resume",
              file=sys.stderr)
        return 130
    print(f"sweep {args.spec}: {summary.text()}; store {args.store}", file=sys.stderr)
    if not summary.complete:
        st = summary.store or {}
        print(f"theorylab: the sweep is incomplete: {st.get('failed', 0)} failed and {st.get('pending', 0)} pending "
              f"of {st.get('total', 0)} cells; rerun with --resume (and --retry-failed for the failed ones)",
              file=sys.stderr)
        return 1
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    _need_extra()
    from ..sweep import Store

    st = Store(args.store).status()
    if args.format == "json":
        print(json.dumps(st, indent=1))
        return 0
    print(f"{args.store}: {st['total']} cells: {_counts(st)}")
    for f in st["failures"][: args.show]:
        params = ", ".join(f"{k}={v}" for k, v in f["params"].items() if k != "engine")
        print(f"  failed cell {f['index']} ({params}): {f['error']}")
    if len(st["failures"]) > args.show:
        print(f"  ... and {len(st['failures']) - args.show} more failed cells (--show N)")
    if st["problems"]:
        print(f"  warning: {len(st['problems'])} row files excluded (unreadable, altered, copied, foreign); their "
              "cells count as pending and --resume reruns them; `theorylab sweep verify` lists them")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    _need_extra()
    from ..sweep import Store

    store = Store(args.store)
    st = store.status()
    if args.format == "json":
        print(json.dumps({"ok": not st["problems"], "problems": st["problems"], "total": st["total"],
                          "done": st["done"], "diverged": st["diverged"], "failed": st["failed"],
                          "pending": st["pending"]}, indent=1))
    else:
        for p in st["problems"]:
            print(f"{store.cells_dir / p['file']}: {p['problem']}")
        held = store.holder()
        if held is not None:
            print(f"note: the store is locked by pid {held.get('pid')} on {held.get('host')} (since {held.get('started')})")
        verdict = "ok" if not st["problems"] else f"{len(st['problems'])} problems"
        print(f"{args.store}: {verdict}; {st['total']} cells: {_counts(st)}")
    return 1 if st["problems"] else 0


def _warn_excluded(store) -> None:
    if store.problems:
        print(f"theorylab: warning: {len(store.problems)} row files of {store.path} were excluded (unreadable, "
              "altered, copied or foreign); `theorylab sweep verify` lists them", file=sys.stderr)


def _cmd_table(args: argparse.Namespace) -> int:
    _need_extra()
    from ..sweep import Store
    from ..sweep.report import default_columns, format_table, resolve_column, rows

    store = Store(args.store)
    store.manifest()
    table_rows = rows(store, _where(args.where))
    _warn_excluded(store)
    if not table_rows:
        raise InvalidParameterError(f"no stored cells in {args.store!r} to show (see `theorylab sweep status`)")
    names = list(table_rows[0])
    if args.columns:
        cols = [resolve_column(names, c) for c in args.columns.split(",") if c.strip()]
    elif args.all:
        cols = [n for n in names if n != "result"]
    else:
        cols = [c for c in default_columns(store, table_rows) if c in names]
    text = format_table(table_rows, cols, args.format)
    from ..sweep.report import familywise_note

    note = familywise_note([c.get("params", {}) for c in store.manifest().get("cells", [])])
    if note:
        print(f"theorylab: {note}", file=sys.stderr)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
        print(f"wrote {len(table_rows)} rows to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    _need_extra()
    from ..sweep import Store
    from ..sweep.report import plot_store
    from ._io import figure_file

    if args.out is not None:
        figure_file(args.out, "--out")  # the one rule for output paths: the parent must exist and be writable
    store = Store(args.store)
    path = plot_store(store, x=args.x, y=args.y, value=args.value, out=args.out,
                      where=_where(args.where), logx=args.logx, title=args.title, logy=args.logy)
    _warn_excluded(store)
    print(f"figure: {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``sweep`` (run, status, verify, table, plot) to the theorylab parser."""
    p = sub.add_parser("sweep", help="run grids of simulate calls on dask.distributed; inspect, tabulate, plot",
                       description="Sweeps of `theorylab simulate` over a TOML spec ([fixed], [grid], [zip]), one "
                       "dask task per cell, results in a Parquet store. See docs/sweeps.md.")
    ss = p.add_subparsers(dest="sweep_command", metavar="SUBCOMMAND", required=True)

    r = ss.add_parser("run", help="run (or resume) a sweep", description="Run every cell of SPEC.toml; without "
                      "--scheduler on a LocalCluster (one single-threaded worker process per core).")
    r.add_argument("spec", metavar="SPEC.toml")
    r.add_argument("--store", required=True, metavar="DIR", help="store directory (created when its parent exists; holds spec and results)")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing dask scheduler, e.g. tcp://HOST:8786 (default: a LocalCluster)")
    r.add_argument("--workers", type=_workers, default=None, help="LocalCluster worker processes (default: cores)")
    r.add_argument("--resume", action="store_true", help="continue a sweep in DIR; stored cells are not rerun")
    r.add_argument("--retry-failed", action="store_true", help="with --resume, rerun the cells stored as failed")
    r.add_argument("--retries", type=int, default=2,
                   help="times dask reruns a cell whose task or worker was lost (default 2)")
    r.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="seconds a cell may run before it is stored as failed: timeout (default: the spec's "
                   "`timeout`, else 3600)")
    r.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    r.set_defaults(func=_cmd_run)

    s = ss.add_parser("status", help="done, failed and pending cells of a store")
    s.add_argument("store", metavar="DIR")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument("--show", type=int, default=10, help="failed cells to list (default 10)")
    s.set_defaults(func=_cmd_status)

    v = ss.add_parser("verify", help="check every row file of a store; list what is wrong (exit 1 if anything)",
                      description="Checks each file in DIR/cells: readable, one row, the row schema, its checksum, "
                      "this sweep's id, a cell of this sweep under its own name; and lists files that are not rows.")
    v.add_argument("store", metavar="DIR")
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.set_defaults(func=_cmd_verify)

    t = ss.add_parser("table", help="the stored results as Markdown, CSV or JSON")
    t.add_argument("store", metavar="DIR")
    t.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown")
    t.add_argument("--out", default=None, metavar="FILE", help="write to FILE instead of stdout")
    t.add_argument("--columns", default=None, help="comma-separated columns (default: varying parameters + results)")
    t.add_argument("--all", action="store_true", help="every column (except the raw JSON result)")
    t.add_argument("--where", nargs="+", action="extend", default=[], metavar="NAME=VALUE", help="keep matching rows")
    t.set_defaults(func=_cmd_table)

    pl = ss.add_parser("plot", help="heatmap (--x and --y) or lines (--x) of a column, annotated with verdicts")
    pl.add_argument("store", metavar="DIR")
    pl.add_argument("--x", required=True, help="parameter on the x axis (e.g. eta)")
    pl.add_argument("--y", default=None, help="parameter on the y axis (heatmap)")
    pl.add_argument("--value", default="ratio", help="column to show: ratio (level/bound, default), level, ...")
    pl.add_argument("--out", default=None, metavar="FILE", help="figure file (default DIR/<value>-<x>[-<y>].png)")
    pl.add_argument("--where", nargs="+", action="extend", default=[], metavar="NAME=VALUE", help="keep matching rows")
    pl.add_argument("--logx", action=argparse.BooleanOptionalAction, default=None, help="log x axis (default: auto)")
    pl.add_argument("--logy", action="store_true", help="log y axis (line plots)")
    pl.add_argument("--title", default=None)
    pl.set_defaults(func=_cmd_plot)
