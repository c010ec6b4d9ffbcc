"""The event loop of one outlet day: SimPy timeouts with callbacks, no process per customer.

Three kinds of timed events drive the day: an arrival (each schedules the next), a
service completion, and a walk-out at the end of a customer's patience in a queue;
plus the staff's duty changes: a few events per customer (one per queue joined and
per service, one per patience timer started). The rules are
in the docstring of :mod:`sim.model`; the layout (open zones, routes, staff) comes
compiled from :func:`sim.layout.compile_layout`.

The loop records one visit per queue joined in preallocated Python lists (cheap to
append to one by one) and returns them as a :class:`DayRun`; :func:`sim.daylog.to_log`
turns that into numpy arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Timeout

from sim.codes import MACHINE, NO_STAFF, NO_ZONE, Need, StaffState, VisitKind, VisitStatus, Zone
from sim.customers import Customers, ServiceTimes
from sim.layout import DeskRotation, FlexPost, Layout, Staffing
from sim.scenario_types import Scenario

# Plain-int aliases of the codes for the hot loop (an int compares faster than an enum member).
_LOBBY, _CASH, _SELF_SERVICE, _WEALTH = int(Zone.LOBBY), int(Zone.CASH), int(Zone.SELF_SERVICE), int(Zone.WEALTH)
_ELIGIBLE = int(Need.SELF_SERVICE_ELIGIBLE)
_PRIMARY, _REFERRAL, _GREETING = int(VisitKind.PRIMARY), int(VisitKind.REFERRAL), int(VisitKind.GREETING)
_WAITING, _SERVING, _DONE = int(VisitStatus.WAITING), int(VisitStatus.SERVING), int(VisitStatus.DONE)
_ABANDONED, _BALKED, _BYPASSED = int(VisitStatus.ABANDONED), int(VisitStatus.BALKED), int(VisitStatus.BYPASSED)
_OFF, _IDLE, _BUSY = int(StaffState.OFF), int(StaffState.IDLE), int(StaffState.BUSY)
#: Queue priority of the lobby's queue (everyone alike); identified VIPs of grade g queue at g - 1 elsewhere,
#: before everyone else (at the highest grade; 0 and 1 with one grade).
_ORDINARY = 1
#: A customer makes at most three visits: greeting, own need, referral.
_MAX_VISITS = len(VisitKind)
_INF = math.inf


@dataclass(frozen=True, slots=True)
class DayRun:
    """A finished day as the event loop recorded it (Python lists, one entry per visit).

    ``visit_*`` lists: customer, zone (:class:`~sim.codes.Zone`), kind
    (:class:`~sim.codes.VisitKind`), join / start / end minute (NaN when it did not
    happen), staff index (``MACHINE``, ``NO_STAFF``) and status
    (:class:`~sim.codes.VisitStatus`). ``no_service`` and ``diverted`` list customers
    lost for want of an open zone and customers diverted to the machines. ``events``
    counts the timed events scheduled in the day. ``flex_away``: ``(staff, from, to)``
    minutes each flexible person spent at a flexible post, away from their own work.
    """

    customers: Customers
    staff: Staffing
    visit_customer: list[int]
    visit_zone: list[int]
    visit_kind: list[int]
    visit_join_min: list[float]
    visit_start_min: list[float]
    visit_end_min: list[float]
    visit_staff: list[int]
    visit_status: list[int]
    no_service: list[int]
    diverted: list[int]
    events: int
    flex_away: list[tuple[int, float, float]] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Customers who arrived."""
        return int(self.customers.arrival_min.size)


class _Timer(Timeout):
    """A SimPy timeout made with its one handler already attached, pushed on the environment's queue.

    ``arg`` is the handler's argument (a customer, visit or staff index) and ``at`` the
    simulated minute it fires, computed as SimPy computes it (``now + delay``), so a
    handler reads the clock from its event. It is a plain :class:`simpy.events.Timeout`
    to the environment; the body is ``Timeout.__init__`` (itself inlined from
    ``Event.__init__`` by SimPy for speed) with the callback list made non-empty at once,
    and the push is :meth:`simpy.Environment.schedule`'s own line (``(now + delay,
    priority, next event id, event)`` on ``env._queue``) without the method call: this
    saves the ``callbacks.append``, two property reads and a call per event in the day's
    hot loop. SimPy orders events by time, then priority, then scheduling order, and the
    loop schedules exactly the events it scheduled before, in the same order: the day is
    the same event for event. Every timed event of a day is one of these, so the
    environment's event-id counter counts them (:meth:`_Day.finish`).
    """

    def __init__(self, env: simpy.Environment, delay: float, arg: int, handler: Any, at: float) -> None:
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self.env = env
        self.callbacks = [handler]
        self._value = None
        self._delay = delay
        self._ok = True
        self.arg = arg
        self.at = at
        heappush(env._queue, (at, NORMAL, next(env._eid), self))


