"""Multi-day horizon and simulated quarters: carried-over state, skill thinning, exits, reproducibility."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from optimize.pay import OfficeTeamRules
from optimize.quarters import QuarterRules, compare_rules, load_rules, load_study, run_quarters
from sim import ScenarioError
from sim.horizon import HireRules, Horizon, HorizonRules, ProspectPool, learning, run_days
from tests.conftest import SCENARIOS

RULES_FILE = SCENARIOS / "quarter_rules.toml"
BACKBONE = SCENARIOS / "backbone_outlet.toml"


def _short(days: int = 5, **ranking: object) -> QuarterRules:
    """Default rules with short quarters (fast tests) and ranking fields replaced."""
    rules = QuarterRules()
    hire = dataclasses.replace(rules.horizon.hire, vacancy_days=2)
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=days, hire=hire),
                               ranking=dataclasses.replace(rules.ranking, **ranking))


def test_rules_file_holds_the_defaults() -> None:
    loaded = load_rules(RULES_FILE)
    assert dataclasses.replace(loaded, source="<defaults>") == QuarterRules()


@pytest.mark.parametrize(("text", "field"), [
    ("[pay]\nband_edges_points = [8000, 4000]\n", "pay.band_edges_points"),
    ("[pay]\nband_rates = [1.0, 1.6, 1.0]\n", r"pay.band_rates\[1\]"),
    ("[pay]\nband_rates = [1.0, 0.6]\n", "pay.band_rates"),
    ("[pay]\nband_reading = \"average\"\n", "pay.band_reading"),
    ("[ranking]\nexit_bottom = -1\n", "ranking.exit_bottom"),
    ("[horizon]\nday_of_month_profile = [1.0, -2]\n", r"horizon.day_of_month_profile\[1\]"),
    ("[hiring]\nlearning_start = 1.5\n", "hiring.learning_start"),
    ("[pay]\nhead_growth_gate = \"either\"\n", "pay.head_growth_gate"),
    ("[pay]\nvip_deposit_yuan = -1\n", "pay.vip_deposit_yuan"),
    ("[pay]\nhead_plan_deposit_growth_yuan = 0\n", "pay.head_plan_deposit_growth_yuan"),
    ("[office_team]\nmembers = 2\n", "office_team.target_net_value_yuan: must be > 0 when members > 0"),
    ("[office_team]\nmembers = -1\n", "office_team.members"),
    ("[office_team]\nmember = 2\n", "office_team.member: unknown key"),
    ("[hiring]\nspeed_cv = -0.1\n", "hiring.speed_cv"),
    ("[hiring]\nspeed_cv = 1000\n", "hiring.speed_cv"),
    ("[horizon]\nspeed_roles = [\"teller\"]\n", "horizon.speed_roles"),
    ("[horizon]\nspeed_roles = \"cash_teller\"\n", "horizon.speed_roles"),
    # hardening round two: weights that must sum, amounts that must be bounded, rewards that must not rise
    ("[pay]\ncm_outlet_weight = 0.9\ncm_points_weight = 0.9\n", "pay.cm_points_weight"),
    ("[pay]\nhead_target_weight = 1\nhead_growth_weight = 1\n", "pay.head_growth_weight"),
    ("[pay]\nyuan_per_point = 1e308\n", "pay.yuan_per_point"),
    ("[office_team]\nmembers = 2\ntarget_net_value_yuan = 1e-300\n", "office_team.target_net_value_yuan"),
    ("[ranking]\ntop_rewards_yuan = [1000, 2000]\n", "ranking.top_rewards_yuan"),
    ("[horizon]\nvolume_cv = 50\n", "horizon.volume_cv"),
    ("[horizon]\ndays_per_quarter = 1000000000\n", "horizon.days_per_quarter"),
    ("[horizon]\npoints_per_field_customer = 1e308\n", "horizon.points_per_field_customer"),
    ("[hiring]\nskill_mean = 1.0\nskill_max = 0.5\n", "hiring.skill_max"),
    ("[scorecard.items.a]\nkpi = \"walkout_rate\"\nweight = 600\nbest = 0\nworst = 0.1\n", "scorecard.items.a.weight"),
    ("[scorecard.items.a]\nkpi = \"walkout_rate\"\nweight = 60\nbest = 0\nworst = 0.1\n", "scorecard.items"),
])
def test_bad_rules_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    assert_rules_refused(tmp_path, text, field)


def assert_rules_refused(tmp_path: Path, text: str, field: str) -> None:
    """A rules file holding ``text`` is refused with one line naming the file and ``field``."""
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=rf"rules\.toml: {field}") as info:
        load_rules(path)
    assert "\n" not in str(info.value)


def test_ranking_cut_larger_than_people_and_negative_horizon() -> None:
    study = load_study([BACKBONE])   # 6 customer managers
    with pytest.raises(ScenarioError, match=r"ranking.exit_bottom: 7 is more than the 6"):
        run_quarters(study, _short(exit_bottom=7), quarters=1)
    with pytest.raises(ScenarioError, match=r"quarters: must be >= 1, got -1"):
        run_quarters(study, _short(), quarters=-1)


def test_head_gate_and_office_team_from_the_simulated_quarter() -> None:
    study = load_study([BACKBONE, SCENARIOS / "potential_outlet.toml"])
    rules = dataclasses.replace(_short(days=4, exit_bottom=2),
                                office=OfficeTeamRules(members=4, target_net_value_yuan=100_000.0))
    res = run_quarters(study, rules, quarters=2, replications=2, seed=3)
    sums = res.days.groupby(["replication", "quarter", "outlet"])[["field_new_customers", "vip_lost", "sales"]].sum()
    out = res.outlets.set_index(["replication", "quarter", "outlet"]).loc[sums.index]
    pay = rules.pay   # defaults: 50,000 per new customer, nothing per sale, 200,000 per lost VIP
    deposits = sums["field_new_customers"] * 50_000 - sums["vip_lost"] * 200_000
    assert np.allclose(out["deposit_growth_yuan"], deposits)
    customers = (sums["field_new_customers"] - sums["vip_lost"]) / pay.head_plan_new_customers
    gate = np.minimum(customers, deposits / pay.head_plan_deposit_growth_yuan)
    assert np.allclose(out["growth_attainment"], gate)
    net = (res.outlets["value_yuan"] - res.outlets["value_lost_yuan"]).groupby(
        [res.outlets["replication"], res.outlets["quarter"]]).sum()
    office = res.office.set_index(["replication", "quarter"]).loc[net.index]
    assert len(office) == 4
    assert (office["members"] == 4).all()
    assert np.allclose(office["pay_per_member_yuan"], 8000 * 1.1 * net / 100_000)
    assert (office["completion"] > 1.2).all()   # above target: paid beyond the reference, uncapped
    assert run_quarters(study, _short(days=2), quarters=1).office.empty   # no [office_team]: no rows


def test_prospect_pool_never_negative() -> None:
    pool = ProspectPool(market=10, refill_per_day=0.3)
    gen = np.random.default_rng(1)
    for _ in range(200):   # far more sure-fire visits than prospects
        won = pool.visit(gen, [3.0, 3.0], visits_each=20, conversion=1.0)
        assert pool.available >= 0
        assert won.sum() <= 10
        pool.refill()
    assert pool.available < 1.3   # kept near empty: every whole prospect is won at once


def test_prospect_pool_refills_at_its_rate() -> None:
    pool = ProspectPool(market=100, refill_per_day=2.5, available=0.0)
    for day in range(1, 61):
        won = pool.visit(np.random.default_rng(day), [1.0], visits_each=6, conversion=0.0)
        assert won.sum() == 0
        pool.refill()
        assert pool.available == pytest.approx(min(100.0, 2.5 * day))


def test_learning_curve_by_hand() -> None:
    rules = HireRules(learning_weeks=4, learning_start=0.5)   # 20 working days
    assert [learning(d, rules) for d in (0, 10, 20, 40)] == pytest.approx([0.5, 0.75, 1.0, 1.0])


def _cm_points_per_day(skill: float, days: int) -> tuple[float, float]:
    """Mean and standard error of CM points per day over a horizon with every skill = ``skill``."""
    scenario = sim.load_scenario(BACKBONE)
    rules = HorizonRules(day_of_month_profile=(1.0,), volume_cv=0.0, rotation_days=0,
                         hire=HireRules(skill_mean=skill, skill_cv=0.0))
    [span] = run_days([Horizon([scenario], rules, seed=11)], 0, days)
    inside = span.people[(span.people["role"] == "customer_manager") & span.people["inside"]]
    per_day = inside.groupby("day")["points"].sum()
    return float(per_day.mean()), float(per_day.std(ddof=1) / np.sqrt(days))


def test_skill_thinning_matches_the_model_and_scales_sales() -> None:
    scenario = sim.load_scenario(BACKBONE)
    base = sim.replicate(scenario, n=60, seed=5).by_role.set_index(["role", "kpi"]).loc[("customer_manager", "points")]
    for skill in (1.0, 1.5):
        mean, se = _cm_points_per_day(skill, 60)
        expected = skill * base["mean"]
        assert abs(mean - expected) < 4 * np.hypot(se, base["std"] / np.sqrt(60)), (skill, mean, expected)


def test_exit_after_two_bottom_quarters_and_replacement() -> None:
    study = load_study([BACKBONE])
    res = run_quarters(study, _short(days=5, exit_bottom=2), quarters=3, seed=2)
    cm = res.people[res.people["role"] == "customer_manager"]
    q1, q2, q3 = (cm[cm["quarter"] == q].set_index("person") for q in (1, 2, 3))
    assert not q1["exits"].any()
    leavers = set(q2.index[q2["exits"]])
    assert leavers == set(q1.index[q1["bottom_streak"] == 1]) & set(q2.index[q2["bottom_streak"] == 2])
    hires = {p for p in q3.index if "#" in p}
    assert {p.split("#")[0] for p in hires} == leavers
    assert (q3.loc[sorted(hires), "days_present"] == 5 - 2).all()   # 2 vacancy days
    off = run_quarters(study, _short(days=5, exit_bottom=2, exit_enabled=False), quarters=3, seed=2)
    assert not off.people["exits"].any()
    assert not off.people["person"].str.contains("#").any()


def test_common_random_numbers_until_the_first_exit() -> None:
    study = load_study([BACKBONE])
    rules = _short(days=4, exit_bottom=2)
    table, with_exit, without = compare_rules(study, rules, rules.without_exits(), quarters=3, replications=3, seed=4)
    early = (with_exit.outlets["quarter"] <= 2)
    pd.testing.assert_frame_equal(with_exit.outlets[early], without.outlets[early])   # nobody has left yet
    assert table.set_index("metric").loc["exits", "diff_mean"] < 0                     # without the rule: no exits
    assert (without.summary["exits"] == 0).all()


def test_same_seed_same_quarters_on_serial_and_processes() -> None:
    study = load_study([BACKBONE, SCENARIOS / "potential_outlet.toml"])
    rules = _short(days=3, exit_bottom=2)
    serial = run_quarters(study, rules, quarters=2, replications=2, seed=9, executor="serial")
    procs = run_quarters(study, rules, quarters=2, replications=2, seed=9, executor="processes", workers=2)
    for name in ("people", "outlets", "days", "summary"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(procs, name))
    other = run_quarters(study, rules, quarters=2, replications=2, seed=10)
    assert not serial.days["arrived"].equals(other.days["arrived"])


def _cli(argv: list[str]) -> int:
    """Run ``branchlab quarter`` through its own parser (the sub-command as registered)."""
    import argparse

    from branchlab.quarter_cmd import register

    parser = argparse.ArgumentParser(prog="branchlab")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.run(args))


def test_quarter_command_writes_tables_json_and_report(tmp_path: Path) -> None:
    import json

    rules = tmp_path / "rules.toml"
    rules.write_text("[horizon]\ndays_per_quarter = 3\n[ranking]\nexit_bottom = 2\n"
                     "[office_team]\nmembers = 2\ntarget_net_value_yuan = 100000\n", encoding="utf-8")
    out = tmp_path / "out"
    status = _cli(["quarter", str(BACKBONE), "--quarters", "2", "--out", str(out), "--executor", "serial",
                   "--rules", str(rules), "--compare-exit-rule", "-q"])
    assert status == 0
    people = pd.read_csv(out / "people.csv")
    assert set(people["quarter"]) == {1, 2}
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(doc["people"]) == len(people)
    assert len(doc["exits"]) == int(people["exits"].sum()) == len(pd.read_csv(out / "exits.csv"))
    assert doc["meta"]["rules"] == str(rules)
    assert set(pd.read_csv(out / "comparison.csv")["metric"]) >= {"net_value_yuan", "exits", "vip_lost"}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count("data:image/png;base64,") == 3
    assert "Outlet heads: growth gate" in report
    assert "Office team" in report
    office = pd.read_csv(out / "office.csv")
    assert office["quarter"].tolist() == [1, 2]
    assert len(doc["office"]) == 2
    outlets = pd.read_csv(out / "outlets.csv")
    assert {"deposits_in_yuan", "deposits_lost_yuan", "deposit_attainment", "growth_attainment"} <= set(outlets)


def test_quarter_command_bad_rules_stop_before_writing(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[pay]\nband_rates = [1.0, 0.6, 1.2]\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"rules\.toml: pay\.band_rates\[2\]: must be <= 1"):
        _cli(["quarter", str(BACKBONE), "--out", str(tmp_path / "out"), "--rules", str(rules)])
    assert not (tmp_path / "out").exists()
    from branchlab.cli import main

    assert main(["quarter", str(BACKBONE), "--out", str(tmp_path / "out"), "--quarters", "0"]) == 2
    assert not (tmp_path / "out").exists()


def test_branchlab_quarter_bad_band_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from branchlab.cli import main

    rules = tmp_path / "bad.toml"
    rules.write_text("[pay]\nband_edges_points = [8000, 4000]\n", encoding="utf-8")
    assert main(["quarter", str(BACKBONE), "--out", str(tmp_path / "o"), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"branchlab: {rules}: pay.band_edges_points:")
    rules.write_text("[office_team]\nmembers = 3\n", encoding="utf-8")
    assert main(["quarter", str(BACKBONE), "--out", str(tmp_path / "o"), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"branchlab: {rules}: office_team.target_net_value_yuan: must be > 0 when members > 0 "
                   "(members = 3), got 0"]
