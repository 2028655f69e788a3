package source

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"lantian/ingest/registry"
	"lantian/ingest/schema"
)

// MonitorConfig is the source_monitoring section of Lantian's configuration: how the Monitor
// in `lantian run` forms hourly means, exceedance events, emission rates and data-quality
// findings from the stored outlet readings (docs/sources.md). The keys of Config
// (min_valid_fraction, lateness, idle, quality, …) sit inline in this section.
type MonitorConfig struct {
	// Enabled turns the monitoring on.
	Enabled bool `yaml:"enabled"`
	// CheckInterval is how often complete hours are closed, the silence check runs and
	// complete days are judged.
	CheckInterval time.Duration `yaml:"check_interval"`
	// QueueSize bounds the readings waiting between the pipeline and the monitor; readings
	// beyond it are counted as dropped (they stay stored in InfluxDB, and the report reads them).
	QueueSize int `yaml:"queue_size"`
	// ExpectedInterval is how often an outlet is expected to report, for the stream form of the
	// silent rule (silent after quality.silent_intervals of them); 0 turns the check off.
	// ExpectedIntervals overrides it per outlet ("source/outlet": 30s).
	ExpectedInterval  time.Duration            `yaml:"expected_interval"`
	ExpectedIntervals map[string]time.Duration `yaml:"expected_intervals"`
	// Presets names a limit preset per outlet ("source/outlet": ultra-low-coal-power); the
	// registry's reference_o2_pct and limits then override the preset value by value.
	Presets map[string]string `yaml:"presets"`
	// OutletExpectedSamples overrides expected_samples per outlet ("source/outlet": {1m: 12}
	// for a logger that sends 5-minute values as minute data).
	OutletExpectedSamples map[string]map[string]int `yaml:"outlet_expected_samples"`
	// OutletIdle overrides the idle thresholds (idle.flow_m3h, idle.conc) per outlet.
	OutletIdle map[string]Idle `yaml:"outlet_idle"`
	// StopOrders are heating-season staggered-production (错峰生产) orders: producing hours of
	// the named outlets inside [from, to) are findings (staggered_production).
	StopOrders []StopOrder `yaml:"stop_orders"`
	// CountyQuotas are the emission quotas per county (or park) and pollutant that the daily
	// and monthly totals are compared with ({changji: {nox: {day_kg: 5000, month_kg: 150000}}}).
	CountyQuotas map[string]map[string]Quota `yaml:"county_quotas"`
	// Coverage says which outlets the plan requires to be monitored and how fresh their data
	// must be (coverage.go).
	Coverage CoverageConfig `yaml:"coverage"`
	// QualityAlertHold is how long an alert for a data-quality finding stays firing in
	// Alertmanager (findings are facts about past hours, not conditions that clear by
	// themselves; the stream silence alert is the exception and resolves when data returns).
	QualityAlertHold time.Duration `yaml:"quality_alert_hold"`
	// Rules are the parameters of the pure core (hourly validity, lateness, event gaps, idle
	// thresholds, data-quality rules and weights).
	Rules Config `yaml:",inline"`

	// Now is the clock that decides which hours and days are complete; nil means time.Now.
	// Tests set it to replay past data without waiting for wall-clock hours.
	Now func() time.Time `yaml:"-"`
}

// StopOrder is one staggered-production order.
type StopOrder struct {
	Source string `yaml:"source"`
	// Outlets limits the order to these outlets; empty means every outlet of the source.
	Outlets []string  `yaml:"outlets"`
	From    time.Time `yaml:"from"`
	To      time.Time `yaml:"to"`
	// Reference is the order's document number, copied into findings.
	Reference string `yaml:"reference"`
}

// DefaultMonitorConfig returns the defaults of the source_monitoring section.
func DefaultMonitorConfig() MonitorConfig {
	return MonitorConfig{
		Enabled:          true,
		CheckInterval:    time.Minute,
		QueueSize:        10000,
		ExpectedInterval: time.Hour,
		QualityAlertHold: 12 * time.Hour,
		Coverage:         DefaultCoverageConfig(),
		Rules:            DefaultConfig(),
	}
}

