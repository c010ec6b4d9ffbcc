"""Where sweep tasks run: in this process, in local processes, or on a Dask cluster.

All executors share one small interface: :meth:`Executor.imap` takes a picklable
function and an iterable of tasks and yields results *as they finish*, keeping at most
a few tasks per worker in flight so memory stays flat however long the sweep. Results
do not depend on the executor: each task carries its own seeds.

Starting is checked before any work: :func:`check_executor` refuses an unknown name or
a worker count outside ``1 … MAX_WORKERS`` with a one-line :class:`ExecutorError`, and
a Dask scheduler that does not answer within :data:`CONNECT_TIMEOUT_S` gives one line
too (not a traceback after 30 s). Local worker processes watch their parent and exit
when it dies, even by ``kill -9``, instead of running on as orphans.
"""

from __future__ import annotations

import gc
import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("serial", "processes", "dask")
#: Most worker processes one executor may start.
MAX_WORKERS = 256
#: Seconds to wait for a Dask scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 5.0
#: How often (seconds) a worker process checks that its parent is still alive.
PARENT_POLL_S = 0.5
#: Length of the Dask developer logs (``distributed.admin.low-level-log-length``: the scheduler's
#: transition log, each connection's last messages) on a LocalCluster this module starts. Dask's
#: default, 1,000, kept the last 1,000 messages to each worker with the tasks' pickled scenarios in
#: them: ~19 MiB of the main process at 50 outlets (flat in N, but for nothing a run reads).
DASK_LOG_LENGTH = 100


class ExecutorError(ValueError):
    """An executor that cannot start (bad name or worker count, no scheduler); one line."""


def check_executor(name: str, workers: int | None = None) -> None:
    """Refuse an executor ``name`` or ``workers`` count that could not start, before any work.

    Raises:
        ExecutorError: the name is not one of :data:`EXECUTORS`, or ``workers`` is not
            ``None`` or a whole number from 1 to :data:`MAX_WORKERS`.
    """
    if name not in EXECUTORS:
        raise ExecutorError(f"executor: {name!r} is not allowed; allowed: {', '.join(EXECUTORS)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or not 1 <= workers <= MAX_WORKERS):
        raise ExecutorError(f"workers: must be a whole number from 1 to {MAX_WORKERS} (or None for all cores), "
                            f"got {workers!r}")


def _exit_with_parent() -> None:
    """Worker initializer: a daemon thread ends this process as soon as its parent dies.

    A dead parent shows as a change of ``os.getppid()`` (the orphan is re-parented),
    checked every :data:`PARENT_POLL_S` seconds; this works under every start method
    (under ``forkserver`` the server itself exits when the main process dies).
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class Executor(Protocol):
    """Runs ``fn`` over tasks and yields results in completion order."""

    workers: int

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Everything in the calling process, in task order (debugging, tiny sweeps)."""

    workers = 1

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        """Nothing to release."""


class ProcessExecutor:
    """Local worker processes (``concurrent.futures``); the default for sweeps."""

    def __init__(self, workers: int | None = None) -> None:
        check_executor("processes", workers)
        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_exit_with_parent)

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pending: set[Future[R]] = set()
        for task in tasks:  # at most four tasks per worker in flight
            pending.add(self._pool.submit(fn, task))
            if len(pending) >= 4 * self.workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (future.result() for future in done)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class DaskExecutor:
    """A Dask cluster through ``dask.distributed``: a scheduler address, or a LocalCluster."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        check_executor("dask", workers)
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the environment
            raise ExecutorError("the dask executor needs dask.distributed: pip install 'branchlab[dask]'") from None
        self._cluster = None
        if scheduler is None:
            # The worker's statistical profiler samples every 10 ms under the GIL; for these
            # pure-Python tasks it cost about a tenth of the throughput, so it is off here.
            dask.config.set({"distributed.worker.profile.enabled": False,
                             "distributed.admin.low-level-log-length": DASK_LOG_LENGTH})
            self._cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            self._client = _connect(Client, scheduler)
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        from distributed import as_completed

        todo = iter(tasks)
        running = as_completed(with_results=True)
        # A wider window than for local processes: each submission is a round trip to
        # the scheduler, and a deeper queue keeps remote workers busy meanwhile.
        for task in itertools.islice(todo, 8 * self.workers):
            running.add(self._client.submit(fn, task, pure=False))
        for _future, result in running:  # refilled as results arrive: a bounded number in flight
            for task in itertools.islice(todo, 1):
                running.add(self._client.submit(fn, task, pure=False))
            yield result

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _connect(client: Callable[..., T], scheduler: str) -> T:
    """A Dask ``Client`` on ``scheduler``, or one :class:`ExecutorError` line after a short wait."""
    try:
        return client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    # The half-built client's own clean-up would print "Exception ignored ..." when it is
    # collected later; collect it now with that report silenced.
    hook, sys.unraisablehook = sys.unraisablehook, lambda _info: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise ExecutorError(f"scheduler {scheduler!r}: cannot connect to a Dask scheduler within {CONNECT_TIMEOUT_S:g} s "
                        f"({reason}); check the address, or leave out --scheduler for a local cluster")


def make_executor(name: str, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor by name: ``serial``, ``processes`` (default) or ``dask``.

    Raises:
        ExecutorError: see :func:`check_executor`; or a Dask scheduler that does not answer.
    """
    check_executor(name, workers)
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return ProcessExecutor(workers)
    return DaskExecutor(workers, scheduler)
