"""What changed since the previous recorded run: who is new on the warning list, who
escalated, who recovered, and how well earlier warnings came true.

A run is remembered as a *snapshot*: per customer the risk, severity, phase, the ids of the
fired rules and the revenue per year. The history stores snapshots; everything here compares
them as whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.analyses.loyal import value_per_year
from churnwatch.analyses.result import ScanResult
from churnwatch.core.days import days_to_iso
from churnwatch.core.domain import Phase, Severity

SNAPSHOT_COLUMNS = ("customer_id", "risk", "severity", "phase", "rules", "value_per_year")


class Change(StrEnum):
    """A customer's standing against the previous run."""

    NEW = "new"
    """On the warning list now, not before (or not a customer then)."""
    ESCALATED = "escalated"
    """On the list both times, in a more severe band now."""
    UNCHANGED = "unchanged"
    """On the list both times, in the same or a milder band."""
    RECOVERED = "recovered"
    """On the list before, off it now and not lost."""
    LOST = "lost"
    """On the list before, lost now: a case for win-back, not a recovery."""
    NONE = ""
    """Off the list both times."""


@dataclass(frozen=True)
class RunInfo:
    """One recorded run, as ``churnwatch history`` lists it."""

    run_id: int
    as_of: int
    """The reference day (days since 1970-01-01)."""
    recorded_at: str
    churnwatch_version: str
    config_fingerprint: str
    data_fingerprint: str
    horizon_days: int
    customers: int
    lost: int
    bands: dict[str, int]
    """Customers not lost per severity band, most severe first (``none`` not stored)."""
    mean_risk: float | None
    """The mean risk of the customers not lost."""


@dataclass(frozen=True)
class TimelinePoint:
    """One customer in one recorded run."""

    customer_id: str
    """As the run recorded it."""
    as_of: int
    horizon_days: int
    """The run's horizon: a risk over 30 days is another measure than one over 90."""
    risk: float
    severity: Severity
    phase: str
    rules: tuple[str, ...]


def snapshot(result: ScanResult) -> pd.DataFrame:
    """What a run remembers of each customer: risk, severity (its integer code), phase, the
    fired rules' ids separated by blanks, and the revenue per year (what a report puts at
    risk), in rank order."""
    frame = result.customers
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(str).to_numpy(),
            "risk": frame["risk"].to_numpy(dtype=np.float64),
            "severity": frame["severity"].to_numpy(dtype=np.int64),
            "phase": frame["phase"].astype(str).to_numpy(),
            "rules": fired_ids(result),
            "value_per_year": value_per_year(result),
        }
    )


def fired_ids(result: ScanResult) -> np.ndarray:
    """Per customer, the ids of the rules that fired, in rule order, separated by blanks."""
    joined = pa.array(np.full(result.count, ""), pa.string())
    for index, rule in enumerate(result.rules):
        fired = pa.array(result.fired[:, index])
        word = pc.if_else(fired, rule.id, "")
        joined = pc.binary_join_element_wise(joined, word, " ")
    tidy = pc.utf8_trim(pc.replace_substring_regex(joined, r" {2,}", " "), " ")
    return np.asarray(tidy.to_numpy(zero_copy_only=False), dtype=object)


MIN_SHARED = 0.5
"""Below this share of customers in common, two runs hardly describe the same business."""


def comparison_doubts(
    earlier: RunInfo, before: pd.DataFrame, current: pd.DataFrame, config_fingerprint: str
) -> list[str]:
    """Why comparing with an earlier run may mislead: other settings, or hardly the same
    customers (another export in the same history)."""
    doubts = []
    if earlier.config_fingerprint != config_fingerprint:
        doubts.append(
            f"the run of {days_to_iso(earlier.as_of)} used other settings (the config changed"
            " since): some changes may come from them"
        )
    shared = among(current["customer_id"], before["customer_id"])
    if len(current) and shared.mean() < MIN_SHARED:
        doubts.append(
            f"only {shared.mean():.0%} of today's customers were in the run of"
            f" {days_to_iso(earlier.as_of)}: is the history from another export?"
        )
    return doubts


