"""KPIs of one simulated day, computed vectorised over the day's event log.

Definitions (all waits in minutes; only customers arriving after ``outlet.warmup_min``
count, and time averages run from the warm-up to the end of the day's last service):

Per zone (``lobby``, ``cash``, ``non_cash``, ``self_service``, ``wealth``), over the
customers who joined its queue (balked customers never joined):

- ``mean_wait_min`` / ``p90_wait_min``: wait until service starts, or until walking out
  for those who walked out (the Erlang A convention: the wait of all who joined);
- ``service_level``: share of those who joined that started service within the zone's
  ``target_wait_min``;
- ``abandon_rate``: share who walked out (or were still waiting when the day's last
  staff member left);
- ``utilisation``: busy server-minutes in the zone / server-minutes available while
  open, where the servers available at a moment are min(positions, inside staff on
  duty who can serve the zone) — machines for self-service; at most 1;
- ``queue_len_mean``: time-average number waiting.

The ``waiting`` zone row describes the seats: waits and ``abandon_rate`` of everyone
queueing at cash, non-cash and wealth (balking included), ``utilisation`` = mean
occupied seats / seats, ``queue_len_mean`` = mean number waiting there.

Per outlet: ``arrived``, ``served`` (customers whose own need was served), ``abandoned``,
``balked``, ``no_service``, ``diverted_to_self_service``, ``referrals``, ``sales``
(products sold), ``points``, ``value_yuan`` (fees + products sold + field marketing),
``value_lost_yuan`` (walk-outs, balks and lost customers, with expected churn), and
``field_new_customers``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model import (
    ABANDONED,
    BALKED,
    BYPASSED,
    DONE,
    PRIMARY,
    REFERRAL,
    SERVING,
    UNSERVED,
    DayLog,
    Staffing,
)
from sim.scenario import ROLES, SEATED_ZONES, SERVICE_ZONES, ZONES, Scenario

ZONE_KPIS = ("mean_wait_min", "p90_wait_min", "service_level", "abandon_rate", "utilisation", "queue_len_mean")
OUTLET_KPIS = (
    "arrived", "served", "abandoned", "balked", "no_service", "diverted_to_self_service", "referrals",
    "sales", "points", "value_yuan", "value_lost_yuan", "field_new_customers",
)
HOUR_KPIS = ("arrived", "served", "abandoned", "balked", "mean_wait_min")
SEGMENT_KPIS = ("arrived", "served", "abandoned", "balked", "mean_wait_min", "sales", "value_yuan", "value_lost_yuan")
ROLE_KPIS = ("staff", "utilisation", "served", "sales", "points", "value_yuan")


@dataclass(frozen=True, slots=True)
class Sales:
    """Products sold in a day: one entry per product sold, credited to a staff member."""

    visit: np.ndarray
    customer: np.ndarray
    staff: np.ndarray
    product: np.ndarray
    value_yuan: np.ndarray
    points: np.ndarray


@dataclass(frozen=True, slots=True)
class DayKpis:
    """One day's KPIs as arrays, rows in the order of the module's name tuples."""

    zones: np.ndarray  # (len(ZONES), len(ZONE_KPIS))
    outlet: np.ndarray  # (len(OUTLET_KPIS),)
    by_hour: np.ndarray  # (hours, len(HOUR_KPIS))
    by_segment: np.ndarray  # (segments, len(SEGMENT_KPIS))
    by_role: np.ndarray  # (len(ROLES), len(ROLE_KPIS))


@dataclass(frozen=True, slots=True)
class _Constants:
    """Per-scenario arrays the KPI code needs every day: computed once, reused."""

    capacity_min: np.ndarray  # server-minutes available per service zone in [warm-up, close]
    cross_sale: np.ndarray  # [zone, role, segment] probability per bundle product
    bundle: np.ndarray  # [segment, slot] product index, -1 = none
    product_value: np.ndarray
    product_points: np.ndarray
    loss_yuan: np.ndarray  # expected loss per lost customer, by segment
    fee_yuan: np.ndarray  # by service zone
    staff_role: np.ndarray
    staff_duty_min: np.ndarray
    target_wait_min: np.ndarray  # by service zone
    zone_open: np.ndarray  # by service zone
    zone_rows: np.ndarray  # row of each service zone in the ZONES table


_CACHE: dict[int, tuple[Scenario, _Constants]] = {}


def _constants(sc: Scenario, staff: Staffing) -> _Constants:
    """The scenario's constants, from a small identity-keyed cache (replications share them)."""
    hit = _CACHE.get(id(sc))
    if hit is not None and hit[0] is sc:
        return hit[1]
    segments = list(sc.segments.values())
    products = list(sc.products.values())
    table = np.zeros((len(SERVICE_ZONES), len(ROLES), len(segments)))
    for zone, by_role in sc.sales.cross_sale.items():
        for role, prob in by_role.items():
            table[SERVICE_ZONES.index(zone), ROLES.index(role)] = [min(1.0, prob * s.propensity) for s in segments]
    width = max((len(s.bundle) for s in segments), default=0)
    bundle = np.full((len(segments), width), -1, dtype=np.int64)
    names = list(sc.products)
    for k, s in enumerate(segments):
        bundle[k, : len(s.bundle)] = [names.index(p) for p in s.bundle]
    warm, day = sc.outlet.warmup_min, sc.outlet.day_min
    const = _Constants(
        np.array([_capacity_minutes(sc, staff, z, warm, day) for z in range(len(SERVICE_ZONES))]),
        table, bundle, np.array([p.value_yuan for p in products]), np.array([p.points for p in products]),
        np.array([s.walkout_value_lost_yuan + s.churn_probability * s.churn_value_yuan for s in segments]),
        np.array([sc.fee_yuan.get(z, 0.0) for z in SERVICE_ZONES]),
        np.asarray(staff.roles, dtype=np.int64), np.array([sum(b - a for a, b in d) for d in staff.duty]),
        np.array([sc.zones[z].target_wait_min for z in SERVICE_ZONES]),
        np.array([sc.zone_open(z) for z in SERVICE_ZONES]), np.array([ZONES.index(z) for z in SERVICE_ZONES]),
    )
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(sc)] = (sc, const)
    return const


