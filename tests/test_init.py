"""``churnwatch init``: recognise the exports, propose a config that loads as it is."""

from __future__ import annotations

import shutil
import tomllib
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from churnwatch.core.sources import SOURCES, Kind
from helpers import day, flat, load, problem


def copy_without_config(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("churnwatch.toml"))
    assert not (target / "churnwatch.toml").exists()
    return target


def read_toml(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def has_kind(source: str, kind: Kind) -> bool:
    return any(c.kind is kind for c in SOURCES[source].columns)


def value_sets(entry: dict) -> dict[str, dict[str, set[str]]]:
    return {
        column: {canonical: set(raws) for canonical, raws in mapping.items()}
        for column, mapping in entry.get("values", {}).items()
    }


def assert_same_frames(left, right):
    assert list(left.customer_ids) == list(right.customer_ids)
    assert left.as_of == right.as_of
    assert set(left.sources) == set(right.sources)
    for name in left.sources:
        pd.testing.assert_frame_equal(left.frame(name), right.frame(name))


def test_init_recognises_the_german_exports_as_the_handwritten_config(examples_dir, tmp_path, cli):
    folder = copy_without_config(examples_dir / "exports-de", tmp_path / "exports-de")
    result = cli("init", folder)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {folder / 'churnwatch.toml'}" in flat(result.stdout)

    proposed = read_toml(folder / "churnwatch.toml")
    reference = read_toml(examples_dir / "exports-de" / "churnwatch.toml")
    assert proposed["windows"] == reference["windows"]
    assert set(proposed["sources"]) == set(SOURCES)
    for name, expected in reference["sources"].items():
        got = proposed["sources"][name]
        assert got["path"] == expected["path"], name
        assert got["columns"] == expected["columns"], name
        assert value_sets(got) == value_sets(expected), name
        assert got["delimiter"] == expected["delimiter"], name
        raw = (folder / got["path"]).read_bytes()
        # A plain-ASCII file gets no encoding: the loader keeps detecting it.
        assert raw.decode(got.get("encoding", "ascii")) == raw.decode(expected["encoding"]), name
        if has_kind(name, Kind.NUMBER):
            assert (got["decimal"], got["thousands"]) == (
                expected["decimal"],
                expected["thousands"],
            )
        if has_kind(name, Kind.DATE):
            assert got["date_format"] == expected["date_format"], name


def test_german_exports_load_after_init_exactly_as_with_the_handwritten_config(
    examples_dir, tmp_path, cli
):
    folder = copy_without_config(examples_dir / "exports-de", tmp_path / "exports-de")
    assert cli("init", folder).exit_code == 0
    result = cli("validate", folder)
    assert result.exit_code == 0, result.stderr
    assert_same_frames(load(folder), load(examples_dir / "exports-de"))


def test_init_maps_canonical_english_exports_one_to_one(examples_dir, tmp_path, cli):
    folder = copy_without_config(examples_dir / "exports", tmp_path / "exports")
    assert cli("init", folder).exit_code == 0
    proposed = read_toml(folder / "churnwatch.toml")["sources"]
    assert set(proposed) == set(SOURCES)
    for name, entry in proposed.items():
        assert entry["path"] == SOURCES[name].default_file
        expected = {c.name: c.name for c in SOURCES[name].columns if not c.to_derive}
        assert entry["columns"] == expected, name  # every column, but the terms it has not
        raw = (folder / entry["path"]).read_bytes()
        assert entry.get("encoding") == (None if raw.isascii() else "utf-8"), name
        assert entry["delimiter"] == ",", name
        kinds = {c.kind for c in SOURCES[name].columns}
        if Kind.NUMBER in kinds:
            assert (entry["decimal"], entry["thousands"]) == (".", ""), name
        else:  # nothing to apply a decimal separator to: none is written
            assert "decimal" not in entry and "thousands" not in entry, name
        assert entry.get("date_format") == ("%Y-%m-%d" if Kind.DATE in kinds else None), name
    result = cli("validate", folder)
    assert result.exit_code == 0, result.stderr
    assert_same_frames(load(folder), load(examples_dir / "exports"))


def test_init_refuses_to_overwrite_without_force(tmp_path, examples_dir, cli):
    folder = copy_without_config(examples_dir / "exports", tmp_path / "exports")
    target = folder / "churnwatch.toml"
    target.write_text("# my own settings\n")
    result = cli("init", folder)
    assert result.exit_code == 2
    assert flat(result.stderr) == (f"error: {target}: already exists; use --force to overwrite it")
    assert "Traceback" not in result.stderr
    assert target.read_text() == "# my own settings\n"

    result = cli("init", folder, "--force")
    assert result.exit_code == 0, result.stderr
    text = target.read_text()
    assert text.startswith("# churnwatch configuration, proposed by `churnwatch init`.")
    assert set(tomllib.loads(text)["sources"]) == set(SOURCES)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*(s.default_file for s in SOURCES.values()), "churnwatch.toml"]
    )


