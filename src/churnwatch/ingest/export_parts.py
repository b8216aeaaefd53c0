"""Split an export into parts that each hold whole customers: the first step towards exports
larger than memory.

Each source is streamed block by block, and every record goes, byte for byte, into the part
file of its customer (a hash of the id decides), under the export's own header: a part is an
export like any other, which the loader reads with the same dialect sniffing, parsing and
salvage. Beside each part file a map gives the export's line number of every line the part
holds, so the part's messages can name the export's lines. Nothing is held but one block.

Where records end, and which field is the customer's, pyarrow decides, as it does for the
reader: each line of a block is given its number as an extra first field, so the parsed rows
(and the rows pyarrow rejects) say on which line they start, quoted line breaks included.
Rows with the wrong number of fields go to the first part, whose reader reports them; blank
lines go nowhere. A Parquet export is split by rows, its row numbers standing for lines.
"""

from __future__ import annotations

import itertools
import math
import pickle
import re
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, NamedTuple
from uuid import uuid4

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from churnwatch.config import Config, SourceConfig, check_exports_folder
from churnwatch.core.dialect import Dialect
from churnwatch.core.errors import ChurnwatchError, EmptySourceError, InputError
from churnwatch.core.scratch import disk_full
from churnwatch.core.sources import SOURCES, Source
from churnwatch.ingest.csv_reader import (
    MAX_BLOCK,
    check_flat,
    head_notes,
    parquet_columns,
    resolve_columns,
    unraisable_errors,
)
from churnwatch.ingest.customer_ids import DECIMAL_ZEROS, natural_order, unpadded
from churnwatch.ingest.dataset import (
    Dataset,
    left_out,
    load_dataset,
    not_read,
    source_path,
    unread_instead,
)
from churnwatch.ingest.line_numbers import Lines, ends_in_returns
from churnwatch.ingest.packed import kind_of, unpacked
from churnwatch.ingest.parquet_folder import (
    not_parquet,
    parquet_bytes,
    parquet_dataset,
    refuse_no_parts,
)
from churnwatch.ingest.parquet_text import as_text
from churnwatch.ingest.problems import (
    EXAMPLE_CUSTOMERS,
    EXAMPLE_VALUES,
    MAX_LINES,
    Problem,
    Reason,
)
from churnwatch.ingest.sniff import Head, detect_dialect, first_undecodable, inspect_head
from churnwatch.ingest.trailing_fields import of_width

BLOCK = 1 << 23
"""Bytes read at a time; a record longer than a block makes the block grow to hold it."""
PART_BYTES = 64 << 20
"""Bytes of export text per part by default: a part loaded takes a few times its size, so a
worker holds a few hundred megabytes at a time, however large the export."""
LINE = "\x00line"
MARK = 0x02
"""The byte a combining mark's first byte becomes in the ASCII copy of a block that finds its
records (see :func:`combining_marks`)."""
HASH_BASE = 0x100000001B3
"""The FNV prime: a multiplier that spreads the bytes of short keys over 64 bits."""
BYTEWISE = {"utf-8", "utf-8-sig", "utf8", "cp1252", "latin-1", "iso-8859-1", "ascii"}
"""Encodings whose line breaks, quotes and delimiters are single bytes of their own (in the
others, UTF-16 or Shift_JIS, they are not): the others are split from a UTF-8 copy."""


@dataclass(frozen=True)
class SourceParts:
    """One source split: a file per part, and per part the export's line of each line."""

    name: str
    export: Path
    """The source's file as the user named it (what messages name)."""
    files: tuple[Path, ...]
    maps: tuple[Path, ...]
    """Per part, the export's line number (1-based) of each of the part's lines (its header
    lines first); for Parquet, the export's row (0-based) of each of the part's rows."""
    records: tuple[int, ...]
    """Per part, its records (blank lines not counted)."""
    settings: SourceConfig
    """How every part is read: its own file, with the export's column mapping and formats
    (sniffed once, on the export's head: a part's first rows could suggest others)."""
    notes: tuple[Problem, ...] = ()
    """What the export's head showed (columns left unread, dates or numbers that could be
    read another way): said once for the export, not by each part."""

    def exported(self, problem: Problem, part: int) -> Problem:
        """A problem a part's reader found, as in the export: its file, its lines."""
        lines, example_lines = (
            tuple(int(n) for n in self.export_lines(part, np.array(found, dtype=np.int64)))
            for found in (problem.lines, problem.example_lines)
        )
        return replace(problem, file=self.export.name, lines=lines, example_lines=example_lines)

    def export_lines(self, part: int, lines: np.ndarray) -> np.ndarray:
        """The export's line numbers of the part's ``lines`` (1-based, as messages give)."""
        lines = np.asarray(lines, dtype=np.int64)
        if not lines.size:
            return lines
        mapped = np.memmap(self.maps[part], dtype=np.int64, mode="r")  # only the lines asked
        if self.maps[part].suffix == ".rows":  # a row's number counts as its line, as in a CSV
            return np.asarray(mapped[lines - 2]) + 2
        return np.asarray(mapped[lines - 1])


