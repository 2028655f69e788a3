package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana-tools/sdk"

	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// EmergencyUID is the uid of the emergency office's board (应急办).
const EmergencyUID = "lantian-emergency"

// varArea selects warning areas: counties, parks and regions of the registry.
const varArea = "area"

// Warning-grade AQI thresholds (docs/warnings.md: a forecast daily AQI above 150, 200 and 300
// grades yellow, orange and red under the 2024 scheme).
var forecastSteps = []step{base(colorOK), at(150, colorLight), at(200, colorMedium), at(300, colorSevere)}

// levelMappings are the warning levels of lantian_warning_*_level and the level_num fields:
// 0 none, 1 blue, 2 yellow, 3 orange, 4 red, in the warning colours.
func levelMappings() []map[string]any {
	return []map[string]any{valueMapping(map[string][2]string{
		"0": {"无预警 none", "transparent"},
		"1": {"蓝色 blue", "blue"},
		"2": {"黄色 yellow", "yellow"},
		"3": {"橙色 orange", "orange"},
		"4": {"红色 red", "red"},
	})}
}

// Emergency is the emergency office's board: forecast AQI against the warning thresholds,
// recommended and issued warning levels per area, warnings as annotations, source exceedance
// events, and the compliance of the emergency-list sources during warnings.
func Emergency(areas []registry.Area) *sdk.Board {
	names := areaNames(areas)
	g := &grid{}
	g.row("预报 Forecast")
	g.add(forecastPanel(names), 24, 9)
	g.row("预警等级 Warning levels")
	g.add(levelTimeline("建议预警等级", "Recommended warning level per area and region over time (warning_recommendation.level_num, written at every recompute of the warning office): 0 none, 1 blue, 2 yellow, 3 orange, 4 red.",
		recommendedLevels(names)), 12, 9)
	g.add(levelTimeline("已发布预警等级", "Level of the warning in force per area over time, from the warning office's warning_event points (issue and change set the level, lift sets 0). An area removed from a warning by a change keeps its last level here until the warning is lifted.",
		issuedLevels(names)), 12, 9)
	g.add(latestRecommendations(names), 24, 8)
	g.row("污染源与执法 Sources and enforcement")
	g.add(exceedanceTable("超标事件", "Source exceedance events that started in the time range (measurement exceedance; latest state of each event: open or closed), for the counties selected by the area variable (a region selects none: pick its members). Peak and limit are hourly means in mg/m³ at the reference O₂.",
		tagIn(schema.TagCounty, varArea), false), 14, 10)
	g.add(complianceTable(), 10, 10)
	b := newBoard(EmergencyUID, "蓝天 · 应急办 重污染天气", []string{"lantian", "emergency"}, "now-7d",
		[]sdk.TemplateVar{bucketVar(), areaVar(areas)}, g)
	b.Time.To = "now+7d"
	b.Annotations.List = []sdk.Annotation{warningAnnotation()}
	return b
}

func areaNames(areas []registry.Area) map[string]string {
	names := make(map[string]string, len(areas))
	for _, a := range areas {
		names[a.ID] = a.Name
	}
	return names
}

// nameOf is a Flux expression giving the display name of the area id in column col.
func nameOf(col string, names map[string]string) string {
	var b strings.Builder
	for _, id := range sortedKeys(names) {
		fmt.Fprintf(&b, "if r.%s == %q then %q else ", col, id, names[id])
	}
	return b.String() + "r." + col
}

// areaVar lists the registry's areas (regions first): warnings and forecasts are per area, and
// an area may have no data yet, so the list is not read from InfluxDB.
func areaVar(areas []registry.Area) sdk.TemplateVar {
	var ordered []registry.Area
	for _, k := range []registry.AreaKind{registry.Region, registry.County, registry.Park} {
		for _, a := range areas {
			if a.Kind == k {
				ordered = append(ordered, a)
			}
		}
	}
	opts := []sdk.Option{{Text: "All", Value: "$__all", Selected: true}}
	query := make([]string, 0, len(ordered))
	for _, a := range ordered {
		opts = append(opts, sdk.Option{Text: a.Name + " " + a.ID, Value: a.ID})
		query = append(query, fmt.Sprintf("%s %s : %s", a.Name, a.ID, a.ID))
	}
	return sdk.TemplateVar{
		Name: varArea, Type: "custom", Label: "区域 area", Query: strings.Join(query, ","), Options: opts,
		Multi: true, IncludeAll: true, AllValue: ".*",
		Current: sdk.Current{Text: &sdk.StringSliceString{Value: []string{"All"}, Valid: true}, Value: []string{"$__all"}},
	}
}

