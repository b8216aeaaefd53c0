"""``churnwatch explain``: one customer on one screen, or as JSON with the same content."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from churnwatch.core.words import inline
from churnwatch.render.plan_view import reason

if TYPE_CHECKING:
    from churnwatch.analyses.profile import Profile

BARS = " ▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """Terminal bars scaled to the largest value; a blank where there is no value."""
    present = [v for v in values if v is not None]
    low, high = min([0, *present]), max([0, *present])
    span = (high - low) or 1
    steps = len(BARS) - 1
    return "".join(
        " " if v is None else BARS[max(1, round((v - low) / span * steps)) if v else 0]
        for v in values
    )


def profile_document(profile: Profile) -> dict[str, Any]:
    """What ``--format json`` prints: the scan's record for the customer and the timeline."""
    from churnwatch.render.records import SCHEMA_VERSION, to_records

    record = to_records(profile.row, first_rank=profile.rank)[0]
    timeline = profile.timeline
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": profile.row.as_of,
        "customer": record,
        "open_complaints": profile.open_complaints,
        "next_contact": None if profile.next_contact is None else profile.next_contact.__dict__,
        "timeline": {
            "months": timeline.months,
            "recent_from": timeline.recent_from,
            "customer_from": timeline.customer_from,
            "orders": timeline.orders,
            "revenue": timeline.revenue,
            "days_late": timeline.days_late,
            "complaints": timeline.complaints,
            "contact_attempts": timeline.contact_attempts,
            "not_reached": timeline.not_reached,
        },
    }


def profile_json(profile: Profile) -> bytes:
    text = json.dumps(profile_document(profile), ensure_ascii=False, allow_nan=False, indent=2)
    return (text + "\n").encode("utf-8")


def show_profile(console: Console, profile: Profile) -> None:
    document = profile_document(profile)
    record, timeline = document["customer"], document["timeline"]
    who = Text(inline(str(record["customer_id"])), style="bold")  # typed by anyone: one line
    for key in ("name", "segment", "owner", "email"):
        if record[key]:
            who.append(f" · {inline(str(record[key]))}")
    console.print(who)
    console.print(
        Text(
            f"rank {record['rank']} of {profile.ranked:,} · risk"
            f" {record['risk'] * 100:.0f}% ({record['severity']}) · phase {record['phase']} ·"
            f" as of {document['as_of']}"
        )
    )
    base = (
        "no model of the order history"
        if record["base_risk"] is None
        else (f"{record['base_risk'] * 100:.0f}% from the order history alone")
    )
    console.print(Text(f"{record['history']}; {base}", style="dim"))
    for signal in record["signals"]:
        points = f"+{signal['contribution'] * 100:.0f}"
        line = Text(f"{points:>4} pts  ", style="bold")
        line.append(f"{signal['title']}: {signal['detail']}")
        console.print(line)
        console.print(Text(f"          → {signal['action']}", style="italic"))
    if not record["signals"]:
        console.print(Text("no warning signal fired", style="dim"))
    if profile.row.cut.has("complaints"):
        console.print(Text(f"complaints still open: {profile.open_complaints}", style="dim"))
    upcoming = profile.next_contact
    why_none = (
        "no warning"
        if record["severity"] == "none"
        else "no usual reorder date to follow up within a year"
    )
    console.print(
        Text(
            f"next contact: {upcoming.due} ({upcoming.kind}): {reason(upcoming)}"
            if upcoming
            else f"next contact: none in the contact plan ({why_none}, nothing open)",
            style="bold",
        )
    )
    console.print(_timeline_table(timeline))


def _timeline_table(timeline: dict[str, Any]) -> Table:
    """Month by month, oldest first; the recent window starts at the marked month."""
    months = timeline["months"]
    recent = months.index(timeline["recent_from"]) if timeline["recent_from"] in months else 0
    since = timeline["customer_from"]  # the baseline: the months since the first order
    first = min(months.index(since) if since in months else 0, recent)
    table = Table(box=None, pad_edge=False, title_justify="left")
    table.add_column("month by month", no_wrap=True)
    table.add_column(f"{months[0]} … {months[-1]} (recent from {timeline['recent_from']})")
    table.add_column("baseline → recent", justify="right", no_wrap=True)
    rows = [
        ("orders", timeline["orders"]),
        ("revenue", timeline["revenue"]),
        ("days late (paid)", timeline["days_late"]),
        ("complaints", timeline["complaints"]),
        ("contact attempts", timeline["contact_attempts"]),
        ("not reached", timeline["not_reached"]),
    ]
    for label, values in rows:
        if not values:
            continue
        bars = sparkline(values)  # one scale for the whole series
        line = bars[:recent] + "│" + bars[recent:]
        table.add_row(label, line, _compare(values, first, recent))
    return table


def _compare(values: list[Any], first: int, recent: int) -> str:
    """Monthly mean in the baseline (from the month of the first order) and in the recent
    window."""

    def mean(part: list[Any]) -> str:
        present = [v for v in part if v is not None]
        return f"{sum(present) / len(present):,.1f}" if present else "–"

    return f"{mean(values[first:recent])} → {mean(values[recent:])} per month"
