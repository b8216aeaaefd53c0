"""Customer ids: one integer coding shared by all sources, in natural order, trimmed."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from churnwatch.ingest.customer_ids import Spellings, code_customers, natural_sort
from churnwatch.ingest.dataset import _lookalike_hint, _twins
from helpers import codes, ids, load, problem, summary
from scan_helpers import invoke, stderr_of, write_exports


def test_sources_share_one_natural_order_coding(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\nC10,2025-01-02,1\nC2,2025-01-03,2\n")
    write_csv("payments.csv", "customer_id,due_date,paid_date,amount\nC2,2025-02-01,,1\n")
    write_csv("customers.csv", "customer_id,name\nC10,Ten\nC2,Two\nC1,One\n")
    dataset = load(exports)
    assert list(dataset.customer_ids) == ["C1", "C2", "C10"]
    assert dataset.frame("orders")["customer"].tolist() == [2, 1]
    assert dataset.frame("payments")["customer"].tolist() == [1]
    assert dataset.frame("customers")["customer"].tolist() == [2, 1, 0]


def test_ids_padded_with_spaces_match_the_trimmed_id(write_csv, exports):
    write_csv(
        "orders.csv", 'customer_id,order_date,amount\n C1 ,2025-01-02,1\n"C2\t",2025-01-03,2\n'
    )
    write_csv(
        "payments.csv",
        'customer_id,due_date,paid_date,amount\nC1,2025-02-01,,1\n"  C2",2025-02-01,,2\n',
    )
    dataset = load(exports)
    assert list(dataset.customer_ids) == ["C1", "C2"]
    assert ids(dataset, "payments") == ["C1", "C2"]
    assert codes(dataset) == []  # no orphans: the padded ids are the same customers
    assert summary(dataset, "payments").customers == 2


def test_orphan_payments_are_reported(write_csv, exports, use_fixture):
    write_csv("orders.csv", "customer_id,order_date,amount\nC1,2025-01-05,1\n")
    use_fixture("payments", "orphan_payments.csv")
    dataset = load(exports)
    (orphan,) = dataset.problems
    assert (orphan.source, orphan.code, orphan.column, orphan.count) == (
        "payments",
        "orphan",
        "customer_id",
        2,
    )
    assert orphan.describe() == (
        "payments.csv: column 'customer_id': 2 rows for 1 customer with no orders (lines 3, 4;"
        " e.g. 'C9')"
    )  # the lines: where to look for the mistyped id
    assert summary(dataset, "payments").orphan_rows == 2


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["C10", "C2", "C1"], ["C1", "C2", "C10"]),
        (["10", "2", "1"], ["1", "2", "10"]),
        (["B1", "A", "C1", "10", "2"], ["2", "10", "A", "B1", "C1"]),
        (["K-100", "K-20", "J-3"], ["J-3", "K-20", "K-100"]),
        (["007", "7", "06"], ["06", "007", "7"]),
    ],
)
def test_natural_sort(given, expected):
    assert natural_sort(pa.array(given)).to_pylist() == expected


def test_code_customers_directly():
    coded = code_customers(
        {
            "orders": pa.chunked_array([["C2", " C10", "C2\x00"]]),
            "customers": pa.chunked_array([["C1", "C10 "]]),
        }
    )
    assert list(coded.ids) == ["C1", "C2", "C10"]
    assert coded.codes["orders"].tolist() == [1, 2, 1]
    assert coded.codes["customers"].tolist() == [0, 2]
    assert coded.with_nul["orders"].tolist() == [2] and coded.with_nul["customers"].size == 0


def test_nul_byte_in_customer_id_is_dropped(write_csv, exports):
    (exports / "orders.csv").write_bytes(
        b"customer_id,order_date,amount\nC1,2025-01-02,1\nC2\x00,2025-01-03,2\n"
    )
    write_csv("payments.csv", "customer_id,due_date,paid_date,amount\nC2,2025-02-01,,1\n")
    dataset = load(exports)
    assert list(dataset.customer_ids) == ["C1", "C2"]
    assert codes(dataset) == [("orders", "repaired")]  # C2 matches: no orphan payment
    note = problem(dataset, "repaired")  # the user is told where the id was repaired
    assert (note.column, note.count, note.lines) == ("customer_id", 1, (3,))
    assert "NUL bytes or invisible characters (a zero-width space, a byte-order mark) removed" in (
        note.message
    )


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_invisible_characters_around_an_id_are_dropped(tmp_path, engine):
    """``1000`` with a zero-width space after it, or a byte-order mark before it (pasted
    from a web page or another file), was a customer of its own: 90 customers for 30, shown
    alike, their payments on one of the copies. A character inside an id is kept."""
    rows = ["customer_id,order_date,amount"]
    for i in range(90):
        pad = ["", "\u200b", "\ufeff", " \u2060"][i % 4]
        rows.append(
            f"{pad if i % 4 == 2 else ''}{1000 + i % 30}{pad if i % 4 != 2 else ''},"
            f"2025-01-{1 + i % 28:02d},{i}"
        )
    rows.append("10\u200b01,2025-01-05,1")
    folder = write_exports(tmp_path / "exports", orders="\n".join(rows) + "\n")
    result = invoke("scan", folder, "--as-of", "2025-02-28", "-f", "csv", "--engine", engine)
    assert result.exit_code == 0, stderr_of(result)
    assert result.stdout.count("\n") == 32  # the header, 30 customers and 10\u200b01
    said = "orders.csv: column 'customer_id': NUL bytes or invisible characters"
    assert said in stderr_of(result) and "(lines 3, 4, 5, 7, 8" in stderr_of(result)


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_an_id_written_in_either_unicode_form_is_one_customer(tmp_path, engine):
    """``MÜLLER9`` from a Mac (``U`` and a combining diaeresis) and from Windows (one ``Ü``)
    look the same: they were two customers, each with half the orders, and the payments of
    one an orphan's. ``explain`` finds the customer typed either way."""
    composed, decomposed = "M\u00dcLLER9", "MU\u0308LLER9"
    rows = ["customer_id,order_date,amount"]
    rows += [f"{(composed, decomposed)[i % 2]},2025-01-{1 + i:02d},{10 + i}" for i in range(6)]
    rows.append("K2,2025-01-03,5")
    payments = f"customer_id,due_date,paid_date,amount\n{decomposed},2025-02-01,,1\n"
    folder = write_exports(tmp_path / "exports", orders="\n".join(rows) + "\n", payments=payments)
    result = invoke("scan", folder, "--as-of", "2025-02-28", "-f", "csv", "--engine", engine)
    assert result.exit_code == 0, stderr_of(result)
    assert result.stdout.count("\n") == 3  # the header, K2 and one MÜLLER9
    assert composed in result.stdout and "orphan" not in stderr_of(result)
    if engine == "local":
        found = invoke("explain", folder, decomposed, "--as-of", "2025-02-28", "-f", "json")
        assert found.exit_code == 0, stderr_of(found)
        assert json.loads(found.stdout)["customer"]["features"]["order_count"] == 6


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_customer_numbers_padded_in_one_export_can_be_read_as_one(tmp_path, engine):
    """SAP's FBL5N pads the customer number to ten digits, VA05 does not: every payment was
    an orphan's and the payment signals never fired. The warning names the setting, and the
    setting reads them as one customer (ids of other shapes are left as they are)."""
    orders = (
        "customer_id,order_date,amount\n"
        "10001,2025-01-02,5\n10001,2025-02-02,5\nKD-007,2025-01-05,1\nK012X,2025-01-06,1\n"
    )
    payments = (
        "customer_id,due_date,paid_date,amount\n"
        "0000010001,2025-01-16,2025-01-17,5\n0000010001,2025-02-16,,5\nKD-7,2025-01-20,,1\n"
        "K12X,2025-01-20,,1\n"
    )
    folder = write_exports(tmp_path / "exports", orders=orders, payments=payments)
    common = ("scan", folder, "--as-of", "2025-02-28", "-f", "json", "--engine", engine)
    apart = invoke(*common)
    assert "'0000010001' vs '10001' in the orders (if they are one customer, set" in (
        stderr_of(apart)
    )
    assert "ignore_leading_zeros = true under [customer_ids]" in stderr_of(apart)
    (folder / "churnwatch.toml").write_text("[customer_ids]\nignore_leading_zeros = true\n")
    one = invoke(*common)
    assert one.exit_code == 0, stderr_of(one)
    customers = {c["customer_id"]: c for c in json.loads(one.stdout)["customers"]}
    assert set(customers) == {"10001", "KD-7", "K012X"}  # K12X: no number, an orphan still
    assert customers["10001"]["features"]["open_overdue_invoices"] == 1
    assert "'K12X'" in stderr_of(one) and "0000010001" not in stderr_of(one)


