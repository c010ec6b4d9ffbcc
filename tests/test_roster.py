"""Intraday rosters (issue 20 §2): known answers, the MILP against brute force, bad templates, the typed roster."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optimize import load_region
from optimize.evaluate import variant_key
from optimize.export import ROSTER_FILE, SHEETS, export
from optimize.roster import (
    KEPT,
    MET,
    Pattern,
    RosterInfeasible,
    RosterModel,
    RosterTemplate,
    build_model,
    guarded_zones,
    lunch_hours,
    served_zones,
    solve_roster,
    template_problem,
    to_roster,
    worse_hours,
    worse_lunches,
)
from optimize.tables import ROSTER_COLUMNS
from sim import seeds
from sim.codes import SERVICE_ZONES, STAFFED_ZONES
from sim.errors import ScenarioError
from sim.layout import compile_layout
from sim.roster import PersonShift, Roster, apply_roster
from sim.scenario import from_dict, load_scenario
from sim.scenario_types import Scenario
from sim.staffing import StaffingPlan
from tests.conftest import assert_refused
from tests.test_optimize_recommend import SCENARIOS, SMALL, _region, _run

POTENTIAL = SCENARIOS / "potential_outlet.toml"


def _model(required: np.ndarray, people: tuple[int, ...], patterns: list[Pattern], max_at_lunch: int = 9,
           cover: int = 0, step: float = 60.0) -> RosterModel:
    zones = required.shape[0]
    return RosterModel(step=step, zones=tuple(f"z{z}" for z in range(zones)),
                       groups=tuple((f"g{g}", g % zones, n) for g, n in enumerate(people)), patterns=tuple(patterns),
                       required=required.astype(float), weight=np.ones_like(required, dtype=float),
                       fixed=np.zeros_like(required, dtype=float), max_at_lunch=max_at_lunch, cover_people=cover)


def _no_lunch(start: float, end: float) -> Pattern:
    return Pattern(start, end, start, start)


def test_a_two_hour_peak_is_covered_by_one_staggered_shift() -> None:
    """Known answer: an 8-hour day needing 1 server, 2 in hours 4-5, and two people on 6-hour shifts starting
    at hour 0, 1 or 2: only 0-6 and 2-8 cover every hour (the late shift covers the peak and the close)."""
    required = np.array([[1, 1, 1, 1, 2, 2, 1, 1]])
    patterns = [_no_lunch(60.0 * s, 60.0 * (s + 6)) for s in range(3)]
    model = _model(required, (2,), patterns)
    counts = solve_roster(model)
    assert counts.tolist() == [[1, 0, 1]]
    assert np.all(model.cover(counts) >= required)
    roster = to_roster(model, counts)
    assert [(s.start_min, s.end_min) for s in roster.shifts] == [(0.0, 360.0), (120.0, 480.0)]


def test_a_lunch_window_fits_exactly_k_people(tmp_path: Path) -> None:
    """Known answer: 11:00-13:00 with 30-minute lunches and one person at lunch at a time fits 4 lunches: four
    tellers get the four slots, a fifth cannot be rostered, and the region file says so at load."""
    template = RosterTemplate(shift_hours=(8.0,), lunch_min=30.0, lunch_window=(660.0, 780.0), step_min=30,
                              max_at_lunch=1, cover_people=1, roles=("cash_teller",))
    base = load_scenario(POTENTIAL)
    four, five = _with_tellers(base, 4), _with_tellers(base, 5)
    assert template_problem(template, [("four", four)]) is None
    zones = served_zones(four, template)
    model = build_model(four, template, np.ones((len(zones), 16)), zones)
    lunches = sorted(s.lunch_start_min for s in to_roster(model, solve_roster(model)).shifts)
    assert lunches == [120.0, 150.0, 180.0, 210.0]  # 11:00, 11:30, 12:00, 12:30 after a 09:00 opening
    field, message = template_problem(template, [("five", five)]) or ("", "")
    assert field == "max_at_lunch"
    assert "5 people to roster but 1 at lunch at once fit only 4 lunches of 30 min" in message
    with pytest.raises(RosterInfeasible, match="at most 1 at lunch"):
        solve_roster(build_model(five, template, np.ones((1, 16)), zones))
    text = SMALL + ('\n[roster]\nroles = ["cash_teller"]\nlunch_min = 30\nstep_min = 30\n'
                    'lunch_window = ["11:00", "13:00"]\nmax_at_lunch = 1\n')
    text = text.replace('"staff.cash_teller.count" = 3', '"staff.cash_teller.count" = 5')
    with pytest.raises(ScenarioError, match=r"roster\.max_at_lunch: outlet 'Lake' has 5 people to roster"):
        load_region(_region(tmp_path, text=text))


def _with_tellers(scenario: Scenario, n: int) -> Scenario:
    plan = scenario.staffing_plan()
    counts = dict(plan.counts)
    counts["cash_teller"] = n
    return scenario.with_staffing(StaffingPlan.of(counts, plan.cm_inside))


@pytest.mark.parametrize("case", range(30))
def test_the_roster_milp_equals_brute_force_on_tiny_outlets(case: int) -> None:
    rng = seeds.generator(20, case)
    n_slots, zones = 6, int(rng.integers(1, 3))
    required = rng.integers(0, 3, size=(zones, n_slots))
    patterns = []
    for _ in range(int(rng.integers(2, 5))):
        start = int(rng.integers(0, 3))
        end = int(rng.integers(start + 2, n_slots + 1))
        lunch = int(rng.integers(start, end))
        patterns.append(Pattern(60.0 * start, 60.0 * end, 60.0 * lunch, 60.0 * (lunch + int(rng.integers(0, 2)))))
    people = tuple(int(rng.integers(1, 3)) for _ in range(int(rng.integers(1, 3))))
    model = _model(required, people, patterns, max_at_lunch=int(rng.integers(1, 3)), cover=int(rng.integers(0, 2)))
    model = RosterModel(**{**model.__dict__, "weight": rng.uniform(0.5, 2.0, size=required.shape)})
    best = np.inf
    per_group = [[c for c in itertools.product(range(n + 1), repeat=len(patterns)) if sum(c) == n] for n in people]
    for choice in itertools.product(*per_group):
        best = min(best, model.cost(np.asarray(choice)))
    if not np.isfinite(best):
        with pytest.raises(RosterInfeasible):
            solve_roster(model)
        return
    assert model.cost(solve_roster(model)) == pytest.approx(best, abs=1e-7)


@pytest.mark.parametrize(("table", "field", "message"), [
    ("shift_hours = [9]", "roster.shift_hours", "9 h is longer than outlet 'Hill''s opening day (8 h, 09:00-17:00)"),
    ('shift_hours = [4]\nlunch_window = ["11:00", "12:00"]\nstart_window = ["09:00", "13:00"]', "roster.lunch_window",
     "11:00-12:00 leaves no room for a 45 min lunch inside the shift 09:00-13:00"[:60]),
    ("max_at_lunch = 1", "roster.max_at_lunch", "people to roster but 1 at lunch at once fit only 4 lunches"),
    ('start_window = ["16:00", "17:00"]', "roster.start_window", "no 8 h shift starting 16:00-17:00 ends by"),
    ("lunch_min = 40", "roster.lunch_min", "whole number of step_min (15 min) steps"),
    ("step_min = 7", "roster.step_min", "7 is not allowed"),
    ('roles = ["chef"]', "roster.roles", "a list of distinct roles"),
    ('roles = ["outlet_head"]', "roster.roles", "no outlet has anybody of outlet_head inside"),  # crashed the report
    ("roles = []", "roster.roles", "an empty list rosters nobody"),  # was read as every role
    ("shift_hours = [8, 8]", "roster.shift_hours", "each shift length once"),
    ('start_window = ["06:00", "09:00"]', "roster.start_window", "before outlet"),  # was clipped silently
    ("cover_people = 1000", "roster.cover_people", "1000 people on duty at opening and closing"),  # was capped
    ("shift_hour = [8]", "roster.shift_hour", "start_window"),  # the allowed list names every key
])
def test_bad_roster_templates_name_file_and_field(tmp_path: Path, table: str, field: str, message: str) -> None:
    path = _region(tmp_path, text=SMALL + f"\n[roster]\n{table}\n")
    assert_refused(lambda: load_region(path), f"{path}: {field}:", message)


def test_a_lunch_window_outside_an_early_shift_is_refused(tmp_path: Path) -> None:
    """Lunches of 45 min must end by 12:00, so a 4-hour shift starting 11:15 still lunches 11:15-12:00, but
    one starting 11:30 (a start the default window allows: opening until 13:00) cannot lunch at all."""
    path = _region(tmp_path, text=SMALL + '\n[roster]\nshift_hours = [4]\nlunch_window = ["11:00", "12:00"]\n')
    with pytest.raises(ScenarioError, match=r"roster\.lunch_window: 11:00-12:00 leaves no room for a 45 min lunch "
                                            r"inside the shift 11:30-15:30 at outlet 'Hill'"):
        load_region(path)


def test_an_applied_roster_is_what_the_engine_runs_and_what_the_cache_tells_apart() -> None:
    base = load_scenario(POTENTIAL)
    shifts = (PersonShift(role="cash_teller", person=1, start_min=60, end_min=480, lunch_start_min=210,
                          lunch_end_min=255),
              PersonShift(role="cash_teller", person=0, start_min=0, end_min=420, lunch_start_min=150,
                          lunch_end_min=195))
    rostered = apply_roster(base, Roster(shifts=shifts))
    layout = compile_layout(rostered)
    duty = dict(zip(layout.staff.ids, layout.staff.duty, strict=True))
    assert duty["cash_teller_1"] == ((0, 150), (195, 420))
    assert duty["cash_teller_2"] == ((60, 210), (255, 480))
    assert base.file_form is not None
    written = copy.deepcopy(dict(base.file_form))  # the same roster written in the file reads as the same scenario
    written["staff"]["cash_teller"]["shifts"] = [["09:00", "16:00", "11:30", "12:15"],
                                                 ["10:00", "17:00", "12:30", "13:15"]]
    assert from_dict(written, base.source) == rostered
    assert rostered.file_form is None  # a typed change drops the file form, so it cannot describe something else
    other = apply_roster(base, Roster(shifts=(shifts[1], PersonShift(role="cash_teller", person=1, start_min=60,
                                                                      end_min=480, lunch_start_min=240,
                                                                      lunch_end_min=285))))
    keys = {variant_key(s, 0) for s in (base, rostered, other)}
    assert len(keys) == 3  # the optimiser's cache tells the rosters apart
    assert compile_layout(base).staff.duty != layout.staff.duty


@pytest.mark.parametrize(("shifts", "message"), [
    (((1, 0, 60, 0, 0),), "persons 0..n-1"),
    (((0, 0, 60, 0, 0), (0, 0, 60, 0, 0)), "persons 0..n-1"),
    (((0, 0, 600, 0, 0),), "within opening hours"),
    (((0, 0, 300, 310, 400),), "lunch within the shift"),
    (((0, 0.5, 300, 100, 130),), "whole minutes"),
])
def test_a_bad_roster_is_refused_naming_the_role(shifts: tuple[tuple[float, ...], ...], message: str) -> None:
    roster = Roster(shifts=tuple(PersonShift(role="cash_teller", person=int(p), start_min=a, end_min=b,
                                             lunch_start_min=c, lunch_end_min=d) for p, a, b, c, d in shifts))
    with pytest.raises(ScenarioError, match=r"staff\.cash_teller\.shifts.*" + message):
        apply_roster(load_scenario(POTENTIAL), roster)


@pytest.mark.slow
def test_a_disabled_template_is_kept_for_the_roster_option(tmp_path: Path) -> None:
    """``enabled = false`` means no roster by default, not "forget the template": ``--roster`` used to roster
    with the built-in defaults (8 h from opening) instead of the file's 4 and 6 h shifts."""
    path = _region(tmp_path, text=SMALL + '\n[roster]\nenabled = false\nshift_hours = [4, 6]\n'
                                          'lunch_window = ["11:00", "15:00"]\n')
    region = load_region(path)
    assert not region.rostering
    assert region.roster is not None
    assert region.roster.shift_hours == (4.0, 6.0)
    assert load_region(_region(tmp_path, text=SMALL + "\n[roster]\n")).rostering
    assert not load_region(_region(tmp_path, text=SMALL)).rostering


