"""One simulated day's log as numpy arrays, and its readable tables (pandas, imported on use)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from sim.codes import NEEDS, ROLES, SEATED_ZONES, SERVICE_ZONES, VisitKind, VisitStatus, Zone, labels
from sim.customers import Customers, field_marketing, sales_uniforms
from sim.events import DayRun
from sim.layout import Staffing
from sim.scenario_types import Scenario

if TYPE_CHECKING:
    import pandas as pd

VISIT_KINDS = labels(VisitKind)
VISIT_STATUSES = labels(VisitStatus)
#: Zone codes of the queues that wait in the waiting area (where lobby staff pitch).
_SEATED = np.array([SERVICE_ZONES.index(z) for z in SEATED_ZONES])


def wait_end_min(start_min: np.ndarray, end_min: np.ndarray) -> np.ndarray:
    """When each visit's wait ended (min): at service start or, for a visit never served,
    when the customer left the queue (walk-out, balk, bypass); NaN if still queued."""
    ended: np.ndarray = np.where(np.isnan(start_min), end_min, start_min)
    return ended


def wait_min(join_min: np.ndarray, start_min: np.ndarray, end_min: np.ndarray) -> np.ndarray:
    """The wait of each visit (min): from joining the queue until :func:`wait_end_min`
    (a balk waits 0); NaN when still queued at the end of the day. The one definition
    of a wait, used by the log's tables and by every KPI."""
    wait: np.ndarray = wait_end_min(start_min, end_min) - join_min
    return wait


@dataclass(frozen=True, slots=True)
class LobbyPitches:
    """A day's lobby pitches (:class:`~sim.scenario.LobbyPitch`), one entry each: the waiting
    ``visit`` pitched (index into the log's visits), the pitching lobby ``staff`` member, the
    ``minute`` of the pitch and the uniforms ``u[pitch, bundle slot]`` of its sales draws."""

    visit: np.ndarray
    staff: np.ndarray
    minute: np.ndarray
    u: np.ndarray


def _no_pitches() -> LobbyPitches:
    empty = np.zeros(0, dtype=np.int64)
    return LobbyPitches(empty, empty, np.zeros(0), np.zeros((0, 0)))


@dataclass(frozen=True, slots=True)
class DayLog:
    """Everything one simulated day produced, as numpy arrays (cheap to keep and to pickle).

    ``customers``: draws per customer (arrival order). Visits: one row per queue a
    customer joined — ``visit_customer``, ``visit_zone`` (:class:`~sim.codes.Zone`),
    ``visit_kind`` (:class:`~sim.codes.VisitKind`), ``visit_join_min``,
    ``visit_start_min`` (NaN if never served), ``visit_end_min`` (service end, walk-out
    or balk time), ``visit_staff`` (index into ``staff.ids``; ``MACHINE`` −2,
    ``NO_STAFF`` −1), ``visit_status`` (:class:`~sim.codes.VisitStatus`).
    ``no_service`` and ``diverted`` list customer indices. ``sales_u`` holds the
    uniforms of the sales draws ``[customer, visit kind, bundle slot]`` (see
    :func:`sim.metrics.credit_sales`); ``field_new_customers`` the new customers won: by
    field marketing and, with ``[sales.walk_in]``, at the low counter; ``lobby_pitches``
    the pitches to waiting customers (empty without ``[sales.lobby_pitch]``); ``flex_away``
    rows ``(staff, from, to)`` of flexible staff away at a flexible post (``[dispatch.flex]``).
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
    lobby_pitches: LobbyPitches = field(default_factory=_no_pitches)
    flex_away: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    @property
    def visit_wait_min(self) -> np.ndarray:
        """Each visit's wait (min), as defined by :func:`wait_min`."""
        return wait_min(self.visit_join_min, self.visit_start_min, self.visit_end_min)

    def customers_frame(self) -> pd.DataFrame:
        """One row per customer: arrival (min from opening), segment and need by name, patience."""
        import pandas as pd

        c = self.customers
        return pd.DataFrame({
            "customer": np.arange(c.arrival_min.size), "arrival_min": c.arrival_min,
            "segment": np.asarray(list(self.scenario.segments), dtype=object)[c.segment],
            "need": np.asarray(NEEDS, dtype=object)[c.need], "patience_min": c.patience_min,
        })

    def visits_frame(self) -> pd.DataFrame:
        """One row per queue joined, with zone, kind, status and staff by name (``machine``/``""``)."""
        import pandas as pd

        # MACHINE (-2) and NO_STAFF (-1) index the two names appended to the staff ids.
        staff_names = np.asarray([*self.staff.ids, "machine", ""], dtype=object)
        return pd.DataFrame({
            "customer": self.visit_customer, "zone": np.asarray(SERVICE_ZONES, dtype=object)[self.visit_zone],
            "kind": np.asarray(VISIT_KINDS, dtype=object)[self.visit_kind], "join_min": self.visit_join_min,
            "start_min": self.visit_start_min, "end_min": self.visit_end_min, "wait_min": self.visit_wait_min,
            "staff": staff_names[self.visit_staff],
            "status": np.asarray(VISIT_STATUSES, dtype=object)[self.visit_status],
        })

    def staff_frame(self) -> pd.DataFrame:
        """The staff event log: duty start/end and each service start/end, by person, in time order."""
        import pandas as pd

        rows = [(self.staff.ids[k], ROLES[self.staff.roles[k]], t, event, "", -1)
                for k, intervals in enumerate(self.staff.duty) for on, off in intervals
                for t, event in ((on, "on_duty"), (off, "off_duty"))]
        for v in np.flatnonzero(self.visit_staff >= 0):
            k = int(self.visit_staff[v])
            for t, event in ((self.visit_start_min[v], "service_start"), (self.visit_end_min[v], "service_end")):
                if np.isfinite(t):
                    rows.append((self.staff.ids[k], ROLES[self.staff.roles[k]], float(t), event,
                                 SERVICE_ZONES[self.visit_zone[v]], int(self.visit_customer[v])))
        frame = pd.DataFrame(rows, columns=["staff", "role", "time_min", "event", "zone", "customer"])
        return frame.sort_values(["time_min", "staff"], kind="stable", ignore_index=True)


