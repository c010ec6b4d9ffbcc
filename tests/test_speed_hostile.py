"""Hostile-user review of per-person service speeds and of VIP thinning in the horizon.

Every entry point that can carry ``staff.<role>.speed`` or the horizon's ``speed_cv`` /
``speed_roles`` is fed bad or extreme values: scenario files through ``branchlab
simulate``, sweeps, region files, quarter rules, and the Python API. Tests marked
``xfail(strict=True)`` would pin a defect found on review (all ten found are fixed).
"""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optimize
import sim
from branchlab.cli import main
from optimize.patterns import AnalyticScreen
from optimize.quarters import load_rules
from sim.codes import Zone
from sim.horizon import HireRules, Horizon, HorizonRules, draw_speeds, run_days
from sim.staffing import StaffingPlan
from sim.sweeps import load_sweep_file
from tests.conftest import MINIMAL, SCENARIOS

BACKBONE = SCENARIOS / "backbone_outlet.toml"

# Three tellers at three cash windows with a speed list, as a scenario file (TOML text).
THREE_TELLERS = """\
[outlet]
name = "three tellers"
tier = "potential"
open = "09:00"
close = "17:00"
[zones.cash]
positions = 3
target_wait_min = 5
[staff.cash_teller]
count = 3
zones = ["cash"]
speed = {speed}
[arrivals]
rate_per_hour = 40.0
[segments.mass]
share = 1.0
needs = {{ cash = 1.0 }}
[service.cash]
distribution = "exponential"
mean_min = 4.0
"""


def _write_scenario(folder: Path, speed: str = "[0.5, 1.0, 2.0]") -> Path:
    path = folder / "tellers.toml"
    path.write_text(THREE_TELLERS.format(speed=speed), encoding="utf-8")
    return path


def _one_error_line(err: str, *names: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("branchlab: ")
    assert "Traceback" not in err
    for name in names:
        assert name in lines[0], lines[0]


# ---- scenario files and the Python API -----------------------------------------------------------


@pytest.mark.parametrize(("speed", "problem"), [
    ("nan", "expected a list of numbers"),
    ("[nan]", "expected a finite number"),
    ("[inf]", "expected a finite number"),
    ("[-0.5]", "must be >= 0.1"),
    ("[0.05]", "must be >= 0.1"),
    ("[10.5]", "must be <= 10"),
    ("[true]", "expected a finite number"),
    ('["1"]', "expected a finite number"),
    ("[[1.0]]", "expected a finite number"),
    ("{ a = 1 }", "expected a list of numbers"),
])
def test_simulate_refuses_bad_speeds_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   speed: str, problem: str) -> None:
    path = _write_scenario(tmp_path, speed)
    assert main(["simulate", str(path), "-n", "1", "-q"]) == 2
    _one_error_line(capsys.readouterr().err, str(path), "staff.cash_teller.speed", problem)


