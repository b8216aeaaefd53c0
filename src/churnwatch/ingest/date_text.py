"""Strict, vectorised parsing of date text into day numbers (days since 1970-01-01).

Day numbers rather than datetime64: converting Arrow dates to pandas timestamps costs more
than reading the CSV, and every feature is a difference of days anyway. Parsing is strict on
purpose: ``31.02.2025`` is an error, not the 3rd of March.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.core.dialect import EXCEL_SERIAL
from churnwatch.ingest.arrow_numpy import text_parts

_DIRECTIVES = {
    "%Y": r"(?P<Y>\d{4})",
    "%y": r"(?P<y>\d{2})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})(?:er)?",
    "%b": r"(?P<b>[A-Za-zÀ-ÿ]{3,10})\.?",
}
# A time of day (and zone) after the date is accepted and ignored: only the day matters.
# The time may be on a 12-hour clock (``1:43 AM``, Salesforce) or end in ``Uhr``.
_TIME_SUFFIX = (
    r"(?:,?[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?: ?(?:[AaPp]\.?[Mm]\.?|Uhr|h))?"
    r"(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)?"
)

_WEEKDAY_PREFIX = (
    r"(?:(?i:mon|tue|wed|thu|fri|sat|sun|mo|di|mi|do|fr|sa|so|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|montag|dienstag|mittwoch|donnerstag|freitag|samstag|"
    r"sonnabend|sonntag|lun|mar|mer|jeu|ven|sam|dim|lundi|mardi|mercredi|jeudi|vendredi|"
    r"samedi|dimanche)\.?,? ?)?"
)
"""A weekday before the date (``Di, 02.01.2024``, ``Mon 01/06/2025``, ``mar. 02/01/2024``),
as Outlook and CRMs write it: accepted and ignored, as the date says the day. (A day's
``1er``, French for the first, is read as its number.)"""

# Tried in this order; earlier wins a tie, so day-first beats month-first for '01/02/2025'.
CANDIDATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d.%m.%y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d. %b %Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
)
DETECTED_FORMATS = (*CANDIDATE_FORMATS, EXCEL_SERIAL)
"""What a column's dates are tried in: the written forms, then Excel's serial numbers."""


UNMISTAKABLE_FORMS = ("%Y-%m-%d", "%d.%m.%Y", EXCEL_SERIAL)
"""Forms whose dates read one way only (ISO; dots, day first: no month-first form uses
them; a number of five digits, which Excel writes for a date in a cell formatted as a
number), and so are read in a column of another form too."""
EXCEL_DAY_ZERO = 25569
"""Excel's serial number of 1970-01-01 (it counts from 1899-12-30)."""
_SERIAL = r"^(?P<serial>[2-7]\d{4})(?:[.,]\d+)?$"
"""A serial day number of 1954 to 2118, perhaps with the time as a fraction (``45293.5``):
five digits of another range in a date column are a typo, not a date of 1933."""
_SERIAL_SHAPE = r"^\d{5}(?:[.,]\d+)?$"
"""A serial's shape (its digits as zeros, see :data:`_ZEROED`)."""

MIN_YEAR, MAX_YEAR = 1900, 2199
"""Business dates outside these years are typos (0000, 9999 placeholders), not history."""
FIRST_DAY = int((np.datetime64(f"{MIN_YEAR}-01-01") - np.datetime64("1970-01-01")).astype(int))
LAST_DAY = int((np.datetime64(f"{MAX_YEAR}-12-31") - np.datetime64("1970-01-01")).astype(int))


def format_pattern(fmt: str) -> str:
    """The anchored regular expression that matches dates written in ``fmt``."""
    parts = re.split(r"(%.)", fmt)
    body = "".join(_DIRECTIVES.get(part, re.escape(part)) for part in parts)
    return f"^{_WEEKDAY_PREFIX}{body}{_TIME_SUFFIX}$"


