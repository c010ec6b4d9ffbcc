"""Scenario files: one outlet (网点) per TOML file, loaded into a frozen, validated object.

Loading goes *read → fill defaults → validate → build*: every field is checked as it
is read, so the first problem stops the load with a :class:`~sim.errors.ScenarioError`
naming the file, the dotted field path and what is allowed. Model code never reads
files; it receives a :class:`Scenario`.

Units are in the field names: ``_min`` minutes, ``_per_hour`` customers per hour,
``_yuan`` yuan. Clock times are ``"HH:MM"`` strings; hours past 24 (up to
:data:`sim.tomlio.MAX_CLOCK_HOURS`) are accepted so that analytic studies can run one
long "day" (e.g. ``close = "1500:00"``).

Counts, rates, durations and amounts have upper bounds (the ``MAX_*`` constants below)
far above any real outlet but low enough that one simulated day fits in memory and
seconds. After the fields, :func:`from_dict` checks the outlet as a whole: no service
zone at all is an error; staff or service for undeclared zones, or nobody inside to
serve, is a :class:`~sim.errors.ScenarioWarning`.

``docs/formats/scenario.md`` documents every field; ``scenarios/backbone_outlet.toml`` is a commented
example.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from sim.codes import (
    CUSTOMER_ZONES,
    NEEDS,
    ROLES,
    SERVICE_NEEDS,
    SERVICE_ZONES,
    STAFFED_ZONES,
    TIERS,
    ZONES,
)
from sim.distributions import KINDS, Distribution
from sim.errors import ScenarioError, ScenarioWarning, warn
from sim.scenario_types import (
    DEFAULT_OFFICE_BLOCK_MIN,
    DEFAULT_ROTATION_BLOCK_MIN,
    DEFAULT_TARGET_WAIT_MIN,
    DISPATCH_RULES,
    DISPATCH_ZONES,
    MAX_CV,
    MAX_DAY_CUSTOMERS,
    MAX_DURATION_MIN,
    MAX_FIELD_VISITS,
    MAX_GRADES,
    MAX_HEADCOUNT,
    MAX_OFFICE_BLOCKS,
    MAX_PITCH_RATE,
    MAX_POSITIONS,
    MAX_PROPENSITY,
    MAX_PROSPECT_POOL,
    MAX_ROTATION_BLOCKS,
    MAX_SEATS,
    MAX_SPEED,
    MAX_SURGE,
    MAX_YUAN,
    MIN_CV,
    MIN_SPEED,
    SELLING_ACTS,
    SHARE_TOLERANCE,
    Dispatch,
    Field,
    Flex,
    LobbyPitch,
    Outlet,
    Product,
    Role,
    Rotation,
    Sales,
    Scenario,
    Segment,
    SellingTime,
    Triage,
    WalkIn,
    Zone,
    ZoneService,
    check_day_customers,
    check_segment_shares,
)
from sim.tomlio import REQUIRED, Table, plain_copy, read_toml, show, with_values


def _duration(t: Table, key: str, day_min: float | None = None) -> float:
    """A duration in minutes, > 0 and at most :data:`MAX_DURATION_MIN`; with ``day_min``, at most the
    opening day too (an add-on to a service, such as selling time, must fit in the day)."""
    minutes = t.number(key, gt=0.0, le=MAX_DURATION_MIN)
    if day_min is not None and minutes > day_min:
        raise t.fail(key, f"must be at most the opening day ({day_min:g} min): a longer add-on would stretch "
                     f"the service past closing, got {minutes:g}")
    return minutes


def _distribution(t: Table, day_min: float | None = None) -> Distribution:
    """A ``distribution`` table; with ``day_min``, each value or mean at most the opening day (:func:`_duration`)."""
    kind = t.string("distribution", choices=KINDS)
    if kind == "deterministic":
        dist = Distribution(kind, _duration(t, "value_min", day_min), cv=0.0)
    elif kind == "empirical":
        values = t.raw("values_min")
        if not isinstance(values, list) or not values:
            raise t.fail("values_min", "expected a non-empty list of durations in minutes")
        items = Table(t.source, t.where("values_min"), {f"[{i}]": v for i, v in enumerate(values)})
        vals = tuple(_duration(items, f"[{i}]", day_min) for i in range(len(values)))
        dist = Distribution(kind, sum(vals) / len(vals), cv=0.0, values_min=vals)
    else:
        mean = _duration(t, "mean_min", day_min)
        cv = 1.0 if kind == "exponential" else t.number("cv", ge=MIN_CV, le=MAX_CV)
        dist = Distribution(kind, mean, cv=cv)
    t.finish()
    return dist


def _outlet(root: Table) -> Outlet:
    root.require_kind("an outlet scenario", "outlet")
    t = root.table("outlet", required=True)
    name = t.string("name")
    tier = t.string("tier", choices=TIERS)
    open_min = t.clock("open")
    close_min = t.clock("close")
    if close_min <= open_min:
        raise t.fail("close", f"must be after open ({t.data['open']}), got {t.data['close']!r}")
    warmup = t.number("warmup_min", 0.0, ge=0.0)
    if warmup >= close_min - open_min:
        raise t.fail("warmup_min", "must be shorter than the opening day")
    t.finish()
    return Outlet(name, tier, open_min, close_min, warmup)


def _zones(root: Table) -> dict[str, Zone]:
    zones = {z: Zone(z, 0) for z in ZONES}
    for zid, t in root.subtables("zones", ZONES):
        if zid == "waiting":
            seats = t.integer("seats", 0, le=MAX_SEATS)
            zones[zid] = Zone(zid, seats, balk_when_full=t.boolean("balk_when_full", False))
        else:
            if not t.has("positions"):
                raise t.fail("positions", f"missing; a [zones.{zid}] table needs positions (0 = no such zone, "
                             f"at most {MAX_POSITIONS})")
            positions = t.integer("positions", le=MAX_POSITIONS)
            target = t.number("target_wait_min", DEFAULT_TARGET_WAIT_MIN, gt=0.0, le=MAX_DURATION_MIN)
            zones[zid] = Zone(zid, positions, target, False, *_office_use(t, zid))
        t.finish()
    return zones


def _office_use(t: Table, zid: str) -> tuple[float, float]:
    """``office_share`` and ``office_block_min`` of a ``[zones.X]`` table (see :class:`Zone`)."""
    if zid != "wealth":
        for key in ("office_share", "office_block_min"):
            if t.has(key):
                raise t.fail(key, "office use applies to the wealth room only (理财室, [zones.wealth]); remove it here")
        return 0.0, DEFAULT_OFFICE_BLOCK_MIN
    share = t.number("office_share", 0.0, ge=0.0)
    if share >= 1.0:
        raise t.fail("office_share", "must be < 1 (a room that is an office all day is no wealth room: "
                     f"give positions = 0 instead), got {share:g}")
    return share, t.number("office_block_min", DEFAULT_OFFICE_BLOCK_MIN, ge=1.0, le=MAX_DURATION_MIN)


def _check_office(zones: Mapping[str, Zone], outlet: Outlet, source: str) -> None:
    """At most :data:`MAX_OFFICE_BLOCKS` office blocks a day over all wealth rooms (two events each)."""
    room = zones["wealth"]
    if room.office_share > 0 and room.positions == 0:
        raise ScenarioError(source, "zones.wealth.office_share", "the wealth room has no positions, so office use "
                            "would have no effect; remove office_share or give the room positions")
    if room.office_share > 0 and room.office_block_min > outlet.day_min:
        raise ScenarioError(source, "zones.wealth.office_block_min", f"must be at most the opening day "
                            f"({outlet.day_min:g} min) so that every room takes its turn as an office, "
                            f"got {room.office_block_min:g}")
    blocks = room.positions * math.ceil(outlet.day_min / room.office_block_min)
    if room.office_share > 0 and blocks > MAX_OFFICE_BLOCKS:
        raise ScenarioError(source, "zones.wealth.office_block_min", f"{room.positions} rooms x blocks of "
                            f"{room.office_block_min:g} min make {blocks} office blocks a day; at most "
                            f"{MAX_OFFICE_BLOCKS} allowed (use longer blocks)")


def _clock_pair(t: Table, key: str, outlet: Outlet) -> tuple[float, float]:
    """A ``["HH:MM", "HH:MM"]`` pair as minutes from opening, checked against opening hours."""
    value = t.raw(key)
    if not (isinstance(value, list) and len(value) == 2):
        raise t.fail(key, f'expected ["HH:MM", "HH:MM"], got {show(value)}')
    pair = Table(t.source, t.where(key), {"start": value[0], "end": value[1]})
    start, end = pair.clock("start") - outlet.open_min, pair.clock("end") - outlet.open_min
    if end <= start:
        raise t.fail(key, f"end must be after start, got {show(value)}")
    return start, end


def _check_lunch(role: Role, source: str) -> None:
    """Every inside person's staggered lunch must lie within the role's shift."""
    if role.lunch_start_min is None:
        return
    last_end = role.lunch_start_min + role.lunch_min + role.lunch_stagger_min * max(role.inside - 1, 0)
    if role.lunch_start_min < role.shift_start_min or last_end > role.shift_end_min:
        raise ScenarioError(source, f"staff.{role.id}.lunch", "every person's lunch (with lunch_stagger_min) must "
                            f"lie within the shift; with {role.inside} people inside the last lunch ends "
                            f"{max(last_end - role.shift_end_min, 0.0):g} min after it")
    if role.lunch_min >= role.shift_end_min - role.shift_start_min:
        raise ScenarioError(source, f"staff.{role.id}.lunch", "the lunch takes the whole shift, so nobody of "
                            "this role is ever on duty; shorten the lunch or lengthen the shift")


def _staff_zones(t: Table) -> tuple[str, ...]:
    zones = t.raw("zones", [])
    if not isinstance(zones, list) or not all(isinstance(z, str) and z in STAFFED_ZONES for z in zones) \
            or len(set(zones)) < len(zones):
        raise t.fail("zones", f"{show(zones)} is not allowed; a list of distinct zones from: "
                     f"{', '.join(STAFFED_ZONES)}")
    return tuple(zones)


def _role(rid: str, t: Table, outlet: Outlet) -> Role:
    count = t.integer("count", 0, le=MAX_HEADCOUNT)
    inside = t.integer("inside", count) if rid == "customer_manager" else count
    if inside > count:
        raise t.fail("inside", f"must be <= count ({count}), got {inside}")
    zones = _staff_zones(t)
    start, end = _clock_pair(t, "shift", outlet) if t.raw("shift", None) is not None else (0.0, outlet.day_min)
    if start < 0 or end > outlet.day_min:
        raise t.fail("shift", "must lie within opening hours "
                     f"({format_clock(outlet.open_min)}-{format_clock(outlet.close_min)})")
    stagger = t.number("lunch_stagger_min", 0.0, ge=0.0, le=MAX_DURATION_MIN)
    lunch_start: float | None = None
    lunch_len = 0.0
    if t.raw("lunch", None) is not None:
        lunch_start, lunch_end = _clock_pair(t, "lunch", outlet)
        lunch_len = lunch_end - lunch_start
    elif t.has("lunch_stagger_min"):
        raise t.fail("lunch_stagger_min", 'used only with lunch = ["HH:MM", "HH:MM"]; add a lunch or remove it')
    speed = t.number_list("speed", [], ge=MIN_SPEED, le=MAX_SPEED)
    if speed and not zones:
        raise t.fail("speed", "this role serves no zone (zones = []), so speeds would have no effect; remove them")
    shifts = _person_shifts(t, outlet)
    if shifts and not zones:
        raise t.fail("shifts", "this role serves no zone (zones = []), so shifts would have no effect; remove them")
    if len(shifts) > inside:
        raise t.fail("shifts", f"{len(shifts)} shifts for {inside} {'person' if inside == 1 else 'people'} inside; "
                     "give at most one per person (people beyond the list keep the role's shift and lunch)")
    t.finish()
    role = Role(rid, count, inside, zones, start, end, lunch_start, lunch_len, stagger, speed, shifts)
    _check_lunch(role, t.source)
    return role


def _person_shifts(t: Table, outlet: Outlet) -> tuple[tuple[float, float, float, float], ...]:
    """``shifts = [["HH:MM", "HH:MM", "HH:MM", "HH:MM"], ...]``: each inside person's shift start and end and
    lunch start and end (two clocks: no lunch), within opening hours, the lunch within the shift."""
    value = t.raw("shifts", [])
    if not isinstance(value, list):
        raise t.fail("shifts", 'expected a list of ["start", "end", "lunch start", "lunch end"] clocks, '
                     f"got {show(value)}")
    out = []
    for k, item in enumerate(value):
        key = f"shifts[{k}]"
        if not (isinstance(item, list) and len(item) in (2, 4)):
            raise t.fail(key, f'expected ["HH:MM", "HH:MM"] or ["HH:MM", "HH:MM", "HH:MM", "HH:MM"], got {show(item)}')
        clocks = Table(t.source, t.where(key), {str(i): c for i, c in enumerate(item)})
        start, end, *lunch = (clocks.clock(str(i)) - outlet.open_min for i in range(len(item)))
        lunch_start, lunch_end = lunch or (end, end)
        if not 0 <= start < end <= outlet.day_min:
            raise t.fail(key, "the shift must end after it starts, within opening hours "
                         f"({format_clock(outlet.open_min)}-{format_clock(outlet.close_min)}), got {show(item)}")
        if not start <= lunch_start <= lunch_end <= end:
            raise t.fail(key, f"the lunch must lie within the shift, got {show(item)}")
        if lunch_end - lunch_start >= end - start:
            raise t.fail(key, f"the lunch takes the whole shift, so this person is never on duty, got {show(item)}")
        out.append((start, end, lunch_start, lunch_end))
    return tuple(out)


def format_clock(minutes: float) -> str:
    """Minutes after midnight as ``"HH:MM"`` (hours may pass 24)."""
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


def _rates(root: Table, outlet: Outlet) -> tuple[tuple[float, ...], float]:
    """The hourly arrival rates before the surge factor (customers per hour, one per opening hour), and the factor."""
    t = root.table("arrivals", required=True)
    slots = outlet.slot_min
    surge = t.number("surge_factor", 1.0, gt=0.0, le=MAX_SURGE)
    if t.has("rate_per_hour") == t.has("daily_customers"):
        raise t.fail("rate_per_hour", "give exactly one of rate_per_hour or daily_customers")
    if t.has("rate_per_hour"):
        if t.has("hourly_profile"):
            raise t.fail("hourly_profile", "used only with daily_customers (it spreads them over the hours); "
                         "with rate_per_hour give a list of rates, one per opening hour")
        value = t.raw("rate_per_hour")
        if not isinstance(value, list):
            rates = [t.number("rate_per_hour", gt=0.0, le=MAX_DAY_CUSTOMERS)] * len(slots)
        else:
            rates = _hourly(t, "rate_per_hour", value, len(slots), MAX_DAY_CUSTOMERS)
    else:
        daily = t.number("daily_customers", gt=0.0, le=MAX_DAY_CUSTOMERS)
        weights = _hourly(t, "hourly_profile", t.raw("hourly_profile", [1.0] * len(slots)), len(slots), None)
        top = max(weights)  # relative weights: rescale first so that huge ones cannot overflow
        scale = daily / sum(w / top * s / 60.0 for w, s in zip(weights, slots, strict=True))
        rates = [w / top * scale for w in weights]
    t.finish(("daily_customers", "hourly_profile", "rate_per_hour"))
    check_day_customers(root.source, "arrivals", sum(r * surge * s / 60.0 for r, s in zip(rates, slots, strict=True)))
    return tuple(rates), surge


def _hourly(t: Table, key: str, value: object, n: int, le: float | None) -> list[float]:
    """A list of ``n`` numbers >= 0 (at most ``le``), one per opening hour, not all zero."""
    if not isinstance(value, list) or len(value) != n:
        raise t.fail(key, f"expected a list of {n} numbers, one per opening hour")
    weights = list(t.number_list(key, value, ge=0.0, le=le))
    if not any(w > 0 for w in weights):
        raise t.fail(key, "at least one hour must have a positive rate")
    return weights


def _shares(t: Table, key: str, names: tuple[str, ...]) -> tuple[float, ...]:
    """A table of probabilities over ``names`` that must sum to 1 (missing names are 0)."""
    sub = t.table(key, required=True)
    values = tuple(sub.probability(n, 0.0) for n in names)
    sub.finish()
    if abs(sum(values) - 1.0) > SHARE_TOLERANCE:
        raise t.fail(key, f"shares must sum to 1, got {sum(values):.6g}")
    return values


def _bundle(t: Table, products: Mapping[str, Product]) -> tuple[str, ...]:
    """The segment's bundle: distinct product names from ``[products]``."""
    bundle = t.raw("bundle", [])
    if not isinstance(bundle, list) or not all(isinstance(p, str) and p in products for p in bundle):
        raise t.fail("bundle", f"{show(bundle)}: every product must be in [products]; known: "
                     f"{', '.join(products) or 'none'}")
    twice = next((p for i, p in enumerate(bundle) if p in bundle[:i]), None)
    if twice is not None:
        raise t.fail("bundle", f"{twice!r} is listed twice; each product at most once")
    return tuple(bundle)


