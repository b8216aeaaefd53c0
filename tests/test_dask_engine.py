"""The Dask engine gives the default engine's results: every feature, risk, phase and rank.

A local cluster of two worker processes (started once for the module) runs the per-customer
stages on parts of whole customers; the outputs are compared byte for byte and frame by frame
with the local engine, on the examples and on generated exports of every source.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import gzip
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from churnwatch import api
from churnwatch.analyses import engines
from churnwatch.analyses.engines import DaskEngine, LocalEngine, default_partitions
from churnwatch.core import scratch, stops
from churnwatch.core.errors import ChurnwatchError, UsageError
from churnwatch.ingest.problems import Reason
from churnwatch.risk import training
from churnwatch.timeframe.partition import Split, cut_parts
from helpers import flawed_export, load
from scan_helpers import invoke, stderr_of

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

AS_OF = "2026-09-30"


@pytest.fixture
def examples(examples_dir: Path) -> Path:
    return examples_dir / "exports"


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    scratch = tmp_path_factory.mktemp("dask")  # not the shared /tmp/dask-scratch-space
    with (
        dask.config.set({"temporary-directory": str(scratch)}),
        distributed.LocalCluster(
            local_directory=scratch,
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs=engines.QUIET_SCHEDULER,
        ) as cluster,
    ):
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four years of orders, invoices, complaints and contacts of 2,500 customers with
    varied rhythms, some lapsing, some gone, ids of mixed shapes."""
    rng = np.random.default_rng(7)
    folder = tmp_path_factory.mktemp("generated")
    customers = 2_500
    ids = np.array([f"K-{i:05d}" if i % 3 else f"kunde {i}" for i in range(customers)])
    rate = rng.gamma(1.5, 1 / 40, customers)  # orders per day
    stop = np.where(rng.random(customers) < 0.3, rng.integers(0, 1460, customers), 1460)
    start = rng.integers(0, 1200, customers)
    per_customer = rng.poisson(rate * np.maximum(stop - start, 1))
    owner = np.repeat(np.arange(customers), per_customer)
    day = start[owner] + rng.integers(0, np.maximum(stop - start, 1)[owner])
    dates = np.datetime64("2022-10-01") + day.astype("timedelta64[D]")
    amount = np.round(rng.lognormal(6, 1, owner.size), 2)
    amount[rng.random(owner.size) < 0.02] *= -1  # credit notes
    frame = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(owner.size)],
            "customer_id": ids[owner],
            "order_date": dates,
            "amount": amount,
            "channel": rng.choice(["inbound", "outbound"], owner.size),
        }
    )
    frame.to_csv(folder / "orders.csv", index=False)
    invoices = frame[frame["amount"] > 0].sample(frac=0.8, random_state=1)
    late = rng.integers(-5, 60, len(invoices)).astype("timedelta64[D]")
    paid = invoices["order_date"].to_numpy() + np.timedelta64(30, "D") + late
    pd.DataFrame(
        {
            "invoice_id": [f"I{i}" for i in range(len(invoices))],
            "customer_id": invoices["customer_id"],
            "invoice_date": invoices["order_date"],
            "due_date": invoices["order_date"] + pd.Timedelta(days=30),
            "paid_date": np.where(rng.random(len(invoices)) < 0.95, paid, np.datetime64("NaT")),
            "amount": invoices["amount"],
        }
    ).to_csv(folder / "payments.csv", index=False)
    complaints = frame.sample(n=900, random_state=2)
    pd.DataFrame(
        {
            "complaint_id": [f"Q{i}" for i in range(len(complaints))],
            "customer_id": complaints["customer_id"],
            "opened_date": complaints["order_date"],
            "closed_date": complaints["order_date"] + pd.Timedelta(days=9),
            "severity": rng.choice(["low", "medium", "high"], len(complaints)),
            "category": "delivery",
        }
    ).to_csv(folder / "complaints.csv", index=False)
    contacts = frame.sample(n=3_000, random_state=3)
    pd.DataFrame(
        {
            "customer_id": contacts["customer_id"],
            "contact_date": contacts["order_date"],
            "direction": rng.choice(["inbound", "outbound"], len(contacts)),
            "channel": "phone",
            "outcome": rng.choice(["reached", "no answer"], len(contacts)),
        }
    ).to_csv(folder / "contacts.csv", index=False)
    return folder


def both_engines(folder: Path, scheduler: str, parts: int) -> tuple[api.ScanRun, api.ScanRun]:
    as_of = pd.Timestamp(AS_OF).date()
    local = api.scan_exports(folder, as_of=as_of, engine=LocalEngine())
    dask = api.scan_exports(folder, as_of=as_of, engine=DaskEngine(scheduler, parts))
    return local, dask


@pytest.mark.parametrize("parts", [1, 3, 8])
def test_every_feature_risk_phase_and_rank_is_the_same_on_the_examples(
    examples: Path, scheduler: str, parts: int
) -> None:
    local, dask = both_engines(examples, scheduler, parts)
    assert_same_result(local, dask)


@pytest.mark.parametrize("parts", [2, 5])
def test_every_feature_risk_phase_and_rank_is_the_same_on_generated_exports(
    generated: Path, scheduler: str, parts: int
) -> None:
    local, dask = both_engines(generated, scheduler, parts)
    assert len(local.result.customers) > 2_000
    assert local.result.model.training is not None  # the fitted model, not default weights
    assert {"payments", "complaints", "contacts"} <= set(local.cut.frames)
    assert_same_result(local, dask)


def assert_same_result(local: api.ScanRun, dask: api.ScanRun) -> None:
    ours, theirs = local.result, dask.result
    pd.testing.assert_frame_equal(ours.customers, theirs.customers, check_exact=True)
    np.testing.assert_array_equal(ours.fired, theirs.fired)
    np.testing.assert_array_equal(ours.contributions, theirs.contributions)
    assert [r.id for r in ours.rules] == [r.id for r in theirs.rules]
    assert [r.id for r in ours.not_applicable] == [r.id for r in theirs.not_applicable]
    assert ours.notes == theirs.notes


def test_the_command_line_writes_the_same_bytes_with_a_scheduler(
    examples: Path, scheduler: str, tmp_path: Path
) -> None:
    local, dask = tmp_path / "local.json", tmp_path / "dask.json"
    common = ("scan", examples, "--as-of", AS_OF, "-q", "-o")
    assert invoke(*common, local).exit_code == 0
    result = invoke(*common, dask, "--scheduler", scheduler, "--partitions", "4")
    assert result.exit_code == 0, stderr_of(result)
    assert dask.read_bytes() == local.read_bytes()
    assert json.loads(local.read_bytes())["customers"]


