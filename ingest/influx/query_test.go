package influx_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"lantian/ingest/influx"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
	"lantian/internal/devenv/testenv"
)

// startReader starts a real InfluxDB, writes lines into it and returns a Reader over it.
func startReader(t *testing.T, lines ...[]byte) *influx.Reader {
	t.Helper()
	db := testenv.StartInflux(t)
	var body strings.Builder
	for _, l := range lines {
		body.Write(l)
		body.WriteByte('\n')
	}
	resp, err := http.Post(db.URL+"/write?db=lantian", "text/plain", strings.NewReader(body.String()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write points: %s", resp.Status)
	}
	client := influxdb2.NewClient(db.URL, "")
	t.Cleanup(client.Close)
	return influx.NewReader(client.QueryAPI(""), db.Bucket)
}

var t0 = time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)

// Points meant to fall outside a query's span lie well beyond its stop: InfluxDB 1.8 also
// returns points stamped at the stop instant itself.

func hour(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

// renderValues prints values as name=value/flag, "-" for a missing value.
func renderValues(vs []reading.Value) string {
	var parts []string
	for _, v := range vs {
		val := fmt.Sprint(v.Value)
		if v.NoValue {
			val = "-"
		}
		parts = append(parts, fmt.Sprintf("%s=%s/%s", v.Name, val, v.Flag))
	}
	return strings.Join(parts, " ")
}

// The points are encoded the way the pipeline stores them (EncodeLine), so the reader is
// checked against the writer's own format.
func TestAirHoursReadsBackStoredHourlyReadings(t *testing.T) {
	air := func(station, county string, at time.Time, p reading.Period, vs ...reading.Value) []byte {
		return influx.EncodeLine(&reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Station: station,
			Time: at, Period: p, Values: vs}, County: county, Area: "wcs"})
	}
	r := startReader(t,
		air("A", "changji", hour(1), reading.Hour, reading.Value{Name: "pm25", Value: 35}, reading.Value{Name: "o3", Value: 120, Flag: reading.FlagCalibration}),
		// A flag without a value, and a field that is not a pollutant.
		air("B", "fukang", hour(2), reading.Hour, reading.Value{Name: "so2", Flag: reading.FlagMaintenance, NoValue: true},
			reading.Value{Name: "co", Value: 1.2}, reading.Value{Name: "temp", Value: -12}),
		air("C", registry.UnknownCounty, hour(2), reading.Hour, reading.Value{Name: "pm10", Value: 80}),
		// Not hourly, or outside [from, to): left out.
		air("A", "changji", hour(1).Add(5*time.Minute), reading.Minute, reading.Value{Name: "pm25", Value: 99}),
		air("A", "changji", hour(7), reading.Hour, reading.Value{Name: "pm25", Value: 99}),
		// Another measurement.
		schema.NewLine(schema.Emission, 64).Tag("source", "A").Tag("period", "1h").Float("so2", 5).At(hour(1)),
	)
	var got []string
	err := r.AirHours(context.Background(), hour(0), hour(5), func(a *reading.Accepted) error {
		if a.Kind != reading.Air || a.Period != reading.Hour || a.Area != "wcs" {
			t.Errorf("reading %+v", a)
		}
		got = append(got, fmt.Sprintf("%s %s %s unregistered=%v %s", a.Station, a.County, a.Time.UTC().Format(time.RFC3339),
			a.Unregistered, renderValues(a.Values)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{
		"A changji 2026-01-10T01:00:00Z unregistered=false pm25=35/ o3=120/C",
		"B fukang 2026-01-10T02:00:00Z unregistered=false so2=-/M co=1.2/",
		"C unknown 2026-01-10T02:00:00Z unregistered=true pm10=80/",
	}
	if !slices.Equal(got, want) {
		t.Errorf("air hours\n got %q\nwant %q", got, want)
	}

	stop := errors.New("enough")
	n := 0
	if err := r.AirHours(context.Background(), hour(0), hour(5), func(*reading.Accepted) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("fn's error: %v after %d calls", err, n)
	}
}

func TestOutletReadingsReadsBackOneOutlet(t *testing.T) {
	outlet := func(src, out string, at time.Time, p reading.Period, vs ...reading.Value) []byte {
		return influx.EncodeLine(&reading.Accepted{Reading: reading.Reading{Kind: reading.Source, Source: src, Outlet: out,
			Time: at, Period: p, Values: vs}, County: "changji", Area: "wcs", Industry: "power"})
	}
	r := startReader(t,
		outlet("px", "DA001", hour(1), reading.Hour, reading.Value{Name: "so2", Value: 30}, reading.Value{Name: "so2_zs", Value: 32},
			reading.Value{Name: "o2", Value: 7}, reading.Value{Name: "flow", Value: 1e5}, reading.Value{Name: "temp", Value: 120},
			reading.Value{Name: "pressure", Value: 101}),
		outlet("px", "DA001", hour(1).Add(time.Minute), reading.Minute, reading.Value{Name: "nox", Value: 40, Flag: reading.FlagCalibration},
			reading.Value{Name: "dust", Flag: reading.FlagFault, NoValue: true}),
		// Daily records, other outlets and fields that are not read give no reading.
		outlet("px", "DA001", hour(0), reading.Day, reading.Value{Name: "so2", Value: 28}),
		outlet("px", "DA002", hour(1), reading.Hour, reading.Value{Name: "so2", Value: 10}),
		outlet("other", "DA001", hour(1), reading.Hour, reading.Value{Name: "so2", Value: 10}),
		outlet("px", "DA001", hour(2), reading.Hour, reading.Value{Name: "velocity", Value: 12}),
		// A flag InfluxDB holds but Lantian cannot read counts as a fault.
		schema.NewLine(schema.Emission, 64).Tag("outlet", "DA001").Tag("period", "1h").Tag("source", "px").
			Float("nmhc", 3).String("nmhc_flag", "?").At(hour(3)),
	)
	rs, err := r.OutletReadings(context.Background(), "px", "DA001", hour(0), hour(4))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rd := range rs {
		if rd.Kind != reading.Source || rd.Source != "px" || rd.Outlet != "DA001" {
			t.Errorf("reading %+v", rd)
		}
		got = append(got, fmt.Sprintf("%s %s %s", rd.Time.UTC().Format(time.RFC3339), rd.Period, renderValues(rd.Values)))
	}
	slices.Sort(got)
	want := []string{
		"2026-01-10T01:00:00Z 1h so2=30/ so2_zs=32/ o2=7/ flow=100000/ temp=120/",
		"2026-01-10T01:01:00Z 1m dust=-/D nox=40/C",
		"2026-01-10T03:00:00Z 1h nmhc=3/D",
	}
	if !slices.Equal(got, want) {
		t.Errorf("outlet readings\n got %q\nwant %q", got, want)
	}
}

func TestEmissionRatesSumOutletsPerSourceAndHour(t *testing.T) {
	rate := func(src, out string, at time.Time, fields map[string]float64) []byte {
		l := schema.NewLine(schema.EmissionHourly, 128).Tag("county", "changji").Tag("outlet", out).Tag("period", "1h").Tag("source", src)
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range fields {
				if !yield(k) {
					return
				}
			}
		}) {
			l.Float(k, fields[k])
		}
		return l.At(at)
	}
	r := startReader(t,
		rate("cut", "DA001", hour(1), map[string]float64{"so2": 100, "so2_kgh": 10, "nox_kgh": 4}),
		rate("cut", "DA002", hour(1), map[string]float64{"so2_kgh": 5}),
		rate("cut", "DA001", hour(2), map[string]float64{"so2_kgh": 7}),
		rate("same", "DA001", hour(1), map[string]float64{"dust_kgh": 1.5}),
		rate("other", "DA001", hour(1), map[string]float64{"so2_kgh": 99}),
		rate("cut", "DA001", hour(8), map[string]float64{"so2_kgh": 99}),
	)
	rates, err := r.EmissionRates(context.Background(), []string{"cut", "same"}, hour(0), hour(6))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rates {
		got = append(got, fmt.Sprintf("%s %s %s %g", e.Source, e.Pollutant, e.Hour.UTC().Format("15:04"), e.KgH))
	}
	slices.Sort(got)
	want := []string{"cut nox 01:00 4", "cut so2 01:00 15", "cut so2 02:00 7", "same dust 01:00 1.5"}
	if !slices.Equal(got, want) {
		t.Errorf("emission rates\n got %q\nwant %q", got, want)
	}
	if rates, err := r.EmissionRates(context.Background(), nil, hour(0), hour(6)); rates != nil || err != nil {
		t.Errorf("no sources: %v %v", rates, err)
	}
}

// TestOutletHoursAndStopFlags reads back the source monitor's outlet hours (rates and flow)
// and the hours whose raw readings carry the stop flag F, for the compliance check.
func TestOutletHoursAndStopFlags(t *testing.T) {
	hourly := func(src, out string, at time.Time, fields map[string]float64) []byte {
		l := schema.NewLine(schema.EmissionHourly, 128).Tag("county", "changji").Tag("outlet", out).Tag("period", "1h").Tag("source", src)
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			l.Float(k, fields[k])
		}
		l.Int("samples", 60)
		return l.At(at)
	}
	raw := func(src, out string, at time.Time, flag string) []byte {
		l := schema.NewLine(schema.Emission, 128).Tag("area", "wcs").Tag("county", "changji").Tag("industry", "cement").
			Tag("outlet", out).Tag("period", "rt").Tag("source", src)
		l.Float("flow", 0).String("flow_flag", flag).Float("so2", 0).String("so2_flag", flag)
		return l.At(at)
	}
	r := startReader(t,
		hourly("a", "DA001", hour(1), map[string]float64{"so2_kgh": 10, "nox_kgh": 4, "flow": 100000, "so2": 100}),
		hourly("a", "DA002", hour(1), map[string]float64{"so2_kgh": 5}),
		hourly("a", "DA001", hour(2), map[string]float64{"flow": 300}), // idle: a flow, no rate
		hourly("other", "DA001", hour(1), map[string]float64{"so2_kgh": 99}),
		raw("a", "DA001", hour(3).Add(10*time.Minute), "F"),
		raw("a", "DA001", hour(3).Add(20*time.Minute), "F"),
		raw("a", "DA002", hour(4).Add(5*time.Minute), "M"), // maintenance is not a stop
		raw("other", "DA001", hour(3), "F"),
	)
	ctx := context.Background()
	hs, err := r.OutletHours(ctx, []string{"a"}, hour(0), hour(6))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hs {
		got = append(got, fmt.Sprintf("%s/%s %s so2=%g nox=%g flow=%g/%v", h.Source, h.Outlet, h.Hour.UTC().Format("15:04"), h.KgH["so2"], h.KgH["nox"], h.Flow, h.FlowValid))
	}
	slices.Sort(got)
	want := []string{"a/DA001 01:00 so2=10 nox=4 flow=100000/true", "a/DA001 02:00 so2=0 nox=0 flow=300/true", "a/DA002 01:00 so2=5 nox=0 flow=0/false"}
	if !slices.Equal(got, want) {
		t.Errorf("outlet hours\n got %q\nwant %q", got, want)
	}
	stops, err := r.StopFlaggedHours(ctx, []string{"a"}, hour(0), hour(6))
	if err != nil {
		t.Fatal(err)
	}
	if len(stops) != 1 || stops[0].Source != "a" || stops[0].Outlet != "DA001" || !stops[0].Hour.Equal(hour(3)) {
		t.Errorf("stop-flagged hours %+v, want a/DA001 at %s", stops, hour(3))
	}
	if hs, err := r.OutletHours(ctx, nil, hour(0), hour(6)); hs != nil || err != nil {
		t.Errorf("no sources: %v %v", hs, err)
	}
}

