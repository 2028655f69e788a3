package source

import "testing"

func TestStaggered(t *testing.T) {
	prod := map[string]float64{FieldFlow: 200000, SO2: 30, NOx: 80}
	idle := map[string]float64{FieldFlow: 300, SO2: 0.5, NOx: 1}
	fanOnly := map[string]float64{FieldFlow: 150000, SO2: 0.5, NOx: 1} // fan running, kiln cold
	var hs []Hour
	for i := range 12 {
		switch {
		case i >= 2 && i < 5: // producing 02–05
			hs = append(hs, hour("cement", "kiln", i, prod))
			hs = append(hs, hour("cement", "head", i, prod))
		case i == 8: // one producing hour: a start-up tail, under stagger_min_hours
			hs = append(hs, hour("cement", "kiln", i, prod))
		case i == 9 || i == 10:
			hs = append(hs, hour("cement", "kiln", i, fanOnly))
		default:
			hs = append(hs, hour("cement", "kiln", i, idle))
		}
		hs = append(hs, hour("other", "kiln", i, prod)) // not under a stop order
	}
	chk := mustChecker(t, testConfig())
	stops := []StopPeriod{{Source: "cement", Outlets: []string{"kiln"}, From: at(0), To: at(12), Reference: "昌州错峰〔2026〕1号"}}
	fs := chk.Staggered(stops, hs)
	if len(fs) != 1 || fs[0].Outlet != "kiln" || fs[0].Hours != 3 || !fs[0].Start.Equal(at(2)) || !fs[0].End.Equal(at(5)) ||
		fs[0].Rule != RuleStaggeredProd {
		t.Fatalf("findings = %+v", fs)
	}
	// Without the outlet filter both outlets are flagged.
	stops[0].Outlets = nil
	if fs := chk.Staggered(stops, hs); len(fs) != 2 {
		t.Fatalf("all outlets: %+v", fs)
	}
	// Outside the stop period nothing is flagged.
	stops[0].From, stops[0].To = at(5), at(12)
	if fs := chk.Staggered(stops, hs); len(fs) != 0 {
		t.Fatalf("outside the period: %+v", fs)
	}
	if err := (StopPeriod{Source: "x", From: at(2), To: at(1)}).Validate(); err == nil {
		t.Fatal("reversed period accepted")
	}
}

func TestProducing(t *testing.T) {
	idle := DefaultConfig().Idle
	tests := []struct {
		name   string
		fields map[string]float64
		want   bool
	}{
		{"flow and SO2 above idle", map[string]float64{FieldFlow: 5000, SO2: 20}, true},
		{"flow only", map[string]float64{FieldFlow: 5000, SO2: 1, NOx: 2}, false},
		{"concentration only", map[string]float64{FieldFlow: 0, SO2: 20}, false},
		{"no flow field", map[string]float64{SO2: 20}, false},
	}
	for _, tt := range tests {
		if got := Producing(hour("s", "o", 0, tt.fields), idle); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}
