"""The csv module's limit on one field, lifted for the whole process: pyarrow decides which
rows are too long (:data:`LONGEST_ROW`), and the csv module reads what pyarrow read.

The module's own limit is 128 KiB. pyarrow reads rows of up to :data:`LONGEST_ROW`, and a
quoted field that runs to the end of the file whatever its length, so a forwarded e-mail
thread in a note column is read; where churnwatch then walks the file with the csv module
(to name a line, or to look at a record again), the same note stopped the run as "a quote
never closed", and a quote left open for the last 127 MB of a file was refused without
the count of rows it swallowed. The limit is only ever raised, never put back, so readers on
several threads never see it lowered under them.
"""

from __future__ import annotations

import csv

LONGEST_ROW = 1 << 26
"""The longest a single row may be (64 MB): longer is an unclosed quote or not a CSV."""
NO_FIELD_LIMIT = (1 << 31) - 1
"""The csv module's largest limit on every platform (a C ``long``, 32 bits on Windows)."""


def allow_long_fields() -> None:
    """Let the csv module read any field pyarrow read."""
    if csv.field_size_limit() < NO_FIELD_LIMIT:
        csv.field_size_limit(NO_FIELD_LIMIT)
