"""Arrow columns read in many blocks become the numpy arrays pyarrow itself would give."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pytest

from churnwatch.ingest.arrow_numpy import to_numpy
from churnwatch.ingest.dataset import shared_out

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


@pytest.mark.parametrize(
    ("values", "distinct"),
    [
        (["1", "2", "9", "10", "11", "100"], True),  # numbers in order, widths growing
        (["0007", "0008", "0010"], True),  # zero-padded
        (["7", "007"], True),  # two different texts, though the same number
        (["1", "2", "2"], False),  # a repeat
        (["1", "3", "2"], False),
        (["10", "9"], False),  # shorter after longer
        (["1", " 2"], False),  # a blank: ids are compared trimmed
        (["1", "2x"], False),
        (["1", None, "3"], False),
        (["5"], False),  # one value proves nothing worth a shortcut
    ],
)
def test_distinct_digit_strings(values, distinct):
    from churnwatch.ingest.arrow_numpy import distinct_digit_strings

    assert distinct_digit_strings(pa.chunked_array([values], pa.string())) is distinct
    if len(values) > 2:  # the same across blocks, one of them a slice
        whole = pa.array(values, pa.string())
        blocks = pa.chunked_array([whole.slice(0, 2), whole.slice(2)])
        assert distinct_digit_strings(blocks) is distinct


def test_shared_out_works_out_here_what_the_pool_has_not_started():
    """The load's conversion to numpy: the calling thread takes the tasks the pool's one
    thread has not reached, the last first, and every value lands under its own name."""
    started = threading.Event()
    release = threading.Event()

    def held(name: str) -> str:
        started.set()
        release.wait(10)
        return f"{name} by the pool"

    here: list[str] = []

    def work(name: str) -> str:
        here.append(name)
        if name == "payments":
            release.set()  # the pool's task may finish once this one is done
        return f"{name} here"

    with ThreadPoolExecutor(max_workers=1) as pool:
        futures = {name: pool.submit(held, name) for name in ("orders", "payments", "complaints")}
        started.wait(10)
        values = shared_out(futures, work)
    assert here == ["complaints", "payments"]
    assert values == {
        "orders": "orders by the pool",
        "payments": "payments here",
        "complaints": "complaints here",
    }
