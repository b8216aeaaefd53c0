"""The scan result as plain records: what JSON, NDJSON, CSV and the table show.

Here values become what people and machines read: ISO dates, whole counts, rounded decimals,
and each fired rule's explanation filled in from the customer's features.
"""

from __future__ import annotations

import itertools
import math
import string
from collections.abc import Collection, Iterator
from dataclasses import dataclass
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
from churnwatch.rules.catalog import Rule, template_fields
from churnwatch.rules.wording import MISSING, each_distinct, fill_rows, noun_forms

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


@dataclass(frozen=True)
class Signals:
    """Every fired rule of every row as columns: by row, the largest contribution first.

    The explanations are filled rule by rule on whole columns; outputs join them per row
    with Arrow (CSV) or turn them into records (JSON), without a Python loop per signal for
    the former."""

    rules: list[Rule]
    rule: np.ndarray
    """Per signal: the index of its rule in ``rules``."""
    contribution: np.ndarray
    detail: pa.Array
    """Per signal: the explanation (Arrow text)."""
    offsets: np.ndarray
    """Row ``i``'s signals are ``offsets[i]:offsets[i + 1]``."""
    titles: list[str]
    actions: list[str]

    def joined(self, values: pa.Array, separator: str) -> pa.Array:
        """Per row, its signals' ``values`` joined with ``separator`` ('' for none)."""
        lists = pa.ListArray.from_arrays(pa.array(self.offsets, pa.int32()), values)
        return pc.binary_join(lists, separator)

    def first(self, values: list[str]) -> pa.Array:
        """Per row, ``values`` of its strongest signal ('' for none)."""
        present = self.offsets[1:] > self.offsets[:-1]
        chosen = np.full(len(present), "", dtype=object)
        strongest = self.rule[self.offsets[:-1][present]]
        chosen[present] = np.asarray(values, dtype=object)[strongest]
        return pa.array(chosen, pa.string())


def signal_columns(result: ScanResult, lang: Language | None = None) -> Signals:
    """The fired rules of every row, strongest first, explained in ``lang`` (default
    English); healthy customers cost nothing."""
    lang = lang or language()
    rows, rules = result.signal_order()
    fired = np.unique(rules).tolist()
    where = [np.flatnonzero(rules == index) for index in fired]  # in row order, as _details
    detail = _placed([_details(result, index, lang) for index in fired], where, len(rows))
    contribution = np.round(result.contributions[rows, rules], DECIMALS)
    counts = np.bincount(rows, minlength=result.count)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return Signals(
        result.rules,
        rules,
        contribution,
        detail,
        offsets,
        [lang.rule_text(rule, "title") for rule in result.rules],
        [lang.rule_text(rule, "action") for rule in result.rules],
    )


def _placed(parts: list[pa.Array], where: list[np.ndarray], size: int) -> pa.Array:
    """One text array of ``size`` with ``parts[k]`` at the positions ``where[k]``."""
    if not parts:
        return pa.array([], pa.string())
    position = np.concatenate(where)
    source = np.empty(size, dtype=np.int64)
    source[position] = np.arange(size)
    return pa.concat_arrays(parts).take(pa.array(source))


def signals(result: ScanResult, lang: Language | None = None) -> list[list[dict[str, Any]]]:
    """Per row, the fired rules strongest first, as records (titles, explanations and
    actions in ``lang``, English by default)."""
    table = signal_columns(result, lang)
    weights = [round(float(w), 1) for w in result.weights]
    fitted = [bool(f) for f in result.weight_fitted]
    records = [
        {
            "id": table.rules[index].id,
            "title": table.titles[index],
            "weight": weights[index],
            "weight_fitted": fitted[index],
            "contribution": contribution,
            "detail": detail,
            "action": table.actions[index],
        }
        for index, contribution, detail in zip(
            table.rule.tolist(), table.contribution.tolist(), table.detail.to_pylist(), strict=True
        )
    ]
    bounds = table.offsets.tolist()
    return [records[begin:end] for begin, end in itertools.pairwise(bounds)]


