"""The outlet-day model: customers flowing through the six zones, on one SimPy environment.

How a day runs (simulated minutes from opening, 0 … ``outlet.day_min``):

1. **Arrivals** follow the hourly rate profile (non-homogeneous Poisson, exact per
   hour: a Poisson count per hour, uniform times within it). Each customer has a
   segment and one need (``cash``, ``non_cash``, ``self_service_eligible``, ``wealth``).
2. **Lobby triage** (咨询引导区): when the lobby has positions and lobby staff are on
   duty, the customer queues to be greeted (greeting time uses that staff member).
   Greeted priority customers (VIPs) are identified with
   ``triage.vip_identification_probability`` and jump later queues. Eligible needs are
   diverted to the machines with ``divert_probability_staffed`` (greeted) or
   ``divert_probability_unstaffed`` (no lobby staff). If the last lobby person leaves
   (lunch) while customers wait to be greeted, they go on ungreeted.
3. **Routing** to a service zone, going around absent zones (no positions, or no
   inside staff able to serve it): ``self_service_eligible`` → self-service if diverted,
   else cash, else self-service; ``cash`` → cash; ``non_cash`` → non-cash; ``wealth`` →
   wealth room, else non-cash. A customer left with no open zone is lost
   (``no_service``).
4. **Queues**: each service zone serves its queue with priority customers first,
   first-come-first-served within a class, non-pre-emptive. A staff member may serve
   several zones (their ``zones`` list, home zone first) and, when free, takes the
   next customer from the first of their zones with anyone waiting; at most
   ``positions`` customers are in service per zone. Self-service machines serve
   without staff.
5. **Waiting area**: customers queueing at cash, non-cash or wealth use seats; when all
   are taken a customer who cannot be served at once balks if ``balk_when_full``.
6. **Patience**: a customer whose wait in any queue — the lobby's included — exceeds
   their patience walks out (reneges). The patience clock starts when the customer
   joins that queue (for the lobby: on arrival) and starts again in the next queue.
7. **Referral**: after cash service a teller refers the customer with
   ``sales.referral_probability``; the referred customer queues again at the low
   counter (or the wealth room, for priority segments).
8. **Shifts and lunch**: staff come on and go off duty by the clock; one who goes off
   while serving finishes that customer first. At closing the doors shut, and staff
   on duty then stay until everyone inside is served.

Randomness: every random quantity is drawn up front, vectorised, from its own stream
(``numpy.random.SeedSequence(seed, spawn_key=(replication, stream))``): arrivals,
patience, triage, each zone's service times, referrals, sales, field marketing. The
arrival stream depends on nothing but the arrival parameters, so two staffing plans
run with the same seed see the same customers (common random numbers).

The event loop uses SimPy's environment with callbacks on timeouts rather than a
process per customer: two to three events per customer, no generator objects.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import simpy

from sim.scenario import NEEDS, ROLES, SEATED_ZONES, SERVICE_ZONES, Scenario

# Zone indices (into SERVICE_ZONES) used by the event loop.
LOBBY, CASH, NON_CASH, SELF_SERVICE, WEALTH = (SERVICE_ZONES.index(z) for z in
                                                ("lobby", "cash", "non_cash", "self_service", "wealth"))
_NEED = {n: i for i, n in enumerate(NEEDS)}

# Visit kinds.
PRIMARY, REFERRAL, GREETING = 0, 1, 2
VISIT_KINDS = ("primary", "referral", "greeting")
# Visit status codes.
WAITING, SERVING, DONE, ABANDONED, BALKED, BYPASSED, UNSERVED = range(7)
VISIT_STATUSES = ("waiting", "serving", "done", "abandoned", "balked", "bypassed", "unserved")
# Staff states.
_OFF, _IDLE, _BUSY = 0, 1, 2
# Random streams, by position in the spawn key.
STREAMS = ("arrivals", "patience", "triage", "referral", "sales", "field", *(f"service_{z}" for z in SERVICE_ZONES))
_MACHINE = -2


@dataclass(frozen=True, slots=True)
class Staffing:
    """The individual staff members of a scenario who work inside the outlet.

    ``zones[k]`` lists staff member ``k``'s zone indices (into ``SERVICE_ZONES``), home
    first; ``duty[k]`` their on-duty intervals in minutes from opening.
    """

    ids: tuple[str, ...]
    roles: tuple[int, ...]
    zones: tuple[tuple[int, ...], ...]
    duty: tuple[tuple[tuple[float, float], ...], ...]


def staffing(scenario: Scenario) -> Staffing:
    """Expand the scenario's roles into named people with their duty intervals."""
    ids: list[str] = []
    roles: list[int] = []
    zones: list[tuple[int, ...]] = []
    duty: list[tuple[tuple[float, float], ...]] = []
    for role in scenario.roles.values():
        zone_idx = tuple(SERVICE_ZONES.index(z) for z in role.zones if scenario.zone_open(z))
        if not zone_idx:
            continue
        for k in range(role.inside):
            ids.append(f"{role.id}_{k + 1}")
            roles.append(ROLES.index(role.id))
            zones.append(zone_idx)
            if role.lunch_start_min is None:
                duty.append(((role.shift_start_min, role.shift_end_min),))
            else:
                lunch = role.lunch_start_min + k * role.lunch_stagger_min
                duty.append(tuple((a, b) for a, b in ((role.shift_start_min, lunch),
                                                       (lunch + role.lunch_min, role.shift_end_min)) if b > a))
    return Staffing(tuple(ids), tuple(roles), tuple(zones), tuple(duty))


