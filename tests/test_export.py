"""Exports of a recommendation: the files read back equal the tables, all or nothing, a bad folder fails first."""

from __future__ import annotations

import base64
import json
import math
import os
import re
import stat
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

import optimize.export as export_mod
from optimize.export import FILES, PLAN_COLUMNS, SHEETS, check_writable, export, jsonable
from optimize.report import moves_by_role
from sim import fileio
from sim.errors import ScenarioError
from sim.fileio import csv_text
from tests.fake_recommendation import OUTLETS, make_recommendation

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, list[Path]]:
    """The fake recommendation exported once (rendering charts takes a second)."""
    rec = make_recommendation()
    out = tmp_path_factory.mktemp("export") / "new" / "folder"
    return rec, out, export(rec, out)


def _strict_json(path: Path) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"{path.name}: non-standard JSON token {token}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def test_export_writes_the_five_files_and_nothing_else(exported: tuple[Any, Path, list[Path]]) -> None:
    _, out, written = exported
    assert written == [out / name for name in FILES]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # no temporary or probe file left
    assert all(p.stat().st_size > 0 for p in written)


def test_plan_csv_round_trips(exported: tuple[Any, Path, list[Path]]) -> None:
    rec, out, _ = exported
    back = pd.read_csv(out / "recommendation.csv")
    assert tuple(back.columns) == PLAN_COLUMNS
    pd.testing.assert_frame_equal(back, rec.plan.loc[:, list(PLAN_COLUMNS)])
    assert (back["change"] == back["recommended"] - back["current"]).all()


def test_candidates_csv_round_trips_with_missing_estimates(exported: tuple[Any, Path, list[Path]]) -> None:
    rec, out, _ = exported
    back = pd.read_csv(out / "candidates.csv")
    pd.testing.assert_frame_equal(back, rec.candidates)
    dropped = back["status"].str.startswith("dropped")
    assert dropped.sum() == len(OUTLETS)
    assert back.loc[dropped, "objective_mean"].isna().all()


def _plan_from_json(doc: dict[str, Any]) -> pd.DataFrame:
    rows = [{"outlet": outlet, "tier": o["tier"], "role": role, "placement": place, **cell}
            for outlet, o in doc["outlets"].items() for role, places in o["plan"].items()
            for place, cell in places.items()]
    return pd.DataFrame(rows).loc[:, list(PLAN_COLUMNS)]


def test_json_has_the_documented_keys_and_round_trips_the_plan(exported: tuple[Any, Path, list[Path]]) -> None:
    rec, out, _ = exported
    doc = _strict_json(out / "recommendation.json")
    for key in ("status", "objective", "gap", "solver", "seed", "headcount", "outlets", "kpis_current",
                "kpis_recommended", "uplift", "binding", "version"):
        assert key in doc, key
    assert (doc["status"], doc["objective"], doc["gap"], doc["solver"], doc["seed"]) == (
        rec.status, rec.objective, rec.gap, rec.solver, rec.seed)
    assert doc["headcount"] == rec.headcount
    assert doc["uplift"] == pytest.approx(rec.uplift)
    assert doc["binding"] == list(rec.binding)
    pd.testing.assert_frame_equal(_plan_from_json(doc), rec.plan.loc[:, list(PLAN_COLUMNS)])
    # moves and head-counts of the second outlet, by hand from the fixture's PLAN
    town = doc["outlets"][OUTLETS[1][0]]
    assert town["headcount"] == {"current": 12, "recommended": 13}
    assert {(m["role"], m["placement"]): m["change"] for m in town["moves"]} == {
        ("low_counter_teller", "all"): 1, ("customer_manager", "inside"): -2, ("customer_manager", "outside"): 2}


def test_json_kpis_round_trip_and_nan_becomes_null(exported: tuple[Any, Path, list[Path]]) -> None:
    rec, out, _ = exported
    doc = _strict_json(out / "recommendation.json")
    for plan in ("current", "recommended"):
        tree = doc[f"kpis_{plan}"]
        assert set(tree) == {*(o for o, _ in OUTLETS), "region"}
        for r in rec.kpis[rec.kpis["plan"] == plan].itertuples():
            cell = tree[r.outlet][r.kpi]
            expected = [None if math.isnan(v) else v for v in (r.mean, r.ci95_low, r.ci95_high)]
            assert [cell["mean"], *cell["ci95"]] == expected
    assert doc["kpis_recommended"]["region"]["cash.service_level"] == {"mean": None, "ci95": [None, None]}
    assert doc["frontier"][0]["objective"] is None
    assert doc["frontier"][0]["status"] == "Infeasible"
    assert len(doc["constraints"]) == len(rec.constraints)


