"""sim.executors: bad names and worker counts refused up front, a dead scheduler in one line,
worker processes that exit when their parent is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sim.executors
from sim.executors import ExecutorError, check_executor, make_executor


@pytest.mark.parametrize(("name", "workers", "message"), [
    ("bogus", None, "executor: 'bogus' is not allowed; allowed: serial, processes, dask"),
    ("processes", -1, "workers: must be a whole number from 1 to 256"),
    ("processes", 0, "workers: must be a whole number from 1 to 256"),
    ("dask", 257, "workers: must be a whole number from 1 to 256"),
    ("serial", True, "workers: must be a whole number"),
    ("processes", 2.0, "workers: must be a whole number"),
])
def test_bad_executor_or_workers_is_one_clear_error(name: str, workers: object, message: str) -> None:
    with pytest.raises(ExecutorError) as info:
        check_executor(name, workers)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)
    with pytest.raises(ExecutorError):
        make_executor(name, workers)  # type: ignore[arg-type]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dead_scheduler_is_one_line_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.executors, "CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    with pytest.raises(ExecutorError) as info:
        make_executor("dask", 1, address)
    assert time.monotonic() - start < 5.0
    text = str(info.value)
    assert text.startswith(f"scheduler {address!r}: cannot connect to a Dask scheduler within 1 s")
    assert "\n" not in text
    assert info.value.__cause__ is None  # no chained traceback behind the one line
    assert info.value.__context__ is None


WORKERS_OF_A_KILLED_PARENT = """
import os, sys, time
from sim.executors import ProcessExecutor

def pid_then_sleep(_):
    return os.getpid()

def sleep(_):
    time.sleep(120)

if __name__ == "__main__":
    ex = ProcessExecutor(2)
    pids = set()
    while len(pids) < 2:
        pids |= set(ex.imap(pid_then_sleep, range(8)))
    print(" ".join(map(str, sorted(pids))), flush=True)
    list(ex.imap(sleep, range(2)))
"""


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_pool_workers_exit_when_the_main_process_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(WORKERS_OF_A_KILLED_PARENT)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None
    with proc.stdout:
        workers = [int(p) for p in proc.stdout.readline().split()]
    assert len(workers) == 2
    time.sleep(0.5)  # the workers are now inside their two-minute sleep
    assert all(_alive(pid) for pid in workers)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert survivors == []
