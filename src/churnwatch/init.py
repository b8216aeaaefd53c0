"""``churnwatch init``: look at an exports folder and propose a ``churnwatch.toml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from churnwatch.config import CONFIG_NAME, check_exports_folder, parse_config
from churnwatch.dates import ISO_FORMAT, detect_date_format
from churnwatch.errors import ChurnwatchError, InputError, OutputError
from churnwatch.numbers import detect_number_format
from churnwatch.output import write_atomically
from churnwatch.recognise import canonical_value, map_columns, source_score
from churnwatch.schema import SOURCES, Kind
from churnwatch.sniff import Head, first_undecodable, inspect_head

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
    decimal: str = "."
    thousands: str = ""
    date_format: str = ISO_FORMAT
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
                        f" assumed {p.date_format}, check date_format",
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
                "delimiter": p.head.delimiter,
                "decimal": p.decimal,
                "thousands": p.thousands,
                "date_format": p.date_format,
                "columns": p.columns,
            }
            if p.values:
                entry["values"] = p.values
            sources[name] = entry
        return {"windows": {"recent_days": 90, "baseline_days": 365}, "sources": sources}


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
    proposal = SourceProposal(name, file, head, encoding, columns)
    schema = SOURCES[name]
    numbers = _samples(
        head,
        [columns[c.name] for c in schema.columns if c.kind is Kind.NUMBER and c.name in columns],
    )
    dates = _samples(
        head, [columns[c.name] for c in schema.columns if c.kind is Kind.DATE and c.name in columns]
    )
    proposal.decimal, proposal.thousands = detect_number_format(numbers)
    best, others = detect_date_format(dates)
    proposal.date_format = best or ISO_FORMAT
    proposal.ambiguous_dates = others
    for column in schema.columns:
        if column.vocabulary and column.name in columns:
            _propose_values(proposal, column.name, _samples(head, [columns[column.name]]))
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


def _samples(head: Head, headers: list[str]) -> list[str]:
    positions = [head.header.index(h) for h in headers]
    return [row[i] for row in head.rows for i in positions if i < len(row)]


def refuse_overwrite(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise OutputError(f"{target}: already exists; use --force to overwrite it")


def write_proposal(proposal: Proposal, force: bool) -> Path:
    """Write ``EXPORTS/churnwatch.toml``; an existing one only with ``force``."""
    target = proposal.folder / CONFIG_NAME
    refuse_overwrite(target, force)
    if "orders" not in proposal.sources:
        raise InputError(
            f"{proposal.folder}: no file looks like an orders export"
            " (customer, date and amount columns); nothing written"
        )
    document = proposal.to_toml()
    parse_config(document, target)  # what we write must load
    text = _HEADER + tomli_w.dumps(document)
    write_atomically(target, text.encode("utf-8"))
    return target


_HEADER = """\
# churnwatch configuration, proposed by `churnwatch init`.
# Check the column mapping and the value lists, then run `churnwatch validate` on this folder.
# Reference: see the README section "Configuration".

"""
