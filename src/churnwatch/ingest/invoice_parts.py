"""Exports of invoices in parts: several rows per invoice, its lines or its part payments.

Accounting systems export invoice lines, and open-item lists a row per part payment. Rows
of one invoice share the invoice number, the customer and the due date. Counted as rows,
an invoice paid in three parts would be three invoices, each as late as its own part: the
invoice count inflated and the lateness an average over parts. Such rows are marked with
their invoice (the ``invoice`` column, one number per invoice), and the payment features
take each invoice once: paid when its last part was paid, open while any part is open, its
open amount what is still unpaid. The rows themselves stay: at an earlier reference date
fewer parts were paid.

Found, as order lines are, wherever an invoice's rows are; an export of one row per invoice
with its numbers in order costs a comparison of neighbouring rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from churnwatch.core.words import plural
from churnwatch.ingest.order_lines import documents_of
from churnwatch.ingest.problems import Level, Problem, Reason

if TYPE_CHECKING:
    from churnwatch.ingest.dataset import SourceFrame

INVOICE = "invoice"
"""The column numbering each payments row's invoice, where invoices have several rows."""


def number_invoice_parts(payments: SourceFrame) -> list[Problem]:
    """Mark the rows that are parts of one invoice (same invoice number, customer and due
    date) with that invoice's number; a note says how many."""
    frame = payments.frame
    documents = documents_of(payments, "invoice_id", "due_date")
    if documents is None:
        return []
    payments.frame = frame.assign(**{INVOICE: documents.group.astype(np.int64)})
    parts = np.flatnonzero(~documents.first)
    invoices = int(np.count_nonzero(np.bincount(documents.group[parts])))
    return [
        Problem(
            payments.name,
            payments.path.name,
            Reason.INVOICE_PARTS,
            invoice_parts_found(parts.size, invoices),
            column="invoice_id",
            count=parts.size,
            lines=payments.table.first_lines(frame.index.to_numpy()[parts]),
            level=Level.NOTE,
            tally=(parts.size, invoices),
            wording=invoice_parts_found,
        )
    ]


def invoice_parts_found(parts: int, invoices: int) -> str:
    """What numbering the parts of invoices found, counted."""
    verb = "is a further part" if parts == 1 else "are further parts"
    return (
        f"{plural(parts, 'row')} {verb} (a line or a part payment) of"
        f" {plural(invoices, 'invoice')} (the same invoice number, customer and due date):"
        " each invoice counts once, paid when its last part was paid, its open amount"
        " what is still unpaid"
    )
