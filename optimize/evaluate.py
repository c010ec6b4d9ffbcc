"""Evaluating staffing patterns by simulation: common random numbers, any executor, a disk cache.

Every pattern of an outlet is simulated with the *same* seed, so replication ``r`` of
each pattern sees the same customers (common random numbers): differences between
patterns are differences of staffing, not of luck. Work goes through the engine's
executors (``serial``, ``processes``, ``dask``), so a large region runs on a Dask cluster
unchanged.

The unit of simulation is a :class:`Task`: one pattern (scenario variant) and a block of
at most ``block`` of its replications, simulated by :func:`run_task`. The unit sent to
the executor is a *batch*: consecutive tasks (usually other patterns of the same outlet)
together worth about ``batch_days`` simulated days, run by :func:`run_batch` one task
after another exactly as they would run alone. Every executor task costs the main
process a fixed amount (submitting it, the scheduler's bookkeeping, receiving its
result: about 9 ms on Dask) whatever its size; with ``--quick`` a task is 4 days of one
pattern, so batching pays that cost once per ~32 days instead of once per ~4. The
numbers do not change: each task inside a batch has the same scenario, seed and
replications as it would have alone, and a task's days depend on nothing else. A batch
is never made so large that the run has fewer than :data:`BATCHES_PER_WORKER` batches
per worker, so small runs still spread over every worker.

Results are cached on disk, one small JSON file per (scenario variant, seed), keyed by
a hash of the variant's full scenario data, the seed and the engine's source code: a
re-run with other policy rules or more replications re-simulates only what is new.
A cache file is written atomically (a temporary file renamed over it: a crash mid-write
leaves the old file or none) but not flushed to the disk with ``fsync``: a cache only
saves work, a file a power cut loses or damages is read as missing and simulated again,
and an fsync per file cost the main process ~2.5 ms each, about 100,000 times for a
2,000-outlet province.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from sim.codes import ZONES
from sim.daylog import flex_away_min
from sim.executors import Executor
from sim.metrics import OUTLET_KPIS, ZONE_KPIS, batch_kpis, walkout_rate
from sim.model import simulate
from sim.scenario_types import Scenario

#: Simulated days an executor task (a batch of :class:`Task`) aims at (``Evaluator(batch_days=...)``).
BATCH_DAYS = 32
#: A batch is made smaller when the run would otherwise have fewer than this many batches per worker.
BATCHES_PER_WORKER = 4

#: Zone KPIs kept per replication (the ones service limits and reports use).
ZONE_FIELDS = ("service_level", "abandon_rate", "mean_wait_min", "customers")
#: Per-replication metrics of a pattern, in this order; ``flex_away_min``: the minutes a day the outlet's
#: flexible posts' staff spent at the posts, away from their own work (:func:`sim.daylog.flex_away_min`).
METRICS = (*OUTLET_KPIS, "walkout_rate",
           *(f"{z}.{k}" for z in ZONES if z != "waiting" for k in ZONE_FIELDS), "flex_away_min")
_OUTLET = {k: i for i, k in enumerate(OUTLET_KPIS)}


@cache
def engine_fingerprint() -> str:
    """A hash of the simulation engine's source files: cached results die with any model change."""
    root = Path(__file__).resolve().parents[1] / "sim"
    digest = hashlib.sha256()
    for path in sorted(root.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def variant_key(scenario: Scenario, seed: int) -> str:
    """Cache key of one scenario variant simulated with ``seed``: the engine's source, the seed and the
    scenario's typed fields (:meth:`~sim.scenario_types.Scenario.content_key`)."""
    return hashlib.sha256(f"{engine_fingerprint()}|{seed}|{scenario.content_key()}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Task:
    """Replications ``reps`` of one scenario variant (picklable; carries its own seed)."""

    key: str
    scenario: Scenario
    seed: int
    reps: tuple[int, ...]


def run_task(task: Task) -> tuple[str, dict[int, list[float]]]:
    """Simulate the task's replications; the metrics of each, in :data:`METRICS` order."""
    logs = [simulate(task.scenario, task.seed, r) for r in task.reps]
    out: dict[int, list[float]] = {}
    for r, k, log in zip(task.reps, batch_kpis(logs), logs, strict=True):
        o = k.outlet
        away = float(flex_away_min(log).sum()) if task.scenario.dispatch.flex else 0.0
        rate = float(walkout_rate(*(o[_OUTLET[k]] for k in ("arrived", "abandoned", "balked", "no_service"))))
        zones = [float(k.zones[ZONES.index(z), ZONE_KPIS.index(f)])
                 for z in ZONES if z != "waiting" for f in ZONE_FIELDS]
        out[r] = [*map(float, o), rate, *zones, away]
    return task.key, out


def run_batch(batch: tuple[Task, ...]) -> list[tuple[str, dict[int, list[float]]]]:
    """Simulate a batch of tasks (one executor task), each exactly as :func:`run_task` would alone, in order."""
    return [run_task(task) for task in batch]


def batches(tasks: list[Task], days: int) -> list[tuple[Task, ...]]:
    """``tasks`` cut, in order, into consecutive batches of about ``days`` simulated days each.

    A batch is closed as soon as its tasks' replications reach ``days`` (a task is never
    split, so a batch holds at least one task and at most ``days + block − 1`` days).
    """
    out: list[tuple[Task, ...]] = []
    current: list[Task] = []
    size = 0
    for task in tasks:
        current.append(task)
        size += len(task.reps)
        if size >= days:
            out.append(tuple(current))
            current, size = [], 0
    if current:
        out.append(tuple(current))
    return out


def batch_size(total_days: int, workers: int, target: int) -> int:
    """Days per batch for a run of ``total_days`` on ``workers`` workers: ``target``, but no more than
    leaves :data:`BATCHES_PER_WORKER` batches per worker (at least 1 day)."""
    return max(1, min(target, math.ceil(total_days / (BATCHES_PER_WORKER * max(1, workers)))))


class Evaluator:
    """Runs and caches pattern replications; ``values(scenario, seed, n)`` gives an ``n × METRICS`` array.

    With a cache folder the simulated days live on disk: a request's days are read back from their files
    when asked for again, so the main process's memory does not grow with every pattern of every outlet
    (JSON writes floats exactly, so a day read back is the day simulated). Without one they stay in memory.

    ``block``: most replications of one pattern in one :class:`Task`; ``batch_days``: simulated days
    an executor task aims at (:func:`batches`; 1 sends every task alone, as before batching). As each
    batch finishes its tasks' days are stored (and saved to the cache) and reported to ``progress``,
    so an interrupted run keeps every batch it finished.

    Raises:
        ValueError: ``block`` or ``batch_days`` is not a whole number of at least 1 (one line naming it).
    """

    def __init__(self, executor: Executor, cache_dir: Path | None, progress: Callable[[int], None] | None = None,
                 block: int = 8, batch_days: int = BATCH_DAYS) -> None:
        for name, value in (("block", block), ("batch_days", batch_days)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: must be a whole number of at least 1, got {value!r}")
        self.executor = executor
        self.cache_dir = cache_dir
        self.progress = progress
        self.block = block
        self.batch_days = batch_days
        self._memory: dict[str, dict[int, list[float]]] = {}
        #: Variants whose cache file could not be written (a folder in its place): kept in memory.
        self._memory_only: set[str] = set()
        self.simulated_days = 0

    def _load(self, key: str) -> dict[int, list[float]]:
        if key not in self._memory:
            stored: dict[int, list[float]] = {}
            path = self.cache_dir / f"{key}.json" if self.cache_dir else None
            if path is not None and path.exists():
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                    if data.get("metrics") == list(METRICS):
                        stored = {int(r): v for r, v in data["reps"].items() if _whole_row(v)}
                except (OSError, ValueError, KeyError, AttributeError, TypeError):
                    stored = {}  # a damaged cache file (or a folder in its place) is simulated again
            self._memory[key] = stored
        return self._memory[key]

    def _save(self, key: str) -> None:
        if self.cache_dir is not None:
            payload = {"metrics": list(METRICS), "reps": {str(r): v for r, v in sorted(self._memory[key].items())}}
            path = self.cache_dir / f"{key}.json"
            if path.is_dir():  # something else stands where the cache file goes: keep the days in memory only
                self._memory_only.add(key)
                return
            _write_cache(path, json.dumps(payload))

    def run(self, requests: Iterable[tuple[Scenario, int, int]]) -> list[np.ndarray]:
        """For each ``(scenario, seed, n)``: replications ``0 … n−1`` as an array (simulating what is missing)."""
        requests = list(requests)
        keys = [variant_key(s, seed) for s, seed, _ in requests]
        tasks: list[Task] = []
        for key, (scenario, seed, n) in zip(keys, requests, strict=True):
            missing = [r for r in range(n) if r not in self._load(key)]
            tasks += [Task(key, scenario, seed, tuple(missing[i:i + self.block]))
                      for i in range(0, len(missing), self.block)]
        days = batch_size(sum(len(t.reps) for t in tasks), getattr(self.executor, "workers", 1), self.batch_days)
        for done in self.executor.imap(run_batch, batches(tasks, days)):
            for key, reps in done:
                self._memory[key].update(reps)
                self._save(key)  # as each batch finishes: an interrupted run keeps what it simulated
                self.simulated_days += len(reps)
                if self.progress is not None:
                    self.progress(len(reps))
        out = [np.asarray([self._memory[k][r] for r in range(n)]) for k, (_, _, n) in zip(keys, requests,
                                                                                         strict=True)]
        if self.cache_dir is not None:  # the days are in their files now: read them back when asked again
            for key in set(keys) - self._memory_only:
                self._memory.pop(key, None)
        return out


def _write_cache(path: Path, text: str) -> None:
    """Write a cache file atomically without ``fsync`` (see the module docstring): a temporary file in the
    same folder (which is created when missing), renamed over ``path``."""
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _whole_row(row: object) -> bool:
    """A cached replication is usable: one number per metric of :data:`METRICS` (NaN is written as ``NaN``;
    a short row, a string, a null or a boolean marks a damaged file, and that day is simulated again)."""
    return isinstance(row, list) and len(row) == len(METRICS) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in row)


def column(values: np.ndarray, metric: str) -> np.ndarray:
    """One metric's per-replication values from an array returned by :meth:`Evaluator.run`."""
    return values[:, METRICS.index(metric)]
