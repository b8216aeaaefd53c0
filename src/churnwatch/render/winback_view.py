"""``churnwatch winback``: the lost customers worth winning back, as a table, JSON or CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from churnwatch.core.days import iso_to_days
from churnwatch.render.json_document import json_bytes
from churnwatch.render.language import Language, language
from churnwatch.render.table import one_line, shown_id

if TYPE_CHECKING:
    from churnwatch.analyses.winback import WinBack

NARROW = 100


def approach(found: WinBack, row: int, lang: Language | None = None) -> str:
    """How to ask them back: what fits the reasons they left for, else where to start."""
    lang = lang or language()
    fitting = [lang.t(f"report.winback.approaches.{key}") for key in found.reasons[row]]
    unique = list(dict.fromkeys(fitting))
    if not unique:
        return lang.t("report.winback.default")
    return "; ".join([*unique, lang.t("report.winback.comeback")])


def why_none(found: WinBack, lang: Language | None = None) -> str:
    """Why no lost customer is listed ("" when some are)."""
    lang = lang or language()
    facts = found.none_because
    if not facts:
        return ""
    if "min_value" in facts:
        lost = lang.count(round(facts["lost"]), "lost_customer")
        return lang.t("winback.none_worth", lost=lost, value=lang.number(facts["min_value"]))
    if "lost_in_all" in facts:
        lost = lang.count(round(facts["lost_in_all"]), "lost_customer")
        return lang.t("winback.none_chosen", lost=lost)
    return lang.t(
        "winback.none_lost",
        days=lang.count(round(facts["lost_after_days"]), "day_dative"),
        longest=lang.count(round(facts["longest"]), "day"),
    )


def winback_records(found: WinBack, lang: Language | None = None) -> list[dict[str, Any]]:
    """One plain record per lost customer, worth first (what JSON and CSV show)."""
    from churnwatch.render.records import feature_array, identity_columns

    lang = lang or language()

    identity = identity_columns(found.rows)
    last = feature_array(found.rows, "last_order_date").to_pylist()
    since = feature_array(found.rows, "days_since_last_order").to_pylist()
    records = []
    for row in range(found.rows.count):
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
                "approach": approach(found, row, lang),  # the CSV's order of columns
                "reasons": [lang.t(f"winback.reasons.{key}") for key in found.reasons[row]],
            }
        )
    return records


def returner_records(found: WinBack, lang: Language | None = None) -> list[dict[str, Any]]:
    """The companion list: who came back, since when, and what to do."""
    from churnwatch.render.records import feature_array, identity_columns

    action = (lang or language()).t("winback.returner_action")

    identity = identity_columns(found.returners)
    since = feature_array(found.returners, "returner_since").to_pylist()
    return [
        {
            "customer_id": identity["customer_id"][row],
            "name": identity["name"][row],
            "owner": identity["owner"][row],
            "returner_since": since[row].isoformat(),
            "action": action,
        }
        for row in range(len(since))
    ]


def winback_json(found: WinBack, lang: Language | None = None, *, pretty: bool = False) -> bytes:
    from churnwatch.render.records import SCHEMA_VERSION

    document = {
        "schema_version": SCHEMA_VERSION,
        "as_of": found.rows.as_of,
        "lost_customers": found.matching,
        "why_none": why_none(found, lang) or None,
        "customers": winback_records(found, lang),
        "returners": returner_records(found, lang),
    }
    return json_bytes(document, pretty=pretty)


def winback_csv(
    found: WinBack,
    *,
    formula_guard: bool = True,
    lang: Language | None = None,
    dialect: str = "standard",
) -> bytes:
    """The list as CSV in ``dialect`` (see ``CSV_DIALECTS``)."""
    import pyarrow as pa

    from churnwatch.render.csv_rows import in_dialect, safe_text

    columns = _columns(winback_records(found, lang))
    arrays = {
        key: safe_text(pa.array(values, pa.string()))
        if formula_guard and _is_text(key)
        else pa.array(values, _arrow_types().get(key, pa.string()))
        for key, values in columns.items()
    }
    return in_dialect(pa.table(arrays), dialect)


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


def winback_ndjson(found: WinBack, lang: Language | None = None) -> bytes:
    """One lost customer per line, each with ``as_of`` (a line stands alone in a stream)."""
    as_of = {"as_of": found.rows.as_of}
    records = winback_records(found, lang)
    return b"".join(json_bytes(as_of | record) for record in records)  # compact: one line


def winback_xlsx(found: WinBack, lang: Language | None = None) -> bytes:
    import datetime as dt

    from churnwatch.render.xlsx_sheet import sheet_bytes

    columns = _columns(winback_records(found, lang))
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


def show_winback(console: Console, found: WinBack, lang: Language | None = None) -> None:
    lang = lang or language()
    records = winback_records(found, lang)
    if found.none_because:  # nobody listed: why, not a headline of "0 lost customers"
        console.print(Text(why_none(found, lang)))
        _show_returners(console, found, records, lang)
        return
    lost = lang.count(found.matching, "lost_customer")
    console.print(Text(lang.t("winback.head", lost=lost, as_of=lang.date(found.rows.cut.as_of))))
    leaving = {True: lang.t("winback.left_suddenly"), False: lang.t("winback.drifted_away")}
    if console.width < NARROW:  # the reasons would be dropped: one block per customer
        for record in records:
            who = _who(record["customer_id"], record["name"])
            head = f"{record['rank']}. {who}"
            value = lang.t("winback.per_year", value=lang.number(record["value_per_year"]))
            console.print(Text(f"{head} · {value}", style="bold"))
            last = lang.t("winback.last_order", date=_date(record["last_order_date"], lang))
            reasons = "; ".join([leaving[record["left_suddenly"]], *record["reasons"]])
            console.print(Text(f"   {last}; {reasons}"))
            console.print(Text(f"   → {record['approach']}", style="italic"))
        _show_returners(console, found, records, lang)
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    master = [c for c in ("name", "owner") if c in found.rows.customers]  # from customers.csv
    for key in ("#", "customer", *master, "per_year", "last_order", "why"):
        table.add_column(
            key if key == "#" else lang.t(f"winback.columns.{key}"),
            justify="right" if key in ("#", "per_year") else "left",
            no_wrap=key != "why",
        )
    for record in records:
        why = Text(leaving[record["left_suddenly"]], style="dim")
        for reason in record["reasons"]:
            why.append(f"\n{reason}")
        why.append(f"\n→ {record['approach']}", style="italic")
        table.add_row(
            Text(str(record["rank"])),
            Text(shown_id(one_line(record["customer_id"]))),
            *(Text(one_line(record[column] or "")) for column in master),
            Text(lang.number(record["value_per_year"])),
            Text(_date(record["last_order_date"], lang)),
            why,
        )
    console.print(table)
    _show_returners(console, found, records, lang)


def _who(customer_id: str, name: str | None) -> str:
    """A customer as a line names them: the id shortened as the scan's table does, then the
    name, both with control characters spelled out (so a line stays as wide as it looks)."""
    return f"{shown_id(one_line(customer_id))} {one_line(name or '')}".rstrip()


def _date(iso: str | None, lang: Language) -> str:
    return lang.date(iso_to_days(iso)) if iso else ""


def _show_returners(
    console: Console, found: WinBack, records: list[dict[str, Any]], lang: Language
) -> None:
    if len(records) < found.matching:
        shown = lang.t("winback.showing", shown=len(records), total=lang.number(found.matching))
        console.print(Text(shown, style="dim"))
    returners = returner_records(found, lang)
    if returners:
        action = lang.t("winback.returner_action")
        heading = lang.t("winback.returners", count=len(returners), action=action)
        console.print(Text(f"\n{heading}", style="bold"))
        for returner in returners:
            who = _who(returner["customer_id"], returner["name"])
            owner = f" · {one_line(returner['owner'])}" if returner["owner"] else ""
            since = lang.date(iso_to_days(returner["returner_since"]))
            console.print(Text(f"  {since}  {who}{owner}"))
