"""Small helpers for text shown to people."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


_KEPT = " \n\t\u00a0\u202f"
"""Not printable to Python, but harmless: blanks and line breaks, and no-break spaces."""


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), safe on any terminal:
    no colour changes, cursor moves, window titles or hyperlinks from data. Line breaks and
    tabs stay, and so do no-break spaces (``35\u00a0%`` in German); everything else that is
    not printable (C0 and C1 controls, DEL, bidirectional overrides, zero-width characters) is
    spelled out."""
    if text.isprintable():
        return text
    return "".join(
        c
        if c.isprintable() or c in _KEPT
        else repr(c)[1:-1]
        if ord(c) < 0x100
        else f"\\u{ord(c):04x}"
        for c in text
    )


def inline(text: str) -> str:
    """:func:`printable`, and on one line: line breaks and tabs spelled out too (``\\n``), for
    a value quoted in a one-line message, which a newline from the data would split."""
    return printable(text).replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


EXCERPT = 60
"""Characters of a value from the data quoted in a message: enough to find it in the file;
a whole 70 MB cell would fill the terminal (and a cron job's mail) twice."""


def excerpt(text: str, width: int = EXCERPT) -> str:
    """The start of ``text`` (at most ``width`` characters, "…" where it was cut)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def printable_output(parts: Iterable[bytes]) -> Iterator[bytes]:
    """UTF-8 output made for programs (CSV, JSON, mail, calendars), shown on a terminal
    instead: each line as :func:`printable` makes it, so that a customer id can no more move
    the cursor or set the window title here than in the table. Line ends (``\\n``,
    ``\\r\\n``) stay, a leading byte order mark is left out, and the parts are passed on
    as they come (a streamed JSON stays streamed). Lines without control characters pass as
    they are (one C-level test per line)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("replace")
    pending: list[str] = []  # the last line's pieces, until its end arrives
    held = 0
    for part in parts:
        text = decoder.decode(part)
        if "\n" in text:
            *lines, last = ("".join(pending) + text).split("\n")
            pending, held = [last], len(last)
            yield "".join(_printable_line(line) + "\n" for line in lines).encode()
        else:
            pending.append(text)
            held += len(text)
        if held > LONG_LINE:  # one-line JSON: shown in pieces, not held whole
            yield _printable_line("".join(pending)).encode()
            pending, held = [], 0
    rest = "".join(pending) + decoder.decode(b"", final=True)
    if rest:
        yield _printable_line(rest).encode()


LONG_LINE = 1 << 20
"""Characters of an unfinished line held back at most (a line end may follow)."""


def _printable_line(line: str) -> str:
    if line.isprintable():
        return line
    if line.endswith("\r"):  # a CRLF line end (mail, iCalendar): kept, as a terminal reads it
        return printable(line[:-1]) + "\r"
    return printable(line)


def shortened(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: cut after a whole word, with "…", where that
    keeps most of it (a German title cut mid-word reads as a typo)."""
    return text if len(text) <= width else cut_after_word(text, width)


def cut_after_word(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` characters, "…" among them, as :func:`shortened`
    cuts it (``text`` is longer than ``width - 1`` characters)."""
    head = text[: width - 1]  # room for the "…"
    whole = head if text[len(head)] == " " else head.rpartition(" ")[0]
    kept = whole if len(whole) >= width // 2 else head
    return kept.rstrip(" ,;-–") + "…"
