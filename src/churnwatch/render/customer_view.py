"""``churnwatch explain``: one customer on one screen, or as JSON with the same content."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from churnwatch.core.days import iso_to_days
from churnwatch.core.words import inline
from churnwatch.render.json_document import json_bytes
from churnwatch.render.language import Language, language
from churnwatch.render.plan_view import occasion_record, reason

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


def profile_document(profile: Profile, lang: Language | None = None) -> dict[str, Any]:
    """What ``--format json`` prints: the scan's record for the customer and the timeline."""
    from churnwatch.render.records import SCHEMA_VERSION, to_records

    record = to_records(profile.row, first_rank=profile.rank, lang=lang)[0]
    timeline = profile.timeline
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": profile.row.as_of,
        "customer": record,
        "open_complaints": profile.open_complaints,
        "next_contact": (
            None if profile.next_contact is None else occasion_record(profile.next_contact, lang)
        ),
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


def profile_json(profile: Profile, lang: Language | None = None, *, pretty: bool = False) -> bytes:

    return json_bytes(profile_document(profile, lang), pretty=pretty)


def show_profile(console: Console, profile: Profile, lang: Language | None = None) -> None:
    lang = lang or language()
    document = profile_document(profile, lang)
    record, timeline = document["customer"], document["timeline"]
    who = Text(inline(str(record["customer_id"])), style="bold")  # typed by anyone: one line
    for key in ("name", "segment", "owner", "email"):
        if record[key]:
            who.append(f" · {inline(str(record[key]))}")
    console.print(who)
    head = lang.t(
        "explain.head",
        rank=record["rank"],
        ranked=lang.number(profile.ranked),
        listed=lang.t(
            "explain.listed_lost" if profile.lost else "explain.listed",
            listed=lang.number(profile.listed),
            listed_of=lang.number(profile.listed_of),
        ),
        risk=lang.percent(record["risk"]),
        severity=lang.severity(record["severity"]),
        phase=lang.phase(record["phase"]),
        as_of=lang.date(iso_to_days(document["as_of"])),
    )
    console.print(Text(head))
    base = (
        lang.t("explain.no_model")
        if record["base_risk"] is None
        else lang.t("explain.base", risk=lang.percent(record["base_risk"]))
    )
    console.print(Text(f"{record['history']}; {base}", style="dim"))
    points = [lang.points(signal["contribution"]) for signal in record["signals"]]
    width = max(map(len, points), default=0)  # "+1 pt", "+25 pts": the titles in one column
    for signal, added in zip(record["signals"], points, strict=True):
        head = f" {added:>{width}}  "
        line = Text(head, style="bold")
        line.append(f"{signal['title']}: {signal['detail']}")
        console.print(line)
        under_title = " " * len(head)
        console.print(Text(f"{under_title}→ {signal['action']}", style="italic"))
    if not record["signals"]:
        console.print(Text(lang.t("explain.no_signal"), style="dim"))
    if profile.row.cut.has("complaints"):
        still = lang.t("explain.open_complaints", count=lang.number(profile.open_complaints))
        console.print(Text(still, style="dim"))
    upcoming = profile.next_contact
    if upcoming:
        due = lang.date(iso_to_days(upcoming.due))
        kind = lang.t(f"plan.kinds.{upcoming.kind}")
        text = lang.t("explain.next", due=due, kind=kind, reason=reason(upcoming, lang))
    else:
        why = "no_warning" if record["severity"] == "none" else "no_reorder_date"
        text = lang.t("explain.next_none", why=lang.t(f"explain.{why}"))
    console.print(Text(text, style="bold"))
    console.print(_timeline_table(timeline, lang))


def _timeline_table(timeline: dict[str, Any], lang: Language) -> Table:
    """Month by month, oldest first; the recent window starts at the marked month."""
    months = timeline["months"]
    recent = months.index(timeline["recent_from"]) if timeline["recent_from"] in months else 0
    since = timeline["customer_from"]  # the baseline: the months since the first order
    first = min(months.index(since) if since in months else 0, recent)
    table = Table(box=None, pad_edge=False, title_justify="left")
    table.add_column(lang.t("explain.timeline.title"), no_wrap=True)
    span = lang.t(
        "explain.timeline.span", first=months[0], last=months[-1], recent=timeline["recent_from"]
    )
    table.add_column(span)
    table.add_column(lang.t("explain.timeline.compare"), justify="right", no_wrap=True)
    for key in ("orders", "revenue", "days_late", "complaints", "contact_attempts", "not_reached"):
        values = timeline[key]
        if not values:
            continue
        bars = sparkline(values)  # one scale for the whole series
        line = bars[:recent] + "│" + bars[recent:]
        label = lang.t(f"explain.timeline.{key}")
        table.add_row(label, line, _compare(values, first, recent, lang))
    return table


def _compare(values: list[Any], first: int, recent: int, lang: Language) -> str:
    """Monthly mean in the baseline (from the month of the first order) and in the recent
    window."""

    def mean(part: list[Any]) -> str:
        present = [v for v in part if v is not None]
        return lang.number(sum(present) / len(present), 1) if present else "–"

    return lang.t(
        "explain.timeline.per_month",
        baseline=mean(values[first:recent]),
        recent=mean(values[recent:]),
    )
