"""A Rich console that behaves in pipes and files: colour only on a terminal."""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import TextIO, TypeVar

from rich.console import Console
from rich.segment import Segment

from churnwatch.core.words import printable

PIPE_WIDTH = 160
_PADDED_LINE_END = re.compile(r" +\n")


class _PipeConsole(Console):
    """A console that treats a closed pipe like `| head` (Rich would exit with status 1) and
    never lets text from the data control the terminal."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        """Spell out control characters in the text before Rich adds its own styles: a
        customer called ``ESC[2J`` is shown, never obeyed. In a pipe or file, lines end
        without the blanks that pad a table to its width (they upset diff and grep)."""
        safe = (
            segment if segment.control else Segment(printable(segment.text), segment.style)
            for segment in buffer
        )
        text = super()._render_buffer(safe)
        return text if self.is_terminal else _PADDED_LINE_END.sub("\n", text)


class _MessageConsole(_PipeConsole):
    """Messages on stderr: best effort. Where stderr's reader has gone (``2>&1 | head -1``, a
    log collector that died), the run still does its work, writes its output and exits with
    its own code; only the messages are lost. Before, the closed pipe ended the run at the
    first warning with exit 0 and nothing written."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        discard(sys.stderr)


def discard(stream: TextIO | None) -> None:
    """Send what is still written to ``stream`` (stdout or stderr, whose reader has gone)
    nowhere, so that neither later writes nor Python at exit fail on the closed pipe."""
    if stream is None:  # started without it: nothing is written there
        return
    try:
        target = stream.fileno()
    except (OSError, ValueError):  # not a real file (tests, embedding): nothing to redirect
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, target)
    os.close(devnull)


def make_console(
    file: TextIO | None = None, *, stderr: bool = False, wide_in_pipes: bool = False
) -> Console:
    """Colour and markup on a terminal; plain text (no ANSI codes) anywhere else.

    ``wide_in_pipes``: a table piped into a file or pager gets 160 columns instead of 80.
    ``stderr``: for messages, which are never wrapped, so each stays one line in a log.
    """
    target = file or (sys.stderr if stderr else sys.stdout)
    # Messages on stderr are never wrapped: a log line should stay one line.
    kind = _MessageConsole if stderr and file is None else _PipeConsole
    console = kind(file=target, highlight=False, emoji=False)
    # Messages on stderr, and anything in a pipe or log, are never wrapped: a line that
    # grep finds stays whole. (Tables still fit the width; they are laid out, not wrapped.)
    console.soft_wrap = stderr or not console.is_terminal
    if wide_in_pipes and not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH
    return console


Shown = TypeVar("Shown")


def as_text(show: Callable[[Console, Shown], None], document: Shown, width: int) -> bytes:
    """What ``show`` prints, as plain UTF-8 text at most ``width`` columns wide, without
    trailing blanks."""
    buffer = io.StringIO()
    console = make_console(buffer)
    console.width = width
    console.soft_wrap = False  # a laid-out page: long lines wrap at the width
    show(console, document)
    lines = (line.rstrip() for line in buffer.getvalue().splitlines())
    return "".join(f"{line}\n" for line in lines).encode("utf-8")
