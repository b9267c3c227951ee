"""CLI: ``theorylab simulate METHOD ...`` — Monte Carlo of an optimizer, its SDE, bound and verdict.

A thin shell: the flags are the fields of :class:`theorylab.simulate.Experiment` (declared once,
with their help, in its field metadata); :func:`experiment` turns the parsed flags into an
``Experiment``, whose ``validate`` holds every rule and whose ``run`` runs it. Only the
presentation flags (``--format``, ``--plot``, ``--progress``) are this module's.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from typing import Any

from ..errors import InvalidParameterError
from ._io import figure_file

def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``simulate`` to the theorylab parser: one flag per field of :class:`~theorylab.simulate.Experiment`."""
    from ..simulate.experiment import METHOD_OPTIONS, Experiment, applies

    p = sub.add_parser(
        "simulate",
        help="simulate DSGD/DCSGD/DSignSGD (and their SDEs), estimate the stationary level, check a bound",
        description="Simulate an optimizer batched over replicas and agents; optionally integrate its SDE "
        "(--sde) and compare with Theorem 3/4 (--bound). Example: theorylab simulate dcsgd "
        "--problem quadratic:mu=1,L=1 --dim 20 --agents 4 --compressor randk:k=5 --eta 0.01 --steps 3000 "
        "--replicas 500 --bound. The field's algorithms: theorylab simulate scaffold --local-steps 5 --participation 2 "
        "--problem quadratic:mu=0.5,L=2,hetero=1; theorylab simulate gossip-sgd --topology torus --gossip atc; "
        "theorylab simulate diana --compressor randk:k=2 --alpha 0.2; your own: theorylab simulate my.py:MyAlg "
        "--problem my.py:my_problem. With --sigma 0 and no randomness the run is deterministic and reports exact "
        "values.",
    )
    g = p.add_argument_group("method options (each rejected where it does not apply)")
    for f in fields(Experiment):
        md = f.metadata
        if f.name == "method":
            p.add_argument("method", metavar="METHOD", help=md["help"])
            continue
        where = g if f.name in METHOD_OPTIONS else p
        text = md["help"] + ("" if md["applies"] == "every method" else f" [{applies(f.name)}]")
        if md["kind"] == "flag":
            where.add_argument(md["flag"], dest=f.name, action="store_true", default=None, help=text)
        else:  # read as text; the Experiment reads and checks the value (the same words as a sweep spec)
            metavar = md["metavar"] or ("{" + ",".join(md["choices"]) + "}" if md["choices"] else None)
            where.add_argument(md["flag"], dest=f.name, default=None, metavar=metavar, help=text)
    p.add_argument("--plot", default=None, metavar="FILE", help="save a figure (png/pdf/svg)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: when stderr is a terminal)")
    p.set_defaults(func=run)


def experiment(args: argparse.Namespace) -> Any:
    """The :class:`~theorylab.simulate.Experiment` of a parsed ``simulate`` namespace (flags not given
    keep the field's default)."""
    from ..simulate.experiment import Experiment

    return Experiment.from_dict({f.name: getattr(args, f.name, None) for f in fields(Experiment)})


def simulation(args: argparse.Namespace) -> Any:
    """The experiment of a parsed ``simulate`` namespace, run (what ``run`` prints): a Monte Carlo
    :class:`~theorylab.simulate.Simulation`, or with ``--engine exact`` its exact peer."""
    return experiment(args).run(progress=args.progress)


def run(args: argparse.Namespace) -> int:
    from ..simulate.experiment import jsonable
    from ..simulate.plot import plot_simulation

    exp = experiment(args)
    if args.plot is not None:
        if exp.engine == "exact":
            raise InvalidParameterError("--plot applies to the Monte Carlo engine only")
        figure_file(args.plot, "--plot")  # before the work, not after it
    sim = exp.run(progress=args.progress)
    exact = exp.engine == "exact"
    if sim.bound_error is not None:
        print(f"theorylab: warning: the bound does not apply: {sim.bound_error}"
              + ("" if exact else " (simulated anyway)"), file=sys.stderr)
    if sim.sde_error is not None:
        print(f"theorylab: warning: no {'exact SDE moments' if exact else 'SDE'} for this setting: {sim.sde_error}"
              + ("" if exact else " (simulated the optimizer only)"), file=sys.stderr)
    # the results first: a figure that fails to save must not swallow them
    if args.format == "json":
        print(json.dumps(sim.to_json(), indent=1, default=jsonable))
    else:
        print(sim.text())
    if args.plot is not None:
        sys.stdout.flush()
        try:
            plot_simulation(sim, args.plot)
        except OSError as exc:
            raise InvalidParameterError(f"--plot {args.plot!r}: the figure could not be saved "
                                        f"({exc.strerror or exc}); the results above are complete") from None
        if args.format == "text":
            print(f"  figure: {args.plot}")
    return 0
