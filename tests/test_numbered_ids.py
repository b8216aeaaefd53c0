"""Customer ids that are one numbering are coded from their digits, with the same result as
hashing their text: the same customers, in the same natural order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnwatch.ingest import customer_ids
from churnwatch.ingest.customer_ids import Coded, code_customers
from churnwatch.ingest.numbered_ids import read_numbered


def hashed(columns: dict[str, pa.ChunkedArray]) -> Coded:
    """The coding by hashing the ids' text, the way every export was coded before."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(customer_ids, "read_numbered", lambda column: None)
        return code_customers(columns)


def assert_same(columns: dict[str, pa.ChunkedArray]) -> Coded:
    fast, slow = code_customers(columns), hashed(columns)
    assert list(fast.ids) == list(slow.ids)
    assert fast.text.to_pylist() == slow.text.to_pylist()
    for name in columns:
        assert fast.codes[name].dtype == np.int32
        assert fast.codes[name].tolist() == slow.codes[name].tolist(), name
        assert fast.with_nul[name].tolist() == slow.with_nul[name].tolist()
    return fast


def blocks(values: list[str | None], cut: int) -> pa.ChunkedArray:
    """The ids in two blocks, as the CSV reader gives them, the second one a slice."""
    whole = pa.array(values, pa.string())
    return pa.chunked_array([whole.slice(0, cut), whole.slice(cut)], pa.string())


id_shapes = st.sampled_from(["", "C", "KD-", "#", "K/"]).flatmap(
    lambda prefix: st.lists(
        st.one_of(
            st.integers(0, 10**6).map(lambda n: f"{prefix}{n}"),
            st.integers(0, 10**18 - 1).map(lambda n: f"{prefix}{n}"),
            st.integers(0, 999).map(lambda n: f"{prefix}{n:05d}"),
            st.sampled_from(["", " C1", "C1 ", "C 1", "C1.0", "1.0", "C-1", "K1x", "١٢", None]),
            st.just(f"{prefix}{'9' * 19}"),
        ),
        min_size=1,
        max_size=40,
    )
)


@settings(max_examples=300, deadline=None)
@given(orders=id_shapes, payments=id_shapes, data=st.data())
def test_any_ids_get_the_codes_hashing_gives(orders, payments, data):
    cut_orders = data.draw(st.integers(0, len(orders)))
    cut_payments = data.draw(st.integers(0, len(payments)))
    assert_same({"orders": blocks(orders, cut_orders), "payments": blocks(payments, cut_payments)})


numberings = st.tuples(
    st.sampled_from(["", "C", "KD-", "#"]),
    st.integers(1, 18),
    st.booleans(),
).flatmap(
    lambda shape: st.lists(
        st.one_of(
            st.integers(0, 10 ** shape[1] - 1).map(
                lambda n: f"{shape[0]}{n:0{shape[1]}d}" if shape[2] else f"{shape[0]}{n}"
            ),
            st.sampled_from(["", None]),
        ),
        min_size=1,
        max_size=40,
    )
)


@settings(max_examples=200, deadline=None)
@given(orders=numberings, data=st.data())
def test_numberings_are_read_as_numbers_with_the_codes_hashing_gives(orders, data):
    column = blocks(orders, data.draw(st.integers(0, len(orders))))
    if any(orders):
        assert read_numbered(column) is not None
    assert_same({"orders": column, "complaints": column})


def test_numbered_ids_are_read_as_numbers_in_natural_order():
    coded = assert_same(
        {
            "orders": blocks(["C10", "C2", None, "", "C100000000000000000"], 2),
            "payments": pa.chunked_array([["C2", "C7"]]),
        }
    )
    assert list(coded.ids) == ["C2", "C7", "C10", "C100000000000000000"]
    assert coded.codes["orders"].tolist() == [2, 0, -1, -1, 3]
    assert read_numbered(pa.chunked_array([["C10", "C2"]])) is not None


@pytest.mark.parametrize(
    "ids",
    [
        ["0042", "0007", "1234"],  # one width: zero-padded numbers
        ["K-0042", "K-0007"],
        ["10001", "9", "123456789012345678"],  # several widths, no leading zeros
    ],
)
def test_padded_or_unpadded_numberings_are_taken_as_numbers(ids):
    assert read_numbered(pa.chunked_array([ids])) is not None
    assert_same({"orders": pa.chunked_array([ids])})


@pytest.mark.parametrize(
    ("orders", "payments"),
    [
        (["007", "7"], ["7"]),  # two customers that differ by their padding
        (["C1", "C2"], ["K1"]),  # two prefixes
        (["0042"], ["42"]),  # padded in one source only
        (["C1", "C2"], ["c1"]),
    ],
)
def test_ids_that_are_not_one_numbering_are_hashed_with_the_same_result(orders, payments):
    assert_same({"orders": pa.chunked_array([orders]), "payments": pa.chunked_array([payments])})


@pytest.mark.parametrize(
    "ids",
    [
        [" 1", "2"],  # blanks are trimmed: the text path
        ["1", "2\x00"],  # NUL bytes are removed
        ["10001.0", "10002"],  # spreadsheet numbers
        ["1", "1234567890123456789"],  # 19 digits: more than natural order compares
        ["C1", "Cx"],
        ["Müller1", "Müller2"],  # not ASCII before the digits
    ],
)
def test_ids_of_other_shapes_are_not_read_as_numbers(ids):
    assert read_numbered(pa.chunked_array([ids])) is None
    assert_same({"orders": pa.chunked_array([ids])})


def test_numbers_spread_widely_are_coded_without_a_table_that_wide():
    ids = ["1", "999999999999", "5", "999999999999", None]
    coded = assert_same({"orders": pa.chunked_array([ids]), "payments": pa.chunked_array([["5"]])})
    assert coded.codes["orders"].tolist() == [0, 2, 1, 2, -1]


def test_large_text_columns_are_read_as_numbers_too():
    """Parquet may hold ids as large strings (64-bit offsets)."""
    column = pa.chunked_array([pa.array(["C10", "C2", None, "C7"], pa.large_string())])
    assert read_numbered(column) is not None
    coded = assert_same({"orders": column})
    assert coded.codes["orders"].tolist() == [2, 0, -1, 1]
