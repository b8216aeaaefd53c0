"""How a rule's ``explain`` template turns feature values into words.

Beyond Python's format specs (``{x:.0f}``, ``{x:+.0%}``), two small additions make the
sentences read right: ``{x:.0f|order}`` writes the noun after the number in the singular or
plural (``1 order``, ``3 orders``; ``{x:.0f|Tag/Tagen}`` names both forms), and
``{x:lateness}`` writes a signed number of days as ``3 days late``, ``3 days early`` or
``on time``. A number that rounds to zero never shows a minus sign (``-0``).

:class:`Words` carries what differs between languages: the decimal and group separators,
the space before a percent sign, and the words for lateness.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

MISSING = "–"
MAX_WIDTH = 40
"""A wider field or longer precision would only pad the sentence (or fill the memory)."""
LATENESS = "lateness"
_NEGATIVE_ZERO = re.compile(r"^-(?=[^1-9]*$)")


@dataclass(frozen=True)
class Words:
    """A language's way of writing the numbers and words in an explanation."""

    decimal: str = "."
    group: str = ","
    percent: str = "%"
    late: str = "{days} late"
    early: str = "{days} early"
    on_time: str = "on time"
    day: tuple[str, str] = ("day", "days")

    def localise(self, text: str) -> str:
        """A number Python formatted (``1,234.5``, ``35%``) in this language's conventions."""
        if (self.decimal, self.group) != (".", ","):
            text = text.translate({ord(","): self.group, ord("."): self.decimal})
        return text.replace("%", self.percent) if self.percent != "%" else text


ENGLISH_WORDS = Words()


def noun_forms(noun: str) -> tuple[str, str]:
    """``'order'`` → ``('order', 'orders')``; ``'Tag/Tagen'`` → ``('Tag', 'Tagen')``."""
    singular, slash, plural = noun.partition("/")
    return (singular, plural) if slash else (noun, noun + "s")


def split_spec(spec: str) -> tuple[str, str | None]:
    """``'.0f|order'`` → ``('.0f', 'order')``; ``'.1f'`` → ``('.1f', None)``."""
    number, _, noun = spec.partition("|")
    return number, (noun or None)


def check_spec(spec: str) -> None:
    """Raise ``ValueError`` unless ``spec`` formats a number."""
    if spec == LATENESS:
        return
    number, noun = split_spec(spec)
    if "|" in spec and not (noun or "").strip():
        raise ValueError("a '|' must be followed by a noun")
    if noun and (noun.count("/") > 1 or not all(f.strip() for f in noun_forms(noun))):
        raise ValueError("a noun is one word, or its singular and plural as 'Tag/Tage'")
    if any(int(digits) > MAX_WIDTH for digits in re.findall(r"\d+", number)):
        raise ValueError(f"widths and precisions above {MAX_WIDTH} are not allowed")
    for value in (1.5, 3.0, -0.0, 1e15):  # every kind of value a feature can hold
        format(value, number)


def format_number(value: float, spec: str, words: Words = ENGLISH_WORDS) -> str:
    """One number as the template asks for it (see the module docstring)."""
    return format_numbers([value], spec, words)[0]


def format_numbers(
    values: Iterable[float | None], spec: str, words: Words = ENGLISH_WORDS
) -> list[str]:
    """Numbers as the template asks for them, the spec read once for all of them (a rule's
    explanation formats every distinct value of a field it shows)."""
    if spec == LATENESS:
        return [_lateness(value, words) for value in values]
    number, noun = split_spec(spec)
    singular, plural = noun_forms(noun or "")
    missing = f"{MISSING} {plural}" if noun else MISSING
    signed = "+" if "+" in number else ""
    texts = []
    for value in values:
        if value is None or math.isnan(value):
            texts.append(missing)
            continue
        whole = not number and float(value).is_integer()
        text = format(int(value) if whole else value, number)  # {x} of 147.0 reads 147
        if text[0] == "-" and _NEGATIVE_ZERO.match(text):  # -0, -0.0, -0%: nothing below zero
            text = signed + text[1:]
        one = text.lstrip("+") in ("1", "1.0")
        text = words.localise(text)
        texts.append(text if noun is None else f"{text} {singular if one else plural}")
    return texts


def _lateness(value: float | None, words: Words) -> str:
    if value is None or not math.isfinite(value):  # no number of days to write
        return MISSING
    days = round(value)
    if days == 0:
        return words.on_time
    amount = f"{abs(days)} {words.day[0] if abs(days) == 1 else words.day[1]}"
    return (words.late if days > 0 else words.early).format(days=amount)


