"""Seeds: identical results for the same seed, independent days otherwise, common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import SCENARIOS

BACKBONE = SCENARIOS / "backbone_outlet.toml"


def test_same_seed_gives_identical_kpis() -> None:
    scenario = sim.load_scenario(BACKBONE)
    a = sim.replicate(scenario, n=3, seed=11)
    b = sim.replicate(scenario, n=3, seed=11)
    np.testing.assert_array_equal(a.days.to_numpy(), b.days.to_numpy())
    np.testing.assert_array_equal(a.zone_days.iloc[:, 2:].to_numpy(), b.zone_days.iloc[:, 2:].to_numpy())


def test_different_seed_gives_different_days() -> None:
    scenario = sim.load_scenario(BACKBONE)
    a = sim.replicate(scenario, n=2, seed=1).days
    b = sim.replicate(scenario, n=2, seed=2).days
    assert not np.array_equal(a.to_numpy(), b.to_numpy())


def test_replications_of_one_seed_are_different_days() -> None:
    scenario = sim.load_scenario(BACKBONE)
    first, second = (sim.simulate(scenario, seed=1, replication=r).customers for r in (0, 1))
    for field in ("arrival_min", "patience_min", "u_identify", "u_divert", "u_referral"):
        a, b = getattr(first, field), getattr(second, field)
        n = min(a.size, b.size)
        drawn = np.isfinite(a[:n])  # patience "none" is infinite on every day
        assert drawn.any(), field
        assert not np.any((a[:n] == b[:n]) & drawn), field  # continuous draws: no value repeats across days


@pytest.mark.parametrize("change", [{"staff.cash_teller.count": 4}, {"staff.customer_manager.inside": 1},
                                    {"zones.wealth.positions": 0}])
def test_staffing_change_keeps_the_same_customers(change: dict[str, int]) -> None:
    base = sim.load_scenario(BACKBONE)
    variant = sim.with_overrides(base, change)
    a, b = sim.simulate(base, seed=5, replication=3), sim.simulate(variant, seed=5, replication=3)
    for field in ("arrival_min", "segment", "need", "patience_min", "u_identify", "u_divert", "u_referral"):
        np.testing.assert_array_equal(getattr(a.customers, field), getattr(b.customers, field))
    # ... while what happens to them does change.
    assert not np.array_equal(a.visit_start_min, b.visit_start_min, equal_nan=True)


def test_adding_a_teller_shortens_cash_waits_on_common_random_numbers() -> None:
    base = sim.load_scenario(BACKBONE)
    fewer = sim.with_overrides(base, {"staff.cash_teller.count": 2, "staff.cash_teller.lunch_stagger_min": 45})
    w_base = sim.replicate(base, n=5, seed=3).zone_days.query("zone == 'cash'")["mean_wait_min"].to_numpy()
    w_fewer = sim.replicate(fewer, n=5, seed=3).zone_days.query("zone == 'cash'")["mean_wait_min"].to_numpy()
    assert (w_fewer > w_base).all()
