"""Customer ids as small integers: one naturally sorted index shared by every source.

Hashing ten million id strings is the most expensive step after parsing, so each source is
split in two and encoded on both cores (pyarrow releases the GIL); everything after that
touches only the distinct ids.
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
    pieces = {name: _halves(column) for name, column in columns.items()}
    with ThreadPoolExecutor(max_workers=2) as pool:
        encoded = {
            name: list(pool.map(lambda piece: piece.dictionary_encode(), halves))
            for name, halves in pieces.items()
        }
    dictionaries = [_clean(_dictionary(e)) for parts in encoded.values() for e in parts]
    distinct = pc.unique(
        pa.concat_arrays(dictionaries) if dictionaries else pa.array([], pa.string())
    )
    ids = natural_sort(pc.filter(distinct, pc.not_equal(distinct, "")))
    codes = {
        name: np.concatenate([_codes(e, ids) for e in parts]) for name, parts in encoded.items()
    }
    index = pd.Index(
        ids.to_numpy(zero_copy_only=False).astype(object), name="customer_id", dtype=object
    )
    return index, codes


def _halves(column: pa.ChunkedArray) -> list[pa.ChunkedArray]:
    middle = len(column) // 2
    return [column.slice(0, middle), column.slice(middle)]


def _dictionary(encoded: pa.ChunkedArray) -> pa.Array:
    if encoded.num_chunks == 0:
        return pa.array([], pa.string())
    return encoded.chunk(0).dictionary


def _clean(ids: pa.Array) -> pa.Array:
    """Ids without surrounding blanks or NUL bytes; an id that was nothing else becomes ''.

    ``10001.0`` becomes ``10001``: spreadsheets write numeric customer numbers that way.
    """
    trimmed = pc.utf8_trim_whitespace(pc.replace_substring(ids, "\x00", ""))
    return pc.replace_substring_regex(trimmed, r"^(\d+)\.0+$", r"\1")


def _codes(encoded: pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    """Each row's position in ``ids``, looked up once per distinct id, then gathered."""
    positions = pc.index_in(_clean(_dictionary(encoded)), value_set=ids)
    lookup = np.asarray(positions.fill_null(-1), dtype=np.int32)
    parts = [lookup[c.indices.to_numpy(zero_copy_only=False)] for c in encoded.chunks]
    return np.concatenate(parts) if parts else np.empty(0, np.int32)


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