@dataclass(frozen=True)
class ExportParts:
    """An export split into ``parts`` folders under ``folder``, one source at a time."""

    folder: Path
    parts: int
    sources: dict[str, SourceParts]
    problems: list[Problem] = field(default_factory=list)
    """Sources not split: their files are empty."""

    def part(self, index: int) -> Path:
        """The folder of part ``index``: an exports folder of its own."""
        return part_folder(self.folder, index)

    def notes(self) -> list[Problem]:
        """What the sources' heads showed, once for the export."""
        return [note for parts in self.sources.values() for note in parts.notes]

    def column_places(self) -> dict[tuple[str, str], int]:
        """``(source, header) → place`` of each read column in the order the reader converts
        them (the source's columns), for :func:`merged`."""
        return {
            (name, parts.settings.columns[column.name]): place
            for name, parts in self.sources.items()
            for place, column in enumerate(SOURCES[name].columns)
            if column.name in parts.settings.columns
        }

    def with_values(self, values: dict[str, dict[str, dict[str, list[str]]]]) -> ExportParts:
        """The same parts, read with the meanings of category values given (per source, per
        column: meaning → raw values), as the whole export's values decided them."""
        sources = {
            name: replace(
                parts,
                settings=parts.settings.model_copy(
                    update={"values": {**parts.settings.values, **values.get(name, {})}}
                ),
            )
            for name, parts in self.sources.items()
        }
        return replace(self, sources=sources)

    def with_amounts_as_given(self, names: Collection[str]) -> ExportParts:
        """The same parts, the amounts of the sources ``names`` read as they are, not as
        cents: some part of each had amounts with decimals, so the export's are no cents."""
        sources = {
            name: replace(parts, settings=parts.settings.model_copy(update={"cents": False}))
            if name in names
            else parts
            for name, parts in self.sources.items()
        }
        return replace(self, sources=sources)

    def load(self, index: int, config: Config) -> Dataset:
        """Part ``index`` loaded as the export would be, its customers only: its problems
        (and those found later, e.g. when the part is cut at a date) name the export's files
        and lines, and so do its errors."""
        sources = config.sources.model_copy(
            update={name: parts.settings for name, parts in self.sources.items()}
        )
        try:
            settings = config.model_copy(update={"sources": sources})
            dataset = load_dataset(self.part(index), settings, part=True)
        except ChurnwatchError as error:
            raise self._exported_error(error, index) from None
        for name, frame in dataset.sources.items():
            parts = self.sources[name]
            frame.table.path = parts.export
            assert frame.table.layout is not None  # the reader sets it
            frame.table.layout = _ExportLines(frame.table.layout, parts, index)
        problems = [self._exported(problem, index) for problem in dataset.problems]
        return replace(dataset, problems=problems)

    def loaded(self, index: int, config: Config, *, again: bool = False) -> Dataset:
        """Part ``index`` loaded (:meth:`load`) once: the first call keeps what it loaded in
        the scratch folder (private to the run), later calls read that instead of parsing
        the part again; ``again``: load it anew (its settings changed)."""
        kept = self.folder / f"part-{index:05d}.loaded"
        if kept.exists() and not again:
            with kept.open("rb") as handle:
                dataset: Dataset = pickle.load(handle)  # this run wrote it, in its own folder
            return dataset
        dataset = self.load(index, config)
        writing = kept.with_suffix(f".{uuid4().hex}")  # a retried task writes its own file
        with writing.open("wb") as handle:
            pickle.dump(dataset, handle, protocol=pickle.HIGHEST_PROTOCOL)
        writing.replace(kept)
        return dataset

    def _exported(self, problem: Problem, index: int) -> Problem:
        parts = self.sources.get(problem.source)
        return problem if parts is None else parts.exported(problem, index)

    def _exported_error(self, error: ChurnwatchError, index: int) -> ChurnwatchError:
        """``error`` naming the export's files and lines instead of the part's."""
        message = error.message
        for parts in self.sources.values():

            def in_export(found: re.Match[str], parts: SourceParts = parts) -> str:
                if found[1] is None:
                    return str(parts.export)
                return f"{parts.export}:{parts.export_lines(index, np.array([int(found[1])]))[0]}"

            message = re.sub(
                re.escape(str(parts.files[index])) + r"(?::(\d+))?", in_export, message
            )
        if message != error.message:  # a byte offset would be the part's, not the export's
            message = re.sub(r" \(byte [\d,]+\)", "", message)
        kind = InputError if isinstance(error, EmptySourceError) else type(error)
        return kind(message, hint=error.hint)


@dataclass(frozen=True)
class _ExportLines:
    """A part's layout answering with the export's line numbers."""

    part: Lines
    source: SourceParts
    index: int

    def row_lines(self, rows: np.ndarray, parsed_rows: int) -> np.ndarray:
        return self.source.export_lines(self.index, self.part.row_lines(rows, parsed_rows))

    def malformed_lines(self) -> list[int]:
        lines = np.array(self.part.malformed_lines(), dtype=np.int64)
        return [int(line) for line in self.source.export_lines(self.index, lines)]

    def records(self, rows: np.ndarray, parsed_rows: int) -> list[tuple[str, ...]] | None:
        return self.part.records(rows, parsed_rows)

    def repeated(self, rows: np.ndarray, parsed_rows: int, kinds: np.ndarray) -> np.ndarray | None:
        return self.part.repeated(rows, parsed_rows, kinds)


def merged(
    found: list[list[Problem]], columns: Mapping[tuple[str, str], int] | None = None
) -> list[Problem]:
    """The problems the parts found (``found``: each part's, in order), one per kind: where
    several parts found the same (same file, column, reason, words or the wording of their
    counts, and stage), their rows are counted together, the first lines among them named,
    and counted words written again from the sums. Kinds are in the order in which the
    stages found them (see :func:`_in_found_order`; ``columns``: the place of each source's
    read columns, see :meth:`ExportParts.column_places`)."""
    kinds: dict[tuple[object, ...], Problem] = {}
    for problems in found:
        for problem in problems:
            key = _kind(problem)
            known = kinds.get(key)
            kinds[key] = problem if known is None else _together(known, problem)
    order = _in_found_order(
        [[_kind(problem) for problem in problems] for problems in found], columns or {}
    )
    return in_load_order([kinds[key] for key in order])


