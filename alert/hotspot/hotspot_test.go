package hotspot

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

type recorder struct{ alerts []Alert }

func (r *recorder) Notify(a Alert) { r.alerts = append(r.alerts, a) }

func setup(t *testing.T, cfg Config) (*Detector, *recorder, *time.Time) {
	t.Helper()
	reg := &registry.Registry{Areas: registry.DefaultAreas(), Stations: []registry.Station{
		{ID: "a", Area: "changji", Class: registry.National, Lat: 44.01, Lon: 87.3},
		{ID: "b", Area: "changji", Class: registry.National, Lat: 43.99, Lon: 87.3},
		{ID: "m", Name: "微站", Area: "changji", Class: registry.Micro, Lat: 44.0, Lon: 87.3},
		{ID: "n", Area: "changji", Class: registry.Micro, Lat: 44.0, Lon: 87.315},
		{ID: "nowhere", Area: "changji", Class: registry.Micro},
	}, Sources: []registry.Source{
		{ID: "near", Name: "近", Area: "changji", Industry: "x", Place: registry.Place{Lat: 44.003, Lon: 87.3}, Outlets: []registry.Outlet{{ID: "o"}}},
		{ID: "nearer", Name: "更近", Area: "changji", Industry: "x", Place: registry.Place{Lat: 44.001, Lon: 87.3}, Outlets: []registry.Outlet{{ID: "o"}}},
	}}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	rec := &recorder{}
	d, err := New(Options{Config: cfg, Registry: reg, Notifier: rec, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return d, rec, &now
}

func feed(d *Detector, now *time.Time, h time.Time, values map[string]float64) {
	for st, v := range values {
		d.Stored(&reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Station: st, Time: h, Period: reading.Hour,
			Values: []reading.Value{{Name: "pm25", Value: v}}}})
	}
	*now = h.Add(2 * time.Hour)
	d.Check(context.Background())
}

// The hot-hour rule's edges: ratio, absolute excess, county excess, neighbours reporting.
func TestHotHourRule(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values map[string]float64
		hot    bool
	}{
		{"three times", map[string]float64{"a": 40, "b": 40, "n": 40, "m": 120}, true},
		{"just under twice", map[string]float64{"a": 40, "b": 40, "n": 40, "m": 79}, false},
		{"twice but under 35 µg/m³ (clean air)", map[string]float64{"a": 10, "b": 10, "n": 10, "m": 40}, false},
		{"one neighbour only", map[string]float64{"n": 40, "m": 120}, false},
		{"neighbours high too", map[string]float64{"a": 100, "b": 100, "n": 20, "m": 120}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, _, now := setup(t, Config{PersistHours: 1})
			feed(d, now, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), tt.values)
			var got bool
			for _, s := range d.Ranking() {
				if s.Station == "m" {
					got = s.Hotspot
				}
			}
			if got != tt.hot {
				t.Errorf("hot %v, want %v (%+v)", got, tt.hot, d.Ranking())
			}
		})
	}
}

// Persistence: the alert comes at PersistHours, names the nearest source first, and is
// resolved after ClearHours ordinary hours; a late reading of a judged hour is ignored.
func TestPersistenceAndClear(t *testing.T) {
	d, rec, now := setup(t, Config{})
	h0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	hot := map[string]float64{"a": 40, "b": 40, "n": 40, "m": 120}
	calm := map[string]float64{"a": 40, "b": 40, "n": 40, "m": 45}
	for i := range 3 {
		feed(d, now, h0.Add(time.Duration(i)*time.Hour), hot)
	}
	if len(rec.alerts) != 0 {
		t.Fatalf("alert after 3 hours: %+v", rec.alerts)
	}
	feed(d, now, h0.Add(3*time.Hour), hot)
	if len(rec.alerts) != 1 || rec.alerts[0].Labels["source"] != "nearer" || !rec.alerts[0].StartsAt.Equal(h0) || !rec.alerts[0].EndsAt.IsZero() {
		t.Fatalf("alerts after 4 hours: %+v", rec.alerts)
	}
	// A late reading of hour 0 does not reopen it.
	d.Stored(&reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Station: "m", Time: h0, Period: reading.Hour,
		Values: []reading.Value{{Name: "pm25", Value: 1}}}})
	feed(d, now, h0.Add(4*time.Hour), calm)
	if len(rec.alerts) != 1 {
		t.Fatalf("resolved after one calm hour: %+v", rec.alerts)
	}
	feed(d, now, h0.Add(5*time.Hour), calm)
	if len(rec.alerts) != 2 || !rec.alerts[1].EndsAt.Equal(h0.Add(6*time.Hour)) {
		t.Fatalf("not resolved after two calm hours: %+v", rec.alerts)
	}
}

// DistanceKm against a known distance: one degree of latitude is 111.2 km on the mean sphere.
func TestDistance(t *testing.T) {
	if d := registry.DistanceKm(44, 87.3, 45, 87.3); math.Abs(d-111.195) > 0.01 {
		t.Errorf("1° of latitude: %.3f km", d)
	}
	if d := registry.DistanceKm(44, 87.3, 44, 87.3); d != 0 {
		t.Errorf("same point: %g", d)
	}
}

