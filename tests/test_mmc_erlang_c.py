"""The M/M/c scenario's simulated mean wait against Erlang C (computed, not hard-coded)."""

from __future__ import annotations

import pytest

import sim
from sim.queueing import erlang_c
from tests.conftest import SCENARIOS


@pytest.mark.parametrize(("rate_per_min", "servers"), [(2.7, 3), (1.6, 2)])
def test_mmc_mean_wait_within_ci_of_erlang_c(rate_per_min: float, servers: int) -> None:
    base = sim.load_scenario(SCENARIOS / "mmc_cash_only.toml")
    scenario = sim.with_overrides(base, {
        "arrivals.rate_per_hour": rate_per_min * 60, "zones.cash.positions": servers,
        "staff.cash_teller.count": servers,
    })
    theory = erlang_c(rate_per_min, 1.0, servers)
    # A 95% interval misses the truth on 1 seed in 20; the seed is fixed, so the test is
    # deterministic, and the tests/validation suite checks many more cases and seeds.
    result = sim.replicate(scenario, n=20, seed=7)
    row = result.zones.query("zone == 'cash' and kpi == 'mean_wait_min'").iloc[0]
    assert row.ci95_low <= theory.mean_wait <= row.ci95_high
    assert row.ci95_half_width < 0.1 * theory.mean_wait  # the interval is tight enough to mean something
    util = result.zones.query("zone == 'cash' and kpi == 'utilisation'").iloc[0]
    assert util.ci95_low <= theory.occupancy <= util.ci95_high
