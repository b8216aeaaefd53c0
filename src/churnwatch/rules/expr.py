"""The ``when`` language of rules: a tiny, safe expression language over feature columns.

Python's parser reads the text (so precedence and error positions are familiar), then every
node is checked against a short whitelist; nothing is ever handed to ``eval``. A checked
expression evaluates on whole columns at once with three-valued logic: a comparison with a
missing value is *unknown*, ``not unknown`` stays unknown, and only *true* fires a rule —
so missing data never fires one. Text appears only as the other side of ``==`` or ``!=``
with a category feature (``phase == "degeneration"``); category columns hold strings (or
``None``), every other column floats.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from churnwatch.core.suggest import did_you_mean

Columns = Mapping[str, np.ndarray]
FUNCTIONS = ("abs", "min", "max", "coalesce", "is_missing")
_COMPARISONS: dict[type[ast.cmpop], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_ARITHMETIC: dict[type[ast.operator], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
}
_BOOLEANS = {"true": 1.0, "false": 0.0}


class ExpressionError(ValueError):
    """The text is not a valid ``when`` expression; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression and the feature names it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def truth(self, columns: Columns, size: int) -> np.ndarray:
        """1.0 true, 0.0 false, NaN unknown, per row."""
        return _as_truth(_evaluate(self.tree, columns, size))

    def fires(self, columns: Columns, size: int) -> np.ndarray:
        return self.truth(columns, size) == 1.0

    def margin(self, columns: Columns, size: int) -> np.ndarray:
        """How far past its thresholds each row is (0 at the threshold), for ranking."""
        return _margin(self.tree, columns, size)


@dataclass
class _Found:
    """What the check pass saw: names used as numbers, and text comparisons."""

    numbers: set[str] = field(default_factory=set)
    texts: list[tuple[str, str, int]] = field(default_factory=list)
    """``(feature, text, column)`` of each ``feature == "text"`` comparison."""


def _syntax_error(text: str, exc: SyntaxError) -> ExpressionError:
    """Where Python's parser found no place (0: the text ended too soon, as after a trailing
    ``%`` in ``revenue_change <= -60%``), the end of the text, and what is likely meant: a
    share is written as a fraction."""
    if exc.offset:
        return ExpressionError(f"syntax error: {exc.msg}", exc.offset)
    end = len(text.rstrip())
    hint = " (a share is a fraction: -0.6 for -60%)" if text.rstrip().endswith("%") else ""
    return ExpressionError(f"syntax error: {exc.msg}: it ends too soon{hint}", max(end, 1))


def parse(
    text: str,
    known: Mapping[str, object] | None = None,
    *,
    condition: bool = False,
    categories: Mapping[str, tuple[str, ...]] | None = None,
) -> Expression:
    """Parse and check ``text``; ``known`` (feature names) catches misspelt names.

    ``condition``: the text must be true or false as a whole (a rule's ``when``), not a
    number. ``categories``: the category features and their values (empty: any text), which
    alone may be compared with text. Error columns are 1-based positions in ``text``.
    """
    body = text.lstrip()
    indent = len(text) - len(body)
    try:
        return _parse(body, known, condition, categories or {})
    except ExpressionError as exc:
        raise ExpressionError(str(exc).split(": ", 1)[1], exc.column + indent) from None


def _parse(
    text: str,
    known: Mapping[str, object] | None,
    condition: bool,
    categories: Mapping[str, tuple[str, ...]],
) -> Expression:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters; split it into rules", 1)
    try:
        tree = ast.parse(text, mode="eval").body
        _check_size(tree)
        found = _Found()
        _check(tree, found)
        if condition:
            _check_condition(tree)
    except SyntaxError as exc:
        raise _syntax_error(text, exc) from None
    except ExpressionError:
        raise
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("too long or too deeply nested (or contains NUL)", 1) from None
    names = found.numbers | {name for name, _, _ in found.texts}
    if known is not None:
        for name in sorted(names):
            if name not in known:
                position = _position_of(tree, name)
                message = f"unknown feature '{name}'{did_you_mean(name, known)}"
                raise ExpressionError(message, position)
        _check_kinds(tree, found, categories)
    return Expression(text, tree, frozenset(names))


