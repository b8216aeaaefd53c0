"""Look at an exports folder and propose a ``churnwatch.toml`` (what ``init`` writes)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import tomli_w

from churnwatch.config import (
    CONFIG_NAME,
    Lifecycle,
    Risk,
    SourceConfig,
    Windows,
    check_exports_folder,
    parse_config,
)
from churnwatch.core.dialect import PARQUET, Dialect
from churnwatch.core.errors import ChurnwatchError, InputError, OutputError
from churnwatch.core.sources import SOURCES, Kind, Source
from churnwatch.core.spelling import normalise
from churnwatch.core.words import excerpt, inline
from churnwatch.ingest.csv_reader import derivable, export_head, lookalike_headers, whole_column
from churnwatch.ingest.dataset import special_file_error, unread_instead
from churnwatch.ingest.date_text import detect_date_format, parse_days
from churnwatch.ingest.packed import is_export_name, kind_of, packed_names
from churnwatch.ingest.parquet_folder import (
    WRITERS_MARKS,
    folder_candidates,
    is_parquet_folder,
    refuse_parts_as_exports,
    shown,
)
from churnwatch.ingest.recognise import map_columns, other_amount, source_score
from churnwatch.ingest.sniff import Head, ambiguous_numbers, detect_dialect, first_undecodable
from churnwatch.ingest.transcode import mixes_encodings
from churnwatch.ingest.vocabulary import by_meaning, toml_lines, understand

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
    guessed_values: dict[str, list[str]] = field(default_factory=dict)
    """Per column, comment lines on values placed by inference or by their ranks."""
    fixes: dict[str, list[str]] = field(default_factory=dict)
    """Per column with unknown values, the TOML lines to complete."""
    choices: list[str] = field(default_factory=list)
    """Why a column or file was chosen over another that would also have fitted."""
    date_warning: str | None = None
    """Dates were found but no format reads them."""

    @property
    def unmapped_headers(self) -> list[str]:
        return [h for h in self.head.header if h not in self.columns.values()]

    def to_map(self, column: str) -> str:
        """What to map for a missing ``column``: itself, or where the columns it is worked
        out from are there but a date, and an unused header holds dates (payment terms in
        days beside ``Erstellt``, JTL's invoice date), that one too."""
        schema = SOURCES[self.source]
        sources = schema.column(column).derived_from
        needed = [c for c in sources if c not in self.columns]
        if len(needed) != 1 or len(sources) < 2 or schema.column(needed[0]).kind is not Kind.DATE:
            return column
        fitting = [h for h in self.unmapped_headers if _dates_in(self.head, h)]
        if not fitting:
            return column
        have = ", ".join(f"{c} ('{inline(self.columns[c])}')" for c in sources if c in self.columns)
        like = (
            f"'{inline(fitting[0])}'"
            if len(fitting) == 1
            else "one of " + ", ".join(f"'{inline(h)}'" for h in fitting)
        )
        return (
            f"{needed[0]} (e.g. {like}, whose values are dates), from which and {have} it is"
            f" worked out, or sources.{self.source}.columns.{column}"
        )

    def has_samples(self, kind: Kind) -> bool:
        """Whether any mapped column of this kind has a value to detect its format from
        (a customer list has no amounts: its config names no decimal separator) and is
        written as text (a Parquet file's typed dates need no date format)."""
        schema = SOURCES[self.source]
        headers = [h for c, h in self.columns.items() if schema.column(c).kind is kind]
        return self.head.written_as_text(headers)

    @property
    def missing_required(self) -> list[str]:
        """Required columns without a header, but those worked out from others it has (a due
        date from the invoice date and the payment terms)."""
        schema = SOURCES[self.source]
        return [
            c
            for c in schema.required_columns
            if c not in self.columns and not derivable(schema.column(c), self.columns)
        ]


def _dates_in(head: Head, header: str) -> bool:
    """Whether a column's sampled values are dates in one format."""
    values = [v.strip() for v in head.samples([header]) if v.strip()][:200]
    return bool(values) and detect_date_format(values)[0] is not None


@dataclass
class Proposal:
    folder: Path
    sources: dict[str, SourceProposal]
    unrecognised: list[str]
    more_orders: list[str] = field(default_factory=list)
    """Files that look like orders exports as much as the one taken (one per year, say)."""
    near_orders: list[str] = field(default_factory=list)
    """Without an orders export: what each file has of one, and what it lacks."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Files that could not be read at all, with why (a workbook saved as .csv, say)."""

    def remarks(self) -> list[tuple[str, str]]:
        """``(level, text)`` for everything the user should check or fill in by hand."""
        found: list[tuple[str, str]] = []
        for name, p in self.sources.items():
            found += [
                (
                    "warning",
                    f"{name}: no column recognised as '{column}'; set sources.{name}"
                    f".columns.{p.to_map(column)}"
                    + ("" if SOURCES[name].required else _LEFT_DISABLED.format(name=name)),
                )
                for column in p.missing_required
            ]
            found += [("note", f"{name}: {choice}") for choice in p.choices]
            found += [
                (
                    "warning",
                    f"{name}.{column} ← '{inline(header)}', which appears"
                    f" {p.head.header.count(header)} times in the header of {inline(p.file)}:"
                    " rename the copies so it is clear which one is meant (validate stops"
                    " until then)",
                )
                for column, header in p.columns.items()
                if p.head.header.count(header) > 1
            ]
            if p.date_warning:
                found.append(("warning", f"{name}: {p.date_warning}"))
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
                    "warning",
                    f"{name}.{column}: values not understood:"
                    f" {', '.join(repr(excerpt(v)) for v in values)};"
                    f" they count as unknown until listed under [sources.{name}.values.{column}]",
                )
                for column, values in p.unknown_values.items()
            ]
            found += [
                ("note", f"{name}.{column}: {line}")
                for column, lines in p.guessed_values.items()
                for line in lines
            ]
        found += [("note", f"{file}: not recognised as any source") for file in self.unrecognised]
        found += [("warning", f"not read: {why}") for why in self.unreadable.values()]
        taken = self.sources["orders"].file if "orders" in self.sources else ""
        found += [
            (
                "warning",
                f"{file}: another orders export (like {taken}); churnwatch reads one orders"
                " file: put the rows of both into one, or keep the one named by"
                " sources.orders.path",
            )
            for file in self.more_orders
        ]
        found += [("note", self._not_found(name)) for name in SOURCES if name not in self.sources]
        return found

    def _not_found(self, name: str) -> str:
        """No export of a source, and what is there instead under its name, if anything (a
        workbook, an archive, a folder of CSV parts)."""
        unread = unread_instead(self.folder, SOURCES[name], SourceConfig())
        if unread is None:
            return f"no {name} export found"
        return f"no {name} export found: {shown(unread.path)} is {unread.what}: {unread.fix}"

    def to_toml(self) -> dict[str, Any]:
        sources: dict[str, Any] = {}
        for name, p in self.sources.items():
            entry: dict[str, Any] = {"path": p.file}
            if p.missing_required and not SOURCES[name].required:  # would stop every run
                entry["enabled"] = False
            if p.encoding and p.encoding != MIXED:
                entry["encoding"] = p.encoding
            if p.dialect.delimiter:  # none for Parquet
                entry["delimiter"] = p.dialect.delimiter
            if p.has_samples(Kind.NUMBER):
                entry |= {"decimal": p.dialect.decimal, "thousands": p.dialect.thousands}
            if p.has_samples(Kind.DATE):
                entry["date_format"] = p.dialect.date_format
            entry["columns"] = p.columns
            if p.values:
                entry["values"] = p.values
            sources[name] = entry
        return {
            "windows": Windows().model_dump(),
            "risk": Risk().model_dump(),
            "lifecycle": Lifecycle().model_dump(),
            "sources": sources,
        }