def _patience(t: Table) -> Distribution | None:
    value = t.raw("patience", "none")
    if value == "none":
        return None
    if not isinstance(value, dict):
        raise t.fail("patience", f'expected "none" or a table {{distribution = ..., mean_min = ...}}, '
                     f"got {show(value)}")
    return _distribution(t.table("patience"))


def _segment(sid: str, t: Table, products: Mapping[str, Product]) -> Segment:
    priority = t.boolean("priority", sid == "vip")
    for key in ("grade", "identification_probability"):
        if t.has(key) and not priority:
            raise t.fail(key, "a VIP grade's field: this segment has priority = false, so it is never identified "
                         "or ranked; set priority = true or remove it")
    identify = t.probability("identification_probability") if t.has("identification_probability") else None
    segment = Segment(
        sid, t.number("share", gt=0.0, le=1.0), _shares(t, "needs", NEEDS), _patience(t),
        priority, t.number("propensity", 1.0, ge=0.0, le=MAX_PROPENSITY),
        _bundle(t, products), _yuan(t, "walkout_value_lost_yuan"), t.probability("churn_probability", 0.0),
        _yuan(t, "churn_value_yuan"), t.integer("grade", 1, ge=1, le=MAX_GRADES), identify,
        t.boolean("wealth_room", priority),
    )
    t.finish()
    return segment