def among(ids: pd.Series, pool: pd.Series | np.ndarray) -> np.ndarray:
    """Whether each id is one of ``pool``, by hashing: numpy's ``isin`` compares text ids
    pair by pair (80 s for 60,000 customers against 60,000)."""
    return np.asarray(ids.isin(pool))


def on_warning_list(frame: pd.DataFrame, warn_at: Severity) -> np.ndarray:
    """Customers not lost at ``warn_at`` or above (the list a report warns about)."""
    severe = frame["severity"].to_numpy(dtype=np.int64) >= int(warn_at)
    return severe & (frame["phase"].astype(str).to_numpy() != Phase.LOST.value)


def compare(current: pd.DataFrame, previous: pd.DataFrame, warn_at: Severity) -> pd.DataFrame:
    """``current`` (a snapshot) with each customer's change against ``previous``, the earlier
    risk and severity (NaN and -1 for a customer the earlier run did not have), whether the
    customer was on the warning list then (``was_listed``) or lost (``previous_lost``), and
    the revenue per year then (``previous_value``; NaN where a run recorded none)."""
    before = previous.set_index("customer_id")
    position = before.index.get_indexer(pd.Index(current["customer_id"]))
    known = position >= 0
    earlier_risk = np.where(known, before["risk"].to_numpy()[position], np.nan)
    earlier_severity = np.where(known, before["severity"].to_numpy()[position], -1)
    was_listed = np.zeros(len(current), dtype=bool)
    was_listed[known] = on_warning_list(before, warn_at)[position[known]]
    was_lost = np.zeros(len(current), dtype=bool)
    was_lost[known] = before["phase"].astype(str).to_numpy()[position[known]] == Phase.LOST.value
    listed = on_warning_list(current, warn_at)
    lost = current["phase"].astype(str).to_numpy() == Phase.LOST.value
    severity = current["severity"].to_numpy(dtype=np.int64)
    change = np.select(
        [
            listed & ~was_listed,
            listed & was_listed & (severity > earlier_severity),
            listed & was_listed,
            was_listed & lost,
            was_listed,
        ],
        [Change.NEW, Change.ESCALATED, Change.UNCHANGED, Change.LOST, Change.RECOVERED],
        default=Change.NONE,
    )
    recorded = before["value_per_year"].to_numpy(dtype=np.float64)
    earlier_value = np.where(known, recorded[position], np.nan)
    return current.assign(
        change=change,
        previous_risk=earlier_risk,
        previous_severity=earlier_severity,
        was_listed=was_listed,
        previous_lost=was_lost,
        previous_value=earlier_value,
    )


@dataclass(frozen=True)
class Outcome:
    """How the warnings of one earlier run came true by now."""

    as_of: int
    """The earlier run's reference day."""
    warned: int
    """Customers on its warning list (and still in the data)."""
    warned_silent: int
    """Of them, how many have not ordered since."""
    others: int
    """The other customers not lost then."""
    others_silent: int

    @property
    def warned_share(self) -> float:
        return self.warned_silent / self.warned if self.warned else float("nan")

    @property
    def others_share(self) -> float:
        return self.others_silent / self.others if self.others else float("nan")


def outcome(
    result: ScanResult, earlier: pd.DataFrame, earlier_day: int, warn_at: Severity
) -> Outcome:
    """Of the customers an earlier run warned about, how many placed no order since its
    reference day, against the same share among the others it did not count as lost."""
    frame = result.customers
    last = frame["last_order_date"].to_numpy(dtype=np.float64)
    silent_ids = frame["customer_id"].astype(str).to_numpy()[~(last > earlier_day)]
    silent = among(earlier["customer_id"], silent_ids)
    present = among(earlier["customer_id"], frame["customer_id"].astype(str))
    listed = on_warning_list(earlier, warn_at) & present
    active = (earlier["phase"].astype(str).to_numpy() != Phase.LOST.value) & present
    others = active & ~listed
    return Outcome(
        earlier_day,
        int(listed.sum()),
        int((listed & silent).sum()),
        int(others.sum()),
        int((others & silent).sum()),
    )
