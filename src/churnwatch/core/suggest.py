"""'Did you mean …?' suggestions for near-miss names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate nearest to ``name``, compared case-insensitively, if any is close enough."""
    options = list(candidates)
    by_lower = {c.lower(): c for c in options}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[match[0]] if match else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix, or an empty string."""
    match = closest(name, candidates)
    return f" (did you mean '{match}'?)" if match else ""
