"""The run history: every recorded run's snapshot in one SQLite file.

Why SQLite: one file next to the exports, transactions (a run killed while writing leaves
the earlier runs as they were), a lock that makes a second run at the same moment wait
instead of corrupting the file, and readable with any SQLite tool.

The schema is versioned with ``PRAGMA user_version`` and migrated forward on open; a file
from a newer churnwatch is refused rather than changed. ``PRAGMA application_id`` marks the
file as churnwatch's, so another program's database is never written into.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from churnwatch.analyses.changes import SNAPSHOT_COLUMNS, RunInfo, TimelinePoint
from churnwatch.core.days import days_to_iso, iso_to_days
from churnwatch.core.domain import Severity
from churnwatch.core.errors import HistoryError
from churnwatch.deliver.atomic import refuse_planted_link

APPLICATION_ID = 0x43575254  # "CWRT": a churnwatch run history
SCHEMA_VERSION = 2
LOCK_WAIT = 60.0
"""Seconds a run waits for another run that is writing the same history."""

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE runs (
            run_id INTEGER PRIMARY KEY AUTOINCREMENT,
            as_of TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            churnwatch_version TEXT NOT NULL,
            config_fingerprint TEXT NOT NULL,
            data_fingerprint TEXT NOT NULL,
            horizon_days INTEGER NOT NULL,
            customers INTEGER NOT NULL,
            lost INTEGER NOT NULL,
            critical INTEGER NOT NULL,
            high INTEGER NOT NULL,
            medium INTEGER NOT NULL,
            low INTEGER NOT NULL,
            mean_risk REAL,
            UNIQUE (as_of, horizon_days)
        )""",
        """CREATE TABLE customer_runs (
            run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
            customer_id TEXT NOT NULL,
            risk REAL NOT NULL,
            severity TEXT NOT NULL,
            phase TEXT NOT NULL,
            rules TEXT NOT NULL,
            PRIMARY KEY (run_id, customer_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX customer_runs_by_customer ON customer_runs (customer_id, run_id)",
    ),
    2: ("ALTER TABLE customer_runs ADD COLUMN value_per_year REAL",),
}
"""Per schema version, the statements that bring the previous version up to it."""


@dataclass(frozen=True)
class Recording:
    """What a run records besides its snapshot."""

    as_of: int
    churnwatch_version: str
    config_fingerprint: str
    data_fingerprint: str
    horizon_days: int


def prepare(path: Path) -> None:
    """Create the history's folder and file when missing, and check it can be written: a
    locked, read-only or foreign file fails here, before the run writes anything else."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(f"{path}: cannot create its folder: {exc.strerror}") from None
    with _opened(path) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute("DELETE FROM runs WHERE 0")  # a write, to see that one works
        finally:
            connection.execute("ROLLBACK")
    _check_journal_place(path)


