"""The validation suite: the real outlet model, configured as textbook queues, against theory.

Each case builds an ordinary scenario (the same TOML format, through
:func:`sim.scenario.from_dict`), replicates it, and compares a simulated KPI with its
analytic value:

- **M/M/c** (Erlang C) at loads ρ = 0.5, 0.8, 0.9, 0.95 and c = 1, 3, 10: mean wait
  within 3% relative; P(wait ≤ t) within 0.01 absolute.
- **M/M/c+M** (Erlang A) at two patience means: abandonment probability and mean wait
  within 5% relative.
- **Priority**: two classes, non-pre-emptive priority, M/M/1, against Cobham's formula
  ``W_k = W0 / ((1 − σ_{k−1})(1 − σ_k))`` with ``W0 = Σ λ_i E[S_i²] / 2``, within 5%.
  VIP priority in the model comes from lobby identification, so the lobby greets in a
  negligible deterministic time with ample greeters (Poisson arrivals stay Poisson).
- **Time-varying arrivals**: a piecewise-constant hourly profile with service short
  against the hour; each hour's mean wait against the stationary Erlang C value of
  that hour (pointwise stationary approximation) within 10%.

Run lengths are chosen per case so the tolerance is meaningful; the quick set drops the
cases that need tens of millions of customers (ρ = 0.95 with few servers). Where a run
cannot resolve its tolerance, a check allows the simulation's own 99.9% noise instead
(see :class:`Check`): a correct model then fails a check about once in a thousand seeds,
and the output says which checks were noise-limited.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.queueing import erlang_a, erlang_c
from sim.replicate import Replications, replicate
from sim.scenario import format_clock, from_dict
from sim.scenario_types import Scenario
from sim.student_t import t_quantile

VALIDATION_COLUMNS = ("case", "metric", "simulated", "ci95_low", "ci95_high", "analytic", "abs_error",
                      "rel_error", "tolerance", "passed", "customers")


def queue_scenario(
    lam_per_min: float, mean_service_min: float, servers: int, *, day_min: float, warmup_min: float = 0.0,
    patience_mean_min: float | None = None, target_wait_min: float = 1.0,
) -> dict[str, Any]:
    """A scenario dictionary reducing the outlet to one cash zone: an M/M/c(+M) queue.

    Poisson arrivals at ``lam_per_min``, exponential service, ``servers`` tellers at as
    many counters, no lobby, unlimited standing room, optional exponential patience.
    """
    close = 60.0 * math.ceil(day_min / 60.0)
    segment: dict[str, Any] = {"share": 1.0, "needs": {"cash": 1.0}}
    if patience_mean_min is not None:
        segment["patience"] = {"distribution": "exponential", "mean_min": patience_mean_min}
    return {
        "outlet": {"name": f"M/M/{servers}", "tier": "potential", "open": "00:00", "close": format_clock(close),
                   "warmup_min": warmup_min},
        "zones": {"cash": {"positions": servers, "target_wait_min": target_wait_min}},
        "staff": {"cash_teller": {"count": servers, "zones": ["cash"]}},
        "arrivals": {"rate_per_hour": lam_per_min * 60.0},
        "segments": {"mass": segment},
        "service": {"cash": {"distribution": "exponential", "mean_min": mean_service_min}},
    }


@dataclass(kw_only=True, frozen=True)
class Check:
    """One simulated-versus-analytic comparison and its rule.

    The check passes when ``|simulated − analytic|`` is within the tolerance (``rel_tol``
    of the analytic value, or ``abs_tol``) or, when the run is too short to resolve the
    tolerance, within the simulation's own noise: the half-width of its 99.9% Student-t
    interval over ``days`` replications. A correct model then fails a check about once
    in a thousand seeds, whatever the seed; a deviation beyond both fails.
    """

    metric: str
    simulated: float
    ci95: tuple[float, float]
    analytic: float
    days: int
    rel_tol: float | None = None
    abs_tol: float | None = None

    @property
    def noise(self) -> float:
        """Half-width of the simulated value's 99.9% interval (from its 95% interval)."""
        if self.days < 2 or not all(math.isfinite(x) for x in self.ci95):
            return 0.0
        df = self.days - 1
        return (self.ci95[1] - self.ci95[0]) / 2 * t_quantile(0.9995, df) / t_quantile(0.975, df)

    @property
    def stated(self) -> float:
        """The stated tolerance as an absolute deviation."""
        return self.rel_tol * abs(self.analytic) if self.rel_tol is not None else self.abs_tol or 0.0

    @property
    def allowed(self) -> float:
        """The largest deviation that passes: the stated tolerance, or the noise if wider."""
        return max(self.stated, self.noise)

    @property
    def passed(self) -> bool:
        return bool(abs(self.simulated - self.analytic) <= self.allowed)

    def tolerance(self) -> str:
        """The rule as text, e.g. ``3% rel`` or ``10% rel (noise-limited: ±0.0083)``."""
        text = f"{self.rel_tol:.0%} rel" if self.rel_tol is not None else f"{self.abs_tol:g} abs"
        return text + (f" (noise-limited: ±{self.noise:.3g})" if self.noise > self.stated else "")


