"""Files of a quarter study: CSV tables, one JSON document and ``report.html`` with charts.

The files are published as one set (:func:`sim.fileio.publish_set`): all or none of a
run's files, and none of an earlier run's beside them. Charts
are matplotlib figures embedded as base64 PNG, so the report is one self-contained file:
customer managers' quarterly points against the pay bands, their rank over the
quarters, and the outlets' scores by quarter beside the scorecard table; then the outlet
heads' growth gate (customer and deposit growth against plan, head pay) and, when the
rules have one, the office team's completion and pay; with ``--compare``, the paired
rules comparison (:mod:`optimize.pay_compare`) over the whole run. The levers switched on
are named at the top; the heads' pay is shown in its parts (target part, growth part,
accumulated penalties), and each group of levers that is on has a table of its own
(:data:`LEVER_TABLES`: inspections, VIP care, club and ladders, training and exchange); a
lever that is off shows nothing. Chinese outlet and person names
draw with the CJK fallback font (:mod:`sim.fonts`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from optimize.pay import growth_factor, head_premium
from optimize.quarters import CM, QuarterResults, pay_score_column
from sim.fileio import csv_text, publish_set, write_atomic
from sim.fonts import use_cjk_fallback
from sim.plots import png_base64

use_cjk_fallback()

TABLES = ("people", "outlets", "office", "days", "summary")
#: The write probe :func:`prepare_out` leaves for an instant in the folder.
PROBE = ".write-test"
#: Every file ``write_quarters`` (and :func:`prepare_out`'s probe) may write directly in ``--out``.
FILES = (*(f"{name}.csv" for name in (*TABLES, "exits", "comparison", "rules_comparison")), "results.json",
         "report.html", PROBE)


def prepare_out(out: str | Path) -> Path:
    """Create the output folder and prove it is writable, before any long run.

    Raises:
        OSError: the folder cannot be created or written.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / PROBE
    write_atomic(probe, "ok\n")
    probe.unlink()
    return folder


def points_figure(res: QuarterResults) -> Figure:
    """Histogram of customer managers' quarterly points with the pay-band edges marked."""
    use_cjk_fallback()
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    cm = res.people[res.people["role"] == CM]
    ax.hist(cm["points"], bins=30, color="#4c72b0", alpha=0.8)
    for edge in res.rules.pay.band_edges_points:
        ax.axvline(edge, color="#c44e52", linestyle="--")
    pay = res.rules.pay
    rates = ", ".join(f"{r:g}" for r in pay.band_rates)
    title = f"Points against the pay bands (rates {rates}, {pay.band_reading} reading)"
    if pay.band_reading == "rising":
        release = ", ".join(f"{r:g}" for r in pay.performance_release)
        title = f"Points against the pay bands (priced at {pay.price_share:g}, performance released {release})"
    ax.set(xlabel="points in the quarter", ylabel="customer manager-quarters", title=title)
    return fig


#: Posts drawn by name in the ranking chart: the top and the bottom of the last quarter, and every leaver.
RANKING_SHOWN = 5