def _by_preference(staff: Staffing, zone: int) -> list[int]:
    """Staff able to serve ``zone``, those listing it earlier (home zone first) first."""
    able = [k for k, zs in enumerate(staff.zones) if zone in zs]
    return sorted(able, key=lambda k: staff.zones[k].index(zone))


@dataclass(frozen=True, slots=True)
class Customers:
    """Per-customer draws of one day (arrays of length n, arrival order)."""

    arrival_min: np.ndarray
    segment: np.ndarray
    need: np.ndarray
    patience_min: np.ndarray
    u_identify: np.ndarray
    u_divert: np.ndarray
    u_referral: np.ndarray


def _streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    return {name: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, k)))
            for k, name in enumerate(STREAMS)}


def draw_customers(scenario: Scenario, rngs: dict[str, np.random.Generator]) -> Customers:
    """Draw the day's arrivals, segments, needs, patience and triage uniforms."""
    rng = rngs["arrivals"]
    times = []
    for h, rate in enumerate(scenario.rate_per_hour):
        start = 60.0 * h
        length = min(60.0, scenario.outlet.day_min - start)
        count = rng.poisson(rate * length / 60.0)
        times.append(start + length * rng.random(count))
    arrival = np.sort(np.concatenate(times))
    n = arrival.size
    segments = list(scenario.segments.values())
    seg_cum = np.cumsum([s.share for s in segments])
    seg = np.minimum(np.searchsorted(seg_cum / seg_cum[-1], rng.random(n), side="right"), len(segments) - 1)
    u_need = rng.random(n)
    need = np.empty(n, dtype=np.int64)
    patience = np.full(n, np.inf)
    prng = rngs["patience"]
    for k, s in enumerate(segments):
        mask = seg == k
        need_cum = np.cumsum(s.needs)
        need[mask] = np.minimum(np.searchsorted(need_cum / need_cum[-1], u_need[mask], side="right"), len(NEEDS) - 1)
        if s.patience is not None:
            patience[mask] = s.patience.sample(prng, int(mask.sum()))
    trng = rngs["triage"]
    return Customers(arrival, seg, need, patience, trng.random(n), trng.random(n), rngs["referral"].random(n))


def _service_times(scenario: Scenario, cust: Customers, rngs: dict[str, np.random.Generator]) -> list[np.ndarray]:
    """Service time (min) of every customer in every service zone, primary and referral.

    Row ``2*z`` holds primary-visit times in zone ``z``; row ``2*z+1`` referral-visit times.
    """
    n = cust.arrival_min.size
    rows = []
    for zid in SERVICE_ZONES:
        zs = scenario.service.get(zid)
        rng = rngs[f"service_{zid}"]
        if zs is None:
            rows += [np.zeros(0), np.zeros(0)]
            continue
        primary = zs.default.sample(rng, n)
        for need, dist in zs.by_need.items():
            if need in _NEED:
                mask = cust.need == _NEED[need]
                primary[mask] = dist.sample(rng, int(mask.sum()))
        rows += [primary, zs.for_need("referral").sample(rng, n)]
    return rows


