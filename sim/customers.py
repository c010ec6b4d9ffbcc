"""A day's random draws, vectorised, each from its own stream (see :mod:`sim.streams`).

- **Arrivals**: a non-homogeneous Poisson process, exact per hourly slot: a Poisson
  count with mean ``rate × slot length``, then uniform times within the slot (slot
  lengths from ``Outlet.slot_min``; the last slot may be shorter). Each customer has
  a segment (by ``share``) and one need (by the segment's ``needs``).
- **Patience** per customer from the segment's distribution (∞ when ``"none"``).
- **Uniforms** for lobby identification, diversion to machines and referral, drawn
  for every customer whether used or not, so a staffing change cannot shift them.
- **Service times** of every customer in every zone, for a primary and a referral
  visit, drawn whether used or not (common random numbers again).
- **Selling** (only when the scenario's ``[selling_time]`` is not empty): the sales
  uniforms, drawn before the day instead of after it (the same stream, the same numbers)
  so that the model knows at a service's start what it sells, and the minutes of every
  pitch, sale and referral each declared role would spend on every customer, drawn
  whoever ends up serving (common random numbers).
- **Field marketing**: conversions by the outside customer managers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.codes import NEEDS, ROLES, SERVICE_ZONES, Need, VisitKind
from sim.layout import compile_layout
from sim.scenario_types import SELLING_ACTS, Scenario

#: The key of one array of :attr:`SellingDraws.minutes`: zone index, role index (``ROLES``) and act.
SellingKey = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class SellingDraws:
    """A day's draws for selling that takes time (:class:`~sim.scenario.SellingTime`).

    ``sales_u``: the sales uniforms ``[customer, visit kind, bundle slot]``
    (:func:`sales_uniforms`; the log keeps them as ``DayLog.sales_u``). ``minutes[(zone,
    role, act)]``: minutes of that act by that role at that zone, ``[customer, bundle
    slot]`` for ``pitch`` and ``sale``, ``[customer]`` for ``referral``; an act without
    time there has no entry. A customer visits a zone at most once, so one draw per
    customer and slot serves whichever visit they make there.
    """

    sales_u: np.ndarray
    minutes: dict[SellingKey, np.ndarray]


@dataclass(frozen=True, slots=True)
class Customers:
    """Per-customer draws of one day (arrays of length n, arrival order).

    ``arrival_min`` minutes from opening; ``segment`` index into the scenario's
    segments; ``need`` a :class:`~sim.codes.Need`; ``patience_min`` minutes (∞: never
    walks out); ``u_*`` uniforms on [0, 1) for identification, diversion and referral;
    ``selling`` the selling draws when selling takes time (``None`` otherwise).
    """

    arrival_min: np.ndarray
    segment: np.ndarray
    need: np.ndarray
    patience_min: np.ndarray
    u_identify: np.ndarray
    u_divert: np.ndarray
    u_referral: np.ndarray
    selling: SellingDraws | None = None


@dataclass(frozen=True, slots=True)
class _DrawPlan:
    """What a scenario's draws need besides the random numbers, computed once per scenario.

    ``slots``: per arrival slot, its start (min), length (min) and Poisson mean;
    ``segment_cum``: the segments' cumulative shares over their total; ``need_cum``:
    per segment, its needs' cumulative probabilities over their total (one row per
    segment). The same expressions as drawing from scratch, so the same floats.
    """

    slots: tuple[tuple[float, float, float], ...]
    segment_cum: np.ndarray
    need_cum: np.ndarray


def _plan(scenario: Scenario) -> _DrawPlan:
    hit = _PLANS.get(id(scenario))
    if hit is not None and hit[0] is scenario:
        return hit[1]
    rates = zip(scenario.rate_per_hour, scenario.outlet.slot_min, strict=True)
    slots = tuple((60.0 * h, length, rate * length / 60.0) for h, (rate, length) in enumerate(rates))
    segments = list(scenario.segments.values())
    shares = np.cumsum([s.share for s in segments])
    needs = [np.cumsum(s.needs) for s in segments]
    plan = _DrawPlan(slots, shares / shares[-1], np.array([c / c[-1] for c in needs]).reshape(len(segments), -1))
    if len(_PLANS) >= 64:
        _PLANS.pop(next(iter(_PLANS)))
    _PLANS[id(scenario)] = (scenario, plan)  # a strong reference: the id is not reused while cached
    return plan


_PLANS: dict[int, tuple[Scenario, _DrawPlan]] = {}


def _arrival_times(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    times = []
    for start, length, mean in _plan(scenario).slots:
        count = rng.poisson(mean)
        times.append(start + length * rng.random(count))
    return np.sort(np.concatenate(times))


def draw_customers(scenario: Scenario, rngs: dict[str, np.random.Generator]) -> Customers:
    """Draw the day's arrivals, segments, needs, patience and triage uniforms.

    Each customer's need is the category its uniform falls in along its segment's
    cumulative needs: the count of cumulative weights at or below the uniform (what
    ``searchsorted(..., side="right")`` returns), found for all segments at once.
    """
    plan = _plan(scenario)
    rng = rngs["arrivals"]
    arrival = _arrival_times(scenario, rng)
    n = arrival.size
    segments = list(scenario.segments.values())
    cum = plan.segment_cum
    seg = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), cum.size - 1)
    u_need = rng.random(n)
    width = plan.need_cum.shape[1]
    need = np.minimum((plan.need_cum[seg] <= u_need[:, None]).sum(axis=1), width - 1).astype(np.int64)
    patience = np.full(n, np.inf)
    for k, s in enumerate(segments):
        if s.patience is not None:
            mask = seg == k
            patience[mask] = s.patience.sample(rngs["patience"], int(mask.sum()))
    trng = rngs["triage"]
    return Customers(arrival, seg, need, patience, trng.random(n), trng.random(n), rngs["referral"].random(n),
                     selling_draws(scenario, seg, rngs) if scenario.selling_time else None)


def sales_uniforms(scenario: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    """The uniforms of the day's sales draws, ``[customer, visit kind, bundle slot]`` (see
    :func:`sim.metrics.credit_sales`), from the ``sales`` stream."""
    max_bundle = max((len(s.bundle) for s in scenario.segments.values()), default=0)
    return rng.random((n, len(VisitKind), max_bundle))


def selling_draws(scenario: Scenario, segment: np.ndarray, rngs: dict[str, np.random.Generator]) -> SellingDraws:
    """The day's :class:`SellingDraws` for customers of ``segment`` (one entry per customer), from
    the ``sales`` and ``selling`` streams; zones and roles in ``[selling_time]`` order, then acts
    in :data:`~sim.scenario.SELLING_ACTS` order, bundle slots and segments in order."""
    n = segment.size
    rng = rngs["selling"]
    bundles = [s.bundle for s in scenario.segments.values()]
    width = compile_layout(scenario).sales.bundle.shape[1]
    minutes: dict[SellingKey, np.ndarray] = {}
    for zid, by_role in scenario.selling_time.items():
        for rid, st in by_role.items():
            key = (SERVICE_ZONES.index(zid), ROLES.index(rid))
            for act in SELLING_ACTS[:2]:
                table = np.zeros((n, width))
                drawn = False
                for slot in range(width):
                    for k, bundle in enumerate(bundles):
                        dist = st.for_product(act, bundle[slot]) if slot < len(bundle) else None
                        if dist is not None:
                            mask = segment == k
                            table[mask, slot] = dist.sample(rng, int(mask.sum()))
                            drawn = True
                if drawn:
                    minutes[(*key, act)] = table
            if st.referral is not None:
                minutes[(*key, "referral")] = st.referral.sample(rng, n)
    return SellingDraws(sales_uniforms(scenario, n, rngs["sales"]), minutes)


#: ``ServiceTimes[zone][kind]``: minutes of every customer's visit of that kind in that zone.
ServiceTimes = tuple[tuple[np.ndarray, np.ndarray], ...]


def service_times(scenario: Scenario, cust: Customers, rngs: dict[str, np.random.Generator]) -> ServiceTimes:
    """Service time (min) of every customer in every zone, for a primary and a referral visit.

    Indexed ``[zone][kind]`` with :class:`~sim.codes.Zone` and ``VisitKind.PRIMARY`` /
    ``VisitKind.REFERRAL`` (a greeting is the lobby's primary time); empty arrays for
    zones without a service time.
    """
    n = cust.arrival_min.size
    rows = []
    for zid in SERVICE_ZONES:
        zs = scenario.service.get(zid)
        rng = rngs[f"service_{zid}"]
        if zs is None:
            rows.append((np.zeros(0), np.zeros(0)))
            continue
        primary = zs.default.sample(rng, n)
        for need, dist in zs.by_need.items():
            if need in NEEDS:
                mask = cust.need == Need[need.upper()]
                primary[mask] = dist.sample(rng, int(mask.sum()))
        rows.append((primary, zs.for_need("referral").sample(rng, n)))
    return tuple(rows)


def field_marketing(scenario: Scenario, rng: np.random.Generator) -> int:
    """New customers won outside today by the outside customer managers.

    Each of ``round(outside × visits_per_day)`` visits reaches a uniformly random
    prospect of the pool; one not yet converted converts with ``field.conversion``.
    Returns the number converted (diminishing returns: the chance of reaching a new
    prospect falls as the pool is used up). The expected count after ``v`` visits is
    ``P·(1 − (1 − p/P)^v)`` for pool ``P`` and conversion ``p``.
    """
    f = scenario.field_marketing
    outside = sum(r.outside for r in scenario.roles.values())
    visits = round(outside * f.visits_per_day)
    if visits == 0 or f.prospect_pool == 0 or f.conversion == 0:
        return 0
    converted = 0
    for reach, convert in rng.random((visits, 2)).tolist():
        if reach < 1.0 - converted / f.prospect_pool and convert < f.conversion:
            converted += 1
    return converted