def ranking_figure(res: QuarterResults) -> Figure:
    """Rank of customer manager posts over the quarters (replication 0; a new hire continues the post's line).

    Seventy-odd lines cannot be read, so only the posts that end in the top or the bottom
    :data:`RANKING_SHOWN` and the posts whose holder left are drawn, each in its own
    colour and named in a legend beside the chart; the others are a grey band.
    """
    use_cjk_fallback()
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.subplots()
    cm = res.people[(res.people["role"] == CM) & (res.people["replication"] == 0)]
    posts = cm.assign(post=cm["person"].str.replace(r"#\d+$", "", regex=True))  # the post, hire suffix dropped
    last = posts[posts["quarter"] == posts["quarter"].max()].sort_values("rank")
    shown = list(dict.fromkeys([*last["post"].head(RANKING_SHOWN), *last["post"].tail(RANKING_SHOWN),
                                *posts.loc[posts["exits"], "post"]]))
    for post, rows in posts.groupby("post"):
        if post not in shown:
            ax.plot(rows["quarter"], rows["rank"], color="#cccccc", linewidth=0.6, zorder=1)
    for k, post in enumerate(shown):
        rows = posts[posts["post"] == post]
        ax.plot(rows["quarter"], rows["rank"], marker="o", linewidth=1.2, color=colormaps["tab20"](k % 20),
                label=str(post), zorder=2)
    leavers = posts[posts["exits"]]
    ax.plot(leavers["quarter"], leavers["rank"], "x", color="black", markersize=9, label="leaves", zorder=3)
    ax.invert_yaxis()
    ax.set(xlabel="quarter", ylabel="rank (1 = most points)",
           title=f"Customer manager ranking: top and bottom {RANKING_SHOWN} and the leavers (others grey)")
    ax.set_xticks(sorted(int(q) for q in cm["quarter"].unique()))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def score_figure(res: QuarterResults) -> Figure:
    """Outlet score by quarter (mean over replications), one colour per outlet, the legend beside the chart."""
    use_cjk_fallback()
    fig = Figure(figsize=(9, 3.8), layout="constrained")
    ax = fig.subplots()
    table = res.outlets.groupby(["quarter", "outlet"])["score"].mean().unstack()
    for k, outlet in enumerate(table.columns):
        ax.plot(table.index, table[outlet], marker="o", color=colormaps["tab20"](k % 20), label=str(outlet))
    ax.set(xlabel="quarter", ylabel="score (0-100)", title="Outlet scorecards")
    ax.set_xticks(sorted(int(q) for q in table.index))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def _most_common(values: pd.Series) -> str:
    """The most frequent value (the first in order of appearance on a tie)."""
    return str(values.value_counts(sort=True).index[0])


@dataclass(frozen=True, kw_only=True)
class LeverTable:
    """A report table of one group of levers: its columns from ``outlets.csv`` and, summed per
    outlet-quarter, from ``people.csv`` (each shown only when present, the table only when one is)."""

    title: str
    caption: str
    outlet_columns: tuple[str, ...]
    people_columns: tuple[str, ...] = ()


#: Outlet columns every study has, which a lever's table may show beside its own (not a sign the lever is on).
ALWAYS = ("outlet_rank", "red_flag")

#: The levers' tables, in report order (after the heads' tables).
LEVER_TABLES = (
    LeverTable(title="Inspections", caption="Leaders' sampled, noisy readings of the score sheet beside perfect "
               "information: readings, inspection score, the rank and red flag they gave and the ones the quarter's "
               "means would have given (flags: share of replications).",
               outlet_columns=("inspections", "inspection_score", "outlet_rank", "perfect_rank", "red_flag",
                               "perfect_red_flag")),
    LeverTable(title="VIP care", caption="Share of a maintainer's day the 2对1 contacts take, share of the contacts "
               "made, a VIP's leaving chance in the quarter, VIPs who left by it, and the points 四包 took off the "
               "outlet's CMs and WMs.",
               outlet_columns=("vip_care_share", "vip_care_coverage", "vip_care_hazard", "vip_care_lost"),
               people_columns=("vip_points_deducted",)),
    LeverTable(title="Rewards: club and ladders", caption="Elite-club members (CMs); the outlet's one-off ladder "
               "reward and rungs reached; its CM team's points, rungs and one-off reward (shared by the team).",
               outlet_columns=("ladder_reward_yuan", "ladder_rungs", "team_points", "team_rungs", "team_ladder_yuan"),
               people_columns=("club_member",)),
    LeverTable(title="Training and exchange", caption="Working days the outlet's people spent training (away from "
               "work); people moved into the exchange's role after the quarter and their training cost.",
               outlet_columns=("exchanged_out", "exchange_cost_yuan"), people_columns=("training_days",)),
)


