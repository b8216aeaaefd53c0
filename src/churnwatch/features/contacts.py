"""Contact features: is the customer still reachable?"""

from __future__ import annotations

from churnwatch.features.aggregate import count, known_share
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
    outcome = contacts["outcome"].cat.codes.to_numpy()
    missed, known = outcome == NOT_REACHED, outcome >= 0
    n = window.customers
    recent, baseline = window.recent(days), window.baseline(days)
    share_recent = known_share(codes, n, recent, missed, known)
    share_baseline = known_share(codes, n, baseline, missed, known)
    return {
        "contact_attempts_recent": count(codes, n, recent),
        "not_reached_share_recent": share_recent,
        "not_reached_share_baseline": share_baseline,
        "not_reached_change": share_recent - share_baseline,
    }