def run_day(scenario: Scenario, layout: Layout, customers: Customers, service: ServiceTimes) -> DayRun:
    """Run the event loop of one day to its end (everyone inside served or gone)."""
    day = _Day(scenario, layout, customers, service)
    day.env.run()
    return day.finish()


class _Day:
    """State and event handlers of one simulated day."""

    def __init__(self, scenario: Scenario, layout: Layout, cust: Customers, service: ServiceTimes) -> None:
        self.env = simpy.Environment()
        self.cust = cust
        self.staff = layout.staff
        self._customer_lists(scenario, layout, cust)
        self.service = [[times.tolist() for times in zone] for zone in service]
        self.route = layout.route
        self.ref_zone = layout.referral_zone
        self.lobby_open = layout.open[_LOBBY]
        self.pos = list(layout.positions)
        self.seated = list(layout.seated)
        self.seats = layout.seats
        self.balk = layout.balk_when_full
        self.queue: list[list[tuple[int, int]]] = [[] for _ in Zone]
        self.busy = [0] * len(Zone)
        self.waiting_seated = 0
        self.staff_zones = list(layout.staff.zones)  # a flexible person's zones change while called
        self.speed = layout.staff.speed
        self.zone_staff = list(layout.zone_staff)  # lists: a desk rotation changes who serves its zone
        self.offer = list(layout.offer)
        self.preferred = layout.preferred
        self.by_customer = scenario.dispatch.by_customer
        self.holds = layout.holds
        self.hold_min = layout.hold_min
        self.flex = bool(layout.flex)
        if self.flex:
            self._flex_lists(layout)
        self.rotating = bool(layout.rotation)
        if self.rotating:
            self._rotation_lists(layout)
        self.selling = bool(scenario.selling_time)
        if self.selling:
            self._selling_lists(scenario, layout, cust)
        self.state = [_OFF] * len(layout.staff.ids)
        self.leaving = [False] * len(layout.staff.ids)
        self.greeters = 0
        self.no_service: list[int] = []
        self.diverted: list[int] = []
        self._visit_log(_MAX_VISITS * self.n)
        # Bound handlers, made once (the loop attaches them to every timeout); finish() drops them.
        self._arrive_cb = self._arrive
        self._complete_cb = self._complete
        self._renege_cb = self._renege
        self._release_cb = self._release
        self.released = [False] * (_MAX_VISITS * self.n) if layout.holds else []
        self.now: float = self.env.now
        self._schedule_duty(scenario.outlet.day_min)
        self._schedule_office(layout.office)
        if self.rotating:
            self._schedule_turns()
        if self.n:
            self._at(self.arrival[0], self._arrive, 0)

    def _customer_lists(self, scenario: Scenario, layout: Layout, cust: Customers) -> None:
        """The per-customer draws as Python lists, with triage and referral decided."""
        self.arrival = cust.arrival_min.tolist()
        self.n = len(self.arrival)
        self.need = cust.need.tolist()
        self.patience = cust.patience_min.tolist()
        tri = scenario.triage
        segments = list(scenario.segments.values())
        priority = np.array([s.priority for s in segments], dtype=bool)[cust.segment]
        self.segment = cust.segment.tolist()
        identify = [tri.vip_identification_probability if s.identification_probability is None
                    else s.identification_probability for s in segments]
        self.vip = (priority & (cust.u_identify < np.array(identify)[cust.segment])).tolist()
        self.first = np.array([s.grade - 1 for s in segments], dtype=np.int64)[cust.segment].tolist()
        self.ordinary = max((s.grade for s in segments if s.priority), default=_ORDINARY)
        self.to_wealth_room = np.array([s.wealth_room for s in segments], dtype=bool)[cust.segment].tolist()
        self.div_staffed = (cust.u_divert < tri.divert_probability_staffed).tolist()
        self.div_unstaffed = (cust.u_divert < tri.divert_probability_unstaffed).tolist()
        p_ref = scenario.sales.referral_probability if layout.referrals else 0.0
        self.referred = (cust.u_referral < p_ref).tolist()

    def _flex_lists(self, layout: Layout) -> None:
        """The flexible posts' state: each zone's post, each person's post while called (−1: at their own
        work) and since when, their own zones, and the minutes away recorded."""
        self.own_zones = layout.staff.zones
        self.post: list[FlexPost | None] = [None] * len(Zone)
        self.posts_of: list[list[FlexPost]] = [[] for _ in layout.staff.ids]
        for post in layout.flex:
            self.post[post.zone] = post
            for k in post.staff:
                self.posts_of[k].append(post)
        self.called = [-1] * len(layout.staff.ids)
        self.called_at = [0.0] * len(layout.staff.ids)
        self.flex_away: list[tuple[int, float, float]] = []

    def _selling_lists(self, scenario: Scenario, layout: Layout, cust: Customers) -> None:
        """What :meth:`_selling_min` reads, as Python lists (selling takes time)."""
        if cust.selling is None:
            raise ValueError("selling takes time in this scenario ([selling_time]), so the customers need their "
                             "selling draws: Customers(..., selling=sim.customers.selling_draws(...))")
        self.role = list(layout.staff.roles)
        self.sales_u = cust.selling.sales_u.tolist()
        self.sell_min = {key: minutes.tolist() for key, minutes in cust.selling.minutes.items()}
        self.cross_sale = layout.sales.cross_sale.tolist()
        self.bundle = layout.sales.bundle.tolist()
        self.may_sell = layout.sales.may_sell.tolist()
        self.conversion = scenario.sales.referral_conversion

    def _visit_log(self, size: int) -> None:
        """Preallocate the visit lists; ``self.visits`` counts the rows used."""
        self.visits = 0
        self.v_cust = [0] * size
        self.v_zone = [0] * size
        self.v_kind = [0] * size
        self.v_join = [0.0] * size
        self.v_start = [math.nan] * size
        self.v_end = [math.nan] * size
        self.v_staff = [NO_STAFF] * size
        self.v_status = [_WAITING] * size

    def _schedule_duty(self, day_min: float) -> None:
        """Schedule every staff member's on- and off-duty events (no off-duty at closing)."""
        for k, intervals in enumerate(self.staff.duty):
            for on, off in intervals:
                self._at(on, self._on_duty, k)
                if off < day_min:
                    self._at(off, self._off_duty, k)

    def _schedule_office(self, office: tuple[tuple[int, float, float], ...]) -> None:
        """Schedule the wealth rooms' office use: each block takes a room from the customers (in time order,
        a block's start before another's end at the same minute, so a room is handed over, never doubled)."""
        for at, handler in sorted([(start, self._office_start) for _, start, _ in office]
                                  + [(end, self._office_end) for _, _, end in office], key=lambda e: e[0]):
            self._at(at, handler, _WEALTH)

    def _at(self, delay: float, handler: Any, arg: int) -> None:
        _Timer(self.env, delay, arg, handler, self.now + delay)

    def finish(self) -> DayRun:
        """The recorded day. Breaks the bound-handler reference cycle (day → method → day)
        so the day is freed at once, not by the cyclic collector: sweeps' memory stays flat."""
        del self._arrive_cb, self._complete_cb, self._renege_cb, self._release_cb
        used = self.visits
        return DayRun(self.cust, self.staff, self.v_cust[:used], self.v_zone[:used], self.v_kind[:used],
                      self.v_join[:used], self.v_start[:used], self.v_end[:used], self.v_staff[:used],
                      self.v_status[:used], self.no_service, self.diverted, next(self.env._eid),
                      self.flex_away if self.flex else [])

    # --- customers -------------------------------------------------------------------
    def _arrive(self, ev: _Timer) -> None:
        i = ev.arg
        self.now = now = ev.at
        if i + 1 < self.n:
            delay = self.arrival[i + 1] - now
            _Timer(self.env, delay, i + 1, self._arrive_cb, now + delay)
        if self.lobby_open and self.greeters > 0:
            self._join(i, _LOBBY, _ORDINARY, _GREETING)
        else:
            self._route(i, False)

    def _route(self, i: int, greeted: bool) -> None:
        diverted = self.div_staffed[i] if greeted else self.div_unstaffed[i]
        need = self.need[i]
        zone = self.route[need][diverted]
        if zone == NO_ZONE:
            self.no_service.append(i)
            return
        if zone == _SELF_SERVICE and need == _ELIGIBLE and self.route[need][0] != _SELF_SERVICE:
            self.diverted.append(i)
        self._join(i, zone, self.first[i] if (greeted and self.vip[i]) else self.ordinary, _PRIMARY)

    def _join(self, i: int, zone: int, prio: int, kind: int) -> None:
        v = self.visits
        self.visits = v + 1
        now = self.now
        self.v_cust[v] = i
        self.v_zone[v] = zone
        self.v_kind[v] = kind
        self.v_join[v] = now
        if self.busy[zone] < self.pos[zone]:
            server = MACHINE if zone == _SELF_SERVICE else self._idle_of(self.offer[zone][self.segment[i]])
            if server is not None:
                self._start(v, zone, server)
                return
        if self.seated[zone]:
            if self.waiting_seated >= self.seats and self.balk:
                self.v_status[v] = _BALKED
                self.v_end[v] = now
                return
            self.waiting_seated += 1
        heappush(self.queue[zone], (prio, v))
        patience = self.patience[i]
        if patience != _INF:
            _Timer(self.env, patience, v, self._renege_cb, now + patience)
        if self.holds and self.preferred[zone][self.segment[i]]:
            _Timer(self.env, self.hold_min, v, self._release_cb, now + self.hold_min)
        if self.flex:
            post = self.post[zone]
            if post is not None:
                self._call(post)

    def _release(self, ev: _Timer) -> None:
        """A customer has waited ``hold_min`` for a preferred server: now anyone may serve them."""
        v = ev.arg
        self.now = ev.at
        if self.v_status[v] != _WAITING:
            return
        self.released[v] = True
        zone = self.v_zone[v]
        if self.busy[zone] < self.pos[zone]:
            server = self._idle_of(self.zone_staff[zone])
            if server is not None:
                self.v_status[v] = _SERVING  # its heap entry is skipped from now on
                if self.seated[zone]:
                    self.waiting_seated -= 1
                self._start(v, zone, server)

    def _eligible(self, v: int, k: int) -> bool:
        """May staff member ``k`` serve waiting visit ``v`` (under a wait for a preferred role)?"""
        preferred = self.preferred[self.v_zone[v]][self.segment[self.v_cust[v]]]
        return not preferred or k in preferred or self.released[v]

    def _take(self, zone: int, k: int) -> int | None:
        """The first waiting visit in ``zone``'s queue order that staff member ``k`` may serve, taken off it."""
        status = self.v_status
        for _, v in sorted(self.queue[zone]):
            if status[v] == _WAITING and self._eligible(v, k):
                status[v] = _SERVING  # its heap entry is skipped from now on; _start sets the rest
                if self.seated[zone]:
                    self.waiting_seated -= 1
                return v
        return None

    def _renege(self, ev: _Timer) -> None:
        v = ev.arg
        self.now = ev.at
        if self.v_status[v] == _WAITING:
            self.v_status[v] = _ABANDONED
            self.v_end[v] = self.now
            if self.seated[self.v_zone[v]]:
                self.waiting_seated -= 1

    def _start(self, v: int, zone: int, server: int) -> None:
        now = self.now
        self.v_start[v] = now
        self.v_staff[v] = server
        self.v_status[v] = _SERVING
        self.busy[zone] += 1
        duration = self.service[zone][self.v_kind[v] == _REFERRAL][self.v_cust[v]]
        if server >= 0:
            self.state[server] = _BUSY
            duration /= self.speed[server]  # exact for speed 1: x / 1.0 == x
            if self.selling:
                duration += self._selling_min(v, zone, server)
        _Timer(self.env, duration, v, self._complete_cb, now + duration)

    def _selling_min(self, v: int, zone: int, k: int) -> float:
        """Minutes staff member ``k`` spends selling in visit ``v`` at ``zone`` (:class:`~sim.scenario.SellingTime`).

        A pitch for each bundle product ``k``'s role may sell with a positive chance at this
        visit, a sale for each that sells (the uniform below the chance, as
        :func:`sim.metrics.credit_sales` decides), and a referral when the cash service ends
        in one (转推介).
        """
        i, kind, role = self.v_cust[v], self.v_kind[v], self.role[k]
        minutes = 0.0
        if zone == _CASH and kind == _PRIMARY and self.referred[i]:
            referral = self.sell_min.get((zone, role, "referral"))
            if referral is not None:
                minutes += referral[i]
        pitch = self.sell_min.get((zone, role, "pitch"))
        sale = self.sell_min.get((zone, role, "sale"))
        seg = self.segment[i]
        p = self.conversion if kind == _REFERRAL else self.cross_sale[zone][role][seg]
        if (pitch is None and sale is None) or p <= 0.0:
            return minutes
        u = self.sales_u[i][kind]
        may_sell = self.may_sell[role]
        for slot, product in enumerate(self.bundle[seg]):
            if product < 0 or not may_sell[product]:
                continue
            if pitch is not None:
                minutes += pitch[i][slot]
            if sale is not None and u[slot] < p:
                minutes += sale[i][slot]
        return minutes

    def _complete(self, ev: _Timer) -> None:
        v = ev.arg
        self.now = ev.at
        self.v_end[v] = self.now
        self.v_status[v] = _DONE
        zone = self.v_zone[v]
        server = self.v_staff[v]
        i = self.v_cust[v]
        self.busy[zone] -= 1
        if zone == _LOBBY:
            self._route(i, True)
        elif zone == _CASH and self.v_kind[v] == _PRIMARY and self.referred[i]:
            self._join(i, self.ref_zone[self.to_wealth_room[i]], self.first[i] if self.vip[i] else self.ordinary,
                       _REFERRAL)
        if server >= 0:
            if self.flex:
                self._free_flex(server)
            elif self.leaving[server]:
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
            v = heappop(q)[1]
            if status[v] == _WAITING:
                if self.seated[zone]:
                    self.waiting_seated -= 1
                return v
        return None

    def _idle_of(self, staff: tuple[int, ...]) -> int | None:
        """The first idle staff member of ``staff`` (in that order), if any."""
        state = self.state
        for k in staff:
            if state[k] == _IDLE:
                return k
        return None

    def _next_for(self, k: int) -> None:
        """Staff member ``k`` is free: take the next customer from their zones, in order."""
        for zone in self.staff_zones[k]:
            if self.queue[zone] and self.busy[zone] < self.pos[zone]:
                v = self._take(zone, k) if self.holds else self._pop(zone)
                if v is not None:
                    self._start(v, zone, k)
                    return

    def _serve_queue(self, zone: int) -> None:
        """Start as many waiting customers in ``zone`` as free positions and servers allow."""
        if self.holds and zone != _SELF_SERVICE:
            for k in self.zone_staff[zone]:
                if not self.queue[zone] or self.busy[zone] >= self.pos[zone]:
                    return
                if self.state[k] == _IDLE and (v := self._take(zone, k)) is not None:
                    self._start(v, zone, k)
            return
        while self.queue[zone] and self.busy[zone] < self.pos[zone]:
            server = MACHINE if zone == _SELF_SERVICE else self._idle_of(self.zone_staff[zone])
            if server is None:
                return
            v = self._pop(zone)
            if v is None:
                return
            if self.by_customer and server != MACHINE:  # the customer's preferred idle server, if any
                chosen = self._idle_of(self.offer[zone][self.segment[self.v_cust[v]]])
                server = server if chosen is None else chosen
            self._start(v, zone, server)

    # --- flexible posts (岗位弹性设置) ---------------------------------------------------
    def _waiting(self, zone: int) -> int:
        """Customers still waiting in ``zone``'s queue (walk-outs left in the heap are skipped)."""
        status = self.v_status
        return sum(1 for _, v in self.queue[zone] if status[v] == _WAITING)

    def _call(self, post: FlexPost) -> None:
        """More than ``open_above`` waiting: the first free person of the post leaves their own work,
        opens a spare position and takes the next customer (at most one call per check)."""
        if self._waiting(post.zone) <= post.open_above:
            return
        for k in post.staff:
            if self.called[k] < 0 and self.state[k] == _IDLE:
                self._go(k, post.zone)
                return

    def _answer(self, k: int) -> bool:
        """Flexible person ``k``, just freed at their own work, goes to a post whose queue is long."""
        for post in self.posts_of[k]:
            if self._waiting(post.zone) > post.open_above:
                self._go(k, post.zone)
                return True
        return False

    def _go(self, k: int, zone: int) -> None:
        self.called[k] = zone
        self.called_at[k] = self.now
        self.staff_zones[k] = (zone,)
        self.pos[zone] += 1
        self._next_for(k)
        if self.state[k] == _IDLE:  # nobody they may serve after all: back at once
            self._back(k)

    def _free_flex(self, k: int) -> None:
        """Staff member ``k`` finished a customer (a day with flexible posts). At a post: back to their
        own work when fewer than ``close_below`` wait there, or when they go off duty. Then off duty, or
        free: at their own work, first to a post whose queue is long, else their next customer."""
        zone = self.called[k]
        if zone >= 0:
            post = self.post[zone]
            assert post is not None
            if self.leaving[k] or self._waiting(zone) < post.close_below:
                self._back(k)
        if self.leaving[k]:
            self.leaving[k] = False
            self.state[k] = _OFF
            return
        self.state[k] = _IDLE
        if not (self.called[k] < 0 and self._answer(k)):
            self._next_for(k)

    def _back(self, k: int) -> None:
        zone = self.called[k]
        self.pos[zone] -= 1
        self.called[k] = -1
        self.staff_zones[k] = self.own_zones[k]
        self.flex_away.append((k, self.called_at[k], self.now))

    # --- desks taken in turns (轮流当值) ------------------------------------------------
    def _rotation_lists(self, layout: Layout) -> None:
        """Who serves each zone without the rotations, the later turns in time order, and the first turns taken."""
        self.all_zone_staff = layout.zone_staff
        self.all_offer = layout.offer
        self.turns = sorted(((start, rot, crew) for rot in layout.rotation for start, crew in rot.turns[1:]),
                            key=lambda turn: turn[0])
        for rot in layout.rotation:
            self._take_turn(rot, rot.turns[0][1])

    def _schedule_turns(self) -> None:
        for j, (start, _, _) in enumerate(self.turns):
            self._at(start, self._turn, j)

    def _take_turn(self, rot: DeskRotation, crew: tuple[int, ...]) -> None:
        """The crew serve the desk's zone (and their other zones); the role's others serve their other zones
        only. A person leaving the desk finishes the customer in hand."""
        zone, off = rot.zone, frozenset(rot.staff).difference(crew)
        for k in rot.staff:
            own = self.staff.zones[k]
            self.staff_zones[k] = own if k not in off else tuple(z for z in own if z != zone)
        self.zone_staff[zone] = tuple(k for k in self.all_zone_staff[zone] if k not in off)
        self.offer[zone] = tuple(tuple(k for k in seg if k not in off) for seg in self.all_offer[zone])

    def _turn(self, ev: _Timer) -> None:
        """A new turn at a desk: the incoming crew, if free, take the next customer."""
        self.now = ev.at
        _, rot, crew = self.turns[ev.arg]
        self._take_turn(rot, crew)
        for k in crew:
            if self.state[k] == _IDLE:
                self._next_for(k)

    # --- the wealth room used as an office ------------------------------------------
    def _office_start(self, ev: _Timer) -> None:
        """Office use takes a room (理财室…被网点主任和客户经理占用); a customer in it is finished first."""
        self.now = ev.at
        self.pos[ev.arg] -= 1

    def _office_end(self, ev: _Timer) -> None:
        """The room is free for customers again."""
        self.now = ev.at
        zone = ev.arg
        self.pos[zone] += 1
        if self.queue[zone]:
            self._serve_queue(zone)

    # --- staff -----------------------------------------------------------------------
    def _on_duty(self, ev: _Timer) -> None:
        k = ev.arg
        self.now = ev.at
        if _LOBBY in self.staff_zones[k]:
            self.greeters += 1
        if self.state[k] == _BUSY:
            self.leaving[k] = False
            return
        self.state[k] = _IDLE
        self._next_for(k)

    def _off_duty(self, ev: _Timer) -> None:
        k = ev.arg
        self.now = ev.at
        if self.state[k] == _BUSY:
            self.leaving[k] = True
        else:
            self.state[k] = _OFF
        if _LOBBY in self.staff_zones[k]:
            self.greeters -= 1
            if self.greeters == 0:
                self._bypass_lobby()

    def _bypass_lobby(self) -> None:
        """No greeter left on duty: customers waiting to be greeted go on ungreeted."""
        while (v := self._pop(_LOBBY)) is not None:
            self.v_status[v] = _BYPASSED
            self.v_end[v] = self.now
            self._route(self.v_cust[v], False)
