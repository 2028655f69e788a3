package dashboards

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/grafana-tools/sdk"

	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// LeadersUID is the uid of the leaders' board.
const LeadersUID = "lantian-leaders"

// Leaders is the leaders' board: for the prefecture (自治州7县市平均) and each county with a
// target, the year to date against the plan's 2020 targets by the assessment stations alone
// (county_progress of lantian run's streaming assessor): PM2.5 against its on-track trajectory,
// the good-day ratio with the non-good days the year can still afford, sand-dust deducted and
// not; the monthly ranking by composite index (county_month, the numbers of `lantian assess
// --report period --period month`); the plan's other goals; the monthly PM2.5 trend.
func Leaders(areas []registry.Area, targets []registry.Target) *sdk.Board {
	names := make(map[string]string, len(areas)+1)
	for _, a := range areas {
		names[a.ID] = a.Name
	}
	names[schema.CountyPrefecture] = "全州（7县市平均）"
	g := &grid{}
	g.row("年度目标进度（考核点位；扣沙与未扣沙）")
	g.add(goalsTable(targets, names), 24, 10)
	g.row("月度排名（综合指数，与 lantian assess 月报一致）")
	g.add(monthlyRanking(names), 14, 10)
	g.add(monthlyTrend(names), 10, 10)
	g.row("采暖季（规划重点时段）与其他目标")
	g.add(heatingTable(targets, names), 24, 8)
	g.add(otherGoalsTable(targets, names), 24, 8)
	for _, sec := range goalSections(targets, names) {
		g.row(sec.title)
		g.add(trajectoryPanel(sec), 16, 8)
		g.add(budgetPanel(sec), 8, 8)
	}
	return newBoard(LeadersUID, "蓝天 · 领导驾驶舱", []string{"lantian", "leaders"}, "now/y",
		[]sdk.TemplateVar{bucketVar(), countyVar(), deductedVar()}, g)
}

// varDeducted selects sand-dust deducted (assessment, ranking) or undeducted figures.
const varDeducted = "deducted"

func deductedVar() sdk.TemplateVar {
	opts := []sdk.Option{
		{Text: "扣除沙尘（考核口径）", Value: schema.DeductedYes, Selected: true},
		{Text: "未扣除沙尘", Value: schema.DeductedNo},
	}
	return sdk.TemplateVar{
		Name: varDeducted, Type: "custom", Label: "沙尘口径",
		Query:   "扣除沙尘（考核口径） : " + schema.DeductedYes + ",未扣除沙尘 : " + schema.DeductedNo,
		Options: opts,
		Current: sdk.Current{Text: &sdk.StringSliceString{Value: []string{"扣除沙尘（考核口径）"}, Valid: true}, Value: schema.DeductedYes},
	}
}

var deductedFilter = fmt.Sprintf(`r.%s == "${%s}"`, schema.TagDeducted, varDeducted)

func fluxFloat(v float64) string {
	s := fmt.Sprintf("%g", v)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// goalAreas selects the prefecture row and the counties with a target.
func goalAreas(targets []registry.Target) string {
	ids := []string{schema.CountyPrefecture}
	for _, t := range targets {
		ids = append(ids, t.Area)
	}
	return fmt.Sprintf(`r.%s =~ /^(%s)$/`, schema.TagCounty, strings.Join(ids, "|"))
}

// goalSection is one area's section: a county with a target, or the prefecture row, whose
// targets and 2017 level are the means of the counties' (as the plan's own row is).
type goalSection struct {
	id, name, title   string
	target, level2017 float64
	baseYear          int
}

func goalSections(targets []registry.Target, names map[string]string) []goalSection {
	var out []goalSection
	var sumT, sum17 float64
	for _, t := range targets {
		sumT += t.PM25Goal
		sum17 += t.PM25In17
	}
	if n := float64(len(targets)); n > 0 {
		out = append(out, goalSection{id: schema.CountyPrefecture, name: names[schema.CountyPrefecture],
			title: "全州（7县市平均）目标与轨迹", target: round1(sumT / n), level2017: round1(sum17 / n), baseYear: 2017})
	}
	for _, t := range targets {
		n := names[t.Area]
		if n == "" {
			n = t.Area
		}
		out = append(out, goalSection{id: t.Area, name: n, title: n + " 目标与轨迹", target: t.PM25Goal, level2017: t.PM25In17, baseYear: t.BaseYear})
	}
	return out
}

func round1(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 1, 64), 64)
	return r
}

