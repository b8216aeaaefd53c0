"""The domain's shared vocabularies: severity bands, lifecycle phases, and what an order is."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any, Literal

SeverityName = Literal["critical", "high", "medium", "low"]
"""A severity as written in configuration files (``none`` is not a band one can ask for)."""


class Severity(IntEnum):
    """Severity bands, ordered so that ``>=`` means 'at least as serious'."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    @classmethod
    def labels(cls) -> tuple[str, ...]:
        """Every label, lowest first (the order of the integer codes)."""
        return tuple(s.label for s in cls)


class Phase(StrEnum):
    """Where a relationship stands in its lifecycle."""

    INITIATION = "initiation"
    GROWTH = "growth"
    MATURITY = "maturity"
    DEGENERATION = "degeneration"
    LOST = "lost"


def is_order(amount: Any) -> Any:
    """Which order rows are orders (elementwise): negative amounts are credit notes.

    Credit notes count towards revenue, but they are not orders: they say nothing about
    whether the customer still buys.
    """
    return amount >= 0
