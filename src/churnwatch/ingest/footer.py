"""A report's footer at the end of an export: its totals, record counts and page numbers.

ERP reports saved as CSV end in lines such as ``;Gesamtsumme;30.12.2025;1.234.567,89;`` or
``Anzahl Datensätze: 3131``. Where such a line has a date and an amount it reads as an
order of a customer named "Gesamtsumme" with the whole year's revenue; where it has not, it
is a skipped row that looks like a fault of the data. Only the records at the very end are
looked at (at most :data:`MAX_FOOTER`), and only a run of them that names a total counts as
a footer, so a customer's last row is never taken for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

MAX_FOOTER = 10
"""Records at an export's end that may be its footer."""

_TOTAL = re.compile(
    r"(?:(?:zwischen|end|gesamt)?summen?|gesamt|(?:sub|grand\s*)?totals?|anzahl|saldo|sum"
    r"|count|record\s+count|records|übertrag|nombre\s+de\s+lignes|(?:seite|page)\s+\d+"
    r"|report\s+(?:run|generated|created)|confidential|copyright|vertraulich|erstellt\s+am"
    r")(?=$|[\s:.=/(])",
    re.IGNORECASE,
)
"""A field that opens with a word of totals, counts, page numbers or a report's own lines
(German, English and French; Salesforce's confidentiality and copyright lines)."""


class Record(NamedTuple):
    """One of the records at an export's end, as the footer check sees it."""

    line: int
    """Where it starts in the export (header = 1): the records are put in the file's order."""
    fields: tuple[str, ...]
    """The fields that may name a total: a row's customer id where it has one (a total
    elsewhere in a customer's row is a value of theirs), else all of them."""
    shown: str
    """A rejected line as read, for the note (a parsed row is shown from the file's fields,
    as it is written)."""
    parsed: bool
    """Read as a row (True) or rejected for its number of fields (False)."""
    without_id: bool = False
    """A row whose customer id is empty: no customer's row (a total's, or a blank one)."""


def names_a_total(fields: Iterable[str]) -> bool:
    """Whether a field opens with a word of a total (``Summe``, ``Gesamt``, ``Total:``,
    ``Anzahl Belege: 3131``, ``Seite 12 von 12``) standing alone: ``Summen-Verlag``,
    ``Gesamthochschule`` and ``SUM-1001`` are names."""
    return any(_TOTAL.match(field.strip().strip('"').strip()) for field in fields)


def _fits_a_footer(record: Record) -> bool:
    """A total, a rule of dashes or a page break, or a row of no customer."""
    return names_a_total(record.fields) or record.without_id or _decoration(record)


def _decoration(record: Record) -> bool:
    """A rejected line of no letter or digit: a rule of dashes, a page break."""
    return not record.parsed and decoration("".join(record.fields))


def decoration(text: str) -> bool:
    """Whether a line holds no letter or digit (``-----``, a form feed): no data."""
    return not any(ch.isalnum() for ch in text)


def footer(records: Sequence[Record]) -> list[Record]:
    """The records of ``records`` (an export's last ones, in any order) that are its
    footer: the longest run at the end that fits one and names a total somewhere, or is
    nothing but rules and page breaks."""
    ordered = sorted(records, key=lambda record: record.line)
    start = len(ordered)
    while start and _fits_a_footer(ordered[start - 1]):
        start -= 1
    found = ordered[start:]
    if any(names_a_total(record.fields) for record in found):
        return found
    return found if found and all(map(_decoration, found)) else []
