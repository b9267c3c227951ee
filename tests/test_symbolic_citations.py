"""Every source cites a paper and points into docs/theory.md, at an anchor that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from proofs_checks import discover, registry

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', (ROOT / "docs" / "theory.md").read_text(encoding="utf-8")))
PRIVATE = re.compile(r"MATH\.md|\bM §[0-9]|seeds?/|seed 00[0-9]")
PAPERS = ("Compagnoni", "Beznosikov", "Horváth & Richtárik", "Yuan", "Alistarh et al.", "McMahan et al.",
          "Karimireddy et al.", "Cheng et al.", "Lian et al.", "Koloskova et al.", "Mishchenko et al.", "Richtárik",
          "Gorbunov et al.", "Seide et al.",
          # performance estimation (docs/theory.md#pep)
          "Drori & Teboulle", "Taylor, Hendrickx & Glineur", "Goujaud et al.", "Lessard, Recht & Packard",
          "de Klerk, Glineur & Taylor")

discover()


def _sources() -> list[tuple[str, str]]:
    from theorylab.symbolic.bounds import get_bound
    from theorylab.symbolic.sde import get_sde

    out = [(c.id, c.source) for c in registry().values()]
    out += [(f"bound {n}", get_bound(n).source) for n in ("dcsgd", "dsignsgd")]
    out += [(f"sde {n}", get_sde(n).source) for n in ("dcsgd", "dsignsgd")]
    return out


def test_anchor_set_is_not_empty() -> None:
    assert {"compressor-classes", "pl-bounds", "sdes", "xi", "lecture-rates", "descent-chain"} <= ANCHORS


@pytest.mark.parametrize(("name", "source"), _sources())
def test_source_cites_a_paper_and_an_existing_anchor(name: str, source: str) -> None:
    assert not PRIVATE.search(source), f"{name}: private reference in {source!r}"
    assert any(p in source for p in PAPERS), f"{name}: no paper cited in {source!r}"
    cited = re.findall(r"docs/theory\.md#([a-z0-9-]+)", source)
    assert cited, f"{name}: no docs/theory.md anchor in {source!r}"
    assert set(cited) <= ANCHORS, f"{name}: unknown anchor(s) {set(cited) - ANCHORS}"


def test_repository_text_has_no_private_references() -> None:
    """theorylab/, proofs_checks/, notebooks/, docs/ and README.md cite papers, never the private notes."""
    bad = []
    for folder in ("theorylab", "proofs_checks", "notebooks", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".md", ".ipynb") and PRIVATE.search(path.read_text(encoding="utf-8")):
                bad.append(str(path.relative_to(ROOT)))
    if PRIVATE.search((ROOT / "README.md").read_text(encoding="utf-8")):
        bad.append("README.md")
    assert not bad, bad
