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
   without staff. A service by staff member ``k`` lasts the customer's drawn service
   time divided by ``k``'s speed (the role's ``speed`` list; 1 by default): tellers
   differ in speed.
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

Randomness: every random quantity is drawn up front, vectorised, from its own named
stream (:mod:`sim.streams`): arrivals, patience, triage, each zone's service times,
referrals, sales, field marketing. The arrival stream depends on nothing but the
arrival parameters, so two staffing plans run with the same seed see the same
customers (common random numbers).

The pieces, by job: :mod:`sim.streams` (random streams), :mod:`sim.customers` (the
day's draws), :mod:`sim.layout` (the outlet compiled from its scenario: open zones,
routes, staff), :mod:`sim.events` (the SimPy event loop, callbacks on timeouts rather
than a process per customer), :mod:`sim.daylog` (the day's log as arrays and tables),
:mod:`sim.codes` (named codes). This module puts them together.
"""

from __future__ import annotations

import numpy as np

from sim.customers import Customers, draw_customers, field_marketing, service_times
from sim.daylog import DayLog, to_log
from sim.events import DayRun, run_day
from sim.layout import Staffing, compile_layout, staffing
from sim.scenario_types import Scenario
from sim.streams import streams

__all__ = ["Customers", "DayLog", "DayRun", "Staffing", "draw_customers", "field_marketing", "run_events",
           "simulate", "staffing", "to_log"]


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0, customers: Customers | None = None) -> DayLog:
    """Simulate one outlet day and return its event log.

    Args:
        scenario: a validated scenario (see :func:`sim.load_scenario`).
        seed: base seed; with ``replication`` it fixes every random stream.
        replication: replication index; different indices give independent days.
        customers: a scripted day's customers instead of drawn ones (arrival times
            sorted); service times are still drawn from the scenario's distributions.
    """
    run, rngs = run_events(scenario, seed, replication, customers)
    return to_log(scenario, run, rngs)


def run_events(scenario: Scenario, seed: int, replication: int,
               customers: Customers | None = None) -> tuple[DayRun, dict[str, np.random.Generator]]:
    """Draw the day and run its event loop: the model proper, without building the log.

    Returns the recorded day and the day's random streams (the log still draws its
    sales and field marketing from them: pass both to :func:`to_log`).
    """
    rngs = streams(seed, replication)
    cust = draw_customers(scenario, rngs) if customers is None else customers
    return run_day(scenario, compile_layout(scenario), cust, service_times(scenario, cust, rngs)), rngs
