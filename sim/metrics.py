"""KPIs of one simulated day, computed vectorised over the day's event log.

Definitions (all waits in minutes; only customers arriving after ``outlet.warmup_min``
count, and time averages run from the warm-up to the end of the day's last service):

Per zone (``lobby``, ``cash``, ``non_cash``, ``self_service``, ``wealth``), over the
customers who joined its queue (balked customers never joined):

- ``mean_wait_min`` / ``p90_wait_min``: wait until service starts, or until walking out
  for those who walked out (the Erlang A convention: the wait of all who joined; the
  one definition is :func:`sim.daylog.wait_min`);
- ``service_level``: share of those who joined that started service within the zone's
  ``target_wait_min``;
- ``abandon_rate``: share who walked out (or were still waiting when the day's last
  staff member left);
- ``utilisation``: busy server-minutes in the zone / server-minutes available while
  open, where the servers available at a moment are min(positions, inside staff on
  duty who can serve the zone) — machines for self-service; at most 1. A service
  that runs past its server's duty (finishing a customer into lunch or after close)
  counts only up to the end of the duty: the rest is overtime, outside both numbers;
- ``queue_len_mean``: time-average number waiting;
- ``customers``: how many joined the queue (the denominator of ``service_level`` and
  ``abandon_rate``, so zone rates can be pooled over outlets or days).

The ``waiting`` zone row describes the seats: waits and ``abandon_rate`` of everyone
queueing at cash, non-cash and wealth (balking included), ``utilisation`` = mean
occupied seats / seats, ``queue_len_mean`` = mean number waiting there.

Per outlet: ``arrived``, ``served`` (customers whose own need was served), ``abandoned``
(walked out of the lobby queue or of their own need's queue), ``balked``,
``no_service``, ``diverted_to_self_service``, ``referrals``, ``sales`` (products
sold), ``points``, ``value_yuan`` (fees + products sold + field marketing),
``value_lost_yuan`` (walk-outs, balks and lost customers, with expected churn), and
``field_new_customers`` (new customers won by field marketing and, with
``[sales.walk_in]``, at the low counter). ``sales`` include the lobby staff's pitches to
waiting customers (``[sales.lobby_pitch]``), credited to the pitcher.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from sim.codes import ROLES, SEATED_ZONES, SERVICE_ZONES, ZONES, VisitKind, VisitStatus, Zone, ZoneKpi, labels
from sim.daylog import DayLog, wait_end_min
from sim.layout import Layout, compile_layout, duty_table, on_duty_parts
from sim.scenario_types import Scenario

#: Columns of a zone's KPI row (:attr:`DayKpis.zones`), in :class:`~sim.codes.ZoneKpi` order: mean and
#: 90th-percentile wait (min), service level and walk-out rate (shares of those who joined), utilisation
#: (busy / available server-minutes), mean queue length and customers who joined (module docstring).
ZONE_KPIS = labels(ZoneKpi)
#: Columns of the outlet's KPI row (:attr:`DayKpis.outlet`): counts of customers by outcome, referrals,
#: products sold, points, value earned and lost (yuan) and new customers won (field and low counter; module
#: docstring).
OUTLET_KPIS = (
    "arrived", "served", "abandoned", "balked", "no_service", "diverted_to_self_service", "referrals",
    "sales", "points", "value_yuan", "value_lost_yuan", "field_new_customers",
)
HOUR_KPIS = ("arrived", "served", "abandoned", "balked", "mean_wait_min")
SEGMENT_KPIS = ("arrived", "served", "abandoned", "balked", "mean_wait_min", "sales", "value_yuan", "value_lost_yuan")
ROLE_KPIS = ("staff", "utilisation", "served", "sales", "points", "value_yuan")

_DONE, _SERVING = VisitStatus.DONE, VisitStatus.SERVING
_ABANDONED, _BALKED = VisitStatus.ABANDONED, VisitStatus.BALKED
_BYPASSED, _UNSERVED = VisitStatus.BYPASSED, VisitStatus.UNSERVED
_WAIT_KPIS = slice(ZoneKpi.MEAN_WAIT_MIN, ZoneKpi.ABANDON_RATE + 1)  # undefined when nobody joined


@dataclass(frozen=True, slots=True)
class SalesLog:
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
    sellable: np.ndarray  # [role, segment, slot]: the slot of the segment's bundle holds a product the role may
    # sell (sales.products_by_role)
    product_value: np.ndarray
    product_points: np.ndarray
    loss_yuan: np.ndarray  # expected loss per lost customer, by segment
    fee_yuan: np.ndarray  # by service zone
    staff_role: np.ndarray
    staff_duty_min: np.ndarray
    staff_duty: np.ndarray  # [staff, interval, (start, end)] minutes; padded with (0, 0)
    target_wait_min: np.ndarray  # by service zone
    zone_open: np.ndarray  # by service zone
    zone_rows: np.ndarray  # row of each service zone in the ZONES table
    seated: np.ndarray  # by service zone: its queue uses the waiting seats


_CACHE: dict[int, tuple[Scenario, _Constants]] = {}


def _constants(sc: Scenario) -> _Constants:
    """The scenario's constants, from a small identity-keyed cache (replications share them)."""
    hit = _CACHE.get(id(sc))
    if hit is not None and hit[0] is sc:
        return hit[1]
    layout = compile_layout(sc)
    segments = list(sc.segments.values())
    products = list(sc.products.values())
    chances = layout.sales
    warm, day = sc.outlet.warmup_min, sc.outlet.day_min
    const = _Constants(
        np.array([_capacity_minutes(layout, z, warm, day) for z in range(len(SERVICE_ZONES))]),
        chances.cross_sale, chances.bundle,
        (chances.bundle >= 0)[None, :, :] & chances.may_sell[:, np.maximum(chances.bundle, 0)],
        np.array([p.value_yuan for p in products]),
        np.array([p.points for p in products]),
        np.array([s.walkout_value_lost_yuan + s.churn_probability * s.churn_value_yuan for s in segments]),
        np.array([sc.fee_yuan.get(z, 0.0) for z in SERVICE_ZONES]),
        np.asarray(layout.staff.roles, dtype=np.int64), np.array([sum(b - a for a, b in d) for d in layout.staff.duty]),
        duty_table(layout.staff),
        np.array([sc.zones[z].target_wait_min for z in SERVICE_ZONES]),
        np.array(layout.open), np.array([ZONES.index(z) for z in SERVICE_ZONES]),
        np.array([z in SEATED_ZONES for z in SERVICE_ZONES]),
    )
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(sc)] = (sc, const)
    return const