def fill_rows(
    template: str,
    numbers: dict[str, np.ndarray],
    texts: dict[str, pa.Array],
    rows: int,
    words: Words = ENGLISH_WORDS,
) -> pa.Array:
    """The template filled for ``rows`` rows at once, as a scan fills a rule's explanation for
    every customer it fired on: numbers from ``numbers`` by their spec (in the conventions of
    ``words``), dates and categories from ``texts`` as they are. Each distinct value of a
    field is formatted once, and the parts are joined column by column (no loop per row);
    the result stays Arrow text, which the outputs join on whole columns.

    A template of clauses (``…; …``) leaves out, row by row, a clause with a value missing
    where another clause has all of its values: '0 open, the oldest – days; median resolution
    28 days' says no more than 'median resolution 28 days'."""
    clauses = template.split(CLAUSES)
    if len(clauses) > 1:
        return _without_empty_clauses(clauses, numbers, texts, rows, words)
    return _filled(template, numbers, texts, rows, words)


CLAUSES = "; "


def _without_empty_clauses(
    clauses: list[str],
    numbers: dict[str, np.ndarray],
    texts: dict[str, pa.Array],
    rows: int,
    words: Words,
) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    filled = [_filled(clause, numbers, texts, rows, words) for clause in clauses]
    none = pa.scalar(None, pa.string())
    joined = None
    for clause in filled:
        kept = pc.if_else(pc.match_substring(clause, MISSING), none, clause)
        if joined is None:
            joined = kept
            continue
        both = pc.binary_join_element_wise(joined, kept, CLAUSES)  # null where either is
        joined = pc.coalesce(both, joined, kept)
    whole = pc.binary_join_element_wise(*filled, CLAUSES)  # a gap in every clause: say so
    return pc.coalesce(joined, whole)


def _filled(
    template: str,
    numbers: dict[str, np.ndarray],
    texts: dict[str, pa.Array],
    rows: int,
    words: Words,
) -> pa.Array:
    """One template filled for every row, as Arrow text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts: list[object] = []
    for literal, field, spec, _ in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if field is None:
            continue
        if field in texts:
            parts.append(texts[field])
        else:
            parts.append(_formatted(numbers.get(field, np.full(rows, np.nan)), spec or "", words))
    if not any(isinstance(part, pa.Array) for part in parts):
        return pa.array(["".join(str(part) for part in parts)] * rows, pa.string())
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "")


def _formatted(values: np.ndarray, spec: str, words: Words) -> pa.Array:
    """Every value formatted by ``spec``."""
    numbers = values.astype(np.float64)
    return each_distinct(
        numbers,
        lambda distinct: format_numbers(distinct, spec, words),
        same_text=_same_text(numbers, spec),
    )


_WHOLE = re.compile(r"^\+?,?\.0([f%])$")
"""A spec that shows no decimals (``.0f``, ``,.0f``, ``+.0%``)."""


def _same_text(numbers: np.ndarray, spec: str) -> np.ndarray | None:
    """One key per text ``spec`` writes, where the text depends on less than the value: a
    spec without decimals writes the value (times 100 for a percentage, as Python's format
    multiplies it) rounded half to even, which is ``np.rint``; lateness writes the rounded
    days. Revenues in cents, shares and averages have nearly as many values as customers,
    but only a few thousand whole numbers among them. None: every value may read
    differently."""
    if spec == LATENESS:
        return np.rint(numbers)
    found = _WHOLE.match(split_spec(spec)[0])
    if found is None:
        return None
    if found.group(1) == "f":
        return np.rint(numbers)
    with np.errstate(over="ignore"):  # beyond 1.8e306: 'inf%', as Python writes it too
        return np.rint(numbers * 100.0)


def each_distinct(
    values: np.ndarray,
    shown: Callable[[list[Any]], list[str]],
    *,
    same_text: np.ndarray | None = None,
) -> pa.Array:
    """Every value as ``shown`` writes it, called once with the distinct values (found by
    hashing, not sorting; the missing ones among them as one NaN) and taken for every row by
    Arrow: a column of millions of rows has a few thousand values to write. ``same_text``:
    a key per row, equal where ``shown`` writes the same text (then one value per key is
    written)."""
    import pandas as pd
    import pyarrow as pa

    if same_text is None:
        codes, distinct = pd.factorize(values, use_na_sentinel=False)
        return pa.array(shown(distinct.tolist()), pa.string()).take(pa.array(codes))
    codes, keys = pd.factorize(same_text, use_na_sentinel=False)
    chosen = np.empty(len(keys), dtype=values.dtype)
    chosen[codes] = values  # any value of a key stands for all of them
    return pa.array(shown(chosen.tolist()), pa.string()).take(pa.array(codes))
