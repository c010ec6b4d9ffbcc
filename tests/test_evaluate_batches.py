"""The evaluator sends batches of tasks to its executor (issue 19: fewer, larger tasks), with the same days.

A batch is several :class:`~optimize.evaluate.Task` (patterns and blocks of replications) run one after
another in one executor task; the numbers must be those of each task run alone, the days of every finished
batch must be saved as it arrives, and progress must count every day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

import sim
from optimize.evaluate import Evaluator, Task, batch_size, batches
from sim.executors import make_executor
from sim.staffing import StaffingPlan
from tests.conftest import SCENARIOS

T = TypeVar("T")
R = TypeVar("R")


class Counting:
    """A serial executor counting the executor tasks it is given; stops after ``stop_after`` results."""

    workers = 1

    def __init__(self, stop_after: int | None = None) -> None:
        self.tasks = 0
        self.stop_after = stop_after

    def imap(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            if self.stop_after is not None and self.tasks >= self.stop_after:
                raise KeyboardInterrupt  # the run is interrupted after that many batches
            self.tasks += 1
            yield fn(task)

    def close(self) -> None:
        """Nothing to release."""


def _requests() -> list[tuple[sim.Scenario, int, int]]:
    """Five patterns of the potential outlet (today's and four with one or two more tellers), 5 days each."""
    base = sim.load_scenario(SCENARIOS / "potential_outlet.toml")
    plan = base.staffing_plan()
    out: list[tuple[sim.Scenario, int, int]] = [(base, 7, 5)]
    for role in ("cash_teller", "low_counter_teller"):
        for change in (1, 2):
            counts = {**dict(plan.counts), role: plan.count(role) + change}
            out.append((base.with_staffing(StaffingPlan.of(counts, plan.cm_inside)), 7, 5))
    return out


def test_batches_keep_order_and_close_at_the_target() -> None:
    base = sim.load_scenario(SCENARIOS / "potential_outlet.toml")
    tasks = [Task(f"k{i}", base, 0, tuple(range(n))) for i, n in enumerate([3, 3, 3, 8, 1, 2, 2])]
    cut = batches(tasks, 6)
    assert [t for b in cut for t in b] == tasks  # nothing lost, nothing reordered
    assert [[len(t.reps) for t in b] for b in cut] == [[3, 3], [3, 8], [1, 2, 2]]
    assert batches(tasks, 1) == [(t,) for t in tasks]  # 1 day: every task alone, as before batching
    assert batch_size(10_000, 2, 32) == 32
    assert batch_size(100, 2, 32) == 13  # a small run keeps 4 batches per worker
    assert batch_size(0, 8, 32) == 1


def test_batched_days_are_the_days_of_tasks_alone_and_fewer_executor_tasks() -> None:
    alone_ex, batched_ex = Counting(), Counting()
    alone = Evaluator(alone_ex, None, batch_days=1, block=2).run(_requests())
    ticks: list[int] = []
    batched_ev = Evaluator(batched_ex, None, progress=ticks.append, batch_days=8, block=2)
    batched = batched_ev.run(_requests())
    for a, b in zip(alone, batched, strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit
    assert alone_ex.tasks == 15  # 5 patterns x 3 blocks (2 + 2 + 1 days)
    # 25 days on 1 worker: batches of at least min(8, ceil(25 / 4)) = 7 days (7, 7, 8 and the last 3)
    assert batched_ex.tasks == 4
    assert sum(ticks) == batched_ev.simulated_days == 25


def test_batched_days_on_local_processes_are_the_serial_days() -> None:
    serial = Evaluator(make_executor("serial"), None, batch_days=1).run(_requests())
    pool = make_executor("processes", 2)
    try:
        parallel = Evaluator(pool, None, batch_days=6).run(_requests())
    finally:
        pool.close()
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)


def test_an_interrupted_run_keeps_every_finished_batch(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    stopped = Evaluator(Counting(stop_after=2), cache, batch_days=10, block=5)
    with pytest.raises(KeyboardInterrupt):
        stopped.run(_requests())
    assert len({s.content_key() for s, _, _ in _requests()}) == 5
    assert stopped.simulated_days == 20  # two batches of two patterns' 5 days each (7 days aimed at)
    assert len(list(cache.glob("*.json"))) == 4  # saved as each batch arrived
    resumed = Evaluator(Counting(), cache, batch_days=10, block=5)
    days = resumed.run(_requests())
    assert resumed.simulated_days == 5  # only the pattern the interrupted run never reached
    reference = Evaluator(Counting(), None, batch_days=1).run(_requests())
    for a, b in zip(reference, days, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"batch_days": 0}, "batch_days: must be a whole number of at least 1, got 0"),
    ({"batch_days": 2.5}, "batch_days: must be a whole number of at least 1, got 2.5"),
    ({"block": True}, "block: must be a whole number of at least 1, got True"),
])
def test_bad_sizes_are_one_line(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match="^" + words.replace(".", r"\.") + "$"):
        Evaluator(make_executor("serial"), None, **kwargs)
