"""VIP grades (issue 16): several priority segments, each with its own rank, identification and wealth-room access.

A scripted day checked by hand, three classes on one teller against Cobham's non-preemptive
priority formula, one grade reproducing today's single VIP class, and one-line errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sim
from sim.analysis import paired_difference
from sim.codes import Need, VisitStatus, Zone
from sim.metrics import SEGMENT_KPIS
from sim.scenario import from_dict, load_scenario, with_overrides
from sim.validation import Check, queue_scenario
from tests.conftest import SCENARIOS, assert_refused
from tests.test_scripted import fixed, script, visits

DONE = VisitStatus.DONE


def graded(minimal: dict[str, Any], silver: dict[str, Any] | None = None) -> dict[str, Any]:
    """One teller (10 min), a greeter (1 min) identifying every VIP; mass, silver (grade 2), gold (grade 1)."""
    minimal["zones"]["lobby"] = {"positions": 1}
    minimal["staff"]["lobby_manager"] = {"count": 1, "zones": ["lobby"]}
    minimal["service"]["lobby"] = fixed(1)
    minimal["service"]["cash"] = fixed(10)
    minimal["triage"] = {"vip_identification_probability": 1.0}
    minimal["segments"] = {
        "mass": {"share": 0.5, "needs": {"cash": 1.0}},
        "silver": {"share": 0.3, "needs": {"cash": 1.0}, "priority": True, "grade": 2, **(silver or {})},
        "gold": {"share": 0.2, "needs": {"cash": 1.0}, "priority": True},
    }
    return minimal


def test_grades_are_served_in_rank_order_by_hand(minimal: dict[str, Any]) -> None:
    """Greeted 1 min after arrival: mass c0 served 1-11; mass c1 (joins 3), silver c2 (5), gold c3 (7) wait;
    at 11 gold goes first, then silver, then mass."""
    log = sim.simulate(from_dict(graded(minimal)), customers=script([0.0, 2.0, 4.0, 6.0], segment=[0, 0, 1, 2]))
    assert visits(log, Zone.CASH) == [(0, 1, 1, 11, DONE), (1, 3, 31, 41, DONE), (2, 5, 21, 31, DONE),
                                      (3, 7, 11, 21, DONE)]


def test_an_unidentified_grade_waits_with_everyone(minimal: dict[str, Any]) -> None:
    """Silver never identified (identification_probability 0): it queues behind the mass customer who came first."""
    data = graded(minimal, {"identification_probability": 0.0})
    log = sim.simulate(from_dict(data), customers=script([0.0, 2.0, 4.0, 6.0], segment=[0, 0, 1, 2]))
    assert visits(log, Zone.CASH) == [(0, 1, 1, 11, DONE), (1, 3, 21, 31, DONE), (2, 5, 31, 41, DONE),
                                      (3, 7, 11, 21, DONE)]


def test_a_grade_without_the_wealth_room_is_referred_to_the_low_counter(minimal: dict[str, Any]) -> None:
    data = graded(minimal, {"wealth_room": False})
    data["zones"]["non_cash"] = {"positions": 1}
    data["zones"]["wealth"] = {"positions": 1}
    data["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash", "wealth"]}
    data["service"]["non_cash"] = fixed(2)
    data["service"]["wealth"] = fixed(2)
    data["sales"] = {"referral_probability": 1.0}
    log = sim.simulate(from_dict(data), customers=script([0.0, 20.0], segment=[1, 2], need=[Need.CASH] * 2, u=0.0))
    referred = {int(log.visit_customer[v]): int(log.visit_zone[v]) for v in np.flatnonzero(log.visit_kind == 1)}
    assert referred == {0: Zone.NON_CASH, 1: Zone.WEALTH}


def test_three_classes_on_one_teller_match_cobham() -> None:
    """M/M/1, λ = 0.8, μ = 1, gold 20%, silver 30%, mass 50% (all identified): non-preemptive priority
    waits W_k = W0 / ((1 − σ_{k−1})(1 − σ_k)), W0 = λ E[S²]/2 = 0.8, σ = 0.16, 0.40, 0.80:
    gold 0.952, silver 1.587, mass 6.667 min."""
    lam, shares = 0.8, {"gold": 0.2, "silver": 0.3, "mass": 0.5}
    sigma, theory, above = 0.0, {}, 0.0
    for seg, share in shares.items():
        sigma = above + lam * share
        theory[seg] = lam / ((1.0 - above) * (1.0 - sigma))
        above = sigma
    data = queue_scenario(lam, 1.0, 1, day_min=12_000.0, warmup_min=500.0)
    data["zones"]["lobby"] = {"positions": 50}
    data["staff"]["lobby_manager"] = {"count": 50, "zones": ["lobby"]}
    data["service"]["lobby"] = {"distribution": "deterministic", "value_min": 1e-6}
    data["triage"] = {"vip_identification_probability": 1.0}
    data["segments"] = {"gold": {"share": 0.2, "needs": {"cash": 1.0}, "priority": True, "grade": 1},
                        "silver": {"share": 0.3, "needs": {"cash": 1.0}, "priority": True, "grade": 2},
                        "mass": {"share": 0.5, "needs": {"cash": 1.0}}}
    result = sim.replicate(from_dict(data), n=20, seed=16)
    frame = result.by_segment
    for seg, value in theory.items():
        row = frame[(frame["segment"] == seg) & (frame["kpi"] == "mean_wait_min")].iloc[0]
        check = Check(metric=f"mean_wait_min[{seg}]", simulated=float(row["mean"]),
                      ci95=(float(row["ci95_low"]), float(row["ci95_high"])), analytic=value, days=result.n,
                      rel_tol=0.05)
        assert check.passed, (seg, check.simulated, value, check.allowed)


def test_one_grade_is_todays_vip_class() -> None:
    """grade = 1, the lobby's own identification chance and wealth-room referrals spelled out: the same day."""
    base = load_scenario(SCENARIOS / "backbone_outlet.toml")
    p = base.triage.vip_identification_probability
    same = with_overrides(base, {"segments.vip.grade": 1, "segments.vip.identification_probability": p,
                                 "segments.vip.wealth_room": True}, quiet=True)
    for rep in range(2):
        a, b = sim.simulate(base, seed=6, replication=rep), sim.simulate(same, seed=6, replication=rep)
        assert np.array_equal(a.visit_start_min, b.visit_start_min, equal_nan=True)
        assert np.array_equal(sim.day_kpis(a).outlet, sim.day_kpis(b).outlet)