IN_A_COLUMN = (
    Reason.OTHER_DATE_FORM,
    Reason.ZERO_DATE,
    Reason.PLACEHOLDER_DATE,
    Reason.MISSING_VALUE,
)
"""What the reader says of a column after what its conversion found, in this order; values
it could not read come last."""


def _reader_rank(
    kind: tuple[object, ...], columns: Mapping[tuple[str, str], int]
) -> tuple[int, int]:
    """Where the whole export's reader says a kind, as far as its reason and column tell: what
    it found in the file before any column, then column by column (a reason's place in
    :data:`IN_A_COLUMN` within a column)."""
    source, _, column, code = kind[:4]
    if column is None:
        return -1, 0
    place = columns.get((str(source), str(column)), len(columns))
    if code in (Reason.BAD_DATE, Reason.BAD_NUMBER):
        return place, len(IN_A_COLUMN) + 1
    return place, 1 + IN_A_COLUMN.index(code) if code in IN_A_COLUMN else 0


def _in_found_order(
    sequences: list[list[tuple[object, ...]]], columns: Mapping[tuple[str, str], int]
) -> list[tuple[object, ...]]:
    """The kinds of every part's list in one order that keeps each part's: a part's reader
    reports in the order the whole export's would, so a kind before another in any part is
    before it in the export's list. Kinds that no part orders go in the reader's order
    (:func:`_reader_rank`), then by their earliest place."""
    first: dict[tuple[object, ...], tuple[int, int]] = {}
    before: dict[tuple[object, ...], set[tuple[object, ...]]] = {}
    for sequence in sequences:
        for place, kind in enumerate(sequence):
            rank = (place, len(first))
            first[kind] = min(first.get(kind, rank), rank)
            before.setdefault(kind, set())
        for earlier, later in itertools.pairwise(sequence):
            before[later].add(earlier)
    waiting = {kind: set(earlier) - {kind} for kind, earlier in before.items()}
    order: list[tuple[object, ...]] = []
    while waiting:
        ready = [kind for kind, earlier in waiting.items() if not earlier]
        if not ready:  # parts that disagree (never seen): by earliest place alone
            ready = list(waiting)
        kind = min(ready, key=lambda kind: (_reader_rank(kind, columns), first[kind]))
        order.append(kind)
        del waiting[kind]
        for kinds_before in waiting.values():
            kinds_before.discard(kind)
    return order


SHARED_STEPS = (Reason.REPAIRED, Reason.MISSING_VALUE, Reason.DUPLICATE)
"""The loader's first steps after the reader's; the reader reports the same reasons, so a
problem of these is the loader's only where it says so (``found_by``)."""
LOADER_STEPS = (
    Reason.ORDER_LINES,
    Reason.INVOICE_PARTS,
    Reason.DATE_ORDER,
    Reason.REPEATED_CUSTOMER,
    Reason.ORPHAN,
    Reason.PADDED_IDS,
    Reason.CASE_IDS,
    Reason.SEPARATED_IDS,
)
"""The loader's later steps, which only the loader takes."""
LOAD_STEPS = SHARED_STEPS + LOADER_STEPS
"""The loader's steps after the reader's, in the order it takes them (each over every
source)."""


def in_load_order(problems: list[Problem]) -> list[Problem]:
    """``problems`` in the order the loader of the whole export gives them: the reader's,
    source by source, then each step of the loader's, source by source (a stable sort: the
    order within each stays)."""
    sources = list(SOURCES)

    def step(problem: Problem) -> int:
        loader = problem.found_by == "loader" or problem.code in LOADER_STEPS
        return 1 + LOAD_STEPS.index(problem.code) if loader else 0

    return sorted(problems, key=lambda p: (step(p), sources.index(p.source)))


def _kind(problem: Problem) -> tuple[object, ...]:
    words = problem.wording or problem.message
    where = (problem.source, problem.file, problem.column)
    return (*where, problem.code, words, problem.level, problem.found_by)


CUSTOMER_EXAMPLES = frozenset({Reason.ORPHAN, Reason.REPEATED_CUSTOMER})
"""The problems whose examples are customer ids, which the loader shows in the order of the
ids; any other problem's examples are values, in the order of their rows."""


def _together(known: Problem, more: Problem) -> Problem:
    """Two parts' problem of one kind as one: in line order, their examples too."""
    tally = tuple(a + b for a, b in zip(known.tally, more.tally, strict=True))
    examples, example_lines = _examples_together(known, more)
    return replace(
        known,
        message=known.wording(*tally) if known.wording else known.message,
        count=known.count + more.count,
        lines=tuple(sorted({*known.lines, *more.lines})[:MAX_LINES]),
        examples=examples,
        example_lines=example_lines,
        tally=tally,
    )


