"""The result of a scan: one ranked model that every renderer reads (compute once, render many).

It holds values only; every sentence shown to people is formed in :mod:`churnwatch.render`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.core.domain import Phase, Severity
from churnwatch.ingest.customer_ids import composed
from churnwatch.risk.training import Training, Why
from churnwatch.rules.catalog import Rule
from churnwatch.timeframe import Cut


@dataclass(frozen=True)
class SourceRows:
    name: str
    file: str
    rows: int


@dataclass(frozen=True)
class ModelInfo:
    """Which weights the risk came from, for the notes and the JSON header."""

    horizon_days: int
    training: Training | None
    """What the weights were fitted on; None when the configured weights were used."""
    note: str | None
    """Why the configured weights were used, when they were for want of history."""
    weights: tuple[float, ...]
    """Every active rule's weight in the model (fitted or configured), in percent."""
    fitted_rules: tuple[bool, ...] = ()
    """Per rule: its weight was fitted (it fired in the training history and is not pinned)."""
    history_based: bool = True
    """False: no fit and no BG/NBD forecast, so the risk counts the fired rules only."""
    why: Why | None = None
    """``note`` for people, in their language (see :class:`churnwatch.risk.training.Why`)."""


MIN_RHYTHMS = 10
"""Customers with a usual gap needed before the export's usual rhythm is judged."""
LONG_RHYTHM = 0.75
"""A usual gap of this share of the horizon or more is too long for it."""


