"""Scenario files: one outlet (网点) per TOML file, loaded into a frozen, validated object.

Loading goes *read → fill defaults → validate → build*: every field is checked as it
is read, so the first problem stops the load with a :class:`~sim.errors.ScenarioError`
naming the file, the dotted field path and what is allowed. Model code never reads
files; it receives a :class:`Scenario`.

Units are in the field names: ``_min`` minutes, ``_per_hour`` customers per hour,
``_yuan`` yuan. Clock times are ``"HH:MM"`` strings; hours past 24 are accepted so
that analytic studies can run one long "day" (e.g. ``close = "600:00"``).

The README documents every field; ``scenarios/backbone_outlet.toml`` is a commented
example.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.distributions import KINDS, Distribution
from sim.errors import ScenarioError
from sim.tomlio import Table, plain_copy, read_toml, set_path

#: The six functional zones (六大功能分区), in display order.
ZONES = ("lobby", "waiting", "cash", "non_cash", "self_service", "wealth")
#: Zones where staff serve customers (the others are seats and machines).
STAFFED_ZONES = ("lobby", "cash", "non_cash", "wealth")
#: Zones with a service queue: staffed zones plus self-service machines.
SERVICE_ZONES = ("lobby", "cash", "non_cash", "self_service", "wealth")
#: Zones whose queues occupy the waiting area's seats.
SEATED_ZONES = ("cash", "non_cash", "wealth")
#: Staff roles (岗位) the model knows.
ROLES = (
    "outlet_head",
    "operations_manager",
    "lobby_manager",
    "deputy_lobby_manager",
    "cash_teller",
    "low_counter_teller",
    "customer_manager",
    "wealth_manager",
    "security_guide",
)
#: What a customer came for. A referral visit (teller → CM/WM) is a fifth, internal need.
NEEDS = ("cash", "non_cash", "self_service_eligible", "wealth")
SERVICE_NEEDS = (*NEEDS, "referral")
TIERS = ("flagship", "backbone", "advancing", "potential")

#: Default service-level target: customers grow irritated after ~10 min of waiting
#: (Horizon 2007 survey, n=1553, via DOMAIN.md).
DEFAULT_TARGET_WAIT_MIN = 10.0


@dataclass(frozen=True, slots=True)
class Outlet:
    """Identity and opening hours. Times are minutes after midnight."""

    name: str
    tier: str
    open_min: float
    close_min: float
    warmup_min: float = 0.0

    @property
    def day_min(self) -> float:
        """Length of the opening day in minutes (simulation time runs 0 … day_min)."""
        return self.close_min - self.open_min

    @property
    def slot_min(self) -> tuple[float, ...]:
        """Length in minutes of each hourly arrival slot of the day (the last may be shorter)."""
        return tuple(_slot_lengths(self))


@dataclass(frozen=True, slots=True)
class Zone:
    """A functional zone: ``positions`` counters/desks/machines/rooms/seats (0 = absent).

    ``target_wait_min`` is the wait within which service counts as on time (service level).
    ``balk_when_full`` applies to the waiting zone only.
    """

    id: str
    positions: int
    target_wait_min: float = DEFAULT_TARGET_WAIT_MIN
    balk_when_full: bool = False


@dataclass(frozen=True, slots=True)
class Role:
    """A staff role: head-count, the zones it serves (first = home zone), shift and lunch.

    Times are minutes from opening. Person ``k`` (0-based) of the role starts lunch at
    ``lunch_start_min + k * lunch_stagger_min``. ``inside`` people work in the outlet;
    the other ``count - inside`` (customer managers only) do field marketing outside.
    """

    id: str
    count: int
    inside: int
    zones: tuple[str, ...]
    shift_start_min: float
    shift_end_min: float
    lunch_start_min: float | None = None
    lunch_min: float = 0.0
    lunch_stagger_min: float = 0.0

    @property
    def outside(self) -> int:
        """Head-count doing field marketing (内勤/外勤: outside)."""
        return self.count - self.inside


@dataclass(frozen=True, slots=True)
class Segment:
    """A customer segment: share of arrivals, mix of needs, patience, sales behaviour.

    ``needs`` holds the probability of each entry of :data:`NEEDS`. ``patience`` is
    ``None`` when customers never walk out of a queue. ``priority`` customers (VIPs)
    jump the queue once the lobby identifies them. A walk-out costs
    ``walkout_value_lost_yuan`` plus ``churn_probability * churn_value_yuan`` (the
    expected loss when the customer leaves the bank).
    """

    id: str
    share: float
    needs: tuple[float, ...]
    patience: Distribution | None
    priority: bool
    propensity: float
    bundle: tuple[str, ...]
    walkout_value_lost_yuan: float
    churn_probability: float
    churn_value_yuan: float


@dataclass(frozen=True, slots=True)
class ZoneService:
    """Service-time distribution of a zone, with optional overrides per need."""

    default: Distribution
    by_need: Mapping[str, Distribution] = field(default_factory=dict)

    def for_need(self, need: str) -> Distribution:
        """The distribution used for customers with ``need`` in this zone."""
        return self.by_need.get(need, self.default)


@dataclass(frozen=True, slots=True)
class Triage:
    """Lobby triage: VIP identification and diversion of eligible needs to machines."""

    vip_identification_probability: float = 0.0
    divert_probability_staffed: float = 0.0
    divert_probability_unstaffed: float = 0.0


@dataclass(frozen=True, slots=True)
class Product:
    """A product of the catalogue (产品计分表): value in yuan and points credited."""

    id: str
    value_yuan: float
    points: float


@dataclass(frozen=True, slots=True)
class Sales:
    """Referral and cross-sale behaviour.

    After cash service a teller refers the customer (转推介) with
    ``referral_probability``; the referred customer queues at the low counter (or the
    wealth room for priority segments) and buys each bundle product with
    ``referral_conversion``. After any other service, each bundle product sells with
    ``cross_sale[zone][role] * segment.propensity`` (capped at 1).
    """

    referral_probability: float = 0.0
    referral_conversion: float = 0.0
    cross_sale: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Field:
    """Field marketing by outside customer managers from a finite prospect pool.

    Each outside person makes ``visits_per_day`` visits; a visit reaches a random
    prospect of the pool and, if that prospect is not yet a customer, converts with
    ``conversion``. As the pool is used up each extra person brings less.
    """

    visits_per_day: float = 0.0
    conversion: float = 0.0
    value_per_new_customer_yuan: float = 0.0
    prospect_pool: int = 0


@dataclass(frozen=True, slots=True)
class Scenario:
    """One outlet's day, validated. Build it with :func:`load_scenario` or :func:`from_dict`."""

    source: str
    outlet: Outlet
    zones: Mapping[str, Zone]
    roles: Mapping[str, Role]
    rate_per_hour: tuple[float, ...]
    segments: Mapping[str, Segment]
    service: Mapping[str, ZoneService]
    triage: Triage
    sales: Sales
    products: Mapping[str, Product]
    field_marketing: Field
    fee_yuan: Mapping[str, float]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def zone_open(self, zone: str) -> bool:
        """True when the zone has positions and (for staffed zones) staff inside to serve it."""
        if self.zones[zone].positions <= 0:
            return False
        if zone not in STAFFED_ZONES:
            return True
        return any(r.inside > 0 and zone in r.zones for r in self.roles.values())

    def staffing_plan(self) -> StaffingPlan:
        """The scenario's head-count per role and customer managers inside, as a :class:`StaffingPlan`."""
        return StaffingPlan.of({r.id: r.count for r in self.roles.values()},
                               self.roles["customer_manager"].inside if "customer_manager" in self.roles else 0)

    def with_staffing(self, plan: StaffingPlan) -> Scenario:
        """A copy with the head-counts of ``plan``: validated, without re-reading the whole scenario.

        Only the counts change (zones, shifts and lunches stay); every role named in
        the plan with a positive count must already exist in the scenario's ``[staff]``
        block, since its zones and shift are not known otherwise. When more people
        inside make the staggered lunches run past the end of the shift, the stagger is
        shortened (whole minutes) so that the last lunch still ends within the shift.

        Raises:
            ScenarioError: a role absent from the scenario.
        """
        roles = dict(self.roles)
        staff_raw = dict(self.raw.get("staff", {}))
        for rid, count in plan.counts:
            if rid not in roles:
                if count:
                    raise ScenarioError(self.source, f"staff.{rid}", "the staffing plan gives this role "
                                        f"{count} people but the scenario has no [staff.{rid}] block to say "
                                        "where and when they work; add one (count = 0 is fine)")
                continue
            role = roles[rid]
            inside = plan.cm_inside if rid == "customer_manager" else count
            stagger = _fitting_stagger(role, inside)
            roles[rid] = replace(role, count=count, inside=inside, lunch_stagger_min=stagger)
            entry = dict(staff_raw.get(rid, {}))
            entry["count"] = count
            if stagger != role.lunch_stagger_min:
                entry["lunch_stagger_min"] = stagger
            if rid == "customer_manager":
                entry["inside"] = inside
            staff_raw[rid] = entry
        return replace(self, roles=roles, raw={**self.raw, "staff": staff_raw})

    @property
    def expected_customers(self) -> float:
        """Expected arrivals in one day (sum of hourly rates times slot lengths)."""
        return sum(r * w / 60.0 for r, w in zip(self.rate_per_hour, _slot_lengths(self.outlet), strict=True))