def test_parquet_bytes_and_uuid_ids_split_as_they_read(
    examples: Path, scheduler: str, tmp_path: Path
) -> None:
    """Ids stored as UUIDs and names as bytes, some not UTF-8 (old Hive writers): the parts
    are routed by the ids' text, and the names' note is the whole export's."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = tmp_path / "exports"
    shutil.copytree(examples, folder)
    orders = pacsv.read_csv(folder / "orders.csv")
    codes = pa.array(
        [uuid.uuid5(uuid.NAMESPACE_URL, i).bytes for i in orders["customer_id"].to_pylist()],
        pa.binary(16),
    )
    ids = pa.ExtensionArray.from_storage(pa.uuid(), codes)
    pq.write_table(orders.set_column(1, "customer_id", ids), folder / "orders.parquet")
    (folder / "orders.csv").unlink()
    customers = pacsv.read_csv(folder / "customers.csv")
    names = pa.array(
        [n.encode("latin-1", "replace") for n in customers["name"].to_pylist()], pa.binary()
    )
    pq.write_table(customers.set_column(1, "name", names), folder / "customers.parquet")
    (folder / "customers.csv").unlink()
    local, dask = tmp_path / "local.csv", tmp_path / "dask.csv"
    common = ("scan", folder, "--as-of", AS_OF, "-f", "csv", "-o")
    alone = invoke(*common, local)
    assert alone.exit_code == 0, stderr_of(alone)
    result = invoke(*common, dask, "--scheduler", scheduler, "--partitions", "3")
    assert result.exit_code == 0, stderr_of(result)
    assert dask.read_bytes() == local.read_bytes()
    assert stderr_of(result) == stderr_of(alone)
    assert "column 'name': bytes, not text; UTF-8, except for" in stderr_of(result)


def test_without_a_scheduler_a_local_cluster_of_two_workers_runs_the_scan(
    examples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-tmp"  # the local cluster leaves nothing in a shared folder
    shared.mkdir()
    monkeypatch.setenv("TMPDIR", str(shared))
    monkeypatch.setattr("tempfile.tempdir", None)
    local, dask = tmp_path / "local.csv", tmp_path / "dask.csv"
    common = ("scan", examples, "--as-of", AS_OF, "-q", "-o")
    assert invoke(*common, local).exit_code == 0
    result = invoke(*common, dask, "--engine", "dask", "--workers", "2")
    assert result.exit_code == 0, stderr_of(result)
    assert dask.read_bytes() == local.read_bytes()
    assert list(shared.iterdir()) == []


@pytest.mark.parametrize("after", [1.5, 2.0, 2.5])
def test_a_scan_stopped_while_its_local_cluster_runs_exits_quietly(
    examples: Path, tmp_path: Path, after: float
) -> None:
    """A cron timeout sends SIGTERM: exit 143, no traceback or Dask ERROR lines in the mail,
    no worker left running, no scratch folder left behind."""
    command = [str(Path(sys.executable).with_name("churnwatch")), "scan", str(examples)]
    command += ["--as-of", AS_OF, "--engine", "dask", "-q", "-o", str(tmp_path / "risks.csv")]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    environment = {**os.environ, "TMPDIR": str(scratch)}
    running = subprocess.Popen(command, env=environment, stderr=subprocess.PIPE, text=True)
    time.sleep(after)  # reading the exports, starting the cluster, scoring
    running.send_signal(signal.SIGTERM)
    _, errors = running.communicate(timeout=60)
    assert "Traceback" not in errors and "Exception ignored" not in errors
    assert "ERROR" not in errors, errors
    if running.returncode != 0:  # else it was done before the signal (a fast machine)
        assert running.returncode == 128 + signal.SIGTERM
        assert not (tmp_path / "risks.csv").exists()
    # The workers notice their parent is gone and remove their space: give them a while (a
    # busy machine takes seconds), but what is still there after that was left behind.
    deadline = time.monotonic() + 15.0
    while list(scratch.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*")) == []


WORKER_NOISE = """
import subprocess, sys
from churnwatch.core.streams import children_unheard, messages_apart

def child(text):
    subprocess.run([sys.executable, "-c", f"import os; os.write(2, {text!r}.encode())"])

messages_apart()
with children_unheard():
    child("started and heard of\\n")
    print("the run's message", file=sys.stderr)
child("heard of after\\n")
try:
    with children_unheard():
        raise KeyboardInterrupt
except KeyboardInterrupt:
    child("started as the stopped run unwinds\\n")
print("stopped", file=sys.stderr)
"""


def test_what_a_local_clusters_workers_write_to_stderr_never_reaches_the_user() -> None:
    """A worker being started as a cron timeout stopped the run printed ``EOFError: Ran out
    of input`` with a traceback into the mail. While the workers live, and after a stop,
    the processes the run starts write to nowhere; the run's own messages still arrive."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER_NOISE], capture_output=True, text=True, check=True
    )
    assert done.stderr == "the run's message\nheard of after\nstopped\n"


def test_the_workers_of_a_local_cluster_leave_ctrl_c_to_the_run() -> None:
    """Ctrl-C reaches every process of the terminal's group: each worker printed a traceback
    under the run's own one-line stop. Started, a worker lets it pass (the run closes the
    cluster)."""
    with DaskEngine(workers=2).cluster() as cluster:
        found = cluster.client.run(lambda: signal.getsignal(signal.SIGINT))
    assert len(found) == 2 and set(found.values()) == {signal.SIG_IGN}


def test_a_local_cluster_that_fails_to_close_under_a_stop_still_ends_as_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopped while its workers were starting, distributed's closing asserts on their state
    (``Status.init``): the run ends as stopped, not as an internal error with a traceback."""

    def connected(_engine: DaskEngine) -> Iterator[str]:
        try:
            yield "client"
        finally:
            raise AssertionError("Status.init")  # as LocalCluster.close did under a SIGTERM

    quieted: list[bool] = []
    monkeypatch.setattr(DaskEngine, "_connected", connected)
    monkeypatch.setattr(engines, "_quiet_from_now_on", lambda: quieted.append(True))
    stop = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt) as raised, DaskEngine(None, 2)._client():
        raise stop
    assert raised.value is stop and quieted == [True]
    with pytest.raises(AssertionError), DaskEngine(None, 2)._client():
        pass  # no stop behind it: a failure to close stays what it is


def test_the_progress_says_where_the_customers_are_scored(examples: Path, scheduler: str) -> None:
    """Connecting and splitting take seconds on a cluster: the spinner says what happens."""
    steps: list[str] = []
    api.scan_exports(examples, progress=steps.append, engine=DaskEngine(scheduler, 3))
    assert f"connecting to the Dask scheduler at {scheduler}" in steps
    assert "scoring the customers in 3 parts on 2 Dask workers" in steps
    started: list[str] = []
    engine = DaskEngine(workers=3)
    assert engine.planned_workers == 3  # what the local cluster is started with
    api.scan_exports(examples, progress=started.append, engine=engine)
    assert "starting a local Dask cluster of 3 workers" in started


def test_the_report_runs_on_the_dask_engine_too(
    examples: Path, scheduler: str, tmp_path: Path
) -> None:
    local, dask = tmp_path / "local.md", tmp_path / "dask.md"
    common = ("report", examples, "--as-of", AS_OF, "--no-history", "-q", "-o")
    assert invoke(*common, local).exit_code == 0
    result = invoke(*common, dask, "--scheduler", scheduler)
    assert result.exit_code == 0, stderr_of(result)
    assert dask.read_text() == local.read_text()


@pytest.mark.parametrize("cluster", ["a scheduler", "a local cluster"])
@pytest.mark.parametrize(
    ("command", "name"),
    [("loyal", "loyal.json"), ("winback", "winback.csv"), ("plan", "plan.json")],
)
def test_the_worklists_run_on_the_dask_engine_too(
    examples: Path, scheduler: str, tmp_path: Path, *, command: str, name: str, cluster: str
) -> None:
    """The loyal core, win-back and the contact plan come from a scan: on a cluster they are
    the very same lists. Win-back on a local cluster, which splits the export, stopped with
    an internal error: its reasons read the orders' rows, which the split scan kept none of."""
    local, dask = tmp_path / f"local-{name}", tmp_path / f"dask-{name}"
    common = (command, examples, "--as-of", AS_OF, "-q", "-o")
    assert invoke(*common, local).exit_code == 0
    if cluster == "a scheduler":
        on: tuple[str, ...] = ("--scheduler", scheduler)
    else:
        on = ("--engine", "dask", "--workers", "2")
    result = invoke(*common, dask, *on)
    assert result.exit_code == 0, stderr_of(result)
    assert dask.read_bytes() == local.read_bytes()
    assert len(local.read_bytes()) > 200  # a list, not an empty one


def test_parts_hold_whole_customers_across_every_source(examples: Path) -> None:
    cut = load(examples)
    everyone = np.arange(len(cut.customer_ids))
    split = Split.by_hash(cut.customer_ids, everyone, 4)
    assert np.array_equal(np.sort(np.concatenate(split.members)), everyone)
    for members, part in zip(split.members, cut_parts(cut, split), strict=True):
        wanted = set(cut.customer_ids[members])
        assert list(part.customer_ids) == list(cut.customer_ids[members])
        for name, frame in part.frames.items():
            whole = cut.frame(name)
            mine = whole[np.isin(whole["customer"].to_numpy(), members)]
            assert len(frame) == len(mine), name  # all of their rows, and no other's
            assert set(part.customer_ids[frame["customer"].to_numpy()]) <= wanted
            pd.testing.assert_frame_equal(  # in the order of the export
                frame.drop(columns="customer"),
                mine.drop(columns="customer").reset_index(drop=True),
            )


def test_a_customer_lands_in_the_same_part_whatever_else_is_in_the_export() -> None:
    few = pd.Index(["C0001", "C0002", "C0003"])
    many = pd.Index([f"C{i:04d}" for i in range(1, 500)])
    split_few = Split.by_hash(few, np.arange(len(few)), 8)
    split_many = Split.by_hash(many, np.arange(len(many)), 8)
    np.testing.assert_array_equal(split_few.part_of, split_many.part_of[:3])