_LEFT_DISABLED = (
    " and delete its `enabled = false`: until then the {name} export is not read (every run"
    " would stop at the missing column)"
)


def propose(folder: Path) -> Proposal:
    """Recognise each CSV file in ``folder`` as a source and map its columns."""
    check_exports_folder(folder)
    files = sorted(  # regular files only: a FIFO would block the read forever
        p
        for p in folder.iterdir()
        if (is_export_name(p.name) and _regular_inside(p, folder)) or _parquet_inside(p, folder)
    )
    heads: dict[str, Head] = {}
    plains: dict[str, Path] = {}
    encodings: dict[str, str | None] = {}
    unrecognised: list[str] = []
    unreadable = {  # a named pipe under an export's name: said, as scan says it
        path.name: str(error)
        for path in folder.iterdir()
        if is_export_name(path.name) and (error := special_file_error(path)) is not None
    }
    for path in files:
        name = shown(path)  # a folder of Parquet parts: orders/
        try:
            head, plain = export_head(path)
        except ChurnwatchError as exc:
            unreadable[name] = str(exc)
            continue
        heads[name], plains[name] = head, plain
        parquet = kind_of(plain) == "parquet"
        encodings[name] = None if parquet else whole_file_encoding(plain, head.encoding)
    _check_orders_readable(folder, unreadable)
    assigned, more_orders = _assign_sources(heads, plains)
    if more_orders:  # parts of one table, each taken for an orders export
        refuse_parts_as_exports(folder)
    unrecognised += sorted(set(heads) - {*assigned.values(), *more_orders})
    sources = _proposals(assigned, heads, encodings)
    near = [] if "orders" in assigned else [_what_orders_lack(f, h) for f, h in heads.items()]
    return Proposal(folder, sources, sorted(unrecognised), more_orders, near, unreadable)


