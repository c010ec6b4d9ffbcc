"""Writing a :class:`~optimize.result.Recommendation` to a folder planners can open.

:func:`export` writes six files into the output folder, and one or two more when a plan has them:

- ``recommendation.csv``: the plan, one row per (outlet, tier, role, placement) with
  ``current``, ``recommended`` and ``change`` head-counts (:data:`PLAN_COLUMNS`);
- ``recommendation.json``: the whole answer as one document (:func:`recommendation_json`);
- ``candidates.csv``: every pattern generated, with its estimate and fate;
- ``recommendation.xlsx``: sheets :data:`SHEETS` (openpyxl, streamed row by row so a province's
  tables need no object per cell), formatted to circulate: the summary first
  (:func:`summary_sheet`), number formats by what a column holds, bold frozen headers, fitted
  widths (:func:`workbook_bytes`);
- ``report.html``: one self-contained page, charts embedded as PNG (:mod:`optimize.report`);
- ``transfers.csv``: who goes where (:data:`optimize.transfers.TRANSFER_COLUMNS`);
- with flexible posts, ``flex_posts.csv``: when each post's staff are called, today and
  recommended (:data:`optimize.tables.FLEX_COLUMNS`); with a roster, ``roster.csv``.

``export(rec, out, lang="zh")`` writes the two files people read (the workbook and the
report) with Chinese labels from :mod:`sim.labels`; the CSV and JSON files are the same
in every language. The CSV files start with UTF-8's byte-order mark, so Excel (which reads a CSV without one
in the machine's code page, GBK on a Chinese Windows) shows Chinese outlet names as written; pandas and
Python's ``utf-8-sig`` read it as nothing. The set is published whole or not at all
(:func:`sim.fileio.publish_set`): every file is rendered in memory and staged under a hidden name; the
previous set is moved aside and the new one renamed in; any failure, Ctrl-C included, puts the previous set back.
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
import unicodedata
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimize.holds import holds_table
from optimize.transfers import surplus
from sim.codes import ROLES
from sim.errors import ScenarioError
from sim.fileio import csv_text, file_in_the_way, publish_set
from sim.labels import EMPTY_TABLE, cell_label, check_lang, column_label, kpi_label, label, relabel

if TYPE_CHECKING:
    from optimize.result import Recommendation

#: Columns of ``recommendation.csv`` (and the ``by_outlet`` sheet), in order.
PLAN_COLUMNS = ("outlet", "tier", "role", "placement", "current", "recommended", "change")
#: Sheets of ``recommendation.xlsx``, in order (named ``sheet.*`` of :data:`sim.labels.LABELS` in Chinese).
SHEETS = ("summary", "service", "transfers", "conversions", "day_types", "stress", "by_outlet", "kpis",
          "constraints", "frontier", "candidates")
#: Sheets written after ``day_types`` only when they hold rows: the flexible posts' thresholds (an outlet
#: has one), the average-day plan against the robust one (day types in force) and the intraday roster
#: (asked for); without them the workbook is as before.
OPTIONAL_SHEETS = ("flex_posts", "robustness", "roster", "roster_kpis", "roster_hourly", "roster_iterations")
#: Data rows an Excel sheet holds below its header row.
EXCEL_MAX_ROWS = 1_048_575
#: Characters an Excel cell holds (Microsoft, "Excel specifications and limits"); openpyxl cuts a longer text
#: with only a warning, so the workbook cuts it first and says where the whole text is (:func:`fit_cells`).
EXCEL_MAX_CELL = 32_767
#: The files :func:`export` writes, in the order it returns them.
FILES = ("recommendation.csv", "recommendation.json", "candidates.csv", "recommendation.xlsx", "report.html",
         "transfers.csv")
#: The roster's file (:data:`optimize.tables.ROSTER_COLUMNS`), written after :data:`FILES` when a roster was
#: made (``[roster]``, ``--roster``) and removed from the folder when not.
ROSTER_FILE = "roster.csv"
#: The flexible posts' file (:data:`optimize.tables.FLEX_COLUMNS`), written when an outlet has a flexible
#: post (``[dispatch.flex.ZONE]``) and removed from the folder when none has.
FLEX_FILE = "flex_posts.csv"


def check_writable(out: str | Path) -> Path:
    """Create the output folder if needed and prove new files can be written in it, before any work.

    Raises:
        ScenarioError: ``out`` is a file (or another non-folder), cannot be created, or
            refuses new files; the one-line message names the path and the reason.
    """
    if str(out).strip() == "":
        raise ScenarioError("--out", "", "an empty path; give a folder (it is created if missing)")
    folder = Path(out)
    blocker = file_in_the_way(folder)
    if blocker == folder:
        raise ScenarioError(str(folder), "", "the output folder is a file; give a folder (it is created if missing)")
    if blocker is not None:
        raise ScenarioError(str(folder), "", f"{str(blocker)!r} is a file, not a folder; give a folder (it is created "
                            "if missing)")
    for name in (*FILES, ROSTER_FILE):
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
    ``constraints`` and ``frontier`` (lists of rows), with flexible posts ``flex_posts``, with day types
    ``robustness`` and with a roster
    ``roster`` (``people``, ``iterations``, ``kpis``, ``hourly``: the tables of the same names), and the
    package ``version``.
    """
    doc: dict[str, Any] = {"region": rec.region, "source": rec.source, **rec.summary(),
                           "outlets": _outlets(rec.plan),
                           "kpis_current": kpi_tree(rec.kpis, "current"),
                           "kpis_recommended": kpi_tree(rec.kpis, "recommended"),
                           "service": _records(rec.service), "transfers": _records(rec.transfers),
                           "surplus": _records(surplus(rec.transfers)) if not rec.transfers.empty else [],
                           "stability": rec.stability, "stress": _records(rec.stress),
                           "constraints": _records(rec.constraints), "frontier": _records(rec.frontier),
                           **({"flex_posts": _records(rec.flex_posts)} if not rec.flex_posts.empty else {}),
                           **({"robustness": _records(rec.robustness)} if not rec.robustness.empty else {}),
                           **({"roster": {"people": _records(rec.roster),
                                          "iterations": _records(rec.roster_iterations),
                                          "kpis": _records(rec.roster_kpis), "hourly": _records(rec.roster_hourly)}}
                              if not rec.roster.empty else {}),
                           "version": package_version()}
    return dict(jsonable(doc))


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        return [row for k, v in value.items() for row in _flatten(f"{prefix}.{k}" if prefix else str(k), v)]
    if isinstance(value, list | tuple):  # rows of a table (tier moves, conversions) as "key=value, ..." each
        return [(prefix, "; ".join(", ".join(f"{k}={v}" for k, v in item.items()) if isinstance(item, Mapping)
                                   else str(item) for item in value))]
    return [(prefix, value)]