def credit_sales(log: DayLog) -> Sales:
    """Cross-sales and referral conversions of the day, each credited to who served.

    After a served primary or greeting visit, each product of the customer's segment
    bundle sells with ``sales.cross_sale[zone][role] * segment.propensity`` (capped at
    1); after a served referral visit, with ``sales.referral_conversion``.
    """
    const = _constants(log.scenario, log.staff)
    done = np.flatnonzero((log.visit_status == DONE) & (log.visit_staff >= 0))
    if done.size == 0 or const.bundle.shape[1] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Sales(empty, empty, empty, empty, np.zeros(0), np.zeros(0))
    cust = log.visit_customer[done]
    seg = log.customers.segment[cust]
    kind = log.visit_kind[done]
    role = const.staff_role[log.visit_staff[done]]
    p: np.ndarray = np.where(kind == REFERRAL, log.scenario.sales.referral_conversion,
                             const.cross_sale[log.visit_zone[done], role, seg])
    prod = const.bundle[seg]
    sold = (log.sales_u[cust, kind] < p[:, None]) & (prod >= 0)
    rows, cols = np.nonzero(sold)
    product = prod[rows, cols]
    return Sales(done[rows], cust[rows], log.visit_staff[done][rows], product, const.product_value[product],
                 const.product_points[product])