def test_more_speeds_than_people_warn_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A list longer than the people inside is legal (a smaller head-count keeps the first speeds) but said."""
    path = _write_scenario(tmp_path, "[1.0, 1.0, 1.0, 0.5]")
    with pytest.warns(sim.ScenarioWarning, match=r"staff\.cash_teller\.speed: 4 speeds for 3 people inside: the "
                      "last one is not used"):
        assert main(["simulate", str(path), "-n", "1", "-q"]) == 0


def test_a_speed_list_of_ones_is_the_same_as_none() -> None:
    """Speed 1 divides nothing: every table equals the run without a list, bit for bit."""
    base = sim.load_scenario(BACKBONE)
    ones = sim.with_overrides(base, {"staff.cash_teller.speed": [1.0] * base.roles["cash_teller"].inside,
                                     "staff.customer_manager.speed": [1, 1]})
    a, b = sim.replicate(base, n=3, seed=5), sim.replicate(ones, n=3, seed=5)
    pd.testing.assert_frame_equal(a.days, b.days)
    pd.testing.assert_frame_equal(a.zones, b.zones)


def test_speeds_give_identical_results_serial_and_processes() -> None:
    scenario = sim.with_overrides(sim.load_scenario(BACKBONE), {"staff.cash_teller.speed": [0.4, 1.0, 3.0]})
    serial = sim.replicate(scenario, n=4, seed=11)
    procs = sim.replicate(scenario, n=4, seed=11, executor="processes", workers=2)
    pd.testing.assert_frame_equal(serial.days, procs.days)
    plain = sim.replicate(sim.load_scenario(BACKBONE), n=4, seed=11)
    assert not serial.days.equals(plain.days)     # the speeds did change the day


def test_customer_manager_speeds_follow_inside_through_staffing_and_overrides() -> None:
    """with_staffing keeps the first speeds of the people still inside, in the typed roles (the one description)."""
    data = copy.deepcopy(MINIMAL)
    data["zones"]["non_cash"] = {"positions": 2, "target_wait_min": 5}
    data["service"]["non_cash"] = {"distribution": "exponential", "mean_min": 5.0}
    data["segments"]["mass"]["needs"] = {"cash": 0.5, "non_cash": 0.5}
    data["staff"]["customer_manager"] = {"count": 4, "inside": 3, "zones": ["non_cash"], "speed": [2.0, 0.5, 1.5]}
    scenario = sim.from_dict(data)
    fewer = scenario.with_staffing(StaffingPlan.of({"cash_teller": 1, "customer_manager": 4}, 1))
    assert fewer.roles["customer_manager"].speed == (2.0,)
    assert fewer.content_key() != scenario.content_key()
    more = scenario.with_staffing(StaffingPlan.of({"cash_teller": 1, "customer_manager": 4}, 4))
    assert more.roles["customer_manager"].speed == (2.0, 0.5, 1.5)    # the fourth works at speed 1
    staffed_file = copy.deepcopy(data)
    staffed_file["staff"]["customer_manager"]["inside"] = 4
    assert more == sim.from_dict(staffed_file)  # as if the file had said so
    none = scenario.with_staffing(StaffingPlan.of({"cash_teller": 1, "customer_manager": 0}, 0))
    assert none.roles["customer_manager"].speed == ()
    with pytest.raises(sim.ScenarioError, match="changed by typed replacement"):
        sim.with_overrides(none, {})  # a staffed copy has no file form for dotted overrides to change


def test_analytic_load_with_extreme_speeds_by_hand() -> None:
    """Every teller at 0.1 or at 10: the zone's mean service is × 10 or ÷ 10 exactly."""
    base = sim.load_scenario(BACKBONE)
    n = base.roles["cash_teller"].inside
    _, mean = sim.queueing.zone_load(base, "cash")
    for speed in (0.1, 10.0):
        _, scaled = sim.queueing.zone_load(sim.with_overrides(base, {"staff.cash_teller.speed": [speed] * n}), "cash")
        assert scaled == pytest.approx(mean / speed)


def test_a_speed_for_a_role_that_serves_nobody_is_refused() -> None:
    data = copy.deepcopy(MINIMAL)
    data["staff"]["outlet_head"] = {"count": 1, "zones": [], "speed": [2.0]}
    with pytest.raises(sim.ScenarioError, match=r"staff\.outlet_head\.speed"):
        sim.from_dict(data)


def test_utilisation_stays_at_most_one_with_slow_tellers() -> None:
    scenario = sim.with_overrides(sim.load_scenario(BACKBONE), {"staff.cash_teller.speed": [0.1, 0.1, 0.1]})
    for r in range(2):
        kpis = sim.day_kpis(sim.simulate(scenario, seed=1, replication=r))
        assert kpis.zones[sim.ZONES.index("cash"), sim.ZONE_KPIS.index("utilisation")] <= 1.0 + 1e-9


# ---- sweeps ---------------------------------------------------------------------------------------


def _sweep(folder: Path, fields: str) -> Path:
    _write_scenario(folder)
    path = folder / "sweep.toml"
    path.write_text(f'[sweep]\nscenario = "tellers.toml"\ndesign = "grid"\nreplications = 1\nseed = 3\n{fields}',
                    encoding="utf-8")
    return path


def test_a_sweep_over_speed_lists_runs_each_list(tmp_path: Path) -> None:
    path = _sweep(tmp_path, '[fields."staff.cash_teller.speed"]\nvalues = [[1.0, 1.0, 1.0], [0.5, 0.5, 0.5]]\n')
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet", "--executor", "serial"]) == 0
    rows = sim.sweeps.load_sweep(tmp_path / "out", rows=True).sort_values("point")
    base = sim.load_scenario(tmp_path / "tellers.toml")
    waits = []
    columns = (rows[c].to_numpy(dtype=np.int64).tolist() for c in ("seed", "replication", "served"))
    for seed, rep, served, speed in zip(*columns, ([1.0, 1.0, 1.0], [0.5, 0.5, 0.5]), strict=True):
        variant = sim.with_overrides(base, {"staff.cash_teller.speed": speed})
        direct = sim.day_kpis(sim.simulate(variant, seed=seed, replication=rep))
        assert served == direct.outlet[sim.OUTLET_KPIS.index("served")]
        waits.append(direct.zones[sim.ZONES.index("cash"), sim.ZONE_KPIS.index("mean_wait_min")])
    assert waits[1] > waits[0]      # half-speed tellers: longer waits


