package validate

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

func testRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	r := &registry.Registry{
		Areas: registry.DefaultAreas(),
		Stations: []registry.Station{
			{ID: "cj-01", Area: "changji", Class: registry.National},
			{ID: "qt-01", Area: "qitai", Class: registry.Provincial},
		},
		Sources: []registry.Source{{ID: "px-power", Area: "changji", Industry: "power",
			Outlets: []registry.Outlet{{ID: "DA001"}}}},
	}
	if err := r.Index(); err != nil {
		t.Fatal(err)
	}
	return r
}

var now = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

func checker(t testing.TB, acceptUnknown bool) *Checker {
	return &Checker{Registry: testRegistry(t), AcceptUnknown: acceptUnknown, MaxFuture: 10 * time.Minute,
		MaxAge: 30 * 24 * time.Hour, Now: func() time.Time { return now }}
}

func TestAirReadingsDecodeEveryContractForm(t *testing.T) {
	cases := []struct {
		name, payload string
		wantTime      time.Time
		wantPM25      float64
		wantPeriod    reading.Period
	}{
		{"RFC 3339 with offset", `{"station":"cj-01","time":"2026-01-10T18:00:00+08:00","period":"1h","pm25":35.2}`, time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC), 35.2, reading.Hour},
		{"unix seconds", `{"time":1768039200,"pm25":35}`, time.Unix(1768039200, 0), 35, reading.RealTime},
		{"unix milliseconds", `{"time":1768039200500,"pm25":35}`, time.UnixMilli(1768039200500), 35, reading.RealTime},
		{"unix seconds as string", `{"time":"1768039200","pm25":"35.5"}`, time.Unix(1768039200, 0), 35.5, reading.RealTime},
		{"numeric string with spaces", `{"time":1768039200,"pm25":" 12 "}`, time.Unix(1768039200, 0), 12, reading.RealTime},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeAir("cj-01", []byte(c.payload))
			if err != nil {
				t.Fatal(err)
			}
			v, ok := r.Get("pm25")
			if !ok || v.Value != c.wantPM25 || !r.Time.Equal(c.wantTime) || r.Period != c.wantPeriod || r.Station != "cj-01" {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestFlagsAreKeptAndAFlagWithoutValueIsAllowed(t *testing.T) {
	r, err := DecodeAir("cj-01", []byte(`{"time":1768039200,"pm25":35,"so2":null,"flags":{"pm25":"c","so2":"D"}}`))
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := r.Get("pm25")
	so2, ok := r.Get("so2")
	if pm.Flag != reading.FlagCalibration || !ok || !so2.NoValue || so2.Flag != reading.FlagFault {
		t.Fatalf("flags: pm25 %+v so2 %+v", pm, so2)
	}
	if pm.Flag.Valid() || so2.Flag.Valid() {
		t.Fatal("calibration and fault values must not count as valid")
	}
}

func TestRejectionsCarryTheirReason(t *testing.T) {
	cases := []struct{ name, topicStation, payload, reason string }{
		{"truncated", "cj-01", `{"time":1768039200,"pm25":`, reading.ReasonMalformed},
		{"not JSON", "cj-01", "\x00\x01garbage", reading.ReasonMalformed},
		{"array", "cj-01", `[1,2]`, reading.ReasonMalformed},
		{"two objects", "cj-01", `{"time":1768039200,"pm25":1}{"time":1768039200,"pm25":1}`, reading.ReasonMalformed},
		{"unknown field", "cj-01", `{"time":1768039200,"pm25":1,"aqi":50}`, reading.ReasonUnknownField},
		{"text value", "cj-01", `{"time":1768039200,"pm25":"high"}`, reading.ReasonBadValue},
		{"object value", "cj-01", `{"time":1768039200,"pm25":{"v":1}}`, reading.ReasonBadValue},
		{"NaN", "cj-01", `{"time":1768039200,"pm25":"NaN"}`, reading.ReasonNonFinite},
		{"Infinity", "cj-01", `{"time":1768039200,"pm25":"-Inf"}`, reading.ReasonNonFinite},
		{"overflow", "cj-01", `{"time":1768039200,"pm25":1e400}`, reading.ReasonNonFinite},
		{"no time", "cj-01", `{"pm25":1}`, reading.ReasonBadTime},
		{"local time without offset", "cj-01", `{"time":"2026-01-10 10:00","pm25":1}`, reading.ReasonBadTime},
		{"time as object", "cj-01", `{"time":{"s":1},"pm25":1}`, reading.ReasonBadTime},
		{"station as number", "", `{"station":7,"time":1768039200,"pm25":1}`, reading.ReasonBadValue},
		{"bad period", "cj-01", `{"time":1768039200,"period":"2h","pm25":1}`, reading.ReasonBadPeriod},
		{"bad flag", "cj-01", `{"time":1768039200,"pm25":1,"flags":{"pm25":"X"}}`, reading.ReasonBadFlag},
		{"station mismatch", "cj-01", `{"station":"qt-01","time":1768039200,"pm25":1}`, reading.ReasonTopicMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeAir(c.topicStation, []byte(c.payload))
			if reading.ReasonOf(err) != c.reason {
				t.Fatalf("reason %q (%v), want %q", reading.ReasonOf(err), err, c.reason)
			}
		})
	}
}

func TestCheckerAppliesRegistryRangesAndClock(t *testing.T) {
	air := func(station string, ts time.Time, vals ...reading.Value) reading.Reading {
		return reading.Reading{Kind: reading.Air, Station: station, Time: ts, Period: reading.RealTime, Values: vals}
	}
	v := func(name string, x float64) reading.Value { return reading.Value{Name: name, Value: x} }
	cases := []struct {
		name   string
		r      reading.Reading
		unk    bool
		reason string
	}{
		{"registered station", air("cj-01", now, v("pm25", 35)), false, ""},
		{"range upper bound inclusive", air("cj-01", now, v("pm25", 3000)), false, ""},
		{"above range", air("cj-01", now, v("pm25", 3000.1)), false, reading.ReasonOutOfRange},
		{"negative", air("cj-01", now, v("co", -0.1)), false, reading.ReasonOutOfRange},
		{"NaN", air("cj-01", now, v("o3", math.NaN())), false, reading.ReasonNonFinite},
		{"unknown station", air("xx-99", now, v("pm25", 35)), false, reading.ReasonUnknownStation},
		{"unknown station accepted", air("grid-7", now, v("pm25", 35)), true, ""},
		{"unknown station with bad id", air("a,b", now, v("pm25", 35)), true, reading.ReasonBadTopic},
		{"10 min ahead is fine", air("cj-01", now.Add(10*time.Minute), v("pm25", 35)), false, ""},
		{"11 min ahead", air("cj-01", now.Add(11*time.Minute), v("pm25", 35)), false, reading.ReasonFuture},
		{"too old", air("cj-01", now.Add(-31*24*time.Hour), v("pm25", 35)), false, reading.ReasonTooOld},
		{"no values", air("cj-01", now), false, reading.ReasonNoValues},
		{"source field on air", air("cj-01", now, v("nox", 3)), false, reading.ReasonUnknownField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := checker(t, c.unk).Check(c.r)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if reading.ReasonOf(err) != c.reason {
				t.Fatalf("reason %q (%v), want %q", reading.ReasonOf(err), err, c.reason)
			}
			_ = a
		})
	}
}

