"""``report.html``: the recommendation on one self-contained page a planner can mail around.

The page holds, in order: the summary (solver status, objective, gap, the verified
uplift with its paired 95% CI, head-count, moves by role, binding rules, how many
patterns were generated, screened and kept), the moves, the charts of
:mod:`optimize.plots` embedded as base64 PNG (no file or network access needed to view
it), the full plan, every policy rule with its limit and value, and the frontier.
All text from the region file is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimize.holds import holds_table
from optimize.plots import (
    plot_candidates,
    plot_frontier,
    plot_holds,
    plot_moves,
    plot_roster,
    plot_value,
)
from optimize.roster import MET
from sim.labels import EMPTY_TABLE, LABELS, cell_label, check_lang, column_label, kpi_label, label, relabel, rule_label
from sim.plots import png_base64

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from optimize.result import Recommendation

_STYLE = """
body { font-family: system-ui, "Noto Sans SC", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
table.facts th { text-align: left; vertical-align: top; width: 16em; } table.facts td { text-align: left; }
tr.worse td { background: #fde8e8; }
figure { margin: 1em 0; } img { max-width: 100%; } .note { color: #666; font-size: 0.9em; }
"""


def number(value: Any) -> str:
    """A number as a planner reads it: thousands separated, 3 significant digits below 100, ``—`` for none."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def table(frame: pd.DataFrame, empty: str = "None.") -> str:
    """An HTML table of ``frame`` (escaped, no index, numbers by :func:`number`), or ``empty`` when it has no row."""
    if not len(frame):
        return f"<p>{html.escape(empty, quote=False)}</p>"
    return frame.astype(object).map(number).to_html(index=False, escape=True, border=0, na_rep="—")


def moves_by_role(plan: pd.DataFrame) -> pd.DataFrame:
    """People ``added`` and ``removed`` (as positive counts) per role and placement, over all outlets."""
    change = plan["change"]
    frame = plan.assign(added=change.clip(lower=0), removed=(-change).clip(lower=0))
    totals = frame.groupby(["role", "placement"], sort=False)[["added", "removed"]].sum().reset_index()
    return totals[(totals["added"] > 0) | (totals["removed"] > 0)].reset_index(drop=True)


def flex_lines(rec: Recommendation, lang: str = "en") -> list[str]:
    """The flexible posts in sentences: one per post whose thresholds the plan changes — who is called to which
    zone, at how many customers waiting and back below how many, today and recommended, with the zone's verified
    service level beside it — or one saying every post keeps today's (and what was tried); none without posts."""
    posts = rec.flex_posts
    if posts.empty:
        return []
    changed = rec.flex_changes()
    if changed.empty:
        tried = sorted({int(v) for t in posts["tried_open_above"] for v in str(t).split(", ")})
        searched = any(len(str(t).split(", ")) > 1 for t in posts["tried_open_above"])
        return [label("text.flex_kept" if searched else "text.flex_not_searched", lang, posts=len(posts),
                      tried=", ".join(map(str, tried)))]

    def pp(x: float) -> str:
        return f"{100 * x:+.2f}"

    return [label("text.flex_line", lang, outlet=r["outlet"], zone=label(f"zone.{r['zone']}", lang),
                  role=label(f"role.{r['role']}", lang), now=r["current_open_above"], now_back=r["current_close_below"],
                  rec=r["recommended_open_above"], rec_back=r["recommended_close_below"],
                  sl_now=rate(r["service_level_current"]), sl_rec=rate(r["service_level_recommended"]),
                  change=pp(r["service_level_change"]), low=pp(r["service_level_change_ci95_low"]),
                  high=pp(r["service_level_change_ci95_high"]),
                  worse=label("text.worse_flag", lang) if r["worse"] else "", away_now=number(r["away_min_current"]),
                  away_rec=number(r["away_min_recommended"]))
            for r in changed.to_dict("records")]


def flex_table(rec: Recommendation, lang: str = "en") -> pd.DataFrame:
    """The flexible posts as the report shows them, one row per post: when its staff are called and go back
    today and recommended (``above 4, below 1``), the ``open_above`` values tried, and the zone's service level
    under both plans with the paired change in points and its 95% CI, headings and names in ``lang`` in either
    language (:data:`optimize.tables.FLEX_COLUMNS` has every field, by id)."""
    posts = rec.flex_posts

    def when(above: Any, below: Any) -> str:
        return label("text.flex_when", lang, above=int(above), below=int(below))

    rows = [{"outlet": r["outlet"], "zone": label(f"zone.{r['zone']}", lang), "role": label(f"role.{r['role']}", lang),
             "current": when(r["current_open_above"], r["current_close_below"]),
             "recommended": when(r["recommended_open_above"], r["recommended_close_below"]),
             "tried_open_above": r["tried_open_above"], "service_level_current": rate(r["service_level_current"]),
             "service_level_recommended": rate(r["service_level_recommended"]),
             "service_level_change_ci": label("text.pp_ci", lang, change=f"{100 * r['service_level_change']:+.2f}",
                                           low=f"{100 * r['service_level_change_ci95_low']:+.2f}",
                                           high=f"{100 * r['service_level_change_ci95_high']:+.2f}"),
             "away_min_current": number(r["away_min_current"]),
             "away_min_recommended": number(r["away_min_recommended"])}
            for r in posts.to_dict("records")]
    return pd.DataFrame(rows).rename(columns=lambda c: column_label(str(c), lang))


def figures(rec: Recommendation, lang: str = "en") -> dict[str, tuple[str, Figure]]:
    """The report's charts by key: a caption (in ``lang``) and the figure."""
    def caption(key: str) -> str:
        return label(f"caption.{key}", lang)

    return {
        "moves": (caption("moves"), plot_moves(rec.plan, lang=lang)),
        "value": (caption("value"), plot_value(rec.kpis, lang=lang)),
        "frontier": (caption("frontier"), plot_frontier(rec.frontier, rec.headcount.get("budget"), lang=lang)),
        "candidates": (caption("candidates"), plot_candidates(rec.candidates, lang=lang)),
        **({"holds": (caption("holds"), plot_holds(rec.stress, lang=lang))} if not rec.stress.empty else {}),
    }


def _ci(mean: float, low: float, high: float, lang: str = "en") -> str:
    return label("text.ci", lang, mean=number(mean), low=number(low), high=number(high))


def rate(value: float) -> str:
    """A share as a percentage with two decimals, ``—`` for none."""
    return "—" if value is None or not math.isfinite(value) else f"{100 * value:.2f}%"


def _kpi(kpi: Any, lang: str) -> str:
    """A KPI as the text around it names it: the id in English (as in the CSV and the CLI), the label in Chinese."""
    return str(kpi) if lang == "en" else kpi_label(str(kpi), lang)


def service_lines(rec: Recommendation, lang: str = "en") -> list[str]:
    """The region's service today and recommended, one KPI a line, each with its paired change's 95% CI."""
    lines = []
    for r in rec.service[rec.service["outlet"] == "region"].to_dict("records") if not rec.service.empty else []:
        lines.append(label("text.service_line", lang, kpi=_kpi(r["kpi"], lang), today=rate(r["current"]),
                           today_low=rate(r["current_ci95_low"]), today_high=rate(r["current_ci95_high"]),
                           rec=rate(r["recommended"]), rec_low=rate(r["recommended_ci95_low"]),
                           rec_high=rate(r["recommended_ci95_high"]),
                           flag=label("text.worse_flag", lang) if r["worse"] else ""))
    return lines


def worse_outlets(rec: Recommendation, lang: str = "en") -> list[str]:
    """``"outlet kpi today -> recommended"`` for each outlet service KPI worse beyond noise (paired 95% CI)."""
    if rec.service.empty:
        return []
    worse = rec.service[rec.service["worse"] & (rec.service["outlet"] != "region")]
    return [label("text.worse_outlet", lang, outlet=r["outlet"], kpi=_kpi(r["kpi"], lang), today=rate(r["current"]),
                  rec=rate(r["recommended"])) for r in worse.to_dict("records")]


def robustness_lines(rec: Recommendation, lang: str = "en") -> list[str]:
    """With day types: what the robust plan costs against the average-day plan on the simulated month, the
    worst day type's walk-out rate under both, and the simulated days of each run (none without day types)."""
    head = rec.robust_vs_average
    if not head:
        return []
    cost, value = head["value_cost"], head["value_month"]
    walkout = head["worst_day_service"]["walkout_rate"]
    days = head["simulated_days"]
    return [label("text.robustness_cost", lang, cost=number(cost["mean"]), low=number(cost["ci95"][0]),
                  high=number(cost["ci95"][1]), average=number(value["average_day"]), robust=number(value["robust"])),
            label("text.robustness_worst", lang, day=head["worst_day"], average=rate(walkout["average_day"]),
                  robust=rate(walkout["robust"]), change=f"{100 * walkout['change']:+.2f} pp",
                  low=f"{100 * walkout['change_ci95'][0]:+.2f}", high=f"{100 * walkout['change_ci95'][1]:+.2f}"),
            label("text.robustness_days", lang, robust=number(days["robust"]), average=number(days["average_day"]),
                  month=number(days["month_comparison"]))]


def _robustness_section(rec: Recommendation, lang: str = "en") -> list[str]:
    """The average-day plan against the robust one (day types in force), or nothing."""
    if rec.robustness.empty:
        return []
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in robustness_lines(rec, lang))
    return [f"<h2>{label('heading.robustness', lang)}</h2><p class=\"note\">{label('note.robustness', lang)}</p>"
            f"<ul>{lines}</ul>" + table(relabel(rec.robustness, lang))]


def roster_lines(rec: Recommendation, lang: str = "en") -> list[str]:
    """With a roster: the region's walk-out rate and each zone's lunch-hour service under the roster against
    today's shifts (paired 95% CIs), and how many outlets met every hour's floor (none without a roster)."""
    if rec.roster.empty:
        return []
    rows = [r for r in rec.roster_kpis.to_dict("records") if r["outlet"] == "region" and r["kpi"] == "walkout_rate"]
    rows += [r for r in rec.roster_hourly.to_dict("records") if r["outlet"] == "region" and r["hour"] == "lunch"]
    lines = [label("text.roster_line", lang, kpi=_kpi(r["kpi"], lang) + (" (lunch hours)" if "hour" in r else ""),
                   today=rate(r["today_shifts"]), roster=rate(r["roster"]), change=f"{100 * r['change']:+.2f}",
                   low=f"{100 * r['change_ci95_low']:+.2f}", high=f"{100 * r['change_ci95_high']:+.2f}")
             for r in rows]
    status = rec.roster_iterations.groupby("outlet", sort=False)["status"].last()
    met = int((status == MET).sum())
    return [*lines, label("text.roster_met", lang, met=met, outlets=len(status),
                          rounds=int(rec.roster_iterations["iteration"].max()))]


def _roster_section(rec: Recommendation, lang: str = "en") -> list[str]:
    """The roster (asked for): the verified comparison with today's shifts for the region, the lunch hours'
    service, each outlet's rounds and status, and a Gantt chart per outlet; nothing without a roster."""
    if rec.roster.empty:
        return []
    region = rec.roster_kpis[rec.roster_kpis["outlet"] == "region"]
    lunch = rec.roster_hourly[(rec.roster_hourly["outlet"] == "region") & (rec.roster_hourly["hour"] == "lunch")]
    charts = []
    for outlet in dict.fromkeys(rec.roster["outlet"]):
        caption = label("caption.roster", lang, outlet=outlet)
        data = png_base64(plot_roster(rec.roster, str(outlet), lang))
        charts.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                      f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in roster_lines(rec, lang))
    return [f"<h2>{label('heading.roster', lang)}</h2><p class=\"note\">{label('note.roster', lang)}</p>"
            f"<ul>{lines}</ul>" + table(relabel(region, lang)) + table(relabel(lunch, lang))
            + table(relabel(rec.roster_iterations, lang)) + "".join(charts)]


def pattern_counts(rec: Recommendation, lang: str = "en") -> str:
    """``"500 generated, 3 dropped analytic, …"``: how many patterns each stage generated, dropped, kept."""
    names = {k: label(f"count.{k}", lang) if f"count.{k}" in LABELS else k.replace("_", " ") for k in rec.counts}
    return label("text.list_sep", lang).join(f"{v} {names[k]}" for k, v in rec.counts.items())


def service_table(rec: Recommendation, lang: str = "en") -> pd.DataFrame:
    """The service frame as a planner reads it: rates in %, intervals in brackets, ``worse`` spelled out."""
    if rec.service.empty:
        return rec.service
    rows = []
    for r in rec.service.to_dict("records"):
        rows.append({"outlet": r["outlet"], "kpi": r["kpi"],
                     "today (95% CI)": f"{rate(r['current'])} [{rate(r['current_ci95_low'])}, "
                                       f"{rate(r['current_ci95_high'])}]",
                     "recommended (95% CI)": f"{rate(r['recommended'])} [{rate(r['recommended_ci95_low'])}, "
                                             f"{rate(r['recommended_ci95_high'])}]",
                     "change (paired 95% CI)": f"{rate(r['change'])} [{rate(r['change_ci95_low'])}, "
                                               f"{rate(r['change_ci95_high'])}]",
                     "worse beyond noise": label("text.worse", lang) if r["worse"] else ""})
    return pd.DataFrame(rows)


def _facts(rec: Recommendation, lang: str = "en") -> list[tuple[str, str]]:
    """The summary as (label, text) pairs: verified value and service first, the screening estimate labelled."""
    def text(key: str, **fields: Any) -> str:
        return label(key, lang, **fields)

    u, hc, n = rec.uplift, rec.headcount, rec.replications
    gap = "—" if rec.gap is None else text("text.gap", gap=f"{rec.gap:.2g}", limit=f"{rec.gap_limit:.2g}")
    share = u.get("share_realised", math.nan)
    today, recommended = rec.verified("current"), rec.verified("recommended")
    head = rec.headline()
    surplus, hired = head["surplus_people"], head["hired_people"]
    stab = rec.stability
    sep, none = text("text.item_sep"), text("text.none")
    tiers = [(o, t, s) if lang == "en" else (o, label(f"tier.{t}", lang), label(f"tier.{s}", lang))
             for o, t, s in rec.tier_moves]
    seconds = {k: label(f"timing.{k}", lang) if f"timing.{k}" in LABELS else k.replace("_", " ") for k in rec.timings}
    return [
        (text("fact.value_recommended"), _ci(recommended["mean"], recommended["ci95_low"], recommended["ci95_high"],
                                             lang) + text("text.on_days", n=n)),
        (text("fact.value_today"), _ci(today["mean"], today["ci95_low"], today["ci95_high"], lang)),
        (text("fact.uplift"), _ci(u.get("mean", math.nan), u.get("ci95_low", math.nan), u.get("ci95_high", math.nan),
                                  lang) + text("text.paired_days", n=n)),
        (text("fact.service"), sep.join(service_lines(rec, lang)) or "—"),
        (text("fact.worse_outlets"), sep.join(worse_outlets(rec, lang)) or none),
        (text("fact.headcount"), text("text.headcount", current=hc.get("current"), recommended=hc.get("recommended"),
                                      budget=hc.get("budget")) + (text("text.surplus", n=surplus) if surplus else "")
         + (text("text.hired", n=hired) if hired else "")),
        (text("fact.screening"), text("text.screening", objective=number(rec.objective), bound=number(rec.bound),
                                      gap=gap, predicted=number(u.get("predicted", math.nan)),
                                      share="—" if math.isnan(share) else f"{share:.0%}")),
        (text("fact.stable"), text("text.stable", tolerance=number(stab.get("tolerance_yuan", 0.0)),
                                   chosen=number(stab.get("moves_chosen", math.nan)),
                                   best=number(stab.get("moves_best", math.nan)))
         + (text("text.stable_retuned", chosen=number(stab["retuned_chosen"]), best=number(stab["retuned_best"]))
            if "retuned_chosen" in stab else "")
         if stab.get("tolerance_yuan") else text("text.off")),
        *([(text("fact.flex_posts"), sep.join(flex_lines(rec, lang)))] if not rec.flex_posts.empty else []),
        (text("fact.status"), f"{cell_label('status', rec.status, lang)} ({rec.solver})"),
        (text("fact.binding"), sep.join(rule_label(b, lang) for b in rec.binding) if rec.binding else none),
        (text("fact.tier_moves"), sep.join(text("text.tier_move", outlet=o, tier=t, simulated=s)
                                           for o, t, s in tiers) or none),
        (text("fact.patterns"), pattern_counts(rec, lang)),
        (text("fact.rounds"), str(rec.verification_rounds)),
        (text("fact.time"), text("text.list_sep").join(text("text.seconds", name=seconds[k], seconds=v)
                                                       for k, v in rec.timings.items())),
    ]


def _summary(rec: Recommendation, lang: str = "en") -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in _facts(rec, lang))
    moves = moves_by_role(rec.plan)
    moved = table(relabel(moves, lang), label("text.no_moves", lang))
    return (f'<h2>{label("heading.summary", lang)}</h2><table class="facts">{rows}</table>'
            f'<h3>{label("heading.moves_by_role", lang)}</h3>{moved}')


