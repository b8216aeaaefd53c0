"""``--format ndjson``: one customer object per line, for streaming into other tools."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnwatch.analyses.result import Selection
    from churnwatch.render.language import Language


@dataclass(frozen=True)
class JsonLines:
    name = "ndjson"
    extensions = (".ndjson", ".jsonl")
    bom = False
    for_people = False
    binary = False
    lang: Language | None = None

    def with_language(self, lang: Language) -> JsonLines:
        return replace(self, lang=lang)

    def render(self, selection: Selection) -> bytes:
        return b"".join(self.chunks(selection))

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        from churnwatch.render.json_text import record_texts

        # Each line stands alone in a stream, so each carries the reference date.
        yield from record_texts(selection.rows, "\n", "\n", lang=self.lang, as_of=True)


FORMAT = JsonLines()
