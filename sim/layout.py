"""An outlet's layout, compiled once from its scenario: which zones are open, where each
need is routed, where referrals go, who works inside and when, and each zone's capacity.

The model's event loop, the KPIs (:mod:`sim.metrics`) and the analytic loads
(:func:`sim.queueing.zone_load`) all read the layout from :func:`compile_layout`; no
other module re-derives openness or routes. Compiling is cheap and cached per scenario
object, so the thousands of variants of a staffing search (``Scenario.with_staffing``)
each compile once.

Rules (zone indices are :class:`~sim.codes.Zone`):

- A zone is **open** when it has positions and, for staffed zones, some role with
  people inside lists it (``Scenario.zone_open``).
- **Routes** around absent zones, by need and whether the lobby diverted the customer
  to the machines: ``self_service_eligible`` → machines if diverted, else cash, else
  machines; ``cash`` → cash; ``non_cash`` → low counter; ``wealth`` → wealth room, else
  low counter. ``NO_ZONE`` (−1): the customer is lost (``no_service``).
- **Referrals** after cash service go to the low counter (ordinary segments) or the
  wealth room (segments with ``wealth_room``: by default the priority segments), each
  falling back to the other; none are made when both are absent.
- **Staff**: each role's ``inside`` people who serve at least one open zone, named
  ``<role>_<k>``, with their open zones (home first), on-duty intervals in minutes
  from opening (shift minus their staggered lunch) and service speed (1 unless the
  role's ``speed`` list says otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from sim.codes import NO_ZONE, ROLES, SEATED_ZONES, SERVICE_ZONES, Need, Zone
from sim.scenario_types import Scenario
from sim.staffing import person_id


@dataclass(frozen=True, slots=True)
class Staffing:
    """The individual staff members of a scenario who work inside the outlet.

    ``zones[k]`` lists staff member ``k``'s open zone indices (:class:`~sim.codes.Zone`),
    home first; ``duty[k]`` their on-duty intervals in minutes from opening; ``roles[k]``
    their role's index in ``ROLES``; ``speed[k]`` their service speed (service time ÷ speed).
    """

    ids: tuple[str, ...]
    roles: tuple[int, ...]
    zones: tuple[tuple[int, ...], ...]
    duty: tuple[tuple[tuple[float, float], ...], ...]
    speed: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class SaleChances:
    """The sales rules compiled: the chance that a served visit sells each product of its bundle.

    ``cross_sale[zone, role, segment]``: the chance per bundle product after a primary or
    greeting visit (``sales.cross_sale[zone][role] × segment.propensity``, capped at 1; a
    referral visit sells with ``sales.referral_conversion`` instead); ``bundle[segment,
    slot]``: the product index (order of ``[products]``) in each bundle slot, −1 past the
    bundle's end; ``may_sell[role, product]``: the role may sell the product
    (``sales.products_by_role``). The KPIs credit sales with these
    (:func:`sim.metrics.credit_sales`) and the model, when selling takes time, adds the
    minutes of the same sales (:class:`~sim.scenario.SellingTime`).
    """

    cross_sale: np.ndarray
    bundle: np.ndarray
    may_sell: np.ndarray


def sale_chances(scenario: Scenario) -> SaleChances:
    """The scenario's :class:`SaleChances`."""
    segments = list(scenario.segments.values())
    table = np.zeros((len(SERVICE_ZONES), len(ROLES), len(segments)))
    for zone, by_role in scenario.sales.cross_sale.items():
        for role, prob in by_role.items():
            table[SERVICE_ZONES.index(zone), ROLES.index(role)] = [min(1.0, prob * s.propensity) for s in segments]
    width = max((len(s.bundle) for s in segments), default=0)
    bundle = np.full((len(segments), width), -1, dtype=np.int64)
    names = list(scenario.products)
    for k, s in enumerate(segments):
        bundle[k, : len(s.bundle)] = [names.index(p) for p in s.bundle]
    may_sell = np.ones((len(ROLES), max(len(names), 1)), dtype=bool)
    for rid, allowed in scenario.sales.products_by_role.items():
        may_sell[ROLES.index(rid)] = [p in allowed for p in names] or [False]
    return SaleChances(table, bundle, may_sell)


