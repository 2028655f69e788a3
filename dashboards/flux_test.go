package dashboards

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"lantian/internal/devenv/testenv"
)

var beijing = time.FixedZone("CST", 8*3600)

// fluxData is the known data the boards' Flux queries run against: four stations in three
// counties over two whole Beijing days (day 0 and 1), flagged values on day 2 ("today"), and
// two source outlets.
type fluxData struct {
	base   time.Time // Beijing midnight starting day 0
	points []*write.Point
	// valid hourly PM2.5 of day 0 and 1 per county and day, for the expected means.
	validPM25 map[string][2][]float64
}

type testStation struct{ id, county, area string }

var testStations = []testStation{{"cj-01", "changji", "wcs"}, {"cj-02", "changji", "wcs"}, {"fk-01", "fukang", "wcs"}, {"qt-01", "qitai", "qitai"}}

// pm25Of is the hourly PM2.5 of a station on day 0 or 1.
func pm25Of(station string, day int) float64 {
	switch station {
	case "cj-01":
		return []float64{40, 60}[day]
	case "cj-02":
		return []float64{20, 40}[day]
	case "fk-01":
		return 50
	default:
		return 30
	}
}

func newFluxData(now time.Time) *fluxData {
	// Two days before today: v1.tagValues (the variables) looks back 90 days from now.
	y, m, d := now.In(beijing).Date()
	base := time.Date(y, m, d, 0, 0, 0, 0, beijing).AddDate(0, 0, -2)
	fd := &fluxData{base: base, validPM25: map[string][2][]float64{}}
	air := func(s testStation, period string, hour int, fields map[string]any) {
		fd.points = append(fd.points, influxdb2.NewPoint("air",
			map[string]string{"station": s.id, "county": s.county, "area": s.area, "period": period},
			fields, base.Add(time.Duration(hour)*time.Hour)))
	}
	for _, s := range testStations {
		for hour := 0; hour < 48; hour++ {
			day := hour / 24
			pm25 := pm25Of(s.id, day)
			f := map[string]any{"pm25": pm25, "pm10": 2 * pm25, "so2": 10.0, "no2": 30.0, "co": 0.8, "o3": 100.0}
			valid := true
			switch {
			case s.id == "cj-01" && hour == 47: // an analyser in calibration: stored, not valid
				f["pm25"], f["pm25_flag"] = 999.0, "C"
				valid = false
			case s.id == "cj-01" && hour == 30: // flagged normal: valid, not counted as flagged
				f["pm25_flag"] = "N"
			}
			air(s, "1h", hour, f)
			if valid {
				v := fd.validPM25[s.county]
				v[day] = append(v[day], f["pm25"].(float64))
				fd.validPM25[s.county] = v
			}
		}
	}
	// A real-time value of another series: the hourly panels must not show it.
	air(testStations[0], "rt", 34, map[string]any{"pm25": 500.0})
	// Today: three calibration-flagged values at cj-01, two maintenance flags without values
	// at fk-01, normal flags at cj-02.
	for h := 48; h < 51; h++ {
		air(testStations[0], "1h", h, map[string]any{"pm25": 70.0, "pm25_flag": "C"})
	}
	for h := 48; h < 50; h++ {
		air(testStations[2], "1h", h, map[string]any{"so2_flag": "M"})
	}
	for h := 48; h < 53; h++ {
		air(testStations[1], "1h", h, map[string]any{"pm25": 45.0, "pm25_flag": "N"})
	}
	outlet := func(source, id, county, industry string, hour int, fields map[string]any) {
		fd.points = append(fd.points, influxdb2.NewPoint("emission",
			map[string]string{"source": source, "outlet": id, "county": county, "area": "wcs", "industry": industry, "period": "1h"},
			fields, base.Add(time.Duration(hour)*time.Hour)))
	}
	for hour := 24; hour < 48; hour++ {
		f := map[string]any{"dust": 3.0, "dust_zs": 3.5, "so2": 20.0, "so2_zs": 22.0, "nox": 40.0, "nox_zs": 45.0, "o2": 7.0, "flow": 500000.0}
		if hour == 47 { // an analyser fault: its converted value goes with it
			f["nox"], f["nox_zs"], f["nox_flag"] = 300.0, 330.0, "D"
		}
		outlet("cj-power-1", "unit-1", "changji", "power", hour, f)
	}
	outlet("fk-coking-1", "coke-oven-1", "fukang", "coking", 24, map[string]any{"dust": 5.0, "so2": 10.0})
	outlet("cj-power-1", "unit-1", "changji", "power", 48, map[string]any{"nox": 41.0, "nox_flag": "C"})
	fd.addDerived()
	return fd
}

// derivedDaily is the known county daily AQI and PM2.5 of day 0 and 1 (aqi_daily, scope
// county); aqi 0 stands for a day without a published AQI.
var derivedDaily = map[string][2][2]float64{
	"changji": {{80, 40}, {120, 60}},
	"fukang":  {{60, 30}, {0, 0}},
	"qitai":   {{40, 20}, {50, 25}},
}

// monthOf is the Beijing month of day 0 or 1.
func (fd *fluxData) monthOf(day int) string { return fd.base.AddDate(0, 0, day).Format("2006-01") }

