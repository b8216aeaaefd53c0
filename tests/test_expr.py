"""The ``when`` language: values, three-valued logic, rejections, and properties."""

from __future__ import annotations

import ast
import builtins
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from churnwatch.features import CATEGORY_FEATURES, FEATURES
from churnwatch.rules.expr import FUNCTIONS, Expression, ExpressionError, _evaluate, parse

NAN = math.nan
X = np.array([-2.0, 0.0, 1.5, 3.0, NAN])
Y = np.array([1.0, NAN, 1.5, -1.0, 2.0])
COLUMNS = {"x": X, "y": Y}


def values(text: str) -> list[float]:
    """The expression's per-row truth (1, 0 or NaN) on the columns above."""
    return parse(text).truth(COLUMNS, len(X)).tolist()


def numbers(text: str) -> list[float]:
    """The expression's per-row numeric value (``truth`` would map it to 0/1)."""
    return _evaluate(parse(text).tree, COLUMNS, len(X)).tolist()


def same(actual: list[float], expected: list[float]) -> bool:
    """Equal lists where NaN equals NaN."""
    return len(actual) == len(expected) and all(
        (math.isnan(a) and math.isnan(e)) or a == pytest.approx(e)
        for a, e in zip(actual, expected, strict=True)
    )


# -- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x + y", [-1.0, NAN, 3.0, 2.0, NAN]),
        ("x - y * 2", [-4.0, NAN, -1.5, 5.0, NAN]),
        ("(x - y) * 2", [-6.0, NAN, 0.0, 8.0, NAN]),
        ("x / 2", [-1.0, 0.0, 0.75, 1.5, NAN]),
        ("-x + +y", [3.0, NAN, 0.0, -4.0, NAN]),
        ("1 / x", [-0.5, NAN, 1 / 1.5, 1 / 3, NAN]),  # dividing by zero gives unknown
        ("abs(x)", [2.0, 0.0, 1.5, 3.0, NAN]),
        ("min(x, y)", [-2.0, NAN, 1.5, -1.0, NAN]),
        ("max(x, y, 0)", [1.0, NAN, 1.5, 3.0, NAN]),
        ("coalesce(y, x, 7)", [1.0, 0.0, 1.5, -1.0, 2.0]),
        ("coalesce(x, 7)", [-2.0, 0.0, 1.5, 3.0, 7.0]),
        ("is_missing(y)", [0.0, 1.0, 0.0, 0.0, 0.0]),
        ("is_missing(x + y)", [0.0, 1.0, 0.0, 0.0, 1.0]),
        ("true", [1.0] * 5),
        ("FALSE", [0.0] * 5),
        ("True + 1", [2.0] * 5),
        ("1e3 / 4", [250.0] * 5),
    ],
)
def test_arithmetic_and_functions(text: str, expected: list[float]) -> None:
    assert same(numbers(text), expected), numbers(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x > 1", [0, 0, 1, 1, NAN]),
        ("x >= 1.5", [0, 0, 1, 1, NAN]),
        ("x < 0", [1, 0, 0, 0, NAN]),
        ("x <= 0", [1, 1, 0, 0, NAN]),
        ("x == y", [0, NAN, 1, 0, NAN]),
        ("x != y", [1, NAN, 0, 1, NAN]),
        ("0 <= x < 3", [0, 1, 1, 0, NAN]),
        ("-3 < x <= y", [1, NAN, 1, 0, NAN]),
        ("x > y > 0", [0, NAN, 0, 0, NAN]),  # 3 > -1 holds but -1 > 0 does not
        ("x", [1, 0, 1, 1, NAN]),  # a number as a condition: non-zero is true
    ],
)
def test_comparisons(text: str, expected: list[float]) -> None:
    assert same(values(text), expected), values(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # x > 0: [0, 0, 1, 1, ?]   y > 0: [1, ?, 1, 0, 1]
        ("x > 0 and y > 0", [0, 0, 1, 0, NAN]),
        ("x > 0 or y > 0", [1, NAN, 1, 1, 1]),
        ("not x > 0", [1, 1, 0, 0, NAN]),
        ("not (x > 1)", [1, 1, 0, 0, NAN]),
        ("not not (y > 0)", [1, NAN, 1, 0, 1]),
        ("not (x > 0 or y > 0)", [0, NAN, 0, 0, 0]),
        ("x > 0 and y > 0 or is_missing(x)", [0, 0, 1, 0, 1]),
        ("(x > 0) + (y > 0) >= 1", [1, NAN, 1, 1, NAN]),
        ("coalesce(x, 0) > 0 or false", [0, 0, 1, 1, 0]),
        ("true and x < 0", [1, 0, 0, 0, NAN]),
    ],
)
def test_three_valued_logic(text: str, expected: list[float]) -> None:
    """Unknown and false is false, unknown or true is true, not unknown is unknown."""
    assert same(values(text), expected), values(text)