def test_init_without_an_orders_export_exits_2_and_writes_nothing(write_csv, exports, cli):
    write_csv("Kunden.csv", "Kundennummer;Firma\n10001;Müller GmbH\n", "cp1252")
    result = cli("init", exports)
    assert result.exit_code == 2
    assert flat(result.stderr) == (
        f"error: {exports}: no file looks like an orders export (customer, date and amount"
        " columns); Kunden.csv has customer_id ← Kundennummer, but no order_date or amount;"
        " nothing written"
    )
    assert [p.name for p in exports.iterdir()] == ["Kunden.csv"]


def test_init_says_what_an_export_of_order_lines_lacks(write_csv, exports, cli):
    """An 'Online Retail' export has quantity and unit price, not the amount: init says
    which columns it found and what to add, not only that nothing fits."""
    write_csv(
        "Online Retail.csv",
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n",
    )
    result = cli("init", exports)
    assert result.exit_code == 2
    assert (
        "Online Retail.csv has customer_id ← CustomerID, order_date ← InvoiceDate, order_id ←"
        " InvoiceNo, but no amount (it has Quantity and UnitPrice: add a column with their"
        " product, the line's amount, and map it as amount)"
    ) in flat(result.stderr)


def test_init_on_a_missing_folder(tmp_path, cli):
    result = cli("init", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert flat(result.stderr) == f"error: {tmp_path / 'nowhere'}: exports folder not found"


def test_init_points_out_what_to_check(write_csv, exports, cli):
    write_csv(
        "Umsatz 2025.csv",
        "Kundennr;Datum;Betrag;Kanal\nK1;01/02/2025;12,50;Webshop\nK2;03/04/2025;7,00;Brieftaube\n"
        "K3;05/04/2025;7,00;Außendienst\n",
    )
    (exports / "payments.csv").write_bytes(b"PK\x03\x04" + bytes(64))
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    output = flat(result.stdout)
    for remark in (
        "note: orders: dates could also be %m/%d/%Y; assumed %d/%m/%Y, check date_format",
        "warning: orders.channel: values not understood: 'Brieftaube'; they count as unknown"
        " until listed under [sources.orders.values.channel]",
        "payments.csv: not a text file: looks like an Excel workbook or ZIP archive, but it"
        " cannot be opened as one",
        "note: no payments export found",
    ):
        assert remark in output
    assert "warning: not read: " in output and "not recognised" not in output
    orders = read_toml(exports / "churnwatch.toml")["sources"]["orders"]
    assert orders["path"] == "Umsatz 2025.csv"
    assert orders["columns"] == {
        "customer_id": "Kundennr",
        "order_date": "Datum",
        "amount": "Betrag",
        "channel": "Kanal",
    }
    assert (orders["delimiter"], orders["decimal"], orders["date_format"]) == (";", ",", "%d/%m/%Y")
    assert orders["values"] == {"channel": {"inbound": ["Webshop"], "outbound": ["Außendienst"]}}
    written = (exports / "churnwatch.toml").read_text(encoding="utf-8")
    assert '# inbound or outbound? add each to a list: "Brieftaube"' in written


def test_init_leaves_a_bom_followed_by_cp1252_lines_to_the_loader(exports, cli):
    """A UTF-8 BOM, then umlauts in cp1252: naming utf-8-sig would make every run fail on
    them; left unnamed, the loader reads those lines as cp1252 and says so."""
    (exports / "orders.csv").write_bytes(
        b"\xef\xbb\xbfcustomer_id;order_date;amount\nM\xfcller;2025-01-02;5\nB;2025-01-03;6\n"
    )
    assert cli("init", exports).exit_code == 0
    assert "encoding" not in read_toml(exports / "churnwatch.toml")["sources"]["orders"]
    dataset = load(exports)
    assert list(dataset.customer_ids) == ["B", "Müller"]
    assert problem(dataset, "encoding").level.value == "warning"


def test_init_leaves_utf8_with_one_cp1252_byte_to_the_loader(exports, cli):
    """A UTF-8 export with umlauts in its ids and one note pasted from a cp1252 program:
    init named cp1252, and every run read 'MÜLLER' as 'MÃœLLER', a customer apart from the
    master data's."""
    rows = "".join(f"M\u00dcLLER{n};2025-01-0{n};5;Rampe 3\n" for n in range(1, 8))
    (exports / "orders.csv").write_bytes(
        ("customer_id;order_date;amount;note\n" + rows).encode() + b"B;2025-01-09;6;R\xe4ckruf\n"
    )
    result = cli("init", exports)
    assert result.exit_code == 0
    assert "orders.csv (utf-8 with lines of another encoding," in flat(result.stdout)
    assert "encoding" not in read_toml(exports / "churnwatch.toml")["sources"]["orders"]
    assert list(load(exports).customer_ids)[:2] == ["B", "M\u00dcLLER1"]


def test_init_switches_off_a_payments_export_without_a_due_date(write_csv, exports, cli):
    """Invoices without a due date (nor payment terms to work one out): init mapped the
    rest and warned, and every run then stopped at the missing column (exit 2)."""
    write_csv("Auftraege.csv", "Kundennummer;Belegdatum;Nettobetrag\nK1;02.01.2025;5,00\n")
    write_csv(
        "Rechnungen.csv",
        "Kundennummer;Rechnungsdatum;Bezahlt am;Betrag\nK1;02.01.2025;20.01.2025;5,00\n",
    )
    result = cli("init", exports)
    assert result.exit_code == 0
    assert "set sources.payments.columns.due_date and delete its `enabled = false`" in flat(
        result.stdout
    )
    assert read_toml(exports / "churnwatch.toml")["sources"]["payments"]["enabled"] is False
    validated = cli("validate", exports)
    assert validated.exit_code == 0, validated.stderr
    assert (
        "note: Rechnungen.csv: switched off in churnwatch.toml (enabled = false); the payments"
        " are left out" in flat(validated.stdout + validated.stderr)
    )


def test_init_asks_for_the_invoice_date_that_payment_terms_need(write_csv, exports, cli):
    """Payment terms in days and an invoice date under a header init does not know
    (``Erstellt``, JTL's): init asked for a due date column the export does not have."""
    write_csv("Auftraege.csv", "Kundennummer;Belegdatum;Nettobetrag\nK1;02.01.2025;5,00\n")
    write_csv(
        "Rechnungen.csv",
        "Kundennr;Erstellt;Zahlungsziel (Tage);Bezahlt am;Betrag\nK1;02.01.2025;14;;5,00\n",
    )
    result = cli("init", exports)
    assert result.exit_code == 0
    assert (
        "set sources.payments.columns.invoice_date (e.g. 'Erstellt', whose values are dates),"
        " from which and payment_terms ('Zahlungsziel (Tage)') it is worked out, or"
        " sources.payments.columns.due_date" in flat(result.stdout)
    )


def test_init_works_out_due_dates_from_payment_terms(write_csv, exports, cli):
    """An invoice list with a payment term in days instead of a due date: the due date is
    the invoice date plus the term, and the payment signals work."""
    write_csv("Auftraege.csv", "Kundennummer;Belegdatum;Nettobetrag\nK1;02.01.2025;5,00\n")
    write_csv(
        "Rechnungen.csv",
        "Kundennummer;Rechnungsdatum;Zahlungsziel (Tage);Bezahlt am;Betrag\n"
        "K1;02.01.2025;30;20.01.2025;5,00\nK1;05.02.2025;14;;5,00\n",
    )
    result = cli("init", exports)
    assert result.exit_code == 0
    assert "no column recognised as 'due_date'" not in flat(result.stdout)
    payments = read_toml(exports / "churnwatch.toml")["sources"]["payments"]
    assert "enabled" not in payments
    assert payments["columns"]["payment_terms"] == "Zahlungsziel (Tage)"
    dataset = load(exports)
    due = dataset.dataset.frame("payments")["due_date"].tolist()  # the whole history
    assert due == [day("2025-02-01"), day("2025-02-19")]
    note = problem(dataset, "derived", "payments")
    assert note.message == (
        "no due_date column: each is taken as 'Rechnungsdatum' + 'Zahlungsziel (Tage)'"
    )


def test_init_maps_sap_sales_orders_and_open_items(write_csv, exports, cli):
    """SAP's VA05 (sales orders) and FBL5N (customer line items) as unconverted text: the
    items list, which has a customer, a date and an amount too, was taken for the orders,
    with the net due date (Nettofälligkeit) as their amount."""
    write_csv(
        "VA05.txt",
        "Verkaufsbeleg\tAuftraggeber\tName Auftraggeber\tBestellnummer\tBelegdatum\tNettowert"
        "\tWährung\n500627\tK1011\tLukasiewicz\ttelefonisch\t02.01.2024\t3.183,50\tEUR\n",
        "cp1252",
    )
    write_csv(
        "FBL5N.txt",
        "Konto\tBelegnummer\tBelegart\tBelegdatum\tNettofälligkeit\tAusgleichsdatum\t"
        "Betrag in Hauswährung\tHauswährung\tVerzug nach Nettofälligkeit\n"
        "K1011\tRE900000\tRV\t02.01.2024\t01.02.2024\t01.02.2024\t3.183,50\tEUR\t0\n",
        "cp1252",
    )
    result = cli("init", exports)
    assert result.exit_code == 0
    assert "would also fit" not in result.stdout  # the days past the due date are no amount
    sources = read_toml(exports / "churnwatch.toml")["sources"]
    assert sources["orders"]["path"] == "VA05.txt"
    assert sources["orders"]["columns"] == {  # the sales document, not the customer's PO
        "customer_id": "Auftraggeber",
        "order_date": "Belegdatum",
        "amount": "Nettowert",
        "order_id": "Verkaufsbeleg",
    }
    assert sources["payments"]["path"] == "FBL5N.txt"
    assert sources["payments"]["columns"] == {
        "customer_id": "Konto",
        "due_date": "Nettofälligkeit",
        "paid_date": "Ausgleichsdatum",
        "amount": "Betrag in Hauswährung",
        "invoice_id": "Belegnummer",
        "invoice_date": "Belegdatum",
    }
    assert cli("validate", exports).exit_code == 0


def test_a_date_column_of_excel_serial_numbers_is_read(write_csv, exports, cli):
    """A date cell formatted as a number saves as Excel's serial (45293 is 2024-01-02):
    init left the column unmapped ("holds no dates"), and every run stopped at it."""
    write_csv(
        "orders.csv",
        "Kunde;Belegdatum;Betrag\nK1;45293;5,00\nK1;45324.5;6,00\nK2;45658;7,00\n",
    )
    assert cli("init", exports).exit_code == 0
    orders = read_toml(exports / "churnwatch.toml")["sources"]["orders"]
    assert (orders["date_format"], orders["columns"]["order_date"]) == ("excel", "Belegdatum")
    days = load(exports).frame("orders")["order_date"].tolist()
    assert days == [day("2024-01-02"), day("2024-02-02"), day("2025-01-01")]
    assert "dates Excel serial numbers" in flat(cli("validate", exports).stdout)


def test_init_maps_a_french_erps_exports(write_csv, exports, cli):
    """'N° client', 'Date commande', 'Montant HT': no file looked like orders, and init
    wrote nothing."""
    write_csv(
        "commandes.csv",
        "N° commande;N° client;Date commande;Montant HT\n1;C1;02/01/2025;1\u00a0234,56\n",
        "utf-8-sig",
    )
    write_csv(
        "factures.csv",
        "N° facture;N° client;Date facture;Date d'échéance;Date de paiement;Montant TTC\n"
        "F1;C1;02/01/2025;01/02/2025;;1\u00a0481,47\n",
        "utf-8-sig",
    )
    write_csv("clients.csv", "N° client;Raison sociale;Commercial\nC1;Durand SA;Marie\n")
    assert cli("init", exports).exit_code == 0
    sources = read_toml(exports / "churnwatch.toml")["sources"]
    assert sources["orders"]["columns"] == {
        "customer_id": "N° client",
        "order_date": "Date commande",
        "amount": "Montant HT",
        "order_id": "N° commande",
    }
    assert sources["payments"]["columns"]["due_date"] == "Date d'échéance"
    assert sources["payments"]["columns"]["paid_date"] == "Date de paiement"
    assert sources["customers"]["columns"] == {
        "customer_id": "N° client",
        "name": "Raison sociale",
        "owner": "Commercial",
    }
    assert load(exports).frame("orders")["amount"].tolist() == [1234.56]


def test_init_does_not_take_a_second_orders_export_for_complaints(write_csv, exports, cli):
    """Orders exported per year: the second file is another orders export, not complaints
    (which would count every 2026 order as a complaint); init says so and maps only one."""
    header = "Kundennummer;Auftragsdatum;Auftragswert\n"
    write_csv("Auftraege_2025.csv", header + "1;01.10.2025;100,00\n2;02.10.2025;200,00\n")
    write_csv("Auftraege_2026.csv", header + "1;01.11.2026;100,00\n3;02.11.2026;300,00\n")
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    assert "warning: Auftraege_2025.csv: another orders export (like Auftraege_2026.csv)" in flat(
        result.stdout
    )
    sources = read_toml(exports / "churnwatch.toml")["sources"]
    assert sources["orders"]["path"] == "Auftraege_2026.csv"  # the one with the latest orders
    assert "complaints" not in sources or not sources["complaints"].get("enabled", True)


def test_init_takes_the_export_whose_latest_order_is_newest_beyond_its_first_rows(
    write_csv, exports, cli
):
    """A whole history (oldest first, newest past the rows init samples) and a small file of
    last year's orders: the history has the latest orders, though its first rows are old."""
    header = "Kundennummer;Auftragsdatum;Auftragswert\n"
    old = "".join(f"{n};0{1 + n % 9}.01.2020;10,00\n" for n in range(700))
    write_csv("Historie.csv", header + old + "1;15.03.2026;99,00\n")
    write_csv("Auftraege_2025.csv", header + "1;01.10.2025;100,00\n2;02.10.2025;200,00\n")
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    assert read_toml(exports / "churnwatch.toml")["sources"]["orders"]["path"] == "Historie.csv"


def test_init_uses_a_lone_generic_export_as_the_orders_only(write_csv, exports, cli):
    """'data.csv' with customer, date and total fits orders and complaints alike: it is the
    orders (every order counted as an open complaint was the result)."""
    write_csv("data.csv", "customer,date,total\nA,2026-10-01,10\nB,2026-10-02,20\n")
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    sources = read_toml(exports / "churnwatch.toml")["sources"]
    assert sources["orders"]["path"] == "data.csv"
    assert [name for name, s in sources.items() if s.get("path") == "data.csv"] == ["orders"]
    assert "counts as an order" not in flat(result.stdout)


def test_init_shows_a_header_with_a_line_break_on_one_line(exports, cli):
    (exports / "orders.csv").write_text(
        '"Customer\nNumber",order_date,amount\nC1,2025-01-02,5\n', encoding="utf-8"
    )
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    assert "  customer_id ← Customer\\nNumber · order_date ← order_date" in result.stdout
    written = read_toml(exports / "churnwatch.toml")["sources"]["orders"]["columns"]
    assert written["customer_id"] == "Customer\nNumber"


def test_init_takes_an_invoice_export_as_the_orders(write_csv, exports, cli):
    write_csv(
        "Rechnungen.csv",
        "Rechnungsnr;Kundennr;Rechnungsdatum;Brutto;Netto\n"
        "1;K1;01.02.2025;2.380,00 €;2.000,00 €\n2;K2;13.02.2025;119,00 €;100,00 €\n",
    )
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    output = flat(result.stdout)
    assert "no orders export found; each row of Rechnungen.csv counts as an order" in output
    assert "amount ← 'Netto'; 'Brutto' would also fit (net amounts are preferred" in output
    orders = read_toml(exports / "churnwatch.toml")["sources"]["orders"]
    assert orders["columns"] == {
        "customer_id": "Kundennr",
        "order_date": "Rechnungsdatum",
        "amount": "Netto",
        "order_id": "Rechnungsnr",
    }
    assert cli("validate", exports).exit_code == 0
    revenue = load(exports).frame("orders")["amount"].tolist()
    assert revenue == [2000.0, 100.0]  # '2.000,00 €': currency sign and thousands understood


def test_init_skips_excel_sep_and_datev_extf_lines(write_csv, exports, cli):
    write_csv(
        "orders.csv",
        "sep=;\ncustomer_id;order_date;amount\nA;2025-01-02;1,5\nB;2025-01-03;2\n",
        "utf-8-sig",
    )
    write_csv(
        "payments.csv",
        '"EXTF";700;21;"Buchungsstapel";13\n'
        "customer_id;due_date;paid_date;amount\nA;2025-02-01;2025-02-03;1,5\n",
    )
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    config = read_toml(exports / "churnwatch.toml")["sources"]
    assert config["orders"]["delimiter"] == ";" and config["payments"]["delimiter"] == ";"
    dataset = load(exports)
    assert dataset.frame("orders")["amount"].tolist() == [1.5, 2.0]
    assert len(dataset.frame("payments")) == 1


def test_a_bad_row_after_a_sep_line_is_reported_on_its_physical_line(write_csv, exports):
    write_csv("orders.csv", "sep=,\ncustomer_id,order_date,amount\nA,2025-01-02,1\nB,xx,2\n")
    dataset = load(exports)
    bad = problem(dataset, "bad_date")
    assert bad.lines == (4,)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("EUR 12,50", 12.5), ("12,50 €", 12.5), ("-1.234,56 €", -1234.56), ("€ 3", 3.0)],
)
def test_currency_signs_and_codes_in_amounts(write_csv, exports, text, amount):
    write_csv("orders.csv", f'customer_id;order_date;amount\nA;2025-01-02;"{text}"\n')
    assert load(exports).frame("orders")["amount"].tolist() == [amount]