// addDerived writes what lantian run derives: aqi_daily and county_progress (the streaming
// assessor), forecast, warning_recommendation and warning_event (the warning office),
// exceedance and source_quality_daily (the source monitor), with the tags and field types
// those writers use.
func (fd *fluxData) addDerived() {
	at := func(day, hour int) time.Time { return fd.base.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour) }
	add := func(m string, tags map[string]string, fields map[string]any, t time.Time) {
		fd.points = append(fd.points, influxdb2.NewPoint(m, tags, fields, t))
	}
	areaOf := map[string]string{"changji": "wcs", "fukang": "wcs", "qitai": "qitai"}
	for county, days := range derivedDaily {
		for day, v := range days {
			f := map[string]any{"published": v[0] > 0, "primary": "", "valid": v[0] > 0, "final": day == 0}
			if v[0] > 0 {
				f["aqi"], f["level"], f["category"], f["pm25"] = int64(v[0]), int64(1+int(v[0]-1)/50), "良", v[1]
			}
			add("aqi_daily", map[string]string{"scope": "county", "county": county, "area": areaOf[county]}, f, at(day, 0))
		}
	}
	// A station's day: the county panels must not show it.
	add("aqi_daily", map[string]string{"scope": "station", "station": "cj-01", "county": "changji", "area": "wcs"},
		map[string]any{"published": true, "aqi": int64(300), "level": int64(5), "pm25": 250.0, "primary": "PM2.5"}, at(1, 0))
	// county_progress as lantian run writes it: each area deducted and not; the prefecture row;
	// changji has a trajectory (a configured base year), qitai none.
	progress := func(county, deducted string, day int, f map[string]any) {
		area := areaOf[county]
		if county == "prefecture" {
			area = "prefecture"
		}
		add("county_progress", map[string]string{"county": county, "area": area, "deducted": deducted}, f, at(day, 0))
	}
	cj := func(pm25, traj, good float64, valid, good_, incomplete, heavy, budget int64) map[string]any {
		return map[string]any{"days": valid + incomplete, "valid_days": valid, "good_days": good_, "heavy_days": heavy,
			"incomplete_days": incomplete, "good_budget": budget, "pm25_ytd": pm25, "pm25_target": 36.0, "pm25_gap": pm25 - 36,
			"pm25_trajectory": traj, "pm25_trajectory_gap": pm25 - traj, "good_ratio_ytd": good, "good_target": 83.5, "good_gap": good - 83.5}
	}
	progress("changji", "false", 0, cj(40, 70, 100, 1, 1, 0, 0, 60))
	progress("changji", "true", 0, cj(38, 70, 100, 1, 1, 0, 0, 60))
	day1 := cj(50, 68, 50, 2, 1, 1, 1, 59)
	for k, v := range map[string]any{"so2_ytd": 10.0, "so2_limit": 60.0, "so2_gap": -50.0, "co_p95_ytd": 0.8, "co_limit": 4.0, "co_gap": -3.2,
		"no2_ytd": 30.0, "no2_base": 28.0, "no2_gap": 2.0, "o3_p90_ytd": 120.0, "o3_base": 110.0, "o3_gap": 10.0} {
		day1[k] = v
	}
	progress("changji", "false", 1, day1)
	progress("changji", "true", 1, cj(45, 68, 100, 2, 2, 1, 0, 60))
	for _, d := range []string{"false", "true"} {
		progress("qitai", d, 0, map[string]any{"days": int64(1), "valid_days": int64(1), "good_days": int64(1), "heavy_days": int64(0),
			"incomplete_days": int64(0), "good_budget": int64(52), "pm25_ytd": 20.0, "pm25_target": 35.0, "pm25_gap": -15.0,
			"good_ratio_ytd": 100.0, "good_target": 85.5, "good_gap": 14.5})
	}
	progress("prefecture", "false", 1, map[string]any{"counties": int64(2), "pm25_ytd": 35.0, "pm25_target": 39.1, "pm25_gap": -4.1,
		"good_ratio_ytd": 75.0, "good_target": 84.5, "good_gap": -9.5})
	progress("prefecture", "true", 1, map[string]any{"counties": int64(2), "pm25_ytd": 32.5, "pm25_target": 39.1, "pm25_gap": -6.6,
		"good_ratio_ytd": 100.0, "good_target": 84.5, "good_gap": 15.5})
	// county_month of day 0's month.
	month := func(county, deducted string, composite float64, rank int64) {
		add("county_month", map[string]string{"county": county, "area": areaOf[county], "deducted": deducted}, map[string]any{
			"days": int64(2), "valid_days": int64(2), "good_days": int64(2), "incomplete_days": int64(0), "pm25": 40.0,
			"good_ratio": 100.0, "composite": composite, "rank": rank, "primary": "PM2.5", "to": fd.base.AddDate(0, 0, 1).Format(time.DateOnly)},
			time.Date(fd.base.Year(), fd.base.Month(), 1, 0, 0, 0, 0, beijing))
	}
	for _, d := range []string{"false", "true"} {
		pm := map[string]float64{"false": 90, "true": 85}[d]
		add("county_season", map[string]string{"county": "changji", "area": "wcs", "deducted": d, "season": "heating-2025"}, map[string]any{
			"days": int64(100), "valid_days": int64(98), "good_days": int64(40), "heavy_days": int64(5), "incomplete_days": int64(2),
			"pm25_ytd": pm, "good_ratio_ytd": 40.8}, at(1, 0))
		add("county_season", map[string]string{"county": "changji", "area": "wcs", "deducted": d, "season": "heating-2025"}, map[string]any{
			"days": int64(99), "valid_days": int64(97), "good_days": int64(40), "heavy_days": int64(5), "incomplete_days": int64(2),
			"pm25_ytd": pm + 1, "good_ratio_ytd": 41.2}, at(0, 0))
	}
	month("changji", "true", 3.77, 2)
	month("qitai", "true", 2.1, 1)
	month("changji", "false", 4.1, 2)
	month("qitai", "false", 2.1, 1)
	forecast := func(area, kind, lead string, aqi int64, t time.Time) {
		add("forecast", map[string]string{"area": area, "kind": kind, "lead": lead, "source": "总站"},
			map[string]any{"aqi": aqi, "issued": t.Unix() - 86400}, t)
	}
	forecast("changji", "daily", "1", 210, at(0, 0))
	forecast("changji", "daily", "0", 190, at(0, 0)) // issued on the day: the latest forecast
	forecast("changji", "daily", "2", 160, at(1, 0))
	forecast("changji", "daily", "10", 90, at(1, 0)) // "10" sorts before "2" as text
	forecast("changji", "hourly", "0", 400, at(0, 5))
	forecast("fukang", "daily", "1", 120, at(1, 0))
	// The command centre: cj-m1 judged hours 40–47, a hotspot from hour 43 naming px-power;
	// cj-01 judged the same hours, never hot; one sudden-drop finding at qt-01.
	for hour := 40; hour < 48; hour++ {
		spot := hour >= 43
		f := map[string]any{"value": 120.0, "neighbour_median": 40.0, "county_mean": 41.0, "excess_neighbours": 80.0,
			"excess_county": 79.0, "ratio": 3.0, "hot": true, "hot_hours": int64(hour - 39), "hotspot": spot, "lat": 44.0, "lon": 87.3}
		if spot {
			f["likely_source"] = "px-power"
		}
		add("grid_hotspot", map[string]string{"county": "changji", "station": "cj-m1"}, f, at(0, hour))
		add("grid_hotspot", map[string]string{"county": "changji", "station": "cj-01"},
			map[string]any{"value": 41.0, "neighbour_median": 40.0, "county_mean": 41.0, "excess_neighbours": 1.0, "excess_county": 0.0,
				"ratio": 1.025, "hot": false, "hot_hours": int64(0), "hotspot": false, "lat": 44.01, "lon": 87.3}, at(0, hour))
	}
	add("station_quality", map[string]string{"county": "qitai", "pollutant": "pm10", "rule": "sudden_drop", "station": "qt-01"},
		map[string]any{"value": 40.0, "previous": 100.0, "neighbour_median": 98.0, "neighbour_before": 100.0}, at(0, 45))
	add("station_quality", map[string]string{"county": "qitai", "pollutant": "pm10", "rule": "stuck", "station": "qt-01"},
		map[string]any{"value": 88.0, "hours": int64(6)}, at(0, 30))
	rec := func(area, action, level, region string, num, current int64, reason string, t time.Time) {
		add("warning_recommendation", map[string]string{"action": action, "area": area, "level": level, "region": region, "scheme": "2024"},
			map[string]any{"level_num": num, "current_num": current, "forecast_num": num, "lift_met": false, "reason": reason, "forecast_issued": t.Unix()}, t)
	}
	rec("changji", "issue", "orange", "wcs", 3, 0, "预报 AQI > 200", at(0, 10))
	rec("wcs", "issue", "orange", "", 3, 0, "区域", at(0, 10))
	rec("changji", "downgrade", "yellow", "wcs", 2, 3, "预报 AQI 160", at(1, 10))
	event := func(area, action string, t time.Time) {
		add("warning_event", map[string]string{"action": action, "area": area, "level": "orange", "region": "wcs", "warning_id": "W1"},
			map[string]any{"title": "橙色预警 " + action + " W1", "text": "reason " + action, "who": "王主任", "level_num": int64(3),
				"version": int64(1), "start": t.Unix(), "tags": "warning,orange," + action + "," + area}, t)
	}
	comp := func(scope, id, county, name, status string, red, emitted float64, t time.Time) {
		add("warning_compliance", map[string]string{"county": county, "id": id, "pollutant": "so2", "scope": scope, "warning_id": "W1"},
			map[string]any{"status": status, "name": name, "reduction_pct": red, "required_pct": 20.0, "emitted_kg": emitted, "baseline_kg": 100.0,
				"hours_running": int64(3), "hours_stopped": int64(2), "hours_missing": int64(1), "warning_hours": int64(6), "below_after_grace": status == "not_compliant"}, t)
	}
	comp("source", "cj-power-1", "changji", "昌吉电厂", "compliant", 30, 70, at(0, 14)) // superseded by the next
	comp("source", "cj-power-1", "changji", "昌吉电厂", "not_compliant", 15, 85, at(0, 15))
	comp("county", "changji", "changji", "昌吉市", "compliant", 25, 75, at(0, 15))
	comp("list", "W1", "wcs", "应急减排清单 W1", "compliant", 25, 75, at(0, 15))
	comp("source", "qt-1", "qitai", "奇台企业", "compliant", 50, 50, at(0, 15))
	event("changji", "issue", at(0, 12))
	event("wcs", "issue", at(0, 12))
	event("changji", "lift", at(1, 12))
	exceedance := func(source, outlet, county, pollutant, state string, start time.Time, hours int64, peak, limit float64) {
		add("exceedance", map[string]string{"source": source, "outlet": outlet, "county": county, "pollutant": pollutant, "state": state},
			map[string]any{"limit": limit, "peak": peak, "peak_at": start.Format(time.RFC3339), "basis": "calc", "hours": hours,
				"gap_hours": int64(0), "flagged_hours": int64(0), "start": start.Format(time.RFC3339),
				"end": start.Add(time.Duration(hours) * time.Hour).Format(time.RFC3339), "duration_h": float64(hours)}, start)
	}
	exceedance("cj-power-1", "unit-1", "changji", "nox", "opened", at(0, 3), 1, 60, 50)
	exceedance("cj-power-1", "unit-1", "changji", "nox", "closed", at(0, 3), 3, 80, 50)
	exceedance("cj-power-1", "unit-1", "changji", "nox", "opened", at(1, 5), 1, 55, 50)
	exceedance("cj-power-1", "unit-1", "changji", "nox", "extended", at(1, 5), 2, 70, 50)
	exceedance("fk-coking-1", "coke-oven-1", "fukang", "dust", "opened", at(1, 8), 1, 12, 10)
	quality := func(source, outlet, county string, day int, score float64, findings int64, rules string) {
		add("source_quality_daily", map[string]string{"source": source, "outlet": outlet, "county": county},
			map[string]any{"score": score, "valid_hours": int64(24 - findings), "flagged_hours": int64(0), "findings": findings, "rules": rules}, at(day, 0))
	}
	quality("cj-power-1", "unit-1", "changji", 0, 100, 0, "")
	quality("cj-power-1", "unit-1", "changji", 1, 70, 2, "flat_line:1;zs_mismatch:1")
	quality("fk-coking-1", "coke-oven-1", "fukang", 1, 40, 3, "silent:1")
}

