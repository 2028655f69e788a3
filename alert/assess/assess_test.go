package assess

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/reading"
)

var shanghai = DefaultLocation()

// genHours writes Lantian CSV rows for every hour from..to (exclusive) of each station, values
// from f (an empty string is missing).
func genHours(b *strings.Builder, stations []string, from, to time.Time, f func(st string, t time.Time) [6]string) {
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		for _, st := range stations {
			v := f(st, t)
			fmt.Fprintf(b, "%s,%s,%s,%s,%s,%s,%s,%s\n", st, t.Format("2006-01-02 15:04"), v[0], v[1], v[2], v[3], v[4], v[5])
		}
	}
}

const lantianHeader = "station,time,pm25,pm10,so2,no2,co,o3\n"

func run(t testing.TB, opts Options, input string) [][]string {
	t.Helper()
	var out bytes.Buffer
	if err := Run(opts, strings.NewReader(input), &out); err != nil {
		t.Fatalf("Run: %v", err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	return recs
}

// byKey indexes report rows by their first two columns.
func byKey(recs [][]string) map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = r[i]
		}
		m[r[0]+"|"+r[1]] = row
	}
	return m
}

func constant(v [6]string) func(string, time.Time) [6]string {
	return func(string, time.Time) [6]string { return v }
}

func TestDailyReportBasics(t *testing.T) {
	var b strings.Builder
	b.WriteString(lantianHeader)
	day := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	// E5 as constant hours: the daily means equal the hourly values.
	genHours(&b, []string{"A"}, day, day.Add(24*time.Hour), constant([6]string{"20", "40", "10", "30", "2.2", "60"}))
	recs := run(t, Options{}, b.String())
	want := []string{"A", "2017-01-01", "55", "2", "CO", "20", "40", "10", "30", "2.2", "60", "60", "true"}
	if len(recs) != 2 || strings.Join(recs[1], ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", recs, want)
	}
	if strings.Join(recs[0], ",") != strings.Join(dailyHeader, ",") {
		t.Errorf("header %v", recs[0])
	}
}

// TestDailyValidityThroughEngine: 19 hours of PM2.5 leave the day without PM2.5 and without an
// AQI (the rest is ≤ 100); flagged values are not counted.
func TestDailyValidityThroughEngine(t *testing.T) {
	var b strings.Builder
	b.WriteString("station,time,pm25,pm10,so2,no2,co,o3,pm25_flag\n")
	day := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	for h := 0; h < 24; h++ {
		ts := day.Add(time.Duration(h) * time.Hour).Format(time.RFC3339)
		flag := "N"
		switch {
		case h < 4:
			flag = "M" // maintenance: invalid
		case h == 4:
			flag = "" // unflagged: valid, but the value is missing
		}
		pm := "30"
		if h == 4 {
			pm = ""
		}
		fmt.Fprintf(&b, "S,%s,%s,40,10,30,0.5,60,%s\n", ts, pm, flag)
	}
	recs := run(t, Options{}, b.String())
	row := byKey(recs)["S|2017-01-01"]
	if row["pm25"] != "" || row["aqi"] != "" || row["valid"] != "false" || row["pm10"] != "40" {
		t.Errorf("19-hour PM2.5 day: %v", row)
	}
	// One more valid hour (remove the flag of hour 0) makes it valid.
	in := strings.Replace(b.String(), "2017-01-01T00:00:00+08:00,30,40,10,30,0.5,60,M", "2017-01-01T00:00:00+08:00,30,40,10,30,0.5,60,N", 1)
	row = byKey(run(t, Options{}, in))["S|2017-01-01"]
	if row["pm25"] != "30" || row["aqi"] != "43" || row["valid"] != "true" {
		t.Errorf("20-hour PM2.5 day: %v", row)
	}
}

// TestTimeLabels: end-labelled input (01:00 … 24:00) is the same natural day as start-labelled
// input (00:00 … 23:00), and the hourly report writes the input's own stamps back.
func TestTimeLabels(t *testing.T) {
	start := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	vals := func(st string, t time.Time) [6]string {
		pm := "50"
		if t.Hour() == 0 && t.Day() == 1 || t.Hour() == 23 && t.Day() == 1 {
			pm = "500" // the day's first and last hours carry a marker
		}
		return [6]string{pm, "40", "10", "30", "0.5", "60"}
	}
	var sb, eb strings.Builder
	sb.WriteString(lantianHeader)
	eb.WriteString(lantianHeader)
	genHours(&sb, []string{"S"}, start, start.Add(24*time.Hour), vals)
	// The same hours stamped by their end.
	for h := 0; h < 24; h++ {
		t0 := start.Add(time.Duration(h) * time.Hour)
		v := vals("S", t0)
		fmt.Fprintf(&eb, "S,%s,%s,%s,%s,%s,%s,%s\n", t0.Add(time.Hour).Format("2006-01-02 15:04"), v[0], v[1], v[2], v[3], v[4], v[5])
	}
	ds := run(t, Options{}, sb.String())
	de := run(t, Options{TimeLabel: LabelEnd}, eb.String())
	if len(ds) != 2 || len(de) != 2 || strings.Join(ds[1], ",") != strings.Join(de[1], ",") {
		t.Fatalf("start labels %v\nend labels %v", ds, de)
	}
	// Read without the option, the end-labelled file spills into 2 January.
	if d := run(t, Options{}, eb.String()); len(d) != 3 {
		t.Errorf("end labels read as start labels: %v", d)
	}
	h := run(t, Options{Report: ReportHourly, TimeLabel: LabelEnd}, eb.String())
	if h[24][1] != "2017-01-02T00:00:00+08:00" || h[24][2] != "500" {
		t.Errorf("hourly end-labelled last row %v", h[24])
	}
}