@dataclass(frozen=True, slots=True)
class FlexPost:
    """A zone's flexible post (:class:`~sim.scenario.Flex`), compiled: the zone index, the queue
    thresholds, and the staff (indices into :class:`Staffing`) who may be called to it."""

    zone: int
    open_above: int
    close_below: int
    staff: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DeskRotation:
    """A zone's desk rotation (:class:`~sim.scenario_types.Rotation`), compiled: the zone index, the
    role's people who take turns (indices into :class:`Staffing`, in staff order) and the turns as
    ``(start, crew)``: from ``start`` (minutes from opening) to the next turn's, only the crew of
    ``staff`` serve the zone. Compiled only when the role has more people inside than ``at_desk``."""

    zone: int
    staff: tuple[int, ...]
    turns: tuple[tuple[float, tuple[int, ...]], ...]


@dataclass(frozen=True, slots=True)
class Layout:
    """The compiled outlet: everything the model and the KPIs derive from the scenario's layout.

    Tuples indexed by zone follow :class:`~sim.codes.Zone`. ``route[need][diverted]`` is
    the zone serving a need (:class:`~sim.codes.Need`), or ``NO_ZONE``.
    ``referral_zone[wealth_room]`` is where a referred customer queues (by the segment's ``wealth_room``); ``referrals``
    says whether any referral zone is open. ``zone_staff[z]`` lists the staff able to
    serve zone ``z``, those listing it earlier (home zone first) first.

    Dispatch (:class:`~sim.scenario.Dispatch`): ``offer[z][s]`` lists, in the order
    tried, the staff a customer of segment ``s`` may take at once on joining zone ``z``
    (``zone_staff[z]`` under the staff-order rule; by customer, the preferred staff
    first, then the others unless the customer waits for a preferred one);
    ``preferred[z][s]`` is the set of preferred staff, empty when no role prefers the
    segment there (anyone serves it). ``hold_min`` is the wait for a preferred server
    (0: none), ``holds`` says whether any customer ever waits for one.

    ``sales``: the compiled sales rules (:class:`SaleChances`). ``office``: the wealth rooms'
    office use (``zones.wealth.office_share``) as ``(room, start, end)`` minutes from opening,
    in time order (a room's start before another's end at the same minute); empty without it.
    ``flex``: the flexible posts (:class:`FlexPost`); people of a flexible role who serve no
    open zone of their own (the operations manager) are staff with no zones, called only.
    ``rotation``: the desks taken in turns (:class:`DeskRotation`).
    """

    open: tuple[bool, ...]
    positions: tuple[int, ...]
    route: tuple[tuple[int, int], ...]
    referral_zone: tuple[int, int]
    referrals: bool
    staff: Staffing
    zone_staff: tuple[tuple[int, ...], ...]
    seated: tuple[bool, ...]
    seats: int
    balk_when_full: bool
    offer: tuple[tuple[tuple[int, ...], ...], ...]
    preferred: tuple[tuple[frozenset[int], ...], ...]
    hold_min: float
    holds: bool
    sales: SaleChances
    office: tuple[tuple[int, float, float], ...]
    flex: tuple[FlexPost, ...] = ()
    rotation: tuple[DeskRotation, ...] = ()

    def is_open(self, zone: str) -> bool:
        """True when the zone named ``zone`` (one of ``SERVICE_ZONES``) is open."""
        return self.open[SERVICE_ZONES.index(zone)]


def staffing(scenario: Scenario) -> Staffing:
    """Expand the scenario's roles into named people with their open zones and duty intervals."""
    ids: list[str] = []
    roles: list[int] = []
    zones: list[tuple[int, ...]] = []
    duty: list[tuple[tuple[float, float], ...]] = []
    speed: list[float] = []
    for role in scenario.roles.values():
        zone_idx = tuple(SERVICE_ZONES.index(z) for z in role.zones if scenario.zone_open(z))
        if not zone_idx:
            continue
        for k in range(role.inside):
            ids.append(person_id(role.id, k + 1))
            roles.append(ROLES.index(role.id))
            zones.append(zone_idx)
            speed.append(role.speed[k] if k < len(role.speed) else 1.0)
            if k < len(role.shifts):  # a roster's own shift and lunch (sim.roster)
                start, end, lunch_start, lunch_end = role.shifts[k]
                duty.append(tuple((a, b) for a, b in ((start, lunch_start), (lunch_end, end)) if b > a))
            elif role.lunch_start_min is None:
                duty.append(((role.shift_start_min, role.shift_end_min),))
            else:
                lunch = role.lunch_start_min + k * role.lunch_stagger_min
                duty.append(tuple((a, b) for a, b in ((role.shift_start_min, lunch),
                                                       (lunch + role.lunch_min, role.shift_end_min)) if b > a))
    return Staffing(tuple(ids), tuple(roles), tuple(zones), tuple(duty), tuple(speed))


