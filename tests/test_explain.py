"""`churnwatch explain`: one customer on one screen (issue: from a list to a week's work)."""

from __future__ import annotations

import json
import re

import pytest

from churnwatch.render.customer_view import sparkline
from scan_helpers import EXAMPLES, invoke, stderr_of, write_exports

AS_OF = "2026-09-30"


@pytest.fixture(scope="module")
def scanned() -> list[dict]:
    result = invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json")
    return json.loads(result.stdout)["customers"]


def test_explain_runs_on_a_sample_of_every_phase(scanned: list[dict]) -> None:
    by_phase: dict[str, str] = {}
    for customer in scanned:
        by_phase.setdefault(customer["phase"], customer["customer_id"])
    for customer_id in by_phase.values():
        result = invoke("explain", EXAMPLES / "exports", customer_id, "--as-of", AS_OF)
        assert result.exit_code == 0, stderr_of(result)
        assert result.stdout.startswith(customer_id)
        assert "month by month" in result.stdout


def test_explain_json_carries_the_scan_record_and_a_timeline(scanned: list[dict]) -> None:
    first = scanned[0]
    result = invoke(
        "explain", EXAMPLES / "exports", first["customer_id"], "--as-of", AS_OF, "-f", "json"
    )
    document = json.loads(result.stdout)
    assert document["customer"] == first
    timeline = document["timeline"]
    assert len(timeline["months"]) == 15 and timeline["months"][-1] == "2026-09"
    assert timeline["recent_from"] == "2026-07"
    assert sum(timeline["orders"]) <= first["features"]["order_count"]
    assert len(timeline["revenue"]) == len(timeline["days_late"]) == 15
    contact = document["next_contact"]  # the plan's occasion, its reason in words
    assert set(contact) == {"due", "kind", "customer_id", "name", "owner", "reason"}
    assert contact["reason"] and contact["due"] >= AS_OF


def test_an_unknown_id_names_the_nearest_ones() -> None:
    result = invoke("explain", EXAMPLES / "exports", "C169", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "error: customer 'C169' not found; nearest: C0169" in stderr_of(result)


def test_an_id_with_control_characters_is_found_as_the_lists_show_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The table shows an escape byte in an id as ``\\x1b``: that text, copied from the list,
    finds the customer, and an id not found is never echoed raw to the terminal."""
    (tmp_path / "orders.csv").write_text(
        "customer_id,order_date,amount\nK\x1b[2J7,2025-01-02,5\nK8,2025-01-03,6\n"
    )
    shown = "K\\x1b[2J7"
    result = invoke("explain", tmp_path, shown, "--as-of", "2025-01-31")
    assert result.exit_code == 0, stderr_of(result)
    assert result.stdout.startswith(shown + "\n")
    unknown = invoke("explain", tmp_path, "Q\x1b[2J", "--as-of", "2025-01-31")
    assert unknown.exit_code == 2
    assert "\x1b" not in unknown.output and "customer 'Q\\x1b[2J' not found" in unknown.output


def test_an_id_without_orders_points_to_its_padded_twin(tmp_path) -> None:
    """'1' has an invoice only; '00001' ordered: the exports wrote one number two ways, and
    the suggestion is the customer with orders, not another id without them."""
    (tmp_path / "orders.csv").write_text(
        "customer_id,order_date,amount\n00001,2025-01-02,5\n00002,2025-01-03,6\n"
    )
    (tmp_path / "payments.csv").write_text(
        "customer_id,due_date,paid_date,amount\n1,2025-02-01,,5\n2,2025-02-01,,5\n"
    )
    result = invoke("explain", tmp_path, "1", "--as-of", "2025-01-31")
    assert result.exit_code == 2
    assert (
        "error: customer '1' has no orders up to 2025-01-31; 00001 has orders (the same number,"
        " other leading zeros)"
    ) in stderr_of(result)


def test_sparkline_scales_the_whole_series_from_zero() -> None:
    assert sparkline([0, 4, 8, None]) == " ▄█ "
    assert sparkline([-4, 0, 4]) == "▁ █"


def test_explain_names_the_next_contact(scanned: list[dict]) -> None:
    customer_id = next(c["customer_id"] for c in scanned if c["features"]["open_complaints"])
    result = invoke("explain", EXAMPLES / "exports", customer_id, "--as-of", AS_OF, "-f", "json")
    upcoming = json.loads(result.stdout)["next_contact"]
    assert upcoming["customer_id"] == customer_id and upcoming["due"] >= AS_OF
    table = invoke("explain", EXAMPLES / "exports", customer_id, "--as-of", AS_OF).stdout
    assert f"next contact: {upcoming['due']} ({upcoming['kind']})" in table


def test_without_as_of_explain_and_the_plan_name_the_same_next_contact(
    scanned: list[dict],
) -> None:
    """Both start their calendar today when no past date is asked for: an occasion that fell
    due before today is due today in both, not in the past in one of them."""
    customer_id = next(c["customer_id"] for c in scanned if c["features"]["open_complaints"])
    plan = json.loads(invoke("plan", EXAMPLES / "exports", "-f", "json").stdout)["occasions"]
    first = min(
        (o for o in plan if o["customer_id"] == customer_id), key=lambda o: (o["due"], o["kind"])
    )
    shown = invoke("explain", EXAMPLES / "exports", customer_id, "-f", "json").stdout
    upcoming = json.loads(shown)["next_contact"]
    assert upcoming["due"] == first["due"]


def test_explain_warns_about_the_data_as_scan_does(scanned: list[dict]) -> None:
    """A customer's numbers rest on the same exports: stale ones are said here too."""
    customer_id = scanned[0]["customer_id"]
    today = invoke("explain", EXAMPLES / "exports", customer_id)  # long after the examples
    assert "the exports look stale" in " ".join(stderr_of(today).split())
    past = invoke("explain", EXAMPLES / "exports", customer_id, "--as-of", AS_OF)
    assert "stale" not in stderr_of(past)


def test_the_rank_counts_the_ranked_customers_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A customers-file row without orders is not ranked, and is not counted in 'of N'."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nK1,2025-01-02,5\nK1,2025-03-02,5\nK2,2025-01-03,6\n",
        customers="customer_id,name\nK1,One\nK2,Two\nK3,Never ordered\n",
    )
    result = invoke("explain", folder, "K1", "--as-of", "2025-03-31")
    assert result.exit_code == 0
    assert (
        " of 2 (#1 of the 2 customers not lost, as the table numbers them) · risk" in result.stdout
    )