// Boards are all boards, built from the registry's areas and targets.
func Boards(areas []registry.Area, targets []registry.Target) []*sdk.Board {
	return []*sdk.Board{Operators(), Pipeline(), Leaders(areas, targets), Emergency(areas), CommandCentre()}
}

// byCounty is a Flux map adding column col with the value of each county (a Flux literal),
// def for a county not listed.
func byCounty(col string, values map[string]string, def string) string {
	var b strings.Builder
	for _, id := range sortedKeys(values) {
		fmt.Fprintf(&b, "if r.county == %q then %s else ", id, values[id])
	}
	return fmt.Sprintf("\n  |> map(fn: (r) => ({r with %s: %s%s}))", col, b.String(), def)
}

// goalFields are the county_progress fields of the goals table.
var goalFields = []string{schema.FieldPM25YTD, schema.FieldPM25Trajectory, schema.FieldPM25TrajGap, schema.FieldPM25Target,
	schema.FieldPM25Gap, schema.FieldGoodRatioYTD, schema.FieldGoodTarget, schema.FieldGoodGap, schema.FieldGoodBudget,
	schema.FieldValidDays, schema.FieldIncompleteDays, schema.FieldHeavyDays, schema.FieldPrefectureCounty}

// latestProgress is one row per area and deduction: its latest county_progress point in the
// time range (the standing as of the latest assessed day) with the fields given.
func latestProgress(filter string, fields []string) string {
	return fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, county: r.county, deducted: r.deducted, _field: r._field, _value: float(v: r._value)}))
  |> group(columns: ["county", "deducted"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> last(column: "_time")
  |> group()`, fromBucket(), filter, schema.IsAnyField(fields...))
}

// goalsTable: the prefecture and every county with a target, deducted and not, with the
// registry's 2017 level and base year attached.
func goalsTable(targets []registry.Target, names map[string]string) *sdk.Panel {
	level, baseYear := map[string]string{}, map[string]string{}
	for _, sec := range goalSections(targets, names) {
		level[sec.id], baseYear[sec.id] = fluxFloat(sec.level2017), fmt.Sprint(sec.baseYear)
	}
	q := latestProgress(and(schema.IsMeasurement(schema.CountyProgress), goalAreas(targets)), goalFields) +
		fmt.Sprintf("\n  |> map(fn: (r) => ({r with name: %s, scope: if r.deducted == %q then \"扣除沙尘\" else \"未扣除沙尘\"}))",
			nameOf(schema.TagCounty, names), schema.DeductedYes) +
		byCounty("pm25_2017", level, "0.0") + byCounty("base_year", baseYear, "0") +
		fmt.Sprintf("\n  |> map(fn: (r) => ({r with order: if r.county == %q then 0 else 1}))\n  |> sort(columns: [\"order\", \"county\", \"deducted\"], desc: false)", schema.CountyPrefecture)
	gap := func(name string, higherIsWorse bool) map[string]any {
		steps := []step{base(colorBad), at(0, colorOK)}
		if higherIsWorse {
			steps = []step{base(colorOK), at(0.05, colorBad)}
		}
		p := colouredCells(steps)
		p["displayName"] = name
		return p
	}
	budget := colouredCells([]step{base(colorBad), at(0, colorWarn), at(11, colorOK)})
	budget["displayName"] = "还可承受非优良天数"
	budget["decimals"] = 0
	heavy := colouredCells([]step{base(colorOK), at(1, colorWarn), at(5, colorHeavy)})
	heavy["displayName"] = "重污染天数"
	heavy["decimals"] = 0
	hidden := map[string]any{"custom.hidden": true}
	return table("全州及各县市年度目标进度",
		"年初至今，仅由考核点位（国控、省控站；微站不计）计算（lantian run 的 county_progress）。"+
			"每个区县两行：扣除沙尘（考核口径，环办监测〔2016〕120号）与未扣除沙尘。"+
			"PM2.5 先与达标轨迹比（基准年同期值按2020年目标折算：冬季高、夏季低，年底等于目标），差值为正即偏离轨迹；再与2020年目标比。"+
			"优良天数比例 = 优良天数 ÷ 有效天数；不完整天单列，不计入比例。“还可承受非优良天数”：余下每天都有效时，今年再出现多少个非优良天仍能达到优良目标，负数表示已无法达到。"+
			"2017年列为规划基准年（2015年为基准的两市另列基准年）。全州行为7县市平均（规划口径），不计天数。",
		map[string]any{"decimals": 1, "custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "截至", "unit": "dateTimeAsLocalNoDateIfToday"}),
			override("county", hidden), override("deducted", hidden), override("order", hidden),
			override("name", map[string]any{"displayName": "区县"}),
			override("scope", map[string]any{"displayName": "口径"}),
			override(schema.FieldPM25YTD, map[string]any{"displayName": "PM2.5 年初至今", "unit": unitUG}),
			override(schema.FieldPM25Trajectory, map[string]any{"displayName": "PM2.5 达标轨迹", "unit": unitUG}),
			override(schema.FieldPM25TrajGap, gap("与轨迹差", true)),
			override(schema.FieldPM25Target, map[string]any{"displayName": "PM2.5 2020年目标", "unit": unitUG}),
			override(schema.FieldPM25Gap, gap("与目标差", true)),
			override("pm25_2017", map[string]any{"displayName": "PM2.5 2017年", "unit": unitUG}),
			override("base_year", map[string]any{"displayName": "基准年", "decimals": 0}),
			override(schema.FieldGoodRatioYTD, map[string]any{"displayName": "优良天数比例 %", "unit": "percent"}),
			override(schema.FieldGoodTarget, map[string]any{"displayName": "优良目标 %", "unit": "percent"}),
			override(schema.FieldGoodGap, gap("优良差距", false)),
			override(schema.FieldGoodBudget, budget),
			override(schema.FieldValidDays, map[string]any{"displayName": "有效天数", "decimals": 0}),
			override(schema.FieldIncompleteDays, map[string]any{"displayName": "不完整天数", "decimals": 0}),
			override(schema.FieldHeavyDays, heavy),
			override(schema.FieldPrefectureCounty, map[string]any{"displayName": "参与平均县市数", "decimals": 0}),
		},
		fluxTarget("A", q))
}

// heatingTable: each county's heating season to date (county_season, latest point in the time
// range), by the selected deduction.
func heatingTable(targets []registry.Target, names map[string]string) *sdk.Panel {
	fields := []string{schema.FieldPM25YTD, schema.FieldGoodRatioYTD, schema.FieldValidDays, schema.FieldIncompleteDays, schema.FieldHeavyDays}
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, county: r.county, season: r.season, _field: r._field, _value: float(v: r._value)}))
  |> group(columns: ["county", "season"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> last(column: "_time")
  |> group()
  |> map(fn: (r) => ({r with name: %s}))
  |> sort(columns: ["season", "county"])`, fromBucket(),
		and(schema.IsMeasurement(schema.CountySeason), targetCounties(targets), countyFilter, deductedFilter),
		schema.IsAnyField(fields...), nameOf(schema.TagCounty, names))
	hidden := map[string]any{"custom.hidden": true}
	return table("采暖季至今",
		"规划以采暖季为重点时段：各县市本采暖季开始（assessment.heating_season，默认10月15日至次年4月15日，须按本州供暖期设置）至今的PM2.5均值与优良天数比例（考核点位，按所选沙尘口径）。"+
			"season 列为采暖季开始的年份。Heating season to date.",
		map[string]any{"decimals": 1, "custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "截至", "unit": "dateTimeAsLocalNoDateIfToday"}),
			override("county", hidden),
			override("season", map[string]any{"displayName": "采暖季"}),
			override("name", map[string]any{"displayName": "区县"}),
			override(schema.FieldPM25YTD, map[string]any{"displayName": "PM2.5 采暖季均值", "unit": unitUG}),
			override(schema.FieldGoodRatioYTD, map[string]any{"displayName": "优良天数比例 %", "unit": "percent"}),
			override(schema.FieldValidDays, map[string]any{"displayName": "有效天数", "decimals": 0}),
			override(schema.FieldIncompleteDays, map[string]any{"displayName": "不完整天数", "decimals": 0}),
			override(schema.FieldHeavyDays, map[string]any{"displayName": "重污染天数", "decimals": 0}),
		},
		fluxTarget("A", q))
}

