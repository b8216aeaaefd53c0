"""Cut the loaded history at a reference date: the data as it was known at the end of that day.

Rows dated after the reference date are left out of the view (they stay in the dataset, where
a backtest reads them as labels); an invoice paid or a complaint closed after it counts as
still open. One dataset can be cut at any number of dates, cheaply: a view of a dated source
holds the columns the later stages read (customer, dates, amounts, categories), not its free
text (document numbers, complaint categories), which stays in the dataset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from churnwatch.core.days import date_to_day, days_to_iso, today
from churnwatch.core.domain import is_order
from churnwatch.core.errors import InputError
from churnwatch.core.sources import SOURCES, Kind
from churnwatch.core.words import plural
from churnwatch.ingest.dataset import (
    Dataset,
    SourceFrame,
    distinct_customers,
    ordering_customers,
)
from churnwatch.ingest.parquet_folder import in_their_parts
from churnwatch.ingest.problems import Level, Problem, Reason

STALE_AS_OF_DAYS = 31
"""A reference date this many days after the latest order makes everyone look overdue."""


@dataclass
class Cut:
    """The dataset as known at the end of the reference day ``as_of`` (a day number)."""

    dataset: Dataset
    as_of: int
    frames: dict[str, pd.DataFrame]
    after_as_of: dict[str, int]
    """Rows per source dated after the reference date (left out of this view)."""
    notes: list[Problem] = field(default_factory=list)

    @property
    def as_of_iso(self) -> str:
        return days_to_iso(self.as_of)

    @property
    def customer_ids(self) -> pd.Index:
        return self.dataset.customer_ids

    @property
    def sources(self) -> dict[str, SourceFrame]:
        return self.dataset.sources

    @property
    def problems(self) -> list[Problem]:
        """The dataset's data-quality problems and this cut's notes (their lines placed in
        the parts of a folder export)."""
        return [*self.dataset.problems, *in_their_parts(self.notes, self.dataset.exports)]

    def has(self, source: str) -> bool:
        return source in self.frames

    def frame(self, source: str) -> pd.DataFrame:
        return self.frames[source]

    def later(self, source: str) -> pd.DataFrame:
        """The rows of ``source`` dated after the reference date: what happened next."""
        full = self.dataset.frame(source)
        event = SOURCES[source].event_date
        if event is None or event not in full:
            return full.iloc[:0]
        return full[full[event].to_numpy() > self.as_of]

    def ordering_customers(self) -> int:
        """Customers with at least one order (credit notes alone do not count)."""
        return ordering_customers(self.frame("orders"))


def ordered_in(orders: pd.DataFrame, after: int, until: int, customers: int) -> np.ndarray:
    """Per customer code: whether an order (not a credit note) falls in ``(after, until]``.

    What labels the past: pass the frame of a cut so that nothing beyond its date is seen."""
    days = orders["order_date"].to_numpy()
    window = (days > after) & (days <= until) & is_order(orders["amount"].to_numpy())
    return np.bincount(orders["customer"].to_numpy()[window], minlength=customers) > 0


EVER = int(np.iinfo(np.int32).min)
"""A day before every order: ``(EVER, day]`` asks for an order up to ``day``."""


class OrderSpans:
    """Which customers ordered (credit notes aside) in which spans between a few given days,
    from one pass over the orders: :meth:`ordered_in` then answers, for any two of the days,
    what :func:`ordered_in` answers with a pass of its own. The risk training asks a dozen
    such windows of every customer; at 10 M orders each pass took 60 ms."""

    def __init__(self, orders: pd.DataFrame, days: Iterable[int], customers: int) -> None:
        self.bounds = np.unique(np.array([EVER, *days], dtype=np.int64))
        codes, dates = orders["customer"].to_numpy(), orders["order_date"].to_numpy()
        keep = is_order(orders["amount"].to_numpy())
        if not keep.all():
            codes, dates = codes[keep], dates[keep]
        width = len(self.bounds) + 1
        # One flat position per order: a 2-D index would widen both columns to 64 bits.
        wide = customers * width > np.iinfo(np.int32).max
        cell = np.multiply(codes, width, dtype=np.int64 if wide else np.int32)
        cell += _span_of(dates, self.bounds)
        spans = np.zeros(customers * width, dtype=bool)
        spans[cell] = True
        self.spans = spans.reshape(customers, width)
        """Per customer code and span ``i``, an order in ``(bounds[i-1], bounds[i]]`` (the
        last span: after the last day)."""

    def answers(self, after: int, until: int) -> bool:
        """Whether both days are among the given ones."""
        return bool(np.isin([after, until], self.bounds).all())

    def ordered_in(self, after: int, until: int) -> np.ndarray:
        """Per customer code: an order in ``(after, until]`` (both among the given days)."""
        first, last = np.searchsorted(self.bounds, [after, until])
        return np.asarray(self.spans[:, first + 1 : last + 1].any(axis=1))


def _span_of(days: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """The span of each day: ``i`` where ``bounds[i-1] < day <= bounds[i]``; looked up in a
    table of the days' range when that is shorter than the days (the usual case: a few
    thousand days, ten million orders), which is several times faster than a search each."""
    if not days.size:
        return np.zeros(0, dtype=np.intp)
    low, high = int(days.min()), int(days.max())
    if high - low >= days.size:
        return np.searchsorted(bounds, days)
    table = np.searchsorted(bounds, np.arange(low, high + 1)).astype(np.int32)
    return table[days - low]


def reference_day(dataset: Dataset, as_of: dt.date | None = None) -> int:
    """``as_of``, or else the latest order date that is not after today."""
    if as_of is not None:
        return date_to_day(as_of)
    now = today()
    dates = dataset.frame("orders")["order_date"].to_numpy()
    latest = int(dates.max())
    if latest <= now:  # the usual case: one pass
        return latest
    past = dates[dates <= now]
    return int(past.max()) if past.size else now


def cut_at(dataset: Dataset, as_of: int, *, some_customers: bool = False) -> Cut:
    """The view of ``dataset`` at the end of day ``as_of``. ``some_customers``: the dataset
    holds some of the export's customers (a part of it), who may have no orders by then."""
    frames: dict[str, pd.DataFrame] = {}
    after: dict[str, int] = {}
    notes: list[Problem] = []
    for name, source in dataset.sources.items():
        frames[name], after[name] = _known_then(name, source.frame, as_of)
        if after[name]:
            notes.append(after_note(source, as_of, after[name]))
    if frames["orders"].empty and some_customers:
        return Cut(dataset, as_of, frames, after, notes)
    if frames["orders"].empty:
        raise InputError(
            f"{dataset.sources['orders'].path}: no orders on or before {days_to_iso(as_of)}"
        )
    orders = frames["orders"]
    notes.extend(
        orders_notes(
            dataset.sources["orders"],
            as_of,
            int(orders["order_date"].max()),
            credit_only_customers(orders),
            ordering_customers(orders),
        )
    )
    return Cut(dataset, as_of, frames, after, notes)