def _route_table(scenario: Scenario) -> list[list[int]]:
    """Zone index (or -1: no service) for each need, indexed [need][diverted]."""
    open_ = {z: scenario.zone_open(z) for z in SERVICE_ZONES}

    def first(*zones: str) -> int:
        return next((SERVICE_ZONES.index(z) for z in zones if open_[z]), -1)

    return [
        [first("cash"), first("cash")],
        [first("non_cash"), first("non_cash")],
        [first("cash", "self_service"), first("self_service", "cash")],
        [first("wealth", "non_cash"), first("wealth", "non_cash")],
    ]


def _referral_zones(scenario: Scenario) -> tuple[int, int]:
    """Zone index where a referred customer queues: (ordinary segments, priority segments).

    Ordinary customers go to the low counter, priority ones to the wealth room; each
    falls back to the other when its zone is absent.
    """
    non_cash, wealth = scenario.zone_open("non_cash"), scenario.zone_open("wealth")
    return (NON_CASH if non_cash else WEALTH), (WEALTH if wealth else NON_CASH)


class _Day:
    """State and event handlers of one simulated day. Built and run by :func:`simulate`."""

    def __init__(self, scenario: Scenario, cust: Customers, service: list[np.ndarray], staff: Staffing) -> None:
        self.env = simpy.Environment()
        self.cust = cust
        self.staff = staff
        self.arrival = cust.arrival_min.tolist()
        self.n = len(self.arrival)
        self.need = cust.need.tolist()
        self.patience = cust.patience_min.tolist()
        self.service = [row.tolist() for row in service]
        segments = list(scenario.segments.values())
        seg_prio = [s.priority for s in segments]
        tri = scenario.triage
        ident = (cust.u_identify < tri.vip_identification_probability).tolist()
        self.vip = [seg_prio[s] and ident[i] for i, s in enumerate(cust.segment.tolist())]
        self.seg_priority = [seg_prio[s] for s in cust.segment.tolist()]
        self.div_staffed = (cust.u_divert < tri.divert_probability_staffed).tolist()
        self.div_unstaffed = (cust.u_divert < tri.divert_probability_unstaffed).tolist()
        open_ = [scenario.zone_open(z) for z in SERVICE_ZONES]
        p_ref = scenario.sales.referral_probability if (open_[NON_CASH] or open_[WEALTH]) else 0.0
        self.referred = (cust.u_referral < p_ref).tolist()
        self.ref_zone = _referral_zones(scenario)
        self.route = _route_table(scenario)
        self.lobby_open = open_[LOBBY]
        self.pos = [scenario.zones[z].positions for z in SERVICE_ZONES]
        self.seated = [z in SEATED_ZONES for z in SERVICE_ZONES]
        self.seats = scenario.zones["waiting"].positions
        self.balk = scenario.zones["waiting"].balk_when_full
        self.queue: list[list[tuple[int, int]]] = [[] for _ in SERVICE_ZONES]
        self.busy = [0] * len(SERVICE_ZONES)
        self.waiting_seated = 0
        self.staff_zones = staff.zones
        self.state = [_OFF] * len(staff.ids)
        self.leaving = [False] * len(staff.ids)
        self.greeters = 0
        # Staff able to serve each zone, those whose home it is first.
        self.zone_staff = [_by_preference(staff, z) for z in range(len(SERVICE_ZONES))]
        # Visit log (one row per queue joined).
        # Visit log, preallocated: a customer makes at most three visits (greeting,
        # own need, referral); ``self.visits`` counts the rows used.
        size = 3 * self.n
        self.visits = 0
        self.v_cust = [0] * size
        self.v_zone = [0] * size
        self.v_kind = [0] * size
        self.v_join = [0.0] * size
        self.v_start = [math.nan] * size
        self.v_end = [math.nan] * size
        self.v_staff = [-1] * size
        self.v_status = [WAITING] * size
        # Bound handlers, made once (the event loop attaches them to every timeout).
        self._arrive_cb = self._arrive
        self._complete_cb = self._complete
        self._renege_cb = self._renege
        self.no_service: list[int] = []
        self.diverted: list[int] = []
        day = scenario.outlet.day_min
        for k, intervals in enumerate(staff.duty):
            for on, off in intervals:
                self._at(on, self._on_duty, k)
                if off < day:
                    self._at(off, self._off_duty, k)
        if self.n:
            self._at(self.arrival[0], self._arrive, 0)

    def _at(self, delay: float, handler: Any, arg: int) -> None:
        self.env.timeout(delay, arg).callbacks.append(handler)

    # --- customers -------------------------------------------------------------------
    def _arrive(self, ev: Any) -> None:
        i = ev.value
        if i + 1 < self.n:
            self.env.timeout(self.arrival[i + 1] - self.env.now, i + 1).callbacks.append(self._arrive_cb)
        if self.lobby_open and self.greeters > 0:
            self._join(i, LOBBY, 1, GREETING)
        else:
            self._route(i, False)

    def _route(self, i: int, greeted: bool) -> None:
        diverted = self.div_staffed[i] if greeted else self.div_unstaffed[i]
        need = self.need[i]
        zone = self.route[need][diverted]
        if zone < 0:
            self.no_service.append(i)
            return
        if zone == SELF_SERVICE and need == 2 and self.route[need][0] != SELF_SERVICE:
            self.diverted.append(i)
        self._join(i, zone, 0 if (greeted and self.vip[i]) else 1, PRIMARY)

    def _join(self, i: int, zone: int, prio: int, kind: int) -> None:
        v = self.visits
        self.visits = v + 1
        now = self.env.now
        self.v_cust[v] = i
        self.v_zone[v] = zone
        self.v_kind[v] = kind
        self.v_join[v] = now
        if self.busy[zone] < self.pos[zone]:
            server = _MACHINE if zone == SELF_SERVICE else self._idle_staff(zone)
            if server is not None:
                self._start(v, zone, server)
                return
        seated = self.seated[zone]
        if seated:
            if self.waiting_seated >= self.seats and self.balk:
                self.v_status[v] = BALKED
                self.v_end[v] = now
                return
            self.waiting_seated += 1
        heapq.heappush(self.queue[zone], (prio, v))
        if self.patience[i] != math.inf:
            self.env.timeout(self.patience[i], v).callbacks.append(self._renege_cb)

    def _renege(self, ev: Any) -> None:
        v = ev.value
        if self.v_status[v] == WAITING:
            self.v_status[v] = ABANDONED
            self.v_end[v] = self.env.now
            if self.seated[self.v_zone[v]]:
                self.waiting_seated -= 1

    def _start(self, v: int, zone: int, server: int) -> None:
        self.v_start[v] = self.env.now
        self.v_staff[v] = server
        self.v_status[v] = SERVING
        self.busy[zone] += 1
        if server >= 0:
            self.state[server] = _BUSY
        row = 2 * zone + (self.v_kind[v] == REFERRAL)
        self.env.timeout(self.service[row][self.v_cust[v]], v).callbacks.append(self._complete_cb)

    def _complete(self, ev: Any) -> None:
        v = ev.value
        self.v_end[v] = self.env.now
        self.v_status[v] = DONE
        zone = self.v_zone[v]
        server = self.v_staff[v]
        i = self.v_cust[v]
        self.busy[zone] -= 1
        if zone == LOBBY:
            self._route(i, True)
        elif zone == CASH and self.v_kind[v] == PRIMARY and self.referred[i]:
            self._join(i, self.ref_zone[self.seg_priority[i]], 0 if self.vip[i] else 1, REFERRAL)
        if server >= 0:
            if self.leaving[server]:
                self.leaving[server] = False
                self.state[server] = _OFF
            else:
                self.state[server] = _IDLE
                self._next_for(server)
        if self.queue[zone]:
            self._serve_queue(zone)

    def _pop(self, zone: int) -> int | None:
        """The next customer still waiting in ``zone``'s queue (skipping walk-outs)."""
        q = self.queue[zone]
        status = self.v_status
        while q:
            v = heapq.heappop(q)[1]
            if status[v] == WAITING:
                if self.seated[zone]:
                    self.waiting_seated -= 1
                return v
        return None

    def _idle_staff(self, zone: int) -> int | None:
        state = self.state
        for k in self.zone_staff[zone]:
            if state[k] == _IDLE:
                return k
        return None

    def _next_for(self, k: int) -> None:
        """Staff member ``k`` is free: take the next customer from their zones, in order."""
        for zone in self.staff_zones[k]:
            if self.queue[zone] and self.busy[zone] < self.pos[zone]:
                v = self._pop(zone)
                if v is not None:
                    self._start(v, zone, k)
                    return

    def _serve_queue(self, zone: int) -> None:
        """Start as many waiting customers in ``zone`` as free positions and servers allow."""
        while self.queue[zone] and self.busy[zone] < self.pos[zone]:
            server = _MACHINE if zone == SELF_SERVICE else self._idle_staff(zone)
            if server is None:
                return
            v = self._pop(zone)
            if v is None:
                return
            self._start(v, zone, server)

    # --- staff -----------------------------------------------------------------------
    def _on_duty(self, ev: Any) -> None:
        k = ev.value
        if LOBBY in self.staff_zones[k]:
            self.greeters += 1
        if self.state[k] == _BUSY:
            self.leaving[k] = False
            return
        self.state[k] = _IDLE
        self._next_for(k)

    def _off_duty(self, ev: Any) -> None:
        k = ev.value
        if self.state[k] == _BUSY:
            self.leaving[k] = True
        else:
            self.state[k] = _OFF
        if LOBBY in self.staff_zones[k]:
            self.greeters -= 1
            if self.greeters == 0:
                self._bypass_lobby()

    def _bypass_lobby(self) -> None:
        """No greeter left on duty: customers waiting to be greeted go on ungreeted."""
        while (v := self._pop(LOBBY)) is not None:
            self.v_status[v] = BYPASSED
            self.v_end[v] = self.env.now
            self._route(self.v_cust[v], False)


