"""Find exact duplicate rows among tens of millions without hashing every string.

Exact duplicates agree on every column, so they agree on the numeric ones (day numbers,
amounts, category and customer codes). A multiplicative hash of those columns is bucketed
a few times with different bit slices; a row alone in its bucket cannot have a twin and
drops out. Only the few survivors are compared exactly, with all columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
_MOSTLY_TWINS = 0.9
"""Past this share of rows sharing a bucket the rest are twins indeed (an export written
twice): another slice would drop few."""


def candidate_rows(columns: Sequence[np.ndarray], rows: np.ndarray | None = None) -> np.ndarray:
    """Positions (among ``rows``, default all) that may have an exact twin in ``columns``."""
    rows = np.arange(len(columns[0])) if rows is None else rows
    if not columns or rows.size <= _SMALL:
        return rows
    hashed = _hash([c[rows] if rows.size < len(c) else c for c in columns])
    for shift in _SHIFTS:
        mask = _bucket_mask(rows.size)
        shared = _shares_bucket(hashed, shift, mask)
        rows, hashed = rows[shared], hashed[shared]
        if rows.size <= _SMALL or _mostly_twins(shared, mask):
            break
    return rows


def _mostly_twins(shared: np.ndarray, mask: int) -> bool:
    """Whether nearly every row shared its bucket where few would by chance (at most four
    rows in ten, for up to a bucket per two rows): twins indeed (an export written twice),
    which another slice would not drop."""
    return shared.size <= (mask + 1) // 2 and shared.mean() > _MOSTLY_TWINS


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


def twins(frame: pd.DataFrame, candidates: np.ndarray | None = None) -> Twins:
    """The rows of ``frame`` (among ``candidates``, default all) equal to another in every
    column; one pass over the survivors of the numeric pre-check, which tells both the
    copies to drop and the rows to compare again whole."""
    rows = np.arange(len(frame)) if candidates is None else candidates
    if rows.size == 0:
        return Twins(rows, rows)
    part = frame if candidates is None else frame.iloc[candidates]  # only the candidates' bits
    numeric = [numeric_bits(part[c]) for c in part.columns if _is_numeric(part[c])]
    if numeric:
        rows = rows[candidate_rows(numeric)]
    if rows.size == 0:
        return Twins(rows, rows)
    kinds = _row_kinds(frame.iloc[rows])
    counts = np.bincount(kinds)
    shared = counts[kinds] > 1
    return Twins(rows[shared], kinds[shared])


@dataclass(frozen=True)
class Twins:
    """Rows equal to another in every column."""

    rows: np.ndarray
    """Their positions, ascending."""
    kinds: np.ndarray
    """A number per row, the same for equal rows."""

    def later_copies(self, length: int) -> np.ndarray:
        """Mask (of ``length`` rows) of those that repeat an earlier row: the first of each
        kind is kept."""
        mask = np.zeros(length, dtype=bool)
        mask[self.rows] = repeats(self.kinds)
        return mask


def repeats(codes: np.ndarray) -> np.ndarray:
    """Whether each code (of at least 0) repeats an earlier one: without a sort, the first
    place of each code found in one pass."""
    repeated = np.ones(len(codes), dtype=bool)
    if len(codes):
        first = first_places(codes)
        repeated[first[first < len(codes)]] = False
    return repeated


def first_places(codes: np.ndarray) -> np.ndarray:
    """For each code from 0 to the largest, the first place it is at (past the end for a
    code not there)."""
    first = np.full(int(codes.max(initial=-1)) + 1, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    return first


def _row_kinds(frame: pd.DataFrame) -> np.ndarray:
    """A number per row, equal for rows equal in every column (empty values equal to each
    other, as :meth:`pandas.DataFrame.duplicated` takes them)."""
    return combined(pd.factorize(frame[name])[0] for name in frame.columns)


def combined(columns: Iterable[np.ndarray]) -> np.ndarray:
    """A number per row for the combination of its codes in ``columns`` (each at least -1,
    -1 for empty), from 0 in the order first found: each column's codes combined with those
    of the columns before it, made dense again only before the number would overflow."""
    kinds, size = np.zeros(0, dtype=np.int64), 1
    for codes in columns:
        shifted = codes.astype(np.int64) + 1
        kinds = kinds if kinds.size else np.zeros(len(shifted), dtype=np.int64)
        width = int(shifted.max(initial=0)) + 1
        if size * width >= _COMBINED:
            kinds, size = _dense(kinds)
        kinds = kinds * width + shifted
        size *= width
    return _dense(kinds)[0]


_COMBINED = 1 << 62
"""The combinations of column codes held as one number before they are made dense."""


def _dense(kinds: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes from 0, in the order first found, and how many."""
    codes, values = pd.factorize(kinds)
    return codes.astype(np.int64), len(values)


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
