"""Walk-outs in every queue, the lobby included: under load, against the log and Erlang A."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sim
from sim.codes import VisitKind, VisitStatus, Zone
from sim.queueing import erlang_a
from sim.validation import queue_scenario
from tests.conftest import SCENARIOS

LOBBY_ROW = sim.ZONES.index("lobby")


def test_surge_makes_customers_walk_out_of_the_lobby() -> None:
    base = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    scenario = sim.with_overrides(base, {"arrivals.surge_factor": 3.0})
    log = sim.simulate(scenario, seed=7)
    patience = log.customers.patience_min[log.visit_customer]
    waited = np.where(np.isnan(log.visit_start_min), log.visit_end_min, log.visit_start_min) - log.visit_join_min
    # Nobody, in any queue, waits longer than their patience (NaN: still queued at the end).
    assert not np.any(waited > patience + 1e-9)
    lobby = log.visit_zone == Zone.LOBBY
    gone = lobby & (log.visit_status == VisitStatus.ABANDONED)
    np.testing.assert_allclose(log.visit_end_min[gone], (log.visit_join_min + patience)[gone])
    kpis = sim.day_kpis(log)
    row = dict(zip(sim.ZONE_KPIS, kpis.zones[LOBBY_ROW], strict=True))
    assert row["abandon_rate"] == pytest.approx(gone.sum() / lobby.sum())
    assert row["abandon_rate"] > 0.1  # three times the customers for the same greeters (0.18-0.23 on seeds 0-5)
    assert row["p90_wait_min"] <= patience[lobby].max()
    # Every customer ends in exactly one outcome; lobby walk-outs are abandoned and lost value.
    out = dict(zip(sim.OUTLET_KPIS, kpis.outlet, strict=True))
    assert out["served"] + out["abandoned"] + out["balked"] + out["no_service"] == out["arrived"]
    segments = list(scenario.segments.values())
    loss = np.array([s.walkout_value_lost_yuan + s.churn_probability * s.churn_value_yuan for s in segments])
    # Lost: walked out of (or balked at) the lobby or their own need's queue; a referral
    # walk-out was already served.
    own = log.visit_kind != VisitKind.REFERRAL
    bad = np.isin(log.visit_status, [VisitStatus.ABANDONED, VisitStatus.BALKED, VisitStatus.UNSERVED])
    lost = np.zeros(log.customers.arrival_min.size, dtype=bool)
    lost[log.visit_customer[own & bad]] = True
    lost[log.no_service] = True
    assert out["abandoned"] + out["balked"] + out["no_service"] == lost.sum()
    assert out["value_lost_yuan"] == pytest.approx(loss[log.customers.segment[lost]].sum())


def lobby_queue(lam: float, greeters: int, patience: float, day_min: float, warmup_min: float) -> dict[str, Any]:
    """An M/M/c+M queue at the lobby: exponential greeting (mean 1) and patience; ample cash."""
    scen = queue_scenario(lam, 0.01, 200, day_min=day_min, warmup_min=warmup_min, patience_mean_min=patience)
    scen["zones"]["lobby"] = {"positions": greeters, "target_wait_min": 1.0}
    scen["staff"]["lobby_manager"] = {"count": greeters, "zones": ["lobby"]}
    scen["service"]["lobby"] = {"distribution": "exponential", "mean_min": 1.0}
    return scen


def test_lobby_walk_outs_match_erlang_a() -> None:
    lam, c, patience = 2.4, 2, 2.0
    theory = erlang_a(lam, 1.0, 1.0 / patience, c)
    scenario = sim.from_dict(lobby_queue(lam, c, patience, day_min=60 * 120.0, warmup_min=100.0))
    result = sim.replicate(scenario, n=4, seed=3)
    row = result.zones.query("zone == 'lobby'").set_index("kpi")["mean"]
    assert theory.p_abandon > 0.1
    assert row["abandon_rate"] == pytest.approx(theory.p_abandon, rel=0.05)
    assert row["mean_wait_min"] == pytest.approx(theory.mean_wait, rel=0.05)
