"""The CDNOW purchase histories (Fader & Hardie) as churnwatch orders exports.

The files ship in the ``Lifetimes==0.11.3`` wheel, which serves only as a data carrier: they are
read from the installed distribution, its code is never imported. Tests that need them skip with
a clear reason when it is not installed.
"""

from __future__ import annotations

import csv
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

REFERENCE = "1997-09-30"
"""The end of the 39-week calibration period of the published BG/NBD results."""
LABEL_END = "1998-06-30"
"""The end of the 39-week holdout: churned = no purchase after the reference date up to here."""
FILES = {"sample": "CDNOW_sample.txt", "full": "CDNOW_master.txt"}
MISSING = "the CDNOW data ships in the Lifetimes==0.11.3 wheel: pip install Lifetimes==0.11.3"


def data_file(which: str) -> Path | None:
    """The installed CDNOW file, or None when the Lifetimes wheel is not installed."""
    try:
        found = distribution("Lifetimes")
    except PackageNotFoundError:
        return None
    for file in found.files or []:
        if file.name == FILES[which]:
            return Path(str(found.locate_file(file)))
    return None


def write_orders(which: str, folder: Path) -> Path:
    """Write ``folder/orders.csv`` (customer_id, order_date, amount) from a CDNOW file."""
    source = data_file(which)
    if source is None:
        raise FileNotFoundError(MISSING)
    folder.mkdir(parents=True, exist_ok=True)
    with (
        source.open(encoding="ascii") as raw,
        (folder / "orders.csv").open("w", newline="", encoding="utf-8") as out,
    ):
        writer = csv.writer(out)
        writer.writerow(["customer_id", "order_date", "amount"])
        for line in raw:
            fields = line.split()
            if not fields or not fields[-1].replace(".", "").isdigit():
                continue  # the header line of the full file
            customer = fields[1] if which == "sample" else fields[0]
            date = fields[-3]
            writer.writerow([customer, f"{date[:4]}-{date[4:6]}-{date[6:]}", fields[-1]])
    return folder


if __name__ == "__main__":  # python tests/cdnow_data.py full /tmp/cdnow-full
    import sys

    which, target = sys.argv[1], Path(sys.argv[2])
    print(write_orders(which, target) / "orders.csv")
