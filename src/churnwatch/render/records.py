"""The scan result as plain records: what JSON, NDJSON, CSV and the table show.

Here values become what people and machines read: ISO dates, whole counts, rounded decimals,
and each fired rule's explanation filled in from the customer's features.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.analyses.result import ScanResult
from churnwatch.core.days import days_to_iso
from churnwatch.core.domain import Severity
from churnwatch.features import CATEGORY_FEATURES, DATE_FEATURES, FEATURES
from churnwatch.render.language import Language, language
from churnwatch.rules.catalog import template_fields
from churnwatch.rules.wording import MISSING, fill_rows, noun_forms

SCHEMA_VERSION = 4
WHOLE_UNITS = {"orders", "invoices", "complaints", "contacts", "days"}
DECIMALS = 4


def header(result: ScanResult) -> dict[str, Any]:
    """What machine output says about the run before the customers."""
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": result.as_of,
        "horizon_days": result.model.horizon_days,
        "risk_model": risk_model(result),
        "sources": [{"name": s.name, "file": s.file, "rows": s.rows} for s in result.sources()],
        "rules_not_applicable": [r.id for r in result.not_applicable],
        "notes": list(result.notes),
    }


def risk_model(result: ScanResult) -> dict[str, Any]:
    """Which weights the risk came from: fitted on the export's history, or configured."""
    training = result.model.training
    if training is None:
        return {"weights": "configured", "reason": result.model.note}
    return {
        "weights": "fitted",
        "trained_as_of": [days_to_iso(day) for day in training.cut_offs],
        "training_horizon_days": training.horizon_days,
        "customers": training.customers,
        "churners": training.churners,
    }


def signals(result: ScanResult, lang: Language | None = None) -> list[list[dict[str, Any]]]:
    """Per row, the fired rules strongest first, with their explanation filled in (titles,
    explanations and actions in ``lang``, English by default).

    Each rule's explanation is filled for the rows it fired on, from columns taken out of
    the frame once; healthy customers cost nothing.
    """
    lang = lang or language()
    fired = np.flatnonzero(result.fired.any(axis=0)).tolist()
    details = {index: _details(result, index, lang) for index in fired}
    titles = [lang.rule_text(rule, "title") for rule in result.rules]
    actions = [lang.rule_text(rule, "action") for rule in result.rules]
    weights = [round(float(w), 1) for w in result.weights]
    fitted = [bool(f) for f in result.weight_fitted]
    rows, columns = result.signal_order()
    contributions = np.round(result.contributions[rows, columns], DECIMALS).tolist()
    signals: list[list[dict[str, Any]]] = [[] for _ in range(len(result.customers))]
    for row, index, contribution in zip(
        rows.tolist(), columns.tolist(), contributions, strict=True
    ):
        rule = result.rules[index]
        signals[row].append(
            {
                "id": rule.id,
                "title": titles[index],
                "weight": weights[index],
                "weight_fitted": fitted[index],
                "contribution": contribution,
                "detail": details[index][row],
                "action": actions[index],
            }
        )
    return signals


def _details(result: ScanResult, index: int, lang: Language) -> dict[int, str]:
    """The rule's explanation for every row it fired on, filled column by column."""
    template = lang.rule_text(result.rules[index], "explain")
    rows = np.flatnonzero(result.fired[:, index])
    numbers: dict[str, np.ndarray] = {}
    texts: dict[str, list[str]] = {}
    for field in set(template_fields(template)):
        values = _template_values(result.customers, field)[rows]
        if field in CATEGORY_FEATURES:
            texts[field] = [MISSING if _missing(v) else str(v) for v in values.tolist()]
        elif field in DATE_FEATURES:
            texts[field] = _dates(values, lang)
        else:
            numbers[field] = values
    filled = fill_rows(template, numbers, texts, len(rows), lang.words)
    return dict(zip(rows.tolist(), filled, strict=True))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _dates(days: np.ndarray, lang: Language) -> list[str]:
    """Day numbers as the language writes dates, each distinct day once; '–' where missing."""
    distinct, where = np.unique(days, return_inverse=True, equal_nan=True)
    shown = [MISSING if math.isnan(day) else lang.date(int(day)) for day in distinct.tolist()]
    return np.asarray(shown, dtype=object)[where.reshape(-1)].tolist()


def _template_values(customers: pd.DataFrame, field: str) -> np.ndarray:
    if field not in customers:  # a feature this data cannot provide
        return np.full(len(customers), np.nan)
    if field in CATEGORY_FEATURES:
        return np.asarray(customers[field].astype(object).to_numpy())
    return customers[field].to_numpy(dtype=np.float64)


def feature_array(result: ScanResult, name: str) -> pa.Array:
    """A feature as machine output shows it; all null when its source is absent."""
    frame = result.customers
    if name not in frame:
        return pa.nulls(len(frame), pa.date32() if name in DATE_FEATURES else pa.float64())
    return output_array(name, frame[name])


def output_array(name: str, column: pd.Series) -> pa.Array:
    """One feature column as machine output shows it: dates, whole counts, rounded decimals,
    null where missing (converted without a loop in Python)."""
    values = column.to_numpy(dtype=np.float64)
    missing = ~np.isfinite(values)  # JSON has no NaN or Infinity: such a value is null
    filled = np.where(missing, 0, values)
    if name in DATE_FEATURES:
        return pa.array(filled.astype("datetime64[D]"), mask=missing)
    if FEATURES[name].unit in WHOLE_UNITS and np.all(np.mod(filled, 1) == 0):
        return pa.array(filled.astype(np.int64), mask=missing)
    return pa.array(np.round(filled, DECIMALS), mask=missing)


