"""Jobs shared out over forked processes: both cores for validation and rendering."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
from contextlib import suppress
from pathlib import Path

logger = logging.getLogger(__name__)


class WorkerFailed(Exception):
    """A forked worker died or raised; its jobs' results are missing."""


def in_parallel(workers: int, jobs: list, collect, scratch: Path, least: int = 100, started=None):
    """Run every job (a function of no arguments) and `collect(result)` of each in this
    process, in no particular order. `started()`, if given, is called once the workers are
    forked, before any job runs: a thread it starts is not forked with them.

    The jobs are shared out over forked processes as they go: each process takes the next job
    nobody has taken (a counter in shared memory), so a slow job does not hold the rest up.
    Forking shares the validated data with the children for free (nothing is pickled on the
    way in); each child writes its own files and streams its results back through a file in
    `scratch`, one pickle per job, so no share of them is ever held in memory whole.
    """
    if workers < 2 or len(jobs) < least or not hasattr(os, "fork"):
        if started:
            started()
        for job in jobs:
            collect(job())
        return
    counter = multiprocessing.Value("q", 0)

    def mine():
        while True:
            with counter.get_lock():
                k = counter.value
                counter.value = k + 1
            if k >= len(jobs):
                return
            yield jobs[k]

    scratch.mkdir(parents=True, exist_ok=True)
    children = {}
    for k in range(1, workers):
        path = scratch / f"worker-{os.getpid()}-{k}.pickle"
        pid = os.fork()
        if pid == 0:  # child
            _die_with_parent()
            code = 0
            try:
                with path.open("wb") as f:
                    for job in mine():
                        pickle.dump(job(), f, protocol=5)
            except BaseException:
                logger.exception("a job failed in a worker process")
                code = 1
            finally:
                os._exit(code)
        children[pid] = path
    if started:
        started()
    try:
        for job in mine():
            collect(job())
    finally:
        failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
    if failed:
        raise WorkerFailed(f"{len(failed)} 个子进程出错")
    for path in children.values():
        with path.open("rb") as f:
            while True:
                try:
                    collect(pickle.load(f))
                except EOFError:
                    break
        path.unlink()


def _die_with_parent() -> None:
    """Ask Linux to end this child when its parent ends, even by kill -9 (PR_SET_PDEATHSIG):
    a killed build leaves no worker writing on behind it."""
    with suppress(OSError, AttributeError):  # not Linux: nothing to ask for
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
