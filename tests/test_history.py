"""The run history: recording, replacing, comparing runs, and surviving kills and races."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from churnwatch.analyses.changes import Change, compare
from churnwatch.core.domain import Severity
from churnwatch.core.errors import HistoryError
from churnwatch.deliver import history
from churnwatch.deliver.history import Recording
from helpers import day

HIGH, MEDIUM, CRITICAL, LOW = (
    int(s) for s in (Severity.HIGH, Severity.MEDIUM, Severity.CRITICAL, Severity.LOW)
)


def snapshot(rows: list[tuple[str, float, int, str]]) -> pd.DataFrame:
    """A snapshot from ``(customer_id, risk, severity, phase)`` rows."""
    frame = pd.DataFrame(rows, columns=["customer_id", "risk", "severity", "phase"])
    frame["rules"] = ["overdue-customer" if s >= HIGH else "" for s in frame["severity"]]
    frame["value_per_year"] = float("nan")  # as a run recorded before values were kept
    return frame


def recording(iso: str) -> Recording:
    return Recording(day(iso), "0.1.0", "cfg", "data", 90)


def record(path: Path, iso: str, rows: list[tuple[str, float, int, str]]) -> int:
    return history.record(path, recording(iso), snapshot(rows))


def changes(path: Path, current: list[tuple[str, float, int, str]]) -> dict[str, str]:
    """Each customer's change in ``current`` against the latest recorded run."""
    latest = history.runs(path)[-1]
    compared = compare(snapshot(current), history.load_snapshot(path, latest.run_id), Severity.HIGH)
    return dict(zip(compared["customer_id"], compared["change"], strict=True))


RUN_1 = [
    ("A", 0.7, HIGH, "maturity"),
    ("B", 0.3, LOW, "growth"),
    ("C", 0.65, HIGH, "maturity"),
    ("D", 0.9, CRITICAL, "degeneration"),
]
RUN_2 = [
    ("A", 0.85, CRITICAL, "maturity"),
    ("B", 0.62, HIGH, "growth"),
    ("C", 0.2, LOW, "maturity"),
    ("D", 0.95, CRITICAL, "lost"),
]
RUN_3 = [
    ("A", 0.82, CRITICAL, "maturity"),
    ("B", 0.3, LOW, "growth"),
    ("C", 0.2, LOW, "maturity"),
    ("D", 0.95, CRITICAL, "lost"),
    ("E", 0.7, HIGH, "initiation"),
]


