package office

import (
	"math"
	"testing"
	"time"

	"lantian/alert/warning"
	"lantian/ingest/registry"
)

// hourSpec builds outlet hours: baseline hours before the start at rate base, then one entry
// per warning hour: a rate (kg/h), or stop / idle / missing.
type hourSpec struct {
	src, outlet, pol string
	base             float64
	baseHours        int
	warn             []any // float64 rate, "F" (stop flag), "idle" (flow 0), "-" (nothing stored)
}

func (h hourSpec) hours(start time.Time) []OutletHour {
	var out []OutletHour
	for i := 1; i <= h.baseHours; i++ {
		out = append(out, OutletHour{Source: h.src, Outlet: h.outlet, Hour: start.Add(-time.Duration(i) * time.Hour),
			KgH: map[string]float64{h.pol: h.base}, Flow: 100000, FlowValid: true})
	}
	for i, v := range h.warn {
		at := start.Add(time.Duration(i) * time.Hour)
		switch v := v.(type) {
		case float64:
			out = append(out, OutletHour{Source: h.src, Outlet: h.outlet, Hour: at, KgH: map[string]float64{h.pol: v}, Flow: 100000, FlowValid: true})
		case string:
			switch v {
			case "F":
				out = append(out, OutletHour{Source: h.src, Outlet: h.outlet, Hour: at, StopFlagged: true})
			case "idle":
				out = append(out, OutletHour{Source: h.src, Outlet: h.outlet, Hour: at, KgH: map[string]float64{h.pol: 0.01}, Flow: 300, FlowValid: true})
			}
		}
	}
	return out
}

