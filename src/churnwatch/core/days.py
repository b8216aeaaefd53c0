"""Day numbers (days since 1970-01-01): the one representation of a date after loading.

Every feature is a difference of days, so dates are small integers from the loader on.
"""

from __future__ import annotations

import datetime as dt
import re

EPOCH = dt.date(1970, 1, 1)


def date_to_day(date: dt.date) -> int:
    return (date - EPOCH).days


def day_to_date(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def days_to_iso(day: int | float) -> str:
    """ISO date (``YYYY-MM-DD``) for a day number."""
    return day_to_date(int(day)).isoformat()


def iso_to_days(text: str) -> int:
    """Day number for an ISO date; raises ``ValueError`` if it is not one."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        try:
            return date_to_day(dt.date.fromisoformat(text.strip()))
        except ValueError:
            pass
    raise ValueError(f"'{text}' is not a date in the form YYYY-MM-DD")


def today() -> int:
    return date_to_day(dt.date.today())