// ParseOutletKey parses a "source/outlet" key of the source_monitoring maps.
func ParseOutletKey(s string) (OutletKey, error) {
	src, out, ok := strings.Cut(s, "/")
	if !ok || src == "" || out == "" || strings.Contains(out, "/") {
		return OutletKey{}, fmt.Errorf("%q is not \"source/outlet\"", s)
	}
	return OutletKey{Source: src, Outlet: out}, nil
}

// Limits resolves every registered outlet's limits from the registry and the presets.
func (m MonitorConfig) Limits(sources []registry.Source) (map[OutletKey]Limits, error) {
	presets := make(map[OutletKey]string, len(m.Presets))
	for k, p := range m.Presets {
		key, err := ParseOutletKey(k)
		if err != nil {
			return nil, fmt.Errorf("source_monitoring.presets: %w", err)
		}
		presets[key] = p
	}
	return ResolveLimits(sources, presets)
}

// RuleConfig returns the core's Config with the zone of natural days and the per-outlet idle
// thresholds set.
func (m MonitorConfig) RuleConfig(loc *time.Location) (Config, error) {
	r := m.Rules
	r.Location = loc
	r.IdleByOutlet = make(map[OutletKey]Idle, len(m.OutletIdle))
	for k, idle := range m.OutletIdle {
		key, err := ParseOutletKey(k)
		if err != nil {
			return r, fmt.Errorf("source_monitoring.outlet_idle: %w", err)
		}
		r.IdleByOutlet[key] = idle
	}
	r.ExpectedByOutlet = make(map[OutletKey]map[string]int, len(m.OutletExpectedSamples))
	for k, e := range m.OutletExpectedSamples {
		key, err := ParseOutletKey(k)
		if err != nil {
			return r, fmt.Errorf("source_monitoring.outlet_expected_samples: %w", err)
		}
		r.ExpectedByOutlet[key] = maps.Clone(e)
	}
	// Real-time data is expected at the outlet's reporting interval, the one the stream
	// silence rule waits for.
	r.RTInterval = m.ExpectedInterval
	r.RTIntervalByOutlet = make(map[OutletKey]time.Duration, len(m.ExpectedIntervals))
	for k, iv := range m.ExpectedIntervals {
		key, err := ParseOutletKey(k)
		if err != nil {
			return r, fmt.Errorf("source_monitoring.expected_intervals: %w", err)
		}
		r.RTIntervalByOutlet[key] = iv
	}
	return r, nil
}

// StopPeriods converts the stop orders.
func (m MonitorConfig) StopPeriods() []StopPeriod {
	out := make([]StopPeriod, 0, len(m.StopOrders))
	for _, o := range m.StopOrders {
		out = append(out, StopPeriod{Source: o.Source, Outlets: slices.Clone(o.Outlets),
			From: o.From, To: o.To, Reference: o.Reference})
	}
	return out
}

// outletFields are the fields of an outlet reading a flat line can be found in.
var outletFields = []string{Dust, SO2, NOx, NMHC, schema.FieldO2, schema.FieldFlow, schema.FieldTemp,
	schema.FieldPressure, schema.FieldHumidity, schema.FieldVelocity}

