"""`churnwatch plan`: the week's contact occasions, per account manager, and as calendars."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from icalendar import Calendar

from scan_helpers import EXAMPLES, invoke, stderr_of, write_exports

AS_OF = "2026-09-30"


def plan(*options: object) -> dict:
    result = invoke("plan", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json", *options)
    assert result.exit_code == 0, stderr_of(result)
    return json.loads(result.stdout)


def test_the_plan_has_every_kind_of_occasion_in_order() -> None:
    occasions = plan("--days", "30")["occasions"]
    kinds = {o["kind"] for o in occasions}
    assert {"reorder", "complaint", "invoice", "check-in", "returner"} <= kinds
    keys = [(o["owner"] or "", o["due"], o["customer_id"], o["kind"]) for o in occasions]
    assert keys == sorted(keys)
    assert all(AS_OF <= o["due"] <= "2026-10-30" for o in occasions)
    assert all(o["reason"] for o in occasions)


def test_owner_narrows_the_plan() -> None:
    mine = plan("--owner", "anna schmidt")["occasions"]
    assert mine and {o["owner"] for o in mine} == {"Anna Schmidt"}


def test_ics_parses_with_one_event_per_occasion(tmp_path: Path) -> None:
    occasions = plan()["occasions"]
    target = tmp_path / "plan.ics"
    result = invoke("plan", EXAMPLES / "exports", "--as-of", AS_OF, "-o", target)
    assert result.exit_code == 0, stderr_of(result)
    events = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert len(events) == len(occasions)
    first = events[0]
    assert occasions[0]["customer_id"] in str(first["summary"])
    assert str(first["description"]) == occasions[0]["reason"]
    again = tmp_path / "again.ics"
    invoke("plan", EXAMPLES / "exports", "--as-of", AS_OF, "-o", again)
    assert again.read_bytes() == target.read_bytes()  # deterministic


def test_an_overdue_occasion_keeps_its_uid_from_one_plan_to_the_next(tmp_path: Path) -> None:
    """An overdue occasion is due on each plan's day; imported again, the calendar must move
    the event it has, not add a second one: the UID stays while the occasion does (here: no
    order, payment or complaint between the two plans)."""

    def events(day: str) -> dict[tuple[str, str], tuple[str, dt.date]]:
        target = tmp_path / f"{day}.ics"
        result = invoke("plan", EXAMPLES / "exports", "--as-of", day, "-o", target)
        assert result.exit_code == 0, stderr_of(result)
        found = {}
        for event in Calendar.from_ical(target.read_bytes()).walk("VEVENT"):
            who = str(event["summary"]).rsplit("(", 1)[1].rstrip(")")
            kind = str(event["summary"]).split(":")[0]
            found[(kind, who)] = (str(event["uid"]), event["dtstart"].dt)
        return found

    before, after = events("2026-10-06"), events("2026-10-07")  # no order since 09-30
    moved = [k for k in before.keys() & after.keys() if before[k][1] != after[k][1]]
    assert moved  # overdue ones, due on each plan's day
    assert all(before[k][0] == after[k][0] for k in moved)


def test_split_by_owner_writes_one_calendar_each(tmp_path: Path) -> None:
    result = invoke(
        "plan",
        EXAMPLES / "exports",
        "--as-of",
        AS_OF,
        "-f",
        "ics",
        "-o",
        tmp_path,
        "--split-by",
        "owner",
    )
    assert result.exit_code == 0, stderr_of(result)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert "plan-anna-schmidt.ics" in files and len(files) == 8
    total = sum(len(Calendar.from_ical(p.read_bytes()).walk("VEVENT")) for p in tmp_path.iterdir())
    assert total == len(plan()["occasions"])


def test_the_table_groups_by_owner() -> None:
    text = invoke("plan", EXAMPLES / "exports", "--as-of", AS_OF).stdout
    assert "Anna Schmidt" in text and "  2026-09-30  " in text


def test_calendar_names_spell_out_accents_and_never_collide() -> None:
    from churnwatch.render.plan_view import owner_files

    names = owner_files(
        [
            "Jürgen Köhler",
            "Sabine Groß",
            "Chloé Martin",
            "anna schmidt",
            "Anna Schmidt",
            None,
            "../x",
        ]
    )
    assert names["Jürgen Köhler"] == "plan-juergen-koehler.ics"
    assert names["Sabine Groß"] == "plan-sabine-gross.ics"
    assert names["Chloé Martin"] == "plan-chloe-martin.ics"
    assert len(set(names.values())) == len(names)
    assert names[None] == "plan-unassigned.ics" and "/" not in names["../x"]


def test_calendar_names_of_any_script_and_length_stay_names() -> None:
    """An owner typed on a Mac (``O`` and a combining diaeresis) is named as on Windows;
    Cyrillic and Chinese names were 'unassigned-2' and 'unassigned-3' beside the real
    customers without an owner; a name of 300 characters made every file fail."""
    from churnwatch.render.plan_view import owner_files

    long_name = "Dr. " + "Maximilian " * 30
    names = owner_files(["Mehmet O\u0308ztu\u0308rk", "Иван Петров", "王芳", long_name, "!!", None])
    assert names["Mehmet O\u0308ztu\u0308rk"] == "plan-mehmet-oeztuerk.ics"
    assert names["Иван Петров"] == "plan-иван-петров.ics" and names["王芳"] == "plan-王芳.ics"
    assert len(names[long_name].encode()) < 100 and names[long_name].startswith("plan-dr-max")
    assert names["!!"] == "plan-owner.ics" and names[None] == "plan-unassigned.ics"


def test_an_owner_is_one_whatever_the_case_and_unicode_form(tmp_path: Path) -> None:
    """'İlker Çelik' (Turkish dotted I) matched nothing: Arrow's lower case folds it to 'i',
    Python's to two characters, so --owner found no one with exit 0 and the split report was
    empty. One owner spelt 'Chloé Martin' and 'chloé martin' got two calendars, though the
    report takes them for one."""
    folder = tmp_path / "exports"
    shutil.copytree(EXAMPLES / "exports", folder)
    customers = (folder / "customers.csv").read_text(encoding="utf-8").splitlines()
    renamed = [customers[0]] + [
        line.replace("Anna Schmidt", "İlker Çelik" if number % 2 else "İLKER ÇELİK")
        for number, line in enumerate(customers[1:])
    ]
    (folder / "customers.csv").write_text("\n".join(renamed) + "\n", encoding="utf-8")
    common = ("--as-of", AS_OF, "-f", "json")
    everyone = json.loads(invoke("plan", folder, *common).stdout)["occasions"]
    expected = [o for o in everyone if "lker" in (o["owner"] or "").lower()]
    mine = invoke("plan", folder, *common, "--owner", "İlker Çelik")
    assert mine.exit_code == 0, stderr_of(mine)
    assert expected and len(json.loads(mine.stdout)["occasions"]) == len(expected)
    out = tmp_path / "calendars"
    out.mkdir()
    split = invoke("plan", folder, "--as-of", AS_OF, "-f", "ics", "-o", out, "--split-by", "owner")
    assert split.exit_code == 0, stderr_of(split)
    files = sorted(p.name for p in out.iterdir())
    assert len([f for f in files if "lker" in f]) == 1, files


def test_overdue_occasions_are_due_today_not_in_the_past(tmp_path: Path) -> None:
    import datetime as dt

    result = invoke("plan", EXAMPLES / "exports-de", "-f", "json", "--quiet")
    today = dt.date.today().isoformat()
    assert all(o["due"] >= today for o in json.loads(result.stdout)["occasions"])


def test_the_plan_speaks_german_for_account_managers_in_germany(tmp_path: Path) -> None:
    """--lang de (or [report] lang): the kinds and reasons in German, with German dates and
    numbers; the machine fields (kind, due) stay as they are."""
    english = plan("--days", "30")["occasions"]
    german = plan("--days", "30", "--lang", "de")["occasions"]
    assert [(o["kind"], o["due"]) for o in german] == [(o["kind"], o["due"]) for o in english]
    reasons = {o["kind"]: o["reason"] for o in german}
    assert reasons["reorder"].startswith("bestellt sonst alle ")
    assert " erwartet: nachfragen" in reasons["reorder"]
    assert "überfällig" in reasons["invoice"] and "Tagen" in reasons["invoice"]
    assert reasons["check-in"].startswith("verloren: der regelmäßige Kontakt")
    table = invoke("plan", EXAMPLES / "exports", "--as-of", AS_OF, "--lang", "de").stdout
    assert "30.09.2026  Nachbestellung" in table
    target = tmp_path / "plan.ics"
    invoke("plan", EXAMPLES / "exports", "--as-of", AS_OF, "--lang", "de", "-o", target)
    summaries = {
        str(e["summary"]).split(":")[0]
        for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    }
    assert "Nachbestellung" in summaries


def test_the_kind_column_is_as_wide_whatever_kinds_are_due(tmp_path: Path) -> None:
    """Only a reorder due: the column still fits every kind ('complaint'), as on any other
    day, so that plans printed on different days line up."""
    rows = [
        f"K{c:02d},{dt.date(2024, 1, 5) + dt.timedelta(days=30 * k + c)},100"
        for c in range(30)
        for k in range(20 if c else 14)
    ]
    folder = write_exports(
        tmp_path / "exports", orders="customer_id,order_date,amount\n" + "\n".join(rows) + "\n"
    )
    table = invoke("plan", folder, "--as-of", "2025-08-01").stdout
    assert "  2025-08-01  reorder    K00: usually orders every 30 days" in table


@pytest.mark.parametrize(
    ("command", "name"),
    [("plan", "plan.xlsx"), ("plan", "plan.csv"), ("winback", "winback.html"), ("winback", "w")],
)
def test_an_output_whose_extension_names_no_format_is_refused(
    tmp_path: Path, command: str, name: str
) -> None:
    """``plan -o plan.xlsx`` wrote the text table into a file Excel cannot open, exit 0."""
    target = tmp_path / name
    result = invoke(command, EXAMPLES / "exports", "--as-of", AS_OF, "-o", target)
    assert result.exit_code == 2
    assert "cannot tell the format from" in stderr_of(result)
    assert not target.exists()


@pytest.mark.parametrize(("command", "name"), [("plan", "plan.txt"), ("winback", "winback.txt")])
def test_a_txt_output_is_the_table(tmp_path: Path, command: str, name: str) -> None:
    target = tmp_path / name
    result = invoke(command, EXAMPLES / "exports", "--as-of", AS_OF, "-q", "-o", target)
    assert result.exit_code == 0, stderr_of(result)
    assert not target.read_text().lstrip().startswith(("{", "["))
