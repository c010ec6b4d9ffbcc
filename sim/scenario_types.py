"""The outlet scenario as typed values: what the model reads, apart from the file reader.

One outlet's day (:class:`Scenario`) is a tree of frozen records — :class:`Outlet`,
:class:`Zone`, :class:`Role`, :class:`Segment`, the service, triage, sales, field, dispatch and
selling-time tables — with units in the field names (``_min`` minutes, ``_per_hour``
customers per hour, ``_yuan`` yuan; times are minutes after midnight or from opening, as each
record says). :mod:`sim.scenario` reads and validates a TOML file (or its dictionary) into
this tree; variants are made by typed replacement (:meth:`Scenario.with_staffing` and its
siblings), and :meth:`Scenario.content_key` is derived from the typed fields.

The ``MAX_*`` bounds below are far above any real outlet but low enough that one simulated
day fits in memory and seconds; the reader and the typed replacements enforce the same ones.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from sim.codes import STAFFED_ZONES
from sim.distributions import Distribution
from sim.errors import ScenarioError
from sim.staffing import FlexThreshold, StaffingPlan

#: VIP maintenance "2 to 1" (seed: 二对一): maintainer slots each VIP needs (a relationship owner and a
#: product owner). The optimiser's VIP rule and the quarters' VIPs-per-maintainer column read this one value.
MAINTAINERS_PER_VIP = 2.0
#: Default service-level target: customers grow irritated after ~10 min of waiting
#: (Horizon 2007 survey, n=1553, via DOMAIN.md).
DEFAULT_TARGET_WAIT_MIN = 10.0
#: Default length (min) of the blocks in which a wealth room's office use recurs (``zones.wealth.office_block_min``):
#: an hour, assumed (the essay gives no pattern, only that the room is used as an office).
DEFAULT_OFFICE_BLOCK_MIN = 60.0
#: Default length (min) of one turn at a desk rotation (``dispatch.rotation.ZONE.block_min``): an hour,
#: assumed (the essay says the customer managers take turns, 轮流当值, not how long a turn is).
DEFAULT_ROTATION_BLOCK_MIN = 60.0

# Upper bounds: far above any real outlet, low enough that one simulated day stays
# within memory and seconds (each error message states the bound it enforces).
#: Head-count per role.
MAX_HEADCOUNT = 1000
#: Positions (counters, desks, machines, rooms) per zone.
MAX_POSITIONS = 1000
#: Seats in the waiting zone.
MAX_SEATS = 100_000
#: Expected arrivals in one day, surge included (and any one hourly rate).
MAX_DAY_CUSTOMERS = 1_000_000
#: Arrival surge multiplier.
MAX_SURGE = 100.0
#: Any duration: mean service, greeting or patience time, service-level target (~694 days).
MAX_DURATION_MIN = 1_000_000.0
#: A person's service speed multiplier (service time ÷ speed): a tenth to ten times the norm.
MIN_SPEED, MAX_SPEED = 0.1, 10.0
#: Coefficient of variation of lognormal and gamma durations: MIN_CV … MAX_CV.
MIN_CV, MAX_CV = 0.001, 100.0
#: Any amount of money in yuan (product value, fee, walk-out loss, churn value) or of points.
MAX_YUAN = 1e9
#: Multiplier of cross-sale probabilities per segment.
MAX_PROPENSITY = 1000.0
#: Field-marketing visits per outside customer manager per day.
MAX_FIELD_VISITS = 100.0
#: Prospects in the outlet's local market.
MAX_PROSPECT_POOL = 10_000_000
#: VIP grades (``segments.X.grade``: priority ranks 1 … MAX_GRADES).
MAX_GRADES = 9
#: Lobby pitches per minute waited per free lobby person (``sales.lobby_pitch.rate_per_min``).
MAX_PITCH_RATE = 100.0
#: Office blocks of the wealth rooms in one day (rooms × blocks per day; two events each).
MAX_OFFICE_BLOCKS = 100_000
#: Turns of a desk rotation in one day (one event each).
MAX_ROTATION_BLOCKS = 100_000

#: How far a table of shares (segment shares, a need mix) may sum away from 1.
SHARE_TOLERANCE = 1e-6


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

    ``office_share`` (wealth room only; 0 ≤ share < 1, default 0) is the share of each room's
    day taken by office use — the essay's complaint, 理财室则几乎全部被网点主任和客户经理占用 (the
    wealth room is almost wholly occupied by the outlet head and the customer managers). Room
    ``j`` of ``P`` is an office for ``office_share × office_block_min`` minutes in every block
    of ``office_block_min`` minutes from opening, starting ``j × office_block_min / P`` into
    the block (the rooms take turns); a customer being served when the office use is due is
    finished first. Office minutes are not customer service: the zone's utilisation counts
    customers only, over all its rooms.
    """

    id: str
    positions: int
    target_wait_min: float = DEFAULT_TARGET_WAIT_MIN
    balk_when_full: bool = False
    office_share: float = 0.0
    office_block_min: float = DEFAULT_OFFICE_BLOCK_MIN


