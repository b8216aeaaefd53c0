"""Property-based tests (hypothesis) for the number and date parsers and their detection,
and the reading of lines the stray-quote check looks at."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import tempfile
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from churnwatch.core.dialect import EXCEL_SERIAL
from churnwatch.ingest import date_text, trailing_fields, transcode
from churnwatch.ingest.date_order import PAID_EARLIEST, PAID_LATEST, paid_out_of_reach
from churnwatch.ingest.date_text import (
    CANDIDATE_FORMATS,
    DETECTED_FORMATS,
    detect_date_format,
    parse_days,
)
from churnwatch.ingest.duplicates import twins
from churnwatch.ingest.line_numbers import Layout
from churnwatch.ingest.number_text import THOUSANDS_CANDIDATES, detect_number_format, parse_numbers
from churnwatch.ingest.open_quotes import RowShape, id_shapes

DIALECTS = [(d, t) for d in ".," for t in ("", *THOUSANDS_CANDIDATES) if t != d]
EPOCH = dt.date(1970, 1, 1)

amounts = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


def write_number(value: float, decimal: str, thousands: str, places: int, sap: bool) -> str:
    """``value`` as an export would write it; ``sap`` puts the minus sign behind."""
    text = f"{abs(value):,.{places}f}" if thousands else f"{abs(value):.{places}f}"
    text = text.translate(str.maketrans({",": thousands, ".": decimal}))
    if value < 0:
        return f"{text}-" if sap else f"-{text}"
    return text


def parse(texts: list[str], decimal: str, thousands: str) -> tuple[list[float], list[bool]]:
    numbers, valid = parse_numbers(pa.array(texts, pa.string()), decimal, thousands)
    return numbers.tolist(), valid.tolist()


@given(
    values=st.lists(amounts, min_size=1, max_size=20),
    dialect=st.sampled_from(DIALECTS),
    places=st.integers(0, 3),
    sap=st.booleans(),
)
def test_number_round_trip(values, dialect, places, sap):
    decimal, thousands = dialect
    texts = [write_number(v, decimal, thousands, places, sap) for v in values]
    numbers, valid = parse(texts, decimal, thousands)
    assert all(valid), texts
    assert numbers == pytest.approx([round(v, places) for v in values], rel=1e-12, abs=1e-9)


@given(values=st.lists(amounts, min_size=1, max_size=20), dialect=st.sampled_from(DIALECTS))
def test_wrong_decimal_separator_is_rejected_not_misread(values, dialect):
    """With two decimals written, reading under the other decimal separator fails loudly."""
    decimal, thousands = dialect
    texts = [write_number(v, decimal, thousands, 2, sap=False) for v in values]
    other = "," if decimal == "." else "."
    for other_thousands in ("", *THOUSANDS_CANDIDATES):
        if other_thousands != other:
            _, valid = parse(texts, other, other_thousands)
            assert not any(valid), (texts, other, other_thousands)


@given(values=st.lists(amounts, min_size=1, max_size=30), dialect=st.sampled_from(DIALECTS))
def test_number_format_is_detected_when_unambiguous(values, dialect):
    """Two decimals fix the decimal separator; one value of 1,000 or more shows the grouping."""
    decimal, thousands = dialect
    assume(not thousands or any(abs(v) >= 1000 for v in values))
    texts = [write_number(v, decimal, thousands, 2, sap=False) for v in values]
    assert detect_number_format(texts) == dialect


def epoch_day(date: dt.date) -> int:
    return (date - EPOCH).days


def writable(fmt: str, dates: list[dt.date]) -> list[dt.date]:
    """The dates ``fmt`` writes unambiguously (two-digit years pivot at 1970)."""
    return [d for d in dates if "%y" not in fmt or 1970 <= d.year <= 2069]


dates_1900_2099 = st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), min_size=1)


@given(dates=dates_1900_2099, with_time=st.booleans())
def test_date_round_trip(dates, with_time):
    """Every candidate format reads back the day it wrote, with or without a time of day."""
    for fmt in CANDIDATE_FORMATS:
        chosen = writable(fmt, dates)
        texts = [d.strftime(fmt) + (" 10:30:00" if with_time else "") for d in chosen]
        days, valid = parse_days(pa.array(texts, pa.string()), fmt)
        assert valid.all(), (fmt, texts)
        assert days.tolist() == [epoch_day(d) for d in chosen], fmt


@given(
    dates=st.lists(st.dates(dt.date(1954, 10, 3), dt.date(2118, 12, 31)), min_size=1),
    fraction=st.sampled_from(["", ".5", ",25", ".041666"]),
)
def test_excel_serial_numbers_read_back_their_day(dates, fraction):
    """Excel counts days from 1899-12-30; a fraction is the time of day. Detected too."""
    texts = [f"{(d - dt.date(1899, 12, 30)).days}{fraction}" for d in dates]
    days, valid = parse_days(pa.array(texts, pa.string()), EXCEL_SERIAL)
    assert valid.all(), texts
    assert days.tolist() == [epoch_day(d) for d in dates]
    assert detect_date_format(texts) == (EXCEL_SERIAL, [])


@given(number=st.integers(0, 99999))
def test_numbers_outside_the_serials_of_business_dates_are_no_dates(number):
    valid = parse_days(pa.array([str(number)]), EXCEL_SERIAL)[1][0]
    assert valid == (20000 <= number <= 79999)


date_like = st.text(alphabet="0123456789./-: T", min_size=0, max_size=12)


@given(
    dates=dates_1900_2099,
    noise=st.lists(st.one_of(date_like, st.none()), max_size=20),
    fmt=st.sampled_from(CANDIDATE_FORMATS),
)
def test_dates_read_from_their_bytes_are_what_the_format_pattern_reads(dates, noise, fmt):
    """Dates in the format's full width are read from their bytes, the rest by its regular
    expression: the two agree on every text, a date, a near miss or noise."""
    texts = [d.strftime(fmt) for d in writable(fmt, dates)] + noise
    values = pa.array(texts, pa.string())
    days, valid = parse_days(values, fmt)
    by_pattern = date_text._matched_days(pc.utf8_trim_whitespace(values), fmt, (1900, 2199))
    assert valid.tolist() == by_pattern[1].tolist(), texts
    assert days[valid].tolist() == by_pattern[0][valid].tolist(), texts
    # as the reader passes them: trimmed already, and a slice of a longer column
    tail = pc.utf8_trim_whitespace(values).slice(len(texts) // 2)
    days, valid = parse_days(tail, fmt, trimmed=True)
    assert valid.tolist() == by_pattern[1][len(texts) // 2 :].tolist(), texts
    assert days[valid].tolist() == by_pattern[0][len(texts) // 2 :][valid].tolist(), texts


@given(
    dates=st.lists(dates_1900_2099, min_size=1, max_size=4),
    formats=st.lists(st.sampled_from(CANDIDATE_FORMATS), min_size=1, max_size=4),
    noise=st.lists(st.text(alphabet="0123456789./-: TAPMUhrZ+\u0661", max_size=24), max_size=8),
    with_time=st.booleans(),
)
@example(dates=[[dt.date(2000, 1, 1)]], formats=["%Y-%m-%d"], noise=["20000"], with_time=False)
def test_the_detected_format_reads_the_most_samples(dates, formats, noise, with_time):
    """Detection reads only the values a format's pattern could match: the format it picks,
    and the equally good ones, are still those that read the most samples, Excel's serial
    numbers among the forms (``20000`` is a day of 1954 as much as ``2000-01-01`` a day)."""
    samples = [
        d.strftime(fmt + (" %H:%M" if with_time else ""))
        for fmt, chosen in zip(formats, dates, strict=False)
        for d in writable(fmt, chosen)
    ] + [text for text in noise if text.strip()]
    values = pa.array([text.strip() for text in samples], pa.string())
    read = {fmt: int(parse_days(values, fmt)[1].sum()) for fmt in DETECTED_FORMATS}
    best = max(read.values())
    winners = [fmt for fmt in DETECTED_FORMATS if read[fmt] == best]
    expected = (winners[0], winners[1:]) if best else (None, [])
    assert detect_date_format(samples) == expected, samples


@st.composite
def impossible_dates(draw: st.DrawFn) -> tuple[int, int, int]:
    """A day past the end of its month (31.02., 29.02. of a common year, 31.04. …)."""
    year = draw(st.integers(1970, 2069))
    month = draw(st.sampled_from([2, 4, 6, 9, 11]))
    last = calendar.monthrange(year, month)[1]
    return year, month, draw(st.integers(last + 1, 31))


def write_date(fmt: str, year: int, month: int, day: int) -> str:
    for directive, value in (
        ("%Y", f"{year:04d}"),
        ("%y", f"{year % 100:02d}"),
        ("%m", f"{month:02d}"),
        ("%d", f"{day:02d}"),
    ):
        fmt = fmt.replace(directive, value)
    return fmt


def all_invalid(fmt: str, texts: list[str]) -> bool:
    return not parse_days(pa.array(texts, pa.string()), fmt)[1].any()


@given(dates=st.lists(impossible_dates(), min_size=1, max_size=10))
def test_impossible_days_are_rejected(dates):
    for fmt in CANDIDATE_FORMATS:
        texts = [write_date(fmt, *date) for date in dates]
        assert all_invalid(fmt, texts), (fmt, texts)


@given(year=st.integers(1970, 2069), month=st.integers(13, 99), day=st.integers(1, 28))
def test_impossible_months_are_rejected(year, month, day):
    for fmt in CANDIDATE_FORMATS:
        text = write_date(fmt, year, month, day)
        assert all_invalid(fmt, [text]), (fmt, text)


def test_impossible_dates_examples():
    assert all_invalid("%d.%m.%Y", ["31.02.2025", "29.02.2025", "31.04.2025", "00.01.2025"])
    assert not all_invalid("%d.%m.%Y", ["29.02.2024"])


@given(
    fmt=st.sampled_from(CANDIDATE_FORMATS),
    dates=st.lists(st.dates(dt.date(1970, 1, 1), dt.date(2069, 12, 31)), min_size=1),
)
def test_date_format_is_detected_when_unambiguous(fmt, dates):
    """A single day above 12 tells day-first from month-first."""
    assume(any(d.day > 12 for d in dates))
    assert detect_date_format([d.strftime(fmt) for d in dates]) == (fmt, [])


early_days = st.builds(dt.date, st.integers(1990, 2030), st.integers(1, 12), st.integers(1, 12))


@given(dates=st.lists(early_days, min_size=1))
def test_ambiguous_slash_dates_prefer_day_first_and_name_the_alternative(dates):
    assert detect_date_format([d.strftime("%m/%d/%Y") for d in dates]) == (
        "%d/%m/%Y",
        ["%m/%d/%Y"],
    )


@given(
    lines=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), min_size=1),
    final_break=st.booleans(),
    block=st.integers(min_value=1, max_value=64),
    data=st.data(),
)
def test_lines_are_found_whichever_block_they_straddle(lines, final_break, block, data):
    """The lines of a row's twin are read block by block: any line, wherever the blocks
    cut the file, is the line ``split`` gives."""
    import tempfile

    import numpy as np

    from churnwatch.ingest import line_numbers

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        path.write_bytes(b"\n".join(lines) + (b"\n" if final_break else b""))
        wanted = sorted(data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=10)))
        layout = line_numbers.Layout(path, "utf-8", ",", 1)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(line_numbers, "BLOCK", block)
            found = layout._line_texts(np.array(wanted, dtype=np.int64)).to_pylist()
    # each as UTF-8 text (a byte that is none: U+FFFD), with its line end
    assert found == [lines[i].decode("utf-8", "replace").encode() + b"\n" for i in wanted]


amount_like = st.text(alphabet="0123456789.,- $€EURSDFr", min_size=0, max_size=14)


@given(texts=st.lists(st.one_of(amount_like, st.none()), max_size=25))
def test_amounts_without_a_currency_skip_its_search_with_the_same_numbers(texts):
    """The search for currency signs and a trailing minus is skipped where the bytes show
    neither can be there: the numbers are those the full search gives."""
    from churnwatch.ingest import number_text

    values = pa.array(texts, pa.string())
    for decimal, thousands in ((",", "."), (".", ","), (".", "")):
        fast = parse_numbers(values, decimal, thousands)
        original = number_text._may_name_a_currency
        number_text._may_name_a_currency = lambda text: True
        try:
            full = parse_numbers(values, decimal, thousands)
        finally:
            number_text._may_name_a_currency = original
        assert fast[1].tolist() == full[1].tolist(), texts
        assert fast[0][fast[1]].tolist() == full[0][full[1]].tolist(), texts


row_text = st.text(alphabet='ab1-; "\t', max_size=14)


def _looks_like_a_row(line: str, width: int) -> bool:
    """The csv module's reading of one line, as the stray-quote check first made it."""
    try:
        fields = next(csv.reader([line], delimiter=";"), [])
    except csv.Error:
        return False
    extra = fields[width:]
    return len(fields) == width or (len(fields) > width and not "".join(extra).strip())


