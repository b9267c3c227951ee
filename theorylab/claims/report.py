"""Render check results as a plain-text table, Markdown or JSON.

Every format holds the same content: a table (id, source, method, verdict, time, key
numbers), then the refuted claims with claimed-vs-found and the counterexample, then
inconclusive ones with what they need, then errors, then the summary counts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidParameterError
from .runner import Result
from .status import STATUSES, Status
from .verdict import Verdict
from .verdict import plain as _plain

__all__ = ["summary", "summary_line", "render", "explain", "FORMATS", "format_numbers", "status_cell"]

FORMATS: tuple[str, ...] = ("text", "markdown", "json")


def summary(results: Sequence[Result], seconds: float | None = None) -> dict[str, Any]:
    counts = {s: sum(r.verdict.status == s for r in results) for s in STATUSES}
    out: dict[str, Any] = {"total": len(results), **counts}
    out["seconds"] = round(sum(r.seconds for r in results) if seconds is None else seconds, 2)
    return out


def _fmt_value(v: Any) -> str:
    v = _plain(v)
    if isinstance(v, float):
        if v == 0.0:
            return "0"
        if 1e-3 <= abs(v) < 1e5:
            return f"{v:.4g}"
        return f"{v:.3e}"
    if isinstance(v, (list, dict)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def format_numbers(numbers: Mapping[str, Any], limit: int = 70) -> str:
    """``k=v, k=v`` for the table, cut at ``limit`` characters."""
    text = ", ".join(f"{k}={_fmt_value(v)}" for k, v in numbers.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut(s: str, n: int) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def short_source(source: str) -> str:
    """A compact form of a source for the table (``Beznosikov et al. (2020), slide 'X'; docs/theory.md#a``
    → ``Beznosikov et al. (2020), X; theory.md#a``)."""
    s = source
    for a, b in (("poster ", ""), ("slides ", ""), ("slide ", ""), ("'", ""), ("docs/theory.md", "theory.md")):
        s = s.replace(a, b)
    return s


def status_cell(r: Result) -> str:
    """``REFUTED``/``ERROR`` in capitals; ``holds`` with its test, tolerance and false-alarm rate
    (``holds (one-sided, false alarm ≤ 1e-06)``)."""
    v = r.verdict
    if v.status in (Status.REFUTED, Status.ERROR):
        return str(v.status.value).upper()
    return v.label()


def _rows(results: Sequence[Result], width: Mapping[str, int] | None) -> list[list[str]]:
    w = width or {}
    rows = []
    for r in results:
        rows.append(
            [
                r.id,
                _cut(short_source(r.source), w.get("source", 10**6)),
                r.method,
                status_cell(r),
                f"{r.seconds:.2f}s",
                format_numbers(r.verdict.numbers, w.get("numbers", 10**6)),
            ]
        )
    return rows


HEADER = ["id", "source", "method", "verdict", "time", "key numbers"]


def _sections(results: Sequence[Result]) -> list[tuple[str, list[tuple[str, list[tuple[str, str]]]]]]:
    """(title, [(check id, [(field, text)])]) for refuted, inconclusive and error rows."""
    out = []
    ref = [r for r in results if r.verdict.status == "refuted"]
    if ref:
        out.append(
            (
                f"REFUTED CLAIMS ({len(ref)})",
                [
                    (
                        r.id,
                        [
                            ("source", r.source),
                            ("claimed", r.verdict.claimed),
                            ("found", r.verdict.found),
                            ("counterexample", _fmt_value(r.verdict.counterexample)),
                        ]
                        + ([("notes", r.verdict.notes)] if r.verdict.notes else []),
                    )
                    for r in ref
                ],
            )
        )
    inc = [r for r in results if r.verdict.status == "inconclusive"]
    if inc:
        out.append(
            (
                f"INCONCLUSIVE ({len(inc)})",
                [(r.id, [("claimed", r.verdict.claimed), ("found", r.verdict.found), ("needs", r.verdict.needs or "")]) for r in inc],
            )
        )
    err = [r for r in results if r.verdict.status == "error"]
    if err:
        out.append((f"ERRORS ({len(err)})", [(r.id, [("error", r.verdict.found)]) for r in err]))
    return out


def _summary_line(s: Mapping[str, Any], mode: str) -> str:
    parts = ", ".join(f"{s[k]} {k}" for k in STATUSES)
    return f"{s['total']} checks ({mode}): {parts}; {s['seconds']:.1f} s"


def summary_line(results: Sequence[Result], mode: str = "quick", seconds: float | None = None) -> str:
    """The one-line summary: ``N checks (mode): a proved, b holds, ...; s s``."""
    return _summary_line(summary(results, seconds), mode)


def render(results: Sequence[Result], fmt: str = "text", *, mode: str = "quick", seconds: float | None = None,
           wide: bool = False) -> str:
    """The report in ``fmt`` (``text``, ``markdown`` or ``json``); ``wide``: table cells are never cut."""
    s = summary(results, seconds)
    if fmt == "json":
        return json.dumps({"mode": mode, "summary": s, "results": [r.to_dict() for r in results]}, indent=2, default=str)
    if fmt == "markdown":
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        for row in _rows(results, None if wide else {"numbers": 120}):
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        for title, items in _sections(results):
            lines += ["", f"### {title.title() if title.startswith('INC') else title}", ""]
            for cid, fields in items:
                lines.append(f"- **{cid}**")
                for k, v in fields:
                    v = str(v).replace("\n", " ")
                    lines.append(f"  - {k}: {v}")
        lines += ["", f"**{_summary_line(s, mode)}**"]
        return "\n".join(lines) + "\n"
    if fmt != "text":
        raise InvalidParameterError(f"format must be one of {FORMATS}, got {fmt!r}")
    rows = _rows(results, None if wide else {"source": 40, "numbers": 70})
    widths = [max([len(HEADER[i])] + [len(r[i]) for r in rows]) for i in range(len(HEADER))]
    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip()
    out = [line(HEADER), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    for title, items in _sections(results):
        out += ["", "=" * len(title), title, "=" * len(title)]
        for cid, fields in items:
            out.append(f"* {cid}")
            for k, v in fields:
                text = str(v)
                first, *rest = text.splitlines() or [""]
                out.append(f"    {k}: {first}")
                out += [f"      {x}" for x in rest]
    if not wide and any(r[1].endswith("…") or r[5].endswith("…") for r in rows):
        out += ["", "(cells ending in … are cut: --wide prints them whole; --format json keeps every number)"]
    out += ["", _summary_line(s, mode)]
    return "\n".join(out) + "\n"



def _obligations(v: Verdict, method: str = "") -> list[tuple[str, str]]:
    """(field, text) rows of one verdict's proof obligations: engine, assumptions, domain conditions."""
    unstated = f"not stated (the check's method: {method})" if method else "not stated"
    # the fields, else what the claim helpers record in ``numbers`` ("engine", "assumptions used", ...)
    num = v.numbers
    engine = v.engine or str(num.get("engine") or "") or unstated
    used = "; ".join(v.assumptions_used) if v.assumptions_used else str(num.get("assumptions used") or "none stated")
    domain = "; ".join(v.domain_conditions) if v.domain_conditions else str(num.get("domain conditions") or "none")
    rows = [("engine", engine), ("assumptions used", used), ("domain conditions discharged", domain)]
    if v.counterexample is not None:
        rows.append(("counterexample", _fmt_value(v.counterexample)))
    if v.needs:
        rows.append(("needs", v.needs))
    return rows


def _steps(v: Verdict, prefix: str) -> list[tuple[str, str, Verdict]]:
    """``(number, name, verdict)`` for every part, depth first (``1``, ``1.1``, ...)."""
    out: list[tuple[str, str, Verdict]] = []
    for i, (name, part) in enumerate(v.parts.items(), 1):
        num = f"{prefix}{i}"
        out.append((num, name, part))
        out += _steps(part, num + ".")
    return out


def explain(item: Result | Verdict, fmt: str = "text") -> str:
    """The proof obligations of one check (``theorylab check --explain ID``): the verdict with its
    evidence, then each step (the parts of a joint verdict, depth first) with its status, what
    was claimed and found, the engine that decided it, the assumptions it used and the domain
    conditions it discharged. A verdict without parts is its own single step.

    ``fmt``: ``"text"`` or ``"markdown"``.
    """
    if fmt not in ("text", "markdown"):
        raise InvalidParameterError(f"--explain prints text or markdown, got format {fmt!r}")
    if isinstance(item, Result):
        v, head = item.verdict, [("check", item.id), ("source", item.source), ("statement", item.statement)]
        method = item.method
    else:
        v, head, method = item, [], ""
    head += [("verdict", v.label()), ("claimed", v.claimed), ("found", v.found)]
    steps = _steps(v, "") or [("1", "the claim itself", v)]
    md = fmt == "markdown"
    lines: list[str] = []
    for k, val in head:
        val = " ".join(str(val).split())
        lines.append(f"- **{k}**: {val}" if md else f"{k}: {val}")
    lines += ["", "### Steps" if md else f"steps ({len(steps)}):"]
    for num, name, part in steps:
        title = f"{num}. {name}: {part.label()}"
        lines.append(("- **" + title + "**") if md else "  " + title)
        fields = [("claimed", part.claimed), ("found", part.found)] + _obligations(part, method)
        for k, val in fields:
            val = " ".join(str(val).split())
            lines.append(f"  - {k}: {val}" if md else f"      {k}: {val}")
    return "\n".join(lines) + "\n"