def to_log(scenario: Scenario, run: DayRun, rngs: dict[str, np.random.Generator]) -> DayLog:
    """Turn a finished day's visit lists into :class:`DayLog` arrays, drawing its sales
    uniforms (unless drawn before the day, when selling takes time: the same numbers),
    field marketing and, when the scenario has them, lobby pitches and walk-in prospects won
    at the low counter. Visits still waiting at the end become ``UNSERVED``."""
    status = np.asarray(run.visit_status, dtype=np.int64)
    status[status == VisitStatus.WAITING] = VisitStatus.UNSERVED
    selling = run.customers.selling
    log = DayLog(
        scenario, run.staff, run.customers,
        np.asarray(run.visit_customer, dtype=np.int64), np.asarray(run.visit_zone, dtype=np.int64),
        np.asarray(run.visit_kind, dtype=np.int64), np.asarray(run.visit_join_min, dtype=float),
        np.asarray(run.visit_start_min, dtype=float), np.asarray(run.visit_end_min, dtype=float),
        np.asarray(run.visit_staff, dtype=np.int64), status,
        np.asarray(run.no_service, dtype=np.int64), np.asarray(run.diverted, dtype=np.int64),
        sales_uniforms(scenario, run.n, rngs["sales"]) if selling is None else selling.sales_u,
        field_marketing(scenario, rngs["field"]),
    )
    if run.flex_away:
        log = replace(log, flex_away=np.asarray(run.flex_away, dtype=float))
    sales = scenario.sales
    if sales.lobby_pitch.rate_per_min > 0:
        log = replace(log, lobby_pitches=lobby_pitches(log, rngs["lobby_pitch"]))
    if sales.walk_in.prospect_share > 0:
        log = replace(log, field_new_customers=log.field_new_customers + counter_wins(log, rngs["walk_in"]))
    return log


