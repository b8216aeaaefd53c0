"""Contact features: is the customer still reachable?"""

from __future__ import annotations

from churnwatch.features.aggregate import count, ratio
from churnwatch.features.registry import Features, Inputs, provides

NOT_REACHED = 1
"""Code of "not_reached" in the outcome vocabulary (reached, not_reached)."""


@provides(
    "contacts",
    contact_attempts_recent=("contacts", "contact attempts in the recent window"),
    not_reached_share_recent=(
        "fraction",
        "share of attempts that did not reach the customer, recent window",
    ),
    not_reached_share_baseline=(
        "fraction",
        "share of attempts that did not reach the customer, baseline window",
    ),
    not_reached_change=("fraction", "not-reached share recent − baseline (share points)"),
)
def reachability(inputs: Inputs) -> Features:
    contacts, window = inputs.cut.frame("contacts"), inputs.window
    codes = contacts["customer"].to_numpy()
    days = contacts["contact_date"].to_numpy()
    missed = contacts["outcome"].cat.codes.to_numpy() == NOT_REACHED
    n = window.customers
    recent, baseline = window.recent(days), window.baseline(days)
    share_recent = ratio(count(codes, n, recent & missed), count(codes, n, recent))
    share_baseline = ratio(count(codes, n, baseline & missed), count(codes, n, baseline))
    return {
        "contact_attempts_recent": count(codes, n, recent),
        "not_reached_share_recent": share_recent,
        "not_reached_share_baseline": share_baseline,
        "not_reached_change": share_recent - share_baseline,
    }
