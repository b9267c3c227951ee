"""Reading expressions from untrusted text, without running any of it.

``sympy.sympify`` and ``parse_expr`` *evaluate Python*: given ``"__import__('os').getcwd()"`` they
call ``os.getcwd()``. Every expression that comes from a command-line flag, a TOML file, a
claim string or a problem spec is therefore read here instead, by walking Python's own
syntax tree (:mod:`ast`) and building the sympy expression node by node. Nothing is ever
``eval``-ed, so nothing outside the grammar below can happen:

- numbers: integers and decimals, read **exactly** (``0.1`` is ``Rational(1, 10)``,
  ``1e-17`` is ``Rational(1, 10**17)``; never a 15-digit Float);
- names: the caller's ``names`` (symbols or numbers), the constants ``pi``, ``E``, ``I``,
  ``oo`` (also ``inf``), and, unless ``undeclared="error"``, any other identifier as a plain
  symbol; a name starting with ``_`` is refused; ``gamma``, ``beta`` and ``Gamma`` are
  symbols when not called and functions when called (``gamma*L`` vs ``gamma(5)``);
- operators ``+ - * / **`` (and ``^`` as a power, as sympy reads it), unary ``+``/``-``;
- calls of whitelisted functions only (:data:`FUNCTIONS`, plus the caller's ``functions``),
  positional arguments only;
- with ``relations=True``: comparisons ``< <= > >= == !=`` (chains become ``And``) and
  ``and``/``or``/``not`` between them.

Everything else (attribute access, subscripts, lambdas, comprehensions, strings, keyword
arguments, starred arguments...) is a one-line :class:`ExpressionError`. Inputs are bounded:
at most :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting, integer powers of
numbers of at most :data:`MAX_POWER_BITS` bits (``10**10**10`` would otherwise hang).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError

__all__ = ["ExpressionError", "FUNCTIONS", "CONSTANTS", "parse_expression", "parse_number", "as_expr",
           "MAX_LENGTH", "MAX_DEPTH", "MAX_POWER_BITS"]

MAX_LENGTH = 10_000
MAX_DEPTH = 60
MAX_POWER_BITS = 100_000


class ExpressionError(InvalidParameterError):
    """An expression string is outside the safe grammar of :func:`parse_expression`."""


#: Functions a string may call, by the name it is written with.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": sp.sqrt, "cbrt": sp.cbrt, "root": sp.root, "exp": sp.exp, "log": sp.log, "ln": sp.log,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "atan2": sp.atan2, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "Abs": sp.Abs, "abs": sp.Abs, "Min": sp.Min, "min": sp.Min, "Max": sp.Max, "max": sp.Max,
    "floor": sp.floor, "ceiling": sp.ceiling, "ceil": sp.ceiling, "sign": sp.sign,
    "erf": sp.erf, "erfc": sp.erfc, "gamma": sp.gamma, "Gamma": sp.gamma, "beta": sp.beta,
    "binomial": sp.binomial, "factorial": sp.factorial, "Rational": sp.Rational,
    "Heaviside": sp.Heaviside,
}

#: Constant names every expression may use (a caller's ``names`` take precedence).
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E, "I": sp.I, "oo": sp.oo, "inf": sp.oo,
                                 "infinity": sp.oo}

# Function names that are also the usual names of parameters: a symbol when not called
# (``gamma*L`` is a product; ``gamma(5)`` is the Gamma function).
_ALSO_SYMBOLS = {"gamma", "beta", "Gamma"}
_GROWING = {"factorial", "binomial", "gamma", "Gamma", "beta"}
_GROWING_LIMIT = 10_000

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Eq: sp.Eq, ast.NotEq: sp.Ne,
}
_WHAT = {
    ast.Attribute: "attribute access ('.')", ast.Subscript: "indexing ('[...]')",
    ast.Lambda: "lambda", ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.List: "a list",
    ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set", ast.IfExp: "'if ... else'",
    ast.NamedExpr: "':='", ast.JoinedStr: "an f-string", ast.Starred: "'*' unpacking",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice",
}


def _exact_decimal(source: str) -> sp.Rational:
    """``"0.1"`` -> 1/10, ``"1e-17"`` -> 1/10**17, ``"2.5E3"`` -> 2500: the decimal as written."""
    text = source.replace("_", "")
    mantissa, _, exponent = text.lower().partition("e")
    exp10 = int(exponent) if exponent else 0
    if abs(exp10) > 10_000:
        raise ExpressionError(f"the number {source!r} has an exponent beyond ±10000")
    whole, _, frac = mantissa.partition(".")
    digits = int((whole or "0") + frac) if (whole or frac) else 0
    return sp.Rational(digits, 10 ** len(frac)) * sp.Rational(10) ** exp10


def _shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for an error message, cut to ``limit`` characters."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def _bits(x: sp.Expr) -> float:
    """log2 of a rational number's numerator and denominator together (0 for non-rationals)."""
    if isinstance(x, sp.Rational) and x != 0:
        return math.log2(abs(int(x.p)) + 1) + math.log2(int(x.q) + 1)
    return 1.0


