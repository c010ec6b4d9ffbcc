"""Shifts and lunches that leave a person never on duty, or list more people than there are, are refused
at load with one line naming the field (they used to pass and crash the day, or be ignored)."""

from __future__ import annotations

from typing import Any

import pytest

import sim
from tests.conftest import TIER_FILES, assert_refused

BACKBONE = next(p for p in TIER_FILES if p.stem == "backbone_outlet")


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"staff.security_guide.lunch": ["09:00", "17:00"]}, "staff.security_guide.lunch", "takes the whole shift"),
    ({"staff.cash_teller.shift": ["12:00", "13:00"], "staff.cash_teller.lunch": ["12:00", "13:00"],
      "staff.cash_teller.lunch_stagger_min": 0},
     "staff.cash_teller.lunch", "takes the whole shift"),
    ({"staff.security_guide.shifts": [["09:00", "17:00", "09:00", "17:00"]]},
     "staff.security_guide.shifts[0]", "never on duty"),
    ({"staff.security_guide.shifts": [["09:00", "17:00"], ["09:00", "12:00"]]},
     "staff.security_guide.shifts", "2 shifts for 1 person inside"),
    ({"staff.wealth_manager.count": 0, "staff.wealth_manager.shifts": [["09:00", "17:00"]]},
     "staff.wealth_manager.shifts", "1 shifts for 0 people inside"),
    ({"staff.outlet_head.shifts": [["09:00", "17:00"]]}, "staff.outlet_head.shifts", "serves no zone"),
])
def test_shift_that_cannot_work_is_refused(overrides: dict[str, Any], field: str, message: str) -> None:
    base = sim.load_scenario(BACKBONE)
    assert_refused(lambda: sim.with_overrides(base, overrides, quiet=True), f"{BACKBONE}: {field}: ", message)


def test_a_short_duty_still_simulates() -> None:
    """The boundary that stays allowed: a lunch one minute shorter than the shift leaves that minute on duty."""
    base = sim.load_scenario(BACKBONE)
    scenario = sim.with_overrides(base, {"staff.security_guide.shifts": [["09:00", "10:00", "09:00", "09:59"]]},
                                  quiet=True)
    log = sim.simulate(scenario, seed=1)
    assert log.customers.arrival_min.size > 0


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"zones.wealth.office_share": 1.5}, "zones.wealth.office_share", "must be < 1"),
    ({"zones.wealth.office_share": 0.3, "zones.wealth.office_block_min": 1000}, "zones.wealth.office_block_min",
     "at most the opening day"),
    ({"zones.wealth.office_share": 0.3, "zones.wealth.positions": 0}, "zones.wealth.office_share",
     "no positions"),
])
def test_office_use_that_cannot_work_is_refused(overrides: dict[str, Any], field: str, message: str) -> None:
    """Office use with blocks longer than the day gave room 0 62.5% and room 1 none (the share is 30%);
    on a room-less zone it was silently idle; 1.5 was refused as "must be <= 1" though 1 is refused too."""
    base = sim.load_scenario(BACKBONE)
    assert_refused(lambda: sim.with_overrides(base, overrides, quiet=True), f"{BACKBONE}: {field}: ", message)


def test_office_blocks_as_long_as_the_day_give_each_room_its_share() -> None:
    """The longest block allowed (the opening day): each of the two rooms is an office for 30% of the day."""
    base = sim.load_scenario(BACKBONE)
    day = base.outlet.day_min
    scenario = sim.with_overrides(base, {"zones.wealth.office_share": 0.3, "zones.wealth.office_block_min": day},
                                  quiet=True)
    from sim.layout import compile_layout

    office = compile_layout(scenario).office
    per_room: dict[int, float] = {}
    for block in office:
        room, start, end = block[0], block[1], block[2]
        per_room[room] = per_room.get(room, 0.0) + min(end, day) - start
    assert sorted(per_room) == [0, 1]
    assert all(abs(v - 0.3 * day) < 1e-9 for v in per_room.values())