def _fitting_stagger(role: Role, inside: int) -> float:
    """The role's lunch stagger, shortened (whole minutes) if ``inside`` staggered lunches would overrun the shift."""
    if role.lunch_start_min is None or inside <= 1:
        return role.lunch_stagger_min
    room = role.shift_end_min - role.lunch_start_min - role.lunch_min  # >= 0: the first lunch fits
    return min(role.lunch_stagger_min, float(math.floor(room / (inside - 1))))


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    """Head-count per role (岗位) and how many customer managers work inside (内勤).

    ``counts`` holds ``(role, count)`` pairs in :data:`ROLES` order, every role present
    (0 when absent); ``cm_inside`` customer managers work in the outlet and the other
    ``cm_outside`` do field marketing (外勤). Frozen and hashable, so it can key caches
    and sets of candidate patterns. Build one with :meth:`of`.
    """

    counts: tuple[tuple[str, int], ...]
    cm_inside: int

    @classmethod
    def of(cls, counts: Mapping[str, int], cm_inside: int | None = None) -> StaffingPlan:
        """A plan from ``{role: count}`` (missing roles = 0); ``cm_inside`` defaults to all CMs inside.

        Raises:
            ValueError: an unknown role, a negative or non-integer count, or ``cm_inside``
                outside ``0 … customer_manager``.
        """
        unknown = sorted(set(counts) - set(ROLES))
        if unknown:
            raise ValueError(f"staffing plan: unknown role(s) {', '.join(unknown)}; allowed: {', '.join(ROLES)}")
        clean: list[tuple[str, int]] = []
        for rid in ROLES:
            value = counts.get(rid, 0)
            if isinstance(value, bool) or int(value) != value or value < 0:
                raise ValueError(f"staffing plan: {rid}: a whole number >= 0 is required, got {value!r}")
            clean.append((rid, int(value)))
        cms = dict(clean)["customer_manager"]
        inside = cms if cm_inside is None else cm_inside
        if isinstance(inside, bool) or int(inside) != inside or not 0 <= inside <= cms:
            raise ValueError(f"staffing plan: customer_manager inside: must be a whole number in 0..{cms}, "
                             f"got {inside!r}")
        return cls(tuple(clean), int(inside))

    def count(self, role: str) -> int:
        """Head-count of ``role`` (0 when the plan has none)."""
        return dict(self.counts)[role]

    @property
    def cm_outside(self) -> int:
        """Customer managers doing field marketing outside the outlet (外勤)."""
        return self.count("customer_manager") - self.cm_inside

    @property
    def total(self) -> int:
        """Total head-count over all roles."""
        return sum(c for _, c in self.counts)

    def as_dict(self) -> dict[str, int]:
        """``{role: count}`` for the roles with people, plus ``customer_manager_inside``."""
        out = {r: c for r, c in self.counts if c}
        out["customer_manager_inside"] = self.cm_inside
        return out


