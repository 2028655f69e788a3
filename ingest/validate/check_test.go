package validate

import (
	"math"
	"testing"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
	"lantian/ingest/schema"
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

func TestSourceReadingRanges(t *testing.T) {
	_, err := checker(t, false).Check(reading.Reading{Kind: reading.Source, Source: "px-power", Outlet: "DA001", Time: now,
		Values: []reading.Value{{Name: "o2", Value: 30}}})
	if reading.ReasonOf(err) != reading.ReasonOutOfRange {
		t.Fatalf("o2 30%%: %v", err)
	}
}

// The range tables hold exactly the fields the schema lists, so that a field added to the
// data contract cannot go unchecked nor a checked field be missing from the schema.
func TestRangesCoverTheSchemaFields(t *testing.T) {
	for _, c := range []struct {
		ranges map[string]fieldRange
		fields []string
	}{{airFields, schema.AirFields[:]}, {sourceFields, schema.SourceFields[:]}} {
		if len(c.ranges) != len(c.fields) {
			t.Errorf("%d ranges for the %d fields %v", len(c.ranges), len(c.fields), c.fields)
		}
		for _, f := range c.fields {
			if rg, ok := c.ranges[f]; !ok || rg.min >= rg.max {
				t.Errorf("field %s has no range (%v)", f, rg)
			}
		}
	}
}
