"""Amounts exported in cents: ``Betrag in Cent``, ``amount_cents``, ``Umsatz (ct)``.

Integer cents read as euros make every amount a hundred times too large: revenues in the
reasons and reports, the value of open invoices, a lost customer's lifetime revenue. Where
the amount's header says cents and every amount is whole (or the configuration says so), the
amounts are divided by 100, and a note says so, with the setting that says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.core.words import excerpt, inline
from churnwatch.ingest.problems import Level, Problem, Reason

if TYPE_CHECKING:
    from churnwatch.config import SourceConfig
    from churnwatch.ingest.csv_reader import SourceTable

_CENTS = re.compile(r"(?:^|[^a-z])(?:cents?|ct)(?:$|[^a-z])|^cent(?:betrag|wert|summe)")
"""A header naming cents as a word of its own (``amount_cents``, ``Betrag in Cent``,
``Umsatz (ct)``, ``AmountInCents``) or opening a German compound (``Centbetrag``), not
within another word (``Percent``, ``Centrale``)."""


def says_cents(header: str) -> bool:
    """Whether an amount's header says its amounts are in cents (camel case split into
    words: ``amountCents``)."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header).lower()
    return bool(_CENTS.search(words))


def in_whole_units(table: SourceTable, config: SourceConfig) -> SourceTable:
    """``table`` with its amounts in whole units: divided by 100 where they are cents."""
    header = table.columns.get("amount")
    if header is None or "amount" not in table.table.column_names:
        return table
    cents = says_cents(header) if config.cents is None else config.cents
    if not cents:
        return table
    place = table.table.column_names.index("amount")
    given = table.table.column(place).cast("float64")
    source = table.source.name
    if config.cents is None and not _whole(given):  # 'Betrag (EUR, Cent-genau)': euros
        return _noted(table, header, _NOT_WHOLE.replace("{source}", source))
    divided = replace(table, table=table.table.set_column(place, "amount", pc.divide(given, 100.0)))
    if config.cents:
        return _noted(divided, header, "amounts read as cents (set so) and divided by 100")
    said = _DIVIDED.replace("{source}", source).replace("{header}", inline(excerpt(header)))
    return _noted(divided, header, said)  # the header is anyone's: no format() on it


_DIVIDED = (
    "amounts read as cents (the header '{header}' says so) and divided by 100; if they are"
    " not, set cents = false under [sources.{source}]"
)
_NOT_WHOLE = (
    "the header mentions cents, but the amounts have decimals: read as they are (set"
    " cents = true under [sources.{source}] if they are cents all the same)"
)


def kept_as_given(problem: Problem) -> bool:
    """Whether ``problem`` says a source's amounts were read as they are, though its header
    says cents (some had decimals): where an export is read in parts, one such part decides
    for all of them."""
    return problem.code is Reason.CENTS and problem.message == _NOT_WHOLE.replace(
        "{source}", problem.source
    )


def _whole(amounts: pa.ChunkedArray) -> bool:
    """Whether every amount is a whole number, as cents are."""
    return bool(pc.all(pc.equal(amounts, pc.round(amounts))).as_py() is not False)


def _noted(table: SourceTable, header: str, text: str) -> SourceTable:
    """``table`` with a note on its amounts."""
    note = Problem(
        table.source.name,
        table.path.name,
        Reason.CENTS,
        text,
        column=header,
        level=Level.NOTE,
    )
    return replace(table, problems=[*table.problems, note])