@dataclass(frozen=True)
class Case:
    """A validation case: a scenario, its replications, and how to check the result."""

    name: str
    scenario: dict[str, Any]
    replications: int
    checks: Callable[[Replications], list[Check]]
    quick: bool = True
    tags: tuple[str, ...] = field(default=())


_MAX_DAY_MIN = 50_000.0  # clock times stop at 999:59; longer runs are split into replications


def _split(customers: float, lam: float, warm: float) -> tuple[int, float]:
    """Replications (at least 20, for a steady estimate of the noise) and day length (min)
    for ``customers`` after warm-up."""
    reps = max(20, math.ceil(customers / lam / (_MAX_DAY_MIN - warm)))
    return reps, customers / lam / reps + warm


def _kpi(result: Replications, table: str, key: str, value: str, kpi: str) -> tuple[float, tuple[float, float]]:
    frame = getattr(result, table)
    row = frame[(frame[key] == value) & (frame["kpi"] == kpi)].iloc[0]
    return float(row["mean"]), (float(row["ci95_low"]), float(row["ci95_high"]))


def _mmc_case(rho: float, c: int, customers: float, quick: bool) -> Case:
    mu = 1.0
    lam = rho * c * mu
    theory = erlang_c(lam, mu, c)
    relax = 1.0 / (c * mu * (1.0 - math.sqrt(rho)) ** 2)  # relaxation time of the queue (min)
    reps, day = _split(customers, lam, min(20.0 * relax, 5000.0))
    warm = day - customers / lam / reps
    t = 0.5 / mu  # service-level threshold: half a mean service time

    def checks(result: Replications) -> list[Check]:
        wait, wait_ci = _kpi(result, "zones", "zone", "cash", "mean_wait_min")
        sl, sl_ci = _kpi(result, "zones", "zone", "cash", "service_level")
        return [Check(metric="mean_wait_min", simulated=wait, ci95=wait_ci, analytic=theory.mean_wait, days=result.n,
                      rel_tol=0.03),
                Check(metric="P(wait<=t)", simulated=sl, ci95=sl_ci, analytic=theory.service_level(t), days=result.n,
                      abs_tol=0.01)]

    scen = queue_scenario(lam, 1.0 / mu, c, day_min=day, warmup_min=warm, target_wait_min=t)
    return Case(f"M/M/{c} rho={rho}", scen, reps, checks, quick, ("mmc",))


def _erlang_a_case(lam: float, c: int, patience: float, customers: float) -> Case:
    theory = erlang_a(lam, 1.0, 1.0 / patience, c)
    warm = 30.0 * patience
    reps, day = _split(customers, lam, warm)

    def checks(result: Replications) -> list[Check]:
        ab, ab_ci = _kpi(result, "zones", "zone", "cash", "abandon_rate")
        wait, wait_ci = _kpi(result, "zones", "zone", "cash", "mean_wait_min")
        sl, sl_ci = _kpi(result, "zones", "zone", "cash", "service_level")
        return [Check(metric="P(abandon)", simulated=ab, ci95=ab_ci, analytic=theory.p_abandon, days=result.n,
                      rel_tol=0.05),
                Check(metric="mean_wait_min", simulated=wait, ci95=wait_ci, analytic=theory.mean_wait, days=result.n,
                      rel_tol=0.05),
                Check(metric="P(wait<=t, served)", simulated=sl, ci95=sl_ci, analytic=theory.service_level(t),
                      days=result.n, abs_tol=0.01)]

    t = 0.05 * patience  # service-level threshold (min)
    scen = queue_scenario(lam, 1.0, c, day_min=day, warmup_min=warm, patience_mean_min=patience, target_wait_min=t)
    return Case(f"M/M/{c}+M lambda={lam:g} patience={patience:g}", scen, reps, checks, True, ("erlang_a",))


