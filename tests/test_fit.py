"""``sim.fit`` and ``branchlab fit``: calibrating a scenario from a queue-ticket log.

Round trips simulate logs from known scenarios, fit them, and count how often the known
parameters fall inside the fitted 95% intervals over 20 seeds (8 days each). The
tolerance: every parameter's interval covers the truth in at least 13 of 20 seeds (65%),
and all intervals of a case pooled cover it at least 90% of the time (260 to 340 intervals
a case: about 4 standard errors below 95%). Parameters are checked in the family that generated
them (the AIC choice is checked apart: the true family in at least 13 of 20 seeds too).

Why 13, not 17 (the first version): a correct 95% interval covers fewer than 17 of 20 with
probability 1.6%, but a case checks 15 to 20 parameters and the suite 4 cases, so over 120
other seeds (1000-1119) 52% of the 20-seed sets drawn from them failed somewhere (the
binomial from the measured coverages says 73%); seeds 0-19 passed by luck. With 13 of 20
none of 4,000 drawn sets failed and the binomial gives 0.2% for the four cases together.
What it still catches: an interval that covers below ~50% in one parameter (a biased
estimate: it passes 13 of 20 with probability at most 13%), and intervals generally too
narrow (the pooled 90%). Measured on those 120 seeds, the cash service mean's interval
covers 89-93% in each case, a little under its 95%: noted, not hidden by this tolerance (at
89% it covers fewer than 13 of 20 with p = 0.08%).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import sim
from branchlab.cli import main
from sim import fit as F
from sim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scenarios" / "sample_ticket_log.csv"
BACKBONE = ROOT / "scenarios" / "backbone_outlet.toml"
SEEDS, DAYS = 20, 8

_BASE: dict[str, Any] = {
    "outlet": {"name": "round trip", "tier": "potential", "open": "09:00", "close": "17:00"},
    "zones": {"cash": {"positions": 3}},
    "staff": {"cash_teller": {"count": 3, "zones": ["cash"]}},
    "arrivals": {"daily_customers": 520, "hourly_profile": [1.2, 1.3, 1.0, 0.7, 0.8, 1.2, 1.2, 0.8]},
    "segments": {"mass": {"share": 0.85, "needs": {"cash": 1.0}}, "vip": {"share": 0.15, "needs": {"cash": 1.0}}},
    "service": {"cash": {"distribution": "lognormal", "mean_min": 3.0, "cv": 0.8}},
}


def _case(patience: dict[str, Any], daily: float, non_cash: bool) -> dict[str, Any]:
    d = copy.deepcopy(_BASE)
    d["arrivals"]["daily_customers"] = daily
    for seg in d["segments"].values():
        seg["patience"] = dict(patience)
    if non_cash:
        d["zones"]["non_cash"] = {"positions": 2}
        d["staff"]["low_counter_teller"] = {"count": 2, "zones": ["non_cash"]}
        d["service"]["non_cash"] = {"distribution": "gamma", "mean_min": 8.0, "cv": 0.5}
        d["segments"]["mass"]["needs"] = {"cash": 0.75, "non_cash": 0.25}
        d["segments"]["vip"]["needs"] = {"cash": 0.6, "non_cash": 0.4}
    return d


#: name → (scenario, the abandonment range it is built for)
CASES = {
    "exponential patience, ~5% walk out": (_case({"distribution": "exponential", "mean_min": 25.0}, 360, False),
                                           (0.03, 0.08)),
    "exponential patience, ~18% walk out": (_case({"distribution": "exponential", "mean_min": 10.0}, 520, False),
                                            (0.12, 0.25)),
    "lognormal patience, ~10% walk out": (_case({"distribution": "lognormal", "mean_min": 12.0, "cv": 0.7}, 520, True),
                                          (0.05, 0.18)),
    "lognormal patience, ~35% walk out": (_case({"distribution": "lognormal", "mean_min": 8.0, "cv": 1.2}, 850, True),
                                          (0.28, 0.40)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip_known_parameters_fall_in_the_fitted_intervals(name: str) -> None:
    data, (ab_low, ab_high) = CASES[name]
    scenario = sim.from_dict(data)
    pat = data["segments"]["mass"]["patience"]
    family = pat["distribution"]
    need_nc = 0.85 * data["segments"]["mass"]["needs"].get("non_cash", 0) + \
        0.15 * data["segments"]["vip"]["needs"].get("non_cash", 0)
    hits: dict[str, list[bool]] = {}
    abandon = []
    for seed in range(SEEDS):
        log = F.ticket_log_from_days([sim.simulate(scenario, seed=seed, replication=r) for r in range(DAYS)])
        abandon.append(float(log.abandoned.mean()))
        fit = F.fit_log(log, scenario)
        pf = fit.patience["all"]
        checks = {
            "patience mean": pf.fits[family].mean.covers(pat["mean_min"]),
            "patience family chosen": pf.chosen == family,
            "cash service mean": fit.service["cash"].fits["lognormal"].mean.covers(3.0),
            "cash service cv": fit.service["cash"].fits["lognormal"].cv.covers(0.8),
            "cash lognormal chosen": fit.service["cash"].chosen == "lognormal",
            "VIP share": fit.vip_share.covers(0.15),
            "daily tickets": fit.arrivals.daily.covers(scenario.expected_customers),
        }
        for h, (est, rate) in enumerate(zip(fit.arrivals.rate, scenario.rate_per_hour, strict=True)):
            checks[f"rate {h}"] = est.covers(rate)
        if family == "lognormal":
            checks["patience cv"] = pf.fits["lognormal"].cv.covers(pat["cv"])
        if "non_cash" in data["zones"]:
            nc = fit.service["non_cash"]
            checks |= {"non_cash service mean": nc.fits["gamma"].mean.covers(8.0),
                       "non_cash service cv": nc.fits["gamma"].cv.covers(0.5),
                       "non_cash gamma chosen": nc.chosen == "gamma",
                       "non_cash share": fit.zone_mix["all"]["non_cash"].covers(need_nc)}
        for key, ok in checks.items():
            hits.setdefault(key, []).append(bool(ok))
    assert ab_low <= float(np.mean(abandon)) <= ab_high, f"walk-out share {np.mean(abandon):.3f} off design"
    coverage = {k: float(np.mean(v)) for k, v in hits.items()}
    low = {k: c for k, c in coverage.items() if c < 0.65}
    assert not low, f"coverage below 65% over {SEEDS} seeds: {low}"
    pooled = [ok for k, v in hits.items() if "chosen" not in k for ok in v]
    assert np.mean(pooled) >= 0.90


def test_censored_exponential_patience_by_hand() -> None:
    """Walk-outs after 1, 2, 3, 4, 5 min; served after 5, 10, 20 min waited: exposure 50 min, 5 events,
    so the mean patience is 50 / 5 = 10 min, and its interval is 2·50 / χ²(0.975 | 0.025, 10)."""
    wait = np.array([1, 2, 3, 4, 5, 5, 10, 20], dtype=float)
    walked = np.array([1, 1, 1, 1, 1, 0, 0, 0], dtype=bool)
    pf = F.fit_patience(wait, walked)
    exp = pf.fits["exponential"]
    assert exp.mean.value == pytest.approx(10.0)
    assert exp.mean.low == pytest.approx(100 / stats.chi2.ppf(0.975, 10))
    assert exp.mean.high == pytest.approx(100 / stats.chi2.ppf(0.025, 10))
    assert pf.exposure_min == 50
    assert pf.events == 5
    assert pf.censored == 3
    assert exp.loglik == pytest.approx(-5 * math.log(10) - 5)


def test_censored_lognormal_without_censoring_is_the_closed_form() -> None:
    x = np.random.default_rng(3).lognormal(1.0, 0.5, 400)
    pf = F.fit_patience(x, np.ones(x.size, dtype=bool))
    ln = pf.fits["lognormal"]
    assert ln.params["mu"] == pytest.approx(np.log(x).mean(), abs=1e-5)
    assert ln.params["sigma"] == pytest.approx(np.log(x).std(), rel=1e-4)
    closed = F.fit_durations(x)["lognormal"]
    assert ln.loglik == pytest.approx(closed.loglik, rel=1e-7)
    assert ln.mean.low == pytest.approx(closed.mean.low, rel=1e-3)


def test_kaplan_meier_by_hand() -> None:
    """Times 1+, 2, 3+, 4, 10+ (+ censored): S(2) = 3/4 (4 at risk), S(4) = 3/4 · 1/2 = 3/8 (2 at risk);
    Greenwood at 2: var = (3/4)² · 1/(4·3)."""
    km = F.kaplan_meier(np.array([1, 2, 3, 4, 10.0]), np.array([0, 1, 0, 1, 0], dtype=bool))
    assert km.time.tolist() == [2.0, 4.0]
    assert km.survival.tolist() == pytest.approx([0.75, 0.375])
    assert km.at_risk.tolist() == [4, 2]
    half = 1.959963984540054 * math.sqrt(0.75**2 / 12)
    assert km.low[0] == pytest.approx(0.75 - half)
    assert km.high[0] == pytest.approx(min(1.0, 0.75 + half))
    tie = F.kaplan_meier(np.array([2, 2, 3.0]), np.array([1, 0, 1], dtype=bool))  # censored at 2 still at risk
    assert tie.survival.tolist() == pytest.approx([2 / 3, 0.0])


def test_fit_durations_recovers_each_family_and_prefers_it_by_aic() -> None:
    rng = np.random.default_rng(11)
    samples = {"exponential": rng.exponential(4.0, 3000), "lognormal": rng.lognormal(1.0, 0.6, 3000),
               "gamma": rng.gamma(4.0, 1.5, 3000)}
    for kind, x in samples.items():
        fits = F.fit_durations(x)
        assert F.best(fits) == kind
        assert fits[kind].mean.covers(float(x.mean()))
        assert fits[kind].ks_p > 0.01
    assert F.fit_durations(samples["gamma"])["gamma"].params["shape"] == pytest.approx(4.0, rel=0.1)


# ---- the log format and its errors -----------------------------------------------------

HEADER = "date,ticket_time,called_time,end_time,zone,business_type,vip,staff_id\n"
GOOD = ("2025-03-03,09:00:10,09:01:00,09:04:00,cash,deposit,0,t1\n"
        "2025-03-03,09:02:00,09:09:00,,non_cash,loan,1,\n")


def _error(text: str, **kw: Any) -> str:
    with pytest.raises(ScenarioError) as info:
        F.parse_log(text, "log.csv", **kw)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("log.csv")
    return message


def test_parse_reads_served_and_abandoned_tickets() -> None:
    log = F.parse_log("# a comment line\n" + HEADER + GOOD, "log.csv")
    assert log.n == 2
    assert log.dates == ("2025-03-03",)
    assert log.abandoned.tolist() == [False, True]
    assert log.wait_min.tolist() == pytest.approx([50 / 60, 7.0])
    assert log.service_min[0] == pytest.approx(3.0)
    assert log.row.tolist() == [3, 4]  # line numbers in the file, comment and header included


@pytest.mark.parametrize(("row", "expect"), [
    ("2025-03-03,09:05,09:06,09:05:30,cash,,0,\n", ["row 4", "end_time", "before called_time"]),
    ("2025-03-03,09:05,09:04,09:08,cash,,0,\n", ["row 4", "called_time", "before ticket_time"]),
    ("2025-03-03,09:05,09:06,09:08,atm,,0,\n", ["row 4", "zone", "unknown zone 'atm'"]),
    ("2025-03-03,09:00:10,09:01:00,09:04:00,cash,deposit,0,t1\n", ["row 4", "duplicates row 2"]),
    ("03/03/2025,09:05,09:06,09:08,cash,,0,\n", ["row 4", "date", "mixed date formats"]),
    ("2025-03-03,2025-03-03T09:05:00,09:06,09:08,cash,,0,\n", ["row 4", "ticket_time", "mixed time formats"]),
    ("2025-03-03,09:05,,,cash,,0,\n", ["row 4", "called_time", "empty"]),
    ("2025-03-03,09:05,09:06,09:08,cash,,maybe,\n", ["row 4", "vip", "not a VIP flag"]),
    ("2025-03-03,9am,09:06,09:08,cash,,0,\n", ["row 4", "ticket_time", "not a time"]),
    ("2025-03-03,09:05,09:06,cash,,0,\n", ["row 4", "has 7 cells"]),
])
def test_bad_rows_give_one_line_naming_row_and_column(row: str, expect: list[str]) -> None:
    message = _error(HEADER + GOOD + row)
    for part in expect:
        assert part in message, message


def test_empty_files_missing_columns_time_zones_and_mapping() -> None:
    assert "empty file" in _error("")
    assert "no tickets" in _error(HEADER)
    assert "missing column(s) vip" in _error("ticket_time,called_time,end_time,zone\n09:00,09:01,09:02,cash\n")
    iso = ("ticket_time,called_time,end_time,zone,vip\n2025-03-03T09:00:00+08:00,2025-03-03T09:01:00+08:00,"
           "2025-03-03T09:03:00+08:00,cash,0\n2025-03-03T09:05:00+08:00,2025-03-03T09:06:00+00:00,,cash,1\n")
    message = _error(iso)
    assert "row 3, called_time" in message
    assert "mixed time zones" in message
    log = F.parse_log(iso.replace("+00:00", "+08:00"), "log.csv")
    assert log.dates == ("2025-03-03",)
    assert log.ticket_min.tolist() == [540.0, 545.0]
    theirs = "Ticket,Called,Done,Counter,VIP\n09:00,09:01,09:03,cash,1\n"
    mapped = F.parse_log(theirs, "x.csv", {"Ticket": "ticket_time", "Called": "called_time", "Done": "end_time",
                                           "Counter": "zone"})
    assert mapped.n == 1
    assert mapped.vip.tolist() == [True]
    with pytest.raises(ScenarioError, match="row 2, Done: 08:59 is before called_time"):
        F.parse_log(theirs.replace("09:03", "08:59"), "x.csv", {"Ticket": "ticket_time", "Called": "called_time",
                                                                "Done": "end_time", "Counter": "zone"})
    with pytest.raises(ScenarioError, match="not a column of the log format"):
        F.check_column_map({"A": "nonsense"})


def test_too_few_tickets_and_tickets_outside_opening_hours() -> None:
    template = sim.load_scenario(BACKBONE)
    small = F.parse_log(HEADER + GOOD, "log.csv")
    with pytest.raises(ScenarioError, match="2 tickets; at least 50 are needed"):
        F.fit_log(small, template)
    rows = "".join(f"2025-03-03,{9 + i // 60:02d}:{i % 60:02d},{9 + i // 60:02d}:{i % 60:02d},"
                   f"{10 + i // 60:02d}:{i % 60:02d},cash,,0,\n" for i in range(60))
    early = F.parse_log(HEADER + "2025-03-03,08:40,08:50,08:55,cash,,0,\n" + rows, "log.csv")
    with pytest.raises(ScenarioError, match=r"log.csv: row 2, ticket_time: 08:40 is before the outlet opens"):
        F.fit_log(early, template)


def test_toml_writer_round_trips_awkward_values() -> None:
    data = {"a": {"name": 'quote " back \\ tab \t 网点', "x": 1.5e-07, "flag": True, "xs": [1, 2.5],
                  "needs": {"cash": 0.5, "non_cash": 0.5}, "b": {"c": []}}, "d e": {"k": -3}}
    text = F.toml_text(data, {"a": "a comment", "a.x": "tiny"}, ["header"])
    assert text.startswith("# header\n")
    assert "# a comment\n[a]" in text
    assert "# tiny" in text
    assert "needs = { cash = 0.5, non_cash = 0.5 }" in text


# ---- the command on the shipped sample log ---------------------------------------------

def test_branchlab_fit_on_the_sample_log_writes_a_scenario_and_a_report(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert SAMPLE.stat().st_size < 1_500_000
    assert "SYNTHETIC" in SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    out, report = tmp_path / "fitted.toml", tmp_path / "fit.html"
    status = main(["fit", str(SAMPLE), "--out", str(out), "--report", str(report), "--backtest-days", "6",
                   "--outlet-template", str(BACKBONE)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "VIP share" in printed
    assert f"wrote {out}" in printed
    scenario = sim.load_scenario(out)
    text = out.read_text(encoding="utf-8")
    assert "kept from the template" in text
    assert "fitted from the log" in text
    # the sample was made from the backbone outlet: the fit gives its numbers back (within 10%)
    assert scenario.service["non_cash"].default.mean_min == pytest.approx(9.0, rel=0.1)
    assert scenario.segments["mass"].patience is not None
    assert scenario.segments["mass"].patience.mean_min == pytest.approx(21.0, rel=0.15)
    assert scenario.expected_customers == pytest.approx(400, rel=0.05)
    page = report.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4
    assert "Back-test" in page
    assert "Kaplan" in page
    log = sim.simulate(scenario, seed=1)
    assert log.customers.arrival_min.size > 300
    region = tmp_path / "region.toml"
    region.write_text(f'[region]\nname = "one fitted outlet"\n[[outlets]]\nname = "Fitted"\nscenario = "{out.name}"\n',
                      encoding="utf-8")
    import optimize

    assert len(optimize.load_region(region).outlets) == 1


def test_branchlab_fit_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD + "2025-03-03,09:05,09:06,09:05:30,cash,,0,\n", encoding="utf-8")
    assert main(["fit", str(bad), "--out", str(tmp_path / "s.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "row 4, end_time" in err
    assert not (tmp_path / "s.toml").exists()
    assert main(["fit", str(bad), "--out", str(bad)]) == 2  # never over the log: not a .toml name ...
    assert "must end in one of .toml" in capsys.readouterr().err
    link = tmp_path / "link.toml"
    link.symlink_to(bad)
    assert main(["fit", str(bad), "--out", str(link)]) == 2  # ... nor through a link to it
    assert "would overwrite the input log" in capsys.readouterr().err
    assert bad.read_text(encoding="utf-8").startswith(HEADER)
    assert main(["fit", str(SAMPLE), "--out", str(tmp_path / "nope" / "s.toml")]) == 2
    assert main(["fit", str(SAMPLE), "--out", str(tmp_path / "s.toml"), "--map", "nonsense"]) == 2
    assert not (tmp_path / "s.toml").exists()
