"""``--format ndjson``: one customer object per line, for streaming into other tools."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnwatch.analyses.result import Selection


class JsonLines:
    name = "ndjson"
    extensions = (".ndjson", ".jsonl")
    bom = False
    for_people = False
    binary = False

    def render(self, selection: Selection) -> bytes:
        from churnwatch.render.records import to_records

        as_of = {"as_of": selection.result.as_of}  # each line stands alone in a stream
        lines = (
            json.dumps(as_of | record, ensure_ascii=False, allow_nan=False)
            for record in to_records(selection.rows)
        )
        return "".join(f"{line}\n" for line in lines).encode("utf-8")


FORMAT = JsonLines()
