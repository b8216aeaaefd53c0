"""Machine formats: JSON, NDJSON and CSV, all from the same records.

Deterministic: keys and columns in a fixed order, rows in rank order, ISO dates, no ANSI.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from churnwatch.result import SCHEMA_VERSION, ScanResult, output_array

_FORMULA = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def header(result: ScanResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": result.as_of,
        "sources": result.sources(),
        "rules_not_applicable": [r.id for r in result.not_applicable],
    }


def render_json(result: ScanResult) -> str:
    document = header(result) | {"customers": result.to_records()}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_ndjson(result: ScanResult) -> str:
    lines = (json.dumps(record, ensure_ascii=False) for record in result.to_records())
    return "".join(f"{line}\n" for line in lines)


def render_csv(result: ScanResult) -> str:
    """One row per customer; signals flattened into ids, reasons and the first action.

    Written by pyarrow's CSV writer from whole columns: hundreds of thousands of rows
    take a second, not a minute.
    """
    columns: dict[str, Any] = {"rank": pa.array(np.arange(1, len(result.customers) + 1))}
    columns |= result.identity_columns()
    signals = result.signals()
    columns["signals"] = ["; ".join(s["id"] for s in row) for row in signals]
    columns["reasons"] = [
        " | ".join(f"{s['title']}: {s['detail']}" for s in row) for row in signals
    ]
    columns["action"] = [row[0]["action"] if row else "" for row in signals]
    for name in ("customer_id", "name", "owner", "reasons", "action"):
        columns[name] = safe_text(pa.array(columns[name], pa.string()))
    columns |= {name: output_array(name, result.customers[name]) for name in result.feature_names}
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(pa.table(columns), buffer)
    return buffer.getvalue().to_pybytes().decode("utf-8")


def safe_text(values: pa.Array) -> pa.Array:
    """Neutralise text a spreadsheet would run as a formula (plain numbers stay numbers).

    Such cells get a leading apostrophe, which spreadsheets show as text.
    """
    formula = pc.and_(
        pc.match_substring_regex(values, _FORMULA),
        pc.invert(pc.match_substring_regex(values, _NUMBER)),
    )
    quoted = pc.binary_join_element_wise("'", values, "")
    return pc.if_else(pc.fill_null(formula, False), quoted, values)