def _slot_lengths(outlet: Outlet) -> list[float]:
    """Length in minutes of each hourly slot of the day (the last may be shorter)."""
    day = outlet.day_min
    n = math.ceil(day / 60.0 - 1e-9)
    return [min(60.0, day - 60.0 * h) for h in range(n)]


#: Kept for ``sim.sweeps`` until it imports :class:`sim.tomlio.Table`; do not use in new code.
_Table = Table


def _distribution(t: Table) -> Distribution:
    kind = t.string("distribution", choices=KINDS)
    if kind == "deterministic":
        dist = Distribution(kind, t.number("value_min", gt=0.0), cv=0.0)
    elif kind == "empirical":
        values = t.raw("values_min")
        if not isinstance(values, list) or not values:
            raise t.fail("values_min", "expected a non-empty list of durations in minutes")
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0]
        if bad:
            raise t.fail("values_min", f"every value must be a number > 0, got {bad[0]!r}")
        vals = tuple(float(v) for v in values)
        dist = Distribution(kind, sum(vals) / len(vals), cv=0.0, values_min=vals)
    else:
        mean = t.number("mean_min", gt=0.0)
        cv = 1.0 if kind == "exponential" else t.number("cv", gt=0.0)
        dist = Distribution(kind, mean, cv=cv)
    t.finish()
    return dist