def levers_on(res: QuarterResults) -> list[str]:
    """The rules-file levers switched on in ``res``'s rules, in the rules file's words."""
    r = res.rules
    pay = r.pay
    named = [(r.effort.on, f"effort ({r.effort.response})"),
             (pay.band_reading != "marginal", f"{pay.band_reading} bands"),
             (pay.target_score != "window_service", "target-responsibility score"),
             (pay.head_growth_score != "fixed", "fee-income growth score"),
             (pay.head_gate_scope != "growth_part", "gate on the head's full pay"),
             (not pay.head_premiums, "heads without premiums"), (r.inspection.enabled, "inspections"),
             (r.vip_care.enabled, "VIP care"), (r.club.enabled, "elite club"), (r.ladder.enabled, "outlet ladder"),
             (r.ladder.teams, "team ladder"), (r.penalties.enabled, "accumulating penalty points"),
             (r.training.enabled, "training"), (r.exchange.enabled, f"exchange {r.exchange.from_role} → "
                                                                    f"{r.exchange.to_role}"),
             (not r.ranking.exit_enabled, "no exit rule")]
    return [name for on, name in named if on]


def lever_table(res: QuarterResults, spec: LeverTable) -> pd.DataFrame:
    """``spec``'s table: mean over replications per quarter and outlet (people columns summed over the outlet
    first); empty when the lever is off (none of its columns present)."""
    keys = ["quarter", "outlet"]
    people = [c for c in spec.people_columns if c in res.people.columns]
    own = [c for c in spec.outlet_columns if c not in ALWAYS and c in res.outlets.columns]
    if not (people or own):
        return pd.DataFrame()
    cols = [c for c in spec.outlet_columns if c in res.outlets.columns]
    table = res.outlets.groupby(keys)[cols].mean()
    if people:
        sums = res.people.groupby([*keys, "replication"])[people].sum().groupby(keys).mean()
        table = table.join(sums.rename(columns={"club_member": "club_members"}))
    return table.round(3)


def _scorecard_table(res: QuarterResults) -> pd.DataFrame:
    cols = ["score", "outlet_rank", "subsidy_yuan", "penalty_points", "walkout_rate", "mean_wait_min",
            "value_per_person_day_yuan", *[c for c in ("penalty_balance",) if c in res.outlets]]
    table = res.outlets.groupby(["quarter", "outlet"])[cols].mean().round(3)
    # a rank is a whole number; a mean over replications keeps one decimal (never "2.0")
    table["outlet_rank"] = [f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}" for v in table["outlet_rank"]]
    moved = res.outlets.groupby(["quarter", "outlet"])["simulated_tier"].agg(_most_common)
    return table.assign(tier=res.outlets.groupby(["quarter", "outlet"])["tier"].first(), simulated_tier=moved)


def head_parts(res: QuarterResults) -> pd.DataFrame:
    """The head's pay in its two parts per outlet-quarter row: ``head_target_part_yuan`` (the 70% on the score
    the rules read, × premiums, × the growth gate when it scales full pay) and ``head_growth_part_yuan`` (the
    rest of the pay before any penalty: the 30% growth part, gated)."""
    pay, o = res.rules.pay, res.outlets
    target = head_premium(pay) * pay.head_reference_pay_yuan * pay.head_target_weight * o[pay_score_column(pay)] / 100
    if pay.head_gate_scope == "full_pay":
        target = target * o["growth_attainment"].map(lambda a: growth_factor(a, pay))
    before = o["head_pay_yuan"] + (o["head_penalty_yuan"] if "head_penalty_yuan" in o else 0.0)
    return pd.DataFrame({"head_target_part_yuan": target, "head_growth_part_yuan": before - target})


def _heads_table(res: QuarterResults) -> pd.DataFrame:
    cols = ["net_new_customers", "customer_attainment", "deposits_in_yuan", "deposits_lost_yuan",
            "deposit_growth_yuan", "deposit_attainment", "growth_attainment"]
    return res.outlets.groupby(["quarter", "outlet"])[cols].mean().round(3)


def _head_pay_table(res: QuarterResults) -> pd.DataFrame:
    """The head's pay in parts: the score its 70% reads, the growth score, the two parts, accumulated penalties."""
    pay = res.rules.pay
    read = pay_score_column(pay)
    optional = ("fee_income_score", "penalty_balance", "head_penalty_yuan", "head_review")
    cols = [read, "growth_attainment", *[c for c in optional if c in res.outlets], "head_target_part_yuan",
            "head_growth_part_yuan", "head_pay_yuan"]
    return res.outlets.join(head_parts(res)).groupby(["quarter", "outlet"])[cols].mean().round(3)


