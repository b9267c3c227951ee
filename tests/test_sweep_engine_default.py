"""Sweeps: cells the exact engine covers run on it by default (``engine = "auto"``); the rest
sample; ``familywise`` corrects the Monte Carlo cells' confidence (Bonferroni) and the sweep
states its family-wise false-alarm rate."""

from __future__ import annotations

import pytest

from theorylab.errors import SpecError
from theorylab.sweep import parse_spec
from theorylab.sweep.report import familywise_note

SPEC = '''
method = "dcsgd"
[fixed]
compressor = "randk:k=5"
steps = 50
replicas = 20
bound = true
[grid]
problem = ["quadratic:mu=1,L=1", "sinpl"]
eta = [0.01, 0.02]
'''


def test_auto_is_exact_where_covered() -> None:
    spec = parse_spec(SPEC)
    engines = {(c.params["problem"], c.params["engine"]) for c in spec.cells}
    assert engines == {("quadratic:mu=1,L=1", "exact"), ("sinpl", "montecarlo")}
    for c in spec.cells:  # the exact cells do not carry the Monte Carlo options
        assert ("--replicas" in c.argv) == (c.params["engine"] == "montecarlo")


def test_explicit_engine_is_kept() -> None:
    spec = parse_spec('engine = "montecarlo"\n' + SPEC)
    assert {c.params["engine"] for c in spec.cells} == {"montecarlo"}


def test_familywise_corrects_and_is_stated() -> None:
    spec = parse_spec('engine = "montecarlo"\nfamilywise = 0.05\n' + SPEC)
    confs = {c.params["confidence"] for c in spec.cells}
    assert len(confs) == 1 and confs.pop() == pytest.approx(1 - 0.05 / 4)
    note = familywise_note([c.params for c in spec.cells])
    assert "4 Monte Carlo cell(s)" in note and "<= 0.05" in note
    plain = familywise_note([c.params for c in parse_spec('engine = "montecarlo"\n' + SPEC).cells])
    assert "<= 0.2" in plain and "familywise = 0.05" in plain  # 4 cells at 95% each: up to 20%


@pytest.mark.parametrize("bad", ["familywise = 1.5", "familywise = true", "familywise = 'x'"])
def test_familywise_bad(bad) -> None:
    with pytest.raises(SpecError, match="familywise"):
        parse_spec(bad + "\n" + SPEC)


def test_familywise_with_confidence_is_refused() -> None:
    with pytest.raises(SpecError, match="drop `confidence`"):
        parse_spec("familywise = 0.05\n" + SPEC.replace("bound = true", "bound = true\nconfidence = 0.9"))
