"""Engines run the per-customer stages: here in this process, or over a Dask cluster.

Whatever the engine, the population step and the risk fit are computed once, beside the
customers, and the per-customer code (:mod:`churnwatch.analyses.scoring`) is the same; the
Dask engine splits the customers into parts by a hash of their id, sends each part with its
slice of the population step to a worker, and gathers the rows back in code order. Dask is
an optional extra, imported only when the Dask engine runs.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import shutil
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

import numpy as np

from churnwatch.analyses.dask_worker import RUN_SPACE
from churnwatch.analyses.scoring import (
    Evaluated,
    Model,
    Scored,
    combined,
    rule_features,
    scored,
)
from churnwatch.core.errors import ChurnwatchError, UsageError, stop_behind
from churnwatch.core.scratch import private_folder
from churnwatch.core.streams import children_unheard
from churnwatch.core.words import plural
from churnwatch.features.population import Population
from churnwatch.rules.catalog import Rule
from churnwatch.timeframe import Cut
from churnwatch.timeframe.partition import Split, cut_parts

ENGINES = ("local", "dask")
PART_CUSTOMERS = 250_000
"""Customers per part by default: a part's rows of every source and its features fit a
worker's memory many times over, and a few parts per worker keep every worker busy."""
CONNECT_SECONDS = 30
PROBE_SECONDS = 5
LOST_PROBE_SECONDS = 2
"""How long a scheduler has to take a connection, after one closed under the run, to count as
still running."""
HANDSHAKE_SECONDS = 10
"""How long a scheduler has to say it is one, before any data is read."""
WORKERS_PER_CORE = 4
"""The most workers per core a local cluster may have: 100 on 2 cores took 5 GB and minutes."""
QUIET_LOGGERS = ("distributed", "asyncio", "tornado")
"""Dask's logs, and asyncio's and tornado's, where Dask's tasks report what they left
unfinished; each with the loggers below it that have a level of their own."""
QUIET_SCHEDULER = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
"""No dashboard, and the scheduler's small HTTP server on a free port: two runs at once must
not compete for (and warn about) port 8787."""


Progress = Callable[[str], None]


class Engine(Protocol):
    def score(
        self,
        cut: Cut,
        population: Population,
        rules: list[Rule],
        model: Callable[[], Model],
        progress: Progress | None = None,
    ) -> Scored:
        """Score every customer of ``cut``; ``model`` waits for the risk fit; ``progress``
        hears of the steps that take time (starting a cluster, say)."""
        ...


@dataclass(frozen=True)
class LocalEngine:
    """Everything in this process: the features beside the risk fit (the other core)."""

    def score(
        self,
        cut: Cut,
        population: Population,
        rules: list[Rule],
        model: Callable[[], Model],
        progress: Progress | None = None,
    ) -> Scored:
        return scored(rule_features(cut, population, rules), population, rules, model())


