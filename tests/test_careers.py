"""Training that raises skill and the exchange of inside staff into CM posts: by hand, then in short studies.

Quarter 1 of a study with either lever is the run without it on the same seeds, except what the lever
does by construction (trainees away on their days; nobody moves before the first assessment), so each
difference is checked against a hand count.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimize.careers import ExchangeRules, TrainingRules, assessment_order, trained, training_days
from optimize.pay_compare import quarter_metrics
from optimize.quarters import QuarterRules, load_rules, load_study, run_quarters
from sim.horizon import HireRules, Person, learning
from tests.conftest import SCENARIOS
from tests.test_quarters import assert_rules_refused

BACKBONE = SCENARIOS / "backbone_outlet.toml"
POTENTIAL = SCENARIOS / "potential_outlet.toml"
CM = "customer_manager"


def test_training_days_are_staggered_blocks_by_hand() -> None:
    rules = TrainingRules(enabled=True, days_per_quarter=3)
    assert training_days(0, 20, 10, rules) == {20, 21, 22}
    assert training_days(1, 20, 10, rules) == {23, 24, 25}
    assert training_days(3, 20, 10, rules) == {29, 20, 21}  # wraps round within the quarter


def test_skill_gain_by_hand() -> None:
    rules = TrainingRules(enabled=True, skill_gain_per_day=0.05, skill_cap=1.2)
    n, after = trained(Person("a", CM, 1.0), frozenset({0, 1, 2}), rules)
    assert (n, after.skill) == (3, pytest.approx(1.15))
    assert trained(Person("b", CM, 1.1), frozenset({0, 1, 2}), rules)[1].skill == pytest.approx(1.2)  # the cap
    assert trained(Person("c", CM, 1.4), frozenset({0, 1}), rules)[1].skill == pytest.approx(1.4)  # above: kept
    n, late = trained(Person("d", CM, 1.0, start_day=2), frozenset({0, 1, 2}), rules)  # a hire from day 2
    assert (n, late.skill) == (1, pytest.approx(1.05))


def test_assessment_order_by_hand() -> None:
    rows = pd.DataFrame({"person": ["a", "b", "c", "d"], "points": [100.0, 300.0, 300.0, 50.0],
                         "skill": [1.0, 0.9, 1.1, 2.0]})
    assert assessment_order(rows, {"a", "b", "c"}) == ["c", "b", "a"]  # ties by higher skill; d not eligible


def _short(days: int = 10, **levers: object) -> QuarterRules:
    rules = QuarterRules()
    return dataclasses.replace(rules, horizon=dataclasses.replace(rules.horizon, days_per_quarter=days), **levers)


@pytest.mark.parametrize("seed", [0, 2])
def test_training_in_a_study_by_hand(seed: int) -> None:
    """Backbone outlet, 10-day quarters, its 6 CMs trained 2 days a quarter at +0.05 a day (cap 1.5): in
    quarter 1 each CM is away on its block (the outlet's staff present drop by those away that day), and
    quarter 2's skill is quarter 1's + 0.1, capped; the others are untouched."""
    study = load_study([BACKBONE])
    training = TrainingRules(enabled=True, days_per_quarter=2, skill_gain_per_day=0.05, skill_cap=1.5)
    res = run_quarters(study, _short(training=training), quarters=2, seed=seed)
    off = run_quarters(study, _short(), quarters=2, seed=seed)
    p, p_off = res.people, off.people
    cms = p[(p["quarter"] == 1) & (p["role"] == CM)].reset_index(drop=True)
    assert len(cms) == 6
    assert (cms["training_days"] == 2).all()
    assert (cms["days_present"] == 8).all()
    away = {day: 0 for day in range(10)}
    for j, person in enumerate(sorted(cms["person"], key=lambda x: int(x.rsplit("_", 1)[1]))):
        for day in (2 * j % 10, (2 * j + 1) % 10):
            away[day] += 1  # CM j (roster order) is away on days 2j and 2j + 1
        assert person.endswith(f"customer_manager_{j + 1}")
    d, d_off = res.days[res.days["quarter"] == 1], off.days[off.days["quarter"] == 1]
    assert (d_off["staff_present"].to_numpy() - d["staff_present"].to_numpy()).tolist() == [away[x] for x in d["day"]]
    others = p[(p["quarter"] == 1) & (p["role"] != CM)]
    others_off = p_off[(p_off["quarter"] == 1) & (p_off["role"] != CM)]
    assert (others["training_days"] == 0).all()
    assert others["days_present"].tolist() == others_off["days_present"].tolist()
    skill1 = cms.set_index("person")["skill"]
    q2 = p[(p["quarter"] == 2) & (p["role"] == CM)].set_index("person")["skill"]
    assert q2.reindex(skill1.index).to_numpy() == pytest.approx(np.maximum(skill1, np.minimum(1.5, skill1 + 0.1)))
    assert cms.set_index("person")["skill_after"].to_numpy() == pytest.approx(q2.reindex(skill1.index).to_numpy())
    assert res.summary.loc[0, "training_days"] == p["training_days"].sum()
    # a CM away is not a vacancy: the vacancy count is the run's own vacancy days, training apart
    worked = p[p["role"] == CM]["days_present"].sum()
    posts = 6 * 10 * 2
    assert res.summary.loc[0, "cm_vacancy_days"] == posts - worked - p.loc[p["role"] == CM, "training_days"].sum()


@pytest.mark.parametrize("learn", [True, False])
def test_exchange_in_a_study_by_hand(learn: bool) -> None:
    """Backbone (2 low-counter tellers) and Potential (1): the assessment moves the backbone teller with the
    more points into a CM post after quarter 1; Potential keeps its only teller, so nobody else can move.
    In the new post the person learns as a new hire does (from 0.5 of their skill, full after 12 weeks)."""
    study = load_study([BACKBONE, POTENTIAL])
    exchange = ExchangeRules(enabled=True, per_quarter=2, max_people=5, training_cost_yuan=7000.0, learning=learn)
    res = run_quarters(study, _short(exchange=exchange), quarters=3, seed=1)
    p = res.people
    q1 = p[p["quarter"] == 1]
    tellers = q1[(q1["role"] == "low_counter_teller") & (q1["outlet"] == "Backbone outlet")]
    best = tellers.sort_values(["points", "skill"], ascending=False)["person"].iloc[0]
    assert p.loc[p["exchanged"], "person"].tolist() == [best]
    assert p.loc[p["exchanged"], "quarter"].tolist() == [1]
    later = p[(p["person"] == best) & (p["quarter"] > 1)]
    assert later["role"].tolist() == [CM, CM]
    own = tellers.set_index("person").loc[best, "skill"]
    curve = np.mean([learning(k, HireRules()) for k in range(10)]) if learn else 1.0
    assert later["skill"].iloc[0] == pytest.approx(own * curve)
    o = res.outlets
    assert o["exchange_cost_yuan"].tolist() == [7000.0 if (q, n) == (1, "Backbone outlet") else 0.0
                                                for q, n in zip(o["quarter"], o["outlet"], strict=True)]
    assert (p[(p["quarter"] > 1) & (p["outlet"] == "Backbone outlet")]["role"] == "low_counter_teller").groupby(
        p["quarter"]).sum().tolist() == [1, 1]
    m = quarter_metrics(res).set_index(["replication", "quarter"])
    q1o = o[o["quarter"] == 1]
    pay = (q1.loc[q1["role"] == CM, "pay_yuan"].sum() + q1o["head_pay_yuan"].sum() + q1o["subsidy_yuan"].sum()
           + 7000.0)
    assert m.loc[(0, 1), "pay_cost_yuan"] == pytest.approx(pay)
    off = run_quarters(study, _short(), quarters=3, seed=1)
    pd.testing.assert_frame_equal(res.days[res.days["quarter"] == 1], off.days[off.days["quarter"] == 1])
    assert res.summary.loc[0, "exchanged"] == 1


def test_off_is_the_run_without_and_adds_no_column() -> None:
    study = load_study([BACKBONE])
    res = run_quarters(study, _short(training=TrainingRules(days_per_quarter=4), exchange=ExchangeRules(per_quarter=3)),
                       quarters=2, seed=0)
    off = run_quarters(study, _short(), quarters=2, seed=0)
    for name in ("people", "outlets", "days", "summary"):
        pd.testing.assert_frame_equal(getattr(res, name), getattr(off, name))


def test_rules_file_reads_training_and_exchange(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[training]\nenabled = true\nroles = ["customer_manager", "wealth_manager"]\n'
                    "days_per_quarter = 4\nskill_gain_per_day = 0.02\nskill_cap = 1.8\n"
                    '[exchange]\nenabled = true\nfrom = "cash_teller"\nto = "wealth_manager"\nper_quarter = 1\n'
                    "max_people = 3\ntraining_cost_yuan = 9000\nlearning = false\n", encoding="utf-8")
    rules = load_rules(path)
    assert rules.training == TrainingRules(enabled=True, roles=(CM, "wealth_manager"), days_per_quarter=4,
                                           skill_gain_per_day=0.02, skill_cap=1.8)
    assert rules.exchange == ExchangeRules(enabled=True, from_role="cash_teller", to_role="wealth_manager",
                                           per_quarter=1, max_people=3, training_cost_yuan=9000.0, learning=False)


@pytest.mark.parametrize(("text", "field"), [
    ("[training]\nenabled = 1\n", "training.enabled"),
    ('[training]\nroles = ["outlet_head"]\n', "training.roles"),
    ("[training]\nroles = []\n", "training.roles"),
    ("[training]\ndays_per_quarter = 0\n", "training.days_per_quarter: must be >= 1"),
    ("[horizon]\ndays_per_quarter = 5\n[training]\ndays_per_quarter = 5\n", "training.days_per_quarter: must be < "
                                                                           "horizon.days_per_quarter"),
    ("[training]\nskill_gain_per_day = -0.1\n", "training.skill_gain_per_day"),
    ("[training]\nskill_cap = 2.5\n", r"training.skill_cap: must be <= hiring.skill_max \(2\)"),
    ("[training]\nskill_cap = nan\n", "training.skill_cap: expected a finite number"),
    ('[exchange]\nfrom = "teller"\n', "exchange.from"),
    ('[exchange]\nto = "cash_teller"\n', "exchange.to"),
    ('[exchange]\nfrom = "customer_manager"\n', r"exchange.to: must differ from 'from'"),
    ("[exchange]\nper_quarter = 0\n", "exchange.per_quarter: must be >= 1"),
    ("[exchange]\nmax_people = 0\n", "exchange.max_people: must be >= 1"),
    ("[exchange]\ntraining_cost_yuan = -5\n", "exchange.training_cost_yuan"),
    ("[exchange]\nlearning = 1\n", "exchange.learning"),
    ("[exchange]\nfrom_role = 1\n", "exchange.from_role: unknown key"),
])
def test_bad_training_and_exchange_rules_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    assert_rules_refused(tmp_path, text, field)
