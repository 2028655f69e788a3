package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"lantian/alert/notify"
	"lantian/alert/source"
)

// SourceMonitoring configures pollution-source monitoring in `lantian run`: hourly means,
// exceedance events, emission rates and data-quality rules over the stored outlet readings
// (docs/sources.md). The keys of alert/source's Config (min_valid_fraction, lateness, idle,
// quality, …) sit inline in this section.
type SourceMonitoring struct {
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
	// OutletIdle overrides the idle thresholds (idle.flow_m3h, idle.conc) per outlet.
	OutletIdle map[string]source.Idle `yaml:"outlet_idle"`
	// StopOrders are heating-season staggered-production (错峰生产) orders: producing hours of
	// the named outlets inside [from, to) are findings (staggered_production).
	StopOrders []StopOrder `yaml:"stop_orders"`
	// QualityAlertHold is how long an alert for a data-quality finding stays firing in
	// Alertmanager (findings are facts about past hours, not conditions that clear by
	// themselves; the stream silence alert is the exception and resolves when data returns).
	QualityAlertHold time.Duration `yaml:"quality_alert_hold"`
	// Rules are the parameters of alert/source (hourly validity, lateness, event gaps, idle
	// thresholds, data-quality rules and weights).
	Rules source.Config `yaml:",inline"`

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

// defaultAlerting returns the defaults of the alertmanager and source_monitoring sections.
func defaultAlerting() (notify.Config, SourceMonitoring) {
	return notify.DefaultConfig(), SourceMonitoring{
		Enabled:          true,
		CheckInterval:    time.Minute,
		QueueSize:        10000,
		ExpectedInterval: time.Hour,
		QualityAlertHold: 12 * time.Hour,
		Rules:            source.DefaultConfig(),
	}
}

// OutletKey parses a "source/outlet" key of the source_monitoring maps.
func OutletKey(s string) (source.OutletKey, error) {
	src, out, ok := strings.Cut(s, "/")
	if !ok || src == "" || out == "" || strings.Contains(out, "/") {
		return source.OutletKey{}, fmt.Errorf("%q is not \"source/outlet\"", s)
	}
	return source.OutletKey{Source: src, Outlet: out}, nil
}

// SourceLimits resolves every registered outlet's limits from the registry and the presets.
func (c *Config) SourceLimits() (map[source.OutletKey]source.Limits, error) {
	presets := make(map[source.OutletKey]string, len(c.SourceMonitoring.Presets))
	for k, p := range c.SourceMonitoring.Presets {
		key, err := OutletKey(k)
		if err != nil {
			return nil, fmt.Errorf("source_monitoring.presets: %w", err)
		}
		presets[key] = p
	}
	return source.ResolveLimits(c.Sources, presets)
}

// SourceRules returns alert/source's config with the zone and per-outlet idle thresholds set.
func (c *Config) SourceRules() (source.Config, error) {
	r := c.SourceMonitoring.Rules
	r.Location = c.Location()
	r.IdleByOutlet = make(map[source.OutletKey]source.Idle, len(c.SourceMonitoring.OutletIdle))
	for k, idle := range c.SourceMonitoring.OutletIdle {
		key, err := OutletKey(k)
		if err != nil {
			return r, fmt.Errorf("source_monitoring.outlet_idle: %w", err)
		}
		r.IdleByOutlet[key] = idle
	}
	return r, nil
}

// SourceStops converts the stop orders.
func (c *Config) SourceStops() []source.StopPeriod {
	out := make([]source.StopPeriod, 0, len(c.SourceMonitoring.StopOrders))
	for _, o := range c.SourceMonitoring.StopOrders {
		out = append(out, source.StopPeriod{Source: o.Source, Outlets: slices.Clone(o.Outlets),
			From: o.From, To: o.To, Reference: o.Reference})
	}
	return out
}

// validateAlerting checks the alertmanager and source_monitoring sections.
func (c *Config) validateAlerting() []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := c.Alertmanager.Validate(); err != nil {
		errs = append(errs, err)
	}

	sm := c.SourceMonitoring
	if !sm.Enabled {
		return errs
	}
	if sm.CheckInterval < 50*time.Millisecond {
		bad("source_monitoring.check_interval %v must be at least 50ms", sm.CheckInterval)
	}
	if sm.QueueSize < 1 {
		bad("source_monitoring.queue_size %d must be at least 1", sm.QueueSize)
	}
	if sm.ExpectedInterval < 0 {
		bad("source_monitoring.expected_interval %v is negative", sm.ExpectedInterval)
	}
	if sm.QualityAlertHold <= 0 {
		bad("source_monitoring.quality_alert_hold must be positive")
	}
	known := make(map[source.OutletKey]bool)
	for _, s := range c.Sources {
		for _, o := range s.Outlets {
			known[source.OutletKey{Source: s.ID, Outlet: o.ID}] = true
		}
	}
	checkKey := func(section, k string) bool {
		key, err := OutletKey(k)
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
	for _, k := range slices.Sorted(maps.Keys(sm.ExpectedIntervals)) {
		if checkKey("expected_intervals", k) && sm.ExpectedIntervals[k] < 0 {
			bad("source_monitoring.expected_intervals[%s] %v is negative", k, sm.ExpectedIntervals[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(sm.OutletIdle)) {
		checkKey("outlet_idle", k)
	}
	presetsOK := true
	for _, k := range slices.Sorted(maps.Keys(sm.Presets)) {
		presetsOK = checkKey("presets", k) && presetsOK
	}
	if presetsOK {
		if _, err := c.SourceLimits(); err != nil {
			bad("source_monitoring.presets: %w", err)
		}
	}
	rules, err := c.SourceRules()
	if err == nil {
		err = rules.Validate()
	}
	if err != nil {
		bad("source_monitoring: %w", err)
	}
	valid := make(map[source.Rule]bool)
	for _, r := range knownRules() {
		valid[r] = true
	}
	for _, r := range slices.Sorted(maps.Keys(sm.Rules.Quality.Weights)) {
		if !valid[r] {
			bad("source_monitoring.quality.weights: unknown rule %q", r)
		}
	}
	for _, f := range sm.Rules.Quality.FlatFields {
		if !slices.Contains([]string{source.Dust, source.SO2, source.NOx, source.NMHC, source.FieldO2, source.FieldFlow, source.FieldTemp,
			"pressure", "humidity", "velocity"}, f) {
			bad("source_monitoring.quality.flat_fields: %q is not an outlet field", f)
		}
	}
	for i, o := range sm.StopOrders {
		sp := source.StopPeriod{Source: o.Source, Outlets: o.Outlets, From: o.From, To: o.To}
		if err := sp.Validate(); err != nil {
			bad("source_monitoring.stop_orders[%d]: %w", i, err)
		}
		srcKnown := false
		for _, s := range c.Sources {
			srcKnown = srcKnown || s.ID == o.Source
		}
		if o.Source != "" && !srcKnown {
			bad("source_monitoring.stop_orders[%d]: source %q is not in the registry", i, o.Source)
		}
		for _, out := range o.Outlets {
			if !known[source.OutletKey{Source: o.Source, Outlet: out}] {
				bad("source_monitoring.stop_orders[%d]: outlet %s/%s is not in the registry", i, o.Source, out)
			}
		}
	}
	return errs
}

// knownRules are the rule names weights may be given for.
func knownRules() []source.Rule {
	return []source.Rule{source.RuleSilent, source.RuleMissingHours, source.RuleFlatLine, source.RuleStuckZero,
		source.RuleDilution, source.RuleFlowZeroConc, source.RuleTooManyFlags, source.RuleDropAfter,
		source.RuleZsMismatch, source.RuleO2Unusable, source.RuleStaggeredProd}
}
