"""branchlab's staffing optimiser: where each person should stand across a sub-branch's outlets.

::

    import optimize
    region = optimize.load_region("scenarios/region_12_outlets.toml")
    rec = optimize.recommend(region, replications=24, seed=0)   # verified Recommendation
    rec.plan, rec.kpis, rec.uplift, rec.frontier                # pandas tables and numbers
    rec.export("results/region")                                # CSV, JSON, Excel, HTML report

The method (candidate patterns, simulation on common random numbers, pruning, a
PuLP MILP solved by HiGHS, verification on fresh seeds, the head-count frontier) is
described in :mod:`optimize.method`; the rules in :mod:`optimize.milp`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import install

if TYPE_CHECKING:
    from optimize.method import recommend
    from optimize.milp import InfeasibleError, Policy, RatioRule, VipRule
    from optimize.region import Region, load_region
    from optimize.result import Recommendation
    from optimize.stress import stress_test

#: Where each public name lives; loaded on first use (PEP 562), so ``optimize.bounds`` stays light.
_HOME = {"InfeasibleError": "optimize.milp", "Policy": "optimize.milp", "RatioRule": "optimize.milp",
         "VipRule": "optimize.milp", "recommend": "optimize.method", "Region": "optimize.region",
         "load_region": "optimize.region", "Recommendation": "optimize.result", "stress_test": "optimize.stress"}

__all__ = ["InfeasibleError", "Policy", "RatioRule", "Recommendation", "Region", "VipRule", "load_region",
           "recommend", "stress_test"]

install(__name__, _HOME)
