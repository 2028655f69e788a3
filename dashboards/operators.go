package dashboards

import (
	"fmt"

	"github.com/grafana-tools/sdk"

	"lantian/ingest/schema"
)

// pollutant is an ambient pollutant as the boards show it.
type pollutant struct {
	field       string // of schema.AirPollutants
	label, unit string
	// levels are the concentrations at IAQI 50, 100, 150, 200 and 300: the boundaries of the
	// six AQI levels, coloured with the official colours.
	levels [5]float64
}

const (
	unitUG = "suffix:µg/m³"
	unitMG = "suffix:mg/m³"
)

// pollutants are schema.AirPollutants as the boards show them, listed in its order (HJ 633's),
// one entry for each. They carry the HJ 633-2026 real-time breakpoints (data from 2026-03-01
// on): the hourly columns for SO2, NO2, CO and O3, the daily PM columns (PM2.5 100 → 60 µg/m³
// and PM10 100 → 120 µg/m³ in the 2026 text). SO2 1h stops at 800; its 300 boundary is the
// 24-h 1600.
var pollutants = func() []pollutant {
	shown := [len(schema.AirPollutants)]pollutant{
		{label: "PM2.5", unit: unitUG, levels: [5]float64{35, 60, 115, 150, 250}},
		{label: "PM10", unit: unitUG, levels: [5]float64{50, 120, 250, 350, 420}},
		{label: "SO₂", unit: unitUG, levels: [5]float64{150, 500, 650, 800, 1600}},
		{label: "NO₂", unit: unitUG, levels: [5]float64{100, 200, 700, 1200, 2340}},
		{label: "CO", unit: unitMG, levels: [5]float64{5, 10, 35, 60, 90}},
		{label: "O₃", unit: unitUG, levels: [5]float64{160, 200, 300, 400, 800}},
	}
	for i := range shown {
		shown[i].field = schema.AirPollutants[i]
	}
	return shown[:]
}()

func (p pollutant) aqiSteps() []step {
	return []step{base(colorGood), at(p.levels[0], colorModerate), at(p.levels[1], colorLight),
		at(p.levels[2], colorMedium), at(p.levels[3], colorHeavy), at(p.levels[4], colorSevere)}
}

// outletFields are the columns of the "emissions now" table: each of schema.SourcePollutants
// as measured and, but for NMHC, converted to the reference O2 (the boiler limits of GB
// 13271-2014 Table 3 are on converted dust, SO2 and NOx), then O2 and flow. A converted "_zs"
// value is as valid as the analyser's measured value, whose flag it shares.
var outletFields = func() []string {
	var fields []string
	for _, p := range schema.SourcePollutants {
		fields = append(fields, p)
		if p != measuredOnly {
			fields = append(fields, p+schema.ConvertedSuffix)
		}
	}
	return append(fields, schema.FieldO2, schema.FieldFlow)
}()

// measuredOnly is the outlet pollutant whose converted value the boards leave out.
const measuredOnly = "nmhc"

// Silence thresholds of the operator tables, in seconds since the last stored reading; the
// alert rules (deploy/prometheus/rules/lantian.yml) page at the red step.
const (
	silentWarnSeconds  = 1800
	silentAlertSeconds = 7200
)

// OperatorsUID is the uid of the operators' board.
const OperatorsUID = "lantian-operators"