type lines struct{ got []string }

func (l *lines) Submit(_ context.Context, line []byte, done func(error)) {
	l.got = append(l.got, string(line))
	done(nil)
}

// TestDailyExcessAndRanking: the day's means close when the first hour of the next local day is
// judged, are written as grid_hotspot_daily at local midnight, and rank the county's stations.
func TestDailyExcessAndRanking(t *testing.T) {
	reg := &registry.Registry{Areas: registry.DefaultAreas(), Stations: []registry.Station{
		{ID: "a", Area: "changji", Class: registry.National, Lat: 44.01, Lon: 87.3},
		{ID: "b", Area: "changji", Class: registry.National, Lat: 43.99, Lon: 87.3},
		{ID: "m", Area: "changji", Class: registry.Micro, Lat: 44.0, Lon: 87.3},
	}}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	// 22:00 and 23:00 Beijing time on 1 December, then 00:00 on the 2nd.
	h0 := time.Date(2026, 12, 1, 22, 0, 0, 0, loc)
	now := h0
	sink := &lines{}
	d, err := New(Options{Registry: reg, Location: loc, Sink: sink, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range []float64{100, 60, 50} {
		feed(d, &now, h0.Add(time.Duration(i)*time.Hour), map[string]float64{"a": 40, "b": 40, "m": m})
	}
	r := d.DailyRanking(false)
	if len(r) != 3 || r[0].Station != "m" || r[0].Day != "2026-12-01" || r[0].Hours != 2 || r[0].HotHours != 1 {
		t.Fatalf("last day ranking %+v", r)
	}
	// m: values 100 and 60 against a median of 40 (neighbours a and b): mean excess 40; the
	// county mean of a and b is 40 too.
	if r[0].Value != 80 || r[0].ExcessNeighbours != 40 || r[0].ExcessCounty != 40 || r[0].CountyHours != 2 {
		t.Errorf("m's day %+v", r[0])
	}
	var daily []string
	for _, l := range sink.got {
		if strings.HasPrefix(l, "grid_hotspot_daily,") {
			daily = append(daily, l)
		}
	}
	midnight := time.Date(2026, 12, 1, 0, 0, 0, 0, loc).UnixNano()
	if len(daily) != 3 || !strings.Contains(strings.Join(daily, "\n"), "grid_hotspot_daily,county=changji,station=m value=80,excess_neighbours=40,hours=2i,hot_hours=1i,excess_county=40 "+strconv.FormatInt(midnight, 10)) {
		t.Errorf("daily points %q", daily)
	}
	if today := d.DailyRanking(true); len(today) != 3 || today[0].Day != "2026-12-02" || today[0].Hours != 1 {
		t.Errorf("today %+v", today)
	}
}

// TestWindNamesUpwindSourceFirst: with the wind from the south in every hot hour, the plant
// south of the station is named before a nearer one to the north; without wind, distance
// decides (TestPersistenceAndClear).
func TestWindNamesUpwindSourceFirst(t *testing.T) {
	reg := &registry.Registry{Areas: registry.DefaultAreas(), Stations: []registry.Station{
		{ID: "a", Area: "changji", Class: registry.National, Lat: 44.01, Lon: 87.3},
		{ID: "b", Area: "changji", Class: registry.National, Lat: 43.99, Lon: 87.3},
		{ID: "m", Name: "微站", Area: "changji", Class: registry.Micro, Lat: 44.0, Lon: 87.3},
	}, Sources: []registry.Source{
		{ID: "north", Name: "北厂", Area: "changji", Industry: "x", Place: registry.Place{Lat: 44.004, Lon: 87.3}, Outlets: []registry.Outlet{{ID: "o"}}},
		{ID: "south", Name: "南厂", Area: "changji", Industry: "x", Place: registry.Place{Lat: 43.995, Lon: 87.3}, Outlets: []registry.Outlet{{ID: "o"}}},
	}}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	rec := &recorder{}
	d, err := New(Options{Registry: reg, Notifier: rec, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		h := time.Date(2026, 12, 1, i, 0, 0, 0, time.UTC)
		for st, v := range map[string]float64{"a": 40, "b": 40, "m": 120} {
			vals := []reading.Value{{Name: "pm25", Value: v}}
			if st == "a" { // only a neighbour reports wind: m takes its neighbours' mean
				vals = append(vals, reading.Value{Name: "wind_dir", Value: 190})
			}
			d.Stored(&reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Station: st, Time: h, Period: reading.Hour, Values: vals}})
		}
		now = h.Add(2 * time.Hour)
		d.Check(context.Background())
	}
	if len(rec.alerts) != 1 || rec.alerts[0].Labels["source"] != "south" {
		t.Fatalf("alerts %+v, want the upwind south plant named", rec.alerts)
	}
	if s := rec.alerts[0].Annotations["summary"]; !strings.Contains(s, "南厂（south，0.56 km，方位 180°，4/4 小时处于上风向）、北厂") {
		t.Errorf("summary %q", s)
	}
	if b := registry.BearingDeg(44, 87.3, 44, 87.4); math.Abs(b-90) > 0.1 {
		t.Errorf("bearing due east %.2f", b)
	}
}
