"""The head's pay in the essay's terms: target-responsibility score, fee income, the gate on full pay, premiums.

Hand computations first, then a short study whose head and CM pay are recomputed from its own rows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimize.pay import PayRules, cm_pay, fee_income_score, head_pay, head_premium, target_responsibility_score
from optimize.quarters import QuarterRules, load_rules, load_study, run_quarters
from tests.conftest import SCENARIOS
from tests.test_quarters import assert_rules_refused

BACKBONE = SCENARIOS / "backbone_outlet.toml"
REGION = SCENARIOS / "region_12_outlets.toml"


def test_gate_on_full_pay_by_hand() -> None:
    """Target score 80, growth attainment 0.6 (pro rata: 0.6 / 1.2 = 0.5 of the gate), growth score 1."""
    today = head_pay(80.0, 0.6)
    assert today == pytest.approx(30000 * (0.7 * 0.8 + 0.3 * 0.5))  # 21,300: the gate scales the 30% only
    full = head_pay(80.0, 0.6, PayRules(head_gate_scope="full_pay"))
    assert full == pytest.approx(30000 * (0.7 * 0.8 + 0.3) * 0.5)  # 12,900: "才能拿全工资"
    assert head_pay(80.0, 1.3, PayRules(head_gate_scope="full_pay")) == pytest.approx(head_pay(80.0, 1.3))
    nothing = PayRules(head_gate_scope="full_pay", head_growth_below_full="nothing")
    assert head_pay(100.0, 1.19, nothing) == 0.0
    assert head_pay(100.0, 1.19, dataclasses.replace(nothing, head_gate_scope="growth_part")) == pytest.approx(21000)
    assert head_pay(80.0, 1.3, PayRules(), growth_score=0.5) == pytest.approx(30000 * (0.56 + 0.15))


@pytest.mark.parametrize(("net", "deposits", "expected"), [
    (750_000, 3_000_000, 100 * (0.5 * 0.5 + 0.5 * 1.0)),   # half the value plan; deposits over plan count as met
    (1_500_000, 1_000_000, 100 * (0.5 + 0.5 * 0.5)),
    (-10_000, -5_000_000, 0.0),                             # nothing at or below zero
    (3_000_000, 2_000_000, 100.0),
])
def test_target_responsibility_score_by_hand(net: float, deposits: float, expected: float) -> None:
    assert target_responsibility_score(net, deposits) == pytest.approx(expected)


def test_target_weights_and_plans_by_hand() -> None:
    rules = PayRules(target_value_weight=0.8, target_deposit_weight=0.2, head_plan_value_yuan=1e6,
                     head_plan_deposit_growth_yuan=4e6)
    assert target_responsibility_score([500_000.0], [1e6], rules) == pytest.approx([100 * (0.8 * 0.5 + 0.2 * 0.25)])
    assert fee_income_score([750_000.0, 3e6, -1.0]) == pytest.approx([0.5, 1.0, 0.0])
    assert head_premium() == pytest.approx(1.21)
    assert head_premium(PayRules(head_premiums=False)) == 1.0


def _short(**pay: Any) -> QuarterRules:
    rules = QuarterRules()
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=4),
                               pay=dataclasses.replace(rules.pay, **pay))


@pytest.mark.parametrize("seed", [0, 5])
def test_study_pays_heads_and_cms_by_the_switches(seed: int) -> None:
    """Every switch on: the rows' head pay and CM pay recomputed by hand from the rows' own columns."""
    study = load_study([REGION])
    rules = _short(target_score="target_responsibility", head_growth_score="fee_income", head_gate_scope="full_pay",
                   head_premiums=False)
    res = run_quarters(study, rules, quarters=2, seed=seed)
    o = res.outlets
    net = o["value_yuan"] - o["value_lost_yuan"]
    target = 100 * (0.5 * np.clip(net / 1.5e6, 0, 1) + 0.5 * np.clip(o["deposit_growth_yuan"] / 2e6, 0, 1))
    assert o["target_score"].to_numpy() == pytest.approx(target.to_numpy())
    fees = o["value_yuan"] - 900.0 * o["field_new_customers"]  # every shipped tier: 900 yuan per field customer
    assert o["fee_income_yuan"].to_numpy() == pytest.approx(fees.to_numpy())
    gate = np.where(o["growth_attainment"] >= 1.2, 1.0, np.maximum(o["growth_attainment"], 0) / 1.2)
    want = 30000 * (0.7 * target / 100 + 0.3 * np.clip(fees / 1.5e6, 0, 1)) * gate  # no premiums
    assert o["head_pay_yuan"].to_numpy() == pytest.approx(want.to_numpy())
    assert not np.allclose(o["target_score"], o["score"])  # the two scores are apart
    cm = res.people[res.people["role"] == "customer_manager"]
    by_outlet = o.set_index(["quarter", "outlet"])["target_score"]
    outlet_score = [by_outlet[(q, out)] for q, out in zip(cm["quarter"], cm["outlet"], strict=True)]
    pay = 1.21 * cm_pay(cm["points"].to_numpy(), outlet_score) + cm["rank_reward_yuan"].to_numpy()
    assert cm["pay_yuan"].to_numpy() == pytest.approx(pay)  # the CMs' 30% reads the target score too


def test_defaults_add_no_column_and_pay_as_before() -> None:
    """Off (the defaults): no new column, and head pay is today's formula on the window-service score."""
    res = run_quarters(load_study([BACKBONE]), _short(), quarters=1, seed=2)
    o = res.outlets
    assert not {"target_score", "fee_income_yuan", "fee_income_score"} & set(o.columns)
    gate = np.where(o["growth_attainment"] >= 1.2, 1.0, np.maximum(o["growth_attainment"], 0) / 1.2)
    want = 1.21 * 30000 * (0.7 * o["score"] / 100 + 0.3 * gate)
    assert o["head_pay_yuan"].to_numpy() == pytest.approx(want.to_numpy())