def test_a_top_grade_on_the_backbone_outlet_waits_less() -> None:
    """The backbone outlet with VIPs 40% of arrivals (so that their queue is felt), half of them made a
    top grade: over 60 paired days the top grade waits less than the other VIPs (Cobham: 3.9 against
    4.95 min measured; the paired 95% CI of top grade − other lies below 0), and the two grades' mean stays
    near the one-class VIPs' wait (conservation: ranking within the VIPs moves waits between them, not
    their total). Over 30 days the first version failed on 5 of seeds 100-299 (the CI) and 1 (the 10%),
    measured; over 60 days on 0 of seeds 300-359 (either check), and with both halves at grade 2 (no
    ranking between them) the CI check fails on 9 of seeds 300-309."""
    base = load_scenario(SCENARIOS / "backbone_outlet.toml")
    shares = {sid: s.share for sid, s in base.segments.items()}
    vips = with_overrides(base, {"segments.mass.share": shares["mass"] + shares["vip"] - 0.4,
                                 "segments.vip.share": 0.4}, quiet=True)
    assert vips.file_form is not None
    vip = vips.file_form["segments"]["vip"]
    split = with_overrides(vips, {"segments.vip.share": 0.2, "segments.vip.grade": 2,
                                  "segments.vip_gold": {**vip, "share": 0.2, "grade": 1}}, quiet=True)
    names = list(split.segments)
    wait = SEGMENT_KPIS.index("mean_wait_min")
    gold, other, one_class = [], [], []
    for rep in range(60):
        a = sim.day_kpis(sim.simulate(vips, seed=3, replication=rep)).by_segment
        b = sim.day_kpis(sim.simulate(split, seed=3, replication=rep)).by_segment
        gold.append(b[names.index("vip_gold"), wait])
        other.append(b[names.index("vip"), wait])
        one_class.append(a[names.index("vip"), wait])
    less = paired_difference(other, gold)
    assert less.ci95_high < 0, less
    assert abs((np.mean(gold) + np.mean(other)) / 2 - np.mean(one_class)) <= 0.1 * np.mean(one_class)


@pytest.mark.parametrize(("entry", "field", "message"), [
    ({"grade": 0}, "segments.vip.grade", "must be >= 1"),
    ({"grade": 10}, "segments.vip.grade", "must be <= 9"),
    ({"grade": 1.5}, "segments.vip.grade", "whole number"),
    ({"identification_probability": 1.2}, "segments.vip.identification_probability", "must be <= 1"),
    ({"priority": False, "grade": 2}, "segments.vip.grade", "priority = false"),
    ({"wealth_room": "yes"}, "segments.vip.wealth_room", "true or false"),
])
def test_bad_grade_fields_are_one_line(minimal: dict[str, Any], entry: dict[str, Any], field: str,
                                       message: str) -> None:
    minimal["segments"] = {"vip": {"share": 1.0, "needs": {"cash": 1.0}, **entry}}
    assert_refused(lambda: from_dict(minimal, "outlet.toml"), f"outlet.toml: {field}: ", message)
