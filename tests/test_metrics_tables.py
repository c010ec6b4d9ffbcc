"""The KPI tables recomputed independently with pandas from one day's named event tables.

Time averages are recomputed on a fine time grid (so a different method from the
vectorised interval sums), counts and sums by ``groupby``. One backbone day (no warm-up).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from tests.conftest import SCENARIOS

DT = 0.01  # grid step (min) for time averages; the error it makes is far below the tolerance
SEATED = ("cash", "non_cash", "wealth")


@pytest.fixture(scope="module")
def day() -> tuple[sim.Scenario, sim.DayLog, sim.metrics.DayKpis, pd.DataFrame]:
    scenario = sim.load_scenario(SCENARIOS / "backbone_outlet.toml")
    assert scenario.outlet.warmup_min == 0
    log = sim.simulate(scenario, seed=12)
    visits = log.visits_frame()
    visits["queue_end"] = visits["join_min"] + visits["wait_min"]
    return scenario, log, sim.day_kpis(log), visits


def grid(end: float) -> np.ndarray:
    return np.arange(0.0, end, DT) + DT / 2


def count_open(t: np.ndarray, starts: pd.Series, ends: pd.Series) -> np.ndarray:
    """Number of intervals [start, end) containing each time of ``t``."""
    s, e = starts.to_numpy()[None, :], ends.to_numpy()[None, :]
    return ((t[:, None] >= s) & (t[:, None] < e)).sum(axis=1)


def zone_row(kpis: sim.metrics.DayKpis, zone: str) -> dict[str, float]:
    return dict(zip(sim.ZONE_KPIS, kpis.zones[sim.ZONES.index(zone)], strict=True))


def duty(log: sim.DayLog) -> pd.DataFrame:
    """On-duty intervals by person, paired from the staff event log."""
    frame = log.staff_frame()
    on = frame[frame["event"] == "on_duty"].sort_values(["staff", "time_min"])
    off = frame[frame["event"] == "off_duty"].sort_values(["staff", "time_min"])
    return pd.DataFrame({"staff": on["staff"].to_numpy(), "role": on["role"].to_numpy(),
                         "on": on["time_min"].to_numpy(), "off": off["time_min"].to_numpy()})


@pytest.mark.parametrize("zone", ["lobby", "cash", "non_cash", "self_service", "wealth"])
def test_utilisation_and_queue_length(day: tuple[sim.Scenario, sim.DayLog, sim.metrics.DayKpis, pd.DataFrame],
                                      zone: str) -> None:
    scenario, log, kpis, visits = day
    close = scenario.outlet.day_min
    mine = visits[visits["zone"] == zone]
    t = grid(close)
    served = mine[mine["start_min"].notna()]
    positions = scenario.zones[zone].positions
    if zone == "self_service":
        busy = count_open(t, served["start_min"], served["end_min"])
        available = np.full(t.size, positions)
    else:
        shifts = duty(log)
        # Busy only while the server is on duty: a service run into lunch or past close is overtime.
        on_duty = served.merge(shifts, on="staff")
        on_duty = on_duty.assign(start_min=np.maximum(on_duty["start_min"], on_duty["on"]),
                                 end_min=np.minimum(on_duty["end_min"], on_duty["off"]))
        busy = count_open(t, on_duty["start_min"], on_duty["end_min"])
        able = shifts[[zone in scenario.roles[r].zones for r in shifts["role"]]]
        available = np.minimum(count_open(t, able["on"], able["off"]), positions)
    row = zone_row(kpis, zone)
    assert row["utilisation"] == pytest.approx(busy.sum() / available.sum(), rel=0.01)
    end = max(close, float(visits["end_min"].max()))
    t = grid(end)
    waiting = count_open(t, mine["join_min"], mine["queue_end"].fillna(end))
    assert row["queue_len_mean"] == pytest.approx(waiting.mean(), rel=0.01, abs=1e-3)


def test_waiting_area_row(day: tuple[sim.Scenario, sim.DayLog, sim.metrics.DayKpis, pd.DataFrame]) -> None:
    scenario, _, kpis, visits = day
    seated = visits[visits["zone"].isin(SEATED)]
    offered = seated[seated["status"] != "bypassed"]
    joined = offered[offered["status"] != "balked"]
    waited = joined[joined["start_min"].notna() | (joined["status"] == "abandoned")]
    row = zone_row(kpis, "waiting")
    assert row["mean_wait_min"] == pytest.approx(waited["wait_min"].mean())
    assert row["p90_wait_min"] == pytest.approx(waited["wait_min"].quantile(0.9))
    assert row["abandon_rate"] == pytest.approx(offered["status"].isin(["abandoned", "unserved", "balked"]).mean())
    end = max(scenario.outlet.day_min, float(visits["end_min"].max()))
    t = grid(end)
    waiting = count_open(t, seated["join_min"], seated["queue_end"].fillna(end))
    seats = scenario.zones["waiting"].positions
    assert row["queue_len_mean"] == pytest.approx(waiting.mean(), rel=0.01)
    assert row["utilisation"] == pytest.approx(np.minimum(waiting, seats).mean() / seats, rel=0.01)


def customers(scenario: sim.Scenario, log: sim.DayLog, visits: pd.DataFrame) -> pd.DataFrame:
    """One row per customer: hour, segment, outcome, wait of their own need's visit, value, value lost."""
    frame = log.customers_frame()
    frame["hour"] = np.minimum(frame["arrival_min"] // 60, len(scenario.rate_per_hour) - 1).astype(int)
    primary = visits[visits["kind"] == "primary"].set_index("customer")
    lobby_gone = visits[(visits["kind"] == "greeting") & visits["status"].isin(["abandoned", "unserved"])]
    status = primary["status"].reindex(frame["customer"])
    status[lobby_gone["customer"].to_numpy()] = "abandoned"
    frame["served"] = status.isin(["done"]).to_numpy()
    frame["abandoned"] = status.isin(["abandoned", "unserved"]).to_numpy()
    frame["balked"] = (status == "balked").to_numpy()
    has_wait = primary["start_min"].notna() | (primary["status"] == "abandoned")
    frame["wait"] = primary["wait_min"].where(has_wait).reindex(frame["customer"]).to_numpy()
    lost = frame["abandoned"] | frame["balked"] | frame["customer"].isin(log.no_service)
    seg = scenario.segments
    frame["value_lost"] = np.where(lost, [seg[s].walkout_value_lost_yuan + seg[s].churn_probability
                                          * seg[s].churn_value_yuan for s in frame["segment"]], 0.0)
    fees = primary[primary["status"] == "done"]["zone"].map(lambda z: scenario.fee_yuan.get(z, 0.0))
    sales = sim.credit_sales(log)
    sold = pd.DataFrame({"customer": sales.customer, "value": sales.value_yuan})
    frame["sales"] = sold.groupby("customer").size().reindex(frame["customer"], fill_value=0).to_numpy()
    frame["value"] = (fees.groupby(level=0).sum().reindex(frame["customer"], fill_value=0.0).to_numpy()
                      + sold.groupby("customer")["value"].sum().reindex(frame["customer"], fill_value=0.0).to_numpy())
    return frame


def grouped(frame: pd.DataFrame, key: str, extra: list[str]) -> pd.DataFrame:
    return frame.groupby(key).agg(arrived=("customer", "size"), served=("served", "sum"),
                                  abandoned=("abandoned", "sum"), balked=("balked", "sum"),
                                  mean_wait_min=("wait", "mean"), **{k: (k, "sum") for k in extra})


def test_by_hour_and_by_segment(day: tuple[sim.Scenario, sim.DayLog, sim.metrics.DayKpis, pd.DataFrame]) -> None:
    scenario, log, kpis, visits = day
    frame = customers(scenario, log, visits)
    by_hour = grouped(frame, "hour", [])
    np.testing.assert_allclose(kpis.by_hour, by_hour[list(sim.metrics.HOUR_KPIS)].to_numpy())
    by_segment = grouped(frame, "segment", ["sales", "value", "value_lost"]).rename(
        columns={"value": "value_yuan", "value_lost": "value_lost_yuan"}).reindex(list(scenario.segments))
    np.testing.assert_allclose(kpis.by_segment, by_segment[list(sim.metrics.SEGMENT_KPIS)].to_numpy())
    assert kpis.by_segment[:, sim.metrics.SEGMENT_KPIS.index("value_lost_yuan")].sum() == pytest.approx(
        kpis.outlet[sim.OUTLET_KPIS.index("value_lost_yuan")])


def test_by_role(day: tuple[sim.Scenario, sim.DayLog, sim.metrics.DayKpis, pd.DataFrame]) -> None:
    _, log, kpis, visits = day
    shifts = duty(log)
    shifts["minutes"] = shifts["off"] - shifts["on"]
    served = visits[(visits["status"] == "done") & ~visits["staff"].isin(["", "machine"])].copy()
    served["role"] = served["staff"].map(dict(zip(shifts["staff"], shifts["role"], strict=False)))
    # Busy minutes while on duty (each shift interval's overlap): overtime is not counted.
    overlap = served.reset_index().merge(shifts[["staff", "on", "off"]], on="staff")
    overlap["busy"] = (np.minimum(overlap["end_min"], overlap["off"])
                       - np.maximum(overlap["start_min"], overlap["on"])).clip(lower=0.0)
    served["busy"] = overlap.groupby("index")["busy"].sum()
    sales = sim.credit_sales(log)
    sold = pd.DataFrame({"role": [sim.ROLES[log.staff.roles[k]] for k in sales.staff], "points": sales.points,
                         "value": sales.value_yuan})
    for r, role in enumerate(sim.ROLES):
        row = dict(zip(sim.metrics.ROLE_KPIS, kpis.by_role[r], strict=True))
        people = shifts[shifts["role"] == role]
        if people.empty:
            assert np.isnan(row["staff"])
            continue
        mine, theirs = served[served["role"] == role], sold[sold["role"] == role]
        assert row["staff"] == people["staff"].nunique()
        assert row["utilisation"] == pytest.approx(mine["busy"].sum() / people["minutes"].sum())
        assert (row["served"], row["sales"]) == (len(mine), len(theirs))
        assert row["points"] == pytest.approx(theirs["points"].sum())
        assert row["value_yuan"] == pytest.approx(theirs["value"].sum())