def _p90_by_group(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """90th percentile (linear interpolation, as numpy's default) of ``values`` per group."""
    order = np.lexsort((values, groups))
    ordered = values[order]
    counts = np.bincount(groups, minlength=size)
    first = np.cumsum(counts) - counts
    out = np.full(size, np.nan)
    for g in np.flatnonzero(counts):
        pos = 0.9 * (counts[g] - 1)
        lo = int(pos)
        hi = min(lo + 1, counts[g] - 1)
        a, b = ordered[first[g] + lo], ordered[first[g] + hi]
        out[g] = a + (pos - lo) * (b - a)
    return out


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def _time_average(starts: np.ndarray, ends: np.ndarray, lo: float, hi: float, cap: float = np.inf) -> float:
    """Time average over [lo, hi] of min(number of open intervals, cap)."""
    s, e = np.clip(starts, lo, hi), np.clip(ends, lo, hi)
    if hi <= lo:
        return float("nan")
    if not np.isfinite(cap):
        return float((e - s).sum() / (hi - lo))
    times = np.concatenate([s, e])
    steps = np.concatenate([np.ones(s.size), -np.ones(e.size)])
    order = np.argsort(times, kind="stable")
    level = np.minimum(np.cumsum(steps[order]), cap)
    return float((level[:-1] * np.diff(times[order])).sum() / (hi - lo)) if times.size else 0.0


def _capacity_minutes(sc: Scenario, staff: Staffing, zone: int, lo: float, hi: float) -> float:
    """Server-minutes in [lo, hi]: min(positions, qualified staff on duty) integrated."""
    positions = sc.zones[SERVICE_ZONES[zone]].positions
    if SERVICE_ZONES[zone] == "self_service":
        return positions * max(hi - lo, 0.0)
    starts = [a for k, d in enumerate(staff.duty) if zone in staff.zones[k] for a, _ in d]
    ends = [b for k, d in enumerate(staff.duty) if zone in staff.zones[k] for _, b in d]
    return _time_average(np.asarray(starts, float), np.asarray(ends, float), lo, hi, positions) * (hi - lo)


def day_kpis(log: DayLog, sales: Sales | None = None) -> DayKpis:
    """All KPIs of one day (see the module docstring for definitions)."""
    sc = log.scenario
    const = _constants(sc, log.staff)
    sales = credit_sales(log) if sales is None else sales
    warm = sc.outlet.warmup_min
    day = sc.outlet.day_min
    counted_cust = log.customers.arrival_min >= warm
    counted = counted_cust[log.visit_customer]
    started = np.isfinite(log.visit_start_min)
    wait_end = np.where(started, log.visit_start_min, log.visit_end_min)
    end_of_day = max(day, float(np.nanmax(log.visit_end_min, initial=day)))
    waiting_to = np.where(np.isnan(wait_end), end_of_day, wait_end)
    joined = counted & (log.visit_status != BALKED) & (log.visit_status != BYPASSED)
    status = log.visit_status

    # Service zones, all at once: bincounts over the visits' zone index.
    nz = len(SERVICE_ZONES)
    zone = log.visit_zone
    wait = wait_end - log.visit_join_min
    waited = joined & (started | (status == ABANDONED))
    n_joined = np.bincount(zone[joined], minlength=nz)
    n_waited = np.bincount(zone[waited], minlength=nz)
    on_time = joined & started & (wait <= const.target_wait_min[zone])
    lost = joined & ((status == ABANDONED) | (status == UNSERVED))
    served_time = np.clip(log.visit_end_min, warm, day) - np.clip(log.visit_start_min, warm, day)
    queued_time = np.clip(waiting_to, warm, end_of_day) - np.clip(log.visit_join_min, warm, end_of_day)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_zone = np.column_stack([
            np.bincount(zone[waited], wait[waited], minlength=nz) / n_waited,
            _p90_by_group(zone[waited], wait[waited], nz),
            np.bincount(zone[on_time], minlength=nz) / n_joined,
            np.bincount(zone[lost], minlength=nz) / n_joined,
            np.bincount(zone[started], served_time[started], minlength=nz) / const.capacity_min,
            np.bincount(zone, queued_time, minlength=nz) / (end_of_day - warm),
        ])
    per_zone[n_joined == 0, :4] = np.nan
    zones = np.full((len(ZONES), len(ZONE_KPIS)), np.nan)
    zones[const.zone_rows[const.zone_open]] = per_zone[const.zone_open]
    seated_zone = np.isin(log.visit_zone, [SERVICE_ZONES.index(z) for z in SEATED_ZONES])
    seated = seated_zone & counted
    row = zones[ZONES.index("waiting")]
    offered = int((seated & (status != BYPASSED)).sum())
    if offered:
        waits = wait[waited & seated]
        row[0], row[1] = _mean(waits), _p90_by_group(np.zeros(waits.size, dtype=np.int64), waits, 1)[0]
        lost = (status == ABANDONED) | (status == UNSERVED) | (status == BALKED)
        row[3] = float((seated & lost).sum() / offered)
    q_starts, q_ends = log.visit_join_min[seated_zone], waiting_to[seated_zone]
    seats = sc.zones["waiting"].positions
    row[4] = _time_average(q_starts, q_ends, warm, end_of_day, seats) / seats if seats else np.nan
    row[5] = _time_average(q_starts, q_ends, warm, end_of_day)

    return _tables(log, const, sales, zones, counted_cust)


def _tables(log: DayLog, const: _Constants, sales: Sales, zones: np.ndarray, counted_cust: np.ndarray) -> DayKpis:
    sc = log.scenario
    n = log.customers.arrival_min.size
    segments = list(sc.segments.values())
    seg = log.customers.segment
    primary = log.visit_kind == PRIMARY
    status = log.visit_status
    # Per-customer outcome of the primary visit.
    outcome = np.full(n, -1, dtype=np.int64)
    outcome[log.visit_customer[primary]] = status[primary]
    wait = np.full(n, np.nan)
    pw = primary & (np.isfinite(log.visit_start_min) | (status == ABANDONED))
    wait[log.visit_customer[pw]] = (np.where(np.isfinite(log.visit_start_min), log.visit_start_min,
                                             log.visit_end_min) - log.visit_join_min)[pw]
    served = (outcome == DONE) | (outcome == SERVING)
    abandoned = (outcome == ABANDONED) | (outcome == UNSERVED)
    balked = outcome == BALKED
    lost_nosvc = np.zeros(n, dtype=bool)
    lost_nosvc[log.no_service] = True
    lost = abandoned | balked | lost_nosvc
    value_lost = np.where(lost, const.loss_yuan[seg], 0.0)
    fee = const.fee_yuan
    fee_visits = primary & (status == DONE)
    value = np.zeros(n)
    np.add.at(value, log.visit_customer[fee_visits], fee[log.visit_zone[fee_visits]])
    np.add.at(value, sales.customer, sales.value_yuan)
    sold = np.bincount(sales.customer, minlength=n).astype(float)
    c = counted_cust
    sales_counted = c[sales.customer]
    field_value = log.field_new_customers * sc.field_marketing.value_per_new_customer_yuan
    diverted = np.zeros(n, dtype=bool)
    diverted[log.diverted] = True
    outlet = np.array([
        c.sum(), (served & c).sum(), (abandoned & c).sum(), (balked & c).sum(), (lost_nosvc & c).sum(),
        (diverted & c).sum(), (c[log.visit_customer] & (log.visit_kind == REFERRAL)).sum(),
        sales_counted.sum(), sales.points[sales_counted].sum(), value[c].sum() + field_value,
        value_lost[c].sum(), log.field_new_customers,
    ], dtype=float)

    def grouped(keys: np.ndarray, size: int, extra: list[np.ndarray]) -> np.ndarray:
        cols = [np.bincount(keys, w, minlength=size) for w in
                (np.ones(keys.size), served[c].astype(float), abandoned[c].astype(float), balked[c].astype(float))]
        has_wait = np.isfinite(wait[c])
        wsum = np.bincount(keys[has_wait], wait[c][has_wait], minlength=size)
        wcnt = np.bincount(keys[has_wait], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            cols.append(np.where(wcnt > 0, wsum / np.maximum(wcnt, 1), np.nan))
        cols += [np.bincount(keys, w[c], minlength=size) for w in extra]
        return np.column_stack(cols)

    hours = len(sc.rate_per_hour)
    hour = np.minimum((log.customers.arrival_min[c] // 60).astype(np.int64), hours - 1)
    by_hour = grouped(hour, hours, [])
    by_segment = grouped(seg[c], len(segments), [sold, value, value_lost])
    return DayKpis(zones, outlet, by_hour, by_segment, _by_role(log, const, sales))


def _by_role(log: DayLog, const: _Constants, sales: Sales) -> np.ndarray:
    """Per role: inside head-count, utilisation (busy / on-duty minutes), served, sales, points, value."""
    n_roles = len(ROLES)
    role_of = const.staff_role
    served = (log.visit_status == DONE) & (log.visit_staff >= 0)
    who = role_of[log.visit_staff[served]]
    sold_by = role_of[sales.staff]
    headcount = np.bincount(role_of, minlength=n_roles).astype(float)
    duty = np.bincount(role_of, const.staff_duty_min, minlength=n_roles)
    busy = np.bincount(who, log.visit_end_min[served] - log.visit_start_min[served], minlength=n_roles)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.column_stack([
            headcount, busy / duty, np.bincount(who, minlength=n_roles), np.bincount(sold_by, minlength=n_roles),
            np.bincount(sold_by, sales.points, minlength=n_roles), np.bincount(sold_by, sales.value_yuan,
                                                                               minlength=n_roles)]).astype(float)
    out[headcount == 0] = np.nan
    return out