@dataclass
class ScanResult:
    cut: Cut
    model: ModelInfo
    rules: list[Rule]
    """The applicable rules, in the order of the columns of ``fired`` and ``contributions``."""
    not_applicable: list[Rule]
    scored_rows: pd.DataFrame
    """The rows as scored (by customer code): customer_id, name, owner, risk, base_risk,
    severity, then the features; ``customers`` has them ranked."""
    ranking: np.ndarray | None
    """The positions in ``scored_rows`` of this result's rows, riskiest first; None: they
    are in that order. A list is ranked by taking only the rows an output asks for, batch by
    batch: the whole table is never copied in rank order (750 MB for two million
    customers) unless a consumer reads ``customers`` whole."""
    scored_fired: np.ndarray
    """Which rules fired, per row of ``scored_rows``; ``fired`` has them ranked."""
    scored_contributions: np.ndarray
    """How much each fired rule adds to the customer's risk (0 where it did not fire), per
    row of ``scored_rows``; ``contributions`` has them ranked."""
    weights: np.ndarray
    """Each applicable rule's probability in the model (fitted or configured), in percent."""
    weight_fitted: np.ndarray
    """Each applicable rule: whether its weight was fitted on the history (else configured)."""
    feature_names: list[str]
    """Every numeric and date feature, in registry order (what machine output lists, the same
    for every run; a feature whose source is absent has no column in ``customers``)."""
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """The notes (among ``notes``) on features left empty for the whole export (no BG/NBD
    fit): a run that succeeds with a dead signal says so, whatever the output."""

    @property
    def as_of(self) -> str:
        return self.cut.as_of_iso

    @cached_property
    def customers(self) -> pd.DataFrame:
        """Ranked rows: customer_id, name, owner, risk, base_risk, severity, the features."""
        if self.ranking is None:
            return self.scored_rows
        return self.scored_rows.iloc[self.ranking]

    @cached_property
    def fired(self) -> np.ndarray:
        """Which rules fired, per ranked row (a column per applicable rule)."""
        return self._ranked(self.scored_fired)

    @cached_property
    def contributions(self) -> np.ndarray:
        """How much each fired rule adds to the risk, per ranked row (0 where it did not)."""
        return self._ranked(self.scored_contributions)

    def _ranked(self, values: np.ndarray) -> np.ndarray:
        return values if self.ranking is None else values[self.ranking]

    @property
    def count(self) -> int:
        """How many rows (customers) the result has."""
        return len(self.scored_rows) if self.ranking is None else len(self.ranking)

    @property
    def unranked(self) -> pd.DataFrame:
        """The same rows in any order, for what the order does not change across many columns
        (sets, whole numbers): all scored rows are these rows without a copy."""
        if self.ranking is None or len(self.ranking) == len(self.scored_rows):
            return self.scored_rows
        return self.customers

    def column(self, name: str) -> np.ndarray:
        """One column's values in rank order, taken alone (not the whole table)."""
        series = self.scored_rows[name]
        categorical = isinstance(series.dtype, pd.CategoricalDtype)
        values = series.to_numpy(dtype=object) if categorical else series.to_numpy()
        return values if self.ranking is None else values[self.ranking]

    def phases(self) -> np.ndarray:
        return self.column("phase")

    def usual_gap_days(self) -> float | None:
        """The usual gap between orders of most customers not lost (the median of their
        usual gaps), when at least :data:`MIN_RHYTHMS` have one."""
        gaps = self.column("typical_gap_days").astype(float)
        known = (self.phases() != Phase.LOST) & ~np.isnan(gaps)
        return float(np.median(gaps[known])) if known.sum() >= MIN_RHYTHMS else None

    def suggested_horizon(self) -> int | None:
        """A longer horizon, where most customers order about as seldom as the horizon or
        less often: the risk then mostly says whether the next order falls due within it,
        not who has stopped. Two usual gaps, in months of 30 days."""
        gap = self.usual_gap_days()
        if not self.model.history_based or gap is None:
            return None  # without a model of the history the horizon changes no risk
        if gap < LONG_RHYTHM * self.model.horizon_days:
            return None
        return max(30, round(2 * gap / 30) * 30)

    def by_severity(self) -> dict[str, int]:
        counts = np.bincount(self.column("severity"), minlength=len(Severity))
        return {s.label: int(counts[s]) for s in sorted(Severity, reverse=True)}

    def by_phase(self) -> dict[str, int]:
        phases = self.phases()
        return {p.value: int((phases == p.value).sum()) for p in Phase}

    def select(
        self,
        top: int | None = None,
        min_risk: float | None = None,
        phases: Collection[str] | None = None,
        *,
        owners: Collection[str] = (),
        segments: Collection[str] = (),
        severities: Collection[Severity] = (),
    ) -> Selection:
        """The first ``top`` rows with a risk of at least ``min_risk`` percent (as shown,
        rounded to whole percent) in one of ``phases``, and, when given, of one of ``owners``
        or ``segments`` (compared without case or surrounding blanks) and ``severities``."""
        keep = np.ones(self.count, dtype=bool)
        if min_risk is not None:
            keep &= np.round(self.column("risk").astype(float) * 100) >= min_risk
        if phases is not None:
            keep &= np.isin(self.phases(), list(phases))
        for column, wanted in (("owner", owners), ("segment", segments)):
            if wanted:
                keep &= np.isin(self.texts(column), [folded(w) for w in wanted])
        if severities:
            keep &= np.isin(self.column("severity"), [int(s) for s in severities])
        matched = self if keep.all() else self.rows(np.flatnonzero(keep))  # all: no copy
        shown = matched.count if top is None else min(top, matched.count)
        rows = matched if shown == matched.count else matched.rows(np.arange(shown))
        return Selection(
            self, rows, matched.count, None if phases is None else tuple(phases), matched
        )

    def texts(self, column: str) -> np.ndarray:
        """A master-data column, trimmed and lower-cased for matching ('' where missing)."""
        if column not in self.scored_rows:
            return np.full(self.count, "", dtype=object)
        values = pa.array(self.column(column).astype(object), pa.string(), from_pandas=True)
        return np.asarray(folded_texts(values).to_numpy(zero_copy_only=False), dtype=object)

    def known(self, column: str) -> list[str]:
        """The different values of a master-data column, as written (for suggestions)."""
        if column not in self.scored_rows:
            return []
        return sorted({str(v) for v in self.unranked[column].dropna()})

    def rows(self, positions: np.ndarray | slice) -> ScanResult:
        """The same result with only the rows at ``positions`` (in rank order), taken when
        they are read."""
        if self.ranking is None:
            return replace(
                self,
                scored_rows=self.scored_rows.iloc[positions],
                scored_fired=self.scored_fired[positions],
                scored_contributions=self.scored_contributions[positions],
            )
        return replace(self, ranking=self.ranking[positions])

    def with_columns(self, columns: dict[str, np.ndarray]) -> ScanResult:
        """The same result with ``columns`` (values in rank order) added to its rows."""
        return replace(
            self,
            scored_rows=self.customers.assign(**columns),
            ranking=None,
            scored_fired=self.fired,
            scored_contributions=self.contributions,
        )

    def sources(self) -> list[SourceRows]:
        return [
            SourceRows(name, source.path.name, len(self.cut.frame(name)))
            for name, source in self.cut.sources.items()
        ]

    def signal_order(self) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, rules)`` of every fired rule, by row, the largest contribution first."""
        rows, columns = np.nonzero(self.fired)
        order = np.lexsort((columns, -self.contributions[rows, columns], rows))
        return rows[order], columns[order]


@dataclass(frozen=True)
class Selection:
    """The rows an output shows, and what they were chosen from."""

    result: ScanResult
    """The whole result (for totals and the summary)."""
    rows: ScanResult
    matching: int
    """Rows that matched the filters, before ``--top`` cut the list."""
    phases: tuple[str, ...] | None
    """The phases asked for; None for all."""
    matched: ScanResult
    """Every row that matched the filters (``rows`` is its start)."""

    @property
    def in_phases(self) -> int:
        """Customers in the phases asked for, before any other filter and ``--top``: what a
        shorter list is a part of."""
        if self.phases is None:
            return self.result.count
        return int(np.isin(self.result.phases(), list(self.phases)).sum())

    @property
    def hides_lost(self) -> bool:
        """The phases asked for leave the lost customers out (the default list)."""
        return self.phases is not None and Phase.LOST not in self.phases

    def narrowed(
        self, owners: Collection[str] = (), segments: Collection[str] = (), top: int | None = None
    ) -> Selection:
        """The same list with only these owners' and segments' customers, cut to ``top``."""
        kept = self.matched.select(owners=owners, segments=segments).matched
        rows = kept if top is None else kept.rows(np.arange(min(top, kept.count)))
        return Selection(self.result, rows, kept.count, self.phases, kept)

    def reaching(self, severity: Severity) -> tuple[int, int]:
        """``(matched, shown)``: customers not lost at or above ``severity`` among those the
        filters matched, and among those shown (``--top`` may leave some out)."""

        def count(rows: ScanResult) -> int:
            active = rows.phases() != Phase.LOST
            return int((rows.column("severity")[active] >= severity).sum())

        return count(self.matched), count(self.rows)


def folded_texts(values: pa.Array) -> pa.Array:
    """Master-data values as they are matched ('' where missing): in Unicode's composed
    form (an owner typed on a Mac and on Windows is one), trimmed, in lower case."""
    return pc.utf8_lower(pc.utf8_trim_whitespace(composed(values))).fill_null("")


def folded(value: str) -> str:
    """One value as :func:`folded_texts` folds a column: by Arrow's lower case, which maps
    a Turkish ``İ`` to ``i`` where Python's makes it two characters."""
    return str(folded_texts(pa.array([value], pa.string()))[0].as_py())