def _gate_text(res: QuarterResults) -> str:
    pay = res.rules.pay
    return (f"Deposits in = new customers × {pay.new_customer_deposit_yuan:,.0f} + sales × "
            f"{pay.deposit_per_sale_yuan:,.0f}; lost = VIPs lost × {pay.vip_deposit_yuan:,.0f} yuan (assumed). "
            f"Plans per outlet and quarter: {pay.head_plan_new_customers:g} net new customers, "
            f"{pay.head_plan_deposit_growth_yuan:,.0f} yuan net deposits. The growth part is paid in full at "
            f"{pay.head_growth_full_at:.0%} of plan; gate reads: {pay.head_growth_gate}. Mean over replications.")


def _heads_part(res: QuarterResults) -> list[str]:
    pay = res.rules.pay
    read = "target-responsibility score" if pay.target_score == "target_responsibility" else "window-service score"
    gate = "the whole pay" if pay.head_gate_scope == "full_pay" else "the growth part"
    text = (f"The target part is {pay.head_target_weight:.0%} of {pay.head_reference_pay_yuan:,.0f} yuan × the "
            f"{read} / 100; the growth part {pay.head_growth_weight:.0%} × the growth score; the growth gate scales "
            f"{gate}; × {head_premium(pay):g} premiums. Accumulated penalty points, when on, are taken off after. "
            "Pay and parts in yuan a quarter; review: share of replications. Mean over replications.")
    return [f"<h2>Outlet heads: growth gate</h2><p>{html.escape(_gate_text(res))}</p>", _table(_heads_table(res)),
            f"<h2>Outlet heads: pay</h2><p>{html.escape(text)}</p>", _table(_head_pay_table(res))]


def _levers_part(res: QuarterResults) -> list[str]:
    parts = []
    for spec in LEVER_TABLES:
        table = lever_table(res, spec)
        if not table.empty:
            parts += [f"<h2>{html.escape(spec.title)}</h2><p>{html.escape(spec.caption)} Mean over "
                      "replications.</p>", _table(table)]
    return parts


def _office_part(res: QuarterResults) -> list[str]:
    if res.office.empty:
        return []
    pay = res.rules.pay
    return [f"<h2>Office team (机关): net value against target, uncapped</h2><p>pay per member = "
            f"{pay.office_reference_pay_yuan:,.0f} yuan × completion × {1 + pay.front_office_premium:g} "
            "(front office); mean over replications.</p>",
            _table(res.office.drop(columns="replication").groupby("quarter").mean())]


