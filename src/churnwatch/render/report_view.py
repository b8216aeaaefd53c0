"""The weekly report as sections of typed cells, in one language: what every report format
(HTML, Markdown, plain text, xlsx) lays out, so all of them carry the same content.

A cell keeps its value (for xlsx) and its text (for the others); a chart is a list of bars
whose length is a share of the longest, drawn by each format in its own way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from churnwatch.core.days import day_to_date, iso_to_days
from churnwatch.core.domain import Phase
from churnwatch.core.words import printable
from churnwatch.render.language import Language

if TYPE_CHECKING:
    from churnwatch.analyses.changes import Outcome
    from churnwatch.analyses.plan import Occasion
    from churnwatch.analyses.report import Headline, WeeklyReport
    from churnwatch.analyses.result import ScanResult

SIGNALS_SHOWN = 2


@dataclass(frozen=True)
class Cell:
    value: Any
    """What a spreadsheet stores: a number, a date, text, or None."""
    text: str
    """What people read."""
    tone: str = ""
    """A hint for colour: a severity label, or ``good`` / ``bad``."""
    kind: str = ""
    """What the value is, for a spreadsheet's number format and for layout: ``percent``,
    ``money``, ``date``, ``count``, ``number``; empty for text."""


@dataclass(frozen=True)
class Bar:
    label: str
    share: float
    """The bar's length as a share of the longest (0–1)."""
    text: str
    tone: str = ""


@dataclass(frozen=True)
class Figure:
    label: str
    value: Cell
    change: str
    """``+3 since 23.11.2026``, or empty without a previous run."""
    tone: str = ""
    """``bad`` when the change is for the worse, ``good`` when for the better."""


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = ""
    """What to say when there are no rows."""
    bars: list[Bar] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    """Free sentences (the data-quality notes)."""
    wide: tuple[int, ...] = ()
    """Columns holding sentences (the reasons), which formats give the most room."""
    plain: int = 3
    """Leading columns that speak for themselves (who the customer is); plain text names the
    others' values (``risk 82%``)."""
    unnamed: tuple[int, ...] = ()
    """Further columns whose values say what they are (``escalated from 55%``)."""


@dataclass
class ReportView:
    lang: str
    title: str
    subtitle: str
    figures: list[Figure]
    sections: list[Section]
    footer: str
    subject: str
    """The e-mail subject."""
    figure_header: str = ""
    value_header: str = ""
    overview: str = "Overview"
    """The spreadsheet's first sheet: the headline figures."""
    as_of: Any = None
    """The reference date (a ``datetime.date``), for file names."""
    owner: str | None = None
    """The account manager the report is for; None for the whole business."""


def report_view(report: WeeklyReport, lang: Language) -> ReportView:
    """The report's content in ``lang``."""
    t = lang.t
    result = report.result
    as_of = lang.date(result.cut.as_of)
    owner = f" · {one_line(report.owner)}" if report.owner else ""
    title = t("report.title")
    sections = [
        _changes(report, lang, "new"),
        _changes(report, lang, "escalated"),
        _changes(report, lang, "recovered"),
        _changes(report, lang, "lost"),
        _top(report, lang),
        _winback(report, lang),
        _returners(report, lang),
        _loyal(report, lang),
        _phases(report, lang),
        _trend(report, lang),
        _outcomes(report, lang),
        _notes(report, lang),
    ]
    return ReportView(
        lang=lang.code,
        title=title,
        subtitle=t(
            "report.subtitle",
            as_of=as_of,
            warn_at=lang.severity(report.warn_at.label),
            horizon=lang.count(result.model.horizon_days, "day_dative"),
        )
        + owner,
        figures=_figures(report.headline, report, lang),
        sections=sections,
        footer=t("report.footer"),
        subject=t(
            "report.subject" if report.previous else "report.subject_first",
            as_of=as_of,
            warned=lang.count(report.headline.warned, "customer"),
            new=lang.number(_count(report, "new")),
        )
        + owner,
        figure_header=t("report.columns.figure"),
        value_header=t("report.columns.value"),
        overview=t("report.overview"),
        as_of=day_to_date(result.cut.as_of),
        owner=report.owner,
    )


def one_line(text: str) -> str:
    """Text from the data for a heading or a mail subject: printable, on one line."""
    return " ".join(printable(text).split())


def _count(report: WeeklyReport, change: str) -> int:
    return int((report.changes["change"].to_numpy() == change).sum())


