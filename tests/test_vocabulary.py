"""Values of fixed vocabularies are understood even when no list knows them, and a signal
whose input is mostly not understood is missing rather than computed from the rest."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from churnwatch.core.sources import SOURCES
from churnwatch.ingest.vocabulary import toml_lines, understand
from helpers import load
from scan_helpers import features_by_id, write_exports

CHANNEL = SOURCES["orders"].column("channel")
OUTCOME = SOURCES["contacts"].column("outcome")
SEVERITY = SOURCES["complaints"].column("severity")


@pytest.mark.parametrize(
    ("raw", "meaning"),
    [
        ("Online-Shop", "inbound"),
        ("E-Mail", "inbound"),
        ("Telefon", "inbound"),
        ("Außendienst", "outbound"),
        ("AUSSENDIENST", "outbound"),
        ("Sales Rep", "outbound"),
        ("Telefonverkauf", "outbound"),
    ],
)
def test_channel_spellings(raw: str, meaning: str) -> None:
    assert understand([raw], CHANNEL).meanings[raw] == meaning


@pytest.mark.parametrize(
    ("raw", "meaning"),
    [
        ("Left Voicemail", "not_reached"),
        ("No answer", "not_reached"),
        ("Mailbox", "not_reached"),
        ("besetzt", "not_reached"),
        ("Kunde nicht erreicht", "not_reached"),
        ("nicht erreichbar", "not_reached"),
        ("Spoke with buyer", "reached"),
        ("Gespräch geführt", "reached"),
    ],
)
def test_outcome_spellings_and_the_longest_word_wins(raw: str, meaning: str) -> None:
    assert understand([raw], OUTCOME).meanings[raw] == meaning


@pytest.mark.parametrize(
    ("values", "header", "expected"),
    [
        (["P1 - Urgent", "P2 - Normal", "P3 - Low"], "Priority", ["high", "medium", "low"]),
        (["P1", "P2", "P3"], "Priority", ["high", "medium", "low"]),
        (["Prio 1", "Prio 2"], "Prio", ["high", "low"]),
        (["1", "2", "3"], "Priorität", ["high", "medium", "low"]),
        (["1", "2", "3"], "Schweregrad", ["low", "medium", "high"]),
        (["kritisch", "nicht kritisch"], "Schwere", ["high", "low"]),
    ],
)
def test_severity_from_words_or_ranks(values: list[str], header: str, expected: list[str]) -> None:
    meanings = understand(values, SEVERITY, header=header).meanings
    assert [meanings[v] for v in values] == expected


def test_one_sided_values_put_the_rest_on_the_other_side() -> None:
    understood = understand(["Selbstbesteller", "Außendienst", "Abholer"], CHANNEL)
    assert understood.meanings == {
        "Selbstbesteller": "inbound",
        "Außendienst": "outbound",
        "Abholer": "inbound",
    }
    assert understood.inferred == {"Selbstbesteller": "inbound", "Abholer": "inbound"}


def test_nothing_recognised_infers_nothing() -> None:
    understood = understand(["foo", "bar"], CHANNEL)
    assert understood.unknown == ["foo", "bar"]


def test_configured_spellings_win_and_the_toml_lists_what_is_left() -> None:
    understood = understand(
        ["Shop", "Messe", "Außendienst", "Web"], CHANNEL, configured={"outbound": ["Shop"]}
    )
    assert understood.meanings["Shop"] == "outbound"
    assert toml_lines("orders", CHANNEL, understood) == [
        "[sources.orders.values.channel]",
        'inbound = ["Web"]',
        'outbound = ["Shop", "Außendienst"]',
        '# inbound or outbound? add each to a list: "Messe"',
    ]


def test_a_share_mostly_built_on_unknown_values_is_missing(tmp_path: Path) -> None:
    rows = ["customer_id,order_date,amount,channel"]
    rows += [f"A,2025-05-{d:02d},10,Hausmesse" for d in range(1, 9)]  # unknown (both sides known)
    rows += ["A,2025-05-20,10,Außendienst", "A,2025-05-21,10,Webshop"]
    rows += [f"B,2025-05-{d:02d},10,Webshop" for d in range(1, 9)] + ["B,2025-05-21,10,Außendienst"]
    folder = write_exports(tmp_path / "exports", orders="\n".join(rows) + "\n")
    features = features_by_id(folder, dt.date(2025, 5, 31))
    assert math.isnan(features.loc["A", "outbound_share_recent"])
    assert features.loc["B", "outbound_share_recent"] == pytest.approx(1 / 9)


def test_fix_for_a_configured_table_replaces_its_lists_whole() -> None:
    understood = understand(["Web", "Messe"], CHANNEL, configured={"outbound": ["Vertreter"]})
    assert toml_lines("orders", CHANNEL, understood, {"outbound": ["Vertreter"]}) == [
        "# replace the lists under [sources.orders.values.channel] in churnwatch.toml:",
        'inbound = ["Web"]',
        'outbound = ["Vertreter", "Messe"]',  # Messe: the other side of Web, inferred
    ]


def test_a_credit_notes_channel_is_not_reported(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount,channel\n"
        "A,2025-01-02,10,Webshop\nA,2025-01-03,10,Außendienst\nA,2025-01-04,-5,Gutschrift\n",
    )
    assert [p.code for p in load(folder).problems] == []


def test_a_long_value_is_no_category_unless_the_settings_list_it() -> None:
    """A note that slipped into the column is not guessed at; a long spelling the user put in
    the settings is theirs."""
    long = "Partnervertrieb " + "Nord " * 30
    assert understand([long, "Webshop"], CHANNEL).meanings[long] is None
    configured = understand([long, "Webshop"], CHANNEL, configured={"outbound": [long]})
    assert configured.meanings[long] == "outbound"
