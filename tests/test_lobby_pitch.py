"""Lobby pitching to waiting customers and new customers won at the low counter (issue 16).

厅堂营销: lobby staff pitch to customers waiting in the waiting area, at a chance per minute
waited and per free lobby person; 引进客户: the low counter wins walk-in prospects as new
customers, counted with the field's. Scripted days checked by hand against the day's own
Exp(1) draw, the chance of a pitch over many days against 1 − exp(−r·minutes·free staff),
the backbone outlet over paired days, and one-line errors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.codes import ROLES, Need, VisitKind, VisitStatus, Zone
from sim.scenario import from_dict, load_scenario, with_overrides
from sim.streams import stream_key
from sim.student_t import t_quantile
from tests.conftest import SCENARIOS, assert_refused
from tests.test_scripted import fixed, script

RATE = 0.05


def pitching(minimal: dict[str, Any], greeters: int = 1, rate: float = RATE) -> sim.Scenario:
    """One teller (cash 10 min), ``greeters`` lobby people (greeting 1 min), lobby pitching at ``rate``."""
    minimal["zones"]["lobby"] = {"positions": greeters}
    minimal["staff"]["lobby_manager"] = {"count": 1, "zones": ["lobby"]}
    if greeters > 1:
        minimal["staff"]["deputy_lobby_manager"] = {"count": greeters - 1, "zones": ["lobby"]}
    minimal["service"]["lobby"] = fixed(1)
    minimal["service"]["cash"] = fixed(10)
    minimal["products"] = {"funds": {"value_yuan": 600}}
    minimal["segments"]["mass"]["bundle"] = ["funds"]
    minimal["sales"] = {"lobby_pitch": {"rate_per_min": rate, "conversion": 1.0}}
    return from_dict(minimal)


def threshold(replication: int, n: int, seed: int = 0) -> np.ndarray:
    """The day's Exp(1) pitch thresholds, drawn here as the model draws them (its own stream)."""
    seq = np.random.SeedSequence(seed, spawn_key=(replication, stream_key("lobby_pitch")))
    return np.random.default_rng(seq).exponential(1.0, n)


def pitch_of(log: sim.DayLog, customer: int) -> tuple[float, str] | None:
    """(minute, pitcher) of ``customer``'s pitch, if any."""
    p = log.lobby_pitches
    hit = np.flatnonzero(log.visit_customer[p.visit] == customer)
    return None if hit.size == 0 else (float(p.minute[hit[0]]), log.staff.ids[int(p.staff[hit[0]])])


@pytest.mark.parametrize("greeters", [1, 2])
def test_pitch_comes_when_the_free_lobby_minutes_reach_the_draw(minimal: dict[str, Any], greeters: int) -> None:
    """c0 is greeted 0-1 and served 1-11; c1 is greeted 2-3 and waits at cash 3-11 with every lobby
    person free: pitched at 3 + E/(r·greeters) if that is before 11, by the lobby manager (first in
    staff order), and buys (conversion 1)."""
    sc = pitching(minimal, greeters)
    for rep in range(12):
        log = sim.simulate(sc, replication=rep, customers=script([0.0, 2.0]))
        assert pitch_of(log, 0) is None  # never waited in the waiting area
        at = 3.0 + threshold(rep, 2)[1] / (RATE * greeters)
        got = pitch_of(log, 1)
        assert (got is None) == (at > 11.0)
        if got is not None:
            assert got[0] == pytest.approx(at, abs=1e-9)
            assert got[1] == "lobby_manager_1"
            sales = sim.credit_sales(log)
            assert [log.staff.ids[k] for k in sales.staff] == ["lobby_manager_1"]


def test_a_greeting_stops_the_pitch_clock(minimal: dict[str, Any]) -> None:
    """c2 arrives at 5 and is greeted 5-6 by the only lobby person, who is not free meanwhile: c1's
    free-lobby minutes are 3-5 and 6-11, so the pitch comes at 3 + E/r, or 6 + (E/r − 2)."""
    sc = pitching(minimal)
    for rep in range(12):
        log = sim.simulate(sc, replication=rep, customers=script([0.0, 2.0, 5.0]))
        need = threshold(rep, 3)[1] / RATE
        at = 3.0 + need if need < 2.0 else 6.0 + need - 2.0
        got = pitch_of(log, 1)
        assert (got is None) == (at > 11.0)
        if got is not None:
            assert got[0] == pytest.approx(at, abs=1e-9)


def test_chance_of_a_pitch_is_one_minus_exp_of_rate_times_free_minutes(minimal: dict[str, Any]) -> None:
    """Over 1,000 days c1 (8 minutes waited, one lobby person free) is pitched with 1 − e^(−8r) = 0.330."""
    sc = pitching(minimal)
    days = 1000
    pitched = sum(pitch_of(sim.simulate(sc, replication=r, customers=script([0.0, 2.0])), 1) is not None
                  for r in range(days))
    p = 1.0 - math.exp(-8.0 * RATE)
    assert abs(pitched / days - p) <= 3.5 * math.sqrt(p * (1 - p) / days)