def _segments(root: Table, products: Mapping[str, Product]) -> dict[str, Segment]:
    segments = {sid: _segment(sid, t, products) for sid, t in root.subtables("segments")}
    if not segments:
        raise root.fail("segments", "at least one customer segment is required")
    check_segment_shares(root.source, segments)
    return segments


def _service(root: Table, zones: Mapping[str, Zone]) -> dict[str, ZoneService]:
    service: dict[str, ZoneService] = {}
    for zid, t in root.subtables("service", SERVICE_ZONES):
        by_need = {need: _distribution(sub) for need, sub in t.subtables("by_need", SERVICE_NEEDS)}
        service[zid] = ZoneService(_distribution(t), by_need)
    for zid in SERVICE_ZONES:
        if zones[zid].positions > 0 and zid not in service:
            raise root.fail(f"service.{zid}", f"missing; zone {zid!r} has positions so it needs a service time")
    return service


def role_keys(t: Table, skip: Collection[str] = ()) -> list[str]:
    """The keys of a table keyed by role (``skip`` left out), each a role of :data:`ROLES`; the first that
    is not is refused with one line naming it and the roles allowed."""
    keys = [k for k in t.data if k not in skip]
    for k in keys:
        if k not in ROLES:
            raise t.fail(k, f"unknown role; allowed: {', '.join(ROLES)}")
    return keys


