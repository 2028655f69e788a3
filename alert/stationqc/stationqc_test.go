package stationqc

import (
	"context"
	"testing"
	"time"

	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

type recorder struct{ alerts []Alert }

func (r *recorder) Notify(a Alert) { r.alerts = append(r.alerts, a) }

// TestSuddenDropRule: the rule fires only for a drop of at least drop_ratio from a previous hour
// of at least min_value, in consecutive hours, while the neighbours' median holds.
func TestSuddenDropRule(t *testing.T) {
	for _, tt := range []struct {
		name        string
		before, now map[string]float64
		gap         bool
		flagged     bool
	}{
		{"sprinkled", map[string]float64{"a": 100, "b": 100, "c": 100}, map[string]float64{"a": 40, "b": 98, "c": 103}, false, true},
		{"59 %", map[string]float64{"a": 100, "b": 100, "c": 100}, map[string]float64{"a": 41, "b": 98, "c": 103}, false, false},
		{"everyone dropped (rain, wind)", map[string]float64{"a": 100, "b": 100, "c": 100}, map[string]float64{"a": 40, "b": 45, "c": 42}, false, false},
		{"clean air noise", map[string]float64{"a": 20, "b": 20, "c": 20}, map[string]float64{"a": 5, "b": 20, "c": 20}, false, false},
		{"one neighbour only", map[string]float64{"a": 100, "b": 100}, map[string]float64{"a": 40, "b": 100}, false, false},
		{"hours not consecutive", map[string]float64{"a": 100, "b": 100, "c": 100}, map[string]float64{"a": 40, "b": 98, "c": 103}, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := &registry.Registry{Areas: registry.DefaultAreas(), Stations: []registry.Station{
				{ID: "a", Area: "changji", Class: registry.National, Lat: 44.0, Lon: 87.3},
				{ID: "b", Area: "changji", Class: registry.National, Lat: 44.01, Lon: 87.3},
				{ID: "c", Area: "changji", Class: registry.Micro, Lat: 43.99, Lon: 87.3},
			}}
			if err := reg.Index(); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			rec := &recorder{}
			c, err := New(Options{Config: Config{Pollutants: []string{"pm10"}}, Registry: reg, Notifier: rec, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			h0 := now
			h1 := h0.Add(time.Hour)
			if tt.gap {
				h1 = h0.Add(2 * time.Hour)
			}
			for _, step := range []struct {
				h time.Time
				v map[string]float64
			}{{h0, tt.before}, {h1, tt.now}} {
				for st, v := range step.v {
					c.Stored(&reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Station: st, Time: step.h, Period: reading.Hour,
						Values: []reading.Value{{Name: "pm10", Value: v}}}})
				}
				now = step.h.Add(2 * time.Hour)
				c.Check(context.Background())
			}
			f := c.Findings()
			if got := len(f) == 1 && f[0].Station == "a" && f[0].Hour.Equal(h1); got != tt.flagged || (!tt.flagged && len(f) != 0) {
				t.Errorf("findings %+v, want flagged %v", f, tt.flagged)
			}
			if tt.flagged && (len(rec.alerts) != 1 || !rec.alerts[0].EndsAt.Equal(h1.Add(25*time.Hour))) {
				t.Errorf("alerts %+v", rec.alerts)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{DropRatio: 1.5}).Validate(); err == nil {
		t.Error("drop_ratio 1.5 accepted")
	}
	if err := (Config{Pollutants: []string{"tsp"}}).Validate(); err == nil {
		t.Error("unknown pollutant accepted")
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// TestStuckAndPM25OverPM10: six equal hours flag once (not again at hour seven, again after a
// change and six more); a gap restarts the run; PM2.5 above PM10 beyond 10 µg/m³ flags, at
// 10 it does not.
func TestStuckAndPM25OverPM10(t *testing.T) {
	reg := &registry.Registry{Areas: registry.DefaultAreas(), Stations: []registry.Station{
		{ID: "a", Area: "changji", Class: registry.National, Lat: 44.0, Lon: 87.3},
	}}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c, err := New(Options{Registry: reg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	h0 := now
	feed := func(h time.Time, pm10, pm25 float64) {
		c.Stored(&reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Station: "a", Time: h, Period: reading.Hour,
			Values: []reading.Value{{Name: "pm10", Value: pm10}, {Name: "pm25", Value: pm25}}}})
		now = h.Add(2 * time.Hour)
		c.Check(context.Background())
	}
	count := func(rule string) int {
		n := 0
		for _, f := range c.Findings() {
			if f.Rule == rule {
				n++
			}
		}
		return n
	}
	pm25 := []float64{30, 31, 32, 33, 34, 35, 36}
	for i := range 7 { // pm10 stuck at 88 for seven hours
		feed(h0.Add(time.Duration(i)*time.Hour), 88, pm25[i])
	}
	if n := count(RuleStuck); n != 1 {
		t.Errorf("stuck findings after 7 equal hours: %d, want 1", n)
	}
	f := c.Findings()[0]
	if f.Pollutant != "pm10" || f.Hours != 6 || !f.Hour.Equal(h0.Add(5*time.Hour)) {
		t.Errorf("stuck finding %+v", f)
	}
	// A gap of one hour, then five equal hours: the run restarted, no finding.
	for i := 8; i < 13; i++ {
		feed(h0.Add(time.Duration(i)*time.Hour), 88, float64(40+i))
	}
	if n := count(RuleStuck); n != 1 {
		t.Errorf("stuck findings across a gap: %d, want 1", n)
	}
	feed(h0.Add(13*time.Hour), 50, 60) // PM2.5 exactly 10 above: tolerated
	feed(h0.Add(14*time.Hour), 50, 61) // 11 above: flagged
	if n := count(RulePM25OverPM10); n != 1 {
		t.Errorf("pm25_over_pm10 findings %d, want 1", n)
	}
}
