"""The risk model (a logistic base and the rules as a noisy-OR), severity bands, the ranking."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from churnwatch.config import Risk
from churnwatch.core.days import date_to_day
from churnwatch.core.domain import Severity
from churnwatch.render.records import to_records
from churnwatch.risk import training
from churnwatch.risk.model import RiskModel, _Likelihood, default_model, fit_model
from churnwatch.risk.score import ranking, severities
from churnwatch.rules.catalog import Rule
from churnwatch.rules.engine import Evaluation
from churnwatch.rules.expr import parse
from scan_helpers import invoke, ranked_ids, scan, stderr_of, write_exports

AS_OF = dt.date(2025, 6, 30)
TERMS = ("a", "b")


def rule(weight: float, severity: str | None = None, index: int = 0) -> Rule:
    return Rule(
        id=f"r{index}",
        title="t",
        when=parse("x > 0"),
        weight=weight,
        severity=severity,  # type: ignore[arg-type]
        action="",
        explain="",
        origin="test",
    )


def evaluation(fired: np.ndarray, floors: list[str | None]) -> Evaluation:
    rules = [rule(30, s, i) for i, s in enumerate(floors)]
    return Evaluation(rules, fired.astype(bool), np.zeros(fired.shape), [])


def model(base: float, weights: list[float]) -> RiskModel:
    """A model whose base is ``base`` for everyone (through the intercept)."""
    fixed = default_model(
        TERMS, None, tuple(f"r{i}" for i in range(len(weights))), np.array(weights)
    )
    intercept = float(np.log(base) - np.log1p(-base))
    return RiskModel(**{**fixed.__dict__, "intercept": intercept})


# -- the noisy-OR ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "weights", "fired", "expected"),
    [
        (0.1, [30], [True], 1 - 0.9 * 0.7),
        (0.1, [30], [False], 0.1),
        (0.2, [30, 50], [True, True], 1 - 0.8 * 0.7 * 0.5),
        (0.0001, [45], [True], 1 - 0.9999 * 0.55),
    ],
)
def test_fired_rules_combine_with_the_base_as_a_noisy_or(
    base: float, weights: list[float], fired: list[bool], expected: float
) -> None:
    risk = model(base, weights).risk(np.zeros((1, 2)), np.array([fired]))
    assert risk[0] == pytest.approx(expected)


@settings(max_examples=100)
@given(
    st.floats(0.001, 0.999),
    st.lists(st.floats(0, 99), min_size=1, max_size=6),
    st.data(),
)
def test_a_rule_can_only_raise_the_risk(
    base: float, weights: list[float], data: st.DataObject
) -> None:
    fired = data.draw(hnp.arrays(np.bool_, (1, len(weights))))
    fitted = model(base, weights)
    risk = fitted.risk(np.zeros((1, 2)), fired)[0]
    assert risk >= fitted.base(np.zeros((1, 2)))[0] - 1e-12
    more = fired.copy()
    more[0, 0] = True
    assert fitted.risk(np.zeros((1, 2)), more)[0] >= risk - 1e-12
    contributions = fitted.contributions(np.zeros((1, 2)), fired)[0]
    assert (contributions >= -1e-12).all()
    assert (contributions[~fired[0]] == 0).all()


def test_contribution_is_the_risk_without_the_rule() -> None:
    fitted = model(0.2, [30, 50])
    both = fitted.risk(np.zeros((1, 2)), np.array([[True, True]]))[0]
    without_first = fitted.risk(np.zeros((1, 2)), np.array([[False, True]]))[0]
    contributions = fitted.contributions(np.zeros((1, 2)), np.array([[True, True]]))[0]
    assert contributions[0] == pytest.approx(both - without_first)


def test_default_model_uses_the_statistical_forecast_as_it_is() -> None:
    fixed = default_model(("recency", "statistical"), "statistical", ("r0",), np.array([30.0]))
    log_odds = np.log(0.25 / 0.75)
    terms = np.array([[5.0, log_odds], [1.0, np.nan]])
    assert fixed.base(terms) == pytest.approx([0.25, 0.5])
    assert not fixed.fitted
    without_base = default_model(("recency",), None, ("r0",), np.array([30.0]))
    assert without_base.risk(np.array([[9.0]]), np.array([[True]]))[0] == pytest.approx(0.3)


# -- the fit --------------------------------------------------------------------------------


def training_data(seed: int = 7, n: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two terms; rule 0 adds a 40 % chance of churn, rule 1 does nothing, rule 2 never fires."""
    rng = np.random.default_rng(seed)
    terms = rng.normal(size=(n, 2))
    base = 1 / (1 + np.exp(-(-1.0 + 1.5 * terms[:, 0])))
    fired = np.column_stack([rng.random(n) < 0.2, rng.random(n) < 0.2, np.zeros(n, bool)])
    churn = 1 - (1 - base) * np.where(fired[:, 0], 0.6, 1.0)
    return terms, (rng.random(n) < churn).astype(float), fired


