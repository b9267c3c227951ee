"""Build compressors from strings, and the registry of the catalogue.

Grammar (whitespace around tokens is ignored; names are case-insensitive)::

    spec     := NAME [":" params]                  e.g. randk:k=10   qsgd:s=4,norm=l2   natural
              | COMBINATOR "(" arg ("," arg)* ")"  e.g. scaled(randk:k=5)   induced(topk:k=2,randk:k=4)
    params   := KEY "=" VALUE ("," KEY "=" VALUE)*
    arg      := [PROB "@"] spec                    PROB only (and always) inside switch(...)

Inside a combinator a comma followed by ``KEY=`` continues the parameters of the previous
compressor; any other comma starts the next argument. Combinators: ``compose(C1,C2)``
(``C1∘C2``), ``scaled(C)``, ``induced(C1,C2)``, ``switch(p1@C1,p2@C2,...)``.

``C.spec`` is the canonical string, and ``from_spec(C.spec) == C``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidParameterError, SpecError
from ._base import Compressor
from .bernoulli import Bernoulli
from .combinators import Compose, Induced, RandomSwitch, Scaled
from .identity import Identity
from .natural import NaturalCompression, NaturalDithering
from .qsgd import QSGD
from .randk import RandK, RandKUnscaled
from .sign import ScaledSign, Sign
from .terngrad import TernGrad
from .topk import TopK

__all__ = ["from_spec", "CATALOGUE", "COMBINATORS", "CatalogueEntry", "list_compressors", "catalogue_specs"]


def _int(v: str) -> int:
    return int(v)


def _float(v: str) -> float:
    f = float(v)
    if math.isnan(f):
        raise ValueError("NaN")
    return f


def _str(v: str) -> str:
    return v.lower()


@dataclass(frozen=True)
class CatalogueEntry:
    """One compressor of the catalogue: its spec name, class, parameter types and summary."""

    name: str
    cls: type[Compressor]
    params: dict[str, Callable[[str], Any]]
    summary: str
    example: str


CATALOGUE: dict[str, CatalogueEntry] = {
    e.name: e
    for e in [
        CatalogueEntry("identity", Identity, {}, "C(x) = x: U(0), C(1)", "identity"),
        CatalogueEntry("randk", RandK, {"k": _int}, "(d/k) x on a uniform k-subset: U(d/k-1), tight", "randk:k={k}"),
        CatalogueEntry(
            "randk_unscaled", RandKUnscaled, {"k": _int}, "x on a uniform k-subset: C(k/d), tight", "randk_unscaled:k={k}"
        ),
        CatalogueEntry("bernoulli", Bernoulli, {"p": _float}, "x_j xi_j / p, xi_j ~ Bern(p): U(1/p-1)", "bernoulli:p=0.25"),
        CatalogueEntry("topk", TopK, {"k": _int}, "k largest |x_j|: C(k/d), deterministic", "topk:k={k}"),
        CatalogueEntry(
            "qsgd", QSGD, {"s": _int, "norm": _str}, "random dithering, s levels, l2 or linf norm", "qsgd:s=4,norm=l2"
        ),
        CatalogueEntry("natural", NaturalCompression, {}, "random rounding to powers of two: U(1/8)", "natural"),
        CatalogueEntry(
            "natural_dithering",
            NaturalDithering,
            {"s": _int, "p": _float},
            "dithering on levels 0, 2^(1-s), ..., 1",
            "natural_dithering:s=4,p=2",
        ),
        CatalogueEntry("terngrad", TernGrad, {}, "ternary, max-norm: U((sqrt d - 1)/2), tight", "terngrad"),
        CatalogueEntry("sign", Sign, {}, "sign(x): in no class", "sign"),
        CatalogueEntry("scaledsign", ScaledSign, {}, "(||x||_1/d) sign(x): C(1/d)", "scaledsign"),
    ]
}

#: combinator name -> (class, number of arguments or None for "one or more", summary)
COMBINATORS: dict[str, tuple[type[Compressor], int | None, str]] = {
    "compose": (Compose, 2, "compose(C1,C2) = C1(C2(x)): U((1+w1)(1+w2)-1)"),
    "scaled": (Scaled, 1, "scaled(C) = C/(1+w): C(1/(1+w))"),
    "induced": (Induced, 2, "induced(C1,C2) = C1(x)+C2(x-C1(x)): U(w2(1-d1))"),
    "switch": (RandomSwitch, None, "switch(p1@C1,...): C_i w.p. p_i: U(sum p_i w_i)"),
}

_ALIASES = {"rand_k": "randk", "top_k": "topk", "cnat": "natural", "natural_compression": "natural", "randomswitch": "switch"}


def _known() -> str:
    return ", ".join(list(CATALOGUE) + [f"{c}(...)" for c in COMBINATORS])


# identifiers as Python reads them, Unicode included ([^\W\d] = a letter or "_"): "ränd" is one name
_NAME = re.compile(r"\s*([^\W\d]\w*)\s*")
_KEY = re.compile(r"\s*([^\W\d]\w*)\s*=")
_VALUE = re.compile(r"\s*([^,()@=\s]+)\s*")
_PROB = re.compile(r"\s*([0-9.eE+-]+)\s*@")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> SpecError:
        return SpecError(
            f"cannot parse compressor spec {self.text!r} at position {self.pos}: {what}. "
            "Expected NAME, NAME:key=value,..., or COMBINATOR(spec,...); "
            f"known names: {_known()}"
        )

    def peek(self, ch: str) -> bool:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text.startswith(ch, self.pos)

    def spec(self) -> Compressor:
        m = _NAME.match(self.text, self.pos)
        if not m:
            raise self.fail("expected a compressor name")
        self.pos = m.end()
        name = _ALIASES.get(m.group(1).lower(), m.group(1).lower())
        if name in COMBINATORS:
            return self.combinator(name)
        if name not in CATALOGUE:
            raise self.fail(f"unknown compressor {m.group(1)!r}")
        entry = CATALOGUE[name]
        kwargs: dict[str, Any] = {}
        if self.peek(":"):
            self.pos += 1
            while True:
                km = _KEY.match(self.text, self.pos)
                if not km:
                    raise self.fail(f"expected key=value after '{name}:'")
                key = km.group(1).lower()
                self.pos = km.end()
                vm = _VALUE.match(self.text, self.pos)
                if not vm:
                    raise self.fail(f"expected a value for {key!r}")
                self.pos = vm.end()
                if key not in entry.params:
                    accepted = ", ".join(entry.params) or "none"
                    raise self.fail(f"{name} has no parameter {key!r} (accepted: {accepted})")
                if key in kwargs:
                    raise self.fail(f"parameter {key!r} given twice")
                try:
                    kwargs[key] = entry.params[key](vm.group(1))
                except ValueError:
                    raise self.fail(f"{name}: {key}={vm.group(1)!r} is not a valid value") from None
                # a comma continues the parameters only when KEY= follows
                if self.peek(",") and _KEY.match(self.text, self.pos + 1):
                    self.pos += 1
                    continue
                break
        try:
            return entry.cls(**kwargs)
        except TypeError as exc:
            missing = [p for p in entry.params if p not in kwargs]
            raise SpecError(
                f"compressor spec {self.text!r}: {name} needs parameters {missing} (example: {entry.example})"
            ) from exc
        except InvalidParameterError as exc:
            raise SpecError(f"compressor spec {self.text!r}: {exc}") from exc

    def combinator(self, name: str) -> Compressor:
        cls, arity, _ = COMBINATORS[name]
        if not self.peek("("):
            raise self.fail(f"{name} takes arguments in parentheses, e.g. {name}(randk:k=4{',natural' * ((arity or 1) - 1)})")
        self.pos += 1
        args: list[Any] = []
        while True:
            prob = None
            pm = _PROB.match(self.text, self.pos)
            if pm:
                if name != "switch":
                    raise self.fail("a probability 'p@' prefix is allowed only inside switch(...)")
                try:
                    prob = float(pm.group(1))
                except ValueError:
                    raise self.fail(f"bad probability {pm.group(1)!r}") from None
                self.pos = pm.end()
            elif name == "switch":
                raise self.fail("switch arguments are p@spec, e.g. switch(0.5@randk:k=2,0.5@natural)")
            c = self.spec()
            args.append((prob, c) if name == "switch" else c)
            if self.peek(","):
                self.pos += 1
                continue
            if self.peek(")"):
                self.pos += 1
                break
            raise self.fail(f"expected ',' or ')' in {name}(...)")
        if arity is not None and len(args) != arity:
            raise self.fail(f"{name} takes {arity} argument(s), got {len(args)}")
        try:
            # each combinator's constructor takes the parsed compressors (the base class declares none)
            make: Callable[..., Compressor] = cls
            return make(args) if name == "switch" else make(*args)
        except InvalidParameterError as exc:
            raise SpecError(f"compressor spec {self.text!r}: {exc}") from exc


def from_spec(spec: str) -> Compressor:
    """Build a compressor from its textual spec (grammar in the module docstring).

    >>> from_spec("randk:k=10").spec
    'randk:k=10'
    >>> from_spec("induced(topk:k=2, randk:k=4)").spec
    'induced(topk:k=2,randk:k=4)'

    An unparsable spec raises :class:`~theorylab.errors.SpecError` saying what was expected
    and listing the known names.
    """
    if isinstance(spec, Compressor):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError(f"compressor spec must be a non-empty string such as 'randk:k=10'; known names: {_known()}")
    p = _Parser(spec)
    c = p.spec()
    if p.peek(","):
        raise p.fail("unexpected ',' at top level (parameters are key=value)")
    if p.pos < len(spec):
        raise p.fail(f"unexpected text {spec[p.pos:]!r}")
    return c


def catalogue_specs(d: int) -> list[str]:
    """Specs of one instance of every catalogue compressor and combinator, sized for ``d``.

    ``k = max(1, d // 8)`` for the sparsifiers; these are the instances that
    ``theorylab compressors list`` and ``check --all`` use.
    """
    if d < 1:
        raise InvalidParameterError(f"d must be >= 1, got {d}")
    k = max(1, d // 8)
    k2 = max(1, d // 4)
    return [
        "identity",
        f"randk:k={k}",
        f"randk_unscaled:k={k}",
        "bernoulli:p=0.25",
        f"topk:k={k}",
        "qsgd:s=1,norm=l2",
        "qsgd:s=4,norm=l2",
        "qsgd:s=2,norm=linf",
        "natural",
        "natural_dithering:s=3,p=2",
        "terngrad",
        "sign",
        "scaledsign",
        f"compose(natural,randk:k={k2})",
        f"scaled(randk:k={k2})",
        f"induced(topk:k={k},randk:k={k2})",
        f"switch(0.5@randk:k={k2},0.5@natural)",
    ]


def list_compressors(d: int = 64) -> list[Compressor]:
    """One instance of every catalogue compressor and combinator, sized for dimension ``d``."""
    return [from_spec(s) for s in catalogue_specs(d)]