class _Reader:
    def __init__(self, text: str, names: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]],
                 undeclared: str, relations: bool, what: str) -> None:
        self.text = text
        self.names = names
        self.functions = functions
        self.undeclared = undeclared
        self.relations = relations
        self.what = what
        self.created: dict[str, sp.Symbol] = {}

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"cannot read {self.what} {_shown(self.text)}: {why}")

    def read(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels")
        d = depth + 1
        if isinstance(node, ast.Expression):
            return self.read(node.body, d)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.BinOp):
            a, b = self.read(node.left, d), self.read(node.right, d)
            if isinstance(node.op, (ast.Pow, ast.BitXor)):
                return self.power(a, b)
            op = _BINOPS.get(type(node.op))
            if op is None:
                sym = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
                       ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&"}.get(type(node.op), "?")
                raise self.fail(f"the operator {sym!r} is not supported (use + - * / **)")
            self.check_terms(a, b)
            return op(a, b)
        if isinstance(node, ast.UnaryOp):
            v = self.read(node.operand, d)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return v
            if isinstance(node.op, ast.Not) and self.relations:
                return sp.Not(v)
            raise self.fail("only unary + and - are supported")
        if isinstance(node, ast.Call):
            return self.call(node, d)
        if isinstance(node, ast.Compare) and self.relations:
            parts = [self.read(node.left, d)] + [self.read(c, d) for c in node.comparators]
            rels = [_COMPARE[type(op)](parts[i], parts[i + 1]) for i, op in enumerate(node.ops)
                    if type(op) in _COMPARE]
            if len(rels) != len(node.ops):
                raise self.fail("only the comparisons < <= > >= == != are supported")
            return rels[0] if len(rels) == 1 else sp.And(*rels)
        if isinstance(node, ast.BoolOp) and self.relations:
            vals = [self.read(v, d) for v in node.values]
            return sp.And(*vals) if isinstance(node.op, ast.And) else sp.Or(*vals)
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            raise self.fail("a comparison is not an expression here (write the expression alone)")
        raise self.fail(f"{_WHAT.get(type(node), type(node).__name__)} is not allowed in an expression")

    def constant(self, node: ast.Constant) -> Any:
        v = node.value
        if isinstance(v, bool):
            if self.relations:
                return sp.true if v else sp.false
            raise self.fail(f"{v} is not a number")
        if isinstance(v, int):
            return sp.Integer(v)
        if isinstance(v, float):
            src = ast.get_source_segment(self.text, node)
            if src is None:
                raise self.fail("a decimal number could not be located in the text")
            return _exact_decimal(src)
        if isinstance(v, complex):
            raise self.fail("complex literals (1j) are not supported; write I for the imaginary unit")
        raise self.fail(f"{type(v).__name__} literals are not allowed in an expression")

    def name(self, name: str) -> Any:
        if name.startswith("_"):
            raise self.fail(f"the name {name!r} is not allowed (names may not start with '_')")
        if name in self.names:
            return self.names[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in self.functions and name not in _ALSO_SYMBOLS:
            raise self.fail(f"{name!r} is a function; call it with an argument, e.g. {name}(x)")
        if self.undeclared == "error":
            known = sorted(self.names)
            hint = f" (known: {', '.join(known[:12])}{', ...' if len(known) > 12 else ''})" if known else ""
            raise self.fail(f"unknown name {name!r}{hint}")
        if name not in self.created:
            self.created[name] = sp.Symbol(name)
        return self.created[name]

    def power(self, a: Any, b: Any) -> Any:
        self.check_terms(a, b)
        if getattr(a, "is_number", False) and getattr(b, "is_number", False):
            if isinstance(b, sp.Rational) and isinstance(a, sp.Rational):
                if abs(b) * _bits(a) > MAX_POWER_BITS:
                    raise self.fail(f"the power {a}**{b} is too large to compute exactly "
                                    f"(more than {MAX_POWER_BITS} bits)")
            elif isinstance(b, sp.Rational) and abs(b) > MAX_POWER_BITS:
                raise self.fail(f"the exponent {b} is too large (at most {MAX_POWER_BITS})")
        return a ** b

    def check_terms(self, *xs: Any) -> None:
        for x in xs:
            if isinstance(x, sp.logic.boolalg.Boolean) and not isinstance(x, sp.Expr):
                raise self.fail("a comparison cannot be used as a number")

    def call(self, node: ast.Call, depth: int) -> Any:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only plain function calls such as sqrt(x) are allowed")
        fname = node.func.id
        if fname.startswith("_") or fname not in self.functions:
            allowed = ", ".join(sorted(self.functions))
            raise self.fail(f"the function {fname!r} is not allowed (allowed: {allowed})")
        if node.keywords:
            raise self.fail(f"keyword arguments are not allowed in {fname}(...)")
        args = [self.read(a, depth) for a in node.args]
        self.check_terms(*args)
        if fname in _GROWING and any(isinstance(a, sp.Number) and abs(a) > _GROWING_LIMIT for a in args):
            raise self.fail(f"{fname}(...) of a number above {_GROWING_LIMIT} is too large to compute exactly")
        try:
            return self.functions[fname](*args)
        except (TypeError, ValueError) as exc:
            raise self.fail(f"{fname}(...) with {len(args)} argument(s): {' '.join(str(exc).split())}") from None


def parse_expression(text: str, names: Mapping[str, Any] | None = None, *,
                     functions: Mapping[str, Callable[..., Any]] | None = None,
                     undeclared: str = "symbol", relations: bool = False,
                     what: str = "the expression") -> Any:
    """The sympy expression written in ``text``, read without evaluating any Python.

    ``names`` maps identifiers to sympy objects (symbols, numbers); ``functions`` adds callable
    names to :data:`FUNCTIONS` (a name in both ``names`` and ``FUNCTIONS`` is the caller's when
    not called, the function when called). ``undeclared="symbol"`` turns any other identifier
    into a plain :class:`sympy.Symbol` (no assumptions); ``"error"`` refuses it. With
    ``relations=True`` the text may be a comparison or a conjunction of comparisons. ``what``
    names the text in errors (``"the claim"``, ``"--at"``).

    Raises :class:`ExpressionError` (an :class:`~theorylab.errors.InvalidParameterError`) with
    one line saying what was wrong."""
    if undeclared not in ("symbol", "error"):
        raise ValueError(f"undeclared must be 'symbol' or 'error', got {undeclared!r}")
    if not isinstance(text, str):
        raise ExpressionError(f"{what} must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{what} is {len(text)} characters long; at most {MAX_LENGTH} are read")
    src = text.strip().replace("^", "**")  # sympy's reading of ^; no string literal survives the walk
    if not src:
        raise ExpressionError(f"{what} is empty; expected an expression such as 2*x + 1")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot read {what} {_shown(text)}: invalid syntax"
                              f"{' at column ' + str(exc.offset) if exc.offset else ''} "
                              "(write products with *, e.g. 2*x)") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"cannot read {what} {_shown(text)}: not a valid expression") from None
    fns = dict(FUNCTIONS)
    if functions:
        fns.update(functions)
    reader = _Reader(src, dict(names or {}), fns, undeclared, relations, what)
    reader.text = src
    try:
        return reader.read(tree)
    except RecursionError:
        raise ExpressionError(f"cannot read {what} {_shown(text)}: nested too deeply") from None


