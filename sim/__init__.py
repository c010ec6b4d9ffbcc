"""branchlab's simulation engine: one bank outlet's day, replications, sweeps, queueing theory.

The public API for notebooks and scripts::

    import sim
    scenario = sim.load_scenario("scenarios/backbone_outlet.toml")
    log = sim.simulate(scenario, seed=7)                 # one day's event log
    result = sim.replicate(scenario, n=30, seed=7)       # KPIs with 95% CIs
    result.zones, result.outlet                          # pandas DataFrames
    sim.sweep(sim.load_sweep_file("scenarios/sweep_small.toml"), "runs/small")
"""

from sim.errors import ScenarioError, ScenarioWarning
from sim.metrics import OUTLET_KPIS, ZONE_KPIS, batch_kpis, credit_sales, day_kpis
from sim.model import DayLog, simulate
from sim.plots import plot_sweep
from sim.replicate import Replications, replicate
from sim.scenario import ROLES, ZONES, Scenario, StaffingPlan, from_dict, load_scenario, with_overrides
from sim.sweeps import Sweep, load_sweep, load_sweep_file, sweep

__all__ = [
    "OUTLET_KPIS",
    "ROLES",
    "ZONES",
    "ZONE_KPIS",
    "DayLog",
    "Replications",
    "Scenario",
    "ScenarioError",
    "ScenarioWarning",
    "StaffingPlan",
    "Sweep",
    "batch_kpis",
    "credit_sales",
    "day_kpis",
    "from_dict",
    "load_scenario",
    "load_sweep",
    "load_sweep_file",
    "plot_sweep",
    "replicate",
    "simulate",
    "sweep",
    "with_overrides",
]