def test_default_partitions_keep_every_worker_busy_and_parts_bounded() -> None:
    assert default_partitions(1_000, 2) == 4
    assert default_partitions(10_000_000, 2) == 40
    assert default_partitions(0, 1) == 2


def test_an_unreachable_scheduler_is_one_clear_message_before_any_reading(tmp_path: Path) -> None:
    result = invoke("scan", tmp_path, "-q", "--scheduler", "tcp://127.0.0.1:9")  # no exports
    assert result.exit_code == 2
    err = stderr_of(result)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err


def test_a_lost_scheduler_logs_nothing_of_its_own() -> None:
    """distributed gives ``distributed.client`` a level of its own (WARNING): a quiet
    ``distributed`` let its ERROR lines and tracebacks through when the scheduler was lost."""
    client_log = logging.getLogger("distributed.client")
    assert client_log.level == logging.WARNING  # distributed's setting, as imported
    with engines._quiet(engines.QUIET_LOGGERS):
        assert not client_log.isEnabledFor(logging.ERROR)
        assert not logging.getLogger("distributed.scheduler").isEnabledFor(logging.ERROR)
    assert client_log.level == logging.WARNING


RUNNING = SimpleNamespace(status="running")
"""What ``_failures`` asks of the client: whether it still holds its scheduler connection."""


def test_a_scheduler_lost_during_the_scan_is_said_so(scheduler: str) -> None:
    """Not "in <TCP (closed) ConnectionPool.broadcast local=… remote=…>: Stream is closed",
    with a hint about the workers' memory: where nothing takes connections at the scheduler's
    address any more, or where the client lost its connection to it (a scheduler restarted
    at the same address takes connections again)."""
    closed = distributed.comm.CommClosedError("in <TCP (closed)>: Stream is closed")
    with socket.create_server(("127.0.0.1", 0)) as gone:  # a port where nothing listens after
        address = f"tcp://127.0.0.1:{gone.getsockname()[1]}"
    reconnecting = SimpleNamespace(status="connecting")
    for where, client in ((address, RUNNING), (scheduler, reconnecting)):
        with pytest.raises(ChurnwatchError) as lost, DaskEngine(where)._failures(client):
            raise closed
        assert str(lost.value).startswith(
            f"the connection to the Dask scheduler at {where} was lost during the scan"
        )
        said = str(lost.value)
        assert "TCP" not in said and "check that the scheduler still runs" in said


@pytest.mark.parametrize(
    "error",
    [
        distributed.comm.CommClosedError("in <TCP (closed) ConnectionPool.gather>: closed"),
        CancelledError("churnwatch-_scored_part-1b0a cancelled for reason: lost dependencies"),
        distributed.KilledWorker("churnwatch-_scored_part-1b0a", "tcp://10.0.0.7:40111", 3),
        KeyError("tcp://127.0.0.1:46103"),  # the scheduler's, for a worker lost while sent data
    ],
)
def test_a_worker_lost_during_the_scan_is_not_blamed_on_the_scheduler(
    scheduler: str, error: BaseException
) -> None:
    """The connection that closed was to a worker, the scheduler still runs; and a task
    cancelled with its input is no key to show the user."""
    for engine, where in ((DaskEngine(scheduler), f"at {scheduler}"), (DaskEngine(), "started")):
        with pytest.raises(ChurnwatchError) as lost, engine._failures(RUNNING):
            raise error
        assert str(lost.value).startswith(f"a Dask worker of the cluster {where}")
        assert "was lost during the scan" in str(lost.value)
        assert "scored_part" not in str(lost.value) and "TCP" not in str(lost.value)


@pytest.mark.parametrize(
    "error",
    [
        Exception("ModuleNotFoundError(\"No module named 'churnwatch'\")"),
        ModuleNotFoundError("No module named 'churnwatch'"),
    ],
)
def test_a_worker_without_churnwatch_that_joins_during_the_scan_is_said_so(
    scheduler: str, error: BaseException
) -> None:
    """A worker that joined after the check at the start, without churnwatch, is sent a
    part: its import error ended the scan as "internal error: Exception: ModuleNotFound…",
    where a worker there from the start is named as unable to run churnwatch."""
    with pytest.raises(UsageError) as refused, DaskEngine(scheduler)._failures(RUNNING):
        raise error
    said = str(refused.value)
    assert said.startswith("the Dask workers cannot run churnwatch: a worker that joined")
    assert "No module named 'churnwatch'" in said and "install churnwatch" in said


def test_other_errors_under_the_cluster_calls_stay_errors(scheduler: str) -> None:
    """A key the scheduler does not know that is no worker's address, or any other error of
    the run, is not taken for a lost worker: a bug stays a bug."""
    for error in (KeyError("customer"), Exception("something else"), ValueError("x")):
        with pytest.raises(type(error)), DaskEngine(scheduler)._failures(RUNNING):
            raise error


@contextlib.contextmanager
def listener(reply: bytes | None) -> Iterator[str]:
    """A local server that answers every connection with ``reply`` and closes it, or (None)
    says nothing at all, as a web server waiting for a request; its tcp:// address."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = server.accept()
                if reply is None:
                    held.append(connection)
                    continue
                connection.sendall(reply)
                connection.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for connection in held:
            connection.close()


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n", "not in Dask's protocol"),
        (None, "no answer in 1 s"),  # a web server, the dashboard's port: waited for ever
    ],
)
def test_an_address_where_no_scheduler_answers_is_one_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reply: bytes | None, says: str
) -> None:
    """An HTTP reply (a proxy) came out as "out of memory": distributed read its bytes as a
    message's length."""
    monkeypatch.setattr(engines, "HANDSHAKE_SECONDS", 1)
    with listener(reply) as address:
        result = invoke("scan", tmp_path, "-q", "--scheduler", address)  # no exports
    assert result.exit_code == 2
    err = stderr_of(result)
    assert f"--scheduler {address}: something listens there, but not a Dask scheduler" in err
    assert says in err and "never the dashboard's 8787" in err
    assert "memory" not in err and "Traceback" not in err


def test_a_worker_given_as_the_scheduler_is_named(scheduler: str) -> None:
    client = distributed.Client(scheduler)
    try:
        worker = next(iter(client.scheduler_info()["workers"]))
    finally:
        client.close()
    with pytest.raises(UsageError, match=r"not a Dask scheduler \(a Dask (Worker|Nanny)\)"):
        engines.check_reachable(worker)


def test_a_tls_scheduler_without_certificates_is_one_clear_message(scheduler: str) -> None:
    tls = scheduler.replace("tcp://", "tls://")
    with pytest.raises(UsageError, match="TLS needs this client's certificate") as refused:
        engines.check_reachable(tls)
    assert "distributed.comm.tls.ca-file" in str(refused.value.hint)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--partitions", "4"], None),  # implies the Dask engine: checked below
        (["--engine", "local", "--partitions", "4"], "need --engine dask"),
        (["--engine", "spark"], "unknown engine 'spark'"),
        (["--scheduler", "tcp://h:8786", "--workers", "2"], "leave it out with --scheduler"),
        (["--scheduler", ""], "--scheduler needs an address"),
        (["--engine", ""], "unknown engine ''"),
        (["--scheduler", "nonsense"], "--scheduler nonsense: not an address (missing port number"),
        (["--scheduler", "tcp://127.0.0.1:99999"], "not an address (port 99999 is not between"),
        (["--scheduler", "tcp://127.0.0.1:"], "not an address (no port number after the colon)"),
        (["--scheduler", "tcp://:8786"], "not an address (no host before the port)"),
        (["--scheduler", "ucx://10.0.0.1:8786"], "over tcp:// or tls://, not ucx://"),
        (["--workers", "100"], "--workers 100: this machine has"),  # 5 GB and minutes on 2 cores
    ],
)
def test_engine_options_that_do_not_fit_together_are_refused(
    examples: Path, options: list[str], says: str | None
) -> None:
    if says is None:
        assert isinstance(api.engine(None, partitions=4), DaskEngine)
        return
    result = invoke("scan", examples, *options)
    assert result.exit_code == 2
    assert says in stderr_of(result)


def test_without_dask_installed_the_message_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, examples: Path
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes the import fail
    result = invoke("scan", examples, "--engine", "dask")
    assert result.exit_code == 2
    assert "pip install 'churnwatch[dask]'" in stderr_of(result)


