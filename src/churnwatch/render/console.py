"""A Rich console that behaves in pipes and files: colour only on a terminal."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console


def make_console(file: TextIO | None = None, *, stderr: bool = False) -> Console:
    """Colour and markup on a terminal; plain text (no ANSI codes) anywhere else."""
    target = file or (sys.stderr if stderr else sys.stdout)
    return Console(file=target, highlight=False, soft_wrap=False, emoji=False)
