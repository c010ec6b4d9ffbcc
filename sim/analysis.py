"""Tables for reading a simulated day: profiles through the day, value flows, paired differences.

The KPIs of :mod:`sim.metrics` summarise each day in one number per zone or role. The
planner's charts (:mod:`sim.plots`) also need the day's shape and where value goes:

- :func:`queue_profile`: the time-average number of customers waiting in each zone's
  queue, per time bin (customers), per replication;
- :func:`utilisation_profile`: per role and clock hour, busy server-minutes over
  on-duty minutes;
- :func:`wait_samples`: every counted wait, by zone (the waits behind ``mean_wait_min``);
- :func:`value_breakdown`: value earned by source (fees by zone, products by the role
  that sold them, field marketing) and value lost by segment, per day (yuan);
- :func:`paired_difference`: the mean difference of a KPI between two variants run on
  common random numbers, with its 95% Student-t interval;
- :func:`sobol_sensitivity`: variance-based Sobol indices with bootstrap intervals;
- :func:`per_day`: one KPI's per-replication values from a :class:`~sim.replicate.Replications`.

Each table re-adds to the matching KPI of :func:`sim.metrics.day_kpis` (the tests check
it): a profile's time average is ``queue_len_mean``, busy over duty summed over the
day is the role's ``utilisation``, the waits' mean is ``mean_wait_min``, and the value
earned and lost are ``value_yuan`` and ``value_lost_yuan``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.codes import ROLES, SERVICE_ZONES, ZONES, VisitKind, VisitStatus
from sim.daylog import DayLog, wait_end_min
from sim.layout import duty_table, on_duty_parts
from sim.metrics import SEGMENT_KPIS, batch_kpis, credit_sales
from sim.replicate import Replications
from sim.student_t import t_quantile


def _overlap(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Minutes each interval [starts, ends] spends in each bin of ``edges``: (intervals, bins)."""
    lo, hi = edges[:-1][None, :], edges[1:][None, :]
    out: np.ndarray = np.clip(ends[:, None], lo, hi) - np.clip(starts[:, None], lo, hi)
    return out


def _end_of_day(log: DayLog) -> float:
    """The end of a day's window: closing time, or the last service end if later (min from opening)."""
    ends = log.visit_end_min[np.isfinite(log.visit_end_min)]
    return float(max(log.scenario.outlet.day_min, ends.max(initial=0.0)))


def _edges(logs: Sequence[DayLog], bin_min: float) -> np.ndarray:
    """Bin edges from opening, covering the longest day of ``logs``."""
    horizon = max(_end_of_day(log) for log in logs)
    return np.arange(math.ceil(horizon / bin_min) + 1) * bin_min


def queue_profile(logs: Sequence[DayLog], bin_min: float = 15.0) -> pd.DataFrame:
    """Time-average number waiting in each service zone's queue, per time bin and replication.

    A visit waits from joining its queue until its wait ends (service start, walk-out,
    balk; the end of the day if never). Columns: ``replication`` (position in ``logs``),
    ``zone``, ``start_min`` (bin start, minutes from opening), ``queue_len`` (customers).
    Zones the outlet does not have are left out. Bins beyond a day's end count as empty.
    """
    if bin_min <= 0:
        raise ValueError(f"bin_min: must be > 0, got {bin_min}")
    edges = _edges(logs, bin_min)
    frames = []
    for r, log in enumerate(logs):
        left = wait_end_min(log.visit_start_min, log.visit_end_min)
        left = np.where(np.isnan(left), _end_of_day(log), left)
        minutes = _overlap(log.visit_join_min, left, edges)
        for z, zone in enumerate(SERVICE_ZONES):
            if not log.scenario.zone_open(zone):
                continue
            frames.append(pd.DataFrame({"replication": r, "zone": zone, "start_min": edges[:-1],
                                        "queue_len": minutes[log.visit_zone == z].sum(axis=0) / bin_min}))
    return pd.concat(frames, ignore_index=True)