def test_workers_with_other_versions_are_refused() -> None:
    mine = engines.installed_versions()

    class Client:
        def run(self, function: object, on_error: str = "raise") -> dict[str, dict[str, str]]:
            return {
                "tcp://10.0.0.7:40000": mine | {"churnwatch": "0.0.1"},
                "tcp://10.0.0.8:40000": mine | {"numpy": "1.0.0"},
                "tcp://10.0.0.9:40000": mine,
                "tcp://10.0.0.10:40000": mine | {"churnwatch-code": "0123456789ab"},
                "tcp://10.0.0.11:40000": {k: v for k, v in mine.items() if k != "churnwatch-code"},
            }

    with pytest.raises(UsageError) as refused:
        engines._check_versions(Client(), engines.installed_versions())
    assert "tcp://10.0.0.7:40000 has churnwatch 0.0.1" in str(refused.value)
    assert "tcp://10.0.0.8:40000 has numpy 1.0.0" in str(refused.value)
    assert "10.0.0.9:" not in str(refused.value)
    assert "tcp://10.0.0.10:40000 has churnwatch-code 0123456789ab" in str(refused.value)
    said = "tcp://10.0.0.11:40000 has churnwatch-code unknown (an older churnwatch)"
    assert said in str(refused.value)


def test_churnwatchs_code_is_told_apart_by_its_source_not_its_version(tmp_path: Path) -> None:
    """A worker running an editable install of changed code reports the same version number:
    the digest of the package's Python files tells it apart; compiled files do not count."""
    package = tmp_path / "churnwatch"
    (package / "ingest").mkdir(parents=True)
    (package / "__init__.py").write_text("__version__ = '0.1.0'\n")
    (package / "ingest" / "reader.py").write_text("ROWS = 1\n")
    first = engines.code_digest(package)
    (package / "ingest" / "__pycache__").mkdir()
    (package / "ingest" / "__pycache__" / "reader.cpython-311.pyc").write_bytes(b"\0")
    engines.code_digest.cache_clear()
    assert engines.code_digest(package) == first
    (package / "ingest" / "reader.py").write_text("ROWS = 2\n")
    engines.code_digest.cache_clear()
    assert engines.code_digest(package) != first
    assert len(first) == 12
    assert engines.installed_versions()["churnwatch-code"] == engines.code_digest(
        Path(engines.__file__).parents[1]
    )