@dataclass(frozen=True, slots=True)
class DayLog:
    """Everything one simulated day produced, as numpy arrays (cheap to keep and to pickle).

    ``customers``: draws per customer (arrival order). Visits: one row per queue a
    customer joined — ``visit_customer``, ``visit_zone`` (index into
    ``SERVICE_ZONES``), ``visit_kind`` (``VISIT_KINDS``), ``visit_join_min``,
    ``visit_start_min`` (NaN if never served), ``visit_end_min`` (service end, walk-out
    or balk time), ``visit_staff`` (index into ``staff.ids``; -2 a machine, -1 none),
    ``visit_status`` (``VISIT_STATUSES``). ``no_service`` and ``diverted`` list
    customer indices. ``sales`` and ``field_new_customers`` are filled by
    :func:`sim.metrics.credit_sales` and the field-marketing draw.
    """

    scenario: Scenario
    staff: Staffing
    customers: Customers
    visit_customer: np.ndarray
    visit_zone: np.ndarray
    visit_kind: np.ndarray
    visit_join_min: np.ndarray
    visit_start_min: np.ndarray
    visit_end_min: np.ndarray
    visit_staff: np.ndarray
    visit_status: np.ndarray
    no_service: np.ndarray
    diverted: np.ndarray
    sales_u: np.ndarray
    field_new_customers: int

    def customers_frame(self) -> pd.DataFrame:
        """One row per customer: arrival (min from opening), segment and need by name, patience."""
        c = self.customers
        return pd.DataFrame({
            "customer": np.arange(c.arrival_min.size), "arrival_min": c.arrival_min,
            "segment": np.asarray(list(self.scenario.segments), dtype=object)[c.segment],
            "need": np.asarray(NEEDS, dtype=object)[c.need], "patience_min": c.patience_min,
        })

    def visits_frame(self) -> pd.DataFrame:
        """One row per queue joined, with zone, kind, status and staff by name (``machine``/``""``)."""
        staff_names = np.asarray([*self.staff.ids, "machine", ""], dtype=object)
        return pd.DataFrame({
            "customer": self.visit_customer, "zone": np.asarray(SERVICE_ZONES, dtype=object)[self.visit_zone],
            "kind": np.asarray(VISIT_KINDS, dtype=object)[self.visit_kind], "join_min": self.visit_join_min,
            "start_min": self.visit_start_min, "end_min": self.visit_end_min,
            "wait_min": np.where(np.isnan(self.visit_start_min), self.visit_end_min,
                                 self.visit_start_min) - self.visit_join_min,
            "staff": staff_names[self.visit_staff],
            "status": np.asarray(VISIT_STATUSES, dtype=object)[self.visit_status],
        })

    def staff_frame(self) -> pd.DataFrame:
        """The staff event log: duty start/end and each service start/end, by person, in time order."""
        rows = [(self.staff.ids[k], ROLES[self.staff.roles[k]], t, event, "", -1)
                for k, intervals in enumerate(self.staff.duty) for on, off in intervals
                for t, event in ((on, "on_duty"), (off, "off_duty"))]
        served = np.flatnonzero(self.visit_staff >= 0)
        for v in served:
            k = int(self.visit_staff[v])
            for t, event in ((self.visit_start_min[v], "service_start"), (self.visit_end_min[v], "service_end")):
                if np.isfinite(t):
                    rows.append((self.staff.ids[k], ROLES[self.staff.roles[k]], float(t), event,
                                 SERVICE_ZONES[self.visit_zone[v]], int(self.visit_customer[v])))
        frame = pd.DataFrame(rows, columns=["staff", "role", "time_min", "event", "zone", "customer"])
        return frame.sort_values(["time_min", "staff"], kind="stable", ignore_index=True)


