"""Customer ids as small integers: one naturally sorted index shared by every source.

Hashing ten million id strings is the most expensive step after parsing. Each source's ids
are dictionary-encoded at once (one source per core), which gives every block the same
dictionary; everything else touches only the distinct ids, and hashes them as seldom as it
can: two million of them take half a second per pass.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.ingest.arrow_numpy import to_numpy
from churnwatch.ingest.numbered_ids import Numbered, code_numbered, read_numbered
from churnwatch.ingest.problems import Reason

INVISIBLE = (
    "\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
"""Characters that show as nothing: a soft hyphen, zero-width spaces and joiners, direction
marks and overrides, the word joiner and invisible operators, the byte-order mark."""
INVISIBLE_AT_AN_END = f"^[{INVISIBLE}]|[{INVISIBLE}]$"


class Coded(NamedTuple):
    ids: pd.Index
    """All ids, trimmed and without NUL bytes, in natural order: the code is the place."""
    codes: dict[str, np.ndarray]
    """Per source, each row's int32 code (-1: no id)."""
    with_nul: dict[str, np.ndarray]
    """Per source, the rows whose id had NUL bytes (removed), for a note."""
    text: pa.Array
    """``ids`` as Arrow text, for checks over all of them."""


def code_customers(
    columns: dict[str, pa.ChunkedArray], *, ignore_leading_zeros: bool = False
) -> Coded:
    """The sorted index of all ids (trimmed), and per source the int32 code of each row.

    A row whose id is blank or missing gets code -1. The columns may be text or
    dictionary-encoded text. ``ignore_leading_zeros``: a customer number is one customer
    whatever its padding (``0000010001`` is ``10001``), see ``[customer_ids]``.
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        numbered = list(pool.map(read_numbered, columns.values()))
        if all(numbered) and (coded := _by_number(columns, numbered)) is not None:
            return coded  # one width, or no padding: a number is spelt one way only
        encoded = list(pool.map(_Encoded.of, columns.values()))
        raw, places = _raw_ids(encoded)
        visible = _visible(raw)
        clean = _without_decimal_zeros(composed(visible))
        if ignore_leading_zeros:
            clean = pc.if_else(numbered_ids(clean), unpadded(clean), clean)
        ids, raw_to_code = _sorted_codes(clean, raw)
        found = pool.map(lambda e, place: e.codes(place, raw_to_code), encoded, places)
        codes = dict(zip(columns, found, strict=True))
    index = pd.Index(
        ids.to_numpy(zero_copy_only=False).astype(object), name="customer_id", dtype=object
    )
    hidden = np.asarray(pc.not_equal(visible, pc.utf8_trim_whitespace(raw)), dtype=bool)
    with_nul = {
        name: e.rows_with(place, hidden) if hidden.any() else np.empty(0, np.intp)
        for name, e, place in zip(columns, encoded, places, strict=True)
    }
    return Coded(index, codes, with_nul, ids)


def _by_number(
    columns: dict[str, pa.ChunkedArray], numbered: list[Numbered | None]
) -> Coded | None:
    """The coding of ids that are all one numbering (see ``numbered_ids``): no text hashed."""
    found = code_numbered([n for n in numbered if n is not None])
    if found is None:
        return None
    text, codes = found
    index = pd.Index(
        text.to_numpy(zero_copy_only=False).astype(object), name="customer_id", dtype=object
    )
    no_nul = {name: np.empty(0, np.intp) for name in columns}
    return Coded(index, dict(zip(columns, codes, strict=True)), no_nul, text)


def _raw_ids(encoded: list[_Encoded]) -> tuple[pa.Array, list[np.ndarray]]:
    """Every raw id some row has, once, and per source each of its dictionary's values' place
    among them (``len(raw)``: a value no kept row has). One hashing pass over the sources'
    distinct ids, none at all for a single source, whose dictionary is distinct already."""
    present = [e.values.filter(pa.array(e.used)) for e in encoded]
    if len(present) == 1:
        raw, where = present[0], [np.arange(len(present[0]))]
    else:
        combined = pc.dictionary_encode(pa.concat_arrays(present))
        raw = combined.dictionary
        ends = np.cumsum([len(values) for values in present])
        where = np.split(np.asarray(combined.indices), ends[:-1])
    places = []
    for e, found in zip(encoded, where, strict=True):
        place = np.full(len(e.values), len(raw), dtype=np.int64)
        place[e.used] = found
        places.append(place)
    return raw, places


def _sorted_codes(clean: pa.Array, raw: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct non-empty ids among ``clean`` in natural order, and for each raw id its
    code, its clean id's place in that order (-1: blank). When cleaning changed nothing, the
    ids are distinct already and nothing is hashed again."""
    if not pc.any(pc.not_equal(clean, raw)).as_py():
        distinct, place = clean, np.arange(len(clean))
    else:
        encoded = pc.dictionary_encode(clean)
        distinct, place = encoded.dictionary, np.asarray(encoded.indices)
    named = np.asarray(pc.not_equal(distinct, ""), dtype=bool)  # '' was only blanks
    kept = np.flatnonzero(named)
    order = kept[natural_order(distinct.take(pa.array(kept)))]
    code = np.full(len(distinct) + 1, -1, dtype=np.int32)  # the extra place: no distinct id
    code[order] = np.arange(len(order), dtype=np.int32)
    return distinct.take(pa.array(order)), code[place]