// otherGoalsTable: SO2 and CO against Grade II, NO2 and O3 against the base year (undeducted:
// deduction removes particulate data only).
func otherGoalsTable(targets []registry.Target, names map[string]string) *sdk.Panel {
	fields := []string{schema.FieldSO2YTD, schema.FieldSO2Limit, schema.FieldSO2Gap, schema.FieldCOP95YTD, schema.FieldCOLimit, schema.FieldCOGap,
		schema.FieldNO2YTD, schema.FieldNO2Base, schema.FieldNO2Gap, schema.FieldO3P90YTD, schema.FieldO3Base, schema.FieldO3Gap}
	q := latestProgress(and(schema.IsMeasurement(schema.CountyProgress), targetCounties(targets), countyFilter,
		schema.Is(schema.TagDeducted, schema.DeductedNo)), fields) +
		fmt.Sprintf("\n  |> map(fn: (r) => ({r with name: %s}))\n  |> sort(columns: [\"county\"])", nameOf(schema.TagCounty, names))
	hidden := map[string]any{"custom.hidden": true}
	gap := func(name string, decimals int) map[string]any {
		p := colouredCells([]step{base(colorOK), at(0.001, colorBad)})
		p["displayName"], p["decimals"] = name, decimals
		return p
	}
	return table("其他目标（年初至今）",
		"规划：SO2、CO 年均浓度优于二级标准，遏制 NO2、O3 上升势头。SO2 为年均值，与二级年均限值 60 µg/m³ 比；CO 无年均限值，按 HJ 663 以日均值第95百分位数与日均限值 4 mg/m³ 比；"+
			"NO2 为年均值、O3 为日最大8小时第90百分位数，与配置的基准年值（assessment.base）比，未配置则空。差值为正（红）即超过二级标准或较基准年上升。",
		map[string]any{"decimals": 1, "custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "截至", "unit": "dateTimeAsLocalNoDateIfToday"}),
			override("county", hidden), override("deducted", hidden),
			override("name", map[string]any{"displayName": "区县"}),
			override(schema.FieldSO2YTD, map[string]any{"displayName": "SO2 年初至今", "unit": unitUG}),
			override(schema.FieldSO2Limit, map[string]any{"displayName": "SO2 二级限值", "unit": unitUG}),
			override(schema.FieldCOP95YTD, map[string]any{"displayName": "CO 第95百分位", "unit": "mg/m³", "decimals": 2}),
			override(schema.FieldCOLimit, map[string]any{"displayName": "CO 二级限值", "unit": "mg/m³"}),
			override(schema.FieldNO2YTD, map[string]any{"displayName": "NO2 年初至今", "unit": unitUG}),
			override(schema.FieldNO2Base, map[string]any{"displayName": "NO2 基准年", "unit": unitUG}),
			override(schema.FieldO3P90YTD, map[string]any{"displayName": "O3 第90百分位", "unit": unitUG}),
			override(schema.FieldO3Base, map[string]any{"displayName": "O3 基准年", "unit": unitUG}),
			override(schema.FieldSO2Gap, gap("SO2 超限", 1)),
			override(schema.FieldCOGap, gap("CO 超限", 2)),
			override(schema.FieldNO2Gap, gap("NO2 较基准年", 1)),
			override(schema.FieldO3Gap, gap("O3 较基准年", 1)),
		},
		fluxTarget("A", q))
}

