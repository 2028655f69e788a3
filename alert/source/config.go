package source

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Config holds every tunable of the package. Start from DefaultConfig and override; the zero
// value is not usable (Validate says why), because for most fields zero is a legitimate
// setting that must not silently mean "default".
type Config struct {
	// Location is the zone of natural days (daily totals, daily quality). Nil: Asia/Shanghai.
	Location *time.Location `yaml:"-"`

	// MinValidFraction is the share of an hour's values that must be valid (flags N, S, T or
	// none) for its mean to count: 0.75, after the HJ 212-2017 flue-gas rule that an aggregate
	// is N when ≥ 75 % of the underlying values were normal (not confirmed by a second source);
	// GB 3095 Table 4 asks ≥ 45 of 60 minutes for an ambient 1-h mean, the same share.
	MinValidFraction float64 `yaml:"min_valid_fraction"`
	// ExpectedSamples maps a period (rt, 1m) to the number of values expected per hour; the
	// valid share is then taken of that number, so a logger that sends half its minutes does
	// not pass. Periods absent here take the period's own number (1m: 60; rt: an hour divided
	// by the outlet's reporting interval); see Expected.
	ExpectedSamples map[string]int `yaml:"expected_samples,omitempty"`
	// ExpectedByOutlet overrides ExpectedSamples per outlet (a logger of 5-minute values sent
	// as 1m: {1m: 12}). RTInterval is the reporting interval of real-time data, and
	// RTIntervalByOutlet overrides it per outlet; 0 or an hour and more: unknown.
	ExpectedByOutlet   map[OutletKey]map[string]int `yaml:"-"`
	RTInterval         time.Duration                `yaml:"-"`
	RTIntervalByOutlet map[OutletKey]time.Duration  `yaml:"-"`
	// Lateness is how long after its end an hour stays open for late readings (HJ 212 loggers
	// resend buffered data after an outage).
	Lateness time.Duration `yaml:"lateness"`

	// ZsTolerance is the relative disagreement between the analyser's converted value (_zs)
	// and Lantian's own above which a zs_mismatch finding is raised (0.10 = 10 %).
	ZsTolerance float64 `yaml:"zs_tolerance"`
	// ZsMinConc (mg/m³): below it the two converted values are not compared.
	ZsMinConc float64 `yaml:"zs_min_conc"`

	// MaxGapHours: an open exceedance event survives this many consecutive hours without a
	// valid mean (flagged, missing, unconvertible); one more closes it at its last exceeding hour.
	MaxGapHours int `yaml:"max_gap_hours"`

	// Idle is the default "not producing" threshold; IdleByOutlet overrides it per outlet,
	// since a 600 MW unit and a small boiler differ by orders of magnitude in flow.
	Idle         Idle               `yaml:"idle"`
	IdleByOutlet map[OutletKey]Idle `yaml:"-"`
	// DiameterByOutlet is each outlet's stack diameter in metres (registry stack_diameter_m),
	// for the flow plausibility rule.
	DiameterByOutlet map[OutletKey]float64 `yaml:"-"`

	Quality QualityConfig `yaml:"quality"`

	// StaggerMinHours is the number of consecutive producing hours inside a stop period
	// needed to flag a source (one hour can be a start-up or shut-down tail).
	StaggerMinHours int `yaml:"stagger_min_hours"`
}

// Idle are the thresholds at or below which an outlet counts as not producing.
type Idle struct {
	// FlowM3h: flow at or below this is "off" (m³/h).
	FlowM3h float64 `yaml:"flow_m3h"`
	// Conc maps a pollutant to the concentration (mg/m³, measured) at or below which it is
	// at idle. A pollutant absent from the map is not used to decide production.
	Conc map[string]float64 `yaml:"conc"`
}

