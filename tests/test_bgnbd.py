"""The BG/NBD model: the published CDNOW result, pinned values, stability, and a simulation."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from cdnow_data import MISSING, REFERENCE, data_file, write_orders
from churnwatch.api import open_exports
from churnwatch.config import Windows
from churnwatch.features import bgnbd, population_step
from churnwatch.features.population import repeat_history

# Fader, Hardie & Lee (2005): the 2,357-customer CDNOW sample, 39-week calibration period.
PUBLISHED = bgnbd.Parameters(r=0.243, alpha=4.414, a=0.793, b=2.426)
PUBLISHED_LOG_LIKELIHOOD = -9582.4


def direct_log_likelihood(p: bgnbd.Parameters, x: int, t_x: float, T: float) -> float:
    """Equation 6 of the paper, written out term by term with the standard library."""
    beta = lambda u, v: math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)  # noqa: E731
    common = math.lgamma(p.r + x) - math.lgamma(p.r) + p.r * math.log(p.alpha)
    alive = math.exp(beta(p.a, p.b + x) - beta(p.a, p.b) - (p.r + x) * math.log(p.alpha + T))
    dead = 0.0
    if x > 0:
        dead = math.exp(
            beta(p.a + 1, p.b + x - 1) - beta(p.a, p.b) - (p.r + x) * math.log(p.alpha + t_x)
        )
    return common + math.log(alive + dead)


@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 38.86), (1, 2.0, 30.0), (2, 30.43, 38.86)])
def test_log_likelihood_is_equation_6(x: int, t_x: float, T: float) -> None:
    ours = bgnbd.log_likelihood(PUBLISHED, np.array([x]), np.array([t_x]), np.array([T]))[0]
    assert ours == pytest.approx(direct_log_likelihood(PUBLISHED, x, t_x, T), rel=1e-12)


def test_the_published_worked_example() -> None:
    """x = 2, t_x = 30.43, T = 38.86 weeks: 1.226 purchases expected in the next 39 weeks."""
    expected = bgnbd.expected_orders(
        PUBLISHED, np.array([2.0]), np.array([30.43]), np.array([38.86]), 39.0
    )
    assert expected[0] == pytest.approx(1.226, abs=0.0005)


def test_no_order_is_the_silent_alive_or_the_dropped_out() -> None:
    """P(no order in t) = 1 − P(alive)·(1 − ((α+T)/(α+T+t))^(r+x))."""
    x, t_x, T, t = np.array([3.0]), np.array([20.0]), np.array([38.0]), 39.0
    alive = bgnbd.p_alive(PUBLISHED, x, t_x, T)[0]
    silent = ((PUBLISHED.alpha + 38.0) / (PUBLISHED.alpha + 38.0 + t)) ** (PUBLISHED.r + 3.0)
    log_odds = bgnbd.logit_no_order(PUBLISHED, x, t_x, T, t)[0]
    assert 1 / (1 + math.exp(-log_odds)) == pytest.approx(1 - alive * (1 - silent), rel=1e-12)


def test_extreme_histories_stay_finite() -> None:
    """One-time buyers, a first order on the reference day, huge counts, all on one day."""
    x = np.array([0.0, 0.0, 1e6, 5.0, 3.0])
    t_x = np.array([0.0, 0.0, 1e4, 0.0, 100.0])
    T = np.array([100.0, 0.0, 1e4, 0.0, 100.0])
    for values in (
        bgnbd.log_likelihood(PUBLISHED, x, t_x, T),
        bgnbd.p_alive(PUBLISHED, x, t_x, T),
        bgnbd.expected_orders(PUBLISHED, x, t_x, T, 90.0),
        bgnbd.logit_no_order(PUBLISHED, x, t_x, T, 90.0),
    ):
        assert np.isfinite(values).all()
    assert bgnbd.p_alive(PUBLISHED, x, t_x, T)[0] == 1.0  # nothing to drop out after


def test_expected_orders_stay_finite_when_dropout_is_all_but_certain() -> None:
    """A fit on a few customers put a and b near e¹² (seen on a 20-customer export): the
    hypergeometric series overflowed, every customer's expected orders were NaN and numpy
    warned on stderr. They are the limit of a fixed dropout probability instead, which the
    exact formula approaches as a and b grow."""
    x, t_x, T = (
        np.array([0.0, 1.0, 2.0, 5.0]),
        np.array([0.0, 30.0, 60.0, 100.0]),
        np.full(4, 200.0),
    )
    huge = bgnbd.Parameters(r=4.54, alpha=672.3, a=147570.0, b=35226.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may reach a cron job's mail
        extreme = bgnbd.expected_orders(huge, x, t_x, T, 90.0)
    assert np.isfinite(extreme).all() and (extreme > 0).all()
    large = bgnbd.Parameters(r=4.54, alpha=672.3, a=5000.0, b=1193.6)  # same a / (a + b)
    exact = bgnbd.expected_orders(large, x, t_x, T, 90.0)
    assert np.isfinite(exact).all()
    np.testing.assert_allclose(
        extreme / bgnbd.p_alive(huge, x, t_x, T), exact / bgnbd.p_alive(large, x, t_x, T), rtol=1e-3
    )


def test_a_fit_without_repeat_orders_is_refused() -> None:
    with pytest.raises(ValueError, match="no customer has ordered on two different days"):
        bgnbd.fit(np.zeros(50), np.zeros(50), np.full(50, 30.0))


def simulate(p: bgnbd.Parameters, n: int, T: float, seed: int) -> tuple[np.ndarray, ...]:
    """Customers drawn from the model: ``(x, t_x)`` over ``T``, and orders in the next ``T``."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(p.r, 1 / p.alpha, n)
    drop = rng.beta(p.a, p.b, n)
    x, t_x, later = np.zeros(n), np.zeros(n), np.zeros(n)
    clock = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    for _ in range(200):  # purchases happen one at a time for everyone still alive
        clock = np.where(alive, clock + rng.exponential(1 / np.maximum(rate, 1e-12)), clock)
        before, after = alive & (clock <= T), alive & (clock > T) & (clock <= 2 * T)
        x += before
        t_x = np.where(before, clock, t_x)
        later += after
        alive &= (clock <= 2 * T) & (rng.random(n) >= drop)
    return x, t_x, later