def test_three_runs_mark_new_escalated_recovered_and_lost(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    record(path, "2026-11-02", RUN_1)
    assert changes(path, RUN_2) == {
        "A": Change.ESCALATED,  # high → critical
        "B": Change.NEW,  # low → high
        "C": Change.RECOVERED,  # high → low
        "D": Change.LOST,  # critical, now lost: a win-back case, not a recovery
    }
    record(path, "2026-11-09", RUN_2)
    assert changes(path, RUN_3) == {
        "A": Change.UNCHANGED,  # critical both times
        "B": Change.RECOVERED,
        "C": Change.NONE,
        "D": Change.NONE,  # lost both times: off the warning list
        "E": Change.NEW,  # not a customer the week before
    }
    record(path, "2026-11-16", RUN_3)
    assert [run.as_of for run in history.runs(path)] == [
        day("2026-11-02"),
        day("2026-11-09"),
        day("2026-11-16"),
    ]


def test_a_run_keeps_what_it_recorded(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    run_id = record(path, "2026-11-02", RUN_1)
    (info,) = history.runs(path)
    assert (info.run_id, info.customers, info.lost) == (run_id, 4, 0)
    assert info.bands == {"critical": 1, "high": 2, "medium": 0, "low": 1}
    assert info.mean_risk == pytest.approx(np.mean([0.7, 0.3, 0.65, 0.9]))
    stored = history.load_snapshot(path, run_id).set_index("customer_id")
    assert (
        stored.loc["D", "severity"] == CRITICAL and stored.loc["D", "rules"] == "overdue-customer"
    )
    points = history.timeline(path, "A")
    assert [(p.risk, p.severity, p.rules) for p in points] == [
        (0.7, Severity.HIGH, ("overdue-customer",))
    ]


def test_rerunning_a_reference_date_replaces_that_run(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    record(path, "2026-11-02", RUN_1)
    record(path, "2026-11-09", RUN_2)
    record(path, "2026-11-02", RUN_3)
    runs = history.runs(path)
    assert [r.as_of for r in runs] == [day("2026-11-02"), day("2026-11-09")]
    assert runs[0].customers == len(RUN_3)
    with sqlite3.connect(path) as connection:
        (rows,) = connection.execute("SELECT count(*) FROM customer_runs").fetchone()
    assert rows == len(RUN_2) + len(RUN_3)  # the replaced run's customers went with it


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from churnwatch.deliver import history
    sys.path.insert(0, {tests!r})
    from test_history import RUN_3, recording, snapshot

    written = history._customer_rows

    def dying(run_id, frame):
        for number, row in enumerate(written(run_id, frame)):
            if number == 2:
                os.kill(os.getpid(), signal.SIGKILL)  # killed half-way through the customers
            yield row

    history._customer_rows = dying
    history.record({path!r}, recording("2026-11-16"), snapshot(RUN_3))
    """
)


def test_a_run_killed_while_writing_leaves_the_earlier_runs(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    record(path, "2026-11-02", RUN_1)
    record(path, "2026-11-09", RUN_2)
    script = KILLER.format(tests=str(Path(__file__).parent), path=str(path))
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert killed.returncode == -9, killed.stderr.decode()
    assert [r.as_of for r in history.runs(path)] == [day("2026-11-02"), day("2026-11-09")]
    assert len(history.load_snapshot(path, history.runs(path)[-1].run_id)) == len(RUN_2)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    record(path, "2026-11-16", RUN_3)  # and the next run records normally
    assert len(history.runs(path)) == 3


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from churnwatch.deliver import history
    from churnwatch.deliver.history import Recording
    import pandas as pd
    from helpers import day

    rows = pd.DataFrame({{
        "customer_id": [f"C{{n}}" for n in range(3000)],
        "risk": [0.5] * 3000, "severity": [2] * 3000, "phase": ["maturity"] * 3000,
        "rules": [""] * 3000, "value_per_year": [1.0] * 3000,
    }})
    for week in range({weeks}):
        as_of = day("2026-01-05") + 7 * (2 * week + {offset})
        history.record({path!r}, Recording(as_of, "0", "cfg", "w{offset}", 90), rows)
    """
)


def test_two_runs_at_once_leave_a_consistent_history(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    weeks = 12
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER.format(
                    tests=str(Path(__file__).parent), path=str(path), weeks=weeks, offset=offset
                ),
            ],
            stderr=subprocess.PIPE,
        )
        for offset in (0, 1)
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors.decode()
    runs = history.runs(path)
    assert len(runs) == 2 * weeks
    assert {run.data_fingerprint for run in runs} == {"w0", "w1"}
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (rows,) = connection.execute("SELECT count(*) FROM customer_runs").fetchone()
    assert rows == 2 * weeks * 3000


def test_a_run_that_cannot_get_the_lock_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.db"
    record(path, "2026-11-02", RUN_1)
    monkeypatch.setattr(history, "LOCK_WAIT", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(HistoryError, match="another churnwatch run is writing this history"):
            record(path, "2026-11-09", RUN_2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(history.runs(path)) == 1


def test_not_a_history_is_refused_and_left_alone(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, just some text that is long enough " * 20)
    with pytest.raises(HistoryError, match="not a churnwatch run history"):
        record(text, "2026-11-02", RUN_1)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(HistoryError, match="not a churnwatch run history"):
        record(other, "2026-11-02", RUN_1)
    with sqlite3.connect(other) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("invoices",)]


def test_a_history_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    record(path, "2026-11-02", RUN_1)
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer churnwatch"):
        history.runs(path)


def test_an_older_schema_is_migrated_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.db"
    record(path, "2026-11-02", RUN_1)
    following = history.SCHEMA_VERSION + 1
    later = {**history.MIGRATIONS, following: ("ALTER TABLE runs ADD COLUMN note TEXT",)}
    monkeypatch.setattr(history, "MIGRATIONS", later)
    monkeypatch.setattr(history, "SCHEMA_VERSION", following)
    assert [r.customers for r in history.runs(path)] == [4]  # read after the migration
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (following,)
        columns = [row[1] for row in connection.execute("PRAGMA table_info(runs)")]
    assert "note" in columns


def test_a_first_version_history_is_read_without_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A history recorded before runs kept each customer's revenue per year: migrated, its
    runs read with the value unknown (the report then values them as now)."""
    path = tmp_path / "runs.db"
    with monkeypatch.context() as first:  # the file as the first schema made it
        first.setattr(history, "MIGRATIONS", {1: history.MIGRATIONS[1]})
        first.setattr(history, "SCHEMA_VERSION", 1)
        history.prepare(path)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO runs VALUES (1, '2026-11-02', 'now', '0.1.0', 'cfg', 'data', 90,"
            " 4, 0, 1, 1, 1, 1, 0.5)"
        )
        connection.executemany(
            "INSERT INTO customer_runs VALUES (1, ?, ?, ?, ?, '')",
            [(c, r, Severity.labels()[s], p) for c, r, s, p in RUN_1],
        )
    (info,) = history.runs(path)
    loaded = history.load_snapshot(path, info.run_id)
    assert loaded["value_per_year"].isna().all() and len(loaded) == 4
    run_id = history.record(
        path, recording("2026-11-09"), snapshot(RUN_2).assign(value_per_year=5.0)
    )
    assert (history.load_snapshot(path, run_id)["value_per_year"] == 5.0).all()


# The command line, on the example exports.


def scan(cli, examples: Path, db: Path, as_of: str, *extra: str):  # type: ignore[no-untyped-def]
    return cli("scan", str(examples / "exports"), "--as-of", as_of, "--history", str(db), *extra)


def test_scan_records_and_since_last_compares(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "runs.db"
    first = scan(cli, examples_dir, db, "2026-08-15", "--since-last", "-f", "json")
    assert first.exit_code == 0, first.output
    assert "no earlier run recorded" in first.stderr
    customers = json.loads(first.stdout)["customers"]
    listed = [
        c for c in customers if c["severity"] in ("high", "critical") and c["phase"] != "lost"
    ]
    assert listed and all(c["change"] == "new" for c in listed)
    assert all(c["change"] is None for c in customers if c not in listed)

    assert scan(cli, examples_dir, db, "2026-09-30", "-q").exit_code == 0
    second = scan(cli, examples_dir, db, "2026-09-30", "--since-last", "-f", "json")
    assert "since the run of 2026-08-15" in second.stderr
    now = {c["customer_id"]: c for c in json.loads(second.stdout)["customers"]}
    before = {c["customer_id"]: c for c in customers}
    for customer_id, row in now.items():
        was = before.get(customer_id)
        was_listed = was is not None and was in listed
        is_listed = row["severity"] in ("high", "critical") and row["phase"] != "lost"
        expected = {
            (True, False): "new",
            (False, True): "recovered" if row["phase"] != "lost" else "lost",
        }
        if is_listed != was_listed:
            assert row["change"] == expected[(is_listed, was_listed)], customer_id
        if was is not None:
            assert row["previous_risk"] == pytest.approx(was["risk"], abs=1e-4)
    runs = history.runs(db)
    assert [r.as_of for r in runs] == [day("2026-08-15"), day("2026-09-30")]  # re-run replaced

    listing = cli("history", "--history", str(db))
    assert (
        listing.exit_code == 0 and "2026-08-15" in listing.stdout and "2026-09-30" in listing.stdout
    )
    top = now[next(iter(now))]["customer_id"]
    one = cli("history", top, "--history", str(db))
    assert one.exit_code == 0 and "risk over 2 runs" in one.stdout


def test_history_path_from_the_config_is_beside_it(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    config = folder / "churnwatch.toml"
    config.write_text(
        config.read_text() + '\n[history]\npath = "runs.db"\n'
    ) if config.exists() else config.write_text('[history]\npath = "runs.db"\n')
    result = cli(
        "scan",
        str(folder),
        "--as-of",
        "2026-09-30",
        "-q",
        "-f",
        "csv",
        "-o",
        str(tmp_path / "out.csv"),
    )
    assert result.exit_code == 0, result.output
    assert (folder / "runs.db").exists()
    listing = cli("history", "--exports", str(folder))
    assert listing.exit_code == 0 and "2026-09-30" in listing.stdout


def test_since_last_without_a_history_says_how_to_get_one(cli, examples_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("scan", str(examples_dir / "exports"), "--since-last")
    assert result.exit_code == 2
    assert "--since-last needs a run history" in result.stderr and "--history FILE" in result.stderr


def test_history_of_an_unknown_customer_suggests_one(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "runs.db"
    record(db, "2026-11-02", RUN_1)
    result = cli("history", "E", "--history", str(db))
    assert result.exit_code == 2 and "'E': no such customer in the history" in result.stderr
    other_case = cli("history", "a", "--history", str(db))  # as explain, any case finds A
    assert other_case.exit_code == 0 and "A · risk over 1 run:" in other_case.stdout
    missing = cli("history", "--history", str(tmp_path / "none.db"))
    assert missing.exit_code == 2 and "no run history here yet" in missing.stderr


def test_a_config_in_the_exports_folder_keeps_the_history_inside(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "churnwatch.toml").write_text('[history]\npath = "../escape.db"\n')
    out = tmp_path / "out.csv"
    result = cli("scan", folder, "--as-of", "2026-09-30", "-f", "csv", "-o", out)
    assert result.exit_code == 2 and "lies outside the exports folder" in result.stderr
    assert not (tmp_path / "escape.db").exists() and not out.exists()
    trusted = cli(
        "scan",
        folder,
        "--config",
        folder / "churnwatch.toml",
        "--as-of",
        "2026-09-30",
        "-q",
        "-f",
        "csv",
        "-o",
        out,
    )
    assert trusted.exit_code == 0 and (tmp_path / "escape.db").exists()


def test_an_unwritable_history_fails_before_any_output(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "runs.db"
    db.write_bytes(b"")
    (tmp_path / "runs.db").chmod(0o444)
    out = tmp_path / "out.csv"
    try:
        db_dir_blocked = tmp_path / "blocked"
        db_dir_blocked.write_text("a file, not a folder")
        result = cli(
            "scan",
            examples_dir / "exports",
            "--as-of",
            "2026-09-30",
            "-f",
            "csv",
            "-o",
            out,
            "--history",
            db_dir_blocked / "runs.db",
        )
        assert result.exit_code == 2 and "cannot create its folder" in result.stderr
        assert not out.exists()
    finally:
        db.chmod(0o644)


def test_a_history_folder_is_created_on_first_use(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "new" / "folder" / "runs.db"
    result = cli(
        "scan",
        examples_dir / "exports",
        "--as-of",
        "2026-09-30",
        "-q",
        "-f",
        "csv",
        "-o",
        tmp_path / "o.csv",
        "--history",
        db,
    )
    assert result.exit_code == 0 and db.exists()


def test_the_trend_of_the_mean_risk_follows_runs_of_the_same_horizon(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A risk over 30 days is another measure than over 90: its run starts a trend of its
    own, and the next 90-day run continues the 90-day runs' trend."""
    db = tmp_path / "runs.db"
    exports = examples_dir / "exports"
    base = ["-q", "-f", "csv", "-o", tmp_path / "o.csv", "--history", db]
    for as_of, horizon in (("2026-09-09", "90"), ("2026-09-16", "90"), ("2026-09-23", "30")):
        assert cli("scan", exports, "--as-of", as_of, "--horizon", horizon, *base).exit_code == 0
    assert cli("scan", exports, "--as-of", "2026-09-30", *base).exit_code == 0
    listing = cli("history", "--history", str(db))
    bars = set("▁▂▃▄▅▆▇█")
    trends = {
        line.split()[1]: next(word for word in line.split() if set(word) <= bars)
        for line in listing.stdout.splitlines()
        if line.split()[1:2] and line.split()[1].startswith("2026-")
    }
    assert [len(trends[d]) for d in ("2026-09-09", "2026-09-16", "2026-09-23", "2026-09-30")] == [
        1,
        2,
        1,
        3,
    ]


def test_since_last_compares_like_with_like(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "runs.db"
    exports = examples_dir / "exports"
    base = ["-q", "-f", "csv", "-o", tmp_path / "o.csv", "--history", db]
    assert cli("scan", exports, "--as-of", "2026-09-16", *base).exit_code == 0
    assert cli("scan", exports, "--as-of", "2026-09-23", "--horizon", "30", *base).exit_code == 0
    compared = cli(
        "scan",
        exports,
        "--as-of",
        "2026-09-30",
        "--since-last",
        "-f",
        "csv",
        "-o",
        tmp_path / "p.csv",
        "--history",
        db,
    )
    assert "since the run of 2026-09-16" in compared.stderr  # the 30-day run is another measure
    assert "used another horizon" in compared.stderr
    german = cli(
        "scan",
        examples_dir / "exports-de",
        "--as-of",
        "2026-10-31",
        "--since-last",
        "-f",
        "csv",
        "-o",
        tmp_path / "q.csv",
        "--history",
        db,
    )
    assert "is the history from another export?" in german.stderr


def test_customers_are_matched_between_runs_whatever_their_text_type() -> None:
    """The ids of a recorded run (object text) against today's (pandas' text), both ways:
    the comparison with the previous run and the report's outcomes rest on it."""
    import numpy as np
    import pandas as pd

    from churnwatch.analyses.changes import among

    today = pd.Series(["A1", "B2", "C3", "0042"], dtype=object)
    recorded = pd.Series(["C3", "A1", "42"], dtype="str")
    assert among(today, recorded).tolist() == [True, False, True, False]
    assert among(recorded, today.to_numpy()).tolist() == [True, True, False]
    assert among(pd.Series([], dtype=object), np.array([], dtype=object)).tolist() == []


def test_a_customers_line_follows_the_runs_of_their_latest_horizon(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A 30-day risk between 90-day ones is listed with its horizon, not drawn into the line
    of the 90-day risks (it is about half of theirs: another measure, not a recovery)."""
    db = tmp_path / "runs.db"
    exports = examples_dir / "exports"
    base = ["-q", "-f", "csv", "-o", tmp_path / "o.csv", "--history", db]
    for as_of, horizon in (("2026-09-16", "90"), ("2026-09-23", "30"), ("2026-09-30", "90")):
        assert cli("scan", exports, "--as-of", as_of, "--horizon", horizon, *base).exit_code == 0
    shown = cli("history", "C0169", "--history", str(db))
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    head = lines[0].split()
    assert head[:7] == ["C0169", "·", "risk", "over", "2", "runs", "with"]
    assert "90-day" in head and len(next(w for w in head if set(w) <= set("▁▂▃▄▅▆▇█"))) == 2
    rows = {line.split()[0]: line.split()[1:3] for line in lines if line[:6] == " 2026-"}
    assert [rows[d][:2] for d in sorted(rows)] == [["90", "d"], ["30", "d"], ["90", "d"]]
    points = history.timeline(db, "C0169")
    assert [p.horizon_days for p in points] == [90, 30, 90]
    assert points[1].risk < points[0].risk / 1.5


def test_a_history_whose_folder_takes_no_journal_fails_before_the_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file writable, its folder not (an immutable folder, a read-only mount of it):
    the check passed, then the recording failed after the report was written and mailed."""
    path = tmp_path / "hist" / "runs.db"
    history.prepare(path)  # made while the folder takes files

    def refused(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(history.tempfile, "mkstemp", refused)
    with pytest.raises(HistoryError, match="its folder takes no new file"):
        history.prepare(path)


def test_what_if_and_dry_runs_never_write_the_history(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """``scan --since-last --no-history`` and ``report --dry-run`` record nothing: they made
    the history's folders and file (a mistyped path), and stopped at a read-only one."""
    mistyped = tmp_path / "typo" / "runs.db"
    exports = examples_dir / "exports"
    scan = cli("scan", exports, "--since-last", "--no-history", "--history", mistyped, "-q")
    assert scan.exit_code == 0, scan.output
    dry = tmp_path / "mail.html"
    report = cli(
        "report",
        exports,
        "--history",
        mistyped,
        "--dry-run",
        "--email-to",
        "a@example.com",
        "--email-from",
        "b@example.com",
        "-o",
        dry,
        "-q",
    )
    assert report.exit_code == 0, report.output
    assert not (tmp_path / "typo").exists()
