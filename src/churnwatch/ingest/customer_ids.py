"""Customer ids as small integers: one naturally sorted index shared by every source.

Hashing ten million id strings is the most expensive step after parsing. Each source's ids
are dictionary-encoded at once (one source per core), which gives every block the same
dictionary, and everything else touches only the distinct ids.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.ingest.arrow_numpy import to_numpy


class Coded(NamedTuple):
    ids: pd.Index
    """All ids, trimmed and without NUL bytes, in natural order: the code is the place."""
    codes: dict[str, np.ndarray]
    """Per source, each row's int32 code (-1: no id)."""
    with_nul: dict[str, np.ndarray]
    """Per source, the rows whose id had NUL bytes (removed), for a note."""


def code_customers(columns: dict[str, pa.ChunkedArray]) -> Coded:
    """The sorted index of all ids (trimmed), and per source the int32 code of each row.

    A row whose id is blank or missing gets code -1. The columns may be text or
    dictionary-encoded text.
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        encoded = dict(zip(columns, pool.map(_Encoded.of, columns.values()), strict=True))
    raw = pc.unique(pa.chunked_array([e.present for e in encoded.values()], pa.string()))
    clean = _clean(raw)
    ids = natural_sort(pc.unique(pc.filter(clean, pc.not_equal(clean, ""))))
    raw_to_code = np.asarray(pc.index_in(clean, value_set=ids).fill_null(-1), dtype=np.int32)
    codes = {name: e.codes(raw, raw_to_code) for name, e in encoded.items()}
    index = pd.Index(
        ids.to_numpy(zero_copy_only=False).astype(object), name="customer_id", dtype=object
    )
    nul = np.asarray(pc.match_substring(raw, "\x00").fill_null(False), dtype=bool)
    with_nul = {
        name: e.rows_with(raw, nul) if nul.any() else np.empty(0, np.intp)
        for name, e in encoded.items()
    }
    return Coded(index, codes, with_nul)


class _Encoded(NamedTuple):
    """One source's id column as a dictionary shared by all its blocks."""

    values: pa.Array
    """The dictionary: every raw id the column's blocks know."""
    positions: np.ndarray
    """Each row's place in it (-1: no id)."""
    used: np.ndarray
    """Which of them some row has: a filtered column (rows skipped for a bad value) keeps
    the ids of the rows it dropped in its dictionary, and those are no customers."""

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Encoded:
        unified = (
            pa.table({"id": column}).unify_dictionaries().column("id")
            if pa.types.is_dictionary(column.type)
            else pc.dictionary_encode(column)  # one dictionary for all blocks already
        )
        if unified.num_chunks == 0:
            return cls(pa.array([], pa.string()), np.empty(0, np.int32), np.empty(0, bool))
        indices = pa.chunked_array([chunk.indices for chunk in unified.chunks]).fill_null(-1)
        values = unified.chunk(0).dictionary.cast(pa.string())
        positions = np.asarray(to_numpy(indices), dtype=np.int32)
        used = np.zeros(len(values) + 1, dtype=bool)  # the extra place: -1, no id
        used[positions] = True
        return cls(values, positions, used[:-1])

    @property
    def present(self) -> pa.Array:
        """The raw ids of this source's rows."""
        return self.values.filter(pa.array(self.used))

    def rows_with(self, raw: pa.Array, marked: np.ndarray) -> np.ndarray:
        """The rows whose raw id is ``marked`` (a mask over ``raw``)."""
        per_value = np.append(np.append(marked, False)[self._places(raw)], False)  # last: no id
        return np.flatnonzero(per_value[self.positions])

    def codes(self, raw: pa.Array, raw_to_code: np.ndarray) -> np.ndarray:
        """Each row's code: its id's place among all raw ids, then that id's code."""
        to_code = np.append(raw_to_code, -1)[self._places(raw)]
        return np.append(to_code, -1)[self.positions].astype(np.int32, copy=False)

    def _places(self, raw: pa.Array) -> np.ndarray:
        """Each dictionary value's place among all raw ids (``len(raw)``: an unused value,
        which only rows this source skipped had)."""
        return np.asarray(pc.index_in(self.values, value_set=raw).fill_null(len(raw)))


def _clean(ids: pa.Array) -> pa.Array:
    """Ids without surrounding blanks or NUL bytes; an id that was nothing else becomes ''.

    ``10001.0`` becomes ``10001``: spreadsheets write numeric customer numbers that way.
    """
    trimmed = pc.utf8_trim_whitespace(pc.replace_substring(ids, "\x00", ""))
    return pc.replace_substring_regex(trimmed, r"^(\d+)\.0+$", r"\1")


def natural_sort(ids: pa.Array) -> pa.Array:
    """``C2`` before ``C10``, ``2`` before ``10``; ties and other ids by text."""
    parts = pc.extract_regex(ids, r"^(?P<prefix>.*?)(?P<number>\d{0,18})$")
    digits = pc.struct_field(parts, [1])
    number = pc.cast(pc.if_else(pc.equal(digits, ""), "-1", digits), pa.int64())
    table = pa.table({"prefix": pc.struct_field(parts, [0]), "number": number, "id": ids})
    order = pc.sort_indices(
        table, sort_keys=[("prefix", "ascending"), ("number", "ascending"), ("id", "ascending")]
    )
    return pc.take(ids, order)
