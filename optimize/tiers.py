"""Outlet tiers (网点位阶) from business scale and marketing results.

The essay's sub-branch ranks its outlets "by business scale and marketing results"
into flagship (龙头), backbone (骨干), advancing (进位) and potential (潜力) outlets, and
allocates staff by tier. Two configurable ways to classify, both reading two KPIs of
:data:`optimize.scorecard.SCORE_KPIS` (defaults: customers per day for scale, value
per day for results):

- ``thresholds`` (default): an outlet is in the highest tier whose minimum scale *and*
  minimum results it meets; below every minimum it is a potential outlet.
- ``quantiles``: a composite = ``scale_weight`` × percentile rank of scale +
  (1 − ``scale_weight``) × percentile rank of results among the outlets classified;
  the composite's quantile cuts (default quartiles) separate the tiers. Relative: one
  outlet's tier depends on the others.

:func:`tier_moves` reports outlets whose simulated results put them in another tier
than the one they carry.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimize.scorecard import SCORE_KPIS
from sim.codes import TIERS
from sim.tomlio import Table

METHODS = ("thresholds", "quantiles")


def _default_thresholds() -> dict[str, tuple[float, float]]:
    # (minimum customers per day, minimum value per day in yuan) — assumed, between the
    # shipped tier scenarios' simulated means.
    return {"flagship": (500.0, 40000.0), "backbone": (320.0, 24000.0), "advancing": (200.0, 12000.0)}


@dataclass(frozen=True, slots=True)
class TierRules:
    """How to classify outlets; ``quantile_cuts`` are ascending (potential below the first)."""

    method: str = "thresholds"
    scale_kpi: str = "arrived_per_day"
    results_kpi: str = "value_per_day_yuan"
    thresholds: dict[str, tuple[float, float]] = field(default_factory=_default_thresholds)
    scale_weight: float = 0.5
    quantile_cuts: tuple[float, float, float] = (0.25, 0.50, 0.75)


def classify(kpis: pd.DataFrame, rules: TierRules = TierRules()) -> pd.Series:
    """The tier of each row of ``kpis`` (columns ``rules.scale_kpi`` and ``rules.results_kpi``)."""
    scale = kpis[rules.scale_kpi].to_numpy(dtype=float)
    results = kpis[rules.results_kpi].to_numpy(dtype=float)
    tiers = np.full(len(kpis), "potential", dtype=object)
    if rules.method == "thresholds":
        for tier in reversed(TIERS[:-1]):  # lowest first, so higher tiers overwrite
            lo_scale, lo_results = rules.thresholds[tier]
            tiers[(scale >= lo_scale) & (results >= lo_results)] = tier
        return pd.Series(tiers, index=kpis.index, name="tier")
    composite = (rules.scale_weight * pd.Series(scale).rank(pct=True)
                 + (1 - rules.scale_weight) * pd.Series(results).rank(pct=True)).to_numpy()
    cuts = np.quantile(composite, rules.quantile_cuts)
    level = np.searchsorted(cuts, composite, side="left")  # 0 = potential … 3 = flagship
    return pd.Series(np.asarray(TIERS[::-1], dtype=object)[level], index=kpis.index, name="tier")


def tier_moves(kpis: pd.DataFrame, rules: TierRules = TierRules()) -> pd.DataFrame:
    """Rows of ``kpis`` (with a ``tier`` column) whose simulated tier differs: ``tier`` → ``simulated_tier``."""
    out = kpis.assign(simulated_tier=classify(kpis, rules))
    moved = out[out["simulated_tier"] != out["tier"]]
    up = moved["simulated_tier"].map(TIERS.index) < moved["tier"].map(TIERS.index)
    return moved.assign(direction=np.where(up, "up", "down"))


def tier_rules(t: Table) -> TierRules:
    """Read the ``[tiers]`` table; ``[tiers.thresholds.TIER]`` give ``min_scale`` and ``min_results``."""
    d = TierRules()
    thresholds = dict(d.thresholds)
    for tier, sub in t.subtables("thresholds", TIERS[:-1]):
        thresholds[tier] = (sub.number("min_scale", ge=0.0), sub.number("min_results", ge=0.0))
        sub.finish()
    order = [thresholds[tier] for tier in TIERS[:-1]]
    if any(lo[0] < hi[0] or lo[1] < hi[1] for lo, hi in itertools.pairwise(order)):
        raise t.fail("thresholds", "minimums must not increase from flagship to backbone to advancing")
    cuts = t.raw("quantile_cuts", list(d.quantile_cuts))
    if not (isinstance(cuts, list) and len(cuts) == 3 and all(isinstance(c, int | float) for c in cuts)
            and 0 < cuts[0] < cuts[1] < cuts[2] < 1):
        raise t.fail("quantile_cuts", f"expected three increasing numbers in (0, 1), got {cuts!r}")
    rules = TierRules(t.string("method", d.method, METHODS), t.string("scale_kpi", d.scale_kpi, SCORE_KPIS),
                      t.string("results_kpi", d.results_kpi, SCORE_KPIS), thresholds,
                      t.probability("scale_weight", d.scale_weight), (float(cuts[0]), float(cuts[1]), float(cuts[2])))
    t.finish()
    return rules
