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
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    headings = ("run", "as of", "horizon", "customers", "critical", "high", "medium", "low")
    for heading in (*headings, "none", "lost"):
        table.add_column(heading, justify="left" if heading == "as of" else "right")
    table.add_column("mean risk", justify="right")
    table.add_column("trend")
    table.add_column("config · data", style="dim")
    for index, run in enumerate(runs):
        alike = [
            r.mean_risk or 0.0 for r in runs[: index + 1] if r.horizon_days == run.horizon_days
        ]
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
            sparkline(alike[-12:]),  # a risk over another horizon is another measure
            f"{run.config_fingerprint[:8]} · {run.data_fingerprint[:8]}",
        )
    console.print(table)


def show_timeline(console: Console, customer_id: str, points: list[TimelinePoint]) -> None:
    """One customer's risk in every recorded run: a sparkline, then run by run."""
    risks = [point.risk for point in points]
    head = Text(f"{printable(points[0].customer_id)} · risk over {plural(len(points), 'run')}: ")
    head.append(sparkline(risks), style="bold")
    head.append(f" {percent(risks[0])} → {percent(risks[-1])}")
    console.print(head)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for heading in ("as of", "risk", "severity", "phase", "signals"):
        table.add_column(heading, justify="right" if heading == "risk" else "left")
    for point in points:
        label = Severity(point.severity).label
        table.add_row(
            days_to_iso(point.as_of),
            percent(point.risk),
            Text(label, style=COLOURS[label]),
            point.phase,
            Text(", ".join(point.rules) or "–"),
        )
    console.print(table)