def of_customers(dataset: Dataset, customers: np.ndarray | None) -> Dataset:
    """The whole history of the ``customers`` (a mask over the customer codes; None: every
    customer), coded anew from 0 in the order of their codes, without the free text of dated
    sources (which no cut holds): what the risk training cuts at each of its cut-offs, taken
    once instead of at each, and with per-customer arrays the size of the customers chosen,
    not of all."""
    frames = {
        name: _without_free_text(name, source.frame) for name, source in dataset.sources.items()
    }
    if customers is None:
        sources = {
            name: replace(source, frame=frames[name]) for name, source in dataset.sources.items()
        }
        return Dataset(dataset.folder, dataset.customer_ids, sources, [])
    code = np.cumsum(customers, dtype=np.int64) - 1  # each chosen customer's new code
    sources = {}
    for name, source in dataset.sources.items():
        old = frames[name]["customer"].to_numpy()
        frame = frames[name][customers[old]]
        new = code[frame["customer"].to_numpy()].astype(old.dtype)
        sources[name] = replace(source, frame=frame.assign(customer=new))
    return Dataset(dataset.folder, dataset.customer_ids[customers], sources, [])


def _without_free_text(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A dated source's frame without its free-text columns (document numbers, complaint
    categories); an undated one (master data) as it is."""
    schema = SOURCES[name]
    if schema.event_date is None or schema.event_date not in frame:
        return frame
    text = [c.name for c in schema.columns if c.kind is Kind.TEXT and c.name in frame]
    return frame.drop(columns=text) if text else frame


def _known_then(name: str, frame: pd.DataFrame, as_of: int) -> tuple[pd.DataFrame, int]:
    """Rows known at ``as_of``, with settling dates after it blanked; copies only what it
    must."""
    schema = SOURCES[name]
    event = schema.event_date
    later = 0
    frame = _without_free_text(name, frame)
    if event is not None and event in frame:
        drop = frame[event].to_numpy() > as_of
        later = int(drop.sum())
        if later:
            frame = frame[~drop]
    settling = [c.name for c in schema.columns if c.settles and c.name in frame]
    unsettled = [c for c in settling if (frame[c].to_numpy() > as_of).any()]
    if unsettled:
        frame = frame.copy(deep=False)
        for column in unsettled:
            values = frame[column].to_numpy()
            frame[column] = np.where(values <= as_of, values, np.nan)
    return frame, later


def after_note(source: SourceFrame, as_of: int, count: int) -> Problem:
    """The note on ``count`` rows of ``source`` left out of the view at ``as_of``."""
    event = SOURCES[source.name].event_date
    assert event is not None
    return Problem(
        source.name,
        source.path.name,
        Reason.AFTER_AS_OF,
        f"{plural(count, 'row')} dated after the reference date {days_to_iso(as_of)} ignored",
        column=source.table.columns[event],
        count=count,
        level=Level.NOTE,
    )


def orders_notes(
    source: SourceFrame, as_of: int, latest: int, credit_only: int, ordering: int
) -> list[Problem]:
    """Notes a user should see before trusting a ranking: a stale reference date (``latest``:
    the latest order in the view), and customers with nothing but credit notes (who have no
    orders to score), a warning where they outnumber the ``ordering`` customers: an export
    that writes its sales as negative amounts leaves an empty list."""
    notes = []
    if as_of - latest > STALE_AS_OF_DAYS:
        text = (
            f"the reference date {days_to_iso(as_of)} is {as_of - latest:,} days after the"
            f" latest order ({days_to_iso(latest)}): every customer will look overdue"
        )
        notes.append((Reason.STALE_REFERENCE, text, Level.WARNING))
    if credit_only:
        text = (
            f"{plural(credit_only, 'customer')} with nothing but credit notes (negative"
            f" amounts) {'is' if credit_only == 1 else 'are'} not scored"
        )
        if credit_only <= ordering:
            notes.append((Reason.CREDIT_NOTES_ONLY, text, Level.NOTE))
        else:
            text += (
                f", against {ordering:,} who ordered: if the export writes sales as negative"
                " amounts, export them as positive ones (credit notes negative)"
            )
            notes.append((Reason.CREDIT_NOTES_ONLY, text, Level.WARNING))
    return [
        Problem("orders", source.path.name, code, text, level=level) for code, text, level in notes
    ]


def credit_only_customers(orders: pd.DataFrame) -> int:
    """Customers whose rows are all credit notes; none without a credit note (one pass, not
    two counts over every row)."""
    if not len(orders) or is_order(orders["amount"].to_numpy()).all():
        return 0
    return distinct_customers(orders["customer"].to_numpy()) - ordering_customers(orders)


def stale_exports(cut: Cut, now: int | None = None) -> list[Problem]:
    """A warning when the latest order lies long before today: the exports were not refreshed,
    and a ranking from them describes a past that sales can no longer act on."""
    latest = int(cut.frame("orders")["order_date"].max())
    return stale_exports_note(cut.dataset.sources["orders"], latest, now)


def stale_exports_note(source: SourceFrame, latest: int, now: int | None = None) -> list[Problem]:
    """:func:`stale_exports`, given the latest order."""
    now = today() if now is None else now
    if now - latest <= STALE_AS_OF_DAYS:
        return []
    return [
        Problem(
            "orders",
            source.path.name,
            Reason.STALE_EXPORTS,
            f"latest order {days_to_iso(latest)}, {now - latest:,} days before today: the"
            " exports look stale; export fresh data, or pass --as-of to scan a past date on"
            " purpose",
        )
    ]


def future_orders(cut: Cut, now: int | None = None) -> list[Problem]:
    """A warning for orders dated after today: no export can hold them yet, so their dates
    are wrong (a typing error, day and month swapped); they are left out of the scan."""
    now = today() if now is None else now
    source = cut.dataset.sources["orders"]
    found = orders_after(source, now)
    return future_orders_note(source, *found, now) if found is not None else []


def orders_after(source: SourceFrame, now: int) -> tuple[int, int, tuple[int, ...]] | None:
    """The orders of ``source`` dated after ``now``: how many, the latest, the lines of the
    first few (None: none)."""
    days = source.frame["order_date"].to_numpy()
    later = days > now
    if not later.any():
        return None
    lines = source.table.first_lines(source.frame.index.to_numpy()[later])
    return int(later.sum()), int(days[later].max()), lines


def future_orders_note(
    source: SourceFrame, count: int, latest: int, lines: tuple[int, ...], now: int
) -> list[Problem]:
    """:func:`future_orders`, given how many orders are dated after today, the latest of
    them, and the lines of the first few."""
    return [
        Problem(
            "orders",
            source.path.name,
            Reason.AFTER_AS_OF,
            f"{plural(count, 'order')} dated after today ({days_to_iso(now)}), the latest on"
            f" {days_to_iso(latest)}: left out; check these dates",
            column=source.table.columns["order_date"],
            count=count,
            lines=lines,
        )
    ]


__all__ = ["Cut", "cut_at", "future_orders", "reference_day", "stale_exports"]