MAX_LENGTH = 2000
MAX_NODES = 400
MAX_DEPTH = 40
MAX_NUMBER = 1e15
"""Bounds that keep a rule cheap on millions of customers: each node is a whole column."""


def _check_size(tree: ast.expr) -> None:
    """Too many parts or too deep a nesting is an error, before anything recurses over it."""
    nodes, deepest = 0, [(cast(ast.AST, tree), 1)]
    while deepest:
        node, depth = deepest.pop()
        nodes += isinstance(node, ast.expr)  # operators and contexts cost nothing
        if nodes > MAX_NODES:
            raise ExpressionError(f"more than {MAX_NODES} parts; split it into rules", 1)
        if depth > MAX_DEPTH:
            column = getattr(node, "col_offset", 0) + 1
            raise ExpressionError(f"nested more than {MAX_DEPTH} deep", column)
        deepest += [(child, depth + 1) for child in ast.iter_child_nodes(node)]


def _check_kinds(tree: ast.expr, found: _Found, categories: Mapping[str, tuple[str, ...]]) -> None:
    """Categories are compared with text, numbers with numbers; text must be a known value."""
    for name in sorted(found.numbers & set(categories)):
        example = (categories[name] or ("A",))[0]
        raise ExpressionError(
            f"'{name}' is a category: compare it with == or != and a quoted value,"
            f' such as {name} == "{example}"',
            _position_of(tree, name),
        )
    for name, value, column in found.texts:
        if name not in categories:
            raise ExpressionError(f"'{name}' is a number: compare it with a number", column)
        allowed = categories[name]
        if allowed and value not in allowed:
            raise ExpressionError(
                f"'{value}' is not a value of {name}{did_you_mean(value, allowed)};"
                f" one of {', '.join(allowed)}",
                column,
            )


def _position_of(tree: ast.expr, name: str) -> int:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return node.col_offset + 1
    return 1


def _check(node: ast.AST, found: _Found) -> None:
    """Reject every construct outside the grammar, naming it and where it is."""
    match node:
        case ast.BoolOp(values=values):
            for value in values:
                _check(value, found)
        case ast.UnaryOp(op=ast.Not() | ast.USub() | ast.UAdd(), operand=operand):
            _check(operand, found)
        case ast.BinOp(op=op, left=left, right=right) if type(op) in _ARITHMETIC:
            _check(left, found)
            _check(right, found)
        case ast.Compare() if (text := _text_comparison(node)) is not None:
            found.texts.append(text)
        case ast.Compare(left=left, ops=ops, comparators=comparators) if all(
            type(op) in _COMPARISONS for op in ops
        ):
            for part in (left, *comparators):
                _check(part, found)
        case ast.Call(func=ast.Name()):
            _check_call(node, found)
        case ast.Name(id=name) if name.lower() in _BOOLEANS:
            pass
        case ast.Name(id=name):
            found.numbers.add(name)
        case ast.Constant(value=value) if isinstance(value, int | float):
            _check_number(node, value)
        case _:
            _reject(node, _describe(node))


def _check_number(node: ast.Constant, value: float) -> None:
    if abs(value) > MAX_NUMBER:  # 2**1024 would not even fit a float
        _reject(node, f"a number beyond ±{MAX_NUMBER:.0e}")


def _check_condition(node: ast.expr) -> None:
    """The whole expression, and each part of and/or/not, must be true or false."""
    match node:
        case ast.BoolOp(values=values):
            for value in values:
                _check_condition(value)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            _check_condition(operand)
        case ast.Compare() | ast.Call(func=ast.Name(id="is_missing")):
            pass
        case ast.Constant(value=bool()):
            pass
        case ast.Name(id=name) if name.lower() in _BOOLEANS:
            pass
        case _:
            _reject(node, "needs a condition here, such as 'x > 1' or 'is_missing(x)'")