def fitted(weights: list[float], pinned: list[bool]) -> RiskModel:
    terms, labels, fired = training_data()
    return fit_model(
        TERMS,
        terms,
        labels,
        rule_ids=("r0", "r1", "r2"),
        fired=fired,
        weights=np.array(weights),
        pinned=np.array(pinned),
    )


def test_the_fit_finds_the_planted_effects() -> None:
    found = fitted([10, 30, 30], [False, False, False])
    assert found.rule_probability[0] == pytest.approx(0.4, abs=0.08)
    assert found.rule_probability[1] < 0.1  # fired often, changed nothing: the data win
    assert found.rule_probability[2] == pytest.approx(0.3)  # never fired: the weight stands
    assert found.coefficients[0] > 1.0 > abs(found.coefficients[1])
    assert found.fitted


def test_pinned_weights_are_kept_and_the_fit_is_deterministic() -> None:
    first = fitted([10, 30, 30], [False, True, False])
    assert first.rule_probability[1] == pytest.approx(0.3)
    second = fitted([10, 30, 30], [False, True, False])
    assert np.array_equal(first.coefficients, second.coefficients)
    assert np.array_equal(first.rule_probability, second.rule_probability)


def test_gradient_of_the_penalised_likelihood() -> None:
    terms, labels, fired = training_data(n=300)
    problem = _Likelihood(
        terms, labels, fired.astype(float), np.array([0.1, 0.3, 0.45]), np.ones(3, bool)
    )
    params = np.random.default_rng(3).normal(size=6)
    _, gradient = problem.loss(params)
    step = 1e-6
    numeric = [
        (problem.loss(params + step * e)[0] - problem.loss(params - step * e)[0]) / (2 * step)
        for e in np.eye(6)
    ]
    assert np.allclose(gradient, numeric, atol=1e-5)


def test_hessian_of_the_penalised_likelihood() -> None:
    """The Newton steps of the fit rest on it: it must be the derivative of the gradient,
    with pinned rules left out and rows weighted as thinning weights them."""
    terms, labels, fired = training_data(n=300)
    problem = _Likelihood(
        terms, labels, fired.astype(float), np.array([0.1, 0.3, 0.45]), np.array([1, 0, 1], bool)
    )
    problem.weight = np.random.default_rng(4).uniform(0.5, 3.0, size=len(labels))
    params = np.random.default_rng(3).normal(size=problem.x.shape[1] + 3)
    step = 1e-6
    numeric = np.array(
        [
            (problem.loss(params + step * e)[1] - problem.loss(params - step * e)[1]) / (2 * step)
            for e in np.eye(len(params))
        ]
    )
    assert np.allclose(problem.hessian(params), numeric, atol=1e-6)


# -- severity bands -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "bands", "expected"),
    [
        (0.0, Risk(), Severity.NONE),
        (0.199, Risk(), Severity.NONE),
        (0.2, Risk(), Severity.LOW),
        (0.4, Risk(), Severity.MEDIUM),
        (0.6, Risk(), Severity.HIGH),
        (0.799, Risk(), Severity.HIGH),
        (0.8, Risk(), Severity.CRITICAL),
        (1.0, Risk(), Severity.CRITICAL),
        (0.7, Risk(critical=90, high=80, medium=60, low=10), Severity.MEDIUM),
        (0.09, Risk(critical=90, high=80, medium=60, low=10), Severity.NONE),
    ],
)
def test_severity_bands_follow_the_risk(risk: float, bands: Risk, expected: Severity) -> None:
    band = severities(np.array([risk]), evaluation(np.zeros((1, 0)), []), bands)
    assert band.tolist() == [expected]


