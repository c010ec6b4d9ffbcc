"""Dominance pruning keeps a pattern the regional outside-staff rule may need (found by the issue-19 review).

Pattern b "dominates" a when it has no more people anywhere, meets every rule a meets, moves no
more and is worth more. The outside-staff rule is regional and ">=" (a share of outlets with at
least N outside): a pattern with fewer people outside can break it, so it may not replace one that
counts toward the rule."""

from __future__ import annotations

import numpy as np

from optimize.milp import OutletOptions, OutsideRule, Policy, outlet_rules, satisfied
from optimize.stages import _dominates
from sim.codes import ROLES

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
    return _dominates(policy, opt, ok, opt.counts.sum(axis=1), 1, 0)


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