def _check_journal_place(path: Path) -> None:
    """SQLite writes its journal beside the history when a run is recorded: a folder that
    takes no new file fails the recording after the report was written and mailed, so that
    next week's report repeats this week's news. The write above changes nothing, so it
    needs no journal: a file is made and removed here instead."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".churnwatch-check-", dir=path.parent)
    except OSError as exc:
        raise HistoryError(
            f"{path}: its folder takes no new file ({exc.strerror}), which SQLite needs beside"
            " the history to record a run; make the folder writable or choose another --history"
        ) from None
    os.close(handle)
    Path(probe).unlink(missing_ok=True)


def record(path: Path, recording: Recording, snapshot: pd.DataFrame) -> int:
    """Store a run (replacing a run with the same reference day and horizon) in one
    transaction and
    return its id. A run killed half-way leaves the history as it was."""
    with _opened(path) as connection, _writing(connection, path):
        connection.execute(
            "DELETE FROM runs WHERE as_of = ? AND horizon_days = ?",
            (days_to_iso(recording.as_of), recording.horizon_days),
        )
        cursor = connection.execute(
            "INSERT INTO runs (as_of, recorded_at, churnwatch_version, config_fingerprint,"
            " data_fingerprint, horizon_days, customers, lost, critical, high, medium, low,"
            " mean_risk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                days_to_iso(recording.as_of),
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                recording.churnwatch_version,
                recording.config_fingerprint,
                recording.data_fingerprint,
                recording.horizon_days,
                *_summary(snapshot),
            ),
        )
        run_id = int(cursor.lastrowid or 0)
        connection.executemany(
            "INSERT INTO customer_runs (run_id, customer_id, risk, severity, phase, rules,"
            " value_per_year) VALUES (?, ?, ?, ?, ?, ?, ?)",
            _customer_rows(run_id, snapshot),
        )
    return run_id


def _summary(snapshot: pd.DataFrame) -> tuple[int | float | None, ...]:
    """customers, lost, then critical … low among the customers not lost, and their mean risk."""
    lost = snapshot["phase"].to_numpy() == "lost"
    codes = snapshot["severity"].to_numpy(dtype=np.int64)[~lost]
    counts = np.bincount(codes, minlength=len(Severity))
    risks = snapshot["risk"].to_numpy(dtype=np.float64)[~lost]
    mean = float(risks.mean()) if len(risks) else None
    bands = [int(counts[s]) for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM)]
    return (len(snapshot), int(lost.sum()), *bands, int(counts[Severity.LOW]), mean)


def _customer_rows(run_id: int, snapshot: pd.DataFrame) -> Iterator[tuple[object, ...]]:
    labels = np.array(Severity.labels(), dtype=object)
    columns = (
        snapshot["customer_id"].astype(str).tolist(),
        snapshot["risk"].astype(float).tolist(),
        labels[snapshot["severity"].to_numpy(dtype=np.int64)].tolist(),
        snapshot["phase"].astype(str).tolist(),
        snapshot["rules"].astype(str).tolist(),
        _values(snapshot),
    )
    for row in zip(*columns, strict=True):
        yield (run_id, *row)


def _values(snapshot: pd.DataFrame) -> list[float | None]:
    """Each customer's revenue per year, None where unknown (SQLite's NULL, not NaN)."""
    values = snapshot["value_per_year"].to_numpy(dtype=np.float64)
    return [None if np.isnan(v) else float(v) for v in values.tolist()]


def runs(path: Path) -> list[RunInfo]:
    """Every recorded run, oldest first; none when the file does not exist yet."""
    if not path.exists():
        return []
    with _opened(path, create=False) as connection:
        rows = connection.execute(
            "SELECT run_id, as_of, recorded_at, churnwatch_version, config_fingerprint,"
            " data_fingerprint, horizon_days, customers, lost, critical, high, medium, low,"
            " mean_risk FROM runs ORDER BY as_of"
        ).fetchall()
    return [_run_info(row) for row in rows]


def _run_info(row: Sequence[object]) -> RunInfo:
    run_id, as_of, recorded, version, config, data, horizon, customers, lost, *rest = row
    *bands, mean = rest
    names = ("critical", "high", "medium", "low")
    return RunInfo(
        int(run_id),  # type: ignore[call-overload]
        iso_to_days(str(as_of)),
        str(recorded),
        str(version),
        str(config),
        str(data),
        int(horizon),  # type: ignore[call-overload]
        int(customers),  # type: ignore[call-overload]
        int(lost),  # type: ignore[call-overload]
        dict(zip(names, (int(b) for b in bands), strict=True)),  # type: ignore[call-overload]
        None if mean is None else float(mean),  # type: ignore[arg-type]
    )


def load_snapshot(path: Path, run_id: int) -> pd.DataFrame:
    """A recorded run's snapshot (the columns of :func:`churnwatch.analyses.changes.snapshot`)."""
    with _opened(path, create=False) as connection:
        rows = connection.execute(
            "SELECT customer_id, risk, severity, phase, rules, value_per_year FROM customer_runs"
            " WHERE run_id = ? ORDER BY risk DESC, customer_id",
            (run_id,),
        ).fetchall()
    frame = pd.DataFrame(rows, columns=list(SNAPSHOT_COLUMNS))
    codes = {label: code for code, label in enumerate(Severity.labels())}
    frame["severity"] = frame["severity"].map(codes).fillna(0).astype(np.int64)
    frame["risk"] = frame["risk"].astype(np.float64)
    frame["value_per_year"] = frame["value_per_year"].astype(np.float64)  # NULL: NaN
    return frame


