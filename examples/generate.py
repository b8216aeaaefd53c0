"""Generate churnwatch's example exports, with churn signals planted per customer.

Run ``python examples/generate.py`` (from anywhere); files are written next to this script:

* ``exports/``: English canonical CSVs (UTF-8, ``,``, ``.`` decimals, ISO dates), 300 customers;
* ``exports-de/``: a German ERP export (cp1252, ``;``, ``1.234,56``, ``dd.mm.yyyy``) with its
  ``churnwatch.toml``, 100 customers, two unparseable dates and one duplicate order row;
* ``planted.csv`` and ``planted-de.csv``: the answer keys (customer id -> planted archetype).

``--check`` re-reads the English export and prints per-archetype sanity figures.
The output is deterministic: two runs write byte-identical files.
"""

from __future__ import annotations

import argparse
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
T = TypeVar("T")

SEED = 20261124
END = np.datetime64("2026-09-30", "D")  # the latest order; all days below are offsets from it
HISTORY_DAYS = 3 * 365
RECENT_DAYS = 90
BASELINE_DAYS = 365
CHANGE_DAY = -92  # planted behaviour changes start here, just before the recent window
HERE = Path(__file__).resolve().parent

COUNTS_EN = {
    "healthy": 132,
    "shrinking": 21,
    "asked_only": 18,
    "unreachable": 18,
    "complaining": 18,
    "late_payer": 18,
    "overdue": 18,
    "lost": 21,
    "new": 15,
    "returner": 12,
    "multi": 9,
}
COUNTS_DE = {
    "healthy": 44,
    "shrinking": 7,
    "asked_only": 6,
    "unreachable": 6,
    "complaining": 6,
    "late_payer": 6,
    "overdue": 6,
    "lost": 7,
    "new": 5,
    "returner": 4,
    "multi": 3,
}
MULTI_COMBOS = (
    frozenset({"shrinking", "late_payer", "complaining"}),
    frozenset({"asked_only", "unreachable", "shrinking"}),
    frozenset({"late_payer", "complaining", "unreachable"}),
)
DENSE = frozenset({"shrinking", "asked_only", "late_payer"})  # need several recent orders

SEVERITIES = ("low", "medium", "high")
CATEGORIES = ("late delivery", "damaged goods", "wrong item", "billing error", "quality", "service")
CONTACT_CHANNELS = ("phone", "email", "visit")

NAME_GROUPS_EN = (
    (
        ("Müller", "Schäfer", "Köhler", "Weiß", "Groß", "Jäger", "Krüger", "Becker", "Hoffmann"),
        ("", "Logistik", "Maschinenbau", "Elektro", "Metallbau", "Feinkost", "Druck"),
        ("GmbH", "AG", "KG", "GmbH & Co. KG", "e.K."),
    ),
    (
        ("Lefèvre", "Moreau", "Gérard", "Bérenger"),
        ("", "Distribution", "Emballages"),
        ("SARL", "SAS"),
    ),
    (("Ibáñez", "García", "Núñez", "Peña"), ("", "Suministros", "Logística"), ("S.L.", "S.A.")),
    (
        ("Lindqvist", "Søndergaard", "Åberg", "Ødegaard"),
        ("", "Trading", "Marine"),
        ("AB", "ApS", "AS"),
    ),
    (
        ("Nowak", "Dvořák", "Wróbel", "Łukasiewicz"),
        ("", "Metal", "Trans"),
        ("Sp. z o.o.", "s.r.o."),
    ),
    (
        ("Baker", "Carter", "O'Neill", "Hughes", "Patel", "Whitmore"),
        ("", "Supplies", "Engineering", "Foods", "Packaging"),
        ("Ltd", "Inc.", "LLC"),
    ),
    (("Öztürk", "Şahin", "Çelik"), ("", "Tekstil", "Kimya"), ("A.Ş.",)),
)
OWNERS_EN = (
    "Anna Schmidt",
    "Jonas Weber",
    "Priya Nair",
    "Lukas Fischer",
    "Sofia Rossi",
    "Mehmet Öztürk",
    "Chloé Martin",
    "Ben Carter",
)
MAILBOXES_EN = ("info", "orders", "purchasing", "accounts", "office")

NAME_GROUPS_DE = (
    (
        ("Bäckerei", "Autohaus", "Getränke", "Metzgerei", "Gärtnerei", "Schreinerei", "Brauerei"),
        ("Groß", "Köhler", "Müller", "Schäfer", "Weiß", "Jäger", "Krüger", "Böhm", "Fröhlich"),
        ("GmbH", "KG", "OHG", "e.K.", "GmbH & Co. KG"),
    ),
    (
        ("Dürr", "Hänsel", "Schröder", "Wöhrle", "Brückner", "Seidl"),
        ("Elektrotechnik", "Sanitär", "Baustoffe", "Druckerei", "Metallbau"),
        ("GmbH", "KG", "GmbH & Co. KG"),
    ),
)
OWNERS_DE = (
    "Jürgen Köhler",
    "Sabine Groß",
    "Thomas Weber",
    "Katrin Schäfer",
    "Stefan Brückner",
    "Anja Böhm",
)
MAILBOXES_DE = ("info", "einkauf", "buchhaltung", "bestellung", "kontakt")

CHANNELS_DE = {False: ("Kunde", "Webshop"), True: ("Außendienst", "Telefonverkauf")}
SEVERITIES_DE = ("gering", "mittel", "hoch")
CATEGORIES_DE = (
    "Lieferverzug",
    "Transportschaden",
    "Falschlieferung",
    "Rechnungsfehler",
    "Qualitätsmangel",
    "Kundendienst",
)
CONTACT_CHANNELS_DE = ("Telefon", "E-Mail", "Besuch")
TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "å": "aa"})
TRANSLIT.update(str.maketrans({"ł": "l", "æ": "ae"}))

