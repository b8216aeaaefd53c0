"""The active rule set: defaults merged with a user's ``[[rules]]``, checked at load time."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import tomllib
from pathlib import Path

import pytest

from churnwatch.config import RuleConfig
from churnwatch.core.errors import ConfigError
from churnwatch.render.records import to_records
from churnwatch.rules.catalog import Rule, active_rules, default_rules
from scan_helpers import RULE_CASES, fired_for, invoke, scan, stderr_of, write_exports

AS_OF = dt.date(2025, 6, 30)
ORDERS = """
    customer_id,order_date,amount
    BIG,2024-01-10,900
    BIG,2024-02-10,900
    BIG,2024-03-10,900
    SMALL,2024-01-10,10
    SMALL,2024-02-10,10
    SMALL,2024-03-10,10
    FRESH,2025-05-10,10
    FRESH,2025-06-10,10
    FRESH,2025-06-25,10
"""
DEFAULT_IDS = [rule.id for rule in default_rules()]


def rules_of(text: str, origin: str = "my.toml") -> list[Rule]:
    """The active rules for a ``[[rules]]`` TOML text."""
    data = tomllib.loads(textwrap.dedent(text))
    return active_rules([RuleConfig.model_validate(r) for r in data.get("rules", [])], origin)


def by_id(rules: list[Rule]) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}


def test_defaults_are_all_active_with_default_origin() -> None:
    rules = rules_of("")
    assert [r.id for r in rules] == DEFAULT_IDS
    assert {r.origin for r in rules} == {"default"}
    assert len(DEFAULT_IDS) == 11


def test_user_rule_is_added_after_the_defaults() -> None:
    rules = rules_of(
        """
        [[rules]]
        id = "big-spender-quiet"
        title = "Big spender went quiet"
        when = "lifetime_revenue >= 1000 and days_since_last_order >= 60"
        weight = 25
        severity = "high"
        explain = "{lifetime_revenue:,.0f} spent, silent for {days_since_last_order:.0f} days"
        """
    )
    added = rules[-1]
    assert [r.id for r in rules] == [*DEFAULT_IDS, "big-spender-quiet"]
    assert (added.title, added.weight, added.severity, added.origin) == (
        "Big spender went quiet",
        25.0,
        "high",
        "my.toml",
    )
    assert added.when.names == {"lifetime_revenue", "days_since_last_order"}
    assert added.sources == {"orders"}
    assert added.action == ""


def test_override_changes_only_the_keys_it_sets() -> None:
    default = by_id(rules_of(""))["lost-customer"]
    changed = by_id(rules_of('[[rules]]\nid = "lost-customer"\nweight = 50\n'))["lost-customer"]
    assert changed.weight == 50
    assert changed.origin == "my.toml"
    assert (changed.title, changed.when.text, changed.action, changed.explain) == (
        default.title,
        default.when.text,
        default.action,
        default.explain,
    )


def test_override_keeps_the_position_of_the_default() -> None:
    rules = rules_of('[[rules]]\nid = "shrinking-orders"\nseverity = "critical"\n')
    assert [r.id for r in rules] == DEFAULT_IDS
    assert rules[0].severity == "critical"


def test_disabled_rule_is_not_active() -> None:
    rules = rules_of('[[rules]]\nid = "hard-to-reach"\nenabled = false\n')
    assert [r.id for r in rules] == [i for i in DEFAULT_IDS if i != "hard-to-reach"]


def test_disabled_then_enabled_rule_is_back() -> None:
    with pytest.raises(ConfigError, match="duplicate rule id 'hard-to-reach'"):
        rules_of(
            '[[rules]]\nid = "hard-to-reach"\nenabled = false\n'
            '[[rules]]\nid = "hard-to-reach"\nenabled = true\n'
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[rules]]\nid = "x"\ntitle = "X"\nwhen = "orders_recent > 1"\nweight = 1\n' * 2,
            "my.toml: rules: duplicate rule id 'x'",
        ),
        (
            '[[rules]]\nid = "x"\ntitle = "X"\nwhen = "days_lat_recent > 1"\nweight = 1\n',
            "my.toml: rule 'x': when: column 1: unknown feature 'days_lat_recent'"
            " (did you mean 'days_late_recent'?)",
        ),
        (
            '[[rules]]\nid = "lost-customer"\nwhen = "orders_recent >= 1 and tenure > 3"\n',
            "my.toml: rule 'lost-customer': when: column 24: unknown feature 'tenure'"
            " (did you mean 'tenure_days'?)",
        ),
        (
            '[[rules]]\nid = "x"\ntitle = "X"\nwhen = "orders_recent.real > 1"\nweight = 1\n',
            "my.toml: rule 'x': when: column 1: attribute access ('.') is not allowed",
        ),
        (
            '[[rules]]\nid = "x"\nwhen = "orders_recent > 1"\n',
            "my.toml: rule 'x': missing title, weight (a new rule needs title, when, weight)",
        ),
        (
            '[[rules]]\nid = "x"\ntitle = "X"\nweight = 3\n',
            "my.toml: rule 'x': missing when",
        ),
        (  # meant to override paying-later: a new rule, missing what one needs
            '[[rules]]\nid = "paying_later"\nweight = 40\n',
            "my.toml: rule 'paying_later': missing title, when (a new rule needs title, when,"
            " weight) (did you mean 'paying-later'?)",
        ),
        (
            '[[rules]]\nid = "x"\n',
            "my.toml: rule 'x': missing title, when, weight",
        ),
        (
            '[[rules]]\nid = "lost-customer"\nexplain = "{days_since_last_ordr:.0f} days"\n',
            "my.toml: rule 'lost-customer': explain: unknown feature 'days_since_last_ordr'"
            " (did you mean 'days_since_last_order'?)",
        ),
        (
            '[[rules]]\nid = "lost-customer"\nexplain = "{lifetime_revenue:,.0q}"\n',
            "explain: bad format ',.0q' for 'lifetime_revenue'",
        ),
        (
            '[[rules]]\nid = "lost-customer"\nexplain = "{lifetime_revenue!r}"\n',
            "explain: '{lifetime_revenue}' must be a plain feature name",
        ),
        (
            '[[rules]]\nid = "lost-customer"\nexplain = "{lifetime_revenue.real}"\n',
            "explain: '{lifetime_revenue.real}' must be a plain feature name",
        ),
        (
            '[[rules]]\nid = "lost-customer"\nexplain = "{last_order_date:%Y}"\n',
            "explain: 'last_order_date' is a date; use it without a format",
        ),
        (
            '[[rules]]\nid = "lost-customer"\nexplain = "{lifetime_revenue:{x}}"\n',
            "explain: nested fields are not allowed",
        ),
        (
            '[[rules]]\nid = "lost-customer"\nexplain = "unbalanced {"\n',
            "my.toml: rule 'lost-customer': explain: ",
        ),
    ],
    ids=[
        "duplicate-id",
        "unknown-feature",
        "unknown-feature-in-override",
        "forbidden-construct",
        "missing-title-weight",
        "missing-when",
        "new-rule-named-like-a-default",
        "missing-all",
        "explain-unknown-feature",
        "explain-bad-format",
        "explain-conversion",
        "explain-attribute",
        "explain-date-format",
        "explain-nested",
        "explain-unbalanced",
    ],
)
def test_bad_rules_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        rules_of(text)
    assert message in str(caught.value)


def test_disabling_an_unknown_rule_is_rejected() -> None:
    with pytest.raises(ConfigError, match="did you mean 'lost-customer'"):
        rules_of('[[rules]]\nid = "lost-custmer"\nenabled = false\n')


# -- through scan_exports ---------------------------------------------------------------------


def exports(tmp_path: Path, config: str) -> Path:
    return write_exports(tmp_path / "exports", orders=ORDERS, **{"churnwatch.toml": config})


def test_user_rules_change_what_fires(tmp_path: Path) -> None:
    folder = exports(
        tmp_path,
        """
        [[rules]]
        id = "big-spender-quiet"
        title = "Big spender went quiet"
        when = "lifetime_revenue >= 1000 and days_since_last_order >= 60"
        weight = 25

        [[rules]]
        id = "lost-customer"
        when = "days_since_last_order >= 500"

        [[rules]]
        id = "overdue-customer"
        enabled = false
        """,
    )
    result = scan(folder, AS_OF)
    ids = [rule.id for rule in result.rules]
    assert "overdue-customer" not in ids
    assert fired_for(result, "big-spender-quiet") == {"BIG"}
    assert fired_for(result, "lost-customer") == set()  # 477 days only
    assert result.rules[ids.index("lost-customer")].origin == str(folder / "churnwatch.toml")


def test_an_explanation_shows_categories_dates_and_numbers_row_by_row(tmp_path: Path) -> None:
    """Each customer's own values, the phase and dates as words, '–' where a value is
    missing (BIG and SMALL never returned after a long gap)."""
    folder = exports(
        tmp_path,
        """
        [[rules]]
        id = "phase-and-dates"
        title = "Phase and dates"
        when = "order_count >= 3"
        weight = 5
        explain = "{phase}, last {last_order_date}, back {returner_since}, {lifetime_revenue:,.0f}"
        """,
    )
    result = scan(folder, AS_OF)
    details = {
        record["customer_id"]: signal["detail"]
        for record in to_records(result)
        for signal in record["signals"]
        if signal["id"] == "phase-and-dates"
    }
    phases = dict(zip(result.customers["customer_id"], result.customers["phase"], strict=True))
    assert details == {
        "BIG": f"{phases['BIG']}, last 2024-03-10, back –, 2,700",
        "SMALL": f"{phases['SMALL']}, last 2024-03-10, back –, 30",
        "FRESH": f"{phases['FRESH']}, last 2025-06-25, back –, 30",
    }


def test_without_override_both_lost_customers_fire(tmp_path: Path) -> None:
    result = scan(exports(tmp_path, ""), AS_OF)
    assert fired_for(result, "lost-customer") == {"BIG", "SMALL"}


def test_rule_needing_an_absent_source_is_not_applicable(tmp_path: Path) -> None:
    """Only orders: every payment, complaint and contact rule is not applicable."""
    result = scan(exports(tmp_path, ""), AS_OF)
    assert [r.id for r in result.not_applicable] == [
        "orders-only-when-asked",  # needs the channel column
        "hard-to-reach",
        "complaining-more",
        "complaints-unresolved",
        "paying-later",
        "overdue-invoices",
    ]
    assert [r.id for r in result.rules] == [
        "shrinking-orders",
        "ordering-less-often",
        "overdue-customer",
        "lost-customer",
        "returned-after-lapse",
    ]
    assert result.fired.shape == (3, len(result.rules))


def test_user_rule_on_an_absent_source_is_not_applicable_either(tmp_path: Path) -> None:
    folder = exports(
        tmp_path,
        """
        [[rules]]
        id = "any-open-invoice"
        title = "Open invoice"
        when = "open_overdue_invoices >= 1 or orders_recent >= 0"
        weight = 10
        """,
    )
    result = scan(folder, AS_OF)
    assert "any-open-invoice" in [r.id for r in result.not_applicable]
    assert all(s["id"] != "any-open-invoice" for r in to_records(result) for s in r["signals"])


def test_bad_rule_fails_before_reading_the_exports(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "churnwatch.toml").write_text('[[rules]]\nid = "lost-customer"\nweight = 500\n')
    with pytest.raises(ConfigError, match=r"rules\[0\]\.weight"):
        scan(folder, AS_OF)  # no orders.csv: the config error comes first


# -- the rules command ------------------------------------------------------------------------


def rows_of(output: str) -> dict[str, list[str]]:
    """Table rows by rule id (first cell), split on runs of 2+ spaces."""
    rows = {}
    for line in output.splitlines():
        cells = [c for c in re.split(r"\s{2,}", line.strip()) if c]
        if cells and cells[0] in {*DEFAULT_IDS, "big-spender-quiet"}:
            rows[cells[0]] = cells
    return rows


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")


RULES_FILE = """
[[rules]]
id = "big-spender-quiet"
title = "Big spender quiet"
when = "lifetime_revenue >= 1000 and days_since_last_order >= 60"
weight = 25
severity = "high"

