"""The weekly report: everything an account team needs on Monday morning, as values.

It gathers what the other analyses compute (the ranked risks, win-back and returners, the
loyal core, the contact plan) and what only the run history knows (who is new on the warning
list, who escalated or recovered, the trend over the recorded runs, and how often earlier
warnings came true). Words and layout are :mod:`churnwatch.render`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from churnwatch.analyses.changes import (
    Change,
    Outcome,
    RunInfo,
    compare,
    on_warning_list,
    outcome,
)
from churnwatch.analyses.loyal import loyal_core, value_per_year
from churnwatch.analyses.plan import Occasion, contact_plan
from churnwatch.analyses.result import ScanResult, Selection, folded
from churnwatch.analyses.winback import WinBack, win_back
from churnwatch.config import Config
from churnwatch.core.domain import Phase, Severity

TREND_RUNS = 12
"""Recorded runs the trend shows (with this one)."""
OUTCOME_MIN_DAYS = 28
"""An earlier run's warnings are judged once four weeks have passed (a shorter wait says
little about a risk over a 90-day horizon)."""
OUTCOME_RUNS = 6
PLAN_DAYS = 14


@dataclass(frozen=True)
class Recorded:
    """An earlier recorded run with its snapshot, as the report reads it from the history."""

    info: RunInfo
    snapshot: pd.DataFrame


@dataclass(frozen=True)
class TrendPoint:
    as_of: int
    warned: int
    """Customers on the warning list."""
    mean_risk: float
    """Mean risk of the customers not lost."""
    customers: int
    """Customers not lost."""


@dataclass(frozen=True)
class Headline:
    customers: int
    """Customers not lost."""
    warned: int
    critical: int
    mean_risk: float
    value_at_risk: float
    """Revenue per year of the customers on the warning list."""
    lost: int
    previous: Headline | None = None
    """The same figures at the previous recorded run (for the same customers' owner)."""


@dataclass(frozen=True)
class WeeklyReport:
    """One report: for the whole business, or for one account manager's customers."""

    result: ScanResult
    """The scan, narrowed to the owner's customers when the report is for one owner."""
    owner: str | None
    warn_at: Severity
    headline: Headline
    previous: RunInfo | None
    changes: pd.DataFrame
    """Per customer (rank order): change, previous_risk, previous_severity."""
    top: ScanResult
    """The customers on the warning list, most at risk first (at most ``top`` of them); when
    nobody is on it, the customers not lost most at risk."""
    warned_total: int
    next_contact: dict[str, Occasion]
    """Per customer id, the first occasion of the contact plan."""
    winback: WinBack
    loyal: Selection
    phases: dict[str, int]
    trend: list[TrendPoint]
    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)
    """Data-quality notes and warnings, as sentences."""
    limit: int = 15
    """Customers listed in each section (``[report] top``)."""
    recording: bool = False
    """This run is being recorded in the run history: with no earlier run, the next report
    compares with this one."""

    def listed(self, change: Change) -> ScanResult:
        """The customers with this change since the previous run, most at risk first."""
        rows = np.flatnonzero(self.changes["change"].to_numpy() == change.value)
        return self.result.rows(rows)


def weekly_reports(
    result: ScanResult,
    current: pd.DataFrame,
    config: Config,
    earlier: list[Recorded],
    notes: list[str],
    *,
    owners: list[str | None],
    today: int | None = None,
    recording: bool = False,
) -> list[WeeklyReport]:
    """One report per entry of ``owners`` (None: the whole business), from the scan (with its
    snapshot, ``current``) and the earlier recorded runs (oldest first); ``recording``: this
    run goes into the run history."""
    warn_at = Severity.parse(config.report.warn_at)
    previous = earlier[-1] if earlier else None
    compared = (
        compare(current, previous.snapshot, warn_at)
        if previous
        else current.assign(
            change=np.where(on_warning_list(current, warn_at), Change.NEW, Change.NONE),
            previous_risk=np.nan,
            previous_severity=-1,
            was_listed=False,
            previous_lost=False,
        )
    )
    loyal = loyal_core(result, config.loyal)
    plan = contact_plan(result, PLAN_DAYS, config.lifecycle.lost_after_days, today)
    next_contact: dict[str, Occasion] = {}
    for occasion in sorted(plan, key=lambda o: (o.due, o.kind)):
        next_contact.setdefault(occasion.customer_id, occasion)
    reports = []
    for owner in owners:
        rows = _owner_rows(result, owner)
        part = result.rows(rows)
        reports.append(
            WeeklyReport(
                result=part,
                owner=owner,
                warn_at=warn_at,
                headline=_headline(
                    part,
                    warn_at,
                    _earlier_customers(compared.iloc[rows], previous, warn_at, whole=owner is None),
                ),
                previous=previous.info if previous else None,
                changes=compared.iloc[rows].reset_index(drop=True),
                top=_top(part, warn_at, config.report.top),
                warned_total=int(on_warning_list(current.iloc[rows], warn_at).sum()),
                next_contact=next_contact,
                winback=win_back(part, config.lifecycle.lost_after_days, top=config.report.top),
                loyal=loyal.narrowed([owner] if owner else (), (), config.report.top),
                phases=part.by_phase(),
                trend=_trend(
                    earlier,
                    current,
                    result.cut.as_of,
                    None if owner is None else set(current["customer_id"].iloc[rows]),
                    warn_at,
                ),
                outcomes=_outcomes(part, earlier, result.cut.as_of, warn_at),
                notes=notes,
                limit=config.report.top,
                recording=recording,
            )
        )
    return reports