// forecastPanel draws the latest forecast daily AQI of each day per area (the smallest lead
// wins: the forecast issued closest to the day) and the observed county daily AQI.
func forecastPanel(names map[string]string) *sdk.Panel {
	a := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, _value: float(v: r._value), area: r.area, lead_n: int(v: r.%s)}))
  |> group(columns: ["area", "_time"])
  |> sort(columns: ["lead_n"])
  |> first()
  |> map(fn: (r) => ({_time: r._time, _value: r._value, _field: "预报 " + (%s)}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, fromBucket(),
		and(schema.IsMeasurement(schema.Forecast), schema.Is(schema.TagKind, schema.KindDaily), schema.IsField(schema.FieldAQI), tagIn(schema.TagArea, varArea)),
		schema.TagLead, nameOf(schema.TagArea, names))
	b := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, _value: float(v: r._value), _field: "实测 " + (%s)}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, fromBucket(),
		and(schema.IsMeasurement(schema.AQIDaily), schema.Is(schema.TagScope, schema.ScopeCounty), schema.IsField(schema.FieldAQI), tagIn(schema.TagCounty, varArea)),
		nameOf(schema.TagCounty, names))
	p := withThresholdLine(timeseries("预报AQI与预警阈值",
		"Forecast daily AQI per area (measurement forecast, kind=daily; for each day the forecast issued closest to it, i.e. the smallest lead) and the observed county daily AQI (aqi_daily, scope=county, published days). Dashed lines: AQI 150, 200 and 300, the thresholds of the warning levels. The board shows 7 days back and 7 ahead.",
		"none", fluxTarget("A", a), fluxTarget("B", b)), forecastSteps...)
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.ShowPoints = "always"
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.PointSize = 6
	return p
}

func recommendedLevels(names map[string]string) string {
	return fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, _value: r._value, _field: %s}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, fromBucket(),
		and(schema.IsMeasurement(schema.WarningRecommendation), schema.IsField(schema.FieldLevelNum), tagIn(schema.TagArea, varArea)),
		nameOf(schema.TagArea, names))
}

func issuedLevels(names map[string]string) string {
	return fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> map(fn: (r) => ({_time: r._time, _value: if %s then 0 else r._value, _field: %s}))
  |> group(columns: ["_field"])
  |> sort(columns: ["_time"])`, fromBucket(),
		and(schema.IsMeasurement(schema.WarningEvent), schema.IsField(schema.FieldLevelNum), tagIn(schema.TagArea, varArea)),
		schema.Is(schema.TagAction, schema.ActionLift), nameOf(schema.TagArea, names))
}

// levelTimeline is a state timeline of warning levels, one row per area.
func levelTimeline(title, description, query string) *sdk.Panel {
	return custom("state-timeline", title, description, []sdk.Target{fluxTarget("A", query)},
		map[string]any{"mergeValues": true, "showValue": "auto", "alignValue": "left", "rowHeight": 0.9,
			"legend":  map[string]any{"showLegend": true, "displayMode": "list", "placement": "bottom"},
			"tooltip": map[string]any{"mode": "single"}},
		fieldConfig(map[string]any{"mappings": levelMappings(), "min": 0, "max": 4, "decimals": 0,
			"thresholds": mapSteps([]step{base("transparent"), at(1, "blue"), at(2, "yellow"), at(3, "orange"), at(4, "red")}),
			"color":      map[string]any{"mode": "thresholds"},
			"custom":     map[string]any{"fillOpacity": 80, "lineWidth": 0}}))
}

// latestRecommendations is the office's latest recommendation per area: level, action, the
// level in force and the reason.
func latestRecommendations(names map[string]string) *sdk.Panel {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)%s
  |> group(columns: ["area", "action", "scheme"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group(columns: ["area"])
  |> sort(columns: ["_time"])
  |> last(column: "level_num")
  |> group()
  |> map(fn: (r) => ({_time: r._time, area: r.area, name: %s, level_num: int(v: r.level_num), current_num: int(v: r.current_num), forecast_num: int(v: r.forecast_num), action: r.action, reason: r.reason}))
  |> sort(columns: ["area"])`, fromBucket(),
		and(schema.IsMeasurement(schema.WarningRecommendation), tagIn(schema.TagArea, varArea)),
		schema.IsAnyField(schema.FieldLevelNum, schema.FieldCurrentNum, schema.FieldForecastNum, schema.FieldReason), asText,
		nameOf(schema.TagArea, names))
	level := func(name string) map[string]any {
		props := colouredCells([]step{base("transparent"), at(1, "blue"), at(2, "yellow"), at(3, "orange"), at(4, "red")})
		props["mappings"] = levelMappings()
		props["displayName"] = name
		return props
	}
	return table("最新预警建议",
		"The warning office's latest recommendation per area in the time range (warning_recommendation): recommended level, the level in force when it was made, the level the forecast alone grades, the action (issue, upgrade, downgrade, keep, lift, none) and the reason.",
		map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "时间 time"}),
			override(schema.TagArea, map[string]any{"custom.hidden": true}),
			override("name", map[string]any{"displayName": "区域 area", "custom.width": 180}),
			override(schema.FieldLevelNum, level("建议 recommended")),
			override(schema.FieldCurrentNum, level("在发布 in force")),
			override(schema.FieldForecastNum, level("预报 forecast")),
			override(schema.TagAction, map[string]any{"displayName": "操作 action", "custom.width": 100}),
			override(schema.FieldReason, map[string]any{"displayName": "理由 reason"}),
		},
		fluxTarget("A", q))
}