def test_a_worker_that_joins_after_the_check_is_checked_before_its_first_part(
    examples: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker missed by the check at the start (it joined later) computes no part with
    other versions: each part checks the worker it runs on. Here the check at the start is
    skipped and this machine claims another numpy than the workers have."""
    mine = engines.installed_versions()
    monkeypatch.setattr(engines, "_check_versions", lambda client, stack: None)
    monkeypatch.setattr(engines, "installed_versions", lambda: mine | {"numpy": "1.0.0"})
    with pytest.raises(UsageError) as refused:
        api.scan_exports(examples, engine=DaskEngine(scheduler, 2))
    message = str(refused.value)
    assert "other versions than this machine (churnwatch" in message
    assert "tcp://127.0.0.1:" in message and f"has numpy {mine['numpy']}" in message


def test_a_part_runs_only_where_the_versions_match() -> None:
    mine = engines.installed_versions()
    assert engines._verified(mine, sum, [1, 2]) == 3
    with pytest.raises(engines.OtherVersionsError) as refused:  # expected 0.0.1, found ours
        engines._verified(mine | {"churnwatch": "0.0.1"}, sum, [1, 2])
    assert str(refused.value) == f"a worker has churnwatch {mine['churnwatch']}"


def test_a_scheduler_without_workers_is_one_clear_message(
    examples: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(engines, "CONNECT_SECONDS", 2)
    with (
        dask.config.set({"temporary-directory": str(tmp_path)}),
        distributed.LocalCluster(
            n_workers=0, host="127.0.0.1", dashboard_address=None, local_directory=tmp_path
        ) as empty,
        pytest.raises(ChurnwatchError, match="has no workers"),
    ):
        api.scan_exports(examples, engine=DaskEngine(empty.scheduler_address))


def test_credit_notes_only_give_the_same_empty_list(scheduler: str, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,amount\nG1,C1,2026-01-05,-10\nG2,C2,2026-02-05,-20\n"
    )
    local, dask = both_engines(tmp_path, scheduler, 2)
    assert len(dask.result.customers) == len(local.result.customers) == 0


def test_ties_stay_tied_with_many_small_parts_and_many_rules(
    generated: Path, scheduler: str, tmp_path: Path
) -> None:
    """A BLAS product can round a row by where it sits in the matrix; a risk computed on a
    part of 3 customers must have the bits of the one computed on all 2,500."""
    rules = "".join(
        f'[[rules]]\nid = "extra-{k}"\ntitle = "Extra {k}"\n'
        f'when = "tenure_days >= {30 * k} or days_since_last_order >= {11 * k}"\n'
        f'weight = {10 + 1.37 * k}\npin = true\naction = "Look"\n'
        f'explain = "tenure {{tenure_days:.0f}}"\n\n'
        for k in range(14)
    )
    config = tmp_path / "churnwatch.toml"
    config.write_text(rules)
    as_of = pd.Timestamp(AS_OF).date()
    local = api.scan_exports(generated, config, as_of, engine=LocalEngine())
    dask = api.scan_exports(generated, config, as_of, engine=DaskEngine(scheduler, 800))
    assert len(local.result.rules) >= 20
    assert_same_result(local, dask)


def test_the_default_engine_never_imports_dask(examples: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from churnwatch import api;"
        f" api.scan_exports(Path({str(examples)!r}));"
        " assert not {'dask', 'distributed'} & set(sys.modules), 'dask was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_workers_that_cannot_import_churnwatch_are_refused() -> None:
    class Client:
        def run(self, function: object, on_error: str = "raise") -> dict[str, dict[str, str]]:
            raise Exception("ModuleNotFoundError(\"No module named 'churnwatch'\")")

    with pytest.raises(UsageError, match=r"cannot run churnwatch: .*No module named"):
        engines._check_versions(Client(), engines.installed_versions())


def test_a_worker_that_cannot_import_churnwatch_is_named() -> None:
    """Among workers that can: the one to install churnwatch on is said by its address."""
    mine = engines.installed_versions()

    class Client:
        def run(self, function: object, on_error: str = "raise") -> dict[str, object]:
            assert on_error == "return"
            missing = ModuleNotFoundError("No module named 'churnwatch'")
            return {"tcp://10.0.0.7:40001": mine, "tcp://10.0.0.8:40001": missing}

    with pytest.raises(UsageError, match=r"run churnwatch: tcp://10\.0\.0\.8:40001: No module"):
        engines._check_versions(Client(), mine)


def test_a_bug_in_churnwatch_is_not_blamed_on_the_cluster(examples: Path, scheduler: str) -> None:
    """Only the cluster's own calls become 'the Dask cluster failed': an OSError from
    churnwatch's code (here, the risk fit) stays what it is, an internal error."""
    from churnwatch.features import population_step

    opened = api.open_exports(examples)
    cut = opened.cut(pd.Timestamp(AS_OF).date())
    population = population_step(cut, opened.config.windows)
    rules = api.rules_for(opened.config, opened.config_path)

    def broken() -> engines.Model:
        raise FileNotFoundError("a bug, not the cluster")

    with pytest.raises(FileNotFoundError, match="a bug"):
        DaskEngine(scheduler, 2).score(cut, population, rules, broken)


# -- an export split into parts on disk (the local cluster's way: never held whole) ---------


def split_and_local(
    folder: Path, scheduler: str, parts: int, as_of: str | None = AS_OF
) -> tuple[api.ScanRun, api.ScanRun]:
    day = pd.Timestamp(as_of).date() if as_of else None
    local = api.scan_exports(folder, as_of=day, engine=LocalEngine())
    split = DaskEngine(scheduler, parts, split=True)
    return local, api.scan_exports(folder, as_of=day, engine=split)


def assert_same_scan(local: api.ScanRun, split: api.ScanRun) -> None:
    """The same rows, and the same said about the data: every problem and note, counted over
    the parts as over the whole export, with the export's lines."""
    assert_same_result(local, split)
    said = [p.describe() for p in local.cut.problems]
    assert [p.describe() for p in split.cut.problems] == said  # in the same order too
    assert split.cut.as_of == local.cut.as_of
    assert split.result.sources() == local.result.sources()
    assert split.unusable() == local.unusable()


@pytest.mark.parametrize("parts", [1, 4])
def test_a_split_export_gives_the_same_scan_on_the_examples(
    examples: Path, scheduler: str, parts: int
) -> None:
    local, split = split_and_local(examples, scheduler, parts)
    assert_same_scan(local, split)
    assert all(frame.columns.empty for frame in split.cut.frames.values())  # no rows held


def test_a_folder_of_parquet_parts_gives_the_same_scan_when_split(
    examples: Path, scheduler: str, tmp_path: Path
) -> None:
    """Spark's way of writing a table: the parts are one export, also with a flaw in one."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = tmp_path / "exports"
    shutil.copytree(examples, folder)
    table = pacsv.read_csv(folder / "orders.csv")
    dates = table.column("order_date").cast(pa.string()).to_pylist()
    dates[5000] = "2025-02-30"
    table = table.set_column(table.schema.get_field_index("order_date"), "order_date", [dates])
    (folder / "orders").mkdir()
    for index in range(11):
        pq.write_table(table.slice(index * 2000, 2000), folder / "orders" / f"part-{index}.parquet")
    (folder / "orders" / "_SUCCESS").write_bytes(b"")
    (folder / "orders.csv").unlink()
    local, split = split_and_local(folder, scheduler, 3)
    assert "orders/part-2.parquet:1002: column 'order_date'" in next(
        p.describe() for p in local.cut.problems
    )
    assert_same_scan(local, split)


def test_a_parquet_export_of_text_views_gives_the_same_scan_when_split(
    examples: Path, scheduler: str, tmp_path: Path
) -> None:
    """Polars and DuckDB may write text as views: Arrow takes no rows out of them, and the
    split stopped with 'cannot be read as Parquet' where the default engine read them."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = tmp_path / "exports"
    shutil.copytree(examples, folder)
    table = pacsv.read_csv(folder / "orders.csv")
    for name, kind in (("customer_id", pa.string_view()), ("channel", pa.binary_view())):
        place = table.schema.get_field_index(name)
        table = table.set_column(place, name, table.column(name).cast(kind))
    pq.write_table(table, folder / "orders.parquet")
    (folder / "orders.csv").unlink()
    local, split = split_and_local(folder, scheduler, 3)
    assert_same_scan(local, split)


def test_a_parquet_export_written_as_text_is_read_as_a_whole_when_split(
    scheduler: str, tmp_path: Path
) -> None:
    """US dates sorted by day and amounts such as '1,401', as text in Parquet: each part
    sniffed its own first rows (the export's decide), and the note on how the amounts were
    read was missing on both engines."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    days = pd.date_range("2024-01-01", "2024-12-31")
    early = [day for day in days if day.month == 1 and day.day <= 12]
    rows = [
        (f"C{n % 37 + 1}", f"{day:%m/%d/%Y}", f"{1 + n % 3},{n % 900 + 100}")
        for day in days
        for n in range(45 if day in early else 3)
    ]
    customers, dates, amounts = (list(column) for column in zip(*rows, strict=True))
    table = pa.table({"customer_id": customers, "order_date": dates, "amount": amounts})
    pq.write_table(table, tmp_path / "orders.parquet")
    local, split = split_and_local(tmp_path, scheduler, 4, as_of="2024-12-31")
    assert local.cut.dataset.sources["orders"].rows_skipped == 0
    assert [p.code for p in local.cut.problems if p.code == "ambiguous_numbers"] == [
        "ambiguous_numbers"
    ]
    assert_same_scan(local, split)


def test_a_split_export_gives_the_same_scan_on_generated_exports(
    generated: Path, scheduler: str
) -> None:
    local, split = split_and_local(generated, scheduler, 5)
    assert local.result.model.training is not None
    assert_same_scan(local, split)


def test_a_split_export_says_what_the_whole_export_says_about_its_data(
    scheduler: str, tmp_path: Path
) -> None:
    """Unreadable dates and amounts, repeated and short rows, invoices of customers without
    orders, orders dated after today, the reference date taken from the data."""
    flawed_export(tmp_path, 900, seed=5)
    later = (dt.date.today() + dt.timedelta(days=40)).strftime("%d.%m.%Y")
    with (tmp_path / "orders.csv").open("a", encoding="utf-8") as orders:
        orders.write(f"7;{later};10,00;F1\n12;{later};11,00;F2\n")
    local, split = split_and_local(tmp_path, scheduler, 4, as_of=None)
    codes = {p.code for p in local.cut.problems}
    assert {"bad_date", "bad_number", "duplicate", "field_count", "orphan"} <= codes
    assert "after_as_of" in codes
    assert_same_scan(local, split)


@pytest.mark.parametrize("short_row", [False, True], ids=["one line each", "a short row"])
def test_warnings_name_the_lines_grep_names_after_a_return_alone(
    scheduler: str, tmp_path: Path, short_row: bool
) -> None:
    """A return alone in a file of line feeds (``"in\rbound"`` typed into a field, or a
    stray one the reader takes for a row's end) ends no line for ``grep -n`` or ``sed``:
    the rows after it were named one line on per return where the file was walked (a short
    row), and differently on the Dask engine."""
    flawed_export(tmp_path, 300, seed=3)
    orders = tmp_path / "orders.csv"
    text = orders.read_bytes().replace(b"31.02.", b"28.02.").replace(b"\nkaputt\n", b"\n")
    extra = [b'7;01.03.2024;5,00;"in\rbound"'] * 3 + [b"8;02.03.2024;6,00;X1\r9;03.03.2024;7,00;X2"]
    extra += [b"kaputt"] if short_row else []
    extra += [b"10;31.02.2024;8,00;BAD-DATE"]
    orders.write_bytes(text + b"\n".join(extra) + b"\n")
    local, split = split_and_local(tmp_path, scheduler, 3)
    grep = orders.read_bytes().split(b"\n")
    (said,) = (p for p in local.cut.problems if p.code == "bad_date")
    assert grep[said.lines[0] - 1] == b"10;31.02.2024;8,00;BAD-DATE"
    assert_same_scan(local, split)


@pytest.mark.parametrize("parts", [2, 3, 4])
def test_a_split_export_says_a_sources_problems_in_the_whole_exports_order(
    examples: Path, scheduler: str, tmp_path: Path, parts: int
) -> None:
    """Column by column, what is missing before what cannot be read, as the whole export's
    reader says them, also where no part holds two of them together to show the order (the
    JSON's notes were in another order on the two engines)."""
    shutil.copytree(examples, tmp_path, dirs_exist_ok=True)
    lines = (tmp_path / "orders.csv").read_text().split("\n")
    for line, field, value in [(5, 2, ""), (1500, 2, ""), (10, 3, "nan"), (2001, 3, "")]:
        fields = lines[line].split(",")
        fields[field] = value
        lines[line] = ",".join(fields)
    (tmp_path / "orders.csv").write_text("\n".join(lines))
    local, split = split_and_local(tmp_path, scheduler, parts)
    assert_same_scan(local, split)


@pytest.mark.parametrize("parts", [2, 4])
def test_a_split_export_says_a_quote_left_open_at_the_end_as_the_whole_does(
    examples: Path, scheduler: str, tmp_path: Path, parts: int
) -> None:
    """The last line's quote never closed: each part ends where its last record does, and
    the one holding the export's last line says it, with the export's line."""
    shutil.copytree(examples, tmp_path, dirs_exist_ok=True)
    orders = tmp_path / "orders.csv"
    last = orders.read_text().rstrip("\n").rsplit("\n", 1)[1].split(",")
    last[-1] = '"' + last[-1]
    with orders.open("a") as end:
        end.write(",".join(last) + "\n")
    local, split = split_and_local(tmp_path, scheduler, parts)
    said = next(p for p in local.cut.problems if p.code == "quote_open_at_the_end")
    assert said.lines == (len(orders.read_text().splitlines()),)
    assert_same_scan(local, split)


def test_a_split_export_picks_the_training_customers_the_whole_export_picks(
    scheduler: str, tmp_path: Path
) -> None:
    """More customers than the risk fit trains on (every k-th) and than the BG/NBD fit
    takes: the parts' customers are coded and sampled as the whole export's."""
    rng = np.random.default_rng(3)
    customers = training.TRAINING_CUSTOMERS + 4_000
    owner = np.repeat(np.arange(customers), rng.integers(1, 5, customers))
    day = rng.integers(0, 900, owner.size)
    pd.DataFrame(
        {
            "customer_id": [f"C{code}" for code in owner],
            "order_date": np.datetime64("2024-01-01") + day.astype("timedelta64[D]"),
            "amount": np.round(rng.lognormal(4, 1, owner.size), 2),
        }
    ).to_csv(tmp_path / "orders.csv", index=False)
    local, split = split_and_local(tmp_path, scheduler, 3, as_of="2026-06-30")
    assert local.result.model.training is not None
    assert_same_scan(local, split)


def test_credit_notes_only_give_the_same_empty_list_when_split(
    scheduler: str, tmp_path: Path
) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,amount\nG1,C1,2026-01-05,-10\nG2,C2,2026-02-05,-20\n"
    )
    local, split = split_and_local(tmp_path, scheduler, 2)
    assert len(split.result.customers) == len(local.result.customers) == 0
    assert_same_scan(local, split)


@pytest.mark.parametrize("packed", ["csv", "parquet"])
def test_a_split_that_fills_the_temporary_folder_says_so(
    examples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packed: str
) -> None:
    """The parts are written to the temporary folder: when it is full, that is what to fix
    (not the export, which a Parquet export's message blamed)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    folder = tmp_path / "exports"
    shutil.copytree(examples, folder)
    if packed == "parquet":
        pq.write_table(pacsv.read_csv(folder / "orders.csv"), folder / "orders.parquet")
        (folder / "orders.csv").unlink()
        monkeypatch.setattr(pq.ParquetWriter, "write_batch", full)
    else:
        monkeypatch.setattr("churnwatch.ingest.export_parts._CsvSplitter.split", full)
    out = tmp_path / "out.csv"
    result = invoke("scan", folder, "-q", "--engine", "dask", "--workers", "1", "-o", out)
    assert result.exit_code == 2
    assert "no space left on the disk; nothing was written" in stderr_of(result)
    assert "internal error" not in stderr_of(result)
    assert not out.exists()


def test_a_split_scan_that_fails_says_so_once_and_leaves_no_part_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export a worker cannot read: the message names the export's file and line, the
    exit is 2, and the parts (the customers' data) are gone with the run."""
    folder = tmp_path / "exports"
    folder.mkdir()
    orders = "".join(f"{n};01.02.2024;3\n" for n in range(40))
    (folder / "orders.csv").write_text("customer_id;order_date;amount\n" + orders)
    (folder / "payments.csv").write_bytes(
        b"customer_id;invoice_id;invoice_date;due_date;paid_date;amount\n"
        + b"".join(b"%d;R1;02.03.2024;16.03.2024;;1\n" % n for n in range(40))
        + b"7;R2;02.03.2024;16.03.2024;;1 \xff\n"
    )
    (folder / "churnwatch.toml").write_text('[sources.payments]\nencoding = "utf-8"\n')
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    monkeypatch.setenv("TMPDIR", str(shared))
    monkeypatch.setattr("tempfile.tempdir", None)
    result = invoke("scan", folder, "-q", "--engine", "dask", "--workers", "2")
    assert result.exit_code == 2
    assert f"{folder / 'payments.csv'}:42: not valid utf-8 text" in stderr_of(result)
    assert "Traceback" not in stderr_of(result)
    assert list(shared.iterdir()) == []


def test_a_private_folder_goes_when_a_stopped_run_ends_by_its_deadline() -> None:
    with scratch.private_folder("churnwatch-test-") as folder:
        (folder / "part.csv").write_text("customer data")
        scratch.remove_all()  # what the deadline of a stopped run calls
        assert not folder.exists()


def test_a_stop_while_a_private_folder_is_removed_waits_till_it_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Raised in the middle of the removal, the stop left the folder (a run's parts of the
    customers' data) behind in the shared temporary directory; it is raised after."""
    remove = os.unlink

    def stopped_while(path: str, *args: Any, **kwargs: Any) -> None:
        stops.stop(signal.SIGTERM)  # what the signal handler calls, as a SIGTERM came now
        remove(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", stopped_while)
    registered = list(scratch._CLEAN_UPS)
    with (
        pytest.raises(stops.Stopped),
        scratch.private_folder("churnwatch-test-") as folder,
    ):
        (folder / "part.csv").write_text("customer data")
    assert not folder.exists()
    assert registered == scratch._CLEAN_UPS


def test_a_stop_as_a_private_folder_is_made_leaves_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    made: list[str] = []
    make = tempfile.mkdtemp

    def stopped_after(*args: Any, **kwargs: Any) -> str:
        made.append(make(*args, **kwargs))
        stops.stop(signal.SIGTERM)
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", stopped_after)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    registered = list(scratch._CLEAN_UPS)
    with pytest.raises(stops.Stopped), scratch.private_folder("churnwatch-test-"):
        pytest.fail("the stop is raised before the folder is used")
    assert made and list(tmp_path.iterdir()) == []
    assert registered == scratch._CLEAN_UPS


def test_stops_wait_for_the_outermost_held_moment() -> None:
    ran = []
    with pytest.raises(stops.Stopped) as stop, stops.held():
        with stops.held():
            stops.stop(signal.SIGHUP)
            ran.append("inner")
        ran.append("outer")
    assert ran == ["inner", "outer"] and stop.value.signum == signal.SIGHUP
    with pytest.raises(stops.Stopped):  # nothing held: raised at once
        stops.stop(signal.SIGTERM)


def _orders(customers: int = 40, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    return [
        f"C{c},2024-{rng.integers(1, 13):02d}-{rng.integers(1, 28):02d},{rng.integers(10, 500)}.50"
        for c in range(1, customers + 1)
        for _ in range(rng.integers(3, 12))
    ]


HEADER = "customer_id,order_date,amount"
PAYMENTS_HEADER = "customer_id,invoice_id,invoice_date,due_date,paid_date,amount\n"


def _day_first(row: str) -> str:
    """An order row of :func:`_orders` with its date written ``05.03.2024``."""
    customer, day, amount = row.split(",")
    year, month, date = day.split("-")
    return f"{customer},{date}.{month}.{year},{amount}"


def _negative(row: str) -> str:
    """An order's row with its amount written negative."""
    head, amount = row.rsplit(",", 1)
    return f"{head},-{amount}"


def _invoices(paid: Callable[[int], str]) -> str:
    """One invoice for each of the 40 customers, paid on ``paid(customer number)``."""
    rows = (f"C{c},R{c},2024-03-02,2024-03-16,{paid(c)},10" for c in range(1, 41))
    return PAYMENTS_HEADER + "\n".join(rows)


ROUGH_EXPORTS = {
    "invoices of one customer only (the other parts have none)": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": PAYMENTS_HEADER + "C1,R1,2024-03-02,2024-03-16,2024-03-20,10",
    },
    "ids empty and ids of blanks": {
        "orders.csv": "\n".join([HEADER, *_orders(), ",2024-05-01,10", "  ,2024-05-02,11"]),
    },
    "a customer id with a quoted line break": {
        "orders.csv": "\n".join([HEADER, *_orders(), *['"C7\n",2024-05-01,10'] * 5]),
    },
    "master data repeating customers": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "customers.csv": "\n".join(
            ["customer_id,name,segment,owner"]
            + [f"C{i},Name {i},A,Olga" for i in range(1, 41)]
            + ["C5,Other,B,Paul", "C9,Other,B,Paul", "X1,Nobody,A,Olga"]
        ),
    },
    "severities ranked by their numbers, P1 in one part only": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "complaints.csv": "\n".join(
            ["customer_id,opened_date,severity", "C1,2024-12-01,P1"]
            + [f"C{c},2024-12-0{1 + c % 9},P{2 + c % 2}" for c in range(2, 41)]
        ),
    },
    "ids with and without leading zeros (hashed to other parts)": {
        "orders.csv": "\n".join(
            [
                HEADER,
                *(
                    f"{c},2024-0{1 + n % 9}-1{n % 9},{n}.5"
                    for n in range(120)
                    for c in [str(n % 40), "007", "0012"][n % 3 : n % 3 + 1]
                ),
            ]
        ),
        "payments.csv": PAYMENTS_HEADER
        + "\n".join(f"{c},R{c},2024-03-02,2024-03-16,,10" for c in ["0031", "0023", "5", "099"]),
    },
    "prefixed ids with and without leading zeros (hashed to other parts)": {
        "orders.csv": "\n".join(
            [
                HEADER,
                *(
                    f"KD-{'0' * (n % 3)}{n % 40},2024-0{1 + n % 9}-1{n % 9},{n}.5"
                    for n in range(120)
                ),
            ]
        ),
        "payments.csv": PAYMENTS_HEADER
        + "\n".join(f"{c},R{c},2024-03-02,2024-03-16,,10" for c in ["KD-0031", "KD-23", "KD-099"]),
    },
    "dates of zeros in many parts": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": _invoices(lambda c: "0000-00-00" if c % 3 else "2024-03-20"),
    },
    "sales written as negative amounts for most customers": {
        "orders.csv": "\n".join(
            [HEADER, *(r if int(r.split(",")[0][1:]) % 4 == 0 else _negative(r) for r in _orders())]
        ),
    },
    "a paid date of zeros in one part, a dash in another": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": _invoices(lambda c: {1: "0000-00-00", 3: "-"}.get(c, "2024-03-20")),
    },
    "paid dates written as none (a dash, a word, Excel's first day) in many parts": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": _invoices(lambda c: ["2024-03-20", "-", "offen", "1900-01-01"][c % 4]),
    },
    "orders dated on Unix's first day, and complaints closed before opened, in many parts": {
        "orders.csv": "\n".join([HEADER, *_orders(), *(f"C{c},1970-01-01,5" for c in range(1, 9))]),
        "complaints.csv": "\n".join(
            ["customer_id,opened_date,closed_date,severity"]
            + [f"C{c},2024-06-10,2024-06-{'01' if c % 3 else '20'},high" for c in range(1, 41)]
        ),
    },
    "dates in two unmistakable forms in one column, in many parts": {
        "orders.csv": "\n".join(
            [HEADER, *(_day_first(r) if n % 3 == 0 else r for n, r in enumerate(_orders()))]
        ),
    },
    "numeric ids written with decimal zeros in another source": {
        "orders.csv": "\n".join([HEADER, *(r.replace("C", "1000", 1) for r in _orders())]),
        "customers.csv": "customer_id;name\n"
        + "\n".join(f"1000{c},0;Kunde {c}" for c in range(1, 41)),
    },
    "ids with separators in other sources, master data of no ordering customer": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": _invoices(lambda c: "2024-03-20").replace("\nC", "\nC-"),
        "customers.csv": "customer_id,name\n" + "\n".join(f"X{c},N{c}" for c in range(1, 30)),
    },
    "master data of prospects beside ordering customers": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "customers.csv": "customer_id,name\n" + "\n".join(f"C{c},N{c}" for c in range(20, 60)),
    },
    "due dates worked out from payment terms, some rows lacking them, in many parts": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": "customer_id,invoice_id,invoice_date,payment_terms,paid_date,amount\n"
        + "\n".join(
            f"C{c},R{c},2024-03-02,{['30', '14', '', '-3'][c % 4]},"
            f"{'2024-04-20' if c % 3 else ''},10"
            for c in range(1, 41)
        ),
    },
    "a second orders file of the same header, not read": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "orders_2023.csv": "\n".join([HEADER, *_orders(seed=2)]),
    },
    "amounts in cents, in many parts": {
        "orders.csv": "\n".join(
            ["customer_id,order_date,amount_cents", *(r.replace(".50", "50") for r in _orders())]
        ),
        "churnwatch.toml": '[sources.orders.columns]\namount = "amount_cents"\n',
    },
    "invoices paid in mistyped years, in many parts": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": _invoices(lambda c: ["2024-03-20", "2014-03-20", "2042-03-20"][c % 3]),
    },
    "some rows ending in empty fields the header does not have, in many parts": {
        "orders.csv": "\n".join(
            [HEADER, *(row + ";;" * (n % 3 == 0) for n, row in enumerate(_orders()))]
        ).replace(",", ";"),
    },
    "a trailing delimiter on every row but some further down, in many parts": {
        "orders.csv": "\n".join(
            [HEADER, *(row + "," * (n < 600 or n % 37 != 0) for n, row in enumerate(_orders(200)))]
        ),
    },
    "a trailing delimiter on most rows, some without it among the sampled ones": {
        "orders.csv": "\n".join(
            [HEADER, *(row + "," * (n % 5 != 0) for n, row in enumerate(_orders(200)))]
        ),
    },
    "a report's title above the header, in many parts": {
        "orders.csv": "\n".join(["Umsatzliste 2024,,", "", HEADER, *_orders(), "C1,2024-01-02,x"]),
    },
    "empty rows and repeated headers, in many parts": {
        "orders.csv": "\n".join(
            [
                HEADER,
                *(row if n % 50 else f"{HEADER}\n,,\n{row}" for n, row in enumerate(_orders())),
            ]
        ),
    },
    "thousands separators only after the sampled rows, in many parts": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": PAYMENTS_HEADER
        + "\n".join(
            f"C{1 + n % 40},R{n},2024-03-02,2024-03-16,2024-03-20,"
            f'"{"1,234.50" if n >= 600 and n % 3 == 0 else "10.00"}"'
            for n in range(700)
        ),
    },
    "a different bad date on every row with one, the rows in many parts": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "payments.csv": _invoices(lambda c: f"bald{c}" if c % 2 else "2024-03-20"),
    },
    "bad dates of one customer, bad amounts of many (two columns, not in every part)": {
        "orders.csv": "\n".join(
            [HEADER]
            + [
                f"C{c},{'2024-02-30' if c == 1 else '2024-03-05'},"
                f"{'abc' if c != 1 and n % 17 == 0 else '12.50'}"
                for n in range(600)
                for c in [n * 7 % 40 + 1]
            ]
        ),
    },
    "empty dates of one customer, bad dates of many (two reasons in one column)": {
        "orders.csv": "\n".join(
            [HEADER]
            + [
                f"C{c},{'' if c == 1 else '2024-02-30' if n % 17 == 0 else '2024-03-05'},12.50"
                for n in range(600)
                for c in [n * 7 % 40 + 1]
            ]
        ),
    },
    "a report's footer: totals with a date, a count, a rule and a page number": {
        "orders.csv": "\n".join(
            [
                HEADER,
                *_orders(),
                "Gesamtsumme,2025-01-31,123456.78",
                ",,99999",
                "-------------",
                "Anzahl Belege: 600",
                "Seite 3 von 3",
            ]
        ),
    },
    "ids in upper and lower case, in the orders and between sources": {
        "orders.csv": "\n".join(
            [HEADER, *_orders(), "Kunde-a,2025-01-02,5", "KUNDE-A,2025-01-03,6"]
        ),
        "payments.csv": _invoices(lambda c: "2024-03-20").replace("C1,", "c1,"),
    },
    "rows and header ending in a delimiter, and a footer line of one field": {
        "orders.csv": "\n".join(
            [HEADER + ",", *(row + "," for row in _orders()), "Anzahl Belege: 300"]
        ),
    },
    "a second file of the orders' header, not read": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "orders_2024.csv": "\n".join([HEADER, "C1,2024-03-01,5"]),
    },
    "amounts under a header of cents, one of them with decimals (read as they are)": {
        "orders.csv": "\n".join(
            [
                "customer_id,order_date,amount_cents",
                *(row.replace(".50", "") for row in _orders()[:-1]),
                _orders()[-1],
            ]
        ),
        "churnwatch.toml": '[sources.orders.columns]\namount = "amount_cents"',
    },
    "complaints all unreadable (left out)": {
        "orders.csv": "\n".join([HEADER, *_orders()]),
        "complaints.csv": "customer_id,opened_date,severity\nC1,never,high\nC2,nie,low",
    },
}


