"""``--format json``: one document with a header and every customer, keys in a fixed order."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnwatch.analyses.result import ScanResult


class JsonDocument:
    name = "json"
    extensions = (".json",)
    bom = False
    for_people = False

    def render(self, result: ScanResult, shown: ScanResult) -> bytes:
        from churnwatch.render.records import header, to_records

        document = header(result) | {"customers": to_records(shown)}
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


FORMAT = JsonDocument()