def _on_duty_min(b: _Batch, const: _Constants, lo: float, hi: float) -> np.ndarray:
    """Per visit, its service minutes within [lo, hi] while its server was on duty (machines: all of it)."""
    start, end = np.clip(b.start, lo, hi), np.clip(b.end, lo, hi)
    staffed = b.staff >= 0
    if not staffed.any() or const.staff_duty.size == 0:
        return np.asarray(end - start)
    on, off = on_duty_parts(start, end, np.where(staffed, b.staff, 0), const.staff_duty)
    return np.asarray(np.where(staffed, np.clip(off - on, 0.0, None).sum(axis=1), end - start))


@dataclass(frozen=True, slots=True)
class _Batch:
    """Several days' logs of one scenario end to end; ``*_day`` gives each row's day."""

    days: int
    cust_day: np.ndarray
    arrival: np.ndarray
    segment: np.ndarray
    visit_day: np.ndarray
    cust: np.ndarray  # index into the concatenated customers
    zone: np.ndarray
    kind: np.ndarray
    join: np.ndarray
    start: np.ndarray
    end: np.ndarray
    staff: np.ndarray
    status: np.ndarray
    no_service: np.ndarray
    diverted: np.ndarray
    sales_u: np.ndarray
    field_new: np.ndarray
    pitch_visit: np.ndarray  # lobby pitches (DayLog.lobby_pitches): index into the concatenated visits
    pitch_staff: np.ndarray
    pitch_u: np.ndarray


