"""The signable plan: people keep their roles, transfers conserve people, service is guarded
and shown, cash windows stay staffed, and the stable stage prefers fewer moves within noise."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from optimize import load_region
from optimize.evaluate import METRICS
from optimize.milp import OutletOptions, OutsideRule, Policy, RatioRule, rules, solve, stabilise
from optimize.problem import moves, worse_than_today
from optimize.state import uncovered_zones
from optimize.tables import SERVICE_LEVEL_ZONES, service_frame
from optimize.transfers import TRANSFER_COLUMNS, transfer_list
from sim.codes import ROLES
from sim.errors import ScenarioError
from sim.staffing import StaffingPlan
from tests.test_optimize_milp import OFF, _instance, _meets, brute_force
from tests.test_optimize_recommend import SMALL, _region, _run

CT = ROLES.index("cash_teller")


# ---- roles kept -------------------------------------------------------------------------
def test_each_movable_role_is_pooled_at_todays_total_unless_declared(tmp_path: Path) -> None:
    region = load_region(_region(tmp_path))
    today = {r: sum(o.scenario.staffing_plan().count(r) for o in region.outlets) for r in region.movable}
    assert region.keep_roles
    assert region.policy.role_pools == {**today, "wealth_manager": 3}  # the declared pool wins
    loose = load_region(_region(tmp_path, text=SMALL.replace("[headcount.pools]", "[headcount]\nkeep_roles = false\n"
                                                                                   "[headcount.pools]")))
    assert loose.policy.role_pools == {"wealth_manager": 3}


def test_recommended_role_totals_stay_within_todays(tmp_path: Path) -> None:
    rec = _run(_region(tmp_path))
    totals = rec.plan.groupby("role")[["current", "recommended"]].sum()
    for role, row in totals.iterrows():
        if role != "wealth_manager":  # the region file declares a wealth-manager pool of 3
            assert row["recommended"] <= row["current"], role
    # nobody silently disappears: the people placed plus the surplus are today's people of each role
    placed = rec.transfers
    for role, row in totals.iterrows():
        surplus = placed[(placed["role"] == role) & (placed["kind"] == "surplus")]["people"].sum()
        hired = placed[(placed["role"] == role) & (placed["kind"] == "hire")]["people"].sum()
        assert row["recommended"] + surplus - hired == row["current"], role


# ---- transfers ----------------------------------------------------------------------------
def _plan_rows(changes: list[tuple[str, str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame([{"outlet": o, "tier": "backbone", "role": r, "placement": p, "current": a, "recommended": b,
                          "change": b - a} for o, r, p, a, b in changes])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]),
                          st.sampled_from([("cash_teller", "all"), ("customer_manager", "inside"),
                                           ("customer_manager", "outside"), ("wealth_manager", "all")]),
                          st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=16,
                unique_by=lambda x: (x[0], x[1])))
def test_transfers_conserve_people_on_random_plans(cells: list[tuple[str, tuple[str, str], int, int]]) -> None:
    plan = _plan_rows([(o, r, p, a, b) for o, (r, p), a, b in cells])
    out = transfer_list(plan)
    assert tuple(out.columns) == TRANSFER_COLUMNS
    assert (out["people"] > 0).all()
    for row in plan.to_dict("records"):
        give = out[(out["from_outlet"] == row["outlet"]) & (out["role"] == row["role"])
                   & out["placement"].map(lambda p, pl=row["placement"]: p.split(" -> ")[0] == pl)]["people"].sum()
        take = out[(out["to_outlet"] == row["outlet"]) & (out["role"] == row["role"])
                   & out["placement"].map(lambda p, pl=row["placement"]: p.split(" -> ")[-1] == pl)]["people"].sum()
        assert row["current"] - give + take == row["recommended"]
    # people listed (surplus and hires counted half, as a post left or filled) are the moves the MILP counts
    half = out["kind"].isin(["surplus", "hire"])
    listed = out.loc[~half, "people"].sum() + out.loc[half, "people"].sum() / 2
    assert listed == pytest.approx(plan["change"].abs().sum() / 2)
    # surplus and hires never coexist within a role: any such pair would have been a transfer
    for _, part in out.groupby("role"):
        assert not (part["kind"] == "surplus").any() or not (part["kind"] == "hire").any()


def test_transfer_list_by_hand() -> None:
    plan = _plan_rows([("A", "customer_manager", "inside", 4, 2), ("A", "customer_manager", "outside", 1, 2),
                       ("B", "customer_manager", "inside", 2, 3), ("A", "cash_teller", "all", 3, 1),
                       ("B", "cash_teller", "all", 2, 3)])
    out = transfer_list(plan).sort_values(["role", "to_outlet"]).reset_index(drop=True)
    assert out.to_dict("records") == [
        {"from_outlet": "A", "to_outlet": "", "role": "cash_teller", "placement": "all", "people": 1,
         "kind": "surplus"},
        {"from_outlet": "A", "to_outlet": "B", "role": "cash_teller", "placement": "all", "people": 1,
         "kind": "transfer"},
        {"from_outlet": "A", "to_outlet": "A", "role": "customer_manager", "placement": "inside -> outside",
         "people": 1, "kind": "transfer"},
        {"from_outlet": "A", "to_outlet": "B", "role": "customer_manager", "placement": "inside", "people": 1,
         "kind": "transfer"},
    ]
    current = StaffingPlan.of({"customer_manager": 5}, 4)
    assert moves(current, StaffingPlan.of({"customer_manager": 4}, 2)) == 1.5  # -2 inside, +1 outside


# ---- cash windows staffed all day ----------------------------------------------------------
def _cash_outlet(minimal: dict[str, Any], tellers: int, stagger: float) -> sim.Scenario:
    minimal["staff"]["cash_teller"] = {"count": tellers, "zones": ["cash"], "lunch": ["12:00", "12:45"],
                                       "lunch_stagger_min": stagger}
    minimal["zones"]["cash"]["positions"] = 2
    return sim.from_dict(minimal)


def test_one_teller_with_a_lunch_leaves_the_window_shut(minimal: dict[str, Any]) -> None:
    sc = _cash_outlet(minimal, 1, 45)
    assert uncovered_zones(sc, sc.staffing_plan(), ("cash",)) == ("cash",)
    two = StaffingPlan.of({"cash_teller": 2}, 0)
    assert uncovered_zones(sc, two, ("cash",)) == ()  # 12:00-12:45 and 12:45-13:30: always one on duty
    short = _cash_outlet(minimal, 2, 60)  # a 15-minute hole: 12:45-13:00 nobody
    assert uncovered_zones(short, short.staffing_plan(), ("cash",)) == ()  # 12:00-12:45, 13:00-13:45 overlap the other
    same = _cash_outlet(minimal, 2, 0)  # both lunch at 12:00: the window shuts
    assert uncovered_zones(same, same.staffing_plan(), ("cash",)) == ("cash",)


def _toy(uncovered: tuple[tuple[str, ...], ...], min_staff: dict[str, int] | None = None) -> list[OutletOptions]:
    counts = np.zeros((3, len(ROLES)), dtype=int)
    counts[:, CT] = [1, 2, 3]
    return [OutletOptions(name="o", tier="backbone", second_level=True, vip_customers=0.0, counts=counts,
                          cm_inside=np.zeros(3, dtype=int), value=np.array([30.0, 20.0, 10.0]),
                          moves=np.zeros(3), min_staff=min_staff or {}, cover_zones=("cash",), uncovered=uncovered)]


@pytest.mark.parametrize(("uncovered", "min_staff", "best"), [
    (((), (), ()), {}, 0),
    ((("cash",), (), ()), {}, 1),
    ((("cash",), (), ()), {"cash_teller": 3}, 2),
    (((), ("cash",), ()), {"cash_teller": 2}, 2),
])
def test_cover_and_min_staff_bind_and_match_brute_force(uncovered: tuple[tuple[str, ...], ...],
                                                        min_staff: dict[str, int], best: int) -> None:
    outlets = _toy(uncovered, min_staff)
    sol = solve(outlets, OFF)
    assert sol.choice == (best,)
    brute = brute_force(outlets, OFF)
    assert brute is not None
    assert brute[1] == sol.choice
    groups = {r.group for r in rules(outlets, OFF)}
    assert ("cover" in groups)
    assert (("min_staff" in groups) == bool(min_staff))


# ---- stability --------------------------------------------------------------------------------
def test_stable_stage_takes_the_fewest_moves_within_the_tolerance() -> None:
    counts = np.zeros((3, len(ROLES)), dtype=int)
    value, move = np.array([100.0, 97.0, 90.0]), np.array([4.0, 1.0, 0.0])
    outlets = [OutletOptions(name=f"o{k}", tier="backbone", second_level=True, vip_customers=0.0, counts=counts,
                             cm_inside=np.zeros(3, dtype=int), value=value, moves=move)
               for k in range(2)]
    best = solve(outlets, OFF)
    assert best.choice == (0, 0)
    assert stabilise(outlets, OFF, best, 0.0).choice == (0, 0)
    assert stabilise(outlets, OFF, best, 3.0).choice in ((1, 0), (0, 1))  # one outlet gives up 3 yuan, 3 moves
    within6 = stabilise(outlets, OFF, best, 6.0)
    assert within6.choice == (1, 1)
    assert within6.objective == 194.0
    assert stabilise(outlets, OFF, best, 25.0).choice == (2, 2)


@pytest.mark.parametrize("seed", range(6))
def test_stable_stage_equals_brute_force(seed: int) -> None:
    outlets = _instance(seed, outlets=3, patterns=4)
    policy = Policy(total_headcount=int(sum(o.totals.mean() for o in outlets)), min_customer_managers=None,
                    inside_outside=None, vip=None)
    best = solve(outlets, policy)  # every seed here is feasible: a failure to solve is a failure
    tol = 1500.0
    got = stabilise(outlets, policy, best, tol)
    rows = rules(outlets, policy)

    def ok(choice: tuple[int, ...]) -> bool:
        return all(_meets(r, choice) for r in rows)

    feasible = [c for c in itertools.product(range(4), repeat=3) if ok(c)
                and sum(outlets[o].value[p] for o, p in enumerate(c)) >= best.objective - tol]
    fewest = min(sum(outlets[o].moves[p] for o, p in enumerate(c)) for c in feasible)
    assert sum(outlets[o].moves[p] for o, p in enumerate(got.choice)) == fewest
    top = max(sum(outlets[o].value[p] for o, p in enumerate(c)) for c in feasible
              if sum(outlets[o].moves[p] for o, p in enumerate(c)) == fewest)
    assert got.objective == pytest.approx(top)


# ---- service guard and service figures ----------------------------------------------------
def _days(walkout: np.ndarray) -> np.ndarray:
    out = np.zeros((walkout.size, len(METRICS)))
    out[:, METRICS.index("walkout_rate")] = walkout
    return out


def test_worse_than_today_uses_the_paired_interval() -> None:
    rng = np.random.default_rng(1)
    today = rng.uniform(0.02, 0.08, 30)  # day-to-day spread far larger than the change
    assert worse_than_today(("walkout_rate",), _days(today + 0.004 + rng.normal(0, 0.001, 30)), _days(today))
    assert not worse_than_today(("walkout_rate",), _days(today + rng.normal(0, 0.004, 30)), _days(today))
    assert not worse_than_today(("walkout_rate",), _days(today - 0.01), _days(today))


def test_region_service_level_pools_customers_by_hand() -> None:
    def metrics(sl: list[float], customers: list[float]) -> dict[str, np.ndarray]:
        days = {"walkout_rate": np.array([0.1, 0.1])}
        for z in SERVICE_LEVEL_ZONES:
            days[f"{z}.service_level"] = np.array(sl) if z == "cash" else np.full(2, np.nan)
            days[f"{z}.customers"] = np.array(customers) if z == "cash" else np.zeros(2)
        return days

    a, b = metrics([0.9, 0.8], [100, 100]), metrics([0.5, 0.6], [300, 300])
    region = {"walkout_rate": np.array([0.1, 0.1]), **{f"{z}.service_level": np.full(2, np.nan)
                                                          for z in SERVICE_LEVEL_ZONES if z != "cash"},
              "cash.service_level": np.array([(90 + 150) / 400, (80 + 180) / 400])}
    frame = service_frame({"current": {"a": a, "b": b, "region": region}, "recommended": {"a": a, "b": b,
                                                                                            "region": region}})
    cash = frame[(frame["outlet"] == "region") & (frame["kpi"] == "cash.service_level")].iloc[0]
    assert cash["current"] == pytest.approx(0.625)  # 500 on time of 800 customers, not the mean of outlet rates
    assert not cash["worse"]


def test_not_worse_guard_is_read_and_checked(tmp_path: Path) -> None:
    assert load_region(_region(tmp_path)).service.not_worse == ("walkout_rate", "lobby.service_level",
                                                                "cash.service_level")
    text = SMALL.replace("walkout_rate = 0.2", 'walkout_rate = 0.2\nnot_worse = ["cash.service_level", "queue"]')
    with pytest.raises(ScenarioError, match=r"rules\.service\.not_worse"):
        load_region(_region(tmp_path, text=text))
    text = SMALL.replace("[search]", "[rules.min_staff]\ncash_teller = -1\n[search]")
    with pytest.raises(ScenarioError, match=r"rules\.min_staff\.cash_teller"):
        load_region(_region(tmp_path, text=text))
    text = SMALL.replace("[search]", '[rules.cover]\nzones = ["vault"]\n[search]')
    with pytest.raises(ScenarioError, match=r"rules\.cover\.zones"):
        load_region(_region(tmp_path, text=text))


def test_recommendation_shows_service_beside_value(tmp_path: Path) -> None:
    rec = _run(_region(tmp_path))
    region = rec.service[rec.service["outlet"] == "region"].set_index("kpi")
    assert np.isfinite(region["current"]).all()
    assert np.isfinite(region["recommended"]).all()
    assert not rec.service[(rec.service["kpi"] == "walkout_rate") & (rec.service["outlet"] != "region")]["worse"].any()
    head = rec.headline()
    assert head["value_recommended"]["ci95_low"] <= head["value_recommended"]["mean"]
    assert head["screening_estimate"] == rec.objective


# ---- the inside : outside rule in its readings ---------------------------------------------------
def _split_outlet(name: str, splits: list[tuple[int, int]], others: int = 4) -> OutletOptions:
    """One outlet whose patterns are CM splits (inside, outside) plus ``others`` staff inside."""
    counts = np.zeros((len(splits), len(ROLES)), dtype=int)
    counts[:, ROLES.index("customer_manager")] = [a + b for a, b in splits]
    counts[:, CT] = others
    inside = np.array([a for a, _ in splits])
    value = np.array([100.0 + 10 * a for a, _ in splits])  # inside work is worth more: the rule must bind
    return OutletOptions(name=name, tier="backbone", second_level=True, vip_customers=0.0, counts=counts,
                         cm_inside=inside, value=value, moves=np.zeros(len(splits)))


def test_the_symmetric_band_allows_a_split_and_its_mirror_alike() -> None:
    outlet = _split_outlet("o", [(3, 5), (4, 4), (5, 3)])
    outlet = OutletOptions(name=outlet.name, tier=outlet.tier, second_level=True, vip_customers=0.0,
                           counts=outlet.counts, cm_inside=outlet.cm_inside,
                           value=np.array([130.0, 120.0, 110.0]), moves=outlet.moves)  # field work is worth more here
    one_sided = Policy(min_customer_managers=None, vip=None, inside_outside=RatioRule())
    mirrored = Policy(min_customer_managers=None, vip=None, inside_outside=RatioRule(symmetric=True))
    ok_one = [all(_meets(r, (p,)) for r in rules([outlet], one_sided)) for p in range(3)]
    ok_sym = [all(_meets(r, (p,)) for r in rules([outlet], mirrored)) for p in range(3)]
    assert ok_one == [True, True, False]  # 3:5 passes, its mirror 5:3 breaks inside <= 1.25 x 3 + 1
    assert ok_sym == [False, True, False]  # symmetric: the two stand or fall together
    assert solve([outlet], one_sided).choice == (0,)
    assert solve([outlet], mirrored).choice == (1,)


def test_the_all_staff_reading_counts_everyone_inside() -> None:
    # 6 CMs with 4 others inside: all-staff inside = 4 + cm_inside, outside = cm_outside
    outlet = [_split_outlet("o", [(0, 6), (1, 5), (3, 3)], others=4)]
    policy = Policy(min_customer_managers=None, vip=None,
                    inside_outside=RatioRule(reading="all_staff", tolerance_people=0.0, low=0.8, high=1.25))
    best = brute_force(outlet, policy)
    assert best is not None
    assert best[1] == solve(outlet, policy).choice == (1,)  # 5 inside : 5 outside; 4:6 and 7:3 break the band


@pytest.mark.parametrize("share", [1 / 3, 0.5, 1.0])
def test_a_share_of_outlets_with_seven_outside_matches_brute_force(share: float) -> None:
    outlets = [_split_outlet(f"o{k}", [(8, 2), (5, 7), (3, 9)]) for k in range(3)]
    policy = Policy(min_customer_managers=None, vip=None, inside_outside=None,
                    outside_staff=OutsideRule(min_people=7, share=share))
    best = brute_force(outlets, policy)
    assert best is not None
    sol = solve(outlets, policy)
    assert sol.objective == pytest.approx(best[0])
    with_seven = sum(1 for o, p in enumerate(sol.choice)
                     if outlets[o].counts[p, ROLES.index("customer_manager")] - outlets[o].cm_inside[p] >= 7)
    assert with_seven == int(np.ceil(share * 3 - 1e-9))
    assert any(r.group == "outside_staff" for r in rules(outlets, policy))


# ---- the assumption stress test ---------------------------------------------------------------
def test_a_factor_of_one_repeats_the_plan_and_other_factors_are_reported(tmp_path: Path) -> None:
    from optimize.holds import holds_table
    from optimize.stress import ASSUMPTIONS, stress_test

    path = _region(tmp_path)
    rec = _run(path)
    assert (rec.plan["change"] != 0).any()
    picked = [ASSUMPTIONS[0], ASSUMPTIONS[-1]]  # cross-sale (re-simulated) and walk-out cost (days reused)
    same = stress_test(load_region(path), rec, assumptions=picked, factors=(1.0,), executor="serial")
    assert len(same) == int((rec.plan["change"] != 0).sum())
    for name in ("cross_sale.customer_manager x1", "walkout_loss x1"):
        assert (same[name] == same["change"]).all(), name  # the same days and rules: the same plan
    assert (same["holds"] == same["variants"]).all()
    scaled = stress_test(load_region(path), rec, assumptions=picked, factors=(0.5, 1.5), executor="serial")
    assert set(scaled.columns) >= {"cross_sale.customer_manager x0.5", "walkout_loss x1.5", "holds", "variants"}
    assert (scaled["variants"] == 4).all()
    table = holds_table(scaled)
    assert set(table["walkout_loss x1.5"]) <= {"holds", "drops", "reverses"}
    with pytest.raises(ValueError, match="factors"):
        stress_test(load_region(path), rec, factors=(0.0,), executor="serial")


def test_a_gap_above_the_default_is_named_and_the_frontier_never_falls(tmp_path: Path) -> None:
    from optimize.milp import FEASIBLE_WITHIN_GAP

    outlets = _instance(3, outlets=4, patterns=6)
    sol = solve(outlets, OFF, gap=0.5)
    assert sol.status in ("Optimal", FEASIBLE_WITHIN_GAP)
    if sol.gap is not None and sol.gap > 1e-6:
        assert sol.status == FEASIBLE_WITHIN_GAP
    rec = _run(_region(tmp_path), gap=0.2, frontier=3)
    objective = rec.frontier["objective"].dropna().to_numpy()
    assert (np.diff(objective) >= -1e-9).all()
    assert rec.status in ("Optimal", FEASIBLE_WITHIN_GAP)


# ---- conversions between roles ------------------------------------------------------------------
def _teller_or_cm(gain: float) -> list[OutletOptions]:
    """One outlet: today 2 tellers + 2 CMs (pattern 0), or 1 teller + 3 CMs (pattern 1, worth ``gain`` more)."""
    counts = np.zeros((2, len(ROLES)), dtype=int)
    counts[:, ROLES.index("low_counter_teller")] = [2, 1]
    counts[:, ROLES.index("customer_manager")] = [2, 3]
    return [OutletOptions(name="o", tier="backbone", second_level=False, vip_customers=0.0, counts=counts,
                          cm_inside=counts[:, ROLES.index("customer_manager")],
                          value=np.array([100.0, 100.0 + gain]), moves=np.array([0.0, 1.0]))]


@pytest.mark.parametrize(("gain", "cost_per_day", "converts"), [(50.0, 20.0, True), (50.0, 80.0, False),
                                                                 (50.0, 0.0, True)])
def test_a_conversion_is_taken_when_it_pays_for_its_training(gain: float, cost_per_day: float,
                                                             converts: bool) -> None:
    from optimize.problem import Problem
    from optimize.region import Conversion, Region

    conv = Conversion("low_counter_teller", "customer_manager", 1, training_cost_yuan=cost_per_day * 250)
    region = Region(source="r", name="r", outlets=(), movable=("low_counter_teller", "customer_manager"),
                    policy=OFF, service=None, objective="value", cost_yuan_per_day={},  # type: ignore[arg-type]
                    search=None, conversions=(conv,))  # type: ignore[arg-type]
    pseudo = Problem(region).conversions()
    assert pseudo is not None
    keep = Policy(role_pools={"low_counter_teller": 2, "customer_manager": 2}, min_customer_managers=None,
                  inside_outside=None, vip=None)
    outlets = [*_teller_or_cm(gain), pseudo]
    sol = solve(outlets, keep)
    assert sol.choice == ((1, 1) if converts else (0, 0))
    assert sol.objective == pytest.approx(100 + gain - cost_per_day if converts else 100)
    assert solve(_teller_or_cm(gain), keep).choice == (0,)  # without the conversion roles are kept
    brute = max((sum(o.value[p] for o, p in zip(outlets, c, strict=True)), c)
                for c in itertools.product(range(2), range(2))
                if all(_meets(r, c) for r in rules(outlets, keep)))
    assert brute[1] == sol.choice


def test_converted_people_appear_as_conversion_rows(tmp_path: Path) -> None:
    text = SMALL + '\n[[conversions]]\nfrom = "low_counter_teller"\nto = "customer_manager"\nmax_people = 2\n'
    rec = _run(_region(tmp_path, text=text))
    assert list(rec.conversions["from_role"]) == ["low_counter_teller"]
    converted = int(rec.conversions["people"].iloc[0])
    totals = rec.plan.groupby("role")[["current", "recommended"]].sum()
    assert totals.loc["customer_manager", "recommended"] <= totals.loc["customer_manager", "current"] + converted
    assert totals.loc["low_counter_teller", "recommended"] <= totals.loc["low_counter_teller", "current"] - converted
    rows = rec.transfers[rec.transfers["kind"] == "conversion"]
    assert int(rows["people"].sum()) == converted
    assert (rows["role"] == "low_counter_teller -> customer_manager").all()
    assert rec.summary()["conversions"][0]["people"] == converted


@pytest.mark.parametrize(("extra", "field"), [
    ('[[conversions]]\nfrom = "low_counter_teller"\nto = "low_counter_teller"\nmax_people = 1\n', "conversions[0].to"),
    ('[[conversions]]\nfrom = "outlet_head"\nto = "customer_manager"\nmax_people = 1\n', "conversions[0].from"),
    ('[[conversions]]\nfrom = "cash_teller"\nto = "customer_manager"\nmax_people = 0\n', "conversions[0].max_people"),
    ('[[conversions]]\nfrom = "cash_teller"\nto = "customer_manager"\nmax_people = 2\npayback_days = 0\n',
     "conversions[0].payback_days"),
])
def test_bad_conversions_name_the_field(extra: str, field: str, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        load_region(_region(tmp_path, text=SMALL + "\n" + extra))
    assert f": {field}:" in str(err.value)


def test_a_conversion_pairs_one_roles_leaver_with_anothers_post() -> None:
    plan = _plan_rows([("A", "low_counter_teller", "all", 3, 1), ("B", "customer_manager", "inside", 2, 3),
                       ("C", "customer_manager", "outside", 1, 2)])
    out = transfer_list(plan, [("low_counter_teller", "customer_manager", 1)])
    assert out.to_dict("records") == [
        {"from_outlet": "A", "to_outlet": "B", "role": "low_counter_teller -> customer_manager",
         "placement": "inside", "people": 1, "kind": "conversion"},
        {"from_outlet": "A", "to_outlet": "", "role": "low_counter_teller", "placement": "all", "people": 1,
         "kind": "surplus"},
        {"from_outlet": "", "to_outlet": "C", "role": "customer_manager", "placement": "outside", "people": 1,
         "kind": "hire"},
    ]


# ---- plans judged over day types ------------------------------------------------------------------
def test_the_month_profile_gives_day_types_that_cover_the_month(tmp_path: Path) -> None:
    from optimize.region import month_day_types
    from sim.horizon import HorizonRules

    types = month_day_types()
    assert sum(t.share for t in types) == pytest.approx(1.0)
    profile = HorizonRules().day_of_month_profile
    assert sum(t.share * t.volume for t in types) == pytest.approx(sum(profile) / len(profile))
    region = load_region(_region(tmp_path, text=SMALL + '\n[day_types]\nprofile = "month"\n'))
    assert region.day_types == types
    assert not region.every_day_type  # limits on the month average; guards per type


@pytest.mark.parametrize(("extra", "message"), [
    ('[day_types.types.a]\nshare = 0.5\nvolume = 1\n[day_types.types.b]\nshare = 0.6\nvolume = 1.2\n', "sum to 1"),
    ('[day_types]\nprofile = "year"\n', "allowed: month"),
    ('[day_types.types.a]\nshare = 1\nvolume = 0\n', "volume: must be >= 0.05"),
    ('[day_types.types.a]\nshare = 1\nvolume = 1\nsurge = 2\n', "unknown key"),
    ('[day_types]\nevery_day_type = true\n', "at least one"),
])
def test_bad_day_types_name_the_field(extra: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=message) as err:
        load_region(_region(tmp_path, text=SMALL + "\n" + extra))
    assert "day_types" in str(err.value)


def test_a_plan_over_day_types_is_the_share_weighted_month(tmp_path: Path) -> None:
    from optimize.problem import combine_days

    text = SMALL + ("\n[day_types.types.quiet]\nshare = 0.7\nvolume = 0.8\n"
                    "[day_types.types.busy]\nshare = 0.3\nvolume = 1.4\n")
    region = load_region(_region(tmp_path, text=text))
    a, b = np.full((4, 3), 2.0), np.full((5, 3), 10.0)
    np.testing.assert_allclose(combine_days(region, [a, b]), np.full((4, 3), 0.7 * 2 + 0.3 * 10))
    rec = _run(_region(tmp_path, text=text))
    table = rec.day_types
    assert set(table["day_type"]) == {"quiet", "busy"}
    assert set(table["plan"]) == {"current", "recommended"}
    value = table[table["kpi"] == "objective"].set_index(["plan", "day_type"])["mean"]
    region_value = rec.kpis[(rec.kpis["outlet"] == "region") & (rec.kpis["kpi"] == "objective")].set_index("plan")
    for plan in ("current", "recommended"):
        month = 0.7 * value[(plan, "quiet")] + 0.3 * value[(plan, "busy")]
        assert region_value.loc[plan, "mean"] == pytest.approx(month)  # the verified month is the weighted types
        assert value[(plan, "busy")] > value[(plan, "quiet")]  # 75% more customers bring more value
    walkouts = table[table["kpi"] == "walkout_rate"].set_index(["plan", "day_type"])["mean"]
    assert walkouts[("current", "busy")] > walkouts[("current", "quiet")]
    assert rec.summary()["day_types"]


def test_a_conflict_with_no_other_side_says_so() -> None:
    from optimize.milp import diagnose

    counts = np.zeros((2, len(ROLES)), dtype=int)
    counts[:, ROLES.index("customer_manager")] = [6, 7]
    outlets = [OutletOptions(name=f"o{k}", tier="backbone", second_level=True, vip_customers=0.0, counts=counts,
                             cm_inside=counts[:, ROLES.index("customer_manager")],
                             value=np.array([1.0, 2.0]), moves=np.zeros(2)) for k in range(2)]
    policy = Policy(role_pools={"customer_manager": 10}, min_customer_managers=None, inside_outside=None, vip=None)
    lines = diagnose(outlets, policy)
    assert lines[0].startswith("customer_manager pool 10: the plan closest to every rule has 12 (2 over)")
    assert lines[-1].startswith("no other rule can give way instead")


def test_a_share_of_outlets_no_pattern_can_staff_is_infeasible_not_dropped() -> None:
    from optimize.milp import InfeasibleError

    outlets = [_split_outlet(f"o{k}", [(8, 2), (5, 7)]) for k in range(3)]
    policy = Policy(min_customer_managers=None, vip=None, inside_outside=None,
                    outside_staff=OutsideRule(min_people=1000, share=1 / 3))
    with pytest.raises(InfeasibleError, match=r"at least 1 of 3 second-level outlets with >= 1000 outside"):
        solve(outlets, policy)


def test_an_outlets_own_service_table_refuses_unknown_keys(tmp_path: Path) -> None:
    text = SMALL.replace('name = "Lake"', 'name = "Lake"\nservice = { walkout = 0.2 }', 1)
    with pytest.raises(ScenarioError, match=r"outlets\[1\]\.service\.walkout: unknown key"):
        load_region(_region(tmp_path, text=text))


def test_the_kpi_table_keeps_a_share_s_interval_within_0_and_1_as_the_service_table_does() -> None:
    """Service levels near 100% on few days: the Student-t interval passes 1 (1.0, 1.0, 0.97: the mean plus
    t·sd/√3 is about 1.04); the KPI rows cap it at 1 as the service rows do, and leave yuan untouched."""
    from optimize.tables import REPORT_KPIS, SERVICE_KPIS, _summary_rows
    from sim.replicate import interval

    days = np.array([1.0, 1.0, 0.97])
    yuan = np.array([-5.0, -4.0, 30.0])  # its interval passes 0 below and is kept
    metrics = {k: (days if k in SERVICE_KPIS else yuan) for k in REPORT_KPIS}
    metrics["walkout_rate"] = 1.0 - days  # near 0: the interval passes 0 below
    rows = {r["kpi"]: r for r in _summary_rows("recommended", "o", metrics)}
    raw = interval(days)
    assert raw.high > 1.0
    for kpi in SERVICE_KPIS[1:]:
        assert rows[kpi]["ci95_high"] == 1.0
        assert rows[kpi]["ci95_low"] == raw.low
    assert interval(1.0 - days).low < 0.0
    assert rows["walkout_rate"]["ci95_low"] == 0.0
    assert rows["objective"]["ci95_low"] == interval(yuan).low < 0.0
