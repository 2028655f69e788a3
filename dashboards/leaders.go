package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana-tools/sdk"

	"lantian/ingest/registry"
)

// LeadersUID is the uid of the leaders' board.
const LeadersUID = "lantian-leaders"

// beijingDayOffset aligns Flux's 1d windows (counted from the Unix epoch, UTC) to natural days
// in Beijing time, which Xinjiang's stations report in: midnight UTC+8 is 16:00 UTC.
const beijingDayOffset = "16h"

// Leaders is the leaders' board: each county's PM2.5 mean over the board's time range (the
// year so far by default) against the plan's 2020 target. The good-day ratio, heavy-pollution
// days and the monthly ranking need the derived AQI measurement and join here once it exists
// (add a builder next to countyProgressTable).
func Leaders(areas []registry.Area, targets []registry.Target) *sdk.Board {
	names := make(map[string]string, len(areas))
	for _, a := range areas {
		names[a.ID] = a.Name
	}
	g := &grid{}
	g.row("PM2.5 目标进度 PM2.5 against the 2020 targets")
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
		validRows(fmt.Sprintf(`r._measurement == "air" and r.period == "1h" and %s`, countyPredicate), []string{"pm25"}, []string{"station", "county"}, false),
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
	return fmt.Sprintf(`r.county =~ /^(%s)$/`, strings.Join(ids, "|"))
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
	daily := countyDaily(fmt.Sprintf("r.county == %q", t.Area))
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
	return []*sdk.Board{Operators(), Pipeline(), Leaders(areas, targets)}
}