class _Encoded(NamedTuple):
    """One source's id column as a dictionary shared by all its blocks."""

    values: pa.Array
    """The dictionary: every raw id the column's blocks know."""
    positions: np.ndarray
    """Each row's place in it (-1: no id)."""
    used: np.ndarray
    """Which of them some row has: a filtered column (rows skipped for a bad value) keeps
    the ids of the rows it dropped in its dictionary, and those are no customers."""

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Encoded:
        unified = (
            pa.table({"id": column}).unify_dictionaries().column("id")
            if pa.types.is_dictionary(column.type)
            else pc.dictionary_encode(column)  # one dictionary for all blocks already
        )
        if unified.num_chunks == 0:
            return cls(pa.array([], pa.string()), np.empty(0, np.int32), np.empty(0, bool))
        indices = pa.chunked_array([chunk.indices for chunk in unified.chunks]).fill_null(-1)
        values = unified.chunk(0).dictionary.cast(pa.string())
        positions = np.asarray(to_numpy(indices), dtype=np.int32)
        used = np.zeros(len(values) + 1, dtype=bool)  # the extra place: -1, no id
        used[positions] = True
        return cls(values, positions, used[:-1])

    def rows_with(self, place: np.ndarray, marked: np.ndarray) -> np.ndarray:
        """The rows whose raw id is ``marked`` (a mask over the raw ids; ``place``: where
        each dictionary value is among them)."""
        per_value = np.append(np.append(marked, False)[place], False)  # last: no id
        return np.flatnonzero(per_value[self.positions])

    def codes(self, place: np.ndarray, raw_to_code: np.ndarray) -> np.ndarray:
        """Each row's code: its id's place among all raw ids, then that id's code."""
        to_code = np.append(raw_to_code, -1)[place]
        return np.append(to_code, -1)[self.positions].astype(np.int32, copy=False)


def _clean(ids: pa.Array) -> pa.Array:
    """Ids as the loader codes them: :func:`_visible`, :func:`composed`, without decimal
    zeros."""
    return _without_decimal_zeros(composed(_visible(ids)))


def composed(ids: pa.Array) -> pa.Array:
    """Text in one Unicode form (NFC): ``MÜLLER9`` typed on a Mac, which writes the umlaut as
    a ``U`` and a combining diaeresis, and on Windows, which writes one ``Ü``, look the same
    and are one customer (an owner's name likewise one owner). Text all in ASCII, as most
    ids are, is left as it is."""
    if pc.all(pc.string_is_ascii(ids)).as_py() is not False:
        return ids
    return pc.utf8_normalize(ids, form="NFC")


DECIMAL_ZEROS = r"^(\d+)[.,]0+$"
"""A customer number with decimal zeros, as spreadsheets write numbers (``10001.0``; with a
decimal comma, ``10001,0``)."""


def _without_decimal_zeros(ids: pa.Array) -> pa.Array:
    """``10001.0`` and ``10001,0`` as ``10001``: spreadsheets write numeric customer numbers
    that way."""
    return pc.replace_substring_regex(ids, DECIMAL_ZEROS, r"\1")