def _check_orders_readable(folder: Path, unreadable: dict[str, str]) -> None:
    """An orders export under its own name that cannot be read (damaged, a workbook saved
    under it) is an error, as it is for ``scan``: the invoices, or another file, must not
    silently stand in for it."""
    orders = SOURCES["orders"]
    default = folder / orders.default_file
    folders = [f"{path.name}/" for path in folder_candidates(default)]
    names = [orders.default_file, *packed_names(orders.default_file), *folders]
    for name in names:
        if name in unreadable:
            raise InputError(unreadable[name])
    exports = [folder / name for name in names if (folder / name).is_file()]
    if not exports and (unread := unread_instead(folder, orders, SourceConfig())):
        raise InputError(f"{unread.path}: the orders are {unread.what}: {unread.fix}")


_QUANTITY = re.compile(r"\b(quantity|qty|menge|anzahl|stueck)\b")
_PRICE = re.compile(r"\b(unit ?price|price|preis|einzelpreis|stueckpreis)\b")


def _what_orders_lack(file: str, head: Head) -> str:
    """``Online Retail.csv has customer_id ← CustomerID, order_date ← InvoiceDate, but no
    amount``; with a hint where the amount is a quantity times a price."""
    found = _orders_mapping(head.header)
    missing = [c for c in SOURCES["orders"].required_columns if c not in found]
    if not found:
        return f"{file} has none of them"
    has = ", ".join(f"{c} ← {inline(h)}" for c, h in found.items())
    text = f"{file} has {has}, but no {' or '.join(missing)}"
    names = {h: normalise(h) for h in head.header}
    quantity = next((h for h, n in names.items() if _QUANTITY.search(n)), None)
    price = next((h for h, n in names.items() if _PRICE.search(n)), None)
    if "amount" in missing and quantity and price:
        text += (
            f" (it has {inline(quantity)} and {inline(price)}: add a column with their product,"
            " the line's amount, and map it as amount)"
        )
    return text


def _regular_inside(path: Path, folder: Path) -> bool:
    """A regular file whose real place is inside the folder (not a link out of it)."""
    try:
        return path.is_file() and path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _parquet_inside(path: Path, folder: Path) -> bool:
    """A folder of Parquet parts whose real place is inside the exports folder (checked
    first: a link to a home folder is not searched for parts), not a writer's own."""
    try:
        inside = path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False
    return inside and not path.name.startswith(WRITERS_MARKS) and is_parquet_folder(path)


