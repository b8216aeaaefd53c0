"""Strict, vectorised parsing of numbers written with any decimal and thousands separator.

Strict so that a wrong dialect cannot silently turn ``12.34`` into 1234: thousands
separators are accepted only between proper three-digit groups.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.core.dialect import THOUSANDS_CANDIDATES
from churnwatch.ingest.arrow_numpy import is_text, text_parts

SPACES = " \u00a0\u202f"
"""Spaces that group thousands, taken as one: a file may mix them (a spreadsheet's no-break
space beside the narrow one that French number formats write)."""


def _grouping(thousands: str) -> str:
    """The pattern of the thousands separator: any of :data:`SPACES` where it is one."""
    return f"[{SPACES}]" if thousands in SPACES else re.escape(thousands)


def number_pattern(decimal: str, thousands: str) -> str:
    """Anchored regex for a number in this dialect (sign in front or, SAP style, behind)."""
    dec = re.escape(decimal)
    plain = rf"\d+(?:{dec}\d*)?|{dec}\d+"
    exponent = r"(?:[eE][+-]?\d+)?"
    if thousands:
        grouped = rf"\d{{1,3}}(?:{_grouping(thousands)}\d{{3}})+(?:{dec}\d*)?"
        body = f"(?:{grouped}|{plain})"
    else:
        body = f"(?:{plain})"
    return rf"^(?:[+-]?{body}{exponent}|{body}-)$"


def parse_numbers(
    values: pa.Array, decimal: str = ".", thousands: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Parse strings to float64; returns ``(numbers, valid)``."""
    text = _without_currency(values.cast(pa.string()))
    pattern = number_pattern(decimal, thousands)
    valid = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    if not pc.all(valid).as_py():
        text, valid = _other_signs(text, valid, pattern)
    if thousands:
        text = pc.replace_substring_regex(text, _grouping(thousands), "")
    if decimal != ".":
        text = pc.replace_substring(text, decimal, ".")
    if pc.any(pc.ends_with(text, "-")).as_py():  # SAP's trailing minus: rare, so looked for
        text = pc.replace_substring_regex(text, r"^(.*)-$", r"-\1")
    safe = pc.if_else(valid, text, "0")
    numbers = np.asarray(pc.cast(safe, pa.float64()), dtype=np.float64)
    return numbers, np.asarray(valid, dtype=bool)


_MINUS_LOOKALIKES = "\u2212\u2013\u2012\u2010"
"""The minus sign, the en dash, the figure dash and the hyphen of typesetting and word
processors, which a copied amount may carry for its minus."""
_IN_PARENTHESES = r"^-?\(\s*(.*?)\s*\)$"
"""A negative amount as accountants write it: ``(12,50)``, also after a minus."""


def _other_signs(text: pa.Array, valid: pa.Array, pattern: str) -> tuple[pa.Array, pa.Array]:
    """Values not read for their sign alone, written with a minus of another character or
    in parentheses, read as negative; only the values not read are looked at again."""
    rest = np.flatnonzero(~np.asarray(valid, dtype=bool) & np.asarray(text.is_valid()))
    if not rest.size:
        return text, valid
    signed = pc.replace_substring_regex(text.take(pa.array(rest)), f"[{_MINUS_LOOKALIKES}]", "-")
    signed = _without_currency(pc.replace_substring_regex(signed, _IN_PARENTHESES, r"-\1"))
    signed = pc.replace_substring_regex(signed, r"^--", "-")  # -(12,50): negative once
    signed = pc.replace_substring_regex(signed, r"^-\s+(\d)", r"-\1")  # - 12,50 (Excel)
    signed = pc.replace_substring_regex(signed, r"(\d)\s+-$", r"\1-")  # 12,50 -
    found = np.asarray(pc.fill_null(pc.match_substring_regex(signed, pattern), False))
    if not found.any():
        return text, valid
    read = np.asarray(valid, dtype=bool).copy()
    read[rest[found]] = True
    mask = np.zeros(len(text), dtype=bool)
    mask[rest[found]] = True
    replaced = pc.replace_with_mask(text, pa.array(mask), signed.filter(pa.array(found)))
    return replaced, pa.array(read)


_POINT_DECIMALS = r"^[+-]?\d+\.\d{1,2}-?$"
"""A decimal point before one or two digits (``3453.40``, ``12.5``): never a thousands
separator, which groups three."""


