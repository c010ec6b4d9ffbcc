"""recommendation.xlsx is a workbook a bank can circulate: read back with openpyxl, cell by cell.

Number formats (yuan without decimals, shares as percentages, head-counts as integers,
changes signed), a bold header row frozen on every sheet, widths fitted to the content,
the policy rules wrapped, and a summary sheet that leads with the verified value and
service and carries the run's date, seed, region file and parameters.
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime
from io import BytesIO
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optimize.export import MAX_WIDTH, SHEETS, workbook_bytes
from tests.fake_service import full_recommendation

EXPORTED = datetime(2026, 12, 2, 9, 30)
REC = full_recommendation()


@pytest.fixture(scope="module")
def book() -> Any:
    return openpyxl.load_workbook(BytesIO(workbook_bytes(REC, exported=EXPORTED)))


def _columns(sheet: Any) -> dict[str, int]:
    """Heading → column number (1-based)."""
    return {str(c.value): c.column for c in sheet[1]}


def _formats(sheet: Any, heading: str) -> set[str]:
    col = _columns(sheet)[heading]
    return {sheet.cell(row=r, column=col).number_format for r in range(2, sheet.max_row + 1)}


def _width(sheet: Any, heading: str) -> float:
    from openpyxl.utils import get_column_letter

    return float(sheet.column_dimensions[get_column_letter(_columns(sheet)[heading])].width)


def test_every_sheet_has_a_bold_frozen_header_row(book: Any) -> None:
    assert book.sheetnames == list(SHEETS)
    for sheet in book.worksheets:
        if sheet.max_column == 1 and sheet["A1"].value is None:
            continue  # the stress sheet of a run without --stress has no table
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        assert not any(cell.font.bold for cell in sheet[2] if sheet.title != "summary"), sheet.title


def test_head_counts_are_integers_and_changes_signed(book: Any) -> None:
    plan = book["by_outlet"]
    assert _formats(plan, "current") == _formats(plan, "recommended") == {"0"}
    assert _formats(plan, "change") == {"+0;-0;0"}
    assert _formats(plan, "outlet") == {"General"}  # text is left alone
    assert _formats(book["transfers"], "people") == {"0"}
    frontier = book["frontier"]
    assert _formats(frontier, "budget") == {"0"}
    assert _formats(frontier, "delta") == {"+0;-0;0"}
    candidates = book["candidates"]
    assert _formats(candidates, "cash_teller") == _formats(candidates, "total") == {"0"}


def test_yuan_have_no_decimals_and_shares_are_percentages(book: Any) -> None:
    assert _formats(book["frontier"], "objective") == {"#,##0"}
    assert _formats(book["frontier"], "marginal_yuan") == {"+#,##0;-#,##0;0"}
    candidates = book["candidates"]
    assert _formats(candidates, "objective_mean") == _formats(candidates, "objective_ci95_high") == {"#,##0"}
    assert _formats(candidates, "walkout_rate") == _formats(candidates, "cash.service_level") == {"0.0%"}
    service = book["service"]
    assert _formats(service, "current") == _formats(service, "recommended_ci95_high") == {"0.0%"}
    assert _formats(service, "change") == {"+0.0%;-0.0%;0.0%"}
    # the kpis sheet has one KPI a row: its mean and CI take that KPI's format
    kpis = book["kpis"]
    cols = _columns(kpis)
    by_kpi: dict[str, set[str]] = {}
    for r in range(2, kpis.max_row + 1):
        kpi = kpis.cell(row=r, column=cols["kpi"]).value
        by_kpi.setdefault(kpi, set()).update(kpis.cell(row=r, column=cols[c]).number_format
                                             for c in ("mean", "ci95_low", "ci95_high"))
    assert by_kpi == {"objective": {"#,##0"}, "walkout_rate": {"0.0%"}, "cash.service_level": {"0.0%"}}


def test_numbers_keep_their_value_under_the_formats(book: Any) -> None:
    back = pd.read_excel(BytesIO(workbook_bytes(REC, exported=EXPORTED)), sheet_name="kpis", engine="openpyxl")
    pd.testing.assert_frame_equal(back, REC.kpis, check_dtype=False)


def test_columns_are_as_wide_as_their_content(book: Any) -> None:
    plan = book["by_outlet"]
    longest = max(len(o) for o in REC.plan["outlet"])  # "Old Town <2> & Co"
    assert longest + 1 <= _width(plan, "outlet") <= longest + 4
    assert _width(plan, "change") < 10  # a short column stays narrow
    role = max(len(r) for r in REC.plan["role"])
    assert role <= _width(plan, "role") <= role + 4
    # "37" of budget is narrower than its heading "budget": the heading counts
    assert _width(book["frontier"], "budget") >= len("budget")
    for sheet in book.worksheets:
        assert all(d.width <= MAX_WIDTH + 2 for d in sheet.column_dimensions.values()), sheet.title


def test_policy_rules_wrap_in_a_bounded_column(tmp_path: Any) -> None:
    long_rule = "Old Town <2> & Co: " + "inside >= 0.8 x outside - 1 and " * 6 + "more"
    rec = full_recommendation(constraints=REC.constraints.assign(rule=[long_rule, *REC.constraints["rule"][1:]]))
    sheet = openpyxl.load_workbook(BytesIO(workbook_bytes(rec)))["constraints"]
    col = _columns(sheet)["rule"]
    assert all(sheet.cell(row=r, column=col).alignment.wrap_text for r in range(2, sheet.max_row + 1))
    assert _width(sheet, "rule") == MAX_WIDTH + 2 < len(long_rule)
    assert sheet.cell(row=2, column=col).value == long_rule  # wrapped, not cut


def _summary(book: Any) -> list[tuple[Any, ...]]:
    return [tuple(c.value for c in row) for row in book["summary"].iter_rows(min_row=2)]


def test_summary_leads_with_the_verified_value_and_service(book: Any) -> None:
    rows = _summary(book)
    sheet = book["summary"]
    assert [c.value for c in sheet[1]] == ["field", "value", "ci95_low", "ci95_high", "note"]
    assert rows[0][0] == "Verified on fresh days"
    assert sheet["A2"].font.bold
    recommended, today = REC.verified("recommended"), REC.verified("current")
    assert rows[1][:4] == ("Verified value, recommended", recommended["mean"], recommended["ci95_low"],
                           recommended["ci95_high"])
    assert rows[2][:4] == ("Verified value, today", today["mean"], today["ci95_low"], today["ci95_high"])
    assert rows[3][:4] == ("Verified uplift", 450.0, 380.5, 519.5)
    assert {sheet.cell(row=r, column=c).number_format for r in (3, 4) for c in (2, 3, 4)} == {"#,##0"}
    region = REC.service[REC.service["outlet"] == "region"].set_index("kpi")
    assert rows[4][:2] == ("walk-out rate, today", region.loc["walkout_rate", "current"])
    assert rows[5][:2] == ("walk-out rate, recommended", region.loc["walkout_rate", "recommended"])
    assert "change -0.40 pp [-0.80, +0.00] (paired 95% CI)" in rows[5][4]
    assert rows[6][0] == "cash (high counter) service level, today"
    assert {sheet.cell(row=r, column=2).number_format for r in range(6, 10)} == {"0.0%"}
    worse = next(r for r in rows if r[0] == "Outlets whose service gets worse beyond noise")
    assert worse[1] == "Old Town <2> & Co cash.service_level 88.00% -> 83.00%"
    headcount = next(r for r in rows if r[0] == "Head-count recommended")
    assert headcount[1] == REC.headcount["recommended"]


def test_summary_names_the_run(book: Any) -> None:
    values = {r[0]: r[1] for r in _summary(book)}
    assert values["Exported"] == EXPORTED
    assert values["Region file"] == REC.source
    assert values["Region"] == REC.region
    assert values["Seed"] == str(REC.seed)
    assert values["Fresh days per plan (verification)"] == REC.replications
    assert values["Solver"] == "highs"
    assert values["MIP gap limit"] == REC.gap_limit
    assert values["Frontier budgets (people)"] == "35 to 39"
    assert values["Stable-plan tolerance (yuan/day)"] == 60.0
    assert values["Stress test"] == "Not run (branchlab optimize --stress)."
    sheet = book["summary"]
    exported_row = next(i for i, r in enumerate(_summary(book), start=2) if r[0] == "Exported")
    assert sheet.cell(row=exported_row, column=2).number_format == "yyyy-mm-dd hh:mm"
    # the verified numbers come before the run, and every recommendation.json key after it
    order = [r[0] for r in _summary(book)]
    assert order.index("Verified uplift") < order.index("Exported") < order.index("status")


def test_a_seed_beyond_excel_precision_stays_exact() -> None:
    seed = 2**63 - 1
    book = openpyxl.load_workbook(BytesIO(workbook_bytes(full_recommendation(seed=seed))))
    values = {r[0]: r[1] for r in _summary(book)}
    assert values["Seed"] == values["seed"] == str(seed)  # a double would read 9223372036854775808


def test_chinese_workbook_keeps_formats_and_numbers() -> None:
    book = openpyxl.load_workbook(BytesIO(workbook_bytes(REC, lang="zh", exported=EXPORTED)))
    plan = book["分网点方案"]
    assert [c.value for c in plan[1]] == ["网点", "位阶", "岗位", "内外勤", "现有", "建议", "变动"]
    assert _formats(plan, "变动") == {"+0;-0;0"}
    assert plan.freeze_panes == "A2"
    back = pd.read_excel(BytesIO(workbook_bytes(REC, lang="zh")), sheet_name="分网点方案", engine="openpyxl")
    assert back["变动"].tolist() == REC.plan["change"].tolist()
    assert _formats(book["验证指标"], "均值") == {"#,##0", "0.0%"}
    summary = book["摘要"]
    assert [c.value for c in summary[1]][:2] == ["项目", "数值"]
    assert summary["A3"].value == "验证价值（建议方案）"
    assert summary["B3"].number_format == "#,##0"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_text_longer_than_a_cell_is_cut_with_a_note_not_by_openpyxl(lang: str) -> None:
    # a province's tier moves in the summary: 2,000 outlets give ~130,000 characters, four Excel cells' worth
    moves = tuple((f"outlet {i:05d}", "advancing", "backbone") for i in range(2_000))
    whole = "; ".join(f"outlet={o}, tier={t}, simulated_tier={s}" for o, t, s in moves)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # openpyxl's own cut warns ("Cell contents too long")
        data = workbook_bytes(full_recommendation(tier_moves=moves), lang=lang)
    book = openpyxl.load_workbook(BytesIO(data))
    cells = [c.value for row in book.worksheets[0].iter_rows() for c in row if isinstance(c.value, str)]
    cut = [v for v in cells if v.startswith("outlet=outlet 00000")]
    assert len(cut) == 1
    assert len(cut[0]) <= 32_767
    note = " … [" if lang == "en" else " ……[另有 "
    kept, _, tail = cut[0].partition(note)
    assert whole.startswith(kept)
    assert len(kept) > 32_000
    more = int(tail.split(" ")[0].replace(",", ""))
    assert len(kept) + more == len(whole)  # the note counts exactly what was cut


def test_a_short_list_of_rows_is_whole_and_reads_as_key_value_pairs() -> None:
    moves = (("outlet A", "advancing", "backbone"), ("outlet B", "potential", "advancing"))
    book = openpyxl.load_workbook(BytesIO(workbook_bytes(full_recommendation(tier_moves=moves))))
    values = {r[0]: r[1] for r in _summary(book)}
    assert values["tier_moves"] == ("outlet=outlet A, tier=advancing, simulated_tier=backbone; "
                                    "outlet=outlet B, tier=potential, simulated_tier=advancing")


def test_cells_hold_what_pandas_to_excel_writes() -> None:
    """The sheets are streamed row by row (openpyxl's write-only mode), not written by ``DataFrame.to_excel``:
    every value must still read back as ``to_excel`` writes it — numpy numbers as numbers, booleans as
    booleans, missing values and NaT as empty text, infinities as ``inf`` text, dates as dates, objects as
    their text — and a text that looks like a formula stays text."""
    from openpyxl import Workbook

    from optimize.export import _write_sheet

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({
        "count": rng.integers(-5, 5, 40), "share": rng.random(40), "flag": rng.random(40) < 0.5,
        "text": [f"=HYPERLINK(\"x{i}\")" if i % 7 == 0 else f"Outlet {i:05d}" for i in range(40)],
        "mixed": [[None, math.nan, math.inf, -math.inf, 3, 2.5, True, "a", (1, 2), datetime(2026, 1, 2, 3, 4)][i % 10]
                  for i in range(40)],
        "when": pd.to_datetime(["2026-12-06 10:00", None] * 20),
    })
    frame.loc[3, "share"] = math.nan
    theirs = BytesIO()
    frame.to_excel(theirs, index=False, engine="openpyxl")
    book = Workbook(write_only=True)
    _write_sheet(book, "Sheet1", frame, [[None] * len(frame)] * frame.shape[1])
    ours = BytesIO()
    book.save(ours)
    a = openpyxl.load_workbook(BytesIO(theirs.getvalue())).active
    b = openpyxl.load_workbook(BytesIO(ours.getvalue())).active
    assert a.max_row == b.max_row == 41
    assert a.max_column == b.max_column == frame.shape[1]
    for ra, rb in zip(a.iter_rows(), b.iter_rows(), strict=True):
        for ca, cb in zip(ra, rb, strict=True):
            assert (cb.value, cb.data_type) == (ca.value, "s" if ca.data_type == "f" else ca.data_type), cb.coordinate
            assert cb.is_date == ca.is_date, cb.coordinate
            if ca.is_date:  # a date shows as to_excel shows it
                assert cb.number_format == ca.number_format, cb.coordinate
    assert {b.cell(row=r, column=4).data_type for r in range(2, 42)} == {"s"}  # no formula
    # an unformatted date column is as wide as the date and time it shows (Excel shows ##### when narrower)
    shown = len(b.cell(row=2, column=6).number_format)
    assert b.column_dimensions["F"].width >= shown + 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_empty_sheet_says_why(lang: str) -> None:
    """A sheet with nothing to show (no stress test run, no conversions, no day types) says so in one note
    row instead of being blank; a sheet with rows keeps them."""
    from sim.labels import label

    assert REC.stress.empty
    assert REC.conversions.empty
    book = openpyxl.load_workbook(BytesIO(workbook_bytes(REC, lang=lang)))
    name = (lambda s: s) if lang == "en" else (lambda s: label(f"sheet.{s}", "zh"))
    rows = [[c.value for c in r] for r in book[name("stress")].iter_rows()]
    assert rows == [[label("column.note", lang)], [label("text.stress_not_run", lang)]]
    rows = [[c.value for c in r] for r in book[name("conversions")].iter_rows()]
    assert rows == [[label("column.note", lang)], [label("text.no_conversions", lang)]]
    assert book[name("by_outlet")].max_row == len(REC.plan) + 1
