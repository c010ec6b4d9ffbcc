"""Average-day plan against the robust (day-type) plan on a simulated month, paired (issue 20 §1)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from optimize.export import SHEETS, recommendation_json
from sim.errors import ScenarioError
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
    # one day type at volume 1 is the average day itself: the cache key follows the typed scenario, so the
    # robust run finds every day the average-day run simulated and simulates none of its own
    assert head["simulated_days"]["average_day"] > 0
    assert head["simulated_days"]["robust"] == 0
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


def test_cvar_is_the_mean_of_the_worst_share_of_the_month_by_hand() -> None:
    from optimize.problem import cvar

    days = [np.array([0.1, 0.2, 0.3, 0.4])]
    assert cvar(days, [1.0], 0.5) == pytest.approx(0.35)  # the worst two of four
    assert cvar(days, [1.0], 0.75) == pytest.approx(0.4)  # the worst one
    assert cvar(days, [1.0], 0.6) == pytest.approx((0.25 * 0.4 + 0.15 * 0.3) / 0.4)  # a day counted in part
    # two day types: a quiet type (share 0.8, walk-outs 0.01) and a busy one (share 0.2, walk-outs 0.3 and 0.5):
    # the worst 10% of the month lies inside the busy type's worst day (weight 0.1)
    two = [np.array([0.01, 0.01]), np.array([0.3, 0.5])]
    assert cvar(two, [0.8, 0.2], 0.9) == pytest.approx(0.5)
    assert cvar(two, [0.8, 0.2], 0.8) == pytest.approx(0.4)  # the busy type's two days, 0.1 each
    assert cvar(two, [0.8, 0.2], 0.0) == pytest.approx(0.8 * 0.01 + 0.2 * 0.4)  # the whole month: its mean
    assert cvar([np.array([np.nan, 0.2])], [1.0], 0.5) == pytest.approx(0.2)


def test_a_walkout_ceiling_at_a_risk_level_judges_the_months_worst_days(tmp_path: Path) -> None:
    from optimize import load_region
    from optimize.evaluate import METRICS
    from optimize.problem import Problem

    text = TWO_TYPES.replace("[day_types.types.quiet]", "[day_types]\nrisk_walkout_rate = 0.2\nrisk_level = 0.8\n"
                                                        "[day_types.types.quiet]")
    region = load_region(_region(tmp_path, text=text))
    assert region.risk is not None
    assert (region.risk.level, region.risk.walkout_rate) == (0.8, 0.2)

    def days(walkout: list[float]) -> np.ndarray:
        out = np.zeros((len(walkout), len(METRICS)))
        out[:, METRICS.index("walkout_rate")] = walkout
        out[:, [METRICS.index(f"{z}.service_level") for z in ("lobby", "cash", "wealth")]] = 1.0
        return out

    problem, spec = Problem(region), region.outlets[0]
    today = [days([0.05] * 4), days([0.1] * 4)]
    # each quiet day weighs 0.7 / 4, each busy day 0.3 / 4 = 0.075: the worst 20% of the month are the two
    # worst busy days (0.15) and a third of another (0.05)
    calm = [days([0.05] * 4), days([0.1, 0.1, 0.15, 0.15])]  # CVaR (0.15 x 0.15 + 0.05 x 0.1) / 0.2 = 0.1375
    stormy = [days([0.02] * 4), days([0.1, 0.1, 0.3, 0.3])]  # month mean 0.074; CVaR (0.15 x 0.3 + 0.005) / 0.2
    assert problem.fate(spec, calm, today, by_ci=False).kept
    fate = problem.fate(spec, stormy, today, by_ci=False)
    assert not fate.kept
    assert "walkout_rate CVaR(0.8) over the month's days 0.250 > 0.2" in fate.reason
    assert "CVaR(0.8)" not in problem.fate(spec, stormy, today, by_ci=True).reason  # not judged in the screen
    with pytest.raises(ScenarioError, match=r"day_types\.risk_level: used only with risk_walkout_rate"):
        load_region(_region(tmp_path, text=TWO_TYPES.replace("[day_types.types.quiet]",
                                                             "[day_types]\nrisk_level = 0.8\n[day_types.types.quiet]")))
