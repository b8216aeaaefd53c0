"""``churnwatch.toml``: pydantic models, lookup and error messages that name the key path."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from churnwatch.dates import validate_date_format
from churnwatch.errors import ConfigError, InputError
from churnwatch.schema import SOURCES
from churnwatch.suggest import did_you_mean

CONFIG_NAME = "churnwatch.toml"
Severity = Literal["critical", "high", "medium", "low"]


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
    decimal: Literal[".", ","] | None = None
    thousands: Literal[".", ",", " ", "'", "\u00a0", ""] | None = None
    date_format: str | None = None

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
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding '{value}' (try 'utf-8' or 'cp1252')") from None
        return value


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


class Windows(_Strict):
    recent_days: Annotated[int, Field(gt=0, le=3650)] = 90
    baseline_days: Annotated[int, Field(gt=0, le=3650)] = 365


class Scoring(_Strict):
    """Score thresholds of the severity bands (a score at or above the value is in the band)."""

    critical: Annotated[float, Field(gt=0, le=100)] = 70
    high: Annotated[float, Field(gt=0, le=100)] = 50
    medium: Annotated[float, Field(gt=0, le=100)] = 30
    low: Annotated[float, Field(gt=0, le=100)] = 1

    @model_validator(mode="after")
    def _ordered(self) -> Scoring:
        if not self.critical >= self.high >= self.medium >= self.low:
            raise ValueError("thresholds must satisfy critical >= high >= medium >= low")
        return self


class RuleConfig(_Strict):
    """A warning rule as written in TOML; the rules engine gives it meaning."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    title: str | None = None
    when: str | None = None
    weight: Annotated[float, Field(ge=0, le=100)] | None = None
    severity: Severity | None = None
    action: str | None = None
    explain: str | None = None
    enabled: bool = True


class Config(_Strict):
    sources: Sources = Sources()
    windows: Windows = Windows()
    scoring: Scoring = Scoring()
    rules: list[RuleConfig] = Field(default_factory=list)


def find_config(exports: Path, explicit: Path | None) -> Path | None:
    """The config to use: ``--config`` if given (must exist), else the exports folder's own."""
    if explicit is not None:
        if explicit.is_dir():
            raise ConfigError(f"{explicit}: is a folder; --config takes a churnwatch.toml file")
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        return explicit
    check_exports_folder(exports)
    candidate = exports / CONFIG_NAME
    return candidate if candidate.is_file() else None


def check_exports_folder(exports: Path) -> None:
    """The EXPORTS argument must be an existing folder (a common slip: naming a CSV file)."""
    if exports.is_file():
        raise InputError(
            f"{exports}: is a file; pass the folder that contains the exports",
            hint=f"use its folder: {exports.parent}",
        )
    if not exports.is_dir():
        raise InputError(f"{exports}: exports folder not found")


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; ``None`` gives the defaults."""
    if path is None:
        return Config()
    return parse_config(read_toml(path), path)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_toml_position(str(exc))}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (TOML files must be UTF-8)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _toml_position(message: str) -> str:
    """Turn tomllib's '… (at line 7, column 3)' into 'line 7, column 3: …'."""
    match = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", message)
    if not match:
        return message
    text, line, column = match.groups()
    return f"line {line}, column {column}: {text}"


def parse_config(data: dict[str, Any], path: Path) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        messages = [_describe(error) for error in exc.errors()]
        raise ConfigError(f"{path}: " + "\n  ".join(messages)) from None


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    dotted = _dotted(loc)
    if error["type"] == "extra_forbidden":
        known = _fields_at(Config, loc[:-1])
        return f"{dotted}: unknown key{did_you_mean(str(loc[-1]), known)}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("sources."):
        return message
    return f"{dotted}: {message}" if dotted else message


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names a nested model accepts at ``loc``, for suggestions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        is_model = isinstance(current, type) and issubclass(current, BaseModel)
        field = current.model_fields.get(part) if is_model else None
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        current = args[0] if args and isinstance(args[0], type) else annotation
    fields = getattr(current, "model_fields", {})
    return list(fields)
