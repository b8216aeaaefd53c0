"""The models of ``churnwatch.toml``: strict, so typos and wrong types are caught."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from churnwatch.core.dialect import Decimal, Thousands, validate_date_format
from churnwatch.core.domain import SeverityName
from churnwatch.core.sources import SOURCES
from churnwatch.core.spelling import normalise
from churnwatch.core.suggest import did_you_mean


class _Strict(BaseModel):
    # strict: TOML is typed, so `critical = true` or `recent_days = "90"` is a mistake.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SourceConfig(_Strict):
    """Where one export lives, how its columns are named and how its text is written."""

    path: str | None = None
    enabled: bool = True
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    decimal: Decimal | None = None
    thousands: Thousands | None = None
    date_format: str | None = None
    cents: bool | None = None
    """The amounts are in cents (divided by 100); unset: where the amount's header says so."""

    @model_validator(mode="after")
    def _two_marks(self) -> SourceConfig:
        if self.decimal is not None and self.decimal == self.thousands:
            raise ValueError(
                f"decimal and thousands are both '{self.decimal}': the decimal mark cannot also"
                ' group the thousands (German numbers: decimal = "," and thousands = ".")'
            )
        return self

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError("must be a single character, e.g. ',' or ';' or '\\t'")
        return value

    @field_validator("date_format")
    @classmethod
    def _known_directives(cls, value: str | None) -> str | None:
        if value is not None:
            validate_date_format(value)
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        import codecs

        if value is not None:
            try:
                info = codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding '{value}' (try 'utf-8' or 'cp1252')") from None
            # rot13, hex or zlib are codecs but not text encodings; utf-7 and the escape
            # codecs turn bytes into surrogates and escapes, not text
            if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_TEXT:
                raise ValueError(f"'{value}' is not a text encoding (try 'utf-8' or 'cp1252')")
        return value


_NOT_TEXT = frozenset({"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna"})


class Sources(_Strict):
    orders: SourceConfig = SourceConfig()
    payments: SourceConfig = SourceConfig()
    complaints: SourceConfig = SourceConfig()
    contacts: SourceConfig = SourceConfig()
    customers: SourceConfig = SourceConfig()

    @model_validator(mode="after")
    def _canonical_names(self) -> Sources:
        for name, source in SOURCES.items():
            _check_mapping(name, getattr(self, name), source.column_names)
        return self

    def get(self, name: str) -> SourceConfig:
        config: SourceConfig = getattr(self, name)
        return config


def _check_mapping(source: str, config: SourceConfig, known: tuple[str, ...]) -> None:
    for column in config.columns:
        if column not in known:
            raise ValueError(
                f"sources.{source}.columns.{column}: not a column of {source}"
                f"{did_you_mean(column, known)}; known: {', '.join(known)}"
            )
    schema = SOURCES[source]
    for column, mapping in config.values.items():
        vocabulary = schema.column(column).vocabulary if column in known else ()
        if not vocabulary:
            with_vocab = [c.name for c in schema.columns if c.vocabulary]
            raise ValueError(
                f"sources.{source}.values.{column}: only {', '.join(with_vocab) or 'no columns'}"
                f" of {source} take a value mapping"
            )
        for value in mapping:
            if value not in vocabulary:
                raise ValueError(
                    f"sources.{source}.values.{column}.{value}: not one of"
                    f" {', '.join(vocabulary)}{did_you_mean(value, vocabulary)}"
                )
        _check_one_meaning(f"sources.{source}.values.{column}", mapping)


def _check_one_meaning(where: str, mapping: dict[str, list[str]]) -> None:
    """A spelling listed under two values (``Telefon`` as inbound and as outbound) is an
    error: the reader compares spellings whatever their case and punctuation, and the last
    list would silently win."""
    meant: dict[str, tuple[str, str]] = {}
    for value, spellings in mapping.items():
        for spelling in spellings:
            earlier, as_written = meant.setdefault(normalise(spelling), (value, spelling))
            if earlier != value:
                raise ValueError(
                    f"{where}: '{spelling}' is listed under {earlier}"
                    f"{f' (as {as_written!r})' if as_written != spelling else ''} and under"
                    f" {value}; keep it under the one it means"
                )


class Windows(_Strict):
    recent_days: Annotated[int, Field(gt=0, le=3650)] = 90
    baseline_days: Annotated[int, Field(gt=0, le=3650)] = 365