def _owner_rows(result: ScanResult, owner: str | None) -> np.ndarray:
    if owner is None:
        return np.arange(result.count)
    return np.flatnonzero(result.texts("owner") == folded(owner))


def _top(result: ScanResult, warn_at: Severity, top: int) -> ScanResult:
    """The first ``top`` customers on the warning list; when nobody reaches it, the first
    customers not lost all the same (the riskiest are still the ones to call first)."""
    listed = on_warning_list(result.customers, warn_at)
    if not listed.any():
        listed = result.phases() != Phase.LOST
    return result.rows(np.flatnonzero(listed)[:top])


def _earlier_customers(
    compared: pd.DataFrame, previous: Recorded | None, warn_at: Severity, *, whole: bool
) -> pd.DataFrame | None:
    """The customers the earlier run's headline counts, with their earlier risk, severity,
    listing, phase and value (``compare``'s columns): for the whole business every customer
    that run recorded, also those gone from this week's export (counted over today's
    customers, five critical customers who left made last week's 25 read as 20); for one
    owner's report the owner's present customers (the history records no owners)."""
    if previous is None:
        return None
    if not whole:
        return compared
    whole_run = compare(previous.snapshot, previous.snapshot, warn_at)
    return whole_run.assign(value_now=np.nan)  # some are no customers of today's


def _headline(result: ScanResult, warn_at: Severity, earlier: pd.DataFrame | None) -> Headline:
    """This run's figures, and the earlier run's over ``earlier`` (None: no earlier run)."""
    frame = result.customers
    active = result.phases() != Phase.LOST
    listed = on_warning_list(frame, warn_at)
    risks = frame["risk"].to_numpy(dtype=np.float64)
    severity = frame["severity"].to_numpy(dtype=np.int64)
    value = np.nan_to_num(value_per_year(result))
    previous = None
    if earlier is not None:
        known = earlier["previous_severity"].to_numpy() >= 0
        before = earlier["previous_risk"].to_numpy(dtype=np.float64)
        was_listed = earlier["was_listed"].to_numpy(dtype=bool)
        was_lost = earlier["previous_lost"].to_numpy(dtype=bool)
        was_active = known & ~was_lost
        previous = Headline(
            customers=int(was_active.sum()),
            warned=int(was_listed.sum()),
            critical=int((was_active & (earlier["previous_severity"].to_numpy() >= 4)).sum()),
            mean_risk=float(before[was_active].mean()) if was_active.any() else float("nan"),
            value_at_risk=_value_then(
                earlier["value_now"].to_numpy() if "value_now" in earlier else value,
                earlier["previous_value"].to_numpy(),
                was_listed,
            ),
            lost=int((known & was_lost).sum()),
        )
    return Headline(
        customers=int(active.sum()),
        warned=int(listed.sum()),
        critical=int((active & (severity >= Severity.CRITICAL)).sum()),
        mean_risk=float(risks[active].mean()) if active.any() else float("nan"),
        value_at_risk=float(value[listed].sum()),
        lost=int((~active).sum()),
        previous=previous,
    )


def _value_then(now: np.ndarray, then: np.ndarray, listed: np.ndarray) -> float:
    """The revenue per year the earlier run put at risk, as it recorded it (so the change is
    the difference of the two reports' figures); valued as now where a run recorded none
    (one recorded before churnwatch kept the value), and not at all for a customer gone
    since (``now`` NaN)."""
    recorded = then[listed].astype(np.float64)
    if np.isnan(recorded).any():
        return float(np.nansum(now[listed].astype(np.float64)))
    return float(recorded.sum())


def _trend(
    earlier: list[Recorded],
    current: pd.DataFrame,
    as_of: int,
    ids: set[str] | None,
    warn_at: Severity,
) -> list[TrendPoint]:
    """The warning list and the mean risk at each recorded run and now: over every customer
    each run had (``ids`` None), or an owner's present customers (``ids``)."""
    runs = [(r.info.as_of, r.snapshot) for r in earlier[-(TREND_RUNS - 1) :]] + [(as_of, current)]
    points = []
    for day, frame in runs:
        mine = frame if ids is None else frame[frame["customer_id"].isin(ids)]
        active = mine["phase"].astype(str).to_numpy() != Phase.LOST.value
        risks = mine["risk"].to_numpy(dtype=np.float64)[active]
        points.append(
            TrendPoint(
                day,
                int(on_warning_list(mine, warn_at).sum()),
                float(risks.mean()) if len(risks) else float("nan"),
                int(active.sum()),
            )
        )
    return points


def _outcomes(
    result: ScanResult, earlier: list[Recorded], as_of: int, warn_at: Severity
) -> list[Outcome]:
    """How the warnings of the earlier runs at least four weeks old came true, latest first."""
    ids = set(result.customers["customer_id"].astype(str))
    judged = [r for r in earlier if r.info.as_of <= as_of - OUTCOME_MIN_DAYS][-OUTCOME_RUNS:]
    return [
        outcome(result, r.snapshot[r.snapshot["customer_id"].isin(ids)], r.info.as_of, warn_at)
        for r in reversed(judged)
    ]