// asText turns every value into text before fields of different types are grouped into one
// table to be pivoted: InfluxDB 1.8 pushes a group() after a filter down into its storage,
// which cannot group an integer and a string field, and Flux cannot group them either. The
// pivoted columns are converted back.
const asText = `
  |> map(fn: (r) => ({r with _value: string(v: r._value)}))`

// exceedanceEvents has one row per exceedance event (source, outlet, pollutant, start) in the
// latest state written: an event's opened point is kept, its extended point rewritten as it
// grows, and its closed point is the final record (docs/sources.md). openOnly keeps the
// events not closed.
func exceedanceEvents(filter string, openOnly bool) string {
	open := ""
	if openOnly {
		open = fmt.Sprintf("\n  |> filter(fn: (r) => r.%s != %q)", schema.TagState, schema.StateClosed)
	}
	return fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)%s
  |> group(columns: ["source", "outlet", "county", "pollutant", "state"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> map(fn: (r) => ({_time: r._time, source: r.source, outlet: r.outlet, county: r.county, pollutant: r.pollutant, state: r.state,
      peak: float(v: r.peak), limit: float(v: r.limit), hours: int(v: r.hours), end: r.end, basis: r.basis,
      rank: if %s then 3 else if %s then 2 else 1}))
  |> group(columns: ["source", "outlet", "pollutant", "_time"])
  |> sort(columns: ["rank"])
  |> last(column: "rank")
  |> group()%s
  |> drop(columns: ["rank"])
  |> sort(columns: ["_time"], desc: true)`, fromBucket(),
		and(schema.IsMeasurement(schema.Exceedance), filter),
		schema.IsAnyField(schema.FieldLimit, schema.FieldPeak, schema.FieldHours, schema.FieldEnd, schema.FieldBasis), asText,
		schema.Is(schema.TagState, schema.StateClosed), schema.Is(schema.TagState, schema.StateExtended), open)
}

func exceedanceTable(title, description, filter string, openOnly bool) *sdk.Panel {
	state := map[string]any{
		"displayName": "状态 state",
		"mappings": []map[string]any{valueMapping(map[string][2]string{
			schema.StateOpened: {"超标中 open", colorBad}, schema.StateExtended: {"超标中 open", colorBad},
			schema.StateClosed: {"已结束 closed", colorOK}})},
		"custom.cellOptions": map[string]any{"type": "color-text"},
		"custom.displayMode": "color-text",
	}
	p := table(title, description, map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "开始 start"}),
			override(schema.TagSource, map[string]any{"displayName": "污染源 source"}),
			override(schema.TagOutlet, map[string]any{"displayName": "排口 outlet"}),
			override(schema.TagCounty, map[string]any{"displayName": "区县 county"}),
			override(schema.TagPollutant, map[string]any{"displayName": "污染物 pollutant"}),
			override(schema.TagState, state),
			override(schema.FieldPeak, map[string]any{"displayName": "峰值 peak", "unit": unitMG, "decimals": 1}),
			override(schema.FieldLimit, map[string]any{"displayName": "限值 limit", "unit": unitMG}),
			override(schema.FieldHours, map[string]any{"displayName": "超标小时 hours"}),
			override(schema.FieldEnd, map[string]any{"displayName": "最近超标至 until"}),
			override(schema.FieldBasis, map[string]any{"displayName": "依据 basis"}),
		},
		fluxTarget("A", exceedanceEvents(filter, openOnly)))
	return p
}

// warningAnnotation marks each warning issued, changed or lifted (warning_event) on every
// time-series panel; Grafana takes the title, text and comma-separated tags columns.
func warningAnnotation() sdk.Annotation {
	fields := []string{schema.FieldTitle, schema.FieldText, schema.FieldTags}
	tags := []string{schema.TagArea, schema.TagWarningID, schema.TagAction, schema.TagLevel}
	return sdk.Annotation{
		Name: "预警 warnings", Datasource: influxRef(), Enable: true, IconColor: "red",
		Query: fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)
  |> group(columns: [%s])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> keep(columns: ["_time", %s, %[4]s])
  |> sort(columns: ["_time"])`, fromBucket(),
			and(schema.IsMeasurement(schema.WarningEvent), tagIn(schema.TagArea, varArea)), schema.IsAnyField(fields...),
			quoteList(tags), quoteList(fields)),
	}
}