def _sales(root: Table, products: Mapping[str, Product], roles: Mapping[str, Role]) -> Sales:
    t = root.table("sales")
    cross: dict[str, dict[str, float]] = {}
    for zid, sub in t.subtables("cross_sale", STAFFED_ZONES):
        cross[zid] = {}
        for rid in role_keys(sub):
            cross[zid][rid] = sub.probability(rid)
    by_role: dict[str, tuple[str, ...]] = {}
    listed = t.table("products_by_role")
    for rid in role_keys(listed):
        value = listed.raw(rid)
        if not isinstance(value, list) or not all(isinstance(p, str) and p in products for p in value):
            raise listed.fail(rid, f"expected a list of products from [products] ({', '.join(products) or 'none'}), "
                              f"got {show(value)}")
        twice = next((p for i, p in enumerate(value) if p in value[:i]), None)
        if twice is not None:
            raise listed.fail(rid, f"product {twice!r} is listed twice; each product at most once")
        by_role[rid] = tuple(value)
    listed.finish()
    pitch = t.table("lobby_pitch")
    lobby = LobbyPitch(pitch.number("rate_per_min", 0.0, ge=0.0, le=MAX_PITCH_RATE),
                       pitch.probability("conversion", 0.0))
    pitch.finish()
    sales = Sales(t.probability("referral_probability", 0.0), t.probability("referral_conversion", 0.0), cross,
                  by_role, lobby, _walk_in(t, roles))
    t.finish()
    return sales