// Operators is the monitoring centre's live board (监控中心): readings per station and
// pollutant, latest values in AQI colours, silent stations and outlets, flagged data, source
// emissions now, open exceedance events and the outlets' data-quality scores. To add a panel, add it to the grid here; the tests run its queries.
func Operators() *sdk.Board {
	g := &grid{}
	g.row("实时浓度 Live readings")
	for _, p := range pollutants {
		g.add(liveReadings(p), 12, 8)
	}
	g.row("最新值与数据质量 Latest values and data quality")
	g.add(latestAirTable(), 24, 10)
	g.add(silentTable("站点静默时长", "Seconds since each station's last stored reading (Prometheus lantian_station_last_seen_timestamp_seconds). Orange after 30 min, red after 2 h, when the StationSilent alert fires. A station that has not reported since Lantian started is not listed.",
		`sort_desc(time() - max by (station, county) (lantian_station_last_seen_timestamp_seconds{county=~"${county:regex}"}))`), 8, 9)
	g.add(silentTable("排口静默时长", "Seconds since each source outlet's last stored reading (Prometheus lantian_outlet_last_seen_timestamp_seconds). Orange after 30 min, red after 2 h, when OutletSilent fires.",
		`sort_desc(time() - max by (source, outlet, county) (lantian_outlet_last_seen_timestamp_seconds{county=~"${county:regex}"}))`), 8, 9)
	g.add(flaggedToday("今日标记数据 (站点)", "Ambient values flagged other than N (normal) since midnight, per station, field and HJ 212 flag: F stopped, M maintenance, S manual, D fault, C calibration, T over range, B comms, P power. F M D C B P values are excluded from averages.",
		and(schema.IsMeasurement(schema.Air), countyFilter, stationFilter), schema.TagStation), 8, 9)
	g.row("污染源 Sources")
	g.add(emissionsNow(), 16, 10)
	g.add(flaggedToday("今日标记数据 (排口)", "Outlet (CEMS) values flagged other than N since midnight, per source, outlet, field and flag.",
		and(schema.IsMeasurement(schema.Emission), countyFilter), schema.TagSource, schema.TagOutlet), 8, 10)
	open := exceedanceTable("当前超标事件", "Source exceedance events open now (measurement exceedance: opened or extended, not closed), from the last 30 days whatever the board's range, newest first. Each also fires the SourceExceedance alert to the enforcement team.",
		countyFilter, true)
	(*open.CustomPanel)["timeFrom"] = "30d"
	g.add(open, 14, 9)
	g.add(qualityScores(), 10, 9)
	g.add(coverageTable(), 24, 9)
	return newBoard(OperatorsUID, "蓝天 · 监控中心实时", []string{"lantian", "operators"}, "now-24h",
		[]sdk.TemplateVar{bucketVar(), countyVar(), stationVar(), periodVar()}, g)
}

