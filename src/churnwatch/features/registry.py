"""The feature registry: every feature's name, source, unit and meaning, in one place.

``churnwatch features``, the rule checker ("unknown feature … did you mean …") and the JSON
schema are all generated from this list; a test fails if a computed feature is missing here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    source: str
    unit: str
    description: str


def _specs(source: str, rows: str) -> dict[str, FeatureSpec]:
    specs = {}
    for line in rows.strip().splitlines():
        name, unit, description = (part.strip() for part in line.split("|"))
        specs[name] = FeatureSpec(name, source, unit, description)
    return specs


FEATURES: dict[str, FeatureSpec] = {
    **_specs(
        "orders",
        """
        order_count | orders | orders up to the reference date (credit notes, i.e. negative amounts, are not orders)
        first_order_date | date | date of the first order
        last_order_date | date | date of the latest order
        tenure_days | days | days since the first order
        days_since_last_order | days | days since the latest order
        typical_gap_days | days | median days between order days (needs 3 order days)
        overdue_ratio | ratio | days since the latest order ÷ typical gap
        orders_recent | orders | orders in the recent window
        orders_baseline | orders | orders in the baseline window
        order_rate_recent | orders/day | orders per day in the recent window
        order_rate_baseline | orders/day | orders per day in the baseline window (days as a customer)
        order_frequency_change | fraction | order rate recent ÷ baseline − 1
        orders_expected_recent | orders | orders the baseline rate predicts for the recent window
        avg_order_value_recent | amount | mean value of orders in the recent window (credit notes excluded)
        avg_order_value_baseline | amount | mean value of orders in the baseline window (credit notes excluded)
        order_value_change | fraction | average order value recent ÷ baseline − 1
        revenue_recent | amount | net revenue in the recent window
        revenue_baseline | amount | net revenue in the baseline window
        revenue_change | fraction | revenue per day recent ÷ baseline − 1
        lifetime_revenue | amount | net revenue up to the reference date
        outbound_share_recent | fraction | share of sales-initiated orders in the recent window
        outbound_share_baseline | fraction | share of sales-initiated orders in the baseline window
        outbound_share_change | fraction | outbound share recent − baseline (share points)
        longest_gap_days | days | longest time between two order days
        returned_after_days | days | length of the latest long lapse (≥ 180 days and ≥ 4 typical gaps) if the customer came back from it within the last 180 days
        """,
    ),
    **_specs(
        "payments",
        """
        invoices_recent | invoices | invoices due in the recent window
        days_late_recent | days | mean days late of invoices due in the recent window (open ones: until the reference date)
        days_late_baseline | days | mean days late of invoices due in the baseline window
        days_late_change | days | mean days late recent − baseline
        open_overdue_invoices | invoices | open invoices past their due date
        open_overdue_amount | amount | amount of open invoices past their due date
        max_days_overdue | days | days the oldest open invoice is past due
        """,
    ),
    **_specs(
        "complaints",
        """
        complaints_recent | complaints | complaints opened in the recent window
        complaints_baseline | complaints | complaints opened in the baseline window
        complaint_rate_recent | complaints/90 days | complaints per 90 days, recent window
        complaint_rate_baseline | complaints/90 days | complaints per 90 days, baseline window (days as a customer)
        open_complaints | complaints | complaints still open at the reference date
        oldest_open_complaint_days | days | age of the oldest open complaint
        median_resolution_days | days | median days to close complaints opened in the recent and baseline windows
        high_severity_recent | complaints | high-severity complaints in the recent window
        """,
    ),
    **_specs(
        "contacts",
        """
        contact_attempts_recent | contacts | contact attempts in the recent window
        not_reached_share_recent | fraction | share of attempts that did not reach the customer, recent window
        not_reached_share_baseline | fraction | share of attempts that did not reach the customer, baseline window
        not_reached_change | fraction | not-reached share recent − baseline (share points)
        """,
    ),
}

DATE_FEATURES = frozenset(name for name, spec in FEATURES.items() if spec.unit == "date")


def features_of(source: str) -> list[str]:
    return [name for name, spec in FEATURES.items() if spec.source == source]
