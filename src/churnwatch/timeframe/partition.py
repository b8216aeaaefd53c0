"""Split a cut into parts that each hold whole customers, across every source.

A customer's part is decided by a hash of their id, not by their code or by the row order,
so it is the same on every machine and every run, and a customer's orders, invoices,
complaints and contacts always land in the same part. Within a part the customers are coded
``0 … m-1`` (in the order of their codes), so the per-customer code runs on it unchanged.
Each source is sorted by part once, so splitting costs the same for 4 parts as for 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnwatch.ingest.dataset import Dataset
from churnwatch.timeframe.cut import Cut


@dataclass(frozen=True)
class Split:
    """Which part each customer is in, and the customers of each part."""

    part_of: np.ndarray
    """Per customer code: the part (-1: in none, e.g. a customer without orders)."""
    members: list[np.ndarray]
    """Per part: its customers' codes, ascending."""
    local: np.ndarray
    """Per customer code: the code within the part."""

    @classmethod
    def by_hash(cls, customer_ids: pd.Index, customers: np.ndarray, parts: int) -> Split:
        """``customers`` (codes) into ``parts`` parts by a hash of their ids (some parts may be
        empty when there are few customers)."""
        hashes = pd.util.hash_pandas_object(customer_ids[customers], index=False).to_numpy()
        part_of = np.full(len(customer_ids), -1, dtype=np.int64)
        part_of[customers] = (hashes % np.uint64(parts)).astype(np.int64)
        members = _grouped(part_of, parts)
        local = np.full(len(customer_ids), -1, dtype=np.int64)
        for codes in members:
            local[codes] = np.arange(codes.size)
        return cls(part_of, members, local)

    def rows(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For rows belonging to the customers ``codes``: the row positions sorted by part
        (in row order within a part; rows of customers in no part left out), and where each
        part starts among them: part ``i`` is ``order[starts[i]:starts[i + 1]]``."""
        return _sorted(self.part_of[codes], len(self.members))


def _grouped(part_of: np.ndarray, parts: int) -> list[np.ndarray]:
    """Positions with each part number 0 … parts-1, in order (-1 left out)."""
    order, starts = _sorted(part_of, parts)
    return [order[starts[index] : starts[index + 1]] for index in range(parts)]


def _sorted(part_of: np.ndarray, parts: int) -> tuple[np.ndarray, np.ndarray]:
    if parts < 2**15:  # numpy sorts 16-bit keys stably by radix: many times faster
        part_of = part_of.astype(np.int16)
    order = np.argsort(part_of, kind="stable")
    counts = np.bincount(part_of + 1, minlength=parts + 1)
    starts = np.concatenate([[0], np.cumsum(counts[1:])])
    return order[counts[0] :], starts


def cut_parts(cut: Cut, split: Split) -> Iterator[Cut]:
    """The cut restricted to each part's customers in turn, coded locally.

    A part holds its customers' rows of each source, as the per-customer stages read them,
    and nothing else: not the files' tables (which would travel with every part to a
    worker), not the data-quality notes, which stay with the whole cut. Each source's rows
    are sorted by part once (positions only, not a copy of the data); a part then takes its
    own rows."""
    rows = {name: split.rows(frame["customer"].to_numpy()) for name, frame in cut.frames.items()}
    for index, members in enumerate(split.members):
        frames = {}
        for name, frame in cut.frames.items():
            order, starts = rows[name]
            frames[name] = _local(frame.take(order[starts[index] : starts[index + 1]]), split.local)
        dataset = Dataset(cut.dataset.folder, cut.customer_ids[members], {})
        yield Cut(dataset, cut.as_of, frames, dict.fromkeys(frames, 0))


def _local(part: pd.DataFrame, local: np.ndarray) -> pd.DataFrame:
    """A part's rows with the customers coded as in the part (and no line numbers)."""
    codes = local[part["customer"].to_numpy()].astype(part["customer"].dtype)
    return part.set_axis(pd.RangeIndex(len(part))).assign(customer=codes)
