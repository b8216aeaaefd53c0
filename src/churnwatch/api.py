"""The library's front door: what the CLI calls, and what a script can import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from churnwatch.config import Config, find_config, load_config
from churnwatch.load import Dataset, load_folder


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
