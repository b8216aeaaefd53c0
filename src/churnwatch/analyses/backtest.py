"""Backtest: does the ranking predict? Score at past cut-offs, compare with what happened.

For each cut-off the scan sees only the data up to it (its weights too are fitted on the
history before it), and the label comes from the rows after it: 1 = no order in the horizon.
The same measures are reported for churnwatch's risk, for the simple baselines computed the
same way, and for each rule alone, over all customers and over those who ordered in the
recent window.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from churnwatch.analyses.evaluation import (
    TOP_SHARES,
    Calibration,
    TopShare,
    calibration,
    roc_auc,
    top_share,
)
from churnwatch.analyses.result import ScanResult
from churnwatch.analyses.scan import scan
from churnwatch.config import Config
from churnwatch.core.days import date_to_day, days_to_iso, today
from churnwatch.core.domain import Phase, Severity
from churnwatch.core.errors import UsageError
from churnwatch.ingest.dataset import Dataset
from churnwatch.rules.catalog import Rule
from churnwatch.timeframe import cut_at, ordered_in

DEFAULT_EVERY = 30
"""Days between cut-offs when ``--from`` is given without ``--every``."""
WARNING = Severity.MEDIUM
"""A customer counts as warned (for the lead time) at this severity or above."""


@dataclass(frozen=True)
class Scorer:
    name: str
    auc: float
    top: list[TopShare]
    calibration: Calibration | None
    """Only for scores that are probabilities (the risk, BG/NBD)."""


@dataclass(frozen=True)
class RuleAlone:
    id: str
    flagged: int
    precision: float
    lift: float


@dataclass(frozen=True)
class Group:
    name: str
    customers: int
    churn_rate: float
    scorers: list[Scorer]
    rules: list[RuleAlone]


@dataclass(frozen=True)
class CutOff:
    as_of: int
    result: ScanResult
    groups: list[Group]


@dataclass(frozen=True)
class LeadTime:
    stopped: int
    """Customers who stopped ordering during the backtest, warned or not."""
    churners: int
    """Of them, those who had been warned by then."""
    median_days: float
    """Median days from the first warning to the last order (negative: warned afterwards;
    NaN when nobody was warned)."""
    warned_before: float
    """Share of warned churners whose first warning came before their last order (NaN when
    nobody was warned)."""


@dataclass(frozen=True)
class BacktestResult:
    horizon_days: int
    cut_offs: list[CutOff]
    lead_time: LeadTime | None


def data_end(dataset: Dataset) -> int:
    """The last day the data covers: the latest order date that is not after today."""
    days = dataset.frame("orders")["order_date"].to_numpy()
    now = today()
    return int(days[days <= now].max()) if (days <= now).any() else int(days.max())


def cut_off_days(
    dataset: Dataset,
    horizon: int,
    dates: list[dt.date],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    every: int | None = None,
) -> list[int]:
    """The cut-offs asked for: ``--as-of`` dates, or ``--from``/``--to``/``--every``, or by
    default the last one with a whole horizon of data after it."""
    if dates and (start or end or every):
        raise UsageError("give cut-offs either with --as-of or with --from/--to/--every")
    if dates:
        return sorted({date_to_day(date) for date in dates})
    last = data_end(dataset) - horizon
    if start is None and end is None and every is None:
        return [last]
    if start is None:
        raise UsageError("--to and --every need --from (the first cut-off)")
    if end is not None and end < start:
        raise UsageError(f"--from {start} lies after --to {end}")
    final = date_to_day(end) if end else last
    days = list(range(date_to_day(start), final + 1, every or DEFAULT_EVERY))
    if not days:
        raise UsageError(f"--from {start} lies after the last cut-off {days_to_iso(last)}")
    return days


def check_cut_offs(dataset: Dataset, cut_offs: list[int], horizon: int) -> None:
    """Each cut-off needs a whole horizon of data after it, and orders before it."""
    last = data_end(dataset) - horizon
    first = int(dataset.frame("orders")["order_date"].min())
    if last < first:
        raise UsageError(
            f"a {horizon}-day horizon is longer than the data ({days_to_iso(first)} to"
            f" {days_to_iso(data_end(dataset))}): no cut-off has a whole horizon after it",
            hint="use a shorter --horizon",
        )
    late = [day for day in cut_offs if day > last]
    if late:
        raise UsageError(
            f"cut-off {days_to_iso(late[0])} is too close to the end of the data"
            f" ({days_to_iso(data_end(dataset))}) for a {horizon}-day horizon",
            hint=f"the last usable cut-off is {days_to_iso(last)}",
        )


def backtest(
    dataset: Dataset, config: Config, rules: list[Rule], cut_offs: list[int]
) -> BacktestResult:
    horizon = config.risk.horizon_days
    check_cut_offs(dataset, cut_offs, horizon)
    results = []
    for as_of in sorted(set(cut_offs)):
        result = scan(cut_at(dataset, as_of), config, rules)
        labels = no_order_within(dataset, result, horizon)
        results.append(CutOff(as_of, result, _groups(result, labels, config)))
    return BacktestResult(horizon, results, _lead_time(dataset, results, horizon))


def no_order_within(dataset: Dataset, result: ScanResult, horizon: int) -> np.ndarray:
    """1 for each ranked customer with no order in the ``horizon`` days after the cut-off."""
    as_of = result.cut.as_of
    ordered = ordered_in(dataset.frame("orders"), as_of, as_of + horizon, len(dataset.customer_ids))
    return (~ordered[result.customers.index.to_numpy()]).astype(np.float64)


def _groups(result: ScanResult, labels: np.ndarray, config: Config) -> list[Group]:
    since = result.customers["days_since_last_order"].to_numpy()
    recent = since < config.windows.recent_days
    everyone = np.ones(len(labels), dtype=bool)
    return [
        _group(name, result, labels, mask)
        for name, mask in (("all customers", everyone), ("ordered in the recent window", recent))
    ]


def _group(name: str, result: ScanResult, labels: np.ndarray, mask: np.ndarray) -> Group:
    y = labels[mask]
    frame = result.customers[mask]
    scores = {
        "churnwatch risk": (frame["risk"].to_numpy(), True),
        "days since the last order": (frame["days_since_last_order"].to_numpy(dtype=float), False),
        "BG/NBD P(no order)": (frame["p_no_order_horizon"].to_numpy(dtype=float), True),
    }
    scorers = [
        _scorer(label, score, y, probability)
        for label, (score, probability) in scores.items()
        if not np.isnan(score).all()
    ]
    rules = [
        _rule_alone(rule.id, result.fired[mask, index], y)
        for index, rule in enumerate(result.rules)
    ]
    return Group(name, int(mask.sum()), float(y.mean()) if y.size else math.nan, scorers, rules)


def _scorer(name: str, score: np.ndarray, labels: np.ndarray, probability: bool) -> Scorer:
    filled = np.nan_to_num(score, nan=np.nanmin(score) if score.size else 0.0)
    return Scorer(
        name,
        roc_auc(filled, labels),
        [top_share(filled, labels, share) for share in TOP_SHARES],
        calibration(filled, labels) if probability and labels.size else None,
    )


def _rule_alone(rule_id: str, fired: np.ndarray, labels: np.ndarray) -> RuleAlone:
    flagged = int(fired.sum())
    base = labels.mean() if labels.size else math.nan
    precision = float(labels[fired].mean()) if flagged else math.nan
    return RuleAlone(rule_id, flagged, precision, precision / base if base else math.nan)


def _lead_time(dataset: Dataset, cut_offs: list[CutOff], horizon: int) -> LeadTime | None:
    """From each churner's first warning to their last order, over the cut-offs.

    A churner is a customer who stopped ordering during the backtest: labelled 'no order in
    the horizon' at some cut-off, with their last order on or after the first cut-off (so
    customers already gone when the backtest starts do not count). Their first warning is the
    earliest cut-off up to then at which they were not lost and their severity was at least
    :data:`WARNING`.
    """
    if len(cut_offs) < 2:
        return None
    n = len(dataset.customer_ids)
    never = np.iinfo(np.int64).max
    first_warning = np.full(n, never)
    last_order = np.full(n, -1)
    for cut_off in cut_offs:
        result = cut_off.result
        codes = result.customers.index.to_numpy()
        still_open = last_order[codes] < 0
        warned = (result.customers["severity"].to_numpy() >= WARNING) & still_open
        warned &= result.phases() != Phase.LOST
        first_warning[codes[warned]] = np.minimum(first_warning[codes[warned]], cut_off.as_of)
        churned = (no_order_within(dataset, result, horizon) == 1) & still_open
        last_order[codes[churned]] = result.customers["last_order_date"].to_numpy()[churned]
    stopped = last_order >= cut_offs[0].as_of
    churners = stopped & (first_warning < never)
    lead = last_order[churners] - first_warning[churners]
    # Nobody warned is said as such (no median): a missing lead time reads as one not asked for.
    median, before = (np.median(lead), (lead > 0).mean()) if lead.size else (math.nan, math.nan)
    return LeadTime(int(stopped.sum()), int(lead.size), float(median), float(before))