func targetCounties(targets []registry.Target) string {
	ids := make([]string, len(targets))
	for i, t := range targets {
		ids[i] = t.Area
	}
	return fmt.Sprintf(`r.%s =~ /^(%s)$/`, schema.TagCounty, strings.Join(ids, "|"))
}

// trajectoryPanel draws an area's year-to-date PM2.5 (as of each assessed day) against its
// trajectory, with the 2020 target and the 2017 level as labelled lines.
func trajectoryPanel(sec goalSection) *sdk.Panel {
	sel := and(schema.IsMeasurement(schema.CountyProgress), schema.Is(schema.TagCounty, sec.id), deductedFilter)
	a := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, _value: float(v: r._value), _field: if r._field == %q then "年初至今PM2.5" else "达标轨迹"}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, fromBucket(), sel, schema.IsAnyField(schema.FieldPM25YTD, schema.FieldPM25Trajectory), schema.FieldPM25YTD)
	b := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, _value: %s, _field: "2020年目标 %g"}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, fromBucket(), sel, schema.IsField(schema.FieldPM25YTD), fluxFloat(sec.target), sec.target)
	c := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, _value: %s, _field: "2017年水平 %g"}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, fromBucket(), sel, schema.IsField(schema.FieldPM25YTD), fluxFloat(sec.level2017), sec.level2017)
	desc := fmt.Sprintf("%s：每个评价日的年初至今PM2.5均值（考核点位，按所选沙尘口径），与达标轨迹（基准年同期值按2020年目标折算；未配置基准年则无此线）比较；"+
		"另两条水平线为2020年目标 %g µg/m³ 与2017年水平 %g µg/m³（规划表所列）。高于轨迹即按此走势全年难以达标。", sec.name, sec.target, sec.level2017)
	p := timeseries(sec.name+" PM2.5 年初至今与达标轨迹", desc, unitUG, fluxTarget("A", a), fluxTarget("B", b), fluxTarget("C", c))
	p.TimeseriesPanel.Options.Legend = sdk.TimeseriesLegendOptions{Calcs: []string{"lastNotNull"}, DisplayMode: "list", Placement: "bottom"}
	return p
}

