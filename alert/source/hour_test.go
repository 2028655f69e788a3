package source

import (
	"errors"
	"testing"
	"time"

	"lantian/ingest/reading"
)

func rd(minute int, period reading.Period, vals ...reading.Value) reading.Reading {
	return reading.Reading{Kind: reading.Source, Source: "p1", Outlet: "u1", Time: at(10).Add(time.Duration(minute) * time.Minute),
		Period: period, Values: vals}
}

func v(name string, x float64) reading.Value { return reading.Value{Name: name, Value: x} }

func vf(name string, x float64, f reading.Flag) reading.Value {
	return reading.Value{Name: name, Value: x, Flag: f}
}

func newAgg(t *testing.T, cfg Config, ref float64) *Aggregator {
	t.Helper()
	a, err := NewAggregator(cfg, map[OutletKey]Limits{{"p1", "u1"}: {ReferenceO2Pct: ref, Values: map[string]float64{NOx: 50}}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAggregatorValidity(t *testing.T) {
	tests := []struct {
		name         string
		valid, flagM int
		expected     int // ExpectedSamples for 1m; 0 = the default (60 a hour)
		want         Status
		wantFlag     reading.Flag
	}{
		{name: "45 of 60 valid is enough (75 %)", valid: 45, flagM: 15, want: StatusValid},
		{name: "44 of 60 valid and the rest maintenance is flagged", valid: 44, flagM: 16, want: StatusFlagged, wantFlag: reading.FlagMaintenance},
		{name: "all maintenance", valid: 0, flagM: 60, want: StatusFlagged, wantFlag: reading.FlagMaintenance},
		{name: "30 clean minutes of 60 expected is insufficient", valid: 30, expected: 60, want: StatusInsufficient},
		{name: "30 clean minutes are insufficient by default: a minute period expects 60", valid: 30, want: StatusInsufficient},
		{name: "10 clean minutes are insufficient by default", valid: 10, want: StatusInsufficient},
		{name: "45 clean minutes are valid by default", valid: 45, want: StatusValid},
		{name: "12 five-minute values of 12 expected are valid", valid: 12, expected: 12, want: StatusValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.expected > 0 {
				cfg.ExpectedSamples = map[string]int{"1m": tt.expected}
			}
			a := newAgg(t, cfg, 0)
			m := 0
			for range tt.valid {
				if err := a.Add(rd(m, reading.Minute, v(NOx, 40))); err != nil {
					t.Fatal(err)
				}
				m++
			}
			for range tt.flagM {
				if err := a.Add(rd(m, reading.Minute, vf(NOx, 400, reading.FlagMaintenance))); err != nil {
					t.Fatal(err)
				}
				m++
			}
			hs := a.Flush()
			if len(hs) != 1 {
				t.Fatalf("%d hours", len(hs))
			}
			s := hs[0].Field(NOx)
			if s.Status != tt.want || s.Flag != tt.wantFlag {
				t.Fatalf("status %v flag %q, want %v %q", s.Status, s.Flag, tt.want, tt.wantFlag)
			}
			if tt.valid > 0 && s.Mean != 40 {
				t.Fatalf("mean %g includes flagged values", s.Mean)
			}
		})
	}
}

func TestAggregatorConversion(t *testing.T) {
	cfg := testConfig()
	cfg.ExpectedSamples = map[string]int{"1m": 1} // a few minutes stand for whole hours here
	a := newAgg(t, cfg, 6)
	// Two minutes: NOx 60 at 8.5 % O2 (→ 72) and 50 at 6 % (→ 50); the analyser says 61 both
	// times, which agrees with the mean 61 of Lantian's values. Flow 500 000 m³/h.
	for m, x := range []struct{ nox, o2 float64 }{{60, 8.5}, {50, 6}} {
		if err := a.Add(rd(m, reading.Minute, v(NOx, x.nox), v(FieldO2, x.o2), v(NOx+SuffixDevice, 61), v(FieldFlow, 500000))); err != nil {
			t.Fatal(err)
		}
	}
	h := a.Flush()[0]
	if c := h.Field(NOx + SuffixCalc); !near(c.Mean, 61) || c.Status != StatusValid {
		t.Fatalf("calc = %+v, want mean 61", c)
	}
	if s, b := h.Converted(NOx); b != BasisDevice || s.Mean != 61 {
		t.Fatalf("converted = %+v %s, want the device's 61", s, b)
	}
	if r := h.Field(NOx + SuffixRate); !near(r.Mean, (60+50)/2.0*500000*1e-6) {
		t.Fatalf("rate = %g", r.Mean)
	}
	if len(h.Findings) != 0 {
		t.Fatalf("unexpected findings %+v", h.Findings)
	}
}

func TestAggregatorZsMismatchAndNoO2(t *testing.T) {
	cfg := testConfig()
	cfg.ExpectedSamples = map[string]int{"1m": 1} // a few minutes stand for whole hours here
	a := newAgg(t, cfg, 6)
	// The analyser claims 40 where Lantian computes 72: 44 % apart.
	if err := a.Add(rd(0, reading.Minute, v(NOx, 60), v(FieldO2, 8.5), v(NOx+SuffixDevice, 40))); err != nil {
		t.Fatal(err)
	}
	h := a.Flush()[0]
	if len(h.Findings) != 1 || h.Findings[0].Rule != RuleZsMismatch || !near(h.Findings[0].Value, 32.0/72) {
		t.Fatalf("findings = %+v", h.Findings)
	}

	// No O2, no _zs: no converted value, reported, and the hour cannot be judged.
	a = newAgg(t, cfg, 6)
	for m := range 3 {
		if err := a.Add(rd(m, reading.Minute, v(NOx, 60))); err != nil {
			t.Fatal(err)
		}
	}
	// O2 of 21 % is refused the same way.
	if err := a.Add(rd(3, reading.Minute, v(NOx, 60), v(FieldO2, 21))); err != nil {
		t.Fatal(err)
	}
	h = a.Flush()[0]
	if len(h.Findings) != 1 || h.Findings[0].Rule != RuleO2Unusable || h.Findings[0].Value != 4 {
		t.Fatalf("findings = %+v", h.Findings)
	}
	if s, b := h.Converted(NOx); b != BasisNone || s.Status != StatusUnconverted {
		t.Fatalf("converted = %+v %s, want unconverted", s, b)
	}
	// Within the tolerance: no finding.
	a = newAgg(t, cfg, 6)
	if err := a.Add(rd(0, reading.Minute, v(NOx, 60), v(FieldO2, 8.5), v(NOx+SuffixDevice, 66))); err != nil {
		t.Fatal(err)
	}
	if h := a.Flush()[0]; len(h.Findings) != 0 {
		t.Fatalf("8 %% apart is within 10 %%: %+v", h.Findings)
	}
}

func TestAggregatorPeriodsDuplicatesLateness(t *testing.T) {
	cfg := testConfig()
	cfg.ExpectedSamples = map[string]int{"1m": 1} // a few minutes stand for whole hours here
	a := newAgg(t, cfg, 0)
	// Real-time and an hourly record of the same hour: the hourly one wins, nothing is mixed.
	for _, r := range []reading.Reading{
		rd(0, reading.RealTime, v(NOx, 10)), rd(1, reading.RealTime, v(NOx, 20)),
		rd(0, reading.Hour, v(NOx, 33)),
	} {
		if err := a.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	// A redelivered minute counts once.
	b := newAgg(t, cfg, 0)
	for _, r := range []reading.Reading{rd(0, reading.Minute, v(NOx, 10)), rd(0, reading.Minute, v(NOx, 10)), rd(1, reading.Minute, v(NOx, 40))} {
		if err := b.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if s := b.Flush()[0].Field(NOx); s.Total != 2 || s.Mean != 25 {
		t.Fatalf("duplicate counted: %+v", s)
	}

	// Lateness: the 10:00 hour closes at 11:15.
	if hs := a.Close(at(11).Add(14 * time.Minute)); len(hs) != 0 {
		t.Fatalf("closed too early: %d", len(hs))
	}
	hs := a.Close(at(11).Add(15 * time.Minute))
	if len(hs) != 1 || hs[0].Period != reading.Hour || hs[0].Field(NOx).Mean != 33 {
		t.Fatalf("hours = %+v", hs)
	}
	err := a.Add(rd(30, reading.RealTime, v(NOx, 10)))
	if !errors.Is(err, ErrLate) {
		t.Fatalf("late reading: err = %v", err)
	}
	if err := a.Add(reading.Reading{Kind: reading.Air, Station: "x", Time: at(12)}); err == nil {
		t.Fatal("air reading accepted")
	}
	if err := a.Add(rd(0, reading.Day, v(NOx, 1))); !errors.Is(err, ErrPeriod) {
		t.Fatalf("daily reading: err = %v", err)
	}
}

func TestHoursFromReadings(t *testing.T) {
	var rs []reading.Reading
	for _, m := range []int{70, 0, 61, 1} { // out of order, two hours
		rs = append(rs, rd(m, reading.Minute, v(NOx, float64(m))))
	}
	rs = append(rs, rd(0, reading.Day, v(NOx, 5)))
	hs, err := HoursFromReadings(rs, nil, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || !hs[0].Start.Equal(at(10)) || hs[0].Field(NOx).Mean != 0.5 || hs[1].Field(NOx).Mean != 65.5 {
		t.Fatalf("hours = %+v", hs)
	}
}

func TestExpectedSamplesByPeriod(t *testing.T) {
	k := OutletKey{"p1", "u1"}
	other := OutletKey{"p1", "u2"}
	cfg := testConfig()
	cfg.RTInterval = time.Hour // the section's default interval says nothing about rt data
	cfg.RTIntervalByOutlet = map[OutletKey]time.Duration{k: 30 * time.Second}
	cfg.ExpectedByOutlet = map[OutletKey]map[string]int{other: {"1m": 12}}
	for _, c := range []struct {
		key   OutletKey
		p     reading.Period
		want  int
		basis ExpectedBasis
	}{
		{k, reading.Hour, 1, ExpectedRecord},
		{k, reading.Minute, 60, ExpectedPeriod},
		{k, reading.RealTime, 120, ExpectedInterval},
		{other, reading.Minute, 12, ExpectedOutlet},
		{other, reading.RealTime, 0, ExpectedReceived},
	} {
		if n, b := cfg.Expected(c.key, c.p); n != c.want || b != c.basis {
			t.Errorf("Expected(%s, %s) = %d %s, want %d %s", c.key, c.p, n, b, c.want, c.basis)
		}
	}
	cfg.ExpectedSamples = map[string]int{"rt": 360}
	if n, b := cfg.Expected(k, reading.RealTime); n != 360 || b != ExpectedSection {
		t.Errorf("section override: %d %s", n, b)
	}
	cfg.ExpectedSamples = map[string]int{"1h": 2}
	if err := cfg.Validate(); err == nil {
		t.Error("expected_samples for 1h accepted")
	}

	// 60 real-time values at 30 s are half of the 120 expected: insufficient.
	cfg = testConfig()
	cfg.RTIntervalByOutlet = map[OutletKey]time.Duration{k: 30 * time.Second}
	a := newAgg(t, cfg, 0)
	for s := range 60 {
		r := rd(0, reading.RealTime, v(NOx, 40))
		r.Time = r.Time.Add(time.Duration(s) * 30 * time.Second)
		if err := a.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if st := a.Flush()[0].Field(NOx).Status; st != StatusInsufficient {
		t.Fatalf("60 of 120 rt values: %v", st)
	}
}

// A drained backlog of past hours makes the aggregator crowded (more open hours than a few per
// outlet), which is the monitor's cue to close complete hours at once; closing them clears it.
func TestAggregatorCrowdedByABacklogOfPastHours(t *testing.T) {
	a := newAgg(t, testConfig(), 11)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for h := range 1100 {
		r := reading.Reading{Kind: reading.Source, Source: "p1", Outlet: "u1", Period: reading.Hour,
			Time: start.Add(time.Duration(h) * time.Hour), Values: []reading.Value{v(NOx, 30)}}
		if err := a.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if !a.Crowded() {
		t.Fatal("1,100 open hours of one outlet not crowded")
	}
	if got := len(a.Close(start.Add(2000 * time.Hour))); got != 1100 || a.Crowded() {
		t.Fatalf("closed %d hours, crowded %v", got, a.Crowded())
	}
}
