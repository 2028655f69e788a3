package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana-tools/sdk"

	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// LeadersUID is the uid of the leaders' board.
const LeadersUID = "lantian-leaders"

// beijingDayOffset aligns Flux's 1d windows (counted from the Unix epoch, UTC) to natural days
// in Beijing time, which Xinjiang's stations report in: midnight UTC+8 is 16:00 UTC.
const beijingDayOffset = "16h"

// Leaders is the leaders' board: each county's year-to-date PM2.5 and good-day ratio against
// the plan's 2020 target and its 2015/2017 baseline with heavy-pollution days (the streaming
// assessor's county_progress), the monthly ranking of counties by mean daily AQI and the
// monthly trend (aqi_daily), and the live PM2.5 means from the hourly readings.
func Leaders(areas []registry.Area, targets []registry.Target) *sdk.Board {
	names := make(map[string]string, len(areas))
	for _, a := range areas {
		names[a.ID] = a.Name
	}
	g := &grid{}
	g.row("年度进度 Year to date against the 2020 targets (lantian run)")
	g.add(countyYTDTable(targets, names), 24, 9)
	g.add(monthlyRanking(names), 12, 10)
	g.add(monthlyTrend(names), 12, 10)
	g.row("PM2.5 目标进度 PM2.5 against the 2020 targets (from hourly readings)")
	g.add(countyProgressTable(targets, names), 12, 10)
	g.add(countyProgressBars(targets, names), 12, 10)
	g.row("各县市日均值 Daily means by county")
	for _, t := range targets {
		g.add(countyTrend(t, names[t.Area]), 8, 8)
	}
	return newBoard(LeadersUID, "蓝天 · 领导驾驶舱", []string{"lantian", "leaders"}, "now/y",
		[]sdk.TemplateVar{bucketVar(), countyVar()}, g)
}

// countyDaily is the daily mean PM2.5 per county from the valid hourly values of all its
// stations, over Beijing natural days. (The official assessment, with HJ 663's validity
// rules, is lantian assess; this is the live view of the same data.)
func countyDaily(countyPredicate string) string {
	return fmt.Sprintf(`import "strings"

%svalid
  |> map(fn: (r) => ({_time: r._time, _value: r.v, county: r.county}))
  |> group(columns: ["county"])
  |> window(every: 1d, offset: %s)
  |> mean()
  |> duplicate(column: "_start", as: "_time")
  |> window(every: inf)`,
		validRows(and(schema.IsMeasurement(schema.Air), schema.Is(schema.TagPeriod, "1h"), countyPredicate), []string{schema.FieldPM25},
			[]string{schema.TagStation, schema.TagCounty}, false),
		beijingDayOffset)
}

// withTargets generates the Flux that attaches each county's display name and 2020 target:
// the registry is compiled into the query, so a bureau's own targets flow into the board.
func withTargets(targets []registry.Target, names map[string]string) string {
	var name, target strings.Builder
	for _, t := range targets {
		n := names[t.Area]
		if n == "" {
			n = t.Area
		}
		fmt.Fprintf(&name, "if r.county == %q then %q else ", t.Area, n)
		fmt.Fprintf(&target, "if r.county == %q then %s else ", t.Area, fluxFloat(t.PM25Goal))
	}
	return fmt.Sprintf(`  |> map(fn: (r) => ({r with name: %sr.county, target: %s0.0}))`, name.String(), target.String())
}

