"""CLI: ``theorylab simulate METHOD ...`` — Monte Carlo of an optimizer, its SDE, bound and verdict."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from ..errors import InvalidParameterError, TheorylabError
from ._io import figure_file, seed_type

METHODS = ("dsgd", "dcsgd", "dsignsgd")
DEFAULT_REPLICAS = 200

# The methods' own options: CLI flag -> algorithm option (theorylab.simulate.algorithms decides which
# method takes which; a flag given to a method that does not take it is a one-line error, exit 2).
ALGORITHM_FLAGS: dict[str, str] = {
    "local_steps": "--local-steps", "server_lr": "--server-lr", "participation": "--participation",
    "momentum": "--momentum", "topology": "--topology", "gossip": "--gossip", "alpha": "--alpha", "p": "--p",
}


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
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"--burn-in must be a number of steps >= 0 or a fraction in [0, 1), got {text!r}")
    return v if v < 1 else int(v)


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    """Add ``simulate`` to the theorylab parser."""
    p = sub.add_parser(
        "simulate",
        help="simulate DSGD/DCSGD/DSignSGD (and their SDEs), estimate the stationary level, check a bound",
        description="Simulate an optimizer batched over replicas and agents; optionally integrate its SDE "
        "(--sde) and compare with Theorem 3/4 (--bound). Example: theorylab simulate dcsgd "
        "--problem quadratic:mu=1,L=1 --dim 20 --agents 4 --compressor randk:k=5 --eta 0.01 --steps 3000 "
        "--replicas 500 --bound. The field's algorithms: theorylab simulate scaffold --local-steps 5 --participation 2 "
        "--problem quadratic:mu=0.5,L=2,hetero=1; theorylab simulate gossip-sgd --topology torus --gossip atc; "
        "theorylab simulate diana --compressor randk:k=2 --alpha 0.05; your own: theorylab simulate my.py:MyAlg "
        "--problem my.py:my_problem. With --sigma 0 and no randomness the run is deterministic and reports exact "
        "values.",
    )
    p.add_argument("method", metavar="METHOD",
                   help="dsgd (= psgd, server-based distributed SGD), dcsgd, dsignsgd, ef14, ef21, diana, marina, "
                   "fedavg, scaffold, fedavg-m, gossip-sgd (decentralised SGD over a mixing matrix: the lecture's "
                   "'DSGD'), or FILE.py:NAME (your algorithm, see theorylab.simulate.algorithms)")
    p.add_argument("--problem", default="quadratic:mu=1,L=1",
                   help="quadratic:mu=..,L=..[,hetero=..,rotate=1,x0=..,seed=..], sinpl[:hetero=..], or FILE.py:NAME "
                   "(a function of no argument returning a theorylab.simulate problem)")
    p.add_argument("--dim", type=_positive_int("--dim"), default=None,
                   help="dimension d (default 20; a --problem FILE.py:NAME fixes its own)")
    p.add_argument("--agents", type=_positive_int("--agents (number of agents N)"), default=None,
                   help="number of agents N (default 4; a --problem FILE.py:NAME fixes its own)")
    p.add_argument("--batch", type=_positive_int("--batch"), default=1, help="batch size B (default 1)")
    p.add_argument("--noise", default="gaussian", help="gaussian | cauchy | student-t:nu=NU (default gaussian)")
    p.add_argument("--sigma", type=_sigmas, default=[1.0], help="noise scale sigma, or one per agent (a,b,...)")
    p.add_argument("--compressor", default=None,
                   help="compressor for dcsgd: a spec (e.g. randk:k=5), MODULE:NAME or FILE.py:NAME (a batched "
                   "C(x, rng)); one per agent separated by ';'")
    p.add_argument("--eta", type=_positive_float("--eta"), default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--steps", type=_positive_int("--steps"), default=2000, help="number of steps (default 2000)")
    p.add_argument("--replicas", type=_positive_int("--replicas"), default=None,
                   help="independent replicas (default 200)")
    g = p.add_argument_group("method options (each rejected where it does not apply)")
    g.add_argument("--local-steps", type=_positive_int("--local-steps"), default=None, metavar="K",
                   help="fedavg, scaffold, fedavg-m: local steps per round (default 1)")
    g.add_argument("--server-lr", type=_positive_float("--server-lr"), default=None,
                   help="fedavg, scaffold, fedavg-m: server step size (default 1)")
    g.add_argument("--participation", type=_positive_int("--participation"), default=None, metavar="S",
                   help="fedavg, scaffold, fedavg-m: clients sampled per round without replacement (default N)")
    g.add_argument("--momentum", type=_positive_float("--momentum"), default=None, metavar="BETA",
                   help="fedavg-m: weight beta in (0, 1] of the fresh gradient (default 1 = FedAvg)")
    g.add_argument("--topology", default=None,
                   help="gossip-sgd: ring, torus, star, complete, exponential, one-peer-exponential (default ring)")
    g.add_argument("--gossip", choices=("cta", "atc"), default=None,
                   help="gossip-sgd: combine-then-adapt (default) or adapt-then-combine")
    g.add_argument("--alpha", type=_positive_float("--alpha"), default=None, help="diana: shift step (default 1/(1+omega))")
    g.add_argument("--p", type=_positive_float("--p"), default=None,
                   help="marina: probability of a full synchronisation (default 1/(1+omega))")
    p.add_argument("--sde", action="store_true", help="also integrate the method's SDE (same time grid)")
    p.add_argument("--scheme", choices=("euler", "richardson"), default=None,
                   help="SDE scheme, with --sde (default euler)")
    p.add_argument("--substeps", type=_positive_int("--substeps"), default=None,
                   help="SDE steps per eta, with --sde (default 1)")
    p.add_argument("--bound", action="store_true", help="compare with Theorem 3 (dsgd/dcsgd) or 4 (dsignsgd)")
    p.add_argument("--ell", choices=("A", "B"), default=None,
                   help="l_nu candidate of Theorem 4, dsignsgd with --bound only (default A)")
    p.add_argument("--radius", type=_positive_float("--radius"), default=None,
                   help="R of candidate B (|Sigma^-1/2 grad f| <= R along the run), with --ell B only; "
                   "default from x0")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--burn-in", type=_burn_in, default=None,
                   help="steps (int) or fraction (<1) to discard; default: detected (MSER)")
    p.add_argument("--points", type=_positive_int("--points"), default=200, help="record points (default 200)")
    p.add_argument("--plot", default=None, metavar="FILE", help="save a figure (png/pdf/svg)")
    p.add_argument("--backend", choices=("numpy", "cupy", "auto"), default="numpy", help="array backend")
    p.add_argument("--seed", type=seed_type, default=0, help="random seed, an integer >= 0 (default 0)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: when stderr is a terminal)")
    p.add_argument("--engine", type=_engine, default="montecarlo", metavar="{montecarlo,exact}",
                   help="montecarlo (or mc): Monte Carlo (default); exact: exact first and second moments (dsgd, dcsgd, "
                   "diana, ef14, ef21, gossip-sgd (ring, complete), fedavg, scaffold on quadratics, compressors "
                   "C(x) = D x such as Rand-k and Bernoulli): zero-width values")
    p.add_argument("--masks", choices=("independent", "shared"), default="independent",
                   help="exact engine: compressor masks independent across agents (default) or one shared mask")
    p.add_argument("--rational", action="store_true",
                   help="exact engine: exact fractions (small d, inputs with short decimal forms)")
    p.set_defaults(func=run)


def _method_and_options(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The algorithm of ``METHOD`` and the options given on the command line; a flag the method does
    not take is an :class:`InvalidParameterError` (one line, exit 2)."""
    from ..simulate.algorithms import resolve_method

    alg = resolve_method(args.method)
    given = {k: getattr(args, k) for k in ALGORITHM_FLAGS if getattr(args, k, None) is not None}
    bad = [ALGORITHM_FLAGS[k] for k in given if k not in alg.options]
    if bad:
        takes = ", ".join(ALGORITHM_FLAGS.get(k, k) for k in alg.options) or "no method options"
        raise InvalidParameterError(f"{', '.join(bad)} does not apply to {alg.name} (it takes {takes})")
    return alg, given


