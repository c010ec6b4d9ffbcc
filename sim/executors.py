"""Where sweep tasks run: in this process, in local processes, or on a Dask cluster.

All executors share one small interface: :meth:`Executor.imap` takes a picklable
function and an iterable of tasks and yields results *as they finish*, keeping at most
a few tasks per worker in flight so memory stays flat however long the sweep. Results
do not depend on the executor: each task carries its own seeds.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("serial", "processes", "dask")


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
        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(max_workers=self.workers)

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
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the environment
            raise RuntimeError("the dask executor needs dask.distributed: pip install 'branchlab[dask]'") from None
        self._cluster = None
        if scheduler is None:
            # The worker's statistical profiler samples every 10 ms under the GIL; for these
            # pure-Python tasks it cost about a tenth of the throughput, so it is off here.
            dask.config.set({"distributed.worker.profile.enabled": False})
            self._cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            self._client = Client(scheduler)
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


def make_executor(name: str, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor by name: ``serial``, ``processes`` (default) or ``dask``."""
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return ProcessExecutor(workers)
    if name == "dask":
        return DaskExecutor(workers, scheduler)
    raise ValueError(f"executor: {name!r} is not allowed; allowed: {', '.join(EXECUTORS)}")
