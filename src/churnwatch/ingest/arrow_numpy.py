"""Arrow columns as numpy arrays, copied block by block in numpy's memory."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def to_numpy(values: pa.ChunkedArray) -> np.ndarray:
    """One numpy array of a column's values, NaN where a number is empty (as
    ``ChunkedArray.to_numpy`` gives).

    ``to_numpy`` builds its copies in Arrow's memory pool, whose fresh pages cost several
    times what numpy's do: 0.17-0.23 s against 0.03-0.05 s for 80 MB of amounts read in 26
    blocks. Here each block is a view, or a numpy copy where it has empty cells.
    """
    if values.num_chunks == 0:
        return np.asarray(values.to_numpy())
    blocks = [_block(chunk) for chunk in values.chunks]
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _block(chunk: pa.Array) -> np.ndarray:
    numeric = pa.types.is_integer(chunk.type) or pa.types.is_floating(chunk.type)
    if chunk.null_count == 0 or not numeric:
        return np.asarray(chunk.to_numpy(zero_copy_only=False))
    stored = np.frombuffer(chunk.buffers()[1], dtype=chunk.type.to_pandas_dtype())
    kept = np.float64 if pa.types.is_integer(chunk.type) else stored.dtype  # float32 stays
    numbers = stored[chunk.offset : chunk.offset + len(chunk)].astype(kept)
    numbers[np.asarray(chunk.is_null(), dtype=bool)] = np.nan
    return numbers


_SAMPLE = 1000


def whole_numbers(values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A text column of whole numbers (document numbers, usually) as integers; None when it
    holds anything else. '007' and '7' become the same number: only a first look may use
    them, and what it finds must be checked on the text."""
    try:
        pc.cast(values.slice(0, _SAMPLE), pa.int64())  # most ids fail here, at once
        return pc.cast(values, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