def _figures(headline: Headline, report: WeeklyReport, lang: Language) -> list[Figure]:
    """The headline figures, each with its change since the previous recorded run."""
    before = headline.previous
    since = (
        lang.t("report.since", as_of=lang.date(report.previous.as_of)) if report.previous else ""
    )

    def figure(key: str, text: str, *, worse_when_up: bool = True) -> Figure:
        value = getattr(headline, key)
        label = lang.t(f"report.figures.{key}")
        kind = {"mean_risk": "percent", "value_at_risk": "money"}.get(key, "count")
        cell = Cell(_round(value) if isinstance(value, float) else value, text, kind=kind)
        delta = None if before is None or key == "lost" else _shown_change(key, value, before)
        if delta is None or math.isnan(delta):
            return Figure(label, cell, "")
        if _shown_as_zero(delta, key):
            return Figure(label, cell, lang.t("report.unchanged", since=since))
        tone = "bad" if (delta > 0) == worse_when_up else "good"
        return Figure(label, cell, f"{_delta(delta, key, lang)} {since}", tone)

    return [
        figure("warned", lang.number(headline.warned)),
        figure("critical", lang.number(headline.critical)),
        figure("value_at_risk", lang.money(headline.value_at_risk)),
        figure("mean_risk", _percent(headline.mean_risk, lang)),
        figure("customers", lang.number(headline.customers), worse_when_up=False),
        figure("lost", lang.number(headline.lost)),
    ]


def _shown_change(key: str, value: float, before: Headline) -> float:
    """The change as the two figures read: the mean risk in whole percent (18% → 19% is one
    point, whatever the decimals), amounts in whole units; NaN when either is missing (no
    customer left to average, or none before)."""
    earlier = getattr(before, key)
    if math.isnan(value) or math.isnan(earlier):
        return math.nan
    if key == "mean_risk":
        return (round(value * 100) - round(earlier * 100)) / 100
    return float(round(value) - round(earlier))


def _shown_as_zero(delta: float, key: str) -> bool:
    """Whether the change would read as zero: under half a percentage point for the mean
    risk, under half a unit for amounts."""
    return round(delta * 100 if key == "mean_risk" else delta) == 0


def _delta(delta: float, key: str, lang: Language) -> str:
    if key == "mean_risk":
        return lang.points(delta)
    if key == "value_at_risk":
        return ("+" if delta > 0 else "") + lang.money(round(delta))
    return ("+" if delta > 0 else "") + lang.number(delta)


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _percent(value: float | None, lang: Language) -> str:
    return "–" if value is None or math.isnan(value) else lang.percent(value)


def _identity(rows: ScanResult, row: int) -> list[Cell]:
    from churnwatch.render.records import is_missing

    frame = rows.customers
    cells = [Cell(str(frame["customer_id"].iloc[row]), str(frame["customer_id"].iloc[row]))]
    for column in ("name", "owner"):
        value = frame[column].iloc[row] if column in frame else None
        text = "" if is_missing(value) else str(value)  # an empty owner is no '<NA>'
        cells.append(Cell(text or None, text))
    return cells


def _identity_columns(lang: Language) -> list[str]:
    return [lang.t(f"report.columns.{key}") for key in ("customer", "name", "owner")]


def _risk(value: float, lang: Language) -> Cell:
    return Cell(round(float(value), 4), lang.percent(float(value)), kind="percent")


def _changes(report: WeeklyReport, lang: Language, change: str) -> Section:
    """New on the warning list, escalated, recovered, or lost since the previous run."""
    from churnwatch.analyses.changes import Change
    from churnwatch.render.records import signals

    rows = report.listed(Change(change))
    section = Section(
        f"changes-{change}",
        lang.t(f"report.sections.{change}.title"),
        intro=lang.t(f"report.sections.{change}.intro"),
        empty=lang.t(f"report.sections.{change}.empty")
        if report.previous
        else lang.t("report.first_recorded" if report.recording else "report.no_previous"),
    )
    if report.previous is None:
        return section
    shown = rows.rows(slice(min(rows.count, _limit(report))))
    before = report.changes.set_index("customer_id")["previous_risk"]
    reasons = signals(shown, lang)
    columns = [*_identity_columns(lang), lang.t("report.columns.risk")]
    columns += [] if change == "new" else [lang.t("report.columns.previous_risk")]
    columns += [lang.t("report.columns.severity"), lang.t("report.columns.why")]
    section.columns = columns
    section.wide = (len(columns) - 1,)
    frame = shown.customers
    for row in range(len(frame)):
        label = _severity_label(frame, row)
        cells = [*_identity(shown, row), _risk(frame["risk"].iloc[row], lang)]
        if change != "new":
            cells.append(_risk(before.loc[str(frame["customer_id"].iloc[row])], lang))
        cells.append(Cell(lang.severity(label), lang.severity(label), label))
        cells.append(_why(reasons[row], lang, shown.model.history_based))
        section.rows.append(cells)
    if rows.count > len(frame):
        section.intro += " " + lang.t("report.more", count=rows.count - len(frame))
    return section