def whole_file_encoding(path: Path, sniffed: str) -> str | None:
    """The encoding to write into the config, checked over the whole file.

    ``None`` for plain ASCII: naming no encoding keeps the loader's own detection, with its
    cp1252 fallback, for the day a later export contains an umlaut; :data:`MIXED`, which is
    not written either, for UTF-8 with some lines of another encoding.
    """
    if sniffed == "utf-8-sig":  # a BOM, then lines of another encoding: the loader mends
        return sniffed if first_undecodable(path, sniffed) is None else None
    if sniffed != "utf-8":
        return sniffed
    if first_undecodable(path, "ascii") is None:
        return None
    if first_undecodable(path, "utf-8") is None:
        return sniffed
    # UTF-8 with some lines of another encoding (a note pasted from elsewhere): cp1252 would
    # garble every umlaut of the rest; the loader reads such a file line by line, and says so.
    return MIXED if mixes_encodings(path) else "cp1252"


MIXED = "utf-8 with lines of another encoding"
"""What ``init`` shows for a UTF-8 export holding some bytes of another encoding, and
writes no encoding for: the loader reads such a file line by line."""


def _proposals(
    assigned: dict[str, str], heads: dict[str, Head], encodings: dict[str, str | None]
) -> dict[str, SourceProposal]:
    """One proposal per assigned source, in the canonical order. When invoices stand in for
    orders, the same file is a payments source only if it has due and paid dates."""
    orders = assigned.get("orders")
    stand_in = orders is not None and list(assigned.values()).count(orders) > 1
    proposals = {
        name: _propose_source(
            name, file, heads[file], encodings[file], stand_in=stand_in and name == "orders"
        )
        for name, file in sorted(assigned.items(), key=lambda item: list(SOURCES).index(item[0]))
    }
    return {
        name: p
        for name, p in proposals.items()
        if name == "orders" or p.file != orders or not p.missing_required
    }


def _assign_sources(
    heads: dict[str, Head], plains: dict[str, Path]
) -> tuple[dict[str, str], list[str]]:
    """Best file per source, each file used once, best-scoring pairs first; without an orders
    export, a file that has customer, date and amount (an invoice list) serves as orders too.
    Also the files that fit orders best but lost them to another file: an export split in
    two (by year, say) is not a complaints or payments export."""
    scored = sorted(
        (
            (source_score(file, head.header, source), file, source)
            for file, head in heads.items()
            for source in SOURCES
        ),
        # ties: a file before a folder of parts (orders.csv, not an old_orders/ beside it),
        # then by name, orders first
        key=lambda item: (-item[0], item[1].endswith("/"), item[1], item[2] != "orders", item[2]),
    )
    best = {file: source for _, file, source in reversed(scored)}  # each file's best fit
    assigned: dict[str, str] = {}
    more_orders: list[str] = []
    for score, file, source in scored:
        if score < MIN_SOURCE_SCORE or file in assigned.values():
            continue
        if best[file] == "orders" and "orders" in assigned:  # orders too, of another time
            if file not in more_orders:
                more_orders.append(file)
            continue
        if source not in assigned:
            assigned[source] = file
    if more_orders:  # of several orders exports, the one with the latest orders is read
        candidates = [assigned["orders"], *more_orders]
        newest = max(candidates, key=lambda f: _latest_order(heads[f], plains[f]))
        more_orders = [f for f in candidates if f != newest]
        assigned["orders"] = newest
    if "orders" not in assigned and (stand_in := _orders_stand_in(heads, assigned)):
        source, file = stand_in
        if source != "payments":  # only an invoice list serves twice; another file moves
            del assigned[source]
        assigned["orders"] = file
    return assigned, more_orders