@dataclass(frozen=True)
class DaskEngine:
    """The per-customer stages on a Dask cluster: ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``), or else a local cluster of ``workers`` processes."""

    scheduler: str | None = None
    partitions: int | None = None
    workers: int | None = None
    split: bool = False
    """Split the export into parts on disk, each loaded by a worker, so that the export is
    never held whole (the workers must read this machine's files: a local cluster)."""

    @contextmanager
    def cluster(self, progress: Progress | None = None) -> Iterator[Cluster]:
        """The cluster, its workers there and running this machine's versions."""
        step = progress or (lambda _: None)
        step(
            f"connecting to the Dask scheduler at {self.scheduler}"
            if self.scheduler
            else f"starting a local Dask cluster of {plural(self.planned_workers, 'worker')}"
        )
        with self._client() as client:
            with self._failures(client):
                self._wait_for_workers(client)
                stack = installed_versions()
                _check_versions(client, stack)
                workers = _worker_count(client)
            yield Cluster(self, client, stack, workers)

    def score(
        self,
        cut: Cut,
        population: Population,
        rules: list[Rule],
        model: Callable[[], Model],
        progress: Progress | None = None,
    ) -> Scored:
        ordering = np.flatnonzero(population.history.distinct_days > 0)
        if ordering.size == 0:  # nobody ordered: an empty list, nothing to send anywhere
            return LocalEngine().score(cut, population, rules, model)
        step = progress or (lambda _: None)
        with self.cluster(step) as cluster:
            client, stack, workers = cluster.client, cluster.stack, cluster.workers
            parts = self.partitions or default_partitions(ordering.size, workers)
            split = Split.by_hash(cut.customer_ids, ordering, min(parts, ordering.size))
            sent = sum(members.size > 0 for members in split.members)  # some may be empty
            on = plural(workers, "Dask worker")
            step(f"scoring the customers in {plural(sent, 'part')} on {on}")
            pending = []
            for members, part_cut, part_population in zip(
                split.members, cut_parts(cut, split), population.parts(split), strict=True
            ):
                if members.size == 0:
                    continue
                with self._failures(client):
                    sent_cut, sent_population = client.scatter(
                        [part_cut, part_population], hash=False
                    )
                    evaluated = client.submit(
                        _verified,
                        stack,
                        rule_features,
                        sent_cut,
                        sent_population,
                        rules,
                        key=_task_key(rule_features),
                    )
                pending.append((members, sent_population, evaluated))
            chosen = model()  # waits for the fit, which runs here
            with self._failures(client):
                fitted = client.scatter(chosen, broadcast=True, hash=False)
                results = client.gather(
                    [
                        client.submit(
                            _verified,
                            stack,
                            _scored_part,
                            evaluated,
                            part,
                            rules,
                            fitted,
                            members,
                            key=_task_key(_scored_part),
                        )
                        for members, part, evaluated in pending
                    ]
                )
            return combined(results)

    @property
    def planned_workers(self) -> int:
        """The workers a local cluster gets (and a guess for an existing one's)."""
        return self.workers or max(2, _cores())

    @property
    def _where(self) -> str:
        return f"at {self.scheduler}" if self.scheduler else "started for this run"

    def _wait_for_workers(self, client: Any) -> None:
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError:
            raise ChurnwatchError(
                f"the Dask cluster {self._where} has no workers (waited {CONNECT_SECONDS} s)",
                hint="start workers with `dask worker ADDRESS`",
            ) from None

    @contextmanager
    def _failures(self, client: Any) -> Iterator[None]:
        """Around the cluster's own calls only: a cluster that fails under the run (a worker
        lost, the connection dropped or timed out) is one message, not a traceback. The
        local work (splitting, the fit, combining) runs outside, so its bugs stay bugs."""
        import asyncio  # distributed's own: loaded with it, not by every scan

        distributed = _distributed()
        try:
            yield
        except OtherVersionsError as error:
            raise _refused([str(error)]) from None
        except (OSError, distributed.KilledWorker, CancelledError, asyncio.CancelledError) as error:
            closed = isinstance(error, distributed.comm.CommClosedError)
            if self.scheduler is not None and closed and _scheduler_gone(client, self.scheduler):
                raise ChurnwatchError(
                    f"the connection to the Dask scheduler at {self.scheduler} was lost during"
                    " the scan",
                    hint="check that the scheduler still runs and what its log says, or run"
                    " without --scheduler",
                ) from None
            if closed or isinstance(error, distributed.KilledWorker) or _lost_data(error):
                raise self._worker_lost() from None
            raise ChurnwatchError(
                f"the Dask cluster {self._where} failed during the scan:"
                f" {error or type(error).__name__}",
                hint="check the workers' memory and logs, or run without --engine dask",
            ) from None
        except Exception as error:
            if _missing_module(error):  # a worker that joined after the check, without it
                raise _cannot_run(f"a worker that joined during the scan: {error}") from None
            if isinstance(error, KeyError) and _is_address(error.args[0] if error.args else None):
                raise self._worker_lost() from None  # the scheduler lost it while data was sent
            raise

    def _worker_lost(self) -> ChurnwatchError:
        return ChurnwatchError(
            f"a Dask worker of the cluster {self._where} was lost during the scan",
            hint="check the workers' memory and logs, then run again; or run without --engine dask",
        )

    @contextmanager
    def _client(self) -> Iterator[Any]:
        """A client of the scheduler, or of a local cluster started for this run (typed
        ``Any``: distributed's client is untyped)."""
        try:
            with _quiet(QUIET_LOGGERS):
                yield from self._connected()
        except KeyboardInterrupt:  # Ctrl-C or a stop (SIGTERM): the process is ending
            _quiet_from_now_on()
            raise
        except Exception as error:
            stop = stop_behind(error)
            if stop is None:
                raise
            _quiet_from_now_on()  # a cluster stopped while it started fails to close
            raise stop from None

    def _connected(self) -> Iterator[Any]:
        """The client, in a generator so that :meth:`_client` sees how the run ended."""
        distributed = _distributed()
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
        with (
            children_unheard(),  # a worker's traceback as the run is stopped: not for the mail
            _cluster_space() as scratch,
            distributed.LocalCluster(
                n_workers=self.planned_workers,
                local_directory=scratch,  # private: never a shared /tmp/dask-scratch-space
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",  # this machine's cluster: not reachable from the network
                security=True,  # TLS with throwaway certificates: no other local user gets in
                dashboard_address=None,
                # The scheduler's space named too: it is made on the cluster's own thread,
                # which goes on starting it after a stop has unwound the settings above.
                scheduler_kwargs={**QUIET_SCHEDULER, "local_directory": scratch},
                silence_logs=logging.CRITICAL,  # failures reach the user as one message
                preload=[WORKER_SETUP],  # Ctrl-C is the run's to handle, not each worker's
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client


WORKER_SETUP = "churnwatch.analyses.dask_worker"
"""The module each worker process of a local cluster runs as it starts."""


@dataclass(frozen=True)
class Cluster:
    """A checked cluster, for work in rounds: each round runs one function on every part."""

    engine: DaskEngine
    client: Any
    stack: dict[str, str]
    workers: int

    def each(
        self, function: Callable[..., Any], calls: list[tuple[Any, ...]], *shared: Any
    ) -> list[Any]:
        """``function(*call, *shared)`` on the workers for every call, the results in order;
        ``shared`` is sent to every worker once. Each result is fetched as soon as it is done
        and let go on the cluster: a worker does not hold every part's result till the last."""
        with self.engine._failures(self.client):
            sent = [self.client.scatter([value], broadcast=True, hash=False)[0] for value in shared]
            futures = [
                self.client.submit(
                    _verified, self.stack, function, *call, *sent, key=_task_key(function)
                )
                for call in calls
            ]
            place = {future.key: index for index, future in enumerate(futures)}
            results: list[Any] = [None] * len(futures)
            for done in _distributed().as_completed(futures):
                results[place[done.key]] = done.result()
                done.release()
            return results


@contextmanager
def _cluster_space() -> Iterator[str]:
    """A private folder for all that the local cluster's processes write, Dask's lock files
    included; removed after the run, and again at exit."""
    with private_folder(RUN_SPACE) as folder:
        scratch = str(folder)
        with (
            _removed_again_at_exit(scratch),
            _temporary_files_in(scratch),
            _dask_config({"temporary-directory": scratch}),
        ):
            yield scratch


@contextmanager
def _removed_again_at_exit(folder: str) -> Iterator[None]:
    """``folder`` removed once more when the process ends, after its worker processes have
    been joined: a worker still starting when the run was stopped may create its space in
    the scratch folder after the folder was removed. Multiprocessing's finalizers with a
    negative priority run after it joins its children."""
    from multiprocessing.util import Finalize

    Finalize(None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, exitpriority=-1)
    yield


@contextmanager
def _temporary_files_in(folder: str) -> Iterator[None]:
    """Every temporary file of the local cluster's processes in ``folder``: the worker
    processes inherit ``TMPDIR`` when they start, this process's ``tempfile`` follows
    ``tempfile.tempdir``. A run stopped while its workers started left a worker's
    ``dask-scratch-space`` or a ``tmp…`` folder in the shared temporary directory, about one
    stop in twenty at the wrong moment; in ``folder`` they go with it.

    A stopped run keeps the setting: the cluster's own thread goes on starting it for a
    moment, and its TLS certificates, written to a temporary folder while a connection is
    made, were left in the shared one when the process ended (1 in 180 stops here)."""
    import tempfile

    saved_variable, saved_folder = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = folder
    try:
        yield
    except BaseException as error:
        if not isinstance(error, KeyboardInterrupt) and stop_behind(error) is None:
            _temporary_files_back(saved_variable, saved_folder)
        raise
    _temporary_files_back(saved_variable, saved_folder)


def _temporary_files_back(variable: str | None, folder: str | None) -> None:
    """``TMPDIR`` and ``tempfile.tempdir`` as they were."""
    import tempfile

    if variable is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = variable
    tempfile.tempdir = folder


def _quiet_from_now_on() -> None:
    """A run stopped (SIGTERM from a cron timeout, Ctrl-C) with its cluster closed as far as
    it got: Dask's own clean-up when Python exits would only close it again,
    printing ERROR lines and tracebacks into the mail a cron job sends."""
    import atexit

    from distributed.deploy import spec

    for log in _loggers(QUIET_LOGGERS):
        log.setLevel(logging.CRITICAL)
    atexit.unregister(spec.close_clusters)


@contextmanager
def _quiet(loggers: tuple[str, ...]) -> Iterator[None]:
    """Nothing from ``loggers`` while the cluster runs (their levels are restored after):
    what fails reaches the user as one message from :meth:`DaskEngine._failures`, and a
    cluster closing because the run was stopped logs ERROR lines that are no error of the
    user's."""
    logs = _loggers(loggers)
    levels = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for log, level in zip(logs, levels, strict=True):
            log.setLevel(level)


def _loggers(names: tuple[str, ...]) -> list[logging.Logger]:
    """The loggers ``names``, and those below them with a level of their own: distributed
    sets ``distributed.client`` to WARNING, which a quiet ``distributed`` does not silence
    (a scheduler lost mid-run printed its ERROR lines and tracebacks)."""
    below = tuple(f"{name}." for name in names)
    known = list(logging.Logger.manager.loggerDict)
    chosen = [*names, *(name for name in known if name.startswith(below))]
    logs = [logging.getLogger(name) for name in chosen]
    return [log for log in logs if log.name in names or log.level != logging.NOTSET]


def _dask_config(settings: dict[str, Any]) -> Any:
    """Dask settings for the length of a ``with`` (dask.config.set)."""
    import dask

    return dask.config.set(settings)


def _cores() -> int:
    """The cores this process may use (its affinity, which containers often narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def engine(
    name: str | None,
    scheduler: str | None = None,
    partitions: int | None = None,
    workers: int | None = None,
) -> Engine:
    """The engine the command line asks for, checked before any data is read: options that
    fit together, Dask installed, the scheduler reachable."""
    dask_options = scheduler is not None or workers is not None or partitions is not None
    chosen = name if name is not None else ("dask" if dask_options else "local")
    if chosen not in ENGINES:
        raise UsageError(f"unknown engine {chosen!r}: choose one of {', '.join(ENGINES)}")
    if chosen == "local":
        if dask_options:
            raise UsageError("--scheduler, --workers and --partitions need --engine dask")
        return LocalEngine()
    if scheduler is not None and workers is not None:
        raise UsageError("--workers sizes a local cluster: leave it out with --scheduler")
    for option, value in (("--partitions", partitions), ("--workers", workers)):
        if value is not None and value < 1:
            raise UsageError(f"{option} must be at least 1, not {value}")
    if workers is not None and workers > (most := WORKERS_PER_CORE * _cores()):
        raise UsageError(
            f"--workers {workers}: this machine has {plural(_cores(), 'core')}; a local"
            f" cluster of more than {most} workers only costs memory and start-up time (each"
            " worker is a process of its own)",
            hint=f"give at most {most}, or leave it out for one per core",
        )
    _distributed()
    if scheduler is not None:
        check_reachable(scheduler)
    return DaskEngine(scheduler, partitions, workers, split=scheduler is None)


SCHEMES = ("tcp", "tls")
"""The transports a scheduler is reached by: distributed's UCX needs packages of its own, and
its ``inproc://`` exists only inside one process."""


def check_reachable(scheduler: str) -> None:
    """Fail before any data is read when the scheduler's address is wrong or nothing
    listens there (a TCP connection, no Dask handshake: that comes with the run)."""
    hint = "start one with `dask scheduler` and give its address, e.g. tcp://10.0.0.5:8786"
    if not scheduler.strip():
        raise UsageError("--scheduler needs an address", hint=hint)
    scheme = scheduler.split("://", 1)[0] if "://" in scheduler else "tcp"
    if scheme not in SCHEMES:
        raise UsageError(
            f"--scheduler {scheduler}: churnwatch reaches a scheduler over tcp:// or tls://,"
            f" not {scheme}://",
            hint="give the scheduler's tcp:// address, e.g. tcp://10.0.0.5:8786",
        )
    try:
        host, port = _host_and_port(scheduler)
    except ValueError as error:
        raise UsageError(
            f"--scheduler {scheduler}: not an address ({error})",
            hint="give it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786",
        ) from None
    try:
        socket.create_connection((host, port), timeout=PROBE_SECONDS).close()
    except OSError as error:
        raise UsageError(
            f"cannot reach the Dask scheduler at {scheduler}: {error}", hint=hint
        ) from None
    _check_answers(scheduler, hint)


def _scheduler_gone(client: Any, scheduler: str) -> bool:
    """Whether a connection that closed under the run was the scheduler's: the client lost it
    (and is trying to reconnect), or the scheduler takes no connection. Otherwise it was a
    worker's: the client fetches the parts' results from the workers themselves."""
    if client.status != "running":
        return True
    try:
        socket.create_connection(_host_and_port(scheduler), timeout=LOST_PROBE_SECONDS).close()
    except (OSError, ValueError):
        return True
    return False


def _missing_module(error: BaseException) -> bool:
    """A worker without churnwatch (or a library it needs) that was sent a part: its import
    error arrives as itself, or as a plain ``Exception`` naming it."""
    return isinstance(error, ImportError) or (
        type(error) is Exception and str(error).startswith(("ModuleNotFoundError", "ImportError"))
    )


def _is_address(key: object) -> bool:
    """Whether a ``KeyError``'s key is a worker's address (``tcp://10.0.0.5:40211``): the
    scheduler's own bookkeeping of a worker that left while it was sent data."""
    return isinstance(key, str) and re.match(r"^[a-z0-9+]+://", key) is not None


def _lost_data(error: BaseException) -> bool:
    """A task cancelled because the worker holding its input left the cluster (distributed
    says so only in the text: "… cancelled for reason: lost dependencies", with the task's
    key, which means nothing to the user)."""
    return "lost dependencies" in str(error)


def _host_and_port(scheduler: str) -> tuple[str, int]:
    """Where the scheduler listens, or a ``ValueError`` that says in the user's terms what the
    address lacks (distributed's words for ``tcp://host:`` are "invalid literal for int()")."""
    from distributed.comm.addressing import parse_address, parse_host_port

    location = parse_address(scheduler)[1]
    if location.endswith(":"):
        raise ValueError("no port number after the colon")
    host, port = parse_host_port(location)
    if not host:
        raise ValueError("no host before the port")
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is not between 1 and 65535")
    return host, port


def _check_answers(scheduler: str, hint: str) -> None:
    """Fail when what listens at ``scheduler`` is no Dask scheduler: distributed's client
    waits for ever on a web server (the dashboard's port, 8787), and takes the HTTP reply
    of a proxy for the length of a message and runs out of memory."""
    import asyncio

    arguments = _distributed().Security().get_connection_args("client")
    if scheduler.startswith("tls://") and arguments.get("ssl_context") is None:
        raise UsageError(
            f"--scheduler {scheduler}: TLS needs this client's certificate and the cluster's"
            " CA in Dask's configuration",
            hint="set distributed.comm.tls.ca-file, .client.cert and .client.key (e.g. in"
            " ~/.config/dask/distributed.yaml), or give a tcp:// address",
        )
    try:
        with ThreadPoolExecutor(max_workers=1) as thread:  # free of a loop the caller runs
            identity = thread.submit(asyncio.run, _identity(scheduler, arguments)).result()
    except TimeoutError:
        answer = f"no answer in {HANDSHAKE_SECONDS} s"
    except Exception:  # whatever failed in reading its reply, it does not speak Dask
        answer = "its reply is not in Dask's protocol"
    else:
        kind = identity.get("type") if isinstance(identity, dict) else None
        if kind == "Scheduler":
            return
        answer = f"a Dask {kind}" if kind else "an unknown reply"
    raise UsageError(
        f"--scheduler {scheduler}: something listens there, but not a Dask scheduler ({answer})",
        hint="give the tcp:// address that `dask scheduler` prints on start; its port is"
        " 8786 unless set, never the dashboard's 8787",
    )


async def _identity(address: str, arguments: dict[str, Any]) -> object:
    """What the Dask server at ``address`` says it is."""
    import asyncio

    connect = _distributed().comm.connect
    comm = await asyncio.wait_for(
        connect(address, timeout=HANDSHAKE_SECONDS, **arguments), HANDSHAKE_SECONDS
    )
    try:
        await asyncio.wait_for(comm.write({"op": "identity"}), HANDSHAKE_SECONDS)
        return await asyncio.wait_for(comm.read(), HANDSHAKE_SECONDS)
    finally:
        comm.abort()


def default_partitions(customers: int, workers: int) -> int:
    """Two parts per worker at least, and parts of at most :data:`PART_CUSTOMERS`."""
    return max(2 * workers, math.ceil(customers / PART_CUSTOMERS), 1)


def _scored_part(
    evaluated: Evaluated, population: Population, rules: list[Rule], model: Model, codes: np.ndarray
) -> Scored:
    """Runs on a worker: the part's risk, with its rows coded as in the whole cut."""
    return scored(evaluated, population, rules, model).recoded(codes)


def _worker_count(client: Any) -> int:
    """Workers of the cluster (at least one: :meth:`DaskEngine.score` waited for one)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


STACK = ("churnwatch", "churnwatch-code", "numpy", "pandas", "pyarrow", "scipy")
"""What computes the rows: a worker with another version of any of them could round a risk
differently, so every worker must have this process's versions; churnwatch's by its number
and by a digest of its code (an editable install of changed code keeps its number)."""


def _check_versions(client: Any, mine: dict[str, str]) -> None:
    """Every worker must run the churnwatch (and numerical libraries) this process runs."""
    try:
        found = client.run(installed_versions, on_error="return")
    except OSError:  # the connection, not the workers' installation: the caller says so
        raise
    except Exception as error:  # a worker's ImportError arrives as a plain Exception
        raise _cannot_run(str(error)) from None
    # a worker's error comes back as its answer
    errors = {where: error for where, error in found.items() if isinstance(error, BaseException)}
    if lost := next((e for e in errors.values() if isinstance(e, OSError)), None):
        raise lost  # a worker not reached: the cluster's fault, said as such by the caller
    failed = sorted(f"{where}: {error}" for where, error in errors.items())
    if failed:
        raise _cannot_run(f"{'; '.join(failed[:6])}{' …' if len(failed) > 6 else ''}")
    wrong = sorted(
        f"{where} has {difference}"
        for where, theirs in found.items()
        for difference in _differences(theirs, mine)
    )
    if wrong:
        raise _refused(wrong)


def _cannot_run(why: str) -> UsageError:
    return UsageError(
        f"the Dask workers cannot run churnwatch: {why}",
        hint="install churnwatch and its dependencies (the versions of this machine) on"
        " every worker",
    )


class OtherVersionsError(Exception):
    """Raised on a worker that joined after the check and runs other versions."""


def _verified(mine: dict[str, str], function: Callable[..., Any], *args: Any) -> Any:
    """Runs on a worker: ``function``, only where the stack is this machine's. A worker
    that joined the cluster after the check at the start is checked here, before its first
    part, so a part is never computed by other versions."""
    different = _differences(_versions_here(), mine)
    if different:
        raise OtherVersionsError(f"{_this_worker()} has {', '.join(different)}")
    return function(*args)


def _task_key(function: Callable[..., Any]) -> str:
    """A task's name on the cluster's dashboard and in its logs: what it computes (every task
    runs through :func:`_verified`), unique among the runs sharing the cluster."""
    return f"churnwatch-{function.__name__.strip('_')}-{uuid4().hex}"


def _differences(theirs: dict[str, str], mine: dict[str, str]) -> list[str]:
    """``numpy 1.0.0`` for each library of :data:`STACK` whose version is not ``mine``."""
    return [
        f"{name} {theirs.get(name) or 'unknown (an older churnwatch)'}"
        for name in STACK
        if theirs.get(name) != mine[name]
    ]


def _refused(wrong: list[str]) -> UsageError:
    expected = ", ".join(f"{name} {version}" for name, version in installed_versions().items())
    return UsageError(
        f"the Dask workers run other versions than this machine ({expected}):"
        f" {'; '.join(wrong[:6])}{' …' if len(wrong) > 6 else ''}",
        hint="install the same versions on every worker, or the risks could differ",
    )


@cache
def _versions_here() -> dict[str, str]:
    """This worker's versions, read once per process."""
    return installed_versions()


def _this_worker() -> str:
    """The address of the worker running the task ("a worker" outside one)."""
    try:
        return str(_distributed().get_worker().address)
    except ValueError:
        return "a worker"


def installed_versions() -> dict[str, str]:
    """The versions of :data:`STACK` installed here (runs on each worker too)."""
    from importlib.metadata import PackageNotFoundError, version

    from churnwatch import __version__

    found = {"churnwatch": __version__, "churnwatch-code": code_digest(Path(__file__).parents[1])}
    for name in STACK[2:]:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "none"
    return found


@cache
def code_digest(package: Path) -> str:
    """The first 12 hex digits of a SHA-256 over the package's Python files (their paths
    inside it and their bytes, in order): the same on every machine that installed the
    same code, whatever its compiled files."""
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*.py")):
        digest.update(file.relative_to(package).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _distributed() -> Any:
    """dask.distributed, or a message that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--engine dask needs Dask, an optional extra",
            hint="pip install 'churnwatch[dask]', or from a clone: pip install '.[dask]'",
        ) from None
    return distributed
