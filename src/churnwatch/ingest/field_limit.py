"""The csv module's limit on one field, raised for the whole process to the longest row the
reader accepts.

The module's own limit is 128 KiB. pyarrow reads rows of up to :data:`LONGEST_ROW`, so a
forwarded e-mail thread in a note column is read; where churnwatch then walks the file with
the csv module (to name a line, or to look at a record again), the same note stopped the run
as "a quote never closed". The limit is only ever raised, never put back, so readers on
several threads never see it lowered under them.
"""

from __future__ import annotations

import csv

LONGEST_ROW = 1 << 26
"""The longest a single row may be (64 MB): longer is an unclosed quote or not a CSV."""


def allow_long_fields() -> None:
    """Let the csv module read fields as long as the longest row."""
    if csv.field_size_limit() < LONGEST_ROW:
        csv.field_size_limit(LONGEST_ROW)
