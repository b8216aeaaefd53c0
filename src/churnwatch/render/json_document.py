"""``--format json``: one document with a header and every customer, keys in a fixed order.

Compact by default: no blanks between tokens, each customer on a line of its own inside the
``customers`` list, which keeps the file greppable, lets Python's fast encoder do the work,
and lets the document be written in batches instead of built whole in memory. ``--pretty``
indents everything, for reading.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnwatch.analyses.result import Selection
    from churnwatch.render.language import Language


ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
PRETTY = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=2)
LINE_BREAKS = ("\x85", "\u2028", "\u2029")
"""Characters JSON allows unescaped in a string but that many readers take for line breaks
(Python's ``splitlines``, older JavaScript): written as ``\\u2028``, so that one NDJSON
record stays one line wherever it is read."""


def escaped_line_breaks(text: str) -> str:
    """JSON ``text`` with :data:`LINE_BREAKS` escaped (the same value to any JSON reader);
    text without them is returned as it is, after a search that costs little."""
    for char in LINE_BREAKS:
        if char in text:
            text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def encoded(document: object, *, pretty: bool = False) -> str:
    """``document`` as JSON text: compact unless ``pretty``, no NaN, no raw line breaks."""
    return escaped_line_breaks((PRETTY if pretty else ENCODER).encode(document))


def json_bytes(document: object, *, pretty: bool = False) -> bytes:
    """A whole JSON document as every command writes it: compact unless ``pretty`` (indented
    for reading), no NaN, a line break at the end."""
    return (encoded(document, pretty=pretty) + "\n").encode("utf-8")


@dataclass(frozen=True)
class JsonDocument:
    name = "json"
    extensions = (".json",)
    bom = False
    for_people = False
    binary = False
    lang: Language | None = None
    """The language of the texts for people (titles, explanations, actions, history)."""
    pretty: bool = False
    """Indented for reading (``--pretty``) instead of compact."""

    def with_language(self, lang: Language) -> JsonDocument:
        return replace(self, lang=lang)

    def with_pretty(self, pretty: bool) -> JsonDocument:
        return replace(self, pretty=pretty)

    def render(self, selection: Selection) -> bytes:
        return b"".join(self.chunks(selection))

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        from churnwatch.render.records import header

        head = encoded(header(selection.result), pretty=self.pretty)
        opening = ',\n  "customers": [' if self.pretty else ',"customers":['
        yield (head[: head.rindex("}")].rstrip() + opening).encode("utf-8")
        separator = "\n"
        for lines in self._customers(selection):
            yield separator.encode("utf-8") + lines
            separator = ",\n"
        closing = "\n  ]\n}\n" if self.pretty else "\n]}\n"
        yield (closing if separator == ",\n" else "]}\n").encode("utf-8")

    def _customers(self, selection: Selection) -> Iterator[bytes]:
        """The customers in batches, one per line (compact: built column by column)."""
        from churnwatch.render.records import record_batches

        if not self.pretty:
            from churnwatch.render.json_text import record_texts

            yield from record_texts(selection.rows, ",\n", lang=self.lang)
            return
        for batch in record_batches(selection.rows, lang=self.lang):
            yield ",\n".join(
                "    " + encoded(record, pretty=True).replace("\n", "\n    ") for record in batch
            ).encode("utf-8")


FORMAT = JsonDocument()
