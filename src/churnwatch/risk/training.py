"""Fit the risk model on the export's own history, then apply it at the reference date.

The training rows are the customers as they were at a training cut-off at least ``h`` days
before the reference date (the latest day of a grid of days ``h/6`` apart), labelled with
whether they ordered in the ``h`` days that followed — before the reference date, never
beyond it — and the same at up to eleven earlier days of the grid while the rows are few, so
that one particular stretch of weeks does not set the weights alone. ``h`` is the horizon;
when the history before ``reference − horizon`` is too short, the longest shorter horizon that
fits is used and the BG/NBD model carries the forecast over the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd

from churnwatch.config import Config
from churnwatch.features import compute_features, population_step
from churnwatch.features.population import Population
from churnwatch.features.statistical import no_order_log_odds
from churnwatch.ingest.dataset import Dataset
from churnwatch.risk.model import RiskModel, default_model, fit_model
from churnwatch.risk.terms import TERMS, base_terms
from churnwatch.rules.catalog import Rule
from churnwatch.rules.engine import evaluate
from churnwatch.timeframe import EVER, Cut, OrderSpans, cut_at, of_customers, ordered_in

MIN_CUSTOMERS = 100
"""Customers with orders at the training cut-off needed to fit the weights."""
MIN_EACH_OUTCOME = 20
"""...of whom at least this many ordered again, and this many did not."""
MIN_HISTORY_DAYS = 90
"""Days of orders before the training cut-off."""
STACKED_CUT_OFFS = 12
"""Training cut-offs at most (those without enough history are left out)... A small export
needs many: with three, a B2B export of 120 customers refitted a day later swung a term's
coefficient from +1.2 to −6.3 and a steady customer's base risk from 0.76 to 0.14; with
twelve it stayed between 0.85 and 0.94 over four days."""
TRAINING_ROWS = 50_000
"""...and no more once the training rows reach this many: a large export gains little from
more, and every cut-off costs a pass over the data."""
TRAINING_CUSTOMERS = 30_000
"""At most this many whole customers (every k-th by code) make the training rows of one
cut-off: a few coefficients need no more, and the features of the rest need not be computed."""
SHORTER_HORIZONS = (0.5, 1 / 3)
FALLBACK_HORIZONS = (90, 60, 30)


@dataclass(frozen=True)
class Training:
    """What the weights were fitted on, for the notes and the JSON header."""

    cut_offs: tuple[int, ...]
    """The training cut-offs, latest first."""
    horizon_days: int
    customers: int
    """Training rows: customers with orders, summed over the cut-offs."""
    churners: int
    flagged: tuple[int, ...]
    """Per rule (in the order of the rules), the training customers it fired on..."""
    flagged_churners: tuple[int, ...]
    """...and how many of them placed no order in the horizon."""


@dataclass(frozen=True)
class Fitted:
    model: RiskModel | None
    """None: the configured weights apply (see :meth:`model_for`)."""
    training: Training | None
    note: str | None
    """Why default weights are used, when they are (in English, for machine output)."""
    why: Why | None = None
    """The same for people, in their language: a sentence of the catalogs and its values."""

    def rules_fitted(self, rules: list[Rule]) -> tuple[bool, ...]:
        """Per rule: fitted on the history (it fired there and is not pinned)."""
        if self.model is None or self.training is None:
            return tuple(False for _ in rules)
        return tuple(
            not rule.pinned and flagged > 0
            for rule, flagged in zip(rules, self.training.flagged, strict=True)
        )

    def model_for(self, now: Population, rules: list[Rule]) -> RiskModel:
        """The fitted model, or the configured weights over the BG/NBD forecast of ``now``
        (when there is one)."""
        if self.model is not None:
            return self.model
        base = "statistical" if now.statistical is not None else None
        weights, _ = _rule_priors(rules)
        return default_model(TERMS, base, tuple(rule.id for rule in rules), weights)


class Outcomes(Protocol):
    """What the choice of training cut-offs counts over every customer of the export."""

    def first_day(self) -> int | None:
        """The first order day (None: no orders)."""
        ...

    def counted(self, cut_off: int, horizon: int) -> tuple[int, int]:
        """Customers with an order up to ``cut_off``, and how many of them had none in the
        ``horizon`` days after it."""
        ...


@dataclass(frozen=True)
class CutOutcomes:
    """:class:`Outcomes` counted on a cut that holds every customer. With the configured
    ``horizon``, every window :func:`outcome_questions` may ask about is answered from one
    pass over the orders (others from a pass each)."""

    cut: Cut
    horizon: int | None = None

    def first_day(self) -> int | None:
        days = self.cut.frame("orders")["order_date"].to_numpy()
        return int(days.min()) if days.size else None

    def counted(self, cut_off: int, horizon: int) -> tuple[int, int]:
        """Customers with an order up to ``cut_off``, and how many of them had none after."""
        before = self._ordered_in(EVER, cut_off)
        after = self._ordered_in(cut_off, cut_off + horizon)
        return int(before.sum()), int((before & ~after).sum())

    def _ordered_in(self, after: int, until: int) -> np.ndarray:
        spans = self._spans
        if spans is not None and spans.answers(after, until):
            return spans.ordered_in(after, until)
        return ordered_in(self.cut.frame("orders"), after, until, len(self.cut.customer_ids))

    @cached_property
    def _spans(self) -> OrderSpans | None:
        if self.horizon is None:
            return None
        asked = outcome_questions(self.cut.as_of, self.horizon)
        days = {day for cut_off, horizon in asked for day in (cut_off, cut_off + horizon)}
        return OrderSpans(self.cut.frame("orders"), days, len(self.cut.customer_ids))


def outcome_questions(as_of: int, horizon: int) -> list[tuple[int, int]]:
    """Every ``(cut_off, horizon)`` whose counts :func:`fit_on_history` may ask for at
    ``as_of``: where the counts are summed over parts, each part counts these."""
    asked = {(as_of - candidate, candidate) for candidate in _candidate_horizons(horizon)}
    grid = _grid(as_of, horizon)
    for first in (grid.first, grid.latest):  # the grid's day, or the latest when it is short
        asked |= {(cut_off, horizon) for cut_off in grid.from_(first)}
    return sorted(asked)


class _Grid(NamedTuple):
    """The training cut-offs' grid: ``step`` days apart, ``first`` its latest day on or before
    ``latest`` (the reference date less the horizon)."""

    step: int
    latest: int
    first: int

    def from_(self, first: int) -> list[int]:
        """``first`` and the earlier days of the grid, as many as may be stacked."""
        return [first - k * self.step for k in range(STACKED_CUT_OFFS)]


def _grid(as_of: int, horizon: int) -> _Grid:
    step = max(7, horizon // 6)
    latest = as_of - horizon
    return _Grid(step, latest, latest - latest % step)


def fit_on_history(
    cut: Cut, config: Config, rules: list[Rule], outcomes: Outcomes | None = None
) -> Fitted:
    """The risk model for ``cut``, fitted on its own past when that is long and large enough.

    Independent of the features at the reference date, so it can run beside them. Where
    ``cut`` holds only the training customers (an export split into parts), ``outcomes``
    counts over all of them."""
    horizon = config.risk.horizon_days
    outcomes = outcomes or CutOutcomes(cut, horizon)
    weights, pinned = _rule_priors(rules)
    ids = tuple(rule.id for rule in rules)
    if not config.risk.fit:
        return _unfitted(Why("fit_off", ()))
    chosen = _training_horizon(cut.as_of, horizon, outcomes)
    if chosen is None:
        return _unfitted(_too_little_history(cut.as_of, horizon, outcomes))
    cut_offs = _stacked(cut.as_of, chosen, outcomes) if chosen == horizon else [cut.as_of - chosen]
    history = _training_history(cut)
    rows = [_training_rows(history, cut_off, chosen, config, rules) for cut_off in cut_offs]
    terms, labels, fired = (np.concatenate(part) for part in zip(*rows, strict=True))
    model = fit_model(
        TERMS, terms, labels, rule_ids=ids, fired=fired, weights=weights, pinned=pinned
    )
    if not model.fitted:
        return _unfitted(Why("no_convergence", ()))
    training = Training(
        tuple(cut_offs),
        chosen,
        len(labels),
        int(labels.sum()),
        tuple(int(n) for n in fired.sum(axis=0)),
        tuple(int(n) for n in labels @ fired),
    )
    return Fitted(model, training, None)


def _too_little_history(as_of: int, horizon: int, outcomes: Outcomes) -> Why:
    """What the fit needs at ``horizon`` days before the reference date, and what the export
    has there: which of the needs failed is what the user can act on."""
    cut_off = as_of - horizon
    customers, churners = outcomes.counted(cut_off, horizon)
    first = outcomes.first_day()
    history = max(cut_off - first, 0) if first is not None else 0
    values = {
        "customers": MIN_CUSTOMERS,
        "each": MIN_EACH_OUTCOME,
        "days": MIN_HISTORY_DAYS,
        "horizon": horizon,
        "had_customers": customers,
        "had_again": customers - churners,
        "had_not": churners,
        "had_days": history,
    }
    return Why("too_little_history", tuple(values.items()))


def _stacked(as_of: int, horizon: int, outcomes: Outcomes) -> list[int]:
    """The training cut-offs: the latest day of a fixed grid, ``horizon / 6`` days apart, on or
    before ``reference − horizon``, then earlier days of the grid while they have enough
    history and the rows are fewer than :data:`TRAINING_ROWS`.

    On a grid, the scans of consecutive days train on the same rows until the grid moves on
    (every ``horizon / 6`` days, by one cut-off of up to twelve), so a customer's base risk
    changes with their own history, not with the days the training happened to start from:
    the risk of a customer who stays silent does not fall from one day to the next."""
    grid = _grid(as_of, horizon)
    first = grid.first
    if not _enough_history(first, horizon, outcomes):  # a short history: every day counts
        first = grid.latest
    chosen, rows = [first], outcomes.counted(first, horizon)[0]
    for cut_off in grid.from_(first)[1:]:
        if rows >= TRAINING_ROWS or not _enough_history(cut_off, horizon, outcomes):
            break
        chosen.append(cut_off)
        rows += outcomes.counted(cut_off, horizon)[0]
    return chosen


def _training_history(cut: Cut) -> Dataset:
    """The whole history of the training customers (see :func:`training_customers`), taken
    once for all cut-offs."""
    return of_customers(cut.dataset, training_customers(len(cut.customer_ids)))


def _training_rows(
    history: Dataset, cut_off: int, horizon: int, config: Config, rules: list[Rule]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Base terms, labels and fired rules of the customers as they were at ``cut_off``."""
    past = cut_at(history, cut_off)
    population = population_step(past, config.windows, horizon, config.lifecycle)
    features = compute_features(past, population)
    codes = features.index.to_numpy()
    labels = _no_order_within(history, cut_off, horizon, codes)
    terms = base_terms(features, _statistical(population, features, horizon))
    return terms, labels, evaluate(rules, features).fired_for(rules)