def test_init_does_not_take_payment_terms_in_days_for_the_due_date(write_csv, exports, cli):
    write_csv("orders.csv", "customer_id,order_date,amount\nA,2025-01-02,1\n")
    write_csv(
        "Rechnungen.csv",
        "Kunden-Nr;Rechnungsdatum;Fälligkeit;Fällig am;Bezahlt am;Betrag\n"
        "A;02.01.2025;30;01.02.2025;03.02.2025;1,00\n",
    )
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    payments = read_toml(exports / "churnwatch.toml")["sources"]["payments"]
    assert payments["columns"]["due_date"] == "Fällig am"
    assert "'Fälligkeit' holds no dates (e.g. '30'), so it is not used as due_date" in flat(
        result.stdout
    )


def test_init_warns_of_a_mapped_column_named_twice(write_csv, exports, cli):
    """``Betrag`` twice (debit and credit): init wrote ``amount ← Betrag`` and exit 0, and
    validate then refused the mapping."""
    write_csv("orders.csv", "Kunde;Datum;Betrag;Betrag\nK1;02.01.2025;12,50;0,00\n")
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    assert (
        "warning: orders.amount ← 'Betrag', which appears 2 times in the header of orders.csv:"
        " rename the copies"
    ) in flat(result.stdout)
    assert "appears 2 times in the header" in cli("validate", exports).stderr


