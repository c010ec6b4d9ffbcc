"""Dominance pruning keeps a pattern the regional outside-staff rule may need (found by the issue-19 review).

Pattern b "dominates" a when it has no more people anywhere, meets every rule a meets, moves no
more and is worth more. The outside-staff rule is regional and ">=" (a share of outlets with at
least N outside): a pattern with fewer people outside can break it, so it may not replace one that
counts toward the rule."""

from __future__ import annotations

import numpy as np

from optimize.milp import OutletOptions, OutsideRule, Policy, outlet_rules, satisfied
from optimize.stages import dominance
from sim.codes import ROLES
from tests.conftest import random_patterns

CM = ROLES.index("customer_manager")


def _two_patterns(outside_a: int, outside_b: int) -> OutletOptions:
    counts = np.zeros((2, len(ROLES)), dtype=int)
    counts[:, CM] = 10
    inside = np.array([10 - outside_a, 10 - outside_b])
    if outside_b < outside_a:  # b has fewer outside: give it fewer CMs (fewer people), more value
        counts[1, CM] = 10 - (outside_a - outside_b)
        inside[1] = inside[0]
    return OutletOptions(name="o", tier="backbone", second_level=True, vip_customers=0.0, counts=counts,
                         cm_inside=inside, value=np.array([100.0, 110.0]), moves=np.zeros(2))


def _b_dominates_a(policy: Policy, opt: OutletOptions) -> bool:
    ok = satisfied(outlet_rules(opt, policy), 2)
    return bool(dominance(policy, opt, ok, opt.counts.sum(axis=1))[1, 0])


def test_fewer_outside_does_not_dominate_under_the_outside_rule() -> None:
    plain = Policy(min_customer_managers=None, inside_outside=None, vip=None)
    ruled = Policy(min_customer_managers=None, inside_outside=None, vip=None,
                   outside_staff=OutsideRule(min_people=7, share=1 / 3))
    counts_toward, falls_short = _two_patterns(7, 6), _two_patterns(7, 6)
    assert _b_dominates_a(plain, counts_toward)       # no regional rule: fewer people, more value
    assert not _b_dominates_a(ruled, falls_short)     # a counts toward the rule, b would not
    below = _two_patterns(5, 4)                       # neither counts: the rule cannot tell them apart
    assert _b_dominates_a(ruled, below)
    above = _two_patterns(9, 8)                       # both count
    assert _b_dominates_a(ruled, above)


def _dominates_one(policy: Policy, opt: OutletOptions, ok: np.ndarray, b: int, a: int) -> bool:
    """The definition, one pair at a time."""
    out = opt.counts[:, CM] - opt.cm_inside
    if np.array_equal(opt.counts[a], opt.counts[b]) and opt.cm_inside[a] == opt.cm_inside[b]:
        return False
    if not (np.all(opt.counts[b] <= opt.counts[a]) and opt.cm_inside[b] <= opt.cm_inside[a] and out[b] <= out[a]):
        return False
    if np.any(ok[a] & ~ok[b]) or (policy.max_moves is not None and opt.moves[b] > opt.moves[a]):
        return False
    if policy.tier_monotone and opt.counts[b].sum() != opt.counts[a].sum():
        return False
    if policy.outside_staff is not None and out[a] >= policy.outside_staff.min_people > out[b]:
        return False
    return bool(opt.value[b] > opt.value[a] or (opt.value[b] == opt.value[a] and b < a))


def test_the_matrix_is_the_pairwise_definition_on_random_patterns() -> None:
    rng = np.random.default_rng(19)
    policies = [Policy(vip=None), Policy(vip=None, max_moves=3, tier_monotone=True),
                Policy(vip=None, outside_staff=OutsideRule(min_people=2, share=0.5))]
    pairs = dominated = 0
    for trial in range(60):
        n = int(rng.integers(2, 25))
        counts, inside = random_patterns(rng, n, 3, 5)
        value = rng.choice([100.0, 110.0, 120.0], size=n)  # ties on purpose
        opt = OutletOptions(name="o", tier="backbone", second_level=True, vip_customers=0.0, counts=counts,
                            cm_inside=inside, value=value, moves=rng.integers(0, 5, size=n) / 2.0)
        policy = policies[trial % len(policies)]
        ok = satisfied(outlet_rules(opt, policy), n)
        got = dominance(policy, opt, ok, counts.sum(axis=1))
        want = np.array([[_dominates_one(policy, opt, ok, b, a) for a in range(n)] for b in range(n)])
        assert np.array_equal(got, want)
        pairs += n * n
        dominated += int(want.sum())
    assert 0 < dominated < pairs  # the cases were not all one way
