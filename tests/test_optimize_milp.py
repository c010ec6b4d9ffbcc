"""The staffing MILP against brute force, rule by rule, across solvers, and its infeasibility diagnosis."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from optimize.milp import (
    RATIO_READINGS,
    SOLVERS,
    InfeasibleError,
    OutletOptions,
    Policy,
    RatioRule,
    Row,
    VipRule,
    outlet_meets,
    outlet_rules,
    rule_value,
    rules,
    satisfied,
    solve,
)
from sim.codes import ROLES
from tests.conftest import random_patterns

CM, WM = ROLES.index("customer_manager"), ROLES.index("wealth_manager")
TIERS4 = ("flagship", "backbone", "advancing", "potential")
OFF = Policy(min_customer_managers=None, inside_outside=None, vip=None)


def _instance(seed: int, outlets: int = 3, patterns: int = 4, cost: np.ndarray | None = None) -> list[OutletOptions]:
    """Random small outlets; with ``cost`` (yuan/day per role) the value is net of staff cost."""
    rng = np.random.default_rng(seed)
    out = []
    for o in range(outlets):
        counts = rng.integers(0, 7, size=(patterns, len(ROLES)))
        inside = np.array([rng.integers(0, c + 1) for c in counts[:, CM]])
        value = rng.normal(10_000, 2_000, patterns)
        if cost is not None:
            value = value - counts @ cost
        out.append(OutletOptions(name=f"o{o}", tier=TIERS4[o % 4], second_level=True,
                                 vip_customers=float(rng.integers(0, 1500)), counts=counts, cm_inside=inside,
                                 value=value,
                                 moves=rng.integers(0, 6, patterns)))
    return out


def _meets(row: Row, choice: tuple[int, ...]) -> bool:
    lhs = sum(c for o, p, c in row.terms if choice[o] == p)
    return lhs >= row.rhs - 1e-9 if row.sense == ">=" else lhs <= row.rhs + 1e-9


def brute_force(outlets: list[OutletOptions], policy: Policy) -> tuple[float, tuple[int, ...]] | None:
    """Best feasible choice by enumerating every combination of patterns."""
    rows = rules(outlets, policy)
    best = None
    for choice in itertools.product(*(range(len(o.value)) for o in outlets)):
        if all(_meets(r, choice) for r in rows):
            value = sum(outlets[o].value[p] for o, p in enumerate(choice))
            if best is None or value > best[0]:
                best = (value, choice)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_regional_rules_read_each_chosen_pattern(seed: int) -> None:
    """A rule's left side for a choice is the chosen patterns' own numbers, summed by hand: the head-count pool
    their totals, a role pool that role's count, the transfers their moves (zero coefficients dropped, a NaN
    coefficient kept as a term)."""
    outlets = _instance(seed, outlets=5, patterns=6)
    outlets[2] = replace(outlets[2], moves=np.where(np.arange(6) == 3, np.nan, outlets[2].moves.astype(float)))
    policy = Policy(total_headcount=10**6, role_pools={"wealth_manager": 10**6}, max_moves=10**6,
                    min_customer_managers=None, inside_outside=None, vip=None)
    by_group = {r.group: r for r in rules(outlets, policy)}
    rng = np.random.default_rng(100 + seed)
    for _ in range(20):
        choice = tuple(int(c) for c in rng.integers(0, 6, size=5))
        assert rule_value(by_group["pool.total"], choice) == sum(
            float(o.totals[c]) for o, c in zip(outlets, choice, strict=True))
        assert rule_value(by_group["pool.wealth_manager"], choice) == sum(
            float(o.counts[c, WM]) for o, c in zip(outlets, choice, strict=True))
        moved = sum(float(o.moves[c]) for o, c in zip(outlets, choice, strict=True))
        assert np.isnan(moved) == (choice[2] == 3)
        assert np.isnan(moved) or rule_value(by_group["transfers"], choice) == moved
    terms = by_group["transfers"].terms
    assert len(terms) == sum(int(np.count_nonzero(o.moves)) for o in outlets)


def _policies(outlets: list[OutletOptions]) -> list[Policy]:
    totals = sum(int(o.totals.mean()) for o in outlets)
    return [
        OFF,
        replace(OFF, total_headcount=totals),
        replace(OFF, role_pools={"customer_manager": 8, "cash_teller": 9}),
        replace(OFF, min_customer_managers=3),
        replace(OFF, inside_outside=RatioRule(0.8, 1.25, 1.0)),
        replace(OFF, vip=VipRule(300.0, 2.0)),
        replace(OFF, max_moves=4),
        replace(OFF, tier_monotone=True),
        replace(OFF, tier_bounds={"flagship": (20, None), "backbone": (None, 25)}),
        Policy(total_headcount=totals + 5, role_pools={"wealth_manager": 8}, min_customer_managers=2,
               inside_outside=RatioRule(0.5, 2.0, 1.0), vip=VipRule(400.0, 2.0), max_moves=8),
    ]


@pytest.mark.parametrize("objective", ["value", "value_minus_cost"])
@pytest.mark.parametrize("seed", range(6))
def test_milp_equals_brute_force(seed: int, objective: str) -> None:
    cost = np.linspace(300, 1200, len(ROLES)) if objective == "value_minus_cost" else None
    outlets = _instance(seed, cost=cost)
    feasible = 0
    for policy in _policies(outlets):
        best = brute_force(outlets, policy)
        if best is None:
            with pytest.raises(InfeasibleError):
                solve(outlets, policy)
            continue
        feasible += 1
        sol = solve(outlets, policy)
        assert sol.status == "Optimal"
        assert sol.objective == pytest.approx(best[0], rel=1e-9)
        assert sol.gap is not None
        assert sol.gap <= 1e-6
    assert feasible >= 3  # the instances exercise the solver, not only the infeasible path


def _binding_instance() -> list[OutletOptions]:
    """Two outlets where the most valuable pattern is also the one using the most people."""
    counts = np.zeros((3, len(ROLES)), dtype=int)
    counts[:, CM] = [3, 6, 9]
    counts[:, WM] = [0, 1, 2]
    inside = np.array([3, 3, 3])
    value = np.array([1_000.0, 2_000.0, 3_000.0])
    moves = np.array([0, 4, 8])
    return [OutletOptions(name=f"o{o}", tier=tier, second_level=True, vip_customers=600.0, counts=counts,
                          cm_inside=inside, value=value, moves=moves)
            for o, tier in enumerate(("flagship", "potential"))]


@pytest.mark.parametrize(("policy", "group", "check"), [
    (replace(OFF, total_headcount=16), "pool.total", lambda n: n["total"] <= 16),
    (replace(OFF, role_pools={"customer_manager": 12}), "pool.customer_manager", lambda n: n["cm"] <= 12),
    (replace(OFF, min_customer_managers=6, total_headcount=14), "min_customer_managers",
     lambda n: min(n["cms"]) >= 6),
    (replace(OFF, inside_outside=RatioRule(0.8, 1.25, 0.0)), "inside_outside",
     lambda n: all(0.8 * (c - 3) <= 3 <= 1.25 * (c - 3) for c in n["cms"])),
    (replace(OFF, max_moves=4), "transfers", lambda n: n["moves"] <= 4),
    (replace(OFF, tier_bounds={"flagship": (None, 7)}), "tier_bounds", lambda n: n["totals"][0] <= 7),
])
def test_each_rule_binds_and_is_obeyed(policy: Policy, group: str, check: object) -> None:
    outlets = _binding_instance()
    free = solve(outlets, OFF)
    sol = solve(outlets, policy)
    assert sol.objective < free.objective  # the rule costs value: it binds
    counts = [outlets[o].counts[p] for o, p in enumerate(sol.choice)]
    facts = {"total": sum(int(c.sum()) for c in counts), "cm": sum(int(c[CM]) for c in counts),
             "cms": [int(c[CM]) for c in counts], "moves": sum(int(outlets[o].moves[p]) for o, p in
                                                               enumerate(sol.choice)),
             "totals": [int(c.sum()) for c in counts]}
    assert check(facts)  # type: ignore[operator]
    assert any(r.group == group for r in rules(outlets, policy))


def test_vip_maintenance_binds() -> None:
    outlets = _binding_instance()
    outlets = [replace(o, value=o.value[::-1].copy()) for o in outlets]  # fewest people is now most valuable
    sol = solve(outlets, replace(OFF, vip=VipRule(300.0, 2.0)))
    # 600 VIPs x 2 = 1200 slots need (CM + WM) x 300 >= 1200, i.e. at least 4 maintainers: pattern 0 has 3
    assert all(outlets[o].counts[p, CM] + outlets[o].counts[p, WM] >= 4 for o, p in enumerate(sol.choice))
    assert solve(outlets, OFF).choice == (0, 0)


def test_tier_monotone_binds() -> None:
    outlets = _binding_instance()
    outlets[0] = replace(outlets[0], value=outlets[0].value[::-1].copy())  # flagship prefers few people
    sol = solve(outlets, replace(OFF, tier_monotone=True))
    totals = [outlets[o].totals[p] for o, p in enumerate(sol.choice)]
    assert totals[0] >= totals[1]
    assert solve(outlets, OFF).choice == (0, 2)


@pytest.mark.parametrize("seed", range(4))
def test_highs_and_cbc_agree(seed: int) -> None:
    outlets = _instance(100 + seed, outlets=6, patterns=8)
    policy = Policy(total_headcount=sum(int(o.totals.mean()) for o in outlets), min_customer_managers=1,
                    inside_outside=RatioRule(0.3, 3.0, 2.0), vip=None, max_moves=15)
    solutions = [solve(outlets, policy, solver=s) for s in SOLVERS]
    assert solutions[0].objective == pytest.approx(solutions[1].objective, rel=1e-9)


def test_infeasible_names_the_conflict() -> None:
    counts = np.zeros((2, len(ROLES)), dtype=int)
    counts[:, CM] = [5, 6]
    outlets = [OutletOptions(name=f"o{o}", tier="backbone", second_level=True, vip_customers=0.0, counts=counts,
                             cm_inside=np.array([2, 3]), value=np.array([1.0, 2.0]),
                             moves=np.zeros(2)) for o in range(12)]
    policy = replace(OFF, role_pools={"customer_manager": 48}, min_customer_managers=5)
    with pytest.raises(InfeasibleError) as err:
        solve(outlets, policy)
    text = "\n".join(err.value.diagnosis)
    assert "customer_manager pool 48" in text
    assert "needs 60 (12 over)" in text or "has 60 (12 over)" in text


def test_current_plan_when_no_one_may_move() -> None:
    outlets = _instance(7, outlets=4, patterns=6)
    outlets = [replace(o, moves=np.where(np.arange(6) == 2, 0, 1 + np.arange(6))) for o in outlets]
    sol = solve(outlets, replace(OFF, max_moves=0))
    assert sol.choice == (2, 2, 2, 2)


def test_solver_name_is_checked() -> None:
    with pytest.raises(ValueError, match="allowed: highs, cbc"):
        solve(_instance(1), OFF, solver="gurobi")


def test_outlet_meets_is_satisfied_of_the_outlet_rows_on_random_outlets() -> None:
    """The search's check of every combination reads the rules' coefficients directly; it must answer exactly
    as the MILP's own rows do, for every rule kind (tier bounds, minimum CMs, inside : outside both readings and
    mirrored, minimum staff, cover, VIP maintenance)."""
    rng = np.random.default_rng(3)
    checked = met = 0
    for trial in range(80):
        n = int(rng.integers(1, 40))
        counts, inside = random_patterns(rng, n, 4, 9)
        zones = ("cash_high_counter", "lobby") if trial % 2 else ()
        opt = OutletOptions(name="o", tier="backbone", second_level=bool(trial % 3),
                            vip_customers=float(trial % 4 * 30),
                            counts=counts, cm_inside=inside, value=np.zeros(n), moves=np.zeros(n),
                            min_staff={"cash_teller": 1} if trial % 5 else {}, cover_zones=zones,
                            uncovered=tuple(tuple(z for z in zones if rng.uniform() < 0.3) for _ in range(n)))
        policy = Policy(tier_bounds={"backbone": (int(rng.integers(3, 12)), int(rng.integers(12, 30)))},
                        min_customer_managers=int(rng.integers(0, 6)),
                        inside_outside=RatioRule(reading=RATIO_READINGS[trial % 2], symmetric=trial % 4 < 2),
                        vip=VipRule(book_size=float(rng.integers(5, 40))))
        want = satisfied(outlet_rules(opt, policy), n)
        got = outlet_meets(opt, policy)
        assert np.array_equal(got, want)
        checked += want.size
        met += int(want.sum())
    assert 0 < met < checked  # rules both met and broken
