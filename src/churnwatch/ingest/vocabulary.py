"""What the values of a column with a fixed vocabulary mean, even when no list knows them.

No list of spellings is ever complete, so a value is understood in four steps, each said to
the user when it was needed: the configured spellings and the built-in ones (compared after
normalising case, accents, punctuation and spacing); a known spelling among the value's words
(``Left Voicemail`` → not reached, ``P1 - Urgent`` → high); for a two-sided vocabulary whose
recognised values all fall on one side, the rest on the other side; for an ordinal one
(severity), the ranks in the values (``P1``/``P2``/``P3``, ``Stufe 1``…). Whatever is still
not understood stays unknown, and the loader keeps the row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from churnwatch.core.sources import Column
from churnwatch.core.spelling import normalise
from churnwatch.core.words import plural
from churnwatch.ingest.recognise import VALUE_SYNONYMS

MIN_WORD_MATCH = 3
"""Shorter spellings (``in``, ``n``, ``1``) only count as the whole value, never as a word in it."""

_PRIORITY = re.compile(r"\b(p|prio|priority|prioritaet|dringlichkeit|rang|rank|sev|s)\b")
"""Words that make 1 the most severe: priorities, and incident severities (Sev1, S1)."""
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "non",
        "nicht",
        "kein",
        "keine",
        "keinen",
        "un",
        "ohne",
        "without",
        "cancelled",
        "canceled",
        "abgesagt",
        "storniert",
        "failed",
        "fehlgeschlagen",
    ]
)
"""Words that turn a known spelling around ('Not connected', 'Non-urgent'): a value holding
one that its matched spelling does not is left unknown, never guessed."""
_NUMBER = re.compile(r"\d+")


@dataclass
class Understanding:
    """Raw value → canonical value (``None``: not understood), and how each was found."""

    meanings: dict[str, str | None]
    worded: dict[str, str] = field(default_factory=dict)
    """Values understood by a known spelling among their words (``Left Voicemail``)."""
    inferred: dict[str, str] = field(default_factory=dict)
    """Values placed on the other side of a two-sided vocabulary."""
    ranked: dict[str, str] = field(default_factory=dict)
    """Values placed on an ordinal scale by the numbers in them."""

    @property
    def unknown(self) -> list[str]:
        return [raw for raw, meaning in self.meanings.items() if meaning is None]

    @property
    def plausible_unknown(self) -> list[str]:
        """The values not understood that could be categories (see :data:`LONGEST_VALUE`)."""
        return [raw for raw in self.unknown if _plausible(raw)]

    def mapping(self, vocabulary: Sequence[str]) -> dict[str, list[str]]:
        """Canonical value → the raw values that mean it (for a config file)."""
        found = {
            value: [raw for raw, meaning in self.meanings.items() if meaning == value]
            for value in vocabulary
        }
        return {value: raws for value, raws in found.items() if raws}


def understand(
    values: Sequence[str],
    column: Column,
    *,
    header: str = "",
    configured: Mapping[str, Sequence[str]] | None = None,
) -> Understanding:
    """What each distinct raw value of ``column`` means (see the module docstring)."""
    lookup = _spellings(column, configured or {})
    exact = {raw: meaning for meaning, raws in (configured or {}).items() for raw in raws}
    understanding = Understanding(
        {raw: _meaning(raw, lookup) if _plausible(raw) else exact.get(raw) for raw in values}
    )
    understanding.worded = {
        raw: meaning
        for raw, meaning in understanding.meanings.items()
        if meaning and normalise(raw) not in lookup
    }
    if column.ordinal:
        _rank(understanding, column, header)
    if len(column.vocabulary) == 2:
        _infer_other_side(understanding, column)
    return understanding


LONGEST_VALUE = 100
"""The longest value read as a category unless the settings list it as it is: a longer one is
a fault in the export (a note that slipped into the column), never inferred, ranked or
offered for pasting into the settings."""


def _plausible(raw: str) -> bool:
    return len(raw) <= LONGEST_VALUE


def _spellings(column: Column, configured: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Normalised spelling → canonical value; the configured ones win over the built-in ones."""
    lookup = {normalise(v): v for v in column.vocabulary}
    for spellings in (VALUE_SYNONYMS.get(column.name, {}), configured):
        for canonical, raws in spellings.items():
            lookup.update({normalise(raw): canonical for raw in raws})
    return lookup


