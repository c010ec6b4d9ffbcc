"""Make ``scenarios/sample_ticket_log.csv``: a synthetic queue-ticket log for ``branchlab fit``.

The log is branchlab's own: the shipped backbone outlet (``scenarios/backbone_outlet.toml``)
simulated for 20 weekdays (replications 0-19 of seed 2025), each primary visit to cash,
non_cash, self_service or wealth that was served or walked out written as one ticket
(:func:`sim.fit.ticket_log_from_days`; times ``HH:MM:SS``). It is **synthetic** — no
real outlet's records — and says so in its first lines. Fitting it should give back the
backbone outlet's numbers (tests/test_fit.py checks the shipped file loads and fits).

    python benchmarks/make_sample_log.py            # rewrites scenarios/sample_ticket_log.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.fileio import write_atomic  # noqa: E402
from sim.fit import ticket_log_csv, ticket_log_from_days  # noqa: E402

SCENARIO = ROOT / "scenarios" / "backbone_outlet.toml"
OUT = ROOT / "scenarios" / "sample_ticket_log.csv"
SEED, DAYS = 2025, 20


def main() -> None:
    """Simulate the days and write the log."""
    scenario = sim.load_scenario(SCENARIO)
    days = [sim.simulate(scenario, seed=SEED, replication=r) for r in range(DAYS)]
    log = ticket_log_from_days(days, source=OUT.name)
    comments = [
        "SYNTHETIC queue-ticket log made by branchlab itself (benchmarks/make_sample_log.py), not real records:",
        f"scenarios/backbone_outlet.toml simulated for {DAYS} weekdays (seed {SEED}); one row per ticket.",
        "Abandoned tickets: end_time empty, called_time = when the customer left the queue.",
    ]
    write_atomic(OUT, ticket_log_csv(log, comments))
    print(f"wrote {OUT}: {log.n} tickets over {log.n_days} days, {int(log.abandoned.sum())} abandoned")


if __name__ == "__main__":
    main()
