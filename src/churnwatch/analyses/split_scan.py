"""The scan of an export split into parts of whole customers, each loaded by a Dask worker:
the export is never held whole, by the command or by any worker, so an export larger than
memory runs on one machine.

The command streams every source into part files (:mod:`churnwatch.ingest.export_parts`);
then three rounds run on the workers, each loading its part as the export would be loaded:

1. the part's customer ids, problems and latest orders: the command codes every customer
   as the whole export would (their ids in natural order) and takes the reference date;
2. the part cut at the reference date: the counts its notes state, each customer's first
   and last order and order days (for the BG/NBD fit over all customers), the counts the
   choice of training cut-offs asks for, the rows of the training customers (a sample of
   whole customers, the same as the whole export's) and the master data;
3. with the fits done by the command (BG/NBD, the risk model on the training rows), the
   part's features, rules and risk, by the same per-customer code as every engine.

The command keeps per-customer results and counts, never the rows of the export.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from churnwatch.analyses.engines import Cluster, DaskEngine
from churnwatch.analyses.result import ScanResult
from churnwatch.analyses.scan import master_data, scan_result
from churnwatch.analyses.scoring import Model, Scored, combined, rule_features, scored
from churnwatch.config import Config
from churnwatch.core.days import date_to_day, days_to_iso, today
from churnwatch.core.errors import EmptySourceError, InputError
from churnwatch.core.scratch import private_folder
from churnwatch.core.sources import SOURCES, Kind
from churnwatch.features.orders import OrderDays, order_history
from churnwatch.features.population import Population, fit_statistical_model
from churnwatch.ingest.amount_unit import kept_as_given
from churnwatch.ingest.csv_reader import Categories, SourceTable
from churnwatch.ingest.customer_ids import Spellings, natural_order
from churnwatch.ingest.dataset import (
    Dataset,
    SourceFrame,
    all_skipped,
    left_out,
    lookalike_hint,
    lookalike_twins,
    no_valid_rows,
    ordering_mask,
    orphan_rows,
    orphans_level,
    unread_twins,
)
from churnwatch.ingest.export_parts import ExportParts, in_load_order, merged, split_export
from churnwatch.ingest.invoice_parts import INVOICE
from churnwatch.ingest.parquet_folder import in_their_parts
from churnwatch.ingest.problems import MAX_LINES, Problem, Reason
from churnwatch.ingest.vocabulary import Understanding
from churnwatch.risk.training import (
    CutOutcomes,
    fit_on_history,
    outcome_questions,
    training_customers,
)
from churnwatch.rules.catalog import Rule
from churnwatch.timeframe import Cut, Window, cut_at
from churnwatch.timeframe.cut import (
    after_note,
    credit_only_customers,
    future_orders_note,
    orders_after,
    orders_notes,
    stale_exports_note,
)

Progress = Callable[[str], None]


def split_scan(
    exports: Path,
    config: Config,
    rules: list[Rule],
    as_of: dt.date | None,
    *,
    engine: DaskEngine,
    progress: Progress | None = None,
    outside: bool = False,
) -> tuple[Cut, ScanResult]:
    """Scan ``exports`` on the cluster of ``engine``, part by part; the cut returned holds
    the export's counts and problems, not its rows."""
    step = progress or (lambda _: None)
    with private_folder("churnwatch-parts-") as scratch:
        # Split before the cluster starts: an export that cannot be read says so at once.
        step("splitting the export into parts of whole customers")
        at_least = 2 * engine.planned_workers
        split = split_export(
            exports, config, scratch, parts=engine.partitions, at_least=at_least, outside=outside
        )
        with engine.cluster(step) as cluster:
            job = _Job(split, config, today())
            return _scanned(job, rules, cluster, exports=exports, as_of=as_of, step=step)


def _scanned(
    job: _Job,
    rules: list[Rule],
    cluster: Cluster,
    *,
    exports: Path,
    as_of: dt.date | None,
    step: Progress,
) -> tuple[Cut, ScanResult]:
    """The three rounds over the parts, and the result."""
    split, config, now = job.split, job.config, job.now
    present = [i for i in range(split.parts) if any(s.records[i] for s in split.sources.values())]
    step(f"loading the {split.parts} parts on {cluster.workers} Dask workers")
    loaded = cluster.each(_load, [(i,) for i in present], job)
    values = _Values.of(split, loaded)
    as_given = _amounts_as_given(loaded)
    # A part read a category value otherwise, or divided amounts the export has with decimals
    if again := sorted({*values.differing(loaded), *_divided_in(loaded, as_given)}):
        split = split.with_values(values.pinned()).with_amounts_as_given(as_given)
        job = replace(job, split=split, again=True)
        again_loaded = cluster.each(_load, [(present[i],) for i in again], job)
        reloaded = dict(zip(again, again_loaded, strict=True))
        loaded = [reloaded.get(i, part) for i, part in enumerate(loaded)]
        job = replace(job, again=False)
    whole = _Whole.of(exports, job.split, loaded, values, as_of=as_of, now=now)
    step("cutting the parts at the reference date; fitting the risk model")
    job = replace(
        job,
        as_of=whole.as_of,
        training=whole.training,
        future=as_of is None,
        sources=whole.dataset.sources,
    )
    calls = list(zip(present, whole.codes, strict=True))
    viewed = cluster.each(_view, calls, job)
    cut = whole.cut(viewed, given=as_of is not None, now=now)
    population = whole.population(config, viewed)
    chosen = whole.model(config, rules, population, viewed)
    step("scoring the customers part by part")
    ordering = [call for call, part in zip(calls, viewed, strict=True) if part.latest is not None]
    results = cluster.each(_score, ordering, job, _Scoring(population, rules, chosen))
    master = _master(viewed)
    return cut, scan_result(cut, population, chosen, rules, combined(results), master=master)


@dataclass(frozen=True)
class _Job:
    """What every round sends each worker once: the split export, how to read and cut it."""

    split: ExportParts
    config: Config
    now: int
    again: bool = False
    """Load the parts anew (the meanings of category values were given)."""
    as_of: int = 0
    training: np.ndarray | None = None
    """The export's training customers (a mask over its codes; None: all)."""
    future: bool = False
    """Count the orders dated after today (the reference date was not given)."""
    sources: dict[str, SourceFrame] | None = None
    """The export's sources, without rows: a part has each of them (with no rows where it
    has none), and none the export leaves out (every row skipped)."""

    def dataset(self, index: int) -> Dataset:
        """Part ``index`` as loaded in the first round, with the export's sources."""
        dataset = self.split.loaded(index, self.config)
        if self.sources is None:
            return dataset
        frames = {
            name: dataset.sources.get(name) or _without_rows(source)
            for name, source in self.sources.items()
        }
        return replace(dataset, sources=frames)


@dataclass(frozen=True)
class _Scoring:
    """What scoring a part needs from the command: the population step and the model."""

    population: Population
    rules: list[Rule]
    chosen: Model


# -- round 1: load ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counted:
    """A source of a part, counted: what the export's summary adds up."""

    table: SourceTable
    """The part's table, without its rows."""
    frame: pd.DataFrame
    """The part's frame, without its rows (its columns)."""
    read: int
    """Rows the reader kept..."""
    rows: int
    """...and of them the rows loaded (duplicates and what the loader skipped dropped)."""
    duplicates: int
    dropped: int
    in_order: str | None
    first_lines: dict[str, dict[str, int]]
    """Per category column, the export's line of each raw value's first row."""

    @classmethod
    def of(cls, source: SourceFrame) -> _Counted:
        table = source.table
        assert table.layout is not None  # the part's, answering in the export's lines
        first_lines = {
            column: dict(
                zip(
                    rows,
                    (
                        int(n)
                        for n in table.layout.row_lines(
                            np.array(list(rows.values())), table.parsed_rows
                        )
                    ),
                    strict=True,
                )
            )
            for column, rows in table.category_rows.items()
        }
        empty = replace(
            table, table=table.table.slice(0, 0), problems=[], positions=None, layout=None
        )
        return cls(
            empty,
            source.frame.iloc[:0],
            table.rows_read - table.rows_skipped,
            len(source.frame),
            source.duplicates,
            source.dropped,
            source.in_order,
            first_lines,
        )


@dataclass(frozen=True)
class _Loaded:
    ids: pa.Array
    """The part's customer ids, in the order of its codes."""
    problems: list[Problem]
    latest: int | None
    """The latest order day (None: the part has no orders)..."""
    latest_past: int | None
    """...and the latest not after today (None: none)."""
    sources: dict[str, _Counted]
    with_orders: np.ndarray
    """Per customer of the part (its codes): whether they have orders."""
    orphans: dict[str, np.ndarray]
    """Per source but orders, its customers without orders (the part's codes)."""


def _load(index: int, job: _Job) -> _Loaded:
    """Runs on a worker: part ``index`` loaded, counted."""
    dataset = job.split.loaded(index, job.config, again=job.again)  # the export's sources unknown
    orders = dataset.sources.get("orders")
    days = orders.frame["order_date"].to_numpy() if orders is not None else np.empty(0)
    past = days[days <= job.now]
    with_orders = ordering_mask(dataset.sources, len(dataset.customer_ids))
    return _Loaded(
        pa.array(dataset.customer_ids.to_numpy(), pa.string()),
        dataset.problems,
        int(days.max()) if days.size else None,
        int(past.max()) if past.size else None,
        {name: _Counted.of(source) for name, source in dataset.sources.items()},
        with_orders,
        {
            name: orphan_rows(source, with_orders)[1]
            for name, source in dataset.sources.items()
            if name != "orders" and len(source.frame)
        },
    )


def _amounts_as_given(loaded: list[_Loaded]) -> set[str]:
    """The sources whose header says cents but of which some part has amounts with
    decimals: the whole export's amounts are read as they are, as one reader would."""
    return {p.source for part in loaded for p in part.problems if kept_as_given(p)}


def _divided_in(loaded: list[_Loaded], as_given: set[str]) -> list[int]:
    """The parts (their places in ``loaded``) that divided such a source's amounts by 100."""
    return [
        place
        for place, part in enumerate(loaded)
        if any(
            p.code is Reason.CENTS and p.source in as_given and not kept_as_given(p)
            for p in part.problems
        )
    ]


def _without_rows(source: SourceFrame) -> SourceFrame:
    """``source`` (the export's, without rows) for a part that has none of its rows."""
    frame = source.frame.iloc[:0]
    return SourceFrame(source.name, source.table, frame, in_order=source.in_order)


# -- round 2: the view at the reference date --------------------------------------------------


@dataclass(frozen=True)
class _Viewed:
    after: dict[str, int]
    kept: dict[str, int]
    """Rows of each source in the view."""
    latest: int | None
    credit_only: int
    future: tuple[int, int, tuple[int, ...]] | None
    """Orders dated after today: how many, the latest, the lines of the first few."""
    first: np.ndarray
    last: np.ndarray
    distinct_days: np.ndarray
    """Per customer of the part (its codes): first and last order, distinct order days."""
    first_day: int | None
    counts: dict[tuple[int, int], tuple[int, int]]
    """:func:`~churnwatch.risk.training.outcome_questions` answered for the part."""
    training: dict[str, pd.DataFrame]
    """Each source's rows of the part's training customers, coded by the export's codes."""
    master: pd.DataFrame | None
    """The master data of the part's customers, indexed by the export's codes."""


def _view(index: int, codes: np.ndarray, job: _Job) -> _Viewed:
    """Runs on a worker: part ``index`` cut at the reference date, counted; ``codes``: the
    export's code of each of the part's customers."""
    dataset = job.dataset(index)
    cut = cut_at(dataset, job.as_of, some_customers=True)
    orders = cut.frame("orders")
    history = order_history(cut, len(codes))
    horizon = job.config.risk.horizon_days
    # What the whole export's cut counts, counted on the part's.
    outcomes = CutOutcomes(cut, horizon)
    counts = {q: outcomes.counted(*q) for q in outcome_questions(job.as_of, horizon)}
    chosen = np.ones(len(codes), dtype=bool) if job.training is None else job.training[codes]
    return _Viewed(
        dict(cut.after_as_of),
        {name: len(frame) for name, frame in cut.frames.items()},
        int(orders["order_date"].max()) if len(orders) else None,
        credit_only_customers(orders),
        orders_after(dataset.sources["orders"], job.now) if job.future else None,
        history.first,
        history.last,
        history.distinct_days,
        outcomes.first_day(),
        counts,
        {
            name: _recoded(source.frame[chosen[source.frame["customer"].to_numpy()]], codes)
            for name, source in dataset.sources.items()
        },
        _recoded_index(master_data(dataset.frame("customers")), codes)
        if dataset.has("customers")
        else None,
    )


def _recoded(frame: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """``frame`` with its customers coded as in the whole export."""
    customer = codes[frame["customer"].to_numpy()].astype(frame["customer"].dtype)
    return frame.assign(customer=customer)


def _recoded_index(frame: pd.DataFrame | None, codes: np.ndarray) -> pd.DataFrame | None:
    if frame is None:
        return None
    return frame.set_axis(pd.Index(codes[frame.index.to_numpy()], name=frame.index.name))


# -- round 3: scores --------------------------------------------------------------------------


def _score(index: int, codes: np.ndarray, job: _Job, scoring: _Scoring) -> Scored:
    """Runs on a worker: the part's features, rules and risk, its rows coded as in the
    export; the export's population step, with the part's own order days."""
    dataset = job.dataset(index)
    cut = cut_at(dataset, job.as_of, some_customers=True)
    population = scoring.population
    window = replace(population.window, customers=len(codes))
    history = order_history(cut, len(codes))
    part = replace(population, window=window, history=history, notes=[])
    rules = scoring.rules
    return scored(rule_features(cut, part, rules), part, rules, scoring.chosen).recoded(codes)


# -- the whole export, from its parts --------------------------------------------------------


@dataclass(frozen=True)
class _Whole:
    """The export as the command knows it: its customers, counts and problems."""

    dataset: Dataset
    """Every customer and the counts of every source; no rows."""
    codes: list[np.ndarray]
    """Per part loaded, the export's code of each of its customers."""
    as_of: int
    training: np.ndarray | None
    """The training customers, as :func:`~churnwatch.risk.training.fit_on_history` picks
    them from the whole export (None: all)."""

    @classmethod
    def of(
        cls,
        folder: Path,
        split: ExportParts,
        loaded: list[_Loaded],
        values: _Values,
        *,
        as_of: dt.date | None,
        now: int,
    ) -> _Whole:
        found = [[p for p in part.problems if not values.said(p)] for part in loaded]
        problems = merged(
            [split.notes() + split.problems + values.notes(loaded), *found], split.column_places()
        )
        sources, said = _sources(split, loaded)  # first: they may say it cannot be scanned
        _orders_left(sources["orders"], loaded, problems)
        ids = pa.concat_arrays([part.ids for part in loaded])
        order = natural_order(ids)
        place = np.empty(len(order), dtype=np.int64)
        place[order] = np.arange(len(order))
        ends = np.cumsum([len(part.ids) for part in loaded])
        codes = np.split(place, ends[:-1])
        index = pd.Index(
            ids.take(pa.array(order)).to_numpy(zero_copy_only=False).astype(object),
            name="customer_id",
            dtype=object,
        )
        text = ids.take(pa.array(order))
        problems = _lookalikes(problems, sources["orders"], text, codes, loaded)
        exports = {name: parts.export for name, parts in split.sources.items()}
        problems = in_their_parts(in_load_order(problems + said), exports)
        problems += unread_twins(folder, exports)
        dataset = Dataset(folder, index, sources, problems, exports)
        day = _reference_day(loaded, as_of, now)
        return cls(dataset, codes, day, training_customers(len(index)))

    def cut(self, viewed: list[_Viewed], *, given: bool, now: int) -> Cut:
        """The cut at the reference date, without rows: its frames have none of their columns,
        only their length, and its notes are written from the parts' counts."""
        sources = self.dataset.sources
        frames = {
            name: pd.DataFrame(index=pd.RangeIndex(sum(part.kept[name] for part in viewed)))
            for name in sources
        }
        after = {name: sum(part.after[name] for part in viewed) for name in sources}
        latest = max((part.latest for part in viewed if part.latest is not None), default=None)
        if latest is None:
            raise InputError(
                f"{sources['orders'].path}: no orders on or before {days_to_iso(self.as_of)}"
            )
        notes = [
            after_note(sources[name], self.as_of, after[name]) for name in after if after[name]
        ]
        credit_only = sum(part.credit_only for part in viewed)
        ordering = sum(int(np.count_nonzero(part.distinct_days)) for part in viewed)
        notes += orders_notes(sources["orders"], self.as_of, latest, credit_only, ordering)
        if not given:
            future = [part.future for part in viewed if part.future is not None]
            if future:
                notes = [
                    note
                    for note in notes
                    if not (note.source == "orders" and note.code is Reason.AFTER_AS_OF)
                ]
                count = sum(found[0] for found in future)
                lines = tuple(sorted(line for found in future for line in found[2])[:MAX_LINES])
                day = max(found[1] for found in future)
                notes += future_orders_note(sources["orders"], count, day, lines, now)
            notes += stale_exports_note(sources["orders"], latest, now)
        return Cut(self.dataset, self.as_of, frames, after, notes)

    def population(self, config: Config, viewed: list[_Viewed]) -> Population:
        """The population step over every customer: the windows and the BG/NBD fit on every
        customer's first and last order and order days (the order days themselves stay with
        the parts)."""
        n = len(self.dataset.customer_ids)
        spans = _spans(n, self.codes, viewed)
        statistical, notes = fit_statistical_model(spans, self.as_of)
        window = Window(self.as_of, config.windows.recent_days, config.windows.baseline_days, n)
        horizon = config.risk.horizon_days
        return Population(window, horizon, config.lifecycle, spans, statistical, notes)

    def model(
        self, config: Config, rules: list[Rule], population: Population, viewed: list[_Viewed]
    ) -> Model:
        """The risk model, fitted on the training customers' rows gathered from the parts,
        with the counts over every customer."""
        chosen = np.flatnonzero(self.training) if self.training is not None else None
        ids = self.dataset.customer_ids if chosen is None else self.dataset.customer_ids[chosen]
        frames = {}
        for name, source in self.dataset.sources.items():
            frame = pd.concat(
                _numbered([part.training[name] for part in viewed]), ignore_index=True
            )
            global_codes = frame["customer"].to_numpy()
            local = global_codes if chosen is None else np.searchsorted(chosen, global_codes)
            order = np.argsort(local, kind="stable")
            frame = frame.assign(customer=local.astype(frame["customer"].to_numpy().dtype))
            frames[name] = replace(source, frame=frame.iloc[order].reset_index(drop=True))
        training = Dataset(self.dataset.folder, ids, frames, [])
        cut = cut_at(training, self.as_of, some_customers=True)
        fitted = fit_on_history(cut, config, rules, _Summed.of(viewed))
        return Model(fitted, fitted.model_for(population, rules), config.risk)


def _numbered(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The parts' payments with their invoices numbered apart: each part numbers the invoices
    it found in parts from 0 (a part without any leaves its rows unnumbered: each an
    invoice), and two parts' invoice 3 are two invoices."""
    if not any(INVOICE in frame for frame in frames):
        return frames
    numbered, offset = [], 0
    for frame in frames:
        groups = frame[INVOICE].to_numpy() if INVOICE in frame else np.arange(len(frame))
        ranks = np.unique(groups, return_inverse=True)[1].astype(np.int64).reshape(-1)
        numbered.append(frame.assign(**{INVOICE: ranks + offset}))
        offset += int(ranks.max()) + 1 if ranks.size else 0
    return numbered


@dataclass(frozen=True)
class _Summed:
    """The outcome counts of every part, summed: what the choice of training cut-offs asks."""

    first: int | None
    counts: dict[tuple[int, int], tuple[int, int]]

    @classmethod
    def of(cls, viewed: list[_Viewed]) -> _Summed:
        firsts = [part.first_day for part in viewed if part.first_day is not None]
        counts = {
            question: (
                sum(part.counts[question][0] for part in viewed),
                sum(part.counts[question][1] for part in viewed),
            )
            for question in viewed[0].counts
        }
        return cls(min(firsts, default=None), counts)

    def first_day(self) -> int | None:
        return self.first

    def counted(self, cut_off: int, horizon: int) -> tuple[int, int]:
        return self.counts[(cut_off, horizon)]


def _spans(n: int, codes: list[np.ndarray], viewed: list[_Viewed]) -> OrderDays:
    """Every customer's first and last order and distinct order days, by the export's code;
    the order days and gaps left empty (they stay with the parts)."""
    first = np.full(n, np.nan)
    last = np.full(n, np.nan)
    distinct = np.zeros(n)
    for part_codes, part in zip(codes, viewed, strict=True):
        first[part_codes], last[part_codes] = part.first, part.last
        distinct[part_codes] = part.distinct_days
    none = np.empty(0, dtype=np.int64)
    missing = np.full(n, np.nan)
    return OrderDays(none, none, first, last, distinct, none, none, none, missing, missing)


def _sources(
    split: ExportParts, loaded: list[_Loaded]
) -> tuple[dict[str, SourceFrame], list[Problem]]:
    """Each source of the export, counted over its parts, without rows; and what the loader
    would say of a source none of whose rows could be read (the export leaves it out, or
    cannot be scanned without orders)."""
    found: dict[str, SourceFrame] = {}
    said: list[Problem] = []
    for name, parts in split.sources.items():
        counted = [part.sources[name] for part in loaded if name in part.sources]
        if not counted:  # no part has a row: the export has a header and nothing else
            if name == "orders":
                raise EmptySourceError(parts.export, EmptySourceError.HEADER_ONLY)
            said.append(left_out(name, parts.export, EmptySourceError.HEADER_ONLY))
            continue
        tables = [c.table for c in counted]
        table = replace(
            tables[0],
            rows_read=sum(t.rows_read for t in tables),
            parsed_rows=sum(t.parsed_rows for t in tables),
            rows_skipped=sum(t.rows_skipped for t in tables),
            layout=None,
        )
        if sum(c.read for c in counted) == 0 and name != "orders":
            said.append(all_skipped(table))
            continue
        found[name] = SourceFrame(
            name,
            table,
            counted[0].frame,
            duplicates=sum(c.duplicates for c in counted),
            dropped=sum(c.dropped for c in counted),
            in_order=counted[0].in_order,
        )
    return found, said


def _orders_left(orders: SourceFrame, loaded: list[_Loaded], problems: list[Problem]) -> None:
    """The loader's errors when no order could be read, or none has a customer id."""
    counted = [part.sources["orders"] for part in loaded if "orders" in part.sources]
    if sum(c.read for c in counted) == 0:
        mine = [p for p in problems if p.source == "orders"]
        raise InputError(no_valid_rows(orders.path, mine))
    if sum(c.rows for c in counted) == 0:
        raise InputError(f"{orders.path}: no orders with a customer id left to score")


@dataclass(frozen=True)
class _Values:
    """The category columns of the export: what their raw values mean, decided on the values
    of every part (a part alone could read ``P2`` as high where the export holds ``P1``)."""

    columns: dict[tuple[str, str], Categories]
    """Per (source, column name): what is said about the column."""
    counts: dict[tuple[str, str], dict[str, int]]
    """Per column, the rows of each raw value over the whole export..."""

    @cached_property
    def wholes(self) -> dict[tuple[str, str], Understanding]:
        """...and what they mean, decided on all of them."""
        return {key: about.understood(self.counts[key]) for key, about in self.columns.items()}

    @classmethod
    def of(cls, split: ExportParts, loaded: list[_Loaded]) -> _Values:
        columns, counts = {}, {}
        for name, parts in split.sources.items():
            settings = parts.settings
            for column in SOURCES[name].columns:
                if column.kind is not Kind.CATEGORY or column.name not in settings.columns:
                    continue
                key = (name, column.name)
                header = settings.columns[column.name]
                configured = settings.values.get(column.name)
                columns[key] = Categories(name, parts.export.name, column, header, configured)
                total: Counter[str] = Counter()
                first: dict[str, int] = {}
                for part in loaded:
                    total.update(_raw_counts(part, key))
                    for value, line in _first_lines(part, key).items():
                        first[value] = min(line, first.get(value, line))
                # in the order of their first rows, as the export's reader meets them
                counts[key] = {v: total[v] for v in sorted(total, key=lambda v: first.get(v, 0))}
        return cls(columns, counts)

    def differing(self, loaded: list[_Loaded]) -> list[int]:
        """The parts (their places in ``loaded``) that read some value otherwise."""
        wholes = self.wholes
        return [
            place
            for place, part in enumerate(loaded)
            if any(
                about.understood(mine).meanings != {v: wholes[key].meanings[v] for v in mine}
                for key, about in self.columns.items()
                if (mine := _raw_counts(part, key))
            )
        ]

    def pinned(self) -> dict[str, dict[str, dict[str, list[str]]]]:
        """Per source and column, meaning → raw values: how every part is to read them."""
        found: dict[str, dict[str, dict[str, list[str]]]] = {}
        for (name, column), about in self.columns.items():
            understanding = self.wholes[(name, column)]
            found.setdefault(name, {})[column] = understanding.mapping(about.column.vocabulary)
        return found

    def said(self, problem: Problem) -> bool:
        """Whether ``problem`` is a part's note on category values (said for the whole)."""
        codes = (Reason.INFERRED_VALUE, Reason.UNKNOWN_VALUE)
        return problem.code in codes and any(
            problem.source == name and problem.column == about.header
            for (name, _), about in self.columns.items()
        )

    def notes(self, loaded: list[_Loaded]) -> list[Problem]:
        """The notes on the category values of the whole export."""
        found = []
        for key, about in self.columns.items():
            lines = sorted(
                line
                for part in loaded
                for problem in part.problems
                if self.said(problem)
                and problem.code is Reason.UNKNOWN_VALUE
                and problem.source == key[0]
                and problem.column == about.header
                for line in problem.lines
            )[:MAX_LINES]
            counts = self.counts[key]
            found += about.notes(self.wholes[key], counts, lines)
        return found


def _lookalikes(
    problems: list[Problem],
    orders: SourceFrame,
    text: pa.Array,
    codes: list[np.ndarray],
    loaded: list[_Loaded],
) -> list[Problem]:
    """What compares the ids of different customers, over all of them: ids spelt two ways
    (with and without leading zeros or separators, in upper and lower case: the parts hash
    them apart), among the ordering customers and between a source's customers without
    orders and them; and whether master data whose customers have no orders says so as a
    warning, which only the whole export can tell."""
    with_orders = np.zeros(len(text), dtype=bool)
    orphans: dict[str, list[np.ndarray]] = {}
    for part_codes, part in zip(codes, loaded, strict=True):
        with_orders[part_codes[part.with_orders]] = True
        for name, local in part.orphans.items():
            orphans.setdefault(name, []).append(part_codes[local])
    spellings = Spellings(text, with_orders)
    hints = {
        name: lookalike_hint(spellings, np.sort(np.concatenate(parts)))
        for name, parts in orphans.items()
    }
    rows = {name: sum(p.sources[name].rows for p in loaded if name in p.sources) for name in hints}
    found = [
        replace(
            problem,
            message=problem.message + hints[problem.source],
            wording=None if hints[problem.source] else problem.wording,
            level=orphans_level(
                problem.source, problem.count == rows[problem.source], hints[problem.source]
            ),
        )
        if problem.code is Reason.ORPHAN and problem.source in hints
        else problem
        for problem in problems
    ]
    return found + lookalike_twins(orders, spellings)


def _first_lines(part: _Loaded, key: tuple[str, str]) -> dict[str, int]:
    counted = part.sources.get(key[0])
    return counted.first_lines.get(key[1], {}) if counted is not None else {}


def _raw_counts(part: _Loaded, key: tuple[str, str]) -> dict[str, int]:
    counted = part.sources.get(key[0])
    return counted.table.categories.get(key[1], {}) if counted is not None else {}


def _reference_day(loaded: list[_Loaded], as_of: dt.date | None, now: int) -> int:
    """As :func:`~churnwatch.timeframe.reference_day` would give it for the whole export."""
    if as_of is not None:
        return date_to_day(as_of)
    latest = max(part.latest for part in loaded if part.latest is not None)
    if latest <= now:
        return latest
    past = [part.latest_past for part in loaded if part.latest_past is not None]
    return max(past) if past else now


def _master(viewed: list[_Viewed]) -> pd.DataFrame | None:
    frames = [part.master for part in viewed if part.master is not None]
    return pd.concat(frames).sort_index() if frames else None


__all__ = ["split_scan"]
