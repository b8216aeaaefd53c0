"""The lifecycle phase: where each relationship stands, from the customer's own history.

Computed before the rules, so a rule can test it (``phase == "degeneration"``).
"""

from __future__ import annotations

import numpy as np

from churnwatch.core.domain import Phase
from churnwatch.features.registry import Features, Inputs, Meaning, provides

LOST_AFTER_DAYS = 365
INITIATION_DAYS = 180
INITIATION_ORDERS = 3
DECLINE = -0.3
GROWTH = 0.2


@provides(
    "orders",
    needs=("revenue_change",),
    phase=Meaning(
        "phase",
        "lifecycle phase: initiation, growth, maturity, degeneration or lost",
        tuple(Phase),
    ),
)
def phase(inputs: Inputs) -> Features:
    values = inputs.features
    change = values["revenue_change"]
    labels = np.select(
        [
            values["days_since_last_order"] >= LOST_AFTER_DAYS,
            (values["tenure_days"] < INITIATION_DAYS) | (values["order_count"] < INITIATION_ORDERS),
            change <= DECLINE,
            change >= GROWTH,
        ],
        [Phase.LOST, Phase.INITIATION, Phase.DEGENERATION, Phase.GROWTH],
        default=Phase.MATURITY,
    )
    return {"phase": labels}