@pytest.mark.parametrize("text", ["x > 1", "not (x > 1)", "not x <= 1", "x > 1 or y > 100"])
def test_missing_never_fires(text: str) -> None:
    fires = parse(text).fires({"x": np.array([NAN]), "y": np.array([NAN])}, 1)
    assert fires.tolist() == [False]


def test_fires_is_truth_equal_to_one() -> None:
    expression = parse("x > 0 or y > 0")
    assert expression.fires(COLUMNS, 5).tolist() == [True, False, True, True, True]


def test_names_are_the_features_read() -> None:
    expression = parse("abs(a) > 1 and coalesce(b, c) < true or is_missing(a)")
    assert expression.names == frozenset({"a", "b", "c"})
    assert isinstance(expression, Expression)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x > 1", [0.0, 0.0, 0.5, 2.0, 0.0]),  # (x − 1) / max(|1|, 1)
        ("x < 0", [2.0, 0.0, 0.0, 0.0, 0.0]),
        ("x >= 2 and y > 0", [0.0, 0.0, 0.0, 0.5, 0.0]),  # only the first condition counts
        ("x > 2 or y > 0", [1.0, 0.0, 1.5, 0.5, 2.0]),  # the stronger branch
        ("x == 3", [0.0] * 5),
        ("x > 1000", [0.0] * 5),
    ],
)
def test_margin(text: str, expected: list[float]) -> None:
    assert parse(text).margin(COLUMNS, 5).tolist() == pytest.approx(expected)


# -- rejections -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("a > 1 and b.c > 2", 11, "attribute access ('.') is not allowed"),
        ("a > b[0]", 5, "subscripts ('[…]') are not allowed"),
        ("a > open(b)", 5, "unknown function 'open'"),
        ("a + eval(b) > 1", 5, "unknown function 'eval'"),
        ("a > __import__(b)", 5, "unknown function '__import__'"),
        ("a.b() > 1", 1, "only abs, min, max, coalesce and is_missing can be called"),
        ("a > (lambda: 1)", 6, "lambdas are not allowed"),
        ("a < 'text'", 5, "text is allowed only"),
        ('a == b"x"', 6, "text is allowed only"),
        ("a > None", 5, "text is allowed only"),
        ("a > 1j", 5, "text is allowed only"),
        ('a > f"{b}"', 5, "f-strings are not allowed"),
        ("a > max([b for b in c], 1)", 9, "ListComp is not allowed"),
        ("a > sum(b for b in c)", 5, "unknown function 'sum'"),
        ("a > {b: 1 for b in c}", 5, "DictComp is not allowed"),
        ("a + (b ** 2) > 1", 6, "only the operators + - * / are allowed"),
        ("a + (b // 2) > 1", 6, "only the operators + - * / are allowed"),
        ("a + (b % 2) > 1", 6, "only the operators + - * / are allowed"),
        ("a > 1 or b in c", 10, "only < <= > >= == != comparisons are allowed"),
        ("a > 1 or b is c", 10, "only < <= > >= == != comparisons are allowed"),
        ("a > (b := 1)", 6, "assignments (':=') are not allowed"),
        ("a > max(b, c, key=d)", 5, "max() takes no keyword arguments"),
        ("a > min(*b, 1)", 9, "unpacking ('*') is not allowed"),
        ("a > (b if c else d)", 6, "if/else expressions are not allowed"),
        ("a > ~b", 5, "UnaryOp is not allowed"),
        ("a > (1, 2)", 5, "Tuple is not allowed"),
        ("abs(a, b) > 1", 1, "abs() takes 1 argument, got 2"),
        ("min(a) > 1", 1, "min() takes at least 2 arguments, got 1"),
        ("coalesce(a) > 1", 1, "coalesce() takes at least 2 arguments, got 1"),
        ("is_missing() or a", 1, "is_missing() takes 1 argument, got 0"),
        # Python's parser gives no place where the text ends too soon: it was column 1
        ("revenue_change <= -60%", 22, "ends too soon (a share is a fraction: -0.6 for -60%)"),
        ("a > 1 and ", 9, "syntax error: invalid syntax: it ends too soon"),
    ],
)
def test_rejected_with_position(text: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.column == column
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"column {column}: ")