GERMAN_TOML = """\
# churnwatch configuration for this German ERP export. The CSVs are cp1252; this file is UTF-8.

[windows]
recent_days = 90
baseline_days = 365

[sources.orders]
path = "Auftraege.csv"
encoding = "cp1252"
delimiter = ";"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"

[sources.orders.columns]
customer_id = "Kundennummer"
order_date = "Belegdatum"
amount = "Nettobetrag"
order_id = "Belegnummer"
channel = "Auftragsart"

[sources.orders.values.channel]
inbound = ["Kunde", "Webshop"]
outbound = ["Außendienst", "Telefonverkauf"]

[sources.payments]
path = "Rechnungen.csv"
encoding = "cp1252"
delimiter = ";"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"

[sources.payments.columns]
customer_id = "Kundennummer"
invoice_id = "Rechnungsnummer"
invoice_date = "Rechnungsdatum"
due_date = "Fällig am"
paid_date = "Bezahlt am"
amount = "Betrag"

[sources.complaints]
path = "Reklamationen.csv"
encoding = "cp1252"
delimiter = ";"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"

[sources.complaints.columns]
customer_id = "Kundennummer"
opened_date = "Eingang"
closed_date = "Erledigt am"
severity = "Schweregrad"
category = "Kategorie"

[sources.complaints.values.severity]
low = ["gering"]
medium = ["mittel"]
high = ["hoch"]

[sources.contacts]
path = "Kontakte.csv"
encoding = "cp1252"
delimiter = ";"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"

[sources.contacts.columns]
customer_id = "Kundennummer"
contact_date = "Datum"
direction = "Richtung"
channel = "Kanal"
outcome = "Ergebnis"

[sources.contacts.values.direction]
outbound = ["ausgehend"]
inbound = ["eingehend"]

[sources.contacts.values.outcome]
reached = ["erreicht"]
not_reached = ["nicht erreicht"]

[sources.customers]
path = "Kunden.csv"
encoding = "cp1252"
delimiter = ";"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"

[sources.customers.columns]
customer_id = "Kundennummer"
name = "Firma"
segment = "Segment"
owner = "Betreuer"
email = "E-Mail"
"""


@dataclass(frozen=True)
class Profile:
    """Behaviour parameters of one customer; days are offsets from END (negative = past)."""

    archetype: str
    signals: frozenset[str]
    start: int
    gap: float  # mean days between orders
    shape: float  # gamma shape of the gaps: higher is more regular
    value: float  # typical order value
    sigma: float  # log-normal noise of order values
    inbound_p: float
    shrink_value: float  # factor on recent order values (1.0 = unchanged)
    shrink_freq: bool  # recent gaps twice as long
    terms: int
    delay_mu: float
    delay_sd: float
    complaints_per_year: float
    contact_gap: float | None  # mean days between contacts; None = no contacts recorded
    reach_p: float


@dataclass(frozen=True)
class Population:
    """Simulated customers in canonical form, before any formatting."""

    archetypes: list[str]
    annual_value: FloatArray
    orders: pd.DataFrame  # one row per order and its invoice
    complaints: pd.DataFrame
    contacts: pd.DataFrame


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """Draw a number uniformly on a log scale."""
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def roll_back(days: IntArray) -> IntArray:
    """Roll day offsets that fall on a weekend back to the Friday before (keeps their order)."""
    dates = END + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")
    rolled = np.busday_offset(dates, 0, roll="backward")
    return (rolled - END).astype(np.int64)


def business(t: npt.ArrayLike) -> IntArray:
    """Map calendar-day offsets onto business days, spreading events evenly over Mon-Fri.

    The map is monotonic and off by at most two days, since 5 business days = 7 calendar days.
    """
    steps = np.round(np.asarray(t, dtype=np.float64) * 5 / 7).astype(np.int64)
    return (np.busday_offset(END, steps) - END).astype(np.int64)


def random_days(rng: np.random.Generator, low: float, high: float, n: int) -> IntArray:
    """``n`` sorted random business days between the calendar-day offsets ``low`` and ``high``."""
    return np.sort(business(rng.uniform(low, high, n)))


def cap_true(rng: np.random.Generator, flags: BoolArray, where: BoolArray, cap: int) -> None:
    """Flip random True entries of ``flags`` inside ``where`` to False until ``cap`` remain."""
    hits = np.flatnonzero(flags & where)
    if hits.size > cap:
        flags[rng.choice(hits, hits.size - cap, replace=False)] = False


def window_ratio(days: IntArray, values: IntArray | None = None) -> float:
    """Recent window over baseline: mean of ``values``, or orders per day; NaN if undefined."""
    recent = days > -RECENT_DAYS
    base = ~recent & (days > -RECENT_DAYS - BASELINE_DAYS)
    if not base.any():
        return float("nan")
    if values is None:
        return float(recent.sum() / RECENT_DAYS / (base.sum() / BASELINE_DAYS))
    return float(values[recent].mean() / values[base].mean()) if recent.any() else float("nan")


def redraw(draw: Callable[[], T], ratio: Callable[[T], float], low: float, high: float) -> T:
    """Repeat ``draw`` until ``ratio`` of the result is in [low, high] (or NaN), at most 200 times.

    This keeps chance out of the answer key: a steady customer's recent window never looks
    shrunk by accident, and a planted change is never drowned by noise.
    """
    for _ in range(200):
        result = draw()
        value = ratio(result)
        if np.isnan(value) or low <= value <= high:
            break
    return result


def make_profile(rng: np.random.Generator, archetype: str, signals: frozenset[str]) -> Profile:
    """Draw the behaviour parameters for a customer with the given planted signals."""
    gap_range = (7.0, 20.0) if signals & DENSE else (7.0, 40.0)
    if "overdue" in signals:
        gap_range = (12.0, 20.0)
    shrink_mode = int(rng.integers(0, 3)) if "shrinking" in signals else -1
    has_contacts = "unreachable" in signals or rng.random() < 0.85
    contact_gap = rng.uniform(15, 35) if "unreachable" in signals else rng.uniform(20, 60)
    return Profile(
        archetype=archetype,
        signals=signals,
        start=-HISTORY_DAYS + int(rng.integers(0, 120)),
        gap=log_uniform(rng, *gap_range),
        shape=rng.uniform(10, 16) if "overdue" in signals else rng.uniform(5, 12),
        value=log_uniform(rng, 2000.0 if "lost" in signals else 200.0, 20000.0),
        sigma=rng.uniform(0.15, 0.3),
        inbound_p=rng.uniform(0.85, 0.97) if "asked_only" in signals else rng.uniform(0.75, 0.95),
        shrink_value=rng.uniform(0.3, 0.5) if shrink_mode in (0, 2) else 1.0,
        shrink_freq=shrink_mode in (1, 2),
        terms=14 if rng.random() < 0.2 else 30,
        delay_mu=rng.uniform(-3, 4),
        delay_sd=rng.uniform(0.5, 2.0),
        complaints_per_year=rng.uniform(0.2, 1.5),
        contact_gap=contact_gap if has_contacts else None,
        reach_p=rng.uniform(0.85, 0.97) if "unreachable" in signals else rng.uniform(0.8, 0.95),
    )


def renewal(
    rng: np.random.Generator,
    start: float,
    stop: float,
    gap: float,
    shape: float,
    *,
    first: float | None = None,
) -> IntArray:
    """Order days in [start, stop] with gamma-distributed gaps of mean ``gap``."""
    t0 = start + rng.uniform(0, gap) if first is None else first
    n = max(int((stop - start) / gap * 2), 0) + 10
    t = t0 + np.concatenate(([0.0], np.cumsum(rng.gamma(shape, gap / shape, n))))
    return business(t[t <= stop])


