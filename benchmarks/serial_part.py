"""The optimiser's serial part — the main process's own work — against an earlier commit, side by side.

At 2,000 outlets most of ``branchlab optimize``'s wall time on a cluster is the main process's
work outside the executor (the rounds' candidates, fates, MILPs, export): more workers do not shorten
it. This measures it without the simulation: a province of ``--outlets`` outlets
(``make_province.py``, seed 0) is optimised once by each checkout to fill its own result cache, then
``branchlab optimize REGION --quick --executor processes --workers 2 --out DIR`` is run again,
alternating the two checkouts ``--runs`` times each; with every day cached, what is left is the
serial part plus reading the cache. Prints each run's wall and CPU seconds (the command's process
and its children), the medians and the medians of the pair-by-pair ratios, and ends with one line
``serial_wall_vs_ref=X serial_cpu_vs_ref=Y``.

``--ref`` is checked out into a temporary git worktree (removed afterwards). The same seed and
region give both checkouts the same decisions when the optimiser's numbers did not change
(``fingerprint.py`` says whether they did); a checkout's sim/ sources key its cache, so each fills
its own.

    python benchmarks/serial_part.py --ref a75b1e7 [--outlets 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Longest one optimise may take (seconds) before the benchmark gives up on it.
RUN_TIMEOUT_S = 3600


def optimise(tree: Path, region: Path, out: Path) -> tuple[float, float]:
    """Run ``branchlab optimize`` of checkout ``tree`` on ``region`` into ``out``: (wall s, CPU s)."""
    code = ("import sys; from branchlab.cli import main; "
            f"sys.argv = ['branchlab', 'optimize', {str(region)!r}, '--quick', '--executor', 'processes', "
            f"'--workers', '2', '--out', {str(out)!r}]; main()")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                          capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT_S)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise SystemExit(f"serial_part: branchlab optimize in {tree} failed: {tail[0]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True, help="the commit to compare with (a git revision)")
    parser.add_argument("--outlets", type=int, default=100, help="outlets of the province (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each checkout (default 3)")
    args = parser.parse_args()
    if args.outlets < 1:
        parser.error(f"--outlets: must be a whole number of at least 1, got {args.outlets}")
    if args.runs < 1:
        parser.error(f"--runs: must be a whole number of at least 1, got {args.runs}")
    sys.path.insert(0, str(ROOT))
    from benchmarks.make_province import write_province
    from benchmarks.worktree import add_worktree, remove_worktree

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        try:
            ref = add_worktree(args.ref, work / "ref")
        except ValueError as err:
            parser.error(f"--ref: {err}")
        try:
            region = write_province(args.outlets, work / "region.toml", seed=0)
            trees = {"this": ROOT, "ref": ref}
            for name, tree in trees.items():  # fill each checkout's cache: every later day is read from it
                wall, _ = optimise(tree, region, work / f"out_{name}")
                print(f"{name}: cache filled in {wall:.1f} s", flush=True)
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
            for run in range(args.runs):
                for name, tree in trees.items():
                    times[name].append(optimise(tree, region, work / f"out_{name}"))
                    wall, cpu = times[name][-1]
                    print(f"run {run + 1} {name}: wall {wall:.2f} s, CPU {cpu:.2f} s", flush=True)
        finally:
            remove_worktree(ref)
    this, old = times["this"], times["ref"]
    wall_ratio = statistics.median(a[0] / b[0] for a, b in zip(this, old, strict=True))
    cpu_ratio = statistics.median(a[1] / b[1] for a, b in zip(this, old, strict=True))
    print(f"median wall s: this {statistics.median(t[0] for t in this):.2f}, "
          f"ref {statistics.median(t[0] for t in old):.2f}; median CPU s: this "
          f"{statistics.median(t[1] for t in this):.2f}, ref {statistics.median(t[1] for t in old):.2f}")
    print(f"serial_wall_vs_ref={wall_ratio:.3f} serial_cpu_vs_ref={cpu_ratio:.3f}")


if __name__ == "__main__":
    main()
