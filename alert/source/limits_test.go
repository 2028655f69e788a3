package source

import (
	"strings"
	"testing"

	"lantian/ingest/registry"
)

func TestPresets(t *testing.T) {
	ps := Presets()
	ul, ok := ps["ultra-low-coal-power"]
	if !ok {
		t.Fatal("ultra-low-coal-power missing")
	}
	if ul.ReferenceO2Pct != 6 || ul.Values[Dust] != 10 || ul.Values[SO2] != 35 || ul.Values[NOx] != 50 {
		t.Fatalf("ultra-low preset = %+v, want 10/35/50 at 6 %%", ul)
	}
	sp := ps["gb13271-2014-coal-special"]
	if sp.ReferenceO2Pct != 9 || sp.Values[Dust] != 30 || sp.Values[SO2] != 200 || sp.Values[NOx] != 200 {
		t.Fatalf("coal special = %+v", sp)
	}
	if ps["gb13271-2014-gas-existing"].ReferenceO2Pct != 3.5 {
		t.Fatal("gas boilers are at 3.5 % O2")
	}
	for name, p := range ps {
		if p.Name != name || p.Citation == "" || p.O2Confidence == "" || p.Title == "" {
			t.Errorf("%s: name, title, citation or O2 confidence missing: %+v", name, p)
		}
		if err := p.Limits().Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for f := range p.Values {
			switch p.Confidence[f] {
			case C1, C2, Unverified:
			default:
				t.Errorf("%s: %s has no confidence mark", name, f)
			}
		}
	}
	// A fresh map each call: changing one result must not change the next.
	ps["ultra-low-coal-power"].Values[Dust] = 999
	if Presets()["ultra-low-coal-power"].Values[Dust] != 10 {
		t.Fatal("Presets shares state between calls")
	}
}

func TestResolveLimits(t *testing.T) {
	srcs := []registry.Source{{ID: "b1", Area: "changji", Outlets: []registry.Outlet{
		{ID: "o1", Limits: map[string]float64{NOx: 150}}, // permit stricter than the preset's NOx
		{ID: "o2", ReferenceO2Pct: 3.5, Limits: map[string]float64{Dust: 20}},
		{ID: "voc", Limits: map[string]float64{NMHC: 60}},
	}}}
	got, err := ResolveLimits(srcs, map[OutletKey]string{{"b1", "o1"}: "gb13271-2014-coal-special"})
	if err != nil {
		t.Fatal(err)
	}
	o1 := got[OutletKey{"b1", "o1"}]
	if o1.ReferenceO2Pct != 9 || o1.Values[Dust] != 30 || o1.Values[SO2] != 200 || o1.Values[NOx] != 150 || o1.Preset == "" {
		t.Fatalf("o1 = %+v", o1)
	}
	if o2 := got[OutletKey{"b1", "o2"}]; o2.ReferenceO2Pct != 3.5 || len(o2.Values) != 1 {
		t.Fatalf("o2 = %+v", o2)
	}
	if v := got[OutletKey{"b1", "voc"}]; v.ReferenceO2Pct != 0 || v.Values[NMHC] != 60 {
		t.Fatalf("voc = %+v", v)
	}

	if _, err := ResolveLimits(srcs, map[OutletKey]string{{"b1", "o1"}: "no-such"}); err == nil || !strings.Contains(err.Error(), "unknown limit preset") {
		t.Fatalf("unknown preset: err = %v", err)
	}
	if _, err := ResolveLimits(srcs, map[OutletKey]string{{"zz", "o1"}: "ultra-low-coal-power"}); err == nil || !strings.Contains(err.Error(), "unregistered") {
		t.Fatalf("unregistered outlet: err = %v", err)
	}
	bad := []registry.Source{{ID: "b", Outlets: []registry.Outlet{{ID: "o", Limits: map[string]float64{"pm25": 5}}}}}
	if _, err := ResolveLimits(bad, nil); err == nil {
		t.Fatal("a limit on a non-concentration field must be refused")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if err := (Config{}).Validate(); err == nil {
		t.Fatal("the zero config must not validate")
	}
	c := DefaultConfig()
	c.MinValidFraction = 1.5
	c.Quality.DilutionO2Pct = 25
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "min_valid_fraction") || !strings.Contains(err.Error(), "dilution_o2_pct") {
		t.Fatalf("want both problems reported, got %v", err)
	}
}
