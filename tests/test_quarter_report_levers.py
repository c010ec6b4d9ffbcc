"""The quarter report as a planner reads it: the levers switched on are named, each group's table shows, a lever
that is off shows nothing, and the head's pay parts add up to the pay."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from branchlab.cli import main
from optimize.careers import ExchangeRules, TrainingRules
from optimize.pay import ClubRules, LadderRules
from optimize.quarter_report import LEVER_TABLES, head_parts, levers_on, report_html
from optimize.quarters import QuarterRules, load_study, run_quarters
from optimize.scorecard import InspectionRules, PenaltyRules
from sim.horizon import VipCareRules
from tests.conftest import SCENARIOS

TWO = [SCENARIOS / "backbone_outlet.toml", SCENARIOS / "flagship_outlet.toml"]
META = {"study": "two", "rules": "<defaults>", "quarters": 2, "replications": 1, "seed": 0, "seconds": 1.0}


def _rules(**levers: object) -> QuarterRules:
    rules = QuarterRules()
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=6), **levers)


ALL_ON = {"inspection": InspectionRules(enabled=True), "vip_care": VipCareRules(enabled=True),
          "club": ClubRules(enabled=True), "ladder": LadderRules(enabled=True, teams=True),
          "penalties": PenaltyRules(enabled=True), "training": TrainingRules(enabled=True),
          "exchange": ExchangeRules(enabled=True)}


@pytest.mark.parametrize("seed", [0, 1])
def test_head_pay_parts_add_up_to_the_pay(seed: int) -> None:
    """Target part = 1.21 x 30,000 x 0.7 x score / 100 (the window-service score, the gate on the growth part);
    target part + growth part - the penalty = the pay, row by row."""
    res = run_quarters(load_study(TWO), _rules(penalties=PenaltyRules(enabled=True)), quarters=2, seed=seed)
    parts = head_parts(res)
    o = res.outlets
    target = 1.21 * 30000 * 0.7 * o["score"] / 100
    assert parts["head_target_part_yuan"].to_numpy() == pytest.approx(target.to_numpy())
    total = parts["head_target_part_yuan"] + parts["head_growth_part_yuan"] - o["head_penalty_yuan"]
    assert total.to_numpy() == pytest.approx(o["head_pay_yuan"].to_numpy())
    assert (parts["head_growth_part_yuan"] >= -1e-6).all()


def test_head_pay_parts_with_the_gate_on_full_pay() -> None:
    """Gate on the whole pay, target-responsibility score, no premiums: target part = 30,000 x 0.7 x target score
    / 100 x the gate; the parts add up to the pay."""
    rules = _rules()
    rules = dataclasses.replace(rules, pay=dataclasses.replace(rules.pay, head_gate_scope="full_pay",
                                                               target_score="target_responsibility",
                                                               head_premiums=False))
    res = run_quarters(load_study(TWO), rules, quarters=1, seed=4)
    o, parts = res.outlets, head_parts(res)
    gate = (o["growth_attainment"].clip(lower=0) / 1.2).clip(upper=1.0)
    target = 30000 * 0.7 * o["target_score"] / 100 * gate
    assert parts["head_target_part_yuan"].to_numpy() == pytest.approx(target.to_numpy())
    total = parts["head_target_part_yuan"] + parts["head_growth_part_yuan"]
    assert total.to_numpy() == pytest.approx(o["head_pay_yuan"].to_numpy())


def test_report_names_the_levers_and_shows_their_tables_only_when_on() -> None:
    study = load_study(TWO)
    off = run_quarters(study, _rules(), quarters=2, seed=2)
    on = run_quarters(study, _rules(**ALL_ON), quarters=2, seed=2)
    html_off, html_on = report_html(off, None, META), report_html(on, None, META)
    assert "Levers on: none (the shipped rules)" in html_off
    assert levers_on(on) == ["inspections", "VIP care", "elite club", "outlet ladder", "team ladder",
                             "accumulating penalty points", "training",
                             "exchange low_counter_teller → customer_manager"]
    for spec in LEVER_TABLES:
        assert f"<h2>{spec.title}</h2>" in html_on, spec.title
        assert f"<h2>{spec.title}</h2>" not in html_off, spec.title
    for heading in ("penalty balance", "team points", "training days", "exchange cost", "club members",
                    "head target", "vip care share"):
        assert heading in html_on, heading
    assert "Outlet heads: pay" in html_off
    assert "penalty balance" not in html_off


def test_command_prints_the_new_levers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[horizon]\ndays_per_quarter = 4\n[penalties]\nenabled = true\n[training]\nenabled = true\n"
                     "[exchange]\nenabled = true\n[ladder]\nteams = true\n", encoding="utf-8")
    assert main(["quarter", *map(str, TWO), "--rules", str(rules), "--quarters", "2", "--executor", "serial",
                 "--out", str(tmp_path / "out"), "-q"]) == 0
    out = capsys.readouterr().out
    for line in ("penalty points:", "training:", "exchange:", "team ladder:"):
        assert line in out, line
