"""Customer ids that are numbers behind one fixed prefix (``10001``, ``C1000123``,
``KD-004711``), coded from their digits without hashing any text.

Most shops and ERP systems number their customers. Hashing ten million id strings took 1.7 s
on the development machine; reading the digits of the same ids as numbers takes 0.2 s, and
the codes follow from the numbers by direct addressing. An export with any id of another
shape (a space, a letter among the digits, a second prefix, more than 18 digits) is coded by
hashing, as before: this is only a faster way to the same codes.

Two ids are the same customer exactly when their text is the same. So either every id has
the same number of digits (leading zeros allowed: ``00042`` is then the 42nd number of that
width), or none has a leading zero (each number is written one way only). Within one prefix,
the order of the numbers is the ids' natural order.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.ingest.arrow_numpy import text_parts

MAX_DIGITS = 18
"""Up to 18 digits fit an int64, and natural order compares up to 18 digits as a number."""

_ZERO = ord("0")
_PREFIX = re.compile(rb"[!-/:-~]*(?=[0-9])")
_LOOK_AHEAD = 1000
ROWS = 1 << 15
"""Ids read as numbers at a time: their digits and numbers (under 1 MB) stay in the cache."""
_DIRECT_SPAN = 1 << 26
"""Numbers spread over at most this many values are coded through a table of that size
(64 MB at most); wider ones by hashing the numbers, which is still far cheaper than text."""


class Shape(NamedTuple):
    """What the ids of some rows have in common."""

    narrowest: int
    widest: int
    """The fewest and the most digits an id has."""
    zero_led: bool
    """Some id of more than one digit starts with 0."""
    low: int
    high: int
    """The smallest and the largest number (``high < low``: no ids at all)."""

    def __or__(self, other: Shape) -> Shape:
        return Shape(
            min(self.narrowest, other.narrowest),
            max(self.widest, other.widest),
            self.zero_led or other.zero_led,
            min(self.low, other.low),
            max(self.high, other.high),
        )


_NO_IDS = Shape(MAX_DIGITS + 1, 0, False, 2**63 - 1, -1)


class Numbered(NamedTuple):
    """One source's ids read as numbers."""

    prefix: bytes
    numbers: np.ndarray
    """Each row's number (int64; -1: no id)."""
    shape: Shape


def read_numbered(column: pa.ChunkedArray) -> Numbered | None:
    """The ids of ``column`` as numbers behind one prefix; None where any id has another
    shape."""
    if column.type not in (pa.string(), pa.large_string()):
        return None
    prefix = _prefix(column)
    if prefix is None:
        return None
    numbers = np.empty(len(column), np.int64)
    shape = _NO_IDS
    start = 0
    for chunk in column.chunks:
        end = start + len(chunk)
        found = _read_chunk(chunk, prefix, numbers[start:end])
        if found is None:
            return None
        shape |= found
        start = end
    return Numbered(prefix, numbers, shape)


def code_numbered(read: list[Numbered]) -> tuple[pa.Array, list[np.ndarray]] | None:
    """The distinct ids in natural order as text, and per source each row's int32 code
    (-1: no id); None where the sources' ids are not one numbering (two prefixes, or
    leading zeros among ids of several widths).

    Overwrites the numbers: they are the reader's own, and copying ten million would cost
    more than coding them."""
    prefixes = {r.prefix for r in read}
    shape = _NO_IDS
    for r in read:
        shape |= r.shape
    if len(prefixes) != 1 or (shape.zero_led and shape.narrowest != shape.widest):
        return None
    if shape.high < shape.low:  # no ids at all: the loader says so, from the other path
        return None
    distinct, codes = _codes([r.numbers for r in read], shape.low, shape.high)
    text = pc.cast(pa.array(distinct), pa.string())
    if shape.zero_led:
        text = pc.utf8_lpad(text, width=shape.widest, padding="0")
    (prefix,) = prefixes
    if prefix:
        text = pc.binary_join_element_wise(prefix.decode("ascii"), text, "")
    return text, codes


def _prefix(column: pa.ChunkedArray) -> bytes | None:
    """The characters before the digits of the first id: printable ASCII other than digits,
    so nothing that trimming would remove; None where that id is not such a prefix and
    digits."""
    head = pc.drop_null(column.slice(0, _LOOK_AHEAD))
    first = next((value for value in head.to_pylist() if value), None)
    if first is None:
        return None
    found = _PREFIX.match(first.encode("utf-8"))
    return found.group() if found else None