def test_a_sweep_over_count_with_a_speed_list_keeps_the_first_speeds(tmp_path: Path) -> None:
    """Like ``with_staffing``: two tellers keep the first two speeds (with a warning), three keep all."""
    path = _sweep(tmp_path, '[fields."staff.cash_teller.count"]\nvalues = [2, 3]\n')
    with pytest.warns(sim.ScenarioWarning, match="3 speeds for 2 people inside"):
        sweep = load_sweep_file(path)
    base = sim.load_scenario(tmp_path / "tellers.toml")
    for count in (2, 3):
        with pytest.warns(sim.ScenarioWarning) if count == 2 else contextlib.nullcontext():
            variant = sim.with_overrides(base, {"staff.cash_teller.count": count})
        staffed = base.with_staffing(StaffingPlan.of({"cash_teller": count}))
        assert sim.layout.staffing(variant).speed == sim.layout.staffing(staffed).speed == (0.5, 1.0, 2.0)[:count]
    assert len(sweep.points) == 2


def test_a_grid_of_equal_speed_lists_is_refused(tmp_path: Path) -> None:
    path = _sweep(tmp_path, '[fields."staff.cash_teller.speed"]\nvalues = [[1.0, 1.0, 1.0], [1, 1, 1]]\n')
    with pytest.raises(sim.ScenarioError, match="repeat"):
        load_sweep_file(path)


# ---- the optimiser --------------------------------------------------------------------------------


def test_region_override_below_the_speed_list_warns_and_keeps_the_first_speeds(tmp_path: Path) -> None:
    _write_scenario(tmp_path)
    region = tmp_path / "region.toml"
    region.write_text('[region]\nname = "r"\n[[outlets]]\nname = "A"\nscenario = "tellers.toml"\n'
                      'vip_customers = 0\n[outlets.overrides]\n"staff.cash_teller.count" = 2\n', encoding="utf-8")
    with pytest.warns(sim.ScenarioWarning, match=r"region\.toml: outlets\[0\]\.overrides: .*"
                      r"staff\.cash_teller\.speed: 3 speeds for 2 people inside"):
        loaded = optimize.load_region(region)
    assert sim.layout.staffing(loaded.outlets[0].scenario).speed == (0.5, 1.0)


def test_analytic_screen_does_not_reuse_a_slower_plans_result() -> None:
    data = copy.deepcopy(MINIMAL)
    data["zones"]["cash"]["positions"] = 2
    data["arrivals"]["rate_per_hour"] = 50.0
    data["staff"]["cash_teller"] = {"count": 3, "zones": ["cash"], "speed": [0.2, 0.2, 10.0]}
    scenario = sim.from_dict(data)
    slow, fast = StaffingPlan.of({"cash_teller": 2}), StaffingPlan.of({"cash_teller": 3})
    fresh = AnalyticScreen(scenario, {"cash": 0.8}, 0.15).service_level(fast, "cash")
    screen = AnalyticScreen(scenario, {"cash": 0.8}, 0.15)
    screen.service_level(slow, "cash")
    assert screen.service_level(fast, "cash") == fresh


# ---- quarter rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "field"), [
    ("[hiring]\nspeed_cv = nan\n", "hiring.speed_cv"),
    ("[hiring]\nspeed_cv = inf\n", "hiring.speed_cv"),
    ('[hiring]\nspeed_cv = "0.2"\n', "hiring.speed_cv"),
    ("[hiring]\nspeed_cv = true\n", "hiring.speed_cv"),
    ("[hiring]\nspeed_cv = [0.1]\n", "hiring.speed_cv"),
    ("[horizon]\nspeed_roles = [1]\n", "horizon.speed_roles"),
    ('[horizon]\nspeed_roles = [["cash_teller"]]\n', "horizon.speed_roles"),
    ("[horizon]\nspeed_roles = [{ a = 1 }]\n", "horizon.speed_roles"),
])
def test_quarter_refuses_bad_speed_rules_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       text: str, field: str) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(text, encoding="utf-8")
    status = main(["quarter", str(BACKBONE), "--out", str(tmp_path / "out"), "--quarters", "1",
                   "--rules", str(rules), "--executor", "serial", "-q"])
    assert status == 2
    _one_error_line(capsys.readouterr().err, f"{rules}: {field}")


def test_duplicate_speed_roles_are_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[horizon]\nspeed_roles = ["cash_teller", "cash_teller"]\n', encoding="utf-8")
    with pytest.raises(sim.ScenarioError, match=r"horizon\.speed_roles"):
        load_rules(rules)