def output_values(result: ScanResult, name: str) -> list[Any]:
    """The same as plain JSON values: ISO date strings, ints, floats and None."""
    values = feature_array(result, name).to_pylist()
    if name in DATE_FEATURES:
        return [None if day is None else day.isoformat() for day in values]
    return values


def feature_columns(result: ScanResult) -> dict[str, list[Any]]:
    """Features as machine output shows them: ISO dates, whole counts, rounded, None."""
    return {name: output_values(result, name) for name in result.feature_names}


def identity_columns(result: ScanResult, lang: Language | None = None) -> dict[str, list[Any]]:
    """Who each row is, how at risk and why at heart, column by column (the history in
    words in ``lang``)."""
    frame = result.customers
    labels = np.array(Severity.labels())
    columns: dict[str, list[Any]] = {
        "customer_id": frame["customer_id"].tolist(),
        "name": _texts(frame, "name"),
        "segment": _texts(frame, "segment"),
        "owner": _texts(frame, "owner"),
        "email": _texts(frame, "email"),
        "risk": np.round(frame["risk"].to_numpy(dtype=float), DECIMALS).tolist(),
        "severity": labels[frame["severity"].to_numpy(dtype=np.int64)].tolist(),
        "phase": _texts(frame, "phase"),
    }
    if "change" in frame:  # --since-last: the change since the previous recorded run
        columns["change"] = [value or None for value in frame["change"].tolist()]
        columns["previous_risk"] = _numbers(frame["previous_risk"])
    columns["base_risk"] = _numbers(frame["base_risk"])
    columns["history"] = history_reasons(frame, lang or language()).to_pylist()
    return columns


def history_reasons(frame: pd.DataFrame, lang: Language | None = None) -> pa.Array:
    """The customer's own history in words, what the base risk rests on: "one order only,
    212 days ago", "usually orders every 30 days, none for 95 days", "12 order days, the latest
    5 days ago" (whole columns at once, from the catalog's ``history`` sentences)."""
    lang = lang or language()
    values = {
        "since": _whole(frame["days_since_last_order"]),
        "gap": _whole(frame["typical_gap_days"]),
        "days": _whole(frame["order_days"]),
    }
    single, rhythm, plain = (
        _sentences(lang.t(f"history.{key}"), values) for key in ("single", "rhythm", "plain")
    )
    one = pa.array(frame["order_days"].to_numpy() <= 1)
    gap_known = pc.is_valid(values["gap"])
    return pc.if_else(one, single, pc.if_else(gap_known, rhythm, plain))


def _sentences(template: str, values: dict[str, pa.Array]) -> pa.Array:
    """A template such as ``"none for {since:day/days}"`` filled for every row at once: each
    field is a whole number, followed by the noun in the singular or plural when given."""
    parts: list[pa.Array | str] = []
    for literal, field, spec, _ in string.Formatter().parse(template):
        parts.append(literal)
        if field is None:
            continue
        whole = values[field]
        parts.append(whole)
        if spec:
            singular, plural = noun_forms(spec)
            parts += [" ", pc.if_else(pc.equal(whole, "1"), singular, plural)]
    return pc.binary_join_element_wise(*parts, "")


def _whole(column: pd.Series) -> pa.Array:
    """Whole numbers as text ('147'), null where missing."""
    values = column.to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    return pa.array(np.where(missing, 0, np.round(values)).astype(np.int64), mask=missing).cast(
        pa.string()
    )


BATCH = 20_000
"""Customers turned into records at a time when streaming: memory stays flat."""


def record_batches(
    result: ScanResult, size: int = BATCH, lang: Language | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The records of ``to_records`` in batches of ``size`` customers, in rank order."""
    total = len(result.customers)
    for start in range(0, total, size):
        part = result.rows(np.arange(start, min(start + size, total)))
        yield to_records(part, first_rank=start + 1, lang=lang)


def to_records(
    result: ScanResult, first_rank: int = 1, lang: Language | None = None
) -> list[dict[str, Any]]:
    """Plain JSON-ready dicts in rank order (what JSON, NDJSON and the table show)."""
    identity = identity_columns(result, lang)
    features = feature_columns(result)
    reasons = signals(result, lang)
    count = len(result.customers)
    keys = ["rank", *identity, "signals", "features"]
    ranks = range(first_rank, first_rank + count)
    # dict(zip(...)) row by row builds each record in C; the keys keep their order.
    by_feature = _rows_of(features, count)
    return [
        dict(zip(keys, (*row, signal, named), strict=True))
        for row, signal, named in zip(
            zip(ranks, *identity.values(), strict=True), reasons, by_feature, strict=True
        )
    ]


def _rows_of(columns: dict[str, list[Any]], count: int) -> list[dict[str, Any]]:
    """Column lists as one dict per row."""
    names = list(columns)
    if not names:
        return [{} for _ in range(count)]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _numbers(column: pd.Series) -> list[float | None]:
    """Rounded, None where missing (JSON has no NaN)."""
    values = np.round(column.to_numpy(dtype=float), DECIMALS)
    return [v if np.isfinite(v) else None for v in values.tolist()]


def _texts(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame:
        return [None] * len(frame)
    return [None if pd.isna(v) else str(v) for v in frame[column].tolist()]