def _meaning(raw: str, lookup: Mapping[str, str]) -> str | None:
    """The whole value as a known spelling, else the longest known spelling among its words.

    The longest wins so that ``not reached`` beats ``reached``; two different meanings of the
    same length leave the value unknown rather than guessed.
    """
    key = normalise(raw)
    if key in lookup:
        return lookup[key]
    padded = f" {key} "
    found = [
        (len(spelling), spelling, meaning)
        for spelling, meaning in lookup.items()
        if len(spelling) >= MIN_WORD_MATCH and f" {spelling} " in padded
    ]
    if not found:
        return None
    longest = max(length for length, _, _ in found)
    best = [(spelling, meaning) for length, spelling, meaning in found if length == longest]
    meanings = {meaning for _, meaning in best}
    negated = _NEGATIONS & (set(key.split()) - set(best[0][0].split()))
    return meanings.pop() if len(meanings) == 1 and not negated else None


def _rank(understanding: Understanding, column: Column, header: str) -> None:
    """Order unknown values by the number in each: for a priority, 1 is the most severe."""
    unknown = understanding.plausible_unknown
    numbers = {raw: _NUMBER.search(normalise(raw)) for raw in unknown}
    if not unknown or not all(numbers.values()):
        return
    ranks = {raw: int(match.group()) for raw, match in numbers.items() if match}
    distinct = sorted(set(ranks.values()))
    if len(distinct) < 2:
        return
    descending = any(_PRIORITY.search(normalise(text)) for text in [header, *unknown])
    scale = column.vocabulary  # least to most severe
    for raw, rank in ranks.items():
        position = distinct.index(rank) / (len(distinct) - 1)
        if descending:
            position = 1 - position
        level = scale[int(position * (len(scale) - 1) + 0.5)]
        understanding.meanings[raw] = understanding.ranked[raw] = level


def _infer_other_side(understanding: Understanding, column: Column) -> None:
    """Recognised values all on one side: the unknown ones are the other side."""
    sides = {meaning for meaning in understanding.meanings.values() if meaning}
    unknown = understanding.plausible_unknown
    if len(sides) != 1 or not unknown:
        return
    other = next(v for v in column.vocabulary if v not in sides)
    for raw in unknown:
        understanding.meanings[raw] = understanding.inferred[raw] = other


def by_meaning(found: Mapping[str, str]) -> dict[str, list[str]]:
    """Canonical value → the raw values placed there (for messages)."""
    grouped: dict[str, list[str]] = {}
    for raw, meaning in found.items():
        grouped.setdefault(meaning, []).append(raw)
    return grouped


def toml_lines(
    source: str,
    column: Column,
    understanding: Understanding,
    configured: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """The ``[sources.X.values.Y]`` table to paste, the unknown values in a comment to place.

    When the config already has that table, its lists are given whole (what it had and what
    the data showed), to replace the old ones: a second table of the same name would make
    the file invalid.
    """
    table = f"[sources.{source}.values.{column.name}]"
    lists = (
        {value: list(configured.get(value, [])) for value in column.vocabulary}
        if configured
        else {}
    )
    for value, raws in understanding.mapping(column.vocabulary).items():
        lists.setdefault(value, [])
        lists[value] += [raw for raw in raws if raw not in lists[value]]
    head = f"# replace the lists under {table} in churnwatch.toml:" if configured else table
    lines = [head]
    lines += [
        f"{value} = [{', '.join(_quoted(raw) for raw in lists[value])}]"
        for value in column.vocabulary
        if lists.get(value)
    ]
    unknown = understanding.plausible_unknown
    if unknown:
        choices = " or ".join(column.vocabulary)
        lines.append(
            f"# {choices}? add each to a list: " + ", ".join(_quoted(raw) for raw in unknown)
        )
    if too_long := len(understanding.unknown) - len(unknown):
        lines.append(
            f"# and {plural(too_long, 'value')} longer than {LONGEST_VALUE} characters, no"
            f" {column.name} but a fault in the export: correct the rows named above"
        )
    return lines


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'