func fluxFloat(v float64) string {
	s := fmt.Sprintf("%g", v)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func targetCounties(targets []registry.Target) string {
	ids := make([]string, len(targets))
	for i, t := range targets {
		ids[i] = t.Area
	}
	return fmt.Sprintf(`r.%s =~ /^(%s)$/`, schema.TagCounty, strings.Join(ids, "|"))
}

// countyProgress is one row per county with a target: period mean, target and their ratio.
func countyProgress(targets []registry.Target, names map[string]string) string {
	return fmt.Sprintf(`%s
  |> group(columns: ["county"])
  |> mean()
  |> group()
%s
  |> map(fn: (r) => ({county: r.county, name: r.name, pm25: r._value, target: r.target, ratio: r._value / r.target}))
  |> sort(columns: ["county"])`, countyDaily(targetCounties(targets)+" and "+countyFilter), withTargets(targets, names))
}

func countyProgressTable(targets []registry.Target, names map[string]string) *sdk.Panel {
	ratio := colouredCells([]step{base(colorOK), at(0.9, colorWarn), at(1, colorBad)})
	ratio["unit"] = "percentunit"
	ratio["displayName"] = "占目标 of target"
	return table("各县市PM2.5均值与2020年目标",
		"Each county's PM2.5 mean over the time range (mean of Beijing-day means of valid hourly values, all stations of the county) against the plan's 2020 target (昌州环发〔2019〕30号). Red: above target.",
		map[string]any{"decimals": 1, "custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("county", map[string]any{"custom.hidden": true}),
			override("name", map[string]any{"displayName": "区县 county"}),
			override("pm25", map[string]any{"displayName": "PM2.5 均值 mean", "unit": unitUG}),
			override("target", map[string]any{"displayName": "2020 目标 target", "unit": unitUG}),
			override("ratio", ratio),
		},
		fluxTarget("A", countyProgress(targets, names)))
}

func countyProgressBars(targets []registry.Target, names map[string]string) *sdk.Panel {
	return custom("bargauge", "PM2.5均值占2020年目标比例",
		"Each county's PM2.5 mean as a share of its 2020 target: at or under 100 % the county is on target.",
		[]sdk.Target{fluxTarget("A", countyProgress(targets, names))},
		map[string]any{
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "/^ratio$/", "values": true},
			"orientation":   "horizontal", "displayMode": "gradient", "showUnfilled": true, "minVizHeight": 10, "minVizWidth": 0,
		},
		fieldConfig(map[string]any{"unit": "percentunit", "min": 0, "max": 2, "decimals": 0,
			"thresholds": mapSteps([]step{base(colorOK), at(0.9, colorWarn), at(1, colorBad)}),
			"color":      map[string]any{"mode": "thresholds"}, "mappings": []map[string]any{}}))
}

// countyTrend draws one county's daily means and its running mean against the 2020 target
// (and, when different, its 2017 level) as dashed threshold lines.
func countyTrend(t registry.Target, name string) *sdk.Panel {
	daily := countyDaily(schema.Is(schema.TagCounty, t.Area))
	a := fmt.Sprintf(`%s
  |> map(fn: (r) => ({_time: r._time, _value: r._value, _field: "日均值 daily mean"}))
  |> group(columns: ["_field"])`, daily)
	b := fmt.Sprintf(`%s
  |> map(fn: (r) => ({_time: r._time, _value: r._value, n: 1.0}))
  |> cumulativeSum(columns: ["_value", "n"])
  |> map(fn: (r) => ({_time: r._time, _value: r._value / r.n, _field: "累计均值 running mean"}))
  |> group(columns: ["_field"])`, daily)
	steps := []step{base(colorOK), at(t.PM25Goal, colorBad)}
	if t.PM25In17 > t.PM25Goal {
		steps = append(steps, at(t.PM25In17, colorSevere))
	}
	desc := fmt.Sprintf("%s (%s): daily mean PM2.5 (Beijing days) and the running mean since the start of the time range. Dashed lines: 2020 target %g µg/m³ (red) and 2017 level %g µg/m³.", name, t.Area, t.PM25Goal, t.PM25In17)
	p := withThresholdLine(timeseries(fmt.Sprintf("%s PM2.5 (目标 %g)", name, t.PM25Goal), desc, unitUG,
		fluxTarget("A", a), fluxTarget("B", b)), steps...)
	p.TimeseriesPanel.Options.Legend = sdk.TimeseriesLegendOptions{Calcs: []string{"lastNotNull"}, DisplayMode: "list", Placement: "bottom"}
	return p
}

