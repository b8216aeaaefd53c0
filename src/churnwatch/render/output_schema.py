"""The published JSON Schema of ``scan --format json`` (and of each NDJSON line).

Written as pydantic models so the schema is generated, not hand-kept; tests validate real
output against it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from churnwatch.core.domain import Phase, Severity
from churnwatch.features import DATE_FEATURES, FEATURES, VALUE_FEATURES
from churnwatch.render.records import SCHEMA_VERSION


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignalOut(_Closed):
    id: str
    title: str
    weight: float = Field(
        ge=0, le=100, description="percent: the rule's own chance of no order in the horizon"
    )
    weight_fitted: bool = Field(
        description="the weight was fitted on the export's history (else the configured one)"
    )
    contribution: float = Field(ge=0, le=1, description="how much this rule adds to the risk")
    detail: str
    action: str


def _feature_type(name: str) -> Any:
    return dt.date | None if name in DATE_FEATURES else float | None


FeaturesOut = create_model(  # type: ignore[call-overload]
    "FeaturesOut",
    __base__=_Closed,
    **{
        name: (_feature_type(name), Field(None, description=FEATURES[name].description))
        for name in VALUE_FEATURES
    },
)


class CustomerOut(_Closed):
    rank: int = Field(ge=1)
    customer_id: str
    name: str | None
    segment: str | None
    owner: str | None
    email: str | None
    risk: float = Field(ge=0, le=1, description="probability of no order within the horizon")
    severity: Literal[tuple(reversed(Severity.labels()))]  # type: ignore[valid-type]
    phase: Literal[tuple(p.value for p in Phase)]  # type: ignore[valid-type]
    change: Literal["new", "escalated", "unchanged", "recovered", "lost"] | None = Field(
        None,
        description="with --since-last: the change against the previous recorded run (null:"
        " off the warning list both times); absent without --since-last",
    )
    previous_risk: float | None = Field(
        None, ge=0, le=1, description="with --since-last: the risk in the previous recorded run"
    )
    base_risk: float | None = Field(
        ge=0,
        le=1,
        description=(
            "the risk before the warning signals that fired, which add the rest (fitted with"
            " them: where a signal explains a lapse, as lost-customer does, this part is small);"
            " null when there is no model of the order history"
        ),
    )
    history: str = Field(description="the order history the base risk rests on, in words")
    signals: list[SignalOut]
    features: FeaturesOut  # type: ignore[valid-type]


class SourceOut(_Closed):
    name: str
    file: str
    rows: int = Field(ge=0)


class FittedWeights(_Closed):
    weights: Literal["fitted"]
    trained_as_of: list[dt.date] = Field(description="the training cut-offs, latest first")
    training_horizon_days: int = Field(gt=0)
    customers: int = Field(ge=0)
    churners: int = Field(ge=0)


class ConfiguredWeights(_Closed):
    weights: Literal["configured"]
    reason: str | None


class ScanOut(_Closed):
    schema_version: Literal[4] = 4
    as_of: dt.date
    horizon_days: int = Field(gt=0)
    risk_model: FittedWeights | ConfiguredWeights
    sources: list[SourceOut]
    rules_not_applicable: list[str]
    notes: list[str]
    customers: list[CustomerOut]


def scan_schema() -> dict[str, Any]:
    schema = ScanOut.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": f"churnwatch scan output, schema version {SCHEMA_VERSION}",
    }
