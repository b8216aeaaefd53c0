"""Scores, severity bands and the ranking."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from churnwatch.config import Scoring
from churnwatch.core.domain import Severity
from churnwatch.render.records import to_records
from churnwatch.risk.score import ranking, scores, severities
from churnwatch.rules.catalog import Rule
from churnwatch.rules.engine import Evaluation
from churnwatch.rules.expr import parse
from scan_helpers import fired_for, ranked_ids, scan, write_exports

AS_OF = dt.date(2025, 6, 30)


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


def evaluation(fired: np.ndarray, weights: list[float], floors: list[str | None]) -> Evaluation:
    rules = [rule(w, s, i) for i, (w, s) in enumerate(zip(weights, floors, strict=True))]
    return Evaluation(rules, fired.astype(bool), np.zeros(fired.shape), [])


@st.composite
def evaluations(draw: st.DrawFn) -> Evaluation:
    customers = draw(st.integers(0, 30))
    count = draw(st.integers(0, 12))
    weights = draw(st.lists(st.floats(0, 100), min_size=count, max_size=count))
    floors = draw(
        st.lists(
            st.sampled_from([None, "low", "medium", "high", "critical"]),
            min_size=count,
            max_size=count,
        )
    )
    fired = draw(hnp.arrays(np.bool_, (customers, count)))
    return evaluation(fired, weights, floors)


@settings(max_examples=150)
@given(evaluations())
def test_scores_are_between_0_and_100(result: Evaluation) -> None:
    score = scores(result)
    assert score.shape == (result.fired.shape[0],)
    assert ((score >= 0) & (score <= 100)).all()
    assert (score[~result.fired.any(axis=1)] == 0).all()


@settings(max_examples=150)
@given(evaluations())
def test_more_signals_never_lower_the_score(result: Evaluation) -> None:
    """Switching one more rule on for a customer cannot lower their score."""
    if result.fired.size == 0:
        return
    more = result.fired.copy()
    more[0, :] = True
    fuller = Evaluation(result.rules, more, result.margins, [])
    assert (scores(fuller) >= scores(result)).all()


@pytest.mark.parametrize(
    ("weights", "expected"),
    [([35], 35.0), ([30, 30], 51.0), ([45, 30], 61.5), ([100, 10], 100.0), ([], 0.0)],
)
def test_signals_combine_with_diminishing_returns(weights: list[float], expected: float) -> None:
    """``100·(1 − Π(1 − w/100))``, rounded to one decimal."""
    fired = np.ones((1, len(weights)), dtype=bool)
    assert scores(evaluation(fired, weights, [None] * len(weights))).tolist() == [expected]


@settings(max_examples=150)
@given(st.floats(10, 90), st.floats(10, 90))
def test_two_strong_signals_outrank_one(first: float, second: float) -> None:
    fired = np.array([[True, True], [True, False], [False, True]])
    score = scores(evaluation(fired, [first, second], [None, None]))
    assert score[0] > max(score[1], score[2])
    order = ranking(score, np.zeros(3), np.zeros(3), np.array([2, 0, 1]))
    assert order[0] == 0


@settings(max_examples=150)
@given(st.integers(0, 40).flatmap(lambda n: st.tuples(*[_column(n, kind) for kind in range(4)])))
def test_ranking_is_a_sorted_permutation(
    columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    score, strength, revenue, code = columns
    order = ranking(score, strength, revenue, code)
    assert sorted(order.tolist()) == list(range(len(score)))
    keys = [(-score[i], -strength[i], -np.nan_to_num(revenue[i]), code[i]) for i in order]
    assert keys == sorted(keys)


def _column(size: int, kind: int) -> st.SearchStrategy[np.ndarray]:
    if kind == 3:  # customer codes: distinct
        return st.permutations(range(size)).map(lambda p: np.array(p, dtype=np.int64))
    values = {
        0: st.sampled_from([0.0, 15.0, 35.0, 51.0, 100.0]),
        1: st.sampled_from([0.0, 0.5, 1.0, 2.5]),
        2: st.one_of(st.just(np.nan), st.sampled_from([-50.0, 0.0, 100.0, 1e6])),
    }[kind]
    return hnp.arrays(np.float64, size, elements=values)


# -- severity bands -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "bands", "expected"),
    [
        (0.0, Scoring(), Severity.NONE),
        (0.9, Scoring(), Severity.NONE),
        (1.0, Scoring(), Severity.LOW),
        (29.9, Scoring(), Severity.LOW),
        (30.0, Scoring(), Severity.MEDIUM),
        (50.0, Scoring(), Severity.HIGH),
        (69.9, Scoring(), Severity.HIGH),
        (70.0, Scoring(), Severity.CRITICAL),
        (100.0, Scoring(), Severity.CRITICAL),
        (70.0, Scoring(critical=90, high=80, medium=60, low=10), Severity.MEDIUM),
        (9.0, Scoring(critical=90, high=80, medium=60, low=10), Severity.NONE),
        (85.0, Scoring(critical=90, high=80, medium=60, low=10), Severity.HIGH),
    ],
)
def test_severity_bands_follow_the_thresholds(
    score: float, bands: Scoring, expected: Severity
) -> None:
    fired = np.zeros((1, 0), dtype=bool)
    band = severities(np.array([score]), evaluation(fired, [], []), bands)
    assert band.tolist() == [expected]


@pytest.mark.parametrize(
    ("fired", "floor", "expected"),
    [
        ([True, False], "critical", Severity.CRITICAL),  # score 10, raised by the floor
        ([False, True], "critical", Severity.MEDIUM),  # score 30; the floor's rule did not fire
        ([True, True], "low", Severity.MEDIUM),  # score 37: the band is above the floor
        ([True, False], "high", Severity.HIGH),
    ],
)
def test_severity_is_raised_to_the_floor_of_a_fired_rule(
    fired: list[bool], floor: str, expected: Severity
) -> None:
    result = evaluation(np.array([fired]), [10, 30], [floor, None])
    score = scores(result)
    assert severities(score, result, Scoring()).tolist() == [expected]


def test_severity_floor_and_thresholds_from_the_config(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2024-01-10,10\nB,2025-06-01,10\n",
        **{
            "churnwatch.toml": """
                [scoring]
                critical = 95
                high = 90
                medium = 14
                low = 5

                [[rules]]
                id = "returned-after-lapse"
                severity = "high"
            """
        },
    )
    result = scan(folder, AS_OF)
    severity = dict(zip(result.customers["customer_id"], result.customers["severity"], strict=True))
    assert fired_for(result, "lost-customer") == {"A"}
    assert severity == {"A": Severity.MEDIUM, "B": Severity.NONE}  # 15 ≥ 14


# -- ranking through the pipeline ---------------------------------------------------------


def test_ties_are_broken_by_evidence_then_revenue_then_id(tmp_path: Path) -> None:
    """All five are lost (score 15). T9 lapsed longest (more evidence); T1, T2, T3 and T10
    have the same dates; T2 spent most; T1, T3, T10 tie on revenue and go by id."""
    dates = ["2024-03-01", "2024-04-01", "2024-05-01"]  # last order 425 days ago
    rows = [f"T9,{d},100" for d in ["2023-01-01", "2023-02-01", "2023-03-01"]]
    rows += [
        f"{c},{d},{500 if c == 'T2' else 100}" for c in ("T1", "T2", "T3", "T10") for d in dates
    ]
    folder = write_exports(
        tmp_path / "exports", orders="customer_id,order_date,amount\n" + "\n".join(rows) + "\n"
    )
    result = scan(folder, AS_OF)
    assert set(result.customers["score"]) == {15.0}
    assert ranked_ids(result) == ["T9", "T2", "T1", "T3", "T10"]


def test_two_signals_rank_above_one_in_the_pipeline(tmp_path: Path) -> None:
    """Overdue and ordering less often (61.5) beats lost alone (15)."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\n"
        + "".join(f"OVER,2024-{m:02d}-01,100\n" for m in range(5, 13))
        + "".join(f"LOST,2023-{m:02d}-01,9999\n" for m in range(1, 13)),
    )
    result = scan(folder, AS_OF)
    assert ranked_ids(result) == ["OVER", "LOST"]
    assert result.customers["score"].tolist() == [61.5, 15.0]


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
    score = result.customers["score"].to_numpy()
    assert (np.diff(score) <= 0).all()
    assert ((score >= 0) & (score <= 100)).all()
    assert [r["rank"] for r in to_records(result)] == list(range(1, len(score) + 1))