// Boards are all boards, built from the registry's areas and targets.
func Boards(areas []registry.Area, targets []registry.Target) []*sdk.Board {
	return []*sdk.Board{Operators(), Pipeline(), Leaders(areas, targets), Emergency(areas)}
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

// progressFields are the county_progress fields the year-to-date table shows.
var progressFields = []string{schema.FieldPM25YTD, schema.FieldPM25Target, schema.FieldPM25Gap,
	schema.FieldGoodRatioYTD, schema.FieldGoodTarget, schema.FieldGoodGap, schema.FieldValidDays, schema.FieldHeavyDays}

// countyYTD is one row per county: its latest county_progress point in the time range (the
// standing as of the latest assessed day) with the registry's baseline attached: the base
// year's PM2.5 and good-day ratio (2015 where the plan has it, else 2017) and the 2017 values.
func countyYTD(targets []registry.Target, names map[string]string) string {
	name, baseYear, pm25Base, pm2517, goodBase, good17 := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	for _, t := range targets {
		n := names[t.Area]
		if n == "" {
			n = t.Area
		}
		name[t.Area] = fmt.Sprintf("%q", n)
		baseYear[t.Area] = fmt.Sprint(t.BaseYear)
		pm25Base[t.Area], goodBase[t.Area] = fluxFloat(t.PM25In17), fluxFloat(t.GoodIn17)
		if t.BasePM25 != nil {
			pm25Base[t.Area] = fluxFloat(*t.BasePM25)
		}
		if t.BaseGood != nil {
			goodBase[t.Area] = fluxFloat(*t.BaseGood)
		}
		pm2517[t.Area], good17[t.Area] = fluxFloat(t.PM25In17), fluxFloat(t.GoodIn17)
	}
	return fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, county: r.county, _field: r._field, _value: float(v: r._value)}))
  |> group(columns: ["county"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> last(column: "valid_days")
  |> group()%s%s%s%s%s%s
  |> sort(columns: ["county"])`, fromBucket(), and(schema.IsMeasurement(schema.CountyProgress), targetCounties(targets), countyFilter),
		schema.IsAnyField(progressFields...),
		byCounty("name", name, "r.county"), byCounty("base_year", baseYear, "0"), byCounty("pm25_base", pm25Base, "0.0"),
		byCounty("pm25_2017", pm2517, "0.0"), byCounty("good_base", goodBase, "0.0"), byCounty("good_2017", good17, "0.0"))
}

func countyYTDTable(targets []registry.Target, names map[string]string) *sdk.Panel {
	gap := func(name string, worse float64, higherIsWorse bool) map[string]any {
		steps := []step{base(colorBad), at(0, colorOK)}
		if higherIsWorse {
			steps = []step{base(colorOK), at(worse, colorBad)}
		}
		p := colouredCells(steps)
		p["displayName"] = name
		return p
	}
	heavy := colouredCells([]step{base(colorOK), at(1, colorWarn), at(5, colorHeavy)})
	heavy["displayName"] = "重污染天数 heavy days"
	return table("各县市年度进度 (PM2.5 与优良天数比例)",
		"Each county's standing as of the latest assessed day in the time range (measurement county_progress, written by lantian run's streaming assessor under HJ 663): year-to-date PM2.5 mean against the 2020 target and the baseline (base year 2015 where the plan gives it, else 2017; and the 2017 value), good-day ratio against its target (the 2017 ratio where the plan says keep), valid and heavy-pollution days (daily AQI > 200). Gap cells: red when behind the target.",
		map[string]any{"decimals": 1, "custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "截至 as of", "unit": "dateTimeAsLocalNoDateIfToday"}),
			override("county", map[string]any{"custom.hidden": true}),
			override("name", map[string]any{"displayName": "区县 county"}),
			override(schema.FieldPM25YTD, map[string]any{"displayName": "PM2.5 累计 YTD", "unit": unitUG}),
			override(schema.FieldPM25Target, map[string]any{"displayName": "PM2.5 2020 目标", "unit": unitUG}),
			override(schema.FieldPM25Gap, gap("PM2.5 差距 gap", 0.05, true)),
			override("pm25_base", map[string]any{"displayName": "PM2.5 基准 base", "unit": unitUG}),
			override("pm25_2017", map[string]any{"displayName": "PM2.5 2017", "unit": unitUG}),
			override(schema.FieldGoodRatioYTD, map[string]any{"displayName": "优良 % YTD", "unit": "percent"}),
			override(schema.FieldGoodTarget, map[string]any{"displayName": "优良 % 目标", "unit": "percent"}),
			override(schema.FieldGoodGap, gap("优良 差距 gap", 0, false)),
			override("good_base", map[string]any{"displayName": "优良 % 基准 base", "unit": "percent"}),
			override("good_2017", map[string]any{"displayName": "优良 % 2017", "unit": "percent"}),
			override("base_year", map[string]any{"displayName": "基准年 base year", "decimals": 0}),
			override(schema.FieldValidDays, map[string]any{"displayName": "有效天数 valid days", "decimals": 0}),
			override(schema.FieldHeavyDays, heavy),
		},
		fluxTarget("A", countyYTD(targets, names)))
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

// monthlyRanking ranks the counties each month by the mean of their published daily AQI
// (1 = cleanest). The composite index (综合指数) needs percentiles of CO and O3_8h by HJ 663's
// rule, which Flux's quantile does not reproduce, so the ranking is by mean AQI.
func monthlyRanking(names map[string]string) *sdk.Panel {
	q := fmt.Sprintf(`%s
  |> group(columns: ["month"])
  |> sort(columns: ["mean", "county"])
  |> map(fn: (r) => ({r with rank: 1}))
  |> cumulativeSum(columns: ["rank"])
  |> group()
  |> map(fn: (r) => ({month: r.month, rank: r.rank, county: r.county, name: %s, mean: r.mean, days: r.days}))
  |> sort(columns: ["month", "rank"], desc: false)`, countyMonths(schema.FieldAQI), nameOf(schema.TagCounty, names))
	return table("各县市月度排名 (日均AQI)",
		"Counties ranked each month by the mean of their published county daily AQI (aqi_daily, scope=county; natural months in Beijing time), 1 = cleanest. The composite index (综合指数) is not used: it needs HJ 663's percentiles of CO and O3-8h, which Flux does not reproduce.",
		map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("month", map[string]any{"displayName": "月份 month"}),
			override("rank", map[string]any{"displayName": "排名 rank"}),
			override("county", map[string]any{"custom.hidden": true}),
			override("name", map[string]any{"displayName": "区县 county"}),
			override("mean", withUnitDecimals(colouredCells(aqiSteps()), "AQI 均值 mean", "none", 0)),
			override("days", map[string]any{"displayName": "天数 days", "decimals": 0}),
		},
		fluxTarget("A", q))
}

func withUnitDecimals(props map[string]any, name, unit string, decimals int) map[string]any {
	props["displayName"], props["unit"], props["decimals"] = name, unit, decimals
	return props
}

// aqiSteps are the AQI level boundaries in the official colours.
func aqiSteps() []step {
	return []step{base(colorGood), at(51, colorModerate), at(101, colorLight), at(151, colorMedium), at(201, colorHeavy), at(301, colorSevere)}
}

// monthlyTrend draws each county's monthly mean of the daily PM2.5 as bars.
func monthlyTrend(names map[string]string) *sdk.Panel {
	q := fmt.Sprintf(`%s
  |> map(fn: (r) => ({_time: r._time, _value: r.mean, _field: %s}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, countyMonths(schema.FieldPM25), nameOf(schema.TagCounty, names))
	p := timeseries("各县市PM2.5月均值趋势",
		"Monthly mean of each county's daily PM2.5 (aqi_daily, scope=county, the HJ 663 daily values; natural months in Beijing time), one bar group per month.",
		unitUG, fluxTarget("A", q))
	c := &p.TimeseriesPanel.FieldConfig.Defaults.Custom
	c.DrawStyle = "bars"
	c.FillOpacity = 80
	c.ShowPoints = "never"
	p.TimeseriesPanel.Options.Legend = sdk.TimeseriesLegendOptions{Calcs: []string{"lastNotNull", "mean"}, DisplayMode: "table", Placement: "right"}
	return p
}