def _visible(ids: pa.Array) -> pa.Array:
    """Ids without NUL bytes, and without the blanks and the invisible characters around
    them (a zero-width space or a byte-order mark pasted with a number: ``1000\u200b`` was
    a customer of its own, shown as ``1000`` beside ``1000``); an id that was nothing else
    becomes ''."""
    trimmed = pc.utf8_trim_whitespace(pc.replace_substring(ids, "\x00", ""))
    if not pc.any(pc.match_substring_regex(trimmed, INVISIBLE_AT_AN_END)).as_py():
        return trimmed
    return pc.utf8_trim_whitespace(pc.utf8_trim(trimmed, INVISIBLE))


def digits_only(ids: pa.Array) -> pa.Array:
    """The ids made of digits only: customer numbers, which exports write with or without
    leading zeros."""
    return ids.filter(pc.fill_null(pc.utf8_is_digit(ids), False))


def without_leading_zeros(ids: pa.Array) -> pa.Array:
    """``00123`` → ``123``: customer numbers compared whatever their padding."""
    return pc.utf8_ltrim(ids, characters="0")


def numbered_ids(ids: pa.Array) -> pa.Array:
    """Which ids are a number, perhaps after a prefix of other characters (``00123``,
    ``KD-000123``, ``C0123``): customer numbers, which one system pads with zeros and
    another does not."""
    return pc.fill_null(pc.match_substring_regex(ids, _NUMBERED), False)


def unpadded(ids: pa.Array) -> pa.Array:
    """``00123`` → ``123``, ``KD-000123`` → ``KD-123`` (of :func:`numbered_ids`): customer
    numbers compared whatever their padding."""
    return pc.replace_substring_regex(ids, _PADDING, r"\1\2")


def any_padded(ids: pa.Array) -> bool:
    """Whether one of ``ids`` has a zero in front of its number (``007``, ``KD-07``): one
    pass over the ids, to skip the comparisons where none has."""
    return bool(pc.any(pc.match_substring_regex(ids, _PADDED_START)).as_py())


def any_in_both_cases(ids: pa.Array) -> bool:
    """Whether ``ids`` hold upper- and lower-case letters (``MUELLER``, ``mueller``, and
    ``ÖZ``, ``öz``): two quick passes, to skip the comparisons where every id is written in
    one case."""
    if not len(ids):
        return False
    upper = pc.all(pc.equal(pc.utf8_upper(ids), ids)).as_py()
    return not upper and not pc.all(pc.equal(pc.utf8_lower(ids), ids)).as_py()


def folded(ids: pa.Array) -> pa.Array:
    """Ids compared whatever their case: ``Mueller`` → ``mueller``."""
    return pc.utf8_lower(ids)


def any_separated(ids: pa.Array) -> bool:
    """Whether an id holds anything but letters and digits (``K-1001``, ``K 1001``): one
    quick pass, to skip the comparisons where none does."""
    return len(ids) > 0 and not pc.all(pc.utf8_is_alnum(ids)).as_py()


def unseparated(ids: pa.Array) -> pa.Array:
    """Ids compared without their spaces and punctuation: ``K-1001`` → ``K1001``."""
    return pc.replace_substring_regex(ids, r"[^\p{L}\p{N}]+", "")


@dataclass(frozen=True)
class Lookalike:
    """A way exports spell one customer's id twice: a customer of its own to churnwatch
    each time, and most likely one to the business."""

    reason: Reason
    differ: str
    """How the spellings differ, as a message says it."""
    written: str
    """How such an id was written, as a message says it."""
    may_hold: Callable[[pa.Array], bool]
    """Whether the ids (all of them) may hold two such spellings: one quick pass."""
    key: Callable[[pa.Array], pa.Array]
    """Each comparable id as the spellings agree on it."""
    comparable: Callable[[pa.Array], pa.Array] | None = None
    """Which ids may be spelt so (a boolean per id); None: every id."""
    setting: str = ""
    """The setting that reads such spellings as one customer, where there is one."""


