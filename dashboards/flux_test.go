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

	"lantian/ingest/registry"
	"lantian/ingest/testenv"
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
	return fd
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// countyDailyMeans are the expected daily means (day 0, day 1) of a county, nil without data.
func (fd *fluxData) countyDailyMeans(county string) []float64 {
	v, ok := fd.validPM25[county]
	if !ok {
		return nil
	}
	return []float64{mean(v[0]), mean(v[1])}
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
		county: ".*", station: ".*", period: "1h"}
	today := all
	today.start, today.stop = fd.base.AddDate(0, 0, 2), fd.base.AddDate(0, 0, 3)
	changjiOnly := all
	changjiOnly.county = "(changji)"

	stationIDs := []string{"cj-01", "cj-02", "fk-01", "qt-01"}
	targets := registry.DefaultTargets()
	checked := 0
	for _, bj := range defaultBoards() {
		for _, q := range queriesOf(t, bj.decoded(t)) {
			if q.dsType != "influxdb" {
				continue
			}
			vars := all
			if q.timeFrom == "now/d" {
				vars = today
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
				case q.panel == "各县市PM2.5均值与2020年目标" || q.panel == "PM2.5均值占2020年目标比例":
					rows := exec(t, q, vars).byKey("county")
					if len(rows) != 3 {
						t.Fatalf("rows %v, want changji fukang qitai", rows)
					}
					for _, tg := range targets {
						daily := fd.countyDailyMeans(tg.Area)
						if daily == nil {
							continue
						}
						row := rows[tg.Area]
						wantNum(t, q, row, "pm25", mean(daily))
						wantNum(t, q, row, "target", tg.PM25Goal)
						wantNum(t, q, row, "ratio", mean(daily)/tg.PM25Goal)
					}
					if rows["changji"]["name"] != "昌吉市" {
						t.Errorf("changji name %v", rows["changji"]["name"])
					}
				case strings.Contains(q.panel, " PM2.5 (目标 "):
					var county string
					for _, tg := range targets {
						if strings.Contains(q.text, fmt.Sprintf("r.county == %q", tg.Area)) {
							county = tg.Area
						}
					}
					daily := fd.countyDailyMeans(county)
					s := exec(t, q, vars).series(t)
					if daily == nil {
						if len(s) != 0 {
							t.Errorf("county %s has no data, got %v", county, s)
						}
						return
					}
					want := daily
					if q.ref == "B" {
						want = []float64{daily[0], (daily[0] + daily[1]) / 2}
					}
					if len(s) != 1 {
						t.Fatalf("series %v, want one", s)
					}
					for _, got := range s {
						if len(got) != 2 || !near(got[0], want[0]) || !near(got[1], want[1]) {
							t.Errorf("%s: got %v, want %v", county, got, want)
						}
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