def test_json_version_is_the_installed_package() -> None:
    try:
        expected = metadata.version("branchlab")
    except metadata.PackageNotFoundError:
        expected = "unknown"
    assert export_mod.recommendation_json(make_recommendation())["version"] == expected


def test_jsonable_converts_numpy_and_non_finite_numbers() -> None:
    value = {"a": np.int64(3), "b": (np.float64(math.nan), math.inf, -math.inf, 1.5), 4: [np.bool_(True)]}
    assert jsonable(value) == {"a": 3, "b": [None, None, None, 1.5], "4": [True]}
    assert type(jsonable(np.int64(3))) is int


def test_workbook_has_the_sheets_and_round_trips(exported: tuple[Any, Path, list[Path]]) -> None:
    rec, out, _ = exported
    book = openpyxl.load_workbook(out / "recommendation.xlsx", read_only=True)
    assert book.sheetnames == list(SHEETS)
    book.close()
    sheets = pd.read_excel(out / "recommendation.xlsx", sheet_name=None, engine="openpyxl")
    expected = {"by_outlet": rec.plan.loc[:, list(PLAN_COLUMNS)], "kpis": rec.kpis, "constraints": rec.constraints,
                "frontier": rec.frontier, "candidates": rec.candidates}
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(sheets[name], frame, check_dtype=False, obj=name)
    summary = dict(zip(sheets["summary"]["field"], sheets["summary"]["value"], strict=True))
    assert summary["status"] == rec.status
    assert float(summary["objective"]) == rec.objective
    assert float(summary["uplift.ci95_low"]) == rec.uplift["ci95_low"]
    assert int(summary["headcount.recommended"]) == rec.headcount["recommended"]
    assert summary["binding"] == "; ".join(rec.binding)


def test_workbook_keeps_what_fits_in_a_sheet_and_says_so(tmp_path: Path) -> None:
    rec = make_recommendation()
    path = tmp_path / "small.xlsx"
    path.write_bytes(export_mod.workbook_bytes(rec, max_rows=10))  # candidates has 12 rows, kpis 24
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    pd.testing.assert_frame_equal(sheets["candidates"], rec.candidates.head(10), check_dtype=False)
    assert len(sheets["by_outlet"]) == 10
    pd.testing.assert_frame_equal(sheets["frontier"], rec.frontier, check_dtype=False)
    notes = sheets["summary"].set_index("field")["value"]
    assert notes["note.candidates"] == "first 10 of 12 rows (every row is in the CSV files)"
    assert notes["note.kpis"] == "first 10 of 24 rows (every row is in the CSV files)"
    assert "note.frontier" not in notes


def test_report_is_self_contained_with_the_summary(exported: tuple[Any, Path, list[Path]]) -> None:
    _, out, _ = exported
    page = (out / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 4
    assert all(base64.b64decode(img).startswith(PNG_MAGIC) for img in images)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing fetched from elsewhere
    assert "450 yuan/day (95% CI 380 to 520)" in page  # uplift 450.0 [380.5, 519.5], rounded
    assert "Optimal (highs)" in page
    assert "moves &lt;= 6" in page
    assert "Old Town &lt;2&gt; &amp; Co" in page
    assert "Old Town <2>" not in page
    for heading in ("Summary", "Moves by role", "Charts", "Plan", "Policy rules", "Frontier"):
        assert f">{heading}</h" in page


def test_moves_by_role_totals_the_plan_by_hand() -> None:
    totals = moves_by_role(make_recommendation().plan)
    got = {(r.role, r.placement): (r.added, r.removed) for r in totals.itertuples()}
    # cash -1 at Central Plaza; low counter +1 at Old Town; CMs inside -2, -2, -1; outside +3, +2, +1
    assert got == {("cash_teller", "all"): (0, 1), ("low_counter_teller", "all"): (1, 0),
                   ("customer_manager", "inside"): (0, 5), ("customer_manager", "outside"): (6, 0)}


def test_failure_while_rendering_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "recommendation.csv").write_text("old\n")

    def broken(rec: Any) -> bytes:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export_mod, "workbook_bytes", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        export(make_recommendation(), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["recommendation.csv"]
    assert (tmp_path / "recommendation.csv").read_text() == "old\n"


def test_failure_mid_write_leaves_no_partial_or_temporary_file(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "recommendation.csv").write_text("old\n")
    real_fsync = os.fsync
    synced: list[int] = []

    def full_disk_on_third(fd: int) -> None:
        synced.append(fd)
        if len(synced) == 3:  # the third file's bytes are written but cannot be synced
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(export_mod.os, "fsync", full_disk_on_third)
    with pytest.raises(OSError, match="No space left"):
        export(make_recommendation(), tmp_path)
    assert len(synced) == 3
    # the two staged files and the half-done third are gone; the earlier export is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["recommendation.csv"]
    assert (tmp_path / "recommendation.csv").read_text() == "old\n"


@pytest.mark.parametrize("fail_at", range(len(FILES)))
@pytest.mark.parametrize("error", [OSError(5, "Input/output error"), KeyboardInterrupt()])
def test_failure_while_renaming_puts_the_old_set_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      fail_at: int, error: BaseException) -> None:
    """An earlier export stays whole and unmixed whichever publication rename fails (Ctrl-C included)."""
    old = make_recommendation()
    export(old, tmp_path)
    (tmp_path / "cache").mkdir()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    new = make_recommendation(plan=old.plan.assign(recommended=old.plan["current"], change=0))
    real_replace = os.replace
    published: list[str] = []

    def fail(src: Any, dst: Any) -> None:
        if Path(src).name.endswith(".staged"):
            if len(published) == fail_at:
                raise error
            published.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", fail)
    with pytest.raises(type(error)):
        export(new, tmp_path)
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before  # the old set, byte for byte; no staged or backup file left
    assert (tmp_path / "cache").is_dir()


