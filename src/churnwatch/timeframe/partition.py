"""Split a cut into parts that each hold whole customers, across every source.

A customer's part is decided by a hash of their id, not by their code or by the row order,
so it is the same on every machine and every run, and a customer's orders, invoices,
complaints and contacts always land in the same part. Within a part the customers are coded
``0 … m-1`` (in the order of their codes), so the per-customer code runs on it unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnwatch.ingest.dataset import Dataset
from churnwatch.timeframe.cut import Cut


def hash_partitions(customer_ids: pd.Index, parts: int) -> list[np.ndarray]:
    """The customer codes of each part, ascending; ``parts`` of them (some may be empty)."""
    hashes = pd.util.hash_pandas_object(customer_ids, index=False).to_numpy()
    part = (hashes % np.uint64(parts)).astype(np.int64)
    order = np.argsort(part, kind="stable")
    return np.split(order, np.cumsum(np.bincount(part, minlength=parts))[:-1])


def local_codes(members: np.ndarray, customers: int) -> np.ndarray:
    """Code in the whole cut → code in the part (-1 for customers of other parts)."""
    local = np.full(customers, -1, dtype=np.int64)
    local[members] = np.arange(members.size)
    return local


def cut_of_customers(cut: Cut, members: np.ndarray) -> Cut:
    """The cut restricted to the customers ``members`` (codes, ascending), coded locally.

    A part holds its customers' rows of each source, as the per-customer stages read them,
    and nothing else: not the files' tables (which would travel with every part to a
    worker), not the data-quality notes, which stay with the whole cut."""
    local = local_codes(members, len(cut.customer_ids))
    frames = {name: _rows_of(frame, local) for name, frame in cut.frames.items()}
    dataset = Dataset(cut.dataset.folder, cut.customer_ids[members], {})
    return Cut(dataset, cut.as_of, frames, dict.fromkeys(frames, 0))


def _rows_of(frame: pd.DataFrame, local: np.ndarray) -> pd.DataFrame:
    codes = local[frame["customer"].to_numpy()]
    keep = codes >= 0
    part = frame[keep].set_axis(pd.RangeIndex(int(keep.sum())))  # line numbers stay behind
    part["customer"] = codes[keep].astype(frame["customer"].dtype)
    return part
