"""Helpers shared by the scan test modules (features, rules, scores, rendering)."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner, Result

from churnwatch.analyses.result import ScanResult
from churnwatch.api import scan_exports
from churnwatch.cli import app
from churnwatch.config import Config, Windows
from churnwatch.core.days import iso_to_days
from churnwatch.features import compute_features, population_step
from churnwatch.ingest.dataset import load_dataset
from churnwatch.timeframe import cut_at, reference_day

TESTS = Path(__file__).resolve().parent
EXAMPLES = TESTS.parent / "examples"
RULE_CASES = TESTS / "rule_cases"
GOLDEN = TESTS / "golden"
ANSI = "\x1b["


def write_exports(folder: Path, **files: str) -> Path:
    """Write dedented CSV (or TOML) texts into ``folder``: ``orders="…"`` → ``orders.csv``.

    A key containing a dot is used as the file name as it is (``**{"churnwatch.toml": …}``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        filename = name if "." in name else f"{name}.csv"
        (folder / filename).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def day(iso: str) -> int:
    """Day number of an ISO date."""
    return iso_to_days(iso)


def features_by_id(folder: Path, as_of: dt.date, windows: Windows | None = None) -> pd.DataFrame:
    """``compute_features`` for a folder, indexed by customer id instead of code."""
    dataset = load_dataset(folder, Config())
    cut = cut_at(dataset, reference_day(dataset, as_of))
    frame = compute_features(cut, population_step(cut, windows or Windows()))
    frame.index = pd.Index(dataset.customer_ids[frame.index.to_numpy()], name="customer_id")
    return frame


def scan(folder: Path, as_of: dt.date | None = None, config: Path | None = None) -> ScanResult:
    """The scan result of a folder, as ``churnwatch scan`` computes it."""
    return scan_exports(folder, config=config, as_of=as_of).result


def fired_for(result: ScanResult, rule_id: str) -> set[str]:
    """Ids of the customers on whom ``rule_id`` fired."""
    ids = [rule.id for rule in result.rules]
    if rule_id not in ids:
        return set()
    column = result.fired[:, ids.index(rule_id)]
    return set(result.customers["customer_id"].to_numpy()[column])


def ranked_ids(result: ScanResult) -> list[str]:
    return [str(i) for i in result.customers["customer_id"]]


def invoke(*args: object) -> Result:
    """Run the CLI in-process (stderr kept apart from stdout)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def stderr_of(result: Result) -> str:
    """stderr of a CliRunner result, whichever Click version separates it."""
    try:
        return result.stderr
    except ValueError:  # pragma: no cover - old Click mixes the streams
        return result.output