// Validate checks the section against the registered sources; a disabled section is not
// checked. The errors, joined, name the keys as written in the file.
func (m MonitorConfig) Validate(sources []registry.Source, loc *time.Location) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !m.Enabled {
		return nil
	}
	if m.CheckInterval < 50*time.Millisecond {
		bad("source_monitoring.check_interval %v must be at least 50ms", m.CheckInterval)
	}
	if m.QueueSize < 1 {
		bad("source_monitoring.queue_size %d must be at least 1", m.QueueSize)
	}
	if m.ExpectedInterval < 0 {
		bad("source_monitoring.expected_interval %v is negative", m.ExpectedInterval)
	}
	if m.QualityAlertHold <= 0 {
		bad("source_monitoring.quality_alert_hold must be positive")
	}
	if err := m.Coverage.validate(); err != nil {
		bad("source_monitoring.%w", err)
	}
	errs = append(errs, validateQuotas(m.CountyQuotas, func(a string) bool {
		return slices.ContainsFunc(sources, func(s registry.Source) bool { return s.Area == a })
	})...)
	known := make(map[OutletKey]bool)
	for _, s := range sources {
		for _, o := range s.Outlets {
			known[OutletKey{Source: s.ID, Outlet: o.ID}] = true
		}
	}
	checkKey := func(section, k string) bool {
		key, err := ParseOutletKey(k)
		if err != nil {
			bad("source_monitoring.%s: %w", section, err)
			return false
		}
		if !known[key] {
			bad("source_monitoring.%s: outlet %s is not in the registry", section, k)
			return false
		}
		return true
	}
	for _, k := range slices.Sorted(maps.Keys(m.ExpectedIntervals)) {
		if checkKey("expected_intervals", k) && m.ExpectedIntervals[k] < 0 {
			bad("source_monitoring.expected_intervals[%s] %v is negative", k, m.ExpectedIntervals[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.OutletIdle)) {
		checkKey("outlet_idle", k)
	}
	for _, k := range slices.Sorted(maps.Keys(m.OutletExpectedSamples)) {
		checkKey("outlet_expected_samples", k)
	}
	presetsOK := true
	for _, k := range slices.Sorted(maps.Keys(m.Presets)) {
		presetsOK = checkKey("presets", k) && presetsOK
	}
	if presetsOK {
		if _, err := m.Limits(sources); err != nil {
			bad("source_monitoring.presets: %w", err)
		}
	}
	rules, err := m.RuleConfig(loc)
	if err == nil {
		err = rules.Validate()
	}
	if err != nil {
		bad("source_monitoring: %w", err)
	}
	valid := make(map[Rule]bool)
	for _, r := range knownRules() {
		valid[r] = true
	}
	for _, r := range slices.Sorted(maps.Keys(m.Rules.Quality.Weights)) {
		if !valid[r] {
			bad("source_monitoring.quality.weights: unknown rule %q", r)
		}
	}
	for _, f := range m.Rules.Quality.FlatFields {
		if !slices.Contains(outletFields, f) {
			bad("source_monitoring.quality.flat_fields: %q is not an outlet field", f)
		}
	}
	for i, o := range m.StopOrders {
		sp := StopPeriod{Source: o.Source, Outlets: o.Outlets, From: o.From, To: o.To}
		if err := sp.Validate(); err != nil {
			bad("source_monitoring.stop_orders[%d]: %w", i, err)
		}
		srcKnown := false
		for _, s := range sources {
			srcKnown = srcKnown || s.ID == o.Source
		}
		if o.Source != "" && !srcKnown {
			bad("source_monitoring.stop_orders[%d]: source %q is not in the registry", i, o.Source)
		}
		for _, out := range o.Outlets {
			if !known[OutletKey{Source: o.Source, Outlet: out}] {
				bad("source_monitoring.stop_orders[%d]: outlet %s/%s is not in the registry", i, o.Source, out)
			}
		}
	}
	return errors.Join(errs...)
}

// knownRules are the rule names weights may be given for.
func knownRules() []Rule {
	return []Rule{RuleSilent, RuleMissingHours, RuleFlatLine, RuleStuckZero,
		RuleDilution, RuleFlowZeroConc, RuleTooManyFlags, RuleDropAfter,
		RuleZsMismatch, RuleO2Unusable, RuleStaggeredProd, RuleFlowImplausible}
}

// OutletRules returns RuleConfig with what the registry says of each outlet: the stack
// diameters of the flow plausibility rule.
func (m MonitorConfig) OutletRules(sources []registry.Source, loc *time.Location) (Config, error) {
	r, err := m.RuleConfig(loc)
	if err != nil {
		return r, err
	}
	r.DiameterByOutlet = make(map[OutletKey]float64)
	for _, s := range sources {
		for _, o := range s.Outlets {
			if o.StackDiameterM > 0 {
				r.DiameterByOutlet[OutletKey{Source: s.ID, Outlet: o.ID}] = o.StackDiameterM
			}
		}
	}
	return r, nil
}