def _examples_together(known: Problem, more: Problem) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The examples of two parts' problem as the whole export's, and their lines: customers
    by their ids, values in the order of the lines they are first found on."""
    if known.code in CUSTOMER_EXAMPLES:
        examples = list(dict.fromkeys([*known.examples, *more.examples]))
        if not examples:
            return (), ()
        order = natural_order(pa.array(examples, pa.string()))
        return tuple(examples[i] for i in order[:EXAMPLE_CUSTOMERS]), ()
    first: dict[str, int] = {}
    for problem in (known, more):
        for line, example in zip(problem.example_lines, problem.examples, strict=True):
            first[example] = min(line, first.get(example, line))
    shown = sorted(first.items(), key=lambda found: found[1])[:EXAMPLE_VALUES]
    return tuple(example for example, _ in shown), tuple(line for _, line in shown)


def part_folder(folder: Path, index: int) -> Path:
    return folder / f"part-{index:05d}"


def _beside(scratch: Path, index: int, source: Source, suffix: str) -> Path:
    """A part's map of lines (or rows), beside the part folders: a part holds its export
    and nothing else."""
    return scratch / f"part-{index:05d}-{source.name}{suffix}"


def split_export(
    folder: Path,
    config: Config,
    scratch: Path,
    *,
    parts: int | None = None,
    at_least: int = 1,
    outside: bool = False,
) -> ExportParts:
    """Split every present source of the export in ``folder`` under ``scratch`` (which must
    exist and be private to this run) into ``parts`` parts, by default parts of about
    :data:`PART_BYTES` of text and ``at_least`` of them."""
    check_exports_folder(folder)
    present, problems = _to_split(folder, config, outside)
    size = sum(export.size() for export in present.values())
    parts = parts or max(at_least, math.ceil(size / PART_BYTES))
    for index in range(parts):
        part_folder(scratch, index).mkdir()
    into = Into(scratch, parts, threading.Event())
    with ThreadPoolExecutor(max_workers=2) as pool:  # pyarrow parses, numpy routes: 2 cores
        pending = {
            name: pool.submit(split_source, export, into) for name, export in present.items()
        }
        try:
            wait(pending.values(), return_when=FIRST_EXCEPTION)  # a bad source: said at once
            found = {name: future.result() for name, future in pending.items()}
        except BaseException:  # a source that cannot be read, or the run stopped
            into.stop.set()  # the other source need not be split to the end first
            raise
    orders = found["orders"]
    if not any(orders.records):  # said now, before any part is loaded
        raise EmptySourceError(orders.export, EmptySourceError.HEADER_ONLY)
    return ExportParts(scratch, parts, found, problems)


class Export(NamedTuple):
    """A source's export as found: its file, the plain text to read (an unpacked copy of a
    packed export), the source and its settings, and the head sniffed (None: Parquet)."""

    path: Path
    plain: Path
    source: Source
    settings: SourceConfig
    head: Head | None

    def size(self) -> int:
        """Bytes of text (a Parquet file's columns uncompressed)."""
        if self.head is None:
            try:
                return parquet_bytes(self.path)
            except (OSError, pa.ArrowException) as exc:
                raise not_parquet(self.path, exc) from None
        return self.plain.stat().st_size


def _to_split(
    folder: Path, config: Config, outside: bool
) -> tuple[dict[str, Export], list[Problem]]:
    """The sources to split, unpacked; the loader's note on an optional source whose file is
    empty (a required one's error is raised), which is not split."""
    present, problems = {}, []
    for name, source in SOURCES.items():
        settings = config.sources.get(name)
        path = source_path(folder, source, settings, outside=outside)
        if path is None:  # said as the loader says it: a workbook in its place is left out
            if (unread := unread_instead(folder, source, settings)) is not None:
                problems.append(not_read(source, unread))
            continue
        plain, head = path, None
        try:
            refuse_no_parts(path)
            if kind_of(path) != "parquet":
                plain = unpacked(path)
                head = inspect_head(plain, settings.encoding, settings.delimiter, shown=path)
        except EmptySourceError as exc:
            if source.required:
                raise
            problems.append(left_out(name, path, exc.reason))
            continue
        present[name] = Export(path, plain, source, settings, head)
    return present, problems


@dataclass(frozen=True)
class Into:
    """Where a source is split to: ``parts`` part folders under ``scratch``, until ``stop``."""

    scratch: Path
    parts: int
    stop: threading.Event

    def check(self) -> None:
        """Between blocks: end the split when the run no longer needs it."""
        if self.stop.is_set():
            raise SplitStoppedError


class SplitStoppedError(Exception):
    """A split ended early: another source failed, or the run was stopped."""


def split_source(export: Export, into: Into) -> SourceParts:
    """Split one source's export into the part folders under ``into.scratch``."""
    path, plain, source, settings, head = export
    scratch, parts = into.scratch, into.parts
    if head is None:
        return _split_parquet(path, source, settings, into)
    columns = resolve_columns(head, source, settings, path)
    if head.encoding.lower() not in BYTEWISE:
        plain = _as_utf8(plain, head.encoding, path, scratch / f"{source.name}.utf-8.csv")
        settings = settings.model_copy(update={"encoding": "utf-8"})
    name = Path(source.default_file).name
    files = tuple(part_folder(scratch, index) / name for index in range(parts))
    maps = tuple(_beside(scratch, index, source, ".lines") for index in range(parts))
    splitter = _CsvSplitter(path, plain, head, columns["customer_id"], parts)
    splitter.split(files, maps, into)
    sniffed = detect_dialect(head, source, columns, settings)  # may sample the unpacked copy
    for copy in {plain, export.plain} - {path}:  # an unpacked or UTF-8 copy: split, not needed
        copy.unlink(missing_ok=True)
    dialect = sniffed[0]
    formats = {"delimiter": dialect.delimiter, **_formats(dialect)}
    if not settings.encoding and head.encoding == "cp1252":
        # The export's head is cp1252, and the export is read so throughout: a part whose
        # head happens to hold no umlaut must not take it for UTF-8 and fall back later.
        formats["encoding"] = "cp1252"
    notes = head_notes(path, head, source, columns, settings, sniffed=sniffed)
    settings = _part_settings(settings, name, columns, formats)
    records = tuple(int(n) for n in splitter.records)
    return SourceParts(source.name, path, files, maps, records, settings, tuple(notes))


def _as_utf8(plain: Path, encoding: str, export: Path, copy: Path) -> Path:
    """A UTF-8 copy of a UTF-16 or UTF-32 export, written chunk by chunk (same lines)."""
    try:
        with (
            plain.open(encoding=encoding, newline="") as source,
            copy.open("w", encoding="utf-8", newline="") as target,
        ):
            while chunk := source.read(BLOCK):
                target.write(chunk)
    except UnicodeError:
        where = first_undecodable(plain, encoding)
        position = f":{where[0]}" if where else ""
        raise InputError(f"{export}{position}: not valid {encoding} text") from None
    return copy


def _formats(dialect: Dialect) -> dict[str, str]:
    """How every part reads numbers and dates: as sniffed on the whole export, since a
    part's first rows could suggest other formats."""
    return {
        "decimal": dialect.decimal,
        "thousands": dialect.thousands,
        "date_format": dialect.date_format,
    }


def _part_settings(
    settings: SourceConfig,
    file: str,
    columns: dict[str, str],
    formats: dict[str, str] | None = None,
) -> SourceConfig:
    """The export's settings for reading a part: the part's file, the export's mapping (and
    formats)."""
    return settings.model_copy(update={"path": file, "columns": columns, **(formats or {})})


class _CsvSplitter:
    """One CSV export into part files; a class only to share the export's layout."""

    def __init__(self, export: Path, plain: Path, head: Head, customer: str, parts: int) -> None:
        self.export, self.plain, self.head = export, plain, head
        self.records = np.zeros(parts, dtype=np.int64)
        """Records routed to each part so far."""
        self.delimiter = head.delimiter.encode("ascii")
        width = len(head.header) + head.trailing_delimiter
        self.names = [LINE, *(f"f{index}" for index in range(width))]
        self.customer = f"f{head.header.index(customer)}"
        self.skip = head.lines_before_header + head.header_lines
        """Lines before the first record: a preamble, the header."""
        self.returns_end_lines = False
        """Whether the export's lines end in a return alone (see ``ends_in_returns``)."""

    def split(self, files: tuple[Path, ...], maps: tuple[Path, ...], into: Into) -> None:
        with ExitStack() as stack, self.plain.open("rb") as source:
            outs = [stack.enter_context(file.open("wb")) for file in files]
            lines_out = [stack.enter_context(file.open("wb")) for file in maps]
            top, rest = self._top(source)
            self.returns_end_lines = ends_in_returns(top)
            after_top = self._lines_in(_bytes(top)) + 1
            top_lines = np.arange(1, after_top, dtype=np.int64)
            for out, line_map in zip(outs, lines_out, strict=True):
                out.write(top)
                top_lines.tofile(line_map)
            for block, first_line, records in self._blocks(source, rest, after_top):
                into.check()
                parts = records.parts(len(outs))
                self.records += np.bincount(parts[parts >= 0], minlength=len(outs))
                pieces = self._pieces(block, records.starts, first_line)
                _route(pieces, records.starts, parts, outs=outs, maps=lines_out)

    def _pieces(self, block: np.ndarray, starts: np.ndarray, first_line: int) -> _Pieces:
        """The block's lines as the reader splits them (see :func:`_line_ends`) with their
        export lines, the first on ``first_line``. In an export of line feeds a return alone
        ends no line (see :func:`ends_in_returns`): where it ends a record, a line feed is
        put after it, so that in a part, too, every record starts a line of its own, and a
        part's line is within one line of the export."""
        ends = _line_ends(block, final=True)
        lines = _lines(block, ends)
        if self.returns_end_lines:
            numbers = np.arange(first_line, first_line + ends.size, dtype=np.int64)
            return _Pieces(lines, numbers, np.ones(ends.size, dtype=bool))
        fed = block[ends] == ord("\n")
        numbers = first_line + np.concatenate([[0], np.cumsum(fed)[:-1]]).astype(np.int64)
        record_end = np.zeros(ends.size, dtype=bool)
        record_end[np.append(starts[1:] - 1, ends.size - 1)] = True
        heads = np.concatenate([[True], fed[:-1]])
        heads[starts] = True
        returned = record_end & ~fed
        if returned.any():
            feed = pa.scalar(b"\n", pa.large_binary())
            with_feed = pc.binary_join_element_wise(lines, pa.scalar(b"", pa.large_binary()), feed)
            lines = pc.if_else(pa.array(returned), with_feed, lines)
        return _Pieces(lines, numbers, heads)

    def _lines_in(self, block: np.ndarray) -> int:
        """The export's lines that the block ends (see :meth:`_pieces`)."""
        if self.returns_end_lines:
            return int(_line_ends(block, final=True).size)
        return int(np.count_nonzero(block == ord("\n")))

    def _top(self, source: BinaryIO) -> tuple[bytes, bytes]:
        """The lines before the first record (a preamble, the header) with a line break
        after them, and what was read after them."""
        data = b""
        while (chunk := source.read(1 << 20)) or data:
            data += chunk
            ends = _line_ends(_bytes(data), final=not chunk)
            if ends.size >= self.skip or not chunk:
                cut = int(ends[self.skip - 1]) + 1 if ends.size >= self.skip else len(data)
                top = data[:cut]
                return (top if top.endswith((b"\n", b"\r")) else top + b"\n"), data[cut:]
        return b"", b""

    def _blocks(
        self, source: BinaryIO, pending: bytes, first_line: int
    ) -> Iterator[tuple[np.ndarray, int, _Records]]:
        """Blocks of whole records with the export's line number of their first line (the
        first block's: ``first_line``), and their records. The last record of a block waits
        for the next block, where a quoted line break may carry it on. Lines end in a line
        feed, a carriage return and a line feed, or a carriage return alone (as pyarrow, and
        the csv module, read them)."""
        while True:
            chunk = source.read(BLOCK)
            data, final = pending + chunk, not chunk
            if final:
                if not data.strip(b"\r\n"):
                    return
                data += b"" if data.endswith((b"\n", b"\r")) else b"\n"
                end = len(data)
            else:
                found = _line_ends(_bytes(data), final=False)
                end = int(found[-1]) + 1 if found.size else 0
            records = self._records(_bytes(data[:end])) if end else None
            if records is None or (not final and records.starts.size < 2):
                if len(data) > MAX_BLOCK:
                    raise InputError(
                        f"{self.export}:{first_line}: a row longer than {MAX_BLOCK >> 20} MB;"
                        " most likely a quote that is never closed, or not a CSV export"
                    )
                pending = data  # one record so far: it may go on
                continue
            ends = _line_ends(_bytes(data[:end]), final=True)
            if not final:
                records = records.before_last()
                end = int(ends[records.lines - 1]) + 1
            yield _bytes(data[:end]), first_line, records
            if final:
                return
            first_line += self._lines_in(_bytes(data[:end]))
            pending = data[end:]

    def _records(self, block: np.ndarray) -> _Records:
        """Where the block's records start, as pyarrow reads them, and their customers."""
        text = block.copy()
        high = text >= 0x80
        text[high | (text == 0)] = ord(" ")  # ASCII: rejected rows can be shown
        if high.any():  # a customer's letter with a combining mark: routed as composed
            text[_mark_starts(block, np.flatnonzero(high))] = MARK
        lines = _lines(text)
        numbers = pc.cast(pa.array(np.arange(len(lines))), pa.large_string()).cast(
            pa.large_binary()
        )
        delimiter = pa.scalar(self.delimiter, pa.large_binary())
        numbered = pc.binary_join_element_wise(numbers, lines, delimiter)
        rejected: list[str] = []

        def reject(row: pacsv.InvalidRow) -> str:
            rejected.append(row.text or "")
            return "skip"

        with unraisable_errors() as caught:
            try:
                table = pacsv.read_csv(
                    pa.BufferReader(numbered.buffers()[2]),
                    read_options=pacsv.ReadOptions(
                        column_names=self.names, block_size=max(numbered.nbytes, 1 << 20)
                    ),
                    parse_options=pacsv.ParseOptions(
                        delimiter=self.delimiter.decode(),
                        newlines_in_values=True,
                        ignore_empty_lines=False,
                        invalid_row_handler=reject,
                    ),
                    convert_options=pacsv.ConvertOptions(
                        include_columns=[LINE, self.customer],
                        column_types={LINE: pa.int64(), self.customer: pa.binary()},
                        strings_can_be_null=False,
                    ),
                )
            except pa.ArrowInvalid as exc:
                raise InputError(f"{self.export}: cannot be read as CSV: {exc}") from None
        if caught:
            raise InputError(f"{self.export}: cannot be read as CSV: {caught[0]}")
        return _Records.of(
            table.column(LINE).to_numpy(),
            self._unnumbered(table.column(self.customer).combine_chunks()),
            rejected,
            len(lines),
            delimiter=self.delimiter.decode(),
            customer=(int(self.customer[1:]), len(self.head.header)),
        )

    def _unnumbered(self, customers: pa.Array) -> pa.Array:
        """The customer fields without the numbers given to the lines a quoted line break
        in them started (the parsed text is ASCII: other bytes were made blanks)."""
        text = customers.cast(pa.string())
        delimiter = re.escape(self.delimiter.decode())
        kept = pc.replace_substring_regex(text, f"(\\r\\n|\\r|\\n)\\d+{delimiter}", r"\1")
        return kept.cast(pa.binary())


@dataclass(frozen=True)
class _Records:
    """A block's records in line order: the line each starts on (0-based in the block), and
    each one's customer (bytes; None for a row pyarrow rejects, blank or not)."""

    starts: np.ndarray
    customers: pa.Array
    """Per record, the customer field; null where pyarrow rejected the row."""
    blank: np.ndarray
    lines: int
    """The block's lines."""

    @classmethod
    def of(
        cls,
        good: np.ndarray,
        customers: pa.Array,
        rejected: list[str],
        lines: int,
        *,
        delimiter: str,
        customer: tuple[int, int],
    ) -> _Records:
        """``customer``: the customer's field and the header's number of fields, for the
        rejected rows that the reader takes all the same (those ending in blank fields, and
        those without the delimiter every sampled row ended in)."""
        number_and_rest = [row.split(delimiter, 1) for row in rejected]
        bad = np.array([int(number) for number, _ in number_and_rest], dtype=np.int64)
        blank = np.array([not rest.strip("\r") for _, rest in number_and_rest], dtype=bool)
        starts = np.concatenate([good, bad])
        order = np.argsort(starts, kind="stable")
        taken = [_trimmed_customer(rest, delimiter, *customer) for _, rest in number_and_rest]
        every = pa.concat_arrays([customers, pa.array(taken, pa.binary())])
        is_blank = np.concatenate([np.zeros(good.size, dtype=bool), blank])
        return cls(starts[order], every.take(pa.array(order)), is_blank[order], lines)

    def before_last(self) -> _Records:
        """The records before the last one, and the lines they take."""
        last = int(self.starts[-1])
        return _Records(self.starts[:-1], self.customers[:-1], self.blank[:-1], last)

    def parts(self, parts: int) -> np.ndarray:
        """Each record's part: its customer's, the first for a rejected row, -1 (none) for a
        blank line."""
        rejected = np.asarray(self.customers.is_null())
        found = _parts(pc.fill_null(self.customers, b""), parts)
        return np.where(rejected, np.where(self.blank, -1, 0), found)


def _trimmed_customer(row: str, delimiter: str, field: int, width: int) -> bytes | None:
    """The customer of a rejected row the reader takes at the header's ``width`` (see
    ``trailing_fields``), so that it goes to its customer's part; None for any other."""
    fields = of_width(row, delimiter, width)
    return None if fields is None else fields[field].encode("ascii")


class _Pieces(NamedTuple):
    """A block's lines as the reader splits them (see :meth:`_CsvSplitter._pieces`)."""

    lines: pa.Array
    """Each with its line break (large bytes)."""
    numbers: np.ndarray
    """The export's line each is on."""
    heads: np.ndarray
    """Whether each starts a line of its part: what the part's line map numbers."""


def _route(
    pieces: _Pieces,
    starts: np.ndarray,
    parts: np.ndarray,
    *,
    outs: Sequence[BinaryIO],
    maps: Sequence[BinaryIO],
) -> None:
    """Each record of a block (records start on its ``pieces`` ``starts``) to its part's file
    (``parts``, -1: none), and the export's number of each line it makes there to the
    part's line map."""
    count = len(pieces.lines)
    line_part = np.full(count, -1, dtype=np.int64)
    spans = np.diff(np.append(starts, count))
    line_part[starts[0] if starts.size else 0 :] = np.repeat(parts, spans)
    kept = np.flatnonzero(line_part >= 0)
    by_part = kept[np.argsort(line_part[kept], kind="stable")]
    taken = pieces.lines.take(pa.array(by_part))
    data, offsets = taken.buffers()[2], np.frombuffer(taken.buffers()[1], dtype=np.int64)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(line_part[kept], minlength=len(outs)))])
    numbers, heads = pieces.numbers[by_part], pieces.heads[by_part]
    for index, (out, line_map) in enumerate(zip(outs, maps, strict=True)):
        low, high = bounds[index], bounds[index + 1]
        out.write(memoryview(data)[offsets[low] : offsets[high]])
        numbers[low:high][heads[low:high]].tofile(line_map)