def _limit(report: WeeklyReport) -> int:
    return report.limit


def _severity_label(frame: Any, row: int) -> str:
    from churnwatch.core.domain import Severity

    return Severity(int(frame["severity"].iloc[row])).label


def _why(signals: list[dict[str, Any]], lang: Language, history_based: bool) -> Cell:
    """The signals that fired; without any, where the risk comes from: the order history
    when there is a model of it, else nowhere (no signal, no risk)."""
    parts = [
        f"{s['title']}: {s['detail']}" if s["detail"] else s["title"]
        for s in signals[:SIGNALS_SHOWN]
    ]
    quiet = "report.no_signal" if history_based else "report.no_signal_no_history"
    text = "; ".join(parts) or lang.t(quiet)
    return Cell(text, text)


def _top(report: WeeklyReport, lang: Language) -> Section:
    """The customers most at risk, with reasons, the next step and the next contact; when
    nobody reaches the warning list, the customers most at risk all the same."""
    from churnwatch.render.records import signals

    rows = report.top
    frame = rows.customers
    reasons = signals(rows, lang)
    changes = report.changes.set_index("customer_id")["change"]
    section = Section(
        "top",
        lang.t("report.sections.top.title"),
        intro=_top_intro(report, len(frame), lang),
        columns=[
            "#",
            *_identity_columns(lang),
            lang.t("report.columns.risk"),
            lang.t("report.columns.severity"),
            lang.t("report.columns.change"),
            lang.t("report.columns.why"),
            lang.t("report.columns.next_step"),
            lang.t("report.columns.next_contact"),
        ],
        empty=lang.t("report.sections.top.empty"),
        wide=(7, 8, 9),
        plain=4,
        unnamed=(6,),
    )
    for row in range(len(frame)):
        label = _severity_label(frame, row)
        customer = str(frame["customer_id"].iloc[row])
        change = str(changes.get(customer, "")) if report.previous else ""
        action = reasons[row][0]["action"] if reasons[row] else ""
        occasion = report.next_contact.get(customer)
        shown_change = lang.change(change) if change else ""
        section.rows.append(
            [
                Cell(row + 1, str(row + 1), kind="count"),
                *_identity(rows, row),
                _risk(frame["risk"].iloc[row], lang),
                Cell(lang.severity(label), lang.severity(label), label),
                Cell(shown_change or None, shown_change, change),
                _why(reasons[row], lang, rows.model.history_based),
                Cell(action or None, action),
                _occasion(occasion, lang),
            ]
        )
    return section


def _top_intro(report: WeeklyReport, shown: int, lang: Language) -> str:
    if shown == 0:
        return ""
    if report.warned_total == 0:
        return lang.t("report.sections.top.nobody", warn_at=lang.severity(report.warn_at.label))
    return _first_of(shown, report.warned_total, "report.sections.top", lang)


def _first_of(shown: int, total: int, key: str, lang: Language) -> str:
    """``The first 15 of 21 …`` or, when the list is whole, ``All 7 …``."""
    if shown >= total:
        return lang.t(f"{key}.intro_all", total=lang.number(total))
    return lang.t(f"{key}.intro", shown=lang.number(shown), total=lang.number(total))


def _occasion(occasion: Occasion | None, lang: Language) -> Cell:
    """The first contact occasion of the plan, in words: ``07.12.2026: reorder due …``, from
    the facts the occasion carries."""
    if occasion is None:
        return Cell(None, "")

    def fact(name: str) -> float:
        return occasion.facts.get(name, math.nan)

    values = {
        "gap": _days(fact("gap"), lang),
        "expected": _maybe_date(fact("expected"), lang),
        "complaints": _counted(fact("count"), "open_complaint", lang),
        "complaint_days": _days(fact("oldest"), lang, "day_dative"),
        "invoices": _counted(fact("count"), "overdue_invoice", lang),
        "invoice_days": _days(fact("oldest"), lang, "day_dative"),
    }
    due = lang.date(iso_to_days(occasion.due))
    text = f"{due}: {lang.t(f'report.occasions.{occasion.kind}', **values)}"
    return Cell(text, text)


