"""Leaders' inspections with the score sheet: sampled outlet-days, noisy readings, red flags from them.

Readings recomputed by hand from the days table; the sampling counted; awards checked against the
perfect-information run of the same seeds (inspections draw nothing the days depend on).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from branchlab.cli import main
from optimize.quarters import QuarterRules, load_rules, load_study, run_quarters
from optimize.scorecard import InspectionRules, misplaced
from tests.conftest import SCENARIOS
from tests.test_quarters import assert_rules_refused

REGION = SCENARIOS / "region_12_outlets.toml"
#: Four outlets, one of each tier: a study small enough to run in a few seconds.
TIERS = [SCENARIOS / f"{tier}_outlet.toml" for tier in ("flagship", "backbone", "advancing", "potential")]


def _rules(days: int, **inspection: Any) -> QuarterRules:
    rules = QuarterRules()
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=days),
                               inspection=InspectionRules(enabled=True, **inspection))


def _sheet_by_hand(days: pd.DataFrame) -> pd.Series:
    """The shipped score sheet on each outlet-day row, item by item (waits, walk-outs, service level, sales, value)."""
    def part(x: pd.Series, weight: float, best: float, worst: float) -> np.ndarray:
        return np.nan_to_num(weight * np.clip((x.to_numpy(float) - worst) / (best - worst), 0, 1))
    walkouts = (days["abandoned"] + days["balked"] + days["no_service"]) / days["arrived"]
    total = (part(days["mean_wait_min"], 25, 2, 15) + part(walkouts, 25, 0, 0.10)
             + part(days["service_level"], 20, 0.95, 0.50) + part(days["sales"] / days["staff_present"], 15, 6, 0)
             + part(days["value_yuan"] / days["staff_present"], 15, 3000, 0))
    return pd.Series(total, index=days.index)


@pytest.mark.parametrize("seed", [0, 3])
def test_every_outlet_every_day_without_noise_is_the_mean_daily_sheet(seed: int) -> None:
    study = load_study(TIERS)
    res = run_quarters(study, _rules(4, round_days=1, outlets_per_round=12, score_noise_sd=0.0), quarters=2,
                       seed=seed)
    days = res.days.assign(mark=_sheet_by_hand(res.days))
    want = days.groupby(["quarter", "outlet"])["mark"].mean()
    o = res.outlets.set_index(["quarter", "outlet"])
    assert (o["inspections"] == 4).all()
    assert o["inspection_score"].to_numpy() == pytest.approx(want.reindex(o.index).to_numpy())
    flagged = res.outlets[res.outlets["red_flag"]]
    top = res.outlets.sort_values("inspection_score", ascending=False).groupby("quarter").head(2)
    assert set(zip(flagged["quarter"], flagged["outlet"], strict=True)) == set(
        zip(top["quarter"], top["outlet"], strict=True))


def test_sampling_counts_and_the_perfect_columns_are_the_run_without_inspections() -> None:
    """2 leaders x 3 outlets x 3 half months (days 0-3, 4-7, 8-9 of a 10-day quarter) = 18 readings a quarter;
    nothing else moves: the days, the people and the perfect-information awards are those of the run without."""
    study = load_study(TIERS)
    on = _rules(10, leaders=2, outlets_per_round=3, round_days=4)
    res = run_quarters(study, on, quarters=2, seed=1)
    off = run_quarters(study, dataclasses.replace(on, inspection=InspectionRules()), quarters=2, seed=1)
    assert (res.outlets.groupby("quarter")["inspections"].sum() == 18).all()
    assert res.outlets["inspections"].max() <= 6  # at most once per leader and half month
    pd.testing.assert_frame_equal(res.days, off.days)
    pd.testing.assert_frame_equal(res.people, off.people)
    pd.testing.assert_series_equal(res.outlets["perfect_red_flag"], off.outlets["red_flag"], check_names=False)
    pd.testing.assert_series_equal(res.outlets["perfect_rank"], off.outlets["outlet_rank"], check_names=False)
    pd.testing.assert_series_equal(res.outlets["perfect_penalty_points"], off.outlets["penalty_points"],
                                   check_names=False)
    assert (res.outlets["subsidy_yuan"] == np.where(res.outlets["red_flag"], 5000.0, 0.0)).all()
    counts = misplaced(res.outlets)
    assert res.summary.loc[0, "red_flags_misplaced"] == counts["red_flags_misplaced"]


def test_uninspected_outlets_get_the_quarters_mean_reading() -> None:
    """One leader, one outlet, one round a quarter: one reading, and every other outlet carries it."""
    res = run_quarters(load_study(TIERS), _rules(5, outlets_per_round=1, round_days=5), quarters=1, seed=2)
    o = res.outlets
    assert o["inspections"].sum() == 1
    assert np.allclose(o["inspection_score"], o.loc[o["inspections"] == 1, "inspection_score"].iloc[0])


def test_misplaced_by_hand() -> None:
    rows = pd.DataFrame({"red_flag": [True, True, False, False], "perfect_red_flag": [True, False, True, False],
                         "penalty_points": [0.0, 0.0, 5.0, 5.0], "perfect_penalty_points": [5.0, 0.0, 5.0, 0.0]})
    assert misplaced(rows) == {"red_flags": 2, "red_flags_misplaced": 1, "penalties": 2, "penalties_misplaced": 1}


@pytest.mark.slow
def test_noisier_sheets_misplace_more_awards() -> None:
    """Over 3 seeds of the 12-outlet region, readings of sd 40 misplace more red flags and penalties than
    readings of sd 0 (the same sampled days: only the noise differs)."""
    study = load_study([REGION])
    counts = {}
    for sd in (0.0, 40.0):
        total = 0
        for seed in range(3):
            res = run_quarters(study, _rules(4, round_days=2, score_noise_sd=sd), quarters=1, seed=seed)
            c = misplaced(res.outlets)
            total += c["red_flags_misplaced"] + c["penalties_misplaced"]
        counts[sd] = total
    assert counts[40.0] > counts[0.0]


def test_rules_file_and_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[horizon]\ndays_per_quarter = 4\n[inspection]\nenabled = true\nleaders = 2\n"
                    "outlets_per_round = 6\nround_days = 2\nscore_noise_sd = 0\n", encoding="utf-8")
    assert load_rules(path).inspection == InspectionRules(enabled=True, leaders=2, outlets_per_round=6, round_days=2,
                                                          score_noise_sd=0.0)
    assert main(["quarter", *map(str, TIERS), "--rules", str(path), "--quarters", "1", "--executor", "serial",
                 "--out", str(tmp_path / "out"), "-q"]) == 0
    assert "red flags and" in capsys.readouterr().out
    assert "inspection_score" in pd.read_csv(tmp_path / "out" / "outlets.csv").columns


@pytest.mark.parametrize(("text", "field"), [
    ("[inspection]\nenabled = 1\n", "inspection.enabled"),
    ("[inspection]\nleaders = 0\n", "inspection.leaders: must be >= 1"),
    ("[inspection]\noutlets_per_round = 0\n", "inspection.outlets_per_round"),
    ("[inspection]\nround_days = 93\n", "inspection.round_days: must be <= 92"),
    ("[inspection]\nscore_noise_sd = -1\n", "inspection.score_noise_sd"),
    ("[inspection]\nscore_noise_sd = nan\n", "inspection.score_noise_sd: expected a finite number"),
    ("[inspection]\nleader = 2\n", "inspection.leader: unknown key"),
])
def test_bad_inspection_rules_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    assert_rules_refused(tmp_path, text, field)