// grafanaVars are the substitutions Grafana makes before it sends a query: its Flux macros
// (v.timeRangeStart, v.timeRangeStop, v.windowPeriod become literals) and template variables.
type grafanaVars struct {
	start, stop time.Time
	window      string
	bucket      string
	county      string // regex format: ".*" for All, "(a|b)" for a selection
	station     string
	period      string
	area        string
	deducted    string
}

func (v grafanaVars) apply(q string) string {
	return strings.NewReplacer(
		"v.timeRangeStart", v.start.UTC().Format(time.RFC3339Nano),
		"v.timeRangeStop", v.stop.UTC().Format(time.RFC3339Nano),
		"v.windowPeriod", v.window,
		"${bucket}", v.bucket,
		"${county:regex}", v.county,
		"${station:regex}", v.station,
		"${period}", v.period,
		"${area:regex}", v.area,
		"${deducted}", v.deducted,
	).Replace(q)
}

type fluxRow map[string]any

type fluxResult struct {
	rows []fluxRow
	// series groups rows by table: one table is one series in Grafana.
	tables map[int][]fluxRow
}

// series returns, for a time-series result, each series' values by the _field name.
func (r fluxResult) series(t *testing.T) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for _, rows := range r.tables {
		for _, row := range rows {
			name, _ := row["_field"].(string)
			v, ok := row["_value"].(float64)
			if !ok {
				t.Fatalf("series row without float _value: %v", row)
			}
			out[name] = append(out[name], v)
		}
	}
	return out
}

