"""Independent replications of an outlet day, summarised with 95% confidence intervals.

Replication ``r`` of seed ``s`` draws every stream from
``SeedSequence(s, spawn_key=(r, stream))``, so results do not depend on the order or
the machine replications run on, and two scenarios replicated with the same seed see
the same customers (common random numbers). The 95% interval of a KPI is the
Student-t interval of its per-day values: mean ± t(0.975, n−1)·sd/√n.

Replications can run on any executor of :mod:`sim.executors`: the days are cut into
chunks of consecutive replications, each chunk runs where the executor puts it, and
the chunks are put back in replication order, so the result is bit-identical to a
serial run.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from sim.codes import ROLES, ZONES
from sim.executors import Executor, make_executor
from sim.metrics import HOUR_KPIS, OUTLET_KPIS, ROLE_KPIS, SEGMENT_KPIS, ZONE_KPIS, DayKpis, batch_kpis
from sim.model import DayLog, simulate
from sim.scenario import format_clock
from sim.scenario_types import Scenario
from sim.student_t import t_quantile

SUMMARY_COLUMNS = ("mean", "std", "ci95_low", "ci95_high", "ci95_half_width", "n")
#: The most replications one call runs (about 2 KB of KPIs are kept per day).
MAX_REPLICATIONS = 100_000


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
        half = _t975(np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    sd = np.where(n >= 2, sd, np.nan)
    return np.stack([mean, sd, mean - half, mean + half, half, n.astype(float)], axis=-1)


@dataclass(frozen=True, slots=True)
class Interval:
    """One series' summary (:func:`summarise`) read by name: mean, sd, the 95% CI and its half-width, days."""

    mean: float
    std: float
    low: float
    high: float
    half_width: float
    n: int


def interval(values: np.ndarray) -> Interval:
    """The summary of a 1-D series of per-day values (NaN days left out), by name.

    A series of two or more days without NaN (the optimiser's case, hundreds of thousands of calls in a
    province) takes a direct path with the same arithmetic as :func:`summarise`'s (the same sums in the
    same order, so the same bits) without its masks and warning filters."""
    x = np.asarray(values, dtype=float)
    n = x.shape[0]
    if n >= 2 and np.isfinite(x).all():
        mean = float(np.sum(x) / n)
        d = x - mean
        sd = math.sqrt(float(np.sum(d * d)) / (n - 1))
        half = _t975_of(n - 1) * sd / math.sqrt(n)
        return Interval(mean, sd, mean - half, mean + half, half, n)
    s = summarise(x[:, None])[0]
    return Interval(float(s[0]), float(s[1]), float(s[2]), float(s[3]), float(s[4]), int(s[5]))


@cache
def _t975_of(df: int) -> float:
    """t(0.975, df) for one whole number of degrees of freedom, computed once."""
    return t_quantile(0.975, df)


def _t975(df: np.ndarray) -> np.ndarray:
    """t(0.975, df) elementwise, computed once per distinct number of degrees of freedom."""
    distinct, where = np.unique(df, return_inverse=True)
    quantiles = np.array([_t975_of(int(d)) for d in distinct])
    return quantiles[where].reshape(df.shape)


def _tidy(summary: np.ndarray, index_name: str, index: list[str] | list[int], kpis: tuple[str, ...]) -> pd.DataFrame:
    """Long table: one row per (index, kpi) with the summary columns."""
    rows = summary.reshape(-1, len(SUMMARY_COLUMNS))
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame.insert(0, "kpi", np.tile(np.asarray(kpis, dtype=object), len(index)))
    frame.insert(0, index_name, np.repeat(np.asarray(index, dtype=object), len(kpis)))
    frame["n"] = frame["n"].astype(int)
    return frame


@dataclass(kw_only=True, frozen=True)
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
        """The ``--json`` shape: ``{scenario, source, seed, replications, zones, outlet, by_hour,
        by_segment, by_role}``; every KPI is ``{"mean": m, "ci95": [low, high]}`` (``None`` when
        undefined), grouped by zone, hour label, segment or role."""
        return {
            "scenario": self.scenario.outlet.name, "source": self.scenario.source, "seed": self.seed,
            "replications": self.n, "zones": _grouped(self.zones), "outlet": _kpi_block(self.outlet),
            **{which: _grouped(getattr(self, which)) for which in ("by_hour", "by_segment", "by_role")},
        }


