"""``branchlab fit``: calibrate an outlet scenario from its queue-ticket log.

``branchlab fit LOG --out scenario.toml [--outlet-template FILE] [--report fit.html]
[--map THEIRS=ours ...] [--backtest-days N] [--seed S]`` reads the log (format in
:mod:`sim.fit`), fits arrivals, VIP share, zone mix, service times and censored patience
with 95% intervals, and writes the fitted scenario as commented TOML; with ``--report``
it also simulates the fitted scenario (the back-test) and writes ``fit.html``. Output
paths are checked before any work, and no output may overwrite the log or the template.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from branchlab.options import SEED, whole
from branchlab.outputs import Output, UsageError, check_output, refuse_clobber

#: The template used when ``--outlet-template`` is not given: the shipped backbone outlet, found beside the
#: package (the repository's ``scenarios/``), whatever the working folder.
DEFAULT_TEMPLATE = str(Path(__file__).resolve().parents[1] / "scenarios" / "backbone_outlet.toml")


def _mapping(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        theirs, sep, ours = item.partition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise UsageError(f"--map {item}: expected THEIRS=ours, e.g. --map TicketNo=ticket_time")
        out[theirs.strip()] = ours.strip()
    return out


def _fit(args: argparse.Namespace) -> int:
    out = check_output(args.out, "--out", (".toml",))
    report = check_output(args.report, "--report", (".html", ".htm")) if args.report else None
    outputs = [Output("--out", out), *([Output("--report", report)] if report else [])]
    refuse_clobber([("log", args.log), ("outlet template", args.outlet_template)], outputs)
    column_map = _mapping(args.map)

    from sim.fileio import write_atomic
    from sim.fit import backtest, check_column_map, fit_log, read_log, scenario_toml
    from sim.scenario import load_scenario

    column_map = check_column_map(column_map)
    if args.outlet_template == DEFAULT_TEMPLATE and not Path(DEFAULT_TEMPLATE).is_file():
        raise UsageError(f"--outlet-template: the default template {DEFAULT_TEMPLATE} is not installed here; "
                         "give an outlet scenario with the outlet's opening hours, zones and staff")
    template = load_scenario(args.outlet_template)
    log = read_log(args.log, column_map)
    fit = fit_log(log, template)
    toml = scenario_toml(fit)
    page = None
    if report is not None:
        from sim.fit_report import report_html

        rows = backtest(fit, args.backtest_days, args.seed)
        page = report_html(fit, rows, str(out), args.seed, args.backtest_days)
    write_atomic(out, toml)
    if page is not None and report is not None:
        write_atomic(report, page)
    if not args.quiet:
        _summary(fit)
    print(f"wrote {out}" + (f" and {report}" if report else ""))
    return 0


def _summary(fit: Any) -> None:
    log, arr = fit.log, fit.arrivals
    ab = int(log.abandoned.sum())
    print(f"{log.source}: {log.n:,} tickets over {log.n_days} day(s), {ab:,} abandoned ({ab / log.n:.1%})")
    disp = "n/a (one day)" if arr.days < 2 else f"{arr.dispersion_index:.2f} (chi-square p = {arr.dispersion_p:.2g})"
    print(f"arrivals: {arr.daily.text('.1f')} tickets/day; dispersion index {disp}")
    print(f"VIP share: {fit.vip_share.text('.3f')}")
    for zone, sf in fit.service.items():
        if sf.chosen is None:
            print(f"service {zone}: too few services, kept from the template")
            continue
        f = sf.fits[sf.chosen]
        print(f"service {zone}: {sf.chosen} (AIC), mean {f.mean.text()} min, cv {f.cv.text()}, KS p = {f.ks_p:.2g}, "
              f"n = {f.n:,}")
    for group, pf in fit.patience.items():
        if pf.chosen is None:
            print(f"patience {group}: {pf.events} walk-outs, too few to fit")
            continue
        f = pf.fits[pf.chosen]
        print(f"patience {group}: {pf.chosen} (AIC), mean {f.mean.text()} min, cv {f.cv.text()}; "
              f"{pf.events:,} walk-outs, {pf.censored:,} censored")
    print(f"kept from the template {fit.template.source}: hours, zones, staff, sales, products, fees, field, dispatch")
    for note in fit.notes:
        print(f"note: {note}")


def register(subparsers: Any) -> None:
    """Add the ``fit`` sub-command to ``branchlab``'s sub-parsers."""
    f = subparsers.add_parser("fit", help="fit an outlet scenario to a queue-ticket log (CSV), with a fit report",
                              epilog="exit status: 0 done, 2 bad input (one line naming the file, row and column)")
    f.add_argument("log", help="ticket log CSV (its columns: docs/formats/ticket-log.md)")
    f.add_argument("--out", required=True, metavar="SCENARIO.toml", help="the fitted scenario to write")
    f.add_argument("--outlet-template", default=DEFAULT_TEMPLATE, metavar="FILE",
                   help="scenario giving what the log cannot say: hours, zones, staff, sales "
                        "(default: the shipped scenarios/backbone_outlet.toml)")
    f.add_argument("--report", metavar="FIT.html", help="also simulate the fitted scenario and write the fit report")
    f.add_argument("--map", action="append", default=[], metavar="THEIRS=ours",
                   help="read the log's column THEIRS as our column (repeatable)")
    f.add_argument("--backtest-days", type=whole(2, 1000), default=20,
                   help="simulated days of the back-test, 2 to 1,000 (default 20)")
    f.add_argument("--seed", type=SEED, default=0, help="seed of the back-test, 0 to 2**63 - 1 (default 0)")
    f.add_argument("-q", "--quiet", action="store_true", help="print only the files written")
    f.set_defaults(run=_fit)
