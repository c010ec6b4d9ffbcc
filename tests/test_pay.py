"""Pay rules against hand-computed examples (bands in both readings, head pay at the 120% gate on deposit and
customer growth, the office team uncapped)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from optimize.pay import (
    OfficeTeamRules,
    PayRules,
    RankingRules,
    bottom_streaks,
    check_ranking_cut,
    cm_pay,
    growth_factor,
    head_growth,
    head_pay,
    leaving,
    office_team_pay,
    office_team_quarter,
    paid_points,
    premium_factor,
    rank,
    rank_rewards,
)
from sim import ScenarioError

MARGINAL = PayRules()
LEVEL = PayRules(band_reading="level")


@pytest.mark.parametrize(("points", "expected"), [
    (0, 0.0),
    (3999, 3999.0),
    (4000, 4000.0),
    (4001, 4000.6),                 # the 4,001st point is paid at 60%
    (6000, 4000 + 0.6 * 2000),      # 5,200
    (7999, 4000 + 0.6 * 3999),
    (8000, 6400.0),
    (8001, 6401.0),                 # full rate again above 8,000
    (10000, 6400 + 2000),
])
def test_marginal_bands_by_hand(points: float, expected: float) -> None:
    assert paid_points(points, MARGINAL) == pytest.approx(expected)


@pytest.mark.parametrize(("points", "expected"), [
    (3999, 3999.0),
    (4000, 2400.0),                 # on the edge: the lower adjoining rate (60%)
    (4001, 0.6 * 4001),
    (7999, 0.6 * 7999),
    (8000, 4800.0),                 # "4,000 to 8,000" includes 8,000
    (8001, 8001.0),
])
def test_level_bands_by_hand(points: float, expected: float) -> None:
    assert paid_points(points, LEVEL) == pytest.approx(expected)


def test_marginal_pay_never_falls_but_level_has_cliffs() -> None:
    grid = np.arange(0, 12001, 1.0)
    assert np.all(np.diff(paid_points(grid, MARGINAL)) > 0)
    assert np.sum(np.diff(paid_points(grid, LEVEL)) < 0) == 1  # the drop at 4,000


def test_cm_pay_splits_30_70() -> None:
    # 30% x 6,000 x 80/100 = 1,440; 70% x 1 yuan x 6,400 = 4,480
    assert cm_pay(8000, 80.0) == pytest.approx(1440 + 4480)
    rules = PayRules(yuan_per_point=0.5, cm_reference_pay_yuan=10000)
    assert cm_pay([0, 4000], 100.0, rules) == pytest.approx([3000, 3000 + 0.7 * 0.5 * 4000])


@pytest.mark.parametrize(("attainment", "factor"), [(1.19, 1.19 / 1.20), (1.20, 1.0), (1.21, 1.0), (-0.3, 0.0)])
def test_head_growth_gate_pro_rata(attainment: float, factor: float) -> None:
    assert growth_factor(attainment) == pytest.approx(factor)
    # 30,000 x (0.7 x 90/100 + 0.3 x factor)
    assert head_pay(90.0, attainment) == pytest.approx(30000 * (0.63 + 0.3 * factor))


def test_head_growth_gate_all_or_nothing() -> None:
    rules = PayRules(head_growth_below_full="nothing")
    assert head_pay(100.0, 1.19, rules) == pytest.approx(30000 * 0.7)
    assert head_pay(100.0, 1.20, rules) == pytest.approx(30000.0)
    assert head_pay(100.0, 1.21, rules) == pytest.approx(30000.0)


def test_office_team_pay_uncapped_only_when_every_target_met() -> None:
    # all met: 8,000 x (0.5 x 1.5 + 0.5 x 1.0) = 10,000 (above the reference: uncapped)
    assert office_team_pay([150, 100], [100, 100], [0.5, 0.5]) == pytest.approx(10000)
    # one missed: 8,000 x (0.5 x 1.0 + 0.5 x 0.8) = 7,200 (the 150% counts as 100%)
    assert office_team_pay([150, 80], [100, 100], [0.5, 0.5]) == pytest.approx(7200)


# Plans 100 customers and 100,000 yuan; a new customer brings 1,000, a sale 100, a lost VIP takes 5,000.
GATE = PayRules(head_plan_new_customers=100, head_plan_deposit_growth_yuan=100_000, new_customer_deposit_yuan=1_000,
                deposit_per_sale_yuan=100, vip_deposit_yuan=5_000)


@pytest.mark.parametrize(("won", "lost", "sales", "customers", "deposits", "factor"), [
    # customers (160 - 10) / 100 = 1.5 above; deposits (160,000 + 100 s - 50,000) / 100,000
    (160, 10, 90, 1.50, 1.19, 1.19 / 1.20),
    (160, 10, 100, 1.50, 1.20, 1.0),
    (160, 10, 110, 1.50, 1.21, 1.0),
    # the reverse: deposits (w x 1,000 + 100 s - 50,000) / 100,000 = 1.5 above, customers (w - 10) / 100
    (129, 10, 710, 1.19, 1.50, 1.19 / 1.20),
    (130, 10, 700, 1.20, 1.50, 1.0),
    (131, 10, 690, 1.21, 1.50, 1.0),
])
def test_gate_reads_the_smaller_of_deposit_and_customer_growth(won: int, lost: int, sales: int, customers: float,
                                                               deposits: float, factor: float) -> None:
    row = head_growth(won, lost, sales, GATE).iloc[0]
    assert row["net_new_customers"] == won - lost
    assert row["deposits_in_yuan"] == pytest.approx(won * 1_000 + sales * 100)
    assert row["deposits_lost_yuan"] == pytest.approx(lost * 5_000)
    assert (row["customer_attainment"], row["deposit_attainment"]) == pytest.approx((customers, deposits))
    assert row["growth_attainment"] == pytest.approx(min(customers, deposits))
    assert growth_factor(row["growth_attainment"], GATE) == pytest.approx(factor)
    # 30,000 x (0.7 x 80/100 + 0.3 x factor)
    assert head_pay(80.0, row["growth_attainment"], GATE) == pytest.approx(30000 * (0.56 + 0.3 * factor))


def test_gate_reading_one_measure_ignores_the_other() -> None:
    # customers 1.5, deposits 1.19 (first case above)
    only_customers = dataclasses.replace(GATE, head_growth_gate="customers")
    only_deposits = dataclasses.replace(GATE, head_growth_gate="deposits")
    assert head_growth(160, 10, 90, only_customers)["growth_attainment"].item() == pytest.approx(1.5)
    assert head_growth(160, 10, 90, only_deposits)["growth_attainment"].item() == pytest.approx(1.19)


def test_more_vip_losses_lower_deposits_by_the_vip_balance() -> None:
    growth = head_growth([50] * 6, np.arange(6), [300] * 6)   # default rules: 50,000 in, 200,000 out per VIP
    assert growth["deposits_in_yuan"].tolist() == [50 * 50_000.0] * 6
    assert np.diff(growth["deposit_growth_yuan"]).tolist() == [-200_000.0] * 5
    assert growth["deposit_growth_yuan"].iloc[0] == 2_500_000.0   # 0 VIPs lost, sales bring nothing by default
    assert np.all(np.diff(growth["deposit_attainment"]) < 0)


@pytest.mark.parametrize(("net_value", "completion", "each"), [
    (15e6, 1.5, 8000 * 1.5 * 1.1),    # above target: no cap
    (10e6, 1.0, 8000 * 1.1),
    (8e6, 0.8, 8000 * 0.8 * 1.1),
    (-1e6, -0.1, 0.0),                # a loss pays nothing, not less than nothing
])
def test_office_team_paid_by_completion_uncapped(net_value: float, completion: float, each: float) -> None:
    row = office_team_quarter(net_value, OfficeTeamRules(members=3, target_net_value_yuan=10e6)).iloc[0]
    assert row["completion"] == pytest.approx(completion)
    assert row["pay_per_member_yuan"] == pytest.approx(each)   # x 1.1: front office, not grassroots
    assert row["team_pay_yuan"] == pytest.approx(3 * each)


def test_no_office_team_no_rows() -> None:
    assert office_team_quarter(15e6, OfficeTeamRules()).empty
    assert office_team_quarter(15e6, OfficeTeamRules(members=0, target_net_value_yuan=10e6)).empty


def test_premiums_multiply() -> None:
    assert premium_factor(True, True) == pytest.approx(1.21)
    assert premium_factor(True, False) == pytest.approx(1.10)
    assert premium_factor(False, False) == 1.0


def test_ranking_ties_broken_by_value_then_id() -> None:
    frame = pd.DataFrame({"person": ["cm_c", "cm_a", "cm_b", "cm_d"], "points": [500.0, 500.0, 500.0, 900.0],
                          "value_yuan": [100.0, 100.0, 300.0, 0.0]})
    ranks = rank(frame)
    assert dict(zip(frame["person"], ranks, strict=True)) == {"cm_d": 1, "cm_b": 2, "cm_a": 3, "cm_c": 4}
    assert rank(frame.iloc[::-1]).sort_index().tolist() == ranks.tolist()  # input order does not matter
    rewards = rank_rewards(ranks, RankingRules(top_rewards_yuan=(30.0, 20.0)))
    assert rewards.tolist() == [0.0, 0.0, 20.0, 30.0]


def _quarter(people: list[str], bottom: set[str]) -> pd.Series:
    """Ranks with the named people last (exit_bottom = len(bottom))."""
    order = [p for p in people if p not in bottom] + sorted(bottom)
    return pd.Series({p: order.index(p) + 1 for p in people})


def test_exit_after_exactly_two_consecutive_bottom_quarters() -> None:
    people = ["a", "b", "c", "d"]
    rules = RankingRules(top_rewards_yuan=(), exit_bottom=1, exit_consecutive_quarters=2)
    streak = pd.Series(dtype=int)
    history = []
    for bottom in ("a", "a", "b", "c", "b", "c"):   # a twice in a row; b and c never in a row
        streak = bottom_streaks(streak, _quarter(people, {bottom}), rules)
        history.append(leaving(streak, rules))
    assert not history[0]["a"]                      # one bottom quarter: stays
    assert history[1]["a"]                          # two in a row: leaves
    assert not any(h["b"] or h["c"] for h in history)   # twice each, never consecutive
    off = RankingRules(top_rewards_yuan=(), exit_bottom=1, exit_enabled=False)
    assert not leaving(pd.Series({"a": 2}), off)["a"]


def test_bad_ranking_cut_names_the_field() -> None:
    with pytest.raises(ScenarioError, match=r"rules.toml: ranking.exit_bottom: 5 is more than the 4"):
        check_ranking_cut(4, RankingRules(top_rewards_yuan=()), "rules.toml")