// TestRulesAuto: the edition changes with the date of the data, and can be pinned.
func TestRulesAuto(t *testing.T) {
	var b strings.Builder
	b.WriteString(lantianHeader)
	from := time.Date(2026, 2, 28, 0, 0, 0, 0, shanghai)
	genHours(&b, []string{"S"}, from, from.Add(48*time.Hour), constant([6]string{"70", "40", "10", "30", "0.5", "60"}))
	m := byKey(run(t, Options{}, b.String()))
	// PM2.5 70: 2012 → 50 + ⌈50·35/40⌉ = 94; 2026 → 100 + ⌈50·10/55⌉ = 110.
	if m["S|2026-02-28"]["aqi"] != "94" || m["S|2026-03-01"]["aqi"] != "110" {
		t.Errorf("auto: %v / %v", m["S|2026-02-28"]["aqi"], m["S|2026-03-01"]["aqi"])
	}
	m = byKey(run(t, Options{Rules: aqi.Rules2026}, b.String()))
	if m["S|2026-02-28"]["aqi"] != "110" {
		t.Errorf("pinned 2026: %v", m["S|2026-02-28"]["aqi"])
	}
	h := run(t, Options{Report: ReportHourly}, b.String())
	if h[24][2] != "94" || h[25][2] != "110" || h[25][1] != "2026-03-01T00:00:00+08:00" {
		t.Errorf("hourly cut-over: %v %v", h[24], h[25])
	}
	// 2012 daily reports carry O3_1h; 2026 daily O3_1h is informational only.
	if m["S|2026-03-01"]["o3_1h"] != "60" {
		t.Errorf("o3_1h column: %v", m["S|2026-03-01"])
	}
}

// TestHourlySO2Fallback: HJ 633-2012 reports SO2 1h > 800 by the 24-h moving mean (E9's rule).
func TestHourlySO2Fallback(t *testing.T) {
	var b strings.Builder
	b.WriteString(lantianHeader)
	from := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	genHours(&b, []string{"S"}, from, from.Add(24*time.Hour), func(_ string, t time.Time) [6]string {
		so2 := "400"
		if t.Hour() == 23 {
			so2 = "900"
		}
		return [6]string{"10", "10", so2, "10", "0.2", "10"}
	})
	h := run(t, Options{Report: ReportHourly}, b.String())
	// 24-h mean (23·400 + 900)/24 = 420.8 → 421 → 100 + ⌈50·271/325⌉ = 142.
	if got := h[24]; got[2] != "142" || got[3] != "3" || got[4] != "SO2" {
		t.Errorf("2012 fallback: %v", got)
	}
	// Before 20 hours of history there is no 24-h mean: the 900 at hour 10 leaves SO2 missing,
	// and the rest (≤ 100) is not published.
	in := strings.Replace(b.String(), "2017-01-01 10:00,10,10,400", "2017-01-01 10:00,10,10,900", 1)
	if h := run(t, Options{Report: ReportHourly}, in); h[11][2] != "" {
		t.Errorf("fallback without 20 hours: %v", h[11])
	}
	h = run(t, Options{Report: ReportHourly, Rules: aqi.Rules2026}, b.String())
	if got := h[24]; got[2] != "200" || got[4] != "SO2" {
		t.Errorf("2026 SO2 cap: %v", got)
	}
}

