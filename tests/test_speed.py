"""Per-person service speed (``staff.<role>.speed``): service time ÷ speed, checked by hand and by theory."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.codes import VisitStatus, Zone
from sim.layout import compile_layout
from sim.queueing import erlang_c, zone_load
from sim.staffing import StaffingPlan
from sim.validation import queue_scenario
from tests.test_scenario_fuzz import MINIMAL_TOML
from tests.test_scripted import fixed, script, visits

DONE = VisitStatus.DONE


def test_fast_and_slow_teller_by_hand(minimal: dict[str, Any]) -> None:
    """Two tellers at speeds 2 and 0.5, a 10-minute service: 5 and 20 minutes of work."""
    minimal["zones"]["cash"]["positions"] = 2
    minimal["staff"]["cash_teller"] = {"count": 2, "zones": ["cash"], "speed": [2.0, 0.5]}
    minimal["service"]["cash"] = fixed(10)
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 0.0, 1.0]))
    # Both idle at 0: the first teller in the list (the fast one) takes customer 0, the
    # slow one customer 1; customer 2 waits for the fast teller, free again at 5.
    assert visits(log, Zone.CASH) == [(0, 0, 0, 5, DONE), (1, 0, 0, 20, DONE), (2, 1, 5, 10, DONE)]
    rows = np.flatnonzero(log.visit_zone == Zone.CASH)
    assert [log.staff.ids[k] for k in log.visit_staff[rows]] == ["cash_teller_1", "cash_teller_2", "cash_teller_1"]


def test_people_beyond_the_speed_list_work_at_speed_one(minimal: dict[str, Any]) -> None:
    minimal["zones"]["cash"]["positions"] = 2
    minimal["staff"]["cash_teller"] = {"count": 2, "zones": ["cash"], "speed": [0.5]}
    minimal["service"]["cash"] = fixed(10)
    log = sim.simulate(sim.from_dict(minimal), customers=script([0.0, 0.0]))
    assert visits(log, Zone.CASH) == [(0, 0, 0, 20, DONE), (1, 0, 0, 10, DONE)]


def test_speed_two_is_the_same_day_as_half_the_service_time(minimal: dict[str, Any]) -> None:
    """Exponential draws scale exactly: mean 1 at speed 2 replays mean 0.5 at speed 1, visit for visit."""
    minimal["staff"]["cash_teller"]["speed"] = [2.0]
    minimal["service"]["cash"]["mean_min"] = 1.0
    fast = sim.simulate(sim.from_dict(minimal), seed=5)
    del minimal["staff"]["cash_teller"]["speed"]
    minimal["service"]["cash"]["mean_min"] = 0.5
    half = sim.simulate(sim.from_dict(minimal), seed=5)
    assert fast.visit_start_min.size > 50
    np.testing.assert_array_equal(fast.visit_start_min, half.visit_start_min)
    np.testing.assert_array_equal(fast.visit_end_min, half.visit_end_min)


def test_faster_tellers_match_erlang_c_at_the_scaled_rate() -> None:
    """Three tellers at speed 1.25 and mean service 3 min are an M/M/3 with μ = 1.25/3 per min.

    λ = 0.75/min gives ρ = 0.6 and an Erlang C mean wait of 0.71 min (at speed 1 it would
    be ρ = 0.75 and 2.27 min). Over seeds 11, 12, 13 and 100 days of ~3,600 customers the
    standard error of the mean wait was about 1.6%; with 200 days it is about 1.1%, so
    5% is over four standard errors.
    """
    data = queue_scenario(0.75, 3.0, 3, day_min=5000.0, warmup_min=200.0)
    data["staff"]["cash_teller"]["speed"] = [1.25] * 3
    theory = erlang_c(0.75, 1.25 / 3.0, 3)
    cash = sim.replicate(sim.from_dict(data), n=200, seed=11).zones.query("zone == 'cash'").set_index("kpi")
    assert cash.loc["mean_wait_min", "mean"] == pytest.approx(theory.mean_wait, rel=0.05)
    assert cash.loc["utilisation", "mean"] == pytest.approx(theory.occupancy, rel=0.02)


def test_analytic_load_divides_the_mean_service_by_the_fastest_average_speed(minimal: dict[str, Any]) -> None:
    """Two positions, three tellers: the two fastest hold them (the optimistic capacity)."""
    minimal["zones"]["cash"]["positions"] = 2
    minimal["staff"]["cash_teller"] = {"count": 3, "zones": ["cash"], "speed": [1.0, 0.5, 2.0]}
    _, mean = zone_load(sim.from_dict(minimal), "cash")
    assert mean == pytest.approx(2.0 / 1.5)


def test_a_longer_list_than_people_inside_warns(minimal: dict[str, Any]) -> None:
    minimal["staff"]["cash_teller"]["speed"] = [1.0, 0.5]
    with pytest.warns(sim.ScenarioWarning, match=r"staff\.cash_teller\.speed: 2 speeds for 1 people inside"):
        scenario = sim.from_dict(minimal)
    assert compile_layout(scenario).staff.speed == (1.0,)


def test_a_speed_for_staff_who_serve_nobody_is_refused(minimal: dict[str, Any]) -> None:
    minimal["staff"]["outlet_head"] = {"count": 1, "zones": [], "speed": [1.5]}
    with pytest.raises(sim.ScenarioError, match=r"staff\.outlet_head\.speed: this role serves no zone"):
        sim.from_dict(minimal)


def test_fewer_people_keep_the_first_speeds(minimal: dict[str, Any]) -> None:
    minimal["zones"]["cash"]["positions"] = 3
    minimal["staff"]["cash_teller"] = {"count": 3, "zones": ["cash"], "speed": [1.5, 0.8, 1.2]}
    smaller = sim.from_dict(minimal).with_staffing(StaffingPlan.of({"cash_teller": 2}))
    assert smaller.roles["cash_teller"].speed == (1.5, 0.8)
    minimal["staff"]["cash_teller"]["count"] = 2  # a file with two tellers warns that the third speed is unused
    with pytest.warns(sim.ScenarioWarning, match="not used"):
        as_file = sim.from_dict(minimal)
    assert replace(as_file.roles["cash_teller"], speed=(1.5, 0.8)) == smaller.roles["cash_teller"]


@pytest.mark.parametrize(("speed", "problem"), [
    ([0.0], "must be >= 0.1"),
    ([11.0], "must be <= 10"),
    (["fast"], "expected a finite number"),
    (1.5, "expected a list of numbers"),
])
def test_bad_speeds_name_the_field(minimal: dict[str, Any], speed: object, problem: str) -> None:
    minimal["staff"]["cash_teller"]["speed"] = speed
    with pytest.raises(sim.ScenarioError, match=r"staff\.cash_teller\.speed") as err:
        sim.from_dict(minimal)
    assert problem in str(err.value)


def test_the_cli_prints_a_scenario_warning_as_one_line(tmp_path: Path) -> None:
    """No source path or code line of the package: one ``branchlab: warning:`` line naming file and field."""
    path = tmp_path / "long.toml"
    text = MINIMAL_TOML.replace('zones = ["cash"]\n', 'zones = ["cash"]\nspeed = [1.0, 0.9, 0.8]\n')
    assert "speed" in text
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "branchlab.cli", "simulate", str(path), "-n", "1", "-q"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0
    assert done.stderr.strip().splitlines() == [
        f"branchlab: warning: {path}: staff.cash_teller.speed: 3 speeds for 1 people inside: the last 2 are not used "
        "(a smaller head-count keeps the first speeds)"]