// budgetPanel shows an area's latest good-day ratio, its target and (counties) the non-good
// days the year can still afford.
func budgetPanel(sec goalSection) *sdk.Panel {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> last()
  |> map(fn: (r) => ({_time: r._time, _value: float(v: r._value),
      _field: if r._field == %q then "优良天数比例 %%" else if r._field == %q then "优良目标 %%" else "还可承受非优良天数"}))
  |> group(columns: ["_field"])`, fromBucket(),
		and(schema.IsMeasurement(schema.CountyProgress), schema.Is(schema.TagCounty, sec.id), deductedFilter),
		schema.IsAnyField(schema.FieldGoodRatioYTD, schema.FieldGoodTarget, schema.FieldGoodBudget),
		schema.FieldGoodRatioYTD, schema.FieldGoodTarget)
	desc := sec.name + "：年初至今优良天数比例（优良天数 ÷ 有效天数）与目标；“还可承受非优良天数”为余下每天均有效时，今年还能出现多少个非优良天而仍达到目标（负数：已无法达到；全州为7县市比例平均，无此项）。"
	return stat(sec.name+" 优良天数与余量", desc, "none",
		[]step{base(colorOK)}, nil, fluxTarget("A", q))
}

// beijingShiftNS moves a Beijing local midnight (16:00 UTC) to 00:00 UTC of the same date, so
// that date.year and date.month give the local month.
const beijingShiftNS = "28800000000000"

// countyMonths is Flux statements that end in a stream "months": per county and local month
// (column month, "2026-03"), the days with a published county daily value of the field name
// and the value's sum, with _time the local start of the month.
func countyMonths(name string) string {
	return fmt.Sprintf(`import "date"

%s
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({r with local: time(v: int(v: r._time) + %s)}))
  |> map(fn: (r) => ({_time: r._time, county: r.county, _value: float(v: r._value),
      month: string(v: date.year(t: r.local)) + (if date.month(t: r.local) < 10 then "-0" else "-") + string(v: date.month(t: r.local))}))
  |> group(columns: ["county", "month"])
  |> reduce(fn: (r, accumulator) => ({sum: accumulator.sum + r._value, days: accumulator.days + 1.0}), identity: {sum: 0.0, days: 0.0})
  |> group()
  |> map(fn: (r) => ({county: r.county, month: r.month, mean: r.sum / r.days, days: r.days,
      _time: time(v: int(v: time(v: r.month + "-01T00:00:00Z")) - %s)}))`, fromBucket(),
		and(schema.IsMeasurement(schema.AQIDaily), schema.Is(schema.TagScope, schema.ScopeCounty), schema.IsField(name), countyFilter),
		beijingShiftNS, beijingShiftNS)
}

// monthlyRanking is county_month: the areas ranked each month by composite index
// (综合指数, 1 = cleanest), written by lantian run with the offline period report's function, so
// the board and `lantian assess --report period --period month` print the same numbers.
func monthlyRanking(names map[string]string) *sdk.Panel {
	q := fmt.Sprintf(`import "date"

