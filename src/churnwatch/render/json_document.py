"""``--format json``: one document with a header and every customer, keys in a fixed order.

The header is indented; each customer is one line inside the ``customers`` list, which keeps
the file readable and greppable, lets Python's fast encoder do the work, and lets the
document be written in batches instead of built whole in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnwatch.analyses.result import Selection
    from churnwatch.render.language import Language


ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class JsonDocument:
    name = "json"
    extensions = (".json",)
    bom = False
    for_people = False
    binary = False
    lang: Language | None = None
    """The language of the texts for people (titles, explanations, actions, history)."""

    def with_language(self, lang: Language) -> JsonDocument:
        return replace(self, lang=lang)

    def render(self, selection: Selection) -> bytes:
        return b"".join(self.chunks(selection))

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        from churnwatch.render.records import header, record_batches

        head = json.dumps(header(selection.result), ensure_ascii=False, allow_nan=False, indent=2)
        yield (head.removesuffix("\n}") + ',\n  "customers": [').encode("utf-8")
        separator = "\n"
        encode = ENCODER.encode  # one encoder: json.dumps with options builds one per call
        for batch in record_batches(selection.rows, lang=self.lang):
            lines = ",\n".join("    " + encode(record) for record in batch)
            yield (separator + lines).encode("utf-8")
            separator = ",\n"
        yield ("\n  ]\n}\n" if separator == ",\n" else "]\n}\n").encode("utf-8")


FORMAT = JsonDocument()
