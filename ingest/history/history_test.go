package history

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"lantian/ingest/reading"
)

// fakeStore is the InfluxDB side for unit tests: what was stored, and how often it was asked.
type fakeStore struct {
	mu      sync.Mutex
	stored  map[key][]reading.Value
	lookups int
	err     error
}

func (f *fakeStore) StoredValues(_ context.Context, a *reading.Accepted) ([]reading.Value, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.err != nil {
		return nil, false, f.err
	}
	v, ok := f.stored[keyOf(a)]
	return v, ok, nil
}

func (f *fakeStore) put(a *reading.Accepted) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stored[keyOf(a)] = append(f.stored[keyOf(a)], a.Values...)
}

func hour(station string, t time.Time, vals ...reading.Value) *reading.Accepted {
	return &reading.Accepted{Reading: reading.Reading{Kind: reading.Air, Station: station, Time: t, Period: reading.Hour, Values: vals}}
}

func pm25(v float64) reading.Value {
	return reading.Value{Name: "pm25", Value: v, Flag: reading.FlagNormal}
}
func pm10(v float64) reading.Value {
	return reading.Value{Name: "pm10", Value: v, Flag: reading.FlagNormal}
}

// store checks a reading and, when accepted, stores it as the pipeline would.
func store(t *testing.T, g *Guard, f *fakeStore, a *reading.Accepted) error {
	t.Helper()
	if err := g.Check(context.Background(), a); err != nil {
		return err
	}
	f.put(a)
	g.Stored(a)
	return nil
}

func reason(err error) string {
	var rej *reading.Rejection
	if errors.As(err, &rej) {
		return rej.Reason
	}
	if err != nil {
		return "error"
	}
	return ""
}

