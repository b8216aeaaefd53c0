"""Encodings: UTF-8 with and without BOM, UTF-16, cp1252 and NUL bytes, written byte-exactly."""

from __future__ import annotations

import codecs

import pytest

from churnwatch.core.errors import InputError
from churnwatch.ingest.problems import MAX_LINES, Level
from helpers import ORDERS, day, ids, load, problem, summary


@pytest.mark.parametrize(
    ("encoding", "newline", "detected"),
    [
        pytest.param("utf-8", "\n", "utf-8", id="utf8"),
        pytest.param("utf-8", "\r\n", "utf-8", id="utf8_crlf"),
        pytest.param("utf-8-sig", "\n", "utf-8-sig", id="bom"),
        pytest.param("utf-16", "\n", "utf-16", id="utf16"),
        pytest.param("utf-16", "\r\n", "utf-16", id="utf16_crlf"),
        pytest.param("utf-16-le", "\n", "utf-16-le", id="utf16_le_without_bom"),
    ],
)
def test_orders_load_in_each_encoding(write_csv, exports, encoding, newline, detected):
    """The same two orders come out identically whatever the bytes on disk."""
    write_csv("orders.csv", ORDERS, encoding, newline=newline)
    dataset = load(exports)
    assert summary(dataset).dialect.encoding == detected
    assert ids(dataset) == ["C1", "C2"]
    assert dataset.frame("orders")["order_date"].tolist() == [day("2025-01-02"), day("2025-01-03")]
    assert dataset.frame("orders")["amount"].tolist() == [10.5, 20.0]
    assert dataset.problems == []


def test_utf16_big_endian_with_bom(exports):
    (exports / "orders.csv").write_bytes(codecs.BOM_UTF16_BE + ORDERS.encode("utf-16-be"))
    dataset = load(exports)
    assert ids(dataset) == ["C1", "C2"]
    assert dataset.frame("orders")["amount"].tolist() == [10.5, 20.0]


def test_bom_does_not_end_up_in_the_first_column_name(write_csv, exports):
    """With a BOM the first header must still be found as 'customer_id'."""
    write_csv("orders.csv", "customer_id;order_date;amount\nC1;2025-01-02;1\n", "utf-8-sig")
    dataset = load(exports)
    assert dataset.sources["orders"].table.columns["customer_id"] == "customer_id"
    assert ids(dataset) == ["C1"]


def test_cp1252_umlauts_in_customer_names_survive(write_csv, exports):
    write_csv("orders.csv", "customer_id;order_date;amount\nC1;02.01.2025;1\nC2;03.01.2025;2\n")
    write_csv(
        "customers.csv",
        "customer_id;name\nC1;Müller & Söhne GmbH\nC2;Bäckerei Weiß e.K. – Café\n",
        "cp1252",
    )
    dataset = load(exports)
    assert summary(dataset, "customers").dialect.encoding == "cp1252"
    assert dataset.frame("customers")["name"].tolist() == [
        "Müller & Söhne GmbH",
        "Bäckerei Weiß e.K. – Café",
    ]


def cp1252_after_head(bad_first_row: bool) -> str:
    """Over 256 KB of plain ASCII (all the sniffer sees), then a row with cp1252 umlauts."""
    first = "C0,someday,1,O0\n" if bad_first_row else "C0,2025-01-01,1,O0\n"
    rows = "".join(f"C{i},2025-01-02,1,O{i}\n" for i in range(1, 12_000))
    return "customer_id,order_date,amount,order_id\n" + first + rows + "C1,2025-01-03,2,Größe\n"


def test_cp1252_after_the_sniffed_head_falls_back_with_a_note(write_csv, exports):
    write_csv("orders.csv", cp1252_after_head(bad_first_row=False), "cp1252")
    dataset = load(exports)
    note = problem(dataset, "encoding")
    assert note.level is Level.NOTE
    assert "read as cp1252" in note.message
    assert summary(dataset).dialect.encoding == "cp1252"
    assert summary(dataset).rows_loaded == 12_001
    assert dataset.dataset.frame("orders")["order_id"].iloc[-1] == "Größe"


def test_cp1252_after_the_head_falls_back_even_with_an_unparseable_value(write_csv, exports):
    write_csv("orders.csv", cp1252_after_head(bad_first_row=True), "cp1252")
    dataset = load(exports)
    assert problem(dataset, "bad_date").lines == (2,)
    assert problem(dataset, "encoding").level is Level.NOTE
    assert dataset.dataset.frame("orders")["order_id"].iloc[-1] == "Größe"


def test_nul_bytes_are_dropped_from_values(exports):
    """Stray NULs (some exporters leave them) neither crash nor spoil dates and numbers."""
    rows = "".join(f"C{i},2025-01-{i:02d},{i}.5\n" for i in range(1, 11))
    data = ("customer_id,order_date,amount\n" + rows).encode()
    data += b"C11,2025-01-11\x00,11.5\x00\nC12,bad\x00,12\n"
    (exports / "orders.csv").write_bytes(data)
    dataset = load(exports)
    frame = dataset.frame("orders")
    assert len(frame) == 11
    assert frame["order_date"].iloc[-1] == day("2025-01-11")
    assert frame["amount"].iloc[-1] == 11.5
    bad = problem(dataset, "bad_date")
    assert (bad.count, bad.lines, bad.examples) == (1, (13,), ("bad\x00",))


