"""The bad-input suite's cases (shared by tests/test_bad_inputs.py and, run as a script, a
count of clean errors: ``python tests/bad_inputs.py`` prints how many cases end cleanly).

A CLI case is ``(argv, allowed exit statuses)``; it is clean when the status is allowed, the
error is one line ``theorylab: error: ...`` without a traceback or "internal error", and it
ends within :data:`LIMIT_S` seconds. An API case is ``(callable, expected)``: ``expected`` is
``"error"`` (a :class:`theorylab.errors.TheorylabError`) or ``"warn"`` (a visible warning, a
``UserWarning`` subclass, and no exception other than a theorylab error).

User files (``FILE.py:NAME``) are written by :func:`write_user_files` into the working
directory the cases run in.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any

LIMIT_S = 60  # no case may run longer (each is meant to fail fast: most take well under a second)

USER_FILES = {
    "comps.py": '''
import numpy as np
import time

def wrong_shape(x, rng):
    return x[..., :1]

def none(x, rng):
    return None

def scalar(x, rng):
    return 1.0

def string(x, rng):
    return "abc"

def complex_out(x, rng):
    return x.astype(complex)

def int_out(x, rng):
    return np.ones(x.shape, dtype=np.int64)

def raises(x, rng):
    raise ValueError("my compressor is broken")

def no_args():
    return 1

def two_required(a, b, c):
    return a

def nan_out(x, rng):
    return np.full(x.shape, np.nan)

def hangs(x, rng):
    time.sleep(3600)
    return x

class Undeclared:
    """An unbiased compressor that does not declare it (no ``unbiased`` attribute)."""
    def __call__(self, x, rng):
        return x

not_callable = 42
''',
    "algs.py": '''
import numpy as np

class Column:
    """A user algorithm whose iterate has shape (R, 1)."""
    name = "column"
    summary = "bad iterate"
    citation = "-"
    options = {}
    compressor = "none"
    decentralised = False

    def init(self, ctx):
        return {"x": np.zeros((ctx.replicas, 1))}

    def step(self, state, ctx):
        pass

    def iterate(self, state):
        return state["x"]

class Raises(Column):
    name = "raises"

    def step(self, state, ctx):
        raise RuntimeError("my algorithm is broken")

not_an_algorithm = 3
''',
    "probs.py": '''
def raises():
    raise ValueError("my problem factory is broken")

def returns_int():
    return 3
''',
    "syntax_error.py": "def broken(:\n",
    "spec_bad.toml": 'method = "dsgd"\n[fixed]\neta = "abc"\n',
    "spec_bad_toml.toml": 'method = "dsgd\n',
    "spec_unknown.toml": 'method = "dsgd"\nfoo = 1\n',
    "spec_ok.toml": 'method = "dsgd"\nengine = "montecarlo"\n[fixed]\nsteps = 5\nreplicas = 2\n',
    "spec_bounds_bad.toml": 'command = "bounds"\nmethod = "dcsgd"\n[fixed]\neta = "x+"\n',
    "claims_dup.py": '''
from theorylab.claims import check, proved

@check(id="same", source="me", method="symbolic", statement="a")
def a(mode="quick"):
    return proved("a", "ok")

@check(id="same", source="me", method="symbolic", statement="b")
def b(mode="quick"):
    return proved("b", "ok")
''',
    "claims_empty.py": "x = 1\n",
    "notes.txt": "hello\n",
    "binary.svm": "",  # written as bytes below
}


def write_user_files(directory: str) -> None:
    for name, text in USER_FILES.items():
        path = os.path.join(directory, name)
        if name == "binary.svm":
            with open(path, "wb") as fh:
                fh.write(bytes(range(256)) * 4)
        else:
            with open(path, "w") as fh:
                fh.write(text)
    fifo = os.path.join(directory, "fifo.toml")
    if hasattr(os, "mkfifo") and not os.path.exists(fifo):
        os.mkfifo(fifo)
    os.makedirs(os.path.join(directory, "adir"), exist_ok=True)


USAGE = (2,)
_SIM = ["--steps", "5", "--replicas", "2", "--points", "3", "--no-progress"]


def _sim(method: str, *flags: str) -> list[str]:
    return ["simulate", method, *flags, *_SIM]


CLI: list[tuple[str, list[str], tuple[int, ...]]] = []


def _cli(name: str, argv: list[str], codes: tuple[int, ...] = USAGE) -> None:
    CLI.append((name, argv, codes))


# --- simulate: numeric options, each with values outside its domain
_NUMERIC = {
    "--eta": ["abc", "-1", "0", "nan", "inf", "1e400", "", "0x10", "1,2", "--", "1e-400"],
    "--steps": ["abc", "-1", "0", "nan", "inf", "2.5", "1e400", "", "1e30"],
    "--replicas": ["abc", "-5", "0", "nan", "inf", "1.5", ""],
    "--dim": ["abc", "-1", "0", "nan", "inf", "3.5", "", "1e13"],
    "--agents": ["abc", "-1", "0", "nan", "inf", "2.5", "", "1e13"],
    "--batch": ["abc", "-1", "0", "nan", "inf", "0.5"],
    "--sigma": ["abc", "-1", "nan", "inf", "1,2,3", ",", "1,,2", "-1,2,3,4"],
    "--confidence": ["abc", "0", "1", "1.5", "-0.5", "nan", "inf"],
    "--burn-in": ["abc", "-1", "nan", "inf", "-0.5", "1e30"],
    "--points": ["abc", "0", "1", "-3", "nan", "inf"],
    "--seed": ["abc", "-1", "1.5", "nan", "1e30"],
}
for flag, values in _NUMERIC.items():
    for v in values:
        _cli(f"simulate {flag} {v!r}", _sim("dsgd", flag, v) if flag not in ("--steps", "--replicas", "--points")
             else ["simulate", "dsgd", flag, v, "--no-progress"])

# --- simulate: method options, on the methods that take them, with bad values; and where they do not apply
for flag, method, values in (("--local-steps", "fedavg", ["0", "-1", "abc", "1.5"]),
                             ("--server-lr", "fedavg", ["0", "-1", "abc", "nan"]),
                             ("--participation", "fedavg", ["0", "-1", "99", "abc"]),
                             ("--momentum", "fedavg-m", ["0", "-1", "1.5", "abc", "nan"]),
                             ("--topology", "gossip-sgd", ["moon", "", "ring,ring", "1"]),
                             ("--alpha", "diana", ["0", "-1", "abc", "nan"]),
                             ("--p", "marina", ["0", "-1", "1.5", "abc"])):
    extra = ["--compressor", "randk:k=2"] if method in ("diana", "marina") else []
    for v in values:
        _cli(f"simulate {method} {flag} {v!r}", _sim(method, flag, v, *extra))
    _cli(f"simulate dsgd {flag} (does not apply)", _sim("dsgd", flag, values[0] if flag == "--topology" else "1"))
for flag, value in (("--gossip", "atc"), ("--scheme", "euler"), ("--substeps", "2"), ("--ell", "A"),
                    ("--radius", "1"), ("--masks", "shared"), ("--rational", None)):
    _cli(f"simulate dsgd {flag} (does not apply)", _sim("dsgd", flag, *([value] if value else [])))
_cli("simulate --gossip bad", _sim("gossip-sgd", "--gossip", "xyz"))
_cli("simulate --scheme bad", _sim("dsgd", "--sde", "--scheme", "rk4"))
_cli("simulate --substeps 0", _sim("dsgd", "--sde", "--substeps", "0"))
_cli("simulate --ell C", _sim("dsignsgd", "--bound", "--ell", "C"))
_cli("simulate --radius 0", _sim("dsignsgd", "--bound", "--ell", "B", "--radius", "0"))
_cli("simulate --engine bad", _sim("dsgd", "--engine", "quantum"))
_cli("simulate --backend bad", _sim("dsgd", "--backend", "tpu"))
_cli("simulate --format bad", _sim("dsgd", "--format", "xml"))
_cli("simulate exact --replicas", ["simulate", "dsgd", "--engine", "exact", "--replicas", "5"])
_cli("simulate exact dsignsgd", ["simulate", "dsignsgd", "--engine", "exact"])
_cli("simulate exact marina", ["simulate", "marina", "--engine", "exact", "--compressor", "randk:k=2"])
_cli("simulate exact --plot", ["simulate", "dsgd", "--engine", "exact", "--plot", "x.png"])

# --- methods
for m in ("", "sgd2", "DSGD ", "dcsgd;rm", "../x", "x.py:Y", "algs.py", "algs.py:missing", "algs.py:not_an_algorithm",
          "syntax_error.py:broken", "notes.txt:x", "adir:x", "fifo.toml:x"):
    _cli(f"simulate method {m!r}", _sim(m))
_cli("simulate user iterate (R, 1)", _sim("algs.py:Column"))
_cli("simulate user algorithm raises", _sim("algs.py:Raises"))

# --- problems
for p in ("", "quadratic:mu=abc", "quadratic:mu=0", "quadratic:mu=-1", "quadratic:mu=2,L=1",
          "quadratic:mu=1,L=nan", "quadratic:mu=1,mu=2", "quadratic:zeta=1", "quadratic:mu", "quadratic:mu=1,,L=2",
          "quadratic:hetero=-1", "quadratic:x0=inf", "quadratic:x0=nan", "quadratic:seed=-1", "quadratic:seed=1.5",
          "quadratic:rotate=7", "cubic", "sinpl:hetero=abc", "logistic:lam=-1", "logistic:samples=0",
          "logistic:libsvm=missing.svm", "logistic:libsvm=binary.svm", "logistic:libsvm=notes.txt",
          "probs.py:raises", "probs.py:returns_int", "probs.py:missing", "missing.py:f", "fifo.toml"):
    _cli(f"simulate --problem {p!r}", _sim("dsgd", "--problem", p))
_cli("simulate --problem file with --dim", _sim("dsgd", "--problem", "probs.py:raises", "--dim", "3"))

# --- noise
for n in ("", "uniform", "student-t", "student-t:nu=0", "student-t:nu=-1", "student-t:nu=abc", "student-t:nu=nan",
          "gaussian:nu=3", "cauchy:scale=2", "student-t:nu=3,nu=4"):
    _cli(f"simulate --noise {n!r}", _sim("dsgd", "--noise", n))
_cli("simulate per-agent sigma count", _sim("dsgd", "--agents", "4", "--sigma", "1,2"))

# --- compressors on simulate
for c in ("", "randk", "randk:k=0", "randk:k=-1", "randk:k=abc", "randk:k=1.5", "randk:k=999", "topk:k=0",
          "nosuch", "nosuch:k=1", "randk:k=2,j=3", "randk:k=2,k=3", "induced(topk:k=2)", "induced(", "scaled()",
          "switch(2@randk:k=1)", "qsgd:s=0", "natural:x=1", "randk:k=2;randk:k=2", ";", "randk:k=1;;",
          "comps.py:wrong_shape", "comps.py:none", "comps.py:scalar", "comps.py:string", "comps.py:complex_out",
          "comps.py:int_out", "comps.py:raises", "comps.py:no_args", "comps.py:two_required", "comps.py:nan_out",
          "comps.py:not_callable", "comps.py:missing", "missing.py:f", "syntax_error.py:broken",
          "nosuchmodule_xyz:f", "os.path:nosuch"):
    _cli(f"simulate dcsgd --compressor {c!r}", _sim("dcsgd", "--compressor", c))
_cli("simulate dsgd with --compressor", _sim("dsgd", "--compressor", "randk:k=2"))
_cli("simulate dcsgd without --compressor", _sim("dcsgd"))
_cli("simulate dcsgd bound, undeclared unbiased", _sim("dcsgd", "--compressor", "comps.py:Undeclared", "--bound"),
     (0,))

# --- plot / output paths
for out in ("", "adir", "nodir/x.png", "x.nosuchformat", "/proc/x.png"):
    _cli(f"simulate --plot {out!r}", _sim("dsgd", "--plot", out))

# --- bounds
for at in ("eta", "eta=", "=1", "eta=abc", "eta=x+", "eta=1=2", "nosuch=1", "eta=nan", "eta=1 e", "eta=-1",
           "d=2.5", "N=0", "eta=1,t=2", "eta=(", "eta=1/0", "eta=10**10**10", "eta=" + "(" * 200 + "1" + ")" * 200,
           "eta=" + "1" * 20000, "eta=a.b", "eta=x[0]", "eta='s'", "eta=lambda: 1"):
    _cli(f"bounds --at {at[:40]!r}", ["bounds", "dcsgd", "--at", at])
_cli("bounds twice", ["bounds", "dcsgd", "--at", "eta=1", "eta=2"])
_cli("bounds name", ["bounds", "nosuch"])
_cli("bounds --ell on dcsgd", ["bounds", "dcsgd", "--ell", "A"])
_cli("bounds --ell bad", ["bounds", "dsignsgd", "--ell", "Z"])
_cli("bounds --format bad", ["bounds", "dcsgd", "--format", "pdf"])
_cli("bounds --standalone", ["bounds", "dcsgd", "--standalone"])
_cli("bounds Delta <= 0", ["bounds", "dcsgd", "--at", "eta=100", "L=1", "mu=1", "N=1", "omega=5", "t=inf", "d=1",
                           "sigma=1", "B=1"])

# --- sde, rules, classes, regenerate
for a in ("0", "-1", "abc", "1e9", "2.5", "100000"):
    _cli(f"sde --agents {a}", ["sde", "dcsgd", "--agents", a])
_cli("sde name", ["sde", "nosuch"])
_cli("rules name", ["rules", "sgd"])
_cli("regenerate no --out", ["regenerate"])
_cli("regenerate --out file", ["regenerate", "--out", "notes.txt"])
_cli("regenerate --out missing parent", ["regenerate", "--out", "no/such/dir"])

# --- compressors check / list
for args in (["randk:k=0"], ["nosuch"], [], ["randk:k=2", "--all"], ["--all", "--omega", "1"],
             ["randk:k=2", "--dim", "0"], ["randk:k=2", "--dim", "-5"], ["randk:k=2", "--dim", "abc"],
             ["randk:k=2", "--dim", "1e8"], ["randk:k=2", "--dim", "100000000"], ["randk:k=2", "--draws", "3"],
             ["randk:k=2", "--draws", "-1"], ["randk:k=2", "--omega", "one"], ["randk:k=2", "--omega", "-1"],
             ["randk:k=2", "--omega", "nan"], ["randk:k=2", "--delta", "0"], ["randk:k=2", "--delta", "2"],
             ["randk:k=2", "--omega", "1", "--delta", "0.5"], ["randk:k=2", "--false-alarm", "0"],
             ["randk:k=2", "--false-alarm", "1.5"], ["randk:k=2", "--timeout", "0"], ["randk:k=2", "--timeout", "-1"],
             ["randk:k=2", "--seed", "-1"], ["randk:k=2", "--dtype", "int8"], ["randk:k=2", "--format", "xml"],
             ["comps.py:wrong_shape"], ["comps.py:none"], ["comps.py:scalar"], ["comps.py:string"],
             ["comps.py:complex_out"], ["comps.py:int_out"], ["comps.py:raises"], ["comps.py:two_required"],
             ["comps.py:not_callable"], ["comps.py:missing"], ["missing.py:f"], ["syntax_error.py:broken"],
             ["comps.py:hangs", "--timeout", "1"], ["fifo.toml:x"]):
    _cli(f"compressors check {' '.join(args)!r}", ["compressors", "check", *args, "--no-progress"])
for a in ("0", "-1", "abc"):
    _cli(f"compressors list --dim {a}", ["compressors", "list", "--dim", a])
_cli("compressors no subcommand", ["compressors"])

# --- check
for args in (["--only", "no-such-check-xyz"], ["--from", "missing.py"], ["--from", "notes.txt"],
             ["--from", "syntax_error.py"], ["--from", "claims_empty.py"], ["--from", "claims_dup.py"],
             ["--from", "adir"], ["--from", "fifo.toml"], ["--jobs", "-1"], ["--jobs", "abc"],
             ["--format", "pdf"], ["--out", "nodir/report.txt", "--list"], ["--out", "adir", "--list"],
             ["--timeout", "-1", "--list"], ["--timeout", "abc", "--list"], ["--quick", "--full"]):
    _cli(f"check {' '.join(args)!r}", ["check", *args, "--no-progress"], (1, 2) if args[0] == "--only" else USAGE)

# --- sweep
for args in (["run", "missing.toml", "--store", "st"], ["run", "spec_bad.toml", "--store", "st"],
             ["run", "spec_bad_toml.toml", "--store", "st"], ["run", "spec_unknown.toml", "--store", "st"],
             ["run", "spec_bounds_bad.toml", "--store", "st"], ["run", "fifo.toml", "--store", "st"],
             ["run", "adir", "--store", "st"], ["run", "notes.txt", "--store", "notes.txt"],
             ["run", "spec_bad.toml"], ["run", "spec_bad.toml", "--store", "st", "--retry-failed"],
             ["run", "spec_bad.toml", "--store", "st", "--workers", "0"],
             ["run", "spec_bad.toml", "--store", "st", "--retries", "-1"],
             ["status", "nosuchstore"], ["table", "nosuchstore"], ["plot", "nosuchstore", "--x", "eta"],
             ["status", "notes.txt"], ["table", "adir"], ["table", "nosuchstore", "--format", "xml"],
             ["run", "spec_ok.toml", "--store", "nodir/sub/st"], ["plot", "adir", "--x", "eta", "--out", "nodir/x.png"],
             ["run", "spec_ok.toml", "--store", "st2", "--retry-failed"],
             ["sweep"], ["run"]):
    _cli(f"sweep {' '.join(args)!r}", ["sweep", *args])

# --- top level
_cli("no command", [])
_cli("unknown command", ["frobnicate"])
_cli("unknown flag", ["simulate", "dsgd", "--frobnicate"])


# ----------------------------------------------------------------------------- Python API
API: list[tuple[str, Callable[[], Any], str]] = []


def _api(name: str, expected: str = "error"):
    def deco(f: Callable[[], Any]) -> Callable[[], Any]:
        API.append((name, f, expected))
        return f
    return deco


def _add_api() -> None:
    import numpy as np

    def sim():
        import theorylab.simulate as s
        return s

    bad_matrices = [("abc", "def"), (None, None), ([[1, 2]], [[1]]), ([[1.0]], [["x"]]), ([[-1.0]], [[0.0]]),
                    ([[[1.0]]], [[0.0, 1.0]]), ([[np.nan]], [[0.0]]), (np.ones((2, 3)), np.ones((3, 2))),
                    ([[0.0]], [[0.0]]), ([], [])]
    for i, (h, c) in enumerate(bad_matrices):
        API.append((f"custom_quadratic bad {i}", (lambda h=h, c=c: sim().custom_quadratic(h, c)), "error"))
    for x0 in (math.nan, math.inf, "abc", [1.0, 2.0, 3.0], None):
        API.append((f"custom_quadratic x0={x0!r}", (lambda x0=x0: sim().custom_quadratic([[1.0, 1.0]], [[0.0, 0.0]],
                                                                                          x0=x0)), "error"))
    for spec in (None, 3, "", "nope", "quadratic:mu=abc", b"quadratic"):
        API.append((f"problem_from_spec {spec!r}", (lambda spec=spec: sim().problem_from_spec(spec, 4, 2)), "error"))
    for d, n in (("4", 2), (4, "2"), (0, 2), (4, 0), (-1, 1), (2.5, 1), (None, 1)):
        API.append((f"problem_from_spec d={d!r} n={n!r}", (lambda d=d, n=n: sim().problem_from_spec("quadratic:mu=1", d, n)),
                    "error"))
    for spec, sigma, batch in (("gaussian", -1, 1), ("gaussian", "x", 1), ("gaussian", 1, 0), ("nope", 1, 1),
                               (None, 1, 1), ("gaussian", [1, math.nan], 1), ("gaussian", 1, 1.5)):
        API.append((f"noise_from_spec {spec!r} {sigma!r} {batch!r}",
                    (lambda spec=spec, sigma=sigma, batch=batch: sim().noise_from_spec(spec, sigma, batch)), "error"))

    def q():
        return sim().problem_from_spec("quadratic:mu=1,L=1", 4, 2)

    def n():
        return sim().noise_from_spec("gaussian", 1.0)

    for kw in ({"eta": -1}, {"eta": "abc"}, {"eta": math.nan}, {"steps": 0}, {"steps": 2.5}, {"steps": "10"},
               {"replicas": 0}, {"replicas": -3}, {"compressor": 3}, {"compressor": "nosuch"},
               {"confidence": 1.5}, {"confidence": "x"}, {"points": 1}, {"seed": -1}, {"seed": "abc"},
               {"backend": "tpu"}, {"burn_in": -1}, {"ell": "Z", "bound": True}):
        args = {"eta": 0.01, "steps": 5, "replicas": 2, **kw}
        API.append((f"simulate {kw!r}", (lambda args=args: sim().simulate("dsgd" if "compressor" not in args else "dcsgd",
                                                                          q(), n(), **args)), "error"))
    API.append(("simulate method None", lambda: sim().simulate(None, q(), n(), eta=0.01, steps=5, replicas=2), "error"))
    API.append(("simulate method 3", lambda: sim().simulate(3, q(), n(), eta=0.01, steps=5, replicas=2), "error"))
    API.append(("simulate problem str", lambda: sim().simulate("dsgd", "quadratic", n(), eta=0.01, steps=5, replicas=2),
                "error"))
    API.append(("simulate noise str", lambda: sim().simulate("dsgd", q(), "gaussian", eta=0.01, steps=5, replicas=2),
                "error"))
    API.append(("simulate too big", lambda: sim().simulate("dsgd", q(), n(), eta=0.01, steps=10**12, replicas=2), "error"))

    # compressors
    from theorylab import compressors as C

    for spec in (None, 3, "", "randk", "randk:k=0", "randk:k=x", "nosuch", "induced(", "randk:k=1,k=2", b"randk:k=1"):
        API.append((f"from_spec {spec!r}", (lambda spec=spec: C.from_spec(spec)), "error"))
    for spec in (None, "", "comps_missing.py:f", "nosuchmodule_xyz:f"):
        API.append((f"load_user_compressor {spec!r}", (lambda spec=spec: C.load_user_compressor(spec)), "error"))

    # the kit
    from theorylab.testing import check_compressor

    rk = C.from_spec("randk:k=2")
    for kw in ({"omega": "one"}, {"omega": -1}, {"omega": math.nan}, {"delta": 0}, {"delta": "x"},
               {"unbiased": "yes"}, {"unbiased": 1}, {"false_alarm": 0}, {"false_alarm": "x"}, {"seed": -1},
               {"n_draws": 3}, {"n_draws": "many"}, {"dtype": "int8"}, {"layout": "diagonal"},
               {"framework": "jax"}, {"search": "yes"}, {"claims": ["nope"]}, {"claims": "omega"},
               {"inputs": [[1.0]]}, {"n_pilot": 1}):
        API.append((f"check_compressor {kw!r}", (lambda kw=kw: check_compressor(rk, 8, **kw)), "error"))
    for d in (0, -1, "8", 2.5, None, 10**9):
        API.append((f"check_compressor d={d!r}", (lambda d=d: check_compressor(rk, d)), "error"))
    for c in (None, 3, "randk:k=2x", [1, 2]):
        API.append((f"check_compressor C={c!r}", (lambda c=c: check_compressor(c, 8)), "error"))

    # symbolic
    from theorylab import symbolic as S

    for name, ell in (("nosuch", "A"), (None, "A"), ("dcsgd", "B"), ("dsignsgd", "Z"), (3, "A"), ("dcsgd", 3)):
        API.append((f"get_bound {name!r} ell={ell!r}", (lambda name=name, ell=ell: S.get_bound(name, ell=ell)), "error"))
    for kw in ({"sigma": True}, {"eta": "abc"}, {"nosuch": 1}, {"eta": math.nan}, {"eta": -1}, {"d": 2.5},
               {"eta": [1, 2]}, {"eta": None}, {"omega": -3}):
        API.append((f"Bound.evaluate {kw!r}", (lambda kw=kw: S.get_bound("dcsgd").evaluate(
            **{"eta": 0.01, "L": 1, "mu": 1, "d": 4, "N": 2, "B": 1, "sigma": 1, "omega": 1, "t": "inf",
               **kw})), "error"))
    for kw in ({"omega": -3}, {"eta": "abc"}, {"nosuch": 1}, {"d": 2.5}):
        API.append((f"Bound.subs {kw!r}", (lambda kw=kw: S.get_bound("dcsgd").subs(kw)), "error"))
    for name, agents in (("nosuch", None), ("dcsgd", 0), ("dcsgd", -1), ("dcsgd", "3"), ("dcsgd", 10**6)):
        API.append((f"get_sde {name!r} agents={agents!r}", (lambda name=name, agents=agents: S.get_sde(name, agents=agents)),
                    "error"))
    for v in ("abc", "x+", None, [1], math.nan, "nan", "__import__('os')", ""):
        API.append((f"parse_value {v!r}", (lambda v=v: S.parse_value(v)), "error"))

    # claims
    from theorylab import claims as K

    API.append(("combine 'x', [None]", lambda: K.combine("x", [None]), "error"))
    API.append(("combine 'x', {'a': None}", lambda: K.combine("x", {"a": None}), "error"))
    API.append(("combine 3, {}", lambda: K.combine(3, {}), "error"))
    xs, ys = np.array([1.0, 2.0, 4.0, 8.0]), np.array([1.0, 0.5, 0.25, 0.125])
    for kw in ({"claimed": "abc"}, {"claimed": None}, {"claimed": math.nan}, {"tol": -1}, {"tol": "x"},
               {"confidence": 2}):
        args = {"claimed": -1.0, "tol": 0.1, **kw}
        API.append((f"rate {kw!r}", (lambda args=args: K.rate(xs, ys, **args)), "error"))
    API.append(("rate x str", lambda: K.rate("abc", ys, claimed=-1.0, tol=0.1), "error"))
    API.append(("rate shapes", lambda: K.rate(xs, ys[:2], claimed=-1.0, tol=0.1), "error"))
    API.append(("rate negative x", lambda: K.rate(-xs, ys, claimed=-1.0, tol=0.1), "error"))
    API.append(("identity 'x', 3-args", lambda: K.identity("x", "y", symbols={"x": 3}), "error"))
    API.append(("inequality bad op", lambda: K.inequality("x", "=<", "1"), "error"))
    # a visible verdict, never "proved": inconclusive, saying the assumptions are contradictory (vacuous)
    API.append(("contradictory assumptions", lambda: K.inequality("x", ">=", "5", assumptions=["x < 1", "x > 2"]),
                "inconclusive"))
    API.append(("read_libsvm binary", lambda: sim().read_libsvm("binary.svm"), "error"))
    API.append(("read_libsvm dir", lambda: sim().read_libsvm("adir"), "error"))
    API.append(("logistic libsvm binary", lambda: sim().logistic_regression(2, libsvm="binary.svm"), "error"))

    # sweep store
    from theorylab.sweep import Store, parse_spec

    API.append(("Store('/nonexistent').read()", lambda: Store("/nonexistent/xyz").read(), "error"))
    API.append(("parse_spec None", lambda: parse_spec(None), "error"))
    API.append(("parse_spec bytes", lambda: parse_spec(b"method='dsgd'"), "error"))


_add_api()


# ----------------------------------------------------------------------------- running a case
class _Late(BaseException):
    pass


@contextlib.contextmanager
def _limit(seconds: float):
    def fire(signum, frame):
        raise _Late

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv: list[str], codes: tuple[int, ...]) -> str | None:
    """None when the case ends cleanly, else what went wrong."""
    from theorylab.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with _limit(LIMIT_S), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(argv)
    except _Late:
        return f"ran past {LIMIT_S} s"
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException as exc:  # noqa: BLE001 - what escaped main() is the finding
        return f"escaped main(): {type(exc).__name__}: {exc}"[:300]
    text = err.getvalue()
    if "Traceback" in text:
        return "traceback: " + text[-300:]
    if "internal error" in text:
        return text.strip()[:300]
    if code not in codes:
        return f"exit {code}, expected {codes}; stderr {text.strip()[:200]!r}; stdout {out.getvalue()[:100]!r}"
    if code == 2 and argv and not any(line.startswith("theorylab") and "error" in line for line in text.splitlines()):
        if not (not argv[1:] and "usage" in (out.getvalue() + text).lower()):
            return f"exit 2 without a one-line error: {text.strip()[:200]!r}"
    return None


def run_api(f: Callable[[], Any], expected: str) -> str | None:
    from theorylab.errors import TheorylabError

    try:
        with _limit(LIMIT_S), warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("always")
            out = f()
    except _Late:
        return f"ran past {LIMIT_S} s"
    except TheorylabError:
        return None
    except BaseException as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"[:300]
    if expected == "warn" and any(issubclass(w.category, UserWarning) for w in caught):
        return None
    if expected == "inconclusive" and getattr(out, "status", None) == "inconclusive" \
            and "contradictory" in str(getattr(out, "found", "")):
        return None
    return "accepted silently"


def main() -> int:
    import tempfile

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        write_user_files(tmp)
        bad = []
        try:
            for name, argv, codes in CLI:
                r = run_cli(argv, codes)
                if r:
                    bad.append((name, r))
            n_cli_bad = len(bad)
            for name, f, expected in API:
                r = run_api(f, expected)
                if r:
                    bad.append((name, r))
        finally:
            os.chdir(here)
    for name, r in bad:
        print(f"NOT CLEAN {name}: {' '.join(r.split())[:220]}")
    total = len(CLI) + len(API)
    print(f"{total} bad inputs ({len(CLI)} CLI, {len(API)} API): {total - len(bad)} clean "
          f"(CLI {len(CLI) - n_cli_bad}/{len(CLI)}, API {len(API) - (len(bad) - n_cli_bad)}/{len(API)})")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