def _walk_in(sales: Table, roles: Mapping[str, Role]) -> WalkIn:
    """``[sales.walk_in]``: ``prospect_share`` and ``[sales.walk_in.conversion]`` of ``role = chance``
    for roles serving the low counter."""
    t = sales.table("walk_in")
    share = t.probability("prospect_share", 0.0)
    conv = t.table("conversion")
    conversion: dict[str, float] = {}
    for rid in role_keys(conv):
        if rid not in roles or "non_cash" not in roles[rid].zones:
            raise conv.fail(rid, f"[staff.{rid}] does not serve the low counter (non_cash), so it meets no walk-in "
                            "prospect there; roles serving non_cash: "
                            f"{', '.join(r for r, role in roles.items() if 'non_cash' in role.zones) or 'none'}")
        conversion[rid] = conv.probability(rid)
    t.finish()
    return WalkIn(share, conversion)


def _yuan(t: Table, key: str, default: Any = 0.0) -> float:
    """An amount of money (or points) >= 0 and at most :data:`MAX_YUAN`."""
    return t.number(key, default, ge=0.0, le=MAX_YUAN)


def _products(root: Table) -> dict[str, Product]:
    products = {}
    for pid, t in root.subtables("products"):
        products[pid] = Product(pid, _yuan(t, "value_yuan", REQUIRED), _yuan(t, "points"))
        t.finish()
    return products


def _field(root: Table) -> Field:
    t = root.table("field")
    f = Field(
        t.number("visits_per_day", 0.0, ge=0.0, le=MAX_FIELD_VISITS), t.probability("conversion", 0.0),
        _yuan(t, "value_per_new_customer_yuan"), t.integer("prospect_pool", 0, le=MAX_PROSPECT_POOL),
    )
    t.finish()
    return f


def _fees(root: Table) -> dict[str, float]:
    t = root.table("fee_yuan")
    fees = {z: _yuan(t, z) for z in SERVICE_ZONES if z != "lobby"}
    t.finish()
    return fees


def _triage(root: Table) -> Triage:
    t = root.table("triage")
    triage = Triage(
        t.probability("vip_identification_probability", 0.0), t.probability("divert_probability_staffed", 0.0),
        t.probability("divert_probability_unstaffed", 0.0),
    )
    t.finish()
    return triage


def _dispatch(root: Table, outlet: Outlet, segments: Mapping[str, Segment], roles: Mapping[str, Role]) -> Dispatch:
    """The ``[dispatch]`` table: the rule, the wait for a preferred role, ``[dispatch.prefer.ZONE]``
    tables of ``role = [segments]``, flexible posts and desk rotations."""
    t = root.table("dispatch")
    rule = t.string("rule", "staff_order", DISPATCH_RULES)
    wait = t.number("wait_for_preferred_min", 0.0, ge=0.0, le=MAX_DURATION_MIN)
    prefer: dict[str, dict[str, tuple[str, ...]]] = {}
    for zid, sub in t.subtables("prefer", DISPATCH_ZONES):
        prefer[zid] = {}
        for rid in role_keys(sub):
            if rid not in roles:
                raise sub.fail(rid, f"the scenario has no [staff.{rid}] block; prefer one of its roles "
                               f"({', '.join(roles) or 'none'})")
            if zid not in roles[rid].zones:
                raise sub.fail(rid, f"[staff.{rid}] does not serve {zid!r} (its zones: "
                               f"{', '.join(roles[rid].zones) or 'none'}), so it cannot be preferred there")
            listed = sub.raw(rid)
            if not isinstance(listed, list) or not all(isinstance(x, str) and x in segments for x in listed):
                raise sub.fail(rid, f"expected a list of segment names from [segments] ({', '.join(segments)}), "
                               f"got {show(listed)}")
            twice = next((x for i, x in enumerate(listed) if x in listed[:i]), None)
            if twice is not None:
                raise sub.fail(rid, f"segment {twice!r} is listed twice")
            if not listed and rule == "by_customer":
                raise sub.fail(rid, "an empty list prefers no segment; list segments from [segments] "
                               f"({', '.join(segments)}) or remove the line")
            other = next((r for r, segs in prefer[zid].items() for x in listed if x in segs), None)
            if other is not None:
                both = next(x for x in listed if x in prefer[zid][other])
                raise sub.fail(rid, f"segment {both!r} is preferred by both {other} and {rid} at {zid}; "
                               "a segment goes first to one role per zone")
            prefer[zid][rid] = tuple(listed)
    flex = _flex(t, roles)
    rotation = _rotation(t, outlet, roles, flex)
    t.finish()
    if prefer and rule != "by_customer":
        warn(root.source, "dispatch.prefer", f'ignored: rule = "{rule}" dispatches by staff order; '
             'set rule = "by_customer" to use the preferences')
    if rule == "staff_order" and wait > 0:
        warn(root.source, "dispatch.wait_for_preferred_min", 'ignored: rule = "staff_order" has no preferred '
             'role to wait for; set rule = "by_customer" or remove it')
    if rule == "by_customer" and not any(prefer.values()):
        raise t.fail("prefer", 'rule = "by_customer" needs at least one [dispatch.prefer.ZONE] table '
                     "of role = [segments]")
    return Dispatch(rule, wait, prefer, flex, rotation)