def _counted(value: float, noun: str, lang: Language) -> str:
    return "–" if math.isnan(value) else lang.count(round(value), noun)


def _days(value: float, lang: Language, noun: str = "day") -> str:
    return "–" if math.isnan(value) else lang.count(round(value), noun)


def _maybe_date(day: float, lang: Language) -> str:
    return "–" if math.isnan(day) else lang.date(int(day))


def _winback(report: WeeklyReport, lang: Language) -> Section:
    """The lost customers worth winning back first, with why they left and how to ask."""
    from churnwatch.render.winback_view import approach

    found = report.winback
    frame = found.rows.customers
    section = Section(
        "winback",
        lang.t("report.sections.winback.title"),
        intro=_first_of(len(frame), found.matching, "report.sections.winback", lang),
        columns=[
            *_identity_columns(lang),
            lang.t("report.columns.worth"),
            lang.t("report.columns.value_per_year"),
            lang.t("report.columns.last_order"),
            lang.t("report.columns.left_because"),
            lang.t("report.columns.approach"),
        ],
        empty=lang.t("report.sections.winback.empty"),
        wide=(6, 7),
    )
    for row in range(len(frame)):
        last = frame["last_order_date"].iloc[row]
        keys = found.reasons[row]
        reasons = "; ".join(lang.t(f"report.winback.reasons.{key}") for key in keys)
        how = approach(found, row, lang)
        value = float(found.value_per_year[row])
        worth = float(found.worth[row])
        reasons = reasons or lang.t("report.winback.unknown")
        section.rows.append(
            [
                *_identity(found.rows, row),
                _money(worth, lang),
                _money(value, lang),
                _date_cell(last, lang),
                Cell(reasons, reasons),
                Cell(how, how),
            ]
        )
    return section


def _money(value: float, lang: Language) -> Cell:
    return Cell(round(value), lang.money(value), kind="money")


def _date_cell(day: Any, lang: Language) -> Cell:
    if day is None or (isinstance(day, float) and math.isnan(day)):
        return Cell(None, "–")
    return Cell(day_to_date(int(day)), lang.date(int(day)), kind="date")


def _returners(report: WeeklyReport, lang: Language) -> Section:
    """Customers back from a long lapse: the first orders after a return decide whether they
    stay."""
    back = report.winback.returners
    frame = back.customers
    limit = min(len(frame), _limit(report))
    section = Section(
        "returners",
        lang.t("report.sections.returners.title"),
        intro=lang.t("report.sections.returners.intro"),
        columns=[
            *_identity_columns(lang),
            lang.t("report.columns.back_since"),
            lang.t("report.columns.lapse"),
            lang.t("report.columns.risk"),
        ],
        empty=lang.t("report.sections.returners.empty"),
    )
    for row in range(limit):
        lapse = frame["returned_after_days"].iloc[row]
        section.rows.append(
            [
                *_identity(back, row),
                _date_cell(frame["returner_since"].iloc[row], lang),
                Cell(_int(lapse), lang.count(_int(lapse) or 0, "day"), kind="count"),
                _risk(frame["risk"].iloc[row], lang),
            ]
        )
    return section


