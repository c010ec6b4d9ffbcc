"""Penalty points that accumulate (积分处罚) and cost the outlet's head: by hand, then in a short study.

The study's ledger is recomputed by hand from its own rows, and the head's pay before the penalty is the
pay of the run without the lever on the same seeds (penalties draw nothing and change no day).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimize.quarters import QuarterRules, load_rules, load_study, run_quarters
from optimize.scorecard import PenaltyRules, accumulate_penalties
from tests.conftest import SCENARIOS
from tests.test_quarters import assert_rules_refused

TIERS = [SCENARIOS / f"{tier}_outlet.toml" for tier in ("flagship", "backbone", "advancing", "potential")]


def test_ledger_by_hand() -> None:
    """Balances 0, 5, 10 carried at 0.5 and 5 new points on the last two; 500 yuan a point, capped by the pay."""
    rules = PenaltyRules(enabled=True, carry_over=0.5)
    balance, deduction, review = accumulate_penalties(np.array([0.0, 5.0, 10.0]), np.array([0.0, 5.0, 5.0]),
                                                      np.array([20000.0, 20000.0, 4000.0]), rules)
    assert balance == pytest.approx([0.0, 7.5, 10.0])
    assert deduction == pytest.approx([0.0, 3750.0, 4000.0])  # 500 x 10 = 5,000 is more than the 4,000 paid
    assert review.tolist() == [False, False, True]  # review at 10 points, included


def test_points_never_lapse_at_the_default_carry_over() -> None:
    rules = PenaltyRules(enabled=True)
    balance = np.zeros(1)
    for _ in range(4):
        balance, deduction, _ = accumulate_penalties(balance, np.array([5.0]), np.array([1e6]), rules)
    assert balance == pytest.approx([20.0])
    assert deduction == pytest.approx([10000.0])


def _short(**penalties: object) -> QuarterRules:
    rules = QuarterRules()
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=3),
                               penalties=dataclasses.replace(PenaltyRules(), **penalties))


@pytest.mark.parametrize("seed", [0, 3])
def test_study_ledger_recomputed_from_its_rows(seed: int) -> None:
    study = load_study(TIERS)
    on = _short(enabled=True, carry_over=0.8, head_yuan_per_point=1000.0, review_points=8.0)
    res = run_quarters(study, on, quarters=4, seed=seed)
    off = run_quarters(study, _short(), quarters=4, seed=seed)
    pd.testing.assert_frame_equal(res.days, off.days)
    pd.testing.assert_frame_equal(res.people, off.people)
    o = res.outlets.sort_values(["outlet", "quarter"])
    before = off.outlets.set_index(["quarter", "outlet"])["head_pay_yuan"]
    assert o["penalty_points"].sum() == 2 * 5.0 * 4  # the bottom 2 outlets get 5 points every quarter
    for name, rows in o.groupby("outlet"):
        balance, want_balance, want_cut = 0.0, [], []
        for q, points in zip(rows["quarter"], rows["penalty_points"], strict=True):
            balance = 0.8 * balance + points
            want_balance.append(balance)
            want_cut.append(min(before[(q, name)], 1000.0 * balance))
        assert rows["penalty_balance"].to_numpy() == pytest.approx(want_balance), name
        assert rows["head_penalty_yuan"].to_numpy() == pytest.approx(want_cut), name
        assert rows["head_review"].tolist() == [b >= 8.0 for b in want_balance], name
        pay = [before[(q, name)] - c for q, c in zip(rows["quarter"], want_cut, strict=True)]
        assert rows["head_pay_yuan"].to_numpy() == pytest.approx(pay), name
    assert res.summary.loc[0, "head_reviews"] == int(o["head_review"].sum())
    assert res.summary.loc[0, "head_penalty_yuan"] == pytest.approx(o["head_penalty_yuan"].sum())
    assert o["head_penalty_yuan"].sum() > 0


def test_off_adds_no_column() -> None:
    res = run_quarters(load_study(TIERS[:2]), _short(), quarters=1, seed=1)
    assert not {"penalty_balance", "head_penalty_yuan", "head_review"} & set(res.outlets.columns)
    assert "head_reviews" not in res.summary.columns


def test_rules_file_reads_the_penalties(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[penalties]\nenabled = true\ncarry_over = 0.5\nhead_yuan_per_point = 200\nreview_points = 15\n",
                    encoding="utf-8")
    assert load_rules(path).penalties == PenaltyRules(enabled=True, carry_over=0.5, head_yuan_per_point=200.0,
                                                      review_points=15.0)


@pytest.mark.parametrize(("text", "field"), [
    ("[penalties]\nenabled = 1\n", "penalties.enabled"),
    ("[penalties]\ncarry_over = 1.5\n", "penalties.carry_over: must be <= 1"),
    ("[penalties]\nhead_yuan_per_point = -1\n", "penalties.head_yuan_per_point: must be >= 0"),
    ("[penalties]\nhead_yuan_per_point = inf\n", "penalties.head_yuan_per_point: expected a finite number"),
    ("[penalties]\nreview_points = 0\n", "penalties.review_points: must be > 0"),
    ("[penalties]\nreview = 3\n", "penalties.review: unknown key"),
])
def test_bad_penalty_rules_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    assert_rules_refused(tmp_path, text, field)
