"""Jobs shared out over forked processes: each runs once, every result comes back."""

from __future__ import annotations

import os
import time
from functools import partial

import pytest

from liangshai.parallel import WorkerFailed, in_parallel


def job(k, out):
    time.sleep(0.001)
    (out / f"{k}-{os.getpid()}").touch()  # who ran it
    return k * k


def test_every_job_runs_once_and_every_result_is_collected(tmp_path):
    out = tmp_path / "ran"
    out.mkdir()
    results = []
    in_parallel(2, [partial(job, k, out) for k in range(300)], results.append, tmp_path, least=1)
    assert sorted(results) == [k * k for k in range(300)]
    ran = [name.split("-") for name in os.listdir(out)]
    assert sorted(int(k) for k, _ in ran) == list(range(300))
    assert len({pid for _, pid in ran}) == 2  # both processes took jobs
    assert not list(tmp_path.glob("worker-*"))  # hand-over files removed


def test_below_the_threshold_jobs_run_here(tmp_path):
    out = tmp_path / "ran"
    out.mkdir()
    results = []
    in_parallel(2, [partial(job, k, out) for k in range(5)], results.append, tmp_path, least=10)
    assert sorted(results) == [0, 1, 4, 9, 16]
    assert {name.split("-")[1] for name in os.listdir(out)} == {str(os.getpid())}


def fails_in_a_child(parent):
    time.sleep(0.002)  # long enough for the child to start and take some
    if os.getpid() != parent:
        raise RuntimeError("boom")


def test_a_failing_worker_is_reported(tmp_path):
    jobs = [partial(fails_in_a_child, os.getpid()) for _ in range(200)]
    with pytest.raises(WorkerFailed):
        in_parallel(2, jobs, lambda _: None, tmp_path, least=1)


@pytest.mark.parametrize("least", [1, 1000])  # forked workers, and the jobs run here
def test_started_is_called_once_before_any_job_in_this_process(tmp_path, least):
    """`started` (CityFiles starts its thread there) runs once, in this process, after the
    workers are forked and before a job runs here."""
    out = tmp_path / "ran"
    out.mkdir()
    calls = []

    def started():
        calls.append((os.getpid(), sorted(os.listdir(out))))

    jobs = [partial(job, k, out) for k in range(50)]
    in_parallel(2, jobs, lambda _: None, tmp_path, least=least, started=started)
    assert len(calls) == 1
    pid, ran = calls[0]
    assert pid == os.getpid()
    assert not [name for name in ran if name.endswith(f"-{pid}")]  # none of its jobs yet