@pytest.mark.parametrize(
    ("fired", "floor", "expected"),
    [
        ([True, False], "critical", Severity.CRITICAL),  # risk 0.1, raised by the floor
        ([False, True], "critical", Severity.NONE),  # the floor's rule did not fire
        ([True, True], "low", Severity.LOW),
    ],
)
def test_severity_is_raised_to_the_floor_of_a_fired_rule(
    fired: list[bool], floor: str, expected: Severity
) -> None:
    result = evaluation(np.array([fired]), [floor, None])
    assert severities(np.array([0.1]), result, Risk()).tolist() == [expected]


# -- ranking --------------------------------------------------------------------------------


@settings(max_examples=150)
@given(
    st.integers(0, 40).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.25, 0.5, 1.0])),
            st.permutations(range(n)).map(lambda p: np.array(p, dtype=np.int64)),
        )
    )
)
def test_ranking_is_by_risk_then_id(columns: tuple[np.ndarray, np.ndarray]) -> None:
    risk, code = columns
    order = ranking(risk, code)
    assert sorted(order.tolist()) == list(range(len(risk)))
    keys = [(-risk[i], code[i]) for i in order]
    assert keys == sorted(keys)


@st.composite
def order_books(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    customers = draw(st.lists(st.sampled_from([f"C{i}" for i in range(12)]), min_size=1))
    return [
        (c, draw(st.integers(0, 900)), draw(st.integers(-50, 500)))
        for c in customers
        for _ in range(draw(st.integers(1, 6)))
    ]


@settings(max_examples=25)
@given(order_books())
def test_scan_ranks_every_customer_once(book: list[tuple[str, int, int]]) -> None:
    start = dt.date(2023, 1, 1)
    text = "customer_id,order_date,amount\n" + "".join(
        f"{c},{start + dt.timedelta(days=d)},{a}\n" for c, d, a in book
    )
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "orders.csv").write_text(text)
        result = scan(Path(folder), dt.date(2025, 7, 1))
    # A customer with nothing but credit notes (negative amounts) has no orders to scan.
    assert sorted(ranked_ids(result)) == sorted({c for c, _, a in book if a >= 0})
    risk = result.customers["risk"].to_numpy()
    assert (np.diff(risk) <= 0).all()
    assert ((risk >= 0) & (risk <= 1)).all()
    assert [r["rank"] for r in to_records(result)] == list(range(1, len(risk) + 1))


def test_severity_floor_and_bands_from_the_config(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2024-01-10,10\nB,2025-06-01,10\n",
        **{
            "churnwatch.toml": """
                [risk]
                critical = 95
                high = 90
                medium = 14
                low = 5

                [[rules]]
                id = "lost-customer"
                severity = "high"
            """
        },
    )
    result = scan(folder, AS_OF)
    severity = dict(zip(result.customers["customer_id"], result.customers["severity"], strict=True))
    assert severity["A"] == Severity.HIGH  # lost: the floor of the fired rule


def test_too_little_history_gives_configured_weights_and_a_note(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2024-01-10,10\nA,2024-03-10,10\nB,2025-06-01,10\n",
    )
    result = invoke("scan", folder, "--as-of", "2025-06-30", "--format", "json", "--verbose")
    assert result.exit_code == 0
    notes = [line for line in stderr_of(result).splitlines() if "default risk weights" in line]
    assert notes == [
        "note: default risk weights: too little history to fit them (needs 100 customers at 90"
        " days before the reference date, 20 who ordered again and 20 who did not, 90 days of"
        " orders before that; it has 1, 0 and 1, 447 days; shorter horizons were tried too)"
    ]
    header = json.loads(result.stdout)
    assert header["risk_model"]["weights"] == "configured"


def test_a_risk_without_warning_rules_is_still_explained(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nONCE,2024-12-12,10\nOFTEN,2025-06-20,10\n"
        + "".join(f"OFTEN,2025-0{m}-15,10\n" for m in range(1, 6)),
    )
    records = json.loads(invoke("scan", folder, "--as-of", "2025-06-30", "-f", "json").stdout)
    by_id = {r["customer_id"]: r for r in records["customers"]}
    assert by_id["ONCE"]["signals"] == []
    assert by_id["ONCE"]["history"] == "one order only, 200 days ago"
    assert by_id["ONCE"]["phase"] == "lost"
    assert (
        by_id["OFTEN"]["history"] == "usually orders every 31 days, none for 10 days"
    )  # the median gap


