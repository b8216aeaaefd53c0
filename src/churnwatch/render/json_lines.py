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

    def render(self, selection: Selection) -> bytes:
        from churnwatch.render.records import to_records

        lines = (json.dumps(record, ensure_ascii=False) for record in to_records(selection.rows))
        return "".join(f"{line}\n" for line in lines).encode("utf-8")


FORMAT = JsonLines()
