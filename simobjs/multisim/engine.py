"""Run many jobs on Dask and gather their outputs into one output directory.

With no cluster in Dask's configuration (`scheduler-address`, e.g. from the
`DASK_SCHEDULER_ADDRESS` environment variable or a Dask config file), a
`LocalCluster` of `num_processes` worker processes runs here (one thread each,
under a nanny that replaces a worker that dies). With one, the jobs go to that
cluster. Each job runs in a fresh process on its worker (`worker.run_job`);
its outputs come back as bytes and are written to OUTDIR/<id>/ here, with the
row that marks it complete. A job that fails (bad config, guest fault, worker
lost) is reported and the others go on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simobjs.multisim import table
from simobjs.multisim.job import Job, MultisimError, Result, write_files
from simobjs.multisim.progress import SweepProgress
from simobjs.multisim.worker import TOPIC, run_job


@dataclass
class Outcome:
    """What a run did: the table's rows and counts."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    ran: int = 0
    skipped: int = 0
    failed: int = 0
    interrupted: bool = False
    cluster: str = ""

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r["status"] == table.DONE for r in self.rows)


def scheduler_address() -> str | None:
    """The scheduler Dask's own configuration names, if any."""
    import dask

    return dask.config.get("scheduler-address", None) or None


@contextlib.contextmanager
def connect(num_processes: int) -> Iterator[Any]:
    """A Dask client: to the configured cluster, else to a new local one."""
    from distributed import Client, LocalCluster, Nanny

    address = scheduler_address()
    if address:
        client = Client(address)
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # One task per worker at a time: a simulation never waits behind another on a
    # busy worker while a worker is idle, and a worker that dies takes only its own.
    # the host's cores shared by the simulations running at once (what a KVM CPU's
    # inRunSyscalls='auto' looks at before it starts a host thread of its own)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    share = str(max(cores // max(num_processes, 1), 1))
    with (
        dask.config.set({"distributed.scheduler.worker-saturation": 1.0}),
        _sigint_ignored(),
        _environ("SIMOBJS_HOST_CORES", os.environ.get("SIMOBJS_HOST_CORES", share)),
    ):
        cluster = LocalCluster(
            n_workers=num_processes,
            processes=True,  # one simulation per process: KVM and signals are per process
            threads_per_worker=1,
            worker_class=Nanny,  # a worker that dies is replaced
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # failures are reported per simulation
        )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


@contextlib.contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    """`name`=`value` in the environment while workers start (they inherit it)."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Start the local workers with Ctrl-C ignored (a process inherits that): Ctrl-C
    then ends the run here, and the cluster is shut down in order, instead of every
    worker dying with a traceback of its own."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to change
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def store(outdir: Path, result: Result) -> dict[str, Any]:
    """Write a result's files and its row to OUTDIR/<id>/ (replacing an earlier try)."""
    final = outdir / result.id
    partial = outdir / f".{result.id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    write_files(result.files, partial)
    info = table.run_info(result)
    table.write_marker(partial, info)
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    return info


def run_jobs(
    jobs: Sequence[Job],
    outdir: Path,
    num_processes: int | None = None,
    force: bool = False,
    stats: Sequence[str] = (),
    stats_file: str = "stats.txt",
    show_progress: bool = False,
    meta: dict[str, Any] | None = None,
) -> Outcome:
    """Run the jobs not yet complete in `outdir` (all of them with `force`), then
    write OUTDIR/multisim.json and .csv with a row for every job."""
    ids = [job.id for job in jobs]
    if len(set(ids)) != len(ids):
        twice = sorted({id for id in ids if ids.count(id) > 1})
        raise MultisimError(f"two jobs have the same id: {', '.join(twice)}")
    outdir.mkdir(parents=True, exist_ok=True)
    outcome = Outcome()
    infos: dict[str, dict[str, Any]] = {}
    todo: list[Job] = []
    for job in jobs:
        previous = None if force else table.completed(outdir / job.id)
        if previous is not None:
            infos[job.id] = previous
        else:
            todo.append(job)
    outcome.skipped = len(jobs) - len(todo)
    progress = SweepProgress(len(jobs), skipped=outcome.skipped, show=show_progress)
    try:
        if todo:
            processes = num_processes or os.cpu_count() or 1
            with connect(min(processes, len(todo))) as client:
                outcome.cluster = str(client.scheduler.address)
                _run_on(client, todo, outdir, infos, progress, outcome)
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        progress.close()
    why = "interrupted" if outcome.interrupted else "no result"
    ordered = [infos.get(j.id) or table.not_run(j.id, why) for j in jobs]
    outcome.rows, columns = table.rows(outdir, ordered, stats, stats_file)
    outcome.failed = sum(r["status"] == "failed" for r in outcome.rows)
    table.write(outdir, outcome.rows, columns, **(meta or {}))
    return outcome


def _run_on(
    client: Any,
    todo: list[Job],
    outdir: Path,
    infos: dict[str, dict[str, Any]],
    progress: SweepProgress,
    outcome: Outcome,
) -> None:
    """Keep at most one job per worker thread in flight: Dask would otherwise queue
    several on one worker (a job waits behind another while a worker is idle, and
    a worker that dies takes the queued ones with it)."""
    from distributed import wait

    finished: set[str] = set()

    def started(event: Any) -> None:
        _, msg = event
        if isinstance(msg, dict) and msg.get("id") not in finished:
            progress.started(msg["id"])

    with contextlib.suppress(Exception):  # progress only: an old scheduler may lack events
        client.subscribe_topic(TOPIC, started)
    run = uuid.uuid4().hex[:8]
    waiting = list(reversed(todo))
    inflight: dict[Any, Job] = {}
    warned = False
    try:
        while waiting or inflight:
            threads = sum(client.nthreads().values())  # workers may come and go
            if not threads and not warned:
                print(
                    f"multisim: waiting for workers to join {client.scheduler.address}",
                    file=sys.stderr,
                    flush=True,
                )
                warned = True
            slots = max(1, threads)
            while waiting and len(inflight) < slots:
                job = waiting.pop()
                future = client.submit(run_job, job, key=f"multisim-{job.id}-{run}", pure=False)
                inflight[future] = job
            try:
                done, _ = wait(list(inflight), timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:
                continue
            for future in done:
                job = inflight.pop(future)
                result = _result(future, job)
                finished.add(job.id)
                infos[job.id] = store(outdir, result)
                outcome.ran += 1
                progress.finished(job.id, result.status == table.DONE, result.error)
                future.release()
    except KeyboardInterrupt:
        client.cancel(list(inflight))
        raise
    finally:
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(TOPIC)


def _result(future: Any, job: Job) -> Result:
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as e:
        return Result(job.id, "failed", error=f"worker lost: {_lost(e)}")
    except Exception as e:  # noqa: BLE001 - one job's trouble must not stop the others
        return Result(job.id, "failed", error=f"{type(e).__name__}: {e}")


def _lost(e: Any) -> str:
    try:
        return f"the worker running it died ({e.last_worker.address})"
    except AttributeError:
        return str(e)


def print_summary(outcome: Outcome, outdir: Path, stream: Any = None) -> None:
    stream = stream if stream is not None else sys.stderr
    done = sum(r["status"] == table.DONE for r in outcome.rows)
    text = f"multisim: {done} done, {outcome.failed} failed"
    if outcome.skipped:
        text += f" ({outcome.skipped} already done, skipped)"
    if outcome.interrupted:
        text += ", interrupted"
    print(f"{text}; results in {outdir / table.TABLE_JSON}", file=stream, flush=True)
