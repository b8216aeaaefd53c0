"""Engines run the per-customer stages: here in this process, or over a Dask cluster.

Whatever the engine, the population step and the risk fit are computed once, beside the
customers, and the per-customer code (:mod:`churnwatch.analyses.scoring`) is the same; the
Dask engine splits the customers into parts by a hash of their id, sends each part with its
slice of the population step to a worker, and gathers the rows back in code order. Dask is
an optional extra, imported only when the Dask engine runs.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from churnwatch.analyses.scoring import Model, Scored, combined, rule_features, scored
from churnwatch.core.errors import UsageError
from churnwatch.features.population import Population
from churnwatch.rules.catalog import Rule
from churnwatch.timeframe import Cut
from churnwatch.timeframe.partition import cut_of_customers, hash_partitions, local_codes

ENGINES = ("local", "dask")
PART_CUSTOMERS = 250_000
"""Customers per part by default: a part's rows of every source and its features fit a
worker's memory many times over, and a few parts per worker keep every worker busy."""
CONNECT_SECONDS = 30
QUIET_SCHEDULER = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
"""No dashboard, and the scheduler's small HTTP server on a free port: two runs at once must
not compete for (and warn about) port 8787."""


class Engine(Protocol):
    def score(
        self, cut: Cut, population: Population, rules: list[Rule], model: Callable[[], Model]
    ) -> Scored:
        """Score every customer of ``cut``; ``model`` waits for the risk fit."""
        ...


@dataclass(frozen=True)
class LocalEngine:
    """Everything in this process: the features beside the risk fit (the other core)."""

    def score(
        self, cut: Cut, population: Population, rules: list[Rule], model: Callable[[], Model]
    ) -> Scored:
        return scored(rule_features(cut, population, rules), population, rules, model())


@dataclass(frozen=True)
class DaskEngine:
    """The per-customer stages on a Dask cluster: ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``), or else a local cluster of ``workers`` processes."""

    scheduler: str | None = None
    partitions: int | None = None
    workers: int | None = None

    def score(
        self, cut: Cut, population: Population, rules: list[Rule], model: Callable[[], Model]
    ) -> Scored:
        with self._client() as client:
            _check_versions(client)
            ordering = np.flatnonzero(population.history.distinct_days > 0)
            parts = self.partitions or default_partitions(ordering.size, _worker_count(client))
            pending = []
            for members in hash_partitions(cut.customer_ids[ordering], parts):
                codes = ordering[members]
                if codes.size == 0:
                    continue
                local = local_codes(codes, len(cut.customer_ids))
                part_cut, part_population = client.scatter(
                    [cut_of_customers(cut, codes), population.of_customers(codes, local)]
                )
                evaluated = client.submit(rule_features, part_cut, part_population, rules)
                pending.append((codes, part_population, evaluated))
            fitted = client.scatter(model(), broadcast=True)
            results = [
                client.submit(_scored_part, evaluated, part_population, rules, fitted, codes)
                for codes, part_population, evaluated in pending
            ]
            return combined(client.gather(results))

    @contextmanager
    def _client(self) -> Iterator[Any]:
        """A client of the scheduler, or of a local cluster started for this run (typed
        ``Any``: distributed's client is untyped)."""
        distributed = _distributed()
        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.scheduler is not None:
            try:
                client = distributed.Client(self.scheduler, timeout=CONNECT_SECONDS)
            except (OSError, TimeoutError, ValueError) as error:
                raise UsageError(
                    f"cannot reach the Dask scheduler at {self.scheduler}: {error}",
                    hint="start one with `dask scheduler` and give its address,"
                    " or leave out --scheduler for a local cluster",
                ) from None
            with client:
                yield client
            return
        workers = self.workers or max(2, os.cpu_count() or 1)
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",  # this machine's cluster: not reachable from the network
                dashboard_address=None,
                scheduler_kwargs=QUIET_SCHEDULER,
                silence_logs=logging.ERROR,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client


def engine(
    name: str | None,
    scheduler: str | None = None,
    partitions: int | None = None,
    workers: int | None = None,
) -> Engine:
    """The engine the command line asks for; a Dask option without Dask is an error."""
    chosen = name or ("dask" if scheduler or workers or partitions else "local")
    if chosen not in ENGINES:
        raise UsageError(f"unknown engine {chosen!r}: choose one of {', '.join(ENGINES)}")
    if chosen == "local":
        if scheduler or workers or partitions:
            raise UsageError("--scheduler, --workers and --partitions need --engine dask")
        return LocalEngine()
    if scheduler and workers:
        raise UsageError("--workers sizes a local cluster: leave it out with --scheduler")
    _distributed()
    return DaskEngine(scheduler, partitions, workers)


def default_partitions(customers: int, workers: int) -> int:
    """Two parts per worker at least, and parts of at most :data:`PART_CUSTOMERS`."""
    return max(2 * workers, math.ceil(customers / PART_CUSTOMERS), 1)


def _scored_part(
    evaluated: Any, population: Population, rules: list[Rule], model: Model, codes: np.ndarray
) -> Scored:
    """Runs on a worker: the part's risk, with its rows coded as in the whole cut."""
    return scored(evaluated, population, rules, model).recoded(codes)


def _worker_count(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def _check_versions(client: Any) -> None:
    """Every worker must run the churnwatch this process runs, or the rows could differ."""
    from churnwatch import __version__

    try:
        found = client.run(_installed_version)
    except ImportError as error:
        raise UsageError(
            f"the Dask workers cannot import churnwatch: {error}",
            hint="install churnwatch (the version of this machine) on every worker",
        ) from None
    wrong = sorted(f"{where} has {found[where]}" for where in found if found[where] != __version__)
    if wrong:
        raise UsageError(
            f"the Dask workers run another churnwatch than this one ({__version__}):"
            f" {'; '.join(wrong)}",
            hint="install the same churnwatch version on every worker",
        )


def _installed_version() -> str:
    from churnwatch import __version__

    return __version__


def _distributed() -> Any:
    """dask.distributed, or a message that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--engine dask needs Dask, an optional extra",
            hint="pip install 'churnwatch[dask]'",
        ) from None
    return distributed