def test_a_term_without_any_value_fits_silently() -> None:
    """A term no training row has (e.g. every typical gap missing) is centred at 0; numpy's
    'Mean of empty slice' must not reach the user's terminal."""
    import warnings

    from churnwatch.risk.model import fit_model

    rng = np.random.default_rng(1)
    values = np.column_stack([rng.normal(size=400), np.full(400, np.nan)])
    labels = (rng.random(400) < 0.3).astype(float)
    fired = rng.random((400, 1)) < 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = fit_model(
            ("a", "b"),
            values,
            labels,
            rule_ids=("r",),
            fired=fired,
            weights=np.array([30.0]),
            pinned=np.array([False]),
        )
    assert np.isfinite(model.coefficients).all()


# -- stability from one day to the next -----------------------------------------------------


def regular_buyers(folder: Path, seed: int) -> Path:
    """A small B2B export: 120 customers, each ordering every two to eight weeks, half of them
    stopping at some point. Ordering this regular drives the BG/NBD fit to its no-dropout
    limit (a and b in the thousands), and so few customers let the risk fit swing."""
    rng = np.random.default_rng(seed)
    lines = ["customer_id,order_date,amount"]
    start = dt.date(2024, 1, 1)
    for customer in range(120):
        gap, day = int(rng.integers(14, 60)), int(rng.integers(0, 60))
        stop = int(rng.integers(200, 1100)) if rng.random() < 0.5 else 10_000
        while day < min(stop, 1060):
            when = start + dt.timedelta(days=day)
            lines.append(f"K{customer:03d},{when},{rng.gamma(4, 100):.2f}")
            day += max(1, int(rng.normal(gap, gap / 4)))
    return write_exports(folder, orders="\n".join(lines) + "\n")


def days_from(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range(count)]


@pytest.mark.parametrize("seed", [5, 7])
def test_a_customer_who_stays_silent_does_not_get_safer_the_next_day(
    tmp_path: Path, seed: int
) -> None:
    """With three training cut-offs counted back from each reference date, a refit one day
    later swung a silent customer's base risk by up to 0.32 (down, as often as up): the
    training cut-offs now sit on a grid, and twelve of them hold the weights."""
    folder = regular_buyers(tmp_path / "exports", seed)
    first = dt.date(2026, 11, 24)
    grid_start = first - dt.timedelta(days=(date_to_day(first) - 90) % 15)  # horizon 90, step 15
    results = [scan(folder, as_of) for as_of in days_from(grid_start, 5)]
    trained = {result.model.training.cut_offs for result in results if result.model.training}
    assert len(trained) == 1 and len(next(iter(trained))) == 12
    base = np.array([r.customers.sort_values("customer_id")["base_risk"] for r in results])
    silence = results[-1].customers.sort_values("customer_id")["days_since_last_order"]
    silent = silence.to_numpy() >= len(results)
    assert silent.sum() > 50
    assert np.diff(base[:, silent], axis=0).min() >= -1e-9


def test_the_statistical_base_survives_regular_buyers(tmp_path: Path) -> None:
    """BG/NBD over customers who order like clockwork has its optimum where a and b run into
    the thousands; there the differences of ``betaln`` lost the digits the line search needed,
    and on one day in four the fit gave up: no P(alive) for anyone, and a base risk that
    jumped 0.2 → 0.6 → 0.2 on three days."""
    folder = regular_buyers(tmp_path / "exports", 7)
    for as_of in days_from(dt.date(2026, 11, 24), 4):
        result = scan(folder, as_of)
        assert result.customers["p_alive"].notna().all(), as_of
        assert not [note for note in result.notes if "statistical base" in note]


@pytest.mark.parametrize("as_of", [1000, 1003, 20_000])
def test_every_count_the_training_cut_offs_ask_for_is_among_the_questions(as_of: int) -> None:
    """A split export's parts count outcome_questions beforehand: the choice of cut-offs may
    ask for nothing else, even when the grid's day lacks history and the latest day is used."""
    horizon = 90
    grid_day = training._grid(as_of, horizon).first

    class Recorder:
        asked: ClassVar[set[tuple[int, int]]] = set()

        def first_day(self) -> int:
            return as_of - 3_000

        def counted(self, cut_off: int, horizon: int) -> tuple[int, int]:
            self.asked.add((cut_off, horizon))
            return (0, 0) if cut_off == grid_day else (500, 100)

    recorder = Recorder()
    assert training._training_horizon(as_of, horizon, recorder) == horizon
    training._stacked(as_of, horizon, recorder)
    assert recorder.asked <= set(training.outcome_questions(as_of, horizon))