@pytest.mark.parametrize("files", ROUGH_EXPORTS.values(), ids=ROUGH_EXPORTS.keys())
def test_a_split_export_handles_what_rough_exports_hold(
    files: dict[str, str], scheduler: str, tmp_path: Path
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text + "\n", encoding="utf-8", newline="")
    local, split = split_and_local(tmp_path, scheduler, 4, as_of="2025-01-31")
    assert_same_scan(local, split)


@pytest.mark.parametrize("name", ["orders.csv", "orders.csv.gz"])
def test_a_split_export_decides_the_day_month_order_as_the_whole_does(
    scheduler: str, tmp_path: Path, name: str
) -> None:
    """US dates sorted by day: only rows further down than the head tell month first from
    day first. The parts are read in the format the whole export was sniffed in, which must
    be the same one (sampled from the unpacked copy before it is removed)."""
    days = pd.date_range("2024-01-01", "2024-12-31")
    rows = [f"C{n % 37 + 1},{day:%m/%d/%Y},5" for day in days for n in range(45)]
    text = "\n".join([HEADER, *rows]) + "\n"
    data = gzip.compress(text.encode()) if name.endswith(".gz") else text.encode()
    (tmp_path / name).write_bytes(data)
    local, split = split_and_local(tmp_path, scheduler, 4, as_of="2024-12-31")
    assert local.cut.dataset.sources["orders"].rows_skipped == 0
    assert_same_scan(local, split)


