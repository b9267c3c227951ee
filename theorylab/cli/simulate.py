"""CLI: ``theorylab simulate METHOD ...`` — Monte Carlo of an optimizer, its SDE, bound and verdict."""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..errors import InvalidParameterError

METHODS = ("dsgd", "dcsgd", "dsignsgd")


def _positive_int(what: str):
    def parse(text: str) -> int:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a positive integer, got {text!r}") from None
        if not value.is_integer() or value < 1:
            raise argparse.ArgumentTypeError(f"{what} must be a positive integer, got {text!r}")
        return int(value)
    return parse


def _positive_float(what: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{what} must be a finite number > 0, got {text!r}")
        return value
    return parse


def _sigmas(text: str) -> list[float]:
    try:
        vals = [float(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--sigma must be a number or a comma-separated list (one per agent), got {text!r}") from None
    if any(not (math.isfinite(v) and v >= 0) for v in vals):
        raise argparse.ArgumentTypeError(f"--sigma values must be finite and >= 0, got {text!r}")
    return vals


def _burn_in(text: str) -> int | float:
    v = float(text)
    return v if v < 1 else int(v)


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``simulate`` to the theorylab parser."""
    p = sub.add_parser(
        "simulate",
        help="simulate DSGD/DCSGD/DSignSGD (and their SDEs), estimate the stationary level, check a bound",
        description="Simulate an optimizer batched over replicas and agents; optionally integrate its SDE "
        "(--sde) and compare with Theorem 3/4 (--bound). Example: theorylab simulate dcsgd "
        "--problem quadratic:mu=1,L=1 --dim 20 --agents 4 --compressor randk:k=5 --eta 0.01 --steps 3000 "
        "--replicas 500 --bound",
    )
    p.add_argument("method", choices=METHODS, metavar="METHOD", help=f"one of {', '.join(METHODS)}")
    p.add_argument("--problem", default="quadratic:mu=1,L=1",
                   help="quadratic:mu=..,L=..[,hetero=..,rotate=1,x0=..,seed=..] or sinpl[:hetero=..]")
    p.add_argument("--dim", type=_positive_int("--dim"), default=20, help="dimension d (default 20)")
    p.add_argument("--agents", type=_positive_int("--agents (number of agents N)"), default=4,
                   help="number of agents N (default 4)")
    p.add_argument("--batch", type=_positive_int("--batch"), default=1, help="batch size B (default 1)")
    p.add_argument("--noise", default="gaussian", help="gaussian | cauchy | student-t:nu=NU (default gaussian)")
    p.add_argument("--sigma", type=_sigmas, default=[1.0], help="noise scale sigma, or one per agent (a,b,...)")
    p.add_argument("--compressor", default=None,
                   help="compressor for dcsgd: a spec (e.g. randk:k=5), MODULE:NAME or FILE.py:NAME (a batched "
                   "C(x, rng)); one per agent separated by ';'")
    p.add_argument("--eta", type=_positive_float("--eta"), default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--steps", type=_positive_int("--steps"), default=2000, help="number of steps (default 2000)")
    p.add_argument("--replicas", type=_positive_int("--replicas"), default=200,
                   help="independent replicas (default 200)")
    p.add_argument("--sde", action="store_true", help="also integrate the method's SDE (same time grid)")
    p.add_argument("--scheme", choices=("euler", "richardson"), default="euler", help="SDE scheme (default euler)")
    p.add_argument("--substeps", type=_positive_int("--substeps"), default=1, help="SDE steps per eta (default 1)")
    p.add_argument("--bound", action="store_true", help="compare with Theorem 3 (dsgd/dcsgd) or 4 (dsignsgd)")
    p.add_argument("--ell", choices=("A", "B"), default="A", help="l_nu candidate of Theorem 4 (default A)")
    p.add_argument("--radius", type=_positive_float("--radius"), default=None,
                   help="R of candidate B (|Sigma^-1/2 grad f| <= R along the run); default from x0")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--burn-in", type=_burn_in, default=None,
                   help="steps (int) or fraction (<1) to discard; default: detected (MSER)")
    p.add_argument("--points", type=_positive_int("--points"), default=200, help="record points (default 200)")
    p.add_argument("--plot", default=None, metavar="FILE", help="save a figure (png/pdf/svg)")
    p.add_argument("--backend", choices=("numpy", "cupy", "auto"), default="numpy", help="array backend")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: when stderr is a terminal)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..simulate import noise_from_spec, problem_from_spec, resolve_compressors, simulate
    from ..simulate.plot import plot_simulation

    if not 0 < args.confidence < 1:
        raise InvalidParameterError(f"--confidence must be in (0, 1), got {args.confidence}")
    problem = problem_from_spec(args.problem, args.dim, args.agents)
    sigma = args.sigma[0] if len(args.sigma) == 1 else args.sigma
    noise = noise_from_spec(args.noise, sigma, args.batch)
    noise.scales(args.agents)  # checks the number of per-agent sigmas
    compressor = None
    if args.method == "dcsgd":
        if args.compressor is None:
            raise InvalidParameterError("dcsgd needs --compressor (e.g. randk:k=5); use dsgd for no compression")
        from ..compressors import load_user_compressor  # specs, MODULE:NAME or FILE.py:NAME

        comps = [load_user_compressor(s.strip()) for s in args.compressor.split(";")]
        compressor = resolve_compressors(comps if len(comps) > 1 else comps[0], args.agents)
    elif args.compressor is not None:
        raise InvalidParameterError(f"{args.method} takes no --compressor (got {args.compressor!r}); use dcsgd")
    sim = simulate(args.method, problem, noise, eta=args.eta, steps=args.steps, replicas=args.replicas,
                   compressor=compressor, sde=args.sde, bound=args.bound, ell=args.ell, R=args.radius, seed=args.seed,
                   backend=args.backend, confidence=args.confidence, burn_in=args.burn_in, points=args.points,
                   substeps=args.substeps, scheme=args.scheme, progress=args.progress)
    if sim.bound_error is not None:
        print(f"theorylab: warning: the bound does not apply: {sim.bound_error} (simulated anyway)",
              file=sys.stderr)
    if sim.sde_error is not None:
        print(f"theorylab: warning: no SDE for this setting: {sim.sde_error} (simulated the optimizer only)",
              file=sys.stderr)
    if args.plot:
        plot_simulation(sim, args.plot)
    if args.format == "json":
        print(json.dumps(sim.to_json(), indent=1, default=_jsonable))
    else:
        print(sim.text())
        if args.plot:
            print(f"  figure: {args.plot}")
    return 0


def _jsonable(o: object) -> object:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
