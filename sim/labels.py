"""Labels planners read, in English and Chinese, from one table (:data:`LABELS`).

Files that programs read (CSV, JSON) keep the machine ids: ``cash_teller``, ``backbone``,
``walkout_rate``. Files that people read — ``report.html`` and ``recommendation.xlsx`` of
``branchlab optimize --lang zh|en`` — show labels instead, looked up here by key
``<kind>.<id>``:

- ``zone.*``, ``role.*``, ``tier.*``, ``placement.*``: the domain's names (六大功能分区,
  岗位, 网点位阶, 内/外勤; the Chinese terms are those of the sub-branch essay and
  ``shared/DOMAIN.md``);
- ``kpi.*``: KPI names; a zone KPI such as ``cash.service_level`` is composed from the
  zone's and the KPI's labels (:func:`kpi_label`);
- ``plan.*``, ``kind.*``, ``stress.*``, ``outlet.region``, ``bool.*``: other ids that
  appear in table cells; ``column.*``: table headings; ``sheet.*``: workbook sheet names;
- ``heading.*``, ``fact.*``, ``caption.*``, ``note.*``, ``text.*``, ``chart.*``, ``xl.*``,
  ``count.*``, ``timing.*``: the reports' own words (page, charts, workbook); some are
  templates with ``{fields}`` (:func:`label` fills them).

English table *cells and headings* stay the machine ids (so a sheet reads back as the
CSV does, :func:`relabel` returns the frame unchanged); the English labels serve the
sentences around them. A key missing from the table shows as its id, so a new KPI is
never dropped, only untranslated.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: The languages of ``--lang``; the first is the default.
LANGS = ("en", "zh")

#: Every label by key: (English, Chinese).
LABELS: dict[str, tuple[str, str]] = {
    # the six functional zones (六大功能分区)
    "zone.lobby": ("lobby", "咨询引导区"),
    "zone.waiting": ("waiting area", "客户等候区"),
    "zone.cash": ("cash (high counter)", "现金服务区"),
    "zone.non_cash": ("non-cash (low counter)", "非现金服务区"),
    "zone.self_service": ("self-service", "自助服务区"),
    "zone.wealth": ("wealth room", "理财室"),
    # roles (岗位)
    "role.outlet_head": ("outlet head", "网点主任"),
    "role.operations_manager": ("operations manager", "营业经理"),
    "role.lobby_manager": ("lobby manager", "大堂经理"),
    "role.deputy_lobby_manager": ("deputy lobby manager", "大堂副理"),
    "role.cash_teller": ("cash teller", "高柜柜员"),
    "role.low_counter_teller": ("low-counter teller", "低柜柜员"),
    "role.customer_manager": ("customer manager", "个人客户经理"),
    "role.wealth_manager": ("wealth manager", "理财经理"),
    "role.security_guide": ("security guide", "保安"),
    # outlet tiers (网点位阶)
    "tier.flagship": ("flagship", "龙头"),
    "tier.backbone": ("backbone", "骨干"),
    "tier.advancing": ("advancing", "进位"),
    "tier.potential": ("potential", "潜力"),
    # where customer managers work (内勤/外勤); other roles have one placement
    "placement.inside": ("inside", "内勤"),
    "placement.outside": ("outside", "外勤"),
    "placement.all": ("all", "全部"),
    # KPIs
    "kpi.objective": ("objective (yuan/day)", "目标值（元/日）"),
    "kpi.value_yuan": ("value earned (yuan/day)", "价值贡献（元/日）"),
    "kpi.value_lost_yuan": ("value lost (yuan/day)", "流失价值（元/日）"),
    "kpi.walkout_rate": ("walk-out rate", "客户流失率"),
    "kpi.service_level": ("service level", "服务水平"),
    "kpi.sales": ("sales (products/day)", "产品销售（件/日）"),
    "kpi.field_new_customers": ("new customers won: field marketing and walk-ins at the counter (per day)",
                                "新增客户：外勤营销与柜面引进（户/日）"),
    "kpi.mean_wait_min": ("mean wait (min)", "平均等候时间（分钟）"),
    "kpi.p90_wait_min": ("90th percentile wait (min)", "90%分位等候时间（分钟）"),
    "kpi.utilisation": ("utilisation", "利用率"),
    # other ids in table cells
    "plan.current": ("today", "现有方案"),
    "plan.recommended": ("recommended", "建议方案"),
    "kind.transfer": ("transfer", "调动"),
    "kind.surplus": ("surplus", "富余"),
    "kind.hire": ("hire", "待补充"),
    "kind.conversion": ("conversion", "转岗"),
    "stress.holds": ("holds", "成立"),
    "stress.drops": ("drops", "取消"),
    "stress.reverses": ("reverses", "反向"),
    "outlet.region": ("region", "全区合计"),
    "bool.True": ("yes", "是"),
    "bool.False": ("no", "否"),
    # table headings
    "column.outlet": ("outlet", "网点"),
    "column.tier": ("tier", "位阶"),
    "column.simulated_tier": ("simulated tier", "模拟位阶"),
    "column.role": ("role", "岗位"),
    "column.placement": ("placement", "内外勤"),
    "column.current": ("today", "现有"),
    "column.recommended": ("recommended", "建议"),
    "column.change": ("change", "变动"),
    "column.added": ("added", "增加"),
    "column.removed": ("removed", "减少"),
    "column.plan": ("plan", "方案"),
    "column.kpi": ("KPI", "指标"),
    "column.mean": ("mean", "均值"),
    "column.ci95_low": ("95% CI low", "95%置信下限"),
    "column.ci95_high": ("95% CI high", "95%置信上限"),
    "column.n": ("days", "天数"),
    "column.current_ci95_low": ("today, 95% CI low", "现有 95%置信下限"),
    "column.current_ci95_high": ("today, 95% CI high", "现有 95%置信上限"),
    "column.recommended_ci95_low": ("recommended, 95% CI low", "建议 95%置信下限"),
    "column.recommended_ci95_high": ("recommended, 95% CI high", "建议 95%置信上限"),
    "column.change_ci95_low": ("change, 95% CI low", "变动 95%置信下限"),
    "column.change_ci95_high": ("change, 95% CI high", "变动 95%置信上限"),
    "column.worse": ("worse beyond noise", "超出噪声变差"),
    "column.from_outlet": ("from outlet", "调出网点"),
    "column.to_outlet": ("to outlet", "调入网点"),
    "column.people": ("people", "人数"),
    "column.kind": ("kind", "类型"),
    "column.group": ("group", "类别"),
    "column.rule": ("rule", "规则"),
    "column.sense": ("sense", "方向"),
    "column.limit": ("limit", "限值"),
    "column.value": ("value", "方案取值"),
    "column.binding": ("binding", "起约束作用"),
    "column.budget": ("budget (people)", "总编制（人）"),
    "column.delta": ("against today (people)", "较现有增减（人）"),
    "column.status": ("status", "状态"),
    "column.objective": ("objective (yuan/day)", "目标值（元/日）"),
    "column.marginal_yuan": ("marginal value (yuan/day)", "边际价值（元/日）"),
    "column.pattern": ("pattern", "方案号"),
    "column.origin": ("origin", "来源"),
    "column.from_role": ("from role", "原岗位"),
    "column.to_role": ("to role", "新岗位"),
    "column.max_people": ("at most (people)", "最多人数"),
    "column.training_cost_yuan": ("training cost (yuan)", "培训成本（元）"),
    "column.cost_yuan_per_day": ("cost (yuan/day)", "成本（元/日）"),
    "column.day_type": ("day type", "日类型"),
    "column.share": ("share of days", "天数占比"),
    "column.volume": ("customer volume (x an average day)", "客流量（平均日的倍数）"),
    "column.estimate_yuan": ("estimate (yuan/day)", "估计值（元/日）"),
    "column.prior_sd_yuan": ("prior sd of gains (yuan/day)", "增益先验标准差（元/日）"),
    "origin.current": ("current", "现有方案"),
    "origin.single move": ("single move", "单项调整"),
    "origin.combined": ("combined", "组合调整"),
    "origin.retuned": ("retuned", "阈值调整"),
    "column.average_day_ci95_low": ("average_day 95% CI low", "平均日方案95%置信下限"),
    "column.average_day_ci95_high": ("average_day 95% CI high", "平均日方案95%置信上限"),
    "column.robust_ci95_low": ("robust 95% CI low", "稳健方案95%置信下限"),
    "column.robust_ci95_high": ("robust 95% CI high", "稳健方案95%置信上限"),
    "column.today_shifts_ci95_low": ("today_shifts 95% CI low", "现有班次95%置信下限"),
    "column.today_shifts_ci95_high": ("today_shifts 95% CI high", "现有班次95%置信上限"),
    "column.roster_ci95_low": ("roster 95% CI low", "排班95%置信下限"),
    "column.roster_ci95_high": ("roster 95% CI high", "排班95%置信上限"),
    "column.person": ("person", "人员"),
    "column.zones": ("zones", "服务区域"),
    "column.hour": ("hour", "时段"),
    "column.cm_inside": ("customer managers inside", "客户经理内勤"),
    "column.cm_outside": ("customer managers outside", "客户经理外勤"),
    "column.total": ("head-count", "合计人数"),
    "column.moves": ("moves", "调动人次"),
    "column.objective_mean": ("objective, mean (yuan/day)", "目标值均值（元/日）"),
    "column.objective_ci95_low": ("objective, 95% CI low", "目标值 95%置信下限"),
    "column.objective_ci95_high": ("objective, 95% CI high", "目标值 95%置信上限"),
    "column.replications": ("days simulated", "模拟天数"),
    "column.chosen": ("chosen", "入选"),
    "column.holds in": ("holds in", "成立次数"),
    "column.today (95% CI)": ("today (95% CI)", "现有（95%置信区间）"),
    "column.recommended (95% CI)": ("recommended (95% CI)", "建议（95%置信区间）"),
    "column.change (paired 95% CI)": ("change (paired 95% CI)", "变动（配对95%置信区间）"),
    "column.worse beyond noise": ("worse beyond noise", "超出噪声变差"),
    # workbook sheets
    "sheet.summary": ("summary", "摘要"),
    "sheet.service": ("service", "服务水平"),
    "sheet.transfers": ("transfers", "人员调配"),
    "sheet.stress": ("stress", "压力测试"),
    "sheet.day_types": ("day_types", "日类型"),
    "sheet.conversions": ("conversions", "转岗"),
    "sheet.by_outlet": ("by_outlet", "分网点方案"),
    "sheet.kpis": ("kpis", "验证指标"),
    "sheet.constraints": ("constraints", "政策规则"),
    "sheet.frontier": ("frontier", "编制前沿"),
    "sheet.candidates": ("candidates", "候选方案"),
    # report headings, captions and notes (HTML allowed: these are our words, not the region file's)
    "heading.summary": ("Summary", "摘要"),
    "heading.moves_by_role": ("Moves by role", "按岗位汇总的增减"),
    "heading.service": ("Service", "服务水平"),
    "heading.transfers": ("Transfers", "人员调配"),
    "heading.day_types": ("Day types", "日类型"),
    "heading.conversions": ("Conversions between roles", "转岗"),
    "heading.moves": ("Moves", "调整明细"),
    "heading.holds": ("Moves that hold", "稳健的调整"),
    "heading.charts": ("Charts", "图表"),
    "heading.plan": ("Plan", "配置方案"),
    "heading.constraints": ("Policy rules", "政策规则"),
    "heading.frontier": ("Frontier", "编制前沿"),
    "caption.moves": ("People added and removed at each outlet, by role (customer managers outside hatched).",
                      "各网点按岗位增加与减少的人员（外勤客户经理以斜线标出）。"),
    "caption.value": ("Each outlet's daily objective under today's and the recommended plan, verified on fresh "
                      "days (95% CI).", "各网点在现有方案与建议方案下的日目标值，在新模拟日上验证（95%置信区间）。"),
    "caption.frontier": ("The optimum as the total head-count budget moves around today's, and what each person "
                         "adds.", "总编制在现有人数上下变动时的最优值，以及每一人带来的价值。"),
    "caption.candidates": ("Every simulated pattern per outlet; today's plan ringed, the chosen one starred.",
                           "各网点模拟过的每个方案；圆圈为现有方案，星号为入选方案。"),
    "caption.holds": ("Moves that hold when an assumed number is scaled: the plan re-solved under each variant.",
                      "某一假设数值缩放后仍成立的调整：每种情形下重新求解的方案。"),
    "note.service": ("Walk-out rate (share of arrivals who left unserved) and each zone's service level (share "
                     "served within its target wait), today and recommended, on the same fresh days; rows in red "
                     "are worse beyond noise (the paired 95% CI of the change lies wholly on the bad side).",
                     "客户流失率（到店后未获服务即离开的客户占比）与各区的服务水平（在目标等候时间内获得服务的客户"
                     "占比），现有方案与建议方案在同一批新模拟日上的结果；红色行为超出噪声的变差（变动的配对95%"
                     "置信区间完全落在不利一侧）。"),
    "note.transfers": ("Who goes where: the fewest rows that turn today's plan into the recommended one. "
                       "<em>surplus</em>: people left without a post at their outlet; <em>hire</em>: posts nobody "
                       "of that role leaves.",
                       "谁调往哪里：把现有方案变为建议方案所需的最少调动。<em>富余</em>：在本网点没有岗位的人员；"
                       "<em>待补充</em>：没有同岗位人员调出可以填补的岗位。"),
    "note.holds": ("Each move of the plan against the plan re-solved with one assumed number scaled "
                   "(<code>branchlab optimize --stress</code>).",
                   "方案中的每项调整，对照把某一假设数值缩放后重新求解的方案（<code>branchlab optimize --stress"
                   "</code>）。"),
    "text.title": ("Staffing recommendation — {region}", "人员配置建议 — {region}"),
    "text.run": ("Region file {source}; seed {seed}; branchlab {version}.",
                 "区域文件 {source}；随机种子 {seed}；branchlab {version}。"),
    "text.none_table": ("None.", "无。"),
    "text.no_moves": ("No one moves: every outlet keeps today's head-counts.", "无人员调整：各网点保持现有人数。"),
    "text.no_transfers": ("No transfers: every outlet keeps today's head-counts.", "无调配：各网点保持现有人数。"),
    "text.no_day_types": ("One average day (branchlab optimize --day-types, or [day_types] in the region file).",
                          "按平均日（branchlab optimize --day-types，或区域文件中的 [day_types]）。"),
    "text.no_conversions": ("None declared ([[conversions]] in the region file): people keep their roles.",
                            "未设置（区域文件中的 [[conversions]]）：人员不转岗。"),
    "text.not_computed": ("Not computed.", "未计算。"),
    "text.stress_not_run": ("Not run (branchlab optimize --stress).", "未运行（branchlab optimize --stress）。"),
    "text.none": ("none", "无"),
    "column.note": ("note", "说明"),
    # PuLP's solve statuses (pulp.LpStatus)
    "status.Optimal": ("Optimal", "最优"),
    "status.Not Solved": ("Not Solved", "未求解"),
    "status.Infeasible": ("Infeasible", "无可行解"),
    "status.Unbounded": ("Unbounded", "无界"),
    "status.Undefined": ("Undefined", "未定"),
    "status.Feasible within gap": ("Feasible within gap", "可行（在间隙限度内）"),
    "text.off": ("off", "关闭"),
    "text.ci": ("{mean} yuan/day (95% CI {low} to {high})", "{mean} 元/日（95%置信区间 {low} 至 {high}）"),
    "text.on_days": (", on {n} fresh days", "，基于 {n} 个新模拟日"),
    "text.paired_days": (", paired over {n} fresh days", "，{n} 个新模拟日配对比较"),
    "text.service_line": ("{kpi} {today} [{today_low}, {today_high}] today -> {rec} [{rec_low}, {rec_high}]{flag}",
                          "{kpi} 现有 {today} [{today_low}, {today_high}] → 建议 {rec} [{rec_low}, {rec_high}]{flag}"),
    "text.worse_flag": (" (worse beyond noise)", "（超出噪声变差）"),
    "text.worse_outlet": ("{outlet} {kpi} {today} -> {rec}", "{outlet} {kpi} {today} → {rec}"),
    "text.worse": ("worse", "变差"),
    "text.headcount": ("{current} today → {recommended} recommended (budget {budget})",
                       "现有 {current} → 建议 {recommended}（编制 {budget}）"),
    "text.surplus": ("; {n} person(s) without a post (see Transfers)", "；{n} 人无岗位（见人员调配）"),
    "text.hired": ("; {n} post(s) to fill from outside the outlets (see Transfers)",
                   "；{n} 个岗位需从网点外补充（见人员调配）"),
    "text.gap": ("{gap} (limit {limit})", "{gap}（上限 {limit}）"),
    "text.screening": ("{objective} yuan/day: the chosen patterns' estimate on the days used to choose them, each "
                       "gain over today shrunk toward 0 by its noise (the solver's bound {bound} and MIP gap {gap} are "
                       "the best estimate's, before the fewest-moves choice below); predicted uplift "
                       "{predicted} yuan/day, {share} realised",
                       "{objective} 元/日：入选方案在用于挑选它们的模拟日上的估计，相对现状的增益按噪声向 0 收缩"
                       "（求解器上界 {bound} 与 MIP 间隙 {gap} 针对最优估计，即下方取最少调动之前）；"
                       "预测增益 {predicted} 元/日，验证实现 {share}"),
    "text.stable": ("fewest moves within {tolerance} yuan/day (the noise) of the best estimate: {chosen} moves "
                    "instead of {best} (a transfer or a CM sent out counts 1, a person without a post or a post to "
                    "fill ½)",
                    "在最优估计 {tolerance} 元/日（噪声）以内调动最少：{chosen} 人次，而非 {best}"
                    "（一次调动或一名客户经理外派计 1，无岗位人员或待补岗位计 ½）"),
    "text.tier_move": ("{outlet}: {tier} → {simulated}", "{outlet}：{tier} → {simulated}"),
    "text.seconds": ("{name} {seconds:.1f} s", "{name} {seconds:.1f} 秒"),
    "text.list_sep": (", ", "，"),
    "text.item_sep": ("; ", "；"),
    # the optimiser's charts
    "chart.role": ("role", "岗位"),
    "chart.plan": ("plan", "方案"),
    "chart.objective": ("daily objective (yuan/day)", "日目标值（元/日）"),
    "chart.moves_x": ("change in head-count (people): removed ← 0 → added", "人数变动（人）：减少 ← 0 → 增加"),
    "chart.moves_title": ("Moves by outlet and role{note}", "各网点按岗位的调整{note}"),
    "chart.shown": (" ({limit} of {total} outlets shown)", "（显示 {total} 个网点中的 {limit} 个）"),
    "chart.no_moves": ("no one moves: every outlet keeps today's head-counts", "无人员调整：各网点保持现有人数"),
    "chart.value_title": ("{kpi} per outlet, mean and 95% CI over verification days{note}{region}",
                          "各网点{kpi}：验证日均值与95%置信区间{note}{region}"),
    "chart.region": ("\nregion total: {parts}", "\n全区合计：{parts}"),
    "chart.optimal": ("optimal objective", "最优目标值"),
    "chart.infeasible": ("no feasible plan", "无可行方案"),
    "chart.today_budget": ("today's budget ({budget} people)", "现有编制（{budget} 人）"),
    "chart.frontier_title": ("Head-count frontier: the optimum as the total budget moves",
                             "编制前沿：总编制变动时的最优值"),
    "chart.marginal": ("marginal value\n(yuan/day per person)", "边际价值\n（元/日/人）"),
    "chart.budget_x": ("total head-count budget (people)", "总编制（人）"),
    "chart.no_frontier": ("no frontier computed", "未计算编制前沿"),
    "chart.pruned": ("pruned or failed", "剪除或未通过"),
    "chart.kept": ("kept", "保留"),
    "chart.today": ("today's plan", "现有方案"),
    "chart.chosen": ("chosen", "入选"),
    "chart.candidates_x": ("total head-count of the pattern (people)", "方案总人数（人）"),
    "chart.candidates_title": ("Candidate patterns per outlet: estimated objective against head-count{note}",
                               "各网点候选方案：估计目标值与人数{note}"),
    "chart.first": (" (first {shown} of {total} outlets)", "（共 {total} 个网点，显示前 {shown} 个）"),
    "chart.holds_title": ("Moves that hold when an assumption is scaled (green holds, grey drops, red reverses)",
                          "假设缩放后仍成立的调整（绿：成立，灰：取消，红：反向）"),
    # the report's summary
    "fact.value_recommended": ("Verified value, recommended", "验证价值（建议方案）"),
    "fact.value_today": ("Verified value, today", "验证价值（现有方案）"),
    "fact.uplift": ("Verified uplift", "验证增益"),
    "fact.service": ("Service, region", "服务水平（全区）"),
    "fact.worse_outlets": ("Outlets whose service gets worse beyond noise", "服务超出噪声变差的网点"),
    "fact.headcount": ("Head-count", "人数"),
    "fact.screening": ("Screening estimate (not verified)", "筛选估计（未验证）"),
    "fact.stable": ("Stable plan", "稳定方案"),
    "fact.status": ("Solver status", "求解状态"),
    "fact.binding": ("Binding rules", "起约束作用的规则"),
    "fact.tier_moves": ("Tier moves (today's simulated customers and value)", "位阶变动（按现有方案模拟的客户与价值）"),
    "fact.patterns": ("Patterns", "候选方案"),
    "fact.rounds": ("Verification rounds", "验证轮数"),
    "fact.time": ("Time", "用时"),
    "count.generated": ("generated", "生成"),
    "count.dropped_analytic": ("dropped analytic", "解析剔除"),
    "count.simulated": ("simulated", "模拟"),
    "count.kept": ("kept", "保留"),
    "count.simulated_days": ("simulated days", "模拟天数"),
    "timing.evaluate": ("evaluate", "评估"),
    "timing.solve_and_verify": ("solve and verify", "求解与验证"),
    "timing.frontier": ("frontier", "编制前沿"),
    # the workbook's summary sheet
    "xl.column_field": ("field", "项目"),
    "xl.column_value": ("value", "数值"),
    "xl.column_note": ("note", "说明"),
    "xl.cell_cut": (" … [{more:,} more characters: cut at Excel's {limit:,}-character cell limit; "
                    "recommendation.json and the CSV files hold the whole text]",
                    " ……[另有 {more:,} 个字符：超出 Excel 单元格 {limit:,} 字符上限被截去；"
                    "recommendation.json 与 CSV 文件载有全文]"),
    "xl.section_verified": ("Verified on fresh days", "新模拟日验证结果"),
    "xl.section_run": ("Run", "运行信息"),
    "xl.section_fields": ("All fields (the keys of recommendation.json)", "全部字段（recommendation.json 的键）"),
    "xl.yuan_days": ("yuan/day, on {n} fresh days", "元/日，基于 {n} 个新模拟日"),
    "xl.yuan_paired": ("yuan/day, paired over {n} fresh days", "元/日，{n} 个新模拟日配对比较"),
    "xl.today": ("{kpi}, today", "{kpi}，现有方案"),
    "xl.recommended": ("{kpi}, recommended", "{kpi}，建议方案"),
    "xl.change": ("change {change} pp [{low}, {high}] (paired 95% CI)",
                  "变动 {change} 个百分点 [{low}, {high}]（配对95%置信区间）"),
    "xl.headcount_today": ("Head-count today", "现有人数"),
    "xl.headcount_recommended": ("Head-count recommended", "建议人数"),
    "xl.headcount_budget": ("Head-count budget", "编制"),
    "xl.surplus": ("People without a post", "无岗位人员"),
    "xl.hired": ("Posts to fill from outside the outlets", "需从网点外补充的岗位"),
    "xl.screening_note": ("yuan/day: the chosen patterns' estimate on the days used to choose them, gains shrunk "
                          "by their noise", "元/日：入选方案在用于挑选它们的模拟日上的估计（增益按噪声收缩）"),
    "xl.exported": ("Exported", "导出时间"),
    "xl.region": ("Region", "区域"),
    "xl.region_file": ("Region file", "区域文件"),
    "xl.seed": ("Seed", "随机种子"),
    "xl.replications": ("Fresh days per plan (verification)", "每个方案的验证模拟天数"),
    "xl.solver": ("Solver", "求解器"),
    "xl.gap_limit": ("MIP gap limit", "MIP 间隙上限"),
    "xl.gap": ("MIP gap reached", "实际 MIP 间隙"),
    "xl.frontier": ("Frontier budgets (people)", "编制前沿范围（人）"),
    "xl.frontier_range": ("{low} to {high}", "{low} 至 {high}"),
    "xl.tolerance": ("Stable-plan tolerance (yuan/day)", "稳定方案容差（元/日）"),
    "xl.stress": ("Stress test", "压力测试"),
    "xl.stress_run": ("run: {variants} scaled-assumption variants", "已运行：{variants} 种假设缩放情形"),
    "xl.version": ("branchlab version", "branchlab 版本"),
    "xl.unit_people": ("people", "人"),
    # the average-day plan against the robust (day-type) plan on a simulated month (issue 20)
    "sheet.robustness": ("robustness", "平均日与稳健方案"),
    "heading.robustness": ("Average day against every day of the month", "平均日方案与稳健方案（按月模拟）"),
    "note.robustness": ("The plan chosen for one average day and the plan chosen over the month's day types, both "
                        "simulated on the same days of every day type (common random numbers); change = robust "
                        "- average day, with its paired 95% CI.",
                        "按平均日选出的方案与按本月各日类型选出的方案，在每种日类型的相同模拟日上比较（共同随机数）；"
                        "变动 = 稳健方案 - 平均日方案，附配对95%置信区间。"),
    "text.robustness_cost": ("robustness costs {cost} yuan/day of the month's value (negative: the robust plan is "
                             "worth more), paired 95% CI [{low}, {high}] (average-day plan {average}, robust plan "
                             "{robust})",
                             "稳健性使月均价值减少 {cost} 元/日（负值表示稳健方案价值更高），"
                             "配对95%置信区间 [{low}, {high}]（平均日方案 {average}，稳健方案 {robust}）"),
    "text.robustness_worst": ("worst day type {day}: walk-out rate {average} average-day plan -> {robust} robust "
                              "(change {change}, paired 95% CI [{low}, {high}])",
                              "最忙的日类型 {day}：流失率 平均日方案 {average} -> 稳健方案 {robust}"
                              "（变动 {change}，配对95%置信区间 [{low}, {high}]）"),
    "text.robustness_days": ("simulated days: {robust} for the robust run, {average} for the average-day run, "
                             "{month} more for the month comparison",
                             "模拟天数：稳健方案 {robust}，平均日方案 {average}，按月比较另需 {month}"),
    "column.scope": ("scope", "范围"),
    "column.average_day": ("average_day", "平均日方案"),
    "column.robust": ("robust", "稳健方案"),
    # flexible posts' thresholds (issue 16)
    "sheet.flex_posts": ("flex_posts", "弹性岗位"),
    "heading.flex_posts": ("Flexible posts", "弹性岗位"),
    "note.flex_posts": ("When a flexible post's staff leave their own work for a busy zone (岗位弹性设置): called "
                        "when more customers than open_above wait in its queue, back when fewer than close_below "
                        "wait; today's and the recommended thresholds, the open_above values tried, and the zone's "
                        "service level under today's plan and the recommended plan on the same fresh days (paired "
                        "change).",
                        "弹性岗位人员何时离开本职支援繁忙区域（岗位弹性设置）：排队人数超过 open_above 时调用，"
                        "少于 close_below 时返回；列出现有与建议的阈值、已试的 open_above 取值，以及现有方案与建议方案"
                        "在相同新模拟日上该区域的服务水平（配对变动）。"),
    "column.zone": ("zone", "区域"),
    "column.current_open_above": ("today: called above", "现有：排队超过即调用"),
    "column.current_close_below": ("today: back below", "现有：排队低于即返回"),
    "column.recommended_open_above": ("recommended: called above", "建议：排队超过即调用"),
    "column.recommended_close_below": ("recommended: back below", "建议：排队低于即返回"),
    "column.changed": ("changed", "是否调整"),
    "column.tried_open_above": ("called above: tried", "已试调用阈值"),
    "column.service_level_current": ("service level today", "现有服务水平"),
    "column.service_level_recommended": ("service level recommended", "建议服务水平"),
    "column.service_level_change": ("service level change", "服务水平变动"),
    "column.service_level_change_ci": ("change, paired 95% CI", "变动（配对95%置信区间）"),
    "column.away_min_current": ("minutes away a day, today", "每日离岗分钟（现有）"),
    "column.away_min_recommended": ("minutes away a day, recommended", "每日离岗分钟（建议）"),
    "column.service_level_change_ci95_low": ("change 95% CI low", "变动95%置信下限"),
    "column.service_level_change_ci95_high": ("change 95% CI high", "变动95%置信上限"),
    "text.flex_line": ("{outlet} {zone}: {role} called when more than {now} wait, back when fewer than {now_back} "
                       "(today) -> more than {rec}, fewer than {rec_back} (recommended); {zone} service level "
                       "{sl_now} -> {sl_rec} (change {change} pp, paired 95% CI [{low}, {high}]){worse}; away from "
                       "their own work {away_now} -> {away_rec} min a day",
                       "{outlet} {zone}：{role} 排队超过 {now} 人即调用、少于 {now_back} 人返回（现有）"
                       "-> 超过 {rec} 人、少于 {rec_back} 人（建议）；{zone}服务水平 {sl_now} -> {sl_rec}"
                       "（变动 {change} 个百分点，配对95%置信区间 [{low}, {high}]）{worse}；"
                       "每日离开本职 {away_now} -> {away_rec} 分钟"),
    "text.flex_kept": ("every flexible post keeps today's thresholds ({posts} posts; tried: {tried})",
                       "各弹性岗位保持现有阈值（{posts} 个岗位；已试：{tried}）"),
    "text.flex_not_searched": ("every flexible post keeps today's thresholds ({posts} posts; none other tried: "
                               "[search] flex_open_above)",
                               "各弹性岗位保持现有阈值（{posts} 个岗位；未试其他阈值：[search] flex_open_above）"),
    "fact.flex_posts": ("Flexible posts", "弹性岗位"),
    "text.flex_when": ("above {above}, below {below}", "超过 {above} 人调用、少于 {below} 人返回"),
    "text.pp_ci": ("{change} pp [{low}, {high}]", "{change} 个百分点 [{low}, {high}]"),
    "text.stable_retuned": ("; {chosen} flexible post(s) retuned instead of {best}",
                            "；调整弹性岗位阈值 {chosen} 个，而非 {best} 个"),
    # intraday rosters (issue 20)
    "sheet.roster": ("roster", "排班"),
    "sheet.roster_kpis": ("roster_kpis", "排班验证"),
    "sheet.roster_hourly": ("roster_hourly", "排班分时服务"),
    "sheet.roster_iterations": ("roster_iterations", "排班迭代"),
    "heading.roster": ("Intraday roster", "日内排班"),
    "note.roster": ("Each inside person's shift and lunch chosen from the region file's [roster] template for the "
                    "recommended head-counts, simulated and corrected until no hour's service falls below its floor "
                    "beyond noise; verified against today's shifts of the same head-counts on the same fresh days "
                    "(change = roster - today's shifts, paired 95% CI).",
                    "按区域文件 [roster] 模板为建议人数安排每人的班次与午休，"
                    "经模拟与修正直至各小时服务水平不再显著低于下限；"
                    "与相同人数下的现有班次在相同的新模拟日上比较（变动 = 排班 - 现有班次，配对95%置信区间）。"),
    "chart.clock": ("clock", "时刻"),
    "chart.roster": ("Roster, {outlet}", "排班：{outlet}"),
    "caption.roster": ("Roster of {outlet}: each person's shift, the lunch left open",
                       "{outlet} 排班：每人的班次，空白为午休"),
    "column.today_shifts": ("today_shifts", "现有班次"),
    "column.roster": ("roster", "排班"),
    "column.shift_start": ("shift_start", "上班"),
    "column.shift_end": ("shift_end", "下班"),
    "column.lunch_start": ("lunch_start", "午休开始"),
    "column.lunch_end": ("lunch_end", "午休结束"),
    "text.roster_line": ("{kpi} {today} today's shifts -> {roster} roster (change {change} pp, paired 95% CI "
                         "[{low}, {high}])",
                         "{kpi} 现有班次 {today} -> 排班 {roster}"
                         "（变动 {change} 个百分点，配对95%置信区间 [{low}, {high}]）"),
    "text.roster_met": ("{met} of {outlets} outlets meet every hour's service floor with no hour and no zone's lunch "
                        "hours worse than today's shifts (at most {rounds} rounds)",
                        "{outlets} 个网点中 {met} 个各小时服务水平均达下限，且无一小时、无一区域的午间服务差于现有班次"
                        "（最多 {rounds} 轮）"),
}


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`.

    Raises:
        ValueError: another value; the one-line message lists the allowed ones.
    """
    if lang not in LANGS:
        raise ValueError(f"lang: must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def label(key: str, lang: str = "en", **fields: Any) -> str:
    """The label of ``key`` (``"role.cash_teller"``) in ``lang``, with ``{fields}`` filled in.

    A key missing from :data:`LABELS` gives its id (the part after the first dot).
    """
    entry = LABELS.get(key)
    index = LANGS.index(check_lang(lang))
    text = (key.partition(".")[2] or key) if entry is None else entry[index]
    return text.format(**fields) if fields else text


def kpi_label(kpi: str, lang: str = "en") -> str:
    """A KPI's label; ``<zone>.<kpi>`` (``"cash.service_level"``) joins the zone's and the KPI's labels."""
    zone, dot, name = kpi.partition(".")
    if dot and f"zone.{zone}" in LABELS:
        joiner = "" if lang == "zh" else " "
        return f"{label(f'zone.{zone}', lang)}{joiner}{label(f'kpi.{name}', lang)}"
    return label(f"kpi.{kpi}", lang)


def column_label(column: str, lang: str = "en") -> str:
    """A table heading: ``column.*``, else a role or KPI column's label, else the column itself."""
    for key in (f"column.{column}", f"role.{column}"):
        if key in LABELS:
            return label(key, lang)
    if f"kpi.{column}" in LABELS or f"zone.{column.partition('.')[0]}" in LABELS:
        return kpi_label(column, lang)
    return column


#: What an empty table says, by its sheet name (the workbook's note row, the report's section); others
#: say ``text.none_table``.
EMPTY_TABLE = {"stress": "text.stress_not_run", "transfers": "text.no_transfers", "conversions": "text.no_conversions",
               "day_types": "text.no_day_types", "frontier": "text.not_computed"}


#: Which kind of id the cells of a column hold (the key prefix in :data:`LABELS`).
CELL_KINDS = {"role": "role", "zone": "zone", "tier": "tier", "simulated_tier": "tier", "placement": "placement",
              "kpi": "kpi", "plan": "plan", "kind": "kind", "outlet": "outlet", "from_outlet": "outlet",
              "to_outlet": "outlet", "from_role": "role", "to_role": "role", "origin": "origin",
              "rule": "rule", "status": "status"}


#: The policy rules' English text (:mod:`optimize.milp`'s rows) as patterns, each with its Chinese wording;
#: ``{tier}``, ``{role}``, ``{zone}``, ``{upper}`` and ``{lower}`` are ids, labelled; the rest is kept.
_RULES = [(re.compile(pattern), zh) for pattern, zh in (
    (r"(?P<name>.+): (?P<tier>\w+) outlets need at least (?P<n>\S+) people", "{name}：{tier}网点至少 {n} 人"),
    (r"(?P<name>.+): (?P<tier>\w+) outlets have at most (?P<n>\S+) people", "{name}：{tier}网点至多 {n} 人"),
    (r"(?P<name>.+): at least (?P<n>\S+) customer managers", "{name}：客户经理至少 {n} 人"),
    (r"(?P<name>.+?)(?P<all> \(all staff\))?: (?P<a>inside|outside) (?P<op>>=|<=) (?P<k>\S+) x "
     r"(?P<b>inside|outside) (?P<sign>[+-]) (?P<t>\S+)", "{name}{all}：{a} {op} {k} × {b} {sign} {t}"),
    (r"(?P<name>.+): at least (?P<n>\S+) (?P<role>\w+)", "{name}：{role}至少 {n} 人"),
    (r"(?P<name>.+): somebody on duty at (?P<zone>\w+) all day, lunch included",
     "{name}：{zone}全天有人值守（含午休）"),
    (r"(?P<name>.+): \(CM \+ WM\) x (?P<b>\S+) VIP slots >= (?P<m>\S+) x (?P<v>\S+) VIPs = (?P<n>\S+)",
     "{name}：（客户经理 + 理财经理）× {b} 个贵宾客户名额 ≥ {m} × {v} 位贵宾客户 = {n}"),
    (r"total head-count pool (?P<n>\S+)", "总编制上限 {n} 人"),
    (r"(?P<role>\w+) pool (?P<n>\S+)", "{role}总数上限 {n} 人"),
    (r"at most (?P<n>\S+) people moved", "调动至多 {n} 人"),
    (r"at least (?P<need>\S+) of (?P<k>\S+) second-level outlets with >= (?P<m>\S+) outside",
     "{k} 个二级网点中至少 {need} 个网点外勤人员不少于 {m} 人"),
    (r"mean head-count (?P<upper>\w+) >= (?P<lower>\w+)", "{upper}网点平均人数 ≥ {lower}网点平均人数"),
)]
#: Words of the rules' text the Chinese wording labels.
_RULE_WORDS = {"inside": "内勤", "outside": "外勤", " (all staff)": "（按全体员工）", ">=": "≥", "<=": "≤"}


def rule_label(text: str, lang: str = "en") -> str:
    """A policy rule's text (:attr:`optimize.milp.Row.text`) in ``lang``: the text itself in English; in
    Chinese its wording with the outlet's name and the numbers as they are, the ids labelled (the text
    itself if it matches no rule's pattern)."""
    if check_lang(lang) == "en":
        return text
    for pattern, zh in _RULES:
        hit = pattern.fullmatch(text)
        if hit is None:
            continue
        fields = {k: v or "" for k, v in hit.groupdict().items()}
        for key, kind in (("tier", "tier"), ("upper", "tier"), ("lower", "tier"), ("role", "role"), ("zone", "zone")):
            if key in fields and f"{kind}.{fields[key]}" in LABELS:
                fields[key] = label(f"{kind}.{fields[key]}", lang)
            elif key in fields:
                break  # an id this wording does not know: try the next pattern
        else:
            for key in ("a", "b", "all", "op"):
                if key in fields:
                    fields[key] = _RULE_WORDS.get(fields[key], fields[key])
            return zh.format(**fields)
    return text


def cell_label(kind: str, value: Any, lang: str = "en") -> Any:
    """One cell of a column of ids as a label: a move ``"inside -> outside"`` (or ``"low_counter_teller ->
    customer_manager"``) part by part; values that are not ids of that kind (outlet names, NaN) unchanged."""
    if not isinstance(value, str):
        return value
    if kind in ("role", "placement") and " -> " in value:
        return " → ".join(str(cell_label(kind, part, lang)) for part in value.split(" -> "))
    if kind == "kpi":
        return kpi_label(value, lang)
    if kind == "rule":
        return rule_label(value, lang)
    key = f"{kind}.{value}"
    return label(key, lang) if key in LABELS else value


def relabel(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """``frame`` as people read it in ``lang``: headings and id cells labelled, booleans as 是/否.

    In English the frame is returned unchanged (headings and cells are the machine ids,
    as in the CSV files); in Chinese a copy with :func:`column_label` headings, the id
    columns of :data:`CELL_KINDS` and the stress test's ``holds``/``drops``/``reverses``
    cells labelled. Numbers are left alone.
    """
    if check_lang(lang) == "en":
        return frame
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        kind = CELL_KINDS.get(str(column), "stress" if " x" in str(column) else None)
        if kind is not None:
            out[column] = series.map(lambda v, k=kind: cell_label(k, v, lang))
        elif series.dtype == bool:
            out[column] = series.map(lambda v: label(f"bool.{v}", lang))
    return out.rename(columns=lambda c: column_label(str(c), lang))