def test_a_second_export_replaces_the_whole_set(tmp_path: Path) -> None:
    old = make_recommendation()
    export(old, tmp_path)
    new = make_recommendation(plan=old.plan.assign(recommended=old.plan["current"], change=0))
    export(new, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    written = (tmp_path / "recommendation.csv").read_text(encoding="utf-8-sig")
    assert written == csv_text(new.plan.loc[:, list(PLAN_COLUMNS)])


def test_names_that_look_like_formulas_stay_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    rec = make_recommendation()
    evil = {name: f"=HYPERLINK(\"http://x\",\"{name}\")" if i == 0 else f"+{name}"
            for i, name in enumerate(rec.plan["outlet"].unique())}
    rec = make_recommendation(plan=rec.plan.assign(outlet=rec.plan["outlet"].map(evil)))
    export(rec, tmp_path)
    text = (tmp_path / "recommendation.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert not any(line.startswith(("=", "+", "@")) for cell in text.splitlines() for line in cell.split(","))
    book = load_workbook(tmp_path / "recommendation.xlsx")
    cells = [c for row in book["by_outlet"].iter_rows() for c in row if isinstance(c.value, str)
             and c.value.startswith(("=", "+"))]
    assert cells
    assert all(c.data_type == "s" for c in cells)
    assert pd.read_csv(tmp_path / "recommendation.csv")["change"].min() < 0  # numbers are not quoted


def test_check_writable_creates_a_missing_folder(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    assert check_writable(out) == out
    assert out.is_dir()
    assert list(out.iterdir()) == []


def test_a_file_in_place_of_the_folder_is_refused_before_any_work(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "results.txt"
    target.write_text("keep me\n")
    rendered: list[Any] = []
    monkeypatch.setattr(export_mod, "render", rendered.append)
    with pytest.raises(ScenarioError, match=r"results\.txt: the output folder is a file") as err:
        export(make_recommendation(), target)
    assert "\n" not in str(err.value)
    assert rendered == []
    assert target.read_text() == "keep me\n"


def test_a_folder_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    with pytest.raises(ScenarioError, match=r"plain/out: '[^']*plain' is a file, not a folder"):
        check_writable(tmp_path / "plain" / "out")


def test_a_folder_refusing_new_files_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(export_mod.tempfile, "mkstemp", denied)  # root ignores chmod: simulate a read-only folder
    with pytest.raises(ScenarioError, match=r"ro: cannot write the output folder \(Permission denied\)"):
        check_writable(tmp_path / "ro")


def test_exported_files_get_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)  # a known umask for this test (restored below): files must be 0o644, not 0o600
    try:
        written = fileio.publish_set(tmp_path, {"a.txt": b"x", "b.bin": b"\x00"})
    finally:
        os.umask(mask)
    assert [stat.S_IMODE(p.stat().st_mode) for p in written] == [0o644, 0o644]


def test_the_recommendation_exports_itself(tmp_path: Path) -> None:
    written = make_recommendation().export(tmp_path / "out")
    assert [p.name for p in written] == list(FILES)
    assert json.loads(written[FILES.index("recommendation.json")].read_text(encoding="utf-8"))["status"] == "Optimal"


def test_an_unchanged_plan_without_frontier_or_rules_exports(tmp_path: Path) -> None:
    base = make_recommendation()
    rec = make_recommendation(
        plan=base.plan.assign(recommended=base.plan["current"], change=0), binding=(), gap=None, bound=None,
        frontier=pd.DataFrame(columns=["budget", "delta", "status", "objective", "marginal_yuan"]),
        constraints=pd.DataFrame(columns=["group", "rule", "sense", "limit", "value", "binding"]))
    export(rec, tmp_path)
    doc = _strict_json(tmp_path / "recommendation.json")
    assert doc["frontier"] == []
    assert doc["gap"] is None
    assert all(o["moves"] == [] for o in doc["outlets"].values())
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "No one moves: every outlet keeps today's head-counts." in page
    assert "<h2>Frontier</h2><p>Not computed.</p>" in page
    assert "<tr><th>Binding rules</th><td>none</td></tr>" in page
    assert "<h2>Policy rules</h2><p>None.</p>" in page


def test_a_real_recommendation_round_trips(tmp_path: Path) -> None:
    from optimize import load_region, recommend
    from tests.test_optimize_recommend import SMALL

    (tmp_path / "region.toml").write_text(SMALL)
    rec = recommend(load_region(tmp_path / "region.toml"), replications=4, seed=1, executor="serial", frontier=1,
                    stage2=2)
    written = rec.export(tmp_path / "out")
    pd.testing.assert_frame_equal(pd.read_csv(written[0]), rec.plan.loc[:, list(PLAN_COLUMNS)])
    pd.testing.assert_frame_equal(pd.read_csv(written[2]), rec.candidates)
    transfers = pd.read_csv(written[FILES.index("transfers.csv")], keep_default_na=False)
    assert transfers.to_dict("records") == rec.transfers.to_dict("records")
    doc = _strict_json(written[1])
    assert doc["transfers"] == rec.transfers.to_dict("records")
    assert {r["outlet"] for r in doc["service"]} == {*rec.plan["outlet"], "region"}
    pd.testing.assert_frame_equal(_plan_from_json(doc), rec.plan.loc[:, list(PLAN_COLUMNS)])
    region = rec.kpis[(rec.kpis["plan"] == "recommended") & (rec.kpis["outlet"] == "region")
                      & (rec.kpis["kpi"] == "objective")].iloc[0]
    assert doc["kpis_recommended"]["region"]["objective"] == {
        "mean": region["mean"], "ci95": [region["ci95_low"], region["ci95_high"]]}
    sheets = pd.read_excel(written[3], sheet_name=None, engine="openpyxl")
    pd.testing.assert_frame_equal(sheets["kpis"], rec.kpis, check_dtype=False)
    pd.testing.assert_frame_equal(sheets["constraints"], rec.constraints, check_dtype=False)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_names_the_people_without_a_post_and_the_posts_to_fill(lang: str) -> None:
    """The head-count line of the report says what the CLI and the workbook say: people left without a post
    and posts to fill from outside the outlets, each counted from the transfers (and neither when none)."""
    from optimize.report import _facts
    from sim.labels import label

    placed = pd.DataFrame({"from_outlet": ["Central Plaza", "", "Old Town <2> & Co"],
                           "to_outlet": ["", "Harbour", ""], "role": ["cash_teller", "wealth_manager", "cash_teller"],
                           "placement": ["all", "all", "all"], "people": [1, 2, 1],
                           "kind": ["surplus", "hire", "surplus"]})
    head = dict(_facts(make_recommendation(transfers=placed), lang))[label("fact.headcount", lang)]
    assert label("text.surplus", lang, n=2) in head
    assert label("text.hired", lang, n=2) in head
    plain = dict(_facts(make_recommendation(), lang))[label("fact.headcount", lang)]
    assert label("text.hired", lang, n=0) not in plain
    assert "text.hired" not in plain


def test_csv_files_carry_the_byte_order_mark_excel_needs_for_chinese(tmp_path: Path) -> None:
    """Every CSV of the set starts with UTF-8's byte-order mark (Excel otherwise reads it as GBK on a Chinese
    Windows), holds the Chinese names as written, and reads back in pandas with no mark in the first heading."""
    from tests.fake_service import full_recommendation

    rec = full_recommendation(chinese=True)
    export(rec, tmp_path)
    csvs = sorted(tmp_path.glob("*.csv"))
    assert len(csvs) >= 3
    for path in csvs:
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), path.name
        assert not data[3:].startswith(b"\xef\xbb\xbf")
        assert not pd.read_csv(path).columns[0].startswith("\ufeff")
    plan = pd.read_csv(tmp_path / "recommendation.csv")
    assert set(plan["outlet"]) == set(rec.plan["outlet"])
    assert any("\u4e00" <= ch <= "\u9fff" for name in plan["outlet"] for ch in name)
    assert (tmp_path / "recommendation.json").read_bytes()[:1] == b"{"  # JSON has no mark
