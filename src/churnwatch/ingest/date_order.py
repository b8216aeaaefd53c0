"""Dates of one row that contradict each other: a complaint closed before it was opened.

Most often a typo in one of the two dates. The features count such a complaint as resolved
the day it came in (no resolution takes less than nothing); a warning names the lines, so
the export can be mended rather than the contradiction passing unseen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

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
