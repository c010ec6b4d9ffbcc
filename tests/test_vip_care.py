"""VIP care: the "2 to 1" ratio read from the region's policy; contacts as work, the quarterly hazard, 四包.

Each mechanism against a hand computation on the rows of a short study.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optimize.quarters import QuarterRules, load_rules, load_study, run_quarters
from sim.horizon import Horizon, HorizonRules, VipCareRules, VipGrade, care_hazard, care_load, run_days
from tests.conftest import SCENARIOS
from tests.test_quarters import assert_rules_refused

REGION = SCENARIOS / "region_12_outlets.toml"


def _region(tmp_path: Path, ratio: float) -> Path:
    """The shipped region with ``maintainers_per_vip = ratio`` and its scenarios named by absolute path."""
    text = REGION.read_text(encoding="utf-8").replace("maintainers_per_vip = 2", f"maintainers_per_vip = {ratio}")
    text = text.replace('scenario = "', f'scenario = "{SCENARIOS.as_posix()}/')
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "region.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _short(days: int = 2) -> QuarterRules:
    rules = QuarterRules()
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=days))


@pytest.mark.parametrize("ratio", [1.5, 3.0])
def test_vip_ratio_is_the_policys(tmp_path: Path, ratio: float) -> None:
    """vips_per_maintainer = the policy's maintainers_per_vip x book / (CMs + WMs present), on every outlet-day."""
    study = load_study([_region(tmp_path, ratio)])
    assert study.maintainers_per_vip == ratio
    horizon = Horizon(study.scenarios[:3], HorizonRules(), seed=1, names=study.names[:3],
                      vip_books=[float(b or 0) for b in study.vip_books[:3]], maintainers_per_vip=ratio)
    [span] = run_days([horizon], 0, 2)
    staff = span.people[span.people["role"].isin(["customer_manager", "wealth_manager"])]
    present = staff.groupby(["outlet", "day"]).size()
    keys = list(zip(span.outlets["outlet"], span.outlets["day"], strict=True))
    want = ratio * span.outlets["vip_book"].to_numpy() / present.reindex(keys).to_numpy()
    assert span.outlets["vips_per_maintainer"].to_numpy() == pytest.approx(want)
    assert load_study([BACKBONE]).maintainers_per_vip == 2.0  # an outlet file: the default ratio


def test_the_study_carries_the_ratio_to_every_day(tmp_path: Path) -> None:
    """Ratio 3 against 1.5 on the same seeds: the load column doubles exactly, nothing else moves."""
    a = run_quarters(load_study([_region(tmp_path / "a", 1.5)]), _short(), quarters=1, seed=0).days
    b = run_quarters(load_study([_region(tmp_path / "b", 3.0)]), _short(), quarters=1, seed=0).days
    assert np.array_equal(b["vips_per_maintainer"].to_numpy(), 2 * a["vips_per_maintainer"].to_numpy())
    assert a.drop(columns="vips_per_maintainer").equals(b.drop(columns="vips_per_maintainer"))


BACKBONE = SCENARIOS / "backbone_outlet.toml"


# --- VIP care as work ---------------------------------------------------------------------------------------------

ON = VipCareRules(enabled=True)
#: Contact minutes a VIP needs of each maintainer a month, default grades: (0.7 x 0.5 + 0.25 x 1 + 0.05 x 2) x 15
PER_VIP = 0.7 * 15


@pytest.mark.parametrize(("book", "maintainers", "share", "coverage"), [
    (300, 5, 2 * 300 / 5 * PER_VIP / 20 / 480, 1.0),          # 0.131 of the day, every contact made
    (1500, 5, 0.30, 0.30 / (2 * 1500 / 5 * PER_VIP / 20 / 480)),  # 0.656 needed: capped at 0.3, 46% of the contacts
    (0, 5, 0.0, 1.0),                                          # nothing to do
    (300, 0, 0.0, 0.0),                                        # nobody to do it
])
def test_care_load_by_hand(book: float, maintainers: int, share: float, coverage: float) -> None:
    assert care_load(book, maintainers, 2.0, 20, ON) == pytest.approx((share, coverage))


def test_care_hazard_by_hand() -> None:
    assert care_hazard(0.5, 30, 300, ON) == pytest.approx((0.01 * 0.5 + 0.08 * 0.5) * (1 + 30 / 300))
    assert care_hazard(1.0, 0, 300, ON) == pytest.approx(0.01)
    assert care_hazard(0.0, 0, 0, ON) == pytest.approx(0.08)
    assert care_hazard(0.0, 1e6, 1, ON) == 1.0


def _care(days: int = 5, **care: Any) -> QuarterRules:
    return dataclasses.replace(_short(days), vip_care=dataclasses.replace(ON, **care))


@pytest.mark.parametrize("seed", [0, 7])
def test_study_care_time_leavers_and_four_guarantees_by_hand(seed: int) -> None:
    """Quarter 1 of the shipped region (nobody vacant): each outlet's care share from its book and its CMs and WMs;
    the leavers and the 四包 points recomputed from the rows."""
    study = load_study([REGION])
    res = run_quarters(study, _care(), quarters=2, seed=seed)
    o = res.outlets.set_index(["quarter", "outlet"])
    people = res.people[res.people["role"].isin(["customer_manager", "wealth_manager"])]
    for name, book in zip(study.names, study.vip_books, strict=True):
        staff = people[(people["quarter"] == 1) & (people["outlet"] == name)]
        share, coverage = care_load(float(book or 0), len(staff), 2.0, 20, ON)
        assert o.loc[(1, name), "vip_care_share"] == pytest.approx(share)
        assert o.loc[(1, name), "vip_care_coverage"] == pytest.approx(coverage)
        deducted = o.loc[(1, name), "vip_lost"] * 2 * 100 / len(staff)
        assert staff["vip_points_deducted"].to_numpy() == pytest.approx(np.full(len(staff), deducted))
    days = res.days[res.days["quarter"] == 1].groupby("outlet")["vip_lost"].sum()
    q1 = res.outlets[res.outlets["quarter"] == 1].set_index("outlet")
    assert (q1["vip_lost"] == days.reindex(q1.index) + q1["vip_care_lost"]).all()  # the day's churn + care's
    assert (q1["vip_care_lost"] > 0).any()
    tellers = res.people[~res.people["role"].isin(["customer_manager", "wealth_manager"])]
    assert (tellers["vip_points_deducted"] == 0).all()  # tellers keep no VIP book


