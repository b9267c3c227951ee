"""`theorylab simulate ... --engine exact`: the Monte Carlo text and JSON shape, exact values, clear errors."""

from __future__ import annotations

import json

import pytest

from theorylab.cli.main import main
from theorylab.simulate.exact.closed_forms import exact_discrete_level


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        rc = main(["simulate", *argv])
    except SystemExit as exc:
        rc = exc.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_json_has_the_monte_carlo_shape_and_the_exact_level(capsys) -> None:
    common = ("dcsgd", "--compressor", "randk:k=5", "--steps", "300", "--format", "json", "--bound", "--points", "20")
    rc, out, _ = _run(capsys, *common, "--engine", "exact", "--sde")
    assert rc == 0
    ex = json.loads(out)
    rc, out, _ = _run(capsys, *common, "--replicas", "5", "--sde")
    mc = json.loads(out)
    assert set(ex) == set(mc)
    assert set(ex["stationary"]) == set(mc["stationary"]) and set(ex["curve"]) == set(mc["curve"])
    st = ex["stationary"]
    assert st["lower"] == st["value"] == st["upper"] and st["method"] == "exact"
    assert st["value"] == pytest.approx(exact_discrete_level(20, 4, 0.01, 3.0, 1.0), rel=1e-12)
    # the optimizer's exact level is above Theorem 3 (which the SDE attains): violated, decided exactly
    assert ex["verdict"]["status"] == "refuted" and ex["verdict"]["ratio"] > 1
    assert ex["sde"]["stationary"]["value"] == pytest.approx(ex["bound"]["level"], rel=1e-12)
    assert ex["divergence"]["diverged"] is False and ex["divergence"]["spectral_radius"] == pytest.approx(0.99)


def test_text_and_rational(capsys) -> None:
    rc, out, _ = _run(capsys, "dsgd", "--dim", "4", "--agents", "2", "--eta", "0.1", "--steps", "50",
                      "--engine", "exact", "--rational")
    assert rc == 0 and "stationary level" in out and "exact" in out
    assert "exact stationary level 1/19" in out  # d η s2/(2N(2 − η)) = 4·(1/10)/(2·2·(19/10)) = 1/19


def test_divergence_reported_as_spectral_radius(capsys) -> None:
    rc, out, _ = _run(capsys, "dcsgd", "--compressor", "randk:k=1", "--eta", "1.5", "--steps", "20",
                      "--engine", "exact")
    assert rc == 0 and "diverge" in out and "spectral radius" in out


@pytest.mark.parametrize("argv, msg", [
    (["dcsgd", "--compressor", "topk:k=5"], "Top-k"),
    (["dcsgd", "--compressor", "qsgd:s=4"], "QSGD"),
    (["dsignsgd"], "sign"),
    (["dsgd", "--problem", "sinpl"], "quadratic"),
    (["dsgd", "--noise", "cauchy"], "finite noise variance"),
    (["dcsgd", "--compressor", "randk:k=2;randk:k=3;randk:k=2;randk:k=2", "--masks", "shared"], "same compressor"),
])
def test_outside_the_linear_class_is_a_one_line_error(capsys, argv, msg) -> None:
    rc, out, err = _run(capsys, *argv, "--steps", "5", "--engine", "exact")
    assert rc == 2 and msg in err and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_exact_only_options_are_rejected_for_monte_carlo(capsys) -> None:
    rc, _, err = _run(capsys, "dsgd", "--steps", "5", "--replicas", "2", "--rational")
    assert rc == 2 and "--engine exact" in err


def test_rational_bound_comparison_is_exact(capsys) -> None:
    """Rand-5, d = 20, N = 4, η = 1/100: level 40/793 against Theorem 3's 40/797 (the SDE's level)."""
    rc, out, _ = _run(capsys, "dcsgd", "--compressor", "randk:k=5", "--engine", "exact", "--rational", "--bound",
                      "--steps", "10")
    assert rc == 0 and "level 40/793 > Theorem 3" in out and "40/797" in out and "797/793" in out


@pytest.mark.parametrize("extra, named", [
    (["--replicas", "50"], "--replicas"),
    (["--burn-in", "0.5"], "--burn-in"),
    (["--confidence", "0.9"], "--confidence"),
    (["--backend", "auto"], "--backend"),
    (["--sde", "--scheme", "richardson"], "--scheme"),
])
def test_sampling_options_are_rejected_by_the_exact_engine(extra, named, capsys) -> None:
    """Options of the Monte Carlo engine are errors under --engine exact, not silently ignored."""
    from theorylab.cli.main import main

    rc = main(["simulate", "dsgd", "--dim", "4", "--agents", "2", "--steps", "20", "--engine", "exact", *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and named in err[0] and "Monte Carlo" in err[0], err
