"""``--format json``: one document with a header and every customer, keys in a fixed order."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnwatch.analyses.result import Selection


class JsonDocument:
    name = "json"
    extensions = (".json",)
    bom = False
    for_people = False
    binary = False

    def render(self, selection: Selection) -> bytes:
        from churnwatch.render.records import header, to_records

        document = header(selection.result) | {"customers": to_records(selection.rows)}
        return (json.dumps(document, ensure_ascii=False, allow_nan=False, indent=2) + "\n").encode(
            "utf-8"
        )


FORMAT = JsonDocument()
