"""KPIs from the vectorised metrics agree with a plain pandas recomputation from the event log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.codes import SERVICE_ZONES, VisitStatus
from sim.metrics import p90_by_group
from tests.conftest import SCENARIOS

ABANDONED, BALKED, BYPASSED, UNSERVED = (VisitStatus.ABANDONED, VisitStatus.BALKED, VisitStatus.BYPASSED,
                                         VisitStatus.UNSERVED)


@pytest.mark.parametrize("size", [1, 2, 7, 100])
def test_p90_matches_numpy(size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.exponential(3.0, size * 3)
    groups = np.repeat([0, 2, 3], size)
    got = p90_by_group(groups, values, 4)
    assert np.isnan(got[1])
    for g in (0, 2, 3):
        assert got[g] == pytest.approx(np.percentile(values[groups == g], 90))


def test_zone_kpis_match_a_pandas_recomputation() -> None:
    scenario = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    log = sim.simulate(scenario, seed=4)
    kpis = sim.day_kpis(log)
    visits = pd.DataFrame({
        "zone": np.asarray(SERVICE_ZONES)[log.visit_zone], "join": log.visit_join_min, "start": log.visit_start_min,
        "end": log.visit_end_min, "status": log.visit_status,
    })
    joined = visits[~visits["status"].isin([BALKED, BYPASSED])].copy()
    joined["wait"] = joined["start"].fillna(joined["end"]) - joined["join"]
    waited = joined[joined["start"].notna() | (joined["status"] == ABANDONED)]
    for zone, group in joined.groupby("zone"):
        row = kpis.zones[sim.ZONES.index(zone)]
        w = waited[waited["zone"] == zone]["wait"]
        assert row[sim.ZONE_KPIS.index("mean_wait_min")] == pytest.approx(w.mean())
        assert row[sim.ZONE_KPIS.index("p90_wait_min")] == pytest.approx(w.quantile(0.9))
        lost = group["status"].isin([ABANDONED, UNSERVED]).mean()
        assert row[sim.ZONE_KPIS.index("abandon_rate")] == pytest.approx(lost)
        target = scenario.zones[str(zone)].target_wait_min
        on_time = (group["start"].notna() & (group["wait"] <= target)).mean()
        assert row[sim.ZONE_KPIS.index("service_level")] == pytest.approx(on_time)
    out = dict(zip(sim.OUTLET_KPIS, kpis.outlet, strict=True))
    assert out["arrived"] == log.customers.arrival_min.size
    assert out["served"] + out["abandoned"] + out["balked"] + out["no_service"] == out["arrived"]
    sales = sim.credit_sales(log)
    assert out["points"] == pytest.approx(sales.points.sum())
    assert out["sales"] == sales.product.size


def test_batched_kpis_equal_day_by_day_kpis() -> None:
    scenario = sim.load_scenario(SCENARIOS / "advancing_outlet.toml")
    logs = [sim.simulate(scenario, seed=9, replication=r) for r in range(4)]
    batched = sim.batch_kpis(logs)
    for log, together in zip(logs, batched, strict=True):
        alone = sim.day_kpis(log)
        for table in ("zones", "outlet", "by_hour", "by_segment", "by_role"):
            np.testing.assert_allclose(getattr(together, table), getattr(alone, table), equal_nan=True)
    with pytest.raises(ValueError, match="same scenario"):
        sim.batch_kpis([logs[0], sim.simulate(sim.load_scenario(SCENARIOS / "advancing_outlet.toml"))])


def test_walkout_rate_by_hand() -> None:
    """Share of arrivals who left unserved; a day nobody came has nobody who walked out (0, not NaN)."""
    from sim.metrics import walkout_rate

    assert walkout_rate(200, 10, 4, 6) == pytest.approx(0.1)
    assert walkout_rate(0, 0, 0, 0) == 0.0