@pytest.mark.parametrize(("customer_id", "phases"), [("C0033", ()), ("C0258", ("--phase", "lost"))])
def test_the_place_in_the_table_is_the_one_explain_gives(
    customer_id: str, phases: tuple[str, ...]
) -> None:
    """The table leaves the lost out (or lists only them with --phase lost) and numbers what
    it shows; explain's rank counts everyone: C0033 was #4 in the table and "rank 25 of 300"
    in explain, with nothing to tie the two together."""
    table = invoke(
        "scan", EXAMPLES / "exports", "--as-of", AS_OF, "--top", "300", *phases, "-f", "table"
    )
    row = next(line.split() for line in table.stdout.splitlines() if f" {customer_id} " in line)
    shown = len(
        [line for line in table.stdout.splitlines() if re.match(r"\s+\d+\s+C\d{4}\s", line)]
    )
    head = invoke("explain", EXAMPLES / "exports", customer_id, "--as-of", AS_OF).stdout
    assert f"(#{row[0]} of the {shown} " in head  # customers not lost, or lost


def test_the_baseline_per_month_counts_the_months_since_the_first_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A customer for five months, two orders a month: the baseline is two a month, not two
    spread over the twelve months the timeline shows."""
    days = [f"2025-{month:02d}-{day:02d}" for month in range(2, 7) for day in (5, 20)]
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\n" + "".join(f"Y1,{d},10\n" for d in days),
    )
    result = invoke("explain", folder, "Y1", "--as-of", "2025-06-30")
    orders = next(line for line in result.stdout.splitlines() if line.startswith("orders"))
    assert orders.rstrip().endswith("2.0 → 2.0 per month")
    timeline = json.loads(
        invoke("explain", folder, "Y1", "--as-of", "2025-06-30", "--format", "json").stdout
    )["timeline"]
    assert timeline["customer_from"] == "2025-02"


def test_explain_in_german() -> None:
    """--lang de: the head, signals, next contact and timeline in German, the JSON's
    figures and dates as they are."""
    result = invoke("explain", EXAMPLES / "exports", "C0062", "--as-of", AS_OF, "--lang", "de")
    text = " ".join(result.stdout.split())
    place = "(Nr. 42 der 279 nicht verlorenen Kunden, wie die Tabelle sie zählt)"
    assert f"Rang 63 von 300 {place} · Risiko" in text
    assert "Stichtag 30.09.2026" in text
    assert "nächster Kontakt: 30.09.2026 (Reklamation): 2 Reklamationen offen" in text
    assert "Monat für Monat" in text and "pro Monat" in text
    document = json.loads(
        invoke(
            "explain", EXAMPLES / "exports", "C0062", "--as-of", AS_OF, "-f", "json", "--lang", "de"
        ).stdout
    )
    assert document["as_of"] == AS_OF and document["next_contact"]["due"] == AS_OF
    assert document["next_contact"]["reason"].startswith("2 Reklamationen offen")


@pytest.mark.parametrize(("lang", "unit"), [("en", r"pts?"), ("de", r"Pkt\.")])
@pytest.mark.parametrize("customer", ["C0258", "C0062"])
def test_each_next_step_stands_under_its_signal(lang: str, unit: str, customer: str) -> None:
    result = invoke("explain", EXAMPLES / "exports", customer, "--as-of", AS_OF, "--lang", lang)
    lines = result.stdout.splitlines()
    heads = [(i, m) for i, line in enumerate(lines) if (m := re.match(rf"\s*\+\d+ {unit}  ", line))]
    assert heads, result.stdout
    assert len({m.end() for _, m in heads}) == 1  # the titles in one column
    for i, head in heads:
        assert lines[i + 1].index("→") == head.end(), (lines[i], lines[i + 1])


def test_one_point_is_one_point() -> None:
    """C0153 has a signal worth 0.7 points as of 2026-06-30 (as scan shows it: "+1 pt")."""
    text = invoke("explain", EXAMPLES / "exports", "C0153", "--as-of", "2026-06-30").stdout
    assert re.search(r"^ +\+1 pt  ", text, re.MULTILINE), text
