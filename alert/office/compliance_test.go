package office

import (
	"math"
	"testing"
	"time"

	"lantian/alert/warning"
	"lantian/ingest/registry"
)

func TestComplianceTable(t *testing.T) {
	start := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
	now := start.Add(6 * time.Hour)
	orange := warning.Reduction{Level: warning.Orange, SO2: 20, NOx: 20, PM: 20, VOCs: 15}
	w := Warning{ID: "W1", Level: warning.Orange, Areas: []string{"changji"}, Start: start, Status: StatusInForce, Reduction: orange}
	src := func(id string) registry.Source {
		return registry.Source{ID: id, Area: "changji", EmergencyList: true, Outlets: []registry.Outlet{{ID: "DA001"}}}
	}
	// series gives n hours of a rate before the start (baseline) and m hours after it.
	series := func(s, p string, base float64, n int, act float64, m int) []EmissionHour {
		var out []EmissionHour
		for i := 1; i <= n; i++ {
			out = append(out, EmissionHour{Source: s, Pollutant: p, Hour: start.Add(-time.Duration(i) * time.Hour), KgH: base})
		}
		for i := range m {
			out = append(out, EmissionHour{Source: s, Pollutant: p, Hour: start.Add(time.Duration(i) * time.Hour), KgH: act})
		}
		return out
	}
	cases := []struct {
		name      string
		pollutant string
		hours     []EmissionHour
		status    string
		reduction float64
		required  int
	}{
		{"compliant", "so2", series("s", "so2", 10, 24, 7, 5), ComplianceOK, 30, 20},
		{"not compliant", "nox", series("s", "nox", 10, 24, 9, 5), ComplianceNotCompliant, 10, 20},
		{"exactly at the ratio", "dust", series("s", "dust", 10, 24, 8, 5), ComplianceOK, 20, 20},
		{"just below the ratio", "dust", series("s", "dust", 10, 24, 8.01, 5), ComplianceNotCompliant, 19.9, 20},
		{"VOCs at 15 % is enough", "nmhc", series("s", "nmhc", 10, 24, 8.5, 5), ComplianceOK, 15, 15},
		{"VOCs below 15 %", "nmhc", series("s", "nmhc", 10, 24, 8.6, 5), ComplianceNotCompliant, 14, 15},
		{"no baseline", "so2", series("s", "so2", 0, 0, 7, 5), ComplianceNoBaseline, 0, 20},
		{"zero baseline", "so2", series("s", "so2", 0, 3, 7, 5), ComplianceNoBaseline, 0, 20},
		{"no data during the warning", "so2", series("s", "so2", 10, 24, 0, 0), ComplianceNoData, 0, 20},
		{"increase", "so2", series("s", "so2", 10, 24, 12, 5), ComplianceNotCompliant, -20, 20},
		// Hours outside both windows do not count: 8 days before, and after now.
		{"outside the windows", "so2", append(series("s", "so2", 10, 24, 7, 5),
			EmissionHour{Source: "s", Pollutant: "so2", Hour: start.Add(-8 * 24 * time.Hour), KgH: 1000},
			EmissionHour{Source: "s", Pollutant: "so2", Hour: now, KgH: 1000}), ComplianceOK, 30, 20},
		{"bad values ignored", "so2", append(series("s", "so2", 10, 24, 7, 5),
			EmissionHour{Source: "s", Pollutant: "so2", Hour: start, KgH: math.NaN()},
			EmissionHour{Source: "s", Pollutant: "so2", Hour: start, KgH: -5}), ComplianceOK, 30, 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab := ComputeCompliance(w, []registry.Source{src("s")}, c.hours, 0, now)
			if len(tab.Rows) != 1 {
				t.Fatalf("rows %+v", tab.Rows)
			}
			r := tab.Rows[0]
			if r.Pollutant != c.pollutant || r.Status != c.status || r.RequiredPct != c.required || math.Abs(r.ReductionPct-c.reduction) > 1e-6 {
				t.Errorf("row %+v, want %s %s reduction %g required %d", r, c.pollutant, c.status, c.reduction, c.required)
			}
			if want := map[bool]int{true: 1}[c.status == ComplianceNotCompliant]; tab.NotCompliant != want {
				t.Errorf("not compliant count %d, want %d", tab.NotCompliant, want)
			}
		})
	}

	t.Run("source without any data", func(t *testing.T) {
		tab := ComputeCompliance(w, []registry.Source{src("quiet")}, nil, 0, now)
		if len(tab.Rows) != 1 || tab.Rows[0].Status != ComplianceNoData || tab.Rows[0].Pollutant != "" {
			t.Errorf("rows %+v", tab.Rows)
		}
	})
	t.Run("limits give rows without data", func(t *testing.T) {
		s := src("lim")
		s.Outlets[0].Limits = map[string]float64{"so2": 35, "nox": 50, "o2": 1}
		tab := ComputeCompliance(w, []registry.Source{s}, series("lim", "nox", 10, 2, 5, 2), 0, now)
		if len(tab.Rows) != 2 || tab.Rows[0].Pollutant != "so2" || tab.Rows[0].Status != ComplianceNoData ||
			tab.Rows[1].Pollutant != "nox" || tab.Rows[1].Status != ComplianceOK {
			t.Errorf("rows %+v", tab.Rows)
		}
	})
	t.Run("lifted warning ends at the lift", func(t *testing.T) {
		lw := w
		lw.Status, lw.LiftedAt = StatusLifted, start.Add(2*time.Hour)
		// Cut for two hours, then back to the baseline after the lift.
		hs := append(series("s", "so2", 10, 24, 5, 2), series("s", "so2", 0, 0, 10, 6)[2:]...)
		tab := ComputeCompliance(lw, []registry.Source{src("s")}, hs, 24*time.Hour, now)
		if r := tab.Rows[0]; r.ActualHours != 2 || r.Status != ComplianceOK || !tab.WarningTo.Equal(lw.LiftedAt) {
			t.Errorf("row %+v to %s", r, tab.WarningTo)
		}
		if !tab.BaselineFrom.Equal(start.Add(-24 * time.Hour)) {
			t.Errorf("baseline from %s", tab.BaselineFrom)
		}
	})
	t.Run("no requirement", func(t *testing.T) {
		bw := w
		bw.Level, bw.Reduction = warning.Blue, warning.Reduction{Level: warning.Blue}
		tab := ComputeCompliance(bw, []registry.Source{src("s")}, series("s", "so2", 10, 3, 10, 3), 0, now)
		if tab.Rows[0].Status != ComplianceNoRequirement {
			t.Errorf("row %+v", tab.Rows[0])
		}
	})
}

func TestComplianceEmergencySources(t *testing.T) {
	reg := &registry.Registry{Sources: []registry.Source{
		{ID: "b", Area: "changji", EmergencyList: true},
		{ID: "a", Area: "changji", EmergencyList: true},
		{ID: "c", Area: "changji"},
		{ID: "d", Area: "fukang", EmergencyList: true},
	}}
	got := EmergencySources(reg, Warning{Areas: []string{"changji"}})
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Errorf("sources %+v", got)
	}
	if EmergencySources(nil, Warning{}) != nil {
		t.Error("nil registry")
	}
}