def test_init_warns_when_no_date_format_fits(write_csv, exports, cli):
    write_csv("orders.csv", "customer_id,order_date,amount\nA,2025/13/45 x,1\n")
    result = cli("init", exports)
    assert "warning: orders: no date format fits the dates (e.g. '2025/13/45 x')" in flat(
        result.stdout
    )


@pytest.mark.parametrize(
    ("text", "amount"), [("1’234.50", 1234.5), ("Fr. 1'234.50", 1234.5), ("CHF 12", 12.0)]
)
def test_swiss_amounts(write_csv, exports, text, amount):
    write_csv(
        "orders.csv",
        f'customer_id;order_date;amount\nA;2025-01-02;"{text}"\nB;2025-01-02;"1’000.00"\n',
    )
    assert load(exports).frame("orders")["amount"].tolist()[0] == amount


def test_twelve_hour_times_after_the_date_are_ignored(write_csv, exports):
    write_csv(
        "orders.csv",
        "customer_id,order_date,amount\nA,03/03/2025 1:43 AM,1\nB,03/13/2025 11:02 PM,2\n",
    )
    days = load(exports).frame("orders")["order_date"].tolist()
    assert days == [day("2025-03-03"), day("2025-03-13")]


def test_init_maps_a_column_by_its_exact_name_beside_lookalikes_and_says_so(
    write_csv, exports, cli
):
    """Whatever the column order, the header that is the column's exact name, as scan reads
    it without a mapping, and a note on the others (not net against gross for amounts)."""
    write_csv(
        "orders.csv", "Customer ID,customer_id,order_date,Amount,amount\nK1,C1,2025-01-02,15,5\n"
    )
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    said = flat(result.stdout + result.stderr)
    for column, other in (("customer_id", "Customer ID"), ("amount", "Amount")):
        assert (
            f"note: orders: {column} ← '{column}'; '{other}' also names it: check that the"
            " mapping takes the one meant"
        ) in said
    assert "net amounts are preferred" not in said
    config = (exports / "churnwatch.toml").read_text()
    assert 'customer_id = "customer_id"' in config and 'amount = "amount"' in config