def _details(result: ScanResult, index: int, lang: Language) -> pa.Array:
    """The rule's explanation for every row it fired on (in row order), filled column by
    column."""
    template = lang.rule_text(result.rules[index], "explain")
    rows = np.flatnonzero(result.fired[:, index])
    numbers: dict[str, np.ndarray] = {}
    texts: dict[str, pa.Array] = {}
    for field in set(template_fields(template)):
        values = _template_values(result.customers, field)[rows]
        if field in CATEGORY_FEATURES:
            texts[field] = _categories(values)
        elif field in DATE_FEATURES:
            texts[field] = _dates(values, lang)
        else:
            numbers[field] = values
    return fill_rows(template, numbers, texts, len(rows), lang.words)


def is_missing(value: object) -> bool:
    """No value: None, NaN, or pandas' NA (an empty text cell of the master data, which
    ``str`` would show as '<NA>')."""
    if value is None or isinstance(value, str):
        return value is None
    if isinstance(value, float):
        return math.isnan(value)
    import pandas as pd

    return value is pd.NA or value is pd.NaT


def _dates(days: np.ndarray, lang: Language) -> pa.Array:
    """Day numbers as the language writes dates; '–' where missing."""
    return each_distinct(
        days, lambda distinct: [MISSING if math.isnan(d) else lang.date(int(d)) for d in distinct]
    )


def _categories(values: np.ndarray) -> pa.Array:
    """Category values as text; '–' where missing."""
    return each_distinct(
        values, lambda distinct: [MISSING if is_missing(v) else str(v) for v in distinct]
    )


def _template_values(customers: pd.DataFrame, field: str) -> np.ndarray:
    if field not in customers:  # a feature this data cannot provide
        return np.full(len(customers), np.nan)
    if field in CATEGORY_FEATURES:
        return np.asarray(customers[field].astype(object).to_numpy())
    return customers[field].to_numpy(dtype=np.float64)


def whole_features(result: ScanResult) -> frozenset[str]:
    """The features machine output writes as whole numbers: a whole unit, and no value with a
    fraction anywhere in ``result``. Decided once for a list written in batches, so that a
    column does not turn from ``8`` to ``8.0`` (or to ``"8"`` in German CSV) between them."""
    frame = result.unranked
    return frozenset(
        name
        for name in result.feature_names
        if name in frame
        and FEATURES[name].unit in WHOLE_UNITS
        and _all_whole(frame[name].to_numpy(dtype=np.float64))
    )


def _all_whole(values: np.ndarray) -> bool:
    """No value with a fraction (a comparison with NaN is false; infinity is its own floor)."""
    return not bool(np.any(np.floor(values) < values))


def feature_array(result: ScanResult, name: str, whole: Collection[str] | None = None) -> pa.Array:
    """A feature as machine output shows it; all null when its source is absent. ``whole``:
    the :func:`whole_features` of the whole list ``result`` is a batch of (None: of
    ``result``)."""
    frame = result.customers
    if name not in frame:
        return pa.nulls(len(frame), pa.date32() if name in DATE_FEATURES else pa.float64())
    return output_array(name, frame[name], None if whole is None else name in whole)


def output_array(name: str, column: pd.Series, whole: bool | None = None) -> pa.Array:
    """One feature column as machine output shows it: dates, whole counts, rounded decimals,
    null where missing (converted without a loop in Python). ``whole``: written as whole
    numbers (None: when its unit is whole and so are all its values here)."""
    values = column.to_numpy(dtype=np.float64)
    missing = ~np.isfinite(values)  # JSON has no NaN or Infinity: such a value is null
    filled = np.where(missing, 0, values)
    if name in DATE_FEATURES:
        return pa.array(filled.astype("datetime64[D]"), mask=missing)
    if whole is None:
        whole = FEATURES[name].unit in WHOLE_UNITS and _all_whole(filled)
    if whole:
        return pa.array(filled.astype(np.int64), mask=missing)
    # + 0.0: a change that rounds to nothing is 0, not -0 (which IEEE keeps from -0.00001)
    return pa.array(np.round(filled, DECIMALS) + 0.0, mask=missing)