def test_ids_only_a_dropped_row_had_are_no_customers():
    """A dictionary-encoded column (Parquet) keeps the ids of rows skipped for a bad value
    in its dictionary: those are nobody's, in one source or several."""
    dictionary = pa.array(["C3", "C1", "Gone"])
    parquet = pa.chunked_array([pa.DictionaryArray.from_arrays(pa.array([0, 1, 0]), dictionary)])
    alone = code_customers({"orders": parquet})
    assert list(alone.ids) == ["C1", "C3"] and alone.codes["orders"].tolist() == [1, 0, 1]
    both = code_customers({"orders": parquet, "payments": pa.chunked_array([["C2", "C3"]])})
    assert list(both.ids) == ["C1", "C2", "C3"]
    assert both.codes["orders"].tolist() == [2, 0, 2]
    assert both.codes["payments"].tolist() == [1, 2]


ORDERS_FRAME: Any = SimpleNamespace(
    name="orders", path=Path("orders.csv"), table=SimpleNamespace(columns={"customer_id": "id"})
)


def _spelling_key(way: str, customer: str) -> str | None:
    """The reference: how a way of spelling compares an id, in plain Python (None: the way
    does not apply to it)."""
    if way == "padded_ids":
        found = re.fullmatch(r"([^0-9]*)0*([0-9]+)", customer)
        return found and f"{found[1]}{int(found[2])}"
    if way == "case_ids":
        return customer.lower()
    return re.sub(r"[\W_]+", "", customer)


