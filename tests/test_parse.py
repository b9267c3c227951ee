"""The safe expression reader: exact numbers, the grammar, and no code run from a string."""

from __future__ import annotations

import builtins
import os

import pytest
import sympy as sp

from theorylab.errors import InvalidParameterError
from theorylab.symbolic.parse import ExpressionError, parse_expression, parse_number

x, y = sp.symbols("x y", real=True)

# Strings that run code, read files or hang when given to sympify/eval.
INJECTIONS = [
    "__import__('os').getcwd()",
    "__import__('pathlib').Path('PWNED').touch() or 0.01",
    "().__class__.__base__.__subclasses__()",
    "open('PWNED', 'w')",
    "exec('import os')",
    "eval('1')",
    "getattr(x, 'y')",
    "x.__class__",
    "(lambda: 1)()",
    "[c for c in ().__class__.__mro__]",
    "globals()['os']",
    "sympy.Symbol('x')",
    "Symbol('x').subs",
    "_ + 1",
    "breakpoint()",
    "compile('1', 'f', 'eval')",
    "10**10**10",
    "factorial(10**8)",
    "f'{x}'",
    "x if x else y",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injections_are_refused_without_running(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    calls = []
    real_import = builtins.__import__

    def spy(name, *a, **k):
        calls.append(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", spy)
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open", lambda *a, **k: calls.append(("open", a)) or real_open(*a, **k))
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, {"x": x, "y": y})
    monkeypatch.setattr(builtins, "__import__", real_import)
    monkeypatch.setattr(builtins, "open", real_open)
    assert "\n" not in str(info.value)
    assert os.listdir(tmp_path) == []
    assert not [c for c in calls if c in ("os", "pathlib", "subprocess") or isinstance(c, tuple)]


def test_error_is_an_invalid_parameter_error_and_short():
    with pytest.raises(InvalidParameterError) as info:
        parse_expression("x." + "a" * 5000)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize("text, value", [
    ("0.1", sp.Rational(1, 10)),
    ("1e-17", sp.Rational(1, 10**17)),
    ("2.5E3", sp.Integer(2500)),
    ("1_000.5", sp.Rational(2001, 2)),
    (".5", sp.Rational(1, 2)),
    ("5.", sp.Integer(5)),
    ("1/3", sp.Rational(1, 3)),
    ("2**-10", sp.Rational(1, 1024)),
    ("2^3", sp.Integer(8)),
    ("inf", sp.oo),
    ("-oo", -sp.oo),
    ("sqrt(4)", sp.Integer(2)),
])
def test_numbers_are_exact(text, value):
    got = parse_number(text)
    assert got == value and not isinstance(got, sp.Float)


def test_decimal_sums_are_exact():
    assert parse_expression("0.1 + 0.2") == parse_expression("0.3")
    assert parse_expression("1 + 1e-17") - 1 == sp.Rational(1, 10**17)


def test_names_functions_and_precedence():
    assert parse_expression("x^2 + 2*x", {"x": x}) == x**2 + 2 * x
    assert parse_expression("gamma*L", {}) == sp.Symbol("gamma") * sp.Symbol("L")
    assert parse_expression("gamma(5)") == 24
    assert parse_expression("log(x)/sqrt(y)", {"x": x, "y": y}) == sp.log(x) / sp.sqrt(y)
    new = parse_expression("a + b")
    assert {str(s) for s in new.free_symbols} == {"a", "b"}
    assert all(s.assumptions0 == {"commutative": True} for s in new.free_symbols)
    with pytest.raises(ExpressionError, match="unknown name 'z'"):
        parse_expression("x + z", {"x": x}, undeclared="error")
    with pytest.raises(ExpressionError, match="is a function"):
        parse_expression("sqrt + 1")


def test_relations_only_when_asked():
    rel = parse_expression("0 <= x < 1", {"x": x}, relations=True)
    assert rel == sp.And(sp.Le(0, x), sp.Lt(x, 1))
    assert parse_expression("x >= 0 and not x > 1", {"x": x}, relations=True) == sp.And(x >= 0, sp.Not(x > 1))
    with pytest.raises(ExpressionError, match="comparison"):
        parse_expression("x < 1", {"x": x})
    with pytest.raises(ExpressionError, match="cannot be used as a number"):
        parse_expression("(x < 1) + 1", {"x": x}, relations=True)


@pytest.mark.parametrize("text", ["", "   ", "2x", "x %% 2", "x % 2", "x // 2", "1j", "'a'", "[1]", "{1: 2}",
                                  "sqrt(x=1)", "sqrt(*x)", "x @ y", "True", "None", "..."])
def test_malformed_is_one_line(text):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, {"x": x, "y": y})
    assert "\n" not in str(info.value)


def test_parse_number_refuses_symbols():
    with pytest.raises(ExpressionError, match="unknown name"):
        parse_number("eta")