def test_the_optimiser_rosters_verifies_and_exports(tmp_path: Path) -> None:
    rec = _run(_region(tmp_path, text=SMALL + '\n[roster]\nlunch_window = ["11:00", "14:00"]\n'))
    people = rec.roster
    assert list(people.columns) == list(ROSTER_COLUMNS)
    inside = {o: sum(1 for r in people.itertuples() if r.outlet == o) for o in ("Hill", "Lake", "Park")}
    chosen = rec.plan.groupby("outlet")["recommended"].sum()
    for outlet, n in inside.items():
        assert 0 < n <= chosen[outlet]  # the inside people of the chosen plan (outside CMs have no roster)
    lunch = people[people["lunch_start"] != ""]
    assert (lunch["lunch_start"] >= "11:00").all()
    assert (lunch["lunch_end"] <= "14:00").all()
    cap = RosterTemplate().max_at_lunch
    for outlet, rows in lunch.groupby("outlet"):  # at most cap at lunch at once, slot by slot
        for minute in range(11 * 60, 14 * 60, 15):
            clock = f"{minute // 60:02d}:{minute % 60:02d}"
            assert ((rows["lunch_start"] <= clock) & (rows["lunch_end"] > clock)).sum() <= cap, (outlet, clock)
    assert set(rec.roster_iterations["outlet"]) == {"Hill", "Lake", "Park"}
    region = rec.roster_kpis[rec.roster_kpis["outlet"] == "region"].set_index("kpi")
    assert region.loc["objective", "n"] == rec.replications
    for _, r in rec.roster_kpis.iterrows():
        assert r["change"] == pytest.approx(r["roster"] - r["today_shifts"], abs=1e-9)
    assert (rec.roster_hourly["hour"] == "lunch").any()
    status = rec.roster_iterations.groupby("outlet")["status"].last()
    for outlet in status[status.str.startswith(KEPT)].index:  # kept today's shifts: the very same days
        assert (rec.roster_kpis.loc[rec.roster_kpis["outlet"] == outlet, "change"] == 0).all()
    assert set(status) <= {MET} | {s for s in status if s.startswith(KEPT)}
    out = tmp_path / "out"
    written = rec.export(out)
    assert written[-1] == out / ROSTER_FILE
    pd.testing.assert_frame_equal(pd.read_csv(out / ROSTER_FILE, keep_default_na=False, dtype=str),
                                  people.astype(str), check_dtype=False)
    book = openpyxl.load_workbook(out / "recommendation.xlsx")
    assert set(book.sheetnames) == {*SHEETS, "roster", "roster_kpis", "roster_hourly", "roster_iterations"}
    assert "Intraday roster" in (out / "report.html").read_text(encoding="utf-8")
    export(rec, tmp_path / "zh", lang="zh")
    names = openpyxl.load_workbook(tmp_path / "zh" / "recommendation.xlsx").sheetnames
    assert {"排班", "排班验证", "排班分时服务", "排班迭代"} <= set(names)
    assert "日内排班" in (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    plain = _run(_region(tmp_path, text=SMALL))
    plain.export(out)  # the same folder without a roster: roster.csv goes
    assert not (out / ROSTER_FILE).exists()


def _hourly(on_time: np.ndarray, joined: float = 10.0, zone: str = "wealth") -> np.ndarray:
    """``[day, zone, hour, (on time, joined)]`` with ``on_time[day, hour]`` at ``zone`` and ``joined`` each hour."""
    days, hours = on_time.shape
    out = np.zeros((days, len(SERVICE_ZONES), hours, 2))
    out[:, SERVICE_ZONES.index(zone), :, 0] = on_time
    out[:, SERVICE_ZONES.index(zone), :, 1] = joined
    return out


def test_the_lunch_hours_are_those_overlapping_the_window() -> None:
    """By hand: open 09:00, eight hours; a window 11:00-14:00 takes 11, 12 and 13; 11:30-13:15 the same three."""
    hours = lunch_hours(RosterTemplate(lunch_window=(660.0, 840.0)), 540.0, 8)
    assert hours.tolist() == [False, False, True, True, True, False, False, False]
    assert lunch_hours(RosterTemplate(lunch_window=(690.0, 795.0)), 540.0, 8).tolist() == hours.tolist()


def test_the_pooled_lunch_hours_see_a_loss_no_single_hour_shows() -> None:
    """Six days, three lunch hours of 10 customers: each day the roster serves one customer fewer on time in
    one lunch hour, in turn. Each hour's paired change (-0.1 on two days of six) has a 95% CI across 0; the
    lunch hours pooled lose 1 of 30 every day: -1/30 exactly, beyond noise."""
    today = np.full((6, 8), 9.0)
    roster = today.copy()
    for day in range(6):
        roster[day, 2 + day % 3] -= 1
    lunch = np.asarray([False, False, True, True, True, False, False, False])
    assert worse_hours(_hourly(roster), _hourly(today), ["wealth"]) == []
    [(zone, change, low, high)] = worse_lunches(_hourly(roster), _hourly(today), ["wealth", "cash"], lunch)
    assert zone == "wealth"
    assert change == pytest.approx(-1 / 30)
    assert low == pytest.approx(-1 / 30)
    assert high == pytest.approx(-1 / 30)
    later = today.copy()
    later[:, 6] -= 1  # the same loss at 15:00 is not the lunch guard's
    assert worse_lunches(_hourly(later), _hourly(today), ["wealth"], lunch) == []
    better = today.copy()
    better[:, 3] += 1
    assert worse_lunches(_hourly(better), _hourly(today), ["wealth"], lunch) == []


def test_a_wealth_room_served_by_customer_managers_is_rostered_and_guarded() -> None:
    """An outlet without a wealth manager: its customer managers (home: the low counter) serve the wealth room,
    so the roster's requirement has a wealth row the managers share with the low counter, and the lunch guard
    watches the room."""
    sc = load_scenario(POTENTIAL)
    assert sc.roles["wealth_manager"].count == 0
    zones = served_zones(sc, RosterTemplate())
    assert "wealth" in zones
    assert "wealth" in guarded_zones(sc)
    assert set(guarded_zones(sc)) <= set(STAFFED_ZONES)
    model = build_model(sc, RosterTemplate(), np.ones((len(zones), 32)), zones)
    cms = [g for g, (role, _, _) in enumerate(model.groups) if role == "customer_manager"]
    assert [model.served(g) for g in cms] == [(zones.index("non_cash"), zones.index("wealth"))]


@pytest.mark.parametrize("case", range(20))
def test_the_roster_milp_equals_brute_force_with_people_serving_two_zones(case: int) -> None:
    """Group 0 serves both zones (one at a time), group 1 only the second: the MILP's optimum equals the least
    cost over every assignment of patterns, each costed with the best sharing of group 0 slot by slot."""
    rng = seeds.generator(21, case)
    n_slots = 6
    required = rng.integers(0, 3, size=(2, n_slots))
    patterns = []
    for _ in range(int(rng.integers(2, 4))):
        start = int(rng.integers(0, 3))
        end = int(rng.integers(start + 2, n_slots + 1))
        lunch = int(rng.integers(start, end))
        patterns.append(Pattern(60.0 * start, 60.0 * end, 60.0 * lunch, 60.0 * (lunch + int(rng.integers(0, 2)))))
    people = (int(rng.integers(1, 4)), int(rng.integers(0, 2)))
    model = _model(required, people, patterns, max_at_lunch=3, cover=int(rng.integers(0, 2)))
    model = RosterModel(**{**model.__dict__, "weight": rng.uniform(0.5, 2.0, size=required.shape),
                           "serves": ((0, 1), (1,))})
    per_group = [[c for c in itertools.product(range(n + 1), repeat=len(patterns)) if sum(c) == n] for n in people]
    best = min(model.cost(np.asarray(choice)) for choice in itertools.product(*per_group))
    if not np.isfinite(best):
        with pytest.raises(RosterInfeasible):
            solve_roster(model)
        return
    assert model.cost(solve_roster(model)) == pytest.approx(best, abs=1e-7)
    one = RosterModel(**{**model.__dict__, "serves": ()})  # sharing never costs: at most the home-only optimum
    assert best <= min(one.cost(np.asarray(c)) for c in itertools.product(*per_group)) + 1e-9
