"""Machine instructions an outlet day takes per customer, against an earlier commit: a count, not a timing.

On a shared machine the same run's wall time moves by ±40%, so a cut of a few percent in the
engine cannot be seen in seconds. Valgrind's instruction count can: with hash randomisation and
BLAS threads fixed (``PYTHONHASHSEED=0``, one OpenBLAS thread) the same workload counts the same
instructions to within 0.01% run after run. Each checkout runs each workload twice under
``valgrind --tool=cachegrind --cache-sim=no``, with a few days and with more (or a longer M/M/3
day); the difference of the two counts over the difference of customers is the instructions
per customer of the model, the log and the KPIs, with Python's start-up, the imports and the
scenario's loading cancelled out. Prints each workload's count for both checkouts and the ratio,
and ends with one line ``instructions_vs_ref_<workload>=X ...``.

Workloads: each shipped tier's outlet (seed 1, days 0…N) and the M/M/3 scenario of
``run.py`` (one day of H hours). Needs ``valgrind`` on the PATH (about 2 minutes in all).

    python benchmarks/instructions.py --ref df96b4e [--days 2 12]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = ("potential", "advancing", "backbone", "flagship", "mm3")
#: The workload, run by each checkout's own sources (``sys.argv``: tree, workload, size); the customers
#: simulated go to stderr for the count's denominator.
_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import sim
from sim.daylog import to_log
from sim.model import run_events
tree, which, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
if which == "mm3":
    base = sim.load_scenario(f"{tree}/scenarios/mmc_cash_only.toml")
    sc = sim.with_overrides(base, {"outlet.close": f"{size:02d}:00", "outlet.warmup_min": 0})
    logs = [to_log(sc, *run_events(sc, 1, 0))]
else:
    sc = sim.load_scenario(f"{tree}/scenarios/{which}_outlet.toml")
    logs = [to_log(sc, *run_events(sc, 1, r)) for r in range(size)]
sim.batch_kpis(logs)
print("CUSTOMERS", sum(int(log.customers.arrival_min.size) for log in logs), file=sys.stderr)
"""


def count(tree: Path, workload: str, size: int, script: Path) -> tuple[int, int]:
    """(instructions, customers) of one run of ``workload`` at ``size`` by checkout ``tree``."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           sys.executable, str(script), str(tree), workload, str(size)],
                          capture_output=True, text=True, env=env, check=False)
    refs = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    customers = re.search(r"CUSTOMERS (\d+)", done.stderr)
    if done.returncode != 0 or refs is None or customers is None:
        raise SystemExit(f"instructions: {workload} in {tree} failed: {done.stderr.strip().splitlines()[-1:]}")
    return int(refs.group(1).replace(",", "")), int(customers.group(1))


def per_customer(tree: Path, workload: str, small: int, large: int, script: Path) -> float:
    """Instructions per customer of ``workload``: the larger run's count less the smaller's, per customer."""
    if workload == "mm3":  # hours of one day: about 160 customers an hour
        small, large = 1, max(2, large // 2)
    i1, c1 = count(tree, workload, small, script)
    i2, c2 = count(tree, workload, large, script)
    return (i2 - i1) / (c2 - c1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True, help="the commit to compare with (a git revision)")
    parser.add_argument("--days", type=int, nargs=2, default=(2, 12), metavar=("FEW", "MORE"),
                        help="days of the two runs of a tier (default 2 12; M/M/3: 1 and MORE/2 hours)")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS),
                        help="which workloads (default all)")
    args = parser.parse_args()
    small, large = args.days
    if not 1 <= small < large:
        parser.error(f"--days: need 1 <= FEW < MORE, got {small} {large}")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on the PATH (Debian: apt-get install valgrind)")
    sys.path.insert(0, str(ROOT))
    from benchmarks.worktree import add_worktree, remove_worktree

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "workload.py"
        script.write_text(_SCRIPT, encoding="utf-8")
        try:
            ref = add_worktree(args.ref, Path(tmp) / "ref")
        except ValueError as err:
            parser.error(f"--ref: {err}")
        try:
            ratios = {}
            for workload in args.workloads:
                this = per_customer(ROOT, workload, small, large, script)
                old = per_customer(ref, workload, small, large, script)
                ratios[workload] = this / old
                print(f"{workload}: {old:,.0f} -> {this:,.0f} instructions a customer ({this / old:.3f}x)", flush=True)
        finally:
            remove_worktree(ref)
    print(" ".join(f"instructions_vs_ref_{w}={r:.3f}" for w, r in ratios.items()))


if __name__ == "__main__":
    main()
