"""The canonical sources and columns churnwatch understands.

Everything that needs to know which columns exist — the loader, the configuration checks,
``init`` and the reference-date cut — reads them from here, so adding a column is a one-line
change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's text is turned into a value."""

    ID = "id"
    DATE = "date"
    NUMBER = "number"
    TEXT = "text"
    CATEGORY = "category"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    vocabulary: tuple[str, ...] = ()
    description: str = ""
    may_be_empty: bool = False
    """A required column whose cells may still be empty (an open invoice has no paid date)."""
    settles: bool = False
    """A date that settles the row (paid, closed): one after the reference date is still open."""
    ordinal: bool = False
    """The vocabulary is a scale, least to most: values can be placed by the ranks in them."""
    derived_from: tuple[str, ...] = ()
    """Columns a required one is worked out from where the export lacks it: a date and a
    number of days after it (the due date: the invoice date plus the payment terms)."""
    to_derive: bool = False
    """Read only to work out a column the export lacks (the payment terms, where there is
    no due date)."""

    @property
    def value_required(self) -> bool:
        return self.required and not self.may_be_empty


@dataclass(frozen=True)
class Source:
    name: str
    default_file: str
    columns: tuple[Column, ...]
    description: str = ""
    required: bool = False
    event_date: str | None = None
    """The date that places a row in time: rows after the reference date are not yet known."""

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CHANNELS = ("inbound", "outbound")
OUTCOMES = ("reached", "not_reached")
SEVERITIES = ("low", "medium", "high")

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "orders",
            "orders.csv",
            (
                Column("customer_id", Kind.ID, True, description="who ordered"),
                Column("order_date", Kind.DATE, True, description="when the order was placed"),
                Column("amount", Kind.NUMBER, True, description="order value (net)"),
                Column("order_id", Kind.TEXT, description="order or document number"),
                Column(
                    "channel",
                    Kind.CATEGORY,
                    vocabulary=CHANNELS,
                    description="who initiated the order: inbound (customer) or outbound (sales)",
                ),
            ),
            "one row per order",
            required=True,
            event_date="order_date",
        ),
        Source(
            "payments",
            "payments.csv",
            (
                Column("customer_id", Kind.ID, True, description="who was invoiced"),
                Column(
                    "due_date",
                    Kind.DATE,
                    True,
                    description="when payment was due (else: invoice_date + payment_terms)",
                    derived_from=("invoice_date", "payment_terms"),
                ),
                Column(
                    "paid_date",
                    Kind.DATE,
                    True,
                    description="when it was paid; empty = open",
                    may_be_empty=True,
                    settles=True,
                ),
                Column(
                    "amount",
                    Kind.NUMBER,
                    True,
                    description="invoice amount (negative: a credit note, no debt)",
                ),
                Column("invoice_id", Kind.TEXT, description="invoice number"),
                Column("invoice_date", Kind.DATE, description="when the invoice was issued"),
                Column(
                    "payment_terms",
                    Kind.NUMBER,
                    description="days from the invoice date to the due date, where the export"
                    " has no due date",
                    to_derive=True,
                ),
            ),
            "one row per invoice",
            event_date="invoice_date",
        ),
        Source(
            "complaints",
            "complaints.csv",
            (
                Column("customer_id", Kind.ID, True, description="who complained"),
                Column("opened_date", Kind.DATE, True, description="when the complaint came in"),
                Column(
                    "closed_date",
                    Kind.DATE,
                    description="when it was resolved; empty = open",
                    settles=True,
                ),
                Column(
                    "severity",
                    Kind.CATEGORY,
                    vocabulary=SEVERITIES,
                    description="low, medium or high",
                    ordinal=True,
                ),
                Column("category", Kind.TEXT, description="what the complaint was about"),
            ),
            "one row per complaint",
            event_date="opened_date",
        ),
        Source(
            "contacts",
            "contacts.csv",
            (
                Column("customer_id", Kind.ID, True, description="who was contacted"),
                Column("contact_date", Kind.DATE, True, description="when"),
                Column(
                    "outcome",
                    Kind.CATEGORY,
                    True,
                    vocabulary=OUTCOMES,
                    description="reached or not_reached",
                ),
                Column(
                    "direction",
                    Kind.CATEGORY,
                    vocabulary=CHANNELS,
                    description="who made contact: inbound (customer) or outbound (us)",
                ),
                Column("channel", Kind.TEXT, description="phone, email, visit, …"),
            ),
            "one row per contact attempt",
            event_date="contact_date",
        ),
        Source(
            "customers",
            "customers.csv",
            (
                Column("customer_id", Kind.ID, True, description="the customer number"),
                Column("name", Kind.TEXT, description="company or person name"),
                Column("segment", Kind.TEXT, description="segment or class"),
                Column("owner", Kind.TEXT, description="account manager"),
                Column("email", Kind.TEXT, description="contact e-mail"),
                Column(
                    "owner_email",
                    Kind.TEXT,
                    description="the account manager's e-mail (report --split-by owner mails"
                    " each their report)",
                ),
            ),
            "customer master data, one row per customer",
        ),
    )
}
