"""Chinese in the outputs: CJK names draw in every chart, and ``--lang zh`` labels the files people read.

The font tests look at pixels: with a missing glyph matplotlib draws the same empty box for
every character, so two different Chinese characters rendering differently proves real
glyphs; Latin text renders pixel for pixel as without the fallback. pytest turns every
warning into an error here, so a "Glyph … missing" warning fails a test by itself too.
"""

from __future__ import annotations

import json
import re
import string
import subprocess
import sys
import tomllib
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import openpyxl
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import optimize
from branchlab.cli import main
from optimize.export import FILES, SHEETS, export
from optimize.plots import plot_candidates, plot_holds, plot_moves, plot_value, series_label
from optimize.tables import SERVICE_KPIS
from sim import fonts
from sim import plots as sim_plots
from sim.codes import ROLES, TIERS, ZONES
from sim.labels import LABELS, LANGS, check_lang, kpi_label, label, relabel
from tests.fake_service import CHINESE, full_recommendation

ROOT = Path(__file__).resolve().parents[1]
REGION = ROOT / "scenarios" / "region_12_outlets.toml"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _pixels(fig: Figure) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def _text_figure(text: str) -> Figure:
    fig = Figure(figsize=(2, 1), dpi=100)
    fig.text(0.1, 0.4, text, fontsize=20)
    return fig


def _no_glyph_warnings(render: Any) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = render()
    assert not [w for w in caught if "Glyph" in str(w.message) or "missing from font" in str(w.message)]
    return out


# ---- fonts ---------------------------------------------------------------------------


def test_the_bundled_font_is_noto_sans_sc_under_the_open_font_license() -> None:
    path = fonts.bundled_font_path()
    assert path is not None
    assert path.is_file()
    assert font_manager.FontProperties(fname=str(path)).get_name() == fonts.CJK_FAMILY
    about = metadata.metadata("pylopdf-fonts-zh-cn")
    assert "Open Font License" in " ".join(about.get_all("Classifier") or [])


def test_the_font_package_is_a_dependency_of_the_install() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dep.startswith("pylopdf-fonts-zh-cn") for dep in project["dependencies"])


def test_chinese_characters_draw_as_glyphs_without_warnings() -> None:
    with matplotlib.rc_context():
        assert fonts.use_cjk_fallback() == fonts.CJK_FAMILY
        one, other, blank = (_no_glyph_warnings(lambda t=t: _pixels(_text_figure(t))) for t in ("网", "点", ""))
    assert not np.array_equal(one, blank)  # something is drawn …
    assert not np.array_equal(one, other)  # … and it is not the same empty box for both characters


def test_latin_text_keeps_its_look_and_font() -> None:
    with matplotlib.rc_context({"font.family": ["sans-serif"]}):
        before = _pixels(_text_figure("Harbour 12,345"))
        fonts.use_cjk_fallback()
        families = list(matplotlib.rcParams["font.family"])
        after = _pixels(_text_figure("Harbour 12,345"))
        first = font_manager.findfont(font_manager.FontProperties(family=families))
    assert families == ["sans-serif", fonts.CJK_FAMILY]
    assert np.array_equal(before, after)
    assert Path(first).name == "DejaVuSans.ttf"


def test_fallback_resolves_to_the_cjk_font_for_chart_text() -> None:
    fig = plot_moves(full_recommendation(chinese=True).plan)
    tick = next(t for t in fig.axes[0].get_yticklabels() if CJK.search(t.get_text()))
    paths = font_manager.fontManager._find_fonts_by_props(tick.get_fontproperties())
    assert Path(str(paths[-1])) == fonts.bundled_font_path()


def _two_outlet_plan(name: str) -> pd.DataFrame:
    return pd.DataFrame({"outlet": [name, "Harbour"], "tier": ["backbone", "potential"],
                         "role": ["cash_teller", "cash_teller"], "placement": ["all", "all"], "current": [3, 2],
                         "recommended": [2, 3], "change": [-1, 1]})


def test_a_chart_with_a_chinese_outlet_name_draws_it() -> None:
    a = _no_glyph_warnings(lambda: _pixels(plot_moves(_two_outlet_plan("东城支行"))))
    b = _no_glyph_warnings(lambda: _pixels(plot_moves(_two_outlet_plan("西城支行"))))
    assert a.shape == b.shape
    assert not np.array_equal(a, b)