def parse_days(
    values: pa.Array | pa.ChunkedArray,
    fmt: str,
    years: tuple[int, int] = (MIN_YEAR, MAX_YEAR),
    *,
    trimmed: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Parse strings written in ``fmt`` to day numbers.

    Returns ``(days, valid)``; ``days`` is meaningless where ``valid`` is false, as it is for
    a date outside ``years``. Dates written in the format's full width (``07.03.2025``, as
    nearly every export writes them) are read from their bytes; the others (``7.3.2025``, a
    time after the date, anything else) by the format's regular expression. ``trimmed``: the
    values have no blanks around them (the reader's cleaning took them off).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = values.cast(pa.string())
    if not trimmed:
        text = pc.utf8_trim_whitespace(text)
    if fmt == EXCEL_SERIAL:
        return _serial_days(text, years)
    layout = _Layout.of(fmt)
    if layout is None or len(text) == 0:
        return _matched_days(text, fmt, years)
    days, valid, read = layout.days(text, years)
    rest = np.flatnonzero(~read & np.asarray(text.is_valid(), dtype=bool))
    if rest.size:
        days[rest], valid[rest] = _matched_days(text.take(pa.array(rest)), fmt, years)
    return days, valid


def _serial_days(text: pa.Array, years: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_days` of Excel's serial day numbers."""
    parts = pc.extract_regex(text, _SERIAL)
    matched = np.asarray(parts.is_valid(), dtype=bool)
    serial = pc.cast(pc.struct_field(parts, [0]).fill_null("0"), pa.int64())
    days = np.asarray(serial, dtype=np.int64) - EXCEL_DAY_ZERO
    first = _day_of(f"{years[0]:04d}-01-01")
    last = _day_of(f"{years[1]:04d}-12-31")
    return days, matched & (days >= first) & (days <= last)


def _day_of(iso: str) -> int:
    return int((np.datetime64(iso) - np.datetime64("1970-01-01")).astype(int))


MONTH_NAMES = {
    month: number
    for number, names in enumerate(
        (
            "january jan januar jän jänner janvier janv",
            "february feb februar feber février févr fevrier",
            "march mar märz mär mrz maerz mars",
            "april apr avril avr",
            "may mai",
            "june jun juni juin",
            "july jul juli juillet juil",
            "august aug août aout",
            "september sep sept septembre",
            "october oct oktober okt octobre",
            "november nov novembre",
            "december dec dezember dez décembre déc decembre",
        ),
        start=1,
    )
    for month in names.split()
}
"""Month names and their abbreviations, English, German (Austrian Jänner too) and French,
lower case: ``%b`` reads any of them."""
_NAMES = pa.array(list(MONTH_NAMES), pa.string())
_NUMBERS = np.array([0, *MONTH_NAMES.values()], dtype=np.int64)


def _month_numbers(names: pa.Array) -> np.ndarray:
    """Each month name's number, 0 where it is none (a word that is no month)."""
    found = pc.index_in(pc.utf8_lower(names), value_set=_NAMES)
    return _NUMBERS[np.asarray(found.fill_null(-1), dtype=np.int64) + 1]


def _matched_days(
    text: pa.Array, fmt: str, years: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_days` by the format's regular expression."""
    parts = pc.extract_regex(text, format_pattern(fmt))
    matched = np.asarray(parts.is_valid(), dtype=bool)
    fields = {parts.type.field(i).name: i for i in range(parts.type.num_fields)}

    def component(name: str) -> np.ndarray:
        column = pc.struct_field(parts, [fields[name]]).fill_null("0")
        return np.asarray(pc.cast(column, pa.int64()), dtype=np.int64)

    if "Y" in fields:
        year = component("Y")
    else:
        short = component("y")
        year = np.where(short < 70, 2000 + short, 1900 + short)
    if "b" in fields:
        month = _month_numbers(pc.struct_field(parts, [fields["b"]]).fill_null(""))
    else:
        month = component("m")
    return civil_to_days(year, month, component("d"), matched, years)


@dataclass(frozen=True)
class _Layout:
    """A date format written in its full width, zero-padded (``%d.%m.%Y`` → ``DD.MM.YYYY``):
    where each field's digits and each separator stand."""

    width: int
    fields: dict[str, tuple[int, int]]
    """Directive letter → (first place, number of digits)."""
    separators: tuple[tuple[int, int], ...]
    """(place, byte) of each character between the fields."""

    @classmethod
    def of(cls, fmt: str) -> _Layout | None:
        fields, separators, place = {}, [], 0
        if "%b" in fmt:  # a month name has no one width: the regular expression reads it
            return None
        for part in re.split(r"(%.)", fmt):
            if part in _DIRECTIVES:
                size = 4 if part == "%Y" else 2
                fields[part[1]] = (place, size)
                place += size
                continue
            if not part.isascii():
                return None
            separators += [(place + i, ord(c)) for i, c in enumerate(part)]
            place += len(part)
        return cls(place, fields, tuple(separators))

    def days(
        self, text: pa.Array, years: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(days, valid, read)``: the rows written in this layout read (``read``), the rest
        left to the regular expression."""
        offsets, data = text_parts(text)
        days = np.zeros(len(text), np.int64)
        valid = np.zeros(len(text), bool)
        read = (np.diff(offsets) == self.width) & np.asarray(text.is_valid(), dtype=bool)
        chosen = np.flatnonzero(read)
        # Usually every value is in the layout and the other cells are empty: the bytes are
        # then the values one after another, a matrix as they lie
        whole = offsets[-1] - offsets[0] == self.width * chosen.size
        lying = data[offsets[0] : offsets[-1]].reshape(-1, self.width) if whole else None
        for start in range(0, chosen.size, _ROWS):
            rows = chosen[start : start + _ROWS]
            if lying is not None:
                block = lying[start : start + _ROWS]
            else:
                block = data[offsets[rows][:, None] + np.arange(self.width)]
            fits = np.ones(len(rows), bool)
            for place, byte in self.separators:
                fits &= block[:, place] == byte
            value = {}
            for name, (first, size) in self.fields.items():
                digits = block[:, first : first + size] - np.uint8(_ZERO)
                fits &= (digits <= 9).all(axis=1)
                number = np.zeros(len(rows), np.int64)
                for place in range(size):
                    number = number * 10 + digits[:, place]
                value[name] = number
            year = (
                value["Y"] if "Y" in value else np.where(value["y"] < 70, 2000, 1900) + value["y"]
            )
            found, ok = civil_to_days(year, value["m"], value["d"], fits, years)
            days[rows], valid[rows] = found, ok
            read[rows] = fits
        return days, valid, read


_ROWS = 1 << 18
"""Rows read at a time: a block of their bytes stays in the cache's reach."""
_ZERO = ord("0")


def civil_to_days(
    year: np.ndarray,
    month: np.ndarray,
    day: np.ndarray,
    matched: np.ndarray | None = None,
    years: tuple[int, int] = (MIN_YEAR, MAX_YEAR),
) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers for calendar dates, with a mask of the dates that really exist (in
    ``years``)."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    month_index = np.clip(month, 1, 12) - 1
    days_in_month = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month_index]
    days_in_month = days_in_month + (leap & (month == 2))
    valid = month_ok & (day >= 1) & (day <= days_in_month) & (year >= years[0]) & (year <= years[1])
    if matched is not None:
        valid &= matched
    safe_year = np.where(valid, year, 1970)
    months = (safe_year - 1970) * 12 + np.where(valid, month_index, 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + np.where(valid, day - 1, 0), valid


def outside_years(values: pa.Array, fmt: str) -> np.ndarray:
    """Which of ``values`` (dates not read) are real dates of a year before :data:`MIN_YEAR`
    or after :data:`MAX_YEAR`: ``9999-12-31``, which SAP writes for "open", is in the form,
    and its message should say what is wrong with it."""
    return parse_days(values, fmt, years=(1, 9999))[1]


def detect_date_format(samples: Sequence[str]) -> tuple[str | None, list[str]]:
    """The candidate format that parses most samples, and the others that parse as many.

    The second item lists equally good alternatives so the caller can warn about ambiguity
    (``03/04/2025`` is March or April depending on the country).
    """
    values = Counter(s.strip() for s in samples if s and s.strip())
    if not values:
        return None, []
    shapes: dict[str, list[str]] = {}
    for value in values:
        shapes.setdefault(value.translate(_ZEROED), []).append(value)
    scores = {fmt: _count_valid(values, shapes, fmt) for fmt in DETECTED_FORMATS}
    best = max(scores.values())
    if best == 0:
        return None, []
    winners = [fmt for fmt in DETECTED_FORMATS if scores[fmt] == best]
    return winners[0], winners[1:]


_ZEROED = str.maketrans("123456789", "000000000")
"""A value's shape: its digits as zeros (``07.03.2025`` → ``00.00.0000``). A format's pattern
matches a value exactly when it matches its shape, and a column's values have few shapes."""


def _count_valid(values: Counter[str], shapes: dict[str, list[str]], fmt: str) -> int:
    """How many of ``values`` (each distinct value and how often it is there) are dates in
    ``fmt``. Only the values of the shapes its pattern matches are read: most formats match
    none, and Arrow compiles a pattern anew for every array (eleven formats per source made
    a tenth of a second of a small scan)."""
    pattern = _pattern(fmt)
    fitting = [value for shape, same in shapes.items() if pattern.match(shape) for value in same]
    if not fitting:
        return 0
    _, valid = parse_days(pa.array(fitting, pa.string()), fmt, trimmed=True)
    return sum(values[value] for value, ok in zip(fitting, valid, strict=True) if ok)


@functools.cache
def _pattern(fmt: str) -> re.Pattern[str]:
    """``fmt``'s pattern as Arrow reads it: ``\\d`` is an ASCII digit."""
    return re.compile(_SERIAL_SHAPE if fmt == EXCEL_SERIAL else format_pattern(fmt), re.ASCII)
