"""The runner: background threads that dispatch the outbox, run due jobs and queue the periodic sweeps.

One loop serves every deployment:

- embedded (no Redis): threads in each serving process (``labelhub run``, ``labelhub demo``,
  gunicorn workers), or in ``labelhub jobs worker`` to move the work out of the web processes;
- rq (Redis): ``labelhub jobs worker`` runs the loop with ``execute=False``: it dispatches the
  outbox, queues the sweeps and hands due jobs to rq, whose work horses run them (``run_job``).

Why threads and a table, not APScheduler or huey: the queue must be written in the same database
transaction as the change that asks for it (so a commit and its jobs exist together, and a crash
loses neither), claimed with SKIP LOCKED across processes, and read by the pages for progress; those
libraries keep their own stores (huey: Redis/SQLite files; APScheduler 3: one scheduler per job
store). The timer part is a wait on an Event: a library would add nothing to it.

Several processes may run the loop on one database: each event and job is taken by one of them
(``outbox``, ``job_queue``), and a sweep is queued at most once per interval whoever notices first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from labelhub.jobs.processes import JobProcesses, call
from labelhub.runtime import Runtime
from labelhub.services import job_queue, outbox
from labelhub.services.job_queue import Claimed

log = logging.getLogger(__name__)

# The periodic sweeps, queued in this order: abandoning overdue assignments first lets expiry release
# their funds in the same round.
SWEEPS = ("abandon_overdue", "auto_approve_due", "expire_due_hits", "review_due", "deliver_notifications",
          "score_due", "aggregate_due", "prune_jobs", "prune_sign_ins", "prune_exports")


def execute(rt: Runtime, claimed: Claimed, processes: JobProcesses | None = None) -> bool:
    """Run one claimed job (here, or in one of ``processes``) and record its outcome; returns True
    when it succeeded."""
    started = time.monotonic()
    succeeded, outcome = processes.run(claimed) if processes is not None else call(claimed)
    if not succeeded:
        retry = job_queue.fail(rt, claimed.public_id, outcome)
        log.error("job %s %s%s failed (attempt %d)%s:\n%s", claimed.public_id, claimed.kind, claimed.args,
                  claimed.attempt, "; it will be tried again" if retry else "", outcome)
        return False
    job_queue.succeed(rt, claimed.public_id, outcome)
    log.debug("job %s %s%s done in %.3f s", claimed.public_id, claimed.kind, claimed.args,
              time.monotonic() - started)
    return True


class Heartbeat:
    """Tells the jobs table, while jobs run, that this process is alive (see ``recover_stale``)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.running: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.every = max(1.0, rt.settings.jobs.stale_after_seconds / 4)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="labelhub-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def add(self, public_id: str) -> None:
        with self._lock:
            self.running.add(public_id)

    def discard(self, public_id: str) -> None:
        with self._lock:
            self.running.discard(public_id)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                running = sorted(self.running)
            try:
                job_queue.heartbeat(self.rt, running)
            except Exception:
                log.exception("heartbeat failed")


class Runner:
    """``threads`` loops in this process that run jobs here or, with ``processes``, in that many child
    processes (``labelhub.jobs.processes``); ``execute=False`` hands jobs to ``send`` (rq) instead."""

    def __init__(self, rt: Runtime, *, threads: int = 1, processes: int = 0, execute: bool = True,
                 send: Callable[[Sequence[str]], None] | None = None) -> None:
        if threads < 1:
            raise ValueError("a runner needs at least one thread")
        self.rt = rt
        self.threads = threads
        self.execute, self.send = execute, send
        self._processes = JobProcesses(rt.settings, processes) if execute and processes > 0 else None
        self.poll = rt.settings.jobs.poll_interval_ms / 1000
        self.sweep_every = timedelta(seconds=rt.settings.jobs.sweep_interval_seconds)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._heartbeat = Heartbeat(rt)
        self._workers: list[threading.Thread] = []
        self._next_recovery = self._next_sweeps = 0.0

    def start(self) -> None:
        self._heartbeat.start()
        for index in range(self.threads):
            thread = threading.Thread(target=self._loop, args=(index,), name=f"labelhub-runner-{index}",
                                      daemon=True)
            thread.start()
            self._workers.append(thread)
        log.info("background runner started: %d thread(s), %s", self.threads,
                 "running jobs" if self.execute else "handing jobs to rq")

    def stop(self, timeout: float = 30) -> None:
        """Let running jobs finish (up to ``timeout`` s in all), then stop the loops."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for thread in self._workers:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._heartbeat.stop()
        if self._processes is not None:
            self._processes.shutdown()

    def wake(self) -> None:
        self._wake.set()

    def request_stop(self) -> None:
        """Ask the loops to stop after their current job (safe from a signal handler)."""
        self._stop.set()
        self._wake.set()

    def run_forever(self) -> None:
        """Run the loops until ``request_stop``, then let running jobs finish."""
        self.start()
        while not self._stop.wait(1.0):
            pass
        self.stop()

    def _loop(self, index: int) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step(maintenance=index == 0)
            except Exception:
                log.exception("background runner step failed; trying again shortly")
                busy = False
            if not busy:
                self._wake.wait(self.poll)
                self._wake.clear()

    def step(self, *, maintenance: bool) -> bool:
        """One round: dispatch events, (thread 0) queue due sweeps and recover stale jobs, then run or
        send due jobs. Returns whether it found work (then the loop goes on without waiting)."""
        busy = outbox.dispatch_pending(self.rt) > 0
        if maintenance:
            self._maintain(time.monotonic())
        if not self.execute:
            sent = job_queue.take_for_sending(self.rt)
            if sent and self.send is not None:
                self.send(sent)
            return busy or bool(sent)
        claimed = job_queue.claim_next(self.rt, claimer=job_queue.runner_name("embedded"))
        if claimed is None:
            return busy
        self._heartbeat.add(claimed.public_id)
        try:
            execute(self.rt, claimed, self._processes)
        finally:
            self._heartbeat.discard(claimed.public_id)
        return True

    def _maintain(self, clock: float) -> None:
        """Take back stale jobs every ten polls; look for due sweeps four times per sweep interval
        (another process may have queued them: each is queued once per interval by whoever is first)."""
        if clock >= self._next_recovery:
            self._next_recovery = clock + self.poll * 10
            job_queue.recover_stale(self.rt)
        if clock >= self._next_sweeps:
            self._next_sweeps = clock + self.sweep_every.total_seconds() / 4
            for sweep in SWEEPS:
                job_queue.due_sweep(self.rt, f"labelhub.jobs.{sweep}", interval=self.sweep_every)


def queue_every_sweep(rt: Runtime) -> None:
    """Queue each sweep now, whenever it last ran (``--burst``)."""
    for sweep in SWEEPS:
        job_queue.queue_sweep(rt, f"labelhub.jobs.{sweep}")


def drain(rt: Runtime, *, sweeps: bool = False, limit: int = 10_000) -> int:
    """Dispatch and run everything due now in this thread, until nothing is left (tests, ``--burst``).
    With ``sweeps`` every sweep is queued first. Returns how many jobs ran."""
    if sweeps:
        queue_every_sweep(rt)
    ran = 0
    while ran < limit:
        dispatched = outbox.dispatch_pending(rt)
        claimed = job_queue.claim_next(rt, claimer=job_queue.runner_name("drain"))
        if claimed is None:
            if dispatched:
                continue
            return ran
        execute(rt, claimed)
        ran += 1
    raise RuntimeError(f"drain ran {limit} jobs and work is still coming: a job that queues itself?")
