"""What was loaded, per source, over the whole history: the numbers behind ``validate``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churnwatch.core.days import days_to_iso
from churnwatch.core.dialect import Dialect
from churnwatch.core.sources import SOURCES, Kind
from churnwatch.ingest.dataset import Dataset, SourceFrame, distinct_customers
from churnwatch.ingest.problems import Reason


@dataclass(frozen=True)
class SourceSummary:
    source: str
    file: str
    dialect: Dialect
    rows_read: int
    rows_loaded: int
    rows_skipped: int
    skipped: dict[str, int]
    """Skipped rows per reason; a row with two bad values counts under both."""
    duplicates: int
    customers: int
    orphan_rows: int
    first_date: str | None
    last_date: str | None
    has_numbers: bool
    """Numbers were read as text, so the dialect's number format applies to them."""
    has_dates: bool
    """Dates were read as text, so the dialect's date format applies to them."""


def summarise(dataset: Dataset) -> list[SourceSummary]:
    return [_summarise(dataset, frame) for frame in dataset.sources.values()]


def _summarise(dataset: Dataset, source: SourceFrame) -> SourceSummary:
    frame = source.frame
    skipped: dict[str, int] = {}
    orphans = 0
    for problem in dataset.problems:
        if problem.source != source.name:
            continue
        if problem.skipped and problem.code is not Reason.DUPLICATE:
            skipped[problem.code] = skipped.get(problem.code, 0) + problem.count
        if problem.code is Reason.ORPHAN:
            orphans += problem.count
    event = SOURCES[source.name].event_date
    if event not in frame:  # e.g. payments without invoice dates: show the due dates
        event = next((c for c in frame.columns if c.endswith("_date")), None)
    dates = frame[event].to_numpy() if event is not None else np.empty(0)
    dates = dates[~np.isnan(dates)] if dates.dtype.kind == "f" else dates
    return SourceSummary(
        source=source.name,
        file=str(source.path.name),
        dialect=source.table.dialect,
        rows_read=source.table.rows_read,
        rows_loaded=len(frame),
        rows_skipped=source.rows_skipped,
        skipped=skipped,
        duplicates=source.duplicates,
        customers=distinct_customers(frame["customer"].to_numpy()),
        orphan_rows=orphans,
        first_date=days_to_iso(dates.min()) if dates.size else None,
        last_date=days_to_iso(dates.max()) if dates.size else None,
        has_numbers=source.table.formats_apply(Kind.NUMBER),
        has_dates=source.table.formats_apply(Kind.DATE),
    )


UNUSABLE_SHARE = 0.5


def blocking_issues(dataset: Dataset) -> list[str]:
    """Reasons the data should not be trusted as loaded: most rows of a source were skipped,
    which means a wrong dialect far more often than bad data. (Row counts only: every scan
    asks, and a whole summary counts each source's customers.)"""
    issues = []
    for source in dataset.sources.values():
        read, skipped = source.table.rows_read, source.rows_skipped
        if read and skipped / read > UNUSABLE_SHARE:
            issues.append(
                f"{source.path.name}: {skipped:,} of {read:,} rows ({skipped / read:.0%}) were"
                " skipped; check the dialect (date_format, decimal, delimiter) or the column"
                " mapping in churnwatch.toml"
            )
    return issues