def ensure_recent(rng: np.random.Generator, days: IntArray, limit: float) -> IntArray:
    """Add an order if the last one is more than ``limit`` days before END."""
    if days.size == 0 or -days[-1] > limit:
        days = np.sort(np.append(days, random_days(rng, -0.8 * limit, 0, 1)))
    return days


def stopped_days(rng: np.random.Generator, p: Profile, stop: int) -> IntArray:
    """Order days of a regular rhythm whose last order falls on day ``stop``."""
    last = business([stop])
    return np.append(renewal(rng, p.start, last[0] - p.gap / 2, p.gap, p.shape), last)


def new_customer_days(rng: np.random.Generator, p: Profile) -> IntArray:
    """Order days of a new customer: a handful, the first within the last four months."""
    first = -rng.uniform(20, 118)
    gap = max(6.0, -first / int(rng.integers(2, 7)))
    days = renewal(rng, first, 0, gap, p.shape, first=first)
    if days.size < 2:
        days = np.append(days, random_days(rng, -5, 0, 1))
    return ensure_recent(rng, np.unique(days), gap)


def returner_days(rng: np.random.Generator, p: Profile) -> IntArray:
    """Regular orders, a lapse of at least 8.5 months, then orders again since 2-3 months."""
    back = -rng.uniform(56, 84)
    left = back - rng.uniform(260, 420)
    before = renewal(rng, p.start, left, p.gap, p.shape)
    after = renewal(rng, back, 0, p.gap, p.shape, first=back)
    return ensure_recent(rng, np.concatenate((before, after)), p.gap)


def order_days(rng: np.random.Generator, p: Profile) -> IntArray:
    """Draw the days on which the customer orders, shaped by the planted signals."""
    signals = p.signals
    if "new" in signals:
        return new_customer_days(rng, p)
    if "returner" in signals:
        return returner_days(rng, p)
    if "lost" in signals:
        return stopped_days(rng, p, -int(rng.integers(367, 729)))
    if "overdue" in signals:
        return stopped_days(rng, p, -int(rng.integers(71, 120)))
    if p.shrink_freq:
        return redraw(lambda: halved_days(rng, p), window_ratio, 0.3, 0.6)

    def steady() -> IntArray:
        return ensure_recent(rng, renewal(rng, p.start, 0, p.gap, p.shape), p.gap)

    return redraw(steady, window_ratio, 0.75, 1.5)


def halved_days(rng: np.random.Generator, p: Profile) -> IntArray:
    """Order days of a regular rhythm whose gaps double from CHANGE_DAY on."""
    before = renewal(rng, p.start, CHANGE_DAY, p.gap, p.shape)
    after = renewal(rng, CHANGE_DAY, 0, 2 * p.gap, p.shape, first=CHANGE_DAY + p.gap)
    return ensure_recent(rng, np.concatenate((before, after)), 1.2 * p.gap)


def order_cents(rng: np.random.Generator, p: Profile, days: IntArray) -> IntArray:
    """Order values in cents around the customer's typical value."""
    factor = np.where(days > CHANGE_DAY, p.shrink_value, 1.0)

    def draw() -> IntArray:
        values = p.value * factor * rng.lognormal(0.0, p.sigma, days.size)
        return np.maximum(np.round(values * 100), 100).astype(np.int64)

    low, high = (0.25, 0.55) if p.shrink_value < 1 else (0.8, 1.25)
    return redraw(draw, lambda cents: window_ratio(days, cents), low, high)


