"""Render every symbolic object as LaTeX, Markdown, plain text or JSON, and regenerate them all.

Each object (:class:`~theorylab.symbolic.sde.SDE`, :class:`~theorylab.symbolic.bounds.Bound`,
:class:`~theorylab.symbolic.derivations.Derivation`, :class:`~theorylab.symbolic.rules.RuleTable`,
:class:`~theorylab.symbolic.classes.ClassTable`) is first turned into a neutral
:class:`Document` (title, source, equations, steps, table, assumptions, notes, symbols), which
the four writers print. JSON holds expression strings (``sympy.sstr`` and LaTeX) plus the
metadata, with sorted keys: the output is deterministic, so a diff shows any change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..errors import InvalidParameterError
from .assumptions import Assumption
from .symbols import SYMBOLS

__all__ = ["Document", "FORMATS", "render", "to_document", "expr_latex", "expr_text", "regenerate", "register_renderer",
           "latex_standalone", "assumption_latex"]

FORMATS: tuple[str, ...] = ("latex", "markdown", "text", "json")
EXTENSIONS = {"latex": "tex", "markdown": "md", "json": "json", "text": "txt"}

Cell = Any  # a sympy expression or a string


@dataclass
class Document:
    """A format-neutral view of one object."""

    kind: str
    name: str
    title: str
    source: str
    equations: list[tuple[str, Cell]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)  # {"statement", "justification", "check"}
    table: tuple[list[str], list[list[Cell]]] | None = None
    assumptions: list[Assumption] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    notes_latex: list[str] = field(default_factory=list)  # LaTeX of each note (same order), or empty


# ----------------------------------------------------------------------------- expressions


def _latex_names(expr: sp.Basic) -> dict[sp.Symbol, str]:
    out = {}
    for s in getattr(expr, "free_symbols", set()):
        name = str(s)
        if name in SYMBOLS:
            out[s] = SYMBOLS[name].latex
        elif "_" in name and name.rsplit("_", 1)[0] in SYMBOLS and name.rsplit("_", 1)[1].isdigit():
            base, idx = name.rsplit("_", 1)
            out[s] = f"{SYMBOLS[base].latex}_{{{idx}}}"
    return out


class _PaperLatex(LatexPrinter):
    r"""sympy's LaTeX printer with the terms of a sum that carry a minus sign printed last, as a
    paper writes them: ``1 - \frac{L^2 \eta \omega}{2 N \mu}`` rather than
    ``- \frac{L^2 \eta \omega}{2 N \mu} + 1``; ``d - 1`` rather than ``-1 + d``."""

    def _as_ordered_terms(self, expr: sp.Basic, order: str | None = None) -> list[sp.Basic]:
        terms = super()._as_ordered_terms(expr, order=order)
        return sorted(terms, key=lambda term: bool(term.could_extract_minus_sign()))  # stable


def expr_latex(expr: Cell) -> str:
    """LaTeX of a sympy expression in paper notation (strings are escaped as text)."""
    if isinstance(expr, str):
        return r"\text{%s}" % expr.replace("_", r"\_")
    return _PaperLatex({"symbol_names": _latex_names(expr)}).doprint(expr)


def assumption_latex(a: Assumption) -> str:
    """An assumption as LaTeX text: its relation (with the definitions it uses) as mathematics,
    a hypothesis on ``f`` from its ``latex`` statement, else its statement escaped as text."""
    if a.latex is not None:
        return a.latex
    if a.relation is None:
        return _tex(a.statement)
    out = f"${expr_latex(a.relation)}$"
    defs = [f"${expr_latex(sp.Eq(k, v, evaluate=False))}$" for k, v in a.definitions.items()]
    return out + (", where " + ", ".join(defs) if defs else "")


def latex_standalone(body: str, title: str = "theorylab") -> str:
    """``body`` (the output of the LaTeX writer) as a complete document that ``pdflatex`` compiles."""
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\title{%s}" % _tex(title),
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        body.rstrip("\n"),
        r"\end{document}",
        "",
    ])


def expr_text(expr: Cell) -> str:
    """Plain-text (sympy ``sstr``) form."""
    if isinstance(expr, str):
        return expr
    return sp.sstr(expr)


def _symbols_of(doc: Document) -> dict[str, dict[str, str]]:
    found: set[str] = set()

    def visit(c: Cell) -> None:
        if isinstance(c, (sp.Basic, sp.MatrixBase)):
            found.update(str(s) for s in c.free_symbols)

    for _, e in doc.equations:
        visit(e)
    for st in doc.steps:
        visit(st.get("statement"))
    if doc.table is not None:
        for row in doc.table[1]:
            for c in row:
                visit(c)
    for a in doc.assumptions:
        if a.relation is not None:
            visit(a.relation)
    out: dict[str, dict[str, str]] = {}
    for name in sorted(found):
        if name in SYMBOLS:
            out[name] = SYMBOLS[name].as_dict()
        elif "_" in name and name.rsplit("_", 1)[0] in SYMBOLS and name.rsplit("_", 1)[1].isdigit():
            base, idx = name.rsplit("_", 1)
            info = SYMBOLS[base].as_dict()
            out[name] = {**info, "name": name, "meaning": f"{info['meaning']} (agent/coordinate {idx})"}
        else:
            out[name] = {"name": name, "meaning": "local symbol", "domain": "", "latex": expr_latex(sp.Symbol(name))}
    return out


# ----------------------------------------------------------------------------- writers


def _w_latex(doc: Document) -> str:
    lines = [f"% {doc.kind}: {doc.name} (generated by theorylab; do not edit)", r"\paragraph{%s}" % _tex(doc.title),
             r"Source: %s." % _tex(doc.source), ""]
    if doc.equations:
        lines.append(r"\begin{align*}")
        eqs = [r"  \text{%s}:&\quad %s" % (_tex(lbl), expr_latex(e)) for lbl, e in doc.equations]
        lines.append(" \\\\\n".join(eqs))
        lines.append(r"\end{align*}")
    if doc.steps:
        lines.append(r"\begin{enumerate}")
        for st in doc.steps:
            lines.append(r"  \item $%s$ \quad [%s; check: %s]" % (
                expr_latex(st["statement"]), _tex(st["justification"]), _tex(st["check"])))
        lines.append(r"\end{enumerate}")
    if doc.table is not None:
        headers, rows = doc.table
        lines.append(r"\begin{tabular}{%s}" % ("l" * len(headers)))
        lines.append(" & ".join(_tex(h) for h in headers) + r" \\ \hline")
        for row in rows:
            lines.append(" & ".join(_cell_tex(c) for c in row) + r" \\")
        lines.append(r"\end{tabular}")
    if doc.assumptions:
        lines.append(r"\noindent Assumptions:")
        lines.append(r"\begin{itemize}")
        for a in doc.assumptions:
            if a.relation is not None and a.latex is None:
                lines.append(r"  \item %s" % assumption_latex(a))
            else:
                lines.append(r"  \item \textbf{%s}: %s" % (_tex(a.name), assumption_latex(a)))
        lines.append(r"\end{itemize}")
    if doc.notes:
        lines.append(r"\noindent Notes:")
        lines.append(r"\begin{itemize}")
        latex_notes = doc.notes_latex if len(doc.notes_latex) == len(doc.notes) else [_tex(n) for n in doc.notes]
        lines.extend(r"  \item %s" % n for n in latex_notes)
        lines.append(r"\end{itemize}")
    return "\n".join(lines) + "\n"


_TEX = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "^": r"\^{}",
        "~": r"\~{}", "{": r"\{", "}": r"\}", "$": r"\$"}
# Unicode mathematics in text (table cells, sources) as LaTeX math, so that pdflatex with
# inputenc compiles it (Latin letters such as "á" and "§" it reads as they are)
_TEX_UNICODE = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon", "ζ": r"\zeta",
    "η": r"\eta", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi",
    "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "φ": r"\varphi", "ω": r"\omega", "ϖ": r"\varpi",
    "Δ": r"\Delta", "Σ": r"\Sigma", "Ξ": r"\Xi", "ℓ": r"\ell", "↑": r"\uparrow", "↓": r"\downarrow",
    "→": r"\to", "⇒": r"\Rightarrow", "∈": r"\in", "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx",
    "−": "-", "·": r"\cdot", "×": r"\times", "√": r"\surd", "∞": r"\infty", "²": "^2", "³": "^3", "∑": r"\sum",
    "‖": r"\|", "∇": r"\nabla", "≲": r"\lesssim",
}


def _tex(s: str) -> str:
    """Escape text for LaTeX (special characters; Unicode mathematics as ``$...$``)."""
    out: list[str] = []
    math: list[str] = []  # a run of consecutive Unicode symbols becomes one $...$ (never "$$")
    for ch in str(s):
        if ch in _TEX_UNICODE:
            math.append(_TEX_UNICODE[ch])
            continue
        if math:
            out.append("$" + " ".join(math) + "$")
            math = []
        out.append(_TEX.get(ch, ch))
    if math:
        out.append("$" + " ".join(math) + "$")
    return "".join(out)


def _cell_tex(c: Cell) -> str:
    return _tex(c) if isinstance(c, str) else f"${expr_latex(c)}$"


def _w_markdown(doc: Document) -> str:
    lines = [f"### {doc.title}", "", f"Source: {doc.source}.", ""]
    for lbl, e in doc.equations:
        lines.append(f"- **{lbl}**: $${expr_latex(e)}$$")
    if doc.equations:
        lines.append("")
    if doc.steps:
        for i, st in enumerate(doc.steps, 1):
            lines.append(f"{i}. $${expr_latex(st['statement'])}$$ — {st['justification']} (check: {st['check']})")
        lines.append("")
    if doc.table is not None:
        headers, rows = doc.table
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        for row in rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") if isinstance(c, str) else f"${expr_latex(c)}$"
                                           for c in row) + " |")
        lines.append("")
    if doc.assumptions:
        lines.append("Assumptions:")
        lines.extend(f"- **{a.name}**: {a.statement}" for a in doc.assumptions)
        lines.append("")
    if doc.notes:
        lines.append("Notes:")
        lines.extend(f"- {n}" for n in doc.notes)
        lines.append("")
    return "\n".join(lines)


def _w_text(doc: Document) -> str:
    lines = [doc.title, "=" * len(doc.title), f"source: {doc.source}"]
    for lbl, e in doc.equations:
        lines.append(f"{lbl}: {expr_text(e)}")
    for i, st in enumerate(doc.steps, 1):
        lines.append(f"{i}. {expr_text(st['statement'])}")
        lines.append(f"   by: {st['justification']}; check: {st['check']}")
    if doc.table is not None:
        headers, rows = doc.table
        cells = [[expr_text(c) for c in row] for row in rows]
        widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells)
    if doc.assumptions:
        lines.append("assumptions:")
        lines.extend(f"  - {a.name}: {a.statement}" for a in doc.assumptions)
    if doc.notes:
        lines.append("notes:")
        lines.extend(f"  - {n}" for n in doc.notes)
    return "\n".join(lines) + "\n"


def _jsonable(c: Any) -> Any:
    if isinstance(c, sp.MatrixBase):
        c = sp.ImmutableMatrix(c)
    if isinstance(c, sp.Basic):
        return {"expr": expr_text(c), "latex": expr_latex(c)}
    if isinstance(c, dict):
        return {str(k): _jsonable(v) for k, v in c.items()}
    if isinstance(c, (list, tuple)):
        return [_jsonable(v) for v in c]
    return c


def document_dict(doc: Document) -> dict[str, Any]:
    """The JSON-able dictionary of a document."""
    out: dict[str, Any] = {
        "kind": doc.kind,
        "name": doc.name,
        "title": doc.title,
        "source": doc.source,
        "equations": [{"label": lbl, **_jsonable(e)} if isinstance(e, (sp.Basic, sp.MatrixBase))
                      else {"label": lbl, "text": e}
                      for lbl, e in doc.equations],
        "assumptions": [a.as_dict() for a in doc.assumptions],
        "notes": list(doc.notes),
        "symbols": _symbols_of(doc),
    }
    if doc.steps:
        out["steps"] = [{"statement": _jsonable(st["statement"]), "justification": st["justification"],
                         "check": st["check"]} for st in doc.steps]
    if doc.table is not None:
        headers, rows = doc.table
        out["table"] = {"headers": headers, "rows": [[_jsonable(c) for c in r] for r in rows]}
    if doc.data:
        out["data"] = _jsonable(doc.data)
    return out


def _w_json(doc: Document) -> str:
    return json.dumps(document_dict(doc), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


WRITERS: dict[str, Callable[[Document], str]] = {
    "latex": _w_latex, "markdown": _w_markdown, "text": _w_text, "json": _w_json,
}

# ----------------------------------------------------------------------------- documents of objects

_RENDERERS: list[tuple[type, Callable[[Any], Document]]] = []


def register_renderer(cls: type, func: Callable[[Any], Document]) -> None:
    """Teach :func:`to_document` a new object type (used by sibling modules)."""
    _RENDERERS.append((cls, func))


def to_document(obj: Any) -> Document:
    """The :class:`Document` of a symbolic object."""
    if isinstance(obj, Document):
        return obj
    from .bounds import Bound
    from .sde import SDE

    if isinstance(obj, SDE):
        return _sde_doc(obj)
    if isinstance(obj, Bound):
        return _bound_doc(obj)
    _load_optional()
    for cls, func in _RENDERERS:
        if isinstance(obj, cls):
            return func(obj)
    raise InvalidParameterError(f"cannot render an object of type {type(obj).__name__}")


def _load_optional() -> None:
    import importlib

    for mod in ("derivations", "rules", "classes"):
        try:
            importlib.import_module(f"{__package__}.{mod}")
        except ModuleNotFoundError as exc:  # pragma: no cover - module not written yet
            if exc.name != f"{__package__}.{mod}":
                raise


def render(obj: Any, fmt: str = "text") -> str:
    """``obj`` as ``fmt`` in ``latex``, ``markdown``, ``text`` or ``json``."""
    if fmt not in WRITERS:
        raise InvalidParameterError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return WRITERS[fmt](to_document(obj))


def _sde_doc(s: Any) -> Document:
    from .symbols import gj

    g = sp.Symbol("g", real=True)
    eqs: list[tuple[str, Cell]] = [("drift b(g)_j", s.drift.subs(gj, sp.Symbol("g_j", real=True)))]
    if s.diagonal:
        eqs.append(("diffusion G(g)_jj (standard deviation of coordinate j)", s.diffusion))
    else:
        eqs.append(("diagonal part D(g_j) of G G^T", s.cov_diag))
        eqs.append(("coefficient c of g g^T in G G^T", s.cov_outer))
    eqs.append(("(G G^T)_jj", sp.simplify(s.cov_diag + s.cov_outer * gj**2)))
    for key in sorted(s.extra):
        eqs.append((key, s.extra[key]))
    del g
    return Document(
        kind="sde", name=s.name, title=s.title, source=s.source, equations=eqs,
        assumptions=list(s.assumptions),
        notes=["dX = b(g) dt + G(g) dW with g = grad f(X_t); G G^T = diag(D(g_j)) + c g g^T "
               "(the factor eta/N is inside G G^T).", *s.notes],
        data={"diagonal": s.diagonal, "parameters": [str(p) for p in s.parameters]},
    )


def _bound_doc(b: Any) -> Document:
    from .symbols import Delta, ell

    eqs: list[tuple[str, Cell]] = [
        ("bound on E[f(X_t) - f*]", b.display),
        ("Delta", sp.Eq(Delta, b.rate, evaluate=False)),
    ]
    if b.ell_expr is not None:
        eqs.append(("ell_nu (candidate %s)" % b.ell_choice, sp.Eq(ell, b.ell_expr, evaluate=False)))
    eqs.append(("asymptotic level (t -> oo)", b.asymptotic))
    cond = b.step_size_condition
    if cond is not None:
        eqs.append(("step-size condition (Delta > 0)", cond))
    return Document(
        kind="bound", name=b.name, title=b.title, source=b.source, equations=eqs,
        assumptions=list(b.assumptions), notes=list(b.notes),
        data={"ell_candidate": b.ell_choice}, notes_latex=list(b.notes_latex),
    )


# ----------------------------------------------------------------------------- regenerate


def all_objects() -> list[tuple[str, Any]]:
    """Every theorem, SDE, derivation and table, with a file stem each (sorted, deterministic)."""
    from .bounds import BOUND_NAMES, get_bound
    from .sde import SDE_NAMES, get_sde

    out: list[tuple[str, Any]] = []
    for n in SDE_NAMES:
        out.append((f"sde_{n}", get_sde(n)))
    for n in BOUND_NAMES:
        if n in ("dsignsgd", "signsgd"):
            for c in ("A", "B"):
                out.append((f"bound_{n}_ell{c}", get_bound(n, c)))
        else:
            out.append((f"bound_{n}", get_bound(n)))
    _load_optional()
    for provider in _EXTRA_OBJECTS:
        out.extend(provider())
    return sorted(out, key=lambda kv: kv[0])


_EXTRA_OBJECTS: list[Callable[[], Sequence[tuple[str, Any]]]] = []


def register_objects(provider: Callable[[], Sequence[tuple[str, Any]]]) -> None:
    """Add objects (``(stem, obj)`` pairs) to :func:`regenerate`."""
    if provider not in _EXTRA_OBJECTS:
        _EXTRA_OBJECTS.append(provider)


def regenerate(out_dir: str | os.PathLike[str], formats: Sequence[str] = ("latex", "markdown", "json")) -> list[Path]:
    """Write every object of :func:`all_objects` as ``.tex``, ``.md`` and ``.json`` under ``out_dir``.

    Deterministic: sorted keys, no timestamps. Returns the written paths, sorted.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    objects = all_objects()
    for stem, obj in objects:
        doc = to_document(obj)
        for fmt in formats:
            p = out / f"{stem}.{EXTENSIONS[fmt]}"
            p.write_text(WRITERS[fmt](doc), encoding="utf-8")
            written.append(p)
    index = {"objects": [{"stem": stem, "kind": to_document(obj).kind, "title": to_document(obj).title}
                         for stem, obj in objects]}
    p = out / "index.json"
    p.write_text(json.dumps(index, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    written.append(p)
    return sorted(written)
