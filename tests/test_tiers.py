"""Outlet scorecards, outlet ranking with red flags, and tiering, against hand-computed examples."""

from __future__ import annotations

import pandas as pd
import pytest

from optimize.scorecard import ScoreItem, ScoreSheet, rank_outlets, score, score_sheet
from optimize.tiers import TierRules, classify, tier_moves, tier_rules
from sim import ScenarioError
from sim.tomlio import Table

SHEET = ScoreSheet(items=(ScoreItem("wait", "mean_wait_min", 40.0, 2.0, 12.0),
                          ScoreItem("value", "value_per_person_day_yuan", 60.0, 2000.0, 0.0)),
                   red_flag_top=1, subsidy_yuan=500.0, penalty_bottom=1, penalty_points=3.0)


def _outlets() -> pd.DataFrame:
    return pd.DataFrame({
        "quarter": [1, 1, 1],
        "outlet": ["east", "north", "west"],
        "mean_wait_min": [2.0, 7.0, 20.0],           # 40, 20, 0 points
        "value_per_person_day_yuan": [1000.0, 3000.0, 500.0],   # 30, 60, 15 points
        "arrived_per_day": [600.0, 330.0, 150.0],
        "value_per_day_yuan": [45000.0, 30000.0, 9000.0],
    })


def test_score_items_are_linear_between_worst_and_best() -> None:
    scored = score(_outlets(), SHEET)
    assert scored["score_wait"].tolist() == pytest.approx([40.0, 20.0, 0.0])
    assert scored["score_value"].tolist() == pytest.approx([30.0, 60.0, 15.0])
    assert scored["score"].tolist() == pytest.approx([70.0, 80.0, 15.0])


def test_outlet_ranking_red_flag_and_penalty() -> None:
    ranked = rank_outlets(score(_outlets(), SHEET), SHEET).set_index("outlet")
    assert ranked["outlet_rank"].to_dict() == {"north": 1, "east": 2, "west": 3}
    assert ranked["subsidy_yuan"].to_dict() == {"north": 500.0, "east": 0.0, "west": 0.0}
    assert ranked["penalty_points"].to_dict() == {"north": 0.0, "east": 0.0, "west": 3.0}


def test_outlet_ties_broken_by_value_per_person_then_name() -> None:
    frame = pd.DataFrame({"quarter": [1, 1, 1], "outlet": ["b", "a", "c"], "score": [50.0, 50.0, 50.0],
                          "value_per_person_day_yuan": [10.0, 10.0, 20.0]})
    ranked = rank_outlets(frame, SHEET).set_index("outlet")["outlet_rank"].to_dict()
    assert ranked == {"c": 1, "a": 2, "b": 3}


def test_tiers_by_thresholds() -> None:
    assert classify(_outlets()).tolist() == ["flagship", "backbone", "potential"]
    rules = TierRules(thresholds={"flagship": (700.0, 0.0), "backbone": (300.0, 0.0), "advancing": (100.0, 0.0)})
    assert classify(_outlets(), rules).tolist() == ["backbone", "backbone", "advancing"]


def test_tiers_by_quantiles_are_relative() -> None:
    frame = pd.DataFrame({"arrived_per_day": [100.0, 200.0, 300.0, 400.0],
                          "value_per_day_yuan": [1.0, 2.0, 3.0, 4.0]})
    rules = TierRules(method="quantiles")
    assert classify(frame, rules).tolist() == ["potential", "advancing", "backbone", "flagship"]
    assert classify(frame * 10, rules).tolist() == classify(frame, rules).tolist()


def test_tier_moves_reports_direction() -> None:
    moves = tier_moves(_outlets().assign(tier=["flagship", "advancing", "potential"]))
    assert moves[["outlet", "tier", "simulated_tier", "direction"]].values.tolist() == [
        ["north", "advancing", "backbone", "up"]]


@pytest.mark.parametrize(("data", "field"), [
    ({"thresholds": {"flagship": {"min_scale": 100, "min_results": 0}}}, "tiers.thresholds"),
    ({"quantile_cuts": [0.5, 0.4, 0.9]}, "tiers.quantile_cuts"),
    ({"method": "kmeans"}, "tiers.method"),
])
def test_bad_tier_rules_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ScenarioError, match=rf"^r\.toml: {field}"):
        tier_rules(Table("r.toml", "tiers", data))


def test_bad_score_item_names_the_field() -> None:
    data = {"items": {"wait": {"kpi": "mean_wait_min", "weight": 10, "best": 3, "worst": 3}}}
    with pytest.raises(ScenarioError, match=r"^r\.toml: scorecard\.items\.wait\.worst"):
        score_sheet(Table("r.toml", "scorecard", data))