def order_outbound(rng: np.random.Generator, p: Profile, days: IntArray) -> BoolArray:
    """Whether each order was initiated by sales (outbound) rather than by the customer."""
    outbound = rng.random(days.size) > p.inbound_p
    recent = days > -RECENT_DAYS
    if "asked_only" in p.signals:
        before = days <= CHANGE_DAY
        cap_true(rng, outbound, before, int(before.sum() * 0.15))
        outbound[~before] = True
        if recent.sum() >= 6 and rng.random() < 0.5:
            outbound[rng.choice(np.flatnonzero(recent))] = False
    else:
        cap_true(rng, outbound, recent, int(recent.sum()) // 3)
    return outbound


def credit_notes(
    rng: np.random.Generator, days: IntArray, cents: IntArray, outbound: BoolArray
) -> pd.DataFrame:
    """One or two credit notes (negative orders) between two older orders, for some customers."""
    gaps = np.diff(days)
    candidates = np.flatnonzero((gaps >= 3) & (days[1:] < CHANGE_DAY - 10))
    if rng.random() >= 0.12 or candidates.size == 0:
        return pd.DataFrame()
    size = min(int(rng.integers(1, 3)), candidates.size)
    pick = np.sort(rng.choice(candidates, size, replace=False))
    return pd.DataFrame(
        {
            "day": roll_back(days[pick] + rng.integers(1, gaps[pick])),
            "cents": -np.round(cents[pick] * rng.uniform(0.05, 0.6, size)).astype(np.int64),
            "outbound": outbound[pick],
            "credit": True,
        }
    )


def simulate_orders(rng: np.random.Generator, p: Profile, anchor: bool) -> pd.DataFrame:
    """All orders of one customer (credit notes included), sorted by day."""
    days = order_days(rng, p)
    if anchor and days[-1] < 0:
        days = np.append(days, 0)  # the latest order of the whole export is on END itself
    cents = order_cents(rng, p, days)
    outbound = order_outbound(rng, p, days)
    orders = pd.DataFrame({"day": days, "cents": cents, "outbound": outbound, "credit": False})
    credits = credit_notes(rng, days, cents, outbound)
    if not credits.empty:
        orders = pd.concat([orders, credits], ignore_index=True)
    return orders.sort_values("day", kind="stable", ignore_index=True)


def add_invoices(rng: np.random.Generator, p: Profile, orders: pd.DataFrame) -> pd.DataFrame:
    """Add due and paid days (NaN = open) of the invoice that belongs to each order."""
    days = orders["day"].to_numpy(np.int64)
    due = days + p.terms
    delay = rng.normal(p.delay_mu, p.delay_sd, days.size)
    if "late_payer" in p.signals:
        late = due > -RECENT_DAYS
        delay[late] = rng.uniform(25, 60, int(late.sum()))
    credit = orders["credit"].to_numpy(bool)
    delay[credit] = 0  # credit notes are settled around their due date
    paid = np.maximum(business(due + delay), days).astype(np.float64)
    paid[paid > 0] = np.nan
    if "late_payer" in p.signals:
        past_due = np.flatnonzero((due < 0) & ~credit)
        if np.isnan(paid[past_due]).sum() < 2:
            paid[past_due[-2:]] = np.nan
    return orders.assign(due=due, paid=paid)


def keep_at_most(rng: np.random.Generator, where: BoolArray, cap: int) -> BoolArray:
    """Return a keep-mask that drops random rows inside ``where`` until ``cap`` remain."""
    kept = where.copy()
    cap_true(rng, kept, where, cap)
    return kept | ~where


def complaint_rows(
    rng: np.random.Generator, opened: IntArray, resolve: IntArray, severity_p: list[float]
) -> pd.DataFrame:
    """Complaints opened on ``opened`` and resolved ``resolve`` days later (-1 = still open)."""
    jitter = rng.uniform(-0.5, 0.5, opened.size)  # spreads the closing days over Mon-Fri
    closed = np.maximum(business(opened + np.maximum(resolve, 0) + jitter), opened)
    closed = closed.astype(np.float64)
    closed[(resolve < 0) | (closed > 0)] = np.nan
    return pd.DataFrame(
        {
            "opened": opened,
            "closed": closed,
            "severity": rng.choice(3, opened.size, p=severity_p),
            "category": rng.integers(0, len(CATEGORIES), opened.size),
        }
    )


def planted_complaints(rng: np.random.Generator) -> pd.DataFrame:
    """3-8 recent complaints, some high, some open for 30-80 days, the rest resolved slowly."""
    n = int(rng.integers(3, 9))
    still_open = int(rng.integers(1, min(3, n - 2) + 1))
    ages = np.concatenate((rng.uniform(31, 79, still_open), rng.uniform(26, 86, n - still_open)))
    opened = business(-ages)
    resolve = np.minimum(rng.integers(20, 61, n), -opened)
    resolve[:still_open] = -1
    rows = complaint_rows(rng, opened, resolve, [0.2, 0.4, 0.4])
    if not (rows["severity"] == 2).any():
        rows.loc[int(rng.integers(0, n)), "severity"] = 2
    return rows


def simulate_complaints(rng: np.random.Generator, p: Profile, days: IntArray) -> pd.DataFrame:
    """Rare, quickly closed complaints, plus the planted ones."""
    lo, hi = int(days[0]), min(int(days[-1]) + 30, 0)
    opened = random_days(rng, lo, hi, rng.poisson(p.complaints_per_year * (hi - lo) / 365))
    rows = complaint_rows(rng, opened, rng.integers(1, 11, opened.size), [0.6, 0.33, 0.07])
    recent = opened > -RECENT_DAYS
    if "complaining" in p.signals:
        baseline = ~recent & (opened > -RECENT_DAYS - BASELINE_DAYS)
        rows = pd.concat([rows[~recent & keep_at_most(rng, baseline, 1)], planted_complaints(rng)])
    else:
        rows = rows[keep_at_most(rng, recent, 1)]
    if "lost" in p.signals:  # trouble shortly before they left
        k = int(rng.integers(1, 3))
        last = business(days[-1] - rng.uniform(0, 120, k))
        rows = pd.concat(
            [rows, complaint_rows(rng, last, rng.integers(10, 41, k), [0.0, 0.5, 0.5])]
        )
    return rows.sort_values("opened", kind="stable", ignore_index=True)


def contact_rows(rng: np.random.Generator, when: IntArray, reach_p: float) -> pd.DataFrame:
    """Contacts on the given days; inbound ones always reach the customer."""
    outbound = rng.random(when.size) < 0.7
    return pd.DataFrame(
        {
            "day": when,
            "outbound": outbound,
            "channel": rng.choice(3, when.size, p=[0.6, 0.3, 0.1]),
            "reached": ~outbound | (rng.random(when.size) < reach_p),
        }
    )


def unanswered_attempts(rng: np.random.Generator) -> pd.DataFrame:
    """6-12 recent outbound attempts of which at most a quarter reach the customer."""
    n = int(rng.integers(6, 13))
    reached = np.zeros(n, dtype=bool)
    reached[rng.choice(n, int(rng.integers(0, n // 4 + 1)), replace=False)] = True
    return pd.DataFrame(
        {
            "day": random_days(rng, -86, 0, n),
            "outbound": True,
            "channel": rng.choice(2, n, p=[0.7, 0.3]),
            "reached": reached,
        }
    )


def simulate_contacts(rng: np.random.Generator, p: Profile, days: IntArray) -> pd.DataFrame:
    """Account-manager contacts from shortly before the first order on."""
    if p.contact_gap is None:
        return pd.DataFrame(columns=["day", "outbound", "channel", "reached"])
    lo = max(int(days[0]) - int(rng.integers(0, 31)), -HISTORY_DAYS)
    hi = min(int(days[-1]) + int(rng.integers(0, 61)), 0) if "lost" in p.signals else 0
    when = random_days(rng, lo, hi, rng.poisson((hi - lo) / p.contact_gap))
    rows = contact_rows(rng, when, p.reach_p)
    recent = when > -RECENT_DAYS
    missed = ~rows["reached"].to_numpy(bool)
    if "unreachable" in p.signals:  # mostly reached before, mostly missed recently
        before = ~recent & rows["outbound"].to_numpy(bool) & (when > -RECENT_DAYS - BASELINE_DAYS)
        cap_true(rng, missed, before, int(before.sum()) // 5)
        rows = rows.assign(reached=~missed)[~recent]
        rows = pd.concat([rows, unanswered_attempts(rng)], ignore_index=True)
        return rows.drop_duplicates(ignore_index=True)  # a log without ids: one row per attempt
    cap_true(rng, missed, recent, 1)
    return rows.assign(reached=~missed).drop_duplicates(ignore_index=True)


def assign_signals(
    rng: np.random.Generator, counts: dict[str, int]
) -> list[tuple[str, frozenset[str]]]:
    """Shuffle the archetypes over the customers; ``multi`` customers get a signal combination."""
    names = [name for name, k in counts.items() for _ in range(k)]
    shuffled = [names[i] for i in rng.permutation(len(names))]
    combos = itertools.cycle(MULTI_COMBOS)
    return [(a, next(combos) if a == "multi" else frozenset({a})) for a in shuffled]


def stack(frames: list[pd.DataFrame], day: str) -> pd.DataFrame:
    """Concatenate per-customer frames, sorted by day and then customer."""
    frames = [f for f in frames if not f.empty]
    data = pd.concat(frames, ignore_index=True)
    return data.sort_values([day, "customer"], kind="stable", ignore_index=True)


def simulate(rng: np.random.Generator, counts: dict[str, int]) -> Population:
    """Simulate every customer's orders, invoices, complaints and contacts."""
    assigned = assign_signals(rng, counts)
    anchor = [a for a, _ in assigned].index("healthy")
    orders, complaints, contacts = [], [], []
    annual = np.empty(len(assigned))
    for i, (archetype, signals) in enumerate(assigned):
        p = make_profile(rng, archetype, signals)
        placed = add_invoices(rng, p, simulate_orders(rng, p, anchor=i == anchor))
        days = placed.loc[~placed["credit"], "day"].to_numpy(np.int64)
        orders.append(placed.assign(customer=i))
        complaints.append(simulate_complaints(rng, p, days).assign(customer=i))
        contacts.append(simulate_contacts(rng, p, days).assign(customer=i))
        annual[i] = p.value * 365 / p.gap
    return Population(
        archetypes=[a for a, _ in assigned],
        annual_value=annual,
        orders=stack(orders, "day"),
        complaints=stack(complaints, "opened"),
        contacts=stack(contacts, "day"),
    )


def slug(text: str) -> str:
    """ASCII domain label for a company name: 'Müller GmbH' -> 'mueller-gmbh'."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(TRANSLIT))
    return re.sub(r"[^a-z0-9]+", "-", folded.encode("ascii", "ignore").decode()).strip("-")


def segments(annual_value: FloatArray) -> list[str]:
    """Label the top 20% by yearly value A, the next 30% B and the rest C."""
    rank = np.argsort(np.argsort(-annual_value, kind="stable"), kind="stable") / annual_value.size
    return [("A" if r < 0.2 else "B" if r < 0.5 else "C") for r in rank.tolist()]


def master_data(
    rng: np.random.Generator,
    pop: Population,
    groups: tuple[tuple[tuple[str, ...], ...], ...],
    owners: tuple[str, ...],
    mailboxes: tuple[str, ...],
) -> pd.DataFrame:
    """Company name, segment, account manager and email of every customer."""
    pool = [" ".join(w for w in words if w) for g in groups for words in itertools.product(*g)]
    names = [pool[i] for i in rng.choice(len(pool), len(pop.archetypes), replace=False)]
    boxes = rng.choice(mailboxes, len(names)).tolist()
    emails = [f"{box}@{slug(name)}.example" for box, name in zip(boxes, names, strict=True)]
    missing = rng.random(len(names)) < 0.03
    return pd.DataFrame(
        {
            "name": names,
            "segment": segments(pop.annual_value),
            "owner": rng.choice(owners, len(names)).tolist(),
            "email": ["" if m else e for m, e in zip(missing, emails, strict=True)],
        }
    )


def make_ids(pattern: str, offset: int, n: int) -> npt.NDArray[np.str_]:
    """Make identifiers ``pattern.format(offset + 1)`` ... ``pattern.format(offset + n)``."""
    return np.array([pattern.format(offset + k) for k in range(1, n + 1)])


def canonical_tables(
    pop: Population, master: pd.DataFrame, ids: dict[str, tuple[str, int]]
) -> dict[str, pd.DataFrame]:
    """Build the five sources with canonical columns and values (days and cents as numbers)."""
    o, q, c = pop.orders, pop.complaints, pop.contacts
    cid = make_ids(*ids["customer"], len(pop.archetypes))
    return {
        "orders": pd.DataFrame(
            {
                "order_id": make_ids(*ids["order"], len(o)),
                "customer_id": cid[o["customer"]],
                "order_date": o["day"],
                "amount": o["cents"],
                "channel": np.where(o["outbound"], "outbound", "inbound"),
            }
        ),
        "payments": pd.DataFrame(
            {
                "invoice_id": make_ids(*ids["invoice"], len(o)),
                "customer_id": cid[o["customer"]],
                "invoice_date": o["day"],
                "due_date": o["due"],
                "paid_date": o["paid"],
                "amount": o["cents"],
            }
        ),
        "complaints": pd.DataFrame(
            {
                "complaint_id": make_ids(*ids["complaint"], len(q)),
                "customer_id": cid[q["customer"]],
                "opened_date": q["opened"],
                "closed_date": q["closed"],
                "severity": np.array(SEVERITIES)[q["severity"]],
                "category": np.array(CATEGORIES)[q["category"]],
            }
        ),
        "contacts": pd.DataFrame(
            {
                "customer_id": cid[c["customer"]],
                "contact_date": c["day"],
                "direction": np.where(c["outbound"].astype(bool), "outbound", "inbound"),
                "channel": np.array(CONTACT_CHANNELS)[c["channel"].astype(np.int64)],
                "outcome": np.where(c["reached"].astype(bool), "reached", "not reached"),
            }
        ),
        "customers": master.assign(customer_id=cid)[["customer_id", *master.columns]],
    }


def format_days(days: pd.Series, german: bool) -> list[str]:
    """ISO or dd.mm.yyyy dates for day offsets; NaN becomes an empty field."""
    values = days.to_numpy(np.float64)
    missing = np.isnan(values)
    offsets = np.where(missing, 0, values).astype(np.int64).astype("timedelta64[D]")
    iso = np.datetime_as_string(END + offsets, unit="D").tolist()
    text = [f"{d[8:10]}.{d[5:7]}.{d[:4]}" for d in iso] if german else iso
    return ["" if m else t for m, t in zip(missing, text, strict=True)]


def money(cents: int, thousands: str, decimal: str) -> str:
    """Format cents as text, e.g. -123456 with '.' and ',' as '-1.234,56'."""
    whole = f"{abs(cents) // 100:,}".replace(",", thousands)
    return f"{'-' if cents < 0 else ''}{whole}{decimal}{abs(cents) % 100:02d}"


def format_table(table: pd.DataFrame, german: bool) -> pd.DataFrame:
    """Turn day offsets (``*_date``) and cents (``amount``) into text in the export's dialect."""
    out = table.copy()
    for column in out.columns:
        if column.endswith("_date"):
            out[column] = format_days(out[column], german)
        elif column == "amount":
            sep, dec = (".", ",") if german else ("", ".")
            out[column] = [money(int(c), sep, dec) for c in out[column]]
    return out


IDS_EN = {
    "customer": ("C{:04d}", 0),
    "order": ("O{:06d}", 0),
    "invoice": ("INV{:06d}", 0),
    "complaint": ("Q{:05d}", 0),
}
IDS_DE = {
    "customer": ("{}", 10000),
    "order": ("{}", 500000),
    "invoice": ("{}", 900000),
    "complaint": ("{}", 3000),
}
FILES_EN = {
    source: f"{source}.csv"
    for source in ("orders", "payments", "complaints", "contacts", "customers")
}
FILES_DE = {
    "orders": "Auftraege.csv",
    "payments": "Rechnungen.csv",
    "complaints": "Reklamationen.csv",
    "contacts": "Kontakte.csv",
    "customers": "Kunden.csv",
}
COLUMNS_DE = {
    "orders": ["Belegnummer", "Kundennummer", "Belegdatum", "Nettobetrag", "Auftragsart"],
    "payments": [
        "Rechnungsnummer",
        "Kundennummer",
        "Rechnungsdatum",
        "Fällig am",
        "Bezahlt am",
        "Betrag",
    ],
    "complaints": [
        "Reklamationsnummer",
        "Kundennummer",
        "Eingang",
        "Erledigt am",
        "Schweregrad",
        "Kategorie",
    ],
    "contacts": ["Kundennummer", "Datum", "Richtung", "Kanal", "Ergebnis"],
    "customers": ["Kundennummer", "Firma", "Segment", "Betreuer", "E-Mail"],
}
VALUES_DE = {
    ("complaints", "severity"): dict(zip(SEVERITIES, SEVERITIES_DE, strict=True)),
    ("complaints", "category"): dict(zip(CATEGORIES, CATEGORIES_DE, strict=True)),
    ("contacts", "direction"): {"outbound": "ausgehend", "inbound": "eingehend"},
    ("contacts", "channel"): dict(zip(CONTACT_CHANNELS, CONTACT_CHANNELS_DE, strict=True)),
    ("contacts", "outcome"): {"reached": "erreicht", "not reached": "nicht erreicht"},
}


def write_csv(table: pd.DataFrame, path: Path, german: bool = False) -> None:
    """Write one export file in the English (UTF-8, ',') or German (cp1252, ';', CRLF) dialect."""
    table.to_csv(
        path,
        index=False,
        sep=";" if german else ",",
        encoding="cp1252" if german else "utf-8",
        lineterminator="\r\n" if german else "\n",
    )


def write_key(path: Path, tables: dict[str, pd.DataFrame], pop: Population) -> None:
    """Write the answer key: customer id and planted archetype, sorted by customer id."""
    key = pd.DataFrame(
        {"customer_id": tables["customers"]["customer_id"], "archetype": pop.archetypes}
    )
    key.sort_values("customer_id").to_csv(path, index=False, lineterminator="\n")


def write_english(rng: np.random.Generator, pop: Population, folder: Path) -> None:
    """Write exports/ in the canonical English format, and planted.csv beside it."""
    master = master_data(rng, pop, NAME_GROUPS_EN, OWNERS_EN, MAILBOXES_EN)
    # The account managers' own addresses, for reports mailed to each (--split-by owner).
    master["owner_email"] = [f"{slug(owner)}@churnwatch-demo.example" for owner in master["owner"]]
    tables = canonical_tables(pop, master, IDS_EN)
    folder.mkdir(parents=True, exist_ok=True)
    for source, table in tables.items():
        write_csv(format_table(table, german=False), folder / FILES_EN[source])
    write_key(folder.parent / "planted.csv", tables, pop)


def damage_orders(
    rng: np.random.Generator, raw: pd.DataFrame, text: pd.DataFrame, healthy: pd.Series
) -> pd.DataFrame:
    """Plant two unparseable dates and one exact duplicate row for the loader's salvage report."""
    offsets = raw["order_date"].to_numpy(np.int64).astype("timedelta64[D]")
    month = np.datetime_as_string(END + offsets, unit="M")
    usable = (raw["customer_id"].isin(healthy) & (raw["amount"] > 0)).to_numpy()
    text = text.copy()
    for bad, in_month in (("31.02.2025", "2025-02"), ("xx.05.2025", "2025-05")):
        text.loc[int(rng.choice(np.flatnonzero(usable & (month == in_month)))), "order_date"] = bad
    dup = int(rng.choice(np.flatnonzero(usable & (month == "2024-06"))))
    return pd.concat([text.iloc[: dup + 1], text.iloc[[dup]], text.iloc[dup + 1 :]])


def germanise(rng: np.random.Generator, source: str, table: pd.DataFrame) -> pd.DataFrame:
    """German labels for the categorical values of one source."""
    out = table.copy()
    for column in out.columns:
        labels = VALUES_DE.get((source, column))
        if labels is not None:
            out[column] = out[column].map(labels)
    if source == "orders":
        pick = rng.integers(0, 2, len(out))
        out["channel"] = [
            CHANNELS_DE[c == "outbound"][k] for c, k in zip(out["channel"], pick, strict=True)
        ]
    return out


def write_german(rng: np.random.Generator, pop: Population, folder: Path) -> None:
    """exports-de/ as a German ERP export with its churnwatch.toml, and planted-de.csv."""
    master = master_data(rng, pop, NAME_GROUPS_DE, OWNERS_DE, MAILBOXES_DE)
    tables = canonical_tables(pop, master, IDS_DE)
    healthy = tables["customers"]["customer_id"][np.array(pop.archetypes) == "healthy"]
    folder.mkdir(parents=True, exist_ok=True)
    for source, table in tables.items():
        text = format_table(germanise(rng, source, table), german=True)
        if source == "orders":
            text = damage_orders(rng, table, text, healthy)
        write_csv(text.set_axis(COLUMNS_DE[source], axis=1), folder / FILES_DE[source], german=True)
    (folder / "churnwatch.toml").write_text(GERMAN_TOML, encoding="utf-8", newline="\n")
    write_key(folder.parent / "planted-de.csv", tables, pop)


@dataclass(frozen=True)
class Unfamiliar:
    """An export in words no one on the project chose: for ``init`` to work out unaided."""

    files: dict[str, str]
    headers: dict[str, dict[str, str]]
    """Per source, canonical column → header; columns left out are not exported."""
    values: dict[tuple[str, str], dict[str, tuple[str, ...]]]
    """Per (source, column), canonical value → the spellings this system uses (drawn at random)."""
    encoding: str
    delimiter: str
    dates: str  # "de" 31.12.2026, "us" 12/31/2026
    amount: Callable[[int], str]
    preamble: dict[str, str]
    """Per source, a line before the header."""
    gross: bool = False
    """Orders carry a gross amount (19 % VAT) before the net one."""


SEVERITY_KEYS = dict(zip(SEVERITIES, ("low", "medium", "high"), strict=True))
DATEV_LINE = '"EXTF";700;21;"Buchungsstapel";13;20261001093000000;;"";"";"";12345;67890;20260101;4'

UNFAMILIAR = {
    "shop-de": Unfamiliar(
        files={
            "orders": "Bestellungen.csv",
            "payments": "Rechnungen.csv",
            "complaints": "Reklamationen.csv",
            "contacts": "Kontakthistorie.csv",
            "customers": "Kunden.csv",
        },
        headers={
            "orders": {
                "order_id": "Bestellnummer",
                "customer_id": "Kundennummer",
                "order_date": "Bestelldatum",
                "amount": "Gesamtsumme",
                "channel": "Bestellweg",
            },
            "payments": {
                "invoice_id": "Rechnungsnummer",
                "customer_id": "Kundennummer",
                "invoice_date": "Rechnungsdatum",
                "due_date": "Fälligkeit",
                "paid_date": "Zahlungseingang",
                "amount": "Rechnungsbetrag",
            },
            "complaints": {
                "complaint_id": "Ticket-Nr",
                "customer_id": "Kundennummer",
                "opened_date": "Erstellt am",
                "closed_date": "Geschlossen am",
                "severity": "Priorität",
                "category": "Thema",
            },
            "contacts": {
                "customer_id": "Kundennummer",
                "contact_date": "Datum",
                "direction": "Richtung",
                "channel": "Kanal",
                "outcome": "Ergebnis",
            },
            "customers": {
                "customer_id": "Kundennummer",
                "name": "Firma",
                "segment": "Kundengruppe",
                "owner": "Betreuer",
                "email": "E-Mail",
            },
        },
        values={
            ("orders", "channel"): {
                "inbound": ("Online-Shop", "Telefon"),
                "outbound": ("Außendienst",),
            },
            ("complaints", "severity"): {
                "low": ("Prio 3",),
                "medium": ("Prio 2",),
                "high": ("Prio 1",),
            },
            ("contacts", "direction"): {"inbound": ("eingehend",), "outbound": ("ausgehend",)},
            ("contacts", "outcome"): {
                "reached": ("erreicht",),
                "not reached": ("Mailbox", "besetzt", "keine Antwort"),
            },
        },
        encoding="utf-8-sig",
        delimiter=";",
        dates="de",
        amount=lambda cents: money(cents, ".", ",") + "\u00a0€",
        preamble={source: "sep=;" for source in ("orders", "payments", "complaints")},
    ),
    "crm-en": Unfamiliar(
        files={
            "orders": "Sales Orders.csv",
            "payments": "Invoices.csv",
            "complaints": "Cases.csv",
            "contacts": "Activities.csv",
            "customers": "Accounts.csv",
        },
        headers={
            "orders": {
                "order_id": "Order Number",
                "customer_id": "Account ID",
                "order_date": "Order Date",
                "amount": "Order Total",
                "channel": "Lead Source",
            },
            "payments": {
                "invoice_id": "Invoice Number",
                "customer_id": "Account ID",
                "invoice_date": "Invoice Date",
                "due_date": "Due Date",
                "paid_date": "Payment Date",
                "amount": "Amount",
            },
            "complaints": {
                "complaint_id": "Case Number",
                "customer_id": "Account ID",
                "opened_date": "Created Date",
                "closed_date": "Closed Date",
                "severity": "Priority",
                "category": "Subject",
            },
            "contacts": {
                "customer_id": "Account ID",
                "contact_date": "Activity Date",
                "direction": "Direction",
                "channel": "Activity Type",
                "outcome": "Outcome",
            },
            "customers": {
                "customer_id": "Account ID",
                "name": "Account Name",
                "segment": "Tier",
                "owner": "Account Owner",
                "email": "Email",
            },
        },
        values={
            ("orders", "channel"): {
                "inbound": ("Web", "E-mail", "Inbound Call"),
                "outbound": ("Sales Rep",),
            },
            ("complaints", "severity"): {
                "low": ("P3 - Low",),
                "medium": ("P2 - Normal",),
                "high": ("P1 - Urgent",),
            },
            ("contacts", "direction"): {"inbound": ("Incoming",), "outbound": ("Outgoing",)},
            ("contacts", "outcome"): {
                "reached": ("Connected", "Spoke with buyer"),
                "not reached": ("Left Voicemail", "No Answer"),
            },
        },
        encoding="utf-8",
        delimiter=",",
        dates="us",
        amount=lambda cents: ("-" if cents < 0 else "") + "$" + money(abs(cents), ",", "."),
        preamble={},
    ),
    "erp-de": Unfamiliar(
        files={
            "orders": "Belege.csv",
            "payments": "OP-Liste.csv",
            "complaints": "Reklamationen.csv",
            "contacts": "Aktivitaeten.csv",
            "customers": "Kundenstamm.csv",
        },
        headers={
            "orders": {
                "order_id": "Belegnr",
                "customer_id": "Kundennr",
                "order_date": "Belegdatum",
                "amount": "Netto",
                "channel": "Auftragsart",
            },
            "payments": {
                "invoice_id": "Belegnr",
                "customer_id": "Kundennr",
                "invoice_date": "Belegdatum",
                "due_date": "Fällig",
                "paid_date": "Ausgeglichen am",
                "amount": "Betrag",
            },
            "complaints": {
                "complaint_id": "Vorgang",
                "customer_id": "Kundennr",
                "opened_date": "Datum",
                "closed_date": "Erledigt am",
                "severity": "Schweregrad",
                "category": "Grund",
            },
            "contacts": {
                "customer_id": "Kundennr",
                "contact_date": "Datum",
                "channel": "Art",
                "outcome": "Ergebnis",
            },
            "customers": {
                "customer_id": "Kundennr",
                "name": "Name 1",
                "segment": "Kundengruppe",
                "owner": "Vertriebsmitarbeiter",
                "email": "E-Mail",
            },
        },
        values={
            ("orders", "channel"): {"inbound": ("Selbstbesteller",), "outbound": ("Außendienst",)},
            ("complaints", "severity"): {"low": ("1",), "medium": ("2",), "high": ("3",)},
            ("contacts", "outcome"): {
                "reached": ("Gespräch geführt",),
                "not reached": ("nicht erreicht", "Anrufbeantworter"),
            },
        },
        encoding="cp1252",
        delimiter=";",
        dates="de",
        amount=lambda cents: money(cents, ".", ","),
        preamble={"orders": DATEV_LINE},
        gross=True,
    ),
}


def unfamiliar_table(
    rng: np.random.Generator, source: str, table: pd.DataFrame, variant: Unfamiliar
) -> pd.DataFrame:
    """One source in the variant's columns, words, dates and amounts."""
    out = table.copy()
    for column in out.columns:
        spellings = variant.values.get((source, column))
        if spellings is not None:
            pick = rng.integers(0, 6, len(out))
            out[column] = [
                spellings[v][k % len(spellings[v])] for v, k in zip(out[column], pick, strict=True)
            ]
        elif column.endswith("_date"):
            iso = pd.Series(format_days(out[column], german=False))
            out[column] = [_date_text(d, variant.dates) for d in iso]
        elif column == "amount":
            out[column] = [variant.amount(int(c)) for c in out[column]]
    if variant.gross and source == "orders":
        gross = [variant.amount(round(int(c) * 1.19)) for c in table["amount"]]
        out.insert(out.columns.get_loc("amount"), "gross", gross)
    headers = {**variant.headers[source], "gross": "Brutto"}
    return out[[c for c in out.columns if c in headers]].rename(columns=headers)


def _date_text(iso: str, style: str) -> str:
    if not iso:
        return ""
    year, month, day = iso[:4], iso[5:7], iso[8:10]
    return f"{day}.{month}.{year}" if style == "de" else f"{month}/{day}/{year}"


def write_unfamiliar(rng: np.random.Generator, name: str, folder: Path) -> None:
    """One unfamiliar export in ``folder/name`` and its answer key ``folder/name.planted.csv``."""
    variant = UNFAMILIAR[name]
    pop = simulate(rng, COUNTS_DE)
    master = master_data(rng, pop, NAME_GROUPS_DE, OWNERS_DE, MAILBOXES_DE)
    tables = canonical_tables(pop, master, IDS_DE)
    tables["complaints"]["severity"] = tables["complaints"]["severity"].map(SEVERITY_KEYS)
    target = folder / name
    target.mkdir(parents=True, exist_ok=True)
    for source, table in tables.items():
        # One attempt per customer, day, direction and outcome: the contact type is not read.
        read = [c for c in variant.headers[source] if c != "channel" and c in table]
        text = unfamiliar_table(rng, source, table.drop_duplicates(subset=read), variant)
        path = target / variant.files[source]
        newline = "\r\n" if variant.delimiter == ";" else "\n"
        with path.open("w", encoding=variant.encoding, newline="") as handle:
            if source in variant.preamble:
                handle.write(variant.preamble[source] + newline)
            text.to_csv(handle, index=False, sep=variant.delimiter, lineterminator=newline)
    write_key(folder / f"{name}.planted.csv", tables, pop)


def order_features(folder: Path, end: pd.Timestamp) -> pd.DataFrame:
    """Recent-vs-baseline order features per customer (credit notes left out)."""
    o = pd.read_csv(folder / "orders.csv", parse_dates=["order_date"])
    o = o[o["amount"] > 0].sort_values(["customer_id", "order_date"])
    by, age = o["customer_id"], (end - o["order_date"]).dt.days
    recent = age < RECENT_DAYS
    base = ~recent & (age < RECENT_DAYS + BASELINE_DAYS)
    gap = o.groupby("customer_id")["order_date"].diff().dt.days
    outbound = o["channel"] == "outbound"
    return pd.DataFrame(
        {
            "value_ratio": o["amount"][recent].groupby(by).mean()
            / o["amount"][base].groupby(by).mean(),
            "freq_ratio": (recent.groupby(by).sum() / RECENT_DAYS)
            / (base.groupby(by).sum() / BASELINE_DAYS),
            "out_base": outbound[base].groupby(by).mean(),
            "out_recent": outbound[recent].groupby(by).mean(),
            "since_last": age.groupby(by).min(),
            "since_last/med_gap": age.groupby(by).min() / gap.groupby(by).median(),
            "first_age": age.groupby(by).max(),
            "longest_gap": gap.groupby(by).max(),
        }
    )


def other_features(folder: Path, end: pd.Timestamp) -> pd.DataFrame:
    """Contact, complaint and payment features per customer."""
    k = pd.read_csv(folder / "contacts.csv", parse_dates=["contact_date"])
    q = pd.read_csv(folder / "complaints.csv", parse_dates=["opened_date", "closed_date"])
    pay = pd.read_csv(folder / "payments.csv", parse_dates=["due_date", "paid_date"])
    k_recent = (end - k["contact_date"]).dt.days < RECENT_DAYS
    attempts = k[k_recent & (k["direction"] == "outbound")]
    q_recent = q[(end - q["opened_date"]).dt.days < RECENT_DAYS]
    due_age = (end - pay["due_date"]).dt.days
    late = pay[(due_age < RECENT_DAYS) & (due_age >= 0) & pay["paid_date"].notna()]
    open_due = pay[pay["paid_date"].isna() & (due_age > 0)]
    return pd.DataFrame(
        {
            "attempts_recent": attempts.groupby("customer_id").size(),
            "missed_recent": (attempts["outcome"] == "not reached")
            .groupby(attempts["customer_id"])
            .mean(),
            "complaints_recent": q_recent.groupby("customer_id").size(),
            "open_complaints": q[q["closed_date"].isna()].groupby("customer_id").size(),
            "delay_recent": (late["paid_date"] - late["due_date"])
            .dt.days.groupby(late["customer_id"])
            .mean(),
            "open_past_due": open_due.groupby("customer_id").size(),
            "max_days_past_due": due_age[open_due.index].groupby(open_due["customer_id"]).max(),
        }
    )


def sanity_table(root: Path) -> pd.DataFrame:
    """Median feature per archetype, plus the healthy extremes, read back from the English CSVs."""
    folder, end = root / "exports", pd.Timestamp(END)
    key = pd.read_csv(root / "planted.csv", index_col="customer_id")
    features = key.join(order_features(folder, end)).join(other_features(folder, end))
    counts = ["attempts_recent", "complaints_recent", "open_complaints", "open_past_due"]
    features[counts] = features[counts].fillna(0)
    table = features.groupby("archetype").median()
    healthy = features[features["archetype"] == "healthy"].drop(columns="archetype")
    table.loc["healthy min"] = healthy.min()
    table.loc["healthy max"] = healthy.max()
    table.insert(0, "n", key["archetype"].value_counts())
    return table


def describe(root: Path) -> str:
    """Size and row count of every generated CSV."""
    lines = []
    for path in sorted(root.glob("**/*.csv")):
        rows = path.read_bytes().count(b"\n") - 1
        lines.append(
            f"{path.relative_to(root)!s:32} {path.stat().st_size:>9,} bytes {rows:>7,} rows"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Generate both example exports; optionally print the sanity table."""
    parser = argparse.ArgumentParser(description="Generate churnwatch's example exports.")
    parser.add_argument("--check", action="store_true", help="print per-archetype sanity figures")
    parser.add_argument(
        "--unfamiliar",
        type=Path,
        metavar="DIR",
        help="instead, write exports in unfamiliar vocabularies (test fixtures) to DIR",
    )
    args = parser.parse_args(argv)
    if args.unfamiliar:
        for rng, name in zip(
            np.random.default_rng(seed=SEED + 1).spawn(len(UNFAMILIAR)), UNFAMILIAR, strict=True
        ):
            write_unfamiliar(rng, name, args.unfamiliar)
        print(describe(args.unfamiliar))
        return
    rng_en, rng_de = np.random.default_rng(seed=SEED).spawn(2)
    write_english(rng_en, simulate(rng_en, COUNTS_EN), HERE / "exports")
    write_german(rng_de, simulate(rng_de, COUNTS_DE), HERE / "exports-de")
    print(describe(HERE))
    if args.check:
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(sanity_table(HERE).round(2).T.to_string())


if __name__ == "__main__":
    main()
