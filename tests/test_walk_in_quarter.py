"""Walk-in new customers (``[sales.walk_in]``) count in the quarter's outlet-days as they do in one day.

The hostile review found the horizon overwrote the day's ``field_new_customers`` with the field's wins
alone, so a quarter kept the walk-ins' value but dropped them from the counts (and so from
``net_new_customers``, the deposits and the head's growth gate)."""

from __future__ import annotations

import numpy as np

import sim
from sim.horizon import Horizon, HorizonRules, run_days
from tests.conftest import SCENARIOS

BACKBONE = SCENARIOS / "backbone_outlet.toml"


def _days(walk_in: bool, seed: int, days: int = 6) -> tuple[np.ndarray, np.ndarray]:
    scenario = sim.load_scenario(BACKBONE)
    if walk_in:
        scenario = sim.with_overrides(scenario, {"sales.walk_in.prospect_share": 0.5,
                                                 "sales.walk_in.conversion.customer_manager": 0.8,
                                                 "sales.walk_in.conversion.low_counter_teller": 0.8}, quiet=True)
    rules = HorizonRules(day_of_month_profile=(1.0,), volume_cv=0.0, rotation_days=0)
    [span] = run_days([Horizon([scenario], rules, seed=seed)], 0, days)
    rows = span.outlets.sort_values("day")
    return rows["field_new_customers"].to_numpy(dtype=float), rows["value_yuan"].to_numpy(dtype=float)


def test_walk_in_wins_are_counted_with_their_value() -> None:
    """On common random numbers the walk-ins change nothing but the new customers and their value, so
    each day's extra value is the extra new customers x the value of a new customer (hand rule)."""
    per_customer = sim.load_scenario(BACKBONE).field_marketing.value_per_new_customer_yuan
    for seed in (1, 2, 3):
        won_off, value_off = _days(False, seed)
        won_on, value_on = _days(True, seed)
        extra = won_on - won_off
        assert extra.sum() > 0, seed
        np.testing.assert_allclose(value_on - value_off, extra * per_customer, rtol=1e-9, atol=1e-6)
