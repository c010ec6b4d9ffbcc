"""Start-up cost of branchlab, beside the libraries it cannot do without (not part of the test suite).

Three commands, each a fresh Python process, alternated and timed ``--repeat`` times
(median, wall clock):

- **reference**: ``import numpy, pandas, simpy, tqdm`` — the floor any engine built on
  these libraries pays;
- **import sim**: ``python -c "import sim"`` (target ≤ 0.5 s);
- **30-day CLI**: the README's ``branchlab simulate scenarios/backbone_outlet.toml
  --replications 30 --seed 7``, whole process (target ≤ 0.9 s).

Both are also printed as ratios to the reference, which travel between machines better
than seconds (this machine is shared: absolute times move by tens of per cent). Then
``python -X importtime -c "import sim"`` is summarised: the cumulative import time of
each package ``import sim`` pulls in, so a new eager import shows up by name.
Ends with one line ``import_sim_vs_ref=X cli_30_days_vs_ref=Y``.

    python benchmarks/startup.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Targets from the engine-groundwork issue, in seconds.
TARGET_IMPORT_S, TARGET_CLI_S = 0.5, 0.9


def commands() -> dict[str, list[str]]:
    """The three timed commands, by label."""
    exe = shutil.which("branchlab")
    cli = [exe] if exe else [sys.executable, "-m", "branchlab.cli"]
    return {
        "reference (numpy+pandas+simpy+tqdm)": [sys.executable, "-c", "import numpy, pandas, simpy, tqdm"],
        "import sim": [sys.executable, "-c", "import sim"],
        "30-day CLI run": [*cli, "simulate", "scenarios/backbone_outlet.toml", "--replications", "30", "--seed", "7"],
    }


def wall_seconds(argv: list[str]) -> float:
    """Wall-clock seconds of one run of ``argv`` from the repository root (output discarded)."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def import_profile(threshold_ms: float = 5.0) -> list[tuple[str, float]]:
    """(package, cumulative ms) of every top-level package ``import sim`` loads, heaviest first."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import sim"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip()
        cumulative_ms = int(parts[1]) / 1000
        if "." not in name and not name.startswith("_") and cumulative_ms >= threshold_ms:
            rows.append((name, cumulative_ms))
    return sorted(rows, key=lambda row: -row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs of each command (default 9)")
    args = parser.parse_args()
    runs = commands()
    times: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(args.repeat):  # alternate, so load changes hit every command alike
        for label, argv in runs.items():
            times[label].append(wall_seconds(argv))
    median = {label: statistics.median(t) for label, t in times.items()}
    reference = median["reference (numpy+pandas+simpy+tqdm)"]
    targets = {"import sim": TARGET_IMPORT_S, "30-day CLI run": TARGET_CLI_S}
    print(f"## Start-up, median of {args.repeat} alternated runs (wall clock)\n")
    print(f"{'command':38} {'seconds':>8} {'min':>7} {'× reference':>12} {'target':>8}")
    for label, seconds in median.items():
        target = f"≤ {targets[label]:.1f} s" if label in targets else ""
        print(f"{label:38} {seconds:8.3f} {min(times[label]):7.3f} {seconds / reference:12.2f} {target:>8}")
    print("\n## Packages imported by `import sim` (cumulative ms, python -X importtime, one run)\n")
    for name, ms in import_profile():
        print(f"{name:24} {ms:8.1f}")
    print(f"\nimport_sim_vs_ref={median['import sim'] / reference:.2f} "
          f"cli_30_days_vs_ref={median['30-day CLI run'] / reference:.2f}")


if __name__ == "__main__":
    main()
