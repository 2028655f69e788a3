package registry

import (
	"strings"
	"testing"
	"time"
)

func TestEmergencyPlanValidation(t *testing.T) {
	t0 := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	good := func() *EmergencyPlan {
		return &EmergencyPlan{Document: "一厂一策", BaselineKgH: map[string]float64{"so2": 20},
			Levels: []EmergencyMeasures{{Level: "orange", Measures: []string{"2号熟料线停产"}, ReductionPct: map[string]float64{"so2": 30}}},
			Stops:  []DeclaredStop{{From: t0, To: t0.Add(48 * time.Hour), Outlets: []string{"DA001"}}}}
	}
	cases := []struct {
		name string
		edit func(s *Source)
		want string // "" for valid
	}{
		{"valid", func(*Source) {}, ""},
		{"no plan", func(s *Source) { s.EmergencyPlan = nil }, ""},
		{"not listed", func(s *Source) { s.EmergencyList = false }, "not on the emergency list"},
		{"unknown level", func(s *Source) { s.EmergencyPlan.Levels[0].Level = "purple" }, `level "purple"`},
		{"level twice", func(s *Source) {
			s.EmergencyPlan.Levels = append(s.EmergencyPlan.Levels, s.EmergencyPlan.Levels[0])
		}, "given twice"},
		{"no measures", func(s *Source) { s.EmergencyPlan.Levels[0].Measures = nil }, "no measures"},
		{"ratio above 100", func(s *Source) { s.EmergencyPlan.Levels[0].ReductionPct["so2"] = 120 }, "must be in (0, 100]"},
		{"unknown pollutant", func(s *Source) { s.EmergencyPlan.Levels[0].ReductionPct["pm25"] = 20 }, `unknown pollutant "pm25"`},
		{"zero baseline", func(s *Source) { s.EmergencyPlan.BaselineKgH["nox"] = 0 }, "baseline_kgh nox must be positive"},
		{"stop backwards", func(s *Source) { s.EmergencyPlan.Stops[0].To = t0.Add(-time.Hour) }, "to after from"},
		{"stop on an unknown outlet", func(s *Source) { s.EmergencyPlan.Stops[0].Outlets = []string{"DA009"} }, `outlet "DA009"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Registry{Areas: DefaultAreas(), Sources: []Source{{ID: "cj-cement", Area: "changji", EmergencyList: true,
				Outlets: []Outlet{{ID: "DA001"}}, EmergencyPlan: good()}}}
			c.edit(&r.Sources[0])
			err := r.Index()
			switch {
			case c.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	p := good()
	if m, ok := p.Measures("orange"); !ok || m.Measures[0] != "2号熟料线停产" {
		t.Errorf("measures %v %v", m, ok)
	}
	if _, ok := p.Measures("red"); ok {
		t.Error("red has no measures")
	}
	if !p.StoppedAt("DA001", t0) || p.StoppedAt("DA001", t0.Add(48*time.Hour)) || p.StoppedAt("DA002", t0) {
		t.Error("StoppedAt: [from, to) on the listed outlets")
	}
	var nilPlan *EmergencyPlan
	if nilPlan.StoppedAt("DA001", t0) {
		t.Error("nil plan stops nothing")
	}
}