def _text_comparison(node: ast.Compare) -> tuple[str, str, int] | None:
    """``name == "text"`` or ``"text" != name``, the only place text may appear:
    ``(name, text, column of the text)``."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
        return None
    left, right = node.left, node.comparators[0]
    if isinstance(left, ast.Constant) and isinstance(right, ast.Name):
        left, right = right, left
    if not (isinstance(right, ast.Constant) and isinstance(right.value, str)):
        return None
    if not isinstance(left, ast.Name) or left.id.lower() in _BOOLEANS:
        _reject(right, 'text can only be compared with a category feature, as in phase == "lost"')
    assert isinstance(left, ast.Name)
    return left.id, right.value, right.col_offset + 1


def _check_call(node: ast.Call, found: _Found) -> None:
    assert isinstance(node.func, ast.Name)
    function = node.func.id
    if function not in FUNCTIONS:
        _reject(node, f"unknown function '{function}' (allowed: {', '.join(FUNCTIONS)})")
    if node.keywords:
        _reject(node, f"{function}() takes no keyword arguments")
    _check_arity(node, function, len(node.args))
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            _reject(arg, "unpacking ('*') is not allowed")
        _check(arg, found)


def _check_arity(node: ast.Call, function: str, count: int) -> None:
    expected = {
        "abs": (1, 1),
        "is_missing": (1, 1),
        "min": (2, 99),
        "max": (2, 99),
        "coalesce": (2, 99),
    }
    low, high = expected[function]
    if not low <= count <= high:
        wanted = f"{low}" if low == high else f"at least {low}"
        _reject(node, f"{function}() takes {wanted} argument{'s' if low > 1 else ''}, got {count}")


def _describe(node: ast.AST) -> str:
    what = {
        ast.Attribute: "attribute access ('.') is not allowed",
        ast.Subscript: "subscripts ('[…]') are not allowed",
        ast.Lambda: "lambdas are not allowed",
        ast.Call: "only abs, min, max, coalesce and is_missing can be called",
        ast.Constant: 'text is allowed only as in phase == "lost" (== or != with a category)',
        ast.IfExp: "if/else expressions are not allowed",
        ast.NamedExpr: "assignments (':=') are not allowed",
        ast.Compare: "only < <= > >= == != comparisons are allowed",
        ast.BinOp: "only the operators + - * / are allowed",
        ast.JoinedStr: "f-strings are not allowed",
    }
    for kind, text in what.items():
        if isinstance(node, kind):
            return text
    return f"{type(node).__name__} is not allowed"


def _reject(node: ast.AST, message: str) -> None:
    raise ExpressionError(message, getattr(node, "col_offset", 0) + 1)


# -- evaluation -----------------------------------------------------------------------------


def _evaluate(node: ast.expr, columns: Columns, size: int) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return _value(node, columns, size)


def _value(node: ast.expr, columns: Columns, size: int) -> np.ndarray:
    match node:
        case ast.Constant(value=int() | float() as value):
            return np.full(size, float(value))
        case ast.Name(id=name) if name.lower() in _BOOLEANS:
            return np.full(size, _BOOLEANS[name.lower()])
        case ast.Name(id=name):
            return np.asarray(columns[name], dtype=np.float64)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_value(operand, columns, size)
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return _value(operand, columns, size)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return 1.0 - _as_truth(_value(operand, columns, size))
        case ast.BinOp(op=op, left=left, right=right):
            result = _ARITHMETIC[type(op)](
                _value(left, columns, size), _value(right, columns, size)
            )
            return np.where(np.isfinite(result), result, np.nan)  # x / 0 is unknown, not huge
        case ast.BoolOp(op=op, values=values):
            combine = _and if isinstance(op, ast.And) else _or
            result = _as_truth(_value(values[0], columns, size))
            for part in values[1:]:  # one column at a time: memory stays flat
                result = combine(result, _as_truth(_value(part, columns, size)))
            return result
        case ast.Compare() if (text := _text_comparison(node)) is not None:
            return _compare_text(columns[text[0]], text[1], node.ops[0])
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            return _compare(left, ops, comparators, columns, size)
        case ast.Call(func=ast.Name(id=function), args=args):
            return _call(function, [_value(a, columns, size) for a in args])
    raise AssertionError(f"unchecked node {ast.dump(node)}")  # pragma: no cover


def _compare(
    left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr], columns: Columns, size: int
) -> np.ndarray:
    """Chained comparisons (``0 < x <= 1``) are the 'and' of each link."""
    operands = [_value(left, columns, size), *(_value(c, columns, size) for c in comparators)]
    links = []
    for op, a, b in zip(ops, operands, operands[1:], strict=False):
        unknown = np.isnan(a) | np.isnan(b)
        links.append(np.where(unknown, np.nan, _COMPARISONS[type(op)](a, b).astype(np.float64)))
    return functools.reduce(_and, links)


def _compare_text(values: np.ndarray, text: str, op: ast.cmpop) -> np.ndarray:
    """A category column (strings, ``None`` where missing) against text; missing is unknown."""
    missing = np.equal(values, None)  # type: ignore[call-overload]
    equal = (values == text).astype(np.float64)
    return np.where(missing, np.nan, equal if isinstance(op, ast.Eq) else 1.0 - equal)


def _call(function: str, args: list[np.ndarray]) -> np.ndarray:
    if function == "abs":
        return np.abs(args[0])
    if function == "is_missing":
        return np.isnan(args[0]).astype(np.float64)
    if function == "coalesce":
        result = args[0]
        for arg in args[1:]:
            result = np.where(np.isnan(result), arg, result)
        return result
    combine = np.minimum if function == "min" else np.maximum
    result = args[0]
    for arg in args[1:]:
        result = combine(result, arg)  # NaN if any is missing: min of unknowns is unknown
    return result


def _as_truth(values: np.ndarray) -> np.ndarray:
    """Numbers used as conditions: non-zero is true, NaN stays unknown."""
    return np.where(np.isnan(values), np.nan, (values != 0).astype(np.float64))


def _and(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Kleene 'and': false beats unknown beats true."""
    false = (left == 0) | (right == 0)
    unknown = np.isnan(left) | np.isnan(right)
    return np.where(false, 0.0, np.where(unknown, np.nan, 1.0))


