"""The lifecycle phase: where each relationship stands, from the customer's own history and
the statistical base. Computed before the rules, so a rule can test it
(``phase == "degeneration"``); the thresholds are ``[lifecycle]`` in the configuration.

- **lost**: no order for ``lost_after_days``; or no order for ``lost_min_days`` and either a
  single order day so far or a BG/NBD probability of still being a customer below
  ``lost_p_alive``;
- **initiation**: the first order lies less than ``initiation_days`` back;
- **degeneration**: revenue or order frequency fell to ``decline`` (−30 %) of the baseline or
  below, or the customer is ``overdue_ratio`` times their usual gap overdue;
- **growth**: revenue rose by ``growth`` (+20 %) or more;
- **maturity**: everyone else (also when there is no baseline to compare with).
"""

from __future__ import annotations

import numpy as np

from churnwatch.core.domain import Phase
from churnwatch.features.registry import Features, Inputs, Meaning, provides

MIN_ORDERS = 2
"""Revenue and frequency of the recent window are compared with the baseline only where it
holds at least this many orders, or the customer's usual rhythm expects that many."""


@provides(
    "orders",
    needs=(
        "days_since_last_order",
        "order_days",
        "tenure_days",
        "p_alive",
        "revenue_change",
        "order_frequency_change",
        "overdue_ratio",
        "orders_expected_recent",
        "orders_recent",
    ),
    phase=Meaning(
        "phase",
        "lifecycle phase: initiation, growth, maturity, degeneration or lost",
        tuple(Phase),
    ),
)
def phase(inputs: Inputs) -> Features:
    values, limits = inputs.features, inputs.population.lifecycle
    silent = values["days_since_last_order"]
    unlikely = (values["order_days"] <= 1) | (values["p_alive"] < limits.lost_p_alive)
    lost = (silent >= limits.lost_after_days) | ((silent >= limits.lost_min_days) & unlikely)
    # Windows compare only where the recent window holds two orders or more, or the usual
    # rhythm expects that many: a quarterly customer's 90 days hold one order or none by the
    # calendar alone, and none is no decline.
    comparable = (values["orders_expected_recent"] >= MIN_ORDERS) | (
        values["orders_recent"] >= MIN_ORDERS
    )
    declining = (
        comparable
        & (
            (values["revenue_change"] <= limits.decline)
            | (values["order_frequency_change"] <= limits.decline)
        )
    ) | (values["overdue_ratio"] >= limits.overdue_ratio)
    labels = np.select(
        [
            lost,
            values["tenure_days"] < limits.initiation_days,
            declining,
            comparable & (values["revenue_change"] >= limits.growth),
        ],
        [Phase.LOST, Phase.INITIATION, Phase.DEGENERATION, Phase.GROWTH],
        default=Phase.MATURITY,
    )
    return {"phase": labels}