def test_every_optimiser_chart_renders_chinese_names_without_warnings() -> None:
    rec = full_recommendation(chinese=True)
    stress = pd.DataFrame({"outlet": [CHINESE[0]], "role": ["customer_manager"], "placement": ["outside"],
                           "change": [2], "walk-out cost x0.5": [1], "walk-out cost x1.5": [-1], "holds": [1],
                           "variants": [2]})
    for lang in LANGS:
        for fig in (plot_moves(rec.plan, lang=lang), plot_value(rec.kpis, lang=lang),
                    plot_candidates(rec.candidates, lang=lang), plot_holds(stress, lang=lang)):
            assert _no_glyph_warnings(lambda f=fig: sim_plots.png_bytes(f)).startswith(b"\x89PNG")


def test_sim_charts_put_the_fallback_back_after_an_rcparams_reset() -> None:
    frame = pd.DataFrame({"case": ["网点 M/M/1", "网点 M/M/2"], "metric": ["mean_wait", "p_wait"],
                          "rel_error": [0.01, -0.02], "ci95_low": [0.9, 0.4], "ci95_high": [1.1, 0.6],
                          "analytic": [1.0, 0.5], "simulated": [1.01, 0.49], "passed": [True, True]})
    with matplotlib.rc_context({"font.family": ["sans-serif"]}):
        fig = sim_plots.plot_validation(frame)
        assert fonts.CJK_FAMILY in matplotlib.rcParams["font.family"]
        _no_glyph_warnings(lambda: sim_plots.png_bytes(fig))


@pytest.mark.parametrize("module", ["optimize.plots", "optimize.quarter_report"])
def test_importing_a_chart_module_registers_the_fallback_in_a_fresh_interpreter(module: str) -> None:
    code = (f"import {module}, matplotlib; from matplotlib.figure import Figure\n"
            "assert 'Noto Sans SC' in matplotlib.rcParams['font.family'], matplotlib.rcParams['font.family']\n"
            "fig = Figure(); fig.suptitle('中央广场支行 骨干')\n"
            "fig.savefig(__import__('io').BytesIO(), format='png')\n")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


# ---- the label table -------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "ids"), [("zone", ZONES), ("role", ROLES), ("tier", TIERS)])
def test_every_zone_role_and_tier_has_an_english_and_a_chinese_label(kind: str, ids: tuple[str, ...]) -> None:
    zh = [label(f"{kind}.{i}", "zh") for i in ids]
    assert all(f"{kind}.{i}" in LABELS for i in ids)
    assert all(CJK.search(z) for z in zh)
    assert len(set(zh)) == len(ids)  # no two ids share a name


def test_the_domain_terms() -> None:
    assert [label(f"role.{r}", "zh") for r in ("lobby_manager", "cash_teller", "low_counter_teller",
                                               "customer_manager", "wealth_manager", "outlet_head")] == [
        "大堂经理", "高柜柜员", "低柜柜员", "个人客户经理", "理财经理", "网点主任"]
    assert [label(f"tier.{t}", "zh") for t in TIERS] == ["龙头", "骨干", "进位", "潜力"]
    assert label("zone.non_cash", "zh") == "非现金服务区"


def test_zone_kpis_join_the_zone_and_the_kpi() -> None:
    assert kpi_label("cash.service_level", "zh") == "现金服务区服务水平"
    assert kpi_label("cash.service_level", "en") == "cash (high counter) service level"
    assert all(CJK.search(kpi_label(k, "zh")) for k in SERVICE_KPIS)
    assert kpi_label("new_kpi", "zh") == "new_kpi"  # unknown: the id, never dropped


def test_templates_have_the_same_fields_in_both_languages() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, (en, zh) in LABELS.items():
        assert en, key
        assert zh, key
        assert fields(en) == fields(zh), key


def test_relabel_leaves_english_alone_and_labels_ids_in_chinese() -> None:
    rec = full_recommendation(chinese=True)
    assert relabel(rec.transfers, "en") is rec.transfers
    zh = relabel(rec.transfers, "zh")
    assert list(zh.columns) == ["调出网点", "调入网点", "岗位", "内外勤", "人数", "类型"]
    assert zh["岗位"].tolist() == ["高柜柜员", "个人客户经理"]
    assert zh["内外勤"].tolist() == ["全部", "内勤 → 外勤"]
    assert zh["调出网点"].tolist() == [CHINESE[0], CHINESE[1]]  # names are not ids
    assert zh["人数"].tolist() == [1, 2]


