package source

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"lantian/ingest/reading"
)

// step is one hour fed to the tracker: a NOx mean, or a flag/missing marker.
type step struct {
	h    int
	nox  float64
	kind string // "" valid mean, "M" flagged maintenance, "-" hour present without NOx
}

func (s step) hour() Hour {
	switch s.kind {
	case "M":
		return flagged(hour("p1", "u1", s.h, map[string]float64{FieldFlow: 1e5}), reading.FlagMaintenance, NOx)
	case "-":
		return hour("p1", "u1", s.h, map[string]float64{FieldFlow: 1e5})
	}
	return hour("p1", "u1", s.h, map[string]float64{NOx: s.nox})
}

// describe renders transitions compactly: "opened@2 h1 peak60", "closed@2-4 h2 gap0 fl0".
func describe(e Event) string {
	switch e.State {
	case EventClosed:
		return fmt.Sprintf("closed@%d-%d h%d gap%d fl%d peak%g", e.Start.Sub(day0())/time.Hour, e.End.Sub(day0())/time.Hour,
			e.Hours, e.GapHours, e.FlaggedHours, e.Peak)
	default:
		return fmt.Sprintf("%s@%d-%d h%d peak%g", e.State, e.Start.Sub(day0())/time.Hour, e.End.Sub(day0())/time.Hour, e.Hours, e.Peak)
	}
}

func TestTracker(t *testing.T) {
	lim := Limits{Values: map[string]float64{NOx: 50}}
	tests := []struct {
		name     string
		steps    []step
		want     []string
		open     int
		counters Counters
	}{
		{
			name:     "compliant hours, the limit itself passes",
			steps:    []step{{h: 0, nox: 40}, {h: 1, nox: 50}},
			counters: Counters{CompliantHours: 2},
		},
		{
			name:     "open, extend, close",
			steps:    []step{{h: 0, nox: 40}, {h: 1, nox: 60}, {h: 2, nox: 80}, {h: 3, nox: 55}, {h: 4, nox: 30}},
			want:     []string{"opened@1-2 h1 peak60", "extended@1-3 h2 peak80", "extended@1-4 h3 peak80", "closed@1-4 h3 gap0 fl0 peak80"},
			counters: Counters{Events: 1, ExceedingHours: 3, CompliantHours: 2},
		},
		{
			name:  "a maintenance hour inside an event is not an exceedance and does not close it",
			steps: []step{{h: 0, nox: 60}, {h: 1, kind: "M"}, {h: 2, nox: 70}, {h: 3, nox: 10}},
			want: []string{"opened@0-1 h1 peak60", "extended@0-3 h2 peak70",
				"closed@0-3 h2 gap1 fl1 peak70"},
			counters: Counters{Events: 1, ExceedingHours: 2, FlaggedHours: 1, CompliantHours: 1},
		},
		{
			name:  "a gap longer than max_gap_hours (2) closes at the last exceeding hour",
			steps: []step{{h: 0, nox: 60}, {h: 1, kind: "M"}, {h: 2, kind: "M"}, {h: 3, kind: "M"}, {h: 4, nox: 70}},
			want: []string{"opened@0-1 h1 peak60", "closed@0-1 h1 gap0 fl3 peak60",
				"opened@4-5 h1 peak70"},
			open:     1,
			counters: Counters{Events: 2, ExceedingHours: 2, FlaggedHours: 3},
		},
		{
			name:     "skipped hours count as missing and close the event too",
			steps:    []step{{h: 0, nox: 60}, {h: 4, nox: 70}},
			want:     []string{"opened@0-1 h1 peak60", "closed@0-1 h1 gap0 fl0 peak60", "opened@4-5 h1 peak70"},
			open:     1,
			counters: Counters{Events: 2, ExceedingHours: 2, InvalidHours: 3},
		},
		{
			name:     "flagged hours outside events are counted, never exceedances",
			steps:    []step{{h: 0, kind: "M"}, {h: 1, kind: "-"}},
			counters: Counters{FlaggedHours: 1, InvalidHours: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTracker(testConfig())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range tt.steps {
				evs, verdicts, err := tr.Observe(s.hour(), lim)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := verdicts[NOx]; !ok {
					t.Fatal("no verdict")
				}
				for _, e := range evs {
					got = append(got, describe(e))
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("events\n got %q\nwant %q", got, tt.want)
			}
			if n := len(tr.Open()); n != tt.open {
				t.Fatalf("%d open events, want %d", n, tt.open)
			}
			if c := tr.Counters(OutletKey{"p1", "u1"}, NOx); c != tt.counters {
				t.Fatalf("counters %+v, want %+v", c, tt.counters)
			}
		})
	}
}

func TestTrackerConvertedAndOrder(t *testing.T) {
	tr, err := NewTracker(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	lim := Limits{ReferenceO2Pct: 6, Values: map[string]float64{NOx: 50, SO2: 35}}
	// Measured NOx 45 is under 50, but converted (72) is over: the converted value is judged.
	h := hour("p1", "u1", 0, map[string]float64{NOx: 45, NOx + SuffixCalc: 72, SO2: 10})
	h.ReferenceO2Pct = 6
	evs, verdicts, err := tr.Observe(h, lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Pollutant != NOx || evs[0].Basis != BasisCalc || evs[0].Peak != 72 || evs[0].Duration() != time.Hour {
		t.Fatalf("events = %+v", evs)
	}
	// SO2 has measured values but no converted value: not judged.
	if verdicts[SO2] != VerdictInvalid || verdicts[NOx] != VerdictExceeding {
		t.Fatalf("verdicts = %v", verdicts)
	}
	if _, _, err := tr.Observe(h, lim); err == nil {
		t.Fatal("the same hour twice must be refused")
	}
}