def output_values(result: ScanResult, name: str, whole: Collection[str] | None = None) -> list[Any]:
    """The same as plain JSON values: ISO date strings, ints, floats and None."""
    values = feature_array(result, name, whole).to_pylist()
    if name in DATE_FEATURES:
        return [None if day is None else day.isoformat() for day in values]
    return values


def feature_columns(
    result: ScanResult, whole: Collection[str] | None = None
) -> dict[str, list[Any]]:
    """Features as machine output shows them: ISO dates, whole counts, rounded, None."""
    return {name: output_values(result, name, whole) for name in result.feature_names}


def identity_columns(result: ScanResult, lang: Language | None = None) -> dict[str, list[Any]]:
    """:func:`identity_arrays` as Python lists (for records)."""
    return {name: values.to_pylist() for name, values in identity_arrays(result, lang).items()}


def identity_arrays(result: ScanResult, lang: Language | None = None) -> dict[str, pa.Array]:
    """Who each row is, how at risk and why at heart, column by column (the history in
    words in ``lang``): text, rounded numbers, null where missing."""
    frame = result.customers
    labels = np.array(Severity.labels(), dtype=object)
    columns: dict[str, pa.Array] = {
        "customer_id": _texts(frame, "customer_id"),
        "name": _texts(frame, "name"),
        "segment": _texts(frame, "segment"),
        "owner": _texts(frame, "owner"),
        "email": _texts(frame, "email"),
        "risk": _numbers(frame["risk"]),
        "severity": pa.array(labels[frame["severity"].to_numpy(dtype=np.int64)], pa.string()),
        "phase": _texts(frame, "phase"),
    }
    if "change" in frame:  # --since-last: the change since the previous recorded run
        change = _texts(frame, "change")  # '' (off the warning list both times) is null
        columns["change"] = pc.if_else(pc.equal(change, ""), pa.scalar(None, pa.string()), change)
        columns["previous_risk"] = _numbers(frame["previous_risk"])
    columns["base_risk"] = _numbers(frame["base_risk"])
    columns["history"] = history_reasons(frame, lang or language())
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
    total = result.count
    whole = whole_features(result)
    for start in range(0, total, size):
        part = result.rows(slice(start, min(start + size, total)))
        yield to_records(part, first_rank=start + 1, lang=lang, whole=whole)


def to_records(
    result: ScanResult,
    first_rank: int = 1,
    lang: Language | None = None,
    whole: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Plain JSON-ready dicts in rank order (what JSON, NDJSON and the table show); ``whole``
    as for :func:`feature_array`."""
    identity = identity_columns(result, lang)
    features = feature_columns(result, whole)
    reasons = signals(result, lang)
    count = result.count
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


def _numbers(column: pd.Series) -> pa.Array:
    """Rounded, null where missing (JSON has no NaN)."""
    values = np.round(column.to_numpy(dtype=float), DECIMALS)
    missing = ~np.isfinite(values)
    return pa.array(np.where(missing, 0.0, values), mask=missing)


def _texts(frame: pd.DataFrame, column: str) -> pa.Array:
    """Text, null where missing (or where the export has no such column)."""
    if column not in frame:
        return pa.nulls(len(frame), pa.string())
    values = frame[column]
    if isinstance(values.dtype, pd.CategoricalDtype):  # the phase: a few words, many rows
        codes = values.cat.codes.to_numpy()
        words = _text_array(values.cat.categories.to_numpy(dtype=object))
        return words.take(pa.array(codes, mask=codes < 0))
    return _text_array(values.astype(object).to_numpy())


def _text_array(values: np.ndarray) -> pa.Array:
    if _all_text(values):
        return pa.array(values, pa.string(), from_pandas=True)
    return pa.array([None if pd.isna(v) else str(v) for v in values.tolist()], pa.string())


def _all_text(values: np.ndarray) -> bool:
    return bool(pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"))