// liveReadings is one pollutant for the selected stations, one line per station. Values are
// shown as received, flagged ones included, so that a sensor going wrong is visible.
func liveReadings(p pollutant) *sdk.Panel {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> aggregateWindow(every: v.windowPeriod, fn: mean, createEmpty: false)
  |> map(fn: (r) => ({_time: r._time, _value: r._value, _field: r.station}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, fromBucket(),
		and(schema.IsMeasurement(schema.Air), schema.IsField(p.field), schema.Is(schema.TagPeriod, "${period}")), and(countyFilter, stationFilter))
	desc := fmt.Sprintf("Live %s per station (%s), all values as received including flagged ones; the period variable picks real-time or hourly series. Dashed lines: AQI level boundaries (HJ 633-2026).", p.label, p.unit[len("suffix:"):])
	return withThresholdLine(timeseries(p.label+" 实时浓度", desc, p.unit, fluxTarget("A", q)), p.aqiSteps()...)
}

// latestAirTable has one row per station with the latest valid value of each pollutant, each
// cell coloured by its AQI level.
func latestAirTable() *sdk.Panel {
	fields := make([]string, len(pollutants))
	overrides := []map[string]any{
		override(schema.TagStation, map[string]any{"displayName": "站点 station"}),
		override(schema.TagCounty, map[string]any{"displayName": "区县 county"}),
	}
	for i, p := range pollutants {
		fields[i] = p.field
		props := colouredCells(p.aqiSteps())
		props["unit"] = p.unit
		props["displayName"] = p.label
		overrides = append(overrides, override(p.field, props))
	}
	q := latestValidTable(and(schema.IsMeasurement(schema.Air), schema.Is(schema.TagPeriod, "${period}"), countyFilter, stationFilter),
		[]string{schema.TagStation, schema.TagCounty}, fields, false)
	return table("各站点最新浓度 (AQI 分级着色)",
		"Latest valid value of each pollutant per station in the time range (flags F M D C B P excluded), coloured by AQI level with the official colours: 优 #00E400, 良 #FFFF00, 轻度 #FF7E00, 中度 #FF0000, 重度 #99004C, 严重 #7E0023 (HJ 633-2026 real-time breakpoints).",
		map[string]any{"decimals": 1, "custom": map[string]any{"align": "center"}}, overrides, fluxTarget("A", q))
}

func silentTable(title, description, expr string) *sdk.Panel {
	props := colouredCells([]step{base(colorOK), at(silentWarnSeconds, colorWarn), at(silentAlertSeconds, colorBad)})
	props["unit"] = "s"
	props["displayName"] = "静默 silent for"
	return table(title, description, map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{override("Value", props), override("Time", map[string]any{"custom.hidden": true})},
		promInstant("A", expr, ""))
}

// flaggedToday counts today's flagged values (not N) of a measurement per key, field and flag.
// The panel's own time range is "today so far" whatever the board shows.
func flaggedToday(title, description, filter string, keys ...string) *sdk.Panel {
	groupCols := append(append([]string{}, keys...), "field", "flag")
	cols := quoteList(groupCols)
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => r._field =~ /%[3]s$/ and r._value != "N")
  |> map(fn: (r) => ({r with field: strings.trimSuffix(v: r._field, suffix: "%[3]s"), flag: r._value}))
  |> group(columns: [%[4]s])
  |> count()
  |> group()
  |> rename(columns: {_value: "count"})
  |> keep(columns: [%[4]s, "count"])
  |> sort(columns: [%[4]s])`, fromBucket(), filter, schema.FlagSuffix, cols)
	q = "import \"strings\"\n\n" + q
	p := table(title, description, map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{override("count", colouredCells([]step{base(colorWarn), at(12, colorBad)}))},
		fluxTarget("A", q))
	(*p.CustomPanel)["timeFrom"] = "now/d"
	return p
}

// emissionsNow has one row per outlet with its latest valid concentrations, O2 and flow.
// Exceedance colouring needs each outlet's own limits and waits for the sources work.
func emissionsNow() *sdk.Panel {
	q := latestValidTable(and(schema.IsMeasurement(schema.Emission), countyFilter),
		[]string{schema.TagSource, schema.TagOutlet, schema.TagCounty}, outletFields, true)
	overrides := []map[string]any{}
	for _, f := range outletFields {
		unit := unitMG
		switch f {
		case schema.FieldO2:
			unit = "percent"
		case schema.FieldFlow:
			unit = "suffix:m³/h"
		}
		overrides = append(overrides, override(f, map[string]any{"unit": unit}))
	}
	return table("污染源排放实时值",
		"Latest valid value per source outlet (CEMS) in the time range: measured and converted (折算, _zs) dust, SO₂, NOx in mg/m³, NMHC, O₂ %, flow m³/h. Flags F M D C B P excluded.",
		map[string]any{"decimals": 1, "custom": map[string]any{"align": "auto"}}, overrides, fluxTarget("A", q))
}

// qualityScores is each outlet's data-quality score of its latest judged day
// (source_quality_daily, written once a local day is over), worst first.
func qualityScores() *sdk.Panel {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)%s
  |> group(columns: ["source", "outlet", "county"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> last(column: "score")
  |> group()
  |> map(fn: (r) => ({_time: r._time, source: r.source, outlet: r.outlet, county: r.county, score: float(v: r.score),
      valid_hours: int(v: r.valid_hours), findings: int(v: r.findings), rules: r.rules}))
  |> sort(columns: ["score", "source", "outlet"])`, fromBucket(), and(schema.IsMeasurement(schema.SourceQualityDaily), countyFilter),
		schema.IsAnyField(schema.FieldScore, schema.FieldValidHours, schema.FieldFindings, schema.FieldRules), asText)
	score := colouredCells([]step{base(colorBad), at(60, colorWarn), at(90, colorOK)})
	score["displayName"] = "评分 score"
	score["decimals"] = 0
	p := table("排口数据质量评分",
		"Data-quality score (0-100) of each outlet's latest judged day in the last 7 days (measurement source_quality_daily: 100 minus the weighted findings of the day's rules, docs/sources.md), worst first, with the valid hours, the number of findings and the rules that found something (rule:count). Red under 60, orange under 90.",
		map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "日期 day", "unit": "time:YYYY-MM-DD"}),
			override(schema.TagSource, map[string]any{"displayName": "污染源 source"}),
			override(schema.TagOutlet, map[string]any{"displayName": "排口 outlet"}),
			override(schema.TagCounty, map[string]any{"displayName": "区县 county"}),
			override(schema.FieldScore, score),
			override(schema.FieldValidHours, map[string]any{"displayName": "有效小时 valid hours"}),
			override(schema.FieldFindings, map[string]any{"displayName": "问题数 findings"}),
			override(schema.FieldRules, map[string]any{"displayName": "规则 rules"}),
		},
		fluxTarget("A", q))
	(*p.CustomPanel)["timeFrom"] = "7d"
	return p
}