def _role_inside(sub: Table, roles: Mapping[str, Role], lever: str) -> tuple[str, Role]:
    """The table's ``role`` and its :class:`Role`, which must have people inside for ``lever`` to act."""
    rid = sub.string("role", choices=ROLES)
    role = roles.get(rid)
    if role is None or role.inside == 0:
        raise sub.fail("role", f"the scenario has nobody inside of {rid}; {lever} needs "
                       f"[staff.{rid}] with people inside")
    return rid, role


def _flex(t: Table, roles: Mapping[str, Role]) -> dict[str, Flex]:
    """``[dispatch.flex.ZONE]`` tables: ``role``, ``open_above`` and ``close_below`` (see :class:`Flex`)."""
    out: dict[str, Flex] = {}
    for zid, sub in t.subtables("flex", DISPATCH_ZONES):
        rid, role = _role_inside(sub, roles, "a flexible post")
        if zid in role.zones:
            raise sub.fail("role", f"{rid} already serves {zid}; a flexible post is for staff of another post")
        other = next((z for z, f in out.items() if f.role == rid), None)
        if other is not None:
            raise sub.fail("role", f"{rid} is already the flexible post of {other}; one zone per role")
        above = sub.integer("open_above", le=MAX_SEATS)
        below = sub.integer("close_below", ge=1, le=max(above, 1))
        sub.finish()
        out[zid] = Flex(rid, above, below)
    return out


def _rotation(t: Table, outlet: Outlet, roles: Mapping[str, Role], flex: Mapping[str, Flex]) -> dict[str, Rotation]:
    """``[dispatch.rotation.ZONE]`` tables: ``role``, ``at_desk`` and ``block_min`` (see :class:`Rotation`)."""
    out: dict[str, Rotation] = {}
    for zid, sub in t.subtables("rotation", DISPATCH_ZONES):
        rid, role = _role_inside(sub, roles, "a desk rotation")
        if zid not in role.zones:
            raise sub.fail("role", f"[staff.{rid}] does not serve {zid!r} (its zones: "
                           f"{', '.join(role.zones) or 'none'}), so it has no desk there to take turns at")
        other = next((z for z, r in out.items() if r.role == rid), None)
        if other is not None:
            raise sub.fail("role", f"{rid} already takes turns at {other}; one rotation per role")
        post = next((z for z, f in flex.items() if f.role == rid), None)
        if post is not None:
            raise sub.fail("role", f"{rid} is the flexible post of {post} ([dispatch.flex.{post}]); a role either "
                           "takes turns at a desk or answers a queue, not both")
        at_desk = sub.integer("at_desk", ge=1, le=MAX_HEADCOUNT)
        block = sub.number("block_min", DEFAULT_ROTATION_BLOCK_MIN, ge=1.0, le=MAX_DURATION_MIN)
        if block > outlet.day_min:
            raise sub.fail("block_min", f"must be at most the opening day ({outlet.day_min:g} min; the whole day "
                           f"gives fixed posts), got {block:g}")
        if math.ceil(outlet.day_min / block) > MAX_ROTATION_BLOCKS:
            raise sub.fail("block_min", f"turns of {block:g} min make {math.ceil(outlet.day_min / block)} turns "
                           f"a day; at most {MAX_ROTATION_BLOCKS} allowed (use longer turns)")
        sub.finish()
        out[zid] = Rotation(rid, at_desk, block)
    return out


def _selling_time(root: Table, outlet: Outlet, roles: Mapping[str, Role], products: Mapping[str, Product]
                  ) -> dict[str, dict[str, SellingTime]]:
    """The ``[selling_time.ZONE.ROLE]`` tables: ``pitch``, ``sale`` and (cash only) ``referral``
    distributions, and ``[selling_time.ZONE.ROLE.by_product.PRODUCT]`` tables of ``pitch`` / ``sale``;
    each mean (and each empirical value) at most the opening day."""
    day = outlet.day_min
    out: dict[str, dict[str, SellingTime]] = {}
    for zid, zt in root.subtables("selling_time", STAFFED_ZONES):
        out[zid] = {}
        for rid in role_keys(zt):
            t = zt.table(rid)
            if rid not in roles or zid not in roles[rid].zones:
                raise zt.fail(rid, f"[staff.{rid}] does not serve {zid!r}, so it gives no service there to add "
                              f"selling time to; roles serving {zid}: "
                              f"{', '.join(r for r, role in roles.items() if zid in role.zones) or 'none'}")
            acts = {act: _distribution(t.table(act), day) for act in SELLING_ACTS if t.has(act)}
            if "referral" in acts and zid != "cash":
                raise t.fail("referral", "tellers refer after cash service only, so a referral takes time at "
                             "selling_time.cash only; use pitch or sale here")
            by_product: dict[str, dict[str, Distribution]] = {}
            for pid, pt in t.subtables("by_product"):
                if pid not in products:
                    raise t.fail(f"by_product.{pid}", f"unknown product; allowed: {', '.join(products) or 'none'}")
                by_product[pid] = {act: _distribution(pt.table(act), day) for act in SELLING_ACTS[:2]
                                   if pt.has(act)}
                pt.finish(SELLING_ACTS[:2])
            t.finish(SELLING_ACTS)
            out[zid][rid] = SellingTime(acts.get("pitch"), acts.get("sale"), acts.get("referral"), by_product)
    return out