class Risk(_Strict):
    """The risk: the probability that a customer places no order within the horizon.

    Severity bands are risk percentages: a risk at or above a band's value is in the band.
    """

    horizon_days: Annotated[int, Field(gt=0, le=3650)] = 90
    critical: Annotated[float, Field(gt=0, le=100)] = 80
    high: Annotated[float, Field(gt=0, le=100)] = 60
    medium: Annotated[float, Field(gt=0, le=100)] = 40
    low: Annotated[float, Field(gt=0, le=100)] = 20
    fit: bool = True
    """Fit the weights on the export's own history when it is long and large enough."""

    @model_validator(mode="after")
    def _ordered(self) -> Risk:
        if not self.critical >= self.high >= self.medium >= self.low:
            raise ValueError("bands must satisfy critical >= high >= medium >= low")
        return self


class Lifecycle(_Strict):
    """Thresholds of the lifecycle phases (see the README section on phases)."""

    initiation_days: Annotated[int, Field(gt=0, le=3650)] = 180
    lost_after_days: Annotated[int, Field(gt=0, le=3650)] = 365
    lost_min_days: Annotated[int, Field(gt=0, le=3650)] = 180
    lost_p_alive: Annotated[float, Field(ge=0, le=1)] = 0.3
    growth: Annotated[float, Field(gt=0)] = 0.2
    decline: Annotated[float, Field(lt=0, ge=-1)] = -0.3
    overdue_ratio: Annotated[float, Field(gt=1)] = 3.0
    returner_days: Annotated[int, Field(gt=0, le=3650)] = 180
    """A customer back from a long lapse is a returner for this many days."""

    @model_validator(mode="after")
    def _ordered(self) -> Lifecycle:
        if self.lost_min_days > self.lost_after_days:
            raise ValueError("lost_min_days must not exceed lost_after_days")
        return self


class Loyal(_Strict):
    """What makes a customer part of the loyal core (``churnwatch loyal``)."""

    min_tenure_days: Annotated[int, Field(gt=0, le=36500)] = 730
    min_order_days: Annotated[int, Field(gt=0)] = 6
    max_overdue_ratio: Annotated[float, Field(gt=0)] = 1.5
    """Steady: the current gap at most this many usual gaps."""
    max_risk: Annotated[float, Field(gt=0, le=100)] = 40
    """Low risk: below this risk in percent (the medium band starts at 40 by default)."""
    top_share: Annotated[float, Field(gt=0, le=1)] = 0.3
    """Valuable: among the top share of active customers by revenue per active year."""


class RuleConfig(_Strict):
    """A warning rule as written in TOML; the rules engine gives it meaning."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    title: Annotated[str, Field(max_length=200)] | None = None
    when: str | None = None
    weight: Annotated[float, Field(ge=0, le=100)] | None = None
    pin: bool = False
    """Use ``weight`` as it is instead of fitting it on the export's own history."""
    severity: SeverityName | None = None
    action: Annotated[str, Field(max_length=500)] | None = None
    explain: Annotated[str, Field(max_length=500)] | None = None
    """Bounded like ``when``: each text is repeated on every customer a rule fires on."""
    enabled: bool = True


Language = Literal["en", "de"]
Tls = Literal["starttls", "ssl", "none"]


class History(_Strict):
    """Where runs are recorded (``--history`` wins over it)."""

    path: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """The SQLite file; relative to the config file's folder."""


class Report(_Strict):
    """The weekly report and the language of everything shown to people."""

    lang: Language = "en"
    currency: str | None = None
    """ISO 4217 code (``EUR``) the amounts are in; without it amounts show without a sign."""
    warn_at: SeverityName = "high"
    """A customer not lost at this severity or above is on the warning list."""
    top: Annotated[int, Field(gt=0, le=1000)] = 15
    """Customers listed in each section of the report."""

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from babel.numbers import list_currencies

        code = value.strip().upper()
        if code not in list_currencies():
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR, USD, CHF)")
        return code


class Email(_Strict):
    """The SMTP server the report is sent through; the password only from the environment
    (``CHURNWATCH_SMTP_PASSWORD``), never from this file."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    host: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    port: Annotated[int, Field(gt=0, lt=65536)] | None = None
    tls: Tls | None = None
    user: Annotated[str, Field(max_length=320)] | None = None
    sender: str | None = Field(default=None, alias="from", max_length=320)


class CustomerIds(_Strict):
    """How customer ids are compared across the exports."""

    ignore_leading_zeros: bool = False
    """``0000010001`` (SAP's FBL5N pads the customer number to ten digits) is ``10001``
    (VA05 does not pad it): customer numbers, perhaps after a prefix (``KD-000017``), read
    whatever their padding. Unset, such ids are two customers, and a warning says so."""


class Config(_Strict):
    sources: Sources = Sources()
    customer_ids: CustomerIds = CustomerIds()
    windows: Windows = Windows()
    risk: Risk = Risk()
    lifecycle: Lifecycle = Lifecycle()
    loyal: Loyal = Loyal()
    history: History = History()
    report: Report = Report()
    email: Email = Email()
    rules: list[RuleConfig] = Field(default_factory=list)
