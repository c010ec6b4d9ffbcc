"""Independent replications of an outlet day, summarised with 95% confidence intervals.

Replication ``r`` of seed ``s`` draws every stream from
``SeedSequence(s, spawn_key=(r, stream))``, so results do not depend on the order or
the machine replications run on, and two scenarios replicated with the same seed see
the same customers (common random numbers). The 95% interval of a KPI is the
Student-t interval of its per-day values: mean ± t(0.975, n−1)·sd/√n.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.metrics import HOUR_KPIS, OUTLET_KPIS, ROLE_KPIS, SEGMENT_KPIS, ZONE_KPIS, DayKpis, batch_kpis
from sim.model import DayLog, simulate
from sim.scenario import ROLES, ZONES, Scenario

SUMMARY_COLUMNS = ("mean", "std", "ci95_low", "ci95_high", "ci95_half_width", "n")


def summarise(values: np.ndarray) -> np.ndarray:
    """Mean, sd, 95% CI (low, high, half-width) and count over axis 0, ignoring NaN days.

    ``values`` has replications on axis 0; the result has the six summary columns
    stacked on a new last axis.
    """
    n = np.sum(np.isfinite(values), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no day had a value
        mean = np.nanmean(values, axis=0)
        sd = np.nanstd(values, axis=0, ddof=1)
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    sd = np.where(n >= 2, sd, np.nan)
    return np.stack([mean, sd, mean - half, mean + half, half, n.astype(float)], axis=-1)


def _tidy(summary: np.ndarray, index_name: str, index: list[str] | list[int], kpis: tuple[str, ...]) -> pd.DataFrame:
    """Long table: one row per (index, kpi) with the summary columns."""
    rows = summary.reshape(-1, len(SUMMARY_COLUMNS))
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame.insert(0, "kpi", np.tile(np.asarray(kpis, dtype=object), len(index)))
    frame.insert(0, index_name, np.repeat(np.asarray(index, dtype=object), len(kpis)))
    frame["n"] = frame["n"].astype(int)
    return frame


@dataclass(frozen=True)
class Replications:
    """KPIs of ``n`` replications: tidy summary tables and the per-day values.

    Summary tables have one row per (group, kpi) and the columns ``mean``, ``std``,
    ``ci95_low``, ``ci95_high``, ``ci95_half_width`` and ``n`` (days with a value):
    ``zones`` (by ``zone``), ``outlet``, ``by_hour`` (``hour`` = clock hour the
    customers arrived), ``by_segment`` and ``by_role``. ``days`` is the per-replication
    outlet KPI table (one row per replication), ``zone_days`` the per-replication zone KPIs.
    """

    scenario: Scenario
    seed: int
    n: int
    zones: pd.DataFrame
    outlet: pd.DataFrame
    by_hour: pd.DataFrame
    by_segment: pd.DataFrame
    by_role: pd.DataFrame
    days: pd.DataFrame
    zone_days: pd.DataFrame

    def table(self, which: str = "zones") -> pd.DataFrame:
        """A wide table for reading: rows = group, columns = KPI, cells = mean ± half-width."""
        frame = getattr(self, which)
        key = frame.columns[0] if which != "outlet" else None
        text = frame["mean"].map(_fmt) + " ± " + frame["ci95_half_width"].map(_fmt)
        text = text.where(frame["n"] > 1, frame["mean"].map(_fmt))
        if key is None:
            return pd.DataFrame({"mean ± 95% CI": text.to_numpy()}, index=frame["kpi"].to_numpy())
        wide: pd.DataFrame = (frame.assign(cell=text).pivot(index=key, columns="kpi", values="cell")
                              .reindex(index=pd.unique(frame[key]), columns=pd.unique(frame["kpi"])))
        return wide

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape: ``{scenario, seed, replications, zones, outlet}``."""
        def block(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
            rows = frame[["kpi", "mean", "ci95_low", "ci95_high"]].to_numpy().tolist()
            return {kpi: {"mean": _num(m), "ci95": [_num(lo), _num(hi)]} for kpi, m, lo, hi in rows}
        return {
            "scenario": self.scenario.outlet.name, "source": self.scenario.source, "seed": self.seed,
            "replications": self.n,
            "zones": {z: block(self.zones[self.zones["zone"] == z]) for z in ZONES},
            "outlet": block(self.outlet),
        }


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


#: Days whose KPIs are computed together stop growing a batch at this many visits.
_BATCH_VISITS = 200_000


def run_days(scenario: Scenario, seed: int, n: int, progress: Callable[[int], None] | None = None) -> list[DayKpis]:
    """Simulate replications ``0 … n−1`` of ``seed``; KPIs in vectorised batches of days.

    ``progress`` is called with the number of days simulated so far after each day.
    """
    kpis: list[DayKpis] = []
    batch: list[DayLog] = []
    visits = 0
    for r in range(n):
        log = simulate(scenario, seed, r)
        batch.append(log)
        visits += log.visit_zone.size
        if visits >= _BATCH_VISITS or r == n - 1:
            kpis += batch_kpis(batch)
            batch, visits = [], 0
        if progress is not None:
            progress(r + 1)
    return kpis


def replicate(
    scenario: Scenario, n: int = 30, seed: int = 0, *, progress: Callable[[int], None] | None = None,
) -> Replications:
    """Run ``n`` independent replications of the scenario's day and summarise them.

    Args:
        scenario: the outlet to simulate.
        n: number of replications (days); at least 2 for confidence intervals.
        seed: base seed; replication ``r`` uses streams spawned from ``(seed, r)``.
        progress: called with the number of finished replications after each one.
    """
    if n < 1:
        raise ValueError(f"replications: must be >= 1, got {n}")
    return collect(scenario, seed, run_days(scenario, seed, n, progress))


def collect(scenario: Scenario, seed: int, days: list[DayKpis]) -> Replications:
    """Summarise per-day KPIs (in replication order) into a :class:`Replications`."""
    zones = np.stack([d.zones for d in days])
    outlet = np.stack([d.outlet for d in days])
    hours = [f"{int((scenario.outlet.open_min + 60 * h) // 60):02d}:00" for h in range(len(scenario.rate_per_hour))]
    role_rows = [r for r in ROLES if r in scenario.roles]
    role_idx = [ROLES.index(r) for r in role_rows]
    zone_days = pd.DataFrame(zones.reshape(-1, len(ZONE_KPIS)), columns=list(ZONE_KPIS))
    zone_days.insert(0, "zone", np.tile(np.asarray(ZONES, dtype=object), len(days)))
    zone_days.insert(0, "replication", np.repeat(np.arange(len(days)), len(ZONES)))
    return Replications(
        scenario, seed, len(days),
        zones=_tidy(summarise(zones), "zone", list(ZONES), ZONE_KPIS),
        outlet=_tidy(summarise(outlet)[None], "outlet", [scenario.outlet.name], OUTLET_KPIS).drop(columns="outlet"),
        by_hour=_tidy(summarise(np.stack([d.by_hour for d in days])), "hour", hours, HOUR_KPIS),
        by_segment=_tidy(summarise(np.stack([d.by_segment for d in days])), "segment", list(scenario.segments),
                         SEGMENT_KPIS),
        by_role=_tidy(summarise(np.stack([d.by_role[role_idx] for d in days])), "role", role_rows, ROLE_KPIS),
        days=pd.DataFrame(outlet, columns=list(OUTLET_KPIS)).rename_axis("replication"),
        zone_days=zone_days,
    )