def duty_table(staff: Staffing) -> np.ndarray:
    """Each staff member's duty intervals as one array ``[staff, interval, (start, end)]``
    in minutes from opening, padded with empty ``(0, 0)`` intervals."""
    table = np.zeros((len(staff.duty), max((len(d) for d in staff.duty), default=0), 2))
    for k, intervals in enumerate(staff.duty):
        table[k, :len(intervals)] = intervals
    return table


def on_duty_parts(start: np.ndarray, end: np.ndarray, server: np.ndarray,
                  table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The parts of services ``[start, end]`` that fall within their ``server``'s duty.

    ``table`` is :func:`duty_table`; returns ``(from, to)`` arrays ``[visit, interval]``
    (minutes), one pair per duty interval of the visit's server, with ``to <= from``
    where the service and that interval do not meet. Service past the end of a duty
    interval (a customer finished into lunch or after close) is overtime, outside them.
    """
    duty = table[server]  # [visit, interval, 2]
    return np.maximum(start[:, None], duty[:, :, 0]), np.minimum(end[:, None], duty[:, :, 1])


def _routes(open_: tuple[bool, ...]) -> tuple[tuple[int, int], ...]:
    """Zone (or ``NO_ZONE``) for each need, indexed [need][diverted]."""

    def first(*zones: Zone) -> int:
        return next((int(z) for z in zones if open_[z]), NO_ZONE)

    table = {
        Need.CASH: (first(Zone.CASH), first(Zone.CASH)),
        Need.NON_CASH: (first(Zone.NON_CASH), first(Zone.NON_CASH)),
        Need.SELF_SERVICE_ELIGIBLE: (first(Zone.CASH, Zone.SELF_SERVICE), first(Zone.SELF_SERVICE, Zone.CASH)),
        Need.WEALTH: (first(Zone.WEALTH, Zone.NON_CASH), first(Zone.WEALTH, Zone.NON_CASH)),
    }
    return tuple(table[need] for need in Need)


def _by_preference(staff: Staffing, zone: int) -> tuple[int, ...]:
    able = [k for k, zs in enumerate(staff.zones) if zone in zs]
    return tuple(sorted(able, key=lambda k: staff.zones[k].index(zone)))


def _dispatch(scenario: Scenario, staff: Staffing, zone_staff: tuple[tuple[int, ...], ...]
              ) -> tuple[tuple[tuple[tuple[int, ...], ...], ...], tuple[tuple[frozenset[int], ...], ...]]:
    """``(offer, preferred)`` of :class:`Layout`, indexed [zone][segment]."""
    d = scenario.dispatch
    segments = tuple(scenario.segments)
    offer: list[tuple[tuple[int, ...], ...]] = []
    preferred: list[tuple[frozenset[int], ...]] = []
    for z, zid in enumerate(SERVICE_ZONES):
        prefer = d.prefer.get(zid, {}) if d.by_customer else {}
        zone_offer, zone_pref = [], []
        for sid in segments:
            roles = {ROLES.index(r) for r, listed in prefer.items() if sid in listed}
            first = tuple(k for k in zone_staff[z] if staff.roles[k] in roles)
            rest = tuple(k for k in zone_staff[z] if staff.roles[k] not in roles)
            zone_offer.append(first if first and d.wait_for_preferred_min > 0 else first + rest)
            zone_pref.append(frozenset(first))
        offer.append(tuple(zone_offer))
        preferred.append(tuple(zone_pref))
    return tuple(offer), tuple(preferred)


def _office(scenario: Scenario) -> tuple[tuple[int, float, float], ...]:
    """The wealth rooms' office blocks ``(room, start, end)`` within the day (see :class:`~sim.scenario.Zone`):
    room ``j`` of ``P`` from ``j·B/P`` into every block of ``B`` minutes, for ``share·B`` minutes."""
    room = scenario.zones["wealth"]
    if room.office_share == 0:
        return ()
    day, block, rooms = scenario.outlet.day_min, room.office_block_min, room.positions
    length = room.office_share * block
    out = []
    for j in range(rooms):
        first = j * block / rooms - block  # the block before the first may run into the day
        for k in range(math.ceil((day - first) / block)):
            start = first + k * block
            if start + length > 0 and start < day:
                out.append((j, max(start, 0.0), min(start + length, day)))
    return tuple(sorted(out, key=lambda r: (r[1], r[0])))


def _with_flex(scenario: Scenario, staff: Staffing) -> tuple[Staffing, tuple[FlexPost, ...]]:
    """The staff with the flexible roles' people added where they serve no open zone of their own
    (their duty from :func:`staffing` of that role alone, at the flexible post), and the posts."""
    posts = []
    for zid, flex in scenario.dispatch.flex.items():
        r = ROLES.index(flex.role)
        people = [k for k, role in enumerate(staff.roles) if role == r]
        if not people:
            role = scenario.roles[flex.role]
            extra = staffing(replace(scenario, roles={flex.role: replace(role, zones=(zid,))}))
            people = list(range(len(staff.ids), len(staff.ids) + len(extra.ids)))
            staff = Staffing(staff.ids + extra.ids, staff.roles + extra.roles, staff.zones + ((),) * len(extra.ids),
                             staff.duty + extra.duty, staff.speed + extra.speed)
        posts.append(FlexPost(SERVICE_ZONES.index(zid), flex.open_above, flex.close_below, tuple(people)))
    return staff, tuple(posts)


def _rotation(scenario: Scenario, staff: Staffing) -> tuple[DeskRotation, ...]:
    """The desk rotations at open zones whose role has more people inside than ``at_desk``: in turn
    ``b`` (from ``b × block_min``) the people ``(b × at_desk + j) mod n`` of the role, ``j < at_desk``."""
    out = []
    for zid, turn in scenario.dispatch.rotation.items():
        z, r = SERVICE_ZONES.index(zid), ROLES.index(turn.role)
        people = tuple(k for k, role in enumerate(staff.roles) if role == r and z in staff.zones[k])
        n, at = len(people), turn.at_desk
        if n <= at:
            continue
        turns = tuple((b * turn.block_min, tuple(people[(b * at + j) % n] for j in range(at)))
                      for b in range(math.ceil(scenario.outlet.day_min / turn.block_min)))
        out.append(DeskRotation(z, people, turns))
    return tuple(out)


def _compile(scenario: Scenario) -> Layout:
    open_ = tuple(scenario.zone_open(z) for z in SERVICE_ZONES)
    staff = staffing(scenario)
    flex: tuple[FlexPost, ...] = ()
    if scenario.dispatch.flex:
        staff, flex = _with_flex(scenario, staff)
    zone_staff = tuple(_by_preference(staff, z) for z in Zone)
    offer, preferred = _dispatch(scenario, staff, zone_staff)
    hold = scenario.dispatch.wait_for_preferred_min
    ordinary = Zone.NON_CASH if open_[Zone.NON_CASH] else Zone.WEALTH
    priority = Zone.WEALTH if open_[Zone.WEALTH] else Zone.NON_CASH
    waiting = scenario.zones["waiting"]
    return Layout(
        open=open_, positions=tuple(scenario.zones[z].positions for z in SERVICE_ZONES), route=_routes(open_),
        referral_zone=(int(ordinary), int(priority)), referrals=open_[Zone.NON_CASH] or open_[Zone.WEALTH],
        staff=staff, zone_staff=zone_staff,
        seated=tuple(z in SEATED_ZONES for z in SERVICE_ZONES), seats=waiting.positions,
        balk_when_full=waiting.balk_when_full, offer=offer, preferred=preferred, hold_min=hold,
        holds=hold > 0 and any(p for zone in preferred for p in zone), sales=sale_chances(scenario),
        office=_office(scenario) if open_[Zone.WEALTH] else (), flex=flex,
        rotation=_rotation(scenario, staff) if scenario.dispatch.rotation else (),
    )


_CACHE: dict[int, tuple[Scenario, Layout]] = {}
_CACHE_SIZE = 64


def compile_layout(scenario: Scenario) -> Layout:
    """The scenario's :class:`Layout`, compiled on first use and cached per scenario object.

    The cache is keyed by object identity (a scenario is immutable; it holds a strong
    reference, so an id is never reused while cached) and keeps the last 64 scenarios.
    """
    hit = _CACHE.get(id(scenario))
    if hit is not None and hit[0] is scenario:
        return hit[1]
    layout = _compile(scenario)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(scenario)] = (scenario, layout)
    return layout
