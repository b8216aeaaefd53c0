"""The weekly report: content, formats, languages, split by owner, and e-mail delivery."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import shutil
import sqlite3
import string
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from churnwatch.features import FEATURES
from churnwatch.render.language import default_rule_texts, language
from churnwatch.risk.training import WHY_ENGLISH, Why
from churnwatch.rules.wording import check_spec, noun_forms
from test_mail import (  # noqa: F401  (ca, serve and server_tls are fixtures used here)
    PASSWORD,
    USER,
    Server,
    ca,
    free_port,
    one_user,
    serve,
    server_tls,
)

HOSTILE = '<script>alert("x")</script> & =HYPERLINK("http://evil.example")'
TOP = "C0241"
"""The example customer most at risk at the reference date below (on every list)."""
AS_OF = "2026-09-30"
CATALOGS = Path(__file__).resolve().parents[1] / "src" / "churnwatch" / "render" / "catalogs"


def edit_customers(
    folder: Path, change: Callable[[list[dict[str, str]]], None]
) -> list[dict[str, str]]:
    """Rewrite the customers export after ``change`` edited its rows; the rows are returned."""
    path = folder / "customers.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def rename(customer_id: str, name: str) -> Callable[[list[dict[str, str]]], None]:
    def change(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if row["customer_id"] == customer_id:
                row["name"] = name

    return change


@pytest.fixture
def folder(examples_dir: Path, tmp_path: Path) -> Path:
    """The example exports with a hostile name on the customer most at risk."""
    target = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", target)
    edit_customers(target, rename(TOP, HOSTILE))
    return target


@pytest.fixture
def recorded(cli: Callable[..., Any], folder: Path, tmp_path: Path) -> Path:
    """A run history with two earlier runs (six and two weeks before the report)."""
    db = tmp_path / "runs.db"
    for as_of in ("2026-08-15", "2026-09-15"):
        result = cli(
            "scan",
            folder,
            "--as-of",
            as_of,
            "--history",
            db,
            "-q",
            "-f",
            "csv",
            "-o",
            tmp_path / f"{as_of}.csv",
        )
        assert result.exit_code == 0, result.output
    return db


def report(cli: Callable[..., Any], folder: Path, *args: object) -> Any:
    result = cli("report", folder, "--as-of", AS_OF, *args)
    assert result.exit_code == 0, result.output
    return result


def test_html_report_is_self_contained_and_escapes_names(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "weekly.html"
    report(cli, folder, "--history", recorded, "-o", target)
    html = target.read_text(encoding="utf-8")
    for external in (
        "<script",
        "src=",
        "href=",
        "url(",
        "@import",
        "<link",
        "https://",
        "<iframe",
        "<object",
    ):
        assert external not in html.lower(), external
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; =HYPERLINK(" in html
    # the one web address is the hostile name's, shown as text
    assert html.count("http://") == html.count("=HYPERLINK(&#34;http://evil.example")
    for heading in (
        "New on the warning list",
        "Escalated",
        "Off the warning list",
        "Most at risk",
        "Win-back",
        "Returners",
        "Loyal core",
        "Lifecycle phases",
        "Risk trend",
        "Did earlier warnings come true?",
        "Data quality",
    ):
        assert f">{heading}</h2>" in html, heading
    assert "since 2026-09-15" in html  # the change since the previous recorded run
    assert html.count('bgcolor="') >= 5 + 3  # bars: five phases, three runs in the trend


def test_every_format_carries_the_same_sections(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    texts = {}
    for fmt in ("md", "txt"):
        target = tmp_path / f"weekly.{fmt}"
        report(cli, folder, "--history", recorded, "-o", target)
        texts[fmt] = target.read_text(encoding="utf-8")
    assert "## Most at risk" in texts["md"] and "MOST AT RISK" in texts["txt"]
    assert "## Did earlier warnings come true?" in texts["md"]
    escaped = r"\<script\>alert(\"x\")\</script\> & =HYPERLINK(\"http://evil.example\")"
    assert escaped.replace('\\"', '"') in texts["md"], texts["md"]
    assert "<script>" not in texts["md"]
    assert HOSTILE in texts["txt"]
    assert all(len(line) <= 100 for line in texts["txt"].splitlines())
    workbook = openpyxl.load_workbook(io.BytesIO(_xlsx(cli, folder, recorded, tmp_path)))
    assert "Most at risk" in workbook.sheetnames and "Win-back" in workbook.sheetnames
    sheet = workbook["Most at risk"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    rows = [
        dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    top = next(r for r in rows if r["customer"] == TOP)
    assert top["name"] == HOSTILE  # stored as text, never a formula
    assert isinstance(top["risk"], float) and 0 < top["risk"] <= 1
    trend = workbook["Risk trend"]
    assert [type(c.value).__name__ for c in trend[2]][:2] == ["datetime", "int"]


def _xlsx(cli, folder, recorded, tmp_path) -> bytes:  # type: ignore[no-untyped-def]
    target = tmp_path / "weekly.xlsx"
    report(cli, folder, "--history", recorded, "-o", target)
    return target.read_bytes()


def test_a_report_records_its_run_and_reports_changes(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = report(cli, folder, "--history", recorded, "-f", "txt")
    assert "(unchanged since 2026-09-15)" in result.stdout or "since 2026-09-15)" in result.stdout
    listing = cli("history", "--history", recorded)
    assert "2026-09-30" in listing.stdout  # the report's own run is recorded
    outcome = re.search(r"- 2026-08-15 \(7 weeks ago\) · flagged (\d+)", result.stdout)
    assert outcome, result.stdout  # warnings of six weeks ago, judged against what happened


def test_without_a_history_the_report_says_so(cli, folder) -> None:  # type: ignore[no-untyped-def]
    result = report(cli, folder, "-f", "txt")
    assert "No earlier run is recorded" in result.stdout
    assert "(record runs with --history or [history] path)" in " ".join(result.stdout.split())
    assert "The trend starts with the next recorded run." in result.stdout


def test_the_first_recorded_run_says_the_next_report_compares_with_it(
    cli, folder, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A history is given but empty: no advice to record runs, which this one already does."""
    text = report(cli, folder, "--history", tmp_path / "runs.db", "-f", "txt").stdout
    assert "this run is recorded, and the next report compares with it" in " ".join(text.split())
    assert "record runs with --history" not in text


