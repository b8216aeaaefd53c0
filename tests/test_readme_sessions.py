"""The README's example sessions (the ``$ churnwatch …`` blocks) are what the tool prints.

They are run as the tests run every command, 120 columns wide; a change to the model, the
rules or the wording that changes what the examples show must change the README with it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from scan_helpers import invoke

README = Path(__file__).resolve().parents[1] / "README.md"


def sessions() -> list[tuple[str, list[str]]]:
    """Each ``$ churnwatch …`` line that opens a code block, and the lines shown under it."""
    lines = README.read_text(encoding="utf-8").split("\n")
    found = []
    for number, line in enumerate(lines):
        if line.startswith("$ churnwatch ") and lines[number - 1] == "```":
            end = lines.index("```", number + 1)
            found.append((line, lines[number + 1 : end]))
    return found


def test_the_readme_has_its_example_sessions() -> None:
    commands = [command.split()[2] for command, _ in sessions()]
    assert {"scan", "winback", "plan", "loyal", "explain"} <= set(commands)


@pytest.mark.parametrize(("command", "shown"), sessions(), ids=lambda v: str(v)[:40])
def test_the_readme_shows_what_the_command_prints(command: str, shown: list[str]) -> None:
    result = invoke(*shlex.split(command)[2:])
    assert result.exit_code == 0, result.output
    printed = [line.rstrip() for line in result.stdout.rstrip("\n").split("\n")]
    assert printed == shown
