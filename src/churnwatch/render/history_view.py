"""The run history for people: the recorded runs, one customer's risk over time (a sparkline),
and the one-line account of what changed since the previous run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from churnwatch.core.days import days_to_iso
from churnwatch.core.domain import Severity
from churnwatch.core.words import plural, printable
from churnwatch.render.table import COLOURS, percent

if TYPE_CHECKING:
    from churnwatch.analyses.changes import RunInfo, TimelinePoint
    from churnwatch.analyses.result import ScanResult

SPARKS = "▁▂▃▄▅▆▇█"
CHANGE_ORDER = ("new", "escalated", "recovered", "lost", "unchanged")
TREND_RUNS = 10
"""The runs a trend shows: the listing of runs then fits 120 columns."""


def sparkline(values: list[float]) -> str:
    """Risks (0–1) as bars on an absolute scale: a full bar is a certain churn, whatever the
    customer's other runs were."""
    top = len(SPARKS) - 1
    return "".join(SPARKS[min(top, max(0, round(value * top)))] for value in values)


def changes_line(result: ScanResult, previous: RunInfo | None) -> str:
    """``since the run of 2026-11-23: 3 new, 1 escalated, …`` (what --since-last compared)."""
    counts = result.customers["change"].value_counts()
    parts = [f"{int(counts.get(c, 0)):,} {c}" for c in CHANGE_ORDER if counts.get(c, 0)]
    listed = ", ".join(parts) or "no customer on the warning list before or now"
    if previous is None:
        return f"no earlier run recorded: every customer on the warning list is new ({listed})"
    return f"since the run of {days_to_iso(previous.as_of)}: {listed}"


def show_runs(console: Console, runs: list[RunInfo]) -> None:
    """The recorded runs, oldest first, with the spread over the bands and the mean risk,
    and its trend over the runs of the same horizon."""
    if not runs:
        console.print("no runs recorded yet")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    headings = ("run", "as of", "horizon", "customers", "critical", "high", "medium", "low")
    for heading in (*headings, "none", "lost"):
        table.add_column(heading, justify="left" if heading == "as of" else "right")
    table.add_column("mean risk", justify="right")
    table.add_column("trend")
    table.add_column("config · data", style="dim")
    trends: dict[int, list[float]] = {}  # a risk over another horizon is another measure
    for run in runs:
        alike = trends.setdefault(run.horizon_days, [])
        alike.append(run.mean_risk or 0.0)
        bands = [run.bands[name] for name in ("critical", "high", "medium", "low")]
        calm = run.customers - run.lost - sum(bands)
        table.add_row(
            str(run.run_id),
            days_to_iso(run.as_of),
            f"{run.horizon_days} d",
            f"{run.customers:,}",
            *(f"{count:,}" for count in [*bands, calm]),
            f"{run.lost:,}",
            "–" if run.mean_risk is None else percent(run.mean_risk),
            sparkline(alike[-TREND_RUNS:]),
            f"{run.config_fingerprint[:8]} · {run.data_fingerprint[:8]}",
        )
    console.print(table)


def show_timeline(console: Console, customer_id: str, points: list[TimelinePoint]) -> None:
    """One customer's risk in every recorded run: a sparkline over the runs of the latest
    run's horizon (a risk over 30 days is another measure than one over 90), then run by run."""
    horizon = points[-1].horizon_days
    risks = [point.risk for point in points if point.horizon_days == horizon]
    runs = plural(len(risks), "run")
    mixed = len(risks) < len(points)
    head = Text(f"{printable(points[0].customer_id)} · risk over {runs}")
    head.append(f" with a {horizon}-day horizon: " if mixed else ": ")
    head.append(sparkline(risks), style="bold")
    head.append(f" {percent(risks[0])} → {percent(risks[-1])}")
    console.print(head)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for heading in ("as of", "horizon", "risk", "severity", "phase", "signals"):
        table.add_column(heading, justify="right" if heading in ("horizon", "risk") else "left")
    for point in points:
        label = Severity(point.severity).label
        table.add_row(
            days_to_iso(point.as_of),
            f"{point.horizon_days} d",
            percent(point.risk),
            Text(label, style=COLOURS[label]),
            point.phase,
            Text(", ".join(point.rules) or "–"),
        )
    console.print(table)