def _kpi_block(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{kpi: {"mean", "ci95": [low, high]}}`` from the rows of a summary table."""
    rows = frame[["kpi", "mean", "ci95_low", "ci95_high"]].to_numpy().tolist()
    return {kpi: {"mean": _num(m), "ci95": [_num(lo), _num(hi)]} for kpi, m, lo, hi in rows}


def _grouped(frame: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """:func:`_kpi_block` per group of a summary table (its first column), in table order."""
    key = frame.columns[0]
    return {str(group): _kpi_block(frame[frame[key] == group]) for group in pd.unique(frame[key])}


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


#: Days whose KPIs are computed together stop growing a batch at this many visits.
_BATCH_VISITS = 200_000


#: A parallel run cuts the days into about this many chunks per worker (load balance
#: on a busy machine against the cost of shipping the scenario with each chunk).
_CHUNKS_PER_WORKER = 8


def run_days(scenario: Scenario, seed: int, n: int, progress: Callable[[int], None] | None = None, *,
             first: int = 0) -> list[DayKpis]:
    """Simulate replications ``first … first+n−1`` of ``seed``; KPIs in vectorised batches of days.

    ``progress`` is called with the number of days simulated so far after each day.
    """
    kpis: list[DayKpis] = []
    batch: list[DayLog] = []
    visits = 0
    for k, r in enumerate(range(first, first + n)):
        log = simulate(scenario, seed, r)
        batch.append(log)
        visits += log.visit_zone.size
        if visits >= _BATCH_VISITS or k == n - 1:
            kpis += batch_kpis(batch)
            batch, visits = [], 0
        if progress is not None:
            progress(k + 1)
    return kpis


def _run_chunk(task: tuple[Scenario, int, int, int]) -> tuple[int, list[DayKpis]]:
    """One executor task: replications ``first … first+n−1``, returned with ``first``."""
    scenario, seed, first, n = task
    return first, run_days(scenario, seed, n, first=first)


def run_days_on(pool: Executor, scenario: Scenario, seed: int, n: int,
                progress: Callable[[int], None] | None = None) -> list[DayKpis]:
    """:func:`run_days` with chunks of consecutive days on ``pool``; results in replication order.

    ``progress`` is called with the number of days finished so far after each chunk.
    """
    size = max(1, math.ceil(n / (_CHUNKS_PER_WORKER * max(pool.workers, 1))))
    tasks = ((scenario, seed, first, min(size, n - first)) for first in range(0, n, size))
    chunks: dict[int, list[DayKpis]] = {}
    done = 0
    for first, kpis in pool.imap(_run_chunk, tasks):
        chunks[first] = kpis
        done += len(kpis)
        if progress is not None:
            progress(done)
    return [day for first in sorted(chunks) for day in chunks[first]]


def replicate(
    scenario: Scenario, n: int = 30, seed: int = 0, *, progress: Callable[[int], None] | None = None,
    executor: str | Executor = "serial", workers: int | None = None,
) -> Replications:
    """Run ``n`` independent replications of the scenario's day and summarise them.

    Args:
        scenario: the outlet to simulate.
        n: number of replications (days), 1 … :data:`MAX_REPLICATIONS`; at least 2 for
            confidence intervals.
        seed: base seed (≥ 0); replication ``r`` uses streams spawned from ``(seed, r)``.
        progress: called with the number of finished replications (after each day when
            serial, after each chunk of days otherwise).
        executor: ``"serial"`` (this process), ``"processes"``, ``"dask"`` (a LocalCluster),
            or an :class:`~sim.executors.Executor` already running (left open). Any executor
            gives a result bit-identical to the serial one.
        workers: worker processes for a named executor (default: all cores).
    """
    if not 1 <= n <= MAX_REPLICATIONS:
        raise ValueError(f"replications: must be from 1 to {MAX_REPLICATIONS:,}, got {n}")
    if seed < 0:
        raise ValueError(f"seed: must be >= 0, got {seed}")
    if executor == "serial":
        return collect(scenario, seed, run_days(scenario, seed, n, progress))
    if not isinstance(executor, str):
        return collect(scenario, seed, run_days_on(executor, scenario, seed, n, progress))
    pool = make_executor(executor, workers)
    try:
        return collect(scenario, seed, run_days_on(pool, scenario, seed, n, progress))
    finally:
        pool.close()


def collect(scenario: Scenario, seed: int, days: list[DayKpis]) -> Replications:
    """Summarise per-day KPIs (in replication order) into a :class:`Replications`."""
    zones = np.stack([d.zones for d in days])
    outlet = np.stack([d.outlet for d in days])
    hours = [format_clock(scenario.outlet.open_min + 60 * h) for h in range(len(scenario.rate_per_hour))]
    role_rows = [r for r in ROLES if r in scenario.roles]
    role_idx = [ROLES.index(r) for r in role_rows]
    zone_days = pd.DataFrame(zones.reshape(-1, len(ZONE_KPIS)), columns=list(ZONE_KPIS))
    zone_days.insert(0, "zone", np.tile(np.asarray(ZONES, dtype=object), len(days)))
    zone_days.insert(0, "replication", np.repeat(np.arange(len(days)), len(ZONES)))
    return Replications(
        scenario=scenario, seed=seed, n=len(days),
        zones=_tidy(summarise(zones), "zone", list(ZONES), ZONE_KPIS),
        outlet=_tidy(summarise(outlet)[None], "outlet", [scenario.outlet.name], OUTLET_KPIS).drop(columns="outlet"),
        by_hour=_tidy(summarise(np.stack([d.by_hour for d in days])), "hour", hours, HOUR_KPIS),
        by_segment=_tidy(summarise(np.stack([d.by_segment for d in days])), "segment", list(scenario.segments),
                         SEGMENT_KPIS),
        by_role=_tidy(summarise(np.stack([d.by_role[role_idx] for d in days])), "role", role_rows, ROLE_KPIS),
        days=pd.DataFrame(outlet, columns=list(OUTLET_KPIS)).rename_axis("replication"),
        zone_days=zone_days,
    )
