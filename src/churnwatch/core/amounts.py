"""Sums of money that come out the same whatever order the rows are in.

Float additions depend on their order. One customer's 160 orders of 83,399.00 average
521.24375 added up in one order and 521.2437499… in another, so the same table exported
sorted another way, or written as Parquet parts, showed 521.2438 in one list and 521.2437 in
the other (and "2,510" or "2,509" of revenue in a reason). Amounts are decimals of a few
places: counted in whole ten-thousandths they add up exactly in float64, in any order, as
long as every partial sum is a whole number below 2**53.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

PLACES = 4
"""Decimal places an amount may have to be summed exactly (prices per unit have four)."""
SCALE = 10.0**PLACES
EXACT_BELOW = 2.0**53
"""Whole numbers below this add up exactly in float64."""
BLOCK = 1 << 16
"""Amounts checked at a time: the check's scratch arrays stay in the cache."""


class Amounts(NamedTuple):
    """Amounts as they are summed: in whole ten-thousandths where every amount has at most
    four decimal places and their total stays below :data:`EXACT_BELOW` of them, else as
    they are (summed by float additions in the rows' order, as before)."""

    units: np.ndarray
    """What is added: the amounts times :attr:`scale`, which keeps each one's sign."""
    scale: float

    @classmethod
    def of(cls, values: np.ndarray) -> Amounts:
        whole = _in_whole_units(np.asarray(values, dtype=np.float64))
        return cls(values, 1.0) if whole is None else cls(whole, SCALE)

    def taken(self, rows: np.ndarray) -> Amounts:
        """The amounts of some rows (a mask or positions)."""
        return Amounts(self.units[rows], self.scale)

    def sums(self, groups: np.ndarray, n: int) -> np.ndarray:
        """Per group (``0 <= groups < n``), its amounts' sum; 0 where it has none."""
        summed = np.bincount(groups, weights=self.units, minlength=n)
        return summed / self.scale if self.scale != 1.0 else summed


def sums_by(
    groups: np.ndarray, values: np.ndarray, n: int, where: np.ndarray | None = None
) -> np.ndarray:
    """Per group (``0 <= groups < n``), the sum of its ``values`` (only the rows ``where``
    holds; 0 where a group has none): amounts, days, any decimals of up to four places the
    same in any order (see :class:`Amounts`)."""
    if where is not None:
        groups, values = groups[where], values[where]
    return Amounts.of(values).sums(groups, n)


def _in_whole_units(values: np.ndarray) -> np.ndarray | None:
    """``values`` in whole ten-thousandths, where each one is exactly that many (a value of
    more places, NaN or infinity: None) and the magnitudes add up below 2**53."""
    whole = np.empty_like(values)
    magnitude = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # a huge value: not given back, below
        for start in range(0, len(values), BLOCK):
            given = values[start : start + BLOCK]
            scaled = np.multiply(given, SCALE, out=whole[start : start + BLOCK])
            np.rint(scaled, out=scaled)
            if not np.array_equal(scaled / SCALE, given):  # the digits give back each value
                return None
            magnitude += float(np.abs(scaled).sum())
    return whole if magnitude < EXACT_BELOW else None