@dataclass(frozen=True, slots=True)
class Role:
    """A staff role: head-count, the zones it serves (first = home zone), shift and lunch.

    Times are minutes from opening. Person ``k`` (0-based) of the role starts lunch at
    ``lunch_start_min + k * lunch_stagger_min``. ``inside`` people work in the outlet;
    the other ``count - inside`` (customer managers only) do field marketing outside.
    ``speed[k]`` is inside person ``k``'s service speed: every service they give (a
    greeting included) takes the customer's drawn service time divided by it; people
    beyond the list work at speed 1, and speeds beyond the people inside are not used
    (a smaller head-count keeps the first speeds: the list is in order of who stays).
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
    speed: tuple[float, ...] = ()
    #: Per-person duty of a roster (:mod:`sim.roster`): inside person ``k`` works
    #: ``shifts[k] = (start, end, lunch_start, lunch_end)`` minutes from opening instead of the
    #: role's shift and staggered lunch (``lunch_start == lunch_end``: no lunch); people beyond
    #: the list keep the role's.
    shifts: tuple[tuple[float, float, float, float], ...] = ()

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

    VIP grades (the essay: attention and service rise with the VIP's grade): several
    priority segments (e.g. by balance band), each with its own patience, value and
    bundle as any segment, and ``grade``, its priority rank (1, the default, is served
    first; an identified customer of grade ``g`` goes before grade ``g + 1`` and every
    grade before unidentified customers); ``identification_probability``, the lobby's
    chance of identifying the grade (``None``: ``triage.vip_identification_probability``);
    ``wealth_room``, whether a referral takes the customer to the wealth room (default:
    priority segments do) or the low counter.
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
    grade: int = 1
    identification_probability: float | None = None
    wealth_room: bool = False


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
class LobbyPitch:
    """Lobby staff pitching to customers who wait in the waiting area (厅堂营销).

    A customer waiting in a seated queue (cash, non-cash, wealth) is pitched at rate
    ``rate_per_min`` per free lobby person — inside staff serving the lobby, on duty and
    not greeting — so the chance of a pitch grows with the minutes waited and with the
    lobby staff free meanwhile; at most one pitch per customer a day. The pitcher is the
    first free lobby person in staff order; the pitched customer buys each bundle product
    the pitcher's role may sell with ``conversion × segment.propensity`` (capped at 1).
    A pitch is a word to a seated customer in the lobby staff's idle minutes: it takes
    none of their greeting time. ``rate_per_min = 0`` (the default): no lobby pitching.
    """

    rate_per_min: float = 0.0
    conversion: float = 0.0


@dataclass(frozen=True, slots=True)
class WalkIn:
    """New customers won at the low counter (引进客户: 将其打造为引进客户的重要阵地).

    A share ``prospect_share`` of the customers whose own need the low counter (non-cash)
    serves are walk-in prospects, not yet the bank's customers; a prospect served by role
    ``r`` opens an account with ``conversion[r]``. They count with the field's new
    customers (``field_new_customers``, valued at ``field.value_per_new_customer_yuan``).
    ``prospect_share = 0`` (the default): nobody is won at the counter.
    """

    prospect_share: float = 0.0
    conversion: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sales:
    """Referral and cross-sale behaviour.

    After cash service a teller refers the customer (转推介) with
    ``referral_probability``; the referred customer queues at the low counter (or the
    wealth room for priority segments) and buys each bundle product with
    ``referral_conversion``. After any other service, each bundle product sells with
    ``cross_sale[zone][role] * segment.propensity`` (capped at 1). ``products_by_role``
    restricts what a role may sell (the essay: 为理财经理减负，专职营销理财产品 — wealth
    managers sell wealth products only): a role listed sells only its products, from a
    cross-sale or a referral alike; a role not listed sells the whole bundle.
    ``lobby_pitch`` (:class:`LobbyPitch`) and ``walk_in`` (:class:`WalkIn`): lobby staff
    pitching to waiting customers and new customers won at the low counter (off by default).
    """

    referral_probability: float = 0.0
    referral_conversion: float = 0.0
    cross_sale: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    products_by_role: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lobby_pitch: LobbyPitch = field(default_factory=LobbyPitch)
    walk_in: WalkIn = field(default_factory=WalkIn)


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
class Flex:
    """A flexible post (岗位弹性设置): staff of ``role`` open a spare position at a zone when its queue is long.

    When more than ``open_above`` customers wait in the zone's queue, a person of ``role``
    who is on duty and free (not serving) leaves their own work, opens a spare position
    (the zone's positions + 1) and serves the zone's queue only; they go back to their own
    work when, on finishing a customer, fewer than ``close_below`` wait (or at their
    off-duty time, after that customer). The essay: the operations manager (营业经理)
    dispatches staff and customer managers' posts are elastic (CMs go to the counter when
    needed). The minutes away from their own work are counted
    (:func:`sim.daylog.flex_away_min`).
    """

    role: str
    open_above: int
    close_below: int


@dataclass(frozen=True, slots=True)
class Rotation:
    """A desk taken in turns within the day (岗位弹性设置: 低柜中的客户经理综合服务专柜由网点所有客户经理轮流当值).

    The day is cut into blocks of ``block_min`` minutes from opening; in block ``b`` the
    ``at_desk`` people of ``role`` inside numbered ``(b × at_desk + j) mod n`` (``j`` =
    0 … ``at_desk`` − 1, ``n`` the role's people inside, in staff order) serve the zone; the
    others serve only their role's other zones (the customer managers': the wealth room),
    or no customer when the role has none. A person leaving the desk finishes the customer
    in hand; a person of the crew at lunch or off shift leaves their turn unmanned (the
    schedule does not skip them). ``block_min`` = the opening day gives fixed posts: the same
    people at the desk all day. Without a rotation every person of the role serves the zone
    all day (the model before this table).
    """

    role: str
    at_desk: int
    block_min: float = DEFAULT_ROTATION_BLOCK_MIN


#: Dispatch rules at a shared zone: today's staff order, or by customer (see :class:`Dispatch`).
DISPATCH_RULES = ("staff_order", "by_customer")
#: Zones where several roles can share the customers, so who serves whom can be dispatched.
DISPATCH_ZONES = ("cash", "non_cash", "wealth")


@dataclass(frozen=True, slots=True)
class Dispatch:
    """Who serves which customer at a zone several roles share (the essay's 分流: customers
    with sales potential to the customer managers' comprehensive desk, routine business to
    tellers — 低柜…综合服务台).

    ``rule = "staff_order"`` (the default, and the model before this table existed): a
    customer takes the first free server in the scenario's staff order, whatever the
    customer. ``rule = "by_customer"``: ``prefer[zone][role]`` lists the segments that
    go first to that role at that zone. A customer whose segment some role prefers takes
    a free preferred server first; when none is free, the customer takes any other free
    server at once (``wait_for_preferred_min = 0``) or waits up to that many minutes for
    a preferred one before any server may take them. A customer whose segment no role
    prefers at the zone takes any free server in staff order. Queues are served in the
    usual order (priority, then arrival); with a wait, a freed server skips customers
    still waiting for another role. ``flex[zone]``: a flexible post (:class:`Flex`);
    ``rotation[zone]``: a desk taken in turns (:class:`Rotation`).
    """

    rule: str = "staff_order"
    wait_for_preferred_min: float = 0.0
    prefer: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    flex: Mapping[str, Flex] = field(default_factory=dict)
    rotation: Mapping[str, Rotation] = field(default_factory=dict)

    @property
    def by_customer(self) -> bool:
        """True when customers are dispatched by their segment (the ``prefer`` tables apply)."""
        return self.rule == "by_customer"


#: What selling adds minutes for: each product pitched, each product sold, a referral made (see :class:`SellingTime`).
SELLING_ACTS = ("pitch", "sale", "referral")


@dataclass(frozen=True, slots=True)
class SellingTime:
    """Minutes that selling adds to one service, for one role at one zone: selling competes with the queue.

    The essay asks tellers to keep service first and refer rather than sell (柜面…弱化营销，倡导转推介);
    the trade-off exists only if a pitch and a sale take the server's time. At the start of a
    service the server **pitches** each product of the customer's bundle they may sell with a
    positive chance at that visit (the zone's ``sales.cross_sale`` for the role times the
    segment's propensity, or ``sales.referral_conversion`` at a referral visit), each adding a
    ``pitch`` draw; each product that sells (the same draw :func:`sim.metrics.credit_sales`
    credits) adds a ``sale`` draw on top; a cash service that ends in a referral (转推介) adds
    one ``referral`` draw (cash only). ``by_product[product][act]`` replaces ``pitch`` or
    ``sale`` for one product. ``None`` adds nothing (the default: selling takes no time, the
    model before this table). Selling minutes are added after the service time is divided by
    the server's speed: speed is counter work, selling minutes are declared as they are.
    """

    pitch: Distribution | None = None
    sale: Distribution | None = None
    referral: Distribution | None = None
    by_product: Mapping[str, Mapping[str, Distribution]] = field(default_factory=dict)

    def for_product(self, act: str, product: str) -> Distribution | None:
        """The distribution of ``act`` (``"pitch"`` or ``"sale"``) for ``product``, or ``None`` (no time)."""
        default: Distribution | None = self.pitch if act == "pitch" else self.sale
        return self.by_product.get(product, {}).get(act, default)

@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One outlet's day, validated: the one description the model reads.

    Build it with :func:`sim.scenario.load_scenario` or :func:`sim.scenario.from_dict` (the file
    reader); change it by **typed replacement** — :meth:`with_staffing`, :meth:`with_surge`,
    :meth:`with_shares`, :meth:`with_speeds`, :func:`sim.roster.apply_roster`, or
    :func:`dataclasses.replace` on any field — never through its file form.

    ``file_form`` is the scenario file's dictionary as the reader validated it (dotted
    overrides included), kept for provenance and for :func:`sim.scenario.with_overrides`. It
    is not an init field, so every replacement drops it (``None``): a changed scenario cannot
    carry a file form that no longer describes it, and ``with_overrides`` refuses it.
    :meth:`content_key` hashes the typed fields themselves, so results cached under it cannot
    drift from what was simulated.

    Arrivals: ``base_rate_per_hour`` are the hourly rates (customers per hour, one per opening
    hour) the file gives before ``arrivals.surge_factor``; :attr:`rate_per_hour` is the product.
    """

    source: str
    outlet: Outlet
    zones: Mapping[str, Zone]
    roles: Mapping[str, Role]
    base_rate_per_hour: tuple[float, ...]
    surge_factor: float = 1.0
    segments: Mapping[str, Segment]
    service: Mapping[str, ZoneService]
    triage: Triage
    sales: Sales
    products: Mapping[str, Product]
    field_marketing: Field
    fee_yuan: Mapping[str, float]
    dispatch: Dispatch = field(default_factory=Dispatch)
    #: ``selling_time[zone][role]``: the minutes selling adds to that role's services there (empty: none).
    selling_time: Mapping[str, Mapping[str, SellingTime]] = field(default_factory=dict)
    file_form: Mapping[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _key: str | None = field(default=None, init=False, repr=False, compare=False)
    _plan: StaffingPlan | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def rate_per_hour(self) -> tuple[float, ...]:
        """Arrival rate (customers per hour) of each opening hour: ``base_rate_per_hour × surge_factor``."""
        surge = self.surge_factor
        return tuple(r * surge for r in self.base_rate_per_hour)

    def zone_open(self, zone: str) -> bool:
        """True when the zone has positions and (for staffed zones) staff inside to serve it."""
        if self.zones[zone].positions <= 0:
            return False
        if zone not in STAFFED_ZONES:
            return True
        return any(r.inside > 0 and zone in r.zones for r in self.roles.values())

    def staffing_plan(self) -> StaffingPlan:
        """The scenario's head-count per role, customer managers inside and flexible posts' thresholds, as a
        :class:`StaffingPlan` (computed once per object: the optimiser asks for today's plan often)."""
        plan = self._plan
        if plan is None:
            plan = StaffingPlan.of({r.id: r.count for r in self.roles.values()},
                                   self.roles["customer_manager"].inside if "customer_manager" in self.roles else 0,
                                   tuple(FlexThreshold(z, f.open_above, f.close_below)
                                         for z, f in self.dispatch.flex.items()))
            object.__setattr__(self, "_plan", plan)
        return plan

    def with_staffing(self, plan: StaffingPlan) -> Scenario:
        """A copy with the head-counts of ``plan``: validated, without re-reading the whole scenario.

        Only the counts change (zones, shifts and lunches stay); every role named in
        the plan with a positive count must already exist in the scenario's ``[staff]``
        block, since its zones and shift are not known otherwise. When more people
        inside make the staggered lunches run past the end of the shift, the stagger is
        shortened (whole minutes) so that the last lunch still ends within the shift.
        The plan's flexible-post thresholds (``plan.flex``) replace those of the scenario's
        posts at the same zones (the post's role stays).

        Unlike :func:`sim.scenario.from_dict` it issues no :class:`~sim.errors.ScenarioWarning` (a
        plan with nobody inside is a legitimate, if poor, candidate).

        Raises:
            ScenarioError: a role absent from the scenario, more than :data:`MAX_HEADCOUNT` in a role, or a
                threshold for a zone without a flexible post.
        """
        roles = dict(self.roles)
        for rid, count in plan.counts:
            if rid not in roles:
                if count:
                    raise ScenarioError(self.source, f"staff.{rid}", "the staffing plan gives this role "
                                        f"{count} people but the scenario has no [staff.{rid}] block to say "
                                        "where and when they work; add one (count = 0 is fine)")
                continue
            if count > MAX_HEADCOUNT:
                raise ScenarioError(self.source, f"staff.{rid}.count", f"must be <= {MAX_HEADCOUNT}, got {count}")
            role = roles[rid]
            inside = plan.cm_inside if rid == "customer_manager" else count
            stagger = _fitting_stagger(role, inside)
            changed = (role.count, role.inside, role.lunch_stagger_min) != (count, inside, stagger)
            if changed or len(role.speed) > inside:  # an unchanged role stays the same object
                roles[rid] = replace(role, count=count, inside=inside, lunch_stagger_min=stagger,
                                     speed=role.speed[:inside])
        if not plan.flex:
            return replace(self, roles=roles)
        flex = dict(self.dispatch.flex)
        for t in plan.flex:
            if t.zone not in flex:
                raise ScenarioError(self.source, f"dispatch.flex.{t.zone}", "the staffing plan sets this flexible "
                                    "post's thresholds but the scenario has no such post; add one")
            if t.open_above > MAX_SEATS:
                raise ScenarioError(self.source, f"dispatch.flex.{t.zone}.open_above",
                                    f"must be <= {MAX_SEATS}, got {t.open_above}")
            flex[t.zone] = replace(flex[t.zone], open_above=t.open_above, close_below=t.close_below)
        return replace(self, roles=roles, dispatch=replace(self.dispatch, flex=flex))

    def with_surge(self, factor: float) -> Scenario:
        """A copy whose arrivals are ``base_rate_per_hour × factor`` (``arrivals.surge_factor = factor``).

        Raises:
            ScenarioError: ``factor`` not in (0, :data:`MAX_SURGE`], or more than :data:`MAX_DAY_CUSTOMERS`
                expected customers a day.
        """
        where = "arrivals.surge_factor"
        if not 0.0 < factor <= MAX_SURGE:
            raise ScenarioError(self.source, where, f"must be > 0 and <= {MAX_SURGE:g}, got {factor!r}")
        changed = replace(self, surge_factor=float(factor))
        check_day_customers(self.source, where, changed.expected_customers)
        return changed

    def with_shares(self, shares: Mapping[str, float]) -> Scenario:
        """A copy with new arrival shares for the segments named in ``shares`` (``segments.ID.share``).

        Raises:
            ScenarioError: an unknown segment, a share not in (0, 1], or shares that no longer sum to 1.
        """
        if not shares:
            return self
        segments = dict(self.segments)
        for sid, share in shares.items():
            if sid not in segments:
                raise ScenarioError(self.source, f"segments.{sid}", f"unknown segment; the scenario has: "
                                    f"{', '.join(self.segments)}")
            if not 0.0 < share <= 1.0:
                raise ScenarioError(self.source, f"segments.{sid}.share", f"must be > 0 and <= 1, got {share!r}")
            segments[sid] = replace(segments[sid], share=float(share))
        check_segment_shares(self.source, segments)
        return replace(self, segments=segments)

    def with_speeds(self, speeds: Mapping[str, Sequence[float]]) -> Scenario:
        """A copy where the inside people of each role named in ``speeds`` work at those speeds
        (``staff.ROLE.speed``: person ``k`` at ``speeds[role][k]``, people beyond the list at 1).

        Raises:
            ScenarioError: an unknown role, or a speed outside :data:`MIN_SPEED` … :data:`MAX_SPEED`.
        """
        if not speeds:
            return self
        roles = dict(self.roles)
        for rid, values in speeds.items():
            if rid not in roles:
                raise ScenarioError(self.source, f"staff.{rid}", "the scenario has no such role")
            bad = next((v for v in values if not MIN_SPEED <= v <= MAX_SPEED), None)
            if bad is not None:
                raise ScenarioError(self.source, f"staff.{rid}.speed", f"each speed must be in {MIN_SPEED:g} … "
                                    f"{MAX_SPEED:g}, got {bad!r}")
            roles[rid] = replace(roles[rid], speed=tuple(float(v) for v in values))
        return replace(self, roles=roles)

    def content_key(self) -> str:
        """A SHA-256 (hex) of every typed field but ``source`` and ``file_form``: equal for scenarios the model
        cannot tell apart, on any machine and in any process (floats hashed exactly), so it keys cached results.
        Computed once per object."""
        key = self._key
        if key is None:
            parts = (f"[{_dumps(f.name)},{_field_json(getattr(self, f.name))}]" for f in fields(self)
                     if f.name not in _NOT_CONTENT)
            key = hashlib.sha256(f"[{_dumps(type(self).__name__)},[{','.join(parts)}]]".encode()).hexdigest()
            object.__setattr__(self, "_key", key)
        return key

    @property
    def expected_customers(self) -> float:
        """Expected arrivals in one day (sum of hourly rates times slot lengths)."""
        return sum(r * w / 60.0 for r, w in zip(self.rate_per_hour, _slot_lengths(self.outlet), strict=True))


def check_segment_shares(source: str, segments: Mapping[str, Segment]) -> None:
    """Refuse segment arrival shares that do not sum to 1 (within :data:`SHARE_TOLERANCE`), naming ``segments``."""
    total = sum(s.share for s in segments.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ScenarioError(source, "segments", f"segment shares must sum to 1, got {total:.6g}")


def check_day_customers(source: str, field: str, total: float) -> None:
    """Refuse more than :data:`MAX_DAY_CUSTOMERS` expected customers a day (``total``), naming ``field``."""
    if total > MAX_DAY_CUSTOMERS:
        raise ScenarioError(source, field, f"about {total:.4g} expected customers a day (rates x surge_factor over "
                            f"the opening hours); at most {MAX_DAY_CUSTOMERS} allowed")


#: Fields that do not describe what is simulated, left out of :meth:`Scenario.content_key`.
_NOT_CONTENT = frozenset({"source", "file_form", "_key", "_plan"})


#: JSON text with the separators the content key is defined with.
_dumps = json.JSONEncoder(separators=(",", ":")).encode

#: Fields' canonical JSON by the identity of the field's value, each held with its value so the identity
#: cannot be reused while cached: the scenarios the optimiser derives by typed replacement (each candidate's
#: staffing, each day type's arrivals) share every other field object with their parent, so only what
#: changed is encoded again. Scenario records are frozen and their maps are never changed in place (the
#: typed-replacement rule above), so a field object's JSON cannot change while it is held. Oldest out first.
_FIELD_JSON: dict[int, tuple[object, str]] = {}
_FIELD_JSON_MAX = 4096


def _field_json(value: object, depth: int = 0) -> str:
    """:func:`_canonical_json` of one of a scenario's field values, cached by identity (:data:`_FIELD_JSON`);
    a map's values are cached one by one too (a candidate's staffing replaces only the roles it changes)."""
    hit = _FIELD_JSON.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    if depth == 0 and isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        text = '["m",[' + ",".join(f"[{_dumps(str(k))},{_field_json(v, 1)}]" for k, v in items) + "]]"
    else:
        text = _canonical_json(value)
    if len(_FIELD_JSON) >= _FIELD_JSON_MAX:
        _FIELD_JSON.pop(next(iter(_FIELD_JSON)), None)
    _FIELD_JSON[id(value)] = (value, text)
    return text


def _canonical_json(value: object) -> str:
    """The compact JSON of a scenario value's canonical form, which two equal values share exactly: a float
    as ``["f", its hex]``, a map as ``["m", [[key, value], ...]]`` sorted by key text, a sequence as
    ``["s", [...]]``, a record as ``[type name, [[field, value], ...]]`` in field order (scalars as
    themselves)."""
    if isinstance(value, float):
        return f'["f",{_dumps(value.hex())}]'
    if value is None or isinstance(value, (bool, int, str)):
        return _dumps(value)
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return '["m",[' + ",".join(f"[{_dumps(str(k))},{_canonical_json(v)}]" for k, v in items) + "]]"
    if isinstance(value, (tuple, list)):
        return '["s",[' + ",".join(_canonical_json(v) for v in value) + "]]"
    if is_dataclass(value) and not isinstance(value, type):
        parts = (f"[{_dumps(f.name)},{_canonical_json(getattr(value, f.name))}]" for f in fields(value)
                 if f.name not in _NOT_CONTENT)
        return f"[{_dumps(type(value).__name__)},[{','.join(parts)}]]"
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _fitting_stagger(role: Role, inside: int) -> float:
    """The role's lunch stagger, shortened (whole minutes) if ``inside`` staggered lunches would overrun the shift."""
    if role.lunch_start_min is None or inside <= 1:
        return role.lunch_stagger_min
    room = role.shift_end_min - role.lunch_start_min - role.lunch_min  # >= 0: the first lunch fits
    return min(role.lunch_stagger_min, float(math.floor(room / (inside - 1))))


def _slot_lengths(outlet: Outlet) -> list[float]:
    """Length in minutes of each hourly slot of the day (the last may be shorter)."""
    day = outlet.day_min
    n = math.ceil(day / 60.0 - 1e-9)
    return [min(60.0, day - 60.0 * h) for h in range(n)]
