"""With a cache folder the evaluator keeps simulated days on disk, not in memory, and reads back the very
same days (issue 19: the main process's memory should not grow with every pattern of every outlet)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import sim
from optimize.evaluate import Evaluator
from sim.executors import make_executor
from sim.staffing import StaffingPlan
from tests.conftest import SCENARIOS


def _requests() -> list[tuple[sim.Scenario, int, int]]:
    base = sim.load_scenario(SCENARIOS / "potential_outlet.toml")
    plan = base.staffing_plan()
    more = StaffingPlan.of({**dict(plan.counts), "cash_teller": plan.count("cash_teller") + 1}, plan.cm_inside)
    return [(base, 3, 3), (base.with_staffing(more), 3, 3), (base, 4, 2)]


def test_days_live_on_disk_and_read_back_exactly(tmp_path: Path) -> None:
    cached = Evaluator(make_executor("serial", None, None), tmp_path / "cache")
    first = cached.run(_requests())
    assert cached._memory == {}  # nothing held once the days are in their files
    assert len(list((tmp_path / "cache").glob("*.json"))) == 3
    again = cached.run([(s, seed, n + 1) for s, seed, n in _requests()])  # one more day each, the rest read back
    assert cached.simulated_days == 8 + 3
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b[:-1])  # bit for bit: JSON wrote each float exactly
    in_memory = Evaluator(make_executor("serial", None, None), None)
    plain = in_memory.run(_requests())
    assert sum(len(v) for v in in_memory._memory.values()) == 8  # without a cache the days stay in memory
    for a, b in zip(first, plain, strict=True):
        np.testing.assert_array_equal(a, b)  # and are the same days as those read from disk


def test_a_variant_whose_file_cannot_be_written_stays_in_memory(tmp_path: Path) -> None:
    from optimize.evaluate import variant_key

    cache = tmp_path / "cache"
    cache.mkdir()
    scenario, seed, n = _requests()[0]
    (cache / f"{variant_key(scenario, seed)}.json").mkdir()  # a folder where the file goes
    ev = Evaluator(make_executor("serial", None, None), cache)
    days = ev.run([(scenario, seed, n)])[0]
    assert ev.run([(scenario, seed, n)])[0].tolist() == days.tolist()
    assert ev.simulated_days == n  # kept in memory, so not simulated twice