def test_care_time_is_taken_from_selling_on_common_random_numbers() -> None:
    """No leavers and no points lost (hazard 0): care's time alone. Every CM and WM sells at most what they sold
    without care (the same pitches thinned at skill x (1 - share)), and together clearly less; nothing else moves."""
    study = load_study([REGION])
    idle = dict(churn_cared=0.0, churn_uncared=0.0, points_per_lost_vip=0.0)
    on = run_quarters(study, _care(**idle), quarters=1, seed=3)
    off = run_quarters(study, _short(5), quarters=1, seed=3)
    keys = ["outlet", "person"]
    a, b = on.people.set_index(keys), off.people.set_index(keys)
    maint = a["role"].isin(["customer_manager", "wealth_manager"])
    assert (a.loc[maint, "sales"] <= b.loc[maint, "sales"]).all()
    assert a.loc[maint, "sales"].sum() < 0.9 * b.loc[maint, "sales"].sum()
    assert (a.loc[~maint, "sales"] == b.loc[~maint, "sales"]).all()
    pd.testing.assert_series_equal(a["skill"], b["skill"])  # the people's own skill is reported
    assert (on.outlets["vip_care_lost"] == 0).all()
    assert on.days["arrived"].equals(off.days["arrived"])


def test_rules_file_reads_vip_care(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[vip_care]\nenabled = true\nminutes_per_contact = 10\n[vip_care.grades.a]\nshare = 0.4\n"
                    "contacts_per_month = 1\n[vip_care.grades.b]\nshare = 0.6\ncontacts_per_month = 3\n",
                    encoding="utf-8")
    care = load_rules(path).vip_care
    assert care.enabled
    assert care.minutes_per_contact == 10.0
    assert care.grades == (VipGrade(name="a", share=0.4, contacts_per_month=1.0),
                           VipGrade(name="b", share=0.6, contacts_per_month=3.0))


@pytest.mark.parametrize(("text", "field"), [
    ("[vip_care]\nenabled = 2\n", "vip_care.enabled"),
    ("[vip_care.grades.a]\nshare = 0.5\ncontacts_per_month = 1\n", "vip_care.grades: the grades' shares"),
    ("[vip_care.grades.a]\nshare = 1.5\ncontacts_per_month = 1\n", "vip_care.grades.a.share: must be <= 1"),
    ("[vip_care.grades.a]\nshare = 1\ncontacts_per_month = -1\n", "vip_care.grades.a.contacts_per_month"),
    ("[vip_care.grades.a]\nshare = 1\n", "vip_care.grades.a.contacts_per_month"),
    ("[vip_care.grades.a]\nshare = 1\ncontacts_per_month = 1\nminutes = 3\n", "vip_care.grades.a.minutes: unknown"),
    ("[vip_care]\nminutes_per_day = 0\n", "vip_care.minutes_per_day"),
    ("[vip_care]\nminutes_per_contact = inf\n", "vip_care.minutes_per_contact: expected a finite number"),
    ("[vip_care]\nchurn_uncared = 1.2\n", "vip_care.churn_uncared: must be <= 1"),
    ("[vip_care]\nmax_care_share = -0.1\n", "vip_care.max_care_share"),
    ("[vip_care]\npoints_per_lost_vip = 1e300\n", "vip_care.points_per_lost_vip"),
    ("[vip_care]\nchurn = 0.1\n", "vip_care.churn: unknown key"),
    ("[vip_care]\nchurn_cared = 0.5\nchurn_uncared = 0.1\n", "vip_care.churn_cared: must be <= churn_uncared"),
])
def test_bad_vip_care_rules_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    assert_rules_refused(tmp_path, text, field)


def test_care_with_effort_gives_everyone_back_their_own_skill() -> None:
    """Effort and care both scale skill for a quarter and are undone in turn: the skills reported in quarters 1
    and 2 (before anyone can leave) are those of the run with neither (to rounding: skill x e x (1 - share) is
    divided back); a wrong restore order would compound the factors quarter on quarter."""
    study = load_study(TIERS)
    rules = QuarterRules()
    both = dataclasses.replace(_care(4), effort=dataclasses.replace(rules.effort, response="best_response"),
                               pay=dataclasses.replace(rules.pay, band_reading="rising"))  # effort < 1 below 4,000
    on = run_quarters(study, both, quarters=3, seed=2).people
    off = run_quarters(study, _short(4), quarters=3, seed=2).people
    early_on, early_off = on[on["quarter"] <= 2], off[off["quarter"] <= 2]
    assert early_on["skill"].to_numpy() == pytest.approx(early_off["skill"].to_numpy(), rel=1e-12)
    assert (on.loc[on["quarter"] == 2, "effort"] != 1.0).any()  # effort did move


TIERS = [SCENARIOS / f"{tier}_outlet.toml" for tier in ("flagship", "backbone", "advancing", "potential")]
