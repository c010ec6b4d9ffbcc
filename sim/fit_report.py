"""``fit.html``: what :func:`sim.fit.fit_log` estimated from a ticket log, on one self-contained page.

The page holds the summary (the log, its days and tickets, the dispersion check), the
fitted tables with their 95% intervals (arrivals, VIP share, zone mix, service per zone,
per-person speeds, patience), what was kept from the template, four charts embedded as
base64 PNG — the arrival profile, service ECDFs against the fitted CDFs, patience
Kaplan–Meier against the fitted survival, and the back-test — and the back-test table.
Charts are matplotlib :class:`~matplotlib.figure.Figure` objects (object API, no
``pyplot`` state), one function each, so a notebook can show them too. Text from the
log is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.fit import GROUPS, LOG_ZONES, Fit
from sim.plots import ZONE_COLOURS, png_base64

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } img { max-width: 100%; } .note { color: #666; font-size: 0.9em; }
"""
LOG_COLOUR, FITTED_COLOUR = "#444444", "#1b9e77"
FAMILY_STYLE = {"exponential": ":", "lognormal": "-", "gamma": "--"}


def plot_arrivals(fit: Fit, backtest: Sequence[Mapping[str, Any]] = ()) -> Figure:
    """Tickets per hour: each log day (dots), the fitted rate with its 95% interval, and the simulated fit."""
    arr = fit.arrivals
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(arr.hours))
    per_hour = arr.counts / (np.asarray(arr.slot_min) / 60.0)
    jitter = np.linspace(-0.25, 0.25, arr.days) if arr.days > 1 else np.zeros(1)
    for d in range(arr.days):
        ax.plot(x + jitter[d], per_hour[d], ".", color="#bbbbbb", ms=4, label="log, each day" if d == 0 else None)
    rate = np.array([r.value for r in arr.rate])
    err = np.array([[r.value - r.low for r in arr.rate], [r.high - r.value for r in arr.rate]])
    ax.errorbar(x, rate, yerr=err, fmt="o-", color=LOG_COLOUR, capsize=3, label="fitted rate (log mean), 95% CI")
    sim_rows = [r for r in backtest if r["metric"] == "tickets" and r["source"] == "fitted" and r["hour"] != "all"]
    if sim_rows:
        slot_h = np.asarray(arr.slot_min) / 60.0
        ax.plot(x, np.array([r["mean"] for r in sim_rows]) / slot_h, "s--", color=FITTED_COLOUR,
                label="fitted scenario, simulated")
    ax.set_xticks(x, arr.hours)
    ax.set_xlabel("hour of ticket (clock)")
    ax.set_ylabel("tickets per hour")
    ax.set_title(f"Arrivals: {arr.daily.value:.1f} tickets/day; dispersion index {arr.dispersion_index:.2f} "
                 f"(p = {arr.dispersion_p:.2g})")
    ax.legend(fontsize=8)
    return fig


def plot_service(fit: Fit) -> Figure:
    """Per zone: the empirical distribution of service times (ECDF) against each fitted CDF (chosen one bold)."""
    zones = [z for z in LOG_ZONES if z in fit.service and fit.service[z].chosen]
    fig = Figure(figsize=(10, 3.2 * math.ceil(max(len(zones), 1) / 2)), layout="constrained")
    for i, zone in enumerate(zones):
        sf = fit.service[zone]
        ax = fig.add_subplot(math.ceil(len(zones) / 2), 2, i + 1)
        x = np.sort(sf.values)
        ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", color=ZONE_COLOURS[zone], lw=2,
                label=f"log ECDF (n = {x.size})")
        grid = np.linspace(0, float(np.quantile(x, 0.99)), 200)
        for kind, f in sf.fits.items():
            ax.plot(grid, f.cdf(grid), FAMILY_STYLE[kind], color="black", lw=1.8 if kind == sf.chosen else 0.8,
                    label=f"{kind} (AIC {f.aic:.0f}{', chosen' if kind == sf.chosen else ''})")
        ax.set_xlim(0, grid[-1])
        ax.set_xlabel(f"{zone} service time (min)")
        ax.set_ylabel("share of services ≤ t")
        ax.legend(fontsize=7, loc="lower right")
    if not zones:
        fig.add_subplot().text(0.5, 0.5, "no zone had enough services to fit", ha="center")
    return fig


