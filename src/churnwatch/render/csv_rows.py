"""``--format csv``: one row per customer, signals flattened, then every feature.

Written by pyarrow's CSV writer from whole columns: hundreds of thousands of rows take a
second, not a minute. Cells a spreadsheet would run as a formula are neutralised; files get
a UTF-8 BOM so Excel shows umlauts correctly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from churnwatch.analyses.result import Selection

_FORMULA = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


class CsvRows:
    name = "csv"
    extensions = (".csv",)
    bom = True
    for_people = False

    def render(self, selection: Selection) -> bytes:
        import numpy as np
        import pyarrow as pa
        import pyarrow.csv as pacsv

        from churnwatch.render.records import identity_columns, output_array, signals

        shown = selection.rows
        columns: dict[str, Any] = {"rank": pa.array(np.arange(1, len(shown.customers) + 1))}
        columns |= identity_columns(shown)
        reasons = signals(shown)
        columns["signals"] = ["; ".join(s["id"] for s in row) for row in reasons]
        columns["reasons"] = [
            " | ".join(f"{s['title']}: {s['detail']}" for s in row) for row in reasons
        ]
        columns["action"] = [row[0]["action"] if row else "" for row in reasons]
        for name in ("customer_id", "name", "owner", "history", "reasons", "action"):
            columns[name] = safe_text(pa.array(columns[name], pa.string()))
        columns |= {name: output_array(name, shown.customers[name]) for name in shown.feature_names}
        buffer = pa.BufferOutputStream()
        pacsv.write_csv(pa.table(columns), buffer)
        return bytes(buffer.getvalue().to_pybytes())


FORMAT = CsvRows()


def safe_text(values: pa.Array) -> pa.Array:
    """Neutralise text a spreadsheet would run as a formula (plain numbers stay numbers).

    Such cells get a leading apostrophe, which spreadsheets show as text.
    """
    import pyarrow.compute as pc

    formula = pc.and_(
        pc.match_substring_regex(values, _FORMULA),
        pc.invert(pc.match_substring_regex(values, _NUMBER)),
    )
    quoted = pc.binary_join_element_wise("'", values, "")
    return pc.if_else(pc.fill_null(formula, False), quoted, values)
