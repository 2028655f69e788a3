package source

import (
	"math"
	"strings"
	"testing"

	"lantian/ingest/registry"
)

func TestGasVelocity(t *testing.T) {
	// 500 000 m³/h through a 4 m stack: 138.9 m³/s over 12.566 m² = 11.05 m/s.
	if v := GasVelocity(500000, 4); math.Abs(v-11.052) > 0.001 {
		t.Fatalf("velocity %g, want 11.052", v)
	}
	if v := GasVelocity(1, 0); !math.IsNaN(v) {
		t.Fatalf("no diameter: %g", v)
	}
}

func TestFlowImplausible(t *testing.T) {
	k := OutletKey{"p1", "u1"}
	cfg := testConfig()
	cfg.DiameterByOutlet = map[OutletKey]float64{k: 4}
	chk := mustChecker(t, cfg)
	lim := Limits{Values: map[string]float64{NOx: 50}}
	for _, c := range []struct {
		name     string
		flow     float64 // m³/h as stored, for hours 8–11
		nox      float64
		want     bool
		hintPart string
	}{
		{"a real 11 m/s flow", 500000, 30, false, ""},
		// The logger's m³/s (138.9) stored as m³/h: 0.003 m/s while NOx says the plant runs.
		{"m³/s not converted", 138.9, 30, true, "×3600"},
		// A device that already sent m³/h, converted again: 39 800 m/s.
		{"m³/h converted again", 500000 * 3600, 30, true, "too high"},
		{"m³/min stored as m³/h", 500000.0 / 60, 30, true, "×60"},
		// A stopped plant (NOx at idle) with a fan trickle is not judged on the low side.
		{"stopped plant", 5000, 1, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hs []Hour
			for h := 8; h < 12; h++ {
				hs = append(hs, hour("p1", "u1", h, map[string]float64{FieldFlow: c.flow, NOx: c.nox, FieldO2: 6}))
			}
			dq := chk.Day(DayInput{Source: "p1", Outlet: "u1", Day: at(0), Hours: hs, Limits: lim})
			var got []Finding
			for _, f := range dq.Findings {
				if f.Rule == RuleFlowImplausible {
					got = append(got, f)
				}
			}
			if !c.want {
				if len(got) != 0 {
					t.Fatalf("findings %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Hours != 4 || got[0].Field != FieldFlow || !strings.Contains(got[0].Detail, c.hintPart) {
				t.Fatalf("findings %+v, want one of 4 hours naming %q", got, c.hintPart)
			}
		})
	}
	// Without a diameter nothing is judged.
	cfg.DiameterByOutlet = nil
	hs := []Hour{hour("p1", "u1", 8, map[string]float64{FieldFlow: 138.9, NOx: 30}), hour("p1", "u1", 9, map[string]float64{FieldFlow: 138.9, NOx: 30})}
	for _, f := range mustChecker(t, cfg).Day(DayInput{Source: "p1", Outlet: "u1", Day: at(0), Hours: hs, Limits: lim}).Findings {
		if f.Rule == RuleFlowImplausible {
			t.Fatalf("judged without a diameter: %+v", f)
		}
	}
}

func TestBoilerRules(t *testing.T) {
	coal75 := registry.Outlet{ID: "b", Plant: registry.Plant{BoilerTH: 75, Fuel: registry.FuelCoal}}
	coal58MW := registry.Outlet{ID: "b", Plant: registry.Plant{BoilerMW: 58, Fuel: registry.FuelCoal}} // 82.9 t/h
	coal40 := registry.Outlet{ID: "b", Plant: registry.Plant{BoilerTH: 40, Fuel: registry.FuelCoal}}
	gas := registry.Outlet{ID: "b", Plant: registry.Plant{BoilerMW: 14, Fuel: registry.FuelGas}}
	for _, c := range []struct {
		o     registry.Outlet
		inKey bool
		want  string
	}{
		{coal75, true, boilerUltraLow}, {coal58MW, true, boilerUltraLow}, {coal40, true, ""}, {gas, true, boilerLowNOx},
		{coal75, false, ""}, {registry.Outlet{ID: "x"}, true, ""},
	} {
		if got, _ := BoilerRule(c.o, c.inKey); got != c.want {
			t.Errorf("%+v in key area %v: %q, want %q", c.o.Plant, c.inKey, got, c.want)
		}
	}
	ps := Presets()
	if w := BoilerLimitsCheck(boilerUltraLow, ps["ultra-low-coal-power"].Limits()); w != "" {
		t.Errorf("ultra-low limits flagged: %s", w)
	}
	// GB 13271 special limits for coal (30/200/200 at 9 %) are far laxer: 30 × 15/12 = 37.5 > 10.
	if w := BoilerLimitsCheck(boilerUltraLow, ps["gb13271-2014-coal-special"].Limits()); !strings.Contains(w, "dust 37.5 > 10") {
		t.Errorf("laxer limits: %q", w)
	}
}
