package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"lantian/alert/assess"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/sim"
	"lantian/internal/devenv/testenv"
	"lantian/service/config"
)

// hourReading is one hourly air reading; a negative value leaves the pollutant out.
func hourReading(station string, t time.Time, pm25, pm10, so2, no2, co, o3 float64) reading.Reading {
	r := reading.Reading{Kind: reading.Air, Station: station, Time: t, Period: reading.Hour}
	for i, v := range []float64{pm25, pm10, so2, no2, co, o3} {
		if v >= 0 {
			r.Values = append(r.Values, reading.Value{Name: []string{"pm25", "pm10", "so2", "no2", "co", "o3"}[i], Value: v})
		}
	}
	return r
}

// TestAssessmentStationsOnly is the acceptance test of assessment stations and valid days,
// through the whole `lantian run` service on a real Mosquitto and InfluxDB: 昌吉市 has two
// national stations reading PM2.5 35 µg/m³ and three grid micro-stations reading 300 µg/m³
// (the sample registry's layout). The county's daily AQI, year-to-date PM2.5 and good-day ratio
// come from the national stations alone; the micro-stations still get their own station AQI.
// The fourth day's national data lack NO2 and read PM2.5 160: its partial AQI (210) is published
// (HJ 633-2026 §5.3) but the day is incomplete, so it enters the YTD PM2.5 mean (its PM2.5 is
// valid) but not the good-day ratio, whose denominator is valid days.
func TestAssessmentStationsOnly(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-assessment")
	no := false
	cfg.Stations = append(cfg.Stations,
		registry.Station{ID: "cj-m01", Name: "昌吉市延安北路微站", Area: "changji", Class: registry.Micro},
		registry.Station{ID: "cj-m02", Name: "昌吉市三工镇微站", Area: "changji", Class: registry.Micro},
		registry.Station{ID: "cj-m03", Name: "昌吉市榆树沟微站", Area: "changji", Class: registry.Micro},
		// A national station taken out of the assessment by its flag (e.g. being relocated).
		registry.Station{ID: "cj-03", Name: "昌吉市迁建站", Area: "changji", Class: registry.National, Assess: &no},
	)
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)

	loc := assess.DefaultLocation()
	first := time.Date(2026, time.November, 1, 0, 0, 0, 0, loc)
	var readings []reading.Reading
	for h := range 4 * 24 {
		at := first.Add(time.Duration(h) * time.Hour)
		pm25, no2 := 35.0, 20.0
		if h >= 3*24 {
			pm25, no2 = 160, -1
		}
		for _, st := range []string{"cj-01", "cj-02"} {
			readings = append(readings, hourReading(st, at, pm25, 50, 10, no2, 0.5, 60))
		}
		for _, st := range []string{"cj-m01", "cj-m02", "cj-m03", "cj-03"} {
			readings = append(readings, hourReading(st, at, 300, 400, 10, 20, 0.5, 60))
		}
		readings = append(readings, hourReading("fk-01", at, 50+float64(h%24), 80, 12, 30, 0.8, 70+float64(h%24)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sim.Replay(ctx, sim.ReplayOptions{Session: sim.Session{URL: mosq.URL, ClientID: "replay-assessment"}}, readings, nil)
	if err != nil || st.Published != len(readings) {
		t.Fatalf("replay: %+v, %v", st, err)
	}

	// County days: AQI 50 (PM2.5 35 → IAQI 50, 优) on the three complete days; the fourth 210,
	// published but not valid.
	want := map[string]string{
		"2026-11-01": "50 true", "2026-11-02": "50 true", "2026-11-03": "50 true", "2026-11-04": "210 false",
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		got := map[string]string{}
		for _, r := range influxRows(t, influx, `SELECT "aqi","valid","pm25" FROM "aqi_daily" WHERE "scope"='county' AND "county"='changji'`) {
			ts, _ := time.Parse(time.RFC3339, fmt.Sprint(r["time"]))
			got[ts.In(loc).Format(time.DateOnly)] = fmt.Sprintf("%v %v", r["aqi"], r["valid"])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("county days %v, want %v", got, want)
		}
		return nil
	})
	// Year-to-date as of 4 November: PM2.5 (35·3 + 160)/4 = 66.25 → 66.2; good days 3 of 3 valid
	// days (100 %), one incomplete day counted apart. Counting the micro-stations would give a
	// county PM2.5 of 194 and no good day; counting the incomplete day, 75 %.
	testenv.Eventually(t, 30*time.Second, func() error {
		m := scrape(t, run.svc.HTTPAddr)
		for _, w := range []string{
			`lantian_county_pm25_ytd{county="changji",deducted="false"} 66.2`,
			`lantian_county_good_ratio_ytd{county="changji",deducted="false"} 100`,
			`lantian_county_valid_days_ytd{county="changji",deducted="false"} 3`,
			`lantian_county_incomplete_days_ytd{county="changji",deducted="false"} 1`,
		} {
			if !strings.Contains(m, w+"\n") {
				return fmt.Errorf("metrics lack %q", w)
			}
		}
		return nil
	})
	rows := influxRows(t, influx, `SELECT "pm25_ytd","good_ratio_ytd","valid_days","good_days","incomplete_days" FROM "county_progress" WHERE "county"='changji' AND "deducted"='false' ORDER BY time DESC LIMIT 1`)
	if len(rows) != 1 || rows[0]["pm25_ytd"] != 66.2 || rows[0]["good_ratio_ytd"] != 100.0 || rows[0]["valid_days"] != 3.0 || rows[0]["incomplete_days"] != 1.0 {
		t.Errorf("county_progress %v", rows)
	}
	// The monthly ranking by composite index equals the offline period report of the assessment
	// stations' data (--period month, the same areas).
	var in, out bytes.Buffer
	in.WriteString("station,time,pm25,pm10,so2,no2,co,o3\n")
	areas := map[string]string{"cj-01": "changji", "cj-02": "changji", "fk-01": "fukang"}
	for _, r := range readings {
		if _, ok := areas[r.Station]; !ok {
			continue
		}
		vals := map[string]string{}
		for _, v := range r.Values {
			vals[v.Name] = strconv.FormatFloat(v.Value, 'f', -1, 64)
		}
		fmt.Fprintf(&in, "%s,%s,%s,%s,%s,%s,%s,%s\n", r.Station, r.Time.Format(time.RFC3339),
			vals["pm25"], vals["pm10"], vals["so2"], vals["no2"], vals["co"], vals["o3"])
	}
	if err := assess.Run(assess.Options{Report: assess.ReportPeriod, Period: assess.PeriodMonth, Areas: areas}, &in, &out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	wantMonth := map[string]string{}
	for _, r := range recs[1:] {
		if r[col["kind"]] == "area" {
			wantMonth[r[col["entity"]]] = fmt.Sprintf("composite %s rank %s primary %s pm25 %s good %s valid %s incomplete %s",
				r[col["composite"]], r[col["rank"]], r[col["primary"]], r[col["pm25"]], r[col["good_pct"]], r[col["valid_days"]], r[col["incomplete_days"]])
		}
	}
	if len(wantMonth) != 2 {
		t.Fatalf("offline area rows %v", wantMonth)
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		got := map[string]string{}
		for _, r := range influxRows(t, influx, `SELECT * FROM "county_month" WHERE "deducted"='false'`) {
			f := func(k string) string {
				if v, ok := r[k].(float64); ok {
					return strconv.FormatFloat(v, 'f', -1, 64)
				}
				return fmt.Sprint(r[k])
			}
			got[fmt.Sprint(r["county"])] = fmt.Sprintf("composite %s rank %s primary %s pm25 %s good %s valid %s incomplete %s",
				f("composite"), f("rank"), f("primary"), f("pm25"), f("good_ratio"), f("valid_days"), f("incomplete_days"))
		}
		for k, w := range wantMonth {
			// The report prints fixed decimals (62.1, 100.0, 3.50); InfluxDB gives the number back.
			if g := got[k]; normalise(g) != normalise(w) {
				return fmt.Errorf("%s: county_month %q, offline %q", k, g, w)
			}
		}
		return nil
	})
	t.Logf("monthly ranking equals the offline report: %v", wantMonth)
	// The micro-stations keep their own (public) station AQI: PM2.5 300 → 2026 IAQI 350.
	rows = influxRows(t, influx, `SELECT "aqi" FROM "aqi_daily" WHERE "scope"='station' AND "station"='cj-m01' AND time = '2026-10-31T16:00:00Z'`)
	if len(rows) != 1 || rows[0]["aqi"] != 350.0 {
		t.Errorf("micro-station day %v, want AQI 350", rows)
	}
}

// TestSandDustDeduction enters a sand-dust period through the API after the data arrived: the
// deducted figures (deducted="true") leave the dust day's particulate data out and count it
// good by its other pollutants, the undeducted ones and the public daily AQI stay as they were,
// and the period is listed with who entered it.
func TestSandDustDeduction(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-dust")
	cfg.Warnings.Tokens = []config.WarningToken{
		{Name: "监测中心-王", Role: "forecaster", Token: "dust-token-forecaster-0123456789"},
		{Name: "viewer", Role: "viewer", Token: "dust-token-viewer-0123456789abcd"},
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := startService(t, cfg)

	loc := assess.DefaultLocation()
	first := time.Date(2026, time.November, 1, 0, 0, 0, 0, loc)
	var readings []reading.Reading
	for h := range 3 * 24 {
		pm25, pm10 := 35.0, 50.0
		if h >= 2*24 {
			pm25, pm10 = 150, 600 // a sand-dust day
		}
		for _, st := range []string{"cj-01", "cj-02"} {
			readings = append(readings, hourReading(st, first.Add(time.Duration(h)*time.Hour), pm25, pm10, 10, 20, 0.5, 60))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if st, err := sim.Replay(ctx, sim.ReplayOptions{Session: sim.Session{URL: mosq.URL, ClientID: "replay-dust"}}, readings, nil); err != nil || st.Published != len(readings) {
		t.Fatalf("replay: %+v, %v", st, err)
	}
	// Before any period: deducted equals undeducted. PM2.5 (35 + 35 + 150)/3 = 73.3; good 2 of 3.
	expect := func(lines ...string) {
		t.Helper()
		testenv.Eventually(t, 40*time.Second, func() error {
			m := scrape(t, run.svc.HTTPAddr)
			for _, w := range lines {
				if !strings.Contains(m, w+"\n") {
					return fmt.Errorf("metrics lack %q", w)
				}
			}
			return nil
		})
	}
	expect(`lantian_county_pm25_ytd{county="changji",deducted="false"} 73.3`,
		`lantian_county_pm25_ytd{county="changji",deducted="true"} 73.3`,
		`lantian_county_good_ratio_ytd{county="changji",deducted="true"} 66.7`)

	post := func(token, path, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+run.svc.HTTPAddr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	period := `{"areas":["changji"],"from":"2026-11-03T00:00:00+08:00","to":"2026-11-04T00:00:00+08:00","note":"气象台沙尘通报"}`
	if code, body := post("dust-token-viewer-0123456789abcd", "/api/v1/dust-periods", period); code != http.StatusForbidden {
		t.Errorf("a viewer entered a period: %d %s", code, body)
	}
	if code, body := post("dust-token-forecaster-0123456789", "/api/v1/dust-periods", `{"areas":["nowhere"],"from":"2026-11-03T00:00:00+08:00","to":"2026-11-04T00:00:00+08:00"}`); code != http.StatusBadRequest {
		t.Errorf("an unknown area was accepted: %d %s", code, body)
	}
	code, body := post("dust-token-forecaster-0123456789", "/api/v1/dust-periods", period)
	if code != http.StatusCreated || !strings.Contains(body, `"entered_by":"监测中心-王"`) || !strings.Contains(body, `"from":"2026-11-03T00:00:00+08:00"`) {
		t.Fatalf("enter: %d %s", code, body)
	}
	// Deducted: the dust day's PM is removed, its AQI from the rest (O3 8h 60 → 30) is good:
	// PM2.5 35, good 3 of 3 valid days. Undeducted unchanged.
	expect(`lantian_county_pm25_ytd{county="changji",deducted="true"} 35`,
		`lantian_county_good_ratio_ytd{county="changji",deducted="true"} 100`,
		`lantian_county_valid_days_ytd{county="changji",deducted="true"} 3`,
		`lantian_county_pm25_ytd{county="changji",deducted="false"} 73.3`,
		`lantian_county_good_ratio_ytd{county="changji",deducted="false"} 66.7`)
	testenv.Eventually(t, 30*time.Second, func() error {
		rows := influxRows(t, influx, `SELECT "pm25_ytd","good_ratio_ytd" FROM "county_progress" WHERE "county"='changji' AND "deducted"='true' AND time = '2026-11-02T16:00:00Z'`)
		if len(rows) != 1 || rows[0]["pm25_ytd"] != 35.0 || rows[0]["good_ratio_ytd"] != 100.0 {
			return fmt.Errorf("deducted county_progress of 3 November: %v", rows)
		}
		return nil
	})
	// The public daily AQI of the dust day is unchanged (PM10 600 → 2026 IAQI 500).
	rows := influxRows(t, influx, `SELECT "aqi" FROM "aqi_daily" WHERE "scope"='county' AND "county"='changji' AND time = '2026-11-02T16:00:00Z'`)
	if len(rows) != 1 || rows[0]["aqi"] != 500.0 {
		t.Errorf("public county AQI of the dust day: %v", rows)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+run.svc.HTTPAddr+"/api/v1/dust-periods", nil)
	req.Header.Set("Authorization", "Bearer dust-token-viewer-0123456789abcd")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "气象台沙尘通报") || !strings.Contains(string(b), `"source":"api"`) {
		t.Errorf("list: %d %s", resp.StatusCode, b)
	}
}

// normalise drops trailing zeros of the decimals in a "name value …" line.
func normalise(s string) string {
	f := strings.Fields(s)
	for i, w := range f {
		if v, err := strconv.ParseFloat(w, 64); err == nil {
			f[i] = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return strings.Join(f, " ")
}