def test_lines_read_as_cp1252_are_counted_over_all_the_parts(
    scheduler: str, tmp_path: Path
) -> None:
    """UTF-8 with some cp1252 lines (an export another program appended to): each part that
    holds such lines notes them; the scan says it once, with the whole export's count and
    first lines."""
    (tmp_path / "orders.csv").write_text("\n".join([HEADER, *_orders()]) + "\n")
    with (tmp_path / "customers.csv").open("wb") as customers:
        customers.write(b"customer_id,name,segment,owner\n")
        for c in range(1, 41):
            row = f"C{c},M\u00fcller {c},A,J\u00f6rg\n"
            customers.write(row.encode("cp1252" if c % 3 == 0 else "utf-8"))
    local, split = split_and_local(tmp_path, scheduler, 4, as_of="2025-01-31")
    [note] = [p for p in local.cut.problems if p.code is Reason.ENCODING]
    assert note.count == 13
    assert note.lines == (4, 7, 10, 13, 16)
    assert_same_scan(local, split)


def test_a_cp1252_export_is_read_so_in_every_part(scheduler: str, tmp_path: Path) -> None:
    """The export's head shows a cp1252 umlaut; a part's head (its first 256 KB) may show
    none, and its later umlauts must not read as a file that is not UTF-8 after all."""
    customers = 40_000
    with (tmp_path / "customers.csv").open("wb") as master:
        master.write(b"customer_id,name,segment,owner\n")
        for c in range(1, customers + 1):
            name = "M\u00fcller" if c == 1 or c > customers - 50 else "Mueller"
            master.write(f"C{c},{name} Handel {c},A,Olga\n".encode("cp1252"))
    orders = [f"C{c},2024-0{m}-{1 + c % 27:02d},{c % 90}.5" for c in range(1, 400) for m in (1, 4)]
    (tmp_path / "orders.csv").write_text("\n".join([HEADER, *orders]) + "\n")
    local, split = split_and_local(tmp_path, scheduler, 4, as_of="2025-01-31")
    assert not [p for p in local.cut.problems if p.code is Reason.ENCODING]
    assert_same_scan(local, split)


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        (HEADER + "\n", "has a header but no data rows"),
        (HEADER + "\nbroken\nalso\n", "no valid rows; orders.csv: 2 rows skipped"),
        (HEADER + "\n ,2024-01-02,3\n", "no orders with a customer id left to score"),
    ],
)
def test_a_split_export_without_usable_orders_is_the_loaders_error(
    orders: str, message: str, scheduler: str, tmp_path: Path
) -> None:
    (tmp_path / "orders.csv").write_text(orders)
    for engine in (LocalEngine(), DaskEngine(scheduler, 3, split=True)):
        with pytest.raises(ChurnwatchError, match=message) as raised:
            api.scan_exports(tmp_path, engine=engine)
        assert str(tmp_path / "orders.csv") in str(raised.value)