// ComplianceQuery is the Flux of the compliance table (应急减排落实情况): the latest
// warning_compliance figures of each warning, scope (source, county, list), id and pollutant in
// the time range, for the counties (or, for a list, the region or area) of the area variable.
func ComplianceQuery() string {
	fields := []string{schema.FieldStatus, schema.FieldName, schema.FieldReductionPct, schema.FieldRequiredPct,
		schema.FieldEmittedKg, schema.FieldBaselineKg, schema.FieldHoursRunning, schema.FieldHoursStopped, schema.FieldHoursMissing}
	return fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => %s)%s
  |> group(columns: ["warning_id", "scope", "id", "pollutant", "county"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> last(column: "status")
  |> group()
  |> map(fn: (r) => ({_time: r._time, warning_id: r.warning_id, scope: r.scope, id: r.id, name: r.name, pollutant: r.pollutant,
      reduction_pct: float(v: r.reduction_pct), required_pct: float(v: r.required_pct), emitted_kg: float(v: r.emitted_kg), baseline_kg: float(v: r.baseline_kg),
      hours: r.hours_running + " / " + r.hours_stopped + " / " + r.hours_missing, status: r.status,
      rank: if r.scope == %q then 2 else if r.scope == %q then 1 else 0}))
  |> sort(columns: ["warning_id", "rank", "id", "pollutant"])
  |> drop(columns: ["rank"])`, fromBucket(),
		and(schema.IsMeasurement(schema.WarningCompliance), tagIn(schema.TagCounty, varArea)),
		schema.IsAnyField(fields...), asText, schema.ComplianceScopeSource, schema.ComplianceScopeList)
}

// complianceTable shows ComplianceQuery: per source and per county and list total, the mass
// emitted against the baseline, the cut and the cut required, coloured by the verdict.
func complianceTable() *sdk.Panel {
	status := map[string]any{
		"displayName": "结论 status",
		"mappings": []map[string]any{valueMapping(map[string][2]string{
			"compliant": {"达标", colorOK}, "not_compliant": {"未达标", colorBad}, "no_baseline": {"无基准", "gray"},
			"no_data": {"无数据", "gray"}, "no_requirement": {"无要求", "gray"}})},
		"custom.cellOptions": map[string]any{"type": "color-text"},
		"custom.displayMode": "color-text",
	}
	scope := map[string]any{"displayName": "范围 scope", "mappings": []map[string]any{valueMapping(map[string][2]string{
		"source": {"企业", "text"}, "county": {"县市合计", "text"}, "list": {"清单合计", "text"}})}}
	return table("重污染应急减排企业落实情况",
		"Compliance of the emergency-list sources during each warning in the time range (warning_compliance, written by the warning office every compliance interval; the latest figures of each warning): the mass emitted over the warning hours (stopped hours count as zero, missing hours are filled with the baseline rate) against the baseline mass, the cut and the cut required (the level's ratio, or the 一厂一策 commitment when higher), per source and as county and list totals, which the level's ratio applies to. Hours: running / stopped / missing. Same figures as the warning console's compliance page.",
		map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "核算时间 computed"}),
			override(schema.TagWarningID, map[string]any{"displayName": "预警 warning"}),
			override(schema.TagScope, scope),
			override(schema.TagID, map[string]any{"custom.hidden": true}),
			override(schema.FieldName, map[string]any{"displayName": "企业/范围 name"}),
			override(schema.TagPollutant, map[string]any{"displayName": "污染物 pollutant"}),
			override(schema.FieldReductionPct, map[string]any{"displayName": "减排 cut", "unit": "percent", "decimals": 1}),
			override(schema.FieldRequiredPct, map[string]any{"displayName": "要求 required", "unit": "percent", "decimals": 0}),
			override(schema.FieldEmittedKg, map[string]any{"displayName": "排放 emitted", "unit": "masskg", "decimals": 1}),
			override(schema.FieldBaselineKg, map[string]any{"displayName": "基准 baseline", "unit": "masskg", "decimals": 1}),
			override("hours", map[string]any{"displayName": "运行/停产/缺数 h"}),
			override(schema.FieldStatus, status),
		},
		fluxTarget("A", ComplianceQuery()))
}