def test_lobby_pitching_adds_the_predicted_sales_and_leaves_the_queues_alone() -> None:
    """Backbone outlet, pitching at 0.02 a minute per free lobby person, conversion 0.05: over 60 paired
    days the queues are the same day (a pitch takes no greeting time), the lobby roles sell more, and
    the extra sales match the pitches' expected products (bundle products × conversion × propensity)
    within the 99.9% t-interval of the paired daily difference plus 5% of the expected sales.

    About 2.6 extra sales a day, so one day is noisy (sd ~57% of the expected). The first version (20
    days, t 2.1: a 95% interval) failed on 6 of seeds 100-299, measured; this one on 0 of seeds 400-479,
    and with the expected sales wrong by half (x 1.5) it fails on 75 of those 80 seeds."""
    base = load_scenario(SCENARIOS / "backbone_outlet.toml")
    on = with_overrides(base, {"sales.lobby_pitch": {"rate_per_min": 0.02, "conversion": 0.05}}, quiet=True)
    propensity = np.array([s.propensity for s in on.segments.values()])
    size = np.array([len(s.bundle) for s in on.segments.values()])
    extra, expected, pitches = [], [], []
    for rep in range(60):
        a, b = sim.simulate(base, seed=2, replication=rep), sim.simulate(on, seed=2, replication=rep)
        assert np.array_equal(a.visit_end_min, b.visit_end_min, equal_nan=True)
        seg = b.customers.segment[b.visit_customer[b.lobby_pitches.visit]]
        expected.append(float((size[seg] * np.minimum(1.0, 0.05 * propensity[seg])).sum()))
        extra.append(len(sim.credit_sales(b).visit) - len(sim.credit_sales(a).visit))
        pitches.append(b.lobby_pitches.visit.size)
        lobby = [ROLES.index(r) for r in ("lobby_manager", "deputy_lobby_manager", "security_guide")]
        assert set(np.asarray(b.staff.roles)[b.lobby_pitches.staff].tolist()) <= set(lobby)
    diff = np.array(extra) - np.array(expected)
    assert np.mean(pitches) > 20  # pitches happen: tens a day
    half = t_quantile(0.9995, diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size)
    assert abs(diff.mean()) <= half + 0.05 * np.mean(expected), (diff.mean(), half, np.mean(expected))
    assert np.mean(extra) > 0


def test_walk_in_prospects_won_at_the_low_counter_by_hand(minimal: dict[str, Any]) -> None:
    """Every low-counter customer a prospect and every one won: three new customers at 900 yuan each."""
    minimal["zones"]["non_cash"] = {"positions": 1}
    minimal["staff"]["customer_manager"] = {"count": 1, "zones": ["non_cash"]}
    minimal["service"]["non_cash"] = fixed(2)
    minimal["field"] = {"value_per_new_customer_yuan": 900}
    minimal["sales"] = {"walk_in": {"prospect_share": 1.0, "conversion": {"customer_manager": 1.0}}}
    log = sim.simulate(from_dict(minimal), customers=script([0.0, 1.0, 2.0], need=[Need.NON_CASH] * 3))
    assert log.field_new_customers == 3
    out = sim.day_kpis(log).outlet
    assert out[sim.OUTLET_KPIS.index("field_new_customers")] == 3
    assert out[sim.OUTLET_KPIS.index("value_yuan")] == 3 * 900


def test_walk_in_wins_match_share_times_conversion_on_the_backbone_outlet() -> None:
    """A third of the low counter's customers are prospects, customer managers win half of those they
    serve, tellers none: over 100 days the wins match 1/6 of the CM-served low-counter customers, within
    the 99.9% t-interval of the paired daily difference.

    The first version (30 days, the 95% interval) failed a correct model on 1 seed in 20: 12 of seeds
    100-299, measured. This one failed on 0 of seeds 500-599; had the wins been 1/5 of those customers
    instead of 1/6 (20% more) it fails on all 100 of them, had they been 1/7.5 (20% fewer) on 99."""
    base = load_scenario(SCENARIOS / "backbone_outlet.toml")
    on = with_overrides(base, {"sales.walk_in": {"prospect_share": 1 / 3,
                                                 "conversion": {"customer_manager": 0.5}}}, quiet=True)
    cm = ROLES.index("customer_manager")
    wins, expected = [], []
    for rep in range(100):
        a, b = sim.simulate(base, seed=1, replication=rep), sim.simulate(on, seed=1, replication=rep)
        wins.append(b.field_new_customers - a.field_new_customers)
        served = (b.visit_zone == Zone.NON_CASH) & (b.visit_kind == VisitKind.PRIMARY) & (
            b.visit_status == VisitStatus.DONE) & (b.visit_staff >= 0)
        expected.append(float((np.asarray(b.staff.roles)[b.visit_staff[served]] == cm).sum()) / 6.0)
    diff = np.array(wins) - np.array(expected)
    assert np.mean(expected) > 5
    half = t_quantile(0.9995, diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size)
    assert abs(diff.mean()) <= half, (diff.mean(), half)


@pytest.mark.parametrize(("sales", "field", "message"), [
    ({"lobby_pitch": {"rate_per_min": -1}}, "sales.lobby_pitch.rate_per_min", "must be >= 0"),
    ({"lobby_pitch": {"rate_per_min": 1000}}, "sales.lobby_pitch.rate_per_min", "must be <= 100"),
    ({"lobby_pitch": {"rate": 0.1}}, "sales.lobby_pitch.rate", "unknown key"),
    ({"walk_in": {"prospect_share": 2}}, "sales.walk_in.prospect_share", "must be <= 1"),
    ({"walk_in": {"conversion": {"cash_teller": 0.5}}}, "sales.walk_in.conversion.cash_teller",
     "does not serve the low counter"),
    ({"walk_in": {"conversion": {"banker": 0.5}}}, "sales.walk_in.conversion.banker", "unknown role"),
])
def test_bad_lobby_and_walk_in_fields_are_one_line(minimal: dict[str, Any], sales: dict[str, Any], field: str,
                                                   message: str) -> None:
    minimal["sales"] = sales
    assert_refused(lambda: from_dict(minimal, "outlet.toml"), f"outlet.toml: {field}: ", message)
