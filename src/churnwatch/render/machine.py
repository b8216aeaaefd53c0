"""Machine formats: JSON, NDJSON and CSV, all from the same records.

Deterministic: keys and columns in a fixed order, rows in rank order, ISO dates, no ANSI.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from churnwatch.result import SCHEMA_VERSION, ScanResult

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


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


CSV_FIXED = ["rank", "customer_id", "name", "owner", "score", "severity", "phase"]
CSV_SIGNALS = ["signals", "reasons", "action"]


def render_csv(result: ScanResult) -> str:
    """One row per customer; signals flattened into ids, reasons and the first action."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIXED + CSV_SIGNALS + result.feature_names)
    for record in result.to_records():
        signals = record["signals"]
        row = [record[key] for key in CSV_FIXED]
        row += [
            "; ".join(s["id"] for s in signals),
            " | ".join(f"{s['title']}: {s['detail']}" for s in signals),
            signals[0]["action"] if signals else "",
        ]
        row += [record["features"][name] for name in result.feature_names]
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (plain numbers stay numbers)."""
    if value is None:
        return ""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value