func TestLiveReadingsAreCheckedWithoutQueries(t *testing.T) {
	f := &fakeStore{stored: map[key][]reading.Value{}}
	g, err := New(DefaultConfig(), f, 10*time.Minute, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	g.now = func() time.Time { return now.Add(4 * time.Hour) }
	h := now.Add(3 * time.Hour).Truncate(time.Hour) // after the horizon (start + max_future)
	if err := store(t, g, f, hour("cj-01", h, pm25(20))); err != nil {
		t.Fatal(err)
	}
	if err := store(t, g, f, hour("cj-01", h, pm25(20))); err != nil {
		t.Errorf("identical redelivery refused: %v", err)
	}
	if err := store(t, g, f, hour("cj-01", h, pm10(41))); err != nil {
		t.Errorf("another field of the same hour (split message) refused: %v", err)
	}
	err = store(t, g, f, hour("cj-01", h, pm25(250)))
	if reason(err) != ReasonConflict {
		t.Fatalf("rewrite 20 → 250: %v, want a conflict", err)
	}
	for _, want := range []string{"stored pm25=20 (N)", "received pm25=250 (N)"} {
		if !contains(err.Error(), want) {
			t.Errorf("conflict %q lacks %q", err, want)
		}
	}
	if f.lookups != 1 {
		t.Errorf("%d InfluxDB lookups for live readings, want 1 (only to describe the conflict)", f.lookups)
	}
}

func TestLateReadingsAreLookedUp(t *testing.T) {
	f := &fakeStore{stored: map[key][]reading.Value{}}
	old := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Hour)
	f.put(hour("cj-01", old, pm25(20))) // stored by an earlier process
	g, err := New(DefaultConfig(), f, 10*time.Minute, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store(t, g, f, hour("cj-01", old, pm25(20))); err != nil {
		t.Errorf("identical late redelivery refused: %v", err)
	}
	if err := store(t, g, f, hour("cj-01", old, pm25(250))); reason(err) != ReasonConflict {
		t.Errorf("late rewrite 20 → 250: %v, want a conflict", err)
	}
	if err := store(t, g, f, hour("cj-01", old.Add(time.Hour), pm25(30))); err != nil {
		t.Errorf("late reading of an empty hour refused: %v", err)
	}
	f.err = errors.New("connection refused")
	if err := store(t, g, f, hour("cj-01", old.Add(8*24*time.Hour), pm25(30))); err != nil {
		t.Errorf("late reading with InfluxDB down: %v, want it accepted unchecked", err)
	}
	if v := testutilCount(g); v != 1 {
		t.Errorf("unchecked readings counted %v, want 1", v)
	}
}

func TestLateWindowRefusesOldData(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LateWindow = 7 * 24 * time.Hour
	f := &fakeStore{stored: map[key][]reading.Value{}}
	g, _ := New(cfg, f, 0, nil, nil)
	if err := store(t, g, f, hour("cj-01", time.Now().Add(-8*24*time.Hour), pm25(20))); reason(err) != ReasonLate {
		t.Errorf("8 days late with a 7-day window: %v", err)
	}
}

func TestEvictionMakesReadingsLookedUpNotAccepted(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CacheEntries = 1000
	f := &fakeStore{stored: map[key][]reading.Value{}}
	g, _ := New(cfg, f, 0, nil, nil)
	start := time.Now().Add(time.Minute).Truncate(time.Second)
	g.now = func() time.Time { return start.Add(time.Hour) }
	for i := range 1500 {
		if err := store(t, g, f, hour("cj-01", start.Add(time.Duration(i)*time.Second), pm25(float64(i)))); err != nil {
			t.Fatal(err)
		}
	}
	if len(g.cache) > 1000 {
		t.Errorf("cache holds %d entries, bound 1000", len(g.cache))
	}
	// The first reading was evicted: a rewrite of it must still be caught (by a lookup).
	if err := store(t, g, f, hour("cj-01", start, pm25(999))); reason(err) != ReasonConflict {
		t.Errorf("rewrite of an evicted reading: %v, want a conflict", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// scanStore serves Preload from the fake store.
func (f *fakeStore) StoredSince(_ context.Context, from, to time.Time, only *reading.Reading, fn func(*reading.Accepted) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.err != nil {
		return f.err
	}
	for k, v := range f.stored {
		t := time.Unix(0, k.t)
		if t.Before(from) || !t.Before(to) || only != nil && only.Station != k.id {
			continue
		}
		if err := fn(&reading.Accepted{Reading: reading.Reading{Kind: k.kind, Station: k.id, Period: k.period, Time: t, Values: v}}); err != nil {
			return err
		}
	}
	return nil
}

func TestPreloadChecksARestartBacklogWithoutQueries(t *testing.T) {
	f := &fakeStore{stored: map[key][]reading.Value{}}
	now := time.Now()
	for i := range 100 {
		f.put(hour("cj-01", now.Add(-time.Duration(i)*time.Minute).Truncate(time.Minute), pm25(float64(i))))
	}
	g, _ := New(DefaultConfig(), f, 10*time.Minute, nil, nil)
	if n, err := g.Preload(context.Background(), f); err != nil || n != 100 {
		t.Fatalf("preload: %d, %v", n, err)
	}
	f.lookups = 0
	// The backlog after a restart: the same readings again and new minutes in between.
	for i := range 100 {
		ts := now.Add(-time.Duration(i) * time.Minute).Truncate(time.Minute)
		if err := store(t, g, f, hour("cj-01", ts, pm25(float64(i)))); err != nil {
			t.Fatalf("redelivered reading refused: %v", err)
		}
		if err := store(t, g, f, hour("cj-01", ts.Add(30*time.Second), pm25(1))); err != nil {
			t.Fatalf("new reading refused: %v", err)
		}
	}
	if f.lookups != 0 {
		t.Errorf("%d lookups for a backlog inside the preloaded window, want 0", f.lookups)
	}
	if err := store(t, g, f, hour("cj-01", now.Add(-5*time.Minute).Truncate(time.Minute), pm25(250))); reason(err) != ReasonConflict {
		t.Errorf("rewrite of a preloaded reading: %v", err)
	}
}

func TestALateUploadCostsOneQueryPerSeriesWeek(t *testing.T) {
	f := &fakeStore{stored: map[key][]reading.Value{}}
	day0 := time.Now().Add(-5 * 24 * time.Hour).UTC().Truncate(24 * time.Hour)
	f.put(hour("cj-01", day0.Add(3*time.Hour), pm25(20)))
	g, _ := New(DefaultConfig(), f, 10*time.Minute, nil, nil)
	f.lookups = 0
	// A logger uploads three days of hours after an outage.
	for h := range 72 {
		ts := day0.Add(time.Duration(h) * time.Hour)
		v := float64(h)
		if h == 3 {
			v = 20
		}
		if err := store(t, g, f, hour("cj-01", ts, pm25(v))); err != nil {
			t.Fatalf("hour %d: %v", h, err)
		}
	}
	if f.lookups > 2 {
		t.Errorf("%d queries for three days of one station, want at most 2 (one per week touched)", f.lookups)
	}
	if err := store(t, g, f, hour("cj-01", day0.Add(3*time.Hour), pm25(250))); reason(err) != ReasonConflict {
		t.Errorf("late rewrite: %v", err)
	}
	if err := store(t, g, f, hour("cj-01", day0.Add(5*time.Hour), pm25(99))); reason(err) != ReasonConflict {
		t.Errorf("rewrite of a late reading this process stored: %v", err)
	}
}

func testutilCount(g *Guard) float64 {
	var m dto.Metric
	_ = g.lookupErrors.Write(&m)
	return m.GetCounter().GetValue()
}