def timeline(path: Path, customer_id: str) -> list[TimelinePoint]:
    """One customer in every recorded run that had them, oldest first; an id in another case
    finds the customer when no other id spells the same."""
    with _opened(path, create=False) as connection:
        spellings = connection.execute(
            "SELECT DISTINCT customer_id FROM customer_runs WHERE customer_id = ? COLLATE NOCASE",
            (customer_id,),
        ).fetchall()
        if len(spellings) == 1:
            (customer_id,) = spellings[0]
        rows = connection.execute(
            "SELECT r.as_of, r.horizon_days, c.risk, c.severity, c.phase, c.rules"
            " FROM customer_runs c JOIN runs r USING (run_id) WHERE c.customer_id = ?"
            " ORDER BY r.as_of, r.run_id",
            (customer_id,),
        ).fetchall()
    return [
        TimelinePoint(
            customer_id,
            iso_to_days(as_of),
            int(horizon),
            float(risk),
            Severity.parse(severity),
            phase,
            tuple(rules.split()),
        )
        for as_of, horizon, risk, severity, phase, rules in rows
    ]


def known_customers(path: Path) -> list[str]:
    """Every customer id the history holds (for suggestions)."""
    with _opened(path, create=False) as connection:
        rows = connection.execute("SELECT DISTINCT customer_id FROM customer_runs").fetchall()
    return [str(row[0]) for row in rows]


@contextmanager
def _opened(path: Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """The history, checked and migrated to this version's schema."""
    if not create and not path.exists():
        raise HistoryError(f"{path}: no run history here yet (a scan with --history makes one)")
    refuse_planted_link(path)
    try:
        connection = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot open the run history: {exc}") from None
    with closing(connection):
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            _migrate(connection, path)
            yield connection
        except sqlite3.DatabaseError as exc:
            raise HistoryError(_database_problem(path, exc)) from None


def _database_problem(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            f"{path}: another churnwatch run is writing this history (waited"
            f" {LOCK_WAIT:.0f} s); try again when it has finished"
        )
    if "not a database" in text or "malformed" in text:
        return f"{path}: not a churnwatch run history, or damaged ({text})"
    if "readonly" in text or "unable to open" in text:
        return f"{path}: the run history cannot be written ({text}); check the permissions"
    return f"{path}: the run history cannot be used: {text}"


@contextmanager
def _writing(connection: sqlite3.Connection, path: Path) -> Iterator[None]:
    """One write transaction: taken at once (so a second run waits for the first), committed
    only when everything was written."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Create the schema in a new file, or bring an older one up to date."""
    (owner,) = connection.execute("PRAGMA application_id").fetchone()
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version == SCHEMA_VERSION and owner == APPLICATION_ID:
        return
    if owner not in (0, APPLICATION_ID) or (owner == 0 and _has_tables(connection)):
        raise HistoryError(f"{path}: not a churnwatch run history; choose another file")
    if version > SCHEMA_VERSION and owner == APPLICATION_ID:
        raise HistoryError(
            f"{path}: written by a newer churnwatch (history schema {version}; this version"
            f" reads up to {SCHEMA_VERSION}); upgrade churnwatch"
        )
    with _writing(connection, path):
        (version,) = connection.execute("PRAGMA user_version").fetchone()  # after the lock
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                connection.execute(statement)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _has_tables(connection: sqlite3.Connection) -> bool:
    (count,) = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return bool(count)


FINGERPRINT_SAMPLE = 1 << 20
"""Bytes read from the start and the end of each file for the data fingerprint."""


def fingerprint_text(text: str) -> str:
    """A short, stable digest of a text (the settings a run used)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint_files(paths: Sequence[Path]) -> str:
    """A short digest of the exports a run read: each file's name, size, and its first and
    last megabyte. Cheap on gigabytes, and it changes whenever rows are added or edited at
    either end (how exports change); a copy of the same files has the same fingerprint."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                head = handle.read(FINGERPRINT_SAMPLE)
                handle.seek(max(size - FINGERPRINT_SAMPLE, len(head)))
                tail = handle.read(FINGERPRINT_SAMPLE)
        except OSError:
            continue  # gone since it was read: the rest still identifies the run
        digest.update(f"{path.name}\0{size}\0".encode())
        digest.update(head + tail)
    return digest.hexdigest()[:16]