func TestCountyDailyAQIReadsCountyScopeOnly(t *testing.T) {
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	daily := func(scope, county, station string, at time.Time, aqi int64) []byte {
		l := schema.NewLine(schema.AQIDaily, 128).Tag("area", "wcs").Tag("county", county).Tag("scope", scope).Tag("station", station)
		return l.Int("aqi", aqi).Int("level", 3).At(at)
	}
	r := startReader(t,
		daily(schema.ScopeCounty, "changji", "", day(0), 160),
		daily(schema.ScopeCounty, "changji", "", day(1), 210),
		daily(schema.ScopeStation, "changji", "A", day(1), 260),
		daily(schema.ScopeCounty, "fukang", "", day(1), 90),
		daily(schema.ScopeCounty, "changji", "", day(4), 300),
	)
	days, err := r.CountyDailyAQI(context.Background(), "changji", day(0), day(3))
	if err != nil {
		t.Fatal(err)
	}
	want := []influx.DailyAQI{{Day: day(0), AQI: 160}, {Day: day(1), AQI: 210}}
	if len(days) != len(want) {
		t.Fatalf("days %+v, want %+v", days, want)
	}
	for i := range want {
		if !days[i].Day.Equal(want[i].Day) || days[i].AQI != want[i].AQI {
			t.Errorf("day %d: %+v, want %+v", i, days[i], want[i])
		}
	}
}
