package office

import (
	"strings"
	"testing"

	"lantian/ingest/registry"
)

// TestConfigRefusesCommitmentsBelowTheFloor: a 一厂一策 commitment below the level's ratio is a
// config error (昌州环发〔2019〕30号 item 23: "原则上分别不低于"); at or above it is fine.
func TestConfigRefusesCommitmentsBelowTheFloor(t *testing.T) {
	reg := func(so2 float64) *registry.Registry {
		r := &registry.Registry{Areas: registry.DefaultAreas(), Sources: []registry.Source{{ID: "cj-cement", Area: "changji", EmergencyList: true,
			Outlets: []registry.Outlet{{ID: "DA001"}},
			EmergencyPlan: &registry.EmergencyPlan{Levels: []registry.EmergencyMeasures{
				{Level: "orange", Measures: []string{"限产"}, ReductionPct: map[string]float64{"so2": so2, "nmhc": 15}}}}}}}
		if err := r.Index(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	plan := DefaultConfig()
	if err := plan.Validate(reg(15)); err == nil || !strings.Contains(err.Error(), "reduction_pct so2 15 % is below the level's 20 %") ||
		!strings.Contains(err.Error(), "reduction_pct nmhc 15 %") {
		t.Errorf("plan ratios, so2 and VOCs at 15 %%: %v", err)
	}
	regional := DefaultConfig()
	regional.Grading.ReductionSet = "wcs-regional"
	if err := regional.Validate(reg(20)); err != nil {
		t.Errorf("regional ratios (VOCs 15 %% at orange), so2 20 %%: %v", err)
	}
	if err := plan.Validate(reg(35)); err == nil || strings.Contains(err.Error(), "so2") {
		t.Errorf("so2 35 %% is above the floor; only VOCs should fail: %v", err)
	}
}
