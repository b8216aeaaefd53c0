"""The column-by-column JSON writer gives the bytes Python's json gives, for any value.

Compact JSON and NDJSON are built with Arrow string functions (``render/json_text.py``);
``--pretty`` and the records the table uses go through ``json``. These tests hold the two
to the same text: strings with quotes, backslashes and control characters, every float,
and whole scans with hostile names.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from churnwatch.render.json_document import escaped_line_breaks
from churnwatch.render.json_text import json_floats, json_strings
from scan_helpers import invoke, write_exports

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))  # UTF-8 has no surrogates
floats = st.floats(allow_nan=False, allow_infinity=False)


def python(value: object) -> str:
    """Python's json, and the characters readers take for line breaks escaped."""
    return escaped_line_breaks(json.dumps(value, ensure_ascii=False, allow_nan=False))


@given(st.lists(st.one_of(st.none(), texts), max_size=30))
def test_strings_are_quoted_and_escaped_as_python_writes_them(values: list[str | None]) -> None:
    written = json_strings(pa.array(values, pa.string())).to_pylist()
    assert written == [python(value) for value in values]


@given(st.lists(st.one_of(st.none(), floats), max_size=30))
def test_floats_are_written_as_python_writes_them(values: list[float | None]) -> None:
    written = json_floats(pa.array(values, pa.float64())).to_pylist()
    assert written == [python(value) for value in values]


def test_the_floats_arrow_writes_otherwise() -> None:
    tricky = [3.0, -0.0, 0.0, 1e15, 1e16, 12345678901.2345, 1.5e-7, 2.5e300, 123456.0]
    assert json_floats(pa.array(tricky)).to_pylist() == [python(v) for v in tricky]
    assert all(math.isfinite(v) for v in tricky)


ORDERS = "order_id,customer_id,order_date,amount\n" + "".join(
    f'{k}{n},"{who}",2026-0{m}-1{n},{amount}\n'
    for k, (who, amount) in enumerate(
        [
            ('quote "" back\\slash', "1234567890123.25"),
            ("tab\there", "-17.0"),
            ("bell\x07 esc\x1b[2J", "0.5"),
            ("Müller & Söhne 🚀", "100"),
            ("line\u2028sep para\u2029sep next\x85line", "12.5"),
            ("=HYPERLINK(1)", "99999999999.99"),
        ]
    )
    for n in range(3)
    for m in (3, 6, 9)
)


def test_a_scan_with_hostile_names_writes_the_json_python_would(tmp_path: Path) -> None:
    folder = write_exports(tmp_path, **{"orders.csv": ORDERS})
    for fmt in ("json", "ndjson"):
        fast = invoke("scan", folder, "-q", "--as-of", "2026-09-30", "-f", fmt)
        assert fast.exit_code == 0, fast.output
        pretty = invoke("scan", folder, "-q", "--as-of", "2026-09-30", "-f", "json", "--pretty")
        records = json.loads(pretty.stdout)["customers"]
        if fmt == "json":
            document = json.loads(fast.stdout)
            assert document["customers"] == records
            lines = fast.stdout.splitlines()[1:-1]
            assert [line.rstrip(",") for line in lines] == [python_compact(r) for r in records]
        else:  # one record a line, also for readers that split at U+2028 (str.splitlines)
            lines = fast.stdout.splitlines()
            assert [json.loads(line) for line in lines] == [
                {"as_of": "2026-09-30"} | r for r in records
            ]
            assert "\u2028" not in fast.stdout and "\\u2028" in fast.stdout
    names = {record["name"] or record["customer_id"] for record in records}
    assert 'quote " back\\slash' in names and "bell\x07 esc\x1b[2J" in names
    assert "line\u2028sep para\u2029sep next\x85line" in names  # the same value, read back


def python_compact(record: object) -> str:
    return escaped_line_breaks(json.dumps(record, ensure_ascii=False, separators=(",", ":")))


def test_values_json_cannot_hold_are_refused_not_written() -> None:
    import pytest

    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="no NaN or infinity"):
            json_floats(pa.array([1.0, bad]))


def test_narrow_and_chunked_columns_are_written_as_python_writes_them() -> None:
    from churnwatch.render.json_text import json_values

    narrow = pa.array([0.1], pa.float32())
    assert json_values(narrow).to_pylist() == [python(narrow[0].as_py())]
    chunked = pa.chunked_array([["a\tb"], ['"c"', None]], pa.large_string())
    assert json_values(chunked).to_pylist() == [python("a\tb"), python('"c"'), "null"]