def test_the_fit_recovers_simulated_parameters_and_forecasts_no_orders() -> None:
    x, t_x, later = simulate(PUBLISHED, 40_000, 39.0, seed=5)
    T = np.full(x.size, 39.0)
    fitted = bgnbd.fit(x, t_x, T)
    assert fitted.converged
    assert fitted.parameters.r == pytest.approx(PUBLISHED.r, rel=0.1)
    assert fitted.parameters.alpha == pytest.approx(PUBLISHED.alpha, rel=0.15)
    no_order = 1 / (1 + np.exp(-bgnbd.logit_no_order(fitted.parameters, x, t_x, T, 39.0)))
    assert no_order.mean() == pytest.approx((later == 0).mean(), abs=0.01)
    for count in (0, 1, 2):
        group = x == count
        assert no_order[group].mean() == pytest.approx((later[group] == 0).mean(), abs=0.02)


@pytest.mark.skipif(data_file("sample") is None, reason=MISSING)
def test_the_published_cdnow_fit(tmp_path: Path) -> None:
    """Through churnwatch's own loading and population step: the parameters and likelihood of
    the paper (time in days here, so α/7 and the likelihood shifts by Σx·ln 7)."""
    folder = write_orders("sample", tmp_path / "cdnow")
    cut = open_exports(folder).cut(dt.date.fromisoformat(REFERENCE))
    population = population_step(cut, Windows())
    fitted = population.statistical
    assert fitted is not None and fitted.converged
    p = fitted.parameters
    assert (p.r, p.alpha / 7, p.a, p.b) == pytest.approx(
        (PUBLISHED.r, PUBLISHED.alpha, PUBLISHED.a, PUBLISHED.b), abs=0.0015
    )
    x, _, _ = repeat_history(population.history, cut.as_of)
    in_weeks = fitted.log_likelihood + x.sum() * math.log(7)
    assert in_weeks == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.05)
    assert fitted.customers == 2357