def fit_cells(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """``frame`` with every text longer than an Excel cell holds (:data:`EXCEL_MAX_CELL` characters) cut to fit
    and ending in a note (``xl.cell_cut``, in ``lang``) of how many characters were cut and where the whole
    text is (a province's list of tier moves in the summary, say); ``frame`` itself when no text is that long."""
    def too_long(value: Any) -> bool:
        return isinstance(value, str) and len(value) > EXCEL_MAX_CELL

    def fit(value: Any) -> Any:
        if not too_long(value):
            return value
        keep = EXCEL_MAX_CELL - len(label("xl.cell_cut", lang, more=len(value), limit=EXCEL_MAX_CELL))
        return value[:keep] + label("xl.cell_cut", lang, more=len(value) - keep, limit=EXCEL_MAX_CELL)

    texts = [c for c in frame.columns if frame[c].dtype == object and frame[c].map(too_long).any()]
    if not texts:
        return frame
    out = frame.copy()
    for c in texts:
        out[c] = out[c].map(fit)
    return out


def summary_frame(rec: Recommendation, notes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Every summary item as one ``field``/``value`` row, nested keys dotted (``headline.uplift.mean``), then ``notes``.

    These are the keys of ``recommendation.json``; the ``summary`` sheet ends with them
    (:func:`summary_sheet` puts the verified value, service and the run's parameters first).
    """
    top = {"region": rec.region, "source": rec.source, **rec.summary(), "version": package_version(),
           **(notes or {})}
    return pd.DataFrame(_flatten("", jsonable(top)), columns=["field", "value"])


#: Excel number formats: yuan without decimals, shares as percentages, counts as integers (signed for changes).
YUAN, SIGNED_YUAN = "#,##0", "+#,##0;-#,##0;0"
RATE, SIGNED_RATE = "0.0%", "+0.0%;-0.0%;0.0%"
COUNT, SIGNED_COUNT = "0", "+0;-0;0"
DECIMAL, SECONDS, SCIENTIFIC, DATE = "#,##0.0", "0.0", "0.0E+00", "yyyy-mm-dd hh:mm"
#: How each format shows a number, as a Python format spec (to fit column widths to the content).
_SHOWN = {YUAN: ",.0f", SIGNED_YUAN: "+,.0f", RATE: ".1%", SIGNED_RATE: "+.1%", COUNT: ".0f", SIGNED_COUNT: "+.0f",
          DECIMAL: ",.1f", SECONDS: ".1f", SCIENTIFIC: ".1E"}
#: Columns and KPIs in yuan/day.
YUAN_IDS = frozenset({"objective", "value_yuan", "value_lost_yuan", "objective_mean", "objective_ci95_low",
                      "objective_ci95_high", "bound", "predicted", "screening_estimate"})
#: Head-count columns (role columns too).
COUNT_IDS = frozenset({*ROLES, "current", "recommended", "people", "budget", "n", "replications", "pattern",
                       "cm_inside", "cm_outside", "total", "added", "removed"})
#: Widest column (characters; longer text wraps where the sheet wraps), the narrowest, and the
#: summary sheet's widest (its columns wrap, so it prints on one page width).
MAX_WIDTH, MIN_WIDTH, SUMMARY_WIDTH = 60, 6, 44
#: Integers above this lose digits as Excel numbers (doubles): they are written as text (seeds up to 2**63 - 1).
EXACT_INT = 2**53


def _is_rate(name: str) -> bool:
    """A share (walk-out rate, a zone's service level, utilisation), shown as a percentage."""
    return name in ("walkout_rate", "utilisation", "share_realised") or name.endswith((".service_level", "_rate"))


def _number_format(sheet: str, column: str) -> str | None:
    """The format of a numeric column of ``sheet`` (``None``: Excel's General, for mixed units)."""
    if sheet == "service":
        return SIGNED_RATE if column.startswith("change") else RATE
    if sheet == "constraints":
        return None  # limits and values of rules in people, ratios or VIP slots
    if column in ("change", "delta"):
        return SIGNED_COUNT
    if column == "marginal_yuan":
        return SIGNED_YUAN
    if column in YUAN_IDS or column.endswith("_yuan"):
        return YUAN
    if _is_rate(column):
        return RATE
    return COUNT if column in COUNT_IDS else None


def _kpi_format(kpi: Any) -> str:
    """The format of one KPI's mean and CI (the ``kpis`` sheet has one KPI a row)."""
    name = str(kpi)
    return YUAN if name in YUAN_IDS else RATE if _is_rate(name) else DECIMAL


#: Sheets with one KPI a row, and (the start of) their columns formatted by the row's KPI.
_KPI_ROWS = {"kpis": ("mean", "ci95_low", "ci95_high"), "robustness": ("average_day", "robust", "change")}


def _cell_formats(sheet: str, frame: pd.DataFrame) -> list[list[str | None]]:
    """The number format of every data cell, one list per column (machine column names decide)."""
    by_kpi = [_kpi_format(k) for k in frame["kpi"]] if sheet in _KPI_ROWS and "kpi" in frame else None
    formats: list[list[str | None]] = []
    for column in frame.columns:
        data = frame[column]
        if by_kpi is not None and str(column).startswith(_KPI_ROWS[sheet]):
            formats.append(list(by_kpi))
        elif pd.api.types.is_numeric_dtype(data) and not pd.api.types.is_bool_dtype(data):
            formats.append([_number_format(sheet, str(column))] * len(frame))
        else:
            formats.append([None] * len(frame))
    return formats


def _width(value: Any, number_format: str | None = None) -> int:
    """Characters a cell needs as Excel shows it, longest line (CJK characters count twice)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, bool | np.bool_):
        text = str(bool(value)).upper()
    elif isinstance(value, datetime):  # as wide as its format shows it (each letter one digit)
        text = number_format or _DATETIME
    elif isinstance(value, int | float | np.number):
        spec = _SHOWN.get(number_format or "")
        text = format(float(value), spec) if spec else f"{value:.10g}"
    else:
        text = str(value)
    return max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
               for line in text.splitlines() or [""])


def _write_sheet(book: Any, title: str, shown: pd.DataFrame, formats: list[list[str | None]],
                 wrap: Collection[int] = (), bold_rows: Collection[int] = (), max_width: int = MAX_WIDTH) -> None:
    """Write ``shown`` as a sheet of the write-only workbook ``book``, one a bank can circulate: a bold
    header row frozen at the top, each cell's number format, column widths fitted to the content (at most
    ``max_width``), printed landscape one page wide with the header row on every page.

    ``shown`` is the frame as written (headings may be labels); ``formats`` comes from
    :func:`_cell_formats` of the machine frame, column by column. Columns at the positions in
    ``wrap`` wrap their text; data rows at the positions in ``bold_rows`` are section titles. The rows
    are streamed to the file as they are made (openpyxl's write-only mode), so a province's tables
    need memory for one row, not one object per cell; a text cell is always text, never a formula
    (an outlet named ``=1+1`` would show 2, ``=HYPERLINK(...)`` a live link).
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.styles.fonts import DEFAULT_FONT
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"  # printed: the header on every page, landscape, one page wide
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    bold = Font(name=DEFAULT_FONT.name, sz=DEFAULT_FONT.sz, bold=True)  # the workbook's font (Calibri 11), bold
    wrapped = Alignment(wrap_text=True, vertical="top")
    for j, column_formats in enumerate(formats):
        needed = max([_width(shown.columns[j]), *map(_width, shown.iloc[:, j].tolist(), column_formats)])
        sheet.column_dimensions[get_column_letter(j + 1)].width = min(max(needed, MIN_WIDTH), max_width) + 2

    def cell(value: Any, number_format: str | None, wraps: bool, is_bold: bool) -> Any:
        written, shown_as = _excel_value(value)
        number_format = number_format or shown_as
        if not (wraps or is_bold or number_format or (isinstance(written, str) and written.startswith("="))):
            return written
        out = WriteOnlyCell(sheet, value=written)
        if out.data_type == "f":
            out.data_type = "s"
        if number_format:
            out.number_format = number_format
        if wraps:
            out.alignment = wrapped
        if is_bold:
            out.font = bold
        return out

    header = []
    for name in shown.columns:
        head = cell(name, None, True, True)
        head.fill = PatternFill("solid", start_color="DDE6F0")
        header.append(head)
    sheet.append(header)
    wrap, bold_rows = frozenset(wrap), frozenset(bold_rows)
    for i, row in enumerate(shown.itertuples(index=False, name=None)):
        titled = i in bold_rows
        sheet.append([cell(value, formats[j][i], j in wrap, titled) for j, value in enumerate(row)])


#: How pandas writes a date and time to Excel (``pd.ExcelWriter``'s ``datetime_format``), kept for cells
#: no column format covers.
_DATETIME = "YYYY-MM-DD HH:MM:SS"


def _excel_value(value: Any) -> tuple[Any, str | None]:
    """A frame's value as an Excel cell holds it, and its number format if the value sets one: missing as
    an empty text, numpy numbers as Python's, infinities as ``inf`` text, dates as themselves, anything
    else as its text (what ``DataFrame.to_excel`` writes)."""
    if value is None or value is pd.NaT or (isinstance(value, float | np.floating) and math.isnan(value)):
        return "", None
    if isinstance(value, bool | np.bool_):
        return bool(value), None
    if isinstance(value, int | np.integer):
        return int(value), None
    if isinstance(value, float | np.floating):
        return (float(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")), None
    if isinstance(value, datetime):
        return value, _DATETIME
    return str(value), None


def _field_format(field: str, value: Any) -> str | None:
    """The format of one ``field``/``value`` row of the summary (dotted ``recommendation.json`` keys)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    parts = field.split(".")
    if parts[0] == "timings":
        return SECONDS
    if parts[-1] in ("gap", "gap_limit"):
        return SCIENTIFIC
    if any(_is_rate(p) or p == "service_level" for p in parts):
        return RATE
    if parts[-1] in (*YUAN_IDS, "mean", "ci95_low", "ci95_high") or parts[-1].endswith("_yuan"):
        return YUAN
    return COUNT if isinstance(value, int) else None


def _exact(value: Any) -> Any:
    """An integer Excel would round (a seed near 2**63) as text; anything else unchanged."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) and abs(value) > EXACT_INT else value


def _signed_share(value: float) -> str:
    """A change of a share in percentage points, signed, two decimals (``-0.40`` for 0.75 → 0.746; the
    label says pp); a rounding residue reads ``+0.00``, not ``-0.00``."""
    return f"{round(float(value) * 100.0, 2) + 0.0:+.2f}"


def summary_sheet(rec: Recommendation, notes: Mapping[str, str] | None = None, lang: str = "en",
                  exported: datetime | None = None) -> tuple[pd.DataFrame, list[str | None], list[int]]:
    """The ``summary`` sheet: what the plan is worth and does to service first, then the run, then every field.

    Three sections, each under a title row: the verified value of both plans and the
    paired uplift (yuan/day with 95% CIs), the region's walk-out rate and zone service
    levels today and recommended (with the paired change), the outlets worse beyond
    noise, head-counts and the screening estimate (:meth:`Recommendation.headline`);
    then the run (``exported`` time, default now; region, region file, seed, days,
    solver, gap, frontier, stable-plan tolerance, stress test, version); then every
    :func:`summary_frame` row under its ``recommendation.json`` key. Columns ``field``,
    ``value``, ``ci95_low``, ``ci95_high``, ``note`` (labelled in ``lang``). Returns the
    frame, the number format of each row's numbers and the positions of the title rows.
    """
    from optimize.report import flex_lines, pattern_counts, worse_outlets

    rows: list[tuple[Any, ...]] = []
    formats: list[str | None] = []
    titles: list[int] = []

    def add(field: str, value: Any = None, low: Any = None, high: Any = None, note: str = "",
            number_format: str | None = None) -> None:
        rows.append((field, _exact(value), low, high, note))
        formats.append(number_format)

    def title(key: str) -> None:
        titles.append(len(rows))
        add(label(key, lang))

    def text(key: str, **fields: Any) -> str:
        return label(key, lang, **fields)

    n, head = rec.replications, rec.headline()
    title("xl.section_verified")
    for key, plan in (("fact.value_recommended", "recommended"), ("fact.value_today", "current")):
        v = rec.verified(plan)
        add(text(key), v["mean"], v["ci95_low"], v["ci95_high"], text("xl.yuan_days", n=n), YUAN)
    u = rec.uplift
    add(text("fact.uplift"), u.get("mean"), u.get("ci95_low"), u.get("ci95_high"), text("xl.yuan_paired", n=n),
        SIGNED_YUAN)
    region = rec.service[rec.service["outlet"] == "region"] if not rec.service.empty else rec.service
    for r in region.to_dict("records"):
        name = kpi_label(str(r["kpi"]), lang)
        change = text("xl.change", change=_signed_share(r["change"]), low=_signed_share(r["change_ci95_low"]),
                      high=_signed_share(r["change_ci95_high"])) + (text("text.worse_flag") if r["worse"] else "")
        add(text("xl.today", kpi=name), r["current"], r["current_ci95_low"], r["current_ci95_high"], "", RATE)
        add(text("xl.recommended", kpi=name), r["recommended"], r["recommended_ci95_low"],
            r["recommended_ci95_high"], change, RATE)
    add(text("fact.worse_outlets"), text("text.item_sep").join(worse_outlets(rec, lang)) or text("text.none"))
    if not rec.flex_posts.empty:
        add(text("fact.flex_posts"), text("text.item_sep").join(flex_lines(rec, lang)))
    hc = rec.headcount
    for key, value in (("xl.headcount_today", hc.get("current")), ("xl.headcount_recommended", hc.get("recommended")),
                       ("xl.headcount_budget", hc.get("budget")), ("xl.surplus", head["surplus_people"]),
                       ("xl.hired", head["hired_people"])):
        add(text(key), value, note=text("xl.unit_people"), number_format=COUNT)
    add(text("fact.screening"), rec.objective, note=text("xl.screening_note"), number_format=YUAN)
    add(text("fact.status"), f"{cell_label('status', rec.status, lang)} ({rec.solver})")

    title("xl.section_run")
    add(text("xl.exported"), exported or datetime.now().replace(microsecond=0), number_format=DATE)
    add(text("xl.region"), rec.region)
    add(text("xl.region_file"), rec.source)
    add(text("xl.seed"), str(rec.seed))
    add(text("xl.replications"), rec.replications, number_format=COUNT)
    add(text("xl.solver"), rec.solver)
    add(text("xl.gap_limit"), rec.gap_limit, number_format=SCIENTIFIC)
    add(text("xl.gap"), rec.gap, number_format=SCIENTIFIC)
    if not rec.frontier.empty:
        add(text("xl.frontier"), text("xl.frontier_range", low=int(rec.frontier["budget"].min()),
                                      high=int(rec.frontier["budget"].max())))
    tolerance = rec.stability.get("tolerance_yuan")
    add(text("xl.tolerance"), tolerance if tolerance else text("text.off"), number_format=YUAN)
    add(text("xl.stress"), text("xl.stress_run", variants=int(rec.stress["variants"].iloc[0]))
        if not rec.stress.empty and "variants" in rec.stress else text("text.stress_not_run"))
    add(text("fact.patterns"), pattern_counts(rec, lang))
    add(text("xl.version"), package_version())

    title("xl.section_fields")
    for field, value in summary_frame(rec, notes).itertuples(index=False, name=None):
        add(str(field), value, number_format=_field_format(str(field), value))
    columns = [text("xl.column_field"), text("xl.column_value"), column_label("ci95_low", lang),
               column_label("ci95_high", lang), text("xl.column_note")]
    if lang == "en":
        columns[2:4] = ["ci95_low", "ci95_high"]
    return pd.DataFrame(rows, columns=columns), formats, titles


def workbook_bytes(rec: Recommendation, max_rows: int = EXCEL_MAX_ROWS, lang: str = "en",
                   exported: datetime | None = None) -> bytes:
    """``recommendation.xlsx`` in memory: the sheets of :data:`SHEETS`, one table each, no index column.

    The summary comes first (:func:`summary_sheet`). Every sheet has its header row bold
    and frozen, number formats by what a column holds (yuan ``#,##0``, shares ``0.0%``,
    head-counts ``0``; changes signed), widths fitted to the content and the policy rules'
    text wrapped. ``lang="zh"`` labels sheet names, headings and the ids in cells
    (:func:`sim.labels.relabel`); the numbers are the same. A table longer than
    ``max_rows`` (Excel's limit less the header) keeps its first ``max_rows`` rows, and
    the summary sheet says so; the CSV files hold every row.
    """
    check_lang(lang)
    frames = {"service": rec.service, "transfers": rec.transfers, "stress": holds_table(rec.stress),
              "conversions": rec.conversions, "day_types": rec.day_types,
              "by_outlet": rec.plan.loc[:, list(PLAN_COLUMNS)], "kpis": rec.kpis,
              "constraints": rec.constraints, "frontier": rec.frontier, "candidates": rec.candidates,
              "flex_posts": rec.flex_posts, "robustness": rec.robustness, "roster": rec.roster,
              "roster_kpis": rec.roster_kpis,
              "roster_hourly": rec.roster_hourly, "roster_iterations": rec.roster_iterations}
    notes = {f"note.{name}": f"first {max_rows} of {len(frame)} rows (every row is in the CSV files)"
             for name, frame in frames.items() if len(frame) > max_rows}
    summary, summary_formats, titles = summary_sheet(rec, notes, lang, exported)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name in sheets(rec):
        sheet_name = name if lang == "en" else label(f"sheet.{name}", lang)
        if name == "summary":
            plain: list[str | None] = [None] * len(summary)
            formats = [plain, summary_formats, summary_formats, summary_formats, plain]
            _write_sheet(book, sheet_name, fit_cells(summary, lang), formats, wrap=(0, 1, 4), bold_rows=titles,
                         max_width=SUMMARY_WIDTH)
        elif frames[name].empty:  # a sheet says why it is empty rather than showing nothing
            why = label(EMPTY_TABLE.get(name, "text.none_table"), lang)
            _write_sheet(book, sheet_name, pd.DataFrame({label("column.note", lang): [why]}), [[None]])
        else:
            frame = frames[name].head(max_rows)
            wrap = [list(frame.columns).index("rule")] if name == "constraints" and "rule" in frame else []
            _write_sheet(book, sheet_name, fit_cells(relabel(frame, lang), lang), _cell_formats(name, frame),
                         wrap=wrap)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheets(rec: Recommendation) -> tuple[str, ...]:
    """The workbook's sheets, in order: :data:`SHEETS`, with each of :data:`OPTIONAL_SHEETS` that ``rec``
    fills after ``day_types``."""
    extra = tuple(name for name in OPTIONAL_SHEETS if not getattr(rec, name).empty)
    at = SHEETS.index("day_types") + 1
    return (*SHEETS[:at], *extra, *SHEETS[at:])


def render(rec: Recommendation, lang: str = "en") -> dict[str, bytes]:
    """Every file of :data:`FILES` (and :data:`FLEX_FILE` with flexible posts, :data:`ROSTER_FILE` with a
    roster) rendered in memory, by name, in that order; ``lang`` labels the Excel file and the report."""
    from optimize.report import report_html

    makers: dict[str, Callable[[], str | bytes]] = {
        "recommendation.csv": lambda: csv_text(rec.plan.loc[:, list(PLAN_COLUMNS)]),
        "transfers.csv": lambda: csv_text(rec.transfers),
        "recommendation.json": lambda: json.dumps(recommendation_json(rec), indent=2, ensure_ascii=False,
                                                  allow_nan=False) + "\n",
        "candidates.csv": lambda: csv_text(rec.candidates),
        # the default language keeps the one-argument call (a test replaces workbook_bytes by one)
        "recommendation.xlsx": lambda: workbook_bytes(rec, lang=lang) if lang != "en" else workbook_bytes(rec),
        "report.html": lambda: report_html(rec, package_version(), lang),
    }
    names: tuple[str, ...] = FILES
    if not rec.flex_posts.empty:
        makers[FLEX_FILE] = lambda: csv_text(rec.flex_posts)
        names = (*names, FLEX_FILE)
    if not rec.roster.empty:
        makers[ROSTER_FILE] = lambda: csv_text(rec.roster)
        names = (*names, ROSTER_FILE)
    out = {}
    for name in names:
        data = makers[name]()
        if isinstance(data, str):
            data = data.encode("utf-8-sig" if name.endswith(".csv") else "utf-8")
        out[name] = data
    return out


def export(rec: Recommendation, out: str | Path, lang: str = "en") -> list[Path]:
    """Write the recommendation's files (:data:`FILES`) into folder ``out``, all or none; return their paths.

    ``lang`` (``"en"`` or ``"zh"``, :data:`sim.labels.LANGS`) is the language of the files
    people read, ``report.html`` and ``recommendation.xlsx``: headings, and the names of
    zones, roles, tiers and KPIs. The CSV and JSON files keep the machine ids either way.

    Raises:
        ValueError: ``lang`` is not a language of :data:`sim.labels.LANGS`.
        ScenarioError: ``out`` cannot be used as an output folder (see :func:`check_writable`).
    """
    check_lang(lang)
    folder = check_writable(out)
    return publish_set(folder, render(rec, lang), stale=(FLEX_FILE, ROSTER_FILE))