func TestAcceptedReadingsCarryCountyAndKeyArea(t *testing.T) {
	c := checker(t, true)
	cases := []struct{ station, county, area string }{
		{"cj-01", "changji", "wcs"},
		{"qt-01", "qitai", "qitai"},
		{"grid-9", registry.UnknownCounty, registry.UnknownCounty},
	}
	for _, x := range cases {
		a, err := c.Check(reading.Reading{Kind: reading.Air, Station: x.station, Time: now, Values: []reading.Value{{Name: "pm25", Value: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if a.County != x.county || a.Area != x.area || a.Unregistered != (x.county == registry.UnknownCounty) {
			t.Errorf("%s: county %q area %q unregistered %v", x.station, a.County, a.Area, a.Unregistered)
		}
	}
}

func TestSourceReadings(t *testing.T) {
	r, err := DecodeSource("px-power", "DA001", []byte(`{"time":1768039200,"period":"1h","so2":21,"so2_zs":"20.1","o2":7,"flow":512000}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := checker(t, false).Check(r)
	if err != nil {
		t.Fatal(err)
	}
	if a.Industry != "power" || a.County != "changji" || len(a.Values) != 4 {
		t.Fatalf("got %+v", a)
	}
	_, err = DecodeSource("px-power", "DA001", []byte(`{"outlet":"DA002","time":1768039200,"so2":1}`))
	if reading.ReasonOf(err) != reading.ReasonTopicMismatch {
		t.Fatalf("outlet mismatch: %v", err)
	}
	_, err = checker(t, false).Check(reading.Reading{Kind: reading.Source, Source: "px-power", Outlet: "DA001", Time: now,
		Values: []reading.Value{{Name: "o2", Value: 30}}})
	if reading.ReasonOf(err) != reading.ReasonOutOfRange {
		t.Fatalf("o2 30%%: %v", err)
	}
}

func TestRejectionWrapsCause(t *testing.T) {
	_, err := DecodeAir("cj-01", []byte(`{"time":1,"pm25":"NaN"}`))
	var rej *reading.Rejection
	if !errors.As(err, &rej) || !strings.Contains(err.Error(), "pm25") {
		t.Fatalf("error %v does not name the field", err)
	}
}
