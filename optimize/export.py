"""Writing a :class:`~optimize.result.Recommendation` to a folder planners can open.

:func:`export` writes six files into the output folder:

- ``recommendation.csv``: the plan, one row per (outlet, tier, role, placement) with
  ``current``, ``recommended`` and ``change`` head-counts (:data:`PLAN_COLUMNS`);
- ``recommendation.json``: the whole answer as one document (:func:`recommendation_json`);
- ``candidates.csv``: every pattern generated, with its estimate and fate;
- ``recommendation.xlsx``: sheets :data:`SHEETS` (openpyxl);
- ``report.html``: one self-contained page, charts embedded as PNG (:mod:`optimize.report`);
- ``transfers.csv``: who goes where (:data:`optimize.transfers.TRANSFER_COLUMNS`).

The set is published whole or not at all (:func:`sim.fileio.publish_set`): every file
is rendered in memory and staged under a hidden name; the previous set is moved aside
and the new one renamed in; any failure, Ctrl-C included, puts the previous set back.
Text from the region file never becomes a formula: CSV text cells that start like one
are quoted with ``'``, and Excel text cells are stored as text. Call
:func:`check_writable` before any long run, so a bad folder fails in a second, not
after the simulation.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimize.holds import holds_table
from optimize.transfers import surplus
from sim.errors import ScenarioError
from sim.fileio import csv_text, publish_set

if TYPE_CHECKING:
    from optimize.result import Recommendation

#: Columns of ``recommendation.csv`` (and the ``by_outlet`` sheet), in order.
PLAN_COLUMNS = ("outlet", "tier", "role", "placement", "current", "recommended", "change")
#: Sheets of ``recommendation.xlsx``, in order.
SHEETS = ("summary", "service", "transfers", "stress", "by_outlet", "kpis", "constraints", "frontier", "candidates")
#: Data rows an Excel sheet holds below its header row.
EXCEL_MAX_ROWS = 1_048_575
#: The files :func:`export` writes, in the order it returns them.
FILES = ("recommendation.csv", "recommendation.json", "candidates.csv", "recommendation.xlsx", "report.html",
         "transfers.csv")


def check_writable(out: str | Path) -> Path:
    """Create the output folder if needed and prove new files can be written in it, before any work.

    Raises:
        ScenarioError: ``out`` is a file (or another non-folder), cannot be created, or
            refuses new files; the one-line message names the path and the reason.
    """
    if str(out).strip() == "":
        raise ScenarioError("--out", "", "an empty path; give a folder (it is created if missing)")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(str(folder), "", "the output folder is a file; give a folder (it is created if missing)")
    for name in FILES:
        if (folder / name).is_dir():
            raise ScenarioError(str(folder / name), "", "a folder stands where this export file goes; move it away")
    if (folder / "cache").exists() and not (folder / "cache").is_dir():
        raise ScenarioError(str(folder / "cache"), "", "a file stands where the simulation cache folder goes; "
                            "move it away or use --no-cache")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError(str(folder), "", f"cannot write the output folder ({reason}); "
                                             "give a folder you may create files in") from None
    return folder


def package_version() -> str:
    """The installed branchlab version, or ``"unknown"`` when running from an uninstalled checkout."""
    try:
        return metadata.version("branchlab")
    except metadata.PackageNotFoundError:
        return "unknown"


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars as Python numbers, tuples as lists and NaN/±inf as ``None``."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False, name=None)]


def _outlets(plan: pd.DataFrame) -> dict[str, Any]:
    """Per outlet: tier, ``plan[role][placement] = {current, recommended, change}``, the moves and totals."""
    out: dict[str, Any] = {}
    for outlet, rows in plan.groupby("outlet", sort=False):
        cells: dict[str, dict[str, Any]] = {}
        for r in _records(rows):
            cells.setdefault(r["role"], {})[r["placement"]] = {k: r[k] for k in ("current", "recommended", "change")}
        moved = rows[rows["change"] != 0]
        out[str(outlet)] = {
            "tier": rows["tier"].iloc[0], "plan": cells,
            "moves": [{k: r[k] for k in ("role", "placement", "change")} for r in _records(moved)],
            "headcount": {"current": rows["current"].sum(), "recommended": rows["recommended"].sum()},
        }
    return out


def kpi_tree(kpis: pd.DataFrame, plan: str) -> dict[str, dict[str, dict[str, Any]]]:
    """``{outlet: {kpi: {"mean": m, "ci95": [lo, hi]}}}`` of one plan (``current`` or ``recommended``)."""
    tree: dict[str, dict[str, dict[str, Any]]] = {}
    for r in _records(kpis[kpis["plan"] == plan]):
        tree.setdefault(str(r["outlet"]), {})[str(r["kpi"])] = {"mean": r["mean"],
                                                                 "ci95": [r["ci95_low"], r["ci95_high"]]}
    return tree


def recommendation_json(rec: Recommendation) -> dict[str, Any]:
    """The recommendation as one JSON-ready document (NaN as ``None``); ``recommendation.json`` holds it.

    Keys: the :meth:`Recommendation.summary` fields (``status``, ``objective``, ``bound``,
    ``gap``, ``solver``, ``seed``, ``headcount``, ``uplift``, ``binding`` …), ``region``,
    ``source``, ``outlets`` (per outlet: ``tier``, ``plan[role][placement]`` =
    ``{current, recommended, change}``, ``moves`` and ``headcount``), ``kpis_current`` and
    ``kpis_recommended`` (per outlet and ``region``, see :func:`kpi_tree`),
    ``constraints`` and ``frontier`` (lists of rows) and the package ``version``.
    """
    doc: dict[str, Any] = {"region": rec.region, "source": rec.source, **rec.summary(),
                           "outlets": _outlets(rec.plan),
                           "kpis_current": kpi_tree(rec.kpis, "current"),
                           "kpis_recommended": kpi_tree(rec.kpis, "recommended"),
                           "service": _records(rec.service), "transfers": _records(rec.transfers),
                           "surplus": _records(surplus(rec.transfers)) if not rec.transfers.empty else [],
                           "stability": rec.stability, "stress": _records(rec.stress),
                           "constraints": _records(rec.constraints), "frontier": _records(rec.frontier),
                           "version": package_version()}
    return dict(jsonable(doc))


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        return [row for k, v in value.items() for row in _flatten(f"{prefix}.{k}" if prefix else str(k), v)]
    if isinstance(value, list | tuple):
        return [(prefix, "; ".join(map(str, value)))]
    return [(prefix, value)]


def summary_frame(rec: Recommendation, notes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The ``summary`` sheet: one ``field``/``value`` row per summary item, nested keys dotted, then ``notes``."""
    top = {"region": rec.region, "source": rec.source, **rec.summary(), "version": package_version(),
           **(notes or {})}
    return pd.DataFrame(_flatten("", jsonable(top)), columns=["field", "value"])


