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

from optimize.plots import plot_candidates, plot_frontier, plot_moves, plot_value, png_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from optimize.result import Recommendation

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
dt { font-weight: bold; float: left; clear: left; width: 13em; } dd { margin-left: 14em; }
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
    }


def _ci(mean: float, low: float, high: float) -> str:
    return f"{number(mean)} yuan/day (95% CI {number(low)} to {number(high)})"


def _facts(rec: Recommendation) -> list[tuple[str, str]]:
    """The summary as (label, text) pairs."""
    u, hc, c = rec.uplift, rec.headcount, rec.counts
    gap = "—" if rec.gap is None else f"{rec.gap:.2g} (limit {rec.gap_limit:.2g})"
    share = u.get("share_realised", math.nan)
    return [
        ("Solver status", f"{rec.status} ({rec.solver})"),
        ("Objective", f"{number(rec.objective)} yuan/day (bound {number(rec.bound)}; MIP gap {gap})"),
        ("Verified uplift", _ci(u.get("mean", math.nan), u.get("ci95_low", math.nan), u.get("ci95_high", math.nan))
         + f", paired over {rec.replications} fresh days"),
        ("Predicted uplift", f"{number(u.get('predicted', math.nan))} yuan/day "
                             f"({'—' if math.isnan(share) else f'{share:.0%}'} of it realised)"),
        ("Head-count", f"{hc.get('current')} today → {hc.get('recommended')} recommended "
                       f"(budget {hc.get('budget')})"),
        ("Binding rules", "; ".join(rec.binding) if rec.binding else "none"),
        ("Tier moves (today's simulated customers and value)",
         "; ".join(f"{o}: {t} → {s}" for o, t, s in rec.tier_moves) or "none"),
        ("Patterns", ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in c.items())),
        ("Verification rounds", str(rec.verification_rounds)),
        ("Time", ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in rec.timings.items())),
    ]


def _summary(rec: Recommendation) -> str:
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in _facts(rec))
    moves = moves_by_role(rec.plan)
    moved = table(moves, "No moves: the recommendation is today's plan.")
    return f"<h2>Summary</h2><dl>{rows}</dl><h3>Moves by role</h3>{moved}"


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
        "<h2>Moves</h2>" + table(moved),
        _charts(rec),
        "<h2>Plan</h2>" + table(rec.plan),
        "<h2>Policy rules</h2>" + table(rec.constraints),
        "<h2>Frontier</h2>" + table(rec.frontier, "Not computed."),
    ]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n")
