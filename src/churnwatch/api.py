"""The library's front door: what the CLI calls, and what a script can import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from churnwatch.config import Config, find_config, load_config
from churnwatch.load import Dataset, load_folder
from churnwatch.pipeline import Progress, scan
from churnwatch.result import ScanResult
from churnwatch.rules.catalog import Rule, active_rules


@dataclass(frozen=True)
class Loaded:
    config: Config
    config_path: Path | None
    dataset: Dataset


def open_exports(exports: Path, config: Path | None = None, as_of: dt.date | None = None) -> Loaded:
    """Find and read the configuration, then load every export in the folder."""
    path = find_config(exports, config)
    settings = load_config(path)
    return Loaded(settings, path, load_folder(exports, settings, as_of))


def rules_for(config: Config, config_path: Path | None) -> list[Rule]:
    """The active rules: defaults merged with the config's ``[[rules]]``."""
    return active_rules(config.rules, str(config_path) if config_path else "churnwatch.toml")


def scan_exports(
    exports: Path,
    config: Path | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> tuple[Loaded, ScanResult]:
    """Load, check the rules, and scan: everything ``churnwatch scan`` does before output."""
    step = progress or (lambda _: None)
    path = find_config(exports, config)
    settings = load_config(path)
    rules = rules_for(settings, path)  # fail on a bad rule before reading gigabytes
    step("loading exports")
    loaded = Loaded(settings, path, load_folder(exports, settings, as_of))
    return loaded, scan(loaded.dataset, settings, rules, step)
