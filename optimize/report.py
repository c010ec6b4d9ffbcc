"""``report.html``: the recommendation on one self-contained page a planner can mail around.

The page holds, in order: the summary (solver status, objective, gap, the verified
uplift with its paired 95% CI, head-count, moves by role, binding rules, how many
patterns were generated, screened and kept), the moves, the charts of
:mod:`optimize.plots` embedded as base64 PNG (no file or network access needed to view
it), the full plan, every policy rule with its limit and value, and the frontier.
All text from the region file is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimize.holds import holds_table
from optimize.plots import plot_candidates, plot_frontier, plot_holds, plot_moves, plot_value, png_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from optimize.result import Recommendation

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
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


def figures(rec: Recommendation) -> dict[str, tuple[str, Figure]]:
    """The report's charts by key: a caption and the figure."""
    return {
        "moves": ("People added and removed at each outlet, by role (customer managers outside hatched).",
                  plot_moves(rec.plan)),
        "value": ("Each outlet's daily objective under today's and the recommended plan, verified on fresh "
                  "days (95% CI).", plot_value(rec.kpis)),
        "frontier": ("The optimum as the total head-count budget moves around today's, and what each person "
                     "adds.", plot_frontier(rec.frontier, rec.headcount.get("budget"))),
        "candidates": ("Every simulated pattern per outlet; today's plan ringed, the chosen one starred.",
                       plot_candidates(rec.candidates)),
        **({"holds": ("Moves that hold when an assumed number is scaled: the plan re-solved under each variant.",
                      plot_holds(rec.stress))} if not rec.stress.empty else {}),
    }


def _ci(mean: float, low: float, high: float) -> str:
    return f"{number(mean)} yuan/day (95% CI {number(low)} to {number(high)})"


def rate(value: float) -> str:
    """A share as a percentage with two decimals, ``—`` for none."""
    return "—" if value is None or not math.isfinite(value) else f"{100 * value:.2f}%"


def service_lines(rec: Recommendation) -> list[str]:
    """The region's service today and recommended, one KPI a line, each with its paired change's 95% CI."""
    lines = []
    for r in rec.service[rec.service["outlet"] == "region"].to_dict("records") if not rec.service.empty else []:
        flag = " (worse beyond noise)" if r["worse"] else ""
        lines.append(f"{r['kpi']} {rate(r['current'])} [{rate(r['current_ci95_low'])}, "
                     f"{rate(r['current_ci95_high'])}] today -> {rate(r['recommended'])} "
                     f"[{rate(r['recommended_ci95_low'])}, {rate(r['recommended_ci95_high'])}]{flag}")
    return lines


def worse_outlets(rec: Recommendation) -> list[str]:
    """``"outlet kpi today -> recommended"`` for each outlet service KPI worse beyond noise (paired 95% CI)."""
    if rec.service.empty:
        return []
    worse = rec.service[rec.service["worse"] & (rec.service["outlet"] != "region")]
    return [f"{r['outlet']} {r['kpi']} {rate(r['current'])} -> {rate(r['recommended'])}"
            for r in worse.to_dict("records")]


def service_table(rec: Recommendation) -> pd.DataFrame:
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
                     "worse beyond noise": "worse" if r["worse"] else ""})
    return pd.DataFrame(rows)