def field_marketing(scenario: Scenario, rng: np.random.Generator) -> int:
    """New customers won outside today by the outside customer managers.

    Each visit reaches a uniformly random prospect of the pool; an unconverted prospect
    converts with ``field.conversion``. Returns the number converted (diminishing
    returns: the chance of reaching a new prospect falls as the pool is used up).
    """
    f = scenario.field_marketing
    outside = sum(r.outside for r in scenario.roles.values())
    visits = round(outside * f.visits_per_day)
    if visits == 0 or f.prospect_pool == 0 or f.conversion == 0:
        return 0
    u = rng.random((visits, 2))
    converted = 0
    for reach, convert in u:
        if reach < 1.0 - converted / f.prospect_pool and convert < f.conversion:
            converted += 1
    return converted


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0, customers: Customers | None = None) -> DayLog:
    """Simulate one outlet day and return its event log.

    Args:
        scenario: a validated scenario (see :func:`sim.load_scenario`).
        seed: base seed; with ``replication`` it fixes every random stream.
        replication: replication index; different indices give independent days.
        customers: a scripted day's customers instead of drawn ones (arrival times
            sorted); service times are still drawn from the scenario's distributions.
    """
    day, rngs = run_events(scenario, seed, replication, customers)
    return to_log(scenario, day, rngs)


