"""Strict, vectorised parsing of date text into day numbers (days since 1970-01-01).

Day numbers rather than datetime64: converting Arrow dates to pandas timestamps costs more
than reading the CSV, and every feature is a difference of days anyway. Parsing is strict on
purpose: ``31.02.2025`` is an error, not the 3rd of March.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DIRECTIVES = {
    "%Y": r"(?P<Y>\d{4})",
    "%y": r"(?P<y>\d{2})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})",
}
# A time of day (and zone) after the date is accepted and ignored: only the day matters.
# The time may be on a 12-hour clock (``1:43 AM``, Salesforce) or end in ``Uhr``.
_TIME_SUFFIX = (
    r"(?:,?[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?: ?(?:[AaPp]\.?[Mm]\.?|Uhr|h))?"
    r"(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)?"
)

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
)


MIN_YEAR, MAX_YEAR = 1900, 2199
"""Business dates outside these years are typos (0000, 9999 placeholders), not history."""
FIRST_DAY = int((np.datetime64(f"{MIN_YEAR}-01-01") - np.datetime64("1970-01-01")).astype(int))
LAST_DAY = int((np.datetime64(f"{MAX_YEAR}-12-31") - np.datetime64("1970-01-01")).astype(int))


def format_pattern(fmt: str) -> str:
    """The anchored regular expression that matches dates written in ``fmt``."""
    parts = re.split(r"(%.)", fmt)
    body = "".join(_DIRECTIVES.get(part, re.escape(part)) for part in parts)
    return f"^{body}{_TIME_SUFFIX}$"


def parse_days(values: pa.Array, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse strings written in ``fmt`` to day numbers.

    Returns ``(days, valid)``; ``days`` is meaningless where ``valid`` is false.
    """
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
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
    return civil_to_days(year, component("m"), component("d"), matched)


def civil_to_days(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, matched: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers for calendar dates, with a mask of the dates that really exist."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    month_index = np.clip(month, 1, 12) - 1
    days_in_month = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month_index]
    days_in_month = days_in_month + (leap & (month == 2))
    valid = month_ok & (day >= 1) & (day <= days_in_month) & (year >= MIN_YEAR) & (year <= MAX_YEAR)
    if matched is not None:
        valid &= matched
    safe_year = np.where(valid, year, 1970)
    months = (safe_year - 1970) * 12 + np.where(valid, month_index, 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + np.where(valid, day - 1, 0), valid


def detect_date_format(samples: Sequence[str]) -> tuple[str | None, list[str]]:
    """The candidate format that parses most samples, and the others that parse as many.

    The second item lists equally good alternatives so the caller can warn about ambiguity
    (``03/04/2025`` is March or April depending on the country).
    """
    values = [s.strip() for s in samples if s and s.strip()]
    if not values:
        return None, []
    scores = {fmt: _count_valid(values, fmt) for fmt in CANDIDATE_FORMATS}
    best = max(scores.values())
    if best == 0:
        return None, []
    winners = [fmt for fmt in CANDIDATE_FORMATS if scores[fmt] == best]
    return winners[0], winners[1:]


def _count_valid(values: list[str], fmt: str) -> int:
    _, valid = parse_days(pa.array(values, pa.string()), fmt)
    return int(valid.sum())