def _bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def _line_ends(data: np.ndarray, *, final: bool) -> np.ndarray:
    """Where lines end: each line feed, and each carriage return not followed by one (a
    carriage return at the very end of ``data`` only when ``final``: a line feed may follow
    in what is read next)."""
    feeds = data == ord("\n")
    returns = data == ord("\r")
    returns[:-1] &= ~feeds[1:]
    if not final and returns.size:
        returns[-1] = False
    return np.flatnonzero(feeds | returns)


def _lines(block: np.ndarray, ends: np.ndarray | None = None) -> pa.Array:
    """The block's lines (each with its line break) as an Arrow array over the same bytes;
    ``ends``: where they end, where the caller has found that already (``_line_ends``)."""
    after = (_line_ends(block, final=True) if ends is None else ends) + 1
    offsets = np.concatenate([[0], after]).astype(np.int64)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(block)]
    return pa.Array.from_buffers(pa.large_binary(), after.size, buffers)


def routing_keys(ids: pa.Array) -> pa.Array:
    """Per id (bytes), a key that every spelling of one customer shares: what is left after
    removing everything the loader's cleaning may remove (blanks, NUL, quotes) and every
    non-ASCII byte, ``10001.0`` and ``10001,0`` read as ``10001``, and a number's leading
    zeros (which ``[customer_ids] ignore_leading_zeros`` takes off). A letter with a
    combining mark after it goes with the mark, as the letter that both make (``Ü`` for
    ``U`` and a diaeresis) goes: the loader reads the two Unicode forms as one id. Two
    customers may share a key (and then a part); one customer never gets two."""
    ids = ids.cast(pa.large_binary())
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64)[
        ids.offset : ids.offset + len(ids) + 1
    ]
    data = _bytes(ids.buffers()[2]) if ids.buffers()[2] is not None else _bytes(b"")
    keep = (data > 0x20) & (data < 0x80) & (data != ord('"'))
    marked = np.append(combining_marks(data)[1:], False)  # a mark follows
    marked[offsets[1:] - 1] = False  # that of the next id
    keep &= ~marked
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    new_offsets = kept_before[offsets].astype(np.int64)
    new_offsets -= new_offsets[0]
    kept = data[offsets[0] : offsets[-1]][keep[offsets[0] : offsets[-1]]]
    keys = pa.LargeStringArray.from_buffers(
        len(ids), pa.py_buffer(new_offsets.tobytes()), pa.py_buffer(kept.tobytes())
    )
    return unpadded(pc.replace_substring_regex(keys, DECIMAL_ZEROS, r"\1"))


