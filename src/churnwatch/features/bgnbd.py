"""The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While a customer is alive, orders arrive as a Poisson process with rate λ ~ Gamma(r, α);
right after each repeat order the customer drops out with probability p ~ Beta(a, b). Per
customer the data are ``x`` (repeat order days), ``t_x`` (days from the first to the last
order day) and ``T`` (days from the first order day to the reference date).

The four population parameters are fitted once over all customers by maximum likelihood
(log-parameters, L-BFGS-B with the analytic gradient, identical ``(x, t_x, T)`` triples
grouped); per customer the model gives P(alive), the expected orders and the probability of
no order within a horizon. Everything is computed in log space, so large counts, one-time
buyers (x = 0) and histories on a single day stay finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from types import ModuleType


def scipy_parts() -> tuple[ModuleType, ModuleType]:
    """scipy's optimizer and special functions, imported when a model is fitted rather than
    when churnwatch starts (0.6 s; the scan imports them on the side while it reads)."""
    from scipy import optimize, special

    return optimize, special


LOG_BOUNDS = (-12.0, 12.0)
"""Bounds of the log-parameters: wide enough for any time unit."""
GRADIENT_TOLERANCE = 1e-5
"""A solution whose gradient (of the mean log-likelihood) is this flat is an optimum, even
when the line search gave up on the last digits."""


@dataclass(frozen=True)
class Parameters:
    r: float
    alpha: float
    """In the time unit of the data it was fitted on (days in churnwatch)."""
    a: float
    b: float


@dataclass(frozen=True)
class Fit:
    parameters: Parameters
    log_likelihood: float
    """Summed over all customers."""
    converged: bool
    message: str
    at_bound: tuple[str, ...]
    """Parameters at a bound. Only ``a`` and ``b`` may be: no dropout is visible in the data
    (the model's limit is then a plain NBD); ``r`` or ``alpha`` there mean a degenerate fit."""
    customers: int


def _mixture_terms(
    p: Parameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The log-weights of 'alive at T' and 'dropped out after the last order' (−inf if x = 0)."""
    repeat = x > 0
    alive = -(p.r + x) * np.log(p.alpha + T)
    b_x = np.where(repeat, p.b + x - 1.0, 1.0)
    dead = np.where(repeat, np.log(p.a) - np.log(b_x) - (p.r + x) * np.log(p.alpha + t_x), -np.inf)
    return alive, dead, repeat


def log_likelihood(p: Parameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's log-likelihood (FHL 2005, equation 6)."""
    _, special = scipy_parts()
    alive, dead, _ = _mixture_terms(p, x, t_x, T)
    distinct_x, x_index = np.unique(x, return_inverse=True)
    return (
        special.gammaln(p.r + x)
        - special.gammaln(p.r)
        + p.r * np.log(p.alpha)
        + _DropoutSums.of(p.a, p.b, distinct_x).log_beta_ratio[x_index]
        + np.logaddexp(alive, dead)
    )


@dataclass(frozen=True)
class _DropoutSums:
    """The terms of ``p ~ Beta(a, b)`` per repeat count ``x``, as sums over ``k < x``:

    - ``B(a, b + x) / B(a, b)``, in logs: ``Σ ln((b + k) / (a + b + k))``;
    - ``ψ(a + b + x) − ψ(a + b)``: ``Σ 1 / (a + b + k)``;
    - ``ψ(b + x) − ψ(b)``: ``Σ 1 / (b + k)``.

    Differences of ``betaln`` and ``digamma`` at large arguments cancel: when no dropout is
    visible (regular customers), the fit drives ``a`` and ``b`` into the thousands, where each
    ``betaln`` is about −10⁴ and its difference of order one lost the last digits the line
    search needs. The optimiser then stopped short of its tolerance on one day and not the
    next, and the statistical base came and went. The sums keep every digit (``x`` counts
    order days, so they are short)."""

    log_beta_ratio: np.ndarray
    inverse_ab: np.ndarray
    inverse_b: np.ndarray

    @classmethod
    def of(cls, a: float, b: float, distinct_x: np.ndarray) -> _DropoutSums:
        k = np.arange(int(distinct_x.max(initial=0)), dtype=np.float64)
        upto = distinct_x.astype(np.intp)

        def summed(terms: np.ndarray) -> np.ndarray:
            return np.concatenate([[0.0], np.cumsum(terms)])[upto]

        return cls(
            summed(np.log1p(-a / (a + b + k))), summed(1.0 / (a + b + k)), summed(1.0 / (b + k))
        )


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Fit:
    """Maximum-likelihood fit. Raises ``ValueError`` when no customer has a repeat order
    (the parameters are then not identifiable); a fit that does not converge says so."""
    optimize, _ = scipy_parts()
    informative = T > 0  # a first order on the reference day tells nothing yet
    xs, ts, Ts, weights = _grouped(x[informative], t_x[informative], T[informative])
    if xs.size == 0 or float(weights @ xs) == 0.0:
        raise ValueError("no customer has ordered on two different days")
    distinct_x, x_index = np.unique(xs, return_inverse=True)
    rate = float(weights @ xs) / max(float(weights @ Ts), 1e-12)
    start = np.log([1.0, np.clip(1.0 / max(rate, 1e-12), 1e-4, 1e4), 1.0, 1.0])
    result = optimize.minimize(
        _loss,
        start,
        args=(xs, ts, Ts, weights, distinct_x, x_index),
        jac=True,
        method="L-BFGS-B",
        bounds=[LOG_BOUNDS] * 4,
        options={"gtol": 1e-9, "ftol": 1e-15, "maxiter": 1000, "maxcor": 20},
    )
    r, alpha, a, b = np.exp(result.x)
    bound = [min(v - LOG_BOUNDS[0], LOG_BOUNDS[1] - v) < 1e-6 for v in result.x]
    free = ~np.array(bound)
    flat = bool(np.all(np.abs(result.jac[free]) < GRADIENT_TOLERANCE))
    return Fit(
        Parameters(float(r), float(alpha), float(a), float(b)),
        -float(result.fun) * float(weights.sum()),
        bool(result.success) or flat,
        str(result.message),
        tuple(name for name, hit in zip(("r", "alpha", "a", "b"), bound, strict=True) if hit),
        int(x.size),
    )


def _grouped(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(x, t_x, T)`` triples and how many customers share each."""
    order = np.lexsort((T, t_x, x))
    xs, ts, Ts = x[order], t_x[order], T[order]
    new = np.ones(xs.size, dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]) | (ts[1:] != ts[:-1]) | (Ts[1:] != Ts[:-1])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, xs.size)).astype(np.float64)
    return xs[starts], ts[starts], Ts[starts], counts


def _loss(
    theta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    w: np.ndarray,
    distinct_x: np.ndarray,
    x_index: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its gradient in the log-parameters. Functions of
    ``x`` alone are evaluated once per distinct ``x`` (repeat counts take few values)."""
    _, special = scipy_parts()
    r, alpha, a, b = np.exp(theta)
    p = Parameters(r, alpha, a, b)
    total = float(w.sum())
    alive, dead, repeat = _mixture_terms(p, x, t_x, T)
    mixture = np.logaddexp(alive, dead)
    w_dead = np.exp(dead - mixture)
    w_alive = 1.0 - w_dead
    dropout = _DropoutSums.of(a, b, distinct_x)
    of_x = (special.gammaln(r + distinct_x) + dropout.log_beta_ratio)[x_index]
    constant = -special.gammaln(r) + r * np.log(alpha)
    ll = float(w @ (of_x + mixture)) + constant * total
    b_x = np.where(repeat, b + x - 1.0, 1.0)
    d_r = (
        float(
            w
            @ (
                special.digamma(r + distinct_x)[x_index]
                - w_alive * np.log(alpha + T)
                - w_dead * np.log(alpha + t_x)
            )
        )
        + (np.log(alpha) - special.digamma(r)) * total
    )
    d_alpha = -float(w @ ((r + x) * (w_alive / (alpha + T) + w_dead / (alpha + t_x))))
    d_alpha += r / alpha * total
    d_a = float(w @ (w_dead / a - dropout.inverse_ab[x_index]))
    d_b = float(
        w
        @ ((dropout.inverse_b - dropout.inverse_ab)[x_index] - np.where(repeat, w_dead / b_x, 0.0))
    )
    gradient = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return -ll / total, -gradient / total


def _log_alive(
    p: Parameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(log P(alive at T), log P(dropped out))`` (FHL 2005, equation 11)."""
    alive, dead, _ = _mixture_terms(p, x, t_x, T)
    log_alive = -np.logaddexp(0.0, dead - alive)
    return log_alive, dead - alive + log_alive


def p_alive(p: Parameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(still a customer at T); 1 for a customer with one order day (nothing to drop out
    after)."""
    return np.exp(_log_alive(p, x, t_x, T)[0])


def logit_no_order(
    p: Parameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, horizon: float
) -> np.ndarray:
    """log-odds of no order in ``(T, T + horizon]``.

    Alive at T, the customer stays alive until the next order, so 'no order' means no Poisson
    event: E[exp(−λ·horizon)] with λ ~ Gamma(r + x, α + T), i.e. ((α+T)/(α+T+horizon))^(r+x).
    A customer who dropped out never orders again.
    """
    log_alive, log_dead = _log_alive(p, x, t_x, T)
    log_silent = -(p.r + x) * np.log1p(horizon / (p.alpha + T))
    log_none = np.logaddexp(log_dead, log_alive + log_silent)
    log_some = log_alive + np.log(-np.expm1(log_silent))
    return log_none - log_some


def expected_orders(
    p: Parameters, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, horizon: float
) -> np.ndarray:
    """Expected order days in ``(T, T + horizon]`` (FHL 2005, equation 10).

    Written with Euler's transformation of the hypergeometric function so that its arguments
    stay bounded for large ``x``; the removable singularity at a = 1 is stepped around.
    Where ``a`` is so large (thousands: a fit on few customers whose dropout is all but
    certain) that the series overflows, the dropout's Beta distribution is all but a point,
    and the expectation is taken at that point (:func:`_fixed_dropout`).
    """
    import pandas as pd

    # the series depends on the order days and the age alone: each distinct pair once (a
    # shop of one-off buyers has millions of customers and a few thousand pairs)
    where, pairs = pd.factorize(x + 1j * T, use_na_sentinel=False)
    core = _orders_if_alive(p, pairs.real, pairs.imag, horizon)[where]
    return p_alive(p, x, t_x, T) * core


def _orders_if_alive(p: Parameters, x: np.ndarray, T: np.ndarray, horizon: float) -> np.ndarray:
    """Expected order days in ``(T, T + horizon]`` of a customer alive at ``T``."""
    _, special = scipy_parts()
    a = p.a if abs(p.a - 1.0) >= 1e-5 else 1.0 + 1e-5
    z = horizon / (p.alpha + T + horizon)
    c = a + p.b + x - 1.0
    with np.errstate(all="ignore"):  # overflow: see below
        hyper = special.hyp2f1(a - 1.0, a + p.b - 1.0 - p.r, c, z)
        core = c / (a - 1.0) * (1.0 - np.exp((a - 1.0) * np.log1p(-z)) * hyper)
    if not np.isfinite(core).all():
        core = np.where(np.isfinite(core), core, _fixed_dropout(p, x, T, horizon))
    return np.asarray(core)


def _fixed_dropout(p: Parameters, x: np.ndarray, T: np.ndarray, horizon: float) -> np.ndarray:
    """Expected order days in ``(T, T + horizon]`` of a customer alive at ``T``, when every
    customer drops out with the same probability ``q = a / (a + b)`` after an order (the limit
    of a Beta(a, b) with a + b large): for a rate λ that is ``(1 − exp(−λ q h)) / q``, and
    over λ ~ Gamma(r + x, α + T), ``(1 − ((α + T) / (α + T + q h))^(r + x)) / q``."""
    q = p.a / (p.a + p.b)
    return np.asarray(-np.expm1(-(p.r + x) * np.log1p(q * horizon / (p.alpha + T))) / q)