@given(lines=st.lists(row_text, max_size=30), width=st.integers(1, 4))
def test_lines_split_by_arrow_look_like_rows_as_the_csv_module_reads_them(lines, width):
    """A quote left open in a large file leaves millions of lines to look at: those without
    a quote are split by Arrow, and must be read as the csv module reads them."""
    looks, _ = RowShape(";", width).rows(pa.array(lines, pa.string()))
    assert looks.tolist() == [_looks_like_a_row(line, width) for line in lines]


@given(lines=st.lists(st.sampled_from(["K1;x", "K22 ;x", '"K3";x', "KD-4;x", "x;x", ";x"])))
def test_lines_name_a_customer_by_the_shape_of_its_id(lines):
    shape = RowShape(";", 2, id_at=0, id_shapes=id_shapes(pa.array(["K7"])))
    looks, named = shape.rows(pa.array(lines, pa.string()))
    assert named.tolist() == [line.startswith(("K1", "K22", '"K3')) for line in lines]
    assert looks.all()


export_line = st.tuples(
    st.text(alphabet=list('a1; \t\r\x85\xa0"'), max_size=10),
    st.sampled_from(["", ";", ";;", "; ;", ";\t;", ";\xa0;\x0b", ";x", ";;x"]),
    st.sampled_from(["\n", "\r\n"]),
)