def parse_number(text: str, what: str = "the value") -> sp.Expr:
    """A number written in ``text`` (``"0.01"``, ``"1/3"``, ``"2**-10"``, ``"sqrt(2)"``, ``"inf"``),
    exact where the text is exact; :class:`ExpressionError` for anything with a free symbol."""
    val = parse_expression(text, {}, undeclared="error", what=what)
    if not getattr(val, "is_number", False):
        raise ExpressionError(f"{what} {_shown(text)} is not a number (expected e.g. 0.01, 3, 1/3, inf)")
    return val


def as_expr(value: Any, names: Mapping[str, Any] | None = None, *, what: str = "the value") -> Any:
    """``value`` as a sympy object: a string is read by :func:`parse_expression` (never run);
    anything else (a number, a sympy object, a numpy scalar) goes through ``sympify`` with ``strict=True``,
    which refuses strings nested in containers too. The one conversion for values of the
    public API that may be strings (``U("omega")``, ``values={"eta": "1/100"}``)."""
    if isinstance(value, str):
        return parse_expression(value, names, what=what)
    try:
        return sp.sympify(value, strict=True)  # safe: strict=True refuses strings (no parsing at all)
    except (sp.SympifyError, TypeError, ValueError):
        raise ExpressionError(f"{what} must be a number, a sympy expression or a string, "
                              f"got {type(value).__name__}") from None