func rep(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestComplianceMass checks the mass-based judgement: stops count as zero emission, missing
// hours are filled with the baseline rate, the required cut is the level's ratio or the
// 一厂一策 commitment, and totals per county and list are judged against the level's ratio.
func TestComplianceMass(t *testing.T) {
	start := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
	now := start.Add(8 * time.Hour)
	orange := warning.PlanReductions()[1] // 20 % for all four (昌州环发〔2019〕30号 item 23)
	w := Warning{ID: "W1", Level: warning.Orange, Areas: []string{"changji", "fukang"}, Start: start, Status: StatusInForce, Reduction: orange}
	src := func(id, area string) registry.Source {
		return registry.Source{ID: id, Area: area, EmergencyList: true, Outlets: []registry.Outlet{{ID: "DA001"}}}
	}
	half := append(rep("F", 4), rep(12.0, 4)...) // stopped 4 h, then 120 % of the baseline for 4 h
	cases := []struct {
		name                      string
		spec                      hourSpec
		status                    string
		reduction                 float64
		running, stopped, missing int
	}{
		{"stopped for the whole warning (F)", hourSpec{"s", "DA001", "so2", 10, 24, rep("F", 8)}, ComplianceOK, 100, 0, 8, 0},
		{"stopped: flow at idle", hourSpec{"s", "DA001", "so2", 10, 24, rep("idle", 8)}, ComplianceOK, 100, 0, 8, 0},
		// Judged on running hours alone this would be a 20 % increase.
		{"half stopped, 40 % of mass cut", hourSpec{"s", "DA001", "so2", 10, 24, half}, ComplianceOK, 40, 4, 4, 0},
		{"rate cut 15 % at orange", hourSpec{"s", "DA001", "nox", 10, 24, rep(8.5, 8)}, ComplianceNotCompliant, 15, 8, 0, 0},
		{"exactly at the ratio", hourSpec{"s", "DA001", "dust", 10, 24, rep(8.0, 8)}, ComplianceOK, 20, 8, 0, 0},
		{"just below the ratio", hourSpec{"s", "DA001", "dust", 10, 24, rep(8.01, 8)}, ComplianceNotCompliant, 19.9, 8, 0, 0},
		// 4 h at half the rate, 4 h missing filled with the baseline: (20 + 40) / 80.
		{"missing hours filled with the baseline", hourSpec{"s", "DA001", "so2", 10, 24, append(rep(5.0, 4), rep("-", 3)...)}, ComplianceOK, 25, 4, 0, 3},
		{"increase", hourSpec{"s", "DA001", "so2", 10, 24, rep(12.0, 8)}, ComplianceNotCompliant, -20, 8, 0, 0},
		{"no baseline", hourSpec{"s", "DA001", "so2", 10, 0, rep(7.0, 8)}, ComplianceNoBaseline, 0, 8, 0, 0},
		{"zero baseline", hourSpec{"s", "DA001", "so2", 0, 3, rep(7.0, 8)}, ComplianceNoBaseline, 0, 8, 0, 0},
		{"no data during the warning", hourSpec{"s", "DA001", "so2", 10, 24, nil}, ComplianceNoData, 0, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := c.spec.hours(start)
			if c.name == "missing hours filled with the baseline" {
				// The 8th hour is stored: the three before it are missing, not pending.
				hs = append(hs, OutletHour{Source: "s", Outlet: "DA001", Hour: start.Add(7 * time.Hour), KgH: map[string]float64{"so2": 10}, FlowValid: true, Flow: 1e5})
				c.missing, c.running, c.reduction = 3, 5, 25
			}
			tab := ComputeCompliance(w, []registry.Source{src("s", "changji")}, hs, ComplianceInput{Now: now, IdleFlow: func(string, string) float64 { return 500 }})
			if len(tab.Rows) != 1 {
				t.Fatalf("rows %+v", tab.Rows)
			}
			r := tab.Rows[0]
			if r.Status != c.status || math.Abs(r.ReductionPct-c.reduction) > 1e-6 || r.RequiredPct != 20 ||
				r.HoursRunning != c.running || r.HoursStopped != c.stopped || r.HoursMissing != c.missing {
				t.Errorf("row %+v\nwant %s reduction %g, hours running %d stopped %d missing %d", r, c.status, c.reduction, c.running, c.stopped, c.missing)
			}
		})
	}

	t.Run("hours not closed yet are not judged", func(t *testing.T) {
		hs := hourSpec{"s", "DA001", "so2", 10, 24, rep(7.0, 5)}.hours(start)
		tab := ComputeCompliance(w, []registry.Source{src("s", "changji")}, hs, ComplianceInput{Now: now})
		if r := tab.Rows[0]; tab.Hours != 5 || r.HoursMissing != 0 || r.Status != ComplianceOK || math.Abs(r.ReductionPct-30) > 1e-9 {
			t.Errorf("hours %d row %+v", tab.Hours, r)
		}
	})

	t.Run("totals per county and list", func(t *testing.T) {
		var hs []OutletHour
		for _, sp := range []hourSpec{
			{"a-stop", "DA001", "so2", 10, 24, rep("F", 8)},      // 0 of 80 kg
			{"b-half", "DA001", "so2", 10, 24, half},             // 48 of 80 kg
			{"c-15", "DA001", "so2", 20, 24, rep(17.0, 8)},       // 136 of 160 kg
			{"d-fk", "DA001", "so2", 10, 24, rep(9.0, 8)},        // fukang: 72 of 80 kg
			{"e-nobase", "DA001", "so2", 10, 0, rep(9.0, 8)},     // no baseline: left out
			{"x-unlisted", "DA001", "so2", 10, 24, rep(99.0, 8)}, // not a listed source of the warning
		} {
			hs = append(hs, sp.hours(start)...)
		}
		srcs := []registry.Source{src("a-stop", "changji"), src("b-half", "changji"), src("c-15", "changji"), src("d-fk", "fukang"), src("e-nobase", "changji")}
		tab := ComputeCompliance(w, srcs, hs, ComplianceInput{Now: now})
		got := map[string]ComplianceTotal{}
		for _, tt := range tab.Totals {
			got[tt.Scope+"/"+tt.ID+"/"+tt.Pollutant] = tt
		}
		cj, fk, list := got["county/changji/so2"], got["county/fukang/so2"], got["list/W1/so2"]
		// changji: 184 of 320 kg, a 42.5 % cut; fukang 10 %; the list 256 of 400 kg, 36 %.
		if cj.Sources != 3 || cj.Excluded != 1 || math.Abs(cj.EmittedKg-184) > 1e-9 || math.Abs(cj.BaselineKg-320) > 1e-9 ||
			math.Abs(cj.ReductionPct-42.5) > 1e-9 || cj.Status != ComplianceOK || cj.RequiredPct != 20 {
			t.Errorf("changji total %+v", cj)
		}
		if fk.Status != ComplianceNotCompliant || math.Abs(fk.ReductionPct-10) > 1e-9 {
			t.Errorf("fukang total %+v", fk)
		}
		if list.Sources != 4 || math.Abs(list.ReductionPct-36) > 1e-9 || list.Status != ComplianceOK {
			t.Errorf("list total %+v", list)
		}
		if len(tab.Totals) != 3 || tab.Totals[0].ID != "changji" || tab.Totals[2].Scope != ScopeList {
			t.Errorf("totals order %+v", tab.Totals)
		}
		// c-15 and d-fk rows, and the fukang total.
		if tab.NotCompliant != 3 {
			t.Errorf("not compliant %d", tab.NotCompliant)
		}
	})

	t.Run("一厂一策: plan baseline, commitment above the floor, declared stop", func(t *testing.T) {
		s := src("p", "changji")
		s.EmergencyPlan = &registry.EmergencyPlan{Document: "一厂一策 2026",
			BaselineKgH: map[string]float64{"so2": 20},
			Levels:      []registry.EmergencyMeasures{{Level: "orange", Measures: []string{"2号熟料线停产"}, ReductionPct: map[string]float64{"so2": 35}}},
			Stops:       []registry.DeclaredStop{{From: start.Add(6 * time.Hour), To: start.Add(8 * time.Hour), Reason: "检修"}},
		}
		// CEMS says 10 kg/h before; the plan says 20. 6 h at 14 kg/h, then 2 declared-stop hours
		// with nothing stored but a later hour: (84) of 8×20 = 160 kg, a 47.5 % cut ≥ 35 %.
		hs := hourSpec{"p", "DA001", "so2", 10, 24, rep(14.0, 6)}.hours(start)
		hs = append(hs, OutletHour{Source: "p", Outlet: "DA001", Hour: start.Add(8 * time.Hour), KgH: map[string]float64{"so2": 14}})
		tab := ComputeCompliance(w, []registry.Source{s}, hs, ComplianceInput{Now: now.Add(time.Hour)})
		r := tab.Rows[0]
		if r.BaselineKind != BaselinePlan || r.BaselineKgH != 20 || !r.Committed || r.RequiredPct != 35 || r.FloorPct != 20 ||
			r.HoursStopped != 2 || r.HoursRunning != 7 || math.Abs(r.ReductionPct-(1-98.0/180)*100) > 1e-9 || r.Status != ComplianceOK {
			t.Errorf("row %+v", r)
		}
		if len(tab.Plans) != 1 || tab.Plans[0].Measures[0] != "2号熟料线停产" || tab.Plans[0].Document != "一厂一策 2026" {
			t.Errorf("plans %+v", tab.Plans)
		}
	})

	t.Run("earlier warnings and declared stops left out of the CEMS baseline", func(t *testing.T) {
		s := src("s", "changji")
		s.EmergencyPlan = &registry.EmergencyPlan{Stops: []registry.DeclaredStop{{From: start.Add(-24 * time.Hour), To: start.Add(-20 * time.Hour)}}}
		hs := hourSpec{"s", "DA001", "so2", 10, 24, rep(8.0, 8)}.hours(start)
		// An earlier warning 12..8 h before the start cut to 2 kg/h; the declared stop hours read 0.
		for i, h := range hs {
			switch {
			case h.Hour.Before(start.Add(-8*time.Hour)) && !h.Hour.Before(start.Add(-12*time.Hour)):
				hs[i].KgH = map[string]float64{"so2": 2}
			case h.Hour.Before(start.Add(-20 * time.Hour)):
				hs[i].KgH = map[string]float64{"so2": 0}
			}
		}
		in := ComplianceInput{Now: now, Period: 24 * time.Hour, Excluded: map[string][]Span{"changji": {{start.Add(-12 * time.Hour), start.Add(-8 * time.Hour)}}}}
		tab := ComputeCompliance(w, []registry.Source{s}, hs, in)
		if r := tab.Rows[0]; r.BaselineHours != 16 || r.BaselineKgH != 10 || r.Status != ComplianceOK {
			t.Errorf("row %+v", r)
		}
	})

	t.Run("two outlets, one without a VOCs analyser", func(t *testing.T) {
		s := registry.Source{ID: "m", Area: "changji", EmergencyList: true, Outlets: []registry.Outlet{{ID: "DA001"}, {ID: "DA002"}}}
		hs := append(hourSpec{"m", "DA001", "so2", 10, 24, rep(5.0, 8)}.hours(start), hourSpec{"m", "DA002", "so2", 10, 24, rep("F", 8)}.hours(start)...)
		hs = append(hs, hourSpec{"m", "DA001", "nmhc", 4, 24, rep(3.0, 8)}.hours(start)...)
		tab := ComputeCompliance(w, []registry.Source{s}, hs, ComplianceInput{Now: now})
		got := map[string]ComplianceRow{}
		for _, r := range tab.Rows {
			got[r.Pollutant] = r
		}
		if r := got["so2"]; r.BaselineKgH != 20 || math.Abs(r.ReductionPct-75) > 1e-9 || r.HoursRunning != 8 {
			t.Errorf("so2 %+v", r)
		}
		if r := got["nmhc"]; r.BaselineKgH != 4 || math.Abs(r.ReductionPct-25) > 1e-9 || r.HoursMissing != 0 {
			t.Errorf("nmhc %+v", r)
		}
	})

	t.Run("SO2 and NOx pooled where the level says so", func(t *testing.T) {
		// SO2 cut 10 %, NOx 40 %, equal baselines: 25 % together.
		hs := append(hourSpec{"s", "DA001", "so2", 10, 24, rep(9.0, 8)}.hours(start), hourSpec{"s", "DA001", "nox", 10, 24, rep(6.0, 8)}.hours(start)...)
		plain := ComputeCompliance(w, []registry.Source{src("s", "changji")}, hs, ComplianceInput{Now: now})
		pw := w
		pw.Reduction = warning.XinjiangReductions()[1] // the regional announcements pool SO2 and NOx
		pooled := ComputeCompliance(pw, []registry.Source{src("s", "changji")}, hs, ComplianceInput{Now: now})
		status := func(tab ComplianceTable) map[string]string {
			out := map[string]string{}
			for _, r := range tab.Rows {
				out["source/"+r.Pollutant] = r.Status
			}
			for _, tt := range tab.Totals {
				out[tt.Scope+"/"+tt.Pollutant] = tt.Status
			}
			return out
		}
		if got := status(plain); got["source/so2"] != ComplianceNotCompliant || got["source/nox"] != ComplianceOK || got["county/so2"] != ComplianceNotCompliant || plain.NotCompliant != 3 {
			t.Errorf("not pooled: %v (not compliant %d)", got, plain.NotCompliant)
		}
		if got := status(pooled); got["source/so2"] != ComplianceOK || got["source/nox"] != ComplianceOK || got["county/so2"] != ComplianceOK || got["list/nox"] != ComplianceOK || pooled.NotCompliant != 0 {
			t.Errorf("pooled: %v (not compliant %d)", got, pooled.NotCompliant)
		}
		if r := pooled.Rows[0]; r.PooledPct == nil || math.Abs(*r.PooledPct-25) > 1e-9 || math.Abs(r.ReductionPct-10) > 1e-9 {
			t.Errorf("pooled row %+v", r)
		}
	})

	t.Run("source without any data", func(t *testing.T) {
		tab := ComputeCompliance(w, []registry.Source{src("quiet", "changji")}, nil, ComplianceInput{Now: now})
		if len(tab.Rows) != 1 || tab.Rows[0].Status != ComplianceNoData || tab.Rows[0].Pollutant != "" {
			t.Errorf("rows %+v", tab.Rows)
		}
	})
	t.Run("lifted warning ends at the lift", func(t *testing.T) {
		lw := w
		lw.Status, lw.LiftedAt = StatusLifted, start.Add(2*time.Hour)
		hs := hourSpec{"s", "DA001", "so2", 10, 24, append(rep(5.0, 2), rep(10.0, 6)...)}.hours(start)
		tab := ComputeCompliance(lw, []registry.Source{src("s", "changji")}, hs, ComplianceInput{Now: now, Period: 24 * time.Hour})
		if r := tab.Rows[0]; r.HoursRunning != 2 || r.Status != ComplianceOK || !tab.WarningTo.Equal(lw.LiftedAt) {
			t.Errorf("row %+v to %s", r, tab.WarningTo)
		}
		if !tab.BaselineFrom.Equal(start.Add(-24 * time.Hour)) {
			t.Errorf("baseline from %s", tab.BaselineFrom)
		}
	})
	t.Run("no requirement", func(t *testing.T) {
		bw := w
		bw.Level, bw.Reduction = warning.Blue, warning.Reduction{Level: warning.Blue}
		tab := ComputeCompliance(bw, []registry.Source{src("s", "changji")}, hourSpec{"s", "DA001", "so2", 10, 3, rep(10.0, 3)}.hours(start), ComplianceInput{Now: now})
		if tab.Rows[0].Status != ComplianceNoRequirement {
			t.Errorf("row %+v", tab.Rows[0])
		}
	})
	t.Run("bad values ignored", func(t *testing.T) {
		hs := hourSpec{"s", "DA001", "so2", 10, 24, rep(7.0, 8)}.hours(start)
		hs = append(hs, OutletHour{Source: "s", Outlet: "DA001", Hour: start.Add(-30 * time.Hour), KgH: map[string]float64{"so2": math.NaN()}},
			OutletHour{Source: "s", Outlet: "DA001", Hour: start.Add(-31 * time.Hour), KgH: map[string]float64{"so2": -5}})
		tab := ComputeCompliance(w, []registry.Source{src("s", "changji")}, hs, ComplianceInput{Now: now})
		if r := tab.Rows[0]; r.BaselineHours != 24 || math.Abs(r.ReductionPct-30) > 1e-9 {
			t.Errorf("row %+v", r)
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
