"""The statistical base: what the BG/NBD model, fitted over all customers, says about each."""

from __future__ import annotations

import numpy as np

from churnwatch.features import bgnbd
from churnwatch.features.population import Population, repeat_history
from churnwatch.features.registry import Features, Inputs, provides

LOG_ODDS_LIMIT = 50.0
"""Beyond ±50 the odds are certain either way; the cap keeps the model's inputs finite."""


def no_order_log_odds(population: Population, horizon: float, after: float = 0.0) -> np.ndarray:
    """BG/NBD log-odds of no order within ``horizon`` days, starting ``after`` days past the
    reference date (given none until then); NaN everywhere when there is no fit."""
    fitted = population.statistical
    if fitted is None:
        return np.full(population.window.customers, np.nan)
    x, t_x, age = repeat_history(population.history, population.window.as_of)
    log_odds = bgnbd.logit_no_order(fitted.parameters, x, t_x, age + after, horizon)
    return np.clip(log_odds, -LOG_ODDS_LIMIT, LOG_ODDS_LIMIT)


@provides(
    "orders",
    needs=("order_days",),
    p_alive=("probability", "BG/NBD: probability that the customer is still a customer"),
    expected_orders_horizon=("orders", "BG/NBD: expected order days within the horizon"),
    p_no_order_horizon=("probability", "BG/NBD: probability of no order within the horizon"),
)
def statistical_base(inputs: Inputs) -> Features:
    """Missing for everyone when the model could not be fitted (the population step says why)."""
    population = inputs.population
    n = inputs.window.customers
    fitted = population.statistical
    if fitted is None:
        missing = np.full(n, np.nan)
        return dict.fromkeys(("p_alive", "expected_orders_horizon", "p_no_order_horizon"), missing)
    x, t_x, age = repeat_history(population.history, inputs.window.as_of)
    params, horizon = fitted.parameters, float(population.horizon_days)
    log_odds = no_order_log_odds(population, horizon)
    ordering = inputs.features["order_days"] > 0
    return {
        "p_alive": np.where(ordering, bgnbd.p_alive(params, x, t_x, age), np.nan),
        "expected_orders_horizon": np.where(
            ordering, bgnbd.expected_orders(params, x, t_x, age, horizon), np.nan
        ),
        "p_no_order_horizon": np.where(ordering, 1.0 / (1.0 + np.exp(-log_odds)), np.nan),
    }