def _or(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Kleene 'or': true beats unknown beats false."""
    true = (left == 1) | (right == 1)
    unknown = np.isnan(left) | np.isnan(right)
    return np.where(true, 1.0, np.where(unknown, np.nan, 0.0))


# -- margins: how strongly a row satisfies an expression -------------------------------------


def _margin(node: ast.expr, columns: Columns, size: int) -> np.ndarray:
    """Relative distance past the signal's threshold, 0 if unknown.

    In ``a and b and c`` the first condition is the signal and the rest are guards
    (``orders_recent >= 2``), so only the first counts; ``or`` takes the strongest branch.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        match node:
            case ast.BoolOp(op=ast.And(), values=values):
                return _margin(values[0], columns, size)
            case ast.BoolOp(values=values):
                return np.vstack([_margin(v, columns, size) for v in values]).max(axis=0)
            case ast.Compare() if _text_comparison(node) is not None:
                return np.zeros(size)  # equality has no distance to a threshold
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                operands = [
                    _value(left, columns, size),
                    *(_value(c, columns, size) for c in comparators),
                ]
                links = [
                    _link_margin(type(op), a, b)
                    for op, a, b in zip(ops, operands, operands[1:], strict=False)
                ]
                smallest: np.ndarray = np.vstack(links).min(axis=0)
                return smallest
        return np.zeros(size)


def _link_margin(op: type[ast.cmpop], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(b), 1.0)
    if op in (ast.Gt, ast.GtE):
        distance = (a - b) / scale
    elif op in (ast.Lt, ast.LtE):
        distance = (b - a) / scale
    else:
        distance = np.zeros_like(a)
    bounded: np.ndarray = np.nan_to_num(np.clip(distance, 0.0, 10.0), nan=0.0)
    return bounded