def _concat(logs: Sequence[DayLog]) -> _Batch:
    sizes = np.array([log.customers.arrival_min.size for log in logs])
    offsets = np.cumsum(sizes) - sizes
    days = np.arange(len(logs))

    def cat(get: Callable[[DayLog], np.ndarray]) -> np.ndarray:
        return np.concatenate([get(log) for log in logs]) if len(logs) > 1 else get(logs[0])

    def shifted(get: Callable[[DayLog], np.ndarray]) -> np.ndarray:
        return np.concatenate([get(log) + off for log, off in zip(logs, offsets, strict=True)])

    visits = np.array([log.visit_zone.size for log in logs])
    visit_offsets = np.cumsum(visits) - visits

    return _Batch(
        len(logs), np.repeat(days, sizes), cat(lambda g: g.customers.arrival_min), cat(lambda g: g.customers.segment),
        np.repeat(days, visits), shifted(lambda g: g.visit_customer),
        cat(lambda g: g.visit_zone), cat(lambda g: g.visit_kind), cat(lambda g: g.visit_join_min),
        cat(lambda g: g.visit_start_min), cat(lambda g: g.visit_end_min), cat(lambda g: g.visit_staff),
        cat(lambda g: g.visit_status), shifted(lambda g: g.no_service), shifted(lambda g: g.diverted),
        cat(lambda g: g.sales_u), np.array([log.field_new_customers for log in logs], dtype=float),
        np.concatenate([log.lobby_pitches.visit + off for log, off in zip(logs, visit_offsets, strict=True)]),
        cat(lambda g: g.lobby_pitches.staff), cat(lambda g: g.lobby_pitches.u),
    )


def _credit(b: _Batch, sc: Scenario, const: _Constants) -> SalesLog:
    done = np.flatnonzero((b.status == _DONE) & (b.staff >= 0))
    if const.bundle.shape[1] == 0 or (done.size == 0 and b.pitch_visit.size == 0):
        empty = np.zeros(0, dtype=np.int64)
        return SalesLog(empty, empty, empty, empty, np.zeros(0), np.zeros(0))
    cust = b.cust[done]
    kind = b.kind[done]
    role = const.staff_role[b.staff[done]]
    p: np.ndarray = np.where(kind == VisitKind.REFERRAL, sc.sales.referral_conversion,
                             const.cross_sale[b.zone[done], role, b.segment[cust]])
    sales = _sold(const, done, cust, b.staff[done], b.segment[cust], p, b.sales_u[cust, kind])
    if b.pitch_visit.size == 0:
        return sales
    cust = b.cust[b.pitch_visit]
    seg = b.segment[cust]
    propensity = np.array([s.propensity for s in sc.segments.values()])
    p = np.minimum(1.0, sc.sales.lobby_pitch.conversion * propensity[seg])
    pitched = _sold(const, b.pitch_visit, cust, b.pitch_staff, seg, p, b.pitch_u)
    return SalesLog(*(np.concatenate([x, y]) for x, y in zip(
        (sales.visit, sales.customer, sales.staff, sales.product, sales.value_yuan, sales.points),
        (pitched.visit, pitched.customer, pitched.staff, pitched.product, pitched.value_yuan, pitched.points),
        strict=True)))


def _sold(const: _Constants, visit: np.ndarray, cust: np.ndarray, staff: np.ndarray, seg: np.ndarray, p: np.ndarray,
          u: np.ndarray) -> SalesLog:
    """The products sold in ``visit`` s (to ``cust`` of segment ``seg`` by ``staff``): each bundle
    product the staff member's role may sell whose uniform ``u[visit, slot]`` is below the chance ``p``."""
    sold = (u < p[:, None]) & const.sellable[const.staff_role[staff], seg]
    rows, cols = np.nonzero(sold)
    product = const.bundle[seg[rows], cols]
    return SalesLog(visit[rows], cust[rows], staff[rows], product, const.product_value[product],
                    const.product_points[product])


def credit_sales(log: DayLog) -> SalesLog:
    """Cross-sales and referral conversions of the day, each credited to who served.

    After a served primary or greeting visit, each product of the customer's segment
    bundle sells with ``sales.cross_sale[zone][role] * segment.propensity`` (capped at
    1); after a served referral visit, with ``sales.referral_conversion``; after a lobby
    pitch to a waiting customer (:attr:`sim.daylog.DayLog.lobby_pitches`), with
    ``sales.lobby_pitch.conversion × propensity``, credited to the pitcher; a role with a
    ``sales.products_by_role`` list sells only those products.
    """
    return _credit(_concat([log]), log.scenario, _constants(log.scenario))


