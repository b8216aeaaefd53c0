"""Compact JSON text of the customer records, built column by column with Arrow.

Each column becomes JSON text once (strings quoted and escaped, numbers written as Python
writes them), and each customer's line is those texts joined: the same bytes
``json.dumps(record, ensure_ascii=False, separators=(",", ":"))`` gives, without a Python
object per value. The rare values Arrow would write differently (text with control
characters, numbers Arrow puts in exponent form) are written by Python's json.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.analyses.result import ScanResult
from churnwatch.render.csv_rows import ahead
from churnwatch.render.json_document import encoded
from churnwatch.render.language import Language
from churnwatch.render.records import (
    BATCH,
    feature_array,
    identity_arrays,
    signal_columns,
    whole_features,
)

_CONTROL = r"[\x00-\x1f\x85\x{2028}\x{2029}]"
"""What Python's json escapes (control characters), and the characters that readers take
for line breaks, which are escaped too (:data:`~churnwatch.render.json_document.LINE_BREAKS`)."""


def record_lines(
    result: ScanResult, size: int = BATCH, lang: Language | None = None, *, as_of: bool = False
) -> Iterator[pa.Array]:
    """Each customer's record as one line of compact JSON, in rank order, ``size`` at a time;
    with ``as_of``, each record starts with the reference date (NDJSON, where a line stands
    alone)."""
    return map(_line_maker(result, lang, as_of), _batches(result, size))


def record_texts(
    result: ScanResult,
    separator: str,
    end: str = "",
    *,
    size: int = BATCH,
    lang: Language | None = None,
    as_of: bool = False,
) -> Iterator[bytes]:
    """The :func:`record_lines` of each batch as one UTF-8 text (see :func:`joined_lines`),
    in order; the next batches are made on two threads while the caller writes one (Arrow's
    kernels, which do most of the work, let go of the GIL)."""
    lines = _line_maker(result, lang, as_of)
    return ahead(lambda batch: joined_lines(lines(batch), separator, end), _batches(result, size))


def _batches(result: ScanResult, size: int = BATCH) -> Iterator[tuple[int, ScanResult]]:
    """``(first row, rows)`` of each batch, taken in order (the workers only read theirs)."""
    total = result.count
    for start in range(0, total, size):
        yield start, result.rows(slice(start, min(start + size, total)))


def _line_maker(
    result: ScanResult, lang: Language | None, as_of: bool
) -> Callable[[tuple[int, ScanResult]], pa.Array]:
    """What turns a batch into its lines, with what all batches share worked out once."""
    opening = f'{{"as_of":{encoded(result.as_of)},"rank":' if as_of else '{"rank":'
    whole = whole_features(result)

    def lines(batch: tuple[int, ScanResult]) -> pa.Array:
        start, part = batch
        return _lines(part, start + 1, opening, lang, whole)

    return lines


def _lines(
    result: ScanResult,
    first_rank: int,
    opening: str,
    lang: Language | None,
    whole: Collection[str],
) -> pa.Array:
    count = result.count
    ranks = pa.array(np.arange(first_rank, first_rank + count)).cast(pa.string())
    parts: list[pa.Array | str] = [opening, ranks]
    for name, values in identity_arrays(result, lang).items():
        parts += [f",{encoded(name)}:", json_values(values)]
    parts += [',"signals":[', _signals(result, lang), '],"features":{']
    for index, name in enumerate(result.feature_names):
        parts += [
            ("," if index else "") + f"{encoded(name)}:",
            json_values(feature_array(result, name, whole)),
        ]
    parts.append("}}")
    return pc.binary_join_element_wise(*_merged(parts), "")


def joined_lines(lines: pa.Array, separator: str, end: str = "") -> bytes:
    """The lines as one UTF-8 text, ``separator`` between them and ``end`` after each."""
    if not len(lines):
        return b""
    whole = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
    text = pc.binary_join(whole, separator).cast(pa.binary())[0]  # Arrow's bytes, as they are:
    return text.as_buffer().to_pybytes() + end.encode("utf-8")  # not decoded and encoded again


def _signals(result: ScanResult, lang: Language | None) -> pa.Array:
    """Per row, its signals as JSON objects joined by commas (the inside of the list)."""
    table = signal_columns(result, lang)
    heads, tails = [], []
    for rule, title, weight, fitted, action in zip(
        table.rules, table.titles, result.weights, result.weight_fitted, table.actions, strict=True
    ):
        heads.append(
            f'{{"id":{encoded(rule.id)},"title":{encoded(title)},'
            f'"weight":{encoded(round(float(weight), 1))},'
            f'"weight_fitted":{encoded(bool(fitted))},"contribution":'
        )
        tails.append(f',"action":{encoded(action)}}}')
    rule = pa.array(table.rule, pa.int64())
    objects = pc.binary_join_element_wise(
        pa.array(heads, pa.string()).take(rule),
        json_floats(pa.array(table.contribution, pa.float64())),
        ',"detail":',
        json_strings(table.detail),
        pa.array(tails, pa.string()).take(rule),
        "",
    )
    return table.joined(objects, ",")


def json_values(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as JSON text by its type: strings, dates (as ISO strings), numbers."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = values.type
    if pa.types.is_large_string(kind):
        values, kind = values.cast(pa.string()), pa.string()
    if pa.types.is_string(kind):
        return json_strings(values)
    if pa.types.is_date(kind):
        return json_strings(values.cast(pa.string()))
    if pa.types.is_floating(kind):
        return json_floats(values)
    if pa.types.is_integer(kind):
        return pc.fill_null(values.cast(pa.string()), "null")
    if pa.types.is_boolean(kind):
        return pc.fill_null(pc.if_else(values, "true", "false"), "null")
    if pa.types.is_null(kind):
        return pa.array(["null"] * len(values), pa.string())
    raise TypeError(f"no JSON text for {kind}")


def json_strings(values: pa.Array) -> pa.Array:
    """Text as JSON string literals, as Python's json writes them without ``ensure_ascii``;
    null as ``null``."""
    escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    controls = pc.fill_null(pc.match_substring_regex(values, _CONTROL), False)
    if pc.any(controls).as_py():  # \n, \t, \u001b …: Python's own escapes
        exact = [encoded(text) for text in pc.filter(values, controls).to_pylist()]
        quoted = pc.replace_with_mask(quoted, controls, pa.array(exact, pa.string()))
    return pc.fill_null(quoted, "null")


def json_floats(values: pa.Array) -> pa.Array:
    """Floats as Python writes them (``3.0``, ``0.1234``, ``12345678901.5``); null as
    ``null``. Arrow writes whole numbers without ``.0`` (added here); where it and Python
    differ on the exponent form (large numbers, and below 1e-4), Python writes them. Whole
    and tiny values are found from the numbers (numpy, on the values' own buffer); the text
    is searched for exponents only where it holds an ``e`` at all."""
    values = values.cast(pa.float64())  # Python writes a float32's float64 digits
    numbers = values.to_numpy(zero_copy_only=False)
    valid = np.asarray(values.is_valid()) if values.null_count else np.ones(len(values), bool)
    if (valid & ~np.isfinite(numbers)).any():
        raise ValueError("JSON has no NaN or infinity: such a value must be null")
    text = values.cast(pa.string())
    magnitude = np.abs(numbers)
    with np.errstate(invalid="ignore"):  # the nulls' NaN
        python = valid & (magnitude < 1e-4) & (magnitude > 0)  # Python: 1e-05
    written = text.buffers()[2]
    if written is not None and b"e" in written.to_pybytes():  # an exponent or more: where?
        python |= np.asarray(pc.fill_null(pc.match_substring(text, "e"), False))
    with np.errstate(invalid="ignore"):
        whole = valid & ~python & (numbers == np.floor(numbers))
    if whole.any():
        mask = pa.array(whole)
        text = pc.replace_with_mask(
            text, mask, pc.binary_join_element_wise(pc.filter(text, mask), ".0", "")
        )
    if python.any():
        mask = pa.array(python)
        exact = [encoded(number) for number in pc.filter(values, mask).to_pylist()]
        text = pc.replace_with_mask(text, mask, pa.array(exact, pa.string()))
    return pc.fill_null(text, "null")


def _merged(parts: list[pa.Array | str]) -> list[pa.Array | str]:
    """Adjacent literal pieces as one (fewer arguments for the join)."""
    merged: list[pa.Array | str] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged
