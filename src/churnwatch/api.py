"""The library's front door: the work of every command, for the CLI and for scripts.

Each function takes paths and plain options and returns a result object; nothing here prints
or exits. Errors are the typed errors of :mod:`churnwatch.core.errors`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from churnwatch.analyses.backtest import BacktestResult, backtest, cut_off_days
from churnwatch.analyses.calibration import Calibrated, calibrated
from churnwatch.analyses.changes import (
    Change,
    RunInfo,
    TimelinePoint,
    compare,
    comparison_doubts,
    on_warning_list,
    snapshot,
)
from churnwatch.analyses.engines import DaskEngine, Engine
from churnwatch.analyses.engines import engine as choose_engine
from churnwatch.analyses.loyal import loyal_core
from churnwatch.analyses.plan import Occasion, contact_plan
from churnwatch.analyses.profile import Profile, profile
from churnwatch.analyses.report import TREND_RUNS, Recorded, WeeklyReport, weekly_reports
from churnwatch.analyses.result import ScanResult, Selection, folded
from churnwatch.analyses.scan import scan
from churnwatch.analyses.split_scan import split_scan
from churnwatch.analyses.winback import WinBack, win_back
from churnwatch.config import CONFIG_NAME, Config, CustomerIds, find_config, load_config
from churnwatch.core.days import days_to_iso, today
from churnwatch.core.domain import Phase, Severity
from churnwatch.core.errors import ChurnwatchError, ConfigError, DeliveryError, UsageError
from churnwatch.core.memory import return_freed_memory
from churnwatch.core.sources import SOURCES
from churnwatch.core.suggest import did_you_mean
from churnwatch.core.words import plural
from churnwatch.deliver import history
from churnwatch.deliver.atomic import Data, refuse_inputs, write_all_atomically, write_atomically
from churnwatch.deliver.history import Recording, fingerprint_files, fingerprint_text
from churnwatch.features import FEATURES, FeatureSpec
from churnwatch.ingest.dataset import Dataset, load_dataset, source_path
from churnwatch.ingest.load_summary import SourceSummary, blocking_issues, summarise
from churnwatch.ingest.parquet_folder import files_of
from churnwatch.ingest.problems import Level, Problem, Reason
from churnwatch.ingest.proposal import Proposal, config_text, propose, refuse_overwrite
from churnwatch.render.csv_rows import BOM
from churnwatch.render.formats import TABLE_ROWS, Renderer
from churnwatch.render.language import Language, language
from churnwatch.render.plan_view import owner_files
from churnwatch.render.report_formats import REPORT_FORMATS
from churnwatch.render.report_view import ReportView, report_view
from churnwatch.rules.catalog import Rule, active_rules
from churnwatch.timeframe import Cut, cut_at, future_orders, reference_day, stale_exports

if TYPE_CHECKING:  # the mail commands import the e-mail delivery (smtplib, ssl), a scan does not
    from email.message import EmailMessage

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Opened:
    """An exports folder with its configuration, loaded once (the full history)."""

    config: Config
    config_path: Path | None
    dataset: Dataset

    def cut(self, as_of: dt.date | None = None) -> Cut:
        """The data as known at ``as_of`` (default: the latest order not after today)."""
        return cut_at(self.dataset, reference_day(self.dataset, as_of))


def cut_of(dataset: Dataset, as_of: dt.date | None) -> Cut:
    """The dataset cut at ``as_of``, or at its latest order not after today; then stale
    exports are warned about, in every command that looks at the present."""
    cut = cut_at(dataset, reference_day(dataset, as_of))
    if as_of is None:
        if future := future_orders(cut):  # said as a warning, not as rows after a date
            cut.notes[:] = [
                note
                for note in cut.notes
                if not (note.source == "orders" and note.code is Reason.AFTER_AS_OF)
            ]
        cut.notes.extend([*future, *stale_exports(cut)])
    return cut


def configuration(exports: Path, config: Path | None = None) -> tuple[Config, Path | None]:
    """The settings for a folder (``--config``, else its churnwatch.toml) and where they are."""
    path = find_config(exports, config)
    return load_config(path), path


def open_exports(exports: Path, config: Path | None = None) -> Opened:
    """Find and read the configuration, then load every export in the folder."""
    settings, path = configuration(exports, config)
    return Opened(settings, path, load_dataset(exports, settings, outside=config is not None))


def rules_for(config: Config, config_path: Path | None) -> list[Rule]:
    """The active rules: defaults merged with the config's ``[[rules]]``."""
    return active_rules(config.rules, str(config_path) if config_path else CONFIG_NAME)


@dataclass(frozen=True)
class ScanRun:
    """What ``churnwatch scan`` computed, before any output."""

    cut: Cut
    result: ScanResult
    config: Config
    """The settings the scan ran with (so that what builds on it reads the file only once)."""
    config_path: Path | None = None
    """Where the settings came from (relative paths in them start from its folder)."""
    trusted_config: bool = False
    """The settings were given with ``--config``: their paths may point outside the folder."""

    @cached_property
    def snapshot(self) -> pd.DataFrame:
        """What the run history remembers of each customer (computed once per run)."""
        return snapshot(self.result)

    def unusable(self) -> list[str]:
        """Sources that lost most of their rows: the data should not be trusted as loaded."""
        return blocking_issues(self.cut.dataset)

    def data_problems(self) -> list[Problem]:
        """Everything ``validate`` would report about the data, and the cut's notes (rows
        after the reference date, a stale reference date, credit notes only), warnings first."""
        return sorted(self.cut.problems, key=lambda p: p.level is not Level.WARNING)

    def model_notes(self) -> list[str]:
        """How the risk was modelled (the table shows these in its summary); the data
        warnings the result's notes also carry are printed once, as warnings."""
        shown = {p.describe() for p in self.cut.problems} | set(self.result.missing)
        return [note for note in self.result.notes if note not in shown]

    def missing_signals(self) -> list[str]:
        """Features left empty for every customer, and why: warnings, whatever the output."""
        return list(self.result.missing)

    def strict_failures(self) -> int:
        """How many problems ``--strict`` refuses: every warning ``validate`` gives."""
        return len(self.data_warnings()) + len(self.unusable())

    def data_warnings(self) -> list[Problem]:
        """The data problems that are warnings, not notes: what ``--strict`` refuses."""
        return [p for p in self.cut.problems if p.level is Level.WARNING]

    def shown(
        self,
        renderer: Renderer[Selection],
        top: int | None = None,
        min_risk: float | None = None,
        phases: Collection[str] | None = None,
        *,
        owners: Collection[str] = (),
        segments: Collection[str] = (),
        severities: Collection[str] = (),
    ) -> Selection:
        """The customers an output shows. The table shows the top 25 of the customers not
        lost unless told otherwise; machine formats show everyone. An owner or segment that
        no customer has is an error with the nearest one."""
        _check_filters(self.result, owners, segments)
        if renderer.for_people:
            top = top or TABLE_ROWS
            phases = phases or [p.value for p in Phase if p is not Phase.LOST]
        return self.result.select(
            top,
            min_risk,
            phases or None,
            owners=owners,
            segments=segments,
            severities=[Severity.parse(s) for s in severities],
        )


@dataclass(frozen=True)
class Previous:
    """The recorded run before this one, and what changed since."""

    info: RunInfo
    changes: pd.DataFrame
    """This run's snapshot with ``change``, ``previous_risk`` and ``previous_severity``."""
    doubts: list[str] = field(default_factory=list)
    """Why the comparison may mislead (other settings, hardly the same customers)."""


def history_file(run: ScanRun, history: Path | None) -> Path | None:
    """``--history``, else ``[history] path`` (relative to the config file's folder)."""
    if history is not None or run.config.history.path is None:
        return history
    return _beside(run.config_path, run.config.history.path, trusted=run.trusted_config)


def configured_history(exports: Path | None, config: Path | None) -> Path | None:
    """``[history] path`` of a folder's config (or of ``--config``), when set."""
    if exports is None and config is None:
        return None
    settings, path = configuration(exports or Path("."), config)
    if settings.history.path is None:
        return None
    return _beside(path, settings.history.path, trusted=config is not None)


def _beside(config_path: Path | None, relative: str, *, trusted: bool) -> Path:
    """A path from the config, relative to the config file's folder. A config found in the
    exports folder (which others may write) names only files inside that folder."""
    folder = config_path.parent if config_path else Path(".")
    target = folder / relative
    if not trusted and not target.resolve().is_relative_to(folder.resolve()):
        raise ConfigError(
            f"{config_path}: history.path: {relative} lies outside the exports folder {folder};"
            " a config found in the exports folder may only name files inside it",
            hint="pass --history FILE, or the config with --config",
        )
    return target


def prepare_history(path: Path, run: ScanRun) -> None:
    """Make sure the run history can be written before any output is (an error then leaves
    nothing half done): its folder is created, the file opened and migrated; never over or
    into what the run reads."""
    refuse_inputs(path, [*_exports_read(run), *_config_read(run)])
    history.prepare(path)


def _exports_read(run: ScanRun) -> list[Path]:
    """Every source's export the run read (a folder's parts too)."""
    return [file for source in run.cut.sources.values() for file in files_of(source.path)]


def _config_read(run: ScanRun) -> list[Path]:
    return [run.config_path] if run.config_path else []


def settings_fingerprint(config: Config) -> str:
    """What identifies the settings a risk was computed with: everything but the report's,
    the e-mail's and the history's own (changing the mail server changes no risk). A source
    setting added in a later version is left out while unset, so that the runs recorded
    before it still compare as run with the same settings."""
    settings = config.model_dump(mode="json", exclude={"report", "email", "history"})
    for source in settings.get("sources", {}).values():
        for key in LATER_SOURCE_SETTINGS:
            if source.get(key) is None:
                source.pop(key, None)
    for table, defaults in LATER_TABLES.items():
        if settings.get(table) == defaults.model_dump(mode="json"):
            settings.pop(table)  # as the runs recorded before the table was there
    return fingerprint_text(json.dumps(settings, separators=(",", ":"), ensure_ascii=False))


LATER_SOURCE_SETTINGS = ("cents",)
"""Source settings newer than recorded histories (see :func:`settings_fingerprint`)."""
LATER_TABLES = {"customer_ids": CustomerIds()}
"""Tables of settings newer than recorded histories, and their defaults."""


def record_run(run: ScanRun, path: Path) -> int:
    """Store the run in the history (replacing a run with the same reference date)."""
    from churnwatch import __version__

    reads = _exports_read(run)
    refuse_inputs(path, [*reads, *_config_read(run)])
    recording = Recording(
        run.cut.as_of,
        __version__,
        settings_fingerprint(run.config),
        fingerprint_files(reads),
        run.result.model.horizon_days,
    )
    return history.record(path, recording, run.snapshot)


def previous_run(run: ScanRun, path: Path) -> Previous | None:
    """The latest recorded run before this run's reference date with the same horizon,
    compared with it; None when there is none (the first run, or a history not made yet).
    Its ``doubts`` say when the comparison may mislead."""
    horizon = run.result.model.horizon_days
    earlier = [info for info in history.runs(path) if info.as_of < run.cut.as_of]
    same = [info for info in earlier if info.horizon_days == horizon]
    if not same:
        return None
    info = same[-1]
    before = history.load_snapshot(path, info.run_id)
    warn_at = Severity.parse(run.config.report.warn_at)
    current = run.snapshot
    doubts = comparison_doubts(info, before, current, settings_fingerprint(run.config))
    if len(same) < len(earlier) and earlier[-1] is not info:
        doubts.append(
            f"runs after {days_to_iso(info.as_of)} used another horizon than"
            f" {plural(horizon, 'day')} and were passed over"
        )
    return Previous(info, compare(current, before, warn_at), doubts)


def with_changes(run: ScanRun, previous: Previous | None) -> ScanRun:
    """The run with each customer's change since the previous run as columns (``change``,
    ``previous_risk``), which the outputs show; everyone is new without a previous run."""
    frame = run.result.customers
    if previous is None:
        change = np.where(
            on_warning_list(frame, Severity.parse(run.config.report.warn_at)),
            Change.NEW.value,
            Change.NONE.value,
        )
        columns = {"change": change, "previous_risk": np.full(len(frame), np.nan)}
    else:
        changes = previous.changes
        columns = {
            "change": changes["change"].to_numpy(),
            "previous_risk": changes["previous_risk"].to_numpy(),
        }
    return replace(run, result=run.result.with_columns(columns))


def customer_timeline(path: Path, customer_id: str) -> list[TimelinePoint]:
    """One customer's risk in every recorded run; an error naming the nearest known id."""
    points = history.timeline(path, customer_id)
    if not points:
        known = history.known_customers(path)
        raise UsageError(
            f"{customer_id!r}: no such customer in the history {path}"
            f"{did_you_mean(customer_id, known)}"
        )
    return points


def recorded_runs(path: Path) -> list[RunInfo]:
    """Every run the history holds, oldest first."""
    if not path.exists():
        raise UsageError(f"{path}: no run history here yet (a scan with --history makes one)")
    return history.runs(path)


def narrowed(
    result: ScanResult, owners: Collection[str] = (), segments: Collection[str] = ()
) -> ScanResult:
    """The result with only the customers of these owners and segments (when given); an
    owner or segment no customer has is an error naming the nearest one."""
    _check_filters(result, owners, segments)
    if not owners and not segments:
        return result
    return result.select(owners=owners, segments=segments).matched


def _check_filters(result: ScanResult, owners: Collection[str], segments: Collection[str]) -> None:
    for column, wanted in (("owner", owners), ("segment", segments)):
        _check_known(result, column, wanted)


def _check_known(result: ScanResult, column: str, wanted: Collection[str]) -> None:
    known = result.known(column)
    names = {folded(k) for k in known}
    for value in wanted:
        if folded(value) not in names:
            where = (
                f"; known: {', '.join(known[:8])}{', …' if len(known) > 8 else ''}"
                if known
                else f" (the exports have no {column} column)"
            )
            raise UsageError(
                f"--{column} {value!r}: no customer has this {column}"
                f"{did_you_mean(value, known)}{where}"
            )


def scan_exports(
    exports: Path,
    config: Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    *,
    horizon: int | None = None,
    engine: Engine | None = None,
) -> ScanRun:
    """Load, check the rules, cut at the reference date and scan (on ``engine``, by default
    in this process)."""
    step = progress or (lambda _: None)
    settings, rules, path = _settings_and_rules(exports, config, horizon)
    if isinstance(engine, DaskEngine) and engine.split:
        warm_up_statistics()
        outside = config is not None
        cut, result = split_scan(
            exports, settings, rules, as_of, engine=engine, progress=step, outside=outside
        )
        return ScanRun(cut, result, settings, path, outside)
    step("loading exports")
    warm_up_statistics()
    dataset = load_dataset(exports, settings, outside=config is not None)
    cut = cut_of(dataset, as_of)
    result = scan(cut, settings, rules, step, engine)
    return_freed_memory()  # the features' and the fit's arrays, before the output's are made
    return ScanRun(cut, result, settings, path, config is not None)


def engine(
    name: str | None,
    scheduler: str | None = None,
    partitions: int | None = None,
    workers: int | None = None,
) -> Engine:
    """The engine the options ask for (see :func:`churnwatch.analyses.engines.engine`: it is
    checked before any data is read)."""
    return choose_engine(name, scheduler, partitions, workers)


def warm_up_statistics() -> None:
    """Import scipy (0.6 s) in the background while the exports are read: the reader spends
    that time in pyarrow's threads, and the model fits need scipy only afterwards."""

    def load() -> None:
        import scipy.optimize
        import scipy.special  # noqa: F401

    threading.Thread(target=load, name="warm-up", daemon=True).start()


def _settings_and_rules(
    exports: Path, config: Path | None, horizon: int | None
) -> tuple[Config, list[Rule], Path | None]:
    """The settings (with ``--horizon``), the active rules and where the settings are,
    checked before any data is read: a bad rule fails at once, not after reading gigabytes."""
    settings, path = configuration(exports, config)
    settings = with_horizon(settings, horizon)
    return settings, rules_for(settings, path), path


def with_horizon(config: Config, horizon: int | None) -> Config:
    """The configuration with ``--horizon`` in place of ``[risk] horizon_days``."""
    if horizon is None:
        return config
    return config.model_copy(
        update={"risk": config.risk.model_copy(update={"horizon_days": horizon})}
    )


def output_language(config: Config, lang: str | None = None) -> Language:
    """``--lang``, else ``[report] lang``; amounts in ``[report] currency``."""
    return language(lang or config.report.lang, config.report.currency)


def render(renderer: Renderer[Any], document: Any, *, to_file: bool = False) -> bytes:
    """The output's bytes; a format for Excel starts with a BOM (on stdout too, since it is
    usually redirected into a file)."""
    return b"".join(render_parts(renderer, document))


def render_parts(renderer: Renderer[Any], document: Any) -> Iterator[bytes]:
    """The output in parts, produced as they are written: a format that can stream (JSON,
    NDJSON) never holds a million customers' text in memory at once."""
    if renderer.bom:
        yield BOM
    chunks = getattr(renderer, "chunks", None)
    if chunks is None:
        yield renderer.render(document)
    else:
        yield from chunks(document)


def write_output(target: Path, data: Data, *, reads: Collection[Path] = ()) -> None:
    """Write a report atomically: a failed run never leaves a half-written file, and never
    replaces a file the run read (``-o EXPORTS/orders.csv`` would destroy the input)."""
    refuse_inputs(target, reads)
    write_atomically(target, data)


def write_outputs(outputs: Sequence[tuple[Path, Data]], *, reads: Collection[Path] = ()) -> None:
    """Write several reports as one (one per owner): all of them, or, where one cannot be
    written, none (:func:`write_output` each)."""
    for target, _ in outputs:
        refuse_inputs(target, reads)
    write_all_atomically(outputs)


def files_read(exports: Path, config: Path | None = None) -> list[Path]:
    """The files a run over ``exports`` reads: the config and every source's export."""
    try:
        settings, path = configuration(exports, config)
    except ChurnwatchError:
        return [config] if config else []
    found = [path] if path else []
    for name, source in SOURCES.items():
        try:
            where = source_path(exports, source, settings.sources.get(name), outside=True)
        except ChurnwatchError:
            continue
        found += files_of(where) if where else []
    return found


@dataclass(frozen=True)
class Validation:
    """What ``churnwatch validate`` found."""

    cut: Cut
    summaries: list[SourceSummary]
    blocking: list[str]
    """Reasons the data is not usable as loaded; empty when it is."""

    @property
    def problems(self) -> list[Problem]:
        return self.cut.problems


def validate_exports(
    exports: Path, config: Path | None = None, as_of: dt.date | None = None
) -> Validation:
    cut = cut_of(open_exports(exports, config).dataset, as_of)
    summaries = summarise(cut.dataset)
    return Validation(cut, summaries, blocking_issues(cut.dataset))


def propose_config(exports: Path, *, force: bool = False) -> Proposal:
    """Inspect the exports and propose a configuration (refusing early to overwrite one)."""
    refuse_overwrite(exports / CONFIG_NAME, force)
    return propose(exports)


def write_config(proposal: Proposal, *, force: bool = False) -> Path:
    """Write the proposal as ``EXPORTS/churnwatch.toml``; an existing one only with ``force``."""
    target = proposal.folder / CONFIG_NAME
    refuse_overwrite(target, force)
    write_atomically(target, config_text(proposal).encode("utf-8"))
    return target


def list_rules(
    exports: Path | None = None, config: Path | None = None, check: Path | None = None
) -> list[Rule]:
    """The active rules of a folder or config file; ``check`` validates that file alone."""
    return rules_listing(exports, config, check)[0]


def rules_listing(
    exports: Path | None = None,
    config: Path | None = None,
    check: Path | None = None,
    lang: str | None = None,
) -> tuple[list[Rule], Language]:
    """The active rules, and the language to list them in (``--lang``, else the config's
    ``[report] lang``)."""
    explicit = check or config
    path = find_config(exports or Path("."), explicit) if explicit or exports else None
    settings = load_config(path)
    return rules_for(settings, path), output_language(settings, lang)


def list_features() -> list[FeatureSpec]:
    return list(FEATURES.values())


def output_schema() -> dict[str, Any]:
    """The JSON Schema of ``scan --format json``."""
    from churnwatch.render.output_schema import scan_schema

    return scan_schema()


def backtest_exports(
    exports: Path,
    config: Path | None = None,
    *,
    dates: list[dt.date] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    every: int | None = None,
    horizon: int | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Score at past cut-offs with the data up to each, and compare with what happened."""
    step = progress or (lambda _: None)
    settings, rules, _ = _settings_and_rules(exports, config, horizon)
    step("loading exports")
    dataset = load_dataset(exports, settings, outside=config is not None)
    days = cut_off_days(
        dataset, settings.risk.horizon_days, dates or [], start=start, end=end, every=every
    )
    step(f"backtesting {len(days)} cut-off{'s' if len(days) != 1 else ''}")
    return backtest(dataset, settings, rules, days)


def explain_customer(
    exports: Path,
    customer_id: str,
    config: Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    *,
    horizon: int | None = None,
) -> tuple[ScanRun, Profile]:
    """Everything about one customer: the scan's row for them and their monthly timeline
    (and the run, whose data problems the customer's numbers rest on too)."""
    run = scan_exports(exports, config, as_of, progress, horizon=horizon)
    windows, lost_after = run.config.windows, run.config.lifecycle.lost_after_days
    return run, profile(
        run.result,
        customer_id,
        windows.recent_days,
        windows.baseline_days,
        lost_after,
        today=_calendar_start(as_of),
    )


def _calendar_start(as_of: dt.date | None) -> int | None:
    """The day a contact calendar starts: today, unless the run looks at a past date on
    purpose (``--as-of``; then its reference date). The plan, the report and ``explain``
    agree."""
    return today() if as_of is None else None


def loyal_exports(
    exports: Path,
    config: Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    *,
    horizon: int | None = None,
    top: int | None = None,
    owners: Collection[str] = (),
    segments: Collection[str] = (),
    engine: Engine | None = None,
) -> tuple[ScanRun, Selection]:
    """The loyal core of a folder (see ``[loyal]``), most valuable first."""
    run = scan_exports(exports, config, as_of, progress, horizon=horizon, engine=engine)
    _check_filters(run.result, owners, segments)
    # The core is a property of the whole business; the filters narrow the list.
    return run, loyal_core(run.result, run.config.loyal).narrowed(owners, segments, top)


def winback_exports(
    exports: Path,
    config: Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    *,
    horizon: int | None = None,
    top: int | None = None,
    min_value: float = 0,
    owners: Collection[str] = (),
    segments: Collection[str] = (),
    engine: Engine | None = None,
) -> tuple[ScanRun, WinBack]:
    """The lost customers of a folder, ranked by what winning them back is worth (their
    reasons read the export's rows: see :func:`_reading_rows`)."""
    engine = _reading_rows(engine)
    run = scan_exports(exports, config, as_of, progress, horizon=horizon, engine=engine)
    result = narrowed(run.result, owners, segments)
    lost_after = run.config.lifecycle.lost_after_days
    lost_in_all = run.result.by_phase()[Phase.LOST]
    found = win_back(result, lost_after, top=top, min_value=min_value, lost_in_all=lost_in_all)
    return run, found


def _reading_rows(engine: Engine | None) -> Engine | None:
    """The engine for a command that reads the export's rows after the scan (win-back's
    reasons, the report's): on Dask, the command loads the export, where a local cluster
    would have split it into parts and kept none of its rows here."""
    return replace(engine, split=False) if isinstance(engine, DaskEngine) else engine


def plan_exports(
    exports: Path,
    config: Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    *,
    days: int = 14,
    owners: Collection[str] = (),
    segments: Collection[str] = (),
    engine: Engine | None = None,
) -> tuple[ScanRun, list[Occasion]]:
    """The contact occasions due in the next ``days`` days, per account manager."""
    run = scan_exports(exports, config, as_of, progress, engine=engine)
    result = narrowed(run.result, owners, segments)
    start = _calendar_start(as_of)
    return run, contact_plan(result, days, run.config.lifecycle.lost_after_days, start)


@dataclass(frozen=True)
class ReportRun:
    """What ``churnwatch report`` computed: the scan and one report per recipient."""

    run: ScanRun
    reports: list[WeeklyReport]
    history: Path | None
    """The run history the reports compared with (and the run is recorded in)."""
    unassigned: int = 0
    """With ``--split-by owner``: customers without an owner, in no owner's report."""
    doubts: list[str] = field(default_factory=list)
    """Why the comparison with the previous run may mislead (also in the reports' notes)."""
    split: bool = False
    """One report per owner (``--split-by owner``)."""
    exports: Path = Path(".")
    record: bool = True
    """Whether the run is to be recorded in the history (not with ``--no-history``)."""


def report_exports(
    exports: Path,
    config: Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    *,
    history: Path | None = None,
    owner: str | None = None,
    split_by_owner: bool = False,
    record: bool = True,
    engine: Engine | None = None,
) -> ReportRun:
    """The weekly report of a folder: for the whole business, one account manager
    (``owner``), or each of them (``split_by_owner``), compared with the run history. The
    report reads the export's rows (win-back, the plan): on Dask, the command loads it."""
    run = scan_exports(exports, config, as_of, progress, engine=_reading_rows(engine))
    _check_filters(run.result, [owner] if owner else (), ())
    path = history_file(run, history)
    if path is not None and record:
        prepare_history(path, run)
    elif path is not None and not path.exists():
        path = None
    earlier = _earlier_runs(path, run) if path is not None else []
    owners: list[str | None] = [owner] if owner else [None]
    unassigned = 0
    if split_by_owner:
        owners, unassigned = _owners(run.result)
    doubts = (
        comparison_doubts(
            earlier[-1].info,
            earlier[-1].snapshot,
            run.snapshot,
            settings_fingerprint(run.config),
        )
        if earlier
        else []
    )
    notes = [*run.unusable(), *(p.describe() for p in run.data_problems()), *doubts]
    reports = weekly_reports(
        run.result,
        run.snapshot,
        run.config,
        earlier,
        notes,
        owners=owners,
        today=_calendar_start(as_of),
        recording=path is not None and record,
    )
    return ReportRun(run, reports, path, unassigned, doubts, split_by_owner, exports, record)


def _owners(result: ScanResult) -> tuple[list[str | None], int]:
    """Every account manager once (the first spelling of each), and how many customers have
    none; an error when the exports name no owners."""
    if "owner" not in result.customers:
        raise UsageError(
            "--split-by owner: the exports have no owner column",
            hint="add an owner (account manager) column to the customers export",
        )
    first = _owner_values(result, "owner").drop_duplicates("owner")
    names = sorted((str(value).strip() for value in first["value"]), key=str.lower)
    if not names:  # nothing would be written or sent, and the run recorded all the same
        raise UsageError(
            "--split-by owner: no customer has an owner (the owner column is empty)",
            hint="fill the owner (account manager) column of the customers export",
        )
    owners: list[str | None] = [*names]
    return owners, int((result.texts("owner") == "").sum())


def _owner_values(result: ScanResult, column: str) -> pd.DataFrame:
    """The distinct pairs of an owner (folded for matching) and a value of ``column`` among
    the customers with an owner, in rank order: a few rows per owner, found without a loop
    over the customers."""
    pairs = pd.DataFrame(
        {
            "owner": result.texts("owner"),
            "value": result.customers[column].astype(object).to_numpy(),
        }
    )
    return pairs[pairs["owner"] != ""].drop_duplicates()


def _earlier_runs(path: Path, run: ScanRun) -> list[Recorded]:
    """The recorded runs before this one with the same horizon (a risk over another horizon
    is another measure), the ones the report looks back on, with their snapshots."""
    horizon = run.result.model.horizon_days
    earlier = [
        info
        for info in history.runs(path)
        if info.as_of < run.cut.as_of and info.horizon_days == horizon
    ][-(TREND_RUNS - 1) :]
    return [Recorded(info, history.load_snapshot(path, info.run_id)) for info in earlier]


@dataclass(frozen=True)
class ReportDocument:
    """One report rendered: for the whole business (owner None) or one account manager."""

    owner: str | None
    view: ReportView
    data: bytes


def report_views(report_run: ReportRun, lang: Language) -> list[ReportView]:
    """Every report of the run in words, in ``lang``: what the files and the mails show."""
    return [report_view(report, lang) for report in report_run.reports]


def render_reports(views: list[ReportView], fmt: str) -> list[ReportDocument]:
    """The reports in ``fmt`` (html, md, txt, xlsx)."""
    renderer = REPORT_FORMATS[fmt]
    return [ReportDocument(view.owner, view, renderer.render(view)) for view in views]


def report_targets(output: Path, owners: list[str | None], *, split: bool) -> list[Path]:
    """Where each report goes: ``output`` itself, or with ``--split-by owner`` one file per
    owner beside it, named after the owner (``weekly-anna-schmidt.html``)."""
    if not split:
        return [output] * len(owners)
    names = owner_files(owners, f"{output.stem}-", output.suffix)
    return [output.with_name(names[owner]) for owner in owners]


def check_mail_settings(
    exports: Path, config: Path | None, sender: str | None, *, dry_run: bool
) -> None:
    """Before any work: a sender, and (unless only writing the messages) a mail server and
    its login (a user without a password was said at sending, once per message, after the
    reports were written)."""
    from churnwatch.deliver.mail import (
        check_credentials,
        default_sender,
        smtp_password,
        smtp_settings,
    )

    settings, _ = configuration(exports, config)
    if sender is None and default_sender(settings.email, os.environ) is None:
        raise UsageError(
            "no sender address for the e-mail",
            hint="pass --email-from ADDR, or set [email] from or CHURNWATCH_SMTP_FROM",
        )
    if not dry_run:
        check_credentials(smtp_settings(settings.email, os.environ), smtp_password(os.environ))


def email_addresses(text: str) -> list[str]:
    """``--email-to``: comma-separated addresses, each checked."""
    from churnwatch.deliver.mail import parse_addresses

    return parse_addresses(text)


@dataclass(frozen=True)
class Mail:
    """A report as a message, and to whom."""

    owner: str | None
    recipients: list[str]
    message: EmailMessage


def report_mails(
    report_run: ReportRun,
    views: list[ReportView],
    *,
    to: list[str],
    to_owners: bool,
    sender: str | None,
    attach_xlsx: bool,
) -> tuple[list[Mail], list[str]]:
    """One message per report (text and HTML, the xlsx attached when asked); with
    ``to_owners`` each owner's report goes to the owner's address (``owner_email`` in the
    customers export) and ``to`` gets a copy. Also: per owner without a usable address,
    ``Owner: why``."""
    from churnwatch.deliver.mail import Attachment, compose, default_sender

    sender = sender or default_sender(report_run.run.config.email, os.environ)
    if sender is None:
        raise UsageError(
            "no sender address for the e-mail",
            hint="pass --email-from ADDR, or set [email] from or CHURNWATCH_SMTP_FROM",
        )
    addresses, unusable = _owner_addresses(report_run.run.result) if to_owners else ({}, {})
    mails, missing = [], []
    for view in views:
        owner = folded(view.owner or "")
        own = addresses.get(owner)
        if to_owners and own is None:
            why = unusable.get(owner, "no owner_email in the customers export")
            missing.append(f"{view.owner or '(no owner)'}: {why}")
            continue
        recipients, copies = ([own], to) if own is not None else (to, [])
        workbook = REPORT_FORMATS["xlsx"]
        attachments = (
            [Attachment(_attachment_name(view), workbook.render(view), workbook.mime_type)]
            if attach_xlsx
            else []
        )
        message = compose(
            subject=view.subject,
            sender=sender,
            recipients=recipients,
            text=REPORT_FORMATS["txt"].render(view).decode("utf-8"),
            html=REPORT_FORMATS["html"].render(view).decode("utf-8"),
            attachments=attachments,
            cc=copies,
        )
        mails.append(Mail(view.owner, [*recipients, *copies], message))
    return mails, missing


def _attachment_name(view: ReportView) -> str:
    """``churnwatch-2026-09-30.xlsx``, with the owner's name when the report is theirs."""
    stem, owner = f"churnwatch-{view.as_of.isoformat()}", view.owner
    return owner_files([owner], f"{stem}-", ".xlsx")[owner] if owner else f"{stem}.xlsx"


def _owner_addresses(result: ScanResult) -> tuple[dict[str, str], dict[str, str]]:
    """Each owner's address (the first usable one given), by owner folded for matching; and
    for an owner with none usable, why the one given is not."""
    from churnwatch.deliver.mail import parse_addresses

    if "owner_email" not in result.customers:
        raise UsageError(
            "--email-owners: the customers export has no owner_email column",
            hint="add the account managers' addresses to the customers export"
            " (e.g. a column 'Owner Email' or 'Betreuer E-Mail')",
        )
    found: dict[str, str] = {}
    unusable: dict[str, str] = {}
    for owner, email in _owner_values(result, "owner_email").itertuples(index=False):
        if owner not in found and isinstance(email, str) and email.strip():
            try:
                found[owner] = parse_addresses(email, "owner_email")[0]
            except UsageError as error:
                unusable.setdefault(owner, f"{error.message} (in the customers export)")
    return found, {owner: why for owner, why in unusable.items() if owner not in found}


@dataclass(frozen=True)
class Sent:
    mail: Mail
    error: str | None
    """Why it was not delivered; None when it was."""


def send_mails(mails: list[Mail], config: Config) -> list[Sent]:
    """Send each message; a failure is noted and the others are still sent."""
    from churnwatch.deliver.mail import send, smtp_password, smtp_settings

    settings = smtp_settings(config.email, os.environ)
    password = smtp_password(os.environ)
    outcomes: list[Sent] = []
    for mail in mails:
        try:
            send(mail.message, settings, password)
        except DeliveryError as exc:
            outcomes.append(Sent(mail, str(exc)))  # with its hint: what to fix
            if exc.whole_server:  # a hung server would cost its timeout per message
                rest = mails[len(outcomes) :]
                outcomes += [Sent(later, f"not tried: {exc.message}") for later in rest]
                break
        except ChurnwatchError as exc:
            outcomes.append(Sent(mail, str(exc)))
        else:
            outcomes.append(Sent(mail, None))
    return outcomes


def message_bytes(mail: Mail) -> bytes:
    """The message as an .eml file (what ``--dry-run`` writes instead of sending)."""
    return mail.message.as_bytes()  # in the message's own policy, as it is sent


def calibrate_exports(
    exports: Path,
    config: Path | None = None,
    as_of: dt.date | None = None,
    horizon: int | None = None,
) -> Calibrated:
    """Fit the weights as ``scan`` does; an error when the history is too short to fit them."""
    _, rules, _ = _settings_and_rules(exports, config, horizon)
    run = scan_exports(exports, config, as_of, horizon=horizon)
    return calibrated(exports, run.result, rules)


__all__ = [
    "Problem",
    "ScanRun",
    "Selection",
    "backtest_exports",
    "calibrate_exports",
    "explain_customer",
    "files_read",
    "list_features",
    "list_rules",
    "loyal_exports",
    "output_schema",
    "plan_exports",
    "propose_config",
    "render",
    "scan_exports",
    "validate_exports",
    "winback_exports",
    "write_config",
    "write_output",
]
