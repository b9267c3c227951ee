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
    assert verify_conversion(bad).verdict == "inconclusive"
    # a "counterexample" that is in fact in the target class is rejected
    ok_claim = Conversion("ok", B1(a, b), sp.S.One, B2(a / b, b), "", counterexample=({a: 4, b: 2},
                          random_scaling([2]), (1, 0)))
    assert verify_conversion(ok_claim).verdict == "inconclusive"


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
    ("argv", "must_contain"),
    [(["rules", "dcsgd", "--format", "markdown"], ["CR ↑ ⇒ Agents ↑", "BS ↑ ⇒ LR ↑", "| yes |"]),
     (["rules", "dsignsgd", "--format", "json"], ['"kind"', "delta"]),
     (["rules", "dcsgd", "--exact"], ["alpha"]),
     (["classes", "--format", "latex"], ["\\begin{tabular}", "& refuted &", "B1(1/(4$\\delta ^2$), 2)"]),
     (["classes", "--format", "json"], ['"B1 -> B2": "refuted"', '"U -> B3": "refuted"', '"U -> C": "proved"'])],
)
def test_cli_rules_classes(argv: list[str], must_contain: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    for text in must_contain:
        assert text in out, text
    if argv[-1] == "json" and argv[0] == "classes":
        assert json.loads(out)[0]["data"]["verdicts"] == EXPECTED


def test_cli_regenerate(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert cli_main(["regenerate", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "rules_dcsgd.md").exists() and (tmp_path / "index.json").exists()


# ----------------------------------------------------------------------------- soundness of the certificates


def _unsound_b1_to_b2() -> Conversion:
    """Planted unsound certificate for the false entry B1(α, β) → B2(α, β²).

    Both identities hold, but the coefficients α(1 − β)/β and (β − 1)/β² have no fixed sign
    (they are negative for β > 1). A check that accepted a coefficient whenever sympy could not
    show it *negative* would report this false entry as proved.
    """
    a, b = sp.symbols("alpha beta", positive=True)
    return Conversion("B1 -> B2 (unsound)", B1(a, b), sp.S.One, B2(a, b**2), "C ∈ B2(α, β²)",
                      certificate={"lower": [(1 / b, "upper"), (1 / b, "lower"), (a * (1 - b) / b, "G")],
                                   "upper": [(1 / b, "upper"), ((b - 1) / b**2, "S")]})


def test_certificate_with_undetermined_sign_is_inconclusive() -> None:
    from theorylab.symbolic.classes import _check_certificate, _coef_nonneg

    conv = _unsound_b1_to_b2()
    a, b = sp.symbols("alpha beta", positive=True)
    # the identities add up: only the sign check stands between this certificate and "proved"
    assert _coef_nonneg(a * (1 - b) / b, [sp.Ge(b**2, a)]) is False
    assert _coef_nonneg((b - 1) / b**2, [sp.Ge(b**2, a)]) is False
    assert _coef_nonneg(1 / b, [sp.Ge(b**2, a)]) is True
    ok, detail = _check_certificate(conv)
    assert not ok and "step 'lower'" in detail and "not provably >= 0" in detail
    r = verify_conversion(conv)
    assert r.verdict == "inconclusive" and "alpha*(1 - beta)/beta" in r.detail


def test_unsound_certificate_through_the_check_is_inconclusive() -> None:
    from proofs_checks import discover, registry

    discover()
    conv = _unsound_b1_to_b2()
    v = registry()["beznosikov.class-conversions"].run("quick", labels=[conv.label], extra=[conv])
    assert v.status == "inconclusive" and "B1 -> B2 (unsound)" in v.needs and "not provably >= 0" in v.needs


def test_unsound_certificate_is_refuted_by_its_counterexample() -> None:
    """The entry the unsound certificate claims is false: C = 2x is in B1(4, 2) but not in B2(4, 4)."""
    assert random_scaling([2]).member(B1(4, 2))[0] is True
    assert random_scaling([2]).violation(B2(4, 4), (1, 0)) is not None


def test_member_is_undecided_not_true_when_a_sign_is_unknown() -> None:
    """Membership needs every eigenvalue signed by sympy; an unknown sign is None, never a member."""
    c = sp.Symbol("c", real=True)
    ok, why = random_scaling([c]).member(U(2))
    assert ok is not True


def test_topk_certificate_covers_every_x_and_rejects_a_wrong_constant() -> None:
    from theorylab.symbolic.classes import topk_certificate

    assert topk_certificate(3, 1)[0] and topk_certificate(4, 2)[0]
    ok, why = topk_certificate(3, 1, classes=(B1(sp.Rational(1, 2), 1),))  # k/d = 1/3 < 1/2: false
    assert not ok and "B1(1/2, 1)" in why


def test_cgd_certificate_signs_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CGD descent certificate is a proof only with its coefficients >= 0 at the chosen step."""
    from theorylab.symbolic import classes as cl

    monkeypatch.setattr(cl, "_coef_nonneg", lambda c, a: False)
    cl.cgd_complexity.cache_clear()
    try:
        assert not any(r.certificate_ok for r in cl.cgd_complexity())
    finally:
        monkeypatch.undo()
        cl.cgd_complexity.cache_clear()


def test_seed_conversions_are_defined_on_import() -> None:
    """``SEED_CONVERSIONS`` is the printed table as soon as the module is imported (it was () until
    conversion_results() ran)."""
    from theorylab.symbolic import classes as cl

    assert [c.label for c in cl.SEED_CONVERSIONS] == list(EXPECTED)


def test_certificate_term_of_undetermined_sign_is_refused() -> None:
    """A certificate term must be a manifestly non-negative combination of the slacks: a difference
    of slacks (sign unknown) is refused, a non-negative combination is accepted."""
    import sympy as sp

    from theorylab.errors import InvalidParameterError
    from theorylab.symbolic import classes as cl

    a, b = sp.symbols("a b")
    pool = {"lower": a, "upper": b}
    assert cl._term("2*lower + upper/3", pool) == 2 * a + b / 3
    for bad in ("lower - upper", "-lower", "lower*upper - 1"):
        with pytest.raises(InvalidParameterError, match="not a non-negative combination"):
            cl._term(bad, pool)
