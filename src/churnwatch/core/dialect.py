"""How a CSV export is written: one model for the config, the reader, ``init`` and the summary."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ISO_FORMAT = "%Y-%m-%d"
EXCEL_SERIAL = "excel"
"""The date format of Excel's serial day numbers (``45293`` is 2024-01-02): what a date
column saved from a cell formatted as a number holds."""
PARQUET = "Parquet"
"""The "encoding" of a Parquet export's dialect: its formats apply to text columns only."""
DATE_DIRECTIVES = ("%Y", "%y", "%m", "%d", "%b")
Decimal = Literal[".", ","]
Thousands = Literal[".", ",", " ", "'", "\u00a0", "\u202f", ""]
THOUSANDS_CANDIDATES: tuple[str, ...] = (".", ",", " ", "'", "\u00a0", "\u202f", "\u2019")
"""Swiss numbers use an apostrophe, straight or typographic (1'234.50, 1’234.50)."""


@dataclass(frozen=True)
class Dialect:
    """Encoding, delimiter, number and date format of one export, detected or configured."""

    encoding: str
    delimiter: str
    decimal: str = "."
    thousands: str = ""
    date_format: str = ISO_FORMAT

    def describe(self, *, numbers: bool = True, dates: bool = True) -> str:
        """``cp1252, delimiter ';', decimal ',', thousands '.', dates %d.%m.%Y`` (the number and
        date settings only when the data has numbers and dates to apply them to)."""
        delimiter = {"\t": "tab"}.get(self.delimiter, self.delimiter)
        parts = [self.encoding, *([f"delimiter {delimiter!r}"] if delimiter else [])]
        formats = []
        if numbers:
            formats.append(f"decimal {self.decimal!r}")
            formats += [f"thousands {self.thousands!r}"] if self.thousands else []
        if dates:
            formats.append(f"dates {form_name(self.date_format)}")
        if self.encoding == PARQUET and formats:  # typed columns are taken as they are
            return f"{PARQUET} (columns written as text: {', '.join(formats)})"
        return ", ".join(parts + formats)


def form_name(fmt: str) -> str:
    """A date format as messages name it: itself, or what Excel's serials are."""
    return "Excel serial numbers" if fmt == EXCEL_SERIAL else fmt


def validate_date_format(fmt: str) -> None:
    """Raise ``ValueError`` unless ``fmt`` has exactly one year, month and day directive, or
    is :data:`EXCEL_SERIAL`."""
    if fmt == EXCEL_SERIAL:
        return
    unknown = [d for d in re.findall(r"%.", fmt) if d not in DATE_DIRECTIVES]
    if unknown:
        raise ValueError(
            f"unsupported directive {unknown[0]!r} in {fmt!r}; use %d, %m (%b: a month's"
            " name), %Y or %y"
            " (a time after the date is ignored automatically)"
        )
    has_year = fmt.count("%Y") + fmt.count("%y")
    months = fmt.count("%m") + fmt.count("%b")
    if has_year != 1 or months != 1 or fmt.count("%d") != 1:
        raise ValueError(
            f"{fmt!r} needs one day (%d), one month (%m, or %b for its name) and one year"
            " (%Y or %y)"
        )
