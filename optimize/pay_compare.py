"""Which pay scheme gives more value for what it costs: two rule sets on common random numbers.

:func:`optimize.quarters.compare_rules` with ``table=paired_comparison`` runs rule sets A
and B over the same seeds (the same customers, volumes, initial staff and skills:
:mod:`sim.horizon`'s streams do not depend on the rules), and :func:`paired_comparison`
reports, per quarter and over the whole run, the mean of each metric under A and B and the
paired 95% interval (Student t over replications) of B − A:

- ``value_yuan``: net value contribution, value − value lost, summed over the outlets;
- ``pay_cost_yuan``: what the incentive rules pay — customer managers' pay (points part,
  outlet-score part, premiums, rank rewards), the outlet heads' pay, the red-flag
  subsidies (流动红旗 一次性补贴), the office team's pay and, with ``[ladder]``, the outlets'
  one-off ladder rewards (club bonuses are in the customer managers' pay) and, with
  ``[exchange]``, the training cost of the people moved into CM posts (the heads' pay is
  after any accumulated penalty, ``[penalties]``);
- ``value_per_pay_yuan``: value_yuan ÷ pay_cost_yuan (yuan of value per yuan of pay;
  over the whole run, the ratio of the sums);
- ``exits``: customer managers who left by the ranking rule; ``vip_lost``: VIPs lost;
- ``cm_pay_yuan``: the customer managers' part of pay_cost_yuan.

The paired interval is narrower than two separate ones because both rule sets see the
same random days; with 2 replications it is wide, with 1 it is not defined (NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.quarters import CM, QuarterResults
from sim.replicate import interval

#: Metrics compared, in order (see the module docstring).
METRICS = ("value_yuan", "pay_cost_yuan", "value_per_pay_yuan", "exits", "vip_lost", "cm_pay_yuan")
#: The ``quarter`` label of the whole-run rows.
OVERALL = "all"


def quarter_metrics(res: QuarterResults) -> pd.DataFrame:
    """One row per replication × quarter: the :data:`METRICS` (yuan per quarter, counts per quarter)."""
    keys = ["replication", "quarter"]
    o = res.outlets.assign(net=res.outlets["value_yuan"] - res.outlets["value_lost_yuan"])
    out = o.groupby(keys)[["net", "head_pay_yuan", "subsidy_yuan", "vip_lost"]].sum()
    cm = res.people[res.people["role"] == CM].groupby(keys)[["pay_yuan", "exits"]].sum()
    office = (res.office.groupby(keys)["team_pay_yuan"].sum() if not res.office.empty
              else pd.Series(0.0, index=out.index))
    frame = out.join(cm).assign(office=office.reindex(out.index).fillna(0.0))
    pay = frame["pay_yuan"] + frame["head_pay_yuan"] + frame["subsidy_yuan"] + frame["office"]
    for extra in ("ladder_reward_yuan", "exchange_cost_yuan"):  # the ladder's rewards, the exchange's training
        if extra in res.outlets:
            pay = pay + res.outlets.groupby(keys)[extra].sum().reindex(out.index)
    return pd.DataFrame({"value_yuan": frame["net"], "pay_cost_yuan": pay, "value_per_pay_yuan": frame["net"] / pay,
                         "exits": frame["exits"].astype(float), "vip_lost": frame["vip_lost"].astype(float),
                         "cm_pay_yuan": frame["pay_yuan"]}, index=out.index).reset_index()


def overall_metrics(per_quarter: pd.DataFrame) -> pd.DataFrame:
    """Whole-run metrics per replication: sums over quarters, value per yuan as the ratio of the sums."""
    total = per_quarter.drop(columns="quarter").groupby("replication").sum()
    total["value_per_pay_yuan"] = total["value_yuan"] / total["pay_cost_yuan"]
    return total.reset_index()


def _paired_rows(a: pd.DataFrame, b: pd.DataFrame, quarter: object) -> list[dict[str, object]]:
    a, b = a.sort_values("replication"), b.sort_values("replication")
    if not np.array_equal(a["replication"].to_numpy(), b["replication"].to_numpy()):
        raise ValueError("the two rule sets must have the same replications to be paired")
    rows = []
    for metric in METRICS:
        x, y = a[metric].to_numpy(float), b[metric].to_numpy(float)
        s = interval(y - x)
        mean_a = float(np.mean(x))
        rows.append({"quarter": quarter, "metric": metric, "mean_a": mean_a, "mean_b": float(np.mean(y)),
                     "diff_mean": s.mean, "diff_ci95_low": s.low, "diff_ci95_high": s.high,
                     "diff_pct": 100.0 * s.mean / mean_a if mean_a else np.nan, "n": s.n})
    return rows


def paired_comparison(res_a: QuarterResults, res_b: QuarterResults) -> pd.DataFrame:
    """Paired 95% CIs of B − A per quarter and over the run (``quarter = "all"``) for each of :data:`METRICS`.

    Columns: quarter, metric, mean_a, mean_b, diff_mean, diff_ci95_low, diff_ci95_high,
    diff_pct (100 × diff_mean / mean_a), n (replications).
    """
    qa, qb = quarter_metrics(res_a), quarter_metrics(res_b)
    rows: list[dict[str, object]] = []
    for q in sorted(qa["quarter"].unique()):
        rows += _paired_rows(qa[qa["quarter"] == q], qb[qb["quarter"] == q], str(int(q)))
    rows += _paired_rows(overall_metrics(qa), overall_metrics(qb), OVERALL)
    return pd.DataFrame(rows)


__all__ = ["METRICS", "OVERALL", "overall_metrics", "paired_comparison", "quarter_metrics"]