def _problem(args: argparse.Namespace):
    """``--problem``: a spec, or ``FILE.py:NAME`` (a function returning a problem)."""
    from ..simulate import Problem, problem_from_spec
    from ..simulate.algorithms import is_file_spec, load_object

    if not is_file_spec(args.problem):
        args.dim = 20 if args.dim is None else args.dim
        args.agents = 4 if args.agents is None else args.agents
        return problem_from_spec(args.problem, args.dim, args.agents)
    factory = load_object(args.problem, "--problem")
    try:
        problem = factory() if callable(factory) and not isinstance(factory, Problem) else factory
    except TheorylabError:
        raise
    except Exception as exc:  # the user's function raised: one line
        raise InvalidParameterError(f"--problem {args.problem}: calling it failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(problem, Problem):
        raise InvalidParameterError(f"--problem {args.problem} must return a theorylab.simulate problem, "
                                    f"got {type(problem).__name__}")
    for flag, given, own in (("--dim", args.dim, problem.d), ("--agents", args.agents, problem.n_agents)):
        if given is not None and given != own:
            raise InvalidParameterError(f"{flag} {given} contradicts --problem {args.problem}, which has "
                                        f"{'d' if flag == '--dim' else 'N'} = {own}; a problem from a file fixes "
                                        f"its own d and N: drop {flag}")
    args.dim, args.agents = problem.d, problem.n_agents
    return problem


def _engine(text: str) -> str:
    """``--engine``: ``montecarlo`` (alias ``mc``) or ``exact``."""
    name = {"mc": "montecarlo"}.get(text, text)
    if name not in ("montecarlo", "exact"):
        raise argparse.ArgumentTypeError(f"--engine must be montecarlo (or mc) or exact, got {text!r}")
    return name


def inputs(args: argparse.Namespace) -> dict:
    """Validate a parsed ``simulate`` namespace and build its method, options, problem, noise and
    compressor (cheap: no simulation). ``theorylab sweep`` calls it on every cell before anything runs."""
    from ..simulate import noise_from_spec, resolve_compressors

    if not 0 < args.confidence < 1:
        raise InvalidParameterError(f"--confidence must be in (0, 1), got {args.confidence}")
    alg, options = _method_and_options(args)
    _reject_inapplicable(args)
    problem = _problem(args)
    sigma = args.sigma[0] if len(args.sigma) == 1 else args.sigma
    noise = noise_from_spec(args.noise, sigma, args.batch)
    noise.scales(args.agents)  # checks the number of per-agent sigmas
    compressor = None
    if alg.compressor == "required" and args.compressor is None:
        raise InvalidParameterError(f"{alg.name} needs --compressor (e.g. randk:k=5 or topk:k=1)"
                                    + ("; use dsgd for no compression" if alg.name == "dcsgd" else ""))
    if alg.compressor == "none" and args.compressor is not None:
        raise InvalidParameterError(f"{alg.name} takes no --compressor (got {args.compressor!r})"
                                    + ("; use dcsgd" if alg.name in METHODS else ""))
    if args.compressor is not None:
        from ..compressors import load_user_compressor  # specs, MODULE:NAME or FILE.py:NAME

        comps = [load_user_compressor(s.strip()) for s in args.compressor.split(";")]
        compressor = resolve_compressors(comps if len(comps) > 1 else comps[0], args.agents)
    if args.engine != "exact" and (args.masks != "independent" or args.rational):
        raise InvalidParameterError("--masks and --rational apply to --engine exact only")
    method = args.method if args.method in METHODS else alg
    return {"method": method, "options": options, "problem": problem, "noise": noise, "compressor": compressor}


def simulation(args: argparse.Namespace) -> Any:
    """The experiment of a parsed ``simulate`` namespace (what ``run`` prints): a Monte Carlo
    :class:`~theorylab.simulate.Simulation`, or with ``--engine exact`` its exact peer."""
    inp = inputs(args)
    from ..simulate.models import contraction_warnings

    before = contraction_warnings(args.method, inp["compressor"], inp["problem"].d)
    for w in before:  # said before the run, and kept with its result
        print(f"theorylab: warning: {w}", file=sys.stderr)
    sim = _simulation(args, inp)
    sim.warnings.extend(before)
    return sim


def _simulation(args: argparse.Namespace, inp: dict) -> Any:
    if args.engine == "exact":
        from ..simulate.exact import exact_simulate

        # the linear algorithms' options, where the method takes them (issue 11's CLI names)
        names = {"alpha": "alpha", "local_steps": "local_steps", "server_lr": "server_lr",
                 "participation": "participation", "topology": "topology", "gossip": "order"}
        options = {key: getattr(args, attr) for attr, key in names.items() if getattr(args, attr, None) is not None}
        return exact_simulate(args.method, inp["problem"], inp["noise"], eta=args.eta, steps=args.steps,
                              compressor=inp["compressor"], sde=args.sde, bound=args.bound, masks=args.masks,
                              points=args.points, rational=args.rational, **options)
    from ..simulate import simulate

    return simulate(inp["method"], inp["problem"], inp["noise"], eta=args.eta, steps=args.steps,
                    replicas=args.replicas or DEFAULT_REPLICAS, compressor=inp["compressor"], sde=args.sde,
                    bound=args.bound,
                    ell=args.ell or "A", R=args.radius, seed=args.seed, backend=args.backend,
                    confidence=args.confidence, burn_in=args.burn_in, points=args.points,
                    substeps=args.substeps or 1, scheme=args.scheme or "euler", progress=args.progress, options=inp["options"] or None)


def result(args: argparse.Namespace) -> dict:
    """The JSON document ``theorylab simulate --format json`` prints for a parsed namespace
    (``theorylab sweep`` stores one per cell, so a cell equals the CLI with the same options)."""
    return json.loads(json.dumps(simulation(args).to_json(), default=_jsonable))


def run(args: argparse.Namespace) -> int:
    from ..simulate.plot import plot_simulation

    if args.plot is not None:
        if args.engine == "exact":
            raise InvalidParameterError("--plot applies to the Monte Carlo engine only")
        figure_file(args.plot, "--plot")  # before the work, not after it
    sim = simulation(args)
    exact = args.engine == "exact"
    if sim.bound_error is not None:
        print(f"theorylab: warning: the bound does not apply: {sim.bound_error}"
              + ("" if exact else " (simulated anyway)"), file=sys.stderr)
    if sim.sde_error is not None:
        print(f"theorylab: warning: no {'exact SDE moments' if exact else 'SDE'} for this setting: {sim.sde_error}"
              + ("" if exact else " (simulated the optimizer only)"), file=sys.stderr)
    # the results first: a figure that fails to save must not swallow them
    if args.format == "json":
        print(json.dumps(sim.to_json(), indent=1, default=_jsonable))
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


def _reject_inapplicable(args: argparse.Namespace) -> None:
    """Options given where they do not apply are errors, not silently ignored."""
    if args.ell is not None and not (args.method == "dsignsgd" and args.bound):
        raise InvalidParameterError(f"--ell applies to dsignsgd with --bound (Theorem 4's l_nu); "
                                    f"got --ell {args.ell} with {args.method}{'' if args.bound else ' without --bound'}")
    if args.radius is not None and args.ell != "B":
        raise InvalidParameterError("--radius applies to --ell B (candidate B's region) only")
    for option, dest in (("--scheme", "scheme"), ("--substeps", "substeps")):
        if getattr(args, dest) is not None and not args.sde:
            raise InvalidParameterError(f"{option} applies to the SDE: add --sde, or drop {option}")
    if getattr(args, "engine", "montecarlo") == "exact":  # sampling options mean nothing for exact moments
        given = [o for o, v in (("--replicas", args.replicas), ("--burn-in", args.burn_in),
                                ("--scheme", args.scheme), ("--substeps", args.substeps)) if v is not None]
        given += ["--confidence"] * (args.confidence != 0.95) + ["--backend"] * (args.backend != "numpy")
        if given:
            raise InvalidParameterError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to the Monte Carlo "
                                        "engine; --engine exact computes the moments without sampling (numpy only): "
                                        "drop them")


def _jsonable(o: object) -> object:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
