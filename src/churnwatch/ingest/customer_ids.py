"""Customer ids as small integers: one naturally sorted index shared by every source.

Hashing ten million id strings is the most expensive step after parsing: the distinct raw
ids come from Arrow's multi-threaded hash grouping, each row is looked up among them on both
cores (pyarrow releases the GIL), and everything else touches only the distinct ids.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def code_customers(columns: dict[str, pa.ChunkedArray]) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """The sorted index of all ids (trimmed), and per source the int32 code of each row.

    A row whose id is blank gets code -1.
    """
    raw = _distinct(list(columns.values()))
    clean = _clean(raw)
    ids = natural_sort(pc.unique(pc.filter(clean, pc.not_equal(clean, ""))))
    # Raw id → code, with -1 for blank ids and, at the end, for a row without an id.
    to_code = np.append(np.asarray(pc.index_in(clean, value_set=ids).fill_null(-1)), -1)
    to_code = to_code.astype(np.int32)
    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = {
            name: np.concatenate(
                list(pool.map(lambda piece: _codes(piece, raw, to_code), _pieces(column)))
                or [np.empty(0, np.int32)]
            )
            for name, column in columns.items()
        }
    index = pd.Index(
        ids.to_numpy(zero_copy_only=False).astype(object), name="customer_id", dtype=object
    )
    return index, codes


def _distinct(columns: list[pa.ChunkedArray]) -> pa.Array:
    """Every distinct raw id of all sources (Arrow's multi-threaded hash grouping)."""
    chunks = [chunk.cast(pa.string()) for column in columns for chunk in column.chunks]
    if not chunks:
        return pa.array([], pa.string())
    table = pa.table({"id": pa.chunked_array(chunks, pa.string())})
    return table.group_by("id").aggregate([]).column("id").combine_chunks()


def _pieces(column: pa.ChunkedArray, count: int = 4) -> list[pa.ChunkedArray]:
    """A column in a few slices, one lookup each (a slice per chunk would rebuild the
    lookup's hash table hundreds of times)."""
    step = max(1, -(-len(column) // count))
    return [column.slice(start, step) for start in range(0, len(column), step)]


def _codes(piece: pa.ChunkedArray, raw: pa.Array, to_code: np.ndarray) -> np.ndarray:
    """Each row's code: its position among the raw ids, then that id's code."""
    positions = pc.index_in(piece, value_set=raw).fill_null(len(raw))
    return to_code[positions.to_numpy()]


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
