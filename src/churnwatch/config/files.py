"""Finding and reading ``churnwatch.toml``, with errors that name the file and key path."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from churnwatch.config.models import Config
from churnwatch.core.errors import ConfigError, InputError
from churnwatch.core.suggest import did_you_mean

CONFIG_NAME = "churnwatch.toml"


def find_config(exports: Path, explicit: Path | None) -> Path | None:
    """The config to use: ``--config`` if given (must exist), else the exports folder's own."""
    if explicit is not None:
        if explicit.is_dir():
            raise ConfigError(f"{explicit}: is a folder; --config takes a churnwatch.toml file")
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        return explicit
    check_exports_folder(exports)
    candidate = exports / CONFIG_NAME
    return candidate if candidate.is_file() else None


def check_exports_folder(exports: Path) -> None:
    """The EXPORTS argument must be an existing folder (a common slip: naming a CSV file)."""
    if exports.is_file():
        raise InputError(
            f"{exports}: is a file; pass the folder that contains the exports",
            hint=f"use its folder: {_exports_above(exports)}",
        )
    if not exports.is_dir():
        raise InputError(f"{exports}: exports folder not found")


def _exports_above(file: Path) -> Path:
    """The folder a file given as the exports is in, above the folders of a Parquet export's
    parts, which are not exports folders."""
    folder = file.parent
    while _holds_parts(folder) and folder.parent != folder:
        folder = folder.parent
    return folder


def _holds_parts(folder: Path) -> bool:
    """``orders.parquet/``, Hive's ``year=2024/``, or a folder of nothing but such subfolders
    (``orders/`` above ``year=2024/``), the writers' own files aside."""
    if folder.name.endswith(".parquet") or "=" in folder.name:
        return True
    try:
        names = [name for name in os.listdir(folder) if not name.startswith(("_", "."))]
    except OSError:
        return False
    return bool(names) and all("=" in name and (folder / name).is_dir() for name in names)


def load_config(path: Path | None) -> Config:
    """Read and validate a config file; ``None`` gives the defaults."""
    if path is None:
        return Config()
    return parse_config(read_toml(path), path)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")  # Notepad writes a BOM
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_toml_position(str(exc), path)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: line {_deepest_line(path)}: nested too deeply") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (TOML files must be UTF-8)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _deepest_line(path: Path) -> int:
    """The line where brackets and braces nest deepest (where a too-deep nesting is)."""
    depth, deepest, line = 0, 0, 1
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, row in enumerate(text.splitlines(), start=1):
        for character in row:
            depth += character in "[{"
            depth -= character in "]}"
            if depth > deepest:
                deepest, line = depth, number
    return line


def _toml_position(message: str, path: Path) -> str:
    """Turn tomllib's '… (at line 7, column 3)' into 'line 7, column 3: …', and its '… (at end
    of document)' into the last line, so every syntax error names a line."""
    if end := re.search(r"^(.*) \(at end of document\)$", message):
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines() or [""]
        return (
            f"line {len(lines)}, column {len(lines[-1]) + 1}: {end.group(1)}"
            " (the file ends in the middle of a value)"
        )
    match = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", message)
    if not match:
        return message
    text, line, column = match.groups()
    return f"line {line}, column {column}: {text}"


def parse_config(data: dict[str, Any], path: Path) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        messages = [_describe(error) for error in exc.errors()]
        raise ConfigError(f"{path}: " + "\n  ".join(messages)) from None


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    dotted = _dotted(loc)
    if loc == ("scoring",):
        return "scoring: replaced by [risk]: severity bands are risk percentages now (see README)"
    if loc == ("email", "password"):
        return "email.password: a password never lives in a file; set CHURNWATCH_SMTP_PASSWORD"
    if error["type"] == "extra_forbidden":
        known = _fields_at(Config, loc[:-1])
        return f"{dotted}: unknown key{did_you_mean(str(loc[-1]), known)}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("sources."):
        return message
    return f"{dotted}: {message}" if dotted else message


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names a nested model accepts at ``loc``, for suggestions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        is_model = isinstance(current, type) and issubclass(current, BaseModel)
        field = current.model_fields.get(part) if is_model else None
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        current = args[0] if args and isinstance(args[0], type) else annotation
    fields = getattr(current, "model_fields", {})
    return list(fields)
