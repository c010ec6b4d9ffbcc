"""Outlet scorecards from simulated KPIs, quarterly outlet ranking, "mobile red flag" and penalties.

The essay's sub-branch inspects its outlets with a window-service score sheet
(窗口服务检查计分表) and each quarter gives the best outlets the "mobile red flag"
(流动红旗) and a one-off subsidy, the worst penalty points. Here the sheet is a list of
items, each reading one KPI of the quarter's simulated days:

    item score = weight × clip((kpi − worst) / (best − worst), 0, 1)

so an item earns its full weight at ``best`` or better and nothing at ``worst`` or
worse, linearly between (``best`` may be below ``worst``, for waits). The outlet score
is the sum over items (0…100 with the default weights). The KPIs a sheet can read are
:data:`SCORE_KPIS`, computed by :mod:`optimize.quarters` for each outlet and quarter.

Ranking: highest score first; ties by higher value per person, then by outlet name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.scenario import MAX_YUAN
from sim.tomlio import Table

#: Most outlets a score sheet's red-flag and penalty cuts may name.
MAX_OUTLETS = 10_000

#: KPIs of an outlet-quarter that a score sheet may read (means over the quarter's days).
SCORE_KPIS = (
    "mean_wait_min",  # wait of everyone queueing at cash, non-cash and wealth (the waiting area)
    "walkout_rate",  # (abandoned + balked + no service) / arrived
    "service_level",  # share served within target, mean over the open cash, non-cash and wealth zones
    "sales_per_person_day",
    "points_per_person_day",
    "value_per_person_day_yuan",  # value_yuan (with field marketing) / head-count present
    "arrived_per_day",
    "value_per_day_yuan",
)


@dataclass(frozen=True, slots=True)
class ScoreItem:
    """One line of the score sheet: a KPI, its weight, and the values that earn all or nothing."""

    name: str
    kpi: str
    weight: float
    best: float
    worst: float


def _default_items() -> tuple[ScoreItem, ...]:
    # All assumed, modelled on the window-service score sheet's headings.
    return (
        ScoreItem("waiting", "mean_wait_min", 25.0, 2.0, 15.0),
        ScoreItem("walk_outs", "walkout_rate", 25.0, 0.0, 0.10),
        ScoreItem("service_level", "service_level", 20.0, 0.95, 0.50),
        ScoreItem("sales", "sales_per_person_day", 15.0, 6.0, 0.0),
        ScoreItem("value", "value_per_person_day_yuan", 15.0, 3000.0, 0.0),
    )


@dataclass(frozen=True, slots=True)
class ScoreSheet:
    """Score items plus the quarterly awards: red flag and subsidy for the top, penalty for the bottom."""

    items: tuple[ScoreItem, ...] = field(default_factory=_default_items)
    red_flag_top: int = 2  # assumed ("名列前茅")
    subsidy_yuan: float = 5000.0  # assumed
    penalty_bottom: int = 2  # assumed
    penalty_points: float = 5.0  # assumed


def score(kpis: pd.DataFrame, sheet: ScoreSheet = ScoreSheet()) -> pd.DataFrame:
    """The sheet applied to each row of ``kpis``: one ``score_<item>`` column per item and ``score``.

    A missing KPI value (e.g. no wealth zone) earns the item nothing.
    """
    out = kpis.copy()
    total = np.zeros(len(out))
    for item in sheet.items:
        x = out[item.kpi].to_numpy(dtype=float)
        part = item.weight * np.clip((x - item.worst) / (item.best - item.worst), 0.0, 1.0)
        part = np.nan_to_num(part, nan=0.0)
        out[f"score_{item.name}"] = part
        total += part
    out["score"] = total
    return out


def rank_outlets(scored: pd.DataFrame, sheet: ScoreSheet = ScoreSheet()) -> pd.DataFrame:
    """Rank outlets within each ``quarter`` and mark red flags, subsidies and penalty points.

    Needs columns ``quarter``, ``outlet``, ``score`` and ``value_per_person_day_yuan``.
    Adds ``outlet_rank`` (1 = best), ``red_flag``, ``subsidy_yuan``, ``penalty_points``.
    """
    ordered = scored.sort_values(["quarter", "score", "value_per_person_day_yuan", "outlet"],
                                 ascending=[True, False, False, True], kind="stable").copy()
    ordered["outlet_rank"] = ordered.groupby("quarter").cumcount() + 1
    size = ordered.groupby("quarter")["outlet"].transform("size")
    ordered["red_flag"] = ordered["outlet_rank"] <= sheet.red_flag_top
    ordered["subsidy_yuan"] = np.where(ordered["red_flag"], sheet.subsidy_yuan, 0.0)
    bottom = ordered["outlet_rank"] > size - sheet.penalty_bottom
    ordered["penalty_points"] = np.where(bottom & ~ordered["red_flag"], sheet.penalty_points, 0.0)
    return ordered.reindex(scored.index)


def _item(name: str, t: Table) -> ScoreItem:
    item = ScoreItem(name, t.string("kpi", choices=SCORE_KPIS), t.number("weight", ge=0.0, le=100.0),
                     t.number("best", ge=-MAX_YUAN, le=MAX_YUAN), t.number("worst", ge=-MAX_YUAN, le=MAX_YUAN))
    if item.best == item.worst:
        raise t.fail("worst", f"must differ from best ({item.best:g}): the item needs a range to score over")
    t.finish()
    return item


def score_sheet(t: Table) -> ScoreSheet:
    """Read the ``[scorecard]`` table; ``[scorecard.items.NAME]`` replace the default items when given."""
    d = ScoreSheet()
    items = tuple(_item(name, sub) for name, sub in t.subtables("items")) if t.has("items") else d.items
    total = sum(i.weight for i in items)
    if abs(total - 100.0) > 1e-6:
        raise t.fail("items", f"the items' weights must sum to 100 (the score is out of 100), got {total:g}")
    sheet = ScoreSheet(items, t.integer("red_flag_top", d.red_flag_top, le=MAX_OUTLETS),
                       t.number("subsidy_yuan", d.subsidy_yuan, ge=0.0, le=MAX_YUAN),
                       t.integer("penalty_bottom", d.penalty_bottom, le=MAX_OUTLETS),
                       t.number("penalty_points", d.penalty_points, ge=0.0, le=MAX_YUAN))
    t.finish()
    return sheet
