"""branchlab's staffing optimiser: where each person should stand across a sub-branch's outlets.

::

    import optimize
    region = optimize.load_region("scenarios/region_12_outlets.toml")
    rec = optimize.recommend(region, replications=24, seed=0)   # verified Recommendation
    rec.plan, rec.kpis, rec.uplift, rec.frontier                # pandas tables and numbers
    rec.export("results/region")                                # CSV, JSON, Excel, HTML report

The method (candidate patterns, simulation on common random numbers, pruning, a
PuLP MILP solved by HiGHS, verification on fresh seeds, the head-count frontier) is
described in :mod:`optimize.recommend`; the rules in :mod:`optimize.milp`.
"""

from optimize.milp import InfeasibleError, Policy, RatioRule, VipRule
from optimize.recommend import recommend
from optimize.region import Region, load_region
from optimize.result import Recommendation
from optimize.stress import stress_test

__all__ = ["InfeasibleError", "Policy", "RatioRule", "Recommendation", "Region", "VipRule", "load_region",
           "recommend", "stress_test"]
