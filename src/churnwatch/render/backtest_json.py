"""``backtest --format json``: every figure of the backtest, keys in a fixed order."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnwatch.analyses.backtest import BacktestResult


@dataclass(frozen=True)
class BacktestJson:
    name = "json"
    extensions = (".json",)
    bom = False
    for_people = False
    binary = False
    pretty: bool = False
    """Indented for reading (``--pretty``) instead of compact."""

    def with_pretty(self, pretty: bool) -> BacktestJson:
        return replace(self, pretty=pretty)

    def render(self, result: BacktestResult) -> bytes:
        from churnwatch.render.backtest_records import backtest_document
        from churnwatch.render.json_document import json_bytes

        return json_bytes(backtest_document(result), pretty=self.pretty)


FORMAT = BacktestJson()