// QualityConfig are the parameters of the data-quality rules (docs/sources.md explains each).
type QualityConfig struct {
	// SilentIntervals: an outlet is silent after this many expected intervals without data
	// (stream check, CheckSilent).
	SilentIntervals int `yaml:"silent_intervals"`
	// SilentHours: the daily rule reports runs of at least this many hours without any data.
	SilentHours int `yaml:"silent_hours"`

	// FlatHours: a field whose value does not change for this many consecutive hours is
	// flat-lined. FlatTolerance is the absolute difference still counted as "the same".
	FlatHours     int      `yaml:"flat_hours"`
	FlatTolerance float64  `yaml:"flat_tolerance"`
	FlatFields    []string `yaml:"flat_fields"`

	// ZeroAt (mg/m³): an hourly maximum at or below it is "zero". ZeroHours consecutive such
	// hours with flow above idle make a stuck_zero finding.
	ZeroAt    float64 `yaml:"zero_at"`
	ZeroHours int     `yaml:"zero_hours"`

	// DilutionO2Pct: hourly O2 above it while flow is above idle is dilution (the O2 correction
	// factor blows up above about 19 %; docs/sources.md). DilutionHours consecutive hours make a finding.
	DilutionO2Pct float64 `yaml:"dilution_o2_pct"`
	DilutionHours int     `yaml:"dilution_hours"`

	// FlowZeroM3h: hourly flow at or below it is "zero"; with a concentration above idle for
	// FlowZeroHours consecutive hours it is a flow_zero_conc finding.
	FlowZeroM3h   float64 `yaml:"flow_zero_m3h"`
	FlowZeroHours int     `yaml:"flow_zero_hours"`

	// FlowVelocityMinMS and FlowVelocityMaxMS (m/s) bound the gas velocity a stack's flow may
	// imply (flow / cross-section); FlowVelocityHours consecutive hours outside make a
	// flow_implausible finding. Only outlets with a stack_diameter_m are checked.
	FlowVelocityMinMS float64 `yaml:"flow_velocity_min_ms"`
	FlowVelocityMaxMS float64 `yaml:"flow_velocity_max_ms"`
	FlowVelocityHours int     `yaml:"flow_velocity_hours"`

	// MaxFlaggedHours: more flagged hours than this in a day is a finding.
	MaxFlaggedHours int `yaml:"max_flagged_hours"`

	// MinValidHours: fewer valid hourly means of a limited pollutant in a day is a finding
	// (20, after the daily-mean validity of GB 3095 Table 4 / HJ 663).
	MinValidHours int `yaml:"min_valid_hours"`

	// Drop after a notice: the mean of the DropAfterHours after a notice is at most
	// (1 − DropFraction) × the mean of the DropBeforeHours before it, both windows with at
	// least DropMinHours valid hours, the before mean at least DropMinBefore mg/m³, and flow
	// after at least DropSteadyFlow × flow before (a real production cut lowers flow too).
	DropFraction    float64 `yaml:"drop_fraction"`
	DropBeforeHours int     `yaml:"drop_before_hours"`
	DropAfterHours  int     `yaml:"drop_after_hours"`
	DropMinHours    int     `yaml:"drop_min_hours"`
	DropMinBefore   float64 `yaml:"drop_min_before"`
	DropSteadyFlow  float64 `yaml:"drop_steady_flow"`

	// Weights are the score deductions per rule (see Score).
	Weights map[Rule]float64 `yaml:"weights"`
}

// DefaultConfig returns the documented defaults. Values marked "judgement" in docs/sources.md
// come from no standard and should be tuned with the monitoring centre.
func DefaultConfig() Config {
	return Config{
		MinValidFraction: 0.75,
		Lateness:         15 * time.Minute,
		ZsTolerance:      0.10,
		ZsMinConc:        1,
		MaxGapHours:      2,
		Idle: Idle{
			FlowM3h: 1000,
			Conc:    map[string]float64{Dust: 1, SO2: 3, NOx: 5, NMHC: 2},
		},
		StaggerMinHours: 2,
		Quality: QualityConfig{
			SilentIntervals: 3,
			SilentHours:     3,
			FlatHours:       4,
			FlatTolerance:   0,
			FlatFields:      []string{Dust, SO2, NOx, NMHC, FieldO2, FieldFlow, FieldTemp},
			ZeroAt:          0.01,
			ZeroHours:       2,
			DilutionO2Pct:   19,
			DilutionHours:   1,
			FlowZeroM3h:     1,
			FlowZeroHours:   1,
			MaxFlaggedHours: 4,
			// 0.5–40 m/s: below 0.5 m/s a running stack's draught is implausible, above
			// 40 m/s no stack is designed (judgement; flue-gas stacks run at roughly 10–25 m/s).
			FlowVelocityMinMS: 0.5,
			FlowVelocityMaxMS: 40,
			FlowVelocityHours: 2,
			MinValidHours:     20,
			DropFraction:      0.5,
			DropBeforeHours:   24,
			DropAfterHours:    6,
			DropMinHours:      3,
			DropMinBefore:     5,
			DropSteadyFlow:    0.8,
			Weights:           DefaultWeights(),
		},
	}
}

// DefaultWeights are the score deductions per rule. Rules that hide or fake data weigh most.
func DefaultWeights() map[Rule]float64 {
	return map[Rule]float64{
		RuleSilent:          20,
		RuleMissingHours:    20,
		RuleFlatLine:        15,
		RuleStuckZero:       15,
		RuleDilution:        15,
		RuleDropAfter:       10,
		RuleFlowZeroConc:    10,
		RuleTooManyFlags:    10,
		RuleFlowImplausible: 10,
		RuleZsMismatch:      5,
		RuleO2Unusable:      5,
		RuleStaggeredProd:   0, // a compliance matter, not data quality; reported separately
	}
}

