"""A small hand-made :class:`optimize.Recommendation` for the export and chart tests.

Three outlets (one name with HTML metacharacters), the documented columns of every
table, and the awkward values real runs produce: NaN KPIs (the region's pooled service
level), a pattern dropped before simulation (no estimate), an infeasible frontier point.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from optimize.result import Recommendation
from sim.codes import ROLES

OUTLETS = (("Central Plaza", "flagship"), ("Old Town <2> & Co", "backbone"), ("Harbour", "potential"))
#: (role, placement) → (current, recommended) per outlet, in OUTLETS order.
PLAN = {
    ("outlet_head", "all"): ((1, 1), (1, 1), (1, 1)),
    ("cash_teller", "all"): ((4, 3), (3, 3), (2, 2)),
    ("low_counter_teller", "all"): ((3, 3), (2, 3), (1, 1)),
    ("customer_manager", "inside"): ((6, 4), (5, 3), (3, 2)),
    ("customer_manager", "outside"): ((0, 3), (0, 2), (1, 2)),
    ("wealth_manager", "all"): ((2, 2), (1, 1), (0, 0)),
}
KPIS = ("objective", "walkout_rate", "cash.service_level")


def plan_frame() -> pd.DataFrame:
    """The plan table: one row per outlet, role and placement."""
    rows = []
    for o, (outlet, tier) in enumerate(OUTLETS):
        for (role, placement), counts in PLAN.items():
            now, rec = counts[o]
            rows.append({"outlet": outlet, "tier": tier, "role": role, "placement": placement, "current": now,
                         "recommended": rec, "change": rec - now})
    return pd.DataFrame(rows)


def kpi_frame() -> pd.DataFrame:
    """Verification KPIs of both plans per outlet and for the region (pooled service level unknown: NaN)."""
    rows = []
    for p, plan in enumerate(("current", "recommended")):
        for o, (outlet, _) in enumerate((*OUTLETS, ("region", ""))):
            for k, kpi in enumerate(KPIS):
                mean = 1000.0 * (o + 2) + 150.0 * p if kpi == "objective" else 0.04 + 0.01 * k - 0.005 * p
                if outlet == "region" and kpi == "objective":
                    mean = sum(1000.0 * (i + 2) + 150.0 * p for i in range(len(OUTLETS)))
                half = 40.0 + 5 * o if kpi == "objective" else 0.01
                if outlet == "region" and kpi != "objective":
                    mean = half = math.nan
                rows.append({"plan": plan, "outlet": outlet, "kpi": kpi, "mean": mean, "ci95_low": mean - half,
                             "ci95_high": mean + half, "n": 12})
    return pd.DataFrame(rows)


def _pattern(outlet: str, i: int, counts: dict[str, int], status: str, chosen: bool,
             objective: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"outlet": outlet, "pattern": i, "origin": "current" if i == 0 else "single move"}
    row.update({r: counts.get(r, 0) for r in ROLES})
    inside = counts.get("customer_manager", 0) - i % 2
    total = sum(counts.values())
    row.update({"cm_inside": inside, "cm_outside": counts.get("customer_manager", 0) - inside, "total": total,
                "moves": i})
    nan = objective is None
    row.update({"objective_mean": math.nan if nan else objective,
                "objective_ci95_low": math.nan if nan else objective - 50.0,
                "objective_ci95_high": math.nan if nan else objective + 50.0,
                "replications": 0 if nan else 4 + 8 * (i % 2),
                "cash.service_level": math.nan if nan else 0.8 + 0.01 * i,
                "walkout_rate": math.nan if nan else 0.05 - 0.002 * i, "status": status, "chosen": chosen})
    return row


def candidate_frame() -> pd.DataFrame:
    """Four patterns per outlet: today's, a kept one (chosen), one pruned, one dropped analytically."""
    rows = []
    for o, (outlet, _) in enumerate(OUTLETS):
        base = {role: sum(c[o][0] for (r, _), c in PLAN.items() if r == role) for role, _ in PLAN}
        fates = (("kept", False, 2000.0 + 1000 * o), ("kept", True, 2150.0 + 1000 * o),
                 ("pruned: dominated by pattern 1", False, 1900.0 + 1000 * o),
                 ("dropped: cash needs 3 tellers", False, None))
        for i, (status, chosen, objective) in enumerate(fates):
            counts = {**base, "cash_teller": base["cash_teller"] + (i - 1)}
            rows.append(_pattern(outlet, i, counts, status, chosen, objective))
    return pd.DataFrame(rows)


def constraint_frame() -> pd.DataFrame:
    """Three policy rules, one binding."""
    return pd.DataFrame({
        "group": ["pool", "ratio", "transfer"],
        "rule": ["customer_manager pool <= 20", "Old Town <2> & Co: inside >= 0.8 outside", "moves <= 6"],
        "sense": ["<=", ">=", "<="], "limit": [20.0, 0.0, 6.0], "value": [19.0, 1.4, 6.0],
        "binding": [False, False, True]})


def frontier_frame() -> pd.DataFrame:
    """Budgets today − 2 … today + 2 (today 37), the lowest infeasible."""
    objective = [math.nan, 6200.0, 6450.0, 6600.0, 6650.0]
    frame = pd.DataFrame({"budget": [35, 36, 37, 38, 39], "delta": [-2, -1, 0, 1, 2],
                          "status": ["Infeasible", "Optimal", "Optimal", "Optimal", "Optimal"],
                          "objective": objective})
    frame["marginal_yuan"] = frame["objective"].diff()
    return frame


def make_recommendation(**changes: Any) -> Recommendation:
    """The fake recommendation; keyword arguments replace fields (e.g. ``plan=...``)."""
    fields: dict[str, Any] = {
        "region": "Test sub-branch", "source": "regions/test.toml", "status": "Optimal", "objective": 6450.0,
        "bound": 6450.3, "gap": 4.6e-8, "gap_limit": 1e-6, "solver": "highs", "seed": 7, "replications": 12,
        "plan": plan_frame(), "candidates": candidate_frame(), "kpis": kpi_frame(),
        "uplift": {"mean": 450.0, "ci95_low": 380.5, "ci95_high": 519.5, "predicted": 520.0,
                   "share_realised": 450.0 / 520.0},
        "constraints": constraint_frame(), "frontier": frontier_frame(),
        "counts": {"generated": 12, "dropped_analytic": 3, "simulated": 9, "kept": 6},
        "timings": {"evaluate": 12.5, "solve_and_verify": 3.25, "frontier": 0.5}, "verification_rounds": 1,
        "headcount": {"current": 36, "recommended": 37, "budget": 37}, "binding": ("moves <= 6",),
    }
    fields.update(changes)
    return Recommendation(**fields)