def test_a_bad_language_is_one_line() -> None:
    with pytest.raises(ValueError, match=r"^lang: must be one of en, zh, got 'fr'$"):
        check_lang("fr")
    assert series_label("customer_manager", "outside", "zh") == "个人客户经理（外勤）"


# ---- the exported files -----------------------------------------------------------------


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rec = full_recommendation(chinese=True)
    out = {lang: tmp_path_factory.mktemp(lang) for lang in LANGS}
    for lang, folder in out.items():
        export(rec, folder, lang=lang)
    return out


def test_chinese_report_has_chinese_labels_and_the_names(exports: dict[str, Path]) -> None:
    page = (exports["zh"] / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    for heading in ("摘要", "服务水平", "人员调配", "图表", "配置方案", "政策规则", "编制前沿"):
        assert f">{heading}</h2>" in page
    for word in ("高柜柜员", "个人客户经理", "外勤", "龙头", "骨干", "潜力", "客户流失率", "现金服务区服务水平",
                 "验证价值（建议方案）", "450 元/日（95%置信区间 380 至 520）"):
        assert word in page, word
    assert "老城区&lt;2&gt;支行" in page
    assert "老城区<2>" not in page
    assert ">cash_teller<" not in page
    assert ">backbone<" not in page


def test_english_report_is_unchanged_by_the_label_table(exports: dict[str, Path]) -> None:
    page = (exports["en"] / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert ">cash_teller<" in page
    assert ">backbone<" in page
    assert "450 yuan/day (95% CI 380 to 520)" in page
    assert not {"高柜柜员", "龙头", "摘要"} & set(re.findall(r"[\u4e00-\u9fff]+", page))


def test_machine_files_keep_their_ids_in_either_language(exports: dict[str, Path]) -> None:
    for name in FILES:
        if name.endswith((".csv", ".json")):
            assert (exports["zh"] / name).read_bytes() == (exports["en"] / name).read_bytes(), name
    doc = json.loads((exports["zh"] / "recommendation.json").read_text(encoding="utf-8"))
    assert "cash_teller" in doc["outlets"][CHINESE[0]]["plan"]


def test_chinese_workbook_labels_sheets_headings_and_ids(exports: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(exports["zh"] / "recommendation.xlsx")
    assert book.sheetnames == [label(f"sheet.{s}", "zh") for s in SHEETS]
    plan = pd.read_excel(exports["zh"] / "recommendation.xlsx", sheet_name="分网点方案", engine="openpyxl")
    rec = full_recommendation(chinese=True)
    assert set(plan["岗位"]) == {label(f"role.{r}", "zh") for r in rec.plan["role"]}
    assert set(plan["位阶"]) == {"龙头", "骨干", "潜力"}
    assert plan["建议"].tolist() == rec.plan["recommended"].tolist()
    english = openpyxl.load_workbook(exports["en"] / "recommendation.xlsx")
    assert english.sheetnames == list(SHEETS)


def test_export_refuses_a_bad_language_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lang: must be one of en, zh"):
        export(full_recommendation(), tmp_path / "out", lang="fr")
    assert not (tmp_path / "out").exists()


# ---- the command line ---------------------------------------------------------------------


def test_lang_with_a_bad_value_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", str(REGION), "--out", str(tmp_path / "out"), "--lang", "fr"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--lang" in err[0]
    assert "'en'" in err[0]
    assert "'zh'" in err[0]
    assert not (tmp_path / "out").exists()


def test_lang_reaches_the_report_and_the_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(optimize, "recommend", lambda *args, **kwargs: full_recommendation(chinese=True))
    assert main(["optimize", str(REGION), "--out", str(tmp_path), "--lang", "zh", "--no-cache", "-q"]) == 0
    assert '<html lang="zh-CN">' in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert openpyxl.load_workbook(tmp_path / "recommendation.xlsx").sheetnames[0] == "摘要"
    assert "wrote:" in capsys.readouterr().out


def test_every_heading_of_the_chinese_workbook_is_labelled(tmp_path: Path) -> None:
    """A real recommendation (the small region, with its conversions and candidates' estimates): no sheet of
    the Chinese workbook keeps a machine id (``from_role``, ``estimate_yuan``) as a heading, and the
    candidates' origins are words."""
    from optimize import load_region, recommend
    from tests.test_optimize_recommend import SMALL

    (tmp_path / "region.toml").write_text(SMALL)
    rec = recommend(load_region(tmp_path / "region.toml"), replications=4, seed=1, executor="serial", frontier=1,
                    stage2=2)
    export(rec, tmp_path / "zh", lang="zh")
    book = openpyxl.load_workbook(tmp_path / "zh" / "recommendation.xlsx")
    for sheet in book.worksheets:
        heads = [c.value for c in sheet[1] if isinstance(c.value, str)]
        assert not [h for h in heads if re.fullmatch(r"[A-Za-z0-9_. ]+", h)], sheet.title
    candidates = pd.read_excel(tmp_path / "zh" / "recommendation.xlsx", sheet_name=label("sheet.candidates", "zh"),
                               engine="openpyxl")
    assert set(candidates["来源"]) == {label(f"origin.{o}", "zh") for o in set(rec.candidates["origin"])}


def test_every_policy_rule_reads_in_chinese() -> None:
    """Every kind of rule the MILP writes (tier bounds, minimum CMs, inside : outside by CMs and by all staff,
    a minimum of a role, a zone covered, VIP maintenance, the pools, the transfer limit, the outside-staff
    share, the tier order), over 40 random policies: the Chinese text keeps the outlet's name and numbers
    and has no English word left; English is the text itself."""
    from optimize.milp import OutletOptions, OutsideRule, Policy, RatioRule, VipRule, rules
    from sim.codes import ROLES
    from sim.labels import rule_label
    from tests.conftest import random_patterns

    rng = np.random.default_rng(5)
    seen: set[str] = set()
    for trial in range(40):
        outlets = []
        for o, tier in enumerate(("flagship", "backbone", "advancing", "potential")):
            counts, inside = random_patterns(rng, 6, 4, 9)
            outlets.append(OutletOptions(name=f"网点 {o}: East", tier=tier, second_level=bool((trial + o) % 3),
                                         vip_customers=float(40 * (o % 2)), counts=counts, cm_inside=inside,
                                         value=np.zeros(6), moves=np.arange(6.0),
                                         min_staff={"cash_teller": 1} if trial % 2 else {},
                                         cover_zones=("cash", "lobby") if trial % 3 else (),
                                         uncovered=((),) * 6))
        policy = Policy(total_headcount=60, role_pools={r: 20 for r in ROLES[:3]},
                        tier_bounds={"flagship": (5, 30), "potential": (3, 12)}, tier_monotone=True,
                        min_customer_managers=2, inside_outside=RatioRule(0.8, 1.25, 1.0, reading=
                                                                          ("customer_managers", "all_staff")[trial % 2],
                                                                          symmetric=trial % 4 < 2),
                        vip=VipRule(), max_moves=8, outside_staff=OutsideRule(min_people=2, share=0.5))
        for row in rules(outlets, policy):
            zh = rule_label(row.text, "zh")
            assert rule_label(row.text, "en") == row.text
            name = next((f"网点 {o}: East" for o in range(4) if row.text.startswith(f"网点 {o}: East")), None)
            assert name is None or zh.startswith(name), (row.text, zh)  # the outlet's own name, first
            bare = zh
            for o in range(4):
                bare = bare.replace(f"网点 {o}: East", "")
            assert not re.search(r"[A-Za-z]{2,}", bare.replace("VIP", "")), (row.text, zh)
            numbers = sorted(re.findall(r"\d+(?:\.\d+)?", row.text.rsplit(": East", 1)[-1]))
            assert sorted(re.findall(r"\d+(?:\.\d+)?", zh.rsplit(": East", 1)[-1])) == numbers, (row.text, zh)
            seen.add(row.group.split(".")[0])
    assert seen >= {"tier_bounds", "min_customer_managers", "inside_outside", "min_staff", "cover", "vip_maintenance",
                    "pool", "transfers", "outside_staff", "tier_monotone"}


def test_every_solver_status_has_a_chinese_word() -> None:
    import pulp

    from optimize.milp import FEASIBLE_WITHIN_GAP
    from sim.labels import cell_label

    for status in [*pulp.LpStatus.values(), FEASIBLE_WITHIN_GAP]:
        assert cell_label("status", status, "en") == status
        assert not re.search(r"[A-Za-z]", cell_label("status", status, "zh")), status
