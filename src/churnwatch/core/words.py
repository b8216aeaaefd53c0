"""Small helpers for text shown to people."""

from __future__ import annotations


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
