"""Analytic queueing: Erlang C (M/M/c), Erlang A (M/M/c+M) and the staffing inverse.

Two uses: validating the simulation where theory applies, and giving the staffing
optimiser fast lower bounds on staff per zone and hour.

Rates are per unit of time of the caller's choosing (use one unit throughout:
``lam`` arrivals and ``mu`` services per minute give waits in minutes).

- **Erlang C** (M/M/c, infinite patience): computed through the Erlang B recursion
  ``B(k) = a·B(k−1) / (k + a·B(k−1))`` with offered load ``a = λ/μ``, which never forms
  a factorial and is stable for thousands of servers; ``C = c·B / (c − a(1 − B))``.
  Loads with ``a ≥ c`` have no steady state and raise :class:`UnstableQueueError`.
- **Erlang A** (M/M/c+M, exponential patience with rate ``theta``): the exact
  birth–death chain, birth ``λ``, death ``min(n,c)μ + max(n−c,0)θ``, summed in log
  space and truncated at the first state whose probability is below 1e-17 (doubling
  the state space until it is). Always stable for θ>0.
- **Inverse**: the fewest servers meeting a service-level, mean-wait or abandonment
  target, vectorised over an array of arrival rates (e.g. the hours of a profile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.codes import NEEDS, NO_ZONE, SERVICE_ZONES, STAFFED_ZONES
from sim.layout import compile_layout
from sim.scenario_types import Scenario


class UnstableQueueError(ValueError):
    """An Erlang C queue with offered load ``λ/μ ≥ c``: waits grow without bound."""


def _check(lam: float, mu: float, c: int) -> None:
    if not (lam >= 0 and math.isfinite(lam)):
        raise ValueError(f"lam: arrival rate must be a finite number >= 0, got {lam!r}")
    if not (mu > 0 and math.isfinite(mu)):
        raise ValueError(f"mu: service rate must be a finite number > 0, got {mu!r}")
    if isinstance(c, bool) or int(c) != c or c < 1:
        raise ValueError(f"c: number of servers must be a whole number >= 1, got {c!r}")


def erlang_b(a: float, c: int) -> float:
    """Erlang B blocking probability for offered load ``a`` (Erlangs) and ``c`` servers."""
    b = 1.0
    for k in range(1, int(c) + 1):
        b = a * b / (k + a * b)
    return b


@dataclass(kw_only=True, frozen=True, slots=True)
class ErlangC:
    """Steady-state M/M/c metrics. Times are in the unit of ``1/mu``.

    Attributes:
        p_wait: probability an arrival waits (Erlang C formula).
        mean_wait: mean wait in queue of all arrivals, Wq.
        mean_queue: mean number waiting, Lq = λ·Wq.
        occupancy: server utilisation ρ = λ/(cμ).
        p0: probability the system is empty.
    """

    lam: float
    mu: float
    c: int
    p_wait: float
    mean_wait: float
    mean_queue: float
    occupancy: float
    p0: float

    def service_level(self, t: float) -> float:
        """P(wait ≤ t) = 1 − C·exp(−(cμ − λ)·t)."""
        return 1.0 - self.p_wait * math.exp(-(self.c * self.mu - self.lam) * t)


def erlang_c(lam: float, mu: float, c: int) -> ErlangC:
    """M/M/c metrics for arrival rate ``lam``, service rate ``mu`` per server, ``c`` servers.

    Raises:
        ValueError: on negative rates or ``c < 1``.
        UnstableQueueError: when ``lam/mu >= c``.
    """
    _check(lam, mu, c)
    a = lam / mu
    if a >= c:
        raise UnstableQueueError(f"offered load λ/μ = {a:.6g} >= c = {c}: the queue is unstable")
    b = erlang_b(a, c)
    p_wait = c * b / (c - a * (1.0 - b))
    mean_wait = p_wait / (c * mu - lam)
    k = np.arange(c)
    if a > 0:
        from scipy.special import gammaln, logsumexp  # on use: scipy is slow to import

        log_terms = np.append(k * math.log(a) - gammaln(k + 1), c * math.log(a) - gammaln(c + 1) - math.log1p(-a / c))
        p0 = float(math.exp(-logsumexp(log_terms)))
    else:
        p0 = 1.0
    return ErlangC(lam=lam, mu=mu, c=int(c), p_wait=p_wait, mean_wait=mean_wait, mean_queue=lam * mean_wait,
                   occupancy=a / c, p0=p0)


def _erlang_a_states(lam: float, mu: float, theta: float, c: int) -> np.ndarray:
    """Stationary distribution p_n of the M/M/c+M chain, truncated at negligible mass."""
    from scipy.special import logsumexp  # on use: scipy is slow to import

    # log p_n up to a constant: sum of log(λ / death_k) for k = 1..n.
    n_max = c + 64
    while True:
        n = np.arange(1, n_max + 1)
        death = np.minimum(n, c) * mu + np.maximum(n - c, 0) * theta
        if lam == 0:
            return np.append(1.0, np.zeros(n_max))
        logp = np.append(0.0, np.cumsum(math.log(lam) - np.log(death)))
        p: np.ndarray = np.exp(logp - logsumexp(logp))
        if p[-1] < 1e-17 or n_max > 10_000_000:
            return p
        n_max *= 2


@dataclass(kw_only=True, frozen=True, slots=True)
class ErlangA:
    """Steady-state M/M/c+M metrics (exponential patience, mean 1/θ).

    Attributes:
        p_wait: probability an arrival finds all servers busy, P(wait > 0).
        p_abandon: probability an arrival walks out before service.
        mean_wait: mean wait of all arrivals (abandoners until they leave).
        mean_queue: mean number waiting.
        occupancy: mean busy servers / c.
    """

    lam: float
    mu: float
    theta: float
    c: int
    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_queue: float
    occupancy: float
    states: np.ndarray

    def service_level(self, t: float) -> float:
        """Share of all arrivals who start service within ``t``: P(W ≤ t, served).

        An arrival finding ``k`` waiting ahead is followed as a small Markov chain:
        with ``m`` ahead it advances at rate ``cμ + mθ`` and abandons at rate θ; the
        chance of reaching service by ``t`` comes from the chain's matrix exponential.
        """
        from scipy.linalg import expm  # on use: scipy is slow to import

        c, p = self.c, self.states
        k_max = p.size - c  # arrivals may find 0 .. k_max-1 waiting
        size = k_max + 2  # transient states 0..k_max-1 ahead, then served, then abandoned
        gen = np.zeros((size, size))
        served, gone = k_max, k_max + 1
        for m in range(k_max):
            advance = c * self.mu + m * self.theta
            gen[m, m - 1 if m > 0 else served] += advance
            gen[m, gone] += self.theta
            gen[m, m] = -(advance + self.theta)
        reach = expm(gen * t)[:k_max, served]
        return float(p[:c].sum() + (p[c:] * reach).sum())


def erlang_a(lam: float, mu: float, theta: float, c: int) -> ErlangA:
    """M/M/c+M metrics: arrival rate ``lam``, service rate ``mu``, abandonment rate ``theta``.

    Raises:
        ValueError: on negative rates, ``theta <= 0`` or ``c < 1``.
    """
    _check(lam, mu, c)
    if not (theta > 0 and math.isfinite(theta)):
        raise ValueError(f"theta: abandonment rate (1 / mean patience) must be > 0, got {theta!r}")
    p = _erlang_a_states(lam, mu, theta, c)
    n = np.arange(p.size)
    queue = float((np.maximum(n - c, 0) * p).sum())
    busy = float((np.minimum(n, c) * p).sum())
    mean_wait = queue / lam if lam > 0 else 0.0
    return ErlangA(lam=lam, mu=mu, theta=theta, c=int(c), p_wait=float(p[c:].sum()),
                   p_abandon=theta * queue / lam if lam > 0 else 0.0,
                   mean_wait=mean_wait, mean_queue=queue, occupancy=busy / c, states=p)


def servers_needed(
    lam: float | np.ndarray,
    mu: float,
    *,
    service_level: float | None = None,
    target_wait: float = 0.0,
    max_mean_wait: float | None = None,
    max_abandon: float | None = None,
    theta: float | None = None,
    c_max: int = 100_000,
) -> np.ndarray:
    """Fewest servers meeting every given target, for each arrival rate in ``lam``.

    Targets: ``service_level`` (share started within ``target_wait``), ``max_mean_wait``
    and, with patience rate ``theta`` (Erlang A), ``max_abandon``. Without ``theta``
    the Erlang C formulas are used and only stable staffing counts. A rate of 0 needs
    0 servers. Returns an integer array shaped like ``lam``.
    """
    if service_level is None and max_mean_wait is None and max_abandon is None:
        raise ValueError("give at least one target: service_level, max_mean_wait or max_abandon")
    if max_abandon is not None and theta is None:
        raise ValueError("max_abandon needs theta, the abandonment rate (1 / mean patience)")
    if service_level is not None and not 0 < service_level < 1:
        raise ValueError(f"service_level: must lie strictly between 0 and 1, got {service_level!r}")
    lams = np.atleast_1d(np.asarray(lam, dtype=float))
    out = np.zeros(lams.shape, dtype=np.int64)
    for idx, rate in np.ndenumerate(lams):
        if rate == 0:
            continue
        c = max(1, math.floor(rate / mu) + (1 if theta is None else 0))
        while not _meets(rate, mu, c, theta, service_level, target_wait, max_mean_wait, max_abandon):
            c += 1
            if c > c_max:
                raise ValueError(f"no staffing up to c_max={c_max} meets the targets at λ={rate:g}")
        out[idx] = c
    return out.reshape(np.shape(lam))


def _meets(lam: float, mu: float, c: int, theta: float | None, sl: float | None, t: float,
           max_wait: float | None, max_abandon: float | None) -> bool:
    m: ErlangC | ErlangA
    if theta is None:
        if lam / mu >= c:
            return False
        m = erlang_c(lam, mu, c)
    else:
        m = erlang_a(lam, mu, theta, c)
        if max_abandon is not None and m.p_abandon > max_abandon:
            return False
    if max_wait is not None and m.mean_wait > max_wait:
        return False
    return sl is None or m.service_level(t) >= sl


def zone_load(scenario: Scenario, zone: str, *, greeted: bool = True) -> tuple[np.ndarray, float]:
    """Arrival rate per minute at ``zone`` for each hour, and the zone's mean service time (min).

    The rate follows the scenario's routing (needs, diversion to machines with the
    greeted or ungreeted probability, going around absent zones) and adds the teller
    referrals to the low counter or wealth room. Patience and balking are ignored: it
    is the offered load. Used for pointwise-stationary staffing per hour.

    When the staff able to serve the zone have speeds other than 1 (a role's ``speed``
    list), the mean is divided by the average speed of the fastest of them, as many as
    the zone has positions: the zone's capacity when its fastest people hold its
    positions. Exact when they share one speed; with mixed speeds an optimistic
    approximation of the heterogeneous-server queue. Self-service machines work at speed 1.

    Raises:
        ValueError: the zone is not open in the scenario.
    """
    layout = compile_layout(scenario)
    service = scenario.service.get(zone)
    if service is None or not layout.is_open(zone):
        raise ValueError(f"zone {zone!r} is not open in {scenario.source}")
    routes = layout.route
    divert = scenario.triage.divert_probability_staffed if greeted else scenario.triage.divert_probability_unstaffed
    referral_to = [SERVICE_ZONES[z] for z in layout.referral_zone]
    flows: list[tuple[float, str, str]] = []  # (share of arrivals, zone, need)
    for seg in scenario.segments.values():
        for k, need in enumerate(NEEDS):
            split = ((0, 1 - divert), (1, divert)) if need == "self_service_eligible" else ((0, 1.0),)
            for diverted, p_div in split:
                p = seg.share * seg.needs[k] * p_div
                target = routes[k][diverted]
                if target == NO_ZONE:
                    continue
                flows.append((p, "lobby" if zone == "lobby" else SERVICE_ZONES[target], need))
                if SERVICE_ZONES[target] == "cash":
                    flows.append((p * scenario.sales.referral_probability, referral_to[seg.wealth_room], "referral"))
    mine = [(p, service.for_need(need).mean_min) for p, z, need in flows if z == zone and p > 0]
    share = sum(p for p, _ in mine)
    mean = sum(p * m for p, m in mine) / share if share > 0 else math.nan
    z = SERVICE_ZONES.index(zone)
    if zone in STAFFED_ZONES and layout.zone_staff[z]:
        fastest = sorted((layout.staff.speed[k] for k in layout.zone_staff[z]), reverse=True)[:layout.positions[z]]
        mean /= sum(fastest) / len(fastest)
    return np.asarray(scenario.rate_per_hour) / 60.0 * share, mean
