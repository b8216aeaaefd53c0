"""Arrow columns read in many blocks become the numpy arrays pyarrow itself would give."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from churnwatch.ingest.arrow_numpy import to_numpy

INT = pa.int32()


@pytest.mark.parametrize(
    "column",
    [
        pa.chunked_array([pa.array([1, None, 3], INT), pa.array([4, 5], INT)]),  # some empty
        pa.chunked_array([pa.array([1, 2, 3], INT).slice(1), pa.array([None, 5], INT)]),
        pa.chunked_array([pa.array([1, 2, 3, None, 5], pa.int64()).slice(2, 3)]),  # offset
        pa.chunked_array([pa.array([1.5, None]), pa.array([float("nan"), 2.0])]),
        pa.chunked_array([pa.array([7, 8], INT), pa.array([9], INT)]),  # none empty: int32
        pa.chunked_array([pa.array([1.5, None], pa.float32()), pa.array([2.0], pa.float32())]),
        pa.chunked_array([], pa.float64()),
        pa.chunked_array([pa.array([], INT), pa.array([None, None], INT), pa.array([3], INT)]),
        pa.chunked_array([pa.array([True, None]), pa.array([False])]),  # not a number
    ],
)
def test_blocks_join_as_pyarrow_would(column: pa.ChunkedArray) -> None:
    expected = column.to_numpy()
    joined = to_numpy(column)
    assert joined.dtype == expected.dtype
    np.testing.assert_array_equal(joined, expected)  # NaN where empty, in the same places


def test_blocks_are_cast_as_they_are_copied_in() -> None:
    """Dates kept as float days (NaN where empty) come out as the requested type directly."""
    column = pa.chunked_array([pa.array([1, 2], INT), pa.array([3], INT)])
    joined = to_numpy(column, np.float64)
    assert joined.dtype == np.float64
    np.testing.assert_array_equal(joined, [1.0, 2.0, 3.0])
    with_empty = pa.chunked_array([pa.array([1, None], INT), pa.array([3], INT)])
    kept_whole = to_numpy(with_empty, np.int32)  # an empty cell cannot be a whole number
    assert kept_whole.dtype == np.float64
    np.testing.assert_array_equal(kept_whole, [1.0, np.nan, 3.0])
