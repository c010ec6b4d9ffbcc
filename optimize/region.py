"""Region files: a sub-branch's outlets, its head-count pools and its policy rules, validated.

A region file (TOML) lists outlets, each built on an outlet scenario (path relative to
the region file) with optional overrides in the :func:`sim.with_overrides` dotted form;
the scenario's ``[staff]`` block is the outlet's **current plan**. Around the outlets
sit the head-count pools, the roles that may move, the policy rules (each with a
default from the project's domain notes, each overridable and switchable off with
``enabled = false``), the objective and the candidate search settings.
``scenarios/region_12_outlets.toml`` is a commented example; ``docs/formats/region.md`` lists
every field. Problems stop the load with one :class:`~sim.errors.ScenarioError` line naming
the file, the field and what is allowed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimize.milp import RATIO_READINGS, OutsideRule, Policy, RatioRule, VipRule
from optimize.roster import RosterTemplate, template_problem
from sim.codes import ROLES, TIERS
from sim.errors import ScenarioError, ScenarioWarning, warn
from sim.horizon import HorizonRules
from sim.scenario import flatten_overrides, load_scenario, role_keys, with_overrides
from sim.scenario_types import MAX_DAY_CUSTOMERS, MAX_SURGE, Scenario
from sim.tomlio import Table, read_toml, show

OBJECTIVES = ("value", "value_minus_cost")
#: An outlet's ``tier = "auto"``: classified from its simulated scale and results (:mod:`optimize.tiers`).
AUTO_TIER = "auto"
#: Roles that may move between outlets unless the region file says otherwise; outlet
#: heads, operations managers and third-party guides usually stay (domain notes).
DEFAULT_MOVABLE = ("lobby_manager", "deputy_lobby_manager", "cash_teller", "low_counter_teller",
                   "customer_manager", "wealth_manager")
#: Zones whose service level may carry a limit (staffed or machine queues).
LIMIT_ZONES = ("lobby", "cash", "non_cash", "self_service", "wealth")
_MAX_PEOPLE = 100_000
_MAX_OUTLETS = 10_000
#: The risk level of ``[day_types] risk_walkout_rate`` unless ``risk_level`` says otherwise: the worst 10% of days.
DEFAULT_RISK_LEVEL = 0.9
#: Bounds of a day type's ``volume`` (arrivals multiplier) and ``share`` of the month's working days.
DAY_TYPE_VOLUME, DAY_TYPE_SHARE = (0.05, 20.0), (0.001, 1.0)


@dataclass(frozen=True)
class ServiceLimits:
    """Per-zone service-level floors (share served within the zone's target wait) and a walk-out ceiling.

    ``walkout_rate`` is (abandoned + balked + no_service) / arrived: the share of
    arrivals who left without their need served. ``not_worse`` lists KPIs
    (``walkout_rate``, ``ZONE.service_level``) no outlet's plan may make worse than
    today's beyond noise: the paired 95% CI of the change, on common random numbers,
    lying wholly on the bad side.
    """

    service_level: Mapping[str, float] = field(default_factory=dict)
    walkout_rate: float | None = None
    not_worse: tuple[str, ...] = ()

    def merged(self, own: ServiceLimits | None) -> ServiceLimits:
        """These limits with an outlet's ``own`` on top (its zones and walk-out ceiling win)."""
        if own is None:
            return self
        walkout = own.walkout_rate if own.walkout_rate is not None else self.walkout_rate
        return ServiceLimits({**self.service_level, **own.service_level}, walkout,
                             tuple(dict.fromkeys((*self.not_worse, *own.not_worse))))

    def checks(self) -> list[tuple[str, str, float]]:
        """``(kpi, sense, limit)`` triples: ``("cash.service_level", ">=", 0.8)`` …"""
        out = [(f"{z}.service_level", ">=", v) for z, v in self.service_level.items()]
        if self.walkout_rate is not None:
            out.append(("walkout_rate", "<=", self.walkout_rate))
        return out


@dataclass(frozen=True)
class OutletSpec:
    """One outlet of the region: its scenario (overrides applied) and the facts the rules need.

    ``vip_customers`` is the outlet's VIP book (0 = the maintenance rule does not apply
    to it); ``min_staff`` its least head-count per role (the region's ``[rules.min_staff]``
    with the outlet's own ``min_staff`` on top); ``service`` its own service limits
    (``None``: the region's ``[rules.service]``); ``second_level`` marks second-level outlets (二级网点), where the
    minimum-CM and inside : outside rules apply. ``simulated_tier`` is the tier its
    simulated results today put it in (:func:`optimize.method.resolve_tiers`; empty
    until then).
    """

    name: str
    tier: str
    scenario: Scenario
    second_level: bool
    vip_customers: float
    simulated_tier: str = ""
    min_staff: Mapping[str, int] = field(default_factory=dict)
    service: ServiceLimits | None = None


@dataclass(frozen=True)
class Conversion:
    """People of one role the region may turn into another (``[[conversions]]``), by assessment (通过考核).

    At most ``max_people`` over the region; each costs ``training_cost_yuan`` once, which
    the objective charges as ``training_cost_yuan / payback_days`` per day. The converted
    person serves from the first day as the new role's scenario says (a learning period
    is not modelled here; the quarters' learning curve applies to new hires only).
    """

    from_role: str
    to_role: str
    max_people: int
    training_cost_yuan: float = 0.0
    payback_days: float = 250.0

    @property
    def cost_yuan_per_day(self) -> float:
        """The training cost spread over the payback period (yuan per day per person converted)."""
        return self.training_cost_yuan / self.payback_days


@dataclass(frozen=True)
class RiskLimit:
    """A service rule at a risk level over the month's days: each outlet's walk-out rate averaged over its
    worst ``1 − level`` share of the month's simulated days (the conditional value at risk, CVaR at
    ``level``; day types weighted by their share) must be at most ``walkout_rate``."""

    level: float
    walkout_rate: float


@dataclass(frozen=True)
class DayType:
    """A kind of day a plan must serve: its ``share`` of the month's working days and its arrival
    ``volume`` (a multiplier on the scenario's arrivals, through ``arrivals.surge_factor``)."""

    name: str
    share: float
    volume: float


def month_day_types() -> tuple[DayType, ...]:
    """Day types read off the quarters' default day-of-month profile (:mod:`sim.horizon`): ordinary days
    (factor 0.97–1.1), pay days (1.1–1.22), the mid-month surge (from 1.22) and the month end (below 0.97);
    each type's volume is the mean factor of its days, its share their count over the month's."""
    profile = HorizonRules().day_of_month_profile
    bands = (("month_end", 0.0, 0.97), ("ordinary", 0.97, 1.1), ("pay_day", 1.1, 1.22), ("mid_month", 1.22, 1e9))
    out = []
    for name, lo, hi in bands:
        days = [f for f in profile if lo <= f < hi]
        if days:
            out.append(DayType(name, len(days) / len(profile), sum(days) / len(days)))
    return tuple(out)


#: Most ``[[conversions]]`` rows and the most combinations of their counts the MILP enumerates.
MAX_CONVERSIONS, MAX_CONVERSION_PATTERNS = 4, 5000


#: Most thresholds ``[search] flex_open_above`` may list, and the largest (customers waiting): each value is
#: one more pattern per flexible post and head-count pattern in the combined round.
MAX_FLEX_VALUES, MAX_FLEX_THRESHOLD = 10, 1000
#: How the optimiser may spend candidate days (``[search] allocation``, ``recommend(allocation=...)``).
ALLOCATIONS = ("fixed", "race")


@dataclass(frozen=True)
class Search:
    """How candidate patterns are generated and screened.

    Each movable role varies by up to ``step`` people around the current plan;
    combined patterns cover total head-counts within ``total_step`` of today's;
    ``combos`` combined patterns per head-count level (and as many again that meet the
    outlet's rules); ``screen_replications`` days per pattern in stage one; ``allocation``
    how candidate days are spent, one of :data:`ALLOCATIONS` (``"fixed"``: the screen's days
    for every pattern, then the full days for the ``stage2`` that could be optimal;
    ``"race"``: rounds on common random numbers, :mod:`optimize.allocation`).
    ``flex_open_above``: the thresholds tried for every flexible post (``[dispatch.flex.ZONE]``
    in an outlet's scenario; customers waiting above which its staff are called), beside
    today's (empty: each post keeps its scenario's thresholds; see
    :func:`optimize.patterns.flex_options`).
    """

    step: int = 2
    total_step: int = 3
    combos: int = 2
    screen_replications: int = 8
    analytic_margin: float = 0.15
    allocation: str = "fixed"
    flex_open_above: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Region:
    """A validated region file: outlets, policy, objective, staff cost and search settings.

    ``day_types``: the days a plan is judged on (empty: one average day); the objective is
    their share-weighted value, the not-worse guards hold on each day type and the service
    limits on the month's average day, or on each day type with ``every_day_type``
    (``[day_types]``).
    ``risk``: a walk-out ceiling at a risk level over the month's days (``[day_types]
    risk_walkout_rate``, :class:`RiskLimit`; ``None``: none).
    ``roster``: the intraday roster's template (``[roster]``; ``None``: none in the file); a run
    rosters when it is :attr:`rostering`.
    ``cover_zones``: zones that must have somebody on duty through the whole opening day
    wherever they are open today (lunch included: ``[rules.cover]``). ``keep_roles``: each
    movable role's regional total is at most today's unless ``[headcount.pools]`` says
    otherwise (people move between outlets and between inside and outside, not between
    roles: ``[headcount] keep_roles``).
    """

    source: str
    name: str
    outlets: tuple[OutletSpec, ...]
    movable: tuple[str, ...]
    policy: Policy
    service: ServiceLimits
    objective: str
    cost_yuan_per_day: Mapping[str, float]
    search: Search
    cover_zones: tuple[str, ...] = ()
    keep_roles: bool = True
    conversions: tuple[Conversion, ...] = ()
    day_types: tuple[DayType, ...] = ()
    every_day_type: bool = False
    roster: RosterTemplate | None = None
    risk: RiskLimit | None = None

    @property
    def rostering(self) -> bool:
        """Whether a run rosters the plan: a ``[roster]`` template that is enabled."""
        return self.roster is not None and self.roster.enabled

    def limits(self, spec: OutletSpec) -> ServiceLimits:
        """The service limits of one outlet: the region's, with the outlet's own on top."""
        return self.service.merged(spec.service)

    @property
    def current_total(self) -> int:
        """Today's total head-count over all outlets."""
        return sum(o.scenario.staffing_plan().total for o in self.outlets)


def _outlets(root: Table, base: Path, min_staff: Mapping[str, int]) -> tuple[OutletSpec, ...]:
    items = root.raw("outlets")
    if not isinstance(items, list) or not items or len(items) > _MAX_OUTLETS:
        got = f"{len(items):,} tables" if isinstance(items, list) else show(items)
        raise root.fail("outlets", f"expected 1..{_MAX_OUTLETS:,} [[outlets]] tables, got {got}")
    specs = []
    # Each scenario file read once: outlets on the same file share its scenario, and their overrides' file
    # forms share the tables they do not override (a province of thousands of outlets on four tier files).
    loaded: dict[Path, Scenario] = {}
    for i, item in enumerate(items):
        t = Table(root.source, f"outlets[{i}]", item)
        name = _name(t, "name")
        file = base / t.string("scenario")
        if file not in loaded:
            try:
                loaded[file] = load_scenario(file)
            except ScenarioError as exc:
                raise t.fail("scenario", str(exc)) from None
        scenario = loaded[file]
        overrides = t.table("overrides").data
        if overrides:
            flatten_overrides(overrides, t.source, t.where("overrides"))  # a field given twice: said of the region file
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    scenario = with_overrides(scenario, overrides)
            except ScenarioError as exc:
                raise t.fail("overrides", str(exc)) from None
            for w in caught:  # said of the region file's overrides, which caused them
                if issubclass(w.category, ScenarioWarning):
                    warn(t.source, t.where("overrides"), str(w.message))
                else:
                    warnings.warn(w.message, w.category, stacklevel=2)
        tier = t.string("tier", scenario.outlet.tier, (*TIERS, AUTO_TIER))
        own = _role_numbers(t.table("min_staff"), integer=True) if t.has("min_staff") else {}
        service = None
        if t.has("service"):  # read like [rules.service]: a key nobody reads is an error, not a silent default
            table = t.table("service")
            service = _limits(table, {}, None)
            table.finish()
        specs.append(OutletSpec(name, tier, scenario, t.boolean("second_level", True),
                                float(t.integer("vip_customers", 0, le=10_000_000)),
                                min_staff={**min_staff, **own}, service=service))
        t.finish()
    names = [s.name for s in specs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise root.fail("outlets", f"outlet names must be distinct; repeated: {', '.join(duplicated)}")
    return tuple(specs)


def _name(t: Table, key: str, default: str | None = None) -> str:
    """A display name: printable, no leading or trailing spaces, 1..100 characters."""
    value = t.string(key) if default is None else t.string(key, default)
    if not 1 <= len(value) <= 100 or value != value.strip() or not value.isprintable():
        raise t.fail(key, f"{value!r} is not a usable name; 1..100 printable characters, "
                     "no leading or trailing spaces")
    return value


def _roles_list(t: Table, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = t.raw(key, list(default))
    if not isinstance(value, list) or any(v not in ROLES for v in value) or len(set(value)) < len(value):
        raise t.fail(key, f"{value!r} is not allowed; a list of distinct roles from: {', '.join(ROLES)}")
    return tuple(value)


def _role_numbers(t: Table, *, integer: bool, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for role in role_keys(t, skip):
        out[role] = t.integer(role, le=_MAX_PEOPLE) if integer else t.number(role, ge=0.0, le=1e7)
    t.finish()
    return out


def _enabled(t: Table) -> bool:
    return t.boolean("enabled", True)


def _ratio(rules: Table) -> RatioRule | None:
    t = rules.table("inside_outside")
    d = RatioRule()
    rule = RatioRule(t.number("low", d.low, ge=0.0, le=100.0), t.number("high", d.high, gt=0.0, le=100.0),
                     t.number("tolerance_people", d.tolerance_people, ge=0.0, le=1000.0),
                     t.string("reading", d.reading, RATIO_READINGS), t.boolean("symmetric", d.symmetric))
    if rule.high < rule.low:
        raise t.fail("high", f"must be >= low ({rule.low:g}), got {rule.high:g}")
    on = _enabled(t)
    t.finish()
    return rule if on else None


def _outside(rules: Table) -> OutsideRule | None:
    """``[rules.outside_staff]``: off unless the table is given (then on unless ``enabled = false``)."""
    if not rules.has("outside_staff"):
        return None
    t = rules.table("outside_staff")
    d = OutsideRule()
    rule = OutsideRule(t.integer("min_people", d.min_people, ge=1, le=1000), t.number("share", d.share, gt=0.0,
                                                                                       le=1.0))
    on = _enabled(t)
    t.finish()
    return rule if on else None


def _vip(rules: Table) -> VipRule | None:
    t = rules.table("vip_maintenance")
    d = VipRule()
    rule = VipRule(t.number("book_size", d.book_size, gt=0.0, le=1e6),
                   t.number("maintainers_per_vip", d.maintainers_per_vip, gt=0.0, le=100.0))
    on = _enabled(t)
    t.finish()
    return rule if on else None


def _min_cms(rules: Table) -> int | None:
    t = rules.table("min_customer_managers")
    count = t.integer("count", Policy().min_customer_managers, le=1000)
    on = _enabled(t)
    t.finish()
    return count if on else None


def _tiers(rules: Table) -> tuple[dict[str, tuple[int | None, int | None]], bool]:
    t = rules.table("tiers")
    bounds: dict[str, tuple[int | None, int | None]] = {}
    for tier, b in t.subtables("bounds", TIERS):
        lo = b.integer("min", None, le=_MAX_PEOPLE) if b.has("min") else None
        hi = b.integer("max", None, le=_MAX_PEOPLE) if b.has("max") else None
        if lo is not None and hi is not None and hi < lo:
            raise b.fail("max", f"must be >= min ({lo}), got {hi}")
        bounds[tier] = (lo, hi)
        b.finish()
    monotone = t.boolean("monotone", True)
    if not _enabled(t):
        bounds, monotone = {}, False
    t.finish()
    return bounds, monotone


#: The region's service limits when ``[rules.service]`` does not set them (domain notes, assumed).
#: By default no outlet's walk-out rate, lobby or cash service may get worse than today's beyond
#: noise: the essay keeps the counters "service first" (柜面仍以优质文明服务为主线) and the lobby
#: as the place customers are guided (大堂…引领); the low counter and the wealth room are where
#: service is traded for sales, so their limits are the planner's to set.
DEFAULT_SERVICE = ServiceLimits({"cash": 0.8, "wealth": 0.9}, 0.05,
                                ("walkout_rate", "lobby.service_level", "cash.service_level"))
#: KPIs a ``not_worse`` list may name.
GUARD_KPIS = ("walkout_rate", *(f"{z}.service_level" for z in LIMIT_ZONES))


def _guards(t: Table, default: tuple[str, ...]) -> tuple[str, ...]:
    value = t.raw("not_worse", list(default))
    if not isinstance(value, list) or any(v not in GUARD_KPIS for v in value) or len(set(value)) < len(value):
        raise t.fail("not_worse", f"{value!r} is not allowed; a list of distinct KPIs from: {', '.join(GUARD_KPIS)}")
    return tuple(value)


def _limits(t: Table, default_levels: Mapping[str, float], default_walkout: float | None,
            default_guards: tuple[str, ...] = ()) -> ServiceLimits:
    """A ``walkout_rate`` ceiling and ``[service_level]`` floors by zone, validated."""
    levels: dict[str, float] = {}
    sl = t.table("service_level") if t.has("service_level") else None
    if sl is not None:
        for zone in sl.data:
            if zone not in LIMIT_ZONES:
                raise sl.fail(zone, f"unknown zone; allowed: {', '.join(LIMIT_ZONES)}")
            levels[zone] = sl.number(zone, gt=0.0, le=1.0)
        sl.finish()
    walkout = t.number("walkout_rate", gt=0.0, le=1.0) if t.has("walkout_rate") else default_walkout
    return ServiceLimits(levels if sl is not None else dict(default_levels), walkout, _guards(t, default_guards))


def _service(rules: Table) -> ServiceLimits:
    t = rules.table("service")
    limits = _limits(t, DEFAULT_SERVICE.service_level, DEFAULT_SERVICE.walkout_rate, DEFAULT_SERVICE.not_worse)
    on = _enabled(t)
    t.finish()
    return limits if on else ServiceLimits()


def _cover(rules: Table) -> tuple[str, ...]:
    """``[rules.cover]``: zones staffed all day, lunch included (default: the cash windows)."""
    t = rules.table("cover")
    zones = t.raw("zones", ["cash"])
    allowed = tuple(z for z in LIMIT_ZONES if z != "self_service")
    if not isinstance(zones, list) or any(z not in allowed for z in zones) or len(set(zones)) < len(zones):
        raise t.fail("zones", f"{zones!r} is not allowed; a list of distinct staffed zones from: {', '.join(allowed)}")
    on = _enabled(t)
    t.finish()
    return tuple(zones) if on else ()


def _search(root: Table, outlets: tuple[OutletSpec, ...]) -> Search:
    t = root.table("search")
    d = Search()
    s = Search(t.integer("step", d.step, ge=1, le=10), t.integer("total_step", d.total_step, ge=0, le=50),
               t.integer("combos", d.combos, ge=1, le=50),
               t.integer("screen_replications", d.screen_replications, ge=2, le=1000),
               t.number("analytic_margin", d.analytic_margin, ge=0.0, le=1.0),
               t.string("allocation", d.allocation, choices=ALLOCATIONS),
               t.integer_list("flex_open_above", d.flex_open_above, le=MAX_FLEX_THRESHOLD, distinct=True))
    if len(s.flex_open_above) > MAX_FLEX_VALUES:
        raise t.fail("flex_open_above", f"at most {MAX_FLEX_VALUES} thresholds, got {len(s.flex_open_above)}")
    if s.flex_open_above and not any(o.scenario.dispatch.flex for o in outlets):
        raise t.fail("flex_open_above", "no outlet's scenario has a flexible post ([dispatch.flex.ZONE]) whose "
                     "thresholds could vary; add one or leave this out")
    t.finish()
    return s


def _policy(head: Table, rules: Table, outlets: tuple[OutletSpec, ...], movable: tuple[str, ...],
            keep_roles: bool) -> Policy:
    current = sum(o.scenario.staffing_plan().total for o in outlets)
    total = head.integer("total", current, le=_MAX_PEOPLE * 10)
    declared = _role_numbers(head.table("pools"), integer=True)
    head.finish()
    today = {r: sum(o.scenario.staffing_plan().count(r) for o in outlets) for r in movable}
    pools = {**({r: n for r, n in today.items() if r not in declared} if keep_roles else {}), **declared}
    transfers = rules.table("transfers")
    max_moves = transfers.integer("max_moves", None, le=_MAX_PEOPLE) if transfers.has("max_moves") else None
    if not _enabled(transfers):
        max_moves = None
    transfers.finish()
    bounds, monotone = _tiers(rules)
    policy = Policy(total_headcount=total, role_pools=pools, tier_bounds=bounds, tier_monotone=monotone,
                    min_customer_managers=_min_cms(rules), inside_outside=_ratio(rules), vip=_vip(rules),
                    max_moves=max_moves,
                    outside_staff=_outside(rules))
    _check_pools(head, outlets, movable, policy)
    return policy


def _check_pools(head: Table, outlets: tuple[OutletSpec, ...], movable: tuple[str, ...], policy: Policy) -> None:
    """A pool smaller than the staff who cannot move is an input error, not an optimisation question."""
    fixed = {r: sum(o.scenario.staffing_plan().count(r) for o in outlets) for r in ROLES if r not in movable}
    for role, pool in policy.role_pools.items():
        if role in fixed and pool < fixed[role]:
            raise head.fail(f"pools.{role}", f"{pool} is smaller than the {fixed[role]} {role} staff, "
                            "who may not move (not in region.movable); raise the pool or make the role movable")
    if policy.total_headcount is not None and policy.total_headcount < sum(fixed.values()):
        raise head.fail("total", f"{policy.total_headcount} is smaller than the {sum(fixed.values())} staff "
                        "in roles that may not move")


def load_region(path: str | Path) -> Region:
    """Read and validate a region file and every outlet scenario it names.

    Raises:
        ScenarioError: naming the region file (or the outlet scenario), the field and what is allowed.
    """
    source = str(path)
    root = Table(source, "", read_toml(path))
    root.require_kind("a region file", "outlets")
    region = root.table("region")
    name = _name(region, "name", Path(source).stem)
    objective = region.string("objective", "value", OBJECTIVES)
    movable = _roles_list(region, "movable", DEFAULT_MOVABLE)
    region.finish()
    rules = root.table("rules")
    min_staff = _min_staff(rules)
    outlets = _outlets(root, Path(source).parent, min_staff)
    head = root.table("headcount")
    keep_roles = head.boolean("keep_roles", True)
    policy = _policy(head, rules, outlets, movable, keep_roles)
    _check_min_staff(rules, outlets, movable, policy)
    service = _service(rules)
    cover = _cover(rules)
    rules.finish()
    cost = _role_numbers(root.table("cost_yuan_per_day"), integer=False)
    if objective == "value_minus_cost" and not cost:
        raise root.fail("cost_yuan_per_day", "objective value_minus_cost needs a daily cost per role here")
    search = _search(root, outlets)
    conversions = _conversions(root, movable, outlets, keep_roles)
    day_types, every, risk = _day_types(root)
    _check_day_volumes(root, outlets, day_types)
    roster = _roster(root, outlets)
    root.finish()
    return Region(source=source, name=name, outlets=outlets, movable=movable, policy=policy, service=service,
                  objective=objective, cost_yuan_per_day=cost, search=search, cover_zones=cover,
                  keep_roles=keep_roles, conversions=conversions, day_types=day_types, every_day_type=every,
                  roster=roster, risk=risk)


#: Grids a roster may use (minutes; each divides the hour).
ROSTER_STEPS = (5, 10, 15, 20, 30, 60)


def _roster(root: Table, outlets: tuple[OutletSpec, ...]) -> RosterTemplate | None:
    """``[roster]``: the intraday roster's template (:class:`optimize.roster.RosterTemplate`), checked against
    every outlet (:func:`optimize.roster.template_problem`); ``None`` without the table."""
    if not root.has("roster"):
        return None
    t = root.table("roster")
    d = RosterTemplate()
    step = t.integer("step_min", d.step_min, ge=5, le=60)
    if step not in ROSTER_STEPS:
        raise t.fail("step_min", f"{step} is not allowed; allowed: {', '.join(map(str, ROSTER_STEPS))}")
    hours = tuple(t.number_list("shift_hours", list(d.shift_hours), gt=0.0, le=24.0))
    if not hours or any((60 * h) % step for h in hours):
        raise t.fail("shift_hours", f"a list of shift lengths in hours, each a whole number of {step} min steps, "
                     f"got {show(t.raw('shift_hours'))}")
    lunch = t.number("lunch_min", d.lunch_min, gt=0.0, le=240.0)
    if lunch % step:
        raise t.fail("lunch_min", f"must be a whole number of step_min ({step} min) steps, got {lunch:g}")
    template = RosterTemplate(
        shift_hours=hours, start_window=_clock_window(t, "start_window") if t.has("start_window") else None,
        step_min=step, lunch_min=lunch,
        lunch_window=_clock_window(t, "lunch_window") if t.has("lunch_window") else d.lunch_window,
        max_at_lunch=t.integer("max_at_lunch", d.max_at_lunch, ge=1, le=1000),
        cover_people=t.integer("cover_people", d.cover_people, ge=0, le=1000),
        roles=_roles_list(t, "roles", d.roles), service_level=t.number("service_level", d.service_level, gt=0.0,
                                                                       le=0.99),
        iterations=t.integer("iterations", d.iterations, ge=1, le=20), enabled=_enabled(t))
    if t.has("roles") and not template.roles:
        raise t.fail("roles", "an empty list rosters nobody; name the roles to roster, or leave roles out to "
                     "roster every role that serves a zone")
    if len(set(hours)) < len(hours):
        raise t.fail("shift_hours", f"each shift length once, got {show(list(hours))}")
    t.finish(allowed=("start_window", "lunch_window"))
    problem = template_problem(template, [(o.name, o.scenario) for o in outlets])
    if problem is not None:
        raise t.fail(*problem)
    return template


def _clock_window(t: Table, key: str) -> tuple[float, float]:
    """A ``["HH:MM", "HH:MM"]`` window as clock minutes after midnight, the end after the start."""
    value = t.raw(key)
    if not (isinstance(value, list) and len(value) == 2):
        raise t.fail(key, f'expected ["HH:MM", "HH:MM"], got {show(value)}')
    pair = Table(t.source, t.where(key), {"start": value[0], "end": value[1]})
    start, end = pair.clock("start"), pair.clock("end")
    if end < start:
        raise t.fail(key, f"the end must not be before the start, got {show(value)}")
    return start, end


def _day_types(root: Table) -> tuple[tuple[DayType, ...], bool, RiskLimit | None]:
    """``[day_types]``: ``profile = "month"`` (the quarters' day-of-month profile) or ``[day_types.NAME]``
    tables of ``share`` and ``volume``; ``every_day_type`` (default false) applies the service limits to each
    day type, not only to the month's average (the not-worse guards always hold per type);
    ``risk_walkout_rate`` (with ``risk_level``, default 0.9) a walk-out ceiling on the CVaR of each outlet's
    month (:class:`RiskLimit`)."""
    if not root.has("day_types"):
        return (), False, None
    t = root.table("day_types")
    every = t.boolean("every_day_type", False)
    risk = RiskLimit(t.number("risk_level", DEFAULT_RISK_LEVEL, gt=0.0, le=0.999),
                     t.number("risk_walkout_rate", gt=0.0, le=1.0)) if t.has("risk_walkout_rate") else None
    if risk is None and t.has("risk_level"):
        raise t.fail("risk_level", "used only with risk_walkout_rate (the ceiling at that level); add one or remove it")
    if t.has("profile") and t.has("types"):
        raise t.fail("types", 'give profile = "month" or [day_types.types.NAME] tables, not both')
    if t.has("profile"):
        t.string("profile", choices=("month",))
        types = month_day_types()
    else:
        found = []
        for name, sub in t.subtables("types"):
            for key in sub.data:  # a misspelt key is named, not reported as the field it should have been
                if key not in ("share", "volume"):
                    raise sub.fail(key, "unknown key; allowed here: share, volume")
            found.append(DayType(name, sub.number("share", ge=DAY_TYPE_SHARE[0], le=DAY_TYPE_SHARE[1]),
                                 sub.number("volume", ge=DAY_TYPE_VOLUME[0], le=DAY_TYPE_VOLUME[1])))
            sub.finish()
        types = tuple(found)
    t.finish(allowed=("every_day_type", "profile", "risk_level", "risk_walkout_rate", "types"))
    if not types:
        raise t.fail("types", 'give profile = "month" or at least one [day_types.types.NAME] table')
    total = sum(d.share for d in types)
    if abs(total - 1.0) > 1e-6:
        raise t.fail("types", f"the day types' shares must sum to 1, got {total:.6g}")
    return types, every, risk


def day_volume_problem(outlets: tuple[OutletSpec, ...], day_types: tuple[DayType, ...]) -> tuple[DayType, str] | None:
    """The first day type whose volume times an outlet's own ``arrivals.surge_factor`` (or its day's expected
    customers) passes a scenario's limits, and what is wrong; ``None`` when every outlet-day can be simulated.

    The optimiser simulates each outlet on each day type through ``arrivals.surge_factor``
    (:func:`optimize.state.day_scenarios`); checked here, a region file (or ``--day-types``)
    is refused before any simulation instead of failing late.
    """
    for o in outlets:
        surge = o.scenario.surge_factor
        customers = o.scenario.expected_customers
        for d in day_types:
            if surge * d.volume > MAX_SURGE:
                return d, (f"volume {d.volume:g} x outlet {o.name!r}'s arrivals.surge_factor {surge:g} = "
                           f"{surge * d.volume:.4g}; the scenario allows a surge_factor of at most {MAX_SURGE:g}, "
                           f"so at most {MAX_SURGE / surge:.4g} here")
            if customers * d.volume > MAX_DAY_CUSTOMERS:
                return d, (f"volume {d.volume:g} gives outlet {o.name!r} about {customers * d.volume:.4g} expected "
                           f"customers a day; a scenario allows at most {MAX_DAY_CUSTOMERS:,}, so at most "
                           f"{MAX_DAY_CUSTOMERS / customers:.4g} here")
    return None


def _check_day_volumes(root: Table, outlets: tuple[OutletSpec, ...], day_types: tuple[DayType, ...]) -> None:
    problem = day_volume_problem(outlets, day_types)
    if problem is not None:
        day, message = problem
        key = "profile" if "profile" in root.data["day_types"] else f"types.{day.name}.volume"
        raise root.fail(f"day_types.{key}", message)


def _check_min_staff(rules: Table, outlets: tuple[OutletSpec, ...], movable: tuple[str, ...],
                     policy: Policy) -> None:
    """A least head-count no plan can meet (above a fixed role's count, or above the role's pool) is an input error."""
    for o in outlets:
        for role, least in o.min_staff.items():
            today = o.scenario.staffing_plan().count(role)
            if role not in movable and least > today:
                raise rules.fail(f"min_staff.{role}", f"outlet {o.name!r}: at least {least} {role} but {role} may "
                                 f"not move (not in region.movable) and the outlet has {today}; lower the minimum "
                                 "or make the role movable")
            pool = policy.role_pools.get(role)
            if pool is not None and least > pool:
                raise rules.fail(f"min_staff.{role}", f"outlet {o.name!r}: at least {least} {role} but the "
                                 f"regional pool is {pool}; at most the pool")
    for role, pool in policy.role_pools.items():
        need = sum(o.min_staff.get(role, 0) for o in outlets)
        if need > pool:
            raise rules.fail(f"min_staff.{role}", f"the outlets' minimums add up to {need} {role}, more than the "
                             f"regional pool of {pool}")


def _conversions(root: Table, movable: tuple[str, ...], outlets: tuple[OutletSpec, ...] = (),
                 keep_roles: bool = True) -> tuple[Conversion, ...]:
    """``[[conversions]]``: from, to, max_people, training_cost_yuan, payback_days; none by default."""
    items = root.raw("conversions", [])
    if not isinstance(items, list) or len(items) > MAX_CONVERSIONS:
        got = f"{len(items)} tables" if isinstance(items, list) else show(items)
        raise root.fail("conversions", f"expected at most {MAX_CONVERSIONS} [[conversions]] tables, got {got}")
    out: list[Conversion] = []
    for i, item in enumerate(items):
        t = Table(root.source, f"conversions[{i}]", item)
        d = Conversion("", "", 0)
        conv = Conversion(t.string("from", choices=movable), t.string("to", choices=movable),
                          t.integer("max_people", ge=1, le=1000), t.number("training_cost_yuan", 0.0, ge=0.0, le=1e9),
                          t.number("payback_days", d.payback_days, gt=0.0, le=10_000.0))
        if conv.from_role == conv.to_role:
            raise t.fail("to", f"must differ from 'from' ({conv.from_role})")
        if any((c.from_role, c.to_role) == (conv.from_role, conv.to_role) for c in out):
            raise t.fail("to", f"{conv.from_role} -> {conv.to_role} is declared twice")
        today = sum(o.scenario.staffing_plan().count(conv.from_role) for o in outlets)
        if outlets and conv.max_people > today:
            raise t.fail("max_people", f"{conv.max_people} is more than the {today} {conv.from_role} staff today; "
                         f"at most {today}")
        if any((c.from_role, c.to_role) == (conv.to_role, conv.from_role) for c in out):
            warn(t.source, t.where("to"), f"{conv.to_role} -> {conv.from_role} is declared too: converting both "
                 "ways only moves people back and forth (and charges training twice); keep one direction")
        if not keep_roles:
            warn(t.source, t.where("from"), "headcount.keep_roles = false already lets roles' totals change "
                 "freely, so this conversion only adds a training cost; drop it or set keep_roles = true")
        t.finish()
        out.append(conv)
    patterns = 1
    for c in out:
        patterns *= c.max_people + 1
    if patterns > MAX_CONVERSION_PATTERNS:
        raise root.fail("conversions", f"the max_people allow {patterns} combinations; at most "
                        f"{MAX_CONVERSION_PATTERNS} (lower max_people)")
    return tuple(out)


def _min_staff(rules: Table) -> dict[str, int]:
    """``[rules.min_staff]``: the least head-count of each role at every outlet (none by default)."""
    t = rules.table("min_staff")
    on = _enabled(t)
    counts: dict[str, int] = _role_numbers(t, integer=True, skip=("enabled",))
    return counts if on else {}
