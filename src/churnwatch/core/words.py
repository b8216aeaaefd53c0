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


def printable_output(parts: Iterable[bytes]) -> Iterator[bytes]:
    """UTF-8 output made for programs (CSV, JSON), shown on a terminal instead: each line as
    :func:`printable` makes it, so that a customer id can no more move the cursor or set the
    window title here than in the table. Lines without control characters pass as they are
    (one C-level test per line)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    for part in [*parts, b""]:
        text = decoder.decode(part, final=not part)
        lines = text.split("\n")
        shown = (line if line.isprintable() else printable(line) for line in lines)
        yield "\n".join(shown).encode()