func TestInputErrors(t *testing.T) {
	good := lantianHeader + "S,2017-01-01 00:00,1,2,3,4,0.5,6\n"
	tests := []struct {
		name, in string
		line     int
		field    string
		msg      string
	}{
		{"bad number", good + "S,2017-01-01 01:00,1,x,3,4,0.5,6\n", 3, "pm10", "invalid number"},
		{"negative", good + "S,2017-01-01 01:00,1,2,-3,4,0.5,6\n", 3, "so2", "negative"},
		{"bad time", good + "S,2017-13-01 01:00,1,2,3,4,0.5,6\n", 3, "time", "neither RFC 3339"},
		{"half hour", good + "S,2017-01-01T01:30:00+08:00,1,2,3,4,0.5,6\n", 3, "time", "whole hour"},
		{"empty station", good + ",2017-01-01 01:00,1,2,3,4,0.5,6\n", 3, "station", "empty station"},
		{"duplicate", good + "S,2017-01-01 00:00,1,2,3,4,0.5,6\n", 3, "", "duplicate hour"},
		{"backwards", good + "S,2017-01-02 00:00,1,2,3,4,0.5,6\nS,2017-01-01 05:00,1,2,3,4,0.5,6\n", 4, "", "time order"},
		{"field count", good + "S,2017-01-01 01:00,1,2,3\n", 3, "", "wrong number of fields"},
		{"header", "station,time,pm25\n", 1, "", `lacks column "pm10"`},
		{"empty", "", 1, "", "no header"},
		{"long line", good + strings.Repeat("x", MaxLineBytes+10) + "\n", 3, "", "line longer"},
		{"bad flag", "station,time,pm25,pm10,so2,no2,co,o3,co_flag\nS,2017-01-01 00:00,1,2,3,4,0.5,6,Q\n", 2, "co_flag", "unknown data flag"},
		{"prsa bad day", `"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","station"` + "\n1,2017,2,30,0,1,2,3,4,500,6,\"X\"\n", 2, "day", "no such time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(Options{InputName: "f.csv"}, strings.NewReader(tt.in), io.Discard)
			var ie *aqi.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an InputError", err)
			}
			if ie.Line != tt.line || ie.Field != tt.field || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "f.csv:") {
				t.Errorf("got %q (line %d field %q), want line %d field %q containing %q", err, ie.Line, ie.Field, tt.line, tt.field, tt.msg)
			}
		})
	}
	// Column numbers point at the field.
	err := Run(Options{InputName: "f.csv"}, strings.NewReader(good+"S,2017-01-01 01:00,1,x,3,4,0.5,6\n"), io.Discard)
	if !strings.HasPrefix(err.Error(), "f.csv:3:22: column pm10:") {
		t.Errorf("position: %v", err)
	}
}

func TestOptionsAndAreas(t *testing.T) {
	for _, o := range []Options{{Report: "weekly"}, {Rules: 1999}, {TimeLabel: "middle"}, {Period: "week"}} {
		if err := Run(o, strings.NewReader(lantianHeader), io.Discard); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	areas, err := LoadAreas(strings.NewReader("station,area\nA,昌吉市\nB, 昌吉市\nC,阜康市\n"))
	if err != nil || len(areas) != 3 || areas["B"] != "昌吉市" {
		t.Errorf("LoadAreas: %v %v", areas, err)
	}
	if _, err := LoadAreas(strings.NewReader("A,x\nA,y\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("conflicting areas: %v", err)
	}
}

// TestStreamingAPI: the pieces a live pipeline uses — HourFromReading and Collector.
func TestStreamingAPI(t *testing.T) {
	r := &reading.Reading{Kind: reading.Air, Station: "S", Period: reading.Hour, Values: []reading.Value{
		{Name: "pm25", Value: 35}, {Name: "co", Value: 2.2, Flag: reading.FlagNormal},
		{Name: "so2", Value: 10, Flag: reading.FlagCalibration},
	}}
	h, err := HourFromReading(r)
	if err != nil || !h[aqi.PM25].Valid || h[aqi.CO].C != 2_200_000 || h[aqi.SO2].Valid || h[aqi.NO2].Valid {
		t.Fatalf("HourFromReading: %+v %v", h, err)
	}
	r.Values[0].Value = -1
	if _, err := HourFromReading(r); err == nil || !strings.Contains(err.Error(), "pm25") {
		t.Errorf("negative value: %v", err)
	}
	r.Values[0].Value = 35
	// A flag sent without a number (JSON "flags" naming a field with no value, an HJ 212 item
	// with only a flag) is a missing value, not a valid zero.
	flagOnly := &reading.Reading{Kind: reading.Air, Station: "S", Period: reading.Hour, Values: []reading.Value{
		{Name: "pm25", Value: 35}, {Name: "no2", Flag: reading.FlagNormal, NoValue: true},
	}}
	if h, err := HourFromReading(flagOnly); err != nil || h[aqi.NO2] != (aqi.Sample{}) || !h[aqi.PM25].Valid {
		t.Errorf("flag without a number: %+v %v", h, err)
	}
	var days []string
	c := NewCollector(Options{}, func(st string, d aqi.Date, dd aqi.DayDetail) error {
		days = append(days, fmt.Sprintf("%s %s %d", st, d, dd.Hours[aqi.PM25]))
		return nil
	})
	start := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	for i := 0; i < 30; i++ {
		ts := start.Add(time.Duration(i) * time.Hour)
		if err := c.Add(Row{Station: "S", Stamp: ts, Start: ts, Values: h}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(days, ";") != "S 2017-01-01 24;S 2017-01-02 6" {
		t.Errorf("days %v", days)
	}
}
