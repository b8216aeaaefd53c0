"""``churnwatch plan``: what is due, per account manager, as a table, JSON or calendar."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from churnwatch.analyses.result import folded
from churnwatch.core.days import iso_to_days
from churnwatch.core.words import inline, printable
from churnwatch.render.json_document import json_bytes
from churnwatch.render.language import Language, language
from churnwatch.render.table import shown_id

if TYPE_CHECKING:
    from churnwatch.analyses.plan import Occasion


def reason(occasion: Occasion, lang: Language | None = None) -> str:
    """Why to get in touch, in words (``usually orders every 14 days; …``), from the
    occasion's facts."""
    lang = lang or language()
    facts = occasion.facts
    values: dict[str, str] = {}
    key = occasion.kind
    if "gap" in facts:
        values["gap"] = lang.count(round(facts["gap"]), "day")
        values["expected"] = lang.date(int(facts["expected"]))
    if "count" in facts:
        count = round(facts["count"])
        noun = "complaint" if occasion.kind == "complaint" else "invoice"
        values["count"] = lang.count(count, noun)
        values["days"] = lang.count(round(facts["oldest"]), "day_dative")
        key += "_one" if count == 1 else "_many"
    return lang.t(f"plan.reasons.{key}", **values)


def show_plan(
    console: Console, occasions: Sequence[Occasion], lang: Language | None = None
) -> None:
    lang = lang or language()
    if not occasions:
        console.print(Text(lang.t("plan.nothing_due")))
        return
    kinds = lang.texts["plan"]["kinds"]
    width = max(map(len, kinds.values()))  # every kind's: the column is as wide on any day
    owner: str | None = "\0"
    for occasion in occasions:
        if occasion.owner != owner:
            gap = "" if owner == "\0" else "\n"
            owner = occasion.owner
            console.print(Text(f"{gap}{inline(owner or lang.t('plan.no_owner'))}", style="bold"))
        who = inline(
            shown_id(occasion.customer_id) + (f" {occasion.name}" if occasion.name else "")
        )
        due = lang.date(iso_to_days(occasion.due))
        line = Text(f"  {due}  {kinds[occasion.kind]:<{width}}  {who}: ")
        line.append(printable(reason(occasion, lang)), style="italic")
        console.print(line)


def occasion_record(occasion: Occasion, lang: Language | None = None) -> dict[str, Any]:
    """An occasion as machine output shows it (the plan's JSON, explain's next contact)."""
    return {
        "due": occasion.due,
        "kind": occasion.kind,
        "customer_id": occasion.customer_id,
        "name": occasion.name,
        "owner": occasion.owner,
        "reason": reason(occasion, lang),
    }


def plan_json(
    occasions: Sequence[Occasion], as_of: str, lang: Language | None = None, *, pretty: bool = False
) -> bytes:
    from churnwatch.render.records import SCHEMA_VERSION

    document = {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of,
        "occasions": [occasion_record(o, lang) for o in occasions],
    }
    return json_bytes(document, pretty=pretty)


def plan_ics(occasions: Sequence[Occasion], as_of: str, lang: Language | None = None) -> bytes:
    """One all-day event per occasion, importable by Outlook and Google Calendar; the same
    plan always gives the same bytes (stable UIDs, the reference date as the stamp)."""
    from icalendar import Calendar, Event

    lang = lang or language()
    calendar = Calendar()
    calendar.add("prodid", "-//churnwatch//contact plan//EN")
    calendar.add("version", "2.0")
    stamp = dt.datetime.fromisoformat(as_of).replace(tzinfo=dt.UTC)
    for occasion in occasions:
        event = Event()
        # Known by the day it arose: an overdue one is due anew in every plan, and a calendar
        # that imports next week's plan moves the event instead of adding a second one
        key = f"{occasion.kind}|{occasion.customer_id}|{occasion.since or occasion.due}".encode()
        event.add("uid", f"{hashlib.sha1(key).hexdigest()}@churnwatch")
        event.add("dtstamp", stamp)
        event.add("dtstart", dt.date.fromisoformat(occasion.due))
        # No control characters from the data (RFC 5545 forbids them in text): spelled out
        who = occasion.name or occasion.customer_id
        kind = lang.t(f"plan.kinds.{occasion.kind}")
        event.add("summary", inline(f"{kind}: {who} ({occasion.customer_id})"))
        event.add("description", printable(reason(occasion, lang)))
        calendar.add_component(event)
    return bytes(calendar.to_ical())


_SPELLED = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ø": "oe",
        "Ø": "Oe",
        "æ": "ae",
        "å": "aa",
        "ł": "l",
    }
)


def owner_files(
    owners: Sequence[str | None], prefix: str = "plan-", suffix: str = ".ics"
) -> dict[str | None, str]:
    """A safe file name for each owner's file: letters, digits and dashes, accents spelled
    out (Jürgen Köhler → plan-juergen-koehler.ics); owners whose names spell the same get a
    number (plan-anna-schmidt-2.ics), so no file overwrites another."""
    names: dict[str | None, str] = {}
    taken: set[str] = set()
    for owner in sorted(set(owners), key=lambda o: o or ""):
        slug = _slug(owner) if owner and owner.strip() else "unassigned"
        candidate, number = slug, 1
        while candidate in taken:
            number += 1
            candidate = f"{slug}-{number}"
        taken.add(candidate)
        names[owner] = f"{prefix}{candidate}{suffix}"
    return names


def owner_calendars(
    due: Sequence[Occasion], as_of: str, lang: Language | None = None
) -> list[tuple[str, bytes]]:
    """``plan --split-by owner``: each account manager's calendar with its file name, the
    owners told apart as the report tells them (whatever their case or Unicode form, each
    under its first spelling)."""
    groups: dict[str, list[Occasion]] = {}
    spelt: dict[str, str | None] = {}
    for occasion in due:
        key = folded(occasion.owner or "")
        spelt.setdefault(key, occasion.owner)
        groups.setdefault(key, []).append(occasion)
    files = owner_files(list(spelt.values()))
    return [(files[spelt[key]], plan_ics(found, as_of, lang)) for key, found in groups.items()]


def _slug(name: str) -> str:
    """A name as a file name's part: letters and digits, runs of anything else one dash,
    accents spelled out or left off (``Jürgen`` → ``juergen``, also as a Mac writes the
    umlaut), letters of other scripts kept (``Иван`` → ``иван``: left out, two such owners
    were "unassigned-2" and "unassigned-3"), at most :data:`SLUG_LENGTH` characters (a name
    of 300 made every owner's file fail), with a digest of the whole name where cut."""
    composed = unicodedata.normalize("NFC", name).translate(_SPELLED)
    letters = "".join(_plain(character) for character in composed).lower()
    slug = re.sub(r"[^\w]+|_", "-", letters).strip("-")
    if len(slug) > SLUG_LENGTH:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[: SLUG_LENGTH - 9].rstrip('-')}-{digest}"
    return slug or "owner"


SLUG_LENGTH = 60
"""Characters of a name in a file name: well within any file system's 255 bytes with the
prefix, suffix and number, whatever the script."""


def _plain(character: str) -> str:
    """A character without its accents (``é`` → ``e``), or itself where it has no ASCII
    form (``И``, ``王``)."""
    ascii_form = unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode()
    return ascii_form or character
