"""The README's example sessions (the code blocks that open with ``$ churnwatch …``) are what
the tool prints.

They are run as the tests run every command, 120 columns wide, in a folder of their own that
holds the examples (so a session may write files, as the `history` session does); a change
to the model, the rules or the wording that changes what the examples show must change the
README with it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from scan_helpers import EXAMPLES, invoke

README = Path(__file__).resolve().parents[1] / "README.md"
PROMPT = "$ churnwatch "

Step = tuple[str, list[str]]


def sessions() -> list[list[Step]]:
    """Each code block that opens with ``$ churnwatch …``: its commands in turn, each with the
    lines shown under it (a blank line before the next command is not part of the output)."""
    lines = README.read_text(encoding="utf-8").split("\n")
    found = []
    for number, line in enumerate(lines):
        if line.startswith(PROMPT) and lines[number - 1] == "```":
            end = lines.index("```", number + 1)
            steps: list[Step] = []
            for text in lines[number:end]:
                if text.startswith(PROMPT):
                    steps.append((text, []))
                else:
                    steps[-1][1].append(text)
            found.append([(command, _trimmed(shown)) for command, shown in steps])
    return found


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


def test_the_readme_has_its_example_sessions() -> None:
    commands = [command.split()[2] for steps in sessions() for command, _ in steps]
    assert {"scan", "winback", "plan", "loyal", "explain", "history"} <= set(commands)


@pytest.mark.parametrize("steps", sessions(), ids=lambda steps: steps[-1][0][2:42])
def test_the_readme_shows_what_the_command_prints(
    steps: list[Step], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "examples").symlink_to(EXAMPLES, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for command, shown in steps:
        result = invoke(*shlex.split(command)[2:])
        assert result.exit_code == 0, result.output
        printed = [line.rstrip() for line in result.stdout.rstrip("\n").split("\n")]
        assert _trimmed(printed) == shown, command