def _priority_case(rho: float, vip_share: float, customers: float) -> Case:
    lam = rho  # mu = 1
    warm = 500.0
    reps, day = _split(customers, lam, warm)
    scen = queue_scenario(lam, 1.0, 1, day_min=day, warmup_min=warm)
    scen["zones"]["lobby"] = {"positions": 50}
    scen["staff"]["lobby_manager"] = {"count": 50, "zones": ["lobby"]}
    scen["service"]["lobby"] = {"distribution": "deterministic", "value_min": 1e-6}
    scen["triage"] = {"vip_identification_probability": 1.0}
    scen["segments"] = {"vip": {"share": vip_share, "needs": {"cash": 1.0}, "priority": True},
                        "mass": {"share": 1.0 - vip_share, "needs": {"cash": 1.0}}}
    w0 = lam * 2.0 / 2.0  # sum of lam_i E[S^2] / 2 with exponential S, mean 1: E[S^2] = 2
    sigma1 = vip_share * rho
    theory = {"vip": w0 / (1.0 - sigma1), "mass": w0 / ((1.0 - sigma1) * (1.0 - rho))}

    def checks(result: Replications) -> list[Check]:
        out = []
        for seg, value in theory.items():
            wait, ci = _kpi(result, "by_segment", "segment", seg, "mean_wait_min")
            out.append(Check(metric=f"mean_wait_min[{seg}]", simulated=wait, ci95=ci, analytic=value, days=result.n,
                             rel_tol=0.05))
        return out

    return Case(f"M/M/1 priority rho={rho} vip={vip_share}", scen, reps, checks, True, ("priority",))


def _psa_case(loads: tuple[float, ...], c: int, mu: float, reps: int) -> Case:
    rates = [rho * c * mu * 60.0 for rho in loads]
    scen = queue_scenario(loads[0] * c * mu, 1.0 / mu, c, day_min=60.0 * len(loads))
    scen["arrivals"] = {"rate_per_hour": rates}

    def checks(result: Replications) -> list[Check]:
        out = []
        hours = list(pd.unique(result.by_hour["hour"]))
        for h, rho in enumerate(loads):
            wait, ci = _kpi(result, "by_hour", "hour", hours[h], "mean_wait_min")
            out.append(Check(metric=f"mean_wait_min[{hours[h]}] rho={rho}", simulated=wait, ci95=ci,
                             analytic=erlang_c(rho * c * mu, mu, c).mean_wait, days=result.n, rel_tol=0.10))
        return out

    return Case(f"M(t)/M/{c} hourly profile", scen, reps, checks, True, ("time_varying",))


def cases(quick: bool = False) -> list[Case]:
    """The validation cases; ``quick`` keeps those that run in about a minute in all."""
    # Customers per case: enough for the 3% tolerance to exceed a 95% interval.
    budget = {(0.5, 1): 4e5, (0.5, 3): 4e5, (0.5, 10): 8e5, (0.8, 1): 1.5e6, (0.8, 3): 1e6, (0.8, 10): 1e6,
              (0.9, 1): 5e6, (0.9, 3): 3e6, (0.9, 10): 2e6, (0.95, 1): 3e7, (0.95, 3): 1.5e7, (0.95, 10): 8e6}
    fast = {(0.5, 1), (0.5, 3), (0.8, 1), (0.8, 3), (0.9, 10)}
    out = [_mmc_case(rho, c, n, (rho, c) in fast) for (rho, c), n in budget.items()]
    out += [_erlang_a_case(48.0, 50, 2.0, 1e6), _erlang_a_case(9.0, 10, 10.0, 6e5)]
    out += [_priority_case(0.8, 0.3, 1e6)]
    out += [_psa_case((0.6, 0.8, 0.9, 0.7), 3, 40.0, 20)]
    return [case for case in out if case.quick or not quick]


def run(quick: bool = False, seed: int = 2024, progress: Callable[[str], None] | None = None,
        names: Collection[str] | None = None) -> pd.DataFrame:
    """Run the validation cases (only those named in ``names``, if given); one row per check
    (see ``VALIDATION_COLUMNS``)."""
    rows = []
    for case in (c for c in cases(quick) if names is None or c.name in names):
        if progress is not None:
            progress(case.name)
        scenario: Scenario = from_dict(case.scenario, f"<validation: {case.name}>")
        result = replicate(scenario, case.replications, seed)
        customers = float(result.days["arrived"].sum())
        for check in case.checks(result):
            err = check.simulated - check.analytic
            rel = err / check.analytic if check.analytic else math.nan
            rows.append((case.name, check.metric, check.simulated, check.ci95[0], check.ci95[1], check.analytic,
                         err, rel, check.tolerance(), check.passed, customers))
    return pd.DataFrame(rows, columns=list(VALIDATION_COLUMNS))