def utilisation_profile(logs: Sequence[DayLog]) -> pd.DataFrame:
    """Busy and on-duty minutes of each role inside the outlet, per clock hour and replication.

    Busy minutes: services completed by the role's people that fall in the hour while
    their server was on duty; duty minutes: their on-duty time in the hour (shift minus
    lunch). A service under way when its server's lunch or shift end comes is finished
    first; those minutes are overtime and not counted (as in the KPIs), so utilisation
    is at most 1. Columns: ``replication``, ``role``, ``start_min`` (hour start, minutes
    from opening), ``busy_min``, ``duty_min``, ``utilisation`` (busy / duty; NaN with
    nobody on duty). Only roles with people inside appear.
    """
    edges = _edges(logs, 60.0)
    frames = []
    for r, log in enumerate(logs):
        staff = log.staff
        roles = np.asarray(staff.roles, dtype=np.int64)
        served = np.flatnonzero((log.visit_status == VisitStatus.DONE) & (log.visit_staff >= 0))
        busy = _busy_on_duty(log, served, edges)
        served_role = roles[log.visit_staff[served]]
        duty = [(roles[k], a, b) for k, intervals in enumerate(staff.duty) for a, b in intervals]
        duty_role = np.array([d[0] for d in duty], dtype=np.int64)
        duty_min = _overlap(np.array([d[1] for d in duty]), np.array([d[2] for d in duty]), edges)
        for role in np.unique(roles):
            b, d = busy[served_role == role].sum(axis=0), duty_min[duty_role == role].sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(d > 0, b / d, np.nan)
            frames.append(pd.DataFrame({"replication": r, "role": ROLES[role], "start_min": edges[:-1],
                                        "busy_min": b, "duty_min": d, "utilisation": share}))
    return pd.concat(frames, ignore_index=True)


def _busy_on_duty(log: DayLog, served: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Minutes of the ``served`` visits in each bin while their server was on duty: (visits, bins)."""
    table = duty_table(log.staff)
    on, off = on_duty_parts(log.visit_start_min[served], log.visit_end_min[served], log.visit_staff[served], table)
    parts = np.clip(_overlap(on.ravel(), off.ravel(), edges), 0.0, None)  # [visit × interval, bin]
    return np.asarray(parts.reshape(served.size, table.shape[1], edges.size - 1).sum(axis=1))


def wait_samples(logs: Sequence[DayLog]) -> pd.DataFrame:
    """Every counted wait, by zone: the sample behind each zone's ``mean_wait_min``.

    Visits of customers arriving after the warm-up who joined the queue (not balked or
    sent on ungreeted) and either started service or walked out. Columns:
    ``replication``, ``zone``, ``wait_min``, ``served`` (True if service started).
    """
    frames = []
    for r, log in enumerate(logs):
        status = log.visit_status
        counted = log.customers.arrival_min[log.visit_customer] >= log.scenario.outlet.warmup_min
        started = np.isfinite(log.visit_start_min)
        keep = (counted & (status != VisitStatus.BALKED) & (status != VisitStatus.BYPASSED)
                & (started | (status == VisitStatus.ABANDONED)))
        frames.append(pd.DataFrame({
            "replication": r, "zone": np.asarray(SERVICE_ZONES, dtype=object)[log.visit_zone[keep]],
            "wait_min": log.visit_wait_min[keep], "served": started[keep]}))
    return pd.concat(frames, ignore_index=True)


def value_breakdown(logs: Sequence[DayLog]) -> pd.DataFrame:
    """Value earned by source and lost by segment, per day (yuan; losses negative).

    Rows per replication: ``source`` ``fees`` (one per zone: fees of customers' own
    served needs), ``products`` (one per role: products sold by its people, referral
    conversions included), ``field`` (new customers won outside) and ``lost`` (one per
    segment: walk-outs, balks and customers with no open zone, expected churn included).
    Customers arriving before the warm-up do not count. Columns: ``replication``,
    ``source``, ``item``, ``yuan``. The logs must come from one scenario object.
    """
    kpis = batch_kpis(logs)
    lost_col = SEGMENT_KPIS.index("value_lost_yuan")
    rows: list[tuple[int, str, str, float]] = []
    for r, (log, day) in enumerate(zip(logs, kpis, strict=True)):
        sc = log.scenario
        counted = log.customers.arrival_min >= sc.outlet.warmup_min
        paid = (log.visit_kind == VisitKind.PRIMARY) & (log.visit_status == VisitStatus.DONE) & counted[
            log.visit_customer]
        fees = np.bincount(log.visit_zone[paid], minlength=len(SERVICE_ZONES))
        rows += [(r, "fees", z, fees[k] * sc.fee_yuan.get(z, 0.0)) for k, z in enumerate(SERVICE_ZONES)
                 if z != "lobby" and sc.zone_open(z)]  # the lobby greets; it serves no need
        sales = credit_sales(log)
        sold = counted[sales.customer]
        by_role = np.bincount(np.asarray(log.staff.roles)[sales.staff[sold]], sales.value_yuan[sold],
                              minlength=len(ROLES))
        rows += [(r, "products", ROLES[k], by_role[k]) for k in sorted(set(log.staff.roles))]
        rows.append((r, "field", "field marketing",
                     log.field_new_customers * sc.field_marketing.value_per_new_customer_yuan))
        rows += [(r, "lost", seg, -day.by_segment[k, lost_col]) for k, seg in enumerate(sc.segments)]
    return pd.DataFrame(rows, columns=["replication", "source", "item", "yuan"])


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """Mean of ``b − a`` over paired replications, its sd and 95% Student-t interval."""

    mean: float
    std: float
    ci95_low: float
    ci95_high: float
    n: int


def paired_difference(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> PairedDifference:
    """The mean difference ``b − a`` of per-replication values of two variants, with its 95% CI.

    Replication ``r`` of both variants must share its random numbers (same seed), so the
    pairs differ by the variants only: the interval is mean ± t(0.975, n−1)·sd/√n of the
    differences, usually far narrower than comparing two independent means. Pairs with
    a NaN on either side are dropped.

    Raises:
        ValueError: different lengths, or fewer than 2 complete pairs.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"paired_difference: need two equal-length 1-D series, got shapes {x.shape} and {y.shape}")
    d = (y - x)[np.isfinite(x) & np.isfinite(y)]
    if d.size < 2:
        raise ValueError(f"paired_difference: need at least 2 complete pairs, got {d.size}")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    half = t_quantile(0.975, d.size - 1) * sd / math.sqrt(d.size)
    return PairedDifference(mean, sd, mean - half, mean + half, int(d.size))


