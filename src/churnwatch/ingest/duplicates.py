"""Find exact duplicate rows among tens of millions without hashing every string.

Exact duplicates agree on every column, so they agree on the numeric ones (day numbers,
amounts, category and customer codes). A multiplicative hash of those columns is bucketed
a few times with different bit slices; a row alone in its bucket cannot have a twin and
drops out. Only the few survivors are compared exactly, with all columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

_MULTIPLIERS = (
    0x9E3779B97F4A7C15,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0xD6E8FEB86659FD93,
    0xFF51AFD7ED558CCD,
    0xC4CEB9FE1A85EC53,
)
_SHIFTS = (40, 16, 28, 4, 34, 10)
_BUCKET_MASK = (1 << 24) - 1
_SMALL = 100_000


def candidate_rows(columns: Sequence[np.ndarray], rows: np.ndarray | None = None) -> np.ndarray:
    """Positions (among ``rows``, default all) that may have an exact twin in ``columns``."""
    rows = np.arange(len(columns[0])) if rows is None else rows
    if not columns or rows.size <= _SMALL:
        return rows
    hashed = _hash([c[rows] if rows.size < len(c) else c for c in columns])
    for shift in _SHIFTS:
        shared = _shares_bucket(hashed, shift, _bucket_mask(rows.size))
        rows, hashed = rows[shared], hashed[shared]
        if rows.size <= _SMALL:
            break
    return rows


def _bucket_mask(rows: int) -> int:
    """Four buckets per row, at most 2**24: a table no larger than the rows need."""
    return min((1 << max(rows * 4 - 1, 1).bit_length()) - 1, _BUCKET_MASK)


def _shares_bucket(hashed: np.ndarray, shift: int, mask: int = _BUCKET_MASK) -> np.ndarray:
    """Whether each hash shares its slice of ``mask`` bits with another (in-place, few
    temporaries)."""
    buckets = np.right_shift(hashed, np.uint64(shift))
    np.bitwise_and(buckets, np.uint64(mask), out=buckets)
    positions = buckets.view(np.int64)
    counts = np.bincount(positions, minlength=mask + 1)
    crowded = (counts > 1).view(np.uint8)  # at most 16 MB: stays in cache for the look-up
    shared: np.ndarray = np.take(crowded, positions).view(bool)
    return shared


def duplicated_rows(
    frame: pd.DataFrame, candidates: np.ndarray | None = None, *, every: bool = False
) -> np.ndarray:
    """Mask of rows that repeat an earlier row exactly (the first occurrence is kept);
    ``every``: of all rows that have a twin, the first occurrences too."""
    if candidates is not None and candidates.size == 0:
        return np.zeros(len(frame), dtype=bool)
    rows = np.arange(len(frame)) if candidates is None else candidates
    part = frame if candidates is None else frame.iloc[candidates]  # only the candidates' bits
    numeric = [numeric_bits(part[c]) for c in part.columns if _is_numeric(part[c])]
    if numeric:
        rows = rows[candidate_rows(numeric)]
    mask = np.zeros(len(frame), dtype=bool)
    if rows.size:
        mask[rows] = frame.iloc[rows].duplicated(keep=False if every else "first").to_numpy()
    return mask


def numeric_bits(column: pd.Series | np.ndarray) -> np.ndarray:
    """A column's values as integers whose equality matches value equality."""
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy()
    values = np.asarray(column)
    if values.dtype.kind == "f":
        values = values + 0.0  # -0.0 == 0.0
        if np.isnan(values).any():
            values[np.isnan(values)] = np.inf
        return values.view(np.int64)
    return values


def _is_numeric(column: pd.Series) -> bool:
    return column.dtype.kind in "iuf" or isinstance(column.dtype, pd.CategoricalDtype)


def _hash(columns: list[np.ndarray]) -> np.ndarray:
    hashed = np.zeros(len(columns[0]), dtype=np.uint64)
    scratch = np.empty_like(hashed)
    for index, column in enumerate(columns):
        scratch[:] = column  # widen to 64 bits (wrapping for negatives is fine for a hash)
        scratch *= np.uint64(_MULTIPLIERS[index % len(_MULTIPLIERS)])
        hashed += scratch
    return hashed