def workbook_bytes(rec: Recommendation, max_rows: int = EXCEL_MAX_ROWS) -> bytes:
    """``recommendation.xlsx`` in memory: the sheets of :data:`SHEETS`, one table each, no index column.

    A table longer than ``max_rows`` (Excel's limit less the header) keeps its first
    ``max_rows`` rows, and the summary sheet says so; the CSV files hold every row.
    """
    frames = {"service": rec.service, "transfers": rec.transfers, "stress": holds_table(rec.stress),
              "by_outlet": rec.plan.loc[:, list(PLAN_COLUMNS)], "kpis": rec.kpis,
              "constraints": rec.constraints, "frontier": rec.frontier, "candidates": rec.candidates}
    notes = {f"note.{name}": f"first {max_rows} of {len(frame)} rows (every row is in the CSV files)"
             for name, frame in frames.items() if len(frame) > max_rows}
    frames["summary"] = summary_frame(rec, notes)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name in SHEETS:
            frame = frames[name] if name == "summary" else frames[name].head(max_rows)
            frame.to_excel(writer, sheet_name=name, index=False)
            _as_text(writer.sheets[name])
    return buffer.getvalue()


def _as_text(sheet: Any) -> None:
    """Keep every text cell text: openpyxl stores a string starting with ``=`` as a formula, so an
    outlet named ``=1+1`` would show 2 (or ``=HYPERLINK(...)`` a live link)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def render(rec: Recommendation) -> dict[str, bytes]:
    """Every file of :data:`FILES` rendered in memory, by name."""
    from optimize.report import report_html

    makers: dict[str, Callable[[], str | bytes]] = {
        "recommendation.csv": lambda: csv_text(rec.plan.loc[:, list(PLAN_COLUMNS)]),
        "transfers.csv": lambda: csv_text(rec.transfers),
        "recommendation.json": lambda: json.dumps(recommendation_json(rec), indent=2, ensure_ascii=False,
                                                  allow_nan=False) + "\n",
        "candidates.csv": lambda: csv_text(rec.candidates),
        "recommendation.xlsx": lambda: workbook_bytes(rec),
        "report.html": lambda: report_html(rec, package_version()),
    }
    out = {}
    for name in FILES:
        data = makers[name]()
        out[name] = data.encode("utf-8") if isinstance(data, str) else data
    return out


def export(rec: Recommendation, out: str | Path) -> list[Path]:
    """Write the recommendation's files (:data:`FILES`) into folder ``out``, all or none; return their paths.

    Raises:
        ScenarioError: ``out`` cannot be used as an output folder (see :func:`check_writable`).
    """
    folder = check_writable(out)
    return publish_set(folder, render(rec))