def _int(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else round(number)


def _loyal(report: WeeklyReport, lang: Language) -> Section:
    """The loyal core: to thank and to serve first."""
    from churnwatch.analyses.loyal import value_per_year

    rows = report.loyal.rows
    frame = rows.customers
    values = value_per_year(rows)
    section = Section(
        "loyal",
        lang.t("report.sections.loyal.title"),
        intro=lang.t(
            "report.sections.loyal.intro",
            total=lang.count(report.loyal.matching, "customer"),
        ),
        columns=[
            *_identity_columns(lang),
            lang.t("report.columns.value_per_year"),
            lang.t("report.columns.years"),
            lang.t("report.columns.order_days"),
            lang.t("report.columns.risk"),
        ],
        empty=lang.t("report.sections.loyal.empty"),
    )
    for row in range(len(frame)):
        years = float(frame["tenure_days"].iloc[row]) / 365.0
        order_days = _int(frame["order_days"].iloc[row]) or 0
        section.rows.append(
            [
                *_identity(rows, row),
                _money(float(values[row]), lang),
                Cell(round(years, 1), lang.number(years, 1), kind="number"),
                Cell(order_days, lang.number(order_days), kind="count"),
                _risk(frame["risk"].iloc[row], lang),
            ]
        )
    return section


def _phases(report: WeeklyReport, lang: Language) -> Section:
    """Where the relationships stand: customers per lifecycle phase."""
    counts = report.phases
    top = max(counts.values(), default=0) or 1
    total = sum(counts.values()) or 1
    section = Section(
        "phases",
        lang.t("report.sections.phases.title"),
        intro=lang.t("report.sections.phases.intro"),
        columns=[lang.t("report.columns.phase"), lang.t("report.columns.customers"), "%"],
    )
    for phase in Phase:
        count = counts.get(phase.value, 0)
        label = lang.phase(phase.value)
        share = count / total
        section.rows.append(
            [
                Cell(label, label),
                Cell(count, lang.number(count), kind="count"),
                Cell(round(share, 4), lang.percent(share), kind="percent"),
            ]
        )
        tone = "bad" if phase in (Phase.DEGENERATION, Phase.LOST) else ""
        section.bars.append(
            Bar(label, count / top, f"{lang.number(count)} ({lang.percent(share)})", tone)
        )
    return section


def _trend(report: WeeklyReport, lang: Language) -> Section:
    """The warning list and the mean risk at each recorded run."""
    points = report.trend
    top = max((p.warned for p in points), default=0) or 1
    section = Section(
        "trend",
        lang.t("report.sections.trend.title"),
        intro=lang.t("report.sections.trend.intro"),
        columns=[
            lang.t("report.columns.as_of"),
            lang.t("report.columns.warned"),
            lang.t("report.columns.mean_risk"),
            lang.t("report.columns.customers"),
        ],
    )
    for point in points:
        day = lang.date(point.as_of)
        section.rows.append(
            [
                Cell(day_to_date(point.as_of), day, kind="date"),
                Cell(point.warned, lang.number(point.warned), kind="count"),
                Cell(_round(point.mean_risk), _percent(point.mean_risk, lang), kind="percent"),
                Cell(point.customers, lang.number(point.customers), kind="count"),
            ]
        )
        mean = lang.t("report.mean", risk=_percent(point.mean_risk, lang))
        text = f"{lang.number(point.warned)} · {mean}"
        section.bars.append(Bar(day, point.warned / top, text))
    if len(points) < 2:
        section.empty = lang.t("report.sections.trend.empty")
    return section


def _outcomes(report: WeeklyReport, lang: Language) -> Section:
    """How earlier warnings came true: of the customers flagged then, how many placed no
    order since, against the others."""
    section = Section(
        "outcomes",
        lang.t("report.sections.outcomes.title"),
        intro=lang.t(
            "report.sections.outcomes.intro",
            horizon=lang.count(report.result.model.horizon_days, "day"),
        ),
        columns=[
            lang.t("report.columns.flagged_on"),
            lang.t("report.columns.flagged"),
            lang.t("report.columns.silent_flagged"),
            lang.t("report.columns.silent_others"),
        ],
        empty=lang.t("report.sections.outcomes.empty"),
        plain=1,
    )
    as_of = report.result.cut.as_of
    for found in report.outcomes:
        section.rows.append(_outcome_row(found, as_of, lang))
    return section


def _outcome_row(found: Outcome, as_of: int, lang: Language) -> list[Cell]:
    weeks = round((as_of - found.as_of) / 7)
    when = lang.t("report.weeks_ago", date=lang.date(found.as_of), weeks=lang.count(weeks, "week"))
    return [
        Cell(day_to_date(found.as_of), when, kind="date"),
        Cell(found.warned, lang.number(found.warned), kind="count"),
        _share(found.warned_silent, found.warned, found.warned_share, lang),
        _share(found.others_silent, found.others, found.others_share, lang),
    ]


def _share(part: int, whole: int, share: float, lang: Language) -> Cell:
    if not whole:
        return Cell(None, "–")
    return Cell(round(share, 4), f"{lang.number(part)} ({lang.percent(share)})", kind="percent")


def _notes(report: WeeklyReport, lang: Language) -> Section:
    return Section(
        "notes",
        lang.t("report.sections.notes.title"),
        intro=lang.t("report.sections.notes.intro") if report.notes else "",
        lines=list(report.notes),
        empty=lang.t("report.sections.notes.empty"),
    )