def _service_section(rec: Recommendation, lang: str = "en") -> str:
    heading = f"<h2>{label('heading.service', lang)}</h2>"
    frame = service_table(rec, lang)
    if frame.empty:
        return f"{heading}<p>{label('text.not_computed', lang)}</p>"
    frame = relabel(frame, lang)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(('<tr class="worse">' if r[-1] else "<tr>") + "".join(f"<td>{html.escape(str(v))}</td>" for v in r)
                   + "</tr>" for r in frame.itertuples(index=False, name=None))
    return (f'{heading}<p class="note">{label("note.service", lang)}</p>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def _charts(rec: Recommendation, lang: str = "en") -> str:
    parts = []
    for key, (caption, fig) in figures(rec, lang).items():
        data = png_base64(fig)
        parts.append(f'<figure id="chart-{key}"><img alt="{html.escape(caption)}" '
                     f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)}</figcaption></figure>')
    return f"<h2>{label('heading.charts', lang)}</h2>" + "".join(parts)


def report_html(rec: Recommendation, version: str = "unknown", lang: str = "en") -> str:
    """The whole page as one string (UTF-8, no external resources).

    ``lang="zh"`` gives the headings, the summary's labels and sentences, the table
    headings and the names of zones, roles, tiers and KPIs in Chinese (:mod:`sim.labels`);
    outlet names, rule texts and numbers are the same in both.
    """
    check_lang(lang)

    def heading(key: str) -> str:
        return f"<h2>{label(f'heading.{key}', lang)}</h2>"

    def shown(frame: pd.DataFrame, empty: str = "text.none_table") -> str:
        return table(relabel(frame, lang), label(empty, lang))

    title = html.escape(label("text.title", lang, region=rec.region))
    run = html.escape(label("text.run", lang, source=rec.source, seed=rec.seed, version=version))
    sections = [
        f"<h1>{title}</h1>",
        f'<p class="note">{run}</p>',
        _summary(rec, lang),
        _service_section(rec, lang),
        heading("transfers") + f'<p class="note">{label("note.transfers", lang)}</p>'
        + shown(rec.transfers, EMPTY_TABLE["transfers"]),
        heading("conversions") + shown(rec.conversions, EMPTY_TABLE["conversions"]),
        heading("day_types") + shown(rec.day_types, EMPTY_TABLE["day_types"]),
        *_robustness_section(rec, lang),
        *_roster_section(rec, lang),
        heading("moves") + shown(rec.moves()),
        *([heading("flex_posts") + f'<p class="note">{label("note.flex_posts", lang)}</p>'
           + "".join(f"<p>{html.escape(line)}</p>" for line in flex_lines(rec, lang)) + table(flex_table(rec, lang))]
          if not rec.flex_posts.empty else []),
        heading("holds") + f'<p class="note">{label("note.holds", lang)}</p>'
        + shown(holds_table(rec.stress), EMPTY_TABLE["stress"]),
        _charts(rec, lang),
        heading("plan") + shown(rec.plan),
        heading("constraints") + shown(rec.constraints),
        heading("frontier") + shown(rec.frontier, EMPTY_TABLE["frontier"]),
    ]
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{title}</title><style>{_STYLE}</style></head><body>\n" + "\n".join(sections)
            + "\n</body></html>\n")