def test_an_accepted_speed_cv_keeps_the_mean_speed_at_one(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[hiring]\nspeed_cv = 5\n", encoding="utf-8")
    try:
        hire = load_rules(rules).horizon.hire
    except sim.ScenarioError as exc:
        refused = str(exc)
    else:
        refused = ""
        assert draw_speeds(hire, np.random.default_rng(0), 200_000).mean() == pytest.approx(1.0, abs=0.02)
    assert refused == "" or "hiring.speed_cv" in refused


def test_a_huge_profile_weight_names_the_rules_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[horizon]\ndays_per_quarter = 2\nvolume_cv = 0\nday_of_month_profile = [150.0]\n",
                     encoding="utf-8")
    status = main(["quarter", str(BACKBONE), "--out", str(tmp_path / "out"), "--quarters", "1",
                   "--rules", str(rules), "--executor", "serial", "-q"])
    assert status == 2
    _one_error_line(capsys.readouterr().err, str(rules), "day_of_month_profile")


# ---- the horizon ----------------------------------------------------------------------------------


def _outlet_days(scenario: sim.Scenario, speed_cv: float) -> pd.DataFrame:
    rules = HorizonRules(days_per_quarter=2, day_of_month_profile=(1.0,), volume_cv=0.0,
                         hire=HireRules(speed_cv=speed_cv))
    [span] = run_days([Horizon([scenario], rules, seed=1)], 0, 2)
    return span.outlets


def test_speed_cv_zero_and_tiny_agree_without_a_scenario_speed_list() -> None:
    """Guard for the test below: a 1e-6 change of every speed leaves the days (almost) unchanged."""
    scenario = sim.load_scenario(BACKBONE)
    zero, tiny = _outlet_days(scenario, 0.0), _outlet_days(scenario, 1e-6)
    assert (zero["served"] == tiny["served"]).all()
    np.testing.assert_allclose(zero["mean_wait_min"], tiny["mean_wait_min"], rtol=1e-3)


def test_a_scenario_speed_list_does_not_depend_on_speed_cv_being_exactly_zero() -> None:
    scenario = sim.with_overrides(sim.load_scenario(BACKBONE), {"staff.cash_teller.speed": [0.5, 1.0, 2.0]})
    zero, tiny = _outlet_days(scenario, 0.0), _outlet_days(scenario, 1e-6)
    assert (zero["served"] == tiny["served"]).all()
    np.testing.assert_allclose(zero["mean_wait_min"], tiny["mean_wait_min"], rtol=1e-3)


def test_new_hires_outside_speed_roles_serve_at_speed_one() -> None:
    rules = HorizonRules(speed_roles=(), hire=HireRules(speed_cv=0.0, vacancy_days=0))
    horizon = Horizon([sim.load_scenario(BACKBONE)], rules, seed=1)
    for role in ("customer_manager", "wealth_manager", "lobby_manager"):
        horizon.replace(next(p.id for _, p in horizon.people if p.role == role), 10)
    spec = horizon.spec(0, 10)
    assert {p.model_id: p.speed for p in spec.inside if p.speed != 1.0} == {}


def test_quarter_with_speeds_and_an_empty_vip_book_runs(tmp_path: Path) -> None:
    """Hostile but legal rules: every serving role in speed_roles, a wide cv, no VIPs on the book."""
    rules = tmp_path / "rules.toml"
    rules.write_text("[hiring]\nspeed_cv = 1.0\n[horizon]\ndays_per_quarter = 2\nvip_book = 0\n"
                     'speed_roles = ["cash_teller", "low_counter_teller", "customer_manager", "wealth_manager", '
                     '"lobby_manager", "outlet_head"]\n', encoding="utf-8")
    out = tmp_path / "out"
    status = main(["quarter", str(BACKBONE), "--out", str(out), "--quarters", "1", "--rules", str(rules),
                   "--executor", "serial", "-q"])
    assert status == 0
    days = pd.read_csv(out / "days.csv")
    assert (days["vip_lost"] == 0).all()
    assert (days["vip_book"] == 0).all()


def test_slow_tellers_make_the_cash_queue_longer_on_the_same_customers() -> None:
    base = sim.load_scenario(BACKBONE)
    slow = sim.with_overrides(base, {"staff.cash_teller.speed": [0.1] * base.roles["cash_teller"].inside})
    a, b = sim.simulate(base, seed=2), sim.simulate(slow, seed=2)
    np.testing.assert_array_equal(a.customers.arrival_min, b.customers.arrival_min)
    cash_a, cash_b = a.visit_zone == Zone.CASH, b.visit_zone == Zone.CASH
    wait = (np.nanmean(b.visit_start_min[cash_b] - b.visit_join_min[cash_b]),
            np.nanmean(a.visit_start_min[cash_a] - a.visit_join_min[cash_a]))
    assert wait[0] > wait[1] + 5.0