def test_nul_only_line_is_skipped_with_its_line_number(exports):
    rows = "".join(f"C{i},2025-01-{i:02d},{i}\n" for i in range(1, 11))
    data = ("customer_id,order_date,amount\n" + rows).encode() + b"\x00\x00\nC11,2025-01-11,1\n"
    (exports / "orders.csv").write_bytes(data)
    dataset = load(exports)
    assert len(dataset.frame("orders")) == 11
    for skipped in (p for p in dataset.problems if p.skipped):
        assert len(skipped.lines) == min(skipped.count, MAX_LINES), skipped


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [
        pytest.param("utf-8", "\n", id="utf8"),
        pytest.param("utf-8", "\r\n", id="utf8_crlf"),
        pytest.param("utf-16", "\n", id="utf16"),
        pytest.param("cp1252", "\r\n", id="cp1252_crlf"),
    ],
)
def test_line_numbers_are_physical_lines_in_every_encoding(write_csv, exports, encoding, newline):
    """Quoted line breaks, blank and malformed lines all count, whatever the encoding."""
    text = (
        "order_id,customer_id,order_date,amount\n"  # 1
        "Ö1,C1,2025-01-02,1\n"  # 2
        '"O\n2",C2,2025-01-03,2,surplus\n'  # 3-4: quoted newline and a field too many
        "\n"  # 5: blank
        "O3,C3,bad,3\n"  # 6
        "   \n"  # 7: one field only
        "O4,C4,2025-01-05,4\n"  # 8
        '"O\n5",C5,2025-01-06,x\n'  # 9-10
    )
    write_csv("orders.csv", text, encoding, newline=newline)
    dataset = load(exports)
    assert problem(dataset, "field_count").lines == (3, 7)
    assert problem(dataset, "bad_date").lines == (6,)
    assert problem(dataset, "bad_number").lines == (9,)
    assert ids(dataset) == ["C1", "C4"]
    assert summary(dataset).rows_read == 6


@pytest.mark.parametrize("quoted_newline", [False, True])
def test_rows_of_a_mixed_encoding_export_are_reported_on_their_lines(exports, quoted_newline):
    """UTF-8 with cp1252 lines is read from a UTF-8 copy that is gone once read: a duplicate
    found afterwards is still reported on its line (it stopped the run with an internal
    error), also where a quoted line break makes the lines be counted record by record."""
    note = '"first\nline"' if quoted_newline else "plain"
    (exports / "orders.csv").write_bytes(
        b"customer_id,order_date,amount,order_id\n"
        b"M\xc3\xbcller,2025-01-02,5," + note.encode() + b"\n"
        b"Gr\xf6\xdfl,2025-01-03,6,x\nGr\xf6\xdfl,2025-01-03,6,x\n"
    )
    dataset = load(exports)
    assert sorted(ids(dataset)) == ["Größl", "Müller"]
    assert problem(dataset, "duplicate").lines == ((5,) if quoted_newline else (4,))


def test_a_note_over_two_lines_in_another_encoding_in_a_column_not_read(exports):
    """UTF-8 throughout but for a cp1252 note over two lines, in a column churnwatch does not
    read: the look for stray quotes, which reads every column, stopped the run with an
    internal error ("invalid UTF8")."""
    rows = [b"order_id,customer_id,order_date,amount,note"]
    for i in range(1, 41):
        note = b'"Gr\xfc\xdfe\r\nZeile 2"' if i == 5 else "Grüße".encode()
        rows.append(f"O{i},C{i},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},{i}.00,".encode() + note)
    (exports / "orders.csv").write_bytes(b"\r\n".join(rows) + b"\r\n")
    dataset = load(exports)
    assert len(ids(dataset)) == 40
    assert summary(dataset).dialect.encoding == "utf-8"


@pytest.mark.parametrize(
    ("mark", "text", "setting", "said"),
    [
        (codecs.BOM_UTF8, "utf-8", "cp1252", "UTF-8 text, not cp1252"),
        (b"", "utf-16-le", "latin-1", "UTF-16 text, not latin-1"),  # the codec writes it
        (b"", "utf-32", "utf-16", "UTF-32 text, not utf-16"),
    ],
)
def test_an_encoding_setting_the_byte_order_mark_contradicts_is_refused(
    exports, mark, text, setting, said
):
    """A UTF-8 export with a BOM under ``encoding = "cp1252"``: every umlaut garbled, and
    the error proposed mapping the garbled first header (``ï»¿Kundennummer``)."""
    data = ORDERS.replace("customer_id", "Kundennummer").encode(text)
    if text == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    (exports / "orders.csv").write_bytes(mark + data)
    config = f'[sources.orders]\nencoding = "{setting}"\n'
    config += '[sources.orders.columns]\ncustomer_id = "Kundennummer"\n'
    (exports / "churnwatch.toml").write_text(config, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load(exports)
    assert "orders.csv: starts with the byte-order mark of" in str(raised.value)
    assert said in str(raised.value)
    assert "ï»¿" not in str(raised.value)


def test_an_encoding_setting_that_reads_the_mark_is_kept(exports):
    (exports / "orders.csv").write_bytes(codecs.BOM_UTF8 + ORDERS.encode("utf-8"))
    (exports / "churnwatch.toml").write_text('[sources.orders]\nencoding = "utf-8"\n')
    assert len(load(exports).customer_ids) == 2