[[rules]]
id = "lost-customer"
weight = 50

[[rules]]
id = "hard-to-reach"
enabled = false
"""


def test_rules_lists_the_defaults(pinned: None) -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    rows = rows_of(result.stdout)
    assert list(rows) == DEFAULT_IDS
    assert rows["paying-later"][-3:] == ["30", "payments", "default"]


def test_rules_lists_the_default_titles_in_the_configured_language(
    tmp_path: Path, pinned: None
) -> None:
    own = (
        '[report]\nlang = "de"\n[[rules]]\nid = "x"\ntitle = "Mein Titel"\n'
        'when = "orders_recent > 9"\nweight = 5\naction = "a"\n'
    )
    folder = write_exports(tmp_path / "exports", **{"churnwatch.toml": own})
    german = invoke("rules", folder).stdout
    assert "Bestellungen werden kleiner" in german and "Mein Titel" in german
    assert "Orders are getting smaller" in invoke("rules", folder, "--lang", "en").stdout


def test_rules_lists_the_active_rules_with_origin(
    tmp_path: Path, pinned: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_exports(tmp_path / "exports", **{"churnwatch.toml": RULES_FILE})
    result = invoke("rules", "exports")
    assert result.exit_code == 0
    rows = rows_of(result.stdout)
    assert "hard-to-reach" not in rows
    assert list(rows)[-1] == "big-spender-quiet"
    origin = str(Path("exports") / "churnwatch.toml")
    assert rows["big-spender-quiet"][2:] == ["25", "high", "orders", origin]
    assert rows["lost-customer"][-3:] == ["50", "orders", origin]
    assert rows["shrinking-orders"][-1] == "default"


def test_rules_check_accepts_a_good_file(tmp_path: Path, pinned: None) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES_FILE)
    result = invoke("rules", "--check", path)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{path}: ok, 11 active rules"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rules]]\nid = "x"\ntitle = "X"\nwhen = "days_lat > 1"\nweight = 1\n', "did you mean"),
        ('[[rules]]\nid = "x"\ntitle = "X"\nwhen = "os.system(1)"\nweight = 1\n', "column 1"),
        ('[[rules]]\nid = "x"\n', "missing title, when, weight"),
        ('[[rules]]\nid = "Bad Id"\n', "rules[0].id"),
        ('[[rules]]\nid = "x"\nwieght = 3\n', "rules[0].wieght: unknown key (did you mean"),
        ('[[rules]]\nid = "x"\nseverity = "urgent"\n', "rules[0].severity"),
        ("[[rules]\nid = 1\n", "line 1, column"),
    ],
    ids=["unknown-feature", "forbidden", "missing", "bad-id", "typo-key", "severity", "toml"],
)
def test_rules_check_rejects_a_bad_file(
    tmp_path: Path, pinned: None, text: str, message: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    result = invoke("rules", "--check", path)
    assert result.exit_code == 2
    error = " ".join(stderr_of(result).split())
    assert error.startswith(f"error: {path}: ")
    assert message in error
    assert "Traceback" not in error
    assert result.stdout == ""


def test_rules_check_of_a_missing_file(tmp_path: Path, pinned: None) -> None:
    result = invoke("rules", "--check", tmp_path / "nope.toml")
    assert result.exit_code == 2
    assert stderr_of(result).startswith(f"error: {tmp_path / 'nope.toml'}: config file not found")


def test_scan_with_a_bad_rule_exits_2(tmp_path: Path, pinned: None) -> None:
    folder = exports(tmp_path, '[[rules]]\nid = "x"\ntitle = "X"\nwhen = "x +"\nweight = 1\n')
    result = invoke("scan", folder, "--as-of", "2025-06-30")
    assert result.exit_code == 2
    assert "rule 'x': when: column" in stderr_of(result)
    assert "syntax error" in stderr_of(result)
    assert result.stdout == ""


def test_credit_note_is_not_a_second_recent_order(tmp_path: Path) -> None:
    baseline = "".join(f"A,2024-{m:02d}-10,1000\n" for m in range(5, 13))
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\n"
        + baseline
        + "A,2025-05-15,300\nA,2025-05-20,-100\n",
    )
    result = scan(folder, AS_OF)
    assert result.customers["orders_recent"].tolist() == [1]
    assert fired_for(result, "shrinking-orders") == set()


def test_missing_value_in_an_explanation_shows_as_a_dash() -> None:
    """K4 is new: no baseline complaint rate, so the explanation says '–', not 'nan'."""
    folder = RULE_CASES / "complaining-more"
    records = {r["customer_id"]: r for r in to_records(scan(folder, AS_OF))}
    detail = next(s["detail"] for s in records["K4"]["signals"] if s["id"] == "complaining-more")
    assert detail == "3 complaints in the recent window (3 high severity) vs – per 90 days before"
    detail = next(s["detail"] for s in records["K1"]["signals"] if s["id"] == "complaining-more")
    assert detail == "3 complaints in the recent window (3 high severity) vs 0.0 per 90 days before"