def _facts(rec: Recommendation) -> list[tuple[str, str]]:
    """The summary as (label, text) pairs: verified value and service first, the screening estimate labelled."""
    u, hc, c = rec.uplift, rec.headcount, rec.counts
    gap = "—" if rec.gap is None else f"{rec.gap:.2g} (limit {rec.gap_limit:.2g})"
    share = u.get("share_realised", math.nan)
    today, recommended = rec.verified("current"), rec.verified("recommended")
    surplus = rec.headline()["surplus_people"]
    stab = rec.stability
    return [
        ("Verified value, recommended", _ci(recommended["mean"], recommended["ci95_low"], recommended["ci95_high"])
         + f", on {rec.replications} fresh days"),
        ("Verified value, today", _ci(today["mean"], today["ci95_low"], today["ci95_high"])),
        ("Verified uplift", _ci(u.get("mean", math.nan), u.get("ci95_low", math.nan), u.get("ci95_high", math.nan))
         + f", paired over {rec.replications} fresh days"),
        ("Service, region", "; ".join(service_lines(rec)) or "—"),
        ("Outlets whose service gets worse beyond noise", "; ".join(worse_outlets(rec)) or "none"),
        ("Head-count", f"{hc.get('current')} today → {hc.get('recommended')} recommended "
                       f"(budget {hc.get('budget')})" + (f"; {surplus} people without a post (see Transfers)"
                                                        if surplus else "")),
        ("Screening estimate (not verified)", f"{number(rec.objective)} yuan/day: the chosen patterns' estimate "
                                              f"on the days used to choose them (bound {number(rec.bound)}; "
                                              f"MIP gap {gap}); predicted uplift {number(u.get('predicted', math.nan))}"
                                              f" yuan/day, {'—' if math.isnan(share) else f'{share:.0%}'} realised"),
        ("Stable plan", f"fewest moves within {number(stab.get('tolerance_yuan', 0.0))} yuan/day (the noise) of the "
                        f"best estimate: {number(stab.get('moves_chosen', math.nan))} moves instead of "
                        f"{number(stab.get('moves_best', math.nan))}" if stab.get("tolerance_yuan") else "off"),
        ("Solver status", f"{rec.status} ({rec.solver})"),
        ("Binding rules", "; ".join(rec.binding) if rec.binding else "none"),
        ("Tier moves (today's simulated customers and value)",
         "; ".join(f"{o}: {t} → {s}" for o, t, s in rec.tier_moves) or "none"),
        ("Patterns", ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in c.items())),
        ("Verification rounds", str(rec.verification_rounds)),
        ("Time", ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in rec.timings.items())),
    ]


def _summary(rec: Recommendation) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in _facts(rec))
    moves = moves_by_role(rec.plan)
    moved = table(moves, "No moves: the recommendation is today's plan.")
    return f'<h2>Summary</h2><table class="facts">{rows}</table><h3>Moves by role</h3>{moved}'


def _service_section(rec: Recommendation) -> str:
    frame = service_table(rec)
    if frame.empty:
        return "<h2>Service</h2><p>Not computed.</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(('<tr class="worse">' if r[-1] else "<tr>") + "".join(f"<td>{html.escape(str(v))}</td>" for v in r)
                   + "</tr>" for r in frame.itertuples(index=False, name=None))
    return ("<h2>Service</h2><p class=\"note\">Walk-out rate (share of arrivals who left unserved) and each "
            "zone's service level (share served within its target wait), today and recommended, on the same "
            "fresh days; rows in red are worse beyond noise (the paired 95% CI of the change lies wholly on "
            f"the bad side).</p><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def _charts(rec: Recommendation) -> str:
    parts = []
    for key, (caption, fig) in figures(rec).items():
        data = base64.b64encode(png_bytes(fig)).decode("ascii")
        parts.append(f'<figure id="chart-{key}"><img alt="{html.escape(caption)}" '
                     f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)}</figcaption></figure>')
    return "<h2>Charts</h2>" + "".join(parts)


def report_html(rec: Recommendation, version: str = "unknown") -> str:
    """The whole page as one string (UTF-8, no external resources)."""
    title = html.escape(f"Staffing recommendation — {rec.region}")
    moved = rec.moves()
    sections = [
        f"<h1>{title}</h1>",
        f'<p class="note">{html.escape(f"Region file {rec.source}; seed {rec.seed}; branchlab {version}.")}</p>',
        _summary(rec),
        _service_section(rec),
        "<h2>Transfers</h2><p class=\"note\">Who goes where: the fewest rows that turn today's plan into the "
        "recommended one. <em>surplus</em>: people left without a post at their outlet; <em>hire</em>: posts "
        "nobody of that role leaves.</p>" + table(rec.transfers, "No transfers: the recommendation is today's plan."),
        "<h2>Moves</h2>" + table(moved),
        "<h2>Moves that hold</h2><p class=\"note\">Each move of the plan against the plan re-solved with one "
        "assumed number scaled (<code>branchlab optimize --stress</code>).</p>"
        + table(holds_table(rec.stress), "Not run (branchlab optimize --stress)."),
        _charts(rec),
        "<h2>Plan</h2>" + table(rec.plan),
        "<h2>Policy rules</h2>" + table(rec.constraints),
        "<h2>Frontier</h2>" + table(rec.frontier, "Not computed."),
    ]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n")
