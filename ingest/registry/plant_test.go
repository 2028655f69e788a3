package registry

import (
	"strings"
	"testing"
)

func TestPlantFields(t *testing.T) {
	p := Plant{BoilerMW: 7}
	if got := p.CapacityTH(); got != 10 {
		t.Errorf("7 MW = %g t/h, want 10", got)
	}
	if (Plant{StackDiameterM: 2}).StackAreaM2() < 3.14 || (Plant{}).IsBoiler() {
		t.Error("area or boiler mark wrong")
	}
	for _, c := range []struct {
		p    Plant
		want string
	}{
		{Plant{StackDiameterM: 4, BoilerTH: 75, Fuel: FuelCoal}, ""},
		{Plant{StackDiameterM: 3500}, "stack_diameter_m"}, // millimetres
		{Plant{BoilerTH: 10, BoilerMW: 7}, "not both"},
		{Plant{BoilerTH: -1}, "negative"},
		{Plant{Fuel: "wood"}, "fuel"},
	} {
		errs := c.p.check("s/o")
		if c.want == "" && len(errs) != 0 || c.want != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.p, errs, c.want)
		}
	}
}
