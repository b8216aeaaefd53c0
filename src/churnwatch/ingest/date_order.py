"""Dates of one row that contradict each other: a complaint closed before it was opened, an
invoice paid years before it was written or long after anyone would still pay it.

Most often a typo in one of the two dates. The features count such a complaint as resolved
the day it came in (no resolution takes less than nothing); such an invoice is skipped, as
its paid date would make the customer look years early (hiding a real delay among their
others) or, after the reference date, still owing. A warning names the lines, so the export
can be mended rather than the contradiction passing unseen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from churnwatch.core.words import plural
from churnwatch.ingest.problems import Problem, Reason

if TYPE_CHECKING:
    from churnwatch.ingest.dataset import SourceFrame


def closed_before_opened(complaints: SourceFrame) -> list[Problem]:
    """The complaints whose closing date lies before their opening date, said with lines."""
    frame = complaints.frame
    if "closed_date" not in frame:
        return []
    opened = frame["opened_date"].to_numpy(dtype=np.float64)
    closed = frame["closed_date"].to_numpy(dtype=np.float64, na_value=np.nan)
    early = closed < opened  # an open complaint (no closing date) compares False
    if not early.any():
        return []
    count = int(early.sum())
    return [
        Problem(
            complaints.name,
            complaints.path.name,
            Reason.DATE_ORDER,
            closed_before_opened_found(count),
            column=complaints.table.columns["closed_date"],
            count=count,
            lines=complaints.table.first_lines(frame.index.to_numpy()[early]),
            tally=(count,),
            wording=closed_before_opened_found,
            found_by="loader",
        )
    ]


def closed_before_opened_found(complaints: int) -> str:
    were = "it was" if complaints == 1 else "they were"
    return (
        f"{plural(complaints, 'complaint')} closed before {were} opened: each counted as"
        " resolved on the day it came in; check the two dates in the export"
    )


PAID_EARLIEST = 366
"""Days before its invoice date (its due date, without one) an invoice may have been paid:
paying in advance (Vorkasse) is common, a year ahead is not; a year's typo is."""
PAID_LATEST = 5 * 365
"""Days after its due date an invoice may have been paid: beyond any reminder, collection
or statute of limitations (three years in Germany), but not a year typed 2052."""


def paid_out_of_reach(payments: pd.DataFrame) -> np.ndarray:
    """The invoices whose paid date cannot be right (see :data:`PAID_EARLIEST`,
    :data:`PAID_LATEST`): a mask of the rows; an open invoice compares False. Written is
    the invoice date, or the due date where that is earlier or there is none: paid before
    it implies paid before the due date, so only those few rows are looked at again. The
    rows are compared only where the dates' bounds allow such a row at all (the usual
    export: paid within a few years of the due dates)."""
    paid = payments["paid_date"].to_numpy()  # float days, NaN where open (no copy)
    due = payments["due_date"].to_numpy()
    wrong = np.zeros(len(paid), dtype=bool)
    if not len(paid) or np.isnan(last_paid := np.fmax.reduce(paid)):
        return wrong
    if last_paid > int(due.min()) + PAID_LATEST:
        wrong |= paid > due + PAID_LATEST
    if np.fmin.reduce(paid) < int(due.max()) - PAID_EARLIEST:
        early = np.flatnonzero(paid < due - PAID_EARLIEST)
        if early.size and "invoice_date" in payments:
            written = np.fmin(payments["invoice_date"].to_numpy()[early], due[early])
            early = early[paid[early] < written - PAID_EARLIEST]
        wrong[early] = True
    return wrong


PAID_OUT_OF_REACH = (
    "paid date more than a year before the invoice or more than five years after it was due"
    " (a typo in the year?); correct it in the export"
)