func (r fluxResult) byKey(keys ...string) map[string]fluxRow {
	out := map[string]fluxRow{}
	for _, row := range r.rows {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprint(row[k])
		}
		out[strings.Join(parts, "/")] = row
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func wantNum(t *testing.T, q query, row fluxRow, col string, want float64) {
	t.Helper()
	got, ok := row[col].(float64)
	if !ok {
		if n, isInt := row[col].(int64); isInt {
			got, ok = float64(n), true
		}
	}
	if !ok || !near(got, want) {
		t.Errorf("%s: %s = %v, want %v (row %v)", q, col, row[col], want, row)
	}
}

func sortedNames(m map[string][]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestFluxQueries runs every Flux query of every board (panels and variables) against a real
// InfluxDB 1.8 loaded with fluxData, and checks the series and rows each returns. A query
// without a check fails the test, so a new panel cannot go untested.
func TestFluxQueries(t *testing.T) {
	in := testenv.StartInflux(t)
	if _, err := in.InfluxQL(`CREATE DATABASE "lantian"`); err != nil {
		t.Fatal(err)
	}
	client := influxdb2.NewClient(in.URL, "")
	defer client.Close()
	ctx := testenv.WithTimeout(t, 2*time.Minute)
	fd := newFluxData(time.Now())
	if err := client.WriteAPIBlocking("", in.Bucket).WritePoint(ctx, fd.points...); err != nil {
		t.Fatalf("write test data: %v", err)
	}
	qapi := client.QueryAPI("")
	exec := func(t *testing.T, q query, vars grafanaVars) fluxResult {
		t.Helper()
		text := vars.apply(q.text)
		res, err := qapi.Query(ctx, text)
		if err != nil {
			t.Fatalf("%s: %v\n%s", q, err, text)
		}
		out := fluxResult{tables: map[int][]fluxRow{}}
		for res.Next() {
			rec := res.Record()
			row := fluxRow{}
			for k, v := range rec.Values() {
				row[k] = v
			}
			out.rows = append(out.rows, row)
			out.tables[rec.Table()] = append(out.tables[rec.Table()], row)
		}
		if err := res.Err(); err != nil {
			t.Fatalf("%s: %v\n%s", q, err, text)
		}
		return out
	}
	// InfluxDB 1.8's Flux range() includes its stop instant; Grafana's stop is "now", where
	// no reading is, so the test stops a second before day 2 to match.
	all := grafanaVars{start: fd.base, stop: fd.base.AddDate(0, 0, 2).Add(-time.Second), window: "1h", bucket: in.Bucket,
		county: ".*", station: ".*", period: "1h", area: ".*", deducted: "true"}
	today := all
	today.start, today.stop = fd.base.AddDate(0, 0, 2), fd.base.AddDate(0, 0, 3)
	changjiOnly := all
	changjiOnly.county = "(changji)"

	stationIDs := []string{"cj-01", "cj-02", "fk-01", "qt-01"}
	checked := 0
	for _, bj := range defaultBoards() {
		for _, q := range queriesOf(t, bj.decoded(t)) {
			if q.dsType != "influxdb" {
				continue
			}
			vars := all
			switch q.timeFrom {
			case "now/d":
				vars = today
			case "":
			default: // "7d", "30d": the last days up to now
				d, err := time.ParseDuration(strings.TrimSuffix(q.timeFrom, "d") + "h")
				if err != nil {
					t.Fatalf("%s: timeFrom %q", q, q.timeFrom)
				}
				vars.start, vars.stop = time.Now().Add(-24*d), time.Now()
			}
			checked++
			t.Run(q.String(), func(t *testing.T) {
				switch {
				case q.panel == "$county":
					got := exec(t, q, vars).byKey("_value")
					if len(got) != 3 || got["changji"] == nil || got["fukang"] == nil || got["qitai"] == nil {
						t.Errorf("counties %v, want changji fukang qitai", got)
					}
				case q.panel == "$station":
					got := exec(t, q, changjiOnly).byKey("_value")
					if len(got) != 2 || got["cj-01"] == nil || got["cj-02"] == nil {
						t.Errorf("stations of changji %v, want cj-01 cj-02", got)
					}
				case strings.HasSuffix(q.panel, " 实时浓度"):
					s := exec(t, q, vars).series(t)
					if names := sortedNames(s); fmt.Sprint(names) != fmt.Sprint(stationIDs) {
						t.Fatalf("series %v, want %v", names, stationIDs)
					}
					for name, v := range s {
						if len(v) != 48 {
							t.Errorf("%s: %d hourly points, want 48", name, len(v))
						}
					}
					if strings.HasPrefix(q.panel, "PM2.5 ") {
						// As received: the flagged 999 is drawn, the real-time 500 is not.
						if got := s["cj-01"]; got[0] != 40 || got[47] != 999 {
							t.Errorf("cj-01 PM2.5 first/last %v/%v, want 40/999", got[0], got[47])
						}
						for _, v := range s["cj-01"] {
							if v == 500 {
								t.Errorf("the rt series leaked into the hourly panel")
							}
						}
						narrowed := exec(t, q, changjiOnly).series(t)
						if names := sortedNames(narrowed); fmt.Sprint(names) != "[cj-01 cj-02]" {
							t.Errorf("county changji: series %v, want [cj-01 cj-02]", names)
						}
					}
				case q.panel == "各站点最新浓度 (AQI 分级着色)":
					rows := exec(t, q, vars).byKey("station")
					if len(rows) != 4 {
						t.Fatalf("rows %v, want one per station", rows)
					}
					wantNum(t, q, rows["cj-01"], "pm25", 60) // the flagged 999 is skipped
					wantNum(t, q, rows["cj-01"], "pm10", 120)
					wantNum(t, q, rows["cj-02"], "pm25", 40)
					wantNum(t, q, rows["fk-01"], "pm25", 50)
					wantNum(t, q, rows["qt-01"], "co", 0.8)
					wantNum(t, q, rows["qt-01"], "o3", 100)
					if rows["fk-01"]["county"] != "fukang" {
						t.Errorf("fk-01 county %v", rows["fk-01"]["county"])
					}
				case q.panel == "今日标记数据 (站点)":
					res := exec(t, q, vars)
					rows := res.byKey("station", "field", "flag")
					if len(res.rows) != 2 {
						t.Fatalf("rows %v, want cj-01/pm25/C and fk-01/so2/M", res.rows)
					}
					wantNum(t, q, rows["cj-01/pm25/C"], "count", 3)
					wantNum(t, q, rows["fk-01/so2/M"], "count", 2)
				case q.panel == "今日标记数据 (排口)":
					res := exec(t, q, vars)
					if len(res.rows) != 1 {
						t.Fatalf("rows %v, want cj-power-1/unit-1/nox/C", res.rows)
					}
					wantNum(t, q, res.byKey("source", "outlet", "field", "flag")["cj-power-1/unit-1/nox/C"], "count", 1)
				case q.panel == "污染源排放实时值":
					rows := exec(t, q, vars).byKey("source", "outlet")
					if len(rows) != 2 {
						t.Fatalf("rows %v, want two outlets", rows)
					}
					unit := rows["cj-power-1/unit-1"]
					for col, want := range map[string]float64{"nox": 40, "nox_zs": 45, "dust": 3, "dust_zs": 3.5, "so2": 20, "so2_zs": 22, "o2": 7, "flow": 500000} {
						wantNum(t, q, unit, col, want)
					}
					if unit["county"] != "changji" {
						t.Errorf("county %v", unit["county"])
					}
					wantNum(t, q, rows["fk-coking-1/coke-oven-1"], "dust", 5)
				case q.panel == "预报AQI与预警阈值":
					s := exec(t, q, vars).series(t)
					want := map[string][]float64{"A": nil, "B": nil}
					if q.ref == "A" {
						// The smallest lead wins; hourly forecasts are not drawn.
						want = map[string][]float64{"预报 昌吉市": {190, 160}, "预报 阜康市": {120}}
					} else {
						want = map[string][]float64{"实测 昌吉市": {80, 120}, "实测 阜康市": {60}, "实测 奇台县": {40, 50}}
					}
					if fmt.Sprint(s) != fmt.Sprint(want) {
						t.Errorf("series %v, want %v", s, want)
					}
					narrowed := vars
					narrowed.area = "(fukang)"
					if got := sortedNames(exec(t, q, narrowed).series(t)); len(got) != 1 || !strings.HasSuffix(got[0], "阜康市") {
						t.Errorf("area fukang: series %v", got)
					}
				case q.panel == "建议预警等级" || q.panel == "已发布预警等级":
					res := exec(t, q, vars)
					got := map[string][]int64{}
					for _, row := range res.rows {
						got[row["_field"].(string)] = append(got[row["_field"].(string)], row["_value"].(int64))
					}
					want := map[string][]int64{"昌吉市": {3, 2}, "乌-昌-石区域(昌吉州部分)": {3}}
					if q.panel == "已发布预警等级" {
						want["昌吉市"] = []int64{3, 0} // issued orange, then lifted
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("levels %v, want %v", got, want)
					}
					if len(res.tables) != 2 {
						t.Errorf("%d series, want one per area", len(res.tables))
					}
				case q.panel == "网格热点排名" || q.panel == "网格热点地图":
					res := exec(t, q, vars)
					if len(res.rows) != 2 {
						t.Fatalf("rows %v, want cj-m1 and cj-01", res.rows)
					}
					first := res.rows[0]
					if first["station"] != "cj-m1" || first["hotspot"] != true || first["likely_source"] != "px-power" {
						t.Errorf("first row %v, want the hotspot cj-m1 naming px-power", first)
					}
					wantNum(t, q, first, "ratio", 3)
					wantNum(t, q, first, "hot_hours", 8)
					wantNum(t, q, first, "lat", 44)
					wantNum(t, q, first, "lon", 87.3)
					if res.rows[1]["station"] != "cj-01" || res.rows[1]["hotspot"] != false {
						t.Errorf("second row %v", res.rows[1])
					}
				case q.panel == "站点干扰疑点":
					res := exec(t, q, vars)
					if len(res.rows) != 2 || res.rows[0]["station"] != "qt-01" || res.rows[0]["rule"] != "sudden_drop" || res.rows[1]["rule"] != "stuck" {
						t.Fatalf("rows %v, want qt-01's sudden drop, then its stuck run", res.rows)
					}
					wantNum(t, q, res.rows[0], "value", 40)
					if res.rows[0]["previous"] != "100" || res.rows[0]["hours"] != nil || res.rows[1]["hours"] != "6" || res.rows[1]["previous"] != nil {
						t.Errorf("rows %v", res.rows)
					}
					wantNum(t, q, res.rows[1], "value", 88)
				case q.panel == "最新预警建议":
					rows := exec(t, q, vars).byKey("area")
					if len(rows) != 2 {
						t.Fatalf("rows %v, want changji and wcs", rows)
					}
					cj := rows["changji"]
					wantNum(t, q, cj, "level_num", 2)
					wantNum(t, q, cj, "current_num", 3)
					if cj["action"] != "downgrade" || cj["reason"] != "预报 AQI 160" || cj["name"] != "昌吉市" {
						t.Errorf("changji row %v", cj)
					}
					wantNum(t, q, rows["wcs"], "level_num", 3)
				case q.panel == "重污染应急减排企业落实情况":
					res := exec(t, q, vars)
					if len(res.rows) != 4 {
						t.Fatalf("rows %v, want source, county and list of W1 and qitai's source", res.rows)
					}
					rows := res.byKey("scope", "id")
					src := rows["source/cj-power-1"]
					wantNum(t, q, src, "reduction_pct", 15) // the latest computation
					wantNum(t, q, src, "emitted_kg", 85)
					wantNum(t, q, src, "baseline_kg", 100)
					wantNum(t, q, src, "required_pct", 20)
					if src["status"] != "not_compliant" || src["name"] != "昌吉电厂" || src["hours"] != "3 / 2 / 1" {
						t.Errorf("source row %v", src)
					}
					wantNum(t, q, rows["county/changji"], "reduction_pct", 25)
					if rows["list/W1"]["status"] != "compliant" {
						t.Errorf("list row %v", rows["list/W1"])
					}
					// Totals of a county first, then the list, then the sources.
					if res.rows[0]["scope"] != "county" || res.rows[1]["scope"] != "list" {
						t.Errorf("order %v", res.rows)
					}
					cjArea := vars
					cjArea.area = "(changji)"
					narrowed := exec(t, q, cjArea)
					if len(narrowed.rows) != 2 {
						t.Errorf("county changji: rows %v, want its source and total", narrowed.rows)
					}
				case q.panel == "annotation:预警 warnings":
					res := exec(t, q, vars)
					if len(res.rows) != 3 {
						t.Fatalf("rows %v, want 3 events", res.rows)
					}
					rows := res.byKey("area", "action")
					lift := rows["changji/lift"]
					if lift["title"] != "橙色预警 lift W1" || lift["text"] != "reason lift" || lift["tags"] != "warning,orange,lift,changji" {
						t.Errorf("lift event %v", lift)
					}
					if _, ok := lift["_time"].(time.Time); !ok {
						t.Errorf("no _time in %v", lift)
					}
				case q.panel == "超标事件" || q.panel == "当前超标事件":
					res := exec(t, q, vars)
					rows := res.byKey("source", "pollutant", "state")
					want := map[string][2]float64{"cj-power-1/nox/closed": {80, 3}, "cj-power-1/nox/extended": {70, 2}, "fk-coking-1/dust/opened": {12, 1}}
					if q.panel == "当前超标事件" {
						delete(want, "cj-power-1/nox/closed")
					}
					if len(res.rows) != len(want) {
						t.Fatalf("rows %v, want %v", res.rows, want)
					}
					for k, w := range want {
						wantNum(t, q, rows[k], "peak", w[0])
						wantNum(t, q, rows[k], "hours", w[1])
					}
					if first := res.rows[0]; first["source"] != "fk-coking-1" {
						t.Errorf("newest first: got %v", first)
					}
					if e := rows["cj-power-1/nox/extended"]["end"]; e != fd.base.AddDate(0, 0, 1).Add(7*time.Hour).Format(time.RFC3339) {
						t.Errorf("end %v", e)
					}
				case q.panel == "排口数据质量评分":
					res := exec(t, q, vars)
					if len(res.rows) != 2 {
						t.Fatalf("rows %v, want two outlets", res.rows)
					}
					wantNum(t, q, res.rows[0], "score", 40) // worst first
					unit := res.byKey("outlet")["unit-1"]
					wantNum(t, q, unit, "score", 70)
					wantNum(t, q, unit, "findings", 2)
					if unit["rules"] != "flat_line:1;zs_mismatch:1" {
						t.Errorf("rules %v", unit["rules"])
					}
				case q.panel == "全州及各县市年度目标进度":
					res := exec(t, q, vars)
					rows := res.byKey("county", "deducted")
					if len(res.rows) != 6 {
						t.Fatalf("rows %v, want changji, qitai and the prefecture, deducted and not", res.rows)
					}
					if res.rows[0]["county"] != "prefecture" || res.rows[0]["name"] != "全州（7县市平均）" {
						t.Errorf("first row %v, want the prefecture", res.rows[0])
					}
					cj := rows["changji/true"]
					for col, want := range map[string]float64{"pm25_ytd": 45, "pm25_trajectory": 68, "pm25_trajectory_gap": -23, "pm25_target": 36,
						"good_ratio_ytd": 100, "good_budget": 60, "valid_days": 2, "incomplete_days": 1, "heavy_days": 0,
						"pm25_2017": 67, "base_year": 2015} {
						wantNum(t, q, cj, col, want)
					}
					if cj["name"] != "昌吉市" || cj["scope"] != "扣除沙尘" || rows["changji/false"]["scope"] != "未扣除沙尘" {
						t.Errorf("changji %v", cj)
					}
					wantNum(t, q, rows["changji/false"], "pm25_ytd", 50)
					wantNum(t, q, rows["changji/false"], "good_budget", 59)
					wantNum(t, q, rows["prefecture/true"], "pm25_ytd", 32.5)
					wantNum(t, q, rows["prefecture/true"], "pm25_2017", 50.1)
					wantNum(t, q, rows["prefecture/true"], "counties", 2)
					wantNum(t, q, rows["qitai/true"], "pm25_2017", 35)
					if _, ok := rows["qitai/true"]["pm25_trajectory"]; ok && rows["qitai/true"]["pm25_trajectory"] != nil {
						t.Errorf("qitai has no base year, so no trajectory: %v", rows["qitai/true"])
					}
				case q.panel == "各县市月度排名（综合指数）":
					// A month is shown when its start is in the time range (the board's default,
					// this year, starts on a month's start).
					vars.start = time.Date(fd.base.Year(), fd.base.Month(), 1, 0, 0, 0, 0, beijing)
					res := exec(t, q, vars)
					if len(res.rows) != 2 {
						t.Fatalf("rows %v, want the deducted rows of changji and qitai", res.rows)
					}
					first, second := res.rows[0], res.rows[1]
					if first["county"] != "qitai" || second["name"] != "昌吉市" || first["month"] != fd.monthOf(0) || second["primary"] != "PM2.5" {
						t.Errorf("rows %v", res.rows)
					}
					wantNum(t, q, first, "rank", 1)
					wantNum(t, q, second, "rank", 2)
					wantNum(t, q, second, "composite", 3.77)
				case q.panel == "采暖季至今":
					res := exec(t, q, vars)
					if len(res.rows) != 1 {
						t.Fatalf("rows %v, want changji's deducted season", res.rows)
					}
					r := res.rows[0]
					for col, want := range map[string]float64{"pm25_ytd": 85, "good_ratio_ytd": 40.8, "valid_days": 98, "incomplete_days": 2, "heavy_days": 5} {
						wantNum(t, q, r, col, want)
					}
					if r["season"] != "heating-2025" || r["name"] != "昌吉市" {
						t.Errorf("row %v", r)
					}
				case q.panel == "其他目标（年初至今）":
					res := exec(t, q, vars)
					if len(res.rows) != 1 {
						t.Fatalf("rows %v, want changji", res.rows)
					}
					for col, want := range map[string]float64{"so2_ytd": 10, "so2_limit": 60, "so2_gap": -50, "co_p95_ytd": 0.8, "co_limit": 4, "co_gap": -3.2,
						"no2_ytd": 30, "no2_base": 28, "no2_gap": 2, "o3_p90_ytd": 120, "o3_base": 110, "o3_gap": 10} {
						wantNum(t, q, res.rows[0], col, want)
					}
				case strings.HasSuffix(q.panel, " PM2.5 年初至今与达标轨迹"):
					s := exec(t, q, vars).series(t)
					var want map[string][]float64
					switch {
					case strings.HasPrefix(q.panel, "昌吉市"):
						want = map[string]map[string][]float64{
							"A": {"年初至今PM2.5": {38, 45}, "达标轨迹": {70, 68}},
							"B": {"2020年目标 36": {36, 36}},
							"C": {"2017年水平 67": {67, 67}},
						}[q.ref]
					case strings.HasPrefix(q.panel, "全州"):
						want = map[string]map[string][]float64{
							"A": {"年初至今PM2.5": {32.5}},
							"B": {"2020年目标 39.1": {39.1}},
							"C": {"2017年水平 50.1": {50.1}},
						}[q.ref]
					case strings.HasPrefix(q.panel, "奇台县"):
						want = map[string]map[string][]float64{
							"A": {"年初至今PM2.5": {20}}, "B": {"2020年目标 35": {35}}, "C": {"2017年水平 35": {35}},
						}[q.ref]
					default:
						want = map[string][]float64{}
					}
					if fmt.Sprint(s) != fmt.Sprint(want) {
						t.Errorf("series %v, want %v", s, want)
					}
				case strings.HasSuffix(q.panel, " 优良天数与余量"):
					s := exec(t, q, vars).series(t)
					var want map[string][]float64
					switch {
					case strings.HasPrefix(q.panel, "昌吉市"):
						want = map[string][]float64{"优良天数比例 %": {100}, "优良目标 %": {83.5}, "还可承受非优良天数": {60}}
					case strings.HasPrefix(q.panel, "全州"):
						want = map[string][]float64{"优良天数比例 %": {100}, "优良目标 %": {84.5}}
					case strings.HasPrefix(q.panel, "奇台县"):
						want = map[string][]float64{"优良天数比例 %": {100}, "优良目标 %": {85.5}, "还可承受非优良天数": {52}}
					default:
						want = map[string][]float64{}
					}
					if fmt.Sprint(s) != fmt.Sprint(want) {
						t.Errorf("series %v, want %v", s, want)
					}
				case q.panel == "各县市PM2.5月均值趋势":
					res := exec(t, q, vars)
					want := map[string][]float64{}
					for county, name := range map[string]string{"changji": "昌吉市", "fukang": "阜康市", "qitai": "奇台县"} {
						days := derivedDaily[county]
						if fd.monthOf(0) == fd.monthOf(1) && days[1][0] > 0 {
							want[name] = []float64{(days[0][1] + days[1][1]) / 2}
						} else if days[1][0] > 0 {
							want[name] = []float64{days[0][1], days[1][1]}
						} else {
							want[name] = []float64{days[0][1]}
						}
					}
					if got := res.series(t); fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("monthly means %v, want %v", got, want)
					}
					// Each bar at the Beijing start of its month.
					y, m, _ := fd.base.Date()
					if got := res.rows[0]["_time"].(time.Time); !got.Equal(time.Date(y, m, 1, 0, 0, 0, 0, beijing)) {
						t.Errorf("first month at %v", got)
					}
				default:
					t.Errorf("no expectation for this query: add one to TestFluxQueries\n%s", q.text)
				}
			})
		}
	}
	if checked < 10 {
		t.Fatalf("only %d Flux queries found", checked)
	}
}
