"""branchlab's simulation engine: one bank outlet's day, replications, sweeps, queueing theory.

The public API for notebooks and scripts::

    import sim
    scenario = sim.load_scenario("scenarios/backbone_outlet.toml")
    log = sim.simulate(scenario, seed=7)                 # one day's event log
    result = sim.replicate(scenario, n=30, seed=7)       # KPIs with 95% CIs
    result.zones, result.outlet                          # pandas DataFrames
    sim.sweep(sim.load_sweep_file("scenarios/sweep_small.toml"), "runs/small")

The names below load their module on first use (PEP 562), so ``import sim.model`` — a
worker process, the ``simulate`` command — loads neither pandas nor the sweeps nor the
plots until something asks for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import install

if TYPE_CHECKING:
    from sim.codes import ROLES, ZONES
    from sim.errors import ScenarioError, ScenarioWarning
    from sim.metrics import OUTLET_KPIS, ZONE_KPIS, batch_kpis, credit_sales, day_kpis
    from sim.model import DayLog, simulate
    from sim.plots import plot_sweep
    from sim.replicate import Replications, replicate
    from sim.scenario import from_dict, load_scenario, with_overrides
    from sim.scenario_types import Scenario
    from sim.staffing import StaffingPlan
    from sim.sweeps import Sweep, load_sweep, load_sweep_file, sweep

#: Where each public name lives.
_HOME = {
    "ScenarioError": "sim.errors", "ScenarioWarning": "sim.errors",
    "OUTLET_KPIS": "sim.metrics", "ZONE_KPIS": "sim.metrics", "batch_kpis": "sim.metrics",
    "credit_sales": "sim.metrics", "day_kpis": "sim.metrics",
    "DayLog": "sim.model", "simulate": "sim.model",
    "plot_sweep": "sim.plots",
    "Replications": "sim.replicate", "replicate": "sim.replicate",
    "ROLES": "sim.codes", "ZONES": "sim.codes", "Scenario": "sim.scenario_types", "StaffingPlan": "sim.staffing",
    "from_dict": "sim.scenario", "load_scenario": "sim.scenario", "with_overrides": "sim.scenario",
    "Sweep": "sim.sweeps", "load_sweep": "sim.sweeps", "load_sweep_file": "sim.sweeps", "sweep": "sim.sweeps",
}

__all__ = [
    "OUTLET_KPIS", "ROLES", "ZONES", "ZONE_KPIS", "DayLog", "Replications", "Scenario", "ScenarioError",
    "ScenarioWarning", "StaffingPlan", "Sweep", "batch_kpis", "credit_sales", "day_kpis", "from_dict",
    "load_scenario", "load_sweep", "load_sweep_file", "plot_sweep", "replicate", "simulate", "sweep",
    "with_overrides",
]

install(__name__, _HOME)
