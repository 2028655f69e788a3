package registry

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// EmergencyPlan is a listed source's 一厂一策 plan (重污染天气应急减排"一厂一策"实施方案): per
// warning level the measures the enterprise committed to and the reduction it committed to
// per pollutant, the baseline emission rate the plan was written against, and stops the
// enterprise declared in advance. Compliance during a warning is judged against it (docs/warnings.md).
type EmergencyPlan struct {
	// Document is the plan's reference (文号 or title) shown beside the measures.
	Document string `yaml:"document,omitempty"`
	// BaselineKgH is the plan's baseline emission rate per pollutant field (dust, so2, nox,
	// nmhc) in kg/h; when given it replaces the baseline measured by CEMS before the warning.
	BaselineKgH map[string]float64 `yaml:"baseline_kgh,omitempty"`
	// Levels are the measures per warning level (yellow, orange, red; blue optional).
	Levels []EmergencyMeasures `yaml:"levels,omitempty"`
	// Stops are declared stops (停产检修, 错峰生产): their hours count as zero emission during a
	// warning and are left out of a CEMS baseline.
	Stops []DeclaredStop `yaml:"stops,omitempty"`
}

// EmergencyMeasures are the commitments of one level.
type EmergencyMeasures struct {
	Level string `yaml:"level"`
	// Measures in words: which line stops, which kiln reduces load (e.g. "2号熟料线停产").
	Measures []string `yaml:"measures"`
	// ReductionPct is the committed cut per pollutant field (dust, so2, nox, nmhc) in percent;
	// a pollutant not given is held to the warning's ratio. `config check` refuses a
	// commitment below the warning's ratio of the level.
	ReductionPct map[string]float64 `yaml:"reduction_pct,omitempty"`
}

// DeclaredStop is a stop of the whole source or of some outlets over [From, To).
type DeclaredStop struct {
	From    time.Time `yaml:"from"`
	To      time.Time `yaml:"to"`
	Outlets []string  `yaml:"outlets,omitempty"` // empty: every outlet
	Reason  string    `yaml:"reason,omitempty"`
}

// emergencyLevels are the warning levels a plan may name (alert/warning.Level's names).
var emergencyLevels = []string{"blue", "yellow", "orange", "red"}

// emergencyPollutants are the outlet pollutant fields a plan may name (schema.SourcePollutants;
// the registry does not import schema).
var emergencyPollutants = []string{"dust", "so2", "nox", "nmhc"}

// Measures returns the plan's commitments for a level (by its English name).
func (p *EmergencyPlan) Measures(level string) (EmergencyMeasures, bool) {
	if p == nil {
		return EmergencyMeasures{}, false
	}
	for _, m := range p.Levels {
		if m.Level == level {
			return m, true
		}
	}
	return EmergencyMeasures{}, false
}

// StoppedAt reports whether a declared stop covers the outlet at t.
func (p *EmergencyPlan) StoppedAt(outlet string, t time.Time) bool {
	if p == nil {
		return false
	}
	for _, s := range p.Stops {
		if !t.Before(s.From) && t.Before(s.To) && (len(s.Outlets) == 0 || slices.Contains(s.Outlets, outlet)) {
			return true
		}
	}
	return false
}

// validate checks a plan of src; nil is valid (no plan).
func (p *EmergencyPlan) validate(src *Source) error {
	if p == nil {
		return nil
	}
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("source %q emergency_plan: "+format, append([]any{src.ID}, a...)...))
	}
	if !src.EmergencyList {
		bad("the source is not on the emergency list (emergency_list: true)")
	}
	for _, k := range slices.Sorted(maps.Keys(p.BaselineKgH)) {
		if !slices.Contains(emergencyPollutants, k) {
			bad("baseline_kgh: unknown pollutant %q (want one of %v)", k, emergencyPollutants)
		} else if v := p.BaselineKgH[k]; !(v > 0) {
			bad("baseline_kgh %s must be positive, got %g", k, v)
		}
	}
	seen := map[string]bool{}
	for i, m := range p.Levels {
		if !slices.Contains(emergencyLevels, m.Level) {
			bad("levels[%d]: level %q is not one of %v", i, m.Level, emergencyLevels)
		}
		if seen[m.Level] {
			bad("levels[%d]: level %s given twice", i, m.Level)
		}
		seen[m.Level] = true
		if len(m.Measures) == 0 {
			bad("levels[%d] (%s): no measures", i, m.Level)
		}
		for _, k := range slices.Sorted(maps.Keys(m.ReductionPct)) {
			if !slices.Contains(emergencyPollutants, k) {
				bad("levels[%d] (%s): reduction_pct: unknown pollutant %q", i, m.Level, k)
			} else if v := m.ReductionPct[k]; !(v > 0 && v <= 100) {
				bad("levels[%d] (%s): reduction_pct %s must be in (0, 100], got %g", i, m.Level, k, v)
			}
		}
	}
	for i, s := range p.Stops {
		if s.From.IsZero() || !s.To.After(s.From) {
			bad("stops[%d]: from and to are required, to after from", i)
		}
		for _, o := range s.Outlets {
			if !slices.ContainsFunc(src.Outlets, func(x Outlet) bool { return x.ID == o }) {
				bad("stops[%d]: outlet %q is not an outlet of the source", i, o)
			}
		}
	}
	return errors.Join(errs...)
}
