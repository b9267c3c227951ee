"""One Experiment shared by the library, ``theorylab simulate`` and ``theorylab sweep``.

The same experiment built from CLI flags, from a sweep's TOML and from ``to_dict`` is equal, has
the same ``key()`` and gives bit-identical results for a fixed seed (every method, both engines);
a bad experiment gives the same one-line error in Python, on the command line and in a spec.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from theorylab.cli.main import build_parser, main
from theorylab.errors import InvalidParameterError, SpecError, TheorylabError
from theorylab.simulate import Experiment, field_table
from theorylab.simulate.algorithms import ALGORITHMS
from theorylab.simulate.experiment import EXPERIMENT_FIELDS
from theorylab.sweep import parse_spec
from theorylab.sweep.run import run_cell

SMALL = {"dim": 3, "agents": 2, "steps": 30, "points": 10, "eta": 0.05}
MC_METHODS = sorted({a.name for a in ALGORITHMS.values()})
EXACT_METHODS = ["dsgd", "psgd", "dcsgd", "diana", "ef14", "ef21", "fedavg", "scaffold", "gossip-sgd"]


def _experiment(method: str, engine: str) -> Experiment:
    kw: dict = {"method": method, "engine": engine, **SMALL}
    if ALGORITHMS[method].compressor == "required":
        kw["compressor"] = "randk:k=1"
    if engine == "montecarlo":
        kw.update(replicas=4, seed=11, bound=method in ("dsgd", "dcsgd", "dsignsgd"))
    else:
        kw.update(bound=method in ("dsgd", "dcsgd"))
    opts = {"fedavg": {"local_steps": 2}, "scaffold": {"local_steps": 2}, "diana": {"alpha": 0.5},
            "gossip-sgd": {"topology": "ring"}, "marina": {"p": 0.5}, "fedavg-m": {"momentum": 0.5}}
    kw.update(opts.get(method, {}))
    return Experiment(**kw)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def _toml(values: dict, engine: str = "montecarlo") -> str:
    lines = [f"engine = {json.dumps(engine)}", "[fixed]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in values.items() if k not in ("seed", "engine")]
    return "\n".join(lines) + "\n"


def _argv(values: dict) -> list[str]:
    """Flags of ``values`` spelled as a user types them (``theorylab simulate METHOD --flag text``)."""
    argv = [values["method"]]
    for k, v in values.items():
        if k == "method":
            continue
        flag = EXPERIMENT_FIELDS[k].metadata["flag"]
        if isinstance(v, bool):
            argv += [flag] if v else []
        else:
            argv += [flag, ",".join(str(x) for x in v) if isinstance(v, list) else str(v)]
    return argv


def _strip(doc):
    """A result without its wall-clock times (the only field that may differ between two runs)."""
    if isinstance(doc, dict):
        return {k: _strip(v) for k, v in doc.items() if k != "wall_time_s"}
    if isinstance(doc, list):
        return [_strip(v) for v in doc]
    return doc


def _cli_json(capsys, argv: list[str]) -> dict:
    assert main(["simulate", *argv, "--format", "json", "--no-progress"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


CASES = [(m, "montecarlo") for m in MC_METHODS] + [(m, "exact") for m in EXACT_METHODS]


@pytest.mark.parametrize("method, engine", CASES, ids=[f"{m}-{e}" for m, e in CASES])
def test_one_experiment_through_flags_toml_and_dict(capsys, method: str, engine: str) -> None:
    exp = _experiment(method, engine)
    # to_dict / from_dict
    back = Experiment.from_dict(json.loads(json.dumps(exp.to_dict())))
    assert back == exp and back.key() == exp.key()
    # command-line flags (the parser of `theorylab simulate`)
    from theorylab.cli.simulate import experiment as from_flags

    ns = build_parser().parse_args(["simulate", *exp.to_argv()])
    assert from_flags(ns) == exp and from_flags(ns).key() == exp.key()
    # a sweep spec: same fields; the seed is the cell's (derived from the base seed)
    spec = parse_spec(_toml(exp.given(), engine), source="s.toml")
    (cell,) = spec.cells
    assert cell.experiment == exp.replace(seed=cell.seed)
    ns_cell = build_parser().parse_args(["simulate", *cell.argv])
    assert from_flags(ns_cell) == cell.experiment and from_flags(ns_cell).key() == cell.experiment.key()
    # bit-identical results: the library, the CLI and the sweep's task
    lib = _strip(exp.result())
    assert lib == _strip(back.result()) == _strip(_cli_json(capsys, exp.to_argv()))
    row = run_cell(cell.task)
    assert row["status"] == "done", row
    cli_cell = _cli_json(capsys, list(cell.argv))
    assert row["level"] == cli_cell["stationary"]["value"]
    assert _strip(json.loads(row["result"])) == _strip(_strip_curves_like_store(cli_cell))


def _strip_curves_like_store(doc: dict) -> dict:
    from theorylab.sweep.run import _strip_curves

    return json.loads(json.dumps(_strip_curves(doc), sort_keys=True))


def test_seed_changes_the_result_and_the_key() -> None:
    """Planted bug for the comparisons above: another seed gives another key and other numbers."""
    exp = _experiment("dcsgd", "montecarlo")
    other = exp.replace(seed=exp.seed + 1)
    assert other.key() != exp.key()
    assert exp.result()["stationary"]["value"] != other.result()["stationary"]["value"]


def test_values_are_read_and_normalised() -> None:
    a = Experiment("dcsgd", compressor="randk:k=2", dim=4.0, eta="0.01", sigma=1, burn_in="0.5", engine="mc")
    b = Experiment.from_dict({"method": "dcsgd", "compressor": "randk:k=2", "dim": "4", "eta": 1e-2,
                              "sigma": [1.0], "burn-in": 0.5})
    assert a == b and a.key() == b.key() and a.dim == 4 and a.sigma == (1.0,) and a.engine == "montecarlo"
    assert a.given() == {"method": "dcsgd", "compressor": "randk:k=2", "dim": 4, "burn_in": 0.5}
    assert Experiment("dsgd", burn_in=100).burn_in == 100 and isinstance(Experiment("dsgd", burn_in=100.0).burn_in, int)
    assert a.key() != a.replace(eta=0.02).key()
    with pytest.raises(InvalidParameterError, match="unknown experiment field `dimm`"):
        Experiment.from_dict({"method": "dsgd", "dimm": 3})
    with pytest.raises(InvalidParameterError, match="needs a method"):
        Experiment.from_dict({"dim": 3})


# ---------------------------------------------------------------- the same error everywhere
BAD = [
    ({"method": "dsgd", "dim": 0}, "--dim must be a positive integer, got 0"),
    ({"method": "dsgd", "eta": "fast"}, "--eta must be a number, got fast"),
    ({"method": "dsgd", "eta": -1}, "--eta must be a finite number > 0, got -1"),
    ({"method": "dsgd", "confidence": 1.5}, "--confidence must be in (0, 1), got 1.5"),
    ({"method": "dsgd", "sigma": [1, -1]}, "--sigma values must be finite and >= 0, got 1,-1"),
    ({"method": "dsgd", "burn_in": 1.5}, "--burn-in must be a number of steps"),
    ({"method": "dsgd", "gossip": "both"}, "--gossip must be one of cta, atc, got both"),
    ({"method": "dsgd", "local_steps": 2}, "--local-steps does not apply to dsgd (it takes no method options)"),
    ({"method": "fedavg", "alpha": 0.5}, "--alpha does not apply to fedavg"),
    ({"method": "dsgd", "ell": "B"}, "--ell applies to dsignsgd with --bound"),
    ({"method": "dsignsgd", "bound": True, "radius": 2}, "--radius applies to --ell B"),
    ({"method": "dsgd", "scheme": "richardson"}, "--scheme applies to the SDE: add --sde, or drop --scheme"),
    ({"method": "nosuchmethod"}, "unknown method 'nosuchmethod'"),
    ({"method": "dsgd", "problem": "quadratic:mu=2,L=1"}, "mu <= L"),
    ({"method": "dsgd", "noise": "laplace"}, "unknown noise 'laplace'"),
    ({"method": "dsgd", "sigma": [1, 2, 3], "agents": 2}, "sigma has 3 per-agent values but there are 2 agents"),
    ({"method": "dcsgd"}, "dcsgd needs --compressor"),
    ({"method": "dsgd", "compressor": "randk:k=1"}, "dsgd takes no --compressor"),
    ({"method": "dcsgd", "compressor": "randkk:k=2"}, "unknown compressor 'randkk'"),
    ({"method": "dsgd", "masks": "shared"}, "--masks and --rational apply to --engine exact only"),
    # bound to fail at run time, caught up front
    ({"method": "dcsgd", "compressor": "randk:k=9", "dim": 4}, "k = 9 must be <= d = 4"),
    ({"method": "dsgd", "steps": 50, "burn_in": 50}, "--burn-in 50 must be < --steps 50"),
    ({"method": "dsignsgd", "engine": "exact"}, "the exact engine covers"),
    ({"method": "marina", "compressor": "randk:k=1", "engine": "exact"}, "the exact engine covers"),
    ({"method": "dsgd", "engine": "exact", "replicas": 10}, "--replicas applies to the Monte Carlo engine"),
    ({"method": "scaffold", "engine": "exact", "participation": 1},
     "--participation: the exact engine's scaffold does not take it"),
]


def _cupy_case():
    from theorylab.backend import cupy_available

    return [] if cupy_available() else [({"method": "dsgd", "backend": "cupy"}, "backend='cupy' was asked for")]


@pytest.mark.parametrize("values, message", BAD + _cupy_case(), ids=[m[:30] for _, m in BAD + _cupy_case()])
def test_a_bad_experiment_is_the_same_one_line_error_everywhere(capsys, values: dict, message: str) -> None:
    # Python
    with pytest.raises(TheorylabError) as exc:
        Experiment.from_dict(values).validate()
    py = str(exc.value)
    assert message in py and "\n" not in py, py
    # the command line
    assert main(["simulate", *_argv(values)]) == 2
    err = capsys.readouterr().err
    assert err == f"theorylab: error: {py}\n", err
    # a sweep spec (engine at the top, the rest in [fixed])
    rest = {k: v for k, v in values.items() if k != "engine"}
    with pytest.raises(SpecError) as sexc:
        parse_spec(_toml(rest, values.get("engine", "montecarlo")), source="s.toml")
    assert str(sexc.value) == f"s.toml: cell 1 (): {py}", str(sexc.value)


def test_the_spec_check_is_what_rejects_a_cell_bound_to_fail(monkeypatch) -> None:
    """Planted bug: without Experiment.validate, the sweep would accept a cell that fails on a worker."""
    import theorylab.sweep.spec as sp

    text = _toml({"method": "dcsgd", "compressor": "randk:k=9", "dim": 4})
    with pytest.raises(SpecError, match="k = 9 must be <= d = 4"):
        parse_spec(text)
    monkeypatch.setattr(sp, "_validate", lambda cell: None)
    (cell,) = parse_spec(text).cells
    assert run_cell(cell.task)["status"] == "failed"


# ---------------------------------------------------------------- the one table of fields
ROOT = Path(__file__).resolve().parents[1]
_TABLE = re.compile(r"<!-- experiment-fields:begin -->\n(.*?)<!-- experiment-fields:end -->", re.S)


@pytest.mark.parametrize("doc", ["README.md", "docs/sweeps.md"])
def test_docs_hold_the_generated_field_table(doc: str) -> None:
    """README.md and docs/sweeps.md show field_table() as it is (regenerate with
    ``python -c "from theorylab.simulate import field_table; print(field_table())"``)."""
    m = _TABLE.search((ROOT / doc).read_text())
    assert m is not None, f"{doc} has no experiment-fields table"
    assert m.group(1) == field_table(), f"{doc}: the table of experiment fields is stale; paste field_table()"


def test_field_table_lists_every_field_and_the_methods_that_take_an_option() -> None:
    table = field_table()
    for name in EXPERIMENT_FIELDS:
        assert f"| `{name}` |" in table
    row = next(r for r in table.splitlines() if r.startswith("| `local_steps` |"))
    assert "fedavg" in row and "scaffold" in row and "dsgd" not in row
    # planted bug: a field without its flag in the metadata would break the CLI and the table
    assert all(f.metadata.get("flag") for f in EXPERIMENT_FIELDS.values())