def plot_patience(fit: Fit) -> Figure:
    """Per group: patience survival P(patience > t), Kaplan–Meier with its 95% band against the fitted families."""
    groups = [g for g in GROUPS if fit.patience[g].events > 0]
    fig = Figure(figsize=(4 * max(len(groups), 1), 3.6), layout="constrained")
    for i, group in enumerate(groups):
        pf = fit.patience[group]
        ax = fig.add_subplot(1, len(groups), i + 1)
        km = pf.km
        t = np.concatenate([[0.0], km.time])
        ax.step(t, np.concatenate([[1.0], km.survival]), where="post", color=LOG_COLOUR, lw=2, label="Kaplan–Meier")
        ax.fill_between(t, np.concatenate([[1.0], km.low]), np.concatenate([[1.0], km.high]), step="post",
                        color=LOG_COLOUR, alpha=0.15, label="95% band")
        top = float(km.time[-1]) if km.time.size else 1.0
        grid = np.linspace(0, top, 200)
        for kind, f in pf.fits.items():
            ax.plot(grid, 1 - f.cdf(grid), FAMILY_STYLE[kind], color=FITTED_COLOUR,
                    lw=1.8 if kind == pf.chosen else 0.8, label=f"{kind}{' (chosen)' if kind == pf.chosen else ''}")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("wait (min)")
        ax.set_ylabel("P(patience > wait)")
        ax.set_title(f"{group}: {pf.events} walk-outs, {pf.censored} served", fontsize=9)
        ax.legend(fontsize=7)
    if not groups:
        fig.add_subplot().text(0.5, 0.5, "no walk-outs in the log", ha="center")
    return fig


