package dashboards

import (
	"fmt"

	"github.com/grafana-tools/sdk"

	"lantian/ingest/schema"
)

// CommandCentreUID is the command centre's board (指挥中心; docs/command-centre.md).
const CommandCentreUID = "lantian-command-centre"

// latestHotspots is one row per judged station: its latest grid_hotspot point in the time
// range, with every field as a column, hotspots first, then by ratio over the neighbours.
// The fields are of three types, so they travel as text through the pivot (asText); the
// optional county_mean and likely_source stay text, empty when absent.
func latestHotspots() string {
	return fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)%s
  |> group(columns: ["county", "station"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> sort(columns: ["_time"])
  |> last(column: "ratio")
  |> group()
  |> map(fn: (r) => ({_time: r._time, county: r.county, station: r.station, value: float(v: r.value), neighbour_median: float(v: r.neighbour_median),
      county_mean: if exists r.county_mean then r.county_mean else "", ratio: float(v: r.ratio), hot_hours: int(v: r.hot_hours),
      hotspot: r.hotspot == "true", likely_source: if exists r.likely_source then r.likely_source else "", lat: float(v: r.lat), lon: float(v: r.lon)}))
  |> sort(columns: ["hotspot", "ratio"], desc: true)`, fromBucket(),
		and(schema.IsMeasurement(schema.MeasurementHotspot), countyFilter), asText)
}

// CommandCentre is the command centre's board: the hotspot map and ranking and the
// interference findings.
func CommandCentre() *sdk.Board {
	g := &grid{}
	g.row("网格热点 Grid hotspots")
	g.add(hotspotMap(), 12, 12)
	g.add(hotspotRanking(), 12, 12)
	g.row("站点干扰疑点 Station interference")
	g.add(interferenceTable(), 24, 8)
	return newBoard(CommandCentreUID, "蓝天 · 指挥中心 网格热点", []string{"lantian", "command-centre"}, "now-24h",
		[]sdk.TemplateVar{bucketVar(), countyVar()}, g)
}

// ratioSteps colour a station by its value over the neighbours' median: the hotspot rule's
// default ratio 2 is orange, 3 and more red.
var ratioSteps = []step{base(colorOK), at(2, colorWarn), at(3, colorBad)}

func hotspotMap() *sdk.Panel {
	return custom("geomap", "网格热点地图",
		"Every judged station at its registry position (lat, lon written on each grid_hotspot point), latest judged hour. Large circle: the hourly value in the HJ 633 level colours of PM2.5 (the default hotspot.pollutant; 2026 breakpoints). Small inner circle: the value over the median of its neighbours within hotspot.radius_km, green below 2, orange from 2 (the default hot-hour ratio), red from 3. docs/command-centre.md.",
		[]sdk.Target{fluxTarget("A", latestHotspots())},
		map[string]any{
			"view":   map[string]any{"id": "fit", "lat": 44, "lon": 87.3, "zoom": 10},
			"layers": []any{markers("AQI 分级 level (PM2.5)", schema.FieldHotspotValue, 14), markers("倍数 ratio", schema.FieldHotspotRatio, 7)},
		},
		fieldConfig(map[string]any{"thresholds": mapSteps(ratioSteps), "color": map[string]any{"mode": "thresholds"}},
			override(schema.FieldHotspotValue, map[string]any{"thresholds": mapSteps(pollutants[0].aqiSteps()), "unit": unitUG})))
}

// markers is a geomap layer of the stations at their lat/lon, coloured by field's thresholds.
func markers(name, field string, size int) map[string]any {
	return map[string]any{
		"type": "markers", "name": name,
		"location": map[string]any{"mode": "coords", "latitude": schema.FieldHotspotLat, "longitude": schema.FieldHotspotLon},
		"config": map[string]any{
			"color": map[string]any{"field": field, "fixed": colorOK},
			"size":  map[string]any{"fixed": size},
		},
		"tooltip": true,
	}
}

func hotspotRanking() *sdk.Panel {
	ratio := colouredCells(ratioSteps)
	ratio["displayName"] = "倍数 ratio"
	ratio["decimals"] = 1
	return table("网格热点排名",
		"Latest judged hour per station (grid_hotspot): value, median of the neighbours, mean of the county's assessment stations, ratio, consecutive hot hours, hotspot (the persistent rule) and the nearest registered source when a hotspot. Hotspots first, then by ratio.",
		map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "小时 hour"}),
			override(schema.TagCounty, map[string]any{"displayName": "区县 county"}),
			override(schema.TagStation, map[string]any{"displayName": "站点 station"}),
			override(schema.FieldHotspotValue, map[string]any{"displayName": "浓度 value", "unit": unitUG}),
			override(schema.FieldHotspotNeighbours, map[string]any{"displayName": "周边中位数 neighbours", "unit": unitUG}),
			override(schema.FieldHotspotCounty, map[string]any{"displayName": "县市考核站均值 county", "unit": unitUG}),
			override(schema.FieldHotspotRatio, ratio),
			override(schema.FieldHotspotRun, map[string]any{"displayName": "连续小时 hours"}),
			override(schema.FieldHotspotIsHotspot, map[string]any{"displayName": "热点 hotspot"}),
			override(schema.FieldHotspotSource, map[string]any{"displayName": "可能来源 source"}),
			override(schema.FieldHotspotLat, map[string]any{"custom.hidden": true}),
			override(schema.FieldHotspotLon, map[string]any{"custom.hidden": true}),
		},
		fluxTarget("A", latestHotspots()))
}

func interferenceTable() *sdk.Panel {
	q := fmt.Sprintf(`%s
  |> filter(fn: (r) => %s)%s
  |> group(columns: ["county", "station", "rule", "pollutant"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> drop(columns: ["_start", "_stop", "_measurement"])
  |> map(fn: (r) => ({r with value: float(v: r.value)}))
  |> sort(columns: ["_time"], desc: true)`, fromBucket(),
		and(schema.IsMeasurement(schema.MeasurementStationQuality), countyFilter), asText)
	return table("站点干扰疑点",
		"Interference findings at ambient stations in the time range (station_quality), newest first: sudden_drop = the station fell by station_quality.drop_ratio (60 %) within an hour while its neighbours' median held (sprinkling or covering the inlet); stuck = the same value for station_quality.stuck_hours hours; pm25_over_pm10 = PM2.5 above PM10 beyond the tolerance. The other fields are shown as text, empty where a rule has none.",
		map[string]any{"custom": map[string]any{"align": "auto"}},
		[]map[string]any{
			override("_time", map[string]any{"displayName": "小时 hour"}),
			override(schema.FieldQCPrevious, map[string]any{"displayName": "前一小时 before", "unit": unitUG}),
			override(schema.FieldQCValue, map[string]any{"displayName": "当小时 value", "unit": unitUG}),
			override(schema.FieldQCNeighboursBefore, map[string]any{"displayName": "周边前一小时 neighbours before", "unit": unitUG}),
			override(schema.FieldQCNeighbours, map[string]any{"displayName": "周边当小时 neighbours", "unit": unitUG}),
			override(schema.FieldQCPM10, map[string]any{"displayName": "PM10", "unit": unitUG}),
			override(schema.FieldQCHours, map[string]any{"displayName": "恒定小时 hours"}),
		},
		fluxTarget("A", q))
}
