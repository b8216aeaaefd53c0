"""``backtest --format json``: every figure of the backtest, keys in a fixed order."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from churnwatch.analyses.backtest import BacktestResult


class BacktestJson:
    name = "json"
    extensions = (".json",)
    bom = False
    for_people = False
    binary = False

    def render(self, result: BacktestResult) -> bytes:
        from churnwatch.render.backtest_records import backtest_document

        text = json.dumps(backtest_document(result), ensure_ascii=False, indent=2)
        return (text + "\n").encode("utf-8")


FORMAT = BacktestJson()