@given(lines=st.lists(export_line, max_size=25), width=st.integers(1, 4), block=st.integers(8, 80))
def test_blocks_without_quotes_are_trimmed_as_line_by_line(lines, width, block):
    """Rows ending in blank extra fields (``;;``) are cut from blocks of lines at once where
    the blocks hold no quote, and must come out as the csv module's reading of each line
    cuts them, with the same count and the same lines named."""
    text = "".join(body + extra + end for body, extra, end in lines).encode("latin-1")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        path.write_bytes(text)
        with patch.object(transcode, "CHUNK", block), patch.object(trailing_fields, "PIECE", 16):
            fast = trailing_fields.without_empty_extras(path, ";", width)
        one_by_one = trailing_fields._Trimmer(";", width)
        expected = b"".join(
            line if (cut := one_by_one(line)) is None else cut
            for line in io.BytesIO(text).readlines()
        )
        assert fast.path.read_bytes() == expected
        assert (fast.count, fast.lines) == (one_by_one.count, one_by_one.first_lines)
        fast.path.unlink()


@given(
    rows=st.lists(
        st.tuples(
            st.integers(-3000, 3000),  # paid, days after due (None: open)
            st.one_of(st.none(), st.integers(-3000, 3000)),
            st.one_of(st.none(), st.integers(-400, 400)),  # invoice date, days after due
        ),
        max_size=30,
    ),
)
def test_paid_dates_out_of_reach_are_those_a_row_by_row_reading_finds(rows):
    """The check skips its comparisons where the dates' bounds allow no such row; it must
    find what comparing every row with its own dates finds."""
    due = np.array([20000 + r[0] for r in rows], dtype=np.int32)
    paid = np.array([np.nan if r[1] is None else d + r[1] for r, d in zip(rows, due, strict=True)])
    issued = np.array(
        [np.nan if r[2] is None else d + r[2] for r, d in zip(rows, due, strict=True)]
    )
    frame = pd.DataFrame({"due_date": due, "paid_date": paid, "invoice_date": issued})
    written = [d if np.isnan(i) else min(i, d) for i, d in zip(issued, due, strict=True)]
    expected = [
        not np.isnan(p) and (p > d + PAID_LATEST or p < w - PAID_EARLIEST)
        for p, d, w in zip(paid, due, written, strict=True)
    ]
    assert paid_out_of_reach(frame).tolist() == expected