def point_decimals(
    values: pa.Array, decimal: str, numbers: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Amounts typed with a decimal point in a file of decimal commas (``99.90`` among
    ``1.234,50``), where the point can be nothing else; only the values not read are looked
    at. Returns the numbers and validity with them read, and which they were."""
    rest = np.flatnonzero(~valid & np.asarray(values.is_valid(), dtype=bool))
    if decimal != "," or not rest.size:
        return numbers, valid, np.zeros(len(valid), dtype=bool)
    taken = values.take(pa.array(rest))
    fits = np.asarray(pc.fill_null(pc.match_substring_regex(taken, _POINT_DECIMALS), False))
    found = np.zeros(len(valid), dtype=bool)
    found[rest[fits]] = True
    if fits.any():
        numbers = numbers.copy()
        numbers[rest[fits]] = parse_numbers(taken.filter(pa.array(fits)), ".", "")[0]
    return numbers, valid | found, found


def unsampled_grouping(
    values: pa.Array, decimal: str, numbers: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values grouped by thousands though the sampled rows showed no such separator: an export
    sorted by customer may hold only small amounts in its first rows, and ``1.200,00`` far
    below them. Beside a decimal comma a point can only group thousands (and a comma beside
    a decimal point, in a value that has one: ``1,500`` alone may be 1.5 written in German);
    never a first group of zeros (``0.125``).
    Returns the numbers and validity with those values read, and which they were."""
    other = {",": ".", ".": ","}.get(decimal)
    if other is None or valid.all():
        return numbers, valid, np.zeros(len(valid), dtype=bool)
    grouped, fits = parse_numbers(values, decimal, other)
    found = fits & ~valid & ~_leading_zero_group(values)
    if decimal == ".":
        found &= np.asarray(pc.fill_null(pc.match_substring(values, "."), False), dtype=bool)
    return np.where(found, grouped, numbers), valid | found, found


def _leading_zero_group(values: pa.Array) -> np.ndarray:
    """``0.125`` or ``00.500``: a first group of zeros is never thousands."""
    pattern = r"^[^0-9]*0[0-9]*[.,]"
    return np.asarray(pc.fill_null(pc.match_substring_regex(values, pattern), False), dtype=bool)


_CURRENCY = r"(?:[€$£¥₣]|EUR|USD|GBP|CHF|JPY|SEK|NOK|DKK|PLN|CZK|S?Fr\.)"
_BLANK = r"[\s\x{a0}\x{202f}]*"
"""Spaces, including the no-break ones spreadsheets put before a currency sign."""


def _without_currency(text: pa.Array) -> pa.Array:
    """``2.588,81 €``, ``EUR 12``, ``-$1,234.56`` → the number alone (sign kept)."""
    text = pc.utf8_trim_whitespace(text)
    if not _may_name_a_currency(text):
        return text
    text = pc.replace_substring_regex(text, rf"^([+-]?){_BLANK}{_CURRENCY}{_BLANK}", r"\1")
    return pc.replace_substring_regex(text, rf"{_BLANK}{_CURRENCY}$", "")


def _may_name_a_currency(text: pa.Array) -> bool:
    """Whether any value could hold a currency: every sign or code has a letter, ``$`` or a
    byte beyond ASCII. One pass of numpy over the bytes, where the two regular expressions
    took 0.8 s for two million amounts that had none."""
    if not is_text(text.type):
        return True  # look value by value
    found = text_parts(text)[1]
    letter = ((found | 0x20) >= ord("a")) & ((found | 0x20) <= ord("z"))
    return bool((letter | (found == ord("$")) | (found >= 0x80)).any())


def detect_number_format(samples: Sequence[str]) -> tuple[str, str]:
    """Guess ``(decimal, thousands)`` from sample values such as ``1.234,56`` or ``1,234.56``.

    The dialect that parses the most samples wins; on a tie the simpler one (no thousands
    separator, then a decimal point) does. Whole amounts written with a thousands separator
    (``4,800``, ``12.000``) fit a decimal separator too; they are read as thousands when that
    fits every sample, and :func:`ambiguous_separator` lets the caller say so.
    """
    values = pa.array([s.strip() for s in samples if s and s.strip()], pa.string())
    separator = ambiguous_separator(samples)
    if separator and _grouped_reading_fits(values, separator):  # whole amounts, grouped
        return ("," if separator == "." else "."), separator
    if parse_numbers(values)[1].all():  # plain numbers: no other dialect can rank higher
        return ".", ""

    written = "".join(samples)

    def rank(dialect: tuple[str, str]) -> tuple[int, bool, bool, bool]:
        decimal, thousands = dialect
        score = int(parse_numbers(values, decimal, thousands)[1].sum())
        return score, thousands == "", decimal == ".", thousands in written  # which space

    dialects = [
        (decimal, thousands)
        for decimal in (".", ",")
        for thousands in ("", *THOUSANDS_CANDIDATES)
        if thousands != decimal
    ]
    return max(dialects, key=rank)


_ONE_GROUP = re.compile(r"^\D*[1-9]\d{0,2}([.,])\d{3}\D*$")
"""``4,800`` or ``12.000``: one separator, three digits after it; a thousands separator or a
decimal one with three decimals, the text alone cannot tell."""


def ambiguous_separator(samples: Sequence[str]) -> str | None:
    """The separator of sampled numbers that may as well group thousands as mark decimals:
    every value with a ``.`` or ``,`` has just one, followed by exactly three digits."""
    separated = [s.strip() for s in samples if s and ("." in s or "," in s)]
    matched = [_ONE_GROUP.match(s) for s in separated]
    found = {m.group(1) for m in matched if m}
    if not separated or not all(matched) or len(found) != 1:
        return None
    return found.pop()


def _grouped_reading_fits(values: pa.Array, separator: str) -> bool:
    """Read as thousands, the separated values are 1,000 or more: it fits when no value
    written without a separator is that large (an export that groups thousands groups them
    all), and every value parses that way."""
    decimal = "," if separator == "." else "."
    if not parse_numbers(values, decimal, separator)[1].all():
        return False
    plain = [v for v in values.to_pylist() if "." not in v and "," not in v]
    return all(len(re.sub(r"\D", "", v)) <= 3 for v in plain)
