package registry

import (
	"fmt"
	"math"
)

// Fuel is what an outlet's boiler or furnace burns.
type Fuel string

// Fuels the plan's boiler rules and the emission standards distinguish.
const (
	FuelCoal    Fuel = "coal"
	FuelGas     Fuel = "gas"
	FuelOil     Fuel = "oil"
	FuelBiomass Fuel = "biomass"
)

// Plant describes the stack and the plant behind an outlet: what the plan's monitoring and
// boiler rules and the flow plausibility check need. It is inline in Outlet, so its keys sit
// beside stack_height_m in the registry.
type Plant struct {
	// StackDiameterM is the inner diameter of the stack at the flow measurement, in metres; the
	// flow plausibility check derives the gas velocity from it.
	StackDiameterM float64 `yaml:"stack_diameter_m,omitempty"`
	// KeyVOCs marks a key VOCs source (石化、化工、包装印刷、工业涂装) that the plan requires
	// to be monitored automatically.
	KeyVOCs bool `yaml:"key_vocs,omitempty"`
	// BoilerTH is the rated capacity of a steam boiler in t/h (蒸吨/小时); BoilerMW that of a
	// hot-water boiler in MW. At most one is given.
	BoilerTH float64 `yaml:"boiler_t_h,omitempty"`
	BoilerMW float64 `yaml:"boiler_mw,omitempty"`
	// Fuel is coal, gas, oil or biomass; empty when the outlet is not a combustion source or
	// the fuel is not known.
	Fuel Fuel `yaml:"fuel,omitempty"`
}

// MWPerTH is the conventional equivalence of boiler capacities in China: 1 t/h of steam
// ≈ 0.7 MW (the "1 蒸吨 ≈ 0.7 MW" of boiler policy texts; an approximation, not a standard).
const MWPerTH = 0.7

// CapacityTH is the boiler's capacity in t/h (a hot-water boiler's MW converted with MWPerTH),
// 0 when the outlet is not a registered boiler.
func (p Plant) CapacityTH() float64 {
	if p.BoilerTH > 0 {
		return p.BoilerTH
	}
	return p.BoilerMW / MWPerTH
}

// IsBoiler reports whether the outlet is a registered boiler.
func (p Plant) IsBoiler() bool { return p.BoilerTH > 0 || p.BoilerMW > 0 }

// StackAreaM2 is the cross-section of the stack in m² (0 without a diameter).
func (p Plant) StackAreaM2() float64 {
	return math.Pi * p.StackDiameterM * p.StackDiameterM / 4
}

// check reports the plant fields out of range; key names the outlet.
func (p Plant) check(key string) []error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("outlet %s: "+format, append([]any{key}, a...)...))
	}
	// A stack of 20 m bore does not exist; a diameter that large is a unit mistake (mm, cm).
	if p.StackDiameterM < 0 || p.StackDiameterM > 20 {
		bad("stack_diameter_m %g must be in (0, 20] metres", p.StackDiameterM)
	}
	if p.BoilerTH < 0 || p.BoilerMW < 0 {
		bad("boiler_t_h %g and boiler_mw %g must not be negative", p.BoilerTH, p.BoilerMW)
	}
	if p.BoilerTH > 0 && p.BoilerMW > 0 {
		bad("give boiler_t_h or boiler_mw, not both")
	}
	switch p.Fuel {
	case "", FuelCoal, FuelGas, FuelOil, FuelBiomass:
	default:
		bad("fuel %q is not coal, gas, oil or biomass", p.Fuel)
	}
	return errs
}