LOOKALIKES = (
    Lookalike(
        Reason.PADDED_IDS,
        "only by leading zeros",
        "both with and without leading zeros",
        any_padded,
        unpadded,
        numbered_ids,
        "ignore_leading_zeros = true under [customer_ids]",
    ),
    Lookalike(
        Reason.CASE_IDS,
        "only in upper and lower case",
        "in both upper and lower case",
        any_in_both_cases,
        folded,
    ),
    Lookalike(
        Reason.SEPARATED_IDS,
        "only in spaces or punctuation",
        "both with and without spaces or punctuation",
        any_separated,
        unseparated,
    ),
)


def lookalikes_in(ids: pa.Array) -> tuple[Lookalike, ...]:
    """The ways of :data:`LOOKALIKES` that ``ids`` (all of them) may hold two spellings of:
    each one quick pass, taken once for every comparison that follows."""
    return tuple(lookalike for lookalike in LOOKALIKES if lookalike.may_hold(ids))


class Spelt:
    """Every customer's id keyed as one way of spelling compares them (where it applies),
    and per key how many ordering customers have it and the last of them: each id hashed
    once, for the orphans of every source and the twins among the ordering customers
    alike."""

    def __init__(self, lookalike: Lookalike, text: pa.Array, with_orders: np.ndarray) -> None:
        self.key = np.full(len(text), -1, dtype=np.int64)
        """Per customer code, the place of its id's key (-1: the way does not apply)."""
        if lookalike.comparable is None:
            applies, ids = np.ones(len(text), dtype=bool), text
        else:
            comparable = lookalike.comparable(text)
            applies = np.asarray(comparable.to_numpy(zero_copy_only=False), dtype=bool)
            ids = text.filter(comparable)
        encoded = pc.dictionary_encode(lookalike.key(ids), null_encoding="encode")
        self.key[applies] = encoded.indices.to_numpy(zero_copy_only=False)
        self.ordering = np.flatnonzero(with_orders & applies)
        """The codes of the ordering customers whose ids it applies to, ascending."""
        keys = self.key[self.ordering]
        self.sharing = np.bincount(keys, minlength=len(encoded.dictionary))
        """Per key, how many ordering customers have it."""
        self.last = np.zeros(len(encoded.dictionary), dtype=np.int64)
        """Per key, the last ordering customer's code (in code order) that has it."""
        np.maximum.at(self.last, keys, self.ordering)


class Spellings:
    """All ids, which customers ordered, and the ways the ids may be spelt twice: what every
    comparison of spellings starts from (each source's customers without orders, the
    ordering customers among themselves), keyed once for all of them."""

    def __init__(self, text: pa.Array, with_orders: np.ndarray) -> None:
        self.text, self.with_orders = text, with_orders
        self.possible = lookalikes_in(text)
        self._spelt: dict[Reason, Spelt] = {}

    def spelt(self, lookalike: Lookalike) -> Spelt:
        """The ids as ``lookalike`` compares them (keyed at the first question)."""
        if lookalike.reason not in self._spelt:
            self._spelt[lookalike.reason] = Spelt(lookalike, self.text, self.with_orders)
        return self._spelt[lookalike.reason]


_NUMBERED = r"^[^0-9]*[0-9]+$"
_PADDING = r"^([^0-9]*)0+([0-9])"
_PADDED_START = r"^[^0-9]*0[0-9]"


def natural_sort(ids: pa.Array) -> pa.Array:
    """``C2`` before ``C10``, ``2`` before ``10``; ties and other ids by text."""
    return pc.take(ids, natural_order(ids))


def natural_order(ids: pa.Array) -> np.ndarray:
    """The positions of ``ids`` in :func:`natural_sort` order."""
    parts = pc.extract_regex(ids, r"^(?P<prefix>.*?)(?P<number>\d{0,18})$")
    digits = pc.struct_field(parts, [1])
    number = pc.cast(pc.if_else(pc.equal(digits, ""), "-1", digits), pa.int64())
    table = pa.table({"prefix": pc.struct_field(parts, [0]), "number": number, "id": ids})
    order = pc.sort_indices(
        table, sort_keys=[("prefix", "ascending"), ("number", "ascending"), ("id", "ascending")]
    )
    return np.asarray(order, dtype=np.int64)
