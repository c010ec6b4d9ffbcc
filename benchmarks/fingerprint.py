"""Fingerprints of the shipped scenarios' outputs, to show a refactor or an off lever changes no number.

Runs ``branchlab simulate`` on every shipped outlet scenario, ``branchlab optimize``
(full and ``--quick``) on the shipped region and ``branchlab quarter`` for one short quarter, and
prints one SHA-256 per output file (run-time and timestamp fields dropped from JSON; a workbook
digested as what a reader of it sees, :func:`workbook_form`, with the export time left out).
Run it on two checkouts and ``diff`` the two listings::

    python benchmarks/fingerprint.py > after.txt   # in each checkout
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTLETS = ("flagship_outlet", "backbone_outlet", "advancing_outlet", "potential_outlet", "mmc_cash_only")
#: JSON keys that record when or how fast a run was, not what it found.
VOLATILE = ("timings", "seconds", "elapsed", "created", "timestamp", "version")


def _scrub(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _scrub(v) for k, v in obj.items() if not any(w in k.lower() for w in VOLATILE)}
    if isinstance(obj, list):
        return [_scrub(v) for v in obj]
    return obj


def workbook_form(path: Path) -> list[Any]:
    """What an ``.xlsx`` shows, sheet by sheet, as plain values: the sheet's name, freeze panes, printed
    title rows, page set-up and column widths, then every cell's value, type, number format, font, fill,
    alignment and border (date cells by their type only: the summary's export time changes every run; the
    summary's rows named by a :data:`VOLATILE` word, such as its timings, left out as in the JSON files)."""
    from openpyxl import load_workbook

    def side(s: Any) -> Any:
        return s.style if s is not None else None

    form: list[Any] = []
    for ws in load_workbook(path).worksheets:
        ps = ws.page_setup
        form.append([ws.title, ws.freeze_panes, ws.print_title_rows, ps.orientation, ps.fitToWidth, ps.fitToHeight,
                     ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None,
                     sorted((k, d.width) for k, d in ws.column_dimensions.items())])
        for row in ws.iter_rows():
            if isinstance(row[0].value, str) and any(w in row[0].value.lower() for w in VOLATILE):
                continue
            for c in row:
                value = type(c.value).__name__ if c.is_date else c.value
                f, a, b = c.font, c.alignment, c.border
                form.append([c.coordinate, value, c.data_type, c.number_format, f.name, f.sz, f.b,
                             c.fill.fill_type, c.fill.fgColor.rgb, a.horizontal, a.vertical, a.wrap_text,
                             side(b.left), side(b.right), side(b.top), side(b.bottom)])
    return form


def _digest(path: Path) -> str:
    if path.suffix == ".xlsx":
        data = json.dumps(workbook_form(path), default=str).encode()
    elif path.suffix == ".json":
        data = json.dumps(_scrub(json.loads(path.read_text(encoding="utf-8"))), sort_keys=True).encode()
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "branchlab.cli", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def main() -> None:
    """Run the shipped jobs into a temporary folder and print ``name digest`` lines."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name in OUTLETS:
            _run("simulate", f"scenarios/{name}.toml", "-n", "20", "--seed", "3", "-q",
                 "--show", "zones", "--json", str(out / f"{name}.json"))
        region = "scenarios/region_12_outlets.toml"
        _run("optimize", region, "--quick", "--no-cache", "--out", str(out / "optimize_quick"), "-q")
        _run("optimize", region, "--no-cache", "--out", str(out / "optimize"), "-q")
        _run("quarter", region, "--quarters", "1", "--out", str(out / "quarter"), "-q")
        files = sorted(out.rglob("*.json")) + sorted(out.rglob("*.csv")) + sorted(out.rglob("*.xlsx"))
        for path in files:
            print(path.relative_to(out), _digest(path))


if __name__ == "__main__":
    main()