@pytest.mark.parametrize("seed", range(6))
def test_spelling_hints_and_twins_match_a_plain_reference(seed):
    """Every source's orphans and the ordering customers' twins are compared on keys worked
    out once per way of spelling: the counts and the pairs shown are those a comparison of
    each id with every other gives."""
    rng = random.Random(seed)
    forms = ("K{:03d}", "K{}", "k{:03d}", "K-{}", "{:04d}", "{}")
    text = sorted({rng.choice(forms).format(rng.randrange(40)) for _ in range(120)})
    with_orders = np.array([rng.random() < 0.6 for _ in text])
    spellings = Spellings(pa.array(text), with_orders)
    ordering = [c for c, ordered in zip(text, with_orders, strict=True) if ordered]
    orphans = np.flatnonzero(~with_orders)
    for lookalike in spellings.possible:
        way = lookalike.reason.value
        keyed = {c: _spelling_key(way, c) for c in text}
        last = {keyed[c]: c for c in ordering if keyed[c] is not None}
        matched = [text[i] for i in orphans if keyed[text[i]] in last]
        hint = _lookalike_hint(lookalike, spellings, orphans)
        if matched:
            mine = matched[0]
            assert hint.startswith(f"; {len(matched)} id")
            assert f"'{mine}' vs '{last[keyed[mine]]}'" in hint
        else:
            assert hint == ""
        shared = Counter(keyed[c] for c in ordering if keyed[c] is not None)
        twins = [c for c in ordering if shared.get(keyed[c], 0) > 1]
        found = _twins(lookalike, ORDERS_FRAME, spellings)
        if twins:
            assert found is not None and found.count == len(twins)
            pair = [c for c in ordering if keyed[c] == keyed[twins[0]]][:2]
            assert f"('{pair[0]}' and '{pair[1]}')" in found.message
            groups = sum(n > 1 for n in shared.values())
            assert found.message.startswith(f"{groups} customer id")
        else:
            assert found is None