// Validate reports every setting out of range.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !(c.MinValidFraction > 0 && c.MinValidFraction <= 1) {
		bad("min_valid_fraction %g must be in (0, 1]", c.MinValidFraction)
	}
	for _, p := range slices.Sorted(maps.Keys(c.ExpectedSamples)) {
		if err := checkExpectedPeriod(p, c.ExpectedSamples[p]); err != nil {
			bad("expected_samples: %w", err)
		}
	}
	errs = append(errs, c.validateExpected()...)
	if c.Lateness < 0 {
		bad("lateness %v is negative", c.Lateness)
	}
	if !(c.ZsTolerance > 0) {
		bad("zs_tolerance %g must be positive", c.ZsTolerance)
	}
	if c.ZsMinConc < 0 {
		bad("zs_min_conc %g is negative", c.ZsMinConc)
	}
	if c.MaxGapHours < 0 {
		bad("max_gap_hours %d is negative", c.MaxGapHours)
	}
	if err := c.Idle.validate(); err != nil {
		bad("idle: %w", err)
	}
	for _, k := range slices.SortedFunc(maps.Keys(c.IdleByOutlet), compareKeys) {
		if err := c.IdleByOutlet[k].validate(); err != nil {
			bad("idle of %s: %w", k, err)
		}
	}
	if c.StaggerMinHours < 1 {
		bad("stagger_min_hours %d must be at least 1", c.StaggerMinHours)
	}
	q := c.Quality
	for _, x := range []struct {
		name string
		v    int
	}{{"silent_intervals", q.SilentIntervals}, {"silent_hours", q.SilentHours}, {"flat_hours", q.FlatHours},
		{"zero_hours", q.ZeroHours}, {"dilution_hours", q.DilutionHours}, {"flow_zero_hours", q.FlowZeroHours},
		{"drop_before_hours", q.DropBeforeHours}, {"drop_after_hours", q.DropAfterHours}, {"drop_min_hours", q.DropMinHours}} {
		if x.v < 1 {
			bad("quality.%s %d must be at least 1", x.name, x.v)
		}
	}
	if q.FlowVelocityHours < 0 {
		bad("quality.flow_velocity_hours %d is negative (0 turns the rule off)", q.FlowVelocityHours)
	}
	if !(q.FlowVelocityMinMS >= 0 && q.FlowVelocityMaxMS > q.FlowVelocityMinMS) {
		bad("quality.flow_velocity_min_ms %g and flow_velocity_max_ms %g: want 0 ≤ min < max", q.FlowVelocityMinMS, q.FlowVelocityMaxMS)
	}
	for _, k := range slices.SortedFunc(maps.Keys(c.DiameterByOutlet), compareKeys) {
		if c.DiameterByOutlet[k] < 0 {
			bad("stack diameter of %s is negative", k)
		}
	}
	if q.MaxFlaggedHours < 0 || q.MaxFlaggedHours > 24 {
		bad("quality.max_flagged_hours %d must be in [0, 24]", q.MaxFlaggedHours)
	}
	if q.MinValidHours < 0 || q.MinValidHours > 24 {
		bad("quality.min_valid_hours %d must be in [0, 24]", q.MinValidHours)
	}
	if q.FlatTolerance < 0 || q.ZeroAt < 0 || q.FlowZeroM3h < 0 || q.DropMinBefore < 0 {
		bad("quality: flat_tolerance, zero_at, flow_zero_m3h and drop_min_before may not be negative")
	}
	if !(q.DilutionO2Pct > 0 && q.DilutionO2Pct < ambientO2Pct) {
		bad("quality.dilution_o2_pct %g must be in (0, 21)", q.DilutionO2Pct)
	}
	if !(q.DropFraction > 0 && q.DropFraction < 1) {
		bad("quality.drop_fraction %g must be in (0, 1)", q.DropFraction)
	}
	if q.DropSteadyFlow < 0 {
		bad("quality.drop_steady_flow %g is negative", q.DropSteadyFlow)
	}
	if q.DropMinHours > q.DropAfterHours || q.DropMinHours > q.DropBeforeHours {
		bad("quality.drop_min_hours %d exceeds a drop window", q.DropMinHours)
	}
	for _, r := range slices.Sorted(maps.Keys(q.Weights)) {
		if w := q.Weights[r]; w < 0 || w > 100 {
			bad("quality.weights[%s] %g must be in [0, 100]", r, w)
		}
	}
	return errors.Join(errs...)
}

func (i Idle) validate() error {
	if i.FlowM3h < 0 {
		return fmt.Errorf("flow_m3h %g is negative", i.FlowM3h)
	}
	for _, p := range slices.Sorted(maps.Keys(i.Conc)) {
		if !isPollutant(p) {
			return fmt.Errorf("conc: %q is not a concentration field", p)
		}
		if i.Conc[p] < 0 {
			return fmt.Errorf("conc[%s] %g is negative", p, i.Conc[p])
		}
	}
	return nil
}

// IdleFor returns the idle thresholds of an outlet.
func (c Config) IdleFor(k OutletKey) Idle {
	if i, ok := c.IdleByOutlet[k]; ok {
		return i
	}
	return c.Idle
}

func (c Config) location() *time.Location {
	if c.Location != nil {
		return c.Location
	}
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	// China has had no daylight saving time since 1991, so a fixed zone is equivalent.
	return time.FixedZone("CST", 8*3600)
}

func compareKeys(a, b OutletKey) int {
	if a.Source != b.Source {
		if a.Source < b.Source {
			return -1
		}
		return 1
	}
	switch {
	case a.Outlet < b.Outlet:
		return -1
	case a.Outlet > b.Outlet:
		return 1
	}
	return 0
}