FIELD_PIECES = ["a", "A", " a", "a ", "Müller", "x;y", "x,y", "", " ", "1", "\u00a0a", "\x00",
                '"a"', ' "a"', 'a"b', '""', "\u2003b", "b\x1c", "\x0b", "\t"]  # fmt: skip


@given(
    records=st.lists(
        st.lists(st.sampled_from(FIELD_PIECES), min_size=3, max_size=3), min_size=1, max_size=8
    ),
    copies=st.lists(st.integers(0, 7), max_size=8),
    quoting=st.lists(st.booleans(), min_size=24, max_size=24),
    extra=st.lists(st.integers(0, 2), min_size=16, max_size=16),
    delimiter=st.sampled_from([";", ",", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_rows_repeated_whole_are_those_the_csv_module_reads_alike(
    records, copies, quoting, extra, *, delimiter, encoding, line_end
):
    """Whether a row repeats an earlier one whole (its columns not read included) is found
    on Arrow text, each line's quotes and blanks taken as the csv module takes them: the same
    answer as comparing each record's fields as Python reads them, for quoted and unquoted
    copies of one row, blanks around fields, delimiters inside quotes, NULs, and empty fields
    after the header's."""
    rows = records + [records[c % len(records)] for c in copies]
    lines = []
    for n, fields in enumerate(rows):
        written = [
            '"' + f.replace('"', '""') + '"' if quoting[(3 * n + i) % 24] or delimiter in f else f
            for i, f in enumerate(fields)
        ]
        lines.append(delimiter.join(written) + delimiter * extra[n % 16])
    assume(all(line.strip(delimiter + " \t") for line in lines))  # no blank line: no record
    assume(all("\n" not in line and "\r" not in line for line in lines))
    text = delimiter.join("abc") + line_end + line_end.join(lines) + line_end
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "orders.csv")
        path.write_bytes(text.encode(encoding, errors="replace"))
        layout = Layout(path, encoding, delimiter, 3, loose_end=True)
        expected = []
        with path.open(encoding=encoding, errors="replace", newline="") as handle:
            handle.readline()
            for fields in csv.reader(handle, delimiter=delimiter):
                expected.append(tuple(f.strip() for f in fields[:3]))
        assume(len(expected) == len(rows))  # each record one line, as Arrow read it
        truth = pd.Series(expected).duplicated(keep="first").to_numpy()
        every = np.arange(len(rows))
        one_kind = np.zeros(len(rows), dtype=np.int64)  # as if the columns read were equal
        assert layout.repeated(every, len(rows), one_kind).tolist() == truth.tolist()
        kinds = pd.factorize(pd.Series(expected))[0]  # the records' own: lines decide
        assert layout.repeated(every, len(rows), kinds).tolist() == truth.tolist()


@given(
    customers=st.lists(st.integers(-1, 3), min_size=1, max_size=60),
    days=st.lists(st.sampled_from([0.0, -0.0, np.nan, 1.5]), min_size=60, max_size=60),
    texts=st.lists(st.sampled_from(["x", "", None]), min_size=60, max_size=60),
    chosen=st.lists(st.booleans(), min_size=60, max_size=60),
)
def test_twins_are_the_rows_pandas_finds_duplicated(customers, days, texts, chosen):
    """The rows equal to another (among candidates), and which of them are later copies,
    found in one pass: as :meth:`pandas.DataFrame.duplicated` finds them (empty values equal
    to each other, -0.0 equal to 0.0)."""
    n = len(customers)
    frame = pd.DataFrame(
        {
            "customer": customers,
            "day": days[:n],
            "text": pd.array(texts[:n], dtype=pd.ArrowDtype(pa.string())),
            "kind": pd.Categorical.from_codes([c % 3 for c in customers], categories=list("abc")),
        }
    )
    candidates = np.flatnonzero(chosen[:n])
    found = twins(frame, candidates)
    part = frame.iloc[candidates]
    later = np.zeros(n, dtype=bool)
    later[candidates] = part.duplicated(keep="first").to_numpy()
    every = np.zeros(n, dtype=bool)
    every[candidates] = part.duplicated(keep=False).to_numpy()
    assert found.later_copies(n).tolist() == later.tolist()
    assert found.rows.tolist() == np.flatnonzero(every).tolist()


def test_twins_of_an_export_written_twice_are_taken_after_one_slice(monkeypatch):
    """Every row twice (600,000 rows): nearly all share their bucket in the first slice of
    the hash, where few would by chance; the five more slices that could not drop any were
    taken all the same. Rows of a normal export go on through the slices."""
    from churnwatch.ingest import duplicates

    slices = []
    original = duplicates._shares_bucket
    monkeypatch.setattr(duplicates, "_shares_bucket", lambda *a: slices.append(1) or original(*a))
    values = np.random.default_rng(3).integers(0, 1 << 40, 300_000)
    twice = np.repeat(values, 2)
    assert duplicates.candidate_rows([twice]).size == twice.size
    assert len(slices) == 1
    slices.clear()
    distinct = np.random.default_rng(4).integers(0, 1 << 40, 1_000_000)
    assert duplicates.candidate_rows([distinct]).size <= 100_000
    assert len(slices) > 1
