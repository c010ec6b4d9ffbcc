"""The wealth room used as an office (issue 16): a share of each room's time is taken from customers.

The essay: 理财室则几乎全部被网点主任和客户经理占用 (the wealth room is almost wholly occupied by
the outlet head and the customer managers). A scripted day checked by hand, the light-traffic
mean wait (a Poisson arrival finds the room an office with chance s and waits the rest of the
block, s·B/2 on average: E[wait] = s²·B/2), the effect on the backbone outlet over paired days,
and one-line errors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.codes import Need, VisitStatus, Zone
from sim.layout import compile_layout
from sim.scenario import from_dict, load_scenario, with_overrides
from sim.validation import Check
from tests.conftest import SCENARIOS, assert_refused
from tests.test_scripted import fixed, script, visits

WEALTH = Zone.WEALTH
DONE = VisitStatus.DONE


def wealth_outlet(rooms: int, share: float, block_min: float = 60.0, service_min: float = 10.0,
                  close: str = "17:00") -> dict[str, Any]:
    """An outlet of ``rooms`` wealth rooms and as many wealth managers, every customer a wealth need."""
    return {
        "outlet": {"name": "wealth rooms", "tier": "potential", "open": "09:00", "close": close},
        "zones": {"wealth": {"positions": rooms, "office_share": share, "office_block_min": block_min}},
        "staff": {"wealth_manager": {"count": rooms, "zones": ["wealth"]}},
        "arrivals": {"rate_per_hour": 3.0},
        "segments": {"mass": {"share": 1.0, "needs": {"wealth": 1.0}}},
        "service": {"wealth": fixed(service_min)},
    }


def test_office_blocks_by_hand() -> None:
    """One room, half of every hour an office from the hour's start: [0, 30), [60, 90), ..."""
    sc = from_dict(wealth_outlet(1, 0.5))
    assert compile_layout(sc).office[:3] == ((0, 0.0, 30.0), (0, 60.0, 90.0), (0, 120.0, 150.0))
    log = sim.simulate(sc, customers=script([10.0, 45.0, 55.0, 62.0], need=[Need.WEALTH] * 4))
    # 10 waits for the room (office until 30); 45 is served at once; 55 starts before the office's
    # 60 and is finished (the office waits for the room); 62 waits for the office to end at 90.
    assert visits(log, WEALTH) == [(0, 10, 30, 40, DONE), (1, 45, 45, 55, DONE), (2, 55, 55, 65, DONE),
                                   (3, 62, 90, 100, DONE)]


def test_two_rooms_take_turns_as_the_office() -> None:
    """Two rooms at half each are staggered by half a block: one room is always free."""
    sc = from_dict(wealth_outlet(2, 0.5))
    assert compile_layout(sc).office[:4] == ((0, 0.0, 30.0), (1, 30.0, 60.0), (0, 60.0, 90.0), (1, 90.0, 120.0))
    log = sim.simulate(sc, customers=script([5.0, 5.0, 35.0, 35.0], need=[Need.WEALTH] * 4))
    assert visits(log, WEALTH) == [(0, 5, 5, 15, DONE), (1, 5, 15, 25, DONE), (2, 35, 35, 45, DONE),
                                   (3, 35, 45, 55, DONE)]


def test_no_office_use_changes_nothing() -> None:
    """``office_share = 0`` (the default) is the model without office use, draw for draw."""
    base = load_scenario(SCENARIOS / "backbone_outlet.toml")
    zero = with_overrides(base, {"zones.wealth.office_share": 0.0}, quiet=True)
    assert compile_layout(zero).office == ()
    for rep in range(2):
        a, b = sim.simulate(base, seed=4, replication=rep), sim.simulate(zero, seed=4, replication=rep)
        assert np.array_equal(a.visit_start_min, b.visit_start_min, equal_nan=True)
        assert np.array_equal(sim.day_kpis(a).outlet, sim.day_kpis(b).outlet)


def test_light_traffic_wait_is_s_squared_b_over_two() -> None:
    """One room, office share 0.5 of every 60 min, rare short visits (0.05 a minute, 0.1 min each): a
    customer finds the office with chance s and waits the rest of it, E[wait] = s²B/2 = 7.5 min, times
    (1 + λ·d) for the customers ahead who arrived earlier in the same block (7.5375)."""
    s, block, lam, d = 0.5, 60.0, 0.05, 0.1
    expected = s * s * block / 2.0 * (1.0 + lam * d)
    data = wealth_outlet(1, s, block, d, close="833:00")
    data["outlet"]["open"] = "00:00"
    data["arrivals"]["rate_per_hour"] = lam * 60.0
    result = sim.replicate(from_dict(data), n=20, seed=16)
    zones = result.zones
    row = zones[(zones["zone"] == "wealth") & (zones["kpi"] == "mean_wait_min")].iloc[0]
    check = Check(metric="mean_wait_min", simulated=float(row["mean"]),
                  ci95=(float(row["ci95_low"]), float(row["ci95_high"])), analytic=expected, days=result.n,
                  rel_tol=0.02)
    assert check.passed, (check.simulated, check.allowed)


def test_an_office_in_the_wealth_room_costs_the_backbone_outlet_wealth_customers() -> None:
    """Backbone outlet (2 rooms), the rooms an office half of the time: over 30 paired days the
    wealth-room wait and walk-outs rise and the value earned falls; freeing the room is worth it."""
    base = load_scenario(SCENARIOS / "backbone_outlet.toml")
    office = with_overrides(base, {"zones.wealth.office_share": 0.5}, quiet=True)
    wait, walked, value = [], [], []
    row = sim.ZONES.index("wealth")
    for rep in range(30):
        a, b = (sim.day_kpis(sim.simulate(sc, seed=9, replication=rep)) for sc in (base, office))
        wait.append(b.zones[row, 0] - a.zones[row, 0])
        walked.append(b.zones[row, 3] - a.zones[row, 3])
        value.append(b.outlet[sim.OUTLET_KPIS.index("value_yuan")] - a.outlet[sim.OUTLET_KPIS.index("value_yuan")])

    def interval(x: list[float]) -> tuple[float, float]:
        arr = np.asarray(x)
        half = 2.05 * arr.std(ddof=1) / math.sqrt(arr.size)
        return arr.mean() - half, arr.mean() + half

    assert interval(wait)[0] > 0
    assert interval(walked)[0] > 0
    assert interval(value)[1] < 0


@pytest.mark.parametrize(("zone", "entry", "field", "message"), [
    ("wealth", {"office_share": 1.0}, "zones.wealth.office_share", "must be < 1"),
    ("wealth", {"office_share": -0.1}, "zones.wealth.office_share", "must be >= 0"),
    ("wealth", {"office_share": 0.2, "office_block_min": 0.5}, "zones.wealth.office_block_min", "must be >= 1"),
    ("cash", {"office_share": 0.2}, "zones.cash.office_share", "wealth room only"),
])
def test_bad_office_use_is_one_line_naming_the_field(minimal: dict[str, Any], zone: str, entry: dict[str, Any],
                                                     field: str, message: str) -> None:
    minimal["zones"].setdefault(zone, {"positions": 1}).update(entry)
    if zone == "wealth":
        minimal["staff"]["wealth_manager"] = {"count": 1, "zones": ["wealth"]}
        minimal["service"]["wealth"] = fixed(5)
    assert_refused(lambda: from_dict(minimal, "outlet.toml"), f"outlet.toml: {field}: ", message)