def test_init_says_a_workbook_saved_as_csv_is_not_read(write_csv, exports, cli):
    """As scan does: a workbook under a .csv name is named as one, not "not recognised"."""
    import openpyxl

    write_csv("orders.csv", "customer_id,order_date,amount\nK1,2025-01-02,5\n")
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Rechnungsnummer"
    workbook.save(exports / "Rechnungen.csv")
    result = cli("init", exports)
    assert result.exit_code == 0, result.stderr
    output = flat(result.stdout + result.stderr)
    assert (
        "warning: not read: " + str(exports / "Rechnungen.csv") + ": not a CSV file: looks like"
        " an Excel workbook; export the sheet as CSV" in output
    )


@pytest.mark.parametrize(
    ("name", "case"),
    [
        ("orders.xlsx", (b"PK\x05\x06" + bytes(18), "the orders are a spreadsheet")),
        ("orders.zip", (None, "a ZIP archive should hold one CSV file; it holds 2")),
        ("orders.csv.gz", (b"\x1f\x8b\x08\x00", "cannot unpack this gzip file")),
    ],
)
def test_init_does_not_let_the_invoices_stand_in_for_orders_it_cannot_read(
    examples_dir, exports, cli, name: str, case: tuple[bytes | None, str]
):
    """The invoices stand in for orders only where there are none: an orders export that
    is damaged, or saved as a workbook, is an error as it is for scan, not a quiet guess."""
    content, says = case
    shutil.copy(examples_dir / "exports" / "payments.csv", exports)
    if content is None:
        with zipfile.ZipFile(exports / name, "w") as archive:
            archive.writestr("a.csv", "customer_id,order_date,amount\n")
            archive.writestr("b.csv", "customer_id,order_date,amount\n")
    else:
        (exports / name).write_bytes(content)
    result = cli("init", exports)
    assert result.exit_code == 2
    assert f"error: {exports / name}" in flat(result.stderr) and says in flat(result.stderr)
    assert not (exports / "churnwatch.toml").exists()
    (exports / name).unlink()  # no orders export at all: the invoices stand in, as before
    assert cli("init", exports).exit_code == 0