def walkout_rate(arrived: ArrayLike, abandoned: ArrayLike, balked: ArrayLike, no_service: ArrayLike) -> np.ndarray:
    """The walk-out rate: the share of arrivals who left unserved (abandoned the queue, balked at a full
    waiting area, or found no service), 0 where nobody came (nobody walked out); elementwise. The one
    rule the optimiser's days and the quarters' outlet-quarters share."""
    came = np.asarray(arrived, dtype=float)
    lost = np.asarray(abandoned, dtype=float) + np.asarray(balked, dtype=float) + np.asarray(no_service, dtype=float)
    return np.where(came > 0, lost / np.where(came > 0, came, 1.0), 0.0)


def group_order(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The permutation that sorts by group (non-negative integers), then by value within a group.

    What ``np.lexsort((values, groups))`` gives but for the order of equal values within a group
    (the callers' results do not depend on it: equal waits are the same float, and tied times
    bound an interval of length 0), about four times faster: a quicksort of the values, then a
    stable sort of their groups, which numpy does as a radix sort for 16-bit integers.
    """
    by_value = np.argsort(values)
    key = groups[by_value]
    if key.size and int(key.max()) <= np.iinfo(np.int16).max:
        key = key.astype(np.int16)
    return by_value[np.argsort(key, kind="stable")]


def p90_by_group(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """90th percentile of ``values`` per group ``0 … size−1`` (NaN for an empty group).

    Linear interpolation between order statistics, as numpy's default percentile.
    """
    ordered = values[group_order(groups, values)]
    counts = np.bincount(groups, minlength=size)
    first = np.cumsum(counts) - counts
    pos = 0.9 * np.maximum(counts - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(counts - 1, 0))
    out = np.full(size, np.nan)
    has = counts > 0
    a, b = ordered[(first + lo)[has]], ordered[(first + hi)[has]]
    out[has] = a + (pos - lo)[has] * (b - a)
    return out


def _capped_area(days: np.ndarray, starts: np.ndarray, ends: np.ndarray, cap: float, n_days: int) -> np.ndarray:
    """Per day, the integral over time of min(number of open intervals, cap).

    Intervals are [starts, ends] (already clipped to the window). Every interval opens
    and closes within its day, so one running sum over days sorted end to end returns
    to zero at each day's boundary.
    """
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    day = np.concatenate([days, days])
    order = group_order(day, times)
    times, day = times[order], day[order]
    level = np.minimum(np.cumsum(steps[order]), cap)[:-1]
    same = day[1:] == day[:-1]
    return np.bincount(day[:-1][same], (level * np.diff(times))[same], minlength=n_days)


def _capacity_minutes(layout: Layout, zone: int, lo: float, hi: float) -> float:
    """Server-minutes in [lo, hi]: min(positions, qualified staff on duty) integrated."""
    positions = layout.positions[zone]
    if zone == Zone.SELF_SERVICE:
        return positions * max(hi - lo, 0.0)
    staff = layout.staff
    duty = np.array([(a, b) for k, d in enumerate(staff.duty) if zone in staff.zones[k] for a, b in d]).reshape(-1, 2)
    clipped = np.clip(duty, lo, hi)
    return float(_capped_area(np.zeros(len(duty), dtype=np.int64), clipped[:, 0], clipped[:, 1], positions, 1)[0])


@dataclass(frozen=True, slots=True)
class _Waits:
    """Per-visit quantities of a batch that the zone KPIs share.

    ``counted``: the customer arrived after the warm-up; ``joined``: counted and joined
    the queue (not balked, not bypassed); ``waited``: joined and has a wait (started or
    walked out); ``wait``: :func:`sim.daylog.wait_min`; ``queued``: minutes spent in
    the queue within [warm-up, end of that day]; ``queue_end``: when the visit left the
    queue (the end of its day if never); ``eod``: the end of its day (close, or the last
    service end if later); ``horizon``: per day, the window's length.
    """

    counted: np.ndarray
    started: np.ndarray
    queue_end: np.ndarray
    wait: np.ndarray
    joined: np.ndarray
    waited: np.ndarray
    queued: np.ndarray
    eod: np.ndarray
    horizon: np.ndarray


def _waits(b: _Batch, warm: float, day: float) -> _Waits:
    status = b.status
    counted = (b.arrival >= warm)[b.cust]
    started = np.isfinite(b.start)
    wait_end = wait_end_min(b.start, b.end)
    end_of_day = np.full(b.days, day)
    np.fmax.at(end_of_day, b.visit_day, b.end)
    eod = end_of_day[b.visit_day]
    waiting_to = np.where(np.isnan(wait_end), eod, wait_end)
    joined = counted & (status != _BALKED) & (status != _BYPASSED)
    queued = np.clip(waiting_to, warm, eod) - np.clip(b.join, warm, eod)
    return _Waits(counted, started, waiting_to, wait_end - b.join, joined,
                  joined & (started | (status == _ABANDONED)), queued, eod, end_of_day - warm)


def _service_zones(b: _Batch, w: _Waits, const: _Constants, warm: float, day: float) -> np.ndarray:
    """Zone KPIs per day, ``(days, len(ZONES), len(ZONE_KPIS))``; NaN rows for closed zones."""
    n_days, nz = b.days, len(SERVICE_ZONES)
    key = b.visit_day * nz + b.zone
    size = n_days * nz
    joined, waited, wait, started = w.joined, w.waited, w.wait, w.started
    n_joined = np.bincount(key[joined], minlength=size)
    on_time = joined & started & (wait <= const.target_wait_min[b.zone])
    lost = joined & ((b.status == _ABANDONED) | (b.status == _UNSERVED))
    served_time = _on_duty_min(b, const, warm, day)
    per_zone = np.empty((size, len(ZoneKpi)))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_zone[:, ZoneKpi.MEAN_WAIT_MIN] = np.bincount(key[waited], wait[waited], minlength=size) / np.bincount(
            key[waited], minlength=size)
        per_zone[:, ZoneKpi.P90_WAIT_MIN] = p90_by_group(key[waited], wait[waited], size)
        per_zone[:, ZoneKpi.SERVICE_LEVEL] = np.bincount(key[on_time], minlength=size) / n_joined
        per_zone[:, ZoneKpi.ABANDON_RATE] = np.bincount(key[lost], minlength=size) / n_joined
        per_zone[:, ZoneKpi.UTILISATION] = np.bincount(key[started], served_time[started], minlength=size) / np.tile(
            const.capacity_min, n_days)
        per_zone[:, ZoneKpi.QUEUE_LEN_MEAN] = np.bincount(key, w.queued, minlength=size) / np.repeat(w.horizon, nz)
    per_zone[:, ZoneKpi.CUSTOMERS] = n_joined
    per_zone[n_joined == 0, _WAIT_KPIS] = np.nan
    by_day = per_zone.reshape(n_days, nz, len(ZoneKpi))
    zones = np.full((n_days, len(ZONES), len(ZoneKpi)), np.nan)
    zones[:, const.zone_rows[const.zone_open]] = by_day[:, const.zone_open]
    return zones


def _waiting_area(b: _Batch, w: _Waits, const: _Constants, warm: float, seats: int) -> np.ndarray:
    """The ``waiting`` row per day: everyone queueing at the seated zones (balking included)."""
    n_days = b.days
    status = b.status
    seated_zone = const.seated[b.zone]
    seated = seated_zone & w.counted
    sw = w.waited & seated
    offered = np.bincount(b.visit_day[seated & (status != _BYPASSED)], minlength=n_days)
    gone = seated & ((status == _ABANDONED) | (status == _UNSERVED) | (status == _BALKED))
    eod = w.eod[seated_zone]
    q_start = np.clip(b.join[seated_zone], warm, eod)
    q_end = np.clip(w.queue_end[seated_zone], warm, eod)
    q_day = b.visit_day[seated_zone]
    row = np.full((n_days, len(ZoneKpi)), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        row[:, ZoneKpi.MEAN_WAIT_MIN] = np.bincount(b.visit_day[sw], w.wait[sw], minlength=n_days) / np.bincount(
            b.visit_day[sw], minlength=n_days)
        row[:, ZoneKpi.P90_WAIT_MIN] = p90_by_group(b.visit_day[sw], w.wait[sw], n_days)
        row[:, ZoneKpi.ABANDON_RATE] = np.bincount(b.visit_day[gone], minlength=n_days) / offered
        if seats:
            row[:, ZoneKpi.UTILISATION] = _capped_area(q_day, q_start, q_end, seats, n_days) / w.horizon / seats
        row[:, ZoneKpi.QUEUE_LEN_MEAN] = np.bincount(q_day, q_end - q_start, minlength=n_days) / w.horizon
    row[:, ZoneKpi.CUSTOMERS] = offered
    row[offered == 0, _WAIT_KPIS] = np.nan
    return row


def day_kpis(log: DayLog) -> DayKpis:
    """All KPIs of one day (see the module docstring for definitions)."""
    return batch_kpis([log])[0]


def batch_kpis(logs: Sequence[DayLog]) -> list[DayKpis]:
    """KPIs of several days of one scenario, in one vectorised pass (cheap replications).

    The logs must come from the same :class:`~sim.scenario.Scenario` object.
    """
    sc = logs[0].scenario
    if any(log.scenario is not sc for log in logs):
        raise ValueError("batch_kpis: every log must come from the same scenario object")
    const = _constants(sc)
    b = _concat(logs)
    sales = _credit(b, sc, const)
    warm, day = sc.outlet.warmup_min, sc.outlet.day_min
    w = _waits(b, warm, day)
    zones = _service_zones(b, w, const, warm, day)
    zones[:, ZONES.index("waiting")] = _waiting_area(b, w, const, warm, sc.zones["waiting"].positions)
    who = _outcomes(b, w, const, sales, warm)
    outlet = _outlet_table(b, who, sales, sc.field_marketing.value_per_new_customer_yuan)
    hours = len(sc.rate_per_hour)
    hour = np.minimum((b.arrival // 60).astype(np.int64), hours - 1)
    by_hour = _grouped(b, who, hour, hours, [])
    sold = np.bincount(sales.customer, minlength=b.arrival.size).astype(float)
    by_segment = _grouped(b, who, b.segment, len(sc.segments), [sold, who.value, who.value_lost])
    by_role = _by_role(b, const, sales)
    return [DayKpis(zones[d], outlet[d], by_hour[d], by_segment[d], by_role[d]) for d in range(b.days)]


@dataclass(frozen=True, slots=True)
class _Outcomes:
    """Per customer of a batch: counted (arrived after the warm-up), how they ended (one of
    served, abandoned — the lobby's queue included —, balked, no_service), diverted to
    the machines, the wait in their own need's queue (NaN without one), value earned
    (fees of their own need's visit + products sold) and value lost (expected, by segment)."""

    counted: np.ndarray
    served: np.ndarray
    abandoned: np.ndarray
    balked: np.ndarray
    no_service: np.ndarray
    diverted: np.ndarray
    wait: np.ndarray
    value: np.ndarray
    value_lost: np.ndarray


def _outcomes(b: _Batch, w: _Waits, const: _Constants, sales: SalesLog, warm: float) -> _Outcomes:
    n = b.arrival.size
    status = b.status
    primary = b.kind == VisitKind.PRIMARY
    outcome = np.full(n, -1, dtype=np.int64)
    outcome[b.cust[primary]] = status[primary]
    left_lobby = (b.kind == VisitKind.GREETING) & ((status == _ABANDONED) | (status == _UNSERVED))
    outcome[b.cust[left_lobby]] = status[left_lobby]  # walked out before reaching a counter
    wait = np.full(n, np.nan)
    pw = primary & (w.started | (status == _ABANDONED))
    wait[b.cust[pw]] = w.wait[pw]
    no_service = np.zeros(n, dtype=bool)
    no_service[b.no_service] = True
    diverted = np.zeros(n, dtype=bool)
    diverted[b.diverted] = True
    served = (outcome == _DONE) | (outcome == _SERVING)
    abandoned = (outcome == _ABANDONED) | (outcome == _UNSERVED)
    balked = outcome == _BALKED
    value_lost = np.where(abandoned | balked | no_service, const.loss_yuan[b.segment], 0.0)
    fee_visits = primary & (status == _DONE)
    value = np.bincount(b.cust[fee_visits], const.fee_yuan[b.zone[fee_visits]], minlength=n)
    value += np.bincount(sales.customer, sales.value_yuan, minlength=n)
    return _Outcomes(b.arrival >= warm, served, abandoned, balked, no_service, diverted, wait, value, value_lost)


def _outlet_table(b: _Batch, who: _Outcomes, sales: SalesLog, per_new_customer_yuan: float) -> np.ndarray:
    """Outlet KPIs per day, ``(days, len(OUTLET_KPIS))``, over counted customers."""
    c, cd, n_days = who.counted, b.cust_day, b.days

    def per_day(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(cd[mask], None if weights is None else weights[mask], minlength=n_days)

    sale_day = cd[sales.customer]
    sale_counted = c[sales.customer]
    return np.column_stack([
        per_day(c), per_day(c & who.served), per_day(c & who.abandoned), per_day(c & who.balked),
        per_day(c & who.no_service), per_day(c & who.diverted),
        np.bincount(b.visit_day[c[b.cust] & (b.kind == VisitKind.REFERRAL)], minlength=n_days),
        np.bincount(sale_day[sale_counted], minlength=n_days),
        np.bincount(sale_day[sale_counted], sales.points[sale_counted], minlength=n_days),
        per_day(c, who.value) + b.field_new * per_new_customer_yuan,
        per_day(c, who.value_lost), b.field_new,
    ]).astype(float)


def _grouped(b: _Batch, who: _Outcomes, group: np.ndarray, groups: int, extra: list[np.ndarray]) -> np.ndarray:
    """Per day and group of counted customers: arrived, served, abandoned, balked, mean
    wait of their own need's visit, then the sums of each array of ``extra``."""
    c = who.counted
    keys = b.cust_day[c] * groups + group[c]
    size = b.days * groups
    cols: list[np.ndarray] = [np.bincount(keys, w[c], minlength=size) for w in
                              (np.ones(c.size), who.served.astype(float), who.abandoned.astype(float),
                               who.balked.astype(float))]
    wait = who.wait[c]
    has = np.isfinite(wait)
    with np.errstate(invalid="ignore", divide="ignore"):
        cols.append(np.bincount(keys[has], wait[has], minlength=size) / np.bincount(keys[has], minlength=size))
    cols += [np.bincount(keys, w[c], minlength=size) for w in extra]
    return np.column_stack(cols).reshape(b.days, groups, -1)


def _by_role(b: _Batch, const: _Constants, sales: SalesLog) -> np.ndarray:
    """Per day and role: inside head-count, utilisation (busy on duty / on-duty min), served, sales, points, value."""
    n_roles, n_days = len(ROLES), b.days
    size = n_days * n_roles
    role_of = const.staff_role
    served = (b.status == _DONE) & (b.staff >= 0)
    who = b.visit_day[served] * n_roles + role_of[b.staff[served]]
    sold_by = b.cust_day[sales.customer] * n_roles + role_of[sales.staff]
    headcount = np.tile(np.bincount(role_of, minlength=n_roles).astype(float), n_days)
    duty = np.tile(np.bincount(role_of, const.staff_duty_min, minlength=n_roles), n_days)
    busy = np.bincount(who, _on_duty_min(b, const, -np.inf, np.inf)[served], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.column_stack([
            headcount, busy / duty, np.bincount(who, minlength=size), np.bincount(sold_by, minlength=size),
            np.bincount(sold_by, sales.points, minlength=size), np.bincount(sold_by, sales.value_yuan, minlength=size),
        ]).astype(float)
    out[headcount == 0] = np.nan
    return out.reshape(n_days, n_roles, len(ROLE_KPIS))
