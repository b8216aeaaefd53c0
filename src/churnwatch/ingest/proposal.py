"""Look at an exports folder and propose a ``churnwatch.toml`` (what ``init`` writes)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from churnwatch.config import (
    CONFIG_NAME,
    Lifecycle,
    Risk,
    Windows,
    check_exports_folder,
    parse_config,
)
from churnwatch.core.dialect import Dialect
from churnwatch.core.errors import ChurnwatchError, InputError, OutputError
from churnwatch.core.sources import SOURCES
from churnwatch.ingest.recognise import canonical_value, map_columns, source_score
from churnwatch.ingest.sniff import Head, detect_dialect, first_undecodable, inspect_head

MIN_SOURCE_SCORE = 1.0
MAX_DISTINCT_VALUES = 50


@dataclass
class SourceProposal:
    """What ``init`` found for one source."""

    source: str
    file: str
    head: Head
    encoding: str | None
    """None: plain ASCII, left to detection."""
    columns: dict[str, str]
    dialect: Dialect
    ambiguous_dates: list[str] = field(default_factory=list)
    values: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    unknown_values: dict[str, list[str]] = field(default_factory=dict)

    @property
    def unmapped_headers(self) -> list[str]:
        return [h for h in self.head.header if h not in self.columns.values()]

    @property
    def missing_required(self) -> list[str]:
        return [c for c in SOURCES[self.source].required_columns if c not in self.columns]


@dataclass
class Proposal:
    folder: Path
    sources: dict[str, SourceProposal]
    unrecognised: list[str]

    def remarks(self) -> list[tuple[str, str]]:
        """``(level, text)`` for everything the user should check or fill in by hand."""
        found: list[tuple[str, str]] = []
        for name, p in self.sources.items():
            found += [
                (
                    "warning",
                    f"{name}: no column recognised as '{column}'; set sources.{name}"
                    f".columns.{column}",
                )
                for column in p.missing_required
            ]
            if p.ambiguous_dates:
                found.append(
                    (
                        "note",
                        f"{name}: dates could also be {', '.join(p.ambiguous_dates)};"
                        f" assumed {p.dialect.date_format}, check date_format",
                    )
                )
            found += [
                (
                    "note",
                    f"{name}.{column}: values not recognised: {', '.join(values)}; list"
                    f" them under sources.{name}.values.{column}",
                )
                for column, values in p.unknown_values.items()
            ]
        found += [("note", f"{file}: not recognised as any source") for file in self.unrecognised]
        found += [
            ("note", f"no {name} export found") for name in SOURCES if name not in self.sources
        ]
        return found

    def to_toml(self) -> dict[str, Any]:
        sources: dict[str, Any] = {}
        for name, p in self.sources.items():
            entry: dict[str, Any] = {"path": p.file}
            if p.encoding:
                entry["encoding"] = p.encoding
            entry |= {
                "delimiter": p.dialect.delimiter,
                "decimal": p.dialect.decimal,
                "thousands": p.dialect.thousands,
                "date_format": p.dialect.date_format,
                "columns": p.columns,
            }
            if p.values:
                entry["values"] = p.values
            sources[name] = entry
        return {
            "windows": Windows().model_dump(),
            "risk": Risk().model_dump(),
            "lifecycle": Lifecycle().model_dump(),
            "sources": sources,
        }


def propose(folder: Path) -> Proposal:
    """Recognise each CSV file in ``folder`` as a source and map its columns."""
    check_exports_folder(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".csv", ".txt", ".tsv"})
    heads: dict[str, Head] = {}
    encodings: dict[str, str | None] = {}
    unrecognised = []
    for path in files:
        try:
            head = inspect_head(path, None, None)
        except ChurnwatchError:
            unrecognised.append(path.name)
            continue
        heads[path.name] = head
        encodings[path.name] = whole_file_encoding(path, head.encoding)
    assigned = _assign_sources(heads)
    unrecognised += sorted(set(heads) - {file for file in assigned.values()})
    sources = {
        name: _propose_source(name, file, heads[file], encodings[file])
        for name, file in sorted(assigned.items(), key=lambda item: list(SOURCES).index(item[0]))
    }
    return Proposal(folder, sources, sorted(unrecognised))


def whole_file_encoding(path: Path, sniffed: str) -> str | None:
    """The encoding to write into the config, checked over the whole file.

    ``None`` for plain ASCII: naming no encoding keeps the loader's own detection, with its
    cp1252 fallback, for the day a later export contains an umlaut.
    """
    if sniffed != "utf-8":
        return sniffed
    if first_undecodable(path, "ascii") is None:
        return None
    return sniffed if first_undecodable(path, "utf-8") is None else "cp1252"


def _assign_sources(heads: dict[str, Head]) -> dict[str, str]:
    """Best file per source, each file used once, best-scoring pairs first."""
    scored = sorted(
        (
            (source_score(file, head.header, source), file, source)
            for file, head in heads.items()
            for source in SOURCES
        ),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    assigned: dict[str, str] = {}
    for score, file, source in scored:
        if score >= MIN_SOURCE_SCORE and source not in assigned and file not in assigned.values():
            assigned[source] = file
    return assigned


def _propose_source(name: str, file: str, head: Head, encoding: str | None) -> SourceProposal:
    columns = map_columns(head.header, name)
    schema = SOURCES[name]
    detected, others = detect_dialect(head, schema, columns)
    dialect = replace(detected, encoding=encoding or "ASCII")
    proposal = SourceProposal(name, file, head, encoding, columns, dialect, others)
    for column in schema.columns:
        if column.vocabulary and column.name in columns:
            _propose_values(proposal, column.name, head.samples([columns[column.name]]))
    return proposal


def _propose_values(proposal: SourceProposal, column: str, samples: list[str]) -> None:
    distinct = sorted({s.strip() for s in samples if s.strip()})[:MAX_DISTINCT_VALUES]
    meanings = {raw: canonical_value(raw, column) for raw in distinct}
    vocabulary = SOURCES[proposal.source].column(column).vocabulary
    mapping = {
        value: [raw for raw, meaning in meanings.items() if meaning == value]
        for value in vocabulary
    }
    unknown = [raw for raw, meaning in meanings.items() if meaning is None]
    if any(mapping.values()):
        proposal.values[column] = {k: v for k, v in mapping.items() if v}
    if unknown:
        proposal.unknown_values[column] = unknown


def refuse_overwrite(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise OutputError(f"{target}: already exists; use --force to overwrite it")


def config_text(proposal: Proposal) -> str:
    """The proposed ``churnwatch.toml``, checked to load as it is."""
    target = proposal.folder / CONFIG_NAME
    if "orders" not in proposal.sources:
        raise InputError(
            f"{proposal.folder}: no file looks like an orders export"
            " (customer, date and amount columns); nothing written"
        )
    document = proposal.to_toml()
    parse_config(document, target)  # what we write must load
    return _HEADER + tomli_w.dumps(document)


_HEADER = """\
# churnwatch configuration, proposed by `churnwatch init`.
# Check the column mapping and the value lists, then run `churnwatch validate` on this folder.
# Reference: see the README section "Configuration reference"; [risk] and [lifecycle] below are
# the defaults, written out so that they can be changed.

"""