%s
  |> filter(fn: (r) => %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> map(fn: (r) => ({r with local: time(v: int(v: r._time) + %s)}))
  |> map(fn: (r) => ({r with month: string(v: date.year(t: r.local)) + (if date.month(t: r.local) < 10 then "-0" else "-") + string(v: date.month(t: r.local))}))
  |> drop(columns: ["local", "_start", "_stop", "_measurement", "area"])
  |> group()
  |> map(fn: (r) => ({r with name: %s}))
  |> sort(columns: ["month", "rank"], desc: false)`, fromBucket(),
		and(schema.IsMeasurement(schema.CountyMonth), countyFilter, deductedFilter), beijingShiftNS, nameOf(schema.TagCounty, names))
	hidden := map[string]any{"custom.hidden": true}
	return table("各县市月度排名（综合指数）",
		"每月按综合指数排名（1 = 最好），由考核点位的县市日均值计算（lantian run 写入 county_month），与 lantian assess --report period --period month 的月报数字相同。"+
			"综合指数 = SO2/60 + NO2/40 + PM10/70 + PM2.5/35 + CO第95百分位/4 + O3日最大8小时第90百分位/160；按所选沙尘口径（考核与排名扣除沙尘）。当月未结束时为月初至今；显示月初落在所选时间范围内的月份。",
		map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", hidden), override("county", hidden), override("deducted", hidden),
			override("month", map[string]any{"displayName": "月份"}),
			override(schema.FieldRank, map[string]any{"displayName": "排名", "decimals": 0}),
			override("name", map[string]any{"displayName": "区县"}),
			override(schema.FieldComposite, map[string]any{"displayName": "综合指数", "decimals": 2}),
			override(schema.FieldPrimary, map[string]any{"displayName": "首要污染物"}),
			override(schema.FieldMonthPM25, map[string]any{"displayName": "PM2.5 月均", "unit": unitUG, "decimals": 1}),
			override(schema.FieldMonthGood, map[string]any{"displayName": "优良天数比例 %", "unit": "percent", "decimals": 1}),
			override(schema.FieldValidDays, map[string]any{"displayName": "有效天数", "decimals": 0}),
			override(schema.FieldIncompleteDays, map[string]any{"displayName": "不完整天数", "decimals": 0}),
			override(schema.FieldGoodDays, hidden), override(schema.FieldDays, hidden),
			override(schema.FieldMonthTo, map[string]any{"displayName": "截至"}),
		},
		fluxTarget("A", q))
}

// monthlyTrend draws each county's monthly mean of the daily PM2.5 as bars.
func monthlyTrend(names map[string]string) *sdk.Panel {
	q := fmt.Sprintf(`%s
  |> map(fn: (r) => ({_time: r._time, _value: r.mean, _field: %s}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, countyMonths(schema.FieldPM25), nameOf(schema.TagCounty, names))
	p := timeseries("各县市PM2.5月均值趋势",
		"各县市（考核点位）日均PM2.5的月均值（aqi_daily，scope=county，HJ 663 日均值；北京时间自然月，未扣除沙尘），每月一组柱。",
		unitUG, fluxTarget("A", q))
	c := &p.TimeseriesPanel.FieldConfig.Defaults.Custom
	c.DrawStyle = "bars"
	c.FillOpacity = 80
	c.ShowPoints = "never"
	p.TimeseriesPanel.Options.Legend = sdk.TimeseriesLegendOptions{Calcs: []string{"lastNotNull", "mean"}, DisplayMode: "table", Placement: "right"}
	return p
}
