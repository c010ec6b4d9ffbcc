"""The fake recommendation of :mod:`tests.fake_recommendation` with what a real run adds for the output tests.

A service table (walk-out rate and the cash zone's service level per outlet and for the
region, one outlet worse beyond noise), a transfer list, and optionally Chinese outlet
names (网点 names), applied to every table that names outlets.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimize.result import Recommendation
from optimize.tables import SERVICE_COLUMNS
from tests.fake_recommendation import OUTLETS, make_recommendation

#: Chinese names for the fake's three outlets, in OUTLETS order.
CHINESE = ("中央广场支行", "老城区<2>支行", "港湾支行")


def service_frame(outlets: tuple[str, ...]) -> pd.DataFrame:
    """Walk-out rate and cash service level, today and recommended, for each outlet and the region."""
    rows = []
    for o, outlet in enumerate((*outlets, "region")):
        for k, kpi in enumerate(("walkout_rate", "cash.service_level")):
            now = 0.05 + 0.01 * o if k == 0 else 0.90 - 0.02 * o
            rec = now - 0.004 if k == 0 else now + 0.01
            worse = outlet == outlets[1] and k == 1
            if worse:
                rec = now - 0.05
            change = rec - now
            rows.append(dict(zip(SERVICE_COLUMNS, (outlet, kpi, now, now - 0.01, now + 0.01, rec, rec - 0.01,
                                                   rec + 0.01, change, change - 0.004, change + 0.004 if not worse
                                                   else change + 0.01, worse), strict=True)))
    return pd.DataFrame(rows, columns=list(SERVICE_COLUMNS))


def transfer_frame(outlets: tuple[str, ...]) -> pd.DataFrame:
    """One transfer between outlets and one move outside."""
    return pd.DataFrame({"from_outlet": [outlets[0], outlets[1]], "to_outlet": [outlets[1], outlets[1]],
                         "role": ["cash_teller", "customer_manager"], "placement": ["all", "inside -> outside"],
                         "people": [1, 2], "kind": ["transfer", "transfer"]})


def full_recommendation(chinese: bool = False, **changes: Any) -> Recommendation:
    """The fake recommendation with service and transfers; ``chinese`` renames its outlets (CHINESE)."""
    names = CHINESE if chinese else tuple(o for o, _ in OUTLETS)
    rec = make_recommendation()
    rename = dict(zip((o for o, _ in OUTLETS), names, strict=True))
    fields: dict[str, Any] = {
        "plan": rec.plan.assign(outlet=rec.plan["outlet"].map(rename)),
        "kpis": rec.kpis.assign(outlet=rec.kpis["outlet"].map(lambda o: rename.get(o, o))),
        "candidates": rec.candidates.assign(outlet=rec.candidates["outlet"].map(rename)),
        "service": service_frame(names), "transfers": transfer_frame(names),
        "stability": {"tolerance_yuan": 60.0, "best_estimate_yuan": 6500.0, "chosen_estimate_yuan": 6450.0,
                      "moves_best": 9.0, "moves_chosen": 7.0},
    }
    fields.update(changes)
    return make_recommendation(**fields)
