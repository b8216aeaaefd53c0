"""Parquet columns of bytes read as the text they hold.

Older Hive, Impala and parquet-mr writers store text as plain bytes (BYTE_ARRAY without the
UTF-8 annotation), and DuckDB and Spark write ids as UUIDs (16 bytes). A CSV export of the same
table holds the text, and the UUIDs in their usual form (``8-4-4-4-12`` hex digits), so that
is what churnwatch reads. Bytes that are not UTF-8 are read as cp1252, value by value, as the
lines of a CSV that mixes the two are (:mod:`churnwatch.ingest.transcode`), and the rows that
needed it are said.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

UUID = "arrow.uuid"
"""The name of Arrow's UUID extension type (16 bytes)."""
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UUID_DASHES = (8, 12, 16, 20)
"""Where the dashes go among a UUID's 32 hex digits."""


class BytesText(NamedTuple):
    """A column of bytes as text, and the rows whose bytes were read as cp1252."""

    text: pa.ChunkedArray
    cp1252_rows: np.ndarray


def holds_bytes(kind: pa.DataType) -> bool:
    """Whether a column's values are bytes (plain, large, views, fixed size, or a UUID's):
    text for churnwatch, which :func:`bytes_as_text` reads."""
    if isinstance(kind, pa.BaseExtensionType):
        return kind.extension_name == UUID or holds_bytes(kind.storage_type)
    tests = (
        pa.types.is_binary,
        pa.types.is_large_binary,
        pa.types.is_fixed_size_binary,
        getattr(pa.types, "is_binary_view", lambda _: False),  # pyarrow 16 and later
    )
    return any(test(kind) for test in tests)


def bytes_as_text(values: pa.ChunkedArray | pa.Array) -> BytesText:
    """``values`` (see :func:`holds_bytes`) as text: a UUID in its usual form, other bytes
    as UTF-8, or as cp1252 where they are not UTF-8 (bytes cp1252 does not define become
    U+FFFD)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    texts, bad, start = [], [], 0
    for chunk in chunks:
        text, rows = _chunk_as_text(chunk)
        texts.append(text)
        bad.append(rows + start)
        start += len(chunk)
    rows = np.concatenate(bad) if bad else np.zeros(0, dtype=np.int64)
    return BytesText(pa.chunked_array(texts, pa.string()), rows)


def _chunk_as_text(chunk: pa.Array) -> tuple[pa.Array, np.ndarray]:
    kind = chunk.type
    if isinstance(kind, pa.BaseExtensionType):
        if kind.extension_name == UUID:
            return _uuid_text(chunk.storage), np.zeros(0, dtype=np.int64)
        chunk = chunk.storage
    plain = chunk.cast(pa.large_binary())
    try:
        return plain.cast(pa.string()), np.zeros(0, dtype=np.int64)
    except pa.ArrowInvalid:  # not UTF-8 throughout
        pass
    rows = _not_utf8(plain)
    read = [value.decode("cp1252", errors="replace") for value in plain.take(rows).to_pylist()]
    unchecked = plain.cast(pa.large_string(), safe=False)  # only the rows above are invalid
    mask = np.zeros(len(plain), dtype=bool)
    mask[rows] = True
    fixed = pc.replace_with_mask(unchecked, pa.array(mask), pa.array(read, pa.large_string()))
    return fixed.cast(pa.string()), rows


def _not_utf8(values: pa.Array) -> np.ndarray:
    """The rows of a large binary array whose bytes are not UTF-8: only rows with a byte
    beyond ASCII can be, and only those are decoded to see."""
    _, offsets_buffer, data = values.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        values.offset : values.offset + len(values) + 1
    ]
    if data is None or offsets[-1] == offsets[0]:
        return np.zeros(0, dtype=np.int64)
    high = (np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]] >= 0x80).astype(np.int64)
    counts = np.concatenate([[0], np.cumsum(high)])
    beyond_ascii = np.flatnonzero(
        counts[offsets[1:] - offsets[0]] > counts[offsets[:-1] - offsets[0]]
    )
    candidates = values.take(pa.array(beyond_ascii)).to_pylist()
    return beyond_ascii[[not _is_utf8(value) for value in candidates]].astype(np.int64)


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _uuid_text(storage: pa.Array) -> pa.Array:
    """16-byte UUIDs as their 36 characters (lower-case hex digits and four dashes)."""
    raw = np.frombuffer(storage.buffers()[1], dtype=np.uint8)
    raw = raw[storage.offset * 16 : (storage.offset + len(storage)) * 16].reshape(-1, 16)
    digits = np.empty((len(storage), 32), dtype=np.uint8)
    digits[:, 0::2], digits[:, 1::2] = _HEX[raw >> 4], _HEX[raw & 0x0F]
    text = np.insert(digits, _UUID_DASHES, ord("-"), axis=1)
    nulls = storage.is_null().to_numpy(zero_copy_only=False)
    texts = np.ascontiguousarray(text).view("S36").ravel()
    return pa.array(texts, pa.binary(), mask=nulls).cast(pa.string())


def as_text(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Any column of a Parquet export churnwatch reads as text (not lists, records or maps)."""
    if not holds_bytes(values.type):
        return values.cast(pa.string())
    text = bytes_as_text(values).text
    return text if isinstance(values, pa.ChunkedArray) else text.combine_chunks()