def _cell(column: str, value: Any) -> str:
    """One table cell as a planner reads it: yuan whole with thousands separators, rates and attainments as
    percentages, whole numbers without a decimal, other numbers to two decimals; text as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if pd.isna(value):
        return ""
    name = str(column)
    if name.endswith(("_rate", "_share", "_coverage", "_hazard", "_flag", "_review")) or "attainment" in name \
            or name == "completion":
        return f"{value:.1%}"
    if name.endswith("_yuan") or float(value).is_integer():
        return f"{round(value) or 0:,.0f}"  # never "-0"
    return f"{value:,.2f}"


def _table(frame: pd.DataFrame, *, index: bool = True) -> str:
    """``frame`` as an HTML table with readable numbers (:func:`_cell`) and headings (``walkout rate``, not
    ``walkout_rate``, so they wrap), scrolling sideways when wider than the page; the CSV files keep the ids."""
    def spaced(name: Any) -> Any:
        return name.replace("_", " ") if isinstance(name, str) else name

    formatters = {spaced(c): (lambda v, c=c: _cell(c, v)) for c in frame.columns}
    shown = frame.rename(columns=spaced).rename_axis(index=[spaced(n) for n in frame.index.names])
    return f'<div class="wide">{shown.to_html(index=index, formatters=formatters)}</div>'


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def report_html(res: QuarterResults, comparison: pd.DataFrame | None, meta: dict[str, Any],
                rules_comparison: pd.DataFrame | None = None) -> str:
    """The self-contained HTML report."""
    images = "".join(f'<p><img src="data:image/png;base64,{png_base64(f(res), dpi=90, tight=True)}"></p>'
                     for f in (points_figure, ranking_figure, score_figure))
    rules = "the defaults (scenarios/quarter_rules.toml)" if meta["rules"] == "<defaults>" else str(meta["rules"])
    parts = ["<h1>Quarters, pay and ranking</h1>",
             f"<p>Study: {html.escape(str(meta['study']))}<br>{_plural(int(meta['quarters']), 'quarter')} × "
             f"{_plural(int(meta['replications']), 'replication')}, seed {meta['seed']}, rules: "
             f"{html.escape(rules)}, {meta['seconds']:.1f} s.<br>Levers on: "
             f"{html.escape(', '.join(levers_on(res)) or 'none (the shipped rules)')}.</p>",
             images, "<h2>Scorecards</h2><p>Mean over replications; rank 1 is the best outlet.</p>",
             _table(_scorecard_table(res)),
             *_heads_part(res), *_levers_part(res), *_office_part(res), "<h2>Per replication</h2>",
             _table(res.summary, index=False)]
    if comparison is not None:
        parts += ["<h2>Without − with the exit rule (paired, common random numbers)</h2>",
                  f'<div class="wide">{comparison.round(2).to_html(index=False)}</div>']
    if rules_comparison is not None:
        parts += [f"<h2>Rules B − rules A (paired 95% CI, common random numbers)</h2><p>A = "
                  f"{html.escape(str(meta['rules']))}, B = {html.escape(str(meta.get('rules_b', '')))}; the tables "
                  "above are A's. Pay cost = CM pay + heads' pay + red-flag subsidies + office team.</p>",
                  f'<div class="wide">'
                  f'{rules_comparison[rules_comparison["quarter"] == "all"].round(3).to_html(index=False)}</div>']
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Quarters, pay and ranking</title>"
            f"<style>{_STYLE}</style></head><body>" + "".join(parts) + "</body></html>\n")


_STYLE = """
body { font-family: system-ui, "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em auto;
       max-width: 72em; padding: 0 1em; color: #222; }
.wide { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f0f0f0; max-width: 9em; } td { white-space: nowrap; }
img { max-width: 100%; }
"""


def write_quarters(res: QuarterResults, out: str | Path, meta: dict[str, Any],
                   comparison: pd.DataFrame | None = None, rules_comparison: pd.DataFrame | None = None) -> list[Path]:
    """Write ``people.csv``, ``outlets.csv`` (scorecards, head pay), ``office.csv`` (office team; no rows
    without one), ``exits.csv``, ``days.csv``, ``summary.csv``, ``comparison.csv`` (when given),
    ``rules_comparison.csv`` (``--compare``, when given), ``results.json`` and ``report.html`` into ``out``."""
    folder = Path(out)
    frames: dict[str, pd.DataFrame] = {name: getattr(res, name) for name in TABLES}
    frames["exits"] = res.people[res.people["exits"]]
    if comparison is not None:
        frames["comparison"] = comparison
    if rules_comparison is not None:
        frames["rules_comparison"] = rules_comparison
    # everything is rendered before anything is written, then published as one set: a failure
    # (a chart that cannot be drawn, a full disk, Ctrl-C) leaves the previous run's files as they were,
    # and a file this run does not produce (comparison.csv without --compare-exit-rule) is removed
    files = {f"{name}.csv": csv_text(frame).encode("utf-8") for name, frame in frames.items()}
    body = ",".join(f'"{name}":{frame.to_json(orient="records")}' for name, frame in frames.items())
    files["results.json"] = f'{{"meta":{json.dumps(meta)},{body}}}\n'.encode()
    files["report.html"] = report_html(res, comparison, meta, rules_comparison).encode("utf-8")
    return publish_set(folder, files, stale=[name for name in FILES if name != PROBE])