def _without_dates(
    head: Head, schema: Source, columns: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """Headers mapped to a date column whose sampled values hold no date at all, with the
    column and an example value."""
    found = {}
    for column, header in columns.items():
        if schema.column(column).kind is not Kind.DATE:
            continue
        values = [v for v in head.samples([header]) if v.strip()]
        if values and detect_date_format(values)[0] is None and not _any_date(values):
            found[header] = (column, values[0])
    return found


def _any_date(values: list[str]) -> bool:
    """Whether a value looks like a date at all (digits around separators), so that a date
    in a format no candidate knows is reported as that, not as 'no dates'."""
    return any(re.search(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", v) for v in values[:50])


def _unrecognised_dates(head: Head, schema: Source, columns: dict[str, str]) -> str | None:
    """An example date when dates exist but no candidate format reads them."""
    headers = [h for c, h in columns.items() if schema.column(c).kind is Kind.DATE]
    values = [v for v in head.samples(headers) if v.strip()]
    if values and detect_date_format(values)[0] is None:
        return values[0]
    return None


def _latest_order(head: Head, plain: Path) -> float:
    """The latest order date of a whole export, as a day number (-inf: none read): the
    sampled first rows of an export of older and newer orders (parts by month, say) show
    only the oldest. Where the file cannot be read, its sampled rows'."""
    column = _orders_mapping(head.header).get("order_date")
    if column is None:
        return -math.inf
    samples = [v.strip() for v in head.samples([column])]
    found = detect_date_format(samples)[0]
    try:
        values = whole_column(plain, head, column)
    except (OSError, pa.ArrowException, ChurnwatchError):
        values = pa.chunked_array([pa.array(samples, pa.string())])
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):  # Parquet's
        days = pc.max(values.cast(pa.date32()).cast(pa.int32())).as_py()
        return -math.inf if days is None else float(days)
    if found is None:
        return -math.inf
    read, valid = parse_days(pc.utf8_trim_whitespace(values.cast(pa.string())), found)
    return float(read[valid].max()) if valid.any() else -math.inf


def _orders_stand_in(heads: dict[str, Head], assigned: dict[str, str]) -> tuple[str, str] | None:
    """``(source, file)``: a file already taken that has every column an order needs. The
    invoices, preferably, which then serve as orders too; any other such file (a generic
    ``data.csv`` taken for complaints) is the orders export, and only that."""
    fits = [
        (source, file)
        for source, file in assigned.items()
        if set(SOURCES["orders"].required_columns) <= set(_orders_mapping(heads[file].header))
    ]
    invoices = [fit for fit in fits if fit[0] == "payments"]
    chosen = invoices or fits
    return chosen[0] if chosen else None


def _orders_mapping(headers: list[str]) -> dict[str, str]:
    """Orders columns in any file: an invoice's date and number stand for the order's."""
    mapping = map_columns(headers, "orders")
    invoice = map_columns(headers, "payments")
    for order_column, invoice_column in (
        ("order_date", "invoice_date"),
        ("order_id", "invoice_id"),
    ):
        if invoice_column in invoice:
            mapping[order_column] = invoice[invoice_column]
    return {c: mapping[c] for c in SOURCES["orders"].column_names if c in mapping}


def _propose_source(
    name: str, file: str, head: Head, encoding: str | None, *, stand_in: bool = False
) -> SourceProposal:
    schema = SOURCES[name]
    columns = _orders_mapping(head.header) if stand_in else map_columns(head.header, name)
    dateless = _without_dates(head, schema, columns)
    if dateless:  # e.g. payment terms in days under a due-date name: look for another column
        usable = [h for h in head.header if h not in dateless]
        columns = _orders_mapping(usable) if stand_in else map_columns(usable, name)
    detected, others = detect_dialect(head, schema, columns)
    parquet = file.lower().endswith((".parquet", "/"))  # a file or a folder of parts
    dialect = replace(
        detected,
        encoding=PARQUET if parquet else encoding or "ASCII",
        delimiter="" if parquet else detected.delimiter,
    )
    proposal = SourceProposal(name, file, head, encoding, columns, dialect, others)
    proposal.choices += [
        f"'{header}' holds no dates (e.g. {excerpt(example)!r}), so it is not used as {column}"
        for header, (column, example) in dateless.items()
    ]
    if assumed := ambiguous_numbers(head, schema, columns, detected):
        proposal.choices.append(assumed)
    if unreadable := _unrecognised_dates(head, schema, columns):
        proposal.date_warning = (
            f"no date format fits the dates (e.g. {excerpt(unreadable)!r}); set date_format by hand"
        )
    if stand_in:
        proposal.choices.append(
            f"no orders export found; each row of {file} counts as an order (its date and"
            " amount), so order rhythm and value come from the invoices"
        )
    for meaning, chosen in columns.items():
        if others := [h for h in lookalike_headers(head.header, chosen) if h != chosen]:
            also = ", ".join(f"'{inline(h)}'" for h in others)
            proposal.choices.append(
                f"{meaning} ← '{inline(chosen)}'; {also} also name{'s' if len(others) == 1 else ''}"
                f" it: check that the mapping takes the one meant"
            )
    alternative = other_amount(head.header, columns)
    if alternative is not None and alternative not in lookalike_headers(
        head.header, columns["amount"]
    ):  # a look-alike of the chosen one is said above
        proposal.choices.append(
            f"amount ← '{columns['amount']}'; '{alternative}' would also fit (net amounts are"
            " preferred over gross, since tax rates change)"
        )
    for column in schema.columns:
        if column.vocabulary and column.name in columns:
            _propose_values(proposal, column.name, head.samples([columns[column.name]]))
    return proposal


def _propose_values(proposal: SourceProposal, name: str, samples: list[str]) -> None:
    distinct = sorted({s.strip() for s in samples if s.strip()})[:MAX_DISTINCT_VALUES]
    column = SOURCES[proposal.source].column(name)
    understanding = understand(distinct, column, header=proposal.columns[name])
    if mapping := understanding.mapping(column.vocabulary):
        proposal.values[name] = mapping
    if understanding.unknown:
        proposal.unknown_values[name] = understanding.unknown
        proposal.fixes[name] = toml_lines(proposal.source, column, understanding)
    guessed = [
        "; ".join(
            f"{', '.join(map(repr, raws))} read as {meaning}"
            for meaning, raws in by_meaning(found).items()
        )
        + f" ({how})"
        for how, found in (
            ("a known word in each", understanding.worded),
            ("inferred: the known values are all on the other side", understanding.inferred),
            ("ranked by the numbers in the values", understanding.ranked),
        )
        if found
    ]
    if guessed:
        proposal.guessed_values[name] = guessed


def refuse_overwrite(target: Path, force: bool) -> None:
    """Never over an existing config without ``force``, and never through a symlink: the
    exports folder is not trusted, and a link would carry the write out of it."""
    if target.is_symlink():
        raise OutputError(f"{target}: is a symlink; remove it, then run init again")
    if target.exists() and not force:
        raise OutputError(f"{target}: already exists; use --force to overwrite it")


def config_text(proposal: Proposal) -> str:
    """The proposed ``churnwatch.toml``, checked to load as it is."""
    target = proposal.folder / CONFIG_NAME
    if "orders" not in proposal.sources:
        lacking = "".join(f"; {text}" for text in proposal.near_orders)
        raise InputError(
            f"{proposal.folder}: no file looks like an orders export"
            f" (customer, date and amount columns){lacking}; nothing written"
        )
    document = proposal.to_toml()
    parse_config(document, target)  # what we write must load
    return _HEADER + _with_value_comments(tomli_w.dumps(document), proposal)


def _with_value_comments(text: str, proposal: Proposal) -> str:
    """Say under each value table which values were guessed, and which are still unknown."""
    for name, p in proposal.sources.items():
        for column in {*p.guessed_values, *p.fixes}:
            header = f"[sources.{name}.values.{column}]"
            comments = [f"# {line}" for line in p.guessed_values.get(column, [])]
            comments += [line for line in p.fixes.get(column, []) if line.startswith("#")]
            if header not in text:  # nothing understood: start the table for the user
                text += f"\n{header}\n"
            text = text.replace(header, "\n".join([header, *comments]), 1)
    return text


_HEADER = """\
# churnwatch configuration, proposed by `churnwatch init`.
# Check the column mapping and the value lists, then run `churnwatch validate` on this folder.
# Reference: see the README section "Configuration reference"; [risk] and [lifecycle] below are
# the defaults, written out so that they can be changed.

"""