def run_events(scenario: Scenario, seed: int, replication: int,
               customers: Customers | None = None) -> tuple[_Day, dict[str, np.random.Generator]]:
    """Draw the day and run its event loop (the model proper, without building the log)."""
    rngs = _streams(seed, replication)
    cust = draw_customers(scenario, rngs) if customers is None else customers
    day = _Day(scenario, cust, _service_times(scenario, cust, rngs), staffing(scenario))
    day.env.run()
    # The bound handlers make a reference cycle (day -> method -> day); break it so the
    # day is freed at once rather than by the cyclic collector, keeping sweeps' memory flat.
    del day._arrive_cb, day._complete_cb, day._renege_cb
    return day, rngs


def to_log(scenario: Scenario, day: _Day, rngs: dict[str, np.random.Generator]) -> DayLog:
    """Turn a finished day's visit lists into the :class:`DayLog` arrays."""
    used = day.visits
    status = np.asarray(day.v_status[:used], dtype=np.int64)
    status[status == WAITING] = UNSERVED  # still queued when the last event ran
    max_bundle = max((len(s.bundle) for s in scenario.segments.values()), default=0)
    return DayLog(
        scenario, day.staff, day.cust,
        np.asarray(day.v_cust[:used], dtype=np.int64), np.asarray(day.v_zone[:used], dtype=np.int64),
        np.asarray(day.v_kind[:used], dtype=np.int64), np.asarray(day.v_join[:used], dtype=float),
        np.asarray(day.v_start[:used], dtype=float), np.asarray(day.v_end[:used], dtype=float),
        np.asarray(day.v_staff[:used], dtype=np.int64), status,
        np.asarray(day.no_service, dtype=np.int64), np.asarray(day.diverted, dtype=np.int64),
        rngs["sales"].random((day.cust.arrival_min.size, 3, max_bundle)),
        field_marketing(scenario, rngs["field"]),
    )
