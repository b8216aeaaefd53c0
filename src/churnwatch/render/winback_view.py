"""``churnwatch winback``: the lost customers worth winning back, as a table, JSON or CSV."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from churnwatch.core.words import plural

if TYPE_CHECKING:
    from churnwatch.analyses.winback import WinBack

NARROW = 100


def winback_records(found: WinBack) -> list[dict[str, Any]]:
    """One plain record per lost customer, worth first (what JSON and CSV show)."""
    from churnwatch.analyses.winback import REASONS
    from churnwatch.render.records import feature_array, identity_columns

    identity = identity_columns(found.rows)
    last = feature_array(found.rows, "last_order_date").to_pylist()
    since = feature_array(found.rows, "days_since_last_order").to_pylist()
    records = []
    for row in range(len(found.rows.customers)):
        records.append(
            {
                "rank": row + 1,
                "customer_id": identity["customer_id"][row],
                "name": identity["name"][row],
                "segment": identity["segment"][row],
                "owner": identity["owner"][row],
                "email": identity["email"][row],
                "value_per_year": round(float(found.value_per_year[row]), 2),
                "last_order_date": last[row].isoformat() if last[row] else None,
                "days_since_last_order": since[row],
                "left_suddenly": bool(found.sudden[row]),
                "worth": round(float(found.worth[row]), 2),
                "reasons": [REASONS[key] for key in found.reasons[row]],
                "approach": found.approach(row),
            }
        )
    return records


def returner_records(found: WinBack) -> list[dict[str, Any]]:
    """The companion list: who came back, since when, and what to do."""
    from churnwatch.analyses.winback import RETURNER_ACTION
    from churnwatch.render.records import feature_array, identity_columns

    identity = identity_columns(found.returners)
    since = feature_array(found.returners, "returner_since").to_pylist()
    return [
        {
            "customer_id": identity["customer_id"][row],
            "name": identity["name"][row],
            "owner": identity["owner"][row],
            "returner_since": since[row].isoformat(),
            "action": RETURNER_ACTION,
        }
        for row in range(len(since))
    ]


def winback_json(found: WinBack) -> bytes:
    from churnwatch.render.records import SCHEMA_VERSION

    document = {
        "schema_version": SCHEMA_VERSION,
        "as_of": found.rows.as_of,
        "lost_customers": found.matching,
        "customers": winback_records(found),
        "returners": returner_records(found),
    }
    return (json.dumps(document, ensure_ascii=False, allow_nan=False, indent=2) + "\n").encode()


def winback_csv(found: WinBack, *, formula_guard: bool = True) -> bytes:
    import pyarrow as pa

    from churnwatch.render.csv_rows import csv_bytes, safe_text

    columns = _columns(winback_records(found))
    arrays = {
        key: safe_text(pa.array(values, pa.string()))
        if formula_guard and _is_text(key)
        else pa.array(values, _arrow_types().get(key, pa.string()))
        for key, values in columns.items()
    }
    return csv_bytes(pa.table(arrays))


def _columns(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The records column by column, in a fixed order; reasons joined with '; '."""
    columns: dict[str, list[Any]] = {key: [] for key in _EMPTY}
    for record in records:
        for key in _EMPTY:
            value = record[key]
            columns[key].append("; ".join(value) if key == "reasons" else value)
    return columns


_EMPTY = (
    "rank",
    "customer_id",
    "name",
    "segment",
    "owner",
    "email",
    "value_per_year",
    "last_order_date",
    "days_since_last_order",
    "left_suddenly",
    "worth",
    "approach",
    "reasons",
)


def winback_ndjson(found: WinBack) -> bytes:
    """One lost customer per line, each with ``as_of`` (a line stands alone in a stream)."""
    as_of = {"as_of": found.rows.as_of}
    lines = (json.dumps(as_of | r, ensure_ascii=False) + "\n" for r in winback_records(found))
    return "".join(lines).encode("utf-8")


def winback_xlsx(found: WinBack) -> bytes:
    import datetime as dt

    from churnwatch.render.xlsx_sheet import sheet_bytes

    columns = _columns(winback_records(found))
    columns["last_order_date"] = [
        dt.date.fromisoformat(day) if day else None for day in columns["last_order_date"]
    ]
    return sheet_bytes(columns, "win-back")


def _arrow_types() -> dict[str, Any]:
    import pyarrow as pa

    return {
        "rank": pa.int64(),
        "value_per_year": pa.float64(),
        "days_since_last_order": pa.float64(),
        "left_suddenly": pa.bool_(),
        "worth": pa.float64(),
        "last_order_date": pa.string(),
    }


def _is_text(key: str) -> bool:
    return key in ("customer_id", "name", "segment", "owner", "email", "approach", "reasons")


def show_winback(console: Console, found: WinBack) -> None:
    records = winback_records(found)
    console.print(
        Text(
            f"{plural(found.matching, 'lost customer')} as of {found.rows.as_of}, ranked by"
            " what winning them back is worth: revenue per active year, how recently and how"
            " suddenly they left"
        )
    )
    if found.why_none:
        console.print(Text(found.why_none, style="dim"))
        _show_returners(console, found, records)
        return
    if console.width < NARROW:  # the reasons would be dropped: one block per customer
        for record in records:
            head = f"{record['rank']}. {record['customer_id']} {record['name'] or ''}".rstrip()
            console.print(Text(f"{head} · {record['value_per_year']:,.0f} per year", style="bold"))
            console.print(
                Text(
                    f"   last order {record['last_order_date']}; "
                    + "; ".join(
                        [
                            "left suddenly" if record["left_suddenly"] else "drifted away",
                            *record["reasons"],
                        ]
                    )
                )
            )
            console.print(Text(f"   → {record['approach']}", style="italic"))
        _show_returners(console, found, records)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    master = [c for c in ("name", "owner") if c in found.rows.customers]  # from customers.csv
    for header in ("#", "customer", *master, "per year", "last order", "why · approach"):
        table.add_column(
            header,
            justify="right" if header in ("#", "per year") else "left",
            no_wrap=header != "why · approach",
        )
    for record in records:
        why = Text("left suddenly" if record["left_suddenly"] else "drifted away", style="dim")
        for reason in record["reasons"]:
            why.append(f"\n{reason}")
        why.append(f"\n→ {record['approach']}", style="italic")
        table.add_row(
            Text(str(record["rank"])),
            Text(record["customer_id"]),
            *(Text(record[column] or "") for column in master),
            Text(f"{record['value_per_year']:,.0f}"),
            Text(record["last_order_date"] or ""),
            why,
        )
    console.print(table)
    _show_returners(console, found, records)


def _show_returners(console: Console, found: WinBack, records: list[dict[str, Any]]) -> None:
    if len(records) < found.matching:
        console.print(Text(f"showing {len(records)} of {found.matching:,} (--top)", style="dim"))
    returners = returner_records(found)
    if returners:
        from churnwatch.analyses.winback import RETURNER_ACTION

        console.print(Text(f"\nreturners ({len(returners)}): {RETURNER_ACTION}", style="bold"))
        for returner in returners:
            who = returner["customer_id"] + (f" {returner['name']}" if returner["name"] else "")
            owner = f" · {returner['owner']}" if returner["owner"] else ""
            console.print(Text(f"  {returner['returner_since']}  {who}{owner}"))
