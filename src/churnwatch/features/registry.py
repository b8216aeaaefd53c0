"""The feature registry: each feature is declared where it is computed, with its metadata.

A feature group is a function decorated with :func:`provides`, which names the features it
returns (unit and meaning for each) and what it needs: a source (``"payments"``), an optional
column (``"orders.channel"``) or features computed before it. ``churnwatch features``, the rule
checker and the JSON schema are generated from :data:`FEATURES`; a group whose needs the data
cannot meet is skipped, so its features are absent and rules on them are "not applicable".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Lock
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from churnwatch.core.sources import SOURCES
from churnwatch.timeframe import Cut, Window

if TYPE_CHECKING:
    from churnwatch.features.population import Population

Features = dict[str, np.ndarray]
"""Feature name → one value per customer code (NaN where there is no value)."""


class Meaning(NamedTuple):
    """How a feature is declared: its unit, its meaning and, for categories, the values."""

    unit: str
    description: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    source: str
    unit: str
    description: str
    categories: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``date``, ``category`` or ``number``: how rules, templates and outputs treat it."""
        if self.unit == "date":
            return "date"
        return "category" if self.categories else "number"


@dataclass
class Inputs:
    """What a feature group computes from: the cut, the windows, the population step's
    results, and the features computed so far."""

    cut: Cut
    window: Window
    population: Population
    features: Features = field(default_factory=dict)


Group = Callable[[Inputs], Features]


@dataclass(frozen=True)
class FeatureGroup:
    compute: Group
    specs: tuple[FeatureSpec, ...]
    needs: tuple[str, ...]

    def available(self, cut: Cut, computed: Iterable[str]) -> bool:
        """Whether the data has every source, column and earlier feature the group needs."""
        done = set(computed)
        return all(_present(need, cut, done) for need in self.needs)


FEATURES: dict[str, FeatureSpec] = {}
GROUPS: list[FeatureGroup] = []


def provides(
    source: str, *, needs: tuple[str, ...] = (), **features: Meaning | tuple[str, str]
) -> Callable[[Group], Group]:
    """Register a feature group: ``@provides("orders", first_order_date=("date", "…"))``."""
    specs = tuple(
        FeatureSpec(name, source, *Meaning(*meaning)) for name, meaning in features.items()
    )

    def register(compute: Group) -> Group:
        for need in needs:
            if need not in SOURCES and "." not in need and need not in FEATURES:
                raise ValueError(
                    f"{compute.__name__} needs '{need}', which no earlier group provides"
                )
        for spec in specs:
            if spec.name in FEATURES:
                raise ValueError(f"feature '{spec.name}' is registered twice")
            FEATURES[spec.name] = spec
        GROUPS.append(FeatureGroup(compute, specs, (source, *needs)))
        return compute

    return register


def _present(need: str, cut: Cut, computed: set[str]) -> bool:
    if need in SOURCES:
        return cut.has(need)
    if "." in need:
        source, column = need.split(".", 1)
        return cut.has(source) and column in cut.frame(source)
    return need in computed


THREADED_ORDERS = 100_000
"""From this many orders the groups run on two threads; below, one after another: their numpy
work is then too short to make up for starting the threads and handing the GIL between them
(the risk training cuts a small export a dozen times)."""


def run_groups(inputs: Inputs) -> Features:
    """Every group the data allows, their outputs checked; from :data:`THREADED_ORDERS`
    orders two at a time, each as soon as the groups whose features it needs are done (those
    are always registered before it, so waiting for them never holds up a worker that an
    earlier group needs)."""
    done: dict[str, Future[None]] = {}
    merging = Lock()  # the features so far are read whole while another group adds to them
    if len(inputs.cut.frame("orders")) < THREADED_ORDERS:
        for group in GROUPS:
            _run_group(group, inputs, [], merging)
        return inputs.features
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="features")
    try:
        for group in GROUPS:
            before = [done[need] for need in group.needs if need in done]
            task = pool.submit(_run_group, group, inputs, before, merging)
            done |= {spec.name: task for spec in group.specs}
        for task in done.values():
            task.result()
    finally:  # a failed group or a stopped run: the groups not started never start
        pool.shutdown(cancel_futures=True)
    return inputs.features


def _run_group(
    group: FeatureGroup, inputs: Inputs, before: list[Future[None]], merging: Lock
) -> None:
    for task in before:
        task.result()
    with merging:
        computed = list(inputs.features)
    if not group.available(inputs.cut, computed):
        return
    values = group.compute(inputs)
    expected = [spec.name for spec in group.specs]
    if list(values) != expected:
        raise AssertionError(f"{group.compute.__name__} returned {list(values)}, not {expected}")
    with merging:
        inputs.features.update(values)


def features_of(source: str) -> list[str]:
    return [name for name, spec in FEATURES.items() if spec.source == source]


def date_features() -> frozenset[str]:
    return frozenset(name for name, spec in FEATURES.items() if spec.kind == "date")


def category_features() -> Mapping[str, tuple[str, ...]]:
    return {name: spec.categories for name, spec in FEATURES.items() if spec.kind == "category"}