def _check_layout(scenario: Scenario, declared: Collection[str]) -> None:
    """Refuse an outlet where nothing can serve anyone; warn about staff and service that cannot matter.

    A zone declared with ``positions = 0`` is a deliberate closure (a what-if) and is
    not warned about; a zone with no ``[zones.X]`` table at all is taken as forgotten.
    """
    src = scenario.source
    if not any(scenario.zones[z].positions > 0 for z in CUSTOMER_ZONES):
        raise ScenarioError(src, "zones", "no service zone has positions, so every customer would be lost; give "
                            f"positions to at least one of {', '.join(CUSTOMER_ZONES)}")
    for role in scenario.roles.values():
        if role.count and role.zones and not set(role.zones) & set(declared):
            missing = ", ".join(f"[zones.{z}]" for z in role.zones)
            people = "its 1 person serves" if role.count == 1 else f"its {role.count} people serve"
            warn(src, f"staff.{role.id}.zones", f"the outlet has no {missing} table, so {people} no customers; "
                 "declare the zone, or give zones = [] for staff who serve nobody")
        if len(role.speed) > role.inside:
            unused = len(role.speed) - role.inside
            warn(src, f"staff.{role.id}.speed", f"{len(role.speed)} speeds for {role.inside} people inside: "
                 f"{'the last one is' if unused == 1 else f'the last {unused} are'} not used (a smaller head-count "
                 "keeps the first speeds)")
    sales = scenario.sales
    refers = sales.referral_probability > 0 and sales.referral_conversion > 0
    for rid in sales.products_by_role:
        owner = scenario.roles.get(rid)
        sells = owner is not None and any(sales.cross_sale.get(z, {}).get(rid, 0.0) > 0
                                          or (refers and z in ("non_cash", "wealth")) for z in owner.zones)
        if not sells:
            warn(src, f"sales.products_by_role.{rid}", f"{rid} sells nothing in this outlet (no cross-sale chance "
                 "at a zone it serves, no referrals it takes), so this list has no effect")
    _check_levers(scenario, refers)
    for zid in scenario.service:
        if zid not in declared:
            warn(src, f"service.{zid}", f"the outlet has no [zones.{zid}] table, so this service time is never used")
    if not any(scenario.zone_open(z) for z in CUSTOMER_ZONES if z in STAFFED_ZONES):
        rest = "only self-service machines serve customers" if scenario.zone_open("self_service") else \
            "every customer is lost"
        warn(src, "staff", f"nobody inside serves cash, non_cash or wealth: {rest}")


def _check_levers(scenario: Scenario, refers: bool) -> None:
    """Warn about a lever set so that it cannot act (half of a pair given, or nobody it could act on)."""
    src, sales = scenario.source, scenario.sales
    pitch = sales.lobby_pitch
    if (pitch.rate_per_min > 0) != (pitch.conversion > 0):
        given, missing = ("rate_per_min", "conversion") if pitch.rate_per_min > 0 else ("conversion", "rate_per_min")
        warn(src, f"sales.lobby_pitch.{given}", f"without {missing} no lobby pitch sells anything; give both")
    elif pitch.rate_per_min > 0 and not scenario.zone_open("lobby"):
        warn(src, "sales.lobby_pitch.rate_per_min", "the lobby has no positions or staff, so nobody pitches")
    walk_in = sales.walk_in
    if (walk_in.prospect_share > 0) != any(c > 0 for c in walk_in.conversion.values()):
        field_ = "prospect_share" if walk_in.prospect_share > 0 else "conversion"
        warn(src, f"sales.walk_in.{field_}", "a walk-in prospect opens an account only with both a prospect_share "
             "and a conversion for the role serving them; give both")
    for zid, turn in scenario.dispatch.rotation.items():
        inside = scenario.roles[turn.role].inside
        if turn.at_desk >= inside:
            warn(src, f"dispatch.rotation.{zid}.at_desk", f"{turn.at_desk} at the desk of {inside} {turn.role} "
                 "inside: everyone is at the desk all day, so nobody takes turns (the day without the rotation)")
    for zid, by_role in scenario.selling_time.items():
        for rid, minutes in by_role.items():
            where = f"selling_time.{zid}.{rid}"
            if minutes.pitch is None and minutes.sale is None and minutes.referral is None and not minutes.by_product:
                warn(src, where, "the table gives no pitch, sale or referral minutes, so it adds nothing")
            sells = sales.cross_sale.get(zid, {}).get(rid, 0.0) > 0 or (refers and zid in ("non_cash", "wealth"))
            if not sells and (minutes.pitch is not None or minutes.sale is not None or minutes.by_product):
                warn(src, where, f"{rid} has no cross-sale chance at {zid} (sales.cross_sale.{zid}.{rid}) and takes "
                     "no referrals there, so it never pitches and these minutes are never added")
            if minutes.referral is not None and sales.referral_probability == 0:
                warn(src, f"{where}.referral", "no referrals are made (sales.referral_probability = 0), so these "
                     "minutes are never added")


