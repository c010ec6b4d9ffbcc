"""Redraw docs/screenshots/: both HTML reports as a planner sees them, in headless Chromium at a desktop width.

    python docs/screenshots/make_screenshots.py            # about 1.5 minutes on 2 cores
    python docs/screenshots/make_screenshots.py --keep runs/shots   # keep the two output folders

``optimize_report.png``: the top of ``report.html`` of ``branchlab optimize --quick`` on the
shipped 12-outlet region (seed 0); ``quarter_report.png``: ``report.html`` of a three-quarter
``branchlab quarter`` study of the same region (seed 0). Both at 1,400 px wide. Needs a
Chromium on PATH (``apt-get install chromium``); a Chinese outlet name in the reports' text
also needs a CJK font the browser can use (``apt-get install fonts-noto-cjk``), the charts
carry their own.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REGION = ROOT / "scenarios" / "region_12_outlets.toml"
WIDTH = 1400
#: (file, page height in px): the optimiser's report is long, its top is what a planner reads first.
SHOTS = {"optimize_report.png": 2400, "quarter_report.png": 2000}


def browser() -> str:
    """The first Chromium-family browser on PATH."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("make_screenshots: no chromium on PATH (apt-get install chromium)")


def screenshot(html: Path, png: Path, height: int, profile: Path) -> None:
    """``html`` drawn by headless Chromium into ``png`` at WIDTH x ``height``."""
    png.unlink(missing_ok=True)  # so that a browser that writes nothing cannot leave the old picture looking new
    subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                    f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}", f"--screenshot={png}",
                    html.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    if not png.is_file() or png.stat().st_size == 0:
        raise SystemExit(f"make_screenshots: chromium wrote no {png}")


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--keep", type=Path, help="run into this folder and keep it (default: a temporary folder)")
    args.add_argument("--only", choices=("optimize", "quarter"), help="redraw one of the two (default both)")
    ns = args.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from branchlab.cli import main as branchlab

    with tempfile.TemporaryDirectory() as tmp:
        work = ns.keep or Path(tmp)
        runs = {"optimize_report.png": work / "optimize", "quarter_report.png": work / "quarter"}
        wanted = [n for n in SHOTS if ns.only is None or n.startswith(ns.only)]
        commands = {"optimize_report.png": ["optimize", str(REGION), "--quick", "--seed", "0"],
                    "quarter_report.png": ["quarter", str(REGION), "--quarters", "3", "--seed", "0"]}
        for name in wanted:
            status = branchlab([*commands[name], "--out", str(runs[name]), "-q"])
            if status != 0:
                return status
        for name in wanted:
            height = SHOTS[name]
            screenshot(runs[name] / "report.html", HERE / name, height, Path(tmp) / "chromium")
            print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