def test_invoices_paid_in_parts_train_the_same_model_when_split(
    examples: Path, scheduler: str, tmp_path: Path
) -> None:
    """Each part numbers the invoices it finds in several rows from 0, and a part without
    any leaves its rows unnumbered: the training rows gathered from the parts must keep two
    parts' invoices apart (one invoice paid in two rows crashed the fit; two hundred changed
    most risks)."""
    folder = tmp_path / "exports"
    shutil.copytree(examples, folder)
    payments = (folder / "payments.csv").read_text().splitlines()
    parts = [line.replace(",1.00", ",2.00") for line in payments[1:201:5]]
    again = [",".join([*line.split(",")[:-1], "1.00"]) for line in parts]
    (folder / "payments.csv").write_text("\n".join([*payments, *again]) + "\n")
    local, split = split_and_local(folder, scheduler, 4)
    assert any(p.code == "invoice_parts" for p in local.cut.problems)
    assert local.result.model.training is not None
    assert_same_scan(local, split)


def test_a_split_export_says_what_it_leaves_out_as_the_whole_export_does(
    examples: Path, scheduler: str, tmp_path: Path
) -> None:
    """A workbook saved in place of the invoices: left out, and said so (a --strict run
    refuses it) on either engine; the split one said nothing and wrote the list."""
    folder = tmp_path / "exports"
    shutil.copytree(examples, folder)
    (folder / "payments.csv").unlink()
    (folder / "payments.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    local, split = split_and_local(folder, scheduler, 2)
    assert any("payments are left out" in p.describe() for p in local.cut.problems)
    assert_same_scan(local, split)


def test_a_damaged_parquet_export_is_one_clear_error_when_split(
    examples: Path, scheduler: str, tmp_path: Path
) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = tmp_path / "exports"
    shutil.copytree(examples, folder)
    pq.write_table(pacsv.read_csv(folder / "orders.csv"), folder / "orders.parquet")
    (folder / "orders.csv").unlink()
    whole = (folder / "orders.parquet").read_bytes()
    (folder / "orders.parquet").write_bytes(whole[: len(whole) // 2])
    for engine in (LocalEngine(), DaskEngine(scheduler, 2, split=True)):
        with pytest.raises(ChurnwatchError, match=r"orders\.parquet: cannot be read as Parquet"):
            api.scan_exports(folder, engine=engine)
    parts = folder / "orders"  # a folder of parts: the damaged part is named, on both engines
    parts.mkdir()
    pq.write_table(pacsv.read_csv(examples / "orders.csv"), parts / "part-0.parquet")
    (folder / "orders.parquet").rename(parts / "part-1.parquet")
    for engine in (LocalEngine(), DaskEngine(scheduler, 2, split=True)):
        with pytest.raises(ChurnwatchError, match=r"part-1\.parquet: cannot be read as Parquet"):
            api.scan_exports(folder, engine=engine)


def test_dates_out_of_range_and_out_of_form_are_said_alike_when_split(
    scheduler: str, tmp_path: Path
) -> None:
    """One part read by pyarrow (ISO dates only), another by churnwatch (a date in another
    form): each kind of bad date is one message, with the export's lines, as in the whole."""
    rows = [f"C{i % 7},2025-0{1 + i % 9}-1{i % 10},{10 + i}" for i in range(40)]
    rows[1] = "C1,9999-12-31,11"
    rows[9] = "C2,07/03/2025,19"
    (tmp_path / "orders.csv").write_text("customer_id,order_date,amount\n" + "\n".join(rows))
    local, split = split_and_local(tmp_path, scheduler, 2, as_of="2025-12-31")
    said = [p.describe() for p in local.cut.problems if p.code == "bad_date"]
    assert len(said) == 2 and "year outside" in said[0] and "in the form" in said[1]
    assert_same_scan(local, split)


def test_a_worker_not_reached_is_the_clusters_fault_not_the_installation() -> None:
    mine = engines.installed_versions()

    class Client:
        def run(self, function: object, on_error: str = "raise") -> dict[str, object]:
            return {"tcp://10.0.0.7:1": mine, "tcp://10.0.0.8:1": OSError("Timed out")}

    with pytest.raises(OSError, match="Timed out"):
        engines._check_versions(Client(), mine)


def test_a_worker_whose_run_is_gone_removes_the_folders_it_made_again(tmp_path: Path) -> None:
    """A worker still starting when its run was stopped made its space in the run's folder
    after the run had removed it (once in a few hundred stops on a busy machine): as it
    exits, it removes the empty folders up to the run's own, and only those."""
    from churnwatch.analyses.dask_worker import RUN_SPACE, _leave_no_space

    run = tmp_path / f"{RUN_SPACE}abc"
    space = run / "dask-scratch-space" / "worker-1"
    run.joinpath("dask-scratch-space").mkdir(parents=True)  # the worker's own space is gone
    _leave_no_space(os.getppid(), space)  # the run is still there: nothing is removed
    assert run.joinpath("dask-scratch-space").is_dir()
    (run / "dask-scratch-space" / "worker-2.dirlock").touch()  # another worker's
    _leave_no_space(-1, space)
    assert run.joinpath("dask-scratch-space").is_dir()
    (run / "dask-scratch-space" / "worker-2.dirlock").unlink()
    _leave_no_space(-1, space)
    assert list(tmp_path.iterdir()) == []