def _outlet(root: Table) -> Outlet:
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
            zones[zid] = Zone(zid, t.integer("seats", 0), balk_when_full=t.boolean("balk_when_full", False))
        else:
            target = t.number("target_wait_min", DEFAULT_TARGET_WAIT_MIN, gt=0.0)
            zones[zid] = Zone(zid, t.integer("positions", 0), target)
        t.finish()
    return zones


def _clock_pair(t: Table, key: str, outlet: Outlet) -> tuple[float, float]:
    """A ``["HH:MM", "HH:MM"]`` pair as minutes from opening, checked against opening hours."""
    value = t.raw(key)
    if not (isinstance(value, list) and len(value) == 2):
        raise t.fail(key, f'expected ["HH:MM", "HH:MM"], got {value!r}')
    pair = Table(t.source, t.where(key), {"start": value[0], "end": value[1]})
    start, end = pair.clock("start") - outlet.open_min, pair.clock("end") - outlet.open_min
    if end <= start:
        raise t.fail(key, f"end must be after start, got {value!r}")
    return start, end


def _role(rid: str, t: Table, outlet: Outlet) -> Role:
    count = t.integer("count", 0)
    inside = t.integer("inside", count) if rid == "customer_manager" else count
    if inside > count:
        raise t.fail("inside", f"must be <= count ({count}), got {inside}")
    zones = t.raw("zones", [])
    if not isinstance(zones, list) or any(z not in STAFFED_ZONES for z in zones) or len(set(zones)) < len(zones):
        raise t.fail("zones", f"{zones!r} is not allowed; a list of distinct zones from: {', '.join(STAFFED_ZONES)}")
    start, end = _clock_pair(t, "shift", outlet) if t.has("shift") else (0.0, outlet.day_min)
    if start < 0 or end > outlet.day_min:
        raise t.fail("shift", "must lie within opening hours "
                     f"({format_clock(outlet.open_min)}-{format_clock(outlet.close_min)})")
    lunch_start: float | None = None
    lunch_len = stagger = 0.0
    if t.has("lunch"):
        lunch_start, lunch_end = _clock_pair(t, "lunch", outlet)
        lunch_len = lunch_end - lunch_start
        stagger = t.number("lunch_stagger_min", 0.0, ge=0.0)
        last_end = lunch_end + stagger * max(inside - 1, 0)
        if lunch_start < start or last_end > end:
            raise t.fail("lunch", "every person's lunch (with lunch_stagger_min) must lie within the shift")
    t.finish()
    return Role(rid, count, inside, tuple(zones), start, end, lunch_start, lunch_len, stagger)


def format_clock(minutes: float) -> str:
    """Minutes after midnight as ``"HH:MM"`` (hours may pass 24)."""
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


def _rates(root: Table, outlet: Outlet) -> tuple[float, ...]:
    t = root.table("arrivals", required=True)
    slots = _slot_lengths(outlet)
    surge = t.number("surge_factor", 1.0, gt=0.0)
    if t.has("rate_per_hour") == t.has("daily_customers"):
        raise t.fail("rate_per_hour", "give exactly one of rate_per_hour or daily_customers")
    if t.has("rate_per_hour"):
        value = t.raw("rate_per_hour")
        if not isinstance(value, list):
            rates = [t.number("rate_per_hour", gt=0.0)] * len(slots)
        else:
            rates = _weights(t, "rate_per_hour", value, len(slots))
    else:
        daily = t.number("daily_customers", gt=0.0)
        weights = _weights(t, "hourly_profile", t.raw("hourly_profile", [1.0] * len(slots)), len(slots))
        scale = daily / sum(w * s / 60.0 for w, s in zip(weights, slots, strict=True))
        rates = [w * scale for w in weights]
    t.finish()
    return tuple(r * surge for r in rates)


def _weights(t: Table, key: str, value: object, n: int) -> list[float]:
    if not isinstance(value, list) or len(value) != n:
        raise t.fail(key, f"expected a list of {n} numbers, one per opening hour")
    weights = [Table(t.source, t.where(key), {f"[{i}]": v}).number(f"[{i}]", ge=0.0) for i, v in enumerate(value)]
    if sum(weights) <= 0:
        raise t.fail(key, "at least one hour must have a positive rate")
    return weights


def _shares(t: Table, key: str, names: tuple[str, ...]) -> tuple[float, ...]:
    """A table of probabilities over ``names`` that must sum to 1 (missing names are 0)."""
    sub = t.table(key, required=True)
    values = tuple(sub.probability(n, 0.0) for n in names)
    sub.finish()
    if abs(sum(values) - 1.0) > 1e-6:
        raise t.fail(key, f"shares must sum to 1, got {sum(values):.6g}")
    return values