def combining_marks(data: np.ndarray) -> np.ndarray:
    """Where a combining mark of U+0300–U+036F starts in UTF-8 bytes (the diacritics that
    Unicode's two forms write apart from or joined with a Latin letter), or where
    :meth:`_CsvSplitter._records` has put :data:`MARK` for one."""
    found = data == MARK
    found[_mark_starts(data, np.flatnonzero(data >= 0x80))] = True
    return found


def _mark_starts(data: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Which of the places ``high`` (those of the bytes beyond ASCII) start a combining mark
    (see :func:`combining_marks`): a lead byte 0xCC or 0xCD, then a continuation byte."""
    leads = high[((data[high] == 0xCC) | (data[high] == 0xCD)) & (high + 1 < data.size)]
    follows = data[leads + 1]
    return leads[(follows >= 0x80) & (follows < 0xC0)]


def _parts(ids: pa.Array, parts: int) -> np.ndarray:
    """The part of each id (bytes), by a hash of its routing key."""
    return (_hashes(routing_keys(ids)) % np.uint64(parts)).astype(np.int64)


def _hashes(keys: pa.Array) -> np.ndarray:
    """A 64-bit hash of each key (large text): a polynomial over its bytes, then mixed
    (splitmix64's finaliser). Whole arrays at once; the same on every machine and run."""
    keys = keys.cast(pa.large_binary())
    offsets = np.frombuffer(keys.buffers()[1], dtype=np.int64)[keys.offset :][: len(keys) + 1]
    data = _bytes(keys.buffers()[2] or b"")[offsets[0] : offsets[-1]].astype(np.uint64)
    offsets = offsets - offsets[0]
    lengths = np.diff(offsets)
    place = np.arange(data.size) - np.repeat(offsets[:-1], lengths)
    powers = np.cumprod(np.full(int(lengths.max(initial=0)) + 1, HASH_BASE, dtype=np.uint64))
    sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(data * powers[place])])
    mixed = (sums[offsets[1:]] - sums[offsets[:-1]]) ^ lengths.astype(np.uint64)
    for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        mixed = (mixed ^ (mixed >> np.uint64(shift))) * np.uint64(factor)
    return mixed ^ (mixed >> np.uint64(31))