def _read_chunk(chunk: pa.Array, prefix: bytes, numbers: np.ndarray) -> Shape | None:
    """One block's ids as numbers into ``numbers`` (-1 where blank), and their shape; None
    where an id has another shape."""
    offsets, text = text_parts(chunk)
    digits = np.diff(offsets) - len(prefix)
    blank = digits == -len(prefix)
    if chunk.null_count:
        blank |= np.asarray(chunk.is_null(), dtype=bool)
    if bool(blank.all()):
        numbers[:] = -1
        return _NO_IDS
    if not bool(blank.any()) and int(digits.min()) == int(digits.max()):  # the common case
        block = text[offsets[0] : offsets[-1]].reshape(len(chunk), len(prefix) + int(digits[0]))
        return _parsed(block, prefix, digits, numbers)
    present = ~blank
    shown = digits[present]
    if int(shown.min()) < 1 or int(shown.max()) > MAX_DIGITS:
        return None
    block = _gathered(
        text, offsets[:-1][present], offsets[1:][present], len(prefix), int(shown.max())
    )
    values = np.empty(len(shown), np.int64)
    shape = _parsed(block, prefix, shown, values)
    numbers[:] = -1
    numbers[present] = values
    return shape


def _parsed(block: np.ndarray, prefix: bytes, digits: np.ndarray, into: np.ndarray) -> Shape | None:
    """The numbers of ids laid out as a matrix (one id per row: the prefix, then the digits
    right-aligned), written into ``into``; None where one is not the prefix and digits.

    Worked through :data:`ROWS` ids at a time: a digit place is a pass over the numbers, and
    over a cache's worth of them the passes cost a third of what they cost over a block of
    hundreds of thousands (10 M ids: 0.22-0.27 s against 0.36-0.58 s)."""
    width = block.shape[1] - len(prefix)
    if width < 1 or width > MAX_DIGITS:
        return None
    expected = np.frombuffer(prefix, np.uint8)
    zero_led = False
    for start in range(0, len(block), ROWS):
        rows = block[start : start + ROWS]
        if prefix and not bool((rows[:, : len(prefix)] == expected).all()):
            return None
        digit = rows[:, len(prefix) :] - np.uint8(_ZERO)
        if int(digit.max()) > 9:  # a byte below '0' wrapped around too
            return None
        number = into[start : start + ROWS]
        number[:] = digit[:, 0]
        for place in range(1, width):
            number *= 10
            number += digit[:, place]
        shown = digits[start : start + ROWS]
        first = digit[np.arange(len(digit)), width - shown]
        zero_led = zero_led or bool(((first == 0) & (shown > 1)).any())
    return Shape(int(digits.min()), int(digits.max()), zero_led, int(into.min()), int(into.max()))


def _gathered(
    text: np.ndarray, starts: np.ndarray, ends: np.ndarray, prefix: int, width: int
) -> np.ndarray:
    """Ids of different lengths as a matrix: the prefix, then the digits right-aligned in
    ``width`` places, the places before an id's first digit filled with '0'."""
    block = np.empty((len(starts), prefix + width), np.uint8)
    block[:, :prefix] = text[starts[:, None] + np.arange(prefix)]
    at = ends[:, None] - width + np.arange(width)
    before = at < (starts + prefix)[:, None]
    block[:, prefix:] = np.where(before, np.uint8(_ZERO), text[np.maximum(at, 0)])
    return block


def _codes(numbers: list[np.ndarray], low: int, high: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct numbers in order, and each row's place among them (-1: no id)."""
    if high - low >= _DIRECT_SPAN:
        distinct = np.unique(np.concatenate([pd.unique(n[n >= 0]) for n in numbers]))
        return distinct, [_placed(n, distinct) for n in numbers]
    base = low - 1  # place 0 of the table: no id
    for n in numbers:
        np.subtract(n, base, out=n)
        np.maximum(n, 0, out=n)
    seen = np.zeros(high - base + 1, bool)
    for n in numbers:
        seen[n] = True
    seen[0] = False
    code = np.cumsum(seen, dtype=np.int32) - 1
    code[0] = -1
    return np.flatnonzero(seen) + base, [code[n] for n in numbers]


def _placed(numbers: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """Each number's place among ``distinct`` (sorted), -1 for no id."""
    code = np.searchsorted(distinct, numbers).astype(np.int32)
    code[numbers < 0] = -1
    return code