def _segments(root: Table, products: Mapping[str, Product]) -> dict[str, Segment]:
    segments: dict[str, Segment] = {}
    for sid, t in root.subtables("segments"):
        share = t.number("share", gt=0.0, le=1.0)
        needs = _shares(t, "needs", NEEDS)
        patience_raw = t.raw("patience", "none")
        patience = None if patience_raw == "none" else _distribution(t.table("patience"))
        bundle = t.raw("bundle", [])
        if not isinstance(bundle, list) or any(p not in products for p in bundle):
            raise t.fail("bundle", f"{bundle!r}: every product must be in [products]; known: "
                         f"{', '.join(products) or 'none'}")
        segments[sid] = Segment(
            sid, share, needs, patience, t.boolean("priority", sid == "vip"), t.number("propensity", 1.0, ge=0.0),
            tuple(bundle), t.number("walkout_value_lost_yuan", 0.0, ge=0.0), t.probability("churn_probability", 0.0),
            t.number("churn_value_yuan", 0.0, ge=0.0),
        )
        t.finish()
    if not segments:
        raise root.fail("segments", "at least one customer segment is required")
    total = sum(s.share for s in segments.values())
    if abs(total - 1.0) > 1e-6:
        raise root.fail("segments", f"segment shares must sum to 1, got {total:.6g}")
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


def _sales(root: Table) -> Sales:
    t = root.table("sales")
    cross: dict[str, dict[str, float]] = {}
    for zid, sub in t.subtables("cross_sale", STAFFED_ZONES):
        cross[zid] = {}
        for rid in sub.data:
            if rid not in ROLES:
                raise sub.fail(rid, f"unknown role; allowed: {', '.join(ROLES)}")
            cross[zid][rid] = sub.probability(rid)
    sales = Sales(t.probability("referral_probability", 0.0), t.probability("referral_conversion", 0.0), cross)
    t.finish()
    return sales


def _products(root: Table) -> dict[str, Product]:
    products = {}
    for pid, t in root.subtables("products"):
        products[pid] = Product(pid, t.number("value_yuan", ge=0.0), t.number("points", 0.0, ge=0.0))
        t.finish()
    return products


def _field(root: Table) -> Field:
    t = root.table("field")
    f = Field(
        t.number("visits_per_day", 0.0, ge=0.0), t.probability("conversion", 0.0),
        t.number("value_per_new_customer_yuan", 0.0, ge=0.0), t.integer("prospect_pool", 0),
    )
    t.finish()
    return f


def _fees(root: Table) -> dict[str, float]:
    t = root.table("fee_yuan")
    fees = {z: t.number(z, 0.0, ge=0.0) for z in SERVICE_ZONES if z != "lobby"}
    t.finish()
    return fees


def from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a (parsed TOML) dictionary.

    Raises:
        ScenarioError: naming ``source``, the field path and what is allowed.
    """
    data = plain_copy(data, source)
    root = Table(source, "", data)
    outlet = _outlet(root)
    zones = _zones(root)
    roles = {}
    for rid, t in root.subtables("staff", ROLES):
        roles[rid] = _role(rid, t, outlet)
    rates = _rates(root, outlet)
    products = _products(root)
    segments = _segments(root, products)
    service = _service(root, zones)
    tri = root.table("triage")
    triage = Triage(
        tri.probability("vip_identification_probability", 0.0), tri.probability("divert_probability_staffed", 0.0),
        tri.probability("divert_probability_unstaffed", 0.0),
    )
    tri.finish()
    scenario = Scenario(
        source, outlet, zones, roles, rates, segments, service, triage, _sales(root), products,
        _field(root), _fees(root), raw=data,
    )
    root.finish()
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one outlet scenario from a UTF-8 TOML file (see :func:`sim.tomlio.read_toml`).

    Raises:
        ScenarioError: the file is missing, is not UTF-8 TOML, or a field is not allowed.
    """
    return from_dict(read_toml(path), str(path))


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A copy of ``scenario`` with fields replaced by dotted path, validated again.

    ``{"staff.cash_teller.count": 4, "arrivals.daily_customers": 500}`` changes two
    fields. A path must name an existing field or one the format allows there.
    """
    data = plain_copy(scenario.raw, scenario.source)
    for dotted, value in overrides.items():
        set_path(data, dotted, value, scenario.source)
    return from_dict(data, scenario.source)