def without_views(schema: pa.Schema) -> pa.Schema:
    """Text and byte views (Polars, DuckDB) as plain text and bytes: Arrow takes no rows out
    of a view column, and a part file holds the same values either way."""
    plain = {
        view(): kind
        for name, kind in (("string_view", pa.string()), ("binary_view", pa.binary()))
        if (view := getattr(pa, name, None)) is not None  # pyarrow before 16 has none
    }
    fields = [field.with_type(plain.get(field.type, field.type)) for field in schema]
    return pa.schema(fields, metadata=schema.metadata)


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` as ``schema`` (through a table: pyarrow 15 has no ``RecordBatch.cast``)."""
    table = pa.Table.from_batches([batch]).cast(schema)
    return pa.record_batch([column.combine_chunks() for column in table.columns], schema=schema)


def _split_parquet(path: Path, source: Source, settings: SourceConfig, into: Into) -> SourceParts:
    """A Parquet export's rows into part files of its own schema, with their row numbers."""
    import pyarrow.parquet as pq

    scratch, parts = into.scratch, into.parts
    try:
        head, columns, notes = parquet_columns(path, source, settings)
        sniffed = detect_dialect(head, source, columns, settings)  # of text columns
        notes += head_notes(path, head, source, columns, settings, sniffed=sniffed)
        dialect = sniffed[0]
        dataset = parquet_dataset(path)
        check_flat(path, dataset.schema, columns)
        name = Path(source.default_file).with_suffix(".parquet").name
        files = tuple(part_folder(scratch, index) / name for index in range(parts))
        schema = without_views(dataset.schema)
        with ExitStack() as stack:
            writers = [stack.enter_context(pq.ParquetWriter(target, schema)) for target in files]
            rows = [
                stack.enter_context(_beside(scratch, index, source, ".rows").open("wb"))
                for index in range(parts)
            ]
            done, counts = 0, np.zeros(parts, dtype=np.int64)
            for read in dataset.to_batches():
                into.check()
                batch = read if read.schema == schema else _cast(read, schema)
                ids = as_text(batch.column(columns["customer_id"])).cast(pa.binary())
                part = _parts(pc.fill_null(ids, b""), parts)
                order = np.argsort(part, kind="stable")
                in_batch = np.bincount(part, minlength=parts)
                counts += in_batch
                bounds = np.concatenate([[0], np.cumsum(in_batch)])
                for index, (writer, numbers) in enumerate(zip(writers, rows, strict=True)):
                    chosen = order[bounds[index] : bounds[index + 1]]
                    writer.write_batch(batch.take(pa.array(chosen)))
                    (chosen + done).astype(np.int64).tofile(numbers)
                done += batch.num_rows
    except (OSError, pa.ArrowException) as exc:
        if disk_full(exc):  # the parts' folder, not the export: said as such further up
            raise
        raise not_parquet(path, exc) from None
    settings = _part_settings(settings, name, columns, _formats(dialect))
    records = tuple(int(n) for n in counts)
    maps = tuple(_beside(scratch, index, source, ".rows") for index in range(parts))
    return SourceParts(source.name, path, files, maps, records, settings, tuple(notes))