def sobol_sensitivity(func: Callable[[np.ndarray], np.ndarray], dists: Sequence[Any], inputs: Sequence[str],
                      outputs: Sequence[str], n: int, seed: int, resamples: int = 200) -> pd.DataFrame:
    """First-order and total Sobol indices of each input on each output, with bootstrap 95% CIs.

    ``func`` maps a ``(len(inputs), m)`` array of input values to ``(len(outputs), m)``
    outputs; ``dists`` are the inputs' distributions (``scipy.stats`` frozen
    distributions); ``n`` base samples (a power of 2) cost ``n·(inputs + 2)`` calls of
    ``func``'s columns (Saltelli 2010 via :func:`scipy.stats.sobol_indices`). The first
    order index is the share of the output's variance explained by the input alone, the
    total index adds its interactions. Columns: ``output``, ``input``, ``order``
    (``first``/``total``), ``index``, ``ci95_low``, ``ci95_high``.
    """
    from scipy.stats import DegenerateDataWarning, sobol_indices

    result = sobol_indices(func=func, n=n, dists=list(dists), rng=np.random.default_rng(seed))
    with warnings.catch_warnings():  # an input with no effect at all: BCa divides 0 by 0
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        warnings.filterwarnings("ignore", category=DegenerateDataWarning)
        boot = result.bootstrap(confidence_level=0.95, n_resamples=resamples)
    rows = []
    for order, value, ci in (("first", result.first_order, boot.first_order.confidence_interval),
                             ("total", result.total_order, boot.total_order.confidence_interval)):
        shape = (len(outputs), len(inputs))  # scipy drops the output axis for one output
        value, low, high = (np.reshape(a, shape) for a in (value, ci.low, ci.high))
        for o, out in enumerate(outputs):
            rows += [(out, name, order, value[o, i], low[o, i], high[o, i]) for i, name in enumerate(inputs)]
    return pd.DataFrame(rows, columns=["output", "input", "order", "index", "ci95_low", "ci95_high"])


def per_day(result: Replications, kpi: str) -> np.ndarray:
    """Per-replication values of one KPI: an outlet KPI (``"value_yuan"``) or ``"<zone>.<kpi>"``
    (``"cash.service_level"``), in replication order.

    Raises:
        ValueError: an unknown KPI or zone.
    """
    if kpi in result.days.columns:
        return result.days[kpi].to_numpy(dtype=float)
    zone, _, name = kpi.partition(".")
    if zone not in ZONES or name not in result.zone_days.columns:
        raise ValueError(f"kpi: {kpi!r} is neither an outlet KPI ({', '.join(result.days.columns)}) "
                         f"nor <zone>.<kpi> with a zone of {', '.join(ZONES)} and a KPI of "
                         f"{', '.join(c for c in result.zone_days.columns if c not in ('replication', 'zone'))}")
    rows = result.zone_days[result.zone_days["zone"] == zone].sort_values("replication")
    return rows[name].to_numpy(dtype=float)