def training_customers(n: int) -> np.ndarray | None:
    """Every k-th customer code, when there are more than :data:`TRAINING_CUSTOMERS`."""
    if n <= TRAINING_CUSTOMERS:
        return None
    chosen = np.zeros(n, dtype=bool)
    chosen[:: -(-n // TRAINING_CUSTOMERS)] = True
    return chosen


class Why(NamedTuple):
    """Why the configured weights apply: the key of a ``weights.*`` sentence in the text
    catalogs, and the numbers it shows."""

    key: str
    values: tuple[tuple[str, int], ...]
    """``(name, number)`` pairs (a tuple: the model's description stays hashable)."""

    @property
    def english(self) -> str:
        return WHY_ENGLISH[self.key].format(**dict(self.values))


WHY_ENGLISH = {
    "fit_off": "configured risk weights: fitting is switched off ([risk] fit)",
    "too_little_history": "default risk weights: too little history to fit them (needs"
    " {customers} customers at {horizon} days before the reference date, {each} who ordered"
    " again and {each} who did not, {days} days of orders before that; it has"
    " {had_customers}, {had_again} and {had_not}, {had_days} days; shorter horizons were"
    " tried too)",
    "no_convergence": "default risk weights: the fit did not converge",
}
"""The sentences of machine output (JSON's ``reason``), stable whatever the language."""


def _unfitted(why: Why) -> Fitted:
    return Fitted(None, None, why.english, why)


def _rule_priors(rules: list[Rule]) -> tuple[np.ndarray, np.ndarray]:
    weights = np.array([rule.weight for rule in rules], dtype=float)
    return weights, np.array([rule.pinned for rule in rules], dtype=bool)


def _training_horizon(as_of: int, horizon: int, outcomes: Outcomes) -> int | None:
    """The horizon to train with: the full one if the history allows, else the longest
    shorter one that does."""
    for candidate in _candidate_horizons(horizon):
        if _enough_history(as_of - candidate, candidate, outcomes):
            return candidate
    return None


def _candidate_horizons(horizon: int) -> list[int]:
    """The horizon, then the shorter ones to try, longest first."""
    shorter = {round(horizon * share) for share in SHORTER_HORIZONS}
    shorter |= {h for h in FALLBACK_HORIZONS if h < horizon}
    return [horizon, *sorted((h for h in shorter if h > 0), reverse=True)]


def _enough_history(cut_off: int, horizon: int, outcomes: Outcomes) -> bool:
    """Cheap checks on the orders alone, before any feature is computed: enough history before
    the cut-off, and enough customers who did and did not order in the horizon after it."""
    first = outcomes.first_day()
    if first is None or first > cut_off - MIN_HISTORY_DAYS:
        return False
    customers, churners = outcomes.counted(cut_off, horizon)
    return customers >= MIN_CUSTOMERS and min(churners, customers - churners) >= MIN_EACH_OUTCOME


def _no_order_within(history: Dataset, cut_off: int, horizon: int, codes: np.ndarray) -> np.ndarray:
    """1 for each customer (code) with no order in ``(cut_off, cut_off + horizon]``, which
    lies within the reference cut: nothing after the reference date is looked at."""
    orders, n = history.frame("orders"), len(history.customer_ids)
    return (~ordered_in(orders, cut_off, cut_off + horizon, n)[codes]).astype(np.float64)


def _statistical(population: Population, features: pd.DataFrame, horizon: int) -> np.ndarray:
    return no_order_log_odds(population, float(horizon))[features.index.to_numpy()]


def has_base(model: RiskModel, population: Population) -> bool:
    """Whether the risk rests on the order history: a fitted model, or the BG/NBD forecast.
    Without either it counts the fired rules only."""
    return model.fitted or population.statistical is not None


def apply_model(
    fitted: Fitted,
    model: RiskModel,
    population: Population,
    features: pd.DataFrame,
    fired: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(risk, base risk, contribution of each rule)`` at the reference date.

    A model trained with a shorter horizon ``h`` is chained with BG/NBD: no order within the
    horizon = none within ``h`` (the model) and none in the rest (BG/NBD, given none by then).
    """
    horizon = population.horizon_days
    trained = fitted.training.horizon_days if fitted.training else horizon
    terms = base_terms(features, _statistical(population, features, trained))
    risk = model.risk(terms, fired)
    base = model.base(terms) if has_base(model, population) else np.full(len(risk), np.nan)
    contributions = model.contributions(terms, fired)
    if trained < horizon:
        rest = no_order_log_odds(population, float(horizon - trained), after=float(trained))
        stay_quiet = 1.0 / (1.0 + np.exp(-rest[features.index.to_numpy()]))
        stay_quiet = np.nan_to_num(stay_quiet, nan=1.0)
        risk, base = risk * stay_quiet, base * stay_quiet
        contributions = contributions * stay_quiet[:, None]
    return risk, base, contributions