def plot_backtest(fit: Fit, backtest: Sequence[Mapping[str, Any]]) -> Figure:
    """Mean wait and walk-out rate by hour of ticket: the log against the fitted scenario simulated (95% CIs
    over days)."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    hours = list(fit.arrivals.hours)
    x = np.arange(len(hours))
    for i, (metric, label) in enumerate((("mean_wait_min", "mean wait (min)"), ("abandon_rate", "walk-out rate"))):
        ax = fig.add_subplot(1, 2, i + 1)
        for k, (source, colour) in enumerate((("log", LOG_COLOUR), ("fitted", FITTED_COLOUR))):
            rows = {r["hour"]: r for r in backtest if r["metric"] == metric and r["source"] == source}
            m = np.array([rows[h]["mean"] for h in hours], dtype=float)
            lo = np.array([rows[h]["low"] for h in hours], dtype=float)
            hi = np.array([rows[h]["high"] for h in hours], dtype=float)
            err = np.nan_to_num(np.vstack([m - lo, hi - m]), nan=0.0)
            ax.errorbar(x + (k - 0.5) * 0.2, m, yerr=np.maximum(err, 0), fmt="o", color=colour, capsize=3,
                        label="log" if source == "log" else "fitted scenario, simulated")
        ax.set_xticks(x, hours, rotation=45)
        ax.set_xlabel("hour of ticket (clock)")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    fig.suptitle("Back-test: the fitted scenario against the log, 95% CIs over days")
    return fig


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]] | Sequence[tuple[Any, ...]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "—" if not math.isfinite(v) else f"{v:.4g}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _ci(e: Any, fmt: str = ".3g") -> str:
    return "—" if not math.isfinite(e.value) else (
        f"{e.value:{fmt}}" if not math.isfinite(e.low) else f"{e.value:{fmt}} ({e.low:{fmt}}–{e.high:{fmt}})")


def report_html(fit: Fit, backtest: Sequence[Mapping[str, Any]], out_name: str = "scenario.toml",
                seed: int = 0, days: int = 0) -> str:
    """The whole report as one HTML string (UTF-8, no external resources)."""
    log = fit.log
    arr = fit.arrivals
    ab = int(log.abandoned.sum())
    title = html.escape(f"Fit of {log.source}")
    facts = [
        ("log", log.source), ("days", f"{log.n_days} ({log.dates[0]} to {log.dates[-1]})"),
        ("tickets", f"{log.n} ({ab} abandoned, {ab / log.n:.1%})"), ("template", fit.template.source),
        ("written scenario", out_name),
        ("tickets per day", _ci(arr.daily, ".1f")),
        ("over-dispersion", f"index of dispersion {arr.dispersion_index:.3g}, χ² p = {arr.dispersion_p:.3g} "
                            "(small p: days differ more than Poisson)"),
        ("VIP share", _ci(fit.vip_share)),
    ]
    parts = [f"<h1>{title}</h1>", _table(["", ""], facts)]
    parts.append("<h2>Arrivals by hour</h2>" + _table(
        ["hour", "tickets/hour (95% CI)", "VIP share (95% CI)"],
        [(h, _ci(r, ".1f"), _ci(v)) for h, r, v in zip(arr.hours, arr.rate, fit.vip_by_hour, strict=True)]))
    parts.append("<h2>Zone (need) mix</h2>" + _table(
        ["zone", *GROUPS], [(z, *(_ci(fit.zone_mix[g][z]) for g in GROUPS)) for z in LOG_ZONES]))
    rows: list[tuple[Any, ...]] = []
    for zone, sf in fit.service.items():
        for kind, f in sf.fits.items():
            rows.append((zone, kind + (" ✔" if kind == sf.chosen else ""), f.n, _ci(f.mean), _ci(f.cv), f.aic, f.ks_p))
        if not sf.fits:
            rows.append((zone, "too few: template kept", sf.n, "—", "—", math.nan, math.nan))
    parts.append("<h2>Service time per zone (min)</h2><p class=\"note\">Maximum likelihood; ✔ = chosen by AIC. "
                 "KS p-values are indicative (the parameters come from the same data); with thousands of services "
                 "a small misfit already gives a small p.</p>"
                 + _table(["zone", "family", "n", "mean (95% CI)", "cv (95% CI)", "AIC", "KS p"], rows))
    if fit.staff_speed:
        parts.append("<h2>Per-person speed</h2><p class=\"note\">speed = zone mean service / the person's mean "
                     "(as <code>staff.ROLE.speed</code>: above 1 is faster); people with at least 5 services.</p>"
                     + _table(["zone", "staff_id", "services", "mean service (min)", "speed", "low", "high"],
                              fit.staff_speed))
    prows: list[tuple[Any, ...]] = []
    for g in GROUPS:
        pf = fit.patience[g]
        for kind, f in pf.fits.items():
            prows.append((g, kind + (" ✔" if kind == pf.chosen else ""), pf.events, pf.censored, _ci(f.mean),
                         _ci(f.cv), f.aic))
        if not pf.fits:
            prows.append((g, "too few walk-outs", pf.events, pf.censored, "—", "—", math.nan))
    parts.append("<h2>Patience (min)</h2><p class=\"note\">A walk-out's wait is its patience; a served ticket's wait "
                 "is a lower bound (right-censored). Censored maximum likelihood; ✔ = chosen by AIC.</p>"
                 + _table(["group", "family", "walk-outs", "served (censored)", "mean (95% CI)", "cv (95% CI)",
                           "AIC"], prows))
    if fit.business_types:
        parts.append("<h2>Business types</h2>" + _table(["business_type", "tickets"],
                                                         list(fit.business_types.items())[:30]))
    kept = [f"{k}: {v}" for k, v in fit.comments.items() if "kept from the template" in v and "." not in k]
    parts.append("<h2>Kept from the template</h2><ul>" + "".join(
        f"<li>{html.escape(n)}</li>" for n in [*kept, *fit.notes]) + "</ul>")
    charts = [("Tickets per hour: each day of the log, the fitted rate with its 95% CI, and the fitted scenario "
               "simulated.", plot_arrivals(fit, backtest)),
              ("Service times: the log's ECDF against the fitted CDFs.", plot_service(fit)),
              ("Patience: Kaplan–Meier survival of the log (95% band) against the fitted survival.",
               plot_patience(fit))]
    if backtest:
        charts.append(("Back-test: mean wait and walk-out rate by hour, the log against the fitted scenario.",
                       plot_backtest(fit, backtest)))
    parts.append("<h2>Charts</h2>" + "".join(
        f'<figure><img alt="{html.escape(c)}" src="data:image/png;base64,{png_base64(f, dpi=90)}">'
        f"<figcaption>{html.escape(c)}</figcaption></figure>" for c, f in charts))
    if backtest:
        by = {(r["hour"], r["metric"], r["source"]): r for r in backtest}
        hours = [*arr.hours, "all"]
        rows = [(h, *(_ci_row(by[(h, m, s)]) for m in ("tickets", "mean_wait_min", "abandon_rate")
                      for s in ("log", "fitted"))) for h in hours]
        parts.append(f"<h2>Back-test</h2><p class=\"note\">The fitted scenario simulated for {days} days "
                     f"(seed {seed}), its tickets converted exactly as a queue system would log them; means over "
                     "days with 95% CIs (the log's over its own days).</p>" + _table(
                         ["hour", "tickets/day log", "fitted", "mean wait log (min)", "fitted", "walk-out rate log",
                          "fitted"], rows))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def _ci_row(r: Mapping[str, Any]) -> str:
    m, lo, hi = float(r["mean"]), float(r["low"]), float(r["high"])
    if not math.isfinite(m):
        return "—"
    return f"{m:.3g}" if not math.isfinite(lo) else f"{m:.3g} ({lo:.3g}–{hi:.3g})"