def test_german_report_uses_german_words_numbers_and_dates(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "wochenbericht.html"
    report(cli, folder, "--history", recorded, "--lang", "de", "-o", target)
    html = target.read_text(encoding="utf-8")
    assert "Abwanderungs-Frühwarnung: Wochenbericht" in html and "Stichtag 30.09.2026" in html
    assert "Am stärksten gefährdet" in html and "Rückgewinnung" in html
    assert re.search(r">\d{1,3}(\.\d{3})+<", html), "thousands grouped with a dot"
    assert "2026-09-30" not in html
    assert "Überfällig: viel länger als üblich keine Bestellung" in html  # a rule's German title


def test_currency_from_the_config(cli, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (folder / "churnwatch.toml").write_text('[report]\nlang = "de"\ncurrency = "EUR"\n')
    result = report(cli, folder, "-f", "txt")
    assert re.search(r"gefährdeter Umsatz pro Jahr: +\d{1,3}(\.\d{3})*\xa0€", result.stdout)


def test_german_scan_table(cli, folder) -> None:  # type: ignore[no-untyped-def]
    result = cli("scan", folder, "--as-of", AS_OF, "--lang", "de", "--top", "3")
    assert result.exit_code == 0
    assert "zum Stichtag 30.09.2026" in result.stdout and "Risiko" in result.stdout
    assert "nächster Schritt" in result.stdout
    assert "Quellen: Aufträge, Zahlungen, Reklamationen" in " ".join(result.stdout.split())


def test_german_table_says_in_german_why_the_weights_are_the_default(cli, examples_dir) -> None:  # type: ignore[no-untyped-def]
    """The German example has too little history for a fit: its table says so in German,
    while JSON keeps the English reason (machine output, the same in every language)."""
    folder = examples_dir / "exports-de"
    table = cli("scan", folder, "--as-of", AS_OF, "--lang", "de", "--top", "1")
    assert "Standard-Risikogewichte: zu wenig Historie" in " ".join(table.stdout.split())
    assert "default risk weights" not in table.stdout
    machine = cli("scan", folder, "--as-of", AS_OF, "--lang", "de", "-f", "json")
    assert "default risk weights: too little history to fit them" in machine.stdout


@pytest.mark.parametrize("key", sorted(WHY_ENGLISH))
def test_why_the_weights_are_the_default_reads_the_same_in_the_english_catalog(key: str) -> None:
    values = {"customers": 100, "each": 20, "days": 90, "horizon": 1_000}
    values |= {"had_customers": 150, "had_again": 150, "had_not": 0, "had_days": 91}
    why = Why(key, tuple(values.items()) if "{" in WHY_ENGLISH[key] else ())
    shown = {k: language("en").number(v) for k, v in why.values}
    assert language("en").t(f"weights.{key}", **shown) == why.english.replace("1000", "1,000")
    assert language("de").t(f"weights.{key}", **shown)  # every sentence in German too


def test_split_by_owner_writes_each_owner_only_their_customers(cli, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out" / "weekly.md"
    target.parent.mkdir()
    report(cli, folder, "--split-by", "owner", "-o", target)
    owners = {
        row["customer_id"]: row["owner"]
        for row in csv.DictReader((folder / "customers.csv").open(encoding="utf-8"))
    }
    files = sorted(target.parent.iterdir())
    assert len(files) == len(set(owners.values()))
    anna = target.parent / "weekly-anna-schmidt.md"
    text = anna.read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\bC\d{4}\b", text))
    assert mentioned and all(owners[c] == "Anna Schmidt" for c in mentioned)


def test_split_by_owner_writes_every_owners_file_or_none(cli, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Last week's set stays whole when one owner's file cannot be written (its name is
    taken by a folder): the owners before it had their new report beside the others' old
    one, and the run said only the error."""
    target = tmp_path / "out" / "weekly.md"
    target.parent.mkdir()
    report(cli, folder, "--split-by", "owner", "-o", target)
    last_week = {path: path.read_bytes() for path in target.parent.iterdir()}
    blocked = max(last_week)  # the owner whose name sorts last is written last
    blocked.unlink()
    blocked.mkdir()
    result = cli("report", folder, "--split-by", "owner", "-o", target, "--as-of", "2026-09-01")
    assert result.exit_code == 2 and "is a folder" in result.stderr
    del last_week[blocked]
    assert {path: path.read_bytes() for path in last_week} == last_week
    assert sorted(target.parent.iterdir()) == sorted([*last_week, blocked])  # no leftovers


def test_split_by_owner_without_any_owner_is_refused(cli, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An owner column left empty: nothing was written or mailed, exit 0, and the run was
    recorded, so next week's report took this week's news as known."""

    def no_owners(rows: list[dict[str, str]]) -> None:
        for row in rows:
            row["owner"] = ""

    edit_customers(folder, no_owners)
    history = tmp_path / "runs.db"
    target = tmp_path / "weekly.md"
    result = cli(
        "report",
        folder,
        "--as-of",
        AS_OF,
        "--split-by",
        "owner",
        "-o",
        target,
        "--history",
        history,
    )
    assert result.exit_code == 2
    assert "--split-by owner: no customer has an owner (the owner column is empty)" in (
        result.stderr
    )
    assert not history.exists() or "2026" not in cli("history", "--history", history).stdout
    assert list(tmp_path.glob("weekly*")) == []


def test_a_login_without_its_password_stops_before_any_work(
    cli, folder, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Said at sending, once per message, after the reports were written (exit 2 where
    the README promises that nothing is written)."""
    for name, value in (("HOST", "localhost"), ("TLS", "starttls"), ("USER", "u")):
        monkeypatch.setenv(f"CHURNWATCH_SMTP_{name}", value)
    monkeypatch.delenv("CHURNWATCH_SMTP_PASSWORD", raising=False)
    target = tmp_path / "weekly.html"
    result = cli(
        "report",
        folder,
        "--as-of",
        AS_OF,
        "-o",
        target,
        "--email-to",
        "a@example.com",
        "--email-from",
        "b@example.com",
        "--no-history",
    )
    assert result.exit_code == 2
    assert "the mail server login for user 'u' needs a password" in result.stderr
    assert not target.exists()


def test_what_cannot_be_mailed_stops_before_any_file(cli, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No owner_email column for --email-owners: every owner's file was written first, then
    exit 2 (and the --email-to copies were not sent). A dry run's messages named after a
    report called x.eml overwrote it, and -o /dev/stdout wrote /dev/stdout.eml."""

    def no_addresses(rows: list[dict[str, str]]) -> None:
        for row in rows:
            row.pop("owner_email", None)

    edit_customers(folder, no_addresses)
    mail = ("--email-from", "b@example.com", "--dry-run", "--no-history")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "weekly.html"
    owners = cli(
        "report",
        folder,
        "--as-of",
        AS_OF,
        "--split-by",
        "owner",
        "--email-owners",
        "-o",
        target,
        *mail,
    )
    assert owners.exit_code == 2 and "no owner_email column" in owners.stderr
    assert list(out.iterdir()) == []
    for output, said in ((out / "x.eml", "the report's own file"), ("/dev/stdout", "no file")):
        result = cli(
            "report",
            folder,
            "--as-of",
            AS_OF,
            "--email-to",
            "a@example.com",
            "-f",
            "html",
            "-o",
            output,
            *mail,
        )
        assert result.exit_code == 2 and said in result.stderr
        assert list(out.iterdir()) == []


def test_last_weeks_figures_stay_as_recorded_when_customers_leave_the_export(
    cli, examples_dir, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Five customers critical last week are gone from this week's export: the headline's
    changes and the trend counted last week over today's customers (25 on the list read as
    20), where the report promises the difference of the two reports' figures."""
    history = tmp_path / "runs.db"
    last_week = cli(
        "scan",
        examples_dir / "exports",
        "--as-of",
        "2026-09-23",
        "--history",
        history,
        "-q",
        "-o",
        tmp_path / "last.csv",
    )
    assert last_week.exit_code == 0, last_week.output
    listed = [
        r
        for r in csv.DictReader((tmp_path / "last.csv").open(encoding="utf-8"))
        if r["severity"] == "critical" and r["phase"] != "lost"
    ]
    gone = {row["customer_id"] for row in listed[:5]}
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("orders", "payments", "complaints", "contacts", "customers"):
        rows = list(
            csv.DictReader((examples_dir / "exports" / f"{name}.csv").open(encoding="utf-8"))
        )
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, list(rows[0]))
            writer.writeheader()
            writer.writerows(r for r in rows if r["customer_id"] not in gone)
    result = cli(
        "report",
        folder,
        "--as-of",
        "2026-09-30",
        "--history",
        history,
        "--no-history",
        "-f",
        "txt",
        "-q",
    )
    assert result.exit_code == 0, result.output
    recorded = sqlite3.connect(history).execute("SELECT critical, high FROM runs").fetchone()
    warned_then = sum(recorded)  # the default warning list: high and above
    text = " ".join(result.stdout.split())
    now = int(re.search(r"on the warning list: (\d+)", text).group(1))
    assert f"on the warning list: {now} ({now - warned_then:+d} since 2026-09-23)" in text
    assert re.search(rf"2026-09-23 \S+ {warned_then} · mean", text)


def test_split_by_owner_needs_a_place_for_the_files(cli, folder) -> None:  # type: ignore[no-untyped-def]
    result = cli("report", folder, "--split-by", "owner")
    assert result.exit_code == 2 and "one file per owner" in result.stderr


# --- message catalogs -----------------------------------------------------------------------


def _keys(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat |= _keys(value, f"{prefix}{key}.")
        else:
            flat[prefix + key] = value
    return flat


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_both_languages_have_the_same_texts_and_fields() -> None:
    english = _keys(tomllib.loads((CATALOGS / "en" / "text.toml").read_text("utf-8")))
    german = _keys(tomllib.loads((CATALOGS / "de" / "text.toml").read_text("utf-8")))
    assert set(english) == set(german)
    for key, text in english.items():
        assert _fields(text) == _fields(german[key]), key
        if key.startswith("nouns."):
            assert german[key].count("/") == 1, key


def test_every_default_rule_has_a_german_text() -> None:
    german = language("de")
    for rule_id, texts in default_rule_texts().items():
        translated = german.rules.get(rule_id)
        assert translated is not None, f"rule {rule_id} has no German text"
        for name in ("title", "action", "explain"):
            assert translated.get(name), f"rule {rule_id}: no German {name}"
        english = {f: s for _, f, s, _ in string.Formatter().parse(texts["explain"]) if f}
        fields = {f: s for _, f, s, _ in string.Formatter().parse(translated["explain"]) if f}
        assert set(fields) == set(english), rule_id
        for name, spec in fields.items():
            assert spec.split("|")[0] == english[name].split("|")[0], (rule_id, name)
            check_spec(spec)
            if "|" in spec:
                assert all(noun_forms(spec.split("|")[1])), (rule_id, name)


def test_every_feature_has_a_german_meaning() -> None:
    german = language("de")
    missing = [name for name in FEATURES if not german.features.get(name, {}).get("description")]
    assert not missing


def test_a_changed_rule_is_shown_as_the_user_wrote_it(cli, folder) -> None:  # type: ignore[no-untyped-def]
    (folder / "churnwatch.toml").write_text(
        '[[rules]]\nid = "overdue-customer"\ntitle = "Lange keine Bestellung (eigener Titel)"\n'
    )
    result = cli("scan", folder, "--as-of", AS_OF, "--lang", "de", "--top", "3", "--long")
    assert "Lange keine Bestellung (eigener Titel)" in result.stdout
    assert "viel länger als üblich" not in result.stdout


# --- e-mail ---------------------------------------------------------------------------------


@pytest.fixture
def mail_server(serve, server_tls, ca, tmp_path, monkeypatch) -> Server:  # type: ignore[no-untyped-def]  # noqa: F811
    """A submission server with STARTTLS and a login, and the environment pointing at it."""
    server = serve(
        tls_context=server_tls, require_starttls=True, authenticator=one_user, auth_require_tls=True
    )
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # the client trusts the test CA
    monkeypatch.setenv("CHURNWATCH_SMTP_HOST", "localhost")
    monkeypatch.setenv("CHURNWATCH_SMTP_PORT", str(server.port))
    monkeypatch.setenv("CHURNWATCH_SMTP_TLS", "starttls")
    monkeypatch.setenv("CHURNWATCH_SMTP_USER", USER)
    monkeypatch.setenv("CHURNWATCH_SMTP_PASSWORD", PASSWORD)
    return server


def _parts(message: email.message.EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


def test_report_is_mailed_in_german_with_both_parts(
    cli, folder, recorded, mail_server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "wochenbericht.html"
    result = report(
        cli,
        folder,
        "--history",
        recorded,
        "--lang",
        "de",
        "-o",
        target,
        "--email-to",
        "Jürgen Köhler <leitung@firma.example>, team@firma.example",
        "--email-from",
        "churnwatch@firma.example",
        "--attach-xlsx",
    )
    assert "sent:" in result.stderr
    (received,) = mail_server.inbox.received
    assert received.encrypted and received.login == USER.encode()
    assert sorted(received.rcpt_tos) == ["leitung@firma.example", "team@firma.example"]
    message = received.message
    assert message["Subject"].startswith("Abwanderungswarnung 30.09.2026:")
    assert "Jürgen Köhler" in str(message["To"])
    parts = _parts(message)
    assert "Abwanderungs-Frühwarnung: Wochenbericht" in parts["text/plain"]
    assert "Rückgewinnung" in parts["text/html"] and "Weiß Maschinenbau" in parts["text/html"]
    assert "&lt;script&gt;" in parts["text/html"]
    (attachment,) = [p for p in message.walk() if p.get_filename()]
    assert attachment.get_filename() == "churnwatch-2026-09-30.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(attachment.get_content())).sheetnames[0]
    assert target.exists()
    assert PASSWORD not in result.output


def test_a_refused_connection_exits_2_and_keeps_the_report(
    cli, folder, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHURNWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHURNWATCH_SMTP_PORT", str(free_port()))
    target = tmp_path / "weekly.html"
    result = cli(
        "report",
        folder,
        "--as-of",
        AS_OF,
        "-o",
        target,
        "--email-to",
        "a@firma.example",
        "--email-from",
        "cw@firma.example",
    )
    assert result.exit_code == 2
    assert "cannot reach the mail server" in result.stderr and "not delivered" in result.stderr
    assert "Traceback" not in result.output
    assert target.exists()


def test_a_rejected_login_exits_2(cli, folder, mail_server, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHURNWATCH_SMTP_PASSWORD", "wrong-Kakapo-99")
    result = cli(
        "report",
        folder,
        "--as-of",
        AS_OF,
        "-o",
        tmp_path / "w.html",
        "--email-to",
        "a@firma.example",
        "--email-from",
        "cw@firma.example",
    )
    assert result.exit_code == 2
    assert "rejected the login" in result.stderr and "wrong-Kakapo-99" not in result.output
    assert not mail_server.inbox.received


def mail_each_owner(cli: Callable[..., Any], folder: Path, target: Path, *more: object) -> Any:
    """The report split by owner, each part mailed to its owner (``more``: other options)."""
    return cli(
        "report",
        folder,
        "--as-of",
        AS_OF,
        "--split-by",
        "owner",
        "-o",
        target,
        "--email-owners",
        "--email-from",
        "cw@firma.example",
        *more,
    )


@pytest.mark.parametrize(
    ("bens_address", "why"),
    [
        ("", "no owner_email in the customers export"),
        (
            "ben.carter@",
            "owner_email: 'ben.carter@' is not a usable email address",  # said, not dropped
        ),
    ],
)
def test_split_by_owner_mails_each_owner_and_names_who_got_none(
    cli, folder, mail_server, tmp_path, *, bens_address, why
) -> None:  # type: ignore[no-untyped-def]
    def without_bens_address(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if row["owner"] == "Ben Carter":
                row["owner_email"] = bens_address

    rows = edit_customers(folder, without_bens_address)
    result = mail_each_owner(cli, folder, tmp_path / "w.html")
    assert result.exit_code == 2
    assert f"not sent: Ben Carter: {why}" in " ".join(result.stderr.split())
    received = {tuple(r.rcpt_tos) for r in mail_server.inbox.received}
    owners = {row["owner"] for row in rows} - {"Ben Carter"}
    assert len(received) == len(owners)
    assert ("anna-schmidt@churnwatch-demo.example",) in received
    anna = next(
        r
        for r in mail_server.inbox.received
        if r.rcpt_tos == ["anna-schmidt@churnwatch-demo.example"]
    )
    assert "Anna Schmidt" in anna.message["Subject"]
    mentioned = set(re.findall(r"\bC\d{4}\b", _parts(anna.message)["text/plain"]))
    assert mentioned and all(
        row["owner"] == "Anna Schmidt" for row in rows if row["customer_id"] in mentioned
    )


MAIL = ("--email-to", "a@firma.example", "--email-from", "cw@firma.example")


def test_the_change_in_revenue_at_risk_is_the_difference_of_two_reports(
    cli, folder, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Valued at this week's revenue, last week's list gave a change that matched neither
    report's figure (-20,749 between 2,290,537 and 2,255,118)."""
    db = tmp_path / "runs.db"

    def at_risk(as_of: str) -> tuple[int, int | None]:
        text = cli("report", folder, "--as-of", as_of, "--history", db, "-f", "txt").stdout
        found = re.search(r"revenue per year at risk: +([\d,]+)(?:  \(([-+][\d,]+) since)?", text)
        assert found, text
        change = found.group(2)
        return int(found.group(1).replace(",", "")), change and int(change.replace(",", ""))

    before, _ = at_risk("2026-09-23")
    now, change = at_risk("2026-09-30")
    assert change == now - before != 0


def test_a_dry_run_records_nothing(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Recorded, a test run would be the next report's baseline: whoever it found new on the
    warning list would be in no report that was sent."""
    from churnwatch.deliver import history

    before = history.runs(recorded)
    target = tmp_path / "weekly.html"
    report(cli, folder, "--history", recorded, "-o", target, *MAIL, "--dry-run")
    assert history.runs(recorded) == before


def test_a_report_not_delivered_is_not_recorded(
    cli, folder, recorded, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from churnwatch.deliver import history

    monkeypatch.setenv("CHURNWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHURNWATCH_SMTP_PORT", str(free_port()))
    before = history.runs(recorded)
    target = tmp_path / "weekly.html"
    result = cli("report", folder, "--as-of", AS_OF, "--history", recorded, "-o", target, *MAIL)
    assert result.exit_code == 2
    assert (
        "the run was not recorded, so the next report compares with the last one delivered"
        in " ".join(result.stderr.split())
    )
    assert history.runs(recorded) == before
    written = report(cli, folder, "--history", recorded, "-o", target)  # no mail: recorded
    assert written.exit_code == 0 and len(history.runs(recorded)) == len(before) + 1


def test_dry_run_writes_the_message_instead(cli, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "weekly.html"
    result = report(
        cli,
        folder,
        "-o",
        target,
        "--email-to",
        "a@firma.example",
        "--email-from",
        "cw@firma.example",
        "--dry-run",
    )
    message = email.message_from_bytes(
        (tmp_path / "weekly.eml").read_bytes(), policy=email.policy.default
    )
    assert message["To"] == "a@firma.example" and set(_parts(message)) == {
        "text/plain",
        "text/html",
    }
    assert "weekly.eml" in result.stderr


def test_password_is_never_taken_from_the_config(cli, folder) -> None:  # type: ignore[no-untyped-def]
    (folder / "churnwatch.toml").write_text('[email]\nhost = "smtp.example"\npassword = "x"\n')
    result = cli("report", folder, "--as-of", AS_OF)
    assert result.exit_code == 2 and "CHURNWATCH_SMTP_PASSWORD" in result.stderr


def test_bad_address_on_the_command_line(cli, folder) -> None:  # type: ignore[no-untyped-def]
    result = cli("report", folder, "--as-of", AS_OF, "--email-to", "not-an-address")
    assert result.exit_code == 2 and "not-an-address" in result.stderr


def test_the_readme_crontab_line_sends_the_weekly_report(folder, mail_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    readme = Path(__file__).resolve().parents[1] / "README.md"
    line = next(x for x in readme.read_text(encoding="utf-8").splitlines() if x.startswith("30 6 "))
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD)
    (folder / "churnwatch.toml").write_text('[email]\nfrom = "churnwatch@example.com"\n')
    command = line.split(None, 5)[5]
    for placeholder, real in (
        ("/etc/churnwatch/smtp-password", secret),
        ("/data/exports", folder),
        ("/data/reports", tmp_path),
    ):
        command = command.replace(placeholder, str(real))
    bin_dir = str(Path(sys.executable).parent)
    done = subprocess.run(
        ["sh", "-c", command.replace("--history", "--as-of 2026-09-30 --history", 1)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    assert (tmp_path / "wochenbericht.html").exists() and (folder / "runs.db").exists()
    (received,) = mail_server.inbox.received
    assert received.rcpt_tos == ["vertrieb@example.com"]
    assert received.message["Subject"].startswith("Abwanderungswarnung 30.09.2026")


# --- found by trying it as a user -----------------------------------------------------------


def test_a_line_break_in_an_owner_name_cannot_forge_a_message_line(
    cli, folder, mail_server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    def forged(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if row["owner"] == "Anna Schmidt":
                row["owner"] = "Anna\nnot sent: forged"

    edit_customers(folder, forged)
    result = mail_each_owner(cli, folder, tmp_path / "w.html")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert not any(line.startswith("not sent: forged") for line in lines)
    assert "Anna\\nnot sent: forged" in " ".join(result.stderr.split())


def test_owner_report_goes_to_the_file_named(cli, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "anna.md"
    report(cli, folder, "--owner", "Anna Schmidt", "-o", target)
    assert target.exists() and [p.name for p in tmp_path.iterdir() if p.suffix == ".md"] == [
        "anna.md"
    ]


def test_headline_change_agrees_with_the_figures_shown(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = report(cli, folder, "--history", recorded, "-f", "txt").stdout
    mean = re.search(r"mean risk: +(\d+)%  \((.*?)\)", text)
    trend = re.findall(r"^(\d{4}-\d\d-\d\d) █* ?\S* · mean (\d+)%", text, re.MULTILINE)
    assert mean and trend, text
    before, now = int(trend[-2][1]), int(trend[-1][1])
    assert int(mean.group(1)) == now
    expected = "unchanged since 2026-09-15" if before == now else f"{now - before:+d} pt"
    assert expected in mean.group(2)


def test_without_history_nobody_is_called_new(cli, folder) -> None:  # type: ignore[no-untyped-def]
    text = report(cli, folder, "-f", "txt").stdout
    new_section = text.split("NEW ON THE WARNING LIST")[1].split("ESCALATED")[0]
    assert "No earlier run is recorded" in new_section and "C0" not in new_section


def test_orders_only_still_lists_the_riskiest(cli, folder) -> None:  # type: ignore[no-untyped-def]
    for name in ("payments.csv", "complaints.csv", "contacts.csv"):
        (folder / name).unlink()
    text = report(cli, folder, "-f", "txt").stdout
    top = text.split("MOST AT RISK")[1].split("WIN-BACK")[0]
    if "No customer reaches high" in top:
        assert re.search(r"- 1 · C\d{4}", top)


def test_german_sheet_names_end_on_a_whole_word(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Excel allows 31 characters: a longer title is cut after a word, not in one."""
    target = tmp_path / "woche.xlsx"
    report(cli, folder, "--history", recorded, "--lang", "de", "-o", target)
    names = openpyxl.load_workbook(target).sheetnames
    assert "Haben sich frühere Warnungen…" in names
    assert all(len(name) <= 31 for name in names)


def test_xlsx_cells_show_as_the_report_does(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    workbook = openpyxl.load_workbook(io.BytesIO(_xlsx(cli, folder, recorded, tmp_path)))
    assert workbook.sheetnames[0] == "Overview"
    assert "Did earlier warnings come true" in workbook.sheetnames
    sheet = workbook["Most at risk"]
    header = [cell.value for cell in sheet[1]]
    risk = sheet.cell(row=2, column=header.index("risk") + 1)
    assert risk.number_format == "0%"
    overview = {row[0].value: row[1] for row in workbook["Overview"].iter_rows(min_row=2)}
    assert 0 < overview["mean risk"].value < 1  # a share in a column of counts and amounts
    assert overview["mean risk"].number_format == "0%"
    assert overview["revenue per year at risk"].number_format == "#,##0"
    assert overview["critical"].number_format == "#,##0"


def test_a_sheets_number_formats_come_from_the_rows_with_values() -> None:
    """An earlier run that flagged nobody has no share in its row ("–"): when it came first,
    the shares of every other run were shown as 0.7273, not 73%."""
    from churnwatch.render.report_formats import _section_formats
    from churnwatch.render.report_view import Cell, Section

    day, none, share = (
        Cell("2026-08-15", "2026-08-15"),
        Cell(None, "–"),
        Cell(0.73, "73%", kind="percent"),
    )
    rows = [[day, Cell(0, "0", kind="count"), none], [day, Cell(11, "11", kind="count"), share]]
    section = Section("came_true", "Did earlier warnings come true", rows=rows)
    columns = {"flagged on": [], "flagged": [], "of them no order since": []}
    assert _section_formats(section, columns) == {
        "flagged": "#,##0",
        "of them no order since": "0%",
    }


def test_owner_reports_copy_the_team_lead(cli, folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mails" / "w.html"
    out.parent.mkdir()
    result = mail_each_owner(
        cli, folder, out, "--email-to", "lead@firma.example", "--dry-run", "--attach-xlsx"
    )
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(
        (out.parent / "w-anna-schmidt.eml").read_bytes(), policy=email.policy.default
    )
    assert (
        message["To"] == "anna-schmidt@churnwatch-demo.example"
        and message["Cc"] == "lead@firma.example"
    )
    assert "Anna Schmidt" in message["Subject"]
    (attachment,) = [p for p in message.walk() if p.get_filename()]
    assert attachment.get_filename() == "churnwatch-2026-09-30-anna-schmidt.xlsx"


def test_mail_settings_are_checked_before_any_work(cli, folder, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CHURNWATCH_SMTP_HOST", raising=False)
    target = tmp_path / "w.html"
    result = cli(
        "report",
        folder,
        "--as-of",
        AS_OF,
        "-o",
        target,
        "--email-to",
        "a@firma.example",
        "--email-from",
        "cw@firma.example",
    )
    assert result.exit_code == 2 and "CHURNWATCH_SMTP_HOST" in result.stderr
    assert not target.exists()
    no_sender = cli(
        "report",
        folder,
        "--as-of",
        AS_OF,
        "-o",
        target,
        "--email-to",
        "a@firma.example",
        "--dry-run",
    )
    assert no_sender.exit_code == 2 and "--email-from" in no_sender.stderr


def test_hostile_names_stay_in_their_table_cell(cli, folder) -> None:  # type: ignore[no-untyped-def]
    edit_customers(folder, rename(TOP, "Evil\x1b[31m\nCorp"))
    result = cli("scan", folder, "--as-of", AS_OF, "--top", "3")
    assert "Evil\\x1b[31m\\nCorp" in result.stdout and "\x1b" not in result.stdout


# --- found in review --------------------------------------------------------------------------


def test_a_report_survives_an_owner_whose_customers_are_all_new(
    cli, folder, recorded, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    def new_owner(rows: list[dict[str, str]]) -> None:
        rows[0]["owner"] = "Neu\nling"  # a new owner, and a line break in the name

    edit_customers(folder, new_owner)
    out = tmp_path / "split" / "w.txt"
    out.parent.mkdir()
    result = cli(
        "report", folder, "--as-of", AS_OF, "--history", recorded, "--split-by", "owner", "-o", out
    )
    assert result.exit_code == 0, result.output
    assert (out.parent / "w-neu-ling.txt").exists()


def test_what_if_runs_keep_the_recorded_one(cli, folder, recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from churnwatch.deliver import history

    before = history.runs(recorded)
    cli(
        "scan",
        folder,
        "--as-of",
        "2026-09-15",
        "--horizon",
        "30",
        "--history",
        recorded,
        "-q",
        "-f",
        "csv",
        "-o",
        tmp_path / "h.csv",
    )
    after = history.runs(recorded)
    assert len(after) == len(before) + 1  # another horizon is another run, not a replacement
    cli(
        "scan",
        folder,
        "--as-of",
        "2026-09-01",
        "--history",
        recorded,
        "--no-history",
        "-q",
        "-f",
        "csv",
        "-o",
        tmp_path / "n.csv",
    )
    assert len(history.runs(recorded)) == len(after)


def test_output_never_overwrites_the_history(cli, folder, recorded) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "scan", folder, "--as-of", AS_OF, "--history", recorded, "-f", "json", "-o", recorded
    )
    assert result.exit_code == 2 and "which this run reads" in result.stderr
    from churnwatch.deliver import history

    assert len(history.runs(recorded)) == 2


def test_a_customer_without_an_owner_shows_no_placeholder(tmp_path: Path, cli) -> None:
    """An empty owner cell is read as missing text; the report wrote it as '<NA>' (and
    '&lt;NA&gt;' in HTML) where the JSON has null."""
    (tmp_path / "orders.csv").write_text(
        "customer_id,order_date,amount\nC1,2026-10-01,5\nC2,2026-11-01,6\n"
    )
    (tmp_path / "customers.csv").write_text("customer_id,name,owner\nC1,Beta,\nC2,Gamma,Anna\n")
    for shown in ("txt", "md", "html"):
        result = cli("report", tmp_path, "--no-history", "--format", shown, "-q")
        assert result.exit_code == 0, result.stderr
        assert "Beta" in result.stdout
        assert "NA>" not in result.stdout and "NA&gt;" not in result.stdout, shown


def test_a_quiet_customer_without_a_model_of_the_history_is_not_called_high_risk(
    tmp_path: Path, cli
) -> None:
    """Five customers: no fit and no BG/NBD, so a customer no rule fired on has no risk at
    all; the report called it 'high risk from the order history alone' at 0 %."""
    (tmp_path / "orders.csv").write_text(
        "customer_id,order_date,amount\nA,2026-01-15,100\nA,2026-03-15,120\nA,2026-05-15,110\n"
        "B,2026-02-01,500\nC,2026-06-01,50\nC,2026-11-20,55\nD,2025-11-01,1000\n"
        "D,2026-02-01,900\nD,2026-05-01,300\nD,2026-08-01,200\nE,2026-11-29,10\n"
    )
    result = cli("report", tmp_path, "--no-history", "--format", "txt", "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.stderr
    assert "high risk from the order history alone" not in result.stdout
    quiet = [line for line in result.stdout.splitlines() if "risk 0%" in line]
    assert quiet, result.stdout
    assert "why: no warning signal" in result.stdout


@pytest.mark.parametrize(
    ("code", "fraction", "text"),
    [
        ("en", -0.01, "-1 pt"),
        ("en", 0.01, "+1 pt"),
        ("en", -0.02, "-2 pts"),
        ("de", -0.01, "-1 Pkt."),
    ],
)
def test_a_change_of_one_point_down_is_singular(code: str, fraction: float, text: str) -> None:
    """The headline's mean risk said "(-1 pts since …)"."""
    assert language(code).points(fraction) == text


def test_who_got_mail_names_the_owner_once() -> None:
    """An owner_email written with the name (``Lukas Fischer <lukas@…>``) was said as
    ``Lukas Fischer <Lukas Fischer <lukas@…>>``."""
    from email.message import EmailMessage

    from churnwatch.api import Mail
    from churnwatch.cli.reporting import _who

    named = Mail("Lukas Fischer", ["Lukas Fischer <lukas@firma.example>"], EmailMessage())
    plain = Mail("Anna Schmidt", ["anna@firma.example"], EmailMessage())
    assert _who(named) == "Lukas Fischer <lukas@firma.example>"
    assert _who(plain) == "Anna Schmidt <anna@firma.example>"
