"""churnwatch.toml errors name the file and the place, and suggest the fix."""

from __future__ import annotations

import pytest

from churnwatch.config import load_config
from churnwatch.core.errors import ConfigError
from helpers import ORDERS, flat, load

INVALID = [
    pytest.param(
        "[windows]\nrecent_days = 90\nbaseline_days = = 3\n",
        "line 3, column 17: ",
        id="toml_syntax_error",
    ),
    pytest.param(
        "[windows]\nrecnet_days = 30\n",
        "windows.recnet_days: unknown key (did you mean 'recent_days'?)",
        id="unknown_key",
    ),
    pytest.param(
        "[sources.orders]\ndelimeter = ';'\n",
        "sources.orders.delimeter: unknown key (did you mean 'delimiter'?)",
        id="unknown_source_key",
    ),
    pytest.param(
        '[sources.orders.columns]\norder_dte = "Datum"\n',
        "sources.orders.columns.order_dte: not a column of orders (did you mean 'order_date'?);"
        " known: customer_id, order_date, amount, order_id, channel",
        id="unknown_canonical_column",
    ),
    pytest.param(
        "[sources.orders]\ndate_format = '%d.%m.%Y %H:%M'\n",
        "sources.orders.date_format: unsupported directive '%H' in '%d.%m.%Y %H:%M';"
        " use %d, %m (%b: a month's name), %Y or %y (a time after the date is ignored"
        " automatically)",
        id="bad_date_format_directive",
    ),
    pytest.param(
        "[sources.orders]\ndate_format = '%d.%m'\n",
        "sources.orders.date_format: '%d.%m' needs one day (%d), one month (%m, or %b for its"
        " name) and one year (%Y or %y)",
        id="date_format_without_year",
    ),
    pytest.param(
        "[sources.orders.values.channel]\ninbond = ['Web']\n",
        "sources.orders.values.channel.inbond: not one of inbound, outbound"
        " (did you mean 'inbound'?)",
        id="unknown_vocabulary_value",
    ),
    pytest.param(
        "[sources.orders]\nencoding = 'klingon'\n",
        "sources.orders.encoding: unknown encoding 'klingon' (try 'utf-8' or 'cp1252')",
        id="unknown_encoding",
    ),
    pytest.param(
        "[sources.orders]\ndelimiter = ';;'\n",
        "sources.orders.delimiter: must be a single character",
        id="long_delimiter",
    ),
    pytest.param(  # Telefon was read as outbound, the last list winning, with exit 0
        "[sources.orders.values.channel]\ninbound = ['Telefon', 'Fax']\n"
        "outbound = ['Außendienst', 'telefon']\n",
        "sources.orders.values.channel: 'telefon' is listed under inbound (as 'Telefon') and"
        " under outbound; keep it under the one it means",
        id="spelling_under_two_values",
    ),
    pytest.param(  # every amount was skipped, with exit 0
        "[sources.payments]\ndecimal = '.'\nthousands = '.'\n",
        "sources.payments: decimal and thousands are both '.'",
        id="decimal_mark_groups_thousands",
    ),
]


@pytest.mark.parametrize(("toml", "message"), INVALID)
def test_invalid_config_raises_config_error_naming_file_and_place(tmp_path, toml, message):
    path = tmp_path / "churnwatch.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize(("toml", "message"), INVALID)
def test_invalid_config_exits_2_without_traceback(write_csv, exports, cli, toml, message):
    write_csv("orders.csv", ORDERS)
    path = write_csv("churnwatch.toml", toml)
    result = cli("validate", exports)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert flat(result.stderr).startswith(flat(f"error: {path}: {message}"))
    assert "Traceback" not in result.stderr


def test_every_invalid_key_is_reported_at_once(tmp_path):
    path = tmp_path / "churnwatch.toml"
    path.write_text("[windows]\nrecnet_days = 30\nbaseline_days = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert sorted(line.strip() for line in message.removeprefix(f"{path}: ").splitlines()) == [
        "windows.baseline_days: Input should be greater than 0",
        "windows.recnet_days: unknown key (did you mean 'recent_days'?)",
    ]


def test_config_that_is_not_utf8(tmp_path):
    path = tmp_path / "churnwatch.toml"
    path.write_bytes("# Größe\n[windows]\n".encode("cp1252"))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: not UTF-8 text (TOML files must be UTF-8)"


def test_explicit_config_that_does_not_exist(write_csv, exports, cli):
    write_csv("orders.csv", ORDERS)
    missing = exports / "other.toml"
    result = cli("validate", exports, "--config", missing)
    assert result.exit_code == 2
    assert flat(result.stderr) == f"error: {missing}: config file not found"


def test_explicit_config_is_used_instead_of_the_folders(write_csv, exports, tmp_path, cli):
    write_csv("orders.csv", "Kunde,Datum,Betrag\nC1,2025-01-02,1\n")
    write_csv("churnwatch.toml", "this is not TOML")
    other = tmp_path / "other.toml"
    other.write_text(
        '[sources.orders.columns]\ncustomer_id = "Kunde"\norder_date = "Datum"\namount = "Betrag"\n'
    )
    result = cli("validate", exports, "--config", other)
    assert result.exit_code == 0, result.stderr
    assert "usable: as of 2025-01-02, 1 customer with orders" in result.stdout


def test_no_config_means_defaults(write_csv, exports):
    write_csv("orders.csv", ORDERS)
    assert load_config(None).windows.recent_days == 90
    assert len(load(exports).customer_ids) == 2