def from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a (parsed TOML) dictionary; the dictionary is copied, not kept.

    NumPy numbers and arrays are accepted where Python numbers and lists are. Issues a
    :class:`~sim.errors.ScenarioWarning` for input that is legal but probably not
    meant (staff or service for zones the outlet does not declare, nobody inside).

    Raises:
        ScenarioError: naming ``source``, the field path and what is allowed.
    """
    return _build(plain_copy(data, source), source)


def _build(data: dict[str, Any], source: str) -> Scenario:
    """Validate and build from ``data``, which becomes the scenario's file form: a fresh plain copy, or (from
    :func:`with_overrides`) one sharing untouched tables with another file form; never changed in place."""
    root = Table(source, "", data)
    outlet = _outlet(root)
    zones = _zones(root)
    _check_office(zones, outlet, source)
    roles = {rid: _role(rid, t, outlet) for rid, t in root.subtables("staff", ROLES)}
    rates, surge = _rates(root, outlet)
    products = _products(root)
    segments = _segments(root, products)
    scenario = Scenario(
        source=source, outlet=outlet, zones=zones, roles=roles, base_rate_per_hour=rates, surge_factor=surge,
        segments=segments, service=_service(root, zones), triage=_triage(root), sales=_sales(root, products, roles),
        products=products, field_marketing=_field(root), fee_yuan=_fees(root),
        dispatch=_dispatch(root, outlet, segments, roles), selling_time=_selling_time(root, outlet, roles, products),
    )
    object.__setattr__(scenario, "file_form", data)  # provenance: not an init field, so any replacement drops it
    root.finish()
    _check_layout(scenario, tuple(data.get("zones", {})))
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one outlet scenario from a UTF-8 TOML file (see :func:`sim.tomlio.read_toml`).

    Raises:
        ScenarioError: the file is missing, is not UTF-8 TOML, or a field is not allowed.
    """
    return from_dict(read_toml(path), str(path))


def _spelled(keys: tuple[str, ...]) -> str:
    """How a path was written: keys with a dot quoted (``"arrivals.daily_customers"``), the others bare."""
    return ".".join(f'"{k}"' if "." in k else k for k in keys)


def flatten_overrides(overrides: Mapping[str, Any], source: str = "<scenario>",
                      field_name: str = "overrides") -> dict[str, Any]:
    """Overrides with every table under a plain (undotted) key spread into dotted paths, recursively.

    ``{"arrivals": {"daily_customers": 500}}`` (TOML's unquoted ``arrivals.daily_customers =
    500``) becomes ``{"arrivals.daily_customers": 500}``; a value under a dotted key stays
    whole (``{"segments.vip.patience": {...}}``). :func:`with_overrides` applies the result
    path by path; a region file's ``[outlets.overrides]`` are checked with it so that an
    error names the region file (``source``) and its field (``field_name``).

    Raises:
        ScenarioError: one field given twice (once quoted, once as a dotted key or table), or a path and a
            field inside it (which one wins would depend on the order), naming both spellings.
    """
    return _flatten(overrides, source, field_name, (), {})


def _flatten(overrides: Mapping[str, Any], source: str, field_name: str, keys: tuple[str, ...],
             seen: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        here = (*keys, str(key))
        path = ".".join(here)
        if isinstance(value, Mapping) and value and "." not in str(key):
            out.update(_flatten(value, source, field_name, here, seen))
            continue
        clash = next((p for p in seen if p == path or p.startswith(path + ".") or path.startswith(p + ".")), None)
        if clash is not None:
            raise ScenarioError(source, field_name, f"{_spelled(seen[clash])} and {_spelled(here)} both set "
                                f"{min(clash, path, key=len)}; give each field once")
        seen[path] = here
        out[path] = value
    return out


def file_form(scenario: Scenario, use: str) -> Mapping[str, Any]:
    """The scenario file's dictionary that ``scenario`` was read from (provenance), for ``use`` (named in the error).

    Raises:
        ScenarioError: ``scenario`` was changed by typed replacement after it was read, so no file form
            describes it any more (see :class:`~sim.scenario_types.Scenario`).
    """
    if scenario.file_form is None:
        raise ScenarioError(scenario.source, "", f"this scenario was changed by typed replacement (with_staffing, "
                            f"with_surge, a roster, ...) after it was read, so {use} cannot start from its file; "
                            "use the scenario as read (with_overrides first, typed changes after)")
    return scenario.file_form


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any], *, quiet: bool = False) -> Scenario:
    """A copy of ``scenario`` with fields replaced by dotted path, validated again.

    ``{"staff.cash_teller.count": 4, "arrivals.daily_customers": 500}`` changes two
    fields. A path must name an existing field or one the format allows there.
    A table under a plain key is read field by field, as TOML reads unquoted dotted keys:
    ``{"arrivals": {"daily_customers": 500}}`` (TOML ``arrivals.daily_customers = 500``)
    changes that one field and keeps the hourly profile; a value under a dotted key
    replaces what is there whole (``{"segments.vip.patience": {...}}`` a whole table).
    ``quiet`` drops :class:`~sim.errors.ScenarioWarning` (for the many derived copies of
    a scenario whose warnings were shown when it was loaded); errors still raise.

    The overrides apply to the scenario's file form, so ``scenario`` must be one the reader
    built (loaded, or itself from ``with_overrides``): a scenario changed by typed replacement
    (:meth:`~sim.scenario_types.Scenario.with_staffing` and the like) has no file form. Apply
    dotted overrides first, typed changes after.

    Raises:
        ScenarioError: an override not allowed (naming its path), or a scenario without a file form.
    """
    if not isinstance(overrides, Mapping):
        raise ScenarioError(scenario.source, "overrides", f"expected a table of dotted paths, got {show(overrides)}")
    values = {dotted: plain_copy(value, scenario.source, dotted)
              for dotted, value in flatten_overrides(overrides, scenario.source).items()}
    # The new file form shares the tables no override touches with this one's (file forms are never changed
    # in place): a province's outlets on one tier's scenario hold one copy of what they do not override.
    data = with_values(file_form(scenario, "dotted overrides"), values, scenario.source)
    if not quiet:
        return _build(data, scenario.source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return _build(data, scenario.source)