def free_intervals(duty: tuple[tuple[float, float], ...], busy: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of the ``duty`` intervals (min) outside the ``busy`` ones (sorted by start)."""
    out = []
    for a, b in duty:
        t = a
        for s, e in busy:
            if e <= t:
                continue
            if s >= b:
                break
            if s > t:
                out.append((t, s))
            t = max(t, e)
        if t < b:
            out.append((t, b))
    return out


def lobby_pitches(log: DayLog, rng: np.random.Generator) -> LobbyPitches:
    """Who was pitched in the waiting area, by whom and when (:class:`~sim.scenario.LobbyPitch`).

    A customer's pitch comes at the first point of a Poisson process of rate
    ``rate_per_min × F(t)`` over their waits in seated queues, ``F(t)`` the lobby staff free
    (on duty, not greeting): drawn as an Exp(1) threshold per customer (``lobby_pitch``
    stream, whoever serves) on the free-lobby-person-minutes ``C(t) = ∫ F`` accumulated
    while they wait. Needs no event: a pitch takes no greeting time, so ``F`` is the day's.
    """
    sc = log.scenario
    n = log.customers.arrival_min.size
    width = max((len(s.bundle) for s in sc.segments.values()), default=0)
    threshold = rng.exponential(1.0, n) / sc.sales.lobby_pitch.rate_per_min
    u = rng.random((n, width))
    lobby = [k for k, zones in enumerate(log.staff.zones) if Zone.LOBBY in zones]
    free = {k: free_intervals(log.staff.duty[k], sorted(zip(log.visit_start_min[log.visit_staff == k].tolist(),
                                                            log.visit_end_min[log.visit_staff == k].tolist(),
                                                            strict=True)))
            for k in lobby}
    edges = sorted([(a, 1.0) for k in lobby for a, _ in free[k]] + [(b, -1.0) for k in lobby for _, b in free[k]])
    if not edges:
        return replace(_no_pitches(), u=np.zeros((0, width)))
    times = np.array([t for t, _ in edges])
    level = np.cumsum([d for _, d in edges])  # free lobby staff on [times[m], times[m + 1]]
    area = np.concatenate([[0.0], np.cumsum(level[:-1] * np.diff(times))])  # C at times
    ended = wait_end_min(log.visit_start_min, log.visit_end_min)
    ended = np.where(np.isnan(ended), np.inf, ended)  # still queued at the end: the whole day
    waits = np.flatnonzero(np.isin(log.visit_zone, _SEATED) & (ended > log.visit_join_min))
    at_join = np.interp(log.visit_join_min[waits], times, area)
    exposure = np.interp(ended[waits], times, area) - at_join
    so_far: dict[int, float | None] = {}
    visit, staff, minute = [], [], []
    for v, c0, e in zip(waits.tolist(), at_join.tolist(), exposure.tolist(), strict=True):
        i = int(log.visit_customer[v])
        before = so_far.get(i, 0.0)
        if before is None:  # pitched already
            continue
        if before + e < threshold[i]:
            so_far[i] = before + e
            continue
        target = c0 + threshold[i] - before
        j = int(np.searchsorted(area, target, side="left"))
        t = float(times[j - 1] + (target - area[j - 1]) / level[j - 1])
        visit.append(v)
        staff.append(next(k for k in lobby if any(a - 1e-9 <= t <= b + 1e-9 for a, b in free[k])))
        minute.append(t)
        so_far[i] = None
    cust = log.visit_customer[np.asarray(visit, dtype=np.int64)]
    return LobbyPitches(np.asarray(visit, dtype=np.int64), np.asarray(staff, dtype=np.int64), np.asarray(minute),
                        u[cust])


def flex_away_min(log: DayLog) -> np.ndarray:
    """Minutes each staff member (``staff.ids`` order) spent at a flexible post, away from their own
    work: a customer manager at the counter is not selling in the wealth room or preparing visits."""
    away = log.flex_away
    return np.bincount(away[:, 0].astype(np.int64), away[:, 2] - away[:, 1], minlength=len(log.staff.ids))


def counter_wins(log: DayLog, rng: np.random.Generator) -> int:
    """New customers won at the low counter (:class:`~sim.scenario.WalkIn`): each customer whose own
    need the low counter served is a prospect with ``prospect_share`` and, served by role ``r``,
    opens an account with ``conversion[r]`` (two uniforms per customer, ``walk_in`` stream)."""
    walk_in = log.scenario.sales.walk_in
    u = rng.random((log.customers.arrival_min.size, 2))
    chance = np.zeros(len(ROLES))
    for rid, p in walk_in.conversion.items():
        chance[ROLES.index(rid)] = p
    served = (log.visit_zone == Zone.NON_CASH) & (log.visit_kind == VisitKind.PRIMARY) & (
        log.visit_status == VisitStatus.DONE) & (log.visit_staff >= 0)
    i = log.visit_customer[served]
    role = np.asarray(log.staff.roles, dtype=np.int64)[log.visit_staff[served]]
    return int(((u[i, 0] < walk_in.prospect_share) & (u[i, 1] < chance[role])).sum())
