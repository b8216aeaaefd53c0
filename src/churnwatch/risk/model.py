"""The risk model: a statistical base combined with the warning rules as a leaky noisy-OR.

``risk = 1 − (1 − base) · Π (1 − pᵢ)`` over the rules that fired: each fired rule is one more
independent reason the customer may place no order within the horizon, with probability
``pᵢ``, and ``base`` is a logistic model over a few base terms (recency, frequency, tenure,
order value, the BG/NBD model's own forecast). So a rule can only raise a risk, its share of a
customer's risk can be shown, and a rule that fires says how much it means on its own.

Fitted by penalised maximum likelihood on the export's own history: the base coefficients
shrink towards zero, each rule's probability towards its configured weight (a Beta prior worth
:data:`PRIOR_CUSTOMERS` customers), so a rule that rarely fired in the past keeps its weight
and one that fired often gets what the data says. Pinned rules keep their weight.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

COEFFICIENT_PENALTY = 1.0
"""L2 penalty on the standardised base coefficients (the intercept is free)."""
PRIOR_CUSTOMERS = 20
"""How many customers' worth of evidence each rule's configured weight counts as: the prior
of its probability is a Beta distribution with that weight as its mode, as if that many
customers had been seen with it."""
PROBABILITY_LIMITS = (1e-4, 1 - 1e-4)
EXTRAPOLATION = 3.0
"""Standard deviations beyond the training range a term may reach."""
GRADIENT_TOLERANCE = 1e-8
"""The fit stops when no parameter's gradient (per training row) exceeds this. A rule that
rarely fired is held mostly by its prior, so the likelihood is nearly flat along its
probability: a looser stop (L-BFGS's 1e-5, as before) left such a rule's log-odds a few
hundredths from the optimum, and where depended on the path taken."""
MAX_TRAINING_ROWS = 100_000
"""Above this, rows on which no rule fired are thinned (every k-th, weighted k): the few
coefficients are as well determined, and the fit stays well under a second."""


@dataclass(frozen=True)
class RiskModel:
    terms: tuple[str, ...]
    """Names of the base terms, in the order of the matrix columns."""
    low: np.ndarray
    high: np.ndarray
    """How far each term may go: the range of the training rows widened by
    :data:`EXTRAPOLATION` spreads. Beyond it a value is taken at the edge, so a customer unlike
    any seen in training (a new one, when all were old) is not extrapolated to a certainty."""
    center: np.ndarray
    scale: np.ndarray
    intercept: float
    coefficients: np.ndarray
    rule_ids: tuple[str, ...]
    rule_probability: np.ndarray
    fitted: bool
    """The weights come from a fit that converged (False: the configured ones, or no fit)."""

    def base(self, terms: np.ndarray) -> np.ndarray:
        """The base probability of no order in the horizon, per customer."""
        return expit(self._logit(terms))

    def risk(self, terms: np.ndarray, fired: np.ndarray) -> np.ndarray:
        """Base and fired rules combined (rows: customers; ``fired``: customers × rules)."""
        return 1.0 - np.exp(_log_stay(self._logit(terms), fired, self._rule_logit(), by_row=True))

    def contributions(self, terms: np.ndarray, fired: np.ndarray) -> np.ndarray:
        """How much each fired rule adds: the risk minus the risk without that rule."""
        stay = 1.0 - self.risk(terms, fired)[:, None]
        stay_without = stay / np.maximum(1.0 - self.rule_probability, 1e-12)
        return np.where(fired, np.minimum(stay_without, 1.0) - stay, 0.0)

    def _logit(self, terms: np.ndarray) -> np.ndarray:
        standard = (np.clip(terms, self.low, self.high) - self.center) / self.scale
        return self.intercept + row_sums(np.nan_to_num(standard, nan=0.0), self.coefficients)

    def _rule_logit(self) -> np.ndarray:
        return _logit(np.clip(self.rule_probability, *PROBABILITY_LIMITS))


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function, scipy's (numerically safe), imported on first use: scipy costs
    0.6 s to import, which the scan spends on the side while it reads the exports."""
    from scipy.special import expit as logistic

    return np.asarray(logistic(x))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _log_stay(
    base_logit: np.ndarray, fired: np.ndarray, rule_logit: np.ndarray, *, by_row: bool = False
) -> np.ndarray:
    """log P(an order in the horizon) = log(1 − base) + Σ log(1 − pᵢ) over fired rules
    (``by_row``: each row summed on its own, see :func:`row_sums`)."""
    per_rule = np.logaddexp(0.0, rule_logit)
    fired_sum = row_sums(fired, per_rule) if by_row else fired @ per_rule
    return -np.logaddexp(0.0, base_logit) - fired_sum


def row_sums(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``matrix @ weights``, each row's sum computed from that row alone.

    A BLAS product may round a row differently depending on where it sits in the matrix
    (blocking, threads), by one unit in the last place: enough to reorder tied customers
    between the whole export and its parts on a Dask cluster. Summing each row on its own
    gives every customer the same bits wherever they are scored."""
    rows = np.ascontiguousarray(matrix)  # the summation order follows the memory layout
    return np.asarray((rows * weights).sum(axis=1), dtype=np.float64)


def default_model(
    terms: tuple[str, ...], base_term: str | None, rule_ids: tuple[str, ...], weights: np.ndarray
) -> RiskModel:
    """The model without a fit: the base is ``base_term`` read as a log-odds (the statistical
    model's own forecast), or no base at all; each rule's probability is its weight."""
    coefficients = np.array([1.0 if name == base_term else 0.0 for name in terms])
    intercept = 0.0 if base_term is not None else -30.0  # no base: P(no order) ≈ 0
    return RiskModel(
        terms,
        np.full(len(terms), -np.inf),
        np.full(len(terms), np.inf),
        np.zeros(len(terms)),
        np.ones(len(terms)),
        intercept,
        coefficients,
        rule_ids,
        np.asarray(weights, dtype=float) / 100.0,
        fitted=False,
    )


def fit_model(
    terms: tuple[str, ...],
    values: np.ndarray,
    labels: np.ndarray,
    *,
    rule_ids: tuple[str, ...],
    fired: np.ndarray,
    weights: np.ndarray,
    pinned: np.ndarray,
) -> RiskModel:
    """Penalised maximum likelihood over the training rows (features at the training cut-off,
    label 1 = no order in the horizon that followed). Deterministic: same data, same model."""
    with warnings.catch_warnings():  # a term with no value in any row: centred at 0 below
        warnings.simplefilter("ignore", RuntimeWarning)
        center = np.nanmean(values, axis=0) if len(values) else np.zeros(len(terms))
        scale = np.nanstd(values, axis=0) if len(values) else np.ones(len(terms))
    center = np.nan_to_num(center)
    scale = np.where(np.nan_to_num(scale) > 1e-9, np.nan_to_num(scale), 1.0)
    standard = np.nan_to_num((values - center) / scale, nan=0.0)
    prior = np.clip(np.asarray(weights, dtype=float) / 100.0, *PROBABILITY_LIMITS)
    free = ~np.asarray(pinned, dtype=bool)
    rows, row_weight = thinned(fired)
    problem = _Likelihood(
        standard[rows], labels[rows].astype(float), fired[rows].astype(float), prior, free
    )
    problem.weight = row_weight
    start = np.concatenate([[_logit(np.clip(labels.mean(), 0.01, 0.99))], np.zeros(len(terms))])
    start = np.concatenate([start, _logit(prior)[free]])
    from scipy.optimize import minimize

    solution = minimize(
        problem.loss,
        start,
        jac=True,
        hess=problem.hessian,
        method="trust-exact",  # Newton steps: about ten, where L-BFGS took sixty to a hundred
        options={"gtol": GRADIENT_TOLERANCE},
    )
    intercept, coefficients, rule_logit = problem.unpack(solution.x)
    flat = bool(np.all(np.abs(solution.jac) < 1e-4))
    low, high = _range(values)
    low, high = low - EXTRAPOLATION * scale, high + EXTRAPOLATION * scale
    return RiskModel(
        terms,
        low,
        high,
        center,
        scale,
        intercept,
        coefficients,
        rule_ids,
        expit(rule_logit),
        fitted=bool(solution.success) or flat,
    )


def _range(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's smallest and largest value; unbounded where a column has none."""
    missing = np.isnan(values)
    low = np.where(missing, np.inf, values).min(axis=0, initial=np.inf)
    high = np.where(missing, -np.inf, values).max(axis=0, initial=-np.inf)
    return np.where(np.isinf(low), -np.inf, low), np.where(np.isinf(high), np.inf, high)


def thinned(fired: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training rows to fit on and their weights, at most about :data:`MAX_TRAINING_ROWS`:
    every k-th row (weight k), rows on which a rule fired and the others thinned apart, so a
    rare rule keeps its evidence."""
    rows = np.arange(fired.shape[0])
    if rows.size <= MAX_TRAINING_ROWS:
        return rows, np.ones(rows.size)
    signal = np.asarray(fired.any(axis=1), dtype=bool)
    flagged, quiet = rows[signal], rows[~signal]
    flagged_step = -(-flagged.size // (MAX_TRAINING_ROWS // 2))
    kept_flagged = flagged[::flagged_step]
    quiet_step = -(-quiet.size // max(MAX_TRAINING_ROWS - kept_flagged.size, 1))
    kept = np.concatenate([kept_flagged, quiet[::quiet_step]])
    weight = np.concatenate(
        [
            np.full(kept_flagged.size, float(flagged_step)),
            np.full(kept.size - kept_flagged.size, float(quiet_step)),
        ]
    )
    order = np.argsort(kept, kind="stable")
    return kept[order], weight[order]


class _Likelihood:
    """The penalised negative log-likelihood and its gradient (rows weighted by ``weight``)."""

    weight: np.ndarray | float = 1.0

    def __init__(
        self,
        standard: np.ndarray,
        labels: np.ndarray,
        fired: np.ndarray,
        prior: np.ndarray,
        free: np.ndarray,
    ) -> None:
        self.x, self.y, self.fired, self.prior, self.free = standard, labels, fired, prior, free

    def unpack(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        k = self.x.shape[1]
        rule_logit = _logit(self.prior)
        rule_logit[self.free] = params[1 + k :]
        return float(params[0]), params[1 : 1 + k], rule_logit

    def loss(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        at = self._at(params)
        nll = -(self.weight * (self.y * at.log_churn + (1.0 - self.y) * at.log_stay)).sum()
        grad_base = -at.slope * at.base
        penalty = 0.5 * COEFFICIENT_PENALTY * at.coefficients @ at.coefficients
        # −log Beta(p; mode = prior, PRIOR_CUSTOMERS observations), in the log-odds of p
        beta = self.prior * np.logaddexp(0.0, -at.rule_logit) + (1.0 - self.prior) * np.logaddexp(
            0.0, at.rule_logit
        )
        penalty += PRIOR_CUSTOMERS * beta[self.free].sum()
        gradient = np.concatenate(
            [
                [grad_base.sum()],
                self.x.T @ grad_base + COEFFICIENT_PENALTY * at.coefficients,
                ((-at.slope) @ self.fired * at.rule + PRIOR_CUSTOMERS * (at.rule - self.prior))[
                    self.free
                ],
            ]
        )
        total = self._total_weight
        return float(nll + penalty) / total, gradient / total  # per row: a well-scaled problem

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """The second derivatives of :meth:`loss`, for Newton steps.

        With ``L`` the log-probability of staying, each row adds ``c · ∇L ∇Lᵀ + s · ∇²L``:
        ``s`` is the slope of :meth:`loss` in ``L``, ``c`` its curvature, and ``∇²L`` is
        diagonal in the rules and has no rule × base terms, so the whole matrix is a few
        products of the design (intercept column and terms) and the fired matrix."""
        at = self._at(params)
        # stay / (1 − stay)²; bounded where a row is all but certain to stay, lest it overflow
        curvature = (
            self.weight * self.y * np.exp(np.minimum(at.log_stay - 2.0 * at.log_churn, MAX_LOG))
        )
        base, rule = at.base, at.rule
        design = np.column_stack([np.ones(len(self.y)), self.x])
        gradient_of_stay = np.column_stack(
            [base[:, None] * design, self.fired[:, self.free] * rule[self.free]]
        )  # −∇L, row by row (the sign squares away)
        hessian = (gradient_of_stay * curvature[:, None]).T @ gradient_of_stay
        k = design.shape[1]
        hessian[:k, :k] -= (design * (at.slope * base * (1.0 - base))[:, None]).T @ design
        rules = np.arange(k, hessian.shape[0])
        spread = (rule * (1.0 - rule))[self.free]
        hessian[rules, rules] += (PRIOR_CUSTOMERS - (at.slope @ self.fired)[self.free]) * spread
        coefficients_at = np.arange(1, k)
        hessian[coefficients_at, coefficients_at] += COEFFICIENT_PENALTY
        return np.asarray(hessian / self._total_weight)

    def _at(self, params: np.ndarray) -> _Point:
        """What :meth:`loss` and :meth:`hessian` both start from at ``params``."""
        intercept, coefficients, rule_logit = self.unpack(params)
        base_logit = intercept + self.x @ coefficients
        log_stay = np.minimum(_log_stay(base_logit, self.fired, rule_logit), -1e-300)
        log_churn = np.log(-np.expm1(log_stay))  # log(1 − stay), stable near 0 and 1
        # d(−ll)/d(log stay), then the chain rule to each parameter
        slope = self.weight * (self.y * np.exp(log_stay - log_churn) - (1.0 - self.y))
        return _Point(
            coefficients,
            rule_logit,
            log_stay,
            log_churn,
            slope,
            expit(base_logit),
            expit(rule_logit),
        )

    @property
    def _total_weight(self) -> float:
        return float(np.sum(self.weight * np.ones_like(self.y)))


class _Point(NamedTuple):
    """The likelihood's pieces at one point of its parameters."""

    coefficients: np.ndarray
    rule_logit: np.ndarray
    log_stay: np.ndarray
    log_churn: np.ndarray
    slope: np.ndarray
    """d(−ll)/d(log stay), per row (weighted)."""
    base: np.ndarray
    """The base probability of no order, per row."""
    rule: np.ndarray
    """Each rule's probability."""


MAX_LOG = 60.0
"""Largest exponent taken in :meth:`_Likelihood.hessian` (e⁶⁰ ≈ 10²⁶)."""
