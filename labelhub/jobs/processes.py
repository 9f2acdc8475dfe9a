"""Job processes for the embedded runner: the runner's threads claim jobs and hand each one to a child
process, so CPU-bound work (aggregating a 100,000-answer batch takes seconds of Python) does not hold
the serving process's interpreter lock while it answers requests.

Children are spawned (not forked: the serving process has threads, and a fork would copy whatever
locks they hold), build their own Runtime from the same settings, and die with their parent (Linux's
parent-death signal), so a killed server leaves no orphan finishing a job that the next server runs
again.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from labelhub.jobs.context import install_runtime
from labelhub.queueing import import_string
from labelhub.runtime import Runtime
from labelhub.services import job_queue
from labelhub.services.job_queue import Claimed
from labelhub.settings import Settings

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1

Outcome = tuple[bool, Any]  # (succeeded, the job's result dict or the error's traceback)


def call(claimed: Claimed) -> Outcome:
    """Run a claimed job's function in this process, with its progress going to its row."""
    with job_queue.running(claimed.public_id):
        try:
            result = import_string(claimed.kind)(*claimed.args)
        except Exception as exc:
            return False, "".join(traceback.format_exception(exc))
    return True, result if isinstance(result, dict) else None


def _start_child(settings: Settings) -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            log.warning("cannot ask to die with the parent; a killed server may leave this job process behind")
    install_runtime(Runtime.from_settings(settings))


class JobProcesses:
    """A pool of ``size`` spawned processes that run claimed jobs; rebuilt if one of them dies."""

    def __init__(self, settings: Settings, size: int) -> None:
        self.settings, self.size = settings, size
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.size, mp_context=get_context("spawn"),
                                   initializer=_start_child, initargs=(self.settings,))

    def run(self, claimed: Claimed) -> Outcome:
        pool = self._pool
        try:
            return pool.submit(call, claimed).result()
        except BrokenProcessPool as exc:
            if self._pool is pool:
                self._pool = self._new_pool()
            return False, f"the job process died: {exc}"

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
