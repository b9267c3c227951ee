"""Compressor-class algebra (Beznosikov et al.), rendering, regenerate and the remaining CLI commands."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from theorylab.cli.main import main as cli_main
from theorylab.symbolic import render, to_document
from theorylab.symbolic.classes import (
    B1,
    B2,
    B3,
    U,
    Conversion,
    cgd_complexity,
    class_facts,
    class_tables,
    conversion_results,
    rand_k,
    random_scaling,
    top_k,
    verify_conversion,
)
from theorylab.symbolic.render import regenerate

EXPECTED = {
    "B1 -> B1 (scaling)": "proved",
    "B1 -> B2": "refuted",
    "B1 -> B3": "proved",
    "B2 -> B1": "proved",
    "B2 -> B2 (scaling)": "proved",
    "B2 -> B3": "proved",
    "B3 -> B1": "proved",
    "B3 -> B2": "proved",
    "U -> B1": "proved",
    "U -> B2": "proved",
    "U -> B3": "refuted",
    "U -> C": "proved",
}


def test_seed_conversion_table_verdicts() -> None:
    got = {r.conversion.label: r.verdict for r in conversion_results()}
    assert got == EXPECTED
    for r in conversion_results():
        if r.verdict == "refuted":  # each refuted entry has a proved correction
            assert r.corrected is not None and r.corrected.verdict == "proved"


def test_wrong_certificate_is_not_accepted() -> None:
    """A certificate that does not add up, or a false claim, is never reported as proved."""
    a, b = sp.symbols("alpha beta", positive=True)
    bad = Conversion("bad", B1(a, b), sp.S.One, B2(a, b**2), "C in B2(alpha, beta^2)",
                     certificate={"lower": [(1 / b, "lower")], "upper": [(1 / b**2, "upper")]})
    assert verify_conversion(bad).verdict == "unverified"
    # a "counterexample" that is in fact in the target class is rejected
    ok_claim = Conversion("ok", B1(a, b), sp.S.One, B2(a / b, b), "", counterexample=({a: 4, b: 2},
                          random_scaling([2]), (1, 0)))
    assert verify_conversion(ok_claim).verdict == "unverified"


def test_counterexample_compressors_exact() -> None:
    assert rand_k(2, 1).member(U(2))[0]
    assert not rand_k(2, 1).member(U(sp.Rational(3, 2)))[0]
    assert random_scaling([2]).member(B1(4, 2))[0]
    assert random_scaling([0, 2]).member(U(2))[0]  # Bernoulli(1/2)/(1/2): unbiased, E||C||^2 = 2||x||^2
    assert top_k(3, 1).violation(B3(3), (1, 2, -2)) is None
    assert top_k(3, 1).violation(B3(sp.Rational(3, 2)), (1, 1, 1)) is not None


def test_cgd_complexities_match_seed() -> None:
    res = cgd_complexity()
    assert len(res) == 4 and all(r.matches_seed and r.certificate_ok for r in res)


def test_class_facts() -> None:
    assert all(ok for _, _, ok in class_facts())


@pytest.mark.parametrize("fmt", ["latex", "markdown", "text", "json"])
def test_every_table_renders(fmt: str) -> None:
    for tb in class_tables():
        out = render(tb, fmt)
        assert "refuted" in out or tb.name != "classes_conversions"
    if fmt == "json":
        doc = json.loads(render(class_tables()[0], "json"))
        assert doc["data"]["verdicts"] == EXPECTED


def test_render_metadata_has_symbols_and_assumptions() -> None:
    from theorylab.symbolic import get_bound

    doc = json.loads(render(get_bound("dcsgd"), "json"))
    assert {"eta", "L", "mu", "d", "N", "sigma", "B", "omega", "t", "gap0"} <= set(doc["symbols"])
    assert doc["symbols"]["gap0"]["meaning"].startswith("initial optimality gap")
    assert "Delta > 0" in [a["name"] for a in doc["assumptions"]]
    assert to_document(get_bound("dcsgd")).kind == "bound"


def test_regenerate_is_deterministic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = regenerate(tmp_path / "a")
    b = regenerate(tmp_path / "b")
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    names = {p.name for p in a}
    for stem in ("bound_dcsgd", "sde_dcsgd", "derivation_theorem3", "rules_dcsgd", "classes_conversions"):
        assert {f"{stem}.tex", f"{stem}.md", f"{stem}.json"} <= names


@pytest.mark.parametrize(
    "argv",
    [["rules", "dcsgd", "--format", "markdown"], ["rules", "dsignsgd", "--format", "json"],
     ["rules", "dcsgd", "--exact"], ["classes", "--format", "latex"], ["classes", "--format", "json"]],
)
def test_cli_rules_classes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(argv) == 0
    assert capsys.readouterr().out.strip()


def test_cli_regenerate(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert cli_main(["regenerate", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "rules_dcsgd.md").exists() and (tmp_path / "index.json").exists()
