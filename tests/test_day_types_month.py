"""Average-day plan against the robust (day-type) plan on a simulated month, paired (issue 20 §1)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from optimize.export import SHEETS, recommendation_json
from tests.test_optimize_recommend import SMALL, _region, _run

TWO_TYPES = SMALL + ("\n[day_types.types.quiet]\nshare = 0.7\nvolume = 0.8\n"
                     "[day_types.types.busy]\nshare = 0.3\nvolume = 1.6\n")


def test_one_day_type_of_the_average_volume_changes_nothing(tmp_path: Path) -> None:
    """Known answer: a month of one day type at volume 1 is the average day, so the robust run chooses the
    average-day plan, the two run on the very same days and every paired change is exactly 0."""
    rec = _run(_region(tmp_path, text=SMALL + "\n[day_types.types.same]\nshare = 1\nvolume = 1\n"))
    frame = rec.robustness
    assert set(frame["scope"]) == {"month", "same"}
    np.testing.assert_array_equal(frame["average_day"].to_numpy(), frame["robust"].to_numpy())
    assert (frame["change"] == 0).all()
    assert (frame["change_ci95_low"] == 0).all()
    head = rec.robust_vs_average
    assert head["value_cost"]["mean"] == 0
    assert head["worst_day"] == "same"
    assert head["simulated_days"]["month_comparison"] == 0  # the chosen plans' verified days, reused
    assert head["simulated_days"]["average_day"] > 0
    assert head["simulated_days"]["robust"] > 0
    out = tmp_path / "out"
    rec.export(out)
    book = openpyxl.load_workbook(out / "recommendation.xlsx")
    at = list(SHEETS).index("day_types") + 1
    assert book.sheetnames == [*SHEETS[:at], "robustness", *SHEETS[at:]]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Average day against every day of the month" in page
    assert "robustness costs 0 yuan/day" in page


@pytest.mark.slow
def test_the_month_is_the_share_weighted_day_types_and_the_cost_is_the_paired_difference(tmp_path: Path) -> None:
    rec = _run(_region(tmp_path, text=TWO_TYPES))
    frame = rec.robustness.set_index(["scope", "kpi"])
    for plan in ("average_day", "robust"):  # the month's value is the day types' weighted by their share
        month = 0.7 * frame.loc[("quiet", "objective"), plan] + 0.3 * frame.loc[("busy", "objective"), plan]
        assert frame.loc[("month", "objective"), plan] == pytest.approx(month)
    for (scope, kpi), r in frame.iterrows():
        assert r["change"] == pytest.approx(r["robust"] - r["average_day"], abs=1e-9), (scope, kpi)
        assert r["change_ci95_low"] <= r["change"] <= r["change_ci95_high"]
    # the robust plan is verified on the same days as the recommendation's own day types
    mine = rec.day_types[(rec.day_types["plan"] == "recommended") & (rec.day_types["kpi"] == "objective")]
    for r in mine.itertuples():
        assert frame.loc[(r.day_type, "objective"), "robust"] == pytest.approx(r.mean)
    head = rec.robust_vs_average
    assert head["worst_day"] == "busy"  # twice the quiet day's customers
    cost = head["value_cost"]
    assert cost["mean"] == pytest.approx(-frame.loc[("month", "objective"), "change"])
    assert cost["ci95"][0] <= cost["mean"] <= cost["ci95"][1]
    assert set(head["worst_day_service"]) >= {"walkout_rate", "cash.service_level"}
    days = head["simulated_days"]
    assert days["robust"] > days["average_day"]  # every pattern ran on both day types
    doc = json.loads(json.dumps(recommendation_json(rec)))
    assert doc["robust_vs_average"]["worst_day"] == "busy"
    assert len(doc["robustness"]) == len(rec.robustness)


def test_without_day_types_there_is_no_comparison(tmp_path: Path) -> None:
    rec = _run(_region(tmp_path))
    assert rec.robustness.empty
    assert rec.robust_vs_average == {}
    assert "robust_vs_average" not in rec.summary()
    assert "robustness" not in recommendation_json(rec)
