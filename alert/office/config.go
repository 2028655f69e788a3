package office

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"lantian/alert/warning"
	"lantian/ingest/registry"
)

// Config is the `warnings` section of the configuration without its API tokens, which the
// service resolves (they may sit in files) and passes in as Options.Tokens.
type Config struct {
	// Grading is the scheme: scheme (2024, 2018, 2017), blue, rules, lift, lead_hours,
	// reductions… (see alert/warning.Config), inline so the keys sit directly under warnings.
	Grading warning.Config `yaml:",inline"`
	// Regions warn as one (区域统一预警); each id must be a region of the registry. Absent:
	// every region of the registry (wcs by default); an empty list: none.
	Regions []RegionConfig `yaml:"regions"`
	// RecomputeInterval is how often recommendations are re-evaluated without a new forecast
	// (a warning issued or lifted, observed days arriving, the forecast ageing).
	RecomputeInterval time.Duration `yaml:"recompute_interval"`
	// Observed adds the observed daily AQI (aqi_daily of the streaming assessor) of the days
	// before a forecast, so that an episode already running is graded at its full length.
	Observed bool `yaml:"observed"`
	// SessionTTL is how long a console login lasts.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// Compliance configures the compliance check of the emergency-list sources.
	Compliance ComplianceConfig `yaml:"compliance"`
}

// ComplianceConfig is warnings.compliance.
type ComplianceConfig struct {
	// BaselineDays is the CEMS baseline period before a warning's start, in days (1–60).
	BaselineDays int `yaml:"baseline_days"`
	// Interval is how often the tables of the warnings in force are computed, written to
	// InfluxDB and turned into gauges and alerts.
	Interval time.Duration `yaml:"interval"`
	// Grace is how long into a warning a shortfall is shown but not alerted: measures take
	// hours to take effect (a kiln does not stop at once).
	Grace time.Duration `yaml:"grace"`
}

// DefaultComplianceConfig: a 7-day baseline, every 10 minutes, 3 hours of grace. The grace is
// Lantian's choice (no document read gives one); see docs/warnings.md.
func DefaultComplianceConfig() ComplianceConfig {
	return ComplianceConfig{BaselineDays: 7, Interval: 10 * time.Minute, Grace: 3 * time.Hour}
}

// BaselinePeriod is the baseline period (DefaultBaselinePeriod when unset).
func (c ComplianceConfig) BaselinePeriod() time.Duration {
	if c.BaselineDays <= 0 {
		return DefaultBaselinePeriod
	}
	return time.Duration(c.BaselineDays) * 24 * time.Hour
}

func (c ComplianceConfig) validate() error {
	var errs []error
	if c.BaselineDays < 1 || time.Duration(c.BaselineDays)*24*time.Hour > MaxBaselinePeriod {
		errs = append(errs, fmt.Errorf("warnings.compliance.baseline_days %d: want 1 to %d", c.BaselineDays, int(MaxBaselinePeriod/(24*time.Hour))))
	}
	if c.Interval < 100*time.Millisecond {
		errs = append(errs, errors.New("warnings.compliance.interval must be at least 100ms"))
	}
	if c.Grace < 0 {
		errs = append(errs, errors.New("warnings.compliance.grace must not be negative"))
	}
	return errors.Join(errs...)
}

// RegionConfig is a region of the registry that issues unified warnings.
type RegionConfig struct {
	ID string `yaml:"id"`
	// MinAreas and LiftMinAreas: see alert/warning.Region (0: warning.DefaultMinAreas).
	MinAreas     int `yaml:"min_areas"`
	LiftMinAreas int `yaml:"lift_min_areas"`
}

// DefaultConfig is the 2024 scheme over every region of the registry (the 乌-昌-石 key area
// by default).
func DefaultConfig() Config {
	return Config{
		Grading:           warning.Config{Scheme: "2024"},
		RecomputeInterval: 10 * time.Minute,
		Observed:          true,
		SessionTTL:        12 * time.Hour,
		Compliance:        DefaultComplianceConfig(),
	}
}

// BuildScheme builds the configured grading scheme.
func (c Config) BuildScheme() (warning.Scheme, error) { return c.Grading.Build() }

// WarningRegions returns the configured regions from an indexed registry.
func (c Config) WarningRegions(reg *registry.Registry) ([]warning.Region, error) {
	var errs []error
	var out []warning.Region
	seen := map[string]bool{}
	regions := c.Regions
	if regions == nil {
		for _, a := range reg.Areas {
			if a.Kind == registry.Region {
				regions = append(regions, RegionConfig{ID: a.ID})
			}
		}
	}
	for i, r := range regions {
		wr, err := warning.RegionFromRegistry(reg, r.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("warnings.regions[%d]: %w", i, err))
			continue
		}
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("warnings.regions[%d]: region %s listed twice", i, r.ID))
		}
		seen[r.ID] = true
		if r.MinAreas < 0 || r.LiftMinAreas < 0 {
			errs = append(errs, fmt.Errorf("warnings.regions[%d]: min_areas and lift_min_areas must not be negative", i))
		}
		wr.MinAreas, wr.LiftMinAreas = r.MinAreas, r.LiftMinAreas
		out = append(out, wr)
	}
	// An area in two regions would get two unified warnings that may disagree.
	owner := map[string]string{}
	for _, r := range out {
		for _, m := range r.Members {
			if o, ok := owner[m]; ok {
				errs = append(errs, fmt.Errorf("warnings.regions: area %s belongs to both %s and %s", m, o, r.ID))
			}
			owner[m] = r.ID
		}
	}
	return out, errors.Join(errs...)
}

// Validate reports every problem of the section against an indexed registry.
func (c Config) Validate(reg *registry.Registry) error {
	var errs []error
	if s, err := c.BuildScheme(); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, checkPlans(s, reg)...)
	}
	if _, err := c.WarningRegions(reg); err != nil {
		errs = append(errs, err)
	}
	if c.RecomputeInterval < time.Second {
		errs = append(errs, errors.New("warnings.recompute_interval must be at least 1s"))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, errors.New("warnings.session_ttl must be at least 1m"))
	}
	if err := c.Compliance.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkPlans refuses 一厂一策 commitments below the level's ratio: the plan's ratios are a floor
// (昌州环发〔2019〕30号 item 23 "原则上分别不低于"), and a commitment below it would let a source
// pass with less than the county's list as a whole must cut.
func checkPlans(s warning.Scheme, reg *registry.Registry) []error {
	var errs []error
	for _, src := range reg.Sources {
		if src.EmergencyPlan == nil {
			continue
		}
		for _, m := range src.EmergencyPlan.Levels {
			l, err := warning.ParseLevel(m.Level)
			if err != nil {
				continue // the registry reports it
			}
			red, _ := s.Reduction(l)
			for _, p := range slices.Sorted(maps.Keys(m.ReductionPct)) {
				if floor := floorPct(red, pollutantGroup[p]); m.ReductionPct[p] < float64(floor) {
					errs = append(errs, fmt.Errorf("source %q emergency_plan %s: reduction_pct %s %g %% is below the level's %d %% (warnings scheme %s)",
						src.ID, m.Level, p, m.ReductionPct[p], floor, s.Name))
				}
			}
		}
	}
	return errs
}