def test_rules_file_reads_the_head_switches(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[pay]\ntarget_score = "target_responsibility"\ntarget_value_weight = 0.7\n'
                    'target_deposit_weight = 0.3\nhead_plan_value_yuan = 2e6\nhead_growth_score = "fee_income"\n'
                    'head_plan_fee_income_yuan = 1e6\nhead_gate_scope = "full_pay"\nhead_premiums = false\n',
                    encoding="utf-8")
    pay = load_rules(path).pay
    assert (pay.target_score, pay.target_value_weight, pay.target_deposit_weight, pay.head_plan_value_yuan,
            pay.head_growth_score, pay.head_plan_fee_income_yuan, pay.head_gate_scope, pay.head_premiums) == (
        "target_responsibility", 0.7, 0.3, 2e6, "fee_income", 1e6, "full_pay", False)


@pytest.mark.parametrize(("text", "field"), [
    ('[pay]\ntarget_score = "sales"\n', "pay.target_score"),
    ("[pay]\ntarget_value_weight = 0.7\n", "pay.target_deposit_weight: target_value_weight \\+ target_deposit_"
                                           "weight must sum to 1 \\(the two parts of the target score\\)"),
    ("[pay]\ntarget_value_weight = 1.5\n", "pay.target_value_weight: must be <= 1"),
    ("[pay]\nhead_plan_value_yuan = 0\n", "pay.head_plan_value_yuan: must be >= 1"),
    ("[pay]\nhead_plan_fee_income_yuan = inf\n", "pay.head_plan_fee_income_yuan: expected a finite number"),
    ('[pay]\nhead_growth_score = "mix"\n', "pay.head_growth_score"),
    ('[pay]\nhead_gate_scope = "all"\n', "pay.head_gate_scope"),
    ('[pay]\nhead_premiums = "yes"\n', "pay.head_premiums"),
])
def test_bad_head_rules_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    assert_rules_refused(tmp_path, text, field)