@pytest.mark.parametrize("text", ["", "a >", "a > > 1", "(a", "a\n> 1", "import os", "a; b", "\0"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.column >= 1


def test_unknown_feature_suggests_the_closest() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("orders_recent >= 2 and days_lat_recent > 3", FEATURES)
    assert caught.value.column == 24
    assert "unknown feature 'days_lat_recent' (did you mean 'days_late_recent'?)" in str(
        caught.value
    )


def test_unknown_feature_without_near_miss_has_no_suggestion() -> None:
    with pytest.raises(ExpressionError, match=r"unknown feature 'zzz'$"):
        parse("zzz > 1", FEATURES)


def test_known_features_and_booleans_are_accepted() -> None:
    expression = parse("overdue_ratio >= 3 and not false", FEATURES)
    assert expression.names == frozenset({"overdue_ratio"})


def test_multiline_text_in_parentheses_is_fine() -> None:
    assert parse("\n  (overdue_ratio >= 3\n   and orders_recent > 0)\n", FEATURES).names == {
        "overdue_ratio",
        "orders_recent",
    }


@pytest.mark.parametrize(("text", "column"), [("   a.b > 1", 4), ("  a > b[1]", 7)])
def test_position_counts_leading_whitespace(text: str, column: int) -> None:
    """Columns point into the text as written, not into a stripped copy."""
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.column == column


@pytest.mark.parametrize("text", ["x" + " + x" * 1500 + " > 1", "-" * 1500 + "x > 1"])
def test_very_long_expression_fails_cleanly(text: str) -> None:
    """Accepted or rejected with ExpressionError; never RecursionError from the checker."""
    try:
        expression = parse(text)
    except ExpressionError as exc:
        assert exc.column >= 1
    else:
        assert expression.names == {"x"}


def test_dangerous_text_runs_nothing(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    attacks = [
        f"__import__('os').system('touch {target}')",
        f"open('{target}', 'w').write('x')",
        f"(lambda: open('{target}', 'w'))()",
        "().__class__.__bases__[0].__subclasses__()",
        f"[open('{target}', 'w') for _ in (1,)]",
    ]
    for attack in attacks:
        with pytest.raises(ExpressionError):
            parse(attack)
    assert not target.exists()


# -- properties -------------------------------------------------------------------------------

ALLOWED_NODES = (
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Compare,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
)


def assert_whitelisted(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        assert isinstance(node, ALLOWED_NODES), ast.dump(node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            assert node.func.id in FUNCTIONS
            assert not node.keywords
        if isinstance(node, ast.Constant):
            assert type(node.value) in (int, float, bool)


def harmless(module: str) -> bool:
    """CPython's parser imports unicodedata for non-ASCII names; numpy loads its own parts."""
    return module == "unicodedata" or module.startswith("numpy.")


@contextmanager
def nothing_runs() -> Iterator[list[str]]:
    """eval/exec raise, nothing is imported, and compile may only build syntax trees.

    Yields the list of violations seen (code compiled, modules imported).
    """
    seen: list[str] = []
    real_compile, real_import = builtins.compile, builtins.__import__

    def only_ast(
        source: object, filename: object, mode: str, flags: int = 0, **kw: object
    ) -> object:
        if not flags & ast.PyCF_ONLY_AST:
            seen.append(f"compile {source!r}")
        return real_compile(source, filename, mode, flags, **kw)  # type: ignore[call-overload]

    def no_import(name: str, *args: object, **kwargs: object) -> object:
        if not harmless(name):
            seen.append(f"import {name}")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    forbidden = AssertionError("must not be called")
    with (
        mock.patch.object(builtins, "eval", side_effect=forbidden),
        mock.patch.object(builtins, "exec", side_effect=forbidden),
        mock.patch.object(builtins, "__import__", side_effect=no_import),
        mock.patch.object(builtins, "compile", side_effect=only_ast),
    ):
        yield seen


def parse_or_reject(text: str) -> None:
    """The property: a checked Expression, or ExpressionError — never anything else."""
    expression = None
    with nothing_runs() as seen:
        try:
            expression = parse(text)
        except ExpressionError as exc:
            assert exc.column >= 1
        if expression is not None:
            columns = {name: np.array([1.0, NAN]) for name in expression.names}
            truth = expression.truth(columns, 2)
    assert seen == []
    if expression is not None:
        assert_whitelisted(expression.tree)
        assert np.isin(truth[~np.isnan(truth)], [0.0, 1.0]).all()


TOKENS = [
    *("x", "y", "orders_recent", "__import__", "os", "open", "eval", "exec", "getattr"),
    *FUNCTIONS,
    *("true", "false", "True", "None", "lambda", "if", "else", "for", "in", "is", "not"),
    *("and", "or", "await", "yield", "0", "1", "2.5", "1e308", "0x1F", "1j", "'s'", 'f"{x}"'),
    *("+", "-", "*", "/", "**", "//", "%", "@", "<", "<=", ">", ">=", "==", "!=", ":=", "~"),
    *("&", "|", "^", "<<", "(", ")", "[", "]", "{", "}", ",", ":", ".", "*", "=", "\\"),
]


@st.composite
def python_like(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(st.sampled_from(TOKENS), max_size=12)))


def leaf() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["x", "y", "z", "true", "false", "None", "'a'", "b'b'", "..."]),
        st.integers(-5, 5).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
    )


def any_python(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Syntactically valid Python expressions, inside and outside the grammar."""
    binary = st.sampled_from(["+", "-", "*", "/", "**", "//", "%", "@", "&", "|", "<<"])
    compare = st.sampled_from(["<", "<=", ">", ">=", "==", "!=", "in", "not in", "is"])
    call_name = st.sampled_from([*FUNCTIONS, "eval", "open", "__import__", "len"])
    pair = st.tuples(children, children)
    return st.one_of(
        st.tuples(children, binary, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, compare, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(["not ", "-", "+", "~"]), children).map(
            lambda t: f"({t[0]}{t[1]})"
        ),
        st.tuples(call_name, st.lists(children, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        pair.map(lambda t: f"{t[0]}.real + {t[1]}"),
        pair.map(lambda t: f"({t[0]})[{t[1]}]"),
        pair.map(lambda t: f"(lambda q: {t[0]})({t[1]})"),
        pair.map(lambda t: f"({t[0]} if {t[1]} else 0)"),
        pair.map(lambda t: f"[{t[0]} for q in {t[1]}]"),
        pair.map(lambda t: f"(w := {t[0]}) + {t[1]}"),
        pair.map(lambda t: f"max({t[0]}, {t[1]}, key={t[1]})"),
        pair.map(lambda t: f"min(*{t[0]}, {t[1]})"),
        children.map(lambda c: f'f"{{{c}}}"'),
    )


@settings(max_examples=150)
@given(st.text(max_size=40))
def test_random_text_parses_or_is_rejected(text: str) -> None:
    parse_or_reject(text)


@settings(max_examples=150)
@given(python_like())
def test_python_like_tokens_parse_or_are_rejected(text: str) -> None:
    parse_or_reject(text)


@settings(max_examples=200)
@given(st.recursive(leaf(), any_python, max_leaves=12))
def test_python_expressions_parse_or_are_rejected(text: str) -> None:
    parse_or_reject(text)


# valid expressions, against a row-by-row reference evaluator


def valid(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.sampled_from(["+", "-", "*", "/"])
    compare = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    return st.one_of(
        st.tuples(children, binary, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, compare, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, compare, children, compare, children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]} {t[3]} {t[4]})"
        ),
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(["not ", "-", "+"]), children).map(lambda t: f"({t[0]}{t[1]})"),
        st.tuples(st.sampled_from(["abs", "is_missing"]), children).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        st.tuples(
            st.sampled_from(["min", "max", "coalesce"]), st.lists(children, min_size=2, max_size=3)
        ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
    )


VALID_LEAVES = st.one_of(
    st.sampled_from(["x", "y", "z", "true", "false"]),
    st.sampled_from(["0", "1", "-1", "0.5", "3", "100"]),
)


def reference(node: ast.expr, row: dict[str, float]) -> float:
    """One row, one value at a time: the semantics the docs promise."""
    with np.errstate(all="ignore"):
        return float(_reference(node, {k: np.float64(v) for k, v in row.items()}))


def _truth(value: np.float64) -> np.float64:
    return value if np.isnan(value) else np.float64(value != 0)


def _kleene(truths: list[np.float64], is_and: bool) -> np.float64:
    decisive = 0.0 if is_and else 1.0
    if any(t == decisive for t in truths):
        return np.float64(decisive)
    if any(np.isnan(t) for t in truths):
        return np.float64(NAN)
    return np.float64(1.0 - decisive)


def _reference(node: ast.expr, row: dict[str, np.float64]) -> np.float64:
    match node:
        case ast.Constant(value=value):
            return np.float64(value)
        case ast.Name(id=name):
            return {"true": np.float64(1.0), "false": np.float64(0.0)}.get(name, row.get(name))
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return 1.0 - _truth(_reference(operand, row))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_reference(operand, row)
        case ast.UnaryOp(operand=operand):
            return _reference(operand, row)
        case ast.BinOp(left=left, op=op, right=right):
            a, b = _reference(left, row), _reference(right, row)
            operations = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
            result = operations.get(type(op), np.divide(a, b))
            return result if np.isfinite(result) else np.float64(NAN)  # x / 0 is unknown
        case ast.BoolOp(op=op, values=parts):
            truths = [_truth(_reference(p, row)) for p in parts]
            return _kleene(truths, isinstance(op, ast.And))
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            operands = [_reference(left, row), *(_reference(c, row) for c in comparators)]
            return _kleene(
                [_link(op, a, b) for op, a, b in zip(ops, operands, operands[1:], strict=False)],
                is_and=True,
            )
        case ast.Call(func=ast.Name(id=function), args=args):
            return _function(function, [_reference(a, row) for a in args])
    raise AssertionError(ast.dump(node))


def _link(op: ast.cmpop, a: np.float64, b: np.float64) -> np.float64:
    if np.isnan(a) or np.isnan(b):
        return np.float64(NAN)
    tests = {ast.Lt: a < b, ast.LtE: a <= b, ast.Gt: a > b, ast.GtE: a >= b}
    tests |= {ast.Eq: a == b, ast.NotEq: a != b}
    return np.float64(tests[type(op)])


def _function(function: str, values: list[np.float64]) -> np.float64:
    if function == "abs":
        return np.abs(values[0])
    if function == "is_missing":
        return np.float64(np.isnan(values[0]))
    if function == "coalesce":
        return next((v for v in values if not np.isnan(v)), values[-1])
    if any(np.isnan(v) for v in values):
        return np.float64(NAN)
    return np.float64(min(values) if function == "min" else max(values))


def columns_of(size: int) -> st.SearchStrategy[dict[str, np.ndarray]]:
    elements = st.one_of(st.just(NAN), st.sampled_from([0.0, 1.0, -1.0, 0.5]), st.floats(-1e6, 1e6))
    column = hnp.arrays(np.float64, size, elements=elements)
    return st.fixed_dictionaries({"x": column, "y": column, "z": column})


@settings(max_examples=200)
@given(st.recursive(VALID_LEAVES, valid, max_leaves=10), st.integers(0, 12).flatmap(columns_of))
def test_valid_expressions_evaluate_like_the_reference(
    text: str, columns: dict[str, np.ndarray]
) -> None:
    expression = parse(text, {"x": 1, "y": 1, "z": 1})
    size = len(columns["x"])
    truth = expression.truth(columns, size)
    assert truth.shape == (size,)
    assert np.isin(truth[~np.isnan(truth)], [0.0, 1.0]).all()
    assert (expression.fires(columns, size) == (truth == 1.0)).all()
    margin = expression.margin(columns, size)
    assert margin.shape == (size,)
    assert np.isfinite(margin).all()
    assert (margin >= 0).all()
    for index in range(size):
        row = {name: float(values[index]) for name, values in columns.items()}
        value = reference(expression.tree, row)
        expected = value if math.isnan(value) else float(value != 0)
        assert same([float(truth[index])], [expected]), (text, row)


# -- categories: text only as the other side of == / != -----------------------------------


def category_rule(text: str) -> Expression:
    return parse(text, FEATURES, condition=True, categories=CATEGORY_FEATURES)


def test_category_compared_with_text_on_either_side() -> None:
    columns = {"phase": np.array(["lost", "growth", None], dtype=object)}
    assert category_rule('phase == "lost"').truth(columns, 3).tolist()[:2] == [1.0, 0.0]
    assert category_rule('"lost" != phase').truth(columns, 3).tolist()[:2] == [0.0, 1.0]


def test_missing_category_is_unknown_for_both_operators() -> None:
    columns = {"phase": np.array([None], dtype=object)}
    for text in ('phase == "lost"', 'phase != "lost"', 'not phase == "lost"'):
        assert math.isnan(category_rule(text).truth(columns, 1)[0])


def test_category_combines_with_number_conditions() -> None:
    expression = category_rule('phase == "degeneration" and order_count >= 3')
    assert expression.names == {"phase", "order_count"}
    columns = {
        "phase": np.array(["degeneration", "degeneration", "maturity"], dtype=object),
        "order_count": np.array([5.0, 1.0, 5.0]),
    }
    assert expression.fires(columns, 3).tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('phase == "lsot"', "'lsot' is not a value of phase (did you mean 'lost'?)"),
        ("phase > 1", "'phase' is a category: compare it with == or != and a quoted value"),
        ('phase < "lost"', "text is allowed only"),
        ('order_count == "lost"', "'order_count' is a number: compare it with a number"),
        ('phase == "lost" == "growth"', "text is allowed only"),
        ('abs("lost") > 1', "text is allowed only"),
        ('true == "lost"', "text can only be compared with a category feature"),
        ('"a" == "b"', "text can only be compared with a category feature"),
    ],
)
def test_text_outside_a_category_comparison_is_rejected(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        category_rule(text)
